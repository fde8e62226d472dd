/*
 * manifest.h — an agent or workload manifest (docs/manifest.md), parsed
 * from JSON into a typed value with every bound of limits.h checked.
 *
 * One agent:  {"version":1, "kind":"agent", "class":..., "argv":[...], ...}
 * A workload: {"version":1, "kind":"workload", "name":..., "classes":[
 *                {"class":..., "count":N, "argv":[...], ...}, ...]}
 *
 * Both parse to the same shape: a list of classes, each with a count (1
 * for an agent manifest). Unknown keys are refused, naming the key, so a
 * misspelt "caps" can never silently become an agent with no bundle.
 */
#ifndef HIVE_MANIFEST_H
#define HIVE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/blake3.h"
#include "lib/err.h"
#include "lib/limits.h"
#include "cap.h"

#define MANIFEST_VERSION 1
#define MANIFEST_DEFAULT_TENANT "default"

enum manifest_kind { MANIFEST_AGENT, MANIFEST_WORKLOAD };

/* 0 in a field means "not set: the hive's default applies". */
struct manifest_quota {
	uint32_t cpu_weight;         /* cgroup cpu.weight, 1..HIVE_QUOTA_CPU_WEIGHT_MAX */
	uint64_t memory_max;         /* bytes, >= HIVE_QUOTA_MEMORY_MIN */
	uint32_t pids_max;           /* 1..HIVE_QUOTA_PIDS_MAX */
	uint64_t tokens_per_minute;  /* inference budget, 1..HIVE_QUOTA_TOKENS_PER_MINUTE_MAX */
};

struct manifest_class {
	char name[HIVE_MANIFEST_NAME_MAX + 1];
	uint32_t count;
	char **argv;      /* argc entries and a NULL; argv[0] an absolute clean path */
	uint32_t argc;
	char *cwd;        /* absolute clean path, or NULL */
	char *home;       /* absolute clean path, or NULL */
	char **env;       /* names only */
	uint32_t nenv;
	struct cap *caps;
	uint32_t ncaps;
	struct manifest_quota quota;
};

struct manifest {
	enum manifest_kind kind;
	char name[HIVE_MANIFEST_NAME_MAX + 1];   /* workload name; the class for an agent */
	char tenant[HIVE_MANIFEST_NAME_MAX + 1];
	struct manifest_class *classes;
	uint32_t nclasses;
	uint32_t agents;                         /* sum of the counts */
	uint8_t hash[BLAKE3_OUT_LEN];            /* BLAKE3 of the exact bytes parsed */
};

/* Parse n bytes of JSON. On success *out is a new manifest (free it with
 * manifest_free); on failure *out is NULL and err names the field and the
 * fix. Returns 0, -EINVAL (bad content), -EFBIG (too big) or -ENOMEM. */
int manifest_parse(const void *buf, size_t n, struct manifest **out, struct err *err);
void manifest_free(struct manifest *m);
/* "agent" or "workload". */
const char *manifest_kind_name(enum manifest_kind k);

#endif
