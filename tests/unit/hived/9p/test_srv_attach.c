/*
 * Unit tests for the 9P server's handshake: Tversion negotiation, the
 * attach policy (owner on the Unix socket, tickets in aname or through an
 * auth fid and its bound, role and subject checks, the errno of each
 * refusal (EKEYEXPIRED, EKEYREJECTED, EACCES), the lifecycle gate) and the
 * handshake timeout (harness: srv_harness.h).
 */
#include "srv_harness.h"
#include "hived/net/auth.h"

TEST(version_negotiation)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000.L", 1u << 20, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RVERSION);
	CHECK_EQ_INT(r.u.rversion.msize, HIVE_MSIZE_MAX);
	CHECK(ninep_str_eq(r.u.rversion.version, "9P2000.L"));
	CHECK_EQ_INT(version("9P2000.u", 4096, &r), 0);
	CHECK(ninep_str_eq(r.u.rversion.version, "9P2000"));
	CHECK_EQ_INT(r.u.rversion.msize, 4096);
	CHECK_EQ_INT(version("9P1999", 4096, &r), 0);
	CHECK(ninep_str_eq(r.u.rversion.version, "unknown"));
	D = NINEP_9P2000;
	CHECK_EQ_INT(version("9P2000", 100, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	/* Before a version is agreed, everything else is refused on its tag. */
	D = NINEP_9P2000;
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RERROR);
	CHECK_EQ_INT(r.tag, 1);
	teardown();
}


TEST(attach_policy)
{
	struct ninep_msg r;
	/* A Unix peer that does not own the hive needs a ticket. */
	setup((long long)geteuid() + 1);
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK_EQ_INT(attach(1, "queen", "cohesix-ticket-00.00", &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYREJECTED); /* malformed */
	CHECK(H.pressure.policy >= 2);
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 1, &r), 0);
	CHECK_EQ_INT(rerr(&r), EBADF); /* nothing was attached */
	teardown();

	/* The owner is queen; an unknown aname is refused; fids are unique. */
	setup((long long)geteuid());
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "/elsewhere", &r), 0);
	CHECK_EQ_INT(rerr(&r), ENOENT);
	CHECK_EQ_INT(attach(1, "", "/", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK(r.u.rattach.qid.type & NINEP_QTDIR);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(rerr(&r), EEXIST);
	/* Tauth: the owner needs none (ENOENT tells diod's clients so). */
	struct ninep_msg m = { .type = NINEP_TAUTH, .tag = 9 };
	m.u.tauth.afid = 7;
	m.u.tauth.uname = ninep_str_c("");
	m.u.tauth.aname = ninep_str_c("");
	CHECK_EQ_INT(rpc(&m, &r), 0);
	CHECK_EQ_INT(rerr(&r), ENOENT);
	/* Tversion resets the session: the attach fid is gone. */
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 1, &r), 0);
	CHECK_EQ_INT(rerr(&r), EBADF);
	teardown();
}


TEST(auth_fid_carries_a_ticket)
{
	struct ninep_msg r;
	setup(-1); /* like TCP */
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	struct ninep_msg m = { .type = NINEP_TAUTH, .tag = 9 };
	m.u.tauth.afid = 7;
	m.u.tauth.uname = ninep_str_c("");
	m.u.tauth.aname = ninep_str_c("");
	CHECK_EQ_INT(rpc(&m, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RAUTH);
	CHECK(r.u.rauth.aqid.type & NINEP_QTAUTH);
	/* Reads of the afid return nothing; writes collect the ticket. */
	CHECK_EQ_INT(tread(NINEP_TREAD, 7, 0, 100, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RREAD);
	CHECK_EQ_INT(r.u.rread.count, 0);
	struct ninep_msg w = { .type = NINEP_TWRITE, .tag = 10 };
	w.u.twrite.fid = 7;
	w.u.twrite.data = (const uint8_t *)"cohesix-ticket-0100.00\n";
	w.u.twrite.count = 23;
	CHECK_EQ_INT(rpc(&w, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RWRITE);
	CHECK_EQ_INT(r.u.rwrite.count, 23);
	struct ninep_msg a = { .type = NINEP_TATTACH, .tag = 11 };
	a.u.tattach.fid = 1;
	a.u.tattach.afid = 7;
	a.u.tattach.uname = ninep_str_c("");
	a.u.tattach.aname = ninep_str_c("");
	CHECK_EQ_INT(rpc(&a, &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYREJECTED); /* a forged ticket */
	a.u.tattach.afid = 8;
	CHECK_EQ_INT(rpc(&a, &r), 0);
	CHECK_EQ_INT(rerr(&r), EINVAL); /* not an auth fid */
	teardown();
}

/* Auth fid bounds: the fifth concurrent Tauth is refused (EMFILE) and the
 * session goes on; no ticket buffer before the first write; a clunk frees
 * a slot; an auth fid never written attaches as "no ticket". */
static int tauth(uint32_t afid, struct ninep_msg *r)
{
	struct ninep_msg m = { .type = NINEP_TAUTH, .tag = 9 };
	m.u.tauth.afid = afid;
	m.u.tauth.uname = ninep_str_c("");
	m.u.tauth.aname = ninep_str_c("");
	return rpc(&m, r);
}

TEST(auth_fids_bounded)
{
	struct ninep_msg r;
	setup(-1); /* like TCP */
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	for (uint32_t afid = 100; afid < 100 + HIVE_AUTH_FIDS_MAX; afid++) {
		CHECK_EQ_INT(tauth(afid, &r), 0);
		CHECK_EQ_INT(r.type, NINEP_RAUTH);
	}
	struct srv_conn *c = S->conns;
	CHECK_EQ_INT(c->fids.nauth, HIVE_AUTH_FIDS_MAX);
	for (uint32_t i = 0; i < c->fids.n; i++)
		CHECK(c->fids.v[i]->ticket == NULL); /* nothing written yet */
	CHECK_EQ_INT(tauth(100 + HIVE_AUTH_FIDS_MAX, &r), 0);
	CHECK_EQ_INT(rerr(&r), EMFILE);
	CHECK_EQ_INT(c->fids.n, HIVE_AUTH_FIDS_MAX);
	/* An auth fid with nothing written: attach through it is "no ticket". */
	struct ninep_msg a = { .type = NINEP_TATTACH, .tag = 11 };
	a.u.tattach.fid = 1;
	a.u.tattach.afid = 100;
	a.u.tattach.uname = ninep_str_c("");
	a.u.tattach.aname = ninep_str_c("");
	CHECK_EQ_INT(rpc(&a, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	/* A write allocates the ticket buffer of that fid only. */
	struct ninep_msg w = { .type = NINEP_TWRITE, .tag = 10 };
	w.u.twrite.fid = 101;
	w.u.twrite.data = (const uint8_t *)"cohesix-ticket-";
	w.u.twrite.count = 15;
	CHECK_EQ_INT(rpc(&w, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RWRITE);
	CHECK(srv_fids_get(&c->fids, 101)->ticket != NULL);
	CHECK(srv_fids_get(&c->fids, 100)->ticket == NULL);
	/* A clunk frees a slot; Tversion frees them all. */
	CHECK_EQ_INT(simple(NINEP_TCLUNK, 102, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RCLUNK);
	CHECK_EQ_INT(tauth(200, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RAUTH);
	CHECK_EQ_INT(tauth(201, &r), 0);
	CHECK_EQ_INT(rerr(&r), EMFILE);
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(c->fids.nauth, 0);
	CHECK_EQ_INT(tauth(201, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RAUTH);
	teardown();
}

TEST(tickets_at_attach)
{
	struct ninep_msg r;
	char tk[512];
	setup(-1); /* like TCP: only tickets get in */
	for (int code = 0; code < TICKET_ROLE_CODES; code++)
		ticket_keys_set(&H.keys, (enum ticket_role_code)code, "test-secret");
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	mint(TICKET_ROLE_OBSERVER, NULL, wall_ms(), 600, tk, sizeof tk);
	CHECK_EQ_INT(attach(1, "", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK_EQ_INT(S->conns->hs->who.role, HIVE_ROLE_OBSERVER);
	/* uname naming another role than the ticket: refused. */
	CHECK_EQ_INT(attach(2, "queen", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	/* Expired: issued long ago with a short ttl; counts as quota. */
	uint64_t quota = H.pressure.quota;
	mint(TICKET_ROLE_OBSERVER, NULL, 1000, 1, tk, sizeof tk);
	CHECK_EQ_INT(attach(2, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYEXPIRED);
	CHECK_EQ_INT(H.pressure.quota, quota + 1);
	/* A worker: uname role:id must match the subject. */
	mint(TICKET_ROLE_WORKER_HEARTBEAT, "w-1", wall_ms(), 600, tk, sizeof tk);
	CHECK_EQ_INT(attach(2, "worker-heartbeat:w-2", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK_EQ_INT(attach(2, "worker-heartbeat:w-1", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	/* Worker attaches pass the lifecycle gate: refused when QUIESCED. */
	struct err err;
	enum lifecycle_state from;
	CHECK_EQ_INT(lifecycle_command(&H.lifecycle, "quiesce", loop_now_ms(), &from, &err), 0);
	CHECK_EQ_INT(attach(3, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EAGAIN);
	/* ... but a queen ticket still gets in. */
	mint(TICKET_ROLE_QUEEN, NULL, wall_ms(), 0, tk, sizeof tk);
	CHECK_EQ_INT(attach(3, "queen", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	/* Forged: the last MAC digit changed. */
	mint(TICKET_ROLE_QUEEN, NULL, wall_ms(), 0, tk, sizeof tk);
	size_t tl = strlen(tk);
	tk[tl - 1] = tk[tl - 1] == 'a' ? 'b' : 'a';
	CHECK_EQ_INT(attach(4, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYREJECTED);
	/* A ticket of a role with no key: refused. */
	mint(TICKET_ROLE_QUEEN, NULL, wall_ms(), 0, tk, sizeof tk);
	memset(&H.keys, 0, sizeof H.keys);
	CHECK_EQ_INT(attach(4, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYREJECTED);
	teardown();
}


TEST(handshake_timeout)
{
	struct ninep_msg r;
	setup((long long)geteuid());
	srv_set_handshake_timeout(S, 200);
	/* Silent past the handshake time: closed by the sweep (EOF here). */
	CHECK_EQ_INT(recv_msg(&r), -1);
	CHECK_EQ_INT(srv_count(S), 0);
	teardown();
	setup((long long)geteuid());
	srv_set_handshake_timeout(S, 0); /* never */
	CHECK_EQ_INT(pump(), -1);        /* 2 s pass with no close */
	CHECK_EQ_INT(srv_count(S), 1);
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RVERSION);
	teardown();
}


/* The whole of queen.log, for the row checks below. */
static const char *log_text(void)
{
	static char buf[HIVE_LOG_RING_BYTES + 1];
	struct err err;
	ssize_t n = ns_ring_read(H.log, 0, buf, sizeof buf - 1, &err);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Refusals the `op=throttle` rows stand for: count=N, or 1 for a row
 * without one; *rows gets how many rows. */
static unsigned long long throttle_rows_sum(unsigned *rows)
{
	unsigned long long sum = 0;
	*rows = 0;
	for (const char *line = log_text(); *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (memmem(line, n, " op=throttle outcome=deny ", 26)) {
			const char *c = memmem(line, n, " count=", 7);
			sum += c ? strtoull(c + 7, NULL, 10) : 1;
			(*rows)++;
		}
		line += n + (nl ? 1 : 0);
	}
	return sum;
}

/* Identity comes from the ticket alone: a worker ticket without a subject
 * is refused, uname cannot add a subject the ticket lacks, and uname's
 * text never reaches the row. */
TEST(subject_from_the_ticket_only)
{
	struct ninep_msg r;
	char tk[512];
	setup(-1);
	for (int code = 0; code < TICKET_ROLE_CODES; code++)
		ticket_keys_set(&H.keys, (enum ticket_role_code)code, "test-secret");
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	mint(TICKET_ROLE_WORKER_HEARTBEAT, NULL, wall_ms(), 600, tk, sizeof tk);
	CHECK_EQ_INT(attach(1, "worker:victim-agent", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYREJECTED);
	CHECK_EQ_INT(attach(1, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYREJECTED);
	CHECK(strstr(log_text(), "outcome=deny reason=no-subject transport=unix") != NULL);
	/* A queen ticket naming no subject: uname may not name one for it. */
	mint(TICKET_ROLE_QUEEN, NULL, wall_ms(), 600, tk, sizeof tk);
	CHECK_EQ_INT(attach(1, "queen:alice", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EACCES);
	CHECK_EQ_INT(attach(1, "queen", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK_EQ_STR(S->conns->hs->who.subject, "");
	/* A uname with blanks and '=' cannot forge a field of the allow row. */
	mint(TICKET_ROLE_WORKER_HEARTBEAT, "w-1", wall_ms(), 600, tk, sizeof tk);
	CHECK_EQ_INT(attach(2, "w role=queen subject=boss", tk, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	const char *row = strstr(log_text(), "attach role=worker subject=w-1");
	CHECK(row != NULL);
	if (row) {
		const char *end = strchr(row, '\n');
		size_t n = end ? (size_t)(end - row) : strlen(row);
		CHECK(memmem(row, n, "role=queen", 10) == NULL);
		CHECK(memmem(row, n, "subject=boss", 12) == NULL);
	}
	teardown();
}

/* 9P has the console's throttle: a failure backs the peer off (EAGAIN,
 * without checking the ticket), three lock it out, a good ticket is
 * refused meanwhile, other peers are not, and the refusals are rows. */
TEST(attach_throttle)
{
	struct ninep_msg r;
	char tk[512], good[512];
	setup(-1);
	snprintf(S->conns->hs->peer_key, sizeof S->conns->hs->peer_key, "uid=65534@127.0.0.1");
	for (int code = 0; code < TICKET_ROLE_CODES; code++)
		ticket_keys_set(&H.keys, (enum ticket_role_code)code, "test-secret");
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	mint(TICKET_ROLE_QUEEN, NULL, wall_ms(), 0, good, sizeof good);
	snprintf(tk, sizeof tk, "%s", good);
	tk[strlen(tk) - 1] = tk[strlen(tk) - 1] == 'a' ? 'b' : 'a';
	CHECK_EQ_INT(attach(1, "", tk, &r), 0);
	CHECK_EQ_INT(rerr(&r), EKEYREJECTED);
	CHECK_EQ_INT(attach(1, "", good, &r), 0);
	CHECK_EQ_INT(rerr(&r), EAGAIN); /* backed off: not even checked */
	CHECK_EQ_INT(H.denials[HIVE_DENY_THROTTLE], 1);
	/* Three failures in the window lock the peer out. */
	for (int i = 0; i < 2; i++) {
		H.throttle.peers[0].next_ok_ms = 0; /* skip the back-off, not the count */
		CHECK_EQ_INT(attach(1, "", tk, &r), 0);
		CHECK_EQ_INT(rerr(&r), EKEYREJECTED);
	}
	uint64_t d = 0;
	CHECK_EQ_INT(auth_throttle_check(&H.throttle, "uid=65534@127.0.0.1", loop_now_ms(), &d), AUTH_GATE_LOCKED);
	CHECK_EQ_INT(attach(1, "", good, &r), 0);
	CHECK_EQ_INT(rerr(&r), EAGAIN);
	/* Each refusal passes the deny door: counted, and a row at once for
	 * the first few of a kind (the kind: op, reason and the peer id). */
	CHECK(strstr(log_text(), "attach role=none subject=- session=1 op=throttle outcome=deny reason=throttled "
	                         "transport=unix peer=test\n") != NULL);
	CHECK(strstr(log_text(), "attach role=none subject=- session=1 op=throttle outcome=deny reason=rate-limited "
	                         "transport=unix peer=test\n") != NULL);
	CHECK_EQ_INT(H.denials[HIVE_DENY_THROTTLE], 2);
	/* A flood of them folds into a count= row; the counts (a row without
	 * one is one refusal) sum to the counter. */
	for (int i = 0; i < 20; i++) {
		CHECK_EQ_INT(attach(1, "", good, &r), 0);
		CHECK_EQ_INT(rerr(&r), EAGAIN);
	}
	hive_deny_flush(&H);
	CHECK_EQ_INT(H.denials[HIVE_DENY_THROTTLE], 22);
	unsigned rows = 0;
	CHECK_EQ_INT(throttle_rows_sum(&rows), 22);
	CHECK_EQ_INT(rows, 1 + HIVE_DENY_FOLD_AFTER + 1);
	CHECK(strstr(log_text(), "reason=rate-limited transport=unix peer=test count=18\n") != NULL);
	/* Another uid on the same address is another peer. */
	snprintf(S->conns->hs->peer_key, sizeof S->conns->hs->peer_key, "uid=0@127.0.0.1");
	CHECK_EQ_INT(attach(1, "", good, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	teardown();
}


int main(void)
{
	RUN(version_negotiation);
	RUN(attach_policy);
	RUN(auth_fid_carries_a_ticket);
	RUN(auth_fids_bounded);
	RUN(tickets_at_attach);
	RUN(handshake_timeout);
	RUN(subject_from_the_ticket_only);
	RUN(attach_throttle);
	return test_done();
}
