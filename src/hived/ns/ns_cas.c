/*
 * ns_cas.c — the compare-and-swap provider: one small value replaced only
 * by `cas <expected> <new>` naming the current value, so two writers
 * racing on a pointer (/gpu/models/active) cannot both win.
 *
 * Values are single words (no blanks, no control bytes); `""` in a
 * command stands for the empty value. Reads serve "value\n" as it was at
 * open.
 */
#include "ns.h"
#include "ns_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cas_priv {
	struct ns *ns; /* a swap is an event: old and new pointer on the record */
	char value[HIVE_CAS_VALUE_MAX + 1];
};

static int cas_value_ok(const char *v, size_t len)
{
	if (len > HIVE_CAS_VALUE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return 0;
	return 1;
}

static int cas_open(struct ns_file *f, struct err *err)
{
	struct cas_priv *cp = ns_node_priv(ns_file_node(f));
	char buf[HIVE_CAS_VALUE_MAX + 2];
	int n;

	if (ns_file_omode(f) == NS_OWRITE)
		return 0;
	n = snprintf(buf, sizeof buf, "%s\n", cp->value);
	return ns_file_snapshot(f, buf, (size_t)n, err);
}

/* Next blank-separated word of s into (*w, *wl); returns the rest. */
static const char *cas_word(const char *s, const char *end, const char **w, size_t *wl)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*w = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*wl = (size_t)(s - *w);
	return s;
}

static ssize_t cas_write(struct ns_file *f, uint64_t off, const void *buf, size_t n, struct err *err)
{
	struct ns_node *node = ns_file_node(f);
	struct cas_priv *cp = ns_node_priv(node);
	const char *p = buf, *end = p + n, *verb, *exp, *nv, *extra;
	char path[HIVE_PATH_MAX], detail[2 * HIVE_CAS_VALUE_MAX + 32];
	size_t vl, el, nl, xl;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (memchr(p, '\n', (size_t)(end - p)) || memchr(p, '\0', (size_t)(end - p)))
		return err_set(err, EINVAL, "usage: cas <expected> <new> (one line)");
	p = cas_word(p, end, &verb, &vl);
	p = cas_word(p, end, &exp, &el);
	p = cas_word(p, end, &nv, &nl);
	cas_word(p, end, &extra, &xl);
	if (vl != 3 || memcmp(verb, "cas", 3) != 0 || el == 0 || nl == 0 || xl != 0)
		return err_set(err, EINVAL, "usage: cas <expected> <new>");
	if (el == 2 && memcmp(exp, "\"\"", 2) == 0)
		el = 0;
	if (nl == 2 && memcmp(nv, "\"\"", 2) == 0)
		nl = 0;
	if (!cas_value_ok(nv, nl))
		return err_set(err, EINVAL, "cas: invalid value (at most %u bytes, no blanks or control bytes)",
		               HIVE_CAS_VALUE_MAX);
	if (strlen(cp->value) != el || memcmp(cp->value, exp, el) != 0)
		return err_set(err, EBUSY, "cas failed: value is %s", cp->value[0] ? cp->value : "\"\"");
	snprintf(detail, sizeof detail, "old=%s new=%.*s", cp->value[0] ? cp->value : "\"\"", (int)(nl ? nl : 2),
	         nl ? nv : "\"\"");
	memcpy(cp->value, nv, nl);
	cp->value[nl] = '\0';
	ns_node_touch(node);
	ns_emit(cp->ns, ns_file_who(f), "cas", ns_node_path(node, path, sizeof path), detail);
	return (ssize_t)n;
}

static uint64_t cas_length(const struct ns_node *node)
{
	struct cas_priv *cp = ns_node_priv(node);
	return strlen(cp->value) + 1;
}


static const struct ns_ops cas_ops = {
	.open = cas_open,
	.write = cas_write,
	.length = cas_length,
	.release = ns_release_priv,
};

struct ns_node *ns_cas_file(struct ns *ns, struct ns_node *parent, const char *name,
                            const struct ns_perm *perm, const char *initial)
{
	struct cas_priv *cp;
	size_t len = initial ? strlen(initial) : 0;

	cp = ns_priv_new(cas_value_ok(initial ? initial : "", len), sizeof *cp);
	if (!cp)
		return NULL;
	memcpy(cp->value, initial ? initial : "", len + 1);
	cp->ns = ns;
	return ns_mkfile_owned(ns, parent, name, perm, &cas_ops, cp, 0);
}
