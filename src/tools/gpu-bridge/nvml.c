/*
 * nvml.c — NVML by dlopen, with our own declarations, and the mock.
 *
 * Facts we rely on (NVIDIA's NVML API reference): every call returns an
 * unsigned nvmlReturn_t, 0 = success; device handles are opaque pointers;
 * memory is three u64 byte counts (total, free, used); utilisation two
 * unsigned percents; temperature sensor 0 is the GPU die; power is mW.
 * The process list takes a count in/out and answers INSUFFICIENT_SIZE with
 * the size needed. Its element was 24 bytes (pid u32, pad, used u64, two
 * u32 instance ids) until R535 drivers started writing 32 through the
 * same _v3 symbol: we give NVML 32 bytes a slot, fill them with a sentinel
 * and look at what it wrote past 24 * n to tell the stride.
 */
#include "nvml.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned int nvml_ret;
typedef void *nvml_dev;
struct nvml_mem_raw {
	unsigned long long total, free, used;
};
struct nvml_util_raw {
	unsigned int gpu, memory;
};

enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NOT_FOUND = 6,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_FUNCTION_NOT_FOUND = 13,
	NVML_ERROR_GPU_IS_LOST = 15,
};

#define NVML_PROC_SLOT 32u     /* the widest element a driver writes */
#define NVML_PROC_NARROW 24u   /* the documented element */
#define NVML_PROC_SENTINEL 0xA5
#define NVML_PROC_TRIES 3      /* the list may grow between the size call and the fetch */

struct nvml {
	void *dl;
	unsigned mock; /* > 0: the mock with this many GPUs */
	uint64_t rounds;
	char driver[NVML_TEXT_MAX];
	nvml_ret (*init)(void);
	nvml_ret (*shutdown)(void);
	nvml_ret (*count)(unsigned int *);
	nvml_ret (*by_index)(unsigned int, nvml_dev *);
	nvml_ret (*name)(nvml_dev, char *, unsigned int);
	nvml_ret (*uuid)(nvml_dev, char *, unsigned int);
	nvml_ret (*memory)(nvml_dev, struct nvml_mem_raw *);
	nvml_ret (*driver_version)(char *, unsigned int);
	nvml_ret (*util)(nvml_dev, struct nvml_util_raw *);
	nvml_ret (*temp)(nvml_dev, unsigned int, unsigned int *);
	nvml_ret (*power)(nvml_dev, unsigned int *);
	nvml_ret (*procs)(nvml_dev, unsigned int *, void *);
	unsigned char procbuf[HIVE_GPU_PROCS_MAX * NVML_PROC_SLOT];
};

static const char *nvml_text(nvml_ret rc)
{
	static const char *const names[] = {
		[0] = "success", [1] = "uninitialized", [2] = "invalid-argument", [3] = "not-supported",
		[4] = "no-permission", [6] = "not-found", [7] = "insufficient-size", [9] = "driver-not-loaded",
		[12] = "library-not-found", [13] = "function-not-found", [15] = "gpu-is-lost",
		[18] = "lib-rm-version-mismatch", [25] = "argument-version-mismatch",
	};
	/* Our words, not nvmlErrorString's: the status file keeps one token. */
	if (rc < sizeof names / sizeof names[0] && names[rc])
		return names[rc];
	return "unknown";
}

/* dlsym the first of names present (the newest variant first). */
static void *nvml_sym(void *dl, const char *const *names)
{
	for (; *names; names++) {
		void *p;
		dlerror();
		p = dlsym(dl, *names);
		if (p && !dlerror())
			return p;
	}
	return NULL;
}

#define SYM(field, ...) (*(void **)&nv->field = nvml_sym(nv->dl, (const char *const[]){ __VA_ARGS__, NULL }))

struct nvml *nvml_open(const char *lib, char *msg, size_t cap)
{
	struct nvml *nv = calloc(1, sizeof *nv);
	const char *missing = NULL;
	nvml_ret rc;

	if (!nv) {
		snprintf(msg, cap, "out of memory");
		return NULL;
	}
	if (!lib)
		lib = getenv("HIVE_NVML_LIBRARY");
	if (!lib || !lib[0])
		lib = "libnvidia-ml.so.1";
	if (!(nv->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(msg, cap, "nvml absent: %s", dlerror());
		free(nv);
		return NULL;
	}
	if (!SYM(init, "nvmlInit_v2", "nvmlInit"))
		missing = "nvmlInit_v2";
	else if (!SYM(shutdown, "nvmlShutdown"))
		missing = "nvmlShutdown";
	else if (!SYM(count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"))
		missing = "nvmlDeviceGetCount_v2";
	else if (!SYM(by_index, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"))
		missing = "nvmlDeviceGetHandleByIndex_v2";
	else if (!SYM(name, "nvmlDeviceGetName"))
		missing = "nvmlDeviceGetName";
	else if (!SYM(uuid, "nvmlDeviceGetUUID"))
		missing = "nvmlDeviceGetUUID";
	else if (!SYM(memory, "nvmlDeviceGetMemoryInfo"))
		missing = "nvmlDeviceGetMemoryInfo";
	if (missing) {
		snprintf(msg, cap, "nvml unusable: %s lacks %s", lib, missing);
		goto fail;
	}
	SYM(driver_version, "nvmlSystemGetDriverVersion");
	SYM(util, "nvmlDeviceGetUtilizationRates");
	SYM(temp, "nvmlDeviceGetTemperature");
	SYM(power, "nvmlDeviceGetPowerUsage");
	SYM(procs, "nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
	    "nvmlDeviceGetComputeRunningProcesses");
	if ((rc = nv->init()) != NVML_SUCCESS) {
		/* A CUDA stub library loads and then fails here: absent, not broken. */
		snprintf(msg, cap, "nvml init failed: %s (%u)", nvml_text(rc), rc);
		goto fail;
	}
	if (!nv->driver_version || nv->driver_version(nv->driver, sizeof nv->driver) != NVML_SUCCESS)
		nv->driver[0] = '\0';
	nv->driver[sizeof nv->driver - 1] = '\0';
	return nv;
fail:
	dlclose(nv->dl);
	free(nv);
	return NULL;
}

struct nvml *nvml_mock(unsigned n)
{
	struct nvml *nv = calloc(1, sizeof *nv);

	if (!nv)
		return NULL;
	nv->mock = n;
	snprintf(nv->driver, sizeof nv->driver, "555.0");
	return nv;
}

int nvml_count(struct nvml *nv, unsigned *n, char *msg, size_t cap)
{
	unsigned int c = 0;
	nvml_ret rc;

	if (nv->mock) {
		*n = nv->mock;
		return 0;
	}
	if ((rc = nv->count(&c)) != NVML_SUCCESS) {
		snprintf(msg, cap, "device count: %s (%u)", nvml_text(rc), rc);
		return -EIO;
	}
	*n = c;
	return 0;
}

static void mock_sample(struct nvml *nv, unsigned idx, struct nvml_sample *s)
{
	uint64_t total = (idx % 2 ? 8192ull : 24576ull) << 20;

	snprintf(s->name, sizeof s->name, "Mock %s", idx % 2 ? "4060" : "4090");
	snprintf(s->uuid, sizeof s->uuid, "GPU-00000000-0000-0000-0000-%012u", idx);
	s->has_mem = s->has_util = s->has_temp = s->has_power = s->has_procs = 1;
	s->mem_total = total;
	s->mem_used = ((nv->rounds % 16) << 28) % total;
	s->util_gpu = (unsigned)((nv->rounds * 7 + idx * 13) % 101);
	s->util_mem = s->util_gpu / 2;
	s->temp_c = 42 + idx;
	s->power_mw = 120000 + idx * 1000;
}

/* The compute processes of dev into s; stride found by the sentinel. */
static void sample_procs(struct nvml *nv, nvml_dev dev, struct nvml_sample *s)
{
	unsigned int n = 0;
	nvml_ret rc = NVML_SUCCESS;
	size_t stride;

	if (!nv->procs)
		return;
	for (int t = 0; t < NVML_PROC_TRIES; t++) {
		memset(nv->procbuf, NVML_PROC_SENTINEL, sizeof nv->procbuf);
		n = HIVE_GPU_PROCS_MAX;
		rc = nv->procs(dev, &n, nv->procbuf);
		if (rc != NVML_ERROR_INSUFFICIENT_SIZE || n <= HIVE_GPU_PROCS_MAX)
			break;
	}
	if (rc == NVML_ERROR_INSUFFICIENT_SIZE && n > HIVE_GPU_PROCS_MAX) {
		s->procs_cut = 1;
		s->nprocs = 0;
		return;
	}
	if (rc != NVML_SUCCESS || n > HIVE_GPU_PROCS_MAX)
		return;
	stride = NVML_PROC_NARROW;
	for (size_t i = (size_t)n * NVML_PROC_NARROW; i < (size_t)n * NVML_PROC_SLOT; i++)
		if (nv->procbuf[i] != NVML_PROC_SENTINEL) {
			stride = NVML_PROC_SLOT;
			break;
		}
	s->has_procs = 1;
	s->nprocs = n;
	for (unsigned i = 0; i < n; i++) {
		const unsigned char *e = nv->procbuf + i * stride;
		uint32_t pid;
		uint64_t used;

		memcpy(&pid, e, sizeof pid);
		memcpy(&used, e + 8, sizeof used);
		s->procs[i].pid = pid;
		/* NVML_VALUE_NOT_AVAILABLE (all ones) under some virtualisation. */
		s->procs[i].used_bytes = used == UINT64_MAX ? 0 : used;
	}
}

static int sample_fail(struct nvml_sample *s, const char *what, nvml_ret rc)
{
	snprintf(s->state, sizeof s->state, "%s",
	         rc == NVML_ERROR_GPU_IS_LOST || rc == NVML_ERROR_NOT_FOUND ? "lost" : "error");
	snprintf(s->reason, sizeof s->reason, "%s:%s", what, nvml_text(rc));
	return -EIO;
}

static int sample_nvml(struct nvml *nv, unsigned idx, struct nvml_sample *s)
{
	struct nvml_mem_raw mem;
	struct nvml_util_raw util;
	unsigned int v;
	nvml_dev dev = NULL;
	nvml_ret rc;

	if ((rc = nv->by_index(idx, &dev)) != NVML_SUCCESS)
		return sample_fail(s, "handle", rc);
	if ((rc = nv->name(dev, s->name, sizeof s->name)) != NVML_SUCCESS)
		return sample_fail(s, "name", rc);
	if ((rc = nv->uuid(dev, s->uuid, sizeof s->uuid)) != NVML_SUCCESS)
		return sample_fail(s, "uuid", rc);
	s->name[sizeof s->name - 1] = s->uuid[sizeof s->uuid - 1] = '\0';
	if ((rc = nv->memory(dev, &mem)) != NVML_SUCCESS)
		return sample_fail(s, "memory", rc);
	s->has_mem = 1;
	s->mem_total = mem.total;
	s->mem_used = mem.used;
	/* Optional fields: a missing symbol or NOT_SUPPORTED leaves has_* 0;
	 * GPU_IS_LOST anywhere makes the whole GPU lost. */
	if (nv->util && (rc = nv->util(dev, &util)) == NVML_SUCCESS) {
		s->has_util = 1;
		s->util_gpu = util.gpu;
		s->util_mem = util.memory;
	} else if (nv->util && rc == NVML_ERROR_GPU_IS_LOST) {
		return sample_fail(s, "utilization", rc);
	}
	if (nv->temp && (rc = nv->temp(dev, 0, &v)) == NVML_SUCCESS) {
		s->has_temp = 1;
		s->temp_c = v;
	} else if (nv->temp && rc == NVML_ERROR_GPU_IS_LOST) {
		return sample_fail(s, "temperature", rc);
	}
	if (nv->power && (rc = nv->power(dev, &v)) == NVML_SUCCESS) {
		s->has_power = 1;
		s->power_mw = v;
	} else if (nv->power && rc == NVML_ERROR_GPU_IS_LOST) {
		return sample_fail(s, "power", rc);
	}
	sample_procs(nv, dev, s);
	return 0;
}

void nvml_sample(struct nvml *nv, unsigned idx, struct nvml_sample *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->state, sizeof s->state, "ok");
	if (!nv->mock) {
		(void)sample_nvml(nv, idx, s);
		return;
	}
	mock_sample(nv, idx, s);
	if (idx + 1 == nv->mock)
		nv->rounds++;
}

const char *nvml_driver(const struct nvml *nv)
{
	return nv->driver;
}

void nvml_close(struct nvml *nv)
{
	if (!nv)
		return;
	if (nv->dl) {
		nv->shutdown();
		dlclose(nv->dl);
	}
	free(nv);
}
