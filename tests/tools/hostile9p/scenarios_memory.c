/*
 * scenarios_memory.c — hostile9p scenarios about what a worker can make
 * hived hold: many sessions each opening thousands of fids of
 * /proc/sessions, the file whose snapshot grows with the number of
 * sessions (so the cost grew with sessions², 134 MiB for 16 x 2000 before
 * opens shared one render and each session's snapshots were bounded by
 * HIVE_SESSION_SNAPSHOT_BYTES_MAX).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile9p.h"

/* Walk+open pairs sent before their replies are read: well inside the
 * server's output queue, and it keeps 32,000 opens to a few seconds. */
#define HOARD_BATCH 64u

/* One worker session over TCP (the ticket in aname), or NULL (reported). */
static struct conn *worker_session(void)
{
	struct conn *c;

	via_tcp = 1; /* read only by the sock_connect in c_open */
	c = c_open(NINEP_9P2000L);
	via_tcp = 0;
	if (!c)
		return NULL;
	if (t_version(c, HIVE_MSIZE_MAX, "9P2000.L") < 0 || expect(c, NINEP_RVERSION, NINEP_NOTAG) < 0)
		goto fail;
	c->msize = c->r.u.rversion.msize;
	if (t_attach_as(c, 1, 0, NINEP_NOFID, opt.worker_ticket) < 0 || expect(c, NINEP_RATTACH, 1) < 0)
		goto fail;
	return c;
fail:
	c_close(c);
	return NULL;
}

/* Open fids 1..H9_HOARD_FIDS of /proc/sessions on c, HOARD_BATCH at a
 * time; count the opens served and refused (the first refusal's text goes
 * to last_err). Walks that succeed keep their fid either way. */
static int hoard(struct conn *c, unsigned *opened, unsigned *refused, char *first, size_t cap)
{
	for (uint32_t base = 1; base <= H9_HOARD_FIDS; base += HOARD_BATCH) {
		uint32_t n = H9_HOARD_FIDS - base + 1 < HOARD_BATCH ? H9_HOARD_FIDS - base + 1 : HOARD_BATCH;
		for (uint32_t i = 0; i < n; i++) {
			struct ninep_msg w = { .type = NINEP_TWALK, .tag = (uint16_t)(2 * i + 10) };
			struct ninep_msg o = { .type = NINEP_TLOPEN, .tag = (uint16_t)(2 * i + 11) };
			w.u.twalk.fid = 0;
			w.u.twalk.newfid = base + i;
			w.u.twalk.nwname = 2;
			w.u.twalk.wname[0] = ninep_str_c("proc");
			w.u.twalk.wname[1] = ninep_str_c("sessions");
			o.u.tlopen.fid = base + i;
			o.u.tlopen.flags = 0;
			if (c_put(c, &w) < 0 || c_put(c, &o) < 0)
				return -1;
		}
		if (c_flush(c) < 0)
			return -1;
		for (uint32_t i = 0; i < 2 * n; i++) {
			if (c_recv(c, H9_REPLY_MS) != 1)
				return fail("fid %u: no reply to walk/open %u", base, i);
			if (c->rtype == NINEP_RWALK)
				continue;
			if (c->rtype == NINEP_RLOPEN) {
				(*opened)++;
				continue;
			}
			if (check_err_reply(c, c->rtag) < 0)
				return -1;
			if (c->rtag % 2 == 0)
				return fail("walk to /proc/sessions refused: %s", last_err);
			if (!(*refused)++)
				snprintf(first, cap, "%s", last_err);
		}
	}
	return 0;
}

int sc_snapshot_hoard(const void *arg)
{
	static struct conn *cs[H9_HOARD_SESSIONS];
	unsigned opened = 0, refused = 0, n = 0;
	char first[HIVE_ERRSTR_MAX] = "";
	long rss0, rss1, bound_kb;
	int rc = -1;

	if (!opt.tcp || !opt.worker_ticket)
		return skip("needs --tcp and --worker-ticket-file");
	if (opt.pid <= 0)
		return skip("needs --pid to read hived's VmRSS");
	for (; n < H9_HOARD_SESSIONS; n++)
		if (!(cs[n] = worker_session()))
			goto out;
	rss0 = rss_kb();
	for (unsigned i = 0; i < n; i++)
		if (hoard(cs[i], &opened, &refused, first, sizeof first) < 0)
			goto out;
	rss1 = rss_kb();
	/* What the sessions may hold in snapshots, plus what their fids cost
	 * whatever they serve (a fid and an open file each). */
	bound_kb = (long)n * (HIVE_SESSION_SNAPSHOT_BYTES_MAX / 1024) + (long)n * H9_HOARD_FIDS * H9_FID_COST_BYTES / 1024;
	note("%u worker sessions x %u fids of /proc/sessions: %u opened, %u refused (first: %s)", n,
	     H9_HOARD_FIDS, opened, refused, first[0] ? first : "none");
	note("hived VmRSS %ld -> %ld KiB: +%ld KiB (bound %ld KiB)", rss0, rss1, rss1 - rss0, bound_kb);
	if (rss1 - rss0 > bound_kb) {
		fail("hived grew by %ld KiB holding snapshots, bound %ld KiB", rss1 - rss0, bound_kb);
		goto out;
	}
	/* 9P2000.L carries the errno alone; the text naming the limit is in
	 * 9P2000's Rerror and in the deny row. */
	if (refused && !strstr(first, "Rlerror 24 ")) {
		fail("a refused open is not EMFILE: %s", first);
		goto out;
	}
	rc = 0;
out:
	for (unsigned i = 0; i < n; i++)
		c_close(cs[i]);
	return rc;
}
