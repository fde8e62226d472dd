/*
 * nvml.h — the bridge's view of the GPUs: NVML loaded with dlopen at run
 * time (no NVIDIA header, no link-time dependency), or a mock inventory.
 *
 * The project carries its own declarations of the few NVML functions it
 * calls (nvml.c), written from NVIDIA's documented C API. Required: init,
 * shutdown, device count, handle by index, name, UUID, memory. Every other
 * symbol is optional: missing means that field is "unknown", not failure.
 * An NVML error on one GPU marks that GPU (lost, error) and never the
 * others; the bridge keeps going and asks again next round.
 */
#ifndef HIVE_GPUB_NVML_H
#define HIVE_GPUB_NVML_H
#include <stddef.h>
#include <stdint.h>
#include "lib/limits.h"

#define NVML_TEXT_MAX 96u /* NVML's name (v2: 96) and UUID (80) buffers */

struct nvml_proc {
	uint32_t pid;
	uint64_t used_bytes;
};

/* One GPU, one round. has_* = 0: NVML lacks the call or said NOT_SUPPORTED. */
struct nvml_sample {
	char state[16];              /* "ok", "lost" (gone / GPU_IS_LOST), "error" */
	char reason[NVML_TEXT_MAX];  /* when not ok: what NVML said */
	char name[NVML_TEXT_MAX], uuid[NVML_TEXT_MAX];
	int has_mem, has_util, has_temp, has_power, has_procs;
	uint64_t mem_total, mem_used; /* bytes */
	unsigned util_gpu, util_mem;  /* percent */
	unsigned temp_c;
	unsigned power_mw;
	unsigned nprocs; /* of procs[]; more are cut (procs_cut) */
	int procs_cut;
	struct nvml_proc procs[HIVE_GPU_PROCS_MAX];
};

struct nvml;
/* Load NVML and initialise it. lib: a path, or NULL for $HIVE_NVML_LIBRARY,
 * else "libnvidia-ml.so.1" by the loader's search (never the bare .so, a
 * build-time artefact). NULL with msg set when the library, a required
 * symbol or nvmlInit fails. */
struct nvml *nvml_open(const char *lib, char *msg, size_t cap);
/* N fake GPUs (Cohesix's mock inventory: "Mock 4090" 24576 MiB, "Mock 4060" 8192 MiB, ...). */
struct nvml *nvml_mock(unsigned n);
/* GPUs NVML sees now. 0 or -EIO with msg set (NVML's text). */
int nvml_count(struct nvml *nv, unsigned *n, char *msg, size_t cap);
/* Sample GPU idx into s (always filled: state says whether it is usable). */
void nvml_sample(struct nvml *nv, unsigned idx, struct nvml_sample *s);
/* The driver version, "" when unknown. */
const char *nvml_driver(const struct nvml *nv);
/* Shut NVML down and unload it. NULL is fine. */
void nvml_close(struct nvml *nv);

#endif
