/* Unit tests for the attach throttle of both transports (net/auth.c): the
 * back-off doubling to its cap, the lockout after too many failures in
 * the window, forgetting on success and on a quiet window, the table
 * bound under a flood of addresses, and keys by identity (one uid never
 * locks out another; walking loopback addresses does not buy guesses).
 * The clock is passed in. */
#include <stdio.h>

#include "hived/net/auth.h"
#include "test.h"

static struct auth_throttle th;

TEST(backoff_doubles_then_locks)
{
	memset(&th, 0, sizeof th);
	uint64_t d = 0, t = 1000;
	CHECK_EQ_INT(auth_throttle_check(&th, "10.0.0.1", t, &d), AUTH_GATE_OPEN);
	auth_throttle_fail(&th, "10.0.0.1", t);
	CHECK_EQ_INT(auth_throttle_check(&th, "10.0.0.1", t + 10, &d), AUTH_GATE_THROTTLED);
	CHECK_EQ_INT(d, 240);
	CHECK_EQ_INT(auth_throttle_check(&th, "10.0.0.1", t + 250, &d), AUTH_GATE_OPEN);
	/* Another address is unaffected. */
	CHECK_EQ_INT(auth_throttle_check(&th, "10.0.0.2", t + 10, &d), AUTH_GATE_OPEN);
	t += 300;
	auth_throttle_fail(&th, "10.0.0.1", t);
	CHECK_EQ_INT(auth_throttle_check(&th, "10.0.0.1", t, &d), AUTH_GATE_THROTTLED);
	CHECK_EQ_INT(d, 500);
	t += 600;
	auth_throttle_fail(&th, "10.0.0.1", t); /* third in the window */
	CHECK_EQ_INT(auth_throttle_check(&th, "10.0.0.1", t + 1, &d), AUTH_GATE_LOCKED);
	CHECK_EQ_INT(d, HIVE_ATTACH_LOCKOUT_MS - 1);
	CHECK_EQ_INT(auth_throttle_check(&th, "10.0.0.1", t + HIVE_ATTACH_LOCKOUT_MS, &d),
	             AUTH_GATE_OPEN);
}

TEST(backoff_caps_at_shift_max)
{
	memset(&th, 0, sizeof th);
	uint64_t d = 0, t = 1000;
	uint64_t last = 0;
	for (int i = 0; i < 12; i++) {
		auth_throttle_fail(&th, "h", t);
		CHECK(auth_throttle_check(&th, "h", t, &d) != AUTH_GATE_OPEN);
		last = d;
		t += 1; /* same window: lockouts happen too, the back-off still doubles */
	}
	CHECK_EQ_INT(last, HIVE_ATTACH_LOCKOUT_MS); /* the lockout outlasts the back-off */
	struct auth_peer *p = NULL;
	for (size_t i = 0; i < HIVE_AUTH_PEERS_MAX; i++)
		if (strcmp(th.peers[i].key, "h") == 0)
			p = &th.peers[i];
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ_INT(p->shift, HIVE_ATTACH_BACKOFF_SHIFT_MAX);
		CHECK_EQ_INT(p->next_ok_ms - p->last_fail_ms,
		             (uint64_t)HIVE_ATTACH_BACKOFF_BASE_MS << HIVE_ATTACH_BACKOFF_SHIFT_MAX);
	}
}

TEST(quiet_window_and_success_forget)
{
	memset(&th, 0, sizeof th);
	uint64_t d = 0, t = 1000;
	auth_throttle_fail(&th, "a", t);
	auth_throttle_fail(&th, "a", t + 300);
	/* Past the window: the count restarts and the back-off is 250 again. */
	t += 300 + HIVE_ATTACH_FAIL_WINDOW_MS;
	auth_throttle_fail(&th, "a", t);
	CHECK_EQ_INT(auth_throttle_check(&th, "a", t, &d), AUTH_GATE_THROTTLED);
	CHECK_EQ_INT(d, HIVE_ATTACH_BACKOFF_BASE_MS);
	auth_throttle_fail(&th, "a", t + 300);
	CHECK_EQ_INT(auth_throttle_check(&th, "a", t + 300, &d), AUTH_GATE_THROTTLED);
	auth_throttle_ok(&th, "a");
	CHECK_EQ_INT(auth_throttle_check(&th, "a", t + 300, &d), AUTH_GATE_OPEN);
	CHECK_EQ_INT(d, 0);
}

TEST(table_is_bounded)
{
	memset(&th, 0, sizeof th);
	uint64_t d = 0, t = 1000;
	char key[32];
	/* Lock one peer out, then flood with more addresses than slots. */
	for (int i = 0; i < 3; i++)
		auth_throttle_fail(&th, "victim-of-flood", t + (uint64_t)i);
	for (unsigned i = 0; i < 4 * HIVE_AUTH_PEERS_MAX; i++) {
		snprintf(key, sizeof key, "10.1.%u.%u", i / 256, i % 256);
		auth_throttle_fail(&th, key, t + 10);
	}
	size_t used = 0;
	for (size_t i = 0; i < HIVE_AUTH_PEERS_MAX; i++)
		used += th.peers[i].key[0] != 0;
	CHECK_EQ_INT(used, HIVE_AUTH_PEERS_MAX);
	/* The locked-out peer expires last, so the flood evicted others first. */
	CHECK_EQ_INT(auth_throttle_check(&th, "victim-of-flood", t + 20, &d), AUTH_GATE_LOCKED);
	/* The newest flood address is remembered. */
	CHECK_EQ_INT(auth_throttle_check(&th, key, t + 20, &d), AUTH_GATE_THROTTLED);
	CHECK_EQ_INT(auth_throttle_check(&th, "", t + 20, &d), AUTH_GATE_OPEN);
}

TEST(identity_keys)
{
	memset(&th, 0, sizeof th);
	uint64_t d = 0, t = 1000;
	/* nobody locks itself out on 127.0.0.1 ... */
	for (int i = 0; i < 3; i++)
		auth_throttle_fail(&th, "uid=65534@127.0.0.1", t + (uint64_t)i);
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=65534@127.0.0.1", t + 5, &d), AUTH_GATE_LOCKED);
	/* ... and root on the same address, and root's Unix uid, are untouched. */
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=0@127.0.0.1", t + 5, &d), AUTH_GATE_OPEN);
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=0", t + 5, &d), AUTH_GATE_OPEN);
	/* Another address of the same uid starts fresh, until the uid as a
	 * whole has failed HIVE_ATTACH_ID_FAILS_MAX times in the window. */
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=65534@127.0.0.2", t + 5, &d), AUTH_GATE_OPEN);
	char key[64];
	for (unsigned i = 3; i < HIVE_ATTACH_ID_FAILS_MAX; i++) {
		snprintf(key, sizeof key, "uid=65534@127.0.1.%u", i);
		CHECK_EQ_INT(auth_throttle_check(&th, key, t + 10, &d), AUTH_GATE_OPEN);
		auth_throttle_fail(&th, key, t + 10);
	}
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=65534@127.0.9.9", t + 11, &d), AUTH_GATE_LOCKED);
	CHECK_EQ_INT(d, HIVE_ATTACH_LOCKOUT_MS - 1);
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=0@127.0.0.1", t + 11, &d), AUTH_GATE_OPEN);
	/* A success forgets the address's failures, not the identity's lockout. */
	auth_throttle_ok(&th, "uid=65534@127.0.9.9");
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=65534@127.0.9.9", t + 12, &d), AUTH_GATE_LOCKED);
	CHECK_EQ_INT(auth_throttle_check(&th, "uid=65534@127.0.9.9", t + 11 + HIVE_ATTACH_LOCKOUT_MS, &d),
	             AUTH_GATE_OPEN);
}

int main(void)
{
	RUN(backoff_doubles_then_locks);
	RUN(backoff_caps_at_shift_max);
	RUN(quiet_window_and_success_forget);
	RUN(table_is_bounded);
	RUN(identity_keys);
	return test_done();
}
