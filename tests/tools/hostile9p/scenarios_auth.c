/*
 * scenarios_auth.c — hostile9p scenarios about authentication: attach with
 * an afid never made or never given a ticket, and over TCP (where a ticket
 * is required) attaching without one, the HIVE_AUTH_FIDS_MAX bound, and
 * flooding auth fids.
 */
#include <errno.h>
#include <string.h>

#include "hostile9p.h"

/* Tattach naming an afid that was never made, or a Tauth fid that got no
 * ticket: refused; a plain attach still works after. arg: do Tauth first. */
int sc_attach_afid(const void *arg)
{
	int with_auth = *(const int *)arg;
	struct conn *c = c_open(NINEP_9P2000L);
	int rc = -1;

	if (!c || t_version(c, HIVE_MSIZE_MAX, "9P2000.L") < 0 || expect(c, NINEP_RVERSION, NINEP_NOTAG) < 0)
		goto out;
	if (with_auth) {
		if (t_auth(c, 1, 77) < 0 || c_recv(c, H9_REPLY_MS) != 1 || c->rtag != 1) {
			fail("Tauth: no reply on tag 1");
			goto out;
		}
		note("Tauth afid 77: %s", reply_text(c));
	}
	if (t_attach(c, 2, 0, 77) < 0 || expect_err(c, 2) < 0)
		goto out;
	note("Tattach afid 77: %s", last_err);
	rc = t_attach(c, 3, 0, NINEP_NOFID) < 0 || expect(c, NINEP_RATTACH, 3) < 0 ? -1 : 0;
out:
	c_close(c);
	return rc;
}

/* --- scenarios: TCP, where a ticket is required ---------------------------------- */

struct conn *tcp_versioned(void)
{
	struct conn *c;

	via_tcp = 1; /* read only by the sock_connect in c_open */
	c = c_open(NINEP_9P2000L);
	via_tcp = 0;
	if (c && (t_version(c, HIVE_MSIZE_MAX, "9P2000.L") < 0 || expect(c, NINEP_RVERSION, NINEP_NOTAG) < 0)) {
		c_close(c);
		return NULL;
	}
	return c;
}

/* Without a ticket nothing attaches; an auth fid is not a file (walk, open,
 * getattr, readdir on it fail), takes at most a ticket's worth of bytes, and
 * a bogus or empty ticket in it does not attach. */
int sc_tcp_no_ticket(const void *arg)
{
	static char big[HIVE_TICKET_TOKEN_MAX + 2];
	struct conn *c = NULL;
	int rc = -1;

	if (!opt.tcp)
		return skip("needs --tcp HOST:PORT");
	memset(big, 'T', sizeof big - 1);
	if (!(c = tcp_versioned()))
		goto out;
	if (t_attach(c, 1, 0, NINEP_NOFID) < 0 || expect_err(c, 1) < 0)
		goto out;
	note("TCP attach without a ticket: %s", last_err);
	if (t_attach_as(c, 2, 0, NINEP_NOFID, "cohesix-ticket-forged") < 0 || expect_err(c, 2) < 0)
		goto out;
	note("TCP attach with a forged ticket: %s", last_err);
	if (t_walk(c, 3, 0, 1, "proc") < 0 || expect_err(c, 3) < 0)
		goto out;
	if (t_auth(c, 4, 5) < 0 || expect(c, NINEP_RAUTH, 4) < 0 || t_attach(c, 5, 0, 5) < 0 ||
	    expect_err(c, 5) < 0 || t_walk(c, 6, 5, 6, "proc") < 0 || expect_err(c, 6) < 0 ||
	    t_fid(c, NINEP_TGETATTR, 7, 5) < 0 || expect_err(c, 7) < 0 || t_open(c, 8, 5, 0) < 0 ||
	    expect_err(c, 8) < 0 || t_read(c, NINEP_TREADDIR, 9, 5, 0, 4096) < 0 || expect_err(c, 9) < 0 ||
	    t_fid(c, NINEP_TSTAT, 10, 5) < 0 || c_recv(c, H9_REPLY_MS) != 1 || c->rtag != 10)
		goto out;
	if (t_write(c, 11, 5, big) < 0 || expect_err(c, 11) < 0 || t_write(c, 12, 5, "cohesix-ticket-x") < 0 ||
	    expect(c, NINEP_RWRITE, 12) < 0 || t_attach(c, 13, 0, 5) < 0 || expect_err(c, 13) < 0)
		goto out;
	note("TCP attach through an auth fid holding a forged ticket: %s", last_err);
	rc = t_fid(c, NINEP_TCLUNK, 14, 5) < 0 || expect(c, NINEP_RCLUNK, 14) < 0 ? -1 : 0;
out:
	c_close(c);
	return rc;
}

/* Before any attach, one TCP connection makes HIVE_AUTH_FIDS_MAX auth fids;
 * the next Tauth is refused (EMFILE) and the session goes on: a clunk frees
 * a slot, the new auth fid takes a ticket, and (with --ticket) attaches
 * through it and reads /proc/version. */
int sc_tcp_auth_fids_max(const void *arg)
{
	const uint32_t max = HIVE_AUTH_FIDS_MAX, spare = HIVE_AUTH_FIDS_MAX + 1;
	struct conn *c = NULL;
	int rc = -1;

	if (!opt.tcp)
		return skip("needs --tcp HOST:PORT");
	if (!(c = tcp_versioned()))
		goto out;
	for (uint32_t afid = 1; afid <= max; afid++)
		if (t_auth(c, 1, afid) < 0 || expect(c, NINEP_RAUTH, 1) < 0)
			goto out;
	if (t_auth(c, 2, spare) < 0 || expect_err(c, 2) < 0)
		goto out;
	note("Tauth %u (past HIVE_AUTH_FIDS_MAX %u): %s", spare, max, last_err);
	if (c->rtype != NINEP_RLERROR || c->r.u.rlerror.ecode != EMFILE) {
		fail("Tauth past the bound: wanted Rlerror EMFILE, got %s", last_err);
		goto out;
	}
	/* Still served: clunk one, and the slot is there again. */
	if (t_fid(c, NINEP_TCLUNK, 3, 1) < 0 || expect(c, NINEP_RCLUNK, 3) < 0 || t_auth(c, 4, spare) < 0 ||
	    expect(c, NINEP_RAUTH, 4) < 0 || t_auth(c, 5, spare + 1) < 0 || expect_err(c, 5) < 0)
		goto out;
	if (!opt.ticket) {
		if (t_write(c, 6, spare, "cohesix-ticket-x") < 0 || expect(c, NINEP_RWRITE, 6) < 0 ||
		    t_attach(c, 7, 0, spare) < 0 || expect_err(c, 7) < 0)
			goto out;
		note("no --ticket: attach through the new auth fid (bogus ticket) refused: %s", last_err);
		rc = 0;
		goto out;
	}
	if (t_write(c, 6, spare, opt.ticket) < 0 || expect(c, NINEP_RWRITE, 6) < 0 ||
	    t_attach(c, 7, 0, spare) < 0 || expect(c, NINEP_RATTACH, 7) < 0 ||
	    open_ok(c, 1, "proc/version") < 0 || t_read(c, NINEP_TREAD, 8, 1, 0, 4096) < 0 ||
	    expect(c, NINEP_RREAD, 8) < 0)
		goto out;
	if (c->r.u.rread.count == 0) {
		fail("/proc/version read 0 bytes after the auth fids");
		goto out;
	}
	rc = 0;
out:
	c_close(c);
	return rc;
}

/* Before any attach, one TCP connection makes auth fids until refused: what
 * an unauthenticated peer can make the server hold. */
int sc_tcp_auth_fid_flood(const void *arg)
{
	struct conn *c = NULL;
	long rss0 = rss_kb();
	uint32_t made = 0;
	int rc = -1;

	if (!opt.tcp)
		return skip("needs --tcp HOST:PORT");
	if (!(c = tcp_versioned()))
		goto out;
	for (uint32_t afid = 1; afid <= HIVE_FIDS_MAX + 1; afid++) {
		if (t_auth(c, 1, afid) < 0 || c_recv(c, H9_REPLY_MS) != 1 || c->rtag != 1) {
			fail("Tauth %u: no reply", afid);
			goto out;
		}
		if (c->rtype != NINEP_RAUTH) {
			if (check_err_reply(c, 1) < 0)
				goto out;
			break;
		}
		made++;
	}
	long rss1 = rss_kb();
	note("unauthenticated TCP peer made %u auth fids (%s); hived VmRSS %ld -> %ld KiB", made,
	     made > HIVE_AUTH_FIDS_MAX ? "never refused" : last_err, rss0, rss1);
	if (made > HIVE_AUTH_FIDS_MAX)
		fail("%u auth fids made, past HIVE_AUTH_FIDS_MAX (%u)", made, HIVE_AUTH_FIDS_MAX);
	else
		rc = 0;
out:
	c_close(c);
	return rc;
}
