/*
 * filter.h — the agent's one seccomp filter, compiled with libseccomp in
 * hived before fork and exported to memory, so the child only calls
 * seccomp(SECCOMP_SET_MODE_FILTER) (one filter: one install, one run per
 * syscall).
 *
 * What it does (arch checked: a foreign arch or an x32 number kills):
 *   EPERM   ptrace, process_vm_readv/writev, the mount family, unshare,
 *           setns, bpf, keyctl, add_key, request_key, io_uring_*,
 *           perf_event_open, kexec_*, module loading, userfaultfd,
 *           personality, pidfd_getfd (another process's fds); clone with a namespace flag; socket of a family
 *           other than AF_UNIX/AF_INET/AF_INET6; sendto/sendmsg with
 *           MSG_FASTOPEN (a connect the supervisor would not see).
 *   ENOSYS  clone3: its flags are in memory a filter cannot read, so libc
 *           falls back to clone, whose flags are checked above.
 *   NOTIFY  open, openat, openat2, creat, open_by_handle_at, execve,
 *           execveat, connect, bind, and socket of type SOCK_DGRAM or
 *           SOCK_RAW (and RDM, and SEQPACKET but for AF_UNIX) in an allowed
 *           family: no such socket means sendto/sendmsg never carry an
 *           address, so they need no notice.
 *   EPERM   an AF_INET/AF_INET6 stream socket whose protocol is not TCP
 *           (SCTP, MPTCP): Landlock's port rules see TCP only.
 * Without notify the same filter, with the socket rule EACCES and the other
 * notified calls allowed: Landlock alone bounds them.
 *
 * Not bounded here nor by Landlock: exec of a memfd (Landlock ignores files
 * on internal mounts), by execveat(AT_EMPTY_PATH) or /proc/self/fd/N. The
 * process stays inside its domain, filter and uid; only the supervisor
 * (which sees every exec) can refuse it, and must treat an fd-based exec
 * after the spawn's own as racy (the fd table can change under it).
 */
#ifndef HIVE_FILTER_H
#define HIVE_FILTER_H

#include <linux/filter.h>

#include "lib/err.h"

struct filter_prog {
	struct sock_fprog prog; /* filter owned; len 0 = none */
	unsigned flags;         /* for seccomp(SECCOMP_SET_MODE_FILTER) */
	int notify;             /* flags hold NEW_LISTENER */
};

/* Build the program. wait_killable: the kernel has
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (kernel.h). 0 or -errno. */
int filter_build(struct filter_prog *f, int notify, int wait_killable, struct err *err);
void filter_clear(struct filter_prog *f);

#endif
