/* Unit tests for logline: the escape grammar of queen.log rows and its
 * cut marker, which must never leave half an escape behind. */
#include "lib/logline.h"
#include "test.h"

#include <string.h>

TEST(escape_grammar)
{
	char out[64];
	CHECK_EQ_INT(logline_escape(out, sizeof out, "a b=c", 5, 0), 5);
	CHECK_EQ_STR(out, "a b=c");
	logline_escape(out, sizeof out, "a b=c", 5, LOGLINE_FIELD);
	CHECK_EQ_STR(out, "a\\x20b\\x3dc");
	logline_escape(out, sizeof out, "\\\n\r\t\x01\x7f\xc3\xa9", 8, 0);
	CHECK_EQ_STR(out, "\\\\\\n\\r\\t\\x01\\x7f\xc3\xa9");
	logline_escape(out, sizeof out, "a\0b", 3, 0);
	CHECK_EQ_STR(out, "a\\x00b");
	CHECK_EQ_INT(logline_escape(out, sizeof out, "", 0, 0), 0);
	CHECK_EQ_STR(out, "");
}

TEST(cut_on_escape_boundary)
{
	char out[8];
	/* Fits exactly: 7 chars + NUL, no marker. */
	CHECK_EQ_INT(logline_escape(out, sizeof out, "1234567", 7, 0), 7);
	CHECK_EQ_STR(out, "1234567");
	/* One more: 4 kept + "...". */
	CHECK_EQ_INT(logline_escape(out, sizeof out, "12345678", 8, 0), 7);
	CHECK_EQ_STR(out, "1234...");
	/* An escape that would straddle the cut is dropped whole. */
	logline_escape(out, sizeof out, "123\n5678", 8, 0);
	CHECK_EQ_STR(out, "123...");
	logline_escape(out, sizeof out, "12\x01zzzzz", 8, 0);
	CHECK_EQ_STR(out, "12...");
	char tiny[3];
	CHECK_EQ_INT(logline_escape(tiny, sizeof tiny, "abcdef", 6, 0), 2);
	CHECK_EQ_STR(tiny, "..");
	CHECK_EQ_INT(logline_escape(tiny, 0, "abc", 3, 0), 0);
}

/* C1 controls in both spellings are escaped in text and in fields; other
 * UTF-8 passes whole, and stray high bytes are escaped one by one. */
TEST(escape_c1_controls)
{
	char out[64];
	/* 0x9b raw is an 8-bit terminal's CSI; 0x85 is NEL (a line break). */
	logline_escape(out, sizeof out, "a\x9b" "31mb\x85" "c", 8, 0);
	CHECK_EQ_STR(out, "a\\x9b31mb\\x85c");
	logline_escape(out, sizeof out, "\x80\x9f", 2, LOGLINE_FIELD);
	CHECK_EQ_STR(out, "\\x80\\x9f");
	/* U+009B and U+0085 as UTF-8 (0xc2 0x9b, 0xc2 0x85). */
	logline_escape(out, sizeof out, "x\xc2\x9b" "1m\xc2\x85y", 8, 0);
	CHECK_EQ_STR(out, "x\\xc2\\x9b1m\\xc2\\x85y");
	logline_escape(out, sizeof out, "\xc2\x80", 2, LOGLINE_FIELD);
	CHECK_EQ_STR(out, "\\xc2\\x80");
	/* U+00A0 and later pass: é, €, and a 4-byte emoji. */
	logline_escape(out, sizeof out, "\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x9d", 11, LOGLINE_FIELD);
	CHECK_EQ_STR(out, "\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x9d");
	/* Not UTF-8: a lone lead, an overlong '/', a surrogate, Latin-1. */
	logline_escape(out, sizeof out, "\xc2", 1, 0);
	CHECK_EQ_STR(out, "\\xc2");
	logline_escape(out, sizeof out, "\xc0\xaf", 2, 0);
	CHECK_EQ_STR(out, "\\xc0\\xaf");
	logline_escape(out, sizeof out, "\xed\xa0\x80", 3, 0);
	CHECK_EQ_STR(out, "\\xed\\xa0\\x80");
	logline_escape(out, sizeof out, "caf\xe9", 4, 0);
	CHECK_EQ_STR(out, "caf\\xe9");
	/* A cut keeps a character or an escaped C1 whole. */
	char small[8];
	logline_escape(small, sizeof small, "ab\xe2\x82\xac" "cdef", 9, 0);
	CHECK_EQ_STR(small, "ab...");
	logline_escape(small, sizeof small, "a\xc2\x9b" "bcdefgh", 10, 0);
	CHECK_EQ_STR(small, "a...");
}

TEST(time_format)
{
	char t[LOGLINE_TIME_LEN + 8];
	logline_time(t, sizeof t);
	CHECK_EQ_INT(strlen(t), 24);
	CHECK(t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' && t[19] == '.');
	CHECK(t[23] == 'Z');
}

int main(void)
{
	RUN(escape_grammar);
	RUN(cut_on_escape_boundary);
	RUN(escape_c1_controls);
	RUN(time_format);
	return test_done();
}
