/*
 * test_attest.c — attestation records: the round trip, every flipped bit
 * refused (bad-signature or malformed: never ok, never wrong-key), another
 * hive's key named as such, fields beyond their bounds refused by name
 * (unterminated arrays included), the canonical form enforced, and
 * attest_hash_fd against the official BLAKE3 vectors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "trust/attest.h"

static char *argv1[] = { "/usr/bin/env", "-i", "echo", "hi" };
static char *caps1[] = { "fs.read:/usr", "fs.write:/tmp/out", "net.connect:443",
	                 "cap.grant:fs.read:/srv" };

static void fill(struct attest_record *r, const struct sigkey *signer)
{
	memset(r, 0, sizeof *r);
	snprintf(r->aid, sizeof r->aid, "a42");
	for (int i = 0; i < ATTEST_HASH_LEN; i++) {
		r->manifest_hash[i] = (uint8_t)i;
		r->exe_hash[i] = (uint8_t)(0xff - i);
	}
	snprintf(r->manifest_signer, sizeof r->manifest_signer, "%s", signer->pub.id);
	snprintf(r->authorizer, sizeof r->authorizer, "uid:1000");
	snprintf(r->exe_path, sizeof r->exe_path, "/usr/bin/env");
	r->argv = argv1;
	r->argc = 4;
	r->caps = caps1;
	r->ncaps = 4;
	snprintf(r->enforcement, sizeof r->enforcement, "landlock=7 seccomp=notify cgroup=v1");
	r->time_ms = 1764499200123ull;
}

static struct sigkey hk, other;

TEST(round_trip)
{
	struct attest_record r, got;
	struct err e = { 0 };
	char *out = NULL;
	size_t n = 0;
	fill(&r, &other);
	CHECK_EQ_INT(attest_sign(&r, &hk, &out, &n, &e), 0);
	CHECK(out && n == strlen(out));
	CHECK_EQ_INT(attest_verify(out, n, &hk.pub, &got, &e), ATTEST_OK);
	CHECK_EQ_STR(got.aid, "a42");
	CHECK_EQ_STR(got.hive_key, hk.pub.id);
	CHECK_EQ_STR(got.manifest_signer, other.pub.id);
	CHECK_EQ_STR(got.authorizer, "uid:1000");
	CHECK_EQ_STR(got.exe_path, "/usr/bin/env");
	CHECK(!memcmp(got.manifest_hash, r.manifest_hash, ATTEST_HASH_LEN));
	CHECK(!memcmp(got.exe_hash, r.exe_hash, ATTEST_HASH_LEN));
	CHECK_EQ_INT((int)got.argc, 4);
	CHECK_EQ_INT((int)got.ncaps, 4);
	if (got.argc == 4 && got.ncaps == 4) {
		CHECK_EQ_STR(got.argv[3], "hi");
		CHECK_EQ_STR(got.caps[3], "cap.grant:fs.read:/srv");
	}
	CHECK_EQ_STR(got.enforcement, "landlock=7 seccomp=notify cgroup=v1");
	CHECK(got.time_ms == 1764499200123ull);
	/* The decoded record encodes to the signed line. */
	char *json = NULL;
	CHECK_EQ_INT(attest_record_json(&got, &json, &e), 0);
	CHECK(json && !strncmp(out, json, strlen(json)) && out[strlen(json)] == '\n');
	free(json);
	attest_record_clear(&got);
	free(out);
}

TEST(every_flipped_byte_refused)
{
	struct attest_record r, got;
	struct err e = { 0 };
	char *out = NULL;
	size_t n = 0;
	fill(&r, &hk);
	CHECK_EQ_INT(attest_sign(&r, &hk, &out, &n, &e), 0);
	int bad = 0;
	for (size_t i = 0; out && i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			out[i] ^= (char)(1 << bit);
			enum attest_verdict v = attest_verify(out, n, &hk.pub, &got, &e);
			if (v != ATTEST_BAD_SIGNATURE && v != ATTEST_MALFORMED) {
				if (!bad++)
					printf("#   byte %zu bit %d: %s\n", i, bit, attest_verdict_name(v));
				attest_record_clear(&got);
			}
			CHECK(got.argv == NULL && got.aid[0] == '\0');
			out[i] ^= (char)(1 << bit);
		}
	}
	CHECK_EQ_INT(bad, 0);
	/* Cut short, or with bytes after the signature. */
	CHECK_EQ_INT(attest_verify(out, n - 1, &hk.pub, &got, &e), ATTEST_MALFORMED);
	char *more = malloc(n + 2);
	memcpy(more, out, n);
	memcpy(more + n, "x\n", 2);
	CHECK_EQ_INT(attest_verify(more, n + 2, &hk.pub, &got, &e), ATTEST_MALFORMED);
	free(more);
	free(out);
}

TEST(wrong_key)
{
	struct attest_record r, got;
	struct err e = { 0 };
	char *out = NULL;
	size_t n = 0;
	fill(&r, &hk);
	CHECK_EQ_INT(attest_sign(&r, &hk, &out, &n, &e), 0);
	CHECK_EQ_INT(attest_verify(out, n, &other.pub, &got, &e), ATTEST_WRONG_KEY);
	CHECK(strstr(e.msg, hk.pub.id) != NULL);
	free(out);
}

/* Signed bytes that are not the canonical spelling are malformed. */
TEST(canonical_form_enforced)
{
	static const char *const lines[] = {
		"{\"aid\": \"a1\"}",
		"[]",
		"{\"version\":1}",
	};
	struct attest_record r, got;
	struct err e = { 0 };
	char *out = NULL, sig[HIVE_KEY_FILE_MAX], buf[4096];
	size_t n = 0;
	fill(&r, &hk);
	CHECK_EQ_INT(attest_sign(&r, &hk, &out, &n, &e), 0);
	/* The same record with a space after the first colon, signed. */
	char *colon = strchr(out, ':');
	int k = snprintf(buf, sizeof buf, "%.*s %s", (int)(colon + 1 - out), out, colon + 1);
	char *nl = strchr(buf, '\n');
	int sn = sigkey_sign(&hk, buf, (size_t)(nl + 1 - buf), sig, sizeof sig);
	CHECK(sn > 0 && k > 0);
	strcpy(nl + 1, sig);
	CHECK_EQ_INT(attest_verify(buf, strlen(buf), &hk.pub, &got, &e), ATTEST_MALFORMED);
	CHECK(strstr(e.msg, "canonical") != NULL);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		int m = snprintf(buf, sizeof buf, "%s\n", lines[i]);
		sn = sigkey_sign(&hk, buf, (size_t)m, sig, sizeof sig);
		snprintf(buf + m, sizeof buf - (size_t)m, "%s", sig);
		CHECK_EQ_INT(attest_verify(buf, strlen(buf), &hk.pub, &got, &e), ATTEST_MALFORMED);
	}
	free(out);
}

static int sign_refused(struct attest_record *r, int code, const char *field)
{
	struct err e = { 0 };
	char *out = NULL;
	size_t n = 0;
	int rc = attest_sign(r, &hk, &out, &n, &e);
	if (rc != -code || out || !strstr(e.msg, field)) {
		printf("#   want -%d naming %s, got %d: %s\n", code, field, rc, e.msg);
		free(out);
		return 0;
	}
	return 1;
}

TEST(oversize_refused)
{
	struct attest_record r;
	static char big[HIVE_MANIFEST_ARGV_BYTES_MAX + 2];
	char *bigv[] = { big };
	char *many[HIVE_MANIFEST_ARGV_MAX + 1];
	char *badcap[] = { "fs.read:/usr/../etc" };
	memset(big, 'x', sizeof big - 1);
	for (size_t i = 0; i <= HIVE_MANIFEST_ARGV_MAX; i++)
		many[i] = "a";

	fill(&r, &hk);
	memset(r.aid, 'a', HIVE_ATTEST_AID_MAX + 1);
	CHECK(sign_refused(&r, EINVAL, "aid"));
	fill(&r, &hk);
	snprintf(r.aid, sizeof r.aid, "a/b");
	CHECK(sign_refused(&r, EINVAL, "aid"));
	fill(&r, &hk);
	memset(r.authorizer, 'u', HIVE_ATTEST_AUTHORIZER_MAX + 1);
	CHECK(sign_refused(&r, EINVAL, "authorizer"));
	fill(&r, &hk);
	memset(r.enforcement, 'e', HIVE_ATTEST_ENFORCEMENT_MAX + 1);
	CHECK(sign_refused(&r, EINVAL, "enforcement"));
	fill(&r, &hk);
	memset(r.exe_path, '/', sizeof r.exe_path);
	CHECK(sign_refused(&r, EINVAL, "exe_path"));
	fill(&r, &hk);
	r.argv = bigv;
	r.argc = 1;
	CHECK(sign_refused(&r, E2BIG, "argv"));
	fill(&r, &hk);
	r.argv = many;
	r.argc = HIVE_MANIFEST_ARGV_MAX + 1;
	CHECK(sign_refused(&r, E2BIG, "argv"));
	fill(&r, &hk);
	r.ncaps = HIVE_MANIFEST_CAPS_MAX + 1;
	CHECK(sign_refused(&r, E2BIG, "caps"));
	fill(&r, &hk);
	r.caps = badcap;
	r.ncaps = 1;
	CHECK(sign_refused(&r, EINVAL, "caps[0]"));
	fill(&r, &hk);
	r.time_ms = (1ull << 53) + 1;
	CHECK(sign_refused(&r, EINVAL, "time_ms"));
	fill(&r, &hk);
	r.manifest_signer[0] = 'X';
	CHECK(sign_refused(&r, EINVAL, "manifest_signer"));

	/* A file over the bound is not read at all. */
	struct attest_record got;
	struct err e = { 0 };
	char *huge = calloc(1, HIVE_ATTEST_FILE_MAX + 1);
	CHECK_EQ_INT(attest_verify(huge, HIVE_ATTEST_FILE_MAX + 1, &hk.pub, &got, &e), ATTEST_MALFORMED);
	free(huge);
}

/* The official BLAKE3 test vectors: input byte i is i mod 251. */
static int hash_of_len(size_t len, char hex[65])
{
	char path[] = "/tmp/hive-attest-XXXXXX";
	uint8_t out[ATTEST_HASH_LEN];
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	for (size_t i = 0; i < len; i++) {
		uint8_t b = (uint8_t)(i % 251);
		if (write(fd, &b, 1) != 1) {
			close(fd);
			return -EIO;
		}
	}
	int rc = attest_hash_fd(fd, out);
	close(fd);
	for (int i = 0; rc == 0 && i < ATTEST_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	return rc;
}

TEST(hash_fd_vectors)
{
	char hex[65];
	CHECK_EQ_INT(hash_of_len(0, hex), 0);
	CHECK_EQ_STR(hex, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
	CHECK_EQ_INT(hash_of_len(1, hex), 0);
	CHECK_EQ_STR(hex, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213");
	/* More than one read chunk (65536) and not a multiple of it. */
	CHECK_EQ_INT(hash_of_len(102400, hex), 0);
	CHECK_EQ_STR(hex, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085");
	/* Not a regular file. */
	uint8_t out[ATTEST_HASH_LEN];
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(attest_hash_fd(fd, out), -EINVAL);
	close(fd);
	CHECK_EQ_INT(attest_hash_fd(-1, out), -EBADF);
}

int main(void)
{
	struct err e = { 0 };
	if (sigkey_generate(&hk, "hive", &e) < 0 || sigkey_generate(&other, "other", &e) < 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	RUN(round_trip);
	RUN(every_flipped_byte_refused);
	RUN(wrong_key);
	RUN(canonical_form_enforced);
	RUN(oversize_refused);
	RUN(hash_fd_vectors);
	return test_done();
}
