/*
 * broker.c — the broker on the loop: the mailbox the threads post to, who
 * the caller is and whether it may, the scheduler's queue, and the record
 * of every request. broker_impl.h says which thread touches what.
 */
#include "broker_impl.h"
#include "hived/agent/agent.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "lib/fileio.h"
#include "trust/ticket.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* How often queued requests are looked at again without an event: a
 * budget refills with time, not with a message. */
#define BROKER_PUMP_MS 20u

/* --- one request --------------------------------------------------------- */

struct breq *breq_new(void)
{
	struct breq *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->refs = 1;
	r->peer_uid = -1;
	return r;
}

void breq_ref(struct breq *r)
{
	pthread_mutex_lock(&r->mu);
	r->refs++;
	pthread_mutex_unlock(&r->mu);
}

void breq_unref(struct breq *r)
{
	pthread_mutex_lock(&r->mu);
	int last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->body);
	free(r->ans);
	free(r);
}

void breq_answer(struct breq *r, enum breq_phase phase, int status, unsigned retry_after_s, const char *json)
{
	char *copy = strdup(json);

	pthread_mutex_lock(&r->mu);
	if (copy) {
		free(r->ans);
		r->ans = copy;
		r->ans_len = r->ans_cap = strlen(copy);
		r->ans_off = 0;
	}
	r->phase = phase;
	r->status = copy ? status : 500;
	r->retry_after_s = retry_after_s;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void answer_error(struct breq *r, int status, unsigned retry_after_s, const char *type, const char *msg)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "message", msg, "type", type);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	breq_answer(r, BREQ_REFUSED, status, retry_after_s, s ? s : "{}");
	free(s);
	json_decref(j);
}

/* --- the mailbox --------------------------------------------------------- */

#define BOX_CAP (HIVE_BROKER_INBOX_MAX + 2u * HIVE_BROKER_CONNS_MAX)

int broker_post(struct broker *b, enum broker_msg_kind kind, struct breq *r)
{
	uint64_t one = 1;

	pthread_mutex_lock(&b->mu);
	if (b->box_n >= BOX_CAP || (kind == BMSG_NEW && b->box_new >= HIVE_BROKER_INBOX_MAX)) {
		pthread_mutex_unlock(&b->mu);
		return -EAGAIN;
	}
	breq_ref(r);
	b->box[(b->box_head + b->box_n) % BOX_CAP] = (struct broker_msg){ kind, r };
	b->box_n++;
	b->box_new += kind == BMSG_NEW;
	pthread_mutex_unlock(&b->mu);
	if (write(b->efd, &one, sizeof one) < 0) {
		/* the counter is already non-zero: the loop wakes all the same */
	}
	return 0;
}

static int box_take(struct broker *b, struct broker_msg *m)
{
	pthread_mutex_lock(&b->mu);
	int got = b->box_n > 0;
	if (got) {
		*m = b->box[b->box_head];
		b->box_head = (b->box_head + 1) % BOX_CAP;
		b->box_n--;
		b->box_new -= m->kind == BMSG_NEW;
	}
	pthread_mutex_unlock(&b->mu);
	return got;
}

/* --- tenants ------------------------------------------------------------- */

struct broker_tenant *broker_tenant(struct broker *b, const char *name)
{
	struct err err = { 0 };

	for (uint32_t i = 0; i < b->ntenants; i++)
		if (strcmp(b->tenants[i].name, name) == 0)
			return &b->tenants[i];
	if (b->ntenants >= HIVE_SCHED_TENANTS_MAX || strlen(name) >= sizeof b->tenants[0].name)
		return NULL;
	struct broker_tenant *t = &b->tenants[b->ntenants++];
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->weight = HIVE_SCHED_WEIGHT_DEFAULT;
	if (broker_tenant_apply(b, t, &err) < 0 || brokerfs_tenant(b, t) < 0) {
		b->ntenants--;
		return NULL;
	}
	return t;
}

int broker_tenant_apply(struct broker *b, struct broker_tenant *t, struct err *err)
{
	int rc = sched_tenant_set(b->sched, t->name, t->weight, t->budget_per_min, t->burst, loop_now_ns());
	if (rc < 0)
		return err_set(err, -rc, "tenant %s: the scheduler refused its settings", t->name);
	return 0;
}

static void lat_add(struct broker_tenant *t, uint64_t ms)
{
	uint32_t i = 0;
	while (i + 1 < HIVE_BROKER_LAT_BUCKETS && ms > (1ull << i))
		i++;
	t->lat_buckets[i]++;
}

static uint32_t tenant_weight(struct hive *hive, const char *tenant)
{
	struct broker *b = hive->broker;
	for (uint32_t i = 0; b && i < b->ntenants; i++)
		if (b->tenants[i].weight_set && strcmp(b->tenants[i].name, tenant) == 0)
			return b->tenants[i].weight;
	return 0;
}

/* --- deciding ------------------------------------------------------------ */

/* Which agent holds the peer's socket: 1 (aid set), 0 none, -1 it cannot
 * be told or the holders are not one agent (refused: fail closed). */
static int caller_agent(struct broker *b, const struct breq *r, char *aid, size_t cap)
{
	struct hive *hive = b->hive;

	aid[0] = '\0';
	if (r->npids < 0)
		return -1;
	for (int i = 0; i < r->npids; i++) {
		char a[HIVE_AID_MAX + 1];
		int rc = hive->agent_of_pid ? hive->agent_of_pid(hive, r->pids[i], a, sizeof a) : 0;
		if (rc < 0 || (rc == 1 && aid[0] && strcmp(aid, a) != 0))
			return -1;
		if (rc == 1)
			snprintf(aid, cap, "%s", a);
	}
	return aid[0] ? 1 : 0;
}

static int model_served(const struct broker *b, const char *model)
{
	size_t n = strlen(model);
	for (const char *p = b->cfg.models; *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && strncmp(p, model, n) == 0)
			return 1;
		p += l + (p[l] == ',');
	}
	return 0;
}

static void refuse(struct broker *b, struct breq *r, enum hive_pressure_class cls, int status, unsigned retry_s,
                   const char *reason, const char *msg)
{
	hive_deny(b->hive, r->who.role ? &r->who : NULL, cls, HIVE_DENY_INFER, r->model[0] ? r->model : "models",
	          reason, "status=%d peer=%s tenant=%s", status, r->peer, r->sr.tenant[0] ? r->sr.tenant : "-");
	if (r->sr.aid[0] && status != 401)
		agents_infer_blocked(b->hive, r->sr.aid, 1, reason);
	answer_error(r, status, retry_s, status == 429 ? "rate_limit_exceeded" : "permission_denied", msg);
}

static void answer_models(struct broker *b, struct breq *r)
{
	json_t *data = json_array();
	for (const char *p = b->cfg.models; *p;) {
		size_t l = strcspn(p, ",");
		char name[HIVE_MANIFEST_NAME_MAX + 1];
		snprintf(name, sizeof name, "%.*s", (int)l, p);
		if (!r->sr.aid[0] || agents_may_infer(b->hive, r->sr.aid, name) == 1)
			json_array_append_new(data, json_pack("{s:s,s:s,s:i,s:s}", "id", name, "object", "model",
			                                      "created", 0, "owned_by", "hive"));
		p += l + (p[l] == ',');
	}
	json_t *j = json_pack("{s:s,s:o}", "object", "list", "data", data);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	breq_answer(r, BREQ_ANSWERED, 200, 0, s ? s : "{}");
	free(s);
	json_decref(j);
}

/* Who the caller is: an agent by its socket and its key, else the queen by
 * a ticket. 0, or the request was refused. */
static int who_is(struct broker *b, struct breq *r)
{
	char aid[HIVE_AID_MAX + 1];
	int agent = caller_agent(b, r, aid, sizeof aid);

	r->who.transport = "broker";
	if (agent < 0) {
		refuse(b, r, HIVE_PRESSURE_POLICY, 403, 0, "unknown-peer", "the broker cannot tell who holds this connection");
		return -1;
	}
	if (agent == 1) {
		r->who.role = HIVE_ROLE_WORKER;
		snprintf(r->who.subject, sizeof r->who.subject, "%s", aid);
		snprintf(r->sr.aid, sizeof r->sr.aid, "%s", aid);
		if (agents_infer_key(b->hive, aid, r->bearer, r->sr.tenant, sizeof r->sr.tenant) < 0) {
			refuse(b, r, HIVE_PRESSURE_POLICY, 401, 0, "bad-key", "the key is not this agent's OPENAI_API_KEY");
			return -1;
		}
		return 0;
	}
	struct ticket t;
	const char *why = "malformed";
	if (!r->bearer[0] || ticket_verify(r->bearer, &b->hive->keys, &t, &why) < 0 ||
	    ticket_expired(&t, (uint64_t)time(NULL) * 1000u) || ticket_hive_role(t.role_code) != HIVE_ROLE_QUEEN) {
		refuse(b, r, HIVE_PRESSURE_POLICY, 401, 0, "no-ticket",
		       "not an agent: a queen ticket is wanted as the bearer");
		return -1;
	}
	r->who.role = HIVE_ROLE_QUEEN;
	snprintf(r->sr.tenant, sizeof r->sr.tenant, "queen");
	return 0;
}

static void on_new(struct broker *b, struct breq *r)
{
	uint64_t now = loop_now_ns(), retry_ms = 0;

	if (who_is(b, r) < 0)
		return;
	if (r->kind == BREQ_MODELS) {
		answer_models(b, r);
		return;
	}
	if (!model_served(b, r->model)) {
		answer_error(r, 404, 0, "not_found", "the broker serves no such model (GET /v1/models)");
		return;
	}
	if (r->sr.aid[0] && agents_may_infer(b->hive, r->sr.aid, r->model) != 1) {
		refuse(b, r, HIVE_PRESSURE_POLICY, 403, 0, "no-capability", "the agent holds no infer: capability for this model");
		return;
	}
	struct broker_tenant *t = broker_tenant(b, r->sr.tenant);
	if (!t) {
		refuse(b, r, HIVE_PRESSURE_BUSY, 429, HIVE_SCHED_RETRY_AFTER_MS / 1000u, "tenants-full",
		       "the broker keeps no more tenants");
		return;
	}
	r->sr.id = ++b->next_id;
	enum sched_verdict v = sched_submit(b->sched, &r->sr, now, &retry_ms);
	if (v != SCHED_QUEUED) {
		static const char *const reason[] = { "", "queue-full", "budget", "weight-0" };
		t->refused++;
		refuse(b, r, v == SCHED_REFUSED_QUEUE_FULL ? HIVE_PRESSURE_BUSY : HIVE_PRESSURE_QUOTA, 429,
		       (unsigned)((retry_ms ? retry_ms : HIVE_SCHED_RETRY_AFTER_MS) + 999u) / 1000u, reason[v],
		       v == SCHED_REFUSED_BUDGET ? "the tenant's token budget is spent"
		       : v == SCHED_REFUSED_WEIGHT0 ? "the tenant's weight is 0"
		                                    : "the broker's queue is full");
		return;
	}
	if (r->sr.aid[0])
		agents_infer_blocked(b->hive, r->sr.aid, 0, "admitted");
	breq_ref(r); /* the loop's */
	r->at = BREQ_AT_QUEUED;
	r->t_admit_ns = now;
	r->lnext = b->live;
	if (b->live)
		b->live->lprev = r;
	b->live = r;
}

static void unlink_live(struct broker *b, struct breq *r)
{
	if (r->lprev)
		r->lprev->lnext = r->lnext;
	else
		b->live = r->lnext;
	if (r->lnext)
		r->lnext->lprev = r->lprev;
	r->lnext = r->lprev = NULL;
	r->at = BREQ_AT_FINISHED;
	breq_unref(r);
}

static void on_cancel(struct broker *b, struct breq *r)
{
	if (r->at != BREQ_AT_QUEUED)
		return; /* upstream: its transfer stops and says so (BMSG_DONE) */
	sched_cancel(b->sched, &r->sr, loop_now_ns());
	unlink_live(b, r);
}

static void on_done(struct broker *b, struct breq *r)
{
	uint64_t now = loop_now_ns();

	if (r->at != BREQ_AT_UPSTREAM)
		return;
	pthread_mutex_lock(&r->mu);
	int cancelled = r->cancelled, failed = r->failed, status = r->status;
	pthread_mutex_unlock(&r->mu);
	uint32_t prompt = r->prompt_tokens ? r->prompt_tokens : r->sr.prompt_tokens;
	if (cancelled) {
		sched_cancel(b->sched, &r->sr, now);
	} else {
		sched_progress(b->sched, &r->sr, r->output_tokens, now);
		sched_done(b->sched, &r->sr, now);
	}
	uint64_t wait_ms = (r->t_sent_ns - r->t_admit_ns) / 1000000u, lat_ms = (now - r->t_admit_ns) / 1000000u;
	struct broker_tenant *t = broker_tenant(b, r->sr.tenant);
	if (t) {
		t->requests++;
		t->prompt_tokens += prompt;
		t->output_tokens += r->output_tokens;
		lat_add(t, lat_ms);
	}
	if (r->sr.aid[0])
		agents_infer_spent(b->hive, r->sr.aid, (uint64_t)prompt + r->output_tokens);
	hive_event(b->hive, &r->who, "infer", r->model,
	           "aid=%s tenant=%s model=%s prompt_tokens=%u output_tokens=%u queue_ms=%llu latency_ms=%llu "
	           "status=%d outcome=%s",
	           r->sr.aid[0] ? r->sr.aid : "-", r->sr.tenant, r->model, prompt, r->output_tokens,
	           (unsigned long long)wait_ms, (unsigned long long)lat_ms, status,
	           cancelled ? "cancelled" : failed ? "failed" : "done");
	unlink_live(b, r);
}

/* Send what the scheduler lets run now. */
static void pump(struct broker *b)
{
	struct sched_req *sr;
	uint64_t now = loop_now_ns();

	while ((sr = sched_next(b->sched, now))) {
		struct breq *r = (struct breq *)((char *)sr - offsetof(struct breq, sr));
		r->at = BREQ_AT_UPSTREAM;
		r->t_sent_ns = now;
		pthread_mutex_lock(&r->mu);
		r->phase = BREQ_RUNNING;
		pthread_mutex_unlock(&r->mu);
		breq_ref(r); /* the upstream thread's */
		upstream_send(b->up, r);
	}
}

static void on_box(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct broker *b = arg;
	struct broker_msg m;
	uint64_t n;

	if (read(fd, &n, sizeof n) < 0) {
		/* EAGAIN: another wake drained it; the box says what there is */
	}
	while (box_take(b, &m)) {
		if (m.kind == BMSG_NEW)
			on_new(b, m.r);
		else if (m.kind == BMSG_CANCEL)
			on_cancel(b, m.r);
		else
			on_done(b, m.r);
		breq_unref(m.r);
	}
	pump(b);
}

static void on_tick(struct loop *loop, void *arg)
{
	struct broker *b = arg;
	if (b->live)
		pump(b);
}

/* --- start and stop ------------------------------------------------------ */

int broker_open(struct hive *hive, const struct broker_cfg *cfg, struct err *err)
{
	struct broker *b = calloc(1, sizeof *b);
	struct sched_cfg sc;
	char path[HIVE_PATH_MAX + 16], line[16];
	int rc;

	if (!b)
		return err_set(err, ENOMEM, "out of memory");
	b->hive = hive;
	b->cfg = *cfg;
	b->efd = -1;
	b->timer = 0;
	pthread_mutex_init(&b->mu, NULL);
	if (b->cfg.slots == 0 || b->cfg.slots > HIVE_BROKER_SLOTS_MAX) {
		rc = err_set(err, EINVAL, "--broker-slots %u: 1 to %u", b->cfg.slots, HIVE_BROKER_SLOTS_MAX);
		goto fail;
	}
	sc = (struct sched_cfg){ .engine_slots = b->cfg.slots, .queue_max = HIVE_SCHED_QUEUE_MAX,
		                 .tenant_queue_max = HIVE_SCHED_TENANT_QUEUE_MAX,
		                 .retry_after_ms = HIVE_SCHED_RETRY_AFTER_MS };
	b->sched = b->cfg.fifo ? sched_new_fifo(&sc) : sched_new(&sc);
	if (!b->sched) {
		rc = err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	if ((b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = err_set(err, errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((rc = loop_add_fd(hive->loop, b->efd, EPOLLIN, on_box, b)) < 0) {
		rc = err_set(err, -rc, "cannot watch the broker's mailbox");
		goto fail;
	}
	if ((b->timer = loop_add_timer(hive->loop, BROKER_PUMP_MS, on_tick, b)) < 0) {
		rc = err_set(err, -b->timer, "cannot start the broker's timer");
		b->timer = 0;
		goto fail;
	}
	/* The threads take no signal: the loop's signalfd must get SIGTERM. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((rc = brokerfs_make(b, err)) == 0 && (rc = upstream_start(b, &b->up, err)) == 0)
		rc = broker_http_start(b, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		goto fail;
	snprintf(path, sizeof path, "%s/broker.port", hive->cfg.state_dir);
	snprintf(line, sizeof line, "%d\n", b->port);
	if ((rc = fileio_write_atomic(path, line, strlen(line), 0644)) < 0) {
		rc = err_set(err, -rc, "cannot write %s", path);
		goto fail;
	}
	hive->broker = b;
	hive->broker_port = b->port;
	hive->tenant_weight = tenant_weight;
	fprintf(stderr, "hived: broker on %s:%d before %s, %u slots, %s, models %s\n", b->cfg.addr, b->port,
	        b->cfg.upstream, b->cfg.slots, b->cfg.fifo ? "fifo" : "fair", b->cfg.models);
	return 0;
fail:
	hive->broker = b;
	broker_close(hive);
	return rc;
}

/* Answer every request still waiting (503) so no HTTP thread waits on a loop
 * that has stopped, then let the threads go. */
static void drain(struct broker *b)
{
	struct broker_msg m;

	while (box_take(b, &m)) {
		if (m.kind == BMSG_NEW)
			answer_error(m.r, 503, 1, "unavailable", "the hive is stopping");
		else if (m.kind == BMSG_DONE && m.r->at == BREQ_AT_UPSTREAM)
			unlink_live(b, m.r);
		breq_unref(m.r);
	}
}

void broker_close(struct hive *hive)
{
	struct broker *b = hive->broker;

	if (!b)
		return;
	upstream_stop(b->up);
	b->up = NULL;
	drain(b);
	for (struct breq *r = b->live; r; r = r->lnext)
		answer_error(r, 503, 1, "unavailable", "the hive is stopping");
	broker_http_stop(b);
	drain(b);
	while (b->live)
		unlink_live(b, b->live);
	if (b->timer > 0)
		loop_del_timer(hive->loop, b->timer);
	if (b->efd >= 0) {
		loop_del_fd(hive->loop, b->efd);
		close(b->efd);
	}
	if (b->dir)
		ns_remove(hive->ns, b->dir);
	if (b->sched)
		sched_free(b->sched);
	pthread_mutex_destroy(&b->mu);
	free(b);
	hive->broker = NULL;
	hive->broker_port = 0;
	hive->tenant_weight = NULL;
}
