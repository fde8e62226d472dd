/*
 * procfs.h — the /proc files: version, status, limits, sessions, pressure,
 * 9p (requests by type), hive.pub (the hive's public signing key) and
 * lifecycle/{state,reason,since}. All are
 * rendered text (snapshot at open), readable by every role; formats are in
 * docs/namespace.md.
 */
#ifndef HIVE_PROCFS_H
#define HIVE_PROCFS_H

#include <stdint.h>

struct hive;
struct ns_node;
struct strbuf;

/* Fill the /proc directory `proc`. Returns 0 or -errno. */
int procfs_build(struct hive *hive, struct ns_node *proc);

/* The renderers, exposed for unit tests (arg is the struct hive). */
struct principal;
int procfs_render_version(void *arg, const struct principal *who, struct strbuf *sb);
int procfs_render_status(void *arg, const struct principal *who, struct strbuf *sb);
int procfs_render_limits(void *arg, const struct principal *who, struct strbuf *sb);
int procfs_render_sessions(void *arg, const struct principal *who, struct strbuf *sb);
/* Moves when a cached /proc/sessions render is out of date (see procfs.c). */
uint64_t procfs_sessions_version(void *arg);
int procfs_render_pressure(void *arg, const struct principal *who, struct strbuf *sb);
int procfs_render_9p(void *arg, const struct principal *who, struct strbuf *sb);

#endif
