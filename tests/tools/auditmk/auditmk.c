/*
 * auditmk — write a small audit log into a state directory with the trust
 * library alone, for t0900 and the mutation tests while the daemon's
 * writer lives elsewhere:
 *
 *   auditmk STATEDIR [-n RECORDS] [-c CKPT_EVERY] [-s SEG_EVERY] [-b BASE] [--no-final]
 *
 * (-b: the deterministic records start at BASE: another history, same key)
 *
 * Makes STATEDIR/keys/hive.{key,pub} when absent, writes STATEDIR/audit/
 * (segments and the seal file), and prints K0 once, as hived does at setup:
 * `K0 <64 hex>`.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_fixture.h"
#include "lib/statedir.h"

static int usage(void)
{
	fprintf(stderr, "usage: auditmk STATEDIR [-n RECORDS] [-c CKPT_EVERY] [-s SEG_EVERY] [-b BASE] [--no-final]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long n = 100, every = 16, seg = 0, base = 0;
	int final = 1;
	struct sigkey key;
	struct audit_seal k0;
	struct err e = { 0 };
	char keyp[600], pubp[600], dir[500], hex[65];
	if (argc < 2 || argv[1][0] == '-')
		return usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--no-final") == 0)
			final = 0;
		else if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
			n = strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "-c") == 0)
			every = strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
			seg = strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "-b") == 0)
			base = strtoull(argv[++i], NULL, 10);
		else
			return usage();
	}
	snprintf(keyp, sizeof keyp, "%.400s/keys/hive.key", argv[1]);
	snprintf(pubp, sizeof pubp, "%.400s/keys/hive.pub", argv[1]);
	snprintf(dir, sizeof dir, "%.400s/keys", argv[1]);
	if (statedir_make(dir, 0700) < 0)
		return perror(dir), 1;
	if (sigkey_load(&key, keyp, &e) < 0 &&
	    (sigkey_generate(&key, "hive", &e) < 0 || sigkey_save(&key, keyp, pubp, &e) < 0)) {
		fprintf(stderr, "auditmk: %s\n", e.msg);
		return 1;
	}
	if (audit_seal_init(&k0) < 0)
		return 1;
	snprintf(dir, sizeof dir, "%.400s/%s", argv[1], AUDIT_DIR);
	if (amk_build_from(dir, &key, k0.key, n, every, seg, final, base) < 0) {
		fprintf(stderr, "auditmk: cannot write %s\n", dir);
		return 1;
	}
	sodium_bin2hex(hex, sizeof hex, k0.key, sizeof k0.key);
	printf("K0 %s\n", hex);
	audit_seal_wipe(&k0);
	sigkey_wipe(&key);
	return 0;
}
