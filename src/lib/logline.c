/*
 * logline.c — timestamps and escaping for /log/queen.log rows; see
 * logline.h. One escape grammar for every row keeps the log parseable by
 * the audit tools that will read it later.
 */
#include "logline.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char ellipsis[] = "...";

/* The escaped form of one byte into tmp; returns its length. */
static size_t escape_byte(unsigned char c, int flags, char tmp[5])
{
	switch (c) {
	case '\\': memcpy(tmp, "\\\\", 2); return 2;
	case '\n': memcpy(tmp, "\\n", 2); return 2;
	case '\r': memcpy(tmp, "\\r", 2); return 2;
	case '\t': memcpy(tmp, "\\t", 2); return 2;
	default: break;
	}
	if (c < 0x20 || c == 0x7f || ((flags & LOGLINE_FIELD) && (c == ' ' || c == '='))) {
		snprintf(tmp, 5, "\\x%02x", c);
		return 4;
	}
	tmp[0] = (char)c;
	return 1;
}

size_t logline_escape(char *out, size_t cap, const void *in, size_t len, int flags)
{
	const unsigned char *p = in;
	size_t full = 0, o = 0, limit;
	char tmp[5];

	if (cap == 0)
		return 0;
	/* A dry run decides whether the whole value fits; if not, only whole
	 * escapes go in and "..." marks the cut. */
	for (size_t i = 0; i < len; i++)
		full += escape_byte(p[i], flags, tmp);
	limit = cap - 1;
	if (full > limit)
		limit = limit >= sizeof ellipsis - 1 ? limit - (sizeof ellipsis - 1) : 0;
	for (size_t i = 0; i < len; i++) {
		size_t tl = escape_byte(p[i], flags, tmp);
		if (o + tl > limit)
			break;
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	if (full > cap - 1) {
		size_t m = cap - 1 - o < sizeof ellipsis - 1 ? cap - 1 - o : sizeof ellipsis - 1;
		memcpy(out + o, ellipsis, m);
		o += m;
	}
	out[o] = '\0';
	return o;
}

void logline_time(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}
