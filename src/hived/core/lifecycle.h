/*
 * lifecycle.h — the node lifecycle: BOOTING, ONLINE, DRAINING, QUIESCED.
 *
 * Commands (from /queen/lifecycle/ctl or `lifecycle <cmd>` on /queen/ctl):
 *   cordon   ONLINE -> DRAINING      (no new work; running work continues)
 *   drain    DRAINING -> QUIESCED    (refused with EBUSY while work is outstanding)
 *   quiesce  ONLINE|DRAINING -> QUIESCED
 *   resume   any but ONLINE -> ONLINE
 *   reset    any but BOOTING -> BOOTING
 * Same-state and other transitions are refused (EINVAL,
 * "invalid transition: <cmd> from <STATE>"). Gates refuse new work
 * outside ONLINE with EAGAIN ("refused: hive is DRAINING").
 *
 * lifecycle_command returns what happened as an enum, so a caller tells a
 * refused transition from an unknown word without reading err's text.
 */
#ifndef HIVE_LIFECYCLE_H
#define HIVE_LIFECYCLE_H

#include <stdint.h>

struct err;

enum lifecycle_state { LC_BOOTING, LC_ONLINE, LC_DRAINING, LC_QUIESCED };
enum lifecycle_gate {
	LC_GATE_NEW_WORK, /* spawn, grant: ONLINE only */
	LC_GATE_ATTACH,   /* worker attach: ONLINE or DRAINING */
};

struct lifecycle {
	enum lifecycle_state state;
	char reason[32];   /* the command or event that caused the last transition */
	uint64_t since_ms; /* loop_now_ms() of the last transition */
	uint32_t outstanding; /* work that blocks drain (agents, leases); 0 for now */
};

/* The outcome of lifecycle_command; err->code carries the errno for it. */
enum lifecycle_result {
	LC_OK = 0,
	LC_BUSY,               /* drain while work is outstanding: EBUSY */
	LC_INVALID_TRANSITION, /* a known command not allowed from this state: EINVAL */
	LC_UNKNOWN_COMMAND,    /* not a lifecycle word: EINVAL */
};

/* BOOTING, reason "boot". */
void lifecycle_init(struct lifecycle *lc, uint64_t now_ms);
/* The automatic BOOTING -> ONLINE at start, reason "boot-complete"
 * (no-op in any other state). */
void lifecycle_online(struct lifecycle *lc, uint64_t now_ms);
const char *lifecycle_state_name(enum lifecycle_state s);
/* Apply a command word (case-insensitive); on LC_OK *from (may be NULL)
 * holds the old state, otherwise err (may be NULL) says why. */
enum lifecycle_result lifecycle_command(struct lifecycle *lc, const char *cmd, uint64_t now_ms,
                                        enum lifecycle_state *from, struct err *err);
/* 0 for LC_OK, else the positive errno a reply carries (EBUSY, EINVAL). */
int lifecycle_result_errno(enum lifecycle_result r);
/* The i-th command word in table order ("cordon", ...), NULL past the
 * last: for usage texts and hints, so the words are written once. */
const char *lifecycle_command_word(unsigned i);
/* 0 if the gate is open, else -EAGAIN with err set. */
int lifecycle_gate(const struct lifecycle *lc, enum lifecycle_gate gate, struct err *err);

#endif
