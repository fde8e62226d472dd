/*
 * spawn.c — spawn from a signed manifest: verify and parse it once,
 * reserve its AIDs on disk before any starts (a crash never hands an AID
 * out twice), build each agent's bundle, environment and temp dir, attest
 * it, and hand the prepared sandbox to sandbox_spawn.
 *
 * A spawn is all-or-nothing per command: if one agent of a workload cannot
 * start, the ones this command already started are killed.
 */
#include "agent_impl.h"
#include "sandbox.h"
#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "lib/blake3.h"
#include "lib/fileio.h"
#include "trust/attest.h"
#include "trust/truststore.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AGENTS_NEXT_FILE "agents.next"

/* --- the AID counter ------------------------------------------------------ */

static int agents_reserve(struct agents *t, uint32_t count, struct err *err)
{
	char path[HIVE_PATH_MAX], text[32];
	int n, rc;

	if (snprintf(path, sizeof path, "%s/%s", t->hive->cfg.state_dir, AGENTS_NEXT_FILE) >= (int)sizeof path)
		return err_set(err, ENAMETOOLONG, "state directory path too long");
	n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)(t->next_num + count));
	rc = fileio_write_atomic(path, text, (size_t)n, 0600);
	if (rc < 0)
		return err_set(err, -rc, "cannot reserve AIDs in %s: %s", path, strerror(-rc));
	return 0;
}

int agents_load_next(struct agents *t, struct err *err)
{
	char path[HIVE_PATH_MAX], text[32], *end;
	ssize_t n;

	if (snprintf(path, sizeof path, "%s/%s", t->hive->cfg.state_dir, AGENTS_NEXT_FILE) >= (int)sizeof path)
		return err_set(err, ENAMETOOLONG, "state directory path too long");
	n = fileio_read_small(path, text, sizeof text);
	if (n == -ENOENT) {
		t->next_num = 1;
		return 0;
	}
	if (n < 0)
		return err_set(err, (int)-n, "cannot read %s: %s", path, strerror((int)-n));
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n') || v == 0 || v > (1ull << 62))
		return err_set(err, EINVAL, "%s: not an AID counter (remove it only if no agent of this hive "
		               "was ever audited: AIDs must never repeat)", path);
	t->next_num = v;
	return 0;
}

/* --- the image ------------------------------------------------------------- */

void agent_image_unref(struct agent_image *img)
{
	if (!img || --img->refs > 0)
		return;
	manifest_free(img->m);
	free(img->bytes);
	free(img);
}

/* Verify path (and its signature) against the trust store and parse it. */
static int image_load(struct hive *hive, const char *path, const char *sig_path, struct agent_image **out,
                      struct err *err)
{
	char sigfile[HIVE_PATH_MAX], sigtext[HIVE_KEY_FILE_MAX];
	struct agent_image *img;
	struct sigkey_pub signer;
	enum trust_verdict v;
	ssize_t n;
	int rc;

	*out = NULL;
	if (path[0] != '/')
		return err_set(err, EINVAL, "spawn: %s: the manifest path must be absolute (the hive does not "
		               "know your working directory)", path);
	if (!sig_path) {
		if (snprintf(sigfile, sizeof sigfile, "%s.sig", path) >= (int)sizeof sigfile)
			return err_set(err, ENAMETOOLONG, "spawn: %s: path too long", path);
		sig_path = sigfile;
	}
	img = calloc(1, sizeof *img);
	if (!img || !(img->bytes = malloc(HIVE_MANIFEST_BYTES_MAX + 1))) {
		free(img);
		return err_set(err, ENOMEM, "spawn: out of memory");
	}
	img->refs = 1;
	n = fileio_read_small(path, img->bytes, HIVE_MANIFEST_BYTES_MAX + 1);
	if (n < 0) {
		rc = err_set(err, (int)-n, "spawn: cannot read %s: %s", path,
		             n == -EFBIG ? "larger than 64 KiB" : strerror((int)-n));
		goto fail;
	}
	img->len = (size_t)n;
	n = fileio_read_small(sig_path, sigtext, sizeof sigtext);
	if (n < 0 && n != -ENOENT) {
		rc = err_set(err, (int)-n, "spawn: cannot read the signature %s: %s", sig_path, strerror((int)-n));
		goto fail;
	}
	v = truststore_verify(hive->cfg.state_dir, img->bytes, img->len, n < 0 ? NULL : sigtext, &signer, err);
	if (v != TRUST_OK) {
		char msg[HIVE_ERRSTR_MAX];
		snprintf(msg, sizeof msg, "%s", err->msg);
		rc = err_set(err, EACCES, "spawn: %s refused (%s): %s", path, trust_verdict_name(v), msg);
		goto fail;
	}
	snprintf(img->signer, sizeof img->signer, "%s", signer.id);
	rc = manifest_parse(img->bytes, img->len, &img->m, err);
	if (rc < 0) {
		char msg[HIVE_ERRSTR_MAX];
		snprintf(msg, sizeof msg, "%s", err->msg);
		err_set(err, -rc, "spawn: %s: %s", path, msg);
		goto fail;
	}
	*out = img;
	return 0;
fail:
	agent_image_unref(img);
	return rc;
}

/* --- the bundle ------------------------------------------------------------- */

static int bundle_add(struct agent *a, const char *text, enum agent_cap_origin origin, struct err *err)
{
	struct cap c;
	int rc;

	if (a->ncaps >= HIVE_AGENT_CAPS_MAX)
		return err_set(err, E2BIG, "more than %u capabilities", HIVE_AGENT_CAPS_MAX);
	rc = agent_cap_parse(&c, text, err);
	if (rc < 0)
		return rc;
	if (agent_cap_find(a, &c) >= 0) {
		cap_clear(&c);
		return 0;
	}
	a->caps[a->ncaps].cap = c;
	a->caps[a->ncaps].origin = origin;
	a->caps[a->ncaps].in_ceiling = 1;
	a->ncaps++;
	return 0;
}

/* The dynamic loader named in the ELF's PT_INTERP, into buf ("" if none). */
static void exe_interp(int fd, char *buf, size_t cap)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	buf[0] = '\0';
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof ph || eh.e_phnum > 64)
		return;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
			return;
		if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz >= cap)
			continue;
		if (pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			buf[0] = '\0';
		buf[ph.p_filesz] = '\0';
		buf[strnlen(buf, ph.p_filesz)] = '\0';
		return;
	}
}

/* The documented base (docs/agents.md): the program itself, its loader,
 * the libraries' directories and locale data read-only, /dev/null, a
 * private temp dir. */
static int bundle_base(struct agent *a, const char *exe, int exe_fd, struct err *err)
{
	/* The loader's and the C library's read-only data: shared objects, their
	 * cache, and the locale files setlocale() reads in every program. */
	static const char *const libdirs[] = { "/lib",         "/lib64",           "/usr/lib",
		                               "/usr/lib64",   "/etc/ld.so.cache", "/etc/locale.alias",
		                               "/usr/share/locale" };
	char text[HIVE_ATTEST_CAP_MAX], interp[HIVE_PATH_MAX];
	int rc;

	snprintf(text, sizeof text, "fs.exec:%.*s", (int)HIVE_PATH_MAX - 1, exe);
	if ((rc = bundle_add(a, text, AGENT_CAP_BASE, err)) < 0)
		return rc;
	exe_interp(exe_fd, interp, sizeof interp);
	if (interp[0] == '/' && cap_path_clean(interp)) {
		snprintf(text, sizeof text, "fs.exec:%s", interp);
		if ((rc = bundle_add(a, text, AGENT_CAP_BASE, err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < sizeof libdirs / sizeof libdirs[0]; i++) {
		if (access(libdirs[i], F_OK) < 0)
			continue;
		snprintf(text, sizeof text, "fs.read:%s", libdirs[i]);
		if ((rc = bundle_add(a, text, AGENT_CAP_BASE, err)) < 0)
			return rc;
	}
	return bundle_add(a, "fs.write:/dev/null", AGENT_CAP_BASE, err);
}

/* --- the environment ------------------------------------------------------- */

struct agent_env {
	char *vec[HIVE_AGENT_ENV_MAX + 1];
	uint32_t n;
};

static void env_free(struct agent_env *e)
{
	for (uint32_t i = 0; i < e->n; i++)
		free(e->vec[i]);
	e->n = 0;
}

static int env_add(struct agent_env *e, const char *name, const char *value)
{
	if (e->n >= HIVE_AGENT_ENV_MAX || strlen(value) > HIVE_AGENT_ENV_VALUE_MAX)
		return 0; /* not kept: said by its absence, never a truncated value */
	if (asprintf(&e->vec[e->n], "%s=%s", name, value) < 0)
		return -ENOMEM;
	e->vec[++e->n] = NULL;
	return 0;
}

/* Names from the allow-list take their value from hived's environment;
 * HOME, TMPDIR, HIVE_AID and HIVE_FD are the hive's. */
static int env_build(struct agent_env *e, const struct agent *a, int has_fd)
{
	const struct manifest_class *c = a->cls;
	char fd[16];
	int rc = 0;

	e->n = 0;
	e->vec[0] = NULL;
	for (uint32_t i = 0; i < c->nenv && rc == 0; i++) {
		const char *v = getenv(c->env[i]);
		if (v && strcmp(c->env[i], "HOME") != 0 && strcmp(c->env[i], "TMPDIR") != 0 &&
		    strncmp(c->env[i], "HIVE_", 5) != 0)
			rc = env_add(e, c->env[i], v);
	}
	if (rc == 0)
		rc = env_add(e, "HOME", c->home ? c->home : a->tmpdir);
	if (rc == 0)
		rc = env_add(e, "TMPDIR", a->tmpdir);
	if (rc == 0)
		rc = env_add(e, "HIVE_AID", a->aid);
	if (rc == 0 && has_fd) {
		snprintf(fd, sizeof fd, "%d", SANDBOX_HIVE_FD);
		rc = env_add(e, "HIVE_FD", fd);
	}
	if (rc == 0 && a->infer_key[0]) { /* an unmodified OpenAI client finds the broker */
		char url[64];
		snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", a->owner->hive->broker_port);
		rc = env_add(e, "OPENAI_BASE_URL", url);
		if (rc == 0)
			rc = env_add(e, "OPENAI_API_KEY", a->infer_key);
	}
	if (rc < 0)
		env_free(e);
	return rc;
}

/* --- the private temp dir ------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void agent_tmpdir_remove(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The parent of the agents' temp dirs: /tmp/hive-<euid>-<8 hex of the
 * state dir>, 0711 and ours. Not in the state dir: that is 0700 (keys),
 * and an agent running as its own uid must reach its temp dir. /tmp is
 * everyone's, so what is there must be a directory we own, not a
 * stranger's or a symlink. */
static int tmpdir_parent(const char *state, char *out, size_t cap, struct err *err)
{
	uint8_t h[4];
	struct blake3 b;
	struct stat st;

	blake3_init(&b);
	blake3_update(&b, state, strlen(state));
	blake3_finalize(&b, h, sizeof h);
	snprintf(out, cap, "/tmp/hive-%u-%02x%02x%02x%02x", (unsigned)geteuid(), h[0], h[1], h[2], h[3]);
	if (mkdir(out, 0711) < 0 && errno != EEXIST)
		return err_set(err, errno, "cannot make %s: %s", out, strerror(errno));
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022))
		return err_set(err, EPERM, "%s is not a directory of uid %u writable only by it: someone else made "
		               "it; remove it and spawn again", out, (unsigned)geteuid());
	return 0;
}

static int tmpdir_make(struct agent *a, struct err *err)
{
	char parent[64];
	int rc = tmpdir_parent(a->owner->hive->cfg.state_dir, parent, sizeof parent, err);

	if (rc < 0)
		return rc;
	snprintf(a->tmpdir, sizeof a->tmpdir, "%s/%s", parent, a->aid);
	agent_tmpdir_remove(a->tmpdir); /* a leftover of a hive that died: never share it */
	if (mkdir(a->tmpdir, 0700) < 0)
		return err_set(err, errno, "cannot make %s: %s", a->tmpdir, strerror(errno));
	if (a->uid != (uid_t)-1 && chown(a->tmpdir, a->uid, a->uid) < 0)
		return err_set(err, errno, "cannot give %s to uid %u: %s", a->tmpdir, (unsigned)a->uid,
		               strerror(errno));
	return 0;
}

/* --- spawn ------------------------------------------------------------------ */

static int agent_attest(struct agent *a, const char *exe, const uint8_t hash[ATTEST_HASH_LEN],
                        const struct principal *by, struct err *err)
{
	struct hive *hive = a->owner->hive;
	struct attest_record r;
	char *caps[HIVE_AGENT_CAPS_MAX], text[HIVE_ATTEST_CAP_MAX];
	size_t ncaps = 0;
	int rc = 0;

	memset(&r, 0, sizeof r);
	snprintf(r.aid, sizeof r.aid, "%s", a->aid);
	memcpy(r.manifest_hash, a->img->m->hash, sizeof r.manifest_hash);
	snprintf(r.manifest_signer, sizeof r.manifest_signer, "%s", a->img->signer);
	if (by && by->subject[0])
		snprintf(r.authorizer, sizeof r.authorizer, "%s:%s", principal_role_name(by->role), by->subject);
	else
		snprintf(r.authorizer, sizeof r.authorizer, "uid:%u", (unsigned)hive->owner_uid);
	snprintf(r.exe_path, sizeof r.exe_path, "%.*s", (int)sizeof r.exe_path - 1, exe);
	memcpy(r.exe_hash, hash, sizeof r.exe_hash);
	r.argv = a->cls->argv;
	r.argc = a->cls->argc;
	for (uint32_t i = 0; i < a->ncaps && rc == 0; i++) {
		if (cap_format(&a->caps[i].cap, text, sizeof text) < 0 || !(caps[ncaps] = strdup(text)))
			rc = err_set(err, ENOMEM, "out of memory");
		else
			ncaps++;
	}
	r.caps = caps;
	r.ncaps = ncaps;
	snprintf(r.enforcement, sizeof r.enforcement, "%s", a->enforcement);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (rc == 0)
		rc = attest_sign(&r, &hive->sigkey, &a->attest, &a->attest_len, err);
	for (size_t i = 0; i < ncaps; i++)
		free(caps[i]);
	return rc;
}

/* Start one agent of an image. On failure the agent is left ended with
 * its reason (the caller kills the rest of the batch). */
/* What the agents of one class share, made once per spawn: the program,
 * opened and hashed once (each agent executes that very fd, so what was
 * hashed is what runs), and the bundle but for each agent's temp dir.
 * Canonicalising a bundle's paths costs as much as a fork: once per class. */
struct spawn_class {
	int exe_fd;
	char exe[HIVE_PATH_MAX];
	uint8_t hash[ATTEST_HASH_LEN];
	struct agent bundle; /* only caps and ncaps are used */
};

static void spawn_class_clear(struct spawn_class *sc)
{
	if (sc->exe_fd >= 0)
		close(sc->exe_fd);
	sc->exe_fd = -1;
	for (uint32_t i = 0; i < sc->bundle.ncaps; i++)
		cap_clear(&sc->bundle.caps[i].cap);
	sc->bundle.ncaps = 0;
}

static int spawn_class_make(struct spawn_class *sc, const struct manifest_class *cls, struct err *err)
{
	char real[PATH_MAX];
	int rc;

	memset(sc, 0, sizeof *sc);
	sc->exe_fd = open(cls->argv[0], O_RDONLY | O_CLOEXEC);
	if (sc->exe_fd < 0)
		return err_set(err, errno, "class %s: cannot open %s: %s", cls->name, cls->argv[0], strerror(errno));
	if (!realpath(cls->argv[0], real) || strlen(real) >= sizeof sc->exe) {
		rc = err_set(err, errno ? errno : ENAMETOOLONG, "class %s: cannot resolve %s", cls->name, cls->argv[0]);
		goto fail;
	}
	memcpy(sc->exe, real, strlen(real) + 1);
	if ((rc = attest_hash_fd(sc->exe_fd, sc->hash)) < 0) {
		rc = err_set(err, -rc, "class %s: cannot hash %s: %s", cls->name, sc->exe, strerror(-rc));
		goto fail;
	}
	for (uint32_t i = 0; i < cls->ncaps; i++) {
		char text[HIVE_ATTEST_CAP_MAX];
		if (cap_format(&cls->caps[i], text, sizeof text) < 0) {
			rc = err_set(err, EINVAL, "class %s: capability too long", cls->name);
			goto fail;
		}
		if ((rc = bundle_add(&sc->bundle, text, AGENT_CAP_MANIFEST, err)) < 0)
			goto fail;
	}
	if ((rc = bundle_base(&sc->bundle, sc->exe, sc->exe_fd, err)) < 0)
		goto fail;
	return 0;
fail:
	spawn_class_clear(sc);
	return rc;
}

/* An agent holding an infer: cap reaches the broker: its port joins the
 * base and a random key, bound to this AID, goes in OPENAI_API_KEY. */
static int bundle_broker(struct agent *a, struct err *err)
{
	uint8_t rnd[32];
	char text[32];
	int infer = 0;

	for (uint32_t i = 0; i < a->ncaps; i++)
		infer |= a->caps[i].cap.kind == CAP_INFER;
	if (!infer || a->owner->hive->broker_port <= 0)
		return 0;
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return err_set(err, EIO, "%s: no randomness for its inference key", a->aid);
	memcpy(a->infer_key, "hk-", 3);
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(a->infer_key + 3 + 2 * i, 3, "%02x", rnd[i]);
	snprintf(text, sizeof text, "net.connect:%d", a->owner->hive->broker_port);
	return bundle_add(a, text, AGENT_CAP_BASE, err);
}

/* The class's bundle, then the agent's temp dir and the broker. */
static int bundle_from_class(struct agent *a, const struct spawn_class *sc, struct err *err)
{
	char text[HIVE_ATTEST_CAP_MAX];
	int rc;

	for (uint32_t i = 0; i < sc->bundle.ncaps; i++) {
		struct agent_cap *ac = &a->caps[a->ncaps];
		*ac = sc->bundle.caps[i];
		if (ac->cap.arg && !(ac->cap.arg = strdup(ac->cap.arg)))
			return err_set(err, ENOMEM, "out of memory");
		a->ncaps++;
	}
	snprintf(text, sizeof text, "fs.write:%s", a->tmpdir);
	if ((rc = bundle_add(a, text, AGENT_CAP_BASE, err)) < 0)
		return rc;
	return bundle_broker(a, err);
}

/* Start one agent of an image. On failure the agent is left ended with
 * its reason (the caller kills the rest of the batch). */
static int agent_start(struct agent *a, const struct spawn_class *sc, const struct principal *by, const int *stdio,
                       struct err *err)
{
	struct hive *hive = a->owner->hive;
	const struct manifest_class *cls = a->cls;
	struct sandbox_spec spec;
	struct sandbox_plan *plan = NULL;
	struct sandbox_child child = { .pid = -1, .pidfd = -1, .notify_fd = -1, .report_fd = -1 };
	struct agent_env env = { .n = 0 };
	int procs[8], nprocs = 0, sv[2] = { -1, -1 }, rc;

	if ((rc = agentfs_make(a, err)) < 0 || (rc = tmpdir_make(a, err)) < 0 ||
	    (rc = bundle_from_class(a, sc, err)) < 0)
		goto fail;
	rc = cgroup_agent_make(a->owner->cg, a->img->m->tenant, a->aid, &a->quota, &a->cg, err);
	if (rc < 0)
		goto fail;
	uint32_t tw = hive->tenant_weight ? hive->tenant_weight(hive, a->img->m->tenant) : 0;
	struct err werr = { 0 };
	if (tw && agents_tenant_weight(hive, a->img->m->tenant, tw, &werr) < 0 && werr.msg[0])
		fprintf(stderr, "hived: %s: tenant %s's CPU share: %s\n", a->aid, a->img->m->tenant, werr.msg);
	nprocs = cgroup_agent_procs_fds(a->cg, procs, sizeof procs / sizeof procs[0]);
	if (nprocs < 0) {
		rc = err_set(err, -nprocs, "%s: cannot open its cgroup: %s", a->aid, strerror(-nprocs));
		nprocs = 0;
		goto fail;
	}
	if (hive->adopt_conn) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			rc = err_set(err, errno, "%s: socketpair: %s", a->aid, strerror(errno));
			goto fail;
		}
		if ((rc = hive->adopt_conn(hive, sv[0], &a->who)) < 0) {
			rc = err_set(err, -rc, "%s: cannot serve its hive connection: %s", a->aid, strerror(-rc));
			goto fail;
		}
		sv[0] = -1; /* the server owns it now */
	}
	if ((rc = env_build(&env, a, sv[1] >= 0)) < 0) {
		rc = err_set(err, ENOMEM, "out of memory");
		goto fail;
	}

	struct cap ceiling[HIVE_AGENT_CAPS_MAX];
	for (uint32_t i = 0; i < a->ncaps; i++)
		ceiling[i] = a->caps[i].cap;
	memset(&spec, 0, sizeof spec);
	spec.exe_fd = sc->exe_fd;
	spec.argv = cls->argv;
	spec.envp = env.vec;
	spec.cwd = cls->cwd ? cls->cwd : cls->home ? cls->home : "/";
	spec.uid = a->uid;
	spec.gid = (gid_t)a->uid;
	for (int i = 0; i < 3; i++)
		spec.stdio[i] = stdio ? stdio[i] : -1;
	spec.hive_fd = sv[1];
	spec.cgroup_procs = procs;
	spec.ncgroup_procs = (size_t)nprocs;
	spec.rlimits = cgroup_mgr_mode(a->owner->cg) == CGROUP_MODE_NONE ? &a->quota : NULL;
	spec.caps = ceiling;
	spec.ncaps = a->ncaps;
	spec.landlock_abi_max = hive->cfg.landlock_abi_max;
	spec.notify = hive->kernel.seccomp_notify;
	if ((rc = sandbox_prepare(&spec, &hive->kernel, &plan, err)) < 0)
		goto fail;
	snprintf(a->enforcement, sizeof a->enforcement, "%s cgroup=%s", sandbox_plan_enforcement(plan),
	         cgroup_mode_name(cgroup_mgr_mode(a->owner->cg)));
	if ((rc = agent_attest(a, sc->exe, sc->hash, by, err)) < 0)
		goto fail;
	agent_set_state(a, AGENT_ATTESTED, "signed");
	/* The child sets itself up while the next agent is prepared: its
	 * listener arrives on the report socket (agent_on_report). */
	if ((rc = sandbox_spawn_start(plan, &child, err)) < 0)
		goto fail;
	a->pid = child.pid;
	a->pidfd = child.pidfd;
	a->report_fd = child.report_fd;
	if ((rc = loop_add_fd(hive->loop, a->pidfd, EPOLLIN, agent_on_pidfd, a)) < 0 ||
	    (rc = loop_add_fd(hive->loop, a->report_fd, EPOLLIN, agent_on_report, a)) < 0) {
		err_set(err, -rc, "%s: cannot watch the child: %s", a->aid, strerror(-rc));
		goto fail_kill;
	}
	agent_event(a, "spawn", "pid=%d uid=%d class=%s tenant=%s exe=%s signer=%s enforcement=\"%s\"", (int)a->pid,
	            a->uid == (uid_t)-1 ? (int)geteuid() : (int)a->uid, cls->name, a->img->m->tenant, sc->exe,
	            a->img->signer, a->enforcement);
	rc = 0;
	goto out;

fail_kill:
	/* a->pidfd and a->report_fd hold the child's: release_child below
	 * takes them off the loop and closes them. */
	syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, NULL, 0);
	waitid(P_PIDFD, (id_t)child.pidfd, &(siginfo_t){ 0 }, WEXITED);
fail:
	snprintf(a->reason, sizeof a->reason, "spawn-failed");
	agent_release_child(a);
	agent_set_state(a, AGENT_TERM_CLEAN, a->reason);
out:
	env_free(&env);
	sandbox_plan_free(plan);
	for (int i = 0; i < nprocs; i++)
		close(procs[i]);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return rc;
}

int agents_spawn(struct hive *hive, const struct principal *who, const char *path,
                 const struct agent_spawn_opts *opts, struct strbuf *reply, struct err *err)
{
	struct agents *t = hive->agents;
	struct agent_image *img = NULL;
	struct agent *first = NULL;
	struct spawn_class *sc = NULL;
	struct hive_session *s = NULL;
	const int *stdio = NULL;
	int rc;

	if (!t)
		return err_set(err, EOPNOTSUPP, "spawn: the agent supervisor is not running");
	if ((rc = image_load(hive, path, opts ? opts->sig_path : NULL, &img, err)) < 0)
		return rc;
	if (opts && opts->stdio_passed) {
		s = hive_session_find(hive, who->session_id);
		if (!s || s->stdio_fds[0] < 0) {
			rc = err_set(err, EINVAL, "spawn: stdio=passed but this session passed no stdin/stdout/stderr "
			             "(only `hive run` over the Unix socket does)");
			goto out;
		}
		if (img->m->agents != 1) {
			rc = err_set(err, EINVAL, "spawn: stdio=passed goes with one agent; %s names %u",
			             path, img->m->agents);
			goto out;
		}
		stdio = s->stdio_fds;
	}
	if (t->live + img->m->agents > HIVE_AGENTS_MAX) {
		rc = err_set(err, EAGAIN, "spawn: %u agents would pass the hive's bound of %u live agents "
		             "(kill some first)", img->m->agents, HIVE_AGENTS_MAX);
		goto out;
	}
	if ((rc = agents_reserve(t, img->m->agents, err)) < 0)
		goto out;
	if ((rc = hive_audit_ok(hive)) < 0) {
		rc = err_set(err, -rc, "spawn: the audit log cannot take records (%s)", strerror(-rc));
		goto out;
	}
	sc = malloc(sizeof *sc);
	if (!sc) {
		rc = err_set(err, ENOMEM, "spawn: out of memory");
		goto out;
	}
	sc->exe_fd = -1;
	for (uint32_t c = 0; c < img->m->nclasses && rc == 0; c++) {
		if ((rc = spawn_class_make(sc, &img->m->classes[c], err)) < 0)
			break;
		for (uint32_t k = 0; k < img->m->classes[c].count && rc == 0; k++) {
			struct agent *a = agent_new(t, img, &img->m->classes[c], t->next_num++);
			if (!a) {
				rc = err_set(err, ENOMEM, "spawn: out of memory");
				break;
			}
			if (!first)
				first = a;
			rc = agent_start(a, sc, who, stdio, err);
			if (rc == 0)
				strbuf_printf(reply, "%s%s", a == first ? "" : " ", a->aid);
		}
		spawn_class_clear(sc);
	}
	/* Spawned agents count once their records are durable. */
	if (rc == 0 && (rc = hive_audit_durable(hive, hive->audit_last)) < 0)
		rc = err_set(err, -rc, "spawn: its records could not be made durable (%s)", strerror(-rc));
	if (rc < 0) {
		/* All or nothing: what this command started goes. */
		for (struct agent *a = first; a; a = a->next)
			agent_kill(a, "spawn-batch-failed");
		strbuf_reset(reply);
	} else {
		strbuf_printf(reply, "\n");
	}
out:
	free(sc);
	if (s)
		hive_session_drop_stdio(s);
	agent_image_unref(img);
	return rc;
}

