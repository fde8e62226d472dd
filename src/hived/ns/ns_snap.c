/*
 * ns_snap.c — rendered snapshots and what they cost each session.
 *
 * A snapshot is immutable once rendered, so every open that serves the
 * same render shares one buffer (reference counted) instead of a copy
 * each. What a session's open files hold is still charged per open —
 * the whole snapshot, shared or not — against
 * HIVE_SESSION_SNAPSHOT_BYTES_MAX: sharing bounds what hived really
 * holds, the charge bounds what one session can make it hold whatever the
 * sharing. The charges live here, keyed by the principal's session id, so
 * ns needs nothing from the session table: an entry exists while the
 * session holds bytes, and every open file releases its own charge.
 */
#include "ns.h"
#include "ns_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Hash buckets of the charge table: a few live sessions per bucket at
 * HIVE_SESSIONS_MAX, one small array per tree. */
#define NS_BUDGET_BUCKETS 256u

struct ns_snap *ns_snap_new(size_t len)
{
	struct ns_snap *snap = malloc(sizeof *snap + (len ? len : 1));

	if (!snap)
		return NULL;
	snap->refs = 1;
	snap->len = len;
	return snap;
}

void ns_snap_ref(struct ns_snap *snap)
{
	if (snap)
		snap->refs++;
}

void ns_snap_unref(struct ns_snap *snap)
{
	if (snap && --snap->refs == 0)
		free(snap);
}

/* --- the per-session charges ---------------------------------------------- */

struct budget_entry {
	uint64_t session;
	size_t bytes;
	struct budget_entry *next;
};

struct ns_budget {
	struct budget_entry *bucket[NS_BUDGET_BUCKETS];
};

static struct budget_entry **budget_slot(struct ns_budget *b, uint64_t session)
{
	/* Session ids are sequential: the low bits spread them evenly. */
	struct budget_entry **pe = &b->bucket[session % NS_BUDGET_BUCKETS];
	while (*pe && (*pe)->session != session)
		pe = &(*pe)->next;
	return pe;
}

int ns_budget_charge(struct ns_budget **bp, uint64_t session, size_t bytes, size_t *held)
{
	struct budget_entry **pe, *e;

	*held = 0;
	if (session == 0 || bytes == 0)
		return 0; /* the hive's own actions are not a session's */
	if (!*bp && !(*bp = calloc(1, sizeof **bp)))
		return -ENOMEM;
	pe = budget_slot(*bp, session);
	e = *pe;
	*held = e ? e->bytes : 0;
	if (bytes > HIVE_SESSION_SNAPSHOT_BYTES_MAX - *held)
		return -EMFILE;
	if (!e) {
		if (!(e = calloc(1, sizeof *e)))
			return -ENOMEM;
		e->session = session;
		*pe = e;
	}
	e->bytes += bytes;
	return 0;
}

void ns_budget_release(struct ns_budget *b, uint64_t session, size_t bytes)
{
	struct budget_entry **pe, *e;

	if (!b || session == 0 || bytes == 0)
		return;
	pe = budget_slot(b, session);
	if (!(e = *pe))
		return;
	e->bytes = e->bytes > bytes ? e->bytes - bytes : 0;
	if (e->bytes == 0) {
		*pe = e->next;
		free(e);
	}
}

size_t ns_budget_held(const struct ns_budget *b, uint64_t session)
{
	if (!b)
		return 0;
	for (const struct budget_entry *e = b->bucket[session % NS_BUDGET_BUCKETS]; e; e = e->next)
		if (e->session == session)
			return e->bytes;
	return 0;
}

void ns_budget_free(struct ns_budget *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < NS_BUDGET_BUCKETS; i++) {
		struct budget_entry *e = b->bucket[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(b);
}
