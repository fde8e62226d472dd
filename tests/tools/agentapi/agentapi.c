/*
 * agentapi — drives libhive's agent API (client/hive_agent.h) one call at
 * a time for tests/integration/t0730-agent-api.sh:
 *
 *   agentapi SOCKET CALL ARGS...     connect to the hive's Unix socket
 *   agentapi - CALL ARGS...          use the agent's own connection
 *                                    (HIVE_FD; "self" as AID = HIVE_AID)
 *
 * CALL: spawn PATH [SIG] | attest AID | quota AID KV | grant AID CAP |
 * revoke AID CAP | has AID CAP | audit QUERY | tier AID TIER.
 * Prints the result on stdout; on failure prints hivec_error() on stderr
 * and exits with the errno (so the test can tell ENOSYS from ENOENT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/hive_agent.h"

/* It runs inside an agent's sandbox, where ptrace (LeakSanitizer's way of
 * stopping threads at exit) is refused: an ASan build must not die there. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static int fail(struct hivec *c, long rc)
{
	fprintf(stderr, "agentapi: %s\n", hivec_error(c));
	return rc < 0 && rc > -256 ? (int)-rc : 255;
}

int main(int argc, char **argv)
{
	struct hivec_opts o = { .timeout_ms = 5000 };
	struct hivec *c;
	char msg[512], buf[65536];
	int err = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: agentapi SOCKET|- CALL ARGS...\n");
		return 2;
	}
	if (!strcmp(argv[1], "-")) {
		const char *fd = getenv("HIVE_FD");
		c = fd ? hivec_connect_fd_ex(atoi(fd), &o, &err, NULL, msg, sizeof msg) : NULL;
		if (!fd)
			snprintf(msg, sizeof msg, "no HIVE_FD: not an agent");
	} else {
		o.unix_path = argv[1];
		c = hivec_connect(&o, &err, msg, sizeof msg);
	}
	if (!c) {
		fprintf(stderr, "agentapi: %s\n", msg);
		return 111;
	}
	const char *call = argv[2];
	const char *aid = argc > 3 ? argv[3] : NULL;
	if (aid && !strcmp(aid, "self"))
		aid = getenv("HIVE_AID");
	long rc;
	int code = 0;
	if (!strcmp(call, "spawn") && argc >= 4) {
		struct hive_aid aids[64];
		rc = hive_spawn(c, argv[3], argc > 4 ? argv[4] : NULL, 0, aids, 64);
		for (long i = 0; i < rc && i < 64; i++)
			printf("%s%s", i ? " " : "", aids[i].s);
		if (rc > 0)
			putchar('\n');
	} else if (!strcmp(call, "attest") && argc == 4) {
		rc = hive_attest(c, aid, buf, sizeof buf);
		if (rc > 0)
			fwrite(buf, 1, (size_t)rc, stdout);
	} else if (!strcmp(call, "quota") && argc == 5) {
		rc = hive_quota(c, aid, argv[4]);
	} else if (!strcmp(call, "grant") && argc == 5) {
		rc = hive_cap_grant(c, aid, argv[4]);
	} else if (!strcmp(call, "revoke") && argc == 5) {
		rc = hive_cap_revoke(c, aid, argv[4]);
	} else if (!strcmp(call, "has") && argc == 5) {
		rc = hive_cap_present(c, aid, argv[4]);
		if (rc >= 0)
			printf("%s\n", rc ? "yes" : "no");
	} else if (!strcmp(call, "audit") && argc == 4) {
		rc = hive_audit_query(c, argv[3], buf, sizeof buf);
	} else if (!strcmp(call, "tier") && argc == 5) {
		rc = hive_memory_tier(c, aid, argv[4]);
	} else {
		fprintf(stderr, "agentapi: unknown call or wrong arguments: %s\n", call);
		hivec_close(c);
		return 2;
	}
	if (rc < 0)
		code = fail(c, rc);
	hivec_close(c);
	return code;
}
