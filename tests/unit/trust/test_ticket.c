/*
 * Unit tests for tickets: the Cohesix vectors decode to the right fields
 * and re-mint byte for byte; every kind of damage is refused with the
 * right reason; expiry and the lifetime bounds; ids and revocation; and
 * tickets.conf create/load and its errors.
 */
#include "trust/ticket.h"
#include "trust/revocation.h"
#include "lib/blake3.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Vectors: minted by Cohesix's tools with the given secrets (from the brief). */
#define V_HEARTBEAT                                                              \
	"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000."    \
	"ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9"
#define V_QUEEN_TTL0                                                             \
	"cohesix-ticket-0100040000000000000000000000000000000000000000."         \
	"e9b8bc4e26e2f06725347bdd8983fb3efc170658fc6af53cabb746bef58deddb"
#define V_BUS                                                                    \
	"cohesix-ticket-0103080b006d6f646275732d6d61696e000000000000000000000000." \
	"e9f653dd264c440296e25118f72ed5a10cd8b2141288c45139bbcef8316d98c8"
#define V_QUEEN_SCOPES                                                           \
	"cohesix-ticket-0100300000000000000000000000000304002f6c6f67000100000006002f717565656e01" \
	"0000000006002f7368617264010000000000000000000000000000000001000000."    \
	"0c714a86a89a2abc049395e486dbd2a8ce6ba7076ce508a02431a22319629672"

#define TOKEN_BUF (HIVE_TICKET_TOKEN_MAX + 64)

static struct ticket_keys vector_keys(void)
{
	struct ticket_keys k;
	memset(&k, 0, sizeof k);
	ticket_keys_set(&k, TICKET_ROLE_QUEEN, "bootstrap");
	ticket_keys_set(&k, TICKET_ROLE_WORKER_HEARTBEAT, "worker");
	ticket_keys_set(&k, TICKET_ROLE_WORKER_BUS, "worker-bus");
	return k;
}

/* Token from raw payload bytes with a correct MAC under `secret`: lets a
 * test reach the field decoder with payloads a minter would never make. */
static void forge(const uint8_t *p, size_t n, const char *secret, char *out, size_t cap)
{
	uint8_t key[TICKET_KEY_LEN], mac[32];
	size_t o;
	ticket_key_from_secret(secret, key);
	blake3_keyed_hash(key, p, n, mac);
	o = (size_t)snprintf(out, cap, "%s", TICKET_PREFIX);
	for (size_t i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
	o += (size_t)snprintf(out + o, cap - o, ".");
	for (size_t i = 0; i < 32 && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", mac[i]);
}

static int verify_why(const char *tok, const char **why)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	return ticket_verify(tok, &k, &t, why);
}

static void check_remint(const char *tok, const char *secret)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	const char *why = NULL;
	char out[TOKEN_BUF];
	uint8_t key[TICKET_KEY_LEN];
	CHECK_EQ_INT(ticket_verify(tok, &k, &t, &why), 0);
	ticket_key_from_secret(secret, key);
	CHECK_EQ_INT(ticket_mint(&t, key, out, sizeof out), (int)strlen(tok));
	CHECK_EQ_STR(out, tok);
}

TEST(vector_worker_heartbeat)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	const char *why = NULL;
	struct principal who = { .session_id = 7, .transport = "tcp" };
	CHECK_EQ_INT(ticket_verify(V_HEARTBEAT, &k, &t, &why), 0);
	CHECK_EQ_INT(t.version, 1);
	CHECK_EQ_INT(t.role_code, TICKET_ROLE_WORKER_HEARTBEAT);
	CHECK_EQ_INT(t.flags, TICKET_F_SUBJECT);
	CHECK_EQ_STR(t.subject, "worker-1");
	CHECK_EQ_INT(t.issued_at_ms, 0);
	CHECK_EQ_STR(t.mount_service, "");
	CHECK_EQ_STR(t.mount_at, "");
	CHECK_EQ_INT(t.nscopes, 0);
	/* No ttl: it lives the longest lifetime from its issue time (was: never). */
	CHECK(!ticket_expired(&t, HIVE_TICKET_TTL_MAX_S * 1000ull - 1));
	CHECK(ticket_expired(&t, HIVE_TICKET_TTL_MAX_S * 1000ull));
	ticket_principal(&t, &who);
	CHECK_EQ_INT(who.role, HIVE_ROLE_WORKER);
	CHECK_EQ_STR(who.subject, "worker-1");
	CHECK_EQ_INT(who.session_id, 7);
	CHECK_EQ_STR(who.transport, "tcp");
	check_remint(V_HEARTBEAT, "worker");
}

TEST(vector_queen_ttl0)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	const char *why = NULL;
	struct principal who;
	memset(&who, 0, sizeof who);
	CHECK_EQ_INT(ticket_verify(V_QUEEN_TTL0, &k, &t, &why), 0);
	CHECK_EQ_INT(t.role_code, TICKET_ROLE_QUEEN);
	CHECK_EQ_INT(t.flags, TICKET_F_TTL);
	CHECK_EQ_INT(t.ttl_s, 0);
	CHECK_EQ_INT(t.issued_at_ms, 0);
	CHECK_EQ_STR(t.subject, "");
	CHECK(ticket_expired(&t, 0));
	CHECK(ticket_expired(&t, 1700000000000ull));
	ticket_principal(&t, &who);
	CHECK_EQ_INT(who.role, HIVE_ROLE_QUEEN);
	CHECK_EQ_STR(who.subject, "");
	check_remint(V_QUEEN_TTL0, "bootstrap");
}

TEST(vector_worker_bus)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	const char *why = NULL;
	CHECK_EQ_INT(ticket_verify(V_BUS, &k, &t, &why), 0);
	CHECK_EQ_INT(t.role_code, TICKET_ROLE_WORKER_BUS);
	CHECK_EQ_STR(t.subject, "modbus-main");
	CHECK_EQ_INT(ticket_hive_role(t.role_code), HIVE_ROLE_WORKER);
	check_remint(V_BUS, "worker-bus");
}

TEST(vector_queen_scopes_quotas)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	const char *why = NULL;
	CHECK_EQ_INT(ticket_verify(V_QUEEN_SCOPES, &k, &t, &why), 0);
	CHECK_EQ_INT(t.role_code, TICKET_ROLE_QUEEN);
	CHECK_EQ_INT(t.flags, TICKET_F_SCOPES | TICKET_F_QUOTAS);
	CHECK_EQ_INT(t.nscopes, 3);
	CHECK_EQ_STR(t.scopes[0].path, "/log");
	CHECK_EQ_INT(t.scopes[0].verb, TICKET_VERB_READ);
	CHECK_EQ_INT(t.scopes[0].rate_per_s, 1);
	CHECK_EQ_STR(t.scopes[1].path, "/queen");
	CHECK_EQ_INT(t.scopes[1].verb, TICKET_VERB_WRITE);
	CHECK_EQ_INT(t.scopes[1].rate_per_s, 0);
	CHECK_EQ_STR(t.scopes[2].path, "/shard");
	CHECK_EQ_INT(t.scopes[2].verb, TICKET_VERB_WRITE);
	CHECK_EQ_INT(t.bandwidth_bytes, 0);
	CHECK_EQ_INT(t.cursor_resumes, 0);
	CHECK_EQ_INT(t.cursor_advances, 1);
	check_remint(V_QUEEN_SCOPES, "bootstrap");
}

TEST(mint_fresh_round_trip)
{
	struct ticket t, back;
	struct ticket_keys k = vector_keys();
	char tok[TOKEN_BUF];
	const char *why = NULL;
	memset(&t, 0, sizeof t);
	t.version = 1;
	t.role_code = TICKET_ROLE_WORKER_HEARTBEAT;
	t.flags = TICKET_F_TICKS | TICKET_F_OPS | TICKET_F_TTL | TICKET_F_SUBJECT;
	t.ticks = 0x0102030405060708ull;
	t.ops = 42;
	t.ttl_s = 3600;
	strcpy(t.subject, "agent-\xc3\xa9"); /* UTF-8 is allowed */
	t.issued_at_ms = 1700000000123ull;
	strcpy(t.mount_service, "hive");
	strcpy(t.mount_at, "/mnt");
	int n = ticket_mint(&t, k.key[TICKET_ROLE_WORKER_HEARTBEAT], tok, sizeof tok);
	CHECK(n > 0 && (size_t)n == strlen(tok));
	CHECK_EQ_INT(ticket_verify(tok, &k, &back, &why), 0);
	CHECK_EQ_STR(why, "ok");
	CHECK(back.ticks == t.ticks && back.ops == 42 && back.ttl_s == 3600);
	CHECK_EQ_STR(back.subject, t.subject);
	CHECK_EQ_STR(back.mount_at, "/mnt");
	CHECK(!ticket_expired(&back, t.issued_at_ms + 3599999));
	CHECK(ticket_expired(&back, t.issued_at_ms + 3600000));
	/* The buffer must hold the token and its NUL. */
	CHECK_EQ_INT(ticket_mint(&t, k.key[1], tok, (size_t)n), -ENOSPC);
	CHECK_EQ_INT(ticket_mint(&t, k.key[1], tok, (size_t)n + 1), n);
	/* Minted under the wrong role's key: refused. */
	CHECK_EQ_INT(ticket_mint(&t, k.key[TICKET_ROLE_QUEEN], tok, sizeof tok), n);
	CHECK_EQ_INT(ticket_verify(tok, &k, &back, &why), -EACCES);
	CHECK_EQ_STR(why, "bad-mac");
}

TEST(forged_mac_and_flipped_payload)
{
	char tok[TOKEN_BUF];
	const char *why = NULL;
	size_t len = strlen(V_HEARTBEAT);
	/* Change the last MAC digit. */
	strcpy(tok, V_HEARTBEAT);
	tok[len - 1] = tok[len - 1] == '0' ? '1' : '0';
	CHECK_EQ_INT(verify_why(tok, &why), -EACCES);
	CHECK_EQ_STR(why, "bad-mac");
	/* "worker-1" -> "worker-2": a still well-formed payload. */
	strcpy(tok, V_HEARTBEAT);
	char *one = strstr(tok, "2d31");
	CHECK(one != NULL);
	if (one)
		one[3] = '2';
	CHECK_EQ_INT(verify_why(tok, &why), -EACCES);
	CHECK_EQ_STR(why, "bad-mac");
	/* Raise a worker to queen by flipping the role byte. */
	strcpy(tok, V_HEARTBEAT);
	tok[strlen(TICKET_PREFIX) + 3] = '0';
	CHECK_EQ_INT(verify_why(tok, &why), -EACCES);
	CHECK_EQ_STR(why, "bad-mac");
	/* MAC of all zeros. */
	strcpy(tok, V_HEARTBEAT);
	memset(strchr(tok, '.') + 1, '0', 64);
	CHECK_EQ_INT(verify_why(tok, &why), -EACCES);
}

TEST(wrong_role_key_and_missing_key)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	const char *why = NULL;
	/* Right token, but the hive's worker secret differs. */
	ticket_keys_set(&k, TICKET_ROLE_WORKER_HEARTBEAT, "bootstrap");
	CHECK_EQ_INT(ticket_verify(V_HEARTBEAT, &k, &t, &why), -EACCES);
	CHECK_EQ_STR(why, "bad-mac");
	/* No secret at all for worker-heartbeat. */
	ticket_keys_set(&k, TICKET_ROLE_WORKER_HEARTBEAT, NULL);
	CHECK_EQ_INT(ticket_verify(V_HEARTBEAT, &k, &t, &why), -ENOKEY);
	CHECK_EQ_STR(why, "no-key");
	CHECK_EQ_INT(ticket_verify(V_HEARTBEAT, NULL, &t, &why), -ENOKEY);
	/* Failure leaves no half-decoded ticket behind. */
	CHECK_EQ_INT(t.role_code, 0);
	CHECK_EQ_STR(t.subject, "");
}

TEST(malformed_tokens)
{
	char tok[TOKEN_BUF * 2];
	const char *why = NULL;
	size_t plen = strlen(TICKET_PREFIX);
	static const char *const bad[] = {
		"",
		"cohesix-ticket-",
		"cohesix-ticket-.",
		"cohesix-tickets-0101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		"0101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000",
		"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		/* MAC one digit short, one digit long, one byte long */
		"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff",
		"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff90",
		"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff900",
		/* odd payload hex */
		"cohesix-ticket-010108080077f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		/* uppercase in payload, then in MAC */
		"cohesix-ticket-0101080800776F726B65722D31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000.EA7BEE86230E67031E6E758FA01C00EAA9C1F0BFFF4B41548424A3DF0356CFF9",
		/* non-hex, space, second dot */
		"cohesix-ticket-0101080800776f726b65722d3100000000000000000000000g.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		"cohesix-ticket- 101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		"cohesix-ticket-0101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cf.9",
		/* payload shorter than the fixed fields */
		"cohesix-ticket-010100.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
		/* version 2 */
		"cohesix-ticket-0201080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		int rc = verify_why(bad[i], &why);
		if (rc != -EINVAL)
			printf("#   case %zu: rc %d why %s\n", i, rc, why ? why : "(null)");
		CHECK_EQ_INT(rc, -EINVAL);
		CHECK_EQ_STR(why, "malformed");
	}
	/* Every truncation of a valid token is refused. */
	size_t full = strlen(V_QUEEN_SCOPES);
	for (size_t cut = 0; cut < full; cut++) {
		memcpy(tok, V_QUEEN_SCOPES, cut);
		tok[cut] = '\0';
		CHECK(verify_why(tok, &why) < 0);
	}
	/* NULL token. */
	CHECK_EQ_INT(verify_why(NULL, &why), -EINVAL);
	/* Over-long: a valid token with padding past HIVE_TICKET_TOKEN_MAX. */
	memset(tok, 'a', sizeof tok);
	memcpy(tok, TICKET_PREFIX, plen);
	tok[HIVE_TICKET_TOKEN_MAX + 1] = '\0';
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	CHECK_EQ_STR(why, "malformed");
}

TEST(malformed_payloads_under_a_good_mac)
{
	char tok[TOKEN_BUF * 2];
	const char *why = NULL;
	/* worker-1 ticket + one trailing byte */
	uint8_t trailing[] = { 1, 1, 8, 8, 0, 'w', 'o', 'r', 'k', 'e', 'r', '-', '1',
	                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	forge(trailing, sizeof trailing, "worker", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	CHECK_EQ_STR(why, "malformed");
	/* Without the trailing byte the forge helper makes the real vector. */
	forge(trailing, sizeof trailing - 1, "worker", tok, sizeof tok);
	CHECK_EQ_STR(tok, V_HEARTBEAT);
	CHECK_EQ_INT(verify_why(tok, &why), 0);
	/* Subject claims 256 bytes (> 255). */
	uint8_t longstr[] = { 1, 1, 8, 0x00, 0x01, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	forge(longstr, sizeof longstr, "worker", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	CHECK_EQ_STR(why, "malformed");
	/* Token length boundary under a good MAC: a 72-byte payload makes a
	 * 224-character token (accepted), 73 bytes one of 226 (refused). */
	uint8_t edge[73] = { 1, 0, 0 };
	edge[11] = 57; /* mount.service of 57 bytes, then an empty mount.at */
	memset(edge + 13, 's', 57);
	forge(edge, 72, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(strlen(tok), HIVE_TICKET_TOKEN_MAX);
	CHECK_EQ_INT(verify_why(tok, &why), 0);
	edge[11] = 58;
	edge[70] = 's';
	forge(edge, 73, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(strlen(tok), HIVE_TICKET_TOKEN_MAX + 2);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	CHECK_EQ_STR(why, "malformed");
	/* 17 scopes claimed. */
	uint8_t scopes[] = { 1, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17,
	                     0, 0, 0, 0, 0, 0, 0 };
	forge(scopes, sizeof scopes, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	CHECK_EQ_STR(why, "malformed");
	/* One scope with verb 3. */
	uint8_t verb[] = { 1, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	                   1, 0, '/', 3, 0, 0, 0, 0 };
	forge(verb, sizeof verb, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	verb[19] = TICKET_VERB_RW;
	forge(verb, sizeof verb, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), 0);
	/* Unknown flag bit. */
	uint8_t flag[] = { 1, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	forge(flag, sizeof flag, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	flag[2] = 0;
	forge(flag, sizeof flag, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), 0);
	/* Invalid UTF-8, then an embedded NUL, in the subject. */
	uint8_t utf[] = { 1, 1, 8, 2, 0, 0xc3, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	forge(utf, sizeof utf, "worker", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	utf[5] = 'a';
	utf[6] = 0;
	forge(utf, sizeof utf, "worker", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
	utf[6] = 'b';
	forge(utf, sizeof utf, "worker", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), 0);
	/* Quotas flag but the quota bytes are missing. */
	uint8_t quota[] = { 1, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3 };
	forge(quota, sizeof quota, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EINVAL);
}

TEST(unknown_role_code)
{
	char tok[TOKEN_BUF];
	const char *why = NULL;
	uint8_t p[] = { 1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	forge(p, sizeof p, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EPERM);
	CHECK_EQ_STR(why, "unknown-role");
	p[1] = 0xff;
	forge(p, sizeof p, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -EPERM);
	CHECK_EQ_STR(why, "unknown-role");
	/* Observer (5) is known, but this hive has no observer secret. */
	p[1] = TICKET_ROLE_OBSERVER;
	forge(p, sizeof p, "bootstrap", tok, sizeof tok);
	CHECK_EQ_INT(verify_why(tok, &why), -ENOKEY);
}

TEST(mint_refuses_bad_tickets)
{
	struct ticket t;
	uint8_t key[TICKET_KEY_LEN] = { 0 };
	char tok[TOKEN_BUF];
	memset(&t, 0, sizeof t);
	t.version = 1;
	t.flags = TICKET_F_SUBJECT;
	/* 256 bytes with no NUL: longer than any wire string. */
	memset(t.subject, 'a', sizeof t.subject);
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
	/* Longer than a principal's subject. */
	memset(t.subject, 0, sizeof t.subject);
	memset(t.subject, 'a', HIVE_SUBJECT_MAX + 1);
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
	memset(t.subject, 0, sizeof t.subject);
	memset(t.subject, 'a', HIVE_SUBJECT_MAX);
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -ENOSPC); /* token > 224 */
	strcpy(t.subject, "s");
	CHECK(ticket_mint(&t, key, tok, sizeof tok) > 0);
	/* Too many scopes, bad verb, unknown role, version, flags. */
	t.flags = TICKET_F_SCOPES;
	t.nscopes = HIVE_TICKET_SCOPES_MAX + 1;
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
	t.nscopes = HIVE_TICKET_SCOPES_MAX; /* legal, but cannot fit 224 characters */
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -ENOSPC);
	t.nscopes = 1;
	t.scopes[0].verb = 3;
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
	t.scopes[0].verb = TICKET_VERB_RW;
	CHECK(ticket_mint(&t, key, tok, sizeof tok) > 0);
	t.role_code = TICKET_ROLE_CODES;
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
	t.role_code = 0;
	t.version = 2;
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
	t.version = 1;
	t.flags = 0x80;
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
	t.flags = 0;
	strcpy(t.mount_at, "\xff");
	CHECK_EQ_INT(ticket_mint(&t, key, tok, sizeof tok), -EINVAL);
}

TEST(expiry)
{
	struct ticket t;
	memset(&t, 0, sizeof t);
	t.issued_at_ms = 1000;
	t.ttl_s = 10;
	CHECK(!ticket_expired(&t, 1000000)); /* no ttl flag: never */
	t.flags = TICKET_F_TTL;
	CHECK(!ticket_expired(&t, 0));
	CHECK(!ticket_expired(&t, 10999));
	CHECK(ticket_expired(&t, 11000));
	CHECK(ticket_expired(&t, UINT64_MAX));
	/* A ttl so large the sum would wrap is cut to the longest lifetime
	 * (was: never expires). */
	t.ttl_s = UINT64_MAX / 500;
	CHECK_EQ_INT(ticket_expired(&t, 1000 + HIVE_TICKET_TTL_MAX_S * 1000ull - 1), TICKET_TIME_OK);
	CHECK_EQ_INT(ticket_expired(&t, 1000 + HIVE_TICKET_TTL_MAX_S * 1000ull), TICKET_TIME_EXPIRED);
	CHECK(ticket_expired(&t, UINT64_MAX));
	/* An end past 2^64 ms saturates: expired only at the end of time. */
	t.ttl_s = UINT64_MAX / 1000;
	t.issued_at_ms = UINT64_MAX - 5;
	CHECK_EQ_INT(ticket_expired(&t, UINT64_MAX - 6), TICKET_TIME_OK);
	CHECK_EQ_INT(ticket_expired(&t, UINT64_MAX), TICKET_TIME_EXPIRED);
}

TEST(lifetime_bounds)
{
	const uint64_t now = 1700000000000ull;
	struct ticket_keys k = vector_keys();
	struct ticket t, back;
	char tok[TOKEN_BUF];
	const char *why = NULL;

	memset(&t, 0, sizeof t);
	t.version = 1;
	t.role_code = TICKET_ROLE_QUEEN;
	t.issued_at_ms = now;
	/* `--ttl 0` (no ttl flag): the longest lifetime, then expired. */
	CHECK_EQ_INT(ticket_expired(&t, now + HIVE_TICKET_TTL_MAX_S * 1000ull - 1), TICKET_TIME_OK);
	CHECK_EQ_INT(ticket_expired(&t, now + HIVE_TICKET_TTL_MAX_S * 1000ull), TICKET_TIME_EXPIRED);
	/* A longer ttl is cut to it; a shorter one stands. */
	t.flags = TICKET_F_TTL;
	t.ttl_s = 10ull * HIVE_TICKET_TTL_MAX_S;
	CHECK_EQ_INT(ticket_expired(&t, now + HIVE_TICKET_TTL_MAX_S * 1000ull), TICKET_TIME_EXPIRED);
	t.ttl_s = 60;
	CHECK_EQ_INT(ticket_expired(&t, now + 59999), TICKET_TIME_OK);
	CHECK_EQ_INT(ticket_expired(&t, now + 60000), TICKET_TIME_EXPIRED);
	/* The keys' own bound (tickets.conf ttl_max, hived --ticket-ttl-max)
	 * reaches ticket_expired through ticket_verify. */
	k.ttl_max_s = 30;
	CHECK(ticket_mint(&t, k.key[TICKET_ROLE_QUEEN], tok, sizeof tok) > 0);
	CHECK_EQ_INT(ticket_verify(tok, &k, &back, &why), 0);
	CHECK_EQ_INT(back.ttl_max_s, 30);
	CHECK_EQ_INT(ticket_expired(&back, now + 29999), TICKET_TIME_OK);
	CHECK_EQ_INT(ticket_expired(&back, now + 30000), TICKET_TIME_EXPIRED);
	/* Issued ahead of our clock: within the skew it is fine, past it not. */
	t.ttl_s = 60;
	CHECK_EQ_INT(ticket_expired(&t, now - HIVE_TICKET_SKEW_MS_MAX), TICKET_TIME_OK);
	CHECK_EQ_INT(ticket_expired(&t, now - HIVE_TICKET_SKEW_MS_MAX - 1), TICKET_TIME_FUTURE);
	/* The year 5138 (1e14 ms): refused, with or without a ttl. */
	t.issued_at_ms = 100000000000000ull;
	CHECK_EQ_INT(ticket_expired(&t, now), TICKET_TIME_FUTURE);
	t.flags = 0;
	CHECK_EQ_INT(ticket_expired(&t, now), TICKET_TIME_FUTURE);
}

static int is_id(const char *id)
{
	if (strlen(id) != TICKET_ID_LEN)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

TEST(ticket_ids)
{
	struct ticket_keys k = vector_keys();
	struct ticket t;
	const char *why = NULL;
	char id[TICKET_ID_LEN + 1], id2[TICKET_ID_LEN + 1];

	/* Every ticket has one, Cohesix's included: from the MAC, not a field. */
	CHECK_EQ_INT(ticket_id(V_HEARTBEAT, id), 0);
	CHECK(is_id(id));
	CHECK_EQ_INT(ticket_verify(V_HEARTBEAT, &k, &t, &why), 0);
	CHECK_EQ_STR(t.id, id);
	CHECK_EQ_INT(ticket_id(V_BUS, id2), 0);
	CHECK(strcmp(id, id2) != 0);
	/* It does not show the MAC. */
	CHECK(strstr(V_HEARTBEAT, id) == NULL);
	CHECK_EQ_INT(ticket_id("cohesix-ticket-00.00", id), -EINVAL);
	CHECK_EQ_INT(ticket_id("nonsense", id), -EINVAL);
	CHECK_EQ_INT(ticket_id(NULL, id), -EINVAL);
}

TEST(role_words)
{
	CHECK_EQ_INT(ticket_role_code_parse("queen"), TICKET_ROLE_QUEEN);
	CHECK_EQ_INT(ticket_role_code_parse("worker"), TICKET_ROLE_WORKER_HEARTBEAT);
	CHECK_EQ_INT(ticket_role_code_parse("worker-heartbeat"), TICKET_ROLE_WORKER_HEARTBEAT);
	CHECK_EQ_INT(ticket_role_code_parse("worker-gpu"), TICKET_ROLE_WORKER_GPU);
	CHECK_EQ_INT(ticket_role_code_parse("worker-bus"), TICKET_ROLE_WORKER_BUS);
	CHECK_EQ_INT(ticket_role_code_parse("worker-lora"), TICKET_ROLE_WORKER_LORA);
	CHECK_EQ_INT(ticket_role_code_parse("observer"), TICKET_ROLE_OBSERVER);
	CHECK_EQ_INT(ticket_role_code_parse("Queen"), -1);
	CHECK_EQ_INT(ticket_role_code_parse(""), -1);
	CHECK_EQ_INT(ticket_role_code_parse(NULL), -1);
	for (int i = 0; i < TICKET_ROLE_CODES; i++)
		CHECK_EQ_INT(ticket_role_code_parse(ticket_role_code_name(i)), i);
	CHECK_EQ_STR(ticket_role_code_name(-1), "unknown");
	CHECK_EQ_STR(ticket_role_code_name(TICKET_ROLE_CODES), "unknown");
	CHECK_EQ_INT(ticket_hive_role(TICKET_ROLE_QUEEN), HIVE_ROLE_QUEEN);
	CHECK_EQ_INT(ticket_hive_role(TICKET_ROLE_WORKER_LORA), HIVE_ROLE_WORKER);
	CHECK_EQ_INT(ticket_hive_role(TICKET_ROLE_OBSERVER), HIVE_ROLE_OBSERVER);
	CHECK_EQ_INT(ticket_hive_role(6), HIVE_ROLE_NONE);
	CHECK_EQ_INT(ticket_hive_role(-1), HIVE_ROLE_NONE);
}

/* --- tickets.conf --------------------------------------------------------- */

static char tmpdir[64];

static void write_conf(const char *text, size_t len)
{
	char path[128];
	snprintf(path, sizeof path, "%s/tickets.conf", tmpdir);
	unlink(path);
	rmdir(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ_INT(write(fd, text, len), (long long)len);
	close(fd);
}

static int load_text(const char *text, struct ticket_keys *k, struct err *err)
{
	write_conf(text, strlen(text));
	return ticket_keys_load(k, tmpdir, 0, err);
}

TEST(keys_create_and_reload)
{
	struct ticket_keys a, b;
	struct err e = { 0 };
	char *why = e.msg, path[128];
	struct stat st;
	snprintf(path, sizeof path, "%s/tickets.conf", tmpdir);
	unlink(path);
	/* Missing without create: an error naming the file. */
	CHECK_EQ_INT(ticket_keys_load(&a, tmpdir, 0, &e), -ENOENT);
	CHECK(strstr(why, "tickets.conf") != NULL);
	/* Missing with create: a 0600 file with a secret for every role. */
	CHECK_EQ_INT(ticket_keys_load(&a, tmpdir, 1, &e), 0);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	for (int i = 0; i < TICKET_ROLE_CODES; i++)
		CHECK(a.present[i]);
	CHECK(memcmp(a.key[0], a.key[1], TICKET_KEY_LEN) != 0);
	/* Loading again (create or not) gives the same keys. */
	CHECK_EQ_INT(ticket_keys_load(&b, tmpdir, 1, &e), 0);
	CHECK(memcmp(&a, &b, sizeof a) == 0);
	CHECK_EQ_INT(ticket_keys_load(&b, tmpdir, 0, &e), 0);
	CHECK(memcmp(&a, &b, sizeof a) == 0);
	/* A ticket minted with the loaded queen key verifies. */
	struct ticket t, back;
	char tok[TOKEN_BUF];
	const char *w = NULL;
	memset(&t, 0, sizeof t);
	t.version = 1;
	CHECK(ticket_mint(&t, a.key[TICKET_ROLE_QUEEN], tok, sizeof tok) > 0);
	CHECK_EQ_INT(ticket_verify(tok, &b, &back, &w), 0);
	/* But not the Cohesix vector's "bootstrap" queen ticket. */
	CHECK_EQ_INT(ticket_verify(V_QUEEN_TTL0, &b, &back, &w), -EACCES);
	/* Create into a state dir that does not exist: error, no crash. */
	char missing[128];
	snprintf(missing, sizeof missing, "%s/nope", tmpdir);
	CHECK_EQ_INT(ticket_keys_load(&a, missing, 1, &e), -ENOENT);
	CHECK(strstr(why, "cannot create") != NULL);
	unlink(path);
}

TEST(keys_load_written_file)
{
	struct ticket_keys k;
	struct ticket t;
	struct err e = { 0 };
	const char *w = NULL;
	CHECK_EQ_INT(load_text("# hive secrets\n\nqueen=bootstrap\n  worker = worker \r\n"
	                       "worker-bus=worker-bus", &k, &e), 0);
	CHECK(k.present[TICKET_ROLE_QUEEN] && k.present[TICKET_ROLE_WORKER_HEARTBEAT] &&
	      k.present[TICKET_ROLE_WORKER_BUS]);
	CHECK(!k.present[TICKET_ROLE_OBSERVER] && !k.present[TICKET_ROLE_WORKER_GPU]);
	CHECK_EQ_INT(ticket_verify(V_HEARTBEAT, &k, &t, &w), 0);
	CHECK_EQ_INT(ticket_verify(V_QUEEN_SCOPES, &k, &t, &w), 0);
	CHECK_EQ_INT(ticket_verify(V_BUS, &k, &t, &w), 0);
	/* An empty file is legal: no role can log in. */
	CHECK_EQ_INT(load_text("", &k, &e), 0);
	CHECK_EQ_INT(ticket_verify(V_HEARTBEAT, &k, &t, &w), -ENOKEY);
}

TEST(keys_load_errors)
{
	struct ticket_keys k;
	struct err e = { 0 };
	char *why = e.msg, path[128], big[HIVE_TICKETS_CONF_MAX + 100];
	static const struct {
		const char *text, *in_why;
	} bad[] = {
		{ "queen bootstrap\n", ":1: expected role=secret" },
		{ "# ok\nking=x\n", ":2: unknown role" },
		{ "queen=a\nqueen=b\n", ":2: role given twice" },
		{ "worker=a\nworker-heartbeat=b\n", ":2: role given twice" },
		{ "queen=\n", ":1: secret empty" },
		{ "=secret\n", ":1: unknown role" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		CHECK_EQ_INT(load_text(bad[i].text, &k, &e), -EINVAL);
		if (!strstr(why, bad[i].in_why))
			printf("#   case %zu: why '%s'\n", i, why);
		CHECK(strstr(why, bad[i].in_why) != NULL);
		/* A failed load leaves no key behind. */
		for (int r = 0; r < TICKET_ROLE_CODES; r++)
			CHECK(!k.present[r]);
	}
	/* Secret longer than HIVE_SECRET_MAX. */
	memset(big, 0, sizeof big);
	strcpy(big, "queen=");
	memset(big + 6, 's', HIVE_SECRET_MAX + 1);
	CHECK_EQ_INT(load_text(big, &k, &e), -EINVAL);
	big[6 + HIVE_SECRET_MAX] = '\0';
	CHECK_EQ_INT(load_text(big, &k, &e), 0);
	/* A NUL byte inside the file. */
	write_conf("queen=a\0b\n", 10);
	CHECK_EQ_INT(ticket_keys_load(&k, tmpdir, 0, &e), -EINVAL);
	/* A file bigger than HIVE_TICKETS_CONF_MAX. */
	memset(big, '#', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_EQ_INT(load_text(big, &k, &e), -EFBIG);
	/* Unreadable: tickets.conf is a directory (root reads any mode). */
	snprintf(path, sizeof path, "%s/tickets.conf", tmpdir);
	unlink(path);
	CHECK_EQ_INT(mkdir(path, 0700), 0);
	CHECK_EQ_INT(ticket_keys_load(&k, tmpdir, 1, &e), -EISDIR);
	CHECK(strstr(why, "not a regular file") != NULL);
	rmdir(path);
	/* Unreadable by permission, when not root. */
	if (geteuid() != 0) {
		write_conf("queen=x\n", 8);
		chmod(path, 0);
		CHECK_EQ_INT(ticket_keys_load(&k, tmpdir, 0, &e), -EACCES);
		unlink(path);
	}
	/* NULL why is allowed. */
	CHECK_EQ_INT(load_text("bad line\n", &k, NULL), -EINVAL);
	unlink(path);
}

TEST(keys_ttl_max)
{
	struct ticket_keys k;
	struct err e = { 0 };
	char *why = e.msg;
	static const char *const bad[] = { "ttl_max=0\n", "ttl_max=abc\n", "ttl_max=-5\n",
		                           "ttl_max=99999999999999999999\n", "ttl_max=400000000\n",
		                           "ttl_max=\n" };

	CHECK_EQ_INT(load_text("queen=bootstrap\nttl_max = 3600\n", &k, &e), 0);
	CHECK_EQ_INT(k.ttl_max_s, 3600);
	CHECK_EQ_INT(load_text("queen=bootstrap\n", &k, &e), 0);
	CHECK_EQ_INT(k.ttl_max_s, 0); /* HIVE_TICKET_TTL_MAX_S */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		CHECK_EQ_INT(load_text(bad[i], &k, &e), -EINVAL);
		CHECK(strstr(why, ":1: ttl_max wants seconds") != NULL);
	}
}

TEST(revocation_refuses_at_the_next_verify)
{
	struct ticket_keys k;
	struct ticket t;
	struct err e = { 0 };
	char *why = e.msg, path[160], tok[TOKEN_BUF], tok2[TOKEN_BUF], id[TICKET_ID_LEN + 1];
	const char *w = NULL;
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", tmpdir, REVOCATION_FILE);
	unlink(path);
	CHECK_EQ_INT(load_text("worker=worker\n", &k, &e), 0);
	memset(&t, 0, sizeof t);
	t.version = 1;
	t.role_code = TICKET_ROLE_WORKER_HEARTBEAT;
	t.flags = TICKET_F_SUBJECT;
	strcpy(t.subject, "a-1");
	CHECK(ticket_mint(&t, k.key[t.role_code], tok, sizeof tok) > 0);
	strcpy(t.subject, "a-2");
	CHECK(ticket_mint(&t, k.key[t.role_code], tok2, sizeof tok2) > 0);
	CHECK_EQ_INT(ticket_verify(tok, &k, &t, &w), 0);
	CHECK_EQ_INT(ticket_id(tok, id), 0);
	CHECK_EQ_STR(t.id, id);

	CHECK_EQ_INT(revocation_add(tmpdir, id, &e), 0);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(revocation_listed(path, id), 1);
	CHECK_EQ_INT(ticket_verify(tok, &k, &t, &w), -EKEYREVOKED);
	CHECK_EQ_STR(w, "revoked");
	CHECK_EQ_INT(ticket_verify(tok2, &k, &t, &w), 0); /* only that one */
	/* Again: nothing changes (one line for the id). */
	off_t size = st.st_size;
	CHECK_EQ_INT(revocation_add(tmpdir, id, &e), 0);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_size, size);
	/* Keys with no list (ticket_keys_set only) check none. */
	struct ticket_keys bare;
	memset(&bare, 0, sizeof bare);
	ticket_keys_set(&bare, TICKET_ROLE_WORKER_HEARTBEAT, "worker");
	CHECK_EQ_INT(ticket_verify(tok, &bare, &t, &w), 0);
	/* A list that cannot be parsed refuses every ticket: fail closed. */
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "not-an-id\n", 10), 10);
	close(fd);
	CHECK_EQ_INT(ticket_verify(tok2, &k, &t, &w), -EIO);
	CHECK_EQ_STR(w, "revocation-list-unreadable");
	CHECK_EQ_INT(revocation_listed(path, "0123456789abcdef"), -EBADMSG);
	CHECK_EQ_INT(revocation_add(tmpdir, "0123456789abcdef", &e), -EBADMSG);
	CHECK(strstr(why, "not a ticket id") != NULL);
	unlink(path);
	CHECK_EQ_INT(ticket_verify(tok2, &k, &t, &w), 0);
}

TEST(revocation_list_bounds)
{
	struct err e = { 0 };
	char *why = e.msg, path[160], id[TICKET_ID_LEN + 1];
	static const char *const bad_ids[] = { "", "0123456789abcde", "0123456789abcdef0",
		                               "0123456789ABCDEF", "0123456789abcdeg" };

	snprintf(path, sizeof path, "%s/%s", tmpdir, REVOCATION_FILE);
	unlink(path);
	for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++)
		CHECK_EQ_INT(revocation_add(tmpdir, bad_ids[i], &e), -EINVAL);
	CHECK_EQ_INT(revocation_add(tmpdir, NULL, &e), -EINVAL);
	CHECK_EQ_INT(revocation_listed(path, "0123456789abcdef"), 0); /* no file: none revoked */
	/* A full list, written here (one add is one fsync): the last id still
	 * goes in through revocation_add. */
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("# comment lines do not count\n\n", f);
	for (unsigned i = 0; i + 1 < HIVE_TICKETS_REVOKED_MAX; i++)
		fprintf(f, "%016x\n", i);
	fclose(f);
	snprintf(id, sizeof id, "%016x", HIVE_TICKETS_REVOKED_MAX - 1);
	CHECK_EQ_INT(revocation_listed(path, id), 0);
	CHECK_EQ_INT(revocation_add(tmpdir, id, &e), 0);
	CHECK_EQ_INT(revocation_listed(path, id), 1);
	CHECK_EQ_INT(revocation_listed(path, "0000000000000000"), 1);
	CHECK_EQ_INT(revocation_add(tmpdir, "ffffffffffffffff", &e), -ENOSPC);
	CHECK(strstr(why, "HIVE_TICKETS_REVOKED_MAX") != NULL);
	CHECK_EQ_INT(revocation_listed(path, "ffffffffffffffff"), 0);
	unlink(path);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/hive-ticket-test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(vector_worker_heartbeat);
	RUN(vector_queen_ttl0);
	RUN(vector_worker_bus);
	RUN(vector_queen_scopes_quotas);
	RUN(mint_fresh_round_trip);
	RUN(forged_mac_and_flipped_payload);
	RUN(wrong_role_key_and_missing_key);
	RUN(malformed_tokens);
	RUN(malformed_payloads_under_a_good_mac);
	RUN(unknown_role_code);
	RUN(mint_refuses_bad_tickets);
	RUN(expiry);
	RUN(lifetime_bounds);
	RUN(ticket_ids);
	RUN(role_words);
	RUN(keys_create_and_reload);
	RUN(keys_load_written_file);
	RUN(keys_load_errors);
	RUN(keys_ttl_max);
	RUN(revocation_refuses_at_the_next_verify);
	RUN(revocation_list_bounds);
	rmdir(tmpdir);
	return test_done();
}
