/*
 * spin.c — the event loop's adaptive busy-poll, kept out of the loop's
 * core as a pair of wait hooks (see spin.h for the why).
 *
 * The idle gap a budget is judged by runs from the end of a turn that
 * handled events (seen as the next before-wait after such a turn) to the
 * next events. A gap the budget covered needs nothing; one a bigger budget
 * would have covered grows it; one longer than the maximum halves it.
 */
#include "spin.h"
#include "loop.h"

#include <stdlib.h>

struct spin {
	struct loop *loop;
	uint32_t max_us;   /* bound of the budget, 0 = never spin */
	uint32_t us;       /* the current (adapted) budget */
	int busy;          /* the last turn handled events: poll first */
	int turn;          /* events are being handled; their end starts a gap */
	int polling;       /* the current wait is our poll */
	uint64_t idle_ns;  /* when the last turn with events ended */
};

static void spin_adapt(struct spin *s)
{
	uint64_t gap_us = (loop_now_ns() - s->idle_ns) / 1000u;

	if (gap_us <= s->us)
		return;
	if (gap_us <= s->max_us) {
		uint32_t us = s->us ? s->us * 2 : SPIN_US_START;
		s->us = us > s->max_us ? s->max_us : us;
	} else {
		s->us /= 2;
	}
}

static uint64_t spin_before(struct loop *loop, int timeout_ms, void *arg)
{
	struct spin *s = arg;

	if (s->turn) {
		s->turn = 0;
		s->busy = 1;
		s->idle_ns = loop_now_ns();
	}
	/* A due timer (timeout 0) is served at once, without a poll. */
	s->polling = s->busy && s->us && timeout_ms != 0;
	return s->polling ? s->idle_ns + (uint64_t)s->us * 1000u : 0;
}

static void spin_after(struct loop *loop, int nevents, void *arg)
{
	struct spin *s = arg;

	if (nevents > 0) {
		if (s->max_us && s->idle_ns)
			spin_adapt(s);
		s->turn = 1;
	} else if (s->polling) {
		s->busy = 0; /* quiet: sleep until the next events */
	}
	s->polling = 0;
}

struct spin *spin_attach(struct loop *loop, uint32_t max_us)
{
	struct spin *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->loop = loop;
	s->max_us = max_us > HIVE_BUSY_POLL_US_MAX ? HIVE_BUSY_POLL_US_MAX : max_us;
	loop_set_wait_hooks(loop, spin_before, spin_after, s);
	return s;
}

void spin_detach(struct spin *s)
{
	if (!s)
		return;
	loop_set_wait_hooks(s->loop, NULL, NULL, NULL);
	free(s);
}

uint32_t spin_budget(const struct spin *s)
{
	return s->us;
}
