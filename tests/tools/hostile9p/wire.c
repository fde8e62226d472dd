/*
 * wire.c — hostile9p's bytes on the socket: connect (Unix or TCP), send,
 * receive one frame by a deadline, the expect-a-reply / expect-an-error /
 * expect-a-close checks, and hostile frames built byte by byte.
 *
 * Valid frames come from the codec (session.c); invalid ones are written
 * byte by byte here, so a lenient codec cannot hide a server bug.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "hostile9p.h"

/* Set by the TCP scenarios: sock_connect then dials opt.tcp (the health
 * check always uses the Unix socket). */
int via_tcp;
/* Source address of TCP connections (host order; 0 = any): the runner
 * gives each scenario its own 127.0.0.x, since the attach throttle backs
 * off a peer by uid and address and one row's refusals must not stall
 * the next row. */
uint32_t via_bind;

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* --- sockets ------------------------------------------------------------- */

/* Connect to the server's Unix socket. nonblock: a full backlog gives
 * EAGAIN instead of a blocked connect (the sessions-over-max scenario). */
int sock_connect(int nonblock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_in in = { .sin_family = AF_INET };
	int fd, flags = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
	char host[64];
	unsigned port = 0;

	if (via_tcp) {
		if (!opt.tcp || sscanf(opt.tcp, "%63[^:]:%u", host, &port) != 2 ||
		    inet_pton(AF_INET, host, &in.sin_addr) != 1 || port > 65535)
			return -EINVAL;
		in.sin_port = htons((uint16_t)port);
	} else if (strlen(opt.sock) >= sizeof sa.sun_path) {
		return -ENAMETOOLONG;
	} else {
		memcpy(sa.sun_path, opt.sock, strlen(opt.sock) + 1);
	}
	fd = socket(via_tcp ? AF_INET : AF_UNIX, flags, 0);
	if (fd < 0)
		return -errno;
	if (via_tcp && via_bind) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(via_bind) };
		if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
	}
	for (int64_t dl = now_ms() + H9_CLOSE_MS;;) {
		if (via_tcp ? connect(fd, (struct sockaddr *)&in, sizeof in) == 0
		            : connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		if (errno != EAGAIN || now_ms() > dl)
			break;
		sleep_ms(5);
	}
	int e = errno;
	close(fd);
	return -e;
}

/* Write all of buf, waiting for room up to H9_REPLY_MS. Returns 0 or -errno
 * (-EPIPE / -ECONNRESET when the server closed). */
int send_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	int64_t dl = now_ms() + H9_REPLY_MS;

	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN)
			return -errno;
		struct pollfd pfd = { fd, POLLOUT, 0 };
		int64_t left = dl - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Read exactly n bytes by the deadline. Returns 1, 0 if the peer closed
 * (EOF or reset), -ETIMEDOUT, or -errno. */
int read_full(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		if (left < 0)
			left = 0;
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return -ETIMEDOUT;
		ssize_t k = read(fd, p, n);
		if (k == 0 || (k < 0 && (errno == ECONNRESET || errno == EPIPE)))
			return 0;
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

/* Read one whole frame into buf (cap bytes). Returns its length, 0 if the
 * peer closed, -ETIMEDOUT, or -EBADMSG (bad size field, cut-off frame). */
long recv_frame(int fd, uint8_t *buf, size_t cap, int64_t deadline)
{
	int rc = read_full(fd, buf, 4, deadline);
	if (rc <= 0)
		return rc;
	uint32_t size = le32(buf);
	if (size < NINEP_HDR || size > cap)
		return fail("reply size field %u (cap %zu)", size, cap), -EBADMSG;
	rc = read_full(fd, buf + 4, size - 4, deadline);
	if (rc == 0)
		return fail("connection closed in the middle of a %u-byte reply", size), -EBADMSG;
	if (rc < 0)
		return fail("reply cut short after its size field: %s", strerror(-rc)), -EBADMSG;
	return size;
}

/* --- a connection and its replies ------------------------------------------ */

struct conn *c_open(enum ninep_dialect d)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return fail("out of memory"), NULL;
	c->fd = sock_connect(0);
	if (c->fd < 0) {
		fail("connect %s: %s", via_tcp ? opt.tcp : opt.sock, strerror(-c->fd));
		free(c);
		return NULL;
	}
	c->dialect = d;
	c->msize = HIVE_MSIZE_MAX;
	return c;
}

void c_close(struct conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* Queue the frame of m (several queued frames go out in one write). */
int c_put(struct conn *c, const struct ninep_msg *m)
{
	int n = ninep_encode(m, c->dialect, c->tx + c->txlen, sizeof c->tx - c->txlen);
	if (n < 0)
		return fail("codec refused to encode %s: %d", ninep_type_name(m->type), n);
	c->txlen += (size_t)n;
	return 0;
}

int c_flush(struct conn *c)
{
	int rc = send_all(c->fd, c->tx, c->txlen);
	c->txlen = 0;
	return rc < 0 ? fail("send: %s", strerror(-rc)) : 0;
}

int c_send(struct conn *c, const struct ninep_msg *m)
{
	return c_put(c, m) < 0 ? -1 : c_flush(c);
}

/* Receive one reply. Returns 1, 0 if closed, -ETIMEDOUT, -EBADMSG. */
int c_recv(struct conn *c, int ms)
{
	long n = recv_frame(c->fd, c->rx, sizeof c->rx, now_ms() + ms);
	if (n <= 0)
		return (int)n;
	if ((uint32_t)n > c->msize)
		return fail("a %ld-byte reply exceeds the negotiated msize %u", n, c->msize), -EBADMSG;
	c->rlen = (size_t)n;
	c->rtype = c->rx[4];
	c->rtag = (uint16_t)(c->rx[5] | c->rx[6] << 8);
	c->rdec = ninep_decode(c->rx, c->rlen, 0, c->dialect, &c->r);
	return 1;
}

int is_err(const struct conn *c)
{
	return c->rtype == NINEP_RLERROR || c->rtype == NINEP_RERROR;
}

/* Describe the last reply ("Rlerror 9 (Bad file descriptor)"). */
const char *reply_text(const struct conn *c)
{
	static char s[HIVE_ERRSTR_MAX + 64];

	if (c->rdec < 0)
		snprintf(s, sizeof s, "undecodable type %u (%d)", c->rtype, c->rdec);
	else if (c->rtype == NINEP_RLERROR)
		snprintf(s, sizeof s, "Rlerror %u (%s)", c->r.u.rlerror.ecode, strerror((int)c->r.u.rlerror.ecode));
	else if (c->rtype == NINEP_RERROR)
		snprintf(s, sizeof s, "Rerror '%.*s'", (int)c->r.u.rerror.ename.len, c->r.u.rerror.ename.s);
	else
		snprintf(s, sizeof s, "%s", ninep_type_name(c->rtype));
	return s;
}

int recv_fail(int rc, const char *wanted, uint16_t tag)
{
	if (rc == 0)
		return fail("connection closed; wanted %s on tag %u", wanted, tag);
	if (rc == -ETIMEDOUT)
		return fail("no reply within %d ms; wanted %s on tag %u", H9_REPLY_MS, wanted, tag);
	return -1; /* recv_frame said why */
}

/* The next reply must be `type` on `tag` and decode. */
int expect(struct conn *c, uint8_t type, uint16_t tag)
{
	int rc = c_recv(c, H9_REPLY_MS);
	if (rc != 1)
		return recv_fail(rc, ninep_type_name(type), tag);
	if (c->rtag != tag || c->rtype != type)
		return fail("wanted %s on tag %u, got %s on tag %u", ninep_type_name(type), tag,
		            reply_text(c), c->rtag);
	if (c->rdec < 0)
		return fail("%s on tag %u does not decode: %d", ninep_type_name(type), tag, c->rdec);
	return 0;
}

int check_err_reply(const struct conn *c, uint16_t tag)
{
	if (!is_err(c) || c->rtag != tag)
		return fail("wanted an error on tag %u, got %s on tag %u", tag, reply_text(c), c->rtag);
	if (c->rdec < 0)
		return fail("error reply on tag %u does not decode (%d)", tag, c->rdec);
	if (c->rtype == NINEP_RLERROR && c->r.u.rlerror.ecode == 0)
		return fail("Rlerror with ecode 0 on tag %u", tag);
	if (c->rtype == NINEP_RERROR && c->r.u.rerror.ename.len == 0)
		return fail("Rerror with an empty message on tag %u", tag);
	snprintf(last_err, sizeof last_err, "%s", reply_text(c));
	return 0;
}

/* The next reply must be an error (Rlerror ecode != 0 / Rerror with text) on tag. */
int expect_err(struct conn *c, uint16_t tag)
{
	int rc = c_recv(c, H9_REPLY_MS);
	return rc == 1 ? check_err_reply(c, tag) : recv_fail(rc, "an error", tag);
}

/* An error on tag, or the server closing. Returns 0 (last_err says which). */
int expect_err_or_close(struct conn *c, uint16_t tag)
{
	int rc = c_recv(c, H9_REPLY_MS);
	if (rc == 0) {
		snprintf(last_err, sizeof last_err, "closed");
		return 0;
	}
	return rc == 1 ? check_err_reply(c, tag) : recv_fail(rc, "an error or a close", tag);
}

/* The server must close within ms; error replies before the close are fine. */
int expect_close(struct conn *c, int ms)
{
	int64_t dl = now_ms() + ms;

	for (;;) {
		int64_t left = dl - now_ms();
		int rc = c_recv(c, left > 0 ? (int)left : 0);
		if (rc == 0)
			return 0;
		if (rc == -ETIMEDOUT)
			return fail("still open after %d ms", ms);
		if (rc < 0)
			return -1;
		if (!is_err(c))
			return fail("got %s on tag %u instead of a close", reply_text(c), c->rtag);
	}
}

/* --- hostile frames, built byte by byte ------------------------------------------ */

struct raw R; /* one hostile frame at a time */

void r_put(struct raw *r, uint64_t v, int bytes)
{
	if (r->n + (size_t)bytes <= sizeof r->b) {
		put_le(r->b + r->n, v, bytes);
		r->n += (size_t)bytes;
	}
}

void r_bytes(struct raw *r, const void *p, size_t len)
{
	if (r->n + len <= sizeof r->b) {
		memcpy(r->b + r->n, p, len);
		r->n += len;
	}
}

void r_str(struct raw *r, const void *s, size_t len)
{
	r_put(r, len, 2);
	r_bytes(r, s, len);
}

/* Start a frame; r_end fills in its true size (a lie can be put after). */
void r_begin(struct raw *r, uint8_t type, uint16_t tag)
{
	r->n = 0;
	r_put(r, 0, 4);
	r_put(r, type, 1);
	r_put(r, tag, 2);
}

void r_end(struct raw *r)
{
	put_le(r->b, r->n, 4);
}

int r_send(struct conn *c, const struct raw *r)
{
	int rc = send_all(c->fd, r->b, r->n);
	return rc < 0 ? fail("send: %s", strerror(-rc)) : 0;
}

/* Send a raw frame the server may drop us for: a failed write is a close. */
int r_send_or_close(struct conn *c, const struct raw *r)
{
	int rc = send_all(c->fd, r->b, r->n);
	if (rc == -EPIPE || rc == -ECONNRESET)
		return 0;
	return rc < 0 ? fail("send: %s", strerror(-rc)) : 0;
}

void hex(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
}

/* Walk fid 0 with raw names; the walk must fail (or, for a bad name after a
 * good one, stop short) and newfid 5 must stay free. */
void walk_frame(uint16_t tag, uint32_t newfid, int n, const char *const *names, const size_t *lens)
{
	r_begin(&R, NINEP_TWALK, tag);
	r_put(&R, 0, 4);
	r_put(&R, newfid, 4);
	r_put(&R, (uint64_t)n, 2);
	for (int i = 0; i < n; i++)
		r_str(&R, names[i], lens[i]);
	r_end(&R);
}

int walk_raw(struct conn *c, uint16_t tag, uint32_t newfid, int n, const char *const *names,
             const size_t *lens)
{
	walk_frame(tag, newfid, n, names, lens);
	return r_send(c, &R);
}

/* Has the server closed fd? (EOF/reset readable now; data is discarded.) */
int peer_closed(int fd)
{
	uint8_t buf[512];
	struct pollfd pfd = { fd, POLLIN, 0 };

	while (poll(&pfd, 1, 0) == 1) {
		ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			return 1;
		if (k < 0)
			return 0;
	}
	return 0;
}
