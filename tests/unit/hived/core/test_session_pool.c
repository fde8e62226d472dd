/*
 * Unit tests for the session table's pools (hive.c) and its folded
 * refusal rows (the deny door, folding by peer id): strangers before
 * authentication share a small pool with a per-peer cap, the owner keeps
 * a reserve ticketed sessions cannot take, and a flood of refusals costs
 * a few rows per peer whose counts sum to sessions_refused.
 */
#include <errno.h>
#include <stdlib.h>

#include "hive_fixture.h"
#include "test.h"

/* Refusals the log rows holding `needle` stand for: count=N, or 1 for a
 * row without one; *rows gets how many rows. */
static unsigned long long count_sum(struct hive *h, const char *needle, int *rows)
{
	static char buf[HIVE_LOG_RING_BYTES + 1];
	struct err err;
	ssize_t n = ns_ring_read(h->log, 0, buf, sizeof buf - 1, &err);
	unsigned long long sum = 0;
	*rows = 0;
	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *c = strstr(line, " count=");
		if (strstr(line, needle)) {
			sum += c ? strtoull(c + 7, NULL, 10) : 1;
			(*rows)++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return sum;
}

TEST(preauth_pool_and_per_peer_cap)
{
	struct hive *h = hive_fx_make(1000);
	if (!h)
		return;
	/* One stranger fills its share, and no more. */
	for (unsigned i = 0; i < HIVE_PREAUTH_PER_PEER_MAX; i++)
		CHECK(hive_session_admit(h, "tcp", "127.0.0.1:1", "uid=65534@127.0.0.1", 0, 1) != NULL);
	errno = 0;
	CHECK(hive_session_admit(h, "tcp", "127.0.0.1:1", "uid=65534@127.0.0.1", 0, 1) == NULL);
	CHECK_EQ_INT(errno, EAGAIN);
	/* Another loopback address of the same uid is the same peer. */
	CHECK(hive_session_admit(h, "tcp", "127.0.0.9:1", "uid=65534@127.0.0.9", 0, 1) == NULL);
	/* Others fill the rest of the pool, then it is full for everyone. */
	char key[64];
	unsigned made = HIVE_PREAUTH_PER_PEER_MAX;
	for (unsigned u = 2000; made < HIVE_PREAUTH_SESSIONS_MAX; u++)
		for (unsigned i = 0; i < 8 && made < HIVE_PREAUTH_SESSIONS_MAX; i++, made++) {
			snprintf(key, sizeof key, "uid=%u@127.0.0.1", u);
			CHECK(hive_session_admit(h, "tcp", "p", key, 0, 1) != NULL);
		}
	CHECK_EQ_INT(h->npending, HIVE_PREAUTH_SESSIONS_MAX);
	errno = 0;
	CHECK(hive_session_admit(h, "console", "p", "uid=0@127.0.0.1", 0, 1) == NULL);
	CHECK_EQ_INT(errno, EUSERS);
	/* The owner's Unix socket still gets in, and so does a session that
	 * authenticates: it leaves the pool and makes room. */
	struct hive_session *q = hive_session_admit(h, "unix", "uid=1000 pid=1", "uid=1000", 1, 0);
	CHECK(q != NULL);
	struct hive_session *w = h->sessions->next; /* a pending stranger */
	CHECK(w->pending);
	hive_session_authed(h, w);
	CHECK_EQ_INT(h->npending, HIVE_PREAUTH_SESSIONS_MAX - 1);
	CHECK(hive_session_admit(h, "tcp", "p", "uid=0@127.0.0.1", 0, 1) != NULL);
	/* Removing a pending session gives its slot back. */
	hive_session_remove(h, h->sessions);
	CHECK_EQ_INT(h->npending, HIVE_PREAUTH_SESSIONS_MAX - 1);
	hive_fx_destroy(h);
}

TEST(owner_reserve)
{
	struct hive *h = hive_fx_make(1000);
	if (!h)
		return;
	/* Ticketed sessions (admitted, then authenticated) stop short of the reserve. */
	unsigned n = 0;
	char key[64];
	for (;; n++) {
		snprintf(key, sizeof key, "uid=%u", 5000 + n);
		struct hive_session *s = hive_session_admit(h, "tcp", "p", key, 0, 1);
		if (!s)
			break;
		hive_session_authed(h, s);
	}
	CHECK_EQ_INT(n, HIVE_SESSIONS_MAX - HIVE_OWNER_SESSIONS_RESERVE);
	CHECK_EQ_INT(errno, EMFILE);
	/* The owner takes the reserve, up to the table's size. */
	for (unsigned i = 0; i < HIVE_OWNER_SESSIONS_RESERVE; i++)
		CHECK(hive_session_admit(h, "unix", "o", "uid=1000", 1, 0) != NULL);
	CHECK(hive_session_admit(h, "unix", "o", "uid=1000", 1, 0) == NULL);
	CHECK_EQ_INT(h->nsessions, HIVE_SESSIONS_MAX);
	CHECK_EQ_INT(h->nowner, HIVE_OWNER_SESSIONS_RESERVE);
	hive_fx_destroy(h);
}

TEST(refusal_rows_fold)
{
	struct hive *h = hive_fx_make(1000);
	if (!h)
		return;
	for (unsigned i = 0; i < HIVE_PREAUTH_PER_PEER_MAX; i++)
		CHECK(hive_session_admit(h, "tcp", "a", "uid=65534@127.0.0.1", 0, 1) != NULL);
	const unsigned K = 5000;
	for (unsigned i = 0; i < K; i++)
		CHECK(hive_session_admit(h, "tcp", "a", "uid=65534@127.0.0.1", 0, 1) == NULL);
	CHECK_EQ_INT(h->sessions_refused, K);
	CHECK_EQ_INT(h->denials[HIVE_DENY_SESSION], K); /* every refusal, not every row */
	int rows = 0;
	unsigned long long sum = count_sum(h, "refuse role=hive", &rows);
	/* The first few rows are written at once; the rest wait for the window. */
	CHECK_EQ_INT(rows, HIVE_DENY_FOLD_AFTER);
	CHECK_EQ_INT(sum, HIVE_DENY_FOLD_AFTER);
	hive_deny_flush(h);
	sum = count_sum(h, "refuse role=hive", &rows);
	CHECK_EQ_INT(sum, K);
	CHECK(rows <= 4);
	int same = 0;
	CHECK_EQ_INT(count_sum(h, "outcome=deny reason=preauth-per-peer limit=32 transport=tcp peer=a", &same), K);
	CHECK_EQ_INT(same, rows);
	/* A stranger's new ports and addresses are still its peer id: they fold
	 * into the same kind, and its count= row shows the last detail. */
	hive_event(h, NULL, "note", NULL, "x=1");
	char peer[32];
	for (unsigned i = 0; i < 50; i++) {
		snprintf(peer, sizeof peer, "127.0.0.%u:%u", 1 + i % 3, 40000 + i);
		CHECK(hive_session_admit(h, "tcp", peer, "uid=65534@127.0.0.1", 0, 1) == NULL);
	}
	hive_deny_flush(h);
	CHECK_EQ_INT(count_sum(h, "outcome=deny reason=preauth-per-peer limit=32 transport=tcp peer=127.0.0.", &same),
	             50);
	CHECK(same >= 1 && same <= (int)HIVE_DENY_FOLD_AFTER + 1);
	int last = 0; /* the count= row, showing the last refusal's peer */
	CHECK(count_sum(h, "peer=127.0.0.2:40049 count=", &last) > 1);
	CHECK_EQ_INT(last, 1);
	/* accept(2) failing for lack of fds: the same counter, rows and door. */
	for (int i = 0; i < 3; i++)
		hive_session_refused(h, "tcp", EMFILE);
	CHECK_EQ_INT(h->sessions_refused, K + 53);
	CHECK_EQ_INT(h->denials[HIVE_DENY_SESSION], K + 53);
	hive_deny_flush(h);
	CHECK_EQ_INT(count_sum(h, "outcome=deny reason=out-of-fds transport=tcp errno=24", &same), 3);
	CHECK_EQ_INT(count_sum(h, "refuse role=hive", &same), K + 53);
	hive_fx_destroy(h);
}

int main(void)
{
	RUN(preauth_pool_and_per_peer_cap);
	RUN(owner_reserve);
	RUN(refusal_rows_fold);
	return test_done();
}
