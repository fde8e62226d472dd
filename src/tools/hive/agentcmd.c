/*
 * agentcmd.c — the agent verbs of `hive`: spawn, ps, and the queen's
 * verbs on a running agent (kill, quarantine, resume, grant, revoke,
 * quota). Thin over libhive's agent API (client/hive_agent.h); what is
 * here is flags, messages and the table `hive ps` prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentcmd.h"
#include "client/hive_agent.h"

#define SPAWN_USAGE                                                                          \
	"usage: hive spawn FILE [--sig SIGFILE]\n"                                          \
	"  spawn the agents of the signed manifest FILE (an agent or a workload; the hive\n"  \
	"  checks FILE.sig, or SIGFILE, against its trust store). FILE is sent as an\n"      \
	"  absolute path: the hive reads it itself. Prints the AIDs on one line\n"          \
	"  (global --json: {\"aids\":[...]}). Needs the queen (the hive's owner).\n"
#define PS_USAGE                                                                             \
	"usage: hive ps [--json]\n"                                                          \
	"  the agents you may see (from /proc/agents): AID, CLASS, TENANT, STATE, PID,\n"    \
	"  CPU (time used), MEM (memory now), DENIALS (refused calls), TOKENS (inference\n" \
	"  tokens charged by the broker); --json: every field of every agent\n"
#define VERB_USAGE                                                                           \
	"usage: hive kill|quarantine|resume AID\n"                                          \
	"       hive grant|revoke AID CAP\n"                                                \
	"       hive quota AID KEY=VALUE...\n"                                              \
	"  kill: end the agent (terminated-revoked); quarantine: freeze it; resume: thaw\n"  \
	"  it; grant/revoke: add or take back one capability (fs.read:PATH, net.connect:PORT,\n" \
	"  ... docs/manifest.md), effective at its next call; quota: cpu_weight, memory_max,\n" \
	"  pids_max, tokens_per_minute. AIDs are listed by `hive ps`.\n"

static int agent_is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h");
}

/* --------------------------------------------- the hive's own reason -- */

/* Bytes of the log's end searched for our refusal's row: tail's window. */
#define HCLI_WHY_WINDOW HIVE_TAIL_WINDOW

/* The value after "key=" in a row, up to the next blank (or the line's
 * end when rest); 0 when absent. */
static int hcli_row_field(const char *line, size_t len, const char *key, int rest, char *out,
                          size_t cap)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl + 1 < len; i++) {
		if ((i == 0 || line[i - 1] == ' ') && !memcmp(line + i, key, kl) && line[i + kl] == '=') {
			const char *v = line + i + kl + 1;
			size_t vl = (size_t)(line + len - v);
			if (!rest) {
				const char *sp = memchr(v, ' ', vl);
				if (sp)
					vl = (size_t)(sp - v);
			}
			snprintf(out, cap, "%.*s", (int)(vl < cap ? vl : cap - 1), v);
			return 1;
		}
	}
	return 0;
}

int hcli_ctl_why(struct hcli *h, const char *verb, char *out, size_t cap)
{
	struct hivec_stat st;
	uint32_t fid, io;
	char sid[32] = "", pid[32], *win;
	size_t got = 0;
	int found = 0;

	if (!h->c || !hivec_alive(h->c) || hivec_stat(h->c, "/log/queen.log", &st) < 0)
		return 0;
	if (hivec_walk(h->c, "/log/queen.log", &fid) < 0)
		return 0;
	win = malloc(HCLI_WHY_WINDOW + 1);
	uint64_t off = st.size > HCLI_WHY_WINDOW ? st.size - HCLI_WHY_WINDOW : 0;
	if (win && hivec_open(h->c, fid, O_RDONLY, &io) == 0) {
		while (got < HCLI_WHY_WINDOW) {
			ssize_t n = hivec_pread(h->c, fid, off + got, win + got,
			                        HCLI_WHY_WINDOW - got < io ? HCLI_WHY_WINDOW - got : io);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
	}
	hivec_clunk(h->c, fid);
	if (!win)
		return 0;
	/* Our session is the one whose attach row names our pid; its last
	 * refused `verb` row carries the hive's message. */
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	for (size_t at = 0; at < got;) {
		char *nl = memchr(win + at, '\n', got - at);
		size_t len = nl ? (size_t)(nl - (win + at)) : got - at;
		const char *line = win + at;
		char v[HIVE_ERRSTR_MAX];
		const char *sp = memchr(line, ' ', len);
		int attach = sp && (size_t)(line + len - sp) > 8 && !memcmp(sp, " attach ", 8);
		if (attach && hcli_row_field(line, len, "pid", 0, v, sizeof v) && !strcmp(v, pid))
			hcli_row_field(line, len, "session", 0, sid, sizeof sid);
		else if (sid[0] && hcli_row_field(line, len, "session", 0, v, sizeof v) && !strcmp(v, sid) &&
		         hcli_row_field(line, len, "verb", 0, v, sizeof v) && !strcmp(v, verb) &&
		         hcli_row_field(line, len, "msg", 1, out, cap))
			found = 1;
		at += len + 1;
	}
	free(win);
	return found;
}

/* ------------------------------------------------------------- spawn -- */

int hcli_spawn(struct hcli *h, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sig", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[PATH_MAX], sig[PATH_MAX];
	const char *sigarg = NULL;
	int opt, code;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (opt == 's')
			sigarg = optarg;
		else if (opt == 'h') {
			fputs(SPAWN_USAGE, stdout);
			return HCLI_OK;
		} else
			return hcli_usage(h, "spawn: see `hive spawn --help`");
	}
	if (optind != argc - 1)
		return hcli_usage(h, "spawn: want one manifest FILE (usage: hive spawn FILE [--sig SIGFILE])");
	/* The hive opens the file itself, from its own cwd: say where. */
	if (!realpath(argv[optind], path)) {
		fprintf(stderr, "%s: spawn %s: %s (the manifest must be a file on the hive's host)\n",
		        h->prefix, argv[optind], strerror(errno));
		return errno == ENOENT ? HCLI_NOENT : HCLI_FAIL;
	}
	if (sigarg && !realpath(sigarg, sig)) {
		fprintf(stderr, "%s: spawn: --sig %s: %s\n", h->prefix, sigarg, strerror(errno));
		return errno == ENOENT ? HCLI_NOENT : HCLI_FAIL;
	}
	if ((code = hcli_connect(h)))
		return code;
	struct hive_aid *aids = calloc(HIVE_AGENTS_MAX, sizeof *aids);
	if (!aids)
		return hcli_fail(h, -ENOMEM, "spawn: out of memory");
	int n = hive_spawn(h->c, path, sigarg ? sig : NULL, 0, aids, HIVE_AGENTS_MAX);
	if (n < 0) {
		char msg[HIVE_PATH_MAX * 2], why[HIVE_ERRSTR_MAX];
		int said = hcli_ctl_why(h, "spawn", why, sizeof why);
		snprintf(msg, sizeof msg, "%s%s", said ? why : hivec_error(h->c),
		         n == -EACCES || n == -EPERM || n == -EINVAL ?
		                 " (check the manifest with `hive manifest verify FILE`)" : "");
		free(aids);
		return hcli_fail_said(h, n, msg);
	}
	if (n > (int)HIVE_AGENTS_MAX)
		n = (int)HIVE_AGENTS_MAX;
	if (h->json) {
		json_t *a = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(a, json_string(aids[i].s));
		json_t *o = json_pack("{s:o}", "aids", a);
		json_dumpf(o, stdout, JSON_COMPACT);
		json_decref(o);
		putchar('\n');
	} else {
		for (int i = 0; i < n; i++)
			printf("%s%s", i ? " " : "", aids[i].s);
		putchar('\n');
	}
	free(aids);
	return HCLI_OK;
}

/* ---------------------------------------------------------------- ps -- */

void hcli_kv(const char *line, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *p = line; *p;) {
		while (*p == ' ')
			p++;
		const char *e = p + strcspn(p, " ");
		if ((size_t)(e - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = (size_t)(e - p) - kl - 1;
			snprintf(out, cap, "%.*s", (int)(vl < cap ? vl : cap - 1), p + kl + 1);
			return;
		}
		p = e;
	}
	snprintf(out, cap, "-");
}

/* "12ms", "3.4s", "2m05s": a person reads CPU time at a glance. */
static void ps_cpu(const char *ms_text, char *out, size_t cap)
{
	char *end;
	unsigned long long ms = strtoull(ms_text, &end, 10);
	if (*end || end == ms_text)
		snprintf(out, cap, "%s", ms_text);
	else if (ms < 1000)
		snprintf(out, cap, "%llums", ms);
	else if (ms < 60000)
		snprintf(out, cap, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(out, cap, "%llum%02llus", ms / 60000, ms / 1000 % 60);
}

static void ps_mem(const char *b_text, char *out, size_t cap)
{
	static const char unit[] = "KMGT";
	char *end;
	double b = (double)strtoull(b_text, &end, 10);
	int u = -1;
	if (*end || end == b_text) {
		snprintf(out, cap, "%s", b_text);
		return;
	}
	while (b >= 1024.0 && u < 3) {
		b /= 1024.0;
		u++;
	}
	if (u < 0)
		snprintf(out, cap, "%.0fB", b);
	else
		snprintf(out, cap, "%.1f%c", b, unit[u]);
}

/* One agent line as a JSON object: numbers as numbers, "-" as null. */
static json_t *ps_json_line(char *line)
{
	json_t *o = json_object();
	for (char *save = NULL, *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');
		if (!eq || eq == w)
			continue;
		*eq = '\0';
		const char *v = eq + 1;
		char *end;
		long long num = strtoll(v, &end, 10);
		if (!strcmp(v, "-"))
			json_object_set_new(o, w, json_null());
		else if (*v && !*end && strcmp(w, "aid") && strcmp(w, "class") && strcmp(w, "tenant"))
			json_object_set_new(o, w, json_integer(num));
		else
			json_object_set_new(o, w, json_string(v));
	}
	return o;
}

int hcli_ps(struct hcli *h, int argc, char **argv)
{
	/* /proc/agents: one line per agent, ~200 bytes, at most HIVE_AGENTS_MAX. */
	const size_t cap = (size_t)HIVE_AGENTS_MAX * 512u;
	int json = h->json, code;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (agent_is_help(argv[i])) {
			fputs(PS_USAGE, stdout);
			return HCLI_OK;
		} else
			return hcli_usage(h, "ps: unexpected argument '%s' (usage: hive ps [--json])", argv[i]);
	}
	if ((code = hcli_connect(h)))
		return code;
	char *buf = malloc(cap + 1);
	if (!buf)
		return hcli_fail(h, -ENOMEM, "ps: out of memory");
	ssize_t n = hivec_read_file(h->c, "/proc/agents", buf, cap);
	if (n < 0) {
		char msg[HIVE_PATH_MAX];
		snprintf(msg, sizeof msg, "ps: %s%s", hivec_error(h->c),
		         n == -ENOENT ? " (this hive has no agent support yet)" : "");
		free(buf);
		return hcli_fail_said(h, (int)n, msg);
	}
	buf[n] = '\0';
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("%-8s %-12s %-10s %-18s %7s %7s %8s %7s %8s\n", "AID", "CLASS", "TENANT", "STATE", "PID",
		       "CPU", "MEM", "DENIALS", "TOKENS");
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue; /* "# live=N ended=N max=N" */
		if (arr) {
			json_array_append_new(arr, ps_json_line(line));
			continue;
		}
		char aid[32], cls[72], ten[72], st[32], pid[16], cpu_ms[24], mem[24], den[24], cpu[24], m[24], tok[24];
		hcli_kv(line, "aid", aid, sizeof aid);
		hcli_kv(line, "class", cls, sizeof cls);
		hcli_kv(line, "tenant", ten, sizeof ten);
		hcli_kv(line, "state", st, sizeof st);
		hcli_kv(line, "pid", pid, sizeof pid);
		hcli_kv(line, "cpu_ms", cpu_ms, sizeof cpu_ms);
		hcli_kv(line, "memory", mem, sizeof mem);
		hcli_kv(line, "denials", den, sizeof den);
		hcli_kv(line, "tokens", tok, sizeof tok);
		ps_cpu(cpu_ms, cpu, sizeof cpu);
		ps_mem(mem, m, sizeof m);
		printf("%-8s %-12s %-10s %-18s %7s %7s %8s %7s %8s\n", aid, cls, ten, st, pid, cpu, m, den, tok);
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(arr);
	}
	free(buf);
	return HCLI_OK;
}

/* ------------------------------------------------------------- verbs -- */

/* kill|quarantine|resume AID, grant|revoke AID CAP, quota AID K=V... */
int hcli_agent_verb(struct hcli *h, int argc, char **argv)
{
	const char *verb = argv[0];
	int want_cap = !strcmp(verb, "grant") || !strcmp(verb, "revoke");
	int quota = !strcmp(verb, "quota");
	char arg[HIVE_CTL_LINE_MAX + 1];
	int code, rc;

	if (argc > 1 && agent_is_help(argv[1])) {
		fputs(VERB_USAGE, stdout);
		return HCLI_OK;
	}
	if (want_cap && argc != 3)
		return hcli_usage(h, "usage: hive %s AID CAP (e.g. hive %s a-3 fs.read:/srv/data)", verb, verb);
	if (quota && argc < 3)
		return hcli_usage(h, "usage: hive quota AID KEY=VALUE... (cpu_weight, memory_max, "
		                     "pids_max, tokens_per_minute)");
	if (!want_cap && !quota && argc != 2)
		return hcli_usage(h, "usage: hive %s AID", verb);
	if (!hive_aid_valid(argv[1]))
		return hcli_usage(h, "%s: '%s' is not an AID (a-<n>; see `hive ps`)", verb, argv[1]);
	arg[0] = '\0';
	if (quota) {
		size_t off = 0;
		for (int i = 2; i < argc; i++) {
			const char *eq = strchr(argv[i], '=');
			if (!eq || eq == argv[i] || !eq[1] || strpbrk(argv[i], " \t\n"))
				return hcli_usage(h, "quota: '%s' is not KEY=VALUE (e.g. memory_max=67108864)",
				                  argv[i]);
			int n = snprintf(arg + off, sizeof arg - off, "%s%s", off ? " " : "", argv[i]);
			if (n < 0 || (size_t)n >= sizeof arg - off)
				return hcli_usage(h, "quota: the settings are longer than a ctl line (%u bytes)",
				                  HIVE_CTL_LINE_MAX);
			off += (size_t)n;
		}
	} else if (want_cap) {
		snprintf(arg, sizeof arg, "%.*s", (int)HIVE_CTL_LINE_MAX, argv[2]);
	}
	if ((code = hcli_connect(h)))
		return code;
	rc = hive_agent_verb(h->c, verb, argv[1], arg[0] ? arg : NULL);
	if (rc < 0) {
		char why[HIVE_ERRSTR_MAX];
		if (rc != -ENOENT && hcli_ctl_why(h, verb, why, sizeof why))
			return hcli_fail_said(h, rc, why);
		return hcli_fail_said(h, rc, hivec_error(h->c));
	}
	return HCLI_OK;
}
