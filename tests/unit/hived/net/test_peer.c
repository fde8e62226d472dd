/*
 * Unit tests for naming peers (net/peer.c): a loopback TCP peer is the uid
 * owning its socket (sock_diag), with its address in the throttle key; a
 * Unix peer is its SO_PEERCRED uid.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hived/net/peer.h"
#include "test.h"

TEST(loopback_tcp_peer_is_its_uid)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	CHECK(l >= 0);
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	CHECK_EQ_INT(listen(l, 4), 0);
	CHECK_EQ_INT(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000007) };
	CHECK_EQ_INT(bind(c, (struct sockaddr *)&src, sizeof src), 0); /* 127.0.0.7 */
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
	int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(a >= 0);
	struct peer p;
	peer_describe(a, 0, &p);
	char want[64];
	snprintf(want, sizeof want, "uid=%u", (unsigned)geteuid());
	CHECK_EQ_INT(p.uid, (long long)geteuid());
	CHECK_EQ_STR(p.id, want);
	snprintf(want, sizeof want, "uid=%u@127.0.0.7", (unsigned)geteuid());
	CHECK_EQ_STR(p.key, want);
	CHECK(strncmp(p.name, "127.0.0.7:", 10) == 0);
	close(a);
	close(c);
	close(l);
}

TEST(unix_peer_is_its_uid)
{
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct peer p;
	peer_describe(sv[0], 1, &p);
	char want[64];
	snprintf(want, sizeof want, "uid=%u", (unsigned)geteuid());
	CHECK_EQ_INT(p.uid, (long long)geteuid());
	CHECK_EQ_INT(p.pid, (long long)getpid());
	CHECK_EQ_STR(p.id, want);
	CHECK_EQ_STR(p.key, want);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	RUN(loopback_tcp_peer_is_its_uid);
	RUN(unix_peer_is_its_uid);
	return test_done();
}
