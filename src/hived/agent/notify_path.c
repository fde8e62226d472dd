/*
 * notify_path.c — a notified call's path, resolved as the target sees it.
 *
 * The fast path joins the target's cwd or dirfd (readlink of
 * /proc/<pid>/cwd or /proc/<pid>/fd/N) with the path and opens the result
 * O_PATH with RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS: success means no
 * link was crossed, so the lexically cleaned path is the canonical one
 * ("..": no component before it was a symlink either). Otherwise a walker
 * opens one component at a time from an fd of the target's cwd or dirfd,
 * follows symlinks itself — so "/proc/self" in the path or in a link
 * means the target, not hived — follows /proc magic links by opening them
 * (their object counts, not their text), and names what it reached by
 * readlink of /proc/self/fd/N. The agent shares hived's root and mount
 * namespace (it can neither chroot nor unshare), so names agree.
 *
 * Hard links have no canonical name: a second name for a file is as good
 * as the first. Landlock bounds making them (REFER across directories),
 * and protected_hardlinks keeps an agent from linking what it cannot read.
 */
#include "notify_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* procfs's root directory inode (fs/proc/root.c). */
#define PROC_ROOT_INO 1

int notify_fs_open(struct notify_fs *fs)
{
	struct stat st;
	fs->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->rootfd < 0 || stat("/proc", &st) < 0) {
		int rc = -errno;
		notify_fs_close(fs);
		return rc;
	}
	fs->proc_dev = st.st_dev;
	return 0;
}

void notify_fs_close(struct notify_fs *fs)
{
	if (fs->rootfd >= 0)
		close(fs->rootfd);
	fs->rootfd = -1;
}

/* Clean an absolute path lexically, in place: "//" and "/." collapse, "/.."
 * pops a component but never above "/", no trailing slash but for "/".
 * Only correct for a path walked without crossing a symlink. */
static void path_clean(char *p)
{
	size_t o = 0;
	for (size_t i = 0; p[i];) {
		while (p[i] == '/')
			i++;
		if (!p[i])
			break;
		size_t len = strcspn(p + i, "/");
		if (len == 2 && p[i] == '.' && p[i + 1] == '.') {
			while (o > 0 && p[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (!(len == 1 && p[i] == '.')) {
			p[o++] = '/';
			memmove(p + o, p + i, len);
			o += len;
		}
		i += len;
	}
	if (o == 0)
		p[o++] = '/';
	p[o] = '\0';
}

/* The name of what an fd of hived's refers to. */
static int fd_path(int fd, char *buf, size_t cap)
{
	char p[40];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t len = readlink(p, buf, cap - 1);
	if (len < 0)
		return -errno;
	if ((size_t)len >= cap - 1)
		return -ENAMETOOLONG;
	buf[len] = '\0';
	return 0;
}

/* dir + "/" + rest into out, cleaned; a best-effort name when the walk stopped. */
static void path_join(char *out, size_t cap, const char *dir, const char *rest)
{
	int len = snprintf(out, cap, "%s/%s", dir, rest);
	if (len < 0 || (size_t)len >= cap)
		snprintf(out, cap, "%s", dir);
	if (out[0] == '/')
		path_clean(out);
}

static void best_effort(struct notify_call *c, int dirfd, const char *name, const char *rest)
{
	char dir[HIVE_NOTIFY_PATH_MAX];
	if (fd_path(dirfd, dir, sizeof dir) < 0)
		snprintf(dir, sizeof dir, "%s", "/");
	char tail[HIVE_NOTIFY_PATH_MAX];
	snprintf(tail, sizeof tail, "%s/%s", name, rest);
	path_join(c->path, sizeof c->path, dir, tail);
}

/*
 * Walk c->work from start (an owned O_PATH directory fd) one component at
 * a time, following symlinks here rather than in the kernel so /proc/self
 * and /proc/thread-self name the target. Leaves c->opath (the object) or,
 * for a missing last component of a creating call, c->parent + c->leaf.
 */
static int walk(const struct notify_fs *fs, struct notify_call *c, int start)
{
	char *rest = c->work;
	size_t pos = 0;
	int cur = start, links = 0, steps = 0, rc;
	char name[NAME_MAX + 1];

	for (;;) {
		if (++steps > (int)HIVE_NOTIFY_WALK_STEPS_MAX) {
			rc = -ELOOP;
			goto fail;
		}
		while (rest[pos] == '/')
			pos++;
		if (!rest[pos]) {
			c->opath = cur;
			return 0;
		}
		size_t len = strcspn(rest + pos, "/");
		if (len > NAME_MAX) {
			rc = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, rest + pos, len);
		name[len] = '\0';
		size_t next = pos + len;
		int slash = rest[next] == '/';
		while (rest[next] == '/')
			next++;
		int last = !rest[next];
		pos = next;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (up < 0) {
				rc = -errno;
				goto fail;
			}
			close(cur);
			cur = up;
			continue;
		}
		int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			if (rc == -ENOENT && last && !slash && c->creat) {
				c->parent = cur;
				memcpy(c->leaf, name, len + 1);
				return 0;
			}
			best_effort(c, cur, name, rest + pos);
			goto fail;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			rc = -errno;
			close(fd);
			goto fail;
		}
		if (!S_ISLNK(st.st_mode) || (last && !slash && !c->follow)) {
			if (last) {
				close(cur);
				c->opath = fd;
				return 0;
			}
			close(cur);
			cur = fd;
			continue;
		}
		if ((c->resolve & RESOLVE_NO_SYMLINKS) || ++links > (int)HIVE_NOTIFY_SYMLINKS_MAX) {
			close(fd);
			rc = -ELOOP;
			best_effort(c, cur, name, rest + pos);
			goto fail;
		}
		ssize_t tl = readlinkat(fd, "", c->link, sizeof c->link - 32);
		if (tl < 0 || (size_t)tl >= sizeof c->link - 32) {
			rc = tl < 0 ? -errno : -ENAMETOOLONG;
			close(fd);
			goto fail;
		}
		c->link[tl] = '\0';
		if (st.st_dev == fs->proc_dev) {
			struct stat ds;
			int at_root = fstat(cur, &ds) == 0 && ds.st_dev == fs->proc_dev && ds.st_ino == PROC_ROOT_INO;
			if (at_root && (!strcmp(name, "self") || !strcmp(name, "thread-self")))
				c->unchecked = 1;
			if (at_root && !strcmp(name, "self")) {
				tl = snprintf(c->link, sizeof c->link, "%d", (int)c->pid);
			} else if (at_root && !strcmp(name, "thread-self")) {
				tl = snprintf(c->link, sizeof c->link, "%d/task/%d", (int)c->pid, (int)c->pid);
			} else if (c->link[0] == '/' || strchr(c->link, ':')) {
				/* A magic link (fd/N, cwd, root, exe): its object counts, not its text. */
				close(fd);
				if (c->resolve & RESOLVE_NO_MAGICLINKS) {
					rc = -ELOOP;
					goto fail;
				}
				fd = openat(cur, name, O_PATH | O_CLOEXEC);
				if (fd < 0) {
					rc = -errno;
					best_effort(c, cur, name, rest + pos);
					goto fail;
				}
				close(cur);
				if (last) {
					c->opath = fd;
					return 0;
				}
				cur = fd;
				continue;
			}
		}
		close(fd);
		/* Splice: the link's text, then what was left after it. */
		size_t rl = strlen(rest + pos);
		if ((size_t)tl + 1 + rl + 1 > sizeof c->work) {
			rc = -ENAMETOOLONG;
			goto fail;
		}
		memmove(rest + tl + 1, rest + pos, rl + 1);
		memcpy(rest, c->link, (size_t)tl);
		rest[tl] = (rl || slash) ? '/' : '\0';
		pos = 0;
		if (rest[0] == '/') {
			int r = fcntl(fs->rootfd, F_DUPFD_CLOEXEC, 0);
			if (r < 0) {
				rc = -errno;
				goto fail;
			}
			close(cur);
			cur = r;
		}
	}
fail:
	close(cur);
	return rc;
}

/* openat2 with RESOLVE_BENEATH or RESOLVE_IN_ROOT: those change what the
 * path means relative to the dirfd, so the kernel resolves it with the
 * caller's own flags from an fd of the caller's dirfd (both refuse magic
 * links and absolute escapes, so hived's context cannot differ). */
static int resolve_scoped(struct notify_call *c, int base)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | (c->follow ? 0 : O_NOFOLLOW),
		.resolve = (c->resolve & ~(uint64_t)RESOLVE_CACHED) | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, base, c->raw, &how, sizeof how);
	if (fd >= 0) {
		c->opath = fd;
		return 0;
	}
	int rc = -errno;
	char *slash = strrchr(c->raw, '/');
	const char *leaf = slash ? slash + 1 : c->raw;
	if (rc == -ENOENT && c->creat && *leaf && strlen(leaf) <= NAME_MAX) {
		snprintf(c->work, sizeof c->work, "%.*s", slash ? (int)(slash - c->raw) + 1 : 1, slash ? c->raw : ".");
		how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		fd = (int)syscall(SYS_openat2, base, c->work, &how, sizeof how);
		if (fd >= 0) {
			c->parent = fd;
			memcpy(c->leaf, leaf, strlen(leaf) + 1); /* <= NAME_MAX, checked */
			return 0;
		}
		rc = -errno;
	}
	best_effort(c, base, c->raw, "");
	return rc;
}

int notify_path_resolve(const struct notify_fs *fs, struct notify_call *c)
{
	char link[64] = "";
	int rc;

	if (!c->raw[0])
		return -ENOENT;
	if (c->raw[0] != '/' || (c->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))) {
		c->unchecked = 1;
		if (c->dirfd == AT_FDCWD)
			snprintf(link, sizeof link, "/proc/%d/cwd", (int)c->pid);
		else
			snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)c->pid, c->dirfd);
	}
	if (c->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) {
		int base = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (base < 0)
			return errno == ENOENT ? -EBADF : -errno;
		rc = resolve_scoped(c, base);
		close(base);
		goto name;
	}

	/* Fast path: the joined path, crossing no link at all. The directory's
	 * text is only a name for it when it is whole and not " (deleted)". */
	size_t off = 0;
	int named = 1;
	if (c->raw[0] != '/') {
		ssize_t len = readlink(link, c->work, HIVE_NOTIFY_PATH_MAX - 1);
		if (len < 0)
			return errno == ENOENT && c->dirfd != AT_FDCWD ? -EBADF : -errno;
		off = (size_t)len;
		c->work[off] = '\0';
		named = off < HIVE_NOTIFY_PATH_MAX - 1 && !(off >= 10 && !strcmp(c->work + off - 10, " (deleted)"));
		c->work[off++] = '/';
	}
	size_t rl = strlen(c->raw);
	memcpy(c->work + off, c->raw, rl + 1);
	if (named && c->work[0] == '/' && c->work[off + rl - 1] != '/') {
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC | (c->follow ? 0 : O_NOFOLLOW),
			.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int)syscall(SYS_openat2, AT_FDCWD, c->work, &how, sizeof how);
		int e = errno;
		if (fd >= 0 || (e == ENOENT && !c->creat)) {
			/* ENOENT met before any link: the kernel's own walk stops there too. */
			path_clean(c->work);
			if (strlen(c->work) >= sizeof c->path) {
				if (fd >= 0)
					close(fd);
				return -ENAMETOOLONG;
			}
			strcpy(c->path, c->work);
			if (fd < 0)
				return -ENOENT;
			c->opath = fd;
			return 0;
		}
	}

	/* The walker, from the target's root or its cwd/dirfd. */
	int start = c->raw[0] == '/' ? fcntl(fs->rootfd, F_DUPFD_CLOEXEC, 0)
	                             : open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (start < 0)
		return errno == ENOENT && c->dirfd != AT_FDCWD ? -EBADF : -errno;
	memcpy(c->work, c->raw, rl + 1);
	rc = walk(fs, c, start);
name:
	if (rc < 0)
		return rc;
	if (c->opath >= 0) {
		rc = fd_path(c->opath, c->path, sizeof c->path);
	} else {
		char dir[HIVE_NOTIFY_PATH_MAX];
		rc = fd_path(c->parent, dir, sizeof dir);
		if (!rc && snprintf(c->path, sizeof c->path, "%s/%s", strcmp(dir, "/") ? dir : "", c->leaf) >=
		                   (int)sizeof c->path)
			rc = -ENAMETOOLONG;
	}
	if (rc < 0)
		return rc == -ENAMETOOLONG ? rc : -EIO;
	/* A memfd has no path: its link reads "/memfd:NAME (deleted)". Report
	 * "memfd:NAME", which no fs capability (all absolute) can cover. */
	struct stat st;
	if (c->opath >= 0 && !strncmp(c->path, "/memfd:", 7) && fstat(c->opath, &st) == 0 && st.st_nlink == 0) {
		size_t len = strlen(c->path);
		if (len > 17 && !strcmp(c->path + len - 10, " (deleted)"))
			c->path[len - 10] = '\0';
		memmove(c->path, c->path + 1, strlen(c->path));
	}
	return 0;
}
