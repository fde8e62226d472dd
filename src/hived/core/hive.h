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

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/defaults.h"
#include "kernel.h"
#include "lifecycle.h"
#include "trust/auditrec.h"
#include "hived/net/auth.h"
#include "hived/ns/ns.h"
#include "trust/principal.h"
#include "trust/sigkey.h"
#include "trust/ticket.h"


struct loop;
struct agents;
struct broker;
struct gpu;
struct audit;

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
	uint32_t agent_uid_base;       /* as root: agents run as base + n % count (--agent-uids) */
	uint32_t agent_uid_count;
	int landlock_abi_max;          /* --landlock-abi N: use at most ABI N (0 = the kernel's) */
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
	HIVE_DENY_CREATE,  /* a name made in the tree: create, mkdir, symlink, mknod, link */
	HIVE_DENY_RENAME,  /* a name moved in the tree */
	HIVE_DENY_VERB,    /* a request the session may not make yet (console verb before ATTACH) */
	HIVE_DENY_CUT,     /* a session closed by the hive for misbehaviour (class cut) */
	HIVE_DENY_SYSCALL, /* an agent's system call refused by its supervisor (row family "agent") */
	HIVE_DENY_SPAWN,   /* an agent that could not be started (sandbox step, bundle the kernel cannot honour) */
	HIVE_DENY_INFER,   /* an inference request the broker refused (row family "broker") */
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
	/* Who the peer is (peer.h): "uid=0@127.0.0.3", "uid=1000", "ip=10.1.2.3";
	 * the throttle's key, and up to '@' the pre-auth pool's. "" = untracked. */
	char peer_key[2 * HIVE_PEER_ID_MAX];
	/* The id of the ticket whose MAC held at the last attach, "" if none:
	 * rows name it so `hive ticket revoke ID` can be aimed from the log. */
	char ticket_id[TICKET_ID_LEN + 1];
	int pending;           /* in the pre-auth pool: not authenticated yet */
	int owner;             /* the hive owner's Unix socket: may use the reserve */
	char dialect[16];      /* "9P2000.L", "9P2000", "console", "" before version */
	struct principal who;
	uint64_t since_ms;     /* loop_now_ms() at accept */
	uint64_t last_ms;      /* last message */
	uint64_t rx_msgs, tx_msgs;
	uint32_t fids;
	/* stdin, stdout, stderr the client passed over the Unix socket
	 * (SCM_RIGHTS, `hive run`), -1 when none: the next `spawn ...
	 * stdio=passed` of this session hands them to its agent. */
	int stdio_fds[3];
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
	struct hive_deny_folds *deny_folds; /* repeated refusals not yet in a row (hive.c) */
	int deny_fold_timer;                /* loop timer id while folds are live, else 0 */
	struct hive_9p_counts ninep;
	uid_t owner_uid;
	uint64_t start_ms;    /* loop_now_ms() at start */
	int64_t start_wall;   /* Unix seconds at start */
	uint64_t next_session_id;
	struct hive_session *sessions;
	uint32_t nsessions;
	uint64_t sessions_total, sessions_refused;
	uint32_t npending, nowner; /* of nsessions: in the pre-auth pool; the owner's */
	struct auth_throttle throttle; /* attach back-off and lockout, both transports */
	struct kernel kernel; /* what the kernel offers, probed at start (/proc/status) */
	struct sigkey sigkey; /* the hive's own: signs attestations (<state>/keys/hive.key) */
	struct agents *agents; /* the agent part (hived/agent/agent.h) */
	struct gpu *gpu;       /* the GPU part (hived/gpu/gpu.h) */
	/* Serve fd as a 9P session already attached as `who` (an agent's own
	 * connection, HIVE_FD): set by main once the 9P server exists.
	 * Returns 0 or -errno (the caller still owns fd on failure). */
	int (*adopt_conn)(struct hive *hive, int fd, const struct principal *who);
	void *srv; /* the 9P server, for adopt_conn */
	/* Which agent's cgroup holds pid: 1 with its aid in aid[0..cap), 0
	 * not an agent's, -errno when it cannot be told. Asked for every
	 * peer of the Unix socket before its uid counts, so a process inside
	 * an agent's cgroup is that agent, never queen; -errno refuses the
	 * connection (fail closed). Set by the agent part; NULL: no agents. */
	int (*agent_of_pid)(struct hive *hive, pid_t pid, char *aid, size_t cap);
	/* The inference broker's bound loopback port, 0 when off: spawn gives
	 * agents holding an infer: cap OPENAI_BASE_URL and net.connect to it. */
	int broker_port;
	struct broker *broker; /* hived/broker/broker.h; NULL when off */
	/* A tenant's weight as /broker/ctl set it, 0 when never set (or no
	 * broker): spawn gives a tenant's new cgroup its CPU share. */
	uint32_t (*tenant_weight)(struct hive *hive, const char *tenant);
	/* The audit chain's writer (hived/audit/audit.h); NULL: no log kept
	 * (unit fixtures), every record door then answers 0. */
	struct audit *audit;
	/* The seq of the record the last door call appended, or the -errno
	 * that refused it: what an enforcement point asks after the door. */
	int64_t audit_last;
	int audit_failing_said; /* queen.log said the log fails (once per episode) */
	int audit_timer;        /* loop timer id of the checkpoint cadence, 0 none */
};

/*
 * Admit a connection. The hive owner's Unix socket (owner) may fill the
 * whole table; everyone else leaves it HIVE_OWNER_SESSIONS_RESERVE slots,
 * and a peer not yet authenticated (pending) takes a slot of the pre-auth
 * pool, at most HIVE_PREAUTH_PER_PEER_MAX per peer id. Returns NULL with
 * errno EMFILE (table), EUSERS (pool) or EAGAIN (this peer's share) after
 * the refusal (sessions_refused, a `session` deny row folded by peer id).
 */
struct hive_session *hive_session_admit(struct hive *hive, const char *transport, const char *peer,
                                        const char *peer_key, int owner, int pending);
/* accept(2) failed for lack of fds or memory (err): a connection refused
 * before it had a peer; counted and logged as hive_session_admit does. */
void hive_session_refused(struct hive *hive, const char *transport, int err);
/* The session authenticated: it leaves the pre-auth pool. */
void hive_session_authed(struct hive *hive, struct hive_session *s);
/* Register / unregister a live session (for /proc/sessions and limits).
 * hive_session_add admits an owner session (no pool): NULL when
 * HIVE_SESSIONS_MAX are live. */
struct hive_session *hive_session_add(struct hive *hive, const char *transport, const char *peer);
void hive_session_remove(struct hive *hive, struct hive_session *s);
/* The live session with this id, or NULL. */
struct hive_session *hive_session_find(struct hive *hive, uint64_t id);
/* Close the stdio fds a session was passed (after a spawn took copies). */
void hive_session_drop_stdio(struct hive_session *s);

/* Record an event: a line in /log/queen.log and a record of the audit
 * chain (its seq, or the -errno that refused it, in hive->audit_last).
 * event is one word ("attach", "deny", "lifecycle", "ctl", ...); object is
 * a path or id (may be NULL); detail is free key=value text. The record's
 * type comes from the word (and, for "agent", from detail's event=). */
void hive_event(struct hive *hive, const struct principal *who, const char *event,
                const char *object, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The one deny door: every refusal of a principal passes here, and only
 * here, so the count, the row and the record cannot disagree. In that
 * order: count pressure[cls] and denials[op], append the record (one per
 * refusal, folded or not; its seq or -errno in hive->audit_last), write
 * the row. who may be NULL (a peer before it has
 * a principal); object may be NULL; reason is one word. The row is
 *   <event> role=.. subject=.. session=.. [object=<o>] op=<op> outcome=deny reason=<reason> [<detail>]
 * where <event> is the op's family: "deny" for namespace ops and verbs,
 * "attach" for attach/ticket/throttle, "ctl", "refuse" for a session
 * refused, "session" for a cut.
 *
 * Repeats fold: once HIVE_DENY_FOLD_AFTER refusals of one kind were
 * written within HIVE_DENY_FOLD_MS, further ones are counted, not written;
 * they are written as the kind's last row ending in ` count=N` when the
 * window ends (a loop timer), before any other event's row, when
 * /proc/pressure is read, and at shutdown. A row without count= stands
 * for one refusal, so once flushed the rows of an op sum to denials[op].
 * A kind is one row text (all but the time) for hive_deny, and one fold
 * key (with the family, op and reason) for hive_deny_with.
 * HIVE_DENY_FOLD_SLOTS kinds fold at once (the least recent is evicted).
 */
void hive_deny(struct hive *hive, const struct principal *who, enum hive_pressure_class cls,
               enum hive_deny_op op, const char *object, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* What a caller may choose of a refusal's row; NULL fields keep hive_deny's way. */
struct hive_deny_opts {
	/* The row's first word instead of the op's family ("lifecycle"). */
	const char *family;
	/* Fold the refusals with this key (at most HIVE_PEER_ID_MAX - 1 bytes)
	 * whatever their principal, object and detail: a peer id, so a stranger
	 * reconnecting from new ports and sessions still costs one kind. */
	const char *fold_key;
};
/* hive_deny, with the row's family and fold key chosen by the caller. */
void hive_deny_with(struct hive *hive, const struct principal *who, enum hive_pressure_class cls,
                    enum hive_deny_op op, const char *object, const char *reason,
                    const struct hive_deny_opts *opts, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
/* Write every folded repeat as its count= row now (the books balance). */
void hive_deny_flush(struct hive *hive);
/* Flush and free the fold table and its timer (at shutdown; safe twice). */
void hive_deny_close(struct hive *hive);

/* A record with no row (the supervisor's allows): type, result, object
 * and cap as the record's fields, detail key=value. Returns its seq, or
 * -errno when the log cannot take it: the caller then fails closed. Also
 * sets hive->audit_last. */
int64_t hive_record(struct hive *hive, const struct principal *who, enum audit_type type,
                    enum audit_result result, const char *object, const char *cap, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* 0 when the log takes records now, else the -errno an append would get. */
int hive_audit_ok(struct hive *hive);
/* Wait (on the loop, at most HIVE_AUDIT_DURABLE_WAIT_MS) until record seq
 * is durable: grants and spawns act only then. seq < 0 (a refused append)
 * is returned as it is. 0, or -errno: the caller undoes and refuses. */
int hive_audit_durable(struct hive *hive, int64_t seq);

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
