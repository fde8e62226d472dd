/*
 * loadgen.c — the 9P load generator for `make bench`.
 *
 * The same generator drives hived and the baseline server (diod), so the
 * ratio of their numbers is a property of the servers, not of the client.
 * Each of N connections runs in its own thread and repeats one operation:
 * walk to PATH, open it, read it, clunk it. Latencies go into a fixed
 * log-scale histogram (bounded memory) from which p50/p99 are read.
 *
 * With --depth D (> 1) each connection instead opens PATH once and keeps D
 * Treads of it in flight: as each reply comes back another request goes
 * out, all requests made ready by one receive leave in one send. This is
 * how a pipelining client (the kernel's v9fs under many processes) loads a
 * server, and measures its receive batching and reply coalescing; the
 * latency is per request, from its send to its reply.
 *
 * With --idle N it instead opens N attached sessions, prints "ready" and
 * holds them until stdin closes (for the idle-memory measurement).
 *
 * With --probe N it makes up to N probes (for --seconds at most), one at a
 * time and --interval-ms apart, each a fresh connection reading PATH whole
 * as `hive cat` does: connect, attach, read, close. The latency is the
 * whole probe's; a probe the server refuses (connection, attach or read)
 * counts as refused. This is how the queen sees the hive under load.
 *
 * With --strangers N it holds N TCP connections that never attach, as a
 * stranger without a ticket would, reconnecting any the server closes (at
 * most every LG_STRANGER_RETRY_MS per slot), for --seconds. Loopback
 * addresses only: it is a load test, never pointed elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/hiveclient.h"
#include "ninep/ninep.h"

/* Latency histogram: buckets of 1/16 of a power of two over nanoseconds,
 * enough resolution for percentiles and a fixed 1 KiB per thread. */
#define LG_BUCKETS (64 * 16)
#define LG_CONNS_MAX 64
#define LG_IDLE_MAX 4096
/* Requests in flight per connection in --depth mode (tags 0..D-1): up to
 * about one msize of Treads, the burst a hostile pipelining client sends. */
#define LG_DEPTH_MAX 2048
/* Bytes of one encoded Tread (size type tag fid offset count). */
#define LG_TREAD_BYTES 23u
/* --strangers: connections held at most, and how soon a slot the server
 * closed dials again (ms), so a refused slot costs the server ~20
 * accepts a second, not a tight loop. */
#define LG_STRANGERS_MAX 4096
#define LG_STRANGER_RETRY_MS 50
/* Bytes asked for by each pipelined Tread (the file is small). */
#define LG_READ_COUNT 8192u
/* A stalled server fails the run instead of hanging it (ms). */
#define LG_POLL_TIMEOUT_MS 10000

struct lg_thread {
	pthread_t tid;
	struct hivec_opts opts;
	const char *path;
	double seconds;
	int depth;
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

static void lg_fail(struct lg_thread *t, const char *what)
{
	if (!t->errors)
		snprintf(t->err, sizeof t->err, "%s", what);
	t->errors++;
}

/* Encode a Tread of fid at tag onto out; returns its length or -1. */
static int lg_put_tread(uint8_t *out, size_t cap, uint32_t msize, uint16_t tag, uint32_t fid)
{
	struct ninep_msg m = { .type = NINEP_TREAD, .tag = tag };
	m.u.tread.fid = fid;
	m.u.tread.offset = 0;
	m.u.tread.count = LG_READ_COUNT;
	return ninep_encode(&m, NINEP_9P2000L, out, cap < msize ? cap : msize);
}

/* --depth mode: D Treads of one open fid in flight on the connection. */
static void lg_pipeline(struct lg_thread *t, struct hivec *c)
{
	uint32_t fid, iounit, msize = hivec_msize(c);
	if (hivec_walk(c, t->path, &fid) < 0 || hivec_open(c, fid, O_RDONLY, &iounit) < 0) {
		lg_fail(t, hivec_error(c));
		return;
	}
	int fd = hivec_fd(c);
	size_t cap = (size_t)msize * 2, outcap = (size_t)LG_DEPTH_MAX * LG_TREAD_BYTES;
	uint8_t *in = malloc(cap), *out = malloc(outcap);
	uint64_t sent_ns[LG_DEPTH_MAX];
	if (!in || !out) {
		lg_fail(t, "out of memory");
		goto done;
	}
	size_t outlen = 0, inlen = 0;
	uint64_t now = now_ns(), end = now + (uint64_t)(t->seconds * 1e9);
	for (int i = 0; i < t->depth; i++) {
		int n = lg_put_tread(out + outlen, outcap - outlen, msize, (uint16_t)i, fid);
		if (n < 0) {
			lg_fail(t, "cannot encode Tread");
			goto done;
		}
		outlen += (size_t)n;
		sent_ns[i] = now;
	}
	int inflight = t->depth;
	while (inflight > 0) {
		/* Send what the socket takes, never blocking on it: with deep
		 * pipelines the server may wait for us to read its replies. */
		if (outlen) {
			ssize_t w = send(fd, out, outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				lg_fail(t, "send failed");
				goto done;
			}
			if (w > 0) {
				memmove(out, out + w, outlen - (size_t)w);
				outlen -= (size_t)w;
			}
		}
		struct pollfd p = { .fd = fd, .events = POLLIN | (outlen ? POLLOUT : 0) };
		if (poll(&p, 1, LG_POLL_TIMEOUT_MS) <= 0) {
			lg_fail(t, "server stalled");
			goto done;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = recv(fd, in + inlen, cap - inlen, 0);
		if (n <= 0) {
			lg_fail(t, "connection closed");
			goto done;
		}
		inlen += (size_t)n;
		now = now_ns();
		size_t off = 0;
		for (;;) {
			uint32_t size = ninep_frame_size(in + off, inlen - off);
			if (inlen - off < 4 || inlen - off < size)
				break;
			struct ninep_msg r;
			if (size < NINEP_HDR || size > msize ||
			    ninep_decode(in + off, size, msize, NINEP_9P2000L, &r) < 0 ||
			    r.tag >= (unsigned)t->depth || r.type != NINEP_RREAD) {
				lg_fail(t, "bad reply");
				goto done;
			}
			off += size;
			inflight--;
			t->hist[bucket_of(now - sent_ns[r.tag])]++;
			t->ops++;
			if (now < end) {
				int k = lg_put_tread(out + outlen, outcap - outlen, msize, r.tag, fid);
				if (k < 0) {
					lg_fail(t, "cannot encode Tread");
					goto done;
				}
				outlen += (size_t)k;
				sent_ns[r.tag] = now;
				inflight++;
			}
		}
		memmove(in, in + off, inlen - off);
		inlen -= off;
	}
	hivec_clunk(c, fid);
done:
	free(in);
	free(out);
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
	if (t->depth > 1) {
		lg_pipeline(t, c);
		hivec_close(c);
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

static void lg_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int lg_probe(const struct hivec_opts *o, const char *path, int n, double seconds,
                    int interval_ms)
{
	static uint64_t hist[LG_BUCKETS];
	static char buf[HIVE_SNAPSHOT_MAX];
	uint64_t ok = 0, refused = 0, end = now_ns() + (uint64_t)(seconds * 1e9);
	char msg[256];
	for (int i = 0; i < n && now_ns() < end; i++) {
		int err = 0, good = 0;
		uint64_t t0 = now_ns(), t1 = 0;
		struct hivec *c = hivec_connect(o, &err, msg, sizeof msg);
		if (c) {
			good = hivec_read_file(c, path, buf, sizeof buf) >= 0;
			t1 = now_ns();
			if (!good)
				snprintf(msg, sizeof msg, "%s", hivec_error(c));
			hivec_close(c);
		}
		if (good) {
			hist[bucket_of(t1 - t0)]++;
			ok++;
		} else {
			if (!refused)
				fprintf(stderr, "loadgen: probe %d refused: %s\n", i, msg);
			refused++;
		}
		lg_sleep_ms(interval_ms);
	}
	printf("probes=%llu ok=%llu refused=%llu p50_us=%.1f p99_us=%.1f\n",
	       (unsigned long long)(ok + refused), (unsigned long long)ok, (unsigned long long)refused,
	       percentile(hist, ok, 0.50) / 1e3, percentile(hist, ok, 0.99) / 1e3);
	return 0;
}

/* Is host a loopback address (127/8 or ::1)? */
static int lg_is_loopback(const struct addrinfo *ai)
{
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ai->ai_addr;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ai->ai_addr;
		return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
	}
	return 0;
}

static int lg_strangers(const char *host, int port, int n, double seconds)
{
	static struct pollfd fds[LG_STRANGERS_MAX];
	static uint64_t retry_at[LG_STRANGERS_MAX];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0 || !lg_is_loopback(ai)) {
		fprintf(stderr, "loadgen: --strangers wants a loopback address\n");
		if (ai)
			freeaddrinfo(ai);
		return 2;
	}
	/* One descriptor per connection: make room for them. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	uint64_t dials = 0, closed = 0, held_sum = 0, rounds = 0;
	uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
	int announced = 0;
	for (int i = 0; i < n; i++)
		fds[i].fd = -1;
	while (now_ns() < end) {
		uint64_t now = now_ns();
		int held = 0;
		for (int i = 0; i < n; i++) {
			if (fds[i].fd < 0 && now >= retry_at[i]) {
				int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
				if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
				    errno != EINPROGRESS) {
					close(fd);
					fd = -1;
				}
				dials++;
				fds[i].fd = fd;
				fds[i].events = POLLIN;
				retry_at[i] = now + LG_STRANGER_RETRY_MS * 1000000ull;
			}
			held += fds[i].fd >= 0;
		}
		held_sum += (uint64_t)held;
		rounds++;
		if (!announced) {
			printf("ready %d\n", held);
			fflush(stdout);
			announced = 1;
		}
		if (poll(fds, (nfds_t)n, 20) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			char b[256];
			ssize_t r = read(fds[i].fd, b, sizeof b);
			if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
				continue;
			close(fds[i].fd);
			fds[i].fd = -1;
			closed++;
		}
	}
	for (int i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	freeaddrinfo(ai);
	printf("strangers=%d dials=%llu closed_by_server=%llu held_avg=%.0f\n", n,
	       (unsigned long long)dials, (unsigned long long)closed,
	       rounds ? (double)held_sum / (double)rounds : 0.0);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: loadgen (--socket PATH | --tcp HOST:PORT) [--aname A] [--uname U]\n"
	           "               [--path P] [--conns N] [--seconds S] [--depth D] [--idle N]\n"
	           "               [--probe N [--interval-ms MS]] [--strangers N]\n"
	           "Prints: conns=N ops=N ops_per_s=X p50_us=X p99_us=X errors=N\n");
}

int main(int argc, char **argv)
{
	struct hivec_opts o = { 0 };
	const char *path = "/proc/version";
	int conns = 1, idle = 0, depth = 1, probe = 0, interval_ms = 10, strangers = 0;
	double seconds = 3;
	static char host[256];
	static const struct option longopts[] = {
		{ "socket", required_argument, 0, 's' }, { "tcp", required_argument, 0, 't' },
		{ "aname", required_argument, 0, 'a' },  { "uname", required_argument, 0, 'u' },
		{ "path", required_argument, 0, 'p' },   { "conns", required_argument, 0, 'c' },
		{ "seconds", required_argument, 0, 'S' }, { "idle", required_argument, 0, 'i' },
		{ "depth", required_argument, 0, 'd' },  { "help", no_argument, 0, 'h' },
		{ "probe", required_argument, 0, 'P' },  { "interval-ms", required_argument, 0, 'I' },
		{ "strangers", required_argument, 0, 'X' },
		{ 0, 0, 0, 0 },
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
		case 'd': depth = atoi(optarg); break;
		case 'P': probe = atoi(optarg); break;
		case 'I': interval_ms = atoi(optarg); break;
		case 'X': strangers = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((!o.unix_path && !o.tcp_host) || conns < 1 || conns > LG_CONNS_MAX || idle < 0 ||
	    idle > LG_IDLE_MAX || seconds <= 0 || depth < 1 || depth > LG_DEPTH_MAX || probe < 0 ||
	    interval_ms < 0 || strangers < 0 || strangers > LG_STRANGERS_MAX ||
	    (strangers && !o.tcp_host)) {
		usage(stderr);
		return 2;
	}
	if (idle)
		return hold_idle(&o, idle);
	if (probe)
		return lg_probe(&o, path, probe, seconds, interval_ms);
	if (strangers)
		return lg_strangers(o.tcp_host, o.tcp_port, strangers, seconds);

	static struct lg_thread threads[LG_CONNS_MAX];
	for (int i = 0; i < conns; i++) {
		threads[i].opts = o;
		threads[i].path = path;
		threads[i].seconds = seconds;
		threads[i].depth = depth;
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
