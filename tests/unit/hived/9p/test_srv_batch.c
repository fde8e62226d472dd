/*
 * Unit tests for srv.c's receive batching and reply coalescing: a burst of
 * pipelined requests read at once is answered completely and in order,
 * also past one reply batch (SRV_TXBATCH_BYTES) and with errors mixed in;
 * frames split anywhere across writes (the leftover path) still work; an
 * idle session gives its receive buffer back; and one session's burst is
 * served HIVE_FRAMES_PER_TURN frames at a time, taking turns with others.
 */
#include "srv_harness.h"

/* Treads of fid at tags first.., the one at bad_tag on an unknown fid. */
static size_t put_reads(uint8_t *buf, size_t cap, int count, uint32_t fid, int bad_tag)
{
	size_t len = 0;
	for (int i = 0; i < count; i++) {
		struct ninep_msg m = { .type = NINEP_TREAD, .tag = (uint16_t)i };
		m.u.tread.fid = i == bad_tag ? 999 : fid;
		m.u.tread.count = 100;
		int n = ninep_encode(&m, NINEP_9P2000L, buf + len, cap - len);
		CHECK(n > 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return len;
}

/* Run the loop for ms milliseconds (no reply expected meanwhile). */
static void run_for(uint32_t ms)
{
	loop_del_fd(H.loop, cfd);
	int id = loop_add_timer(H.loop, ms, on_guard, NULL);
	loop_run(H.loop);
	loop_del_timer(H.loop, id);
	loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL);
}

/* Collect `want` reply frames into in[]; returns the frames read. */
static int read_replies(uint8_t *in, size_t cap, int want, size_t *len)
{
	int frames = 0;
	size_t have = 0, off = 0;
	while (frames < want) {
		if (pump() < 0)
			break;
		ssize_t n = read(cfd, in + have, cap - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		for (;;) {
			uint32_t size = ninep_frame_size(in + off, have - off);
			if (have - off < 4 || size < 7 || have - off < size)
				break;
			off += size;
			frames++;
		}
	}
	*len = off;
	return frames;
}

TEST(pipelined_burst_in_order)
{
	static uint8_t out[8192], in[1 << 16];
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 0, 100, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RREAD);
	uint32_t flen = r.u.rread.count;
	/* ~330 requests fit the 8192-byte msize of one read; their replies
	 * (~100 bytes each) are more than one batch. */
	int count = 330;
	size_t len = put_reads(out, sizeof out, count, 2, 150);
	CHECK(len <= 8192);
	CHECK((size_t)count * (7 + 4 + flen) > SRV_TXBATCH_BYTES);
	CHECK_EQ_INT(write(cfd, out, len), (ssize_t)len);
	size_t got = 0;
	CHECK_EQ_INT(read_replies(in, sizeof in, count, &got), count);
	size_t off = 0;
	for (int i = 0; i < count && off < got; i++) {
		uint32_t size = ninep_frame_size(in + off, got - off);
		CHECK_EQ_INT(ninep_decode(in + off, size, 0, NINEP_9P2000L, &r), 0);
		CHECK_EQ_INT(r.tag, i);
		if (i == 150) {
			CHECK_EQ_INT(rerr(&r), EBADF);
		} else {
			CHECK_EQ_INT(r.type, NINEP_RREAD);
			CHECK_EQ_INT(r.u.rread.count, flen);
		}
		off += size;
	}
	CHECK_EQ_INT(off, got);
	teardown();
}

TEST(frames_split_across_writes)
{
	static uint8_t out[512], in[4096];
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	size_t len = put_reads(out, sizeof out, 3, 2, -1);
	size_t one = len / 3;
	/* Two bytes of the size field, then the rest of frame 0 and half of
	 * frame 1, then the rest: every cut lands in the leftover path. */
	size_t cuts[] = { 2, one + one / 2, len };
	size_t at = 0;
	for (int k = 0; k < 3; k++) {
		CHECK_EQ_INT(write(cfd, out + at, cuts[k] - at), (ssize_t)(cuts[k] - at));
		at = cuts[k];
		if (k == 0) {
			run_for(20);
			CHECK(S->conns && S->conns->rxlen == 2);
			CHECK(S->conns && S->conns->clock.frame_ms != 0);
		}
	}
	size_t got = 0;
	CHECK_EQ_INT(read_replies(in, sizeof in, 3, &got), 3);
	size_t off = 0;
	for (int i = 0; i < 3; i++) {
		uint32_t size = ninep_frame_size(in + off, got - off);
		CHECK_EQ_INT(ninep_decode(in + off, size, 0, NINEP_9P2000L, &r), 0);
		CHECK_EQ_INT(r.tag, i);
		CHECK_EQ_INT(r.type, NINEP_RREAD);
		off += size;
	}
	/* Nothing left over: the partial-frame clock is off again. */
	CHECK(S->conns && S->conns->rxlen == 0 && S->conns->clock.frame_ms == 0);
	teardown();
}

TEST(oversized_frame_in_burst_closes)
{
	static uint8_t out[512];
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	size_t len = put_reads(out, sizeof out, 2, 2, -1);
	/* A size field past msize behind two good frames: the good ones are
	 * answered, then the session closes (no way to resync). */
	uint8_t bad[7] = { 0xff, 0xff, 0x00, 0x00, NINEP_TREAD, 9, 0 };
	memcpy(out + len, bad, sizeof bad);
	CHECK_EQ_INT(write(cfd, out, len + sizeof bad), (ssize_t)(len + sizeof bad));
	CHECK_EQ_INT(recv_msg(&r), 0);
	CHECK_EQ_INT(r.tag, 0);
	CHECK_EQ_INT(recv_msg(&r), 0);
	CHECK_EQ_INT(r.tag, 1);
	CHECK_EQ_INT(recv_msg(&r), -1); /* EOF */
	CHECK_EQ_INT(srv_count(S), 0);
	teardown();
}

TEST(idle_session_frees_rx)
{
	static uint8_t out[512];
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	/* Leave half a frame so the session needs its own buffer... */
	size_t len = put_reads(out, sizeof out, 1, 2, -1);
	CHECK_EQ_INT(write(cfd, out, 3), 3);
	run_for(20);
	CHECK(S->conns && S->conns->rx != NULL && S->conns->rxlen == 3);
	/* ...then complete it: answered, and once quiet the buffer goes. */
	CHECK_EQ_INT(write(cfd, out + 3, len - 3), (ssize_t)(len - 3));
	CHECK_EQ_INT(recv_msg(&r), 0);
	CHECK_EQ_INT(r.type, NINEP_RREAD);
	run_for(SRV_RX_SHRINK_IDLE_MS + 2 * SRV_SWEEP_MS);
	CHECK(S->conns && S->conns->rx == NULL && S->conns->rxcap == 0);
	/* And it still works. */
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 0, 5, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RREAD);
	CHECK_EQ_INT(r.u.rread.count, 5);
	teardown();
}

/* Which session each reply went to, in order (reply hook). */
static struct srv_conn *order[400];
static int norder, order_want;

static void on_reply_order(struct srv_conn *c, const struct ninep_hdr *req, const uint8_t *reply,
                           size_t len, void *arg)
{
	if (norder < (int)(sizeof order / sizeof order[0]))
		order[norder] = c;
	if (++norder == order_want)
		loop_stop(H.loop);
}

TEST(burst_takes_turns_with_others)
{
	static uint8_t out[8192];
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	struct srv_conn *a = S->conns;
	/* A second session, attached and with the same file open. */
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct peer pb = { .uid = (long long)geteuid(), .is_unix = 1, .name = "test-b" };
	CHECK_EQ_INT(srv_accept(S, sv[0], "unix", &pb), 0);
	struct srv_conn *b = S->conns;
	CHECK(a != b);
	int afd = cfd;
	loop_del_fd(H.loop, afd);
	cfd = sv[1];
	CHECK_EQ_INT(loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL), 0);
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	loop_del_fd(H.loop, cfd);
	int bfd = cfd;
	cfd = afd;

	/* A's burst is ready first, then B's one request. */
	int count = 300;
	size_t len = put_reads(out, sizeof out, count, 2, -1);
	CHECK(len <= 8192);
	CHECK_EQ_INT(write(afd, out, len), (ssize_t)len);
	struct ninep_msg m = { .type = NINEP_TREAD, .tag = 7 };
	m.u.tread.fid = 2;
	m.u.tread.count = 100;
	int n = ninep_encode(&m, NINEP_9P2000L, out, sizeof out);
	CHECK_EQ_INT(write(bfd, out, (size_t)n), n);

	norder = 0;
	order_want = count + 1;
	srv_set_reply_hook(S, on_reply_order, NULL);
	int id = loop_add_timer(H.loop, 2000, on_guard, NULL);
	guard_fired = 0;
	loop_run(H.loop);
	loop_del_timer(H.loop, id);
	srv_set_reply_hook(S, NULL, NULL);
	CHECK(!guard_fired);
	CHECK_EQ_INT(norder, count + 1);
	/* B is answered after at most one turn of A, not after A's burst. */
	int at = -1;
	for (int i = 0; i < norder; i++)
		if (order[i] == b)
			at = i;
	CHECK(at >= 0 && at <= (int)HIVE_FRAMES_PER_TURN);
	/* A's replies all came, in order, and nothing is left waiting. */
	size_t got = 0;
	static uint8_t in[1 << 16];
	loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL);
	CHECK_EQ_INT(read_replies(in, sizeof in, count, &got), count);
	size_t off = 0;
	for (int i = 0; i < count && off < got; i++) {
		uint32_t size = ninep_frame_size(in + off, got - off);
		CHECK_EQ_INT(ninep_decode(in + off, size, 0, NINEP_9P2000L, &r), 0);
		CHECK_EQ_INT(r.tag, i);
		off += size;
	}
	CHECK(a->rxlen == 0 && b->rxlen == 0);
	close(bfd);
	teardown();
}

int main(void)
{
	RUN(pipelined_burst_in_order);
	RUN(frames_split_across_writes);
	RUN(oversized_frame_in_burst_closes);
	RUN(idle_session_frees_rx);
	RUN(burst_takes_turns_with_others);
	return test_done();
}
