/*
 * queenctl.h — the queen's control files: /queen/ctl (log, lifecycle,
 * spawn, kill, grant, revoke, quota; Plan 9 words or Cohesix JSON lines)
 * and /queen/lifecycle/ctl (one lifecycle word per line). Grammar and
 * errors are in docs/namespace.md; every command becomes a queen.log row.
 *
 * The verbs of /queen/ctl are one table (queenctl.c): the word parser, the
 * JSON parser, the usage text and the hints are all made from it, so a new
 * verb is one row and a handler.
 */
#ifndef HIVE_QUEENCTL_H
#define HIVE_QUEENCTL_H

#include <stddef.h>

struct hive;
struct ns_node;
struct err;
struct principal;
struct strbuf;
struct queenctl_verb;

/* A verb with no lifecycle gate (see queenctl_verb.gate). */
#define QUEENCTL_UNGATED (-1)

/* What the verb's value may be in a JSON command. */
enum queenctl_json {
	QUEENCTL_JSON_STRING,           /* {"kill":"a-17"} */
	QUEENCTL_JSON_STRING_OR_OBJECT, /* {"spawn":"x"} or {"spawn":{...}} */
};
/* What the argument must be in either form; else EINVAL "usage: <usage>". */
enum queenctl_args {
	QUEENCTL_ARGS_ANY,  /* anything, nothing too */
	QUEENCTL_ARGS_TEXT, /* some text */
	QUEENCTL_ARGS_WORD, /* exactly one word */
};

/* Runs a verb once its argument and gate passed. arg is the rest of the
 * line (words) or the JSON string ("{...}" for an object), "" if none. */
typedef int (*queenctl_fn)(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                           const char *arg, struct strbuf *reply, struct err *err);

struct queenctl_verb {
	const char *name;          /* lower case, as written */
	int gate;                  /* enum lifecycle_gate checked first, or QUEENCTL_UNGATED */
	enum queenctl_json json;
	const char *const *fields; /* JSON fields that may ride along (NULL-terminated), or NULL */
	enum queenctl_args args;
	queenctl_fn run;
	const char *usage;         /* the words form: "kill <aid>" */
	const char *note;          /* said after its usage line, or NULL */
};

/* Create ctl and lifecycle/ctl under the /queen directory. 0 or -errno. */
int queenctl_build(struct hive *hive, struct ns_node *queen);

/* One line of /queen/ctl (ns_ctl_fn; arg is the struct hive). */
int queenctl_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply,
                  struct err *err);
/* One line of /queen/lifecycle/ctl (ns_ctl_fn). */
int queenctl_lifecycle_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply,
                            struct err *err);
/* Usage texts served by reads of the two files (ns_render_fn). */
int queenctl_usage(void *arg, const struct principal *who, struct strbuf *sb);
int queenctl_lifecycle_usage(void *arg, const struct principal *who, struct strbuf *sb);

/* The verb table; *n gets its length. */
const struct queenctl_verb *queenctl_verbs(size_t *n);
/* Reduce one /queen/ctl line (words or JSON) to its verb and argument
 * without running it: 0, or -EINVAL with err set as queenctl_line would. */
int queenctl_parse(const char *line, const struct queenctl_verb **verb, char *arg, size_t argcap,
                   struct err *err);
/* "(try: log, lifecycle, ...)": every verb, as unknown commands are told. */
void queenctl_hint(char *buf, size_t cap);

#endif
