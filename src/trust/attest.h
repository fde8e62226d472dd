/*
 * attest.h — the record of what a hive started, signed with the hive's own
 * Ed25519 key so anyone holding its public key can check it offline.
 *
 * An attestation file is two lines (docs/attestation.md, byte for byte):
 *
 *   <canonical JSON of the record>\n
 *   hive-ed25519-sig <hive key id> <base64 signature>\n
 *
 * The signature (trust/sigkey) covers the first line with its newline,
 * nothing else. The record names the hive key that signed it (hive_key),
 * so a file checked against the wrong public key says so instead of
 * only "bad signature". Canonical JSON is jansson's compact form with
 * sorted keys and ASCII-only escapes: a record has exactly one spelling,
 * and verify refuses any other as malformed.
 */
#ifndef HIVE_ATTEST_H
#define HIVE_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/blake3.h"
#include "lib/err.h"
#include "lib/limits.h"
#include "sigkey.h"

#define ATTEST_VERSION 1
#define ATTEST_HASH_LEN BLAKE3_OUT_LEN

enum attest_verdict {
	ATTEST_OK,
	ATTEST_BAD_SIGNATURE, /* signed by the named key? no: bytes changed or forged */
	ATTEST_WRONG_KEY,     /* consistently signed by another key than the one given */
	ATTEST_MALFORMED,     /* not an attestation file, or a field out of its bounds */
};

/*
 * A record. Strings are NUL-terminated; argv and caps are arrays of
 * argc / ncaps strings. A record attest_verify filled owns its arrays:
 * free them with attest_record_clear. A record given to attest_sign is
 * only read (the caller owns what it points to).
 */
struct attest_record {
	char aid[HIVE_ATTEST_AID_MAX + 1];         /* [A-Za-z0-9._-], non-empty */
	uint8_t manifest_hash[ATTEST_HASH_LEN];    /* BLAKE3 of the manifest's bytes */
	char manifest_signer[SIGKEY_ID_LEN + 1];   /* key id that signed the manifest */
	char authorizer[HIVE_ATTEST_AUTHORIZER_MAX + 1]; /* ticket subject or "uid:N" */
	char exe_path[HIVE_PATH_MAX];              /* absolute */
	uint8_t exe_hash[ATTEST_HASH_LEN];         /* BLAKE3 of the file executed */
	char **argv;                               /* 1..HIVE_MANIFEST_ARGV_MAX */
	size_t argc;
	char **caps;                               /* cap text (trust/cap.h), canonical */
	size_t ncaps;                              /* 0..HIVE_MANIFEST_CAPS_MAX */
	char enforcement[HIVE_ATTEST_ENFORCEMENT_MAX + 1]; /* e.g. "landlock=6 seccomp=notify cgroup=v1" */
	uint64_t time_ms;                          /* Unix ms, at most 2^53 (a JSON-safe integer) */
	char hive_key[SIGKEY_ID_LEN + 1];          /* set by attest_sign: the signing key's id */
};

/* Sign r with the hive's key k: the whole file into *out (malloc'd,
 * NUL-terminated, *outlen bytes). r->hive_key is ignored and set from k
 * in the file. Returns 0, or -EINVAL / -E2BIG (a field out of bounds,
 * err says which) or -ENOMEM. */
int attest_sign(const struct attest_record *r, const struct sigkey *k, char **out, size_t *outlen,
                struct err *err);

/* Check an attestation file of n bytes against pub. On ATTEST_OK r holds
 * the record (clear it after); otherwise r is empty and err says why. */
enum attest_verdict attest_verify(const void *text, size_t n, const struct sigkey_pub *pub,
                                  struct attest_record *r, struct err *err);

void attest_record_clear(struct attest_record *r);
const char *attest_verdict_name(enum attest_verdict v);

/* The record's canonical JSON (one line, no newline) into *out (malloc'd).
 * Returns 0 or -errno as attest_sign. Used by attest_sign and `--json`. */
int attest_record_json(const struct attest_record *r, char **out, struct err *err);

/* BLAKE3 of the regular file open on fd, read with pread from offset 0 in
 * HIVE_ATTEST_READ_CHUNK pieces (the fd's offset is left alone, so the
 * spawn hashes the very fd it then passes to execveat). At most
 * HIVE_ATTEST_EXE_BYTES_MAX bytes. Returns 0 or -errno (-EINVAL: not a
 * regular file, -EFBIG: larger than the bound). */
int attest_hash_fd(int fd, uint8_t out[ATTEST_HASH_LEN]);

#endif
