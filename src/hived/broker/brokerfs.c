/*
 * brokerfs.c — the broker as files: /broker/ctl (weight and budget of a
 * tenant), /broker/models, /broker/tenants/<t>/{weight,budget,usage,
 * queue,latency}. The queen writes; the queen and observers read (a
 * tenant's traffic is not another tenant's business).
 */
#include "broker_impl.h"
#include "hived/agent/agent.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/ns/ns.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEE (HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) | HIVE_ROLE_BIT(HIVE_ROLE_OBSERVER))
static const struct ns_perm dir_perm = { .mode = 0555 | 040000, .see = SEE, .read = SEE };
static const struct ns_perm ro = { .mode = 0444, .see = SEE, .read = SEE };
static const struct ns_perm ctl_perm = { .mode = 0664, .see = SEE, .read = SEE,
	                                 .write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) };

static int render_weight(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct broker_tenant *t = arg;
	strbuf_printf(sb, "%u\n", t->weight);
	return 0;
}

static int render_budget(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct broker_tenant *t = arg;
	strbuf_printf(sb, "tokens_per_minute=%" PRIu64 " burst=%" PRIu64 "%s\n", t->budget_per_min, t->burst,
	              t->budget_per_min ? "" : " (unlimited)");
	return 0;
}

static int render_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct broker_tenant *t = arg;
	strbuf_printf(sb, "requests=%" PRIu64 " refused=%" PRIu64 " prompt_tokens=%" PRIu64 " output_tokens=%" PRIu64 "\n",
	              t->requests, t->refused, t->prompt_tokens, t->output_tokens);
	return 0;
}

static int render_queue(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct broker_tenant *t = arg;
	struct sched_tenant_stats st;

	memset(&st, 0, sizeof st);
	sched_tenant_stats(t->owner->sched, t->name, &st);
	strbuf_printf(sb, "queued=%u inflight=%u vtc=%" PRIu64 " tokens=%" PRIu64 " requests=%" PRIu64 " refused=%" PRIu64 "\n",
	              st.queued, st.inflight, st.vtc, st.tokens, st.requests, st.refused);
	return 0;
}

static int render_latency(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct broker_tenant *t = arg;
	for (uint32_t i = 0; i < HIVE_BROKER_LAT_BUCKETS; i++) {
		if (i + 1 < HIVE_BROKER_LAT_BUCKETS)
			strbuf_printf(sb, "le_ms=%llu %" PRIu64 "\n", 1ull << i, t->lat_buckets[i]);
		else
			strbuf_printf(sb, "le_ms=inf %" PRIu64 "\n", t->lat_buckets[i]);
	}
	return 0;
}

int brokerfs_tenant(struct broker *b, struct broker_tenant *t)
{
	struct ns *ns = b->hive->ns;

	t->owner = b;
	t->dir = ns_mkdir(ns, b->tenants_dir, t->name, &dir_perm);
	if (!t->dir || !ns_text_file(ns, t->dir, "weight", &ro, render_weight, t) ||
	    !ns_text_file(ns, t->dir, "budget", &ro, render_budget, t) ||
	    !ns_text_file(ns, t->dir, "usage", &ro, render_usage, t) ||
	    !ns_text_file(ns, t->dir, "queue", &ro, render_queue, t) ||
	    !ns_text_file(ns, t->dir, "latency", &ro, render_latency, t)) {
		int rc = -errno;
		if (t->dir)
			ns_remove(ns, t->dir);
		t->dir = NULL;
		return rc < 0 ? rc : -ENOMEM;
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* weight TENANT N | budget TENANT TOKENS_PER_MIN [BURST] */
static int ctl_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply, struct err *err)
{
	struct broker *b = arg;
	char verb[16], tenant[HIVE_MANIFEST_NAME_MAX + 2], a1[32], a2[32];
	uint64_t n1 = 0, n2 = 0;
	int k = sscanf(line, "%15s %65s %31s %31s", verb, tenant, a1, a2);

	if (k < 3 || strlen(tenant) > HIVE_MANIFEST_NAME_MAX || parse_u64(a1, &n1) < 0 ||
	    (k == 4 && parse_u64(a2, &n2) < 0))
		return err_set(err, EINVAL, "want: weight TENANT N | budget TENANT TOKENS_PER_MIN [BURST]");
	int weight = strcmp(verb, "weight") == 0, budget = strcmp(verb, "budget") == 0;
	if ((!weight && !budget) || (weight && (k != 3 || n1 > 10000)))
		return err_set(err, EINVAL, "want: weight TENANT 0..10000 | budget TENANT TOKENS_PER_MIN [BURST]");
	struct broker_tenant *t = broker_tenant(b, tenant);
	if (!t)
		return err_set(err, ENOSPC, "tenant %s: the broker keeps at most %u tenants (or a bad name)", tenant,
		               HIVE_SCHED_TENANTS_MAX);
	struct broker_tenant old = *t;
	if (weight) {
		t->weight = (uint32_t)n1;
		t->weight_set = 1;
	}
	else {
		t->budget_per_min = n1;
		t->burst = k == 4 ? n2 : 0;
	}
	int rc = broker_tenant_apply(b, t, err);
	if (rc < 0) {
		*t = old;
		return rc;
	}
	if (weight) { /* its CPU share follows, once it has agents */
		struct err cerr = { 0 };
		rc = agents_tenant_weight(b->hive, t->name, t->weight, &cerr);
		strbuf_printf(reply, "cpu=%s\n", rc == 0 ? "set" : rc == -ENOENT ? "no-agents" : "unsupported");
	}
	hive_event(b->hive, who, "ctl", "/broker/ctl", "tenant=%s weight=%u tokens_per_minute=%" PRIu64 " burst=%" PRIu64,
	           t->name, t->weight, t->budget_per_min, t->burst);
	return 0;
}

static int render_ctl_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct broker *b = arg;
	strbuf_printf(sb, "# port=%d upstream=%s slots=%u discipline=%s\n"
	                  "weight TENANT N                         inference and CPU share (0 refuses)\n"
	                  "budget TENANT TOKENS_PER_MIN [BURST]    tokens a minute, 0 = unlimited\n",
	              b->port, b->cfg.upstream, b->cfg.slots, b->cfg.fifo ? "fifo" : "fair");
	return 0;
}

static int render_models(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct broker *b = arg;
	for (const char *p = b->cfg.models; *p;) {
		size_t l = strcspn(p, ",");
		strbuf_printf(sb, "%.*s\n", (int)l, p);
		p += l + (p[l] == ',');
	}
	return 0;
}

int brokerfs_make(struct broker *b, struct err *err)
{
	struct ns *ns = b->hive->ns;

	b->dir = ns_mkdir(ns, ns_root(ns), "broker", &dir_perm);
	if (!b->dir || !(b->tenants_dir = ns_mkdir(ns, b->dir, "tenants", &dir_perm)) ||
	    !ns_ctl_file(ns, b->dir, "ctl", &ctl_perm, ctl_line, render_ctl_usage, b) ||
	    !ns_text_file(ns, b->dir, "models", &ro, render_models, b))
		return err_set(err, errno ? errno : ENOMEM, "cannot make /broker: %s", strerror(errno));
	return 0;
}
