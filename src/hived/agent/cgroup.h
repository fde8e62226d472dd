/*
 * cgroup.h — agents' resource bounds: a tenant -> agent tree below the
 * cgroup hived itself runs in, on cgroup v2 where a delegated subtree is
 * writable, else on the v1 hierarchies (cpu, memory, pids, freezer), else
 * none (the sandbox then sets rlimits). Never at a hierarchy's root nor
 * above hived's own cgroup. The mode is said at start and in /proc/status.
 *
 * Also the hive's answer to "which agent is this pid": any process in an
 * agent's cgroup is that agent, whatever its uid.
 */
#ifndef HIVE_CGROUP_H
#define HIVE_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "lib/limits.h"
#include "trust/manifest.h"

struct kernel;
struct cgroup_mgr;
struct cgroup_agent;

enum cgroup_mode { CGROUP_MODE_NONE, CGROUP_MODE_V1, CGROUP_MODE_V2 };

/* Find hived's own cgroup per controller and make the hive's subtree
 * below it: <own>/hive.<8 hex of BLAKE3(state_dir)>, the same name across
 * restarts of one hive, another for every other state directory (hives
 * run side by side). Agents left there by a hived that died (kill -9) are
 * killed and their cgroups removed here (cgroup_mgr_note says so): no
 * agent outlives its supervisor unsupervised. root is "" for the real
 * system (tests pass a fake tree laid out like /proc and /sys/fs/cgroup).
 * On failure falls back to CGROUP_MODE_NONE and says why in err (0
 * returned); -errno only for ENOMEM. k is unused: the probe guesses paths,
 * this reads the mounts, and cgroup_mgr_report corrects the probe. */
int cgroup_mgr_open(struct cgroup_mgr **out, const struct kernel *k, const char *root, const char *state_dir,
                    struct err *err);
void cgroup_mgr_free(struct cgroup_mgr *m);
enum cgroup_mode cgroup_mgr_mode(const struct cgroup_mgr *m);
/* "v2", "v1", "none" — for /proc/status and the attestation. */
const char *cgroup_mode_name(enum cgroup_mode mode);
/* Make k's cgroup mode and controllers (what /proc/status and the start
 * line say) the ones this manager really uses. */
void cgroup_mgr_report(const struct cgroup_mgr *m, struct kernel *k);
/* One line for the start log: the mode, the controllers and where the
 * subtree is ("v1 (cpu,cpuacct,memory,pids,freezer) below
 * /sys/fs/cgroup/memory/x/hive.0123abcd"). */
void cgroup_mgr_describe(const struct cgroup_mgr *m, char *buf, size_t cap);
/* What cgroup_mgr_open cleaned up after a hived that died: "" if nothing,
 * else "killed P processes of A agents left by a previous hived and
 * removed their cgroups" for the lead to log. *agents and *procs (either
 * may be NULL) get the counts. */
const char *cgroup_mgr_note(const struct cgroup_mgr *m, uint32_t *agents, uint32_t *procs);

/* Make <tenant>/<aid> with the quota (0 fields: the hive's defaults).
 * Returns 0 or -errno with err set. In CGROUP_MODE_NONE *out is a stub
 * every call below accepts. */
int cgroup_agent_make(struct cgroup_mgr *m, const char *tenant, const char *aid,
                      const struct manifest_quota *q, struct cgroup_agent **out, struct err *err);
/* O_WRONLY|O_CLOEXEC fds of the agent's cgroup.procs files (one per
 * hierarchy) into fds[0..cap): the child writes "0" to each before exec.
 * Returns how many (0 in mode none) or -errno. The caller closes them. */
int cgroup_agent_procs_fds(const struct cgroup_agent *a, int *fds, size_t cap);
/* Freeze (quarantine) or thaw. */
int cgroup_agent_freeze(struct cgroup_agent *a, int frozen, struct err *err);
/* SIGKILL every process in the agent's cgroup: v2 cgroup.kill; v1 freeze,
 * SIGKILL every pid listed, thaw, until empty (HIVE_CGROUP_KILL_ROUNDS).
 * Returns 0 once empty, -EBUSY if processes remain, -errno. */
int cgroup_agent_kill(struct cgroup_agent *a);
/* Change one bound live: key cpu_weight | memory_max | pids_max. */
int cgroup_agent_set(struct cgroup_agent *a, const char *key, uint64_t value, struct err *err);
/* A tenant's CPU share among tenants: its group's cpu.weight (v2) or
 * cpu.shares (v1, weight x 1024 / 100, at least 2), weight in
 * 1..HIVE_QUOTA_CPU_WEIGHT_MAX (100 is a new group's). A tenant's group
 * lives while it has agents (its first agent's cgroup_agent_make makes it,
 * its last one's cgroup_agent_free removes it): set the weight after
 * making the first one and on every change; -ENOENT while it has none,
 * -EOPNOTSUPP without a cpu controller. */
int cgroup_tenant_weight(struct cgroup_mgr *m, const char *tenant, uint32_t weight, struct err *err);

struct cgroup_stats {
	uint64_t cpu_usec;     /* CPU time used */
	uint64_t memory_bytes; /* current */
	uint64_t pids;         /* current */
};
int cgroup_agent_stats(const struct cgroup_agent *a, struct cgroup_stats *st);
/* Remove the agent's cgroup (after its processes are gone; its tenant's
 * too when that was the last agent) and free a. NULL is fine. */
void cgroup_agent_free(struct cgroup_agent *a);

/* The aid whose cgroup holds pid, into aid[0..cap): 1 found, 0 not an
 * agent's, -errno. Reads /proc/<pid>/cgroup: a path under the hive's
 * subtree is <tenant>/<aid>; anything else inside the subtree, or two
 * hierarchies naming different agents, is -EPERM (fail closed); a pid
 * that is gone is -ESRCH. */
int cgroup_mgr_aid_of_pid(const struct cgroup_mgr *m, pid_t pid, char *aid, size_t cap);

#endif
