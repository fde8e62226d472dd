/*
 * srv_fid.c — a session's fid table: sorted array, binary search, bounded.
 *
 * Kept free of the namespace (the caller passes a release function) so it
 * can be unit tested alone and so a fid's lifetime rules live in one place
 * (srv_ops.c's srv_fid_release). Auth fids are counted apart: they are
 * bounded by HIVE_AUTH_FIDS_MAX, far below HIVE_FIDS_MAX.
 */
#include "srv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Index of fid in t, or of where it would go (*found says which). */
static uint32_t srv_fids_find(const struct srv_fids *t, uint32_t fid, int *found)
{
	uint32_t lo = 0, hi = t->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t v = t->v[mid]->fid;
		if (v == fid) {
			*found = 1;
			return mid;
		}
		if (v < fid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

struct srv_fid *srv_fids_get(const struct srv_fids *t, uint32_t fid)
{
	int found;
	uint32_t i = srv_fids_find(t, fid, &found);
	return found ? t->v[i] : NULL;
}

int srv_fids_add(struct srv_fids *t, uint32_t fid, struct srv_fid **out)
{
	if (fid == NINEP_NOFID)
		return -EINVAL;
	int found;
	uint32_t i = srv_fids_find(t, fid, &found);
	if (found)
		return -EEXIST;
	if (t->n >= HIVE_FIDS_MAX)
		return -EMFILE;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 8;
		if (cap > HIVE_FIDS_MAX)
			cap = HIVE_FIDS_MAX;
		struct srv_fid **v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	struct srv_fid *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->fid = fid;
	memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof *t->v);
	t->v[i] = f;
	t->n++;
	*out = f;
	return 0;
}

int srv_fids_add_auth(struct srv_fids *t, uint32_t fid, struct srv_fid **out)
{
	/* An auth fid is what a peer can make before it proves anything, so
	 * it gets its own small bound below HIVE_FIDS_MAX. */
	if (t->nauth >= HIVE_AUTH_FIDS_MAX)
		return -EMFILE;
	int rc = srv_fids_add(t, fid, out);
	if (rc < 0)
		return rc;
	(*out)->is_auth = 1;
	t->nauth++;
	return 0;
}

static void srv_fid_free(struct srv_fid *f, srv_fid_release_fn release, void *arg)
{
	if (release)
		release(f, arg);
	free(f->ticket);
	free(f);
}

int srv_fids_del(struct srv_fids *t, uint32_t fid, srv_fid_release_fn release, void *arg)
{
	int found;
	uint32_t i = srv_fids_find(t, fid, &found);
	if (!found)
		return -ENOENT;
	struct srv_fid *f = t->v[i];
	memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof *t->v);
	t->n--;
	if (f->is_auth && t->nauth > 0)
		t->nauth--;
	if (t->n == 0) {
		/* An idle session keeps no table. */
		free(t->v);
		t->v = NULL;
		t->cap = 0;
	}
	srv_fid_free(f, release, arg);
	return 0;
}

void srv_fids_clear(struct srv_fids *t, srv_fid_release_fn release, void *arg)
{
	for (uint32_t i = 0; i < t->n; i++)
		srv_fid_free(t->v[i], release, arg);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = t->nauth = 0;
}
