/*
 * conn.c — a connection's bounded output queue and its timeout clock,
 * shared by the 9P server and the console.
 *
 * The queue is written with write/writev (not send), so it serves a
 * virtio-serial port as well as a socket; hived ignores SIGPIPE, so a
 * broken peer shows up as EPIPE here.
 */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void conn_outq_init(struct conn_outq *q, size_t high, size_t slack)
{
	memset(q, 0, sizeof *q);
	q->high = high;
	q->max = high + slack;
}

void conn_outq_free(struct conn_outq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->off = q->len = q->cap = 0;
}

int conn_outq_append(struct conn_outq *q, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (q->len + n > q->max)
		return -ENOBUFS;
	if (q->off + q->len + n > q->cap) {
		if (q->off) {
			memmove(q->buf, q->buf + q->off, q->len);
			q->off = 0;
		}
		if (q->len + n > q->cap) {
			/* Grow geometrically: a queue filled by many small
			 * replies must not realloc once per reply. */
			size_t cap = q->cap ? q->cap * 2 : CONN_OUTQ_INITIAL;
			while (cap < q->len + n)
				cap *= 2;
			if (cap > q->max)
				cap = q->max;
			uint8_t *b = realloc(q->buf, cap);
			if (!b)
				return -ENOMEM;
			q->buf = b;
			q->cap = cap;
		}
	}
	memcpy(q->buf + q->off + q->len, p, n);
	q->len += n;
	return 0;
}

int conn_outq_send(struct conn_outq *q, int fd, const struct iovec *iov, int n)
{
	struct iovec v[4];
	size_t total = 0;
	int k = 0;
	if (n < 0 || n > (int)(sizeof v / sizeof v[0]))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len)
			v[k++] = iov[i];
		total += iov[i].iov_len;
	}
	/* Appended whole or not at all, so a reply is never cut in two. */
	if (q->len + total > q->max)
		return -ENOBUFS;
	int first = 0;
	while (!q->len && first < k) {
		ssize_t w = writev(fd, v + first, k - first);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			break;
		}
		for (; first < k && w > 0; first++) {
			size_t t = (size_t)w < v[first].iov_len ? (size_t)w : v[first].iov_len;
			v[first].iov_base = (uint8_t *)v[first].iov_base + t;
			v[first].iov_len -= t;
			w -= (ssize_t)t;
			if (v[first].iov_len)
				break;
		}
	}
	for (int i = first; i < k; i++) {
		int rc = conn_outq_append(q, v[i].iov_base, v[i].iov_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int conn_outq_flush(struct conn_outq *q, int fd)
{
	while (q->len) {
		ssize_t w = write(fd, q->buf + q->off, q->len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		q->off += (size_t)w;
		q->len -= (size_t)w;
	}
	if (!q->len)
		conn_outq_free(q); /* drained: an idle connection keeps no queue */
	return 0;
}

void conn_clock_start(struct conn_clock *k, uint64_t now)
{
	k->since_ms = k->last_ms = now;
	k->frame_ms = 0;
}

void conn_clock_frame(struct conn_clock *k, uint64_t now)
{
	k->last_ms = now;
	k->frame_ms = 0;
}

void conn_clock_partial(struct conn_clock *k, int partial, uint64_t now)
{
	if (!partial)
		k->frame_ms = 0;
	else if (!k->frame_ms)
		k->frame_ms = now;
}

enum conn_timeout conn_clock_expired(const struct conn_clock *k, const struct conn_timeouts *t,
                                     uint64_t now)
{
	if (t->handshake_ms && now - k->since_ms >= t->handshake_ms)
		return CONN_TIMEOUT_HANDSHAKE;
	if (t->frame_ms && k->frame_ms && now - k->frame_ms >= t->frame_ms)
		return CONN_TIMEOUT_FRAME;
	if (t->idle_ms && now - k->last_ms >= t->idle_ms)
		return CONN_TIMEOUT_IDLE;
	return CONN_TIMEOUT_NONE;
}
