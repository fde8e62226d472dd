/*
 * tree.c — hive_tree_build: the namespace a fresh hive serves, and who
 * sees what in it.
 *
 *   /                     all roles
 *   /proc/...             all roles read (procfs.c)
 *   /log/queen.log        all roles read; queen appends one line per write
 *   /queen/ctl            queen and observer see and read; queen writes
 *   /queen/lifecycle/ctl  same
 *   /agent/               all roles; each /agent/<aid> is seen by queen,
 *                         observer, and the worker whose subject is <aid>
 *   /test/big/entry-NNNN  only with --test-fixtures: TREE_BIG_FILES read-only
 *                         files for client conformance tests (a directory
 *                         larger than one readdir reply)
 *
 * Refusals by the tree (walk, open, write) go through the deny door,
 * hive_deny, so they are counted and land in queen.log with the rest.
 */
#include "hived/audit/auditfs.h"
#include "hived/core/hive.h"
#include "procfs.h"
#include "queenctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* /test/big: enough entries that a listing needs several readdir replies
 * at the kernel's 8 KiB msize (~240 per 9P2000.L reply). */
#define TREE_BIG_FILES 1000u

static void tree_emit(void *arg, const struct principal *who, const char *event, const char *path,
                      const char *detail)
{
	hive_event(arg, who, event, path, "%s", detail ? detail : "");
}

static void tree_deny(void *arg, const struct principal *who, enum ns_deny_op op, const char *path,
                      const char *reason, const char *detail)
{
	static const enum hive_deny_op ops[] = { [NS_DENY_WALK] = HIVE_DENY_WALK, [NS_DENY_OPEN] = HIVE_DENY_OPEN,
		                                 [NS_DENY_WRITE] = HIVE_DENY_WRITE,
		                                 [NS_DENY_OPEN_QUOTA] = HIVE_DENY_OPEN };
	hive_deny(arg, who, op == NS_DENY_OPEN_QUOTA ? HIVE_PRESSURE_QUOTA : HIVE_PRESSURE_POLICY, ops[op], path,
	          reason, "%s", detail);
}

int hive_agent_visible(const struct ns_node *node, const struct principal *who)
{
	const struct ns_node *n = node, *p;

	if (!who)
		return 0;
	if (who->role == HIVE_ROLE_QUEEN || who->role == HIVE_ROLE_OBSERVER)
		return 1;
	if (who->role != HIVE_ROLE_WORKER || !who->subject[0])
		return 0;
	/* Climb to the node directly under /agent: its name is the aid. */
	for (p = ns_node_parent(n); p && ns_node_parent(p); n = p, p = ns_node_parent(p)) {
		if (strcmp(ns_node_name(p), "agent") == 0 && ns_node_parent(ns_node_parent(p)) == NULL)
			return strcmp(ns_node_name(n), who->subject) == 0;
	}
	return 0; /* not under /agent: fail closed */
}

/* A fixture file's content is its own name and a newline: a client can
 * check that it read the entry it asked for. */
static int fixture_open(struct ns_file *f, struct err *err)
{
	char text[HIVE_NAME_MAX + 2];
	int n = snprintf(text, sizeof text, "%s\n", ns_node_name(ns_file_node(f)));

	return ns_file_snapshot(f, text, (size_t)n, err);
}

/* The real size, so stat agrees with what a read returns. */
static uint64_t fixture_length(const struct ns_node *node)
{
	return strlen(ns_node_name(node)) + 1;
}

static const struct ns_ops fixture_ops = {
	.open = fixture_open,
	.length = fixture_length,
};

static int tree_build_fixtures(struct hive *hive, struct ns_node *root)
{
	static const struct ns_perm dir_perm = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm file_perm = { .mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	struct ns_node *test, *big;
	char name[32];

	if (!(test = ns_mkdir(hive->ns, root, "test", &dir_perm)) ||
	    !(big = ns_mkdir(hive->ns, test, "big", &dir_perm)))
		return -errno;
	for (unsigned i = 1; i <= TREE_BIG_FILES; i++) {
		snprintf(name, sizeof name, "entry-%04u", i);
		if (!ns_mkfile(hive->ns, big, name, &file_perm, &fixture_ops, NULL))
			return -errno;
	}
	return 0;
}

void hive_tree_free(struct hive *hive)
{
	/* Folded refusals reach the log before it goes. */
	hive_deny_close(hive);
	ns_free(hive->ns);
	hive->ns = NULL;
	ns_ring_free(hive->log);
	hive->log = NULL;
}

int hive_tree_build(struct hive *hive)
{
	static const struct ns_perm all_dir = { .mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL };
	static const struct ns_perm queen_dir = {
		.mode = 0555, .see = HIVE_ROLES_READERS, .read = HIVE_ROLES_READERS,
	};
	static const struct ns_perm log_file = {
		.mode = 0644, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL,
		.write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN),
	};
	struct ns_node *root, *dir;
	int rc = -ENOMEM;

	hive->log = ns_ring_new(HIVE_LOG_RING_BYTES, NS_RING_CLAMP);
	if (!hive->log)
		goto fail;
	hive->ns = ns_new(tree_emit, hive);
	if (!hive->ns)
		goto fail;
	ns_set_deny(hive->ns, tree_deny, hive);
	root = ns_root(hive->ns);

	if (!(dir = ns_mkdir(hive->ns, root, "proc", &all_dir)))
		goto fail_errno;
	if ((rc = procfs_build(hive, dir)) < 0)
		goto fail;

	if (!(dir = ns_mkdir(hive->ns, root, "log", &all_dir)))
		goto fail_errno;
	if (!ns_ring_file(hive->ns, dir, "queen.log", &log_file, hive->log, NS_RING_WRITE_LINE))
		goto fail_errno;

	if (!(dir = ns_mkdir(hive->ns, root, "queen", &queen_dir)))
		goto fail_errno;
	if ((rc = queenctl_build(hive, dir)) < 0)
		goto fail;

	if (!ns_mkdir(hive->ns, root, "agent", &all_dir))
		goto fail_errno;
	if ((rc = auditfs_build(hive, root)) < 0)
		goto fail;
	if (hive->cfg.test_fixtures && (rc = tree_build_fixtures(hive, root)) < 0)
		goto fail;
	return 0;

fail_errno:
	rc = -errno;
fail:
	hive_tree_free(hive);
	return rc;
}
