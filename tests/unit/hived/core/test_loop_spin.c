/*
 * Unit tests for the event loop's busy-poll before sleeping (spin.h,
 * SPIN_US_*, hooked into the loop): the budget grows while a peer's gaps
 * are short, drops to nothing when they are long (an idle loop must sleep,
 * not burn a CPU), stays off when disabled, and timers still fire while
 * the loop spins.
 */
#include "hived/core/loop.h"
#include "hived/core/spin.h"
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* A peer that writes one byte to a pipe every gap_us until told to stop. */
struct peer {
	pthread_t tid;
	int fds[2];
	long gap_us;
	int count;          /* stop after this many bytes (0 = until stop) */
	atomic_int stop;
	int got;            /* bytes the loop read */
	int stop_loop_at;   /* loop_stop after this many bytes (0 = never) */
};

static void *peer_run(void *arg)
{
	struct peer *p = arg;
	for (int i = 0; !atomic_load(&p->stop) && (!p->count || i < p->count); i++) {
		struct timespec ts = { .tv_sec = p->gap_us / 1000000, .tv_nsec = (p->gap_us % 1000000) * 1000 };
		nanosleep(&ts, NULL);
		if (write(p->fds[1], "x", 1) != 1)
			break;
	}
	return NULL;
}

static void on_byte(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct peer *p = arg;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n > 0)
		p->got += (int)n;
	if (p->stop_loop_at && p->got >= p->stop_loop_at)
		loop_stop(loop);
}

static void stop_now(struct loop *loop, void *arg)
{
	int *fired = arg;
	(*fired)++;
	loop_stop(loop);
}

static int peer_start(struct loop *loop, struct peer *p, long gap_us, int count)
{
	p->gap_us = gap_us;
	p->count = count;
	p->got = 0;
	p->stop_loop_at = count;
	atomic_store(&p->stop, 0);
	return pthread_create(&p->tid, NULL, peer_run, p);
}

static void peer_join(struct peer *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->tid, NULL);
}

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

TEST(budget_grows_then_sleeps)
{
	struct loop *loop = loop_new();
	CHECK(loop != NULL);
	struct spin *spin = spin_attach(loop, HIVE_BUSY_POLL_US_MAX);
	CHECK_EQ_INT(spin_budget(spin), 0); /* nothing seen yet */
	struct peer p = { 0 };
	CHECK_EQ_INT(pipe(p.fds), 0);
	CHECK_EQ_INT(loop_add_fd(loop, p.fds[0], EPOLLIN, on_byte, &p), 0);

	/* Short gaps (a request/reply peer): the budget grows. */
	int guard = 0;
	int tid = loop_add_timer(loop, 5000, stop_now, &guard);
	CHECK(tid > 0);
	CHECK_EQ_INT(peer_start(loop, &p, 100, 200), 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	peer_join(&p);
	CHECK_EQ_INT(guard, 0);
	CHECK_EQ_INT(p.got, 200);
	CHECK(spin_budget(spin) >= SPIN_US_START);
	CHECK(spin_budget(spin) <= HIVE_BUSY_POLL_US_MAX);

	/* Long gaps (past the maximum): the budget halves per gap down to
	 * nothing, so the loop sleeps and burns next to no CPU while idle. */
	uint64_t cpu0 = thread_cpu_us();
	CHECK_EQ_INT(peer_start(loop, &p, 4000, 16), 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	peer_join(&p);
	uint64_t cpu = thread_cpu_us() - cpu0;
	CHECK_EQ_INT(p.got, 16);
	CHECK_EQ_INT(spin_budget(spin), 0);
	/* 16 gaps of 4 ms = 64 ms of wall time; spinning through it would
	 * cost about that much CPU. The halving budget costs at most twice
	 * its first value (2 ms). */
	CHECK(cpu < 25000);
	loop_del_timer(loop, tid);
	loop_del_fd(loop, p.fds[0]);
	close(p.fds[0]);
	close(p.fds[1]);
	spin_detach(spin);
	loop_free(loop);
}

TEST(spin_off_never_grows)
{
	struct loop *loop = loop_new();
	struct peer p = { 0 };
	CHECK_EQ_INT(pipe(p.fds), 0);
	CHECK_EQ_INT(loop_add_fd(loop, p.fds[0], EPOLLIN, on_byte, &p), 0);
	struct spin *spin = spin_attach(loop, 0);
	CHECK_EQ_INT(peer_start(loop, &p, 100, 100), 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	peer_join(&p);
	CHECK_EQ_INT(p.got, 100);
	CHECK_EQ_INT(spin_budget(spin), 0);
	loop_del_fd(loop, p.fds[0]);
	close(p.fds[0]);
	close(p.fds[1]);
	spin_detach(spin);
	loop_free(loop);
}

TEST(set_spin_is_bounded)
{
	struct loop *loop = loop_new();
	struct peer p = { 0 };
	CHECK_EQ_INT(pipe(p.fds), 0);
	CHECK_EQ_INT(loop_add_fd(loop, p.fds[0], EPOLLIN, on_byte, &p), 0);
	/* Asking for more than the maximum gets the maximum: gaps of ~3 ms
	 * lie past it, so the budget never grows. */
	struct spin *spin = spin_attach(loop, 100 * HIVE_BUSY_POLL_US_MAX);
	CHECK_EQ_INT(peer_start(loop, &p, 3 * HIVE_BUSY_POLL_US_MAX, 10), 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	peer_join(&p);
	CHECK_EQ_INT(p.got, 10);
	CHECK_EQ_INT(spin_budget(spin), 0);
	loop_del_fd(loop, p.fds[0]);
	close(p.fds[0]);
	close(p.fds[1]);
	spin_detach(spin);
	loop_free(loop);
}

TEST(timers_fire_while_spinning)
{
	struct loop *loop = loop_new();
	struct peer p = { 0 };
	CHECK_EQ_INT(pipe(p.fds), 0);
	CHECK_EQ_INT(loop_add_fd(loop, p.fds[0], EPOLLIN, on_byte, &p), 0);
	struct spin *spin = spin_attach(loop, HIVE_BUSY_POLL_US_MAX);
	int fired = 0;
	CHECK(loop_add_timer(loop, 50, stop_now, &fired) > 0);
	/* A peer that never pauses long enough for the loop to sleep. */
	CHECK_EQ_INT(peer_start(loop, &p, 50, 0), 0);
	uint64_t t0 = loop_now_ms();
	CHECK_EQ_INT(loop_run(loop), 0);
	uint64_t took = loop_now_ms() - t0;
	peer_join(&p);
	CHECK_EQ_INT(fired, 1);
	CHECK(p.got > 0);
	CHECK(took >= 45 && took < 1000);
	loop_del_fd(loop, p.fds[0]);
	close(p.fds[0]);
	close(p.fds[1]);
	spin_detach(spin);
	loop_free(loop);
}

/* The hook API alone: before sees the timeout, a deadline makes the wait a
 * poll, a quiet poll comes back as 0 events and the loop then waits as
 * usual; after sees every wait's count. */
struct hook_log {
	int befores, polls, quiet, events;
	int poll_next; /* return a deadline from the next before */
};

static uint64_t hook_before(struct loop *loop, int timeout_ms, void *arg)
{
	struct hook_log *h = arg;
	h->befores++;
	if (!h->poll_next)
		return 0;
	h->poll_next = 0;
	h->polls++;
	return loop_now_ns() + 200000u; /* 200 us */
}

static void hook_after(struct loop *loop, int nevents, void *arg)
{
	struct hook_log *h = arg;
	if (nevents == 0)
		h->quiet++;
	h->events += nevents;
}

TEST(wait_hooks)
{
	struct loop *loop = loop_new();
	struct hook_log h = { .poll_next = 1 };
	struct peer p = { 0 };
	CHECK_EQ_INT(pipe(p.fds), 0);
	CHECK_EQ_INT(loop_add_fd(loop, p.fds[0], EPOLLIN, on_byte, &p), 0);
	loop_set_wait_hooks(loop, hook_before, hook_after, &h);
	/* The first wait is a 200 us poll while the peer sleeps 20 ms: it
	 * comes back quiet, then the loop blocks until the byte. */
	CHECK_EQ_INT(peer_start(loop, &p, 20000, 1), 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	peer_join(&p);
	CHECK_EQ_INT(p.got, 1);
	CHECK_EQ_INT(h.polls, 1);
	CHECK_EQ_INT(h.quiet, 1);
	CHECK_EQ_INT(h.events, 1);
	CHECK(h.befores >= 2);
	/* Without hooks the loop still runs. */
	loop_set_wait_hooks(loop, NULL, NULL, NULL);
	CHECK_EQ_INT(peer_start(loop, &p, 100, 1), 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	peer_join(&p);
	CHECK_EQ_INT(p.got, 1);
	CHECK_EQ_INT(h.events, 1);
	loop_del_fd(loop, p.fds[0]);
	close(p.fds[0]);
	close(p.fds[1]);
	loop_free(loop);
}

int main(void)
{
	RUN(budget_grows_then_sleeps);
	RUN(spin_off_never_grows);
	RUN(set_spin_is_bounded);
	RUN(timers_fire_while_spinning);
	RUN(wait_hooks);
	return test_done();
}
