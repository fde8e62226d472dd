/*
 * cmds.c — the verbs of `hive` that touch the namespace: ls, cat, write,
 * stat, ping (tail is in tail.c), and what they share: connecting on
 * first use, turning errors into one message plus a hint and an exit code,
 * and resolving paths against the shell's current directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ninep/ninep.h"
#include "cli.h"

static int hcli_code(const struct hcli *h, int rc)
{
	if (h->c && !hivec_alive(h->c))
		return HCLI_CONN;
	switch (-rc) {
	case EACCES: case EPERM: case EKEYEXPIRED: case EKEYREJECTED: case EKEYREVOKED:
		return HCLI_PERM;
	case ENOENT:
		return HCLI_NOENT;
	case ECONNREFUSED: case ECONNRESET: case ETIMEDOUT: case EPIPE: case ENOTCONN:
	case EHOSTUNREACH: case ENETUNREACH:
		return HCLI_CONN;
	default:
		return HCLI_FAIL;
	}
}

static const char *hcli_hint(const struct hcli *h, int rc)
{
	if (h->c && !hivec_alive(h->c) && rc != -ETIMEDOUT && rc != -EPROTO)
		return "the connection to the hive was lost; is hived still running?";
	switch (-rc) {
	case EACCES: case EPERM:
		return "your role may not do this; the denial is logged in /log/queen.log";
	case ENOENT:
		return "check the path with `hive ls` on its directory";
	case ETIMEDOUT:
		return "no reply in time; is the hive overloaded? raise --timeout MS";
	case EPROTO:
		return "the server sent a malformed reply; is that a hive?";
	default:
		return NULL;
	}
}

int hcli_fail(struct hcli *h, int rc, const char *msg)
{
	const char *hint = hcli_hint(h, rc);
	if (hint)
		fprintf(stderr, "%s: %s (%s)\n", h->prefix, msg, hint);
	else
		fprintf(stderr, "%s: %s\n", h->prefix, msg);
	return hcli_code(h, rc);
}

int hcli_fail_said(struct hcli *h, int rc, const char *msg)
{
	/* msg says what to do; only a lost connection adds to it. */
	if (h->c && !hivec_alive(h->c) && rc != -ETIMEDOUT && rc != -EPROTO)
		return hcli_fail(h, rc, msg);
	fprintf(stderr, "%s: %s\n", h->prefix, msg);
	return hcli_code(h, rc);
}

int hcli_fail_lib(struct hcli *h, int rc)
{
	return hcli_fail(h, rc, hivec_error(h->c));
}

int hcli_usage(struct hcli *h, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", h->prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return HCLI_USAGE;
}

static const char *hcli_attach_hint(const struct hcli *h, int rc)
{
	int tcp = h->o.unix_path == NULL;
	switch (-rc) {
	/* The hive says which (9P2000.L errno), so no tickets.conf is needed here. */
	case EKEYEXPIRED:
		return "ticket expired: mint a fresh one with `hive ticket mint`";
	case EKEYREJECTED:
	case EKEYREVOKED:
		return "ticket rejected: forged, malformed, or minted for another hive";
	case EACCES:
	case EPERM:
		if (tcp && (!h->o.ticket || !*h->o.ticket))
			return "TCP needs a ticket: pass --ticket-file FILE or set $HIVE_TICKET";
		if (h->o.ticket && *h->o.ticket)
			return "the hive refused the ticket; mint a fresh one with `hive ticket mint`";
		return "the Unix socket admits the hive's owner only; others use --tcp with a ticket";
	default:
		return NULL;
	}
}

int hcli_connect(struct hcli *h)
{
	char msg[HIVE_PATH_MAX + HIVE_ERRSTR_MAX];
	int err = 0, stage = 0;
	const char *hint;

	if (h->c && hivec_alive(h->c))
		return 0;
	hivec_close(h->c); /* the shell reconnects after a lost connection */
	h->c = hivec_connect_ex(&h->o, &err, &stage, msg, sizeof msg);
	if (h->c)
		return 0;
	if (stage == HIVEC_STAGE_ATTACH) {
		char diag[256];
		hint = hcli_attach_hint(h, err);
		if ((err == -EACCES || err == -EPERM) && hcli_ticket_diagnose(h, diag, sizeof diag))
			hint = diag;
		fprintf(stderr, "%s: %s%s%s%s\n", h->prefix, msg, hint ? " (" : "", hint ? hint : "",
		        hint ? ")" : "");
		int code = hcli_code(h, err);
		return code == HCLI_FAIL ? HCLI_PERM : code;
	}
	if (stage == HIVEC_STAGE_VERSION)
		hint = "is that a hive? it must speak 9P2000.L";
	else if (h->o.unix_path)
		hint = "is hived running? start it with `hived --state DIR`, or point --socket at its socket";
	else
		hint = "is hived listening there? start it with `hived --tcp HOST:PORT`";
	fprintf(stderr, "%s: %s (%s)\n", h->prefix, msg, hint);
	return HCLI_CONN;
}

int hcli_resolve(const struct hcli *h, const char *arg, char *out, size_t cap)
{
	char tmp[HIVE_PATH_MAX * 2 + 2];
	const char *names[HIVE_PATH_DEPTH_MAX + 1];
	size_t lens[HIVE_PATH_DEPTH_MAX + 1];
	unsigned n = 0;

	if (strlen(arg) > HIVE_PATH_MAX)
		return -ENAMETOOLONG;
	if (arg[0] == '/')
		snprintf(tmp, sizeof tmp, "%s", arg);
	else
		snprintf(tmp, sizeof tmp, "%s/%s", h->cwd[0] ? h->cwd : "/", arg);
	/* Lexical clean-up, like a shell's cd: the server never sees . or .. */
	for (const char *s = tmp;;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 1 && s[0] == '.') {
			/* nothing */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (n)
				n--;
		} else {
			if (n >= HIVE_PATH_DEPTH_MAX)
				return -ENAMETOOLONG;
			names[n] = s;
			lens[n++] = len;
		}
		s += len;
	}
	size_t pos = 0;
	if (cap < 2)
		return -ENAMETOOLONG;
	out[0] = '/';
	out[1] = 0;
	for (unsigned i = 0; i < n; i++) {
		if (pos + 1 + lens[i] + 1 > cap)
			return -ENAMETOOLONG;
		out[pos++] = '/';
		memcpy(out + pos, names[i], lens[i]);
		pos += lens[i];
		out[pos] = 0;
	}
	return 0;
}

/* Resolve or complain; returns 0 or an exit code. */
static int hcli_path(struct hcli *h, const char *arg, char *out, size_t cap)
{
	if (hcli_resolve(h, arg, out, cap) < 0)
		return hcli_usage(h, "path too long or too deep: %.64s...", arg);
	return 0;
}

/* ---------------------------------------------------------------- ls -- */

struct hcli_lsbuf {
	struct hcli_lsent *e;
	size_t n, cap;
	int err;
};

static int hcli_ls_add(void *arg, const struct hivec_dirent *de)
{
	struct hcli_lsbuf *b = arg;
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		if (ncap > HIVE_NODES_MAX)
			ncap = HIVE_NODES_MAX;
		if (ncap <= b->n) {
			b->err = -EFBIG;
			return 1;
		}
		struct hcli_lsent *ne = realloc(b->e, ncap * sizeof *ne);
		if (!ne) {
			b->err = -ENOMEM;
			return 1;
		}
		b->e = ne;
		b->cap = ncap;
	}
	struct hcli_lsent *e = &b->e[b->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", de->name);
	e->qid_type = de->qid_type;
	return 0;
}

int hcli_ls(struct hcli *h, int argc, char **argv)
{
	char path[HIVE_PATH_MAX], child[HIVE_PATH_MAX + HIVE_NAME_MAX + 2];
	struct hcli_lsbuf b = { 0 };
	struct hivec_stat st;
	int long_fmt = 0, opt, rc, code = HCLI_OK;

	optind = 0;
	while ((opt = getopt(argc, argv, "+l")) != -1) {
		if (opt != 'l')
			return hcli_usage(h, "usage: ls [-l] [PATH]");
		long_fmt = 1;
	}
	if (argc - optind > 1)
		return hcli_usage(h, "usage: ls [-l] [PATH]");
	if ((code = hcli_path(h, optind < argc ? argv[optind] : ".", path, sizeof path)))
		return code;
	if ((code = hcli_connect(h)))
		return code;
	rc = hivec_stat(h->c, path, &st);
	if (rc < 0)
		return hcli_fail_lib(h, rc);
	if (!(st.qid_type & NINEP_QTDIR)) { /* like ls(1): a file lists itself */
		struct hcli_lsent one = { .qid_type = st.qid_type, .have_stat = 1, .st = st };
		const char *base = strrchr(path, '/');
		snprintf(one.name, sizeof one.name, "%.*s", (int)HIVE_NAME_MAX, base ? base + 1 : path);
		hcli_print_ls(stdout, &one, 1, long_fmt, h->json);
		return HCLI_OK;
	}
	rc = hivec_list(h->c, path, hcli_ls_add, &b);
	if (rc < 0) {
		code = hcli_fail_lib(h, rc);
		goto out;
	}
	if (b.err < 0) {
		code = hcli_fail(h, b.err, "ls: directory too large to list");
		goto out;
	}
	if (long_fmt || h->json) {
		for (size_t i = 0; i < b.n; i++) {
			snprintf(child, sizeof child, "%s%s%s", path, path[1] ? "/" : "", b.e[i].name);
			rc = hivec_stat(h->c, child, &b.e[i].st);
			if (rc == 0) {
				b.e[i].have_stat = 1;
			} else if (!hivec_alive(h->c)) {
				code = hcli_fail_lib(h, rc);
				goto out;
			} /* else: gone or hidden since the listing; shown without stat */
		}
	}
	hcli_print_ls(stdout, b.e, b.n, long_fmt, h->json);
out:
	free(b.e);
	return code;
}

/* --------------------------------------------------------------- cat -- */

static int hcli_cat_one(struct hcli *h, const char *arg)
{
	char path[HIVE_PATH_MAX], msg[HIVE_PATH_MAX + 64];
	struct hivec_stat st;
	uint32_t fid, iounit;
	uint64_t off = 0;
	int rc, code;

	if ((code = hcli_path(h, arg, path, sizeof path)))
		return code;
	rc = hivec_walk(h->c, path, &fid);
	if (rc < 0)
		return hcli_fail_lib(h, rc);
	rc = hivec_fstat(h->c, fid, &st);
	if (rc == 0 && (st.qid_type & NINEP_QTDIR)) {
		hivec_clunk(h->c, fid);
		snprintf(msg, sizeof msg, "cat %s: Is a directory", path);
		return hcli_fail(h, -EISDIR, msg);
	}
	if (rc == 0)
		rc = hivec_open(h->c, fid, O_RDONLY, &iounit);
	if (rc < 0) {
		snprintf(msg, sizeof msg, "cat %s: %s", path, strerror(-rc));
		code = hcli_fail(h, rc, msg);
		hivec_clunk(h->c, fid);
		return code;
	}
	char *buf = malloc(iounit);
	if (!buf) {
		hivec_clunk(h->c, fid);
		return hcli_fail(h, -ENOMEM, "cat: out of memory");
	}
	for (;;) {
		ssize_t n = hivec_pread(h->c, fid, off, buf, iounit);
		if (n < 0) {
			snprintf(msg, sizeof msg, "cat %s: %s", path, strerror((int)-n));
			code = hcli_fail(h, (int)n, msg);
			break;
		}
		if (n == 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		off += (uint64_t)n;
	}
	fflush(stdout);
	free(buf);
	hivec_clunk(h->c, fid);
	return code;
}

int hcli_cat(struct hcli *h, int argc, char **argv)
{
	int code, first = HCLI_OK;
	if (argc < 2)
		return hcli_usage(h, "usage: cat PATH...");
	if ((code = hcli_connect(h)))
		return code;
	for (int i = 1; i < argc; i++) {
		code = hcli_cat_one(h, argv[i]);
		if (code && !first)
			first = code;
		if (code == HCLI_CONN)
			break;
	}
	return first;
}

/* ------------------------------------------------------------- write -- */

int hcli_write_text(struct hcli *h, const char *path, const char *text, size_t len)
{
	char msg[HIVE_PATH_MAX + HIVE_ERRSTR_MAX];
	int code;
	/* One Twrite: a ctl file acts on whole writes, so never split a line. */
	if (len + 1 > HIVE_MSIZE_MAX - HIVE_IOHDR)
		return hcli_usage(h, "write %s: text longer than %u bytes", path,
		                  HIVE_MSIZE_MAX - HIVE_IOHDR - 1);
	char *buf = malloc(len + 1);
	if (!buf)
		return hcli_fail(h, -ENOMEM, "write: out of memory");
	memcpy(buf, text, len);
	buf[len] = '\n';
	if ((code = hcli_connect(h)))
		goto out;
	ssize_t n = hivec_write_file(h->c, path, buf, len + 1);
	if (n < 0) {
		snprintf(msg, sizeof msg, "%s", hivec_error(h->c));
		code = hcli_fail(h, (int)n, msg);
	}
out:
	free(buf);
	return code;
}

int hcli_write(struct hcli *h, int argc, char **argv)
{
	char path[HIVE_PATH_MAX];
	size_t len = 0;
	int code;

	if (argc < 3)
		return hcli_usage(h, "usage: write PATH TEXT...");
	if ((code = hcli_path(h, argv[1], path, sizeof path)))
		return code;
	for (int i = 2; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = malloc(len);
	if (!text)
		return hcli_fail(h, -ENOMEM, "write: out of memory");
	len = 0;
	for (int i = 2; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (i > 2)
			text[len++] = ' ';
		memcpy(text + len, argv[i], l);
		len += l;
	}
	code = hcli_write_text(h, path, text, len);
	free(text);
	return code;
}

/* -------------------------------------------------------------- stat -- */

int hcli_stat(struct hcli *h, int argc, char **argv)
{
	char path[HIVE_PATH_MAX];
	struct hivec_stat st;
	int code, first = HCLI_OK;

	if (argc < 2)
		return hcli_usage(h, "usage: stat PATH...");
	if ((code = hcli_connect(h)))
		return code;
	for (int i = 1; i < argc; i++) {
		if ((code = hcli_path(h, argv[i], path, sizeof path)))
			return code;
		int rc = hivec_stat(h->c, path, &st);
		if (rc < 0) {
			code = hcli_fail_lib(h, rc);
			if (!first)
				first = code;
			if (code == HCLI_CONN)
				break;
			continue;
		}
		if (i > 1 && !h->json)
			putchar('\n');
		hcli_print_stat(stdout, path, &st, h->json);
	}
	return first;
}

/* -------------------------------------------------------------- ping -- */

static double hcli_ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

int hcli_ping(struct hcli *h, int argc, char **argv)
{
	struct timespec t0;
	double conn_ms = 0, rtt_ms;
	int code;

	if (argc > 1)
		return hcli_usage(h, "usage: ping");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int fresh = !(h->c && hivec_alive(h->c));
	if ((code = hcli_connect(h)))
		return code;
	if (fresh)
		conn_ms = hcli_ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = hivec_ping(h->c);
	if (rc < 0)
		return hcli_fail_lib(h, rc);
	rtt_ms = hcli_ms_since(&t0);
	if (h->json)
		printf("{\"ok\":true,\"version\":\"%s\",\"msize\":%u,\"connect_ms\":%.3f,\"rtt_ms\":%.3f}\n",
		       hivec_version(h->c), hivec_msize(h->c), conn_ms, rtt_ms);
	else
		printf("pong: %s msize=%u connect=%.3fms rtt=%.3fms\n", hivec_version(h->c),
		       hivec_msize(h->c), conn_ms, rtt_ms);
	return HCLI_OK;
}
