/* Unit tests for the hive's tree as built by hive_tree_build: role views
 * of /queen, /agent and /log, the /proc formats, queen.log rows from
 * hive_event (fields, escaping, bounds), the session table, and the
 * /queen/ctl and /queen/lifecycle/ctl grammars including JSON strictness. */
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/ns/procfs.h"
#include "hived/ns/queenctl.h"
#include "test.h"
#include "hive_fixture.h"
#include "ns_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct principal P(enum hive_role role, const char *subject, uint64_t sid)
{
	return ns_fx_principal(role, subject, sid, "unix");
}

static ssize_t cat(struct hive *h, const struct principal *who, const char *path, char *buf, size_t cap)
{
	return ns_fx_read_all(h->ns, who, path, buf, cap);
}

static ssize_t echo(struct hive *h, const struct principal *who, const char *path, const char *data,
                    struct err *err)
{
	return ns_fx_write_at(h->ns, who, path, 0, data, err);
}

/* The last line of queen.log, without its newline. */
static const char *last_line(struct hive *h)
{
	static char buf[HIVE_LOG_LINE_MAX * 4];
	struct err err;
	uint64_t end = ns_ring_end(h->log);
	uint64_t from = end > sizeof buf - 1 ? end - (sizeof buf - 1) : 0;
	ssize_t n = ns_ring_read(h->log, from, buf, sizeof buf - 1, &err);
	if (n <= 0)
		return "";
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[--n] = '\0';
	char *nl = strrchr(buf, '\n');
	return nl ? nl + 1 : buf;
}

/* The last row of queen.log without its time stamp. */
static const char *last_row(struct hive *h)
{
	const char *line = last_line(h);
	const char *sp = strchr(line, ' ');
	return sp ? sp + 1 : line;
}

static int rows_with(struct hive *h, const char *needle)
{
	static char buf[HIVE_LOG_RING_BYTES + 1];
	struct err err;
	ssize_t n = ns_ring_read(h->log, 0, buf, sizeof buf - 1, &err);
	int count = 0;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (char *p = buf; (p = strstr(p, needle)); p++)
		count++;
	return count;
}

/* --- views ---------------------------------------------------------------- */

TEST(views_of_the_hive_tree)
{
	struct hive *h = hive_fx_make(1000);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL, 1), w = P(HIVE_ROLE_WORKER, "w1", 7),
	                 o = P(HIVE_ROLE_OBSERVER, "obs", 3);
	struct err err;
	struct ns_node *n;
	char buf[4096];
	CHECK(h != NULL);
	if (!h)
		return;

	/* Root listing per role. */
	const char *qwant[] = { "agent", "audit", "log", "proc", "queen" };
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ_STR(ns_node_name(ns_dir_child(h->ns, &q, ns_root(h->ns), i)), qwant[i]);
	const char *wwant[] = { "agent", "audit", "log", "proc" };
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ_STR(ns_node_name(ns_dir_child(h->ns, &w, ns_root(h->ns), i)), wwant[i]);
	CHECK(ns_dir_child(h->ns, &w, ns_root(h->ns), 4) == NULL);

	/* Worker: /queen is a denial with a row. */
	CHECK_EQ_INT(ns_fx_walk(h->ns, &w, "/queen/ctl", &n, &err), -EACCES);
	CHECK_EQ_STR(err.msg, "permission denied: /queen");
	CHECK_EQ_STR(last_row(h), "deny role=worker subject=w1 session=7 object=/queen op=walk outcome=deny reason=not-visible");
	CHECK_EQ_INT(cat(h, &w, "/proc/version", buf, sizeof buf), 45);
	CHECK(cat(h, &w, "/log/queen.log", buf, sizeof buf) > 0);
	CHECK_EQ_INT(echo(h, &w, "/log/queen.log", "forged\n", &err), -EACCES);
	CHECK_EQ_STR(err.msg, "permission denied: /log/queen.log is not writable by worker");
	CHECK_EQ_STR(last_row(h), "deny role=worker subject=w1 session=7 object=/log/queen.log op=write outcome=deny "
	                          "reason=not-writable mode=write");

	/* Observer: reads everything, writes nothing. */
	CHECK(cat(h, &o, "/queen/ctl", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "usage:", 6) == 0);
	CHECK(cat(h, &o, "/queen/lifecycle/ctl", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "state=ONLINE\n") != NULL);
	CHECK_EQ_INT(echo(h, &o, "/queen/ctl", "log hi\n", &err), -EACCES);
	CHECK_EQ_INT(echo(h, &o, "/queen/lifecycle/ctl", "cordon\n", &err), -EACCES);
	CHECK_EQ_INT(echo(h, &o, "/log/queen.log", "hi\n", &err), -EACCES);
	CHECK_EQ_INT(h->lifecycle.state, LC_ONLINE);

	/* /agent/<aid>: a worker sees only its own, queen and observer all. */
	static const struct ns_perm agent = {
		.mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .visible = hive_agent_visible,
	};
	static const struct ns_perm agent_file = {
		.mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .visible = hive_agent_visible,
	};
	struct ns_node *agents = ns_lookup(h->ns, "/agent");
	struct ns_node *a1 = ns_mkdir(h->ns, agents, "w1", &agent);
	struct ns_node *a2 = ns_mkdir(h->ns, agents, "w2", &agent);
	ns_cas_file(h->ns, a1, "state", &agent_file, "running");
	ns_cas_file(h->ns, a2, "state", &agent_file, "running");
	CHECK_EQ_INT(cat(h, &w, "/agent/w1/state", buf, sizeof buf), 8);
	CHECK_EQ_INT(cat(h, &w, "/agent/w2/state", buf, sizeof buf), -EACCES);
	CHECK_EQ_STR(last_row(h), "deny role=worker subject=w1 session=7 object=/agent/w2 op=walk outcome=deny reason=not-visible");
	CHECK_EQ_STR(ns_node_name(ns_dir_child(h->ns, &w, agents, 0)), "w1");
	CHECK(ns_dir_child(h->ns, &w, agents, 1) == NULL);
	CHECK_EQ_STR(ns_node_name(ns_dir_child(h->ns, &o, agents, 1)), "w2");
	CHECK_EQ_INT(cat(h, &o, "/agent/w2/state", buf, sizeof buf), 8);
	struct principal anon = P(HIVE_ROLE_WORKER, "", 9);
	CHECK_EQ_INT(cat(h, &anon, "/agent/w1/state", buf, sizeof buf), -EACCES);
	/* The hook fails closed outside /agent. */
	CHECK_EQ_INT(hive_agent_visible(ns_lookup(h->ns, "/proc/status"), &w), 0);
	CHECK_EQ_INT(hive_agent_visible(ns_lookup(h->ns, "/agent/w1/state"), &w), 1);
	CHECK_EQ_INT(hive_agent_visible(ns_lookup(h->ns, "/agent/w2/state"), &w), 0);
	hive_fx_destroy(h);
}

/* --- /proc ---------------------------------------------------------------- */

TEST(proc_formats)
{
	struct hive *h = hive_fx_make(1000);
	struct principal w = P(HIVE_ROLE_WORKER, "w1", 7);
	char buf[HIVE_SNAPSHOT_MAX];
	if (!h)
		return;
	CHECK(cat(h, &w, "/proc/version", buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "hive " HIVE_VERSION "\nprotocols=9P2000.L,9P2000,console\n");

	struct hive_session *s1 = hive_session_add(h, "unix", "uid=1000 pid=42");
	struct hive_session *s2 = hive_session_add(h, "tcp", "127.0.0.1:5000");
	CHECK(s1 && s2);
	CHECK_EQ_INT(s1->id, 1);
	CHECK_EQ_INT(s2->id, 2);
	snprintf(s1->dialect, sizeof s1->dialect, "9P2000.L");
	s1->who.role = HIVE_ROLE_QUEEN;
	s2->who.role = HIVE_ROLE_WORKER;
	snprintf(s2->who.subject, sizeof s2->who.subject, "w 1");
	s1->rx_msgs = 5;
	s1->tx_msgs = 4;
	s1->fids = 3;
	CHECK(cat(h, &w, "/proc/sessions", buf, sizeof buf) > 0);
	char *l2 = strchr(buf, '\n');
	CHECK(l2 != NULL);
	if (l2) {
		*l2++ = '\0';
		CHECK(strncmp(buf, "id=1 transport=unix peer=uid\\x3d1000\\x20pid\\x3d42 dialect=9P2000.L role=queen subject=- since_ms=", 97) == 0);
		CHECK(strstr(buf, " rx=5 tx=4 fids=3") != NULL);
		CHECK(strncmp(l2, "id=2 transport=tcp peer=127.0.0.1:5000 dialect=- role=worker subject=w\\x201 since_ms=", 84) == 0);
		CHECK(strstr(l2, "idle_ms=") != NULL);
	}

	CHECK(cat(h, &w, "/proc/status", buf, sizeof buf) > 0);
	const char *keys[] = { "state=ONLINE\n", "reason=boot-complete\n", "since_ms=", "uptime_ms=",
		               "sessions=2\n", "sessions_total=2\n", "sessions_refused=0\n", "nodes=",
		               "pid=", "owner_uid=1000\n", "degraded=none\n" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK(strstr(buf, keys[i]) != NULL);
	CHECK(strncmp(buf, "state=ONLINE\nreason=boot-complete\nsince_ms=", 43) == 0);

	hive_session_remove(h, s1);
	CHECK(cat(h, &w, "/proc/status", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "sessions=1\nsessions_total=2\n") != NULL);

	h->pressure.busy = 1;
	h->pressure.policy = 4;
	CHECK(cat(h, &w, "/proc/pressure", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "busy=1\nquota=0\ncut=0\npolicy=4\ndeny.walk=0\ndeny.open=0\n", 54) == 0);
	CHECK(strstr(buf, "\ndeny.ctl=0\n") != NULL && strstr(buf, "\ndeny.cut=0\n") != NULL);

	CHECK(cat(h, &w, "/proc/lifecycle/state", buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "state=ONLINE\n");
	CHECK(cat(h, &w, "/proc/lifecycle/reason", buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "reason=boot-complete\n");
	CHECK(cat(h, &w, "/proc/lifecycle/since", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "since_ms=", 9) == 0 && buf[strlen(buf) - 1] == '\n');

	CHECK(cat(h, &w, "/proc/limits", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "msize_max=65560\n") != NULL);
	CHECK(strstr(buf, "nodes_max=65536\n") != NULL);
	/* Every #define in limits.h is shown. */
	const char *top = getenv("HIVE_TOP");
	char path[1024];
	snprintf(path, sizeof path, "%s/src/lib/limits.h", top ? top : ".");
	FILE *fp = fopen(path, "r");
	CHECK(fp != NULL);
	if (fp) {
		char line[512], name[128];
		int seen = 0;
		while (fgets(line, sizeof line, fp)) {
			if (sscanf(line, "#define HIVE_%127[A-Z0-9_]", name) != 1 || strcmp(name, "LIMITS_H") == 0)
				continue;
			char key[140];
			size_t k = 0;
			for (; name[k]; k++)
				key[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
			key[k++] = '=';
			key[k] = '\0';
			/* At a line start: console_accept_batch= holds accept_batch=. */
			char *at = strstr(buf, key);
			while (at && at != buf && at[-1] != '\n')
				at = strstr(at + 1, key);
			if (!at) {
				printf("#   /proc/limits lacks %s\n", key);
				test_cur_failed = 1;
			}
			seen++;
		}
		fclose(fp);
		CHECK(seen > 20);
	}
	hive_fx_destroy(h);
}

/* --- sessions and rows ---------------------------------------------------- */

TEST(session_table_is_bounded)
{
	struct hive *h = hive_fx_make(1000);
	if (!h)
		return;
	for (unsigned i = 0; i < HIVE_SESSIONS_MAX; i++)
		CHECK(hive_session_add(h, "tcp", "x") != NULL);
	CHECK_EQ_INT(h->nsessions, HIVE_SESSIONS_MAX);
	errno = 0;
	CHECK(hive_session_add(h, "tcp", "y") == NULL);
	CHECK_EQ_INT(errno, EMFILE);
	CHECK_EQ_INT(h->sessions_refused, 1);
	CHECK_EQ_INT(h->sessions_total, HIVE_SESSIONS_MAX);
	CHECK_EQ_STR(last_row(h), "refuse role=hive subject=- session=0 op=session outcome=deny reason=sessions-max limit=1024 transport=tcp peer=y");
	/* Remove from the middle, the head and the tail. */
	struct hive_session *head = h->sessions, *mid = head->next->next, *tail = head;
	while (tail->next)
		tail = tail->next;
	hive_session_remove(h, mid);
	hive_session_remove(h, head);
	hive_session_remove(h, tail);
	CHECK_EQ_INT(h->nsessions, HIVE_SESSIONS_MAX - 3);
	struct hive_session *s = hive_session_add(h, "unix", "z");
	CHECK(s != NULL);
	CHECK_EQ_INT(s->id, HIVE_SESSIONS_MAX + 1); /* ids are never reused */
	CHECK_EQ_INT(s->who.session_id, s->id);
	CHECK_EQ_INT(s->who.role, HIVE_ROLE_NONE);
	hive_fx_destroy(h);
}

TEST(event_rows_are_escaped_and_bounded)
{
	struct hive *h = hive_fx_make(1000);
	struct principal w = P(HIVE_ROLE_WORKER, "evil name\nx=1", 12);
	if (!h)
		return;
	hive_event(h, &w, "ctl", "/a path", "k=v text\nwith\tctl\\ \x01");
	CHECK_EQ_STR(last_row(h),
	             "ctl role=worker subject=evil\\x20name\\nx\\x3d1 session=12 object=/a\\x20path "
	             "k=v text\\nwith\\tctl\\\\ \\x01");
	hive_event(h, NULL, "boot", NULL, "%s", "");
	CHECK_EQ_STR(last_row(h), "boot role=hive subject=- session=0");
	/* The time stamp is RFC 3339 UTC with ms. */
	char ts[32];
	snprintf(ts, sizeof ts, "%s", last_line(h));
	CHECK_EQ_INT(strlen(ts), 31);
	CHECK_EQ_INT(ts[24], ' ');
	ts[24] = '\0';
	int y, mo, d, hh, mm, ss, ms;
	char z = 0;
	CHECK_EQ_INT(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &hh, &mm, &ss, &ms, &z), 8);
	CHECK_EQ_INT(z, 'Z');
	CHECK(y >= 2024);
	/* A huge detail is cut to one bounded row ending in "...". */
	char *big = malloc(10000);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	uint64_t before = ns_ring_end(h->log);
	hive_event(h, &w, "log", NULL, "%s", big);
	uint64_t rowlen = ns_ring_end(h->log) - before;
	CHECK(rowlen <= HIVE_LOG_LINE_MAX);
	CHECK(rowlen > HIVE_LOG_LINE_MAX - 8);
	const char *row = last_row(h);
	CHECK(strlen(row) > 3 && strcmp(row + strlen(row) - 3, "...") == 0);
	free(big);
	hive_fx_destroy(h);
}

TEST(queen_writes_queen_log_one_line)
{
	struct hive *h = hive_fx_make(1000);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL, 1);
	struct err err;
	if (!h)
		return;
	CHECK_EQ_INT(echo(h, &q, "/log/queen.log", "note: hello\n2024 forged row\n", &err), 28);
	CHECK_EQ_STR(last_line(h), "note: hello\\n2024 forged row");
	CHECK_EQ_INT(echo(h, &q, "/log/queen.log", "no newline", &err), 10);
	CHECK_EQ_STR(last_line(h), "no newline");
	CHECK_EQ_INT(echo(h, &q, "/log/queen.log", "\x1b[31mred\r\n", &err), 10);
	CHECK_EQ_STR(last_line(h), "\\x1b[31mred");
	hive_fx_destroy(h);
}

/* --- /queen/ctl ----------------------------------------------------------- */

TEST(queenctl_words)
{
	struct hive *h = hive_fx_make(1000);
	struct principal q = P(HIVE_ROLE_QUEEN, "ops", 1);
	struct err err;
	if (!h)
		return;
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "log hello world\n", &err), 16);
	CHECK_EQ_STR(last_row(h), "ctl role=queen subject=ops session=1 object=/queen/ctl result=ok form=text verb=log");
	CHECK_EQ_INT(rows_with(h, "log role=queen subject=ops session=1 hello world\n"), 1);

	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "log\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: usage: log <text>");

	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "frobnicate now\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: unknown command 'frobnicate' (try: log, lifecycle, spawn, kill, quarantine, resume, grant, revoke, quota)");
	CHECK_EQ_STR(last_row(h), "ctl role=queen subject=ops session=1 object=/queen/ctl op=ctl outcome=deny reason=refused "
	                          "result=refused form=text "
	                          "verb=frobnicate errno=EINVAL msg=unknown command 'frobnicate' (try: log, lifecycle, spawn, kill, quarantine, resume, grant, revoke, quota)");

	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "kill a-17\n", &err), -ENOENT);
	CHECK_EQ_STR(err.msg, "line 1: kill: no agent a-17");
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "kill\n", &err), -EINVAL);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "grant a-1 fs.read:/x\n", &err), -ENOENT);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "revoke a-1 fs.read:/x\n", &err), -ENOENT);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "revoke a-1\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: usage: revoke <aid> <cap>");

	/* lifecycle through /queen/ctl, and the gate on spawn. */
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "lifecycle CORDON\n", &err), 17);
	CHECK_EQ_INT(h->lifecycle.state, LC_DRAINING);
	CHECK_EQ_INT(rows_with(h, "lifecycle role=queen subject=ops session=1 object=/queen/ctl old=ONLINE new=DRAINING reason=cordon\n"), 1);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "spawn x\n", &err), -EAGAIN);
	CHECK_EQ_STR(err.msg, "line 1: refused: hive is DRAINING");
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "grant a b\n", &err), -EAGAIN);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "kill a-1\n", &err), -ENOENT); /* kill is not gated */
	uint64_t ctl0 = h->denials[HIVE_DENY_CTL];
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "lifecycle cordon\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: invalid transition: cordon from DRAINING");
	CHECK_EQ_INT(h->denials[HIVE_DENY_CTL], ctl0 + 1); /* one refusal, counted once */
	CHECK_EQ_INT(rows_with(h, "object=/queen/ctl op=ctl outcome=deny reason=refused result=refused form=text verb=lifecycle errno=EINVAL msg=invalid transition: cordon from DRAINING\n"), 1);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "lifecycle\n", &err), -EINVAL);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "lifecycle drain now\n", &err), -EINVAL);

	/* Partial failure: line 1 applies, line 2 fails, line 3 never runs. */
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "lifecycle resume\nbogus\nlifecycle cordon\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 2: unknown command 'bogus' (try: log, lifecycle, spawn, kill, quarantine, resume, grant, revoke, quota)");
	CHECK_EQ_INT(h->lifecycle.state, LC_ONLINE);
	hive_fx_destroy(h);
}

TEST(queenctl_json_strict)
{
	struct hive *h = hive_fx_make(1000);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL, 1);
	struct err err;
	if (!h)
		return;
	CHECK(echo(h, &q, "/queen/ctl", "{\"log\":\"from json\"}\n", &err) > 0);
	CHECK_EQ_INT(rows_with(h, "session=1 from json\n"), 1);
	CHECK_EQ_STR(last_row(h), "ctl role=queen subject=- session=1 object=/queen/ctl result=ok form=json verb=log");
	CHECK(echo(h, &q, "/queen/ctl", "  {\"lifecycle\":\"cordon\"}  \n", &err) > 0);
	CHECK_EQ_INT(h->lifecycle.state, LC_DRAINING);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "{\"spawn\":\"heartbeat\",\"ticks\":100}\n", &err), -EAGAIN);
	CHECK(echo(h, &q, "/queen/ctl", "{\"lifecycle\":\"resume\"}\n", &err) > 0);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "{\"spawn\":{\"manifest\":\"x\"}}\n", &err), -EINVAL);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "{\"kill\":\"worker-7\"}\n", &err), -ENOENT);

	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "{\"log\":\"x\",\"extra\":1}", "line 1: invalid queen command: unknown field 'extra'" },
		{ "{\"bind\":{\"from\":\"/a\",\"to\":\"/b\"}}", "line 1: invalid queen command: unknown field 'bind'" },
		{ "{}", "line 1: invalid queen command: no verb (try: log, lifecycle, spawn, kill, quarantine, resume, grant, revoke, quota)" },
		{ "{\"log\":\"a\",\"kill\":\"b\"}", "line 1: invalid queen command: more than one verb ('log', 'kill')" },
		{ "{\"log\":\"a\",\"log\":\"b\"}", NULL },
		{ "{\"log\":7}", "line 1: invalid queen command: 'log' must be a string" },
		{ "{\"lifecycle\":[\"cordon\"]}", "line 1: invalid queen command: 'lifecycle' must be a string" },
		{ "{\"kill\":\"a\",\"ticks\":3}", "line 1: invalid queen command: field 'ticks' only goes with spawn" },
		{ "{\"spawn\":5}", "line 1: invalid queen command: 'spawn' must be a string or an object" },
		{ "{\"log\":\"a\\nb\"}", "line 1: invalid queen command: 'log' holds a line break" },
		{ "{\"log\":\"a\\u0000b\"}", NULL },
		{ "{\"log\":\"x\"} trailing", NULL },
		{ "{\"log\":", NULL },
		{ "{\"lifecycle\":\"explode\"}", "line 1: unknown lifecycle command 'explode' (try: cordon, drain, quiesce, resume, reset)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char line[256];
		snprintf(line, sizeof line, "%s\n", bad[i].line);
		int before = rows_with(h, "result=refused form=json");
		CHECK_EQ_INT(echo(h, &q, "/queen/ctl", line, &err), -EINVAL);
		if (bad[i].msg)
			CHECK_EQ_STR(err.msg, bad[i].msg);
		else
			CHECK(strncmp(err.msg, "line 1: invalid queen command: ", 31) == 0);
		CHECK_EQ_INT(rows_with(h, "result=refused form=json"), before + 1);
	}
	CHECK_EQ_INT(h->lifecycle.state, LC_ONLINE);
	/* A JSON array is not a command either. */
	CHECK_EQ_INT(queenctl_line(h, &q, "[1]", NULL, &err), -EINVAL);
	CHECK_EQ_INT(queenctl_line(h, &q, "[1]", NULL, NULL), -EINVAL); /* err may be NULL */
	hive_fx_destroy(h);
}

/* The verb table is the one source: every verb is in the usage text and
 * in the hint, each verb's gate is applied (and only a gated verb's), and
 * the word and JSON forms of a verb reach the same row and argument, so
 * the same checks and handler. */
TEST(queenctl_table)
{
	struct hive *h = hive_fx_make(1000);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL, 1);
	struct err err, err2;
	char usage[HIVE_SNAPSHOT_MAX], hint[256], line[128], unknown[512];
	size_t n;
	const struct queenctl_verb *verbs = queenctl_verbs(&n);
	if (!h)
		return;
	CHECK(n >= 7);
	CHECK(cat(h, &q, "/queen/ctl", usage, sizeof usage) > 0);
	queenctl_hint(hint, sizeof hint);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "frobnicate\n", &err), -EINVAL);
	snprintf(unknown, sizeof unknown, "%s", err.msg);
	static const char *const agent_verbs[] = { "spawn", "kill", "grant", "revoke", "quota" };
	for (size_t a = 0; a < sizeof agent_verbs / sizeof agent_verbs[0]; a++) {
		int found = 0;
		for (size_t i = 0; i < n; i++)
			found |= strcmp(verbs[i].name, agent_verbs[a]) == 0;
		CHECK(found);
	}
	for (size_t i = 0; i < n; i++) {
		const struct queenctl_verb *v = &verbs[i], *pv;
		char want[160], arg[64];
		size_t len = strlen(v->name);
		/* The usage line starts with the verb; the hint and the unknown
		 * command's reply name it. */
		CHECK(strncmp(v->usage, v->name, len) == 0 && (v->usage[len] == ' ' || !v->usage[len]));
		snprintf(want, sizeof want, "\n  %s ", v->usage);
		CHECK(strstr(usage, want) != NULL);
		snprintf(want, sizeof want, "{\"%s\":", v->name);
		CHECK(strstr(usage, want) != NULL);
		snprintf(want, sizeof want, " %s%s", v->name, i + 1 < n ? "," : ")");
		CHECK(strstr(hint, want) != NULL);
		CHECK(strstr(unknown, want) != NULL);
		CHECK(v->run != NULL);

		/* Words and JSON reduce to the same row and argument. */
		snprintf(line, sizeof line, "%s x", v->name);
		CHECK_EQ_INT(queenctl_parse(line, &pv, arg, sizeof arg, &err), 0);
		CHECK(pv == v);
		CHECK_EQ_STR(arg, "x");
		snprintf(line, sizeof line, "{\"%s\":\"x\"}", v->name);
		CHECK_EQ_INT(queenctl_parse(line, &pv, arg, sizeof arg, &err), 0);
		CHECK(pv == v);
		CHECK_EQ_STR(arg, "x");
		/* ... and so get the same reply in every state. */
		for (int s = LC_ONLINE; s <= LC_DRAINING; s++) {
			h->lifecycle.state = (enum lifecycle_state)s;
			snprintf(line, sizeof line, "%s x\n", v->name);
			int rc1 = echo(h, &q, "/queen/ctl", line, &err);
			h->lifecycle.state = (enum lifecycle_state)s;
			snprintf(line, sizeof line, "{\"%s\":\"x\"}\n", v->name);
			int rc2 = echo(h, &q, "/queen/ctl", line, &err2);
			/* Success returns the bytes written, which differ. */
			CHECK_EQ_INT(rc1 < 0 ? rc1 : 0, rc2 < 0 ? rc2 : 0);
			if (rc1 < 0)
				CHECK_EQ_STR(err.msg, err2.msg);
			/* The gate: only a gated verb is refused outside ONLINE,
			 * and with the gate's own reply. */
			if (s == LC_DRAINING && v->gate != QUEENCTL_UNGATED) {
				CHECK_EQ_INT(rc1, -EAGAIN);
				CHECK_EQ_STR(err.msg, "line 1: refused: hive is DRAINING");
			} else {
				CHECK(rc1 != -EAGAIN);
			}
		}
		h->lifecycle.state = LC_ONLINE;
	}
	/* A verb's argument shape is checked before its gate and handler. */
	CHECK_EQ_INT(queenctl_parse("kill a b", &(const struct queenctl_verb *){ NULL }, line, sizeof line, &err), 0);
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "kill a b\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: usage: kill <aid>");
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "{\"kill\":\"a b\"}\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: usage: kill <aid>");
	/* quota is not gated: a draining hive can still shrink what runs. */
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "quota a-1 mem=1G\n", &err), -ENOENT);
	CHECK_EQ_STR(err.msg, "line 1: quota: no agent a-1");
	/* Fields go with their own verb only. */
	CHECK_EQ_INT(echo(h, &q, "/queen/ctl", "{\"quota\":{},\"lease\":3}\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: invalid queen command: field 'lease' only goes with spawn");
	/* The lifecycle words come from lifecycle.c: both usages list them. */
	const struct queenctl_verb *lcv = NULL;
	CHECK_EQ_INT(queenctl_parse("lifecycle x", &lcv, line, sizeof line, &err), 0);
	CHECK(cat(h, &q, "/queen/lifecycle/ctl", usage, sizeof usage) > 0);
	const char *w;
	for (unsigned i = 0; (w = lifecycle_command_word(i)); i++) {
		CHECK(lcv && strstr(lcv->usage, w) != NULL);
		CHECK(strstr(usage, w) != NULL);
	}
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "drain now\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 1: one lifecycle command per line (try: cordon, drain, quiesce, resume, reset)");
	/* An argument is never cut to fit. */
	char small[4];
	CHECK_EQ_INT(queenctl_parse("log abcd", &lcv, small, sizeof small, &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "log: argument too long");
	CHECK(lcv == NULL);
	CHECK_EQ_INT(queenctl_parse("{\"log\":\"abcd\"}", &lcv, small, sizeof small, &err), -EINVAL);
	CHECK(lcv == NULL);
	/* A parse that fails names no verb. */
	CHECK_EQ_INT(queenctl_parse("{\"log\":7}", &lcv, line, sizeof line, &err), -EINVAL);
	CHECK(lcv == NULL);
	hive_fx_destroy(h);
}

TEST(lifecycle_ctl_file)
{
	struct hive *h = hive_fx_make(1000);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL, 2), w = P(HIVE_ROLE_WORKER, "w", 3);
	struct err err;
	char buf[512];
	if (!h)
		return;
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "Cordon\n", &err), 7);
	CHECK_EQ_STR(last_row(h), "lifecycle role=queen subject=- session=2 object=/queen/lifecycle/ctl old=ONLINE new=DRAINING reason=cordon");
	CHECK(cat(h, &w, "/proc/lifecycle/state", buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "state=DRAINING\n");
	CHECK(cat(h, &w, "/proc/lifecycle/reason", buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "reason=cordon\n");
	h->lifecycle.outstanding = 2;
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "drain\n", &err), -EBUSY);
	CHECK_EQ_STR(err.msg, "line 1: drain refused: 2 outstanding");
	CHECK_EQ_STR(last_row(h), "lifecycle role=queen subject=- session=2 object=/queen/lifecycle/ctl op=ctl outcome=deny reason=outstanding-work action=drain state=DRAINING outstanding=2");
	h->lifecycle.outstanding = 0;
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "  drain  \n", &err), 10);
	CHECK_EQ_INT(h->lifecycle.state, LC_QUIESCED);
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "drain\n", &err), -EINVAL);
	CHECK_EQ_STR(last_row(h), "lifecycle role=queen subject=- session=2 object=/queen/lifecycle/ctl op=ctl outcome=deny reason=invalid-transition action=drain state=QUIESCED");
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "fly\n", &err), -EINVAL);
	CHECK(strstr(last_row(h), "reason=invalid-command action=fly state=QUIESCED") != NULL);
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "resume now\n", &err), -EINVAL);
	CHECK(strstr(last_row(h), "reason=invalid-command action=resume now state=QUIESCED") != NULL);
	/* Each refusal passed the deny door: counted as ctl, busy for outstanding work. */
	CHECK_EQ_INT(h->denials[HIVE_DENY_CTL], 4);
	CHECK_EQ_INT(h->pressure.busy, 1);
	CHECK_EQ_INT(h->pressure.policy, 3);
	CHECK_EQ_INT(echo(h, &q, "/queen/lifecycle/ctl", "reset\nresume\n", &err), 13);
	CHECK_EQ_INT(h->lifecycle.state, LC_ONLINE);
	CHECK_EQ_INT(echo(h, &w, "/queen/lifecycle/ctl", "cordon\n", &err), -EACCES);
	hive_fx_destroy(h);
}

TEST(tree_free_with_open_files)
{
	struct hive *h = hive_fx_make(1000);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL, 1);
	struct err err;
	struct ns_node *n;
	struct ns_file *f;
	char buf[64];
	if (!h)
		return;
	CHECK_EQ_INT(ns_fx_walk(h->ns, &q, "/log/queen.log", &n, &err), 0);
	CHECK_EQ_INT(ns_open(h->ns, &q, n, NS_OREAD, &f, &err), 0);
	hive_tree_free(h);
	CHECK(h->ns == NULL && h->log == NULL);
	CHECK_EQ_INT(ns_read(f, 0, buf, sizeof buf, &err), -ENOENT);
	hive_event(h, &q, "late", NULL, "after free"); /* no log: stderr only */
	ns_close(f);
	ns_node_unref(n);
	hive_tree_free(h); /* twice is fine */
	free(h);
}

int main(void)
{
	RUN(views_of_the_hive_tree);
	RUN(proc_formats);
	RUN(session_table_is_bounded);
	RUN(event_rows_are_escaped_and_bounded);
	RUN(queen_writes_queen_log_one_line);
	RUN(queenctl_words);
	RUN(queenctl_json_strict);
	RUN(queenctl_table);
	RUN(lifecycle_ctl_file);
	RUN(tree_free_with_open_files);
	return test_done();
}
