/*
 * minibox — a floor sandbox for testing the escape suite without hived:
 * Landlock (file system by path, TCP ports, abstract-socket and signal
 * scopes) and a seccomp filter failing the dangerous calls with EPERM,
 * as an unprivileged uid with no_new_privs, no inherited fds and an empty
 * environment. No supervisor: what it cannot see (UDP, the paths the hive
 * would record) it does not stop. It shows that each probe's "blocked"
 * path is real before the hive's own sandbox exists.
 *
 *   minibox [--ro DIR]... [--rw DIR]... [--x PATH]... -- PROG ARGS...
 *
 * Each step is checked; a failure exits 126 naming the step.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MB_MAX_RULES 32
#define MB_NOBODY 65534
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define MB_NET_BIND_TCP (1ULL << 0)
#define MB_NET_CONNECT_TCP (1ULL << 1)
#define MB_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define MB_SCOPE_SIGNAL (1ULL << 1)

/* The attr of ABI 6 (Debian's header stops at 3). */
struct mb_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define MB_FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define MB_FS_ALL ((1ULL << 16) - 1)

static int mb_fail(const char *step)
{
	fprintf(stderr, "minibox: %s: %s\n", step, strerror(errno));
	return 126;
}

static int mb_rule(int rs, const char *path, uint64_t access, uint64_t handled)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access & handled };
	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return -1;
	/* A file takes only the rights that apply to files. */
	struct stat st;
	if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		                     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
		                     LANDLOCK_ACCESS_FS_IOCTL_DEV;
	long r = syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return r < 0 ? -1 : 0;
}

static int mb_seccomp(void)
{
	static const int deny[] = {
		SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(mount),
		SCMP_SYS(umount2), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(bpf), SCMP_SYS(keyctl),
		SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
		SCMP_SYS(io_uring_register), SCMP_SYS(perf_event_open), SCMP_SYS(kexec_load),
		SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(userfaultfd),
		SCMP_SYS(personality), SCMP_SYS(open_by_handle_at), SCMP_SYS(fsopen), SCMP_SYS(move_mount),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -1;
	int r = 0;
	for (size_t i = 0; i < sizeof deny / sizeof deny[0] && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), deny[i], 0);
	/* socket: only Unix, INET, INET6 (one rule per other family). */
	for (int af = 0; af < AF_MAX && !r; af++)
		if (af != AF_UNIX && af != AF_INET && af != AF_INET6)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, af));
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r)
		errno = -r;
	return r ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *paths[MB_MAX_RULES];
	uint64_t rights[MB_MAX_RULES];
	int n = 0, i = 1;
	for (; i + 1 < argc && strcmp(argv[i], "--") != 0 && n < MB_MAX_RULES; i += 2) {
		if (strcmp(argv[i], "--ro") == 0)
			rights[n] = MB_FS_READ;
		else if (strcmp(argv[i], "--rw") == 0)
			rights[n] = MB_FS_ALL & ~LANDLOCK_ACCESS_FS_EXECUTE;
		else if (strcmp(argv[i], "--x") == 0)
			rights[n] = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE;
		else
			break;
		paths[n++] = argv[i + 1];
	}
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
		fprintf(stderr, "usage: minibox [--ro DIR]... [--rw DIR]... [--x PATH]... -- PROG ARGS...\n");
		return 2;
	}
	char **prog = argv + i + 1;

	if (close_range(3, ~0u, 0) < 0)
		return mb_fail("close_range");
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 6) {
		errno = abi < 0 ? errno : ENOTSUP;
		return mb_fail("landlock ABI 6 needed");
	}
	struct mb_ruleset_attr attr = {
		.handled_access_fs = MB_FS_ALL,
		.handled_access_net = MB_NET_BIND_TCP | MB_NET_CONNECT_TCP,
		.scoped = MB_SCOPE_ABSTRACT_UNIX | MB_SCOPE_SIGNAL,
	};
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs < 0)
		return mb_fail("landlock_create_ruleset");
	for (int k = 0; k < n; k++)
		if (mb_rule(rs, paths[k], rights[k], attr.handled_access_fs) < 0)
			return mb_fail(paths[k]);
	/* The loader and libraries, for a dynamic PROG; /dev/null. */
	static const char *const sys[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache" };
	for (size_t k = 0; k < sizeof sys / sizeof sys[0]; k++)
		mb_rule(rs, sys[k], MB_FS_READ | LANDLOCK_ACCESS_FS_EXECUTE, attr.handled_access_fs);
	mb_rule(rs, "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE,
	        attr.handled_access_fs);

	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(MB_NOBODY, MB_NOBODY, MB_NOBODY) < 0 ||
	                       setresuid(MB_NOBODY, MB_NOBODY, MB_NOBODY) < 0))
		return mb_fail("drop to nobody");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return mb_fail("no_new_privs");
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		return mb_fail("landlock_restrict_self");
	close(rs);
	if (mb_seccomp() < 0)
		return mb_fail("seccomp");
	char *envp[] = { NULL };
	execve(prog[0], prog, envp);
	return mb_fail("execve");
}
