/*
 * ns_text.c — the rendered-text provider: render() runs once at open and
 * reads serve that snapshot, so a reader never sees a value torn between
 * two states (the /proc files are built on it).
 */
#include "ns.h"
#include "ns_impl.h"

#include <errno.h>
#include <stdlib.h>

struct text_priv {
	ns_render_fn render;
	void *arg;
};

static int text_open(struct ns_file *f, struct ns_err *err)
{
	struct text_priv *tp = ns_node_priv(ns_file_node(f));

	if (ns_file_omode(f) == NS_OWRITE)
		return 0;
	return ns_file_render(f, tp->render, tp->arg, err);
}

static void text_release(struct ns_node *node)
{
	free(ns_node_priv(node));
}

static const struct ns_ops text_ops = {
	.open = text_open,
	.release = text_release,
};

struct ns_node *ns_text_file(struct ns *ns, struct ns_node *parent, const char *name,
                             const struct ns_perm *perm, ns_render_fn render, void *arg)
{
	struct text_priv *tp;
	struct ns_node *node;

	if (!render) {
		errno = EINVAL;
		return NULL;
	}
	tp = calloc(1, sizeof *tp);
	if (!tp) {
		errno = ENOMEM;
		return NULL;
	}
	tp->render = render;
	tp->arg = arg;
	node = ns_mkfile(ns, parent, name, perm, &text_ops, tp);
	if (!node) {
		int e = errno;
		free(tp);
		errno = e;
	}
	return node;
}
