/*
 * hive.c — the table of live sessions (with the owner's reserve and the
 * pre-auth pool) and hive_event, the one place an event becomes a row of
 * /log/queen.log and a record of the audit chain.
 *
 * Row format (docs/namespace.md, "queen.log"), one line, at most
 * HIVE_LOG_LINE_MAX bytes:
 *   <time> <event> role=<r> subject=<s|-> session=<id> [object=<o>] <detail>
 * role, subject and object are escaped as fields (no blank, '=' or control
 * byte survives raw); detail is escaped as text (blanks kept). A row that
 * would be too long is cut and ends in "...".
 *
 * hive_deny is the deny door (hive.h): it counts, then writes its row
 * through the same builder, folding repeats of one kind (one row text, or
 * one caller's fold key) into a count=N row (struct hive_deny_folds below).
 */
#include "hive.h"
#include "hived/audit/audit.h"
#include "lib/logline.h"
#include "loop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pool's key of a session: its peer id, the key up to '@'. */
static size_t peer_id_len(const char *key)
{
	const char *at = strchr(key, '@');
	return at ? (size_t)(at - key) : strlen(key);
}

/* Pending sessions of the peer id that `key` names. */
static uint32_t pending_of(const struct hive *hive, const char *key)
{
	size_t n = peer_id_len(key);
	uint32_t k = 0;
	for (const struct hive_session *s = hive->sessions; s; s = s->next)
		if (s->pending && peer_id_len(s->peer_key) == n && memcmp(s->peer_key, key, n) == 0)
			k++;
	return k;
}

/* Why a connection cannot be admitted now (NULL: it can), with errno and limit. */
static const char *admit_refusal(const struct hive *hive, const char *key, int owner, int pending,
                                 int *err, unsigned *limit)
{
	if (hive->nsessions >= HIVE_SESSIONS_MAX) {
		*err = EMFILE;
		*limit = HIVE_SESSIONS_MAX;
		return "sessions-max";
	}
	if (!owner && hive->nsessions - hive->nowner >= HIVE_SESSIONS_MAX - HIVE_OWNER_SESSIONS_RESERVE) {
		*err = EMFILE;
		*limit = HIVE_SESSIONS_MAX - HIVE_OWNER_SESSIONS_RESERVE;
		return "sessions-max";
	}
	if (!pending)
		return NULL;
	if (hive->npending >= HIVE_PREAUTH_SESSIONS_MAX) {
		*err = EUSERS;
		*limit = HIVE_PREAUTH_SESSIONS_MAX;
		return "preauth-pool";
	}
	if (key[0] && pending_of(hive, key) >= HIVE_PREAUTH_PER_PEER_MAX) {
		*err = EAGAIN;
		*limit = HIVE_PREAUTH_PER_PEER_MAX;
		return "preauth-per-peer";
	}
	return NULL;
}

struct hive_session *hive_session_admit(struct hive *hive, const char *transport, const char *peer,
                                        const char *peer_key, int owner, int pending)
{
	struct hive_session *s;
	const char *key = peer_key ? peer_key : "";
	int err = 0;
	unsigned limit = 0;
	const char *why = admit_refusal(hive, key, owner, pending, &err, &limit);

	if (why) {
		char id[HIVE_PEER_ID_MAX];
		size_t n = peer_id_len(key);
		snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), key);
		hive->sessions_refused++;
		/* Folded by peer id: a stranger's new ports still make one kind. */
		hive_deny_with(hive, NULL, HIVE_PRESSURE_BUSY, HIVE_DENY_SESSION, NULL, why,
		               &(struct hive_deny_opts){ .fold_key = id }, "limit=%u transport=%s peer=%s", limit,
		               transport ? transport : "-", peer && peer[0] ? peer : "-");
		errno = err;
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (hive->next_session_id == 0)
		hive->next_session_id = 1;
	s->id = hive->next_session_id++;
	s->transport = transport ? transport : "unknown";
	snprintf(s->peer, sizeof s->peer, "%s", peer ? peer : "");
	snprintf(s->peer_key, sizeof s->peer_key, "%s", key);
	s->owner = owner;
	s->pending = pending;
	for (int i = 0; i < 3; i++)
		s->stdio_fds[i] = -1;
	s->who.role = HIVE_ROLE_NONE;
	s->who.session_id = s->id;
	s->who.transport = s->transport;
	s->since_ms = s->last_ms = loop_now_ms();
	s->next = hive->sessions;
	if (hive->sessions)
		hive->sessions->prev = s;
	hive->sessions = s;
	hive->nsessions++;
	hive->npending += pending ? 1u : 0u;
	hive->nowner += owner ? 1u : 0u;
	hive->sessions_total++;
	return s;
}

struct hive_session *hive_session_add(struct hive *hive, const char *transport, const char *peer)
{
	return hive_session_admit(hive, transport, peer, "", 1, 0);
}

void hive_session_refused(struct hive *hive, const char *transport, int err)
{
	hive->sessions_refused++;
	/* No peer is known before accept(2) returns: identical rows fold. */
	hive_deny(hive, NULL, HIVE_PRESSURE_BUSY, HIVE_DENY_SESSION, NULL, "out-of-fds", "transport=%s errno=%d",
	          transport ? transport : "-", err);
}

void hive_session_authed(struct hive *hive, struct hive_session *s)
{
	if (!s || !s->pending)
		return;
	s->pending = 0;
	hive->npending--;
}

void hive_session_drop_stdio(struct hive_session *s)
{
	for (int i = 0; i < 3; i++) {
		if (s->stdio_fds[i] >= 0)
			close(s->stdio_fds[i]);
		s->stdio_fds[i] = -1;
	}
}

struct hive_session *hive_session_find(struct hive *hive, uint64_t id)
{
	for (struct hive_session *s = hive->sessions; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

void hive_session_remove(struct hive *hive, struct hive_session *s)
{
	if (!s)
		return;
	if (s->prev)
		s->prev->next = s->next;
	else if (hive->sessions == s)
		hive->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (hive->nsessions > 0)
		hive->nsessions--;
	if (s->pending && hive->npending > 0)
		hive->npending--;
	if (s->owner && hive->nowner > 0)
		hive->nowner--;
	hive_session_drop_stdio(s);
	free(s);
}

/* Room a folded row keeps for " count=<u64>". */
#define HIVE_ROW_COUNT_ROOM (sizeof " count=18446744073709551615" - 1)

/* Room of a fold key: the caller's key (< HIVE_PEER_ID_MAX) after the
 * family, op and reason words; a longer one folds by row text instead. */
#define HIVE_DENY_KEY_ROOM (HIVE_PEER_ID_MAX + 64u)

/*
 * A refusal kind being folded. Its key is the row itself without its time
 * stamp (so op, reason, principal, session, object and detail all match:
 * two refusals fold only if their rows would read the same), or, when the
 * caller chose a fold key, "<family> <op> <reason> <key>"; then row is the
 * last refusal's, the one a count= row shows.
 */
struct hive_deny_fold {
	size_t len;        /* bytes of row; 0 = free slot */
	size_t klen;       /* bytes of key; 0 = the row is the key */
	uint64_t hash;     /* of the key, to skip most compares */
	uint64_t since_ms; /* when the window of this slot began */
	uint64_t used_ms;  /* last refusal folded here (least recent is evicted) */
	uint32_t written;  /* rows written for it in this window (up to HIVE_DENY_FOLD_AFTER) */
	uint64_t repeats;  /* refusals counted and not yet written */
	char key[HIVE_DENY_KEY_ROOM];
	char row[HIVE_LOG_LINE_MAX];
};

struct hive_deny_folds {
	uint32_t live; /* slots in use */
	struct hive_deny_fold slot[HIVE_DENY_FOLD_SLOTS];
};

/* Length of a detail vsnprintf wanted n bytes for in cap; a detail it cut
 * is marked as well. */
static size_t hive_detail_len(char *detail, size_t cap, size_t n)
{
	size_t dl = n < cap ? n : cap - 1;
	if (n >= cap && dl > 3)
		memcpy(detail + dl - 3, "...", 3);
	return dl;
}

/* The row without its time stamp into out (cap bytes with the NUL), cut
 * with "..." if it does not fit; returns its length. */
static size_t hive_row_body(char *out, size_t cap, const struct principal *who, const char *event,
                            const char *object, const char *detail, size_t dl)
{
	char esc[HIVE_LOG_LINE_MAX];
	struct strbuf sb;

	/* Every piece is bounded by the row: the row is cut, never split. */
	strbuf_init(&sb, out, cap);
	event = event ? event : "event";
	logline_escape(esc, sizeof esc, event, strlen(event), LOGLINE_FIELD);
	strbuf_printf(&sb, "%s role=%s ", esc, who ? principal_role_name(who->role) : "hive");
	if (who && who->subject[0]) {
		logline_escape(esc, sizeof esc, who->subject, strlen(who->subject), LOGLINE_FIELD);
		strbuf_printf(&sb, "subject=%s ", esc);
	} else {
		strbuf_printf(&sb, "subject=- ");
	}
	strbuf_printf(&sb, "session=%llu", who ? (unsigned long long)who->session_id : 0ull);
	if (object) {
		logline_escape(esc, sizeof esc, object, strlen(object), LOGLINE_FIELD);
		strbuf_printf(&sb, " object=%s", esc);
	}
	if (dl > 0 && sb.cap - sb.len > 2) {
		strbuf_append(&sb, " ", 1);
		sb.len += logline_escape(sb.buf + sb.len, sb.cap - sb.len, detail, dl, 0);
	}
	if (sb.overflow && sb.len >= 3)
		memcpy(out + sb.len - 3, "...", 3);
	return sb.len;
}

/* Stamp a row body with the time (and count= when count > 0) and write
 * it to stderr and /log/queen.log. */
static void hive_row_write(struct hive *hive, const char *body, size_t len, uint64_t count)
{
	char line[HIVE_LOG_LINE_MAX + 1];
	char when[LOGLINE_TIME_LEN + 8];
	struct strbuf sb;

	logline_time(when, sizeof when);
	strbuf_init(&sb, line, sizeof line - 1);
	strbuf_printf(&sb, "%s ", when);
	strbuf_append(&sb, body, len);
	if (count)
		strbuf_printf(&sb, " count=%llu", (unsigned long long)count);
	if (sb.overflow && sb.len >= 3)
		memcpy(line + sb.len - 3, "...", 3);
	line[sb.len++] = '\n';
	line[sb.len] = '\0';
	fwrite(line, 1, sb.len, stderr);
	if (hive->log)
		ns_ring_append(hive->log, line, sb.len);
}

/* Write a slot's repeats as its count= row. */
static void hive_fold_write(struct hive *hive, struct hive_deny_fold *f)
{
	uint64_t n = f->repeats;

	if (!n)
		return;
	f->repeats = 0;
	hive_row_write(hive, f->row, f->len, n);
}

void hive_deny_flush(struct hive *hive)
{
	struct hive_deny_folds *t = hive->deny_folds;

	for (uint32_t i = 0; t && i < HIVE_DENY_FOLD_SLOTS; i++)
		hive_fold_write(hive, &t->slot[i]);
}

static void hive_fold_free(struct hive_deny_folds *t, struct hive_deny_fold *f)
{
	f->len = 0;
	t->live--;
}

/* The window's end: write what folded, and let go of kinds that did not
 * repeat for a whole window; the timer stops with the last of them. */
static void hive_fold_tick(struct loop *loop, void *arg)
{
	struct hive *hive = arg;
	struct hive_deny_folds *t = hive->deny_folds;
	uint64_t now = loop_now_ms();

	for (uint32_t i = 0; t && i < HIVE_DENY_FOLD_SLOTS; i++) {
		struct hive_deny_fold *f = &t->slot[i];
		if (!f->len || now - f->since_ms < HIVE_DENY_FOLD_MS)
			continue;
		if (f->repeats) {
			hive_fold_write(hive, f);
			f->since_ms = now;
		} else {
			hive_fold_free(t, f);
		}
	}
	if ((!t || !t->live) && hive->deny_fold_timer > 0) {
		loop_del_timer(loop, hive->deny_fold_timer);
		hive->deny_fold_timer = 0;
	}
}

void hive_deny_close(struct hive *hive)
{
	hive_deny_flush(hive);
	if (hive->deny_fold_timer > 0 && hive->loop)
		loop_del_timer(hive->loop, hive->deny_fold_timer);
	hive->deny_fold_timer = 0;
	free(hive->deny_folds);
	hive->deny_folds = NULL;
}

/* FNV-1a: only to skip compares of rows that differ. */
static uint64_t hive_row_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* Is f the kind of this refusal (its key, or with klen 0 its row)? */
static int hive_fold_is(const struct hive_deny_fold *f, const char *key, size_t klen, uint64_t h,
                        const char *body, size_t len)
{
	if (!f->len || f->klen != klen || f->hash != h)
		return 0;
	return klen ? memcmp(f->key, key, klen) == 0 : f->len == len && memcmp(f->row, body, len) == 0;
}

/* Fold the refusal whose row is body and whose kind is key (klen 0: the
 * row), or say it must be written (0): the first HIVE_DENY_FOLD_AFTER of
 * its kind in a window are written (a person who tries twice sees two
 * rows), further repeats are counted. */
static int hive_fold(struct hive *hive, const char *key, size_t klen, const char *body, size_t len)
{
	struct hive_deny_folds *t = hive->deny_folds;
	struct hive_deny_fold *f, *victim = NULL;
	uint64_t now = loop_now_ms(), h = klen ? hive_row_hash(key, klen) : hive_row_hash(body, len);

	/* No log (after hive_tree_free) or no memory: every refusal is its
	 * own row, and nothing is left to free after shutdown. */
	if (!t && (!hive->log || !(t = hive->deny_folds = calloc(1, sizeof *t))))
		return 0;
	for (uint32_t i = 0; i < HIVE_DENY_FOLD_SLOTS; i++) {
		f = &t->slot[i];
		if (!f->len) {
			if (!victim || victim->len)
				victim = f;
			continue;
		}
		if (hive_fold_is(f, key, klen, h, body, len)) {
			f->used_ms = now;
			if (now - f->since_ms >= HIVE_DENY_FOLD_MS) {
				/* Without a loop (or a late timer) the window ends here. */
				hive_fold_write(hive, f);
				f->since_ms = now;
				f->written = 0;
			}
			if (klen) { /* a keyed kind's count= row shows its last refusal */
				memcpy(f->row, body, len);
				f->len = len;
			}
			if (f->written < HIVE_DENY_FOLD_AFTER) {
				f->written++;
				return 0;
			}
			f->repeats++;
			return 1;
		}
		if (!victim || (victim->len && f->used_ms < victim->used_ms))
			victim = f;
	}
	if (victim->len) {
		hive_fold_write(hive, victim);
		hive_fold_free(t, victim);
	}
	memcpy(victim->key, key, klen);
	victim->klen = klen;
	memcpy(victim->row, body, len);
	victim->len = len;
	victim->hash = h;
	victim->since_ms = victim->used_ms = now;
	victim->written = 1;
	victim->repeats = 0;
	t->live++;
	if (hive->loop && hive->deny_fold_timer <= 0) {
		int id = loop_add_timer(hive->loop, HIVE_DENY_FOLD_MS, hive_fold_tick, hive);
		hive->deny_fold_timer = id > 0 ? id : 0;
	}
	return 0;
}

/* The value of key= in key=value text into out ("" when absent). */
static void hive_kv(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, ' ')) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, " ");
			snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p + kl + 1);
			return;
		}
	}
}

/* The record type of an event word (and of an agent row's event=). */
static enum audit_type hive_audit_type(const char *event, const char *detail)
{
	static const struct {
		const char *word;
		enum audit_type type;
	} words[] = {
		{ "attach", AUDIT_ATTACH }, { "refuse", AUDIT_REFUSE }, { "ctl", AUDIT_CTL },
		{ "lifecycle", AUDIT_LIFECYCLE }, { "start", AUDIT_LIFECYCLE }, { "stop", AUDIT_LIFECYCLE },
		{ "spawn", AUDIT_SPAWN }, { "attest", AUDIT_ATTEST }, { "grant", AUDIT_GRANT },
		{ "revoke", AUDIT_REVOKE }, { "allow", AUDIT_ALLOW }, { "deny", AUDIT_DENY },
		{ "quota", AUDIT_QUOTA }, { "state", AUDIT_STATE }, { "infer", AUDIT_INFER },
		{ "exit", AUDIT_EXIT }, { "kill", AUDIT_LIFECYCLE },
	};
	char word[32];

	if (event && strcmp(event, "agent") == 0) {
		hive_kv(detail, "event", word, sizeof word);
		event = word;
	}
	for (size_t i = 0; event && i < sizeof words / sizeof words[0]; i++)
		if (strcmp(event, words[i].word) == 0)
			return words[i].type;
	return AUDIT_EVENT;
}

/* Say once per episode in queen.log that the log refuses records (the
 * refusal itself is counted by the writer). */
static void hive_audit_failing(struct hive *hive, int64_t rc)
{
	char body[HIVE_LOG_LINE_MAX], detail[128];
	struct audit_stats st;
	size_t len;
	int n;

	if (hive->audit_failing_said)
		return;
	hive->audit_failing_said = 1;
	audit_stats(hive->audit, &st);
	n = snprintf(detail, sizeof detail, "state=failing reason=%s refused=%llu", audit_reason((int)-rc),
	             (unsigned long long)st.refused);
	len = hive_row_body(body, HIVE_LOG_LINE_MAX - LOGLINE_TIME_LEN - 8, NULL, "audit", NULL, detail,
	                    n > 0 ? (size_t)n : 0);
	hive_row_write(hive, body, len, 0);
}

/* Append one record; its seq or -errno lands in hive->audit_last. */
static int64_t hive_audit_put(struct hive *hive, const struct principal *who, enum audit_type type,
                              enum audit_result result, const char *object, const char *cap,
                              const char *detail, size_t dl)
{
	struct audit_rec *r;
	static struct audit_rec rec; /* ~4 KiB: off the stack; loop thread only */
	static char text[HIVE_AUDIT_DETAIL_MAX + 1];
	int64_t rc;

	if (!hive->audit)
		return hive->audit_last = 0;
	r = &rec;
	r->aid[0] = '\0';
	r->type = type;
	r->result = result;
	if (who && who->role == HIVE_ROLE_WORKER)
		snprintf(r->aid, sizeof r->aid, "%.*s", (int)sizeof r->aid - 1, who->subject);
	/* A peer's text never makes a record fail: control bytes are escaped. */
	audit_field_set(r->cap, sizeof r->cap, cap ? cap : "");
	audit_field_set(r->object, sizeof r->object, object ? object : "");
	snprintf(text, sizeof text, "role=%s session=%llu %.*s", who ? principal_role_name(who->role) : "hive",
	         who ? (unsigned long long)who->session_id : 0ull, (int)dl, detail);
	audit_field_set(r->detail, sizeof r->detail, text);
	rc = audit_append(hive->audit, r);
	if (rc < 0)
		hive_audit_failing(hive, rc);
	return hive->audit_last = rc;
}

int64_t hive_record(struct hive *hive, const struct principal *who, enum audit_type type,
                    enum audit_result result, const char *object, const char *cap, const char *fmt, ...)
{
	char detail[HIVE_AUDIT_DETAIL_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return hive_audit_put(hive, who, type, result, object, cap, detail,
	                      n > 0 ? hive_detail_len(detail, sizeof detail, (size_t)n) : 0);
}

int hive_audit_ok(struct hive *hive)
{
	return hive->audit ? audit_ok(hive->audit) : 0;
}

int hive_audit_durable(struct hive *hive, int64_t seq)
{
	if (seq < 0 || !hive->audit)
		return seq < 0 ? (int)seq : 0;
	return audit_wait_durable(hive->audit, (uint64_t)seq, HIVE_AUDIT_DURABLE_WAIT_MS);
}

void hive_event(struct hive *hive, const struct principal *who, const char *event, const char *object,
                const char *fmt, ...)
{
	char body[HIVE_LOG_LINE_MAX], detail[HIVE_LOG_LINE_MAX], when[LOGLINE_TIME_LEN + 8];
	va_list ap;
	size_t dl = 0, len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (n > 0)
		dl = hive_detail_len(detail, sizeof detail, (size_t)n);
	/* The row keeps its place after the refusals folded before it. */
	hive_deny_flush(hive);
	{
		char cap[HIVE_ATTEST_CAP_MAX + 1];
		enum audit_type type = hive_audit_type(event, detail);
		hive_kv(detail, "cap", cap, sizeof cap);
		hive_audit_put(hive, who, type, strstr(detail, "outcome=deny") ? AUDIT_R_DENY
		                                 : strstr(detail, "result=ok") || strstr(detail, "outcome=allow")
		                                       ? AUDIT_R_OK : AUDIT_R_INFO,
		               object, cap, detail, dl);
	}
	logline_time(when, sizeof when);
	len = hive_row_body(body, HIVE_LOG_LINE_MAX - strlen(when) - 1, who, event, object, detail, dl);
	hive_row_write(hive, body, len, 0);
}

/* Per op: its name (op=, /proc/pressure) and the event word of its row. */
static const struct {
	const char *name, *event;
} hive_deny_ops[HIVE_DENY_OPS] = {
	[HIVE_DENY_WALK] = { "walk", "deny" },         [HIVE_DENY_OPEN] = { "open", "deny" },
	[HIVE_DENY_WRITE] = { "write", "deny" },       [HIVE_DENY_REMOVE] = { "remove", "deny" },
	[HIVE_DENY_WSTAT] = { "wstat", "deny" },       [HIVE_DENY_SETATTR] = { "setattr", "deny" },
	[HIVE_DENY_ATTACH] = { "attach", "attach" },   [HIVE_DENY_TICKET] = { "ticket", "attach" },
	[HIVE_DENY_THROTTLE] = { "throttle", "attach" }, [HIVE_DENY_CTL] = { "ctl", "ctl" },
	[HIVE_DENY_SESSION] = { "session", "refuse" }, [HIVE_DENY_CREATE] = { "create", "deny" },
	[HIVE_DENY_RENAME] = { "rename", "deny" },     [HIVE_DENY_VERB] = { "verb", "deny" },
	[HIVE_DENY_CUT] = { "cut", "session" },        [HIVE_DENY_SYSCALL] = { "syscall", "agent" },
	[HIVE_DENY_SPAWN] = { "spawn", "agent" },      [HIVE_DENY_INFER] = { "infer", "broker" },
};

const char *hive_deny_op_name(enum hive_deny_op op)
{
	return (unsigned)op < HIVE_DENY_OPS ? hive_deny_ops[op].name : "unknown";
}

static void hive_deny_v(struct hive *hive, const struct principal *who, enum hive_pressure_class cls,
                        enum hive_deny_op op, const char *object, const char *reason,
                        const struct hive_deny_opts *opts, const char *fmt, va_list ap)
{
	char detail[HIVE_LOG_LINE_MAX], body[HIVE_LOG_LINE_MAX], key[HIVE_DENY_KEY_ROOM];
	char when[LOGLINE_TIME_LEN + 8];
	const char *family;
	size_t dl, len, klen = 0;
	int n = 0;

	switch (cls) {
	case HIVE_PRESSURE_BUSY: hive->pressure.busy++; break;
	case HIVE_PRESSURE_QUOTA: hive->pressure.quota++; break;
	case HIVE_PRESSURE_CUT: hive->pressure.cut++; break;
	case HIVE_PRESSURE_POLICY: hive->pressure.policy++; break;
	}
	if ((unsigned)op >= HIVE_DENY_OPS)
		op = HIVE_DENY_OPS; /* counted by class only; named "unknown" */
	else
		hive->denials[op]++;
	reason = reason && reason[0] ? reason : "-";
	family = opts && opts->family ? opts->family : op < HIVE_DENY_OPS ? hive_deny_ops[op].event : "deny";
	n = snprintf(detail, sizeof detail, "op=%s outcome=deny reason=%s", hive_deny_op_name(op), reason);
	if (fmt && n > 0 && (size_t)n + 1 < sizeof detail) {
		detail[n++] = ' ';
		int m = vsnprintf(detail + n, sizeof detail - (size_t)n, fmt, ap);
		n = m > 0 ? n + m : n - 1;
	}
	dl = n > 0 ? hive_detail_len(detail, sizeof detail, (size_t)n) : 0;
	{
		/* One record per refusal, before the fold decides about the row. */
		char cap[HIVE_ATTEST_CAP_MAX + 1], rdetail[HIVE_AUDIT_DETAIL_MAX + 1];
		int m = snprintf(rdetail, sizeof rdetail, "family=%s %.*s", family, (int)dl, detail);
		hive_kv(detail, "cap", cap, sizeof cap);
		hive_audit_put(hive, who, AUDIT_DENY, AUDIT_R_DENY, object, cap, rdetail,
		               m > 0 ? hive_detail_len(rdetail, sizeof rdetail, (size_t)m) : 0);
	}
	logline_time(when, sizeof when);
	len = hive_row_body(body, HIVE_LOG_LINE_MAX - strlen(when) - 1 - HIVE_ROW_COUNT_ROOM, who, family, object,
	                    detail, dl);
	if (opts && opts->fold_key && opts->fold_key[0]) {
		n = snprintf(key, sizeof key, "%s %s %s %s", family, hive_deny_op_name(op), reason, opts->fold_key);
		klen = n > 0 && (size_t)n < sizeof key ? (size_t)n : 0;
	}
	if (hive_fold(hive, key, klen, body, len))
		return;
	hive_row_write(hive, body, len, 0);
}

void hive_deny(struct hive *hive, const struct principal *who, enum hive_pressure_class cls,
               enum hive_deny_op op, const char *object, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hive_deny_v(hive, who, cls, op, object, reason, NULL, fmt, ap);
	va_end(ap);
}

void hive_deny_with(struct hive *hive, const struct principal *who, enum hive_pressure_class cls,
                    enum hive_deny_op op, const char *object, const char *reason,
                    const struct hive_deny_opts *opts, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hive_deny_v(hive, who, cls, op, object, reason, opts, fmt, ap);
	va_end(ap);
}
