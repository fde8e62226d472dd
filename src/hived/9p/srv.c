/*
 * srv.c — 9P sessions: accept, framing, batching, limits and timeout rows.
 *
 * A session is a nonblocking socket on the loop (level-triggered). Each
 * wake-up does one read of up to msize bytes, into a buffer shared by all
 * sessions when nothing is left over from before (so an idle session holds
 * no receive memory and a pipelined burst takes one read), else into the
 * session's receive buffer (at most msize), then handles the complete
 * frames: decode, dispatch, reply. At most HIVE_FRAMES_PER_TURN of them per
 * turn: the rest wait in the receive buffer and the session comes back
 * after the other ready sessions (see srv_conn_io), so one pipelining
 * client cannot keep everyone else waiting. Replies are built in one shared
 * scratch buffer and collected in a shared batch buffer while the
 * session's frames are handled; the batch leaves in one write when they
 * are done (or when it fills), so a client that pipelines N requests costs
 * a few reads and writes, not N of each. Every reply leaves through
 * srv_respond, which sets its tag and type from the request. Only what the
 * socket does not take is copied into the session's output queue. A queue past
 * HIVE_OUTQ_BYTES_MAX turns reading off for that session (back-pressure)
 * until it drains, so a client that never reads cannot grow our memory or
 * slow anyone else. A frame with a size field we cannot trust closes the
 * session (no way to resync); any other bad frame gets an error on its tag.
 * One sweep timer enforces the handshake, frame and idle timeouts and
 * frees the empty receive buffers of quiet sessions. The output queue and
 * the timeout clock are net/conn.h's, shared with the console.
 */
#include "srv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/net/auth.h"
#include "hived/ns/ns.h"

/* SO_PEERPIDFD (Linux 6.5): a pidfd of the process that connected. */
#ifndef SO_PEERPIDFD
#define SRV_SO_PEERPIDFD 77
#else
#define SRV_SO_PEERPIDFD SO_PEERPIDFD
#endif

static void srv_conn_io(struct loop *loop, int fd, uint32_t events, void *arg);

uint32_t srv_count(const struct srv *srv)
{
	return srv->nconns;
}

void srv_set_handshake_timeout(struct srv *srv, uint32_t ms)
{
	srv->handshake_ms = ms;
}

static void srv_conn_close(struct srv_conn *c, const char *why)
{
	struct srv *srv = c->srv;
	if (c->dead)
		return;
	c->dead = 1;
	loop_del_fd(srv->hive->loop, c->fd);
	close(c->fd);
	srv_fids_clear(&c->fids, srv_fid_release, srv);
	if (why && c->hs) /* the hive closes it for misbehaviour: a cut */
		hive_deny(srv->hive, &c->hs->who, HIVE_PRESSURE_CUT, HIVE_DENY_CUT, NULL, why, "id=%llu",
		          (unsigned long long)c->hs->id);
	if (c->hs)
		hive_session_remove(srv->hive, c->hs);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	free(c->rx);
	c->rx = NULL;
	conn_outq_free(&c->txq);
	/* Callers up the stack may still look at c->dead: the struct itself
	 * is freed by the next sweep. */
	c->next = srv->zombies;
	c->prev = NULL;
	srv->zombies = c;
}

static void srv_reap(struct srv *srv)
{
	while (srv->zombies) {
		struct srv_conn *c = srv->zombies;
		srv->zombies = c->next;
		free(c);
	}
}

/*
 * Write the batch and then `extra` (may be empty) in one writev; queue what
 * the socket does not take. The batch is empty afterwards. Returns 0, or
 * -errno if the socket broke (the read side will see the hang-up).
 */
static int srv_batch_flush(struct srv_conn *c, const uint8_t *extra, size_t n)
{
	struct srv *srv = c->srv;
	struct iovec iov[2] = {
		{ .iov_base = srv->batch, .iov_len = srv->batchlen },
		{ .iov_base = (void *)extra, .iov_len = n },
	};
	srv->batchlen = 0;
	return conn_outq_send(&c->txq, c->fd, iov, 2);
}

/* Write one encoded reply: into the batch while the session's frames are
 * handled, else straight to the socket; queue what the socket does not take. */
static int srv_send(struct srv_conn *c, const uint8_t *buf, size_t n)
{
	struct srv *srv = c->srv;
	if (c->dead)
		return -EPIPE;
	if (c->hs)
		c->hs->tx_msgs++;
	if (c->txq.len)
		return conn_outq_append(&c->txq, buf, n); /* behind what already waits */
	if (srv->batch_conn == c) {
		if (srv->batchlen + n <= SRV_TXBATCH_BYTES) {
			memcpy(srv->batch + srv->batchlen, buf, n);
			srv->batchlen += n;
			return 0;
		}
		/* Full: what waits and this reply leave together. */
		return srv_batch_flush(c, buf, n);
	}
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };
	return conn_outq_send(&c->txq, c->fd, &iov, 1); /* a broken socket: the read side sees it */
}

/*
 * The one place every reply passes, as lib9p's respond(): the tag and the
 * type come from the request being answered (c->req), never from the
 * handler; `body` carries the reply's fields (NULL for an error), `code`
 * is 0 or the errno of an error whose text is `ename`. Once the reply is
 * on its way the server's reply hook sees it (the audit chain's hook
 * point).
 */
static int srv_respond(struct srv_conn *c, const struct ninep_msg *body, int code, const char *ename)
{
	struct srv *srv = c->srv;
	enum ninep_dialect d = c->dialect ? c->dialect : NINEP_9P2000;
	struct ninep_msg r;
	/* An error is tiny; it is encoded into a stack buffer so an error
	 * about a reply being built in scratch cannot clobber anything. */
	uint8_t ebuf[NINEP_HDR + 2 + HIVE_ERRSTR_MAX];
	uint8_t *buf = srv->scratch;
	size_t cap = c->msize ? c->msize : HIVE_MSIZE_MAX;

	if (code) {
		memset(&r, 0, sizeof r);
		if (c->dialect == NINEP_9P2000L) {
			r.type = NINEP_RLERROR;
			r.u.rlerror.ecode = (uint32_t)code;
		} else {
			r.type = NINEP_RERROR;
			r.u.rerror.ename = ninep_str_c(ename);
		}
		buf = ebuf;
		cap = sizeof ebuf;
	} else {
		r = *body;
		r.type = (uint8_t)(c->req.type + 1); /* every R is its T plus one */
	}
	r.tag = c->req.tag;
	int n = ninep_encode(&r, d, buf, cap);
	if (n < 0) {
		if (code)
			return n;
		/* Our own reply did not encode (too big for msize): say so on
		 * the tag rather than leave the client waiting. */
		return srv_error(c, EIO, "reply %s does not fit msize %u", ninep_type_name(r.type),
		                 c->msize);
	}
	int rc = srv_send(c, buf, (size_t)n);
	if (srv->reply_hook)
		srv->reply_hook(c, &c->req, buf, (size_t)n, srv->reply_hook_arg);
	return rc;
}

int srv_reply(struct srv_conn *c, const struct ninep_msg *m)
{
	return srv_respond(c, m, 0, NULL);
}

int srv_error(struct srv_conn *c, int code, const char *fmt, ...)
{
	char msg[HIVE_ERRSTR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* The Linux kernel's 9P2000 client turns an Rerror into an errno by
	 * exact match against a table of strerror() texts ("Permission
	 * denied", ...); any other text becomes ESERVERFAULT. So the text on
	 * the wire is strerror(code); the detail still reaches 9P2000.L
	 * clients as the code, and the log. */
	code = code > 0 ? code : EIO;
	return srv_respond(c, NULL, code, strerror(code));
}

void srv_set_reply_hook(struct srv *srv, srv_reply_hook_fn fn, void *arg)
{
	srv->reply_hook = fn;
	srv->reply_hook_arg = arg;
}

static int srv_tag_busy(const struct srv_conn *c, uint16_t tag)
{
	for (uint32_t i = 0; i < c->ninflight; i++)
		if (c->inflight[i] == tag)
			return 1;
	return 0;
}

/* Handle one complete frame (header h) of h->size bytes at buf. */
static void srv_conn_frame(struct srv_conn *c, const uint8_t *buf, const struct ninep_hdr *h)
{
	struct ninep_msg m;
	uint16_t tag = h->tag;

	/* From here on every reply, errors included, answers this request. */
	c->req = *h;
	conn_clock_frame(&c->clock, loop_now_ms());
	if (c->hs) {
		c->hs->rx_msgs++;
		c->hs->last_ms = c->clock.last_ms;
	}
	if (c->dialect == NINEP_DIALECT_NONE && h->type != NINEP_TVERSION) {
		srv_error(c, EPROTO, "bad message: %s before Tversion", ninep_type_name(h->type));
		return;
	}
	memset(&m, 0, sizeof m);
	int rc = ninep_decode(buf, h->size, c->msize, c->dialect, &m);
	if (rc < 0) {
		srv_error(c, rc == -EPROTO ? EPROTO : EBADMSG, "bad message: %s: %s",
		          ninep_type_name(h->type),
		          rc == -EPROTO ? "not a request of this dialect" : "malformed");
		return;
	}
	if (m.type & 1) {
		/* R-messages have odd numbers; a client does not send them. */
		srv_error(c, EPROTO, "bad message: %s is a reply", ninep_type_name(h->type));
		return;
	}
	if (m.type != NINEP_TVERSION && tag == NINEP_NOTAG) {
		srv_error(c, EINVAL, "bad message: NOTAG is for Tversion only");
		return;
	}
	if (m.type != NINEP_TVERSION && srv_tag_busy(c, tag)) {
		srv_error(c, EBUSY, "tag %u is already in flight", tag);
		return;
	}
	if (c->ninflight >= HIVE_TAGS_MAX) {
		srv_error(c, EBUSY, "too many requests in flight (max %u)", HIVE_TAGS_MAX);
		return;
	}
	c->inflight[c->ninflight++] = tag;
	srv_dispatch(c, &m);
	/* Answered: the tag is free again (search from the end, it is last). */
	for (uint32_t i = c->ninflight; i-- > 0;) {
		if (c->inflight[i] == tag) {
			c->inflight[i] = c->inflight[--c->ninflight];
			break;
		}
	}
	if (c->hs)
		c->hs->fids = c->fids.n;
}

/*
 * Handle the complete frames in buf[0..len) while the queue has room, at
 * most HIVE_FRAMES_PER_TURN of them; set *used to the bytes handled. The
 * replies collect in the batch and leave together at the end. Returns 0,
 * or -1 if the session must close (a size field we cannot trust).
 */
static int srv_conn_frames(struct srv_conn *c, const uint8_t *buf, size_t len, size_t *used)
{
	struct srv *srv = c->srv;
	size_t off = 0;
	uint32_t served = 0;
	int rc = 0;
	srv->batch_conn = c;
	srv->batchlen = 0;
	while (!c->dead && !conn_outq_full(&c->txq) && served < HIVE_FRAMES_PER_TURN) {
		struct ninep_hdr h;
		int got = ninep_hdr_decode(buf + off, len - off, c->msize, &h);
		if (got < 0) {
			rc = -1;
			break;
		}
		if (!got || len - off < h.size)
			break;
		srv_conn_frame(c, buf + off, &h);
		off += h.size;
		served++;
	}
	srv->batch_conn = NULL;
	*used = off;
	if (c->dead) {
		srv->batchlen = 0;
		return 0;
	}
	/* A broken socket shows up as a hang-up on the read side. */
	if (srv->batchlen)
		srv_batch_flush(c, NULL, 0);
	return rc;
}

/* Is there a complete frame waiting in rx (left for a later turn, or held
 * back by back-pressure)? */
static int srv_conn_has_frame(const struct srv_conn *c)
{
	struct ninep_hdr h;
	return ninep_hdr_decode(c->rx + c->rxoff, c->rxlen, c->msize, &h) == 1 && c->rxlen >= h.size;
}

/* Handle this turn's share of the complete frames waiting in rx. Returns
 * as srv_conn_frames. */
static int srv_conn_process(struct srv_conn *c)
{
	size_t off = 0;
	int rc = srv_conn_frames(c, c->rx + c->rxoff, c->rxlen, &off);
	if (c->dead)
		return 0;
	/* Consumed from the front; what is left moves down only before the
	 * next read, so a burst served over many turns is not copied per turn. */
	c->rxoff += off;
	c->rxlen -= off;
	if (!c->rxlen)
		c->rxoff = 0;
	return rc;
}

/* Make room in rx, from its start, for the frame whose size field may
 * already be there (what rx holds moves to the front first). */
static int srv_conn_rx_room(struct srv_conn *c)
{
	if (c->rxoff) {
		memmove(c->rx, c->rx + c->rxoff, c->rxlen);
		c->rxoff = 0;
	}
	size_t want = HIVE_RXBUF_INITIAL;
	struct ninep_hdr h;
	int got = ninep_hdr_decode(c->rx, c->rxlen, c->msize, &h);
	if (got < 0)
		return got;
	if (got && h.size > want)
		want = h.size;
	if (want <= c->rxcap)
		return 0;
	uint8_t *b = realloc(c->rx, want);
	if (!b)
		return -ENOMEM;
	c->rx = b;
	c->rxcap = want;
	return 0;
}

/* Descriptors a client may pass at once: its stdin, stdout and stderr. */
#define SRV_STDIO_FDS 3

/*
 * read(2) that also takes the descriptors a client passes with SCM_RIGHTS
 * (`hive run` sends its stdin, stdout and stderr with its spawn write).
 * Exactly three on one message, from an attached session on the Unix
 * socket, replace the session's stdio_fds; any other number, or fds on any
 * other session, are closed at once and refused through the deny door.
 * The control buffer has room for three only (four with its alignment
 * padding): the kernel installs no more than fit, drops the rest itself and
 * says so with MSG_CTRUNC (measured: tests/unit/hived/9p/test_srv_fds.c,
 * 253 per message), so a flood costs hived at most four descriptors for the
 * length of this call, none of them kept.
 */
static ssize_t srv_conn_recv(struct srv_conn *c, void *buf, size_t n)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(SRV_STDIO_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
	                     .msg_controllen = sizeof ctl.b };
	int fds[SRV_STDIO_FDS], nfds = 0, extra = 0;

	ssize_t got = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	if (got < 0 || (!mh.msg_controllen && !(mh.msg_flags & MSG_CTRUNC)))
		return got;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof fd, sizeof fd);
			if (nfds < SRV_STDIO_FDS)
				fds[nfds++] = fd;
			else {
				close(fd);
				extra++;
			}
		}
	}
	if (nfds == SRV_STDIO_FDS && !extra && !(mh.msg_flags & MSG_CTRUNC) && c->is_unix &&
	    c->attached && c->hs) {
		hive_session_drop_stdio(c->hs);
		memcpy(c->hs->stdio_fds, fds, sizeof fds);
		return got;
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	hive_deny(c->srv->hive, c->hs ? &c->hs->who : NULL, HIVE_PRESSURE_POLICY, HIVE_DENY_VERB,
	          NULL, "bad-fds", "id=%llu fds=%d%s transport=%s",
	          c->hs ? (unsigned long long)c->hs->id : 0ull, nfds + extra,
	          (mh.msg_flags & MSG_CTRUNC) ? "+" : "", c->is_unix ? "unix" : "tcp");
	return got;
}

/* Keep the n unhandled bytes at buf (rx was empty) for a later turn. */
static int srv_conn_rx_keep(struct srv_conn *c, const uint8_t *buf, size_t n)
{
	size_t want = n > HIVE_RXBUF_INITIAL ? n : HIVE_RXBUF_INITIAL;
	if (want > c->rxcap) {
		uint8_t *b = realloc(c->rx, want);
		if (!b)
			return -ENOMEM;
		c->rx = b;
		c->rxcap = want;
	}
	memcpy(c->rx, buf, n);
	c->rxoff = 0;
	c->rxlen = n;
	/* A partial frame's header may be there: grow for the whole frame. */
	return srv_conn_rx_room(c);
}

/*
 * The common case, nothing left over from before: read all that is there,
 * up to msize, into the shared buffer and handle the frames in place, so a
 * burst of pipelined requests takes one read and no copy. What this turn
 * does not handle (a partial frame, frames past HIVE_FRAMES_PER_TURN or
 * held back by back-pressure) is copied into rx.
 */
static int srv_conn_read_direct(struct srv_conn *c)
{
	struct srv *srv = c->srv;
	size_t limit = c->msize ? c->msize : HIVE_MSIZE_MAX;
	if (limit > sizeof srv->rxbuf)
		limit = sizeof srv->rxbuf;
	ssize_t n = srv_conn_recv(c, srv->rxbuf, limit);
	if (n == 0) {
		srv_conn_close(c, NULL);
		return 0;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			srv_conn_close(c, NULL);
		return 0;
	}
	size_t used = 0;
	if (srv_conn_frames(c, srv->rxbuf, (size_t)n, &used) < 0)
		return -EMSGSIZE;
	if (c->dead || used == (size_t)n)
		return 0;
	return srv_conn_rx_keep(c, srv->rxbuf + used, (size_t)n - used);
}

/* Read once (rx holds no complete frame) and handle this turn's frames. */
static void srv_conn_read(struct srv_conn *c)
{
	if (!c->rxlen) {
		if (srv_conn_read_direct(c) < 0)
			srv_conn_close(c, "bad-frame-size");
		return;
	}
	if (srv_conn_rx_room(c) < 0) {
		srv_conn_close(c, "bad-frame-size");
		return;
	}
	ssize_t n = srv_conn_recv(c, c->rx + c->rxlen, c->rxcap - c->rxlen);
	if (n == 0) {
		srv_conn_close(c, NULL);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			srv_conn_close(c, NULL);
		return;
	}
	c->rxlen += (size_t)n;
	/* The header may have just arrived: grow for the whole frame. */
	if (srv_conn_rx_room(c) < 0 || srv_conn_process(c) < 0)
		srv_conn_close(c, "bad-frame-size");
}

/*
 * One turn of a session. Frames left in rx by an earlier turn go before
 * the socket is read again (it stays readable meanwhile). While such
 * frames wait, the session also asks for EPOLLOUT, which a socket with
 * room is at once: the loop comes back to it next turn, after every other
 * ready session had its own turn, without a timer or a busy wait.
 */
static void srv_conn_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct srv_conn *c = arg;
	if (events & EPOLLOUT) {
		if (conn_outq_flush(&c->txq, c->fd) < 0) {
			srv_conn_close(c, NULL);
			return;
		}
		/* Drained enough: handle what waited, then read again. */
		if (!c->reading && c->txq.len < HIVE_OUTQ_BYTES_MAX / 2)
			c->reading = 1;
	}
	if (c->reading && srv_conn_has_frame(c)) {
		if (srv_conn_process(c) < 0)
			srv_conn_close(c, "bad-frame-size");
	} else if ((events & EPOLLIN) && c->reading) {
		srv_conn_read(c);
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		srv_conn_close(c, NULL);
	}
	if (c->dead)
		return;
	if (c->txq.len && conn_outq_flush(&c->txq, c->fd) < 0) {
		srv_conn_close(c, NULL);
		return;
	}
	if (conn_outq_full(&c->txq))
		c->reading = 0;
	/* The partial-frame clock runs only while rx holds part of a frame. */
	conn_clock_partial(&c->clock, c->rxlen && !srv_conn_has_frame(c), loop_now_ms());
	uint32_t ev = 0;
	if (c->reading)
		ev |= EPOLLIN;
	if (c->txq.len || (c->reading && srv_conn_has_frame(c)))
		ev |= EPOLLOUT;
	loop_mod_fd(c->srv->hive->loop, c->fd, ev);
}

/* Start serving fd as session hs; fixed (may be NULL) is who it is. */
static int srv_conn_start(struct srv *srv, int fd, struct hive_session *hs, int is_unix, long long peer_uid,
                          const struct principal *fixed)
{
	struct hive *hive = srv->hive;
	struct srv_conn *c = calloc(1, sizeof *c);
	if (!c) {
		hive_session_remove(hive, hs);
		return -ENOMEM;
	}
	c->srv = srv;
	c->hs = hs;
	c->fd = fd;
	c->is_unix = is_unix;
	c->peer_uid = peer_uid;
	if (fixed) {
		c->fixed = 1;
		c->fixed_who = *fixed;
	}
	conn_clock_start(&c->clock, loop_now_ms());
	conn_outq_init(&c->txq, HIVE_OUTQ_BYTES_MAX, HIVE_MSIZE_MAX);
	c->reading = 1;
	int rc = loop_add_fd(hive->loop, fd, EPOLLIN, srv_conn_io, c);
	if (rc < 0) {
		hive_session_remove(hive, hs);
		free(c);
		return rc;
	}
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	return 0;
}

/*
 * Is this Unix peer a process inside an agent's cgroup (hive->agent_of_pid)?
 * 1 with *who the agent, 0 not an agent, -EACCES after the refusal when it
 * cannot be told (fail closed: the peer's uid alone is not identity). The
 * pid SO_PEERCRED gave is the connecting process's; a pidfd of that
 * process (SO_PEERPIDFD), still alive after the cgroup was read, proves
 * the pid was not reused by another meanwhile.
 */
static int srv_agent_of_peer(struct srv *srv, int fd, const struct peer *peer, struct principal *who)
{
	struct hive *hive = srv->hive;
	char aid[HIVE_SUBJECT_MAX + 1];
	int rc = -ESRCH, pidfd = -1;
	socklen_t len = sizeof pidfd;

	if (!hive->agent_of_pid)
		return 0;
	if (peer->pid > 0) {
		if (getsockopt(fd, SOL_SOCKET, SRV_SO_PEERPIDFD, &pidfd, &len) < 0)
			pidfd = -1; /* before Linux 6.5: the pid alone */
		rc = hive->agent_of_pid(hive, peer->pid, aid, sizeof aid);
		if (rc >= 0 && pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno == ESRCH)
			rc = -ESRCH;
		if (pidfd >= 0)
			close(pidfd);
	}
	if (rc < 0) {
		hive_deny(hive, NULL, HIVE_PRESSURE_POLICY, HIVE_DENY_ATTACH, NULL, "agent-unknown",
		          "transport=unix peer=%s errno=%d", peer->name, -rc);
		return -EACCES;
	}
	if (rc == 0)
		return 0;
	memset(who, 0, sizeof *who);
	who->role = HIVE_ROLE_WORKER;
	snprintf(who->subject, sizeof who->subject, "%s", aid);
	return 1;
}

int srv_accept(struct srv *srv, int fd, const char *transport, const struct peer *peer)
{
	struct hive *hive = srv->hive;
	int is_unix = strcmp(transport, "unix") == 0;
	long long peer_uid = is_unix ? peer->uid : -1;
	struct principal agent;
	char agent_key[HIVE_SUBJECT_MAX + 8];
	const char *key = peer->key;
	/* Any process in an agent's cgroup is that agent, never queen,
	 * whatever its uid: asked before the owner's uid counts. */
	int is_agent = is_unix ? srv_agent_of_peer(srv, fd, peer, &agent) : 0;
	if (is_agent < 0)
		return is_agent;
	if (is_agent) {
		peer_uid = -1;
		snprintf(agent_key, sizeof agent_key, "aid=%s", agent.subject);
		key = agent_key; /* its pool share is its own, not its uid's */
	}
	/* The owner's Unix peer is known by its credentials: it skips the
	 * pre-auth pool and may use the table's reserve. */
	int owner = peer_uid >= 0 && (uid_t)peer_uid == hive->owner_uid;
	struct hive_session *hs = hive_session_admit(hive, transport, peer->name, key, owner, !owner);
	if (!hs)
		return -EBUSY; /* counted and logged by the admission */
	return srv_conn_start(srv, fd, hs, is_unix, peer_uid, is_agent ? &agent : NULL);
}

int srv_adopt(struct srv *srv, int fd, const struct principal *who)
{
	char name[HIVE_SUBJECT_MAX + 8];
	if (!who || who->role != HIVE_ROLE_WORKER || !who->subject[0])
		return -EINVAL;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	snprintf(name, sizeof name, "aid=%s", who->subject);
	/* Made by the hive, named by it: no pool, no throttle key. Not the
	 * owner either: agents leave the owner's reserve alone. */
	struct hive_session *hs = hive_session_admit(srv->hive, "agent", name, "", 0, 0);
	if (!hs)
		return -EBUSY;
	return srv_conn_start(srv, fd, hs, 0, -1, who);
}

static void srv_sweep(struct loop *loop, void *arg)
{
	struct srv *srv = arg;
	uint64_t now = loop_now_ms();
	uint32_t idle = srv->hive->cfg.idle_timeout_ms;
	struct srv_conn *next;
	srv_reap(srv);
	for (struct srv_conn *c = srv->conns; c; c = next) {
		next = c->next;
		struct conn_timeouts t = { .handshake_ms = c->attached ? 0 : srv->handshake_ms,
		                           .frame_ms = HIVE_FRAME_TIMEOUT_MS,
		                           .idle_ms = idle };
		enum conn_timeout why = conn_clock_expired(&c->clock, &t, now);
		if (why != CONN_TIMEOUT_NONE) {
			srv_conn_close(c, why == CONN_TIMEOUT_HANDSHAKE ? "handshake-timeout"
			                  : why == CONN_TIMEOUT_FRAME   ? "frame-timeout"
			                                                : "idle-timeout");
			continue;
		}
		if (!c->rxlen && c->rx && now - c->clock.last_ms > SRV_RX_SHRINK_IDLE_MS) {
			free(c->rx);
			c->rx = NULL;
			c->rxoff = c->rxcap = 0;
		}
	}
}

struct srv *srv_new(struct hive *hive)
{
	struct srv *srv = calloc(1, sizeof *srv);
	if (!srv)
		return NULL;
	srv->hive = hive;
	srv->owner_gid = getegid();
	srv->handshake_ms = HIVE_HANDSHAKE_TIMEOUT_MS;
	int id = loop_add_timer(hive->loop, SRV_SWEEP_MS, srv_sweep, srv);
	if (id < 0) {
		free(srv);
		errno = -id;
		return NULL;
	}
	srv->sweep_timer = id;
	return srv;
}

void srv_free(struct srv *srv)
{
	if (!srv)
		return;
	while (srv->conns)
		srv_conn_close(srv->conns, NULL);
	srv_reap(srv);
	loop_del_timer(srv->hive->loop, srv->sweep_timer);
	free(srv);
}
