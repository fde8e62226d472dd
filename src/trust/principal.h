/*
 * principal.h — who a session acts for: role and subject.
 *
 * A principal comes from a ticket (TCP, console) or from the peer's
 * credentials (the Unix socket, where the hive owner's uid is queen).
 * Every permission decision and every event names one.
 */
#ifndef HIVE_PRINCIPAL_H
#define HIVE_PRINCIPAL_H

#include <stdint.h>

#include "lib/limits.h"

enum hive_role {
	HIVE_ROLE_NONE = 0, /* not attached yet: sees nothing */
	HIVE_ROLE_QUEEN,    /* operator: everything */
	HIVE_ROLE_WORKER,   /* an agent: /proc, its own /agent/<subject>, /log read */
	HIVE_ROLE_OBSERVER, /* reads everything, writes nothing */
	HIVE_ROLE_COUNT,
};

/* Bit of a role in a role mask (see ns_perm). */
#define HIVE_ROLE_BIT(r) (1u << (r))
#define HIVE_ROLES_ALL (HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) | HIVE_ROLE_BIT(HIVE_ROLE_WORKER) | HIVE_ROLE_BIT(HIVE_ROLE_OBSERVER))
#define HIVE_ROLES_READERS (HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) | HIVE_ROLE_BIT(HIVE_ROLE_OBSERVER))

struct principal {
	enum hive_role role;
	char subject[HIVE_SUBJECT_MAX + 1]; /* "" when the ticket named none */
	uint64_t session_id;                /* 0 for internal actions */
	const char *transport;              /* "unix", "tcp", "console", "internal" */
};

/* "queen", "worker", "observer", "none". */
const char *principal_role_name(enum hive_role role);
/* Parse a role word (also Cohesix's "worker-heartbeat", "worker-gpu",
 * "worker-bus", "worker-lora" as worker). Returns HIVE_ROLE_NONE if unknown. */
enum hive_role principal_role_parse(const char *word);

#endif
