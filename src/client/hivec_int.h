/*
 * hivec_int.h — libhive's private half: the connection struct and the one
 * request/reply primitive that hiveclient.c (transport, handshake, fids)
 * shares with hivec_ops.c (walks, I/O, listing). Not for tools.
 */
#ifndef HIVE_HIVEC_INT_H
#define HIVE_HIVEC_INT_H

#include <stdint.h>

#include "lib/limits.h"
#include "ninep/ninep.h"
#include "hiveclient.h"

/* Room for "walk <path>: <reason>". */
#define HIVEC_ERR_MAX (HIVE_PATH_MAX + HIVE_ERRSTR_MAX)
/* The root fid the attach holds for the whole connection. */
#define HIVEC_ROOT_FID 0u

struct hivec {
	int fd;
	int dead;            /* transport unusable: every call fails at once */
	int dead_err;        /* the -errno that killed it */
	uint32_t msize;      /* negotiated */
	uint32_t timeout_ms; /* per request/reply round trip */
	uint16_t next_tag;
	uint32_t fid_hint;   /* where the allocator looks next */
	uint64_t fidmap[HIVE_FIDS_MAX / 64];
	char version[32];
	char err[HIVEC_ERR_MAX];
	uint8_t *tx, *rx;    /* msize bytes each */
	/* Descriptors to ride on the next request (hivec_pass_fds), the
	 * caller's own: sent, never closed here. */
	int pass_fds[HIVEC_PASS_FDS_MAX];
	unsigned npass;
};

/*
 * Send t (tag filled in here) and wait for its reply into r, whose
 * strings and data point into c->rx until the next call. Rlerror becomes
 * its -errno; a reply of another type than `want`, a wrong tag, a bad
 * frame, a timeout or a dead peer marks the connection dead and returns
 * -EPROTO / -ETIMEDOUT / -ECONNRESET.
 */
int hivec_rpc(struct hivec *c, struct ninep_msg *t, uint8_t want, struct ninep_msg *r);

/* Mark the connection dead with rc (first cause wins); returns rc. */
int hivec_kill(struct hivec *c, int rc);

/* Take / give back a fid number (no wire traffic). */
int hivec_fid_alloc(struct hivec *c, uint32_t *fid);
void hivec_fid_free(struct hivec *c, uint32_t fid);

/* Set the error text to "<what> <obj>: <strerror(-rc)>" and return rc. */
int hivec_fail(struct hivec *c, int rc, const char *what, const char *obj);

#endif
