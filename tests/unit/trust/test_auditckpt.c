/*
 * test_auditckpt.c — checkpoint notes round trip and have one spelling
 * (every altered byte refused or failing the signature), the signature is
 * the hive key's over the body, another key is named as such, the seal
 * ratchet is one-way and keyed per epoch, and segment headers and names
 * take exactly one form.
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "lib/blake3.h"
#include "test.h"
#include "trust/auditckpt.h"
#include "trust/auditseg.h"

static struct sigkey key, other;

static void make_acc(struct audit_acc *a, int n)
{
	static uint8_t frame[HIVE_AUDIT_FRAME_MAX];
	audit_acc_init(a);
	for (int i = 0; i < n; i++) {
		struct audit_rec r;
		memset(&r, 0, sizeof r);
		r.seq = (uint64_t)i;
		r.type = i % 3 ? AUDIT_DENY : AUDIT_ALLOW;
		r.result = i % 3 ? AUDIT_R_DENY : AUDIT_R_OK;
		strcpy(r.aid, "a-1");
		int len = audit_rec_encode(&r, frame, sizeof frame);
		audit_acc_add(a, &r, frame, (size_t)len);
	}
}

TEST(note_roundtrip_and_signature)
{
	struct audit_acc a;
	struct audit_ckpt c, d;
	struct audit_seal s = { 0 };
	struct audit_rec rec;
	struct err e = { 0 };
	char origin[AUDIT_ORIGIN_MAX + 1];
	make_acc(&a, 10);
	audit_ckpt_origin(&key.pub, origin);
	audit_acc_ckpt(&a, origin, 1764499200000000000ull, &c);
	CHECK_EQ_INT(c.counts[AUDIT_DENY], 6);
	CHECK_EQ_INT(c.results[AUDIT_R_OK], 4);
	memset(s.key, 7, sizeof s.key);
	CHECK_EQ_INT(audit_ckpt_make(&c, &s, &key, 5, &rec, &e), 0);
	CHECK_EQ_INT(s.epoch, 1);
	CHECK_EQ_INT(rec.seq, 10);
	CHECK_EQ_INT(rec.type, AUDIT_CHECKPOINT);
	CHECK(strstr(rec.detail, "\nseal 0 ") != NULL);
	CHECK(strstr(rec.detail, "counts attach=0 ") != NULL);
	CHECK(strstr(rec.detail, " deny=6 ") != NULL);
	size_t n = strlen(rec.detail);
	CHECK_EQ_INT(audit_ckpt_parse(rec.detail, n, &d, &e), 0);
	CHECK_EQ_INT(d.size, 10);
	CHECK(memcmp(d.root, c.root, 32) == 0 && memcmp(d.head, c.head, 32) == 0);
	CHECK_EQ_INT(audit_ckpt_verify(&d, &key.pub, &e), 0);
	CHECK_EQ_INT(audit_ckpt_verify(&d, &other.pub, &e), -EBADMSG);
	CHECK(strstr(e.msg, "another key") != NULL);
	/* The record itself encodes (the note's newlines are allowed in the detail). */
	uint8_t frame[HIVE_AUDIT_FRAME_MAX];
	CHECK(audit_rec_encode(&rec, frame, sizeof frame) > 0);

	/* Every byte changed: refused by parse, or parsed and failing the signature. */
	char mut[HIVE_AUDIT_DETAIL_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		memcpy(mut, rec.detail, n + 1);
		mut[i] = mut[i] == '1' ? '2' : '1';
		if (audit_ckpt_parse(mut, n, &d, &e) == 0)
			CHECK(audit_ckpt_verify(&d, &key.pub, &e) != 0);
	}
	/* A leading zero, a trailing byte, a missing newline: not the one spelling. */
	memcpy(mut, rec.detail, n + 1);
	CHECK(audit_ckpt_parse(mut, n - 1, &d, &e) != 0);
	mut[n] = '\n';
	CHECK(audit_ckpt_parse(mut, n + 1, &d, &e) != 0);
	char *sz = strchr(rec.detail, '\n') + 1;
	size_t at = (size_t)(sz - rec.detail);
	memcpy(mut, rec.detail, at);
	mut[at] = '0';
	memcpy(mut + at + 1, rec.detail + at, n - at + 1);
	CHECK(audit_ckpt_parse(mut, n + 1, &d, &e) != 0);
}

TEST(signature_checks_with_libsodium_over_body)
{
	struct audit_acc a;
	struct audit_ckpt c;
	struct audit_seal s = { 0 };
	struct audit_rec rec;
	struct err e = { 0 };
	char body[HIVE_AUDIT_DETAIL_MAX + 1];
	make_acc(&a, 3);
	audit_acc_ckpt(&a, "example.org/log", 1, &c);
	CHECK_EQ_INT(audit_ckpt_make(&c, &s, &key, 0, &rec, &e), 0);
	int n = audit_ckpt_body(&c, body, sizeof body);
	CHECK(n > 0 && memcmp(body, rec.detail, (size_t)n) == 0);
	CHECK_EQ_INT(crypto_sign_verify_detached(c.sig, (const unsigned char *)body, (size_t)n, key.pub.pk), 0);
	CHECK(strncmp(rec.detail + n, "\n\xe2\x80\x94 example.org/log ", 20) == 0);
}

TEST(seal_ratchet)
{
	struct audit_seal s, t;
	struct audit_ckpt c;
	uint8_t m0[32], m1[32], k0[32];
	struct err e = { 0 };
	char line[AUDIT_SEAL_LINE_MAX];
	CHECK_EQ_INT(audit_seal_init(&s), 0);
	memcpy(k0, s.key, 32);
	memset(&c, 0, sizeof c);
	c.size = 5;
	audit_seal_mac(s.key, &c, m0);
	audit_seal_step(&s);
	CHECK_EQ_INT(s.epoch, 1);
	/* key_1 = BLAKE3 derive_key(context, key_0), as b3sum --derive-key computes. */
	struct blake3 h;
	uint8_t want[32];
	blake3_init_derive_key(&h, AUDIT_SEAL_CONTEXT);
	blake3_update(&h, k0, 32);
	blake3_finalize(&h, want, 32);
	CHECK(memcmp(want, s.key, 32) == 0);
	audit_seal_mac(s.key, &c, m1);
	CHECK(memcmp(m0, m1, 32) != 0);
	c.epoch = 1;
	audit_seal_mac(s.key, &c, m0);
	CHECK(memcmp(m0, m1, 32) != 0); /* the epoch is sealed in */

	CHECK(audit_seal_format(&s, line, sizeof line) > 0);
	CHECK(strncmp(line, "hive-audit-seal 1 ", 18) == 0);
	CHECK_EQ_INT(audit_seal_parse(line, &t, &e), 0);
	CHECK(t.epoch == 1 && memcmp(t.key, s.key, 32) == 0);
	CHECK_EQ_INT(audit_seal_parse(line + 18, &t, &e), 0); /* bare hex: epoch 0 */
	CHECK_EQ_INT(t.epoch, 0);
	CHECK(audit_seal_parse("hive-audit-seal 1 abc", &t, &e) != 0);
	CHECK(audit_seal_parse("zz", &t, &e) != 0);
	audit_seal_wipe(&s);
	CHECK_EQ_INT(s.epoch, 0);
}

TEST(segment_header_and_name)
{
	struct audit_seg_hdr h = { .first_seq = 4096 }, d;
	struct err e = { 0 };
	uint8_t buf[AUDIT_SEG_HDR_LEN];
	memset(h.prev_head, 0xab, 32);
	audit_seg_hdr_encode(&h, buf);
	CHECK(memcmp(buf, "HIVEAUDS\x01\0\0\0", 12) == 0);
	CHECK_EQ_INT(audit_seg_hdr_decode(buf, sizeof buf, &d, &e), 0);
	CHECK(d.first_seq == 4096 && memcmp(d.prev_head, h.prev_head, 32) == 0);
	CHECK_EQ_INT(audit_seg_hdr_decode(buf, sizeof buf - 1, &d, &e), -EAGAIN);
	for (size_t i = 0; i < sizeof buf; i++) {
		buf[i] ^= 0x10;
		CHECK(audit_seg_hdr_decode(buf, sizeof buf, &d, &e) < 0);
		buf[i] ^= 0x10;
	}
	char name[AUDIT_SEG_NAME_LEN + 1];
	uint64_t v = 0;
	audit_seg_name(4096, name);
	CHECK_EQ_STR(name, "00000000000000004096.seg");
	CHECK_EQ_INT(audit_seg_name_parse(name, &v), 0);
	CHECK_EQ_INT(v, 4096);
	CHECK(audit_seg_name_parse("4096.seg", &v) < 0);
	CHECK(audit_seg_name_parse("00000000000000004096.seg~", &v) < 0);
	CHECK(audit_seg_name_parse("99999999999999999999.seg", &v) < 0);
}

int main(void)
{
	struct err e = { 0 };
	if (sigkey_generate(&key, "hive", &e) < 0 || sigkey_generate(&other, "other", &e) < 0)
		return 1;
	RUN(note_roundtrip_and_signature);
	RUN(signature_checks_with_libsodium_over_body);
	RUN(seal_ratchet);
	RUN(segment_header_and_name);
	return test_done();
}
