/*
 * test_sched_fair.c — the fairness gate: does one customer's runaway loop
 * flood the others? A deterministic simulation in virtual time (one
 * process, seeded, no clock): an engine with continuous batching, a quiet
 * victim tenant and four flooding tenants, run three ways on the same
 * arrival trace: the victim alone (solo), behind the FIFO discipline, and
 * behind the fair one (sched_new). The gate, for each of 5 seeds:
 *   FIFO really starves the victim:     fifo victim p99 >= 10 x solo p99
 *   fair keeps its tail flat:           victim p99 / p50 <= 1.2
 *   fair keeps it near solo:            victim p99 <= 1.5 x solo p99
 *   fairness is not bought by idling:   flooder tokens >= 85% of FIFO's
 *   the flooders are treated alike:     Jain's index over them >= 0.98
 *
 * The engine (what vLLM-like servers do, and what the reference note's
 * prototype modelled): ENGINE_SLOTS sequences run at once; each step
 * takes STEP_BASE + STEP_PER_SEQ x running + STEP_PER_PREFILL x prompt
 * tokens of the sequences joining in it; every running sequence makes one
 * output token per step; a joining one makes its first at the end of its
 * first step. The broker holds the engine's in-flight count at its slots,
 * so the queue forms in the scheduler, where fairness can act.
 *
 * Load: the victim sends a request (64 prompt, 32 output tokens) every
 * VICTIM_PERIOD, at a phase drawn from the seed; each flooder keeps
 * FLOOD_OUTSTANDING requests (512 prompt, output uniform in [64, 192],
 * from its own seeded stream so all three runs see the same lengths) in
 * the broker at all times, sending the next as one finishes (closed
 * loop). Latency is end to end, from arrival to the last token, of victim
 * requests arriving after WARMUP; throughput is flooder output tokens made
 * between WARMUP and RUN_END.
 */
#include "hived/broker/sched.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define MS 1000000ull
#define SEC (1000u * MS)

#define ENGINE_SLOTS 16u
#define STEP_BASE (25u * MS)
#define STEP_PER_SEQ (MS / 10u)
#define STEP_PER_PREFILL (MS / 20u)
#define FLOODERS 4
#define FLOOD_OUTSTANDING 32u
#define FLOOD_PROMPT 512u
#define FLOOD_OUT_MIN 64u
#define FLOOD_OUT_MAX 192u
#define VICTIM_PROMPT 64u
#define VICTIM_OUT 32u
#define VICTIM_PERIOD (2u * SEC)
#define WARMUP (10u * SEC)
#define RUN_END (300u * SEC)
/* The run goes on past RUN_END until every victim request is done, but
 * not forever. */
#define RUN_HARD_END (4u * RUN_END)
#define VICTIM_MAX (RUN_END / VICTIM_PERIOD + 1u)
#define POOL (VICTIM_MAX + FLOODERS * FLOOD_OUTSTANDING)
#define SEEDS 5

enum mode { SOLO, FIFO, FAIR };

struct simreq {
	struct sched_req r;
	int who; /* 0: the victim, 1..FLOODERS: a flooder */
	uint64_t arrive;
	uint32_t len, made;
	struct simreq *next_free;
};

struct result {
	uint64_t vlat[VICTIM_MAX];
	size_t nv;
	uint64_t ftok[FLOODERS + 1];
	uint64_t refused;
	double p50, p99;
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank on the sorted latencies. */
static double pct(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)ceil(p / 100.0 * (double)n);
	return n ? (double)v[(k ? k : 1) - 1] : 0.0;
}

struct sim {
	struct sched *s;
	struct simreq pool[POOL], *free;
	uint64_t rng[FLOODERS + 1];
	uint64_t next_id;
	struct result *res;
};

static struct simreq *sim_new(struct sim *m, int who, uint64_t at)
{
	struct simreq *q = m->free;
	if (!q)
		return NULL;
	m->free = q->next_free;
	memset(q, 0, sizeof *q);
	q->who = who;
	q->arrive = at;
	q->r.id = ++m->next_id;
	snprintf(q->r.tenant, sizeof q->r.tenant, who ? "flood%d" : "victim", who);
	snprintf(q->r.aid, sizeof q->r.aid, "a-%d", 10 + who);
	if (who) {
		q->r.prompt_tokens = FLOOD_PROMPT;
		q->len = FLOOD_OUT_MIN + (uint32_t)(splitmix(&m->rng[who]) % (FLOOD_OUT_MAX - FLOOD_OUT_MIN + 1u));
	} else {
		q->r.prompt_tokens = VICTIM_PROMPT;
		q->len = VICTIM_OUT;
	}
	q->r.max_tokens = q->len;
	if (sched_submit(m->s, &q->r, at, NULL) != SCHED_QUEUED) {
		m->res->refused++;
		q->next_free = m->free;
		m->free = q;
		return NULL;
	}
	return q;
}

/* weights: the flooders' (1..FLOODERS), NULL for the default 100 each. */
static void run(enum mode mode, uint64_t seed, const uint32_t *weights, struct result *res)
{
	static struct sim m;
	struct sched_cfg cfg = { .engine_slots = ENGINE_SLOTS, .queue_max = 512, .tenant_queue_max = 64 };
	struct simreq *running[ENGINE_SLOTS];
	size_t nrun = 0, vnext = 0, voutstanding = 0;
	uint64_t phase_rng = seed, now = 0;
	memset(&m, 0, sizeof m);
	memset(res, 0, sizeof *res);
	m.res = res;
	m.s = mode == FIFO ? sched_new_fifo(&cfg) : sched_new(&cfg);
	CHECK(m.s != NULL);
	if (!m.s)
		return;
	for (size_t i = POOL; i-- > 0;) {
		m.pool[i].next_free = m.free;
		m.free = &m.pool[i];
	}
	for (int f = 1; f <= FLOODERS; f++) {
		char name[HIVE_MANIFEST_NAME_MAX + 1];
		m.rng[f] = seed * 1000003u + (uint64_t)f;
		snprintf(name, sizeof name, "flood%d", f);
		if (weights)
			CHECK_EQ_INT(sched_tenant_set(m.s, name, weights[f], 0, 0, 0), 0);
	}
	uint64_t phase = splitmix(&phase_rng) % VICTIM_PERIOD;
	if (mode != SOLO)
		for (int f = 1; f <= FLOODERS; f++)
			for (uint32_t k = 0; k < FLOOD_OUTSTANDING; k++)
				sim_new(&m, f, 0);
	while (now < RUN_HARD_END) {
		uint64_t varrive = phase + vnext * VICTIM_PERIOD;
		int more_victims = varrive < RUN_END;
		while (more_victims && varrive <= now) {
			if (sim_new(&m, 0, varrive))
				voutstanding++;
			vnext++;
			varrive = phase + vnext * VICTIM_PERIOD;
			more_victims = varrive < RUN_END;
		}
		if (!more_victims && !voutstanding && now >= RUN_END)
			break;
		uint64_t prefill = 0;
		for (struct sched_req *r; nrun < ENGINE_SLOTS && (r = sched_next(m.s, now));) {
			running[nrun++] = (struct simreq *)r; /* r is the first member */
			prefill += r->prompt_tokens;
		}
		CHECK(sched_next(m.s, now) == NULL);
		if (!nrun) {
			if (!more_victims)
				break;
			now = varrive; /* idle until the victim's next request */
			continue;
		}
		now += STEP_BASE + STEP_PER_SEQ * nrun + STEP_PER_PREFILL * prefill;
		for (size_t i = 0; i < nrun;) {
			struct simreq *q = running[i];
			q->made++;
			if (q->who && now > WARMUP && now <= RUN_END)
				res->ftok[q->who]++;
			sched_progress(m.s, &q->r, q->made, now);
			if (q->made < q->len) {
				i++;
				continue;
			}
			sched_done(m.s, &q->r, now);
			running[i] = running[--nrun];
			if (!q->who) {
				voutstanding--;
				if (q->arrive >= WARMUP && res->nv < VICTIM_MAX)
					res->vlat[res->nv++] = now - q->arrive;
			}
			int who = q->who;
			q->next_free = m.free;
			m.free = q;
			if (who)
				sim_new(&m, who, now); /* closed loop: the next one at once */
		}
	}
	CHECK_EQ_INT(voutstanding, 0);
	sched_free(m.s);
	qsort(res->vlat, res->nv, sizeof res->vlat[0], cmp_u64);
	res->p50 = pct(res->vlat, res->nv, 50);
	res->p99 = pct(res->vlat, res->nv, 99);
}

static uint64_t ftotal(const struct result *r)
{
	uint64_t t = 0;
	for (int f = 1; f <= FLOODERS; f++)
		t += r->ftok[f];
	return t;
}

static double jain(const struct result *r)
{
	double sum = 0, sq = 0;
	for (int f = 1; f <= FLOODERS; f++) {
		sum += (double)r->ftok[f];
		sq += (double)r->ftok[f] * (double)r->ftok[f];
	}
	return sq > 0 ? sum * sum / (FLOODERS * sq) : 0;
}

TEST(test_fairness_gate)
{
	static struct result solo, fifo, fair;
	double w_ratio = 0, w_vs_solo = 0, w_fifo = 1e9, w_tput = 1e9, w_jain = 1e9;
	printf("# engine %u slots, step %.1f ms + %.2f ms/seq + %.3f ms/prefill token; 4 flooders x %u outstanding\n",
	       ENGINE_SLOTS, STEP_BASE / 1e6, STEP_PER_SEQ / 1e6, STEP_PER_PREFILL / 1e6, FLOOD_OUTSTANDING);
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		run(SOLO, seed, NULL, &solo);
		run(FIFO, seed, NULL, &fifo);
		run(FAIR, seed, NULL, &fair);
		CHECK(solo.nv > 100 && fifo.nv > 100 && fair.nv > 100);
		CHECK_EQ_INT(fifo.refused + fair.refused + solo.refused, 0);
		double fifo_vs_solo = fifo.p99 / solo.p99, ratio = fair.p99 / fair.p50, vs_solo = fair.p99 / solo.p99;
		double tput = (double)ftotal(&fair) / (double)ftotal(&fifo), j = jain(&fair);
		printf("# seed %llu: victim p50/p99 ms solo %.0f/%.0f fifo %.0f/%.0f fair %.0f/%.0f; fair p99/p50 %.3f, "
		       "p99 vs solo %.3f; fifo p99 vs solo %.1f; flooder tokens fair/fifo %llu/%llu = %.3f; jain fair %.4f fifo %.4f\n",
		       (unsigned long long)seed, solo.p50 / 1e6, solo.p99 / 1e6, fifo.p50 / 1e6, fifo.p99 / 1e6, fair.p50 / 1e6,
		       fair.p99 / 1e6, ratio, vs_solo, fifo_vs_solo, (unsigned long long)ftotal(&fair),
		       (unsigned long long)ftotal(&fifo), tput, j, jain(&fifo));
		CHECK(fifo_vs_solo >= 10.0);
		CHECK(ratio <= 1.2);
		CHECK(vs_solo <= 1.5);
		CHECK(tput >= 0.85);
		CHECK(j >= 0.98);
		w_ratio = ratio > w_ratio ? ratio : w_ratio;
		w_vs_solo = vs_solo > w_vs_solo ? vs_solo : w_vs_solo;
		w_fifo = fifo_vs_solo < w_fifo ? fifo_vs_solo : w_fifo;
		w_tput = tput < w_tput ? tput : w_tput;
		w_jain = j < w_jain ? j : w_jain;
	}
	printf("# fairshare (worst of %d seeds): victim_p99_over_p50=%.3f victim_p99_vs_solo=%.3f fifo_p99_vs_solo=%.1f "
	       "flooder_tput_vs_fifo=%.3f jain=%.4f\n",
	       SEEDS, w_ratio, w_vs_solo, w_fifo, w_tput, w_jain);
}

/* Flooders of weights 100, 100, 200 and 300 get their output tokens in
 * those proportions (within 5% of each one's share), and the victim
 * keeps its flat tail beside them. */
TEST(test_weighted_flooders)
{
	static struct result solo, fair;
	const uint32_t w[FLOODERS + 1] = { 0, 100, 100, 200, 300 };
	double wsum = 0;
	for (int f = 1; f <= FLOODERS; f++)
		wsum += w[f];
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		run(SOLO, seed, NULL, &solo);
		run(FAIR, seed, w, &fair);
		double total = (double)ftotal(&fair);
		printf("# seed %llu, weights 100/100/200/300: token shares", (unsigned long long)seed);
		for (int f = 1; f <= FLOODERS; f++) {
			double share = (double)fair.ftok[f] / total, want = w[f] / wsum;
			printf(" %.3f (%.3f)", share, want);
			CHECK(share >= 0.95 * want && share <= 1.05 * want);
		}
		printf("; victim p99/p50 %.3f, p99 vs solo %.3f\n", fair.p99 / fair.p50, fair.p99 / solo.p99);
		CHECK(fair.p99 / fair.p50 <= 1.2);
		CHECK(fair.p99 <= 1.5 * solo.p99);
	}
}

int main(void)
{
	RUN(test_fairness_gate);
	RUN(test_weighted_flooders);
	return test_done();
}
