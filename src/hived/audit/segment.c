/*
 * segment.c — naming, creating and reading back the audit log's segment
 * files (segment.h).
 */
#include "segment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

int segment_list(int dirfd, uint64_t *firsts, uint32_t max)
{
	int fd = dup(dirfd);
	DIR *d;
	struct dirent *e;
	uint32_t n = 0;

	if (fd < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		uint64_t f;
		if (audit_seg_name_parse(e->d_name, &f) < 0)
			continue;
		if (n < max) {
			firsts[n++] = f;
			continue;
		}
		/* Full: keep the newest, replacing the oldest. */
		qsort(firsts, n, sizeof *firsts, cmp_u64);
		if (f > firsts[0])
			firsts[0] = f;
	}
	closedir(d);
	qsort(firsts, n, sizeof *firsts, cmp_u64);
	return (int)n;
}

int segment_create(int dirfd, uint64_t first, const uint8_t prev[32], struct err *err)
{
	char name[AUDIT_SEG_NAME_LEN + 1], aside[AUDIT_SEG_NAME_LEN + 16];
	struct audit_seg_hdr h = { .first_seq = first };
	uint8_t hdr[AUDIT_SEG_HDR_LEN];
	int fd;

	audit_seg_name(first, name);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* A damaged segment holding this first seq: kept for the
		 * verifier under another name, never overwritten. */
		snprintf(aside, sizeof aside, "%s.damaged", name);
		if (renameat(dirfd, name, dirfd, aside) < 0)
			return err_set(err, errno, "cannot set aside %s: %s", name, strerror(errno));
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return err_set(err, errno, "cannot create %s: %s", name, strerror(errno));
	memcpy(h.prev_head, prev, 32);
	audit_seg_hdr_encode(&h, hdr);
	if (write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr || fdatasync(fd) < 0 || fsync(dirfd) < 0) {
		int e = errno ? errno : EIO;
		close(fd);
		unlinkat(dirfd, name, 0);
		return err_set(err, e, "cannot begin %s: %s", name, strerror(e));
	}
	return fd;
}

int segment_scan(int dirfd, uint64_t first, int chain, struct segment_scan *scan, segment_rec_fn fn, void *arg,
                 struct err *err)
{
	char name[AUDIT_SEG_NAME_LEN + 1];
	struct audit_seg_hdr h;
	struct err he = { 0 };
	struct audit_rec *r = NULL;
	struct stat st;
	uint8_t *map = NULL;
	size_t off = AUDIT_SEG_HDR_LEN;
	int fd, rc = 0;

	memset(scan, 0, sizeof *scan);
	audit_seg_name(first, name);
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(err, errno, "cannot open %s: %s", name, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = err_set(err, errno, "cannot stat %s: %s", name, strerror(errno));
		goto fail;
	}
	scan->size = (uint64_t)st.st_size;
	if (scan->size < AUDIT_SEG_HDR_LEN) {
		/* Cut while its header was written: nothing of it counts. */
		scan->torn = 1;
		scan->first = first;
		scan->next_seq = first;
		snprintf(scan->why, sizeof scan->why, "%s: header cut at %llu bytes", name,
		         (unsigned long long)scan->size);
		goto fail;
	}
	map = mmap(NULL, scan->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		map = NULL;
		rc = err_set(err, errno, "cannot map %s: %s", name, strerror(errno));
		goto fail;
	}
	if (audit_seg_hdr_decode(map, scan->size, &h, &he) < 0 || h.first_seq != first) {
		rc = err_set(err, EBADMSG, "%s: not a segment header for seq %llu: %s", name, (unsigned long long)first,
		             he.msg[0] ? he.msg : "first seq differs");
		goto fail;
	}
	if (!(r = malloc(sizeof *r))) {
		rc = err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	scan->first = first;
	scan->next_seq = first;
	memcpy(scan->head, h.prev_head, 32);
	scan->good = off;
	while (off < scan->size) {
		struct err e = { 0 };
		size_t used = 0;
		int d = audit_rec_decode(map + off, scan->size - off, r, &used, &e);
		if (d == -EAGAIN) {
			scan->torn = 1;
			snprintf(scan->why, sizeof scan->why, "%s: torn frame at byte %zu (%llu bytes)", name, off,
			         (unsigned long long)(scan->size - off));
			break;
		}
		if (d < 0 || r->seq != scan->next_seq) {
			scan->damaged = 1;
			snprintf(scan->why, sizeof scan->why, "%s: byte %zu: %.64s", name, off,
			         d < 0 ? e.msg : "sequence out of order");
			break;
		}
		if (chain) {
			uint8_t next[32];
			audit_chain_next(scan->head, r->seq, map + off, used, next);
			memcpy(scan->head, next, 32);
		}
		off += used;
		scan->good = off;
		scan->next_seq++;
		if (fn && fn(arg, r, map + off - used, used))
			break;
	}
fail:
	free(r);
	if (map)
		munmap(map, scan->size);
	close(fd);
	return rc;
}
