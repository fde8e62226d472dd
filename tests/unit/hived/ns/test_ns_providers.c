/* Unit tests for the built-in providers of the namespace: text snapshots
 * (no tearing, truncation), rings (wrap, clamp and stale reads at every
 * boundary, line logs), ctl files (batches, partial failure) and CAS. */
#include "hived/ns/ns.h"
#include "test.h"
#include "ns_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- helpers -------------------------------------------------------------- */

static struct principal P(enum hive_role role, const char *subject)
{
	return ns_fx_principal(role, subject, 0, "internal");
}


/* At a nonzero offset on purpose: rings, logs, ctl and CAS files take each
 * write whole wherever the client says it lands. */
static ssize_t put(struct ns *ns, const struct principal *who, const char *path, const char *data,
                   struct err *err)
{
	return ns_fx_write_at(ns, who, path, 12345, data, err);
}

/* --- text snapshots ------------------------------------------------------- */

static int counter_render(void *arg, const struct principal *who, struct strbuf *sb)
{
	int *n = arg;
	(*n)++;
	for (int i = 0; i < 100; i++)
		strbuf_printf(sb, "gen=%d line=%d role=%s\n", *n, i, principal_role_name(who->role));
	return 0;
}

static int big_render(void *arg, const struct principal *who, struct strbuf *sb)
{
	for (int i = 0; i < 100000; i++)
		if (strbuf_printf(sb, "line %d\n", i) < 0)
			break;
	return 0;
}

static int failing_render(void *arg, const struct principal *who, struct strbuf *sb)
{
	return -EIO;
}

TEST(text_snapshot_does_not_tear)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL);
	struct err err;
	struct ns_file *f1, *f2;
	int gen = 0;
	struct ns_node *t = ns_text_file(ns, ns_root(ns), "t", &ro_all, counter_render, &gen);
	CHECK(t != NULL);
	CHECK_EQ_INT(ns_open(ns, &q, t, NS_OREAD, &f1, &err), 0);
	char a[64], b[8192];
	ssize_t n = ns_read(f1, 0, a, 20, &err);
	CHECK_EQ_INT(n, 20);
	/* Another open re-renders (gen 2) while f1 is mid-read. */
	CHECK_EQ_INT(ns_open(ns, &q, t, NS_OREAD, &f2, &err), 0);
	CHECK_EQ_INT(gen, 2);
	size_t got = 0;
	while ((n = ns_read(f1, got, b + got, 97, &err)) > 0)
		got += (size_t)n;
	b[got] = '\0';
	CHECK(strstr(b, "gen=2") == NULL);
	CHECK(strstr(b, "gen=1 line=99 role=queen\n") != NULL);
	CHECK_EQ_INT(ns_read(f1, got + 1000, b, 10, &err), 0);
	ns_close(f1);
	ns_close(f2);
	/* Writes to a text file are refused at open. */
	CHECK_EQ_INT(ns_open(ns, &q, t, NS_OWRITE, &f1, &err), -EACCES);

	/* A render past HIVE_SNAPSHOT_MAX is cut at a line and says so. */
	struct ns_node *big = ns_text_file(ns, ns_root(ns), "big", &ro_all, big_render, NULL);
	char *buf = malloc(HIVE_SNAPSHOT_MAX + 16);
	ssize_t len = ns_fx_read_all(ns, &q, "/big", buf, HIVE_SNAPSHOT_MAX + 16);
	CHECK(len > 0 && (size_t)len <= HIVE_SNAPSHOT_MAX);
	CHECK(len > 10 && strcmp(buf + len - 10, "truncated\n") == 0);
	CHECK(len > 11 && buf[len - 11] == '\n');
	free(buf);
	(void)big;

	ns_text_file(ns, ns_root(ns), "bad", &ro_all, failing_render, NULL);
	CHECK_EQ_INT(ns_open(ns, &q, ns_lookup(ns, "/bad"), NS_OREAD, &f1, &err), -EIO);
	CHECK(strstr(err.msg, "render failed") != NULL);
	ns_free(ns);
}

/* --- rings ---------------------------------------------------------------- */

TEST(ring_wrap_and_boundaries)
{
	struct err err;
	char buf[64];
	struct ns_ring *r = ns_ring_new(8, NS_RING_CLAMP);
	CHECK(ns_ring_new(0, NS_RING_CLAMP) == NULL);
	CHECK_EQ_INT(ns_ring_end(r), 0);
	CHECK_EQ_INT(ns_ring_read(r, 0, buf, sizeof buf, &err), 0);
	ns_ring_append(r, "abcdef", 6);
	CHECK_EQ_INT(ns_ring_base(r), 0);
	CHECK_EQ_INT(ns_ring_end(r), 6);
	CHECK_EQ_INT(ns_ring_read(r, 0, buf, sizeof buf, &err), 6);
	CHECK(memcmp(buf, "abcdef", 6) == 0);
	CHECK_EQ_INT(ns_ring_read(r, 5, buf, sizeof buf, &err), 1);
	CHECK_EQ_INT(buf[0], 'f');
	CHECK_EQ_INT(ns_ring_read(r, 6, buf, sizeof buf, &err), 0);   /* at end */
	CHECK_EQ_INT(ns_ring_read(r, 600, buf, sizeof buf, &err), 0); /* beyond end */
	ns_ring_append(r, "ghij", 4); /* wraps: window is [2, 10) = "cdefghij" */
	CHECK_EQ_INT(ns_ring_base(r), 2);
	CHECK_EQ_INT(ns_ring_end(r), 10);
	CHECK_EQ_INT(ns_ring_read(r, 2, buf, sizeof buf, &err), 8);
	CHECK(memcmp(buf, "cdefghij", 8) == 0);
	CHECK_EQ_INT(ns_ring_read(r, 7, buf, 2, &err), 2); /* across the wrap */
	CHECK(memcmp(buf, "hi", 2) == 0);
	/* CLAMP: below the base starts at the base. */
	CHECK_EQ_INT(ns_ring_read(r, 0, buf, 3, &err), 3);
	CHECK(memcmp(buf, "cde", 3) == 0);
	CHECK_EQ_INT(ns_ring_read(r, 1, buf, sizeof buf, &err), 8);
	/* An append larger than the ring keeps its tail and counts all. */
	ns_ring_append(r, "0123456789AB", 12);
	CHECK_EQ_INT(ns_ring_end(r), 22);
	CHECK_EQ_INT(ns_ring_base(r), 14);
	CHECK_EQ_INT(ns_ring_read(r, 14, buf, sizeof buf, &err), 8);
	CHECK(memcmp(buf, "456789AB", 8) == 0);
	ns_ring_free(r);

	/* STALE: below the base is ESTALE naming the base; at the base reads. */
	r = ns_ring_new(4, NS_RING_STALE);
	ns_ring_append(r, "abcdef", 6);
	CHECK_EQ_INT(ns_ring_base(r), 2);
	CHECK_EQ_INT(ns_ring_read(r, 1, buf, sizeof buf, &err), -ESTALE);
	CHECK_EQ_STR(err.msg, "offset stale: resume at 2");
	CHECK_EQ_INT(ns_ring_read(r, 0, buf, sizeof buf, &err), -ESTALE);
	CHECK_EQ_INT(ns_ring_read(r, 2, buf, sizeof buf, &err), 4);
	CHECK(memcmp(buf, "cdef", 4) == 0);
	CHECK_EQ_INT(ns_ring_read(r, 5, buf, sizeof buf, &err), 1);
	CHECK_EQ_INT(ns_ring_read(r, 6, buf, sizeof buf, &err), 0);
	CHECK_EQ_INT(ns_ring_read(r, 7, buf, sizeof buf, &err), 0);
	CHECK_EQ_INT(ns_ring_read(r, 2, buf, 0, &err), 0);
	ns_ring_free(r);
	CHECK_EQ_INT(ns_ring_read(NULL, 0, buf, 1, &err), -ENOENT);
}

TEST(ring_files_append_ignore_offset_and_touch)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct ns_ring *r = ns_ring_new(64, NS_RING_STALE);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL), w = P(HIVE_ROLE_WORKER, "w");
	struct err err;
	struct ns_attr a;
	char buf[128];
	struct ns_node *rw = ns_ring_file(ns, ns_root(ns), "telemetry", &rw_all, r, 1);
	struct ns_node *ro = ns_ring_file(ns, ns_root(ns), "mirror", &rw_all, r, 0);
	struct ns_node *line = ns_ring_file(ns, ns_root(ns), "log", &rw_queen, r, NS_RING_WRITE_LINE);
	CHECK(rw && ro && line);
	ns_getattr(rw, &a);
	CHECK_EQ_INT(a.qid_type, NS_QTAPPEND);
	uint32_t v0 = a.qid_version;
	CHECK_EQ_INT(put(ns, &w, "/telemetry", "one\n", &err), 4);
	CHECK_EQ_INT(put(ns, &w, "/telemetry", "two", &err), 3); /* as-is */
	ns_getattr(ro, &a);
	CHECK_EQ_INT(a.length, 7);
	CHECK(a.qid_version > 0);
	ns_getattr(rw, &a);
	CHECK_EQ_INT(a.qid_version, v0 + 2);
	CHECK_EQ_INT(ns_fx_read_all(ns, &w, "/mirror", buf, sizeof buf), 7);
	CHECK_EQ_STR(buf, "one\ntwo");
	/* writable=0: nobody writes through the file. */
	CHECK_EQ_INT(put(ns, &q, "/mirror", "x", &err), -EACCES);
	/* Line log: one escaped line per write; only the queen may write. */
	CHECK_EQ_INT(put(ns, &w, "/log", "x\n", &err), -EACCES);
	CHECK_EQ_INT(put(ns, &q, "/log", "a\nfake row\tz\n", &err), 13);
	CHECK_EQ_INT(put(ns, &q, "/log", "\n", &err), 1); /* blank adds nothing */
	CHECK(ns_fx_read_all(ns, &q, "/log", buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "one\ntwoa\\nfake row\\tz\n");
	char big[HIVE_LOG_LINE_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_EQ_INT(put(ns, &q, "/log", big, &err), -EINVAL);
	/* Freeing the ring first leaves files that fail cleanly. */
	struct ns_file *f;
	CHECK_EQ_INT(ns_open(ns, &q, rw, NS_ORDWR, &f, &err), 0);
	ns_ring_free(r);
	CHECK_EQ_INT(ns_read(f, 0, buf, sizeof buf, &err), -ENOENT);
	CHECK_EQ_INT(ns_write(f, 0, "x", 1, &err), -ENOENT);
	ns_getattr(rw, &a);
	CHECK_EQ_INT(a.length, 0);
	ns_close(f);
	ns_free(ns);

	/* And the other order: the tree first, then the ring. */
	ns = ns_new(NULL, NULL);
	r = ns_ring_new(10, NS_RING_CLAMP);
	ns_ring_file(ns, ns_root(ns), "clamp", &rw_all, r, 1);
	/* A clamp reader that fell behind reads every kept byte once. */
	ns_ring_append(r, "0123456789abcdefghijklmnopqrstuvwxyz", 36); /* keeps "qrstuvwxyz" */
	for (size_t chunk = 1; chunk <= 12; chunk++) {
		struct ns_file *cf;
		size_t got = 0;
		ssize_t k;
		CHECK_EQ_INT(ns_open(ns, &q, ns_lookup(ns, "/clamp"), NS_OREAD, &cf, &err), 0);
		while ((k = ns_read(cf, got, buf + got, chunk, &err)) > 0 && got < 100)
			got += (size_t)k;
		buf[got] = '\0';
		CHECK_EQ_STR(buf, "qrstuvwxyz");
		ns_close(cf);
	}
	/* The window moves under a reader: it skips what fell off, never repeats. */
	CHECK_EQ_INT(ns_open(ns, &q, ns_lookup(ns, "/clamp"), NS_OREAD, &f, &err), 0);
	CHECK_EQ_INT(ns_read(f, 0, buf, 4, &err), 4);
	CHECK(memcmp(buf, "qrst", 4) == 0);
	ns_ring_append(r, "ABCDEFGH", 8); /* keeps "yzABCDEFGH" */
	CHECK_EQ_INT(ns_read(f, 4, buf, 4, &err), 4);
	CHECK(memcmp(buf, "yzAB", 4) == 0);
	CHECK_EQ_INT(ns_read(f, 8, buf, 100, &err), 6);
	CHECK(memcmp(buf, "CDEFGH", 6) == 0);
	CHECK_EQ_INT(ns_read(f, 14, buf, 100, &err), 0);
	ns_close(f);
	/* At or above the base offsets stay absolute. */
	CHECK_EQ_INT(ns_open(ns, &q, ns_lookup(ns, "/clamp"), NS_OREAD, &f, &err), 0);
	CHECK_EQ_INT(ns_read(f, 40, buf, 100, &err), 4);
	CHECK(memcmp(buf, "EFGH", 4) == 0);
	ns_close(f);
	ns_free(ns);
	ns_ring_free(r);

	ns = ns_new(NULL, NULL);
	r = ns_ring_new(16, NS_RING_CLAMP);
	ns_ring_file(ns, ns_root(ns), "a", &rw_all, r, 1);
	ns_free(ns);
	ns_ring_append(r, "after", 5); /* touches no freed node */
	ns_ring_free(r);
}

/* --- ctl ------------------------------------------------------------------ */

struct ctl_log {
	int n;
	char lines[8][64];
};

static int ctl_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply, struct err *err)
{
	struct ctl_log *log = arg;
	if (strncmp(line, "bad", 3) == 0)
		return err_set(err, EINVAL, "unknown command '%s'", line);
	if (strcmp(line, "silent-fail") == 0)
		return -EBUSY; /* err left unset */
	if (log->n < 8)
		snprintf(log->lines[log->n], sizeof log->lines[0], "%s", line);
	log->n++;
	return 0;
}

static int ctl_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	strbuf_printf(sb, "usage: ok|bad\n");
	return 0;
}

TEST(ctl_lines_and_partial_failure)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL), o = P(HIVE_ROLE_OBSERVER, NULL);
	struct ctl_log log = { 0 };
	struct err err;
	struct ns_attr a;
	char buf[256];
	struct ns_node *c = ns_ctl_file(ns, ns_root(ns), "ctl", &rw_queen, ctl_line, ctl_usage, &log);
	ns_ctl_file(ns, ns_root(ns), "quiet", &rw_queen, ctl_line, NULL, &log);
	ns_getattr(c, &a);
	CHECK_EQ_INT(a.qid_type, NS_QTAPPEND);
	CHECK_EQ_INT(ns_fx_read_all(ns, &o, "/ctl", buf, sizeof buf), 14);
	CHECK_EQ_STR(buf, "usage: ok|bad\n");
	CHECK_EQ_INT(ns_fx_read_all(ns, &o, "/quiet", buf, sizeof buf), 0);

	const char *batch = "one\n\n  \ntwo\r\nthree";
	CHECK_EQ_INT(put(ns, &q, "/ctl", batch, &err), (long long)strlen(batch));
	CHECK_EQ_INT(log.n, 3);
	CHECK_EQ_STR(log.lines[0], "one");
	CHECK_EQ_STR(log.lines[1], "two");
	CHECK_EQ_STR(log.lines[2], "three");

	log.n = 0;
	CHECK_EQ_INT(put(ns, &q, "/ctl", "a\n\nbad x\nb\n", &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 3: unknown command 'bad x'");
	CHECK_EQ_INT(log.n, 1); /* line 1 applied, line 4 never ran */
	CHECK_EQ_STR(log.lines[0], "a");

	log.n = 0;
	CHECK_EQ_INT(put(ns, &q, "/ctl", "silent-fail\n", &err), -EBUSY);
	CHECK_EQ_STR(err.msg, "line 1: command failed");

	/* An over-long line fails whole; the line before it stays applied. */
	char *big = malloc(HIVE_CTL_LINE_MAX + 16);
	strcpy(big, "ok\n");
	memset(big + 3, 'y', HIVE_CTL_LINE_MAX + 1);
	big[3 + HIVE_CTL_LINE_MAX + 1] = '\0';
	log.n = 0;
	CHECK_EQ_INT(put(ns, &q, "/ctl", big, &err), -EINVAL);
	CHECK(strncmp(err.msg, "line 2: line too long", 21) == 0);
	CHECK_EQ_INT(log.n, 1);
	/* Exactly HIVE_CTL_LINE_MAX is fine. */
	big[3 + HIVE_CTL_LINE_MAX] = '\0';
	log.n = 0;
	CHECK_EQ_INT(put(ns, &q, "/ctl", big, &err), (long long)(3 + HIVE_CTL_LINE_MAX));
	CHECK_EQ_INT(log.n, 2);
	free(big);

	/* NUL inside a line. */
	struct ns_file *f;
	CHECK_EQ_INT(ns_open(ns, &q, c, NS_OWRITE, &f, &err), 0);
	CHECK_EQ_INT(ns_write(f, 0, "ok\nx\0y\n", 7, &err), -EINVAL);
	CHECK_EQ_STR(err.msg, "line 2: NUL byte in command");
	/* Writes past HIVE_WRITE_MAX never reach the provider. */
	CHECK_EQ_INT(ns_write(f, 0, "x", HIVE_WRITE_MAX + 1, &err), -EMSGSIZE);
	ns_close(f);
	/* Observer cannot write a ctl file. */
	CHECK_EQ_INT(put(ns, &o, "/ctl", "ok\n", &err), -EACCES);
	ns_free(ns);
}

/* --- CAS ------------------------------------------------------------------ */

TEST(cas_success_and_failure)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL);
	struct err err;
	char buf[512];
	struct ns_node *c = ns_cas_file(ns, ns_root(ns), "active", &rw_queen, "m1");
	CHECK(ns_cas_file(ns, ns_root(ns), "bad", &rw_queen, "has space") == NULL && errno == EINVAL);
	CHECK_EQ_INT(ns_fx_read_all(ns, &q, "/active", buf, sizeof buf), 3);
	CHECK_EQ_STR(buf, "m1\n");
	CHECK_EQ_INT(put(ns, &q, "/active", "cas m1 m2\n", &err), 10);
	CHECK_EQ_INT(ns_fx_read_all(ns, &q, "/active", buf, sizeof buf), 3);
	CHECK_EQ_STR(buf, "m2\n");
	CHECK_EQ_INT(put(ns, &q, "/active", "cas m1 m3", &err), -EBUSY);
	CHECK_EQ_STR(err.msg, "cas failed: value is m2");
	CHECK_EQ_INT(put(ns, &q, "/active", "cas m2", &err), -EINVAL);
	CHECK_EQ_INT(put(ns, &q, "/active", "cas m2 m3 m4", &err), -EINVAL);
	CHECK_EQ_INT(put(ns, &q, "/active", "set m2 m3", &err), -EINVAL);
	CHECK_EQ_INT(put(ns, &q, "/active", "cas m2 m3\ncas m3 m4\n", &err), -EINVAL);
	/* Empty value via "". */
	CHECK_EQ_INT(put(ns, &q, "/active", "cas m2 \"\"", &err), 9);
	CHECK_EQ_INT(ns_fx_read_all(ns, &q, "/active", buf, sizeof buf), 1);
	CHECK_EQ_INT(put(ns, &q, "/active", "cas x y", &err), -EBUSY);
	CHECK_EQ_STR(err.msg, "cas failed: value is \"\"");
	CHECK_EQ_INT(put(ns, &q, "/active", "cas \"\" m5", &err), 9);
	/* Value bound. */
	char big[HIVE_CAS_VALUE_MAX + 20];
	memcpy(big, "cas m5 ", 7);
	memset(big + 7, 'v', HIVE_CAS_VALUE_MAX + 1);
	big[7 + HIVE_CAS_VALUE_MAX + 1] = '\0';
	CHECK_EQ_INT(put(ns, &q, "/active", big, &err), -EINVAL);
	big[7 + HIVE_CAS_VALUE_MAX] = '\0';
	CHECK(put(ns, &q, "/active", big, &err) > 0);
	struct ns_attr a;
	ns_getattr(c, &a);
	CHECK_EQ_INT(a.length, HIVE_CAS_VALUE_MAX + 1);
	ns_free(ns);
}

int main(void)
{
	RUN(text_snapshot_does_not_tear);
	RUN(ring_wrap_and_boundaries);
	RUN(ring_files_append_ignore_offset_and_touch);
	RUN(ctl_lines_and_partial_failure);
	RUN(cas_success_and_failure);
	return test_done();
}
