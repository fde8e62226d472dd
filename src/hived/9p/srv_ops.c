/*
 * srv_ops.c — the 9P request handlers after attach: walk, open, read,
 * write, clunk, stat, getattr and the rest, one function per message.
 *
 * Like lib9p's srv.c: a table-free switch, one reply or one error per
 * request, and the namespace (ns.h) does every permission decision. The
 * tree is synthetic, so everything that would create, remove, rename or
 * link is refused with a clear error, while the operations shells and the
 * Linux kernel do around ordinary I/O (truncate-on-open, fsync, locks,
 * xattr probes, a "sync" wstat) succeed as harmless no-ops.
 */
#include "srv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hived/core/hive.h"
#include "hived/ns/ns.h"

/* 9P2000.L Tlopen flags (Linux generic values, fixed by the protocol). */
#define SRV_L_ACCMODE 03u
#define SRV_L_TRUNC 01000u
#define SRV_L_DIRECTORY 0200000u
/* 9P2000.L Tsetattr valid bits. */
#define SRV_SETATTR_SIZE 0x8u
#define SRV_SETATTR_TIMES 0x1f0u /* ATIME MTIME CTIME ATIME_SET MTIME_SET */
/* Linux statfs magic of v9fs, so tools print "9p". */
#define SRV_V9FS_MAGIC 0x01021997u
#define SRV_BLKSIZE 4096u
/* F_UNLCK of the 9P2000.L lock messages. */
#define SRV_LOCK_UNLCK 2u

void srv_fid_release(struct srv_fid *f, void *arg)
{
	if (f->file)
		ns_close(f->file);
	if (f->node)
		ns_node_unref(f->node);
	f->file = NULL;
	f->node = NULL;
}

static struct ns *srv_ns(struct srv_conn *c)
{
	return c->srv->hive->ns;
}

static void srv_qid(const struct ns_node *node, struct ninep_qid *q)
{
	struct ns_attr a;
	ns_getattr(node, &a);
	q->type = a.qid_type;
	q->version = a.qid_version;
	q->path = a.qid_path;
}

/* An error from ns: its refusals already passed the deny door there. */
static void srv_nserr(struct srv_conn *c, const struct err *err)
{
	int code = err->code > 0 ? err->code : EIO;
	srv_error(c, code, "%s", err->msg[0] ? err->msg : strerror(code));
}

/* The fid a request names, or NULL after answering an error. */
static struct srv_fid *srv_fid(struct srv_conn *c, uint32_t fid, int node_needed)
{
	struct srv_fid *f = srv_fids_get(&c->fids, fid);
	if (!f) {
		srv_error(c, EBADF, "unknown fid %u", fid);
		return NULL;
	}
	if (node_needed && !f->node) {
		srv_error(c, EINVAL, "fid %u is an auth fid", fid);
		return NULL;
	}
	return f;
}

/* A reply that carries nothing but its header. */
static void srv_rsimple(struct srv_conn *c)
{
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	srv_reply(c, &r);
}

static uint32_t srv_depth_after(uint32_t depth, struct ninep_str name)
{
	if (name.len == 2 && name.s[0] == '.' && name.s[1] == '.')
		return depth ? depth - 1 : 0;
	return depth + 1;
}

static void op_walk(struct srv_conn *c, const struct ninep_msg *m)
{
	uint32_t fid = m->u.twalk.fid, newfid = m->u.twalk.newfid;
	struct srv_fid *f = srv_fid(c, fid, 1);
	if (!f)
		return;
	/* Walking from an open fid is allowed (diod's clients list a
	 * directory that way); moving an open fid itself is not. */
	if (f->file && newfid == fid) {
		srv_error(c, EBADF, "walk: fid %u is open", fid);
		return;
	}
	if (newfid != fid && srv_fids_get(&c->fids, newfid)) {
		srv_error(c, EEXIST, "walk: fid %u is in use", newfid);
		return;
	}
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	struct ns_node *cur = f->node;
	uint32_t depth = f->depth;
	ns_node_ref(cur);
	uint16_t i;
	for (i = 0; i < m->u.twalk.nwname; i++) {
		struct ninep_str name = m->u.twalk.wname[i];
		struct err err = { 0 };
		struct ns_node *next = NULL;
		uint32_t d = srv_depth_after(depth, name);
		int rc;
		if (d > HIVE_PATH_DEPTH_MAX)
			rc = err_set(&err, ENAMETOOLONG, "walk: deeper than %u levels", HIVE_PATH_DEPTH_MAX);
		else
			rc = ns_walk1(srv_ns(c), &f->who, cur, name.s, name.len, &next, &err);
		if (rc < 0) {
			ns_node_unref(cur);
			if (i == 0) {
				srv_nserr(c, &err);
			} else {
				/* A partial walk succeeds with the qids so far;
				 * newfid is not touched. */
				r.u.rwalk.nwqid = i;
				srv_reply(c, &r);
			}
			return;
		}
		ns_node_unref(cur);
		cur = next;
		depth = d;
		srv_qid(cur, &r.u.rwalk.wqid[i]);
	}
	r.u.rwalk.nwqid = i;
	if (newfid == fid) {
		ns_node_unref(f->node);
		f->node = cur;
		f->depth = depth;
	} else {
		struct srv_fid *nf;
		struct principal who = f->who;
		int rc = srv_fids_add(&c->fids, newfid, &nf);
		if (rc < 0) {
			ns_node_unref(cur);
			if (rc == -EMFILE)
				srv_error(c, EMFILE, "too many fids (max %u)", HIVE_FIDS_MAX);
			else
				srv_error(c, -rc, "walk: cannot use fid %u", newfid);
			return;
		}
		nf->node = cur;
		nf->who = who;
		nf->depth = depth;
	}
	srv_reply(c, &r);
}

static void srv_open_common(struct srv_conn *c, uint32_t fid, int omode, int want_dir)
{
	struct srv_fid *f = srv_fid(c, fid, 1);
	if (!f)
		return;
	if (f->file) {
		srv_error(c, EBADF, "open: fid %u is already open", fid);
		return;
	}
	if (want_dir && !ns_node_is_dir(f->node)) {
		srv_error(c, ENOTDIR, "open: %s is not a directory", ns_node_name(f->node));
		return;
	}
	struct err err = { 0 };
	struct ns_file *file = NULL;
	if (ns_open(srv_ns(c), &f->who, f->node, omode, &file, &err) < 0) {
		srv_nserr(c, &err);
		return;
	}
	f->file = file;
	f->dir_off = 0;
	f->dir_index = 0;
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	srv_qid(f->node, &r.u.ropen.qid);
	r.u.ropen.iounit = c->msize - HIVE_IOHDR;
	srv_reply(c, &r);
}

static void op_open(struct srv_conn *c, const struct ninep_msg *m)
{
	uint8_t mode = m->u.topen.mode;
	if (mode & NINEP_ORCLOSE) {
		struct srv_fid *f = srv_fids_get(&c->fids, m->u.topen.fid);
		char path[HIVE_PATH_MAX];
		hive_deny(c->srv->hive, f ? &f->who : c->hs ? &c->hs->who : NULL, HIVE_PRESSURE_POLICY,
		          HIVE_DENY_OPEN, f && f->node ? ns_node_path(f->node, path, sizeof path) : NULL,
		          "not-removable", "mode=orclose");
		srv_error(c, EPERM, "open: remove-on-close: nothing in the hive is removable");
		return;
	}
	int omode = NS_OREAD;
	switch (mode & 3) {
	case NINEP_OWRITE: omode = NS_OWRITE; break;
	case NINEP_ORDWR: omode = NS_ORDWR; break;
	default: omode = NS_OREAD; break; /* OREAD, and OEXEC reads */
	}
	if (mode & NINEP_OTRUNC)
		omode |= NS_OTRUNC;
	srv_open_common(c, m->u.topen.fid, omode, 0);
}

static void op_lopen(struct srv_conn *c, const struct ninep_msg *m)
{
	uint32_t flags = m->u.tlopen.flags;
	int omode = NS_OREAD;
	switch (flags & SRV_L_ACCMODE) {
	case 1: omode = NS_OWRITE; break;
	case 2: omode = NS_ORDWR; break;
	default: omode = NS_OREAD; break;
	}
	if (flags & SRV_L_TRUNC)
		omode |= NS_OTRUNC;
	/* O_APPEND needs nothing: append-only files ignore offsets anyway. */
	srv_open_common(c, m->u.tlopen.fid, omode, (flags & SRV_L_DIRECTORY) != 0);
}

/* A 9P2000 stat of node. Strings point into the node (alive while held). */
static void srv_stat_of(const struct ns_node *node, struct ninep_stat *st)
{
	struct ns_attr a;
	ns_getattr(node, &a);
	memset(st, 0, sizeof *st);
	st->qid.type = a.qid_type;
	st->qid.version = a.qid_version;
	st->qid.path = a.qid_path;
	st->mode = a.mode & 0777u;
	if (a.qid_type & NS_QTDIR)
		st->mode |= NINEP_DMDIR;
	if (a.qid_type & NS_QTAPPEND)
		st->mode |= NINEP_DMAPPEND;
	st->atime = (uint32_t)a.atime_sec;
	st->mtime = (uint32_t)a.mtime_sec;
	st->length = (a.qid_type & NS_QTDIR) ? 0 : a.length;
	st->name = ninep_str_c(a.name ? a.name : "");
	st->uid = st->gid = st->muid = ninep_str_c("hive");
}

/* 9P2000 directory read: stat entries, offsets in bytes. */
static void srv_read_dir9(struct srv_conn *c, const struct ninep_msg *m, struct srv_fid *f,
                          uint32_t count)
{
	uint64_t off = m->u.tread.offset;
	if (off == 0) {
		f->dir_off = 0;
		f->dir_index = 0;
	} else if (off != f->dir_off) {
		srv_error(c, EINVAL, "read: bad directory offset %llu (next is %llu)",
		          (unsigned long long)off, (unsigned long long)f->dir_off);
		return;
	}
	uint8_t *data = c->srv->scratch + NINEP_RREAD_HDR;
	size_t used = 0;
	for (;;) {
		struct ns_node *child = ns_dir_child(srv_ns(c), &f->who, f->node, f->dir_index);
		if (!child)
			break;
		struct ninep_stat st;
		srv_stat_of(child, &st);
		int n = ninep_put_stat(data + used, count - used, &st);
		/* Entry does not fit: a short read, possibly empty (as lib9p).
		 * Linux fills its msize buffer with back-to-back reads and
		 * asks for the few bytes left after a full reply; an error
		 * there would end its whole listing. */
		if (n < 0)
			break;
		used += (size_t)n;
		f->dir_index++;
	}
	f->dir_off += used;
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rread.count = (uint32_t)used;
	r.u.rread.data = data;
	srv_reply(c, &r);
}

static uint32_t srv_io_count(const struct srv_conn *c, uint32_t count)
{
	uint32_t max = c->msize - NINEP_RREAD_HDR;
	return count < max ? count : max;
}

static void op_read(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.tread.fid, 0);
	if (!f)
		return;
	uint32_t count = srv_io_count(c, m->u.tread.count);
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	if (f->is_auth) {
		/* Nothing to read: the ticket is all the protocol there is. */
		srv_reply(c, &r);
		return;
	}
	if (!f->file) {
		srv_error(c, EBADF, "read: fid %u is not open", m->u.tread.fid);
		return;
	}
	if (ns_node_is_dir(f->node)) {
		if (c->dialect == NINEP_9P2000L) {
			srv_error(c, EISDIR, "read: is a directory (use Treaddir)");
			return;
		}
		srv_read_dir9(c, m, f, count);
		return;
	}
	uint8_t *data = c->srv->scratch + NINEP_RREAD_HDR;
	struct err err = { 0 };
	ssize_t n = ns_read(f->file, m->u.tread.offset, data, count, &err);
	if (n < 0) {
		srv_nserr(c, &err);
		return;
	}
	r.u.rread.count = (uint32_t)n;
	r.u.rread.data = data;
	srv_reply(c, &r);
}

static void op_readdir(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.treaddir.fid, 1);
	if (!f)
		return;
	if (!ns_node_is_dir(f->node)) {
		srv_error(c, ENOTDIR, "readdir: %s is not a directory", ns_node_name(f->node));
		return;
	}
	if (!f->file) {
		srv_error(c, EBADF, "readdir: fid %u is not open", m->u.treaddir.fid);
		return;
	}
	uint32_t count = srv_io_count(c, m->u.treaddir.count);
	uint8_t *data = c->srv->scratch + NINEP_RREADDIR_HDR;
	size_t used = 0;
	/* Cookie = index of the next child: entry i carries offset i + 1. */
	uint64_t idx = m->u.treaddir.offset;
	for (; idx < HIVE_NODES_MAX; idx++) {
		struct ns_node *child = ns_dir_child(srv_ns(c), &f->who, f->node, (size_t)idx);
		if (!child)
			break;
		struct ninep_dirent de;
		memset(&de, 0, sizeof de);
		srv_qid(child, &de.qid);
		de.offset = idx + 1;
		de.type = ns_node_is_dir(child) ? DT_DIR : DT_REG;
		de.name = ninep_str_c(ns_node_name(child));
		int n = ninep_put_dirent(data + used, count - used, &de);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rreaddir.count = (uint32_t)used;
	r.u.rreaddir.data = data;
	srv_reply(c, &r);
}

static void srv_auth_write(struct srv_conn *c, const struct ninep_msg *m, struct srv_fid *f)
{
	uint32_t n = m->u.twrite.count;
	if (f->ticket_len + n > HIVE_TICKET_TOKEN_MAX) {
		srv_error(c, EINVAL, "auth: ticket longer than %u bytes", HIVE_TICKET_TOKEN_MAX);
		return;
	}
	/* Allocated here, not at Tauth: an auth fid never written costs no buffer. */
	if (!f->ticket && !(f->ticket = calloc(1, HIVE_TICKET_TOKEN_MAX + 1))) {
		srv_error(c, ENOMEM, "auth: out of memory for the ticket");
		return;
	}
	memcpy(f->ticket + f->ticket_len, m->u.twrite.data, n);
	f->ticket_len += n;
	f->ticket[f->ticket_len] = '\0';
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rwrite.count = n;
	srv_reply(c, &r);
}

static void op_write(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.twrite.fid, 0);
	if (!f)
		return;
	if (f->is_auth) {
		srv_auth_write(c, m, f);
		return;
	}
	if (!f->file) {
		srv_error(c, EBADF, "write: fid %u is not open", m->u.twrite.fid);
		return;
	}
	struct err err = { 0 };
	ssize_t n = ns_write(f->file, m->u.twrite.offset, m->u.twrite.data, m->u.twrite.count, &err);
	if (n < 0) {
		srv_nserr(c, &err);
		return;
	}
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rwrite.count = (uint32_t)n;
	srv_reply(c, &r);
}

static void op_clunk(struct srv_conn *c, const struct ninep_msg *m)
{
	if (srv_fids_del(&c->fids, m->u.tclunk.fid, srv_fid_release, c->srv) < 0) {
		srv_error(c, EBADF, "clunk: unknown fid %u", m->u.tclunk.fid);
		return;
	}
	srv_rsimple(c);
}

static void op_remove(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.tremove.fid, 0);
	if (!f)
		return;
	char path[HIVE_PATH_MAX] = "auth fid";
	if (f->node)
		ns_node_path(f->node, path, sizeof path);
	hive_deny(c->srv->hive, &f->who, HIVE_PRESSURE_POLICY, HIVE_DENY_REMOVE, f->node ? path : NULL,
	          "not-removable", NULL);
	/* Tremove clunks the fid even when the remove fails. */
	srv_fids_del(&c->fids, m->u.tremove.fid, srv_fid_release, c->srv);
	srv_error(c, EPERM, "remove: %s is not removable", path);
}

static void op_stat(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.tstat.fid, 1);
	if (!f)
		return;
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	srv_stat_of(f->node, &r.u.rstat.stat);
	srv_reply(c, &r);
}

/* A wstat or setattr that would change a node: through the deny door. */
static void srv_deny_change(struct srv_conn *c, struct srv_fid *f, enum hive_deny_op op)
{
	char path[HIVE_PATH_MAX];
	hive_deny(c->srv->hive, &f->who, HIVE_PRESSURE_POLICY, op, ns_node_path(f->node, path, sizeof path),
	          "immutable", NULL);
}

/* A wstat whose every field says "don't touch" is how 9P2000 spells fsync.
 * Times are ignored like Tsetattr's: Linux sends the new mtime along with
 * length 0 when a shell's `>` truncates. */
static int srv_wstat_is_sync(const struct ninep_stat *st, int *trunc_only)
{
	int rest = st->type == 0xFFFF && st->dev == 0xFFFFFFFFu && st->qid.type == 0xFF &&
	           st->qid.version == 0xFFFFFFFFu && st->qid.path == ~0ull &&
	           st->mode == 0xFFFFFFFFu && st->name.len == 0 && st->uid.len == 0 &&
	           st->gid.len == 0 && st->muid.len == 0;
	*trunc_only = rest && st->length == 0;
	return rest && st->length == ~0ull;
}

static void op_wstat(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.twstat.fid, 1);
	if (!f)
		return;
	int trunc_only;
	if (srv_wstat_is_sync(&m->u.twstat.stat, &trunc_only) ||
	    (trunc_only && !ns_node_is_dir(f->node))) {
		/* Synthetic files do not truncate; accepting it lets shells
		 * redirect into ctl and append-only files. */
		srv_rsimple(c);
		return;
	}
	srv_deny_change(c, f, HIVE_DENY_WSTAT);
	srv_error(c, EPERM, "wstat: %s cannot be changed", ns_node_name(f->node));
}

static void op_getattr(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.tgetattr.fid, 1);
	if (!f)
		return;
	struct ns_attr a;
	ns_getattr(f->node, &a);
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	struct ninep_rgetattr *g = &r.u.rgetattr;
	int dir = ns_node_is_dir(f->node);
	g->valid = NINEP_GETATTR_BASIC;
	g->qid.type = a.qid_type;
	g->qid.version = a.qid_version;
	g->qid.path = a.qid_path;
	g->mode = a.mode;
	g->uid = (uint32_t)c->srv->hive->owner_uid;
	g->gid = (uint32_t)c->srv->owner_gid;
	g->nlink = dir ? 2 : 1;
	g->size = dir ? 0 : a.length;
	g->blksize = SRV_BLKSIZE;
	g->blocks = (g->size + 511) / 512;
	g->atime_sec = (uint64_t)a.atime_sec;
	g->atime_nsec = (uint64_t)a.atime_nsec;
	g->mtime_sec = (uint64_t)a.mtime_sec;
	g->mtime_nsec = (uint64_t)a.mtime_nsec;
	g->ctime_sec = (uint64_t)a.ctime_sec;
	g->ctime_nsec = (uint64_t)a.ctime_nsec;
	srv_reply(c, &r);
}

static void op_setattr(struct srv_conn *c, const struct ninep_msg *m)
{
	struct srv_fid *f = srv_fid(c, m->u.tsetattr.fid, 1);
	if (!f)
		return;
	uint32_t valid = m->u.tsetattr.valid;
	int ok = (valid & ~(SRV_SETATTR_SIZE | SRV_SETATTR_TIMES)) == 0;
	if (valid & SRV_SETATTR_SIZE)
		ok = ok && m->u.tsetattr.size == 0 && !ns_node_is_dir(f->node);
	if (ok) {
		/* Truncate-to-zero (from `>` redirection) and touch are no-ops. */
		srv_rsimple(c);
		return;
	}
	srv_deny_change(c, f, HIVE_DENY_SETATTR);
	srv_error(c, EPERM, "setattr: %s cannot be changed", ns_node_name(f->node));
}

static void op_statfs(struct srv_conn *c, const struct ninep_msg *m)
{
	if (!srv_fid(c, m->u.tstatfs.fid, 1))
		return;
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	size_t nodes = ns_node_count(srv_ns(c));
	r.u.rstatfs.type = SRV_V9FS_MAGIC;
	r.u.rstatfs.bsize = SRV_BLKSIZE;
	r.u.rstatfs.files = HIVE_NODES_MAX;
	r.u.rstatfs.ffree = nodes < HIVE_NODES_MAX ? HIVE_NODES_MAX - nodes : 0;
	r.u.rstatfs.namelen = HIVE_NAME_MAX;
	srv_reply(c, &r);
}

static void op_lock(struct srv_conn *c, const struct ninep_msg *m)
{
	if (!srv_fid(c, m->u.tlock.fid, 1))
		return;
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rlock.status = 0; /* granted: nothing here needs locking */
	srv_reply(c, &r);
}

static void op_getlock(struct srv_conn *c, const struct ninep_msg *m)
{
	if (!srv_fid(c, m->u.tgetlock.fid, 1))
		return;
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rgetlock.type = SRV_LOCK_UNLCK;
	r.u.rgetlock.start = m->u.tgetlock.start;
	r.u.rgetlock.length = m->u.tgetlock.length;
	r.u.rgetlock.proc_id = m->u.tgetlock.proc_id;
	r.u.rgetlock.client_id = m->u.tgetlock.client_id;
	srv_reply(c, &r);
}

static void srv_refuse(struct srv_conn *c, const struct ninep_msg *m, int code, enum hive_deny_op op,
                       const char *what)
{
	hive_deny(c->srv->hive, c->hs ? &c->hs->who : NULL, HIVE_PRESSURE_POLICY, op, NULL, "synthetic-tree",
	          "request=%s", ninep_type_name(m->type));
	srv_error(c, code, "%s: the hive's files are synthetic; nothing can be %s",
	          ninep_type_name(m->type), what);
}

static void srv_dispatch_one(struct srv_conn *c, const struct ninep_msg *m)
{
	switch (m->type) {
	case NINEP_TVERSION: srv_op_version(c, m); return;
	case NINEP_TAUTH: srv_op_auth(c, m); return;
	case NINEP_TATTACH: srv_op_attach(c, m); return;
	/* Requests are answered before the next is read, so by the time a
	 * Tflush arrives its old tag is finished: Rflush is all it needs. */
	case NINEP_TFLUSH: srv_rsimple(c); return;
	default: break;
	}
	if (!c->fids.n) {
		/* Nothing attached (or everything clunked): no fid can match. */
		srv_error(c, EBADF, "%s: attach first", ninep_type_name(m->type));
		return;
	}
	switch (m->type) {
	case NINEP_TWALK: op_walk(c, m); break;
	case NINEP_TOPEN: op_open(c, m); break;
	case NINEP_TLOPEN: op_lopen(c, m); break;
	case NINEP_TREAD: op_read(c, m); break;
	case NINEP_TREADDIR: op_readdir(c, m); break;
	case NINEP_TWRITE: op_write(c, m); break;
	case NINEP_TCLUNK: op_clunk(c, m); break;
	case NINEP_TREMOVE: op_remove(c, m); break;
	case NINEP_TSTAT: op_stat(c, m); break;
	case NINEP_TWSTAT: op_wstat(c, m); break;
	case NINEP_TGETATTR: op_getattr(c, m); break;
	case NINEP_TSETATTR: op_setattr(c, m); break;
	case NINEP_TSTATFS: op_statfs(c, m); break;
	case NINEP_TLOCK: op_lock(c, m); break;
	case NINEP_TGETLOCK: op_getlock(c, m); break;
	case NINEP_TFSYNC:
		if (srv_fid(c, m->u.tfsync.fid, 0))
			srv_rsimple(c);
		break;
	case NINEP_TXATTRWALK:
		/* The kernel probes security.* and posix ACLs: "no such
		 * attribute" lets ls and cat carry on. */
		srv_error(c, ENODATA, "xattr: no extended attributes");
		break;
	case NINEP_TXATTRCREATE:
		srv_error(c, EOPNOTSUPP, "xattr: extended attributes are not supported");
		break;
	case NINEP_TREADLINK:
		srv_error(c, EINVAL, "readlink: the hive has no symbolic links");
		break;
	case NINEP_TCREATE:
	case NINEP_TLCREATE:
	case NINEP_TMKDIR:
	case NINEP_TSYMLINK:
	case NINEP_TMKNOD: srv_refuse(c, m, EACCES, HIVE_DENY_CREATE, "created"); break;
	case NINEP_TRENAME:
	case NINEP_TRENAMEAT: srv_refuse(c, m, EPERM, HIVE_DENY_RENAME, "renamed"); break;
	case NINEP_TUNLINKAT: srv_refuse(c, m, EPERM, HIVE_DENY_REMOVE, "removed"); break;
	case NINEP_TLINK: srv_refuse(c, m, EPERM, HIVE_DENY_CREATE, "linked"); break;
	default:
		srv_error(c, EOPNOTSUPP, "%s is not supported", ninep_type_name(m->type));
		break;
	}
}

/* Every decoded request passes here, so /proc/9p counts what clients
 * really send. Counted after handling: a Tversion then lands under the
 * dialect it negotiated (c stays valid; closing is deferred to the sweep). */
void srv_dispatch(struct srv_conn *c, const struct ninep_msg *m)
{
	struct hive_9p_counts *n = &c->srv->hive->ninep;

	srv_dispatch_one(c, m);
	if ((unsigned)c->dialect < HIVE_9P_DIALECTS)
		n->msgs[c->dialect][m->type]++;
}
