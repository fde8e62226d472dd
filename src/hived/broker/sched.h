/*
 * sched.h — the inference broker's scheduler: which queued request goes
 * to the engine next. Pure: no I/O, no clock reads (every call is given
 * the time in ns), no threads, no allocation after sched_new.
 *
 * Fair discipline (sched_new): per-tenant queues, per-AID queues inside a
 * tenant served round robin; among tenants the virtual token counter
 * (VTC, Sheng et al., OSDI'24): the backlogged tenant with the smallest
 * counter is served next; a request costs prompt + 2 x output tokens,
 * charged as it runs (the prompt when sent, each output token as
 * sched_progress reports it) and divided by the tenant's weight; a tenant
 * coming back from idle is lifted to the smallest counter of the active
 * tenants, so idle time is not banked. The engine's in-flight count is
 * held at engine_slots and the last free slot is kept for tenants with
 * nothing in flight (while one of them called within
 * HIVE_SCHED_KEEP_SLOT_MS): a light tenant never waits for a flooder's
 * request to finish. Admission: bounded queues (all tenants, one tenant) and a
 * per-tenant token bucket (tokens per minute with a burst; a request
 * reserves prompt + max_tokens at submit and gets back what it did not
 * use when done); weight 0 is refused.
 *
 * FIFO discipline (sched_new_fifo): the same admission, served in order
 * of submission, no reserved slot: the baseline of tests and benchmarks.
 */
#ifndef HIVE_SCHED_H
#define HIVE_SCHED_H

#include <stdint.h>

#include "lib/limits.h"

struct sched;

struct sched_cfg {
	uint32_t engine_slots;     /* requests in flight at the engine at most (1..HIVE_SCHED_ENGINE_SLOTS_MAX) */
	uint32_t queue_max;        /* queued requests, all tenants (0: HIVE_SCHED_QUEUE_MAX, at most that) */
	uint32_t tenant_queue_max; /* queued requests of one tenant (0: HIVE_SCHED_TENANT_QUEUE_MAX) */
	uint64_t retry_after_ms;   /* what a refusal for a full queue says (0: HIVE_SCHED_RETRY_AFTER_MS) */
};

struct sched_req { /* caller-owned; the scheduler keeps a pointer until done/cancel */
	uint64_t id;       /* FIFO breaks ties of enqueued_ns by it: give increasing ids */
	char tenant[HIVE_MANIFEST_NAME_MAX + 1];
	char aid[HIVE_AID_MAX + 1];
	uint32_t prompt_tokens;
	uint32_t max_tokens;  /* output tokens asked for */
	uint64_t enqueued_ns; /* set by sched_submit */
	/* private to sched: */
	void *priv[4];
};

enum sched_verdict { SCHED_QUEUED, SCHED_REFUSED_QUEUE_FULL, SCHED_REFUSED_BUDGET, SCHED_REFUSED_WEIGHT0 };

/* NULL with errno EINVAL (engine_slots 0 or above the limit) or ENOMEM. */
struct sched *sched_new(const struct sched_cfg *cfg);
/* A FIFO discipline with the same API, for the baseline in tests and benchmarks. */
struct sched *sched_new_fifo(const struct sched_cfg *cfg);
/* Requests still queued or in flight are forgotten (they are the caller's). */
void sched_free(struct sched *s);

/* Tenant settings: weight (0 = refused; 1..HIVE_QUOTA_CPU_WEIGHT_MAX, 100
 * is a tenant never set), token budget per minute and burst (0 budget =
 * unlimited; 0 burst = one minute's budget). The bucket starts full and
 * keeps its level (cut to the new burst) when changed. 0, -EINVAL (weight
 * or budget out of range, not a tenant name) or -ENOSPC
 * (HIVE_SCHED_TENANTS_MAX tenants with settings or work). */
int sched_tenant_set(struct sched *s, const char *tenant, uint32_t weight, uint64_t budget_per_min,
                     uint64_t burst, uint64_t now_ns);

/* Queue a request (r neither queued nor in flight); on a refusal
 * *retry_after_ms (may be NULL) says when to come back: the queue's
 * retry_after_ms when full or for weight 0, else when the bucket holds
 * enough. An unknown tenant gets the defaults; with the tenant table full
 * the refusal is SCHED_REFUSED_QUEUE_FULL. Weight 0 refuses new requests;
 * those it finds queued are still served (cancel them to drop them). */
enum sched_verdict sched_submit(struct sched *s, struct sched_req *r, uint64_t now_ns, uint64_t *retry_after_ms);
/* The next request to send to the engine, or NULL (engine full, nothing
 * queued, or only the kept slot is free and every queued tenant has
 * something in flight). Call until NULL after every submit and done. */
struct sched_req *sched_next(struct sched *s, uint64_t now_ns);
/* Output tokens streamed for r so far (a running total; charged as they
 * stream at 2 per token). Call it with the final count before sched_done. */
void sched_progress(struct sched *s, struct sched_req *r, uint32_t output_tokens, uint64_t now_ns);
/* r finished: frees its slot and gives the budget back what max_tokens
 * reserved but r did not use (an early stop). */
void sched_done(struct sched *s, struct sched_req *r, uint64_t now_ns);
/* r cancelled while queued (all its reservation given back) or in flight
 * (as sched_done, not counted as a request served). */
void sched_cancel(struct sched *s, struct sched_req *r, uint64_t now_ns);

struct sched_tenant_stats {
	uint64_t tokens;   /* prompt + output tokens served */
	uint64_t requests; /* requests done */
	uint64_t refused;  /* submits refused */
	uint32_t queued, inflight;
	uint64_t vtc;      /* the virtual token counter, in cost units at weight 100 */
};
/* 0 or -ENOENT (a tenant the scheduler does not know). */
int sched_tenant_stats(const struct sched *s, const char *tenant, struct sched_tenant_stats *st);

/* Additions beyond the broker contract. */
/* Requests queued and in flight, all tenants. */
uint32_t sched_queued(const struct sched *s);
uint32_t sched_inflight(const struct sched *s);

#endif
