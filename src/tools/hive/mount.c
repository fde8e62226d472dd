/*
 * mount.c — `hive mount`: the hive namespace as a FUSE directory, over one
 * libhive 9P connection, so plain tools (cat, echo >>, grep -r, tail -f)
 * drive the hive.
 *
 * Why the high-level libfuse3 API: libhive speaks in paths (hivec_stat,
 * hivec_list, hivec_walk of a path) and has no walk-from-fid, so the
 * low-level API would only make us keep an inode-to-path table that the
 * high-level API already keeps for us.
 *
 * Why single-threaded (fuse_loop): libhive is one request at a time on one
 * connection, so FUSE worker threads would only queue on its lock. One
 * extra thread, the heartbeat, shares the connection under `lock`; it
 * notices a dead hive while the mount is idle and stops the loop, so the
 * mount unmounts itself instead of waiting for the next file operation.
 *
 * Synthetic files report size 0 or a size that changes, so every open is
 * direct I/O (no page cache, reads go to the hive until it says EOF).
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/limits.h"
#include "cli.h"
#include "mount.h"

/* The mount: one connection and what the heartbeat and the ops share. */
struct mnt {
	struct hivec *c;
	pthread_mutex_t lock; /* held around every libhive call */
	pthread_cond_t wake;  /* wakes the heartbeat early at shutdown */
	int dead;             /* connection lost: every op fails with EIO */
	int stopping;
	uint32_t iosize;      /* payload of one Tread/Twrite (msize - header) */
	unsigned nopen;       /* bounded by HIVE_MOUNT_OPEN_MAX */
	pthread_t main_thread;
	char why[HIVE_ERRSTR_MAX];
};

/* An open file: the fid that walk+lopen gave us. */
struct mnt_fh {
	uint32_t fid;
	uint32_t iounit;
};

static struct mnt *mnt_self(void)
{
	return fuse_get_context()->private_data;
}

/* Called with m->lock held. Marks the mount dead and stops the FUSE loop:
 * SIGTERM to the main thread runs libfuse's handler, which ends the loop
 * and interrupts its blocking read of /dev/fuse. */
static void mnt_kill_locked(struct mnt *m)
{
	if (m->dead)
		return;
	m->dead = 1;
	snprintf(m->why, sizeof m->why, "%s", hivec_error(m->c));
	pthread_kill(m->main_thread, SIGTERM);
}

/* Turn a libhive result into what FUSE returns. 9P2000.L's Rlerror already
 * carries Linux errno values, so those pass through unchanged and the shell
 * prints "Permission denied", "No such file or directory", and so on. Whether
 * the connection died is libhive's call (timeout, bad reply, peer gone), not
 * a guess from the errno: a hive may well send ETIMEDOUT for a file. */
static int mnt_ret_locked(struct mnt *m, int r)
{
	if (r >= 0)
		return r;
	if (!hivec_alive(m->c)) {
		mnt_kill_locked(m);
		return -EIO;
	}
	return r;
}

/* Take the lock for one operation; fails fast once the hive is gone. */
static int mnt_enter(struct mnt *m, const char *path)
{
	if (path && strlen(path) >= HIVE_PATH_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&m->lock);
	if (m->dead) {
		pthread_mutex_unlock(&m->lock);
		return -EIO;
	}
	return 0;
}

static void mnt_leave(struct mnt *m)
{
	pthread_mutex_unlock(&m->lock);
}

static void mnt_fill_stat(const struct mnt *m, const struct hivec_stat *hs, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = hs->qid_path;
	st->st_mode = hs->mode;
	if (!(st->st_mode & S_IFMT))
		st->st_mode |= (hs->qid_type & 0x80) ? S_IFDIR : S_IFREG;
	st->st_nlink = hs->nlink ? hs->nlink : 1;
	/* The hive's uids mean nothing on this machine: show the files as the
	 * mounting user's, which is who the connection acts for. */
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_size = (off_t)hs->size;
	st->st_blksize = m->iosize;
	st->st_atim.tv_sec = hs->atime;
	st->st_mtim.tv_sec = hs->mtime;
	st->st_ctim.tv_sec = hs->ctime;
}

/* --- FUSE operations ---------------------------------------------------- */

static void *mnt_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct mnt *m = mnt_self();

	cfg->entry_timeout = HIVE_MOUNT_ATTR_TIMEOUT_S;
	cfg->attr_timeout = HIVE_MOUNT_ATTR_TIMEOUT_S;
	/* A name that does not exist yet (a new agent) must show at once. */
	cfg->negative_timeout = 0;
	cfg->use_ino = 1;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	/* One FUSE write becomes one Twrite, so a ctl line is never split. */
	if (conn->max_write > m->iosize)
		conn->max_write = m->iosize;
	return m;
}

static int mnt_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_self();
	struct hivec_stat hs;
	int r = mnt_enter(m, path);

	if (r < 0)
		return r;
	if (fi && fi->fh)
		r = hivec_fstat(m->c, ((struct mnt_fh *)(uintptr_t)fi->fh)->fid, &hs);
	else
		r = hivec_stat(m->c, path, &hs);
	r = mnt_ret_locked(m, r);
	mnt_leave(m);
	if (r < 0)
		return r;
	mnt_fill_stat(m, &hs, st);
	return 0;
}

/* libfuse's own d_ino for "not known" (FUSE_UNKNOWN_INO, not exported). */
#define MNT_UNKNOWN_INO 0xffffffffu

struct mnt_dirfill {
	void *buf;
	fuse_fill_dir_t filler;
};

static int mnt_dirent(void *arg, const struct hivec_dirent *de)
{
	struct mnt_dirfill *d = arg;
	struct stat st;

	memset(&st, 0, sizeof st);
	st.st_mode = (de->qid_type & 0x80) ? S_IFDIR : S_IFREG;
	/* hivec_dirent has no qid path, and glibc's readdir hides entries
	 * whose d_ino is 0: say "unknown" the way libfuse itself does. */
	st.st_ino = MNT_UNKNOWN_INO;
	/* Non-zero stops the listing: FUSE's reply buffer is full. */
	return d->filler(d->buf, de->name, &st, 0, 0);
}

static int mnt_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct mnt *m = mnt_self();
	struct mnt_dirfill d = { buf, filler };
	int r = mnt_enter(m, path);

	if (r < 0)
		return r;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	r = mnt_ret_locked(m, hivec_list(m->c, path, mnt_dirent, &d));
	mnt_leave(m);
	return r < 0 ? r : 0;
}

static int mnt_open(const char *path, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_self();
	struct mnt_fh *fh;
	uint32_t fid = 0, iounit = 0;
	int r;

	fh = calloc(1, sizeof *fh);
	if (!fh)
		return -ENOMEM;
	r = mnt_enter(m, path);
	if (r < 0)
		goto fail;
	if (m->nopen >= HIVE_MOUNT_OPEN_MAX) {
		r = -EMFILE;
		goto fail_locked;
	}
	r = mnt_ret_locked(m, hivec_walk(m->c, path, &fid));
	if (r < 0)
		goto fail_locked;
	/* Only the access mode goes to the hive: O_TRUNC and O_APPEND mean
	 * nothing to synthetic files (appends ignore the offset anyway). */
	r = mnt_ret_locked(m, hivec_open(m->c, fid, (uint32_t)(fi->flags & O_ACCMODE), &iounit));
	if (r < 0) {
		if (!m->dead)
			hivec_clunk(m->c, fid);
		goto fail_locked;
	}
	m->nopen++;
	mnt_leave(m);
	fh->fid = fid;
	fh->iounit = (iounit && iounit < m->iosize) ? iounit : m->iosize;
	fi->fh = (uint64_t)(uintptr_t)fh;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
fail_locked:
	mnt_leave(m);
fail:
	free(fh);
	return r;
}

/*
 * Read into rbuf or write from wbuf (the other is NULL) in iounit-sized
 * pieces. A short read is the end of the file (or of what the hive has
 * now); a write stops only when nothing more is taken. Bytes already moved
 * count; the error shows on the next call.
 */
static int mnt_io(struct fuse_file_info *fi, char *rbuf, const char *wbuf, size_t size, off_t off)
{
	struct mnt *m = mnt_self();
	struct mnt_fh *fh = (struct mnt_fh *)(uintptr_t)fi->fh;
	size_t done = 0;
	int r = mnt_enter(m, NULL);

	if (r < 0)
		return r;
	while (done < size) {
		size_t n = size - done < fh->iounit ? size - done : fh->iounit;
		uint64_t at = (uint64_t)off + done;
		ssize_t k = rbuf ? hivec_pread(m->c, fh->fid, at, rbuf + done, n)
				 : hivec_pwrite(m->c, fh->fid, at, wbuf + done, n);

		if (k < 0) {
			r = mnt_ret_locked(m, (int)k);
			break;
		}
		done += (size_t)k;
		if (rbuf ? (size_t)k < n : k == 0)
			break;
	}
	mnt_leave(m);
	return done > 0 || r >= 0 ? (int)done : r;
}

static int mnt_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	return mnt_io(fi, buf, NULL, size, off);
}

static int mnt_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	return mnt_io(fi, NULL, buf, size, off);
}

static int mnt_release(const char *path, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_self();
	struct mnt_fh *fh = (struct mnt_fh *)(uintptr_t)fi->fh;

	pthread_mutex_lock(&m->lock);
	if (!m->dead)
		mnt_ret_locked(m, hivec_clunk(m->c, fh->fid));
	m->nopen--;
	pthread_mutex_unlock(&m->lock);
	free(fh);
	fi->fh = 0;
	return 0;
}

/* Synthetic files do not truncate (the hive ignores O_TRUNC), so a
 * truncation to 0 — what `echo x > ctl` does before it writes — succeeds
 * without effect and `>` works like `>>`. Whether the write itself is
 * allowed is the hive's decision at open. */
static int mnt_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct mnt *m = mnt_self();
	struct hivec_stat hs;
	int r;

	if (size != 0)
		return -EINVAL;
	if (fi && fi->fh)
		return 0;
	r = mnt_enter(m, path);
	if (r < 0)
		return r;
	r = mnt_ret_locked(m, hivec_stat(m->c, path, &hs));
	mnt_leave(m);
	if (r < 0)
		return r;
	return (hs.qid_type & 0x80) ? -EISDIR : 0;
}

/* The tree's shape belongs to the hive: nothing is created, removed or
 * renamed through the mount. EACCES (not ENOSYS) so tools say
 * "Permission denied". */
#define MNT_DENY(name, ...) \
	static int name(__VA_ARGS__) \
	{ \
		return -EACCES; \
	}
MNT_DENY(mnt_mkdir, const char *path, mode_t mode)
MNT_DENY(mnt_create, const char *path, mode_t mode, struct fuse_file_info *fi)
MNT_DENY(mnt_mknod, const char *path, mode_t mode, dev_t dev)
MNT_DENY(mnt_unlink, const char *path)
MNT_DENY(mnt_rmdir, const char *path)
MNT_DENY(mnt_rename, const char *from, const char *to, unsigned int flags)
MNT_DENY(mnt_link, const char *from, const char *to)
MNT_DENY(mnt_symlink, const char *target, const char *path)
MNT_DENY(mnt_chmod, const char *path, mode_t mode, struct fuse_file_info *fi)
MNT_DENY(mnt_chown, const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)

/* Times are the hive's; `touch` of an existing file is harmless. */
static int mnt_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return 0;
}

static int mnt_statfs(const char *path, struct statvfs *sv)
{
	struct mnt *m = mnt_self();

	memset(sv, 0, sizeof *sv);
	sv->f_bsize = m->iosize;
	sv->f_frsize = m->iosize;
	sv->f_namemax = HIVE_NAME_MAX;
	return 0;
}

static const struct fuse_operations mnt_ops = {
	.init = mnt_init,
	.getattr = mnt_getattr,
	.readdir = mnt_readdir,
	.open = mnt_open,
	.read = mnt_read,
	.write = mnt_write,
	.release = mnt_release,
	.truncate = mnt_truncate,
	.mkdir = mnt_mkdir,
	.create = mnt_create,
	.mknod = mnt_mknod,
	.unlink = mnt_unlink,
	.rmdir = mnt_rmdir,
	.rename = mnt_rename,
	.link = mnt_link,
	.symlink = mnt_symlink,
	.chmod = mnt_chmod,
	.chown = mnt_chown,
	.utimens = mnt_utimens,
	.statfs = mnt_statfs,
};

/* --- heartbeat ---------------------------------------------------------- */

static void *mnt_heartbeat(void *arg)
{
	struct mnt *m = arg;
	struct timespec ts;

	pthread_mutex_lock(&m->lock);
	while (!m->stopping && !m->dead) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += HIVE_MOUNT_PING_MS / 1000u;
		ts.tv_nsec += (long)(HIVE_MOUNT_PING_MS % 1000u) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&m->wake, &m->lock, &ts) != ETIMEDOUT)
			continue;
		if (!m->stopping && !m->dead)
			mnt_ret_locked(m, hivec_ping(m->c));
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* Start the heartbeat with every signal blocked in it, so SIGTERM always
 * lands on the main thread, whose read of /dev/fuse it must interrupt. */
static int mnt_heartbeat_start(struct mnt *m, pthread_t *tid)
{
	sigset_t all, old;
	pthread_condattr_t ca;
	int r;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = pthread_cond_init(&m->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (r)
		return -r;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(tid, NULL, mnt_heartbeat, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		pthread_cond_destroy(&m->wake);
		return -r;
	}
	return 0;
}

static void mnt_heartbeat_stop(struct mnt *m, pthread_t tid)
{
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(tid, NULL);
	pthread_cond_destroy(&m->wake);
}

/* --- mount and unmount -------------------------------------------------- */

static void mnt_usage(void)
{
	fprintf(stderr, "usage: hive mount [-f] DIR    mount the hive on DIR (-f: stay in the foreground)\n"
			"       hive mount -d DIR       foreground, tracing every FUSE request\n"
			"       hive mount -u DIR       unmount it\n");
}

/* Undo the octal escapes (\040 for a space) of /proc/self/mounts. */
static void mnt_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

/* Is dir (a real path) a hive mount? Refusing others keeps `hive mount -u /`
 * from unmounting something that is not ours. */
static int mnt_is_hive_mount(const char *dir)
{
	char line[2 * HIVE_PATH_MAX + 256];
	FILE *f = fopen("/proc/self/mounts", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof line, f)) {
		char *save = NULL, *src, *where, *type;

		src = strtok_r(line, " ", &save);
		where = strtok_r(NULL, " ", &save);
		type = strtok_r(NULL, " ", &save);
		if (!src || !where || !type)
			continue;
		mnt_unescape(where);
		found = !strcmp(where, dir) && !strcmp(type, "fuse.hive");
	}
	fclose(f);
	return found;
}

static int mnt_unmount(const char *arg)
{
	char dir[PATH_MAX];
	pid_t pid;
	int st, r;

	if (!realpath(arg, dir)) {
		fprintf(stderr, "hive mount: %s: %s\n", arg, strerror(errno));
		return HCLI_FAIL;
	}
	r = mnt_is_hive_mount(dir);
	if (r <= 0) {
		fprintf(stderr, "hive mount: %s: %s\n", dir,
			r < 0 ? strerror(-r) : "not a hive mount");
		return HCLI_FAIL;
	}
	if (geteuid() == 0) {
		if (umount2(dir, UMOUNT_NOFOLLOW) < 0) {
			fprintf(stderr, "hive mount: cannot unmount %s: %s\n", dir, strerror(errno));
			return HCLI_FAIL;
		}
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hive mount: fork: %s\n", strerror(errno));
		return HCLI_FAIL;
	}
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", dir, (char *)NULL);
		fprintf(stderr, "hive mount: fusermount3: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return HCLI_FAIL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : HCLI_FAIL;
}

/* Connect, mount, daemonize unless foreground, serve until unmounted, a
 * signal, or the hive goes away. */
static int mnt_serve(const char *arg, int foreground, int debug, const struct hivec_opts *o)
{
	char *fargv[] = { "hive", "-o", "fsname=hive,subtype=hive", "-d", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(debug ? 4 : 3, fargv);
	char dir[PATH_MAX], msg[HIVE_ERRSTR_MAX];
	struct mnt m;
	struct fuse *fuse = NULL;
	struct stat st;
	pthread_t hb;
	int err = 0, status = HCLI_FAIL, r;

	memset(&m, 0, sizeof m);
	if (!realpath(arg, dir) || stat(dir, &st) < 0) {
		fprintf(stderr, "hive mount: %s: %s\n", arg, strerror(errno));
		return HCLI_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hive mount: %s: %s\n", dir, strerror(ENOTDIR));
		return HCLI_FAIL;
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "hive mount: /dev/fuse: %s (is the fuse module loaded?)\n",
			strerror(errno));
		return HCLI_FAIL;
	}
	r = mnt_is_hive_mount(dir);
	if (r != 0) {
		fprintf(stderr, "hive mount: %s: %s\n", dir,
			r < 0 ? strerror(-r) : "already a hive mount");
		return HCLI_FAIL;
	}
	msg[0] = 0;
	m.c = hivec_connect(o, &err, msg, sizeof msg);
	if (!m.c) {
		fprintf(stderr, "hive mount: cannot connect: %s\n", msg[0] ? msg : strerror(-err));
		return HCLI_CONN;
	}
	m.iosize = hivec_msize(m.c) > HIVE_IOHDR ? hivec_msize(m.c) - HIVE_IOHDR : 1;
	pthread_mutex_init(&m.lock, NULL);

	fuse = fuse_new(&args, &mnt_ops, sizeof mnt_ops, &m);
	if (!fuse) {
		fprintf(stderr, "hive mount: cannot set up FUSE\n");
		goto out_lock;
	}
	if (fuse_mount(fuse, dir) < 0) {
		/* libfuse has said why on stderr. */
		goto out_destroy;
	}
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) < 0) {
		fprintf(stderr, "hive mount: cannot set signal handlers\n");
		goto out_unmount;
	}
	/* The mount is up before the parent exits, so a script can use DIR
	 * as soon as `hive mount` returns. */
	if (fuse_daemonize(foreground) < 0)
		goto out_signals;
	m.main_thread = pthread_self();
	r = mnt_heartbeat_start(&m, &hb);
	if (r < 0) {
		fprintf(stderr, "hive mount: heartbeat: %s\n", strerror(-r));
		goto out_signals;
	}
	r = fuse_loop(fuse);
	mnt_heartbeat_stop(&m, hb);
	if (m.dead) {
		/* A daemon's stderr is /dev/null: say it where an admin looks. */
		if (!foreground)
			syslog(LOG_WARNING, "hive mount %s: connection to the hive lost: %s", dir, m.why);
		fprintf(stderr, "hive mount: connection to the hive lost: %s\n", m.why);
		status = HCLI_CONN;
	} else if (r < 0)
		fprintf(stderr, "hive mount: %s\n", strerror(-r));
	else
		status = HCLI_OK;
out_signals:
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
out_lock:
	fuse_opt_free_args(&args);
	pthread_mutex_destroy(&m.lock);
	hivec_close(m.c);
	return status;
}

int hive_mount_main(int argc, char **argv, const struct hivec_opts *o)
{
	const char *dir = NULL;
	int foreground = 0, debug = 0, unmount = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f")) {
			foreground = 1;
		} else if (!strcmp(argv[i], "-d")) {
			foreground = debug = 1; /* libfuse traces every request on stderr */
		} else if (!strcmp(argv[i], "-u")) {
			unmount = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			mnt_usage();
			return HCLI_OK;
		} else if (argv[i][0] == '-' && strcmp(argv[i], "--") != 0) {
			fprintf(stderr, "hive mount: unknown flag %s\n", argv[i]);
			mnt_usage();
			return HCLI_USAGE;
		} else {
			if (!strcmp(argv[i], "--") && i + 1 < argc)
				i++;
			if (dir || i != argc - 1) {
				mnt_usage();
				return HCLI_USAGE;
			}
			dir = argv[i];
		}
	}
	if (!dir || (unmount && (foreground || debug))) {
		mnt_usage();
		return HCLI_USAGE;
	}
	return unmount ? mnt_unmount(dir) : mnt_serve(dir, foreground, debug, o);
}
