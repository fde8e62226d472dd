/*
 * main.c — hived: parse the command line, take the state directory, build
 * the hive, listen, and run the loop until SIGTERM/SIGINT.
 *
 * Start-up is linear and every step names what failed, why, and what to
 * do about it. Shutdown frees everything (ASan's leak check runs in the
 * tests) and removes the socket, the pid file and the port file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hived/console/console.h"
#include "hive.h"
#include "lib/fileio.h"
#include "lib/hostport.h"
#include "lib/statedir.h"
#include "lifecycle.h"
#include "hived/net/listen.h"
#include "loop.h"
#include "hived/ns/ns.h"
#include "hived/9p/srv.h"
#include "spin.h"
#include "hived/audit/auditfs.h"
#include "trust/sigkey.h"
#include "hived/agent/agent.h"
#include "hived/broker/broker.h"
#include "hived/gpu/gpu.h"
#include "trust/ticket.h"
#include "lib/secret.h"

/* File descriptors wanted: every session, the listeners, the console and
 * state files, with room for what agents and the audit writer will open. */
#define HIVED_NOFILE_WANT (HIVE_SESSIONS_MAX * 2u + 256u)
/* Bytes of randomness in a generated console token (hex doubles it). */
#define HIVED_TOKEN_BYTES 16u

static const char usage[] =
	"usage: hived [options]\n"
	"\n"
	"Serve the hive's namespace over 9P (9P2000 and 9P2000.L) on a Unix socket and TCP,\n"
	"and optionally over the framed line console.\n"
	"\n"
	"options:\n"
	"  --state DIR            state directory (default: $HIVE_STATE, else\n"
	"                         $XDG_STATE_HOME/hive, else ~/.local/state/hive; created 0700).\n"
	"                         Holds hive.sock, hived.pid, tcp.port, tickets.conf,\n"
	"                         console.token and console.port.\n"
	"  --socket PATH          Unix socket (default: <state>/hive.sock, mode 0600). The owner of\n"
	"                         hived attaching here without a ticket is the queen.\n"
	"  --tcp ADDR:PORT        TCP listener (default: 127.0.0.1:5640; PORT 0 = any free port;\n"
	"                         IPv6 as [::1]:5640). TCP sessions need a ticket in aname.\n"
	"  --no-tcp               no TCP listener\n"
	"  --console [ADDR:]PORT  enable the line console (default address 127.0.0.1; PORT 0 = any)\n"
	"  --console-token-file F read the console AUTH token from file F (default:\n"
	"                         $HIVE_CONSOLE_TOKEN, else <state>/console.token, created with\n"
	"                         a random token if missing)\n"
	"  --console-token T      refused: every local user can read a token on the command\n"
	"                         line in /proc/PID/cmdline; use --console-token-file F\n"
	"  --idle-timeout SECONDS close sessions idle this long (default: 600; 0 = never)\n"
	"  --ticket-ttl-max SECONDS\n"
	"                         the longest a ticket lives, whatever its ttl says (default:\n"
	"                         ttl_max in tickets.conf, else 30 days). Revoked ticket ids are\n"
	"                         read from <state>/tickets.revoked (`hive ticket revoke ID`)\n"
	"  --handshake-timeout SECONDS\n"
	"                         close 9P sessions not attached this long after connecting\n"
	"                         (default: 10; 0 = never; raise it for peers that connect early,\n"
	"                         such as a VM's virtio-serial port)\n"
	"  --busy-poll-us N       after a busy turn, poll for up to N microseconds before sleeping\n"
	"                         (default 0 = never; at most 1000). Trades a CPU for latency when\n"
	"                         a client sends one request at a time: see bench/run.sh\n"
	"  --test-fixtures        adds /test with fixtures for client conformance tests:\n"
	"                         /test/big holds 1000 files\n"
	"  --agent-uids FIRST-LAST\n"
	"                         as root, agent n runs as uid and gid FIRST + n % count (default\n"
	"                         600000-665535); as another user agents run as that user\n"
	"  --landlock-abi N       use at most Landlock ABI N (0 = none), to see what an older\n"
	"                         kernel can enforce; bundles it cannot honour are refused\n"
	"  --broker ADDR:PORT     serve the inference broker on this loopback address (PORT 0 =\n"
	"                         any free port, the bound one is in <state>/broker.port). Any\n"
	"                         --broker-* flag also starts it, on 127.0.0.1:0; off otherwise\n"
	"  --no-broker            no inference broker, whatever other flags say\n"
	"  --broker-upstream URL  the OpenAI-compatible server behind it (default\n"
	"                         http://127.0.0.1:8000/v1)\n"
	"  --broker-slots N       requests in flight at the upstream (default 4)\n"
	"  --broker-models LIST   the models served, comma separated (default sim)\n"
	"  --broker-fifo          first come, first served instead of fair share (a baseline)\n"
	"  --help                 show this help\n"
	"  --version              show the version\n"
	"\n"
	"The bound TCP port is written to <state>/tcp.port (and the console's to console.port).\n"
	"SIGTERM or SIGINT stops hived cleanly.\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("hived: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void state_path(const struct hive *hive, const char *name, char *out, size_t cap)
{
	if (statedir_path(hive->cfg.state_dir, name, out, cap) < 0)
		die("state path %s/%s is too long (max %zu; use a shorter --state)", hive->cfg.state_dir,
		    name, cap - 1);
}

/* The hive's signing key: <state>/keys/hive.key (0600), made on first
 * start, and its public half in hive.pub beside it (and /proc/hive.pub)
 * for whoever checks an attestation offline. */
static void hive_key_load(struct hive *hive)
{
	char dir[HIVE_PATH_MAX], keypath[HIVE_PATH_MAX], pubpath[HIVE_PATH_MAX];
	struct err e = { 0 };

	state_path(hive, "keys", dir, sizeof dir);
	state_path(hive, "keys/hive.key", keypath, sizeof keypath);
	state_path(hive, "keys/hive.pub", pubpath, sizeof pubpath);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die("cannot create %s: %s", dir, strerror(errno));
	int rc = sigkey_load(&hive->sigkey, keypath, &e);
	if (rc == -ENOENT) {
		rc = sigkey_generate(&hive->sigkey, "hived", &e);
		if (rc == 0)
			rc = sigkey_save(&hive->sigkey, keypath, NULL, &e);
	}
	if (rc == 0)
		rc = sigkey_save(&hive->sigkey, NULL, pubpath, &e);
	if (rc < 0)
		die("the hive's signing key: %s", e.msg);
	fprintf(stderr, "hived: signing key %s (%s)\n", hive->sigkey.pub.id, pubpath);
}

/* Take <state>/hived.pid with flock: one hived per state directory. */
static int take_lock(struct hive *hive, char *pidpath, size_t cap)
{
	state_path(hive, "hived.pid", pidpath, cap);
	int fd = open(pidpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		die("cannot open %s: %s (is the state directory writable? use --state DIR)", pidpath,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		long pid = strtol(buf, NULL, 10);
		die("another hived is serving %s (pid %ld); stop it first or use another --state",
		    hive->cfg.unix_path, pid);
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		die("cannot write %s: %s", pidpath, strerror(errno));
	return fd;
}

static void console_token_load(struct hive *hive)
{
	if (hive->cfg.console_token[0])
		return;
	char path[HIVE_PATH_MAX];
	state_path(hive, "console.token", path, sizeof path);
	FILE *f = fopen(path, "re");
	if (f) {
		char line[HIVE_SECRET_MAX];
		if (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\r\n")] = '\0';
			snprintf(hive->cfg.console_token, sizeof hive->cfg.console_token, "%s", line);
		}
		fclose(f);
		if (!hive->cfg.console_token[0])
			die("%s is empty (write a token into it or use --console-token-file F)", path);
		return;
	}
	unsigned char raw[HIVED_TOKEN_BYTES];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		die("cannot get randomness for a console token: %s", strerror(errno));
	char hex[2 * HIVED_TOKEN_BYTES + 2];
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	snprintf(hive->cfg.console_token, sizeof hive->cfg.console_token, "%s", hex);
	strcat(hex, "\n");
	int rc = fileio_write_atomic(path, hex, strlen(hex), 0600);
	if (rc < 0)
		die("cannot write %s: %s (use --console-token-file F)", path, strerror(-rc));
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t want = HIVED_NOFILE_WANT;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < HIVE_SESSIONS_MAX + 64u)
		fprintf(stderr, "hived: warning: only %lu file descriptors (hard limit); fewer than %u "
		        "sessions will fit (raise it with ulimit -Hn)\n",
		        (unsigned long)rl.rlim_cur, HIVE_SESSIONS_MAX);
}

/* What agents lose below the Landlock ABI the sandbox is built for. */
static void landlock_say_missing(int abi)
{
	static const struct {
		int abi;
		const char *what;
	} steps[] = {
		{ 1, "every file-system ceiling: bundles with fs.* rights are refused" },
		{ 2, "renames and links across directories (always denied)" },
		{ 3, "truncation outside fs.write" },
		{ 4, "TCP port rules: bundles with net.* rights are refused" },
		{ 5, "ioctl on devices" },
		{ 6, "signal and abstract-socket scoping" },
		{ 7, "the kernel's own denial log" },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (abi < steps[i].abi)
			fprintf(stderr, "hived: agents: Landlock ABI %d cannot enforce %s (ABI %d)\n", abi, steps[i].what,
			        steps[i].abi);
}

static void on_stop_signal(struct loop *loop, int signo, void *arg)
{
	int *got = arg;
	*got = signo;
	loop_stop(loop);
}

/* Not in hive_config: only srv and the loop use them. */
static uint32_t handshake_ms = HIVE_HANDSHAKE_TIMEOUT_MS;
/* --ticket-ttl-max, over tickets.conf's ttl_max; 0 = not given. */
static uint64_t ticket_ttl_max_s;
static uint32_t busy_poll_us = SPIN_US_DEFAULT;
/* The broker's settings: on with any --broker flag, never with --no-broker. */
static struct broker_cfg broker_cfg = { .addr = "127.0.0.1", .upstream = "http://127.0.0.1:8000/v1",
	                                .models = "sim", .slots = 4 };
static int broker_on, broker_off;

static void parse_args(struct hive *hive, int argc, char **argv)
{
	enum { O_STATE = 256, O_SOCKET, O_TCP, O_NO_TCP, O_CONSOLE, O_CONSOLE_TOKEN,
	       O_CONSOLE_TOKEN_FILE, O_IDLE, O_TICKET_TTL_MAX, O_HANDSHAKE, O_BUSY_POLL,
	       O_TEST_FIXTURES, O_AGENT_UIDS, O_LANDLOCK_ABI, O_BROKER, O_NO_BROKER, O_BROKER_UPSTREAM,
	       O_BROKER_SLOTS, O_BROKER_MODELS, O_BROKER_FIFO, O_HELP, O_VERSION };
	static const struct option opts[] = {
		{ "state", required_argument, NULL, O_STATE },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "tcp", required_argument, NULL, O_TCP },
		{ "no-tcp", no_argument, NULL, O_NO_TCP },
		{ "console", required_argument, NULL, O_CONSOLE },
		{ "console-token", required_argument, NULL, O_CONSOLE_TOKEN },
		{ "console-token-file", required_argument, NULL, O_CONSOLE_TOKEN_FILE },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "ticket-ttl-max", required_argument, NULL, O_TICKET_TTL_MAX },
		{ "handshake-timeout", required_argument, NULL, O_HANDSHAKE },
		{ "busy-poll-us", required_argument, NULL, O_BUSY_POLL },
		{ "test-fixtures", no_argument, NULL, O_TEST_FIXTURES },
		{ "agent-uids", required_argument, NULL, O_AGENT_UIDS },
		{ "landlock-abi", required_argument, NULL, O_LANDLOCK_ABI },
		{ "broker", required_argument, NULL, O_BROKER },
		{ "no-broker", no_argument, NULL, O_NO_BROKER },
		{ "broker-upstream", required_argument, NULL, O_BROKER_UPSTREAM },
		{ "broker-slots", required_argument, NULL, O_BROKER_SLOTS },
		{ "broker-models", required_argument, NULL, O_BROKER_MODELS },
		{ "broker-fifo", no_argument, NULL, O_BROKER_FIFO },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct hive_config *cfg = &hive->cfg;
	snprintf(cfg->tcp_addr, sizeof cfg->tcp_addr, "127.0.0.1");
	cfg->tcp_port = HIVE_DEFAULT_TCP_PORT;
	cfg->console_port = -1;
	snprintf(cfg->console_addr, sizeof cfg->console_addr, "127.0.0.1");
	cfg->idle_timeout_ms = HIVE_IDLE_TIMEOUT_MS;
	cfg->agent_uid_base = HIVE_AGENT_UID_BASE;
	cfg->agent_uid_count = HIVE_AGENT_UID_COUNT;
	struct err err;
	int c;
	char *end;
	long v;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_STATE:
			if (strlen(optarg) >= sizeof cfg->state_dir - 32)
				die("--state %s: path too long", optarg);
			snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", optarg);
			break;
		case O_SOCKET:
			if (strlen(optarg) >= sizeof cfg->unix_path)
				die("--socket %s: path too long", optarg);
			snprintf(cfg->unix_path, sizeof cfg->unix_path, "%s", optarg);
			break;
		case O_TCP:
			if (hostport_parse(optarg, "127.0.0.1", cfg->tcp_addr, sizeof cfg->tcp_addr,
			                   &cfg->tcp_port) < 0)
				die("--tcp %s: expected ADDR:PORT (e.g. 127.0.0.1:5640, [::1]:5640)", optarg);
			break;
		case O_NO_TCP:
			cfg->tcp_addr[0] = '\0';
			break;
		case O_CONSOLE:
			if (hostport_parse(optarg, "127.0.0.1", cfg->console_addr, sizeof cfg->console_addr,
			                   &cfg->console_port) < 0)
				die("--console %s: expected [ADDR:]PORT (e.g. 31337 or 127.0.0.1:31337)", optarg);
			break;
		case O_CONSOLE_TOKEN:
			fprintf(stderr, "hived: --console-token T is refused: every local user can read it in "
			        "/proc/PID/cmdline; use --console-token-file F or $HIVE_CONSOLE_TOKEN\n");
			exit(2);
		case O_CONSOLE_TOKEN_FILE:
			if (secret_read_file(optarg, cfg->console_token, sizeof cfg->console_token, &err) < 0)
				die("--console-token-file: %s", err.msg);
			break;
		case O_IDLE:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v < 0 || v > 86400 * 7)
				die("--idle-timeout %s: expected seconds from 0 (never) to 604800", optarg);
			cfg->idle_timeout_ms = (uint32_t)v * 1000u;
			break;
		case O_TICKET_TTL_MAX:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v < 1 ||
			    (unsigned long long)v > TICKET_TTL_MAX_CEILING_S)
				die("--ticket-ttl-max %s: expected seconds from 1 to %llu (ten years)", optarg,
				    (unsigned long long)TICKET_TTL_MAX_CEILING_S);
			ticket_ttl_max_s = (uint64_t)v;
			break;
		case O_HANDSHAKE:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v < 0 || v > 86400)
				die("--handshake-timeout %s: expected seconds from 0 (never) to 86400", optarg);
			handshake_ms = (uint32_t)v * 1000u;
			break;
		case O_BUSY_POLL:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v < 0 || v > (long)HIVE_BUSY_POLL_US_MAX)
				die("--busy-poll-us %s: expected microseconds from 0 (never) to %u", optarg,
				    HIVE_BUSY_POLL_US_MAX);
			busy_poll_us = (uint32_t)v;
			break;
		case O_TEST_FIXTURES:
			cfg->test_fixtures = 1;
			break;
		case O_AGENT_UIDS: {
			unsigned long lo, hi;
			int used = 0;
			if (sscanf(optarg, "%lu-%lu%n", &lo, &hi, &used) != 2 || optarg[used] || lo < 1000 || hi < lo ||
			    hi >= 0xfffffffful || hi - lo + 1 < 1)
				die("--agent-uids %s: expected FIRST-LAST, unprivileged uids (>= 1000) nobody uses, "
				    "e.g. %u-%u", optarg, HIVE_AGENT_UID_BASE, HIVE_AGENT_UID_BASE + HIVE_AGENT_UID_COUNT - 1);
			cfg->agent_uid_base = (uint32_t)lo;
			cfg->agent_uid_count = (uint32_t)(hi - lo + 1);
			break;
		}
		case O_LANDLOCK_ABI:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v < 0 || v > 64)
				die("--landlock-abi %s: expected the highest Landlock ABI to use, 0 (none) to 64", optarg);
			cfg->landlock_abi_max = v == 0 ? -1 : (int)v;
			break;
		case O_BROKER:
			if (hostport_parse(optarg, "127.0.0.1", broker_cfg.addr, sizeof broker_cfg.addr,
			                   &broker_cfg.port) < 0)
				die("--broker %s: expected ADDR:PORT (e.g. 127.0.0.1:8080)", optarg);
			broker_on = 1;
			break;
		case O_NO_BROKER:
			broker_off = 1;
			break;
		case O_BROKER_UPSTREAM:
			broker_on = 1;
			if (strlen(optarg) >= sizeof broker_cfg.upstream ||
			    (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0))
				die("--broker-upstream %s: expected an http(s) URL ending in /v1", optarg);
			snprintf(broker_cfg.upstream, sizeof broker_cfg.upstream, "%s", optarg);
			break;
		case O_BROKER_SLOTS:
			broker_on = 1;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v < 1 || v > (long)HIVE_BROKER_SLOTS_MAX)
				die("--broker-slots %s: expected 1 to %u", optarg, HIVE_BROKER_SLOTS_MAX);
			broker_cfg.slots = (uint32_t)v;
			break;
		case O_BROKER_MODELS:
			broker_on = 1;
			if (!*optarg || strlen(optarg) >= sizeof broker_cfg.models ||
			    strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/@+-,") !=
			            strlen(optarg))
				die("--broker-models %s: expected model names, comma separated", optarg);
			snprintf(broker_cfg.models, sizeof broker_cfg.models, "%s", optarg);
			break;
		case O_BROKER_FIFO:
			broker_on = 1;
			broker_cfg.fifo = 1;
			break;
		case O_HELP:
			fputs(usage, stdout);
			exit(0);
		case O_VERSION:
			printf("hived %s\n", HIVE_VERSION);
			exit(0);
		default:
			fprintf(stderr, "hived: unknown or incomplete option %s\n%s", argv[optind - 1], usage);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hived: unexpected argument %s\n%s", argv[optind], usage);
		exit(2);
	}
	/* The environment is the owner's only (/proc/PID/environ is 0400).
	 * Once read the value is wiped in place (that is the memory
	 * /proc/PID/environ shows) and the variable dropped, so nothing hived
	 * starts inherits the token. */
	char *env_token = getenv("HIVE_CONSOLE_TOKEN");
	if (env_token) {
		size_t n = strlen(env_token);
		if (n && !cfg->console_token[0]) {
			if (n >= sizeof cfg->console_token)
				die("$HIVE_CONSOLE_TOKEN: longer than %zu characters", sizeof cfg->console_token - 1);
			snprintf(cfg->console_token, sizeof cfg->console_token, "%s", env_token);
		}
		explicit_bzero(env_token, n);
		unsetenv("HIVE_CONSOLE_TOKEN");
	}
	if (!cfg->state_dir[0])
		if (statedir_resolve(NULL, cfg->state_dir, sizeof cfg->state_dir - 32) < 0)
			die("state directory from $HIVE_STATE, $XDG_STATE_HOME or $HOME is too long (use --state DIR)");
	if (!cfg->unix_path[0] &&
	    statedir_path(cfg->state_dir, HIVE_SOCKET_NAME, cfg->unix_path, sizeof cfg->unix_path) < 0)
		die("socket path too long (use --socket PATH)");
}

/* hive->adopt_conn: an agent's own connection becomes a 9P session. */
static int adopt_conn(struct hive *hive, int fd, const struct principal *who)
{
	return srv_adopt(hive->srv, fd, who);
}

int main(int argc, char **argv)
{
	static struct hive hive; /* large; zeroed; one per process */
	char why[512], pidpath[HIVE_PATH_MAX], portpath[HIVE_PATH_MAX];
	struct listener *lunix = NULL, *ltcp = NULL;
	int tcp_port = -1, rc;

	parse_args(&hive, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	rc = statedir_make(hive.cfg.state_dir, 0700);
	if (rc < 0)
		die("cannot create state directory %s: %s (use --state DIR)", hive.cfg.state_dir,
		    strerror(-rc));
	int lockfd = take_lock(&hive, pidpath, sizeof pidpath);
	state_path(&hive, "tcp.port", portpath, sizeof portpath);
	unlink(portpath);

	struct err kerr = { 0 };
	if (ticket_keys_load(&hive.keys, hive.cfg.state_dir, 1, &kerr) < 0)
		die("cannot load ticket secrets: %s", kerr.msg);
	if (ticket_ttl_max_s)
		hive.keys.ttl_max_s = ticket_ttl_max_s;
	hive_key_load(&hive);
	if (hive.cfg.console_port >= 0)
		console_token_load(&hive);

	hive.loop = loop_new();
	if (!hive.loop)
		die("cannot create the event loop: %s", strerror(errno));
	struct spin *spin = NULL;
	if (busy_poll_us && !(spin = spin_attach(hive.loop, busy_poll_us)))
		die("cannot set up --busy-poll-us: %s", strerror(errno));
	kernel_probe(&hive.kernel);
	/* --landlock-abi: the hive behaves, and says it does, as on a kernel
	 * with at most that ABI, so what it cannot enforce there is seen here. */
	if (hive.cfg.landlock_abi_max) {
		int cap = hive.cfg.landlock_abi_max < 0 ? 0 : hive.cfg.landlock_abi_max;
		if (hive.kernel.landlock_abi > cap)
			hive.kernel.landlock_abi = cap;
	}
	char kdesc[512];
	kernel_describe(&hive.kernel, kdesc, sizeof kdesc);
	fprintf(stderr, "hived: kernel: %s\n", kdesc);
	landlock_say_missing(hive.kernel.landlock_abi);
	hive.owner_uid = geteuid();
	hive.start_ms = loop_now_ms();
	hive.start_wall = (int64_t)time(NULL);
	hive.next_session_id = 1;
	lifecycle_init(&hive.lifecycle, hive.start_ms);
	struct err auerr = { 0 };
	if (auditfs_open(&hive, &auerr) < 0)
		die("cannot open the audit log: %s", auerr.msg);
	rc = hive_tree_build(&hive);
	if (rc < 0)
		die("cannot build the namespace: %s", strerror(-rc));

	struct srv *srv = srv_new(&hive);
	if (!srv)
		die("cannot start the 9P server: %s", strerror(errno));
	hive.srv = srv;
	hive.adopt_conn = adopt_conn;
	struct err aerr = { 0 };
	rc = agents_open(&hive, &aerr);
	if (rc < 0)
		die("cannot start the agent supervisor: %s", aerr.msg);
	if (broker_on && !broker_off && (rc = broker_open(&hive, &broker_cfg, &aerr)) < 0)
		die("cannot start the inference broker: %s (use --broker ADDR:PORT or --no-broker)", aerr.msg);
	if (gpu_open(&hive, &aerr) < 0)
		die("cannot make /gpu: %s", aerr.msg);
	srv_set_handshake_timeout(srv, handshake_ms);
	if (listen_unix(&hive, srv, hive.cfg.unix_path, &lunix, why, sizeof why) < 0)
		die("%s", why);
	if (hive.cfg.tcp_addr[0]) {
		if (listen_tcp(&hive, srv, hive.cfg.tcp_addr, hive.cfg.tcp_port, &tcp_port, &ltcp, why,
		               sizeof why) < 0) {
			listen_close(lunix);
			die("%s", why);
		}
		char text[16];
		snprintf(text, sizeof text, "%d\n", tcp_port);
		rc = fileio_write_atomic(portpath, text, strlen(text), 0600);
		if (rc < 0)
			fprintf(stderr, "hived: warning: cannot write %s: %s\n", portpath, strerror(-rc));
	}
	rc = console_start(&hive);
	if (rc < 0) {
		listen_close(ltcp);
		listen_close(lunix);
		die("cannot start the console on %s:%d: %s (use --console [ADDR:]PORT)",
		    hive.cfg.console_addr, hive.cfg.console_port, strerror(-rc));
	}

	int got = 0;
	if (loop_add_signal(hive.loop, SIGTERM, on_stop_signal, &got) < 0 ||
	    loop_add_signal(hive.loop, SIGINT, on_stop_signal, &got) < 0)
		die("cannot watch SIGTERM/SIGINT: %s", strerror(errno));

	char tcpdesc[96] = "off";
	if (ltcp)
		snprintf(tcpdesc, sizeof tcpdesc, "%s:%d", hive.cfg.tcp_addr, tcp_port);
	hive_event(&hive, NULL, "start", NULL, "version=%s pid=%ld socket=%s tcp=%s console=%s",
	           HIVE_VERSION, (long)getpid(), hive.cfg.unix_path, tcpdesc,
	           hive.cfg.console_port >= 0 ? "on" : "off");
	/* The boot transition is logged like any lifecycle change (queenctl.c),
	 * so a reader of queen.log sees every state the hive was in. */
	enum lifecycle_state boot_from = hive.lifecycle.state;
	lifecycle_online(&hive.lifecycle, loop_now_ms());
	if (hive.lifecycle.state != boot_from)
		hive_event(&hive, NULL, "lifecycle", NULL, "old=%s new=%s reason=%s",
		           lifecycle_state_name(boot_from), lifecycle_state_name(hive.lifecycle.state),
		           hive.lifecycle.reason);

	rc = loop_run(hive.loop);
	if (rc < 0)
		fprintf(stderr, "hived: event loop failed: %s\n", strerror(-rc));

	hive_event(&hive, NULL, "stop", NULL, "signal=%s",
	           got == SIGTERM ? "TERM" : got == SIGINT ? "INT" : "none");
	broker_close(&hive);
	agents_close(&hive);
	gpu_close(&hive);
	console_stop(&hive);
	listen_close(ltcp);
	listen_close(lunix);
	srv_free(srv);
	auditfs_close(&hive);
	hive_tree_free(&hive);
	sigkey_wipe(&hive.sigkey);
	spin_detach(spin);
	loop_free(hive.loop);
	hive.loop = NULL;
	if (ltcp)
		unlink(portpath);
	unlink(pidpath);
	close(lockfd);
	return rc < 0 ? 1 : 0;
}
