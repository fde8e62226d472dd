/*
 * test_auditrec.c — the audit frame: round trip at every bound, every
 * flipped byte and every torn prefix refused as such, non-canonical frames
 * refused even with a recomputed checksum, the CRC32C check value, and the
 * chain step equal to BLAKE3 of its documented concatenation.
 */
#include <errno.h>
#include <string.h>

#include "lib/blake3.h"
#include "test.h"
#include "trust/auditrec.h"

static uint8_t frame[HIVE_AUDIT_FRAME_MAX], again[HIVE_AUDIT_FRAME_MAX];

static void fill(struct audit_rec *r)
{
	memset(r, 0, sizeof *r);
	r->seq = 0x0102030405060708ull;
	r->wall_ns = 1764499200123456789ull;
	r->mono_ns = 987654321ull;
	r->type = AUDIT_DENY;
	r->result = AUDIT_R_DENY;
	strcpy(r->aid, "a-42");
	strcpy(r->cap, "fs.read:/srv/data");
	strcpy(r->object, "/etc/shadow");
	strcpy(r->detail, "op=openat errno=13 ümlaut");
}

static void recrc(uint8_t *f, size_t n)
{
	audit_put_le(f + n - 4, audit_crc32c(f, n - 4), 4);
}

TEST(crc32c_check_value)
{
	CHECK_EQ_INT(audit_crc32c("123456789", 9), 0xe3069283u);
}

TEST(roundtrip)
{
	struct audit_rec r, d;
	struct err e = { 0 };
	size_t used = 0;
	fill(&r);
	int n = audit_rec_encode(&r, frame, sizeof frame);
	CHECK(n > 0);
	CHECK_EQ_INT(audit_get_le(frame, 4), n);
	CHECK_EQ_INT(audit_rec_decode(frame, (size_t)n, &d, &used, &e), 0);
	CHECK_EQ_INT(used, n);
	CHECK_EQ_INT(d.seq, r.seq);
	CHECK_EQ_INT(d.wall_ns, r.wall_ns);
	CHECK_EQ_INT(d.mono_ns, r.mono_ns);
	CHECK_EQ_INT(d.type, AUDIT_DENY);
	CHECK_EQ_INT(d.result, AUDIT_R_DENY);
	CHECK_EQ_STR(d.aid, "a-42");
	CHECK_EQ_STR(d.object, "/etc/shadow");
	CHECK_EQ_STR(d.detail, r.detail);
	CHECK_EQ_INT(audit_rec_encode(&d, again, sizeof again), n);
	CHECK(memcmp(frame, again, (size_t)n) == 0);
	/* Trailing bytes belong to the next frame. */
	frame[n] = 0xee;
	CHECK_EQ_INT(audit_rec_decode(frame, (size_t)n + 1, &d, &used, &e), 0);
	CHECK_EQ_INT(used, n);

	/* Empty strings and every field at its bound. */
	memset(&r, 0, sizeof r);
	r.type = AUDIT_EVENT;
	CHECK_EQ_INT(audit_rec_encode(&r, frame, sizeof frame), AUDIT_REC_FIXED);
	memset(r.aid, 'a', HIVE_AID_MAX);
	memset(r.cap, 'c', HIVE_ATTEST_CAP_MAX);
	memset(r.object, 'o', HIVE_PATH_MAX);
	memset(r.detail, 'd', HIVE_AUDIT_DETAIL_MAX);
	CHECK_EQ_INT(audit_rec_encode(&r, frame, sizeof frame), HIVE_AUDIT_FRAME_MAX);
	CHECK_EQ_INT(audit_rec_encode(&r, frame, HIVE_AUDIT_FRAME_MAX - 1), -ENOSPC);
	CHECK_EQ_INT(audit_rec_decode(frame, sizeof frame, &d, &used, &e), 0);
	CHECK_EQ_INT(strlen(d.detail), HIVE_AUDIT_DETAIL_MAX);
}

TEST(encode_refuses)
{
	struct audit_rec r;
	fill(&r);
	r.type = AUDIT_TYPES;
	CHECK_EQ_INT(audit_rec_encode(&r, frame, sizeof frame), -EINVAL);
	fill(&r);
	r.result = AUDIT_RESULTS;
	CHECK_EQ_INT(audit_rec_encode(&r, frame, sizeof frame), -EINVAL);
	fill(&r);
	r.object[3] = '\n';
	CHECK_EQ_INT(audit_rec_encode(&r, frame, sizeof frame), -EINVAL);
	fill(&r);
	r.detail[3] = '\n'; /* the detail alone may be several lines */
	CHECK(audit_rec_encode(&r, frame, sizeof frame) > 0);
	r.detail[3] = '\r';
	CHECK_EQ_INT(audit_rec_encode(&r, frame, sizeof frame), -EINVAL);
	fill(&r);
	memset(r.aid, 'x', sizeof r.aid); /* unterminated */
	CHECK_EQ_INT(audit_rec_encode(&r, frame, sizeof frame), -EINVAL);
}

TEST(every_flip_and_prefix_refused)
{
	struct audit_rec r, d;
	struct err e = { 0 };
	size_t used;
	fill(&r);
	int n = audit_rec_encode(&r, frame, sizeof frame);
	for (int i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(again, frame, (size_t)n);
			again[i] ^= (uint8_t)(1u << bit);
			int rc = audit_rec_decode(again, (size_t)n, &d, &used, &e);
			/* A flipped length may claim more than is there: torn, never ok. */
			CHECK(rc == -EBADMSG || (i < 4 && rc == -EAGAIN));
		}
	}
	for (int k = 0; k < n; k++) {
		e.msg[0] = '\0';
		CHECK_EQ_INT(audit_rec_decode(frame, (size_t)k, &d, &used, &e), -EAGAIN);
		CHECK(strstr(e.msg, "torn") != NULL);
	}
}

TEST(non_canonical_refused_with_good_crc)
{
	struct audit_rec r, d;
	struct err e = { 0 };
	size_t used;
	fill(&r);
	int n = audit_rec_encode(&r, frame, sizeof frame);

	memcpy(again, frame, (size_t)n);
	again[4] = 2; /* version */
	recrc(again, (size_t)n);
	CHECK_EQ_INT(audit_rec_decode(again, (size_t)n, &d, &used, &e), -EINVAL);
	memcpy(again, frame, (size_t)n);
	again[5] = AUDIT_TYPES;
	recrc(again, (size_t)n);
	CHECK_EQ_INT(audit_rec_decode(again, (size_t)n, &d, &used, &e), -EINVAL);
	memcpy(again, frame, (size_t)n);
	again[7] = 1; /* flags */
	recrc(again, (size_t)n);
	CHECK_EQ_INT(audit_rec_decode(again, (size_t)n, &d, &used, &e), -EBADMSG);
	memcpy(again, frame, (size_t)n);
	again[40] = '\0'; /* a NUL in the aid */
	recrc(again, (size_t)n);
	CHECK_EQ_INT(audit_rec_decode(again, (size_t)n, &d, &used, &e), -EBADMSG);
	/* Lengths that do not fill the frame: one byte of slack before the CRC. */
	memcpy(again, frame, (size_t)n - 4);
	again[n - 4] = 'x';
	audit_put_le(again, (uint64_t)n + 1, 4);
	recrc(again, (size_t)n + 1);
	CHECK_EQ_INT(audit_rec_decode(again, (size_t)n + 1, &d, &used, &e), -EBADMSG);
	/* A length below the fixed part or above the bound is no frame. */
	audit_put_le(again, AUDIT_REC_FIXED - 1, 4);
	CHECK_EQ_INT(audit_rec_decode(again, sizeof again, &d, &used, &e), -EBADMSG);
	audit_put_le(again, HIVE_AUDIT_FRAME_MAX + 1, 4);
	CHECK_EQ_INT(audit_rec_decode(again, sizeof again, &d, &used, &e), -EBADMSG);
}

TEST(chain_step)
{
	uint8_t prev[32], out[32], want[32], cat[256];
	struct audit_rec r;
	fill(&r);
	int n = audit_rec_encode(&r, frame, sizeof frame);
	for (int i = 0; i < 32; i++)
		prev[i] = (uint8_t)(i * 7);
	audit_chain_next(prev, 5, frame, (size_t)n, out);
	size_t k = 0;
	memcpy(cat, AUDIT_CHAIN_TAG, strlen(AUDIT_CHAIN_TAG));
	k += strlen(AUDIT_CHAIN_TAG);
	memcpy(cat + k, prev, 32);
	k += 32;
	audit_put_le(cat + k, 5, 8);
	k += 8;
	memcpy(cat + k, frame, (size_t)n);
	k += (size_t)n;
	blake3_hash(cat, k, want);
	CHECK(memcmp(out, want, 32) == 0);
	/* Position is bound in: the same frame at another seq chains apart. */
	audit_chain_next(prev, 6, frame, (size_t)n, want);
	CHECK(memcmp(out, want, 32) != 0);
}

TEST(field_set_escapes_and_bounds)
{
	char aid[HIVE_AID_MAX + 1], obj[HIVE_PATH_MAX + 1];
	audit_field_set(obj, sizeof obj, "/tmp/a\nb\\c");
	CHECK_EQ_STR(obj, "/tmp/a\\x0ab\\x5cc");
	audit_field_set(aid, sizeof aid, "a-0123456789012345678901234567");
	CHECK_EQ_INT(strlen(aid), HIVE_AID_MAX);
	audit_field_set(aid, sizeof aid, "\x01\x01\x01\x01\x01\x01\x01");
	CHECK_EQ_INT(strlen(aid), 24); /* six escapes fit, the seventh would not */
	struct audit_rec r;
	memset(&r, 0, sizeof r);
	audit_field_set(r.object, sizeof r.object, "\x1b[31mred");
	CHECK(audit_rec_encode(&r, frame, sizeof frame) > 0);
}

TEST(names)
{
	CHECK_EQ_STR(audit_type_name(AUDIT_DENY), "deny");
	CHECK_EQ_STR(audit_type_name(AUDIT_CHECKPOINT), "checkpoint");
	for (int t = 0; t < AUDIT_TYPES; t++)
		CHECK_EQ_INT(audit_type_parse(audit_type_name((enum audit_type)t)), t);
	CHECK_EQ_INT(audit_type_parse("nope"), -1);
	CHECK_EQ_STR(audit_result_name(AUDIT_R_INFO), "info");
}

int main(void)
{
	RUN(crc32c_check_value);
	RUN(roundtrip);
	RUN(encode_refuses);
	RUN(every_flip_and_prefix_refused);
	RUN(non_canonical_refused_with_good_crc);
	RUN(chain_step);
	RUN(field_set_escapes_and_bounds);
	RUN(names);
	return test_done();
}
