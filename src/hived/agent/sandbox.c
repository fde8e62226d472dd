/*
 * sandbox.c — the agent's child: a plan built in hived before fork (fds,
 * Landlock ruleset, seccomp BPF, credentials), then clone3 with a pidfd and
 * a child that applies the plan with raw syscalls only and executes the fd
 * that was hashed.
 *
 * The child's order, and why:
 *   signals   hived blocks its signals for signalfd and ignores SIGPIPE; the
 *             mask and SIG_IGN survive exec, so both are reset first (the
 *             parent blocked everything around clone, so no hived handler
 *             ever runs in the child).
 *   setsid    a new session: no controlling terminal (TIOCSTI, SIGHUP).
 *   cgroup    "0" into each cgroup.procs before anything can fork or grow.
 *   pdeathsig SIGKILL when hived's spawning thread dies, then getppid() is
 *             checked so a parent that died before the prctl is seen.
 *   fds       the handed fds become 0,1,2(,3); every other fd is closed but
 *             the three the child still needs (exe, ruleset, report), which
 *             are CLOEXEC and vanish at exec (but a script's exe fd, which
 *             its interpreter reads as /dev/fd/N).
 *   rlimit    only without cgroups (spec->rlimits).
 *   uid       setgroups, setresgid, the bounding set dropped (needs root,
 *             so before setresuid), setresuid. pdeathsig again: a change
 *             of euid clears it.
 *   caps      ambient cleared, all sets zero by capset.
 *   nnp       PR_SET_NO_NEW_PRIVS: no setuid exec, and what seccomp and
 *             landlock_restrict_self need without CAP_SYS_ADMIN.
 *   landlock  landlock_restrict_self on the ruleset built before fork.
 *   seccomp   one filter; with notify its listener goes to the parent over
 *             the report socket (SCM_RIGHTS).
 *   chdir     as the agent, so it starts only where it may enter itself;
 *             after the handover, as the one step that walks a file system
 *             (a hung mount blocks the agent, not hived's wait for the
 *             listener).
 *   exec      execveat(exe_fd, "", AT_EMPTY_PATH).
 *
 * The listener handover: the child sends "listener\n" with the fd attached
 * (sendmsg is not notified, and nothing between seccomp() and it is) and
 * goes on to execveat, which is itself notified: the child blocks there
 * until the supervisor answers, which it can only do once the parent has
 * received the fd. So the handover cannot deadlock and needs no ptrace
 * access to the child (pidfd_getfd would: it fails for an unprivileged
 * hived that is not dumpable, and under Yama ptrace_scope 3).
 *
 * The report channel is a Unix stream socketpair (CLOEXEC in the child):
 * "<step> <errno>\n" lines on failure, EOF once exec closed it.
 */
#include "sandbox.h"

#include "filter.h"
#include "hived/core/kernel.h"
#include "landlock.h"
#include "lib/limits.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* The kernel's sigaction (rt_sigaction takes this, not libc's). */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};
#define KSIG_MAX 64

struct sandbox_plan {
	int exe_fd;
	int exe_script;         /* starts with "#!": its fd must survive exec */
	char *const *argv;
	char *const *envp;
	char cwd[HIVE_PATH_MAX + 1];
	uid_t uid;
	gid_t gid;
	int drop_bset;          /* hived is root: drop the bounding set */
	int stdio[3];
	int hive_fd;
	int devnull_fd;         /* owned: stdio -1 */
	int cgroup_procs[HIVE_SANDBOX_CGROUP_FDS_MAX];
	size_t ncgroup_procs;
	int has_rlimits;
	struct rlimit rl_as, rl_nproc;
	int set_nproc;
	struct landlock_ruleset ll; /* ll.fd -1: no Landlock */
	struct filter_prog filter;
	char enforcement[64];
};

/* ---- the child: raw syscalls only ---------------------------------------- */

static size_t fmt_uint(char *out, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof tmp);
	while (n)
		out[i++] = tmp[--n];
	return i;
}

/* "<step> <errno>\n" to the report socket, then gone with 127. */
static _Noreturn void child_fail(int report, const char *step, int e)
{
	char line[64];
	size_t n = 0;
	while (*step && n < 32)
		line[n++] = *step++;
	line[n++] = ' ';
	n += fmt_uint(line + n, (unsigned long)(e > 0 ? e : EIO));
	line[n++] = '\n';
	(void)!write(report, line, n);
	_exit(127);
}

#define CHILD_TRY(rep, step, expr)               \
	do {                                     \
		if ((expr) < 0)                  \
			child_fail(rep, step, errno); \
	} while (0)

static void child_signals(int report)
{
	struct ksigaction dfl = { .handler = SIG_DFL };
	uint64_t none = 0;
	for (int s = 1; s <= KSIG_MAX; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		/* 32 and 33 are glibc's own; the kernel may refuse none of these. */
		CHILD_TRY(report, "signals", syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof(uint64_t)));
	}
	CHILD_TRY(report, "signals", syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none));
}

static void child_pdeathsig(int report, pid_t ppid)
{
	CHILD_TRY(report, "pdeathsig", prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
	if (getppid() != ppid)
		child_fail(report, "pdeathsig", ESRCH);
}

/* Close every fd from lo up but the keep[] ones (sorted here). */
static void child_close_from(int report, unsigned lo, int keep[3])
{
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < lo)
			continue;
		if ((unsigned)keep[i] > lo)
			CHILD_TRY(report, "fds", syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0));
		lo = (unsigned)keep[i] + 1;
	}
	CHILD_TRY(report, "fds", syscall(SYS_close_range, lo, ~0U, 0));
}

/* The handed fds to 0..nhand-1. Every source is first copied above the
 * target range (F_DUPFD never replaces an open fd), so a source that sits
 * on another's target survives until it has been placed. */
static void child_fds(const struct sandbox_plan *p, int *report_fd, int *exe, int *ruleset)
{
	int src[4] = { p->stdio[0], p->stdio[1], p->stdio[2], p->hive_fd };
	int nhand = p->hive_fd >= 0 ? 4 : 3;
	int copy[4];
	for (int i = 0; i < 3; i++)
		if (src[i] < 0)
			src[i] = p->devnull_fd;
	int report = (int)syscall(SYS_fcntl, *report_fd, F_DUPFD_CLOEXEC, nhand);
	if (report < 0)
		child_fail(*report_fd, "fds", errno);
	*report_fd = report;
	for (int i = 0; i < nhand; i++)
		CHILD_TRY(report, "fds", copy[i] = (int)syscall(SYS_fcntl, src[i], F_DUPFD_CLOEXEC, nhand));
	/* A script is read by its interpreter through /dev/fd/N after exec, so
	 * its fd stays open (the same open file that was hashed); a binary's
	 * goes with exec. */
	CHILD_TRY(report, "fds",
	          *exe = (int)syscall(SYS_fcntl, *exe, p->exe_script ? F_DUPFD : F_DUPFD_CLOEXEC, nhand));
	if (*ruleset >= 0)
		CHILD_TRY(report, "fds", *ruleset = (int)syscall(SYS_fcntl, *ruleset, F_DUPFD_CLOEXEC, nhand));
	for (int i = 0; i < nhand; i++)
		CHILD_TRY(report, "fds", syscall(SYS_dup3, copy[i], i, 0));
	int keep[3] = { report, *exe, *ruleset };
	child_close_from(report, (unsigned)nhand, keep);
}

static void child_creds(const struct sandbox_plan *p, int report, pid_t ppid)
{
	int own_uid = p->uid != (uid_t)-1;
	if (own_uid) {
		CHILD_TRY(report, "uid", syscall(SYS_setgroups, 0, NULL));
		CHILD_TRY(report, "uid", syscall(SYS_setresgid, p->gid, p->gid, p->gid));
	}
	/* Needs CAP_SETPCAP, so while still root; also for a root agent that
	 * keeps uid 0, which no_new_privs alone already keeps from regaining
	 * capabilities at exec. */
	if (p->drop_bset)
		for (int c = 0; c <= 63; c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
				if (errno == EINVAL) /* past CAP_LAST_CAP */
					break;
				child_fail(report, "bset", errno);
			}
	if (own_uid) {
		CHILD_TRY(report, "uid", syscall(SYS_setresuid, p->uid, p->uid, p->uid));
		/* A change of euid clears the parent-death signal: set it again. */
		child_pdeathsig(report, ppid);
	}
}

/* The listener to the parent over the report socket (SCM_RIGHTS), then our
 * copy closed: the one in flight keeps it alive. */
static void child_send_listener(int report, int fd)
{
	char line[] = "listener\n";
	struct iovec iov = { .iov_base = line, .iov_len = sizeof line - 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	memset(&cm, 0, sizeof cm);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(report, &msg, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		child_fail(report, "listener", errno);
	(void)close(fd);
}

static _Noreturn void child_run(const struct sandbox_plan *p, int report, pid_t ppid)
{
	int exe = p->exe_fd, ruleset = p->ll.fd;
	child_signals(report);
	CHILD_TRY(report, "setsid", setsid());
	for (size_t i = 0; i < p->ncgroup_procs; i++)
		CHILD_TRY(report, "cgroup", write(p->cgroup_procs[i], "0", 1));
	child_pdeathsig(report, ppid);
	child_fds(p, &report, &exe, &ruleset);
	if (p->has_rlimits) {
		CHILD_TRY(report, "rlimit", setrlimit(RLIMIT_AS, &p->rl_as));
		if (p->set_nproc)
			CHILD_TRY(report, "rlimit", setrlimit(RLIMIT_NPROC, &p->rl_nproc));
	}
	child_creds(p, report, ppid);
	CHILD_TRY(report, "caps", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	CHILD_TRY(report, "caps", syscall(SYS_capset, &hdr, data));
	CHILD_TRY(report, "nnp", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	if (ruleset >= 0) {
		CHILD_TRY(report, "landlock", syscall(SYS_landlock_restrict_self, ruleset, p->ll.restrict_flags));
		(void)close(ruleset);
	}
	if (p->filter.prog.len) {
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->filter.flags, &p->filter.prog);
		if (fd < 0)
			child_fail(report, "seccomp", errno);
		if (p->filter.notify)
			child_send_listener(report, (int)fd);
	}
	/* Last: the only step that walks a file system, which may hang (a FUSE
	 * or NFS cwd); past the handover it can block the agent, never hived. */
	CHILD_TRY(report, "chdir", chdir(p->cwd));
	syscall(SYS_execveat, exe, "", p->argv, p->envp, AT_EMPTY_PATH);
	child_fail(report, "exec", errno);
}

/* ---- the parent ------------------------------------------------------------ */

static void plan_enforcement(struct sandbox_plan *p)
{
	struct strbuf sb;
	strbuf_init(&sb, p->enforcement, sizeof p->enforcement);
	if (p->ll.fd >= 0)
		strbuf_printf(&sb, "landlock=%d", p->ll.abi);
	else
		strbuf_printf(&sb, "landlock=none");
	if (p->filter.prog.len)
		strbuf_printf(&sb, " seccomp=filter%s", p->filter.notify ? "+notify" : "");
	else
		strbuf_printf(&sb, " seccomp=none");
}

/* A handed fd keeps the rights it was opened with, past Landlock: an open
 * directory would let the agent list it (read_dir is checked at open) and
 * an O_PATH fd is no stream at all. Neither is stdio or a hive connection. */
static int check_handed(int fd, const char *what, struct err *err)
{
	struct stat st;
	int fl;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
		return err_set(err, EBADF, "sandbox: %s (fd %d) is not open", what, fd);
	if (S_ISDIR(st.st_mode) || (fl & O_PATH))
		return err_set(err, EINVAL, "sandbox: %s (fd %d) is a directory or O_PATH, not a stream", what, fd);
	return 0;
}

int sandbox_prepare(const struct sandbox_spec *spec, const struct kernel *k, struct sandbox_plan **out,
                    struct err *err)
{
	int rc;
	*out = NULL;
	if (spec->exe_fd < 0 || !spec->argv || !spec->argv[0] || !spec->envp)
		return err_set(err, EINVAL, "sandbox: no executable or argv");
	if (spec->ncgroup_procs > HIVE_SANDBOX_CGROUP_FDS_MAX)
		return err_set(err, E2BIG, "sandbox: %zu cgroup files, at most %u", spec->ncgroup_procs,
		               HIVE_SANDBOX_CGROUP_FDS_MAX);
	const char *cwd = spec->cwd ? spec->cwd : "/";
	if (strlen(cwd) > HIVE_PATH_MAX)
		return err_set(err, ENAMETOOLONG, "sandbox: working directory too long");
	static const char *const names[3] = { "stdin", "stdout", "stderr" };
	for (int i = 0; i < 3; i++)
		if ((rc = check_handed(spec->stdio[i], names[i], err)) < 0)
			return rc;
	if ((rc = check_handed(spec->hive_fd, "the hive connection", err)) < 0)
		return rc;
	if (spec->notify && !k->seccomp_notify)
		return err_set(err, EOPNOTSUPP, "sandbox: the supervisor needs seccomp user notification, which this kernel lacks");
	struct sandbox_plan *p = calloc(1, sizeof *p);
	if (!p)
		return err_set(err, ENOMEM, "sandbox: out of memory");
	p->ll.fd = -1;
	p->exe_fd = spec->exe_fd;
	char magic[2];
	p->exe_script = pread(spec->exe_fd, magic, 2, 0) == 2 && magic[0] == '#' && magic[1] == '!';
	p->argv = spec->argv;
	p->envp = spec->envp;
	memcpy(p->cwd, cwd, strlen(cwd) + 1);
	p->uid = spec->uid;
	p->gid = spec->uid == (uid_t)-1 ? (gid_t)-1 : spec->gid;
	p->drop_bset = geteuid() == 0;
	memcpy(p->stdio, spec->stdio, sizeof p->stdio);
	p->hive_fd = spec->hive_fd;
	for (size_t i = 0; i < spec->ncgroup_procs; i++)
		p->cgroup_procs[i] = spec->cgroup_procs[i];
	p->ncgroup_procs = spec->ncgroup_procs;
	if (spec->rlimits) {
		/* Best effort without cgroups: address space for memory, and
		 * processes per uid, which is per agent only with its own uid. */
		p->has_rlimits = 1;
		getrlimit(RLIMIT_AS, &p->rl_as);
		if (spec->rlimits->memory_max && spec->rlimits->memory_max < p->rl_as.rlim_max)
			p->rl_as.rlim_max = spec->rlimits->memory_max;
		p->rl_as.rlim_cur = p->rl_as.rlim_max;
		getrlimit(RLIMIT_NPROC, &p->rl_nproc);
		p->set_nproc = spec->uid != (uid_t)-1 && spec->rlimits->pids_max;
		if (p->set_nproc && spec->rlimits->pids_max < p->rl_nproc.rlim_max)
			p->rl_nproc.rlim_max = spec->rlimits->pids_max;
		p->rl_nproc.rlim_cur = p->rl_nproc.rlim_max;
	}
	p->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (p->devnull_fd < 0) {
		int e = errno;
		free(p);
		return err_set(err, e, "sandbox: /dev/null: %s", strerror(e));
	}
	rc = landlock_build(&p->ll, landlock_abi_effective(k->landlock_abi, spec->landlock_abi_max), spec->caps,
	                        spec->ncaps, err);
	if (rc < 0)
		goto fail;
	rc = filter_build(&p->filter, spec->notify, spec->notify && k->seccomp_wait_killable, err);
	if (rc < 0)
		goto fail;
	plan_enforcement(p);
	*out = p;
	return 0;
fail:
	sandbox_plan_free(p);
	return rc;
}

void sandbox_plan_free(struct sandbox_plan *p)
{
	if (!p)
		return;
	landlock_ruleset_clear(&p->ll);
	filter_clear(&p->filter);
	if (p->devnull_fd >= 0)
		close(p->devnull_fd);
	free(p);
}

const char *sandbox_plan_enforcement(const struct sandbox_plan *p)
{
	return p->enforcement;
}

void sandbox_plan_rights(const struct sandbox_plan *p, struct strbuf *sb)
{
	landlock_rights_render(&p->ll, sb);
}

/* Kill and reap a child that failed before it was handed over. */
static void child_reap(pid_t pid, int pidfd)
{
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The child's first line: "listener" with the fd attached, or a failed
 * step. Returns the listener (CLOEXEC) or -errno with err set. */
static int spawn_listener(int report, struct err *err)
{
	char line[64];
	size_t n = 0;
	int fd = -1;
	struct pollfd pfd = { .fd = report, .events = POLLIN };
	while (n < sizeof line - 1 && !memchr(line, '\n', n)) {
		int pr = poll(&pfd, 1, HIVE_SANDBOX_SETUP_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			if (fd >= 0)
				close(fd);
			return err_set(err, ETIMEDOUT, "sandbox: the child did not report within %u ms",
			               HIVE_SANDBOX_SETUP_MS);
		}
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} cm;
		struct iovec iov = { .iov_base = line + n, .iov_len = sizeof line - 1 - n };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			              .msg_controllen = sizeof cm.buf };
		ssize_t r = recvmsg(report, &msg, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd < 0 &&
			    c->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&fd, CMSG_DATA(c), sizeof fd);
		n += (size_t)r;
	}
	line[n] = '\0';
	if (fd >= 0 && !strcmp(line, "listener\n"))
		return fd;
	if (fd >= 0)
		close(fd);
	int e;
	char step[32];
	if (sscanf(line, "%31s %d", step, &e) == 2 && e > 0)
		return err_set(err, e, "sandbox: setup failed at %s: %s", step, strerror(e));
	if (n == 0)
		return err_set(err, EPROTO, "sandbox: the child exec'd without handing its listener");
	return err_set(err, EPROTO, "sandbox: unreadable report from the child");
}

/* Fork the child; the report socket's end is returned in *rep, blocking. */
static int spawn_fork(const struct sandbox_plan *p, struct sandbox_child *out, int *rep_out, struct err *err)
{
	*out = (struct sandbox_child){ .pid = -1, .pidfd = -1, .notify_fd = -1, .report_fd = -1 };
	/* A socket rather than a pipe: the listener rides on it (SCM_RIGHTS). */
	int rep[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rep) < 0)
		return err_set(err, errno, "sandbox: socketpair: %s", strerror(errno));
	/* No hived handler may run in the child before it resets them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t ppid = getpid();
	int pidfd = -1;
	struct clone_args ca = { .flags = CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)&pidfd, .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		close(rep[0]);
		child_run(p, rep[1], ppid);
	}
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(rep[1]);
	if (pid < 0) {
		close(rep[0]);
		return err_set(err, e, "sandbox: clone3: %s", strerror(e));
	}
	out->pid = (pid_t)pid;
	out->pidfd = pidfd;
	*rep_out = rep[0];
	return 0;
}

int sandbox_spawn(const struct sandbox_plan *p, struct sandbox_child *out, struct err *err)
{
	int rep = -1, rc = spawn_fork(p, out, &rep, err);

	if (rc < 0)
		return rc;
	if (p->filter.notify) {
		int fd = spawn_listener(rep, err);
		if (fd < 0) {
			child_reap(out->pid, out->pidfd);
			close(out->pidfd);
			close(rep);
			*out = (struct sandbox_child){ .pid = -1, .pidfd = -1, .notify_fd = -1, .report_fd = -1 };
			return fd;
		}
		out->notify_fd = fd;
	}
	fcntl(rep, F_SETFL, O_NONBLOCK);
	out->report_fd = rep;
	return 0;
}

int sandbox_spawn_start(const struct sandbox_plan *p, struct sandbox_child *out, struct err *err)
{
	int rep = -1, rc = spawn_fork(p, out, &rep, err);

	if (rc < 0)
		return rc;
	fcntl(rep, F_SETFL, O_NONBLOCK);
	out->report_fd = rep;
	return 0;
}

int sandbox_report_take(int report_fd, int *listener, char *step, size_t cap, int *errnum)
{
	static const char want[] = "listener\n";
	char line[sizeof want];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	/* Exactly the listener line's length: a failure line after it (a step
	 * past the handover) stays for the next read. */
	struct iovec iov = { .iov_base = line, .iov_len = sizeof want - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
	ssize_t r;
	int fd = -1;

	*listener = -1;
	do
		r = recvmsg(report_fd, &msg, MSG_CMSG_CLOEXEC | MSG_PEEK);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	/* A peek installs the passed fd too: drop that copy. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
			close(fd);
			fd = -1;
		}
	if (r == 0 || memcmp(line, want, (size_t)r) != 0)
		return sandbox_report_read(report_fd, step, cap, errnum);
	msg.msg_controllen = sizeof cm.buf;
	do
		r = recvmsg(report_fd, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); r > 0 && c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd < 0 &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
	if (r != (ssize_t)sizeof want - 1 || memcmp(line, want, sizeof want - 1) != 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		snprintf(step, cap, "handover");
		*errnum = EPROTO;
		return 1;
	}
	*listener = fd;
	return 2;
}

int sandbox_report_read(int report_fd, char *step, size_t cap, int *errnum)
{
	char line[64];
	ssize_t r;
	do
		r = read(report_fd, line, sizeof line - 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	if (r == 0)
		return 0;
	line[r] = '\0';
	char s[32] = "unknown";
	int e = EIO;
	if (sscanf(line, "%31s %d", s, &e) != 2)
		e = EIO;
	if (cap) {
		size_t n = strnlen(s, cap - 1);
		memcpy(step, s, n);
		step[n] = '\0';
	}
	*errnum = e;
	return 1;
}
