/*
 * queenctl.h — the queen's control files: /queen/ctl (log, lifecycle,
 * spawn, kill, grant, revoke; Plan 9 words or Cohesix JSON lines) and
 * /queen/lifecycle/ctl (one lifecycle word per line). Grammar and errors
 * are in docs/namespace.md; every command becomes a queen.log row.
 */
#ifndef HIVE_QUEENCTL_H
#define HIVE_QUEENCTL_H

struct hive;
struct ns_node;
struct err;
struct principal;
struct strbuf;

/* Create ctl and lifecycle/ctl under the /queen directory. 0 or -errno. */
int queenctl_build(struct hive *hive, struct ns_node *queen);

/* One line of /queen/ctl (ns_ctl_fn; arg is the struct hive). */
int queenctl_line(void *arg, const struct principal *who, const char *line, struct err *err);
/* One line of /queen/lifecycle/ctl (ns_ctl_fn). */
int queenctl_lifecycle_line(void *arg, const struct principal *who, const char *line, struct err *err);
/* Usage texts served by reads of the two files (ns_render_fn). */
int queenctl_usage(void *arg, const struct principal *who, struct strbuf *sb);
int queenctl_lifecycle_usage(void *arg, const struct principal *who, struct strbuf *sb);

#endif
