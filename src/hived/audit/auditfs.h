/*
 * auditfs.h — the audit chain inside hived: the writer opened under
 * <state>/audit at start and drained at stop, the loop's side of its
 * eventfd (a failure said in queen.log, and said again when it ends), the
 * checkpoint cadence, the audit= lines of /proc/status, and the files
 *
 *   /audit/head         size, chain head (hex), last checkpoint
 *   /audit/checkpoints  the signed checkpoints, latest last
 *   /audit/query        write `aid=A type=T since=UNIX from=SEQ` (any
 *                       subset), read the matching durable rows on the
 *                       same open; a worker's filter is always its own aid
 *
 * head and checkpoints are for the queen and observers; query for every
 * role (a worker reads only its own records).
 */
#ifndef HIVE_AUDIT_AUDITFS_H
#define HIVE_AUDIT_AUDITFS_H

#include "audit.h"

struct hive;
struct ns_node;
struct strbuf;

/* Open the log under <state>/audit and watch its writer from the loop.
 * Returns 0 or -errno with err set (hived refuses to start without it). */
int auditfs_open(struct hive *hive, struct err *err);
/* Drain and close (after the last record: the stop row). Safe twice. */
void auditfs_close(struct hive *hive);
/* audit=ok|failing:<reason> and the counters, for /proc/status. */
void auditfs_status(struct hive *hive, struct strbuf *sb);
/* Make /audit under root. Returns 0 or -errno. */
int auditfs_build(struct hive *hive, struct ns_node *root);
/* One row of /audit/query for r, ending in '\n'. */
void auditfs_row(const struct audit_rec *r, struct strbuf *sb);

#endif
