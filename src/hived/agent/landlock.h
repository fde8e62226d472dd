/*
 * landlock.h — the Landlock ceiling of one agent, built in hived before
 * fork: the ruleset fd the child passes to landlock_restrict_self, and the
 * effective rights (what the kernel of this ABI really enforces) for the
 * attestation and /agent/<aid>/caps.
 *
 * Rights per capability (docs/manifest.md):
 *   fs.read   READ_FILE|READ_DIR
 *   fs.write  WRITE_FILE|TRUNCATE|MAKE_*|REMOVE_*|REFER|IOCTL_DEV and the
 *             read rights, so a writer can read back what it wrote
 *   fs.exec   EXECUTE|READ_FILE (the loader maps what it executes)
 *   net.connect / net.bind  a TCP port rule (ABI >= 4)
 * Everything the ABI knows is handled (denied unless a rule grants it);
 * from ABI 6 signals and abstract Unix sockets are scoped to the agent.
 * Rights the ABI lacks are stripped from the top down; rights that only a
 * directory can have are masked off a file's rule.
 *
 * A capability path that does not exist, or that hived itself cannot reach
 * (EACCES, a symlink loop), gets no rule (a file made there later stays
 * outside the ceiling) and is listed as "skipped=ENOENT" etc. in the
 * rights: a bundle is not refused for naming an optional path such as
 * /lib64.
 *
 * Refused, never weakened (DESIGN.md §7): a net.* capability below ABI 4,
 * and any fs.* capability with no Landlock at all — the ceiling is the
 * security boundary, the supervisor only narrows inside it.
 */
#ifndef HIVE_LANDLOCK_H
#define HIVE_LANDLOCK_H

#include <stdint.h>

#include "lib/err.h"
#include "trust/cap.h"

struct strbuf;

/* One rule as installed (or skipped), for the rights listing. */
struct landlock_rule {
	enum cap_kind kind;
	char *path;         /* fs.*: owned copy; NULL for net.* */
	uint16_t port;      /* net.* */
	uint64_t rights;    /* what the rule grants at this ABI; 0 when skipped */
	int skipped_errno;  /* fs.*: why the path got no rule, else 0 */
};

struct landlock_ruleset {
	int fd;               /* CLOEXEC ruleset, -1 = no Landlock */
	int abi;              /* the ABI the ruleset was built for; 0 = none */
	uint64_t handled_fs;
	uint64_t handled_net;
	uint64_t scoped;
	uint32_t restrict_flags; /* for landlock_restrict_self */
	struct landlock_rule *rules;
	uint32_t nrules;
};

/* The ABI to build for: the kernel's, capped by abi_max (> 0), or none (-1). */
int landlock_abi_effective(int kernel_abi, int abi_max);
/* Build rs for abi from the bundle. 0, or -EOPNOTSUPP (a bundle this ABI
 * cannot honour; err names the capability and the ABI) or another -errno. */
int landlock_build(struct landlock_ruleset *rs, int abi, const struct cap *caps, uint32_t ncaps, struct err *err);
void landlock_ruleset_clear(struct landlock_ruleset *rs);
/* The effective rights, one line each:
 *   landlock abi=7 fs=execute|write_file|... net=bind_tcp|connect_tcp scoped=abstract_unix_socket|signal
 *   fs.read:/usr/lib read_file|read_dir
 *   net.connect:443 connect_tcp
 *   fs.read:/lib64 skipped=ENOENT
 * or "landlock abi=none\n". */
void landlock_rights_render(const struct landlock_ruleset *rs, struct strbuf *sb);

#endif
