/*
 * sigkey.h — Ed25519 signing keys (libsodium) and the detached signatures
 * they make, in three one-line text files a person can read and diff:
 *
 *   secret key  hive-ed25519-key <base64 32-byte seed> [comment]\n   (mode 0600)
 *   public key  hive-ed25519-pub <base64 32-byte key> [comment]\n
 *   signature   hive-ed25519-sig <key id> <base64 64-byte signature>\n
 *
 * base64 is the standard alphabet with padding; the comment is printable
 * ASCII without spaces at either end. The key id is the first 8 bytes of
 * BLAKE3(public key) in lower-case hex: a name for people and a hint for
 * which trusted key to try, never a reason to trust (the signature decides).
 * A signature covers the exact bytes of the signed file, nothing else.
 */
#ifndef HIVE_SIGKEY_H
#define HIVE_SIGKEY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/limits.h"

#define SIGKEY_PUB_LEN 32u
#define SIGKEY_SEED_LEN 32u
#define SIGKEY_SECRET_LEN 64u
#define SIGKEY_SIG_LEN 64u
#define SIGKEY_ID_BYTES 8u
#define SIGKEY_ID_LEN (2u * SIGKEY_ID_BYTES) /* hex characters */

#define SIGKEY_PUB_TAG "hive-ed25519-pub"
#define SIGKEY_KEY_TAG "hive-ed25519-key"
#define SIGKEY_SIG_TAG "hive-ed25519-sig"

struct sigkey_pub {
	uint8_t pk[SIGKEY_PUB_LEN];
	char id[SIGKEY_ID_LEN + 1];
	char comment[HIVE_KEY_COMMENT_MAX + 1];
};

struct sigkey {
	struct sigkey_pub pub;
	uint8_t seed[SIGKEY_SEED_LEN];
	uint8_t sk[SIGKEY_SECRET_LEN]; /* libsodium's seed || public key form */
};

/* A detached signature as read from a .sig file. */
struct sigkey_sig {
	char id[SIGKEY_ID_LEN + 1]; /* the signer's claimed key id: a hint */
	uint8_t sig[SIGKEY_SIG_LEN];
};

/* Make a fresh key pair with comment (may be NULL or ""). Returns 0 or -errno. */
int sigkey_generate(struct sigkey *k, const char *comment, struct err *err);
/* Forget the secret half. */
void sigkey_wipe(struct sigkey *k);
/* Write the secret key (0600) and the public key (0644), each atomically.
 * Either path may be NULL to skip it. Returns 0 or -errno. */
int sigkey_save(const struct sigkey *k, const char *keypath, const char *pubpath, struct err *err);
/* Read a secret key file. Refuses a file group or others can read.
 * Returns 0 or -errno (-EBADMSG when it is not a key file). */
int sigkey_load(struct sigkey *k, const char *path, struct err *err);
/* Read a public key file. */
int sigkey_pub_load(struct sigkey_pub *p, const char *path, struct err *err);
/* Parse one public key line (a trailing newline is allowed). */
int sigkey_pub_parse(struct sigkey_pub *p, const char *text, struct err *err);
/* The public key line with its newline into out. Returns the length or -ENOSPC. */
int sigkey_pub_format(const struct sigkey_pub *p, char *out, size_t cap);
/* The key id of pk into id (SIGKEY_ID_LEN + 1 bytes). */
void sigkey_id(const uint8_t pk[SIGKEY_PUB_LEN], char id[SIGKEY_ID_LEN + 1]);
/* 1 when s is a well-formed key id (16 lower-case hex digits). */
int sigkey_id_valid(const char *s);

/* Sign msg and write the signature line into out. Returns the length or -errno. */
int sigkey_sign(const struct sigkey *k, const void *msg, size_t n, char *out, size_t cap);
/* Parse one signature line (a trailing newline is allowed). Returns 0 or -EBADMSG. */
int sigkey_sig_parse(struct sigkey_sig *s, const char *text, struct err *err);
/* 0 when sig is pub's signature over msg, else -EBADMSG. */
int sigkey_verify(const struct sigkey_pub *pub, const void *msg, size_t n,
                  const uint8_t sig[SIGKEY_SIG_LEN]);

#endif
