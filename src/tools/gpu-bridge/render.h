/*
 * render.h — the bytes the bridge publishes (docs/gpu.md): /gpu/<id>/info
 * as pretty JSON (Cohesix's fields plus uuid), /gpu/<id>/status as
 * key=value lines (Cohesix's host nvidia status line plus state and one
 * line per process), and /gpu/telemetry/schema.json (gpu-telemetry/v1).
 */
#ifndef HIVE_GPUB_RENDER_H
#define HIVE_GPUB_RENDER_H
#include "lib/strbuf.h"
#include "nvml.h"

/* Each returns 0, or -EFBIG when sb overflowed. */
int render_info(struct strbuf *sb, const char *id, const struct nvml_sample *s, const char *driver);
int render_status(struct strbuf *sb, const struct nvml_sample *s);
int render_schema(struct strbuf *sb);

#endif
