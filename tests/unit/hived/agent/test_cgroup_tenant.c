/*
 * test_cgroup_tenant.c — CPU shares by tenant: cgroup_tenant_weight
 * writes the tenant group's cpu.weight (v2) or cpu.shares (v1) on fake
 * trees, refuses what it must, and on this machine (as root) two tenants
 * of weights 100 and 300, each running one CPU-bound agent, both pinned
 * to one CPU, get 25% and 75% of it (+- 5 points), as their cgroups count.
 */
#include "hived/agent/cgroup.h"
#include "test.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_fixture.h"

/* The hive's subtree below the fake root, from the describe line. */
static void subtree(struct cgroup_mgr *m, char *out, size_t cap)
{
	char d[2048];
	cgroup_mgr_describe(m, d, sizeof d);
	const char *p = strstr(d, " below /");
	snprintf(out, cap, "%s", p ? p + 8 : "?");
}

TEST(v2_tenant_weight)
{
	struct cgroup_mgr *m;
	struct cgroup_agent *a;
	struct err e = { 0 };
	char sub[2048];

	fake_root();
	put("30 1 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "proc/self/mountinfo");
	put("0::/hived.service\n", "proc/self/cgroup");
	put("cpu memory pids\n", "sys/fs/cgroup/hived.service/cgroup.subtree_control");
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/s", &e), 0);
	CHECK_EQ_INT(cgroup_mgr_mode(m), CGROUP_MODE_V2);
	subtree(m, sub, sizeof sub);
	/* No agent yet: no group to weigh. */
	CHECK_EQ_INT(cgroup_tenant_weight(m, "lab", 300, &e), -ENOENT);
	CHECK_EQ_INT(cgroup_agent_make(m, "lab", "a-1", NULL, &a, &e), 0);
	CHECK_EQ_INT(cgroup_tenant_weight(m, "lab", 300, &e), 0);
	CHECK_EQ_STR(get("%s/lab/cpu.weight", sub), "300");
	CHECK_EQ_STR(get("%s/lab/a-1/cpu.weight", sub), ""); /* the agent's own share is untouched */
	CHECK_EQ_INT(cgroup_tenant_weight(m, "lab", 0, &e), -ERANGE);
	CHECK_EQ_INT(cgroup_tenant_weight(m, "lab", HIVE_QUOTA_CPU_WEIGHT_MAX + 1, &e), -ERANGE);
	CHECK_EQ_INT(cgroup_tenant_weight(m, "..", 100, &e), -EINVAL);
	CHECK_EQ_INT(cgroup_tenant_weight(m, "lab/a-1", 100, &e), -EINVAL);
	CHECK_EQ_STR(get("%s/lab/cpu.weight", sub), "300");
	cgroup_agent_free(a);
	cgroup_mgr_free(m);
	rm_root();
}

TEST(v1_tenant_shares)
{
	struct cgroup_mgr *m;
	struct cgroup_agent *a;
	struct err e = { 0 };

	fake_root();
	put("32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
	    "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
	    "proc/self/mountinfo");
	put("4:memory:/\n2:cpu,cpuacct:/\n", "proc/self/cgroup");
	put("", "sys/fs/cgroup/cpu,cpuacct/cgroup.procs");
	put("", "sys/fs/cgroup/memory/cgroup.procs");
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/s", &e), 0);
	CHECK_EQ_INT(cgroup_mgr_mode(m), CGROUP_MODE_V1);
	char d[2048];
	cgroup_mgr_describe(m, d, sizeof d);
	const char *h = strstr(d, "/hive.");
	char name[32];
	snprintf(name, sizeof name, "%.13s", h ? h + 1 : "?");
	CHECK_EQ_INT(cgroup_agent_make(m, "ops", "a-2", NULL, &a, &e), 0);
	CHECK_EQ_INT(cgroup_tenant_weight(m, "ops", 300, &e), 0);
	CHECK_EQ_STR(get("sys/fs/cgroup/cpu,cpuacct/%s/ops/cpu.shares", name), "3072");
	CHECK_EQ_INT(cgroup_tenant_weight(m, "ops", 1, &e), 0);
	CHECK_EQ_STR(get("sys/fs/cgroup/cpu,cpuacct/%s/ops/cpu.shares", name), "10");
	CHECK(!strstr(get("sys/fs/cgroup/memory/%s/ops/cpu.shares", name), "10"));
	cgroup_agent_free(a);
	cgroup_mgr_free(m);
	rm_root();
}

TEST(none_refuses)
{
	struct cgroup_mgr *m;
	struct err e = { 0 };
	fake_root();
	put("", "proc/self/mountinfo");
	put("", "proc/self/cgroup");
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, R, "/s", &e), 0);
	CHECK_EQ_INT(cgroup_mgr_mode(m), CGROUP_MODE_NONE);
	CHECK_EQ_INT(cgroup_tenant_weight(m, "lab", 100, &e), -EOPNOTSUPP);
	CHECK_EQ_INT(cgroup_tenant_weight(NULL, "lab", 100, &e), -EOPNOTSUPP);
	cgroup_mgr_free(m);
	rm_root();
}

/* --- this machine ------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A CPU-bound child in a's groups, pinned to cpu. */
static pid_t spinner(struct cgroup_agent *a, int cpu)
{
	int fds[8], n = cgroup_agent_procs_fds(a, fds, 8);
	CHECK(n >= 1);
	pid_t pid = fork();
	if (pid == 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0)
			_exit(2);
		for (int i = 0; i < n; i++)
			if (write(fds[i], "0", 1) != 1)
				_exit(3);
		for (volatile unsigned long x = 0;; x++)
			;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return pid;
}

TEST(real_cpu_share_by_tenant)
{
	char state[] = "/tmp/hive-cgt-state-XXXXXX";
	struct cgroup_mgr *m;
	struct cgroup_agent *a1 = NULL, *a3 = NULL;
	struct err e = { 0 };
	cpu_set_t mine;

	if (geteuid() != 0) {
		printf("# skip: not root, the CPU share test needs to make groups\n");
		return;
	}
	CHECK(mkdtemp(state) != NULL);
	CHECK_EQ_INT(cgroup_mgr_open(&m, NULL, "", state, &e), 0);
	if (cgroup_mgr_mode(m) == CGROUP_MODE_NONE) {
		printf("# skip: no cgroups usable here (%s)\n", e.msg);
		goto out;
	}
	CHECK_EQ_INT(cgroup_agent_make(m, "light", "a-1", NULL, &a1, &e), 0);
	CHECK_EQ_INT(cgroup_agent_make(m, "heavy", "a-3", NULL, &a3, &e), 0);
	if (!a1 || !a3)
		goto out;
	if (cgroup_tenant_weight(m, "light", 100, &e) == -EOPNOTSUPP) {
		printf("# skip: no cpu controller in use (%s)\n", e.msg);
		goto out;
	}
	CHECK_EQ_INT(cgroup_tenant_weight(m, "heavy", 300, &e), 0);
	/* The last CPU this test may run on: both spinners share it. */
	int cpu = 0;
	CHECK_EQ_INT(sched_getaffinity(0, sizeof mine, &mine), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mine))
			cpu = c;
	pid_t p1 = spinner(a1, cpu), p3 = spinner(a3, cpu);
	struct timespec warm = { 0, 200 * 1000000L }, span = { 2, 0 };
	nanosleep(&warm, NULL);
	struct cgroup_stats s1a, s3a, s1b, s3b;
	double t0 = now_s();
	CHECK_EQ_INT(cgroup_agent_stats(a1, &s1a), 0);
	CHECK_EQ_INT(cgroup_agent_stats(a3, &s3a), 0);
	nanosleep(&span, NULL);
	CHECK_EQ_INT(cgroup_agent_stats(a1, &s1b), 0);
	CHECK_EQ_INT(cgroup_agent_stats(a3, &s3b), 0);
	double wall = now_s() - t0;
	double d1 = (double)(s1b.cpu_usec - s1a.cpu_usec), d3 = (double)(s3b.cpu_usec - s3a.cpu_usec);
	double share1 = d1 + d3 > 0 ? d1 / (d1 + d3) : 0;
	printf("# cpu %d over %.2f s: tenant weight 100 used %.0f ms, weight 300 used %.0f ms: %.1f%% / %.1f%% "
	       "(the pair had %.0f%% of the core)\n",
	       cpu, wall, d1 / 1e3, d3 / 1e3, 100 * share1, 100 * (1 - share1), 100 * (d1 + d3) / (wall * 1e6));
	/* The split is of what the pair got: other work on this shared
	 * machine may take part of the core, from both alike. */
	CHECK(share1 >= 0.20 && share1 <= 0.30);
	CHECK(d1 + d3 > 0.2 * wall * 1e6); /* they really ran: 400 ms is 40000 ticks of CFS accounting */
	CHECK_EQ_INT(cgroup_agent_kill(a1), 0);
	CHECK_EQ_INT(cgroup_agent_kill(a3), 0);
	waitpid(p1, NULL, 0);
	waitpid(p3, NULL, 0);
out:
	cgroup_agent_free(a1);
	cgroup_agent_free(a3);
	cgroup_mgr_free(m);
	rmdir(state);
}

int main(void)
{
	RUN(v2_tenant_weight);
	RUN(v1_tenant_shares);
	RUN(none_refuses);
	RUN(real_cpu_share_by_tenant);
	return test_done();
}
