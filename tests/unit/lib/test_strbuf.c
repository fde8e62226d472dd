/* Unit tests for strbuf: bounded appends and overflow reporting. */
#include "lib/strbuf.h"
#include "test.h"

TEST(printf_fits)
{
	char s[32];
	struct strbuf sb;
	strbuf_init(&sb, s, sizeof s);
	CHECK_EQ_INT(strbuf_printf(&sb, "a=%d ", 1), 0);
	CHECK_EQ_INT(strbuf_printf(&sb, "b=%s", "two"), 0);
	CHECK_EQ_STR(s, "a=1 b=two");
	CHECK_EQ_INT(sb.len, 9);
	CHECK(!sb.overflow);
}

TEST(printf_overflow_truncates_and_flags)
{
	char s[8];
	struct strbuf sb;
	strbuf_init(&sb, s, sizeof s);
	CHECK(strbuf_printf(&sb, "%s", "0123456789") < 0);
	CHECK(sb.overflow);
	CHECK_EQ_INT(sb.len, 7);
	CHECK_EQ_STR(s, "0123456");
	CHECK(strbuf_printf(&sb, "x") < 0);
	CHECK_EQ_STR(s, "0123456");
}

TEST(append_binary_and_zero_cap)
{
	char s[4];
	struct strbuf sb;
	strbuf_init(&sb, s, sizeof s);
	CHECK_EQ_INT(strbuf_append(&sb, "ab", 2), 0);
	CHECK(strbuf_append(&sb, "cd", 2) < 0);
	CHECK_EQ_STR(s, "abc");
	struct strbuf z;
	strbuf_init(&z, NULL, 0);
	CHECK(strbuf_append(&z, "a", 1) < 0);
	CHECK(strbuf_printf(&z, "a") < 0);
}

int main(void)
{
	RUN(printf_fits);
	RUN(printf_overflow_truncates_and_flags);
	RUN(append_binary_and_zero_cap);
	return test_done();
}
