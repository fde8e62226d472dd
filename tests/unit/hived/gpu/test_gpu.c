/*
 * Unit tests of the GPU part (src/hived/gpu/): the publish channel's
 * grammar and bounds, who may publish and who sees what, and lease
 * requests refused without a live agent holding gpu.lease.
 */
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/gpu/gpu.h"
#include "test.h"
#include "hive_fixture.h"
#include "ns_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct hive *gpu_hive(void)
{
	struct hive *h = hive_fx_make(1000);
	struct err err = { 0 };

	if (!h)
		return NULL;
	h->loop = loop_new();
	if (!h->loop || gpu_open(h, &err) < 0) {
		loop_free(h->loop);
		hive_fx_destroy(h);
		return NULL;
	}
	return h;
}

static void gpu_hive_free(struct hive *h)
{
	gpu_close(h);
	gpu_close(h); /* safe twice */
	struct loop *l = h->loop;
	hive_fx_destroy(h);
	loop_free(l);
}

static ssize_t put(struct hive *h, const struct principal *who, const char *text, struct err *err)
{
	return ns_fx_write_at(h->ns, who, "/gpu/bridge/ctl", 0, text, err);
}

TEST(publish_makes_the_files)
{
	struct hive *h = gpu_hive();
	struct principal q = ns_fx_principal(HIVE_ROLE_QUEEN, "gpu-bridge", 1, "unix");
	struct err err = { 0 };
	char buf[512];

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(put(h, &q, "put 0/info\n{\"id\":\"0\"}\n", &err) > 0);
	CHECK(put(h, &q, "put 0/status\nstate=ok\nutil_pct=1 mem_used_mb=1 mem_total_mb=4096 temp_c=1 power_w=1\n",
	          &err) > 0);
	CHECK(put(h, &q, "put models/m1/manifest\nname = \"m1\"\n", &err) > 0);
	CHECK(put(h, &q, "put telemetry/schema.json\n{}\n", &err) > 0);
	CHECK_EQ_INT(ns_fx_read_all(h->ns, &q, "/gpu/0/info", buf, sizeof buf), 11);
	CHECK(!strncmp(buf, "{\"id\":\"0\"}\n", 11));
	CHECK(ns_fx_read_all(h->ns, &q, "/gpu/models/available/m1/manifest", buf, sizeof buf) == 12);
	CHECK(ns_fx_read_all(h->ns, &q, "/gpu/bridge/status", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "state=ok\npublishes=4\n") != NULL);
	CHECK(strstr(buf, "gpus=1\nmodels=1\n") != NULL);
	gpu_hive_free(h);
}

TEST(publish_refuses_bad_input)
{
	struct hive *h = gpu_hive();
	struct principal q = ns_fx_principal(HIVE_ROLE_QUEEN, "", 1, "unix");
	struct err err = { 0 };
	static char big[HIVE_GPU_FILE_MAX + 64];

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK_EQ_INT(put(h, &q, "0/info\nx", &err), -EINVAL);
	CHECK_EQ_INT(put(h, &q, "put 0/info", &err), -EINVAL);     /* no newline */
	CHECK_EQ_INT(put(h, &q, "put ../info\nx", &err), -EINVAL);
	CHECK_EQ_INT(put(h, &q, "put 0/ctl\nx", &err), -EINVAL);
	CHECK_EQ_INT(put(h, &q, "put bridge/info\nx", &err), -EINVAL);
	CHECK_EQ_INT(put(h, &q, "put telemetry/x\nx", &err), -EINVAL);
	CHECK_EQ_INT(put(h, &q, "put models/a/b/manifest\nx", &err), -EINVAL);
	CHECK_EQ_INT(put(h, &q, "put a b/info\nx", &err), -EINVAL);
	snprintf(big, sizeof big, "put 0/info\n");
	memset(big + strlen(big), 'x', HIVE_GPU_FILE_MAX + 1);
	CHECK_EQ_INT(put(h, &q, big, &err), -EFBIG);
	CHECK(ns_lookup(h->ns, "/gpu/0") == NULL); /* nothing half made */
	for (unsigned i = 0; i < HIVE_GPU_MAX; i++) {
		char line[64];
		snprintf(line, sizeof line, "put g%u/status\nstate=ok\n", i);
		CHECK(put(h, &q, line, &err) > 0);
	}
	CHECK_EQ_INT(put(h, &q, "put one-too-many/status\nstate=ok\n", &err), -ENOSPC);
	gpu_hive_free(h);
}

TEST(only_the_queen_publishes_and_workers_see_little)
{
	struct hive *h = gpu_hive();
	struct principal q = ns_fx_principal(HIVE_ROLE_QUEEN, "", 1, "unix");
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "a-1", 2, "tcp");
	struct principal o = ns_fx_principal(HIVE_ROLE_OBSERVER, "eye", 3, "tcp");
	struct err err = { 0 };
	struct ns_node *n = NULL;
	char buf[256];

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(put(h, &q, "put 0/status\nstate=ok\n", &err) > 0);
	CHECK_EQ_INT(put(h, &w, "put 0/status\nstate=fake\n", &err), -EACCES);
	CHECK_EQ_INT(put(h, &o, "put 0/status\nstate=fake\n", &err), -EACCES);
	CHECK_EQ_INT(ns_fx_walk(h->ns, &w, "/gpu/bridge", &n, &err), -EACCES);
	CHECK_EQ_INT(ns_fx_walk(h->ns, &w, "/gpu/0/status", &n, &err), -EACCES);
	CHECK(ns_fx_read_all(h->ns, &o, "/gpu/0/status", buf, sizeof buf) > 0);
	CHECK_EQ_INT(ns_fx_walk(h->ns, &w, "/gpu/0/lease", &n, &err), 0);
	ns_node_unref(n);
	/* No live agent a-1 holding gpu.lease: refused, nothing granted. */
	CHECK_EQ_INT(ns_fx_write_at(h->ns, &w, "/gpu/0/lease", 0,
	                            "{\"schema\":\"gpu-lease/v1\",\"mem_mb\":1,\"ttl_s\":1,\"mode\":\"shared\"}", &err),
	             -EACCES);
	CHECK_EQ_INT(ns_fx_write_at(h->ns, &w, "/gpu/0/lease", 0,
	                            "{\"schema\":\"gpu-lease/v1\",\"mem_mb\":1,\"ttl_s\":1,\"mode\":\"shared\","
	                            "\"agent\":\"a-2\"}",
	                            &err),
	             -EINVAL);
	CHECK_EQ_INT(ns_fx_write_at(h->ns, &q, "/gpu/0/lease", 0, "{\"mem_mb\":1}", &err), -EINVAL);
	CHECK_EQ_INT(ns_fx_write_at(h->ns, &q, "/gpu/0/lease", 0, "[1]", &err), -EINVAL);
	CHECK_EQ_INT(ns_fx_write_at(h->ns, &q, "/gpu/0/lease", 0, "revoke a-1", &err), -ENOENT);
	CHECK_EQ_INT(ns_fx_read_all(h->ns, &q, "/gpu/0/lease", buf, sizeof buf), 0);
	CHECK(gpu_lease_memory_mb(h, "a-1") == 0);
	gpu_hive_free(h);
}

TEST(the_models_pointer_is_cas)
{
	struct hive *h = gpu_hive();
	struct principal q = ns_fx_principal(HIVE_ROLE_QUEEN, "", 1, "unix");
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "a-1", 2, "tcp");
	struct err err = { 0 };
	char buf[64];

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(ns_fx_write_at(h->ns, &q, "/gpu/models/active", 0, "cas \"\" m1\n", &err) > 0);
	CHECK_EQ_INT(ns_fx_write_at(h->ns, &q, "/gpu/models/active", 0, "cas \"\" m2\n", &err), -EBUSY);
	CHECK_EQ_STR(err.msg, "cas failed: value is m1");
	CHECK_EQ_INT(ns_fx_write_at(h->ns, &w, "/gpu/models/active", 0, "cas m1 m2\n", &err), -EACCES);
	CHECK_EQ_INT(ns_fx_read_all(h->ns, &w, "/gpu/models/active", buf, sizeof buf), 3);
	gpu_hive_free(h);
}

int main(void)
{
	RUN(publish_makes_the_files);
	RUN(publish_refuses_bad_input);
	RUN(only_the_queen_publishes_and_workers_see_little);
	RUN(the_models_pointer_is_cas);
	return test_done();
}
