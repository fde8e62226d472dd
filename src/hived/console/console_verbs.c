/*
 * console_verbs.c — the console's verbs: AUTH, ATTACH, PING, QUIT, LS,
 * CAT, TAIL, LOG, ECHO (SPAWN and KILL answer `unsupported` for now).
 *
 * Each verb is one function that answers with exactly one `OK <VERB> ...`
 * or `ERR <VERB> reason=<class> detail=<token> ...` line, plus payload
 * lines and `END` for the streaming verbs. The ack always comes before
 * the payload, so replies are fully read into bounded buffers first.
 * Namespace access goes through ns.h with the session's principal, so the
 * console sees exactly the view the 9P server gives the same ticket.
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/net/auth.h"

struct verb {
	const char *name;
	enum console_state min_state; /* lowest state that may use it */
	void (*fn)(struct console_session *s, const char *verb, char *args);
};

static struct hive *session_hive(const struct console_session *s)
{
	return s->con->hive;
}

/* Split off the next space-separated word of *p (NULL when none). */
static char *next_word(char **p)
{
	char *s = *p;
	if (!s)
		return NULL;
	while (*s == ' ')
		s++;
	if (!*s) {
		*p = NULL;
		return NULL;
	}
	char *e = strchr(s, ' ');
	if (e) {
		*e = '\0';
		*p = e + 1;
	} else {
		*p = NULL;
	}
	return s;
}

static int rest_is_empty(const char *p)
{
	while (p && *p == ' ')
		p++;
	return !p || !*p;
}

/* --- namespace errors ------------------------------------------------------ */

/* The console's names for ns error codes (docs/console.md lists them). */
static const char *ns_detail(int code)
{
	switch (code) {
	case EACCES:
	case EPERM:
	case EROFS:
		return "denied";
	case ENOENT:
		return "not-found";
	case EBUSY:
	case EAGAIN:
	case ENOSPC:
	case EDQUOT:
	case ESTALE:
		return "busy";
	default:
		return "invalid";
	}
}

/* `ERR <VERB> reason=policy detail=<d> path=<p> error=<msg>`, spaces in
 * msg as '_' so the line stays key=value. */
static void ns_refuse(struct console_session *s, const char *verb, const char *path, int code,
                      const char *msg)
{
	char m[HIVE_ERRSTR_MAX];
	size_t i = 0;
	for (; msg && msg[i] && i < sizeof m - 1; i++)
		m[i] = (msg[i] == ' ' || (unsigned char)msg[i] < 0x20) ? '_' : msg[i];
	m[i] = '\0';
	if (!i)
		snprintf(m, sizeof m, "%s", strerror(code > 0 ? code : EIO));
	for (char *c = m; *c; c++)
		if (*c == ' ')
			*c = '_';
	/* A refusal here already passed the deny door inside ns. */
	console_refuse(s, verb, "policy", "detail=%s path=%s error=%s", ns_detail(code), path, m);
}

/* Walk an absolute path one element at a time as the session's principal.
 * Returns 0 with a reference in *out, or -1 after replying. */
static int walk_path(struct console_session *s, const char *verb, const char *path,
                     struct ns_node **out)
{
	struct hive *hive = session_hive(s);
	const struct principal *who = &s->hs->who;
	if (path[0] != '/' || strlen(path) > HIVE_PATH_MAX) {
		ns_refuse(s, verb, path, EINVAL, "path must be absolute");
		return -1;
	}
	struct ns_node *cur = ns_root(hive->ns);
	ns_node_ref(cur);
	const char *p = path + 1;
	unsigned depth = 0;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 && e && !e[1])
			break; /* one trailing slash: "/proc/" is "/proc" */
		/* Cohesix rejects these; ".." would only clamp at the root here,
		 * but a path that says something other than what it walks is refused. */
		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			ns_node_unref(cur);
			ns_refuse(s, verb, path, EINVAL, "invalid path element");
			return -1;
		}
		if (len > HIVE_NAME_MAX || ++depth > HIVE_PATH_DEPTH_MAX) {
			ns_node_unref(cur);
			ns_refuse(s, verb, path, ENAMETOOLONG, "path too long");
			return -1;
		}
		struct ns_node *next = NULL;
		struct err err = { 0 };
		int rc = ns_walk1(hive->ns, who, cur, p, len, &next, &err);
		ns_node_unref(cur);
		if (rc < 0) {
			ns_refuse(s, verb, path, err.code ? err.code : -rc, err.msg);
			return -1;
		}
		cur = next;
		if (!e)
			break;
		p = e + 1;
	}
	*out = cur;
	return 0;
}

/* Walk and open; refuses directories unless want_dir. */
static struct ns_file *open_path(struct console_session *s, const char *verb, const char *path,
                                 int omode, int want_dir)
{
	struct hive *hive = session_hive(s);
	struct ns_node *node = NULL;
	if (walk_path(s, verb, path, &node) < 0)
		return NULL;
	int dir = ns_node_is_dir(node);
	if (dir != want_dir) {
		ns_node_unref(node);
		ns_refuse(s, verb, path, dir ? EISDIR : ENOTDIR,
		          dir ? "is a directory" : "not a directory");
		return NULL;
	}
	struct ns_file *f = NULL;
	struct err err = { 0 };
	int rc = ns_open(hive->ns, &s->hs->who, node, omode, &f, &err);
	ns_node_unref(node);
	if (rc < 0) {
		ns_refuse(s, verb, path, err.code ? err.code : -rc, err.msg);
		return NULL;
	}
	return f;
}

/* Read from offset 0 until EOF or cap bytes. Returns bytes or -1 after
 * replying. An append-only file (a ring) is read in one call: its reads
 * below the window restart at the window's base, so a second read at
 * "where the first stopped" could serve the same bytes again. */
static ssize_t read_upto(struct console_session *s, const char *verb, const char *path,
                         struct ns_file *f, char *buf, size_t cap, int *more)
{
	struct ns_attr attr;
	ns_getattr(ns_file_node(f), &attr);
	int single = (attr.qid_type & NS_QTAPPEND) != 0;
	size_t got = 0;
	*more = 0;
	while (got < cap) {
		struct err err = { 0 };
		ssize_t n = ns_read(f, got, buf + got, cap - got, &err);
		if (n < 0) {
			ns_refuse(s, verb, path, err.code ? err.code : (int)-n, err.msg);
			return -1;
		}
		if (n == 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (single) {
			*more = got == cap;
			return (ssize_t)got;
		}
	}
	char probe;
	struct err err = { 0 };
	*more = ns_read(f, got, &probe, 1, &err) > 0;
	return (ssize_t)got;
}

/* The next reply line of buf from *pos: up to '\n', at most a frame long
 * (longer lines continue on the next reply line). Returns its length and
 * start, or -1 at the end. */
static long next_line(const char *buf, size_t len, size_t *pos, size_t *start)
{
	size_t b = *pos, e = b;
	if (b >= len)
		return -1;
	while (e < len && buf[e] != '\n' && e - b < HIVE_CONSOLE_LINE_MAX)
		e++;
	if (e < len && buf[e] != '\n') {
		size_t cut = console_utf8_cut((const uint8_t *)buf + b, len - b, HIVE_CONSOLE_LINE_MAX);
		if (cut > 0)
			e = b + cut;
	}
	*start = b;
	*pos = (e < len && buf[e] == '\n') ? e + 1 : e;
	return (long)(e - b);
}

/* --- verbs ------------------------------------------------------------------ */

/* Throttled or locked out (auth.c counted and logged it): refuse without
 * trying. Returns 1 if refused. */
static int throttled(struct console_session *s, const char *verb)
{
	struct auth_verdict v;
	if (auth_gate(session_hive(s), s->hs, &v) == 0)
		return 0;
	console_refuse(s, verb, "quota", "detail=%s delay_ms=%llu", v.detail,
	               (unsigned long long)v.delay_ms);
	return 1;
}

static void verb_auth(struct console_session *s, const char *verb, char *args)
{
	struct hive *hive = session_hive(s);
	if (s->state != CONSOLE_NEW) {
		console_refuse(s, verb, "policy", "detail=already-authenticated");
		return;
	}
	if (throttled(s, verb)) {
		console_close_after_reply(s, "throttled");
		return;
	}
	const char *want = hive->cfg.console_token;
	const char *got = args ? args : "";
	size_t n = strlen(want);
	/* Length first (it is not secret), then a constant-time compare. */
	if (n == 0 || strlen(got) != n || sodium_memcmp(got, want, n) != 0) {
		struct auth_verdict v;
		auth_refuse(hive, s->hs, "invalid-token", &v);
		console_reply(s, "ERR AUTH reason=invalid-token");
		console_close_after_reply(s, "invalid-token");
		return;
	}
	s->state = CONSOLE_AUTHED;
	console_reply(s, "OK AUTH");
}

static void verb_attach(struct console_session *s, const char *verb, char *args)
{
	struct hive *hive = session_hive(s);
	if (s->state == CONSOLE_ATTACHED) {
		console_refuse(s, verb, "policy", "detail=already-attached");
		return;
	}
	char *word = next_word(&args);
	char *token = next_word(&args);
	if (!word || !rest_is_empty(args) || strlen(word) > HIVE_CONSOLE_ROLE_MAX) {
		console_refuse(s, verb, "policy", "detail=invalid-args usage=ATTACH_<role>_<ticket>");
		return;
	}
	for (char *c = word; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	enum hive_role role = principal_role_parse(word);
	if (role == HIVE_ROLE_NONE) {
		console_refuse(s, verb, "policy", "detail=invalid-role");
		return;
	}
	if (throttled(s, verb))
		return;
	struct auth_verdict v;
	/* TCP has no peer credentials: every role, queen included, needs a ticket. */
	if (!token) {
		auth_refuse(hive, s->hs, "ticket-required", &v);
		console_refuse(s, verb, "policy", "detail=ticket-required");
		return;
	}
	struct principal who;
	if (auth_ticket(hive, s->hs, token, role, NULL, &who, &v) < 0) {
		console_refuse(s, verb, "policy", "detail=%s", v.detail);
		return;
	}
	s->state = CONSOLE_ATTACHED;
	auth_allow(hive, s->hs, &who);
	/* The subject is MAC'd by the hive, but keep the reply one clean line. */
	char subject[HIVE_SUBJECT_MAX + 1];
	snprintf(subject, sizeof subject, "%s", who.subject[0] ? who.subject : "-");
	for (char *c = subject; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7F)
			*c = '_';
	console_reply(s, "OK ATTACH role=%s subject=%s", principal_role_name(who.role), subject);
}

static void verb_ping(struct console_session *s, const char *verb, char *args)
{
	console_reply(s, "PONG");
	console_reply(s, "OK PING reply=pong");
}

static void verb_quit(struct console_session *s, const char *verb, char *args)
{
	console_reply(s, "OK QUIT");
	console_close_after_reply(s, NULL);
}

static void verb_unsupported(struct console_session *s, const char *verb, char *args)
{
	console_refuse(s, verb, "policy", "detail=unsupported");
}

/* One path argument and nothing else; replies and returns NULL if not. */
static char *one_path(struct console_session *s, const char *verb, char *args)
{
	char *path = next_word(&args);
	if (!path || !rest_is_empty(args)) {
		console_refuse(s, verb, "policy", "detail=invalid-args usage=%s_<path>", verb);
		return NULL;
	}
	return path;
}

static void verb_ls(struct console_session *s, const char *verb, char *args)
{
	struct hive *hive = session_hive(s);
	char *path = one_path(s, verb, args);
	if (!path)
		return;
	struct ns_file *f = open_path(s, verb, path, NS_OREAD, 1);
	if (!f)
		return;
	struct ns_node *dir = ns_file_node(f);
	const char *names[HIVE_CONSOLE_LINES_MAX];
	size_t n = 0;
	for (; n < HIVE_CONSOLE_LINES_MAX; n++) {
		struct ns_node *c = ns_dir_child(hive->ns, &s->hs->who, dir, n);
		if (!c)
			break;
		names[n] = ns_node_name(c);
	}
	int more = n == HIVE_CONSOLE_LINES_MAX && ns_dir_child(hive->ns, &s->hs->who, dir, n);
	console_reply(s, "OK LS path=%s entries=%zu%s", path, n, more ? " truncated=1" : "");
	for (size_t i = 0; i < n; i++)
		console_reply_bytes(s, names[i], strlen(names[i]));
	console_reply(s, "END");
	ns_close(f);
}

static void verb_cat(struct console_session *s, const char *verb, char *args)
{
	char *path = one_path(s, verb, args);
	if (!path)
		return;
	char *buf = malloc(HIVE_CONSOLE_CAT_BYTES_MAX);
	if (!buf) {
		console_refuse(s, verb, "busy", "detail=out-of-memory");
		return;
	}
	struct ns_file *f = open_path(s, verb, path, NS_OREAD, 0);
	if (!f)
		goto out;
	int more = 0;
	ssize_t len = read_upto(s, verb, path, f, buf, HIVE_CONSOLE_CAT_BYTES_MAX, &more);
	ns_close(f);
	if (len < 0)
		goto out;
	/* Count what fits in LINES_MAX reply lines, then ack, then send it. */
	size_t pos = 0, start, lines = 0;
	while (lines < HIVE_CONSOLE_LINES_MAX && next_line(buf, (size_t)len, &pos, &start) >= 0)
		lines++;
	if (pos < (size_t)len)
		more = 1;
	size_t shown = pos;
	console_reply(s, "OK CAT path=%s bytes=%zu lines=%zu%s", path, shown, lines,
	              more ? " truncated=1" : "");
	pos = 0;
	long k;
	while (pos < shown && (k = next_line(buf, shown, &pos, &start)) >= 0)
		console_reply_bytes(s, buf + start, (size_t)k);
	console_reply(s, "END");
out:
	free(buf);
}

/* The last LINES_MAX lines of a file, found by scanning it through a
 * bounded window (starting near its end when its length is known). */
static void tail_path(struct console_session *s, const char *verb, const char *path)
{
	char *win = malloc(HIVE_CONSOLE_TAIL_BYTES_MAX);
	if (!win) {
		console_refuse(s, verb, "busy", "detail=out-of-memory");
		return;
	}
	struct ns_file *f = open_path(s, verb, path, NS_OREAD, 0);
	if (!f)
		goto out;
	struct ns_attr attr;
	ns_getattr(ns_file_node(f), &attr);
	uint64_t off = 0;
	int cut_front = 0;
	if (attr.length > HIVE_CONSOLE_TAIL_BYTES_MAX) {
		off = attr.length - HIVE_CONSOLE_TAIL_BYTES_MAX;
		cut_front = 1;
	}
	size_t wlen = 0, scanned = 0;
	for (;;) {
		if (wlen == HIVE_CONSOLE_TAIL_BYTES_MAX) {
			/* Window full: keep its newer half and read on. */
			size_t keep = HIVE_CONSOLE_TAIL_BYTES_MAX / 2;
			memmove(win, win + wlen - keep, keep);
			wlen = keep;
			cut_front = 1;
		}
		struct err err = { 0 };
		ssize_t n = ns_read(f, off, win + wlen, HIVE_CONSOLE_TAIL_BYTES_MAX - wlen, &err);
		if (n < 0) {
			ns_close(f);
			ns_refuse(s, verb, path, err.code ? err.code : (int)-n, err.msg);
			goto out;
		}
		if (n == 0)
			break;
		wlen += (size_t)n;
		off += (uint64_t)n;
		scanned += (size_t)n;
		if (scanned >= HIVE_CONSOLE_TAIL_SCAN_MAX)
			break;
	}
	ns_close(f);
	size_t pos = 0;
	if (cut_front) {
		/* The first line in the window is a fragment of a longer one. */
		char *nl = memchr(win, '\n', wlen);
		pos = nl ? (size_t)(nl - win) + 1 : wlen;
	}
	size_t starts[HIVE_CONSOLE_LINES_MAX], lens[HIVE_CONSOLE_LINES_MAX];
	size_t total = 0, start;
	long k;
	while ((k = next_line(win, wlen, &pos, &start)) >= 0) {
		starts[total % HIVE_CONSOLE_LINES_MAX] = start;
		lens[total % HIVE_CONSOLE_LINES_MAX] = (size_t)k;
		total++;
	}
	size_t first = total > HIVE_CONSOLE_LINES_MAX ? total - HIVE_CONSOLE_LINES_MAX : 0;
	if (strcmp(verb, "LOG") == 0)
		console_reply(s, "OK LOG lines=%zu", total - first);
	else
		console_reply(s, "OK TAIL path=%s lines=%zu", path, total - first);
	for (size_t i = first; i < total; i++)
		console_reply_bytes(s, win + starts[i % HIVE_CONSOLE_LINES_MAX],
		                    lens[i % HIVE_CONSOLE_LINES_MAX]);
	console_reply(s, "END");
out:
	free(win);
}

static void verb_tail(struct console_session *s, const char *verb, char *args)
{
	char *path = one_path(s, verb, args);
	if (path)
		tail_path(s, verb, path);
}

static void verb_log(struct console_session *s, const char *verb, char *args)
{
	if (!rest_is_empty(args)) {
		console_refuse(s, verb, "policy", "detail=invalid-args usage=LOG");
		return;
	}
	tail_path(s, verb, "/log/queen.log");
}

static void verb_echo(struct console_session *s, const char *verb, char *args)
{
	char *path = next_word(&args);
	/* The payload is the rest of the line after one space, spaces kept. */
	if (!path || !args || !*args) {
		console_refuse(s, verb, "policy", "detail=invalid-args usage=ECHO_<path>_<payload>");
		return;
	}
	char data[HIVE_CONSOLE_LINE_MAX + 1];
	size_t n = strlen(args);
	memcpy(data, args, n);
	data[n++] = '\n';
	struct ns_file *f = open_path(s, verb, path, NS_OWRITE, 0);
	if (!f)
		return;
	struct err err = { 0 };
	ssize_t w = ns_write(f, 0, data, n, &err);
	ns_close(f);
	if (w < 0) {
		ns_refuse(s, verb, path, err.code ? err.code : (int)-w, err.msg);
		return;
	}
	console_reply(s, "OK ECHO path=%s bytes=%zd", path, w);
}

static const struct verb verbs[] = {
	{ "AUTH", CONSOLE_NEW, verb_auth },
	{ "PING", CONSOLE_NEW, verb_ping },
	{ "QUIT", CONSOLE_NEW, verb_quit },
	{ "ATTACH", CONSOLE_AUTHED, verb_attach },
	{ "LS", CONSOLE_ATTACHED, verb_ls },
	{ "CAT", CONSOLE_ATTACHED, verb_cat },
	{ "TAIL", CONSOLE_ATTACHED, verb_tail },
	{ "LOG", CONSOLE_ATTACHED, verb_log },
	{ "ECHO", CONSOLE_ATTACHED, verb_echo },
	{ "SPAWN", CONSOLE_ATTACHED, verb_unsupported },
	{ "KILL", CONSOLE_ATTACHED, verb_unsupported },
};

void console_dispatch(struct console_session *s, char *line, size_t len)
{
	char *args = line;
	char *word = next_word(&args);
	char verb[HIVE_CONSOLE_VERB_MAX + 1];
	size_t n = word ? strlen(word) : 0;
	int ok = n > 0 && n <= HIVE_CONSOLE_VERB_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		unsigned char c = (unsigned char)word[i];
		ok = isalnum(c) || c == '-' || c == '_';
		verb[i] = (char)toupper(c);
	}
	if (!ok) {
		console_refuse(s, "PARSE", "policy", "detail=invalid-verb");
		return;
	}
	verb[n] = '\0';
	const struct verb *v = NULL;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(verbs[i].name, verb) == 0)
			v = &verbs[i];
	/* Before ATTACH every verb but AUTH/ATTACH/PING/QUIT is refused the
	 * same way, known or not, so an unauthenticated peer learns nothing. */
	if (v && v->min_state <= s->state) {
		v->fn(s, verb, args);
		return;
	}
	if (s->state != CONSOLE_ATTACHED) {
		hive_deny(session_hive(s), &s->hs->who, HIVE_PRESSURE_POLICY, HIVE_DENY_VERB, NULL,
		          "unauthenticated", "verb=%s transport=console peer=%s", verb, s->hs->peer);
		console_refuse(s, verb, "policy", "detail=unauthenticated");
	} else
		console_refuse(s, verb, "policy", "detail=unknown-verb");
}
