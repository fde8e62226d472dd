/*
 * Unit tests for the kernel probe (kernel.h): cgroup v1, v2 and neither,
 * each laid out as fake /proc and /sys files under a temporary root; the
 * degraded list and the /proc/status lines built from the results; and a
 * sanity run of the real probe on this machine.
 */
#include "hived/core/kernel.h"
#include "lib/strbuf.h"
#include "test.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

/* Write root/rel with content, making its parent directories. */
static void put(const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs(content, fp);
		fclose(fp);
	}
}

static void mkdirs(const char *rel)
{
	char file[512];
	snprintf(file, sizeof file, "%s/.keep", rel);
	put(file, "");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void fresh_root(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(root, sizeof root, "/tmp/hive-kernel.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
}

/* Syscall fields at their best, so degraded shows the files' part only. */
static void best_syscalls(struct kernel *k)
{
	memset(k, 0, sizeof *k);
	k->landlock_abi = 7;
	k->seccomp_notify = k->seccomp_sync_wakeup = k->seccomp_wait_killable = 1;
}

static const char *degraded(const struct kernel *k)
{
	static char buf[256];
	kernel_degraded(k, buf, sizeof buf);
	return buf;
}

static const char proc_cgroups[] =
	"#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
	"cpuset\t3\t1\t1\ncpu\t1\t1\t1\ncpuacct\t2\t1\t1\nmemory\t4\t35\t1\n"
	"freezer\t6\t1\t1\npids\t8\t1\t1\n";

/* This machine's shape: v1 controllers, an empty v2 mounted beside. */
TEST(cgroup_v1_hybrid)
{
	struct kernel k;
	fresh_root();
	put("proc/self/cgroup", "8:pids:/\n6:freezer:/\n4:memory:/api/15e3\n2:cpuacct:/\n1:cpu:/\n0::/\n");
	put("proc/cgroups", proc_cgroups);
	mkdirs("sys/fs/cgroup/cpu");
	mkdirs("sys/fs/cgroup/memory/api/15e3");
	mkdirs("sys/fs/cgroup/pids");
	mkdirs("sys/fs/cgroup/freezer");
	put("sys/fs/cgroup/unified/cgroup.controllers", "\n");
	put("sys/fs/cgroup/unified/cgroup.subtree_control", "");
	put("dev/fuse", "");
	best_syscalls(&k);
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_V1);
	CHECK_EQ_INT(k.cgroup_ctrls, KERNEL_CG_ALL);
	CHECK_EQ_INT(k.cgroup_v2_seen, 1);
	CHECK_EQ_INT(k.fuse, 1);
	CHECK_EQ_STR(degraded(&k), "cgroup-v2");

	char buf[1024];
	struct strbuf sb;
	strbuf_init(&sb, buf, sizeof buf);
	kernel_status(&k, &sb);
	CHECK_EQ_STR(buf, "landlock_abi=7\nseccomp_notify=yes\nseccomp_flags=sync-wakeup,wait-killable\n"
	                  "cgroup=v1(cpu,memory,pids,freezer)\nfuse=yes\ndegraded=cgroup-v2\n");
	kernel_describe(&k, buf, sizeof buf);
	CHECK_EQ_STR(buf, "Landlock ABI 7, seccomp notify yes (sync wake-up yes, wait-killable yes), "
	                  "cgroup v1 (cpu memory pids freezer; no delegated v2), FUSE yes -- degraded: cgroup-v2");

	/* A controller disabled at boot, or a hierarchy not ours to write,
	 * is missing. */
	put("proc/cgroups", "#h\nmemory\t4\t35\t1\nfreezer\t6\t1\t0\npids\t8\t1\t1\ncpu\t1\t1\t1\n");
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup_ctrls, KERNEL_CG_ALL & ~KERNEL_CG_FREEZER);
	CHECK_EQ_STR(degraded(&k), "cgroup-v2,cgroup-freezer");
	put("proc/self/cgroup", "8:pids:/\n4:memory:/elsewhere\n1:cpu:/\n0::/\n");
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup_ctrls, KERNEL_CG_CPU | KERNEL_CG_PIDS);
	/* A combined hierarchy ("cpu,cpuacct") is found by each name. */
	put("proc/cgroups", proc_cgroups);
	put("proc/self/cgroup", "3:cpu,cpuacct:/\n0::/\n");
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup_ctrls, KERNEL_CG_CPU);
}

/* A delegated v2 subtree with the controllers: the best case. */
TEST(cgroup_v2_delegated)
{
	struct kernel k;
	fresh_root();
	put("proc/self/cgroup", "0::/user.slice/hive\n");
	put("proc/cgroups", proc_cgroups);
	put("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put("sys/fs/cgroup/user.slice/hive/cgroup.controllers", "cpu memory pids\n");
	put("sys/fs/cgroup/user.slice/hive/cgroup.subtree_control", "");
	best_syscalls(&k);
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_V2);
	CHECK_EQ_INT(k.cgroup_ctrls, KERNEL_CG_ALL);
	CHECK_EQ_INT(k.fuse, 0); /* no dev/fuse here */
	CHECK_EQ_STR(degraded(&k), "fuse");
	put("dev/fuse", "");
	kernel_probe_files(&k, root);
	CHECK_EQ_STR(degraded(&k), "none");

	/* The v2 freezer is core: a kernel without the v1 freezer
	 * subsystem (absent from /proc/cgroups) still has it. */
	put("proc/cgroups", "#h\ncpu\t0\t1\t1\nmemory\t0\t1\t1\npids\t0\t1\t1\n");
	kernel_probe_files(&k, root);
	CHECK_EQ_STR(degraded(&k), "none");
	put("proc/cgroups", proc_cgroups);

	/* Delegated without the memory controller: v2 is still chosen only
	 * with cpu, memory and pids; without them and without v1, what v2
	 * has is used and the rest named. */
	put("sys/fs/cgroup/user.slice/hive/cgroup.controllers", "cpu pids\n");
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_V2);
	CHECK_EQ_STR(degraded(&k), "cgroup-memory");

	/* Not delegated (no subtree_control we may write): nothing. */
	char path[512];
	snprintf(path, sizeof path, "%s/sys/fs/cgroup/user.slice/hive/cgroup.subtree_control", root);
	CHECK_EQ_INT(unlink(path), 0);
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_NONE);
	CHECK_EQ_INT(k.cgroup_v2_seen, 1);
	CHECK_EQ_STR(degraded(&k), "cgroup");
}

/* No cgroup information at all: rlimits only, said as "cgroup". */
TEST(cgroup_none)
{
	struct kernel k;
	char buf[1024];
	struct strbuf sb;
	fresh_root();
	best_syscalls(&k);
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_NONE);
	CHECK_EQ_INT(k.cgroup_ctrls, 0);
	CHECK_EQ_STR(degraded(&k), "cgroup,fuse");
	/* A malformed or over-long /proc/self/cgroup is skipped, not trusted. */
	char longline[6000];
	memset(longline, 'a', sizeof longline - 2);
	longline[sizeof longline - 2] = '\n';
	longline[sizeof longline - 1] = '\0';
	put("proc/self/cgroup", longline);
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_NONE);
	put("proc/self/cgroup", "garbage\n1:cpu\n::\n0::relative\n");
	kernel_probe_files(&k, root);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_NONE);

	/* Everything missing, and the status lines for it. */
	memset(&k, 0, sizeof k);
	kernel_probe_files(&k, root);
	CHECK_EQ_STR(degraded(&k), "landlock,seccomp-notify,cgroup,fuse");
	strbuf_init(&sb, buf, sizeof buf);
	kernel_status(&k, &sb);
	CHECK_EQ_STR(buf, "landlock_abi=0\nseccomp_notify=no\nseccomp_flags=-\ncgroup=none\nfuse=no\n"
	                  "degraded=landlock,seccomp-notify,cgroup,fuse\n");
	/* An old ABI and missing notify flags are weaker, not absent. */
	k.landlock_abi = 3;
	k.seccomp_notify = 1;
	CHECK_EQ_STR(degraded(&k), "landlock-abi,seccomp-sync-wakeup,seccomp-wait-killable,cgroup,fuse");
	/* Never probed: unknown, not "none". */
	memset(&k, 0, sizeof k);
	CHECK_EQ_STR(degraded(&k), "unknown");
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

/* The real probe answers without harm; on this kernel it finds Landlock
 * and seccomp notification (said, not asserted: CI kernels differ). */
static int seccomp_mode(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char buf[256];
	int mode = -1;
	while (fp && fgets(buf, sizeof buf, fp))
		sscanf(buf, "Seccomp: %d", &mode);
	if (fp)
		fclose(fp);
	return mode;
}

TEST(real_probe)
{
	struct kernel k;
	char line[512];
	int mode = seccomp_mode();
	kernel_probe(&k);
	CHECK_EQ_INT(k.probed, 1);
	CHECK(k.landlock_abi >= 0);
	CHECK(!k.seccomp_sync_wakeup || k.seccomp_notify);
	kernel_describe(&k, line, sizeof line);
	printf("#   %s\n", line);
	/* The probe installed nothing on us (the child did, on itself). */
	CHECK(mode >= 0);
	CHECK_EQ_INT(seccomp_mode(), mode);
}

int main(void)
{
	RUN(cgroup_v1_hybrid);
	RUN(cgroup_v2_delegated);
	RUN(cgroup_none);
	RUN(real_probe);
	return test_done();
}
