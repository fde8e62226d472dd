/*
 * fuzz_ticket.c — libFuzzer target for the ticket decoder.
 *
 * Tokens come from peers (Tattach aname, console ATTACH), so ticket_verify
 * must refuse any input cleanly. The keys are fixed, so a mutated token that
 * keeps a valid MAC exercises the payload decoder too; a token that
 * verifies must re-mint to the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "trust/ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ticket_keys keys;
	static int ready;
	if (!ready) {
		ticket_keys_set(&keys, TICKET_ROLE_QUEEN, "bootstrap");
		ticket_keys_set(&keys, TICKET_ROLE_WORKER_HEARTBEAT, "worker");
		ticket_keys_set(&keys, TICKET_ROLE_WORKER_BUS, "worker-bus");
		ticket_keys_set(&keys, TICKET_ROLE_OBSERVER, "observer");
		ready = 1;
	}
	char token[2 * HIVE_TICKET_TOKEN_MAX];
	if (size >= sizeof token)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	struct ticket t;
	const char *why = NULL;
	if (ticket_verify(token, &keys, &t, &why) == 0) {
		char again[2 * HIVE_TICKET_TOKEN_MAX];
		int n = ticket_mint(&t, keys.key[t.role_code], again, sizeof again);
		if (n < 0 || strcmp(again, token) != 0)
			__builtin_trap();
	} else if (!why) {
		__builtin_trap();
	}
	return 0;
}
