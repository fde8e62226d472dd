/*
 * render.c — the published formats. JSON through jansson, so a GPU name
 * with a quote in it cannot break the document; status values are numbers
 * or single tokens, so a reader can split on blanks and '='.
 */
#include "render.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#define MIB (1024ull * 1024ull)

static json_t *text_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

int render_info(struct strbuf *sb, const char *id, const struct nvml_sample *s, const char *driver)
{
	json_t *j = json_object();
	char *text;
	int rc = -ENOMEM;

	if (!j)
		return rc;
	/* sm_count and runtime_version stay null: NVML's minimal set does not
	 * give them and the bridge loads no CUDA. */
	if (json_object_set_new(j, "id", json_string(id)) || json_object_set_new(j, "name", text_or_null(s->name)) ||
	    json_object_set_new(j, "uuid", text_or_null(s->uuid)) ||
	    json_object_set_new(j, "memory_mb", s->has_mem ? json_integer((json_int_t)(s->mem_total / MIB)) : json_null()) ||
	    json_object_set_new(j, "sm_count", json_null()) ||
	    json_object_set_new(j, "driver_version", text_or_null(driver)) ||
	    json_object_set_new(j, "runtime_version", json_null()))
		goto out;
	if (!(text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)))
		goto out;
	strbuf_printf(sb, "%s\n", text);
	free(text);
	rc = sb->overflow ? -EFBIG : 0;
out:
	json_decref(j);
	return rc;
}

int render_status(struct strbuf *sb, const struct nvml_sample *s)
{
	if (s->reason[0])
		strbuf_printf(sb, "state=%s reason=%s\n", s->state, s->reason);
	else
		strbuf_printf(sb, "state=%s\n", s->state);
	if (s->has_util)
		strbuf_printf(sb, "util_pct=%u", s->util_gpu);
	else
		strbuf_printf(sb, "util_pct=unknown");
	if (s->has_mem)
		strbuf_printf(sb, " mem_used_mb=%llu mem_total_mb=%llu", (unsigned long long)(s->mem_used / MIB),
		              (unsigned long long)(s->mem_total / MIB));
	else
		strbuf_printf(sb, " mem_used_mb=unknown mem_total_mb=unknown");
	if (s->has_temp)
		strbuf_printf(sb, " temp_c=%u", s->temp_c);
	else
		strbuf_printf(sb, " temp_c=unknown");
	if (s->has_power)
		strbuf_printf(sb, " power_w=%u\n", s->power_mw / 1000u);
	else
		strbuf_printf(sb, " power_w=unknown\n");
	if (s->has_util)
		strbuf_printf(sb, "mem_util_pct=%u\n", s->util_mem);
	if (s->procs_cut)
		strbuf_printf(sb, "processes=unknown reason=more-than-%u\n", HIVE_GPU_PROCS_MAX);
	else if (s->has_procs)
		strbuf_printf(sb, "processes=%u\n", s->nprocs);
	else
		strbuf_printf(sb, "processes=unknown\n");
	for (unsigned i = 0; s->has_procs && i < s->nprocs; i++)
		strbuf_printf(sb, "proc pid=%u mem_mb=%llu\n", s->procs[i].pid,
		              (unsigned long long)((s->procs[i].used_bytes + MIB - 1) / MIB));
	return sb->overflow ? -EFBIG : 0;
}

int render_schema(struct strbuf *sb)
{
	/* Cohesix's gpu-telemetry/v1: records stay host-side; only the schema
	 * is mirrored into the namespace. */
	strbuf_printf(sb, "{\n  \"schema_version\": \"gpu-telemetry/v1\",\n  \"max_record_bytes\": 4096,\n"
	                  "  \"required_fields\": [\"schema_version\", \"device_id\", \"model_id\", \"time_window\", "
	                  "\"token_count\", \"latency_histogram\"],\n"
	                  "  \"optional_fields\": [\"lora_id\", \"confidence\", \"entropy\", \"drift\", "
	                  "\"feedback_flags\"]\n}\n");
	return sb->overflow ? -EFBIG : 0;
}
