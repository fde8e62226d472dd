/*
 * agent.c — the table of agents, their states and events, exit and kill,
 * and the part's start and stop. Spawning is spawn.c.
 */
#include "agent_impl.h"
#include "sandbox.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "lib/logline.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const agent_state_names[AGENT_STATES] = {
	"spawning", "attested", "active", "capability-denied", "inference-blocked",
	"quarantined", "terminated-clean", "terminated-revoked",
};

const char *agent_state_name(enum agent_state s)
{
	return (unsigned)s < AGENT_STATES ? agent_state_names[s] : "unknown";
}

int agent_ended(const struct agent *a)
{
	return a->state == AGENT_TERM_CLEAN || a->state == AGENT_TERM_REVOKED;
}

struct agent *agents_find(struct agents *t, const char *aid)
{
	if (!t)
		return NULL;
	for (struct agent *a = t->head; a; a = a->next)
		if (strcmp(a->aid, aid) == 0)
			return a;
	return NULL;
}

uint32_t agents_live(const struct hive *hive)
{
	return hive->agents ? hive->agents->live : 0;
}

static void agent_event_v(struct agent *a, int row, const char *event, const char *fmt, va_list ap)
{
	char detail[HIVE_LOG_LINE_MAX], line[HIVE_LOG_LINE_MAX + 64], when[LOGLINE_TIME_LEN + 8];
	int n = vsnprintf(detail, sizeof detail, fmt, ap);

	if (n < 0)
		detail[0] = '\0';
	if (row)
		hive_event(a->owner->hive, &a->who, "agent", a->aid, "event=%s %s", event, detail);
	if (a->events) {
		logline_time(when, sizeof when);
		n = snprintf(line, sizeof line, "%s %s %s\n", when, event, detail);
		if (n > 0)
			ns_ring_append(a->events, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	}
}

void agent_event(struct agent *a, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	agent_event_v(a, 1, event, fmt, ap);
	va_end(ap);
}

void agent_note(struct agent *a, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	agent_event_v(a, 0, event, fmt, ap);
	va_end(ap);
}

void agent_set_state(struct agent *a, enum agent_state s, const char *why)
{
	enum agent_state old = a->state;

	if (old == s)
		return;
	a->state = s;
	if (agent_ended(a) && !(old == AGENT_TERM_CLEAN || old == AGENT_TERM_REVOKED) && a->owner->live > 0)
		a->owner->live--;
	agent_event(a, "state", "old=%s new=%s reason=%s", agent_state_name(old), agent_state_name(s),
	            why && why[0] ? why : "-");
	if (a->node)
		ns_node_touch(a->node);
}

struct agent *agent_new(struct agents *t, struct agent_image *img, const struct manifest_class *cls,
                               uint64_t num)
{
	struct hive *hive = t->hive;
	struct agent *a = calloc(1, sizeof *a);

	if (!a)
		return NULL;
	a->owner = t;
	a->num = num;
	snprintf(a->aid, sizeof a->aid, "a-%llu", (unsigned long long)num);
	a->who.role = HIVE_ROLE_WORKER;
	snprintf(a->who.subject, sizeof a->who.subject, "%s", a->aid);
	a->who.transport = "agent";
	a->img = img;
	img->refs++;
	a->cls = cls;
	a->quota = cls->quota;
	a->pidfd = a->report_fd = -1;
	a->exit_code = a->exit_signal = -1;
	a->uid = (uid_t)-1;
	if (geteuid() == 0 && hive->cfg.agent_uid_count)
		a->uid = (uid_t)(hive->cfg.agent_uid_base + num % hive->cfg.agent_uid_count);
	a->spawn_ms = loop_now_ms();
	a->prev = t->tail;
	if (t->tail)
		t->tail->next = a;
	else
		t->head = a;
	t->tail = a;
	t->n++;
	t->live++;
	return a;
}

/* --- exit ------------------------------------------------------------------- */

void agent_release_child(struct agent *a)
{
	struct loop *loop = a->owner->hive->loop;

	notify_stop(a->notify);
	a->notify = NULL;
	if (a->report_fd >= 0) {
		loop_del_fd(loop, a->report_fd);
		close(a->report_fd);
		a->report_fd = -1;
	}
	if (a->pidfd >= 0) {
		loop_del_fd(loop, a->pidfd);
		close(a->pidfd);
		a->pidfd = -1;
	}
	if (a->cg) {
		cgroup_agent_kill(a->cg);
		cgroup_agent_free(a->cg);
		a->cg = NULL;
	}
	agent_tmpdir_remove(a->tmpdir);
}

static void agent_free(struct agent *a)
{
	agent_release_child(a);
	agentfs_remove(a);
	for (uint32_t i = 0; i < a->ncaps; i++)
		cap_clear(&a->caps[i].cap);
	agent_image_unref(a->img);
	free(a->attest);
	free(a);
}

static void agents_unlink(struct agents *t, struct agent *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		t->head = a->next;
	if (a->next)
		a->next->prev = a->prev;
	else
		t->tail = a->prev;
	t->n--;
	if (!agent_ended(a) && t->live > 0)
		t->live--;
}

/* Keep at most HIVE_AGENTS_ENDED_MAX ended agents: drop the oldest. */
static void agents_trim(struct agents *t)
{
	uint32_t ended = t->n - t->live;

	for (struct agent *a = t->head, *next; a && ended > HIVE_AGENTS_ENDED_MAX; a = next) {
		next = a->next;
		if (!agent_ended(a))
			continue;
		agents_unlink(t, a);
		agent_free(a);
		ended--;
	}
}

static void agent_exited(struct agent *a, const siginfo_t *si)
{
	char how[48];

	if (si->si_code == CLD_EXITED) {
		a->exit_code = si->si_status;
		snprintf(how, sizeof how, "exit=%d", si->si_status);
	} else {
		a->exit_signal = si->si_status;
		snprintf(how, sizeof how, "signal=%d", si->si_status);
	}
	agent_release_child(a);
	agent_event(a, "exit", "%s pid=%d", how, (int)a->pid);
	agent_set_state(a, a->killed_by_hive ? AGENT_TERM_REVOKED : AGENT_TERM_CLEAN, a->reason);
	if (!a->owner->closing)
		agents_trim(a->owner); /* may free a */
}

void agent_on_pidfd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct agent *a = arg;
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0) {
		if (errno == ECHILD) { /* reaped elsewhere: it is gone all the same */
			si.si_code = CLD_KILLED;
			si.si_status = SIGKILL;
		} else {
			return;
		}
	}
	agent_exited(a, &si);
}

void agent_on_report(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct agent *a = arg;
	char step[64];
	int listener = -1, errnum = 0, rc = sandbox_report_take(fd, &listener, step, sizeof step, &errnum);

	if (rc == -EAGAIN)
		return;
	if (rc == 2) {
		/* The child waits in its exec for this supervisor. */
		struct err nerr = { 0 };
		if (notify_start(loop, listener, a->pidfd, agent_decide, a, &a->notify, &nerr) < 0) {
			snprintf(a->reason, sizeof a->reason, "setup:supervisor");
			hive_deny(a->owner->hive, &a->who, HIVE_PRESSURE_POLICY, HIVE_DENY_SPAWN, a->aid, "setup-failed",
			          "step=supervisor msg=%s", nerr.msg);
			agent_kill(a, a->reason);
		}
		return;
	}
	loop_del_fd(loop, fd);
	close(fd);
	a->report_fd = -1;
	if (rc == 0) {
		if (a->state == AGENT_ATTESTED)
			agent_set_state(a, AGENT_ACTIVE, "exec");
		return;
	}
	snprintf(a->reason, sizeof a->reason, "setup:%s:%s", step, strerrorname_np(errnum) ? strerrorname_np(errnum) : "?");
	hive_deny(a->owner->hive, &a->who, HIVE_PRESSURE_POLICY, HIVE_DENY_SPAWN, a->aid, "setup-failed",
	          "step=%s errno=%d msg=%s", step, errnum, strerror(errnum));
}

void agent_kill(struct agent *a, const char *why)
{
	if (agent_ended(a))
		return;
	a->killed_by_hive = 1;
	if (!a->reason[0])
		snprintf(a->reason, sizeof a->reason, "%s", why);
	if (a->cg)
		cgroup_agent_kill(a->cg);
	if (a->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, a->pidfd, SIGKILL, NULL, 0);
}

/* --- start and stop ------------------------------------------------------- */

static void on_telemetry(struct loop *loop, void *arg)
{
	struct agents *t = arg;
	char line[256];

	for (struct agent *a = t->head; a; a = a->next) {
		struct cgroup_stats st;
		struct notify_stats ns;
		if (agent_ended(a) || !a->telemetry)
			continue;
		/* A child that never reached its exec (a hung mount in its cwd...)
		 * is not left attested forever. */
		if (a->state == AGENT_ATTESTED && loop_now_ms() - a->spawn_ms > HIVE_SANDBOX_SETUP_MS) {
			hive_deny(t->hive, &a->who, HIVE_PRESSURE_POLICY, HIVE_DENY_SPAWN, a->aid, "setup-timeout",
			          "after_ms=%u", HIVE_SANDBOX_SETUP_MS);
			agent_kill(a, "setup:timeout");
			continue;
		}
		if (!a->cg || cgroup_agent_stats(a->cg, &st) < 0)
			memset(&st, 0, sizeof st);
		notify_get_stats(a->notify, &ns);
		int n = snprintf(line, sizeof line,
		                 "t=%llu cpu_ms=%llu memory=%llu pids=%llu calls=%llu allowed=%llu denied=%llu\n",
		                 (unsigned long long)(loop_now_ms() - a->spawn_ms),
		                 (unsigned long long)(st.cpu_usec / 1000u), (unsigned long long)st.memory_bytes,
		                 (unsigned long long)st.pids, (unsigned long long)ns.calls,
		                 (unsigned long long)ns.allowed, (unsigned long long)ns.denied);
		if (n > 0)
			ns_ring_append(a->telemetry, line, (size_t)n);
	}
}

/* hive->agent_of_pid: by cgroup; with no cgroups, by the agent's own uid
 * (as root every agent has one), else it cannot be told. */
static int agents_of_pid(struct hive *hive, pid_t pid, char *aid, size_t cap)
{
	struct agents *t = hive->agents;
	int rc;

	if (!t)
		return 0;
	if (cgroup_mgr_mode(t->cg) != CGROUP_MODE_NONE) {
		rc = cgroup_mgr_aid_of_pid(t->cg, pid, aid, cap);
		if (rc != 0)
			return rc;
	}
	/* Also a live agent's own pid (a process that left its cgroup is
	 * still the child we started). */
	for (struct agent *a = t->head; a; a = a->next) {
		if (!agent_ended(a) && a->pid == pid) {
			snprintf(aid, cap, "%s", a->aid);
			return 1;
		}
	}
	return 0;
}

int agents_open(struct hive *hive, struct err *err)
{
	struct agents *t = calloc(1, sizeof *t);
	int rc;

	if (!t)
		return err_set(err, ENOMEM, "out of memory");
	t->hive = hive;
	if ((rc = agents_load_next(t, err)) < 0)
		goto fail;
	rc = cgroup_mgr_open(&t->cg, &hive->kernel, "", hive->cfg.state_dir, err);
	if (rc < 0)
		goto fail;
	if (err->msg[0])
		fprintf(stderr, "hived: agents: %s\n", err->msg);
	cgroup_mgr_report(t->cg, &hive->kernel);
	char desc[HIVE_PATH_MAX + 128];
	cgroup_mgr_describe(t->cg, desc, sizeof desc);
	fprintf(stderr, "hived: agents: cgroups %s%s\n", desc,
	        cgroup_mgr_mode(t->cg) == CGROUP_MODE_NONE ? " (quotas by rlimits only)" : "");
	const char *note = cgroup_mgr_note(t->cg, NULL, NULL);
	if (note && note[0]) {
		fprintf(stderr, "hived: agents: %s\n", note);
		hive_event(hive, NULL, "agents", NULL, "sweep=\"%s\"", note);
	}
	hive->agents = t;
	hive->agent_of_pid = agents_of_pid;
	if ((rc = agentfs_build_proc(hive)) < 0) {
		err_set(err, -rc, "cannot make /proc/agents: %s", strerror(-rc));
		goto fail;
	}
	t->timer = loop_add_timer(hive->loop, HIVE_AGENT_TELEMETRY_MS, on_telemetry, t);
	if (t->timer < 0) {
		rc = err_set(err, -t->timer, "cannot start the telemetry timer");
		goto fail;
	}
	return 0;
fail:
	hive->agents = NULL;
	hive->agent_of_pid = NULL;
	cgroup_mgr_free(t->cg);
	free(t);
	return rc;
}

void agents_close(struct hive *hive)
{
	struct agents *t = hive->agents;
	uint64_t until;

	if (!t)
		return;
	t->closing = 1;
	for (struct agent *a = t->head; a; a = a->next)
		agent_kill(a, "hive-stopped");
	/* Reap them (bounded) so each leaves its exit row. */
	until = loop_now_ms() + HIVE_AGENT_REAP_WAIT_MS;
	while (t->live > 0 && loop_now_ms() < until) {
		for (struct agent *a = t->head; a; a = a->next)
			if (!agent_ended(a) && a->pidfd >= 0)
				agent_on_pidfd(hive->loop, a->pidfd, EPOLLIN, a);
		if (t->live > 0)
			usleep(2000);
	}
	if (t->timer > 0)
		loop_del_timer(hive->loop, t->timer);
	while (t->head) {
		struct agent *a = t->head;
		agents_unlink(t, a);
		agent_free(a);
	}
	cgroup_mgr_free(t->cg);
	free(t);
	hive->agents = NULL;
	hive->agent_of_pid = NULL;
}
