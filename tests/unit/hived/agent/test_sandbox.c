/*
 * Unit tests for the agent sandbox (sandbox.h): real children spawned
 * through sandbox_prepare/sandbox_spawn, the test acting as a tiny
 * supervisor (every notification answered CONTINUE), with tests/tools/
 * sbxprobe reporting from inside what the sandbox lets through. Ends with
 * a measurement: sandboxed spawn+exec+exit of /bin/true against plain
 * fork+exec (printed, not asserted).
 */
#include "hived/agent/sandbox.h"
#include "hived/core/kernel.h"
#include "lib/strbuf.h"
#include "test.h"

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct kernel kern;
static char probe_path[4096];
static char tmpdir[64];

struct run {
	int prep_rc, spawn_rc, status;
	double prep_s; /* seconds in sandbox_prepare */
	struct err err;
	char out[8192];
	size_t outlen;
	char enforcement[64];
	char rights[4096];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Answer one notification as hived's supervisor would with every right:
 * CONTINUE for the path and socket calls, EPERM for the calls the filter
 * sends only to be refused and recorded; 0 when the listener is gone. */
static int supervise_one(int nfd)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	memset(&req, 0, sizeof req);
	if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == EINTR || errno == ENOENT;
	memset(&resp, 0, sizeof resp);
	resp.id = req.id;
	switch (req.data.nr) {
	case SYS_open: case SYS_openat: case SYS_openat2: case SYS_creat: case SYS_open_by_handle_at:
	case SYS_execve: case SYS_execveat: case SYS_connect: case SYS_bind: case SYS_socket:
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		break;
	default:
		resp.error = -EPERM;
	}
	ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	return 1;
}

/* Supervise the child until it exits; collect its stdout from outfd. */
static void wait_child(const struct sandbox_child *c, int outfd, struct run *r)
{
	int nfd = c->notify_fd, done = 0;
	/* As the real supervisor does: wake the target on this CPU (6.6+). */
	if (nfd >= 0 && kern.seccomp_sync_wakeup)
		ioctl(nfd, _IOW('!', 4, unsigned long long) /* SECCOMP_IOCTL_NOTIF_SET_FLAGS */, 1ull /* SYNC_WAKE_UP */);
	while (!done) {
		struct pollfd pf[3] = { { c->pidfd, POLLIN, 0 }, { outfd, POLLIN, 0 }, { nfd, POLLIN, 0 } };
		if (poll(pf, nfd >= 0 ? 3 : 2, 10000) <= 0)
			break;
		if (nfd >= 0 && (pf[2].revents & POLLIN))
			supervise_one(nfd);
		if (nfd >= 0 && (pf[2].revents & (POLLHUP | POLLERR)))
			nfd = -1;
		if (pf[1].revents) {
			ssize_t n = read(outfd, r->out + r->outlen, sizeof r->out - 1 - r->outlen);
			if (n > 0)
				r->outlen += (size_t)n;
			else
				outfd = -1 == outfd ? outfd : (close(outfd), -1);
		}
		if (pf[0].revents & POLLIN)
			done = 1;
		if (outfd < 0 && done)
			break;
		if (outfd < 0)
			pf[1].fd = -1;
	}
	if (outfd >= 0) {
		ssize_t n;
		while ((n = read(outfd, r->out + r->outlen, sizeof r->out - 1 - r->outlen)) > 0)
			r->outlen += (size_t)n;
		close(outfd);
	}
	r->out[r->outlen] = '\0';
	waitpid(c->pid, &r->status, 0);
}

static void caps_of(const char *const *text, struct cap *caps, uint32_t *n)
{
	*n = 0;
	for (; *text; text++) {
		struct err e;
		CHECK(cap_parse(&caps[*n], *text, &e) == 0);
		(*n)++;
	}
}

static void caps_free(struct cap *caps, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		cap_clear(&caps[i]);
}

/* What every probe run needs: its loader, libraries, itself, /dev/null. */
static const char *const base_caps[] = {
	"fs.read:/lib", "fs.read:/lib64", "fs.read:/usr/lib", "fs.read:/usr/lib64", "fs.read:/etc/ld.so.cache",
	"fs.exec:/usr/lib", "fs.exec:/lib64", "fs.read:/dev/null", "fs.write:/dev/null", "fs.read:/proc",
	NULL,
};

struct opts {
	const char *exe;          /* default: the probe */
	char *const *argv;
	const char *const *caps;  /* extra caps */
	char *const *envp;
	const char *cwd;
	uid_t uid;
	int hive_fd;
	int abi_max;
	int notify;
	const struct manifest_quota *rlimits;
	const int *cgroup_procs; /* one fd */
};

static void run_sbx(const struct opts *o, struct run *r)
{
	memset(r, 0, sizeof *r);
	r->status = -1;
	struct cap caps[64];
	uint32_t n = 0, m = 0;
	caps_of(base_caps, caps, &n);
	char exe_cap[4200];
	snprintf(exe_cap, sizeof exe_cap, "fs.exec:%s", o->exe ? o->exe : probe_path);
	const char *more[] = { exe_cap, NULL };
	caps_of(more, caps + n, &m);
	n += m;
	if (o->caps) {
		caps_of(o->caps, caps + n, &m);
		n += m;
	}
	char *const env_default[] = { "ASAN_OPTIONS=detect_leaks=0", NULL };
	int exe_fd = open(o->exe ? o->exe : probe_path, O_RDONLY | O_CLOEXEC);
	CHECK(exe_fd >= 0);
	int out[2];
	CHECK(pipe2(out, O_CLOEXEC) == 0);
	struct sandbox_spec spec = {
		.exe_fd = exe_fd, .argv = o->argv, .envp = o->envp ? o->envp : env_default, .cwd = o->cwd,
		.uid = o->uid, .gid = o->uid, .stdio = { -1, out[1], 2 }, .hive_fd = o->hive_fd, .caps = caps,
		.ncaps = n, .landlock_abi_max = o->abi_max, .notify = o->notify, .rlimits = o->rlimits,
		.cgroup_procs = o->cgroup_procs, .ncgroup_procs = o->cgroup_procs ? 1 : 0,
	};
	struct sandbox_plan *plan = NULL;
	double t0 = now_s();
	r->prep_rc = sandbox_prepare(&spec, &kern, &plan, &r->err);
	r->prep_s = now_s() - t0;
	caps_free(caps, n);
	if (r->prep_rc < 0) {
		close(out[0]);
		close(out[1]);
		close(exe_fd);
		return;
	}
	snprintf(r->enforcement, sizeof r->enforcement, "%s", sandbox_plan_enforcement(plan));
	struct strbuf sb;
	strbuf_init(&sb, r->rights, sizeof r->rights);
	sandbox_plan_rights(plan, &sb);
	struct sandbox_child c;
	r->spawn_rc = sandbox_spawn(plan, &c, &r->err);
	close(out[1]);
	close(exe_fd);
	sandbox_plan_free(plan);
	if (r->spawn_rc < 0) {
		close(out[0]);
		return;
	}
	wait_child(&c, out[0], r);
	char step[32];
	int e;
	if (sandbox_report_read(c.report_fd, step, sizeof step, &e) == 1)
		snprintf(r->err.msg, sizeof r->err.msg, "%s %d", step, e), r->err.code = e;
	close(c.report_fd);
	close(c.pidfd);
	if (c.notify_fd >= 0)
		close(c.notify_fd);
}

/* Run the probe with one probe name and argument; both notify modes agree. */
static void probe(const char *name, const char *arg, const char *const *caps, int notify, struct run *r)
{
	char *argv[] = { "sbxprobe", (char *)name, (char *)arg, NULL };
	struct opts o = { .argv = argv, .caps = caps, .uid = (uid_t)-1, .hive_fd = -1, .notify = notify };
	run_sbx(&o, r);
}

static void expect_probe(const char *name, const char *arg, const char *const *caps, int want)
{
	char line[128];
	snprintf(line, sizeof line, "%s %d\n", name, want);
	for (int notify = 0; notify <= 1; notify++) {
		struct run r;
		probe(name, arg, caps, notify, &r);
		CHECK_EQ_INT(r.prep_rc, 0);
		CHECK_EQ_INT(r.spawn_rc, 0);
		CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		if (!strstr(r.out, line))
			printf("#   %s %s notify=%d: got \"%s\" (%s), want \"%s\"\n", name, arg ? arg : "", notify,
			       r.out, r.err.msg, line);
		CHECK(strstr(r.out, line) != NULL);
	}
}

TEST(exit_status_and_stdout)
{
	char *argv[] = { "sh", "-c", "echo hello; exit 3", NULL };
	const char *caps[] = { "fs.exec:/usr/bin", NULL };
	for (int notify = 0; notify <= 1; notify++) {
		struct opts o = { .exe = "/bin/sh", .argv = argv, .caps = caps, .uid = (uid_t)-1, .hive_fd = -1,
			          .notify = notify };
		struct run r;
		run_sbx(&o, &r);
		CHECK_EQ_INT(r.spawn_rc, 0);
		CHECK(WIFEXITED(r.status));
		CHECK_EQ_INT(WEXITSTATUS(r.status), 3);
		CHECK_EQ_STR(r.out, "hello\n");
		CHECK_EQ_STR(r.enforcement, notify ? "landlock=7 seccomp=filter+notify" : "landlock=7 seccomp=filter");
	}
}

/* A script runs from the hashed fd too: its interpreter reads /dev/fd/N. */
TEST(script_from_fd)
{
	char path[128], cap[160];
	snprintf(path, sizeof path, "%s/agent.sh", tmpdir);
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (!fp)
		return;
	fputs("#!/bin/sh\necho \"script $1\"\nexit 5\n", fp);
	fclose(fp);
	chmod(path, 0755);
	snprintf(cap, sizeof cap, "fs.exec:%s", path);
	char *argv[] = { path, "one", NULL };
	const char *caps[] = { "fs.exec:/usr/bin", "fs.read:/proc", NULL };
	for (int notify = 0; notify <= 1; notify++) {
		struct opts o = { .exe = path, .argv = argv, .caps = caps, .uid = (uid_t)-1, .hive_fd = -1,
			          .notify = notify };
		struct run r;
		run_sbx(&o, &r);
		CHECK_EQ_INT(r.spawn_rc, 0);
		CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 5);
		CHECK_EQ_STR(r.out, "script one\n");
	}
}

TEST(landlock_read)
{
	const char *caps[] = { "fs.read:/etc/hostname", NULL };
	expect_probe("read", "/etc/hostname", caps, 0);
	expect_probe("read", "/etc/passwd", caps, EACCES);
}

TEST(landlock_write)
{
	char inside[128], outside[128], cap[160];
	snprintf(inside, sizeof inside, "%s/in", tmpdir);
	snprintf(cap, sizeof cap, "fs.write:%s/in", tmpdir);
	mkdir(inside, 0777);
	snprintf(inside, sizeof inside, "%s/in/file", tmpdir);
	snprintf(outside, sizeof outside, "%s/outside", tmpdir);
	const char *caps[] = { cap, NULL };
	expect_probe("write", inside, caps, 0);
	expect_probe("write", outside, caps, EACCES);
	struct stat st;
	CHECK(stat(outside, &st) < 0 && errno == ENOENT);
}

TEST(seccomp_denials)
{
	static const char *const eperm[] = { "unshare", "mount", "ptrace", "io_uring", "perf",
		                             "keyctl", "clone_ns", "packet", "sctp", "mptcp",
		                             "fastopen", "pidfd_getfd" };
	for (size_t i = 0; i < sizeof eperm / sizeof eperm[0]; i++)
		expect_probe(eperm[i], NULL, NULL, EPERM);
	expect_probe("clone3", NULL, NULL, ENOSYS); /* so libc falls back to clone */
}

TEST(x32_and_foreign_arch_killed)
{
	for (int notify = 0; notify <= 1; notify++) {
		struct run r;
		probe("x32", NULL, NULL, notify, &r);
		CHECK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS);
		CHECK_EQ_STR(r.out, "");
	}
	/* i386 through int 0x80, where this kernel has the 32-bit entry. */
	int st;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl(probe_path, "sbxprobe", "i386", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("# no 32-bit syscall entry here: i386 not tried\n");
		return;
	}
	struct run r;
	probe("i386", NULL, NULL, 0, &r);
	CHECK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS);
}

TEST(datagram_socket)
{
	struct run r;
	probe("udp", NULL, NULL, 0, &r);
	CHECK(strstr(r.out, "udp 13\n") != NULL); /* no supervisor: refused */
	probe("udp", NULL, NULL, 1, &r);
	CHECK(strstr(r.out, "udp 0\n") != NULL);  /* asked, and this supervisor allows */
}

TEST(landlock_connect)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(s, 8) == 0);
	getsockname(s, (struct sockaddr *)&sa, &len);
	char port[16], cap[32];
	snprintf(port, sizeof port, "%u", ntohs(sa.sin_port));
	snprintf(cap, sizeof cap, "net.connect:%s", port);
	expect_probe("connect", port, NULL, EACCES);
	const char *caps[] = { cap, NULL };
	expect_probe("connect", port, caps, 0);
	close(s);
}

TEST(env_only_as_given)
{
	setenv("HIVE_TEST_SECRET", "hunter2", 1);
	char *argv[] = { "sbxprobe", "env", NULL };
	char *envp[] = { "ASAN_OPTIONS=detect_leaks=0", "HIVE_FD=3", NULL };
	struct opts o = { .argv = argv, .envp = envp, .uid = (uid_t)-1, .hive_fd = -1, .notify = 1 };
	struct run r;
	run_sbx(&o, &r);
	CHECK_EQ_STR(r.out, "env ASAN_OPTIONS=detect_leaks=0\nenv HIVE_FD=3\nenv 0\n");
	unsetenv("HIVE_TEST_SECRET");
}

TEST(fds_only_as_handed)
{
	int leak = open("/dev/null", O_RDONLY); /* no CLOEXEC: a careless fd */
	int sp[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
	/* The hive fd sits on 0..3's targets' other side: a low number too. */
	char *argv[] = { "sbxprobe", "fds", NULL };
	struct opts o = { .argv = argv, .uid = (uid_t)-1, .hive_fd = sp[1], .notify = 1 };
	struct run r;
	run_sbx(&o, &r);
	CHECK_EQ_STR(r.out, "fd 0\nfd 1\nfd 2\nfd 3\nfds 0\n");
	close(leak);
	close(sp[0]);
	close(sp[1]);
}

TEST(root_runs_as_uid_without_caps)
{
	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return;
	}
	char *argv[] = { "sbxprobe", "status", NULL };
	struct opts o = { .argv = argv, .uid = 600123, .hive_fd = -1, .notify = 1 };
	struct run r;
	run_sbx(&o, &r);
	if (!strstr(r.out, "status 0"))
		printf("#   out: %s err: %s\n", r.out, r.err.msg);
	CHECK(strstr(r.out, "Uid:\t600123\t600123\t600123\t600123\n") != NULL);
	CHECK(strstr(r.out, "Gid:\t600123\t600123\t600123\t600123\n") != NULL);
	CHECK(strstr(r.out, "Groups:\t \n") != NULL);
	CHECK(strstr(r.out, "CapInh:\t0000000000000000\n") != NULL);
	CHECK(strstr(r.out, "CapPrm:\t0000000000000000\n") != NULL);
	CHECK(strstr(r.out, "CapEff:\t0000000000000000\n") != NULL);
	CHECK(strstr(r.out, "CapBnd:\t0000000000000000\n") != NULL);
	CHECK(strstr(r.out, "CapAmb:\t0000000000000000\n") != NULL);
	CHECK(strstr(r.out, "NoNewPrivs:\t1\n") != NULL);
	CHECK(strstr(r.out, "Seccomp:\t2\n") != NULL);
	/* Root keeping uid 0 (no uid given) holds no capability either. */
	o.uid = (uid_t)-1;
	run_sbx(&o, &r);
	CHECK(strstr(r.out, "Uid:\t0\t0\t0\t0\n") != NULL);
	CHECK(strstr(r.out, "CapPrm:\t0000000000000000\n") != NULL);
	CHECK(strstr(r.out, "CapEff:\t0000000000000000\n") != NULL);
	CHECK(strstr(r.out, "CapBnd:\t0000000000000000\n") != NULL);
}

/* hived run by a normal user: the agent keeps that uid, holds no
 * capability, and the listener is still taken by pidfd_getfd (same uid, the
 * child stays dumpable). Run from a forked copy of this test dropped to
 * nobody, when the test itself is root. */
TEST(unprivileged_hived)
{
	if (geteuid() != 0) {
		printf("# not root: the whole test already runs unprivileged\n");
		return;
	}
	/* The build may sit where nobody cannot reach (a 0700 checkout): the
	 * probe runs from a copy in a directory nobody can enter. */
	char dir[] = "/tmp/sbx-unpriv.XXXXXX", copy[sizeof dir + 16];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(copy, sizeof copy, "%s/sbxprobe", dir);
	int in = open(probe_path, O_RDONLY | O_CLOEXEC), out = open(copy, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	char buf[65536];
	ssize_t got;
	while (in >= 0 && out >= 0 && (got = read(in, buf, sizeof buf)) > 0)
		CHECK(write(out, buf, (size_t)got) == got);
	close(in);
	close(out);
	CHECK(chmod(dir, 0755) == 0 && chmod(copy, 0755) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		char *argv[] = { "sbxprobe", "status", NULL };
		struct opts o = { .argv = argv, .exe = copy, .uid = (uid_t)-1, .hive_fd = -1, .notify = 1 };
		struct run r;
		run_sbx(&o, &r);
		int ok = r.spawn_rc == 0 && strstr(r.out, "Uid:\t65534\t65534\t65534\t65534\n") &&
		         strstr(r.out, "CapEff:\t0000000000000000\n") && strstr(r.out, "CapPrm:\t0000000000000000\n") &&
		         strstr(r.out, "NoNewPrivs:\t1\n") && strstr(r.out, "Seccomp:\t2\n");
		if (!ok)
			printf("#   unprivileged: rc=%d err=%s out=%s\n", r.spawn_rc, r.err.msg, r.out);
		fflush(stdout);
		_exit(ok && !test_cur_failed ? 0 : 1);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(copy);
	rmdir(dir);
}

TEST(abi_capping_refuses)
{
	const char *net[] = { "net.connect:443", NULL };
	char *argv[] = { "sbxprobe", "env", NULL };
	struct opts o = { .argv = argv, .caps = net, .uid = (uid_t)-1, .hive_fd = -1, .abi_max = 3 };
	struct run r;
	run_sbx(&o, &r);
	CHECK_EQ_INT(r.prep_rc, -EOPNOTSUPP);
	CHECK_EQ_STR(r.err.msg, "net.connect:443 needs Landlock ABI 4 (TCP port rules); this hive uses ABI 3");
	o.caps = NULL;
	run_sbx(&o, &r); /* ABI 3 without net caps is fine */
	CHECK_EQ_INT(r.prep_rc, 0);
	CHECK_EQ_STR(r.enforcement, "landlock=3 seccomp=filter");
	CHECK(strstr(r.rights, "landlock abi=3 fs=") && strstr(r.rights, " net=- scoped=-\n"));
	o.abi_max = -1;
	run_sbx(&o, &r);
	CHECK_EQ_INT(r.prep_rc, -EOPNOTSUPP);
	CHECK(strstr(r.err.msg, "needs Landlock (the ceiling of file-system rights); this hive runs without it"));
}

TEST(rights_listing)
{
	const char *caps[] = { "fs.read:/nonexistent/hive", "fs.read:/etc/hostname", "net.bind:8080", NULL };
	char *argv[] = { "sbxprobe", "env", NULL };
	struct opts o = { .argv = argv, .caps = caps, .uid = (uid_t)-1, .hive_fd = -1, .notify = 1 };
	struct run r;
	run_sbx(&o, &r);
	CHECK_EQ_INT(r.prep_rc, 0);
	CHECK(strstr(r.rights, "landlock abi=7 fs=execute|write_file|read_file|read_dir|") != NULL);
	CHECK(strstr(r.rights, " net=bind_tcp|connect_tcp scoped=abstract_unix_socket|signal\n") != NULL);
	CHECK(strstr(r.rights, "\nfs.read:/nonexistent/hive skipped=ENOENT\n") != NULL);
	CHECK(strstr(r.rights, "\nfs.read:/etc/hostname read_file\n") != NULL); /* a file: no read_dir */
	CHECK(strstr(r.rights, "\nfs.write:/dev/null write_file|read_file|truncate|ioctl_dev\n") != NULL);
	CHECK(strstr(r.rights, "\nnet.bind:8080 bind_tcp\n") != NULL);
}

TEST(failing_step_is_named)
{
	/* Bad handed fds are refused by prepare. */
	char *argv[] = { "sbxprobe", "env", NULL };
	int bad = 999; /* not open: handing it fails the fds step */
	struct opts o = { .argv = argv, .uid = (uid_t)-1, .hive_fd = bad, .notify = 1 };
	struct run r;
	run_sbx(&o, &r);
	CHECK_EQ_INT(r.prep_rc, -EBADF); /* seen before fork already */
	CHECK_EQ_STR(r.err.msg, "sandbox: the hive connection (fd 999) is not open");
	/* A directory handed as a stream is refused: it would keep read_dir. */
	int dir = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	o.hive_fd = dir;
	run_sbx(&o, &r);
	CHECK_EQ_INT(r.prep_rc, -EINVAL);
	close(dir);
	/* A step in the child fails before the handover: spawn itself fails,
	 * names the step, and the child is gone (a cgroup.procs fd that cannot
	 * be written). */
	int ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
	o = (struct opts){ .argv = argv, .uid = (uid_t)-1, .hive_fd = -1, .notify = 1, .cgroup_procs = &ro };
	run_sbx(&o, &r);
	CHECK_EQ_INT(r.spawn_rc, -EBADF);
	CHECK_EQ_STR(r.err.msg, "sandbox: setup failed at cgroup: Bad file descriptor");
	close(ro);
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	/* After it (and always without notify): the report socket says it. */
	o = (struct opts){ .argv = argv, .cwd = "/nonexistent/hive", .uid = (uid_t)-1, .hive_fd = -1 };
	for (int notify = 0; notify <= 1; notify++) {
		o.notify = notify;
		run_sbx(&o, &r);
		CHECK_EQ_INT(r.spawn_rc, 0);
		CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 127);
		CHECK_EQ_STR(r.err.msg, "chdir 2");
	}
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

/* The child joins its cgroups before anything else runs: a v1 pids group
 * made beside the test's own, its cgroup.procs handed as an fd. */
TEST(joins_cgroup)
{
	char own[512] = "", dir[1024], procs[1100], line[600];
	FILE *fp = fopen("/proc/self/cgroup", "r");
	while (fp && fgets(line, sizeof line, fp))
		if (sscanf(line, "%*d:pids:%511s", own) == 1)
			break;
	if (fp)
		fclose(fp);
	snprintf(dir, sizeof dir, "/sys/fs/cgroup/pids%s/hive-sbx-%d", strcmp(own, "/") ? own : "", (int)getpid());
	if (!own[0] || mkdir(dir, 0755) < 0) {
		printf("# no writable v1 pids hierarchy: skipped\n");
		return;
	}
	snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
	int cg = open(procs, O_WRONLY | O_CLOEXEC);
	CHECK(cg >= 0);
	char *argv[] = { "sh", "-c", "grep :pids: /proc/self/cgroup", NULL };
	const char *caps[] = { "fs.exec:/usr/bin", NULL };
	struct opts o = { .exe = "/bin/sh", .argv = argv, .caps = caps, .uid = (uid_t)-1, .hive_fd = -1,
		          .notify = 1, .cgroup_procs = &cg };
	struct run r;
	run_sbx(&o, &r);
	char want[1100];
	snprintf(want, sizeof want, ":pids:%s/hive-sbx-%d\n", strcmp(own, "/") ? own : "", (int)getpid());
	if (!strstr(r.out, want))
		printf("#   out=%s err=%s\n", r.out, r.err.msg);
	CHECK(strstr(r.out, want) != NULL);
	close(cg);
	CHECK(rmdir(dir) == 0);
}

/* hived killed: its agents die with it (PR_SET_PDEATHSIG, set again after
 * the uid change that clears it). A forked "hived" spawns a sleeping agent
 * and dies; this test, a subreaper, gets the orphan and its status. */
TEST(dies_with_hived)
{
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	for (int as_uid = 0; as_uid <= (geteuid() == 0); as_uid++) {
		int pp[2];
		CHECK(pipe(pp) == 0);
		fflush(stdout);
		pid_t hived = fork();
		if (hived == 0) {
			char *argv[] = { "sleep", "30", NULL };
			char *envp[] = { NULL };
			struct cap caps[16];
			uint32_t n = 0;
			const char *text[] = { "fs.exec:/usr/bin", "fs.read:/lib", "fs.read:/usr/lib",
				               "fs.read:/etc/ld.so.cache", "fs.exec:/lib64", "fs.exec:/usr/lib", NULL };
			caps_of(text, caps, &n);
			int exe = open("/bin/sleep", O_RDONLY | O_CLOEXEC);
			struct sandbox_spec spec = { .exe_fd = exe, .argv = argv, .envp = envp,
				                     .uid = as_uid ? 600125 : (uid_t)-1, .gid = 600125,
				                     .stdio = { -1, -1, -1 }, .hive_fd = -1, .caps = caps, .ncaps = n };
			struct sandbox_plan *plan;
			struct sandbox_child c;
			struct err err;
			if (sandbox_prepare(&spec, &kern, &plan, &err) < 0 || sandbox_spawn(plan, &c, &err) < 0)
				_exit(1);
			/* Wait for the exec (report EOF), then die without a word. */
			struct pollfd pf = { c.report_fd, POLLIN, 0 };
			poll(&pf, 1, 5000);
			char step[32];
			int e;
			if (sandbox_report_read(c.report_fd, step, sizeof step, &e) == 1)
				printf("#   agent setup failed at %s: %d\n", step, e);
			fflush(stdout);
			if (write(pp[1], &c.pid, sizeof c.pid) != sizeof c.pid)
				_exit(1);
			_exit(0);
		}
		close(pp[1]);
		pid_t agent = -1;
		CHECK(read(pp[0], &agent, sizeof agent) == sizeof agent);
		close(pp[0]);
		int st;
		CHECK(waitpid(hived, &st, 0) == hived && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		double t0 = now_s();
		CHECK(agent > 0 && waitpid(agent, &st, 0) == agent);
		if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
			printf("#   as_uid=%d status 0x%x\n", as_uid, st);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		CHECK(now_s() - t0 < 5);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

/* No cgroups: the memory bound is RLIMIT_AS, pids is RLIMIT_NPROC only for
 * an agent with its own uid. */
TEST(rlimits_without_cgroups)
{
	struct manifest_quota q = { .memory_max = 256ull << 20, .pids_max = 10 };
	char *argv[] = { "sh", "-c", "ulimit -v; ulimit -p", NULL };
	const char *caps[] = { "fs.exec:/usr/bin", NULL };
	struct opts o = { .exe = "/bin/sh", .argv = argv, .caps = caps, .uid = (uid_t)-1, .hive_fd = -1,
		          .rlimits = &q };
	struct run r;
	run_sbx(&o, &r);
	CHECK_EQ_INT(r.spawn_rc, 0);
	char want[64];
	struct rlimit nproc;
	getrlimit(RLIMIT_NPROC, &nproc);
	if (nproc.rlim_cur == RLIM_INFINITY)
		snprintf(want, sizeof want, "262144\nunlimited\n");
	else
		snprintf(want, sizeof want, "262144\n%llu\n", (unsigned long long)nproc.rlim_cur);
	CHECK_EQ_STR(r.out, want);
	if (geteuid() == 0) {
		o.uid = 600124;
		run_sbx(&o, &r);
		CHECK_EQ_STR(r.out, "262144\n10\n");
	}
}

/* CPU seconds of this process and its reaped children: less at the mercy
 * of other work on the machine than the wall clock. */
static double cpu_s(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec +
	       (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e6;
}

/* The three variants interleaved run by run, so the machine's noise (two
 * cores shared with other work) falls on all of them alike. Wall and CPU
 * time both; the sandbox's include the test's own supervisor. */
TEST(spawn_cost)
{
	enum { RUNS = 200 };
	char *argv[] = { "true", NULL };
	char *envp[] = { NULL };
	const char *caps[] = { "fs.exec:/usr/bin", NULL };
	double plain = 0, plain_cpu = 0, sbx[2] = { 0, 0 }, sbx_cpu[2] = { 0, 0 }, prep[2] = { 0, 0 };
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_s(), c0 = cpu_s();
		pid_t pid = fork();
		if (pid == 0) {
			execve("/bin/true", argv, envp);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
		plain += now_s() - t0;
		plain_cpu += cpu_s() - c0;
		for (int notify = 0; notify <= 1; notify++) {
			struct opts o = { .exe = "/bin/true", .argv = argv, .envp = envp, .caps = caps,
				          .uid = (uid_t)-1, .hive_fd = -1, .notify = notify };
			struct run r;
			t0 = now_s();
			c0 = cpu_s();
			run_sbx(&o, &r);
			sbx[notify] += now_s() - t0;
			sbx_cpu[notify] += cpu_s() - c0;
			prep[notify] += r.prep_s;
			CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		}
	}
	printf("# spawn_cost: %d runs of /bin/true, wall: fork+exec %.3f ms; sandbox %.3f ms (%.2fx; without "
	       "prepare %.2fx); sandbox+notify %.3f ms (%.2fx; without prepare %.2fx)\n",
	       RUNS, plain * 1e3 / RUNS, sbx[0] * 1e3 / RUNS, sbx[0] / plain, (sbx[0] - prep[0]) / plain,
	       sbx[1] * 1e3 / RUNS, sbx[1] / plain, (sbx[1] - prep[1]) / plain);
	printf("# spawn_cost: cpu: fork+exec %.3f ms; sandbox %.3f ms (%.2fx); sandbox+notify %.3f ms (%.2fx)\n",
	       plain_cpu * 1e3 / RUNS, sbx_cpu[0] * 1e3 / RUNS, sbx_cpu[0] / plain_cpu, sbx_cpu[1] * 1e3 / RUNS,
	       sbx_cpu[1] / plain_cpu);
}

int main(int argc, char **argv)
{
	kernel_probe(&kern);
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(probe_path, sizeof probe_path, "%s/tools/sbxprobe", dirname(self));
	snprintf(tmpdir, sizeof tmpdir, "/tmp/hive-sbx.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	chmod(tmpdir, 0777);
	if (kern.landlock_abi < 7 || !kern.seccomp_notify || access(probe_path, X_OK) < 0) {
		printf("ok 1 - # SKIP needs Landlock ABI 7, seccomp notify and %s\n", probe_path);
		return 0;
	}
	RUN(exit_status_and_stdout);
	RUN(script_from_fd);
	RUN(landlock_read);
	RUN(landlock_write);
	RUN(seccomp_denials);
	RUN(x32_and_foreign_arch_killed);
	RUN(datagram_socket);
	RUN(landlock_connect);
	RUN(env_only_as_given);
	RUN(fds_only_as_handed);
	RUN(root_runs_as_uid_without_caps);
	RUN(unprivileged_hived);
	RUN(abi_capping_refuses);
	RUN(rights_listing);
	RUN(failing_step_is_named);
	RUN(joins_cgroup);
	RUN(dies_with_hived);
	RUN(rlimits_without_cgroups);
	RUN(spawn_cost);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
