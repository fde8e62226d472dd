/*
 * Unit tests of the GPU bridge's NVML layer (src/tools/gpu-bridge/nvml.c)
 * and its formats (render.c) against the fake libnvidia-ml.so.1 the build
 * makes in <build>/tests/tools/fakenvml/{full,minimal,broken}/: several
 * GPUs, missing symbols, NVML errors, a GPU that is lost, processes with
 * memory and both process-entry strides. The layer reports, never crashes.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "test.h"
#include "tools/gpu-bridge/nvml.h"
#include "tools/gpu-bridge/render.h"

static char fake_dir[1024];

static struct nvml *open_fake(const char *variant, const char *scenario, char *msg, size_t cap)
{
	char lib[1200];

	snprintf(lib, sizeof lib, "%s/tools/fakenvml/%s/libnvidia-ml.so.1", fake_dir, variant);
	setenv("FAKENVML", scenario, 1);
	return nvml_open(lib, msg, cap);
}

TEST(absent_library_is_reported)
{
	char msg[512] = "";
	struct nvml *nv = nvml_open("/nonexistent/libnvidia-ml.so.1", msg, sizeof msg);

	CHECK(nv == NULL);
	CHECK(strstr(msg, "nvml absent") != NULL);
}

TEST(init_failure_is_reported)
{
	char msg[512] = "";
	struct nvml *nv = open_fake("full", "init=9", msg, sizeof msg);

	CHECK(nv == NULL);
	CHECK(strstr(msg, "driver-not-loaded") != NULL);
}

TEST(missing_required_symbol_is_named)
{
	char msg[512] = "";
	struct nvml *nv = open_fake("broken", "", msg, sizeof msg);

	CHECK(nv == NULL);
	CHECK(strstr(msg, "lacks nvmlDeviceGetUUID") != NULL);
}

TEST(two_gpus_full_sample)
{
	char msg[512] = "";
	struct nvml *nv = open_fake("full", "gpus=2 proc=0:4242:300 proc=0:77:5 proc=1:9:1", msg, sizeof msg);
	struct nvml_sample s;
	unsigned n = 0;

	CHECK(nv != NULL);
	if (!nv)
		return;
	CHECK_EQ_INT(nvml_count(nv, &n, msg, sizeof msg), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(nvml_driver(nv), "550.54.15-fake");
	nvml_sample(nv, 0, &s);
	CHECK_EQ_STR(s.state, "ok");
	CHECK_EQ_STR(s.name, "Fake \"GPU\" 0");
	CHECK_EQ_STR(s.uuid, "GPU-fa4e0000-0000-0000-0000-000000000000");
	CHECK(s.has_mem && s.mem_total == 16384ull << 20 && s.mem_used == 405ull << 20);
	CHECK(s.has_util && s.util_gpu == 30 && s.util_mem == 10);
	CHECK(s.has_temp && s.temp_c == 50);
	CHECK(s.has_power && s.power_mw == 150000);
	CHECK(s.has_procs);
	CHECK_EQ_INT(s.nprocs, 2);
	CHECK_EQ_INT(s.procs[0].pid, 4242);
	CHECK(s.procs[0].used_bytes == 300ull << 20);
	CHECK_EQ_INT(s.procs[1].pid, 77);
	nvml_sample(nv, 1, &s);
	CHECK_EQ_STR(s.state, "ok");
	CHECK_EQ_INT(s.nprocs, 1);
	CHECK(s.mem_total == 8192ull << 20);
	nvml_close(nv);
}

TEST(wide_process_entries_are_read_right)
{
	char msg[512] = "";
	struct nvml *nv = open_fake("full", "gpus=1 stride=32 proc=0:11:100 proc=0:22:200 proc=0:33:300", msg, sizeof msg);
	struct nvml_sample s;

	CHECK(nv != NULL);
	if (!nv)
		return;
	nvml_sample(nv, 0, &s);
	CHECK_EQ_INT(s.nprocs, 3);
	CHECK_EQ_INT(s.procs[1].pid, 22);
	CHECK(s.procs[1].used_bytes == 200ull << 20);
	CHECK_EQ_INT(s.procs[2].pid, 33);
	CHECK(s.procs[2].used_bytes == 300ull << 20);
	nvml_close(nv);
}

TEST(missing_optional_symbols_are_unknown)
{
	char msg[512] = "", text[2048];
	struct nvml *nv = open_fake("minimal", "gpus=1", msg, sizeof msg);
	struct nvml_sample s;
	struct strbuf sb;
	unsigned n = 0;

	CHECK(nv != NULL);
	if (!nv)
		return;
	CHECK_EQ_INT(nvml_count(nv, &n, msg, sizeof msg), 0);
	CHECK_EQ_INT(n, 1);
	nvml_sample(nv, 0, &s);
	CHECK_EQ_STR(s.state, "ok");
	CHECK(s.has_mem && !s.has_util && !s.has_temp && !s.has_power && !s.has_procs);
	CHECK_EQ_STR(nvml_driver(nv), "");
	strbuf_init(&sb, text, sizeof text);
	CHECK_EQ_INT(render_status(&sb, &s), 0);
	CHECK_EQ_STR(text, "state=ok\nutil_pct=unknown mem_used_mb=100 mem_total_mb=16384 temp_c=unknown "
	                   "power_w=unknown\nprocesses=unknown\n");
	nvml_close(nv);
}

TEST(lost_gpu_and_errors_stay_on_their_gpu)
{
	char msg[512] = "";
	struct nvml *nv = open_fake("full", "gpus=3 lost=1 temp=3", msg, sizeof msg);
	struct nvml_sample s;

	CHECK(nv != NULL);
	if (!nv)
		return;
	nvml_sample(nv, 1, &s);
	CHECK_EQ_STR(s.state, "lost");
	CHECK_EQ_STR(s.reason, "name:gpu-is-lost");
	nvml_sample(nv, 0, &s);
	CHECK_EQ_STR(s.state, "ok");
	CHECK(!s.has_temp && s.has_power); /* NOT_SUPPORTED: unknown, the rest stays */
	nvml_sample(nv, 2, &s);
	CHECK_EQ_STR(s.state, "ok");
	nvml_sample(nv, 7, &s); /* past the count: NVML says invalid argument */
	CHECK_EQ_STR(s.state, "error");
	CHECK_EQ_STR(s.reason, "handle:invalid-argument");
	nvml_close(nv);
}

TEST(count_error_is_reported)
{
	char msg[512] = "";
	struct nvml *nv = open_fake("full", "count=999", msg, sizeof msg);
	unsigned n = 5;

	CHECK(nv != NULL);
	if (!nv)
		return;
	CHECK(nvml_count(nv, &n, msg, sizeof msg) < 0);
	CHECK(strstr(msg, "device count: unknown (999)") != NULL);
	nvml_close(nv);
}

TEST(mock_inventory_and_info_json)
{
	struct nvml *nv = nvml_mock(2);
	struct nvml_sample s;
	char text[2048];
	struct strbuf sb;
	unsigned n = 0;

	CHECK_EQ_INT(nvml_count(nv, &n, text, sizeof text), 0);
	CHECK_EQ_INT(n, 2);
	nvml_sample(nv, 1, &s);
	CHECK_EQ_STR(s.name, "Mock 4060");
	strbuf_init(&sb, text, sizeof text);
	CHECK_EQ_INT(render_info(&sb, "1", &s, nvml_driver(nv)), 0);
	CHECK_EQ_STR(text, "{\n  \"id\": \"1\",\n  \"name\": \"Mock 4060\",\n"
	                   "  \"uuid\": \"GPU-00000000-0000-0000-0000-000000000001\",\n  \"memory_mb\": 8192,\n"
	                   "  \"sm_count\": null,\n  \"driver_version\": \"555.0\",\n  \"runtime_version\": null\n}\n");
	nvml_close(nv);
}

TEST(info_json_escapes_the_name)
{
	char msg[512] = "", text[2048];
	struct nvml *nv = open_fake("full", "gpus=1", msg, sizeof msg);
	struct nvml_sample s;
	struct strbuf sb;

	CHECK(nv != NULL);
	if (!nv)
		return;
	nvml_sample(nv, 0, &s);
	strbuf_init(&sb, text, sizeof text);
	CHECK_EQ_INT(render_info(&sb, "0", &s, nvml_driver(nv)), 0);
	CHECK(strstr(text, "\"name\": \"Fake \\\"GPU\\\" 0\"") != NULL);
	nvml_close(nv);
}

int main(int argc, char **argv)
{
	char self[1024];

	snprintf(self, sizeof self, "%s", argc > 0 ? argv[0] : ".");
	snprintf(fake_dir, sizeof fake_dir, "%s", dirname(self));
	RUN(absent_library_is_reported);
	RUN(init_failure_is_reported);
	RUN(missing_required_symbol_is_named);
	RUN(two_gpus_full_sample);
	RUN(wide_process_entries_are_read_right);
	RUN(missing_optional_symbols_are_unknown);
	RUN(lost_gpu_and_errors_stay_on_their_gpu);
	RUN(count_error_is_reported);
	RUN(mock_inventory_and_info_json);
	RUN(info_json_escapes_the_name);
	return test_done();
}
