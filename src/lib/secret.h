/*
 * secret.h — reading a secret (a ticket, a console token) from a file.
 *
 * A secret on the command line is readable by every local user in
 * /proc/PID/cmdline; a file the owner protects, or the environment
 * (/proc/PID/environ is the owner's only), is not. So `hive` and `hived`
 * take secrets from a file or a variable, and both read the file here.
 */
#ifndef HIVE_SECRET_H
#define HIVE_SECRET_H

#include <stddef.h>

#include "lib/err.h"

/* Read the first line of path ("-" is stdin) into out: trailing blanks and
 * the line end dropped, at most cap - 1 bytes. An empty secret is EINVAL, a
 * longer one EMSGSIZE (never cut), an unreadable file its errno; err says
 * which, naming the path. Returns 0 or -code. */
int secret_read_file(const char *path, char *out, size_t cap, struct err *err);

#endif
