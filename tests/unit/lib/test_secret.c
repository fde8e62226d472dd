/* Unit tests for secret_read_file: the first line of a file, its line end
 * and trailing blanks dropped; empty, over-long (never cut), NUL-holding
 * and missing files refused with the path named. */
#include "lib/secret.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static const char *put(const char *text, size_t len)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/secret", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
	return path;
}

TEST(first_line_trimmed)
{
	char out[16];
	struct err err;

	CHECK_EQ_INT(secret_read_file(put("s3cret\n", 7), out, sizeof out, &err), 0);
	CHECK_EQ_STR(out, "s3cret");
	CHECK_EQ_INT(secret_read_file(put("s3cret \r\nsecond line\n", 21), out, sizeof out, &err), 0);
	CHECK_EQ_STR(out, "s3cret");
	CHECK_EQ_INT(secret_read_file(put("no-newline", 10), out, sizeof out, &err), 0);
	CHECK_EQ_STR(out, "no-newline");
	/* Exactly cap - 1 bytes fits. */
	CHECK_EQ_INT(secret_read_file(put("0123456789abcde\n", 16), out, sizeof out, &err), 0);
	CHECK_EQ_STR(out, "0123456789abcde");
}

TEST(refusals_name_the_file)
{
	char out[16], big[256];
	struct err err;
	const char *p;

	p = put("0123456789abcdef\n", 17);
	CHECK_EQ_INT(secret_read_file(p, out, sizeof out, &err), -EMSGSIZE);
	CHECK(strstr(err.msg, p) && strstr(err.msg, "longer than 15"));
	memset(big, 'x', sizeof big);
	CHECK_EQ_INT(secret_read_file(put(big, sizeof big), out, sizeof out, &err), -EMSGSIZE);
	CHECK_EQ_INT(secret_read_file(put("", 0), out, sizeof out, &err), -EINVAL);
	CHECK(strstr(err.msg, "empty") != NULL);
	CHECK_EQ_INT(secret_read_file(put(" \n", 2), out, sizeof out, &err), -EINVAL);
	CHECK_EQ_INT(secret_read_file(put("ab\0cd\n", 6), out, sizeof out, &err), -EINVAL);
	CHECK(strstr(err.msg, "NUL") != NULL);
	unlink(p);
	CHECK_EQ_INT(secret_read_file(p, out, sizeof out, &err), -ENOENT);
	CHECK(strstr(err.msg, p) != NULL);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/hive-secret-test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(first_line_trimmed);
	RUN(refusals_name_the_file);
	rmdir(dir);
	return test_done();
}
