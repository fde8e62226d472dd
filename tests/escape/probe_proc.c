/*
 * probe_proc.c — ways out through processes and the kernel: a signal or
 * ptrace to another agent or the daemon, new namespaces, mount, io_uring,
 * perf, the key store; and what an agent must never be handed: an fd its
 * parent left open, a variable outside the environment allow-list.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"

/* A call the seccomp filter refuses: with a supervisor it reaches it only
 * to be answered EPERM and recorded, one row per call; count them. */
static int proc_refused(struct esc_out *o, int e)
{
	o->denials_set = 1;
	if (e == EPERM || e == EACCES)
		o->denials++;
	return e;
}

/* Signal 0: the kernel's permission checks (uid, Landlock's signal scope)
 * without harming the target. */
static int probe_signal(char **a, struct esc_out *o)
{
	o->denials_set = 1; /* Landlock's signal scope: no supervisor, no row */
	if (kill(atoi(a[0]), 0) < 0)
		return errno;
	esc_detail(o, "may signal pid %s", a[0]);
	return 0;
}

static int probe_ptrace(char **a, struct esc_out *o)
{
	pid_t pid = atoi(a[0]);
	if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0)
		return proc_refused(o, errno);
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	esc_detail(o, "attached to pid %d", (int)pid);
	return 0;
}

static int probe_unshare(char **a, struct esc_out *o)
{
	if (unshare(CLONE_NEWUSER) < 0 && (proc_refused(o, errno), unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0))
		return proc_refused(o, errno);
	esc_detail(o, "made a new namespace");
	return 0;
}

/* Outside a sandbox (the self-test, as root) the mount lands in a mount
 * namespace of this process's own, never on the host. */
static int probe_mount(char **a, struct esc_out *o)
{
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	else if (proc_refused(o, errno) != EPERM) {
		esc_detail(o, "unshare: %s", strerror(errno));
		return ESC_CANT;
	}
	if (mount("escape", a[0], "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
		return proc_refused(o, errno);
	umount2(a[0], MNT_DETACH);
	esc_detail(o, "mounted a tmpfs on %s", a[0]);
	return 0;
}

static int probe_iouring(char **a, struct esc_out *o)
{
	struct io_uring_params p = { 0 };
	long fd = syscall(SYS_io_uring_setup, 1, &p);
	if (fd < 0)
		return proc_refused(o, errno);
	close((int)fd);
	esc_detail(o, "io_uring_setup gave a ring");
	return 0;
}

static int probe_perf(char **a, struct esc_out *o)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof attr,
	                                .config = PERF_COUNT_SW_TASK_CLOCK, .disabled = 1,
	                                .exclude_kernel = 1, .exclude_hv = 1 };
	long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0)
		return proc_refused(o, errno);
	close((int)fd);
	esc_detail(o, "perf_event_open gave an event");
	return 0;
}

static int probe_keyctl(char **a, struct esc_out *o)
{
	long k = syscall(SYS_add_key, "user", "hive-escape", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	if (k < 0)
		return proc_refused(o, errno);
	esc_detail(o, "add_key made key %ld", k);
	return 0;
}

/* Every fd from 3 to 1023 but the one named in HIVE_FD must be closed. */
static int probe_fds(char **a, struct esc_out *o)
{
	const char *h = getenv("HIVE_FD");
	int hive_fd = h ? atoi(h) : -1;
	for (int fd = 3; fd < 1024; fd++) {
		if (fd == hive_fd || fcntl(fd, F_GETFD) < 0)
			continue;
		char p[64], t[256] = "?";
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, t, sizeof t - 1);
		t[n > 0 ? n : 1] = 0;
		esc_detail(o, "fd %d is open (%s)", fd, t);
		return 0;
	}
	return EBADF;
}

static int probe_env(char **a, struct esc_out *o)
{
	if (!getenv(a[0]))
		return ENOENT;
	esc_detail(o, "%s is set", a[0]);
	return 0;
}

const struct esc_probe esc_proc_probes[] = {
	{ "signal", "PID (another agent or the daemon; signal 0)", 1, probe_signal, { EPERM } },
	{ "ptrace", "PID (PTRACE_ATTACH)", 1, probe_ptrace, { EPERM } },
	{ "unshare", "(a user, else a mount namespace)", 0, probe_unshare, { EPERM } },
	{ "mount", "DIR (a tmpfs on DIR)", 1, probe_mount, { EPERM } },
	{ "iouring", "(io_uring_setup)", 0, probe_iouring, { EPERM } },
	{ "perf", "(perf_event_open on itself)", 0, probe_perf, { EPERM } },
	{ "keyctl", "(add_key)", 0, probe_keyctl, { EPERM } },
	{ "fds", "(fds 3..1023 other than HIVE_FD must be closed)", 0, probe_fds, { EBADF } },
	{ "env", "NAME (a variable outside the allow-list must be absent)", 1, probe_env, { ENOENT } },
	{ 0 },
};
