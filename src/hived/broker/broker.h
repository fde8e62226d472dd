/*
 * broker.h — the inference broker: an OpenAI-compatible HTTP endpoint on
 * loopback (/v1/models, /v1/completions, /v1/chat/completions, streaming
 * by server-sent events) in front of one OpenAI-compatible upstream, with
 * requests ordered by the fair scheduler (sched.h).
 *
 * The caller is who holds the connection: an agent is known by the
 * processes that own the peer's socket (their cgroup, hive->agent_of_pid),
 * and its bearer key must be the one made for that same AID at spawn
 * (OPENAI_API_KEY). Anyone else must bear a queen ticket. A request's
 * fields never name the caller. docs/fairshare.md says the rest.
 */
#ifndef HIVE_BROKER_H
#define HIVE_BROKER_H

#include <stdint.h>

#include "lib/err.h"
#include "lib/limits.h"

struct hive;

struct broker_cfg {
	char addr[64];          /* a loopback address */
	int port;               /* 0: any free port (the bound one is in <state>/broker.port) */
	char upstream[HIVE_PATH_MAX]; /* base URL ending in /v1, e.g. http://127.0.0.1:8000/v1 */
	char models[256];       /* the models served, comma separated */
	uint32_t slots;         /* requests in flight at the upstream */
	int fifo;               /* first come, first served: the benchmark's baseline */
};

/* Start the broker (HTTP threads, the upstream thread, /broker in the
 * tree); sets hive->broker and hive->broker_port. Returns 0 or -errno. */
int broker_open(struct hive *hive, const struct broker_cfg *cfg, struct err *err);
/* Stop the threads and free all; safe when never opened, and twice. */
void broker_close(struct hive *hive);

#endif
