/* Unit tests for shared snapshots and the per-session snapshot budget:
 * opens of a cached text file share one render (one buffer, one render
 * call), each open is charged the whole snapshot to its session, and the
 * open that would take a session past HIVE_SESSION_SNAPSHOT_BYTES_MAX
 * fails with EMFILE, a message naming the limit and a deny event, while
 * other sessions (and the hive itself, session 0) are not affected. */
#include "hived/ns/ns.h"
#include "hived/ns/ns_impl.h"
#include "test.h"
#include "ns_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Opens that exactly fill a session's budget with the render below. */
#define OPENS 8u
#define LINE 64u
#define SNAP_BYTES (HIVE_SESSION_SNAPSHOT_BYTES_MAX / OPENS)

struct src {
	unsigned renders;
	uint64_t version;
};

static int fill_render(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct src *s = arg;
	char line[LINE + 1];

	s->renders++;
	memset(line, 'a' + (char)(s->renders % 26), LINE - 1);
	line[LINE - 1] = '\n';
	line[LINE] = '\0';
	for (size_t i = 0; i < SNAP_BYTES / LINE; i++)
		strbuf_printf(sb, "%s", line);
	return 0;
}

static uint64_t src_version(void *arg)
{
	return ((struct src *)arg)->version;
}

static unsigned denies;
static char deny_detail[128];
static void count_deny(void *arg, const struct principal *who, const char *event, const char *path,
                       const char *detail)
{
	if (strcmp(event, "deny") == 0) {
		denies++;
		snprintf(deny_detail, sizeof deny_detail, "%s", detail ? detail : "");
	}
}

static int open_as(struct ns *ns, const struct principal *who, struct ns_file **f, struct err *err)
{
	struct ns_node *node;
	int rc = ns_fx_walk(ns, who, "/sessions", &node, err);
	if (rc < 0)
		return rc;
	rc = ns_open(ns, who, node, NS_OREAD, f, err);
	ns_node_unref(node);
	return rc;
}

TEST(opens_share_one_render_and_the_next_is_over_budget)
{
	struct ns *ns = ns_new(count_deny, NULL);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "a-1", 7, "tcp");
	struct principal other = ns_fx_principal(HIVE_ROLE_WORKER, "a-2", 8, "tcp");
	struct principal hive = ns_fx_principal(HIVE_ROLE_QUEEN, NULL, 0, "internal");
	struct src src = { 0, 1 };
	struct ns_file *f[OPENS], *extra, *g;
	struct err err;
	char buf[LINE];

	CHECK(ns_text_file_cached(ns, ns_root(ns), "sessions", &ro_all, fill_render, &src,
	                          HIVE_SESSIONS_SNAPSHOT_MAX, src_version, 60000) != NULL);
	for (unsigned i = 0; i < OPENS; i++)
		CHECK_EQ_INT(open_as(ns, &w, &f[i], &err), 0);
	CHECK_EQ_INT(src.renders, 1);
	for (unsigned i = 1; i < OPENS; i++)
		CHECK(ns_file_snap(f[i]) == ns_file_snap(f[0]));
	CHECK_EQ_INT(ns_file_snap(f[0])->len, SNAP_BYTES);
	CHECK_EQ_INT(ns_file_snap(f[0])->refs, OPENS + 1); /* the opens and the cache */
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 7), HIVE_SESSION_SNAPSHOT_BYTES_MAX);

	/* One more is past the budget: refused, named, denied, nothing held. */
	CHECK_EQ_INT(open_as(ns, &w, &extra, &err), -EMFILE);
	CHECK(extra == NULL);
	CHECK(strstr(err.msg, "HIVE_SESSION_SNAPSHOT_BYTES_MAX") != NULL);
	CHECK(strstr(err.msg, "/sessions") != NULL);
	CHECK_EQ_INT(denies, 1);
	CHECK(strstr(deny_detail, "op=open") != NULL);
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 7), HIVE_SESSION_SNAPSHOT_BYTES_MAX);
	CHECK_EQ_INT(ns_file_snap(f[0])->refs, OPENS + 1);
	CHECK_EQ_INT(src.renders, 1);

	/* Another session has its own budget; the hive itself has none. */
	CHECK_EQ_INT(open_as(ns, &other, &g, &err), 0);
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 8), SNAP_BYTES);
	ns_close(g);
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 8), 0);
	CHECK_EQ_INT(open_as(ns, &hive, &g, &err), 0);
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 0), 0);
	ns_close(g);

	/* A clunk gives its charge back: the next open fits again. */
	ns_close(f[0]);
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 7), HIVE_SESSION_SNAPSHOT_BYTES_MAX - SNAP_BYTES);
	CHECK_EQ_INT(open_as(ns, &w, &f[0], &err), 0);
	CHECK_EQ_INT(ns_read(f[0], 0, buf, sizeof buf, &err), (ssize_t)sizeof buf);
	CHECK(buf[0] == 'b' && buf[LINE - 1] == '\n');
	for (unsigned i = 0; i < OPENS; i++)
		ns_close(f[i]);
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 7), 0);
	ns_free(ns);
}

TEST(a_new_version_renders_again_and_old_opens_keep_theirs)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "a-1", 3, "tcp");
	struct src src = { 0, 1 };
	struct ns_file *old, *cur, *again;
	struct err err;
	char a[LINE], b[LINE];

	CHECK(ns_text_file_cached(ns, ns_root(ns), "sessions", &ro_all, fill_render, &src,
	                          HIVE_SESSIONS_SNAPSHOT_MAX, src_version, 60000) != NULL);
	CHECK_EQ_INT(open_as(ns, &w, &old, &err), 0);
	src.version++;
	CHECK_EQ_INT(open_as(ns, &w, &cur, &err), 0);
	CHECK_EQ_INT(src.renders, 2);
	CHECK(ns_file_snap(old) != ns_file_snap(cur));
	CHECK_EQ_INT(ns_read(old, 0, a, sizeof a, &err), (ssize_t)sizeof a);
	CHECK_EQ_INT(ns_read(cur, 0, b, sizeof b, &err), (ssize_t)sizeof b);
	CHECK(a[0] == 'b' && b[0] == 'c');
	CHECK_EQ_INT(open_as(ns, &w, &again, &err), 0);
	CHECK(ns_file_snap(again) == ns_file_snap(cur));
	CHECK_EQ_INT(src.renders, 2);
	ns_close(old);
	ns_close(cur);
	ns_close(again);
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 3), 0);
	ns_free(ns);
}

TEST(an_uncached_file_renders_at_every_open_and_is_charged_too)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "a-1", 5, "tcp");
	struct src src = { 0, 1 };
	struct ns_file *f1, *f2;
	struct err err;

	CHECK(ns_text_file_max(ns, ns_root(ns), "sessions", &ro_all, fill_render, &src,
	                       HIVE_SESSIONS_SNAPSHOT_MAX) != NULL);
	CHECK_EQ_INT(open_as(ns, &w, &f1, &err), 0);
	CHECK_EQ_INT(open_as(ns, &w, &f2, &err), 0);
	CHECK_EQ_INT(src.renders, 2);
	CHECK(ns_file_snap(f1) != ns_file_snap(f2));
	CHECK_EQ_INT(ns_session_snapshot_bytes(ns, 5), 2 * SNAP_BYTES);
	ns_close(f1);
	ns_close(f2);
	/* A file outliving its tree still gives its charge back. */
	CHECK_EQ_INT(open_as(ns, &w, &f1, &err), 0);
	ns_free(ns);
	ns_close(f1);
}

int main(void)
{
	RUN(opens_share_one_render_and_the_next_is_over_budget);
	RUN(a_new_version_renders_again_and_old_opens_keep_theirs);
	RUN(an_uncached_file_renders_at_every_open_and_is_charged_too);
	return test_done();
}
