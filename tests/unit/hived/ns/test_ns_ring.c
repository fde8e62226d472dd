/* Unit tests for ring files at the far end of the offset space: once an
 * open has read below the window (and so carries a skew), an offset near
 * 2^64 must still read as end of file, never wrap back into the window. */
#include "hived/ns/ns.h"
#include "test.h"
#include "ns_fixture.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

TEST(clamp_read_at_max_offset_after_skew_is_eof)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct principal q = ns_fx_principal(HIVE_ROLE_QUEEN, NULL, 0, "internal");
	struct ns_ring *r = ns_ring_new(8, NS_RING_CLAMP);
	struct ns_node *node;
	struct ns_file *f;
	struct err err;
	char buf[16];

	CHECK(ns_ring_file(ns, ns_root(ns), "log", &ro_all, r, 0) != NULL);
	ns_ring_append(r, "0123456789abcdef", 16); /* window [8, 16) */
	CHECK_EQ_INT(ns_fx_walk(ns, &q, "/log", &node, &err), 0);
	CHECK_EQ_INT(ns_open(ns, &q, node, NS_OREAD, &f, &err), 0);
	ns_node_unref(node);
	/* Below the window: clamped to its base, and the open keeps a skew of 8. */
	CHECK_EQ_INT(ns_read(f, 0, buf, 4, &err), 4);
	CHECK(memcmp(buf, "89ab", 4) == 0);
	CHECK_EQ_INT(ns_read(f, UINT64_MAX, buf, sizeof buf, &err), 0);
	CHECK_EQ_INT(ns_read(f, UINT64_MAX - 7, buf, sizeof buf, &err), 0);
	CHECK_EQ_INT(ns_read(f, UINT64_MAX - 8, buf, sizeof buf, &err), 0); /* = 2^64-1 after skew */
	/* Ordinary reads of the same open still follow on. */
	CHECK_EQ_INT(ns_read(f, 4, buf, sizeof buf, &err), 4);
	CHECK(memcmp(buf, "cdef", 4) == 0);
	ns_close(f);
	ns_free(ns);
	ns_ring_free(r);
}

TEST(plain_ring_read_at_max_offset_is_eof)
{
	struct ns_ring *r = ns_ring_new(4, NS_RING_STALE);
	struct err err;
	char buf[8];

	ns_ring_append(r, "abcdef", 6);
	CHECK_EQ_INT(ns_ring_read(r, UINT64_MAX, buf, sizeof buf, &err), 0);
	CHECK_EQ_INT(ns_ring_read(r, 0, buf, sizeof buf, &err), -ESTALE);
	ns_ring_free(r);
}

int main(void)
{
	RUN(clamp_read_at_max_offset_after_skew_is_eof);
	RUN(plain_ring_read_at_max_offset_is_eof);
	return test_done();
}
