/*
 * revocation.h — the list of revoked tickets: <state>/tickets.revoked,
 * one ticket id per line (`#` comments), written by `hive ticket revoke`
 * and read by hived at every ticket check (through ticket_verify), so a
 * revocation takes effect at the next attach without a restart.
 *
 * A ticket's id is derived from its MAC (ticket_id in ticket.h), so every
 * ticket has one, old ones and Cohesix-minted ones included, and the
 * encoding is unchanged.
 */
#ifndef HIVE_REVOCATION_H
#define HIVE_REVOCATION_H

#include <stddef.h>

#include "lib/err.h"

#define REVOCATION_FILE "tickets.revoked"

/*
 * Is id on the list at path? 1 listed, 0 not (also when the file does not
 * exist: nothing revoked), or -errno when the list exists but cannot be
 * read or parsed (-EBADMSG a line that is not an id, -EFBIG past
 * HIVE_TICKETS_REVOKED_MAX ids): callers fail closed.
 */
int revocation_listed(const char *path, const char *id);

/*
 * Add id to <state_dir>/tickets.revoked: the whole list is rewritten to a
 * temporary file (mode 0600), synced and renamed over the old one, so a
 * reader sees the old list or the new, never half. 0 (also when already
 * listed), -EINVAL for a malformed id, -ENOSPC when the list holds
 * HIVE_TICKETS_REVOKED_MAX ids, or -errno (-EBADMSG: the list has a line
 * that is not an id); err says which.
 */
int revocation_add(const char *state_dir, const char *id, struct err *err);

#endif
