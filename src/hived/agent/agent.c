/*
 * agent.c — placeholder: the verbs answer "not built yet" until spawn lands.
 */
#include "agent.h"
#include "hived/core/hive.h"

#include <errno.h>

static const char *const agent_state_names[AGENT_STATES] = {
	"spawning", "attested", "active", "capability-denied", "inference-blocked",
	"quarantined", "terminated-clean", "terminated-revoked",
};

const char *agent_state_name(enum agent_state s)
{
	return (unsigned)s < AGENT_STATES ? agent_state_names[s] : "unknown";
}

int agents_open(struct hive *hive, struct err *err)
{
	return 0;
}

void agents_close(struct hive *hive)
{
}

int agents_spawn(struct hive *hive, const struct principal *who, const char *path,
                 const struct agent_spawn_opts *opts, struct strbuf *reply, struct err *err)
{
	return err_set(err, EOPNOTSUPP, "spawn: agents are not built yet");
}

int agents_kill(struct hive *hive, const struct principal *who, const char *aid, struct err *err)
{
	return err_set(err, ENOENT, "kill: no agent %s", aid);
}

int agents_quarantine(struct hive *hive, const struct principal *who, const char *aid, struct err *err)
{
	return err_set(err, ENOENT, "quarantine: no agent %s", aid);
}

int agents_resume(struct hive *hive, const struct principal *who, const char *aid, struct err *err)
{
	return err_set(err, ENOENT, "resume: no agent %s", aid);
}

int agents_grant(struct hive *hive, const struct principal *who, const char *aid, const char *cap,
                 struct err *err)
{
	return err_set(err, ENOENT, "grant: no agent %s", aid);
}

int agents_revoke(struct hive *hive, const struct principal *who, const char *aid, const char *cap,
                  struct err *err)
{
	return err_set(err, ENOENT, "revoke: no agent %s", aid);
}

int agents_quota(struct hive *hive, const struct principal *who, const char *aid, const char *kv,
                 struct err *err)
{
	return err_set(err, ENOENT, "quota: no agent %s", aid);
}

int agents_has(struct hive *hive, const struct principal *who, const char *aid, const char *cap,
               struct strbuf *reply, struct err *err)
{
	return err_set(err, ENOENT, "has: no agent %s", aid);
}

uint32_t agents_live(const struct hive *hive)
{
	return 0;
}
