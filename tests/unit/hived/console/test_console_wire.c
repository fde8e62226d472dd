/* Unit tests for the console's framing and line rules (console_wire.c):
 * length prefixes in and out of range, partial frames, UTF-8 and control
 * characters in requests, cutting and sanitizing reply lines. */
#include <errno.h>

#include "hived/console/console_int.h"
#include "test.h"

static size_t mkframe(uint8_t *buf, uint32_t len, const char *payload, size_t n)
{
	buf[0] = (uint8_t)len;
	buf[1] = (uint8_t)(len >> 8);
	buf[2] = (uint8_t)(len >> 16);
	buf[3] = (uint8_t)(len >> 24);
	memcpy(buf + 4, payload, n);
	return 4 + n;
}

TEST(frame_whole_and_partial)
{
	uint8_t b[64];
	size_t n = mkframe(b, 8, "PING", 4), fl = 0;
	CHECK_EQ_INT(console_frame_parse(b, n, &fl), 1);
	CHECK_EQ_INT(fl, 8);
	/* Every prefix of a valid frame asks for more. */
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(console_frame_parse(b, i, &fl), 0);
	/* Two frames back to back: the first is reported alone. */
	mkframe(b + n, 7, "END", 3);
	CHECK_EQ_INT(console_frame_parse(b, n + 7, &fl), 1);
	CHECK_EQ_INT(fl, 8);
}

TEST(frame_bad_lengths)
{
	uint8_t b[16];
	size_t fl = 0;
	mkframe(b, 0, "", 0);
	CHECK_EQ_INT(console_frame_parse(b, 4, &fl), -EINVAL);
	mkframe(b, 3, "", 0);
	CHECK_EQ_INT(console_frame_parse(b, 4, &fl), -EINVAL);
	mkframe(b, CONSOLE_FRAME_MAX + 1, "", 0);
	CHECK_EQ_INT(console_frame_parse(b, 4, &fl), -EINVAL);
	mkframe(b, 0xFFFFFFFFu, "", 0);
	CHECK_EQ_INT(console_frame_parse(b, 4, &fl), -EINVAL);
	/* Length 4 is an empty line: framing is fine, the line check refuses it. */
	mkframe(b, 4, "", 0);
	CHECK_EQ_INT(console_frame_parse(b, 4, &fl), 1);
	CHECK_EQ_INT(fl, 4);
	/* The largest legal frame is accepted once whole. */
	mkframe(b, CONSOLE_FRAME_MAX, "", 0);
	CHECK_EQ_INT(console_frame_parse(b, 4, &fl), 0);
}

TEST(frame_header_round_trip)
{
	uint8_t h[4];
	console_frame_header(h, 300);
	CHECK_EQ_INT(h[0], 304 & 0xFF);
	CHECK_EQ_INT(h[1], 304 >> 8);
	CHECK_EQ_INT(h[2], 0);
	CHECK_EQ_INT(h[3], 0);
}

TEST(line_check)
{
	const char *why = NULL;
	CHECK_EQ_INT(console_line_check((const uint8_t *)"LS /proc", 8, &why), 0);
	CHECK_EQ_INT(console_line_check((const uint8_t *)"ECHO /x h\xc3\xa9llo\tx", 16, &why), 0);
	CHECK_EQ_INT(console_line_check((const uint8_t *)"", 0, &why), -EINVAL);
	CHECK_EQ_STR(why, "empty-line");
	CHECK_EQ_INT(console_line_check((const uint8_t *)"ECHO /x a\nkill", 14, &why), -EINVAL);
	CHECK_EQ_STR(why, "control-character");
	CHECK_EQ_INT(console_line_check((const uint8_t *)"A\0B", 3, &why), -EINVAL);
	CHECK_EQ_STR(why, "control-character");
	CHECK_EQ_INT(console_line_check((const uint8_t *)"A\x7f", 2, &why), -EINVAL);
	CHECK_EQ_INT(console_line_check((const uint8_t *)"\xff", 1, &why), -EINVAL);
	CHECK_EQ_STR(why, "invalid-utf8");
	/* Overlong '/', a surrogate, a truncated sequence, past U+10FFFF. */
	CHECK_EQ_INT(console_line_check((const uint8_t *)"\xc0\xaf", 2, &why), -EINVAL);
	CHECK_EQ_INT(console_line_check((const uint8_t *)"\xed\xa0\x80", 3, &why), -EINVAL);
	CHECK_EQ_INT(console_line_check((const uint8_t *)"\xe2\x82", 2, &why), -EINVAL);
	CHECK_EQ_INT(console_line_check((const uint8_t *)"\xf4\x90\x80\x80", 4, &why), -EINVAL);
	CHECK_EQ_INT(console_line_check((const uint8_t *)"\xf0\x9f\x90\x9d", 4, &why), 0);
}

TEST(utf8_cut_and_sanitize)
{
	const uint8_t s[] = "ab\xe2\x82\xac"; /* "ab€" */
	CHECK_EQ_INT(console_utf8_cut(s, 5, 10), 5);
	CHECK_EQ_INT(console_utf8_cut(s, 5, 5), 5);
	CHECK_EQ_INT(console_utf8_cut(s, 5, 4), 2);
	CHECK_EQ_INT(console_utf8_cut(s, 5, 3), 2);
	CHECK_EQ_INT(console_utf8_cut(s, 5, 2), 2);
	uint8_t d[] = "a\x01\xff\xe2\x82\xac\tz\r";
	console_sanitize(d, sizeof d - 1);
	CHECK_EQ_STR((char *)d, "a??\xe2\x82\xac\tz?");
}

int main(void)
{
	RUN(frame_whole_and_partial);
	RUN(frame_bad_lengths);
	RUN(frame_header_round_trip);
	RUN(line_check);
	RUN(utf8_cut_and_sanitize);
	return test_done();
}
