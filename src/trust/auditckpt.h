/*
 * auditckpt.h — signed checkpoints of the audit log and the forward-secure
 * seal ratchet (docs/audit-format.md §4, §5).
 *
 * A checkpoint is a text note in the spirit of C2SP tlog-checkpoint:
 *
 *   <origin>\n
 *   <size>\n
 *   <base64 Merkle root of records [0, size)>\n
 *   chain <hex h_{size-1}>\n            (32 zero bytes when size is 0)
 *   time <wall ns>\n
 *   counts attach=N refuse=N ... event=N\n   (records of each type in [0, size))
 *   results ok=N deny=N fail=N info=N\n
 *   seal <epoch> <hex keyed-BLAKE3 MAC>\n
 *   \n
 *   — <origin> <base64(4-byte key hint || 64-byte Ed25519 signature)>\n
 *
 * The signature covers the body (every line before the blank one, newlines
 * included); the hint is the first 4 bytes of the key id (BLAKE3 of the
 * public key). The checkpoint is then itself a record (AUDIT_CHECKPOINT,
 * result info, seq = size, the note as detail), covered by the next one.
 *
 * Seals: the epoch of a checkpoint is its index among the log's
 * checkpoints (0, 1, 2, ...). key_0 = K0, printed once at setup;
 * key_{e+1} = BLAKE3-derive_key("hive audit seal ratchet v1", key_e), and
 * the writer erases key_e once checkpoint e is sealed. The seal is
 * keyed-BLAKE3(key_e, "hive-audit-seal-v1" || u64le epoch || u64le size ||
 * chain head || root): who holds only a later key cannot seal epoch e.
 */
#ifndef HIVE_AUDITCKPT_H
#define HIVE_AUDITCKPT_H

#include <stddef.h>
#include <stdint.h>

#include "auditrec.h"
#include "lib/err.h"
#include "merkle.h"
#include "sigkey.h"

#define AUDIT_ORIGIN_MAX 128u
#define AUDIT_SEAL_KEY_LEN 32u
#define AUDIT_SEAL_CONTEXT "hive audit seal ratchet v1"
#define AUDIT_SEAL_TAG "hive-audit-seal-v1"
/* The seal state line: "hive-audit-seal <epoch> <hex key>\n". */
#define AUDIT_SEAL_LINE_TAG "hive-audit-seal"
#define AUDIT_SEAL_LINE_MAX 128u

struct audit_ckpt {
	char origin[AUDIT_ORIGIN_MAX + 1]; /* printable ASCII, no space, no '+' */
	uint64_t size;
	uint8_t root[AUDIT_HASH_LEN];
	uint8_t head[AUDIT_HASH_LEN];
	uint64_t time_ns;
	uint64_t counts[AUDIT_TYPES];
	uint64_t results[AUDIT_RESULTS];
	uint64_t epoch;
	uint8_t seal[AUDIT_HASH_LEN];
	uint8_t hint[4];
	uint8_t sig[SIGKEY_SIG_LEN];
	size_t body_len; /* bytes of the signed body within the note */
};

/* The seal ratchet's state: the key of the next checkpoint's epoch. */
struct audit_seal {
	uint64_t epoch;
	uint8_t key[AUDIT_SEAL_KEY_LEN];
};

/* What a writer (and the verifier, replaying) keeps of the log so far:
 * the next seq, the chain head, the compact range and the counts. */
struct audit_acc {
	uint64_t next_seq;
	uint8_t head[AUDIT_HASH_LEN];
	struct merkle_range tree;
	uint64_t counts[AUDIT_TYPES];
	uint64_t results[AUDIT_RESULTS];
};

void audit_acc_init(struct audit_acc *a);
/* Take record r (already encoded as frame[0..n), r->seq == a->next_seq). */
void audit_acc_add(struct audit_acc *a, const struct audit_rec *r, const uint8_t *frame, size_t n);
/* A checkpoint of everything taken so far (size, root, head, counts) for
 * audit_ckpt_make; origin and time as given. */
void audit_acc_ckpt(const struct audit_acc *a, const char *origin, uint64_t time_ns, struct audit_ckpt *c);

/* "hive-audit/<key id>": the origin a hive names its log by. */
void audit_ckpt_origin(const struct sigkey_pub *pub, char out[AUDIT_ORIGIN_MAX + 1]);
/* The signed body of c into out; its length or -ENOSPC / -EINVAL (bad origin). */
int audit_ckpt_body(const struct audit_ckpt *c, char *out, size_t cap);
/* The whole note (body, blank line, signature line) of a signed c; length or -errno. */
int audit_ckpt_note(const struct audit_ckpt *c, char *out, size_t cap);
/* Parse a note strictly: it must be exactly what audit_ckpt_note writes.
 * 0 or -EBADMSG; err says which line. */
int audit_ckpt_parse(const char *note, size_t n, struct audit_ckpt *c, struct err *err);
/* 0 when c's signature is pub's over its body, else -EBADMSG (err: wrong key or bad signature). */
int audit_ckpt_verify(const struct audit_ckpt *c, const struct sigkey_pub *pub, struct err *err);

/* Seal c (c->epoch = s->epoch), sign it with k, write its record into rec
 * (seq = c->size, wall_ns = c->time_ns, mono_ns given), then ratchet s and
 * erase the spent key. 0 or -errno. */
int audit_ckpt_make(struct audit_ckpt *c, struct audit_seal *s, const struct sigkey *k,
                    uint64_t mono_ns, struct audit_rec *rec, struct err *err);

/* The seal MAC of c under key. */
void audit_seal_mac(const uint8_t key[AUDIT_SEAL_KEY_LEN], const struct audit_ckpt *c,
                    uint8_t out[AUDIT_HASH_LEN]);
/* One ratchet step: next = derive_key(AUDIT_SEAL_CONTEXT, key); key is wiped. */
void audit_seal_step(struct audit_seal *s);
/* A fresh K0 at epoch 0 (from the system's CSPRNG). */
int audit_seal_init(struct audit_seal *s);
/* "hive-audit-seal <epoch> <hex key>\n" and back (a bare 64-hex key reads as epoch 0). */
int audit_seal_format(const struct audit_seal *s, char *out, size_t cap);
int audit_seal_parse(const char *text, struct audit_seal *s, struct err *err);
void audit_seal_wipe(struct audit_seal *s);

#endif
