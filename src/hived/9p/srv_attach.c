/*
 * srv_attach.c — Tversion, Tauth and Tattach: who a 9P session acts for.
 *
 * An agent's session (srv_adopt, or a Unix peer inside an agent's
 * cgroup) is that agent, whatever it says: nothing it sends changes who it
 * is. Otherwise a ticket always wins: it comes in aname
 * (`cohesix-ticket-...`, as Cohesix clients send it) or is written to an
 * auth fid (Tauth). Without one, only the hive's owner on the Unix socket
 * (SO_PEERCRED) gets in, as queen; every other peer, and every TCP peer,
 * is refused "ticket required". Who a ticket makes a session, the throttle and the rows
 * are the one attach policy of net/auth.h, shared with the console; uname
 * may only repeat what the ticket says.
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

#include "hived/core/hive.h"
#include "hived/net/auth.h"
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
	if (c->fixed || srv_is_owner(c)) {
		srv_error(c, ENOENT, "auth not required: %s", c->fixed ? "the session is its agent's" : "the peer owns the hive");
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

/* What uname claims: `role` or `role:subject` (Cohesix). A uname that
 * names no role (v9fs sends the user's name) claims nothing; one that
 * does must agree with the ticket, and never adds to it. */
static enum hive_role srv_uname_claim(const char *uname, char *subject, size_t cap)
{
	char role[HIVE_ATTACH_STR_MAX];
	snprintf(role, sizeof role, "%s", uname);
	char *id = strchr(role, ':');
	if (id)
		*id++ = '\0';
	enum hive_role r = principal_role_parse(role);
	snprintf(subject, cap, "%s", r != HIVE_ROLE_NONE && id ? id : "");
	return r;
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

	/* An agent's session is its agent: what it sends is not looked at. */
	const char *token = NULL;
	if (c->fixed) {
		;
	} else if (afid != NINEP_NOFID) {
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

	/* Refusals below are counted and logged by the policy (auth.c). */
	struct auth_verdict v;
	if (c->fixed) {
		who = c->fixed_who;
	} else if (token) {
		char subject[HIVE_ATTACH_STR_MAX];
		enum hive_role claim = srv_uname_claim(uname, subject, sizeof subject);
		if (auth_gate(hive, c->hs, &v) < 0 ||
		    auth_ticket(hive, c->hs, token, claim, subject, &who, &v) < 0) {
			srv_error(c, v.code, "%s", v.msg);
			return;
		}
	} else if (srv_is_owner(c)) {
		who.role = HIVE_ROLE_QUEEN;
		snprintf(who.subject, sizeof who.subject, "uid:%lld", c->peer_uid);
	} else {
		if (auth_gate(hive, c->hs, &v) < 0) {
			srv_error(c, v.code, "%s", v.msg);
			return;
		}
		auth_refuse(hive, c->hs, "ticket-required", &v);
		srv_error(c, EACCES, "%s",
		          c->is_unix ? "ticket required: this uid does not own the hive" : "ticket required");
		return;
	}
	who.session_id = c->hs->id;
	who.transport = c->hs->transport;

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
	c->hs->fids = c->fids.n;
	/* uname is not logged: it decides nothing, and a client's text in the
	 * row could pass for a field of it. */
	auth_allow(hive, c->hs, &who);
	struct ninep_msg r;
	memset(&r, 0, sizeof r);
	struct ns_attr a;
	ns_getattr(f->node, &a);
	r.u.rattach.qid.type = a.qid_type;
	r.u.rattach.qid.version = a.qid_version;
	r.u.rattach.qid.path = a.qid_path;
	srv_reply(c, &r);
}
