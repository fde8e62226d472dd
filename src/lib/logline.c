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

/* Longest escaped unit: a C1 control as UTF-8, "\\xc2\\x9b". */
#define UNIT_MAX 8

/* Length of the well-formed UTF-8 sequence at p (2..4), or 0 if the
 * bytes there are not one: a stray continuation byte, an overlong form,
 * a surrogate, past U+10FFFF, or cut short by the end. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* bounds of the second byte */

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* The escaped form of the unit at p (one byte, or one whole UTF-8
 * character) into tmp; sets *used to the input bytes it covers and
 * returns the output length. C0, DEL and C1 controls are escaped in both
 * spellings of C1: a raw byte 0x80-0x9f (an 8-bit terminal's CSI is
 * 0x9b) and U+0080-U+009F as UTF-8 (0xc2 0x80-0x9f). Any byte that is
 * not part of well-formed UTF-8 is escaped too, so the log stays UTF-8
 * and no raw byte >= 0x80 reaches a terminal outside a character. */
static size_t escape_unit(const unsigned char *p, size_t left, int flags, char tmp[UNIT_MAX + 1],
                          size_t *used)
{
	unsigned char c = p[0];
	size_t n;

	*used = 1;
	switch (c) {
	case '\\': memcpy(tmp, "\\\\", 2); return 2;
	case '\n': memcpy(tmp, "\\n", 2); return 2;
	case '\r': memcpy(tmp, "\\r", 2); return 2;
	case '\t': memcpy(tmp, "\\t", 2); return 2;
	default: break;
	}
	if (c >= 0x80) {
		n = utf8_len(p, left);
		if (n == 2 && c == 0xc2 && p[1] <= 0x9f) {
			*used = 2;
			snprintf(tmp, UNIT_MAX + 1, "\\x%02x\\x%02x", c, p[1]);
			return UNIT_MAX;
		}
		if (n) {
			*used = n;
			memcpy(tmp, p, n);
			return n;
		}
	}
	if (c < 0x20 || c >= 0x7f || ((flags & LOGLINE_FIELD) && (c == ' ' || c == '='))) {
		snprintf(tmp, 5, "\\x%02x", c);
		return 4;
	}
	tmp[0] = (char)c;
	return 1;
}

size_t logline_escape(char *out, size_t cap, const void *in, size_t len, int flags)
{
	const unsigned char *p = in;
	size_t full = 0, o = 0, limit, used;
	char tmp[UNIT_MAX + 1];

	if (cap == 0)
		return 0;
	/* A dry run decides whether the whole value fits; if not, only whole
	 * escapes (and whole characters) go in and "..." marks the cut. */
	for (size_t i = 0; i < len; i += used)
		full += escape_unit(p + i, len - i, flags, tmp, &used);
	limit = cap - 1;
	if (full > limit)
		limit = limit >= sizeof ellipsis - 1 ? limit - (sizeof ellipsis - 1) : 0;
	for (size_t i = 0; i < len; i += used) {
		size_t tl = escape_unit(p + i, len - i, flags, tmp, &used);
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
