/*
 * fold.h — refusal rows a stranger cannot multiply: repeated refusals of
 * one kind to one peer become one row per HIVE_DENY_FOLD_MS carrying
 * count=N (the refusals it stands for), so 10,000 refused connections or
 * throttled attaches cost a handful of rows, not the whole log.
 *
 * The first refusal of an interval is written at once (count=1); those
 * that follow are counted and written as one row when the interval is
 * over: at the next refusal, or by fold_flush from a sweep. Every row
 * still passes the deny door, so rows and its counters agree, and the
 * counts in the rows sum to the refusals made.
 */
#ifndef HIVE_FOLD_H
#define HIVE_FOLD_H

#include <stdint.h>

#include "lib/limits.h"

struct hive;
struct principal;

struct fold_slot {
	char key[HIVE_PEER_ID_MAX]; /* peer id; "" = free */
	int op;                     /* enum hive_deny_op */
	int cls;                    /* enum hive_pressure_class of the last refusal */
	uint64_t row_ms;            /* when this slot's last row was written */
	uint64_t pending;           /* refusals since, not yet in a row */
	char reason[24];            /* of the last pending refusal */
	char detail[160];           /* of the last pending refusal */
};

struct fold {
	struct fold_slot slot[HIVE_PEER_FOLD_SLOTS];
};

/*
 * Refuse through the deny door, folded per (op, key). cls and op as for
 * hive_deny; detail is key=value text ("transport=tcp peer=..."), the row
 * adds count=N. key "" is never folded. Returns the count written now
 * (0 when this refusal was only counted for a later row).
 */
uint64_t fold_deny(struct hive *hive, const struct principal *who, int cls, int op, const char *key,
                   const char *reason, const char *detail, uint64_t now_ms);
/* Write the rows whose interval is over. Sweeps call it. */
void fold_flush(struct hive *hive, uint64_t now_ms);

#endif
