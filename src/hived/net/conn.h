/*
 * conn.h — what every hive connection has, whatever it frames: a bounded
 * output queue and the clock its timeouts are read from.
 *
 * The 9P server and the console frame and dispatch differently, but both
 * must not buffer without bound for a client that does not read, and both
 * cut a client that holds a session without finishing its handshake, a
 * frame, or anything at all. Those mechanics live here once; the servers
 * keep their framing, their dispatch and their refusal rows.
 */
#ifndef HIVE_CONN_H
#define HIVE_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* First size of an output queue; it doubles up to its hard bound and is
 * freed once drained. */
#define CONN_OUTQ_INITIAL 4096u

/*
 * Bytes the socket did not take yet, at buf[off, off + len). The owner
 * stops reading once conn_outq_full() (back-pressure), so the queue holds
 * at most `high` plus what one turn adds (`slack`); appending past that
 * fails, and the caller cuts the session.
 */
struct conn_outq {
	uint8_t *buf;    /* allocated while non-empty */
	size_t off, len, cap;
	size_t high;     /* back-pressure threshold */
	size_t max;      /* hard bound: high + slack */
};

/* An empty queue that pushes back at `high` bytes and holds at most
 * high + slack. Holds no memory until something is queued. */
void conn_outq_init(struct conn_outq *q, size_t high, size_t slack);
/* Drop what waits and free the buffer (the queue stays usable). */
void conn_outq_free(struct conn_outq *q);
/* Past the back-pressure threshold: the owner must stop reading. */
static inline int conn_outq_full(const struct conn_outq *q)
{
	return q->len >= q->high;
}
/* Append n bytes. Returns 0, -ENOBUFS when that would pass the hard bound
 * (nothing is queued: the caller cuts the session), or -ENOMEM. */
int conn_outq_append(struct conn_outq *q, const void *p, size_t n);
/*
 * Send iov[0..n) behind what waits: appended if something does, else
 * written with one writev and only what the socket does not take is
 * appended. Returns 0, -errno if the socket broke (the read side will see
 * the hang-up), or conn_outq_append's error.
 */
int conn_outq_send(struct conn_outq *q, int fd, const struct iovec *iov, int n);
/* Write what waits; the buffer is freed once drained. Returns 0 (also
 * when the socket takes only part), or -errno if the socket broke. */
int conn_outq_flush(struct conn_outq *q, int fd);

/* Which timeout, if any, a connection has run into. */
enum conn_timeout {
	CONN_TIMEOUT_NONE,
	CONN_TIMEOUT_HANDSHAKE, /* connected, not attached in time */
	CONN_TIMEOUT_FRAME,     /* part of a frame, the rest not in time */
	CONN_TIMEOUT_IDLE,      /* no whole frame in time */
};

/* The limits a server applies (ms; 0 = none). A session past its
 * handshake passes handshake_ms = 0. */
struct conn_timeouts {
	uint32_t handshake_ms, frame_ms, idle_ms;
};

/* When a connection began, last sent a whole frame, and began the partial
 * frame it holds (0 if none). Times are loop_now_ms(). */
struct conn_clock {
	uint64_t since_ms, last_ms, frame_ms;
};

/* Connected at now. */
void conn_clock_start(struct conn_clock *k, uint64_t now);
/* A whole frame arrived at now: the connection is active and holds no
 * partial frame until conn_clock_partial says otherwise. */
void conn_clock_frame(struct conn_clock *k, uint64_t now);
/* Whether part of a frame waits now: the frame clock starts at the first
 * such moment and stops when none waits. */
void conn_clock_partial(struct conn_clock *k, int partial, uint64_t now);
/* The first timeout (handshake, then frame, then idle) that has run its
 * full length at now, or CONN_TIMEOUT_NONE. */
enum conn_timeout conn_clock_expired(const struct conn_clock *k, const struct conn_timeouts *t,
                                     uint64_t now);

#endif
