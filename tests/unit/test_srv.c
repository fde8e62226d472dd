/*
 * Unit tests for the 9P server: a real hive tree and srv on a loop, one
 * end of a socketpair as the session, the other driven here with frames
 * from the codec. Covers version, attach policy, walk, open/read/readdir
 * in both dialects, the refusals, bad frames and back-pressure.
 */
#include "../../src/hived/hive.h"
#include "../../src/hived/loop.h"
#include "../../src/hived/srv.h"
#include "../test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

static struct hive H;
static struct srv *S;
static int cfd = -1;
static enum ninep_dialect D;
static uint8_t rbuf[HIVE_MSIZE_MAX + 64];
static int guard_fired;

static void on_client_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	loop_stop(loop);
}

static void on_guard(struct loop *loop, void *arg)
{
	guard_fired = 1;
	loop_stop(loop);
}

/* Run the loop until the client end is readable (or 2 s passed). */
static int pump(void)
{
	guard_fired = 0;
	int id = loop_add_timer(H.loop, 2000, on_guard, NULL);
	loop_run(H.loop);
	loop_del_timer(H.loop, id);
	return guard_fired ? -1 : 0;
}

static void setup(long long peer_uid)
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
	CHECK_EQ_INT(srv_accept(S, sv[0], "unix", "test", peer_uid), 0);
	cfd = sv[1];
	CHECK_EQ_INT(loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL), 0);
	D = NINEP_DIALECT_NONE;
}

static void teardown(void)
{
	loop_del_fd(H.loop, cfd);
	close(cfd);
	srv_free(S);
	hive_tree_free(&H);
	loop_free(H.loop);
}

static int send_msg(const struct ninep_msg *m)
{
	uint8_t buf[HIVE_MSIZE_MAX];
	int n = ninep_encode(m, D ? D : NINEP_9P2000L, buf, sizeof buf);
	if (n < 0)
		return n;
	return write(cfd, buf, (size_t)n) == n ? 0 : -EIO;
}

static int read_full(uint8_t *b, size_t n)
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
static int recv_msg(struct ninep_msg *r)
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

static int rpc(struct ninep_msg *m, struct ninep_msg *r)
{
	int rc = send_msg(m);
	if (rc < 0)
		return rc;
	return recv_msg(r);
}

/* The errno of an Rlerror, the length of an Rerror's text, or 0. */
static int rerr(const struct ninep_msg *r)
{
	if (r->type == NINEP_RLERROR)
		return (int)r->u.rlerror.ecode;
	if (r->type == NINEP_RERROR)
		return -(int)r->u.rerror.ename.len;
	return 0;
}

static int version(const char *v, uint32_t msize, struct ninep_msg *r)
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

static int attach(uint32_t fid, const char *uname, const char *aname, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = NINEP_TATTACH, .tag = 1 };
	m.u.tattach.fid = fid;
	m.u.tattach.afid = NINEP_NOFID;
	m.u.tattach.uname = ninep_str_c(uname);
	m.u.tattach.aname = ninep_str_c(aname);
	m.u.tattach.n_uname = NINEP_NONUNAME;
	return rpc(&m, r);
}

static int walk(uint32_t fid, uint32_t newfid, const char *a, const char *b, struct ninep_msg *r)
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

static int simple(uint8_t type, uint32_t fid, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = type, .tag = 3 };
	m.u.tclunk.fid = fid;
	return rpc(&m, r);
}

static int lopen(uint32_t fid, uint32_t flags, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = NINEP_TLOPEN, .tag = 4 };
	m.u.tlopen.fid = fid;
	m.u.tlopen.flags = flags;
	return rpc(&m, r);
}

static int tread(uint8_t type, uint32_t fid, uint64_t off, uint32_t count, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = type, .tag = 5 };
	m.u.tread.fid = fid;
	m.u.tread.offset = off;
	m.u.tread.count = count;
	return rpc(&m, r);
}

static void queen_L(void)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
}

TEST(version_negotiation)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000.L", 1u << 20, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RVERSION);
	CHECK_EQ_INT(r.u.rversion.msize, HIVE_MSIZE_MAX);
	CHECK(ninep_str_eq(r.u.rversion.version, "9P2000.L"));
	CHECK_EQ_INT(version("9P2000.u", 4096, &r), 0);
	CHECK(ninep_str_eq(r.u.rversion.version, "9P2000"));
	CHECK_EQ_INT(r.u.rversion.msize, 4096);
	CHECK_EQ_INT(version("9P1999", 4096, &r), 0);
	CHECK(ninep_str_eq(r.u.rversion.version, "unknown"));
	D = NINEP_9P2000;
	CHECK_EQ_INT(version("9P2000", 100, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	/* Before a version is agreed, everything else is refused on its tag. */
	D = NINEP_9P2000;
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	CHECK_EQ_INT(r.tag, 1);
	teardown();
}

TEST(attach_policy)
{
	struct ninep_msg r;
	/* A Unix peer that does not own the hive needs a ticket. */
	setup((long long)geteuid() + 1);
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK_EQ_INT(attach(1, "queen", "cohesix-ticket-00.00", &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK(H.pressure.policy >= 2);
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 1, &r), 0);
	CHECK_EQ_INT(rerr(&r), EBADF); /* nothing was attached */
	teardown();

	/* The owner is queen; an unknown aname is refused; fids are unique. */
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "/elsewhere", &r), 0);
	CHECK_EQ_INT(rerr(&r), ENOENT);
	CHECK_EQ_INT(attach(1, "", "/", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK(r.u.rattach.qid.type & NINEP_QTDIR);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(rerr(&r), EEXIST);
	/* Tauth: the owner needs none (ENOENT tells diod's clients so). */
	struct ninep_msg m = { .type = NINEP_TAUTH, .tag = 9 };
	m.u.tauth.afid = 7;
	m.u.tauth.uname = ninep_str_c("");
	m.u.tauth.aname = ninep_str_c("");
	CHECK_EQ_INT(rpc(&m, &r), 0);
	CHECK_EQ_INT(rerr(&r), ENOENT);
	/* Tversion resets the session: the attach fid is gone. */
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 1, &r), 0);
	CHECK_EQ_INT(rerr(&r), EBADF);
	teardown();
}

TEST(auth_fid_carries_a_ticket)
{
	struct ninep_msg r;
	setup(-1); /* like TCP */
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	struct ninep_msg m = { .type = NINEP_TAUTH, .tag = 9 };
	m.u.tauth.afid = 7;
	m.u.tauth.uname = ninep_str_c("");
	m.u.tauth.aname = ninep_str_c("");
	CHECK_EQ_INT(rpc(&m, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RAUTH);
	CHECK(r.u.rauth.aqid.type & NINEP_QTAUTH);
	/* Reads of the afid return nothing; writes collect the ticket. */
	CHECK_EQ_INT(tread(NINEP_TREAD, 7, 0, 100, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RREAD);
	CHECK_EQ_INT(r.u.rread.count, 0);
	struct ninep_msg w = { .type = NINEP_TWRITE, .tag = 10 };
	w.u.twrite.fid = 7;
	w.u.twrite.data = (const uint8_t *)"cohesix-ticket-0100.00\n";
	w.u.twrite.count = 23;
	CHECK_EQ_INT(rpc(&w, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RWRITE);
	CHECK_EQ_INT(r.u.rwrite.count, 23);
	struct ninep_msg a = { .type = NINEP_TATTACH, .tag = 11 };
	a.u.tattach.fid = 1;
	a.u.tattach.afid = 7;
	a.u.tattach.uname = ninep_str_c("");
	a.u.tattach.aname = ninep_str_c("");
	CHECK_EQ_INT(rpc(&a, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES); /* a forged ticket */
	a.u.tattach.afid = 8;
	CHECK_EQ_INT(rpc(&a, &r), 0);
	CHECK_EQ_INT(rerr(&r), EINVAL); /* not an auth fid */
	teardown();
}

/* Mint a ticket for role code `code` with the test hive's keys. */
static void mint(int code, const char *subject, uint64_t issued_ms, uint64_t ttl_s, char *out, size_t cap)
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

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

TEST(tickets_at_attach)
{
	struct ninep_msg r;
	char tk[512];
	setup(-1); /* like TCP: only tickets get in */
	for (int code = 0; code < TICKET_ROLE_CODES; code++)
		ticket_keys_set(&H.keys, (enum ticket_role_code)code, "test-secret");
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	mint(TICKET_ROLE_OBSERVER, NULL, wall_ms(), 600, tk, sizeof tk);
	CHECK_EQ_INT(attach(1, "", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK_EQ_INT(S->conns->hs->who.role, HIVE_ROLE_OBSERVER);
	/* uname naming another role than the ticket: refused. */
	CHECK_EQ_INT(attach(2, "queen", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	/* Expired: issued long ago with a short ttl; counts as quota. */
	uint64_t quota = H.pressure.quota;
	mint(TICKET_ROLE_OBSERVER, NULL, 1000, 1, tk, sizeof tk);
	CHECK_EQ_INT(attach(2, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK_EQ_INT(H.pressure.quota, quota + 1);
	/* A worker: uname role:id must match the subject. */
	mint(TICKET_ROLE_WORKER_HEARTBEAT, "w-1", wall_ms(), 600, tk, sizeof tk);
	CHECK_EQ_INT(attach(2, "worker-heartbeat:w-2", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK_EQ_INT(attach(2, "worker-heartbeat:w-1", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	/* Worker attaches pass the lifecycle gate: refused when QUIESCED. */
	struct ns_err err;
	enum lifecycle_state from;
	CHECK_EQ_INT(lifecycle_command(&H.lifecycle, "quiesce", loop_now_ms(), &from, &err), 0);
	CHECK_EQ_INT(attach(3, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EAGAIN);
	/* ... but a queen ticket still gets in. */
	mint(TICKET_ROLE_QUEEN, NULL, wall_ms(), 0, tk, sizeof tk);
	CHECK_EQ_INT(attach(3, "queen", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	/* A ticket of a role with no key: refused. */
	memset(&H.keys, 0, sizeof H.keys);
	CHECK_EQ_INT(attach(4, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	teardown();
}

TEST(handshake_timeout)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	srv_set_handshake_timeout(S, 200);
	/* Silent past the handshake time: closed by the sweep (EOF here). */
	CHECK_EQ_INT(recv_msg(&r), -1);
	CHECK_EQ_INT(srv_count(S), 0);
	teardown();
	setup((long long)geteuid());
	srv_set_handshake_timeout(S, 0); /* never */
	CHECK_EQ_INT(pump(), -1);        /* 2 s pass with no close */
	CHECK_EQ_INT(srv_count(S), 1);
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RVERSION);
	teardown();
}

TEST(walk_rules)
{
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, NULL, NULL, &r), 0); /* clone */
	CHECK_EQ_INT(r.type, NINEP_RWALK);
	CHECK_EQ_INT(r.u.rwalk.nwqid, 0);
	CHECK_EQ_INT(walk(1, 2, "proc", NULL, &r), 0);
	CHECK_EQ_INT(rerr(&r), EEXIST); /* newfid in use */
	CHECK_EQ_INT(walk(1, 3, "proc", "version", &r), 0);
	CHECK_EQ_INT(r.u.rwalk.nwqid, 2);
	CHECK(r.u.rwalk.wqid[0].type & NINEP_QTDIR);
	CHECK(!(r.u.rwalk.wqid[1].type & NINEP_QTDIR));
	CHECK_EQ_INT(walk(1, 4, "proc", "nope", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RWALK); /* partial: the qids so far */
	CHECK_EQ_INT(r.u.rwalk.nwqid, 1);
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 4, &r), 0);
	CHECK_EQ_INT(rerr(&r), EBADF); /* a partial walk makes no newfid */
	CHECK_EQ_INT(walk(1, 4, "nope", NULL, &r), 0);
	CHECK_EQ_INT(rerr(&r), ENOENT);
	CHECK_EQ_INT(walk(1, 1, "proc", NULL, &r), 0); /* fid == newfid moves it */
	CHECK_EQ_INT(r.u.rwalk.nwqid, 1);
	CHECK_EQ_INT(walk(1, 5, "version", NULL, &r), 0);
	CHECK_EQ_INT(r.u.rwalk.nwqid, 1);
	/* ".." above the root stays at the root; depth is bounded. */
	CHECK_EQ_INT(walk(1, 6, "..", "..", &r), 0);
	CHECK_EQ_INT(r.u.rwalk.nwqid, 2);
	teardown();
}

TEST(open_read_L)
{
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 0, 100, &r), 0);
	CHECK_EQ_INT(rerr(&r), EBADF); /* not open */
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RLOPEN);
	CHECK_EQ_INT(r.u.rlopen.iounit, 8192 - HIVE_IOHDR);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	CHECK_EQ_INT(rerr(&r), EBADF); /* already open */
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 0, 100000, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RREAD);
	CHECK(r.u.rread.count > 5 && memcmp(r.u.rread.data, "hive ", 5) == 0);
	uint32_t len = r.u.rread.count;
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, len, 100, &r), 0);
	CHECK_EQ_INT(r.u.rread.count, 0);
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 2, 3, &r), 0);
	CHECK_EQ_INT(r.u.rread.count, 3);
	CHECK(memcmp(r.u.rread.data, "ve ", 3) == 0);
	/* Writing a read-only file is refused; reading a dir is EISDIR in .L. */
	CHECK_EQ_INT(walk(1, 3, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(3, 1, &r), 0);
	CHECK(rerr(&r) == EACCES || rerr(&r) == EPERM);
	CHECK_EQ_INT(walk(1, 4, "proc", NULL, &r), 0);
	CHECK_EQ_INT(lopen(4, 0200000, &r), 0); /* O_DIRECTORY */
	CHECK_EQ_INT(r.type, NINEP_RLOPEN);
	CHECK_EQ_INT(tread(NINEP_TREAD, 4, 0, 100, &r), 0);
	CHECK_EQ_INT(rerr(&r), EISDIR);
	CHECK_EQ_INT(lopen(2, 0200000, &r), 0);
	CHECK(rerr(&r) != 0);
	teardown();
}

TEST(readdir_cookies)
{
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, NULL, NULL, &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	CHECK_EQ_INT(tread(NINEP_TREADDIR, 2, 0, 8192, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RREADDIR);
	size_t pos = 0;
	struct ninep_dirent de;
	char names[256] = "";
	uint64_t last = 0;
	while (ninep_next_dirent(r.u.rreaddir.data, r.u.rreaddir.count, &pos, &de) == 1) {
		strncat(names, de.name.s, de.name.len);
		strcat(names, " ");
		CHECK_EQ_INT(de.offset, last + 1);
		last = de.offset;
	}
	CHECK_EQ_STR(names, "agent log proc queen ");
	/* Continue after the second entry: the cookie is the next index. */
	CHECK_EQ_INT(tread(NINEP_TREADDIR, 2, 2, 8192, &r), 0);
	pos = 0;
	CHECK_EQ_INT(ninep_next_dirent(r.u.rreaddir.data, r.u.rreaddir.count, &pos, &de), 1);
	CHECK(ninep_str_eq(de.name, "proc"));
	CHECK_EQ_INT(tread(NINEP_TREADDIR, 2, 4, 8192, &r), 0);
	CHECK_EQ_INT(r.u.rreaddir.count, 0);
	/* A tiny count returns what fits, never a torn entry. */
	CHECK_EQ_INT(tread(NINEP_TREADDIR, 2, 0, 30, &r), 0);
	pos = 0;
	CHECK_EQ_INT(ninep_next_dirent(r.u.rreaddir.data, r.u.rreaddir.count, &pos, &de), 1);
	CHECK_EQ_INT(ninep_next_dirent(r.u.rreaddir.data, r.u.rreaddir.count, &pos, &de), 0);
	teardown();
}

TEST(dirread_9P2000)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000", 8192, &r), 0);
	CHECK_EQ_INT(D, NINEP_9P2000);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(walk(1, 2, "proc", NULL, &r), 0);
	struct ninep_msg o = { .type = NINEP_TOPEN, .tag = 6 };
	o.u.topen.fid = 2;
	o.u.topen.mode = NINEP_OREAD;
	CHECK_EQ_INT(rpc(&o, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_ROPEN);
	/* Small counts force several reads with byte offsets. */
	uint64_t off = 0;
	int entries = 0, reads = 0, sawversion = 0;
	for (;;) {
		CHECK_EQ_INT(tread(NINEP_TREAD, 2, off, 100, &r), 0);
		CHECK_EQ_INT(r.type, NINEP_RREAD);
		if (r.type != NINEP_RREAD || r.u.rread.count == 0 || ++reads > 50)
			break;
		size_t pos = 0;
		struct ninep_stat st;
		while (ninep_next_stat(r.u.rread.data, r.u.rread.count, &pos, &st) == 1) {
			entries++;
			if (ninep_str_eq(st.name, "version")) {
				sawversion = 1;
				CHECK_EQ_INT(st.mode, 0444);
				CHECK(ninep_str_eq(st.uid, "hive"));
			}
			if (ninep_str_eq(st.name, "lifecycle"))
				CHECK(st.mode & NINEP_DMDIR);
		}
		off += r.u.rread.count;
	}
	CHECK(reads >= 2);
	CHECK(entries >= 6);
	CHECK(sawversion);
	/* A wrong offset is refused; 0 starts over. */
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 3, 100, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 0, 100, &r), 0);
	CHECK(r.u.rread.count > 0);
	/* Stat and a sync wstat work; a real wstat is refused. */
	CHECK_EQ_INT(simple(NINEP_TSTAT, 2, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RSTAT);
	CHECK(ninep_str_eq(r.u.rstat.stat.name, "proc"));
	CHECK(r.u.rstat.stat.mode & NINEP_DMDIR);
	struct ninep_msg ws = { .type = NINEP_TWSTAT, .tag = 7 };
	ws.u.twstat.fid = 2;
	struct ninep_stat *st = &ws.u.twstat.stat;
	st->type = 0xFFFF;
	st->dev = 0xFFFFFFFFu;
	st->qid.type = 0xFF;
	st->qid.version = 0xFFFFFFFFu;
	st->qid.path = ~0ull;
	st->mode = st->atime = st->mtime = 0xFFFFFFFFu;
	st->length = ~0ull;
	CHECK_EQ_INT(rpc(&ws, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RWSTAT);
	st->name = ninep_str_c("renamed");
	CHECK_EQ_INT(rpc(&ws, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	/* Tremove fails but clunks the fid. */
	CHECK_EQ_INT(simple(NINEP_TREMOVE, 2, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 2, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	teardown();
}

TEST(attrs_and_refusals_L)
{
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	struct ninep_msg g = { .type = NINEP_TGETATTR, .tag = 8 };
	g.u.tgetattr.fid = 2;
	g.u.tgetattr.request_mask = NINEP_GETATTR_ALL;
	CHECK_EQ_INT(rpc(&g, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RGETATTR);
	CHECK_EQ_INT(r.u.rgetattr.valid, NINEP_GETATTR_BASIC);
	CHECK_EQ_INT(r.u.rgetattr.nlink, 1);
	CHECK_EQ_INT(r.u.rgetattr.uid, geteuid());
	CHECK_EQ_INT(r.u.rgetattr.blksize, 4096);
	CHECK_EQ_INT(r.u.rgetattr.mode & 0170000, 0100000);
	g.u.tgetattr.fid = 1;
	CHECK_EQ_INT(rpc(&g, &r), 0);
	CHECK_EQ_INT(r.u.rgetattr.nlink, 2);
	CHECK_EQ_INT(r.u.rgetattr.mode & 0170000, 0040000);
	CHECK_EQ_INT(simple(NINEP_TSTATFS, 1, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RSTATFS);
	CHECK_EQ_INT(r.u.rstatfs.type, 0x01021997);
	struct ninep_msg s = { .type = NINEP_TSETATTR, .tag = 9 };
	s.u.tsetattr.fid = 2;
	s.u.tsetattr.valid = 0x8; /* size */
	s.u.tsetattr.size = 0;
	CHECK_EQ_INT(rpc(&s, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RSETATTR);
	s.u.tsetattr.valid = 0x1; /* mode */
	CHECK_EQ_INT(rpc(&s, &r), 0);
	CHECK_EQ_INT(rerr(&r), EPERM);
	struct ninep_msg x = { .type = NINEP_TXATTRWALK, .tag = 10 };
	x.u.txattrwalk.fid = 2;
	x.u.txattrwalk.newfid = 9;
	x.u.txattrwalk.name = ninep_str_c("security.selinux");
	CHECK_EQ_INT(rpc(&x, &r), 0);
	CHECK_EQ_INT(rerr(&r), ENODATA);
	struct ninep_msg mk = { .type = NINEP_TMKDIR, .tag = 11 };
	mk.u.tmkdir.dfid = 1;
	mk.u.tmkdir.name = ninep_str_c("new");
	CHECK_EQ_INT(rpc(&mk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	struct ninep_msg un = { .type = NINEP_TUNLINKAT, .tag = 12 };
	un.u.tunlinkat.dirfid = 1;
	un.u.tunlinkat.name = ninep_str_c("proc");
	CHECK_EQ_INT(rpc(&un, &r), 0);
	CHECK_EQ_INT(rerr(&r), EPERM);
	struct ninep_msg lk = { .type = NINEP_TLOCK, .tag = 13 };
	lk.u.tlock.fid = 2;
	lk.u.tlock.client_id = ninep_str_c("me");
	CHECK_EQ_INT(rpc(&lk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RLOCK);
	CHECK_EQ_INT(r.u.rlock.status, 0);
	lk.type = NINEP_TGETLOCK;
	CHECK_EQ_INT(rpc(&lk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RGETLOCK);
	CHECK_EQ_INT(r.u.rgetlock.type, 2);
	CHECK_EQ_INT(simple(NINEP_TFSYNC, 2, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RFSYNC);
	struct ninep_msg fl = { .type = NINEP_TFLUSH, .tag = 14 };
	fl.u.tflush.oldtag = 5;
	CHECK_EQ_INT(rpc(&fl, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RFLUSH);
	CHECK_EQ_INT(r.tag, 14);
	teardown();
}

TEST(bad_frames)
{
	struct ninep_msg r;
	queen_L();
	/* A readable header with a bad body: an error on its tag. */
	uint8_t bad[] = { 11, 0, 0, 0, NINEP_TCLUNK, 0x34, 0x12, 1, 0, 0, 0 };
	bad[0] = 10; /* one byte short of a Tclunk */
	CHECK_EQ_INT(write(cfd, bad, 10), 10);
	CHECK_EQ_INT(recv_msg(&r), 0);
	CHECK_EQ_INT(r.type, NINEP_RLERROR);
	CHECK_EQ_INT(r.tag, 0x1234);
	/* An unknown type: an error on its tag, the session lives on. */
	uint8_t unk[] = { 7, 0, 0, 0, 2, 0x21, 0x00 };
	CHECK_EQ_INT(write(cfd, unk, 7), 7);
	CHECK_EQ_INT(recv_msg(&r), 0);
	CHECK_EQ_INT(r.tag, 0x21);
	CHECK(rerr(&r) > 0);
	CHECK_EQ_INT(walk(1, 2, "proc", NULL, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RWALK);
	/* A size over msize cannot be resynced: the session closes. */
	uint8_t huge[] = { 0, 0, 1, 0, NINEP_TCLUNK, 0, 0 };
	CHECK_EQ_INT(write(cfd, huge, 7), 7);
	CHECK_EQ_INT(recv_msg(&r), -1);
	CHECK_EQ_INT(srv_count(S), 0);
	teardown();
}

TEST(backpressure_stops_reading)
{
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	/* Shrink our receive buffer so replies pile up in hived's queue. */
	int small = 4096;
	setsockopt(cfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	struct ninep_msg m = { .type = NINEP_TREAD, .tag = 5 };
	m.u.tread.fid = 2;
	m.u.tread.count = 8000;
	uint8_t frame[64];
	int n = ninep_encode(&m, NINEP_9P2000L, frame, sizeof frame);
	CHECK(n > 0);
	/* Send reads without reading a single reply, letting hived run in
	 * between, until it stops taking them. */
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	loop_del_fd(H.loop, cfd);
	size_t sent = 0, part = 0;
	for (int round = 0; round < 400 && S->conns && S->conns->reading; round++) {
		/* A stream socket may take part of a frame: finish it first. */
		while (part < (size_t)n) {
			ssize_t w = write(cfd, frame + part, (size_t)n - part);
			if (w <= 0)
				break;
			part += (size_t)w;
			if (part == (size_t)n) {
				sent += (size_t)n;
				part = 0;
			}
		}
		int id = loop_add_timer(H.loop, 5, on_guard, NULL);
		loop_run(H.loop);
		loop_del_timer(H.loop, id);
	}
	/* Once stopped, more time does not make it read again. */
	for (int round = 0; round < 5; round++) {
		int id = loop_add_timer(H.loop, 5, on_guard, NULL);
		loop_run(H.loop);
		loop_del_timer(H.loop, id);
	}
	loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL);
	struct srv_conn *c = S->conns;
	CHECK(c != NULL);
	if (c) {
		if (c->reading)
			printf("# sent=%zu txlen=%zu rxlen=%zu\n", sent, c->txlen, c->rxlen);
		CHECK(!c->reading);
		CHECK(c->txlen <= HIVE_OUTQ_BYTES_MAX + HIVE_MSIZE_MAX);
	}
	CHECK(sent > HIVE_OUTQ_BYTES_MAX / 64);
	/* Reading the replies lets it resume; every request gets its reply. */
	loop_del_fd(H.loop, cfd);
	size_t got = 0, frames = 0, idle = 0;
	static uint8_t in[65536];
	size_t have = 0;
	while (idle < 20) {
		if (part) {
			ssize_t w = write(cfd, frame + part, (size_t)n - part);
			if (w > 0 && (part += (size_t)w) == (size_t)n) {
				sent += (size_t)n;
				part = 0;
			}
		}
		ssize_t k = read(cfd, in + have, sizeof in - have);
		if (k > 0) {
			have += (size_t)k;
			got += (size_t)k;
			idle = 0;
		} else {
			idle++;
		}
		size_t off = 0;
		while (have - off >= 4 && ninep_frame_size(in + off, have - off) <= have - off) {
			off += ninep_frame_size(in + off, have - off);
			frames++;
		}
		memmove(in, in + off, have - off);
		have -= off;
		int id = loop_add_timer(H.loop, 2, on_guard, NULL);
		loop_run(H.loop);
		loop_del_timer(H.loop, id);
	}
	loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL);
	CHECK_EQ_INT(part, 0);
	CHECK_EQ_INT(frames, sent / (size_t)n);
	CHECK(S->conns && S->conns->reading);
	CHECK(S->conns && S->conns->txlen == 0);
	teardown();
}

int main(void)
{
	RUN(version_negotiation);
	RUN(attach_policy);
	RUN(auth_fid_carries_a_ticket);
	RUN(tickets_at_attach);
	RUN(handshake_timeout);
	RUN(walk_rules);
	RUN(open_read_L);
	RUN(readdir_cookies);
	RUN(dirread_9P2000);
	RUN(attrs_and_refusals_L);
	RUN(bad_frames);
	RUN(backpressure_stops_reading);
	return test_done();
}
