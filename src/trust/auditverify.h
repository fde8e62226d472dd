/*
 * auditverify.h — the offline verifier of an audit log: walks the segments
 * of an audit/ directory and checks every byte it can (docs/audit-format.md
 * §6), stopping at the first failure with a verdict that names its class.
 *
 * What it proves with only the public key: every frame canonical, seqs
 * contiguous, the chain recomputed and each segment linked to the one
 * before, each checkpoint's size, root, chain head and counts equal to the
 * records before it and signed by the key. With K0 it also checks every
 * seal, and that the seal state beside the log has not moved past the
 * last checkpoint (which a cut of whole checkpoints would leave). With a
 * checkpoint held elsewhere (--from) it proves the log still holds that
 * history and has not been cut below it. A cut after the last checkpoint
 * is not provable from the files alone: it is reported as the unsealed
 * tail (records after the last checkpoint), never called sealed.
 */
#ifndef HIVE_AUDITVERIFY_H
#define HIVE_AUDITVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "auditckpt.h"
#include "auditrec.h"
#include "lib/err.h"
#include "sigkey.h"

/* Each verdict is also `hive audit verify`'s exit status (2 is its usage error). */
enum audit_verdict {
	AV_OK = 0,
	AV_TORN_TAIL = 1,     /* verifies; the last frame is torn (a crash); the daemon cuts it */
	AV_NO_LOG = 3,        /* no audit directory or no segment in it */
	AV_IO = 4,            /* a segment could not be read */
	AV_BAD_HEADER = 5,    /* a segment header is not one */
	AV_BAD_FRAME = 6,     /* a frame fails its checksum or is not canonical */
	AV_GAP = 7,           /* a seq is missing: a record deleted */
	AV_REORDER = 8,       /* records out of order */
	AV_DUPLICATE = 9,     /* a record repeated */
	AV_CHAIN_BREAK = 10,  /* a chain head (checkpoint or segment link) differs */
	AV_CKPT_MALFORMED = 11,
	AV_CKPT_MISMATCH = 12,/* a checkpoint's size, root or counts differ from the records */
	AV_BAD_SIGNATURE = 13,
	AV_EQUIVOCATION = 14, /* the log and a held checkpoint of one size differ */
	AV_SEAL = 15,         /* a seal does not verify with K0 */
	AV_EPOCH = 16,        /* checkpoint epochs not 0, 1, 2, ... */
	AV_MISSING_SEGMENT = 17,
	AV_SEGMENT_ORDER = 18,/* a segment's name and header disagree, or segments overlap */
	AV_SEGMENT_CUT = 19,  /* a closed segment ends early: cut or rolled back */
	AV_TRUNCATED = 20,    /* the log ends before a checkpoint known to exist */
	AV_NO_CHECKPOINT = 21,/* records but no checkpoint: nothing is signed */
	AV_BAD_PROOF = 22,    /* an inclusion proof does not match its checkpoint */
};

struct audit_verify_opts {
	const char *dir;                 /* the audit/ directory */
	const struct sigkey_pub *pub;    /* the hive's public key */
	const struct audit_ckpt *from;   /* a checkpoint held elsewhere, or NULL */
	const uint8_t *k0;               /* AUDIT_SEAL_KEY_LEN bytes, or NULL */
	/* Called for each record that verified so far (in order); nonzero stops the walk. */
	int (*each)(void *arg, const struct audit_rec *r, const uint8_t *frame, size_t n);
	void *arg;
};

struct audit_verify_result {
	enum audit_verdict verdict;
	uint64_t records;       /* records read and chained */
	uint64_t segments;
	uint64_t checkpoints;
	uint64_t unsealed;      /* records after the last checkpoint */
	uint64_t torn_bytes;
	uint64_t at_seq;        /* where a failure was found */
	int seals_checked;      /* 1 when K0 was given and every seal verified */
	int seal_state_checked; /* 1 when the seal file matched the last epoch */
	int have_last;
	struct audit_ckpt last; /* the last checkpoint that verified */
	char segment[64];      /* the segment file where it was found */
	struct err err;         /* the reason, naming the record or segment */
};

enum audit_verdict audit_verify(const struct audit_verify_opts *o, struct audit_verify_result *res);
const char *audit_verdict_name(enum audit_verdict v);

/* Check an inclusion proof: frame at seq in the tree of checkpoint c.
 * AV_OK or AV_BAD_PROOF. */
enum audit_verdict audit_proof_check(const struct audit_ckpt *c, uint64_t seq, const uint8_t *frame,
                                     size_t n, const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len);

#endif
