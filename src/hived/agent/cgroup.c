/*
 * cgroup.c — agents' resource bounds (see cgroup.h).
 *
 * Where: /proc/self/mountinfo names each hierarchy's mount (and the part
 * of the hierarchy it shows), /proc/self/cgroup names hived's own group in
 * it; the hive's subtree is <own>/hive.<8 hex of BLAKE3(state dir)> and
 * an agent's group <subtree>/<tenant>/<aid>, in every hierarchy used. v2
 * is used when hived's own group hands cpu, memory and pids to its
 * children (cgroup.subtree_control) and is writable; else one v1
 * hierarchy per controller (cpu, memory, pids, freezer; cpuacct for CPU
 * time); else none. Nothing is ever made at a hierarchy's root or above
 * hived's own group: every path is built from <own> downward, and names
 * that could climb (".", "..", "/") are refused.
 *
 * Files are written with O_CREAT so a fake tree of plain files (the unit
 * test) behaves as cgroupfs does; on cgroupfs every file we write exists.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hived/core/kernel.h"
#include "lib/blake3.h"

/* cpuacct is not one of the bounds (kernel.h), only where v1 keeps CPU time. */
#define CG_CPUACCT (1u << 4)
/* Hierarchies used at most: cpu, cpuacct, memory, pids, freezer apart. */
#define CG_HIER_MAX 5u
/* A directory path: root + mount point + own group + our names. */
#define CG_DIR_MAX (3u * HIVE_PATH_MAX)
/* "<tenant>/<aid>" */
#define CG_REL_MAX (HIVE_MANIFEST_NAME_MAX + 1u + HIVE_AID_MAX + 1u)

static const struct {
	const char *name;
	unsigned bit;
} cg_ctrls[] = {
	{ "cpu", KERNEL_CG_CPU },   { "cpuacct", CG_CPUACCT },         { "memory", KERNEL_CG_MEMORY },
	{ "pids", KERNEL_CG_PIDS }, { "freezer", KERNEL_CG_FREEZER },
};
#define CG_NCTRLS (sizeof cg_ctrls / sizeof cg_ctrls[0])

struct cg_hier {
	unsigned ctrls;           /* KERNEL_CG_* and CG_CPUACCT bits */
	const char *key;          /* v1: a controller /proc/<pid>/cgroup lists it by; v2: NULL */
	char prefix[HIVE_PATH_MAX + 32]; /* "<own>/hive.x/" as /proc/<pid>/cgroup writes it */
	char dir[CG_DIR_MAX];     /* the hive's subtree on disk */
};

struct cgroup_mgr {
	enum cgroup_mode mode;
	char name[16]; /* "hive.0123abcd" */
	char root[HIVE_PATH_MAX];
	struct cg_hier h[CG_HIER_MAX];
	size_t nh;
	uint32_t reaped_agents, reaped_procs;
	char note[160];
};

struct cgroup_agent {
	struct cgroup_mgr *m;    /* NULL: the stub of mode none */
	char rel[CG_REL_MAX];    /* "<tenant>/<aid>" */
	size_t tenant_len;
};

/* --- files ---------------------------------------------------------------- */

static int cg_path(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cg_path(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* <hier dir>[/rel] into buf. */
static int cg_dir(const struct cg_hier *h, const char *rel, char *buf, size_t cap)
{
	return rel && rel[0] ? cg_path(buf, cap, "%s/%s", h->dir, rel) : cg_path(buf, cap, "%s", h->dir);
}

static int cg_write(const char *dir, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cg_write(const char *dir, const char *file, const char *fmt, ...)
{
	char path[CG_DIR_MAX + 64], text[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof text || cg_path(path, sizeof path, "%s/%s", dir, file) < 0)
		return -ENAMETOOLONG;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, text, (size_t)n);
	int rc = w == n ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

/* Read a whole small file into buf (NUL-terminated); bytes read or -errno. */
static ssize_t cg_read(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	while (got + 1 < cap) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* The first number of dir/file, or after `key ` in it. */
static int cg_read_u64(const char *dir, const char *file, const char *key, uint64_t *out)
{
	char path[CG_DIR_MAX + 64], text[1024];
	if (cg_path(path, sizeof path, "%s/%s", dir, file) < 0)
		return -ENAMETOOLONG;
	ssize_t n = cg_read(path, text, sizeof text);
	if (n < 0)
		return (int)n;
	const char *p = text;
	if (key) {
		size_t kl = strlen(key);
		for (p = text; p && !(strncmp(p, key, kl) == 0 && p[kl] == ' '); p = strchr(p, '\n'), p = p ? p + 1 : p)
			;
		if (!p)
			return -ENOENT;
		p += kl + 1;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (end == p || errno)
		return -EINVAL;
	*out = v;
	return 0;
}

/* rmdir; a directory that is not cgroupfs (a fake tree) holds plain files
 * rmdir will not remove, so those go first. On cgroupfs rmdir never says
 * ENOTEMPTY for files (it says EBUSY for children and members). */
static int cg_rmdir(const char *dir)
{
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	if (errno != ENOTEMPTY && errno != EEXIST)
		return -errno;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_type == DT_REG)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(dir) == 0 ? 0 : -errno;
}

/* A name we make a group of: never one that climbs or is empty. */
static int cg_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (!n || n > max || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* --- finding the hierarchies ------------------------------------------------ */

static unsigned cg_ctrl_bits(const char *list)
{
	unsigned bits = 0;
	for (const char *w = list; *w;) {
		size_t wl = strcspn(w, ",");
		for (size_t i = 0; i < CG_NCTRLS; i++)
			if (strlen(cg_ctrls[i].name) == wl && memcmp(cg_ctrls[i].name, w, wl) == 0)
				bits |= cg_ctrls[i].bit;
		w += wl;
		if (*w == ',')
			w++;
	}
	return bits;
}

static const char *cg_first_ctrl(unsigned bits)
{
	for (size_t i = 0; i < CG_NCTRLS; i++)
		if (bits & cg_ctrls[i].bit)
			return cg_ctrls[i].name;
	return NULL;
}

/* Does the comma list contain word? */
static int cg_list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *w = list; *w;) {
		size_t l = strcspn(w, ",");
		if (l == wl && memcmp(w, word, wl) == 0)
			return 1;
		w += l;
		if (*w == ',')
			w++;
	}
	return 0;
}

/* A path with no "." or ".." element: what the kernel writes for a group. */
static int cg_path_plain(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *s = p; *s;) {
		s += strspn(s, "/");
		size_t l = strcspn(s, "/");
		if ((l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += l;
	}
	return 1;
}

/* hived's group in the hierarchy whose /proc/self/cgroup line is matched by
 * key (a v1 controller) or, key NULL, the v2 line "0::path". */
static int cg_own(const char *root, const char *key, char *own, size_t cap)
{
	char path[HIVE_PATH_MAX + 64], line[HIVE_PATH_MAX + 128];
	int found = 0;
	if (cg_path(path, sizeof path, "%s/proc/self/cgroup", root) < 0)
		return 0;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return 0;
	while (!found && fgets(line, sizeof line, fp)) {
		size_t len = strlen(line);
		if (!len || line[len - 1] != '\n')
			break; /* a path too long to use: distrust the file */
		line[len - 1] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		int match = key ? cg_list_has(c1 + 1, key) : strcmp(line, "0") == 0 && !c1[1];
		if (match && cg_path_plain(c2 + 1) && strlen(c2 + 1) < cap) {
			snprintf(own, cap, "%s", c2 + 1);
			found = 1;
		}
	}
	fclose(fp);
	return found;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void cg_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The directory of own (a group path from /proc/self/cgroup) under a mount
 * of mnt_root at mnt_point; -ENOENT when the mount does not show it. */
static int cg_own_dir(const char *root, const char *mnt_point, const char *mnt_root, const char *own,
                      char *out, size_t cap)
{
	size_t rl = strcmp(mnt_root, "/") == 0 ? 0 : strlen(mnt_root);
	if (rl && (strncmp(own, mnt_root, rl) != 0 || (own[rl] && own[rl] != '/')))
		return -ENOENT;
	const char *rest = own + rl;
	if (strcmp(rest, "/") == 0)
		rest = "";
	return cg_path(out, cap, "%s%s%s", root, mnt_point, rest);
}

/* Does dir's cgroup.subtree_control hand cpu, memory and pids down? */
static int cg_v2_delegated(const char *dir)
{
	char path[CG_DIR_MAX + 64], text[512];
	if (cg_path(path, sizeof path, "%s/cgroup.subtree_control", dir) < 0 || access(dir, W_OK | X_OK) < 0 ||
	    cg_read(path, text, sizeof text) < 0)
		return 0;
	int have = 0;
	for (char *save, *w = strtok_r(text, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		have |= strcmp(w, "cpu") == 0 ? 1 : strcmp(w, "memory") == 0 ? 2 : strcmp(w, "pids") == 0 ? 4 : 0;
	return have == 7;
}

/* h for the hierarchy where hived is in own, shown at owndir. */
static int cg_hier_make(struct cg_hier *h, const char *name, unsigned ctrls, const char *key, const char *own,
                        const char *owndir)
{
	if (cg_path(h->prefix, sizeof h->prefix, "%s/%s/", strcmp(own, "/") == 0 ? "" : own, name) < 0 ||
	    cg_path(h->dir, sizeof h->dir, "%s/%s", owndir, name) < 0)
		return -ENAMETOOLONG;
	h->ctrls = ctrls;
	h->key = key;
	return 0;
}

/* Read the mounts: the v2 hierarchy if delegated, else the v1 ones. */
static void cg_find(struct cgroup_mgr *m)
{
	char path[HIVE_PATH_MAX + 64], line[3 * HIVE_PATH_MAX];
	char own[HIVE_PATH_MAX], owndir[CG_DIR_MAX];
	struct cg_hier v2h;
	unsigned seen = 0;
	int v2 = 0;

	m->nh = 0;
	if (cg_path(path, sizeof path, "%s/proc/self/mountinfo", m->root) < 0)
		return;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return;
	while (fgets(line, sizeof line, fp)) {
		/* "id parent maj:min root point opts [optional...] - fstype source superopts" */
		char *f[5] = { 0 }, *save = NULL, *sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		char *tail = sep + 3;
		int nf = 0;
		for (char *w = strtok_r(line, " ", &save); w && nf < 5; w = strtok_r(NULL, " ", &save))
			f[nf++] = w;
		char *fstype = strtok_r(tail, " \n", &save), *src = strtok_r(NULL, " \n", &save);
		char *super = strtok_r(NULL, " \n", &save);
		if (nf < 5 || !fstype || !src)
			continue;
		cg_unescape(f[3]);
		cg_unescape(f[4]);
		if (strcmp(fstype, "cgroup2") == 0 && !v2) {
			v2 = cg_own(m->root, NULL, own, sizeof own) &&
			     cg_own_dir(m->root, f[4], f[3], own, owndir, sizeof owndir) == 0 && cg_v2_delegated(owndir) &&
			     cg_hier_make(&v2h, m->name, KERNEL_CG_CPU | KERNEL_CG_MEMORY | KERNEL_CG_PIDS | KERNEL_CG_FREEZER,
			                  NULL, own, owndir) == 0;
		} else if (strcmp(fstype, "cgroup") == 0 && super) {
			/* A hierarchy mounted twice counts once. */
			unsigned bits = cg_ctrl_bits(super);
			const char *key = cg_first_ctrl(bits);
			if (!key || (bits & seen) || m->nh >= CG_HIER_MAX || !cg_own(m->root, key, own, sizeof own) ||
			    cg_own_dir(m->root, f[4], f[3], own, owndir, sizeof owndir) < 0 ||
			    access(owndir, W_OK | X_OK) < 0 || cg_hier_make(&m->h[m->nh], m->name, bits, key, own, owndir) < 0)
				continue;
			m->nh++;
			seen |= bits;
		}
	}
	fclose(fp);
	if (v2) {
		m->h[0] = v2h;
		m->nh = 1;
		m->mode = CGROUP_MODE_V2;
	} else if (m->nh) {
		m->mode = CGROUP_MODE_V1;
	}
}

/* The hierarchy holding controller bit, or NULL. */
static const struct cg_hier *cg_hier_of(const struct cgroup_mgr *m, unsigned bit)
{
	for (size_t i = 0; m && i < m->nh; i++)
		if (m->h[i].ctrls & bit)
			return &m->h[i];
	return NULL;
}

static unsigned cg_bound_ctrls(const struct cgroup_mgr *m)
{
	unsigned bits = 0;
	for (size_t i = 0; m && i < m->nh; i++)
		bits |= m->h[i].ctrls;
	return bits & KERNEL_CG_ALL;
}

/* --- killing a group ---------------------------------------------------- */

static void cg_pause(void)
{
	struct timespec ts = { 0, (long)HIVE_CGROUP_KILL_PAUSE_US * 1000L };
	nanosleep(&ts, NULL);
}

static int cg_freeze_rel(const struct cgroup_mgr *m, const char *rel, int frozen)
{
	char dir[CG_DIR_MAX];
	const struct cg_hier *h = cg_hier_of(m, KERNEL_CG_FREEZER);
	if (!h)
		return -EOPNOTSUPP;
	if (cg_dir(h, rel, dir, sizeof dir) < 0)
		return -ENAMETOOLONG;
	if (m->mode == CGROUP_MODE_V2)
		return cg_write(dir, "cgroup.freeze", "%d", frozen ? 1 : 0);
	return cg_write(dir, "freezer.state", "%s", frozen ? "FROZEN" : "THAWED");
}

/* SIGKILL every pid of dir/cgroup.procs; how many were listed, or -errno. */
static int cg_kill_listed(const char *dir, uint32_t *killed)
{
	char path[CG_DIR_MAX + 32];
	if (cg_path(path, sizeof path, "%s/cgroup.procs", dir) < 0)
		return -ENAMETOOLONG;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return errno == ENOENT ? 0 : -errno;
	int n = 0;
	long long pid;
	/* Only positive pids: a group file never lists 0 or -1, and kill()
	 * must never be handed one (a fake tree could say anything). */
	while (fscanf(fp, "%lld", &pid) == 1) {
		if (pid <= 0 || pid > 0x3fffffff)
			continue;
		n++;
		if (kill((pid_t)pid, SIGKILL) == 0 && killed)
			(*killed)++;
	}
	fclose(fp);
	return n;
}

/* v2: is the group (and all below it) empty? */
static int cg_v2_empty(const char *dir)
{
	char path[CG_DIR_MAX + 32], text[256];
	if (cg_path(path, sizeof path, "%s/cgroup.events", dir) < 0 || cg_read(path, text, sizeof text) < 0)
		return 1; /* gone */
	const char *p = strstr(text, "populated ");
	return !p || p[10] != '1';
}

/* v1: does any hierarchy list a member of rel? */
static int cg_v1_populated(const struct cgroup_mgr *m, const char *rel)
{
	char dir[CG_DIR_MAX], path[CG_DIR_MAX + 32], text[16];
	for (size_t i = 0; i < m->nh; i++)
		if (cg_dir(&m->h[i], rel, dir, sizeof dir) == 0 &&
		    cg_path(path, sizeof path, "%s/cgroup.procs", dir) == 0 && cg_read(path, text, sizeof text) > 0)
			return 1;
	return 0;
}

/*
 * Kill every process of the group rel ("" is the hive's subtree itself,
 * for a sweep). v2: cgroup.kill, then wait for it to empty. v1: while
 * frozen the listed pids can neither fork nor exit (so none is reused
 * under us); the SIGKILLs wait for the thaw. Rounds repeat what a
 * process forked between them left.
 */
static int cg_kill_rel(const struct cgroup_mgr *m, const char *rel, uint32_t *killed)
{
	char dir[CG_DIR_MAX];
	if (!m || !m->nh)
		return 0;
	if (m->mode == CGROUP_MODE_V2) {
		if (cg_dir(&m->h[0], rel, dir, sizeof dir) < 0)
			return -ENAMETOOLONG;
		if (cg_v2_empty(dir))
			return 0;
		if (killed) {
			char path[CG_DIR_MAX + 32], text[4096];
			if (cg_path(path, sizeof path, "%s/cgroup.procs", dir) == 0 && cg_read(path, text, sizeof text) > 0)
				for (char *p = text; (p = strchr(p, '\n')); p++)
					(*killed)++;
		}
		int rc = cg_write(dir, "cgroup.kill", "1");
		if (rc < 0)
			return rc;
		for (uint32_t r = 0; r < HIVE_CGROUP_KILL_ROUNDS; r++, cg_pause())
			if (cg_v2_empty(dir))
				return 0;
		return -EBUSY;
	}
	for (uint32_t r = 0; r < HIVE_CGROUP_KILL_ROUNDS; r++) {
		int listed = 0;
		/* Usually the agent is gone already: no freeze for nothing. */
		if (!cg_v1_populated(m, rel))
			return 0;
		cg_freeze_rel(m, rel, 1);
		for (size_t i = 0; i < m->nh; i++) {
			if (cg_dir(&m->h[i], rel, dir, sizeof dir) < 0)
				return -ENAMETOOLONG;
			/* Every member is in every hierarchy: count one. */
			int n = cg_kill_listed(dir, i == 0 && r == 0 ? killed : NULL);
			if (n > 0)
				listed += n;
		}
		cg_freeze_rel(m, rel, 0);
		if (!listed)
			return 0;
		cg_pause();
	}
	return -EBUSY;
}

/* Remove rel in every hierarchy (members must be gone). */
static int cg_remove_rel(const struct cgroup_mgr *m, const char *rel)
{
	char dir[CG_DIR_MAX];
	int rc = 0;
	for (size_t i = 0; i < m->nh; i++) {
		if (cg_dir(&m->h[i], rel, dir, sizeof dir) < 0)
			return -ENAMETOOLONG;
		int r = cg_rmdir(dir);
		if (r < 0 && !rc)
			rc = r;
	}
	return rc;
}

/* The subdirectories of dir, one callback each (names checked first). */
static void cg_each_subdir(const char *dir, void (*fn)(struct cgroup_mgr *, const char *, const char *),
                           struct cgroup_mgr *m, const char *parent)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_type != DT_DIR || !cg_name_ok(e->d_name, HIVE_MANIFEST_NAME_MAX))
			continue;
		fn(m, parent, e->d_name);
	}
	closedir(d);
}

/* A leftover agent group <tenant>/<aid>: kill, remove. */
static void cg_sweep_agent(struct cgroup_mgr *m, const char *tenant, const char *aid)
{
	char rel[CG_REL_MAX + HIVE_MANIFEST_NAME_MAX];
	if (cg_path(rel, sizeof rel, "%s/%s", tenant, aid) < 0)
		return;
	cg_kill_rel(m, rel, &m->reaped_procs);
	cg_remove_rel(m, rel);
	m->reaped_agents++;
}

/* A leftover tenant group: its agents, then itself. */
static void cg_sweep_tenant(struct cgroup_mgr *m, const char *unused, const char *tenant)
{
	char dir[CG_DIR_MAX];
	/* Every hierarchy has the same tree; one that lost a group (made
	 * in some, not all, before the crash) is swept through the others. */
	for (size_t i = 0; i < m->nh; i++)
		if (cg_dir(&m->h[i], tenant, dir, sizeof dir) == 0)
			cg_each_subdir(dir, cg_sweep_agent, m, tenant);
	cg_kill_rel(m, tenant, &m->reaped_procs);
	cg_remove_rel(m, tenant);
}

/* Make the hive's subtree in every hierarchy, sweeping what a dead hived
 * left in it. A hierarchy where it cannot be made is dropped. */
static void cg_setup(struct cgroup_mgr *m)
{
	size_t keep = 0;
	for (size_t i = 0; i < m->nh; i++) {
		if (mkdir(m->h[i].dir, 0755) < 0 && errno != EEXIST)
			continue;
		if (m->mode == CGROUP_MODE_V2 && cg_write(m->h[i].dir, "cgroup.subtree_control", "+cpu +memory +pids") < 0) {
			rmdir(m->h[i].dir);
			continue;
		}
		m->h[keep++] = m->h[i];
	}
	m->nh = keep;
	for (size_t i = 0; i < m->nh; i++)
		cg_each_subdir(m->h[i].dir, cg_sweep_tenant, m, "");
	/* Nothing of ours runs in the subtree itself; anything there was left too. */
	cg_kill_rel(m, "", &m->reaped_procs);
	if (m->reaped_agents || m->reaped_procs)
		snprintf(m->note, sizeof m->note,
		         "killed %u processes of %u agents left by a previous hived and removed their cgroups",
		         m->reaped_procs, m->reaped_agents);
}

int cgroup_mgr_open(struct cgroup_mgr **out, const struct kernel *k, const char *root, const char *state_dir,
                    struct err *err)
{
	uint8_t sum[BLAKE3_OUT_LEN];
	struct cgroup_mgr *m = calloc(1, sizeof *m);
	*out = NULL;
	if (!m)
		return err_set(err, ENOMEM, "cgroups: out of memory");
	snprintf(m->root, sizeof m->root, "%s", root ? root : "");
	blake3_hash(state_dir, strlen(state_dir), sum);
	snprintf(m->name, sizeof m->name, "hive.%02x%02x%02x%02x", sum[0], sum[1], sum[2], sum[3]);
	cg_find(m);
	if (!(cg_bound_ctrls(m) & (KERNEL_CG_CPU | KERNEL_CG_MEMORY | KERNEL_CG_PIDS | KERNEL_CG_FREEZER)))
		m->nh = 0;
	if (m->nh)
		cg_setup(m);
	if (!m->nh) {
		m->mode = CGROUP_MODE_NONE;
		err_set(err, EOPNOTSUPP,
		        "cgroups: no delegated v2 group (cpu memory pids in cgroup.subtree_control) and no "
		        "writable v1 hierarchy below hived's own group; agents are bounded by rlimits only");
	}
	*out = m;
	return 0;
}

void cgroup_mgr_free(struct cgroup_mgr *m)
{
	if (!m)
		return;
	/* A clean stop leaves no empty groups behind (live ones stay: rmdir
	 * refuses them). */
	for (size_t i = 0; i < m->nh; i++) {
		DIR *d = opendir(m->h[i].dir);
		char dir[CG_DIR_MAX];
		if (d) {
			for (struct dirent *e; (e = readdir(d));)
				if (e->d_type == DT_DIR && cg_name_ok(e->d_name, HIVE_MANIFEST_NAME_MAX) &&
				    cg_dir(&m->h[i], e->d_name, dir, sizeof dir) == 0)
					rmdir(dir);
			closedir(d);
		}
		cg_rmdir(m->h[i].dir);
	}
	free(m);
}

enum cgroup_mode cgroup_mgr_mode(const struct cgroup_mgr *m)
{
	return m ? m->mode : CGROUP_MODE_NONE;
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	return mode == CGROUP_MODE_V2 ? "v2" : mode == CGROUP_MODE_V1 ? "v1" : "none";
}

void cgroup_mgr_report(const struct cgroup_mgr *m, struct kernel *k)
{
	k->cgroup = !m || m->mode == CGROUP_MODE_NONE ? KERNEL_CGROUP_NONE
	            : m->mode == CGROUP_MODE_V2       ? KERNEL_CGROUP_V2
	                                              : KERNEL_CGROUP_V1;
	k->cgroup_ctrls = cg_bound_ctrls(m);
}

void cgroup_mgr_describe(const struct cgroup_mgr *m, char *buf, size_t cap)
{
	char ctrls[64] = "";
	size_t n = 0;
	unsigned bits = 0;
	for (size_t i = 0; m && i < m->nh; i++)
		bits |= m->h[i].ctrls;
	for (size_t i = 0; i < CG_NCTRLS; i++)
		if (bits & cg_ctrls[i].bit)
			n += (size_t)snprintf(ctrls + n, sizeof ctrls - n, "%s%s", n ? "," : "", cg_ctrls[i].name);
	if (!m || m->mode == CGROUP_MODE_NONE) {
		snprintf(buf, cap, "none (rlimits only)");
		return;
	}
	const struct cg_hier *h = cg_hier_of(m, KERNEL_CG_MEMORY);
	snprintf(buf, cap, "%s (%s) below %s", cgroup_mode_name(m->mode), ctrls, (h ? h : &m->h[0])->dir + strlen(m->root));
}

const char *cgroup_mgr_note(const struct cgroup_mgr *m, uint32_t *agents, uint32_t *procs)
{
	if (agents)
		*agents = m ? m->reaped_agents : 0;
	if (procs)
		*procs = m ? m->reaped_procs : 0;
	return m ? m->note : "";
}

/* --- an agent's group ------------------------------------------------------ */

static int cg_set(struct cgroup_agent *a, const char *key, uint64_t value)
{
	const struct cgroup_mgr *m = a->m;
	int v2 = m->mode == CGROUP_MODE_V2;
	unsigned bit;
	const char *file;
	char text[32];
	if (strcmp(key, "cpu_weight") == 0) {
		if (!value || value > HIVE_QUOTA_CPU_WEIGHT_MAX)
			return -ERANGE;
		bit = KERNEL_CG_CPU;
		file = v2 ? "cpu.weight" : "cpu.shares";
		/* v1 shares: 1024 is v2's 100; the kernel's floor is 2. */
		uint64_t shares = value * 1024u / 100u;
		snprintf(text, sizeof text, "%llu", (unsigned long long)(v2 ? value : shares < 2 ? 2 : shares));
	} else if (strcmp(key, "memory_max") == 0) {
		if (value < HIVE_QUOTA_MEMORY_MIN)
			return -ERANGE;
		bit = KERNEL_CG_MEMORY;
		file = v2 ? "memory.max" : "memory.limit_in_bytes";
		snprintf(text, sizeof text, "%llu", (unsigned long long)value);
	} else if (strcmp(key, "pids_max") == 0) {
		if (!value || value > HIVE_QUOTA_PIDS_MAX)
			return -ERANGE;
		bit = KERNEL_CG_PIDS;
		file = "pids.max";
		snprintf(text, sizeof text, "%llu", (unsigned long long)value);
	} else {
		return -EINVAL;
	}
	const struct cg_hier *h = cg_hier_of(m, bit);
	char dir[CG_DIR_MAX];
	if (!h)
		return -EOPNOTSUPP;
	if (cg_dir(h, a->rel, dir, sizeof dir) < 0)
		return -ENAMETOOLONG;
	return cg_write(dir, file, "%s", text);
}

int cgroup_agent_make(struct cgroup_mgr *m, const char *tenant, const char *aid,
                      const struct manifest_quota *q, struct cgroup_agent **out, struct err *err)
{
	char dir[CG_DIR_MAX];
	size_t made_t = 0, made_a = 0;
	int rc;
	*out = NULL;
	if (!cg_name_ok(tenant, HIVE_MANIFEST_NAME_MAX) || !cg_name_ok(aid, HIVE_AID_MAX))
		return err_set(err, EINVAL, "cgroup: tenant '%.64s' or aid '%.32s' is not a plain name", tenant, aid);
	struct cgroup_agent *a = calloc(1, sizeof *a);
	if (!a)
		return err_set(err, ENOMEM, "cgroup: out of memory");
	if (!m || m->mode == CGROUP_MODE_NONE) {
		*out = a;
		return 0;
	}
	a->m = m;
	snprintf(a->rel, sizeof a->rel, "%s/%s", tenant, aid);
	a->tenant_len = strlen(tenant);
	/* Tenant groups are shared by the tenant's agents: one may exist. */
	for (; made_t < m->nh; made_t++) {
		rc = cg_dir(&m->h[made_t], tenant, dir, sizeof dir);
		if (rc == 0 && mkdir(dir, 0755) < 0 && errno != EEXIST)
			rc = -errno;
		if (rc < 0) {
			err_set(err, -rc, "cgroup: cannot make %s: %s", dir, strerror(-rc));
			goto fail;
		}
		if (m->mode == CGROUP_MODE_V2 && (rc = cg_write(dir, "cgroup.subtree_control", "+cpu +memory +pids")) < 0) {
			made_t++;
			err_set(err, -rc, "cgroup: cannot hand controllers to %s: %s", dir, strerror(-rc));
			goto fail;
		}
	}
	for (; made_a < m->nh; made_a++) {
		rc = cg_dir(&m->h[made_a], a->rel, dir, sizeof dir);
		if (rc == 0 && mkdir(dir, 0755) < 0)
			rc = -errno; /* EEXIST too: AIDs are never reused */
		if (rc < 0) {
			err_set(err, -rc, "cgroup: cannot make %s: %s", dir, strerror(-rc));
			goto fail;
		}
	}
	const struct {
		const char *key;
		uint64_t v, def;
		unsigned bit;
	} bounds[] = {
		{ "cpu_weight", q ? q->cpu_weight : 0, HIVE_AGENT_DEFAULT_CPU_WEIGHT, KERNEL_CG_CPU },
		{ "memory_max", q ? q->memory_max : 0, HIVE_AGENT_DEFAULT_MEMORY_MAX, KERNEL_CG_MEMORY },
		{ "pids_max", q ? q->pids_max : 0, HIVE_AGENT_DEFAULT_PIDS_MAX, KERNEL_CG_PIDS },
	};
	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		uint64_t v = bounds[i].v ? bounds[i].v : bounds[i].def;
		/* A new group's CPU weight is already 100 (shares 1024): a
		 * write saved is ~0.1 ms of every spawn. */
		if (!cg_hier_of(m, bounds[i].bit) || (bounds[i].bit == KERNEL_CG_CPU && v == 100))
			continue;
		rc = cg_set(a, bounds[i].key, v);
		if (rc < 0) {
			err_set(err, -rc, "cgroup: cannot set %s of %s: %s", bounds[i].key, aid, strerror(-rc));
			goto fail;
		}
	}
	*out = a;
	return 0;
fail:
	for (size_t i = 0; i < made_a; i++)
		if (cg_dir(&m->h[i], a->rel, dir, sizeof dir) == 0)
			cg_rmdir(dir);
	for (size_t i = 0; i < made_t; i++)
		if (cg_dir(&m->h[i], tenant, dir, sizeof dir) == 0)
			rmdir(dir); /* only if no other agent of the tenant is there */
	free(a);
	return rc;
}

int cgroup_agent_procs_fds(const struct cgroup_agent *a, int *fds, size_t cap)
{
	char path[CG_DIR_MAX + 32];
	size_t n = 0;
	if (!a || !a->m)
		return 0;
	for (size_t i = 0; i < a->m->nh; i++) {
		int rc = n >= cap ? -ENOBUFS : cg_path(path, sizeof path, "%s/%s/cgroup.procs", a->m->h[i].dir, a->rel);
		int fd = rc < 0 ? -1 : open(path, O_WRONLY | O_CLOEXEC);
		if (rc == 0 && fd < 0)
			rc = -errno;
		if (rc < 0) {
			while (n)
				close(fds[--n]);
			return rc;
		}
		fds[n++] = fd;
	}
	return (int)n;
}

int cgroup_agent_freeze(struct cgroup_agent *a, int frozen, struct err *err)
{
	int rc = a && a->m ? cg_freeze_rel(a->m, a->rel, frozen) : -EOPNOTSUPP;
	if (rc == -EOPNOTSUPP)
		return err_set(err, EOPNOTSUPP, "cgroup: no freezer in use (cgroup mode %s)",
		               cgroup_mode_name(cgroup_mgr_mode(a ? a->m : NULL)));
	if (rc < 0)
		return err_set(err, -rc, "cgroup: cannot %s: %s", frozen ? "freeze" : "thaw", strerror(-rc));
	return 0;
}

int cgroup_agent_kill(struct cgroup_agent *a)
{
	if (!a || !a->m)
		return 0;
	int rc = cg_kill_rel(a->m, a->rel, NULL);
	/* A v1 group killed frozen was thawed by the kill; v2's cgroup.kill
	 * kills frozen members too, but the group stays frozen: thaw it. */
	if (a->m->mode == CGROUP_MODE_V2)
		cg_freeze_rel(a->m, a->rel, 0);
	return rc;
}

int cgroup_agent_set(struct cgroup_agent *a, const char *key, uint64_t value, struct err *err)
{
	if (!a || !a->m)
		return err_set(err, EOPNOTSUPP, "quota: %s cannot be changed live without cgroups", key);
	int rc = cg_set(a, key, value);
	if (rc == -EINVAL)
		return err_set(err, EINVAL, "quota: unknown key %.32s (cpu_weight, memory_max, pids_max)", key);
	if (rc == -ERANGE)
		return err_set(err, ERANGE, "quota: %s=%llu is out of range", key, (unsigned long long)value);
	if (rc == -EOPNOTSUPP)
		return err_set(err, EOPNOTSUPP, "quota: the %s controller is not in use", key);
	if (rc < 0)
		return err_set(err, -rc, "quota: cannot set %s: %s", key, strerror(-rc));
	return 0;
}

int cgroup_tenant_weight(struct cgroup_mgr *m, const char *tenant, uint32_t weight, struct err *err)
{
	struct cgroup_agent t = { .m = m }; /* cg_set on the tenant's group: rel is just the tenant */
	if (!m || m->mode == CGROUP_MODE_NONE)
		return err_set(err, EOPNOTSUPP, "cgroup: no tenant weights without cgroups");
	if (!cg_name_ok(tenant, HIVE_MANIFEST_NAME_MAX))
		return err_set(err, EINVAL, "cgroup: tenant '%.64s' is not a plain name", tenant);
	snprintf(t.rel, sizeof t.rel, "%s", tenant);
	int rc = cg_set(&t, "cpu_weight", weight);
	if (rc < 0)
		return err_set(err, -rc, "cgroup: cannot set the cpu weight of tenant %s to %u: %s", tenant, weight,
		               strerror(-rc));
	return 0;
}

int cgroup_agent_stats(const struct cgroup_agent *a, struct cgroup_stats *st)
{
	char dir[CG_DIR_MAX];
	const struct cg_hier *h;
	memset(st, 0, sizeof *st);
	if (!a || !a->m)
		return -EOPNOTSUPP;
	const struct cgroup_mgr *m = a->m;
	int v2 = m->mode == CGROUP_MODE_V2;
	if ((h = cg_hier_of(m, v2 ? KERNEL_CG_CPU : CG_CPUACCT)) && cg_dir(h, a->rel, dir, sizeof dir) == 0) {
		uint64_t v = 0;
		if (v2 ? cg_read_u64(dir, "cpu.stat", "usage_usec", &v) == 0 : cg_read_u64(dir, "cpuacct.usage", NULL, &v) == 0)
			st->cpu_usec = v2 ? v : v / 1000u;
	}
	if ((h = cg_hier_of(m, KERNEL_CG_MEMORY)) && cg_dir(h, a->rel, dir, sizeof dir) == 0)
		cg_read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes", NULL, &st->memory_bytes);
	if ((h = cg_hier_of(m, KERNEL_CG_PIDS)) && cg_dir(h, a->rel, dir, sizeof dir) == 0)
		cg_read_u64(dir, "pids.current", NULL, &st->pids);
	return 0;
}

void cgroup_agent_free(struct cgroup_agent *a)
{
	if (!a)
		return;
	if (a->m) {
		char tenant[HIVE_MANIFEST_NAME_MAX + 1], dir[CG_DIR_MAX];
		/* The last members may still be on their way out after a kill. */
		for (uint32_t r = 0; cg_remove_rel(a->m, a->rel) == -EBUSY && r < HIVE_CGROUP_KILL_ROUNDS; r++)
			cg_pause();
		snprintf(tenant, sizeof tenant, "%.*s", (int)a->tenant_len, a->rel);
		for (size_t i = 0; i < a->m->nh; i++)
			if (cg_dir(&a->m->h[i], tenant, dir, sizeof dir) == 0)
				cg_rmdir(dir); /* fails while other agents of the tenant live */
	}
	free(a);
}

int cgroup_mgr_aid_of_pid(const struct cgroup_mgr *m, pid_t pid, char *aid, size_t cap)
{
	char path[HIVE_PATH_MAX + 64], line[HIVE_PATH_MAX + 128], found[HIVE_AID_MAX + 1] = "";
	int rc = 0;
	if (!m || m->mode == CGROUP_MODE_NONE)
		return 0;
	if (pid <= 0 || cg_path(path, sizeof path, "%s/proc/%d/cgroup", m->root, (int)pid) < 0)
		return -EINVAL;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return errno == ENOENT ? -ESRCH : -errno;
	while (rc >= 0 && fgets(line, sizeof line, fp)) {
		size_t len = strlen(line);
		if (!len || line[len - 1] != '\n') {
			rc = -EPERM; /* a path too long for us: cannot say it is not an agent's */
			break;
		}
		line[len - 1] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		const char *cg = c2 + 1;
		for (size_t i = 0; i < m->nh; i++) {
			const struct cg_hier *h = &m->h[i];
			int match = h->key ? cg_list_has(c1 + 1, h->key) : strcmp(line, "0") == 0 && !c1[1];
			size_t pl = strlen(h->prefix);
			if (!match)
				continue;
			/* The subtree itself ("<own>/hive.x") or anything below it. */
			if (strncmp(cg, h->prefix, pl - 1) != 0 || (cg[pl - 1] && cg[pl - 1] != '/'))
				continue;
			const char *rest = cg[pl - 1] ? cg + pl : "";
			const char *slash = strchr(rest, '/');
			const char *a = slash ? slash + 1 : NULL;
			size_t al = a ? strcspn(a, "/") : 0;
			char name[HIVE_AID_MAX + 1];
			if (!a || !al || al > HIVE_AID_MAX || a[al]) {
				rc = -EPERM; /* in the hive's subtree, not in an agent's group */
				break;
			}
			snprintf(name, sizeof name, "%.*s", (int)al, a);
			if (found[0] && strcmp(found, name) != 0) {
				rc = -EPERM;
				break;
			}
			snprintf(found, sizeof found, "%s", name);
			rc = 1;
		}
	}
	fclose(fp);
	if (rc == 1) {
		if (strlen(found) >= cap)
			return -ENAMETOOLONG;
		snprintf(aid, cap, "%s", found);
	}
	return rc;
}
