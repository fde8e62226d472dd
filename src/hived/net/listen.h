/*
 * listen.h — the listeners: for 9P a Unix socket (peer credentials say
 * who) and a TCP socket (tickets say who), whose sockets go to srv; for
 * the console a TCP socket whose sockets go to the console.
 */
#ifndef HIVE_LISTEN_H
#define HIVE_LISTEN_H

#include <stddef.h>

struct hive;
struct srv;
struct listener;
struct peer;

/* Take one accepted, nonblocking socket named by peer (peer.h). Returns 0,
 * or < 0 and the listener closes fd. */
typedef int (*listen_accept_fn)(void *arg, int fd, const char *transport, const struct peer *peer);

/* Where a listener's sockets go. */
struct listen_to {
	const char *transport; /* "unix", "tcp", "console": rows and peers */
	unsigned batch;        /* accepts per wake-up */
	listen_accept_fn accept;
	void *arg;
};

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
/* As listen_tcp, for sockets that go to `to` rather than to srv. */
int listen_tcp_to(struct hive *hive, const struct listen_to *to, const char *addr, int port,
                  int *bound_port, struct listener **out, char *why, size_t whylen);
/* Stop listening, close the socket (and unlink a Unix socket path). */
void listen_close(struct listener *l);

#endif
