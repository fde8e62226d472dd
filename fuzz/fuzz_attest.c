/*
 * fuzz_attest.c — libFuzzer target for attestation files.
 *
 * An attestation reaches `hive attest --verify` from anywhere, so
 * attest_verify must refuse any input cleanly, hold nothing after a
 * refusal, and accept only what its signer wrote: a record it accepts
 * encodes back to exactly the signed line. The key is fixed (seed 0x42 x
 * 32) so the corpus holds files the fuzzer can mutate from a valid start.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sigkey_pub fuzz_pub(void)
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
	return pub;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigkey_pub pub = fuzz_pub();
	struct attest_record r;
	struct err e = { 0 };
	enum attest_verdict v = attest_verify(data, size, &pub, &r, &e);

	if (v != ATTEST_OK) {
		if (r.argv || r.caps || r.aid[0] || !e.msg[0])
			__builtin_trap();
		return 0;
	}
	char *json = NULL;
	if (attest_record_json(&r, &json, &e) < 0)
		__builtin_trap();
	size_t n = strlen(json);
	if (n + 1 > size || memcmp(json, data, n) != 0 || data[n] != '\n' ||
	    strcmp(r.hive_key, pub.id) != 0)
		__builtin_trap();
	free(json);
	attest_record_clear(&r);
	return 0;
}
