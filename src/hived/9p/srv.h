/*
 * srv.h — the 9P server: sessions, their fid tables, and the handlers.
 *
 * Listeners hand every accepted socket to srv_accept(); from then on the
 * session lives on the loop: frames in, replies out, limits enforced.
 * The first part of this header is what listen.c and main.c use; the
 * rest is shared by srv.c (sessions, framing, I/O, limits), srv_fid.c
 * (the fid table), srv_ops.c and srv_attach.c (the message handlers) only.
 */
#ifndef HIVE_SRV_H
#define HIVE_SRV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/limits.h"
#include "hived/net/conn.h"
#include "hived/net/peer.h"
#include "ninep/ninep.h"
#include "trust/principal.h"

struct hive;
struct srv;

/* Create the server for `hive` (starts its sweep timer on hive->loop). */
struct srv *srv_new(struct hive *hive);
/* Close every session and free the server. */
void srv_free(struct srv *srv);

/*
 * Take an accepted, nonblocking socket. `peer` (peer.h) says who it is:
 * its name for /proc/sessions, its uid (the owner's Unix peer is queen)
 * and its key for the pre-auth pool and the throttle. Returns 0, or
 * -EBUSY when the table or the pool refuses it (counted and logged) or
 * -errno; on failure the caller still owns fd.
 */
int srv_accept(struct srv *srv, int fd, const char *transport, const struct peer *peer);
/*
 * Serve fd, a connected socket the hive made itself (one end of a
 * socketpair handed to an agent at spawn), as a session that is `who`
 * (a worker with its aid as subject): its Tattach succeeds as that
 * principal whatever uname, aname or afid say, with no ticket; it takes
 * no slot of the pre-auth pool and never meets the throttle. Transport
 * "agent" in /proc/sessions. Returns 0, or -EINVAL (who is not a worker
 * with a subject), -EBUSY (the table is full) or -errno; on failure the
 * caller still owns fd.
 */
int srv_adopt(struct srv *srv, int fd, const struct principal *who);
/* Live 9P sessions. */
uint32_t srv_count(const struct srv *srv);
/* Time a session has from connect to its first attach (ms; 0 = no limit;
 * default HIVE_HANDSHAKE_TIMEOUT_MS). For peers that connect long before
 * they speak, e.g. a VM's virtio-serial port opened at VM start. */
void srv_set_handshake_timeout(struct srv *srv, uint32_t ms);

struct srv_conn;
/* Called once for every reply (errors and Rflush too) once it has been
 * handed to the session: written, queued, or dropped because the session
 * is already closing (the answer was decided all the same). `req` is the
 * header of the request it answers and reply[0..len) the encoded frame.
 * The hook point for what must see every answer (tests today, the audit
 * chain next); it must not reply itself. */
typedef void (*srv_reply_hook_fn)(struct srv_conn *c, const struct ninep_hdr *req,
                                  const uint8_t *reply, size_t len, void *arg);
/* Set the reply hook (NULL = none). */
void srv_set_reply_hook(struct srv *srv, srv_reply_hook_fn fn, void *arg);

/* --- inside srv ----------------------------------------------------------- */

/* Period of the sweep that enforces idle, frame and handshake timeouts and
 * shrinks idle receive buffers (ms). */
#define SRV_SWEEP_MS 500u
/* A session's receive buffer (only needed for leftovers between reads) is
 * freed once the session has been quiet this long with it empty (ms). */
#define SRV_RX_SHRINK_IDLE_MS 1000u
/* Replies to one batch of a session's frames are collected up to this many
 * bytes and written together (one syscall for a pipelining client's burst);
 * at most HIVE_OUTQ_BYTES_MAX, so a batch the socket does not take still
 * fits the queue's bound. */
#define SRV_TXBATCH_BYTES 16384u

struct ns_node;
struct ns_file;

struct srv_fid {
	uint32_t fid;
	struct ns_node *node;    /* a reference; NULL for an auth fid */
	struct ns_file *file;    /* open file, or NULL */
	struct principal who;    /* the attach this fid descends from */
	uint32_t depth;          /* path depth of node (root = 0) */
	/* 9P2000 directory reads: the byte offset the next read continues at
	 * and the index of the next child to send. */
	uint64_t dir_off;
	size_t dir_index;
	/* An auth fid (Tauth) collects a ticket written by the client. */
	char *ticket;            /* HIVE_TICKET_TOKEN_MAX + 1 bytes from the first write, or NULL */
	size_t ticket_len;
	int is_auth;
};

/* The fid table: a sorted array of pointers, bounded by HIVE_FIDS_MAX.
 * Sorted because lookups dominate and a binary search over at most 4096
 * entries is a dozen compares; an idle session holds no array at all. */
struct srv_fids {
	struct srv_fid **v;
	uint32_t n, cap;
	uint32_t nauth;          /* of the n, auth fids (at most HIVE_AUTH_FIDS_MAX) */
};

typedef void (*srv_fid_release_fn)(struct srv_fid *f, void *arg);

/* Find a fid, or NULL. */
struct srv_fid *srv_fids_get(const struct srv_fids *t, uint32_t fid);
/* Add a zeroed fid. Returns 0, -EEXIST if in use, -EMFILE at
 * HIVE_FIDS_MAX, -EINVAL for NOFID, -ENOMEM. */
int srv_fids_add(struct srv_fids *t, uint32_t fid, struct srv_fid **out);
/* Add a zeroed auth fid (is_auth set, no ticket buffer yet). As
 * srv_fids_add, and -EMFILE also when HIVE_AUTH_FIDS_MAX auth fids are held. */
int srv_fids_add_auth(struct srv_fids *t, uint32_t fid, struct srv_fid **out);
/* Remove and free one fid (release, if set, drops what it holds first).
 * Returns 0 or -ENOENT. */
int srv_fids_del(struct srv_fids *t, uint32_t fid, srv_fid_release_fn release, void *arg);
/* Remove and free every fid; the table keeps no memory. */
void srv_fids_clear(struct srv_fids *t, srv_fid_release_fn release, void *arg);

/* One 9P session. */
struct srv_conn {
	struct srv_conn *next, *prev;
	struct srv *srv;
	struct hive_session *hs;
	int fd;
	int is_unix;
	long long peer_uid;      /* -1 if not a Unix peer, or an agent */
	/* An agent's session (srv_adopt, or a Unix peer inside an agent's
	 * cgroup): it is fixed_who, whatever its attach says. */
	int fixed;
	struct principal fixed_who;
	enum ninep_dialect dialect;
	uint32_t msize;
	int attached;
	struct conn_clock clock; /* handshake, frame and idle timeouts */
	/* Receive buffer: what a read left unhandled (a partial frame, frames
	 * past this turn's share, or frames held back by back-pressure) at
	 * rx[rxoff, rxoff + rxlen); at most msize, none when idle. */
	uint8_t *rx;
	size_t rxoff, rxlen, rxcap;
	/* Output queue: what the socket did not take yet; pushes back at
	 * HIVE_OUTQ_BYTES_MAX, holds at most that plus one reply. */
	struct conn_outq txq;
	/* The request being answered: every reply takes its tag and type
	 * from here (srv_respond in srv.c), set from the frame's header. */
	struct ninep_hdr req;
	int reading;             /* EPOLLIN on */
	int dead;
	struct srv_fids fids;
	/* Tags of requests being handled. Requests are answered before the
	 * next one is parsed, so at most one is in flight; the table exists
	 * so a duplicate tag is refused if handling ever becomes deferred. */
	uint16_t inflight[HIVE_TAGS_MAX];
	uint32_t ninflight;
};

struct srv {
	struct hive *hive;
	int sweep_timer;
	struct srv_conn *conns;
	uint32_t nconns;
	struct srv_conn *zombies; /* closed, freed at the next sweep */
	gid_t owner_gid;
	uint32_t handshake_ms;
	srv_reply_hook_fn reply_hook;
	void *reply_hook_arg;
	/* One reply is built at a time (handling is synchronous), so all
	 * sessions share this msize-sized buffer; only unsent bytes are
	 * copied into a session's own queue. */
	uint8_t scratch[HIVE_MSIZE_MAX];
	/* Replies to the session whose frames are being handled (batch_conn,
	 * NULL between batches) collect here until its batch ends. */
	struct srv_conn *batch_conn;
	size_t batchlen;
	uint8_t batch[SRV_TXBATCH_BYTES];
	/* A session with nothing left over reads into this and its frames
	 * are handled in place (srv.c); leftovers go to its own rx. */
	uint8_t rxbuf[HIVE_MSIZE_MAX];
};

/* Answer the request being handled (c->req) with m's fields: the tag and
 * the type are set here (R = T + 1), not by the caller. Payloads may be
 * built in place in srv->scratch. */
int srv_reply(struct srv_conn *c, const struct ninep_msg *m);
/* Answer the request being handled with an error: Rerror on 9P2000,
 * Rlerror(code) on .L. */
int srv_error(struct srv_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Handle one decoded request (srv_ops.c). */
void srv_dispatch(struct srv_conn *c, const struct ninep_msg *m);
/* Release what a fid holds (its open file and node reference). */
void srv_fid_release(struct srv_fid *f, void *arg);
/* Tversion, Tauth, Tattach (srv_attach.c). */
void srv_op_version(struct srv_conn *c, const struct ninep_msg *m);
void srv_op_auth(struct srv_conn *c, const struct ninep_msg *m);
void srv_op_attach(struct srv_conn *c, const struct ninep_msg *m);

#endif
