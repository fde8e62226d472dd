/*
 * gpu_impl.h — the GPU part's state, shared by gpu.c (the tree and the
 * publish channel) and lease.c (leases). Not for other parts.
 */
#ifndef HIVE_GPU_IMPL_H
#define HIVE_GPU_IMPL_H
#include <stddef.h>
#include <stdint.h>
#include "lib/limits.h"
#include "lib/strbuf.h"
#include "hived/ns/ns.h"
#include "trust/principal.h"
struct hive;

/* One published file's bytes (served by a text node reading it at open). */
struct gpu_blob {
	char *data;
	size_t len;
};

enum gpu_lease_state { GPU_LEASE_FREE = 0, GPU_LEASE_QUEUED, GPU_LEASE_ACTIVE };

struct gpu_lease {
	enum gpu_lease_state state;
	char aid[HIVE_SUBJECT_MAX + 1];
	uint32_t mem_mb;
	uint32_t ttl_s;
	int exclusive;
	uint64_t seq;        /* FIFO order of requests */
	uint64_t since_ms;   /* queued or granted at (loop_now_ms) */
	uint64_t expires_ms; /* granted: since_ms + ttl */
};

struct gpu_dev {
	struct gpu *gpu;
	char id[HIVE_GPU_ID_MAX + 1]; /* "" = free slot */
	struct ns_node *dir;
	struct gpu_blob info, status;
	uint64_t mem_total_mb; /* from the status, 0 = unknown */
	char state[16];        /* the status's state= word, for its change event */
	struct gpu_lease leases[HIVE_GPU_LEASES_MAX];
};

struct gpu_model {
	char id[HIVE_GPU_ID_MAX + 1];
	struct gpu_blob manifest;
};

struct gpu {
	struct hive *hive;
	struct ns_node *root, *available, *telemetry;
	struct gpu_dev devs[HIVE_GPU_MAX];
	struct gpu_model models[HIVE_GPU_MODELS_MAX];
	struct gpu_blob schema;
	uint64_t publishes, last_publish_ms, lease_seq;
	int timer;
};

/* The GPU published as id, or NULL. */
struct gpu_dev *gpu_dev_find(struct gpu *g, const char *id);
/* A valid id or model name: [A-Za-z0-9._-], 1..HIVE_GPU_ID_MAX, not "." or "..". */
int gpu_id_ok(const char *id, size_t len);

/* lease.c */
/* Make /gpu/<id>/lease for a new GPU. */
struct ns_node *gpu_lease_file(struct gpu *g, struct gpu_dev *d);
/* Does who hold a granted lease on d? (the view of info and status) */
int gpu_lease_held(const struct gpu_dev *d, const char *aid);
/* A new status was published: attribute its processes to agents and
 * apply the lease policy (violations are events; the agent is killed). */
void gpu_lease_check_procs(struct gpu *g, struct gpu_dev *d);
/* Expiry, holders that ended, the queue's head: run by the sweep timer. */
void gpu_lease_sweep(struct gpu *g);

#endif
