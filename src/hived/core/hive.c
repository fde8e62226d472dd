/*
 * hive.c — the table of live sessions (with the owner's reserve and the
 * pre-auth pool) and hive_event, the one place an event becomes a row of
 * /log/queen.log (and, later, of the audit chain).
 *
 * Row format (docs/namespace.md, "queen.log"), one line, at most
 * HIVE_LOG_LINE_MAX bytes:
 *   <time> <event> role=<r> subject=<s|-> session=<id> [object=<o>] <detail>
 * role, subject and object are escaped as fields (no blank, '=' or control
 * byte survives raw); detail is escaped as text (blanks kept). A row that
 * would be too long is cut and ends in "...".
 */
#include "hive.h"
#include "lib/logline.h"
#include "loop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		char id[HIVE_PEER_ID_MAX], detail[160];
		size_t n = peer_id_len(key);
		snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), key);
		snprintf(detail, sizeof detail, "limit=%u transport=%s peer=%s", limit,
		         transport ? transport : "-", peer && peer[0] ? peer : "-");
		hive->sessions_refused++;
		fold_deny(hive, NULL, HIVE_PRESSURE_BUSY, HIVE_DENY_SESSION, id, why, detail, loop_now_ms());
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
	char detail[96];
	snprintf(detail, sizeof detail, "transport=%s errno=%d", transport ? transport : "-", err);
	hive->sessions_refused++;
	/* No peer is known before accept(2) returns: all such refusals fold together. */
	fold_deny(hive, NULL, HIVE_PRESSURE_BUSY, HIVE_DENY_SESSION, "accept", "out-of-fds", detail,
	          loop_now_ms());
}

void hive_session_authed(struct hive *hive, struct hive_session *s)
{
	if (!s || !s->pending)
		return;
	s->pending = 0;
	hive->npending--;
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
	free(s);
}

void hive_event(struct hive *hive, const struct principal *who, const char *event, const char *object,
                const char *fmt, ...)
{
	char line[HIVE_LOG_LINE_MAX + 1], detail[HIVE_LOG_LINE_MAX], esc[HIVE_LOG_LINE_MAX];
	char when[LOGLINE_TIME_LEN + 8];
	struct strbuf sb;
	va_list ap;
	int n;

	logline_time(when, sizeof when);
	/* Every piece is bounded by the row: the row is cut, never split. */
	strbuf_init(&sb, line, sizeof line - 1);
	strbuf_printf(&sb, "%s ", when);
	logline_escape(esc, sizeof esc, event ? event : "event", strlen(event ? event : "event"), LOGLINE_FIELD);
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
	va_start(ap, fmt);
	n = vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (n > 0) {
		size_t dl = (size_t)n < sizeof detail ? (size_t)n : sizeof detail - 1;
		size_t room = sb.cap - sb.len;
		if (room > 2) {
			strbuf_append(&sb, " ", 1);
			/* A detail cut by vsnprintf is marked as well. */
			if ((size_t)n >= sizeof detail && dl > 3)
				memcpy(detail + dl - 3, "...", 3);
			sb.len += logline_escape(sb.buf + sb.len, sb.cap - sb.len, detail, dl, 0);
		}
	}
	if (sb.overflow && sb.len >= 3)
		memcpy(line + sb.len - 3, "...", 3);
	line[sb.len++] = '\n';
	line[sb.len] = '\0';
	fwrite(line, 1, sb.len, stderr);
	if (hive->log)
		ns_ring_append(hive->log, line, sb.len);
}

const char *hive_deny_op_name(enum hive_deny_op op)
{
	static const char *const names[HIVE_DENY_OPS] = {
		[HIVE_DENY_WALK] = "walk",       [HIVE_DENY_OPEN] = "open",         [HIVE_DENY_WRITE] = "write",
		[HIVE_DENY_REMOVE] = "remove",   [HIVE_DENY_WSTAT] = "wstat",       [HIVE_DENY_SETATTR] = "setattr",
		[HIVE_DENY_ATTACH] = "attach",   [HIVE_DENY_TICKET] = "ticket",     [HIVE_DENY_THROTTLE] = "throttle",
		[HIVE_DENY_CTL] = "ctl",         [HIVE_DENY_SESSION] = "session",
	};
	return (unsigned)op < HIVE_DENY_OPS ? names[op] : "unknown";
}

void hive_deny(struct hive *hive, const struct principal *who, enum hive_pressure_class cls,
               enum hive_deny_op op, const char *object, const char *reason, const char *fmt, ...)
{
	char detail[HIVE_LOG_LINE_MAX];
	va_list ap;

	switch (cls) {
	case HIVE_PRESSURE_BUSY: hive->pressure.busy++; break;
	case HIVE_PRESSURE_QUOTA: hive->pressure.quota++; break;
	case HIVE_PRESSURE_CUT: hive->pressure.cut++; break;
	case HIVE_PRESSURE_POLICY: hive->pressure.policy++; break;
	}
	if ((unsigned)op < HIVE_DENY_OPS)
		hive->denials[op]++;
	detail[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
	}
	hive_event(hive, who, hive_deny_op_name(op), object, "outcome=deny reason=%s%s%s", reason ? reason : "-",
	           detail[0] ? " " : "", detail);
}
