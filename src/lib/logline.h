/*
 * logline.h — the pieces of one /log/queen.log row: a UTC timestamp and
 * escaping that keeps a value on one line and inside its field.
 *
 * Shared by hive_event (rows), the line-log ring writes and /proc renderers
 * (values such as a peer "uid=1000 pid=42" that hold spaces), so every
 * reader decodes one escape grammar:
 *   \\ backslash, \n \r \t, \xHH any other byte < 0x20 or 0x7f, each
 *   byte of a C1 control (raw 0x80-0x9f, or U+0080-U+009F as UTF-8
 *   0xc2 0x80-0x9f) and any byte that is not part of well-formed UTF-8,
 *   and (in fields, not free text) \x20 for a space and \x3d for '='.
 * Other UTF-8 characters pass whole, and a cut never splits one.
 */
#ifndef HIVE_LOGLINE_H
#define HIVE_LOGLINE_H

#include <stddef.h>

/* Escape flags. */
#define LOGLINE_FIELD 0x1 /* also escape ' ' and '=' (a key=value value) */

/* Escape len bytes of in into out (cap bytes, NUL-terminated). If the
 * result does not fit it is cut on an escape boundary and ends in "...".
 * Returns the length written. */
size_t logline_escape(char *out, size_t cap, const void *in, size_t len, int flags);
/* "2024-05-01T12:34:56.789Z" (CLOCK_REALTIME) into out (>= 25 bytes). */
void logline_time(char *out, size_t cap);
#define LOGLINE_TIME_LEN 25

#endif
