/*
 * ninep.h — the 9P2000 and 9P2000.L codec: bytes <-> typed messages.
 *
 * Pure code: no I/O, no allocation. Decoding checks every length and count
 * against the buffer and the negotiated msize, and strings point into the
 * caller's frame buffer (they are NOT NUL-terminated; use len). Nothing
 * outside this module reads or writes raw 9P frames.
 */
#ifndef HIVE_NINEP_H
#define HIVE_NINEP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/limits.h"

enum ninep_dialect {
	NINEP_DIALECT_NONE = 0, /* before Tversion: only Tversion decodes */
	NINEP_9P2000,           /* plain 9P2000 (Plan 9, v9fs version=9p2000) */
	NINEP_9P2000L,          /* 9P2000.L (v9fs default, diod) */
};

enum ninep_type {
	/* 9P2000.L */
	NINEP_TLERROR = 6, NINEP_RLERROR = 7,
	NINEP_TSTATFS = 8, NINEP_RSTATFS = 9,
	NINEP_TLOPEN = 12, NINEP_RLOPEN = 13,
	NINEP_TLCREATE = 14, NINEP_RLCREATE = 15,
	NINEP_TSYMLINK = 16, NINEP_RSYMLINK = 17,
	NINEP_TMKNOD = 18, NINEP_RMKNOD = 19,
	NINEP_TRENAME = 20, NINEP_RRENAME = 21,
	NINEP_TREADLINK = 22, NINEP_RREADLINK = 23,
	NINEP_TGETATTR = 24, NINEP_RGETATTR = 25,
	NINEP_TSETATTR = 26, NINEP_RSETATTR = 27,
	NINEP_TXATTRWALK = 30, NINEP_RXATTRWALK = 31,
	NINEP_TXATTRCREATE = 32, NINEP_RXATTRCREATE = 33,
	NINEP_TREADDIR = 40, NINEP_RREADDIR = 41,
	NINEP_TFSYNC = 50, NINEP_RFSYNC = 51,
	NINEP_TLOCK = 52, NINEP_RLOCK = 53,
	NINEP_TGETLOCK = 54, NINEP_RGETLOCK = 55,
	NINEP_TLINK = 70, NINEP_RLINK = 71,
	NINEP_TMKDIR = 72, NINEP_RMKDIR = 73,
	NINEP_TRENAMEAT = 74, NINEP_RRENAMEAT = 75,
	NINEP_TUNLINKAT = 76, NINEP_RUNLINKAT = 77,
	/* 9P2000 (shared by .L where the numbers coincide) */
	NINEP_TVERSION = 100, NINEP_RVERSION = 101,
	NINEP_TAUTH = 102, NINEP_RAUTH = 103,
	NINEP_TATTACH = 104, NINEP_RATTACH = 105,
	NINEP_RERROR = 107, /* 9P2000 only; .L answers Rlerror */
	NINEP_TFLUSH = 108, NINEP_RFLUSH = 109,
	NINEP_TWALK = 110, NINEP_RWALK = 111,
	NINEP_TOPEN = 112, NINEP_ROPEN = 113,
	NINEP_TCREATE = 114, NINEP_RCREATE = 115,
	NINEP_TREAD = 116, NINEP_RREAD = 117,
	NINEP_TWRITE = 118, NINEP_RWRITE = 119,
	NINEP_TCLUNK = 120, NINEP_RCLUNK = 121,
	NINEP_TREMOVE = 122, NINEP_RREMOVE = 123,
	NINEP_TSTAT = 124, NINEP_RSTAT = 125,
	NINEP_TWSTAT = 126, NINEP_RWSTAT = 127,
};

#define NINEP_NOTAG ((uint16_t)0xFFFF)
#define NINEP_NOFID ((uint32_t)0xFFFFFFFF)
#define NINEP_NONUNAME ((uint32_t)0xFFFFFFFF)
/* size[4] type[1] tag[2] */
#define NINEP_HDR 7u
/* Rread header: size[4] type[1] tag[2] count[4]; data follows. */
#define NINEP_RREAD_HDR 11u
/* Rreaddir header has the same shape as Rread. */
#define NINEP_RREADDIR_HDR 11u

/* Qid types */
#define NINEP_QTDIR 0x80
#define NINEP_QTAPPEND 0x40
#define NINEP_QTEXCL 0x20
#define NINEP_QTAUTH 0x08
#define NINEP_QTFILE 0x00

/* 9P2000 stat.mode bits */
#define NINEP_DMDIR 0x80000000u
#define NINEP_DMAPPEND 0x40000000u
#define NINEP_DMEXCL 0x20000000u
#define NINEP_DMAUTH 0x08000000u

/* 9P2000 Topen modes */
#define NINEP_OREAD 0
#define NINEP_OWRITE 1
#define NINEP_ORDWR 2
#define NINEP_OEXEC 3
#define NINEP_OTRUNC 0x10
#define NINEP_ORCLOSE 0x40

/* Tgetattr request_mask / Rgetattr valid bits */
#define NINEP_GETATTR_MODE 0x00000001ull
#define NINEP_GETATTR_NLINK 0x00000002ull
#define NINEP_GETATTR_UID 0x00000004ull
#define NINEP_GETATTR_GID 0x00000008ull
#define NINEP_GETATTR_RDEV 0x00000010ull
#define NINEP_GETATTR_ATIME 0x00000020ull
#define NINEP_GETATTR_MTIME 0x00000040ull
#define NINEP_GETATTR_CTIME 0x00000080ull
#define NINEP_GETATTR_INO 0x00000100ull
#define NINEP_GETATTR_SIZE 0x00000200ull
#define NINEP_GETATTR_BLOCKS 0x00000400ull
#define NINEP_GETATTR_BASIC 0x000007ffull
#define NINEP_GETATTR_ALL 0x00003fffull

struct ninep_str {
	uint16_t len;
	const char *s; /* into the frame; not NUL-terminated */
};

struct ninep_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* A 9P2000 stat entry (Rstat, Twstat, directory reads of 9P2000). */
struct ninep_stat {
	uint16_t type;
	uint32_t dev;
	struct ninep_qid qid;
	uint32_t mode;
	uint32_t atime;
	uint32_t mtime;
	uint64_t length;
	struct ninep_str name, uid, gid, muid;
};

/* One 9P2000.L directory entry (Rreaddir data). */
struct ninep_dirent {
	struct ninep_qid qid;
	uint64_t offset; /* cookie to pass as Treaddir offset to continue after this entry */
	uint8_t type;    /* DT_* of dirent.h */
	struct ninep_str name;
};

struct ninep_rgetattr {
	uint64_t valid;
	struct ninep_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
	uint64_t ctime_sec, ctime_nsec, btime_sec, btime_nsec;
	uint64_t gen, data_version;
};

struct ninep_tsetattr {
	uint32_t fid, valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct ninep_rstatfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

struct ninep_lockreq {
	uint32_t fid;
	uint8_t type;
	uint32_t flags; /* Tlock only */
	uint64_t start, length;
	uint32_t proc_id;
	struct ninep_str client_id;
};

/*
 * One decoded message. `type` selects the union member, named after the
 * message in lower case (tversion, rwalk, ...). Members that carry a
 * variable payload (data, stat, dirents) point into the frame buffer.
 */
struct ninep_msg {
	uint8_t type;
	uint16_t tag;
	union {
		struct { uint32_t msize; struct ninep_str version; } tversion, rversion;
		struct { uint32_t afid; struct ninep_str uname, aname; uint32_t n_uname; } tauth;
		struct { struct ninep_qid aqid; } rauth;
		struct { uint32_t fid, afid; struct ninep_str uname, aname; uint32_t n_uname; } tattach;
		struct { struct ninep_qid qid; } rattach;
		struct { struct ninep_str ename; } rerror;
		struct { uint32_t ecode; } rlerror;
		struct { uint16_t oldtag; } tflush;
		struct { uint32_t fid, newfid; uint16_t nwname; struct ninep_str wname[HIVE_WALK_MAX]; } twalk;
		struct { uint16_t nwqid; struct ninep_qid wqid[HIVE_WALK_MAX]; } rwalk;
		struct { uint32_t fid; uint8_t mode; } topen;
		struct { struct ninep_qid qid; uint32_t iounit; } ropen, rcreate, rlopen, rlcreate;
		struct { uint32_t fid; struct ninep_str name; uint32_t perm; uint8_t mode; } tcreate;
		struct { uint32_t fid; uint64_t offset; uint32_t count; } tread, treaddir;
		struct { uint32_t count; const uint8_t *data; } rread, rreaddir;
		struct { uint32_t fid; uint64_t offset; uint32_t count; const uint8_t *data; } twrite;
		struct { uint32_t count; } rwrite;
		struct { uint32_t fid; } tclunk, tremove, tstat, tstatfs, treadlink, tfsync;
		struct { struct ninep_stat stat; } rstat;
		struct { uint32_t fid; struct ninep_stat stat; } twstat;
		struct { uint32_t fid, flags; } tlopen;
		struct { uint32_t fid; struct ninep_str name; uint32_t flags, mode, gid; } tlcreate;
		struct { uint32_t fid; struct ninep_str name, symtgt; uint32_t gid; } tsymlink;
		struct { uint32_t dfid; struct ninep_str name; uint32_t mode, major, minor, gid; } tmknod;
		struct { struct ninep_qid qid; } rsymlink, rmknod, rmkdir;
		struct { uint32_t fid, dfid; struct ninep_str name; } trename;
		struct { struct ninep_str target; } rreadlink;
		struct { uint32_t fid; uint64_t request_mask; } tgetattr;
		struct ninep_rgetattr rgetattr;
		struct ninep_tsetattr tsetattr;
		struct { uint32_t fid, newfid; struct ninep_str name; } txattrwalk;
		struct { uint64_t size; } rxattrwalk;
		struct { uint32_t fid; struct ninep_str name; uint64_t attr_size; uint32_t flags; } txattrcreate;
		struct ninep_rstatfs rstatfs;
		struct ninep_lockreq tlock, tgetlock;
		struct { uint8_t status; } rlock;
		struct { uint8_t type; uint64_t start, length; uint32_t proc_id; struct ninep_str client_id; } rgetlock;
		struct { uint32_t dfid, fid; struct ninep_str name; } tlink;
		struct { uint32_t dfid; struct ninep_str name; uint32_t mode, gid; } tmkdir;
		struct { uint32_t olddirfid; struct ninep_str oldname; uint32_t newdirfid; struct ninep_str newname; } trenameat;
		struct { uint32_t dirfid; struct ninep_str name; uint32_t flags; } tunlinkat;
		/* Rclunk, Rremove, Rwstat, Rflush, Rrename, Rsetattr, Rxattrcreate,
		 * Rfsync, Rlink, Rrenameat, Runlinkat carry nothing. */
	} u;
};

/*
 * Read the size field of a frame whose first 4 bytes are in buf.
 * Returns the size, or 0 if fewer than 4 bytes are available.
 */
uint32_t ninep_frame_size(const uint8_t *buf, size_t len);

/* The fixed header every frame starts with. */
struct ninep_hdr {
	uint32_t size; /* the whole frame, header included */
	uint8_t type;
	uint16_t tag;
};

/*
 * Decode the header of the frame at buf[0..len), where len may be less or
 * more than one frame (a receive buffer). Checks the size field against
 * [NINEP_HDR, msize] (msize 0 = HIVE_MSIZE_MAX) as soon as its 4 bytes are
 * there, so a peer cannot make the caller wait for a frame it will refuse.
 * Returns 1 with *h filled when the header is complete (the frame itself
 * is complete when len >= h->size), 0 when more bytes are needed, or
 * -EMSGSIZE when the size field is out of bounds (the stream cannot be
 * resynchronised). *h is zeroed unless 1 is returned.
 */
int ninep_hdr_decode(const uint8_t *buf, size_t len, uint32_t msize, struct ninep_hdr *h);

/*
 * Decode exactly one frame of `len` bytes (the size field must equal len).
 * Both T- and R-messages decode (the client decodes R, the server T).
 * `msize` bounds the frame (0 = HIVE_MSIZE_MAX, used before Tversion).
 * Returns 0, or:
 *   -EMSGSIZE  size field != len, or len > msize, or len < header
 *   -EBADMSG   a field runs past the end, trailing bytes, a count too big,
 *              more than HIVE_WALK_MAX names/qids
 *   -EPROTO    unknown type, or a type that does not exist in `dialect`
 * On error *out is unspecified but safe to discard; out->tag is set when
 * the header was readable (so the server can answer the tag).
 */
int ninep_decode(const uint8_t *buf, size_t len, uint32_t msize,
                 enum ninep_dialect dialect, struct ninep_msg *out);

/*
 * Encode `m` into buf (capacity cap). Returns the frame length, or
 * -ENOBUFS if it does not fit, -EINVAL for an unknown type or a count
 * over its bound. Data pointers may alias buf at their final position
 * (the encoder uses memmove), so a server can read file contents straight
 * into buf + NINEP_RREAD_HDR and then encode the Rread around them.
 */
int ninep_encode(const struct ninep_msg *m, enum ninep_dialect dialect,
                 uint8_t *buf, size_t cap);

/*
 * Compare two decoded messages field by field (strings and data by content,
 * not by pointer). Returns 1 if equal. Added for the codec's own tests and
 * fuzz target (decode -> encode -> decode must agree) and for client tests.
 */
int ninep_msg_eq(const struct ninep_msg *a, const struct ninep_msg *b);

/*
 * Directory-entry helpers for building Rread (9P2000 stat entries) and
 * Rreaddir (9P2000.L dirents) payloads: append one entry at buf[0..cap).
 * Return the bytes written, or -ENOBUFS if the entry does not fit (the
 * caller stops and sends what it has).
 */
int ninep_put_stat(uint8_t *buf, size_t cap, const struct ninep_stat *st);
int ninep_put_dirent(uint8_t *buf, size_t cap, const struct ninep_dirent *de);
/* Encoded size of a stat entry (including its leading size[2]). */
size_t ninep_stat_size(const struct ninep_stat *st);

/*
 * Iterate the entries of an Rread directory payload (9P2000) or an
 * Rreaddir payload (9P2000.L). *pos starts at 0. Return 1 with the entry
 * filled, 0 at the end, -EBADMSG on a malformed entry.
 */
int ninep_next_stat(const uint8_t *data, size_t len, size_t *pos, struct ninep_stat *st);
int ninep_next_dirent(const uint8_t *data, size_t len, size_t *pos, struct ninep_dirent *de);

/* Make a ninep_str from a NUL-terminated C string (len capped at 65535). */
struct ninep_str ninep_str_c(const char *s);
/* Compare a ninep_str with a C string for equality. */
int ninep_str_eq(struct ninep_str a, const char *s);
/* Name of a message type for logs ("Twalk"), or "T?" / "R?" if unknown. */
const char *ninep_type_name(uint8_t type);

#endif
