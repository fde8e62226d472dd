/*
 * cap.c — capability text <-> typed value. Strict on purpose: a bundle is
 * a security boundary, so anything not spelled exactly one way is refused
 * with the reason and the fix rather than guessed at.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"

static const char *const cap_names[CAP_KINDS] = {
	[CAP_FS_READ] = "fs.read",         [CAP_FS_WRITE] = "fs.write",
	[CAP_FS_EXEC] = "fs.exec",         [CAP_NET_CONNECT] = "net.connect",
	[CAP_NET_BIND] = "net.bind",       [CAP_INFER] = "infer",
	[CAP_GPU_LEASE] = "gpu.lease",     [CAP_CAP_GRANT] = "cap.grant",
};

const char *cap_kind_name(enum cap_kind k)
{
	return (unsigned)k < CAP_KINDS ? cap_names[k] : "unknown";
}

int cap_path_clean(const char *path)
{
	size_t n = strlen(path);
	if (n == 0 || n >= HIVE_PATH_MAX || path[0] != '/')
		return 0;
	if (n == 1)
		return 1;
	if (path[n - 1] == '/')
		return 0;
	for (const char *p = path + 1;;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return 0;
	return 1;
}

static int cap_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;
	if (!s[0] || s[0] == '0')
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int cap_model_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > HIVE_MODEL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._:/@+-", c)))
			return 0;
	}
	return 1;
}

/* Parse the kind prefix of text; *rest points past "kind:" or at "" when
 * the kind takes no operand. */
static int cap_kind_of(const char *text, enum cap_kind *k, const char **rest)
{
	for (int i = 0; i < CAP_KINDS; i++) {
		size_t n = strlen(cap_names[i]);
		if (strncmp(text, cap_names[i], n) != 0)
			continue;
		if (text[n] == ':' || text[n] == '\0') {
			*k = (enum cap_kind)i;
			*rest = text[n] ? text + n + 1 : text + n;
			return text[n] == ':' ? 1 : 0;
		}
	}
	return -1;
}

/* The operand of a non-grant capability into c. */
static int cap_operand(struct cap *c, enum cap_kind k, const char *arg, int has_colon,
                       const char *text, struct err *err)
{
	switch (k) {
	case CAP_FS_READ:
	case CAP_FS_WRITE:
	case CAP_FS_EXEC:
		if (!has_colon || !cap_path_clean(arg))
			return err_set(err, EINVAL, "capability '%.64s': %s wants an absolute clean path "
			               "(no '.', '..', '//' or trailing '/'), e.g. %s:/srv/data",
			               text, cap_names[k], cap_names[k]);
		break;
	case CAP_NET_CONNECT:
	case CAP_NET_BIND:
		if (!has_colon || cap_port(arg, &c->port) < 0)
			return err_set(err, EINVAL, "capability '%.64s': %s wants a port 1..65535 in "
			               "decimal, e.g. %s:443", text, cap_names[k], cap_names[k]);
		return 0;
	case CAP_INFER:
		if (!has_colon || !cap_model_ok(arg))
			return err_set(err, EINVAL, "capability '%.64s': infer wants a model name of 1..%u "
			               "characters from [A-Za-z0-9._:/@+-], e.g. infer:llama-3-8b",
			               text, HIVE_MODEL_NAME_MAX);
		break;
	case CAP_GPU_LEASE:
		if (has_colon)
			return err_set(err, EINVAL, "capability '%.64s': gpu.lease takes no operand; "
			               "write gpu.lease", text);
		return 0;
	default:
		return err_set(err, EINVAL, "capability '%.64s': cap.grant cannot grant cap.grant "
		               "(delegation does not chain)", text);
	}
	c->arg = strdup(arg);
	return c->arg ? 0 : err_set(err, ENOMEM, "out of memory");
}

int cap_parse(struct cap *c, const char *text, struct err *err)
{
	enum cap_kind k;
	const char *rest;
	memset(c, 0, sizeof *c);
	int colon = cap_kind_of(text, &k, &rest);
	if (colon < 0)
		return err_set(err, EINVAL, "capability '%.64s': unknown kind (want fs.read, fs.write, "
		               "fs.exec, net.connect, net.bind, infer, gpu.lease or cap.grant)", text);
	c->kind = c->of = k;
	if (k != CAP_CAP_GRANT)
		return cap_operand(c, k, rest, colon, text, err);
	enum cap_kind of;
	const char *arg;
	int colon2 = colon ? cap_kind_of(rest, &of, &arg) : -1;
	if (colon2 < 0)
		return err_set(err, EINVAL, "capability '%.64s': cap.grant wants the capability it may "
		               "grant, e.g. cap.grant:fs.read:/srv/data", text);
	c->of = of;
	return cap_operand(c, of, arg, colon2, text, err);
}

void cap_clear(struct cap *c)
{
	free(c->arg);
	c->arg = NULL;
}

int cap_format(const struct cap *c, char *out, size_t cap)
{
	const char *pre = c->kind == CAP_CAP_GRANT ? "cap.grant:" : "";
	int n;
	switch (c->of) {
	case CAP_NET_CONNECT:
	case CAP_NET_BIND:
		n = snprintf(out, cap, "%s%s:%u", pre, cap_kind_name(c->of), (unsigned)c->port);
		break;
	case CAP_GPU_LEASE:
		n = snprintf(out, cap, "%s%s", pre, cap_kind_name(c->of));
		break;
	default:
		n = snprintf(out, cap, "%s%s:%s", pre, cap_kind_name(c->of), c->arg ? c->arg : "");
		break;
	}
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int cap_equal(const struct cap *a, const struct cap *b)
{
	if (a->kind != b->kind || a->of != b->of || a->port != b->port)
		return 0;
	if (!a->arg || !b->arg)
		return a->arg == b->arg;
	return strcmp(a->arg, b->arg) == 0;
}
