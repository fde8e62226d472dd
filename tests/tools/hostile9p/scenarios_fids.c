/*
 * scenarios_fids.c — hostile9p scenarios about fids, tags and walks: a
 * second attach, a newfid in use, reused and NOTAG tags, flushes (unknown,
 * racing), walk limits and bad names, clunk misuse, I/O on unopened fids.
 */
#include <stdio.h>
#include <string.h>

#include "hostile9p.h"

/* --- scenarios: fids and tags ------------------------------------------------ */

int sc_attach_twice(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (c && t_attach(c, 2, 0, NINEP_NOFID) == 0 && expect_err(c, 2) == 0)
		rc = walk_ok(c, 0, 1, "proc/version");
	c_close(c);
	return rc;
}

int sc_walk_newfid_in_use(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (c && walk_ok(c, 0, 1, "proc") == 0 && t_walk(c, 3, 0, 1, "log") == 0 &&
	    expect_err(c, 3) == 0)
		rc = walk_ok(c, 1, 2, "version"); /* fid 1 is still /proc */
	c_close(c);
	return rc;
}

/* Two requests with one tag in one write: two replies on that tag, nothing lost. */
int sc_tag_reuse(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	struct ninep_msg m = { .type = NINEP_TGETATTR, .tag = 7 };
	int rc = -1, got = 0;

	if (!c)
		return -1;
	m.u.tgetattr.request_mask = NINEP_GETATTR_BASIC;
	if (c_put(c, &m) < 0 || c_put(c, &m) < 0 || c_flush(c) < 0)
		goto out;
	for (; got < 2; got++) {
		int r = c_recv(c, H9_REPLY_MS);
		if (r != 1) {
			recv_fail(r, "a reply", 7);
			break;
		}
		if (c->rtag != 7) {
			fail("reply on tag %u, only tag 7 was sent", c->rtag);
			goto out;
		}
		note("reply %d on tag 7: %s", got + 1, reply_text(c));
	}
	if (got < 2) {
		fail("%d replies for 2 requests on tag 7: %s", got, why);
		goto out;
	}
	rc = t_fid(c, NINEP_TGETATTR, 8, 0) < 0 || expect(c, NINEP_RGETATTR, 8) < 0 ? -1 : 0;
out:
	c_close(c);
	return rc;
}

int sc_notag_request(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (c && t_fid(c, NINEP_TGETATTR, NINEP_NOTAG, 0) == 0 && expect_err_or_close(c, NINEP_NOTAG) == 0) {
		note("Tgetattr on NOTAG: %s", last_err);
		rc = strcmp(last_err, "closed") == 0 ? 0 :
		     t_fid(c, NINEP_TGETATTR, 2, 0) < 0 || expect(c, NINEP_RGETATTR, 2) < 0 ? -1 : 0;
	}
	c_close(c);
	return rc;
}

int sc_flush_unknown_tag(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (c && t_flush(c, 4, 1234) == 0 && expect(c, NINEP_RFLUSH, 4) == 0 && t_flush(c, 5, 5) == 0)
		rc = expect(c, NINEP_RFLUSH, 5); /* flushing itself */
	c_close(c);
	return rc;
}

/* Tread and a Tflush of its tag in one write, 200 times: Rread then Rflush,
 * or Rflush alone with no late Rread; never a lost or reordered tag. */
int sc_flush_race(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	struct ninep_msg rd, fl = { .type = NINEP_TFLUSH, .tag = 11 };
	int rc = -1, both = 0, alone = 0;

	if (!c || open_ok(c, 1, "proc/version") < 0)
		goto out;
	m_read(&rd, NINEP_TREAD, 10, 1, 0, 4096);
	fl.u.tflush.oldtag = 10;
	for (int i = 0; i < 200; i++) {
		if (c_put(c, &rd) < 0 || c_put(c, &fl) < 0 || c_flush(c) < 0)
			goto out;
		int r = c_recv(c, H9_REPLY_MS);
		if (r != 1) {
			recv_fail(r, "Rread or Rflush", 10);
			goto out;
		}
		if (c->rtag == 10 && c->rtype == NINEP_RREAD) {
			if (expect(c, NINEP_RFLUSH, 11) < 0)
				goto out;
			both++;
			continue;
		}
		if (c->rtag != 11 || c->rtype != NINEP_RFLUSH) {
			fail("round %d: first reply %s on tag %u", i, reply_text(c), c->rtag);
			goto out;
		}
		/* flushed: no Rread for tag 10 may follow */
		if (t_fid(c, NINEP_TGETATTR, 12, 0) < 0 || expect(c, NINEP_RGETATTR, 12) < 0)
			goto out;
		alone++;
	}
	note("200 rounds: %d Rread+Rflush, %d Rflush alone", both, alone);
	rc = 0;
out:
	c_close(c);
	return rc;
}

int sc_walk_17(const void *arg)
{
	const char *names[17];
	size_t lens[17];
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	for (int i = 0; i < 17; i++)
		names[i] = "..", lens[i] = 2;
	if (c && walk_raw(c, 6, 1, 17, names, lens) == 0 && expect_err_or_close(c, 6) == 0) {
		note("17-name walk: %s", last_err);
		rc = strcmp(last_err, "closed") == 0 ? 0 : walk_ok(c, 0, 1, "proc"); /* fid 1 free */
	}
	c_close(c);
	return rc;
}

/* 16 x ".." from the root stays at the root; ".." elsewhere goes up. */
int sc_walk_16_dotdot(const void *arg)
{
	char path[3 * 16];
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	for (int i = 0; i < 16; i++)
		memcpy(path + 3 * i, i < 15 ? "../" : "..", 3);
	if (!c || walk_ok(c, 0, 1, path) < 0)
		goto out;
	for (int i = 0; i < 16; i++)
		if (c->r.u.rwalk.wqid[i].path != c->root.path) {
			fail("qid %d of 16 x '..' is path %llu, root is %llu", i,
			     (unsigned long long)c->r.u.rwalk.wqid[i].path, (unsigned long long)c->root.path);
			goto out;
		}
	if (walk_ok(c, 1, 2, "proc/version") < 0 || walk_ok(c, 0, 3, "proc/../proc/version") < 0)
		goto out;
	uint64_t via_dotdot = c->r.u.rwalk.wqid[3].path;
	if (walk_ok(c, 0, 4, "proc/version") < 0)
		goto out;
	rc = c->r.u.rwalk.wqid[1].path == via_dotdot ? 0 : fail("proc/../proc/version is another file");
out:
	c_close(c);
	return rc;
}

int sc_walk_bad_name(const void *arg)
{
	const struct badname *b = arg;
	const char *names[2] = { b->s, b->s };
	size_t lens[2] = { b->len, b->len };
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (!c || walk_raw(c, 5, 5, 1, names, lens) < 0 || expect_err(c, 5) < 0)
		goto out;
	char shown[16 * 4 + 4] = "";
	size_t o = 0;
	for (size_t i = 0; i < b->len && i < 16; i++) /* escaped: the log stays text */
		o += (size_t)snprintf(shown + o, sizeof shown - o, b->s[i] > 32 && b->s[i] < 127 ? "%c" : "\\x%02x",
		                      (unsigned char)b->s[i]);
	note("walk '%s'%s (%zu bytes): %s", shown, b->len > 16 ? "..." : "", b->len, last_err);
	/* after a good first name the walk stops short: error or a 1-qid Rwalk */
	names[0] = "proc", lens[0] = 4;
	if (walk_raw(c, 6, 5, 2, names, lens) < 0 || c_recv(c, H9_REPLY_MS) != 1)
		goto out;
	if (c->rtag != 6 || (c->rtype == NINEP_RWALK ? c->r.u.rwalk.nwqid != 1 : check_err_reply(c, 6) < 0)) {
		fail("walk proc/<bad name> got %s on tag %u", reply_text(c), c->rtag);
		goto out;
	}
	rc = walk_ok(c, 0, 5, "proc"); /* newfid 5 was never made */
out:
	c_close(c);
	return rc;
}

int sc_clunk_unknown(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (c && t_fid(c, NINEP_TCLUNK, 3, 999) == 0 && expect_err(c, 3) == 0 &&
	    t_fid(c, NINEP_TCLUNK, 4, NINEP_NOFID) == 0 && expect_err(c, 4) == 0)
		rc = walk_ok(c, 0, 999, "proc");
	c_close(c);
	return rc;
}

/* Clunk twice; clunk the root, then it is gone until attached again. */
int sc_clunk_twice(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (c && walk_ok(c, 0, 1, "proc") == 0 && t_fid(c, NINEP_TCLUNK, 2, 1) == 0 &&
	    expect(c, NINEP_RCLUNK, 2) == 0 && t_fid(c, NINEP_TCLUNK, 3, 1) == 0 && expect_err(c, 3) == 0 &&
	    t_fid(c, NINEP_TCLUNK, 4, 0) == 0 && expect(c, NINEP_RCLUNK, 4) == 0 &&
	    t_walk(c, 5, 0, 2, "proc") == 0 && expect_err(c, 5) == 0 &&
	    t_attach(c, 6, 0, NINEP_NOFID) == 0 && expect(c, NINEP_RATTACH, 6) == 0)
		rc = walk_ok(c, 0, 1, "proc");
	c_close(c);
	return rc;
}

/* I/O on a walked but unopened fid. */
int sc_io_unopened(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (c && walk_ok(c, 0, 1, "proc/version") == 0 && walk_ok(c, 0, 2, "proc") == 0 &&
	    t_read(c, NINEP_TREAD, 3, 1, 0, 100) == 0 && expect_err(c, 3) == 0 &&
	    t_write(c, 4, 1, "x") == 0 && expect_err(c, 4) == 0 &&
	    t_read(c, NINEP_TREADDIR, 5, 2, 0, 1000) == 0 && expect_err(c, 5) == 0)
		rc = 0;
	c_close(c);
	return rc;
}
