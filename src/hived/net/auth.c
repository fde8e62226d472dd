/*
 * auth.c — the attach policy of both transports (see auth.h): the throttle
 * (Cohesix's two layers, back-off and lockout, keyed by peer identity),
 * the ticket check in one order, and the attach rows.
 *
 * The throttle's tables are fixed arrays: a flood of keys reuses the slot
 * whose state matters least instead of growing.
 */
#include "auth.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "trust/ticket.h"

/* --- the throttle ------------------------------------------------------------ */

static struct auth_peer *slot_find(const struct auth_peer *tab, const char *key, size_t klen)
{
	if (!klen)
		return NULL;
	for (size_t i = 0; i < HIVE_AUTH_PEERS_MAX; i++)
		if (tab[i].key[0] && strlen(tab[i].key) == klen && memcmp(tab[i].key, key, klen) == 0)
			return (struct auth_peer *)&tab[i];
	return NULL;
}

/* When a slot stops mattering: its lockout, back-off and window are over. */
static uint64_t slot_expiry(const struct auth_peer *p)
{
	uint64_t e = p->last_fail_ms + HIVE_ATTACH_FAIL_WINDOW_MS;
	if (p->next_ok_ms > e)
		e = p->next_ok_ms;
	if (p->locked_until_ms > e)
		e = p->locked_until_ms;
	return e;
}

/* A free slot, else the one that expires first (a peer whose state is
 * over loses nothing; otherwise the least punished one goes). */
static struct auth_peer *slot_take(struct auth_peer *tab, const char *key, size_t klen)
{
	struct auth_peer *best = NULL;
	for (size_t i = 0; i < HIVE_AUTH_PEERS_MAX; i++) {
		struct auth_peer *p = &tab[i];
		if (!p->key[0]) {
			best = p;
			break;
		}
		if (!best || slot_expiry(p) < slot_expiry(best))
			best = p;
	}
	memset(best, 0, sizeof *best);
	snprintf(best->key, sizeof best->key, "%.*s", (int)klen, key);
	return best;
}

/* The identity part of a key: up to '@'. */
static size_t id_len(const char *key)
{
	const char *at = strchr(key, '@');
	return at ? (size_t)(at - key) : strlen(key);
}

static enum auth_gate slot_gate(const struct auth_peer *p, uint64_t now_ms, uint64_t *delay_ms)
{
	if (!p)
		return AUTH_GATE_OPEN;
	if (p->locked_until_ms > now_ms) {
		*delay_ms = p->locked_until_ms - now_ms;
		return AUTH_GATE_LOCKED;
	}
	if (p->next_ok_ms > now_ms) {
		*delay_ms = p->next_ok_ms - now_ms;
		return AUTH_GATE_THROTTLED;
	}
	return AUTH_GATE_OPEN;
}

enum auth_gate auth_throttle_check(const struct auth_throttle *t, const char *key, uint64_t now_ms,
                                   uint64_t *delay_ms)
{
	*delay_ms = 0;
	enum auth_gate g = slot_gate(slot_find(t->ids, key, id_len(key)), now_ms, delay_ms);
	if (g != AUTH_GATE_OPEN)
		return g;
	return slot_gate(slot_find(t->peers, key, strlen(key)), now_ms, delay_ms);
}

/* Count a failure in p's window; lock when it reaches max. */
static void slot_fail(struct auth_peer *p, uint64_t now_ms, uint32_t max, int backoff)
{
	/* A quiet window forgets the back-off and starts counting afresh. */
	if (p->fails == 0 || now_ms - p->window_start_ms >= HIVE_ATTACH_FAIL_WINDOW_MS) {
		p->window_start_ms = now_ms;
		p->fails = 0;
	}
	if (p->last_fail_ms && now_ms - p->last_fail_ms >= HIVE_ATTACH_FAIL_WINDOW_MS)
		p->shift = 0;
	p->fails++;
	p->last_fail_ms = now_ms;
	if (backoff) {
		p->next_ok_ms = now_ms + ((uint64_t)HIVE_ATTACH_BACKOFF_BASE_MS << p->shift);
		if (p->shift < HIVE_ATTACH_BACKOFF_SHIFT_MAX)
			p->shift++;
	}
	if (p->fails >= max) {
		p->locked_until_ms = now_ms + HIVE_ATTACH_LOCKOUT_MS;
		p->fails = 0;
	}
}

void auth_throttle_fail(struct auth_throttle *t, const char *key, uint64_t now_ms)
{
	size_t kl = strlen(key), il = id_len(key);
	if (!kl)
		return;
	struct auth_peer *p = slot_find(t->peers, key, kl);
	slot_fail(p ? p : slot_take(t->peers, key, kl), now_ms, HIVE_ATTACH_FAILS_MAX, 1);
	/* A key that is its own id (a remote address, a Unix uid) has no
	 * other addresses to walk: its own lockout is the id's. */
	if (il == kl)
		return;
	p = slot_find(t->ids, key, il);
	slot_fail(p ? p : slot_take(t->ids, key, il), now_ms, HIVE_ATTACH_ID_FAILS_MAX, 0);
}

void auth_throttle_ok(struct auth_throttle *t, const char *key)
{
	struct auth_peer *p = slot_find(t->peers, key, strlen(key));
	if (p)
		memset(p, 0, sizeof *p);
}

/* --- attach decisions -------------------------------------------------------- */

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void verdict(struct auth_verdict *v, int code, const char *reason, const char *detail,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void verdict(struct auth_verdict *v, int code, const char *reason, const char *detail,
                    const char *fmt, ...)
{
	va_list ap;
	v->code = code;
	v->reason = reason;
	v->detail = detail;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof v->msg, fmt, ap);
	va_end(ap);
}

/* The row of a refused attach, and the peer's failure. */
static void deny(struct hive *hive, struct hive_session *hs, const struct principal *who,
                 enum hive_pressure_class cls, int counts, const struct auth_verdict *v)
{
	if (counts)
		auth_throttle_fail(&hive->throttle, hs->peer_key, loop_now_ms());
	hive_deny(hive, who ? who : &hs->who, cls, HIVE_DENY_ATTACH, "/", v->reason, "transport=%s peer=%s%s%s",
	          hs->transport, hs->peer, hs->ticket_id[0] ? " ticket=" : "", hs->ticket_id);
}

int auth_gate(struct hive *hive, struct hive_session *hs, struct auth_verdict *v)
{
	uint64_t delay = 0;
	enum auth_gate g = auth_throttle_check(&hive->throttle, hs->peer_key, loop_now_ms(), &delay);
	if (g == AUTH_GATE_OPEN)
		return 0;
	const char *word = g == AUTH_GATE_LOCKED ? "rate-limited" : "throttled";
	verdict(v, EAGAIN, word, word, "attach %s: try again in %llu ms", word, (unsigned long long)delay);
	v->delay_ms = delay;
	char id[HIVE_PEER_ID_MAX];
	size_t il = id_len(hs->peer_key);
	snprintf(id, sizeof id, "%.*s", (int)(il < sizeof id ? il : sizeof id - 1), hs->peer_key);
	/* Folded by peer id: a flood from new connections is still one kind. */
	hive_deny_with(hive, &hs->who, HIVE_PRESSURE_QUOTA, HIVE_DENY_THROTTLE, NULL, word,
	               &(struct hive_deny_opts){ .fold_key = id }, "transport=%s peer=%s", hs->transport, hs->peer);
	return -1;
}

int auth_ticket(struct hive *hive, struct hive_session *hs, const char *token, enum hive_role claim_role,
                const char *claim_subject, struct principal *who, struct auth_verdict *v)
{
	struct ticket t;
	const char *why = "malformed";
	memset(who, 0, sizeof *who);
	who->session_id = hs->id;
	who->transport = hs->transport;
	hs->ticket_id[0] = '\0';
	if (strlen(token) > HIVE_TICKET_TOKEN_MAX || ticket_verify(token, &hive->keys, &t, &why) < 0) {
		why = why ? why : "malformed";
		verdict(v, EKEYREJECTED, why, "invalid-ticket", "ticket refused: %s", why);
		deny(hive, hs, who, HIVE_PRESSURE_POLICY, 1, v);
		return -1;
	}
	/* The MAC holds: from here on, refusals name who the ticket claims to
	 * be, and which ticket it is. */
	snprintf(hs->ticket_id, sizeof hs->ticket_id, "%s", t.id);
	ticket_principal(&t, who);
	if (ticket_expired(&t, wall_ms())) {
		verdict(v, EKEYEXPIRED, "expired", "expired", "ticket expired");
		deny(hive, hs, who, HIVE_PRESSURE_QUOTA, 1, v);
		return -1;
	}
	/* Identity comes from the ticket alone: a worker ticket naming no
	 * subject would let the client pick one. */
	if (who->role == HIVE_ROLE_WORKER && !who->subject[0]) {
		verdict(v, EKEYREJECTED, "no-subject", "invalid-ticket",
		        "ticket refused: a worker ticket must name its subject (hive ticket mint --subject)");
		deny(hive, hs, who, HIVE_PRESSURE_POLICY, 1, v);
		return -1;
	}
	if (claim_role != HIVE_ROLE_NONE && claim_role != who->role) {
		verdict(v, EACCES, "role-mismatch", "role-mismatch",
		        "ticket role mismatch: the client says %s, the ticket says %s",
		        principal_role_name(claim_role), principal_role_name(who->role));
		deny(hive, hs, who, HIVE_PRESSURE_POLICY, 1, v);
		return -1;
	}
	if (claim_subject && claim_subject[0] && strcmp(claim_subject, who->subject) != 0) {
		verdict(v, EACCES, "subject-mismatch", "subject-mismatch",
		        "ticket subject mismatch: the client names another subject than the ticket (%s)",
		        who->subject[0] ? who->subject : "none");
		deny(hive, hs, who, HIVE_PRESSURE_POLICY, 1, v);
		return -1;
	}
	if (who->role == HIVE_ROLE_WORKER) {
		struct err err = { 0 };
		if (lifecycle_gate(&hive->lifecycle, LC_GATE_ATTACH, &err) < 0) {
			int code = err.code > 0 ? err.code : EAGAIN;
			verdict(v, code, "lifecycle", "busy", "%s",
			        err.msg[0] ? err.msg : "refused: hive is not accepting workers");
			deny(hive, hs, who, code == EAGAIN ? HIVE_PRESSURE_BUSY : HIVE_PRESSURE_POLICY, 0, v);
			return -1;
		}
	}
	return 0;
}

void auth_refuse(struct hive *hive, struct hive_session *hs, const char *reason, struct auth_verdict *v)
{
	verdict(v, EACCES, reason, reason, "%s", reason);
	deny(hive, hs, NULL, HIVE_PRESSURE_POLICY, 1, v);
}

void auth_allow(struct hive *hive, struct hive_session *hs, const struct principal *who)
{
	hs->who = *who;
	hs->who.session_id = hs->id;
	hs->who.transport = hs->transport;
	auth_throttle_ok(&hive->throttle, hs->peer_key);
	hive_session_authed(hive, hs);
	hive_event(hive, &hs->who, "attach", "/", "outcome=allow transport=%s peer=%s%s%s", hs->transport,
	           hs->peer, hs->ticket_id[0] ? " ticket=" : "", hs->ticket_id);
}
