/*
 * fuzz_queenctl.c — libFuzzer target for the ctl files of the tree: the
 * /queen/ctl grammar (words and JSON), /queen/lifecycle/ctl, the line log
 * and CAS writes.
 *
 * These parse bytes a client writes, so any input must be refused or
 * applied cleanly. Checked invariants: an error always carries a code and
 * a message, every queen.log row stays one bounded line, the hive stays
 * in a valid lifecycle state, and the /queen/ctl parser names a verb of
 * its table exactly when it accepts a line. The first input byte picks
 * the file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/ns/queenctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct hive *hive;

/* Every row is also written to stderr: have libFuzzer close our stderr
 * (it keeps its own copy for reports) instead of drowning them. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[64];
	static char quiet[] = "-close_fd_mask=2";
	int n = *argc < 62 ? *argc : 62;
	for (int i = 0; i < n; i++)
		args[i] = (*argv)[i];
	args[n++] = quiet;
	args[n] = NULL;
	*argc = n;
	*argv = args;
	return 0;
}

static void setup(void)
{
	static const struct ns_perm rw = {
		.mode = 0644, .see = HIVE_ROLES_ALL, .read = HIVE_ROLES_ALL, .write = HIVE_ROLES_ALL,
	};
	hive = calloc(1, sizeof *hive);
	if (!hive)
		__builtin_trap();
	lifecycle_init(&hive->lifecycle, loop_now_ms());
	lifecycle_online(&hive->lifecycle, loop_now_ms());
	if (hive_tree_build(hive) < 0)
		__builtin_trap();
	if (!ns_cas_file(hive->ns, ns_root(hive->ns), "cas", &rw, "v"))
		__builtin_trap();
}

/* Every row in the window must be one line of at most HIVE_LOG_LINE_MAX. */
static void check_log(uint64_t from)
{
	static char buf[HIVE_LOG_RING_BYTES];
	struct err err;
	ssize_t n = ns_ring_read(hive->log, from, buf, sizeof buf, &err);
	if (n < 0)
		__builtin_trap();
	size_t start = 0;
	for (size_t i = 0; i < (size_t)n; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 - start > HIVE_LOG_LINE_MAX)
			__builtin_trap();
		start = i + 1;
	}
	if (start != (size_t)n)
		__builtin_trap(); /* a row without its newline */
}

/* The first line of a /queen/ctl input, parsed alone: accepted iff it
 * names a row of the table, refused with EINVAL and a message otherwise. */
static void check_parse(const uint8_t *data, size_t size)
{
	char line[HIVE_CTL_LINE_MAX + 1], arg[HIVE_CTL_LINE_MAX + 1];
	const struct queenctl_verb *verb, *table;
	struct err err = { 0 };
	size_t len = 0, n;

	while (len < size && len < HIVE_CTL_LINE_MAX && data[len] != '\n' && data[len] != '\0')
		len++;
	memcpy(line, data, len);
	line[len] = '\0';
	int rc = queenctl_parse(line, &verb, arg, sizeof arg, &err);
	table = queenctl_verbs(&n);
	if (rc == 0 && (!verb || verb < table || verb >= table + n || strlen(arg) >= sizeof arg))
		__builtin_trap();
	if (rc < 0 && (verb || rc != -EINVAL || err.code != EINVAL || !err.msg[0]))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/queen/ctl", "/queen/lifecycle/ctl", "/log/queen.log", "/cas" };
	struct principal who = { .role = HIVE_ROLE_QUEEN, .session_id = 1, .transport = "internal" };
	struct err err;
	struct ns_file *f;

	if (!hive)
		setup();
	if (size < 1 || size > HIVE_WRITE_MAX)
		return 0;
	if (data[0] % 4 == 0)
		check_parse(data + 1, size - 1);
	struct ns_node *node = ns_lookup(hive->ns, paths[data[0] % 4]);
	if (!node || ns_open(hive->ns, &who, node, NS_ORDWR, &f, &err) < 0)
		__builtin_trap();
	uint64_t before = ns_ring_end(hive->log);
	memset(&err, 0, sizeof err);
	ssize_t n = ns_write(f, 0, data + 1, size - 1, &err);
	if (n < 0 && (err.code <= 0 || -n != err.code || !err.msg[0] || !memchr(err.msg, '\0', sizeof err.msg)))
		__builtin_trap();
	if (n >= 0 && (size_t)n != size - 1)
		__builtin_trap();
	char buf[256];
	while (ns_read(f, 0, buf, sizeof buf, &err) > 0)
		break;
	ns_close(f);
	if (hive->lifecycle.state > LC_QUIESCED)
		__builtin_trap();
	check_log(before > ns_ring_base(hive->log) ? before : ns_ring_base(hive->log));
	/* Keep the tree usable for the next input. */
	if (hive->lifecycle.state != LC_ONLINE) {
		hive->lifecycle.outstanding = 0;
		lifecycle_command(&hive->lifecycle, "resume", loop_now_ms(), NULL, NULL);
	}
	return 0;
}
