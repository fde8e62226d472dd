/*
 * fuzz_manifest.c — libFuzzer target for the manifest parser and the
 * signature and public-key line parsers.
 *
 * Manifests come from operators but reach the hive through files and ctl
 * writes anyone with a ticket can make, so manifest_parse must refuse any
 * input cleanly and free what it took. What it accepts must hold its
 * invariants: counts add up, every capability prints back to text that
 * parses to the same capability, every path is absolute.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/manifest.h"
#include "trust/sigkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_class(const struct manifest_class *c)
{
	char text[HIVE_PATH_MAX + 64];
	if (c->count == 0 || c->argc == 0 || c->argv[0][0] != '/' || !cap_path_clean(c->argv[0]))
		__builtin_trap();
	if ((c->cwd && !cap_path_clean(c->cwd)) || (c->home && !cap_path_clean(c->home)))
		__builtin_trap();
	for (uint32_t i = 0; i < c->ncaps; i++) {
		struct cap again;
		if (cap_format(&c->caps[i], text, sizeof text) < 0 || cap_parse(&again, text, NULL) < 0)
			__builtin_trap();
		if (!cap_equal(&again, &c->caps[i]))
			__builtin_trap();
		cap_clear(&again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL;
	struct err e = { 0 };
	if (manifest_parse(data, size, &m, &e) == 0) {
		uint32_t sum = 0;
		for (uint32_t i = 0; i < m->nclasses; i++) {
			check_class(&m->classes[i]);
			sum += m->classes[i].count;
		}
		if (sum != m->agents || m->agents > HIVE_WORKLOAD_AGENTS_MAX)
			__builtin_trap();
		manifest_free(m);
	} else if (m || !e.code || !e.msg[0]) {
		__builtin_trap();
	}

	/* The one-line key and signature formats, as text. */
	if (size < HIVE_KEY_FILE_MAX) {
		char line[HIVE_KEY_FILE_MAX];
		struct sigkey_sig s;
		struct sigkey_pub p;
		memcpy(line, data, size);
		line[size] = '\0';
		if (sigkey_sig_parse(&s, line, NULL) == 0 && !sigkey_id_valid(s.id))
			__builtin_trap();
		if (sigkey_pub_parse(&p, line, NULL) == 0) {
			char again[HIVE_KEY_FILE_MAX];
			if (sigkey_pub_format(&p, again, sizeof again) < 0 || strncmp(again, line, strlen(again) - 1))
				__builtin_trap();
		}
	}
	return 0;
}
