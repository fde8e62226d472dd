/*
 * landlock.c — the Landlock ruleset of one agent (see landlock.h). Debian's
 * headers stop at ABI 3, so the constants and structs of ABI 1..7 are
 * carried here under names of our own.
 */
#include "landlock.h"

#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#endif

#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

/* fs rights, ABI 1 (bits 0..12), 2 (REFER), 3 (TRUNCATE), 5 (IOCTL_DEV). */
#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_REFER (1ull << 13)
#define LL_FS_TRUNCATE (1ull << 14)
#define LL_FS_IOCTL_DEV (1ull << 15)
#define LL_FS_ABI1 ((1ull << 13) - 1)
/* What a rule on a non-directory may hold. */
#define LL_FS_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* net rights (ABI 4) and scopes (ABI 6). */
#define LL_NET_BIND_TCP (1ull << 0)
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0)
#define LL_SCOPE_SIGNAL (1ull << 1)

/* landlock_restrict_self flag (ABI 7): log denials of the exec'd program. */
#define LL_RESTRICT_SELF_LOG_NEW_EXEC_ON (1u << 1)

/* The ruleset attr grew with the ABI; the size passed says which fields. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port {
	uint64_t allowed_access;
	uint64_t port;
};

static const char *const fs_names[] = {
	"execute",   "write_file", "read_file", "read_dir",   "remove_dir", "remove_file",
	"make_char", "make_dir",   "make_reg",  "make_sock",  "make_fifo",  "make_block",
	"make_sym",  "refer",      "truncate",  "ioctl_dev",
};
static const char *const net_names[] = { "bind_tcp", "connect_tcp" };
static const char *const scope_names[] = { "abstract_unix_socket", "signal" };

int landlock_abi_effective(int kernel_abi, int abi_max)
{
	if (abi_max < 0 || kernel_abi <= 0)
		return 0;
	return abi_max > 0 && abi_max < kernel_abi ? abi_max : kernel_abi;
}

static uint64_t fs_handled(int abi)
{
	uint64_t r = LL_FS_ABI1 | LL_FS_REFER | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
	/* Top down: each older ABI lacks the rights added after it. */
	if (abi < 5)
		r &= ~LL_FS_IOCTL_DEV;
	if (abi < 3)
		r &= ~LL_FS_TRUNCATE;
	if (abi < 2)
		r &= ~LL_FS_REFER;
	return r;
}

static uint64_t fs_rights(enum cap_kind kind)
{
	const uint64_t read = LL_FS_READ_FILE | LL_FS_READ_DIR;
	switch (kind) {
	case CAP_FS_READ:
		return read;
	case CAP_FS_WRITE:
		return read | LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE |
		       LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO |
		       LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM | LL_FS_REFER;
	case CAP_FS_EXEC:
		return LL_FS_EXECUTE | LL_FS_READ_FILE;
	default:
		return 0;
	}
}

static int is_fs(enum cap_kind k)
{
	return k == CAP_FS_READ || k == CAP_FS_WRITE || k == CAP_FS_EXEC;
}

static int is_net(enum cap_kind k)
{
	return k == CAP_NET_CONNECT || k == CAP_NET_BIND;
}

/* Refuse what this ABI cannot bound, naming the first such capability. */
static int check_bundle(int abi, const struct cap *caps, uint32_t ncaps, struct err *err)
{
	char text[HIVE_PATH_MAX + 32];
	for (uint32_t i = 0; i < ncaps; i++) {
		if (is_fs(caps[i].kind) && abi == 0) {
			if (cap_format(&caps[i], text, sizeof text) < 0)
				snprintf(text, sizeof text, "%s", cap_kind_name(caps[i].kind));
			return err_set(err, EOPNOTSUPP,
			               "%s needs Landlock (the ceiling of file-system rights); this hive runs without it",
			               text);
		}
		if (is_net(caps[i].kind) && abi < 4) {
			if (cap_format(&caps[i], text, sizeof text) < 0)
				snprintf(text, sizeof text, "%s", cap_kind_name(caps[i].kind));
			if (abi == 0)
				return err_set(err, EOPNOTSUPP,
				               "%s needs Landlock ABI 4 (TCP port rules); this hive runs without Landlock",
				               text);
			return err_set(err, EOPNOTSUPP, "%s needs Landlock ABI 4 (TCP port rules); this hive uses ABI %d",
			               text, abi);
		}
	}
	return 0;
}

static int add_fs_rule(struct landlock_ruleset *rs, struct landlock_rule *r, const char *path, struct err *err)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		/* Nothing there, or nothing hived itself may reach: no rule. */
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP) {
			r->skipped_errno = errno;
			r->rights = 0;
			return 0;
		}
		return err_set(err, errno, "landlock: %s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return err_set(err, e, "landlock: %s: %s", path, strerror(e));
	}
	if (!S_ISDIR(st.st_mode))
		r->rights &= LL_FS_FILE;
	struct ll_path_beneath pb = { .allowed_access = r->rights, .parent_fd = fd };
	long rc = syscall(SYS_landlock_add_rule, rs->fd, LL_RULE_PATH_BENEATH, &pb, 0);
	int e = errno;
	close(fd);
	if (rc < 0)
		return err_set(err, e, "landlock: rule for %s: %s", path, strerror(e));
	return 0;
}

static int add_net_rule(struct landlock_ruleset *rs, struct landlock_rule *r, struct err *err)
{
	struct ll_net_port np = { .allowed_access = r->rights, .port = r->port };
	if (syscall(SYS_landlock_add_rule, rs->fd, LL_RULE_NET_PORT, &np, 0) < 0)
		return err_set(err, errno, "landlock: rule for port %u: %s", r->port, strerror(errno));
	return 0;
}

int landlock_build(struct landlock_ruleset *rs, int abi, const struct cap *caps, uint32_t ncaps, struct err *err)
{
	*rs = (struct landlock_ruleset){ .fd = -1, .abi = abi };
	int rc = check_bundle(abi, caps, ncaps, err);
	if (rc < 0 || abi == 0)
		return rc;
	rs->handled_fs = fs_handled(abi);
	if (abi >= 4)
		rs->handled_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		rs->scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	if (abi >= 7)
		rs->restrict_flags = LL_RESTRICT_SELF_LOG_NEW_EXEC_ON;
	struct ll_ruleset_attr attr = { rs->handled_fs, rs->handled_net, rs->scoped };
	size_t size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
	rs->fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs->fd < 0) {
		rs->fd = -1;
		return err_set(err, errno, "landlock: create ruleset (ABI %d): %s", abi, strerror(errno));
	}
	/* landlock_create_ruleset's fd is CLOEXEC already (the kernel sets it). */
	rs->rules = calloc(ncaps ? ncaps : 1, sizeof *rs->rules);
	if (!rs->rules) {
		rc = err_set(err, ENOMEM, "landlock: out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < ncaps; i++) {
		const struct cap *c = &caps[i];
		if (!is_fs(c->kind) && !is_net(c->kind))
			continue;
		struct landlock_rule *r = &rs->rules[rs->nrules++];
		r->kind = c->kind;
		if (is_net(c->kind)) {
			r->port = c->port;
			r->rights = c->kind == CAP_NET_CONNECT ? LL_NET_CONNECT_TCP : LL_NET_BIND_TCP;
			rc = add_net_rule(rs, r, err);
		} else {
			r->path = strdup(c->arg);
			if (!r->path) {
				rc = err_set(err, ENOMEM, "landlock: out of memory");
				goto fail;
			}
			r->rights = fs_rights(c->kind) & rs->handled_fs;
			rc = add_fs_rule(rs, r, c->arg, err);
		}
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	landlock_ruleset_clear(rs);
	return rc;
}

void landlock_ruleset_clear(struct landlock_ruleset *rs)
{
	if (rs->fd >= 0)
		close(rs->fd);
	for (uint32_t i = 0; i < rs->nrules; i++)
		free(rs->rules[i].path);
	free(rs->rules);
	*rs = (struct landlock_ruleset){ .fd = -1 };
}

static void render_bits(struct strbuf *sb, uint64_t bits, const char *const *names, size_t n)
{
	int first = 1;
	for (size_t i = 0; i < n; i++)
		if (bits & (1ull << i)) {
			strbuf_printf(sb, "%s%s", first ? "" : "|", names[i]);
			first = 0;
		}
	if (first)
		strbuf_printf(sb, "-");
}

#define NAMES(a) a, sizeof a / sizeof a[0]

void landlock_rights_render(const struct landlock_ruleset *rs, struct strbuf *sb)
{
	if (rs->fd < 0 && rs->abi == 0) {
		strbuf_printf(sb, "landlock abi=none\n");
		return;
	}
	strbuf_printf(sb, "landlock abi=%d fs=", rs->abi);
	render_bits(sb, rs->handled_fs, NAMES(fs_names));
	strbuf_printf(sb, " net=");
	render_bits(sb, rs->handled_net, NAMES(net_names));
	strbuf_printf(sb, " scoped=");
	render_bits(sb, rs->scoped, NAMES(scope_names));
	strbuf_printf(sb, "\n");
	for (uint32_t i = 0; i < rs->nrules; i++) {
		const struct landlock_rule *r = &rs->rules[i];
		if (is_net(r->kind)) {
			strbuf_printf(sb, "%s:%u ", cap_kind_name(r->kind), r->port);
			render_bits(sb, r->rights, NAMES(net_names));
		} else if (r->skipped_errno) {
			const char *why = strerrorname_np(r->skipped_errno);
			strbuf_printf(sb, "%s:%s skipped=%s", cap_kind_name(r->kind), r->path, why ? why : "?");
		} else {
			strbuf_printf(sb, "%s:%s ", cap_kind_name(r->kind), r->path);
			render_bits(sb, r->rights, NAMES(fs_names));
		}
		strbuf_printf(sb, "\n");
	}
}
