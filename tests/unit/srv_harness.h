/*
 * srv_harness.h — shared by the srv unit tests: a real hive tree and srv
 * on a loop, one end of a socketpair as the session, the other driven
 * with frames from the codec. Helpers are static inline so each test
 * file uses only what it needs.
 */
#ifndef HIVE_TEST_SRV_HARNESS_H
#define HIVE_TEST_SRV_HARNESS_H

#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/9p/srv.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct hive H;
static struct srv *S;
static int cfd = -1;
static enum ninep_dialect D;
static uint8_t rbuf[HIVE_MSIZE_MAX + 64];
static int guard_fired;

static inline void on_client_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	loop_stop(loop);
}

static inline void on_guard(struct loop *loop, void *arg)
{
	guard_fired = 1;
	loop_stop(loop);
}

/* Run the loop until the client end is readable (or 2 s passed). */
static inline int pump(void)
{
	guard_fired = 0;
	int id = loop_add_timer(H.loop, 2000, on_guard, NULL);
	loop_run(H.loop);
	loop_del_timer(H.loop, id);
	return guard_fired ? -1 : 0;
}

static inline void setup(long long peer_uid)
{
	memset(&H, 0, sizeof H);
	H.loop = loop_new();
	H.owner_uid = geteuid();
	H.cfg.idle_timeout_ms = HIVE_IDLE_TIMEOUT_MS;
	lifecycle_init(&H.lifecycle, loop_now_ms());
	lifecycle_online(&H.lifecycle, loop_now_ms());
	CHECK_EQ_INT(hive_tree_build(&H), 0);
	S = srv_new(&H);
	CHECK(S != NULL);
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* A peer named only by a uid, with no key: the throttle leaves it be
	 * (its own tests give a key). */
	struct peer peer = { .uid = peer_uid, .is_unix = 1, .name = "test" };
	CHECK_EQ_INT(srv_accept(S, sv[0], "unix", &peer), 0);
	cfd = sv[1];
	CHECK_EQ_INT(loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL), 0);
	D = NINEP_DIALECT_NONE;
}

static inline void teardown(void)
{
	loop_del_fd(H.loop, cfd);
	close(cfd);
	srv_free(S);
	hive_tree_free(&H);
	loop_free(H.loop);
}

static inline int send_msg(const struct ninep_msg *m)
{
	uint8_t buf[HIVE_MSIZE_MAX];
	int n = ninep_encode(m, D ? D : NINEP_9P2000L, buf, sizeof buf);
	if (n < 0)
		return n;
	return write(cfd, buf, (size_t)n) == n ? 0 : -EIO;
}

static inline int read_full(uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(cfd, b + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Read one reply frame (pumping the loop first). Returns 0, -1 on EOF. */
static inline int recv_msg(struct ninep_msg *r)
{
	if (pump() < 0)
		return -2;
	if (read_full(rbuf, 4) < 0)
		return -1;
	uint32_t size = ninep_frame_size(rbuf, 4);
	if (size < 7 || size > sizeof rbuf || read_full(rbuf + 4, size - 4) < 0)
		return -1;
	return ninep_decode(rbuf, size, 0, D ? D : NINEP_9P2000L, r);
}

static inline int rpc(struct ninep_msg *m, struct ninep_msg *r)
{
	int rc = send_msg(m);
	if (rc < 0)
		return rc;
	return recv_msg(r);
}

/* The errno of an Rlerror, the length of an Rerror's text, or 0. */
static inline int rerr(const struct ninep_msg *r)
{
	if (r->type == NINEP_RLERROR)
		return (int)r->u.rlerror.ecode;
	if (r->type == NINEP_RERROR)
		return -(int)r->u.rerror.ename.len;
	return 0;
}

static inline int version(const char *v, uint32_t msize, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = NINEP_TVERSION, .tag = NINEP_NOTAG };
	m.u.tversion.msize = msize;
	m.u.tversion.version = ninep_str_c(v);
	int rc = rpc(&m, r);
	if (rc == 0 && r->type == NINEP_RVERSION) {
		if (ninep_str_eq(r->u.rversion.version, "9P2000.L"))
			D = NINEP_9P2000L;
		else if (ninep_str_eq(r->u.rversion.version, "9P2000"))
			D = NINEP_9P2000;
	}
	return rc;
}

static inline int attach(uint32_t fid, const char *uname, const char *aname, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = NINEP_TATTACH, .tag = 1 };
	m.u.tattach.fid = fid;
	m.u.tattach.afid = NINEP_NOFID;
	m.u.tattach.uname = ninep_str_c(uname);
	m.u.tattach.aname = ninep_str_c(aname);
	m.u.tattach.n_uname = NINEP_NONUNAME;
	return rpc(&m, r);
}

static inline int walk(uint32_t fid, uint32_t newfid, const char *a, const char *b, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = NINEP_TWALK, .tag = 2 };
	m.u.twalk.fid = fid;
	m.u.twalk.newfid = newfid;
	if (a)
		m.u.twalk.wname[m.u.twalk.nwname++] = ninep_str_c(a);
	if (b)
		m.u.twalk.wname[m.u.twalk.nwname++] = ninep_str_c(b);
	return rpc(&m, r);
}

static inline int simple(uint8_t type, uint32_t fid, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = type, .tag = 3 };
	m.u.tclunk.fid = fid;
	return rpc(&m, r);
}

static inline int lopen(uint32_t fid, uint32_t flags, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = NINEP_TLOPEN, .tag = 4 };
	m.u.tlopen.fid = fid;
	m.u.tlopen.flags = flags;
	return rpc(&m, r);
}

static inline int tread(uint8_t type, uint32_t fid, uint64_t off, uint32_t count, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = type, .tag = 5 };
	m.u.tread.fid = fid;
	m.u.tread.offset = off;
	m.u.tread.count = count;
	return rpc(&m, r);
}

static inline void queen_L(void)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
}

/* Mint a ticket for role code `code` with the test hive's keys. */
static inline void mint(int code, const char *subject, uint64_t issued_ms, uint64_t ttl_s, char *out, size_t cap)
{
	struct ticket t;
	memset(&t, 0, sizeof t);
	t.version = 1;
	t.role_code = (uint8_t)code;
	t.issued_at_ms = issued_ms;
	if (subject) {
		t.flags |= TICKET_F_SUBJECT;
		snprintf(t.subject, sizeof t.subject, "%s", subject);
	}
	if (ttl_s) {
		t.flags |= TICKET_F_TTL;
		t.ttl_s = ttl_s;
	}
	CHECK(ticket_mint(&t, H.keys.key[code], out, cap) > 0);
}

static inline uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
