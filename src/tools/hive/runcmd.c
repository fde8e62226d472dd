/*
 * runcmd.c — `hive run`: one command as an ad-hoc agent in the
 * foreground. The flags become an agent manifest (class "run"), signed
 * with the operator's key (made and trusted on first use) in a private
 * temporary directory; the spawn write carries this process's stdin,
 * stdout and stderr to the hive (SCM_RIGHTS); then `hive run` waits for
 * the agent's end and exits with its status (128+signal when killed).
 * SIGINT, SIGTERM and SIGHUP become `kill AID`, so ^C ends the agent.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentcmd.h"
#include "client/hive_agent.h"
#include "lib/fileio.h"
#include "trust/manifest.h"
#include "runcmd.h"
#include "trustcmd.h"

#define RUN_USAGE                                                                                \
	"usage: hive run [--read P] [--write P] [--exec P] [--connect PORT] [--bind PORT]\n"     \
	"                [--env NAME] [--manifest F] [--dry-run] -- CMD ARGS...\n"              \
	"  run CMD as a sandboxed agent in the foreground: stdin, stdout and stderr are\n"      \
	"  this terminal's; the exit status is CMD's (128+N when killed by signal N).\n"        \
	"  Each flag may repeat and adds to the agent's bundle:\n"                               \
	"    --read P      read files and list directories at or under P\n"                     \
	"    --write P     create, write and remove at or under P\n"                            \
	"    --exec P      execute P, or files under the directory P\n"                         \
	"    --connect N   TCP connect to port N;  --bind N  TCP bind to port N\n"             \
	"    --env NAME    pass the variable NAME (its value from the hive's environment)\n"    \
	"    --manifest F  start from agent manifest F's caps, env, quota and tenant\n"         \
	"    --dry-run     print the manifest that would be signed, and stop\n"                 \
	"  Always granted (the base): CMD itself, the dynamic loader and the libraries\n"       \
	"  read-only, /dev/null, and a private temporary directory ($TMPDIR) removed at the\n"  \
	"  end. CMD is found through $PATH here. The agent starts in this directory when a\n"  \
	"  --read/--write/--exec covers it, else in /. Relative paths in flags are taken\n"     \
	"  from this directory. The manifest is signed with <state>/keys/operator.key (made,\n" \
	"  and added to <state>/trust, on first use). ^C kills the agent. Needs the hive's\n"   \
	"  Unix socket (the terminal is passed over it), as its owner.\n"

/* Set by SIGINT/SIGTERM/SIGHUP: the agent is killed, then reaped. */
static volatile sig_atomic_t run_stop;

static void run_on_signal(int sig)
{
	run_stop = sig;
}

struct run_req {
	json_t *caps, *env, *quota; /* built up from --manifest and the flags */
	const char *tenant;
	json_t *base;               /* the --manifest document, kept for tenant */
	int dry_run;
};

/* Append s to arr unless it is there already (a manifest refuses repeats). */
static void run_add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (!strcmp(json_string_value(v), s))
			return;
	json_array_append_new(arr, json_string(s));
}

/* An absolute clean path for P as this process sees it; a path to be
 * written may not exist yet, its directory must. 0 or an exit code. */
static int run_abs_path(struct hcli *h, const char *flag, const char *p, char *out)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	if (realpath(p, out))
		return 0;
	if (errno == ENOENT && !strcmp(flag, "write") && strlen(p) < sizeof tmp) {
		snprintf(tmp, sizeof tmp, "%s", p);
		char *slash = strrchr(tmp, '/');
		const char *d = ".", *base = tmp;
		if (slash == tmp) {
			d = "/";
			base = tmp + 1;
		} else if (slash) {
			*slash = '\0';
			d = tmp;
			base = slash + 1;
		}
		if (*base && strcmp(base, ".") && strcmp(base, "..") && realpath(d, dir)) {
			size_t dl = strlen(dir), bl = strlen(base);
			int root = dl == 1;
			if (dl + 1 + bl < PATH_MAX) {
				memcpy(out, dir, dl);
				if (!root)
					out[dl++] = '/';
				memcpy(out + dl, base, bl + 1);
				return 0;
			}
		}
		errno = ENOENT;
	}
	fprintf(stderr, "%s: run: --%s %s: %s (the path must exist, or for --write its directory)\n",
	        h->prefix, flag, p, strerror(errno));
	return HCLI_USAGE;
}

/* "net.connect:N" for a port the manifest accepts (1..65535, no sign or
 * leading zero), else a usage error. */
static int run_port(struct hcli *h, const char *flag, const char *p, char *out, size_t cap)
{
	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	if (errno || *end || p[0] < '1' || p[0] > '9' || v > 65535)
		return hcli_usage(h, "run: --%s wants a TCP port 1..65535, not '%s'", flag, p);
	snprintf(out, cap, "net.%s:%ld", flag, v);
	return 0;
}

static int run_env_name_ok(const char *s)
{
	if (!*s || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s) &&
	       strlen(s) <= HIVE_MANIFEST_ENV_NAME_MAX;
}

/* --manifest F: its caps, env, quota and tenant are the start. */
static int run_load_base(struct hcli *h, struct run_req *rq, const char *file)
{
	json_error_t je;
	char *buf = malloc(HIVE_MANIFEST_BYTES_MAX + 1);
	if (!buf)
		return hcli_fail(h, -ENOMEM, "run: out of memory");
	ssize_t n = fileio_read_small(file, buf, HIVE_MANIFEST_BYTES_MAX + 1);
	if (n < 0) {
		fprintf(stderr, "%s: run: --manifest %s: %s\n", h->prefix, file,
		        n == -EFBIG ? "larger than a manifest may be" : strerror((int)-n));
		free(buf);
		return n == -ENOENT ? HCLI_NOENT : HCLI_USAGE;
	}
	rq->base = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!json_is_object(rq->base)) {
		fprintf(stderr, "%s: run: --manifest %s: not a JSON object (line %d: %s)\n", h->prefix, file,
		        je.line, rq->base ? "not an object" : je.text);
		return HCLI_USAGE;
	}
	const char *kind = json_string_value(json_object_get(rq->base, "kind"));
	if (!kind || strcmp(kind, "agent")) {
		fprintf(stderr, "%s: run: --manifest %s: want an agent manifest (\"kind\": \"agent\"), "
		        "not %s; spawn a workload with `hive spawn FILE`\n", h->prefix, file,
		        kind ? kind : "one without a kind");
		return HCLI_USAGE;
	}
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(rq->base, "caps"), i, v)
		if (json_is_string(v))
			run_add_unique(rq->caps, json_string_value(v));
	json_array_foreach(json_object_get(rq->base, "env"), i, v)
		if (json_is_string(v))
			run_add_unique(rq->env, json_string_value(v));
	json_t *q = json_object_get(rq->base, "quota");
	if (json_is_object(q))
		json_object_update(rq->quota, q);
	rq->tenant = json_string_value(json_object_get(rq->base, "tenant"));
	return 0;
}

/* CMD as an absolute path: as given when it has a '/', else the first
 * executable regular file of that name in $PATH (the hive never searches). */
static int run_resolve_cmd(struct hcli *h, const char *cmd, char *out)
{
	struct stat st;
	if (strchr(cmd, '/')) {
		if (!realpath(cmd, out) || stat(out, &st) < 0 || !S_ISREG(st.st_mode) || access(out, X_OK)) {
			fprintf(stderr, "%s: run: %s: %s (CMD must be an executable file)\n", h->prefix, cmd,
			        errno ? strerror(errno) : "not a regular file");
			return HCLI_NOENT;
		}
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		char cand[PATH_MAX];
		int n = snprintf(cand, sizeof cand, "%.*s/%s", (int)(len ? len : 1), len ? p : ".", cmd);
		if (n > 0 && (size_t)n < sizeof cand && cand[0] == '/' && stat(cand, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			snprintf(out, PATH_MAX, "%s", cand);
			return 0;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	fprintf(stderr, "%s: run: %s: not found in $PATH (give its path, e.g. /usr/bin/%s)\n", h->prefix,
	        cmd, cmd);
	return HCLI_NOENT;
}

/* Is dir at or under the path of one of the fs caps? */
static int run_cwd_covered(const json_t *caps, const char *dir)
{
	size_t i;
	json_t *v;
	json_array_foreach(caps, i, v) {
		const char *c = json_string_value(v), *p = strchr(c, ':');
		if (!p || strncmp(c, "fs.", 3))
			continue;
		p++;
		size_t n = strlen(p);
		if (!strcmp(p, "/") || (!strncmp(dir, p, n) && (dir[n] == '\0' || dir[n] == '/')))
			return 1;
	}
	return 0;
}

/* The manifest's bytes (free them), checked by the parser the hive uses. */
static int run_manifest_text(struct hcli *h, struct run_req *rq, const char *exe, int argc,
                             char **argv, char **text)
{
	struct manifest *m = NULL;
	struct err e = { 0 };
	char cwd[PATH_MAX];
	json_t *av = json_array();
	json_array_append_new(av, json_string(exe));
	for (int i = 1; i < argc; i++) {
		json_t *s = json_string(argv[i]);
		if (!s) {
			json_decref(av);
			return hcli_usage(h, "run: argument %d is not UTF-8 text, which a manifest must hold", i);
		}
		json_array_append_new(av, s);
	}
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:o, s:O, s:O}", "version", 1, "kind", "agent",
	                      "class", "run", "tenant", rq->tenant ? rq->tenant : "default", "argv", av,
	                      "env", rq->env, "caps", rq->caps);
	if (!o)
		return hcli_fail(h, -ENOMEM, "run: out of memory");
	if (json_object_size(rq->quota))
		json_object_set(o, "quota", rq->quota);
	if (getcwd(cwd, sizeof cwd) && run_cwd_covered(rq->caps, cwd))
		json_object_set_new(o, "cwd", json_string(cwd));
	*text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!*text)
		return hcli_fail(h, -ENOMEM, "run: out of memory");
	if (manifest_parse(*text, strlen(*text), &m, &e) < 0) {
		fprintf(stderr, "%s: run: the agent's manifest would be refused: %s\n", h->prefix, e.msg);
		free(*text);
		*text = NULL;
		return HCLI_USAGE;
	}
	manifest_free(m);
	return 0;
}

/* Parse the flags into rq; *cmd_at is the index of CMD. 0 or an exit code. */
static int run_parse(struct hcli *h, struct run_req *rq, int argc, char **argv, int *cmd_at)
{
	static const struct option lo[] = {
		{ "read", required_argument, NULL, 'r' },    { "write", required_argument, NULL, 'w' },
		{ "exec", required_argument, NULL, 'x' },    { "connect", required_argument, NULL, 'c' },
		{ "bind", required_argument, NULL, 'b' },    { "env", required_argument, NULL, 'e' },
		{ "manifest", required_argument, NULL, 'm' }, { "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	char path[PATH_MAX], cap[PATH_MAX + 16];
	int opt, code;

	/* --manifest first: the flags add to it, in any order on the line. */
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		if (opt == 'm' && (code = run_load_base(h, rq, optarg)))
			return code;
		if (opt == 'h') {
			fputs(RUN_USAGE, stdout);
			return -1;
		}
		if (opt == '?')
			return hcli_usage(h, "run: see `hive run --help`");
	}
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (opt) {
		case 'r': case 'w': case 'x': {
			const char *flag = opt == 'r' ? "read" : opt == 'w' ? "write" : "exec";
			if ((code = run_abs_path(h, flag, optarg, path)))
				return code;
			snprintf(cap, sizeof cap, "fs.%s:%s", flag, path);
			run_add_unique(rq->caps, cap);
			break;
		}
		case 'c': case 'b':
			if ((code = run_port(h, opt == 'c' ? "connect" : "bind", optarg, cap, sizeof cap)))
				return code;
			run_add_unique(rq->caps, cap);
			break;
		case 'e':
			if (!run_env_name_ok(optarg))
				return hcli_usage(h, "run: --env wants a variable NAME ([A-Za-z_][A-Za-z0-9_]*), "
				                     "not '%s' (values come from the hive's environment)", optarg);
			run_add_unique(rq->env, optarg);
			break;
		case 'n': rq->dry_run = 1; break;
		default: break;
		}
	}
	if (optind >= argc)
		return hcli_usage(h, "run: want a command (usage: hive run [FLAGS] -- CMD ARGS...)");
	*cmd_at = optind;
	return 0;
}

/* A private directory (0700) holding the manifest and its signature. */
struct run_tmp {
	char dir[PATH_MAX], man[PATH_MAX + 32], sig[PATH_MAX + 40];
};

static void run_tmp_remove(struct run_tmp *t)
{
	if (t->sig[0])
		unlink(t->sig);
	if (t->man[0])
		unlink(t->man);
	if (t->dir[0])
		rmdir(t->dir);
	t->dir[0] = t->man[0] = t->sig[0] = '\0';
}

static int run_tmp_write(struct hcli *h, struct run_tmp *t, const char *text)
{
	struct sigkey k;
	char line[HIVE_KEY_FILE_MAX];
	const char *tmpdir = getenv("TMPDIR");
	int code, rc;

	if (!tmpdir || tmpdir[0] != '/' || strlen(tmpdir) > PATH_MAX - 32)
		tmpdir = "/tmp";
	snprintf(t->dir, sizeof t->dir, "%s/hive-run.XXXXXX", tmpdir);
	if (!mkdtemp(t->dir)) {
		fprintf(stderr, "%s: run: cannot make a private directory in %s: %s (set TMPDIR to a "
		        "writable directory)\n", h->prefix, tmpdir, strerror(errno));
		t->dir[0] = '\0';
		return HCLI_FAIL;
	}
	snprintf(t->man, sizeof t->man, "%s/run.json", t->dir);
	snprintf(t->sig, sizeof t->sig, "%s.sig", t->man);
	if ((code = hcli_operator_key(h, &k)))
		return code;
	int len = sigkey_sign(&k, text, strlen(text), line, sizeof line);
	sigkey_wipe(&k);
	rc = len < 0 ? len : fileio_write_atomic(t->man, text, strlen(text), 0600);
	if (rc == 0)
		rc = fileio_write_atomic(t->sig, line, (size_t)len, 0600);
	if (rc < 0) {
		fprintf(stderr, "%s: run: cannot write %s: %s\n", h->prefix, t->dir, strerror(-rc));
		return HCLI_FAIL;
	}
	return 0;
}

/* Wait for the agent's end; signals become `kill AID`. Returns CMD's
 * status, or an exit code of our own with a message. */
static int run_wait(struct hcli *h, const char *aid)
{
	char path[64], line[1024], st[40], ex[16], sg[16], why[256];
	unsigned delay_ms = 5;
	int killed = 0;

	snprintf(path, sizeof path, "/agent/%s/state", aid);
	for (;;) {
		if (run_stop && !killed) {
			killed = 1;
			int rc = hive_agent_verb(h->c, "kill", aid, NULL);
			if (rc < 0 && rc != -ENOENT)
				fprintf(stderr, "%s: run: cannot kill %s: %s\n", h->prefix, aid, hivec_error(h->c));
		}
		ssize_t n = hivec_read_file(h->c, path, line, sizeof line - 1);
		if (n < 0) {
			char msg[HIVE_PATH_MAX];
			snprintf(msg, sizeof msg, "run: lost track of %s: %s", aid, hivec_error(h->c));
			return hcli_fail_said(h, (int)n, msg);
		}
		line[n] = '\0';
		hcli_kv(line, "state", st, sizeof st);
		if (!strncmp(st, "terminated", 10))
			break;
		struct timespec ts = { 0, (long)delay_ms * 1000000L };
		nanosleep(&ts, NULL); /* a signal cuts it short: the kill goes at once */
		if (delay_ms < 100)
			delay_ms *= 2;
	}
	hcli_kv(line, "exit", ex, sizeof ex);
	hcli_kv(line, "signal", sg, sizeof sg);
	hcli_kv(line, "reason", why, sizeof why);
	if (!strncmp(why, "setup:", 6))
		fprintf(stderr, "%s: run: %s could not start: %s\n", h->prefix, aid, why);
	if (strcmp(sg, "-")) {
		int s = atoi(sg);
		return s > 0 && s < 128 ? 128 + s : HCLI_FAIL;
	}
	int x = atoi(ex);
	return strcmp(ex, "-") && x >= 0 && x < 256 ? x : HCLI_FAIL;
}

int hcli_run(struct hcli *h, int argc, char **argv)
{
	struct run_req rq = { .caps = json_array(), .env = json_array(), .quota = json_object() };
	struct run_tmp t = { { 0 }, { 0 }, { 0 } };
	struct hive_aid aid;
	char exe[PATH_MAX], *text = NULL;
	int cmd_at = 0, code;

	if (!rq.caps || !rq.env || !rq.quota) {
		code = hcli_fail(h, -ENOMEM, "run: out of memory");
		goto out;
	}
	code = run_parse(h, &rq, argc, argv, &cmd_at);
	if (code) {
		code = code < 0 ? HCLI_OK : code; /* --help */
		goto out;
	}
	if ((code = run_resolve_cmd(h, argv[cmd_at], exe)) ||
	    (code = run_manifest_text(h, &rq, exe, argc - cmd_at, argv + cmd_at, &text)))
		goto out;
	if (rq.dry_run) {
		printf("%s\n", text);
		goto out;
	}
	if (!h->o.unix_path) {
		code = hcli_usage(h, "run: needs the hive's Unix socket (this terminal is passed over it); "
		                     "drop --tcp and run this on the hive's host as its owner");
		goto out;
	}
	if ((code = run_tmp_write(h, &t, text)) || (code = hcli_connect(h)))
		goto out;
	/* From here a signal kills the agent instead of us. */
	struct sigaction sa = { .sa_handler = run_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fflush(stdout);
	int n = hive_spawn(h->c, t.man, NULL, HIVE_SPAWN_STDIO, &aid, 1);
	if (n < 0) {
		char msg[HIVE_PATH_MAX * 2], why[HIVE_ERRSTR_MAX];
		int said = hcli_ctl_why(h, "spawn", why, sizeof why);
		snprintf(msg, sizeof msg, "run: %s", said ? why : hivec_error(h->c));
		code = hcli_fail_said(h, n, msg);
		goto out;
	}
	if (n != 1) {
		code = hcli_fail(h, -EPROTO, "run: the hive started more than one agent for one command");
		goto out;
	}
	code = run_wait(h, aid.s);
out:
	run_tmp_remove(&t);
	free(text);
	json_decref(rq.caps);
	json_decref(rq.env);
	json_decref(rq.quota);
	json_decref(rq.base);
	return code;
}
