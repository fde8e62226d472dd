/*
 * srv_attach.c — Tversion, Tauth and Tattach: who a 9P session acts for.
 *
 * A ticket always wins: it comes in aname (`cohesix-ticket-...`, as
 * Cohesix clients send it) or is written to an auth fid (Tauth). Without
 * one, only the hive's owner on the Unix socket (SO_PEERCRED) gets in, as
 * queen; every other peer, and every TCP peer, is refused "ticket
 * required". Each attach, allowed or refused, is a hive event, and each
 * refusal counts in /proc/pressure.
 *
 * 9P2000.L carries only an errno, so refusals use distinct ones a client
 * can act on: EKEYEXPIRED (mint a fresh ticket), EKEYREJECTED (forged,
 * malformed, or for a role this hive has no secret for), EACCES (no
 * ticket where one is required, or a uname that contradicts the ticket).
 * A session holds at most HIVE_AUTH_FIDS_MAX auth fids.
 */
#include "srv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hived/core/hive.h"
#include "hived/core/lifecycle.h"
#include "hived/ns/ns.h"
#include "trust/ticket.h"

/* Qid path of auth fids: a range no namespace node uses. */
#define SRV_AUTH_QID_BASE 0xA000000000000000ull

void srv_op_version(struct srv_conn *c, const struct ninep_msg *m)
{
	uint32_t msize = m->u.tversion.msize;
	struct ninep_str v = m->u.tversion.version;
	if (msize < HIVE_MSIZE_MIN) {
		srv_error(c, EINVAL, "version: msize %u is below the minimum %u", msize,
		          HIVE_MSIZE_MIN);
		return;
	}
	if (msize > HIVE_MSIZE_MAX)
		msize = HIVE_MSIZE_MAX;
	/* Tversion resets the session: every fid is clunked. */
	srv_fids_clear(&c->fids, srv_fid_release, c->srv);
	if (c->hs)
		c->hs->fids = 0;
	enum ninep_dialect d = NINEP_DIALECT_NONE;
	const char *name = "unknown";
	if (v.len == 8 && memcmp(v.s, "9P2000.L", 8) == 0) {
		d = NINEP_9P2000L;
		name = "9P2000.L";
	} else if (v.len >= 6 && memcmp(v.s, "9P2000", 6) == 0) {
		/* 9P2000.u and other extensions: we speak the base protocol. */
		d = NINEP_9P2000;
		name = "9P2000";
	}
	c->dialect = d;
	c->msize = d == NINEP_DIALECT_NONE ? 0 : msize;
	if (c->hs)
		snprintf(c->hs->dialect, sizeof c->hs->dialect, "%s", d ? name : "");
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rversion.msize = msize;
	r.u.rversion.version = ninep_str_c(name);
	srv_reply(c, &r);
}

/* Copy a wire string into a C string; -ENAMETOOLONG if it does not fit. */
static int srv_cstr(struct ninep_str s, char *out, size_t cap)
{
	if ((size_t)s.len >= cap)
		return -ENAMETOOLONG;
	memcpy(out, s.s, s.len);
	out[s.len] = '\0';
	if (strlen(out) != s.len)
		return -EINVAL; /* an embedded NUL */
	return 0;
}

static int srv_is_ticket(const char *s)
{
	return strncmp(s, TICKET_PREFIX, strlen(TICKET_PREFIX)) == 0;
}

static int srv_is_owner(const struct srv_conn *c)
{
	return c->is_unix && c->peer_uid >= 0 && (uid_t)c->peer_uid == c->srv->hive->owner_uid;
}

void srv_op_auth(struct srv_conn *c, const struct ninep_msg *m)
{
	char aname[HIVE_ATTACH_STR_MAX];
	if (srv_cstr(m->u.tauth.aname, aname, sizeof aname) < 0) {
		srv_error(c, EINVAL, "auth: aname too long (max %u)", HIVE_ATTACH_STR_MAX - 1);
		return;
	}
	/* ENOENT is how diod's clients learn that no auth is needed. */
	if (srv_is_ticket(aname)) {
		srv_error(c, ENOENT, "auth not required: the ticket is in aname");
		return;
	}
	if (srv_is_owner(c)) {
		srv_error(c, ENOENT, "auth not required: the peer owns the hive");
		return;
	}
	/* The ticket buffer comes with the first write (srv_ops.c), so a peer
	 * that only makes auth fids holds a few small fids and no buffers. */
	if (c->fids.nauth >= HIVE_AUTH_FIDS_MAX) {
		srv_error(c, EMFILE,
		          "auth: %u auth fids already held (max %u); clunk one or attach",
		          c->fids.nauth, HIVE_AUTH_FIDS_MAX);
		return;
	}
	struct srv_fid *f;
	int rc = srv_fids_add_auth(&c->fids, m->u.tauth.afid, &f);
	if (rc < 0) {
		srv_error(c, -rc, "auth: cannot use fid %u: %s", m->u.tauth.afid, strerror(-rc));
		return;
	}
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	r.u.rauth.aqid.type = NINEP_QTAUTH;
	r.u.rauth.aqid.path = SRV_AUTH_QID_BASE | m->u.tauth.afid;
	srv_reply(c, &r);
}

static uint64_t srv_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Refuse an attach: event, pressure, error. `reason` is one word. */
static void srv_attach_deny(struct srv_conn *c, const struct principal *who,
                            const char *reason, int code, int quota, const char *msg)
{
	struct hive *hive = c->srv->hive;
	if (quota)
		hive->pressure.quota++;
	else if (code == EAGAIN)
		hive->pressure.busy++;
	else
		hive->pressure.policy++;
	hive_event(hive, who, "attach", "/", "outcome=deny reason=%s transport=%s peer=%s", reason,
	           c->hs ? c->hs->transport : "?", c->hs ? c->hs->peer : "?");
	srv_error(c, code, "%s", msg);
}

/* Strip surrounding whitespace of a ticket written to an auth fid. */
static const char *srv_trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* Fill `who` from a ticket and the uname; 0, or -1 after answering. */
static int srv_attach_ticket(struct srv_conn *c, const char *token,
                             const char *uname, struct principal *who)
{
	struct hive *hive = c->srv->hive;
	char msg[HIVE_ERRSTR_MAX];
	struct ticket t;
	const char *why = "malformed";
	if (ticket_verify(token, &hive->keys, &t, &why) < 0) {
		snprintf(msg, sizeof msg, "ticket refused: %s", why ? why : "invalid");
		srv_attach_deny(c, who, why ? why : "invalid", EKEYREJECTED, 0, msg);
		return -1;
	}
	/* From here on, refusals name who the ticket claims to be. */
	uint64_t sid = who->session_id;
	const char *transport = who->transport;
	ticket_principal(&t, who);
	who->session_id = sid;
	who->transport = transport;
	if (ticket_expired(&t, srv_wall_ms())) {
		srv_attach_deny(c, who, "expired", EKEYEXPIRED, 1, "ticket expired");
		return -1;
	}
	/* uname may say `role` or `role:id` (Cohesix); when it names a role
	 * or an id, it must agree with the ticket. */
	char role[HIVE_ATTACH_STR_MAX];
	snprintf(role, sizeof role, "%s", uname);
	char *id = strchr(role, ':');
	if (id)
		*id++ = '\0';
	enum hive_role ur = principal_role_parse(role);
	if (ur != HIVE_ROLE_NONE && ur != who->role) {
		snprintf(msg, sizeof msg, "ticket role mismatch: uname says %.64s, ticket says %s", role,
		         principal_role_name(who->role));
		srv_attach_deny(c, who, "role-mismatch", EACCES, 0, msg);
		return -1;
	}
	if (ur != HIVE_ROLE_NONE && id && *id) {
		if (who->subject[0] && strcmp(who->subject, id) != 0) {
			snprintf(msg, sizeof msg, "ticket subject mismatch: uname says %.64s, ticket says %s",
			         id, who->subject);
			srv_attach_deny(c, who, "subject-mismatch", EACCES, 0, msg);
			return -1;
		}
		if (!who->subject[0])
			snprintf(who->subject, sizeof who->subject, "%s", id);
	}
	return 0;
}

void srv_op_attach(struct srv_conn *c, const struct ninep_msg *m)
{
	struct hive *hive = c->srv->hive;
	char uname[HIVE_ATTACH_STR_MAX], aname[HIVE_ATTACH_STR_MAX];
	if (srv_cstr(m->u.tattach.uname, uname, sizeof uname) < 0 ||
	    srv_cstr(m->u.tattach.aname, aname, sizeof aname) < 0) {
		srv_error(c, EINVAL, "attach: uname or aname too long (max %u) or not text",
		          HIVE_ATTACH_STR_MAX - 1);
		return;
	}
	uint32_t fid = m->u.tattach.fid, afid = m->u.tattach.afid;
	if (srv_fids_get(&c->fids, fid)) {
		srv_error(c, EEXIST, "attach: fid %u is in use", fid);
		return;
	}
	struct principal who;
	memset(&who, 0, sizeof who);
	who.session_id = c->hs ? c->hs->id : 0;
	who.transport = c->hs ? c->hs->transport : "unix";

	const char *token = NULL;
	if (afid != NINEP_NOFID) {
		struct srv_fid *af = srv_fids_get(&c->fids, afid);
		if (!af || !af->is_auth) {
			srv_error(c, EINVAL, "attach: afid %u is not an auth fid", afid);
			return;
		}
		token = af->ticket ? srv_trim(af->ticket) : NULL;
		if (token && !*token)
			token = NULL;
	} else if (srv_is_ticket(aname)) {
		token = aname;
	} else if (aname[0] && strcmp(aname, "/") != 0) {
		srv_error(c, ENOENT, "attach: unknown aname '%.64s' (use \"\", \"/\" or a ticket)",
		          aname);
		return;
	}

	if (token) {
		if (srv_attach_ticket(c, token, uname, &who) < 0)
			return;
	} else if (srv_is_owner(c)) {
		who.role = HIVE_ROLE_QUEEN;
		snprintf(who.subject, sizeof who.subject, "uid:%lld", c->peer_uid);
	} else {
		srv_attach_deny(c, &who, "ticket-required", EACCES, 0,
		                c->is_unix ? "ticket required: this uid does not own the hive"
		                           : "ticket required");
		return;
	}
	who.session_id = c->hs ? c->hs->id : 0;
	who.transport = c->hs ? c->hs->transport : "unix";

	if (who.role == HIVE_ROLE_WORKER) {
		struct err err = { 0 };
		if (lifecycle_gate(&hive->lifecycle, LC_GATE_ATTACH, &err) < 0) {
			srv_attach_deny(c, &who, "lifecycle", err.code > 0 ? err.code : EAGAIN, 0,
			                err.msg[0] ? err.msg : "refused: hive is not accepting workers");
			return;
		}
	}

	struct srv_fid *f;
	int rc = srv_fids_add(&c->fids, fid, &f);
	if (rc < 0) {
		srv_error(c, -rc, "attach: cannot use fid %u: %s", fid, strerror(-rc));
		return;
	}
	f->node = ns_root(hive->ns);
	ns_node_ref(f->node);
	f->who = who;
	f->depth = 0;
	c->attached = 1;
	if (c->hs) {
		c->hs->who = who;
		c->hs->fids = c->fids.n;
	}
	hive_event(hive, &who, "attach", "/", "outcome=allow transport=%s peer=%s uname=%.64s",
	           c->hs ? c->hs->transport : "?", c->hs ? c->hs->peer : "?", uname);
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	struct ns_attr a;
	ns_getattr(f->node, &a);
	r.u.rattach.qid.type = a.qid_type;
	r.u.rattach.qid.version = a.qid_version;
	r.u.rattach.qid.path = a.qid_path;
	srv_reply(c, &r);
}
