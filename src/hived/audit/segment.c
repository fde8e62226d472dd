/*
 * segment.c — naming, creating and reading back the audit log's segment
 * files (segment.h).
 */
#include "segment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char seg_magic[8] = { 'H', 'I', 'V', 'E', 'A', 'U', 'D', '0' };

void audit_seg_name(uint64_t first, char out[AUDIT_SEG_NAME_LEN])
{
	snprintf(out, AUDIT_SEG_NAME_LEN, "audit-%016" PRIx64 ".seg", first);
}

int audit_seg_parse_name(const char *name, uint64_t *first)
{
	uint64_t v = 0;

	if (strlen(name) != AUDIT_SEG_NAME_LEN - 1 || strncmp(name, "audit-", 6) != 0 ||
	    strcmp(name + 22, ".seg") != 0)
		return 0;
	for (int i = 6; i < 22; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	*first = v;
	return 1;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

int audit_seg_list(int dirfd, uint64_t *firsts, uint32_t max)
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
		if (!audit_seg_parse_name(e->d_name, &f))
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

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int audit_seg_create(int dirfd, uint64_t first, const uint8_t prev[32], struct err *err)
{
	char name[AUDIT_SEG_NAME_LEN], aside[AUDIT_SEG_NAME_LEN + 16];
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
	memcpy(hdr, seg_magic, 8);
	put64(hdr + 8, first);
	memcpy(hdr + 16, prev, 32);
	if (write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr || fdatasync(fd) < 0 || fsync(dirfd) < 0) {
		int e = errno ? errno : EIO;
		close(fd);
		unlinkat(dirfd, name, 0);
		return err_set(err, e, "cannot begin %s: %s", name, strerror(e));
	}
	return fd;
}

int audit_seg_scan(int dirfd, uint64_t first, struct audit_seg_scan *scan, audit_seg_rec_fn fn, void *arg,
                   struct err *err)
{
	char name[AUDIT_SEG_NAME_LEN];
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
	if (memcmp(map, seg_magic, 8) != 0 || get64(map + 8) != first) {
		rc = err_set(err, EBADMSG, "%s: not a segment header for seq %llu", name, (unsigned long long)first);
		goto fail;
	}
	if (!(r = malloc(sizeof *r))) {
		rc = err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	scan->first = first;
	scan->next_seq = first;
	memcpy(scan->head, map + 16, 32);
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
		uint8_t next[32];
		audit_chain_next(scan->head, r->seq, map + off, used, next);
		memcpy(scan->head, next, 32);
		off += used;
		scan->good = off;
		scan->next_seq++;
		if (fn && fn(arg, r))
			break;
	}
fail:
	free(r);
	if (map)
		munmap(map, scan->size);
	close(fd);
	return rc;
}
