/*
 * scenarios_io.c — hostile9p scenarios about reads, writes and opens: huge
 * counts and offsets, a Twrite whose count lies, writes to read-only files
 * and directories, tree-changing requests, and the plain 9P2000 dialect
 * (Topen/Tstat/Rerror, directory reads at odd offsets).
 */
#include <stdint.h>
#include <string.h>

#include "hostile9p.h"

/* --- scenarios: counts and offsets ---------------------------------------------- */

/* Tread / Treaddir with count 2^32-1: the reply still fits msize (checked
 * by c_recv); at msize 512 too; an offset of 2^64-1 reads nothing. */
int sc_count_huge(const void *arg)
{
	int dir = *(const int *)arg;
	uint8_t rtype = dir ? NINEP_RREADDIR : NINEP_RREAD;

	for (int i = 0; i < 2; i++) {
		struct conn *c = session(NINEP_9P2000L, i ? HIVE_MSIZE_MIN : HIVE_MSIZE_MAX);
		int rc = -1;
		if (!c || (dir ? walk_ok(c, 0, 1, "") : walk_ok(c, 0, 1, "proc/version")) < 0 ||
		    t_open(c, 2, 1, 0) < 0 || expect(c, NINEP_RLOPEN, 2) < 0 ||
		    t_read(c, dir ? NINEP_TREADDIR : NINEP_TREAD, 3, 1, 0, 0xFFFFFFFFu) < 0 ||
		    expect(c, rtype, 3) < 0)
			goto next;
		uint32_t n = c->r.u.rread.count;
		if (n == 0 || n > c->msize - NINEP_RREAD_HDR) {
			fail("count 2^32-1 at msize %u gave %u bytes", c->msize, n);
			goto next;
		}
		if (dir) {
			struct ninep_dirent de;
			size_t pos = 0;
			int k, entries = 0;
			while ((k = ninep_next_dirent(c->r.u.rreaddir.data, n, &pos, &de)) == 1)
				entries++;
			if (k < 0 || entries == 0) {
				fail("Rreaddir of %u bytes: %d entries, parse %d", n, entries, k);
				goto next;
			}
		}
		note("count 2^32-1 at msize %u: %u bytes", c->msize, n);
		if (t_read(c, dir ? NINEP_TREADDIR : NINEP_TREAD, 4, 1, UINT64_MAX, 0xFFFFFFFFu) < 0 ||
		    c_recv(c, H9_REPLY_MS) != 1)
			goto next;
		if (c->rtag != 4 || (c->rtype == rtype ? c->r.u.rread.count != 0 : check_err_reply(c, 4) < 0)) {
			fail("offset 2^64-1: %s on tag %u", reply_text(c), c->rtag);
			goto next;
		}
		rc = 0;
next:
		c_close(c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Twrite whose count disagrees with its data (more, then fewer bytes). */
int sc_write_count_lies(const void *arg)
{
	static const uint32_t counts[] = { 100, 5 };

	for (int i = 0; i < 2; i++) {
		struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
		if (!c)
			return -1;
		r_begin(&R, NINEP_TWRITE, 6);
		r_put(&R, 0, 4);
		r_put(&R, 0, 8);
		r_put(&R, counts[i], 4);
		r_bytes(&R, "0123456789", 10);
		r_end(&R);
		int rc = r_send(c, &R) < 0 ? -1 : expect_err_or_close(c, 6);
		note("Twrite count %u with 10 bytes: %s", counts[i], last_err);
		c_close(c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* --- scenarios: opening and changing files -------------------------------------- */

/* /proc/version: opening for write fails; writing a read-only open fails. */
int sc_write_readonly(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (!c || walk_ok(c, 0, 1, "proc/version") < 0 || t_open(c, 2, 1, 1) < 0 || expect_err(c, 2) < 0)
		goto out;
	note("open /proc/version for writing: %s", last_err);
	if (t_open(c, 3, 1, 2) == 0 && expect_err(c, 3) == 0 && t_open(c, 4, 1, 0) == 0 &&
	    expect(c, NINEP_RLOPEN, 4) == 0 && t_write(c, 5, 1, "hello\n") == 0 && expect_err(c, 5) == 0) {
		note("write to /proc/version opened for reading: %s", last_err);
		rc = 0;
	}
out:
	c_close(c);
	return rc;
}

/* /proc opened for writing fails (and does not leave the fid open). */
int sc_open_dir_write(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (!c || walk_ok(c, 0, 1, "proc") < 0 || t_open(c, 2, 1, 1) < 0 || expect_err(c, 2) < 0)
		goto out;
	note("open /proc for writing: %s", last_err);
	if (t_open(c, 3, 1, 2) == 0 && expect_err(c, 3) == 0 && t_open(c, 4, 1, 0) == 0 &&
	    expect(c, NINEP_RLOPEN, 4) == 0 && t_write(c, 5, 1, "x") == 0 && expect_err(c, 5) == 0)
		rc = 0;
out:
	c_close(c);
	return rc;
}

/* Fid 1 = /proc, fid 2 = /proc/version. Every request that would change the
 * tree (or asks for features we lack) gets exactly one reply on its tag, the
 * changes are refused, nothing appears, and a failed Tremove still clunks. */
int sc_modify_refused(const void *arg)
{
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	struct ninep_msg m[16];
	struct ninep_str x = ninep_str_c("x"), v = ninep_str_c("version");
	int n = 0, rc = -1, ok_types = 0;

	if (!c || walk_ok(c, 0, 1, "proc") < 0 || walk_ok(c, 0, 2, "proc/version") < 0)
		goto out;
	memset(m, 0, sizeof m);
	m[n].type = NINEP_TLCREATE, m[n].u.tlcreate.fid = 1, m[n].u.tlcreate.name = x, m[n++].u.tlcreate.mode = 0644;
	m[n].type = NINEP_TMKDIR, m[n].u.tmkdir.dfid = 1, m[n].u.tmkdir.name = x, m[n++].u.tmkdir.mode = 0755;
	m[n].type = NINEP_TSYMLINK, m[n].u.tsymlink.fid = 1, m[n].u.tsymlink.name = x, m[n++].u.tsymlink.symtgt = v;
	m[n].type = NINEP_TMKNOD, m[n].u.tmknod.dfid = 1, m[n].u.tmknod.name = x, m[n++].u.tmknod.mode = 0644;
	m[n].type = NINEP_TLINK, m[n].u.tlink.dfid = 1, m[n].u.tlink.fid = 2, m[n++].u.tlink.name = x;
	m[n].type = NINEP_TRENAME, m[n].u.trename.fid = 2, m[n].u.trename.dfid = 1, m[n++].u.trename.name = x;
	m[n].type = NINEP_TRENAMEAT, m[n].u.trenameat.olddirfid = 1, m[n].u.trenameat.oldname = v;
	m[n].u.trenameat.newdirfid = 1, m[n++].u.trenameat.newname = x;
	m[n].type = NINEP_TUNLINKAT, m[n].u.tunlinkat.dirfid = 1, m[n++].u.tunlinkat.name = v;
	m[n].type = NINEP_TSETATTR, m[n].u.tsetattr.fid = 2, m[n].u.tsetattr.valid = 1, m[n++].u.tsetattr.mode = 0777;
	m[n].type = NINEP_TXATTRWALK, m[n].u.txattrwalk.fid = 2, m[n].u.txattrwalk.newfid = 3, m[n++].u.txattrwalk.name = x;
	m[n].type = NINEP_TXATTRCREATE, m[n].u.txattrcreate.fid = 2, m[n].u.txattrcreate.name = x;
	m[n++].u.txattrcreate.attr_size = 1u << 30;
	m[n].type = NINEP_TREADLINK, m[n++].u.treadlink.fid = 2;
	m[n].type = NINEP_TLOCK, m[n].u.tlock.fid = 2, m[n].u.tlock.type = 1, m[n].u.tlock.length = UINT64_MAX;
	m[n++].u.tlock.client_id = x;
	m[n].type = NINEP_TGETLOCK, m[n].u.tgetlock.fid = 2, m[n++].u.tgetlock.client_id = x;
	m[n].type = NINEP_TSTATFS, m[n++].u.tstatfs.fid = 1;
	m[n].type = NINEP_TFSYNC, m[n++].u.tfsync.fid = 2;
	for (int i = 0; i < n; i++) {
		m[i].tag = (uint16_t)(20 + i);
		if (c_send(c, &m[i]) < 0 || c_recv(c, H9_REPLY_MS) != 1 || c->rtag != m[i].tag) {
			fail("%s: no reply on its tag (%s)", ninep_type_name(m[i].type), why[0] ? why : reply_text(c));
			goto out;
		}
		if (!is_err(c))
			ok_types++;
		/* changing the tree must fail */
		if (!is_err(c) && m[i].type != NINEP_TSTATFS && m[i].type != NINEP_TFSYNC && m[i].type != NINEP_TLOCK &&
		    m[i].type != NINEP_TGETLOCK && fail("%s was allowed: %s", ninep_type_name(m[i].type), reply_text(c)))
			goto out;
	}
	note("%d tree-changing or unusual requests: %d answered with success (statfs/fsync/lock)", n, ok_types);
	if (t_walk(c, 40, 1, 4, "x") < 0 || expect_err(c, 40) < 0 || walk_ok(c, 1, 5, "version") < 0)
		goto out;
	/* 9P: a Tremove that fails still clunks the fid */
	if (t_fid(c, NINEP_TREMOVE, 41, 2) < 0 || expect_err(c, 41) < 0 || t_fid(c, NINEP_TCLUNK, 42, 2) < 0 ||
	    expect_err(c, 42) < 0) {
		fail("after a refused Tremove, fid 2 %s", why);
		goto out;
	}
	rc = 0;
out:
	c_close(c);
	return rc;
}

/* --- scenarios: plain 9P2000 ---------------------------------------------------- */

/* The same basic operations in plain 9P2000: Topen, Tread, Tstat, a
 * directory read of stat entries, and Rerror (not Rlerror) for failures. */
int sc_dialect_9p2000(const void *arg)
{
	struct conn *c = session(NINEP_9P2000, HIVE_MSIZE_MAX);
	struct ninep_stat st;
	size_t pos = 0;
	int rc = -1, k, found = 0;

	if (!c || open_ok(c, 1, "proc/version") < 0 || t_read(c, NINEP_TREAD, 2, 1, 0, 4096) < 0 ||
	    expect(c, NINEP_RREAD, 2) < 0)
		goto out;
	if (c->r.u.rread.count == 0 && fail("9P2000 read of /proc/version gave 0 bytes"))
		goto out;
	if (t_fid(c, NINEP_TSTAT, 3, 1) < 0 || expect(c, NINEP_RSTAT, 3) < 0)
		goto out;
	st = c->r.u.rstat.stat;
	if ((!ninep_str_eq(st.name, "version") || (st.mode & NINEP_DMDIR)) &&
	    fail("Tstat /proc/version: name '%.*s' mode %#x", (int)st.name.len, st.name.s, st.mode))
		goto out;
	if (t_walk(c, 4, 0, 2, "no-such-file") < 0 || c_recv(c, H9_REPLY_MS) != 1)
		goto out;
	if (c->rtype != NINEP_RERROR && fail("9P2000 error came as %s", reply_text(c)))
		goto out;
	if (check_err_reply(c, 4) < 0 || open_ok(c, 3, "proc") < 0 ||
	    t_read(c, NINEP_TREAD, 5, 3, 0, 8192) < 0 || expect(c, NINEP_RREAD, 5) < 0)
		goto out;
	while ((k = ninep_next_stat(c->r.u.rread.data, c->r.u.rread.count, &pos, &st)) == 1)
		found += ninep_str_eq(st.name, "version");
	if ((k < 0 || !found) && fail("directory read of /proc: parse %d, 'version' %s", k, found ? "found" : "missing"))
		goto out;
	r_begin(&R, NINEP_TGETATTR, 6); /* .L only: the codec will not encode it */
	r_put(&R, 0, 4);
	r_put(&R, NINEP_GETATTR_BASIC, 8);
	r_end(&R);
	rc = r_send(c, &R) < 0 ? -1 : expect_err_or_close(c, 6);
out:
	c_close(c);
	return rc;
}

/* 9P2000 directory reads with a count too small for one entry and offsets
 * that were never returned: one reply on the tag each (a short read or an
 * error), and a read from offset 0 still lists the directory. */
int sc_dir_read_offsets(const void *arg)
{
	static const uint64_t offs[] = { 0, 7, 1u << 20, UINT64_MAX - 1 };
	static const uint32_t counts[] = { 10, 8192, 8192, 8192 };
	struct conn *c = session(NINEP_9P2000, HIVE_MSIZE_MAX);
	int rc = -1;

	if (!c || open_ok(c, 1, "proc") < 0)
		goto out;
	for (int i = 0; i < 4; i++) {
		if (t_read(c, NINEP_TREAD, (uint16_t)(2 + i), 1, offs[i], counts[i]) < 0 ||
		    c_recv(c, H9_REPLY_MS) != 1 || c->rtag != 2 + i) {
			fail("dir read offset %llu count %u: no reply on its tag", (unsigned long long)offs[i], counts[i]);
			goto out;
		}
		note("dir read offset %llu count %u: %s %u", (unsigned long long)offs[i], counts[i], reply_text(c),
		     c->rtype == NINEP_RREAD ? c->r.u.rread.count : 0);
		if (c->rtype == NINEP_RREAD && c->r.u.rread.count > counts[i] &&
		    fail("dir read of count %u returned %u bytes", counts[i], c->r.u.rread.count))
			goto out;
	}
	if (t_read(c, NINEP_TREAD, 9, 1, 0, 8192) < 0 || expect(c, NINEP_RREAD, 9) < 0)
		goto out;
	rc = c->r.u.rread.count ? 0 : fail("dir read from offset 0 after bad offsets is empty");
out:
	c_close(c);
	return rc;
}
