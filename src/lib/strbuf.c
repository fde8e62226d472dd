/* strbuf.c — bounded string building; see strbuf.h. */
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, char *storage, size_t cap)
{
	sb->buf = storage;
	sb->cap = cap;
	strbuf_reset(sb);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->overflow = 0;
	if (sb->cap)
		sb->buf[0] = '\0';
}

int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	if (sb->cap == 0 || sb->len + 1 >= sb->cap) {
		sb->overflow = 1;
		return -ENOSPC;
	}
	size_t room = sb->cap - sb->len;
	int n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		sb->overflow = 1;
		return -EINVAL;
	}
	if ((size_t)n >= room) {
		sb->len = sb->cap - 1;
		sb->overflow = 1;
		return -ENOSPC;
	}
	sb->len += (size_t)n;
	return 0;
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

int strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	if (sb->cap == 0) {
		sb->overflow = 1;
		return -ENOSPC;
	}
	size_t room = sb->cap - 1 - sb->len;
	size_t n = len < room ? len : room;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	if (n < len) {
		sb->overflow = 1;
		return -ENOSPC;
	}
	return 0;
}
