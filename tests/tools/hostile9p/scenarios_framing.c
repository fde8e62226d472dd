/*
 * scenarios_framing.c — hostile9p scenarios about the byte stream and the
 * handshake: lying and impossible size fields, msize abuse, unknown and
 * repeated versions, cut frames, garbage, bad message types, a silent
 * handshake and a slowloris trickle.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hostile9p.h"

/* --- scenarios: framing ------------------------------------------------------------ */

/* The size field promises more than arrives, then silence: the frame timeout closes it. */
int sc_size_lie_silence(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (!c)
		return -1;
	r_begin(&R, NINEP_TCLUNK, 5);
	r_put(&R, 1, 4);
	put_le(R.b, 200, 4); /* 11 bytes sent, 200 claimed */
	int64_t t0 = now_ms();
	if (r_send(c, &R) == 0 && expect_close(c, (int)opt.frame_ms + H9_SLACK_MS) == 0) {
		note("closed %lld ms after the partial frame (frame timeout %u ms)",
		     (long long)(now_ms() - t0), opt.frame_ms);
		rc = 0;
	}
	c_close(c);
	return rc;
}

/* Size fields that can never be a frame: the server must close at once,
 * before and after the handshake. arg: sizes, ending with 1 (stop mark). */
int sc_size_invalid(const void *arg)
{
	const uint32_t *sizes = arg;

	for (int i = 0; sizes[i] != 1; i++) {
		for (int hs = 0; hs < 2; hs++) {
			struct conn *c = hs ? session(NINEP_9P2000L, HIVE_MSIZE_MAX) : c_open(NINEP_9P2000L);
			if (!c)
				return -1;
			r_begin(&R, hs ? NINEP_TCLUNK : NINEP_TVERSION, hs ? 5 : NINEP_NOTAG);
			r_put(&R, 0, 4);
			put_le(R.b, sizes[i], 4);
			int rc = r_send_or_close(c, &R) < 0 ? -1 : expect_close(c, H9_CLOSE_MS);
			c_close(c);
			if (rc < 0)
				return fail("size field %u %s the handshake: %s", sizes[i],
				            hs ? "after" : "before", why), -1;
		}
	}
	return 0;
}

/* Tversion with an absurd msize: answered within [MIN, MAX] or refused. */
int sc_msize(const void *arg)
{
	uint32_t want = *(const uint32_t *)arg;
	struct conn *c = c_open(NINEP_9P2000L);
	int rc = -1;

	if (!c)
		return -1;
	if (t_version(c, want, "9P2000.L") < 0)
		goto out;
	int r = c_recv(c, H9_REPLY_MS);
	if (r == 0 || (r == 1 && is_err(c))) {
		note("msize %u refused (%s)", want, r ? reply_text(c) : "closed");
		/* clients routinely ask big and expect the server's max back */
		rc = want >= HIVE_MSIZE_MIN ? fail("msize %u refused", want) : 0;
		goto out;
	}
	if (r != 1) {
		recv_fail(r, "Rversion", NINEP_NOTAG);
		goto out;
	}
	if (c->rtype != NINEP_RVERSION || c->rtag != NINEP_NOTAG || c->rdec < 0) {
		fail("wanted Rversion on NOTAG, got %s on tag %u", reply_text(c), c->rtag);
		goto out;
	}
	uint32_t got = c->r.u.rversion.msize;
	note("msize %u answered with msize %u", want, got);
	if (got < HIVE_MSIZE_MIN || got > HIVE_MSIZE_MAX) {
		fail("negotiated msize %u outside [%u, %u]", got, HIVE_MSIZE_MIN, HIVE_MSIZE_MAX);
		goto out;
	}
	if (got > want)
		note("server msize %u exceeds the client's %u (9P says it must not)", got, want);
	c->msize = got;
	rc = t_attach(c, 1, 0, NINEP_NOFID) < 0 || expect(c, NINEP_RATTACH, 1) < 0 ? -1 : 0;
out:
	c_close(c);
	return rc;
}

/* A frame one byte... or 88 bytes past the negotiated msize: error or close,
 * and if the session lives on it is still in step. */
int sc_msize_frame_over(const void *arg)
{
	static const uint32_t msizes[] = { HIVE_MSIZE_MIN, HIVE_MSIZE_MAX };

	for (size_t i = 0; i < 2; i++) {
		struct conn *c = session(NINEP_9P2000L, msizes[i]);
		if (!c)
			return -1;
		/* Twrite header: size[4] type[1] tag[2] fid[4] offset[8] count[4] */
		uint32_t len = c->msize + (i ? 1 : 88), data = len - 23;
		r_begin(&R, NINEP_TWRITE, 7);
		r_put(&R, 0, 4);
		r_put(&R, 0, 8);
		r_put(&R, data, 4);
		for (uint32_t k = 0; k < data; k++)
			r_put(&R, 'x', 1);
		r_end(&R);
		int rc = r_send_or_close(c, &R) < 0 ? -1 : expect_err_or_close(c, 7);
		if (rc == 0 && strcmp(last_err, "closed") != 0) {
			/* answered, not closed: the next request gets its own reply (or a close) */
			r_begin(&R, NINEP_TCLUNK, 8);
			r_put(&R, 12345, 4);
			r_end(&R);
			int r = r_send_or_close(c, &R) < 0 ? -1 : c_recv(c, H9_REPLY_MS);
			if (r == 1 && c->rtag != 8)
				rc = fail("after the oversized frame, a reply on tag %u instead of 8", c->rtag);
			else if (r < 0)
				rc = fail("after the oversized frame: %s", r == -ETIMEDOUT ? "no reply" : why);
		}
		note("%zu-byte frame at msize %u: %s", R.n, c->msize, last_err);
		c_close(c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Versions we do not speak: Rversion "unknown" (or a prefix we speak), error or close. */
int sc_version_unknown(const void *arg)
{
	static char big[600];
	const char *vers[] = { "9P1999", "9P2000.u", "", big };

	memset(big, 'V', sizeof big - 1);
	for (size_t i = 0; i < 4; i++) {
		struct conn *c = c_open(NINEP_9P2000L);
		if (!c)
			return -1;
		int rc = t_version(c, HIVE_MSIZE_MAX, vers[i]) < 0 ? -1 : c_recv(c, H9_REPLY_MS);
		if (rc == 1 && c->rtype == NINEP_RVERSION && c->rdec == 0) {
			struct ninep_str v = c->r.u.rversion.version;
			note("version '%.20s' -> Rversion '%.*s'", vers[i], (int)v.len, v.s);
			if (!ninep_str_eq(v, "unknown") && !ninep_str_eq(v, "9P2000"))
				rc = fail("version '%.20s' answered with '%.*s'", vers[i], (int)v.len, v.s);
			else if (ninep_str_eq(v, "unknown")) /* no dialect: attach must fail */
				rc = t_attach(c, 1, 0, NINEP_NOFID) < 0 ? -1 : expect_err_or_close(c, 1);
		} else if (rc == 1) {
			rc = check_err_reply(c, NINEP_NOTAG);
		} else if (rc != 0) {
			rc = recv_fail(rc, "Rversion", NINEP_NOTAG);
		}
		c_close(c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A second Tversion resets the session (its fids are gone) or is refused. */
int sc_version_again(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (!c || walk_ok(c, 0, 1, "proc") < 0 || t_version(c, HIVE_MSIZE_MAX, "9P2000.L") < 0)
		goto out;
	int r = c_recv(c, H9_REPLY_MS);
	if (r == 0) {
		rc = 0;
	} else if (r == 1 && is_err(c)) {
		rc = check_err_reply(c, NINEP_NOTAG);
	} else if (r == 1 && c->rtype == NINEP_RVERSION) {
		/* reset: fid 1 is gone, fid 0 may be attached again */
		if (t_fid(c, NINEP_TCLUNK, 2, 1) < 0 || expect_err(c, 2) < 0) {
			fail("fid 1 survived a second Tversion (%s)", why);
			goto out;
		}
		rc = t_attach(c, 3, 0, NINEP_NOFID) < 0 || expect(c, NINEP_RATTACH, 3) < 0 ? -1 : 0;
	} else {
		rc = recv_fail(r, "Rversion", NINEP_NOTAG);
		if (r == 1)
			rc = fail("second Tversion got %s", reply_text(c));
	}
out:
	c_close(c);
	return rc;
}

/* Requests before Tversion: error or close; a session may still start after. */
int sc_before_version(const void *arg)
{
	struct conn *c = c_open(NINEP_9P2000L);
	int rc = -1;

	if (!c || t_attach(c, 1, 0, NINEP_NOFID) < 0 || expect_err_or_close(c, 1) < 0)
		goto out;
	note("Tattach before Tversion: %s", last_err);
	if (strcmp(last_err, "closed") == 0) {
		rc = 0;
		goto out;
	}
	if (t_walk(c, 2, 0, 1, "proc") < 0 || expect_err_or_close(c, 2) < 0)
		goto out;
	rc = strcmp(last_err, "closed") == 0 ? 0 : handshake(c, HIVE_MSIZE_MAX);
out:
	c_close(c);
	return rc;
}

/* --- scenarios: broken streams ------------------------------------------------ */

/* Valid frames cut at every length, then the socket closed; and a few cut
 * frames followed by a half-close, which the server must answer by closing. */
int sc_truncated(const void *arg)
{
	static uint8_t frame[3][256];
	int len[3], conns = 0;
	struct conn *c = c_open(NINEP_9P2000L);
	struct ninep_msg m = { .type = NINEP_TVERSION, .tag = NINEP_NOTAG };

	if (!c)
		return -1;
	/* stage 0: a Tversion; 1: a Tattach after it; 2: a Twalk after both */
	m.u.tversion.msize = HIVE_MSIZE_MAX;
	m.u.tversion.version = ninep_str_c("9P2000.L");
	len[0] = ninep_encode(&m, c->dialect, frame[0], sizeof frame[0]);
	m = (struct ninep_msg){ .type = NINEP_TATTACH, .tag = 1 };
	m.u.tattach.afid = NINEP_NOFID;
	m.u.tattach.uname = ninep_str_c("hostile9p");
	m.u.tattach.aname = ninep_str_c("");
	len[1] = ninep_encode(&m, c->dialect, frame[1], sizeof frame[1]);
	m = (struct ninep_msg){ .type = NINEP_TWALK, .tag = 2 };
	m.u.twalk.newfid = 1;
	m.u.twalk.nwname = 2;
	m.u.twalk.wname[0] = ninep_str_c("proc");
	m.u.twalk.wname[1] = ninep_str_c("version");
	len[2] = ninep_encode(&m, c->dialect, frame[2], sizeof frame[2]);
	c_close(c);
	if (len[0] < 0 || len[1] < 0 || len[2] < 0)
		return fail("codec could not encode the frames to cut");
	for (int st = 0; st < 3; st++) {
		for (int cut = 1; cut < len[st]; cut++) {
			c = c_open(NINEP_9P2000L);
			if (!c)
				return -1;
			int rc = st == 0 ? 0 : st == 1 ? (t_version(c, HIVE_MSIZE_MAX, "9P2000.L") < 0 ||
			                                  expect(c, NINEP_RVERSION, NINEP_NOTAG) < 0 ? -1 : 0)
			                               : handshake(c, HIVE_MSIZE_MAX);
			if (rc == 0 && send_all(c->fd, frame[st], (size_t)cut) < 0)
				rc = fail("send of a cut frame failed");
			if (rc == 0 && cut == len[st] / 2) { /* half-close: EOF mid-frame */
				shutdown(c->fd, SHUT_WR);
				if (expect_close(c, H9_CLOSE_MS) < 0)
					rc = fail("stage %d, %d of %d bytes then EOF: %s", st, cut, len[st], why);
			}
			c_close(c);
			conns++;
			if (rc < 0)
				return -1;
		}
	}
	note("%d connections each sent a cut frame", conns);
	return 0;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Random bytes (the size field is almost surely absurd), then a half-close;
 * then well-framed requests of random types and bodies on one session: each
 * gets exactly one reply on its tag, or the session is closed. */
int sc_garbage(const void *arg)
{
	char hx[2 * 80 + 1];
	int closes = 0, replies = 0;

	for (int i = 0; i < 32; i++) {
		struct conn *c = i & 1 ? session(NINEP_9P2000L, HIVE_MSIZE_MAX) : c_open(NINEP_9P2000L);
		if (!c)
			return -1;
		R.n = 1 + rnd() % 2048;
		for (size_t k = 0; k < R.n; k++)
			R.b[k] = (uint8_t)rnd();
		int rc = r_send_or_close(c, &R);
		shutdown(c->fd, SHUT_WR);
		if (rc == 0 && expect_close(c, H9_CLOSE_MS) < 0) {
			hex(hx, sizeof hx, R.b, R.n < 80 ? R.n : 80);
			rc = fail("%zu random bytes (%s...): %s", R.n, hx, why);
		}
		c_close(c);
		if (rc < 0)
			return -1;
	}
	struct conn *c = NULL;
	for (int i = 0; i < 400; i++) {
		if (!c && !(c = session(NINEP_9P2000L, HIVE_MSIZE_MAX)))
			return -1;
		uint8_t type = (uint8_t)(rnd() % 3 ? 6 + 2 * (rnd() % 61) : rnd());
		if (type == NINEP_TVERSION) /* would legitimately reset the session */
			type = NINEP_TCLUNK;
		uint16_t tag = (uint16_t)(rnd() % 0xFFFF);
		r_begin(&R, type, tag);
		for (uint32_t k = 0, n = rnd() % 64; k < n; k++)
			r_put(&R, rnd() % 4 ? rnd() % 4 : rnd(), 1); /* small numbers decode further */
		r_end(&R);
		int rc = r_send_or_close(c, &R) < 0 ? -1 : c_recv(c, H9_REPLY_MS);
		if (rc == 1 && c->rtag != tag)
			rc = fail("reply on tag %u to a frame on tag %u", c->rtag, tag);
		if (rc == -ETIMEDOUT)
			rc = fail("no reply and no close within %d ms", H9_REPLY_MS);
		if (rc < 0) {
			hex(hx, sizeof hx, R.b, R.n < 80 ? R.n : 80);
			fail("(frame %s)", hx);
			note("framed garbage %s: %s", hx, why);
			c_close(c);
			return -1;
		}
		replies += rc == 1;
		if (rc == 0) {
			closes++;
			c_close(c);
			c = NULL;
		}
	}
	c_close(c);
	note("400 framed random requests: %d replies, %d closes", replies, closes);
	return 0;
}

/* Frame types a client never sends (R-messages, unknown numbers, the other
 * dialect's messages): error on the tag or close. */
int sc_bad_types(const void *arg)
{
	static const uint8_t l_types[] = { 0, 1, 5, 7, 9, 99, 101, 107, 125, 200, 255, NINEP_TOPEN, NINEP_TCREATE };
	static const uint8_t p_types[] = { NINEP_TGETATTR, NINEP_TLOPEN, NINEP_TREADDIR, NINEP_TLERROR };

	for (int d = 0; d < 2; d++) {
		const uint8_t *types = d ? p_types : l_types;
		size_t n = d ? sizeof p_types : sizeof l_types;
		for (size_t i = 0; i < n; i++) {
			struct conn *c = session(d ? NINEP_9P2000 : NINEP_9P2000L, HIVE_MSIZE_MAX);
			if (!c)
				return -1;
			r_begin(&R, types[i], 3);
			r_put(&R, 0, 4);
			r_put(&R, 0, 4);
			r_end(&R);
			int rc = r_send(c, &R) < 0 ? -1 : expect_err_or_close(c, 3);
			c_close(c);
			if (rc < 0)
				return fail("type %u on %s: %s", types[i], d ? "9P2000" : "9P2000.L", why), -1;
		}
	}
	return 0;
}

/* --- scenarios: time ------------------------------------------------------------ */

/* Connect and say nothing; or Tversion and never attach: both closed by the
 * handshake timeout. */
int sc_handshake_silence(const void *arg)
{
	struct conn *a = c_open(NINEP_9P2000L), *b = c_open(NINEP_9P2000L);
	int64_t t0 = now_ms(), dl = t0 + opt.handshake_ms + H9_SLACK_MS, ta = 0, tb = 0;
	int rc = -1;

	if (!a || !b || t_version(b, HIVE_MSIZE_MAX, "9P2000.L") < 0 || expect(b, NINEP_RVERSION, NINEP_NOTAG) < 0)
		goto out;
	while ((!ta || !tb) && now_ms() < dl) {
		sleep_ms(50);
		if (!ta && peer_closed(a->fd))
			ta = now_ms() - t0;
		if (!tb && peer_closed(b->fd))
			tb = now_ms() - t0;
	}
	note("silent socket closed after %lld ms, version-only after %lld ms (handshake timeout %u ms)",
	     (long long)ta, (long long)tb, opt.handshake_ms);
	rc = ta && tb ? 0 : fail("%s still open after %u + %d ms", !ta ? "silent socket" : "version-only session",
	                         opt.handshake_ms, H9_SLACK_MS);
out:
	c_close(a);
	c_close(b);
	return rc;
}

/* One byte a second of a frame that never ends: closed by the frame timeout,
 * while another session keeps normal latency. */
int sc_slowloris(const void *arg)
{
	struct conn *slow = session(NINEP_9P2000L, HIVE_MSIZE_MAX), *ok = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	char name[200];
	const char *names[HIVE_WALK_MAX];
	size_t lens[HIVE_WALK_MAX];
	int64_t worst = 0, t0 = now_ms(), closed = 0;
	int rc = -1;

	if (!slow || !ok)
		goto out;
	memset(name, 'z', sizeof name);
	for (unsigned i = 0; i < HIVE_WALK_MAX; i++)
		names[i] = name, lens[i] = sizeof name;
	walk_frame(9, 9, HIVE_WALK_MAX, names, lens); /* 3.2 KB: never done at a byte a second */
	t0 = now_ms();
	for (size_t i = 0; i < R.n && !closed; i++) {
		if (send(slow->fd, R.b + i, 1, MSG_NOSIGNAL) != 1 || peer_closed(slow->fd)) {
			closed = now_ms() - t0;
			break;
		}
		for (int64_t next = now_ms() + 1000; now_ms() < next;) {
			if (ping(ok, &worst) < 0)
				goto out;
			if (peer_closed(slow->fd)) {
				closed = now_ms() - t0;
				break;
			}
			sleep_ms(100);
		}
		if (now_ms() - t0 > (int64_t)opt.frame_ms + H9_SLACK_MS)
			break;
	}
	note("trickling session closed after %lld ms (frame timeout %u ms); worst latency meanwhile %lld ms",
	     (long long)closed, opt.frame_ms, (long long)worst);
	if (!closed)
		rc = fail("trickling session still open after %lld ms", (long long)(now_ms() - t0));
	else if (worst > H9_LATENCY_MS)
		rc = fail("a healthy session waited %lld ms while another trickled", (long long)worst);
	else
		rc = 0;
out:
	c_close(slow);
	c_close(ok);
	return rc;
}
