/*
 * Unit tests for the 9P server's requests after attach: walk, open, read
 * and readdir in both dialects, attributes, the refusals, bad frames and
 * back-pressure (harness: srv_harness.h).
 */
#include "srv_harness.h"

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
	CHECK_EQ_STR(names, "agent audit log proc queen ");
	/* Continue after the second entry: the cookie is the next index. */
	CHECK_EQ_INT(tread(NINEP_TREADDIR, 2, 2, 8192, &r), 0);
	pos = 0;
	CHECK_EQ_INT(ninep_next_dirent(r.u.rreaddir.data, r.u.rreaddir.count, &pos, &de), 1);
	CHECK(ninep_str_eq(de.name, "log"));
	CHECK_EQ_INT(tread(NINEP_TREADDIR, 2, 5, 8192, &r), 0);
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
			printf("# sent=%zu txlen=%zu rxlen=%zu\n", sent, c->txq.len, c->rxlen);
		CHECK(!c->reading);
		CHECK(c->txq.len <= HIVE_OUTQ_BYTES_MAX + HIVE_MSIZE_MAX);
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
	CHECK(S->conns && S->conns->txq.len == 0);
	teardown();
}


int main(void)
{
	RUN(walk_rules);
	RUN(open_read_L);
	RUN(readdir_cookies);
	RUN(dirread_9P2000);
	RUN(attrs_and_refusals_L);
	RUN(bad_frames);
	RUN(backpressure_stops_reading);
	return test_done();
}
