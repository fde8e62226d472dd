/*
 * sched.c — the broker's scheduler (see sched.h).
 *
 * Tenants live in a fixed table; a tenant's queued requests sit in per-AID
 * queues (taken from a pool of queue_max: an AID queue exists only while
 * it holds a request) on a ring the tenant serves round robin. A request
 * is linked through its own priv[] words, so submit and dispatch never
 * allocate:
 *   priv[0], priv[1]  next and previous in its AID queue
 *   priv[2]           its AID queue while queued, its tenant in flight
 *   priv[3]           (output tokens charged << 2) | state
 * Counters are in cost x SQ_SCALE / weight, so every weight in
 * 1..HIVE_QUOTA_CPU_WEIGHT_MAX divides evenly enough; buckets in tokens x
 * SQ_NS_PER_MIN, so a refill is elapsed ns x tokens per minute, exactly.
 */
#include "sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQ_SCALE ((uint64_t)HIVE_QUOTA_CPU_WEIGHT_MAX)
#define SQ_NS_PER_MIN 60000000000ull
#define SQ_NS_PER_MS 1000000ull
#define SQ_DEBT_MAX (-(int64_t)(4ull * HIVE_SCHED_REQUEST_TOKENS_MAX * SQ_NS_PER_MIN))

enum { SQ_IDLE = 0, SQ_QUEUED = 1, SQ_INFLIGHT = 2 };

struct sq_tenant;

struct sq_aid {
	char aid[HIVE_AID_MAX + 1];
	struct sq_tenant *t;         /* NULL: in the free pool */
	struct sched_req *head, *tail;
	struct sq_aid *next, *prev;  /* the tenant's ring, or the free list (next) */
};

struct sq_tenant {
	char name[HIVE_MANIFEST_NAME_MAX + 1];
	int used, set;               /* slot taken; settings given by sched_tenant_set */
	uint32_t weight;             /* 0: refused */
	uint64_t budget, burst;      /* tokens per minute and bucket size; budget 0: unlimited */
	int64_t level;               /* tokens x SQ_NS_PER_MIN; below 0 after a request bigger than the burst */
	uint64_t refilled_ns;
	uint64_t submitted_ns;        /* its last request queued; 0: none yet */
	uint64_t vtc, vtc_rem;        /* the counter and what the weight did not divide yet */
	uint32_t queued, inflight;
	uint64_t tokens, requests, refused;
	struct sq_aid *ring;         /* AIDs with queued requests; the next one served first */
};

struct sched {
	int fifo;
	struct sched_cfg cfg;
	uint32_t queued, inflight;
	uint64_t floor;              /* the highest counter a dispatch was made at: where a tenant starts when none is active */
	struct sq_tenant tenants[HIVE_SCHED_TENANTS_MAX];
	struct sq_aid *free_aids;
	struct sq_aid *aids;         /* the pool, cfg.queue_max of them */
};

/* --- a request's private words ------------------------------------------- */

static int rq_state(const struct sched_req *r) { return (int)((uintptr_t)r->priv[3] & 3u); }
static uint32_t rq_out(const struct sched_req *r) { return (uint32_t)((uintptr_t)r->priv[3] >> 2); }
static void rq_mark(struct sched_req *r, int state, uint32_t out)
{
	r->priv[3] = (void *)(((uintptr_t)out << 2) | (uintptr_t)state);
}

static uint64_t rq_tokens(uint32_t n)
{
	return n > HIVE_SCHED_REQUEST_TOKENS_MAX ? HIVE_SCHED_REQUEST_TOKENS_MAX : n;
}

/* What admission reserves of the bucket: prompt + max_tokens. */
static uint64_t rq_reserve(const struct sched_req *r)
{
	return rq_tokens(r->prompt_tokens) + rq_tokens(r->max_tokens);
}

/* --- new, free ------------------------------------------------------------ */

static struct sched *sched_make(const struct sched_cfg *cfg, int fifo)
{
	if (!cfg || !cfg->engine_slots || cfg->engine_slots > HIVE_SCHED_ENGINE_SLOTS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	struct sched *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fifo = fifo;
	s->cfg = *cfg;
	if (!s->cfg.queue_max || s->cfg.queue_max > HIVE_SCHED_QUEUE_MAX)
		s->cfg.queue_max = HIVE_SCHED_QUEUE_MAX;
	if (!s->cfg.tenant_queue_max || s->cfg.tenant_queue_max > HIVE_SCHED_TENANT_QUEUE_MAX)
		s->cfg.tenant_queue_max = HIVE_SCHED_TENANT_QUEUE_MAX;
	if (s->cfg.tenant_queue_max > s->cfg.queue_max)
		s->cfg.tenant_queue_max = s->cfg.queue_max;
	if (!s->cfg.retry_after_ms)
		s->cfg.retry_after_ms = HIVE_SCHED_RETRY_AFTER_MS;
	s->aids = calloc(s->cfg.queue_max, sizeof *s->aids);
	if (!s->aids) {
		free(s);
		return NULL;
	}
	for (uint32_t i = s->cfg.queue_max; i-- > 0;) {
		s->aids[i].next = s->free_aids;
		s->free_aids = &s->aids[i];
	}
	return s;
}

struct sched *sched_new(const struct sched_cfg *cfg)
{
	return sched_make(cfg, 0);
}

struct sched *sched_new_fifo(const struct sched_cfg *cfg)
{
	return sched_make(cfg, 1);
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	free(s->aids);
	free(s);
}

uint32_t sched_queued(const struct sched *s)
{
	return s->queued;
}

uint32_t sched_inflight(const struct sched *s)
{
	return s->inflight;
}

/* --- tenants --------------------------------------------------------------- */

static int name_ok(const char *name)
{
	size_t n = name ? strnlen(name, HIVE_MANIFEST_NAME_MAX + 1) : 0;
	return n > 0 && n <= HIVE_MANIFEST_NAME_MAX;
}

static struct sq_tenant *tenant_find(const struct sched *s, const char *name)
{
	for (size_t i = 0; i < HIVE_SCHED_TENANTS_MAX; i++)
		if (s->tenants[i].used && strcmp(s->tenants[i].name, name) == 0)
			return (struct sq_tenant *)&s->tenants[i];
	return NULL;
}

/* The tenant's slot, made with the defaults if new. A slot of a tenant
 * never set and with no work is taken over when the table is full: it
 * holds nothing but counts. NULL when every slot is held. */
static struct sq_tenant *tenant_get(struct sched *s, const char *name)
{
	struct sq_tenant *t = tenant_find(s, name), *spare = NULL;
	if (t)
		return t;
	for (size_t i = 0; i < HIVE_SCHED_TENANTS_MAX && !spare; i++)
		if (!s->tenants[i].used)
			spare = &s->tenants[i];
	for (size_t i = 0; i < HIVE_SCHED_TENANTS_MAX && !spare; i++) {
		struct sq_tenant *o = &s->tenants[i];
		if (!o->set && !o->queued && !o->inflight)
			spare = o;
	}
	if (!spare)
		return NULL;
	memset(spare, 0, sizeof *spare);
	spare->used = 1;
	snprintf(spare->name, sizeof spare->name, "%s", name);
	spare->weight = HIVE_SCHED_WEIGHT_DEFAULT;
	return spare;
}

static int64_t bucket_cap(const struct sq_tenant *t)
{
	return (int64_t)(t->burst * SQ_NS_PER_MIN);
}

static void bucket_refill(struct sq_tenant *t, uint64_t now_ns)
{
	if (!t->budget)
		return;
	uint64_t elapsed = now_ns > t->refilled_ns ? now_ns - t->refilled_ns : 0;
	t->refilled_ns = now_ns > t->refilled_ns ? now_ns : t->refilled_ns;
	int64_t cap = bucket_cap(t);
	if (t->level >= cap)
		return;
	uint64_t room = (uint64_t)(cap - t->level);
	/* elapsed x budget overflows only past room, so compare first. */
	if (elapsed >= room / t->budget)
		t->level = cap;
	else
		t->level += (int64_t)(elapsed * t->budget);
}

int sched_tenant_set(struct sched *s, const char *tenant, uint32_t weight, uint64_t budget_per_min,
                     uint64_t burst, uint64_t now_ns)
{
	if (!name_ok(tenant) || weight > HIVE_QUOTA_CPU_WEIGHT_MAX ||
	    budget_per_min > HIVE_QUOTA_TOKENS_PER_MINUTE_MAX || burst > HIVE_QUOTA_TOKENS_PER_MINUTE_MAX)
		return -EINVAL;
	struct sq_tenant *t = tenant_get(s, tenant);
	if (!t)
		return -ENOSPC;
	bucket_refill(t, now_ns);
	int was_limited = t->budget != 0;
	t->set = 1;
	t->weight = weight;
	t->budget = budget_per_min;
	t->burst = budget_per_min ? (burst ? burst : budget_per_min) : 0;
	t->refilled_ns = now_ns;
	if (!was_limited || t->level > bucket_cap(t))
		t->level = bucket_cap(t);
	return 0;
}

int sched_tenant_stats(const struct sched *s, const char *tenant, struct sched_tenant_stats *st)
{
	const struct sq_tenant *t = name_ok(tenant) ? tenant_find(s, tenant) : NULL;
	memset(st, 0, sizeof *st);
	if (!t)
		return -ENOENT;
	st->tokens = t->tokens;
	st->requests = t->requests;
	st->refused = t->refused;
	st->queued = t->queued;
	st->inflight = t->inflight;
	st->vtc = t->vtc / (SQ_SCALE / HIVE_SCHED_WEIGHT_DEFAULT); /* never overflows, unlike x 100 / 10000 */
	return 0;
}

/* Weighted cost: the counter advances by cost / weight. */
static void charge(struct sq_tenant *t, uint64_t cost)
{
	uint32_t w = t->weight ? t->weight : 1; /* weight 0 set while in flight */
	uint64_t num = cost * SQ_SCALE + t->vtc_rem;
	t->vtc += num / w;
	t->vtc_rem = num % w;
}

/* --- queues ----------------------------------------------------------------- */

static struct sq_aid *aid_get(struct sched *s, struct sq_tenant *t, const char *aid)
{
	struct sq_aid *a = t->ring;
	if (a)
		do {
			if (strcmp(a->aid, aid) == 0)
				return a;
			a = a->next;
		} while (a != t->ring);
	a = s->free_aids; /* never empty: fewer AID queues than queued requests */
	s->free_aids = a->next;
	memset(a, 0, sizeof *a);
	a->t = t;
	snprintf(a->aid, sizeof a->aid, "%s", aid);
	/* Join the ring just before the one served next: last in this round. */
	if (!t->ring) {
		a->next = a->prev = a;
		t->ring = a;
	} else {
		a->next = t->ring;
		a->prev = t->ring->prev;
		a->prev->next = a;
		t->ring->prev = a;
	}
	return a;
}

static void aid_put(struct sched *s, struct sq_aid *a)
{
	struct sq_tenant *t = a->t;
	if (a->next == a) {
		t->ring = NULL;
	} else {
		a->prev->next = a->next;
		a->next->prev = a->prev;
		if (t->ring == a)
			t->ring = a->next;
	}
	a->t = NULL;
	a->next = s->free_aids;
	s->free_aids = a;
}

/* Take r out of its AID queue (which goes back to the pool if emptied). */
static void unqueue(struct sched *s, struct sched_req *r)
{
	struct sq_aid *a = r->priv[2];
	struct sched_req *prev = r->priv[1], *next = r->priv[0];
	if (prev)
		prev->priv[0] = next;
	else
		a->head = next;
	if (next)
		next->priv[1] = prev;
	else
		a->tail = prev;
	a->t->queued--;
	s->queued--;
	if (!a->head)
		aid_put(s, a);
}

static int tenant_active(const struct sq_tenant *t)
{
	return t->used && (t->queued || t->inflight);
}

enum sched_verdict sched_submit(struct sched *s, struct sched_req *r, uint64_t now_ns, uint64_t *retry_after_ms)
{
	uint64_t retry = 0;
	enum sched_verdict v = SCHED_QUEUED;
	struct sq_tenant *t = name_ok(r->tenant) && memchr(r->aid, '\0', sizeof r->aid) ? tenant_get(s, r->tenant) : NULL;
	memset(r->priv, 0, sizeof r->priv);
	if (!t) {
		v = SCHED_REFUSED_QUEUE_FULL;
		retry = s->cfg.retry_after_ms;
		goto out;
	}
	if (!t->weight) {
		v = SCHED_REFUSED_WEIGHT0;
		retry = s->cfg.retry_after_ms;
	} else if (s->queued >= s->cfg.queue_max || t->queued >= s->cfg.tenant_queue_max) {
		v = SCHED_REFUSED_QUEUE_FULL;
		retry = s->cfg.retry_after_ms;
	} else if (t->budget) {
		bucket_refill(t, now_ns);
		/* A request bigger than the burst passes when the bucket is full. */
		uint64_t need = rq_reserve(r) < t->burst ? rq_reserve(r) : t->burst;
		int64_t want = (int64_t)(need * SQ_NS_PER_MIN);
		if (t->level < want) {
			uint64_t ns = ((uint64_t)(want - t->level) + t->budget - 1) / t->budget;
			v = SCHED_REFUSED_BUDGET;
			retry = (ns + SQ_NS_PER_MS - 1) / SQ_NS_PER_MS;
		} else {
			t->level -= (int64_t)(rq_reserve(r) * SQ_NS_PER_MIN);
		}
	}
	if (v != SCHED_QUEUED) {
		t->refused++;
		goto out;
	}
	if (!tenant_active(t) && !s->fifo) {
		/* Back from idle: no credit for the time away. With nobody
		 * active the floor stands in for the others, or a tenant that
		 * had the engine alone would owe its whole past to the next. */
		uint64_t min = UINT64_MAX;
		for (size_t i = 0; i < HIVE_SCHED_TENANTS_MAX; i++)
			if (&s->tenants[i] != t && tenant_active(&s->tenants[i]) && s->tenants[i].vtc < min)
				min = s->tenants[i].vtc;
		min = min == UINT64_MAX ? s->floor : min;
		if (t->vtc < min)
			t->vtc = min;
	}
	struct sq_aid *a = aid_get(s, t, r->aid);
	r->enqueued_ns = now_ns;
	t->submitted_ns = now_ns ? now_ns : 1;
	r->priv[1] = a->tail;
	r->priv[2] = a;
	rq_mark(r, SQ_QUEUED, 0);
	if (a->tail)
		a->tail->priv[0] = r;
	else
		a->head = r;
	a->tail = r;
	t->queued++;
	s->queued++;
out:
	if (retry_after_ms)
		*retry_after_ms = retry;
	return v;
}

/* FIFO: the oldest head over every AID queue (ties by id). */
static struct sched_req *pick_fifo(struct sched *s)
{
	struct sched_req *best = NULL;
	for (uint32_t i = 0; i < s->cfg.queue_max; i++) {
		const struct sched_req *h = s->aids[i].t ? s->aids[i].head : NULL;
		if (h && (!best || h->enqueued_ns < best->enqueued_ns ||
		          (h->enqueued_ns == best->enqueued_ns && h->id < best->id)))
			best = (struct sched_req *)h;
	}
	return best;
}

/* Is the one free slot kept? While a tenant with nothing in flight has
 * called lately: it may call again. Otherwise (a tenant alone, or the
 * quiet ones long gone) holding it back would only idle the engine. */
static int slot_kept(const struct sched *s, uint64_t now_ns)
{
	if (s->cfg.engine_slots < 2 || s->inflight + 1 < s->cfg.engine_slots)
		return 0;
	for (size_t i = 0; i < HIVE_SCHED_TENANTS_MAX; i++) {
		const struct sq_tenant *t = &s->tenants[i];
		if (t->used && !t->inflight && t->submitted_ns &&
		    t->submitted_ns + (uint64_t)HIVE_SCHED_KEEP_SLOT_MS * SQ_NS_PER_MS >= now_ns)
			return 1;
	}
	return 0;
}

/* Fair: the backlogged tenant with the smallest counter (ties: fewer in
 * flight, then table order); only tenants with nothing in flight when
 * just the kept slot is free. Its next AID in the ring gives the request. */
static struct sched_req *pick_fair(struct sched *s, uint64_t now_ns)
{
	int kept_only = slot_kept(s, now_ns);
	struct sq_tenant *best = NULL;
	for (size_t i = 0; i < HIVE_SCHED_TENANTS_MAX; i++) {
		struct sq_tenant *t = &s->tenants[i];
		if (!t->used || !t->queued || (kept_only && t->inflight))
			continue;
		if (!best || t->vtc < best->vtc || (t->vtc == best->vtc && t->inflight < best->inflight))
			best = t;
	}
	if (!best)
		return NULL;
	struct sq_aid *a = best->ring;
	best->ring = a->next; /* round robin over the tenant's agents */
	return a->head;
}

struct sched_req *sched_next(struct sched *s, uint64_t now_ns)
{
	if (s->inflight >= s->cfg.engine_slots || !s->queued)
		return NULL;
	struct sched_req *r = s->fifo ? pick_fifo(s) : pick_fair(s, now_ns);
	if (!r)
		return NULL;
	struct sq_tenant *t = ((struct sq_aid *)r->priv[2])->t;
	unqueue(s, r);
	r->priv[0] = r->priv[1] = NULL;
	r->priv[2] = t;
	rq_mark(r, SQ_INFLIGHT, 0);
	t->inflight++;
	s->inflight++;
	if (t->vtc > s->floor)
		s->floor = t->vtc;
	charge(t, rq_tokens(r->prompt_tokens));
	return r;
}

void sched_progress(struct sched *s, struct sched_req *r, uint32_t output_tokens, uint64_t now_ns)
{
	if (rq_state(r) != SQ_INFLIGHT)
		return;
	uint32_t out = (uint32_t)rq_tokens(output_tokens);
	if (out <= rq_out(r))
		return;
	charge(r->priv[2], 2u * (uint64_t)(out - rq_out(r)));
	rq_mark(r, SQ_INFLIGHT, out);
}

/* r leaves: its slot, its tokens counted, the budget squared with what it used. */
static void finish(struct sched *s, struct sched_req *r, int served)
{
	struct sq_tenant *t = r->priv[2];
	uint64_t used = rq_tokens(r->prompt_tokens) + rq_out(r);
	t->inflight--;
	s->inflight--;
	t->tokens += used;
	t->requests += served ? 1u : 0u;
	if (t->budget) {
		int64_t back = (int64_t)rq_reserve(r) - (int64_t)used; /* below 0: it ran past max_tokens */
		t->level += back * (int64_t)SQ_NS_PER_MIN;
		/* Requests that all ran far past max_tokens: a debt of two
		 * requests is as deep as the bucket goes, so it never wraps. */
		if (t->level < SQ_DEBT_MAX)
			t->level = SQ_DEBT_MAX;
		if (t->level > bucket_cap(t))
			t->level = bucket_cap(t);
	}
}

void sched_done(struct sched *s, struct sched_req *r, uint64_t now_ns)
{
	if (rq_state(r) == SQ_QUEUED) {
		sched_cancel(s, r, now_ns);
		return;
	}
	if (rq_state(r) == SQ_INFLIGHT)
		finish(s, r, 1);
	memset(r->priv, 0, sizeof r->priv);
}

void sched_cancel(struct sched *s, struct sched_req *r, uint64_t now_ns)
{
	if (rq_state(r) == SQ_QUEUED) {
		struct sq_tenant *t = ((struct sq_aid *)r->priv[2])->t;
		unqueue(s, r);
		if (t->budget) {
			t->level += (int64_t)(rq_reserve(r) * SQ_NS_PER_MIN);
			if (t->level > bucket_cap(t))
				t->level = bucket_cap(t);
		}
	} else if (rq_state(r) == SQ_INFLIGHT) {
		finish(s, r, 0);
	}
	memset(r->priv, 0, sizeof r->priv);
}
