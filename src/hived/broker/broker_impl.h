/*
 * broker_impl.h — inside the broker: one request as the three threads see
 * it, the mailbox they share with the loop, and the broker itself.
 *
 * Threads and what they share (nothing else crosses):
 *   - libmicrohttpd's threads (one per connection, HIVE_BROKER_CONNS_MAX)
 *     parse a request, learn which processes hold the peer's socket
 *     (ident.c) and post it to the loop's mailbox;
 *   - the loop (broker.c) decides who the caller is, may it, and when it
 *     runs (sched.h): every hive structure is touched there and only there;
 *   - the upstream thread (upstream.c) runs the transfers libcurl makes.
 * The mailbox is a bounded ring under a mutex with an eventfd to wake the
 * loop; the loop hands admitted requests to the upstream thread through
 * a second bounded ring. A request's answer (verdict, status, bytes) is
 * under its own mutex, which the HTTP thread waits on with a condvar:
 * a queue rather than a shared table, so no lock is ever held across a
 * hive call and the loop never waits for a thread.
 */
#ifndef HIVE_BROKER_IMPL_H
#define HIVE_BROKER_IMPL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker.h"
#include "sched.h"
#include "lib/limits.h"
#include "trust/principal.h"

struct hive;
struct strbuf;

enum breq_kind { BREQ_MODELS, BREQ_INFER };
/* What the HTTP thread waits for: set by the loop (refused, running) and
 * by the upstream thread (answer bytes, done). */
enum breq_phase { BREQ_WAITING, BREQ_REFUSED, BREQ_RUNNING, BREQ_ANSWERED };
/* Where the loop has the request. */
enum breq_at { BREQ_AT_NONE, BREQ_AT_QUEUED, BREQ_AT_UPSTREAM, BREQ_AT_FINISHED };

#define BREQ_PIDS_MAX 8

struct breq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs; /* under mu: the HTTP thread, the loop, the upstream thread */

	/* Set by the HTTP thread before it posts; read-only after. */
	enum breq_kind kind;
	char path[32];          /* "/completions" or "/chat/completions" (after /v1) */
	char model[HIVE_MANIFEST_NAME_MAX + 1];
	char bearer[HIVE_TICKET_TOKEN_MAX + 1];
	int stream;
	char *body;
	size_t body_len;
	char peer[64];          /* "127.0.0.1:51234" */
	long long peer_uid;     /* owner of the peer's socket, -1 unknown */
	pid_t pids[BREQ_PIDS_MAX]; /* processes holding the peer's socket */
	int npids;              /* -1: more than BREQ_PIDS_MAX or the scan was cut */

	/* Under mu. */
	enum breq_phase phase;
	int status;             /* the HTTP status to send */
	unsigned retry_after_s;
	char *ans;              /* the answer, or a refusal's JSON */
	size_t ans_len, ans_off, ans_cap;
	char content_type[64];
	int cancelled;          /* the client went away or waited too long */
	int failed;             /* the upstream failed mid-answer */

	/* The loop's alone. */
	struct sched_req sr;
	enum breq_at at;
	struct principal who;
	uint64_t t_admit_ns, t_sent_ns;
	uint32_t prompt_tokens, output_tokens; /* from the answer's usage, else counted */
	struct breq *lnext, *lprev; /* the loop's live list */
};

struct breq *breq_new(void);
void breq_ref(struct breq *r);
void breq_unref(struct breq *r);
/* Under no lock: set the answer's phase, status and body, wake the waiter. */
void breq_answer(struct breq *r, enum breq_phase phase, int status, unsigned retry_after_s, const char *json);

enum broker_msg_kind { BMSG_NEW, BMSG_CANCEL, BMSG_DONE };
struct broker_msg {
	enum broker_msg_kind kind;
	struct breq *r; /* a reference the message carries */
};

/* One tenant as the broker shows it (/broker/tenants/<t>/). */
struct broker_tenant {
	char name[HIVE_MANIFEST_NAME_MAX + 1];
	uint32_t weight;
	int weight_set;          /* by /broker/ctl: also its CPU share */
	uint64_t budget_per_min, burst;
	uint64_t requests, refused, prompt_tokens, output_tokens;
	uint64_t lat_buckets[HIVE_BROKER_LAT_BUCKETS]; /* ms: [0,1], (1,2], (2,4] ... last: the rest */
	struct ns_node *dir;
	struct broker *owner;
};

struct upstream;

struct broker {
	struct hive *hive;
	struct broker_cfg cfg;
	struct MHD_Daemon *mhd;
	int port;
	int efd;                 /* the mailbox's eventfd, on the loop */
	int timer;               /* the pump's loop timer, 0 when none */
	pthread_mutex_t mu;      /* the mailbox */
	struct broker_msg box[HIVE_BROKER_INBOX_MAX + 2u * HIVE_BROKER_CONNS_MAX];
	uint32_t box_head, box_n, box_new; /* box_new: BMSG_NEW in the box (bounded by INBOX_MAX) */
	struct sched *sched;
	struct upstream *up;
	struct breq *live;       /* the loop's requests (queued or upstream) */
	uint64_t next_id;
	struct broker_tenant tenants[HIVE_SCHED_TENANTS_MAX];
	uint32_t ntenants;
	struct ns_node *dir, *tenants_dir;
};

/* broker.c: post a message to the loop (the HTTP and upstream threads).
 * BMSG_NEW fails -EAGAIN when HIVE_BROKER_INBOX_MAX are waiting; the
 * others always fit (one of each per live request). */
int broker_post(struct broker *b, enum broker_msg_kind kind, struct breq *r);
/* The tenant's entry, made with defaults on first use; NULL when the table is full. */
struct broker_tenant *broker_tenant(struct broker *b, const char *name);
/* Apply a tenant's settings to the scheduler and its CPU share. */
int broker_tenant_apply(struct broker *b, struct broker_tenant *t, struct err *err);

/* http.c */
int broker_http_start(struct broker *b, struct err *err);
void broker_http_stop(struct broker *b);

/* upstream.c */
int upstream_start(struct broker *b, struct upstream **out, struct err *err);
/* Hand r (referenced) to the thread; never full: the scheduler keeps at
 * most cfg.slots in flight, the ring's size. */
void upstream_send(struct upstream *u, struct breq *r);
void upstream_stop(struct upstream *u);

/* ident.c: the processes holding the loopback TCP socket at the other
 * end of ours (local, remote): 0 with pids/npids set (npids -1 when more
 * than max or the scan was cut) and *uid, or -errno. [uid_lo, uid_hi):
 * the agents' uids when hived is root. */
struct sockaddr_storage;
int ident_peer(const struct sockaddr_storage *local, const struct sockaddr_storage *remote, uid_t uid_lo,
               uid_t uid_hi, pid_t *pids, int max, int *npids, long long *uid);

/* brokerfs.c */
int brokerfs_make(struct broker *b, struct err *err);
int brokerfs_tenant(struct broker *b, struct broker_tenant *t);

#endif
