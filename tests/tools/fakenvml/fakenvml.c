/*
 * fakenvml.c — a fake libnvidia-ml.so.1 for the GPU bridge's tests: the
 * same symbol names and C signatures as NVIDIA's documented API (written
 * from the reference, no NVIDIA header), driven by a scenario.
 *
 * The scenario is $FAKENVML, or the file $FAKENVML_FILE re-read at every
 * device count (so a test can change it while the bridge runs): words
 * separated by blanks, ';' or newlines:
 *
 *   gpus=N          devices (default 2, at most 8)
 *   init=RC         nvmlInit returns RC (9 = driver not loaded)
 *   count=RC        nvmlDeviceGetCount returns RC
 *   lost=I          every query of device I returns 15 (GPU_IS_LOST)
 *   temp=RC         the temperature query returns RC (3 = not supported)
 *   stride=24|32    bytes per process entry written (32: an R535+ driver)
 *   proc=I:PID:MB   a compute process on device I using MB MiB (up to 16)
 *
 * Built three ways (Makefile): full; -DFAKENVML_MINIMAL without the
 * optional symbols and with only the unversioned init/count/handle;
 * -DFAKENVML_BROKEN also without nvmlDeviceGetUUID (a required symbol).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_GPUS_MAX 8
#define FAKE_PROCS_MAX 16

struct fake_dev {
	int idx;
};
struct fake_proc {
	unsigned dev, pid;
	unsigned long long mb;
};
struct fake_mem {
	unsigned long long total, free, used;
};
struct fake_util {
	unsigned int gpu, memory;
};

static struct fake_dev devs[FAKE_GPUS_MAX];
static struct {
	unsigned gpus, init_rc, count_rc, temp_rc, stride, nprocs;
	int lost;
	struct fake_proc procs[FAKE_PROCS_MAX];
} sc;

/* Exported functions need prototypes under -Wmissing-prototypes. */
#define API __attribute__((visibility("default")))

static void scenario_parse(char *text)
{
	memset(&sc, 0, sizeof sc);
	sc.gpus = 2;
	sc.lost = -1;
	sc.stride = 24;
	for (char *save = NULL, *w = strtok_r(text, " \t\n;", &save); w; w = strtok_r(NULL, " \t\n;", &save)) {
		unsigned a, b;
		unsigned long long mb;
		int i;

		if (sscanf(w, "gpus=%u", &a) == 1)
			sc.gpus = a > FAKE_GPUS_MAX ? FAKE_GPUS_MAX : a;
		else if (sscanf(w, "init=%u", &a) == 1)
			sc.init_rc = a;
		else if (sscanf(w, "count=%u", &a) == 1)
			sc.count_rc = a;
		else if (sscanf(w, "lost=%d", &i) == 1)
			sc.lost = i;
		else if (sscanf(w, "temp=%u", &a) == 1)
			sc.temp_rc = a;
		else if (sscanf(w, "stride=%u", &a) == 1)
			sc.stride = a == 32 ? 32 : 24;
		else if (sscanf(w, "proc=%u:%u:%llu", &a, &b, &mb) == 3 && sc.nprocs < FAKE_PROCS_MAX)
			sc.procs[sc.nprocs++] = (struct fake_proc){ a, b, mb };
	}
}

static void scenario_load(void)
{
	const char *file = getenv("FAKENVML_FILE"), *env = getenv("FAKENVML");
	char text[4096] = "";

	if (file) {
		FILE *f = fopen(file, "r");
		if (f) {
			size_t n = fread(text, 1, sizeof text - 1, f);
			text[n] = '\0';
			fclose(f);
		}
	} else if (env) {
		snprintf(text, sizeof text, "%s", env);
	}
	scenario_parse(text);
}

static int dev_of(void *h)
{
	struct fake_dev *d = h;
	if (!d || d < devs || d >= devs + FAKE_GPUS_MAX || (unsigned)d->idx >= sc.gpus)
		return -1;
	return d->idx;
}

static unsigned long long proc_mb(int idx)
{
	unsigned long long mb = 0;
	for (unsigned i = 0; i < sc.nprocs; i++)
		if (sc.procs[i].dev == (unsigned)idx)
			mb += sc.procs[i].mb;
	return mb;
}

#define LOST_CHECK(idx)                                   \
	do {                                              \
		if ((idx) < 0)                            \
			return 2;  /* INVALID_ARGUMENT */ \
		if ((idx) == sc.lost)                     \
			return 15; /* GPU_IS_LOST */      \
	} while (0)

static unsigned fake_init(void)
{
	scenario_load();
	return sc.init_rc;
}

static unsigned fake_count(unsigned *n)
{
	scenario_load();
	if (sc.count_rc)
		return sc.count_rc;
	*n = sc.gpus;
	return 0;
}

static unsigned fake_handle(unsigned idx, void **out)
{
	if (idx >= sc.gpus)
		return 2;
	devs[idx].idx = (int)idx;
	*out = &devs[idx];
	return 0;
}

API unsigned nvmlShutdown(void);
API unsigned nvmlShutdown(void)
{
	return 0;
}

#ifdef FAKENVML_MINIMAL
API unsigned nvmlInit(void);
API unsigned nvmlInit(void)
{
	return fake_init();
}
API unsigned nvmlDeviceGetCount(unsigned *n);
API unsigned nvmlDeviceGetCount(unsigned *n)
{
	return fake_count(n);
}
API unsigned nvmlDeviceGetHandleByIndex(unsigned idx, void **out);
API unsigned nvmlDeviceGetHandleByIndex(unsigned idx, void **out)
{
	return fake_handle(idx, out);
}
#else
API unsigned nvmlInit_v2(void);
API unsigned nvmlInit_v2(void)
{
	return fake_init();
}
API unsigned nvmlDeviceGetCount_v2(unsigned *n);
API unsigned nvmlDeviceGetCount_v2(unsigned *n)
{
	return fake_count(n);
}
API unsigned nvmlDeviceGetHandleByIndex_v2(unsigned idx, void **out);
API unsigned nvmlDeviceGetHandleByIndex_v2(unsigned idx, void **out)
{
	return fake_handle(idx, out);
}
#endif

API unsigned nvmlDeviceGetName(void *h, char *buf, unsigned len);
API unsigned nvmlDeviceGetName(void *h, char *buf, unsigned len)
{
	int idx = dev_of(h);
	LOST_CHECK(idx);
	snprintf(buf, len, "Fake \"GPU\" %d", idx);
	return 0;
}

#ifndef FAKENVML_BROKEN
API unsigned nvmlDeviceGetUUID(void *h, char *buf, unsigned len);
API unsigned nvmlDeviceGetUUID(void *h, char *buf, unsigned len)
{
	int idx = dev_of(h);
	LOST_CHECK(idx);
	snprintf(buf, len, "GPU-fa4e0000-0000-0000-0000-00000000000%d", idx);
	return 0;
}
#endif

API unsigned nvmlDeviceGetMemoryInfo(void *h, struct fake_mem *m);
API unsigned nvmlDeviceGetMemoryInfo(void *h, struct fake_mem *m)
{
	int idx = dev_of(h);
	LOST_CHECK(idx);
	m->total = (idx % 2 ? 8192ull : 16384ull) << 20;
	m->used = (proc_mb(idx) + 100) << 20;
	m->free = m->total > m->used ? m->total - m->used : 0;
	return 0;
}

#ifndef FAKENVML_MINIMAL
API unsigned nvmlSystemGetDriverVersion(char *buf, unsigned len);
API unsigned nvmlSystemGetDriverVersion(char *buf, unsigned len)
{
	snprintf(buf, len, "550.54.15-fake");
	return 0;
}

API unsigned nvmlDeviceGetUtilizationRates(void *h, struct fake_util *u);
API unsigned nvmlDeviceGetUtilizationRates(void *h, struct fake_util *u)
{
	int idx = dev_of(h);
	LOST_CHECK(idx);
	u->gpu = 30u + (unsigned)idx;
	u->memory = 10u + (unsigned)idx;
	return 0;
}

API unsigned nvmlDeviceGetTemperature(void *h, unsigned sensor, unsigned *c);
API unsigned nvmlDeviceGetTemperature(void *h, unsigned sensor, unsigned *c)
{
	int idx = dev_of(h);
	LOST_CHECK(idx);
	if (sensor != 0)
		return 2;
	if (sc.temp_rc)
		return sc.temp_rc;
	*c = 50u + (unsigned)idx;
	return 0;
}

API unsigned nvmlDeviceGetPowerUsage(void *h, unsigned *mw);
API unsigned nvmlDeviceGetPowerUsage(void *h, unsigned *mw)
{
	int idx = dev_of(h);
	LOST_CHECK(idx);
	*mw = 150000u + (unsigned)idx * 1000u;
	return 0;
}

/* NVML's contract: *count in = room, out = entries; INSUFFICIENT_SIZE (7)
 * with the count needed when the room is short. */
API unsigned nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned *count, void *infos);
API unsigned nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned *count, void *infos)
{
	int idx = dev_of(h);
	unsigned n = 0;
	unsigned char *out = infos;

	LOST_CHECK(idx);
	for (unsigned i = 0; i < sc.nprocs; i++)
		n += sc.procs[i].dev == (unsigned)idx;
	if (n > *count) {
		*count = n;
		return 7;
	}
	*count = n;
	n = 0;
	for (unsigned i = 0; i < sc.nprocs; i++) {
		unsigned long long bytes = sc.procs[i].mb << 20, zero = 0;
		unsigned char *e = out + (size_t)n * sc.stride;
		unsigned pad = 0, inst = 0xffffffffu;

		if (sc.procs[i].dev != (unsigned)idx)
			continue;
		memcpy(e, &sc.procs[i].pid, 4);
		memcpy(e + 4, &pad, 4);
		memcpy(e + 8, &bytes, 8);
		memcpy(e + 16, &inst, 4);
		memcpy(e + 20, &inst, 4);
		if (sc.stride == 32)
			memcpy(e + 24, &zero, 8);
		n++;
	}
	return 0;
}
#endif
