/*
 * Unit tests for the Landlock ceiling (landlock.h): the ABI chosen, rights
 * stripped from the top down per ABI, file-only rights on a file, skipped
 * paths, the bundles an ABI cannot honour refused with a message naming
 * the capability, and the rights listing. The rulesets are built for real
 * on this kernel (ABI 7) but never applied: test_sandbox.c applies them.
 */
#include "hived/agent/landlock.h"
#include "hived/core/kernel.h"
#include "lib/strbuf.h"
#include "test.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int kernel_abi;

static int build(int abi, const char *const *text, struct landlock_ruleset *rs, struct err *err, char *out,
                 size_t cap)
{
	struct cap caps[16] = { 0 };
	uint32_t n = 0;
	for (; *text; text++)
		CHECK(cap_parse(&caps[n++], *text, err) == 0);
	int rc = landlock_build(rs, abi, caps, n, err);
	for (uint32_t i = 0; i < n; i++)
		cap_clear(&caps[i]);
	struct strbuf sb;
	strbuf_init(&sb, out, cap);
	if (rc == 0)
		landlock_rights_render(rs, &sb);
	return rc;
}

TEST(abi_effective)
{
	CHECK_EQ_INT(landlock_abi_effective(7, 0), 7);
	CHECK_EQ_INT(landlock_abi_effective(7, 3), 3);
	CHECK_EQ_INT(landlock_abi_effective(5, 9), 5);
	CHECK_EQ_INT(landlock_abi_effective(7, -1), 0);
	CHECK_EQ_INT(landlock_abi_effective(0, 4), 0);
}

TEST(rights_per_abi)
{
	const char *caps[] = { "fs.write:/tmp", "fs.write:/dev/null", NULL };
	struct landlock_ruleset rs;
	struct err err;
	char out[2048];
	static const struct {
		int abi;
		const char *dir, *file;
	} want[] = {
		{ 1, "fs.write:/tmp write_file|read_file|read_dir|remove_dir|remove_file|make_char|make_dir|make_reg|"
		     "make_sock|make_fifo|make_block|make_sym\n",
		  "fs.write:/dev/null write_file|read_file\n" },
		{ 2, "|make_sym|refer\n", "fs.write:/dev/null write_file|read_file\n" },
		{ 3, "|make_sym|refer|truncate\n", "fs.write:/dev/null write_file|read_file|truncate\n" },
		{ 5, "|make_sym|refer|truncate|ioctl_dev\n", "fs.write:/dev/null write_file|read_file|truncate|ioctl_dev\n" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (want[i].abi > kernel_abi)
			continue;
		CHECK_EQ_INT(build(want[i].abi, caps, &rs, &err, out, sizeof out), 0);
		CHECK(rs.fd >= 0);
		if (!strstr(out, want[i].dir) || !strstr(out, want[i].file))
			printf("#   abi %d: %s", want[i].abi, out);
		CHECK(strstr(out, want[i].dir) != NULL);
		CHECK(strstr(out, want[i].file) != NULL);
		landlock_ruleset_clear(&rs);
	}
}

TEST(handled_and_scoped)
{
	const char *none[] = { NULL };
	struct landlock_ruleset rs;
	struct err err;
	char out[2048];
	CHECK_EQ_INT(build(3, none, &rs, &err, out, sizeof out), 0);
	CHECK(strstr(out, "landlock abi=3 fs=execute|") && strstr(out, "|refer|truncate net=- scoped=-\n"));
	CHECK_EQ_INT(rs.restrict_flags, 0);
	landlock_ruleset_clear(&rs);
	CHECK_EQ_INT(build(4, none, &rs, &err, out, sizeof out), 0);
	CHECK(strstr(out, " net=bind_tcp|connect_tcp scoped=-\n") != NULL);
	landlock_ruleset_clear(&rs);
	if (kernel_abi >= 7) {
		CHECK_EQ_INT(build(7, none, &rs, &err, out, sizeof out), 0);
		CHECK(strstr(out, "|ioctl_dev net=bind_tcp|connect_tcp scoped=abstract_unix_socket|signal\n") != NULL);
		CHECK_EQ_INT(rs.restrict_flags, 1u << 1); /* LOG_NEW_EXEC_ON */
		landlock_ruleset_clear(&rs);
	}
}

TEST(exec_and_read_rights)
{
	const char *caps[] = { "fs.exec:/bin/sh", "fs.exec:/usr/bin", "fs.read:/etc/hostname", "fs.read:/etc",
		               "infer:gpt", "net.connect:443", "fs.read:/no/such/dir", "fs.read:/etc/hostname/x",
		               NULL };
	struct landlock_ruleset rs;
	struct err err;
	char out[2048];
	CHECK_EQ_INT(build(4, caps, &rs, &err, out, sizeof out), 0);
	CHECK(strstr(out, "\nfs.exec:/bin/sh execute|read_file\n") != NULL);
	CHECK(strstr(out, "\nfs.exec:/usr/bin execute|read_file\n") != NULL);
	CHECK(strstr(out, "\nfs.read:/etc/hostname read_file\n") != NULL);
	CHECK(strstr(out, "\nfs.read:/etc read_file|read_dir\n") != NULL);
	CHECK(strstr(out, "\nnet.connect:443 connect_tcp\n") != NULL);
	CHECK(strstr(out, "\nfs.read:/no/such/dir skipped=ENOENT\n") != NULL);
	CHECK(strstr(out, "\nfs.read:/etc/hostname/x skipped=ENOTDIR\n") != NULL);
	CHECK(strstr(out, "infer") == NULL); /* not a Landlock matter */
	CHECK_EQ_INT(rs.nrules, 7);
	landlock_ruleset_clear(&rs);
	CHECK_EQ_INT(rs.fd, -1);
}

/* A path hived cannot reach itself is skipped like a missing one: run as
 * nobody against root's 0700 home. */
TEST(unreachable_path_skipped)
{
	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		const char *caps[] = { "fs.read:/root/.ssh", NULL };
		struct landlock_ruleset rs;
		struct err err;
		char out[1024];
		int rc = build(4, caps, &rs, &err, out, sizeof out);
		_exit(rc == 0 && strstr(out, "\nfs.read:/root/.ssh skipped=EACCES\n") ? 0 : 1);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(refusals)
{
	struct landlock_ruleset rs;
	struct err err;
	char out[256];
	const char *net[] = { "fs.read:/etc", "net.bind:8080", NULL };
	CHECK_EQ_INT(build(3, net, &rs, &err, out, sizeof out), -EOPNOTSUPP);
	CHECK_EQ_STR(err.msg, "net.bind:8080 needs Landlock ABI 4 (TCP port rules); this hive uses ABI 3");
	CHECK_EQ_INT(rs.fd, -1);
	const char *fs[] = { "fs.exec:/bin/sh", NULL };
	CHECK_EQ_INT(build(0, fs, &rs, &err, out, sizeof out), -EOPNOTSUPP);
	CHECK_EQ_STR(err.msg, "fs.exec:/bin/sh needs Landlock (the ceiling of file-system rights); this hive runs without it");
	const char *netonly[] = { "net.connect:53", NULL };
	CHECK_EQ_INT(build(0, netonly, &rs, &err, out, sizeof out), -EOPNOTSUPP);
	CHECK_EQ_STR(err.msg, "net.connect:53 needs Landlock ABI 4 (TCP port rules); this hive runs without Landlock");
	/* Nothing to bound: no Landlock is no refusal, and says so. */
	const char *infer[] = { "infer:gpt", NULL };
	CHECK_EQ_INT(build(0, infer, &rs, &err, out, sizeof out), 0);
	CHECK_EQ_INT(rs.fd, -1);
	CHECK_EQ_STR(out, "landlock abi=none\n");
	landlock_ruleset_clear(&rs);
}

int main(void)
{
	struct kernel k;
	kernel_probe(&k);
	kernel_abi = k.landlock_abi;
	RUN(abi_effective);
	if (kernel_abi < 4) {
		printf("ok 2 - # SKIP needs Landlock ABI 4, this kernel has %d\n", kernel_abi);
		return test_done();
	}
	RUN(rights_per_abi);
	RUN(handled_and_scoped);
	RUN(exec_and_read_rights);
	RUN(unreachable_path_skipped);
	RUN(refusals);
	return test_done();
}
