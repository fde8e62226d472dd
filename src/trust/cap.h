/*
 * cap.h — one capability of an agent's bundle, parsed from its text form
 * (docs/manifest.md) into a typed value the spawn and the supervisor check
 * without ever parsing text again:
 *
 *   fs.read:PATH  fs.write:PATH  fs.exec:PATH   PATH absolute and clean
 *   net.connect:PORT  net.bind:PORT             PORT 1..65535, decimal
 *   infer:MODEL                                  MODEL [A-Za-z0-9._:/@+-]
 *   gpu.lease
 *   cap.grant:CAP                                CAP any of the above but
 *                                                cap.grant (no chains)
 *
 * A clean path has no empty, "." or ".." element and no trailing '/'
 * ("/" itself is allowed): the supervisor compares paths as text, so two
 * spellings of one file must not exist.
 */
#ifndef HIVE_CAP_H
#define HIVE_CAP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/limits.h"

enum cap_kind {
	CAP_FS_READ,
	CAP_FS_WRITE,
	CAP_FS_EXEC,
	CAP_NET_CONNECT,
	CAP_NET_BIND,
	CAP_INFER,
	CAP_GPU_LEASE,
	CAP_CAP_GRANT,
	CAP_KINDS,
};

struct cap {
	enum cap_kind kind;
	/* For cap.grant the capability it may grant: `of` is its kind and
	 * port/arg are its operands. For the others `of` equals kind. */
	enum cap_kind of;
	uint16_t port;  /* net.*: the port */
	char *arg;      /* fs.*: the path; infer: the model; else NULL (owned) */
};

/* Parse text into c. On success c->arg may be allocated: free it with
 * cap_clear. On failure nothing is held and err says why and the fix. */
int cap_parse(struct cap *c, const char *text, struct err *err);
void cap_clear(struct cap *c);
/* The text form of c into out. Returns its length or -ENOSPC. */
int cap_format(const struct cap *c, char *out, size_t cap);
/* The prefix of a kind, e.g. "fs.read". */
const char *cap_kind_name(enum cap_kind k);
/* 1 when two caps are the same capability. */
int cap_equal(const struct cap *a, const struct cap *b);
/* 1 when path is absolute and clean (see above) and under HIVE_PATH_MAX. */
int cap_path_clean(const char *path);

#endif
