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

/* --- snapshots (ns_snap.c) ------------------------------------------------ */

/* A rendered snapshot: immutable once made, so every open serving the
 * same render shares it (reference counted). */
struct ns_snap {
	unsigned refs;
	size_t len;
	char data[];
};
/* A snapshot of len bytes (data to be filled), holding one reference;
 * NULL when out of memory. */
struct ns_snap *ns_snap_new(size_t len);
void ns_snap_ref(struct ns_snap *snap);
void ns_snap_unref(struct ns_snap *snap);

/* What each session's open files hold, keyed by session id (0, the hive
 * itself, is never charged). The table is made on the first charge.
 * charge: 0, -EMFILE when bytes would take the session past
 * HIVE_SESSION_SNAPSHOT_BYTES_MAX, or -ENOMEM; *held is what the session
 * held before. */
struct ns_budget;
int ns_budget_charge(struct ns_budget **bp, uint64_t session, size_t bytes, size_t *held);
void ns_budget_release(struct ns_budget *b, uint64_t session, size_t bytes);
size_t ns_budget_held(const struct ns_budget *b, uint64_t session);
void ns_budget_free(struct ns_budget *b);

/* Serve snap from f (replacing what it served): takes a reference and
 * charges snap->len to the session of f's principal. Past the session's
 * budget: EMFILE and a message naming HIVE_SESSION_SNAPSHOT_BYTES_MAX,
 * nothing taken. (ns.c) */
int ns_file_snap_set(struct ns_file *f, struct ns_snap *snap, struct err *err);
/* The snapshot f serves, or NULL (for tests and providers). */
const struct ns_snap *ns_file_snap(const struct ns_file *f);
/* The tree's scratch buffer for renders, at least cap bytes (grown on
 * demand, kept for the next render); NULL when out of memory. One render
 * at a time: the namespace is single-threaded. (ns.c) */
char *ns_file_scratch(struct ns_file *f, size_t cap);

/* --- rendering (ns_text.c) ---------------------------------------------- */

/* Render for `who` into a new snapshot of at most max bytes (a bound from
 * limits.h). An overflowing render is cut at its last whole line and ends
 * with "truncated\n", so a reader sees whole lines and knows it was cut.
 * The snapshot holds exactly the bytes used. */
int ns_snap_render(struct ns_file *f, ns_render_fn render, void *arg, size_t max,
                   struct ns_snap **out, struct err *err);
/* Render with a HIVE_SNAPSHOT_MAX bound and serve it from the file. */
int ns_file_render(struct ns_file *f, ns_render_fn render, void *arg, struct err *err);
/* The same with a bound of `max` bytes (a bound from limits.h). */
int ns_file_render_max(struct ns_file *f, ns_render_fn render, void *arg, size_t max,
                       struct err *err);

#endif
