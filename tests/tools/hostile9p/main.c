/*
 * main.c — hostile9p's runner: options, the table of scenarios, and the TAP
 * report (one line per scenario, then a health check of the server).
 *
 * A deliberately rude 9P client: proves hived survives malformed, abusive
 * and resource-hungry peers. The table here mirrors docs/hostile-inputs.md;
 * tests/integration/t0250 runs it. See hostile9p.h for the file map.
 *
 *   hostile9p --socket PATH [--tcp HOST:PORT [--ticket T] [--worker-ticket-file F]] [--pid PID]
 *             [--frame-timeout-ms N]
 *             [--handshake-timeout-ms N] [--idle-timeout-ms N]
 *             [--only NAME,NAME] [--list]
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile9p.h"
#include "lib/secret.h"

struct h9_options opt;
char why[H9_WHY_MAX];       /* first failure of the running scenario */
char last_err[HIVE_ERRSTR_MAX]; /* last error reply, for notes */

int fail(const char *fmt, ...)
{
	va_list ap;

	if (!why[0]) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A scenario that cannot run here: returns 1 and says why. */
int skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return 1;
}

void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* --- the table and the runner ---------------------------------------------------- */

static const uint32_t sizes_invalid[] = { 4, 5, 6, 1 }, sizes_zero[] = { 0, 1 },
		      sizes_huge[] = { 0xFFFFFFFFu, HIVE_MSIZE_MAX + 1, 1 };
/* A 300-byte name, past HIVE_NAME_MAX; filled by main. */
static char long_name[300];
static const uint32_t ms_zero = 0, ms_100 = 100, ms_huge = 0xFFFFFFFFu;
static const int no = 0, yes = 1;
static const struct badname bn_slash = { "proc/version", 12 }, bn_nul = { "pro\0c", 5 },
			    bn_empty = { "", 0 }, bn_dot = { ".", 1 }, bn_utf8 = { "\xff\xfe", 2 },
			    bn_long = { long_name, sizeof long_name };

static const struct scenario {
	const char *name;
	int (*fn)(const void *arg);
	const void *arg;
} scenarios[] = {
	{ "size_lie_silence", sc_size_lie_silence, NULL },
	{ "size_below_header", sc_size_invalid, sizes_invalid },
	{ "size_zero", sc_size_invalid, sizes_zero },
	{ "size_huge", sc_size_invalid, sizes_huge },
	{ "msize_zero", sc_msize, &ms_zero },
	{ "msize_100", sc_msize, &ms_100 },
	{ "msize_max_u32", sc_msize, &ms_huge },
	{ "frame_over_msize", sc_msize_frame_over, NULL },
	{ "version_unknown", sc_version_unknown, NULL },
	{ "version_again", sc_version_again, NULL },
	{ "before_version", sc_before_version, NULL },
	{ "attach_twice", sc_attach_twice, NULL },
	{ "walk_newfid_in_use", sc_walk_newfid_in_use, NULL },
	{ "tag_reuse", sc_tag_reuse, NULL },
	{ "notag_request", sc_notag_request, NULL },
	{ "flush_unknown_tag", sc_flush_unknown_tag, NULL },
	{ "flush_race", sc_flush_race, NULL },
	{ "walk_17_names", sc_walk_17, NULL },
	{ "walk_16_dotdot", sc_walk_16_dotdot, NULL },
	{ "walk_name_slash", sc_walk_bad_name, &bn_slash },
	{ "walk_name_nul", sc_walk_bad_name, &bn_nul },
	{ "walk_name_empty", sc_walk_bad_name, &bn_empty },
	{ "walk_name_dot", sc_walk_bad_name, &bn_dot },
	{ "walk_name_300", sc_walk_bad_name, &bn_long },
	{ "walk_name_bad_utf8", sc_walk_bad_name, &bn_utf8 },
	{ "read_count_huge", sc_count_huge, &no },
	{ "readdir_count_huge", sc_count_huge, &yes },
	{ "write_count_lies", sc_write_count_lies, NULL },
	{ "attach_unknown_afid", sc_attach_afid, &no },
	{ "auth_then_attach_no_ticket", sc_attach_afid, &yes },
	{ "clunk_unknown_fid", sc_clunk_unknown, NULL },
	{ "clunk_twice", sc_clunk_twice, NULL },
	{ "io_unopened_fid", sc_io_unopened, NULL },
	{ "write_readonly_file", sc_write_readonly, NULL },
	{ "open_dir_for_write", sc_open_dir_write, NULL },
	{ "modify_ops_refused", sc_modify_refused, NULL },
	{ "deny_door", sc_deny_door, NULL },
	{ "truncated_frames", sc_truncated, NULL },
	{ "garbage_bytes", sc_garbage, NULL },
	{ "bad_message_types", sc_bad_types, NULL },
	{ "dialect_9p2000", sc_dialect_9p2000, NULL },
	{ "dir_read_9p2000_offsets", sc_dir_read_offsets, NULL },
	{ "tcp_no_ticket", sc_tcp_no_ticket, NULL },
	{ "tcp_auth_fids_max", sc_tcp_auth_fids_max, NULL },
	{ "tcp_auth_fid_flood", sc_tcp_auth_fid_flood, NULL },
	{ "handshake_silence", sc_handshake_silence, NULL },
	{ "slowloris", sc_slowloris, NULL },
	{ "idle_timeout", sc_idle_timeout, NULL },
	{ "never_reads_replies", sc_never_reads, NULL },
	{ "fid_exhaustion", sc_fid_exhaustion, NULL },
	{ "idle_1000", sc_idle_1000, NULL },
	{ "sessions_over_max", sc_sessions_over_max, NULL },
	{ "tcp_attach_flood", sc_tcp_attach_flood, NULL },
	{ "stranger_lockout", sc_stranger_lockout, NULL },
	{ "stranger_holds_pool", sc_stranger_holds_pool, NULL },
	{ "snapshot_hoard", sc_snapshot_hoard, NULL },
};

static int selected(const char *name)
{
	size_t n = strlen(name);

	if (!opt.only)
		return 1;
	for (const char *p = opt.only; (p = strstr(p, name)); p += n)
		if ((p == opt.only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: hostile9p --socket PATH [--tcp HOST:PORT [--ticket T] [--worker-ticket-file F]]\n"
	                "       [--pid PID] [--frame-timeout-ms N]\n"
	                "       [--handshake-timeout-ms N] [--idle-timeout-ms N] [--only a,b] [--list]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", 1, NULL, 's' }, { "tcp", 1, NULL, 't' }, { "ticket", 1, NULL, 'T' },
		{ "pid", 1, NULL, 'p' }, { "frame-timeout-ms", 1, NULL, 'f' },
		{ "handshake-timeout-ms", 1, NULL, 'h' }, { "idle-timeout-ms", 1, NULL, 'i' },
		{ "only", 1, NULL, 'o' }, { "list", 0, NULL, 'l' }, { "worker-ticket-file", 1, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	size_t ns = sizeof scenarios / sizeof scenarios[0];
	static char worker_ticket[HIVE_TICKET_TOKEN_MAX + 1];
	struct err err;
	int ch, num = 0, failed = 0;

	opt.frame_ms = HIVE_FRAME_TIMEOUT_MS;
	opt.handshake_ms = HIVE_HANDSHAKE_TIMEOUT_MS;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': opt.sock = optarg; break;
		case 't': opt.tcp = optarg; break;
		case 'T': opt.ticket = optarg; break;
		case 'p': opt.pid = atoi(optarg); break;
		case 'f': opt.frame_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'h': opt.handshake_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'i': opt.idle_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'o': opt.only = optarg; break;
		case 'w':
			if (secret_read_file(optarg, worker_ticket, sizeof worker_ticket, &err) < 0) {
				fprintf(stderr, "hostile9p: --worker-ticket-file: %s\n", err.msg);
				return 2;
			}
			opt.worker_ticket = worker_ticket;
			break;
		case 'l':
			for (size_t i = 0; i < ns; i++)
				puts(scenarios[i].name);
			return 0;
		default: return usage();
		}
	}
	if (!opt.sock)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	memset(long_name, 'a', sizeof long_name);
	for (size_t i = 0; i < ns; i++) {
		const struct scenario *s = &scenarios[i];
		char swhy[H9_WHY_MAX];
		int64_t lat = 0;
		if (!selected(s->name))
			continue;
		why[0] = 0;
		last_err[0] = 0;
		via_bind = 0x7f000000u | (uint32_t)(10 + i % 240); /* 127.0.0.(10+i) */
		int rc = s->fn(s->arg);
		num++;
		if (rc > 0) {
			printf("ok %d - %s # SKIP %s\n", num, s->name, why);
			continue;
		}
		snprintf(swhy, sizeof swhy, "%s", rc < 0 ? (why[0] ? why : "failed (no detail)") : "");
		why[0] = 0;
		int hrc = health(&lat);
		if (rc == 0 && hrc == 0) {
			printf("ok %d - %s (then a fresh session in %lld ms)\n", num, s->name, (long long)lat);
		} else {
			failed++;
			printf("not ok %d - %s\n", num, s->name);
			if (rc < 0)
				printf("#   %s: %s\n", s->name, swhy);
			if (hrc < 0)
				printf("#   health check after %s: %s\n", s->name, why);
		}
		fflush(stdout);
	}
	printf("1..%d\n", num);
	return failed ? 1 : 0;
}
