/*
 * ns_fixture.h — helpers shared by the namespace's unit tests (test_ns.c,
 * test_ns_providers.c, test_queenctl.c): a principal built by hand, the
 * permission sets the tests hang nodes under, and walk / read-all / write
 * through the same ns_walk1 / ns_open / ns_read / ns_write a 9P session
 * uses, so each test exercises the public entry points rather than poking
 * at nodes. Header-only because each unit test is one file.
 */
#ifndef HIVE_TEST_NS_FIXTURE_H
#define HIVE_TEST_NS_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "hived/ns/ns.h"

/* Paths the tests walk are short literals; this bounds the strtok copy. */
#define NS_FX_PATH_MAX 256

/* Unused ones in a given test are fine: GCC does not warn for header consts. */
static const struct ns_perm dir_all = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
static const struct ns_perm ro_all = { .mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
static const struct ns_perm rw_queen = {
	.mode = 0644, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN),
};
static const struct ns_perm rw_all = {
	.mode = 0666, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .write = HIVE_ROLES_ALL,
};

static inline struct principal ns_fx_principal(enum hive_role role, const char *subject, uint64_t sid,
                                               const char *transport)
{
	struct principal p;
	memset(&p, 0, sizeof p);
	p.role = role;
	snprintf(p.subject, sizeof p.subject, "%s", subject ? subject : "");
	p.session_id = sid;
	p.transport = transport;
	return p;
}

/* Walk an absolute path as `who`; returns 0 or -code with err. */
static inline int ns_fx_walk(struct ns *ns, const struct principal *who, const char *path,
                             struct ns_node **out, struct err *err)
{
	struct ns_node *cur = ns_root(ns), *next;
	char buf[NS_FX_PATH_MAX];
	*out = NULL;
	snprintf(buf, sizeof buf, "%s", path);
	ns_node_ref(cur);
	for (char *save = NULL, *el = strtok_r(buf, "/", &save); el; el = strtok_r(NULL, "/", &save)) {
		int rc = ns_walk1(ns, who, cur, el, strlen(el), &next, err);
		ns_node_unref(cur);
		if (rc < 0)
			return rc;
		cur = next;
	}
	*out = cur;
	return 0;
}

/* Open, read everything from offset 0 into buf (NUL-terminated), close. */
static inline ssize_t ns_fx_read_all(struct ns *ns, const struct principal *who, const char *path,
                                     char *buf, size_t cap)
{
	struct err err;
	struct ns_node *node;
	struct ns_file *f;
	size_t got = 0;
	ssize_t n;
	if (ns_fx_walk(ns, who, path, &node, &err) < 0)
		return -err.code;
	int rc = ns_open(ns, who, node, NS_OREAD, &f, &err);
	ns_node_unref(node);
	if (rc < 0)
		return rc;
	while ((n = ns_read(f, got, buf + got, cap - 1 - got, &err)) > 0)
		got += (size_t)n;
	ns_close(f);
	buf[got] = '\0';
	return n < 0 ? n : (ssize_t)got;
}

/* Open for writing, one ns_write of data at offset off, close. */
static inline ssize_t ns_fx_write_at(struct ns *ns, const struct principal *who, const char *path,
                                     uint64_t off, const char *data, struct err *err)
{
	struct ns_node *node;
	struct ns_file *f;
	if (ns_fx_walk(ns, who, path, &node, err) < 0)
		return -err->code;
	int rc = ns_open(ns, who, node, NS_OWRITE, &f, err);
	ns_node_unref(node);
	if (rc < 0)
		return rc;
	ssize_t n = ns_write(f, off, data, strlen(data), err);
	ns_close(f);
	return n;
}

#endif
