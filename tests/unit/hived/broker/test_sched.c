/*
 * test_sched.c — the broker's scheduler, call by call: the engine held at
 * its slots with one kept for tenants with nothing in flight, the virtual
 * token counter (weights, the lift after idle, charging as tokens
 * stream), round robin over a tenant's agents, bounded queues, token
 * budgets with burst and refunds, weight 0, cancel, FIFO order, and the
 * VTC bound: two backlogged tenants never drift apart by more than twice
 * the largest single charge.
 */
#include "hived/broker/sched.h"
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define MS 1000000ull

static struct sched_req *req(struct sched_req *r, uint64_t id, const char *tenant, const char *aid, uint32_t prompt,
                             uint32_t max)
{
	memset(r, 0, sizeof *r);
	r->id = id;
	snprintf(r->tenant, sizeof r->tenant, "%s", tenant);
	snprintf(r->aid, sizeof r->aid, "%s", aid);
	r->prompt_tokens = prompt;
	r->max_tokens = max;
	return r;
}

static struct sched *mk(uint32_t slots, uint32_t qmax, uint32_t tqmax)
{
	struct sched_cfg cfg = { .engine_slots = slots, .queue_max = qmax, .tenant_queue_max = tqmax, .retry_after_ms = 700 };
	return sched_new(&cfg);
}

TEST(test_cfg_refused)
{
	struct sched_cfg cfg = { 0 };
	errno = 0;
	CHECK(sched_new(&cfg) == NULL && errno == EINVAL);
	cfg.engine_slots = HIVE_SCHED_ENGINE_SLOTS_MAX + 1;
	CHECK(sched_new_fifo(&cfg) == NULL);
	cfg.engine_slots = 1; /* zero bounds take the limits */
	struct sched *s = sched_new(&cfg);
	CHECK(s != NULL);
	sched_free(s);
	sched_free(NULL);
}

/* 4 slots: a tenant with work in flight may fill 3; the 4th is kept for a
 * tenant with nothing in flight that called lately, and goes to it at once. */
TEST(test_kept_slot)
{
	struct sched *s = mk(4, 64, 64);
	struct sched_req f[8], v[2];
	CHECK_EQ_INT(sched_submit(s, req(&v[0], 99, "victim", "a-2", 10, 10), 0, NULL), SCHED_QUEUED);
	CHECK(sched_next(s, 0) == &v[0]);
	sched_done(s, &v[0], 0);
	for (int i = 0; i < 8; i++)
		CHECK_EQ_INT(sched_submit(s, req(&f[i], (uint64_t)i, "flood", "a-1", 100, 100), 0, NULL), SCHED_QUEUED);
	int n = 0;
	while (sched_next(s, 0))
		n++;
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(sched_inflight(s), 3);
	CHECK_EQ_INT(sched_queued(s), 5);
	CHECK_EQ_INT(sched_submit(s, req(&v[0], 100, "victim", "a-2", 10, 10), MS, NULL), SCHED_QUEUED);
	CHECK_EQ_INT(sched_submit(s, req(&v[1], 101, "victim", "a-2", 10, 10), MS, NULL), SCHED_QUEUED);
	CHECK(sched_next(s, MS) == &v[0]);
	CHECK(sched_next(s, MS) == NULL); /* engine full */
	/* A flooder request ends. The free slot would be the kept one, but
	 * every tenant has a request in flight: nobody to keep it for. The
	 * victim's counter is lower (lifted to 300, charged 10; the flood's
	 * 500): its queued request goes first. */
	sched_progress(s, &f[0], 100, 2 * MS);
	sched_done(s, &f[0], 2 * MS);
	CHECK(sched_next(s, 2 * MS) == &v[1]);
	CHECK(sched_next(s, 2 * MS) == NULL);
	/* The victim's two end: the flood fills three, one is kept again. */
	sched_done(s, &v[0], 3 * MS);
	sched_done(s, &v[1], 3 * MS);
	CHECK(sched_next(s, 3 * MS) == &f[3]);
	CHECK(sched_next(s, 3 * MS) == NULL);
	struct sched_tenant_stats st;
	CHECK_EQ_INT(sched_tenant_stats(s, "flood", &st), 0);
	CHECK_EQ_INT(st.requests, 1);
	CHECK_EQ_INT(st.tokens, 200);
	CHECK_EQ_INT(st.vtc, 600);
	CHECK_EQ_INT(st.inflight, 3);
	CHECK_EQ_INT(st.queued, 4);
	CHECK_EQ_INT(sched_tenant_stats(s, "nobody", &st), -ENOENT);
	sched_free(s);
}

/* The slot is kept only while someone may want it: a tenant alone gets
 * every slot; once a quiet tenant has called, one is kept for it for
 * HIVE_SCHED_KEEP_SLOT_MS, then handed back. */
TEST(test_kept_slot_adapts)
{
	const uint64_t keep = (uint64_t)HIVE_SCHED_KEEP_SLOT_MS * MS;
	struct sched *s = mk(2, 64, 64);
	struct sched_req f[6], q;
	for (int i = 0; i < 6; i++)
		sched_submit(s, req(&f[i], (uint64_t)i, "alone", "a-1", 10, 10), 0, NULL);
	CHECK(sched_next(s, 0) == &f[0]);
	CHECK(sched_next(s, 0) == &f[1]); /* nobody else ever called */
	sched_submit(s, req(&q, 50, "quiet", "a-2", 10, 10), MS, NULL);
	sched_done(s, &f[0], MS);
	CHECK(sched_next(s, MS) == &q);
	sched_done(s, &q, 2 * MS);
	CHECK(sched_next(s, 2 * MS) == NULL); /* kept for quiet */
	CHECK(sched_next(s, MS + keep) == NULL);
	CHECK(sched_next(s, MS + keep + 1) == &f[2]); /* quiet for a minute: handed back */
	sched_free(s);
}

/* One slot (no kept slot): the counters alone decide, prompt charged at
 * dispatch and 2 per output token as they stream; weight 300 advances at
 * a third of the speed of weight 100. */
TEST(test_vtc_weights)
{
	struct sched *s = mk(1, 256, 128);
	struct sched_req a[64], b[64];
	CHECK_EQ_INT(sched_tenant_set(s, "a", 100, 0, 0, 0), 0);
	CHECK_EQ_INT(sched_tenant_set(s, "b", 300, 0, 0, 0), 0);
	for (int i = 0; i < 64; i++) {
		sched_submit(s, req(&a[i], (uint64_t)i, "a", "a-1", 10, 20), 0, NULL);
		sched_submit(s, req(&b[i], 100u + (uint64_t)i, "b", "a-2", 10, 20), 0, NULL);
	}
	int na = 0, nb = 0;
	for (int k = 0; k < 80; k++) {
		struct sched_req *r = sched_next(s, 0);
		CHECK(r != NULL);
		if (!r)
			break;
		for (uint32_t t = 1; t <= 20; t++)
			sched_progress(s, r, t, 0);
		sched_done(s, r, 0);
		if (r->tenant[0] == 'a')
			na++;
		else
			nb++;
	}
	printf("# weights 100:300 served %d:%d\n", na, nb);
	CHECK(na >= 19 && na <= 21 && nb >= 59 && nb <= 61);
	struct sched_tenant_stats sa, sb;
	sched_tenant_stats(s, "a", &sa);
	sched_tenant_stats(s, "b", &sb);
	CHECK_EQ_INT(sa.tokens, (uint64_t)na * 30);
	/* counters in cost at weight 100: a's is its cost, b's a third */
	CHECK_EQ_INT(sa.vtc, (uint64_t)na * 50);
	CHECK(sb.vtc + 2 >= (uint64_t)nb * 50 / 3 && sb.vtc <= (uint64_t)nb * 50 / 3 + 2);
	sched_free(s);
}

/* A tenant idle for long comes back at the others' minimum, not below
 * it: it does not bank the time it was away. */
TEST(test_lift)
{
	struct sched *s = mk(1, 256, 256);
	struct sched_req a[40], b[3];
	for (int i = 0; i < 40; i++)
		sched_submit(s, req(&a[i], (uint64_t)i, "a", "a-1", 100, 0), 0, NULL);
	for (int i = 0; i < 20; i++) {
		struct sched_req *r = sched_next(s, 0);
		sched_done(s, r, 0);
	}
	struct sched_tenant_stats sa, sb;
	sched_tenant_stats(s, "a", &sa);
	CHECK_EQ_INT(sa.vtc, 2000);
	sched_submit(s, req(&b[0], 100, "b", "a-2", 100, 0), 0, NULL);
	sched_submit(s, req(&b[1], 101, "b", "a-2", 100, 0), 0, NULL);
	sched_submit(s, req(&b[2], 102, "b", "a-2", 100, 0), 0, NULL);
	sched_tenant_stats(s, "b", &sb);
	CHECK_EQ_INT(sb.vtc, 2000);
	/* a tie at 2000 (a first, by table order), then they take turns */
	int seq[6];
	for (int k = 0; k < 6; k++) {
		struct sched_req *r = sched_next(s, 0);
		seq[k] = r->tenant[0];
		sched_done(s, r, 0);
	}
	for (int k = 0; k + 1 < 6; k++)
		CHECK(seq[k] != seq[k + 1]);
	for (int i = 0; i < 3; i++)
		sched_cancel(s, &b[i], 0); /* queued or done: both fine */
	sched_free(s);
}

/* A tenant that had the engine alone and went idle does not owe its past
 * to one that came while nobody was active: they take turns. */
TEST(test_lift_after_all_idle)
{
	struct sched *s = mk(1, 256, 256);
	struct sched_req a[12], b[4];
	for (int i = 0; i < 10; i++)
		sched_submit(s, req(&a[i], (uint64_t)i, "a", "a-1", 100, 0), 0, NULL);
	for (int i = 0; i < 10; i++)
		sched_done(s, sched_next(s, 0), 0);
	for (int i = 0; i < 4; i++)
		sched_submit(s, req(&b[i], 100u + (uint64_t)i, "b", "a-2", 100, 0), MS, NULL);
	sched_submit(s, req(&a[10], 10, "a", "a-1", 100, 0), MS, NULL);
	sched_submit(s, req(&a[11], 11, "a", "a-1", 100, 0), MS, NULL);
	int na = 0;
	for (int k = 0; k < 4; k++) {
		struct sched_req *r = sched_next(s, MS);
		na += r->tenant[0] == 'a';
		sched_done(s, r, MS);
	}
	CHECK_EQ_INT(na, 2);
	sched_free(s);
}

/* A tenant's agents take turns, whatever order they queued in. */
TEST(test_aid_round_robin)
{
	struct sched *s = mk(1, 64, 64);
	struct sched_req r[9];
	for (int i = 0; i < 6; i++)
		sched_submit(s, req(&r[i], (uint64_t)i, "t", "a-1", 1, 1), 0, NULL);
	sched_submit(s, req(&r[6], 6, "t", "a-2", 1, 1), 0, NULL);
	sched_submit(s, req(&r[7], 7, "t", "a-3", 1, 1), 0, NULL);
	sched_submit(s, req(&r[8], 8, "t", "a-2", 1, 1), 0, NULL);
	const char *want[] = { "a-1", "a-2", "a-3", "a-1", "a-2", "a-1", "a-1", "a-1", "a-1" };
	for (int k = 0; k < 9; k++) {
		struct sched_req *x = sched_next(s, 0);
		CHECK(x != NULL);
		if (!x)
			break;
		CHECK_EQ_STR(x->aid, want[k]);
		sched_done(s, x, 0);
	}
	CHECK(sched_next(s, 0) == NULL);
	sched_free(s);
}

TEST(test_queue_bounds)
{
	struct sched *s = mk(1, 6, 4);
	struct sched_req r[8];
	uint64_t retry = 0;
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(sched_submit(s, req(&r[i], (uint64_t)i, "a", "a-1", 1, 1), 0, &retry), SCHED_QUEUED);
	CHECK_EQ_INT(sched_submit(s, req(&r[4], 4, "a", "a-9", 1, 1), 0, &retry), SCHED_REFUSED_QUEUE_FULL);
	CHECK_EQ_INT(retry, 700);
	CHECK_EQ_INT(sched_submit(s, req(&r[4], 4, "b", "a-2", 1, 1), 0, &retry), SCHED_QUEUED);
	CHECK_EQ_INT(sched_submit(s, req(&r[5], 5, "c", "a-3", 1, 1), 0, &retry), SCHED_QUEUED);
	CHECK_EQ_INT(sched_submit(s, req(&r[6], 6, "d", "a-4", 1, 1), 0, &retry), SCHED_REFUSED_QUEUE_FULL);
	struct sched_tenant_stats st;
	sched_tenant_stats(s, "a", &st);
	CHECK_EQ_INT(st.refused, 1);
	CHECK_EQ_INT(st.queued, 4);
	/* a queued request cancelled makes room */
	sched_cancel(s, &r[2], 0);
	CHECK_EQ_INT(sched_submit(s, req(&r[6], 6, "d", "a-4", 1, 1), 0, &retry), SCHED_QUEUED);
	int n = 0;
	for (struct sched_req *x; (x = sched_next(s, 0)); n++)
		sched_done(s, x, 0);
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_INT(sched_queued(s), 0);
	CHECK_EQ_INT(sched_inflight(s), 0);
	/* a bad name is never queued */
	CHECK_EQ_INT(sched_submit(s, req(&r[7], 7, "", "a-1", 1, 1), 0, &retry), SCHED_REFUSED_QUEUE_FULL);
	sched_free(s);
}

TEST(test_weight0_and_settings)
{
	struct sched *s = mk(2, 16, 16);
	struct sched_req r;
	uint64_t retry = 0;
	CHECK_EQ_INT(sched_tenant_set(s, "z", 0, 0, 0, 0), 0);
	CHECK_EQ_INT(sched_submit(s, req(&r, 1, "z", "a-1", 1, 1), 0, &retry), SCHED_REFUSED_WEIGHT0);
	CHECK_EQ_INT(retry, 700);
	CHECK_EQ_INT(sched_tenant_set(s, "z", HIVE_QUOTA_CPU_WEIGHT_MAX + 1, 0, 0, 0), -EINVAL);
	CHECK_EQ_INT(sched_tenant_set(s, "z", 1, HIVE_QUOTA_TOKENS_PER_MINUTE_MAX + 1ull, 0, 0), -EINVAL);
	CHECK_EQ_INT(sched_tenant_set(s, "", 1, 0, 0, 0), -EINVAL);
	CHECK_EQ_INT(sched_tenant_set(s, "z", 50, 0, 0, 0), 0);
	CHECK_EQ_INT(sched_submit(s, req(&r, 1, "z", "a-1", 1, 1), 0, &retry), SCHED_QUEUED);
	CHECK(sched_next(s, 0) == &r);
	sched_done(s, &r, 0);
	/* the table fills with set tenants; a tenant never set and idle is
	 * taken over, a set one never */
	char name[16];
	int rc = 0;
	for (int i = 0; rc == 0 && i < (int)HIVE_SCHED_TENANTS_MAX - 1; i++) {
		snprintf(name, sizeof name, "t%d", i);
		rc = sched_tenant_set(s, name, 100, 0, 0, 0);
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(sched_tenant_set(s, "late", 100, 0, 0, 0), -ENOSPC);
	CHECK_EQ_INT(sched_submit(s, req(&r, 2, "late", "a-1", 1, 1), 0, &retry), SCHED_REFUSED_QUEUE_FULL);
	sched_free(s);
}

/* 600 tokens a minute (10 a second), burst 300: a request reserves
 * prompt + max_tokens; what it did not use comes back when done; the
 * refusal says when the bucket will hold enough. */
TEST(test_budget)
{
	struct sched *s = mk(4, 64, 64);
	struct sched_req r[6];
	uint64_t retry = 0, t0 = 5000 * MS;
	CHECK_EQ_INT(sched_tenant_set(s, "b", 100, 600, 300, t0), 0);
	CHECK_EQ_INT(sched_submit(s, req(&r[0], 0, "b", "a-1", 50, 150), t0, &retry), SCHED_QUEUED);
	CHECK_EQ_INT(sched_submit(s, req(&r[1], 1, "b", "a-1", 50, 50), t0, &retry), SCHED_QUEUED);
	CHECK_EQ_INT(sched_submit(s, req(&r[2], 2, "b", "a-1", 50, 50), t0, &retry), SCHED_REFUSED_BUDGET);
	CHECK_EQ_INT(retry, 10000); /* 100 tokens at 10/s */
	/* r[0] stops after 10 tokens: 140 come back */
	CHECK(sched_next(s, t0) == &r[0]);
	sched_progress(s, &r[0], 10, t0);
	sched_done(s, &r[0], t0);
	CHECK_EQ_INT(sched_submit(s, req(&r[2], 2, "b", "a-1", 50, 50), t0, &retry), SCHED_QUEUED);
	/* left: 300 - 200 - 100 + 140 - 100 = 40 */
	CHECK_EQ_INT(sched_submit(s, req(&r[3], 3, "b", "a-1", 20, 30), t0, &retry), SCHED_REFUSED_BUDGET);
	CHECK_EQ_INT(retry, 1000);
	CHECK_EQ_INT(sched_submit(s, req(&r[3], 3, "b", "a-1", 20, 30), t0 + 1000 * MS, &retry), SCHED_QUEUED);
	/* a queued request cancelled gives all its reservation back */
	sched_cancel(s, &r[3], t0 + 1000 * MS);
	CHECK_EQ_INT(sched_submit(s, req(&r[3], 3, "b", "a-1", 20, 30), t0 + 1000 * MS, &retry), SCHED_QUEUED);
	/* bigger than the burst: passes only with the bucket full (30 s) */
	CHECK_EQ_INT(sched_submit(s, req(&r[4], 4, "b", "a-1", 400, 400), t0 + 1000 * MS, &retry), SCHED_REFUSED_BUDGET);
	CHECK_EQ_INT(retry, 30000);
	CHECK_EQ_INT(sched_submit(s, req(&r[4], 4, "b", "a-1", 400, 400), t0 + 31000 * MS, &retry), SCHED_QUEUED);
	CHECK_EQ_INT(sched_submit(s, req(&r[5], 5, "b", "a-1", 1, 1), t0 + 31000 * MS, &retry), SCHED_REFUSED_BUDGET);
	CHECK_EQ_INT(retry, 50200); /* in debt: 500 below empty, and 2 more */
	struct sched_tenant_stats st;
	sched_tenant_stats(s, "b", &st);
	CHECK_EQ_INT(st.refused, 4);
	/* unlimited again: everything passes */
	CHECK_EQ_INT(sched_tenant_set(s, "b", 100, 0, 0, t0 + 31000 * MS), 0);
	CHECK_EQ_INT(sched_submit(s, req(&r[5], 5, "b", "a-1", 1, 1), t0 + 31000 * MS, &retry), SCHED_QUEUED);
	sched_free(s);
}

/* A request that runs past its max_tokens pays for the excess. */
TEST(test_budget_overrun)
{
	struct sched *s = mk(2, 16, 16);
	struct sched_req r[2];
	uint64_t retry = 0;
	CHECK_EQ_INT(sched_tenant_set(s, "o", 100, 60, 100, 0), 0); /* 1 token a second */
	CHECK_EQ_INT(sched_submit(s, req(&r[0], 0, "o", "a-1", 10, 10), 0, &retry), SCHED_QUEUED);
	CHECK(sched_next(s, 0) == &r[0]);
	sched_progress(s, &r[0], 50, 0);
	sched_done(s, &r[0], 0); /* 100 - 60 = 40 left */
	CHECK_EQ_INT(sched_submit(s, req(&r[1], 1, "o", "a-1", 20, 30), 0, &retry), SCHED_REFUSED_BUDGET);
	CHECK_EQ_INT(retry, 10000);
	/* runaway counts are clamped, never wrapped */
	CHECK_EQ_INT(sched_submit(s, req(&r[1], 1, "o", "a-1", 20, 20), 0, &retry), SCHED_QUEUED);
	CHECK(sched_next(s, 0) == &r[1]);
	sched_progress(s, &r[1], UINT32_MAX, 0);
	sched_done(s, &r[1], 0);
	CHECK_EQ_INT(sched_submit(s, req(&r[1], 2, "o", "a-1", 1, 0), 0, &retry), SCHED_REFUSED_BUDGET);
	CHECK_EQ_INT(retry, (2097152ull - 20 + 1) * 1000); /* in debt by what ran past, and the 1 asked */
	sched_free(s);
}

TEST(test_cancel_inflight)
{
	struct sched *s = mk(2, 16, 16);
	struct sched_req r[3];
	for (int i = 0; i < 3; i++)
		sched_submit(s, req(&r[i], (uint64_t)i, "a", "a-1", 5, 5), 0, NULL);
	CHECK(sched_next(s, 0) == &r[0]);
	sched_progress(s, &r[0], 3, 0);
	sched_progress(s, &r[0], 2, 0); /* running totals never go back */
	sched_cancel(s, &r[0], 0);
	sched_cancel(s, &r[0], 0); /* twice: nothing */
	sched_done(s, &r[0], 0);
	struct sched_tenant_stats st;
	sched_tenant_stats(s, "a", &st);
	CHECK_EQ_INT(st.requests, 0);
	CHECK_EQ_INT(st.tokens, 8);
	CHECK_EQ_INT(st.vtc, 11);
	CHECK_EQ_INT(st.inflight, 0);
	CHECK_EQ_INT(st.queued, 2);
	sched_free(s);
}

/* FIFO: submission order across tenants, ties by id, all slots used. */
TEST(test_fifo)
{
	struct sched_cfg cfg = { .engine_slots = 3 };
	struct sched *s = sched_new_fifo(&cfg);
	struct sched_req r[6];
	const char *ten[] = { "a", "b", "a", "c", "b", "a" };
	for (int i = 0; i < 6; i++)
		sched_submit(s, req(&r[i], (uint64_t)(10 - i), ten[i], "a-1", 1, 1), i < 3 ? 0 : MS, NULL);
	CHECK(sched_next(s, MS) == &r[1]); /* same time: the smaller id */
	CHECK(sched_next(s, MS) == &r[0]);
	CHECK(sched_next(s, MS) == &r[2]); /* behind r[0] in a's queue */
	CHECK(sched_next(s, MS) == NULL);
	sched_done(s, &r[1], MS);
	CHECK(sched_next(s, MS) == &r[5]);
	sched_free(s);
}

/* VTC's bound: two tenants always backlogged, random sizes, weights 1:2,
 * one token per running request per engine step; their weighted service
 * (the counters) never differs by more than 2 x the largest single
 * weighted charge (a request's prompt + 2 x its output). */
TEST(test_vtc_bound)
{
	struct sched *s = mk(4, 512, 256);
	static struct sched_req r[2][400];
	const char *name[2] = { "x", "y" };
	uint32_t w[2] = { 100, 200 }, out[4] = { 0 };
	uint64_t seed = 42, maxc = 0, worst = 0;
	int next[2] = { 0, 0 };
	struct sched_req *run[4] = { 0 };
	sched_tenant_set(s, "x", w[0], 0, 0, 0);
	sched_tenant_set(s, "y", w[1], 0, 0, 0);
	for (int step = 0; step < 4000 && next[0] < 400 && next[1] < 400; step++) {
		struct sched_tenant_stats st[2];
		for (int t = 0; t < 2; t++)
			for (sched_tenant_stats(s, name[t], &st[t]); st[t].queued < 8 && next[t] < 400; st[t].queued++) {
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				uint32_t p = 1 + (uint32_t)(seed >> 58), o = 1 + (uint32_t)((seed >> 40) & 63);
				uint64_t c = (p + 2ull * o) * 100 / w[t];
				maxc = c > maxc ? c : maxc;
				sched_submit(s, req(&r[t][next[t]], (uint64_t)(t * 1000 + next[t]), name[t], "a-1", p, o), 0, NULL);
				next[t]++;
			}
		for (int k = 0; k < 4; k++)
			if (!run[k] && (run[k] = sched_next(s, 0)))
				out[k] = 0;
		for (int k = 0; k < 4; k++) {
			if (!run[k])
				continue;
			sched_progress(s, run[k], ++out[k], 0);
			if (out[k] >= run[k]->max_tokens) {
				sched_done(s, run[k], 0);
				run[k] = NULL;
			}
		}
		sched_tenant_stats(s, "x", &st[0]);
		sched_tenant_stats(s, "y", &st[1]);
		uint64_t d = st[0].vtc > st[1].vtc ? st[0].vtc - st[1].vtc : st[1].vtc - st[0].vtc;
		worst = d > worst ? d : worst;
	}
	printf("# weighted service gap at most %llu, bound 2 x %llu\n", (unsigned long long)worst, (unsigned long long)maxc);
	CHECK(worst <= 2 * maxc);
	CHECK(next[0] > 100 && next[1] > 100);
	sched_free(s);
}

int main(void)
{
	RUN(test_cfg_refused);
	RUN(test_kept_slot);
	RUN(test_kept_slot_adapts);
	RUN(test_vtc_weights);
	RUN(test_lift);
	RUN(test_lift_after_all_idle);
	RUN(test_aid_round_robin);
	RUN(test_queue_bounds);
	RUN(test_weight0_and_settings);
	RUN(test_budget);
	RUN(test_budget_overrun);
	RUN(test_cancel_inflight);
	RUN(test_fifo);
	RUN(test_vtc_bound);
	return test_done();
}
