/*
 * ticket.h — tickets: role, subject, expiry, scopes and budgets under a
 * BLAKE3 keyed MAC, in the Cohesix encoding so its tools' tickets work:
 *
 *   cohesix-ticket-<payload hex>.<mac hex>
 *
 * key = BLAKE3(secret), mac = BLAKE3-keyed(key, payload). One secret per
 * role. Payload (little-endian): version u8 = 1, role u8, flags u8, then
 * present-only ticks u64 (0x01), ops u64 (0x02), ttl_s u64 (0x04),
 * subject str (0x08); always issued_at_ms u64, mount.service str,
 * mount.at str; then scopes (0x10): count u8 (<= 16) x (path str, verb u8,
 * rate_per_s u32); then quotas (0x20): bandwidth_bytes u64,
 * cursor_resumes u32, cursor_advances u32. str = len u16 (<= 255) + UTF-8.
 * Trailing bytes are an error.
 *
 * Role codes: 0 queen, 1 worker-heartbeat, 2 worker-gpu, 3 worker-bus,
 * 4 worker-lora (all four are the hive's worker role), and 5 observer
 * (a Hive extension).
 *
 * Beyond the encoding (which is unchanged, so old and Cohesix tickets
 * still verify): a ticket lives at most the hive's longest lifetime
 * (HIVE_TICKET_TTL_MAX_S unless tickets.conf or hived say otherwise), its
 * issue time may lie at most HIVE_TICKET_SKEW_MS_MAX ahead, and its id —
 * derived from its MAC, so every ticket has one — can be revoked in
 * <state>/tickets.revoked (revocation.h).
 */
#ifndef HIVE_TICKET_H
#define HIVE_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/limits.h"
#include "principal.h"

#define TICKET_PREFIX "cohesix-ticket-"
#define TICKET_KEY_LEN 32
/* A ticket's id: hex of the first 8 bytes of BLAKE3(MAC). Names the
 * ticket in logs and revocations without showing the token. */
#define TICKET_ID_LEN 16u
/* The highest longest-lifetime a hive may be given (tickets.conf
 * ttl_max=, hived --ticket-ttl-max): ten years, far below where
 * milliseconds would overflow. */
#define TICKET_TTL_MAX_CEILING_S (10ull * 366u * 24u * 3600u)

enum ticket_role_code {
	TICKET_ROLE_QUEEN = 0,
	TICKET_ROLE_WORKER_HEARTBEAT = 1,
	TICKET_ROLE_WORKER_GPU = 2,
	TICKET_ROLE_WORKER_BUS = 3,
	TICKET_ROLE_WORKER_LORA = 4,
	TICKET_ROLE_OBSERVER = 5,
	TICKET_ROLE_CODES,
};

#define TICKET_F_TICKS 0x01
#define TICKET_F_OPS 0x02
#define TICKET_F_TTL 0x04
#define TICKET_F_SUBJECT 0x08
#define TICKET_F_SCOPES 0x10
#define TICKET_F_QUOTAS 0x20

enum ticket_verb { TICKET_VERB_READ = 0, TICKET_VERB_WRITE = 1, TICKET_VERB_RW = 2 };

struct ticket_scope {
	char path[HIVE_TICKET_STR_MAX + 1];
	uint8_t verb;
	uint32_t rate_per_s;
};

struct ticket {
	uint8_t version;
	uint8_t role_code; /* enum ticket_role_code */
	uint8_t flags;
	uint64_t ticks, ops, ttl_s;
	char subject[HIVE_TICKET_STR_MAX + 1];
	uint64_t issued_at_ms;
	char mount_service[HIVE_TICKET_STR_MAX + 1];
	char mount_at[HIVE_TICKET_STR_MAX + 1];
	uint8_t nscopes;
	struct ticket_scope scopes[HIVE_TICKET_SCOPES_MAX];
	uint64_t bandwidth_bytes;
	uint32_t cursor_resumes, cursor_advances;
	/* Not in the payload: set by ticket_verify. */
	char id[TICKET_ID_LEN + 1];
	uint64_t ttl_max_s; /* the keys' longest lifetime; 0 = HIVE_TICKET_TTL_MAX_S */
};

/* The MAC keys of every role code, derived from secrets, and the rules
 * ticket_verify applies besides the MAC. */
struct ticket_keys {
	uint8_t present[TICKET_ROLE_CODES];
	uint8_t key[TICKET_ROLE_CODES][TICKET_KEY_LEN];
	uint64_t ttl_max_s;                 /* longest lifetime; 0 = HIVE_TICKET_TTL_MAX_S */
	char revoked_path[HIVE_PATH_MAX];   /* the revocation list; "" = none */
};

/* key = BLAKE3(secret). */
void ticket_key_from_secret(const char *secret, uint8_t key[TICKET_KEY_LEN]);
void ticket_keys_set(struct ticket_keys *keys, enum ticket_role_code code, const char *secret);

/*
 * Load role secrets from `<state_dir>/tickets.conf` (lines `role=secret`,
 * role words as in ticket_role_code_parse; `#` comments; and optionally
 * `ttl_max=SECONDS`, the longest lifetime, 1 s to 10 years). If the file
 * is missing and `create` is set, write one with a fresh random secret per
 * role (mode 0600). The keys then name <state_dir>/tickets.revoked as
 * their revocation list. Returns 0 or -errno with err set.
 */
int ticket_keys_load(struct ticket_keys *keys, const char *state_dir, int create, struct err *err);

/* Role code <-> words ("queen", "worker-heartbeat" (alias "worker"),
 * "worker-gpu", "worker-bus", "worker-lora", "observer"). Returns -1 if unknown. */
int ticket_role_code_parse(const char *word);
const char *ticket_role_code_name(int code);
enum hive_role ticket_hive_role(int code);

/* Encode payload + MAC into a token. Returns its length or -ENOSPC/-EINVAL. */
int ticket_mint(const struct ticket *t, const uint8_t key[TICKET_KEY_LEN], char *out, size_t cap);

/*
 * Decode a token and check its MAC with the key of the role it claims,
 * then that its id is not on the keys' revocation list (read at each call,
 * so a revoke is seen at the next attach). Returns 0 (out->id and
 * out->ttl_max_s set), or a negative code with `why` set to a short
 * reason: "malformed" (prefix, hex, lengths, trailing bytes),
 * "unknown-role", "no-key" (no secret for that role), "bad-mac" (forged or
 * wrong secret), "revoked" (-EKEYREVOKED), "revocation-list-unreadable"
 * (the list exists but cannot be read or parsed: refused, fail closed).
 */
int ticket_verify(const char *token, const struct ticket_keys *keys, struct ticket *out,
                  const char **why);

/* What ticket_expired says; callers refuse any non-zero value. */
enum ticket_time {
	TICKET_TIME_OK = 0,
	TICKET_TIME_EXPIRED = 1, /* past its lifetime */
	TICKET_TIME_FUTURE = 2,  /* issued more than HIVE_TICKET_SKEW_MS_MAX after now_ms */
};
/* Its lifetime is ttl_s when the ttl flag is present, capped at the
 * longest lifetime (t->ttl_max_s, else HIVE_TICKET_TTL_MAX_S), which is
 * also the lifetime of a ticket without ttl. Expired when issued_at_ms +
 * lifetime <= now_ms. Returns an enum ticket_time. */
int ticket_expired(const struct ticket *t, uint64_t now_ms);

/* The id of a token (its MAC must be well formed; it is not checked):
 * 0, or -EINVAL. */
int ticket_id(const char *token, char id[TICKET_ID_LEN + 1]);

/* Fill a principal from a verified ticket. */
void ticket_principal(const struct ticket *t, struct principal *who);

#endif
