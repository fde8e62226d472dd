/*
 * ticketcmd.c — `hive ticket mint`: make a ticket offline from the role
 * secrets in <state>/tickets.conf, so the operator can hand a worker or
 * an observer a token for TCP without asking the running hive; and
 * `hive ticket revoke`: list a ticket's id in <state>/tickets.revoked,
 * which the hive checks at every attach.
 *
 * Minting needs read access to the secrets file, which is the owner's
 * (mode 0600): whoever can mint could already be queen on the socket.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trust/revocation.h"
#include "trust/ticket.h"
#include "cli.h"

#define HCLI_MINT_USAGE                                                                  \
	"usage: ticket mint --role ROLE [--subject S] --ttl SECONDS [--state DIR] "       \
	"[--issued-at MS] | ticket revoke ID|TOKEN [--state DIR]"

static int hcli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int hcli_ticket_diagnose(const struct hcli *h, char *out, size_t cap)
{
	struct ticket_keys keys;
	struct ticket t;
	struct err kerr;
	const char *reason = NULL;

	/* 9P2000.L carries only an errno, so the hive cannot tell us why it
	 * refused a ticket; with the secrets at hand we can check it here. */
	if (!h->o.ticket || !*h->o.ticket || ticket_keys_load(&keys, h->state, 0, &kerr) < 0)
		return 0;
	int rc = ticket_verify(h->o.ticket, &keys, &t, &reason);
	memset(&keys, 0, sizeof keys);
	if (rc < 0) {
		if (reason && !strcmp(reason, "bad-mac"))
			snprintf(out, cap, "the ticket's MAC does not match this hive's secret: forged, "
			         "or minted for another hive");
		else
			snprintf(out, cap, "the ticket is not valid here (%s)", reason ? reason : "invalid");
		return 1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int when_rc = ticket_expired(&t, (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
	if (when_rc == TICKET_TIME_FUTURE) {
		snprintf(out, cap, "the ticket's issue time is in the future (past the %u ms of clock "
		         "skew a hive allows); check the minting host's clock", HIVE_TICKET_SKEW_MS_MAX);
		return 1;
	}
	if (when_rc == TICKET_TIME_EXPIRED) {
		uint64_t max = t.ttl_max_s ? t.ttl_max_s : HIVE_TICKET_TTL_MAX_S;
		uint64_t life = (t.flags & TICKET_F_TTL) && t.ttl_s < max ? t.ttl_s : max;
		time_t at = (time_t)((t.issued_at_ms / 1000u) + life);
		struct tm tm;
		char when[32] = "?";
		if (gmtime_r(&at, &tm))
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(out, cap, "the ticket expired at %s; mint a fresh one with `hive ticket mint`",
		         when);
		return 1;
	}
	return 0;
}

/* `hive ticket revoke ID|TOKEN [--state DIR]`. */
static int hcli_ticket_revoke(struct hcli *h, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = h->state, *arg;
	char id[TICKET_ID_LEN + 1];
	struct err rerr = { 0 };
	int opt, rc;

	/* No '+': the id may come before or after --state. */
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
		if (opt != 'S')
			return hcli_usage(h, HCLI_MINT_USAGE);
		state = optarg;
	}
	if (optind != argc - 2)
		return hcli_usage(h, "ticket revoke: one ticket id (or token) wanted (%s)", HCLI_MINT_USAGE);
	arg = argv[optind + 1];
	/* A token names its own id: the operator may hold either. */
	if (strncmp(arg, TICKET_PREFIX, strlen(TICKET_PREFIX)) == 0) {
		if (ticket_id(arg, id) < 0)
			return hcli_usage(h, "ticket revoke: not a well-formed ticket");
	} else {
		snprintf(id, sizeof id, "%s", arg);
		if (strlen(arg) != TICKET_ID_LEN)
			return hcli_usage(h, "ticket revoke: a ticket id is %u hex digits (as `hive ticket "
			                     "mint` printed it), not '%.40s'", TICKET_ID_LEN, arg);
	}
	rc = revocation_add(state, id, &rerr);
	if (rc == -EINVAL)
		return hcli_usage(h, "ticket revoke: %s", rerr.msg);
	if (rc < 0) {
		fprintf(stderr, "%s: ticket revoke: %s\n", h->prefix, rerr.msg[0] ? rerr.msg : strerror(-rc));
		return rc == -EACCES || rc == -EPERM ? HCLI_PERM : rc == -ENOENT ? HCLI_NOENT : HCLI_FAIL;
	}
	fprintf(stderr, "%s: ticket %s revoked in %s/%s: the hive refuses it from its next attach\n",
	        h->prefix, id, state, REVOCATION_FILE);
	return HCLI_OK;
}

int hcli_ticket(struct hcli *h, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "subject", required_argument, NULL, 's' },
		{ "ttl", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 'S' },
		{ "issued-at", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *subject = "", *state = h->state;
	uint64_t ttl = 0, issued = 0;
	int have_ttl = 0, have_issued = 0, opt;
	struct ticket t;
	struct ticket_keys keys;
	char token[HIVE_ATTACH_STR_MAX + 1];
	struct err kerr = { 0 };

	if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
		return hcli_ticket_revoke(h, argc, argv);
	if (argc < 2 || strcmp(argv[1], "mint") != 0)
		return hcli_usage(h, HCLI_MINT_USAGE);
	optind = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			role = optarg;
			break;
		case 's':
			subject = optarg;
			break;
		case 't':
			if (hcli_parse_u64(optarg, &ttl) < 0)
				return hcli_usage(h, "ticket mint: --ttl wants seconds (0 = the longest the hive "
				                     "allows), not '%s'", optarg);
			have_ttl = 1;
			break;
		case 'S':
			state = optarg;
			break;
		case 'i':
			if (hcli_parse_u64(optarg, &issued) < 0)
				return hcli_usage(h, "ticket mint: --issued-at wants Unix milliseconds, not '%s'",
				                  optarg);
			have_issued = 1;
			break;
		default:
			return hcli_usage(h, HCLI_MINT_USAGE);
		}
	}
	if (optind < argc - 1)
		return hcli_usage(h, "ticket mint: unexpected argument '%s'", argv[optind + 1]);
	if (!role || !have_ttl)
		return hcli_usage(h, "ticket mint: --role and --ttl are required (%s)", HCLI_MINT_USAGE);
	int code = ticket_role_code_parse(role);
	if (code < 0)
		return hcli_usage(h, "ticket mint: unknown role '%s' (queen, worker, worker-gpu, "
		                     "worker-bus, worker-lora, observer)", role);
	if (strlen(subject) > HIVE_SUBJECT_MAX)
		return hcli_usage(h, "ticket mint: subject longer than %u bytes", HIVE_SUBJECT_MAX);
	if (ticket_hive_role(code) == HIVE_ROLE_WORKER && !*subject)
		fprintf(stderr, "%s: warning: a worker ticket without --subject is refused by the hive at "
		        "attach (its identity must come from the ticket); add --subject AID\n", h->prefix);
	if (!have_issued) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		issued = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	}

	int rc = ticket_keys_load(&keys, state, 0, &kerr);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot read the ticket secrets in %s/tickets.conf: %s (start hived "
		        "once with `hived --state %s` to create them, or pass --state DIR)\n",
		        h->prefix, state, kerr.msg[0] ? kerr.msg : strerror(-rc), state);
		return rc == -EACCES || rc == -EPERM ? HCLI_PERM : rc == -ENOENT ? HCLI_NOENT : HCLI_FAIL;
	}
	if (!keys.present[code]) {
		fprintf(stderr, "%s: %s/tickets.conf has no secret for role %s (add a line `%s=SECRET`)\n",
		        h->prefix, state, ticket_role_code_name(code), ticket_role_code_name(code));
		return HCLI_FAIL;
	}
	/* A lifetime the hive would cut short is an operator's mistake: say so
	 * now rather than let the ticket die early. */
	uint64_t ttl_max = keys.ttl_max_s ? keys.ttl_max_s : HIVE_TICKET_TTL_MAX_S;
	if (ttl > ttl_max) {
		memset(&keys, 0, sizeof keys);
		return hcli_usage(h, "ticket mint: --ttl %llu is longer than the %llu s a hive allows "
		                     "(ttl_max in %s/tickets.conf, default HIVE_TICKET_TTL_MAX_S)",
		                  (unsigned long long)ttl, (unsigned long long)ttl_max, state);
	}
	memset(&t, 0, sizeof t);
	t.version = 1;
	t.role_code = (uint8_t)code;
	t.issued_at_ms = issued;
	if (ttl) { /* ttl 0: the flag is left out, and the hive's longest lifetime applies */
		t.flags |= TICKET_F_TTL;
		t.ttl_s = ttl;
	}
	if (*subject) {
		t.flags |= TICKET_F_SUBJECT;
		snprintf(t.subject, sizeof t.subject, "%s", subject);
	}
	rc = ticket_mint(&t, keys.key[code], token, sizeof token);
	memset(&keys, 0, sizeof keys);
	if (rc == -ENOSPC || rc > (int)HIVE_TICKET_TOKEN_MAX)
		return hcli_usage(h, "ticket mint: the token would be over the %u characters a hive "
		                     "accepts; use a shorter --subject", HIVE_TICKET_TOKEN_MAX);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot mint the ticket: %s\n", h->prefix, strerror(-rc));
		return HCLI_FAIL;
	}
	char id[TICKET_ID_LEN + 1];
	if (ticket_id(token, id) < 0) {
		fprintf(stderr, "%s: cannot mint the ticket: no id\n", h->prefix);
		return HCLI_FAIL;
	}
	/* stderr: stdout stays the token alone, for T=$(hive ticket mint ...). */
	fprintf(stderr, "%s: ticket id %s (revoke it with `hive ticket revoke %s`)%s\n", h->prefix, id,
	        id, ttl ? "" : "; no --ttl: it lives the longest a hive allows");
	if (h->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "token", token, "role",
		                      ticket_role_code_name(code), "subject", subject, "ttl_s",
		                      (json_int_t)ttl, "issued_at_ms", (json_int_t)issued, "id", id);
		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			json_decref(o);
		}
		putchar('\n');
	} else {
		printf("%s\n", token);
	}
	return HCLI_OK;
}
