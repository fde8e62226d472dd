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
	RUN(time_format);
	return test_done();
}
