/* Unit tests for the doors' records (hive.c): every refusal through the
 * deny door is one deny record, folded row or not; the event door maps its
 * word (and an agent row's event=) to a record type and carries cap=; the
 * record door fails closed when the queue is full and queen.log says so
 * once. */
#include "hived/audit/audit.h"
#include "hived/audit/segment.h"
#include "hived/core/hive.h"
#include "test.h"
#include "hive_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpl[] = "/tmp/hive-audit-door.XXXXXX";
static char dir[256];
static int ndir;

struct tally {
	uint64_t n, types[AUDIT_TYPES];
	char last_grant_cap[HIVE_ATTEST_CAP_MAX + 1], last_grant_aid[HIVE_AID_MAX + 1];
};
static int tally_rec(void *arg, const struct audit_rec *r, const uint8_t *frame, size_t n)
{
	struct tally *t = arg;
	t->n++;
	t->types[r->type]++;
	if (r->type == AUDIT_GRANT) {
		snprintf(t->last_grant_cap, sizeof t->last_grant_cap, "%s", r->cap);
		snprintf(t->last_grant_aid, sizeof t->last_grant_aid, "%s", r->aid);
	}
	return 0;
}
static void tally(struct tally *t)
{
	uint64_t firsts[16];
	int fd = open(dir, O_RDONLY | O_DIRECTORY), n = segment_list(fd, firsts, 16);
	memset(t, 0, sizeof *t);
	for (int i = 0; i < n; i++) {
		struct segment_scan s;
		struct err e = { 0 };
		segment_scan(fd, firsts[i], 0, &s, tally_rec, t, &e);
	}
	close(fd);
}

static struct hive *make(const struct audit_opts *o)
{
	struct hive *h = hive_fx_make(0);
	struct err err = { 0 };
	snprintf(dir, sizeof dir, "%s/log%d", tmpl, ndir++);
	if (h && audit_open(dir, o, &h->audit, &err) < 0) {
		hive_fx_destroy(h);
		return NULL;
	}
	return h;
}

static void destroy(struct hive *h)
{
	audit_close(h->audit);
	h->audit = NULL;
	hive_fx_destroy(h);
}

TEST(one_deny_record_per_refusal_folded_or_not)
{
	struct hive *h = make(NULL);
	struct principal w = { .role = HIVE_ROLE_WORKER, .subject = "a-7", .session_id = 3 };
	struct tally t;
	uint64_t denials = 0;

	CHECK(h != NULL);
	if (!h)
		return;
	for (int i = 0; i < 25; i++) /* past HIVE_DENY_FOLD_AFTER: rows fold */
		hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_WALK, "/queen", "not-visible", NULL);
	for (int i = 0; i < 7; i++)
		hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_SYSCALL, "/etc/shadow", "no-capability",
		          "syscall=openat cap=- pid=%d", 100 + i);
	for (int i = 0; i < HIVE_DENY_OPS; i++)
		denials += h->denials[i];
	CHECK(h->audit_last >= 0);
	destroy(h);
	tally(&t);
	CHECK_EQ_INT(denials, 32);
	CHECK_EQ_INT(t.types[AUDIT_DENY], denials);
}

TEST(event_words_map_to_types)
{
	struct hive *h = make(NULL);
	struct principal w = { .role = HIVE_ROLE_WORKER, .subject = "a-3", .session_id = 1 };
	struct tally t;

	CHECK(h != NULL);
	if (!h)
		return;
	hive_event(h, &w, "agent", "a-3", "event=grant cap=fs.read:/srv by=queen ceiling=inside");
	hive_event(h, &w, "agent", "a-3", "event=spawn pid=1 uid=2");
	hive_event(h, &w, "agent", "a-3", "event=state old=a new=b reason=-");
	hive_event(h, &w, "agent", "a-3", "event=exit status=0 pid=1");
	hive_event(h, NULL, "lifecycle", NULL, "old=booting new=online reason=-");
	hive_event(h, NULL, "attach", "/", "outcome=allow transport=unix");
	hive_event(h, NULL, "ctl", "/queen/ctl", "result=ok verb=log");
	hive_event(h, NULL, "whatever", NULL, "x=1");
	CHECK(hive_record(h, &w, AUDIT_ALLOW, AUDIT_R_OK, "/srv/x", "fs.read:/srv", "syscall=openat") >= 0);
	destroy(h);
	tally(&t);
	CHECK_EQ_INT(t.types[AUDIT_GRANT], 1);
	CHECK_EQ_STR(t.last_grant_cap, "fs.read:/srv");
	CHECK_EQ_STR(t.last_grant_aid, "a-3");
	CHECK_EQ_INT(t.types[AUDIT_SPAWN], 1);
	CHECK_EQ_INT(t.types[AUDIT_STATE], 1);
	CHECK_EQ_INT(t.types[AUDIT_EXIT], 1);
	CHECK_EQ_INT(t.types[AUDIT_LIFECYCLE], 1);
	CHECK_EQ_INT(t.types[AUDIT_ATTACH], 1);
	CHECK_EQ_INT(t.types[AUDIT_CTL], 1);
	CHECK_EQ_INT(t.types[AUDIT_EVENT], 1);
	CHECK_EQ_INT(t.types[AUDIT_ALLOW], 1);
}

static char ring[HIVE_LOG_RING_BYTES + 1];

TEST(full_queue_fails_closed_and_says_so)
{
	struct hive *h = make(&(struct audit_opts){ .hold = 1, .queue_max = 8 });
	struct principal w = { .role = HIVE_ROLE_WORKER, .subject = "a-1", .session_id = 1 };
	struct audit_stats st;
	struct err err;
	int refused = 0;

	CHECK(h != NULL);
	if (!h)
		return;
	for (int i = 0; i < 10; i++)
		if (hive_record(h, &w, AUDIT_ALLOW, AUDIT_R_OK, "/x", "", "i=%d", i) < 0)
			refused++;
	CHECK_EQ_INT(refused, 4); /* 6 slots for allows, 2 kept for denies */
	CHECK_EQ_INT(hive_audit_ok(h), -ENOBUFS);
	CHECK(h->audit_last < 0);
	/* A deny still gets its record from the reserve. */
	hive_deny(h, &w, HIVE_PRESSURE_POLICY, HIVE_DENY_SYSCALL, "/x", "audit-failing", NULL);
	CHECK(h->audit_last >= 0);
	audit_stats(h->audit, &st);
	CHECK_EQ_INT(st.refused, 4);
	ssize_t n = ns_ring_read(h->log, ns_ring_base(h->log), ring, sizeof ring - 1, &err);
	ring[n > 0 ? n : 0] = '\0';
	const char *row = strstr(ring, " audit role=hive ");
	CHECK(row && strstr(row, "state=failing reason=queue-full"));
	CHECK(row && !strstr(row + 1, " audit role=hive ")); /* said once */
	audit_release(h->audit);
	CHECK_EQ_INT(hive_audit_durable(h, h->audit_last), 0);
	destroy(h);
}

int main(void)
{
	if (!mkdtemp(tmpl))
		return 1;
	RUN(one_deny_record_per_refusal_folded_or_not);
	RUN(event_words_map_to_types);
	RUN(full_queue_fails_closed_and_says_so);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
