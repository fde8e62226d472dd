/*
 * hive.h — the daemon's shared state: configuration, the tree, the log,
 * the lifecycle, counters and the table of live sessions.
 *
 * One `struct hive` per hived process, owned by main.c and handed to
 * every part at start. Parts keep their own state behind their headers;
 * this struct only holds what several parts read.
 */
#ifndef HIVE_HIVE_H
#define HIVE_HIVE_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/defaults.h"
#include "kernel.h"
#include "lifecycle.h"
#include "hived/ns/ns.h"
#include "trust/principal.h"
#include "trust/ticket.h"


struct loop;

struct hive_config {
	char state_dir[HIVE_PATH_MAX];
	char unix_path[HIVE_PATH_MAX]; /* default <state_dir>/hive.sock */
	char tcp_addr[64];             /* default 127.0.0.1; "" = TCP off */
	int tcp_port;                  /* default HIVE_DEFAULT_TCP_PORT; 0 = any free port */
	int console_port;              /* -1 = console off (default) */
	char console_addr[64];         /* default 127.0.0.1 */
	char console_token[HIVE_SECRET_MAX]; /* AUTH token of the console */
	uint32_t idle_timeout_ms;      /* default HIVE_IDLE_TIMEOUT_MS */
	int test_fixtures;             /* --test-fixtures: serve /test (see tree.c) */
};

/* Refusal counters by class (Cohesix /proc/pressure): busy, quota, cut, policy. */
enum hive_pressure_class { HIVE_PRESSURE_BUSY, HIVE_PRESSURE_QUOTA, HIVE_PRESSURE_CUT, HIVE_PRESSURE_POLICY };
struct hive_pressure {
	uint64_t busy, quota, cut, policy;
};

/* What a principal was refused: the deny door counts each kind apart so a
 * test (and /proc/pressure) can check counters, rows and records agree. */
enum hive_deny_op {
	HIVE_DENY_WALK, HIVE_DENY_OPEN, HIVE_DENY_WRITE, HIVE_DENY_REMOVE, HIVE_DENY_WSTAT,
	HIVE_DENY_SETATTR, HIVE_DENY_ATTACH, HIVE_DENY_TICKET, HIVE_DENY_THROTTLE, HIVE_DENY_CTL,
	HIVE_DENY_SESSION, /* a connection refused for a full table or pool */
	HIVE_DENY_OPS,
};
/* "walk", "open", ... as written in rows and /proc/pressure. */
const char *hive_deny_op_name(enum hive_deny_op op);

/* 9P requests handed to the handlers, by the session's dialect after the
 * request (so a Tversion counts under the dialect it negotiated) and type
 * (/proc/9p). Indexes are enum ninep_dialect (none, 9P2000, 9P2000.L) and
 * the one-byte type number of the wire. */
#define HIVE_9P_DIALECTS 3u
#define HIVE_9P_TYPES 256u
struct hive_9p_counts {
	uint64_t msgs[HIVE_9P_DIALECTS][HIVE_9P_TYPES];
};

struct hive_session {
	struct hive_session *next, *prev;
	uint64_t id;
	const char *transport; /* "unix", "tcp", "console" */
	char peer[64];         /* "uid=1000 pid=42" or "127.0.0.1:51234" */
	char dialect[16];      /* "9P2000.L", "9P2000", "console", "" before version */
	struct principal who;
	uint64_t since_ms;     /* loop_now_ms() at accept */
	uint64_t last_ms;      /* last message */
	uint64_t rx_msgs, tx_msgs;
	uint32_t fids;
};

struct hive {
	struct hive_config cfg;
	struct loop *loop;
	struct ns *ns;
	struct ns_ring *log; /* /log/queen.log */
	struct lifecycle lifecycle;
	struct ticket_keys keys;
	struct hive_pressure pressure;
	uint64_t denials[HIVE_DENY_OPS]; /* by op; their sum is pressure's sum */
	struct hive_9p_counts ninep;
	uid_t owner_uid;
	uint64_t start_ms;    /* loop_now_ms() at start */
	int64_t start_wall;   /* Unix seconds at start */
	uint64_t next_session_id;
	struct hive_session *sessions;
	uint32_t nsessions;
	uint64_t sessions_total, sessions_refused;
	struct kernel kernel; /* what the kernel offers, probed at start (/proc/status) */
};

/* Register / unregister a live session (for /proc/sessions and limits).
 * hive_session_add returns NULL when HIVE_SESSIONS_MAX are live. */
struct hive_session *hive_session_add(struct hive *hive, const char *transport, const char *peer);
void hive_session_remove(struct hive *hive, struct hive_session *s);

/* Record an event: a line in /log/queen.log now, an audit row later.
 * event is one word ("attach", "deny", "lifecycle", "ctl", ...); object is
 * a path or id (may be NULL); detail is free key=value text. */
void hive_event(struct hive *hive, const struct principal *who, const char *event,
                const char *object, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The one deny door: every refusal of a principal passes here, and only
 * here, so the count, the row and (once the audit chain lands) the record
 * cannot disagree. In that order: count pressure[cls] and denials[op],
 * write the row `<op-event> ... object=<object> outcome=deny reason=<reason>
 * <detail>`, append the record. who may be NULL (a peer before it has a
 * principal); object may be NULL; reason is one word.
 */
void hive_deny(struct hive *hive, const struct principal *who, enum hive_pressure_class cls,
               enum hive_deny_op op, const char *object, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Build the namespace: /proc, /log, /queen, /agent. Returns 0 or -errno. */
int hive_tree_build(struct hive *hive);
/* Free what hive_tree_build made (hive->ns, hive->log) and set them NULL;
 * safe on a hive never or partly built, and with fids still open. */
void hive_tree_free(struct hive *hive);
/* The `visible` hook for everything under /agent/<aid>: queen and
 * observer see every agent; a worker sees /agent/<aid> and below only
 * when <aid> equals its subject. */
int hive_agent_visible(const struct ns_node *node, const struct principal *who);

#endif
