/*
 * fuzz_ninep.c — libFuzzer target for the 9P codec.
 *
 * Every frame a peer sends goes through ninep_decode, so this is the
 * daemon's widest attack surface. For each input, in each dialect and under
 * several msizes, we decode it as is and with its size field patched to the
 * input length (so the fuzzer reaches message bodies without first having to
 * guess the size). Whenever a decode succeeds we check the codec's algebra:
 *   encode(decode(x)) == x, byte for byte (the encoding is canonical; the one
 *     exception is Tfsync, whose optional datasync[4] we drop);
 *   decode(encode(decode(x))) equals decode(x) field by field;
 *   encoding into one byte less than needed gives -ENOBUFS.
 * The input, and the payload of any Rread/Rreaddir decoded from it, is also
 * walked as a 9P2000 directory (next_stat) and as an Rreaddir payload
 * (next_dirent); each entry found must re-encode to the same bytes. The
 * input is also read as a receive buffer by the header decoder, which must
 * agree with the size field, the msize bound and any full decode. Any
 * violation traps, so libFuzzer reports it as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ninep/ninep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_BUF (HIVE_MSIZE_MAX + 64u)

static uint8_t out1[FUZZ_BUF];
static uint8_t out2[FUZZ_BUF];

#define REQUIRE(c)                         \
	do {                                   \
		if (!(c))                          \
			__builtin_trap();              \
	} while (0)

static void check_entries(const uint8_t *data, size_t size)
{
	struct ninep_stat st;
	struct ninep_dirent de;
	size_t pos = 0, prev;
	int rc;

	for (;;) {
		prev = pos;
		rc = ninep_next_stat(data, size, &pos, &st);
		REQUIRE(rc == 1 || rc == 0 || rc == -EBADMSG);
		if (rc != 1)
			break;
		REQUIRE(pos > prev && pos <= size);
		REQUIRE(ninep_stat_size(&st) == pos - prev);
		REQUIRE(ninep_put_stat(out1, sizeof out1, &st) == (int)(pos - prev));
		REQUIRE(memcmp(out1, data + prev, pos - prev) == 0);
	}
	REQUIRE(rc != 0 || pos == size);

	pos = 0;
	for (;;) {
		prev = pos;
		rc = ninep_next_dirent(data, size, &pos, &de);
		REQUIRE(rc == 1 || rc == 0 || rc == -EBADMSG);
		if (rc != 1)
			break;
		REQUIRE(pos > prev && pos <= size);
		REQUIRE(ninep_put_dirent(out1, sizeof out1, &de) == (int)(pos - prev));
		REQUIRE(memcmp(out1, data + prev, pos - prev) == 0);
	}
	REQUIRE(rc != 0 || pos == size);
}

/* The input as a server's receive buffer: the header decoder must agree
 * with the size field and the bound, and say "need more" only when short. */
static void check_header(const uint8_t *buf, size_t len, uint32_t msize)
{
	struct ninep_hdr h;
	uint32_t bound = msize ? msize : HIVE_MSIZE_MAX;
	int rc = ninep_hdr_decode(buf, len, msize, &h);

	REQUIRE(rc == 1 || rc == 0 || rc == -EMSGSIZE);
	if (rc != 1) {
		REQUIRE(h.size == 0 && h.type == 0 && h.tag == 0);
		uint32_t size = ninep_frame_size(buf, len);
		if (rc == 0)
			REQUIRE(len < 4 || (len < NINEP_HDR && size >= NINEP_HDR && size <= bound));
		else
			REQUIRE(len >= 4 && (size < NINEP_HDR || size > bound));
		return;
	}
	REQUIRE(len >= NINEP_HDR);
	REQUIRE(h.size == ninep_frame_size(buf, len) && h.size >= NINEP_HDR && h.size <= bound);
	REQUIRE(h.type == buf[4] && h.tag == (uint16_t)(buf[5] | buf[6] << 8));
}

static void check_frame(const uint8_t *buf, size_t len, uint32_t msize, enum ninep_dialect d)
{
	struct ninep_msg a, b;
	struct ninep_hdr h;
	int rc = ninep_decode(buf, len, msize, d, &a);

	REQUIRE(rc == 0 || rc == -EMSGSIZE || rc == -EBADMSG || rc == -EPROTO);
	if (rc != 0)
		return;
	REQUIRE(len >= NINEP_HDR && len <= (msize ? msize : HIVE_MSIZE_MAX));
	/* A frame that decodes has a header that decodes to the same. */
	REQUIRE(ninep_hdr_decode(buf, len, msize, &h) == 1);
	REQUIRE(h.size == len && h.type == a.type && h.tag == a.tag);

	int n1 = ninep_encode(&a, d, out1, sizeof out1);
	REQUIRE(n1 > 0);
	if (a.type == NINEP_TFSYNC)
		REQUIRE((size_t)n1 == len || (size_t)n1 + 4 == len);
	else
		REQUIRE((size_t)n1 == len && memcmp(out1, buf, len) == 0);

	REQUIRE(ninep_decode(out1, (size_t)n1, msize, d, &b) == 0);
	REQUIRE(ninep_msg_eq(&a, &b));

	int n2 = ninep_encode(&b, d, out2, sizeof out2);
	REQUIRE(n2 == n1 && memcmp(out1, out2, (size_t)n1) == 0);
	REQUIRE(ninep_encode(&b, d, out2, (size_t)n1 - 1) == -ENOBUFS);
	/* A read payload may be a directory: walk it both ways. */
	if (a.type == NINEP_RREAD || a.type == NINEP_RREADDIR)
		check_entries(a.u.rread.data, a.u.rread.count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ninep_dialect dialects[] = {
		NINEP_DIALECT_NONE, NINEP_9P2000, NINEP_9P2000L,
	};
	const uint32_t msizes[] = { 0, HIVE_MSIZE_MIN, (uint32_t)size };

	if (size > FUZZ_BUF)
		return 0;
	/* Exactly size bytes on the heap, so ASan sees any over-read. */
	uint8_t *patched = malloc(size ? size : 1);
	if (!patched)
		return 0;
	if (size)
		memcpy(patched, data, size);
	if (size >= 4) {
		for (unsigned i = 0; i < 4; i++)
			patched[i] = (uint8_t)(size >> (8 * i));
	}
	for (size_t d = 0; d < 3; d++) {
		for (size_t m = 0; m < 3; m++) {
			check_frame(data, size, msizes[m], dialects[d]);
			check_frame(patched, size, msizes[m], dialects[d]);
		}
	}
	for (size_t m = 0; m < 3; m++)
		check_header(data, size, msizes[m]);
	check_entries(data, size);
	free(patched);
	return 0;
}
