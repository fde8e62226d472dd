/*
 * Unit tests for the seccomp user-notification supervisor. A forked child
 * installs a notifying filter (libseccomp), hands the listener to the
 * parent over a socketpair made before the filter (sendmsg is not in the
 * notified set) and runs one scenario; the parent serves the listener on a
 * real loop with a test decide that records what it was asked.
 */
#include "hived/agent/notify.h"
#include "hived/core/loop.h"
#include "hived/core/spin.h"
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[PATH_MAX];       /* canonical temp dir */
static char secret_dir[PATH_MAX + 16];
static char secret[PATH_MAX + 32];
static char allowed_dir[PATH_MAX + 16];
static char allowed_file[PATH_MAX + 32];
static uint16_t denied_port;
static uint32_t spin_us; /* the loop busy-polls (hived --busy-poll-us) */
static int raw_floor;    /* no supervisor: poll, RECV, CONTINUE (the kernel's floor) */

#define LOG_MAX 64
struct seen {
	enum notify_op op;
	uint16_t port;
	int flags;
	char syscall[24];
	char path[HIVE_NOTIFY_PATH_MAX];
};
static struct dec {
	int broker; /* allowed opens are brokered */
	int calls;
	int nlog;
	struct seen log[LOG_MAX];
} D;

static int is_secret(const char *p)
{
	size_t l = strlen(secret_dir);
	return !strncmp(p, secret_dir, l) && (p[l] == '/');
}

static enum notify_decision test_decide(void *arg, const struct notify_access *acc)
{
	struct dec *d = arg;
	d->calls++;
	if (d->nlog < LOG_MAX) {
		struct seen *s = &d->log[d->nlog++];
		s->op = acc->op;
		s->port = acc->port;
		s->flags = acc->flags;
		snprintf(s->syscall, sizeof s->syscall, "%s", acc->syscall ? acc->syscall : "?");
		snprintf(s->path, sizeof s->path, "%s", acc->path ? acc->path : "");
	}
	if (acc->op == NOTIFY_OPEN_HANDLE)
		return NOTIFY_DENY;
	if (acc->path && (is_secret(acc->path) || !strncmp(acc->path, "memfd:", 6)))
		return NOTIFY_DENY;
	if (denied_port && acc->port == denied_port && acc->op == NOTIFY_CONNECT_TCP)
		return NOTIFY_DENY;
	if (d->broker && (acc->op == NOTIFY_OPEN_READ || acc->op == NOTIFY_OPEN_WRITE))
		return NOTIFY_BROKER;
	return NOTIFY_ALLOW;
}

static int saw(enum notify_op op, const char *path)
{
	for (int i = 0; i < D.nlog; i++)
		if (D.log[i].op == op && !strcmp(D.log[i].path, path))
			return 1;
	return 0;
}

static int saw_port(enum notify_op op, uint16_t port)
{
	for (int i = 0; i < D.nlog; i++)
		if (D.log[i].op == op && D.log[i].port == port)
			return 1;
	return 0;
}

static void dump_log(void)
{
	for (int i = 0; i < D.nlog; i++)
		printf("#   decide %s %s port=%u path=%s\n", D.log[i].syscall, notify_op_name(D.log[i].op),
		       D.log[i].port, D.log[i].path);
}

/* --- the child ---------------------------------------------------------- */

static int install_filter(void)
{
	static const char *const calls[] = { "open", "openat", "openat2", "creat", "open_by_handle_at", "execve",
		                             "execveat", "connect", "bind", "sendto" };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -1;
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, seccomp_syscall_resolve_name(calls[i]), 0) < 0)
			return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(socket), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM)) < 0)
		return -1;
	if (seccomp_load(ctx) < 0)
		return -1;
	return seccomp_notify_fd(ctx);
}

static int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

typedef int (*scenario_fn)(int report);

/* Expect a path call to fail with errno e; returns 0 or the line. */
#define EXPECT_FAIL(call, e)                                        \
	do {                                                        \
		int r_ = (call);                                    \
		if (r_ >= 0 || errno != (e))                        \
			return __LINE__;                            \
	} while (0)
#define EXPECT_OK(call)                                             \
	do {                                                        \
		int r_ = (call);                                    \
		if (r_ < 0)                                         \
			return __LINE__;                            \
		close(r_);                                          \
	} while (0)

static void on_exit_fd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	loop_stop(loop);
}

static void on_timeout(struct loop *loop, void *arg)
{
	*(int *)arg = 1;
	loop_stop(loop);
}

/* The floor to compare with: the least a supervisor can do per call. */
static void serve_raw(int lfd, int pidfd, struct notify_stats *st)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
	memset(st, 0, sizeof *st);
	while (poll(p, 2, 120000) > 0 && !p[1].revents) {
		memset(&req, 0, sizeof req);
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			continue;
		resp = (struct seccomp_notif_resp){ .id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		st->allowed++;
	}
	close(lfd);
}

/* Fork, filter, serve; returns the child's exit code (0 = its checks held). */
static int run_child(scenario_fn pre, scenario_fn fn, struct notify_stats *st, char *report, size_t cap)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	D.calls = D.nlog = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		if (pre && pre(sp[1]))
			_exit(101);
		int lfd = install_filter();
		if (lfd < 0 || send_fd(sp[1], lfd) < 0)
			_exit(100);
		close(lfd);
		int r = fn(sp[1]);
		if (r) /* stdout is the parent's: write(2) is not notified */
			printf("#   child failed at test_notify.c:%d\n", r);
		fflush(stdout);
		_exit(r ? 1 : 0);
	}
	close(sp[1]);
	int lfd = recv_fd(sp[0]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct loop *loop = loop_new();
	struct spin *spin = spin_us ? spin_attach(loop, spin_us) : NULL;
	struct notify *n = NULL;
	struct err err = { 0 };
	int timed_out = 0;
	CHECK(lfd >= 0 && pidfd >= 0 && loop);
	if (raw_floor) {
		serve_raw(lfd, pidfd, st);
		goto reap;
	}
	CHECK_EQ_INT(notify_start(loop, lfd, pidfd, test_decide, &D, &n, &err), 0);
	CHECK_EQ_INT(loop_add_fd(loop, pidfd, EPOLLIN, on_exit_fd, NULL), 0);
	CHECK(loop_add_timer(loop, 120000, on_timeout, &timed_out) > 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	CHECK(!timed_out);
	notify_get_stats(n, st);
	notify_stop(n);
	loop_del_fd(loop, pidfd);
reap:
	close(pidfd);
	spin_detach(spin);
	loop_free(loop);
	int status = 0;
	if (timed_out)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ssize_t got = report ? read(sp[0], report, cap - 1) : 0;
	if (report)
		report[got > 0 ? got : 0] = '\0';
	close(sp[0]);
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (rc > 1)
		printf("#   child failed: %d (100+: its set-up)\n", rc);
	return rc;
}

/* --- scenarios ----------------------------------------------------------- */

static int sc_deny_direct(int report)
{
	EXPECT_FAIL(openat(AT_FDCWD, secret, O_RDONLY), EACCES);
	EXPECT_FAIL(open(secret, O_WRONLY), EACCES);
	char handle[64] = { 0 };
	EXPECT_FAIL((int)syscall(SYS_open_by_handle_at, AT_FDCWD, handle, O_RDONLY), EACCES);
	return 0;
}

TEST(denied_openat_gets_eacces_and_decide_sees_the_path)
{
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_deny_direct, &st, NULL, 0), 0);
	CHECK(saw(NOTIFY_OPEN_READ, secret));
	CHECK(saw(NOTIFY_OPEN_WRITE, secret));
	CHECK(saw(NOTIFY_OPEN_HANDLE, ""));
	CHECK(st.denied >= 3 && st.calls >= 3);
	CHECK_EQ_INT(st.errors, 0);
}

static int sc_relative(int report)
{
	if (chdir(secret_dir) < 0)
		return __LINE__;
	EXPECT_FAIL(open("key", O_RDONLY), EACCES);
	EXPECT_FAIL(open("./sub/../key", O_RDONLY), EACCES);
	if (chdir(allowed_dir) < 0)
		return __LINE__;
	EXPECT_FAIL(open("../secret/key", O_RDONLY), EACCES);
	EXPECT_OK(open("file", O_RDONLY));
	return 0;
}

TEST(relative_paths_resolve_against_the_targets_cwd)
{
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_relative, &st, NULL, 0), 0);
	CHECK(saw(NOTIFY_OPEN_READ, secret));
	CHECK(saw(NOTIFY_OPEN_READ, allowed_file));
	CHECK_EQ_INT(st.errors, 0);
}

static int sc_dirfd(int report)
{
	int dfd = open(secret_dir, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return __LINE__;
	EXPECT_FAIL(openat(dfd, "key", O_RDONLY), EACCES);
	EXPECT_FAIL(openat(dfd, "sub/../key", O_RDONLY), EACCES);
	struct open_how how = { .flags = O_RDONLY, .resolve = RESOLVE_BENEATH };
	EXPECT_FAIL((int)syscall(SYS_openat2, dfd, "key", &how, sizeof how), EACCES);
	return 0;
}

TEST(a_dirfd_opened_before_cannot_dodge)
{
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_dirfd, &st, NULL, 0), 0);
	CHECK(saw(NOTIFY_OPEN_READ, secret));
}

static int sc_links(int report)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/link", allowed_dir);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	/* dlink -> ../secret/sub: "dlink/.." is secret/, not allowed/ */
	snprintf(p, sizeof p, "%s/dlink/../key", allowed_dir);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	snprintf(p, sizeof p, "%s/../secret/key", allowed_dir);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	/* plink -> /proc/self/cwd/key: "self" is the agent, not hived */
	if (chdir(secret_dir) < 0)
		return __LINE__;
	snprintf(p, sizeof p, "%s/plink", allowed_dir);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	return 0;
}

TEST(symlinks_and_dotdot_resolve_to_the_target)
{
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_links, &st, NULL, 0), 0);
	CHECK(saw(NOTIFY_OPEN_READ, secret));
	CHECK_EQ_INT(st.errors, 0);
	if (test_cur_failed)
		dump_log();
}

static int sc_proc(int report)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "/proc/self/root%s", secret);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	snprintf(p, sizeof p, "/proc/%d/root%s", (int)getpid(), secret);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	if (chdir(secret_dir) < 0)
		return __LINE__;
	EXPECT_FAIL(open("/proc/self/cwd/key", O_RDONLY), EACCES);
	EXPECT_FAIL(open("/proc/thread-self/cwd/key", O_RDONLY), EACCES);
	int dfd = open(".", O_PATH | O_DIRECTORY);
	if (dfd < 0 || chdir("/") < 0)
		return __LINE__;
	snprintf(p, sizeof p, "/proc/self/fd/%d/key", dfd);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	int kfd = open(allowed_file, O_RDONLY);
	if (kfd < 0)
		return __LINE__;
	snprintf(p, sizeof p, "/proc/self/fd/%d", kfd);
	EXPECT_OK(open(p, O_RDONLY));
	return 0;
}

TEST(proc_self_root_cwd_and_fd_magic_links)
{
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_proc, &st, NULL, 0), 0);
	CHECK(saw(NOTIFY_OPEN_READ, secret));
	CHECK_EQ_INT(st.errors, 0);
	if (test_cur_failed)
		dump_log();
}

static int sc_creat(int report)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/new", allowed_dir);
	EXPECT_OK(open(p, O_CREAT | O_WRONLY | O_EXCL, 0600));
	snprintf(p, sizeof p, "%s/new2", secret_dir);
	EXPECT_FAIL(open(p, O_CREAT | O_WRONLY, 0600), EACCES);
	snprintf(p, sizeof p, "%s/missing", allowed_dir);
	EXPECT_FAIL(open(p, O_RDONLY), ENOENT);
	snprintf(p, sizeof p, "%s/missing", secret_dir);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	return 0;
}

TEST(creat_of_a_new_file_and_missing_paths)
{
	struct notify_stats st;
	char p[PATH_MAX + 64], q[PATH_MAX + 64];
	CHECK_EQ_INT(run_child(NULL, sc_creat, &st, NULL, 0), 0);
	snprintf(p, sizeof p, "%s/new", allowed_dir);
	snprintf(q, sizeof q, "%s/new2", secret_dir);
	CHECK(saw(NOTIFY_OPEN_WRITE, p));
	CHECK(saw(NOTIFY_OPEN_WRITE, q));
	CHECK(access(p, F_OK) == 0);
	CHECK(access(q, F_OK) < 0);
	snprintf(q, sizeof q, "%s/missing", secret_dir);
	CHECK(saw(NOTIFY_OPEN_READ, q));
	unlink(p);
}

static int sc_exec(int report)
{
	int mfd = memfd_create("evil", MFD_CLOEXEC);
	if (mfd < 0 || write(mfd, "#!/bin/true\n", 12) != 12)
		return __LINE__;
	char *argv[] = { "evil", NULL }, *envp[] = { NULL };
	EXPECT_FAIL((int)syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH), EACCES);
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", mfd);
	EXPECT_FAIL(execve(p, argv, envp), EACCES);
	EXPECT_FAIL(execve(secret, argv, envp), EACCES);
	return 0;
}

TEST(exec_of_a_memfd_reports_memfd)
{
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_exec, &st, NULL, 0), 0);
	int memfds = 0;
	for (int i = 0; i < D.nlog; i++)
		if (D.log[i].op == NOTIFY_EXEC && !strcmp(D.log[i].path, "memfd:evil"))
			memfds++;
	CHECK_EQ_INT(memfds, 2);
	CHECK(saw(NOTIFY_EXEC, secret));
	if (test_cur_failed)
		dump_log();
}

static uint16_t udp_port;
static int sc_net(int report)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(denied_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_FAIL(connect(s, (struct sockaddr *)&a, sizeof a), EACCES);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0)
		return __LINE__;
	a.sin_port = htons(udp_port);
	if (sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a) != 1)
		return __LINE__;
	a.sin_port = htons(udp_port + 1);
	if (connect(u, (struct sockaddr *)&a, sizeof a) < 0)
		return __LINE__;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	memcpy(un.sun_path, "\0hive\0x", 7);
	int x = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_FAIL(connect(x, (struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path) + 7), ECONNREFUSED);
	return 0;
}

TEST(connect_tcp_udp_and_abstract_unix)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&a, &al) == 0);
	denied_port = ntohs(a.sin_port);
	udp_port = 40000 + (uint16_t)(getpid() % 20000);
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_net, &st, NULL, 0), 0);
	CHECK(saw_port(NOTIFY_CONNECT_TCP, denied_port));
	CHECK(saw_port(NOTIFY_SEND_UDP, 0));
	CHECK(saw_port(NOTIFY_SEND_UDP, udp_port));
	CHECK(saw_port(NOTIFY_SEND_UDP, (uint16_t)(udp_port + 1)));
	CHECK(saw(NOTIFY_CONNECT_UNIX, "@hive\\x00x"));
	denied_port = 0;
	close(l);
	if (test_cur_failed)
		dump_log();
}

static int sc_broker(int report)
{
	struct stat want, got;
	char buf[16] = "";
	if (stat(allowed_file, &want) < 0)
		return __LINE__;
	int fd = open(allowed_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof buf) != 6 || memcmp(buf, "hello\n", 6))
		return __LINE__;
	if (fstat(fd, &got) < 0 || got.st_ino != want.st_ino || got.st_dev != want.st_dev)
		return __LINE__;
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return __LINE__;
	close(fd);
	fd = open(allowed_file, O_RDONLY);
	if (fd < 0 || (fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return __LINE__;
	close(fd);
	EXPECT_FAIL(open(secret, O_RDONLY), EACCES);
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/bnew", allowed_dir);
	umask(022);
	fd = open(p, O_CREAT | O_WRONLY, 0666);
	if (fd < 0 || write(fd, "w", 1) != 1 || fstat(fd, &got) < 0 || (got.st_mode & 0777) != 0644)
		return __LINE__;
	close(fd);
	EXPECT_FAIL(open(p, O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
	EXPECT_OK(open(allowed_dir, O_RDONLY | O_DIRECTORY));
	EXPECT_OK(open(allowed_file, O_PATH | O_NONBLOCK));
	/* a FIFO with no writer: the agent's non-blocking open, not hived's loop, is what waits */
	snprintf(p, sizeof p, "%s/fifo", allowed_dir);
	fd = open(p, O_RDONLY | O_NONBLOCK);
	if (fd < 0 || !(fcntl(fd, F_GETFL) & O_NONBLOCK))
		return __LINE__;
	close(fd);
	EXPECT_FAIL(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
	fd = open(allowed_file, O_RDONLY);
	if (fd < 0 || (fcntl(fd, F_GETFL) & O_NONBLOCK))
		return __LINE__;
	close(fd);
	snprintf(p, sizeof p, "%s/missing", allowed_dir);
	EXPECT_FAIL(open(p, O_RDONLY), ENOENT);
	return 0;
}

TEST(broker_hands_over_the_checked_inode)
{
	struct notify_stats st;
	char p[PATH_MAX + 64];
	D.broker = 1;
	CHECK_EQ_INT(run_child(NULL, sc_broker, &st, NULL, 0), 0);
	D.broker = 0;
	CHECK(st.brokered >= 6); /* reads, a create, a directory, a FIFO (O_PATH: continued) */
	CHECK_EQ_INT(st.errors, 0);
	snprintf(p, sizeof p, "%s/bnew", allowed_dir);
	unlink(p);
	if (test_cur_failed)
		dump_log();
}


static int sc_unix_and_fd_exec(int report)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	if (chdir(allowed_dir) < 0)
		return __LINE__;
	snprintf(un.sun_path, sizeof un.sun_path, "sock");
	int s = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || c < 0 || bind(s, (struct sockaddr *)&un, sizeof un) < 0 || listen(s, 1) < 0)
		return __LINE__;
	if (connect(c, (struct sockaddr *)&un, sizeof un) < 0)
		return __LINE__;
	/* execveat of an fd: its file is what runs (here: not executable) */
	int fd = open(allowed_file, O_RDONLY);
	char *argv[] = { "x", NULL }, *envp[] = { NULL };
	EXPECT_FAIL((int)syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH), EACCES);
	return 0;
}

TEST(unix_path_sockets_and_exec_of_an_fd)
{
	struct notify_stats st;
	char p[PATH_MAX + 64];
	CHECK_EQ_INT(run_child(NULL, sc_unix_and_fd_exec, &st, NULL, 0), 0);
	snprintf(p, sizeof p, "%s/sock", allowed_dir);
	int unix_calls = 0;
	for (int i = 0; i < D.nlog; i++)
		unix_calls += D.log[i].op == NOTIFY_CONNECT_UNIX && !strcmp(D.log[i].path, p);
	CHECK_EQ_INT(unix_calls, 2); /* bind and connect */
	CHECK(saw(NOTIFY_EXEC, allowed_file));
	unlink(p);
	if (test_cur_failed)
		dump_log();
}

static void *thread_calls(void *arg)
{
	int *rc = arg;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (open("key", O_RDONLY) >= 0 || errno != EACCES)
		*rc = __LINE__;
	else if (u < 0 || sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a) != 1)
		*rc = __LINE__;
	return NULL;
}

static int sc_thread(int report)
{
	int rc = 0;
	pthread_t t;
	if (chdir(secret_dir) < 0 || pthread_create(&t, NULL, thread_calls, &rc))
		return __LINE__;
	pthread_join(t, NULL);
	return rc;
}

TEST(calls_from_a_thread)
{
	struct notify_stats st;
	CHECK_EQ_INT(run_child(NULL, sc_thread, &st, NULL, 0), 0);
	CHECK(saw(NOTIFY_OPEN_READ, secret));
	CHECK(saw_port(NOTIFY_SEND_UDP, 9));
	if (test_cur_failed)
		dump_log();
}

/* The broker opens as the agent: its uid, not hived's root. */
static int sc_as_nobody_pre(int report)
{
	return setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0;
}

static int sc_as_nobody(int report)
{
	char p[PATH_MAX + 64];
	struct stat got;
	snprintf(p, sizeof p, "%s/rootonly", allowed_dir);
	EXPECT_FAIL(open(p, O_RDONLY), EACCES);
	snprintf(p, sizeof p, "%s/nobody", allowed_dir);
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || fstat(fd, &got) < 0 || got.st_uid != 65534 || got.st_gid != 65534)
		return __LINE__;
	EXPECT_OK(open(allowed_file, O_RDONLY));
	return 0;
}

TEST(broker_opens_with_the_agents_identity)
{
	struct notify_stats st;
	char p[PATH_MAX + 64];
	if (geteuid() != 0) {
		printf("# skipped: not root\n");
		return;
	}
	D.broker = 1;
	CHECK_EQ_INT(run_child(sc_as_nobody_pre, sc_as_nobody, &st, NULL, 0), 0);
	D.broker = 0;
	CHECK(st.brokered >= 2);
	snprintf(p, sizeof p, "%s/nobody", allowed_dir);
	unlink(p);
	CHECK_EQ_INT(getuid(), 0); /* hived's own identity is back */
	CHECK_EQ_INT((int)syscall(SYS_setfsuid, -1), 0);
}


static int sc_unserved(int report)
{
	EXPECT_FAIL(open(allowed_file, O_RDONLY), ENOSYS);
	return 0;
}

TEST(a_stopped_supervisor_fails_pending_calls)
{
	int sp[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		int lfd = install_filter();
		if (lfd < 0 || send_fd(sp[1], lfd) < 0)
			_exit(100);
		close(lfd);
		int r = sc_unserved(sp[1]);
		if (r)
			printf("#   child failed at test_notify.c:%d\n", r);
		fflush(stdout);
		_exit(r ? 1 : 0);
	}
	close(sp[1]);
	struct loop *loop = loop_new();
	struct notify *n = NULL;
	struct err err = { 0 };
	int lfd = recv_fd(sp[0]);
	CHECK_EQ_INT(notify_start(loop, lfd, -1, test_decide, &D, &n, &err), 0);
	usleep(100 * 1000); /* the child blocks in its open: the loop never runs */
	notify_stop(n);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sp[0]);
	loop_free(loop);
}

/* Check and use of one buffer another thread keeps rewriting. */
static char swap_buf[PATH_MAX + 32];
static volatile int swap_stop;
static void *swapper(void *arg)
{
	for (unsigned i = 0; !swap_stop; i++) {
		const char *src = (i & 1) ? secret : allowed_file;
		memcpy(swap_buf, src, strlen(src) + 1);
	}
	return NULL;
}

#define SWAP_ITERATIONS 2000
static int sc_swap(int report)
{
	struct stat sec, got;
	if (stat(secret, &sec) < 0)
		return __LINE__;
	memcpy(swap_buf, allowed_file, strlen(allowed_file) + 1);
	pthread_t t;
	if (pthread_create(&t, NULL, swapper, NULL))
		return __LINE__;
	int opened = 0, denied = 0, leaked = 0;
	for (int i = 0; i < SWAP_ITERATIONS; i++) {
		int fd = open(swap_buf, O_RDONLY);
		if (fd < 0) {
			denied += errno == EACCES;
			continue;
		}
		opened++;
		if (fstat(fd, &got) == 0 && got.st_ino == sec.st_ino && got.st_dev == sec.st_dev)
			leaked++;
		close(fd);
	}
	swap_stop = 1;
	pthread_join(t, NULL);
	dprintf(report, "opened=%d denied=%d leaked=%d\n", opened, denied, leaked);
	return leaked ? 1 : 0;
}

TEST(a_swapped_path_never_opens_the_secret_when_brokered)
{
	struct notify_stats st;
	char report[256];
	D.broker = 1;
	CHECK_EQ_INT(run_child(NULL, sc_swap, &st, report, sizeof report), 0);
	D.broker = 0;
	printf("# swap x%d: %s", SWAP_ITERATIONS, report);
	CHECK(strstr(report, "leaked=0") != NULL);
}

/* --- the cost of one mediated openat ---------------------------------------- */

#define BENCH_N 20000
#define BENCH_WARM 1000
static uint64_t bench_ns[BENCH_N];
static uint64_t bare_p50, bare_p99;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void bench_opens(uint64_t *p50, uint64_t *p99)
{
	for (int i = 0; i < BENCH_WARM + BENCH_N; i++) {
		uint64_t t0 = now_ns();
		int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
		uint64_t t1 = now_ns();
		if (fd >= 0)
			close(fd);
		if (i >= BENCH_WARM)
			bench_ns[i - BENCH_WARM] = t1 - t0;
	}
	qsort(bench_ns, BENCH_N, sizeof bench_ns[0], cmp_u64);
	*p50 = bench_ns[BENCH_N / 2];
	*p99 = bench_ns[BENCH_N * 99 / 100];
}

static int sc_bench_pre(int report)
{
	bench_opens(&bare_p50, &bare_p99);
	return 0;
}

static int sc_bench(int report)
{
	uint64_t p50, p99;
	bench_opens(&p50, &p99);
	dprintf(report, "%llu %llu %llu %llu\n", (unsigned long long)bare_p50, (unsigned long long)bare_p99,
	        (unsigned long long)p50, (unsigned long long)p99);
	return 0;
}

static void bench(const char *what)
{
	struct notify_stats st;
	char report[256];
	unsigned long long b50 = 0, b99 = 0, s50 = 0, s99 = 0;
	CHECK_EQ_INT(run_child(sc_bench_pre, sc_bench, &st, report, sizeof report), 0);
	CHECK_EQ_INT(sscanf(report, "%llu %llu %llu %llu", &b50, &b99, &s50, &s99), 4);
	if (b50 && b99)
		printf("# openat /dev/null x%d, %s: bare p50=%lluns p99=%lluns; supervised (ALLOW) p50=%lluns "
		       "p99=%lluns; open_p50_vs_bare=%.2f open_p99_vs_bare=%.2f\n",
		       BENCH_N, what, b50, b99, s50, s99, (double)s50 / (double)b50, (double)s99 / (double)b99);
	CHECK(st.allowed >= BENCH_N);
}

TEST(bench_openat_allowed_vs_bare)
{
	bench("loop sleeps");
	spin_us = 50;
	bench("loop busy-polls 50us");
	spin_us = 0;
	raw_floor = 1;
	bench("floor: poll+RECV+CONTINUE, no supervisor");
	raw_floor = 0;
}

/* --- set-up ------------------------------------------------------------------ */

static void mkfile(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	char tmpl[] = "/tmp/hive-notify-XXXXXX", p[PATH_MAX + 64];
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir) || chmod(dir, 0755) < 0)
		return 1;
	snprintf(secret_dir, sizeof secret_dir, "%s/secret", dir);
	snprintf(secret, sizeof secret, "%s/key", secret_dir);
	snprintf(allowed_dir, sizeof allowed_dir, "%s/allowed", dir);
	snprintf(allowed_file, sizeof allowed_file, "%s/file", allowed_dir);
	mkdir(secret_dir, 0755);
	snprintf(p, sizeof p, "%s/sub", secret_dir);
	mkdir(p, 0755);
	mkdir(allowed_dir, 0777);
	chmod(allowed_dir, 0777);
	mkfile(secret, "secret\n");
	mkfile(allowed_file, "hello\n");
	snprintf(p, sizeof p, "%s/rootonly", allowed_dir);
	mkfile(p, "root\n");
	chmod(p, 0600);
	chmod(allowed_file, 0644);
	snprintf(p, sizeof p, "%s/fifo", allowed_dir);
	mkfifo(p, 0666);
	snprintf(p, sizeof p, "%s/link", allowed_dir);
	if (symlink("../secret/key", p) < 0)
		return 1;
	snprintf(p, sizeof p, "%s/dlink", allowed_dir);
	if (symlink("../secret/sub", p) < 0)
		return 1;
	snprintf(p, sizeof p, "%s/key", allowed_dir); /* the lexical reading of dlink/../key */
	mkfile(p, "decoy\n");
	snprintf(p, sizeof p, "%s/plink", allowed_dir);
	if (symlink("/proc/self/cwd/key", p) < 0)
		return 1;

	RUN(denied_openat_gets_eacces_and_decide_sees_the_path);
	RUN(relative_paths_resolve_against_the_targets_cwd);
	RUN(a_dirfd_opened_before_cannot_dodge);
	RUN(symlinks_and_dotdot_resolve_to_the_target);
	RUN(proc_self_root_cwd_and_fd_magic_links);
	RUN(creat_of_a_new_file_and_missing_paths);
	RUN(exec_of_a_memfd_reports_memfd);
	RUN(connect_tcp_udp_and_abstract_unix);
	RUN(broker_hands_over_the_checked_inode);
	RUN(unix_path_sockets_and_exec_of_an_fd);
	RUN(calls_from_a_thread);
	RUN(broker_opens_with_the_agents_identity);
	RUN(a_stopped_supervisor_fails_pending_calls);
	RUN(a_swapped_path_never_opens_the_secret_when_brokered);
	RUN(bench_openat_allowed_vs_bare);

	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return test_done();
}
