/*
 * agentfs.c — an agent as files: /agent/<aid>/{manifest,caps,state,quota,
 * attest,telemetry,events,ctl} and the table as /proc/agents.
 *
 * Every /agent/<aid> is seen by the queen and observers, and by the worker
 * whose subject is <aid> (the agent's own HIVE_FD session): tree.c's
 * hive_agent_visible. The text files render at open, so a reader never
 * sees a torn value; events and telemetry are bounded rings.
 */
#include "agent_impl.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/gpu/gpu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct ns_perm agent_dir = {
	.mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .visible = hive_agent_visible,
};
static const struct ns_perm agent_ro = {
	.mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .visible = hive_agent_visible,
};
/* The queen acts; the agent itself may ask (has) and delegate (grant). */
static const struct ns_perm agent_ctl = {
	.mode = 0664, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL,
	.write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) | HIVE_ROLE_BIT(HIVE_ROLE_WORKER), .visible = hive_agent_visible,
};

void agentfs_state_line(const struct agent *a, struct strbuf *sb)
{
	struct cgroup_stats st = { 0 };
	char code[16] = "-", sig[16] = "-";

	if (a->cg)
		cgroup_agent_stats(a->cg, &st);
	if (a->exit_code >= 0)
		snprintf(code, sizeof code, "%d", a->exit_code);
	if (a->exit_signal >= 0)
		snprintf(sig, sizeof sig, "%d", a->exit_signal);
	strbuf_printf(sb,
	              "aid=%s class=%s tenant=%s state=%s pid=%d uid=%d cpu_ms=%llu memory=%llu denials=%llu "
	              "tokens=%llu exit=%s signal=%s reason=%s\n",
	              a->aid, a->cls->name, a->img->m->tenant, agent_state_name(a->state), (int)a->pid,
	              a->uid == (uid_t)-1 ? (int)geteuid() : (int)a->uid, (unsigned long long)(st.cpu_usec / 1000u),
	              (unsigned long long)st.memory_bytes, (unsigned long long)a->denials,
	              (unsigned long long)a->tokens_used, code, sig, a->reason[0] ? a->reason : "-");
}

static int render_state(void *arg, const struct principal *who, struct strbuf *sb)
{
	agentfs_state_line(arg, sb);
	return 0;
}

static int render_manifest(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct agent *a = arg;

	strbuf_append(sb, a->img->bytes, a->img->len);
	return sb->overflow ? -EFBIG : 0;
}

static int render_caps(void *arg, const struct principal *who, struct strbuf *sb)
{
	static const char *const origin[] = { "manifest", "base", "granted" };
	const struct agent *a = arg;
	char text[HIVE_ATTEST_CAP_MAX];

	for (uint32_t i = 0; i < a->ncaps; i++) {
		if (cap_format(&a->caps[i].cap, text, sizeof text) < 0)
			continue;
		strbuf_printf(sb, "%s %s%s\n", text, origin[a->caps[i].origin],
		              a->caps[i].in_ceiling ? "" : " brokered");
	}
	strbuf_printf(sb, "# enforcement: %s%s\n", a->enforcement,
	              a->revoked_in_ceiling ? " (a right inside the ceiling was revoked: opens are brokered)" : "");
	return 0;
}

static int render_quota(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct agent *a = arg;
	const struct manifest_quota *q = &a->quota;

	strbuf_printf(sb, "cpu_weight=%u\nmemory_max=%llu\npids_max=%u\ntokens_per_minute=%llu\ntokens_used=%llu\n",
	              q->cpu_weight ? q->cpu_weight : HIVE_AGENT_DEFAULT_CPU_WEIGHT,
	              (unsigned long long)(q->memory_max ? q->memory_max : HIVE_AGENT_DEFAULT_MEMORY_MAX),
	              q->pids_max ? q->pids_max : HIVE_AGENT_DEFAULT_PIDS_MAX, (unsigned long long)q->tokens_per_minute,
	              (unsigned long long)a->tokens_used);
	/* Memory tiers (docs/gpu.md): GPU memory is what its leases hold
	 * (enforced by the bridge's reports and kill); RAM is memory_max (the
	 * cgroup's OOM limit); disk has no budget yet. */
	strbuf_printf(sb, "gpu_memory_mb=%llu\ndisk_max=none\n"
	                  "enforced.gpu_memory_mb=lease+kill\nenforced.memory_max=cgroup\nenforced.disk_max=no\n",
	              (unsigned long long)gpu_lease_memory_mb(a->owner->hive, a->aid));
	return 0;
}

static int render_attest(void *arg, const struct principal *who, struct strbuf *sb)
{
	const struct agent *a = arg;

	if (a->attest)
		strbuf_append(sb, a->attest, a->attest_len);
	return sb->overflow ? -EFBIG : 0;
}

static int render_ctl_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	strbuf_printf(sb, "usage: one command per line\n"
	                  "  kill | quarantine | resume            (queen)\n"
	                  "  grant <cap>... | revoke <cap>...      (queen)\n"
	                  "  quota <key>=<value>...                (queen)\n"
	                  "  has <cap>                             (the agent: read the answer on the same open)\n"
	                  "  grant <aid> <cap>...                  (the agent, with cap.grant:<cap>)\n");
	return 0;
}

static int ctl_run(struct agent *a, const struct principal *who, const char *verb, const char *rest,
                   struct strbuf *reply, struct err *err)
{
	struct hive *hive = a->owner->hive;
	int queen = who->role == HIVE_ROLE_QUEEN;

	if (strcmp(verb, "has") == 0)
		return *rest ? agents_has(hive, who, a->aid, rest, reply, err) : err_set(err, EINVAL, "usage: has <cap>");
	if (strcmp(verb, "grant") == 0 && !queen) {
		/* Delegation: "grant <aid> <cap>..." by an agent holding cap.grant. */
		char other[HIVE_AID_MAX + 1];
		size_t n = strcspn(rest, " \t");
		if (n == 0 || n >= sizeof other || !rest[n])
			return err_set(err, EINVAL, "usage: grant <aid> <cap>...");
		memcpy(other, rest, n);
		other[n] = '\0';
		return agents_grant(hive, who, other, rest + n + strspn(rest + n, " \t"), err);
	}
	if (!queen)
		return err_set(err, EPERM, "%s: only the queen may do that on /agent/%s/ctl (an agent may: has, grant)",
		               verb, a->aid);
	if (strcmp(verb, "kill") == 0 && !*rest)
		return agents_kill(hive, who, a->aid, err);
	if (strcmp(verb, "quarantine") == 0 && !*rest)
		return agents_quarantine(hive, who, a->aid, err);
	if (strcmp(verb, "resume") == 0 && !*rest)
		return agents_resume(hive, who, a->aid, err);
	if (strcmp(verb, "grant") == 0 && *rest)
		return agents_grant(hive, who, a->aid, rest, err);
	if (strcmp(verb, "revoke") == 0 && *rest)
		return agents_revoke(hive, who, a->aid, rest, err);
	if (strcmp(verb, "quota") == 0 && *rest)
		return agents_quota(hive, who, a->aid, rest, err);
	return err_set(err, EINVAL, "'%s': unknown or malformed command (try: kill, quarantine, resume, grant <cap>, "
	               "revoke <cap>, quota <k>=<v>, has <cap>)", verb);
}

static int ctl_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply,
                    struct err *err)
{
	struct agent *a = arg;
	char verb[16], path[HIVE_AID_MAX + 16];
	const char *p = line + strspn(line, " \t");
	size_t n = strcspn(p, " \t");
	int rc;

	snprintf(path, sizeof path, "/agent/%s/ctl", a->aid);
	if (n == 0 || n >= sizeof verb) {
		rc = err_set(err, EINVAL, "'%.*s': unknown command (try: kill, quarantine, resume, grant, revoke, quota, "
		             "has)", (int)(n < 32 ? n : 32), p);
		snprintf(verb, sizeof verb, "-");
	} else {
		memcpy(verb, p, n);
		verb[n] = '\0';
		p += n;
		p += strspn(p, " \t");
		rc = ctl_run(a, who, verb, p, reply, err);
	}
	if (rc == 0)
		hive_event(a->owner->hive, who, "ctl", path, "result=ok verb=%s", verb);
	else
		hive_deny(a->owner->hive, who, HIVE_PRESSURE_POLICY, HIVE_DENY_CTL, path, "refused",
		          "result=refused verb=%s msg=%s", verb, err->msg);
	return rc;
}

int agentfs_make(struct agent *a, struct err *err)
{
	struct hive *hive = a->owner->hive;
	struct ns_node *dir = ns_lookup(hive->ns, "/agent"), *d;

	if (!dir)
		return err_set(err, ENOENT, "no /agent in the tree");
	a->events = ns_ring_new(HIVE_AGENT_EVENTS_BYTES, NS_RING_CLAMP);
	a->telemetry = ns_ring_new(HIVE_AGENT_TELEMETRY_BYTES, NS_RING_STALE);
	if (!a->events || !a->telemetry)
		return err_set(err, ENOMEM, "out of memory for %s's rings", a->aid);
	d = ns_mkdir(hive->ns, dir, a->aid, &agent_dir);
	if (!d)
		return err_set(err, errno, "cannot make /agent/%s: %s", a->aid, strerror(errno));
	a->node = d;
	if (!ns_text_file(hive->ns, d, "manifest", &agent_ro, render_manifest, a) ||
	    !ns_text_file(hive->ns, d, "caps", &agent_ro, render_caps, a) ||
	    !ns_text_file(hive->ns, d, "state", &agent_ro, render_state, a) ||
	    !ns_text_file(hive->ns, d, "quota", &agent_ro, render_quota, a) ||
	    !ns_text_file(hive->ns, d, "attest", &agent_ro, render_attest, a) ||
	    !ns_ring_file(hive->ns, d, "events", &agent_ro, a->events, 0) ||
	    !ns_ring_file(hive->ns, d, "telemetry", &agent_ro, a->telemetry, 0) ||
	    !ns_ctl_file(hive->ns, d, "ctl", &agent_ctl, ctl_line, render_ctl_usage, a))
		return err_set(err, errno, "cannot make the files of /agent/%s: %s", a->aid, strerror(errno));
	return 0;
}

void agentfs_remove(struct agent *a)
{
	/* Open fids keep the nodes; I/O on them fails with ENOENT from here,
	 * so the rings may go. */
	if (a->node)
		ns_remove(a->owner->hive->ns, a->node);
	a->node = NULL;
	ns_ring_free(a->events);
	ns_ring_free(a->telemetry);
	a->events = a->telemetry = NULL;
}

static int render_agents(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;

	if (!hive->agents)
		return 0;
	/* A first line even with no agent: a reader sees the file works. */
	strbuf_printf(sb, "# live=%u ended=%u max=%u\n", hive->agents->live, hive->agents->n - hive->agents->live,
	              HIVE_AGENTS_MAX);
	for (struct agent *a = hive->agents->head; a; a = a->next)
		if (!a->node || hive_agent_visible(a->node, who))
			agentfs_state_line(a, sb);
	return sb->overflow ? -EFBIG : 0;
}

int agentfs_build_proc(struct hive *hive)
{
	static const struct ns_perm ro = { .mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	struct ns_node *proc = ns_lookup(hive->ns, "/proc");

	if (!proc)
		return -ENOENT;
	if (!ns_text_file_max(hive->ns, proc, "agents", &ro, render_agents, hive, HIVE_AGENTS_SNAPSHOT_MAX))
		return -errno;
	return 0;
}
