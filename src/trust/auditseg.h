/*
 * auditseg.h — segment files of the audit log (docs/audit-format.md §3).
 *
 * <state>/audit/<first seq, 20 decimal digits>.seg holds a 56-byte header
 * and then frames back to back:
 *
 *   off size
 *   0   8    magic "HIVEAUDS"
 *   8   1    version (AUDIT_SEG_VERSION)
 *   9   3    zero
 *   12  8    first_seq: the seq of the segment's first frame
 *   20  32   prev_head: the chain head of the record before first_seq
 *             (the previous segment's last), 32 zero bytes at seq 0
 *   52  4    CRC32C of bytes [0, 52)
 *
 * So segments link: each one names where the chain stood when it began.
 * A segment the writer closes ends with a checkpoint and then a ROTATE
 * record (detail "next=<seq>"); the seal state lives beside the segments
 * in <state>/audit/seal (audit_seal_format's one line, mode 0600).
 */
#ifndef HIVE_AUDITSEG_H
#define HIVE_AUDITSEG_H

#include <stddef.h>
#include <stdint.h>

#include "auditrec.h"
#include "lib/err.h"

#define AUDIT_SEG_MAGIC "HIVEAUDS"
#define AUDIT_SEG_VERSION 1
#define AUDIT_SEG_HDR_LEN 56u
#define AUDIT_SEG_NAME_LEN 24u /* 20 digits + ".seg" */
#define AUDIT_DIR "audit"
#define AUDIT_SEAL_FILE "seal"

struct audit_seg_hdr {
	uint64_t first_seq;
	uint8_t prev_head[AUDIT_HASH_LEN];
};

void audit_seg_hdr_encode(const struct audit_seg_hdr *h, uint8_t out[AUDIT_SEG_HDR_LEN]);
/* 0, -EAGAIN (fewer than 56 bytes), -EBADMSG (magic, CRC, zero bytes), -EINVAL (version). */
int audit_seg_hdr_decode(const uint8_t *buf, size_t n, struct audit_seg_hdr *h, struct err *err);
/* "<20 digits>.seg" for first_seq into out (AUDIT_SEG_NAME_LEN + 1 bytes). */
void audit_seg_name(uint64_t first_seq, char out[AUDIT_SEG_NAME_LEN + 1]);
/* 0 with *first_seq when name is exactly a segment name, else -1. */
int audit_seg_name_parse(const char *name, uint64_t *first_seq);

#endif
