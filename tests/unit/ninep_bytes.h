/*
 * ninep_bytes.h — helpers shared by the codec's unit tests: a tiny hand
 * encoder, independent of the codec under test, a decode of a heap copy of
 * exactly the frame's bytes so the ASan build sees any over-read, and the
 * one qid and stat both test files fill messages with.
 */
#ifndef HIVE_TEST_NINEP_BYTES_H
#define HIVE_TEST_NINEP_BYTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ninep/ninep.h"

/* Large enough for every message the tests build (Twrite/Rread of 100 B). */
#define FRAME_MAX 4096

/* ---- the qid and stat the messages carry ------------------------------ */

static const struct ninep_qid q1 = { NINEP_QTDIR, 7, 0x0102030405060708ull };

/* Every field set to a distinct value, times left at 0. */
static inline void ninep_fx_stat(struct ninep_stat *st)
{
	memset(st, 0, sizeof *st);
	st->type = 0x1234;
	st->dev = 0xdeadbeef;
	st->qid = q1;
	st->mode = NINEP_DMDIR | 0755;
	st->length = 0x1122334455667788ull;
	st->name = ninep_str_c("queen");
	st->uid = ninep_str_c("hive");
	st->gid = ninep_str_c("hivegrp");
	st->muid = ninep_str_c("");
}

/* ---- a tiny hand encoder, independent of the codec under test --------- */

struct bb {
	uint8_t b[FRAME_MAX];
	size_t n;
};

static inline void bb_le(struct bb *x, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		x->b[x->n++] = (uint8_t)(v >> (8 * i));
}

static inline void bb_str(struct bb *x, const char *s)
{
	size_t n = strlen(s);
	bb_le(x, n, 2);
	memcpy(x->b + x->n, s, n);
	x->n += n;
}

static inline void bb_hdr(struct bb *x, uint8_t type, uint16_t tag)
{
	x->n = 0;
	bb_le(x, 0, 4);
	bb_le(x, type, 1);
	bb_le(x, tag, 2);
}

static inline void bb_qid(struct bb *x, uint8_t t, uint32_t v, uint64_t p)
{
	bb_le(x, t, 1);
	bb_le(x, v, 4);
	bb_le(x, p, 8);
}

/* Patch the size field to the bytes written so far. */
static inline void bb_fin(struct bb *x)
{
	for (unsigned i = 0; i < 4; i++)
		x->b[i] = (uint8_t)(x->n >> (8 * i));
}

/* Decode a heap copy of exactly len bytes, so ASan sees any over-read.
 * The copy is freed: only scalar fields of *m may be looked at afterwards. */
static inline int dec(const uint8_t *b, size_t len, uint32_t msize, enum ninep_dialect d,
               struct ninep_msg *m)
{
	uint8_t *c = malloc(len ? len : 1);
	if (len)
		memcpy(c, b, len);
	int rc = ninep_decode(c, len, msize, d, m);
	free(c);
	return rc;
}

#endif
