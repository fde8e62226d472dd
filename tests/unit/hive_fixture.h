/*
 * hive_fixture.h — a whole hive's tree, online, without a loop or sockets,
 * for the unit tests that look at what hive_tree_build serves
 * (test_queenctl.c, test_procfs_sessions.c). Header-only because each unit
 * test is one file.
 */
#ifndef HIVE_TEST_HIVE_FIXTURE_H
#define HIVE_TEST_HIVE_FIXTURE_H

#include <stdlib.h>
#include <sys/types.h>

#include "hived/core/hive.h"
#include "hived/core/loop.h"

/* NULL when out of memory or the tree could not be built. */
static inline struct hive *hive_fx_make(uid_t owner_uid)
{
	struct hive *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->start_ms = loop_now_ms();
	h->owner_uid = owner_uid;
	lifecycle_init(&h->lifecycle, loop_now_ms());
	lifecycle_online(&h->lifecycle, loop_now_ms());
	if (hive_tree_build(h) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

static inline void hive_fx_destroy(struct hive *h)
{
	while (h->sessions)
		hive_session_remove(h, h->sessions);
	hive_tree_free(h);
	free(h);
}

#endif
