/*
 * hostile9p.h — what the files of hostile9p share: limits, options, the
 * connection and raw-frame types, and every helper and scenario.
 *
 * hostile9p is a deliberately rude 9P client: proves hived survives
 * malformed, abusive and resource-hungry peers. Each scenario sends what a
 * correct client never would (lying sizes, reused tags, 17-name walks,
 * trickled bytes, a thousand idle sockets...) and expects a clear error on
 * the right tag or a prompt close. After every scenario a fresh,
 * well-behaved session must still be served (version, attach, walk
 * /proc/version, read). Output is TAP, one line per scenario; the table of
 * scenarios is docs/hostile-inputs.md; tests/integration/t0250 runs it.
 *
 *   main.c                 options, the scenario table, the runner, TAP output
 *   wire.c                 sockets, frames in and out, expect-*, raw frames
 *   session.c              valid requests, handshake/session, health check
 *   scenarios_framing.c    sizes, msize, versions, cut frames, garbage, timing
 *   scenarios_fids.c       fids, tags, flush, walks, clunk
 *   scenarios_io.c         counts, writes, opens, tree changes, plain 9P2000
 *   scenarios_auth.c       afids and tickets over TCP
 *   scenarios_resources.c  idle timeout, non-readers, fid and session limits
 *   scenarios_deny.c       K refusals of each kind as a worker (t0260)
 *   scenarios_strangers.c  attach floods, lockout per uid, the pre-auth pool
 *   scenarios_memory.c     what a worker can make hived hold (snapshots)
 */
#ifndef HOSTILE9P_H
#define HOSTILE9P_H

#include <stddef.h>
#include <stdint.h>

#include "lib/limits.h"
#include "ninep/ninep.h"

/* One frame a little past the largest msize: the over-msize scenarios send such frames. */
#define H9_FRAME_MAX (HIVE_MSIZE_MAX + 1024u)
/* How long a reply may take before we call the server hung (ms). */
#define H9_REPLY_MS 3000
/* How long a refused peer may wait for its close (ms). */
#define H9_CLOSE_MS 2000
/* Slack on top of a server timeout before we call it missed (ms); the
 * server's sweep runs every SRV_SWEEP_MS (500 ms). */
#define H9_SLACK_MS 3000
/* Latency of a healthy request we still call normal (ms): ASan build on a
 * shared CI machine. */
#define H9_LATENCY_MS 250
#define H9_IDLE_CONNS 1000u
#define H9_EXTRA_CONNS 100u
/* RSS growth allowed while one client refuses to read (KiB). */
#define H9_RSS_GROWTH_MAX_KB (16 * 1024)
/* Requests a non-reading client pushes before we stop (bytes): enough to
 * queue ~35 MiB of replies if the server had no back-pressure. */
#define H9_HOG_BYTES_MAX (4u << 20)
/* snapshot_hoard: worker sessions, and the fids of /proc/sessions each opens. */
#define H9_HOARD_SESSIONS 16u
#define H9_HOARD_FIDS 2000u
/* What one fid with an open file may cost hived besides its snapshot
 * (fid, open file, principal; ASan redzones included). */
#define H9_FID_COST_BYTES 1024u
/* Error text kept from the last error reply. */
#define H9_WHY_MAX 512

/* Command-line options, parsed by main.c. */
struct h9_options {
	const char *sock;
	const char *tcp;        /* "127.0.0.1:PORT" for the ticket scenarios, or NULL */
	const char *ticket;     /* a valid ticket for TCP attaches, or NULL */
	const char *worker_ticket; /* a worker ticket (from --worker-ticket-file), or NULL */
	int pid;
	uint32_t frame_ms, handshake_ms, idle_ms;
	const char *only;
};
extern struct h9_options opt;

/* Set by the TCP scenarios: sock_connect then dials opt.tcp (the health
 * check always uses the Unix socket). */
extern int via_tcp;                        /* in wire.c; the two below in main.c */
extern uint32_t via_bind;                  /* in wire.c: TCP source address, set per scenario */
extern char why[H9_WHY_MAX];               /* first failure of the running scenario */
extern char last_err[HIVE_ERRSTR_MAX];     /* last error reply, for notes */

/* --- main.c: the report ------------------------------------------------------ */

int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- wire.c: time, bytes, sockets --------------------------------------------- */

int64_t now_ms(void);
void sleep_ms(int ms);
uint32_t le32(const uint8_t *p);
void put_le(uint8_t *p, uint64_t v, int bytes);
int sock_connect(int nonblock);
int send_all(int fd, const void *buf, size_t n);
int read_full(int fd, uint8_t *p, size_t n, int64_t deadline);
long recv_frame(int fd, uint8_t *buf, size_t cap, int64_t deadline);

/* --- wire.c: a connection and its replies ------------------------------------- */

struct conn {
	int fd;
	enum ninep_dialect dialect;
	uint32_t msize;          /* negotiated (HIVE_MSIZE_MAX before) */
	struct ninep_qid root;   /* qid of the attach */
	size_t rlen;             /* last frame received: length, type, tag */
	uint8_t rtype;
	uint16_t rtag;
	int rdec;                /* ninep_decode's result for it */
	struct ninep_msg r;
	size_t txlen;            /* frames queued by c_put, sent by c_flush */
	uint8_t rx[H9_FRAME_MAX];
	uint8_t tx[H9_FRAME_MAX];
};

struct conn *c_open(enum ninep_dialect d);
void c_close(struct conn *c);
int c_put(struct conn *c, const struct ninep_msg *m);
int c_flush(struct conn *c);
int c_send(struct conn *c, const struct ninep_msg *m);
int c_recv(struct conn *c, int ms);
int is_err(const struct conn *c);
const char *reply_text(const struct conn *c);
int recv_fail(int rc, const char *wanted, uint16_t tag);
int expect(struct conn *c, uint8_t type, uint16_t tag);
int check_err_reply(const struct conn *c, uint16_t tag);
int expect_err(struct conn *c, uint16_t tag);
int expect_err_or_close(struct conn *c, uint16_t tag);
int expect_close(struct conn *c, int ms);

/* --- wire.c: hostile frames, built byte by byte -------------------------------- */

struct raw {
	size_t n;
	uint8_t b[H9_FRAME_MAX];
};
extern struct raw R; /* one hostile frame at a time */

void r_put(struct raw *r, uint64_t v, int bytes);
void r_bytes(struct raw *r, const void *p, size_t len);
void r_str(struct raw *r, const void *s, size_t len);
void r_begin(struct raw *r, uint8_t type, uint16_t tag);
void r_end(struct raw *r);
int r_send(struct conn *c, const struct raw *r);
int r_send_or_close(struct conn *c, const struct raw *r);
void hex(char *out, size_t cap, const uint8_t *p, size_t n);
void walk_frame(uint16_t tag, uint32_t newfid, int n, const char *const *names, const size_t *lens);
int walk_raw(struct conn *c, uint16_t tag, uint32_t newfid, int n, const char *const *names,
             const size_t *lens);
int peer_closed(int fd);

/* --- session.c: valid requests and the steps scenarios are made of ------------- */

long rss_kb(void);
int t_version(struct conn *c, uint32_t msize, const char *ver);
int t_attach_as(struct conn *c, uint16_t tag, uint32_t fid, uint32_t afid, const char *aname);
int t_attach(struct conn *c, uint16_t tag, uint32_t fid, uint32_t afid);
int t_auth(struct conn *c, uint16_t tag, uint32_t afid);
int t_walk(struct conn *c, uint16_t tag, uint32_t fid, uint32_t newfid, const char *path);
int t_open(struct conn *c, uint16_t tag, uint32_t fid, uint32_t mode);
void m_read(struct ninep_msg *m, uint8_t type, uint16_t tag, uint32_t fid, uint64_t off, uint32_t count);
int t_read(struct conn *c, uint8_t type, uint16_t tag, uint32_t fid, uint64_t off, uint32_t count);
int t_write(struct conn *c, uint16_t tag, uint32_t fid, const char *data);
int t_fid(struct conn *c, uint8_t type, uint16_t tag, uint32_t fid);
int t_flush(struct conn *c, uint16_t tag, uint16_t oldtag);
const char *dialect_name(enum ninep_dialect d);
int handshake(struct conn *c, uint32_t msize);
struct conn *session(enum ninep_dialect d, uint32_t msize);
int walk_ok(struct conn *c, uint32_t fid, uint32_t newfid, const char *path);
int open_ok(struct conn *c, uint32_t fid, const char *path);
int health(int64_t *latency);
int ping(struct conn *c, int64_t *worst);

/* --- scenarios_*.c ---------------------------------------------------------------- */

/* A walk name the server must refuse (arg of sc_walk_bad_name). */
struct badname {
	const char *s;
	size_t len;
};

/* scenarios_framing.c */
int sc_size_lie_silence(const void *arg);
int sc_size_invalid(const void *arg);
int sc_msize(const void *arg);
int sc_msize_frame_over(const void *arg);
int sc_version_unknown(const void *arg);
int sc_version_again(const void *arg);
int sc_before_version(const void *arg);
int sc_truncated(const void *arg);
int sc_garbage(const void *arg);
int sc_bad_types(const void *arg);
int sc_handshake_silence(const void *arg);
int sc_slowloris(const void *arg);

/* scenarios_fids.c */
int sc_attach_twice(const void *arg);
int sc_walk_newfid_in_use(const void *arg);
int sc_tag_reuse(const void *arg);
int sc_notag_request(const void *arg);
int sc_flush_unknown_tag(const void *arg);
int sc_flush_race(const void *arg);
int sc_walk_17(const void *arg);
int sc_walk_16_dotdot(const void *arg);
int sc_walk_bad_name(const void *arg);
int sc_clunk_unknown(const void *arg);
int sc_clunk_twice(const void *arg);
int sc_io_unopened(const void *arg);

/* scenarios_io.c */
int sc_count_huge(const void *arg);
int sc_write_count_lies(const void *arg);
int sc_write_readonly(const void *arg);
int sc_open_dir_write(const void *arg);
int sc_modify_refused(const void *arg);
/* scenarios_deny.c */
int sc_deny_door(const void *arg);
int sc_dialect_9p2000(const void *arg);
int sc_dir_read_offsets(const void *arg);

/* scenarios_auth.c */
int sc_attach_afid(const void *arg);
int sc_tcp_no_ticket(const void *arg);
int sc_tcp_auth_fids_max(const void *arg);
int sc_tcp_auth_fid_flood(const void *arg);
/* A 9P2000.L connection over --tcp past Tversion, or NULL (reported). */
struct conn *tcp_versioned(void);

/* scenarios_strangers.c */
int sc_tcp_attach_flood(const void *arg);
int sc_stranger_lockout(const void *arg);
int sc_stranger_holds_pool(const void *arg);

/* scenarios_resources.c */
int sc_idle_timeout(const void *arg);
int sc_never_reads(const void *arg);
int sc_fid_exhaustion(const void *arg);
int sc_idle_1000(const void *arg);
int sc_sessions_over_max(const void *arg);

/* scenarios_memory.c */
int sc_snapshot_hoard(const void *arg);

#endif
