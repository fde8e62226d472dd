/* Unit tests for the lifecycle state machine: every command from every
 * state against the table in lifecycle.h, drain's outstanding-work rule,
 * case-insensitivity, unknown words, and both gates in every state. */
#include "hived/core/lifecycle.h"
#include "hived/ns/ns.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>

enum { B = LC_BOOTING, O = LC_ONLINE, D = LC_DRAINING, Q = LC_QUIESCED, X = -1 };

static const char *const cmds[] = { "cordon", "drain", "quiesce", "resume", "reset" };
/* expect[cmd][from]: the new state, or X for "invalid transition". */
static const int expect[5][4] = {
	/*            BOOTING ONLINE DRAINING QUIESCED */
	/* cordon  */ { X, D, X, X },
	/* drain   */ { X, X, Q, X },
	/* quiesce */ { X, Q, Q, X },
	/* resume  */ { O, X, O, O },
	/* reset   */ { X, B, B, B },
};

TEST(init_and_online)
{
	struct lifecycle lc;
	lifecycle_init(&lc, 100);
	CHECK_EQ_INT(lc.state, LC_BOOTING);
	CHECK_EQ_STR(lc.reason, "boot");
	CHECK_EQ_INT(lc.since_ms, 100);
	lifecycle_online(&lc, 150);
	CHECK_EQ_INT(lc.state, LC_ONLINE);
	CHECK_EQ_STR(lc.reason, "boot-complete");
	CHECK_EQ_INT(lc.since_ms, 150);
	lifecycle_online(&lc, 999); /* only from BOOTING */
	CHECK_EQ_INT(lc.since_ms, 150);
	CHECK_EQ_STR(lifecycle_state_name(LC_BOOTING), "BOOTING");
	CHECK_EQ_STR(lifecycle_state_name(LC_ONLINE), "ONLINE");
	CHECK_EQ_STR(lifecycle_state_name(LC_DRAINING), "DRAINING");
	CHECK_EQ_STR(lifecycle_state_name(LC_QUIESCED), "QUIESCED");
}

TEST(transition_table_exhaustive)
{
	for (int c = 0; c < 5; c++) {
		for (int s = 0; s < 4; s++) {
			struct lifecycle lc;
			struct err err = { 0 };
			enum lifecycle_state from = (enum lifecycle_state)99;
			lifecycle_init(&lc, 1);
			lc.state = (enum lifecycle_state)s;
			int rc = lifecycle_command(&lc, cmds[c], 42, &from, &err);
			if (expect[c][s] == X) {
				char want[64];
				snprintf(want, sizeof want, "invalid transition: %s from %s", cmds[c],
				         lifecycle_state_name((enum lifecycle_state)s));
				CHECK_EQ_INT(rc, LC_INVALID_TRANSITION);
				CHECK_EQ_INT(err.code, EINVAL);
				CHECK_EQ_STR(err.msg, want);
				CHECK_EQ_INT(lc.state, s); /* unchanged */
				CHECK_EQ_STR(lc.reason, "boot");
				CHECK_EQ_INT(lc.since_ms, 1);
			} else {
				CHECK_EQ_INT(rc, LC_OK);
				CHECK_EQ_INT(lc.state, expect[c][s]);
				CHECK_EQ_INT(from, s);
				CHECK_EQ_STR(lc.reason, cmds[c]);
				CHECK_EQ_INT(lc.since_ms, 42);
			}
		}
	}
}

TEST(drain_waits_for_outstanding_work)
{
	struct lifecycle lc;
	struct err err;
	lifecycle_init(&lc, 0);
	lifecycle_online(&lc, 0);
	CHECK_EQ_INT(lifecycle_command(&lc, "cordon", 1, NULL, &err), 0);
	lc.outstanding = 3;
	CHECK_EQ_INT(lifecycle_command(&lc, "drain", 2, NULL, &err), LC_BUSY);
	CHECK_EQ_INT(err.code, EBUSY);
	CHECK_EQ_STR(err.msg, "drain refused: 3 outstanding");
	CHECK_EQ_INT(lc.state, LC_DRAINING);
	/* quiesce is the forceful path and is not held back. */
	CHECK_EQ_INT(lifecycle_command(&lc, "quiesce", 3, NULL, &err), 0);
	CHECK_EQ_INT(lc.state, LC_QUIESCED);
	CHECK_EQ_INT(lifecycle_command(&lc, "resume", 3, NULL, &err), 0);
	CHECK_EQ_INT(lifecycle_command(&lc, "cordon", 3, NULL, &err), 0);
	lc.outstanding = 0;
	CHECK_EQ_INT(lifecycle_command(&lc, "drain", 3, NULL, &err), 0);
	CHECK_EQ_INT(lc.state, LC_QUIESCED);
}

TEST(words_case_and_unknown)
{
	struct lifecycle lc;
	struct err err;
	lifecycle_init(&lc, 0);
	lifecycle_online(&lc, 0);
	CHECK_EQ_INT(lifecycle_command(&lc, "CoRdOn", 1, NULL, &err), 0);
	CHECK_EQ_STR(lc.reason, "cordon");
	CHECK_EQ_INT(lifecycle_command(&lc, "explode", 1, NULL, &err), LC_UNKNOWN_COMMAND);
	CHECK_EQ_STR(err.msg, "unknown lifecycle command 'explode' (try: cordon, drain, quiesce, resume, reset)");
	CHECK_EQ_INT(lifecycle_command(&lc, "", 1, NULL, &err), LC_UNKNOWN_COMMAND);
	CHECK_EQ_INT(lifecycle_command(&lc, NULL, 1, NULL, &err), LC_UNKNOWN_COMMAND);
	CHECK_EQ_INT(lifecycle_command(&lc, "cordonxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, NULL, &err), LC_UNKNOWN_COMMAND);
	CHECK_EQ_INT(lifecycle_command(&lc, "resume", 1, NULL, NULL), 0); /* err may be NULL */
	CHECK_EQ_INT(lifecycle_command(&lc, "resume", 1, NULL, NULL), LC_INVALID_TRANSITION);
	CHECK_EQ_INT(lc.state, LC_ONLINE);
}

/* The result, not the message, tells the caller what happened; the errno
 * a reply carries follows from it. */
TEST(results_and_words)
{
	CHECK_EQ_INT(lifecycle_result_errno(LC_OK), 0);
	CHECK_EQ_INT(lifecycle_result_errno(LC_BUSY), EBUSY);
	CHECK_EQ_INT(lifecycle_result_errno(LC_INVALID_TRANSITION), EINVAL);
	CHECK_EQ_INT(lifecycle_result_errno(LC_UNKNOWN_COMMAND), EINVAL);
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ_STR(lifecycle_command_word(i), cmds[i]);
	CHECK(lifecycle_command_word(5) == NULL);
	/* An invalid transition and an unknown word both are EINVAL, yet the
	 * results differ. */
	struct lifecycle lc;
	struct err e1, e2;
	lifecycle_init(&lc, 0);
	CHECK_EQ_INT(lifecycle_command(&lc, "drain", 1, NULL, &e1), LC_INVALID_TRANSITION);
	CHECK_EQ_INT(lifecycle_command(&lc, "drian", 1, NULL, &e2), LC_UNKNOWN_COMMAND);
	CHECK_EQ_INT(e1.code, e2.code);
}

TEST(gates_in_every_state)
{
	/* new work: ONLINE only; attach: ONLINE or DRAINING. */
	static const int new_work[4] = { 0, 1, 0, 0 }, attach[4] = { 0, 1, 1, 0 };
	for (int s = 0; s < 4; s++) {
		struct lifecycle lc;
		struct err err = { 0 };
		lifecycle_init(&lc, 0);
		lc.state = (enum lifecycle_state)s;
		int rc = lifecycle_gate(&lc, LC_GATE_NEW_WORK, &err);
		CHECK_EQ_INT(rc, new_work[s] ? 0 : -EAGAIN);
		if (!new_work[s]) {
			char want[64];
			snprintf(want, sizeof want, "refused: hive is %s", lifecycle_state_name(lc.state));
			CHECK_EQ_STR(err.msg, want);
		}
		CHECK_EQ_INT(lifecycle_gate(&lc, LC_GATE_ATTACH, &err), attach[s] ? 0 : -EAGAIN);
		CHECK_EQ_INT(lifecycle_gate(&lc, (enum lifecycle_gate)77, &err), -EAGAIN); /* fail closed */
	}
}

int main(void)
{
	RUN(init_and_online);
	RUN(transition_table_exhaustive);
	RUN(drain_waits_for_outstanding_work);
	RUN(words_case_and_unknown);
	RUN(results_and_words);
	RUN(gates_in_every_state);
	return test_done();
}
