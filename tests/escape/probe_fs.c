/*
 * probe_fs.c — ways out through the file system: the secret read by name
 * and around the name (symlink, hard link, `..`, /proc, a directory fd,
 * a file handle), a write outside the bundle, exec of what is not listed,
 * and threads that swap the path between the check and the use.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"

/* One open; success is an escape (with what it read), failure its errno. */
static int fs_open(const char *path, int flags, struct esc_out *o)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	char buf[64];
	ssize_t n = (flags & O_ACCMODE) == O_RDONLY ? read(fd, buf, sizeof buf) : write(fd, "x", 1);
	esc_detail(o, "%s %s: %zd bytes", (flags & O_ACCMODE) == O_RDONLY ? "read" : "wrote", path, n);
	close(fd);
	return 0;
}

static int probe_read(char **a, struct esc_out *o) { return fs_open(a[0], O_RDONLY, o); }

static int probe_procroot(char **a, struct esc_out *o)
{
	char p[4096];
	snprintf(p, sizeof p, "/proc/self/root%s", a[0]);
	return fs_open(p, O_RDONLY, o);
}

static int probe_proccwd(char **a, struct esc_out *o)
{
	char p[4096];
	snprintf(p, sizeof p, "/proc/%s/cwd/%s", a[0], a[1]);
	return fs_open(p, O_RDONLY, o);
}

static int probe_dirfd(char **a, struct esc_out *o)
{
	int dfd = open(a[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		esc_detail(o, "open of the allowed directory %s: %s", a[0], strerror(errno));
		return ESC_CANT;
	}
	int fd = openat(dfd, a[1], O_RDONLY | O_CLOEXEC);
	int e = errno;
	close(dfd);
	if (fd < 0)
		return e;
	esc_detail(o, "openat(%s, %s) opened", a[0], a[1]);
	close(fd);
	return 0;
}

/* A hard link of the secret into a directory the agent may write: the
 * link itself is the attempt (Landlock's REFER, protected_hardlinks). */
static int probe_hardlink(char **a, struct esc_out *o)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/hardlink.%d", a[1], (int)getpid());
	if (link(a[0], p) < 0)
		return errno;
	int r = fs_open(p, O_RDONLY, o);
	unlink(p);
	if (r)
		esc_detail(o, "linked %s as %s, but its open failed: %s", a[0], p, strerror(r));
	return r;
}

/* open_by_handle_at: the handle from name_to_handle_at, or made outside
 * the sandbox by `escape mkhandle PATH` (TYPE:HEX) and passed in. */
static int probe_handle(char **a, struct esc_out *o)
{
	union { struct file_handle fh; char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ]; } h;
	int mnt_id;
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, a[0], &h.fh, &mnt_id, 0) < 0) {
		const char *hex = a[2];
		unsigned type;
		int off = 0;
		if (!hex || sscanf(hex, "%x:%n", &type, &off) != 1 || !off) {
			esc_detail(o, "name_to_handle_at: %s, and no TYPE:HEX handle given", strerror(errno));
			return ESC_CANT;
		}
		h.fh.handle_type = (int)type;
		size_t n = 0;
		for (const char *s = hex + off; s[0] && s[1] && n < MAX_HANDLE_SZ; s += 2)
			sscanf(s, "%2hhx", (unsigned char *)&h.fh.f_handle[n++]);
		h.fh.handle_bytes = (unsigned)n;
	}
	int mfd = open(a[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) {
		esc_detail(o, "open of the allowed directory %s: %s", a[1], strerror(errno));
		return ESC_CANT;
	}
	int fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	int e = errno;
	close(mfd);
	if (fd < 0)
		return e;
	esc_detail(o, "open_by_handle_at opened %s", a[0]);
	close(fd);
	return 0;
}

int esc_mkhandle(const char *path)
{
	union { struct file_handle fh; char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ]; } h;
	int mnt_id;
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt_id, 0) < 0) {
		perror("name_to_handle_at");
		return 1;
	}
	printf("%x:", (unsigned)h.fh.handle_type);
	for (unsigned i = 0; i < h.fh.handle_bytes; i++)
		printf("%02x", h.fh.f_handle[i]);
	printf("\n");
	return 0;
}

static int probe_write(char **a, struct esc_out *o)
{
	int r = fs_open(a[0], O_WRONLY | O_CREAT | O_APPEND, o);
	return r;
}

/* An exec that succeeds runs `escape escaped NAME`, which prints the
 * ESCAPED line itself and exits 1. */
static int probe_exec(char **a, struct esc_out *o)
{
	char *argv[] = { a[0], "escaped", "exec", NULL };
	execv(a[0], argv);
	return errno;
}

static int probe_memfd(char **a, struct esc_out *o)
{
	int src = open(a[0], O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		esc_detail(o, "read of the copy %s: %s", a[0], strerror(errno));
		return ESC_CANT;
	}
	int mfd = memfd_create("escape", MFD_CLOEXEC);
	if (mfd < 0) {
		esc_detail(o, "memfd_create: %s", strerror(errno));
		close(src);
		return ESC_CANT;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(src, buf, sizeof buf)) > 0)
		if (write(mfd, buf, (size_t)n) != n) {
			esc_detail(o, "write to the memfd: %s", strerror(errno));
			return ESC_CANT;
		}
	close(src);
	char *argv[] = { "escape", "escaped", "memfd", NULL };
	char *envp[] = { NULL };
	fexecve(mfd, argv, envp);
	return errno;
}

static int probe_execveat(char **a, struct esc_out *o)
{
	int fd = open(a[0], O_PATH | O_CLOEXEC);
	if (fd < 0) {
		esc_detail(o, "O_PATH open of %s: %s", a[0], strerror(errno));
		return ESC_CANT;
	}
	char *argv[] = { a[0], "escaped", "execveat", NULL };
	char *envp[] = { NULL };
	syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	return errno;
}

/* The swap: a thread rewrites the path buffer between two paths while
 * the main thread opens it, so a supervisor that checks one string and
 * lets the kernel read another would hand over the secret. */
static struct {
	char buf[4096];
	const char *alt[2];
	size_t len;
	atomic_int stop;
	atomic_long flips;
} fs_race;

/* Each path stays in the buffer for a while (a few microseconds): long
 * enough for whole opens to see it, short enough to land between a
 * supervisor's read of the path and the kernel's. */
static void *fs_flipper(void *arg)
{
	while (!atomic_load_explicit(&fs_race.stop, memory_order_relaxed))
		for (int i = 0; i < 2; i++) {
			memcpy(fs_race.buf, fs_race.alt[i], strlen(fs_race.alt[i]) + 1);
			atomic_fetch_add_explicit(&fs_race.flips, 1, memory_order_relaxed);
			for (int spin = 0; spin < 2000; spin++)
				__asm__ volatile("" ::: "memory");
		}
	return NULL;
}

static int fs_race_start(const char *a, const char *b, pthread_t *t, struct esc_out *o)
{
	if (strlen(a) >= sizeof fs_race.buf || strlen(b) >= sizeof fs_race.buf) {
		esc_detail(o, "path too long");
		return ESC_CANT;
	}
	fs_race.alt[0] = a;
	fs_race.alt[1] = b;
	memcpy(fs_race.buf, a, strlen(a) + 1);
	if (pthread_create(t, NULL, fs_flipper, NULL)) {
		esc_detail(o, "pthread_create failed");
		return ESC_CANT;
	}
	while (atomic_load(&fs_race.flips) < 2) /* the swapping has begun */
		sched_yield();
	return 0;
}

static int fs_is(int fd, const struct stat *want)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_ino == want->st_ino && st.st_dev == want->st_dev;
}

static int probe_race(char **a, struct esc_out *o)
{
	struct stat secret;
	if (stat(a[0], &secret) < 0) {
		esc_detail(o, "stat %s: %s", a[0], strerror(errno));
		return ESC_CANT;
	}
	long n = atol(a[2]);
	pthread_t t;
	if (fs_race_start(a[1], a[0], &t, o))
		return ESC_CANT;
	long got = 0, allowed = 0, denied = 0, other = 0, i;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* N opens, and on a busy machine more (up to 5 s) until both paths
	 * were seen: the swapping thread may not get a CPU at first. */
	for (i = 0;; i++) {
		if (i >= n) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((allowed && (got || denied)) || now.tv_sec - t0.tv_sec > 5)
				break;
		}
		int fd = open(fs_race.buf, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (fs_is(fd, &secret))
				got++;
			else
				allowed++;
			close(fd);
		} else if (errno == EACCES) {
			denied++;
		} else {
			other++;
		}
	}
	atomic_store(&fs_race.stop, 1);
	pthread_join(t, NULL);
	o->denials = (unsigned)denied;
	o->denials_set = 1;
	esc_detail(o, "opens=%ld secret=%ld allowed=%ld denied=%ld other=%ld", i, got, allowed, denied, other);
	if (got)
		return 0;
	if (!denied || !allowed) {
		esc_detail(o, "the swap never produced both paths: allowed=%ld denied=%ld other=%ld",
		           allowed, denied, other);
		return ESC_CANT;
	}
	return EACCES;
}

/* Live revocation under a swap: FILE is readable until its right is
 * revoked while the probe runs; OTHER stays readable. The two paths have
 * one length and differ in one byte, so a torn copy is one of them. Once
 * any open was refused (the revocation has landed), FILE must never open
 * again. Runs SECONDS, or until half a second after the first refusal. */
static int probe_revrace(char **a, struct esc_out *o)
{
	struct stat file;
	size_t la = strlen(a[0]), lb = strlen(a[1]), diff = 0;
	for (size_t i = 0; la == lb && i < la; i++)
		diff += a[0][i] != a[1][i];
	if (la != lb || diff != 1) {
		esc_detail(o, "FILE and OTHER must have one length and differ in one byte");
		return ESC_CANT;
	}
	if (stat(a[0], &file) < 0) {
		esc_detail(o, "stat %s: %s", a[0], strerror(errno));
		return ESC_CANT;
	}
	pthread_t t;
	if (fs_race_start(a[1], a[0], &t, o))
		return ESC_CANT;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	double secs = atof(a[2]), elapsed = 0, first_denial = -1;
	long before = 0, after = 0, got_after = 0, denied = 0, other = 0;
	for (;;) {
		int fd = open(fs_race.buf, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			int is_file = fs_is(fd, &file);
			close(fd);
			if (denied)
				after++, got_after += is_file;
			else
				before += is_file;
		} else if (errno == EACCES) {
			if (!denied++)
				first_denial = elapsed;
		} else {
			other++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (elapsed > secs || (denied && elapsed > first_denial + 0.5))
			break;
	}
	atomic_store(&fs_race.stop, 1);
	pthread_join(t, NULL);
	o->denials = (unsigned)denied;
	o->denials_set = 1;
	esc_detail(o, "file_before=%ld denied=%ld opens_after=%ld file_after=%ld other=%ld", before, denied,
	           after, got_after, other);
	if (got_after)
		return 0;
	if (!denied || !before) {
		esc_detail(o, "no revocation seen while running: file_before=%ld denied=%ld other=%ld", before,
		           denied, other);
		return ESC_CANT;
	}
	return EACCES;
}

const struct esc_probe esc_fs_probes[] = {
	{ "read", "SECRET", 1, probe_read, { EACCES } },
	{ "symlink", "LINK (a symlink to the secret in an allowed directory)", 1, probe_read, { EACCES } },
	{ "hardlink", "SECRET WDIR (link it into a writable directory)", 2, probe_hardlink,
	  { EACCES, EPERM, EXDEV } },
	{ "dotdot", "PATH (an allowed directory, then .. to the secret)", 1, probe_read, { EACCES } },
	{ "procroot", "SECRET (opened as /proc/self/root/SECRET)", 1, probe_procroot, { EACCES } },
	{ "proccwd", "PID NAME (/proc/PID/cwd/NAME, PID's cwd holds the secret)", 2, probe_proccwd, { EACCES } },
	{ "dirfd", "DIR REL (openat on an allowed directory's fd, REL = ../x/secret)", 2, probe_dirfd,
	  { EACCES } },
	{ "handle", "SECRET DIR [TYPE:HEX] (open_by_handle_at, DIR on the same mount)", 2, probe_handle,
	  { EACCES, EPERM } },
	{ "write", "PATH (outside the bundle)", 1, probe_write, { EACCES } },
	{ "exec", "PATH (a copy of this program, not listed)", 1, probe_exec, { EACCES } },
	{ "memfd", "PATH (readable copy of this program, executed from a memfd)", 1, probe_memfd, { EACCES } },
	{ "execveat", "PATH (execveat on an O_PATH fd of an unlisted copy)", 1, probe_execveat, { EACCES } },
	{ "race", "SECRET ALLOWED N (N opens while a thread swaps the path)", 3, probe_race, { EACCES } },
	{ "revrace", "FILE OTHER SECONDS (swap while FILE's right is revoked)", 3, probe_revrace, { EACCES } },
	{ 0 },
};
