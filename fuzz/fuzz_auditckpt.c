/*
 * fuzz_auditckpt.c — libFuzzer target for checkpoint notes and seal lines.
 *
 * A checkpoint reaches `hive audit verify --from FILE` and every checkpoint
 * record from a copy of anyone's state dir: audit_ckpt_parse must refuse
 * any input cleanly and accept only the one spelling (a note it accepts
 * renders back to exactly its bytes); audit_ckpt_verify must never accept
 * a note the fixed key (seed 0x42 x 32) did not sign.
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "trust/auditckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sigkey_pub pub;
	static int made;
	if (!made) {
		uint8_t seed[SIGKEY_SEED_LEN], sk[SIGKEY_SECRET_LEN];
		memset(seed, 0x42, sizeof seed);
		if (sodium_init() < 0)
			__builtin_trap();
		crypto_sign_seed_keypair(pub.pk, sk, seed);
		sigkey_id(pub.pk, pub.id);
		made = 1;
	}
	struct audit_ckpt c;
	struct audit_seal s;
	struct err e = { 0 };
	char again[HIVE_AUDIT_DETAIL_MAX + 1], line[AUDIT_SEAL_LINE_MAX + 1];

	if (audit_ckpt_parse((const char *)data, size, &c, &e) == 0) {
		int n = audit_ckpt_note(&c, again, sizeof again);
		if (n < 0 || (size_t)n != size || memcmp(again, data, size) != 0)
			__builtin_trap();
		(void)audit_ckpt_verify(&c, &pub, &e);
	} else if (!e.msg[0] || c.size || c.origin[0]) {
		__builtin_trap();
	}
	size_t k = size < AUDIT_SEAL_LINE_MAX ? size : AUDIT_SEAL_LINE_MAX;
	memcpy(line, data, k);
	line[k] = '\0';
	e.msg[0] = '\0';
	if (audit_seal_parse(line, &s, &e) < 0 && !e.msg[0])
		__builtin_trap();
	return 0;
}
