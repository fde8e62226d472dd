/*
 * kernel.c — probe what the kernel offers the sandbox (see kernel.h).
 *
 * Feature detection by asking the kernel, as the Landlock sample does:
 * the Landlock ABI from landlock_create_ruleset(NULL, 0, VERSION), seccomp
 * notification from SECCOMP_GET_NOTIF_SIZES and GET_ACTION_AVAIL, a filter
 * flag by offering it with no program (EFAULT = known, EINVAL = not), and
 * the listener flag SYNC_WAKE_UP in a child that installs an allow-all
 * filter and exits. Cgroups come from /proc/self/cgroup, /proc/cgroups and
 * the hierarchies under /sys/fs/cgroup; all file paths take a root prefix
 * so the unit test can lay out v1, v2 and cgroup-less systems.
 */
#include "kernel.h"

#include "lib/limits.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Our own constants: distribution headers lag the kernels we run on. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#define KERNEL_LANDLOCK_CREATE_RULESET_VERSION (1u << 0)
#define KERNEL_SECCOMP_GET_NOTIF_SIZES 3u
#define KERNEL_SECCOMP_GET_ACTION_AVAIL 2u
#define KERNEL_SECCOMP_RET_USER_NOTIF 0x7fc00000u
#define KERNEL_SECCOMP_FLAG_NEW_LISTENER (1ul << 3)
#define KERNEL_SECCOMP_FLAG_WAIT_KILLABLE_RECV (1ul << 5)
#define KERNEL_SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, unsigned long long)
#define KERNEL_SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1ul << 0)

/* --- syscalls ------------------------------------------------------------- */

static int probe_landlock(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, KERNEL_LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
}

static int probe_seccomp_notify(void)
{
	struct seccomp_notif_sizes sizes;
	unsigned action = KERNEL_SECCOMP_RET_USER_NOTIF;

	return syscall(SYS_seccomp, KERNEL_SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 &&
	       syscall(SYS_seccomp, KERNEL_SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* The flags are checked before the program is read: a known flag with no
 * program fails EFAULT, an unknown one EINVAL, and nothing is installed. */
static int probe_seccomp_flag(unsigned long flag)
{
	errno = 0;
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL);
	return rc < 0 && errno == EFAULT;
}

/* SYNC_WAKE_UP is a flag of a listener fd, and a listener needs a filter:
 * a child installs an allow-all one on itself, tries the flag, exits. */
static int probe_seccomp_sync_wakeup(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { .len = 1, .filter = &allow };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(2);
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, KERNEL_SECCOMP_FLAG_NEW_LISTENER, &prog);
		if (fd < 0)
			_exit(2);
		_exit(ioctl((int)fd, KERNEL_SECCOMP_IOCTL_NOTIF_SET_FLAGS, KERNEL_SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0
		              ? 0
		              : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* --- files ---------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} kernel_ctrls[] = {
	{ "cpu", KERNEL_CG_CPU },
	{ "memory", KERNEL_CG_MEMORY },
	{ "pids", KERNEL_CG_PIDS },
	{ "freezer", KERNEL_CG_FREEZER },
};
#define KERNEL_NCTRLS (sizeof kernel_ctrls / sizeof kernel_ctrls[0])

static unsigned ctrl_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < KERNEL_NCTRLS; i++)
		if (strlen(kernel_ctrls[i].name) == len && memcmp(kernel_ctrls[i].name, name, len) == 0)
			return kernel_ctrls[i].bit;
	return 0;
}

/* root + the formatted rest into buf; 0, or -1 if it does not fit. */
static int path_of(char *buf, size_t cap, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int path_of(char *buf, size_t cap, const char *root, const char *fmt, ...)
{
	char rest[HIVE_PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rest, sizeof rest, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof rest)
		return -1;
	n = snprintf(buf, cap, "%s%s", root, rest);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* A directory we may make child groups in. */
static int writable_dir(const char *path)
{
	return access(path, W_OK | X_OK) == 0;
}

/* Controllers enabled in /proc/cgroups ("name hierarchy num enabled"); all
 * of ours if the file cannot be read (older kernels list it always). */
static unsigned enabled_ctrls(const char *root)
{
	char path[HIVE_PATH_MAX + 64], line[256], name[64];
	unsigned bits = 0;
	int hier, num, enabled;
	FILE *fp;

	if (path_of(path, sizeof path, root, "/proc/cgroups") < 0 || !(fp = fopen(path, "re")))
		return KERNEL_CG_ALL;
	while (fgets(line, sizeof line, fp))
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &enabled) == 4 && enabled)
			bits |= ctrl_bit(name, strlen(name));
	fclose(fp);
	return bits;
}

/* The v2 controllers offered to our group's children, from its
 * cgroup.controllers. The v2 freezer is core (cgroup.freeze, 5.2), older
 * than any kernel with Landlock, so it comes with the hierarchy. */
static unsigned v2_ctrls(const char *dir)
{
	char path[HIVE_PATH_MAX + 64], words[512];
	unsigned bits = KERNEL_CG_FREEZER;
	FILE *fp;

	if (snprintf(path, sizeof path, "%s/cgroup.controllers", dir) >= (int)sizeof path || !(fp = fopen(path, "re")))
		return 0;
	if (fgets(words, sizeof words, fp))
		for (char *save, *w = strtok_r(words, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
			bits |= ctrl_bit(w, strlen(w));
	fclose(fp);
	return bits;
}

static void probe_cgroup(struct kernel *k, const char *root)
{
	char path[HIVE_PATH_MAX + 64], dir[HIVE_PATH_MAX + 64], line[HIVE_PATH_MAX + 128];
	char v2path[HIVE_PATH_MAX] = "";
	const char *mount = NULL;
	unsigned v1 = 0, v2 = 0, enabled = enabled_ctrls(root);
	int v2_delegated = 0;
	FILE *fp;

	k->cgroup = KERNEL_CGROUP_NONE;
	k->cgroup_ctrls = 0;
	k->cgroup_v2_seen = 0;
	if (path_of(path, sizeof path, root, "/proc/self/cgroup") < 0 || !(fp = fopen(path, "re")))
		return;
	/* "id:controllers:path"; v2 is "0::path". A line too long for the
	 * buffer names a path we could not use anyway: skipped whole. */
	while (fgets(line, sizeof line, fp)) {
		size_t len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			int c;
			while ((c = fgetc(fp)) != EOF && c != '\n')
				;
			continue;
		}
		line[len - 1] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		const char *ctrls = c1 + 1, *cgpath = c2 + 1;
		if (strcmp(line, "0") == 0 && !ctrls[0]) {
			snprintf(v2path, sizeof v2path, "%s", cgpath);
			continue;
		}
		/* A v1 hierarchy: each of our controllers in it counts if its
		 * group directory is ours to make children in. */
		for (const char *w = ctrls; *w;) {
			size_t wl = strcspn(w, ",");
			unsigned bit = ctrl_bit(w, wl);
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(wl < 63 ? wl : 63), w);
			if (bit && (enabled & bit) &&
			    path_of(dir, sizeof dir, root, "/sys/fs/cgroup/%s%s", name, cgpath) == 0 && writable_dir(dir))
				v1 |= bit;
			w += wl;
			if (*w == ',')
				w++;
		}
	}
	fclose(fp);

	/* The v2 hierarchy: all of /sys/fs/cgroup (unified), or beside v1
	 * in /sys/fs/cgroup/unified (hybrid). */
	if (path_of(path, sizeof path, root, "/sys/fs/cgroup/cgroup.controllers") == 0 && exists(path))
		mount = "/sys/fs/cgroup";
	else if (path_of(path, sizeof path, root, "/sys/fs/cgroup/unified/cgroup.controllers") == 0 &&
	         exists(path))
		mount = "/sys/fs/cgroup/unified";
	if (mount && v2path[0] == '/' && path_of(dir, sizeof dir, root, "%s%s", mount, v2path) == 0) {
		k->cgroup_v2_seen = 1;
		if (snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir) < (int)sizeof path &&
		    writable_dir(dir) && access(path, W_OK) == 0) {
			v2_delegated = 1;
			/* /proc/cgroups lists the v1 freezer subsystem, not
			 * v2's core one. */
			v2 = v2_ctrls(dir) & (enabled | KERNEL_CG_FREEZER);
		}
	}

	/* v2 when it is ours and carries the essentials, else v1's writable
	 * controllers, else what v2 has, else nothing (rlimits only). */
	unsigned essential = KERNEL_CG_CPU | KERNEL_CG_MEMORY | KERNEL_CG_PIDS;
	if (v2_delegated && (v2 & essential) == essential) {
		k->cgroup = KERNEL_CGROUP_V2;
		k->cgroup_ctrls = v2;
	} else if (v1) {
		k->cgroup = KERNEL_CGROUP_V1;
		k->cgroup_ctrls = v1;
	} else if (v2_delegated && (v2 & ~KERNEL_CG_FREEZER)) {
		k->cgroup = KERNEL_CGROUP_V2;
		k->cgroup_ctrls = v2;
	}
}

static int probe_fuse(const char *root)
{
	char path[HIVE_PATH_MAX + 64];
	int fd;

	if (path_of(path, sizeof path, root, "/dev/fuse") < 0)
		return 0;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

void kernel_probe_files(struct kernel *k, const char *root)
{
	probe_cgroup(k, root ? root : "");
	k->fuse = probe_fuse(root ? root : "");
	k->probed = 1;
}

void kernel_probe(struct kernel *k)
{
	memset(k, 0, sizeof *k);
	k->landlock_abi = probe_landlock();
	k->seccomp_notify = probe_seccomp_notify();
	if (k->seccomp_notify) {
		k->seccomp_wait_killable =
			probe_seccomp_flag(KERNEL_SECCOMP_FLAG_NEW_LISTENER | KERNEL_SECCOMP_FLAG_WAIT_KILLABLE_RECV);
		k->seccomp_sync_wakeup = probe_seccomp_sync_wakeup();
	}
	kernel_probe_files(k, "");
}

/* --- reports -------------------------------------------------------------- */

/* Append one word to a comma list. */
static void list_add(struct strbuf *sb, const char *word)
{
	strbuf_printf(sb, "%s%s", sb->len ? "," : "", word);
}

void kernel_degraded(const struct kernel *k, char *buf, size_t cap)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, cap);
	if (!k->probed) {
		strbuf_printf(&sb, "unknown");
		return;
	}
	if (!k->landlock_abi)
		list_add(&sb, "landlock");
	else if (k->landlock_abi < KERNEL_LANDLOCK_ABI_WANT)
		list_add(&sb, "landlock-abi");
	if (!k->seccomp_notify)
		list_add(&sb, "seccomp-notify");
	if (k->seccomp_notify && !k->seccomp_sync_wakeup)
		list_add(&sb, "seccomp-sync-wakeup");
	if (k->seccomp_notify && !k->seccomp_wait_killable)
		list_add(&sb, "seccomp-wait-killable");
	if (k->cgroup == KERNEL_CGROUP_NONE)
		list_add(&sb, "cgroup");
	if (k->cgroup == KERNEL_CGROUP_V1)
		list_add(&sb, "cgroup-v2");
	for (size_t i = 0; k->cgroup != KERNEL_CGROUP_NONE && i < KERNEL_NCTRLS; i++) {
		char what[32];
		if (k->cgroup_ctrls & kernel_ctrls[i].bit)
			continue;
		snprintf(what, sizeof what, "cgroup-%s", kernel_ctrls[i].name);
		list_add(&sb, what);
	}
	if (!k->fuse)
		list_add(&sb, "fuse");
	if (!sb.len)
		strbuf_printf(&sb, "none");
}

/* The usable controllers joined by sep ("cpu,memory"), "" if none. */
static void ctrl_list(const struct kernel *k, char *buf, size_t cap, const char *sep)
{
	struct strbuf sb;
	int first = 1;

	strbuf_init(&sb, buf, cap);
	for (size_t i = 0; i < KERNEL_NCTRLS; i++) {
		if (!(k->cgroup_ctrls & kernel_ctrls[i].bit))
			continue;
		strbuf_printf(&sb, "%s%s", first ? "" : sep, kernel_ctrls[i].name);
		first = 0;
	}
}

static const char *cgroup_mode(const struct kernel *k)
{
	switch (k->cgroup) {
	case KERNEL_CGROUP_V2: return "v2";
	case KERNEL_CGROUP_V1: return "v1";
	case KERNEL_CGROUP_NONE: break;
	}
	return "none";
}

void kernel_status(const struct kernel *k, struct strbuf *sb)
{
	char degraded[256], ctrls[64], flags[64];
	struct strbuf fb;

	kernel_degraded(k, degraded, sizeof degraded);
	if (k->probed) {
		strbuf_init(&fb, flags, sizeof flags);
		if (k->seccomp_sync_wakeup)
			list_add(&fb, "sync-wakeup");
		if (k->seccomp_wait_killable)
			list_add(&fb, "wait-killable");
		ctrl_list(k, ctrls, sizeof ctrls, ",");
		strbuf_printf(sb, "landlock_abi=%d\nseccomp_notify=%s\nseccomp_flags=%s\n", k->landlock_abi,
		              k->seccomp_notify ? "yes" : "no", fb.len ? flags : "-");
		if (k->cgroup == KERNEL_CGROUP_NONE)
			strbuf_printf(sb, "cgroup=none\n");
		else
			strbuf_printf(sb, "cgroup=%s(%s)\n", cgroup_mode(k), ctrls);
		strbuf_printf(sb, "fuse=%s\n", k->fuse ? "yes" : "no");
	}
	strbuf_printf(sb, "degraded=%s\n", degraded);
}

void kernel_describe(const struct kernel *k, char *buf, size_t cap)
{
	char degraded[256], ctrls[64];
	struct strbuf sb;

	kernel_degraded(k, degraded, sizeof degraded);
	ctrl_list(k, ctrls, sizeof ctrls, " ");
	strbuf_init(&sb, buf, cap);
	if (k->landlock_abi)
		strbuf_printf(&sb, "Landlock ABI %d", k->landlock_abi);
	else
		strbuf_printf(&sb, "Landlock no");
	strbuf_printf(&sb, ", seccomp notify %s", k->seccomp_notify ? "yes" : "no");
	if (k->seccomp_notify)
		strbuf_printf(&sb, " (sync wake-up %s, wait-killable %s)", k->seccomp_sync_wakeup ? "yes" : "no",
		              k->seccomp_wait_killable ? "yes" : "no");
	if (k->cgroup == KERNEL_CGROUP_NONE)
		strbuf_printf(&sb, ", cgroup none (rlimits only%s)", k->cgroup_v2_seen ? "; v2 not delegated" : "");
	else
		strbuf_printf(&sb, ", cgroup %s (%s%s)", cgroup_mode(k), ctrls,
		              k->cgroup == KERNEL_CGROUP_V1 ? "; no delegated v2" : "");
	strbuf_printf(&sb, ", FUSE %s -- degraded: %s", k->fuse ? "yes" : "no", degraded);
}
