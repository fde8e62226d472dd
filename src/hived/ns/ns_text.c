/*
 * ns_text.c — the rendered-text provider: render() runs at open and reads
 * serve that snapshot, so a reader never sees a value torn between two
 * states (the /proc files are built on it). A file's snapshot is bounded
 * by HIVE_SNAPSHOT_MAX unless it was made with its own bound.
 *
 * A cached file keeps its last render and hands it to later opens while
 * it is fresh (ns_text_file_cached), so a client reopening /proc/sessions
 * in a loop costs one O(sessions) render per window, and all those opens
 * share one buffer. ns_snap_render and ns_file_render (ns_impl.h) live
 * here too: the rendering other providers (a ctl file's usage) share.
 */
#include "ns.h"
#include "ns_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Render into the tree's scratch buffer of max + 1 bytes (one byte more
 * than kept tells an exact fit from an overflow), then copy what was used
 * into a snapshot of its own size: a render costs its bytes, never its
 * bound. */
int ns_snap_render(struct ns_file *f, ns_render_fn render, void *arg, size_t max,
                   struct ns_snap **out, struct err *err)
{
	static const char cut[] = "truncated\n";
	struct ns_snap *snap;
	struct strbuf sb;
	char *buf;
	int rc;

	*out = NULL;
	if (max < sizeof cut)
		return err_set(err, EINVAL, "snapshot bound %zu is too small", max);
	buf = ns_file_scratch(f, max + 1);
	if (!buf)
		return err_set(err, ENOMEM, "out of memory for a snapshot");
	strbuf_init(&sb, buf, max + 1);
	rc = render(arg, ns_file_who(f), &sb);
	if (rc < 0)
		return err_set(err, -rc, "render failed: %s", strerror(-rc));
	if (sb.overflow) {
		size_t keep = sb.len > max - (sizeof cut - 1) ? max - (sizeof cut - 1) : sb.len;
		while (keep > 0 && buf[keep - 1] != '\n')
			keep--;
		memcpy(buf + keep, cut, sizeof cut - 1);
		sb.len = keep + sizeof cut - 1;
	}
	snap = ns_snap_new(sb.len);
	if (!snap)
		return err_set(err, ENOMEM, "out of memory for a snapshot");
	memcpy(snap->data, buf, sb.len);
	*out = snap;
	return 0;
}

int ns_file_render_max(struct ns_file *f, ns_render_fn render, void *arg, size_t max,
                       struct err *err)
{
	struct ns_snap *snap;
	int rc = ns_snap_render(f, render, arg, max, &snap, err);

	if (rc < 0)
		return rc;
	rc = ns_file_snap_set(f, snap, err);
	ns_snap_unref(snap);
	return rc;
}

int ns_file_render(struct ns_file *f, ns_render_fn render, void *arg, struct err *err)
{
	return ns_file_render_max(f, render, arg, HIVE_SNAPSHOT_MAX, err);
}

struct text_priv {
	ns_render_fn render;
	void *arg;
	size_t max; /* snapshot bound */
	/* Cached files only (window_ms > 0): the last render, when it was
	 * made and the version it was made at. */
	ns_version_fn version;
	uint32_t window_ms;
	struct ns_snap *cache;
	uint64_t cache_ms, cache_version;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int text_open(struct ns_file *f, struct err *err)
{
	struct text_priv *tp = ns_node_priv(ns_file_node(f));
	struct ns_snap *snap;
	uint64_t now, version;
	int rc;

	if (ns_file_omode(f) == NS_OWRITE)
		return 0;
	if (tp->window_ms == 0)
		return ns_file_render_max(f, tp->render, tp->arg, tp->max, err);
	now = mono_ms();
	version = tp->version ? tp->version(tp->arg) : 0;
	if (tp->cache && now - tp->cache_ms < tp->window_ms && version == tp->cache_version)
		return ns_file_snap_set(f, tp->cache, err);
	rc = ns_snap_render(f, tp->render, tp->arg, tp->max, &snap, err);
	if (rc < 0)
		return rc;
	/* The old render lives on in the files still serving it. */
	ns_snap_unref(tp->cache);
	tp->cache = snap;
	tp->cache_ms = now;
	tp->cache_version = version;
	return ns_file_snap_set(f, snap, err);
}

static void text_release(struct ns_node *node)
{
	struct text_priv *tp = ns_node_priv(node);

	ns_snap_unref(tp->cache);
	free(tp);
}

static const struct ns_ops text_ops = {
	.open = text_open,
	.release = text_release,
};

struct ns_node *ns_text_file(struct ns *ns, struct ns_node *parent, const char *name,
                             const struct ns_perm *perm, ns_render_fn render, void *arg)
{
	return ns_text_file_max(ns, parent, name, perm, render, arg, HIVE_SNAPSHOT_MAX);
}

struct ns_node *ns_text_file_max(struct ns *ns, struct ns_node *parent, const char *name,
                                 const struct ns_perm *perm, ns_render_fn render, void *arg,
                                 size_t max)
{
	return ns_text_file_cached(ns, parent, name, perm, render, arg, max, NULL, 0);
}

struct ns_node *ns_text_file_cached(struct ns *ns, struct ns_node *parent, const char *name,
                                    const struct ns_perm *perm, ns_render_fn render, void *arg,
                                    size_t max, ns_version_fn version, uint32_t window_ms)
{
	struct text_priv *tp;

	tp = ns_priv_new(render != NULL && max > 0, sizeof *tp);
	if (!tp)
		return NULL;
	tp->render = render;
	tp->arg = arg;
	tp->max = max;
	tp->version = version;
	tp->window_ms = window_ms;
	return ns_mkfile_owned(ns, parent, name, perm, &text_ops, tp, 0);
}
