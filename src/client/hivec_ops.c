/*
 * hivec_ops.c — libhive's file operations: whole-path walks, open, read,
 * write, readdir and getattr, on top of hivec_rpc (hiveclient.c).
 *
 * Paths are checked here before anything goes on the wire ("", ".",
 * "..", over-long names, too deep), so a typo fails with a local EINVAL
 * rather than depending on each server's idea of what a name is. Counts
 * the server sends back are checked against what we asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hivec_int.h"

struct hivec_path {
	unsigned n;
	struct ninep_str name[HIVE_PATH_DEPTH_MAX];
};

/* Split an absolute path into names; no empty, ".", ".." or long names. */
static int hivec_split(const char *path, struct hivec_path *p)
{
	p->n = 0;
	if (!path || path[0] != '/')
		return -EINVAL;
	if (strnlen(path, HIVE_PATH_MAX + 1) > HIVE_PATH_MAX)
		return -ENAMETOOLONG;
	if (path[1] == 0)
		return 0;
	const char *s = path + 1;
	for (;;) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return -EINVAL;
		if (len > HIVE_NAME_MAX || p->n >= HIVE_PATH_DEPTH_MAX)
			return -ENAMETOOLONG;
		p->name[p->n].s = s;
		p->name[p->n].len = (uint16_t)len;
		p->n++;
		if (!e)
			return 0;
		s = e + 1;
	}
}

int hivec_walk(struct hivec *c, const char *path, uint32_t *fid)
{
	struct hivec_path p;
	struct ninep_msg t, r;
	uint32_t nfid, from = HIVEC_ROOT_FID;
	unsigned done = 0;
	int have = 0;

	int rc = hivec_split(path, &p);
	if (rc < 0)
		return hivec_fail(c, rc, "walk", path ? path : "(null)");
	rc = hivec_fid_alloc(c, &nfid);
	if (rc < 0)
		return hivec_fail(c, rc, "walk", path);
	/* One Twalk per HIVE_WALK_MAX names; the first clones from the root
	 * (nwname 0 for "/"), later ones walk the new fid in place. */
	do {
		unsigned k = p.n - done;
		if (k > HIVE_WALK_MAX)
			k = HIVE_WALK_MAX;
		memset(&t, 0, sizeof t);
		t.type = NINEP_TWALK;
		t.u.twalk.fid = from;
		t.u.twalk.newfid = nfid;
		t.u.twalk.nwname = (uint16_t)k;
		for (unsigned i = 0; i < k; i++)
			t.u.twalk.wname[i] = p.name[done + i];
		rc = hivec_rpc(c, &t, NINEP_RWALK, &r);
		if (rc == 0 && r.u.rwalk.nwqid > k)
			rc = -EPROTO;
		else if (rc == 0 && r.u.rwalk.nwqid < k)
			rc = -ENOENT; /* stopped early: that name is not there */
		if (rc < 0)
			goto fail;
		have = 1;
		from = nfid;
		done += k;
	} while (done < p.n);
	*fid = nfid;
	return 0;
fail:
	if (have && hivec_alive(c))
		hivec_clunk(c, nfid);
	else
		hivec_fid_free(c, nfid);
	return hivec_fail(c, rc, "walk", path);
}

int hivec_clunk(struct hivec *c, uint32_t fid)
{
	struct ninep_msg t = { .type = NINEP_TCLUNK }, r;
	if (fid == HIVEC_ROOT_FID || fid >= HIVE_FIDS_MAX)
		return -EINVAL;
	t.u.tclunk.fid = fid;
	int rc = hivec_rpc(c, &t, NINEP_RCLUNK, &r);
	/* A clunked fid is gone whatever the reply said (9P: clunk always frees). */
	hivec_fid_free(c, fid);
	return rc;
}

static uint32_t hivec_io_max(const struct hivec *c)
{
	return c->msize - HIVE_IOHDR;
}

int hivec_open(struct hivec *c, uint32_t fid, uint32_t lflags, uint32_t *iounit)
{
	struct ninep_msg t = { .type = NINEP_TLOPEN }, r;
	t.u.tlopen.fid = fid;
	t.u.tlopen.flags = lflags;
	int rc = hivec_rpc(c, &t, NINEP_RLOPEN, &r);
	if (rc < 0)
		return hivec_fail(c, rc, "open", NULL);
	if (iounit) {
		uint32_t io = r.u.rlopen.iounit;
		*iounit = (io == 0 || io > hivec_io_max(c)) ? hivec_io_max(c) : io;
	}
	return 0;
}

ssize_t hivec_pread(struct hivec *c, uint32_t fid, uint64_t off, void *buf, size_t n)
{
	struct ninep_msg t = { .type = NINEP_TREAD }, r;
	if (n > hivec_io_max(c))
		n = hivec_io_max(c);
	t.u.tread.fid = fid;
	t.u.tread.offset = off;
	t.u.tread.count = (uint32_t)n;
	int rc = hivec_rpc(c, &t, NINEP_RREAD, &r);
	if (rc < 0)
		return hivec_fail(c, rc, "read", NULL);
	if (r.u.rread.count > n) {
		hivec_kill(c, -EPROTO);
		return hivec_fail(c, -EPROTO, "read", "(server sent more than asked)");
	}
	memcpy(buf, r.u.rread.data, r.u.rread.count);
	return (ssize_t)r.u.rread.count;
}

ssize_t hivec_pwrite(struct hivec *c, uint32_t fid, uint64_t off, const void *buf, size_t n)
{
	struct ninep_msg t = { .type = NINEP_TWRITE }, r;
	if (n > hivec_io_max(c))
		n = hivec_io_max(c);
	t.u.twrite.fid = fid;
	t.u.twrite.offset = off;
	t.u.twrite.count = (uint32_t)n;
	t.u.twrite.data = buf;
	int rc = hivec_rpc(c, &t, NINEP_RWRITE, &r);
	if (rc < 0)
		return hivec_fail(c, rc, "write", NULL);
	if (r.u.rwrite.count > n) {
		hivec_kill(c, -EPROTO);
		return hivec_fail(c, -EPROTO, "write", "(server took more than sent)");
	}
	return (ssize_t)r.u.rwrite.count;
}

int hivec_fstat(struct hivec *c, uint32_t fid, struct hivec_stat *st)
{
	struct ninep_msg t = { .type = NINEP_TGETATTR }, r;
	t.u.tgetattr.fid = fid;
	t.u.tgetattr.request_mask = NINEP_GETATTR_BASIC;
	int rc = hivec_rpc(c, &t, NINEP_RGETATTR, &r);
	if (rc < 0)
		return hivec_fail(c, rc, "stat", NULL);
	memset(st, 0, sizeof *st);
	st->qid_path = r.u.rgetattr.qid.path;
	st->qid_type = r.u.rgetattr.qid.type;
	st->mode = r.u.rgetattr.mode;
	st->size = r.u.rgetattr.size;
	st->atime = (int64_t)r.u.rgetattr.atime_sec;
	st->mtime = (int64_t)r.u.rgetattr.mtime_sec;
	st->ctime = (int64_t)r.u.rgetattr.ctime_sec;
	st->uid = r.u.rgetattr.uid;
	st->gid = r.u.rgetattr.gid;
	st->nlink = r.u.rgetattr.nlink;
	return 0;
}

int hivec_stat(struct hivec *c, const char *path, struct hivec_stat *st)
{
	uint32_t fid;
	int rc = hivec_walk(c, path, &fid);
	if (rc < 0)
		return rc;
	rc = hivec_fstat(c, fid, st);
	if (rc < 0)
		hivec_fail(c, rc, "stat", path);
	hivec_clunk(c, fid);
	return rc;
}

/* Walk + open; on failure the fid is gone and the error names the path. */
static int hivec_walk_open(struct hivec *c, const char *path, uint32_t lflags, uint32_t *fid,
                           uint32_t *iounit)
{
	int rc = hivec_walk(c, path, fid);
	if (rc < 0)
		return rc;
	rc = hivec_open(c, *fid, lflags, iounit);
	if (rc < 0) {
		hivec_fail(c, rc, "open", path);
		hivec_clunk(c, *fid);
	}
	return rc;
}

ssize_t hivec_read_file(struct hivec *c, const char *path, void *buf, size_t cap)
{
	uint32_t fid, io;
	size_t got = 0;
	int rc = hivec_walk_open(c, path, O_RDONLY, &fid, &io);
	if (rc < 0)
		return rc;
	while (got < cap) {
		size_t want = cap - got < io ? cap - got : io;
		ssize_t n = hivec_pread(c, fid, got, (uint8_t *)buf + got, want);
		if (n < 0) {
			hivec_fail(c, (int)n, "read", path);
			hivec_clunk(c, fid);
			return n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	hivec_clunk(c, fid);
	return (ssize_t)got;
}

ssize_t hivec_write_file(struct hivec *c, const char *path, const void *data, size_t len)
{
	uint32_t fid, io;
	size_t done = 0;
	int rc = hivec_walk_open(c, path, O_WRONLY, &fid, &io);
	if (rc < 0)
		return rc;
	do {
		size_t want = len - done < io ? len - done : io;
		ssize_t n = hivec_pwrite(c, fid, done, (const uint8_t *)data + done, want);
		if (n < 0) {
			hivec_fail(c, (int)n, "write", path);
			hivec_clunk(c, fid);
			return n;
		}
		if (n == 0 && len > 0) { /* no progress: do not spin */
			hivec_fail(c, -EIO, "write", path);
			hivec_clunk(c, fid);
			return -EIO;
		}
		done += (size_t)n;
	} while (done < len);
	hivec_clunk(c, fid);
	return (ssize_t)done;
}

int hivec_list(struct hivec *c, const char *path,
               int (*fn)(void *arg, const struct hivec_dirent *de), void *arg)
{
	struct ninep_msg t, r;
	struct ninep_dirent d;
	struct hivec_dirent de;
	uint64_t off = 0;
	uint32_t fid;
	int count = 0, seen = 0, rc;
	/* The entries are copied out of the receive buffer so fn may make
	 * its own requests (stat each entry) without clobbering them. */
	uint8_t *dbuf = malloc(c->msize);

	if (!dbuf)
		return hivec_fail(c, -ENOMEM, "readdir", path);
	rc = hivec_walk_open(c, path, O_RDONLY, &fid, NULL);
	if (rc < 0) {
		free(dbuf);
		return rc;
	}
	for (;;) {
		memset(&t, 0, sizeof t);
		t.type = NINEP_TREADDIR;
		t.u.treaddir.fid = fid;
		t.u.treaddir.offset = off;
		t.u.treaddir.count = c->msize - NINEP_RREADDIR_HDR;
		rc = hivec_rpc(c, &t, NINEP_RREADDIR, &r);
		if (rc < 0)
			goto fail;
		if (r.u.rreaddir.count == 0)
			break;
		if (r.u.rreaddir.count > t.u.treaddir.count)
			goto bad;
		uint32_t dlen = r.u.rreaddir.count;
		memcpy(dbuf, r.u.rreaddir.data, dlen);
		size_t pos = 0;
		uint64_t before = off;
		int any = 0;
		while ((rc = ninep_next_dirent(dbuf, dlen, &pos, &d)) == 1) {
			/* A server that never ends a directory must not keep us forever. */
			if (++seen > (int)HIVE_NODES_MAX || d.name.len == 0 || d.name.len > HIVE_NAME_MAX ||
			    memchr(d.name.s, '/', d.name.len) || memchr(d.name.s, 0, d.name.len))
				goto bad;
			off = d.offset;
			any = 1;
			if ((d.name.len == 1 && d.name.s[0] == '.') ||
			    (d.name.len == 2 && d.name.s[0] == '.' && d.name.s[1] == '.'))
				continue;
			memcpy(de.name, d.name.s, d.name.len);
			de.name[d.name.len] = 0;
			de.qid_type = d.qid.type;
			de.dtype = d.type;
			count++;
			if (fn && fn(arg, &de) != 0) {
				hivec_clunk(c, fid);
				free(dbuf);
				return count;
			}
		}
		if (rc < 0 || !any || off == before)
			goto bad;
	}
	hivec_clunk(c, fid);
	free(dbuf);
	return count;
bad:
	rc = hivec_kill(c, -EPROTO);
fail:
	hivec_fail(c, rc, "readdir", path);
	if (hivec_alive(c))
		hivec_clunk(c, fid);
	else
		hivec_fid_free(c, fid);
	free(dbuf);
	return rc;
}
