/*
 * kernel.h — what the running kernel offers the agent sandbox, probed once
 * at start: the Landlock ABI, seccomp user notification and its flags,
 * cgroup v2 delegation or v1 controllers, and FUSE.
 *
 * Nothing silent (DESIGN.md §7): whatever is missing or weaker than the
 * best case is named in `degraded`, said once on stderr at start and
 * served in /proc/status. The probe only asks: it installs no filter and
 * no ruleset on hived (the one seccomp flag that needs a listener fd is
 * tried in a short-lived child).
 */
#ifndef HIVE_KERNEL_H
#define HIVE_KERNEL_H

#include <stddef.h>

struct strbuf;

/* The Landlock ABI the sandbox is built for: 6 scopes signals and abstract
 * Unix sockets (DESIGN.md §4). An older ABI is reported as degraded. */
#define KERNEL_LANDLOCK_ABI_WANT 6

/* The cgroup controllers the sandbox uses (DESIGN.md §4), as bits. */
enum kernel_cgroup_ctrl {
	KERNEL_CG_CPU = 1u << 0,
	KERNEL_CG_MEMORY = 1u << 1,
	KERNEL_CG_PIDS = 1u << 2,
	KERNEL_CG_FREEZER = 1u << 3,
	KERNEL_CG_ALL = (1u << 4) - 1,
};

/* How agents' resources can be bounded: a delegated cgroup v2 subtree
 * (best), writable v1 hierarchies, or neither (rlimits only). */
enum kernel_cgroup { KERNEL_CGROUP_NONE, KERNEL_CGROUP_V1, KERNEL_CGROUP_V2 };

struct kernel {
	int probed;                  /* 0: never probed, nothing is known */
	int landlock_abi;            /* 0 = no Landlock (absent or disabled) */
	int seccomp_notify;          /* SECCOMP_RET_USER_NOTIF listeners work */
	int seccomp_sync_wakeup;     /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6) */
	int seccomp_wait_killable;   /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19) */
	enum kernel_cgroup cgroup;   /* the mode agents will get */
	unsigned cgroup_ctrls;       /* enum kernel_cgroup_ctrl bits usable in that mode */
	int cgroup_v2_seen;          /* a v2 hierarchy is mounted (delegated or not) */
	int fuse;                    /* /dev/fuse opens read-write */
};

/* Probe the running kernel: the syscalls, then the files below "/". */
void kernel_probe(struct kernel *k);
/* The file part alone (cgroups, FUSE) with root in front of every /proc,
 * /sys and /dev path, so a test can lay out fake trees; "" is the real
 * system. Leaves the syscall fields as they are. */
void kernel_probe_files(struct kernel *k, const char *root);

/* "none" or a comma list of what is missing or weaker than the best case:
 * landlock, landlock-abi, seccomp-notify, seccomp-sync-wakeup,
 * seccomp-wait-killable, cgroup-v2, cgroup (no cgroups at all),
 * cgroup-cpu|memory|pids|freezer, fuse. */
void kernel_degraded(const struct kernel *k, char *buf, size_t cap);
/* The /proc/status lines: landlock_abi= seccomp_notify= seccomp_flags=
 * cgroup= fuse= degraded=. */
void kernel_status(const struct kernel *k, struct strbuf *sb);
/* One line a person reads at start, without the newline. */
void kernel_describe(const struct kernel *k, char *buf, size_t cap);

#endif
