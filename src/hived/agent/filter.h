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
 *           personality; clone with a namespace flag; socket of a family
 *           other than AF_UNIX/AF_INET/AF_INET6; sendto/sendmsg with
 *           MSG_FASTOPEN (a connect the supervisor would not see).
 *   ENOSYS  clone3: its flags are in memory a filter cannot read, so libc
 *           falls back to clone, whose flags are checked above.
 *   NOTIFY  open, openat, openat2, creat, open_by_handle_at, execve,
 *           execveat, connect, bind, and socket of type SOCK_DGRAM or
 *           SOCK_RAW in an allowed family (no datagram socket means
 *           sendto/sendmsg never carry an address, so they need no notice).
 * Without notify the same filter, with the socket rule EACCES and the other
 * notified calls allowed: Landlock alone bounds them.
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
