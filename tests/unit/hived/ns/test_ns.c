/* Unit tests for the namespace core: tree, views, walk/open errors and
 * deny events, refcounts after remove, the node and depth bounds, and the
 * cost and correctness of listing a big directory that changes.
 * The built-in providers are in test_ns_providers.c. */
#include "hived/ns/ns.h"
#include "test.h"
#include "ns_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- helpers -------------------------------------------------------------- */

struct events {
	int n;
	char last_event[32], last_path[256], last_detail[256];
	enum hive_role last_role;
};

static void record(void *arg, const struct principal *who, const char *event, const char *path,
                   const char *detail)
{
	struct events *ev = arg;
	ev->n++;
	snprintf(ev->last_event, sizeof ev->last_event, "%s", event);
	snprintf(ev->last_path, sizeof ev->last_path, "%s", path ? path : "");
	snprintf(ev->last_detail, sizeof ev->last_detail, "%s", detail ? detail : "");
	ev->last_role = who ? who->role : HIVE_ROLE_NONE;
}

static struct principal P(enum hive_role role, const char *subject)
{
	return ns_fx_principal(role, subject, 0, "internal");
}

static const struct ns_perm dir_readers = { .mode = 0555, .see = HIVE_ROLES_READERS, .read = HIVE_ROLES_READERS };

/* --- tree ----------------------------------------------------------------- */

TEST(tree_sorted_unique_qids_and_errors)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct ns_node *root = ns_root(ns);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL);
	const char *names[] = { "zeta", "Alpha", "alpha", "b", "a-1", "a" };
	for (size_t i = 0; i < 6; i++)
		CHECK(ns_mkdir(ns, root, names[i], &dir_all) != NULL);
	const char *want[] = { "Alpha", "a", "a-1", "alpha", "b", "zeta" };
	for (size_t i = 0; i < 6; i++) {
		struct ns_node *c = ns_dir_child(ns, &q, root, i);
		CHECK(c != NULL);
		if (c)
			CHECK_EQ_STR(ns_node_name(c), want[i]);
	}
	CHECK(ns_dir_child(ns, &q, root, 6) == NULL);
	/* Random access after sequential access still answers right. */
	CHECK_EQ_STR(ns_node_name(ns_dir_child(ns, &q, root, 2)), "a-1");
	CHECK_EQ_STR(ns_node_name(ns_dir_child(ns, &q, root, 0)), "Alpha");

	errno = 0;
	CHECK(ns_mkdir(ns, root, "b", &dir_all) == NULL && errno == EEXIST);
	CHECK(ns_mkdir(ns, root, "", &dir_all) == NULL && errno == EINVAL);
	CHECK(ns_mkdir(ns, root, ".", &dir_all) == NULL && errno == EINVAL);
	CHECK(ns_mkdir(ns, root, "..", &dir_all) == NULL && errno == EINVAL);
	CHECK(ns_mkdir(ns, root, "x/y", &dir_all) == NULL && errno == EINVAL);
	char longname[HIVE_NAME_MAX + 2];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	CHECK(ns_mkdir(ns, root, longname, &dir_all) == NULL && errno == ENAMETOOLONG);
	struct ns_node *file = ns_text_file(ns, root, "f", &ro_all, NULL, NULL);
	CHECK(file == NULL && errno == EINVAL);
	struct ns_node *cas = ns_cas_file(ns, root, "cas", &rw_all, "v1");
	CHECK(ns_mkdir(ns, cas, "sub", &dir_all) == NULL && errno == EINVAL);

	struct ns_attr a1, a2;
	ns_getattr(ns_lookup(ns, "/a"), &a1);
	ns_getattr(ns_lookup(ns, "/b"), &a2);
	CHECK(a1.qid_path != a2.qid_path);
	CHECK_EQ_INT(a1.qid_type, NS_QTDIR);
	CHECK_EQ_INT(a1.mode, S_IFDIR | 0555);
	CHECK_EQ_STR(a1.name, "a");
	ns_getattr(root, &a1);
	CHECK_EQ_STR(a1.name, "/");
	ns_getattr(cas, &a1);
	CHECK_EQ_INT(a1.mode, S_IFREG | 0666);
	CHECK_EQ_INT(a1.qid_type, 0);
	CHECK_EQ_INT(a1.length, 3); /* "v1\n" */
	uint32_t v = a1.qid_version;
	ns_node_touch(cas);
	ns_getattr(cas, &a2);
	CHECK_EQ_INT(a2.qid_version, v + 1);
	CHECK(a2.mtime_sec >= a1.mtime_sec);
	CHECK(a2.mtime_sec > 1600000000);

	char path[64];
	struct ns_node *deep = ns_mkdir(ns, ns_lookup(ns, "/a"), "deep", &dir_all);
	CHECK_EQ_STR(ns_node_path(deep, path, sizeof path), "/a/deep");
	CHECK_EQ_STR(ns_node_path(root, path, sizeof path), "/");
	CHECK(ns_lookup(ns, "/a/deep") == deep);
	CHECK(ns_lookup(ns, "//a//deep/") == deep);
	CHECK(ns_lookup(ns, "/a/nope") == NULL);
	CHECK(ns_lookup(ns, "a") == NULL);
	CHECK(ns_node_parent(deep) == ns_lookup(ns, "/a"));
	CHECK_EQ_INT(ns_node_count(ns), 9); /* root, 6 dirs, cas, deep */
	ns_free(ns);
}

TEST(depth_is_bounded)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct ns_node *cur = ns_root(ns);
	unsigned made = 0;
	for (unsigned i = 0; i < HIVE_PATH_DEPTH_MAX + 5; i++) {
		struct ns_node *n = ns_mkdir(ns, cur, "d", &dir_all);
		if (!n) {
			CHECK_EQ_INT(errno, ENAMETOOLONG);
			break;
		}
		cur = n;
		made++;
	}
	CHECK_EQ_INT(made, HIVE_PATH_DEPTH_MAX);
	ns_free(ns);
}

TEST(nodes_max_is_enforced)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct ns_node *dir = ns_mkdir(ns, ns_root(ns), "many", &dir_all);
	char name[32];
	size_t made = 0;
	for (size_t i = 0; i < HIVE_NODES_MAX + 10; i++) {
		snprintf(name, sizeof name, "n%06zu", i);
		if (!ns_mkdir(ns, dir, name, &dir_all)) {
			CHECK_EQ_INT(errno, ENOSPC);
			break;
		}
		made++;
	}
	CHECK_EQ_INT(ns_node_count(ns), HIVE_NODES_MAX);
	CHECK_EQ_INT(made, HIVE_NODES_MAX - 2);
	/* Removing one frees room for one. */
	ns_remove(ns, ns_lookup(ns, "/many/n000007"));
	CHECK(ns_mkdir(ns, dir, "again", &dir_all) != NULL);
	CHECK(ns_mkdir(ns, dir, "again2", &dir_all) == NULL && errno == ENOSPC);
	/* A listing of a big directory walks it once, in order. */
	struct principal q = P(HIVE_ROLE_QUEEN, NULL);
	size_t count = 0;
	for (struct ns_node *c; (c = ns_dir_child(ns, &q, dir, count)); count++)
		;
	CHECK_EQ_INT(count, HIVE_NODES_MAX - 2);
	ns_remove(ns, dir);
	CHECK_EQ_INT(ns_node_count(ns), 1);
	ns_free(ns);
}

/* --- views ---------------------------------------------------------------- */

static int only_subject_x(const struct ns_node *node, const struct principal *who)
{
	return who->role != HIVE_ROLE_WORKER || strcmp(who->subject, "x") == 0;
}

TEST(views_per_role_and_walk_denial_event)
{
	struct events ev = { 0 };
	struct ns *ns = ns_new(record, &ev);
	struct ns_node *root = ns_root(ns), *n;
	struct err err;
	struct principal q = P(HIVE_ROLE_QUEEN, NULL), w = P(HIVE_ROLE_WORKER, "y"),
	                 wx = P(HIVE_ROLE_WORKER, "x"), o = P(HIVE_ROLE_OBSERVER, NULL),
	                 none = P(HIVE_ROLE_NONE, NULL);
	struct ns_node *queen = ns_mkdir(ns, root, "queen", &dir_readers);
	ns_cas_file(ns, queen, "val", &rw_queen, "1");
	ns_mkdir(ns, root, "proc", &dir_all);
	struct ns_perm hooked = dir_all;
	hooked.visible = only_subject_x;
	ns_mkdir(ns, root, "hooked", &hooked);

	CHECK_EQ_INT(ns_fx_walk(ns, &q, "/queen/val", &n, &err), 0);
	ns_node_unref(n);
	CHECK_EQ_INT(ns_fx_walk(ns, &o, "/queen/val", &n, &err), 0);
	ns_node_unref(n);
	CHECK_EQ_INT(ev.n, 0);

	CHECK_EQ_INT(ns_fx_walk(ns, &w, "/queen/val", &n, &err), -EACCES);
	CHECK_EQ_INT(err.code, EACCES);
	CHECK_EQ_STR(err.msg, "permission denied: /queen");
	CHECK_EQ_INT(ev.n, 1);
	CHECK_EQ_STR(ev.last_event, "deny");
	CHECK_EQ_STR(ev.last_path, "/queen");
	CHECK_EQ_STR(ev.last_detail, "op=walk");
	CHECK_EQ_INT(ev.last_role, HIVE_ROLE_WORKER);

	CHECK_EQ_INT(ns_fx_walk(ns, &w, "/proc/nope", &n, &err), -ENOENT);
	CHECK_EQ_STR(err.msg, "file not found: /proc/nope");
	CHECK_EQ_INT(ev.n, 1); /* not found is not a denial */

	/* The visible hook narrows the masks. */
	CHECK_EQ_INT(ns_fx_walk(ns, &w, "/hooked", &n, &err), -EACCES);
	CHECK_EQ_INT(ns_fx_walk(ns, &wx, "/hooked", &n, &err), 0);
	ns_node_unref(n);

	/* Listings follow the same view. */
	CHECK_EQ_STR(ns_node_name(ns_dir_child(ns, &w, root, 0)), "proc");
	CHECK(ns_dir_child(ns, &w, root, 1) == NULL);
	CHECK_EQ_STR(ns_node_name(ns_dir_child(ns, &wx, root, 0)), "hooked");
	CHECK_EQ_STR(ns_node_name(ns_dir_child(ns, &wx, root, 1)), "proc");
	CHECK_EQ_STR(ns_node_name(ns_dir_child(ns, &q, root, 2)), "queen");
	CHECK(ns_dir_child(ns, &none, root, 0) == NULL);

	/* HIVE_ROLE_NONE sees nothing at all. */
	CHECK_EQ_INT(ns_fx_walk(ns, &none, "/proc", &n, &err), -EACCES);
	CHECK_EQ_INT(ev.n, 3);

	/* "..", the root's own parent, bad names, walking from a file. */
	CHECK_EQ_INT(ns_walk1(ns, &q, root, "..", 2, &n, &err), 0);
	CHECK(n == root);
	ns_node_unref(n);
	struct ns_node *proc = ns_lookup(ns, "/proc");
	CHECK_EQ_INT(ns_walk1(ns, &w, proc, "..", 2, &n, &err), 0);
	CHECK(n == root);
	ns_node_unref(n);
	CHECK_EQ_INT(ns_walk1(ns, &q, root, ".", 1, &n, &err), -EINVAL);
	CHECK_EQ_INT(ns_walk1(ns, &q, root, "", 0, &n, &err), -EINVAL);
	CHECK_EQ_INT(ns_walk1(ns, &q, root, "a/b", 3, &n, &err), -EINVAL);
	CHECK_EQ_INT(ns_walk1(ns, &q, root, "pr\0c", 4, &n, &err), -EINVAL);
	CHECK_EQ_INT(ns_walk1(ns, &q, root, "procx", 4, &n, &err), 0); /* len counts */
	CHECK(n == proc);
	ns_node_unref(n);
	CHECK_EQ_INT(ns_walk1(ns, &q, ns_lookup(ns, "/queen/val"), "x", 1, &n, &err), -ENOTDIR);
	ns_free(ns);
}

TEST(open_permissions)
{
	struct events ev = { 0 };
	struct ns *ns = ns_new(record, &ev);
	struct ns_node *root = ns_root(ns), *f;
	struct ns_file *file;
	struct err err;
	struct principal q = P(HIVE_ROLE_QUEEN, NULL), w = P(HIVE_ROLE_WORKER, "y"),
	                 o = P(HIVE_ROLE_OBSERVER, NULL);
	struct ns_node *cas = ns_cas_file(ns, root, "cas", &rw_queen, "1");
	struct ns_perm wo = { .mode = 0222, .see = HIVE_ROLES_ALL, .write = HIVE_ROLES_ALL };
	struct ns_node *sink = ns_cas_file(ns, root, "sink", &wo, "1");

	CHECK_EQ_INT(ns_open(ns, &o, cas, NS_OWRITE, &file, &err), -EACCES);
	CHECK_EQ_STR(err.msg, "permission denied: /cas is not writable by observer");
	CHECK_EQ_STR(ev.last_event, "deny");
	CHECK_EQ_STR(ev.last_detail, "op=write mode=write");
	CHECK_EQ_INT(ns_open(ns, &w, cas, NS_ORDWR, &file, &err), -EACCES);
	CHECK_EQ_INT(ns_open(ns, &o, cas, NS_OREAD | NS_OTRUNC, &file, &err), 0);
	ns_close(file);
	CHECK_EQ_INT(ns_open(ns, &q, cas, NS_ORDWR, &file, &err), 0);
	ns_close(file);
	CHECK_EQ_INT(ns_open(ns, &q, cas, 3, &file, &err), -EINVAL);

	/* Not readable: */
	CHECK_EQ_INT(ns_open(ns, &q, sink, NS_OREAD, &file, &err), -EACCES);
	CHECK_EQ_STR(err.msg, "permission denied: /sink is not readable by queen");
	CHECK_EQ_INT(ns_open(ns, &w, sink, NS_OWRITE, &file, &err), 0);
	/* Reading a write-only open is EBADF, not a crash. */
	char b[8];
	CHECK_EQ_INT(ns_read(file, 0, b, sizeof b, &err), -EBADF);
	ns_close(file);

	/* Directories open read-only. */
	CHECK_EQ_INT(ns_open(ns, &q, root, NS_OWRITE, &file, &err), -EISDIR);
	CHECK_EQ_INT(ns_open(ns, &q, root, NS_OREAD, &file, &err), 0);
	CHECK_EQ_INT(ns_read(file, 0, b, sizeof b, &err), -EISDIR);
	ns_close(file);

	/* A file with no write op refuses writers even if the mask allows. */
	static const struct ns_ops no_write = { 0 };
	f = ns_mkfile(ns, root, "nowrite", &rw_all, &no_write, NULL);
	CHECK(f != NULL);
	CHECK_EQ_INT(ns_open(ns, &q, f, NS_OWRITE, &file, &err), -EACCES);
	CHECK_EQ_STR(err.msg, "permission denied: /nowrite is not writable by queen");
	/* A file with no read op and no snapshot reads as empty. */
	CHECK_EQ_INT(ns_open(ns, &q, f, NS_OREAD, &file, &err), 0);
	CHECK_EQ_INT(ns_read(file, 0, b, sizeof b, &err), 0);
	CHECK_EQ_INT(ns_write(file, 0, "x", 1, &err), -EBADF);
	ns_close(file);
	ns_free(ns);
}

/* --- refcounts ------------------------------------------------------------ */

static int released;
static void count_release(struct ns_node *node)
{
	released++;
}

TEST(refcount_after_remove)
{
	struct events ev = { 0 };
	struct ns *ns = ns_new(record, &ev);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL);
	struct err err;
	struct ns_file *f;
	struct ns_node *n;
	char buf[64];
	static const struct ns_ops rel_ops = { .release = count_release };
	struct ns_node *d = ns_mkdir(ns, ns_root(ns), "agent", &dir_all);
	struct ns_node *a = ns_mkdir(ns, d, "a1", &dir_all);
	ns_cas_file(ns, a, "state", &rw_all, "running");
	ns_mkfile(ns, a, "plain", &ro_all, &rel_ops, NULL);
	CHECK_EQ_INT(ns_node_count(ns), 5);
	CHECK_EQ_INT(ns_fx_walk(ns, &q, "/agent/a1/state", &n, &err), 0);
	CHECK_EQ_INT(ns_open(ns, &q, n, NS_ORDWR, &f, &err), 0);
	struct ns_node *held_dir;
	CHECK_EQ_INT(ns_fx_walk(ns, &q, "/agent/a1", &held_dir, &err), 0);

	released = 0;
	ns_remove(ns, a);
	CHECK_EQ_INT(released, 1); /* "plain" had no holder */
	CHECK(ns_lookup(ns, "/agent/a1") == NULL);
	CHECK(ns_dir_child(ns, &q, d, 0) == NULL);
	CHECK_EQ_INT(ns_node_count(ns), 4); /* a1 and state are held */
	CHECK_EQ_INT(ns_read(f, 0, buf, sizeof buf, &err), -ENOENT);
	CHECK_EQ_STR(err.msg, "file not found: /agent/a1/state (removed)");
	CHECK_EQ_INT(ns_write(f, 0, "cas running done", 16, &err), -ENOENT);
	struct ns_node *again;
	CHECK_EQ_INT(ns_walk1(ns, &q, held_dir, "state", 5, &again, &err), -ENOENT);
	struct ns_file *f2;
	CHECK_EQ_INT(ns_open(ns, &q, n, NS_OREAD, &f2, &err), -ENOENT);
	/* Same name can be made again while the old one is held. */
	CHECK(ns_mkdir(ns, d, "a1", &dir_all) != NULL);
	ns_remove(ns, a); /* twice: no-op */
	ns_remove(ns, ns_root(ns)); /* the root: no-op */
	ns_node_unref(n);
	ns_close(f);
	CHECK_EQ_INT(ns_node_count(ns), 4);
	ns_node_unref(held_dir);
	CHECK_EQ_INT(ns_node_count(ns), 3);

	/* Fids may outlive the tree itself. */
	CHECK_EQ_INT(ns_fx_walk(ns, &q, "/agent", &n, &err), 0);
	CHECK_EQ_INT(ns_open(ns, &q, n, NS_OREAD, &f, &err), 0);
	ns_free(ns);
	CHECK_EQ_INT(ns_read(f, 0, buf, sizeof buf, &err), -ENOENT);
	ns_close(f);
	ns_node_unref(n); /* the last node frees what was left of ns */
}

/* --- listing cost and correctness ------------------------------------------ */

/* Listing a big directory: every answer matches a model of the directory
 * (even after inserts and removes midway, between principals, and when a
 * principal's struct is reused for another), and a sequential listing asks
 * `visible` about each child about once: O(n), not O(n^2). Steps are
 * counted, never timed. */
#define LIST_SLOTS 10000u /* names f00000..f09999; even slots start present */
#define LIST_N (LIST_SLOTS / 2)

static unsigned long visible_calls;
static unsigned char list_present[LIST_SLOTS];

/* Workers see names ending in 0 (a fifth of the even slots); everyone
 * else sees all. */
static int worker_sees(const char *name)
{
	return name[strlen(name) - 1] == '0';
}

static int count_visible(const struct ns_node *node, const struct principal *who)
{
	visible_calls++;
	return who->role != HIVE_ROLE_WORKER || worker_sees(ns_node_name(node));
}

static const struct ns_perm ro_counted = {
	.mode = 0444, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .visible = count_visible,
};

static void slot_name(unsigned slot, char *out, size_t cap)
{
	snprintf(out, cap, "f%05u", slot);
}

/* The model's answer: the index-th present name `who` sees, or "" past the end. */
static void model_child(const struct principal *who, size_t index, char *out, size_t cap)
{
	size_t seen = 0;
	out[0] = '\0';
	for (unsigned slot = 0; slot < LIST_SLOTS; slot++) {
		/* slot % 10 == 0 is worker_sees() of its name, without printing it. */
		if (!list_present[slot] || (who->role == HIVE_ROLE_WORKER && slot % 10 != 0))
			continue;
		if (seen++ == index) {
			slot_name(slot, out, cap);
			return;
		}
	}
}

/* ns_dir_child agrees with the model at index; counts mismatches. */
static int list_check(struct ns *ns, const struct principal *who, struct ns_node *dir, size_t index)
{
	char want[16];
	struct ns_node *c = ns_dir_child(ns, who, dir, index);
	model_child(who, index, want, sizeof want);
	if (!c)
		return want[0] != '\0';
	return strcmp(ns_node_name(c), want) != 0;
}

static void list_mutate(struct ns *ns, struct ns_node *dir, unsigned slot, int add)
{
	char name[16];
	slot_name(slot, name, sizeof name);
	if (add) {
		CHECK(ns_mkfile(ns, dir, name, &ro_counted, NULL, NULL) != NULL);
		list_present[slot] = 1;
	} else {
		char path[32];
		snprintf(path, sizeof path, "/big/%s", name);
		ns_remove(ns, ns_lookup(ns, path));
		list_present[slot] = 0;
	}
}

TEST(listing_is_linear_and_right)
{
	struct ns *ns = ns_new(NULL, NULL);
	struct ns_node *dir = ns_mkdir(ns, ns_root(ns), "big", &dir_all);
	struct principal q = P(HIVE_ROLE_QUEEN, NULL), w = P(HIVE_ROLE_WORKER, "w1");
	char name[16];

	memset(list_present, 0, sizeof list_present);
	for (unsigned slot = 0; slot < LIST_SLOTS; slot += 2)
		list_mutate(ns, dir, slot, 1);

	/* Sequential listing: about one visibility check per child. */
	visible_calls = 0;
	size_t n = 0;
	for (struct ns_node *c; (c = ns_dir_child(ns, &q, dir, n)); n++) {
		slot_name((unsigned)n * 2, name, sizeof name);
		if (strcmp(ns_node_name(c), name) != 0)
			break;
	}
	CHECK_EQ_INT(n, LIST_N);
	printf("#   queen listed %zu entries with %lu visibility checks\n", n, visible_calls);
	CHECK(visible_calls <= LIST_N + 2);
	/* A worker sees a fifth of them, for one pass over the children. */
	visible_calls = 0;
	for (n = 0; ns_dir_child(ns, &w, dir, n); n++)
		;
	CHECK_EQ_INT(n, LIST_N / 5);
	CHECK(visible_calls <= LIST_N + 2);
	/* The same index again (a full 9P reply retried) is free. */
	visible_calls = 0;
	CHECK(ns_dir_child(ns, &w, dir, 10) != NULL);
	unsigned long before = visible_calls;
	CHECK_EQ_STR(ns_node_name(ns_dir_child(ns, &w, dir, 10)), ns_node_name(ns_dir_child(ns, &w, dir, 10)));
	CHECK_EQ_INT(visible_calls, before);

	/* Halfway through a listing, add and remove on both sides of it. */
	int bad = 0;
	for (n = 0; n < LIST_N / 2; n++)
		bad += list_check(ns, &q, dir, n);
	list_mutate(ns, dir, 1, 1);              /* before the cursor */
	list_mutate(ns, dir, 0, 0);              /* before the cursor */
	list_mutate(ns, dir, LIST_SLOTS / 2, 0); /* at the cursor (slot 5000 is index 2500) */
	list_mutate(ns, dir, LIST_SLOTS - 1, 1); /* after the cursor */
	list_mutate(ns, dir, LIST_SLOTS - 2, 0); /* after the cursor */
	for (; n < LIST_N + 2; n++) {
		bad += list_check(ns, &q, dir, n);
		if (n % 500 == 0 && n < LIST_N - 300) { /* and more while it goes on */
			list_mutate(ns, dir, (unsigned)n * 2 + 3, 1);
			list_mutate(ns, dir, (unsigned)n * 2 + 400, 0);
		}
	}
	CHECK_EQ_INT(bad, 0);

	/* Two principals listing in turn: each answer is still its own view. */
	bad = 0;
	for (n = 0; n < LIST_N; n++) {
		bad += list_check(ns, &q, dir, n);
		bad += list_check(ns, &w, dir, n / 5);
	}
	CHECK_EQ_INT(bad, 0);

	/* One struct, another principal at the same address: no stale cursor. */
	struct principal p = P(HIVE_ROLE_QUEEN, NULL);
	for (n = 0; n < 100; n++)
		bad += list_check(ns, &p, dir, n);
	p = P(HIVE_ROLE_WORKER, "w2");
	for (; n < 200; n++)
		bad += list_check(ns, &p, dir, n);
	p = P(HIVE_ROLE_WORKER, "w3"); /* same role, other subject */
	p.session_id = 9;
	for (n = 150; n < 300; n++)
		bad += list_check(ns, &p, dir, n);
	CHECK_EQ_INT(bad, 0);
	/* A removed directory lists nothing; no principal lists nothing. */
	CHECK(ns_dir_child(ns, NULL, dir, 0) == NULL);
	ns_node_ref(dir);
	ns_remove(ns, dir);
	CHECK(ns_dir_child(ns, &q, dir, 0) == NULL);
	ns_node_unref(dir);
	ns_free(ns);
}

int main(void)
{
	RUN(tree_sorted_unique_qids_and_errors);
	RUN(depth_is_bounded);
	RUN(nodes_max_is_enforced);
	RUN(views_per_role_and_walk_denial_event);
	RUN(open_permissions);
	RUN(refcount_after_remove);
	RUN(listing_is_linear_and_right);
	return test_done();
}
