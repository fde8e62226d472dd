/*
 * listen.c — Unix and TCP listeners, for 9P and the console.
 *
 * Accepts a bounded batch per wake-up, names the peer (peer.h: its uid
 * from SO_PEERCRED or, on loopback TCP, from sock_diag) and hands the
 * socket to its server (srv, or the console), which applies the session
 * table and pre-auth pool. When
 * accept fails for lack of file descriptors the listener pauses briefly
 * instead of spinning, and the refusal is a session deny row (busy).
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hived/core/hive.h"
#include "hived/core/loop.h"
#include "hived/9p/srv.h"
#include "peer.h"

struct listener {
	struct hive *hive;
	struct listen_to to;
	int fd;
	int is_unix;
	int pause_timer; /* > 0 while paused */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void listen_resume(struct loop *loop, void *arg)
{
	struct listener *l = arg;
	loop_del_timer(loop, l->pause_timer);
	l->pause_timer = 0;
	loop_mod_fd(loop, l->fd, EPOLLIN);
}

static void listen_pause(struct listener *l)
{
	if (l->pause_timer > 0)
		return;
	int id = loop_add_timer(l->hive->loop, LISTEN_PAUSE_MS, listen_resume, l);
	if (id < 0)
		return; /* keep listening: spinning beats going deaf */
	l->pause_timer = id;
	loop_mod_fd(l->hive->loop, l->fd, 0);
}

static void listen_ready(struct loop *loop, int lfd, uint32_t events, void *arg)
{
	struct listener *l = arg;
	for (unsigned i = 0; i < l->to.batch; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				hive_session_refused(l->hive, l->to.transport, errno);
				listen_pause(l);
			}
			return; /* EAGAIN, ECONNABORTED, ...: wait for the next wake-up */
		}
		struct peer peer;
		peer_describe(fd, l->is_unix, &peer);
		if (!l->is_unix) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
		if (l->to.accept(l->to.arg, fd, l->to.transport, &peer) < 0)
			close(fd);
	}
}

static int listen_to_srv(void *srv, int fd, const char *transport, const struct peer *peer)
{
	return srv_accept(srv, fd, transport, peer);
}

static int listen_register(struct listener *l, char *why, size_t whylen, const char *what)
{
	int rc = loop_add_fd(l->hive->loop, l->fd, EPOLLIN, listen_ready, l);
	if (rc < 0)
		snprintf(why, whylen, "cannot watch %s: %s", what, strerror(-rc));
	return rc;
}

int listen_unix(struct hive *hive, struct srv *srv, const char *path, struct listener **out,
                char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(why, whylen, "socket path %s is too long (max %zu bytes; use --socket PATH)",
		         path, sizeof sa.sun_path - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	struct listener *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	l->hive = hive;
	l->to = (struct listen_to){ "unix", HIVE_ACCEPT_BATCH, listen_to_srv, srv };
	l->is_unix = 1;
	snprintf(l->path, sizeof l->path, "%s", path);
	int rc;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot create a Unix socket: %s", strerror(errno));
		goto fail;
	}
	/* The caller holds the state lock, so an existing file is a stale
	 * socket of a dead hived (or junk): replace it. */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			rc = -EEXIST;
			snprintf(why, whylen, "%s exists and is not a socket (remove it or use --socket PATH)",
			         path);
			goto fail;
		}
		unlink(path);
	}
	/* Bind with a tight umask so the socket is never reachable by others,
	 * not even between bind and chmod. */
	mode_t old = umask(0177);
	int b = bind(l->fd, (struct sockaddr *)&sa, sizeof sa);
	int berr = errno;
	umask(old);
	if (b < 0) {
		rc = -berr;
		snprintf(why, whylen, "cannot bind %s: %s", path, strerror(berr));
		goto fail;
	}
	chmod(path, 0600);
	if (listen(l->fd, HIVE_LISTEN_BACKLOG) < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	rc = listen_register(l, why, whylen, path);
	if (rc < 0) {
		unlink(path);
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return rc;
}

int listen_tcp(struct hive *hive, struct srv *srv, const char *addr, int port, int *bound_port,
               struct listener **out, char *why, size_t whylen)
{
	struct listen_to to = { "tcp", HIVE_ACCEPT_BATCH, listen_to_srv, srv };
	return listen_tcp_to(hive, &to, addr, port, bound_port, out, why, whylen);
}

int listen_tcp_to(struct hive *hive, const struct listen_to *to, const char *addr, int port,
                  int *bound_port, struct listener **out, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	int g = getaddrinfo(addr, portstr, &hints, &ai);
	if (g != 0) {
		snprintf(why, whylen, "bad TCP address %s: %s (use --tcp ADDR:PORT with a numeric address)",
		         addr, gai_strerror(g));
		return -EINVAL;
	}
	struct listener *l = calloc(1, sizeof *l);
	int rc;
	if (!l) {
		freeaddrinfo(ai);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	l->hive = hive;
	l->to = *to;
	l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot create a TCP socket: %s", strerror(errno));
		goto fail;
	}
	int one = 1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot bind %s:%d: %s%s", addr, port, strerror(errno),
		         errno == EADDRINUSE ? " (is another hived running? use --tcp ADDR:PORT)" : "");
		goto fail;
	}
	if (listen(l->fd, HIVE_LISTEN_BACKLOG) < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot listen on %s:%d: %s", addr, port, strerror(errno));
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	*bound_port = port;
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			*bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			*bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	rc = listen_register(l, why, whylen, "the TCP socket");
	if (rc < 0)
		goto fail;
	freeaddrinfo(ai);
	*out = l;
	return 0;
fail:
	freeaddrinfo(ai);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return rc;
}

void listen_close(struct listener *l)
{
	if (!l)
		return;
	if (l->pause_timer > 0)
		loop_del_timer(l->hive->loop, l->pause_timer);
	loop_del_fd(l->hive->loop, l->fd);
	close(l->fd);
	if (l->is_unix && l->path[0])
		unlink(l->path);
	free(l);
}
