/*
 * peer.h — who is at the other end of an accepted socket.
 *
 * Every local user connects from 127.0.0.1, so an address says nothing
 * about who a local peer is. A Unix peer is named by SO_PEERCRED; a
 * loopback TCP peer by the uid that owns its socket, which the kernel
 * tells through NETLINK_SOCK_DIAG (inet_diag, looked up by the 4-tuple).
 * Only a peer on another host is named by its address. The attach
 * throttle and the pre-auth session pool are keyed on this, so one local
 * user can never lock another out.
 */
#ifndef HIVE_PEER_H
#define HIVE_PEER_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lib/limits.h"

struct peer {
	long long uid;  /* owner of the peer's socket; -1 when unknown */
	int pid;        /* a Unix peer's pid, else 0 */
	int is_unix;
	char name[64];  /* for rows and /proc/sessions: "uid=1000 pid=42", "127.0.0.1:51234" */
	/* Who: "uid=1000", or "ip=10.1.2.3" when no uid can be known (another
	 * host, or sock_diag unavailable). Pool caps and the throttle's
	 * lockout of a whole identity are keyed on it. */
	char id[HIVE_PEER_ID_MAX];
	/* The id and where from ("uid=0@127.0.0.3"): the back-off key, so a
	 * user's typo on one address does not stall its other clients. */
	char key[HIVE_PEER_ID_MAX * 2];
};
/* A peer with an empty key is untracked by the throttle and the pool's
 * per-peer cap: only tests build one (peer_describe always names one). */

/* Describe an accepted socket (SO_PEERCRED or address + sock_diag).
 * Never fails: what cannot be learnt is left unknown (uid -1). */
void peer_describe(int fd, int is_unix, struct peer *out);
/* The uid owning the loopback TCP socket whose source is `remote` and
 * destination `local` (the peer's side of our accepted socket).
 * Returns 0 or -errno (-ENOENT: no such socket, -EPROTONOSUPPORT: no inet_diag). */
int peer_tcp_uid(const struct sockaddr_storage *local, const struct sockaddr_storage *remote,
                 uid_t *uid);
/* The same, and the inode of that socket (what /proc/<pid>/fd/N links to
 * as "socket:[ino]"): the broker finds the processes holding it. */
int peer_tcp_sock(const struct sockaddr_storage *local, const struct sockaddr_storage *remote,
                  uid_t *uid, uint64_t *ino);

#endif
