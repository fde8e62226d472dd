/*
 * sbxprobe — runs one named probe inside an agent sandbox and prints
 * "<probe> <errno>\n" (0 = the call worked), so test_sandbox.c can check
 * what the sandbox lets through without a shell.
 *
 *   sbxprobe read PATH | write PATH | unshare | mount | ptrace | io_uring |
 *            perf | keyctl | clone_ns | packet | udp | status | fds | env |
 *            connect PORT | x32 | sctp | mptcp | fastopen | pidfd_getfd |
 *            clone3 | i386
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static int rc_of(long r)
{
	return r < 0 ? errno : 0;
}

static int probe(int argc, char **argv)
{
	const char *p = argv[1];
	const char *arg = argc > 2 ? argv[2] : "";
	if (!strcmp(p, "read") || !strcmp(p, "write")) {
		int fd = open(arg, !strcmp(p, "read") ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	}
	if (!strcmp(p, "unshare"))
		return rc_of(unshare(CLONE_NEWUSER));
	if (!strcmp(p, "mount"))
		return rc_of(mount("none", "/tmp", "tmpfs", 0, NULL));
	if (!strcmp(p, "ptrace"))
		return rc_of(syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0));
	if (!strcmp(p, "io_uring")) {
		char params[120] = { 0 };
		return rc_of(syscall(SYS_io_uring_setup, 1, params));
	}
	if (!strcmp(p, "perf")) {
		char attr[128] = { 0 };
		return rc_of(syscall(SYS_perf_event_open, attr, 0, -1, -1, 0));
	}
	if (!strcmp(p, "keyctl"))
		return rc_of(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
	if (!strcmp(p, "clone_ns")) {
		long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
		return rc_of(pid);
	}
	if (!strcmp(p, "x32")) /* getpid by its x32 number: the filter kills */
		return rc_of(syscall(0x40000000 + 39));
#ifdef __x86_64__
	if (!strcmp(p, "i386")) { /* getpid through the 32-bit entry: a foreign arch */
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "rcx", "r11");
		return ret > 0 ? 0 : (int)-ret;
	}
#endif
	if (!strcmp(p, "sctp")) /* a stream Landlock's TCP rules do not see */
		return rc_of(socket(AF_INET6, SOCK_STREAM, 132 /* IPPROTO_SCTP */));
	if (!strcmp(p, "mptcp"))
		return rc_of(socket(AF_INET, SOCK_STREAM, 262 /* IPPROTO_MPTCP */));
	if (!strcmp(p, "fastopen")) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9),
			                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		return rc_of(sendto(fd, "x", 1, 0x20000000 /* MSG_FASTOPEN */, (struct sockaddr *)&sa, sizeof sa));
	}
	if (!strcmp(p, "pidfd_getfd"))
		return rc_of(syscall(SYS_pidfd_getfd, 0, 0, 0));
	if (!strcmp(p, "clone3")) {
		char args[88] = { 0 };
		return rc_of(syscall(SYS_clone3, args, sizeof args));
	}
	if (!strcmp(p, "packet"))
		return rc_of(socket(AF_PACKET, SOCK_RAW, 0));
	if (!strcmp(p, "udp"))
		return rc_of(socket(AF_INET, SOCK_DGRAM, 0));
	if (!strcmp(p, "connect")) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return errno;
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg)),
			                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		return rc_of(connect(fd, (struct sockaddr *)&sa, sizeof sa));
	}
	if (!strcmp(p, "status")) {
		/* The lines that say who we are and what we may do. */
		FILE *fp = fopen("/proc/self/status", "r");
		if (!fp)
			return errno;
		char line[256];
		while (fgets(line, sizeof line, fp))
			if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "Cap", 3) ||
			    !strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "Seccomp:", 8) ||
			    !strncmp(line, "Groups:", 7))
				fputs(line, stdout);
		fclose(fp);
		return 0;
	}
	if (!strcmp(p, "fds")) {
		for (int fd = 0; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				printf("fd %d\n", fd);
		return 0;
	}
	if (!strcmp(p, "env")) {
		for (char **e = environ; *e; e++)
			printf("env %s\n", *e);
		return 0;
	}
	return EINVAL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sbxprobe PROBE [ARG]\n");
		return 2;
	}
	int e = probe(argc, argv);
	printf("%s %d\n", argv[1], e);
	return 0;
}
