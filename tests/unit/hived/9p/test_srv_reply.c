/*
 * Unit tests for srv.c's one reply path: every answer the client sees,
 * errors, Rflush and refusals of bad frames included, passed the reply
 * hook once, with the tag and the type of the request it answers
 * (harness: srv_harness.h).
 */
#include "srv_harness.h"

#define SEEN_MAX 64

/* What the hook saw, in order. */
static struct seen {
	struct ninep_hdr req; /* the request it answers */
	struct ninep_hdr rep; /* the reply's own header */
	int same_conn;
} seen[SEEN_MAX];
static int nseen;

static void on_reply(struct srv_conn *c, const struct ninep_hdr *req, const uint8_t *reply,
                     size_t len, void *arg)
{
	if (nseen >= SEEN_MAX)
		return;
	struct seen *s = &seen[nseen++];
	s->req = *req;
	CHECK_EQ_INT(ninep_hdr_decode(reply, len, 0, &s->rep), 1);
	CHECK_EQ_INT(s->rep.size, len);
	s->same_conn = c == S->conns && arg == &seen;
}

/* Send raw bytes and read the one reply they get. */
static int raw_rpc(const uint8_t *b, size_t n, struct ninep_msg *r)
{
	if (write(cfd, b, n) != (ssize_t)n)
		return -EIO;
	return recv_msg(r);
}

static int is_error(uint8_t type)
{
	return type == NINEP_RERROR || type == NINEP_RLERROR;
}

TEST(every_reply_passes_the_hook)
{
	struct ninep_msg r, m;
	struct ninep_msg got[SEEN_MAX];
	int ngot = 0;
	setup((long long)geteuid());
	nseen = 0;
	srv_set_reply_hook(S, on_reply, &seen);

	/* Before Tversion: refused on its tag (as 9P2000, the default). */
	D = NINEP_9P2000;
	uint8_t early[] = { 11, 0, 0, 0, NINEP_TCLUNK, 9, 0, 1, 0, 0, 0 };
	CHECK_EQ_INT(raw_rpc(early, sizeof early, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	m = (struct ninep_msg){ .type = NINEP_TFLUSH, .tag = 7 };
	m.u.tflush.oldtag = 3;
	CHECK_EQ_INT(rpc(&m, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(r.type, NINEP_RFLUSH);
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(walk(1, 3, "nope", NULL, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(rerr(&r), ENOENT);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(tread(NINEP_TREAD, 2, 0, 64, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(r.type, NINEP_RREAD);
	CHECK_EQ_INT(tread(NINEP_TREAD, 77, 0, 64, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(rerr(&r), EBADF);
	/* A body that runs short, a reply sent as a request, NOTAG. */
	uint8_t shortb[] = { 9, 0, 0, 0, NINEP_TCLUNK, 11, 0, 1, 0 };
	CHECK_EQ_INT(raw_rpc(shortb, sizeof shortb, &r), 0);
	got[ngot++] = r;
	uint8_t rmsg[] = { 7, 0, 0, 0, NINEP_RCLUNK, 12, 0 };
	CHECK_EQ_INT(raw_rpc(rmsg, sizeof rmsg, &r), 0);
	got[ngot++] = r;
	uint8_t notag[] = { 11, 0, 0, 0, NINEP_TCLUNK, 0xff, 0xff, 2, 0, 0, 0 };
	CHECK_EQ_INT(raw_rpc(notag, sizeof notag, &r), 0);
	got[ngot++] = r;
	/* Refused by policy: nothing is creatable. */
	m = (struct ninep_msg){ .type = NINEP_TMKDIR, .tag = 13 };
	m.u.tmkdir.dfid = 1;
	m.u.tmkdir.name = ninep_str_c("x");
	CHECK_EQ_INT(rpc(&m, &r), 0);
	got[ngot++] = r;
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 2, &r), 0);
	got[ngot++] = r;

	/* One hook call per reply, in order, each with the request's tag
	 * and either its R type or an error. */
	CHECK_EQ_INT(nseen, ngot);
	for (int i = 0; i < nseen && i < ngot; i++) {
		CHECK(seen[i].same_conn);
		CHECK_EQ_INT(seen[i].rep.type, got[i].type);
		CHECK_EQ_INT(seen[i].rep.tag, got[i].tag);
		CHECK_EQ_INT(seen[i].rep.tag, seen[i].req.tag);
		if (!is_error(seen[i].rep.type))
			CHECK_EQ_INT(seen[i].rep.type, seen[i].req.type + 1);
	}
	CHECK_EQ_INT(seen[0].req.tag, 9);
	CHECK(is_error(seen[0].rep.type));
	CHECK_EQ_INT(seen[3].req.type, NINEP_TFLUSH);
	CHECK_EQ_INT(seen[9].req.tag, 11);
	CHECK(is_error(seen[9].rep.type));
	CHECK_EQ_INT(seen[11].req.tag, NINEP_NOTAG);
	CHECK(is_error(seen[11].rep.type));

	/* The hook can be taken off again. */
	srv_set_reply_hook(S, NULL, NULL);
	CHECK_EQ_INT(tread(NINEP_TREAD, 77, 0, 64, &r), 0);
	CHECK_EQ_INT(nseen, ngot);
	teardown();
}

/* A pipelined burst answered from the batch passes the hook frame by frame. */
TEST(batched_replies_pass_the_hook)
{
	static uint8_t out[4096];
	struct ninep_msg r;
	queen_L();
	CHECK_EQ_INT(walk(1, 2, "proc", "version", &r), 0);
	CHECK_EQ_INT(lopen(2, 0, &r), 0);
	nseen = 0;
	srv_set_reply_hook(S, on_reply, &seen);
	size_t len = 0;
	int count = 20;
	for (int i = 0; i < count; i++) {
		struct ninep_msg m = { .type = NINEP_TREAD, .tag = (uint16_t)(100 + i) };
		m.u.tread.fid = i % 5 ? 2 : 99; /* every fifth fails */
		m.u.tread.count = 10;
		int n = ninep_encode(&m, NINEP_9P2000L, out + len, sizeof out - len);
		CHECK(n > 0);
		len += (size_t)n;
	}
	CHECK_EQ_INT(write(cfd, out, len), (ssize_t)len);
	for (int i = 0; i < count; i++) {
		CHECK_EQ_INT(recv_msg(&r), 0);
		CHECK_EQ_INT(r.tag, 100 + i);
	}
	CHECK_EQ_INT(nseen, count);
	for (int i = 0; i < nseen; i++) {
		CHECK_EQ_INT(seen[i].req.tag, 100 + i);
		CHECK_EQ_INT(seen[i].rep.type, i % 5 ? NINEP_RREAD : NINEP_RLERROR);
	}
	teardown();
}

int main(void)
{
	RUN(every_reply_passes_the_hook);
	RUN(batched_replies_pass_the_hook);
	return test_done();
}
