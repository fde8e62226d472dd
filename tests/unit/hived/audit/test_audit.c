/* Unit tests for the audit writer (hived/audit/audit.h): group commit
 * (one write and one fdatasync per batch), durability acknowledgement,
 * the bounded queue failing closed (with the deny reserve), a disk that
 * fills (RLIMIT_FSIZE: EFBIG) and recovers, torn-tail and damage recovery
 * at open, and rotation with segments that link by chain head. */
#include "hived/audit/audit.h"
#include "hived/audit/segment.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpl[] = "/tmp/hive-audit-test.XXXXXX";
static char dir[256];
static int ndir;

/* A fresh, empty log directory for each test. */
static const char *fresh(void)
{
	snprintf(dir, sizeof dir, "%s/log%d", tmpl, ndir++);
	return dir;
}

static struct audit_rec rec;

static int64_t put(struct audit *a, enum audit_type t, int i)
{
	memset(&rec, 0, sizeof rec);
	rec.type = t;
	rec.result = t == AUDIT_DENY ? AUDIT_R_DENY : AUDIT_R_OK;
	snprintf(rec.aid, sizeof rec.aid, "a-%d", i % 3);
	snprintf(rec.object, sizeof rec.object, "/some/path/%d", i);
	snprintf(rec.detail, sizeof rec.detail, "op=test i=%d", i);
	return audit_append(a, &rec);
}

/* Every record of every segment, in order: count, seqs continuous from 0,
 * each segment's header linking to the head before it. Returns records. */
struct walk {
	uint64_t n, bad, types[AUDIT_TYPES];
};
static int walk_rec(void *arg, const struct audit_rec *r, const uint8_t *frame, size_t n)
{
	struct walk *w = arg;
	if (r->seq != w->n)
		w->bad++;
	w->n++;
	w->types[r->type]++;
	return 0;
}
static uint64_t walk_all(const char *d, struct walk *w, uint8_t head[32], int *segs)
{
	uint64_t firsts[64];
	uint8_t prev[32] = { 0 };
	int fd = open(d, O_RDONLY | O_DIRECTORY), n;
	memset(w, 0, sizeof *w);
	n = segment_list(fd, firsts, 64);
	for (int i = 0; i < n; i++) {
		struct segment_scan s;
		struct err e = { 0 };
		uint8_t hdr[32];
		if (segment_scan(fd, firsts[i], 1, &s, walk_rec, w, &e) < 0 || s.torn || s.damaged)
			w->bad++;
		/* The header's head is the chain before the segment. */
		char name[AUDIT_SEG_NAME_LEN + 1];
		audit_seg_name(firsts[i], name);
		int sf = openat(fd, name, O_RDONLY);
		if (pread(sf, hdr, 32, 20) != 32 || memcmp(hdr, prev, 32) != 0)
			w->bad++;
		close(sf);
		memcpy(prev, s.head, 32);
	}
	close(fd);
	if (head)
		memcpy(head, prev, 32);
	if (segs)
		*segs = n;
	return w->n;
}

TEST(group_commit_one_batch)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };
	struct walk w;
	uint8_t head[32];

	CHECK_EQ_INT(audit_open(fresh(), &(struct audit_opts){ .hold = 1 }, &a, &err), 0);
	for (int i = 0; i < 500; i++)
		CHECK_EQ_INT(put(a, i % 5 ? AUDIT_EVENT : AUDIT_DENY, i), i);
	audit_release(a);
	CHECK_EQ_INT(audit_wait_durable(a, 499, 5000), 0);
	audit_stats(a, &st);
	CHECK_EQ_INT(st.durable, 500);
	CHECK_EQ_INT(st.batches, 1); /* all were queued: one write, one fdatasync */
	CHECK_EQ_INT(st.fsyncs, 1);
	CHECK_EQ_INT(st.refused, 0);
	CHECK_EQ_INT(walk_all(dir, &w, head, NULL), 500);
	CHECK_EQ_INT(w.bad, 0);
	CHECK_EQ_INT(w.types[AUDIT_DENY], 100);
	CHECK(memcmp(head, st.head, 32) == 0);
	audit_close(a);
}

TEST(batches_are_bounded)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };

	CHECK_EQ_INT(audit_open(fresh(), &(struct audit_opts){ .hold = 1, .batch_max = 64, .queue_max = 512 }, &a,
	                        &err), 0);
	for (int i = 0; i < 300; i++)
		put(a, AUDIT_EVENT, i);
	audit_release(a);
	CHECK_EQ_INT(audit_wait_durable(a, 299, 5000), 0);
	audit_stats(a, &st);
	CHECK_EQ_INT(st.batches, 5); /* 64 x 4 + 44 */
	CHECK_EQ_INT(st.fsyncs, 5);
	audit_close(a);
}

TEST(durability_acknowledged)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };
	int64_t seq;

	CHECK_EQ_INT(audit_open(fresh(), NULL, &a, &err), 0);
	seq = put(a, AUDIT_GRANT, 1);
	CHECK_EQ_INT(seq, 0);
	CHECK_EQ_INT(audit_wait_durable(a, (uint64_t)seq, 5000), 0);
	audit_stats(a, &st);
	CHECK(st.durable >= 1);
	CHECK_EQ_INT(audit_wait_durable(a, 7, 100), -EINVAL); /* never appended */
	/* A held writer: the wait is bounded. */
	audit_close(a);
	CHECK_EQ_INT(audit_open(fresh(), &(struct audit_opts){ .hold = 1 }, &a, &err), 0);
	seq = put(a, AUDIT_SPAWN, 1);
	CHECK_EQ_INT(audit_wait_durable(a, (uint64_t)seq, 50), -ETIMEDOUT);
	audit_release(a);
	CHECK_EQ_INT(audit_wait_durable(a, (uint64_t)seq, 5000), 0);
	audit_close(a);
}

TEST(queue_full_fails_closed)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };
	struct walk w;

	/* 8 slots, 2 of them for denies only. */
	CHECK_EQ_INT(audit_open(fresh(), &(struct audit_opts){ .hold = 1, .queue_max = 8 }, &a, &err), 0);
	for (int i = 0; i < 6; i++)
		CHECK_EQ_INT(put(a, AUDIT_ALLOW, i), i);
	CHECK_EQ_INT(put(a, AUDIT_ALLOW, 6), -ENOBUFS);
	CHECK_EQ_INT(audit_ok(a), -ENOBUFS);
	CHECK_EQ_INT(put(a, AUDIT_DENY, 7), 6);
	CHECK_EQ_INT(put(a, AUDIT_DENY, 8), 7);
	CHECK_EQ_INT(put(a, AUDIT_DENY, 9), -ENOBUFS);
	audit_stats(a, &st);
	CHECK_EQ_INT(st.refused, 2);
	CHECK_EQ_INT(st.refused_deny, 1);
	CHECK_EQ_INT(st.next_seq, 8); /* a refused record takes no seq */
	audit_release(a);
	CHECK_EQ_INT(audit_wait_durable(a, 7, 5000), 0);
	CHECK_EQ_INT(audit_ok(a), 0);
	CHECK_EQ_INT(put(a, AUDIT_ALLOW, 10), 8);
	audit_close(a);
	CHECK_EQ_INT(walk_all(dir, &w, NULL, NULL), 9);
	CHECK_EQ_INT(w.bad, 0);
	CHECK_EQ_INT(w.types[AUDIT_DENY], 2);
}

TEST(disk_full_fails_closed_and_recovers)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };
	struct rlimit old, small = { 8192, 8192 };
	struct walk w;
	int64_t seq = 0;
	int i, failed = 0;

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	CHECK_EQ_INT(audit_open(fresh(), NULL, &a, &err), 0);
	CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (i = 0; i < 400 && !failed; i++) {
		seq = put(a, AUDIT_ALLOW, i);
		if (seq < 0) {
			failed = 1;
			break;
		}
		if (audit_wait_durable(a, (uint64_t)seq, 5000) < 0)
			failed = 2;
	}
	CHECK(failed);
	audit_stats(a, &st);
	CHECK_EQ_INT(st.fail, EFBIG);
	CHECK_EQ_INT(audit_ok(a), -EFBIG);
	CHECK_EQ_INT(put(a, AUDIT_ALLOW, 1000), -EFBIG); /* fail closed */
	int64_t d = put(a, AUDIT_DENY, 1001);             /* a deny still finds room */
	CHECK(d >= 0);
	/* Space again: the retry writes what waited, nothing lost. */
	CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	int rc = -1;
	for (int k = 0; k < 100 && rc != 0; k++) /* a wait fails fast while the writer fails */
		if ((rc = audit_wait_durable(a, (uint64_t)d, 5000)) != 0)
			usleep(20000);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(audit_ok(a), 0);
	audit_stats(a, &st);
	CHECK_EQ_INT(st.durable, st.next_seq);
	CHECK(st.refused >= 1);
	audit_close(a);
	CHECK_EQ_INT(walk_all(dir, &w, NULL, NULL), st.next_seq);
	CHECK_EQ_INT(w.bad, 0);
	signal(SIGXFSZ, SIG_DFL);
}

static void fill(const char *d, int n)
{
	struct audit *a = NULL;
	struct err err = { 0 };
	CHECK_EQ_INT(audit_open(d, NULL, &a, &err), 0);
	for (int i = 0; i < n; i++)
		put(a, AUDIT_DENY, i);
	audit_close(a);
}

static off_t seg_size(const char *d, uint64_t first)
{
	char path[512], name[AUDIT_SEG_NAME_LEN + 1];
	struct stat st;
	audit_seg_name(first, name);
	snprintf(path, sizeof path, "%s/%s", d, name);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

TEST(torn_tail_is_cut_and_recorded)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };
	struct walk w;
	char path[512], name[AUDIT_SEG_NAME_LEN + 1];

	fresh();
	fill(dir, 10);
	audit_seg_name(0, name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	off_t size = seg_size(dir, 0);
	CHECK_EQ_INT(truncate(path, size - 7), 0); /* the last frame cut short */
	CHECK_EQ_INT(audit_open(dir, NULL, &a, &err), 0);
	audit_stats(a, &st);
	CHECK(strncmp(st.recovery, "torn-tail", 9) == 0);
	CHECK_EQ_INT(st.next_seq, 10); /* 9 kept + the RECOVERED record */
	CHECK_EQ_INT(audit_wait_durable(a, 9, 5000), 0);
	audit_close(a);
	CHECK_EQ_INT(walk_all(dir, &w, NULL, NULL), 10);
	CHECK_EQ_INT(w.bad, 0);
	CHECK_EQ_INT(w.types[AUDIT_RECOVERED], 1);
	CHECK_EQ_INT(w.types[AUDIT_DENY], 9);
}

TEST(damage_is_reported_not_repaired)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };
	char path[512], name[AUDIT_SEG_NAME_LEN + 1];
	int segs = 0, fd;
	uint64_t firsts[8];

	fresh();
	fill(dir, 10);
	audit_seg_name(0, name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	off_t size = seg_size(dir, 0);
	fd = open(path, O_RDWR);
	uint8_t b;
	CHECK_EQ_INT(pread(fd, &b, 1, size / 2), 1);
	b ^= 0x40;
	CHECK_EQ_INT(pwrite(fd, &b, 1, size / 2), 1);
	close(fd);
	CHECK_EQ_INT(audit_open(dir, NULL, &a, &err), 0);
	audit_stats(a, &st);
	CHECK(strncmp(st.recovery, "damaged", 7) == 0);
	CHECK(st.next_seq >= 1 && st.next_seq < 10);
	uint64_t rs = st.next_seq - 1;
	CHECK_EQ_INT(audit_wait_durable(a, rs, 5000), 0);
	audit_close(a);
	/* The damaged segment is left as it was; a new one begins at the
	 * first seq after what still decodes. */
	CHECK_EQ_INT(seg_size(dir, 0), size);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	segs = segment_list(fd, firsts, 8);
	close(fd);
	CHECK_EQ_INT(segs, 2);
	CHECK_EQ_INT(firsts[1], rs);
}

TEST(rotation_links_segments)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct err err = { 0 };
	struct walk w;
	uint8_t head[32];
	int segs = 0;

	CHECK_EQ_INT(audit_open(fresh(), &(struct audit_opts){ .segment_bytes = 2000 }, &a, &err), 0);
	for (int i = 0; i < 60; i++) {
		int64_t s = put(a, AUDIT_EVENT, i);
		CHECK(s >= 0);
		CHECK_EQ_INT(audit_wait_durable(a, (uint64_t)s, 5000), 0);
	}
	audit_stats(a, &st);
	audit_close(a);
	uint64_t total = walk_all(dir, &w, head, &segs);
	CHECK_EQ_INT(w.bad, 0);
	CHECK_EQ_INT(w.types[AUDIT_EVENT], 60);
	CHECK(segs > 2);
	/* Every segment but the last ends in its ROTATE record. */
	CHECK_EQ_INT(w.types[AUDIT_ROTATE], segs - 1);
	CHECK_EQ_INT(total, 60 + w.types[AUDIT_ROTATE]);
	CHECK(memcmp(head, st.head, 32) == 0);
	/* Reopened, the writer continues the last segment's chain. */
	CHECK_EQ_INT(audit_open(dir, NULL, &a, &err), 0);
	audit_stats(a, &st);
	CHECK_EQ_INT(st.next_seq, total);
	CHECK(memcmp(head, st.head, 32) == 0);
	CHECK_EQ_INT(put(a, AUDIT_EVENT, 60), (int64_t)total);
	audit_close(a);
	CHECK_EQ_INT(walk_all(dir, &w, NULL, NULL), total + 1);
	CHECK_EQ_INT(w.bad, 0);
}

/* The last checkpoint record of the log in dir, parsed. */
static struct audit_ckpt last_ckpt;
static uint64_t nckpt;
static int ckpt_rec(void *arg, const struct audit_rec *r, const uint8_t *frame, size_t n)
{
	struct err e = { 0 };
	if (r->type == AUDIT_CHECKPOINT) {
		nckpt++;
		if (audit_ckpt_parse(r->detail, strlen(r->detail), &last_ckpt, &e) < 0 || last_ckpt.size != r->seq)
			nckpt += 1000; /* counted as broken */
	}
	return 0;
}
static void ckpts_of(const char *d)
{
	uint64_t firsts[16];
	int fd = open(d, O_RDONLY | O_DIRECTORY), n = segment_list(fd, firsts, 16);
	nckpt = 0;
	for (int i = 0; i < n; i++) {
		struct segment_scan s;
		struct err e = { 0 };
		segment_scan(fd, firsts[i], 1, &s, ckpt_rec, NULL, &e);
	}
	close(fd);
}

TEST(checkpoints_signed_sealed_and_counted)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct sigkey key;
	struct err err = { 0 };
	char seal[512];
	int64_t seq;

	CHECK_EQ_INT(sigkey_generate(&key, "test", &err), 0);
	CHECK_EQ_INT(audit_open(fresh(), &(struct audit_opts){ .key = &key }, &a, &err), 0);
	for (int i = 0; i < 10; i++)
		put(a, i < 4 ? AUDIT_DENY : AUDIT_ALLOW, i);
	seq = audit_checkpoint(a);
	CHECK_EQ_INT(seq, 10);
	CHECK_EQ_INT(audit_checkpoint(a), 0); /* nothing new since */
	CHECK_EQ_INT(audit_wait_durable(a, (uint64_t)seq, 5000), 0);
	audit_stats(a, &st);
	CHECK_EQ_INT(st.ckpt_size, 10);
	CHECK_EQ_INT(st.ckpt_epoch, 0);
	/* Past HIVE_AUDIT_CHECKPOINT_RECORDS the log checkpoints by itself. */
	for (int i = 0; i < (int)HIVE_AUDIT_CHECKPOINT_RECORDS + 5; i++) {
		seq = put(a, AUDIT_EVENT, i);
		if (seq < 0) { /* a full queue: let the writer catch up */
			audit_wait_durable(a, (uint64_t)st.next_seq, 100);
			audit_stats(a, &st);
			i--;
			continue;
		}
		st.next_seq = (uint64_t)seq;
	}
	audit_close(a);
	ckpts_of(dir);
	CHECK_EQ_INT(nckpt, 2); /* the one asked for, the one counted */
	CHECK_EQ_INT(audit_ckpt_verify(&last_ckpt, &key.pub, &err), 0);
	CHECK_EQ_INT(last_ckpt.counts[AUDIT_DENY], 4);
	CHECK_EQ_INT(last_ckpt.epoch, nckpt - 1);
	snprintf(seal, sizeof seal, "%s/seal", dir);
	CHECK(access(seal, F_OK) == 0);
	/* Reopened: the next checkpoint takes the next epoch. */
	CHECK_EQ_INT(audit_open(dir, &(struct audit_opts){ .key = &key }, &a, &err), 0);
	put(a, AUDIT_EVENT, 1);
	seq = audit_checkpoint(a);
	CHECK(seq > 0);
	CHECK_EQ_INT(audit_wait_durable(a, (uint64_t)seq, 5000), 0);
	audit_close(a);
	uint64_t before = last_ckpt.epoch;
	ckpts_of(dir);
	CHECK_EQ_INT(last_ckpt.epoch, before + 1);
	CHECK_EQ_INT(audit_ckpt_verify(&last_ckpt, &key.pub, &err), 0);
	sigkey_wipe(&key);
}

int main(void)
{
	if (!mkdtemp(tmpl))
		return 1;
	RUN(group_commit_one_batch);
	RUN(batches_are_bounded);
	RUN(durability_acknowledged);
	RUN(queue_full_fails_closed);
	RUN(disk_full_fails_closed_and_recovers);
	RUN(torn_tail_is_cut_and_recorded);
	RUN(damage_is_reported_not_repaired);
	RUN(rotation_links_segments);
	RUN(checkpoints_signed_sealed_and_counted);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
