/*
 * test_auditverify.c — the mutation suite: a small log built with the
 * library (audit_fixture.h), then every byte flipped, records deleted,
 * swapped, duplicated and forged, cuts before and after the last
 * checkpoint, a cut re-extended, checkpoints stripped, an old epoch
 * re-sealed with the current key, segments deleted, reordered and rolled
 * back, two checkpoints of one size, a proof paired with the wrong
 * checkpoint: each refused with its own verdict. A torn tail alone is
 * accepted as torn.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_fixture.h"
#include "test.h"
#include "trust/auditverify.h"
#include "trust/merkle.h"

static struct sigkey key, other;
static uint8_t k0[32];
static char base[200], work[240];

/* A log of 30 records, a checkpoint every 8, a segment every 12, and a
 * final checkpoint: segments at 0, 15, 30 (each rotation adds 2 records). */
#define NREC 30

static void sh(const char *fmt, const char *a, const char *b)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, fmt, a, b);
	if (system(cmd) != 0)
		fprintf(stdout, "# command failed: %s\n", cmd);
}

static void fresh(void)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", work, base, work);
	if (system(cmd) != 0)
		fprintf(stdout, "# copy failed\n");
}

static enum audit_verdict verify_as(const char *dir, const struct sigkey_pub *pub, const uint8_t *seal,
                                    const struct audit_ckpt *from, struct audit_verify_result *res)
{
	struct audit_verify_opts o = { .dir = dir, .pub = pub, .k0 = seal, .from = from };
	return audit_verify(&o, res);
}

static enum audit_verdict verify_w(int with_k0)
{
	static struct audit_verify_result res;
	enum audit_verdict v = verify_as(work, &key.pub, with_k0 ? k0 : NULL, NULL, &res);
	if (v != AV_OK && v != AV_TORN_TAIL)
		fprintf(stdout, "# verdict %s: %s\n", audit_verdict_name(v), res.err.msg);
	return v;
}

static char *seg_path(uint64_t first)
{
	static char p[400];
	char name[AUDIT_SEG_NAME_LEN + 1];
	audit_seg_name(first, name);
	snprintf(p, sizeof p, "%s/%s", work, name);
	return p;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	*n = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stdout, "# cannot read %s\n", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	uint8_t *b = malloc((size_t)st.st_size + 1);
	*n = (size_t)read(fd, b, (size_t)st.st_size);
	close(fd);
	return b;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, b, n) != (ssize_t)n)
		fprintf(stdout, "# cannot write %s\n", path);
	close(fd);
}

/* Frame offsets of a segment file: off[0..k), with off[k] = file length. */
static int frames(const uint8_t *b, size_t n, size_t *off, int max)
{
	int k = 0;
	size_t o = AUDIT_SEG_HDR_LEN;
	static struct audit_rec r;
	while (o < n && k < max) {
		size_t used;
		if (audit_rec_decode(b + o, n - o, &r, &used, NULL) < 0)
			break;
		off[k++] = o;
		o += used;
	}
	off[k] = o;
	return k;
}

/* Decode frame i of segment buffer b. */
static void rec_at(const uint8_t *b, const size_t *off, int i, struct audit_rec *r)
{
	size_t used;
	audit_rec_decode(b + off[i], off[i + 1] - off[i], r, &used, NULL);
}

TEST(clean_log_verifies)
{
	struct audit_verify_result res;
	fresh();
	CHECK_EQ_INT(verify_as(work, &key.pub, NULL, NULL, &res), AV_OK);
	CHECK_EQ_INT(res.segments, 3);
	CHECK(res.checkpoints >= 4);
	CHECK_EQ_INT(res.unsealed, 0);
	CHECK_EQ_INT(res.seals_checked, 0);
	CHECK_EQ_INT(verify_as(work, &key.pub, k0, NULL, &res), AV_OK);
	CHECK_EQ_INT(res.seals_checked, 1);
	CHECK_EQ_INT(res.seal_state_checked, 1);
	CHECK_EQ_INT(res.last.counts[AUDIT_DENY], 6); /* 2 in every 10 of 30 */
	/* Another key: the signature says so. */
	CHECK_EQ_INT(verify_as(work, &other.pub, NULL, NULL, &res), AV_BAD_SIGNATURE);
	/* Another K0: the first seal fails. */
	uint8_t wrong[32];
	memcpy(wrong, k0, 32);
	wrong[0] ^= 1;
	CHECK_EQ_INT(verify_as(work, &key.pub, wrong, NULL, &res), AV_SEAL);
	CHECK_EQ_INT(verify_as("/nonexistent/audit", &key.pub, NULL, NULL, &res), AV_NO_LOG);
}

TEST(every_byte_flipped)
{
	/* Every byte of every segment, one at a time: never ok; with K0, never
	 * even torn (a flipped length that makes the last frame look torn hides
	 * the final checkpoint, and the seal file says one is missing). */
	uint64_t segs[3] = { 0, 15, 30 };
	int bad_ok = 0, bad_k0 = 0, total = 0;
	fresh();
	for (int s = 0; s < 3; s++) {
		char path[400];
		size_t n;
		snprintf(path, sizeof path, "%s", seg_path(segs[s]));
		uint8_t *b = slurp(path, &n);
		CHECK(b != NULL);
		for (size_t i = 0; b && i < n; i++) {
			b[i] ^= 0x01;
			spit(path, b, n);
			struct audit_verify_result res;
			enum audit_verdict v = verify_as(work, &key.pub, NULL, NULL, &res);
			if (v == AV_OK)
				bad_ok++;
			/* K0 only adds checks: only a torn verdict can change. */
			if (v == AV_TORN_TAIL)
				v = verify_as(work, &key.pub, k0, NULL, &res);
			if (v == AV_OK || v == AV_TORN_TAIL)
				bad_k0++;
			b[i] ^= 0x01;
			total++;
		}
		if (b)
			spit(path, b, n);
		free(b);
	}
	CHECK(total > 3000);
	CHECK_EQ_INT(bad_ok, 0);
	CHECK_EQ_INT(bad_k0, 0);
}

/* Rewrite segment first with frame i removed / duplicated / swapped with i+1. */
enum edit { DEL, DUP, SWAP };
static void edit_frames(uint64_t first, int i, enum edit how)
{
	size_t n, off[64];
	char path[400];
	snprintf(path, sizeof path, "%s", seg_path(first));
	uint8_t *b = slurp(path, &n), *o = malloc(n * 2);
	int k = frames(b, n, off, 63);
	size_t m = AUDIT_SEG_HDR_LEN;
	memcpy(o, b, m);
	for (int j = 0; j < k; j++) {
		size_t fl = off[j + 1] - off[j];
		if (how == DEL && j == i)
			continue;
		if (how == SWAP && j == i) {
			size_t gl = off[j + 2] - off[j + 1];
			memcpy(o + m, b + off[j + 1], gl);
			m += gl;
			memcpy(o + m, b + off[j], fl);
			m += fl;
			j++;
			continue;
		}
		memcpy(o + m, b + off[j], fl);
		m += fl;
		if (how == DUP && j == i) {
			memcpy(o + m, b + off[j], fl);
			m += fl;
		}
	}
	memcpy(o + m, b + off[k], n - off[k]);
	m += n - off[k];
	spit(path, o, m);
	free(b);
	free(o);
}

TEST(delete_swap_duplicate)
{
	fresh();
	edit_frames(15, 3, DEL);
	CHECK_EQ_INT(verify_w(0), AV_GAP);
	fresh();
	edit_frames(15, 3, SWAP);
	CHECK_EQ_INT(verify_w(0), AV_REORDER);
	fresh();
	edit_frames(15, 3, DUP);
	CHECK_EQ_INT(verify_w(0), AV_DUPLICATE);
	/* The first record of the log deleted. */
	fresh();
	edit_frames(0, 0, DEL);
	CHECK_EQ_INT(verify_w(0), AV_GAP);
}

/* Re-encode segment `first` through fn, which may change or insert records
 * (an attacker recomputing every checksum, renumbering every seq). */
static void forge(uint64_t first, int at, int insert)
{
	size_t n, off[64];
	char path[400];
	snprintf(path, sizeof path, "%s", seg_path(first));
	uint8_t *b = slurp(path, &n), *o = malloc(n + 8192);
	int k = frames(b, n, off, 63);
	size_t m = AUDIT_SEG_HDR_LEN;
	static struct audit_rec r;
	memcpy(o, b, m);
	uint64_t shift = 0;
	for (int j = 0; j < k; j++) {
		rec_at(b, off, j, &r);
		if (j == at) {
			struct audit_rec f = r;
			snprintf(f.detail, sizeof f.detail, "op=openat forged=1");
			f.type = AUDIT_ALLOW;
			f.result = AUDIT_R_OK;
			m += (size_t)audit_rec_encode(&f, o + m, 8192);
			if (!insert)
				continue;
			shift = 1;
		}
		r.seq += shift;
		m += (size_t)audit_rec_encode(&r, o + m, 8192);
	}
	spit(path, o, m);
	free(b);
	free(o);
}

TEST(forged_records)
{
	/* Content changed, CRC recomputed: the next checkpoint's chain head differs. */
	fresh();
	forge(15, 2, 0);
	CHECK_EQ_INT(verify_w(0), AV_CHAIN_BREAK);
	/* Inserted and renumbered: the next checkpoint sits at the wrong size. */
	fresh();
	forge(15, 2, 1);
	CHECK_EQ_INT(verify_w(0), AV_CKPT_MISMATCH);
}

/* Truncate the last segment (first seq 30) to its first k frames. */
static void cut_last(int k)
{
	size_t n, off[64];
	char path[400];
	snprintf(path, sizeof path, "%s", seg_path(30));
	uint8_t *b = slurp(path, &n);
	int have = frames(b, n, off, 63);
	if (k > have)
		k = have;
	spit(path, b, off[k]);
	free(b);
}

TEST(cuts_and_torn_tail)
{
	struct audit_verify_result res;
	static struct audit_verify_result good;
	fresh();
	CHECK_EQ_INT(verify_as(work, &key.pub, k0, NULL, &good), AV_OK);
	/* Cut before the last checkpoint: the files alone cannot tell, K0 and
	 * the seal file can, and so can a checkpoint held elsewhere. */
	fresh();
	cut_last(1);
	CHECK_EQ_INT(verify_as(work, &key.pub, NULL, NULL, &res), AV_OK);
	CHECK_EQ_INT(res.unsealed, 2); /* the ROTATE record and record 30 */
	CHECK_EQ_INT(verify_w(1), AV_TRUNCATED);
	CHECK_EQ_INT(verify_as(work, &key.pub, NULL, &good.last, &res), AV_TRUNCATED);
	/* A partial frame at the end: torn, accepted as such (with K0 too). */
	fresh();
	size_t n;
	char path[400];
	snprintf(path, sizeof path, "%s", seg_path(30));
	uint8_t *b = slurp(path, &n), *o = malloc(1u << 16);
	memcpy(o, b, n);
	memcpy(o + n, b + AUDIT_SEG_HDR_LEN, 20); /* 20 bytes of a frame */
	spit(path, o, n + 20);
	CHECK_EQ_INT(verify_as(work, &key.pub, k0, NULL, &res), AV_TORN_TAIL);
	CHECK_EQ_INT(res.torn_bytes, 20);
	/* The same partial frame inside a closed segment is not a crash. */
	fresh();
	snprintf(path, sizeof path, "%s", seg_path(15));
	free(b);
	b = slurp(path, &n);
	memcpy(o, b, n);
	memcpy(o + n, b + AUDIT_SEG_HDR_LEN, 20);
	spit(path, o, n + 20);
	CHECK_EQ_INT(verify_w(0), AV_BAD_FRAME);
	free(b);
	free(o);
}

TEST(cut_after_last_checkpoint_is_unsealed)
{
	/* A log whose tail is not checkpointed: cutting that tail cannot be
	 * proven from the files; the unsealed count says what is at risk. */
	struct audit_verify_result res;
	char dir[300];
	snprintf(dir, sizeof dir, "%s.tail", base);
	sh("rm -rf '%s'%s", dir, "");
	CHECK_EQ_INT(amk_build(dir, &key, k0, 20, 8, 0, 0), 0);
	CHECK_EQ_INT(verify_as(dir, &key.pub, k0, NULL, &res), AV_OK);
	CHECK_EQ_INT(res.unsealed, 4); /* records 18..21 after the checkpoint at 17 */
	CHECK_EQ_INT(res.last.size, 17);
	sh("rm -rf '%s'%s", dir, "");
}

static int replay(void *arg, const struct audit_rec *r, const uint8_t *f, size_t n)
{
	struct amk *m = arg;
	audit_acc_add(&m->acc, r, f, n);
	return 0;
}

TEST(cut_and_reextend)
{
	/* Cut before the last checkpoint, then write on with the stolen
	 * signing key and the current seal key: the seal of the re-made epoch
	 * is not K0's (CVE-2023-31438's pattern). */
	fresh();
	cut_last(1);
	char path[400], line[200];
	snprintf(path, sizeof path, "%s/seal", work);
	struct audit_seal cur;
	struct err e = { 0 };
	CHECK(fileio_read_small(path, line, sizeof line) > 0);
	CHECK_EQ_INT(audit_seal_parse(line, &cur, &e), 0);
	/* Replay the log to its end for the accumulator, then write on. */
	static struct amk m;
	memset(&m, 0, sizeof m);
	m.key = &key;
	m.seal = cur;
	audit_acc_init(&m.acc);
	audit_ckpt_origin(&key.pub, m.origin);
	snprintf(m.dir, sizeof m.dir, "%s", work);
	m.fd = open(seg_path(30), O_WRONLY | O_APPEND);
	struct audit_verify_result res;
	struct audit_verify_opts o = { .dir = work, .pub = &key.pub, .each = replay, .arg = &m };
	audit_verify(&o, &res);
	m.seal.epoch = res.checkpoints; /* claim the epoch that was cut */
	CHECK_EQ_INT(amk_rec(&m, 99), 0);
	CHECK_EQ_INT(amk_ckpt(&m), 0);
	amk_close(&m);
	CHECK_EQ_INT(verify_as(work, &key.pub, NULL, NULL, &res), AV_OK); /* the key alone is fooled */
	CHECK_EQ_INT(verify_w(1), AV_SEAL);
}


TEST(strip_checkpoints)
{
	/* Every checkpoint removed and the rest renumbered, CRCs recomputed. */
	fresh();
	uint64_t segs[3] = { 0, 15, 30 };
	uint64_t seq = 0;
	static struct audit_rec r;
	for (int s = 0; s < 3; s++) {
		size_t n, off[64];
		char path[400];
		snprintf(path, sizeof path, "%s", seg_path(segs[s]));
		uint8_t *b = slurp(path, &n), *o = malloc(n + 64);
		int k = frames(b, n, off, 63);
		size_t m = AUDIT_SEG_HDR_LEN;
		memcpy(o, b, m);
		if (s > 0) { /* the header's first seq moves too; name kept */
			struct audit_seg_hdr h;
			audit_seg_hdr_decode(b, n, &h, NULL);
			h.first_seq = seq;
			audit_seg_hdr_encode(&h, o);
		}
		for (int j = 0; j < k; j++) {
			rec_at(b, off, j, &r);
			if (r.type == AUDIT_CHECKPOINT)
				continue;
			r.seq = seq++;
			m += (size_t)audit_rec_encode(&r, o + m, 8192);
		}
		unlink(path);
		char name[AUDIT_SEG_NAME_LEN + 1];
		struct audit_seg_hdr h;
		audit_seg_hdr_decode(o, m, &h, NULL);
		audit_seg_name(h.first_seq, name);
		snprintf(path, sizeof path, "%s/%s", work, name);
		spit(path, o, m);
		free(b);
		free(o);
	}
	/* The segment links fail first (their chain heads were the real ones);
	 * a single-segment log stripped the same way has nothing signed. */
	CHECK_EQ_INT(verify_w(0), AV_CHAIN_BREAK);
	char dir[300];
	snprintf(dir, sizeof dir, "%s.strip", base);
	sh("rm -rf '%s'%s", dir, "");
	CHECK_EQ_INT(amk_build(dir, &key, k0, 10, 0, 0, 0), 0);
	struct audit_verify_result res;
	CHECK_EQ_INT(verify_as(dir, &key.pub, NULL, NULL, &res), AV_NO_CHECKPOINT);
	sh("rm -rf '%s'%s", dir, "");
}

TEST(reseal_old_epoch_with_current_key)
{
	/* Root takes the signing key and the current seal key and rewrites the
	 * whole log from a changed record on (CVE-2023-31439's pattern): every
	 * signature verifies, the seals do not. */
	char path[400], line[200], dir[300];
	struct audit_seal cur;
	struct err e = { 0 };
	struct audit_verify_result res;
	fresh();
	snprintf(path, sizeof path, "%s/seal", work);
	CHECK(fileio_read_small(path, line, sizeof line) > 0);
	CHECK_EQ_INT(audit_seal_parse(line, &cur, &e), 0);
	snprintf(dir, sizeof dir, "%s.reseal", base);
	sh("rm -rf '%s'%s", dir, "");
	CHECK_EQ_INT(amk_build(dir, &key, cur.key, NREC - 1, 8, 12, 1), 0);
	CHECK_EQ_INT(verify_as(dir, &key.pub, NULL, NULL, &res), AV_OK);
	CHECK_EQ_INT(verify_as(dir, &key.pub, k0, NULL, &res), AV_SEAL);
	CHECK_EQ_INT(res.at_seq, 8); /* epoch 0's checkpoint */
	sh("rm -rf '%s'%s", dir, "");
}

TEST(segments_deleted_reordered_rolled_back)
{
	char a[400], b[400], cmd[4096];
	fresh();
	unlink(seg_path(15));
	CHECK_EQ_INT(verify_w(0), AV_MISSING_SEGMENT);
	fresh();
	unlink(seg_path(0));
	CHECK_EQ_INT(verify_w(0), AV_MISSING_SEGMENT);
	/* Two segments' contents exchanged under their names. */
	fresh();
	snprintf(a, sizeof a, "%s", seg_path(15));
	snprintf(b, sizeof b, "%s", seg_path(30));
	snprintf(cmd, sizeof cmd, "mv '%s' '%s.x' && mv '%s' '%s' && mv '%s.x' '%s'", a, a, b, a, a, b);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(verify_w(0), AV_SEGMENT_ORDER);
	/* A closed segment replaced by an older copy of itself (before it closed). */
	fresh();
	size_t n, off[64];
	snprintf(a, sizeof a, "%s", seg_path(15));
	uint8_t *buf = slurp(a, &n);
	frames(buf, n, off, 63);
	spit(a, buf, off[5]);
	free(buf);
	CHECK_EQ_INT(verify_w(0), AV_SEGMENT_CUT);
	/* The last segment rolled back: with K0 the seal file shows it. */
	fresh();
	cut_last(3);
	CHECK_EQ_INT(verify_w(1), AV_TRUNCATED);
	/* A segment whose header no longer links to the chain. */
	fresh();
	snprintf(a, sizeof a, "%s", seg_path(15));
	buf = slurp(a, &n);
	struct audit_seg_hdr h;
	audit_seg_hdr_decode(buf, n, &h, NULL);
	h.prev_head[0] ^= 1;
	audit_seg_hdr_encode(&h, buf);
	spit(a, buf, n);
	free(buf);
	CHECK_EQ_INT(verify_w(0), AV_CHAIN_BREAK);
	/* A file that is named like no segment. */
	fresh();
	snprintf(cmd, sizeof cmd, "cp '%s' '%s/14.seg'", seg_path(15), work);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(verify_w(0), AV_SEGMENT_ORDER);
}

/* Collect leaf hashes and the checkpoint records' notes while verifying. */
struct collect {
	uint8_t (*leaves)[32];
	uint64_t n;
	uint8_t frame[HIVE_AUDIT_FRAME_MAX];
	size_t frame_n;
	uint64_t want_seq;
	struct audit_ckpt ckpts[16];
	int nckpt;
};

static int collect(void *arg, const struct audit_rec *r, const uint8_t *f, size_t n)
{
	struct collect *c = arg;
	merkle_leaf_hash(f, n, c->leaves[c->n++]);
	if (r->seq == c->want_seq) {
		memcpy(c->frame, f, n);
		c->frame_n = n;
	}
	if (r->type == AUDIT_CHECKPOINT && c->nckpt < 16)
		audit_ckpt_parse(r->detail, strlen(r->detail), &c->ckpts[c->nckpt++], NULL);
	return 0;
}

TEST(equivocation_and_proofs)
{
	static struct collect c;
	struct audit_verify_result res;
	c.leaves = calloc(256, 32);
	c.want_seq = 3;
	fresh();
	struct audit_verify_opts o = { .dir = work, .pub = &key.pub, .each = collect, .arg = &c };
	CHECK_EQ_INT(audit_verify(&o, &res), AV_OK);
	CHECK(c.nckpt >= 3);
	struct audit_ckpt *last = &c.ckpts[c.nckpt - 1], *first = &c.ckpts[0];
	uint8_t proof[HIVE_AUDIT_PROOF_MAX][32];
	size_t len;
	CHECK_EQ_INT(merkle_inclusion_prove((const uint8_t(*)[32])c.leaves, last->size, 3, proof, &len), 0);
	CHECK_EQ_INT(audit_proof_check(last, 3, c.frame, c.frame_n, (const uint8_t(*)[32])proof, len), AV_OK);
	/* The treeship #191 bug: the proof for the latest tree checked against an older one. */
	CHECK_EQ_INT(audit_proof_check(first, 3, c.frame, c.frame_n, (const uint8_t(*)[32])proof, len), AV_BAD_PROOF);
	/* Another record's frame under the same proof. */
	c.frame[10] ^= 1;
	CHECK_EQ_INT(audit_proof_check(last, 3, c.frame, c.frame_n, (const uint8_t(*)[32])proof, len), AV_BAD_PROOF);
	/* Consistency between two checkpoints of the log. */
	CHECK_EQ_INT(merkle_consistency_prove((const uint8_t(*)[32])c.leaves, first->size, last->size, proof, &len), 0);
	CHECK_EQ_INT(merkle_consistency_verify(first->size, last->size, first->root, last->root,
	                                       (const uint8_t(*)[32])proof, len), 0);

	/* Equivocation: the same key signed another history of the same size;
	 * whoever holds that checkpoint sees this log is not it. */
	char dir[300];
	snprintf(dir, sizeof dir, "%s.eq", base);
	sh("rm -rf '%s'%s", dir, "");
	static struct amk m;
	CHECK_EQ_INT(amk_open(&m, dir, &key, k0), 0);
	for (uint64_t i = 0; i < 8; i++)
		CHECK_EQ_INT(amk_rec(&m, i + 1000), 0);
	CHECK_EQ_INT(amk_ckpt(&m), 0);
	amk_close(&m);
	static struct collect c2;
	c2.leaves = calloc(256, 32);
	c2.want_seq = 99;
	struct audit_verify_opts o2 = { .dir = dir, .pub = &key.pub, .each = collect, .arg = &c2 };
	CHECK_EQ_INT(audit_verify(&o2, &res), AV_OK);
	CHECK_EQ_INT(c2.ckpts[0].size, first->size); /* two signed checkpoints of one size */
	CHECK(memcmp(c2.ckpts[0].root, first->root, 32) != 0);
	CHECK_EQ_INT(verify_as(work, &key.pub, NULL, &c2.ckpts[0], &res), AV_EQUIVOCATION);
	CHECK_EQ_INT(verify_as(work, &key.pub, NULL, first, &res), AV_OK);
	sh("rm -rf '%s'%s", dir, "");
	free(c.leaves);
	free(c2.leaves);
}

int main(void)
{
	struct err e = { 0 };
	if (sigkey_generate(&key, "hive", &e) < 0 || sigkey_generate(&other, "other", &e) < 0)
		return 1;
	for (int i = 0; i < 32; i++)
		k0[i] = (uint8_t)(0x40 + i);
	snprintf(base, sizeof base, "/tmp/hive-auditverify.%d", (int)getpid());
	snprintf(work, sizeof work, "%s.w", base);
	if (amk_build(base, &key, k0, NREC, 8, 12, 1) < 0)
		return 1;
	RUN(clean_log_verifies);
	RUN(delete_swap_duplicate);
	RUN(forged_records);
	RUN(cuts_and_torn_tail);
	RUN(cut_after_last_checkpoint_is_unsealed);
	RUN(cut_and_reextend);
	RUN(strip_checkpoints);
	RUN(reseal_old_epoch_with_current_key);
	RUN(segments_deleted_reordered_rolled_back);
	RUN(equivocation_and_proofs);
	RUN(every_byte_flipped);
	sh("rm -rf '%s' '%s'", base, work);
	return test_done();
}
