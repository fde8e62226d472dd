/*
 * audit_bench — records/s the audit writer (src/hived/audit/) makes
 * durable, in three ways on the same disk: group commit (hived's way: one
 * write and one fdatasync per batch), one fdatasync per record, and no
 * fdatasync at all; and the loop's side of the audit path (audit_append:
 * copy into the queue, seq, times) in ns per record.
 *
 *   audit_bench DIR [N]
 *
 * DIR/state gets the group-commit log with the key that signed its
 * checkpoints (keys/hive.pub), for `hive audit verify --state DIR/state`.
 * Prints one line: durable_rps=N fsync_each_rps=N nosync_rps=N append_ns=N records=N
 */
#include "hived/audit/audit.h"
#include "trust/sigkey.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Append n typical records (a deny of an agent's open, ~200 bytes framed)
 * as fast as the queue takes them; returns records/s until the last is
 * durable, and the ns spent inside audit_append per record. */
static double run(const char *dir, enum audit_sync sync, const struct sigkey *key, uint64_t n, double *append_ns)
{
	struct audit *a = NULL;
	struct err err = { 0 };
	static struct audit_rec r;
	uint64_t t0, in_append = 0;
	int64_t last = -1;

	if (audit_open(dir, &(struct audit_opts){ .sync = sync, .key = key }, &a, &err) < 0) {
		fprintf(stderr, "audit_bench: %s\n", err.msg);
		exit(1);
	}
	r.type = AUDIT_DENY;
	r.result = AUDIT_R_DENY;
	snprintf(r.object, sizeof r.object, "/etc/shadow");
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		snprintf(r.aid, sizeof r.aid, "a-%llu", (unsigned long long)(i % 7));
		snprintf(r.detail, sizeof r.detail,
		         "role=worker session=%llu family=agent op=syscall outcome=deny reason=no-capability "
		         "syscall=openat cap=- pid=%llu", (unsigned long long)(i % 7), (unsigned long long)(1000 + i % 97));
		uint64_t t = now_ns();
		int64_t s = audit_append(a, &r);
		in_append += now_ns() - t;
		if (s == -ENOBUFS) {
			/* Full: let the writer catch up on the older half. */
			audit_wait_durable(a, last > 1024 ? (uint64_t)last - 1024 : 0, 10000);
			i--;
			continue;
		}
		if (s < 0) {
			fprintf(stderr, "audit_bench: append: %s\n", strerror((int)-s));
			exit(1);
		}
		last = s;
	}
	if (last >= 0 && audit_wait_durable(a, (uint64_t)last, 60000) < 0) {
		fprintf(stderr, "audit_bench: not durable\n");
		exit(1);
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	if (append_ns)
		*append_ns = (double)in_append / (double)n;
	audit_close(a);
	return (double)n / secs;
}

int main(int argc, char **argv)
{
	char dir[4096], keys[4096], pub[4096];
	struct sigkey key;
	struct err err = { 0 };
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 200000;
	double append_ns = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: audit_bench DIR [N]\n");
		return 2;
	}
	if (sigkey_generate(&key, "bench", &err) < 0) {
		fprintf(stderr, "audit_bench: %s\n", err.msg);
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/state", argv[1]);
	snprintf(keys, sizeof keys, "%s/state/keys", argv[1]);
	snprintf(pub, sizeof pub, "%s/state/keys/hive.pub", argv[1]);
	mkdir(argv[1], 0700);
	mkdir(dir, 0700);
	mkdir(keys, 0700);
	if (sigkey_save(&key, NULL, pub, &err) < 0) {
		fprintf(stderr, "audit_bench: %s\n", err.msg);
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/state/audit", argv[1]);
	double group = run(dir, AUDIT_SYNC_GROUP, &key, n, &append_ns);
	snprintf(dir, sizeof dir, "%s/each", argv[1]);
	/* One fdatasync a record is ~1000x slower: fewer records, same rate. */
	double each = run(dir, AUDIT_SYNC_EACH, &key, n / 100 > 1000 ? n / 100 : 1000, NULL);
	snprintf(dir, sizeof dir, "%s/nosync", argv[1]);
	double nosync = run(dir, AUDIT_SYNC_NONE, &key, n, NULL);
	printf("durable_rps=%.0f fsync_each_rps=%.0f nosync_rps=%.0f append_ns=%.0f records=%llu\n", group, each, nosync,
	       append_ns, (unsigned long long)n);
	sigkey_wipe(&key);
	return 0;
}
