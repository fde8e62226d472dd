/*
 * listen.h — the 9P listeners: a Unix socket (peer credentials say who)
 * and a TCP socket (tickets say who). Accepted sockets go to srv.
 */
#ifndef HIVE_LISTEN_H
#define HIVE_LISTEN_H

#include <stddef.h>

struct hive;
struct srv;
struct listener;

/* After accept fails for lack of fds, the listener rests this long so a
 * level-triggered loop does not spin on it (ms). */
#define LISTEN_PAUSE_MS 200u

/*
 * Bind `path` (mode 0600; an existing socket file is replaced, so the
 * caller must hold the state lock first). Returns 0 or -errno with a
 * message naming the path, the reason and a fix in why.
 */
int listen_unix(struct hive *hive, struct srv *srv, const char *path, struct listener **out,
                char *why, size_t whylen);
/*
 * Bind addr:port ("127.0.0.1", "::1", "0.0.0.0"; port 0 = any free port).
 * *bound_port receives the port actually bound.
 */
int listen_tcp(struct hive *hive, struct srv *srv, const char *addr, int port, int *bound_port,
               struct listener **out, char *why, size_t whylen);
/* Stop listening, close the socket (and unlink a Unix socket path). */
void listen_close(struct listener *l);

#endif
