/*
 * escape.c — the escape suite's driver: `escape NAME ARGS...` runs one
 * probe and prints one line:
 *
 *   escape NAME: blocked (EACCES) aid=a-3 denials=1
 *   escape NAME: ESCAPED (what got through) aid=a-3
 *   escape NAME: UNEXPECTED (ENOENT; want EACCES) ...
 *   escape NAME: CANNOT TRY (why) ...
 *
 * Exit 0 blocked, 1 escaped, 2 failed with another errno (the attempt
 * proved nothing), 3 could not try. `denials` is how many EACCES answers
 * the probe saw: the supervisor writes one row for each it gives.
 * `escape list` prints the probes; `escape escaped WHAT` is what an
 * exec'd copy of this program runs (it reports the exec as an escape).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

const char *esc_self;

void esc_detail(struct esc_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof o->detail, fmt, ap);
	va_end(ap);
}

static const struct esc_probe *const esc_tables[] = { esc_fs_probes, esc_net_probes, esc_proc_probes };

static const struct esc_probe *esc_find(const char *name)
{
	for (size_t t = 0; t < sizeof esc_tables / sizeof esc_tables[0]; t++)
		for (const struct esc_probe *p = esc_tables[t]; p->name; p++)
			if (strcmp(p->name, name) == 0)
				return p;
	return NULL;
}

static const char *esc_errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

static int esc_wanted(const struct esc_probe *p, int e)
{
	for (int i = 0; i < 3 && p->want[i]; i++)
		if (p->want[i] == e)
			return 1;
	return 0;
}

static void esc_usage(FILE *f)
{
	fprintf(f, "usage: escape NAME ARGS...   (exit 0 blocked, 1 escaped, 2 other errno, 3 cannot try)\n");
	for (size_t t = 0; t < sizeof esc_tables / sizeof esc_tables[0]; t++)
		for (const struct esc_probe *p = esc_tables[t]; p->name; p++)
			fprintf(f, "  %-9s %s\n", p->name, p->usage);
	fprintf(f, "  %-9s %s\n", "escaped", "WHAT (run by an exec that should have failed)");
	fprintf(f, "helpers, outside a sandbox:\n  %-9s %s\n  %-9s %s\n", "mkhandle", "PATH (prints TYPE:HEX)",
	        "serve", "FILE (TCP, UDP, abstract listeners; ports into FILE)");
}

int main(int argc, char **argv)
{
	esc_self = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		esc_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "list") == 0) {
		for (size_t t = 0; t < sizeof esc_tables / sizeof esc_tables[0]; t++)
			for (const struct esc_probe *p = esc_tables[t]; p->name; p++)
				printf("%s\n", p->name);
		return 0;
	}
	if (strcmp(argv[1], "mkhandle") == 0 && argc == 3)
		return esc_mkhandle(argv[2]);
	if (strcmp(argv[1], "serve") == 0 && argc == 3)
		return esc_serve(argv[2]);
	if (strcmp(argv[1], "escaped") == 0) {
		printf("escape %s: ESCAPED (an exec that should have been refused ran this program)\n",
		       argc > 2 ? argv[2] : "exec");
		return 1;
	}
	const struct esc_probe *p = esc_find(argv[1]);
	if (!p) {
		fprintf(stderr, "escape: no probe '%s' (escape list)\n", argv[1]);
		return 2;
	}
	if (argc - 2 < p->nargs) {
		fprintf(stderr, "usage: escape %s %s\n", p->name, p->usage);
		return 2;
	}
	const char *aid = getenv("HIVE_AID");
	char tail[64];
	snprintf(tail, sizeof tail, "aid=%s", aid ? aid : "-");

	struct esc_out o = { 0 };
	int r = p->run(argv + 2, &o);
	if (r == 0) {
		printf("escape %s: ESCAPED (%s) %s\n", p->name, o.detail, tail);
		return 1;
	}
	if (r == ESC_CANT) {
		printf("escape %s: CANNOT TRY (%s) %s\n", p->name, o.detail, tail);
		return 3;
	}
	if (r == EACCES && !o.denials_set)
		o.denials = 1;
	if (!o.any_errno && !esc_wanted(p, r)) {
		printf("escape %s: UNEXPECTED (%s; want %s) %s%s%s\n", p->name, esc_errname(r),
		       esc_errname(p->want[0]), o.detail, o.detail[0] ? " " : "", tail);
		return 2;
	}
	printf("escape %s: blocked (%s) %s denials=%u%s%s\n", p->name, esc_errname(r), tail, o.denials,
	       o.detail[0] ? " " : "", o.detail);
	return 0;
}
