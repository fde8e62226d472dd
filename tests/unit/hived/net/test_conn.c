/*
 * Unit tests for a connection's mechanics (net/conn.c): the bounded output
 * queue (what the socket does not take is kept, in order; the hard bound
 * refuses whole; a broken peer is reported) and the timeout clock (each
 * kind, their order, 0 = no limit).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hived/net/conn.h"
#include "test.h"

/* A nonblocking stream pair with small buffers, so writes come up short. */
static void small_pair(int sv[2])
{
	int sz = 4096;
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

/* Read what fd holds into buf[*got..cap). */
static void drain(int fd, uint8_t *buf, size_t cap, size_t *got)
{
	ssize_t n;
	while (*got < cap && (n = read(fd, buf + *got, cap - *got)) > 0)
		*got += (size_t)n;
}

TEST(partial_writes_keep_the_rest_in_order)
{
	enum { N = 256 * 1024 };
	uint8_t *data = malloc(N), *back = malloc(N);
	CHECK(data && back);
	for (size_t i = 0; i < N; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	int sv[2];
	small_pair(sv);
	struct conn_outq q;
	conn_outq_init(&q, 64 * 1024, N);
	struct iovec iov[2] = { { data, N / 2 }, { data + N / 2, N / 2 } };
	CHECK_EQ_INT(conn_outq_send(&q, sv[0], iov, 2), 0);
	CHECK(q.len > 0 && q.len < N); /* the socket took some, not all */
	CHECK(conn_outq_full(&q));
	/* Behind what waits, a send is appended, never written first. */
	size_t before = q.len;
	struct iovec one = { (void *)"tail", 4 };
	CHECK_EQ_INT(conn_outq_send(&q, sv[0], &one, 1), 0);
	CHECK_EQ_INT(q.len, before + 4);
	size_t got = 0;
	for (int i = 0; i < 10000 && q.len; i++) {
		drain(sv[1], back, N, &got);
		CHECK_EQ_INT(conn_outq_flush(&q, sv[0]), 0);
	}
	CHECK_EQ_INT(q.len, 0);
	CHECK(q.buf == NULL); /* drained: no memory kept */
	CHECK(!conn_outq_full(&q));
	drain(sv[1], back, N, &got);
	CHECK_EQ_INT(got, N);
	CHECK(memcmp(data, back, N) == 0);
	char tail[4];
	CHECK_EQ_INT(read(sv[1], tail, sizeof tail), 4);
	CHECK(memcmp(tail, "tail", 4) == 0);
	close(sv[0]);
	close(sv[1]);
	free(data);
	free(back);
}

TEST(overflow_is_refused_whole)
{
	struct conn_outq q;
	uint8_t chunk[1000];
	memset(chunk, 'x', sizeof chunk);
	conn_outq_init(&q, 2000, 1500); /* holds at most 3500 */
	CHECK_EQ_INT(conn_outq_append(&q, chunk, 1000), 0);
	CHECK(!conn_outq_full(&q));
	CHECK_EQ_INT(conn_outq_append(&q, chunk, 1000), 0);
	CHECK(conn_outq_full(&q)); /* back-pressure at 2000 */
	CHECK_EQ_INT(conn_outq_append(&q, chunk, 1000), 0);
	CHECK_EQ_INT(conn_outq_append(&q, chunk, 1000), -ENOBUFS);
	CHECK_EQ_INT(q.len, 3000);
	CHECK(q.cap <= 3500); /* growth stops at the bound */
	CHECK_EQ_INT(conn_outq_append(&q, chunk, 500), 0);
	CHECK_EQ_INT(conn_outq_append(&q, chunk, 1), -ENOBUFS);
	/* A send behind the full queue is refused whole as well. */
	struct iovec iov[2] = { { chunk, 1 }, { chunk, 1 } };
	CHECK_EQ_INT(conn_outq_send(&q, -1, iov, 2), -ENOBUFS);
	CHECK_EQ_INT(q.len, 3500);
	conn_outq_free(&q);
	CHECK(q.buf == NULL && q.len == 0);
}

TEST(broken_peer_is_reported)
{
	int sv[2];
	small_pair(sv);
	struct conn_outq q;
	conn_outq_init(&q, 4096, 4096);
	CHECK_EQ_INT(conn_outq_append(&q, "abc", 3), 0);
	close(sv[1]);
	CHECK_EQ_INT(conn_outq_flush(&q, sv[0]), -EPIPE);
	struct iovec one = { (void *)"x", 1 };
	conn_outq_free(&q);
	CHECK_EQ_INT(conn_outq_send(&q, sv[0], &one, 1), -EPIPE);
	CHECK_EQ_INT(q.len, 0);
	close(sv[0]);
}

TEST(each_timeout_kind)
{
	struct conn_clock k;
	struct conn_timeouts t = { .handshake_ms = 5000, .frame_ms = 10000, .idle_ms = 60000 };
	conn_clock_start(&k, 1000);
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 5999), CONN_TIMEOUT_NONE);
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 6000), CONN_TIMEOUT_HANDSHAKE);
	/* Attached: the handshake deadline no longer applies. */
	t.handshake_ms = 0;
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 6000), CONN_TIMEOUT_NONE);
	/* A partial frame: its clock starts once and runs until a whole frame. */
	conn_clock_partial(&k, 1, 2000);
	conn_clock_partial(&k, 1, 9000);
	CHECK_EQ_INT(k.frame_ms, 2000);
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 11999), CONN_TIMEOUT_NONE);
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 12000), CONN_TIMEOUT_FRAME);
	conn_clock_frame(&k, 11000);
	CHECK_EQ_INT(k.frame_ms, 0);
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 12000), CONN_TIMEOUT_NONE);
	conn_clock_partial(&k, 1, 11500);
	conn_clock_partial(&k, 0, 11600); /* the rest arrived */
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 30000), CONN_TIMEOUT_NONE);
	/* Idle: from the last whole frame. */
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 70999), CONN_TIMEOUT_NONE);
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 71000), CONN_TIMEOUT_IDLE);
	t.idle_ms = 0;
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 1000000), CONN_TIMEOUT_NONE);
}

TEST(handshake_before_frame_before_idle)
{
	struct conn_clock k;
	struct conn_timeouts t = { .handshake_ms = 100, .frame_ms = 100, .idle_ms = 100 };
	conn_clock_start(&k, 10);
	conn_clock_partial(&k, 1, 10);
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 500), CONN_TIMEOUT_HANDSHAKE);
	t.handshake_ms = 0;
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 500), CONN_TIMEOUT_FRAME);
	t.frame_ms = 0;
	CHECK_EQ_INT(conn_clock_expired(&k, &t, 500), CONN_TIMEOUT_IDLE);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as hived: a broken peer is EPIPE */
	RUN(partial_writes_keep_the_rest_in_order);
	RUN(overflow_is_refused_whole);
	RUN(broken_peer_is_reported);
	RUN(each_timeout_kind);
	RUN(handshake_before_frame_before_idle);
	return test_done();
}
