/*
 * segment.h — the audit log's files: audit-<016x first seq>.seg under
 * <state>/audit/, each a header then frames back to back.
 *
 * INTERIM header until h6's segment header lands (AUDIT-CONTRACT.md):
 *   "HIVEAUD0" | u64 first seq | 32 bytes chain head before it
 * (little-endian). Reading a segment back (audit_seg_scan) is how the
 * writer recovers at start and how /audit/query reads rows.
 */
#ifndef HIVE_AUDIT_SEGMENT_H
#define HIVE_AUDIT_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "trust/auditrec.h"
#include "lib/err.h"

#define AUDIT_SEG_HDR_LEN 48u
/* "audit-" + 16 hex + ".seg" + NUL */
#define AUDIT_SEG_NAME_LEN 27u

/* The name of the segment whose first record is seq. */
void audit_seg_name(uint64_t first, char out[AUDIT_SEG_NAME_LEN]);
/* Is name a segment's (and which first seq)? */
int audit_seg_parse_name(const char *name, uint64_t *first);
/* The segments in dirfd, ascending by first seq, at most max (the newest
 * kept when there are more). Returns how many, or -errno. */
int audit_seg_list(int dirfd, uint64_t *firsts, uint32_t max);
/* Create segment `first` (O_EXCL; a leftover of the same name is renamed
 * aside as .damaged), write its header, fsync it and the directory.
 * Returns the fd (O_WRONLY|O_APPEND) or -errno with err set. */
int audit_seg_create(int dirfd, uint64_t first, const uint8_t prev[32], struct err *err);

/* What reading a segment back found. */
struct audit_seg_scan {
	uint64_t first;    /* from the header */
	uint64_t next_seq; /* one past the last whole record */
	uint8_t head[32];  /* chain head after it */
	uint64_t good;     /* bytes up to the end of the last whole record */
	uint64_t size;     /* bytes of the file */
	int torn;          /* the bytes after good are a frame's prefix cut short */
	int damaged;       /* a frame that does not decode, or a seq out of order */
	char why[128];     /* what was damaged, where */
};
/* Called per whole record of a segment; nonzero stops the scan. */
typedef int (*audit_seg_rec_fn)(void *arg, const struct audit_rec *r);
/* Read segment `first` of dirfd: header, every frame, chain. Returns 0
 * (see scan->torn / ->damaged) or -errno (cannot open, bad header). */
int audit_seg_scan(int dirfd, uint64_t first, struct audit_seg_scan *scan, audit_seg_rec_fn fn, void *arg,
                   struct err *err);

#endif
