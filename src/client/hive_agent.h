/*
 * hive_agent.h — libhive's agent API: the spec's eight calls as C
 * functions over a hive's namespace (docs/hive_agent.3).
 *
 * Each is a few 9P requests on a connected hivec: spawn and the queen's
 * verbs write a line to /queen/ctl and read the reply on the same fid;
 * attest reads /agent/<aid>/attest; cap_present is the agent's own
 * question on /agent/<aid>/ctl. Every call returns 0 (or a count, or a
 * yes/no) or a negative errno, and hivec_error() then names the call,
 * the agent and the reason ("kill a-7: no agent a-7 (see /proc/agents)").
 */
#ifndef HIVE_HIVE_AGENT_H
#define HIVE_HIVE_AGENT_H

#include <stddef.h>
#include <sys/types.h>

#include "hiveclient.h"

/* Room for an AID ("a-" and up to 20 digits) and its NUL. */
#define HIVE_AID_BUF 25

struct hive_aid {
	char s[HIVE_AID_BUF];
};

/* 1 if s is an AID ("a-" then 1..20 digits), else 0. Checked before any
 * AID becomes part of a path or a ctl line. */
int hive_aid_valid(const char *s);

/* hive_spawn flags. */
enum {
	/* Hand this process's fds 0, 1 and 2 to the one agent (`hive run`):
	 * they ride on the spawn write over the Unix socket (SCM_RIGHTS). */
	HIVE_SPAWN_STDIO = 1u,
};

/* Spawn the agents of the signed manifest at path (absolute, as the hive
 * sees it); sig NULL means path.sig. Up to cap AIDs are stored in aids.
 * Returns the number of agents spawned, or -errno (-EOPNOTSUPP: this hive
 * cannot spawn; -EACCES: not the queen, or the manifest is untrusted). */
int hive_spawn(struct hivec *c, const char *path, const char *sig, unsigned flags,
               struct hive_aid *aids, size_t cap);

/* The agent's signed attestation (trust/attest.h format) into buf, at
 * most cap bytes. Returns its length or -errno. */
ssize_t hive_attest(struct hivec *c, const char *aid, char *buf, size_t cap);

/* Set quotas: kv is "key=value ..." (cpu_weight, memory_max, pids_max,
 * tokens_per_minute). Returns 0 or -errno. */
int hive_quota(struct hivec *c, const char *aid, const char *kv);

/* Grant / revoke one capability ("fs.read:/srv/data", docs/manifest.md).
 * As the queen through /queen/ctl; an agent delegating (cap.grant:CAP)
 * through the other agent's /agent/<aid>/ctl. Returns 0 or -errno. */
int hive_cap_grant(struct hivec *c, const char *aid, const char *cap);
int hive_cap_revoke(struct hivec *c, const char *aid, const char *cap);

/* Does aid hold cap now? 1 yes, 0 no, or -errno. The agent's own
 * question (its connection from HIVE_FD); the hive records it. */
int hive_cap_present(struct hivec *c, const char *aid, const char *cap);

/* Not yet: -ENOSYS with "not yet: the audit chain (issue 13)" and
 * "not yet: memory tiers (issue 15)" until those land. */
ssize_t hive_audit_query(struct hivec *c, const char *query, char *buf, size_t cap);
int hive_memory_tier(struct hivec *c, const char *aid, const char *tier);

/* The queen's other verbs on /queen/ctl: "kill", "quarantine", "resume"
 * (arg NULL), or any verb taking "AID ARG". Returns 0 or -errno. */
int hive_agent_verb(struct hivec *c, const char *verb, const char *aid, const char *arg);

/* Write line to the ctl file at path on one fid opened for reading and
 * writing, then read the reply (if any) from that fid into reply (cap
 * bytes, NUL-terminated; may be NULL). Returns the reply's length or
 * -errno; `what` names the request in hivec_error(). */
ssize_t hive_ctl(struct hivec *c, const char *path, const char *line, char *reply, size_t cap,
                 const char *what);

#endif
