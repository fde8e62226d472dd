/*
 * Unit tests for the 9P codec, one filled-in message of every type: each
 * round-trips in every dialect it exists in, golden bytes pin the wire layout
 * independently of the codec's own table, every truncation of every message
 * is refused, every too-small encode buffer gives -ENOBUFS without writing
 * past its end, and the dialect rules hold for decode and encode alike.
 * Buffers handed to the codec are heap copies of exactly the right size so
 * the ASan build catches any access outside them. Hand-built hostile frames
 * are in test_ninep_hostile.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "ninep/ninep.h"
#include "test.h"
#include "ninep_bytes.h"

/* ---- one filled-in message of every type ------------------------------ */

static const uint8_t payload[100] = "payload bytes, not NUL-terminated, of fixed length 100 ..............";

static const uint8_t all_types[] = {
	NINEP_RLERROR, NINEP_TSTATFS, NINEP_RSTATFS, NINEP_TLOPEN, NINEP_RLOPEN,
	NINEP_TLCREATE, NINEP_RLCREATE, NINEP_TSYMLINK, NINEP_RSYMLINK, NINEP_TMKNOD,
	NINEP_RMKNOD, NINEP_TRENAME, NINEP_RRENAME, NINEP_TREADLINK, NINEP_RREADLINK,
	NINEP_TGETATTR, NINEP_RGETATTR, NINEP_TSETATTR, NINEP_RSETATTR, NINEP_TXATTRWALK,
	NINEP_RXATTRWALK, NINEP_TXATTRCREATE, NINEP_RXATTRCREATE, NINEP_TREADDIR,
	NINEP_RREADDIR, NINEP_TFSYNC, NINEP_RFSYNC, NINEP_TLOCK, NINEP_RLOCK,
	NINEP_TGETLOCK, NINEP_RGETLOCK, NINEP_TLINK, NINEP_RLINK, NINEP_TMKDIR,
	NINEP_RMKDIR, NINEP_TRENAMEAT, NINEP_RRENAMEAT, NINEP_TUNLINKAT, NINEP_RUNLINKAT,
	NINEP_TVERSION, NINEP_RVERSION, NINEP_TAUTH, NINEP_RAUTH, NINEP_TATTACH,
	NINEP_RATTACH, NINEP_RERROR, NINEP_TFLUSH, NINEP_RFLUSH, NINEP_TWALK, NINEP_RWALK,
	NINEP_TOPEN, NINEP_ROPEN, NINEP_TCREATE, NINEP_RCREATE, NINEP_TREAD, NINEP_RREAD,
	NINEP_TWRITE, NINEP_RWRITE, NINEP_TCLUNK, NINEP_RCLUNK, NINEP_TREMOVE,
	NINEP_RREMOVE, NINEP_TSTAT, NINEP_RSTAT, NINEP_TWSTAT, NINEP_RWSTAT,
};
#define N_TYPES (sizeof all_types / sizeof all_types[0])

/* The dialect rules as documented in docs/wire.md, restated here. */
static int exists_in(uint8_t type, enum ninep_dialect d)
{
	if (d == NINEP_DIALECT_NONE)
		return type == NINEP_TVERSION || type == NINEP_RVERSION ||
		       type == NINEP_RERROR || type == NINEP_RLERROR;
	if (d == NINEP_9P2000)
		return type >= 100;
	return 1;
}

static void fill_stat(struct ninep_stat *st)
{
	ninep_fx_stat(st);
	st->atime = 1700000000;
	st->mtime = 1700000001;
}

static void fill(struct ninep_msg *m, uint8_t type, enum ninep_dialect d)
{
	memset(m, 0, sizeof *m);
	m->type = type;
	m->tag = type == NINEP_TVERSION ? NINEP_NOTAG : (uint16_t)(0x100 + type);
	uint32_t nun = d == NINEP_9P2000L ? 1000 : NINEP_NONUNAME;
	switch (type) {
	case NINEP_RLERROR: m->u.rlerror.ecode = ENOENT; break;
	case NINEP_TSTATFS: m->u.tstatfs.fid = 3; break;
	case NINEP_RSTATFS:
		m->u.rstatfs = (struct ninep_rstatfs){ 0x01021997, 4096, 1, 2, 3, 4, 5, 6, 255 };
		break;
	case NINEP_TLOPEN: m->u.tlopen.fid = 4; m->u.tlopen.flags = 02; break;
	case NINEP_RLOPEN: case NINEP_RLCREATE: case NINEP_ROPEN: case NINEP_RCREATE:
		m->u.ropen.qid = q1;
		m->u.ropen.iounit = 8168;
		break;
	case NINEP_TLCREATE:
		m->u.tlcreate.fid = 5;
		m->u.tlcreate.name = ninep_str_c("new.txt");
		m->u.tlcreate.flags = 0101;
		m->u.tlcreate.mode = 0644;
		m->u.tlcreate.gid = 100;
		break;
	case NINEP_TSYMLINK:
		m->u.tsymlink.fid = 6;
		m->u.tsymlink.name = ninep_str_c("ln");
		m->u.tsymlink.symtgt = ninep_str_c("/proc/status");
		m->u.tsymlink.gid = 7;
		break;
	case NINEP_RSYMLINK: case NINEP_RMKNOD: case NINEP_RMKDIR:
		m->u.rsymlink.qid = q1;
		break;
	case NINEP_TMKNOD:
		m->u.tmknod.dfid = 8;
		m->u.tmknod.name = ninep_str_c("fifo");
		m->u.tmknod.mode = 010644;
		m->u.tmknod.major = 1;
		m->u.tmknod.minor = 2;
		m->u.tmknod.gid = 3;
		break;
	case NINEP_TRENAME:
		m->u.trename.fid = 9;
		m->u.trename.dfid = 10;
		m->u.trename.name = ninep_str_c("renamed");
		break;
	case NINEP_TREADLINK: m->u.treadlink.fid = 11; break;
	case NINEP_RREADLINK: m->u.rreadlink.target = ninep_str_c("../target"); break;
	case NINEP_TGETATTR:
		m->u.tgetattr.fid = 12;
		m->u.tgetattr.request_mask = NINEP_GETATTR_ALL;
		break;
	case NINEP_RGETATTR:
		m->u.rgetattr = (struct ninep_rgetattr){
			NINEP_GETATTR_BASIC, q1, 0100644, 1000, 1001, 1, 0, 12345, 4096, 25,
			11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
		};
		break;
	case NINEP_TSETATTR:
		m->u.tsetattr = (struct ninep_tsetattr){ 13, 0x7f, 0600, 1, 2, 99, 3, 4, 5, 6 };
		break;
	case NINEP_TXATTRWALK:
		m->u.txattrwalk.fid = 14;
		m->u.txattrwalk.newfid = 15;
		m->u.txattrwalk.name = ninep_str_c("user.x");
		break;
	case NINEP_RXATTRWALK: m->u.rxattrwalk.size = 77; break;
	case NINEP_TXATTRCREATE:
		m->u.txattrcreate.fid = 16;
		m->u.txattrcreate.name = ninep_str_c("user.y");
		m->u.txattrcreate.attr_size = 5;
		m->u.txattrcreate.flags = 1;
		break;
	case NINEP_TREADDIR: case NINEP_TREAD:
		m->u.tread.fid = 17;
		m->u.tread.offset = 0x8000000000000001ull;
		m->u.tread.count = 8192;
		break;
	case NINEP_RREADDIR: case NINEP_RREAD:
		m->u.rread.count = sizeof payload;
		m->u.rread.data = payload;
		break;
	case NINEP_TFSYNC: m->u.tfsync.fid = 18; break;
	case NINEP_TLOCK: case NINEP_TGETLOCK:
		m->u.tlock.fid = 19;
		m->u.tlock.type = 1;
		m->u.tlock.flags = type == NINEP_TLOCK ? 2 : 0;
		m->u.tlock.start = 100;
		m->u.tlock.length = 200;
		m->u.tlock.proc_id = 4242;
		m->u.tlock.client_id = ninep_str_c("host-a");
		break;
	case NINEP_RLOCK: m->u.rlock.status = 1; break;
	case NINEP_RGETLOCK:
		m->u.rgetlock.type = 2;
		m->u.rgetlock.start = 1;
		m->u.rgetlock.length = 2;
		m->u.rgetlock.proc_id = 3;
		m->u.rgetlock.client_id = ninep_str_c("host-b");
		break;
	case NINEP_TLINK:
		m->u.tlink.dfid = 20;
		m->u.tlink.fid = 21;
		m->u.tlink.name = ninep_str_c("hard");
		break;
	case NINEP_TMKDIR:
		m->u.tmkdir.dfid = 22;
		m->u.tmkdir.name = ninep_str_c("dir");
		m->u.tmkdir.mode = 0755;
		m->u.tmkdir.gid = 23;
		break;
	case NINEP_TRENAMEAT:
		m->u.trenameat.olddirfid = 24;
		m->u.trenameat.oldname = ninep_str_c("a");
		m->u.trenameat.newdirfid = 25;
		m->u.trenameat.newname = ninep_str_c("b");
		break;
	case NINEP_TUNLINKAT:
		m->u.tunlinkat.dirfid = 26;
		m->u.tunlinkat.name = ninep_str_c("gone");
		m->u.tunlinkat.flags = 0x200;
		break;
	case NINEP_TVERSION: case NINEP_RVERSION:
		m->u.tversion.msize = 8192;
		m->u.tversion.version = ninep_str_c(d == NINEP_9P2000 ? "9P2000" : "9P2000.L");
		break;
	case NINEP_TAUTH:
		m->u.tauth.afid = 27;
		m->u.tauth.uname = ninep_str_c("alice");
		m->u.tauth.aname = ninep_str_c("");
		m->u.tauth.n_uname = nun;
		break;
	case NINEP_RAUTH: m->u.rauth.aqid = q1; m->u.rauth.aqid.type = NINEP_QTAUTH; break;
	case NINEP_TATTACH:
		m->u.tattach.fid = 28;
		m->u.tattach.afid = NINEP_NOFID;
		m->u.tattach.uname = ninep_str_c("alice");
		m->u.tattach.aname = ninep_str_c("/");
		m->u.tattach.n_uname = nun;
		break;
	case NINEP_RATTACH: m->u.rattach.qid = q1; break;
	case NINEP_RERROR: m->u.rerror.ename = ninep_str_c("file does not exist"); break;
	case NINEP_TFLUSH: m->u.tflush.oldtag = 5; break;
	case NINEP_TWALK: {
		static const char *names[] = { "agent", "a-17", "ctl" };
		m->u.twalk.fid = 29;
		m->u.twalk.newfid = 30;
		m->u.twalk.nwname = 3;
		for (int i = 0; i < 3; i++)
			m->u.twalk.wname[i] = ninep_str_c(names[i]);
		break;
	}
	case NINEP_RWALK:
		m->u.rwalk.nwqid = 2;
		m->u.rwalk.wqid[0] = q1;
		m->u.rwalk.wqid[1] = (struct ninep_qid){ 0, 1, 2 };
		break;
	case NINEP_TOPEN: m->u.topen.fid = 31; m->u.topen.mode = NINEP_ORDWR | NINEP_OTRUNC; break;
	case NINEP_TCREATE:
		m->u.tcreate.fid = 32;
		m->u.tcreate.name = ninep_str_c("made");
		m->u.tcreate.perm = NINEP_DMDIR | 0700;
		m->u.tcreate.mode = NINEP_OREAD;
		break;
	case NINEP_TWRITE:
		m->u.twrite.fid = 33;
		m->u.twrite.offset = 42;
		m->u.twrite.count = sizeof payload;
		m->u.twrite.data = payload;
		break;
	case NINEP_RWRITE: m->u.rwrite.count = 100; break;
	case NINEP_TCLUNK: case NINEP_TREMOVE: case NINEP_TSTAT: m->u.tclunk.fid = 34; break;
	case NINEP_RSTAT: fill_stat(&m->u.rstat.stat); break;
	case NINEP_TWSTAT: m->u.twstat.fid = 35; fill_stat(&m->u.twstat.stat); break;
	default: break; /* the R-messages with an empty body */
	}
}

/* Encode into an exactly-sized heap buffer; returns a malloc'd frame. */
static uint8_t *enc(const struct ninep_msg *m, enum ninep_dialect d, int *n)
{
	uint8_t tmp[FRAME_MAX];
	*n = ninep_encode(m, d, tmp, sizeof tmp);
	if (*n <= 0)
		return NULL;
	uint8_t *b = malloc((size_t)*n);
	memcpy(b, tmp, (size_t)*n);
	return b;
}

static const enum ninep_dialect dialects[] = { NINEP_9P2000, NINEP_9P2000L };

TEST(roundtrip_every_type_both_dialects)
{
	int done = 0;
	for (size_t di = 0; di < 2; di++) {
		enum ninep_dialect d = dialects[di];
		for (size_t i = 0; i < N_TYPES; i++) {
			uint8_t t = all_types[i];
			if (!exists_in(t, d))
				continue;
			struct ninep_msg m, x;
			int n1, n2;
			fill(&m, t, d);
			uint8_t *b1 = enc(&m, d, &n1);
			CHECK(b1 != NULL);
			if (!b1) {
				printf("#   encode %s in dialect %d: %d\n", ninep_type_name(t), d, n1);
				continue;
			}
			int rc = ninep_decode(b1, (size_t)n1, 0, d, &x);
			CHECK_EQ_INT(rc, 0);
			CHECK_EQ_INT(x.type, t);
			CHECK_EQ_INT(x.tag, m.tag);
			CHECK(ninep_msg_eq(&m, &x));
			uint8_t *b2 = enc(&x, d, &n2);
			CHECK_EQ_INT(n2, n1);
			CHECK(b2 && memcmp(b1, b2, (size_t)n1) == 0);
			if (rc != 0 || !ninep_msg_eq(&m, &x))
				printf("#   failing type %s dialect %d\n", ninep_type_name(t), d);
			free(b1);
			free(b2);
			done++;
		}
	}
	/* 66 types in .L (Tlerror is not a message), 27 base types in 9P2000. */
	CHECK_EQ_INT(done, 66 + 27);
}

/* Golden frames built by hand pin the layout independently of the codec. */
static void check_golden(const struct bb *g, uint8_t type, enum ninep_dialect d)
{
	struct ninep_msg m;
	int n;
	fill(&m, type, d);
	uint8_t *b = enc(&m, d, &n);
	CHECK_EQ_INT(n, g->n);
	CHECK(b && (size_t)n == g->n && memcmp(b, g->b, g->n) == 0);
	free(b);
}

TEST(golden_bytes)
{
	struct bb g;

	bb_hdr(&g, NINEP_TVERSION, 0xffff);
	bb_le(&g, 8192, 4);
	bb_str(&g, "9P2000.L");
	bb_fin(&g);
	CHECK_EQ_INT(g.n, 21);
	CHECK(memcmp(g.b, "\x15\0\0\0\x64\xff\xff\x00\x20\0\0\x08\0" "9P2000.L", 21) == 0);
	check_golden(&g, NINEP_TVERSION, NINEP_9P2000L);

	/* Tattach: n_uname only in .L */
	for (int l = 0; l < 2; l++) {
		bb_hdr(&g, NINEP_TATTACH, 0x100 + NINEP_TATTACH);
		bb_le(&g, 28, 4);
		bb_le(&g, NINEP_NOFID, 4);
		bb_str(&g, "alice");
		bb_str(&g, "/");
		if (l)
			bb_le(&g, 1000, 4);
		bb_fin(&g);
		check_golden(&g, NINEP_TATTACH, l ? NINEP_9P2000L : NINEP_9P2000);
	}

	bb_hdr(&g, NINEP_TWALK, 0x100 + NINEP_TWALK);
	bb_le(&g, 29, 4);
	bb_le(&g, 30, 4);
	bb_le(&g, 3, 2);
	bb_str(&g, "agent");
	bb_str(&g, "a-17");
	bb_str(&g, "ctl");
	bb_fin(&g);
	check_golden(&g, NINEP_TWALK, NINEP_9P2000);

	/* Rstat: n[2] = whole stat incl. its size[2]; inner size = n - 2 */
	bb_hdr(&g, NINEP_RSTAT, 0x100 + NINEP_RSTAT);
	size_t strs = strlen("queen") + strlen("hive") + strlen("hivegrp");
	bb_le(&g, 49 + strs, 2);
	bb_le(&g, 47 + strs, 2);
	bb_le(&g, 0x1234, 2);
	bb_le(&g, 0xdeadbeef, 4);
	bb_qid(&g, q1.type, q1.version, q1.path);
	bb_le(&g, NINEP_DMDIR | 0755, 4);
	bb_le(&g, 1700000000, 4);
	bb_le(&g, 1700000001, 4);
	bb_le(&g, 0x1122334455667788ull, 8);
	bb_str(&g, "queen");
	bb_str(&g, "hive");
	bb_str(&g, "hivegrp");
	bb_str(&g, "");
	bb_fin(&g);
	check_golden(&g, NINEP_RSTAT, NINEP_9P2000);

	bb_hdr(&g, NINEP_RREAD, 0x100 + NINEP_RREAD);
	bb_le(&g, sizeof payload, 4);
	memcpy(g.b + g.n, payload, sizeof payload);
	g.n += sizeof payload;
	bb_fin(&g);
	check_golden(&g, NINEP_RREAD, NINEP_9P2000L);

	bb_hdr(&g, NINEP_RLOPEN, 0x100 + NINEP_RLOPEN);
	bb_qid(&g, q1.type, q1.version, q1.path);
	bb_le(&g, 8168, 4);
	bb_fin(&g);
	check_golden(&g, NINEP_RLOPEN, NINEP_9P2000L);

	bb_hdr(&g, NINEP_RCLUNK, 0x100 + NINEP_RCLUNK);
	bb_fin(&g);
	check_golden(&g, NINEP_RCLUNK, NINEP_9P2000L);
}

TEST(truncated_at_every_byte)
{
	for (size_t di = 0; di < 2; di++) {
		enum ninep_dialect d = dialects[di];
		for (size_t i = 0; i < N_TYPES; i++) {
			if (!exists_in(all_types[i], d))
				continue;
			struct ninep_msg m, x;
			int n;
			fill(&m, all_types[i], d);
			uint8_t *b = enc(&m, d, &n);
			if (!b)
				continue;
			for (size_t k = 0; k < (size_t)n; k++) {
				/* as-is: the size field no longer matches */
				int rc = dec(b, k, 0, d, &x);
				CHECK(rc == -EMSGSIZE);
				/* with the size field patched to k, the body runs out */
				if (k >= NINEP_HDR) {
					uint8_t c[FRAME_MAX];
					memcpy(c, b, k);
					for (unsigned j = 0; j < 4; j++)
						c[j] = (uint8_t)(k >> (8 * j));
					rc = dec(c, k, 0, d, &x);
					CHECK_EQ_INT(rc, -EBADMSG);
					CHECK_EQ_INT(x.type, all_types[i]);
					CHECK_EQ_INT(x.tag, m.tag);
				}
			}
			free(b);
		}
	}
}

TEST(encode_every_cap_too_small)
{
	for (size_t di = 0; di < 2; di++) {
		enum ninep_dialect d = dialects[di];
		for (size_t i = 0; i < N_TYPES; i++) {
			if (!exists_in(all_types[i], d))
				continue;
			struct ninep_msg m;
			uint8_t full[FRAME_MAX];
			fill(&m, all_types[i], d);
			int n = ninep_encode(&m, d, full, sizeof full);
			CHECK(n > 0);
			for (int cap = 0; cap <= n; cap++) {
				uint8_t *b = malloc((size_t)cap + 1);
				b[cap] = 0xA5; /* guard byte */
				int rc = ninep_encode(&m, d, b, (size_t)cap);
				CHECK_EQ_INT(rc, cap == n ? n : -ENOBUFS);
				CHECK_EQ_INT(b[cap], 0xA5);
				free(b);
			}
		}
	}
}

TEST(unknown_and_wrong_dialect)
{
	struct bb g;
	struct ninep_msg m;
	uint8_t out[FRAME_MAX];
	/* unknown types: 0, 106 (Terror does not exist), 128, 255, and Tlerror */
	const uint8_t unknown[] = { 0, 1, 5, NINEP_TLERROR, 99, 106, 128, 200, 255 };
	for (size_t i = 0; i < sizeof unknown; i++) {
		bb_hdr(&g, unknown[i], 77);
		bb_fin(&g);
		for (size_t di = 0; di < 2; di++)
			CHECK_EQ_INT(dec(g.b, g.n, 0, dialects[di], &m), -EPROTO);
		CHECK_EQ_INT(m.tag, 77);
		m.type = unknown[i];
		CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000L, out, sizeof out), -EINVAL);
	}
	/* every type against every dialect: decode and encode agree on the rules */
	const enum ninep_dialect all[] = { NINEP_DIALECT_NONE, NINEP_9P2000, NINEP_9P2000L };
	for (size_t di = 0; di < 3; di++) {
		for (size_t i = 0; i < N_TYPES; i++) {
			uint8_t t = all_types[i];
			int n;
			fill(&m, t, NINEP_9P2000L);
			n = ninep_encode(&m, NINEP_9P2000L, out, sizeof out);
			CHECK(n > 0);
			struct ninep_msg x;
			int rc = dec(out, (size_t)n, 0, all[di], &x);
			int want = exists_in(t, all[di]);
			/* a .L Tattach/Tauth decodes as plain 9P2000 minus 4 bytes: EBADMSG */
			if (all[di] == NINEP_9P2000 && (t == NINEP_TATTACH || t == NINEP_TAUTH))
				CHECK_EQ_INT(rc, -EBADMSG);
			else
				CHECK_EQ_INT(rc, want ? 0 : -EPROTO);
			CHECK_EQ_INT(x.tag, m.tag);
			rc = ninep_encode(&m, all[di], out, sizeof out);
			CHECK(want ? rc > 0 : rc == -EINVAL);
		}
	}
	CHECK_EQ_INT(ninep_encode(&m, (enum ninep_dialect)9, out, sizeof out), -EINVAL);
}

TEST(msg_eq_notices_differences)
{
	struct ninep_msg a, b;
	fill(&a, NINEP_TWALK, NINEP_9P2000L);
	fill(&b, NINEP_TWALK, NINEP_9P2000L);
	CHECK(ninep_msg_eq(&a, &b));
	b.u.twalk.wname[2] = ninep_str_c("ctx");
	CHECK(!ninep_msg_eq(&a, &b));
	fill(&b, NINEP_TWALK, NINEP_9P2000L);
	b.tag++;
	CHECK(!ninep_msg_eq(&a, &b));
	fill(&a, NINEP_RSTAT, NINEP_9P2000);
	fill(&b, NINEP_RSTAT, NINEP_9P2000);
	b.u.rstat.stat.muid = ninep_str_c("x");
	CHECK(!ninep_msg_eq(&a, &b));
	fill(&a, NINEP_TWRITE, NINEP_9P2000);
	fill(&b, NINEP_TWRITE, NINEP_9P2000);
	uint8_t other[sizeof payload];
	memcpy(other, payload, sizeof other);
	b.u.twrite.data = other;
	CHECK(ninep_msg_eq(&a, &b)); /* same content, different pointer */
	other[99] ^= 1;
	CHECK(!ninep_msg_eq(&a, &b));
	fill(&a, NINEP_RGETATTR, NINEP_9P2000L);
	fill(&b, NINEP_RGETATTR, NINEP_9P2000L);
	b.u.rgetattr.data_version++;
	CHECK(!ninep_msg_eq(&a, &b));
	fill(&a, NINEP_TATTACH, NINEP_9P2000L);
	fill(&b, NINEP_TATTACH, NINEP_9P2000L);
	b.u.tattach.n_uname = 0;
	CHECK(!ninep_msg_eq(&a, &b));
}

TEST(type_names)
{
	CHECK_EQ_STR(ninep_type_name(NINEP_TWALK), "Twalk");
	CHECK_EQ_STR(ninep_type_name(NINEP_RLERROR), "Rlerror");
	CHECK_EQ_STR(ninep_type_name(NINEP_TXATTRCREATE), "Txattrcreate");
	CHECK_EQ_STR(ninep_type_name(106), "T?");
	CHECK_EQ_STR(ninep_type_name(255), "R?");
	for (size_t i = 0; i < N_TYPES; i++) {
		const char *n = ninep_type_name(all_types[i]);
		CHECK(n[0] == (all_types[i] & 1 ? 'R' : 'T') && n[1] != '?');
	}
}

int main(void)
{
	RUN(roundtrip_every_type_both_dialects);
	RUN(golden_bytes);
	RUN(truncated_at_every_byte);
	RUN(encode_every_cap_too_small);
	RUN(unknown_and_wrong_dialect);
	RUN(msg_eq_notices_differences);
	RUN(type_names);
	return test_done();
}
