/*
 * test_cgroup.c — the agents' cgroups: mode, tree, bounds, freeze, kill,
 * removal, the sweep after a hived that died, and "which agent is this
 * pid", on fake v1 and v2 trees (a temp dir laid out like /proc and
 * /sys/fs/cgroup) and on this machine's real v1 hierarchies (as root).
 */
#include "hived/agent/cgroup.h"
#include "hived/core/kernel.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_fixture.h"

/* This machine's shape: cpu and cpuacct apart or together, memory below
 * a group that is not the root, an empty v2 beside. */
static void fake_v1(void)
{
	fake_root();
	put("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
	    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	    "36 31 0:32 / /mnt/again rw,relatime - cgroup cgroup rw,memory\n"
	    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
	    "38 31 0:35 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
	    "39 31 0:36 /svc /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	    "41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime - cgroup2 cgroup2 rw\n",
	    "proc/self/mountinfo");
	put("4:memory:/svc/hived\n2:cpu,cpuacct:/\n6:freezer:/\n5:devices:/\n8:pids:/svc/x\n0::/\n",
	    "proc/self/cgroup");
	put(NULL, "sys/fs/cgroup/cpu,cpuacct");
	put(NULL, "sys/fs/cgroup/memory/svc/hived");
	put(NULL, "sys/fs/cgroup/freezer");
	put(NULL, "sys/fs/cgroup/devices");
	put(NULL, "sys/fs/cgroup/pids/x"); /* the mount shows /svc of the hierarchy */
	put("", "sys/fs/cgroup/uni fied/cgroup.subtree_control");
}

static void hive_name(const char *state, char *out, size_t cap)
{
	struct cgroup_mgr *m;
	struct err e = { 0 };
	char d[2048];
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, state, &e), 0);
	cgroup_mgr_describe(m, d, sizeof d);
	const char *h = strstr(d, "/hive.");
	snprintf(out, cap, "%s", h ? h + 1 : "?");
	cgroup_mgr_free(m);
}

TEST(v1_tree_bounds_freeze)
{
	struct cgroup_mgr *m;
	struct cgroup_agent *a;
	struct err e = { 0 };
	char d[2048], name[64];

	fake_v1();
	hive_name("/var/lib/hive", name, sizeof name);
	CHECK_EQ_INT(strlen(name), 13); /* hive.0123abcd */
	/* The same state dir gets the same name, another one another. */
	char again[64], other[64];
	hive_name("/var/lib/hive", again, sizeof again);
	hive_name("/var/lib/hive2", other, sizeof other);
	CHECK_EQ_STR(again, name);
	CHECK(strcmp(other, name) != 0);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/var/lib/hive", &e), 0);
	CHECK_EQ_INT(cgroup_mgr_mode(m), CGROUP_MODE_V1);
	CHECK_EQ_STR(cgroup_mode_name(cgroup_mgr_mode(m)), "v1");
	cgroup_mgr_describe(m, d, sizeof d);
	CHECK(strstr(d, "v1 (cpu,cpuacct,memory,pids,freezer) below /sys/fs/cgroup/memory/svc/hived/hive.") == d);
	CHECK_EQ_STR(cgroup_mgr_note(m, NULL, NULL), "");
	struct kernel k = { .probed = 1 };
	cgroup_mgr_report(m, &k);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_V1);
	CHECK_EQ_INT(k.cgroup_ctrls, KERNEL_CG_ALL);

	/* Below hived's own group in every hierarchy, never at the root of
	 * one whose own group is not the root, nowhere else. */
	CHECK(has("sys/fs/cgroup/memory/svc/hived/%s", name));
	CHECK(!has("sys/fs/cgroup/memory/%s", name));
	CHECK(has("sys/fs/cgroup/cpu,cpuacct/%s", name));
	CHECK(has("sys/fs/cgroup/freezer/%s", name));
	CHECK(has("sys/fs/cgroup/pids/x/%s", name));
	CHECK(!has("sys/fs/cgroup/devices/%s", name));


	struct manifest_quota q = { .memory_max = 2u << 20 };
	CHECK_EQ_INT(cgroup_agent_make(m, "lab", "a-1", &q, &a, &e), 0);
	CHECK(a != NULL);
	CHECK_EQ_STR(get("sys/fs/cgroup/memory/svc/hived/%s/lab/a-1/memory.limit_in_bytes", name), "2097152");
	CHECK_EQ_STR(get("sys/fs/cgroup/pids/x/%s/lab/a-1/pids.max", name), "256");
	/* Weight 100 is a new group's own (1024 shares): not written. */
	CHECK(!has("sys/fs/cgroup/cpu,cpuacct/%s/lab/a-1/cpu.shares", name));
	CHECK_EQ_INT(cgroup_agent_set(a, "cpu_weight", 1, &e), 0);
	CHECK_EQ_STR(get("sys/fs/cgroup/cpu,cpuacct/%s/lab/a-1/cpu.shares", name), "10");
	CHECK_EQ_INT(cgroup_agent_set(a, "cpu_weight", 0, &e), -ERANGE);
	CHECK_EQ_INT(cgroup_agent_set(a, "memory_max", 1000, &e), -ERANGE);
	CHECK_EQ_INT(cgroup_agent_set(a, "swap", 1, &e), -EINVAL);
	CHECK_EQ_INT(cgroup_agent_set(a, "pids_max", 9, &e), 0);
	CHECK_EQ_STR(get("sys/fs/cgroup/pids/x/%s/lab/a-1/pids.max", name), "9");
	CHECK_EQ_INT(cgroup_agent_freeze(a, 1, &e), 0);
	CHECK_EQ_STR(get("sys/fs/cgroup/freezer/%s/lab/a-1/freezer.state", name), "FROZEN");
	CHECK_EQ_INT(cgroup_agent_freeze(a, 0, &e), 0);
	CHECK_EQ_STR(get("sys/fs/cgroup/freezer/%s/lab/a-1/freezer.state", name), "THAWED");
	put("123456789\n", "sys/fs/cgroup/cpu,cpuacct/%s/lab/a-1/cpuacct.usage", name);
	put("4096\n", "sys/fs/cgroup/memory/svc/hived/%s/lab/a-1/memory.usage_in_bytes", name);
	put("3\n", "sys/fs/cgroup/pids/x/%s/lab/a-1/pids.current", name);
	struct cgroup_stats st;
	CHECK_EQ_INT(cgroup_agent_stats(a, &st), 0);
	CHECK_EQ_INT(st.cpu_usec, 123456);
	CHECK_EQ_INT(st.memory_bytes, 4096);
	CHECK_EQ_INT(st.pids, 3);

	/* Names that could climb out are refused. */
	struct cgroup_agent *bad = NULL;
	CHECK_EQ_INT(cgroup_agent_make(m, "..", "a-2", NULL, &bad, &e), -EINVAL);
	CHECK_EQ_INT(cgroup_agent_make(m, "lab", "x/../..", NULL, &bad, &e), -EINVAL);
	CHECK(bad == NULL);
	/* AIDs are never reused: an existing group is an error. */
	CHECK_EQ_INT(cgroup_agent_make(m, "lab", "a-1", NULL, &bad, &e), -EEXIST);
	CHECK(has("sys/fs/cgroup/memory/svc/hived/%s/lab/a-1", name));

	/* Another agent of the tenant keeps the tenant group. */
	struct cgroup_agent *b;
	CHECK_EQ_INT(cgroup_agent_make(m, "lab", "a-2", NULL, &b, &e), 0);
	cgroup_agent_free(a);
	CHECK(!has("sys/fs/cgroup/memory/svc/hived/%s/lab/a-1", name));
	CHECK(has("sys/fs/cgroup/memory/svc/hived/%s/lab", name));
	cgroup_agent_free(b);
	CHECK(!has("sys/fs/cgroup/memory/svc/hived/%s/lab", name));
	CHECK(!has("sys/fs/cgroup/pids/x/%s/lab", name));
	cgroup_mgr_free(m);
	CHECK(!has("sys/fs/cgroup/memory/svc/hived/%s", name));
	rm_root();
}

TEST(v1_aid_of_pid)
{
	struct cgroup_mgr *m;
	struct err e = { 0 };
	char aid[32], name[64];

	fake_v1();
	hive_name("/s", name, sizeof name);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/s", &e), 0);
	put("", "proc/self/none"); /* keep proc/ */
	char text[512];
	snprintf(text, sizeof text, "4:memory:/svc/hived/%s/lab/a-7\n2:cpu,cpuacct:/%s/lab/a-7\n0::/\n", name, name);
	put(text, "proc/100/cgroup");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 100, aid, sizeof aid), 1);
	CHECK_EQ_STR(aid, "a-7");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 100, aid, 3), -ENAMETOOLONG);
	/* Not in the subtree: hived itself, another hive, a prefix look-alike. */
	put("4:memory:/svc/hived\n2:cpu,cpuacct:/\n", "proc/101/cgroup");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 101, aid, sizeof aid), 0);
	snprintf(text, sizeof text, "4:memory:/svc/hived/%sx/lab/a-7\n6:freezer:/hive.00000000/lab/a-1\n", name);
	put(text, "proc/102/cgroup");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 102, aid, sizeof aid), 0);
	/* In the subtree but not in an agent's group, or two agents: fail closed. */
	snprintf(text, sizeof text, "4:memory:/svc/hived/%s/lab\n", name);
	put(text, "proc/103/cgroup");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 103, aid, sizeof aid), -EPERM);
	snprintf(text, sizeof text, "4:memory:/svc/hived/%s/lab/a-1\n6:freezer:/%s/lab/a-2\n", name, name);
	put(text, "proc/104/cgroup");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 104, aid, sizeof aid), -EPERM);
	snprintf(text, sizeof text, "4:memory:/svc/hived/%s/lab/a-1/deeper\n", name);
	put(text, "proc/105/cgroup");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 105, aid, sizeof aid), -EPERM);
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 999, aid, sizeof aid), -ESRCH);
	cgroup_mgr_free(m);
	rm_root();
}

TEST(v1_sweep_leftovers)
{
	struct cgroup_mgr *m;
	struct err e = { 0 };
	char name[64];
	uint32_t agents = 9, procs = 9;

	fake_v1();
	hive_name("/s", name, sizeof name);
	/* What a hived killed with -9 left: two agents of two tenants. */
	put("", "sys/fs/cgroup/memory/svc/hived/%s/lab/a-3/cgroup.procs", name);
	put("", "sys/fs/cgroup/pids/x/%s/lab/a-3/cgroup.procs", name);
	put("", "sys/fs/cgroup/pids/x/%s/ops/a-4/cgroup.procs", name);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/s", &e), 0);
	CHECK(strstr(cgroup_mgr_note(m, &agents, &procs), "of 2 agents left by a previous hived") != NULL);
	/* Listed once per hierarchy, counted once per agent. */
	CHECK_EQ_INT(agents, 2);
	CHECK_EQ_INT(procs, 0);
	CHECK(!has("sys/fs/cgroup/memory/svc/hived/%s/lab", name));
	CHECK(!has("sys/fs/cgroup/pids/x/%s/ops", name));
	CHECK(has("sys/fs/cgroup/pids/x/%s", name));
	cgroup_mgr_free(m);
	rm_root();
}

TEST(v2_delegated)
{
	struct cgroup_mgr *m;
	struct cgroup_agent *a;
	struct err e = { 0 };
	char name[64], d[2048];

	fake_root();
	put("30 1 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "proc/self/mountinfo");
	put("0::/user.slice/hived.service\n", "proc/self/cgroup");
	put("cpuset cpu io memory pids\n", "sys/fs/cgroup/user.slice/hived.service/cgroup.subtree_control");
	hive_name("/s", name, sizeof name);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/s", &e), 0);
	CHECK_EQ_INT(cgroup_mgr_mode(m), CGROUP_MODE_V2);
	cgroup_mgr_describe(m, d, sizeof d);
	CHECK(strstr(d, "v2 (cpu,memory,pids,freezer) below /sys/fs/cgroup/user.slice/hived.service/hive.") == d);
	CHECK_EQ_STR(get("sys/fs/cgroup/user.slice/hived.service/%s/cgroup.subtree_control", name),
	             "+cpu +memory +pids");
	struct manifest_quota q = { .cpu_weight = 50, .pids_max = 7 };
	CHECK_EQ_INT(cgroup_agent_make(m, "lab", "a-1", &q, &a, &e), 0);
	const char *ad = "sys/fs/cgroup/user.slice/hived.service";
	CHECK_EQ_STR(get("%s/%s/lab/a-1/cpu.weight", ad, name), "50");
	CHECK_EQ_STR(get("%s/%s/lab/a-1/pids.max", ad, name), "7");
	CHECK_EQ_STR(get("%s/%s/lab/a-1/memory.max", ad, name), "536870912");
	CHECK_EQ_STR(get("%s/%s/lab/cgroup.subtree_control", ad, name), "+cpu +memory +pids");
	CHECK_EQ_INT(cgroup_agent_freeze(a, 1, &e), 0);
	CHECK_EQ_STR(get("%s/%s/lab/a-1/cgroup.freeze", ad, name), "1");
	put("populated 1\nfrozen 1\n", "%s/%s/lab/a-1/cgroup.events", ad, name);
	put("usage_usec 77\nuser_usec 70\n", "%s/%s/lab/a-1/cpu.stat", ad, name);
	struct cgroup_stats st;
	CHECK_EQ_INT(cgroup_agent_stats(a, &st), 0);
	CHECK_EQ_INT(st.cpu_usec, 77);
	/* cgroup.kill is written; the fake group never empties: stuck. */
	CHECK_EQ_INT(cgroup_agent_kill(a), -EBUSY);
	CHECK_EQ_STR(get("%s/%s/lab/a-1/cgroup.kill", ad, name), "1");
	CHECK_EQ_STR(get("%s/%s/lab/a-1/cgroup.freeze", ad, name), "0");
	put("populated 0\nfrozen 0\n", "%s/%s/lab/a-1/cgroup.events", ad, name);
	CHECK_EQ_INT(cgroup_agent_kill(a), 0);
	cgroup_agent_free(a);
	CHECK(!has("%s/%s/lab", ad, name));
	char text[256];
	snprintf(text, sizeof text, "0::/user.slice/hived.service/%s/lab/a-1\n", name);
	put(text, "proc/55/cgroup");
	char aid[32];
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, 55, aid, sizeof aid), 1);
	CHECK_EQ_STR(aid, "a-1");
	cgroup_mgr_free(m);
	rm_root();
}

TEST(none_when_nothing_is_ours)
{
	struct cgroup_mgr *m;
	struct cgroup_agent *a;
	struct err e = { 0 };

	fake_root();
	/* v2 not handing pids down, no v1: rlimits only. */
	put("30 1 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "proc/self/mountinfo");
	put("0::/\n", "proc/self/cgroup");
	put("cpu memory\n", "sys/fs/cgroup/cgroup.subtree_control");
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/s", &e), 0);
	CHECK_EQ_INT(cgroup_mgr_mode(m), CGROUP_MODE_NONE);
	CHECK_EQ_INT(e.code, EOPNOTSUPP);
	CHECK(strstr(e.msg, "rlimits") != NULL);
	struct kernel k = { .probed = 1, .cgroup = KERNEL_CGROUP_V2, .cgroup_ctrls = KERNEL_CG_ALL };
	cgroup_mgr_report(m, &k);
	CHECK_EQ_INT(k.cgroup, KERNEL_CGROUP_NONE);
	CHECK_EQ_INT(k.cgroup_ctrls, 0);
	/* The stub takes every call. */
	CHECK_EQ_INT(cgroup_agent_make(m, "lab", "a-1", NULL, &a, &e), 0);
	int fds[4];
	CHECK_EQ_INT(cgroup_agent_procs_fds(a, fds, 4), 0);
	CHECK_EQ_INT(cgroup_agent_kill(a), 0);
	CHECK_EQ_INT(cgroup_agent_freeze(a, 1, &e), -EOPNOTSUPP);
	struct cgroup_stats st;
	CHECK_EQ_INT(cgroup_agent_stats(a, &st), -EOPNOTSUPP);
	char aid[32];
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, getpid(), aid, sizeof aid), 0);
	cgroup_agent_free(a);
	cgroup_mgr_free(m);
	rm_root();
}

/* --- this machine ------------------------------------------------------- */

static int real_ok(void)
{
	if (geteuid() != 0) {
		printf("# skip: not root, the real cgroup tests need to make groups\n");
		return 0;
	}
	if (access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) < 0 ||
	    access("/sys/fs/cgroup/freezer/cgroup.procs", F_OK) < 0) {
		printf("# skip: no v1 memory and freezer hierarchies mounted\n");
		return 0;
	}
	return 1;
}

/* Directory of the agent's memory group, from the describe line. */
static void real_dir(struct cgroup_mgr *m, const char *rel, char *out, size_t cap)
{
	char d[2048];
	cgroup_mgr_describe(m, d, sizeof d);
	const char *p = strstr(d, " below ");
	snprintf(out, cap, "%s/%s", p ? p + 7 : "?", rel);
}

static long read_long(const char *dir, const char *file)
{
	char path[2300];
	long v = -1;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *fp = fopen(path, "r");
	if (fp) {
		if (fscanf(fp, "%ld", &v) != 1)
			v = -1;
		fclose(fp);
	}
	return v;
}

/* The directory of pid's group in the v1 hierarchy of ctrl (mounted at
 * /sys/fs/cgroup/<ctrl>, as here). */
static int proc_group(pid_t pid, const char *ctrl, char *out, size_t cap)
{
	char path[64], line[1200];
	int rc = -1;
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	while (rc < 0 && fgets(line, sizeof line, fp)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (strcmp(c1 + 1, ctrl) != 0)
			continue;
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		snprintf(out, cap, "/sys/fs/cgroup/%s%s", ctrl, c2 + 1);
		rc = 0;
	}
	fclose(fp);
	return rc;
}

static void ms_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A child that joins the agent's groups (as the sandbox's child does) and
 * counts in shared memory. */
static pid_t real_child(struct cgroup_agent *a, volatile unsigned long *ctr)
{
	int fds[8];
	int n = cgroup_agent_procs_fds(a, fds, 8);
	CHECK(n >= 3);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < n; i++)
			if (write(fds[i], "0", 1) != 1)
				_exit(3);
		for (;;) {
			(*ctr)++;
			usleep(1000);
		}
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return pid;
}

TEST(real_v1_agent)
{
	char state[] = "/tmp/hive-cg-state-XXXXXX", dir[2300], aid[32];
	struct cgroup_mgr *m;
	struct cgroup_agent *a;
	struct err e = { 0 };

	if (!real_ok())
		return;
	CHECK(mkdtemp(state) != NULL);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, "", state, &e), 0);
	CHECK_EQ_INT(cgroup_mgr_mode(m), CGROUP_MODE_V1);
	struct manifest_quota q = { .memory_max = 64u << 20, .pids_max = 16 };
	CHECK_EQ_INT(cgroup_agent_make(m, "test", "a-1", &q, &a, &e), 0);
	real_dir(m, "test/a-1", dir, sizeof dir);
	CHECK_EQ_INT(read_long(dir, "memory.limit_in_bytes"), 64l << 20);

	volatile unsigned long *ctr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ctr != MAP_FAILED);
	*ctr = 0;
	pid_t pid = real_child(a, ctr);
	ms_sleep(50);
	CHECK(*ctr > 0);
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, pid, aid, sizeof aid), 1);
	CHECK_EQ_STR(aid, "a-1");
	CHECK_EQ_INT(cgroup_mgr_aid_of_pid(m, getpid(), aid, sizeof aid), 0);
	struct cgroup_stats st;
	CHECK_EQ_INT(cgroup_agent_stats(a, &st), 0);
	CHECK_EQ_INT(st.pids, 1);
	CHECK(st.memory_bytes > 0);

	/* The pids group, found the way the kernel names it for the child. */
	char pdir[2300];
	CHECK(proc_group(pid, "pids", pdir, sizeof pdir) == 0);
	CHECK(strstr(pdir, "/test/a-1") != NULL);
	CHECK_EQ_INT(read_long(pdir, "pids.max"), 16);
	CHECK(proc_group(pid, "memory", pdir, sizeof pdir) == 0);
	CHECK_EQ_STR(pdir, dir);

	/* Frozen, it stops counting; thawed, it goes on. */
	CHECK_EQ_INT(cgroup_agent_freeze(a, 1, &e), 0);
	ms_sleep(100);
	unsigned long frozen_at = *ctr;
	ms_sleep(100);
	CHECK_EQ_INT(*ctr, frozen_at);
	CHECK_EQ_INT(cgroup_agent_freeze(a, 0, &e), 0);
	ms_sleep(100);
	CHECK(*ctr > frozen_at);

	/* Kill empties it (frozen first, so the kill must thaw). */
	CHECK_EQ_INT(cgroup_agent_freeze(a, 1, &e), 0);
	CHECK_EQ_INT(cgroup_agent_kill(a), 0);
	int status = 0;
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cgroup_agent_free(a);
	CHECK(access(dir, F_OK) < 0);
	cgroup_mgr_free(m);
	munmap((void *)ctr, 4096);
	rmdir(state);
}

TEST(real_v1_pids_limit)
{
	char state[] = "/tmp/hive-cg-state-XXXXXX";
	struct cgroup_mgr *m;
	struct cgroup_agent *a;
	struct err e = { 0 };

	if (!real_ok() || access("/sys/fs/cgroup/pids/cgroup.procs", F_OK) < 0)
		return;
	CHECK(mkdtemp(state) != NULL);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, "", state, &e), 0);
	struct manifest_quota q = { .pids_max = 3 };
	CHECK_EQ_INT(cgroup_agent_make(m, "test", "a-2", &q, &a, &e), 0);
	int fds[8], n = cgroup_agent_procs_fds(a, fds, 8);
	CHECK(n >= 3);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < n; i++)
			if (write(fds[i], "0", 1) != 1)
				_exit(3);
		/* Three fit (this one and two children), the fourth is refused. */
		int made = 0;
		for (int i = 0; i < 5; i++) {
			pid_t c = fork();
			if (c == 0) {
				pause();
				_exit(0);
			}
			if (c > 0)
				made++;
			else if (errno != EAGAIN)
				_exit(4);
		}
		_exit(made);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	int status = 0;
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 2);
	/* The two orphans are still in the group: kill finds them. */
	CHECK_EQ_INT(cgroup_agent_kill(a), 0);
	char dir[2300];
	real_dir(m, "test/a-2", dir, sizeof dir);
	cgroup_agent_free(a);
	CHECK(access(dir, F_OK) < 0);
	cgroup_mgr_free(m);
	rmdir(state);
}

TEST(real_v1_leftover_killed_at_next_start)
{
	char state[] = "/tmp/hive-cg-state-XXXXXX", dir[2300];
	struct cgroup_mgr *m;
	struct err e = { 0 };
	int pfd[2];

	if (!real_ok())
		return;
	CHECK(mkdtemp(state) != NULL);
	/* The orphaned agent comes back to us, as it would to init. */
	CHECK_EQ_INT(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	CHECK_EQ_INT(pipe(pfd), 0);
	pid_t hived = fork();
	if (hived == 0) {
		/* A hived that makes an agent and dies without a word. */
		struct cgroup_mgr *hm;
		struct cgroup_agent *ha;
		struct err he = { 0 };
		if (cgroup_mgr_open(&hm, NULL, "", state, &he) < 0 ||
		    cgroup_agent_make(hm, "test", "a-9", NULL, &ha, &he) < 0)
			_exit(2);
		int fds[8], n = cgroup_agent_procs_fds(ha, fds, 8);
		pid_t agent = fork();
		if (agent == 0) {
			for (int i = 0; i < n; i++)
				if (write(fds[i], "0", 1) != 1)
					_exit(3);
			execl("/bin/sleep", "sleep", "60", (char *)NULL);
			_exit(5);
		}
		if (write(pfd[1], &agent, sizeof agent) != sizeof agent)
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	pid_t agent = -1;
	CHECK_EQ_INT(read(pfd[0], &agent, sizeof agent), (long)sizeof agent);
	close(pfd[0]);
	int status = 0;
	CHECK_EQ_INT(waitpid(hived, &status, 0), hived);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ms_sleep(20);
	CHECK_EQ_INT(kill(agent, 0), 0); /* alive, unsupervised */

	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, "", state, &e), 0);
	uint32_t na = 0, np = 0;
	const char *note = cgroup_mgr_note(m, &na, &np);
	printf("# %s\n", note);
	CHECK_EQ_INT(na, 1);
	CHECK_EQ_INT(np, 1);
	CHECK_EQ_INT(waitpid(agent, &status, 0), agent);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	real_dir(m, "test", dir, sizeof dir);
	CHECK(access(dir, F_OK) < 0);
	real_dir(m, "", dir, sizeof dir);
	cgroup_mgr_free(m);
	CHECK(access(dir, F_OK) < 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	rmdir(state);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What a 31-agent workload pays for its groups (a comment, not a bound:
 * the spawn bench owns the goal). */
TEST(real_v1_cost_of_31)
{
	char state[] = "/tmp/hive-cg-state-XXXXXX", aid[16];
	struct cgroup_mgr *m;
	struct cgroup_agent *a[31];
	struct err e = { 0 };

	if (!real_ok())
		return;
	CHECK(mkdtemp(state) != NULL);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, "", state, &e), 0);
	double t0 = now_ms();
	for (int i = 0; i < 31; i++) {
		snprintf(aid, sizeof aid, "a-%d", i + 1);
		CHECK_EQ_INT(cgroup_agent_make(m, "lab", aid, NULL, &a[i], &e), 0);
	}
	double t1 = now_ms();
	for (int i = 0; i < 31; i++) {
		CHECK_EQ_INT(cgroup_agent_kill(a[i]), 0);
		cgroup_agent_free(a[i]);
	}
	double t2 = now_ms();
	printf("# 31 agent groups: make %.2f ms (%.3f ms each), kill+free %.2f ms\n", t1 - t0, (t1 - t0) / 31,
	       t2 - t1);
	cgroup_mgr_free(m);
	rmdir(state);
}

int main(void)
{
	RUN(v1_tree_bounds_freeze);
	RUN(v1_aid_of_pid);
	RUN(v1_sweep_leftovers);
	RUN(v2_delegated);
	RUN(none_when_nothing_is_ours);
	RUN(real_v1_agent);
	RUN(real_v1_pids_limit);
	RUN(real_v1_leftover_killed_at_next_start);
	RUN(real_v1_cost_of_31);
	return test_done();
}
