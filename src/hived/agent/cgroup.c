/*
 * cgroup.c — placeholder until cgroups land: mode none everywhere.
 */
#include "cgroup.h"

#include <errno.h>
#include <stdlib.h>

struct cgroup_mgr {
	enum cgroup_mode mode;
};

int cgroup_mgr_open(struct cgroup_mgr **out, const struct kernel *k, const char *root, struct err *err)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -ENOMEM;
}

void cgroup_mgr_free(struct cgroup_mgr *m)
{
	free(m);
}

enum cgroup_mode cgroup_mgr_mode(const struct cgroup_mgr *m)
{
	return m ? m->mode : CGROUP_MODE_NONE;
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	return mode == CGROUP_MODE_V2 ? "v2" : mode == CGROUP_MODE_V1 ? "v1" : "none";
}

int cgroup_agent_make(struct cgroup_mgr *m, const char *tenant, const char *aid,
                      const struct manifest_quota *q, struct cgroup_agent **out, struct err *err)
{
	*out = NULL;
	return 0;
}

int cgroup_agent_procs_fds(const struct cgroup_agent *a, int *fds, size_t cap)
{
	return 0;
}

int cgroup_agent_freeze(struct cgroup_agent *a, int frozen, struct err *err)
{
	return err_set(err, EOPNOTSUPP, "no freezer: cgroups are not built yet");
}

int cgroup_agent_kill(struct cgroup_agent *a)
{
	return 0;
}

int cgroup_agent_set(struct cgroup_agent *a, const char *key, uint64_t value, struct err *err)
{
	return err_set(err, EOPNOTSUPP, "cgroups are not built yet");
}

int cgroup_agent_stats(const struct cgroup_agent *a, struct cgroup_stats *st)
{
	return -EOPNOTSUPP;
}

void cgroup_agent_free(struct cgroup_agent *a)
{
}

int cgroup_mgr_aid_of_pid(const struct cgroup_mgr *m, pid_t pid, char *aid, size_t cap)
{
	return 0;
}
