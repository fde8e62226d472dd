/*
 * hive-gpu-bridge — publishes the host's GPUs into a hive's /gpu.
 *
 *   hive-gpu-bridge [--socket PATH | --tcp ADDR:PORT --ticket-file F]
 *                   [--mock N] [--models DIR] [--interval MS] [--rounds N]
 *
 * A client like any other (it links lib, trust, ninep and client, never a
 * hived part): it attaches as queen — the hive's owner over the Unix
 * socket, or a queen ticket over TCP — and every interval writes each
 * GPU's info and status, the telemetry schema and (at each connect) the
 * models of DIR to /gpu/bridge/ctl, one file per write (docs/gpu.md). NVML
 * or hive failures are reported and retried next round; nothing the
 * driver or the hive answers ends the bridge, only SIGTERM/SIGINT or
 * --rounds do.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/hiveclient.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/hostport.h"
#include "lib/limits.h"
#include "lib/secret.h"
#include "lib/strbuf.h"
#include "nvml.h"
#include "render.h"

#define BRIDGE_CTL "/gpu/bridge/ctl"
/* "put " + the longest path + "\n" + a file. */
#define BRIDGE_WRITE_MAX (HIVE_GPU_FILE_MAX + 2u * HIVE_GPU_ID_MAX + 64u)

struct bridge {
	struct hivec_opts o;
	char host[256], ticket[HIVE_TICKET_TOKEN_MAX + 1];
	const char *models;
	unsigned mock;
	uint32_t interval_ms;
	struct nvml *nv;
	struct hivec *c;
	unsigned seen; /* GPUs published so far: a GPU gone is still reported, lost */
	char last_msg[1024];
	char buf[BRIDGE_WRITE_MAX];
	struct nvml_sample sample;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Say a problem once, not every round, until it changes. */
static void say(struct bridge *b, const char *msg)
{
	if (strncmp(b->last_msg, msg, sizeof b->last_msg - 1)) {
		fprintf(stderr, "hive-gpu-bridge: %s\n", msg);
		if (snprintf(b->last_msg, sizeof b->last_msg, "%s", msg) < 0)
			b->last_msg[0] = '\0';
	}
}

static int publish(struct bridge *b, const char *path, const char *data, size_t len)
{
	struct strbuf sb;
	ssize_t rc;
	char msg[512];

	strbuf_init(&sb, b->buf, sizeof b->buf);
	strbuf_printf(&sb, "put %s\n", path);
	strbuf_append(&sb, data, len);
	if (sb.overflow)
		return -EFBIG;
	rc = hivec_write_file(b->c, BRIDGE_CTL, sb.buf, sb.len);
	if (rc < 0) {
		snprintf(msg, sizeof msg, "publish %s: %s", path, hivec_error(b->c));
		say(b, msg);
		return (int)rc;
	}
	return 0;
}

/* Each DIR/available/<id>/manifest.toml (or DIR/<id>/manifest.toml). */
static void publish_models(struct bridge *b)
{
	char dir[HIVE_PATH_MAX], file[HIVE_PATH_MAX], path[2 * HIVE_GPU_ID_MAX + 32], msg[512];
	static char data[HIVE_GPU_FILE_MAX + 1];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/available", b->models);
	if (!(d = opendir(dir))) {
		snprintf(dir, sizeof dir, "%s", b->models);
		if (!(d = opendir(dir))) {
			snprintf(msg, sizeof msg, "models %s: %s", b->models, strerror(errno));
			say(b, msg);
			return;
		}
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		ssize_t got;

		if (de->d_name[0] == '.' || n > HIVE_GPU_ID_MAX)
			continue;
		if (snprintf(file, sizeof file, "%s/%s/manifest.toml", dir, de->d_name) >= (int)sizeof file)
			continue;
		got = fileio_read_small(file, data, sizeof data);
		if (got == -EFBIG) {
			snprintf(msg, sizeof msg, "model %s: manifest over %u bytes, skipped", de->d_name, HIVE_GPU_FILE_MAX);
			say(b, msg);
			continue;
		}
		if (got < 0)
			continue;
		if (snprintf(path, sizeof path, "models/%s/manifest", de->d_name) >= (int)sizeof path)
			continue;
		publish(b, path, data, (size_t)got);
	}
	closedir(d);
}

static void publish_schema(struct bridge *b)
{
	char schema[1024];
	struct strbuf sb;

	strbuf_init(&sb, schema, sizeof schema);
	if (render_schema(&sb) == 0)
		publish(b, "telemetry/schema.json", sb.buf, sb.len);
}

static int hive_connect(struct bridge *b)
{
	char msg[512], line[600];
	int err = 0;

	if (b->c && hivec_alive(b->c))
		return 0;
	hivec_close(b->c);
	if (!(b->c = hivec_connect(&b->o, &err, msg, sizeof msg))) {
		snprintf(line, sizeof line, "cannot attach to the hive: %s", msg);
		say(b, line);
		return err ? err : -EIO;
	}
	say(b, "attached");
	publish_schema(b);
	if (b->models)
		publish_models(b);
	return 0;
}

static void nvml_ensure(struct bridge *b)
{
	char msg[512];

	if (b->nv)
		return;
	b->nv = b->mock ? nvml_mock(b->mock) : nvml_open(NULL, msg, sizeof msg);
	if (!b->nv)
		say(b, b->mock ? "out of memory" : msg);
}

static void publish_gpu(struct bridge *b, unsigned idx, const struct nvml_sample *s)
{
	static char text[HIVE_GPU_FILE_MAX];
	char id[16], path[48];
	struct strbuf sb;

	snprintf(id, sizeof id, "%u", idx);
	if (!strcmp(s->state, "ok")) {
		strbuf_init(&sb, text, sizeof text);
		if (render_info(&sb, id, s, nvml_driver(b->nv)) == 0) {
			snprintf(path, sizeof path, "%s/info", id);
			publish(b, path, sb.buf, sb.len);
		}
	}
	strbuf_init(&sb, text, sizeof text);
	if (render_status(&sb, s) == 0) {
		snprintf(path, sizeof path, "%s/status", id);
		publish(b, path, sb.buf, sb.len);
	}
}

/* One round: sample every GPU and publish. GPUs seen before and gone now
 * are published lost, so a reader sees the change instead of old numbers. */
static void round_once(struct bridge *b)
{
	struct nvml_sample *s = &b->sample;
	unsigned n = 0;
	char msg[512];

	nvml_ensure(b);
	if (hive_connect(b) < 0)
		return;
	if (b->nv && nvml_count(b->nv, &n, msg, sizeof msg) < 0) {
		say(b, msg);
		/* The library may need a new init (driver restarted). */
		nvml_close(b->nv);
		b->nv = NULL;
		n = 0;
	}
	if (n > HIVE_GPU_MAX)
		n = HIVE_GPU_MAX;
	for (unsigned i = 0; i < n && !stop; i++) {
		nvml_sample(b->nv, i, s);
		publish_gpu(b, i, s);
	}
	for (unsigned i = n; i < b->seen; i++) {
		memset(s, 0, sizeof *s);
		snprintf(s->state, sizeof s->state, "lost");
		snprintf(s->reason, sizeof s->reason, "%s", b->nv ? "gone" : "nvml-unavailable");
		publish_gpu(b, i, s);
	}
	if (n > b->seen)
		b->seen = n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hive-gpu-bridge [--socket PATH | --tcp ADDR:PORT --ticket-file F]\n"
	           "                       [--mock N] [--models DIR] [--interval MS] [--rounds N]\n"
	           "  --socket PATH      the hive's Unix socket (as its owner: queen); default\n"
	           "                     $HIVE_SOCKET\n"
	           "  --tcp ADDR:PORT    attach over TCP with the queen ticket of --ticket-file\n"
	           "  --mock N           N fake GPUs instead of NVML\n"
	           "  --models DIR       publish DIR/available/<id>/manifest.toml\n"
	           "  --interval MS      refresh period (default %u)\n"
	           "  --rounds N         stop after N rounds (default: until SIGTERM)\n"
	           "NVML: libnvidia-ml.so.1 by the loader's search, or $HIVE_NVML_LIBRARY.\n",
	        HIVE_GPU_BRIDGE_INTERVAL_MS);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "tcp", required_argument, NULL, 't' },
		{ "ticket-file", required_argument, NULL, 'F' }, { "mock", required_argument, NULL, 'm' },
		{ "models", required_argument, NULL, 'M' }, { "interval", required_argument, NULL, 'i' },
		{ "rounds", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bridge b;
	const char *tcp = NULL, *ticket_file = NULL;
	unsigned long v, rounds = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int ch;

	b.interval_ms = HIVE_GPU_BRIDGE_INTERVAL_MS;
	b.o.timeout_ms = 5000;
	b.o.unix_path = getenv("HIVE_SOCKET");
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': b.o.unix_path = optarg; break;
		case 't': tcp = optarg; break;
		case 'F': ticket_file = optarg; break;
		case 'M': b.models = optarg; break;
		case 'm':
			if (parse_uint(optarg, HIVE_GPU_MAX, &v) < 0 || v == 0)
				return fprintf(stderr, "hive-gpu-bridge: --mock takes 1..%u\n", HIVE_GPU_MAX), 2;
			b.mock = (unsigned)v;
			break;
		case 'i':
			if (parse_uint(optarg, 3600000, &v) < 0 || v < 10)
				return fprintf(stderr, "hive-gpu-bridge: --interval takes 10..3600000 ms\n"), 2;
			b.interval_ms = (uint32_t)v;
			break;
		case 'r':
			if (parse_uint(optarg, 1000000000, &rounds) < 0)
				return fprintf(stderr, "hive-gpu-bridge: --rounds takes a count\n"), 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc)
		return usage(stderr), 2;
	if (tcp) {
		struct err err = { 0 };
		int port;

		if (!ticket_file)
			return fprintf(stderr, "hive-gpu-bridge: --tcp needs --ticket-file (a queen ticket)\n"), 2;
		if (hostport_parse(tcp, "127.0.0.1", b.host, sizeof b.host, &port) < 0)
			return fprintf(stderr, "hive-gpu-bridge: bad --tcp %s\n", tcp), 2;
		if (secret_read_file(ticket_file, b.ticket, sizeof b.ticket, &err) < 0)
			return fprintf(stderr, "hive-gpu-bridge: %s\n", err.msg), 2;
		b.o.unix_path = NULL;
		b.o.tcp_host = b.host;
		b.o.tcp_port = port;
		b.o.ticket = b.ticket;
	} else if (!b.o.unix_path) {
		return fprintf(stderr, "hive-gpu-bridge: name the hive: --socket PATH or --tcp ADDR:PORT\n"), 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (unsigned long r = 0; !stop && (!rounds || r < rounds); r++) {
		struct timespec ts = { .tv_sec = b.interval_ms / 1000, .tv_nsec = (long)(b.interval_ms % 1000) * 1000000L };

		round_once(&b);
		if (!stop && (!rounds || r + 1 < rounds))
			nanosleep(&ts, NULL); /* a signal cuts it short */
	}
	hivec_close(b.c);
	nvml_close(b.nv);
	return 0;
}
