/*
 * probe_net.c — ways out through the network and the hive's own socket:
 * TCP connect and bind to ports not granted, a UDP datagram, an abstract
 * Unix socket whose listener is outside, and the hive's Unix socket (an
 * agent that reaches it must be itself, a worker, never the queen).
 *
 * `escape serve FILE` (run outside any sandbox) is the listeners the
 * probes aim at: TCP and UDP on 127.0.0.1 and an abstract socket; it
 * writes "tcp=P udp=P abstract=NAME free=P" to FILE (free: a TCP port
 * the kernel just handed out and that was closed again, for bind) and
 * serves until killed, printing what reached it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "escape.h"

static struct sockaddr_in net_lo(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int net_socket(int type, struct esc_out *o)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		esc_detail(o, "socket(AF_INET): %s", strerror(errno));
	return fd;
}

static int probe_connect(char **a, struct esc_out *o)
{
	int fd = net_socket(SOCK_STREAM, o);
	if (fd < 0)
		return errno;
	struct sockaddr_in sa = net_lo(atoi(a[0]));
	int r = connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? errno : 0;
	close(fd);
	if (!r)
		esc_detail(o, "connected to 127.0.0.1:%s", a[0]);
	return r;
}

static int probe_bind(char **a, struct esc_out *o)
{
	int fd = net_socket(SOCK_STREAM, o);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	struct sockaddr_in sa = net_lo(atoi(a[0]));
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? errno : 0;
	close(fd);
	if (!r)
		esc_detail(o, "bound 127.0.0.1:%s", a[0]);
	return r;
}

static int probe_udp(char **a, struct esc_out *o)
{
	int fd = net_socket(SOCK_DGRAM, o);
	if (fd < 0)
		return errno;
	struct sockaddr_in sa = net_lo(atoi(a[0]));
	int r = sendto(fd, "escape udp", 10, 0, (struct sockaddr *)&sa, sizeof sa) < 0 ? errno : 0;
	close(fd);
	if (!r)
		esc_detail(o, "sent a datagram to 127.0.0.1:%s", a[0]);
	return r;
}

static socklen_t net_abstract(struct sockaddr_un *su, const char *name)
{
	memset(su, 0, sizeof *su);
	su->sun_family = AF_UNIX;
	size_t n = strnlen(name, sizeof su->sun_path - 2);
	memcpy(su->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int probe_abstract(char **a, struct esc_out *o)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	struct sockaddr_un su;
	socklen_t len = net_abstract(&su, a[0]);
	int r = connect(fd, (struct sockaddr *)&su, len) < 0 ? errno : 0;
	close(fd);
	if (!r)
		esc_detail(o, "connected to @%s", a[0]);
	return r;
}

/* A minimal 9P2000.L exchange, enough to attach and write one file. */
struct ninep {
	int fd;
	uint8_t b[8192];
	size_t n;
};

static void np_begin(struct ninep *p, uint8_t type)
{
	p->n = 4;
	p->b[p->n++] = type;
	p->b[p->n++] = 1; /* tag 1; Tversion's NOTAG is patched by the caller */
	p->b[p->n++] = 0;
}
static void np_u16(struct ninep *p, uint16_t v) { p->b[p->n++] = v & 0xff; p->b[p->n++] = v >> 8; }
static void np_u32(struct ninep *p, uint32_t v) { np_u16(p, v & 0xffff); np_u16(p, v >> 16); }
static void np_u64(struct ninep *p, uint64_t v) { np_u32(p, (uint32_t)v); np_u32(p, (uint32_t)(v >> 32)); }
static void np_str(struct ninep *p, const char *s)
{
	size_t l = strlen(s);
	np_u16(p, (uint16_t)l);
	memcpy(p->b + p->n, s, l);
	p->n += l;
}

/* Send the message; 0 when the reply is type+1, the server's errno for an
 * Rlerror, EPROTO for anything else. */
static int np_rpc(struct ninep *p)
{
	uint8_t type = p->b[4];
	uint32_t size = (uint32_t)p->n;
	memcpy(p->b, &size, 4);
	if (write(p->fd, p->b, p->n) != (ssize_t)p->n)
		return errno ? errno : EPROTO;
	size_t got = 0;
	while (got < 7 || got < (size_t)(p->b[0] | p->b[1] << 8 | p->b[2] << 16 | (uint32_t)p->b[3] << 24)) {
		ssize_t r = read(p->fd, p->b + got, sizeof p->b - got);
		if (r <= 0)
			return r < 0 ? errno : ECONNRESET;
		got += (size_t)r;
	}
	if (p->b[4] == type + 1)
		return 0;
	if (p->b[4] == 7) { /* Rlerror */
		uint32_t e;
		memcpy(&e, p->b + 7, 4);
		return (int)e;
	}
	return EPROTO;
}

static int probe_hivesock(char **a, struct esc_out *o)
{
	o->any_errno = 1;   /* refused anywhere on the way is blocked */
	o->denials_set = 1; /* only a refused connect is a system call's row */
	struct ninep p = { 0 };
	p.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p.fd < 0)
		return errno;
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	snprintf(su.sun_path, sizeof su.sun_path, "%s", a[0]);
	int r = connect(p.fd, (struct sockaddr *)&su, sizeof su) < 0 ? errno : 0;
	const char *step = "connect";
	if (r) {
		o->denials = r == EACCES;
		goto out;
	}
	np_begin(&p, 100); /* Tversion */
	p.b[5] = p.b[6] = 0xff;
	np_u32(&p, 8192);
	np_str(&p, "9P2000.L");
	step = "version";
	if ((r = np_rpc(&p)))
		goto out;
	np_begin(&p, 104); /* Tattach fid 0, no afid, uname hive, aname "" */
	np_u32(&p, 0);
	np_u32(&p, ~0u);
	np_str(&p, "hive");
	np_str(&p, "");
	np_u32(&p, ~0u);
	step = "attach";
	if ((r = np_rpc(&p)))
		goto out;
	np_begin(&p, 110); /* Twalk 0 -> 1 queen/ctl */
	np_u32(&p, 0);
	np_u32(&p, 1);
	np_u16(&p, 2);
	np_str(&p, "queen");
	np_str(&p, "ctl");
	step = "walk /queen/ctl";
	if ((r = np_rpc(&p)))
		goto out;
	if (p.b[7] != 2 || p.b[8] != 0) { /* a partial walk: no /queen/ctl */
		r = ENOENT;
		goto out;
	}
	np_begin(&p, 12); /* Tlopen O_WRONLY */
	np_u32(&p, 1);
	np_u32(&p, 1);
	step = "open /queen/ctl for writing";
	if ((r = np_rpc(&p)))
		goto out;
	static const char line[] = "log escape probe: an agent wrote /queen/ctl\n";
	np_begin(&p, 118); /* Twrite */
	np_u32(&p, 1);
	np_u64(&p, 0);
	np_u32(&p, sizeof line - 1);
	memcpy(p.b + p.n, line, sizeof line - 1);
	p.n += sizeof line - 1;
	step = "write /queen/ctl";
	if ((r = np_rpc(&p)))
		goto out;
	esc_detail(o, "attached to %s and wrote /queen/ctl: the queen", a[0]);
out:
	if (r)
		esc_detail(o, "refused at %s: %s", step, strerror(r));
	close(p.fd);
	return r;
}

int esc_serve(const char *file)
{
	int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int x = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = net_lo(0);
	socklen_t sl = sizeof sa;
	if (t < 0 || u < 0 || x < 0 || bind(t, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(t, 16) < 0 ||
	    getsockname(t, (struct sockaddr *)&sa, &sl) < 0) {
		perror("escape serve: tcp");
		return 1;
	}
	int tport = ntohs(sa.sin_port);
	sa = net_lo(0);
	if (bind(u, (struct sockaddr *)&sa, sizeof sa) < 0 || getsockname(u, (struct sockaddr *)&sa, &sl) < 0) {
		perror("escape serve: udp");
		return 1;
	}
	char name[64];
	snprintf(name, sizeof name, "hive-escape-%d", (int)getpid());
	struct sockaddr_un su;
	socklen_t len = net_abstract(&su, name);
	if (bind(x, (struct sockaddr *)&su, len) < 0 || listen(x, 16) < 0) {
		perror("escape serve: abstract");
		return 1;
	}
	int uport = ntohs(sa.sin_port), fport = 0;
	int fr = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa = net_lo(0);
	if (fr >= 0 && bind(fr, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fr, (struct sockaddr *)&sa, &sl) == 0)
		fport = ntohs(sa.sin_port);
	if (fr >= 0)
		close(fr);
	FILE *f = fopen(file, "w");
	if (!f || fprintf(f, "tcp=%d udp=%d abstract=%s free=%d\n", tport, uport, name, fport) < 0 || fclose(f)) {
		perror(file);
		return 1;
	}
	for (;;) {
		struct pollfd pf[3] = { { t, POLLIN, 0 }, { u, POLLIN, 0 }, { x, POLLIN, 0 } };
		if (poll(pf, 3, -1) < 0)
			continue;
		char buf[256];
		if (pf[0].revents) {
			int c = accept(t, NULL, NULL);
			printf("serve: tcp connection\n");
			if (c >= 0)
				close(c);
		}
		if (pf[1].revents && recv(u, buf, sizeof buf, 0) >= 0)
			printf("serve: udp datagram\n");
		if (pf[2].revents) {
			int c = accept(x, NULL, NULL);
			printf("serve: abstract connection\n");
			if (c >= 0)
				close(c);
		}
		fflush(stdout);
	}
}

const struct esc_probe esc_net_probes[] = {
	{ "connect", "PORT (TCP on 127.0.0.1, not granted)", 1, probe_connect, { EACCES } },
	{ "bind", "PORT (TCP on 127.0.0.1, not granted)", 1, probe_bind, { EACCES } },
	{ "udp", "PORT (one datagram to 127.0.0.1)", 1, probe_udp, { EACCES } },
	{ "abstract", "NAME (connect to @NAME, listener outside)", 1, probe_abstract, { EPERM, EACCES } },
	{ "hivesock", "PATH (the hive's Unix socket: must not become queen)", 1, probe_hivesock, { 0 } },
	{ 0 },
};
