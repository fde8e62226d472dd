/*
 * scenarios_strangers.c — hostile9p scenarios about strangers at the door:
 * a flood of bad-ticket attaches on one connection (throttled, and the log
 * keeps its `start` row), a stranger (uid nobody) locking itself out
 * without locking out root on the same address, and a stranger holding
 * 1100 unauthenticated connections while the queen and a ticketed client
 * still get in. The last two fork a child that drops to nobody, so they
 * need root (CI runs as root) and --ticket.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile9p.h"

#define H9_FLOOD_ATTACHES 10000u
#define H9_FLOOD_BATCH 100u
#define H9_STRANGER_CONNS 1100u
#define H9_NOBODY 65534
/* Rows a throttled flood may leave: a few ticket failures, then per kind
 * (op, reason and peer id) HIVE_DENY_FOLD_AFTER rows and one count= row
 * per second. */
#define H9_FLOOD_ROWS_MAX 32

/* Folded repeats are written when their window (1 s) ends, by the deny
 * door's timer: wait this long at most for the counts to add up. */
#define H9_FOLD_WAIT_MS 6000

/* Read /log/queen.log from byte `from` to its end into buf (NUL-terminated).
 * Returns the bytes read, or -1 (reported). */
static long log_read(uint64_t from, char *buf, size_t cap)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	long got = -1;
	size_t len = 0;

	if (!c || open_ok(c, 1, "log/queen.log") < 0)
		goto out;
	for (;;) {
		if (t_read(c, NINEP_TREAD, 2, 1, from + len, HIVE_MSIZE_MAX - HIVE_IOHDR) < 0 ||
		    expect(c, NINEP_RREAD, 2) < 0)
			goto out;
		uint32_t n = c->r.u.rread.count;
		if (n == 0)
			break;
		if (len + n >= cap) {
			fail("queen.log is larger than %zu bytes", cap);
			goto out;
		}
		memcpy(buf + len, c->r.u.rread.data, n);
		len += n;
	}
	buf[len] = '\0';
	got = (long)len;
out:
	c_close(c);
	return got;
}

static char logbuf[2u << 20];

/* Refusals the rows holding `needle` stand for: count=N, or 1 for a row
 * without one. */
static unsigned long long rows_sum(const char *text, const char *needle, unsigned *rows)
{
	unsigned long long sum = 0;
	*rows = 0;
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (memmem(line, n, needle, strlen(needle))) {
			const char *cnt = memmem(line, n, " count=", 7);
			sum += cnt ? strtoull(cnt + 7, NULL, 10) : 1;
			(*rows)++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return sum;
}

/* The peer text rows carry for this scenario's connections. */
static void peer_needle(char *out, size_t cap)
{
	snprintf(out, cap, "peer=127.0.0.%u:", via_bind & 0xffu);
}

/* A forged ticket: right shape, wrong MAC. */
static const char forged[] = "cohesix-ticket-0100000000000000000000.00";

/* 10,000 bad-ticket attaches pipelined on one TCP connection: each gets an
 * error on its tag; after the first failure they are throttled (EAGAIN,
 * the ticket not even checked), their rows fold into a few carrying
 * count=N that sum to 10,000, and queen.log still starts with `start`. */
int sc_tcp_attach_flood(const void *arg)
{
	struct conn *c = NULL;
	unsigned throttled = 0, rejected = 0, rows = 0;
	char needle[64];
	int rc = -1;

	if (!opt.tcp)
		return skip("needs --tcp HOST:PORT");
	if (!(c = tcp_versioned()))
		goto out;
	int64_t t0 = now_ms();
	for (unsigned sent = 0; sent < H9_FLOOD_ATTACHES; sent += H9_FLOOD_BATCH) {
		for (unsigned i = 0; i < H9_FLOOD_BATCH; i++) {
			struct ninep_msg m = { .type = NINEP_TATTACH, .tag = (uint16_t)(i + 1) };
			m.u.tattach.fid = 0;
			m.u.tattach.afid = NINEP_NOFID;
			m.u.tattach.uname = ninep_str_c("hostile9p");
			m.u.tattach.aname = ninep_str_c(forged);
			m.u.tattach.n_uname = NINEP_NONUNAME;
			if (c_put(c, &m) < 0)
				goto out;
		}
		if (c_flush(c) < 0) {
			fail("sending attach %u: %s", sent, strerror(errno));
			goto out;
		}
		for (unsigned i = 0; i < H9_FLOOD_BATCH; i++) {
			if (expect_err(c, (uint16_t)(i + 1)) < 0)
				goto out;
			if (c->rtype == NINEP_RLERROR && c->r.u.rlerror.ecode == EAGAIN)
				throttled++;
			else
				rejected++;
		}
	}
	int64_t el = now_ms() - t0;
	peer_needle(needle, sizeof needle);
	unsigned long long sum = 0;
	long n = 0;
	for (int64_t dl = now_ms() + H9_FOLD_WAIT_MS; sum != H9_FLOOD_ATTACHES && now_ms() < dl;) {
		sleep_ms(250);
		if ((n = log_read(0, logbuf, sizeof logbuf)) < 0)
			goto out;
		sum = rows_sum(logbuf, needle, &rows);
	}
	note("%u bad-ticket attaches in %lld ms: %u refused as throttled, %u checked and rejected; "
	     "%u rows for them, their counts sum to %llu; queen.log %ld bytes",
	     H9_FLOOD_ATTACHES, (long long)el, throttled, rejected, rows, sum, n);
	if (!strstr(logbuf, " start role=hive"))
		fail("the start row is gone from queen.log");
	else if (rejected > HIVE_ATTACH_FAILS_MAX)
		fail("%u attaches were checked, not throttled (HIVE_ATTACH_FAILS_MAX %u)", rejected,
		     HIVE_ATTACH_FAILS_MAX);
	else if (rows > H9_FLOOD_ROWS_MAX)
		fail("%u rows for one peer's flood (wanted at most %u)", rows, H9_FLOOD_ROWS_MAX);
	else if (sum != H9_FLOOD_ATTACHES)
		fail("the rows' counts sum to %llu, not the %u refusals", sum, H9_FLOOD_ATTACHES);
	else
		rc = 0;
out:
	c_close(c);
	return rc;
}

/* In a child: become uid nobody (groups dropped first). */
static int become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(H9_NOBODY, H9_NOBODY, H9_NOBODY) < 0 ||
	    setresuid(H9_NOBODY, H9_NOBODY, H9_NOBODY) < 0)
		return -1;
	return 0;
}

/* The errno of one forged-ticket attach on c (0 if it attached). */
static int forged_attach(struct conn *c, uint16_t tag)
{
	if (t_attach_as(c, tag, 0, NINEP_NOFID, forged) < 0 || c_recv(c, H9_REPLY_MS) != 1 || c->rtag != tag)
		return -EIO;
	return c->rtype == NINEP_RLERROR ? (int)c->r.u.rlerror.ecode : 0;
}

/* The child of sc_stranger_lockout: as nobody, three failures a back-off
 * apart lock it out, so a fourth attempt is refused unchecked (EAGAIN).
 * Exit status: 0, or which step went wrong. */
static int nobody_locks_itself_out(void)
{
	if (become_nobody() < 0)
		return 10;
	struct conn *c = tcp_versioned();
	if (!c)
		return 11;
	int64_t backoff = HIVE_ATTACH_BACKOFF_BASE_MS;
	for (uint16_t i = 1; i <= HIVE_ATTACH_FAILS_MAX; i++) {
		if (forged_attach(c, i) != EKEYREJECTED)
			return 20 + i;
		sleep_ms((int)backoff + 20);
		backoff *= 2;
	}
	int e = forged_attach(c, 9);
	c_close(c);
	return e == EAGAIN ? 0 : 30;
}

/* nobody fails three attaches on 127.0.0.x and is locked out; root, from
 * the same address, still attaches with its ticket at once: the throttle
 * is keyed by who the peer is (the uid owning its socket), not where. */
int sc_stranger_lockout(const void *arg)
{
	if (!opt.tcp || !opt.ticket)
		return skip("needs --tcp HOST:PORT and --ticket");
	if (geteuid() != 0)
		return skip("needs root to run a client as nobody");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(nobody_locks_itself_out());
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return fail("nobody's client: status %d (20+n: failure n not EKEYREJECTED; 30: not locked out)",
		            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	struct conn *c = tcp_versioned();
	int rc = -1;
	if (!c)
		return -1;
	int64_t t0 = now_ms();
	if (t_attach_as(c, 1, 0, NINEP_NOFID, opt.ticket) < 0 || expect(c, NINEP_RATTACH, 1) < 0)
		goto out;
	note("nobody locked itself out after %u failures; root on the same address attached in %lld ms",
	     HIVE_ATTACH_FAILS_MAX, (long long)(now_ms() - t0));
	rc = 0;
out:
	c_close(c);
	return rc;
}

/* The child of sc_stranger_holds_pool: as nobody, open H9_STRANGER_CONNS
 * TCP connections, report how many the server kept and how many it
 * closed, and hold them until the parent closes the pipe. */
static int nobody_holds(int wfd, int rfd)
{
	static int fds[H9_STRANGER_CONNS];
	struct rlimit rl = { H9_STRANGER_CONNS + 64, H9_STRANGER_CONNS + 64 };
	setrlimit(RLIMIT_NOFILE, &rl);
	if (become_nobody() < 0)
		return 10;
	unsigned opened = 0, held = 0;
	via_tcp = 1;
	for (unsigned i = 0; i < H9_STRANGER_CONNS; i++) {
		fds[i] = sock_connect(0);
		opened += fds[i] >= 0;
	}
	via_tcp = 0;
	/* Count what the server kept once it has accepted (and refused) them
	 * all: give a loaded machine a few seconds to get there. */
	for (int64_t dl = now_ms() + H9_SLACK_MS;;) {
		sleep_ms(200);
		held = 0;
		for (unsigned i = 0; i < H9_STRANGER_CONNS; i++) {
			char b;
			if (fds[i] >= 0 && recv(fds[i], &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN)
				held++;
		}
		if (held <= HIVE_PREAUTH_PER_PEER_MAX || now_ms() > dl)
			break;
	}
	dprintf(wfd, "%u %u\n", opened, held);
	close(wfd);
	char b;
	while (read(rfd, &b, 1) > 0)
		;
	return 0;
}

/* A value of /proc/status, or -1. */
static long long status_value(const char *key)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	long long v = -1;
	char text[4096], k[64];

	if (!c || open_ok(c, 1, "proc/status") < 0 || t_read(c, NINEP_TREAD, 2, 1, 0, sizeof text - 1) < 0 ||
	    expect(c, NINEP_RREAD, 2) < 0)
		goto out;
	memcpy(text, c->r.u.rread.data, c->r.u.rread.count);
	text[c->r.u.rread.count] = '\0';
	snprintf(k, sizeof k, "\n%s=", key);
	const char *p = strstr(text, k);
	if (p)
		v = strtoll(p + strlen(k), NULL, 10);
out:
	c_close(c);
	return v;
}

/* nobody opens 1100 TCP connections and never speaks. The server keeps at
 * most HIVE_PREAUTH_PER_PEER_MAX of them (the pre-auth pool's share of one
 * peer) and closes the rest; meanwhile the queen on the Unix socket and a
 * ticketed client on TCP attach at once; the refusals are rows whose
 * counts sum to sessions_refused. */
int sc_stranger_holds_pool(const void *arg)
{
	int up[2] = { -1, -1 }, down[2] = { -1, -1 }, rc = -1;
	unsigned opened = 0, held = 0, rows = 0;
	struct conn *c = NULL;

	if (!opt.tcp || !opt.ticket)
		return skip("needs --tcp HOST:PORT and --ticket");
	if (geteuid() != 0)
		return skip("needs root to run a client as nobody");
	long long refused0 = status_value("sessions_refused");
	long log0 = log_read(0, logbuf, sizeof logbuf);
	if (refused0 < 0 || log0 < 0)
		return -1;
	if (pipe(up) < 0 || pipe(down) < 0)
		return fail("pipe: %s", strerror(errno));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		_exit(nobody_holds(up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	FILE *f = fdopen(up[0], "r");
	if (!f || fscanf(f, "%u %u", &opened, &held) != 2) {
		fail("nobody's client reported nothing");
		goto out;
	}
	/* While nobody holds its connections: the queen, then a ticket. */
	int64_t qlat = 0, t0;
	if (health(&qlat) < 0)
		goto out;
	t0 = now_ms();
	via_bind = 0x7f0000feu; /* 127.0.0.254: this client is not the stranger */
	c = tcp_versioned();
	if (!c || t_attach_as(c, 1, 0, NINEP_NOFID, opt.ticket) < 0 || expect(c, NINEP_RATTACH, 1) < 0 ||
	    open_ok(c, 1, "proc/version") < 0)
		goto out;
	int64_t tlat = now_ms() - t0;
	close(down[1]);
	down[1] = -1;
	waitpid(pid, NULL, 0);
	pid = -1;
	long long refused = status_value("sessions_refused") - refused0;
	unsigned long long sum = 0;
	for (int64_t dl = now_ms() + H9_FOLD_WAIT_MS; (long long)sum != refused && now_ms() < dl;) {
		sleep_ms(250);
		if (log_read((uint64_t)log0, logbuf, sizeof logbuf) < 0)
			goto out;
		sum = rows_sum(logbuf, "refuse role=hive", &rows);
	}
	note("nobody opened %u of %u connections, the hive kept %u (HIVE_PREAUTH_PER_PEER_MAX %u) and "
	     "refused %lld in %u rows (counts sum to %llu); meanwhile the queen took %lld ms, a ticket %lld ms",
	     opened, H9_STRANGER_CONNS, held, HIVE_PREAUTH_PER_PEER_MAX, refused, rows, sum,
	     (long long)qlat, (long long)tlat);
	if (held > HIVE_PREAUTH_PER_PEER_MAX)
		fail("the hive kept %u of nobody's connections (at most %u)", held, HIVE_PREAUTH_PER_PEER_MAX);
	else if (qlat > 4 * H9_LATENCY_MS || tlat > 4 * H9_LATENCY_MS)
		fail("the queen took %lld ms, the ticket %lld ms", (long long)qlat, (long long)tlat);
	else if ((long long)sum != refused)
		fail("session rows count %llu refusals, sessions_refused grew by %lld", sum, refused);
	else if (rows > H9_FLOOD_ROWS_MAX)
		fail("%u rows for the refused connections (wanted at most %u)", rows, H9_FLOOD_ROWS_MAX);
	else
		rc = 0;
out:
	if (down[1] >= 0)
		close(down[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (f)
		fclose(f);
	else if (up[0] >= 0)
		close(up[0]);
	c_close(c);
	return rc;
}
