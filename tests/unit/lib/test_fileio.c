/* Unit tests for fileio and statedir: atomic writes, bounded reads, and the
 * state directory's resolution order. */
#include "lib/fileio.h"
#include "lib/statedir.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

TEST(write_then_read_back)
{
	char path[128], buf[16];
	struct stat st;
	snprintf(path, sizeof path, "%s/f", dir);
	CHECK_EQ_INT(fileio_write_atomic(path, "hello\n", 6, 0600), 0);
	CHECK_EQ_INT(fileio_read_small(path, buf, sizeof buf), 6);
	CHECK_EQ_STR(buf, "hello\n");
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	/* Replaced whole; no .tmp left behind. */
	CHECK_EQ_INT(fileio_write_atomic(path, "x", 1, 0600), 0);
	CHECK_EQ_INT(fileio_read_small(path, buf, sizeof buf), 1);
	snprintf(path, sizeof path, "%s/f.tmp", dir);
	CHECK(access(path, F_OK) < 0);
}

TEST(bounded_read)
{
	char path[128], buf[6];
	snprintf(path, sizeof path, "%s/big", dir);
	CHECK_EQ_INT(fileio_write_atomic(path, "12345", 5, 0600), 0);
	CHECK_EQ_INT(fileio_read_small(path, buf, sizeof buf), 5); /* exactly fits */
	CHECK_EQ_INT(fileio_write_atomic(path, "123456", 6, 0600), 0);
	CHECK_EQ_INT(fileio_read_small(path, buf, sizeof buf), -EFBIG);
	snprintf(path, sizeof path, "%s/missing", dir);
	CHECK_EQ_INT(fileio_read_small(path, buf, sizeof buf), -ENOENT);
	/* A write into a missing directory fails and leaves nothing. */
	snprintf(path, sizeof path, "%s/no/such", dir);
	CHECK_EQ_INT(fileio_write_atomic(path, "x", 1, 0600), -ENOENT);
}

TEST(statedir_order)
{
	char out[128];
	setenv("HIVE_STATE", "/s1", 1);
	setenv("XDG_STATE_HOME", "/x", 1);
	setenv("HOME", "/h", 1);
	CHECK_EQ_INT(statedir_resolve("/flag", out, sizeof out), 0);
	CHECK_EQ_STR(out, "/flag");
	CHECK_EQ_INT(statedir_resolve(NULL, out, sizeof out), 0);
	CHECK_EQ_STR(out, "/s1");
	unsetenv("HIVE_STATE");
	CHECK_EQ_INT(statedir_resolve("", out, sizeof out), 0);
	CHECK_EQ_STR(out, "/x/hive");
	unsetenv("XDG_STATE_HOME");
	CHECK_EQ_INT(statedir_resolve(NULL, out, sizeof out), 0);
	CHECK_EQ_STR(out, "/h/.local/state/hive");
	CHECK_EQ_INT(statedir_resolve(NULL, out, 8), -ENAMETOOLONG);
	CHECK_EQ_INT(statedir_path("/a", "hive.sock", out, sizeof out), 0);
	CHECK_EQ_STR(out, "/a/hive.sock");
	CHECK_EQ_INT(statedir_path("/a", "hive.sock", out, 5), -ENAMETOOLONG);
}

TEST(statedir_make_nested)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof path, "%s/a/b/c", dir);
	CHECK_EQ_INT(statedir_make(path, 0700), 0);
	CHECK_EQ_INT(statedir_make(path, 0700), 0); /* again: fine */
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	snprintf(path, sizeof path, "%s/f/sub", dir); /* f is a file */
	CHECK_EQ_INT(statedir_make(path, 0700), -ENOTDIR);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/hive-fileio.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(write_then_read_back);
	RUN(bounded_read);
	RUN(statedir_order);
	RUN(statedir_make_nested);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
