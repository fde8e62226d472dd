/*
 * console_throttle.c — the console's attach throttle, per peer address.
 *
 * Two layers, as in Cohesix: an exponential back-off after each failed
 * AUTH/ATTACH (250 ms * 2^n, n <= 8), and a lockout when a peer fails
 * HIVE_ATTACH_FAILS_MAX times within HIVE_ATTACH_FAIL_WINDOW_MS. The
 * table is a fixed array: a flood of addresses reuses the slot whose
 * state matters least instead of growing. Time is passed in so tests can
 * walk the clock.
 */
#include "console_int.h"

#include <stdio.h>
#include <string.h>

static struct console_peer *peer_find(const struct console_throttle *t, const char *key)
{
	if (!key[0])
		return NULL;
	for (size_t i = 0; i < HIVE_CONSOLE_PEERS_MAX; i++)
		if (t->peers[i].key[0] && strcmp(t->peers[i].key, key) == 0)
			return (struct console_peer *)&t->peers[i];
	return NULL;
}

/* When a slot stops mattering: its lockout, back-off and window are over. */
static uint64_t peer_expiry(const struct console_peer *p)
{
	uint64_t e = p->last_fail_ms + HIVE_ATTACH_FAIL_WINDOW_MS;
	if (p->next_ok_ms > e)
		e = p->next_ok_ms;
	if (p->locked_until_ms > e)
		e = p->locked_until_ms;
	return e;
}

/* A free slot, else the one that expires first (a peer whose state is
 * over loses nothing; otherwise the least punished one goes). */
static struct console_peer *peer_take(struct console_throttle *t, const char *key)
{
	struct console_peer *best = NULL;
	for (size_t i = 0; i < HIVE_CONSOLE_PEERS_MAX; i++) {
		struct console_peer *p = &t->peers[i];
		if (!p->key[0]) {
			best = p;
			break;
		}
		if (!best || peer_expiry(p) < peer_expiry(best))
			best = p;
	}
	memset(best, 0, sizeof *best);
	snprintf(best->key, sizeof best->key, "%s", key);
	return best;
}

enum console_gate console_throttle_check(const struct console_throttle *t, const char *key,
                                         uint64_t now_ms, uint64_t *delay_ms)
{
	const struct console_peer *p = peer_find(t, key);
	*delay_ms = 0;
	if (!p)
		return CONSOLE_GATE_OPEN;
	if (p->locked_until_ms > now_ms) {
		*delay_ms = p->locked_until_ms - now_ms;
		return CONSOLE_GATE_LOCKED;
	}
	if (p->next_ok_ms > now_ms) {
		*delay_ms = p->next_ok_ms - now_ms;
		return CONSOLE_GATE_THROTTLED;
	}
	return CONSOLE_GATE_OPEN;
}

void console_throttle_fail(struct console_throttle *t, const char *key, uint64_t now_ms)
{
	struct console_peer *p = peer_find(t, key);
	if (!p)
		p = peer_take(t, key);
	/* A quiet window forgets the back-off and starts counting afresh. */
	if (p->fails == 0 || now_ms - p->window_start_ms >= HIVE_ATTACH_FAIL_WINDOW_MS) {
		p->window_start_ms = now_ms;
		p->fails = 0;
	}
	if (p->last_fail_ms && now_ms - p->last_fail_ms >= HIVE_ATTACH_FAIL_WINDOW_MS)
		p->shift = 0;
	p->fails++;
	p->last_fail_ms = now_ms;
	p->next_ok_ms = now_ms + ((uint64_t)HIVE_ATTACH_BACKOFF_BASE_MS << p->shift);
	if (p->shift < HIVE_ATTACH_BACKOFF_SHIFT_MAX)
		p->shift++;
	if (p->fails >= HIVE_ATTACH_FAILS_MAX) {
		p->locked_until_ms = now_ms + HIVE_ATTACH_LOCKOUT_MS;
		p->fails = 0;
	}
}

void console_throttle_ok(struct console_throttle *t, const char *key)
{
	struct console_peer *p = peer_find(t, key);
	if (p)
		memset(p, 0, sizeof *p);
}
