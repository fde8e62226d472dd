/*
 * test.h — the unit-test harness: TAP-style lines the runner counts.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *   int main(void) { RUN(name); return test_done(); }
 *
 * Each RUN prints `ok N - name` or `not ok N - name`; a failing CHECK
 * prints the file, line and expression and fails the test, not the binary.
 */
#ifndef HIVE_TEST_H
#define HIVE_TEST_H

#include <stdio.h>
#include <string.h>

static int test_num, test_failed_total, test_cur_failed;

#define TEST(name) static void name(void)
#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stdout, "#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			test_cur_failed = 1;                                              \
		}                                                                         \
	} while (0)
#define CHECK_EQ_INT(a, b)                                                                \
	do {                                                                              \
		long long a_ = (long long)(a), b_ = (long long)(b);                       \
		if (a_ != b_) {                                                           \
			fprintf(stdout, "#   %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
			        __LINE__, #a, #b, a_, b_);                                  \
			test_cur_failed = 1;                                              \
		}                                                                         \
	} while (0)
#define CHECK_EQ_STR(a, b)                                                                \
	do {                                                                              \
		const char *a_ = (a), *b_ = (b);                                          \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                  \
			fprintf(stdout, "#   %s:%d: %s == %s failed: \"%s\" != \"%s\"\n",   \
			        __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			test_cur_failed = 1;                                              \
		}                                                                         \
	} while (0)

static inline void test_run(const char *name, void (*fn)(void))
{
	test_cur_failed = 0;
	fn();
	test_num++;
	if (test_cur_failed)
		test_failed_total++;
	fprintf(stdout, "%s %d - %s\n", test_cur_failed ? "not ok" : "ok", test_num, name);
	fflush(stdout);
}
#define RUN(name) test_run(#name, name)

static inline int test_done(void)
{
	return test_failed_total ? 1 : 0;
}

#endif
