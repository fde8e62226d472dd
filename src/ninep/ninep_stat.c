/*
 * ninep_stat.c — 9P2000 stat entries and 9P2000.L dirents: the pieces of
 * Rstat/Twstat and of directory reads (Rread of a 9P2000 directory, Rreaddir
 * of .L), plus the small string helpers. Split from ninep.c so that the
 * message table stays readable on its own.
 */
#include "ninep.h"
#include "ninep_wire.h"

#include <errno.h>
#include <string.h>

/* type[2] dev[4] qid[13] mode[4] atime[4] mtime[4] length[8] + 4 string lengths */
#define STAT_FIXED (2u + 4u + 13u + 4u + 4u + 4u + 8u + 4u * 2u)

size_t ninep_stat_size(const struct ninep_stat *st)
{
	return 2u + STAT_FIXED + st->name.len + st->uid.len + st->gid.len + st->muid.len;
}

void ninep_rd_stat(struct ninep_rd *r, struct ninep_stat *st)
{
	uint16_t n = (uint16_t)ninep_rd_uint(r, 2);
	const uint8_t *p = ninep_rd_take(r, n);
	/* Parse inside exactly the n bytes the entry claims, no more, no less. */
	struct ninep_rd s = { p, n, 0, p == NULL };

	st->type = (uint16_t)ninep_rd_uint(&s, 2);
	st->dev = (uint32_t)ninep_rd_uint(&s, 4);
	ninep_rd_qid(&s, &st->qid);
	st->mode = (uint32_t)ninep_rd_uint(&s, 4);
	st->atime = (uint32_t)ninep_rd_uint(&s, 4);
	st->mtime = (uint32_t)ninep_rd_uint(&s, 4);
	st->length = ninep_rd_uint(&s, 8);
	ninep_rd_str(&s, &st->name);
	ninep_rd_str(&s, &st->uid);
	ninep_rd_str(&s, &st->gid);
	ninep_rd_str(&s, &st->muid);
	if (s.bad || s.pos != s.len)
		r->bad = 1;
}

void ninep_wr_stat(struct ninep_wr *w, const struct ninep_stat *st)
{
	size_t n = ninep_stat_size(st) - 2;

	if (n > UINT16_MAX) {
		w->inval = 1;
		return;
	}
	ninep_wr_uint(w, n, 2);
	ninep_wr_uint(w, st->type, 2);
	ninep_wr_uint(w, st->dev, 4);
	ninep_wr_qid(w, &st->qid);
	ninep_wr_uint(w, st->mode, 4);
	ninep_wr_uint(w, st->atime, 4);
	ninep_wr_uint(w, st->mtime, 4);
	ninep_wr_uint(w, st->length, 8);
	ninep_wr_str(w, st->name);
	ninep_wr_str(w, st->uid);
	ninep_wr_str(w, st->gid);
	ninep_wr_str(w, st->muid);
}

static int wr_result(const struct ninep_wr *w)
{
	if (w->inval)
		return -EINVAL;
	if (w->full)
		return -ENOBUFS;
	return (int)w->pos;
}

int ninep_put_stat(uint8_t *buf, size_t cap, const struct ninep_stat *st)
{
	struct ninep_wr w = { buf, cap, 0, 0, 0 };
	ninep_wr_stat(&w, st);
	return wr_result(&w);
}

int ninep_put_dirent(uint8_t *buf, size_t cap, const struct ninep_dirent *de)
{
	struct ninep_wr w = { buf, cap, 0, 0, 0 };
	ninep_wr_qid(&w, &de->qid);
	ninep_wr_uint(&w, de->offset, 8);
	ninep_wr_uint(&w, de->type, 1);
	ninep_wr_str(&w, de->name);
	return wr_result(&w);
}

int ninep_next_stat(const uint8_t *data, size_t len, size_t *pos, struct ninep_stat *st)
{
	if (*pos > len)
		return -EBADMSG;
	if (*pos == len)
		return 0;
	struct ninep_rd r = { data, len, *pos, 0 };
	ninep_rd_stat(&r, st);
	if (r.bad)
		return -EBADMSG;
	*pos = r.pos;
	return 1;
}

int ninep_next_dirent(const uint8_t *data, size_t len, size_t *pos, struct ninep_dirent *de)
{
	if (*pos > len)
		return -EBADMSG;
	if (*pos == len)
		return 0;
	struct ninep_rd r = { data, len, *pos, 0 };
	ninep_rd_qid(&r, &de->qid);
	de->offset = ninep_rd_uint(&r, 8);
	de->type = (uint8_t)ninep_rd_uint(&r, 1);
	ninep_rd_str(&r, &de->name);
	if (r.bad)
		return -EBADMSG;
	*pos = r.pos;
	return 1;
}

struct ninep_str ninep_str_c(const char *s)
{
	struct ninep_str r = { 0, "" };
	if (s) {
		r.len = (uint16_t)strnlen(s, UINT16_MAX);
		r.s = s;
	}
	return r;
}

int ninep_str_eq(struct ninep_str a, const char *s)
{
	if (!s)
		return 0;
	/* strnlen bounded by a.len + 1: a long s cannot match and is not walked. */
	size_t n = strnlen(s, (size_t)a.len + 1);
	return n == a.len && (n == 0 || memcmp(a.s, s, n) == 0);
}
