/*
 * ninep_wire.h — private to src/ninep: the read and write cursors that
 * ninep.c and ninep_stat.c share. Every byte the codec reads passes through
 * ninep_rd_take() and every byte it writes through ninep_wr_take(), so the
 * bounds checks live in exactly two functions.
 *
 * A cursor that fails a check latches (bad / full) and all later calls are
 * no-ops, so callers read or write a whole message and test the flag once.
 */
#ifndef HIVE_NINEP_WIRE_H
#define HIVE_NINEP_WIRE_H

#include "ninep.h"

struct ninep_rd {
	const uint8_t *b;
	size_t len, pos; /* pos <= len always */
	int bad;         /* something ran past the end or was inconsistent */
};

struct ninep_wr {
	uint8_t *b;
	size_t cap, pos; /* pos <= cap always */
	int full;        /* a write did not fit: the result is -ENOBUFS */
	int inval;       /* the message itself cannot be encoded: -EINVAL */
};

const uint8_t *ninep_rd_take(struct ninep_rd *r, size_t n);
uint64_t ninep_rd_uint(struct ninep_rd *r, unsigned n);
void ninep_rd_str(struct ninep_rd *r, struct ninep_str *s);
void ninep_rd_qid(struct ninep_rd *r, struct ninep_qid *q);
/* size[2] then exactly that many bytes of stat body. */
void ninep_rd_stat(struct ninep_rd *r, struct ninep_stat *st);

uint8_t *ninep_wr_take(struct ninep_wr *w, size_t n);
void ninep_wr_uint(struct ninep_wr *w, uint64_t v, unsigned n);
void ninep_wr_bytes(struct ninep_wr *w, const void *src, size_t n);
void ninep_wr_str(struct ninep_wr *w, struct ninep_str s);
void ninep_wr_qid(struct ninep_wr *w, const struct ninep_qid *q);
/* size[2] then the stat body; inval if the body exceeds 65535 bytes. */
void ninep_wr_stat(struct ninep_wr *w, const struct ninep_stat *st);

int ninep_stat_eq(const struct ninep_stat *a, const struct ninep_stat *b);

#endif
