/*
 * procfs.c — the /proc files. Each is a text provider that renders at
 * open from struct hive, so a reader sees one consistent moment.
 *
 * Every value is key=value, one per line (sessions: one session per
 * line, fields separated by blanks; a value that could hold a blank or
 * '=' is escaped as in queen.log). "since_ms" is always an age: ms
 * elapsed since the thing happened, as Cohesix reports it.
 */
#include "procfs.h"
#include "hived/audit/auditfs.h"
#include "hived/core/hive.h"
#include "lib/logline.h"
#include "hived/core/loop.h"
#include "ninep/ninep.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int procfs_render_version(void *arg, const struct principal *who, struct strbuf *sb)
{
	strbuf_printf(sb, "hive %s\nprotocols=9P2000.L,9P2000,console\n", HIVE_VERSION);
	return 0;
}

static uint64_t age(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

int procfs_render_status(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	uint64_t now = loop_now_ms();

	strbuf_printf(sb, "state=%s\nreason=%s\nsince_ms=%llu\nuptime_ms=%llu\n",
	              lifecycle_state_name(hive->lifecycle.state), hive->lifecycle.reason,
	              (unsigned long long)age(now, hive->lifecycle.since_ms),
	              (unsigned long long)age(now, hive->start_ms));
	strbuf_printf(sb, "sessions=%u\nsessions_total=%llu\nsessions_refused=%llu\nnodes=%zu\n",
	              hive->nsessions, (unsigned long long)hive->sessions_total,
	              (unsigned long long)hive->sessions_refused, ns_node_count(hive->ns));
	strbuf_printf(sb, "pid=%ld\nowner_uid=%lu\n", (long)getpid(), (unsigned long)hive->owner_uid);
	kernel_status(&hive->kernel, sb);
	auditfs_status(hive, sb);
	return 0;
}

#define LIMIT(x) { #x, (unsigned long long)(x) }
static const struct {
	const char *name;
	unsigned long long value;
} procfs_limits[] = {
	LIMIT(HIVE_MSIZE_MAX), LIMIT(HIVE_MSIZE_MIN), LIMIT(HIVE_IOHDR), LIMIT(HIVE_WALK_MAX),
	LIMIT(HIVE_NAME_MAX), LIMIT(HIVE_ATTACH_STR_MAX), LIMIT(HIVE_PATH_DEPTH_MAX),
	LIMIT(HIVE_PATH_MAX), LIMIT(HIVE_SESSIONS_MAX), LIMIT(HIVE_FIDS_MAX), LIMIT(HIVE_TAGS_MAX),
	LIMIT(HIVE_OUTQ_BYTES_MAX), LIMIT(HIVE_FRAMES_PER_TURN), LIMIT(HIVE_IDLE_TIMEOUT_MS), LIMIT(HIVE_FRAME_TIMEOUT_MS),
	LIMIT(HIVE_HANDSHAKE_TIMEOUT_MS), LIMIT(HIVE_RXBUF_INITIAL), LIMIT(HIVE_SNAPSHOT_MAX),
	LIMIT(HIVE_SESSION_SNAPSHOT_BYTES_MAX), LIMIT(HIVE_RENDER_CACHE_MS),
	LIMIT(HIVE_LOG_RING_BYTES), LIMIT(HIVE_CTL_LINE_MAX), LIMIT(HIVE_WRITE_MAX),
	LIMIT(HIVE_NODES_MAX), LIMIT(HIVE_ERRSTR_MAX), LIMIT(HIVE_CAS_VALUE_MAX),
	LIMIT(HIVE_GPU_MAX), LIMIT(HIVE_GPU_FILE_MAX), LIMIT(HIVE_GPU_PROCS_MAX), LIMIT(HIVE_GPU_ID_MAX),
	LIMIT(HIVE_GPU_MODELS_MAX), LIMIT(HIVE_GPU_LEASES_MAX), LIMIT(HIVE_GPU_LEASE_TTL_MAX),
	LIMIT(HIVE_GPU_SWEEP_MS), LIMIT(HIVE_GPU_BRIDGE_INTERVAL_MS),
	LIMIT(HIVE_TICKET_TOKEN_MAX), LIMIT(HIVE_SUBJECT_MAX), LIMIT(HIVE_TICKET_SCOPES_MAX),
	LIMIT(HIVE_TICKET_STR_MAX), LIMIT(HIVE_SECRET_MAX), LIMIT(HIVE_CONSOLE_LINE_MAX),
	LIMIT(HIVE_TICKET_TTL_MAX_S), LIMIT(HIVE_TICKET_SKEW_MS_MAX), LIMIT(HIVE_TICKETS_REVOKED_MAX), LIMIT(HIVE_REVOCATION_LINE_MAX),
	LIMIT(HIVE_CONSOLE_LINES_MAX), LIMIT(HIVE_ATTACH_FAILS_MAX), LIMIT(HIVE_ATTACH_FAIL_WINDOW_MS),
	LIMIT(HIVE_ATTACH_LOCKOUT_MS), LIMIT(HIVE_ATTACH_BACKOFF_BASE_MS),
	LIMIT(HIVE_ATTACH_BACKOFF_SHIFT_MAX), LIMIT(HIVE_CONSOLE_AUTH_TIMEOUT_MS),
	LIMIT(HIVE_AUTH_PEERS_MAX), LIMIT(HIVE_CONSOLE_OUTQ_BYTES_MAX),
	LIMIT(HIVE_CONSOLE_REPLY_BYTES_MAX), LIMIT(HIVE_CONSOLE_CAT_BYTES_MAX),
	LIMIT(HIVE_CONSOLE_TAIL_BYTES_MAX), LIMIT(HIVE_CONSOLE_TAIL_SCAN_MAX),
	LIMIT(HIVE_CONSOLE_SWEEP_MS), LIMIT(HIVE_CONSOLE_LINGER_MS), LIMIT(HIVE_CONSOLE_ACCEPT_BATCH),
	LIMIT(HIVE_CONSOLE_VERB_MAX), LIMIT(HIVE_CONSOLE_ROLE_MAX), LIMIT(HIVE_LOG_LINE_MAX),
	LIMIT(HIVE_AUDIT_DETAIL_MAX), LIMIT(HIVE_AUDIT_FRAME_MAX), LIMIT(HIVE_AUDIT_SEGMENT_MAX), LIMIT(HIVE_AUDIT_SEGMENTS_MAX), LIMIT(HIVE_AUDIT_PROOF_MAX),
	LIMIT(HIVE_DENY_FOLD_MS), LIMIT(HIVE_DENY_FOLD_AFTER), LIMIT(HIVE_DENY_FOLD_SLOTS),
	LIMIT(HIVE_DIR_GROW), LIMIT(HIVE_CLIENT_TIMEOUT_MS), LIMIT(HIVE_TAIL_POLL_MS),
	LIMIT(HIVE_SHELL_LINE_MAX), LIMIT(HIVE_MOUNT_ATTR_TIMEOUT_S), LIMIT(HIVE_MOUNT_PING_MS),
	LIMIT(HIVE_MOUNT_OPEN_MAX), LIMIT(HIVE_TICKETS_CONF_MAX), LIMIT(HIVE_TICKET_SECRET_RANDOM),
	LIMIT(HIVE_TAIL_WINDOW), LIMIT(HIVE_SHELL_HISTORY_MAX), LIMIT(HIVE_SHELL_ARGS_MAX),
	LIMIT(HIVE_LOOP_EVENTS_MAX), LIMIT(HIVE_LOOP_TIMERS_MAX), LIMIT(HIVE_ACCEPT_BATCH),
	LIMIT(HIVE_LISTEN_BACKLOG), LIMIT(HIVE_LOOP_SIGNALS_MAX), LIMIT(HIVE_BUSY_POLL_US_MAX), LIMIT(HIVE_AUTH_FIDS_MAX), LIMIT(HIVE_SESSIONS_LINE_MAX),
	LIMIT(HIVE_SESSIONS_SNAPSHOT_MAX),
	LIMIT(HIVE_MANIFEST_BYTES_MAX), LIMIT(HIVE_MANIFEST_ARGV_MAX),
	LIMIT(HIVE_MANIFEST_ARGV_BYTES_MAX), LIMIT(HIVE_MANIFEST_ENV_MAX),
	LIMIT(HIVE_MANIFEST_ENV_NAME_MAX), LIMIT(HIVE_MANIFEST_CAPS_MAX),
	LIMIT(HIVE_MANIFEST_CLASSES_MAX), LIMIT(HIVE_MANIFEST_CLASS_COUNT_MAX),
	LIMIT(HIVE_WORKLOAD_AGENTS_MAX), LIMIT(HIVE_MANIFEST_NAME_MAX), LIMIT(HIVE_MODEL_NAME_MAX),
	LIMIT(HIVE_QUOTA_CPU_WEIGHT_MAX), LIMIT(HIVE_QUOTA_MEMORY_MIN), LIMIT(HIVE_QUOTA_PIDS_MAX),
	LIMIT(HIVE_QUOTA_TOKENS_PER_MINUTE_MAX), LIMIT(HIVE_KEY_FILE_MAX),
	LIMIT(HIVE_KEY_COMMENT_MAX), LIMIT(HIVE_TRUST_KEYS_MAX),
	LIMIT(HIVE_PREAUTH_SESSIONS_MAX),
	LIMIT(HIVE_PREAUTH_PER_PEER_MAX), LIMIT(HIVE_OWNER_SESSIONS_RESERVE), LIMIT(HIVE_PEER_ID_MAX),
	LIMIT(HIVE_ATTACH_ID_FAILS_MAX),
	LIMIT(HIVE_ATTEST_AID_MAX), LIMIT(HIVE_ATTEST_AUTHORIZER_MAX), LIMIT(HIVE_ATTEST_ENFORCEMENT_MAX),
	LIMIT(HIVE_ATTEST_CAP_MAX), LIMIT(HIVE_ATTEST_FILE_MAX), LIMIT(HIVE_ATTEST_READ_CHUNK),
	LIMIT(HIVE_ATTEST_EXE_BYTES_MAX),
	LIMIT(HIVE_CTL_REPLY_MAX), LIMIT(HIVE_AGENTS_MAX), LIMIT(HIVE_AGENTS_ENDED_MAX), LIMIT(HIVE_AID_MAX),
	LIMIT(HIVE_AGENT_EVENTS_BYTES), LIMIT(HIVE_AGENT_TELEMETRY_BYTES), LIMIT(HIVE_AGENT_ENV_MAX),
	LIMIT(HIVE_BROKER_CONNS_MAX), LIMIT(HIVE_BROKER_BODY_MAX), LIMIT(HIVE_BROKER_ANSWER_MAX),
	LIMIT(HIVE_BROKER_INBOX_MAX), LIMIT(HIVE_BROKER_SLOTS_MAX), LIMIT(HIVE_BROKER_WAIT_MS), LIMIT(HIVE_BROKER_SCAN_PIDS_MAX), LIMIT(HIVE_BROKER_KEY_MAX),
	LIMIT(HIVE_BROKER_LAT_BUCKETS),
	LIMIT(HIVE_AGENT_ENV_VALUE_MAX), LIMIT(HIVE_AGENT_CAPS_MAX), LIMIT(HIVE_AGENT_REAP_WAIT_MS),
	LIMIT(HIVE_AGENT_DEFAULT_CPU_WEIGHT), LIMIT(HIVE_AGENT_DEFAULT_MEMORY_MAX), LIMIT(HIVE_AGENT_DEFAULT_PIDS_MAX),
	LIMIT(HIVE_AGENT_UID_BASE), LIMIT(HIVE_AGENT_UID_COUNT), LIMIT(HIVE_AGENT_TELEMETRY_MS), LIMIT(HIVE_AGENT_REVOKE_FDS_MAX),
	LIMIT(HIVE_AGENT_DENIED_HOLD_MS), LIMIT(HIVE_AGENTS_LINE_MAX), LIMIT(HIVE_AGENTS_SNAPSHOT_MAX),
	LIMIT(HIVE_SANDBOX_CGROUP_FDS_MAX), LIMIT(HIVE_SANDBOX_SETUP_MS), LIMIT(HIVE_SANDBOX_BPF_BYTES_MAX),
	LIMIT(HIVE_NOTIFY_PATH_MAX), LIMIT(HIVE_NOTIFY_SYSCALL_NAMES), LIMIT(HIVE_NOTIFY_SYMLINKS_MAX), LIMIT(HIVE_NOTIFY_WALK_STEPS_MAX), LIMIT(HIVE_NOTIFY_GROUPS_MAX),
	LIMIT(HIVE_CGROUP_KILL_ROUNDS), LIMIT(HIVE_CGROUP_KILL_PAUSE_US),
	LIMIT(HIVE_SCHED_TENANTS_MAX), LIMIT(HIVE_SCHED_QUEUE_MAX), LIMIT(HIVE_SCHED_TENANT_QUEUE_MAX),
	LIMIT(HIVE_SCHED_ENGINE_SLOTS_MAX), LIMIT(HIVE_SCHED_RETRY_AFTER_MS), LIMIT(HIVE_SCHED_REQUEST_TOKENS_MAX),
	LIMIT(HIVE_SCHED_WEIGHT_DEFAULT), LIMIT(HIVE_SCHED_KEEP_SLOT_MS),
	LIMIT(HIVE_AUDIT_QUEUE_MAX), LIMIT(HIVE_AUDIT_DENY_RESERVE), LIMIT(HIVE_AUDIT_BATCH_MAX),
	LIMIT(HIVE_AUDIT_BATCH_BYTES), LIMIT(HIVE_AUDIT_LINGER_US), LIMIT(HIVE_AUDIT_DURABLE_WAIT_MS),
	LIMIT(HIVE_AUDIT_RETRY_MS), LIMIT(HIVE_AUDIT_SEGMENT_AGE_MS), LIMIT(HIVE_AUDIT_ROTATE_BYTES),
	LIMIT(HIVE_AUDIT_CHECKPOINTS_SHOWN),
	LIMIT(HIVE_AUDIT_CHECKPOINT_RECORDS), LIMIT(HIVE_AUDIT_CHECKPOINT_MS), LIMIT(HIVE_AUDIT_QUERY_SCAN_MAX),
};

int procfs_render_limits(void *arg, const struct principal *who, struct strbuf *sb)
{
	/* name=value with the name as in limits.h minus HIVE_, lower case:
	 * HIVE_MSIZE_MAX -> msize_max. */
	for (size_t i = 0; i < sizeof procfs_limits / sizeof procfs_limits[0]; i++) {
		const char *n = procfs_limits[i].name + 5;
		char lower[64];
		size_t k = 0;
		for (; n[k] && k + 1 < sizeof lower; k++)
			lower[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] - 'A' + 'a' : n[k]);
		lower[k] = '\0';
		strbuf_printf(sb, "%s=%llu\n", lower, procfs_limits[i].value);
	}
	return 0;
}

static void field(struct strbuf *sb, const char *key, const char *value)
{
	char esc[HIVE_LOG_LINE_MAX / 4];

	if (!value || !value[0]) {
		strbuf_printf(sb, " %s=-", key);
		return;
	}
	logline_escape(esc, sizeof esc, value, strlen(value), LOGLINE_FIELD);
	strbuf_printf(sb, " %s=%s", key, esc);
}

int procfs_render_sessions(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	struct hive_session *s = hive->sessions;
	uint64_t now = loop_now_ms();

	/* Sessions are pushed at the head: print from the tail so ids ascend. */
	while (s && s->next)
		s = s->next;
	for (; s; s = s->prev) {
		strbuf_printf(sb, "id=%llu", (unsigned long long)s->id);
		field(sb, "transport", s->transport);
		field(sb, "peer", s->peer);
		field(sb, "dialect", s->dialect);
		field(sb, "role", principal_role_name(s->who.role));
		field(sb, "subject", s->who.subject);
		strbuf_printf(sb, " since_ms=%llu idle_ms=%llu rx=%llu tx=%llu fids=%u\n",
		              (unsigned long long)age(now, s->since_ms),
		              (unsigned long long)age(now, s->last_ms), (unsigned long long)s->rx_msgs,
		              (unsigned long long)s->tx_msgs, s->fids);
	}
	return 0;
}

/* What a cached /proc/sessions render must not outlive: a session came or
 * went, or a 9P session negotiated or attached (its dialect, role and
 * subject changed). A sum of counts that only grow, so each such event
 * moves it: sessions made (ids are never reused), sessions gone (made
 * minus live), Tversions and Tattachs. Counters and ages may lag by
 * HIVE_RENDER_CACHE_MS. */
uint64_t procfs_sessions_version(void *arg)
{
	struct hive *hive = arg;
	uint64_t v = 2u * hive->next_session_id - hive->nsessions;

	for (unsigned d = 0; d < HIVE_9P_DIALECTS; d++)
		v += hive->ninep.msgs[d][NINEP_TVERSION] + hive->ninep.msgs[d][NINEP_TATTACH];
	return v;
}

int procfs_render_pressure(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	/* Whoever reads the counters finds every refusal they count in the
	 * log as well: folded repeats are written first. */
	hive_deny_flush(hive);
	strbuf_printf(sb, "busy=%llu\nquota=%llu\ncut=%llu\npolicy=%llu\n",
	              (unsigned long long)hive->pressure.busy, (unsigned long long)hive->pressure.quota,
	              (unsigned long long)hive->pressure.cut, (unsigned long long)hive->pressure.policy);
	for (unsigned op = 0; op < HIVE_DENY_OPS; op++)
		strbuf_printf(sb, "deny.%s=%llu\n", hive_deny_op_name(op), (unsigned long long)hive->denials[op]);
	return 0;
}

/* Dialect names for /proc/9p, indexed like hive_9p_counts (enum
 * ninep_dialect): a Tversion refused for an unknown version stays "none". */
static const char *const procfs_dialects[HIVE_9P_DIALECTS] = { "none", "9P2000", "9P2000.L" };

int procfs_render_9p(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	const struct hive_9p_counts *n = &hive->ninep;
	uint64_t total = 0;

	/* Totals first (what a reader greps for), then the same per dialect;
	 * types in wire-number order, only those seen. */
	for (unsigned t = 0; t < HIVE_9P_TYPES; t++) {
		uint64_t sum = 0;
		for (unsigned d = 0; d < HIVE_9P_DIALECTS; d++)
			sum += n->msgs[d][t];
		if (sum)
			strbuf_printf(sb, "%s=%llu\n", ninep_type_name((uint8_t)t), (unsigned long long)sum);
		total += sum;
	}
	strbuf_printf(sb, "total=%llu\n", (unsigned long long)total);
	for (unsigned d = 0; d < HIVE_9P_DIALECTS; d++)
		for (unsigned t = 0; t < HIVE_9P_TYPES; t++)
			if (n->msgs[d][t])
				strbuf_printf(sb, "%s:%s=%llu\n", procfs_dialects[d],
				              ninep_type_name((uint8_t)t), (unsigned long long)n->msgs[d][t]);
	return 0;
}

/* The hive's public signing key, the line hive.pub holds: what an
 * attestation is checked against (`hive attest --verify FILE --key PUB`). */
static int render_hive_pub(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	char line[HIVE_KEY_FILE_MAX];
	int n;

	if (hive->sigkey.pub.id[0] && (n = sigkey_pub_format(&hive->sigkey.pub, line, sizeof line)) > 0)
		strbuf_printf(sb, "%s", line);
	return 0;
}

static int render_lc_state(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	strbuf_printf(sb, "state=%s\n", lifecycle_state_name(hive->lifecycle.state));
	return 0;
}

static int render_lc_reason(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	strbuf_printf(sb, "reason=%s\n", hive->lifecycle.reason);
	return 0;
}

static int render_lc_since(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	strbuf_printf(sb, "since_ms=%llu\n", (unsigned long long)age(loop_now_ms(), hive->lifecycle.since_ms));
	return 0;
}

int procfs_build(struct hive *hive, struct ns_node *proc)
{
	static const struct ns_perm dir = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm ro = { .mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct {
		const char *name;
		ns_render_fn render;
	} files[] = {
		{ "version", procfs_render_version }, { "status", procfs_render_status },
		{ "limits", procfs_render_limits },   { "sessions", procfs_render_sessions },
		{ "pressure", procfs_render_pressure }, { "9p", procfs_render_9p },
		{ "hive.pub", render_hive_pub },
	};
	struct ns_node *lc;

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (files[i].render == procfs_render_sessions)
			continue;
		if (!ns_text_file(hive->ns, proc, files[i].name, &ro, files[i].render, hive))
			return -errno;
	}
	/* /proc/sessions holds a line per session, a bound that fits them all,
	 * and costs O(sessions) to render: opens share one render a while. */
	if (!ns_text_file_cached(hive->ns, proc, "sessions", &ro, procfs_render_sessions, hive,
	                         HIVE_SESSIONS_SNAPSHOT_MAX, procfs_sessions_version,
	                         HIVE_RENDER_CACHE_MS))
		return -errno;
	lc = ns_mkdir(hive->ns, proc, "lifecycle", &dir);
	if (!lc)
		return -errno;
	if (!ns_text_file(hive->ns, lc, "state", &ro, render_lc_state, hive) ||
	    !ns_text_file(hive->ns, lc, "reason", &ro, render_lc_reason, hive) ||
	    !ns_text_file(hive->ns, lc, "since", &ro, render_lc_since, hive))
		return -errno;
	return 0;
}
