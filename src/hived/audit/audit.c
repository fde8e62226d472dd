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
	/* The writer's own. */
	int segfd;
	uint64_t seg_first, seg_bytes, seg_opened_ms;
	uint8_t head[32];
	uint8_t *buf;
	struct audit_rec *fix; /* a record being escaped */
	uint64_t batches, fsyncs, bytes, segments;
	struct { /* the writer's counters as of its last commit, under mu */
		uint64_t batches, fsyncs, bytes, segments, seg_first;
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
	fd = segment_create(a->dirfd, first, a->head, &e);
	if (fd < 0) {
		fprintf(stderr, "hived: audit: %s\n", e.msg);
		return fd;
	}
	a->segfd = fd;
	a->seg_first = first;
	a->seg_bytes = AUDIT_SEG_HDR_LEN;
	a->seg_opened_ms = mono_ms();
	a->segments++;
	/* TODO(h6 merge): a checkpoint at rotation, and the segment header's
	 * link (previous tree size and checkpoint hash) from h6's encoder. */
	return 0;
}

/*
 * Commit up to n queued records starting at ring index idx: encode and
 * chain them, one write, one fdatasync. Returns how many are durable now
 * (> 0), or -errno with the segment cut back to what it held before.
 */
static int commit(struct audit *a, uint32_t idx, uint32_t n)
{
	uint8_t head[32], next[32];
	size_t len = 0, mark[HIVE_AUDIT_BATCH_MAX];
	uint32_t k = 0;
	uint64_t seq0 = a->q[idx].seq;
	int rc;

	memcpy(head, a->head, 32);
	for (; k < n; k++) {
		const struct audit_rec *r = &a->q[(idx + k) % a->qcap];
		if (HIVE_AUDIT_BATCH_BYTES - len < HIVE_AUDIT_FRAME_MAX)
			break;
		int m = audit_rec_encode(r, a->buf + len, HIVE_AUDIT_BATCH_BYTES - len);
		if (m == -EINVAL) {
			/* A field encode will not take (a raw control byte): the
			 * record is kept, escaped, never dropped. */
			*a->fix = *r;
			audit_field_set(a->fix->aid, sizeof a->fix->aid, r->aid);
			audit_field_set(a->fix->cap, sizeof a->fix->cap, r->cap);
			audit_field_set(a->fix->object, sizeof a->fix->object, r->object);
			audit_field_set(a->fix->detail, sizeof a->fix->detail, r->detail);
			r = a->fix;
			m = audit_rec_encode(r, a->buf + len, HIVE_AUDIT_BATCH_BYTES - len);
		}
		if (m < 0)
			return m; /* enums are checked at append: cannot happen */
		audit_chain_next(head, r->seq, a->buf + len, (size_t)m, next);
		memcpy(head, next, 32);
		len += (size_t)m;
		mark[k] = len;
	}
	if (a->segfd < 0 || a->seg_bytes >= a->o.segment_bytes || mono_ms() - a->seg_opened_ms >= a->o.segment_age_ms)
		if ((rc = seg_begin(a, seq0)) < 0)
			return rc;
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
	memcpy(a->head, head, 32);
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
	return rc;
fail:
	if (rc == 0)
		rc = -errno;
	/* ENOSPC, EFBIG: cut the partial batch so the file ends on a frame. */
	if (ftruncate(a->segfd, (off_t)a->seg_bytes) < 0) {
	}
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
			memcpy(a->pub_head, a->head, 32);
			a->fail = 0;
		} else {
			a->fail = -k;
		}
		a->pub.batches = a->batches;
		a->pub.fsyncs = a->fsyncs;
		a->pub.bytes = a->bytes;
		a->pub.segments = a->segments;
		a->pub.seg_first = a->seg_first;
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

/* Read the last segment back: its end is where the writer continues. A
 * torn tail is cut; a damaged segment is left as it is and a new one
 * begun. Fills `rec` with the AUDIT_RECOVERED record to queue, if any. */
static int recover(struct audit *a, struct audit_rec *rec, int *have_rec, struct err *err)
{
	uint64_t *firsts = calloc(HIVE_AUDIT_SEGMENTS_MAX, sizeof *firsts);
	struct segment_scan s;
	char name[AUDIT_SEG_NAME_LEN + 1];
	int n, rc = 0;

	*have_rec = 0;
	snprintf(a->recovery, sizeof a->recovery, "clean");
	if (!firsts)
		return err_set(err, ENOMEM, "out of memory");
	if ((n = segment_list(a->dirfd, firsts, HIVE_AUDIT_SEGMENTS_MAX)) < 0) {
		rc = err_set(err, -n, "cannot list %s: %s", a->dir, strerror(-n));
		goto out;
	}
	while (n > 0) {
		struct err e = { 0 };
		uint64_t first = firsts[--n];
		audit_seg_name(first, name);
		rc = segment_scan(a->dirfd, first, &s, NULL, NULL, &e);
		if (rc < 0 || (s.torn && s.size < AUDIT_SEG_HDR_LEN)) {
			/* No header to continue from: set it aside, read the one before. */
			char aside[AUDIT_SEG_NAME_LEN + 16];
			fprintf(stderr, "hived: audit: %s: %s; set aside, not repaired\n", name, rc < 0 ? e.msg : s.why);
			snprintf(a->recovery, sizeof a->recovery, "damaged %s", name);
			snprintf(aside, sizeof aside, "%s.damaged", name);
			renameat(a->dirfd, name, a->dirfd, aside);
			rc = 0;
			continue;
		}
		a->next_seq = s.next_seq;
		memcpy(a->head, s.head, 32);
		memcpy(a->pub_head, s.head, 32);
		a->durable = s.next_seq;
		memset(rec, 0, sizeof *rec);
		rec->type = AUDIT_RECOVERED;
		snprintf(rec->object, sizeof rec->object, "%s", name);
		if (s.damaged) {
			fprintf(stderr, "hived: audit: %s; a new segment begins, the damage is left for the verifier\n",
			        s.why);
			snprintf(a->recovery, sizeof a->recovery, "damaged %.140s", s.why);
			rec->result = AUDIT_R_FAIL;
			snprintf(rec->detail, sizeof rec->detail, "damaged=1 size=%llu good=%llu next_seq=%llu",
			         (unsigned long long)s.size, (unsigned long long)s.good, (unsigned long long)s.next_seq);
			*have_rec = 1;
			break; /* segfd stays -1: the first commit begins a new segment */
		}
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
			rec->result = AUDIT_R_INFO;
			snprintf(rec->detail, sizeof rec->detail, "torn=1 old_size=%llu new_size=%llu dropped=%llu last_seq=%lld",
			         (unsigned long long)s.size, (unsigned long long)s.good,
			         (unsigned long long)(s.size - s.good), (long long)s.next_seq - 1);
			*have_rec = 1;
		}
		a->segfd = fd;
		a->seg_first = first;
		a->seg_bytes = s.good;
		a->seg_opened_ms = mono_ms();
		break;
	}
out:
	free(firsts);
	return rc;
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
	a->o.segment_bytes = a->o.segment_bytes ? a->o.segment_bytes : HIVE_AUDIT_SEGMENT_MAX;
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
	    !(a->fix = malloc(sizeof *a->fix)) ||
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
	/* TODO(h6 merge): a final checkpoint before the segment closes. */
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
	free(a->buf);
	free(a->fix);
	free(a);
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
	r->seq = a->next_seq++;
	r->wall_ns = clock_ns(CLOCK_REALTIME);
	r->mono_ns = clock_ns(CLOCK_MONOTONIC);
	a->q[(a->qhead + a->qcount) % a->qcap] = *r;
	a->qcount++;
	wake = a->qcount == 1 || a->qcount == a->o.batch_max;
	seq = (int64_t)r->seq;
	pthread_mutex_unlock(&a->mu);
	if (wake)
		kick(a->work_fd);
	return seq;
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
