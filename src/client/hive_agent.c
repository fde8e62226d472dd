/*
 * hive_agent.c — libhive's agent API (hive_agent.h): spawn, attest,
 * quota, cap_grant, cap_revoke, cap_present over the namespace, and the
 * two calls whose issues have not landed, which say so.
 *
 * A ctl command and its reply share one fid (the hive snapshots the reply
 * on the fid that wrote), so a reply can never be another client's. AIDs
 * are checked here before they become part of a path or a line, so a
 * caller's typo fails locally with EINVAL instead of walking elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hivec_int.h"
#include "hive_agent.h"

#define HIVE_QUEEN_CTL "/queen/ctl"

int hive_aid_valid(const char *s)
{
	size_t n;
	if (!s || strncmp(s, "a-", 2) != 0)
		return 0;
	n = strspn(s + 2, "0123456789");
	return n >= 1 && n <= HIVE_AID_BUF - 5 && s[2 + n] == '\0';
}

/* "<what>: <why>" as the error text; returns rc. */
static int hive_agent_say(struct hivec *c, int rc, const char *what, const char *why)
{
	snprintf(c->err, sizeof c->err, "%.*s: %s", HIVE_PATH_MAX, what, why);
	return rc;
}

/* Say why `what` was refused, in words the caller can act on. */
static int hive_agent_fail(struct hivec *c, int rc, const char *what, const char *aid)
{
	const char *why;
	switch (-rc) {
	case ENOENT:
		if (aid) {
			snprintf(c->err, sizeof c->err, "%.*s: no agent %.*s (see /proc/agents)", HIVE_PATH_MAX,
			         what, HIVE_AID_BUF, aid);
			return rc;
		}
		why = "no such file";
		break;
	case EACCES:
	case EPERM:
		why = "refused: not the queen, or not allowed (the denial is in /log/queen.log)";
		break;
	case EOPNOTSUPP:
		why = "this hive cannot do that yet (no agent support)";
		break;
	case EINVAL:
		why = "the hive refused the request (the reason is in /log/queen.log)";
		break;
	default:
		why = strerror(-rc);
	}
	snprintf(c->err, sizeof c->err, "%.*s: %s", HIVE_PATH_MAX, what, why);
	return rc;
}

/* One command on one fid: write line (fds riding on the write), then read
 * the reply from offset 0 when reply is not NULL. */
static ssize_t hive_ctl_io(struct hivec *c, const char *path, const char *line, const int *fds,
                           unsigned nfds, char *reply, size_t cap, const char *what, const char *aid)
{
	uint32_t fid, io;
	size_t len = strlen(line);
	ssize_t n;
	int rc = hivec_walk(c, path, &fid);
	if (rc < 0)
		return hive_agent_fail(c, rc, what, aid);
	rc = hivec_open(c, fid, O_RDWR, &io);
	if (rc == 0 && len > io)
		rc = -E2BIG;
	if (rc == 0 && nfds)
		rc = hivec_pass_fds(c, fds, nfds);
	if (rc < 0)
		goto fail;
	n = hivec_pwrite(c, fid, 0, line, len);
	if (n >= 0 && (size_t)n != len)
		n = -EIO;
	if (n < 0) {
		rc = (int)n;
		goto fail;
	}
	n = 0;
	if (reply && cap) {
		n = hivec_pread(c, fid, 0, reply, cap - 1 < io ? cap - 1 : io);
		if (n < 0) {
			rc = (int)n;
			goto fail;
		}
		reply[n] = '\0';
	}
	hivec_clunk(c, fid);
	return n;
fail:
	c->npass = 0; /* fds that did not go with the write go with nothing */
	if (hivec_alive(c))
		hivec_clunk(c, fid);
	return hive_agent_fail(c, rc, what, aid);
}

ssize_t hive_ctl(struct hivec *c, const char *path, const char *line, char *reply, size_t cap,
                 const char *what)
{
	return hive_ctl_io(c, path, line, NULL, 0, reply, cap, what, NULL);
}

int hive_spawn(struct hivec *c, const char *path, const char *sig, unsigned flags,
               struct hive_aid *aids, size_t cap)
{
	static const int stdio[3] = { 0, 1, 2 };
	char line[2 * HIVE_PATH_MAX + 64], what[HIVE_PATH_MAX + 16];
	char *reply;
	int n, count = 0;

	snprintf(what, sizeof what, "spawn %s", path ? path : "(null)");
	if (!path || path[0] != '/' || strpbrk(path, " \t\r\n") ||
	    (sig && (sig[0] != '/' || strpbrk(sig, " \t\r\n"))))
		return hive_agent_say(c, -EINVAL, what, "the manifest and signature want absolute paths "
		                                    "without blanks");
	n = snprintf(line, sizeof line, "spawn %s%s%s%s\n", path, sig ? " sig=" : "", sig ? sig : "",
	             (flags & HIVE_SPAWN_STDIO) ? " stdio=passed" : "");
	if (n < 0 || (size_t)n >= sizeof line)
		return hivec_fail(c, -ENAMETOOLONG, "spawn", path);
	reply = malloc(HIVE_CTL_REPLY_MAX + 1);
	if (!reply)
		return hivec_fail(c, -ENOMEM, "spawn", path);
	ssize_t got = hive_ctl_io(c, HIVE_QUEEN_CTL, line, stdio, (flags & HIVE_SPAWN_STDIO) ? 3 : 0, reply,
	                          HIVE_CTL_REPLY_MAX + 1, what, NULL);
	if (got < 0) {
		free(reply);
		return (int)got;
	}
	/* "a-1 a-2 ...\n": every word an AID, or the reply is not one. */
	for (char *save = NULL, *w = strtok_r(reply, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
		if (!hive_aid_valid(w)) {
			free(reply);
			return hive_agent_say(c, -EPROTO, what, "the reply is not a list of AIDs");
		}
		if ((size_t)count < cap)
			snprintf(aids[count].s, sizeof aids[count].s, "%s", w);
		count++;
	}
	free(reply);
	if (!count)
		return hive_agent_say(c, -EPROTO, what, "the hive named no agent");
	return count;
}

ssize_t hive_attest(struct hivec *c, const char *aid, char *buf, size_t cap)
{
	char path[64], what[64];
	snprintf(what, sizeof what, "attest %.*s", HIVE_AID_BUF, aid ? aid : "(null)");
	if (!hive_aid_valid(aid))
		return hive_agent_say(c, -EINVAL, what, "not an AID (a-<n>)");
	snprintf(path, sizeof path, "/agent/%s/attest", aid);
	ssize_t n = hivec_read_file(c, path, buf, cap);
	if (n < 0)
		return hive_agent_fail(c, (int)n, what, aid);
	if ((size_t)n == cap)
		return hive_agent_say(c, -EFBIG, what, "larger than the buffer");
	return n;
}

/* "VERB AID[ ARG]" on /queen/ctl; an agent (no /queen/ctl for it) says
 * "VERB[ ARG]" on the other agent's own ctl file instead. */
int hive_agent_verb(struct hivec *c, const char *verb, const char *aid, const char *arg)
{
	char line[HIVE_CTL_LINE_MAX + 2], what[96], path[64];
	snprintf(what, sizeof what, "%s %.*s", verb, HIVE_AID_BUF, aid ? aid : "(null)");
	if (!hive_aid_valid(aid))
		return hive_agent_say(c, -EINVAL, what, "not an AID (a-<n>)");
	if (arg && (!*arg || strpbrk(arg, "\n\r")))
		return hive_agent_say(c, -EINVAL, what, "an empty or multi-line argument");
	int n = snprintf(line, sizeof line, "%s %s%s%s\n", verb, aid, arg ? " " : "", arg ? arg : "");
	if (n < 0 || (size_t)n > HIVE_CTL_LINE_MAX)
		return hive_agent_say(c, -E2BIG, what, "longer than a ctl line");
	ssize_t rc = hive_ctl_io(c, HIVE_QUEEN_CTL, line, NULL, 0, NULL, 0, what, aid);
	if (rc != -EACCES && rc != -EPERM)
		return rc < 0 ? (int)rc : 0;
	snprintf(path, sizeof path, "/agent/%s/ctl", aid);
	snprintf(line, sizeof line, "%s%s%s\n", verb, arg ? " " : "", arg ? arg : "");
	rc = hive_ctl_io(c, path, line, NULL, 0, NULL, 0, what, aid);
	return rc < 0 ? (int)rc : 0;
}

int hive_quota(struct hivec *c, const char *aid, const char *kv)
{
	return hive_agent_verb(c, "quota", aid, kv ? kv : "");
}

int hive_cap_grant(struct hivec *c, const char *aid, const char *cap)
{
	return hive_agent_verb(c, "grant", aid, cap ? cap : "");
}

int hive_cap_revoke(struct hivec *c, const char *aid, const char *cap)
{
	return hive_agent_verb(c, "revoke", aid, cap ? cap : "");
}

int hive_cap_present(struct hivec *c, const char *aid, const char *cap)
{
	char line[HIVE_CTL_LINE_MAX + 2], what[96], path[64], reply[16];
	snprintf(what, sizeof what, "has %.*s", HIVE_AID_BUF, aid ? aid : "(null)");
	if (!hive_aid_valid(aid))
		return hive_agent_say(c, -EINVAL, what, "not an AID (a-<n>)");
	if (!cap || !*cap || strpbrk(cap, " \t\n\r"))
		return hive_agent_say(c, -EINVAL, what, "want one capability, e.g. fs.read:/srv/data");
	int n = snprintf(line, sizeof line, "has %s\n", cap);
	if (n < 0 || (size_t)n > HIVE_CTL_LINE_MAX)
		return hive_agent_say(c, -E2BIG, what, "longer than a ctl line");
	snprintf(path, sizeof path, "/agent/%s/ctl", aid);
	ssize_t got = hive_ctl_io(c, path, line, NULL, 0, reply, sizeof reply, what, aid);
	if (got < 0)
		return (int)got;
	if (!strcmp(reply, "yes\n") || !strcmp(reply, "yes"))
		return 1;
	if (!strcmp(reply, "no\n") || !strcmp(reply, "no"))
		return 0;
	return hive_agent_say(c, -EPROTO, what, "the reply is neither yes nor no");
}

ssize_t hive_audit_query(struct hivec *c, const char *query, char *buf, size_t cap)
{
	snprintf(c->err, sizeof c->err, "audit_query: not yet: the audit chain (issue 13)");
	return -ENOSYS;
}

int hive_memory_tier(struct hivec *c, const char *aid, const char *tier)
{
	snprintf(c->err, sizeof c->err, "memory_tier: not yet: memory tiers (issue 15)");
	return -ENOSYS;
}
