/*
 * agent_impl.h — inside the agent part: the table and one agent, shared by
 * agent.c (spawn, exit, states), agentctl.c (the verbs and the
 * supervisor's decisions) and agentfs.c (/agent/<aid>/ and /proc/agents).
 */
#ifndef HIVE_AGENT_IMPL_H
#define HIVE_AGENT_IMPL_H

#include <stdint.h>
#include <sys/types.h>

#include "agent.h"
#include "cgroup.h"
#include "notify.h"
#include "lib/limits.h"
#include "trust/cap.h"
#include "trust/manifest.h"
#include "trust/sigkey.h"

struct loop;
struct ns_node;
struct ns_ring;

/* One signed manifest, shared by the agents a spawn made from it. */
struct agent_image {
	unsigned refs;
	char *bytes;   /* the exact bytes that were verified */
	size_t len;
	struct manifest *m;
	char signer[SIGKEY_ID_LEN + 1];
};

/* Where a capability of the bundle came from. */
enum agent_cap_origin { AGENT_CAP_MANIFEST, AGENT_CAP_BASE, AGENT_CAP_GRANTED };

struct agent_cap {
	struct cap cap;                 /* fs paths canonical (realpath at spawn or grant) */
	enum agent_cap_origin origin;
	int in_ceiling;                 /* in the Landlock ruleset applied at spawn */
};

struct agent {
	struct agent *next, *prev;
	struct agents *owner;
	char aid[HIVE_AID_MAX + 1];
	uint64_t num;
	struct principal who;           /* worker <aid>: the principal of its rows */
	struct agent_image *img;
	const struct manifest_class *cls;
	enum agent_state state;
	int killed_by_hive;             /* its end is terminated-revoked */
	int revoked_in_ceiling;         /* a right Landlock still allows was revoked: broker opens */
	int exec_seen;                  /* the spawn's own exec (of the hashed fd) was answered */
	struct agent_cap caps[HIVE_AGENT_CAPS_MAX];
	uint32_t ncaps;
	struct manifest_quota quota;
	uid_t uid;                      /* (uid_t)-1: hived's own */
	pid_t pid;
	int pidfd, report_fd;
	struct notify *notify;
	struct cgroup_agent *cg;
	int exit_code, exit_signal;     /* -1 while unknown */
	char reason[96];                /* why it ended, "" when it exited by itself */
	uint64_t denials;
	uint64_t spawn_ms, last_deny_ms;
	char *attest;                   /* the signed attestation file */
	size_t attest_len;
	char enforcement[HIVE_ATTEST_ENFORCEMENT_MAX + 1];
	char tmpdir[HIVE_PATH_MAX];
	struct ns_ring *events, *telemetry;
	struct ns_node *node;           /* /agent/<aid> */
	char infer_key[HIVE_BROKER_KEY_MAX + 1]; /* its OPENAI_API_KEY, "" without an infer: cap */
	uint64_t tokens_used;           /* inference tokens the broker charged it */
};

struct agents {
	struct hive *hive;
	struct cgroup_mgr *cg;
	struct agent *head, *tail;      /* oldest first */
	uint32_t n, live;
	uint64_t next_num;              /* persisted in <state>/agents.next */
	int timer;                      /* telemetry sampling */
	int closing;                    /* agents_close runs: nothing is freed under its walk */
};

/* agent.c */
struct agent *agents_find(struct agents *t, const char *aid);
/* A new agent of cls in the table (state spawning), or NULL (ENOMEM). */
struct agent *agent_new(struct agents *t, struct agent_image *img, const struct manifest_class *cls,
                        uint64_t num);
int agent_ended(const struct agent *a);
/* Stop supervising a child that is gone or going: supervisor, fds, cgroup, temp dir. */
void agent_release_child(struct agent *a);
/* Loop callbacks on the child's pidfd (exit) and report pipe (exec or a setup failure). */
void agent_on_pidfd(struct loop *loop, int fd, uint32_t events, void *arg);
void agent_on_report(struct loop *loop, int fd, uint32_t events, void *arg);
void agent_set_state(struct agent *a, enum agent_state s, const char *why);
/* A line in the agent's events ring and a row in queen.log. */
void agent_event(struct agent *a, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The events ring only: for what already has its row (a denial's is the deny door's). */
void agent_note(struct agent *a, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void agent_kill(struct agent *a, const char *why);

/* spawn.c */
int agents_load_next(struct agents *t, struct err *err);
void agent_image_unref(struct agent_image *img);
/* Remove an agent's private temp dir and what it holds (no symlink followed). */
void agent_tmpdir_remove(const char *dir);

/* agentctl.c */
enum notify_decision agent_decide(void *arg, const struct notify_access *acc);
/* Canonical form of a cap's text: fs paths through realpath when they exist. */
int agent_cap_parse(struct cap *c, const char *text, struct err *err);
/* The index of the bundle's cap equal to c, or -1. */
int agent_cap_find(const struct agent *a, const struct cap *c);

/* agentfs.c */
int agentfs_make(struct agent *a, struct err *err);
void agentfs_remove(struct agent *a);
/* One /proc/agents line (also /agent/<aid>/state). */
void agentfs_state_line(const struct agent *a, struct strbuf *sb);
int agentfs_build_proc(struct hive *hive);

#endif
