/*
 * sandbox.h — the agent's kernel sandbox: everything prepared in hived
 * before fork (Landlock ruleset, seccomp BPF, fds, argv/envp), then a
 * child that applies it with raw syscalls only and executes the very fd
 * that was hashed for the attestation.
 *
 * Why the split: hived has threads (audit writer, broker), so between
 * fork and exec the child may not malloc, use stdio or take a lock. The
 * child only calls: rt_sigaction/rt_sigprocmask, setsid, fcntl(F_DUPFD),
 * dup3, close_range, write (cgroup.procs, the report socket), sendmsg (the
 * listener), setgroups/setresgid/setresuid, capset, prctl, setrlimit,
 * chdir, landlock_restrict_self, seccomp, execveat.
 *
 * Each step is checked; a failed step writes "<step> <errno>\n" to the
 * report socket and the child _exits(127), so the hive can say "spawn a-7
 * failed at landlock: Operation not permitted". Steps: signals setsid
 * cgroup pdeathsig fds rlimit uid bset caps nnp landlock seccomp listener
 * chdir exec. A successful exec closes the report socket (CLOEXEC): EOF
 * means the agent runs.
 *
 * Without spec.notify the filter still denies (filter.h) but asks nobody:
 * datagram sockets are refused with EACCES and the calls the supervisor
 * would see run inside the Landlock ceiling alone.
 *
 * PR_SET_PDEATHSIG fires when the *thread* that called sandbox_spawn ends:
 * call it from a thread that lives as long as hived (the loop's).
 */
#ifndef HIVE_SANDBOX_H
#define HIVE_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "trust/cap.h"
#include "trust/manifest.h"

struct kernel;
struct strbuf;

/* The fd number the agent finds its own 9P connection on (HIVE_FD). */
#define SANDBOX_HIVE_FD 3

struct sandbox_spec {
	int exe_fd;              /* argv[0] opened O_RDONLY|O_CLOEXEC, executed by execveat(AT_EMPTY_PATH) */
	char *const *argv;       /* NULL-terminated */
	char *const *envp;       /* NULL-terminated, already the allow-list (+HOME, HIVE_FD, ...) */
	const char *cwd;         /* "/" when unset */
	uid_t uid;               /* (uid_t)-1: keep hived's (hived not root) */
	gid_t gid;
	int stdio[3];            /* handed as 0,1,2; -1 = /dev/null */
	int hive_fd;             /* handed as SANDBOX_HIVE_FD; -1 = none */
	const int *cgroup_procs; /* O_WRONLY cgroup.procs fds the child writes "0" to first */
	size_t ncgroup_procs;
	const struct manifest_quota *rlimits; /* non-NULL: no cgroups, bound by setrlimit */
	const struct cap *caps;  /* the bundle at spawn: the Landlock ceiling */
	uint32_t ncaps;
	int landlock_abi_max;    /* use at most this ABI (hived --landlock-abi); 0 = the kernel's */
	int notify;              /* install the user-notification filter, hand its listener back */
};
/* The plan borrows exe_fd, argv, envp, stdio, hive_fd and cgroup_procs'
 * fds: keep them until sandbox_spawn has returned. It copies the rest. */

struct sandbox_plan;

/* Prepare a plan: Landlock ruleset (rights masked to the ABI, refusing a
 * bundle the ABI cannot honour: -EOPNOTSUPP naming the capability), the
 * seccomp programs, /dev/null. A handed fd (stdio, hive_fd) that is not
 * open is -EBADF; a directory or O_PATH one is -EINVAL (it would keep
 * rights Landlock checks only at open). Returns 0 or -errno with err set. */
int sandbox_prepare(const struct sandbox_spec *spec, const struct kernel *k, struct sandbox_plan **out,
                    struct err *err);
void sandbox_plan_free(struct sandbox_plan *p);
/* What is enforced, for the attestation and /agent/<aid>/caps:
 * "landlock=7 seccomp=filter+notify" (the cgroup mode is added by the caller). */
const char *sandbox_plan_enforcement(const struct sandbox_plan *p);
/* The effective Landlock rights, one line each (landlock.h has the form):
 * what this kernel enforces, for /agent/<aid>/caps and the attestation. */
void sandbox_plan_rights(const struct sandbox_plan *p, struct strbuf *sb);

struct sandbox_child {
	pid_t pid;
	int pidfd;     /* CLOEXEC; readable when the child exits */
	int notify_fd; /* the seccomp listener (CLOEXEC), or -1 without spec.notify */
	int report_fd; /* CLOEXEC, nonblocking socket: EOF = exec happened; else a failure report */
};

/* Fork the child (clone3 with a pidfd). With notify, returns once the
 * listener is in hand (the child then blocks in its first notified call,
 * execveat, until the supervisor answers), so the caller must start the
 * supervisor on notify_fd before it waits for anything; a child that failed
 * before that is reported in err (the step named), killed and reaped.
 * Without notify it returns at once and a failure comes on report_fd.
 * 0 or -errno with err set; nothing is left running on failure. */
int sandbox_spawn(const struct sandbox_plan *p, struct sandbox_child *out, struct err *err);

/* The same, but returning at once after the fork: notify_fd is -1 and
 * the listener arrives on report_fd (sandbox_report_take), so the hive
 * prepares the next agent while this child sets itself up. The plan may
 * be freed on return (the child has its own copy). */
int sandbox_spawn_start(const struct sandbox_plan *p, struct sandbox_child *out, struct err *err);
/* Read report_fd of a sandbox_spawn_start child once readable: 2 = the
 * listener arrived (*listener, CLOEXEC; the child waits in its exec for
 * the supervisor), else as sandbox_report_read. */
int sandbox_report_take(int report_fd, int *listener, char *step, size_t cap, int *errnum);

/* Read report_fd once it is readable: 0 = EOF (the exec happened),
 * 1 = the child failed (step and *errnum filled), -EAGAIN = nothing yet. */
int sandbox_report_read(int report_fd, char *step, size_t cap, int *errnum);

#endif
