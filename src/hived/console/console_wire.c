/*
 * console_wire.c — the console's framing and line rules, as pure functions.
 *
 * Every frame is a u32 little-endian length that counts its own 4 bytes,
 * then one UTF-8 line. Keeping the byte-level rules here, away from
 * sockets and the hive, lets the unit tests and a fuzzer feed them any
 * bytes at all.
 */
#include "console_int.h"

#include <errno.h>

int console_frame_parse(const uint8_t *buf, size_t len, size_t *frame_len)
{
	if (len < CONSOLE_HDR)
		return 0;
	uint32_t n = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
	             (uint32_t)buf[3] << 24;
	if (n < CONSOLE_HDR || n > CONSOLE_FRAME_MAX)
		return -EINVAL;
	if (len < n)
		return 0;
	*frame_len = n;
	return 1;
}

void console_frame_header(uint8_t hdr[CONSOLE_HDR], size_t n)
{
	uint32_t v = (uint32_t)(n + CONSOLE_HDR);
	hdr[0] = (uint8_t)v;
	hdr[1] = (uint8_t)(v >> 8);
	hdr[2] = (uint8_t)(v >> 16);
	hdr[3] = (uint8_t)(v >> 24);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid.
 * Rejects overlong forms, surrogates and code points past U+10FFFF. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t need;
	uint32_t cp, min;
	if ((c & 0xE0) == 0xC0) {
		need = 2, cp = c & 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		need = 3, cp = c & 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		need = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

static int is_control(uint8_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7F;
}

int console_line_check(const uint8_t *p, size_t n, const char **why)
{
	if (n == 0) {
		*why = "empty-line";
		return -EINVAL;
	}
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		if (k == 0) {
			*why = "invalid-utf8";
			return -EINVAL;
		}
		if (k == 1 && is_control(p[i])) {
			*why = "control-character";
			return -EINVAL;
		}
		i += k;
	}
	return 0;
}

size_t console_utf8_cut(const uint8_t *p, size_t n, size_t max)
{
	if (n <= max)
		return n;
	size_t cut = max;
	/* Back off continuation bytes so the cut lands before a lead byte. */
	while (cut > 0 && (p[cut] & 0xC0) == 0x80 && max - cut < 3)
		cut--;
	return cut;
}

void console_sanitize(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		if (k == 0 || (k == 1 && is_control(p[i]))) {
			p[i++] = '?';
			continue;
		}
		i += k;
	}
}
