/*
 * ns_impl.h — what the built-in providers (ns_text.c, ns_ring.c, ns_ctl.c,
 * ns_cas.c) need from the tree core (ns.c) beyond the public ns.h.
 *
 * Not for the protocol layers or other parts: they use ns.h only. These
 * are the few knobs a provider kind sets on its nodes and files.
 */
#ifndef HIVE_NS_IMPL_H
#define HIVE_NS_IMPL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ns.h"

/* Add qid type bits (NS_QTAPPEND) to a file: the provider kind decides. */
void ns_node_set_qtype(struct ns_node *node, uint8_t bits);
/* ns_mkfile for a provider's constructor: on failure priv is freed (errno
 * kept), on success the node gets the qid type bits (0 or NS_QTAPPEND). */
struct ns_node *ns_mkfile_owned(struct ns *ns, struct ns_node *parent, const char *name,
                                const struct ns_perm *perm, const struct ns_ops *ops, void *priv,
                                uint8_t qtype);
/* The first step of a provider's constructor: NULL with errno EINVAL when
 * its arguments are not args_ok, NULL with ENOMEM when out of memory, else
 * a zeroed priv of size bytes for ns_mkfile_owned to take. */
static inline void *ns_priv_new(int args_ok, size_t size)
{
	void *priv;

	if (!args_ok) {
		errno = EINVAL;
		return NULL;
	}
	priv = calloc(1, size);
	if (!priv)
		errno = ENOMEM;
	return priv;
}
/* A `release` op for providers whose priv is one malloc'd block. */
void ns_release_priv(struct ns_node *node);
/* Hand a malloc'd snapshot to the file (no copy); the file frees it.
 * len must be within the bound its provider renders to. */
void ns_file_snapshot_take(struct ns_file *f, char *data, size_t len);
/* Render into a fresh HIVE_SNAPSHOT_MAX buffer and hand it to the file.
 * An overflowing render is cut at its last whole line and ends with
 * "truncated\n", so a reader sees whole lines and knows it was cut. */
int ns_file_render(struct ns_file *f, ns_render_fn render, void *arg, struct err *err);
/* The same into a buffer of `max` bytes (a bound from limits.h). */
int ns_file_render_max(struct ns_file *f, ns_render_fn render, void *arg, size_t max,
                       struct err *err);

#endif
