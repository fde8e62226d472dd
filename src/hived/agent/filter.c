/*
 * filter.c — the agent's seccomp program (see filter.h), compiled with
 * libseccomp and exported through a memfd (libseccomp 2.5 exports only to
 * an fd) into a sock_fprog the child installs without a library call.
 */
#include "filter.h"

#include "lib/limits.h"

#include <errno.h>
#include <pthread.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

/* Failed with EPERM. A name this libseccomp does not know is skipped: it
 * cannot be called through the native table either. */
static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root", "move_mount",
	"open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns", "bpf",
	"keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register",
	"perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"userfaultfd", "personality", "pidfd_getfd",
};

/* Sent to the supervisor (allowed without one: Landlock bounds them). */
static const char *const notified[] = {
	"open", "openat", "openat2", "creat", "open_by_handle_at", "execve", "execveat", "connect", "bind",
};

/* Namespace flags clone() may not carry (CLONE_NEWTIME overlaps clone's
 * exit-signal byte and is refused by clone() itself). */
static const unsigned long clone_ns[] = {
	0x00020000 /* NEWNS */,   0x02000000 /* NEWCGROUP */, 0x04000000 /* NEWUTS */,
	0x08000000 /* NEWIPC */,  0x10000000 /* NEWUSER */,   0x20000000 /* NEWPID */,
	0x40000000 /* NEWNET */,
};

static const int families[] = { AF_UNIX, AF_INET, AF_INET6 };

#define TRY(expr)                  \
	do {                       \
		rc = (expr);       \
		if (rc < 0)        \
			goto fail; \
	} while (0)

static int add_rules(scmp_filter_ctx ctx, int notify)
{
	int rc = 0;
	int nr;
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
		if ((nr = seccomp_syscall_resolve_name(denied[i])) != __NR_SCMP_ERROR)
			TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0));
	if (notify)
		for (size_t i = 0; i < sizeof notified / sizeof notified[0]; i++)
			if ((nr = seccomp_syscall_resolve_name(notified[i])) != __NR_SCMP_ERROR)
				TRY(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0));
	TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0));
	for (size_t i = 0; i < sizeof clone_ns / sizeof clone_ns[0]; i++)
		TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                     SCMP_A0_64(SCMP_CMP_MASKED_EQ, clone_ns[i], clone_ns[i])));
	/* socket(): families compared on their low 32 bits (the kernel reads
	 * an int), so garbage in the upper half cannot dodge a rule. The rules
	 * are disjoint, so libseccomp's order among them does not matter. */
	TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0_32(SCMP_CMP_GT, AF_INET6)));
	for (int fam = 0; fam < AF_INET6; fam++)
		if (fam != AF_UNIX && fam != AF_INET)
			TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
			                     SCMP_A0_32(SCMP_CMP_EQ, (unsigned)fam)));
	/* Datagram, raw, RDM and seqpacket sockets: sendto/sendmsg may carry an
	 * address Landlock (TCP only) never sees, so creating one is asked. */
	uint32_t dgram_act = notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EACCES);
	static const int types[] = { SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET };
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
		for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
			/* A Unix seqpacket socket is connection-mode: its connect is
			 * notified already. */
			if (families[f] == AF_UNIX && types[t] == SOCK_SEQPACKET)
				continue;
			TRY(seccomp_rule_add(ctx, dgram_act, SCMP_SYS(socket), 2,
			                     SCMP_A0_32(SCMP_CMP_EQ, (unsigned)families[f]),
			                     SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, (unsigned)types[t])));
		}
	/* An INET stream socket must be TCP (protocol 0 or 6): SCTP and MPTCP
	 * streams pass Landlock's TCP port rules by. */
	for (size_t f = 1; f < sizeof families / sizeof families[0]; f++) {
		TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 3,
		                     SCMP_A0_32(SCMP_CMP_EQ, (unsigned)families[f]),
		                     SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM), SCMP_A2_32(SCMP_CMP_GT, 6)));
		for (unsigned proto = 1; proto < 6; proto++)
			TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 3,
			                     SCMP_A0_32(SCMP_CMP_EQ, (unsigned)families[f]),
			                     SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM),
			                     SCMP_A2_32(SCMP_CMP_EQ, proto)));
	}
	/* TCP Fast Open: sendto/sendmsg that connect. */
	TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendto), 1,
	                     SCMP_A3_64(SCMP_CMP_MASKED_EQ, MSG_FASTOPEN, MSG_FASTOPEN)));
	TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendmsg), 1,
	                     SCMP_A2_64(SCMP_CMP_MASKED_EQ, MSG_FASTOPEN, MSG_FASTOPEN)));
	/* sendmmsg has its flags per call too. */
	TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendmmsg), 1,
	                     SCMP_A3_64(SCMP_CMP_MASKED_EQ, MSG_FASTOPEN, MSG_FASTOPEN)));
	return 0;
fail:
	return rc;
}

#ifdef __x86_64__
/* libseccomp 2.5.4 checks the arch, but lets an x32 number (nr with bit 30,
 * same AUDIT_ARCH_X86_64) fall through to ALLOW, since no rule matches it.
 * This prologue kills both a foreign arch and any x32 number before the
 * exported program runs; its jumps are relative, so prepending is safe. */
#define PROLOGUE_LEN 6
static const struct sock_filter prologue[PROLOGUE_LEN] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4 /* offsetof(struct seccomp_data, arch) */),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e /* AUDIT_ARCH_X86_64 */, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0 /* offsetof(struct seccomp_data, nr) */),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};
#else
#define PROLOGUE_LEN 0
static const struct sock_filter prologue[1];
#endif

/* libseccomp 2.5 exports only to an fd: a memfd, read back after the
 * prologue. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog, struct err *err)
{
	int fd = memfd_create("hive-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "seccomp: memfd: %s", strerror(errno));
	int rc = seccomp_export_bpf(ctx, fd);
	struct stat st;
	if (rc < 0) {
		rc = err_set(err, -rc, "seccomp: export: %s", strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    (size_t)st.st_size + PROLOGUE_LEN * sizeof(struct sock_filter) > HIVE_SANDBOX_BPF_BYTES_MAX) {
		rc = err_set(err, EPROTO, "seccomp: exported program of %lld bytes", (long long)st.st_size);
		goto out;
	}
	size_t head = PROLOGUE_LEN * sizeof(struct sock_filter);
	struct sock_filter *insns = malloc(head + (size_t)st.st_size);
	if (!insns) {
		rc = err_set(err, ENOMEM, "seccomp: out of memory");
		goto out;
	}
	memcpy(insns, prologue, head);
	if (pread(fd, insns + PROLOGUE_LEN, (size_t)st.st_size, 0) != st.st_size) {
		free(insns);
		rc = err_set(err, EIO, "seccomp: reading the exported program back");
		goto out;
	}
	prog->filter = insns;
	prog->len = (unsigned short)(PROLOGUE_LEN + st.st_size / sizeof(struct sock_filter));
	rc = 0;
out:
	close(fd);
	return rc;
}

static int compile(struct sock_fprog *prog, int notify, struct err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return err_set(err, ENOMEM, "seccomp: init failed");
	/* Only the native arch is in the filter: any other (i386, and x32's
	 * numbers on x86_64) hits the bad-arch action and is killed. */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		/* The child sets no_new_privs itself, before the install. */
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* A binary tree over syscall numbers: every syscall the agent makes
	 * runs the filter, so fewer comparisons per call beat a shorter program. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc == 0)
		rc = add_rules(ctx, notify);
	if (rc < 0) {
		seccomp_release(ctx);
		return err_set(err, -rc, "seccomp: building the filter: %s", strerror(-rc));
	}
	rc = export_prog(ctx, prog, err);
	seccomp_release(ctx);
	return rc;
}

/* The program depends only on notify, so each variant is compiled once per
 * process (libseccomp takes ~0.3 ms, a third of a fork+exec) and copied
 * into every plan. The lock covers the first compile against a second
 * thread preparing at the same time. */
static struct sock_fprog cache[2];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

int filter_build(struct filter_prog *f, int notify, int wait_killable, struct err *err)
{
	*f = (struct filter_prog){ .notify = notify };
	notify = !!notify;
	pthread_mutex_lock(&cache_lock);
	int rc = cache[notify].len ? 0 : compile(&cache[notify], notify, err);
	if (rc == 0) {
		size_t bytes = cache[notify].len * sizeof(struct sock_filter);
		f->prog.filter = malloc(bytes);
		if (f->prog.filter) {
			memcpy(f->prog.filter, cache[notify].filter, bytes);
			f->prog.len = cache[notify].len;
		} else {
			rc = err_set(err, ENOMEM, "seccomp: out of memory");
		}
	}
	pthread_mutex_unlock(&cache_lock);
	if (rc < 0)
		return rc;
	if (notify)
		f->flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | (wait_killable ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
	return 0;
}

void filter_clear(struct filter_prog *f)
{
	free(f->prog.filter);
	*f = (struct filter_prog){ 0 };
}
