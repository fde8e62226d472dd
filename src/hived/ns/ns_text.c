/*
 * ns_text.c — the rendered-text provider: render() runs once at open and
 * reads serve that snapshot, so a reader never sees a value torn between
 * two states (the /proc files are built on it). A file's snapshot is
 * bounded by HIVE_SNAPSHOT_MAX unless it was made with its own bound.
 * ns_file_render (ns_impl.h) lives here too: the rendering other
 * providers (a ctl file's usage text) share.
 */
#include "ns.h"
#include "ns_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ns_file_render(struct ns_file *f, ns_render_fn render, void *arg, struct err *err)
{
	return ns_file_render_max(f, render, arg, HIVE_SNAPSHOT_MAX, err);
}

/* Render into a buffer of max + 1 bytes: one byte more than kept tells
 * an exact fit from an overflow. */
int ns_file_render_max(struct ns_file *f, ns_render_fn render, void *arg, size_t max,
                       struct err *err)
{
	static const char cut[] = "truncated\n";
	struct strbuf sb;
	char *buf, *small;
	int rc;

	if (max < sizeof cut)
		return err_set(err, EINVAL, "snapshot bound %zu is too small", max);
	buf = malloc(max + 1);
	if (!buf)
		return err_set(err, ENOMEM, "out of memory for a snapshot");
	strbuf_init(&sb, buf, max + 1);
	rc = render(arg, ns_file_who(f), &sb);
	if (rc < 0) {
		free(buf);
		return err_set(err, -rc, "render failed: %s", strerror(-rc));
	}
	if (sb.overflow) {
		size_t keep = sb.len > max - (sizeof cut - 1) ? max - (sizeof cut - 1) : sb.len;
		while (keep > 0 && buf[keep - 1] != '\n')
			keep--;
		memcpy(buf + keep, cut, sizeof cut - 1);
		sb.len = keep + sizeof cut - 1;
	}
	/* Most renders are a few lines: keep only what was used. */
	small = realloc(buf, sb.len ? sb.len : 1);
	ns_file_snapshot_take(f, small ? small : buf, sb.len);
	return 0;
}

struct text_priv {
	ns_render_fn render;
	void *arg;
	size_t max; /* snapshot bound */
};

static int text_open(struct ns_file *f, struct err *err)
{
	struct text_priv *tp = ns_node_priv(ns_file_node(f));

	if (ns_file_omode(f) == NS_OWRITE)
		return 0;
	return ns_file_render_max(f, tp->render, tp->arg, tp->max, err);
}


static const struct ns_ops text_ops = {
	.open = text_open,
	.release = ns_release_priv,
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
	struct text_priv *tp;

	tp = ns_priv_new(render != NULL && max > 0, sizeof *tp);
	if (!tp)
		return NULL;
	tp->render = render;
	tp->arg = arg;
	tp->max = max;
	return ns_mkfile_owned(ns, parent, name, perm, &text_ops, tp, 0);
}
