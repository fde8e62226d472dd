/*
 * scenarios_resources.c — hostile9p scenarios about time and resources: the
 * idle timeout, a client that never reads its replies, fid exhaustion,
 * 1000 idle sessions (all listed in /proc/sessions), and connections past
 * HIVE_SESSIONS_MAX.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostile9p.h"

/* --- scenarios: time and resources -------------------------------------------- */

/* With --idle-timeout-ms: an idle session is closed, a pinging one is not. */
int sc_idle_timeout(const void *arg)
{
	if (!opt.idle_ms)
		return skip("needs --idle-timeout-ms (hived --idle-timeout)");
	struct conn *idle = session(NINEP_9P2000L, HIVE_MSIZE_MAX), *busy = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int64_t t0 = now_ms(), worst = 0, closed = 0;
	int rc = -1;

	while (idle && busy && !closed && now_ms() - t0 < (int64_t)opt.idle_ms + H9_SLACK_MS) {
		sleep_ms((int)opt.idle_ms / 5);
		if (ping(busy, &worst) < 0)
			goto out;
		if (peer_closed(idle->fd))
			closed = now_ms() - t0;
	}
	note("idle session closed after %lld ms (idle timeout %u ms)", (long long)closed, opt.idle_ms);
	rc = closed ? ping(busy, &worst) : fail("idle session still open after %u + %d ms", opt.idle_ms, H9_SLACK_MS);
out:
	c_close(idle);
	c_close(busy);
	return rc;
}

/* Pipeline Tgetattrs and never read a reply: the server must stop reading
 * (back-pressure) so its memory stays bounded, and serve others meanwhile. */
int sc_never_reads(const void *arg)
{
	struct conn *hog = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	struct ninep_msg m = { .type = NINEP_TGETATTR };
	long rss0 = rss_kb(), rss1;
	size_t sent = 0, flen;
	int64_t worst = 0, stall = 0, lat;
	int rc = -1;

	if (!hog)
		return -1;
	m.u.tgetattr.request_mask = NINEP_GETATTR_ALL;
	while (hog->txlen + 64 < sizeof hog->tx && c_put(hog, &m) == 0)
		m.tag++;
	flen = hog->txlen / m.tag;
	fcntl(hog->fd, F_SETFL, O_NONBLOCK);
	for (size_t off = 0; sent < H9_HOG_BYTES_MAX;) {
		ssize_t k = send(hog->fd, hog->tx + off, hog->txlen - off, MSG_NOSIGNAL);
		if (k > 0) {
			sent += (size_t)k;
			off = (off + (size_t)k) % hog->txlen; /* tags repeat every batch */
			stall = 0;
			continue;
		}
		if (k < 0 && errno != EAGAIN) {
			note("hog closed by the server after %zu bytes (%s)", sent, strerror(errno));
			break;
		}
		if (!stall)
			stall = now_ms();
		if (now_ms() - stall > 1000)
			break; /* the server stopped reading us: back-pressure */
		sleep_ms(10);
	}
	for (int i = 0; i < 3; i++) {
		if (health(&lat) < 0)
			goto out;
		worst = lat > worst ? lat : worst;
	}
	rss1 = rss_kb();
	note("non-reader pushed %zu bytes (%zu requests) %s; hived VmRSS %ld -> %ld KiB; health latency %lld ms",
	     sent, sent / flen, sent >= H9_HOG_BYTES_MAX ? "without stalling" : "then stalled", rss0, rss1,
	     (long long)worst);
	if (rss0 > 0 && rss1 - rss0 > H9_RSS_GROWTH_MAX_KB)
		rc = fail("hived grew %ld KiB for one client that does not read", rss1 - rss0);
	else if (sent >= H9_HOG_BYTES_MAX)
		rc = fail("server kept reading %u bytes of requests whose replies were never read", H9_HOG_BYTES_MAX);
	else if (worst > 4 * H9_LATENCY_MS)
		rc = fail("fresh sessions took %lld ms while a client did not read", (long long)worst);
	else
		rc = 0;
out:
	c_close(hog);
	return rc;
}

/* Clone the root until refused: at most HIVE_FIDS_MAX held, refused by then;
 * other sessions unaffected; after some clunks, walks work again. */
int sc_fid_exhaustion(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	long rss0 = rss_kb();
	uint32_t held = 1, refused_at = 0;
	int64_t lat;
	int rc = -1;

	if (!c)
		return -1;
	for (uint32_t fid = 1; fid <= HIVE_FIDS_MAX && !refused_at; fid++) {
		if (t_walk(c, 1, 0, fid, "") < 0 || c_recv(c, H9_REPLY_MS) != 1 || c->rtag != 1) {
			fail("walk to fid %u: no reply", fid);
			goto out;
		}
		if (c->rtype == NINEP_RWALK)
			held++;
		else if (check_err_reply(c, 1) == 0)
			refused_at = fid;
		else
			goto out;
	}
	note("walk %u refused (%s) with %u fids held; hived VmRSS %ld -> %ld KiB", refused_at, last_err,
	     held, rss0, rss_kb());
	if (!refused_at || held > HIVE_FIDS_MAX) {
		fail("%u fids held, HIVE_FIDS_MAX is %u", held, HIVE_FIDS_MAX);
		goto out;
	}
	if (health(&lat) < 0)
		goto out;
	for (uint32_t fid = 1; fid <= 10; fid++)
		if (t_fid(c, NINEP_TCLUNK, 2, fid) < 0 || expect(c, NINEP_RCLUNK, 2) < 0)
			goto out;
	rc = walk_ok(c, 0, 1, "proc/version");
out:
	c_close(c);
	return rc;
}

/* Connections held open across idle_1000 and sessions_over_max. */
static int idle_fd[H9_IDLE_CONNS + H9_EXTRA_CONNS];
static unsigned idle_n;

static int raise_nofile(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need)
		return -EMFILE;
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}

/* Open n more connections and send each Tversion + Tattach, then wait (all
 * together) for each to be served (2), refused (-1: error or close) or hung
 * (0 at the deadline). Counts go to served/refused/hung. */
static int open_sessions(unsigned n, unsigned *served, unsigned *refused, unsigned *hung)
{
	static uint8_t hs[128];
	static struct pollfd pfd[H9_IDLE_CONNS + H9_EXTRA_CONNS];
	static int state[H9_IDLE_CONNS + H9_EXTRA_CONNS];
	uint8_t buf[256];
	struct conn *tmp = calloc(1, sizeof *tmp); /* only its encoder buffer is used */
	unsigned first = idle_n;

	if (!tmp)
		return fail("out of memory");
	tmp->dialect = NINEP_9P2000L;
	struct ninep_msg v = { .type = NINEP_TVERSION, .tag = NINEP_NOTAG }, a = { .type = NINEP_TATTACH, .tag = 1 };
	v.u.tversion.msize = HIVE_MSIZE_MIN;
	v.u.tversion.version = ninep_str_c("9P2000.L");
	a.u.tattach.afid = NINEP_NOFID;
	a.u.tattach.uname = ninep_str_c("idle");
	a.u.tattach.aname = ninep_str_c("");
	a.u.tattach.n_uname = (uint32_t)getuid();
	if (c_put(tmp, &v) < 0 || c_put(tmp, &a) < 0 || tmp->txlen > sizeof hs) {
		free(tmp);
		return -1;
	}
	size_t hslen = tmp->txlen;
	memcpy(hs, tmp->tx, hslen);
	free(tmp);
	*served = *refused = *hung = 0;
	for (unsigned i = 0; i < n && idle_n < H9_IDLE_CONNS + H9_EXTRA_CONNS; i++) {
		int fd = sock_connect(1);
		if (fd < 0) {
			if (fd == -EAGAIN || fd == -ECONNREFUSED) { /* backlog full: that is a refusal */
				(*refused)++;
				continue;
			}
			return fail("connection %u: %s", idle_n, strerror(-fd));
		}
		state[idle_n] = send(fd, hs, hslen, MSG_NOSIGNAL) == (ssize_t)hslen ? 0 : -1;
		idle_fd[idle_n++] = fd;
	}
	int64_t dl = now_ms() + H9_REPLY_MS;
	for (;;) {
		nfds_t np = 0;
		for (unsigned i = first; i < idle_n; i++)
			if (state[i] == 0 || state[i] == 1)
				pfd[np++] = (struct pollfd){ idle_fd[i], POLLIN, 0 };
		int64_t left = dl - now_ms();
		if (np == 0 || left <= 0 || poll(pfd, np, (int)left) <= 0)
			break;
		for (unsigned i = first; i < idle_n; i++) {
			if (state[i] != 0 && state[i] != 1)
				continue;
			struct pollfd p = { idle_fd[i], POLLIN, 0 };
			if (poll(&p, 1, 0) != 1)
				continue;
			long k = recv_frame(idle_fd[i], buf, sizeof buf, now_ms() + 1000);
			if (k <= 0 || buf[4] == NINEP_RLERROR || buf[4] == NINEP_RERROR)
				state[i] = -1;
			else if (buf[4] == (state[i] == 0 ? NINEP_RVERSION : NINEP_RATTACH))
				state[i]++;
			else
				return fail("connection %u got reply type %u during the handshake", i, buf[4]);
		}
	}
	why[0] = 0; /* recv_frame complaints about refused sockets are expected */
	for (unsigned i = first; i < idle_n; i++) {
		*served += state[i] == 2;
		*refused += state[i] == -1;
		*hung += state[i] == 0 || state[i] == 1;
	}
	return 0;
}

static void close_sessions(void)
{
	while (idle_n)
		close(idle_fd[--idle_n]);
	sleep_ms(300); /* let the server reap them before the health check */
}

/* Read a whole file through fid (walked from the root fid 0 and opened),
 * msize at a time; clunks it. Returns its length or -1. */
static long read_whole(struct conn *c, uint32_t fid, const char *path, char *buf, size_t cap)
{
	size_t got = 0;

	if (open_ok(c, fid, path) < 0)
		return -1;
	for (;;) {
		uint32_t want = c->msize - HIVE_IOHDR;
		if (want > cap - 1 - got)
			want = (uint32_t)(cap - 1 - got);
		if (want == 0)
			return fail("%s is larger than %zu bytes", path, cap - 1);
		if (t_read(c, NINEP_TREAD, 60, fid, got, want) < 0 || expect(c, NINEP_RREAD, 60) < 0)
			return -1;
		if (c->r.u.rread.count == 0)
			break;
		memcpy(buf + got, c->r.u.rread.data, c->r.u.rread.count);
		got += c->r.u.rread.count;
	}
	buf[got] = '\0';
	if (t_fid(c, NINEP_TCLUNK, 61, fid) < 0 || expect(c, NINEP_RCLUNK, 61) < 0)
		return -1;
	return (long)got;
}

/* /proc/sessions holds one line per live session (its count in
 * /proc/status), none cut, with at least `least` of them. */
static int sessions_listed(unsigned least)
{
	static char text[HIVE_SESSIONS_SNAPSHOT_MAX + 1];
	char status[4096];
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	unsigned lines = 0, live = 0;
	long n = 0;
	int rc = -1;

	if (!c)
		return -1;
	/* Sessions may still be closing: both counts must agree once. */
	for (int tries = 0; tries < 3 && rc < 0; tries++) {
		n = read_whole(c, 1, "proc/sessions", text, sizeof text);
		if (n < 0 || read_whole(c, 2, "proc/status", status, sizeof status) < 0)
			goto out;
		const char *at = strstr(status, "\nsessions=");
		live = at ? (unsigned)strtoul(at + 10, NULL, 10) : 0;
		lines = 0;
		for (long i = 0; i < n; i++)
			lines += text[i] == '\n';
		if (strstr(text, "truncated"))
			return fail("/proc/sessions was cut at %ld bytes (%u lines)", n, lines);
		if (lines == live)
			rc = 0;
		else
			sleep_ms(200);
	}
	note("/proc/sessions lists %u sessions in %ld bytes; /proc/status says %u live", lines, n, live);
	if (rc < 0)
		fail("/proc/sessions has %u lines for %u live sessions", lines, live);
	else if (lines < least)
		rc = fail("/proc/sessions has %u lines, wanted at least %u", lines, least);
out:
	c_close(c);
	return rc;
}

/* 1000 idle sessions: a fresh session still works, with normal latency,
 * and /proc/sessions lists every one of them. */
int sc_idle_1000(const void *arg)
{
	unsigned served, refused, hung;
	long rss0 = rss_kb();
	int64_t lat;

	if (raise_nofile(H9_IDLE_CONNS + H9_EXTRA_CONNS + 64) < 0)
		return skip("RLIMIT_NOFILE hard limit below %u", H9_IDLE_CONNS + H9_EXTRA_CONNS + 64);
	close_sessions();
	if (open_sessions(H9_IDLE_CONNS, &served, &refused, &hung) < 0)
		return -1;
	if (served != H9_IDLE_CONNS)
		return fail("of %u sessions: %u served, %u refused, %u hung", H9_IDLE_CONNS, served, refused, hung);
	long rss1 = rss_kb();
	if (health(&lat) < 0)
		return -1;
	note("hived VmRSS %ld KiB before, %ld KiB with %u idle sessions (%ld bytes each); fresh session %lld ms",
	     rss0, rss1, H9_IDLE_CONNS, rss0 > 0 ? (rss1 - rss0) * 1024 / (long)H9_IDLE_CONNS : -1L,
	     (long long)lat);
	if (lat > 4 * H9_LATENCY_MS)
		return fail("a fresh session took %lld ms beside %u idle ones", (long long)lat, H9_IDLE_CONNS);
	if (sessions_listed(H9_IDLE_CONNS + 1) < 0)
		return -1;
	return 0; /* the sessions stay open for sessions_over_max */
}

/* Past HIVE_SESSIONS_MAX, extra connections are closed promptly, not hung. */
int sc_sessions_over_max(const void *arg)
{
	unsigned served, refused, hung;
	int rc;

	if (idle_n < H9_IDLE_CONNS && (rc = sc_idle_1000(arg)) != 0)
		return rc;
	rc = open_sessions(H9_EXTRA_CONNS, &served, &refused, &hung);
	note("%u more connections beside %u: %u served, %u refused, %u hung (HIVE_SESSIONS_MAX %u)",
	     H9_EXTRA_CONNS, H9_IDLE_CONNS, served, refused, hung, HIVE_SESSIONS_MAX);
	close_sessions();
	if (rc < 0)
		return -1;
	if (hung)
		return fail("%u connections past the limit neither served nor closed in %d ms", hung, H9_REPLY_MS);
	if (served > HIVE_SESSIONS_MAX - H9_IDLE_CONNS)
		return fail("%u sessions served past the %u already open", served, H9_IDLE_CONNS);
	if (served + refused != H9_EXTRA_CONNS)
		return fail("%u connections unaccounted for", H9_EXTRA_CONNS - served - refused);
	return 0;
}
