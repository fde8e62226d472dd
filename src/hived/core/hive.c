/*
 * hive.c — the table of live sessions and hive_event, the one place an
 * event becomes a row of /log/queen.log (and, later, of the audit chain).
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

struct hive_session *hive_session_add(struct hive *hive, const char *transport, const char *peer)
{
	struct hive_session *s;

	if (hive->nsessions >= HIVE_SESSIONS_MAX) {
		/* The caller counts pressure.busy: it knows the transport. */
		hive->sessions_refused++;
		hive_event(hive, NULL, "refuse", NULL, "reason=sessions-max limit=%u transport=%s",
		           HIVE_SESSIONS_MAX, transport ? transport : "-");
		errno = EMFILE;
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
	s->who.role = HIVE_ROLE_NONE;
	s->who.session_id = s->id;
	s->who.transport = s->transport;
	s->since_ms = s->last_ms = loop_now_ms();
	s->next = hive->sessions;
	if (hive->sessions)
		hive->sessions->prev = s;
	hive->sessions = s;
	hive->nsessions++;
	hive->sessions_total++;
	return s;
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
