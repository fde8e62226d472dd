/*
 * ns_ring.c — the append-only ring: a bounded window of bytes with
 * absolute offsets (logs, telemetry), and the provider that serves a ring
 * as a file.
 *
 * Offsets never reset, so a reader resumes with the offset it stopped at;
 * when the window has moved past it, a log reader starts at the base
 * (CLAMP) and a telemetry reader is told where to resume (STALE). A ring
 * outlives or predeceases its files in either order: each side unhooks
 * the other.
 */
#include "ns.h"
#include "ns_impl.h"
#include "lib/logline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ring_srv;

struct ns_ring {
	char *buf;
	size_t cap;
	uint64_t base, end; /* absolute offsets: [base, end) is kept */
	enum ns_ring_policy policy;
	struct ring_srv *srvs; /* files serving this ring */
};

/* The priv of a ring file. */
struct ring_srv {
	struct ns_ring *ring; /* NULL once the ring is freed */
	struct ns_node *node;
	int writable;
	struct ring_srv *next, *prev;
};

struct ns_ring *ns_ring_new(size_t capacity, enum ns_ring_policy policy)
{
	struct ns_ring *ring;

	if (capacity == 0) {
		errno = EINVAL;
		return NULL;
	}
	ring = calloc(1, sizeof *ring);
	if (!ring || !(ring->buf = malloc(capacity))) {
		free(ring);
		errno = ENOMEM;
		return NULL;
	}
	ring->cap = capacity;
	ring->policy = policy;
	return ring;
}

void ns_ring_free(struct ns_ring *ring)
{
	if (!ring)
		return;
	for (struct ring_srv *s = ring->srvs; s; s = s->next)
		s->ring = NULL;
	free(ring->buf);
	free(ring);
}

void ns_ring_append(struct ns_ring *ring, const void *data, size_t len)
{
	const char *p = data;

	if (!ring || len == 0)
		return;
	/* Bytes that would fall off at once are counted, not copied: offsets
	 * stay the count of bytes ever appended. */
	if (len > ring->cap) {
		ring->end += len - ring->cap;
		p += len - ring->cap;
		len = ring->cap;
	}
	size_t at = (size_t)(ring->end % ring->cap);
	size_t first = ring->cap - at < len ? ring->cap - at : len;
	memcpy(ring->buf + at, p, first);
	memcpy(ring->buf, p + first, len - first);
	ring->end += len;
	if (ring->end - ring->base > ring->cap)
		ring->base = ring->end - ring->cap;
	for (struct ring_srv *s = ring->srvs; s; s = s->next)
		ns_node_touch(s->node);
}

uint64_t ns_ring_end(const struct ns_ring *ring)
{
	return ring ? ring->end : 0;
}

uint64_t ns_ring_base(const struct ns_ring *ring)
{
	return ring ? ring->base : 0;
}

ssize_t ns_ring_read(const struct ns_ring *ring, uint64_t off, void *buf, size_t n, struct err *err)
{
	if (!ring)
		return err_set(err, ENOENT, "ring is gone");
	if (off < ring->base) {
		if (ring->policy == NS_RING_STALE)
			return err_set(err, ESTALE, "offset stale: resume at %llu",
			               (unsigned long long)ring->base);
		off = ring->base;
	}
	if (off >= ring->end || n == 0)
		return 0;
	uint64_t avail = ring->end - off;
	size_t m = avail < n ? (size_t)avail : n;
	size_t at = (size_t)(off % ring->cap);
	size_t first = ring->cap - at < m ? ring->cap - at : m;
	memcpy(buf, ring->buf + at, first);
	memcpy((char *)buf + first, ring->buf, m - first);
	return (ssize_t)m;
}

/* --- the file ------------------------------------------------------------- */

/*
 * A clamp reader below the window cannot be told to jump (9P offsets are
 * the client's), and serving the base again at every offset below it
 * would repeat the window's head base/iounit times. So each open file
 * keeps a skew: the first read below the base maps the client's offset
 * onto the base, and later reads of that open follow on from there. A
 * sequential reader (cat) sees every kept byte once, then EOF.
 */
static ssize_t ring_file_read(struct ns_file *f, uint64_t off, void *buf, size_t n, struct err *err)
{
	struct ring_srv *s = ns_node_priv(ns_file_node(f));
	void **state = ns_file_state(f);
	uint64_t *skew = *state;

	if (!s->ring || s->ring->policy != NS_RING_CLAMP)
		return ns_ring_read(s->ring, off, buf, n, err);
	/* An offset the skew would carry past 2^64 lies beyond any byte a
	 * ring will ever hold: end of file, not a wrap back into the window. */
	if (skew && off > UINT64_MAX - *skew)
		return 0;
	uint64_t at = off + (skew ? *skew : 0);
	if (at < s->ring->base) {
		if (!skew) {
			skew = calloc(1, sizeof *skew);
			if (!skew)
				return err_set(err, ENOMEM, "out of memory");
			*state = skew;
		}
		*skew += s->ring->base - at;
		at = s->ring->base;
	}
	return ns_ring_read(s->ring, at, buf, n, err);
}

static void ring_file_close(struct ns_file *f)
{
	void **state = ns_file_state(f);
	free(*state);
	*state = NULL;
}

/* One write of a line log: escaped onto one line, '\n'-terminated. */
static ssize_t ring_line_write(struct ring_srv *s, const char *buf, size_t n, struct err *err)
{
	char line[HIVE_LOG_LINE_MAX + 1];
	size_t len = n, w;

	if (n > HIVE_LOG_LINE_MAX)
		return err_set(err, EINVAL, "line too long: %zu bytes (max %u)", n, HIVE_LOG_LINE_MAX);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0)
		return (ssize_t)n; /* a blank line adds nothing */
	w = logline_escape(line, sizeof line - 1, buf, len, 0);
	line[w++] = '\n';
	ns_ring_append(s->ring, line, w);
	return (ssize_t)n;
}

static ssize_t ring_file_write(struct ns_file *f, uint64_t off, const void *buf, size_t n,
                               struct err *err)
{
	struct ring_srv *s = ns_node_priv(ns_file_node(f));

	if (!s->ring)
		return err_set(err, ENOENT, "ring is gone");
	if (s->writable == NS_RING_WRITE_LINE)
		return ring_line_write(s, buf, n, err);
	ns_ring_append(s->ring, buf, n); /* append-only: off is ignored */
	return (ssize_t)n;
}

static uint64_t ring_file_length(const struct ns_node *node)
{
	struct ring_srv *s = ns_node_priv(node);
	return ns_ring_end(s->ring);
}

static void ring_file_release(struct ns_node *node)
{
	struct ring_srv *s = ns_node_priv(node);

	if (s->ring) {
		if (s->prev)
			s->prev->next = s->next;
		else
			s->ring->srvs = s->next;
		if (s->next)
			s->next->prev = s->prev;
	}
	free(s);
}

static const struct ns_ops ring_ro_ops = {
	.read = ring_file_read,
	.length = ring_file_length,
	.close = ring_file_close,
	.release = ring_file_release,
};

static const struct ns_ops ring_rw_ops = {
	.read = ring_file_read,
	.write = ring_file_write,
	.length = ring_file_length,
	.close = ring_file_close,
	.release = ring_file_release,
};

struct ns_node *ns_ring_file(struct ns *ns, struct ns_node *parent, const char *name,
                             const struct ns_perm *perm, struct ns_ring *ring, int writable)
{
	struct ring_srv *s;
	struct ns_node *node;

	s = ns_priv_new(ring != NULL, sizeof *s);
	if (!s)
		return NULL;
	s->ring = ring;
	s->writable = writable;
	node = ns_mkfile_owned(ns, parent, name, perm, writable ? &ring_rw_ops : &ring_ro_ops, s,
	                       NS_QTAPPEND);
	if (!node)
		return NULL;
	s->node = node;
	s->next = ring->srvs;
	if (ring->srvs)
		ring->srvs->prev = s;
	ring->srvs = s;
	return node;
}
