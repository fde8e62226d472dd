/*
 * hiveclient.c — libhive's transport: connect (Unix or TCP), negotiate
 * 9P2000.L, attach, and the one blocking request/reply primitive every
 * operation goes through, with a deadline on each round trip.
 *
 * The server is not trusted: every reply is decoded by the codec against
 * the negotiated msize, and its tag and type are checked. Anything off
 * kills the connection (-EPROTO) rather than guessing, because after a
 * bad frame the byte stream can no longer be trusted to be in step.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hivec_int.h"

#define HIVEC_VERSION_STR "9P2000.L"

static uint64_t hivec_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int hivec_fail(struct hivec *c, int rc, const char *what, const char *obj)
{
	if (obj && *obj)
		snprintf(c->err, sizeof c->err, "%s %s: %s", what, obj, strerror(-rc));
	else
		snprintf(c->err, sizeof c->err, "%s: %s", what, strerror(-rc));
	return rc;
}

int hivec_kill(struct hivec *c, int rc)
{
	if (!c->dead) {
		c->dead = 1;
		c->dead_err = rc;
		/* The first cause of death is what every later call reports. */
		snprintf(c->err, sizeof c->err, "%s", strerror(rc < 0 ? -rc : ECONNRESET));
	}
	return rc;
}

/* Wait until fd is ready for `events` or the deadline passes. */
static int hivec_wait(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = hivec_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, (int)(deadline - now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ETIMEDOUT;
		if (p.revents & (events | POLLHUP | POLLERR))
			return 0;
		if (p.revents & POLLNVAL)
			return -EBADF;
	}
}

/* Send one chunk; fds (if any) ride on its first byte. */
static ssize_t hivec_send_some(int fd, const uint8_t *buf, size_t len, const int *fds,
                               unsigned nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(HIVEC_PASS_FDS_MAX * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int hivec_send_all(struct hivec *c, const uint8_t *buf, size_t len, uint64_t deadline)
{
	int fd = c->fd;
	size_t done = 0;
	while (done < len) {
		int rc = hivec_wait(fd, POLLOUT, deadline);
		if (rc < 0)
			return rc;
		ssize_t n = hivec_send_some(fd, buf + done, len - done, c->pass_fds, c->npass);
		if (n > 0)
			c->npass = 0; /* they went with the first bytes */
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

static int hivec_recv_all(int fd, uint8_t *buf, size_t len, uint64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		int rc = hivec_wait(fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
		ssize_t n = recv(fd, buf + done, len - done, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET; /* the hive went away mid-reply */
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

int hivec_rpc(struct hivec *c, struct ninep_msg *t, uint8_t want, struct ninep_msg *r)
{
	if (c->dead)
		return c->dead_err ? c->dead_err : -ECONNRESET;
	if (t->type == NINEP_TVERSION) {
		t->tag = NINEP_NOTAG;
	} else {
		t->tag = c->next_tag++;
		if (c->next_tag == NINEP_NOTAG)
			c->next_tag = 0;
	}
	int len = ninep_encode(t, NINEP_9P2000L, c->tx, c->msize);
	if (len < 0)
		return len; /* our request does not fit: the caller's fault, the link is fine */
	uint64_t deadline = hivec_now_ms() + c->timeout_ms;
	int rc = hivec_send_all(c, c->tx, (size_t)len, deadline);
	if (rc < 0)
		return hivec_kill(c, rc);
	rc = hivec_recv_all(c->fd, c->rx, 4, deadline);
	if (rc < 0)
		return hivec_kill(c, rc);
	uint32_t size = ninep_frame_size(c->rx, 4);
	if (size < NINEP_HDR || size > c->msize)
		return hivec_kill(c, -EPROTO);
	rc = hivec_recv_all(c->fd, c->rx + 4, size - 4, deadline);
	if (rc < 0)
		return hivec_kill(c, rc);
	rc = ninep_decode(c->rx, size, c->msize, NINEP_9P2000L, r);
	if (rc < 0 || r->tag != t->tag)
		return hivec_kill(c, -EPROTO);
	if (r->type == NINEP_RLERROR) {
		uint32_t e = r->u.rlerror.ecode;
		if (e == 0 || e > 4095) /* not an errno: the reply makes no sense */
			return hivec_kill(c, -EPROTO);
		return -(int)e;
	}
	if (r->type != want)
		return hivec_kill(c, -EPROTO);
	return 0;
}

int hivec_fid_alloc(struct hivec *c, uint32_t *fid)
{
	for (uint32_t i = 0; i < HIVE_FIDS_MAX; i++) {
		uint32_t f = (c->fid_hint + i) % HIVE_FIDS_MAX;
		if (!(c->fidmap[f / 64] & (1ull << (f % 64)))) {
			c->fidmap[f / 64] |= 1ull << (f % 64);
			c->fid_hint = (f + 1) % HIVE_FIDS_MAX;
			*fid = f;
			return 0;
		}
	}
	return -EMFILE;
}

void hivec_fid_free(struct hivec *c, uint32_t fid)
{
	if (fid < HIVE_FIDS_MAX && fid != HIVEC_ROOT_FID)
		c->fidmap[fid / 64] &= ~(1ull << (fid % 64));
}

static int hivec_dial_unix(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int rc = -errno;
		close(s);
		return rc;
	}
	*fd = s;
	return 0;
}

/* Non-blocking connect so a black-holed address fails at the deadline
 * instead of after the kernel's minutes-long SYN retries. */
static int hivec_dial_tcp(const char *host, int port, uint32_t timeout_ms, int *fd)
{
	char portstr[16];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	int rc = -EHOSTUNREACH;

	if (port <= 0 || port > 65535)
		return -EINVAL;
	snprintf(portstr, sizeof portstr, "%d", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0)
		return -EHOSTUNREACH;
	uint64_t deadline = hivec_now_ms() + timeout_ms;
	for (ai = res; ai; ai = ai->ai_next) {
		int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		               ai->ai_protocol);
		if (s < 0) {
			rc = -errno;
			continue;
		}
		if (connect(s, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			rc = -errno;
			close(s);
			continue;
		}
		rc = hivec_wait(s, POLLOUT, deadline);
		if (rc == 0) {
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			if (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
				soerr = errno;
			rc = -soerr;
		}
		if (rc < 0) {
			close(s);
			continue;
		}
		int one = 1;
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		*fd = s;
		break;
	}
	freeaddrinfo(res);
	return rc;
}

static int hivec_handshake(struct hivec *c, const struct hivec_opts *o, char *msg, size_t msglen,
                           int *stage)
{
	struct ninep_msg t = { .type = NINEP_TVERSION }, r;
	t.u.tversion.msize = c->msize;
	t.u.tversion.version = ninep_str_c(HIVEC_VERSION_STR);
	*stage = HIVEC_STAGE_VERSION;
	int rc = hivec_rpc(c, &t, NINEP_RVERSION, &r);
	if (rc < 0) {
		snprintf(msg, msglen, "version negotiation failed: %s", strerror(-rc));
		return rc;
	}
	if (!ninep_str_eq(r.u.rversion.version, HIVEC_VERSION_STR)) {
		snprintf(msg, msglen, "server speaks %.*s, not %s",
		         (int)(r.u.rversion.version.len > 31 ? 31 : r.u.rversion.version.len),
		         r.u.rversion.version.s, HIVEC_VERSION_STR);
		return -EPROTONOSUPPORT;
	}
	if (r.u.rversion.msize < HIVE_MSIZE_MIN || r.u.rversion.msize > c->msize) {
		snprintf(msg, msglen, "server offered msize %u (we need %u..%u)",
		         r.u.rversion.msize, HIVE_MSIZE_MIN, c->msize);
		return -EPROTO;
	}
	c->msize = r.u.rversion.msize;
	snprintf(c->version, sizeof c->version, "%s", HIVEC_VERSION_STR);

	const char *aname = o->ticket ? o->ticket : "";
	const char *uname = o->uname ? o->uname : "hive";
	if (strlen(aname) > HIVE_ATTACH_STR_MAX || strlen(uname) > HIVE_ATTACH_STR_MAX) {
		snprintf(msg, msglen, "ticket or user name longer than %u bytes", HIVE_ATTACH_STR_MAX);
		return -ENAMETOOLONG;
	}
	memset(&t, 0, sizeof t);
	t.type = NINEP_TATTACH;
	t.u.tattach.fid = HIVEC_ROOT_FID;
	t.u.tattach.afid = NINEP_NOFID;
	t.u.tattach.uname = ninep_str_c(uname);
	t.u.tattach.aname = ninep_str_c(aname);
	t.u.tattach.n_uname = NINEP_NONUNAME;
	*stage = HIVEC_STAGE_ATTACH;
	rc = hivec_rpc(c, &t, NINEP_RATTACH, &r);
	if (rc < 0) {
		snprintf(msg, msglen, "attach refused: %s", strerror(-rc));
		return rc;
	}
	c->fidmap[0] |= 1ull; /* the root fid */
	c->fid_hint = 1;
	return 0;
}

static struct hivec *hivec_new(const struct hivec_opts *o)
{
	struct hivec *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = -1;
	c->msize = o->msize ? o->msize : HIVE_MSIZE_MAX;
	if (c->msize > HIVE_MSIZE_MAX)
		c->msize = HIVE_MSIZE_MAX;
	if (c->msize < HIVE_MSIZE_MIN)
		c->msize = HIVE_MSIZE_MIN;
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : HIVE_CLIENT_TIMEOUT_MS;
	c->tx = malloc(c->msize);
	c->rx = malloc(c->msize);
	if (!c->tx || !c->rx) {
		hivec_close(c);
		return NULL;
	}
	return c;
}

struct hivec *hivec_connect_ex(const struct hivec_opts *o, int *err, int *stage, char *msg,
                               size_t msglen)
{
	char scratch[8];
	int stage_s, rc, fd = -1;
	const char *where = o->unix_path ? o->unix_path : (o->tcp_host ? o->tcp_host : "?");

	if (!msg) {
		msg = scratch;
		msglen = sizeof scratch;
	}
	if (!stage)
		stage = &stage_s;
	*stage = HIVEC_STAGE_CONNECT;
	msg[0] = 0;
	uint32_t tmo = o->timeout_ms ? o->timeout_ms : HIVE_CLIENT_TIMEOUT_MS;
	if (o->unix_path)
		rc = hivec_dial_unix(o->unix_path, &fd);
	else if (o->tcp_host)
		rc = hivec_dial_tcp(o->tcp_host, o->tcp_port, tmo, &fd);
	else
		rc = -EINVAL;
	if (rc < 0) {
		if (o->tcp_host && !o->unix_path)
			snprintf(msg, msglen, "cannot connect to %s:%d: %s", o->tcp_host, o->tcp_port,
			         strerror(-rc));
		else
			snprintf(msg, msglen, "cannot connect to %s: %s", where, strerror(-rc));
		*err = rc;
		return NULL;
	}
	return hivec_connect_fd_ex(fd, o, err, stage, msg, msglen);
}

struct hivec *hivec_connect_fd_ex(int fd, const struct hivec_opts *o, int *err, int *stage,
                                  char *msg, size_t msglen)
{
	char scratch[8];
	int stage_s, rc;

	if (!msg) {
		msg = scratch;
		msglen = sizeof scratch;
	}
	if (!stage)
		stage = &stage_s;
	struct hivec *c = hivec_new(o);
	if (!c) {
		close(fd);
		snprintf(msg, msglen, "out of memory");
		*err = -ENOMEM;
		return NULL;
	}
	c->fd = fd;
	rc = hivec_handshake(c, o, msg, msglen, stage);
	if (rc < 0) {
		hivec_close(c);
		*err = rc;
		return NULL;
	}
	snprintf(c->err, sizeof c->err, "no error");
	*err = 0;
	return c;
}

struct hivec *hivec_connect(const struct hivec_opts *o, int *err, char *msg, size_t msglen)
{
	return hivec_connect_ex(o, err, NULL, msg, msglen);
}

void hivec_close(struct hivec *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd); /* the server clunks every fid of a closed session */
	free(c->tx);
	free(c->rx);
	free(c);
}

const char *hivec_error(const struct hivec *c)
{
	return c ? c->err : "no connection";
}

uint32_t hivec_msize(const struct hivec *c)
{
	return c->msize;
}

const char *hivec_version(const struct hivec *c)
{
	return c->version;
}

int hivec_alive(const struct hivec *c)
{
	return c && !c->dead;
}

int hivec_fd(const struct hivec *c)
{
	return c ? c->fd : -1;
}

int hivec_pass_fds(struct hivec *c, const int *fds, unsigned n)
{
	int domain = 0;
	socklen_t sl = sizeof domain;
	if (n > HIVEC_PASS_FDS_MAX)
		return hivec_fail(c, -EINVAL, "pass fds", "more than three");
	if (getsockopt(c->fd, SOL_SOCKET, SO_DOMAIN, &domain, &sl) < 0 || domain != AF_UNIX)
		return hivec_fail(c, -EOPNOTSUPP, "pass fds", "only over the hive's Unix socket");
	for (unsigned i = 0; i < n; i++)
		if (fcntl(fds[i], F_GETFD) < 0)
			return hivec_fail(c, -EBADF, "pass fds", "a descriptor that is not open");
	memcpy(c->pass_fds, fds, n * sizeof *fds);
	c->npass = n;
	return 0;
}

int hivec_ping(struct hivec *c)
{
	struct hivec_stat st;
	int rc = hivec_fstat(c, HIVEC_ROOT_FID, &st);
	if (rc < 0)
		return hivec_fail(c, rc, "ping", NULL);
	return 0;
}
