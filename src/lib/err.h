/*
 * err.h — the one error type: an errno-style code plus a short reason a
 * person can read. Callers branch on the code (or on an enum result the
 * function returns), never on the text: the text is for the reply and the
 * log row only.
 */
#ifndef HIVE_ERR_H
#define HIVE_ERR_H

#include "lib/limits.h"

struct err {
	int code;                   /* positive errno value; 0 = no error */
	char msg[HIVE_ERRSTR_MAX];  /* "what: why", lower case, no newline */
};

/* Set err (may be NULL) to code and the formatted reason; returns -code so
 * a caller can write `return err_set(err, EACCES, "...")`. */
int err_set(struct err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
