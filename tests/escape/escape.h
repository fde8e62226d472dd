/*
 * escape.h — the escape suite: one program, one named probe per way out of
 * an agent's sandbox (issue 12). Each probe makes one real attempt; the
 * program prints one line and exits 0 only when the attempt failed with the
 * errno the sandbox is meant to answer with.
 *
 * Built without sanitizers and statically: it runs inside a sandbox that
 * lets it read neither /proc/self/maps (ASan) nor, necessarily, the
 * dynamic loader's configuration.
 */
#ifndef HIVE_ESCAPE_H
#define HIVE_ESCAPE_H

#include <stddef.h>

/* A probe's answer: 0 the attempt succeeded (an escape), > 0 the errno it
 * failed with, ESC_CANT when the probe could not even try (setup failed). */
#define ESC_CANT (-1)

struct esc_out {
	unsigned denials;  /* refused calls the hive records (one row each): EACCES
	                    * answers, and the EPERMs of the calls the filter
	                    * sends to the supervisor only to be refused */
	int denials_set;   /* the probe counted them; else one EACCES answer is one */
	int any_errno;     /* any failure counts as blocked (the hive's socket) */
	char detail[256];  /* what happened, for the line */
};

struct esc_probe {
	const char *name;
	const char *usage; /* its arguments */
	int nargs;         /* arguments it needs */
	int (*run)(char **args, struct esc_out *o);
	int want[3];       /* the errnos a sandbox answers with (0-terminated) */
};

/* The probes, by family (probe_fs.c, probe_net.c, probe_proc.c). */
extern const struct esc_probe esc_fs_probes[], esc_net_probes[], esc_proc_probes[];

/* The path of this program, for the probes that exec a copy of it. */
extern const char *esc_self;

/* Helpers run outside any sandbox: a file handle as TYPE:HEX (probe_fs.c),
 * the listeners the network probes aim at (probe_net.c). */
int esc_mkhandle(const char *path);
int esc_serve(const char *file);

void esc_detail(struct esc_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
