/*
 * Unit tests for libhive against a scripted fake server on a socketpair:
 * the happy path (version, attach, walk in chunks, read, readdir) and the
 * replies a broken or hostile server can send — truncated frames, wrong
 * tags and types, Rlerror codes, counts larger than asked, silence.
 *
 * The server runs in a forked child so a client bug cannot corrupt it;
 * the child's exit status says whether it saw the requests it expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/hiveclient.h"
#include "ninep/ninep.h"
#include "test.h"

static uint8_t srv_buf[HIVE_MSIZE_MAX];
static uint8_t srv_out[HIVE_MSIZE_MAX];

/* --- the fake server (runs in the child) -------------------------------- */

static int srv_readn(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read one T-message; returns 0, or -1 at EOF / garbage. */
static int srv_recv(int fd, struct ninep_msg *m)
{
	if (srv_readn(fd, srv_buf, 4) < 0)
		return -1;
	uint32_t size = ninep_frame_size(srv_buf, 4);
	if (size < 7 || size > sizeof srv_buf || srv_readn(fd, srv_buf + 4, size - 4) < 0)
		return -1;
	return ninep_decode(srv_buf, size, 0, NINEP_9P2000L, m) < 0 ? -1 : 0;
}

static void srv_send(int fd, const struct ninep_msg *m)
{
	int n = ninep_encode(m, NINEP_9P2000L, srv_out, sizeof srv_out);
	if (n > 0 && write(fd, srv_out, (size_t)n) != n)
		_exit(90);
}

static void srv_lerror(int fd, uint16_t tag, uint32_t ecode)
{
	struct ninep_msg r = { .type = NINEP_RLERROR, .tag = tag };
	r.u.rlerror.ecode = ecode;
	srv_send(fd, &r);
}

/* Answer Tversion (with this version and msize) and Tattach. */
static void srv_handshake(int fd, const char *version, uint32_t msize)
{
	struct ninep_msg t, r;
	if (srv_recv(fd, &t) < 0 || t.type != NINEP_TVERSION)
		_exit(80);
	memset(&r, 0, sizeof r);
	r.type = NINEP_RVERSION;
	r.tag = t.tag;
	r.u.rversion.msize = msize ? msize : t.u.tversion.msize;
	r.u.rversion.version = ninep_str_c(version);
	srv_send(fd, &r);
	if (strcmp(version, "9P2000.L") != 0)
		_exit(0);
	if (srv_recv(fd, &t) < 0 || t.type != NINEP_TATTACH)
		_exit(81);
	memset(&r, 0, sizeof r);
	r.type = NINEP_RATTACH;
	r.tag = t.tag;
	r.u.rattach.qid.type = NINEP_QTDIR;
	srv_send(fd, &r);
}

typedef void (*srv_fn)(int fd);

struct fake {
	int fd;
	pid_t pid;
};

static struct hivec *fake_start(struct fake *f, srv_fn fn, uint32_t timeout_ms, int *err)
{
	int sv[2];
	char msg[256];
	struct hivec_opts o = { .timeout_ms = timeout_ms };
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	f->pid = fork();
	if (f->pid == 0) {
		close(sv[0]);
		fn(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	return hivec_connect_fd_ex(sv[0], &o, err, NULL, msg, sizeof msg);
}

/* Close the client and return the server's exit status. */
static int fake_stop(struct fake *f, struct hivec *c)
{
	int st = 0;
	hivec_close(c);
	if (waitpid(f->pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* --- scenarios ---------------------------------------------------------- */

static void srv_happy(int fd)
{
	struct ninep_msg t, r;
	int walks = 0;
	srv_handshake(fd, "9P2000.L", 8192);
	while (srv_recv(fd, &t) == 0) {
		memset(&r, 0, sizeof r);
		r.tag = t.tag;
		switch (t.type) {
		case NINEP_TWALK:
			walks++;
			/* The 20-name path must come as 16 from the root, then 4 in place. */
			if (t.u.twalk.nwname == 16 && t.u.twalk.fid != 0)
				_exit(70);
			if (t.u.twalk.nwname == 4 && t.u.twalk.fid != t.u.twalk.newfid)
				_exit(71);
			if (t.u.twalk.nwname > 0 && ninep_str_eq(t.u.twalk.wname[0], "nope")) {
				srv_lerror(fd, t.tag, ENOENT);
				continue;
			}
			if (t.u.twalk.nwname > 0 && ninep_str_eq(t.u.twalk.wname[0], "queen")) {
				srv_lerror(fd, t.tag, EACCES);
				continue;
			}
			r.type = NINEP_RWALK;
			r.u.rwalk.nwqid = t.u.twalk.nwname;
			/* "short" walks stop after one name: the rest is not there. */
			if (t.u.twalk.nwname > 1 && ninep_str_eq(t.u.twalk.wname[0], "short"))
				r.u.rwalk.nwqid = 1;
			srv_send(fd, &r);
			break;
		case NINEP_TLOPEN:
			r.type = NINEP_RLOPEN;
			r.u.rlopen.iounit = 0;
			srv_send(fd, &r);
			break;
		case NINEP_TREAD: {
			static const char text[] = "version=0.1.0\n";
			uint64_t off = t.u.tread.offset;
			size_t n = off < sizeof text - 1 ? sizeof text - 1 - off : 0;
			if (n > 5)
				n = 5; /* short reads: the client must loop */
			r.type = NINEP_RREAD;
			r.u.rread.count = (uint32_t)n;
			r.u.rread.data = (const uint8_t *)text + off;
			srv_send(fd, &r);
			break;
		}
		case NINEP_TREADDIR: {
			static const char *names[] = { ".", "..", "proc", "log", "queen" };
			uint8_t data[512];
			size_t len = 0;
			for (uint64_t i = t.u.treaddir.offset; i < 5 && i < t.u.treaddir.offset + 2; i++) {
				struct ninep_dirent d = { .offset = i + 1, .type = 4 };
				d.qid.type = NINEP_QTDIR;
				d.name = ninep_str_c(names[i]);
				len += (size_t)ninep_put_dirent(data + len, sizeof data - len, &d);
			}
			r.type = NINEP_RREADDIR;
			r.u.rreaddir.count = (uint32_t)len;
			r.u.rreaddir.data = data;
			srv_send(fd, &r);
			break;
		}
		case NINEP_TGETATTR:
			r.type = NINEP_RGETATTR;
			r.u.rgetattr.valid = NINEP_GETATTR_BASIC;
			r.u.rgetattr.mode = 0100444;
			r.u.rgetattr.size = 14;
			r.u.rgetattr.mtime_sec = 1700000000;
			srv_send(fd, &r);
			break;
		case NINEP_TCLUNK:
			r.type = NINEP_RCLUNK;
			srv_send(fd, &r);
			break;
		case NINEP_TWRITE:
			r.type = NINEP_RWRITE;
			r.u.rwrite.count = t.u.twrite.count;
			srv_send(fd, &r);
			break;
		default:
			_exit(72);
		}
	}
	_exit(walks > 0 ? 0 : 73);
}

TEST(happy_path_read_list_stat)
{
	struct fake f;
	int err = 0;
	char buf[64];
	struct hivec *c = fake_start(&f, srv_happy, 2000, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(hivec_msize(c), 8192);
	CHECK_EQ_STR(hivec_version(c), "9P2000.L");
	ssize_t n = hivec_read_file(c, "/proc/version", buf, sizeof buf - 1);
	CHECK_EQ_INT(n, 14);
	if (n >= 0) {
		buf[n] = 0;
		CHECK_EQ_STR(buf, "version=0.1.0\n");
	}
	int count = hivec_list(c, "/", NULL, NULL);
	CHECK_EQ_INT(count, 3); /* "." and ".." skipped */
	struct hivec_stat st;
	CHECK_EQ_INT(hivec_stat(c, "/proc/version", &st), 0);
	CHECK_EQ_INT(st.size, 14);
	CHECK_EQ_INT(st.mtime, 1700000000);
	CHECK_EQ_INT(hivec_write_file(c, "/queen/x", "hi\n", 3), -EACCES);
	CHECK_EQ_INT(hivec_write_file(c, "/agent/ctl", "hi\n", 3), 3);
	CHECK_EQ_INT(hivec_ping(c), 0);
	CHECK(hivec_alive(c));
	CHECK_EQ_INT(fake_stop(&f, c), 0);
}

static struct hivec *nested_c;
static int nested_ok;

/* A listing callback that makes its own requests (as ls -l does). */
static int nested_stat(void *arg, const struct hivec_dirent *de)
{
	struct hivec_stat st;
	char path[300];
	snprintf(path, sizeof path, "/%s", de->name);
	if (hivec_stat(nested_c, path, &st) == 0 && st.size == 14)
		nested_ok++;
	return 0;
}

TEST(list_callback_may_make_requests)
{
	struct fake f;
	int err = 0;
	struct hivec *c = fake_start(&f, srv_happy, 2000, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	nested_c = c;
	nested_ok = 0;
	CHECK_EQ_INT(hivec_list(c, "/", nested_stat, NULL), 3);
	CHECK_EQ_INT(nested_ok, 2); /* the fake denies /queen */
	CHECK(hivec_alive(c));
	CHECK_EQ_INT(fake_stop(&f, c), 0);
}

TEST(walk_in_chunks_and_short_walk)
{
	struct fake f;
	int err = 0;
	char path[256] = "";
	uint32_t fid;
	struct hivec *c = fake_start(&f, srv_happy, 2000, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	for (int i = 0; i < 20; i++)
		strcat(path, "/d");
	CHECK_EQ_INT(hivec_walk(c, path, &fid), 0);
	CHECK_EQ_INT(hivec_clunk(c, fid), 0);
	CHECK_EQ_INT(hivec_walk(c, "/short/a/b", &fid), -ENOENT);
	CHECK(strstr(hivec_error(c), "/short/a/b") != NULL);
	CHECK_EQ_INT(hivec_walk(c, "/", &fid), 0); /* nwname 0 clones the root */
	CHECK_EQ_INT(hivec_clunk(c, fid), 0);
	CHECK(hivec_alive(c));
	CHECK_EQ_INT(fake_stop(&f, c), 0);
}

TEST(rlerror_maps_to_errno_with_message)
{
	struct fake f;
	int err = 0;
	uint32_t fid;
	struct hivec *c = fake_start(&f, srv_happy, 2000, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(hivec_walk(c, "/queen/ctl", &fid), -EACCES);
	CHECK_EQ_STR(hivec_error(c), "walk /queen/ctl: Permission denied");
	CHECK_EQ_INT(hivec_walk(c, "/nope", &fid), -ENOENT);
	CHECK_EQ_STR(hivec_error(c), "walk /nope: No such file or directory");
	CHECK(hivec_alive(c)); /* an error reply is not a broken link */
	CHECK_EQ_INT(fake_stop(&f, c), 0);
}

TEST(bad_paths_rejected_locally)
{
	struct fake f;
	int err = 0;
	uint32_t fid;
	char longname[300];
	struct hivec *c = fake_start(&f, srv_happy, 2000, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(hivec_walk(c, "", &fid), -EINVAL);
	CHECK_EQ_INT(hivec_walk(c, "proc", &fid), -EINVAL);
	CHECK_EQ_INT(hivec_walk(c, "/a//b", &fid), -EINVAL);
	CHECK_EQ_INT(hivec_walk(c, "/a/./b", &fid), -EINVAL);
	CHECK_EQ_INT(hivec_walk(c, "/a/../b", &fid), -EINVAL);
	CHECK_EQ_INT(hivec_walk(c, "/proc/", &fid), -EINVAL);
	memset(longname, 'x', sizeof longname);
	longname[0] = '/';
	longname[sizeof longname - 1] = 0;
	CHECK_EQ_INT(hivec_walk(c, longname, &fid), -ENAMETOOLONG);
	CHECK(strstr(hivec_error(c), "File name too long") != NULL);
	CHECK(hivec_alive(c));
	/* nothing went on the wire: the next real walk is the server's first */
	CHECK_EQ_INT(hivec_walk(c, "/proc", &fid), 0);
	CHECK_EQ_INT(hivec_clunk(c, fid), 0);
	CHECK_EQ_INT(fake_stop(&f, c), 0);
}

static void srv_wrong_version(int fd)
{
	srv_handshake(fd, "9P2000", 0);
}

static void srv_big_msize(int fd)
{
	srv_handshake(fd, "9P2000.L", HIVE_MSIZE_MAX + 1);
	_exit(0);
}

TEST(version_and_msize_checked)
{
	struct fake f;
	int err = 0;
	struct hivec *c = fake_start(&f, srv_wrong_version, 2000, &err);
	CHECK(c == NULL);
	CHECK_EQ_INT(err, -EPROTONOSUPPORT);
	CHECK_EQ_INT(fake_stop(&f, c), 0);
	c = fake_start(&f, srv_big_msize, 2000, &err);
	CHECK(c == NULL);
	CHECK_EQ_INT(err, -EPROTO);
	fake_stop(&f, c);
}

static void srv_attach_refused(int fd)
{
	struct ninep_msg t, r = { .type = NINEP_RVERSION };
	if (srv_recv(fd, &t) < 0)
		_exit(1);
	r.tag = t.tag;
	r.u.rversion.msize = 8192;
	r.u.rversion.version = ninep_str_c("9P2000.L");
	srv_send(fd, &r);
	if (srv_recv(fd, &t) < 0 || t.type != NINEP_TATTACH || !ninep_str_eq(t.u.tattach.aname, "") ||
	    !ninep_str_eq(t.u.tattach.uname, "hive"))
		_exit(2);
	srv_lerror(fd, t.tag, EKEYEXPIRED);
}

TEST(attach_refusal_reports_stage)
{
	int sv[2], err = 0, stage = -1;
	char msg[128];
	struct hivec_opts o = { .timeout_ms = 2000 };
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		srv_attach_refused(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	struct hivec *c = hivec_connect_fd_ex(sv[0], &o, &err, &stage, msg, sizeof msg);
	CHECK(c == NULL);
	CHECK_EQ_INT(err, -EKEYEXPIRED);
	CHECK_EQ_INT(stage, HIVEC_STAGE_ATTACH);
	CHECK(strstr(msg, "attach refused") != NULL);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* After the handshake, answer the next request with raw bytes. */
static void srv_raw_reply(int fd, const uint8_t *bytes, size_t len, int then_close)
{
	struct ninep_msg t;
	srv_handshake(fd, "9P2000.L", 8192);
	if (srv_recv(fd, &t) < 0)
		_exit(60);
	if (len && write(fd, bytes, len) != (ssize_t)len)
		_exit(61);
	if (!then_close) {
		/* stay silent until the client goes away */
		while (srv_recv(fd, &t) == 0)
			;
	}
}

static void srv_truncated(int fd)
{
	/* says 100 bytes, sends 11, hangs up */
	static const uint8_t b[] = { 100, 0, 0, 0, NINEP_RWALK, 1, 0, 0, 0, 0, 0 };
	srv_raw_reply(fd, b, sizeof b, 1);
}

static void srv_wrong_tag(int fd)
{
	static const uint8_t b[] = { 9, 0, 0, 0, NINEP_RWALK, 0x34, 0x12, 0, 0 };
	srv_raw_reply(fd, b, sizeof b, 0);
}

static void srv_wrong_type(int fd)
{
	/* an Rclunk (tag 1: the first tag after attach's 0) answering a Twalk */
	static const uint8_t b[] = { 7, 0, 0, 0, NINEP_RCLUNK, 1, 0 };
	srv_raw_reply(fd, b, sizeof b, 0);
}

static void srv_zero_ecode(int fd)
{
	static const uint8_t b[] = { 11, 0, 0, 0, NINEP_RLERROR, 1, 0, 0, 0, 0, 0 };
	srv_raw_reply(fd, b, sizeof b, 0);
}

static void srv_oversize(int fd)
{
	/* a frame larger than the negotiated msize of 8192 */
	static const uint8_t b[] = { 0, 0, 1, 0, NINEP_RWALK, 1, 0 };
	srv_raw_reply(fd, b, sizeof b, 0);
}

static void srv_silent(int fd)
{
	srv_raw_reply(fd, NULL, 0, 0);
}

static void srv_hangup(int fd)
{
	srv_raw_reply(fd, NULL, 0, 1);
}

static void bad_reply_case(srv_fn fn, int want)
{
	struct fake f;
	int err = 0;
	uint32_t fid;
	struct hivec *c = fake_start(&f, fn, 300, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(hivec_walk(c, "/proc", &fid), want);
	CHECK(!hivec_alive(c));
	/* a dead connection fails at once, without touching the socket */
	struct hivec_stat st;
	CHECK(hivec_stat(c, "/proc", &st) < 0);
	CHECK(fake_stop(&f, c) == 0);
}

TEST(truncated_reply_is_connection_loss)
{
	bad_reply_case(srv_truncated, -ECONNRESET);
}

TEST(wrong_tag_is_eproto)
{
	bad_reply_case(srv_wrong_tag, -EPROTO);
}

TEST(wrong_type_is_eproto)
{
	bad_reply_case(srv_wrong_type, -EPROTO);
}

TEST(rlerror_zero_is_eproto)
{
	bad_reply_case(srv_zero_ecode, -EPROTO);
}

TEST(frame_over_msize_is_eproto)
{
	bad_reply_case(srv_oversize, -EPROTO);
}

TEST(peer_hangup_is_econnreset)
{
	bad_reply_case(srv_hangup, -ECONNRESET);
}

TEST(silence_times_out)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	bad_reply_case(srv_silent, -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 250 && ms < 3000);
}

static void srv_overlong_read(int fd)
{
	struct ninep_msg t, r;
	static uint8_t data[64], d[128];
	srv_handshake(fd, "9P2000.L", 8192);
	while (srv_recv(fd, &t) == 0) {
		memset(&r, 0, sizeof r);
		r.tag = t.tag;
		if (t.type == NINEP_TWALK) {
			r.type = NINEP_RWALK;
			r.u.rwalk.nwqid = t.u.twalk.nwname;
		} else if (t.type == NINEP_TLOPEN) {
			r.type = NINEP_RLOPEN;
		} else if (t.type == NINEP_TREAD) {
			r.type = NINEP_RREAD;
			r.u.rread.count = t.u.tread.count + 8; /* more than asked */
			if (r.u.rread.count > sizeof data)
				r.u.rread.count = sizeof data;
			r.u.rread.data = data;
		} else if (t.type == NINEP_TREADDIR) {
			struct ninep_dirent de = { .offset = 1 };
			de.name = ninep_str_c("a/b"); /* a slash in a name */
			r.type = NINEP_RREADDIR;
			r.u.rreaddir.count = (uint32_t)ninep_put_dirent(d, sizeof d, &de);
			r.u.rreaddir.data = d;
		} else {
			r.type = NINEP_RCLUNK;
		}
		srv_send(fd, &r);
	}
}

TEST(read_more_than_asked_is_eproto)
{
	struct fake f;
	int err = 0;
	uint32_t fid;
	char buf[16];
	struct hivec *c = fake_start(&f, srv_overlong_read, 2000, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(hivec_walk(c, "/x", &fid), 0);
	CHECK_EQ_INT(hivec_open(c, fid, O_RDONLY, NULL), 0);
	CHECK_EQ_INT(hivec_pread(c, fid, 0, buf, 8), -EPROTO);
	CHECK(!hivec_alive(c));
	fake_stop(&f, c);
}

TEST(dirent_with_slash_is_eproto)
{
	struct fake f;
	int err = 0;
	struct hivec *c = fake_start(&f, srv_overlong_read, 2000, &err);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_INT(hivec_list(c, "/", NULL, NULL), -EPROTO);
	CHECK(!hivec_alive(c));
	fake_stop(&f, c);
}

TEST(connect_to_missing_socket)
{
	int err = 0, stage = -1;
	char msg[256];
	struct hivec_opts o = { .unix_path = "/nonexistent/hive.sock", .timeout_ms = 500 };
	struct hivec *c = hivec_connect_ex(&o, &err, &stage, msg, sizeof msg);
	CHECK(c == NULL);
	CHECK_EQ_INT(err, -ENOENT);
	CHECK_EQ_INT(stage, HIVEC_STAGE_CONNECT);
	CHECK_EQ_STR(msg, "cannot connect to /nonexistent/hive.sock: No such file or directory");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(happy_path_read_list_stat);
	RUN(list_callback_may_make_requests);
	RUN(walk_in_chunks_and_short_walk);
	RUN(rlerror_maps_to_errno_with_message);
	RUN(bad_paths_rejected_locally);
	RUN(version_and_msize_checked);
	RUN(attach_refusal_reports_stage);
	RUN(truncated_reply_is_connection_loss);
	RUN(wrong_tag_is_eproto);
	RUN(wrong_type_is_eproto);
	RUN(rlerror_zero_is_eproto);
	RUN(frame_over_msize_is_eproto);
	RUN(peer_hangup_is_econnreset);
	RUN(silence_times_out);
	RUN(read_more_than_asked_is_eproto);
	RUN(dirent_with_slash_is_eproto);
	RUN(connect_to_missing_socket);
	return test_done();
}
