/*
 * notify.c — the seccomp user-notification supervisor of one agent, on
 * hived's loop (no threads): one notification per turn of the loop.
 *
 * A turn: RECV; read the arguments from the target (process_vm_readv, or
 * /proc/<pid>/mem), ID_VALID; resolve the path as the target sees it,
 * ID_VALID again if that read its /proc/<pid> (those links belong to the
 * caller only while it is still blocked in that call); ask decide; answer. Every path ends
 * in exactly one answer, and an internal failure answers -EACCES.
 *
 * Resolution lives in notify_path.c (the fast path, the walker).
 *
 * A path that does not resolve (ENOENT without O_CREAT, ENOTDIR, ELOOP):
 * decide still sees the best-effort path (canonical prefix + the rest), so
 * a probe of a denied file is denied and recorded like a read of it. If
 * decide would let it through, the supervisor answers the resolution's
 * own error itself instead of CONTINUE: the call would fail anyway, and
 * CONTINUE would let a file or symlink created in the meantime be opened
 * unchecked (Landlock would bound it, but not a right revoked inside the
 * ceiling).
 */
#include "notify.h"
#include "notify_path.h"
#include "hived/core/loop.h"

#include <seccomp.h>


#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* Newer than Debian 12's headers (6.6, 6.9). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

#if defined(__x86_64__)
#define NOTIFY_ARCH AUDIT_ARCH_X86_64
#define NOTIFY_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define NOTIFY_ARCH AUDIT_ARCH_AARCH64
#define NOTIFY_X32_BIT 0u
#else
#error "notify.c decodes syscalls by number: add this architecture"
#endif

/* open_how's first size (linux/openat2.h keeps it in the kernel). */
#define OPEN_HOW_SIZE_VER0 24
/* Flags open(2) knows; it ignores the rest, openat2(2) refuses them. */
#define OPEN_FLAGS_KNOWN                                                                                  \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | O_ASYNC | \
	 O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH |  \
	 O_TMPFILE)
/* A decoded call the supervisor lets run without asking (a send on a
 * connected socket: its connect was asked). */
#define CALL_PASS 1
/* The target is gone or its call was interrupted: nothing to answer. */
#define CALL_GONE 2


struct notify {
	struct loop *loop;
	int fd;
	int pidfd;
	struct notify_fs fs;
	notify_decide_fn decide;
	void *arg;
	struct notify_stats st;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
	int watching;
	int root;           /* hived is root: the broker takes the agent's fs identity */
	uid_t fsuid;
	gid_t fsgid;
	mode_t umask;
	gid_t groups[HIVE_NOTIFY_GROUPS_MAX];
	int ngroups;
};

/* The call being served. One per thread, not per agent (it is ~20 KiB):
 * a supervisor serves one call at a time, to its end, on its loop's thread. */
static _Thread_local struct notify_call call_now;

/* The fs identity of the calling thread, from /proc/<pid>/status. */
struct ident {
	uid_t uid;
	gid_t gid;
	mode_t umask;
	gid_t groups[HIVE_NOTIFY_GROUPS_MAX];
	int ngroups;
};

static const char *const op_names[NOTIFY_OPS] = {
	[NOTIFY_OPEN_READ] = "open-read",     [NOTIFY_OPEN_WRITE] = "open-write",
	[NOTIFY_OPEN_HANDLE] = "open-handle", [NOTIFY_EXEC] = "exec",
	[NOTIFY_CONNECT_TCP] = "connect-tcp", [NOTIFY_BIND_TCP] = "bind-tcp",
	[NOTIFY_SEND_UDP] = "send-udp",       [NOTIFY_CONNECT_UNIX] = "connect-unix",
	[NOTIFY_SOCKET_OTHER] = "socket-other", [NOTIFY_SYSCALL] = "syscall",
};

const char *notify_op_name(enum notify_op op)
{
	return (unsigned)op < NOTIFY_OPS ? op_names[op] : "unknown";
}

void notify_get_stats(const struct notify *n, struct notify_stats *st)
{
	if (n)
		*st = n->st;
	else
		memset(st, 0, sizeof *st);
}

/* --- the target's memory ------------------------------------------------ */

static int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (got == (ssize_t)len)
		return 0;
	if (got >= 0)
		return -EFAULT;
	if (errno != EPERM && errno != ENOSYS)
		return -errno;
	/* An LSM or an old kernel refused process_vm_readv: the mem file. */
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/mem", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = pread(fd, buf, len, (off_t)addr);
	int e = got < 0 ? errno : EFAULT;
	close(fd);
	return got == (ssize_t)len ? 0 : -e;
}

/* A NUL-terminated string, read page by page (the bytes past its end may
 * be unmapped), the first read short: most paths are, and copying a whole
 * page costs a path lookup's worth of time. */
static int mem_read_str(pid_t pid, uint64_t addr, char *buf, size_t cap)
{
	const size_t page = 4096, first = 256;
	for (size_t off = 0; off < cap;) {
		size_t chunk = page - (size_t)((addr + off) % page);
		if (off == 0 && chunk > first)
			chunk = first;
		if (chunk > cap - off)
			chunk = cap - off;
		int rc = mem_read(pid, addr + off, buf + off, chunk);
		if (rc)
			return rc;
		if (memchr(buf + off, 0, chunk))
			return 0;
		off += chunk;
	}
	return -ENAMETOOLONG;
}

static int id_valid(const struct notify *n, uint64_t id)
{
	return ioctl(n->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* What was read belongs to the caller only if it is still blocked in this
 * call (else its pid may name another process by now). An absolute path
 * read and checked already needs no second ioctl: the fast path then reads
 * nothing of the target's. */
static int still_valid(const struct notify *n, struct notify_call *c)
{
	if (!c->unchecked)
		return 1;
	c->unchecked = 0;
	return id_valid(n, c->id);
}

/* --- decoding --------------------------------------------------------------- */

static int sock_type(pid_t pid, int fd)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
	if (pfd < 0 && errno == EINVAL)
		pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return -errno;
	int sfd = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
	int e = errno;
	close(pfd);
	if (sfd < 0)
		return -e;
	int type = 0;
	socklen_t tl = sizeof type;
	int rc = getsockopt(sfd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ? -errno : type;
	close(sfd);
	return rc;
}

static enum notify_op open_op(int flags)
{
	if (flags & O_PATH)
		return NOTIFY_OPEN_READ;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | (O_TMPFILE & ~O_DIRECTORY))))
		return NOTIFY_OPEN_WRITE;
	return NOTIFY_OPEN_READ;
}

/* An address: port for inet, a path or "@name" for unix. */
static int decode_addr(struct notify *n, struct notify_call *c, struct notify_access *acc, int sfd, uint64_t addr,
                       uint64_t alen, int is_bind)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
		struct sockaddr_storage ss;
	} u;
	memset(&u, 0, sizeof u);
	if (alen < sizeof(sa_family_t) || alen > sizeof u)
		return -EINVAL;
	c->unchecked = 1;
	int rc = mem_read(c->pid, addr, &u, alen);
	if (rc)
		return rc;
	acc->op = NOTIFY_SOCKET_OTHER;
	switch (u.sa.sa_family) {
	case AF_INET:
	case AF_INET6: {
		if (alen < (u.sa.sa_family == AF_INET ? sizeof u.in : sizeof u.in6))
			return -EINVAL;
		acc->port = ntohs(u.sa.sa_family == AF_INET ? u.in.sin_port : u.in6.sin6_port);
		int type = sock_type(c->pid, sfd);
		if (type < 0)
			return type;
		if (type == SOCK_STREAM)
			acc->op = is_bind ? NOTIFY_BIND_TCP : NOTIFY_CONNECT_TCP;
		else if (type == SOCK_DGRAM)
			acc->op = NOTIFY_SEND_UDP;
		return 0;
	}
	case AF_UNIX: {
		size_t plen = alen - offsetof(struct sockaddr_un, sun_path);
		acc->op = NOTIFY_CONNECT_UNIX;
		if (plen == 0)
			return -EINVAL;
		if (u.un.sun_path[0] == '\0') {
			/* Abstract: every byte is the name, NULs too, so escape rather
			 * than stop at one ("\0a\0b" must not read as "@a"). */
			size_t o = 0;
			c->path[o++] = '@';
			for (size_t i = 1; i < plen && o + 5 < sizeof c->path; i++) {
				unsigned char ch = (unsigned char)u.un.sun_path[i];
				if (ch > 0x20 && ch < 0x7f && ch != '\\')
					c->path[o++] = (char)ch;
				else
					o += (size_t)snprintf(c->path + o, 5, "\\x%02x", ch);
			}
			c->path[o] = '\0';
			acc->path = c->path;
			return 0;
		}
		memcpy(c->raw, u.un.sun_path, plen < sizeof u.un.sun_path ? plen : sizeof u.un.sun_path);
		c->raw[plen < sizeof u.un.sun_path ? plen : sizeof u.un.sun_path] = '\0';
		c->dirfd = AT_FDCWD;
		c->follow = !is_bind;
		c->creat = is_bind;
		if (!still_valid(n, c))
			return CALL_GONE;
		rc = notify_path_resolve(&n->fs, c);
		acc->path = c->path;
		return rc;
	}
	default:
		return 0;
	}
}

/* A path call: read the path, resolve it. */
static int decode_path(struct notify *n, struct notify_call *c, struct notify_access *acc, uint64_t addr)
{
	c->unchecked = 1;
	int rc = mem_read_str(c->pid, addr, c->raw, sizeof c->raw);
	if (rc)
		return rc;
	if (!still_valid(n, c))
		return CALL_GONE;
	if ((c->flags & O_TMPFILE) == O_TMPFILE && acc->op != NOTIFY_EXEC)
		c->creat = 0;
	if (acc->op == NOTIFY_EXEC && c->raw[0] == '\0' && (c->flags & AT_EMPTY_PATH)) {
		/* execveat(fd, "", AT_EMPTY_PATH): the fd's object is what runs. */
		char link[64];
		snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)c->pid, c->dirfd);
		snprintf(c->raw, sizeof c->raw, "%s", link);
		c->unchecked = 1;
		c->dirfd = AT_FDCWD;
		c->follow = 1;
	}
	rc = notify_path_resolve(&n->fs, c);
	acc->path = c->path;
	return rc;
}

/* The name of a refused call for its row, from libseccomp's table, kept
 * per number (the filter refuses a few dozen). */
static const char *syscall_name(int nr)
{
	static struct {
		int nr;
		char name[32];
	} seen[HIVE_NOTIFY_SYSCALL_NAMES];
	static unsigned nseen;

	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].nr == nr)
			return seen[i].name;
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	if (!name || nseen >= HIVE_NOTIFY_SYSCALL_NAMES) {
		free(name);
		return "unknown";
	}
	seen[nseen].nr = nr;
	snprintf(seen[nseen].name, sizeof seen[nseen].name, "%s", name);
	free(name);
	return seen[nseen++].name;
}

static int decode(struct notify *n, struct notify_call *c, struct notify_access *acc)
{
	const struct seccomp_data *d = &n->req->data;
	const __u64 *a = d->args;

	switch (d->nr) {
#ifdef SYS_open
	case SYS_open:
		c->flags = (int)a[1];
		c->mode = (mode_t)a[2];
		acc->syscall = "open";
		goto open_call;
	case SYS_creat:
		c->flags = O_CREAT | O_WRONLY | O_TRUNC;
		c->mode = (mode_t)a[1];
		acc->syscall = "creat";
		goto open_call;
#endif
	case SYS_openat:
		c->dirfd = (int)a[0];
		c->flags = (int)a[2];
		c->mode = (mode_t)a[3];
		acc->syscall = "openat";
		a++;
		goto open_call;
	case SYS_openat2: {
		struct open_how how = { 0 };
		if (a[3] < OPEN_HOW_SIZE_VER0)
			return -EINVAL;
		c->unchecked = 1;
		int rc = mem_read(c->pid, a[2], &how, a[3] < sizeof how ? a[3] : sizeof how);
		if (rc)
			return rc;
		if (how.flags >> 32 || how.mode & ~(uint64_t)07777)
			return -EINVAL;
		c->dirfd = (int)a[0];
		c->flags = (int)how.flags;
		c->mode = (mode_t)how.mode;
		c->resolve = how.resolve;
		c->is_openat2 = 1;
		acc->syscall = "openat2";
		a++;
		goto open_call;
	}
	case SYS_open_by_handle_at:
		acc->syscall = "open_by_handle_at";
		acc->op = NOTIFY_OPEN_HANDLE;
		return 0;
	case SYS_execve:
		acc->syscall = "execve";
		acc->op = NOTIFY_EXEC;
		c->follow = 1;
		return decode_path(n, c, acc, a[0]);
	case SYS_execveat:
		acc->syscall = "execveat";
		acc->op = NOTIFY_EXEC;
		c->dirfd = (int)a[0];
		c->flags = (int)a[4];
		c->follow = !(c->flags & AT_SYMLINK_NOFOLLOW);
		acc->flags = c->flags;
		return decode_path(n, c, acc, a[1]);
	case SYS_connect:
	case SYS_bind:
		acc->syscall = d->nr == SYS_bind ? "bind" : "connect";
		return decode_addr(n, c, acc, (int)a[0], a[1], a[2], d->nr == SYS_bind);
	case SYS_sendto:
		acc->syscall = "sendto";
		if (!a[4])
			return CALL_PASS;
		return decode_addr(n, c, acc, (int)a[0], a[4], a[5], 0);
	case SYS_sendmsg: {
		struct msghdr m;
		acc->syscall = "sendmsg";
		c->unchecked = 1;
		int rc = mem_read(c->pid, a[1], &m, sizeof m);
		if (rc)
			return rc;
		if (!m.msg_name || !m.msg_namelen)
			return CALL_PASS;
		return decode_addr(n, c, acc, (int)a[0], (uint64_t)(uintptr_t)m.msg_name, m.msg_namelen, 0);
	}
	case SYS_socket: {
		int fam = (int)a[0], type = (int)a[1] & 0xf;
		acc->syscall = "socket";
		acc->op = (fam == AF_INET || fam == AF_INET6) && type == SOCK_DGRAM ? NOTIFY_SEND_UDP : NOTIFY_SOCKET_OTHER;
		return 0;
	}
	default:
		/* The filter's refused calls (filter.c) come here to be recorded:
		 * nothing of the target's is read, decide names and denies it. */
		acc->op = NOTIFY_SYSCALL;
		acc->syscall = syscall_name(d->nr);
		return 0;
	}
open_call:
	/* a[] now starts at the path argument whatever the call. */
	acc->op = open_op(c->flags);
	acc->flags = c->flags;
	c->creat = (c->flags & O_CREAT) && !(c->flags & O_PATH);
	c->follow = !(c->flags & O_NOFOLLOW) && !((c->flags & O_CREAT) && (c->flags & O_EXCL));
	return decode_path(n, c, acc, a[0]);
}

/* --- answers ---------------------------------------------------------------- */

static void answer(struct notify *n, int error, uint32_t flags)
{
	memset(n->resp, 0, n->resp_size);
	n->resp->id = call_now.id;
	n->resp->error = error;
	n->resp->flags = flags;
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, n->resp) < 0 && errno != ENOENT)
		n->st.errors++;
}

static int read_ident(pid_t pid, struct ident *id)
{
	char p[64], buf[4096];
	snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = '\0';
	unsigned umask_v = 0777, u[4], g[4];
	int have = 0;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (sscanf(line, "Umask: %o", &umask_v) == 1)
			have |= 1;
		else if (sscanf(line, "Uid: %u %u %u %u", &u[0], &u[1], &u[2], &u[3]) == 4)
			have |= 2;
		else if (sscanf(line, "Gid: %u %u %u %u", &g[0], &g[1], &g[2], &g[3]) == 4)
			have |= 4;
		else if (!strncmp(line, "Groups:", 7)) {
			char *s = line + 7, *end;
			id->ngroups = 0;
			for (;;) {
				unsigned long v = strtoul(s, &end, 10);
				if (end == s)
					break;
				if (id->ngroups == (int)HIVE_NOTIFY_GROUPS_MAX) {
					id->ngroups = -1; /* too many to take on: the broker refuses */
					break;
				}
				id->groups[id->ngroups++] = (gid_t)v;
				s = end;
			}
			have |= 8;
		}
	}
	if (have != 15)
		return -EIO;
	id->uid = u[3];
	id->gid = g[3];
	id->umask = (mode_t)umask_v;
	return 0;
}

/* Take the agent's fs identity on this thread only (raw calls: glibc would
 * broadcast setgroups to every thread of hived). */
static int become(const struct notify *n, const struct ident *id)
{
	if (!n->root)
		return 0;
	if (syscall(SYS_setgroups, (size_t)id->ngroups, id->groups) < 0)
		return -errno;
	syscall(SYS_setfsgid, id->gid);
	syscall(SYS_setfsuid, id->uid);
	if ((uid_t)syscall(SYS_setfsuid, (uid_t)-1) != id->uid || (gid_t)syscall(SYS_setfsgid, (gid_t)-1) != id->gid)
		return -EPERM;
	return 0;
}

static void unbecome(const struct notify *n)
{
	if (!n->root)
		return;
	syscall(SYS_setfsuid, n->fsuid);
	syscall(SYS_setfsgid, n->fsgid);
	syscall(SYS_setgroups, (size_t)n->ngroups, n->groups);
}

/* The supervisor opens what it checked, as the agent, and hands it over. */
static void broker(struct notify *n, struct notify_call *c)
{
	struct ident id;
	struct stat want, got;
	int rc = read_ident(c->pid, &id), fd = -1;
	if (!rc && id.ngroups < 0)
		rc = -E2BIG;
	if (rc)
		goto fail;
	if (!id_valid(n, c->id))
		return;
	struct open_how how = {
		/* O_NONBLOCK: a FIFO without a peer, or a file under a lease, would
		 * block hived's loop; the agent's own blocking is restored below. */
		.flags = (uint64_t)(unsigned)((c->flags & ~O_CLOEXEC) | O_CLOEXEC | O_NOCTTY | O_LARGEFILE | O_NONBLOCK),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	if (!c->is_openat2)
		how.flags &= (uint64_t)(unsigned)OPEN_FLAGS_KNOWN;
	if ((how.flags & O_CREAT) || (how.flags & O_TMPFILE) == O_TMPFILE)
		how.mode = c->mode & ~id.umask & 07777;
	int dirfd = AT_FDCWD;
	const char *p = c->path;
	if (c->opath < 0) {
		/* Absent when checked: it must be new now, or it is not what was checked. */
		dirfd = c->parent;
		p = c->leaf;
		how.flags |= O_EXCL;
	} else {
		if (fstat(c->opath, &want) < 0)
			goto fail_errno;
		if (S_ISDIR(want.st_mode)) {
			dirfd = c->opath;
			p = ".";
		} else if (c->path[0] != '/') {
			rc = -EACCES; /* a memfd or a socket: nothing to reopen by name */
			goto fail;
		}
	}
	rc = become(n, &id);
	if (!rc) {
		fd = (int)syscall(SYS_openat2, dirfd, p, &how, sizeof how);
		rc = fd < 0 ? -errno : 0;
		/* hived's own umask may have taken more than the agent's. */
		if (fd >= 0 && c->opath < 0 && (how.flags & O_CREAT) && (how.mode & n->umask))
			rc = fchmod(fd, how.mode) < 0 ? -errno : 0;
	}
	unbecome(n);
	if (rc)
		goto fail;
	if (!(c->flags & O_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		goto fail_errno;
	if (c->opath >= 0 && !S_ISDIR(want.st_mode)) {
		if (fstat(fd, &got) < 0)
			goto fail_errno;
		if (got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
			rc = -EACCES; /* swapped between the check and the open */
			goto fail;
		}
	}
	struct seccomp_notif_addfd add = {
		.id = c->id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)fd,
		.newfd_flags = (c->flags & O_CLOEXEC) ? O_CLOEXEC : 0,
	};
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno != ENOENT) {
		rc = -errno; /* EMFILE in the target, say: still one answer */
		goto fail;
	}
	close(fd);
	n->st.brokered++;
	return;
fail_errno:
	rc = -errno;
fail:
	if (fd >= 0)
		close(fd);
	if (rc == -EEXIST && !(c->flags & O_EXCL))
		rc = -EACCES; /* created by someone else after the check */
	answer(n, rc, 0);
}

/* Errors the call itself would meet, answered as they are; anything else
 * is the supervisor's own trouble and denies. */
static int call_error(int rc)
{
	switch (-rc) {
	case ENOENT: case ENOTDIR: case ELOOP: case ENAMETOOLONG: case EACCES: case EPERM: case EXDEV:
	case EBADF: case EFAULT: case EINVAL: case ENOTSOCK: case EISDIR:
		return 1;
	default:
		return 0;
	}
}

static void serve(struct notify *n)
{
	const struct seccomp_notif *req = n->req;
	struct notify_call *c = &call_now;
	struct notify_access acc = { .pid = (pid_t)req->pid };

	c->id = req->id;
	c->pid = (pid_t)req->pid;
	c->dirfd = AT_FDCWD;
	c->flags = 0;
	c->mode = 0;
	c->resolve = 0;
	c->is_openat2 = c->unchecked = c->follow = c->creat = 0;
	c->opath = c->parent = -1;
	c->path[0] = c->raw[0] = '\0';

	if (req->data.arch != NOTIFY_ARCH || (req->data.nr & NOTIFY_X32_BIT)) {
		n->st.denied++;
		answer(n, -EACCES, 0);
		return;
	}
	int rc = decode(n, c, &acc);
	if (rc == CALL_GONE || (rc >= 0 && !still_valid(n, c)))
		goto out;
	if (rc == CALL_PASS) {
		n->st.allowed++;
		answer(n, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
		goto out;
	}
	if (rc < 0 && !call_error(rc)) {
		n->st.errors++;
		answer(n, -EACCES, 0);
		goto out;
	}
	if (rc < 0 && !c->path[0]) {
		answer(n, rc, 0); /* EFAULT, EBADF...: nothing named, the call fails as it would */
		goto out;
	}
	if (rc < 0 && !still_valid(n, c))
		goto out;
	enum notify_decision d = n->decide(n->arg, &acc);
	if (d == NOTIFY_DENY || acc.op == NOTIFY_SYSCALL) {
		n->st.denied++;
		answer(n, acc.op == NOTIFY_SYSCALL ? -EPERM : -EACCES, 0);
	} else if (rc < 0) {
		n->st.allowed++;
		answer(n, rc, 0);
	} else if (d == NOTIFY_ALLOW || (d == NOTIFY_BROKER && (c->flags & O_PATH) && acc.op == NOTIFY_OPEN_READ)) {
		/* An O_PATH fd cannot be injected (ADDFD's fget() skips them),
		 * and needs no broker: it reads and writes nothing, and every
		 * open or exec through it is notified and checked again. */
		n->st.allowed++;
		answer(n, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	} else if (d == NOTIFY_BROKER && (acc.op == NOTIFY_OPEN_READ || acc.op == NOTIFY_OPEN_WRITE)) {
		broker(n, c);
	} else {
		n->st.errors++; /* only an open can be brokered */
		answer(n, -EACCES, 0);
	}
out:
	if (c->opath >= 0)
		close(c->opath);
	if (c->parent >= 0)
		close(c->parent);
	c->opath = c->parent = -1;
}

static void on_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct notify *n = arg;
	if (events & EPOLLIN) {
		memset(n->req, 0, n->req_size);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, n->req) == 0) {
			n->st.calls++;
			serve(n);
		} else if (errno != ENOENT && errno != EINTR) {
			n->st.errors++;
		}
		return;
	}
	/* No task uses the filter any more: stop watching, or HUP spins the loop. */
	if (events & (EPOLLHUP | EPOLLERR)) {
		loop_del_fd(loop, fd);
		n->watching = 0;
	}
}

static int self_umask(mode_t *out)
{
	struct ident id;
	int rc = read_ident(getpid(), &id);
	if (!rc)
		*out = id.umask;
	return rc;
}

int notify_start(struct loop *loop, int listener_fd, int pidfd, notify_decide_fn decide, void *arg,
                 struct notify **out, struct err *err)
{
	static struct seccomp_notif_sizes sizes; /* the kernel's, asked once */
	struct notify *n = NULL;
	int rc;

	*out = NULL;
	if (!sizes.seccomp_notif && syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		rc = err_set(err, errno, "seccomp notification sizes: %s", strerror(errno));
		goto fail;
	}
	n = calloc(1, sizeof *n);
	if (!n) {
		rc = err_set(err, ENOMEM, "supervisor: out of memory");
		goto fail;
	}
	n->fd = listener_fd;
	n->fs.rootfd = -1;
	n->req_size = sizes.seccomp_notif > sizeof *n->req ? sizes.seccomp_notif : sizeof *n->req;
	n->resp_size = sizes.seccomp_notif_resp > sizeof *n->resp ? sizes.seccomp_notif_resp : sizeof *n->resp;
	n->req = calloc(1, n->req_size);
	n->resp = calloc(1, n->resp_size);
	if (!n->req || !n->resp) {
		rc = err_set(err, ENOMEM, "supervisor: out of memory");
		goto fail;
	}
	n->loop = loop;
	n->pidfd = pidfd;
	n->decide = decide;
	n->arg = arg;
	rc = notify_fs_open(&n->fs);
	if (rc) {
		err_set(err, -rc, "supervisor: / or /proc: %s", strerror(-rc));
		goto fail;
	}
	rc = self_umask(&n->umask);
	if (rc) {
		err_set(err, -rc, "supervisor: own umask: %s", strerror(-rc));
		goto fail;
	}
	n->root = geteuid() == 0;
	if (n->root) {
		n->fsuid = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
		n->fsgid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
		n->ngroups = getgroups(HIVE_NOTIFY_GROUPS_MAX, n->groups);
		if (n->ngroups < 0) {
			rc = err_set(err, errno, "supervisor: hived's groups: %s", strerror(errno));
			goto fail;
		}
	}
	/* Wake the supervisor on the target's CPU: ~66 us -> ~5 us a call here
	 * (sandbox.md 3.3). Older kernels lack it (EINVAL): then just slower. */
	uint64_t fl = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, fl) < 0 && errno != EINVAL && errno != ENOTTY) {
		rc = err_set(err, errno, "supervisor: sync wake-up: %s", strerror(errno));
		goto fail;
	}
	rc = loop_add_fd(loop, listener_fd, EPOLLIN, on_ready, n);
	if (rc < 0) {
		err_set(err, -rc, "supervisor: loop: %s", strerror(-rc));
		goto fail;
	}
	n->watching = 1;
	*out = n;
	return 0;
fail:
	if (n) {
		notify_fs_close(&n->fs);
		free(n->req);
		free(n->resp);
		free(n);
	}
	close(listener_fd);
	return rc;
}

void notify_stop(struct notify *n)
{
	if (!n)
		return;
	if (n->watching)
		loop_del_fd(n->loop, n->fd);
	close(n->fd);
	notify_fs_close(&n->fs);
	free(n->req);
	free(n->resp);
	free(n);
}
