/*
 * notify.h — the seccomp user-notification supervisor of one agent.
 *
 * The agent's filter sends open/openat/openat2/creat/open_by_handle_at,
 * execve/execveat, connect/bind and sendto/sendmsg to this listener. For
 * each call the supervisor reads the arguments from the target (checking
 * SECCOMP_IOCTL_NOTIF_ID_VALID after every read), resolves the path as the
 * target sees it (its cwd or dirfd), and asks the agent's decide function
 * against the *current* bundle. It answers:
 *   NOTIFY_DENY   -EACCES: the call never runs ("denied before the VFS");
 *   NOTIFY_ALLOW  CONTINUE — safe only because Landlock bounds the call;
 *   NOTIFY_BROKER the supervisor opens the path itself (openat2, no
 *                 symlinks, beneath the granted root) and injects the fd
 *                 with SECCOMP_IOCTL_NOTIF_ADDFD | ADDFD_FLAG_SEND, so a
 *                 path swapped after the check cannot slip through.
 * Any internal error denies (EACCES); a notification is never left unanswered.
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is set where the kernel has it.
 */
#ifndef HIVE_NOTIFY_H
#define HIVE_NOTIFY_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "lib/limits.h"

struct loop;
struct notify;

enum notify_op {
	NOTIFY_OPEN_READ,    /* open for reading (or O_PATH) */
	NOTIFY_OPEN_WRITE,   /* open for writing, O_CREAT, O_TRUNC, creat */
	NOTIFY_OPEN_HANDLE,  /* open_by_handle_at: always denied */
	NOTIFY_EXEC,         /* execve/execveat (path, or the fd's target; memfd => path "memfd:...") */
	NOTIFY_CONNECT_TCP,  /* port */
	NOTIFY_BIND_TCP,     /* port */
	NOTIFY_SEND_UDP,     /* port (datagram send to an address, or connect of a datagram socket) */
	NOTIFY_CONNECT_UNIX, /* path, or "@name" for an abstract socket */
	NOTIFY_SOCKET_OTHER, /* another family */
	NOTIFY_OPS,
};

struct notify_access {
	enum notify_op op;
	const char *syscall;  /* "openat", "execve", ... for the row */
	const char *path;     /* canonical, as the target sees it; NULL for ports. A
	                       * memfd is "memfd:NAME", an abstract socket "@NAME"
	                       * (other bytes as \xHH), /proc/self is /proc/<pid> of
	                       * the calling thread, a deleted file ends " (deleted)" */
	uint16_t port;
	pid_t pid;            /* the calling thread */
	int flags;            /* open: the call's O_* flags; execveat: its AT_* flags; else 0 */
};

enum notify_decision { NOTIFY_DENY, NOTIFY_ALLOW, NOTIFY_BROKER };

/* The agent's answer from its current bundle. A deny is recorded by the
 * decide function (the deny door); the supervisor only answers it. decide
 * runs inside the supervisor's turn: it must not call notify_stop (kill
 * the agent instead; its exit stops the supervisor). */
typedef enum notify_decision (*notify_decide_fn)(void *arg, const struct notify_access *acc);

/* Serve listener_fd on the loop. The fd is taken: closed by notify_stop,
 * or at once when notify_start fails (the target's notified calls then
 * fail ENOSYS instead of waiting for a supervisor that never comes).
 *
 * Mind for decide: CONTINUE lets the kernel re-read the path and walk the
 * file system again, so a thread that swaps the buffer or a symlink after
 * the check gets whatever Landlock allows. Once a right inside the ceiling
 * is revoked, every open that could reach it must be NOTIFY_BROKER (not
 * only those whose checked path is under it), and exec/connect of a
 * revoked right inside the ceiling can only be denied, never brokered.
 * Paths are canonical (symlinks resolved), so caps must be canonical too. */
int notify_start(struct loop *loop, int listener_fd, int pidfd, notify_decide_fn decide, void *arg,
                 struct notify **out, struct err *err);
/* Stop serving and close the listener: pending calls of a live target
 * then fail (ENOSYS), they never run unchecked. NULL is fine. */
void notify_stop(struct notify *n);

/* Counters for /agent/<aid>/telemetry and the bench. */
struct notify_stats {
	uint64_t calls, allowed, denied, brokered, errors;
};
void notify_get_stats(const struct notify *n, struct notify_stats *st);
const char *notify_op_name(enum notify_op op);

#endif
