/*
 * truststore.h — the signer keys a hive trusts to sign manifests, kept as
 * one public key file per key in <state>/trust/<key id>.pub (the format of
 * sigkey.h), directory mode 0700, each file written atomically.
 *
 * Verification answers with an enum, never with text: callers branch on
 * the verdict and show the err text to people.
 */
#ifndef HIVE_TRUSTSTORE_H
#define HIVE_TRUSTSTORE_H

#include <stddef.h>

#include "lib/err.h"
#include "sigkey.h"

#define TRUSTSTORE_DIR "trust"

enum trust_verdict {
	TRUST_OK,               /* signed by a trusted key, the bytes unchanged */
	TRUST_UNSIGNED,         /* no signature at all */
	TRUST_BAD_SIGNATURE,    /* the named trusted key did not sign these bytes */
	TRUST_UNTRUSTED_SIGNER, /* signed by a key this hive does not trust */
	TRUST_MALFORMED,        /* the signature (or what it signs) cannot be read */
};

/* "ok", "unsigned", "bad-signature", "untrusted-signer", "malformed". */
const char *trust_verdict_name(enum trust_verdict v);

/* <state>/trust into out. Returns 0 or -ENAMETOOLONG. */
int truststore_dir(const char *state, char *out, size_t cap);
/* Trust pub. Returns 0, 1 when it was trusted already, or -errno. */
int truststore_add(const char *state, const struct sigkey_pub *pub, struct err *err);
/* Stop trusting the key with this id. Returns 0 or -errno (-ENOENT). */
int truststore_remove(const char *state, const char *id, struct err *err);
/* The trusted key with this id. Returns 0 or -errno (-ENOENT: not trusted). */
int truststore_get(const char *state, const char *id, struct sigkey_pub *out, struct err *err);
/* Up to cap trusted keys, sorted by id. Returns how many, or -errno. A
 * missing store is an empty one. */
int truststore_list(const char *state, struct sigkey_pub *out, size_t cap, struct err *err);

/* Check sig (the text of a signature file, or NULL when there is none)
 * over msg. On TRUST_OK *signer (may be NULL) is the trusted key; on any
 * other verdict err says why and what to do. */
enum trust_verdict truststore_verify(const char *state, const void *msg, size_t n, const char *sig,
                                     struct sigkey_pub *signer, struct err *err);

#endif
