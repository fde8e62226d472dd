/*
 * auditrec.h — one audit record: its canonical binary frame and the hash
 * chain step over frames (docs/audit-format.md, byte for byte).
 *
 * A frame is little-endian, length-prefixed and checksummed (CRC32C), and
 * its bytes are the only spelling of the record: decode refuses anything
 * encode would not have written (a version, enum, flag, length or string
 * byte out of place), so re-encoding an accepted frame gives it back.
 *
 *   off  size
 *   0    4    len: bytes of the whole frame, this field and the CRC included
 *   4    1    version (AUDIT_REC_VERSION)
 *   5    1    type (enum audit_type)
 *   6    1    result (enum audit_result)
 *   7    1    flags, 0
 *   8    8    seq
 *   16   8    wall_ns
 *   24   8    mono_ns
 *   32   2x4  lengths of aid, cap, object, detail
 *   40   ...  aid, cap, object, detail bytes (no NUL, no control byte but
 *             a newline in the detail)
 *   len-4 4   CRC32C (Castagnoli) of bytes [0, len-4)
 *
 * The chain: h_i = BLAKE3("hive-audit-chain-v1" || h_{i-1} || seq_i (u64 LE) || frame_i),
 * with h_{-1} 32 zero bytes: the tag keeps a chain head from ever being
 * another hash the hive makes, and the seq binds each frame to its place.
 */
#ifndef HIVE_AUDITREC_H
#define HIVE_AUDITREC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/limits.h"

#define AUDIT_REC_VERSION 1
#define AUDIT_REC_FIXED 44u /* header (40) + CRC (4): the frame of an all-empty record */
#define AUDIT_HASH_LEN 32u
#define AUDIT_CHAIN_TAG "hive-audit-chain-v1"

enum audit_type { AUDIT_ATTACH, AUDIT_REFUSE, AUDIT_CTL, AUDIT_LIFECYCLE, AUDIT_SPAWN, AUDIT_ATTEST,
                  AUDIT_GRANT, AUDIT_REVOKE, AUDIT_ALLOW, AUDIT_DENY, AUDIT_QUOTA, AUDIT_STATE,
                  AUDIT_INFER, AUDIT_EXIT, AUDIT_CHECKPOINT, AUDIT_RECOVERED, AUDIT_ROTATE,
                  AUDIT_EVENT /* anything else the event door says */, AUDIT_TYPES };
enum audit_result { AUDIT_R_OK, AUDIT_R_DENY, AUDIT_R_FAIL, AUDIT_R_INFO, AUDIT_RESULTS };

struct audit_rec {
	uint64_t seq;          /* 0-based position in the log, set by the writer */
	uint64_t wall_ns;      /* CLOCK_REALTIME */
	uint64_t mono_ns;      /* CLOCK_MONOTONIC */
	enum audit_type type;
	enum audit_result result;
	char aid[HIVE_AID_MAX + 1];            /* "" when no agent */
	char cap[HIVE_ATTEST_CAP_MAX + 1];     /* "" when none */
	char object[HIVE_PATH_MAX + 1];        /* path, port, model, ... "" when none */
	char detail[HIVE_AUDIT_DETAIL_MAX + 1];/* key=value text */
};

const char *audit_type_name(enum audit_type t);     /* "deny", "spawn", ... */
/* The type named s, or -1. */
int audit_type_parse(const char *s);
const char *audit_result_name(enum audit_result r); /* "ok", "deny", "fail", "info" */

/* Canonical frame (length-prefixed, checksummed) into buf; returns its length or -errno
 * (-EINVAL: an enum out of range, a string over its bound, unterminated, or holding a
 * control byte; -ENOSPC: cap too small). HIVE_AUDIT_FRAME_MAX always suffices. */
int audit_rec_encode(const struct audit_rec *r, uint8_t *buf, size_t cap);
/* Decode one frame at the start of buf[0..n): 0 with *used set, -EAGAIN when n is a torn prefix,
 * -EBADMSG (bad checksum / not canonical), -EINVAL (a version, type or result this
 * reader does not know); err says which. */
int audit_rec_decode(const uint8_t *buf, size_t n, struct audit_rec *r, size_t *used, struct err *err);
/* h_i = BLAKE3(domain, h_{i-1} || seq || frame): the next chain head. */
void audit_chain_next(const uint8_t prev[32], uint64_t seq, const uint8_t *frame, size_t n, uint8_t out[32]);

/* Copy src into a record field of size cap (the field's bound + 1) so that
 * encode takes it: a control byte or backslash becomes \xNN, and what does
 * not fit is cut at a whole escape. A peer's text never makes a record fail. */
void audit_field_set(char *dst, size_t cap, const char *src);
/* CRC32C (Castagnoli, reflected, init and final xor ~0) of buf. */
uint32_t audit_crc32c(const void *buf, size_t n);

/* Little-endian helpers the segment, checkpoint and proof code share. */
static inline void audit_put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t audit_get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
