/*
 * ninep.c — the 9P2000 / 9P2000.L codec.
 *
 * One table (msg_defs) lists every message's fields in wire order, and three
 * walkers read it: the decoder, the encoder and the comparer. Because the
 * layout of a message is written down once, the decoder and encoder cannot
 * drift apart, and the fuzz target's "decode, encode, decode, compare" loop
 * exercises exactly the layouts the daemon uses.
 *
 * Every byte read goes through ninep_rd_take() and every byte written
 * through ninep_wr_take() (cursors in ninep_wire.h): those are the only two
 * bounds checks, so a frame from a hostile peer can never make the codec
 * touch memory outside [buf, buf + len). Stat and dirent helpers live in
 * ninep_stat.c; the wire reference and the decoder's checks are in
 * docs/wire.md.
 */
#include "ninep.h"
#include "ninep_wire.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* ---- cursors ------------------------------------------------------------ */

const uint8_t *ninep_rd_take(struct ninep_rd *r, size_t n)
{
	if (r->bad || r->len - r->pos < n) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *p = r->b + r->pos;
	r->pos += n;
	return p;
}

uint64_t ninep_rd_uint(struct ninep_rd *r, unsigned n)
{
	const uint8_t *p = ninep_rd_take(r, n);
	uint64_t v = 0;
	if (!p)
		return 0;
	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

void ninep_rd_str(struct ninep_rd *r, struct ninep_str *s)
{
	uint16_t len = (uint16_t)ninep_rd_uint(r, 2);
	const uint8_t *p = ninep_rd_take(r, len);
	s->len = p ? len : 0;
	s->s = (const char *)p;
}

void ninep_rd_qid(struct ninep_rd *r, struct ninep_qid *q)
{
	q->type = (uint8_t)ninep_rd_uint(r, 1);
	q->version = (uint32_t)ninep_rd_uint(r, 4);
	q->path = ninep_rd_uint(r, 8);
}

uint8_t *ninep_wr_take(struct ninep_wr *w, size_t n)
{
	if (w->full || w->cap - w->pos < n) {
		w->full = 1;
		return NULL;
	}
	uint8_t *p = w->b + w->pos;
	w->pos += n;
	return p;
}

void ninep_wr_uint(struct ninep_wr *w, uint64_t v, unsigned n)
{
	uint8_t *p = ninep_wr_take(w, n);
	for (unsigned i = 0; p && i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* memmove, not memcpy: payloads may already sit at their final place in buf. */
void ninep_wr_bytes(struct ninep_wr *w, const void *src, size_t n)
{
	if (n && !src) {
		w->inval = 1;
		return;
	}
	uint8_t *p = ninep_wr_take(w, n);
	if (p && n)
		memmove(p, src, n);
}

void ninep_wr_str(struct ninep_wr *w, struct ninep_str s)
{
	ninep_wr_uint(w, s.len, 2);
	ninep_wr_bytes(w, s.s, s.len);
}

void ninep_wr_qid(struct ninep_wr *w, const struct ninep_qid *q)
{
	ninep_wr_uint(w, q->type, 1);
	ninep_wr_uint(w, q->version, 4);
	ninep_wr_uint(w, q->path, 8);
}

/* ---- the message table -------------------------------------------------- */

enum field_kind {
	NF_END = 0,
	NF_U8, NF_U16, NF_U32, NF_U64,
	NF_STR,
	NF_QID,
	NF_NUNAME,   /* u32 in 9P2000.L only; NINEP_NONUNAME when absent */
	NF_DATA,     /* count[4] at off, then count bytes; data pointer at off2 */
	NF_WNAMES,   /* nwname[2] at off, names at off2 (at most HIVE_WALK_MAX) */
	NF_WQIDS,    /* nwqid[2] at off, qids at off2 (at most HIVE_WALK_MAX) */
	NF_STAT,     /* n[2] then a stat whose own size[2] must agree with n */
	NF_DATASYNC, /* Tfsync's optional trailing datasync[4]: read, dropped */
};

struct field {
	uint8_t kind;
	uint16_t off, off2; /* offsets into struct ninep_msg */
};

#define F(k, mem) { NF_##k, offsetof(struct ninep_msg, u.mem), 0 }
#define F2(k, mem, mem2) \
	{ NF_##k, offsetof(struct ninep_msg, u.mem), offsetof(struct ninep_msg, u.mem2) }
#define END { NF_END, 0, 0 }

/* Dialect bits: in which negotiated state a message type is valid. */
#define DL_NONE 1u
#define DL_9 2u
#define DL_L 4u
#define DL_BOTH (DL_9 | DL_L)

static const struct field f_empty[] = { END };
static const struct field f_version[] = { F(U32, tversion.msize), F(STR, tversion.version), END };
static const struct field f_tauth[] = {
	F(U32, tauth.afid), F(STR, tauth.uname), F(STR, tauth.aname), F(NUNAME, tauth.n_uname), END
};
static const struct field f_rauth[] = { F(QID, rauth.aqid), END };
static const struct field f_tattach[] = {
	F(U32, tattach.fid), F(U32, tattach.afid), F(STR, tattach.uname), F(STR, tattach.aname),
	F(NUNAME, tattach.n_uname), END
};
static const struct field f_rattach[] = { F(QID, rattach.qid), END };
static const struct field f_rerror[] = { F(STR, rerror.ename), END };
static const struct field f_rlerror[] = { F(U32, rlerror.ecode), END };
static const struct field f_tflush[] = { F(U16, tflush.oldtag), END };
static const struct field f_twalk[] = {
	F(U32, twalk.fid), F(U32, twalk.newfid), F2(WNAMES, twalk.nwname, twalk.wname), END
};
static const struct field f_rwalk[] = { F2(WQIDS, rwalk.nwqid, rwalk.wqid), END };
static const struct field f_topen[] = { F(U32, topen.fid), F(U8, topen.mode), END };
/* ropen, rcreate, rlopen and rlcreate are declared as one struct type. */
static const struct field f_ropen[] = { F(QID, ropen.qid), F(U32, ropen.iounit), END };
static const struct field f_tcreate[] = {
	F(U32, tcreate.fid), F(STR, tcreate.name), F(U32, tcreate.perm), F(U8, tcreate.mode), END
};
/* tread and treaddir share a struct type; so do rread and rreaddir. */
static const struct field f_tread[] = {
	F(U32, tread.fid), F(U64, tread.offset), F(U32, tread.count), END
};
static const struct field f_rread[] = { F2(DATA, rread.count, rread.data), END };
static const struct field f_twrite[] = {
	F(U32, twrite.fid), F(U64, twrite.offset), F2(DATA, twrite.count, twrite.data), END
};
static const struct field f_rwrite[] = { F(U32, rwrite.count), END };
/* tclunk, tremove, tstat, tstatfs, treadlink and tfsync share a struct type. */
static const struct field f_fid[] = { F(U32, tclunk.fid), END };
static const struct field f_tfsync[] = { F(U32, tfsync.fid), F(DATASYNC, tfsync.fid), END };
static const struct field f_rstat[] = { F(STAT, rstat.stat), END };
static const struct field f_twstat[] = { F(U32, twstat.fid), F(STAT, twstat.stat), END };
static const struct field f_tlopen[] = { F(U32, tlopen.fid), F(U32, tlopen.flags), END };
static const struct field f_tlcreate[] = {
	F(U32, tlcreate.fid), F(STR, tlcreate.name), F(U32, tlcreate.flags),
	F(U32, tlcreate.mode), F(U32, tlcreate.gid), END
};
static const struct field f_tsymlink[] = {
	F(U32, tsymlink.fid), F(STR, tsymlink.name), F(STR, tsymlink.symtgt),
	F(U32, tsymlink.gid), END
};
static const struct field f_tmknod[] = {
	F(U32, tmknod.dfid), F(STR, tmknod.name), F(U32, tmknod.mode), F(U32, tmknod.major),
	F(U32, tmknod.minor), F(U32, tmknod.gid), END
};
/* rsymlink, rmknod and rmkdir share a struct type. */
static const struct field f_rqid[] = { F(QID, rsymlink.qid), END };
static const struct field f_trename[] = {
	F(U32, trename.fid), F(U32, trename.dfid), F(STR, trename.name), END
};
static const struct field f_rreadlink[] = { F(STR, rreadlink.target), END };
static const struct field f_tgetattr[] = {
	F(U32, tgetattr.fid), F(U64, tgetattr.request_mask), END
};
static const struct field f_rgetattr[] = {
	F(U64, rgetattr.valid), F(QID, rgetattr.qid), F(U32, rgetattr.mode),
	F(U32, rgetattr.uid), F(U32, rgetattr.gid), F(U64, rgetattr.nlink),
	F(U64, rgetattr.rdev), F(U64, rgetattr.size), F(U64, rgetattr.blksize),
	F(U64, rgetattr.blocks), F(U64, rgetattr.atime_sec), F(U64, rgetattr.atime_nsec),
	F(U64, rgetattr.mtime_sec), F(U64, rgetattr.mtime_nsec), F(U64, rgetattr.ctime_sec),
	F(U64, rgetattr.ctime_nsec), F(U64, rgetattr.btime_sec), F(U64, rgetattr.btime_nsec),
	F(U64, rgetattr.gen), F(U64, rgetattr.data_version), END
};
static const struct field f_tsetattr[] = {
	F(U32, tsetattr.fid), F(U32, tsetattr.valid), F(U32, tsetattr.mode),
	F(U32, tsetattr.uid), F(U32, tsetattr.gid), F(U64, tsetattr.size),
	F(U64, tsetattr.atime_sec), F(U64, tsetattr.atime_nsec),
	F(U64, tsetattr.mtime_sec), F(U64, tsetattr.mtime_nsec), END
};
static const struct field f_txattrwalk[] = {
	F(U32, txattrwalk.fid), F(U32, txattrwalk.newfid), F(STR, txattrwalk.name), END
};
static const struct field f_rxattrwalk[] = { F(U64, rxattrwalk.size), END };
static const struct field f_txattrcreate[] = {
	F(U32, txattrcreate.fid), F(STR, txattrcreate.name), F(U64, txattrcreate.attr_size),
	F(U32, txattrcreate.flags), END
};
static const struct field f_rstatfs[] = {
	F(U32, rstatfs.type), F(U32, rstatfs.bsize), F(U64, rstatfs.blocks),
	F(U64, rstatfs.bfree), F(U64, rstatfs.bavail), F(U64, rstatfs.files),
	F(U64, rstatfs.ffree), F(U64, rstatfs.fsid), F(U32, rstatfs.namelen), END
};
static const struct field f_tlock[] = {
	F(U32, tlock.fid), F(U8, tlock.type), F(U32, tlock.flags), F(U64, tlock.start),
	F(U64, tlock.length), F(U32, tlock.proc_id), F(STR, tlock.client_id), END
};
static const struct field f_tgetlock[] = {
	F(U32, tgetlock.fid), F(U8, tgetlock.type), F(U64, tgetlock.start),
	F(U64, tgetlock.length), F(U32, tgetlock.proc_id), F(STR, tgetlock.client_id), END
};
static const struct field f_rlock[] = { F(U8, rlock.status), END };
static const struct field f_rgetlock[] = {
	F(U8, rgetlock.type), F(U64, rgetlock.start), F(U64, rgetlock.length),
	F(U32, rgetlock.proc_id), F(STR, rgetlock.client_id), END
};
static const struct field f_tlink[] = {
	F(U32, tlink.dfid), F(U32, tlink.fid), F(STR, tlink.name), END
};
static const struct field f_tmkdir[] = {
	F(U32, tmkdir.dfid), F(STR, tmkdir.name), F(U32, tmkdir.mode), F(U32, tmkdir.gid), END
};
static const struct field f_trenameat[] = {
	F(U32, trenameat.olddirfid), F(STR, trenameat.oldname), F(U32, trenameat.newdirfid),
	F(STR, trenameat.newname), END
};
static const struct field f_tunlinkat[] = {
	F(U32, tunlinkat.dirfid), F(STR, tunlinkat.name), F(U32, tunlinkat.flags), END
};

struct msg_def {
	const char *name;
	unsigned dialects; /* DL_* bits; 0 = named but never valid (Tlerror) */
	const struct field *f;
};

#define NINEP_TYPES 128 /* every type number of both dialects is below 128 */

static const struct msg_def msg_defs[NINEP_TYPES] = {
	/* Tlerror has a number but no layout: no client ever sends it. */
	[NINEP_TLERROR] = { "Tlerror", 0, f_empty },
	[NINEP_RLERROR] = { "Rlerror", DL_NONE | DL_L, f_rlerror },
	[NINEP_TSTATFS] = { "Tstatfs", DL_L, f_fid },
	[NINEP_RSTATFS] = { "Rstatfs", DL_L, f_rstatfs },
	[NINEP_TLOPEN] = { "Tlopen", DL_L, f_tlopen },
	[NINEP_RLOPEN] = { "Rlopen", DL_L, f_ropen },
	[NINEP_TLCREATE] = { "Tlcreate", DL_L, f_tlcreate },
	[NINEP_RLCREATE] = { "Rlcreate", DL_L, f_ropen },
	[NINEP_TSYMLINK] = { "Tsymlink", DL_L, f_tsymlink },
	[NINEP_RSYMLINK] = { "Rsymlink", DL_L, f_rqid },
	[NINEP_TMKNOD] = { "Tmknod", DL_L, f_tmknod },
	[NINEP_RMKNOD] = { "Rmknod", DL_L, f_rqid },
	[NINEP_TRENAME] = { "Trename", DL_L, f_trename },
	[NINEP_RRENAME] = { "Rrename", DL_L, f_empty },
	[NINEP_TREADLINK] = { "Treadlink", DL_L, f_fid },
	[NINEP_RREADLINK] = { "Rreadlink", DL_L, f_rreadlink },
	[NINEP_TGETATTR] = { "Tgetattr", DL_L, f_tgetattr },
	[NINEP_RGETATTR] = { "Rgetattr", DL_L, f_rgetattr },
	[NINEP_TSETATTR] = { "Tsetattr", DL_L, f_tsetattr },
	[NINEP_RSETATTR] = { "Rsetattr", DL_L, f_empty },
	[NINEP_TXATTRWALK] = { "Txattrwalk", DL_L, f_txattrwalk },
	[NINEP_RXATTRWALK] = { "Rxattrwalk", DL_L, f_rxattrwalk },
	[NINEP_TXATTRCREATE] = { "Txattrcreate", DL_L, f_txattrcreate },
	[NINEP_RXATTRCREATE] = { "Rxattrcreate", DL_L, f_empty },
	[NINEP_TREADDIR] = { "Treaddir", DL_L, f_tread },
	[NINEP_RREADDIR] = { "Rreaddir", DL_L, f_rread },
	[NINEP_TFSYNC] = { "Tfsync", DL_L, f_tfsync },
	[NINEP_RFSYNC] = { "Rfsync", DL_L, f_empty },
	[NINEP_TLOCK] = { "Tlock", DL_L, f_tlock },
	[NINEP_RLOCK] = { "Rlock", DL_L, f_rlock },
	[NINEP_TGETLOCK] = { "Tgetlock", DL_L, f_tgetlock },
	[NINEP_RGETLOCK] = { "Rgetlock", DL_L, f_rgetlock },
	[NINEP_TLINK] = { "Tlink", DL_L, f_tlink },
	[NINEP_RLINK] = { "Rlink", DL_L, f_empty },
	[NINEP_TMKDIR] = { "Tmkdir", DL_L, f_tmkdir },
	[NINEP_RMKDIR] = { "Rmkdir", DL_L, f_rqid },
	[NINEP_TRENAMEAT] = { "Trenameat", DL_L, f_trenameat },
	[NINEP_RRENAMEAT] = { "Rrenameat", DL_L, f_empty },
	[NINEP_TUNLINKAT] = { "Tunlinkat", DL_L, f_tunlinkat },
	[NINEP_RUNLINKAT] = { "Runlinkat", DL_L, f_empty },
	/* Version must work before a dialect exists; Rerror/Rlerror are how a
	 * server refuses that first Tversion, so a client must read them too. */
	[NINEP_TVERSION] = { "Tversion", DL_NONE | DL_BOTH, f_version },
	[NINEP_RVERSION] = { "Rversion", DL_NONE | DL_BOTH, f_version },
	[NINEP_TAUTH] = { "Tauth", DL_BOTH, f_tauth },
	[NINEP_RAUTH] = { "Rauth", DL_BOTH, f_rauth },
	[NINEP_TATTACH] = { "Tattach", DL_BOTH, f_tattach },
	[NINEP_RATTACH] = { "Rattach", DL_BOTH, f_rattach },
	/* The base protocol's messages stay valid in .L (decided leniency, see
	 * docs/wire.md): the server, not the codec, decides to refuse Topen. */
	[NINEP_RERROR] = { "Rerror", DL_NONE | DL_BOTH, f_rerror },
	[NINEP_TFLUSH] = { "Tflush", DL_BOTH, f_tflush },
	[NINEP_RFLUSH] = { "Rflush", DL_BOTH, f_empty },
	[NINEP_TWALK] = { "Twalk", DL_BOTH, f_twalk },
	[NINEP_RWALK] = { "Rwalk", DL_BOTH, f_rwalk },
	[NINEP_TOPEN] = { "Topen", DL_BOTH, f_topen },
	[NINEP_ROPEN] = { "Ropen", DL_BOTH, f_ropen },
	[NINEP_TCREATE] = { "Tcreate", DL_BOTH, f_tcreate },
	[NINEP_RCREATE] = { "Rcreate", DL_BOTH, f_ropen },
	[NINEP_TREAD] = { "Tread", DL_BOTH, f_tread },
	[NINEP_RREAD] = { "Rread", DL_BOTH, f_rread },
	[NINEP_TWRITE] = { "Twrite", DL_BOTH, f_twrite },
	[NINEP_RWRITE] = { "Rwrite", DL_BOTH, f_rwrite },
	[NINEP_TCLUNK] = { "Tclunk", DL_BOTH, f_fid },
	[NINEP_RCLUNK] = { "Rclunk", DL_BOTH, f_empty },
	[NINEP_TREMOVE] = { "Tremove", DL_BOTH, f_fid },
	[NINEP_RREMOVE] = { "Rremove", DL_BOTH, f_empty },
	[NINEP_TSTAT] = { "Tstat", DL_BOTH, f_fid },
	[NINEP_RSTAT] = { "Rstat", DL_BOTH, f_rstat },
	[NINEP_TWSTAT] = { "Twstat", DL_BOTH, f_twstat },
	[NINEP_RWSTAT] = { "Rwstat", DL_BOTH, f_empty },
};

static unsigned dialect_bit(enum ninep_dialect d)
{
	switch (d) {
	case NINEP_DIALECT_NONE: return DL_NONE;
	case NINEP_9P2000: return DL_9;
	case NINEP_9P2000L: return DL_L;
	}
	return 0;
}

/* The definition of `type` if it exists in dialect d, else NULL. */
static const struct msg_def *msg_def(uint8_t type, enum ninep_dialect d)
{
	if (type >= NINEP_TYPES || !(msg_defs[type].dialects & dialect_bit(d)))
		return NULL;
	return &msg_defs[type];
}

const char *ninep_type_name(uint8_t type)
{
	if (type < NINEP_TYPES && msg_defs[type].name)
		return msg_defs[type].name;
	return type & 1 ? "R?" : "T?";
}

/* ---- the three walkers ------------------------------------------------- */

#define AT(m, off, T) ((T *)(void *)((char *)(m) + (off)))
/* A named pointer type, so CAT can add its const to the pointer itself. */
typedef const uint8_t *bytes_ptr;
#define CAT(m, off, T) ((const T *)(const void *)((const char *)(m) + (off)))

static void rd_fields(struct ninep_rd *r, const struct field *f, enum ninep_dialect d,
                      struct ninep_msg *m)
{
	for (; f->kind != NF_END && !r->bad; f++) {
		switch (f->kind) {
		case NF_U8: *AT(m, f->off, uint8_t) = (uint8_t)ninep_rd_uint(r, 1); break;
		case NF_U16: *AT(m, f->off, uint16_t) = (uint16_t)ninep_rd_uint(r, 2); break;
		case NF_U32: *AT(m, f->off, uint32_t) = (uint32_t)ninep_rd_uint(r, 4); break;
		case NF_U64: *AT(m, f->off, uint64_t) = ninep_rd_uint(r, 8); break;
		case NF_STR: ninep_rd_str(r, AT(m, f->off, struct ninep_str)); break;
		case NF_QID: ninep_rd_qid(r, AT(m, f->off, struct ninep_qid)); break;
		case NF_NUNAME:
			*AT(m, f->off, uint32_t) = d == NINEP_9P2000L ?
				(uint32_t)ninep_rd_uint(r, 4) : NINEP_NONUNAME;
			break;
		case NF_DATA: {
			uint32_t n = (uint32_t)ninep_rd_uint(r, 4);
			*AT(m, f->off, uint32_t) = n;
			/* The count must describe exactly the rest of the frame. */
			if (r->len - r->pos != n)
				r->bad = 1;
			*AT(m, f->off2, bytes_ptr) = ninep_rd_take(r, n);
			break;
		}
		case NF_WNAMES:
		case NF_WQIDS: {
			uint16_t n = (uint16_t)ninep_rd_uint(r, 2);
			*AT(m, f->off, uint16_t) = n;
			if (n > HIVE_WALK_MAX)
				r->bad = 1;
			for (uint16_t i = 0; i < n && !r->bad; i++) {
				if (f->kind == NF_WNAMES)
					ninep_rd_str(r, AT(m, f->off2, struct ninep_str) + i);
				else
					ninep_rd_qid(r, AT(m, f->off2, struct ninep_qid) + i);
			}
			break;
		}
		case NF_STAT: {
			uint16_t n = (uint16_t)ninep_rd_uint(r, 2);
			const uint8_t *p = ninep_rd_take(r, n);
			struct ninep_rd sub = { p, n, 0, p == NULL };
			ninep_rd_stat(&sub, AT(m, f->off, struct ninep_stat));
			/* n and the stat's own size[2] must name the same bytes. */
			if (sub.bad || sub.pos != sub.len)
				r->bad = 1;
			break;
		}
		case NF_DATASYNC:
			/* Newer Linux appends datasync[4]; older clients do not. */
			if (r->len - r->pos >= 4)
				(void)ninep_rd_uint(r, 4);
			break;
		}
	}
}

static void wr_fields(struct ninep_wr *w, const struct field *f, enum ninep_dialect d,
                      const struct ninep_msg *m)
{
	for (; f->kind != NF_END; f++) {
		switch (f->kind) {
		case NF_U8: ninep_wr_uint(w, *CAT(m, f->off, uint8_t), 1); break;
		case NF_U16: ninep_wr_uint(w, *CAT(m, f->off, uint16_t), 2); break;
		case NF_U32: ninep_wr_uint(w, *CAT(m, f->off, uint32_t), 4); break;
		case NF_U64: ninep_wr_uint(w, *CAT(m, f->off, uint64_t), 8); break;
		case NF_STR: ninep_wr_str(w, *CAT(m, f->off, struct ninep_str)); break;
		case NF_QID: ninep_wr_qid(w, CAT(m, f->off, struct ninep_qid)); break;
		case NF_NUNAME:
			if (d == NINEP_9P2000L)
				ninep_wr_uint(w, *CAT(m, f->off, uint32_t), 4);
			break;
		case NF_DATA: {
			uint32_t n = *CAT(m, f->off, uint32_t);
			ninep_wr_uint(w, n, 4);
			ninep_wr_bytes(w, *CAT(m, f->off2, bytes_ptr), n);
			break;
		}
		case NF_WNAMES:
		case NF_WQIDS: {
			uint16_t n = *CAT(m, f->off, uint16_t);
			if (n > HIVE_WALK_MAX) {
				w->inval = 1;
				break;
			}
			ninep_wr_uint(w, n, 2);
			for (uint16_t i = 0; i < n; i++) {
				if (f->kind == NF_WNAMES)
					ninep_wr_str(w, CAT(m, f->off2, struct ninep_str)[i]);
				else
					ninep_wr_qid(w, CAT(m, f->off2, struct ninep_qid) + i);
			}
			break;
		}
		case NF_STAT: {
			const struct ninep_stat *st = CAT(m, f->off, struct ninep_stat);
			size_t n = ninep_stat_size(st);
			if (n > UINT16_MAX) {
				w->inval = 1;
				break;
			}
			ninep_wr_uint(w, n, 2);
			ninep_wr_stat(w, st);
			break;
		}
		case NF_DATASYNC:
			/* We send the original fid-only form; both decode. */
			break;
		}
	}
}

static int str_same(struct ninep_str a, struct ninep_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

static int qid_same(const struct ninep_qid *a, const struct ninep_qid *b)
{
	return a->type == b->type && a->version == b->version && a->path == b->path;
}

int ninep_stat_eq(const struct ninep_stat *a, const struct ninep_stat *b)
{
	return a->type == b->type && a->dev == b->dev && qid_same(&a->qid, &b->qid) &&
	       a->mode == b->mode && a->atime == b->atime && a->mtime == b->mtime &&
	       a->length == b->length && str_same(a->name, b->name) &&
	       str_same(a->uid, b->uid) && str_same(a->gid, b->gid) &&
	       str_same(a->muid, b->muid);
}

static int fields_same(const struct field *f, const struct ninep_msg *a,
                       const struct ninep_msg *b)
{
	for (; f->kind != NF_END; f++) {
		int same = 1;
		switch (f->kind) {
		case NF_U8: same = *CAT(a, f->off, uint8_t) == *CAT(b, f->off, uint8_t); break;
		case NF_U16: same = *CAT(a, f->off, uint16_t) == *CAT(b, f->off, uint16_t); break;
		case NF_U32:
		case NF_NUNAME:
			same = *CAT(a, f->off, uint32_t) == *CAT(b, f->off, uint32_t);
			break;
		case NF_U64: same = *CAT(a, f->off, uint64_t) == *CAT(b, f->off, uint64_t); break;
		case NF_STR:
			same = str_same(*CAT(a, f->off, struct ninep_str), *CAT(b, f->off, struct ninep_str));
			break;
		case NF_QID:
			same = qid_same(CAT(a, f->off, struct ninep_qid), CAT(b, f->off, struct ninep_qid));
			break;
		case NF_DATA: {
			uint32_t n = *CAT(a, f->off, uint32_t);
			const uint8_t *da = *CAT(a, f->off2, bytes_ptr);
			const uint8_t *db = *CAT(b, f->off2, bytes_ptr);
			same = n == *CAT(b, f->off, uint32_t) && (n == 0 || memcmp(da, db, n) == 0);
			break;
		}
		case NF_WNAMES:
		case NF_WQIDS: {
			uint16_t n = *CAT(a, f->off, uint16_t);
			same = n == *CAT(b, f->off, uint16_t) && n <= HIVE_WALK_MAX;
			for (uint16_t i = 0; same && i < n; i++) {
				if (f->kind == NF_WNAMES)
					same = str_same(CAT(a, f->off2, struct ninep_str)[i],
					                CAT(b, f->off2, struct ninep_str)[i]);
				else
					same = qid_same(CAT(a, f->off2, struct ninep_qid) + i,
					                CAT(b, f->off2, struct ninep_qid) + i);
			}
			break;
		}
		case NF_STAT:
			same = ninep_stat_eq(CAT(a, f->off, struct ninep_stat),
			                     CAT(b, f->off, struct ninep_stat));
			break;
		case NF_DATASYNC:
			break;
		}
		if (!same)
			return 0;
	}
	return 1;
}

/* ---- public entry points ------------------------------------------------ */

uint32_t ninep_frame_size(const uint8_t *buf, size_t len)
{
	struct ninep_rd r = { buf, len, 0, 0 };
	return len < 4 ? 0 : (uint32_t)ninep_rd_uint(&r, 4);
}

int ninep_hdr_decode(const uint8_t *buf, size_t len, uint32_t msize, struct ninep_hdr *h)
{
	struct ninep_rd r = { buf, len, 0, 0 };

	memset(h, 0, sizeof *h);
	if (len < 4)
		return 0;
	uint32_t size = (uint32_t)ninep_rd_uint(&r, 4);
	if (size < NINEP_HDR || size > (msize ? msize : HIVE_MSIZE_MAX))
		return -EMSGSIZE;
	if (len < NINEP_HDR)
		return 0;
	h->size = size;
	h->type = (uint8_t)ninep_rd_uint(&r, 1);
	h->tag = (uint16_t)ninep_rd_uint(&r, 2);
	return 1;
}

int ninep_decode(const uint8_t *buf, size_t len, uint32_t msize,
                 enum ninep_dialect dialect, struct ninep_msg *out)
{
	struct ninep_rd r = { buf, len, 0, 0 };

	memset(out, 0, sizeof *out);
	if (len < NINEP_HDR)
		return -EMSGSIZE;
	uint32_t size = (uint32_t)ninep_rd_uint(&r, 4);
	out->type = (uint8_t)ninep_rd_uint(&r, 1);
	out->tag = (uint16_t)ninep_rd_uint(&r, 2);
	if (size != len || len > (msize ? msize : HIVE_MSIZE_MAX))
		return -EMSGSIZE;
	const struct msg_def *def = msg_def(out->type, dialect);
	if (!def)
		return -EPROTO;
	rd_fields(&r, def->f, dialect, out);
	if (r.bad || r.pos != len)
		return -EBADMSG;
	return 0;
}

int ninep_encode(const struct ninep_msg *m, enum ninep_dialect dialect,
                 uint8_t *buf, size_t cap)
{
	struct ninep_wr w = { buf, cap, 0, 0, 0 };
	const struct msg_def *def = msg_def(m->type, dialect);

	if (!def)
		return -EINVAL;
	ninep_wr_uint(&w, 0, 4); /* size, filled in below */
	ninep_wr_uint(&w, m->type, 1);
	ninep_wr_uint(&w, m->tag, 2);
	wr_fields(&w, def->f, dialect, m);
	if (w.inval || w.pos > INT_MAX)
		return -EINVAL;
	if (w.full)
		return -ENOBUFS;
	struct ninep_wr hdr = { buf, 4, 0, 0, 0 };
	ninep_wr_uint(&hdr, w.pos, 4);
	return (int)w.pos;
}

int ninep_msg_eq(const struct ninep_msg *a, const struct ninep_msg *b)
{
	if (a->type != b->type || a->tag != b->tag)
		return 0;
	if (a->type >= NINEP_TYPES || !msg_defs[a->type].f)
		return 1; /* unknown types carry nothing we could compare */
	return fields_same(msg_defs[a->type].f, a, b);
}
