/*
 * Unit tests for the 9P codec against hostile and edge-case input: frames
 * built by hand (not by the codec) whose sizes lie, whose strings and counts
 * run past the end, that exceed msize or HIVE_WALK_MAX, whose stat sizes
 * disagree; plus the directory-entry helpers filled until -ENOBUFS and read
 * back. The well-formed round trips of every message are in test_ninep.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "ninep/ninep.h"
#include "test.h"
#include "ninep_bytes.h"

TEST(decoded_fields_point_into_frame)
{
	struct bb g;
	struct ninep_msg m;
	bb_hdr(&g, NINEP_TATTACH, 9);
	bb_le(&g, 1, 4);
	bb_le(&g, NINEP_NOFID, 4);
	bb_str(&g, "bob");
	bb_str(&g, "");
	bb_fin(&g);
	CHECK_EQ_INT(ninep_decode(g.b, g.n, 0, NINEP_9P2000, &m), 0);
	CHECK(ninep_str_eq(m.u.tattach.uname, "bob"));
	CHECK(m.u.tattach.uname.s == (const char *)g.b + 17);
	CHECK(ninep_str_eq(m.u.tattach.aname, ""));
	CHECK_EQ_INT(m.u.tattach.n_uname, NINEP_NONUNAME);
	CHECK_EQ_INT(m.u.tattach.afid, NINEP_NOFID);
	/* the same bytes are short by n_uname[4] in .L */
	CHECK_EQ_INT(ninep_decode(g.b, g.n, 0, NINEP_9P2000L, &m), -EBADMSG);
}

TEST(size_field_lies)
{
	struct bb g;
	struct ninep_msg m;
	bb_hdr(&g, NINEP_TCLUNK, 3);
	bb_le(&g, 1, 4);
	bb_fin(&g);
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000L, &m), 0);
	g.b[0] = (uint8_t)(g.n + 1); /* claims more than we have */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000L, &m), -EMSGSIZE);
	CHECK_EQ_INT(m.type, NINEP_TCLUNK); /* header still reported */
	CHECK_EQ_INT(m.tag, 3);
	g.b[0] = (uint8_t)(g.n - 1); /* claims less */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000L, &m), -EMSGSIZE);
	g.b[0] = 0;
	g.b[3] = 0x80; /* absurd */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000L, &m), -EMSGSIZE);
	/* shorter than a header: nothing readable */
	for (size_t k = 0; k < NINEP_HDR; k++) {
		uint8_t h[NINEP_HDR] = { (uint8_t)k, 0, 0, 0, NINEP_TCLUNK, 1, 0 };
		CHECK_EQ_INT(dec(h, k, 0, NINEP_9P2000L, &m), -EMSGSIZE);
	}
	/* a body-less header of a type that needs a body */
	uint8_t h7[NINEP_HDR] = { 7, 0, 0, 0, NINEP_TCLUNK, 1, 0 };
	CHECK_EQ_INT(dec(h7, 7, 0, NINEP_9P2000L, &m), -EBADMSG);
	CHECK_EQ_INT(ninep_frame_size(h7, 3), 0);
	CHECK_EQ_INT(ninep_frame_size(h7, 4), 7);
}

TEST(frame_over_msize)
{
	static uint8_t big[HIVE_MSIZE_MAX + 1];
	struct ninep_msg m;
	struct bb g;
	/* Rread of exactly msize, then one byte over */
	const size_t totals[] = { 512, HIVE_MSIZE_MAX, HIVE_MSIZE_MAX + 1 };
	for (size_t ti = 0; ti < 3; ti++) {
		size_t total = totals[ti];
		memset(big, 'x', sizeof big);
		g.n = 0;
		bb_le(&g, total, 4);
		bb_le(&g, NINEP_RREAD, 1);
		bb_le(&g, 1, 2);
		bb_le(&g, total - NINEP_RREAD_HDR, 4);
		memcpy(big, g.b, g.n);
		CHECK_EQ_INT(dec(big, total, 512, NINEP_9P2000L, &m), total == 512 ? 0 : -EMSGSIZE);
		CHECK_EQ_INT(dec(big, total, 0, NINEP_9P2000L, &m),
		             total <= HIVE_MSIZE_MAX ? 0 : -EMSGSIZE);
	}
	/* 513 bytes against msize 512 */
	g.n = 0;
	bb_le(&g, 513, 4);
	bb_le(&g, NINEP_RREAD, 1);
	bb_le(&g, 1, 2);
	bb_le(&g, 513 - NINEP_RREAD_HDR, 4);
	memcpy(big, g.b, g.n);
	CHECK_EQ_INT(dec(big, 513, 512, NINEP_9P2000L, &m), -EMSGSIZE);
	CHECK_EQ_INT(dec(big, 513, 513, NINEP_9P2000L, &m), 0);
	CHECK_EQ_INT(dec(big, HIVE_MSIZE_MAX, 0, NINEP_9P2000L, &m), -EMSGSIZE); /* size lies */
}

TEST(string_runs_past_end)
{
	struct bb g;
	struct ninep_msg m;
	bb_hdr(&g, NINEP_RERROR, 1);
	bb_le(&g, 10, 2); /* claims 10, has 3 */
	memcpy(g.b + g.n, "abc", 3);
	g.n += 3;
	bb_fin(&g);
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
	/* a string length of 0xffff in a tiny frame */
	bb_hdr(&g, NINEP_TVERSION, 1);
	bb_le(&g, 8192, 4);
	bb_le(&g, 0xffff, 2);
	bb_fin(&g);
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_DIALECT_NONE, &m), -EBADMSG);
	/* trailing garbage after a complete message */
	bb_hdr(&g, NINEP_RERROR, 1);
	bb_str(&g, "abc");
	bb_le(&g, 0, 1);
	bb_fin(&g);
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
}

TEST(walk_counts)
{
	struct bb g;
	struct ninep_msg m;
	for (unsigned nw = 16; nw <= 17; nw++) {
		bb_hdr(&g, NINEP_TWALK, 1);
		bb_le(&g, 1, 4);
		bb_le(&g, 2, 4);
		bb_le(&g, nw, 2);
		for (unsigned i = 0; i < nw; i++)
			bb_str(&g, "x");
		bb_fin(&g);
		CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000L, &m), nw == 16 ? 0 : -EBADMSG);
		bb_hdr(&g, NINEP_RWALK, 1);
		bb_le(&g, nw, 2);
		for (unsigned i = 0; i < nw; i++)
			bb_qid(&g, 0, i, i);
		bb_fin(&g);
		CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), nw == 16 ? 0 : -EBADMSG);
		if (nw == 16)
			CHECK_EQ_INT(m.u.rwalk.wqid[15].path, 15);
	}
	/* nwname 0 (clone) is valid */
	bb_hdr(&g, NINEP_TWALK, 1);
	bb_le(&g, 1, 4);
	bb_le(&g, 2, 4);
	bb_le(&g, 0, 2);
	bb_fin(&g);
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), 0);
	CHECK_EQ_INT(m.u.twalk.nwname, 0);
	/* the encoder refuses 17 too */
	uint8_t out[FRAME_MAX];
	m = (struct ninep_msg){ .type = NINEP_TWALK, .tag = 1 };
	m.u.twalk.nwname = 17;
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000, out, sizeof out), -EINVAL);
	m = (struct ninep_msg){ .type = NINEP_RWALK, .tag = 1 };
	m.u.rwalk.nwqid = 17;
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000, out, sizeof out), -EINVAL);
}

TEST(data_count_must_match)
{
	struct bb g;
	struct ninep_msg m;
	for (int delta = -1; delta <= 1; delta++) {
		bb_hdr(&g, NINEP_TWRITE, 1);
		bb_le(&g, 1, 4);
		bb_le(&g, 0, 8);
		bb_le(&g, (uint32_t)(5 + delta), 4);
		memcpy(g.b + g.n, "hello", 5);
		g.n += 5;
		bb_fin(&g);
		CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000L, &m), delta ? -EBADMSG : 0);
		bb_hdr(&g, NINEP_RREAD, 1);
		bb_le(&g, (uint32_t)(5 + delta), 4);
		memcpy(g.b + g.n, "hello", 5);
		g.n += 5;
		bb_fin(&g);
		CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), delta ? -EBADMSG : 0);
	}
	/* a huge count must not wrap anything */
	bb_hdr(&g, NINEP_RREADDIR, 1);
	bb_le(&g, 0xffffffffu, 4);
	bb_fin(&g);
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000L, &m), -EBADMSG);
	/* encoder: count with no data */
	uint8_t out[FRAME_MAX];
	m = (struct ninep_msg){ .type = NINEP_RREAD, .tag = 1 };
	m.u.rread.count = 5;
	m.u.rread.data = NULL;
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000, out, sizeof out), -EINVAL);
	m.u.rread.count = 0;
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000, out, sizeof out), (int)NINEP_RREAD_HDR);
}

TEST(rread_data_in_place)
{
	uint8_t buf[256];
	struct ninep_msg m = { .type = NINEP_RREAD, .tag = 4 };
	memcpy(buf + NINEP_RREAD_HDR, "in place", 8);
	m.u.rread.count = 8;
	m.u.rread.data = buf + NINEP_RREAD_HDR;
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000L, buf, sizeof buf), 19);
	CHECK(memcmp(buf + NINEP_RREAD_HDR, "in place", 8) == 0);
	struct ninep_msg x;
	CHECK_EQ_INT(ninep_decode(buf, 19, 0, NINEP_9P2000L, &x), 0);
	CHECK_EQ_INT(x.u.rread.count, 8);
	CHECK(x.u.rread.data == buf + NINEP_RREAD_HDR);
	/* Rreaddir has the same shape */
	m.type = NINEP_RREADDIR;
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000L, buf, sizeof buf), 19);
	CHECK(memcmp(buf + NINEP_RREADDIR_HDR, "in place", 8) == 0);
}

TEST(tfsync_with_and_without_datasync)
{
	struct bb g;
	struct ninep_msg m;
	for (int extra = 0; extra <= 5; extra++) {
		bb_hdr(&g, NINEP_TFSYNC, 1);
		bb_le(&g, 42, 4);
		for (int i = 0; i < extra; i++)
			bb_le(&g, 1, 1);
		bb_fin(&g);
		int rc = dec(g.b, g.n, 0, NINEP_9P2000L, &m);
		CHECK_EQ_INT(rc, extra == 0 || extra == 4 ? 0 : -EBADMSG);
		if (rc == 0)
			CHECK_EQ_INT(m.u.tfsync.fid, 42);
	}
}

static void build_rstat(struct bb *g, int n_delta, int size_delta, int extra)
{
	bb_hdr(g, NINEP_RSTAT, 1);
	bb_le(g, (uint32_t)(49 + 1 + n_delta), 2);
	bb_le(g, (uint32_t)(47 + 1 + size_delta), 2);
	bb_le(g, 0, 2);
	bb_le(g, 0, 4);
	bb_qid(g, 0, 0, 1);
	bb_le(g, 0644, 4);
	bb_le(g, 0, 4);
	bb_le(g, 0, 4);
	bb_le(g, 0, 8);
	bb_str(g, "f");
	bb_str(g, "");
	bb_str(g, "");
	bb_str(g, "");
	for (int i = 0; i < extra; i++)
		bb_le(g, 0, 1);
	bb_fin(g);
}

TEST(rstat_inner_size_consistency)
{
	struct bb g;
	struct ninep_msg m;
	build_rstat(&g, 0, 0, 0);
	CHECK_EQ_INT(ninep_decode(g.b, g.n, 0, NINEP_9P2000, &m), 0); /* strings point into g */
	CHECK(ninep_str_eq(m.u.rstat.stat.name, "f"));
	CHECK_EQ_INT(m.u.rstat.stat.mode, 0644);
	build_rstat(&g, 0, 1, 0); /* inner size too big */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
	build_rstat(&g, 0, -1, 0); /* inner size too small */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
	build_rstat(&g, 1, 0, 1); /* n covers a byte the stat does not */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
	build_rstat(&g, 1, 1, 1); /* both cover a byte the strings do not use */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
	build_rstat(&g, 0, 0, 1); /* trailing byte after the stat */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
	build_rstat(&g, -1, 0, 0); /* n too small */
	CHECK_EQ_INT(dec(g.b, g.n, 0, NINEP_9P2000, &m), -EBADMSG);
	/* Twstat carries the same n[2] + stat after its fid */
	m = (struct ninep_msg){ .type = NINEP_TWSTAT, .tag = 1 };
	m.u.twstat.fid = 35;
	ninep_fx_stat(&m.u.twstat.stat);
	uint8_t out[FRAME_MAX];
	int n = ninep_encode(&m, NINEP_9P2000, out, sizeof out);
	CHECK(n > 0);
	out[11] ^= 1; /* corrupt n */
	struct ninep_msg x;
	CHECK_EQ_INT(dec(out, (size_t)n, 0, NINEP_9P2000, &x), -EBADMSG);
}

TEST(put_stat_fill_and_iterate)
{
	uint8_t buf[300];
	size_t used = 0;
	int count = 0, rc = 0;
	char names[32][16];
	struct ninep_stat st;
	ninep_fx_stat(&st);
	while (count < 32) {
		snprintf(names[count], sizeof names[count], "f%d", count);
		st.name = ninep_str_c(names[count]);
		st.qid.path = (uint64_t)count;
		CHECK_EQ_INT(ninep_stat_size(&st), 49 + strlen(names[count]) + 4 + 7);
		rc = ninep_put_stat(buf + used, sizeof buf - used, &st);
		if (rc < 0)
			break;
		CHECK_EQ_INT(rc, ninep_stat_size(&st));
		used += (size_t)rc;
		count++;
	}
	CHECK_EQ_INT(rc, -ENOBUFS);
	CHECK(count == 300 / 62); /* 62-byte entries */
	size_t pos = 0;
	int seen = 0;
	struct ninep_stat got;
	while ((rc = ninep_next_stat(buf, used, &pos, &got)) == 1) {
		CHECK(ninep_str_eq(got.name, names[seen]));
		CHECK_EQ_INT(got.qid.path, seen);
		CHECK(ninep_str_eq(got.uid, "hive"));
		CHECK_EQ_INT(got.length, 0x1122334455667788ull);
		seen++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(seen, count);
	CHECK_EQ_INT(pos, used);
	/* a cut entry at the end is malformed, not the end */
	pos = 0;
	while ((rc = ninep_next_stat(buf, used - 1, &pos, &got)) == 1)
		;
	CHECK_EQ_INT(rc, -EBADMSG);
	pos = used + 1;
	CHECK_EQ_INT(ninep_next_stat(buf, used, &pos, &got), -EBADMSG);
	/* every cap below an entry is refused, with a guard byte intact */
	for (size_t cap = 0; cap < ninep_stat_size(&st); cap++) {
		uint8_t *b = malloc(cap + 1);
		b[cap] = 0x5A;
		CHECK_EQ_INT(ninep_put_stat(b, cap, &st), -ENOBUFS);
		CHECK_EQ_INT(b[cap], 0x5A);
		free(b);
	}
}

TEST(put_dirent_fill_and_iterate)
{
	uint8_t buf[200];
	size_t used = 0;
	int count = 0, rc = 0;
	char names[16][16];
	struct ninep_dirent de = { .qid = q1, .type = 4 };
	while (count < 16) {
		snprintf(names[count], sizeof names[count], "d%02d", count);
		de.name = ninep_str_c(names[count]);
		de.offset = (uint64_t)count + 1;
		rc = ninep_put_dirent(buf + used, sizeof buf - used, &de);
		if (rc < 0)
			break;
		CHECK_EQ_INT(rc, 24 + 3);
		used += (size_t)rc;
		count++;
	}
	CHECK_EQ_INT(rc, -ENOBUFS);
	CHECK_EQ_INT(count, 200 / 27);
	size_t pos = 0;
	int seen = 0;
	struct ninep_dirent got;
	while ((rc = ninep_next_dirent(buf, used, &pos, &got)) == 1) {
		CHECK(ninep_str_eq(got.name, names[seen]));
		CHECK_EQ_INT(got.offset, seen + 1);
		CHECK_EQ_INT(got.type, 4);
		CHECK_EQ_INT(got.qid.path, q1.path);
		seen++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(seen, count);
	for (size_t cut = 1; cut < 27; cut++) {
		pos = 0;
		uint8_t *b = malloc(used - cut);
		memcpy(b, buf, used - cut);
		while ((rc = ninep_next_dirent(b, used - cut, &pos, &got)) == 1)
			;
		CHECK_EQ_INT(rc, -EBADMSG);
		free(b);
	}
	for (size_t cap = 0; cap < 27; cap++) {
		uint8_t *b = malloc(cap + 1);
		b[cap] = 0x5A;
		CHECK_EQ_INT(ninep_put_dirent(b, cap, &de), -ENOBUFS);
		CHECK_EQ_INT(b[cap], 0x5A);
		free(b);
	}
}

TEST(encode_refuses_bad_messages)
{
	struct ninep_msg m;
	uint8_t out[FRAME_MAX];
	m = (struct ninep_msg){ .type = NINEP_RERROR, .tag = 1 };
	m.u.rerror.ename.len = 3;
	m.u.rerror.ename.s = NULL; /* len > 0 without bytes */
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000, out, sizeof out), -EINVAL);
	m.u.rerror.ename.len = 0; /* an empty NULL string is fine */
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000, out, sizeof out), 9);
	/* a stat whose strings add up past 65535 bytes cannot be framed */
	static char huge[40000];
	memset(huge, 'a', sizeof huge - 1);
	m = (struct ninep_msg){ .type = NINEP_RSTAT, .tag = 1 };
	ninep_fx_stat(&m.u.rstat.stat);
	m.u.rstat.stat.name = ninep_str_c(huge);
	m.u.rstat.stat.uid = ninep_str_c(huge);
	CHECK_EQ_INT(ninep_encode(&m, NINEP_9P2000, out, sizeof out), -EINVAL);
	CHECK_EQ_INT(ninep_put_stat(out, sizeof out, &m.u.rstat.stat), -EINVAL);
}

TEST(string_helpers)
{
	struct ninep_str s = ninep_str_c("abc");
	CHECK_EQ_INT(s.len, 3);
	CHECK(ninep_str_eq(s, "abc"));
	CHECK(!ninep_str_eq(s, "ab"));
	CHECK(!ninep_str_eq(s, "abcd"));
	CHECK(!ninep_str_eq(s, NULL));
	s = ninep_str_c(NULL);
	CHECK_EQ_INT(s.len, 0);
	CHECK(ninep_str_eq(s, ""));
	static char longs[70000];
	memset(longs, 'z', sizeof longs - 1);
	CHECK_EQ_INT(ninep_str_c(longs).len, 65535);
}

/* The header decoder a server reads its receive buffer with: size checked
 * as soon as its 4 bytes are there, the rest only once complete. */
TEST(header_decode_bounds)
{
	struct ninep_hdr h;
	uint8_t b[NINEP_HDR + 2] = { 9, 0, 0, 0, NINEP_TREAD, 0x34, 0x12, 0, 0 };
	for (size_t k = 0; k < 4; k++)
		CHECK_EQ_INT(ninep_hdr_decode(b, k, 0, &h), 0);
	for (size_t k = 4; k < NINEP_HDR; k++) {
		CHECK_EQ_INT(ninep_hdr_decode(b, k, 0, &h), 0);
		CHECK_EQ_INT(h.size, 0); /* nothing reported until complete */
	}
	for (size_t k = NINEP_HDR; k <= sizeof b; k++) {
		CHECK_EQ_INT(ninep_hdr_decode(b, k, 0, &h), 1);
		CHECK_EQ_INT(h.size, 9);
		CHECK_EQ_INT(h.type, NINEP_TREAD);
		CHECK_EQ_INT(h.tag, 0x1234);
	}
	/* below a header, refused from the size field alone */
	for (uint8_t sz = 0; sz < NINEP_HDR; sz++) {
		b[0] = sz;
		CHECK_EQ_INT(ninep_hdr_decode(b, 4, 0, &h), -EMSGSIZE);
		CHECK_EQ_INT(ninep_hdr_decode(b, sizeof b, 0, &h), -EMSGSIZE);
	}
	/* msize bounds it: exactly msize passes, one over does not */
	b[0] = 0x00;
	b[1] = 0x02; /* 512 */
	CHECK_EQ_INT(ninep_hdr_decode(b, 4, 512, &h), 0);
	CHECK_EQ_INT(ninep_hdr_decode(b, sizeof b, 512, &h), 1);
	CHECK_EQ_INT(h.size, 512);
	b[0] = 0x01;
	CHECK_EQ_INT(ninep_hdr_decode(b, 4, 512, &h), -EMSGSIZE);
	/* msize 0 means HIVE_MSIZE_MAX (before Tversion) */
	uint32_t max = HIVE_MSIZE_MAX;
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(max >> (8 * i));
	CHECK_EQ_INT(ninep_hdr_decode(b, sizeof b, 0, &h), 1);
	b[0] = (uint8_t)(max + 1);
	CHECK_EQ_INT(ninep_hdr_decode(b, sizeof b, 0, &h), -EMSGSIZE);
	b[0] = b[1] = b[2] = b[3] = 0xff; /* absurd */
	CHECK_EQ_INT(ninep_hdr_decode(b, sizeof b, 0, &h), -EMSGSIZE);
	CHECK_EQ_INT(h.size, 0);
}

int main(void)
{
	RUN(decoded_fields_point_into_frame);
	RUN(size_field_lies);
	RUN(frame_over_msize);
	RUN(string_runs_past_end);
	RUN(walk_counts);
	RUN(data_count_must_match);
	RUN(rread_data_in_place);
	RUN(tfsync_with_and_without_datasync);
	RUN(rstat_inner_size_consistency);
	RUN(put_stat_fill_and_iterate);
	RUN(put_dirent_fill_and_iterate);
	RUN(encode_refuses_bad_messages);
	RUN(string_helpers);
	RUN(header_decode_bounds);
	return test_done();
}
