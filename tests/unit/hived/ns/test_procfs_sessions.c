/*
 * Unit tests for /proc/sessions at its limit: with HIVE_SESSIONS_MAX live
 * sessions whose every field is as long as it can be, the file still holds
 * one whole line per session (HIVE_SESSIONS_SNAPSHOT_MAX, not the
 * HIVE_SNAPSHOT_MAX of the other /proc files), and no line is longer than
 * HIVE_SESSIONS_LINE_MAX. Also: a text file with its own small bound is cut
 * at a whole line and says `truncated`.
 */
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "test.h"
#include "hive_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read a whole file as `who` into a malloc'd buffer (NUL-terminated). */
static char *slurp(struct ns *ns, const struct principal *who, const char *path, size_t *len)
{
	struct err err;
	struct ns_file *f;
	struct ns_node *node = ns_lookup(ns, path);
	size_t cap = HIVE_SESSIONS_SNAPSHOT_MAX + 1, got = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;
	if (!buf || !node || ns_open(ns, who, node, NS_OREAD, &f, &err) < 0) {
		free(buf);
		return NULL;
	}
	/* In msize-sized reads, as a 9P client would. */
	while (got < cap && (n = ns_read(f, got, buf + got, cap - got < 65536 ? cap - got : 65536, &err)) > 0)
		got += (size_t)n;
	ns_close(f);
	buf[got] = '\0';
	*len = got;
	return buf;
}

static size_t count_lines(const char *s, size_t *longest)
{
	size_t n = 0;
	*longest = 0;
	for (const char *p = s; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (l > *longest)
			*longest = l;
		n++;
		p += l;
	}
	return n;
}

TEST(sessions_file_fits_every_session)
{
	struct hive *h = hive_fx_make(0);
	CHECK(h != NULL);
	if (!h)
		return;
	struct principal q;
	memset(&q, 0, sizeof q);
	q.role = HIVE_ROLE_QUEEN;
	q.transport = "internal";
	/* Every field at its longest, and escaped at up to 4 bytes a byte. */
	char peer[64], subject[HIVE_SUBJECT_MAX + 1];
	memset(peer, ' ', sizeof peer - 1);
	peer[sizeof peer - 1] = '\0';
	memset(subject, '=', sizeof subject - 1);
	subject[sizeof subject - 1] = '\0';
	uint32_t made = 0;
	for (; made < HIVE_SESSIONS_MAX + 1; made++) {
		struct hive_session *s = hive_session_add(h, "tcp", peer);
		if (!s)
			break;
		s->who.role = HIVE_ROLE_OBSERVER;
		snprintf(s->who.subject, sizeof s->who.subject, "%s", subject);
		memset(s->dialect, '\t', sizeof s->dialect - 1);
		s->rx_msgs = s->tx_msgs = UINT64_MAX;
		s->fids = UINT32_MAX;
	}
	CHECK_EQ_INT(made, HIVE_SESSIONS_MAX);
	CHECK_EQ_INT(h->nsessions, HIVE_SESSIONS_MAX);

	size_t len = 0, longest = 0;
	char *text = slurp(h->ns, &q, "/proc/sessions", &len);
	CHECK(text != NULL);
	if (text) {
		size_t lines = count_lines(text, &longest);
		printf("#   /proc/sessions: %zu lines, %zu bytes, longest line %zu bytes\n", lines, len,
		       longest);
		CHECK_EQ_INT(lines, HIVE_SESSIONS_MAX);
		CHECK(len > HIVE_SNAPSHOT_MAX); /* it would have been cut before */
		CHECK(strstr(text, "truncated") == NULL);
		CHECK(longest <= HIVE_SESSIONS_LINE_MAX);
		CHECK(len > 0 && text[len - 1] == '\n');
		/* Ids ascend from 1 to the last, one line each. */
		char want[64];
		snprintf(want, sizeof want, "\nid=%u ", HIVE_SESSIONS_MAX);
		CHECK(strstr(text, want) != NULL);
		CHECK(strncmp(text, "id=1 ", 5) == 0);
		free(text);
	}
	/* The other /proc files keep the global bound: /proc/status is small. */
	text = slurp(h->ns, &q, "/proc/status", &len);
	CHECK(text != NULL && len < HIVE_SNAPSHOT_MAX);
	if (text) {
		char want[64];
		snprintf(want, sizeof want, "sessions=%u\n", HIVE_SESSIONS_MAX);
		CHECK(strstr(text, want) != NULL);
	}
	free(text);
	hive_fx_destroy(h);
}

/* A text file with its own small bound: cut at a whole line, marked. */
static int render_many(void *arg, const struct principal *who, struct strbuf *sb)
{
	for (int i = 0; i < 100; i++)
		strbuf_printf(sb, "line=%03d\n", i);
	return 0;
}

TEST(own_bound_cuts_at_a_line)
{
	static const struct ns_perm ro = { .mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	struct ns *ns = ns_new(NULL, NULL);
	struct principal q;
	memset(&q, 0, sizeof q);
	q.role = HIVE_ROLE_QUEEN;
	CHECK(ns_text_file_max(ns, ns_root(ns), "small", &ro, render_many, NULL, 64) != NULL);
	CHECK(ns_text_file_max(ns, ns_root(ns), "zero", &ro, render_many, NULL, 0) == NULL && errno == EINVAL);
	CHECK(ns_text_file_max(ns, ns_root(ns), "whole", &ro, render_many, NULL, 900) != NULL);
	size_t len;
	char *text = slurp(ns, &q, "/small", &len);
	CHECK(text != NULL);
	if (text) {
		CHECK(len <= 64);
		/* 6 whole lines of 9 bytes (54), then the 10-byte mark: 64. */
		CHECK_EQ_STR(text, "line=000\nline=001\nline=002\nline=003\nline=004\nline=005\ntruncated\n");
		free(text);
	}
	text = slurp(ns, &q, "/whole", &len);
	CHECK(text != NULL && len == 900 && strstr(text, "truncated") == NULL);
	free(text);
	ns_free(ns);
}

int main(void)
{
	RUN(sessions_file_fits_every_session);
	RUN(own_bound_cuts_at_a_line);
	return test_done();
}
