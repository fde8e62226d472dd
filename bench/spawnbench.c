/*
 * spawnbench — the timings behind `make bench BENCH=spawn` (bench/spawn.sh):
 *
 *   spawnbench par N PROG ARGS...    fork N children at once, each execs
 *                                    PROG; prints the microseconds until
 *                                    all have exited
 *   spawnbench swarm SOCK MANIFEST   `spawn MANIFEST` on /queen/ctl; prints
 *                                    the microseconds until every agent it
 *                                    named is active (or already past it:
 *                                    a short program may have exited), and
 *                                    the agent count
 *   spawnbench open N PATH           N open+close of PATH, timed one by
 *                                    one; prints "p50_ns p99_ns"
 *
 * The clock is CLOCK_MONOTONIC (vDSO: never a trapped system call, so
 * the open timing measures the open alone, even under a supervisor).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/hiveclient.h"

#define SPAWNBENCH_MAX_CHILDREN 1024
#define SPAWNBENCH_MAX_OPENS 1000000
#define SPAWNBENCH_REPLY 65536
#define SPAWNBENCH_WAIT_MS 60000

static long long sb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int sb_par(int n, char **argv)
{
	if (n < 1 || n > SPAWNBENCH_MAX_CHILDREN) {
		fprintf(stderr, "spawnbench: par: N in 1..%d\n", SPAWNBENCH_MAX_CHILDREN);
		return 2;
	}
	long long t0 = sb_now_ns();
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0) {
			perror("spawnbench: fork");
			return 1;
		}
		if (p == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
	}
	int bad = 0, st;
	for (int i = 0; i < n; i++)
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	printf("%lld\n", (sb_now_ns() - t0) / 1000);
	if (bad)
		fprintf(stderr, "spawnbench: par: %d children failed\n", bad);
	return bad ? 1 : 0;
}

/* Is every AID of the space-separated list past spawning/attested in
 * the /proc/agents text? */
static int sb_all_up(const char *aids, const char *agents)
{
	char aid[64];
	for (const char *s = aids; *s;) {
		size_t l = strcspn(s, " \n");
		if (l && l < sizeof aid - 8) {
			snprintf(aid, sizeof aid, "aid=%.*s ", (int)l, s);
			const char *line = strstr(agents, aid);
			if (!line)
				return 0;
			const char *st = strstr(line, " state=");
			const char *eol = strchr(line, '\n');
			if (!st || (eol && st > eol) || strncmp(st, " state=spawning", 15) == 0 ||
			    strncmp(st, " state=attested", 15) == 0)
				return 0;
		}
		s += l;
		s += strspn(s, " \n");
	}
	return 1;
}

static int sb_swarm(const char *sock, const char *manifest)
{
	struct hivec_opts o = { .unix_path = sock, .timeout_ms = SPAWNBENCH_WAIT_MS };
	int err;
	char msg[256];
	struct hivec *c = hivec_connect(&o, &err, msg, sizeof msg);
	if (!c) {
		fprintf(stderr, "spawnbench: %s\n", msg);
		return 1;
	}
	static char reply[SPAWNBENCH_REPLY], agents[SPAWNBENCH_REPLY];
	char line[4200];
	int n = snprintf(line, sizeof line, "spawn %s\n", manifest);
	uint32_t fid, iounit;
	int rc = 1;
	long long t0 = sb_now_ns();
	if (hivec_walk(c, "/queen/ctl", &fid) < 0 || hivec_open(c, fid, O_RDWR, &iounit) < 0 ||
	    hivec_pwrite(c, fid, 0, line, (size_t)n) != n) {
		fprintf(stderr, "spawnbench: spawn: %s\n", hivec_error(c));
		goto out;
	}
	ssize_t r = hivec_pread(c, fid, 0, reply, sizeof reply - 1);
	hivec_clunk(c, fid);
	if (r <= 0) {
		fprintf(stderr, "spawnbench: spawn reply: %s\n", r < 0 ? hivec_error(c) : "empty");
		goto out;
	}
	reply[r] = 0;
	while (sb_now_ns() - t0 < SPAWNBENCH_WAIT_MS * 1000000LL) {
		ssize_t a = hivec_read_file(c, "/proc/agents", agents, sizeof agents - 1);
		if (a < 0) {
			fprintf(stderr, "spawnbench: /proc/agents: %s\n", hivec_error(c));
			goto out;
		}
		agents[a] = 0;
		if (sb_all_up(reply, agents)) {
			int count = 0;
			for (const char *s = reply; (s = strstr(s, "a-")); s += 2)
				count++;
			printf("%lld %d\n", (sb_now_ns() - t0) / 1000, count);
			rc = 0;
			goto out;
		}
	}
	fprintf(stderr, "spawnbench: not all of %s came up in %d ms\n", reply, SPAWNBENCH_WAIT_MS);
out:
	hivec_close(c);
	return rc;
}

static int sb_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static int sb_open(long n, const char *path)
{
	if (n < 100 || n > SPAWNBENCH_MAX_OPENS) {
		fprintf(stderr, "spawnbench: open: N in 100..%d\n", SPAWNBENCH_MAX_OPENS);
		return 2;
	}
	long long *t = malloc((size_t)n * sizeof *t);
	if (!t)
		return 1;
	for (long i = 0; i < n / 10; i++) { /* warm-up: caches, the supervisor's first wake-ups */
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "spawnbench: open %s: %s\n", path, strerror(errno));
			free(t);
			return 1;
		}
		close(fd);
	}
	for (long i = 0; i < n; i++) {
		long long t0 = sb_now_ns();
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		t[i] = sb_now_ns() - t0;
		if (fd >= 0)
			close(fd);
	}
	qsort(t, (size_t)n, sizeof *t, sb_cmp);
	printf("%lld %lld\n", t[n / 2], t[n * 99 / 100]);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "par") == 0)
		return sb_par(atoi(argv[2]), argv + 3);
	if (argc == 4 && strcmp(argv[1], "swarm") == 0)
		return sb_swarm(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "open") == 0)
		return sb_open(atol(argv[2]), argv[3]);
	fprintf(stderr, "usage: spawnbench par N PROG ARGS... | swarm SOCK MANIFEST | open N PATH\n");
	return 2;
}
