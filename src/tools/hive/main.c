/*
 * main.c — `hive`, the command-line client of a hive: global flags, where
 * to connect (socket, state dir, TCP + ticket), and dispatch to the verbs.
 *
 * Every verb is a thin client of the namespace (see cmds.c); the exit
 * codes are a contract with scripts and are listed in --help.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/defaults.h"
#include "lib/hostport.h"
#include "lib/secret.h"
#include "lib/statedir.h"
#include "agentcmd.h"
#include "attestcmd.h"
#include "auditcmd.h"
#include "cli.h"
#include "mount.h"
#include "runcmd.h"
#include "trustcmd.h"

static const char hcli_help[] =
	"usage: hive [GLOBAL FLAGS] VERB [ARGS...]\n"
	"\n"
	"A client of a hive (hived): the namespace is files; every verb reads or writes them.\n"
	"\n"
	"Verbs:\n"
	"  ls [-l] [PATH]             list a directory (-l: mode, size, mtime)\n"
	"  cat PATH...                print files\n"
	"  tail [-f] [-n N] PATH      last N lines (default 10); -f follows appends until ^C\n"
	"  write PATH TEXT...         write TEXT (words joined by spaces) + newline in one write,\n"
	"                             e.g. hive write /queen/ctl 'log hello'\n"
	"  stat PATH...               attributes of files\n"
	"  sh [-k] [-c CMDS | FILE]   interactive shell (ls cat tail write stat echo cd pwd help);\n"
	"                             -c runs CMDS (';' or newline separated), FILE runs a script;\n"
	"                             stops at the first failing command unless -k\n"
	"  ticket mint --role ROLE [--subject S] --ttl SECONDS [--state DIR] [--issued-at MS]\n"
	"                             mint a ticket from <state>/tickets.conf; prints the token, and\n"
	"                             its id on stderr (ttl 0 = the longest the hive allows, ttl_max\n"
	"                             in tickets.conf, default 30 days; roles: queen worker\n"
	"                             worker-gpu worker-bus worker-lora observer)\n"
	"  ticket revoke ID|TOKEN [--state DIR]\n"
	"                             list a ticket in <state>/tickets.revoked: the hive refuses it\n"
	"                             from its next attach\n"
	"  key new|show               make or show an Ed25519 signing key (hive key --help)\n"
	"  manifest sign|verify FILE  sign a manifest, or check its signature against the trust\n"
	"                             store (hive manifest --help; schema: docs/manifest.md)\n"
	"  trust add|ls|rm            the signer keys this hive trusts (hive trust --help)\n"
	"  attest --verify FILE --key PUB | attest AID\n"
	"                             check an agent's attestation offline, or a running agent's\n"
	"                             against the hive's key (hive attest --help)\n"
	"  audit verify|query|prove|tail|export|checkpoint\n"
	"                             the audit log, offline from <state>/audit (hive audit --help)\n"
	"  spawn FILE [--sig SIG]     spawn the agents of a signed manifest; prints the AIDs\n"
	"  run [FLAGS] -- CMD ARGS... run CMD as a sandboxed agent in the foreground, this\n"
	"                             terminal attached; exits with CMD's status (hive run --help)\n"
	"  ps [--json]                the agents: AID CLASS TENANT STATE PID CPU MEM DENIALS\n"
	"  kill|quarantine|resume AID end, freeze or thaw an agent\n"
	"  grant|revoke AID CAP       add or take back one capability of a running agent\n"
	"  quota AID KEY=VALUE...     cpu_weight, memory_max, pids_max, tokens_per_minute\n"
	"  ping                       connect, attach and one round trip; prints the latency\n"
	"  mount [-f] DIR | -u DIR    the namespace as a FUSE directory (-f: foreground;\n"
	"                             -u: unmount)\n"
	"  help                       this text\n"
	"\n"
	"Global flags (before the verb):\n"
	"  --socket PATH     Unix socket of the hive (default $HIVE_SOCKET, else <state>/hive.sock)\n"
	"  --state DIR       state directory of the hive (default $HIVE_STATE, else\n"
	"                    $XDG_STATE_HOME/hive, else ~/.local/state/hive)\n"
	"  --tcp HOST:PORT   connect over TCP instead (needs a ticket)\n"
	"  --ticket-file F   read the ticket to attach with from file F (- = stdin); default\n"
	"                    $HIVE_TICKET. A ticket itself on the command line is refused: every\n"
	"                    local user can read it in /proc/PID/cmdline (--ticket '' sends none)\n"
	"  --timeout MS      wait at most MS for each reply (default 5000)\n"
	"  --json            machine-readable output for ls, stat, ping, ticket mint\n"
	"  -h, --help        this text\n"
	"  -V, --version     print the version\n"
	"\n"
	"Environment: HIVE_SOCKET, HIVE_STATE, HIVE_TICKET, XDG_STATE_HOME, HOME.\n"
	"\n"
	"Exit codes:\n"
	"  0  ok\n"
	"  1  the operation failed (the hive refused it)\n"
	"  2  usage error\n"
	"  3  cannot connect, or the connection was lost\n"
	"  4  permission denied (role or ticket)\n"
	"  5  not found\n";

struct hcli_verb {
	const char *name;
	int (*fn)(struct hcli *h, int argc, char **argv);
};

static const struct hcli_verb hcli_verbs[] = {
	{ "ls", hcli_ls },       { "cat", hcli_cat },   { "tail", hcli_tail },
	{ "write", hcli_write }, { "stat", hcli_stat }, { "sh", hcli_sh },
	{ "ticket", hcli_ticket }, { "ping", hcli_ping },
	{ "key", hcli_key },     { "manifest", hcli_manifest }, { "trust", hcli_trust },
	{ "attest", hcli_attest }, { "audit", hcli_audit },
	{ "spawn", hcli_spawn },   { "run", hcli_run },   { "ps", hcli_ps },
	{ "kill", hcli_agent_verb }, { "quarantine", hcli_agent_verb }, { "resume", hcli_agent_verb },
	{ "grant", hcli_agent_verb }, { "revoke", hcli_agent_verb }, { "quota", hcli_agent_verb },
};

/* HOST:PORT or [V6]:PORT; a client needs a host and a real port. */
static int hcli_parse_tcp(struct hcli *h, const char *arg)
{
	int port;
	if (hostport_parse(arg, NULL, h->tcp_host, sizeof h->tcp_host, &port) < 0 || port == 0)
		return -EINVAL;
	h->o.tcp_host = h->tcp_host;
	h->o.tcp_port = port;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "tcp", required_argument, NULL, 't' },
		{ "ticket", required_argument, NULL, 'T' },
		{ "ticket-file", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct hcli h; /* large: keep it off the stack */
	static char ticket_buf[HIVE_TICKET_TOKEN_MAX + 1];
	const char *sock = NULL, *state = NULL, *tcp = NULL, *ticket = NULL, *ticket_file = NULL;
	struct err err;
	int opt, code;

	snprintf(h.prefix, sizeof h.prefix, "hive");
	snprintf(h.cwd, sizeof h.cwd, "/");
	while ((opt = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'S': state = optarg; break;
		case 't': tcp = optarg; break;
		case 'T':
			/* Only "no ticket" may be said here: a real one would be on
			 * show in /proc/PID/cmdline to every local user. */
			if (*optarg)
				return hcli_usage(&h, "--ticket VALUE is refused: every local user can read it in "
				                      "/proc/PID/cmdline; use --ticket-file FILE (- = stdin) or "
				                      "$HIVE_TICKET");
			ticket = optarg;
			break;
		case 'F': ticket_file = optarg; break;
		case 'j': h.json = 1; break;
		case 'o': {
			char *end;
			errno = 0;
			long ms = strtol(optarg, &end, 10);
			if (errno || *end || ms <= 0 || ms > 3600000)
				return hcli_usage(&h, "--timeout wants milliseconds 1..3600000, not '%s'", optarg);
			h.o.timeout_ms = (uint32_t)ms;
			break;
		}
		case 'h':
			fputs(hcli_help, stdout);
			return HCLI_OK;
		case 'V':
			printf("hive %s (9P2000.L client)\n", HIVE_VERSION);
			return HCLI_OK;
		default:
			fprintf(stderr, "hive: see `hive --help`\n");
			return HCLI_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(hcli_help, stderr);
		return HCLI_USAGE;
	}
	if (statedir_resolve(state, h.state, sizeof h.state) < 0)
		return hcli_usage(&h, "--state: path too long");
	if (sock && tcp)
		return hcli_usage(&h, "--socket and --tcp are exclusive: pick one");
	if (ticket_file) {
		if (ticket)
			return hcli_usage(&h, "--ticket '' and --ticket-file are exclusive: pick one");
		if (secret_read_file(ticket_file, ticket_buf, sizeof ticket_buf, &err) < 0)
			return hcli_usage(&h, "--ticket-file: %s", err.msg);
		ticket = ticket_buf;
	}
	if (!ticket)
		ticket = getenv("HIVE_TICKET");
	h.o.ticket = ticket;
	if (tcp) {
		if (hcli_parse_tcp(&h, tcp) < 0)
			return hcli_usage(&h, "--tcp wants HOST:PORT (e.g. 127.0.0.1:5640), not '%s'", tcp);
		if (!ticket)
			return hcli_usage(&h, "--tcp needs a ticket: pass --ticket-file FILE or set $HIVE_TICKET "
			                      "(mint one with `hive ticket mint --role ROLE --ttl SECONDS`)");
	} else {
		const char *env = getenv("HIVE_SOCKET");
		int n;
		if (sock)
			n = snprintf(h.sock, sizeof h.sock, "%s", sock);
		else if (env && *env && !state)
			n = snprintf(h.sock, sizeof h.sock, "%s", env);
		else
			n = snprintf(h.sock, sizeof h.sock, "%s/%s", h.state, HIVE_SOCKET_NAME);
		if (n < 0 || (size_t)n >= sizeof h.sock)
			return hcli_usage(&h, "socket path too long");
		h.o.unix_path = h.sock;
	}

	const char *verb = argv[optind];
	if (!strcmp(verb, "help")) {
		fputs(hcli_help, stdout);
		return HCLI_OK;
	}
	if (!strcmp(verb, "mount")) /* the FUSE client: it owns its connection */
		return hive_mount_main(argc - optind, argv + optind, &h.o);
	code = -1;
	for (size_t i = 0; i < sizeof hcli_verbs / sizeof hcli_verbs[0]; i++) {
		if (!strcmp(verb, hcli_verbs[i].name)) {
			code = hcli_verbs[i].fn(&h, argc - optind, argv + optind);
			break;
		}
	}
	if (code < 0)
		code = hcli_usage(&h, "unknown verb '%s' (see `hive --help`)", verb);
	hivec_close(h.c);
	return code;
}
