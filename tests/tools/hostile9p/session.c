/*
 * session.c — hostile9p's well-behaved side: valid requests built by the
 * codec, the steps scenarios are made of (handshake, session, walk, open),
 * the health check run after every scenario, and the server's RSS.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile9p.h"

/* Resident memory of the server in KiB, or -1 without --pid. */
long rss_kb(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (opt.pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/status", opt.pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- valid requests, built by the codec -------------------------------------- */

int t_version(struct conn *c, uint32_t msize, const char *ver)
{
	struct ninep_msg m = { .type = NINEP_TVERSION, .tag = NINEP_NOTAG };
	m.u.tversion.msize = msize;
	m.u.tversion.version = ninep_str_c(ver);
	return c_send(c, &m);
}

int t_attach_as(struct conn *c, uint16_t tag, uint32_t fid, uint32_t afid, const char *aname)
{
	struct ninep_msg m = { .type = NINEP_TATTACH, .tag = tag };
	m.u.tattach.fid = fid;
	m.u.tattach.afid = afid;
	m.u.tattach.uname = ninep_str_c("hostile9p");
	m.u.tattach.aname = ninep_str_c(aname);
	m.u.tattach.n_uname = (uint32_t)getuid();
	return c_send(c, &m);
}

int t_attach(struct conn *c, uint16_t tag, uint32_t fid, uint32_t afid)
{
	return t_attach_as(c, tag, fid, afid, "");
}

int t_auth(struct conn *c, uint16_t tag, uint32_t afid)
{
	struct ninep_msg m = { .type = NINEP_TAUTH, .tag = tag };
	m.u.tauth.afid = afid;
	m.u.tauth.uname = ninep_str_c("hostile9p");
	m.u.tauth.aname = ninep_str_c("");
	m.u.tauth.n_uname = NINEP_NONUNAME;
	return c_send(c, &m);
}

/* Walk a '/'-separated path ("" clones the fid). */
int t_walk(struct conn *c, uint16_t tag, uint32_t fid, uint32_t newfid, const char *path)
{
	struct ninep_msg m = { .type = NINEP_TWALK, .tag = tag };
	m.u.twalk.fid = fid;
	m.u.twalk.newfid = newfid;
	for (const char *p = path; *p && m.u.twalk.nwname < HIVE_WALK_MAX;) {
		size_t n = strcspn(p, "/");
		m.u.twalk.wname[m.u.twalk.nwname++] = (struct ninep_str){ (uint16_t)n, p };
		p += n + (p[n] == '/');
	}
	return c_send(c, &m);
}

/* Open with an O_RDONLY/O_WRONLY/O_RDWR mode: Tlopen on .L, Topen on 9P2000. */
int t_open(struct conn *c, uint16_t tag, uint32_t fid, uint32_t mode)
{
	struct ninep_msg m = { .tag = tag };
	if (c->dialect == NINEP_9P2000L) {
		m.type = NINEP_TLOPEN;
		m.u.tlopen.fid = fid;
		m.u.tlopen.flags = mode;
	} else {
		m.type = NINEP_TOPEN;
		m.u.topen.fid = fid;
		m.u.topen.mode = (uint8_t)mode;
	}
	return c_send(c, &m);
}

void m_read(struct ninep_msg *m, uint8_t type, uint16_t tag, uint32_t fid, uint64_t off, uint32_t count)
{
	*m = (struct ninep_msg){ .type = type, .tag = tag };
	m->u.tread.fid = fid;
	m->u.tread.offset = off;
	m->u.tread.count = count;
}

int t_read(struct conn *c, uint8_t type, uint16_t tag, uint32_t fid, uint64_t off, uint32_t count)
{
	struct ninep_msg m;
	m_read(&m, type, tag, fid, off, count);
	return c_send(c, &m);
}

int t_write(struct conn *c, uint16_t tag, uint32_t fid, const char *data)
{
	struct ninep_msg m = { .type = NINEP_TWRITE, .tag = tag };
	m.u.twrite.fid = fid;
	m.u.twrite.count = (uint32_t)strlen(data);
	m.u.twrite.data = (const uint8_t *)data;
	return c_send(c, &m);
}

/* A one-fid request: Tclunk, Tremove, Tstat, Tgetattr. */
int t_fid(struct conn *c, uint8_t type, uint16_t tag, uint32_t fid)
{
	struct ninep_msg m = { .type = type, .tag = tag };
	if (type == NINEP_TGETATTR) {
		m.u.tgetattr.fid = fid;
		m.u.tgetattr.request_mask = NINEP_GETATTR_BASIC;
	} else {
		m.u.tclunk.fid = fid;
	}
	return c_send(c, &m);
}

int t_flush(struct conn *c, uint16_t tag, uint16_t oldtag)
{
	struct ninep_msg m = { .type = NINEP_TFLUSH, .tag = tag };
	m.u.tflush.oldtag = oldtag;
	return c_send(c, &m);
}

/* --- steps a scenario is made of ------------------------------------------------ */

const char *dialect_name(enum ninep_dialect d)
{
	return d == NINEP_9P2000 ? "9P2000" : "9P2000.L";
}

/* Tversion at msize, then Tattach fid 0 (tag 1). */
int handshake(struct conn *c, uint32_t msize)
{
	if (t_version(c, msize, dialect_name(c->dialect)) < 0 || expect(c, NINEP_RVERSION, NINEP_NOTAG) < 0)
		return -1;
	if (!ninep_str_eq(c->r.u.rversion.version, dialect_name(c->dialect)))
		return fail("Rversion says '%.*s', asked %s", (int)c->r.u.rversion.version.len,
		            c->r.u.rversion.version.s, dialect_name(c->dialect));
	c->msize = c->r.u.rversion.msize;
	if (t_attach(c, 1, 0, NINEP_NOFID) < 0 || expect(c, NINEP_RATTACH, 1) < 0)
		return -1;
	c->root = c->r.u.rattach.qid;
	return 0;
}

/* A fresh, attached session (fid 0 = root). */
struct conn *session(enum ninep_dialect d, uint32_t msize)
{
	struct conn *c = c_open(d);
	if (c && handshake(c, msize) < 0) {
		c_close(c);
		return NULL;
	}
	return c;
}

int walk_ok(struct conn *c, uint32_t fid, uint32_t newfid, const char *path)
{
	if (t_walk(c, 90, fid, newfid, path) < 0 || expect(c, NINEP_RWALK, 90) < 0)
		return -1;
	size_t want = 0;
	for (const char *p = path; *p; p += strcspn(p, "/"), p += *p == '/')
		want++;
	if (c->r.u.rwalk.nwqid != want)
		return fail("walk %s: %u qids for %zu names", path, c->r.u.rwalk.nwqid, want);
	return 0;
}

/* Walk fid 0 -> fid along path and open it for reading. */
int open_ok(struct conn *c, uint32_t fid, const char *path)
{
	if (walk_ok(c, 0, fid, path) < 0 || t_open(c, 91, fid, 0) < 0)
		return -1;
	return expect(c, c->dialect == NINEP_9P2000L ? NINEP_RLOPEN : NINEP_ROPEN, 91);
}

/* The well-behaved session every scenario must leave possible. */
int health(int64_t *latency)
{
	int64_t t0 = now_ms();
	struct conn *c = session(NINEP_9P2000L, HIVE_MSIZE_MAX);
	int rc = -1;

	if (!c)
		return -1;
	if (open_ok(c, 1, "proc/version") < 0 || t_read(c, NINEP_TREAD, 2, 1, 0, 4096) < 0 ||
	    expect(c, NINEP_RREAD, 2) < 0)
		goto out;
	if (c->r.u.rread.count == 0) {
		fail("/proc/version read 0 bytes");
		goto out;
	}
	rc = t_fid(c, NINEP_TCLUNK, 3, 1) < 0 || expect(c, NINEP_RCLUNK, 3) < 0 ? -1 : 0;
out:
	*latency = now_ms() - t0;
	c_close(c);
	return rc;
}

/* One request on a live session, timed: a Tgetattr of the root. */
int ping(struct conn *c, int64_t *worst)
{
	int64_t t0 = now_ms();
	if (t_fid(c, NINEP_TGETATTR, 50, 0) < 0 || expect(c, NINEP_RGETATTR, 50) < 0)
		return -1;
	if (now_ms() - t0 > *worst)
		*worst = now_ms() - t0;
	return 0;
}
