/*
 * manifest.c — manifest JSON -> struct manifest. jansson does the JSON
 * (with duplicate keys refused: two "caps" would let a reader and the
 * signer see different bundles); this file checks every field's type,
 * shape and bound and says which field is wrong and how to fix it.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

/* Every error names its field as a path: "classes[2].caps[1]". */
#define WHERE_MAX 64

static const char *const agent_keys[] = { "version", "kind", "class", "tenant", "argv", "cwd",
	                                  "home", "env", "caps", "quota", NULL };
static const char *const workload_keys[] = { "version", "kind", "name", "tenant", "classes", NULL };
static const char *const class_keys[] = { "class", "count", "argv", "cwd", "home",
	                                  "env", "caps", "quota", NULL };
static const char *const quota_keys[] = { "cpu_weight", "memory_max", "pids_max",
	                                  "tokens_per_minute", NULL };

const char *manifest_kind_name(enum manifest_kind k)
{
	return k == MANIFEST_WORKLOAD ? "workload" : "agent";
}

/* Refuse any key of obj not in allowed, naming it and the allowed set. */
static int mf_keys(json_t *obj, const char *const *allowed, const char *where, struct err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i])
			continue;
		char list[256] = "";
		size_t off = 0;
		for (i = 0; allowed[i] && off < sizeof list; i++)
			off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "",
			                        allowed[i]);
		return err_set(err, EINVAL, "%sunknown key '%.48s' (allowed here: %s)", where, key, list);
	}
	return 0;
}

/* A string of 1..max bytes without NUL; *out points into v. */
static int mf_str(json_t *v, const char *where, const char *field, size_t max, const char **out,
                  struct err *err)
{
	if (!v)
		return err_set(err, EINVAL, "%s%s: missing", where, field);
	if (!json_is_string(v))
		return err_set(err, EINVAL, "%s%s: must be a string", where, field);
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n == 0 || n > max || strlen(s) != n)
		return err_set(err, EINVAL, "%s%s: must be 1..%zu bytes with no NUL", where, field, max);
	*out = s;
	return 0;
}

/* A name that becomes a path or cgroup element: [A-Za-z0-9._-], first
 * character a letter or digit. */
static int mf_name(json_t *v, const char *where, const char *field, char *dst, struct err *err)
{
	const char *s;
	int rc = mf_str(v, where, field, HIVE_MANIFEST_NAME_MAX, &s, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr("._-", c)))
			return err_set(err, EINVAL, "%s%s: '%.64s' must be letters, digits, '.', '_' or '-' "
			               "and start with a letter or digit", where, field, s);
	}
	strcpy(dst, s);
	return 0;
}

static int mf_uint(json_t *v, const char *where, const char *field, uint64_t min, uint64_t max,
                   uint64_t *out, struct err *err)
{
	json_int_t i;
	if (!json_is_integer(v) || (i = json_integer_value(v)) < 0 || (uint64_t)i < min ||
	    (uint64_t)i > max)
		return err_set(err, EINVAL, "%s%s: must be a whole number in %llu..%llu", where, field,
		               (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static int mf_path(json_t *v, const char *where, const char *field, char **out, struct err *err)
{
	const char *s;
	int rc = mf_str(v, where, field, HIVE_PATH_MAX - 1, &s, err);
	if (rc < 0)
		return rc;
	if (!cap_path_clean(s))
		return err_set(err, EINVAL, "%s%s: '%.64s' must be an absolute clean path (no '.', '..', "
		               "'//' or trailing '/'), e.g. /srv/agents", where, field, s);
	*out = strdup(s);
	return *out ? 0 : err_set(err, ENOMEM, "out of memory");
}

static int mf_argv(struct manifest_class *c, json_t *v, const char *where, struct err *err)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 0, bytes = 0;
	if (n == 0 || n > HIVE_MANIFEST_ARGV_MAX)
		return err_set(err, EINVAL, "%sargv: must be a list of 1..%u strings, the first the "
		               "program's absolute path", where, HIVE_MANIFEST_ARGV_MAX);
	c->argv = calloc(n + 1, sizeof *c->argv); /* NULL-terminated: execve takes it as is */
	if (!c->argv)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char field[32];
		const char *s = "";
		json_t *e = json_array_get(v, i);
		int rc = 0;
		snprintf(field, sizeof field, "argv[%zu]", i);
		/* argv[0] is the program, a path; later entries are any text,
		 * "" included (an empty argument is legitimate). */
		if (i == 0)
			rc = mf_path(e, where, field, &c->argv[0], err);
		else if (!json_is_string(e) || json_string_length(e) > 0)
			rc = mf_str(e, where, field, HIVE_MANIFEST_ARGV_BYTES_MAX, &s, err);
		if (rc < 0)
			return rc;
		if (i > 0 && !(c->argv[i] = strdup(s)))
			return err_set(err, ENOMEM, "out of memory");
		c->argc = (uint32_t)i + 1;
		bytes += strlen(c->argv[i]) + 1;
		if (bytes > HIVE_MANIFEST_ARGV_BYTES_MAX)
			return err_set(err, EINVAL, "%sargv: more than %u bytes in all", where,
			               HIVE_MANIFEST_ARGV_BYTES_MAX);
	}
	return 0;
}

static int mf_env(struct manifest_class *c, json_t *v, const char *where, struct err *err)
{
	size_t n = json_is_array(v) ? json_array_size(v) : SIZE_MAX;
	if (n > HIVE_MANIFEST_ENV_MAX)
		return err_set(err, EINVAL, "%senv: must be a list of at most %u variable names "
		               "(names only: values come from the hive at spawn)", where,
		               HIVE_MANIFEST_ENV_MAX);
	if (n && !(c->env = calloc(n, sizeof *c->env)))
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char field[32];
		const char *s;
		snprintf(field, sizeof field, "env[%zu]", i);
		int rc = mf_str(json_array_get(v, i), where, field, HIVE_MANIFEST_ENV_NAME_MAX, &s, err);
		if (rc < 0)
			return rc;
		for (size_t k = 0; s[k]; k++) {
			char ch = s[k];
			if (!(ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			      (k > 0 && ch >= '0' && ch <= '9')))
				return err_set(err, EINVAL, "%s%s: '%.64s' is not a variable name ([A-Za-z_]"
				               "[A-Za-z0-9_]*; list names, not NAME=VALUE)", where, field, s);
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->env[k], s))
				return err_set(err, EINVAL, "%s%s: '%s' is listed twice", where, field, s);
		if (!(c->env[i] = strdup(s)))
			return err_set(err, ENOMEM, "out of memory");
		c->nenv = (uint32_t)i + 1;
	}
	return 0;
}

static int mf_caps(struct manifest_class *c, json_t *v, const char *where, struct err *err)
{
	size_t n = json_is_array(v) ? json_array_size(v) : SIZE_MAX;
	if (n > HIVE_MANIFEST_CAPS_MAX)
		return err_set(err, EINVAL, "%scaps: must be a list of at most %u capabilities", where,
		               HIVE_MANIFEST_CAPS_MAX);
	if (n && !(c->caps = calloc(n, sizeof *c->caps)))
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char field[32];
		const char *s;
		struct err why = { 0 };
		snprintf(field, sizeof field, "caps[%zu]", i);
		int rc = mf_str(json_array_get(v, i), where, field, HIVE_PATH_MAX + 32, &s, err);
		if (rc < 0)
			return rc;
		rc = cap_parse(&c->caps[i], s, &why);
		if (rc < 0)
			return err_set(err, -rc, "%s%s: %s", where, field, why.msg);
		c->ncaps = (uint32_t)i + 1;
		for (size_t k = 0; k < i; k++)
			if (cap_equal(&c->caps[k], &c->caps[i]))
				return err_set(err, EINVAL, "%s%s: '%.64s' is listed twice", where, field, s);
	}
	return 0;
}

static int mf_quota(struct manifest_quota *q, json_t *v, const char *where, struct err *err)
{
	char w[WHERE_MAX];
	uint64_t x;
	json_t *f;
	if (!json_is_object(v))
		return err_set(err, EINVAL, "%squota: must be an object, e.g. {\"pids_max\": 64}", where);
	snprintf(w, sizeof w, "%squota.", where);
	int rc = mf_keys(v, quota_keys, w, err);
	if (rc == 0 && (f = json_object_get(v, "cpu_weight")) &&
	    (rc = mf_uint(f, w, "cpu_weight", 1, HIVE_QUOTA_CPU_WEIGHT_MAX, &x, err)) == 0)
		q->cpu_weight = (uint32_t)x;
	if (rc == 0 && (f = json_object_get(v, "memory_max")))
		rc = mf_uint(f, w, "memory_max (bytes)", HIVE_QUOTA_MEMORY_MIN, INT64_MAX,
		             &q->memory_max, err);
	if (rc == 0 && (f = json_object_get(v, "pids_max")) &&
	    (rc = mf_uint(f, w, "pids_max", 1, HIVE_QUOTA_PIDS_MAX, &x, err)) == 0)
		q->pids_max = (uint32_t)x;
	if (rc == 0 && (f = json_object_get(v, "tokens_per_minute")))
		rc = mf_uint(f, w, "tokens_per_minute", 1, HIVE_QUOTA_TOKENS_PER_MINUTE_MAX,
		             &q->tokens_per_minute, err);
	return rc;
}

/* The fields an agent manifest and a workload class share. */
static int mf_class(struct manifest_class *c, json_t *obj, const char *where, struct err *err)
{
	json_t *v;
	int rc = mf_name(json_object_get(obj, "class"), where, "class", c->name, err);
	if (rc == 0 && !(v = json_object_get(obj, "argv")))
		rc = err_set(err, EINVAL, "%sargv: missing (the program and its arguments, e.g. "
		             "[\"/usr/bin/python3\", \"agent.py\"])", where);
	else if (rc == 0)
		rc = mf_argv(c, v, where, err);
	if (rc == 0 && (v = json_object_get(obj, "cwd")))
		rc = mf_path(v, where, "cwd", &c->cwd, err);
	if (rc == 0 && (v = json_object_get(obj, "home")))
		rc = mf_path(v, where, "home", &c->home, err);
	if (rc == 0 && (v = json_object_get(obj, "env")))
		rc = mf_env(c, v, where, err);
	if (rc == 0 && (v = json_object_get(obj, "caps")))
		rc = mf_caps(c, v, where, err);
	if (rc == 0 && (v = json_object_get(obj, "quota")))
		rc = mf_quota(&c->quota, v, where, err);
	return rc;
}

static int mf_workload(struct manifest *m, json_t *root, struct err *err)
{
	json_t *list = json_object_get(root, "classes");
	size_t n = json_is_array(list) ? json_array_size(list) : 0;
	int rc = mf_name(json_object_get(root, "name"), "", "name", m->name, err);
	if (rc < 0)
		return rc;
	if (n == 0 || n > HIVE_MANIFEST_CLASSES_MAX)
		return err_set(err, EINVAL, "classes: must be a list of 1..%u classes, each "
		               "{\"class\": NAME, \"count\": N, \"argv\": [...], ...}",
		               HIVE_MANIFEST_CLASSES_MAX);
	if (!(m->classes = calloc(n, sizeof *m->classes)))
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char where[WHERE_MAX];
		uint64_t count;
		json_t *obj = json_array_get(list, i);
		struct manifest_class *c = &m->classes[i];
		m->nclasses = (uint32_t)i + 1;
		snprintf(where, sizeof where, "classes[%zu].", i);
		if (!json_is_object(obj))
			return err_set(err, EINVAL, "classes[%zu]: must be an object", i);
		if ((rc = mf_keys(obj, class_keys, where, err)) < 0 ||
		    (rc = mf_class(c, obj, where, err)) < 0)
			return rc;
		json_t *cv = json_object_get(obj, "count");
		if (!cv)
			return err_set(err, EINVAL, "%scount: missing (how many agents of class %s)", where,
			               c->name);
		if ((rc = mf_uint(cv, where, "count", 1, HIVE_MANIFEST_CLASS_COUNT_MAX, &count, err)) < 0)
			return rc;
		c->count = (uint32_t)count;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(m->classes[k].name, c->name))
				return err_set(err, EINVAL, "%sclass: '%s' is listed twice (merge the two, "
				               "or rename one)", where, c->name);
		if (m->agents + c->count > HIVE_WORKLOAD_AGENTS_MAX)
			return err_set(err, EINVAL, "%scount: the workload would have more than %u agents",
			               where, HIVE_WORKLOAD_AGENTS_MAX);
		m->agents += c->count;
	}
	return 0;
}

static int mf_agent(struct manifest *m, json_t *root, struct err *err)
{
	if (!(m->classes = calloc(1, sizeof *m->classes)))
		return err_set(err, ENOMEM, "out of memory");
	m->nclasses = 1;
	int rc = mf_class(&m->classes[0], root, "", err);
	if (rc < 0)
		return rc;
	m->classes[0].count = 1;
	m->agents = 1;
	strcpy(m->name, m->classes[0].name);
	return 0;
}

static int mf_root(struct manifest *m, json_t *root, struct err *err)
{
	uint64_t version;
	const char *kind;
	json_t *v;
	if (!json_is_object(root))
		return err_set(err, EINVAL, "the manifest must be a JSON object");
	if (!(v = json_object_get(root, "version")))
		return err_set(err, EINVAL, "version: missing (write \"version\": %d)", MANIFEST_VERSION);
	int rc = mf_uint(v, "", "version", MANIFEST_VERSION, MANIFEST_VERSION, &version, err);
	if (rc == 0)
		rc = mf_str(json_object_get(root, "kind"), "", "kind", 16, &kind, err);
	if (rc < 0)
		return rc;
	if (!strcmp(kind, "agent"))
		m->kind = MANIFEST_AGENT;
	else if (!strcmp(kind, "workload"))
		m->kind = MANIFEST_WORKLOAD;
	else
		return err_set(err, EINVAL, "kind: must be \"agent\" or \"workload\"");
	rc = mf_keys(root, m->kind == MANIFEST_AGENT ? agent_keys : workload_keys, "", err);
	if (rc < 0)
		return rc;
	strcpy(m->tenant, MANIFEST_DEFAULT_TENANT);
	if ((v = json_object_get(root, "tenant")) && (rc = mf_name(v, "", "tenant", m->tenant, err)) < 0)
		return rc;
	return m->kind == MANIFEST_AGENT ? mf_agent(m, root, err) : mf_workload(m, root, err);
}

/* Error text is shown on terminals and in log rows: keep it printable
 * whatever bytes the manifest echoed into it. */
static void mf_printable(struct err *err)
{
	if (!err)
		return;
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

int manifest_parse(const void *buf, size_t n, struct manifest **out, struct err *err)
{
	json_error_t jerr;
	struct manifest *m = NULL;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	if (n > HIVE_MANIFEST_BYTES_MAX)
		return err_set(err, EFBIG, "the manifest is %zu bytes; at most %u are accepted", n,
		               HIVE_MANIFEST_BYTES_MAX);
	root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = err_set(err, EINVAL, "not valid JSON at line %d column %d: %s", jerr.line,
		             jerr.column, jerr.text);
		goto fail;
	}
	if (!(m = calloc(1, sizeof *m))) {
		rc = err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = mf_root(m, root, err)) < 0)
		goto fail;
	blake3_hash(buf, n, m->hash);
	json_decref(root);
	*out = m;
	return 0;
fail:
	mf_printable(err);
	json_decref(root);
	manifest_free(m);
	return rc;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nclasses; i++) {
		struct manifest_class *c = &m->classes[i];
		for (uint32_t k = 0; k < c->argc; k++)
			free(c->argv[k]);
		for (uint32_t k = 0; k < c->nenv; k++)
			free(c->env[k]);
		for (uint32_t k = 0; k < c->ncaps; k++)
			cap_clear(&c->caps[k]);
		free(c->argv);
		free(c->env);
		free(c->caps);
		free(c->cwd);
		free(c->home);
	}
	free(m->classes);
	free(m);
}
