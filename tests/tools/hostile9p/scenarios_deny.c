/*
 * scenarios_deny.c — the deny door seen from the wire. As a worker over
 * TCP (--tcp, --ticket of a worker), K refusals of every kind the 9P
 * server has: walk into /queen, open for writing (write), open with
 * ORCLOSE (open), remove, wstat and setattr, each answered by an error on
 * its own tag; then, if asked, a flood of refused walks pipelined on one
 * session. tests/integration/t0260 checks that /proc/pressure and the rows
 * of /log/queen.log both count exactly these. K is HIVE_DENY_K and the
 * flood HIVE_DENY_FLOOD (environment); without them the scenario skips,
 * since a queen's ticket (t0250's) is refused nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostile9p.h"

/* Walks of the flood in flight at once (within HIVE_TAGS_MAX). */
#define H9_DENY_BATCH 32u
/* 9P's ORCLOSE mode bit and 9P2000.L Tsetattr's mode bit. */
#define H9_ORCLOSE 0x40u
#define H9_SETATTR_MODE 0x1u

/* A session attached with --ticket over --tcp in dialect d, or NULL. */
static struct conn *ticket_session(enum ninep_dialect d)
{
	struct conn *c;

	via_tcp = 1; /* read only by the sock_connect in c_open */
	c = c_open(d);
	via_tcp = 0;
	if (!c)
		return NULL;
	if (t_version(c, HIVE_MSIZE_MAX, dialect_name(d)) < 0 || expect(c, NINEP_RVERSION, NINEP_NOTAG) < 0 ||
	    t_auth(c, 1, 9) < 0 || expect(c, NINEP_RAUTH, 1) < 0 || t_write(c, 2, 9, opt.ticket) < 0 ||
	    expect(c, NINEP_RWRITE, 2) < 0 || t_attach(c, 3, 0, 9) < 0 || expect(c, NINEP_RATTACH, 3) < 0) {
		c_close(c);
		return NULL;
	}
	return c;
}

/* A 9P2000 stat that changes only the mode: a real wstat. */
static int t_wstat_mode(struct conn *c, uint16_t tag, uint32_t fid)
{
	struct ninep_msg m = { .type = NINEP_TWSTAT, .tag = tag };
	struct ninep_stat *st = &m.u.twstat.stat;
	m.u.twstat.fid = fid;
	st->type = 0xFFFF;
	st->dev = 0xFFFFFFFFu;
	st->qid.type = 0xFF;
	st->qid.version = 0xFFFFFFFFu;
	st->qid.path = ~0ull;
	st->mode = 0777;
	st->atime = st->mtime = 0xFFFFFFFFu;
	st->length = ~0ull;
	return c_send(c, &m);
}

static int t_setattr_mode(struct conn *c, uint16_t tag, uint32_t fid)
{
	struct ninep_msg m = { .type = NINEP_TSETATTR, .tag = tag };
	m.u.tsetattr.fid = fid;
	m.u.tsetattr.valid = H9_SETATTR_MODE;
	m.u.tsetattr.mode = 0777;
	return c_send(c, &m);
}

/* n walks to /queen pipelined in batches, every one refused. */
static int deny_flood(struct conn *c, unsigned long n)
{
	unsigned long done = 0;

	while (done < n) {
		unsigned batch = n - done < H9_DENY_BATCH ? (unsigned)(n - done) : H9_DENY_BATCH;
		for (unsigned i = 0; i < batch; i++) {
			struct ninep_msg m = { .type = NINEP_TWALK, .tag = (uint16_t)(100 + i) };
			m.u.twalk.fid = 0;
			m.u.twalk.newfid = 10;
			m.u.twalk.nwname = 1;
			m.u.twalk.wname[0] = ninep_str_c("queen");
			if (c_put(c, &m) < 0)
				return -1;
		}
		if (c_flush(c) < 0)
			return fail("flood: send failed");
		for (unsigned i = 0; i < batch; i++)
			if (expect_err(c, (uint16_t)(100 + i)) < 0)
				return -1;
		done += batch;
	}
	return 0;
}

int sc_deny_door(const void *arg)
{
	const char *ks = getenv("HIVE_DENY_K"), *fs = getenv("HIVE_DENY_FLOOD");
	struct conn *l = NULL, *p = NULL;
	long k = ks ? strtol(ks, NULL, 10) : 0;
	int rc = -1;

	if (!opt.tcp || !opt.ticket || k <= 0)
		return skip("needs --tcp, a worker's --ticket and HIVE_DENY_K (t0260 runs it)");
	if (!(l = ticket_session(NINEP_9P2000L)) || !(p = ticket_session(NINEP_9P2000)))
		goto out;
	/* fid 11: /proc/version, walked (that is allowed) and never opened. */
	if (walk_ok(l, 0, 11, "proc/version") < 0 || walk_ok(p, 0, 11, "proc/version") < 0)
		goto out;
	for (long i = 0; i < k; i++) {
		if (t_walk(l, 10, 0, 12, "queen") < 0 || expect_err(l, 10) < 0)
			goto out;
		if (t_open(l, 11, 11, 1) < 0 || expect_err(l, 11) < 0) /* O_WRONLY: a write */
			goto out;
		if (t_open(p, 12, 11, H9_ORCLOSE) < 0 || expect_err(p, 12) < 0)
			goto out;
		if (walk_ok(l, 0, 13, "proc/version") < 0 || t_fid(l, NINEP_TREMOVE, 13, 13) < 0 ||
		    expect_err(l, 13) < 0)
			goto out;
		if (t_wstat_mode(p, 14, 11) < 0 || expect_err(p, 14) < 0)
			goto out;
		if (t_setattr_mode(l, 15, 11) < 0 || expect_err(l, 15) < 0)
			goto out;
	}
	note("%ld of each: walk, write, open, remove, wstat, setattr refused (last: %s)", k, last_err);
	if (fs && deny_flood(l, strtoul(fs, NULL, 10)) < 0)
		goto out;
	if (fs)
		note("then %s refused walks, pipelined", fs);
	rc = 0;
out:
	c_close(l);
	c_close(p);
	return rc;
}
