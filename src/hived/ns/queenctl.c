/*
 * queenctl.c — the /queen/ctl and /queen/lifecycle/ctl grammars.
 *
 * /queen/ctl takes one command per line, either as Plan 9 words
 * (`lifecycle cordon`) or as one Cohesix-style JSON object
 * ({"lifecycle":"cordon"}) with strict field checking: an unknown field
 * is an error, never ignored, so a typo cannot silently do less than the
 * queen meant. Both forms reduce to (verb row, argument) and run the same
 * checks and handler. The verbs are one table, qc_verbs: both parsers,
 * the usage text and the hints are made from it, so they cannot drift.
 * Every command, accepted or refused, leaves a "ctl" row; lifecycle
 * commands also leave a "lifecycle" row with old/new state or the denial.
 */
#include "queenctl.h"
#include "hived/core/hive.h"
#include "hived/agent/agent.h"
#include "hived/core/loop.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define QC_VERB_MAX 16 /* longest verb word kept for a row ("lifecycle" is 9) */
#define QC_ARG_SHOWN 32 /* bytes of an unknown word quoted back in an error */
#define QC_HINT_MAX 128 /* "(try: ...)" with every verb */

static const char qc_ctl_path[] = "/queen/ctl";
static const char qc_lc_path[] = "/queen/lifecycle/ctl";

static const char *errno_name(int code)
{
	switch (code) {
	case EINVAL: return "EINVAL";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	default: return "EIO";
	}
}

/* Join the lifecycle words with sep ("cordon, drain, ..."). */
static void qc_lc_words(char *buf, size_t cap, const char *sep)
{
	struct strbuf sb;
	const char *w;

	strbuf_init(&sb, buf, cap);
	for (unsigned i = 0; (w = lifecycle_command_word(i)); i++)
		strbuf_printf(&sb, "%s%s", i ? sep : "", w);
}

/* --- lifecycle ------------------------------------------------------------ */

/* A lifecycle command refused: through the deny door as a `lifecycle` row
 * (op ctl; busy for outstanding work, policy for the rest). */
static void qc_lc_deny(struct hive *hive, const struct principal *who, const char *path, const char *cmd,
                       enum lifecycle_result res)
{
	static const struct hive_deny_opts lc = { .family = "lifecycle" };
	const char *state = lifecycle_state_name(hive->lifecycle.state);

	if (res == LC_BUSY)
		hive_deny_with(hive, who, HIVE_PRESSURE_BUSY, HIVE_DENY_CTL, path, "outstanding-work", &lc,
		               "action=%.*s state=%s outstanding=%u", QC_ARG_SHOWN, cmd, state,
		               hive->lifecycle.outstanding);
	else
		hive_deny_with(hive, who, HIVE_PRESSURE_POLICY, HIVE_DENY_CTL, path,
		               res == LC_INVALID_TRANSITION ? "invalid-transition" : "invalid-command", &lc,
		               "action=%.*s state=%s", QC_ARG_SHOWN, cmd, state);
}

/* Apply one lifecycle word and log the transition. A refusal is the
 * lifecycle file's own row (path is qc_lc_path); on /queen/ctl it is the
 * command's ctl row, written by queenctl_line: one refusal, one row. */
static int qc_lifecycle(struct hive *hive, const struct principal *who, const char *path, const char *cmd,
                        struct err *err)
{
	enum lifecycle_state old = hive->lifecycle.state;
	enum lifecycle_result res;

	res = lifecycle_command(&hive->lifecycle, cmd, loop_now_ms(), &old, err);
	if (res != LC_OK) {
		if (path == qc_lc_path)
			qc_lc_deny(hive, who, path, cmd, res);
		return -lifecycle_result_errno(res);
	}
	hive_event(hive, who, "lifecycle", path, "old=%s new=%s reason=%s", lifecycle_state_name(old),
	           lifecycle_state_name(hive->lifecycle.state), hive->lifecycle.reason);
	return 0;
}

/* Trim blanks at both ends in place; returns the start. */
static char *qc_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

int queenctl_lifecycle_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply,
                            struct err *err)
{
	char buf[HIVE_CTL_LINE_MAX + 1], words[QC_HINT_MAX];
	char *cmd;

	snprintf(buf, sizeof buf, "%s", line);
	cmd = qc_trim(buf);
	if (strpbrk(cmd, " \t")) {
		qc_lc_deny(arg, who, qc_lc_path, cmd, LC_UNKNOWN_COMMAND);
		qc_lc_words(words, sizeof words, ", ");
		return err_set(err, EINVAL, "one lifecycle command per line (try: %s)", words);
	}
	return qc_lifecycle(arg, who, qc_lc_path, cmd, err);
}

int queenctl_lifecycle_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	char words[QC_HINT_MAX];

	qc_lc_words(words, sizeof words, " | ");
	strbuf_printf(sb, "usage: one command per line: %s\nstate=%s\n", words,
	              lifecycle_state_name(hive->lifecycle.state));
	return 0;
}

/* --- the verbs of /queen/ctl ---------------------------------------------- */

static int qc_log(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                  const char *arg, struct strbuf *reply, struct err *err)
{
	hive_event(hive, who, "log", NULL, "%s", arg);
	return 0;
}

static int qc_lifecycle_verb(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                             const char *arg, struct strbuf *reply, struct err *err)
{
	return qc_lifecycle(hive, who, qc_ctl_path, arg, err);
}

/* --- the agent verbs: words, or a JSON string of the same words --------- */

/* Split "<aid> <rest>" into aid and a non-empty rest. */
static int qc_aid_rest(const char *arg, char *aid, size_t cap, const char **rest,
                       const struct queenctl_verb *verb, struct err *err)
{
	size_t n = strcspn(arg, " \t");

	if (n == 0 || n >= cap)
		return err_set(err, EINVAL, "usage: %s", verb->usage);
	memcpy(aid, arg, n);
	aid[n] = '\0';
	*rest = arg + n + strspn(arg + n, " \t");
	if (!**rest)
		return err_set(err, EINVAL, "usage: %s", verb->usage);
	return 0;
}

static int qc_spawn(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                    const char *arg, struct strbuf *reply, struct err *err)
{
	char path[HIVE_PATH_MAX], sig[HIVE_PATH_MAX];
	struct agent_spawn_opts opts = { 0 };
	const char *p = arg;
	size_t n;

	if (arg[0] == '{')
		return err_set(err, EINVAL, "spawn: an inline manifest is not taken; write its signed file's path: %s",
		               verb->usage);
	n = strcspn(p, " \t");
	if (n == 0 || n >= sizeof path)
		return err_set(err, EINVAL, "usage: %s", verb->usage);
	memcpy(path, p, n);
	path[n] = '\0';
	for (p += n; *(p += strspn(p, " \t"));) {
		n = strcspn(p, " \t");
		if (n > 4 && strncmp(p, "sig=", 4) == 0 && n - 4 < sizeof sig) {
			memcpy(sig, p + 4, n - 4);
			sig[n - 4] = '\0';
			opts.sig_path = sig;
		} else if (n == 12 && strncmp(p, "stdio=passed", 12) == 0) {
			opts.stdio_passed = 1;
		} else {
			return err_set(err, EINVAL, "spawn: unknown option '%.*s' (try: sig=PATH, stdio=passed)", (int)n, p);
		}
		p += n;
	}
	return agents_spawn(hive, who, path, &opts, reply, err);
}

static int qc_kill(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                   const char *arg, struct strbuf *reply, struct err *err)
{
	return agents_kill(hive, who, arg, err);
}

static int qc_quarantine(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                         const char *arg, struct strbuf *reply, struct err *err)
{
	return agents_quarantine(hive, who, arg, err);
}

static int qc_resume(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                     const char *arg, struct strbuf *reply, struct err *err)
{
	return agents_resume(hive, who, arg, err);
}

/* grant, revoke and quota: "<aid> <rest>", then the agent part's verb. */
typedef int (*qc_agent_fn)(struct hive *hive, const struct principal *who, const char *aid, const char *rest,
                           struct err *err);

static int qc_aid_verb(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                       const char *arg, qc_agent_fn fn, struct err *err)
{
	char aid[HIVE_AID_MAX + 1];
	const char *rest = "";
	int rc = qc_aid_rest(arg, aid, sizeof aid, &rest, verb, err);

	return rc < 0 ? rc : fn(hive, who, aid, rest, err);
}

static int qc_grant(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                    const char *arg, struct strbuf *reply, struct err *err)
{
	return qc_aid_verb(hive, who, verb, arg, agents_grant, err);
}

static int qc_revoke(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                     const char *arg, struct strbuf *reply, struct err *err)
{
	return qc_aid_verb(hive, who, verb, arg, agents_revoke, err);
}

static int qc_quota(struct hive *hive, const struct principal *who, const struct queenctl_verb *verb,
                    const char *arg, struct strbuf *reply, struct err *err)
{
	return qc_aid_verb(hive, who, verb, arg, agents_quota, err);
}

/* Fields that may ride along with spawn (Cohesix's spawn carries them). */
static const char *const qc_spawn_fields[] = { "ticks", "budget", "lease", NULL };

/* New work (spawn, grant) waits for ONLINE; kill, revoke and quota act on
 * what already runs, so a draining hive can still stop or shrink it. The
 * lifecycle usage lists lifecycle.c's words (a unit test keeps them equal). */
static const struct queenctl_verb qc_verbs[] = {
	{ .name = "log", .gate = QUEENCTL_UNGATED, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_TEXT,
	  .run = qc_log, .usage = "log <text>" },
	{ .name = "lifecycle", .gate = QUEENCTL_UNGATED, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_WORD,
	  .run = qc_lifecycle_verb, .usage = "lifecycle cordon|drain|quiesce|resume|reset" },
	{ .name = "spawn", .gate = LC_GATE_NEW_WORK, .json = QUEENCTL_JSON_STRING_OR_OBJECT,
	  .fields = qc_spawn_fields, .args = QUEENCTL_ARGS_TEXT, .run = qc_spawn,
	  .usage = "spawn <manifest-path> [sig=<path>] [stdio=passed]",
	  .note = "a read on the same open returns the new AIDs" },
	{ .name = "kill", .gate = QUEENCTL_UNGATED, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_WORD,
	  .run = qc_kill, .usage = "kill <aid>" },
	{ .name = "quarantine", .gate = QUEENCTL_UNGATED, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_WORD,
	  .run = qc_quarantine, .usage = "quarantine <aid>" },
	{ .name = "resume", .gate = LC_GATE_NEW_WORK, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_WORD,
	  .run = qc_resume, .usage = "resume <aid>" },
	{ .name = "grant", .gate = LC_GATE_NEW_WORK, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_TEXT,
	  .run = qc_grant, .usage = "grant <aid> <cap>" },
	{ .name = "revoke", .gate = QUEENCTL_UNGATED, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_TEXT,
	  .run = qc_revoke, .usage = "revoke <aid> <cap>" },
	{ .name = "quota", .gate = QUEENCTL_UNGATED, .json = QUEENCTL_JSON_STRING, .args = QUEENCTL_ARGS_TEXT,
	  .run = qc_quota, .usage = "quota <aid> <key>=<value>..." },
};
#define QC_NVERBS (sizeof qc_verbs / sizeof qc_verbs[0])

const struct queenctl_verb *queenctl_verbs(size_t *n)
{
	*n = QC_NVERBS;
	return qc_verbs;
}

void queenctl_hint(char *buf, size_t cap)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, cap);
	strbuf_printf(&sb, "(try:");
	for (size_t i = 0; i < QC_NVERBS; i++)
		strbuf_printf(&sb, "%s %s", i ? "," : "", qc_verbs[i].name);
	strbuf_printf(&sb, ")");
}

static const struct queenctl_verb *qc_find(const char *name)
{
	for (size_t i = 0; i < QC_NVERBS; i++)
		if (strcmp(name, qc_verbs[i].name) == 0)
			return &qc_verbs[i];
	return NULL;
}

/* The verb whose JSON fields hold key, or NULL. */
static const struct queenctl_verb *qc_field_owner(const char *key)
{
	for (size_t i = 0; i < QC_NVERBS; i++)
		for (const char *const *f = qc_verbs[i].fields; f && *f; f++)
			if (strcmp(key, *f) == 0)
				return &qc_verbs[i];
	return NULL;
}

/* --- parsing -------------------------------------------------------------- */

/* One parsed command: what the row shows and what runs. */
struct qc_cmd {
	const char *form;            /* "text" or "json" */
	char word[QC_VERB_MAX + 1];  /* the verb as written, cut for the row; "-" if none */
	const struct queenctl_verb *verb;
	char *arg;                   /* caller's buffer of argcap bytes */
	size_t argcap;
};

/* Check a JSON command and reduce it to (verb, arg). */
static int qc_json(const char *line, struct qc_cmd *cmd, struct err *err)
{
	char hint[QC_HINT_MAX];
	json_error_t jerr;
	json_t *root, *val = NULL;
	const char *key, *vkey = NULL, *extra = NULL;
	const struct queenctl_verb *v = NULL, *owner = NULL;
	int rc = 0;

	root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(err, EINVAL, "invalid queen command: %s at column %d", jerr.text, jerr.column);
	if (!json_is_object(root)) {
		rc = err_set(err, EINVAL, "invalid queen command: not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, val) {
		const struct queenctl_verb *found = qc_find(key), *fowner;
		if (found) {
			if (vkey) {
				rc = err_set(err, EINVAL, "invalid queen command: more than one verb ('%s', '%s')", vkey, key);
				goto out;
			}
			vkey = key;
			v = found;
		} else if ((fowner = qc_field_owner(key))) {
			extra = key;
			owner = fowner;
		} else {
			rc = err_set(err, EINVAL, "invalid queen command: unknown field '%.*s'", QC_ARG_SHOWN, key);
			goto out;
		}
	}
	if (!v) {
		queenctl_hint(hint, sizeof hint);
		rc = err_set(err, EINVAL, "invalid queen command: no verb %s", hint);
		goto out;
	}
	if (extra && owner != v) {
		rc = err_set(err, EINVAL, "invalid queen command: field '%s' only goes with %s", extra, owner->name);
		goto out;
	}
	val = json_object_get(root, vkey);
	snprintf(cmd->word, sizeof cmd->word, "%s", vkey);
	cmd->verb = v;
	cmd->arg[0] = '\0';
	if (json_is_string(val)) {
		const char *s = json_string_value(val);
		if (strpbrk(s, "\n\r")) {
			rc = err_set(err, EINVAL, "invalid queen command: '%s' holds a line break", vkey);
			goto out;
		}
		if (strlen(s) >= cmd->argcap) {
			rc = err_set(err, EINVAL, "invalid queen command: '%s' is too long", vkey);
			goto out;
		}
		snprintf(cmd->arg, cmd->argcap, "%s", s);
	} else if (v->json == QUEENCTL_JSON_STRING_OR_OBJECT) {
		if (!json_is_object(val)) {
			rc = err_set(err, EINVAL, "invalid queen command: '%s' must be a string or an object", vkey);
			goto out;
		}
		snprintf(cmd->arg, cmd->argcap, "{...}");
	} else {
		rc = err_set(err, EINVAL, "invalid queen command: '%s' must be a string", vkey);
	}
out:
	json_decref(root);
	if (rc < 0)
		cmd->verb = NULL;
	return rc;
}

/* Reduce a line (any form) to cmd; on an unknown verb word cmd->word
 * still names it for the row. */
static int qc_parse(const char *line, struct qc_cmd *cmd, struct err *err)
{
	char buf[HIVE_CTL_LINE_MAX + 1], hint[QC_HINT_MAX], *p, *rest;

	snprintf(cmd->word, sizeof cmd->word, "-");
	cmd->verb = NULL;
	cmd->arg[0] = '\0';
	snprintf(buf, sizeof buf, "%s", line);
	p = qc_trim(buf);
	if (p[0] == '{') {
		cmd->form = "json";
		return qc_json(p, cmd, err);
	}
	cmd->form = "text";
	rest = p + strcspn(p, " \t");
	if (*rest)
		*rest++ = '\0';
	rest = qc_trim(rest);
	snprintf(cmd->word, sizeof cmd->word, "%s", p);
	cmd->verb = qc_find(p);
	if (!cmd->verb) {
		queenctl_hint(hint, sizeof hint);
		return err_set(err, EINVAL, "unknown command '%.*s' %s", QC_ARG_SHOWN, p, hint);
	}
	if (strlen(rest) >= cmd->argcap)
		return err_set(err, EINVAL, "%s: argument too long", cmd->verb->name);
	snprintf(cmd->arg, cmd->argcap, "%s", rest);
	return 0;
}

int queenctl_parse(const char *line, const struct queenctl_verb **verb, char *arg, size_t argcap,
                   struct err *err)
{
	struct qc_cmd cmd = { .arg = arg, .argcap = argcap };
	int rc;

	*verb = NULL;
	if (argcap == 0)
		return err_set(err, EINVAL, "no room for the argument");
	rc = qc_parse(line, &cmd, err);
	if (rc == 0)
		*verb = cmd.verb;
	return rc;
}

/* The same checks for every verb and form: argument shape, gate, handler. */
static int qc_run(struct hive *hive, const struct principal *who, const struct queenctl_verb *v, const char *arg,
                  struct strbuf *reply, struct err *err)
{
	int rc;

	if ((v->args != QUEENCTL_ARGS_ANY && !arg[0]) || (v->args == QUEENCTL_ARGS_WORD && strpbrk(arg, " \t")))
		return err_set(err, EINVAL, "usage: %s", v->usage);
	if (v->gate != QUEENCTL_UNGATED) {
		rc = lifecycle_gate(&hive->lifecycle, (enum lifecycle_gate)v->gate, err);
		if (rc < 0)
			return rc;
	}
	return v->run(hive, who, v, arg, reply, err);
}

int queenctl_line(void *arg, const struct principal *who, const char *line, struct strbuf *reply,
                  struct err *err)
{
	struct hive *hive = arg;
	char argbuf[HIVE_CTL_LINE_MAX + 1];
	struct qc_cmd cmd = { .arg = argbuf, .argcap = sizeof argbuf };
	struct err local;
	int rc;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	rc = qc_parse(line, &cmd, err);
	if (rc == 0)
		rc = qc_run(hive, who, cmd.verb, cmd.arg, reply, err);
	if (rc == 0)
		hive_event(hive, who, "ctl", qc_ctl_path, "result=ok form=%s verb=%s", cmd.form, cmd.word);
	else /* the lifecycle gate and outstanding work say "later", the rest "no" */
		hive_deny(hive, who, rc == -EAGAIN || rc == -EBUSY ? HIVE_PRESSURE_BUSY : HIVE_PRESSURE_POLICY,
		          HIVE_DENY_CTL, qc_ctl_path, rc == -EAGAIN || rc == -EBUSY ? "busy" : "refused",
		          "result=refused form=%s verb=%s errno=%s msg=%s", cmd.form, cmd.word, errno_name(err->code),
		          err->msg);
	return rc;
}

int queenctl_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	strbuf_printf(sb, "usage: one command per line, as words or as one JSON object\n");
	for (size_t i = 0; i < QC_NVERBS; i++) {
		const struct queenctl_verb *v = &qc_verbs[i];
		const char *what = strchr(v->usage, ' ');
		char json[96], line[256];
		struct strbuf lb;

		snprintf(json, sizeof json, "{\"%s\":\"%s\"%s}", v->name, what ? what + 1 : "",
		         v->json == QUEENCTL_JSON_STRING_OR_OBJECT ? "|{...}" : "");
		strbuf_init(&lb, line, sizeof line);
		strbuf_printf(&lb, "  %-44s %-50s", v->usage, json);
		for (const char *const *f = v->fields; f && *f; f++)
			strbuf_printf(&lb, "%s%s", f == v->fields ? " with: " : ", ", *f);
		if (v->note)
			strbuf_printf(&lb, " (%s)", v->note);
		while (lb.len > 0 && line[lb.len - 1] == ' ')
			line[--lb.len] = '\0';
		strbuf_printf(sb, "%s\n", line);
	}
	return 0;
}

int queenctl_build(struct hive *hive, struct ns_node *queen)
{
	static const struct ns_perm dir = {
		.mode = 0555, .see = HIVE_ROLES_READERS, .read = HIVE_ROLES_READERS,
	};
	static const struct ns_perm ctl = {
		.mode = 0644, .see = HIVE_ROLES_READERS, .read = HIVE_ROLES_READERS,
		.write = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN),
	};
	struct ns_node *lc;

	if (!ns_ctl_file(hive->ns, queen, "ctl", &ctl, queenctl_line, queenctl_usage, hive))
		return -errno;
	lc = ns_mkdir(hive->ns, queen, "lifecycle", &dir);
	if (!lc)
		return -errno;
	if (!ns_ctl_file(hive->ns, lc, "ctl", &ctl, queenctl_lifecycle_line, queenctl_lifecycle_usage, hive))
		return -errno;
	return 0;
}
