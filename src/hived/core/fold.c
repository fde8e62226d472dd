/*
 * fold.c — rate-limited refusal rows (see fold.h). A fixed table: a flood
 * of peers reuses the slot whose pending count is smallest after writing
 * that count out, so nothing is lost and nothing grows.
 */
#include "fold.h"

#include <stdio.h>
#include <string.h>

#include "hive.h"

static void fold_row(struct hive *hive, const struct principal *who, struct fold_slot *s,
                     uint64_t count, uint64_t now_ms)
{
	hive_deny(hive, who, (enum hive_pressure_class)s->cls, (enum hive_deny_op)s->op, NULL, s->reason,
	          "%s%scount=%llu", s->detail, s->detail[0] ? " " : "", (unsigned long long)count);
	s->row_ms = now_ms;
}

static struct fold_slot *fold_find(struct fold *f, int op, const char *key)
{
	for (size_t i = 0; i < HIVE_PEER_FOLD_SLOTS; i++)
		if (f->slot[i].key[0] && f->slot[i].op == op && strcmp(f->slot[i].key, key) == 0)
			return &f->slot[i];
	return NULL;
}

/* A free slot, else one whose interval is over and nothing is pending,
 * else the one with the least pending, written out first. */
static struct fold_slot *fold_take(struct hive *hive, uint64_t now_ms)
{
	struct fold *f = &hive->fold;
	struct fold_slot *best = NULL;
	for (size_t i = 0; i < HIVE_PEER_FOLD_SLOTS; i++) {
		struct fold_slot *s = &f->slot[i];
		if (!s->key[0] || (!s->pending && now_ms - s->row_ms >= HIVE_DENY_FOLD_MS))
			return s;
		if (!best || s->pending < best->pending)
			best = s;
	}
	if (best->pending)
		fold_row(hive, NULL, best, best->pending, now_ms);
	return best;
}

uint64_t fold_deny(struct hive *hive, const struct principal *who, int cls, int op, const char *key,
                   const char *reason, const char *detail, uint64_t now_ms)
{
	struct fold_slot one, *s = key && key[0] ? fold_find(&hive->fold, op, key) : NULL;
	if (!key || !key[0]) {
		memset(&one, 0, sizeof one);
		s = &one;
	} else if (!s) {
		s = fold_take(hive, now_ms);
		memset(s, 0, sizeof *s);
		snprintf(s->key, sizeof s->key, "%s", key);
		s->op = op;
	} else if (now_ms - s->row_ms < HIVE_DENY_FOLD_MS) {
		s->cls = cls;
		s->pending++;
		snprintf(s->reason, sizeof s->reason, "%s", reason);
		snprintf(s->detail, sizeof s->detail, "%s", detail ? detail : "");
		return 0;
	}
	/* A new interval: this refusal's row carries those pending before it. */
	uint64_t count = s->pending + 1;
	s->cls = cls;
	s->op = op;
	s->pending = 0;
	snprintf(s->reason, sizeof s->reason, "%s", reason);
	snprintf(s->detail, sizeof s->detail, "%s", detail ? detail : "");
	fold_row(hive, who, s, count, now_ms);
	return count;
}

void fold_flush(struct hive *hive, uint64_t now_ms)
{
	for (size_t i = 0; i < HIVE_PEER_FOLD_SLOTS; i++) {
		struct fold_slot *s = &hive->fold.slot[i];
		if (s->key[0] && s->pending && now_ms - s->row_ms >= HIVE_DENY_FOLD_MS) {
			uint64_t n = s->pending;
			s->pending = 0;
			fold_row(hive, NULL, s, n, now_ms);
		}
	}
}
