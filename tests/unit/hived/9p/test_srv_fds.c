/*
 * Unit tests for descriptors passed over the 9P Unix socket (SCM_RIGHTS,
 * `hive run`'s stdin/stdout/stderr): exactly three from an attached Unix
 * session are kept in the session, anything else is closed and refused,
 * and a flood never leaves hived holding more than three (harness:
 * srv_harness.h).
 */
#include "srv_harness.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include "client/hiveclient.h"

/* Open descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Send one Tversion-sized ping frame (Tclunk of an unknown fid) with nfds
 * descriptors of /dev/null riding on it; our copies are closed after. */
static int send_with_fds(int nfds)
{
	uint8_t buf[64];
	struct ninep_msg m = { .type = NINEP_TCLUNK, .tag = 9 };
	m.u.tclunk.fid = 77;
	int len = ninep_encode(&m, NINEP_9P2000L, buf, sizeof buf);
	int fds[253];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof fds)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = (size_t)len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (len < 0 || nfds > 253)
		return -1;
	for (int i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nfds) {
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	ssize_t n = sendmsg(cfd, &mh, 0);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return n == len ? 0 : -1;
}

static struct hive_session *the_session(void)
{
	return H.sessions;
}

/* The reply to the clunk: its error says the frame was handled. */
static int clunk_reply(void)
{
	struct ninep_msg r;
	return recv_msg(&r) == 0 ? rerr(&r) : -1;
}

TEST(three_fds_kept)
{
	queen_L();
	struct hive_session *s = the_session();
	CHECK(s != NULL);
	CHECK_EQ_INT(send_with_fds(3), 0);
	CHECK_EQ_INT(clunk_reply(), EBADF);
	for (int i = 0; i < 3; i++) {
		CHECK(s->stdio_fds[i] >= 0);
		CHECK(fcntl(s->stdio_fds[i], F_GETFD) & FD_CLOEXEC);
	}
	/* A second set replaces the first: still three held. */
	int base = count_fds();
	CHECK_EQ_INT(send_with_fds(3), 0);
	CHECK_EQ_INT(clunk_reply(), EBADF);
	CHECK_EQ_INT(count_fds(), base);
	CHECK_EQ_INT(H.denials[HIVE_DENY_VERB], 0);
	teardown();
}

TEST(wrong_count_refused)
{
	queen_L();
	struct hive_session *s = the_session();
	int base = count_fds();
	CHECK_EQ_INT(send_with_fds(1), 0);
	CHECK_EQ_INT(clunk_reply(), EBADF); /* the frame is still served */
	CHECK_EQ_INT(send_with_fds(2), 0);
	CHECK_EQ_INT(clunk_reply(), EBADF);
	CHECK_EQ_INT(send_with_fds(4), 0); /* three fit, the fourth is cut by the kernel */
	CHECK_EQ_INT(clunk_reply(), EBADF);
	CHECK_EQ_INT(count_fds(), base);
	CHECK_EQ_INT(s->stdio_fds[0], -1);
	CHECK_EQ_INT(H.denials[HIVE_DENY_VERB], 3);
	teardown();
}

TEST(flood_bounded)
{
	queen_L();
	int base = count_fds();
	/* 253 (SCM_MAX_FD) per message, 40 times: 10120 descriptors offered. */
	for (int k = 0; k < 40; k++) {
		CHECK_EQ_INT(send_with_fds(253), 0);
		CHECK_EQ_INT(clunk_reply(), EBADF);
		CHECK(count_fds() <= base);
	}
	CHECK_EQ_INT(count_fds(), base);
	CHECK_EQ_INT(H.denials[HIVE_DENY_VERB], 40);
	teardown();
}

TEST(before_attach_refused)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	int base = count_fds();
	CHECK_EQ_INT(send_with_fds(3), 0);
	CHECK(clunk_reply() != 0);
	CHECK_EQ_INT(count_fds(), base);
	CHECK_EQ_INT(H.denials[HIVE_DENY_VERB], 1);
	teardown();
}

/* A session on another transport never keeps descriptors (a TCP socket
 * cannot carry them; the check does not rely on that). */
TEST(tcp_session_refused)
{
	struct ninep_msg r;
	memset(&H, 0, sizeof H);
	H.loop = loop_new();
	H.owner_uid = geteuid();
	H.cfg.idle_timeout_ms = HIVE_IDLE_TIMEOUT_MS;
	lifecycle_init(&H.lifecycle, loop_now_ms());
	lifecycle_online(&H.lifecycle, loop_now_ms());
	CHECK_EQ_INT(hive_tree_build(&H), 0);
	S = srv_new(&H);
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct peer peer = { .uid = -1, .is_unix = 0, .name = "127.0.0.1:1" };
	CHECK_EQ_INT(srv_accept(S, sv[0], "tcp", &peer), 0);
	cfd = sv[1];
	CHECK_EQ_INT(loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL), 0);
	D = NINEP_DIALECT_NONE;
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	int base = count_fds();
	CHECK_EQ_INT(send_with_fds(3), 0);
	CHECK(clunk_reply() != 0);
	CHECK_EQ_INT(count_fds(), base);
	CHECK_EQ_INT(H.denials[HIVE_DENY_VERB], 1);
	teardown();
}

static void on_slice(struct loop *loop, void *arg)
{
	loop_stop(loop);
}

/* libhive's side: a client in a child passes three ends of our pipe with
 * a ping; the session keeps them and they are the pipe. */
TEST(libhive_passes_three)
{
	int p[2], sync[2];
	setup((long long)geteuid());
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	CHECK_EQ_INT(pipe2(sync, O_CLOEXEC | O_NONBLOCK), 0);
	loop_del_fd(H.loop, cfd);
	pid_t pid = fork();
	if (pid == 0) {
		struct hivec_opts o = { .timeout_ms = 5000 };
		int err, fds[3] = { p[1], p[1], p[1] };
		struct hivec *c = hivec_connect_fd_ex(cfd, &o, &err, NULL, NULL, 0);
		if (!c || hivec_pass_fds(c, fds, 3) < 0 || hivec_ping(c) < 0)
			_exit(1);
		/* A second request carries none: the set stays as it was. */
		if (hivec_ping(c) < 0)
			_exit(2);
		(void)!write(sync[1], "x", 1);
		pause(); /* the session must outlive the check */
		_exit(0);
	}
	close(cfd);
	cfd = -1;
	char x;
	for (int i = 0; i < 250 && read(sync[0], &x, 1) != 1; i++) {
		int id = loop_add_timer(H.loop, 20, on_slice, NULL);
		loop_run(H.loop);
		loop_del_timer(H.loop, id);
	}
	struct hive_session *s = the_session();
	if (s && s->stdio_fds[1] >= 0) {
		char b[3] = { 0 };
		CHECK_EQ_INT(write(s->stdio_fds[1], "ok", 2), 2);
		CHECK_EQ_INT(read(p[0], b, 2), 2);
		CHECK_EQ_STR(b, "ok");
	} else {
		CHECK(!"no descriptors kept");
	}
	CHECK_EQ_INT(H.denials[HIVE_DENY_VERB], 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	close(sync[0]);
	close(sync[1]);
	srv_free(S);
	hive_tree_free(&H);
	loop_free(H.loop);
}

int main(void)
{
	RUN(three_fds_kept);
	RUN(wrong_count_refused);
	RUN(flood_bounded);
	RUN(before_attach_refused);
	RUN(tcp_session_refused);
	RUN(libhive_passes_three);
	return test_done();
}
