/*
 * auditfs.c — the audit chain inside hived (auditfs.h).
 */
#include "auditfs.h"
#include "segment.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "lib/logline.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* The writer committed or failed: say in queen.log when a failure begins
 * (unless hive.c said it at the first refused record) and when it ends. */
static void on_writer(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct hive *hive = arg;
	struct audit_stats st;

	audit_ack(hive->audit);
	audit_stats(hive->audit, &st);
	if (!hive->audit_failing_said) {
		/* The disk failed under the writer before any door was refused. */
		if (st.fail) {
			hive->audit_failing_said = 1;
			hive_event(hive, NULL, "audit", NULL, "state=failing reason=%s refused=%llu",
			           audit_reason(st.fail), (unsigned long long)st.refused);
		}
		return;
	}
	if (st.fail == 0 && audit_ok(hive->audit) == 0) {
		hive->audit_failing_said = 0;
		hive_event(hive, NULL, "audit", NULL, "state=ok refused=%llu refused_deny=%llu",
		           (unsigned long long)st.refused, (unsigned long long)st.refused_deny);
	}
}

/* The checkpoint cadence: every HIVE_AUDIT_CHECKPOINT_MS, or sooner when
 * HIVE_AUDIT_CHECKPOINT_RECORDS were appended since the last. */
static void on_tick(struct loop *loop, void *arg)
{
	struct hive *hive = arg;

	/* A refusal (queue full, failing disk) is counted by the writer and
	 * the next tick asks again. */
	audit_checkpoint(hive->audit);
}

int auditfs_open(struct hive *hive, struct err *err)
{
	char dir[HIVE_PATH_MAX];
	int rc, n;

	n = snprintf(dir, sizeof dir, "%s/audit", hive->cfg.state_dir);
	if (n < 0 || (size_t)n >= sizeof dir)
		return err_set(err, ENAMETOOLONG, "state path too long for audit/");
	if ((rc = audit_open(dir, &(struct audit_opts){ .key = &hive->sigkey }, &hive->audit, err)) < 0)
		return rc;
	if (hive->loop) {
		if ((rc = loop_add_fd(hive->loop, audit_event_fd(hive->audit), EPOLLIN, on_writer, hive)) < 0) {
			audit_close(hive->audit);
			hive->audit = NULL;
			return err_set(err, -rc, "cannot watch the audit writer: %s", strerror(-rc));
		}
		rc = loop_add_timer(hive->loop, HIVE_AUDIT_CHECKPOINT_MS, on_tick, hive);
		hive->audit_timer = rc > 0 ? rc : 0;
	}
	return 0;
}

void auditfs_close(struct hive *hive)
{
	if (!hive->audit)
		return;
	if (hive->loop) {
		loop_del_fd(hive->loop, audit_event_fd(hive->audit));
		if (hive->audit_timer > 0)
			loop_del_timer(hive->loop, hive->audit_timer);
	}
	hive->audit_timer = 0;
	audit_checkpoint(hive->audit); /* the last one, at shutdown */
	audit_close(hive->audit);
	hive->audit = NULL;
}

void auditfs_status(struct hive *hive, struct strbuf *sb)
{
	struct audit_stats st;
	int ok;

	if (!hive->audit) {
		strbuf_printf(sb, "audit=off\n");
		return;
	}
	audit_stats(hive->audit, &st);
	ok = audit_ok(hive->audit);
	if (ok == 0)
		strbuf_printf(sb, "audit=ok\n");
	else
		strbuf_printf(sb, "audit=failing:%s\n", audit_reason(-ok));
	strbuf_printf(sb, "audit_records=%llu\naudit_durable=%llu\naudit_queued=%u\naudit_refused=%llu\n"
	              "audit_refused_deny=%llu\naudit_batches=%llu\naudit_recovery=%s\n",
	              (unsigned long long)st.next_seq, (unsigned long long)st.durable, st.queued,
	              (unsigned long long)st.refused, (unsigned long long)st.refused_deny,
	              (unsigned long long)st.batches, st.recovery);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int render_head(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	struct audit_stats st;
	char h[65];

	if (!hive->audit)
		return 0;
	audit_stats(hive->audit, &st);
	hex(st.head, 32, h);
	strbuf_printf(sb, "size=%llu\nhead=%s\nsegment=%llu\n", (unsigned long long)st.durable, h,
	              (unsigned long long)st.seg_first);
	if (st.ckpt_epoch >= 0)
		strbuf_printf(sb, "checkpoint=%llu epoch=%lld\ncheckpoints=%llu\n", (unsigned long long)st.ckpt_size,
		              (long long)st.ckpt_epoch, (unsigned long long)st.ckpts);
	else
		strbuf_printf(sb, "checkpoint=-\ncheckpoints=0\n");
	return 0;
}

static int render_checkpoints(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;

	if (hive->audit)
		audit_checkpoints(hive->audit, sb);
	return 0;
}

void auditfs_row(const struct audit_rec *r, struct strbuf *sb)
{
	char when[32], f[4][HIVE_AUDIT_DETAIL_MAX + 1];
	const char *v[4] = { r->aid, r->cap, r->object, r->detail };
	time_t secs = (time_t)(r->wall_ns / 1000000000u);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (int i = 0; i < 4; i++) {
		if (!v[i][0])
			snprintf(f[i], sizeof f[i], "-");
		else
			logline_escape(f[i], sizeof f[i], v[i], strlen(v[i]), i < 3 ? LOGLINE_FIELD : 0);
	}
	strbuf_printf(sb, "seq=%llu time=%s aid=%s type=%s cap=%s object=%s result=%s %s\n",
	              (unsigned long long)r->seq, when, f[0], audit_type_name(r->type), f[1], f[2],
	              audit_result_name(r->result), f[3]);
}

/* A query: what to match, where it stands, where the reply goes. */
struct query {
	char aid[HIVE_AID_MAX + 1];
	int type;       /* -1: any */
	uint64_t since; /* wall seconds, 0: any */
	uint64_t from;  /* first seq */
	uint64_t scanned, next;
	int full;
	struct strbuf *reply;
};

static int query_rec(void *arg, const struct audit_rec *r, const uint8_t *frame, size_t n)
{
	struct query *q = arg;
	char row[HIVE_AUDIT_DETAIL_MAX * 4 + 256];
	struct strbuf sb;

	q->next = r->seq + 1;
	if (++q->scanned >= HIVE_AUDIT_QUERY_SCAN_MAX)
		q->full = 1;
	if (r->seq < q->from || (q->aid[0] && strcmp(q->aid, r->aid) != 0) ||
	    (q->type >= 0 && (int)r->type != q->type) || r->wall_ns / 1000000000u < q->since)
		return q->full;
	strbuf_init(&sb, row, sizeof row);
	auditfs_row(r, &sb);
	/* Room for the row and a last `more from=` line. */
	if (q->reply->cap - q->reply->len <= sb.len + 40) {
		q->next = r->seq;
		q->full = 1;
		return 1;
	}
	strbuf_append(q->reply, row, sb.len);
	return q->full;
}

static int query_parse(struct query *q, const struct principal *who, const char *line, struct err *err)
{
	char word[HIVE_CTL_LINE_MAX + 1];
	const char *p = line;

	memset(q, 0, sizeof *q);
	q->type = -1;
	while (*p) {
		size_t n = strcspn(p, " \t");
		if (n == 0) {
			p++;
			continue;
		}
		snprintf(word, sizeof word, "%.*s", (int)n, p);
		p += n;
		char *eq = strchr(word, '='), *end = NULL;
		if (!eq)
			return err_set(err, EINVAL, "query: '%s' is not key=value (aid= type= since= from=)", word);
		*eq++ = '\0';
		if (strcmp(word, "aid") == 0 && strlen(eq) < sizeof q->aid) {
			snprintf(q->aid, sizeof q->aid, "%s", eq);
		} else if (strcmp(word, "type") == 0) {
			if ((q->type = audit_type_parse(eq)) < 0)
				return err_set(err, EINVAL, "query: unknown type '%s'", eq);
		} else if (strcmp(word, "since") == 0 || strcmp(word, "from") == 0) {
			errno = 0;
			unsigned long long v = strtoull(eq, &end, 10);
			if (errno || !end || *end || !eq[0])
				return err_set(err, EINVAL, "query: %s= wants a number", word);
			*(word[0] == 's' ? &q->since : &q->from) = v;
		} else {
			return err_set(err, EINVAL, "query: unknown key '%s' (aid= type= since= from=)", word);
		}
	}
	if (who && who->role == HIVE_ROLE_WORKER) {
		/* A worker reads its own records, whatever it asked. */
		if (q->aid[0] && strcmp(q->aid, who->subject) != 0)
			return err_set(err, EACCES, "query: a worker reads only its own records (aid=%s)", who->subject);
		snprintf(q->aid, sizeof q->aid, "%.*s", (int)sizeof q->aid - 1, who->subject);
	}
	return 0;
}

static int query_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply,
                      struct err *err)
{
	struct hive *hive = arg;
	uint64_t *firsts = NULL;
	struct query q;
	int n, rc;

	if ((rc = query_parse(&q, who, line, err)) < 0)
		return rc;
	if (!hive->audit)
		return err_set(err, EOPNOTSUPP, "query: no audit log");
	int dirfd = open(audit_dir(hive->audit), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_set(err, errno, "query: cannot open the log: %s", strerror(errno));
	if (!(firsts = calloc(HIVE_AUDIT_SEGMENTS_MAX, sizeof *firsts))) {
		rc = err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((n = segment_list(dirfd, firsts, HIVE_AUDIT_SEGMENTS_MAX)) < 0) {
		rc = err_set(err, -n, "query: cannot list the log: %s", strerror(-n));
		goto out;
	}
	strbuf_reset(reply);
	q.reply = reply;
	q.next = q.from;
	for (int i = 0; i < n && !q.full; i++) {
		struct segment_scan s;
		struct err e = { 0 };
		/* Skip segments wholly before from=. */
		if (i + 1 < n && firsts[i + 1] <= q.from)
			continue;
		segment_scan(dirfd, firsts[i], 0, &s, query_rec, &q, &e);
	}
	if (q.full)
		strbuf_printf(reply, "more from=%llu\n", (unsigned long long)q.next);
	rc = 0;
out:
	free(firsts);
	close(dirfd);
	return rc;
}

static int render_query_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	strbuf_printf(sb, "write: aid=<aid> type=<type> since=<unix-seconds> from=<seq> (any subset); "
	              "then read the rows on the same open\n");
	return 0;
}

int auditfs_build(struct hive *hive, struct ns_node *root)
{
	static const struct ns_perm dir_perm = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm readers = {
		.mode = 0444, .see = HIVE_ROLES_READERS, .read = HIVE_ROLES_READERS,
	};
	static const struct ns_perm query = {
		.mode = 0666, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .write = HIVE_ROLES_ALL,
	};
	struct ns_node *dir = ns_mkdir(hive->ns, root, "audit", &dir_perm);

	if (!dir || !ns_text_file(hive->ns, dir, "head", &readers, render_head, hive) ||
	    !ns_text_file(hive->ns, dir, "checkpoints", &readers, render_checkpoints, hive) ||
	    !ns_ctl_file(hive->ns, dir, "query", &query, query_line, render_query_usage, hive))
		return -errno;
	return 0;
}
