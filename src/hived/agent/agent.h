/*
 * agent.h — agents as principals: the table of agents, their states,
 * spawn from a signed manifest, and the verbs that act on a running one.
 *
 * An agent has a never-reused AID ("a-<n>", n from <state>/agents.next),
 * a bundle of capabilities (the ceiling applied by Landlock at spawn,
 * and the current bundle the supervisor checks, changed by grant and
 * revoke), a cgroup, a supervisor (notify.h), an attestation, and its
 * files under /agent/<aid>/ (agentfs.c).
 *
 * States (DESIGN.md §4), every transition an event:
 *   spawning -> attested -> active <-> capability-denied | inference-blocked
 *   any live state -> quarantined (frozen) -> active (resume)
 *   -> terminated-clean (exited by itself) | terminated-revoked (killed by the hive)
 */
#ifndef HIVE_AGENT_H
#define HIVE_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "lib/strbuf.h"
#include "trust/principal.h"

struct hive;
struct agents;
struct agent;

enum agent_state {
	AGENT_SPAWNING,
	AGENT_ATTESTED,
	AGENT_ACTIVE,
	AGENT_CAP_DENIED,
	AGENT_INFER_BLOCKED,
	AGENT_QUARANTINED,
	AGENT_TERM_CLEAN,
	AGENT_TERM_REVOKED,
	AGENT_STATES,
};
/* "spawning", "attested", "active", "capability-denied", ... */
const char *agent_state_name(enum agent_state s);

/* Options of one spawn beyond the manifest. */
struct agent_spawn_opts {
	const char *sig_path;  /* NULL: <manifest>.sig */
	int stdio_passed;      /* the session's passed stdin/stdout/stderr go to the one agent (hive run) */
};

/* Start the agent part: the table, the cgroup manager, /agent and
 * /proc/agents in the tree. Called by main after the tree is built. */
int agents_open(struct hive *hive, struct err *err);
/* Kill every agent, wait for them (bounded), free all. Safe twice. */
void agents_close(struct hive *hive);

/* Spawn every agent the manifest at path names (signed, trusted). The
 * AIDs are written to reply ("a-1 a-2 ...\n"). Returns 0 or -errno with
 * err set; a refused manifest goes through the deny door. */
int agents_spawn(struct hive *hive, const struct principal *who, const char *path,
                 const struct agent_spawn_opts *opts, struct strbuf *reply, struct err *err);

/* The verbs, on /queen/ctl (with the aid) and /agent/<aid>/ctl. */
int agents_kill(struct hive *hive, const struct principal *who, const char *aid, struct err *err);
int agents_quarantine(struct hive *hive, const struct principal *who, const char *aid, struct err *err);
int agents_resume(struct hive *hive, const struct principal *who, const char *aid, struct err *err);
int agents_grant(struct hive *hive, const struct principal *who, const char *aid, const char *cap,
                 struct err *err);
int agents_revoke(struct hive *hive, const struct principal *who, const char *aid, const char *cap,
                  struct err *err);
int agents_quota(struct hive *hive, const struct principal *who, const char *aid, const char *kv,
                 struct err *err);
/* Does aid hold cap now? "yes"/"no" into reply; the question is an event. */
int agents_has(struct hive *hive, const struct principal *who, const char *aid, const char *cap,
               struct strbuf *reply, struct err *err);

/* The inference broker's questions (hived/broker). Does aid hold
 * infer:model now: 1, 0, -ENOENT (no live agent). Is key aid's
 * OPENAI_API_KEY: 0 with its tenant in tenant[0..cap), -EACCES, -ENOENT. */
int agents_may_infer(struct hive *hive, const char *aid, const char *model);
int agents_infer_key(struct hive *hive, const char *aid, const char *key, char *tenant, size_t cap);
/* A refused request leaves aid inference-blocked until one is admitted. */
void agents_infer_blocked(struct hive *hive, const char *aid, int blocked, const char *why);
/* A tenant's weight is its CPU share too (cgroup_tenant_weight): 0, or
 * -ENOENT while it has no agent, -EOPNOTSUPP without a cpu controller. */
int agents_tenant_weight(struct hive *hive, const char *tenant, uint32_t weight, struct err *err);
/* Tokens a finished request of aid cost (/agent/<aid>/quota, /proc/agents). */
void agents_infer_spent(struct hive *hive, const char *aid, uint64_t tokens);
/* Does live agent aid hold cap now? 1 yes, 0 no, -ENOENT no live agent
 * aid. Silent (no event): for other parts' checks (GPU leases). */
int agents_holds(struct hive *hive, const char *aid, const char *cap);

/* Live (not terminated) agents, for /proc/status and limits. */
uint32_t agents_live(const struct hive *hive);

#endif
