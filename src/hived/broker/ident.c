/*
 * ident.c — who holds the other end of a loopback TCP connection.
 *
 * The kernel names the peer's socket (inet_diag by the 4-tuple: its owner
 * uid and inode, net/peer.c); the processes holding it are those with an
 * fd linking to "socket:[inode]" in /proc/<pid>/fd. The broker then asks
 * the agent part which agent each of them is (their cgroup).
 *
 * Limits (docs/fairshare.md): a socket passed to or inherited by several
 * processes names them all, and the loop refuses when they are not one
 * agent; a process whose /proc/<pid>/fd hived may not read (another user,
 * when hived is not root) is not seen; past HIVE_BROKER_SCAN_PIDS_MAX
 * processes the scan stops and the caller is unknown. As root, where
 * each agent has a uid of its own, only processes of the socket's uid are
 * read (a socket handed to a process of another uid is not seen), and a
 * socket outside the agents' uids is nobody's: reading every process's
 * fds costs tens of ms on a busy host, one uid's a fraction of one. Unknown is never an
 * agent's identity: it must then bear a queen ticket.
 */
#include "broker_impl.h"
#include "hived/net/peer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 when one of pid's fds is the socket (its link text is want). */
static int holds(int procfd, const char *pid, const char *want)
{
	char path[300], link[64];
	int fd, found = 0;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof path, "%s/fd", pid);
	fd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while (!found && (e = readdir(d))) {
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
	}
	closedir(d);
	return found;
}

int ident_peer(const struct sockaddr_storage *local, const struct sockaddr_storage *remote, uid_t uid_lo,
               uid_t uid_hi, pid_t *pids, int max, int *npids, long long *uid)
{
	char want[48];
	uint64_t ino = 0;
	uid_t u;
	uint32_t seen = 0;
	struct dirent *e;
	int rc = peer_tcp_sock(local, remote, &u, &ino);

	*npids = 0;
	*uid = -1;
	if (rc < 0)
		return rc;
	*uid = u;
	/* As root every agent has a uid of its own in [lo, hi): a socket of
	 * another uid is no agent's, and only processes of its uid are read. */
	int by_uid = geteuid() == 0;
	if (by_uid && (u < uid_lo || u >= uid_hi))
		return 0;
	snprintf(want, sizeof want, "socket:[%llu]", (unsigned long long)ino);
	DIR *proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (++seen > HIVE_BROKER_SCAN_PIDS_MAX) {
			*npids = -1;
			break;
		}
		struct stat st;
		if (by_uid && (fstatat(dirfd(proc), e->d_name, &st, 0) < 0 || st.st_uid != u))
			continue;
		if (!holds(dirfd(proc), e->d_name, want))
			continue;
		if (*npids >= max) {
			*npids = -1;
			break;
		}
		pids[(*npids)++] = (pid_t)atoi(e->d_name);
	}
	closedir(proc);
	return 0;
}
