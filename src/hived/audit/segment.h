/*
 * segment.h — the audit log's files on disk: <first seq>.seg under
 * <state>/audit/, each h6's header (trust/auditseg.h: first seq and the
 * chain head before it) then frames back to back. Listing, creating and
 * reading back segments: how the writer recovers at start and how
 * /audit/query reads rows.
 */
#ifndef HIVE_AUDIT_SEGMENT_H
#define HIVE_AUDIT_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "trust/auditrec.h"
#include "trust/auditseg.h"

/* The segments in dirfd, ascending by first seq, at most max (the newest
 * kept when there are more). Returns how many, or -errno. */
int segment_list(int dirfd, uint64_t *firsts, uint32_t max);
/* Create segment `first` (O_EXCL; a leftover of the same name is renamed
 * aside as .damaged), write its header, fsync it and the directory.
 * Returns the fd (O_WRONLY|O_APPEND) or -errno with err set. */
int segment_create(int dirfd, uint64_t first, const uint8_t prev[32], struct err *err);

/* What reading a segment back found. */
struct segment_scan {
	uint64_t first;    /* from the header */
	uint64_t next_seq; /* one past the last whole record */
	uint8_t head[32];  /* chain head after it (when asked for) */
	uint64_t good;     /* bytes up to the end of the last whole record */
	uint64_t size;     /* bytes of the file */
	int torn;          /* the bytes after good are a frame's prefix cut short */
	int damaged;       /* a frame that does not decode, or a seq out of order */
	char why[160];     /* what was damaged, where */
};
/* Called per whole record with its frame; nonzero stops the scan. */
typedef int (*segment_rec_fn)(void *arg, const struct audit_rec *r, const uint8_t *frame, size_t n);
/* Read segment `first` of dirfd: header, every frame, and with `chain`
 * the chain head (a BLAKE3 a record: readers that only filter skip it).
 * Returns 0 (see scan->torn / ->damaged) or -errno (cannot open, bad header). */
int segment_scan(int dirfd, uint64_t first, int chain, struct segment_scan *scan, segment_rec_fn fn, void *arg,
                 struct err *err);

#endif
