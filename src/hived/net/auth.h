/*
 * auth.h — one attach policy for both transports: the throttle, the ticket
 * check and the attach row. The 9P server and the console are framers
 * that ask here; neither decides who a peer is on its own.
 *
 * The ticket check runs in one order, whatever the socket: size, decode,
 * MAC (ticket_verify), expiry, role -> principal (a worker must name a
 * subject; identity comes from the ticket alone), then what the client
 * claimed (console `ATTACH <role>`, 9P uname `role[:subject]`) must agree,
 * then the lifecycle gate for workers. Every refusal goes through the deny
 * door with the row `attach ... outcome=deny reason=<r> transport=<t>
 * peer=<p>`; failures of a peer count toward its back-off (250 ms * 2^n)
 * and lockout (HIVE_ATTACH_FAILS_MAX in the window), and attempts inside
 * them are refused as `throttle` rows, folded per peer id (hive_deny_with).
 *
 * Peers are keyed by identity (peer.h): key "uid=0@127.0.0.3" for the
 * back-off and lockout, and its id "uid=0" for a lockout of the whole
 * identity after HIVE_ATTACH_ID_FAILS_MAX failures, so neither another
 * uid nor another loopback address changes anything for a peer. The
 * owner's credential attach on the Unix socket is never throttled.
 */
#ifndef HIVE_AUTH_H
#define HIVE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/limits.h"
#include "trust/principal.h"

struct hive;
struct hive_session;

/* --- the throttle (time is passed in, so tests walk the clock) ----------- */

struct auth_peer {
	char key[2 * HIVE_PEER_ID_MAX]; /* "" = free slot */
	uint64_t last_fail_ms;
	uint64_t window_start_ms; /* first failure of the current window */
	uint64_t next_ok_ms;      /* back-off: attempts before this are throttled */
	uint64_t locked_until_ms; /* lockout: attempts before this are rate-limited */
	uint32_t fails;           /* failures in the current window */
	uint32_t shift;           /* back-off exponent for the next failure */
};

struct auth_throttle {
	struct auth_peer peers[HIVE_AUTH_PEERS_MAX]; /* by key */
	struct auth_peer ids[HIVE_AUTH_PEERS_MAX];   /* by id: lockout only */
};

enum auth_gate {
	AUTH_GATE_OPEN = 0,
	AUTH_GATE_THROTTLED, /* inside the back-off after a failure */
	AUTH_GATE_LOCKED,    /* too many failures in the window */
};

/* May `key` try now? Sets *delay_ms to the time left when not open. An
 * empty key is never throttled (a peer nobody can name: tests only). */
enum auth_gate auth_throttle_check(const struct auth_throttle *t, const char *key, uint64_t now_ms,
                                   uint64_t *delay_ms);
/* Record a failed attempt: back-off 250 ms * 2^n (n <= 8), and a lockout
 * after HIVE_ATTACH_FAILS_MAX failures within the window; the key's id
 * (up to '@') is locked after HIVE_ATTACH_ID_FAILS_MAX. */
void auth_throttle_fail(struct auth_throttle *t, const char *key, uint64_t now_ms);
/* A successful attach forgets the key's failures (not its id's). */
void auth_throttle_ok(struct auth_throttle *t, const char *key);

/* --- attach decisions ------------------------------------------------------ */

/* Why an attach was refused, for the transport's reply. */
struct auth_verdict {
	int code;             /* errno for 9P: EKEYREJECTED, EKEYEXPIRED, EACCES, EAGAIN, ... */
	const char *reason;   /* the row's word: bad-mac, expired, role-mismatch, throttled, ... */
	const char *detail;   /* the console's word: invalid-ticket, expired, role-mismatch, ... */
	uint64_t delay_ms;    /* throttled or locked: time left */
	char msg[HIVE_ERRSTR_MAX]; /* a sentence for 9P's Rerror */
};

/* May this session try a credential now? 0, or -1 after the refusal (a
 * `throttle` row folded by peer id) with v set (detail "throttled" / "rate-limited"). */
int auth_gate(struct hive *hive, struct hive_session *hs, struct auth_verdict *v);
/*
 * Check `token` in the one order (see above). claim_role is what the
 * client said (HIVE_ROLE_NONE: nothing), claim_subject likewise (NULL or
 * ""). On success *who is the ticket's principal for hs; on refusal -1
 * after the row, the throttle failure and v.
 */
int auth_ticket(struct hive *hive, struct hive_session *hs, const char *token, enum hive_role claim_role,
                const char *claim_subject, struct principal *who, struct auth_verdict *v);
/* Refuse an attach that presented no ticket where one is required (or, on
 * the console, a wrong AUTH token): a throttle failure and the row. */
void auth_refuse(struct hive *hive, struct hive_session *hs, const char *reason, struct auth_verdict *v);
/* The session is now `who`: the allow row, the throttle forgets the key,
 * the session leaves the pre-auth pool. */
void auth_allow(struct hive *hive, struct hive_session *hs, const struct principal *who);

#endif
