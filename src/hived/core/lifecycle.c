/*
 * lifecycle.c — the node state machine (BOOTING, ONLINE, DRAINING,
 * QUIESCED) and its gates; see lifecycle.h for the table.
 *
 * Pure: no events, no I/O. The ctl files that drive it (queenctl.c) log
 * every transition and refusal, so this stays trivially testable.
 */
#include "lifecycle.h"
#include "hived/ns/ns.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void lc_set(struct lifecycle *lc, enum lifecycle_state s, const char *reason, uint64_t now_ms)
{
	lc->state = s;
	snprintf(lc->reason, sizeof lc->reason, "%s", reason);
	lc->since_ms = now_ms;
}

void lifecycle_init(struct lifecycle *lc, uint64_t now_ms)
{
	memset(lc, 0, sizeof *lc);
	lc_set(lc, LC_BOOTING, "boot", now_ms);
}

void lifecycle_online(struct lifecycle *lc, uint64_t now_ms)
{
	if (lc->state == LC_BOOTING)
		lc_set(lc, LC_ONLINE, "boot-complete", now_ms);
}

const char *lifecycle_state_name(enum lifecycle_state s)
{
	switch (s) {
	case LC_BOOTING: return "BOOTING";
	case LC_ONLINE: return "ONLINE";
	case LC_DRAINING: return "DRAINING";
	case LC_QUIESCED: return "QUIESCED";
	}
	return "UNKNOWN";
}

#define LC_BIT(s) (1u << (s))

/* Each command: the states it may start from and the state it leads to. */
static const struct {
	const char *cmd;
	unsigned from;
	enum lifecycle_state to;
} lc_table[] = {
	{ "cordon", LC_BIT(LC_ONLINE), LC_DRAINING },
	{ "drain", LC_BIT(LC_DRAINING), LC_QUIESCED },
	{ "quiesce", LC_BIT(LC_ONLINE) | LC_BIT(LC_DRAINING), LC_QUIESCED },
	{ "resume", LC_BIT(LC_BOOTING) | LC_BIT(LC_DRAINING) | LC_BIT(LC_QUIESCED), LC_ONLINE },
	{ "reset", LC_BIT(LC_ONLINE) | LC_BIT(LC_DRAINING) | LC_BIT(LC_QUIESCED), LC_BOOTING },
};

/* The hint of an unknown word; lifecycle_command_word lists the same. */
#define LC_HINT "(try: cordon, drain, quiesce, resume, reset)"

const char *lifecycle_command_word(unsigned i)
{
	return i < sizeof lc_table / sizeof lc_table[0] ? lc_table[i].cmd : NULL;
}

int lifecycle_result_errno(enum lifecycle_result r)
{
	switch (r) {
	case LC_OK: return 0;
	case LC_BUSY: return EBUSY;
	case LC_INVALID_TRANSITION: return EINVAL;
	case LC_UNKNOWN_COMMAND: return EINVAL;
	}
	return EINVAL;
}

enum lifecycle_result lifecycle_command(struct lifecycle *lc, const char *cmd, uint64_t now_ms,
                                        enum lifecycle_state *from, struct err *err)
{
	char word[16];
	size_t len = cmd ? strlen(cmd) : 0;

	if (len == 0 || len >= sizeof word) {
		err_set(err, EINVAL, "unknown lifecycle command '%.*s' " LC_HINT, (int)(len < 32 ? len : 32),
		        cmd ? cmd : "");
		return LC_UNKNOWN_COMMAND;
	}
	for (size_t i = 0; i <= len; i++)
		word[i] = (char)tolower((unsigned char)cmd[i]);
	for (size_t i = 0; i < sizeof lc_table / sizeof lc_table[0]; i++) {
		if (strcmp(word, lc_table[i].cmd) != 0)
			continue;
		if (!(lc_table[i].from & LC_BIT(lc->state))) {
			err_set(err, EINVAL, "invalid transition: %s from %s", word, lifecycle_state_name(lc->state));
			return LC_INVALID_TRANSITION;
		}
		if (lc_table[i].to == LC_QUIESCED && lc->state == LC_DRAINING &&
		    strcmp(word, "drain") == 0 && lc->outstanding > 0) {
			err_set(err, EBUSY, "drain refused: %u outstanding", lc->outstanding);
			return LC_BUSY;
		}
		if (from)
			*from = lc->state;
		lc_set(lc, lc_table[i].to, word, now_ms);
		return LC_OK;
	}
	err_set(err, EINVAL, "unknown lifecycle command '%s' " LC_HINT, cmd);
	return LC_UNKNOWN_COMMAND;
}

int lifecycle_gate(const struct lifecycle *lc, enum lifecycle_gate gate, struct err *err)
{
	int open;

	switch (gate) {
	case LC_GATE_NEW_WORK: open = lc->state == LC_ONLINE; break;
	case LC_GATE_ATTACH: open = lc->state == LC_ONLINE || lc->state == LC_DRAINING; break;
	default: open = 0; break; /* fail closed */
	}
	if (open)
		return 0;
	return err_set(err, EAGAIN, "refused: hive is %s", lifecycle_state_name(lc->state));
}
