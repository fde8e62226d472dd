/*
 * queenctl.c — the /queen/ctl and /queen/lifecycle/ctl grammars.
 *
 * /queen/ctl takes one command per line, either as Plan 9 words
 * (`lifecycle cordon`) or as one Cohesix-style JSON object
 * ({"lifecycle":"cordon"}) with strict field checking: an unknown field
 * is an error, never ignored, so a typo cannot silently do less than the
 * queen meant. Both forms reduce to (verb, argument) and run the same
 * code. Every command, accepted or refused, leaves a "ctl" row; lifecycle
 * commands also leave a "lifecycle" row with old/new state or the denial.
 */
#include "queenctl.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define QC_VERB_MAX 16 /* longest verb word kept for a row ("lifecycle" is 9) */
#define QC_ARG_SHOWN 32 /* bytes of an unknown word quoted back in an error */

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

/* --- lifecycle ------------------------------------------------------------ */

/* Apply one lifecycle word and log the transition or the denial. */
static int qc_lifecycle(struct hive *hive, const struct principal *who, const char *path, const char *cmd,
                        struct err *err)
{
	enum lifecycle_state old = hive->lifecycle.state;
	const char *why;
	int rc;

	rc = lifecycle_command(&hive->lifecycle, cmd, loop_now_ms(), &old, err);
	if (rc == 0) {
		hive_event(hive, who, "lifecycle", path, "old=%s new=%s reason=%s", lifecycle_state_name(old),
		           lifecycle_state_name(hive->lifecycle.state), hive->lifecycle.reason);
		return 0;
	}
	if (rc == -EBUSY)
		why = "outstanding-work";
	else if (err && strncmp(err->msg, "invalid transition", 18) == 0)
		why = "invalid-transition";
	else
		why = "invalid-command";
	if (rc == -EBUSY)
		hive_event(hive, who, "lifecycle", path, "denied action=%.*s state=%s reason=%s outstanding=%u",
		           QC_ARG_SHOWN, cmd, lifecycle_state_name(hive->lifecycle.state), why,
		           hive->lifecycle.outstanding);
	else
		hive_event(hive, who, "lifecycle", path, "denied action=%.*s state=%s reason=%s", QC_ARG_SHOWN, cmd,
		           lifecycle_state_name(hive->lifecycle.state), why);
	return rc;
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

int queenctl_lifecycle_line(void *arg, const struct principal *who, const char *line, struct err *err)
{
	char buf[HIVE_CTL_LINE_MAX + 1];
	char *cmd;

	snprintf(buf, sizeof buf, "%s", line);
	cmd = qc_trim(buf);
	if (strpbrk(cmd, " \t")) {
		struct hive *hive = arg;
		hive_event(hive, who, "lifecycle", qc_lc_path, "denied action=%.*s state=%s reason=invalid-command",
		           QC_ARG_SHOWN, cmd, lifecycle_state_name(hive->lifecycle.state));
		return err_set(err, EINVAL, "one lifecycle command per line (try: cordon, drain, quiesce, resume, reset)");
	}
	return qc_lifecycle(arg, who, qc_lc_path, cmd, err);
}

int queenctl_lifecycle_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	struct hive *hive = arg;
	strbuf_printf(sb,
	              "usage: one command per line: cordon | drain | quiesce | resume | reset\n"
	              "state=%s\n",
	              lifecycle_state_name(hive->lifecycle.state));
	return 0;
}

/* --- /queen/ctl ----------------------------------------------------------- */

/* Run one command; `arg` is the rest of the line (text form) or the
 * argument's text (JSON form), "" if none. */
static int qc_exec(struct hive *hive, const struct principal *who, const char *verb, const char *arg,
                   struct err *err)
{
	if (strcmp(verb, "log") == 0) {
		if (!arg[0])
			return err_set(err, EINVAL, "usage: log <text>");
		hive_event(hive, who, "log", NULL, "%s", arg);
		return 0;
	}
	if (strcmp(verb, "lifecycle") == 0) {
		if (!arg[0] || strpbrk(arg, " \t"))
			return err_set(err, EINVAL, "usage: lifecycle cordon|drain|quiesce|resume|reset");
		return qc_lifecycle(hive, who, qc_ctl_path, arg, err);
	}
	if (strcmp(verb, "spawn") == 0 || strcmp(verb, "grant") == 0) {
		int rc = lifecycle_gate(&hive->lifecycle, LC_GATE_NEW_WORK, err);
		if (rc < 0)
			return rc;
		return err_set(err, EOPNOTSUPP, "%s: agents are not built yet", verb);
	}
	if (strcmp(verb, "kill") == 0) {
		if (!arg[0] || strpbrk(arg, " \t"))
			return err_set(err, EINVAL, "usage: kill <aid>");
		return err_set(err, EOPNOTSUPP, "kill: agents are not built yet");
	}
	if (strcmp(verb, "revoke") == 0)
		return err_set(err, EOPNOTSUPP, "revoke: agents are not built yet");
	return err_set(err, EINVAL, "unknown command '%.*s' (try: log, lifecycle, spawn, kill)", QC_ARG_SHOWN, verb);
}

static const char *const qc_verbs[] = { "log", "lifecycle", "spawn", "kill", "grant", "revoke" };
/* Fields that may ride along with spawn (Cohesix's spawn carries them). */
static const char *const qc_spawn_fields[] = { "ticks", "budget", "lease" };

static int qc_in(const char *key, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, set[i]) == 0)
			return 1;
	return 0;
}

/* Check a JSON command and reduce it to (verb, arg). */
static int qc_json(const char *line, char *verb, size_t verbcap, char *arg, size_t argcap, struct err *err)
{
	json_error_t jerr;
	json_t *root, *val = NULL;
	const char *key, *vkey = NULL, *extra = NULL;
	int rc = 0;

	root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(err, EINVAL, "invalid queen command: %s at column %d", jerr.text, jerr.column);
	if (!json_is_object(root)) {
		rc = err_set(err, EINVAL, "invalid queen command: not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, val) {
		if (qc_in(key, qc_verbs, sizeof qc_verbs / sizeof qc_verbs[0])) {
			if (vkey) {
				rc = err_set(err, EINVAL, "invalid queen command: more than one verb ('%s', '%s')", vkey, key);
				goto out;
			}
			vkey = key;
		} else if (qc_in(key, qc_spawn_fields, sizeof qc_spawn_fields / sizeof qc_spawn_fields[0])) {
			extra = key;
		} else {
			rc = err_set(err, EINVAL, "invalid queen command: unknown field '%.*s'", QC_ARG_SHOWN, key);
			goto out;
		}
	}
	if (!vkey) {
		rc = err_set(err, EINVAL, "invalid queen command: no verb (try: log, lifecycle, spawn, kill)");
		goto out;
	}
	if (extra && strcmp(vkey, "spawn") != 0) {
		rc = err_set(err, EINVAL, "invalid queen command: field '%s' only goes with spawn", extra);
		goto out;
	}
	val = json_object_get(root, vkey);
	snprintf(verb, verbcap, "%s", vkey);
	arg[0] = '\0';
	if (json_is_string(val)) {
		const char *s = json_string_value(val);
		if (strpbrk(s, "\n\r")) {
			rc = err_set(err, EINVAL, "invalid queen command: '%s' holds a line break", vkey);
			goto out;
		}
		if (strlen(s) >= argcap) {
			rc = err_set(err, EINVAL, "invalid queen command: '%s' is too long", vkey);
			goto out;
		}
		snprintf(arg, argcap, "%s", s);
	} else if (strcmp(vkey, "spawn") == 0 || strcmp(vkey, "grant") == 0 || strcmp(vkey, "revoke") == 0) {
		if (!json_is_object(val)) {
			rc = err_set(err, EINVAL, "invalid queen command: '%s' must be a string or an object", vkey);
			goto out;
		}
		snprintf(arg, argcap, "{...}");
	} else {
		rc = err_set(err, EINVAL, "invalid queen command: '%s' must be a string", vkey);
	}
out:
	json_decref(root);
	return rc;
}

int queenctl_line(void *arg, const struct principal *who, const char *line, struct err *err)
{
	struct hive *hive = arg;
	char buf[HIVE_CTL_LINE_MAX + 1], verb[QC_VERB_MAX + 1] = "-", *p, *rest;
	const char *form;
	struct err local;
	int rc;

	if (!err)
		err = &local;
	memset(err, 0, sizeof *err);
	snprintf(buf, sizeof buf, "%s", line);
	p = qc_trim(buf);
	if (p[0] == '{') {
		char jarg[HIVE_CTL_LINE_MAX + 1];
		form = "json";
		rc = qc_json(p, verb, sizeof verb, jarg, sizeof jarg, err);
		if (rc == 0)
			rc = qc_exec(hive, who, verb, jarg, err);
	} else {
		form = "text";
		rest = p + strcspn(p, " \t");
		if (*rest)
			*rest++ = '\0';
		rest = qc_trim(rest);
		snprintf(verb, sizeof verb, "%s", p);
		rc = qc_exec(hive, who, p, rest, err);
	}
	if (rc == 0)
		hive_event(hive, who, "ctl", qc_ctl_path, "result=ok form=%s verb=%s", form, verb);
	else /* the lifecycle gate and outstanding work say "later", the rest "no" */
		hive_deny(hive, who, rc == -EAGAIN || rc == -EBUSY ? HIVE_PRESSURE_BUSY : HIVE_PRESSURE_POLICY,
		          HIVE_DENY_CTL, qc_ctl_path, rc == -EAGAIN || rc == -EBUSY ? "busy" : "refused",
		          "result=refused form=%s verb=%s errno=%s msg=%s", form, verb, errno_name(err->code), err->msg);
	return rc;
}

int queenctl_usage(void *arg, const struct principal *who, struct strbuf *sb)
{
	strbuf_printf(sb,
	              "usage: one command per line, as words or as one JSON object\n"
	              "  log <text>                     {\"log\":\"<text>\"}\n"
	              "  lifecycle <cmd>                {\"lifecycle\":\"<cmd>\"}  cmd: cordon drain quiesce resume reset\n"
	              "  spawn <manifest>               {\"spawn\":...}            (agents are not built yet)\n"
	              "  kill <aid>                     {\"kill\":\"<aid>\"}         (agents are not built yet)\n"
	              "  grant <aid> <cap>              {\"grant\":{...}}          (agents are not built yet)\n"
	              "  revoke <aid> <cap>             {\"revoke\":{...}}         (agents are not built yet)\n");
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
