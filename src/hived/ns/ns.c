/*
 * ns.c — the synthetic tree: nodes, views, walk, open/read/write dispatch
 * and reference counts. See ns.h for the contract.
 *
 * Each directory keeps its children in a byte-sorted array (binary search
 * for walks, index access for listings; a cursor makes a sequential
 * listing O(1) per entry). The tree holds one reference per
 * linked node and every node holds one on its parent, so a fid that keeps
 * a removed node alive can still name its path. The struct ns itself is
 * freed with its last node, so fids clunked after ns_free() stay safe.
 */
#include "ns.h"
#include "ns_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct ns {
	ns_event_fn emit;
	void *emit_arg;
	ns_deny_fn deny;
	void *deny_arg;
	struct ns_node *root;
	size_t nnodes;     /* live nodes, including removed ones still held */
	uint64_t next_qid; /* qid.path of the next node */
	int dead;          /* ns_free() was called; free with the last node */
	struct ns_budget *budget; /* snapshot bytes each session's files hold */
	char *scratch;            /* render buffer, reused (ns_file_scratch) */
	size_t scratch_cap;
};

struct ns_node {
	struct ns *ns;
	struct ns_node *parent; /* referenced; the root's is NULL */
	char *name;
	int is_dir;
	int removed;
	unsigned refs;
	uint32_t depth;
	struct ns_perm perm;
	const struct ns_ops *ops;
	void *priv;
	uint8_t qtype;
	uint64_t qid_path;
	uint32_t qid_version;
	struct timespec ctime, mtime;
	/* Directories: children sorted by name. */
	struct ns_node **kids;
	uint32_t nkids, capkids;
	uint64_t gen;                 /* bumped on every insert and remove of a child */
	struct ns_dir_cursor *cursor; /* the last listing step, or NULL */
};

/*
 * Where the last ns_dir_child of a directory landed: kids[pos] is the
 * index-th child visible to the principal it names, as long as the
 * directory's gen has not moved. A listing asks for 0, 1, 2, ... (and a
 * 9P reply that is full asks for the same index again in the next
 * request), so each step resumes here instead of rescanning: O(1) per
 * entry. The principal is copied, not pointed to: a freed fid's address
 * can be reused by another principal, whose view differs.
 */
struct ns_dir_cursor {
	uint64_t gen;
	enum hive_role role;
	uint64_t session_id;
	char subject[HIVE_SUBJECT_MAX + 1];
	size_t index, pos;
};

struct ns_file {
	struct ns_node *node; /* referenced */
	struct principal who;
	int omode;
	void *state;
	struct ns_snap *snap; /* shared; its length is charged to who.session_id */
};

/* --- nodes ---------------------------------------------------------------- */

static void ns_destroy(struct ns *ns)
{
	ns_budget_free(ns->budget);
	free(ns->scratch);
	free(ns);
}

static void node_free(struct ns_node *node)
{
	struct ns *ns = node->ns;
	struct ns_node *parent = node->parent;

	if (node->ops && node->ops->release)
		node->ops->release(node);
	free(node->cursor);
	free(node->kids);
	free(node->name);
	free(node);
	if (ns) {
		ns->nnodes--;
		if (ns->dead && ns->nnodes == 0)
			ns_destroy(ns);
	}
	if (parent)
		ns_node_unref(parent);
}

void ns_node_ref(struct ns_node *node)
{
	if (node)
		node->refs++;
}

void ns_node_unref(struct ns_node *node)
{
	if (node && --node->refs == 0)
		node_free(node);
}

static int name_cmp(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Index of name in dir's kids, or -(insertion point) - 1. */
static long kid_find(const struct ns_node *dir, const char *name, size_t len)
{
	long lo = 0, hi = (long)dir->nkids - 1;
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		int c = name_cmp(dir->kids[mid]->name, name, len);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

static int name_ok(const char *name, size_t len)
{
	if (len == 0 || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	if (len > HIVE_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static struct ns_node *node_new(struct ns *ns, struct ns_node *parent, const char *name, int is_dir,
                                const struct ns_perm *perm, const struct ns_ops *ops, void *priv)
{
	struct ns_node *node = NULL;
	long pos = 0;
	int rc;

	if (!ns || ns->dead || !name || !perm) {
		errno = EINVAL;
		return NULL;
	}
	if (parent) {
		size_t len = strlen(name);
		if ((rc = name_ok(name, len)) < 0) {
			errno = -rc;
			return NULL;
		}
		if (!parent->is_dir || parent->removed || parent->ns != ns) {
			errno = parent->removed ? ENOENT : EINVAL;
			return NULL;
		}
		if (parent->depth + 1 > HIVE_PATH_DEPTH_MAX) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		pos = kid_find(parent, name, len);
		if (pos >= 0) {
			errno = EEXIST;
			return NULL;
		}
		pos = -pos - 1;
		if (parent->nkids == parent->capkids) {
			uint32_t cap = parent->capkids ? parent->capkids * 2 : HIVE_DIR_GROW;
			struct ns_node **k = realloc(parent->kids, cap * sizeof *k);
			if (!k) {
				errno = ENOMEM;
				return NULL;
			}
			parent->kids = k;
			parent->capkids = cap;
		}
	}
	if (ns->nnodes >= HIVE_NODES_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	node = calloc(1, sizeof *node);
	if (!node || !(node->name = strdup(name))) {
		free(node);
		errno = ENOMEM;
		return NULL;
	}
	node->ns = ns;
	node->is_dir = is_dir;
	node->refs = 1; /* the tree's */
	node->perm = *perm;
	node->ops = ops;
	node->priv = priv;
	node->qtype = is_dir ? NS_QTDIR : 0;
	node->qid_path = ns->next_qid++;
	clock_gettime(CLOCK_REALTIME, &node->ctime);
	node->mtime = node->ctime;
	ns->nnodes++;
	if (parent) {
		node->parent = parent;
		node->depth = parent->depth + 1;
		ns_node_ref(parent);
		memmove(parent->kids + pos + 1, parent->kids + pos,
		        (parent->nkids - (size_t)pos) * sizeof *parent->kids);
		parent->kids[pos] = node;
		parent->nkids++;
		parent->gen++;
		ns_node_touch(parent);
	}
	return node;
}

struct ns *ns_new(ns_event_fn emit, void *emit_arg)
{
	static const struct ns_perm root_perm = {
		.mode = 0555, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL,
	};
	struct ns *ns = calloc(1, sizeof *ns);
	if (!ns)
		return NULL;
	ns->emit = emit;
	ns->emit_arg = emit_arg;
	ns->next_qid = 1;
	ns->root = node_new(ns, NULL, "/", 1, &root_perm, NULL, NULL);
	if (!ns->root) {
		free(ns);
		return NULL;
	}
	return ns;
}

/* Unlink node's subtree from the tree, dropping the tree's references.
 * Recursion is bounded by HIVE_PATH_DEPTH_MAX. */
static void subtree_unlink(struct ns_node *node)
{
	while (node->nkids > 0) {
		struct ns_node *kid = node->kids[node->nkids - 1];
		subtree_unlink(kid);
	}
	node->removed = 1;
	if (node->parent && !node->parent->removed) {
		struct ns_node *p = node->parent;
		long pos = kid_find(p, node->name, strlen(node->name));
		if (pos >= 0 && p->kids[pos] == node) {
			memmove(p->kids + pos, p->kids + pos + 1, (p->nkids - (size_t)pos - 1) * sizeof *p->kids);
			p->nkids--;
			p->gen++;
			ns_node_touch(p);
		}
	}
	ns_node_unref(node);
}

void ns_remove(struct ns *ns, struct ns_node *node)
{
	if (!node || node->removed || !node->parent)
		return; /* the root goes with ns_free */
	subtree_unlink(node);
}

void ns_free(struct ns *ns)
{
	if (!ns)
		return;
	struct ns_node *root = ns->root;
	ns->dead = 1;
	ns->emit = NULL;
	ns->deny = NULL;
	ns->root = NULL;
	/* The last node freed frees ns: nodes still held by fids keep it
	 * (their I/O fails with ENOENT; their emit goes nowhere). */
	subtree_unlink(root);
}

struct ns_node *ns_root(struct ns *ns)
{
	return ns ? ns->root : NULL;
}

size_t ns_node_count(const struct ns *ns)
{
	return ns ? ns->nnodes : 0;
}

struct ns_node *ns_mkdir(struct ns *ns, struct ns_node *parent, const char *name,
                         const struct ns_perm *perm)
{
	if (!parent) {
		errno = EINVAL;
		return NULL;
	}
	return node_new(ns, parent, name, 1, perm, NULL, NULL);
}

struct ns_node *ns_mkfile_owned(struct ns *ns, struct ns_node *parent, const char *name,
                                const struct ns_perm *perm, const struct ns_ops *ops, void *priv,
                                uint8_t qtype)
{
	struct ns_node *node = ns_mkfile(ns, parent, name, perm, ops, priv);
	if (!node) {
		int e = errno;
		free(priv);
		errno = e;
		return NULL;
	}
	if (qtype)
		ns_node_set_qtype(node, qtype);
	return node;
}

void ns_release_priv(struct ns_node *node)
{
	free(ns_node_priv(node));
}

struct ns_node *ns_mkfile(struct ns *ns, struct ns_node *parent, const char *name,
                          const struct ns_perm *perm, const struct ns_ops *ops, void *priv)
{
	if (!parent) {
		errno = EINVAL;
		return NULL;
	}
	return node_new(ns, parent, name, 0, perm, ops, priv);
}

struct ns_node *ns_lookup(struct ns *ns, const char *path)
{
	struct ns_node *node;

	if (!ns || !ns->root || !path || path[0] != '/')
		return NULL;
	node = ns->root;
	while (*path) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		size_t len = strcspn(path, "/");
		if (!node->is_dir)
			return NULL;
		long pos = kid_find(node, path, len);
		if (pos < 0)
			return NULL;
		node = node->kids[pos];
		path += len;
	}
	return node;
}

const char *ns_node_name(const struct ns_node *node)
{
	return node->name;
}

void *ns_node_priv(const struct ns_node *node)
{
	return node->priv;
}

int ns_node_is_dir(const struct ns_node *node)
{
	return node->is_dir;
}

struct ns_node *ns_node_parent(const struct ns_node *node)
{
	return node->parent;
}

void ns_node_set_qtype(struct ns_node *node, uint8_t bits)
{
	node->qtype |= bits;
}

char *ns_node_path(const struct ns_node *node, char *buf, size_t cap)
{
	const struct ns_node *chain[HIVE_PATH_DEPTH_MAX + 1];
	size_t n = 0, o = 0;

	if (cap == 0)
		return buf;
	for (const struct ns_node *p = node; p && p->parent && n < HIVE_PATH_DEPTH_MAX + 1; p = p->parent)
		chain[n++] = p;
	if (n == 0) {
		snprintf(buf, cap, "/");
		return buf;
	}
	buf[0] = '\0';
	while (n-- > 0 && o + 1 < cap) {
		int w = snprintf(buf + o, cap - o, "/%s", chain[n]->name);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	return buf;
}

void ns_node_touch(struct ns_node *node)
{
	node->qid_version++;
	clock_gettime(CLOCK_REALTIME, &node->mtime);
}

void ns_getattr(const struct ns_node *node, struct ns_attr *attr)
{
	memset(attr, 0, sizeof *attr);
	attr->qid_path = node->qid_path;
	attr->qid_version = node->qid_version;
	attr->qid_type = node->qtype;
	attr->mode = (node->is_dir ? S_IFDIR : S_IFREG) | (node->perm.mode & 07777);
	if (!node->is_dir && node->ops && node->ops->length && !node->removed)
		attr->length = node->ops->length(node);
	attr->mtime_sec = node->mtime.tv_sec;
	attr->mtime_nsec = node->mtime.tv_nsec;
	attr->atime_sec = node->mtime.tv_sec;
	attr->atime_nsec = node->mtime.tv_nsec;
	attr->ctime_sec = node->ctime.tv_sec;
	attr->ctime_nsec = node->ctime.tv_nsec;
	attr->nlink = node->is_dir ? 2 : 1;
	attr->name = node->parent ? node->name : "/";
}

/* --- views ---------------------------------------------------------------- */

static int role_in(unsigned mask, const struct principal *who)
{
	if (!who || who->role <= HIVE_ROLE_NONE || who->role >= HIVE_ROLE_COUNT)
		return 0;
	return (mask & HIVE_ROLE_BIT(who->role)) != 0;
}

static int visible(const struct ns_node *node, const struct principal *who)
{
	if (!role_in(node->perm.see, who))
		return 0;
	return !node->perm.visible || node->perm.visible(node, who);
}

void ns_emit(struct ns *ns, const struct principal *who, const char *event, const char *path,
             const char *detail)
{
	if (ns && !ns->dead && ns->emit)
		ns->emit(ns->emit_arg, who, event, path, detail);
}

void ns_set_deny(struct ns *ns, ns_deny_fn deny, void *deny_arg)
{
	ns->deny = deny;
	ns->deny_arg = deny_arg;
}

/* A refusal of who: to the deny function, or as a `deny` event. */
static void ns_deny(struct ns *ns, const struct principal *who, enum ns_deny_op op, const char *path,
                    const char *reason, const char *detail)
{
	static const char *const names[] = { [NS_DENY_WALK] = "walk", [NS_DENY_OPEN] = "open",
		                             [NS_DENY_WRITE] = "write", [NS_DENY_OPEN_QUOTA] = "open" };
	char text[64];

	if (!ns || ns->dead)
		return;
	if (ns->deny) {
		ns->deny(ns->deny_arg, who, op, path, reason, detail);
		return;
	}
	snprintf(text, sizeof text, "op=%s%s%s", names[op], detail[0] ? " " : "", detail);
	ns_emit(ns, who, "deny", path, text);
}

int ns_walk1(struct ns *ns, const struct principal *who, struct ns_node *from, const char *name,
             size_t len, struct ns_node **out, struct err *err)
{
	char path[HIVE_PATH_MAX];
	int rc;

	*out = NULL;
	if (!from || from->removed)
		return err_set(err, ENOENT, "file not found: %s (removed)",
		               from ? ns_node_path(from, path, sizeof path) : "?");
	if (!from->is_dir)
		return err_set(err, ENOTDIR, "not a directory: %s", ns_node_path(from, path, sizeof path));
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		struct ns_node *to = from->parent ? from->parent : from;
		ns_node_ref(to);
		*out = to;
		return 0;
	}
	if ((rc = name_ok(name, len)) < 0)
		return err_set(err, -rc, rc == -ENAMETOOLONG ? "name too long" : "invalid name");
	long pos = kid_find(from, name, len);
	struct ns_node *to = pos >= 0 ? from->kids[pos] : NULL;
	if (!to || !visible(to, who)) {
		/* Only failures pay for the path text. */
		ns_node_path(from, path, sizeof path);
		size_t pl = strlen(path);
		snprintf(path + pl, sizeof path - pl, "%s%.*s", pl > 1 ? "/" : "", (int)len, name);
		if (!to)
			return err_set(err, ENOENT, "file not found: %s", path);
		ns_deny(ns, who, NS_DENY_WALK, path, "not-visible", "");
		return err_set(err, EACCES, "permission denied: %s", path);
	}
	ns_node_ref(to);
	*out = to;
	return 0;
}

/* Does the cursor hold a step of this principal's view, still valid? A
 * visible hook may look at the role, subject and session of `who`. */
static int cursor_fits(const struct ns_node *dir, const struct principal *who)
{
	const struct ns_dir_cursor *c = dir->cursor;
	return c && who && c->gen == dir->gen && c->role == who->role &&
	       c->session_id == who->session_id && strcmp(c->subject, who->subject) == 0;
}

static void cursor_save(struct ns_node *dir, const struct principal *who, size_t index, size_t pos)
{
	struct ns_dir_cursor *c = dir->cursor;
	if (!c && !(c = dir->cursor = calloc(1, sizeof *c)))
		return; /* no cursor: the next call scans from the start */
	c->gen = dir->gen;
	c->role = who->role;
	c->session_id = who->session_id;
	snprintf(c->subject, sizeof c->subject, "%s", who->subject);
	c->index = index;
	c->pos = pos;
}

struct ns_node *ns_dir_child(struct ns *ns, const struct principal *who, struct ns_node *dir,
                             size_t index)
{
	size_t pos = 0, seen = 0;

	if (!dir || !dir->is_dir || dir->removed)
		return NULL;
	if (cursor_fits(dir, who) && dir->cursor->index <= index) {
		if (dir->cursor->index == index)
			return dir->kids[dir->cursor->pos];
		pos = dir->cursor->pos + 1;
		seen = dir->cursor->index + 1;
	}
	for (; pos < dir->nkids; pos++) {
		if (!visible(dir->kids[pos], who))
			continue;
		if (seen++ == index) {
			cursor_save(dir, who, index, pos);
			return dir->kids[pos];
		}
	}
	return NULL;
}

/* --- files ---------------------------------------------------------------- */

static void file_snap_drop(struct ns_file *f);

int ns_open(struct ns *ns, const struct principal *who, struct ns_node *node, int omode,
            struct ns_file **out, struct err *err)
{
	char path[HIVE_PATH_MAX];
	int mode = omode & 3;
	struct ns_file *f;
	int rc;

	*out = NULL;
	if (!node || node->removed)
		return err_set(err, ENOENT, "file not found: %s (removed)",
		               node ? ns_node_path(node, path, sizeof path) : "?");
	if (mode == 3)
		return err_set(err, EINVAL, "invalid open mode %d: %s", omode, ns_node_path(node, path, sizeof path));
	if (!visible(node, who)) {
		ns_deny(ns, who, NS_DENY_OPEN, ns_node_path(node, path, sizeof path), "not-visible", "");
		return err_set(err, EACCES, "permission denied: %s", path);
	}
	if (node->is_dir && mode != NS_OREAD)
		return err_set(err, EISDIR, "is a directory: %s", ns_node_path(node, path, sizeof path));
	if ((mode == NS_OREAD || mode == NS_ORDWR) && !role_in(node->perm.read, who)) {
		ns_deny(ns, who, NS_DENY_OPEN, ns_node_path(node, path, sizeof path), "not-readable", "mode=read");
		return err_set(err, EACCES, "permission denied: %s is not readable by %s", path,
		               principal_role_name(who->role));
	}
	if ((mode == NS_OWRITE || mode == NS_ORDWR) &&
	    (!role_in(node->perm.write, who) || !node->ops || !node->ops->write)) {
		/* A refused open for writing is the principal refused a write. */
		ns_deny(ns, who, NS_DENY_WRITE, ns_node_path(node, path, sizeof path), "not-writable", "mode=write");
		return err_set(err, EACCES, "permission denied: %s is not writable by %s", path,
		               principal_role_name(who->role));
	}
	f = calloc(1, sizeof *f);
	if (!f)
		return err_set(err, ENOMEM, "out of memory opening %s", ns_node_path(node, path, sizeof path));
	f->node = node;
	f->who = *who;
	f->omode = mode;
	ns_node_ref(node);
	if (!node->is_dir && node->ops && node->ops->open) {
		rc = node->ops->open(f, err);
		if (rc < 0) {
			file_snap_drop(f);
			ns_node_unref(node);
			free(f);
			return rc;
		}
	}
	*out = f;
	return 0;
}

ssize_t ns_read(struct ns_file *f, uint64_t off, void *buf, size_t n, struct err *err)
{
	char path[HIVE_PATH_MAX];
	struct ns_node *node = f->node;

	if (node->removed)
		return err_set(err, ENOENT, "file not found: %s (removed)", ns_node_path(node, path, sizeof path));
	if (f->omode == NS_OWRITE)
		return err_set(err, EBADF, "not open for reading: %s", ns_node_path(node, path, sizeof path));
	if (node->is_dir)
		return err_set(err, EISDIR, "is a directory: %s", ns_node_path(node, path, sizeof path));
	if (node->ops && node->ops->read)
		return node->ops->read(f, off, buf, n, err);
	if (!f->snap || off >= f->snap->len)
		return 0;
	size_t m = f->snap->len - (size_t)off;
	if (m > n)
		m = n;
	memcpy(buf, f->snap->data + off, m);
	return (ssize_t)m;
}

ssize_t ns_write(struct ns_file *f, uint64_t off, const void *buf, size_t n, struct err *err)
{
	char path[HIVE_PATH_MAX];
	struct ns_node *node = f->node;

	if (node->removed)
		return err_set(err, ENOENT, "file not found: %s (removed)", ns_node_path(node, path, sizeof path));
	if (f->omode == NS_OREAD)
		return err_set(err, EBADF, "not open for writing: %s", ns_node_path(node, path, sizeof path));
	if (n > HIVE_WRITE_MAX)
		return err_set(err, EMSGSIZE, "write too large: %zu bytes (max %u)", n, HIVE_WRITE_MAX);
	if (!node->ops || !node->ops->write) {
		ns_deny(node->ns, &f->who, NS_DENY_WRITE, ns_node_path(node, path, sizeof path), "not-writable", "");
		return err_set(err, EACCES, "permission denied: %s is not writable", path);
	}
	return node->ops->write(f, off, buf, n, err);
}

void ns_close(struct ns_file *f)
{
	if (!f)
		return;
	if (!f->node->is_dir && f->node->ops && f->node->ops->close)
		f->node->ops->close(f);
	file_snap_drop(f);
	ns_node_unref(f->node);
	free(f);
}

struct ns_node *ns_file_node(const struct ns_file *f)
{
	return f->node;
}

const struct principal *ns_file_who(const struct ns_file *f)
{
	return &f->who;
}

int ns_file_omode(const struct ns_file *f)
{
	return f->omode;
}

void **ns_file_state(struct ns_file *f)
{
	return &f->state;
}

/* --- snapshots ------------------------------------------------------------- */

/* Drop the snapshot f serves and its charge. */
static void file_snap_drop(struct ns_file *f)
{
	if (!f->snap)
		return;
	ns_budget_release(f->node->ns->budget, f->who.session_id, f->snap->len);
	ns_snap_unref(f->snap);
	f->snap = NULL;
}

int ns_file_snap_set(struct ns_file *f, struct ns_snap *snap, struct err *err)
{
	struct ns *ns = f->node->ns;
	char path[HIVE_PATH_MAX];
	size_t held;
	int rc;

	file_snap_drop(f);
	rc = ns_budget_charge(&ns->budget, f->who.session_id, snap->len, &held);
	if (rc == -EMFILE) {
		ns_node_path(f->node, path, sizeof path);
		ns_deny(ns, &f->who, NS_DENY_OPEN_QUOTA, path, "snapshot-budget", "");
		return err_set(err, EMFILE,
		               "%s: session holds %zu bytes of open snapshots, this one needs %zu "
		               "(HIVE_SESSION_SNAPSHOT_BYTES_MAX %u): clunk some fids",
		               path, held, snap->len, HIVE_SESSION_SNAPSHOT_BYTES_MAX);
	}
	if (rc < 0)
		return err_set(err, -rc, "out of memory for a snapshot");
	ns_snap_ref(snap);
	f->snap = snap;
	return 0;
}

const struct ns_snap *ns_file_snap(const struct ns_file *f)
{
	return f->snap;
}

char *ns_file_scratch(struct ns_file *f, size_t cap)
{
	struct ns *ns = f->node->ns;

	if (cap > ns->scratch_cap) {
		char *p = realloc(ns->scratch, cap);
		if (!p)
			return NULL;
		ns->scratch = p;
		ns->scratch_cap = cap;
	}
	return ns->scratch;
}

size_t ns_session_snapshot_bytes(const struct ns *ns, uint64_t session_id)
{
	return ns ? ns_budget_held(ns->budget, session_id) : 0;
}

int ns_file_snapshot(struct ns_file *f, const char *data, size_t len, struct err *err)
{
	struct ns_snap *snap;
	int rc;

	if (len > HIVE_SNAPSHOT_MAX)
		return err_set(err, EFBIG, "snapshot too large: %zu bytes (max %u)", len, HIVE_SNAPSHOT_MAX);
	snap = ns_snap_new(len);
	if (!snap)
		return err_set(err, ENOMEM, "out of memory for a snapshot");
	memcpy(snap->data, data, len);
	rc = ns_file_snap_set(f, snap, err);
	ns_snap_unref(snap);
	return rc;
}
