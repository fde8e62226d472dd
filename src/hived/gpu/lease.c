/*
 * lease.c — GPU leases: /gpu/<id>/lease takes requests, keeps a bounded
 * FIFO per GPU, grants what fits, ends leases on expiry, release,
 * revocation or the holder's end, and applies the memory policy to the
 * processes the bridge reports.
 *
 * A request (one JSON line, strict):
 *   {"schema":"gpu-lease/v1","mem_mb":4096,"ttl_s":120,"mode":"exclusive"|"shared"
 *    [,"wait":false] [,"agent":"a-3" (queen only)]}
 * An agent asks for itself (its AID is its session's subject, never a
 * field) and must hold gpu.lease. Other lines: `release` (the holder),
 * `release <aid>` and `revoke <aid> [reason]` (queen).
 *
 * Grant rule: an exclusive lease needs the GPU unleased; a shared one
 * needs no exclusive holder and its memory inside what the granted leases
 * leave of mem_total_mb. Requests are served strictly in order (no one
 * jumps the queue); tenant weights are not consulted yet (docs/gpu.md).
 *
 * Every grant, queueing, refusal, release, expiry, revocation and
 * violation is a `gpu` event (hive_event: a queen.log row, an audit record).
 */
#include "gpu.h"
#include "gpu_impl.h"
#include "hived/agent/agent.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Who the hive acts as when it ends a lease or kills by policy. */
static const struct principal gpu_self = { .role = HIVE_ROLE_QUEEN, .subject = "gpu", .transport = "internal" };

struct lease_req {
	char aid[HIVE_SUBJECT_MAX + 1];
	uint32_t mem_mb, ttl_s;
	int exclusive, wait;
};

static char *lease_path(const struct gpu_dev *d, char *buf, size_t cap)
{
	snprintf(buf, cap, "/gpu/%s/lease", d->id);
	return buf;
}

int gpu_lease_held(const struct gpu_dev *d, const char *aid)
{
	for (unsigned i = 0; i < HIVE_GPU_LEASES_MAX; i++)
		if (d->leases[i].state == GPU_LEASE_ACTIVE && !strcmp(d->leases[i].aid, aid))
			return 1;
	return 0;
}

uint64_t gpu_lease_memory_mb(struct hive *hive, const char *aid)
{
	struct gpu *g = hive->gpu;
	uint64_t mb = 0;

	for (unsigned i = 0; g && i < HIVE_GPU_MAX; i++)
		for (unsigned j = 0; g->devs[i].id[0] && j < HIVE_GPU_LEASES_MAX; j++)
			if (g->devs[i].leases[j].state == GPU_LEASE_ACTIVE && !strcmp(g->devs[i].leases[j].aid, aid))
				mb += g->devs[i].leases[j].mem_mb;
	return mb;
}

/* Why r cannot be granted on d now ("" when it can), into why. */
static int lease_fits(const struct gpu_dev *d, const struct gpu_lease *r, char *why, size_t cap)
{
	uint64_t used = 0;
	unsigned active = 0;

	for (unsigned i = 0; i < HIVE_GPU_LEASES_MAX; i++) {
		const struct gpu_lease *l = &d->leases[i];
		if (l->state != GPU_LEASE_ACTIVE)
			continue;
		if (l->exclusive)
			return snprintf(why, cap, "held-exclusive holder=%s", l->aid), 0;
		active++;
		used += l->mem_mb;
	}
	if (r->exclusive && active)
		return snprintf(why, cap, "in-use leases=%u", active), 0;
	if (d->mem_total_mb && used + r->mem_mb > d->mem_total_mb)
		return snprintf(why, cap, "memory free_mb=%llu", (unsigned long long)(d->mem_total_mb - used)), 0;
	why[0] = '\0';
	return 1;
}

static void lease_grant(struct gpu *g, struct gpu_dev *d, struct gpu_lease *l)
{
	char path[HIVE_PATH_MAX];

	l->state = GPU_LEASE_ACTIVE;
	l->since_ms = loop_now_ms();
	l->expires_ms = l->since_ms + (uint64_t)l->ttl_s * 1000u;
	hive_event(g->hive, &gpu_self, "gpu", lease_path(d, path, sizeof path),
	           "lease=grant aid=%s mem_mb=%u ttl_s=%u mode=%s seq=%llu", l->aid, l->mem_mb, l->ttl_s,
	           l->exclusive ? "exclusive" : "shared", (unsigned long long)l->seq);
}

static void lease_end(struct gpu *g, struct gpu_dev *d, struct gpu_lease *l, const struct principal *who,
                      const char *how, const char *reason)
{
	char path[HIVE_PATH_MAX];

	hive_event(g->hive, who, "gpu", lease_path(d, path, sizeof path), "lease=%s aid=%s was=%s reason=%s", how,
	           l->aid, l->state == GPU_LEASE_ACTIVE ? "active" : "queued", reason);
	memset(l, 0, sizeof *l);
}

/* Grant queued requests in order while the head fits. */
static void lease_promote(struct gpu *g, struct gpu_dev *d)
{
	char why[96];

	for (;;) {
		struct gpu_lease *head = NULL;
		for (unsigned i = 0; i < HIVE_GPU_LEASES_MAX; i++) {
			struct gpu_lease *l = &d->leases[i];
			if (l->state == GPU_LEASE_QUEUED && (!head || l->seq < head->seq))
				head = l;
		}
		if (!head || !lease_fits(d, head, why, sizeof why))
			return;
		lease_grant(g, d, head);
	}
}

void gpu_lease_sweep(struct gpu *g)
{
	uint64_t now = loop_now_ms();

	for (unsigned i = 0; i < HIVE_GPU_MAX; i++) {
		struct gpu_dev *d = &g->devs[i];
		int changed = 0;

		for (unsigned j = 0; d->id[0] && j < HIVE_GPU_LEASES_MAX; j++) {
			struct gpu_lease *l = &d->leases[j];
			int holds;

			if (l->state == GPU_LEASE_FREE)
				continue;
			holds = agents_holds(g->hive, l->aid, "gpu.lease");
			if (holds != 1) {
				lease_end(g, d, l, &gpu_self, "revoke", holds < 0 ? "holder-ended" : "capability-revoked");
				changed = 1;
			} else if (l->state == GPU_LEASE_ACTIVE && now >= l->expires_ms) {
				lease_end(g, d, l, &gpu_self, "expire", "ttl");
				changed = 1;
			}
		}
		if (d->id[0])
			lease_promote(g, d);
		if (changed && d->dir)
			ns_node_touch(d->dir);
	}
}

static int lease_parse(const struct principal *who, const char *line, struct lease_req *r, struct err *err)
{
	json_error_t jerr;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *key, *mode = NULL;
	int rc = 0;

	memset(r, 0, sizeof *r);
	r->wait = 1;
	if (!j || !json_is_object(j)) {
		rc = err_set(err, EINVAL, "lease: not a JSON object (%s)", j ? "array or value" : jerr.text);
		goto out;
	}
	json_object_foreach(j, key, v) {
		if (!strcmp(key, "schema")) {
			if (!json_is_string(v) || strcmp(json_string_value(v), "gpu-lease/v1")) {
				rc = err_set(err, EINVAL, "lease: schema must be \"gpu-lease/v1\"");
				goto out;
			}
		} else if (!strcmp(key, "mem_mb") || !strcmp(key, "ttl_s")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
			uint32_t max = key[0] == 'm' ? UINT32_MAX : HIVE_GPU_LEASE_TTL_MAX;
			if (n < 1 || (uint64_t)n > max) {
				rc = err_set(err, EINVAL, "lease: %s must be an integer 1..%u", key, max);
				goto out;
			}
			*(key[0] == 'm' ? &r->mem_mb : &r->ttl_s) = (uint32_t)n;
		} else if (!strcmp(key, "mode") && json_is_string(v)) {
			mode = json_string_value(v);
		} else if (!strcmp(key, "wait") && json_is_boolean(v)) {
			r->wait = json_is_true(v);
		} else if (!strcmp(key, "agent") && json_is_string(v) && who->role == HIVE_ROLE_QUEEN &&
		           strlen(json_string_value(v)) <= HIVE_SUBJECT_MAX) {
			snprintf(r->aid, sizeof r->aid, "%s", json_string_value(v));
		} else {
			rc = err_set(err, EINVAL, "lease: unknown or bad field '%.32s' (schema, mem_mb, ttl_s, mode, wait%s)",
			             key, who->role == HIVE_ROLE_QUEEN ? ", agent" : "");
			goto out;
		}
	}
	if (!mode || (strcmp(mode, "exclusive") && strcmp(mode, "shared"))) {
		rc = err_set(err, EINVAL, "lease: mode must be \"exclusive\" or \"shared\"");
		goto out;
	}
	if (!r->mem_mb || !r->ttl_s) {
		rc = err_set(err, EINVAL, "lease: mem_mb and ttl_s are required");
		goto out;
	}
	r->exclusive = !strcmp(mode, "exclusive");
	if (who->role == HIVE_ROLE_WORKER)
		snprintf(r->aid, sizeof r->aid, "%s", who->subject);
	if (!r->aid[0])
		rc = err_set(err, EINVAL, "lease: whose? (the queen names \"agent\")");
out:
	json_decref(j);
	return rc;
}

static struct gpu_lease *lease_of(struct gpu_dev *d, const char *aid)
{
	for (unsigned i = 0; i < HIVE_GPU_LEASES_MAX; i++)
		if (d->leases[i].state != GPU_LEASE_FREE && !strcmp(d->leases[i].aid, aid))
			return &d->leases[i];
	return NULL;
}

static int lease_request(struct gpu_dev *d, const struct principal *who, const char *line, struct strbuf *reply,
                         struct err *err)
{
	struct gpu *g = d->gpu;
	struct lease_req r;
	struct gpu_lease *slot = NULL, want = { 0 };
	char path[HIVE_PATH_MAX], why[96];
	int rc, queued = 0;

	lease_path(d, path, sizeof path);
	if ((rc = lease_parse(who, line, &r, err)) < 0)
		return rc;
	if (agents_holds(g->hive, r.aid, "gpu.lease") != 1) {
		hive_deny(g->hive, who, HIVE_PRESSURE_POLICY, HIVE_DENY_CTL, path, "no-capability",
		          "aid=%s cap=gpu.lease", r.aid);
		return err_set(err, EACCES, "lease: %s does not hold gpu.lease (or is not a live agent)", r.aid);
	}
	if (lease_of(d, r.aid))
		return err_set(err, EEXIST, "lease: %s already holds or awaits a lease on gpu %s", r.aid, d->id);
	if (d->mem_total_mb && r.mem_mb > d->mem_total_mb)
		return err_set(err, EINVAL, "lease: mem_mb %u exceeds gpu %s's %llu MiB", r.mem_mb, d->id,
		               (unsigned long long)d->mem_total_mb);
	snprintf(want.aid, sizeof want.aid, "%s", r.aid);
	want.mem_mb = r.mem_mb;
	want.ttl_s = r.ttl_s;
	want.exclusive = r.exclusive;
	for (unsigned i = 0; i < HIVE_GPU_LEASES_MAX; i++) {
		if (d->leases[i].state == GPU_LEASE_QUEUED)
			queued++;
		if (d->leases[i].state == GPU_LEASE_FREE && !slot)
			slot = &d->leases[i];
	}
	if (!queued && lease_fits(d, &want, why, sizeof why)) {
		if (!slot)
			goto full;
		want.seq = ++g->lease_seq;
		*slot = want;
		lease_grant(g, d, slot);
		strbuf_printf(reply, "granted gpu=%s aid=%s CUDA_VISIBLE_DEVICES=%s\n", d->id, r.aid, d->id);
		ns_node_touch(d->dir);
		return 0;
	}
	if (queued)
		snprintf(why, sizeof why, "queue ahead=%d", queued);
	if (!r.wait) {
		hive_deny(g->hive, who, HIVE_PRESSURE_BUSY, HIVE_DENY_CTL, path, "gpu-busy", "aid=%s %s", r.aid, why);
		return err_set(err, EBUSY, "lease: gpu %s busy (%s)", d->id, why);
	}
	if (!slot)
		goto full;
	want.seq = ++g->lease_seq;
	want.state = GPU_LEASE_QUEUED;
	want.since_ms = loop_now_ms();
	*slot = want;
	hive_event(g->hive, who, "gpu", path, "lease=queue aid=%s mem_mb=%u ttl_s=%u mode=%s seq=%llu %s", r.aid,
	           r.mem_mb, r.ttl_s, r.exclusive ? "exclusive" : "shared", (unsigned long long)want.seq, why);
	strbuf_printf(reply, "queued gpu=%s aid=%s position=%d %s\n", d->id, r.aid, queued + 1, why);
	return 0;
full:
	hive_deny(g->hive, who, HIVE_PRESSURE_BUSY, HIVE_DENY_CTL, path, "queue-full", "aid=%s max=%u", r.aid,
	          HIVE_GPU_LEASES_MAX);
	return err_set(err, EBUSY, "lease: gpu %s: %u leases granted or queued (HIVE_GPU_LEASES_MAX)", d->id,
	               HIVE_GPU_LEASES_MAX);
}

static int lease_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply,
                      struct err *err)
{
	struct gpu_dev *d = arg;
	char aid[HIVE_SUBJECT_MAX + 1] = "", reason[64] = "queen";
	struct gpu_lease *l;
	int n = 0;

	if (line[0] == '{')
		return lease_request(d, who, line, reply, err);
	if (!strcmp(line, "release") && who->role == HIVE_ROLE_WORKER) {
		snprintf(aid, sizeof aid, "%s", who->subject);
	} else if (who->role == HIVE_ROLE_QUEEN &&
	           (sscanf(line, "release %64s%n", aid, &n) == 1 || sscanf(line, "revoke %64s %63s", aid, reason) >= 1)) {
		/* aid and reason parsed */
	} else {
		return err_set(err, EINVAL, "usage: {\"schema\":\"gpu-lease/v1\",...} | release%s",
		               who->role == HIVE_ROLE_QUEEN ? " <aid> | revoke <aid> [reason]" : "");
	}
	if (!(l = lease_of(d, aid)))
		return err_set(err, ENOENT, "lease: %s has no lease on gpu %s", aid, d->id);
	lease_end(d->gpu, d, l, who, n ? "release" : line[2] == 'v' ? "revoke" : "release",
	          who->role == HIVE_ROLE_WORKER ? "holder" : reason);
	lease_promote(d->gpu, d);
	ns_node_touch(d->dir);
	strbuf_printf(reply, "ended gpu=%s aid=%s\n", d->id, aid);
	return 0;
}

/* gpu-lease/v1 lines: every lease for queen and observer, a worker's own only. */
static int lease_render(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct gpu_dev *d = arg;
	uint64_t now = loop_now_ms();

	for (unsigned i = 0; i < HIVE_GPU_LEASES_MAX; i++) {
		const struct gpu_lease *l = &d->leases[i];
		if (l->state == GPU_LEASE_FREE || (who->role == HIVE_ROLE_WORKER && strcmp(who->subject, l->aid)))
			continue;
		strbuf_printf(sb,
		              "{\"schema\":\"gpu-lease/v1\",\"state\":\"%s\",\"gpu_id\":\"%s\",\"worker_id\":\"%s\","
		              "\"mem_mb\":%u,\"ttl_s\":%u,\"mode\":\"%s\",\"seq\":%llu,",
		              l->state == GPU_LEASE_ACTIVE ? "ACTIVE" : "QUEUED", d->id, l->aid, l->mem_mb, l->ttl_s,
		              l->exclusive ? "exclusive" : "shared", (unsigned long long)l->seq);
		if (l->state == GPU_LEASE_ACTIVE)
			strbuf_printf(sb, "\"expires_in_ms\":%llu,\"cuda_visible_devices\":\"%s\"}\n",
			              (unsigned long long)(l->expires_ms > now ? l->expires_ms - now : 0), d->id);
		else
			strbuf_printf(sb, "\"waited_ms\":%llu}\n", (unsigned long long)(now - l->since_ms));
	}
	return sb->overflow ? -EFBIG : 0;
}

struct ns_node *gpu_lease_file(struct gpu *g, struct gpu_dev *d)
{
	static const struct ns_perm lease_perm = {
		.mode = 0664, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL,
		.write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) | HIVE_ROLE_BIT(HIVE_ROLE_WORKER),
	};

	d->gpu = g;
	return ns_ctl_file(g->hive->ns, d->dir, "lease", &lease_perm, lease_line, lease_render, d);
}

/* `proc pid=<n> mem_mb=<n>` lines of the status just published. */
void gpu_lease_check_procs(struct gpu *g, struct gpu_dev *d)
{
	struct {
		char aid[HIVE_SUBJECT_MAX + 1];
		uint64_t mb;
		long pid;
	} use[HIVE_GPU_PROCS_MAX];
	unsigned nuse = 0, seen = 0;
	const char *p = d->status.data, *end = p ? p + d->status.len : NULL;
	char path[HIVE_PATH_MAX];

	if (!p || !g->hive->agent_of_pid)
		return;
	while (p < end && seen < HIVE_GPU_PROCS_MAX) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		char line[128], aid[HIVE_SUBJECT_MAX + 1];
		size_t len = (size_t)((eol ? eol : end) - p);
		long pid;
		unsigned long long mb;
		unsigned k;

		if (len < sizeof line) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (sscanf(line, "proc pid=%ld mem_mb=%llu", &pid, &mb) == 2 && pid > 0 &&
			    g->hive->agent_of_pid(g->hive, (pid_t)pid, aid, sizeof aid) == 1) {
				seen++;
				for (k = 0; k < nuse && strcmp(use[k].aid, aid); k++)
					;
				if (k == nuse) {
					snprintf(use[k].aid, sizeof use[k].aid, "%s", aid);
					use[k].mb = 0;
					use[k].pid = pid;
					nuse++;
				}
				use[k].mb += mb;
			}
		}
		p = eol ? eol + 1 : end;
	}
	lease_path(d, path, sizeof path);
	for (unsigned k = 0; k < nuse; k++) {
		struct gpu_lease *l = lease_of(d, use[k].aid);
		struct err err = { 0 };

		if (l && l->state == GPU_LEASE_ACTIVE && use[k].mb <= l->mem_mb)
			continue;
		/* Policy: a process on a GPU past its lease, or with none, is
		 * killed with its agent; the record names both. */
		hive_event(g->hive, &gpu_self, "gpu", path,
		           "lease=violation aid=%s pid=%ld used_mb=%llu lease_mb=%u reason=%s action=kill", use[k].aid,
		           use[k].pid, (unsigned long long)use[k].mb, l && l->state == GPU_LEASE_ACTIVE ? l->mem_mb : 0,
		           l && l->state == GPU_LEASE_ACTIVE ? "over-lease" : "no-lease");
		if (agents_kill(g->hive, &gpu_self, use[k].aid, &err) < 0)
			hive_event(g->hive, &gpu_self, "gpu", path, "lease=violation aid=%s kill=failed msg=%s", use[k].aid,
			           err.msg);
		if (l)
			lease_end(g, d, l, &gpu_self, "revoke", "violation");
	}
	if (nuse)
		lease_promote(g, d);
}
