/*
 * gpu.h — the GPU part: /gpu, what the bridge publishes into it, the model
 * pointer and GPU leases. hived never links NVML: the numbers come from
 * hive-gpu-bridge (src/tools/gpu-bridge/), a separate client (docs/gpu.md).
 *
 *   /gpu/bridge/ctl            the bridge's publish channel (queen writes)
 *   /gpu/bridge/status         what was published, and when
 *   /gpu/<id>/{info,status}    as published; a worker sees them only while
 *                              it holds a lease on <id>
 *   /gpu/<id>/lease            lease requests (gpu-lease/v1 JSON) and the
 *                              lease table
 *   /gpu/models/available/<m>/manifest, /gpu/models/active (CAS)
 *   /gpu/telemetry/schema.json
 */
#ifndef HIVE_GPU_H
#define HIVE_GPU_H
#include <stdint.h>
#include "lib/err.h"
struct hive;

/* Make /gpu and start the lease sweep. Called by main after the tree is built. */
int gpu_open(struct hive *hive, struct err *err);
/* Stop the sweep and free the part's state (before the tree is freed). Safe twice. */
void gpu_close(struct hive *hive);
/* MiB of GPU memory aid holds by its granted leases (all GPUs), for
 * /agent/<aid>/quota; 0 when none. */
uint64_t gpu_lease_memory_mb(struct hive *hive, const char *aid);

#endif
