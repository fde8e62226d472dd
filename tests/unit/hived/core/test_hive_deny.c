/* Unit tests for the deny door, hive_deny: the class and per-op counts,
 * the row of each op family, and the folding of repeats into count=N rows
 * whose counts still sum to the counters (flushed by another event, by
 * /proc/pressure, by the loop's timer, by eviction and at shutdown), by
 * row text or by a caller's fold key. */
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "test.h"
#include "hive_fixture.h"
#include "ns_fixture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char ring[HIVE_LOG_RING_BYTES + 1];

/* The whole log as text. */
static const char *log_text(struct hive *h)
{
	struct err err;
	ssize_t n = ns_ring_read(h->log, ns_ring_base(h->log), ring, sizeof ring - 1, &err);
	ring[n > 0 ? n : 0] = '\0';
	return ring;
}

/* Refusals of op the log accounts for: a row with `op=<op> outcome=deny`
 * stands for its count= (at the end), else for one. rows gets the rows. */
static uint64_t logged(struct hive *h, const char *op, uint64_t *rows)
{
	char key[64];
	uint64_t sum = 0, nrows = 0;
	snprintf(key, sizeof key, " op=%s outcome=deny ", op);
	for (const char *line = log_text(h); *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char row[HIVE_LOG_LINE_MAX + 2];
		snprintf(row, sizeof row, "%.*s ", (int)len, line);
		if (strstr(row, key)) {
			const char *c = strstr(row, " count=");
			sum += c ? strtoull(c + 7, NULL, 10) : 1;
			nrows++;
		}
		line += len + (end ? 1 : 0);
	}
	if (rows)
		*rows = nrows;
	return sum;
}

static const char *last_row(struct hive *h)
{
	static char row[HIVE_LOG_LINE_MAX + 1];
	const char *t = log_text(h);
	size_t n = strlen(t);
	if (n && t[n - 1] == '\n')
		n--;
	const char *b = t + n;
	while (b > t && b[-1] != '\n')
		b--;
	const char *sp = memchr(b, ' ', (size_t)(t + n - b));
	b = sp ? sp + 1 : b;
	snprintf(row, sizeof row, "%.*s", (int)(t + n - b), b);
	return row;
}

TEST(counts_and_rows_by_op)
{
	struct hive *h = hive_fx_make(1000);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "w-1", 5, "tcp");
	if (!h)
		return;
	hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_WALK, "/queen", "not-visible", NULL);
	CHECK_EQ_STR(last_row(h), "deny role=worker subject=w-1 session=5 object=/queen op=walk outcome=deny reason=not-visible");
	hive_deny(h, NULL, HIVE_PRESSURE_QUOTA, HIVE_DENY_TICKET, "/", "expired", "transport=%s", "tcp");
	CHECK_EQ_STR(last_row(h), "attach role=hive subject=- session=0 object=/ op=ticket outcome=deny reason=expired transport=tcp");
	hive_deny(h, &w, HIVE_PRESSURE_BUSY, HIVE_DENY_CTL, "/queen/ctl", "busy", "verb=%s", "spawn");
	CHECK_EQ_STR(last_row(h), "ctl role=worker subject=w-1 session=5 object=/queen/ctl op=ctl outcome=deny reason=busy verb=spawn");
	hive_deny(h, &w, HIVE_PRESSURE_CUT, HIVE_DENY_CUT, NULL, "idle-timeout", "id=%d", 5);
	CHECK_EQ_STR(last_row(h), "session role=worker subject=w-1 session=5 op=cut outcome=deny reason=idle-timeout id=5");
	hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_VERB, NULL, "unauthenticated", "%s", "");
	CHECK_EQ_STR(last_row(h), "deny role=worker subject=w-1 session=5 op=verb outcome=deny reason=unauthenticated");
	/* Values are escaped as fields: no blank, '=' or C1 control survives. */
	hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_OPEN, "/a b=\xc2\x9b", "x", NULL);
	CHECK(strstr(last_row(h), "object=/a\\x20b\\x3d\\xc2\\x9b op=open") != NULL);
	CHECK_EQ_INT(h->pressure.policy, 3);
	CHECK_EQ_INT(h->pressure.quota, 1);
	CHECK_EQ_INT(h->pressure.busy, 1);
	CHECK_EQ_INT(h->pressure.cut, 1);
	CHECK_EQ_INT(h->denials[HIVE_DENY_WALK], 1);
	CHECK_EQ_INT(h->denials[HIVE_DENY_TICKET], 1);
	CHECK_EQ_INT(h->denials[HIVE_DENY_CUT], 1);
	for (unsigned op = 0; op < HIVE_DENY_OPS; op++)
		CHECK_EQ_INT(logged(h, hive_deny_op_name(op), NULL), h->denials[op]);
	/* /proc/pressure shows the per-op counters. */
	char buf[2048];
	CHECK(ns_fx_read_all(h->ns, &w, "/proc/pressure", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "policy=3\n") != NULL);
	CHECK(strstr(buf, "\ndeny.walk=1\n") != NULL && strstr(buf, "\ndeny.ticket=1\n") != NULL);
	CHECK(strstr(buf, "\ndeny.cut=1\n") != NULL && strstr(buf, "\ndeny.write=0\n") != NULL);
	hive_fx_destroy(h);
}

TEST(repeats_fold_into_a_count)
{
	struct hive *h = hive_fx_make(1000);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "w-1", 5, "tcp");
	uint64_t rows;
	if (!h)
		return;
	for (int i = 0; i < 10; i++)
		hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_WALK, "/queen", "not-visible", NULL);
	/* The first few are rows; the rest wait for a flush. */
	CHECK_EQ_INT(logged(h, "walk", &rows), HIVE_DENY_FOLD_AFTER);
	CHECK_EQ_INT(rows, HIVE_DENY_FOLD_AFTER);
	CHECK_EQ_INT(h->denials[HIVE_DENY_WALK], 10);
	/* Another session's refusal is another row, not a repeat. */
	struct principal w2 = ns_fx_principal(HIVE_ROLE_WORKER, "w-1", 6, "tcp");
	hive_deny(h, &w2, HIVE_PRESSURE_POLICY, HIVE_DENY_WALK, "/queen", "not-visible", NULL);
	CHECK(strstr(last_row(h), "session=6 ") != NULL);
	/* Any other event writes what folded first, so rows keep their order. */
	hive_event(h, NULL, "note", NULL, "x=1");
	CHECK_EQ_INT(logged(h, "walk", &rows), 11);
	CHECK_EQ_INT(rows, HIVE_DENY_FOLD_AFTER + 2);
	CHECK(strstr(log_text(h), "session=5 object=/queen op=walk outcome=deny reason=not-visible count=7\n") != NULL);
	CHECK_EQ_STR(last_row(h), "note role=hive subject=- session=0 x=1");
	/* Folding goes on in the same window: repeats after the flush fold. */
	for (int i = 0; i < 5; i++)
		hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_WALK, "/queen", "not-visible", NULL);
	CHECK_EQ_INT(logged(h, "walk", NULL), 11);
	/* Reading /proc/pressure balances the books. */
	char buf[2048];
	CHECK(ns_fx_read_all(h->ns, &w, "/proc/pressure", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "\ndeny.walk=16\n") != NULL);
	CHECK_EQ_INT(logged(h, "walk", &rows), 16);
	CHECK_EQ_INT(rows, HIVE_DENY_FOLD_AFTER + 3);
	hive_fx_destroy(h);
}

TEST(a_flood_keeps_the_log)
{
	struct hive *h = hive_fx_make(1000);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "w-1", 5, "tcp");
	uint64_t rows;
	if (!h)
		return;
	hive_event(h, NULL, "start", NULL, "version=test");
	/* More kinds than slots, each repeated, in turn: eviction writes the
	 * counts out and the sums still hold. */
	char obj[32];
	for (int round = 0; round < 50; round++)
		for (unsigned k = 0; k < HIVE_DENY_FOLD_SLOTS + 8; k++) {
			snprintf(obj, sizeof obj, "/agent/a%u", k);
			hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_WALK, obj, "not-visible", NULL);
		}
	hive_deny_flush(h);
	CHECK_EQ_INT(logged(h, "walk", NULL), h->denials[HIVE_DENY_WALK]);
	/* 10,000 refused walks of one kind cost a handful of rows. */
	uint64_t before = h->denials[HIVE_DENY_WALK];
	for (int i = 0; i < 10000; i++) {
		struct ns_node *n;
		struct err err;
		CHECK_EQ_INT(ns_fx_walk(h->ns, &w, "/queen/ctl", &n, &err), -EACCES);
	}
	CHECK_EQ_INT(h->denials[HIVE_DENY_WALK], before + 10000);
	hive_deny_flush(h);
	CHECK_EQ_INT(logged(h, "walk", &rows), h->denials[HIVE_DENY_WALK]);
	CHECK_EQ_INT(ns_ring_base(h->log), 0);
	CHECK(strncmp(strchr(log_text(h), ' ') + 1, "start role=hive", 15) == 0);
	hive_fx_destroy(h);
}

/* hive_deny_with: a caller's fold key folds rows that differ in session
 * and detail (a stranger's new connections), apart by op, reason and key;
 * the count= row shows the last refusal; a family word replaces the op's. */
TEST(keyed_folds_and_family)
{
	struct hive *h = hive_fx_make(1000);
	uint64_t rows;
	if (!h)
		return;
	const struct hive_deny_opts a = { .fold_key = "uid=65534" }, b = { .fold_key = "uid=1001" };
	for (int i = 0; i < 20; i++) {
		struct principal p = ns_fx_principal(HIVE_ROLE_NONE, NULL, 100 + i, "tcp");
		hive_deny_with(h, &p, HIVE_PRESSURE_QUOTA, HIVE_DENY_THROTTLE, NULL, "throttled", &a,
		               "transport=tcp peer=127.0.0.1:%d", 50000 + i);
		hive_deny_with(h, &p, HIVE_PRESSURE_QUOTA, HIVE_DENY_THROTTLE, NULL, "rate-limited", &a,
		               "transport=tcp peer=127.0.0.1:%d", 50000 + i);
		hive_deny_with(h, &p, HIVE_PRESSURE_QUOTA, HIVE_DENY_THROTTLE, NULL, "throttled", &b,
		               "transport=tcp peer=127.0.0.1:%d", 60000 + i);
	}
	CHECK_EQ_INT(h->denials[HIVE_DENY_THROTTLE], 60);
	CHECK_EQ_INT(h->pressure.quota, 60);
	CHECK_EQ_INT(logged(h, "throttle", &rows), 3 * HIVE_DENY_FOLD_AFTER);
	hive_deny_flush(h);
	CHECK_EQ_INT(logged(h, "throttle", &rows), 60);
	CHECK_EQ_INT(rows, 3 * (HIVE_DENY_FOLD_AFTER + 1));
	CHECK(strstr(log_text(h), "attach role=none subject=- session=119 op=throttle outcome=deny reason=throttled "
	                          "transport=tcp peer=127.0.0.1:50019 count=17\n") != NULL);
	CHECK(strstr(log_text(h), "reason=rate-limited transport=tcp peer=127.0.0.1:50019 count=17\n") != NULL);
	CHECK(strstr(log_text(h), "reason=throttled transport=tcp peer=127.0.0.1:60019 count=17\n") != NULL);
	/* The family word: the row reads as the caller's, counted under its op. */
	struct principal q = ns_fx_principal(HIVE_ROLE_QUEEN, NULL, 2, "unix");
	hive_deny_with(h, &q, HIVE_PRESSURE_BUSY, HIVE_DENY_CTL, "/queen/lifecycle/ctl", "outstanding-work",
	               &(struct hive_deny_opts){ .family = "lifecycle" }, "action=drain");
	CHECK_EQ_STR(last_row(h), "lifecycle role=queen subject=- session=2 object=/queen/lifecycle/ctl op=ctl "
	                          "outcome=deny reason=outstanding-work action=drain");
	CHECK_EQ_INT(logged(h, "ctl", NULL), h->denials[HIVE_DENY_CTL]);
	hive_fx_destroy(h);
}

struct tick_ctx {
	struct hive *h;
	int ticks;
};

static void stop_after(struct loop *loop, void *arg)
{
	struct tick_ctx *t = arg;
	if (++t->ticks * 100 >= (int)(HIVE_DENY_FOLD_MS * 2 + 300))
		loop_stop(loop);
}

TEST(the_window_ends_on_a_timer)
{
	struct hive *h = hive_fx_make(1000);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "w-1", 5, "tcp");
	struct tick_ctx t = { h, 0 };
	if (!h)
		return;
	h->loop = loop_new();
	CHECK(h->loop != NULL);
	if (!h->loop)
		return;
	for (int i = 0; i < 50; i++)
		hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_WRITE, "/proc/version", "not-writable", NULL);
	CHECK(h->deny_fold_timer > 0);
	CHECK_EQ_INT(logged(h, "write", NULL), HIVE_DENY_FOLD_AFTER);
	loop_add_timer(h->loop, 100, stop_after, &t);
	loop_run(h->loop);
	/* The first tick wrote the count, the next let the idle kind go and
	 * stopped the timer: an idle hive does not wake for nothing. */
	CHECK_EQ_INT(logged(h, "write", NULL), 50);
	CHECK(strstr(log_text(h), "reason=not-writable count=47\n") != NULL);
	CHECK_EQ_INT(h->deny_fold_timer, 0);
	hive_deny_close(h);
	loop_free(h->loop);
	h->loop = NULL;
	hive_fx_destroy(h);
}

TEST(shutdown_writes_the_rest)
{
	struct hive *h = hive_fx_make(1000);
	struct principal w = ns_fx_principal(HIVE_ROLE_WORKER, "w-1", 5, "tcp");
	if (!h)
		return;
	for (int i = 0; i < 9; i++)
		hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_REMOVE, "/proc", "not-removable", NULL);
	struct ns_ring *log = h->log;
	h->log = NULL; /* keep the ring past hive_tree_free to look at it */
	hive_deny_close(h);
	CHECK(h->deny_folds == NULL);
	h->log = log;
	CHECK_EQ_INT(logged(h, "remove", NULL), HIVE_DENY_FOLD_AFTER);
	hive_deny_flush(h); /* nothing left: a no-op */
	for (int i = 0; i < 9; i++)
		hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_REMOVE, "/proc", "not-removable", NULL);
	hive_deny_close(h);
	CHECK_EQ_INT(logged(h, "remove", NULL), 9 + HIVE_DENY_FOLD_AFTER);
	hive_fx_destroy(h);
}

int main(void)
{
	RUN(counts_and_rows_by_op);
	RUN(repeats_fold_into_a_count);
	RUN(a_flood_keeps_the_log);
	RUN(keyed_folds_and_family);
	RUN(the_window_ends_on_a_timer);
	RUN(shutdown_writes_the_rest);
	return test_done();
}
