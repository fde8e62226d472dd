/*
 * strbuf.h — a bounded string builder.
 *
 * Appends never write past cap; an append that does not fit sets
 * `overflow` and leaves the buffer NUL-terminated, so a renderer can
 * print freely and the caller checks once at the end.
 */
#ifndef HIVE_STRBUF_H
#define HIVE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;    /* caller-owned storage */
	size_t len;   /* bytes used, excluding the NUL */
	size_t cap;   /* bytes of storage, including room for the NUL */
	int overflow; /* an append was cut short */
};

void strbuf_init(struct strbuf *sb, char *storage, size_t cap);
void strbuf_reset(struct strbuf *sb);
/* printf-style append; returns 0, or -ENOSPC if it was cut short. */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
int strbuf_append(struct strbuf *sb, const void *data, size_t len);

#endif
