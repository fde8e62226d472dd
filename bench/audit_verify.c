/*
 * audit_verify — how fast `hive audit verify` checks a log: builds one of
 * N records (checkpoint every 4096, segment every 256k records, as hived's
 * cadence) with the library in a temp dir, then times audit_verify over it
 * (best of R runs, the page cache warm) and prints one composable line:
 *
 *   audit_verify: records=N segments=S best_s=T verify_rps=N
 *
 *   audit_verify [-n RECORDS] [-r RUNS] [-d DIR]     (defaults 1000000, 3, /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_fixture.h"
#include "trust/auditverify.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long n = 1000000;
	int runs = 3;
	const char *tmp = "/tmp";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-n"))
			n = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "-r"))
			runs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-d"))
			tmp = argv[i + 1];
	}
	char dir[512], cmd[600];
	struct sigkey key;
	struct err e = { 0 };
	uint8_t k0[32] = { 1 };
	snprintf(dir, sizeof dir, "%.400s/hive-audit-bench.%d", tmp, (int)getpid());
	if (sigkey_generate(&key, "bench", &e) < 0 ||
	    amk_build(dir, &key, k0, n, 4096, 256 * 1024, 1) < 0) {
		fprintf(stderr, "audit_verify: cannot build the log in %s\n", dir);
		return 1;
	}
	static struct audit_verify_result res;
	struct audit_verify_opts o = { .dir = dir, .pub = &key.pub, .k0 = k0 };
	double best = 1e9;
	for (int r = 0; r < runs; r++) {
		double t0 = now_s();
		enum audit_verdict v = audit_verify(&o, &res);
		double t = now_s() - t0;
		if (v != AV_OK) {
			fprintf(stderr, "audit_verify: %s: %s\n", audit_verdict_name(v), res.err.msg);
			return 1;
		}
		if (t < best)
			best = t;
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "audit_verify: could not remove %s\n", dir);
	printf("audit_verify: records=%llu segments=%llu best_s=%.3f verify_rps=%.0f\n",
	       (unsigned long long)res.records, (unsigned long long)res.segments, best,
	       (double)res.records / best);
	return 0;
}
