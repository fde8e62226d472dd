/*
 * b3hash.c — print the hex BLAKE3 of stdin using the hive's own BLAKE3,
 * so t0100-blake3-b3sum.sh can compare it with Debian's independent b3sum.
 *
 *   b3hash [--keyed HEXKEY | --derive-key CONTEXT] [--length N] [--seek N]
 *
 * Input is fed in pseudo-randomly sized pieces to exercise streaming.
 */
#include "lib/blake3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output bytes we will print at most (b3sum tests use far fewer). */
#define B3HASH_OUT_MAX 65536u
/* Read buffer; pieces fed to update are carved from it at odd sizes. */
#define B3HASH_BUF 65536u

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_key(const char *hex, uint8_t key[BLAKE3_KEY_LEN])
{
	if (strlen(hex) != 2 * BLAKE3_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < BLAKE3_KEY_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *v > max)
		return -EINVAL;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: b3hash [--keyed HEXKEY | --derive-key CONTEXT] [--length N] [--seek N]\n");
}

int main(int argc, char **argv)
{
	static uint8_t buf[B3HASH_BUF], out[B3HASH_OUT_MAX];
	struct blake3 h;
	uint8_t key[BLAKE3_KEY_LEN];
	const char *keyhex = NULL, *context = NULL;
	unsigned long long length = BLAKE3_OUT_LEN, seek = 0;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc) {
			usage();
			return 2;
		}
		if (strcmp(argv[i], "--keyed") == 0) {
			keyhex = argv[++i];
		} else if (strcmp(argv[i], "--derive-key") == 0) {
			context = argv[++i];
		} else if (strcmp(argv[i], "--length") == 0) {
			if (parse_u64(argv[++i], B3HASH_OUT_MAX, &length) < 0) {
				usage();
				return 2;
			}
		} else if (strcmp(argv[i], "--seek") == 0) {
			if (parse_u64(argv[++i], UINT64_MAX, &seek) < 0) {
				usage();
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}
	if (keyhex && context) {
		usage();
		return 2;
	}
	if (keyhex) {
		if (parse_key(keyhex, key) < 0) {
			fprintf(stderr, "b3hash: key must be %d hex digits\n", 2 * BLAKE3_KEY_LEN);
			return 2;
		}
		blake3_init_keyed(&h, key);
	} else if (context) {
		blake3_init_derive_key(&h, context);
	} else {
		blake3_init(&h);
	}
	unsigned piece = 1;
	for (;;) {
		ssize_t n = read(0, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("b3hash: read");
			return 1;
		}
		if (n == 0)
			break;
		for (size_t off = 0; off < (size_t)n;) {
			size_t take = piece % 1500 + 1;
			if (take > (size_t)n - off)
				take = (size_t)n - off;
			blake3_update(&h, buf + off, take);
			off += take;
			piece = piece * 1103515245u + 12345u;
		}
	}
	blake3_finalize_seek(&h, seek, out, (size_t)length);
	for (size_t i = 0; i < length; i++)
		printf("%02x", out[i]);
	printf("\n");
	return 0;
}
