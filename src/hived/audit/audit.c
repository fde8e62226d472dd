/*
 * audit.c — the writer thread and its queue (audit.h).
 *
 * The queue is a ring of struct audit_rec under one mutex. The loop fills
 * the slot after the last queued one; the writer reads the queued slots
 * without the lock (the loop never touches them until the writer gives
 * them back by moving qhead), encodes and chains them into one buffer,
 * writes it and fdatasyncs once: a group commit. Then, under the lock, it
 * moves `durable`, wakes any waiter (a condition variable: grants and
 * spawns block the loop briefly on it) and signals the loop's eventfd.
 *
 * Wake-ups of the writer go through an eventfd too: the loop writes it
 * when the queue goes from empty to non-empty, when a batch is full, and
 * when it waits on durability (so the writer stops lingering).
 */
#include "audit.h"
#include "segment.h"
#include "lib/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Checkpoints one batch carries at most (a count one, a timed one, a
 * rotation's, the last at stop: rarely more than one). */
#define AUDIT_PEND_MAX 4u

struct audit {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* durable moved, or the failure changed */
	struct audit_rec *q;
	uint32_t qcap, reserve, qhead, qcount; /* under mu */
	uint64_t next_seq;                     /* written by the loop under mu */
	uint64_t durable;                      /* under mu */
	int fail;                              /* under mu: errno of the last failed commit */
	int stop, hold, waiting;               /* under mu */
	int work_fd, done_fd;
	pthread_t th;
	int started;
	struct audit_opts o;
	int dirfd;
	char dir[HIVE_PATH_MAX];
	uint64_t refused, refused_deny;        /* under mu */
	uint8_t pub_head[32];                  /* under mu: head after `durable` */
	uint64_t ckpt_req;                     /* under mu: the size the last checkpoint asked for covers */
	int rotate_due, rotating;              /* under mu: the writer wants a ROTATE; one is queued */
	char (*notes)[HIVE_AUDIT_DETAIL_MAX + 1]; /* under mu: the last checkpoint notes (a ring) */
	uint64_t nnotes;                       /* under mu: notes ever published */
	int64_t pub_epoch;                     /* under mu */
	uint64_t pub_ckpt_size;                /* under mu */
	/* The writer's own. */
	int segfd;
	uint64_t seg_first, seg_bytes, seg_opened_ms;
	struct audit_acc acc, *acc_tmp;        /* the log so far: chain, tree, counts */
	struct audit_seal seal;                /* the key of the next checkpoint's epoch */
	int64_t last_epoch;                    /* of the last checkpoint in the log, -1 none */
	char origin[AUDIT_ORIGIN_MAX + 1];
	char (*pend)[HIVE_AUDIT_DETAIL_MAX + 1]; /* notes of this batch until it is durable */
	uint64_t pend_size[AUDIT_PEND_MAX];
	uint32_t npend;
	uint8_t *buf;
	struct audit_rec *fix; /* a record being escaped or signed */
	struct audit_rec *fix_loop; /* the loop's: a record the log makes of itself */
	uint64_t batches, fsyncs, bytes, segments, ckpts;
	struct { /* the writer's counters as of its last commit, under mu */
		uint64_t batches, fsyncs, bytes, segments, seg_first, ckpts;
	} pub;
	char recovery[160];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void kick(int fd)
{
	uint64_t one = 1;
	/* A full counter still wakes the reader: nothing to do on EAGAIN. */
	if (write(fd, &one, sizeof one) < 0) {
	}
}

static void drain(int fd)
{
	uint64_t v;
	if (read(fd, &v, sizeof v) < 0) {
	}
}

/* Wait for a kick at most timeout_us (-1: for ever); the kick is consumed. */
static void wait_work(struct audit *a, int64_t timeout_us)
{
	struct pollfd p = { .fd = a->work_fd, .events = POLLIN };
	struct timespec ts = { (time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000 };

	if (ppoll(&p, 1, timeout_us < 0 ? NULL : &ts, NULL) > 0)
		drain(a->work_fd);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Begin the segment whose first record is `first` (closing the current). */
static int seg_begin(struct audit *a, uint64_t first)
{
	struct err e = { 0 };
	int fd;

	if (a->segfd >= 0)
		close(a->segfd);
	a->segfd = -1;
	fd = segment_create(a->dirfd, first, a->acc.head, &e);
	if (fd < 0) {
		fprintf(stderr, "hived: audit: %s\n", e.msg);
		return fd;
	}
	a->segfd = fd;
	a->seg_first = first;
	a->seg_bytes = AUDIT_SEG_HDR_LEN;
	a->seg_opened_ms = mono_ms();
	a->segments++;
	return 0;
}

/* Keep the seal key of the next epoch beside the segments (mode 0600):
 * written once the checkpoint that spent the old one is durable. */
static void seal_save(struct audit *a)
{
	char line[AUDIT_SEAL_LINE_MAX], path[HIVE_PATH_MAX + 16];
	int n = audit_seal_format(&a->seal, line, sizeof line), rc;

	snprintf(path, sizeof path, "%s/%s", a->dir, AUDIT_SEAL_FILE);
	rc = n < 0 ? n : fileio_write_atomic(path, line, (size_t)n, 0600);
	explicit_bzero(line, sizeof line);
	if (rc < 0)
		fprintf(stderr, "hived: audit: cannot keep the seal key in %s: %s\n", path, strerror(-rc));
}

/* The record to write for queued r: r itself, a checkpoint placeholder
 * signed and sealed over acc (the log before it), or r with its fields
 * escaped. */
static const struct audit_rec *prepare(struct audit *a, const struct audit_rec *r, const struct audit_acc *acc,
                                       struct audit_seal *seal, int *made)
{
	if (r->type == AUDIT_CHECKPOINT && !r->detail[0] && a->o.key) {
		struct audit_ckpt c;
		struct err e = { 0 };
		audit_acc_ckpt(acc, a->origin, r->wall_ns, &c);
		if (audit_ckpt_make(&c, seal, a->o.key, r->mono_ns, a->fix, &e) == 0) {
			*made = 1;
			return a->fix;
		}
		*a->fix = *r; /* never silent: a failed checkpoint is a record too */
		a->fix->result = AUDIT_R_FAIL;
		snprintf(a->fix->detail, sizeof a->fix->detail, "unsigned=1 error=%.200s", e.msg);
		audit_field_set(a->fix->detail, sizeof a->fix->detail, a->fix->detail);
		return a->fix;
	}
	return r;
}

/*
 * Commit up to n queued records starting at ring index idx: encode and
 * chain them, one write, one fdatasync. Returns how many are durable now
 * (> 0), or -errno with the segment cut back to what it held before.
 */
static int commit(struct audit *a, uint32_t idx, uint32_t n)
{
	struct audit_acc *acc = a->acc_tmp;
	struct audit_seal seal = a->seal;
	size_t len = 0, mark[HIVE_AUDIT_BATCH_MAX];
	uint32_t k = 0;
	uint64_t seq0 = a->q[idx].seq;
	int rc, rotate = 0;

	*acc = a->acc;
	a->npend = 0;
	for (; k < n && !rotate; k++) {
		const struct audit_rec *r = &a->q[(idx + k) % a->qcap];
		int made = 0;
		if (HIVE_AUDIT_BATCH_BYTES - len < HIVE_AUDIT_FRAME_MAX || a->npend >= AUDIT_PEND_MAX)
			break;
		r = prepare(a, r, acc, &seal, &made);
		int m = audit_rec_encode(r, a->buf + len, HIVE_AUDIT_BATCH_BYTES - len);
		if (m == -EINVAL) {
			/* A field encode will not take (a raw control byte): the
			 * record is kept, escaped, never dropped. */
			if (r != a->fix)
				*a->fix = *r;
			audit_field_set(a->fix->aid, sizeof a->fix->aid, r->aid);
			audit_field_set(a->fix->cap, sizeof a->fix->cap, r->cap);
			audit_field_set(a->fix->object, sizeof a->fix->object, r->object);
			audit_field_set(a->fix->detail, sizeof a->fix->detail, r->detail);
			r = a->fix;
			m = audit_rec_encode(r, a->buf + len, HIVE_AUDIT_BATCH_BYTES - len);
		}
		if (m < 0) {
			audit_seal_wipe(&seal);
			return m; /* enums are checked at append: cannot happen */
		}
		audit_acc_add(acc, r, a->buf + len, (size_t)m);
		if (made) {
			a->pend_size[a->npend] = r->seq;
			memcpy(a->pend[a->npend++], r->detail, sizeof a->pend[0]);
		}
		rotate = r->type == AUDIT_ROTATE; /* the segment ends with it */
		len += (size_t)m;
		mark[k] = len;
	}
	/* A segment past the reader's bound without its ROTATE (the loop could
	 * not queue one) is closed all the same. */
	if (a->segfd < 0 || a->seg_bytes + len > HIVE_AUDIT_SEGMENT_MAX)
		if ((rc = seg_begin(a, seq0)) < 0)
			goto fail_early;
	if (a->o.sync == AUDIT_SYNC_EACH) {
		size_t at = 0;
		for (uint32_t i = 0; i < k; i++) {
			if ((rc = write_all(a->segfd, a->buf + at, mark[i] - at)) < 0 || fdatasync(a->segfd) < 0)
				goto fail;
			a->fsyncs++;
			at = mark[i];
		}
	} else {
		if ((rc = write_all(a->segfd, a->buf, len)) < 0)
			goto fail;
		if (a->o.sync == AUDIT_SYNC_GROUP) {
			if (fdatasync(a->segfd) < 0)
				goto fail_sync;
			a->fsyncs++;
		}
	}
	a->seg_bytes += len;
	a->bytes += len;
	a->batches++;
	a->acc = *acc;
	if (a->npend) {
		a->seal = seal;
		a->ckpts += a->npend;
		seal_save(a);
	}
	audit_seal_wipe(&seal);
	if (rotate) {
		close(a->segfd);
		a->segfd = -1;
	}
	return (int)k;
fail_sync:
	rc = -errno;
	/* After a failed fdatasync the kernel may have dropped the dirty
	 * pages: that range is never retried in this segment (reference/
	 * audit.md §6.4); the retry begins a new one. */
	if (ftruncate(a->segfd, (off_t)a->seg_bytes) < 0) {
	}
	close(a->segfd);
	a->segfd = -1;
	goto fail_early;
fail:
	if (rc == 0)
		rc = -errno;
	/* ENOSPC, EFBIG: cut the partial batch so the file ends on a frame. */
	if (ftruncate(a->segfd, (off_t)a->seg_bytes) < 0) {
	}
fail_early:
	a->npend = 0;
	audit_seal_wipe(&seal);
	return rc;
}

static void *writer(void *arg)
{
	struct audit *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stop && (a->hold || a->qcount == 0)) {
			pthread_mutex_unlock(&a->mu);
			wait_work(a, -1);
			pthread_mutex_lock(&a->mu);
		}
		if (a->qcount == 0 || (a->stop && a->hold))
			break;
		if (a->qcount < a->o.batch_max && !a->waiting && !a->stop && a->o.linger_us != UINT32_MAX) {
			/* Linger a little for company: a bigger batch, the same fdatasync. */
			pthread_mutex_unlock(&a->mu);
			wait_work(a, a->o.linger_us);
			pthread_mutex_lock(&a->mu);
		}
		uint32_t n = a->qcount < a->o.batch_max ? a->qcount : a->o.batch_max, idx = a->qhead;
		pthread_mutex_unlock(&a->mu);
		int k = commit(a, idx, n);
		pthread_mutex_lock(&a->mu);
		if (k > 0) {
			a->qhead = (a->qhead + (uint32_t)k) % a->qcap;
			a->qcount -= (uint32_t)k;
			a->durable = a->q[idx].seq + (uint64_t)k;
			memcpy(a->pub_head, a->acc.head, 32);
			a->fail = 0;
			for (uint32_t i = 0; i < a->npend; i++) {
				memcpy(a->notes[a->nnotes++ % HIVE_AUDIT_CHECKPOINTS_SHOWN], a->pend[i], sizeof a->pend[0]);
				a->pub_ckpt_size = a->pend_size[i];
				a->pub_epoch = (int64_t)a->seal.epoch - 1;
			}
			if (a->segfd < 0 && !a->stop) /* after a ROTATE: the next record begins a segment */
				a->rotating = a->rotate_due = 0;
			else if (a->seg_bytes >= a->o.segment_bytes ||
			         mono_ms() - a->seg_opened_ms >= a->o.segment_age_ms)
				a->rotate_due = 1;
		} else {
			a->fail = -k;
		}
		a->pub.batches = a->batches;
		a->pub.fsyncs = a->fsyncs;
		a->pub.bytes = a->bytes;
		a->pub.segments = a->segments;
		a->pub.seg_first = a->seg_first;
		a->pub.ckpts = a->ckpts;
		pthread_cond_broadcast(&a->cv);
		kick(a->done_fd);
		if (k < 0) {
			if (a->stop) {
				fprintf(stderr, "hived: audit: %u queued records could not be written at stop: %s\n",
				        a->qcount, strerror(-k));
				break;
			}
			pthread_mutex_unlock(&a->mu);
			wait_work(a, (int64_t)HIVE_AUDIT_RETRY_MS * 1000);
			pthread_mutex_lock(&a->mu);
		}
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Replay one whole record of the log into the writer's accumulator. */
static int replay(void *arg, const struct audit_rec *r, const uint8_t *frame, size_t n)
{
	struct audit *a = arg;
	struct audit_ckpt c;
	struct err e = { 0 };

	audit_acc_add(&a->acc, r, frame, n);
	if (r->type == AUDIT_CHECKPOINT && r->result == AUDIT_R_INFO &&
	    audit_ckpt_parse(r->detail, strlen(r->detail), &c, &e) == 0) {
		a->last_epoch = (int64_t)c.epoch;
		a->pub_ckpt_size = c.size;
		a->ckpts++;
		memcpy(a->notes[a->nnotes++ % HIVE_AUDIT_CHECKPOINTS_SHOWN], r->detail, sizeof a->notes[0]);
	}
	return 0;
}

/*
 * Read the log back, every segment in order, into the accumulator: the
 * writer continues where the last whole record ends. A torn tail of the
 * last segment is cut; anything else that does not decode (a bad header,
 * a bad frame, a gap between segments, a torn frame that is not last)
 * stops the replay there, is reported, and the writer begins a new
 * segment: nothing is repaired. Fills `rec` with the AUDIT_RECOVERED
 * record to queue, if any.
 */
static int recover(struct audit *a, struct audit_rec *rec, int *have_rec, struct err *err)
{
	uint64_t *firsts = calloc(HIVE_AUDIT_SEGMENTS_MAX, sizeof *firsts);
	struct segment_scan s;
	char name[AUDIT_SEG_NAME_LEN + 1];
	int n, i, rc = 0, damaged = 0;

	*have_rec = 0;
	audit_acc_init(&a->acc);
	a->last_epoch = -1;
	snprintf(a->recovery, sizeof a->recovery, "clean");
	memset(rec, 0, sizeof *rec);
	rec->type = AUDIT_RECOVERED;
	if (!firsts)
		return err_set(err, ENOMEM, "out of memory");
	if ((n = segment_list(a->dirfd, firsts, HIVE_AUDIT_SEGMENTS_MAX)) < 0) {
		rc = err_set(err, -n, "cannot list %s: %s", a->dir, strerror(-n));
		goto out;
	}
	for (i = 0; i < n && !damaged; i++) {
		struct err e = { 0 };
		int last = i == n - 1;
		audit_seg_name(firsts[i], name);
		if (firsts[i] != a->acc.next_seq) {
			snprintf(s.why, sizeof s.why, "%s begins at seq %llu but the log before it ends at %llu", name,
			         (unsigned long long)firsts[i], (unsigned long long)a->acc.next_seq);
			damaged = 1;
			break;
		}
		if (segment_scan(a->dirfd, firsts[i], 0, &s, replay, a, &e) < 0) {
			snprintf(s.why, sizeof s.why, "%.150s", e.msg);
			damaged = 1;
		} else if (s.torn && s.size < AUDIT_SEG_HDR_LEN && last) {
			/* Cut while its header was written: it held nothing. */
			unlinkat(a->dirfd, name, 0);
			snprintf(a->recovery, sizeof a->recovery, "torn-tail header of %s", name);
			snprintf(rec->detail, sizeof rec->detail, "torn=1 segment=%s old_size=%llu dropped=%llu", name,
			         (unsigned long long)s.size, (unsigned long long)s.size);
			*have_rec = 1;
		} else if (s.damaged || (s.torn && !last)) {
			damaged = 1;
		} else if (last) {
			int fd = openat(a->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (fd < 0) {
				rc = err_set(err, errno, "cannot reopen %s: %s", name, strerror(errno));
				goto out;
			}
			if (s.torn) {
				if (ftruncate(fd, (off_t)s.good) < 0 || fdatasync(fd) < 0) {
					rc = err_set(err, errno, "cannot cut the torn tail of %s: %s", name, strerror(errno));
					close(fd);
					goto out;
				}
				fprintf(stderr, "hived: audit: %s: cut %llu bytes, recorded\n", s.why,
				        (unsigned long long)(s.size - s.good));
				snprintf(a->recovery, sizeof a->recovery, "torn-tail cut=%llu",
				         (unsigned long long)(s.size - s.good));
				snprintf(rec->detail, sizeof rec->detail,
				         "torn=1 segment=%s old_size=%llu new_size=%llu dropped=%llu last_seq=%lld", name,
				         (unsigned long long)s.size, (unsigned long long)s.good,
				         (unsigned long long)(s.size - s.good), (long long)s.next_seq - 1);
				*have_rec = 1;
			}
			a->segfd = fd;
			a->seg_first = firsts[i];
			a->seg_bytes = s.good;
			a->seg_opened_ms = mono_ms();
		}
	}
	if (damaged) {
		fprintf(stderr, "hived: audit: %s; a new segment begins at seq %llu, the damage is left for the "
		        "verifier\n", s.why, (unsigned long long)a->acc.next_seq);
		snprintf(a->recovery, sizeof a->recovery, "damaged %.150s", s.why);
		rec->result = AUDIT_R_FAIL;
		snprintf(rec->detail, sizeof rec->detail, "damaged=1 next_seq=%llu why=%.180s",
		         (unsigned long long)a->acc.next_seq, s.why);
		audit_field_set(rec->detail, sizeof rec->detail, rec->detail);
		*have_rec = 1; /* segfd stays -1: the first commit begins a new segment */
	}
	a->next_seq = a->durable = a->ckpt_req = a->acc.next_seq;
	memcpy(a->pub_head, a->acc.head, 32);
	a->pub_epoch = a->last_epoch;
out:
	free(firsts);
	return rc;
}

/* The seal key of the next epoch: <dir>/seal, or a fresh K0 printed once
 * for the operator to keep offline. A key behind the log's last epoch
 * (a crash between a durable checkpoint and the key's save) ratchets on. */
static int seal_load(struct audit *a, struct err *err)
{
	char path[HIVE_PATH_MAX + 16], text[AUDIT_SEAL_LINE_MAX + 1], hex[2 * AUDIT_SEAL_KEY_LEN + 1];
	int fd, rc;
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", a->dir, AUDIT_SEAL_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, text, sizeof text - 1);
		close(fd);
		text[n > 0 ? n : 0] = '\0';
		rc = audit_seal_parse(text, &a->seal, err);
		explicit_bzero(text, sizeof text);
		if (rc < 0)
			return rc;
	} else if (errno == ENOENT && a->last_epoch < 0) {
		if ((rc = audit_seal_init(&a->seal)) < 0)
			return err_set(err, -rc, "cannot make the audit seal key: %s", strerror(-rc));
		for (unsigned i = 0; i < AUDIT_SEAL_KEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", a->seal.key[i]);
		fprintf(stderr, "hived: audit: seal key K0 (printed once: keep it offline, `hive audit verify "
		        "--seal-key`): %s\n", hex);
		explicit_bzero(hex, sizeof hex);
		seal_save(a);
	} else {
		return err_set(err, errno == ENOENT ? ENOKEY : errno, "cannot read %s: %s (the log has %lld "
		               "checkpoints; a lost seal key cannot be made again)", path,
		               strerror(errno == ENOENT ? ENOKEY : errno), (long long)a->last_epoch + 1);
	}
	while ((int64_t)a->seal.epoch <= a->last_epoch)
		audit_seal_step(&a->seal);
	if ((int64_t)a->seal.epoch > a->last_epoch + 1)
		fprintf(stderr, "hived: audit: the seal key is at epoch %llu but the log's last checkpoint is epoch "
		        "%lld: checkpoints are missing from the log\n", (unsigned long long)a->seal.epoch,
		        (long long)a->last_epoch);
	return 0;
}

int audit_open(const char *dir, const struct audit_opts *opts, struct audit **out, struct err *err)
{
	struct audit *a = calloc(1, sizeof *a);
	struct audit_rec *rec = NULL;
	pthread_condattr_t ca;
	int have_rec = 0, rc;

	if (!a)
		return err_set(err, ENOMEM, "out of memory");
	if (opts)
		a->o = *opts;
	a->o.queue_max = a->o.queue_max ? a->o.queue_max : HIVE_AUDIT_QUEUE_MAX;
	a->o.batch_max = a->o.batch_max && a->o.batch_max < HIVE_AUDIT_BATCH_MAX ? a->o.batch_max : HIVE_AUDIT_BATCH_MAX;
	a->o.segment_bytes = a->o.segment_bytes ? a->o.segment_bytes : HIVE_AUDIT_ROTATE_BYTES;
	a->o.segment_age_ms = a->o.segment_age_ms ? a->o.segment_age_ms : HIVE_AUDIT_SEGMENT_AGE_MS;
	a->o.linger_us = a->o.linger_us ? a->o.linger_us : HIVE_AUDIT_LINGER_US;
	a->qcap = a->o.queue_max;
	a->reserve = a->qcap / 4 < HIVE_AUDIT_DENY_RESERVE ? a->qcap / 4 : HIVE_AUDIT_DENY_RESERVE;
	a->hold = a->o.hold;
	a->segfd = a->dirfd = a->work_fd = a->done_fd = -1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(a->dir, sizeof a->dir, "%s", dir);
	if (!(a->q = calloc(a->qcap, sizeof *a->q)) || !(a->buf = malloc(HIVE_AUDIT_BATCH_BYTES)) ||
	    !(a->fix = malloc(sizeof *a->fix)) || !(a->fix_loop = malloc(sizeof *a->fix_loop)) || !(a->acc_tmp = malloc(sizeof *a->acc_tmp)) ||
	    !(a->notes = calloc(HIVE_AUDIT_CHECKPOINTS_SHOWN, sizeof *a->notes)) ||
	    !(a->pend = calloc(AUDIT_PEND_MAX, sizeof *a->pend)) ||
	    !(rec = malloc(sizeof *rec))) {
		rc = err_set(err, ENOMEM, "out of memory for the audit queue");
		goto fail;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = err_set(err, errno, "cannot create %s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = err_set(err, errno, "cannot open %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (fchmod(a->dirfd, 0700) < 0) {
		rc = err_set(err, errno, "cannot make %s private: %s", dir, strerror(errno));
		goto fail;
	}
	if ((rc = recover(a, rec, &have_rec, err)) < 0)
		goto fail;
	if (a->o.key) {
		audit_ckpt_origin(&a->o.key->pub, a->origin);
		if ((rc = seal_load(a, err)) < 0)
			goto fail;
	}
	a->work_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->work_fd < 0 || a->done_fd < 0) {
		rc = err_set(err, errno, "cannot make the audit eventfds: %s", strerror(errno));
		goto fail;
	}
	/* The writer takes no signal: the loop's signalfd must get them all,
	 * and this thread may be born before the loop blocks them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->th, NULL, writer, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rc = err_set(err, rc, "cannot start the audit writer: %s", strerror(rc));
		goto fail;
	}
	a->started = 1;
	a->pub.seg_first = a->seg_first;
	a->pub.ckpts = a->ckpts;
	if (have_rec)
		audit_append(a, rec);
	free(rec);
	*out = a;
	return 0;
fail:
	free(rec);
	audit_close(a);
	return rc;
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->stop = 1;
		a->hold = 0;
		pthread_mutex_unlock(&a->mu);
		kick(a->work_fd);
		pthread_join(a->th, NULL);
	}
	if (a->segfd >= 0)
		close(a->segfd);
	if (a->dirfd >= 0)
		close(a->dirfd);
	if (a->work_fd >= 0)
		close(a->work_fd);
	if (a->done_fd >= 0)
		close(a->done_fd);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a->q);
	audit_seal_wipe(&a->seal);
	free(a->buf);
	free(a->fix);
	free(a->fix_loop);
	free(a->acc_tmp);
	free(a->notes);
	free(a->pend);
	free(a);
}

static void copy_field(char *dst, const char *src, size_t cap)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Put r in the queue (room checked): its seq, times and slot. */
static uint64_t enqueue_locked(struct audit *a, struct audit_rec *r)
{
	struct audit_rec *d = &a->q[(a->qhead + a->qcount) % a->qcap];

	r->seq = a->next_seq++;
	r->wall_ns = clock_ns(CLOCK_REALTIME);
	r->mono_ns = clock_ns(CLOCK_MONOTONIC);
	/* Field by field: a slot is ~4 KiB of bounds, a record ~200 bytes. */
	d->seq = r->seq;
	d->wall_ns = r->wall_ns;
	d->mono_ns = r->mono_ns;
	d->type = r->type;
	d->result = r->result;
	copy_field(d->aid, r->aid, sizeof d->aid);
	copy_field(d->cap, r->cap, sizeof d->cap);
	copy_field(d->object, r->object, sizeof d->object);
	copy_field(d->detail, r->detail, sizeof d->detail);
	a->qcount++;
	if (r->type == AUDIT_CHECKPOINT)
		a->ckpt_req = a->next_seq;
	return r->seq;
}

/* A record the log makes of itself (checkpoint placeholder, ROTATE). */
static void enqueue_own_locked(struct audit *a, enum audit_type type, const char *detail)
{
	struct audit_rec *r = a->fix_loop;

	memset(r, 0, sizeof *r);
	r->type = type;
	r->result = AUDIT_R_INFO;
	snprintf(r->detail, sizeof r->detail, "%s", detail);
	enqueue_locked(a, r);
}

/* After a record: the checkpoint every HIVE_AUDIT_CHECKPOINT_RECORDS, and
 * the close of a segment the writer found full or old (a checkpoint then
 * ROTATE). They take the deny reserve: the log's own records must not
 * wait behind a flood. */
static void own_records_locked(struct audit *a)
{
	char next[40];

	if (a->o.key && a->next_seq - a->ckpt_req >= HIVE_AUDIT_CHECKPOINT_RECORDS && a->qcount < a->qcap)
		enqueue_own_locked(a, AUDIT_CHECKPOINT, "");
	if (a->rotate_due && !a->rotating && a->qcount + 2 <= a->qcap) {
		if (a->o.key)
			enqueue_own_locked(a, AUDIT_CHECKPOINT, "");
		snprintf(next, sizeof next, "next=%llu", (unsigned long long)a->next_seq + 1);
		enqueue_own_locked(a, AUDIT_ROTATE, next);
		a->rotating = 1;
	}
}

int64_t audit_append(struct audit *a, struct audit_rec *r)
{
	int deny = r->type == AUDIT_DENY, wake;
	uint32_t room;
	int64_t seq;

	if ((unsigned)r->type >= AUDIT_TYPES || (unsigned)r->result >= AUDIT_RESULTS)
		return -EINVAL;
	pthread_mutex_lock(&a->mu);
	room = deny ? a->qcap : a->qcap - a->reserve;
	if (a->qcount >= room || (a->fail && !deny)) {
		int rc = a->qcount >= room ? ENOBUFS : a->fail;
		a->refused++;
		a->refused_deny += deny ? 1u : 0u;
		pthread_mutex_unlock(&a->mu);
		return -rc;
	}
	seq = (int64_t)enqueue_locked(a, r);
	own_records_locked(a);
	wake = a->qcount == 1 || a->qcount >= a->o.batch_max;
	pthread_mutex_unlock(&a->mu);
	if (wake)
		kick(a->work_fd);
	return seq;
}

int64_t audit_checkpoint(struct audit *a)
{
	int64_t seq = 0;

	if (!a->o.key)
		return -ENOKEY;
	pthread_mutex_lock(&a->mu);
	if (a->next_seq == a->ckpt_req) {
		/* Nothing since the last checkpoint: it still stands. */
	} else if (a->qcount >= a->qcap || a->fail) {
		a->refused++;
		seq = a->fail ? -a->fail : -ENOBUFS;
	} else {
		enqueue_own_locked(a, AUDIT_CHECKPOINT, "");
		seq = (int64_t)a->next_seq - 1;
	}
	pthread_mutex_unlock(&a->mu);
	if (seq > 0)
		kick(a->work_fd);
	return seq;
}

void audit_checkpoints(struct audit *a, struct strbuf *sb)
{
	pthread_mutex_lock(&a->mu);
	uint64_t from = a->nnotes > HIVE_AUDIT_CHECKPOINTS_SHOWN ? a->nnotes - HIVE_AUDIT_CHECKPOINTS_SHOWN : 0;
	for (uint64_t i = from; i < a->nnotes; i++)
		strbuf_printf(sb, "%s\n", a->notes[i % HIVE_AUDIT_CHECKPOINTS_SHOWN]);
	pthread_mutex_unlock(&a->mu);
}

int audit_ok(struct audit *a)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	rc = a->fail ? -a->fail : a->qcount >= a->qcap - a->reserve ? -ENOBUFS : 0;
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int audit_wait_durable(struct audit *a, uint64_t seq, uint32_t timeout_ms)
{
	struct timespec dl;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000u;
	dl.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->mu);
	a->waiting++;
	kick(a->work_fd); /* no lingering: someone waits */
	while (a->durable <= seq && rc == 0) {
		if (a->fail || seq >= a->next_seq)
			rc = a->fail ? -a->fail : -EINVAL;
		else if (pthread_cond_timedwait(&a->cv, &a->mu, &dl) == ETIMEDOUT && a->durable <= seq)
			rc = -ETIMEDOUT;
	}
	a->waiting--;
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int audit_event_fd(const struct audit *a)
{
	return a->done_fd;
}

void audit_ack(struct audit *a)
{
	drain(a->done_fd);
}

void audit_stats(struct audit *a, struct audit_stats *st)
{
	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&a->mu);
	st->next_seq = a->next_seq;
	st->durable = a->durable;
	st->refused = a->refused;
	st->refused_deny = a->refused_deny;
	st->batches = a->pub.batches;
	st->fsyncs = a->pub.fsyncs;
	st->bytes = a->pub.bytes;
	st->segments = a->pub.segments;
	st->seg_first = a->pub.seg_first;
	st->queued = a->qcount;
	st->fail = a->fail;
	memcpy(st->head, a->pub_head, 32);
	st->ckpt_size = a->pub_ckpt_size;
	st->ckpt_epoch = a->pub_epoch;
	st->ckpts = a->pub.ckpts;
	snprintf(st->recovery, sizeof st->recovery, "%s", a->recovery);
	pthread_mutex_unlock(&a->mu);
}

const char *audit_reason(int err)
{
	static _Thread_local char other[24];

	switch (err) {
	case 0: return "ok";
	case ENOBUFS: return "queue-full";
	case ENOSPC: return "enospc";
	case EIO: return "eio";
	case EFBIG: return "efbig";
	case EDQUOT: return "edquot";
	case EROFS: return "erofs";
	}
	snprintf(other, sizeof other, "errno-%d", err);
	return other;
}

const char *audit_dir(const struct audit *a)
{
	return a->dir;
}

void audit_release(struct audit *a)
{
	pthread_mutex_lock(&a->mu);
	a->hold = 0;
	pthread_mutex_unlock(&a->mu);
	kick(a->work_fd);
}
