/*
 * console.c — the framed line console: sessions, framing and which
 * timeout row a session gets. Its TCP listener is net/listen.h's. The output queue and the timeout clock
 * are net/conn.h's, shared with 9P; the verbs live in console_verbs.c.
 *
 * Each session is a TCP socket speaking Cohesix's console wire: u32 LE
 * length (counting itself) + one UTF-8 line, both ways. Reading stops while
 * a session's unsent replies exceed HIVE_CONSOLE_OUTQ_BYTES_MAX, so a
 * client that does not read cannot make the hive buffer without bound. A
 * frame with an impossible length cannot be skipped safely (the next
 * "length" would be attacker-chosen payload), so it closes the session.
 * Closing is graceful: the last reply is flushed, SHUT_WR is sent and the
 * peer's remaining input is drained, so the peer reads the reply instead of
 * a reset.
 */
#include "console.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console_int.h"
#include "lib/fileio.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/net/auth.h"
#include "hived/net/listen.h"
#include "hived/net/peer.h"

/* hived runs one hive per process; the console keeps its state here. */
static struct console *console_g;

static void session_free(struct console_session *s)
{
	struct console *con = s->con;
	loop_del_fd(con->hive->loop, s->fd);
	close(s->fd);
	if (s->close_why)
		hive_event(con->hive, &s->hs->who, "session", NULL,
		           "closed id=%llu reason=%s transport=console peer=%s",
		           (unsigned long long)s->hs->id, s->close_why, s->hs->peer);
	if (s->prev)
		s->prev->next = s->next;
	else
		con->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	hive_session_remove(con->hive, s->hs);
	conn_outq_free(&s->outq);
	free(s);
}

static void session_watch(struct console_session *s)
{
	uint32_t ev = 0;
	if (s->closing)
		ev |= EPOLLIN; /* drain and discard until EOF, so the peer is not reset */
	else if (!conn_outq_full(&s->outq) && s->rxlen < sizeof s->rx)
		ev |= EPOLLIN;
	if (s->outq.len)
		ev |= EPOLLOUT;
	if (ev != s->events && loop_mod_fd(s->con->hive->loop, s->fd, ev) == 0)
		s->events = ev;
}

/* The hive closes a misbehaving session: a cut, through the deny door
 * (its row stands for the `session closed` row). */
static void console_cut(struct console_session *s, const char *why)
{
	if (s->closing)
		return;
	hive_deny(s->con->hive, &s->hs->who, HIVE_PRESSURE_CUT, HIVE_DENY_CUT, NULL, why,
	          "id=%llu transport=console peer=%s", (unsigned long long)s->hs->id, s->hs->peer);
	console_close_after_reply(s, NULL);
}

/* Send what is queued. Returns 0, or -1 when the session is gone. */
static int session_flush(struct console_session *s)
{
	if (conn_outq_flush(&s->outq, s->fd) < 0) {
		session_free(s);
		return -1;
	}
	if (!s->outq.len && s->closing && !s->shut) {
		shutdown(s->fd, SHUT_WR);
		s->shut = 1;
	}
	return 0;
}

static int session_queue(struct console_session *s, const void *payload, size_t n)
{
	uint8_t frame[CONSOLE_FRAME_MAX];
	if (n > HIVE_CONSOLE_LINE_MAX)
		n = HIVE_CONSOLE_LINE_MAX; /* callers cut already; never overrun */
	console_frame_header(frame, n);
	memcpy(frame + CONSOLE_HDR, payload, n);
	int rc = conn_outq_append(&s->outq, frame, CONSOLE_HDR + n);
	if (rc == -ENOBUFS) {
		/* Cannot happen with bounded replies; if it does, fail closed. */
		console_cut(s, "output-overflow");
		return rc;
	}
	if (rc < 0) {
		console_close_after_reply(s, "out-of-memory");
		return rc;
	}
	s->hs->tx_msgs++;
	return 0;
}

static int session_vreply(struct console_session *s, const char *prefix, const char *fmt, va_list ap)
{
	char line[HIVE_CONSOLE_LINE_MAX + 1];
	size_t len = 0;
	if (prefix) {
		int k = snprintf(line, sizeof line, "%s", prefix);
		len = k < 0 ? 0 : (size_t)k < sizeof line ? (size_t)k : sizeof line - 1;
	}
	if (fmt && len < sizeof line - 1) {
		int k = vsnprintf(line + len, sizeof line - len, fmt, ap);
		if (k > 0)
			len += (size_t)k < sizeof line - len ? (size_t)k : sizeof line - len - 1;
	}
	/* A reply is at most one line: cut long ones at a character boundary. */
	len = console_utf8_cut((const uint8_t *)line, len, HIVE_CONSOLE_LINE_MAX);
	return session_queue(s, line, len);
}

int console_reply(struct console_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = session_vreply(s, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int console_reply_bytes(struct console_session *s, const void *data, size_t n)
{
	uint8_t line[HIVE_CONSOLE_LINE_MAX];
	if (n > sizeof line)
		n = sizeof line;
	memcpy(line, data, n);
	console_sanitize(line, n);
	n = console_utf8_cut(line, n, HIVE_CONSOLE_LINE_MAX);
	return session_queue(s, line, n);
}

int console_refuse(struct console_session *s, const char *verb, const char *reason,
                   const char *fmt, ...)
{
	char prefix[64 + HIVE_CONSOLE_VERB_MAX];
	snprintf(prefix, sizeof prefix, "ERR %s reason=%s%s", verb, reason, fmt ? " " : "");
	va_list ap;
	va_start(ap, fmt);
	int rc = session_vreply(s, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

void console_close_after_reply(struct console_session *s, const char *why)
{
	if (!s->closing) {
		s->close_why = why;
		s->closing = 1;
		s->close_ms = loop_now_ms();
		s->clock.frame_ms = 0;
	}
}

/* Handle the whole frames received so far, while the output has room. */
static void session_process(struct console_session *s)
{
	while (!s->closing && !conn_outq_full(&s->outq)) {
		size_t flen = 0;
		int rc = console_frame_parse(s->rx, s->rxlen, &flen);
		if (rc < 0) {
			console_refuse(s, "FRAME", "invalid-length", NULL);
			s->rxlen = 0;
			console_cut(s, "bad-frame-size");
			break;
		}
		if (rc == 0) {
			conn_clock_partial(&s->clock, s->rxlen != 0, loop_now_ms());
			break;
		}
		char line[HIVE_CONSOLE_LINE_MAX + 1];
		size_t n = flen - CONSOLE_HDR;
		memcpy(line, s->rx + CONSOLE_HDR, n);
		line[n] = '\0';
		memmove(s->rx, s->rx + flen, s->rxlen - flen);
		s->rxlen -= flen;
		/* What follows a whole frame starts a frame clock of its own. */
		conn_clock_frame(&s->clock, loop_now_ms());
		conn_clock_partial(&s->clock, s->rxlen != 0, s->clock.last_ms);
		s->hs->rx_msgs++;
		s->hs->last_ms = s->clock.last_ms;
		const char *why = NULL;
		if (console_line_check((const uint8_t *)line, n, &why) < 0) {
			console_refuse(s, "PARSE", "policy", "detail=%s", why);
			continue;
		}
		console_dispatch(s, line, n);
	}
}

static void session_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct console_session *s = arg;
	if (events & EPOLLERR) {
		session_free(s);
		return;
	}
	if (events & EPOLLOUT) {
		if (session_flush(s) < 0)
			return;
		session_process(s); /* frames held back by a full queue */
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		uint8_t junk[512];
		uint8_t *dst = s->closing ? junk : s->rx + s->rxlen;
		size_t room = s->closing ? sizeof junk : sizeof s->rx - s->rxlen;
		ssize_t n = room ? recv(fd, dst, room, 0) : 0;
		if (n == 0 && room) {
			/* EOF: nothing more will be asked; drop what cannot be answered. */
			session_free(s);
			return;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			session_free(s);
			return;
		}
		if (n > 0 && !s->closing) {
			s->rxlen += (size_t)n;
			session_process(s);
		}
	}
	if (session_flush(s) < 0)
		return;
	session_watch(s);
}

/* A socket from the listener (listen_accept_fn). On failure the listener
 * closes fd. */
static int session_new(void *arg, int fd, const char *transport, const struct peer *peer)
{
	struct console *con = arg;
	struct hive *hive = con->hive;
	/* Every console peer needs AUTH and a ticket: it waits in the pre-auth pool. */
	struct hive_session *hs = hive_session_admit(hive, transport, peer->name, peer->key, 0, 1);
	if (!hs) {
		/* Counted and logged by the admission. Best effort: one frame,
		 * then close; the socket is fresh, so it fits. */
		static const char msg[] = "ERR CONSOLE reason=busy detail=sessions-full";
		uint8_t frame[CONSOLE_HDR + sizeof msg];
		console_frame_header(frame, sizeof msg - 1);
		memcpy(frame + CONSOLE_HDR, msg, sizeof msg - 1);
		ssize_t w = send(fd, frame, CONSOLE_HDR + sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
		return -EBUSY;
	}
	int rc = -ENOMEM;
	struct console_session *s = calloc(1, sizeof *s);
	if (!s)
		goto fail;
	s->con = con;
	s->hs = hs;
	s->fd = fd;
	s->state = CONSOLE_NEW;
	conn_clock_start(&s->clock, loop_now_ms());
	conn_outq_init(&s->outq, HIVE_CONSOLE_OUTQ_BYTES_MAX, HIVE_CONSOLE_REPLY_BYTES_MAX);
	snprintf(hs->dialect, sizeof hs->dialect, "console");
	hs->who.role = HIVE_ROLE_NONE;
	hs->who.subject[0] = '\0';
	hs->who.session_id = hs->id;
	hs->who.transport = "console";
	hs->last_ms = s->clock.since_ms;
	rc = loop_add_fd(hive->loop, fd, EPOLLIN, session_io, s);
	if (rc < 0)
		goto fail;
	s->events = EPOLLIN;
	s->next = con->sessions;
	if (con->sessions)
		con->sessions->prev = s;
	con->sessions = s;
	return 0;
fail:
	free(s);
	hive_session_remove(hive, hs);
	return rc;
}

static void console_sweep(struct loop *loop, void *arg)
{
	struct console *con = arg;
	uint64_t now = loop_now_ms();
	uint32_t idle = con->hive->cfg.idle_timeout_ms;
	struct console_session *next;
	for (struct console_session *s = con->sessions; s; s = next) {
		next = s->next;
		if (s->closing) {
			if (now - s->close_ms >= HIVE_CONSOLE_LINGER_MS)
				session_free(s);
			continue;
		}
		/* AUTH and ATTACH share one deadline from accept. */
		struct conn_timeouts t = {
			.handshake_ms = s->state == CONSOLE_ATTACHED ? 0 : HIVE_CONSOLE_AUTH_TIMEOUT_MS,
			.frame_ms = HIVE_FRAME_TIMEOUT_MS,
			.idle_ms = idle,
		};
		const char *why;
		switch (conn_clock_expired(&s->clock, &t, now)) {
		case CONN_TIMEOUT_HANDSHAKE:
			if (s->state == CONSOLE_NEW) {
				why = "auth-timeout";
				console_refuse(s, "AUTH", "policy", "detail=timeout");
			} else {
				why = "attach-timeout";
				console_refuse(s, "ATTACH", "policy", "detail=attach-timeout");
			}
			break;
		case CONN_TIMEOUT_FRAME:
			why = "frame-timeout";
			console_refuse(s, "FRAME", "policy", "detail=timeout");
			break;
		case CONN_TIMEOUT_IDLE:
			why = "idle-timeout";
			console_refuse(s, "CONSOLE", "policy", "detail=idle-timeout");
			break;
		default:
			continue;
		}
		console_cut(s, why);
		if (session_flush(s) < 0)
			continue;
		session_watch(s);
	}
}

/* The port a client reads to find the console; world-readable, written whole. */
static int write_port_file(const char *path, int port)
{
	char buf[16];
	int n = snprintf(buf, sizeof buf, "%d\n", port);
	return fileio_write_atomic(path, buf, (size_t)n, 0644);
}

int console_start(struct hive *hive)
{
	if (hive->cfg.console_port < 0)
		return 0;
	if (console_g)
		return -EALREADY;
	struct console *con = calloc(1, sizeof *con);
	if (!con)
		return -ENOMEM;
	con->hive = hive;
	con->timer = -1;
	const char *addr = hive->cfg.console_addr[0] ? hive->cfg.console_addr : "127.0.0.1";
	struct listen_to to = { "console", HIVE_CONSOLE_ACCEPT_BATCH, session_new, con };
	char why[256];
	int port = 0;
	int rc = listen_tcp_to(hive, &to, addr, hive->cfg.console_port, &port, &con->lst, why,
	                       sizeof why);
	if (rc < 0) {
		fprintf(stderr, "hived: console: %s\n", why);
		goto fail;
	}
	if (snprintf(con->portfile, sizeof con->portfile, "%s/console.port", hive->cfg.state_dir) >=
	    (int)sizeof con->portfile) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	rc = loop_add_timer(hive->loop, HIVE_CONSOLE_SWEEP_MS, console_sweep, con);
	if (rc < 0)
		goto fail;
	con->timer = rc;
	/* Last: the port file tells clients the console is ready. */
	rc = write_port_file(con->portfile, port);
	if (rc < 0) {
		loop_del_timer(hive->loop, con->timer);
		goto fail;
	}
	if (!hive->cfg.console_token[0])
		fprintf(stderr, "hived: console: no token configured; every AUTH will fail\n");
	fprintf(stderr, "hived: console listening on %s:%d\n", addr, port);
	console_g = con;
	return 0;
fail:
	listen_close(con->lst);
	free(con);
	return rc;
}

void console_stop(struct hive *hive)
{
	struct console *con = console_g;
	if (!con || con->hive != hive)
		return;
	while (con->sessions)
		session_free(con->sessions);
	loop_del_timer(hive->loop, con->timer);
	listen_close(con->lst);
	unlink(con->portfile);
	free(con);
	console_g = NULL;
}
