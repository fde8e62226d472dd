/*
 * notify_path.h — the path of one notified call, resolved as the calling
 * agent sees it (its cwd, its dirfd, its /proc/self), canonical, by the
 * supervisor (notify.c), which owns the call and answers it.
 */
#ifndef HIVE_NOTIFY_PATH_H
#define HIVE_NOTIFY_PATH_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/limits.h"

/* What resolution needs of hived's own file system view. */
struct notify_fs {
	int rootfd;     /* "/" as O_PATH: where absolute links restart */
	dev_t proc_dev; /* procfs, whose links are special */
};

/* One call being served: its arguments, then its resolution. */
struct notify_call {
	uint64_t id;
	pid_t pid;          /* the calling thread */
	int dirfd;          /* AT_FDCWD or the target's fd */
	int flags;          /* O_* (open) or AT_* (execveat) */
	mode_t mode;
	uint64_t resolve;   /* openat2's how.resolve */
	int is_openat2;
	int unchecked;      /* read from the target or its /proc since the last ID_VALID */
	int follow;         /* follow a final symlink */
	int creat;          /* a missing final component is fine (O_CREAT, bind) */
	int opath;          /* O_PATH fd of the object reached, or -1 */
	int parent;         /* O_PATH fd of the directory a new entry goes in, or -1 */
	char leaf[NAME_MAX + 1];
	char raw[HIVE_NOTIFY_PATH_MAX];  /* as read from the target */
	char path[HIVE_NOTIFY_PATH_MAX]; /* canonical, for decide */
	char work[2 * HIVE_NOTIFY_PATH_MAX];
	char link[HIVE_NOTIFY_PATH_MAX];
};

/* 0 or -errno. */
int notify_fs_open(struct notify_fs *fs);
void notify_fs_close(struct notify_fs *fs);

/*
 * Resolve c->raw (with c->pid, dirfd, resolve, follow, creat): c->path is
 * then canonical and c->opath — or c->parent + c->leaf for an entry to
 * create — holds what it names; the caller closes them. Sets c->unchecked
 * when it read the target's /proc/<pid>. Returns 0, or the -errno the call
 * itself would fail with (c->path then best effort, or empty).
 */
int notify_path_resolve(const struct notify_fs *fs, struct notify_call *c);

#endif
