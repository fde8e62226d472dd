/*
 * ns.h — the synthetic namespace: a tree of nodes served by providers.
 *
 * Files are interfaces, not storage. A node is a directory or a file; a
 * file's behaviour comes from its provider (ops + private data). The
 * protocol layers (srv for 9P, console) walk, open, read and write nodes
 * through this header only; a provider never sees a wire message.
 *
 * Views are per principal: a node is visible to a role if its perm says
 * so (or its `visible` hook agrees); a walk into an invisible node fails
 * with EACCES and is reported as a refusal (ns_set_deny). Built-in providers cover the
 * common shapes: rendered text (snapshot at open), append-only ring
 * (logs, telemetry), ctl (one command per line), and CAS.
 *
 * Nodes are reference counted: a fid holding a node keeps it alive after
 * ns_remove(); I/O on a removed node fails with ENOENT.
 */
#ifndef HIVE_NS_H
#define HIVE_NS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "lib/limits.h"
#include "lib/strbuf.h"
#include "trust/principal.h"

struct ns;
struct ns_node;
struct ns_file;

/* An error for the peer: errno-style code (EACCES, ENOENT, EINVAL, EBUSY,
 * ENOSPC, EROFS, ...) and a short lower-case message naming the thing and
 * the reason ("permission denied: /queen/ctl is queen-only"). 9P2000 sends
 * msg in Rerror, 9P2000.L sends code in Rlerror, the console both. */

/* Open modes (independent of the wire dialect). */
enum ns_omode { NS_OREAD = 0, NS_OWRITE = 1, NS_ORDWR = 2 };
#define NS_OTRUNC 0x10 /* accepted and ignored: synthetic files do not truncate */

/* Qid-like type bits of a node (same values as 9P's QT*). */
#define NS_QTDIR 0x80
#define NS_QTAPPEND 0x40

/*
 * Who may do what with a node. Role masks use HIVE_ROLE_BIT().
 * `see`: walk to it and list it; `read`; `write`. A role outside `see`
 * gets EACCES on walk even if the node exists. `visible`, if set, is
 * asked after the masks (e.g. /agent/<aid> visible to worker <aid> only).
 * `mode` is the Unix permission shown by stat (e.g. 0444, 0222, 0664);
 * the append bit is set by the provider kind, not here.
 */
struct ns_perm {
	uint32_t mode;
	unsigned see, read, write;
	int (*visible)(const struct ns_node *node, const struct principal *who);
};

/* Provider operations; every member is optional. */
struct ns_ops {
	/* Called at open; may render a snapshot into the file (ns_file_snapshot). */
	int (*open)(struct ns_file *f, struct err *err);
	/* Return bytes read (0 = end), or -code with err set. */
	ssize_t (*read)(struct ns_file *f, uint64_t off, void *buf, size_t n, struct err *err);
	/* Return bytes accepted, or -code with err set (nothing changed). */
	ssize_t (*write)(struct ns_file *f, uint64_t off, const void *buf, size_t n, struct err *err);
	/* Size shown by stat; 0 if unknown (synthetic files are read to EOF). */
	uint64_t (*length)(const struct ns_node *node);
	/* The fid is clunked. */
	void (*close)(struct ns_file *f);
	/* The node is freed (last reference gone): free priv. */
	void (*release)(struct ns_node *node);
};

/* What stat/getattr shows. Times are Unix seconds + nanoseconds. */
struct ns_attr {
	uint64_t qid_path;
	uint32_t qid_version; /* bumps when the content changes */
	uint8_t qid_type;     /* NS_QTDIR / NS_QTAPPEND / 0 */
	uint32_t mode;        /* Unix permission bits, plus S_IFDIR/S_IFREG */
	uint64_t length;
	int64_t atime_sec, mtime_sec, ctime_sec;
	long atime_nsec, mtime_nsec, ctime_nsec;
	uint64_t nlink;
	const char *name; /* "/" for the root */
};

/* --- the tree ---------------------------------------------------------- */

/* Create an empty tree (just "/"). `emit` receives the events ns reports
 * (may be NULL); it is how ns reaches the log and, later, the audit chain.
 * Refusals go to the deny function instead once one is set. */
typedef void (*ns_event_fn)(void *arg, const struct principal *who, const char *event,
                            const char *path, const char *detail);
struct ns *ns_new(ns_event_fn emit, void *emit_arg);
/* What the tree refuses a principal. */
/* NS_DENY_OPEN_QUOTA: an open refused for a session's budget, not its rights. */
enum ns_deny_op { NS_DENY_WALK, NS_DENY_OPEN, NS_DENY_WRITE, NS_DENY_OPEN_QUOTA };
/* Every refusal of a principal by the tree: the op, the path, a one-word
 * reason ("not-visible", "not-readable", "not-writable") and more
 * key=value detail ("" if none). The hive routes it to its deny door. */
typedef void (*ns_deny_fn)(void *arg, const struct principal *who, enum ns_deny_op op, const char *path,
                           const char *reason, const char *detail);
/* Send refusals to deny; without one they are `deny` events to emit,
 * detail "op=<op>[ <detail>]". */
void ns_set_deny(struct ns *ns, ns_deny_fn deny, void *deny_arg);
void ns_free(struct ns *ns);
struct ns_node *ns_root(struct ns *ns);
/* Number of live nodes (for /proc/limits and leak tests). */
size_t ns_node_count(const struct ns *ns);

/* Make a directory / a file under parent. Returns NULL with errno set
 * (EEXIST, ENAMETOOLONG, EINVAL for a bad name, ENOSPC past HIVE_NODES_MAX). */
struct ns_node *ns_mkdir(struct ns *ns, struct ns_node *parent, const char *name,
                         const struct ns_perm *perm);
struct ns_node *ns_mkfile(struct ns *ns, struct ns_node *parent, const char *name,
                          const struct ns_perm *perm, const struct ns_ops *ops, void *priv);
/* Unlink a node (and its subtree); open fids keep it alive until clunked. */
void ns_remove(struct ns *ns, struct ns_node *node);
/* Look up by absolute path, ignoring views (for providers and tests). */
struct ns_node *ns_lookup(struct ns *ns, const char *path);

void ns_node_ref(struct ns_node *node);
void ns_node_unref(struct ns_node *node);

const char *ns_node_name(const struct ns_node *node);
void *ns_node_priv(const struct ns_node *node);
int ns_node_is_dir(const struct ns_node *node);
struct ns_node *ns_node_parent(const struct ns_node *node);
/* Absolute path of a node into buf (for messages); returns buf. */
char *ns_node_path(const struct ns_node *node, char *buf, size_t cap);
/* Mark content changed: bumps qid version and mtime. */
void ns_node_touch(struct ns_node *node);
void ns_getattr(const struct ns_node *node, struct ns_attr *attr);

/* --- what protocol layers call ------------------------------------------ */

/* Walk one element from `from`. ".." goes to the parent (the root is its
 * own parent); "." and "" and names with '/' or NUL are EINVAL; an unknown
 * name is ENOENT; an invisible one is EACCES plus a deny event. On success
 * *out holds a new reference. */
int ns_walk1(struct ns *ns, const struct principal *who, struct ns_node *from,
             const char *name, size_t len, struct ns_node **out, struct err *err);
/* The index-th child of dir visible to `who` (byte-sorted order), or NULL
 * past the end. No reference is taken. Asking for the same or a higher
 * index than the last call on dir, for the same principal, resumes from
 * that call: a listing 0, 1, 2, ... costs O(1) per entry; any insert or
 * remove in dir, or another principal, restarts the scan. So a `visible`
 * hook must depend only on the node and who's role, subject and session. */
struct ns_node *ns_dir_child(struct ns *ns, const struct principal *who,
                             struct ns_node *dir, size_t index);

/* Open a node: checks read/write permission for `who` and the lifecycle of
 * the node. A directory opens for reading only. */
int ns_open(struct ns *ns, const struct principal *who, struct ns_node *node,
            int omode, struct ns_file **out, struct err *err);
ssize_t ns_read(struct ns_file *f, uint64_t off, void *buf, size_t n, struct err *err);
ssize_t ns_write(struct ns_file *f, uint64_t off, const void *buf, size_t n, struct err *err);
void ns_close(struct ns_file *f);

/* Accessors a provider uses inside its ops. */
struct ns_node *ns_file_node(const struct ns_file *f);
const struct principal *ns_file_who(const struct ns_file *f);
int ns_file_omode(const struct ns_file *f);
/* Per-open scratch pointer for the provider. */
void **ns_file_state(struct ns_file *f);
/* Give the file a rendered snapshot that reads will serve (copied,
 * bounded by HIVE_SNAPSHOT_MAX, charged like every snapshot: see
 * ns_session_snapshot_bytes). */
int ns_file_snapshot(struct ns_file *f, const char *data, size_t len, struct err *err);
/* Snapshot bytes the open files of a session hold: each open is charged
 * the whole snapshot it serves, shared or not, and an open that would take
 * the session past HIVE_SESSION_SNAPSHOT_BYTES_MAX fails with EMFILE (and
 * a deny event). Session 0 (the hive itself) is never charged. */
size_t ns_session_snapshot_bytes(const struct ns *ns, uint64_t session_id);
/* Emit an event through the tree's event function. */
void ns_emit(struct ns *ns, const struct principal *who, const char *event,
             const char *path, const char *detail);

/* --- built-in providers -------------------------------------------------- */

/* Rendered text: render() fills sb at open; reads serve that snapshot, so a
 * reader never sees a torn value. */
typedef int (*ns_render_fn)(void *arg, const struct principal *who, struct strbuf *sb);
struct ns_node *ns_text_file(struct ns *ns, struct ns_node *parent, const char *name,
                             const struct ns_perm *perm, ns_render_fn render, void *arg);
/* The same with its own snapshot bound instead of HIVE_SNAPSHOT_MAX, for a
 * file that must never be cut (/proc/sessions: one line per session).
 * `max` must be named in limits.h; 0 is EINVAL. */
struct ns_node *ns_text_file_max(struct ns *ns, struct ns_node *parent, const char *name,
                                 const struct ns_perm *perm, ns_render_fn render, void *arg,
                                 size_t max);
/* A cached rendered text file, for a render too costly to repeat at every
 * open (/proc/sessions is O(sessions)): opens share the last render while
 * it is younger than window_ms and version(arg) has not moved since (a
 * count that changes when what matters in the render changes; NULL: the
 * window alone decides). The render must not depend on `who`: every
 * opener gets the first opener's render. */
typedef uint64_t (*ns_version_fn)(void *arg);
struct ns_node *ns_text_file_cached(struct ns *ns, struct ns_node *parent, const char *name,
                                    const struct ns_perm *perm, ns_render_fn render, void *arg,
                                    size_t max, ns_version_fn version, uint32_t window_ms);

/* Append-only ring: a bounded window of bytes with absolute offsets.
 * Writes ignore the offset and append. Reads below the window either
 * start at its base (NS_RING_CLAMP, for logs) or fail with ESTALE and a
 * message naming the base to resume at (NS_RING_STALE, for telemetry). */
enum ns_ring_policy { NS_RING_CLAMP, NS_RING_STALE };
struct ns_ring;
struct ns_ring *ns_ring_new(size_t capacity, enum ns_ring_policy policy);
void ns_ring_free(struct ns_ring *ring);
/* Append bytes (truncated to capacity if larger). Touches every node
 * that serves this ring. */
void ns_ring_append(struct ns_ring *ring, const void *data, size_t len);
uint64_t ns_ring_end(const struct ns_ring *ring);  /* absolute offset of the next byte */
uint64_t ns_ring_base(const struct ns_ring *ring); /* absolute offset of the oldest byte kept */
ssize_t ns_ring_read(const struct ns_ring *ring, uint64_t off, void *buf, size_t n, struct err *err);
/* Serve a ring as a file. Writes by roles in perm->write append (unless
 * `writable` is 0: then only the hive appends). The ring is not owned. */
struct ns_node *ns_ring_file(struct ns *ns, struct ns_node *parent, const char *name,
                             const struct ns_perm *perm, struct ns_ring *ring, int writable);
/* `writable` value for line logs (/log/queen.log): each write becomes
 * exactly one line — control characters escaped, one '\n' at the end —
 * so a writer cannot forge or glue rows (at most HIVE_LOG_LINE_MAX). */
#define NS_RING_WRITE_LINE 2

/* Ctl file: each written line (split on '\n', blank lines ignored, each at
 * most HIVE_CTL_LINE_MAX) is passed to line(); the first failing line stops
 * the write and its error is returned (lines before it stay applied, and
 * the reply says which line failed). Reads render usage via `usage` (may
 * be NULL: then reads return nothing) — until a write on the same open
 * (ORDWR) left a reply: what line() put in `reply` (at most
 * HIVE_CTL_REPLY_MAX, e.g. the AIDs a spawn made), which later reads of
 * that open serve, as Plan 9's clone files answer on the fid written. */
typedef int (*ns_ctl_fn)(void *arg, const struct principal *who, const char *line,
                         struct strbuf *reply, struct err *err);
struct ns_node *ns_ctl_file(struct ns *ns, struct ns_node *parent, const char *name,
                            const struct ns_perm *perm, ns_ctl_fn line, ns_render_fn usage,
                            void *arg);

/* CAS file: holds one value (at most HIVE_CAS_VALUE_MAX bytes). A write of
 * `cas <expected> <new>` replaces it only if the value equals expected
 * (else EBUSY, "cas failed: value is <current>"). Reads return value "\n". */
struct ns_node *ns_cas_file(struct ns *ns, struct ns_node *parent, const char *name,
                            const struct ns_perm *perm, const char *initial);

#endif
