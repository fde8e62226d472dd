/*
 * statedir.h — where a hive keeps its state (socket, keys, tickets, logs),
 * resolved the same way by hived and by every client: the flag, else
 * $HIVE_STATE, else $XDG_STATE_HOME/hive, else ~/.local/state/hive.
 */
#ifndef HIVE_STATEDIR_H
#define HIVE_STATEDIR_H

#include <stddef.h>
#include <sys/types.h>

/* Resolve the state directory into out. flag may be NULL or "". Returns 0
 * or -ENAMETOOLONG. */
int statedir_resolve(const char *flag, char *out, size_t cap);
/* out = dir + "/" + name. Returns 0 or -ENAMETOOLONG. */
int statedir_path(const char *dir, const char *name, char *out, size_t cap);
/* mkdir -p with mode for every component made. Returns 0 or -errno. */
int statedir_make(const char *dir, mode_t mode);

#endif
