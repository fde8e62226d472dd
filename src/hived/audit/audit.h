/*
 * audit.h — the audit chain's writer: a bounded queue the loop appends
 * records to, and one thread (the only one besides the loop) that encodes
 * them, chains them and group-commits them into segment files under
 * <state>/audit/ (one write and one fdatasync per batch).
 *
 * The loop assigns each record its seq as it queues it, so the caller
 * knows it before acting. A deny may act once its record is queued;
 * grants and spawns wait for durability (audit_wait_durable). When the
 * log cannot take a record (queue full, a write or fdatasync failed) the
 * append returns -errno: the enforcement point fails closed. Nothing is
 * dropped silently: refused appends are counted (audit_stats).
 *
 * Segments (trust/auditseg.h) each name their first seq and the chain
 * head before them. At open every segment is read back (the chain, the
 * Merkle compact range and the counts the checkpoints carry): a torn
 * tail of the last one is cut (and an AUDIT_RECOVERED record queued);
 * anything else that does not decode is reported and a new segment
 * begun, never repaired.
 *
 * Checkpoints (with opts.key): the loop queues a placeholder record of
 * type AUDIT_CHECKPOINT (audit_checkpoint, and by itself every
 * HIVE_AUDIT_CHECKPOINT_RECORDS records); the writer, which holds the
 * chain and tree at exactly that seq, signs and seals it there
 * (audit_ckpt_make) and persists the ratcheted seal key once the
 * checkpoint is durable. A segment grown past its size or age is closed
 * with a checkpoint and a ROTATE record (detail next=<seq>); the next
 * record begins a new segment.
 */
#ifndef HIVE_AUDIT_AUDIT_H
#define HIVE_AUDIT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "trust/auditckpt.h"
#include "trust/auditrec.h"
#include "lib/strbuf.h"

struct audit;

/* How a batch reaches the disk (the bench compares them; hived uses GROUP). */
enum audit_sync { AUDIT_SYNC_GROUP, AUDIT_SYNC_EACH, AUDIT_SYNC_NONE };

struct audit_opts {
	enum audit_sync sync;
	uint32_t queue_max;     /* 0: HIVE_AUDIT_QUEUE_MAX (tests use tiny ones) */
	uint32_t batch_max;     /* 0: HIVE_AUDIT_BATCH_MAX */
	uint64_t segment_bytes; /* 0: HIVE_AUDIT_ROTATE_BYTES */
	uint64_t segment_age_ms;/* 0: HIVE_AUDIT_SEGMENT_AGE_MS */
	uint32_t linger_us;     /* 0: HIVE_AUDIT_LINGER_US; UINT32_MAX: none */
	int hold;               /* tests: the writer takes nothing until audit_release */
	/* Signs checkpoints (the hive's key; NULL: no checkpoints). */
	const struct sigkey *key;
};

struct audit_stats {
	uint64_t next_seq;   /* records queued so far (the next seq) */
	uint64_t durable;    /* records durable: every seq below it */
	uint64_t refused;    /* appends refused (queue full or failing): never silent */
	uint64_t refused_deny; /* of them, deny records (a deny enforced without its record) */
	uint64_t batches, fsyncs, bytes; /* commits done, fdatasyncs, bytes written */
	uint64_t segments;   /* segments begun by this process */
	uint64_t seg_first;  /* first seq of the current segment */
	uint32_t queued;     /* in the queue now */
	int fail;            /* errno of the failing write or fdatasync, 0 when ok */
	uint8_t head[32];    /* chain head after the last durable record */
	char recovery[200];  /* what the open found ("clean", "torn-tail cut=N", "damaged ...") */
	uint64_t ckpt_size;  /* size of the last durable checkpoint, 0 none */
	int64_t ckpt_epoch;  /* its seal epoch, -1 none */
	uint64_t ckpts;      /* checkpoints the log holds */
};

/* Open (creating, mode 0700) the directory dir, recover its last segment,
 * start the writer. Returns 0 or -errno with err set. */
int audit_open(const char *dir, const struct audit_opts *opts, struct audit **out, struct err *err);
/* Drain the queue (every queued record is written), stop the writer,
 * close the segment. Safe on NULL. */
void audit_close(struct audit *a);

/* Queue r (seq and times set here) and return its seq, or -errno:
 * -ENOBUFS queue full, or the writer's failure (-ENOSPC, -EIO, -EFBIG...).
 * A deny (r->type AUDIT_DENY) may use the reserve and is queued even while
 * the writer fails, as long as there is room. Loop thread only. */
int64_t audit_append(struct audit *a, struct audit_rec *r);
/* Queue a checkpoint placeholder (the writer signs it in place) unless no
 * record came since the last. Its seq, 0 when none was due, or -errno
 * (-ENOKEY without opts.key, -ENOBUFS). Loop thread only. */
int64_t audit_checkpoint(struct audit *a);
/* The latest durable checkpoint notes, oldest first, into sb. */
void audit_checkpoints(struct audit *a, struct strbuf *sb);
/* 0 when appends are taken, else the -errno an append would get now. */
int audit_ok(struct audit *a);
/* Block until seq is durable, at most timeout_ms: 0, -ETIMEDOUT, or the
 * writer's failure. A short blocking wait on the loop thread, bounded by
 * the caller (HIVE_AUDIT_DURABLE_WAIT_MS): only grants and spawns wait. */
int audit_wait_durable(struct audit *a, uint64_t seq, uint32_t timeout_ms);
/* The eventfd the writer signals after each commit or failure (the loop
 * watches it for EPOLLIN; audit_ack reads it). */
int audit_event_fd(const struct audit *a);
void audit_ack(struct audit *a);
void audit_stats(struct audit *a, struct audit_stats *st);
/* A failure's word for rows and /proc/status: "queue-full" (ENOBUFS),
 * "enospc", "eio", "efbig", ... ("errno-N" for the rest). */
const char *audit_reason(int err);
/* The directory the segments live in. */
const char *audit_dir(const struct audit *a);
/* Tests: let a writer opened with opts.hold take records. */
void audit_release(struct audit *a);

#endif
