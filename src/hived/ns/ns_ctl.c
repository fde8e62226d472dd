/*
 * ns_ctl.c — the ctl provider: a write is a batch of command lines, each
 * handed to the owner's line() in order.
 *
 * The first failing line stops the batch and its error is returned with
 * "line N: " in front (N counts every line of the write, blank ones too,
 * from 1); lines before it stay applied, as in Cohesix. A line longer
 * than HIVE_CTL_LINE_MAX or holding a NUL fails whole. Reads serve the
 * usage text rendered at open. The file is append-only: offsets ignored.
 */
#include "ns.h"
#include "ns_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ctl_priv {
	ns_ctl_fn line;
	ns_render_fn usage;
	void *arg;
};

static int ctl_open(struct ns_file *f, struct err *err)
{
	struct ctl_priv *cp = ns_node_priv(ns_file_node(f));

	if (ns_file_omode(f) == NS_OWRITE || !cp->usage)
		return 0;
	return ns_file_render(f, cp->usage, cp->arg, err);
}

/* Prefix err->msg with "line N: ", keeping it bounded. */
static void ctl_err_prefix(struct err *err, unsigned lineno)
{
	char msg[HIVE_ERRSTR_MAX];

	if (!err)
		return;
	memcpy(msg, err->msg, sizeof msg);
	msg[sizeof msg - 1] = '\0';
	err_set(err, err->code, "line %u: %s", lineno, msg);
}

static ssize_t ctl_write(struct ns_file *f, uint64_t off, const void *buf, size_t n, struct err *err)
{
	struct ns_node *node = ns_file_node(f);
	struct ctl_priv *cp = ns_node_priv(node);
	char line[HIVE_CTL_LINE_MAX + 1];
	char replybuf[HIVE_CTL_REPLY_MAX];
	struct strbuf reply;
	const char *p = buf, *end = p + n;
	unsigned lineno = 0;
	struct err lerr;
	int rc;

	strbuf_init(&reply, replybuf, sizeof replybuf);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		const char *next = nl ? nl + 1 : end;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > HIVE_CTL_LINE_MAX)
			return err_set(err, EINVAL, "line %u: line too long: %zu bytes (max %u)", lineno, len,
			               HIVE_CTL_LINE_MAX);
		if (memchr(p, '\0', len))
			return err_set(err, EINVAL, "line %u: NUL byte in command", lineno);
		memcpy(line, p, len);
		line[len] = '\0';
		p = next;
		if (strspn(line, " \t") == len)
			continue; /* blank */
		memset(&lerr, 0, sizeof lerr);
		rc = cp->line(cp->arg, ns_file_who(f), line, &reply, &lerr);
		if (rc < 0) {
			if (lerr.code == 0)
				err_set(&lerr, -rc, "command failed");
			ctl_err_prefix(&lerr, lineno);
			if (err)
				*err = lerr;
			return -lerr.code;
		}
	}
	ns_node_touch(node);
	if (reply.len > 0 && ns_file_omode(f) == NS_ORDWR) {
		rc = ns_file_snapshot(f, reply.buf, reply.len, err);
		if (rc < 0)
			return rc;
	}
	return (ssize_t)n;
}


static const struct ns_ops ctl_ops = {
	.open = ctl_open,
	.write = ctl_write,
	.release = ns_release_priv,
};

struct ns_node *ns_ctl_file(struct ns *ns, struct ns_node *parent, const char *name,
                            const struct ns_perm *perm, ns_ctl_fn line, ns_render_fn usage, void *arg)
{
	struct ctl_priv *cp;

	cp = ns_priv_new(line != NULL, sizeof *cp);
	if (!cp)
		return NULL;
	cp->line = line;
	cp->usage = usage;
	cp->arg = arg;
	return ns_mkfile_owned(ns, parent, name, perm, &ctl_ops, cp, NS_QTAPPEND);
}
