/*
 * peer.c — naming the peer of an accepted socket by its uid (see peer.h).
 *
 * The sock_diag query is one exact lookup (no dump): the peer's socket is
 * the one whose source is the address we accepted from and whose
 * destination is our local address. The kernel answers in microseconds
 * and needs no privilege; if it cannot answer, the peer is named by its
 * address, which is what every host without inet_diag did before.
 */
#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* A v4-mapped IPv6 address as plain IPv4, so the lookup names the family
 * the peer's own socket has. */
static void unmap(struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
		return;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = in6->sin6_port };
	memcpy(&in.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof *ss);
	memcpy(ss, &in, sizeof in);
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

static void put_addr(struct inet_diag_sockid *id, const struct sockaddr_storage *src,
                     const struct sockaddr_storage *dst)
{
	if (src->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)src, *d = (const struct sockaddr_in *)dst;
		id->idiag_sport = s->sin_port;
		id->idiag_dport = d->sin_port;
		memcpy(id->idiag_src, &s->sin_addr, 4);
		memcpy(id->idiag_dst, &d->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)src, *d = (const struct sockaddr_in6 *)dst;
		id->idiag_sport = s->sin6_port;
		id->idiag_dport = d->sin6_port;
		memcpy(id->idiag_src, &s->sin6_addr, 16);
		memcpy(id->idiag_dst, &d->sin6_addr, 16);
	}
	id->idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

int peer_tcp_uid(const struct sockaddr_storage *local, const struct sockaddr_storage *remote, uid_t *uid)
{
	uint64_t ino;
	return peer_tcp_sock(local, remote, uid, &ino);
}

int peer_tcp_sock(const struct sockaddr_storage *local, const struct sockaddr_storage *remote, uid_t *uid,
                  uint64_t *ino)
{
	if (local->ss_family != remote->ss_family ||
	    (local->ss_family != AF_INET && local->ss_family != AF_INET6))
		return -EAFNOSUPPORT;
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q;
	memset(&q, 0, sizeof q);
	q.nh.nlmsg_len = sizeof q;
	q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nh.nlmsg_flags = NLM_F_REQUEST;
	q.nh.nlmsg_seq = 1;
	q.req.sdiag_family = (uint8_t)local->ss_family;
	q.req.sdiag_protocol = IPPROTO_TCP;
	q.req.idiag_states = ~0u;
	put_addr(&q.req.id, remote, local); /* the peer's socket: from it to us */

	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return errno == EPROTONOSUPPORT ? -EPROTONOSUPPORT : -errno;
	/* The kernel answers at once; never let the loop wait on it long. */
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	int rc = -EIO;
	if (sendto(fd, &q, sizeof q, 0, (struct sockaddr *)&nl, sizeof nl) != (ssize_t)sizeof q) {
		rc = -errno;
		goto out;
	}
	union {
		struct nlmsghdr nh;
		char b[1024];
	} a;
	ssize_t n = recv(fd, &a, sizeof a, 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = &a.nh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			rc = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error ? e->error : -ENOENT;
			goto out;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			*uid = (uid_t)m->idiag_uid;
			*ino = m->idiag_inode;
			rc = 0;
			goto out;
		}
	}
	rc = -ENOENT;
out:
	close(fd);
	return rc;
}

static void describe_unix(int fd, struct peer *out)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		/* Cannot happen on a connected Unix socket; if it does, the peer
		 * shares one anonymous bucket rather than none. */
		snprintf(out->name, sizeof out->name, "uid=? pid=?");
		snprintf(out->id, sizeof out->id, "uid=?");
		snprintf(out->key, sizeof out->key, "uid=?");
		return;
	}
	out->uid = (long long)cr.uid;
	out->pid = (int)cr.pid;
	snprintf(out->name, sizeof out->name, "uid=%u pid=%d", (unsigned)cr.uid, (int)cr.pid);
	snprintf(out->id, sizeof out->id, "uid=%u", (unsigned)cr.uid);
	snprintf(out->key, sizeof out->key, "%s", out->id);
}

void peer_describe(int fd, int is_unix, struct peer *out)
{
	memset(out, 0, sizeof *out);
	out->uid = -1;
	out->is_unix = is_unix;
	if (is_unix) {
		describe_unix(fd, out);
		return;
	}
	struct sockaddr_storage local, remote;
	socklen_t ll = sizeof local, rl = sizeof remote;
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&remote, &rl) < 0) {
		snprintf(out->name, sizeof out->name, "?");
		snprintf(out->id, sizeof out->id, "ip=?");
		snprintf(out->key, sizeof out->key, "ip=?");
		return;
	}
	if (remote.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&remote;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		snprintf(out->name, sizeof out->name, "[%s]:%d", host, port);
	} else if (remote.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&remote;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
		snprintf(out->name, sizeof out->name, "%s:%d", host, port);
	}
	unmap(&local);
	unmap(&remote);
	uid_t uid;
	if (is_loopback(&remote)) {
		int rc = peer_tcp_uid(&local, &remote, &uid);
		if (rc == 0) {
			out->uid = (long long)uid;
			snprintf(out->id, sizeof out->id, "uid=%u", (unsigned)uid);
			snprintf(out->key, sizeof out->key, "uid=%u@%s", (unsigned)uid, host);
			return;
		}
		/* Loud once: without it local users share one throttle per address. */
		static int warned;
		if (!warned++)
			fprintf(stderr, "hived: cannot name loopback peers by uid (sock_diag: %s); "
			        "they are told apart by address only\n", strerror(-rc));
	}
	snprintf(out->id, sizeof out->id, "ip=%s", host);
	snprintf(out->key, sizeof out->key, "%s", out->id);
}
