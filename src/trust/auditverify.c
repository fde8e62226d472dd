/*
 * auditverify.c — walk an audit directory and check it, segment by
 * segment, frame by frame, with exactly the code the writer uses to build
 * it (auditrec, merkle, auditckpt, auditseg). The first failure stops the
 * walk: what follows a broken link proves nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auditseg.h"
#include "auditverify.h"
#include "lib/fileio.h"

const char *audit_verdict_name(enum audit_verdict v)
{
	switch (v) {
	case AV_OK: return "ok";
	case AV_TORN_TAIL: return "torn-tail";
	case AV_NO_LOG: return "no-log";
	case AV_IO: return "io-error";
	case AV_BAD_HEADER: return "bad-segment-header";
	case AV_BAD_FRAME: return "bad-frame";
	case AV_GAP: return "gap";
	case AV_REORDER: return "reorder";
	case AV_DUPLICATE: return "duplicate";
	case AV_CHAIN_BREAK: return "chain-break";
	case AV_CKPT_MALFORMED: return "checkpoint-malformed";
	case AV_CKPT_MISMATCH: return "checkpoint-mismatch";
	case AV_BAD_SIGNATURE: return "bad-signature";
	case AV_EQUIVOCATION: return "equivocation";
	case AV_SEAL: return "seal-failure";
	case AV_EPOCH: return "epoch-gap";
	case AV_MISSING_SEGMENT: return "missing-segment";
	case AV_SEGMENT_ORDER: return "segment-order";
	case AV_SEGMENT_CUT: return "segment-cut";
	case AV_TRUNCATED: return "truncated";
	case AV_NO_CHECKPOINT: return "no-checkpoint";
	case AV_BAD_PROOF: return "bad-proof";
	}
	return "?";
}

struct walk {
	const struct audit_verify_opts *o;
	struct audit_verify_result *res;
	struct audit_acc acc;
	struct audit_seal seal; /* key of the next epoch, derived from K0 */
	int last_rotate;        /* the previous segment ended with ROTATE */
	const uint8_t *prev_frame;
	size_t prev_n;
	int stop;               /* the caller's each() asked to stop */
	struct audit_rec r;     /* the record being checked (4 KiB: not on the stack) */
};

static enum audit_verdict fail(struct walk *w, enum audit_verdict v, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum audit_verdict fail(struct walk *w, enum audit_verdict v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;
	char msg[HIVE_ERRSTR_MAX];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->res->verdict = v;
	w->res->at_seq = seq;
	err_set(&w->res->err, EBADMSG, "%s", msg);
	return v;
}

static int seg_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Compare the log at the held checkpoint's size with what it says. */
static enum audit_verdict check_from(struct walk *w)
{
	const struct audit_ckpt *f = w->o->from;
	uint8_t root[AUDIT_HASH_LEN];
	if (!f || w->acc.tree.size != f->size)
		return AV_OK;
	merkle_range_root(&w->acc.tree, root);
	if (memcmp(root, f->root, AUDIT_HASH_LEN) != 0 || memcmp(w->acc.head, f->head, AUDIT_HASH_LEN) != 0)
		return fail(w, AV_EQUIVOCATION, f->size,
		            "the log's tree at size %llu differs from the checkpoint you hold: "
		            "two signed histories of one size", (unsigned long long)f->size);
	return AV_OK;
}

static enum audit_verdict check_ckpt(struct walk *w, const struct audit_rec *r)
{
	struct audit_ckpt c;
	struct err e = { 0 };
	uint8_t root[AUDIT_HASH_LEN], mac[AUDIT_HASH_LEN];
	unsigned long long seq = (unsigned long long)r->seq;

	if (audit_ckpt_parse(r->detail, strlen(r->detail), &c, &e) < 0)
		return fail(w, AV_CKPT_MALFORMED, r->seq, "checkpoint record %llu: %s", seq, e.msg);
	if (audit_ckpt_verify(&c, w->o->pub, &e) < 0)
		return fail(w, AV_BAD_SIGNATURE, r->seq, "%s", e.msg);
	if (c.size != r->seq)
		return fail(w, AV_CKPT_MISMATCH, r->seq, "checkpoint record %llu claims size %llu", seq,
		            (unsigned long long)c.size);
	if (memcmp(c.head, w->acc.head, AUDIT_HASH_LEN) != 0)
		return fail(w, AV_CHAIN_BREAK, r->seq,
		            "checkpoint record %llu: chain head differs from the records before it", seq);
	merkle_range_root(&w->acc.tree, root);
	if (memcmp(c.root, root, AUDIT_HASH_LEN) != 0)
		return fail(w, AV_CKPT_MISMATCH, r->seq, "checkpoint record %llu: Merkle root differs", seq);
	if (memcmp(c.counts, w->acc.counts, sizeof c.counts) != 0 ||
	    memcmp(c.results, w->acc.results, sizeof c.results) != 0)
		return fail(w, AV_CKPT_MISMATCH, r->seq,
		            "checkpoint record %llu: per-type counts differ from the records", seq);
	if (c.epoch != w->res->checkpoints)
		return fail(w, AV_EPOCH, r->seq, "checkpoint record %llu: seal epoch %llu, want %llu", seq,
		            (unsigned long long)c.epoch, (unsigned long long)w->res->checkpoints);
	if (w->o->k0) {
		audit_seal_mac(w->seal.key, &c, mac);
		if (sodium_memcmp(mac, c.seal, AUDIT_HASH_LEN) != 0)
			return fail(w, AV_SEAL, r->seq,
			            "checkpoint record %llu: seal of epoch %llu does not verify with K0", seq,
			            (unsigned long long)c.epoch);
		audit_seal_step(&w->seal);
	}
	w->res->checkpoints++;
	w->res->last = c;
	w->res->have_last = 1;
	return AV_OK;
}

/* A seq other than the next: deleted (gap), moved (reorder) or repeated. */
static enum audit_verdict bad_seq(struct walk *w, const struct audit_rec *r, const uint8_t *frame,
                                  size_t n, const uint8_t *rest, size_t left)
{
	uint64_t want = w->acc.next_seq;
	unsigned long long s = (unsigned long long)r->seq, ws = (unsigned long long)want;
	if (r->seq + 1 == want && w->prev_frame && w->prev_n == n && memcmp(w->prev_frame, frame, n) == 0)
		return fail(w, AV_DUPLICATE, r->seq, "record %llu appears twice", s);
	if (r->seq < want)
		return fail(w, AV_REORDER, r->seq, "record %llu found after record %llu", s, ws - 1);
	/* Ahead: if the missing one follows later in the segment, the order changed. */
	for (size_t off = 0; off < left;) {
		struct audit_rec x;
		size_t used;
		if (audit_rec_decode(rest + off, left - off, &x, &used, NULL) < 0)
			break;
		if (x.seq == want)
			return fail(w, AV_REORDER, want, "record %llu found after record %llu", ws, s);
		off += used;
	}
	return fail(w, AV_GAP, want, "record %llu is missing (the next one is %llu)", ws, s);
}

static enum audit_verdict walk_frames(struct walk *w, const uint8_t *buf, size_t len, int last_seg)
{
	struct audit_rec *rp = &w->r;
	size_t off = AUDIT_SEG_HDR_LEN, used = 0;
	enum audit_verdict v;
	w->prev_frame = NULL;
	w->last_rotate = 0;
	while (off < len) {
		struct err e = { 0 };
		int rc = audit_rec_decode(buf + off, len - off, rp, &used, &e);
		if (rc == -EAGAIN && last_seg) {
			w->res->torn_bytes = len - off;
			return AV_OK;
		}
		if (rc < 0)
			return fail(w, AV_BAD_FRAME, w->acc.next_seq, "frame at byte %zu (after record %lld): %s",
			            off, (long long)w->acc.next_seq - 1, e.msg);
		if (rp->seq != w->acc.next_seq)
			return bad_seq(w, rp, buf + off, used, buf + off + used, len - off - used);
		if ((v = check_from(w)) != AV_OK)
			return v;
		if (rp->type == AUDIT_CHECKPOINT && (v = check_ckpt(w, rp)) != AV_OK)
			return v;
		audit_acc_add(&w->acc, rp, buf + off, used);
		w->res->records++;
		w->last_rotate = rp->type == AUDIT_ROTATE;
		w->prev_frame = buf + off;
		w->prev_n = used;
		if (w->o->each && w->o->each(w->o->arg, rp, buf + off, used) != 0) {
			w->stop = 1;
			return AV_OK;
		}
		off += used;
	}
	return AV_OK;
}

static enum audit_verdict read_seg(struct walk *w, const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return fail(w, AV_IO, w->acc.next_seq, "%s: cannot read (%s)", path, strerror(errno ? errno : EINVAL));
	}
	if ((uint64_t)st.st_size > (uint64_t)HIVE_AUDIT_SEGMENT_MAX + HIVE_AUDIT_FRAME_MAX + AUDIT_SEG_HDR_LEN) {
		close(fd);
		return fail(w, AV_BAD_HEADER, w->acc.next_seq, "%s: %lld bytes, more than a segment holds",
		            path, (long long)st.st_size);
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	size_t got = 0;
	while (*buf && got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!*buf || got != *len) {
		free(*buf);
		*buf = NULL;
		return fail(w, AV_IO, w->acc.next_seq, "%s: short read", path);
	}
	return AV_OK;
}

static enum audit_verdict walk_seg(struct walk *w, uint64_t first, int last_seg)
{
	char name[AUDIT_SEG_NAME_LEN + 1], path[HIVE_PATH_MAX + 64];
	struct audit_seg_hdr h;
	struct err e = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0;
	enum audit_verdict v;
	audit_seg_name(first, name);
	snprintf(w->res->segment, sizeof w->res->segment, "%s", name);
	snprintf(path, sizeof path, "%s/%s", w->o->dir, name);
	if ((v = read_seg(w, path, &buf, &len)) != AV_OK)
		return v;
	int rc = audit_seg_hdr_decode(buf, len, &h, &e);
	if (rc == -EAGAIN && last_seg) {
		w->res->torn_bytes = len;
		v = AV_OK;
		goto out;
	}
	if (rc < 0) {
		v = fail(w, AV_BAD_HEADER, w->acc.next_seq, "segment %s: %s", name, e.msg);
		goto out;
	}
	unsigned long long want = (unsigned long long)w->acc.next_seq;
	if (h.first_seq != first || h.first_seq < w->acc.next_seq) {
		v = fail(w, AV_SEGMENT_ORDER, w->acc.next_seq,
		         "segment %s: its header says it begins at record %llu, the log is at %llu", name,
		         (unsigned long long)h.first_seq, want);
		goto out;
	}
	if (h.first_seq > w->acc.next_seq) {
		if (w->last_rotate || w->res->segments == 0)
			v = fail(w, AV_MISSING_SEGMENT, w->acc.next_seq,
			         "records %llu..%llu are missing: a segment before %s was deleted", want,
			         (unsigned long long)h.first_seq - 1, name);
		else
			v = fail(w, AV_SEGMENT_CUT, w->acc.next_seq,
			         "the segment before %s ends at record %llu without closing: cut or rolled back",
			         name, want);
		goto out;
	}
	if (memcmp(h.prev_head, w->acc.head, AUDIT_HASH_LEN) != 0) {
		v = fail(w, AV_CHAIN_BREAK, w->acc.next_seq,
		         "segment %s does not link to the chain head before it", name);
		goto out;
	}
	w->res->segments++;
	v = walk_frames(w, buf, len, last_seg);
out:
	free(buf);
	return v;
}

/* The seal file, when K0 is known: its epoch must be the number of
 * checkpoints read, and its key K0 ratcheted that far. */
static enum audit_verdict check_seal_state(struct walk *w)
{
	char path[HIVE_PATH_MAX + 64], line[AUDIT_SEAL_LINE_MAX + 1];
	struct audit_seal s;
	snprintf(path, sizeof path, "%s/%s", w->o->dir, AUDIT_SEAL_FILE);
	if (fileio_read_small(path, line, sizeof line) < 0 || audit_seal_parse(line, &s, NULL) < 0)
		return AV_OK; /* no state to compare: said by seal_state_checked = 0 */
	enum audit_verdict v = AV_OK;
	if (s.epoch > w->res->checkpoints)
		v = fail(w, AV_TRUNCATED, w->acc.next_seq,
		         "the seal key is at epoch %llu but the log holds %llu checkpoints: "
		         "checkpoints were cut from its end", (unsigned long long)s.epoch,
		         (unsigned long long)w->res->checkpoints);
	else if (s.epoch < w->res->checkpoints || sodium_memcmp(s.key, w->seal.key, AUDIT_SEAL_KEY_LEN) != 0)
		v = fail(w, AV_SEAL, w->acc.next_seq,
		         "the seal file's key (epoch %llu) is not K0 ratcheted %llu times",
		         (unsigned long long)s.epoch, (unsigned long long)w->res->checkpoints);
	else
		w->res->seal_state_checked = 1;
	audit_seal_wipe(&s);
	return v;
}

enum audit_verdict audit_verify(const struct audit_verify_opts *o, struct audit_verify_result *res)
{
	struct walk *w = calloc(1, sizeof *w);
	uint64_t *segs = NULL;
	size_t nsegs = 0;
	enum audit_verdict v = AV_OK;
	memset(res, 0, sizeof *res);
	if (!w)
		return res->verdict = AV_IO;
	w->o = o;
	w->res = res;
	audit_acc_init(&w->acc);
	if (o->k0)
		memcpy(w->seal.key, o->k0, AUDIT_SEAL_KEY_LEN);

	DIR *d = opendir(o->dir);
	if (!d) {
		v = fail(w, AV_NO_LOG, 0, "%s: %s", o->dir, strerror(errno));
		goto out;
	}
	segs = malloc(HIVE_AUDIT_SEGMENTS_MAX * sizeof *segs);
	for (struct dirent *de; segs && (de = readdir(d));) {
		uint64_t first;
		size_t nl = strlen(de->d_name);
		if (nl < 4 || strcmp(de->d_name + nl - 4, ".seg") != 0)
			continue;
		if (audit_seg_name_parse(de->d_name, &first) < 0) {
			snprintf(res->segment, sizeof res->segment, "%.60s", de->d_name);
			v = fail(w, AV_SEGMENT_ORDER, 0, "%s/%s: not a segment name (20 digits and .seg)",
			         o->dir, de->d_name);
			break;
		}
		if (nsegs == HIVE_AUDIT_SEGMENTS_MAX) {
			v = fail(w, AV_IO, 0, "%s: more than %u segments", o->dir, HIVE_AUDIT_SEGMENTS_MAX);
			break;
		}
		segs[nsegs++] = first;
	}
	closedir(d);
	if (!segs)
		v = fail(w, AV_IO, 0, "out of memory");
	if (v != AV_OK)
		goto out;
	if (nsegs == 0) {
		v = fail(w, AV_NO_LOG, 0, "%s: no segment files", o->dir);
		goto out;
	}
	qsort(segs, nsegs, sizeof *segs, seg_cmp);
	for (size_t i = 0; i < nsegs && v == AV_OK && !w->stop; i++)
		v = walk_seg(w, segs[i], i + 1 == nsegs);
	if (v != AV_OK || w->stop)
		goto out;
	if ((v = check_from(w)) != AV_OK)
		goto out;
	if (o->from && o->from->size > w->acc.tree.size) {
		v = fail(w, AV_TRUNCATED, w->acc.next_seq,
		         "the log ends at %llu records, before the checkpoint you hold (size %llu)",
		         (unsigned long long)w->acc.tree.size, (unsigned long long)o->from->size);
		goto out;
	}
	if (res->checkpoints == 0) {
		v = fail(w, AV_NO_CHECKPOINT, w->acc.next_seq,
		         "%llu records and no checkpoint: nothing in this log is signed",
		         (unsigned long long)res->records);
		goto out;
	}
	if (o->k0 && (v = check_seal_state(w)) != AV_OK)
		goto out;
	res->seals_checked = o->k0 != NULL;
	res->unsealed = w->acc.tree.size - res->last.size - 1;
	v = res->torn_bytes ? AV_TORN_TAIL : AV_OK;
	res->verdict = v;
out:
	res->verdict = v;
	audit_seal_wipe(&w->seal);
	free(segs);
	free(w);
	return v;
}

enum audit_verdict audit_proof_check(const struct audit_ckpt *c, uint64_t seq, const uint8_t *frame,
                                     size_t n, const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len)
{
	uint8_t leaf[MERKLE_HASH_LEN];
	merkle_leaf_hash(frame, n, leaf);
	return merkle_inclusion_verify(seq, c->size, leaf, proof, len, c->root) == 0 ? AV_OK : AV_BAD_PROOF;
}
