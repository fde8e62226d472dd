/*
 * agentctl.c — what an agent may do, decided against its current bundle,
 * and the verbs that change it: kill, quarantine, resume, grant, revoke,
 * quota, has.
 *
 * The supervisor's answer (agent_decide) is one place: a right is checked
 * as text against canonical paths (realpath at spawn and at grant; the
 * supervisor canonicalises what the agent asked), so one file has one
 * spelling on both sides. Landlock is the ceiling fixed at spawn: an
 * allowed call inside it may CONTINUE (the kernel re-checks it), but once a
 * right inside the ceiling is revoked, or a right outside it was granted,
 * opens are brokered — the supervisor opens the file itself and hands the
 * agent that very descriptor, so a path swapped after the check cannot
 * slip through (DESIGN.md §4).
 */
#include "agent_impl.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- capabilities ----------------------------------------------------------- */

int agent_cap_parse(struct cap *c, const char *text, struct err *err)
{
	char real[PATH_MAX];
	int rc = cap_parse(c, text, err);

	if (rc < 0)
		return rc;
	/* fs paths (and a cap.grant of one) compare canonically: /bin/sh is
	 * /usr/bin/dash to the kernel, so it is to the supervisor. */
	if (c->arg && c->arg[0] == '/' && realpath(c->arg, real) && strcmp(real, c->arg) != 0 &&
	    strlen(real) < HIVE_PATH_MAX) {
		char *dup = strdup(real);
		if (!dup) {
			cap_clear(c);
			return err_set(err, ENOMEM, "out of memory");
		}
		free(c->arg);
		c->arg = dup;
	}
	return 0;
}

int agent_cap_find(const struct agent *a, const struct cap *c)
{
	for (uint32_t i = 0; i < a->ncaps; i++)
		if (cap_equal(&a->caps[i].cap, c))
			return (int)i;
	return -1;
}

/* path is prefix or below it (prefix canonical, "/" covers everything). */
static int path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return path[0] == '/';
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The cap of kind k covering path or port, or NULL. */
static const struct agent_cap *bundle_covers(const struct agent *a, enum cap_kind k, const char *path, uint16_t port)
{
	for (uint32_t i = 0; i < a->ncaps; i++) {
		const struct agent_cap *ac = &a->caps[i];
		if (ac->cap.kind != k)
			continue;
		if (path ? ac->cap.arg && path_under(path, ac->cap.arg) : ac->cap.port == port)
			return ac;
	}
	return NULL;
}

/* Which kinds would allow op, in the order they are tried. */
static const struct agent_cap *decide_cover(const struct agent *a, const struct notify_access *acc,
                                            const char **capname)
{
	static const enum cap_kind read_kinds[] = { CAP_FS_READ, CAP_FS_WRITE, CAP_FS_EXEC };
	const struct agent_cap *ac = NULL;

	switch (acc->op) {
	case NOTIFY_OPEN_READ:
		*capname = "fs.read";
		for (size_t i = 0; i < 3 && !ac && acc->path; i++)
			ac = bundle_covers(a, read_kinds[i], acc->path, 0);
		return ac;
	case NOTIFY_OPEN_WRITE:
		*capname = "fs.write";
		return acc->path ? bundle_covers(a, CAP_FS_WRITE, acc->path, 0) : NULL;
	case NOTIFY_EXEC:
		*capname = "fs.exec";
		return acc->path ? bundle_covers(a, CAP_FS_EXEC, acc->path, 0) : NULL;
	case NOTIFY_CONNECT_TCP:
		*capname = "net.connect";
		return bundle_covers(a, CAP_NET_CONNECT, NULL, acc->port);
	case NOTIFY_BIND_TCP:
		*capname = "net.bind";
		return bundle_covers(a, CAP_NET_BIND, NULL, acc->port);
	case NOTIFY_OPEN_HANDLE:
		*capname = "fs.handle"; /* no capability grants it: a handle skips every path check */
		return NULL;
	case NOTIFY_SEND_UDP:
		*capname = "net.udp"; /* Landlock <= 7 cannot bound UDP: no capability grants it */
		return NULL;
	case NOTIFY_CONNECT_UNIX:
		*capname = "net.unix"; /* the agent's hive connection is HIVE_FD, nothing else */
		return NULL;
	case NOTIFY_SYSCALL:
		*capname = "sys"; /* ptrace, mount, unshare...: never granted, answered EPERM */
		return NULL;
	default:
		*capname = "net.socket";
		return NULL;
	}
}

static int agent_freeze(struct agent *a, int frozen, struct err *err);

enum notify_decision agent_decide(void *arg, const struct notify_access *acc)
{
	struct agent *a = arg;
	const char *capname = "-";
	const struct agent_cap *ac = decide_cover(a, acc, &capname);
	char object[HIVE_PATH_MAX + 16];
	struct hive *hive = a->owner->hive;
	int unlogged = 0;

	/* After the spawn's own exec of its hashed fd, an exec by descriptor is
	 * refused: the check would name the file the fd held, but the kernel
	 * executes what it holds then, and a memfd swapped in is a file
	 * Landlock does not see (docs/sandbox.md). */
	if (acc->op == NOTIFY_EXEC) {
		if (a->exec_seen && (acc->flags & AT_EMPTY_PATH))
			ac = NULL;
		a->exec_seen = 1;
	}
	if (acc->op == NOTIFY_SYSCALL)
		snprintf(object, sizeof object, "syscall:%s", acc->syscall ? acc->syscall : "-");
	else if (acc->path)
		snprintf(object, sizeof object, "%s", acc->path);
	else
		snprintf(object, sizeof object, "port:%u", acc->port);
	if (ac && a->state != AGENT_QUARANTINED) {
		enum notify_decision d;
		if (a->state == AGENT_CAP_DENIED && loop_now_ms() - a->last_deny_ms >= HIVE_AGENT_DENIED_HOLD_MS)
			agent_set_state(a, AGENT_ACTIVE, "allowed-again");
		if (acc->op == NOTIFY_OPEN_READ || acc->op == NOTIFY_OPEN_WRITE)
			d = a->revoked_in_ceiling || !ac->in_ceiling ? NOTIFY_BROKER : NOTIFY_ALLOW;
		else
			d = ac->in_ceiling ? NOTIFY_ALLOW : NOTIFY_DENY;
		/* An allow is answered only once its record is queued: a log
		 * that cannot take it turns it into a deny (fail closed). */
		if (d == NOTIFY_DENY ||
		    hive_record(hive, &a->who, AUDIT_ALLOW, AUDIT_R_OK, object, capname, "syscall=%s pid=%d answer=%s",
		                acc->syscall ? acc->syscall : "-", (int)acc->pid,
		                d == NOTIFY_BROKER ? "broker" : "continue") >= 0)
			return d;
		unlogged = 1;
	}
	a->denials++;
	a->last_deny_ms = loop_now_ms();
	hive_deny(hive, &a->who, HIVE_PRESSURE_POLICY, HIVE_DENY_SYSCALL, object,
	          unlogged ? "audit-failing" : a->state == AGENT_QUARANTINED ? "quarantined" : "no-capability",
	          "syscall=%s cap=%s pid=%d", acc->syscall ? acc->syscall : "-", capname, (int)acc->pid);
	agent_note(a, "deny", "syscall=%s cap=%s object=%s pid=%d", acc->syscall ? acc->syscall : "-", capname,
	            object, (int)acc->pid);
	if (unlogged || hive->audit_last < 0) {
		/* The log cannot keep up with this agent: it stops until the
		 * operator resumes it (queen.log and /proc/status say why). */
		struct err e = { 0 };
		if (a->state != AGENT_QUARANTINED && agent_freeze(a, 1, &e) == 0)
			agent_set_state(a, AGENT_QUARANTINED, "audit-failing");
		return NOTIFY_DENY;
	}
	if (a->state == AGENT_ACTIVE || a->state == AGENT_ATTESTED)
		agent_set_state(a, AGENT_CAP_DENIED, capname);
	return NOTIFY_DENY;
}

/* --- the verbs --------------------------------------------------------------- */

static struct agent *verb_agent(struct hive *hive, const char *verb, const char *aid, int live, struct err *err)
{
	struct agent *a = agents_find(hive->agents, aid);

	if (!a) {
		err_set(err, ENOENT, "%s: no agent %s", verb, aid);
		return NULL;
	}
	if (live && (a->state == AGENT_TERM_CLEAN || a->state == AGENT_TERM_REVOKED)) {
		err_set(err, ESRCH, "%s: agent %s has ended (%s)", verb, aid, agent_state_name(a->state));
		return NULL;
	}
	return a;
}

int agents_kill(struct hive *hive, const struct principal *who, const char *aid, struct err *err)
{
	struct agent *a = verb_agent(hive, "kill", aid, 1, err);

	if (!a)
		return -err->code;
	agent_event(a, "kill", "by=%s", principal_role_name(who->role));
	agent_kill(a, "killed");
	return 0;
}

/* Freeze the whole group (the freezer), else stop its process group. */
static int agent_freeze(struct agent *a, int frozen, struct err *err)
{
	struct err cerr = { 0 };

	if (a->cg && cgroup_agent_freeze(a->cg, frozen, &cerr) == 0)
		return 0;
	if (a->pid > 0 && kill(-a->pid, frozen ? SIGSTOP : SIGCONT) == 0)
		return 0;
	return err_set(err, errno ? errno : EIO, "cannot %s %s: %s", frozen ? "freeze" : "thaw", a->aid,
	               cerr.msg[0] ? cerr.msg : strerror(errno));
}

int agents_quarantine(struct hive *hive, const struct principal *who, const char *aid, struct err *err)
{
	struct agent *a = verb_agent(hive, "quarantine", aid, 1, err);
	int rc;

	if (!a)
		return -err->code;
	if (a->state == AGENT_QUARANTINED)
		return 0;
	if ((rc = agent_freeze(a, 1, err)) < 0)
		return rc;
	agent_set_state(a, AGENT_QUARANTINED, "quarantine");
	return 0;
}

int agents_resume(struct hive *hive, const struct principal *who, const char *aid, struct err *err)
{
	struct agent *a = verb_agent(hive, "resume", aid, 1, err);
	int rc;

	if (!a)
		return -err->code;
	if (a->state != AGENT_QUARANTINED)
		return err_set(err, EINVAL, "resume: %s is %s, not quarantined", aid, agent_state_name(a->state));
	if ((rc = agent_freeze(a, 0, err)) < 0)
		return rc;
	agent_set_state(a, AGENT_ACTIVE, "resume");
	return 0;
}

/* Parse every cap of a space-separated list before any is used. */
static int caps_parse_all(const char *verb, const char *text, struct cap *out, uint32_t *n, struct err *err)
{
	char word[HIVE_ATTEST_CAP_MAX];
	const char *p = text;
	int rc;

	*n = 0;
	while (*(p += strspn(p, " \t"))) {
		size_t len = strcspn(p, " \t");
		if (len >= sizeof word || *n >= HIVE_MANIFEST_CAPS_MAX) {
			rc = err_set(err, E2BIG, "%s: too many or too long capabilities", verb);
			goto fail;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		if ((rc = agent_cap_parse(&out[*n], word, err)) < 0) {
			char msg[HIVE_ERRSTR_MAX];
			snprintf(msg, sizeof msg, "%s", err->msg);
			err_set(err, -rc, "%s: %s (nothing was changed)", verb, msg);
			goto fail;
		}
		(*n)++;
	}
	if (*n == 0)
		return err_set(err, EINVAL, "%s: no capability given", verb);
	return 0;
fail:
	while (*n > 0)
		cap_clear(&out[--*n]);
	return rc;
}

/* Would the ceiling applied at spawn contain c (same kind, covering)? */
static int in_ceiling(const struct agent *a, const struct cap *c)
{
	for (uint32_t i = 0; i < a->ncaps; i++) {
		const struct agent_cap *ac = &a->caps[i];
		if (!ac->in_ceiling || ac->cap.kind != c->kind)
			continue;
		if (c->arg && c->arg[0] == '/' ? ac->cap.arg && path_under(c->arg, ac->cap.arg)
		                               : cap_equal(&ac->cap, c))
			return 1;
	}
	return 0;
}

/* A worker may grant only what it holds cap.grant for. */
static int may_grant(struct hive *hive, const struct principal *who, const struct cap *c)
{
	struct agent *g;

	if (who->role == HIVE_ROLE_QUEEN)
		return 1;
	if (who->role != HIVE_ROLE_WORKER || !(g = agents_find(hive->agents, who->subject)))
		return 0;
	for (uint32_t i = 0; i < g->ncaps; i++) {
		const struct cap *h = &g->caps[i].cap;
		if (h->kind == CAP_CAP_GRANT && h->of == c->kind &&
		    (c->arg ? h->arg && path_under(c->arg, h->arg) : h->port == c->port))
			return 1;
	}
	return 0;
}

int agents_grant(struct hive *hive, const struct principal *who, const char *aid, const char *text,
                 struct err *err)
{
	struct agent *a = verb_agent(hive, "grant", aid, 1, err);
	struct cap caps[HIVE_MANIFEST_CAPS_MAX];
	char name[HIVE_ATTEST_CAP_MAX];
	uint32_t n, added = 0;
	int rc;

	if (!a)
		return -err->code;
	if ((rc = caps_parse_all("grant", text, caps, &n, err)) < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		cap_format(&caps[i], name, sizeof name);
		if (!may_grant(hive, who, &caps[i])) {
			rc = err_set(err, EPERM, "grant: %s may not grant %s (it needs cap.grant:%s); nothing was granted",
			             who->subject[0] ? who->subject : principal_role_name(who->role), name, name);
			goto out;
		}
		/* Opens outside the ceiling can be brokered; exec and sockets cannot. */
		if (!in_ceiling(a, &caps[i]) && caps[i].kind != CAP_FS_READ && caps[i].kind != CAP_FS_WRITE &&
		    caps[i].kind != CAP_INFER && caps[i].kind != CAP_GPU_LEASE && caps[i].kind != CAP_CAP_GRANT) {
			rc = err_set(err, EPERM, "grant: %s is outside the Landlock ceiling %s was started with, and the "
			             "kernel cannot widen it; put it in the manifest and spawn again (nothing was granted)",
			             name, aid);
			goto out;
		}
	}
	if (a->ncaps + n > HIVE_AGENT_CAPS_MAX) {
		rc = err_set(err, E2BIG, "grant: %s would hold more than %u capabilities", aid, HIVE_AGENT_CAPS_MAX);
		goto out;
	}
	if ((rc = hive_audit_ok(hive)) < 0) {
		rc = err_set(err, -rc, "grant: the audit log cannot take records (%s); nothing was granted",
		             strerror(-rc));
		goto out;
	}
	uint32_t before = a->ncaps;
	for (uint32_t i = 0; i < n; i++) {
		if (agent_cap_find(a, &caps[i]) >= 0)
			continue;
		struct agent_cap *ac = &a->caps[a->ncaps++];
		ac->in_ceiling = in_ceiling(a, &caps[i]);
		ac->origin = AGENT_CAP_GRANTED;
		ac->cap = caps[i];
		caps[i].arg = NULL; /* moved */
		cap_format(&ac->cap, name, sizeof name);
		agent_event(a, "grant", "cap=%s by=%s ceiling=%s", name,
		            who->subject[0] ? who->subject : principal_role_name(who->role),
		            ac->in_ceiling ? "inside" : "outside-brokered");
		added++;
	}
	/* A grant takes effect only once its records are durable (the agent's
	 * calls wait on this loop meanwhile); else it is undone. */
	if (added && (rc = hive_audit_durable(hive, hive->audit_last)) < 0) {
		while (a->ncaps > before)
			cap_clear(&a->caps[--a->ncaps].cap);
		agent_event(a, "grant-undone", "reason=audit-not-durable errno=%d", -rc);
		rc = err_set(err, -rc, "grant: its record could not be made durable (%s); nothing was granted",
		             strerror(-rc));
		goto out;
	}
	if (a->node)
		ns_node_touch(a->node);
	rc = 0;
out:
	for (uint32_t i = 0; i < n; i++)
		cap_clear(&caps[i]);
	return rc;
}

/* Descriptors the agent's main process holds at or under path, into sb:
 * Linux cannot revoke them, so the revocation names them. */
static unsigned open_fds_under(const struct agent *a, const char *path, struct strbuf *sb)
{
	char dir[64], link[PATH_MAX + 32], target[PATH_MAX];
	unsigned found = 0;
	struct dirent *de;
	DIR *d;

	if (a->pid <= 0)
		return 0;
	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)a->pid);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)) && found < HIVE_AGENT_REVOKE_FDS_MAX) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof link, "%s/%s", dir, de->d_name);
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (target[0] == '/' && path_under(target, path)) {
			strbuf_printf(sb, "%s%s=%s", found ? "," : "", de->d_name, target);
			found++;
		}
	}
	closedir(d);
	return found;
}

int agents_revoke(struct hive *hive, const struct principal *who, const char *aid, const char *text,
                  struct err *err)
{
	struct agent *a = verb_agent(hive, "revoke", aid, 1, err);
	struct cap caps[HIVE_MANIFEST_CAPS_MAX];
	char name[HIVE_ATTEST_CAP_MAX], fdbuf[HIVE_LOG_LINE_MAX / 2];
	uint32_t n;
	int rc, idx[HIVE_MANIFEST_CAPS_MAX];

	if (!a)
		return -err->code;
	if ((rc = caps_parse_all("revoke", text, caps, &n, err)) < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		idx[i] = agent_cap_find(a, &caps[i]);
		if (idx[i] < 0) {
			cap_format(&caps[i], name, sizeof name);
			rc = err_set(err, ENOENT, "revoke: %s does not hold %s (see /agent/%s/caps); nothing was revoked",
			             aid, name, aid);
			goto out;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		int k = agent_cap_find(a, &caps[i]);
		struct agent_cap gone = a->caps[k];
		struct strbuf fds;
		unsigned nfds = 0;

		a->caps[k] = a->caps[--a->ncaps];
		if (gone.in_ceiling && (gone.cap.kind == CAP_FS_READ || gone.cap.kind == CAP_FS_WRITE ||
		                        gone.cap.kind == CAP_FS_EXEC || gone.cap.kind == CAP_NET_CONNECT ||
		                        gone.cap.kind == CAP_NET_BIND))
			a->revoked_in_ceiling = 1;
		strbuf_init(&fds, fdbuf, sizeof fdbuf);
		if (gone.cap.arg && gone.cap.arg[0] == '/')
			nfds = open_fds_under(a, gone.cap.arg, &fds);
		cap_format(&gone.cap, name, sizeof name);
		agent_event(a, "revoke", "cap=%s by=%s open_fds=%s", name, principal_role_name(who->role),
		            nfds ? fdbuf : "-");
		cap_clear(&gone.cap);
		if (nfds && a->state != AGENT_QUARANTINED) {
			/* Policy: what Linux cannot take back, the hive freezes. */
			struct err qerr = { 0 };
			if (agent_freeze(a, 1, &qerr) == 0)
				agent_set_state(a, AGENT_QUARANTINED, "revoked-right-still-open");
		}
	}
	if (a->node)
		ns_node_touch(a->node);
	rc = 0;
out:
	for (uint32_t i = 0; i < n; i++)
		cap_clear(&caps[i]);
	return rc;
}

int agents_quota(struct hive *hive, const struct principal *who, const char *aid, const char *kv,
                 struct err *err)
{
	static const char *const keys[] = { "cpu_weight", "memory_max", "pids_max", "tokens_per_minute" };
	static const uint64_t lo[] = { 1, HIVE_QUOTA_MEMORY_MIN, 1, 1 };
	static const uint64_t hi[] = { HIVE_QUOTA_CPU_WEIGHT_MAX, UINT64_MAX / 2, HIVE_QUOTA_PIDS_MAX,
		                       HIVE_QUOTA_TOKENS_PER_MINUTE_MAX };
	struct agent *a = verb_agent(hive, "quota", aid, 1, err);
	uint64_t val[4];
	int set[4] = { 0 };
	const char *p = kv;

	if (!a)
		return -err->code;
	while (*(p += strspn(p, " \t"))) {
		size_t len = strcspn(p, " \t"), k;
		const char *eq = memchr(p, '=', len);
		char num[24], *end;
		for (k = 0; k < 4; k++)
			if (eq && (size_t)(eq - p) == strlen(keys[k]) && strncmp(p, keys[k], strlen(keys[k])) == 0)
				break;
		if (k == 4)
			return err_set(err, EINVAL, "quota: '%.*s': want key=value with key cpu_weight, memory_max, "
			               "pids_max or tokens_per_minute (nothing was changed)", (int)len, p);
		size_t vl = len - (size_t)(eq + 1 - p);
		if (vl == 0 || vl >= sizeof num)
			return err_set(err, EINVAL, "quota: %s: want a whole number", keys[k]);
		memcpy(num, eq + 1, vl);
		num[vl] = '\0';
		errno = 0;
		val[k] = strtoull(num, &end, 10);
		if (errno || *end || num[0] == '-' || val[k] < lo[k] || val[k] > hi[k])
			return err_set(err, EINVAL, "quota: %s=%s: want %llu..%llu (nothing was changed)", keys[k], num,
			               (unsigned long long)lo[k], (unsigned long long)hi[k]);
		set[k] = 1;
		p += len;
	}
	if (!set[0] && !set[1] && !set[2] && !set[3])
		return err_set(err, EINVAL, "quota: usage: quota <aid> <key>=<value>...");
	for (int k = 0; k < 3; k++) {
		int rc;
		if (set[k] && a->cg && (rc = cgroup_agent_set(a->cg, keys[k], val[k], err)) < 0)
			return rc;
	}
	if (set[0]) a->quota.cpu_weight = (uint32_t)val[0];
	if (set[1]) a->quota.memory_max = val[1];
	if (set[2]) a->quota.pids_max = (uint32_t)val[2];
	if (set[3]) a->quota.tokens_per_minute = val[3];
	agent_event(a, "quota", "%s by=%s", kv, principal_role_name(who->role));
	return 0;
}

int agents_holds(struct hive *hive, const char *aid, const char *text)
{
	struct agent *a = hive->agents ? agents_find(hive->agents, aid) : NULL;
	struct err err = { 0 };
	struct cap c;
	int held;

	if (!a || agent_ended(a))
		return -ENOENT;
	if (agent_cap_parse(&c, text, &err) < 0)
		return 0;
	held = agent_cap_find(a, &c) >= 0;
	cap_clear(&c);
	return held;
}

int agents_has(struct hive *hive, const struct principal *who, const char *aid, const char *text,
               struct strbuf *reply, struct err *err)
{
	struct agent *a = verb_agent(hive, "has", aid, 0, err);
	struct cap c;
	int rc, held;

	if (!a)
		return -err->code;
	if ((rc = agent_cap_parse(&c, text, err)) < 0)
		return rc;
	held = c.arg && c.arg[0] == '/' && c.kind != CAP_CAP_GRANT ? bundle_covers(a, c.kind, c.arg, 0) != NULL
	       : agent_cap_find(a, &c) >= 0;
	cap_clear(&c);
	agent_event(a, "has", "cap=%s answer=%s", text, held ? "yes" : "no");
	strbuf_printf(reply, "%s\n", held ? "yes" : "no");
	return 0;
}

/* --- the inference broker's questions --------------------------------------- */

static struct agent *live_agent(struct hive *hive, const char *aid)
{
	struct agent *a = hive->agents ? agents_find(hive->agents, aid) : NULL;
	return a && !agent_ended(a) ? a : NULL;
}

int agents_may_infer(struct hive *hive, const char *aid, const char *model)
{
	struct agent *a = live_agent(hive, aid);

	if (!a)
		return -ENOENT;
	for (uint32_t i = 0; i < a->ncaps; i++)
		if (a->caps[i].cap.kind == CAP_INFER && strcmp(a->caps[i].cap.arg, model) == 0)
			return 1;
	return 0;
}

int agents_infer_key(struct hive *hive, const char *aid, const char *key, char *tenant, size_t cap)
{
	struct agent *a = live_agent(hive, aid);
	size_t n = strlen(key);
	unsigned char diff = 0;

	if (!a)
		return -ENOENT;
	if (!a->infer_key[0] || n != strlen(a->infer_key))
		return -EACCES;
	for (size_t i = 0; i < n; i++) /* constant time: the key is a secret */
		diff |= (unsigned char)(key[i] ^ a->infer_key[i]);
	if (diff)
		return -EACCES;
	snprintf(tenant, cap, "%s", a->img->m->tenant);
	return 0;
}

void agents_infer_blocked(struct hive *hive, const char *aid, int blocked, const char *why)
{
	struct agent *a = live_agent(hive, aid);

	if (a && blocked && (a->state == AGENT_ACTIVE || a->state == AGENT_CAP_DENIED))
		agent_set_state(a, AGENT_INFER_BLOCKED, why);
	else if (a && !blocked && a->state == AGENT_INFER_BLOCKED)
		agent_set_state(a, AGENT_ACTIVE, why);
}

int agents_tenant_weight(struct hive *hive, const char *tenant, uint32_t weight, struct err *err)
{
	if (!hive->agents)
		return -ENOENT;
	/* cgroups take 1..10000: weight 0 refuses inference, not the CPU. */
	return cgroup_tenant_weight(hive->agents->cg, tenant, weight ? weight : 1, err);
}

void agents_infer_spent(struct hive *hive, const char *aid, uint64_t tokens)
{
	struct agent *a = hive->agents ? agents_find(hive->agents, aid) : NULL;

	if (a)
		a->tokens_used += tokens;
}
