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
	/* The best case a kernel offers, so /proc/status says degraded=none;
	 * test_kernel.c covers the probe itself. */
	h->kernel = (struct kernel){ .probed = 1, .landlock_abi = KERNEL_LANDLOCK_ABI_WANT, .seccomp_notify = 1,
		                     .seccomp_sync_wakeup = 1, .seccomp_wait_killable = 1, .cgroup = KERNEL_CGROUP_V2,
		                     .cgroup_ctrls = KERNEL_CG_ALL, .cgroup_v2_seen = 1, .fuse = 1 };
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
