/*
 * loadgen.c — the 9P load generator for `make bench`.
 *
 * The same generator drives hived and the baseline server (diod), so the
 * ratio of their numbers is a property of the servers, not of the client.
 * Each of N connections runs in its own thread and repeats one operation:
 * walk to PATH, open it, read it, clunk it. Latencies go into a fixed
 * log-scale histogram (bounded memory) from which p50/p99 are read.
 *
 * With --idle N it instead opens N attached sessions, prints "ready" and
 * holds them until stdin closes (for the idle-memory measurement).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/client/hiveclient.h"

/* Latency histogram: buckets of 1/16 of a power of two over nanoseconds,
 * enough resolution for percentiles and a fixed 1 KiB per thread. */
#define LG_BUCKETS (64 * 16)
#define LG_CONNS_MAX 64
#define LG_IDLE_MAX 4096

struct lg_thread {
	pthread_t tid;
	struct hivec_opts opts;
	const char *path;
	double seconds;
	uint64_t ops, errors;
	uint32_t hist[LG_BUCKETS];
	char err[256];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t ns)
{
	if (ns < 16)
		return (unsigned)ns;
	unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
	unsigned sub = (unsigned)((ns >> (msb - 4)) & 15u);
	unsigned b = (msb - 3) * 16 + sub;
	return b < LG_BUCKETS ? b : LG_BUCKETS - 1;
}

static uint64_t bucket_value(unsigned b)
{
	if (b < 16)
		return b;
	unsigned msb = b / 16 + 3, sub = b % 16;
	return (1ull << msb) + ((uint64_t)sub << (msb - 4));
}

static void *lg_run(void *arg)
{
	struct lg_thread *t = arg;
	int err = 0;
	struct hivec *c = hivec_connect(&t->opts, &err, t->err, sizeof t->err);
	if (!c) {
		t->errors++;
		return NULL;
	}
	char buf[8192];
	uint64_t end = now_ns() + (uint64_t)(t->seconds * 1e9);
	while (now_ns() < end) {
		uint64_t t0 = now_ns();
		uint32_t fid, iounit;
		int rc = hivec_walk(c, t->path, &fid);
		if (rc == 0) {
			rc = hivec_open(c, fid, O_RDONLY, &iounit);
			if (rc == 0 && hivec_pread(c, fid, 0, buf, sizeof buf) < 0)
				rc = -EIO;
			if (hivec_clunk(c, fid) < 0 && rc == 0)
				rc = -EIO;
		}
		if (rc < 0) {
			if (!t->errors)
				snprintf(t->err, sizeof t->err, "%s", hivec_error(c));
			t->errors++;
			if (t->errors > 100)
				break;
			continue;
		}
		t->hist[bucket_of(now_ns() - t0)]++;
		t->ops++;
	}
	hivec_close(c);
	return NULL;
}

static uint64_t percentile(const uint64_t *hist, uint64_t total, double p)
{
	uint64_t want = (uint64_t)((double)total * p), seen = 0;
	for (unsigned b = 0; b < LG_BUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return bucket_value(b);
	}
	return 0;
}

static int hold_idle(const struct hivec_opts *o, int n)
{
	static struct hivec *conns[LG_IDLE_MAX];
	char msg[256];
	int err = 0;
	for (int i = 0; i < n; i++) {
		conns[i] = hivec_connect(o, &err, msg, sizeof msg);
		if (!conns[i]) {
			fprintf(stderr, "loadgen: idle session %d: %s\n", i, msg);
			return 1;
		}
	}
	printf("ready %d\n", n);
	fflush(stdout);
	while (getchar() != EOF)
		;
	for (int i = 0; i < n; i++)
		hivec_close(conns[i]);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: loadgen (--socket PATH | --tcp HOST:PORT) [--aname A] [--uname U]\n"
	           "               [--path P] [--conns N] [--seconds S] [--idle N]\n"
	           "Prints: conns=N ops=N ops_per_s=X p50_us=X p99_us=X errors=N\n");
}

int main(int argc, char **argv)
{
	struct hivec_opts o = { 0 };
	const char *path = "/proc/version";
	int conns = 1, idle = 0;
	double seconds = 3;
	static char host[256];
	static const struct option longopts[] = {
		{ "socket", required_argument, 0, 's' }, { "tcp", required_argument, 0, 't' },
		{ "aname", required_argument, 0, 'a' },  { "uname", required_argument, 0, 'u' },
		{ "path", required_argument, 0, 'p' },   { "conns", required_argument, 0, 'c' },
		{ "seconds", required_argument, 0, 'S' }, { "idle", required_argument, 0, 'i' },
		{ "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o.unix_path = optarg; break;
		case 't': {
			char *colon = strrchr(optarg, ':');
			if (!colon || (size_t)(colon - optarg) >= sizeof host) {
				fprintf(stderr, "loadgen: --tcp wants HOST:PORT\n");
				return 2;
			}
			memcpy(host, optarg, (size_t)(colon - optarg));
			o.tcp_host = host;
			o.tcp_port = atoi(colon + 1);
			break;
		}
		case 'a': o.ticket = optarg; break;
		case 'u': o.uname = optarg; break;
		case 'p': path = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'S': seconds = atof(optarg); break;
		case 'i': idle = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((!o.unix_path && !o.tcp_host) || conns < 1 || conns > LG_CONNS_MAX || idle < 0 ||
	    idle > LG_IDLE_MAX || seconds <= 0) {
		usage(stderr);
		return 2;
	}
	if (idle)
		return hold_idle(&o, idle);

	static struct lg_thread threads[LG_CONNS_MAX];
	for (int i = 0; i < conns; i++) {
		threads[i].opts = o;
		threads[i].path = path;
		threads[i].seconds = seconds;
		if (pthread_create(&threads[i].tid, NULL, lg_run, &threads[i]) != 0) {
			fprintf(stderr, "loadgen: cannot start thread %d\n", i);
			return 1;
		}
	}
	static uint64_t hist[LG_BUCKETS];
	uint64_t ops = 0, errors = 0;
	for (int i = 0; i < conns; i++) {
		pthread_join(threads[i].tid, NULL);
		ops += threads[i].ops;
		errors += threads[i].errors;
		for (unsigned b = 0; b < LG_BUCKETS; b++)
			hist[b] += threads[i].hist[b];
		if (threads[i].errors)
			fprintf(stderr, "loadgen: conn %d: %llu errors, first: %s\n", i,
			        (unsigned long long)threads[i].errors, threads[i].err);
	}
	printf("conns=%d ops=%llu ops_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%llu\n", conns,
	       (unsigned long long)ops, (double)ops / seconds, percentile(hist, ops, 0.50) / 1e3,
	       percentile(hist, ops, 0.99) / 1e3, (unsigned long long)errors);
	return ops > 0 && errors == 0 ? 0 : 1;
}
