/* Unit tests for the event loop: fds, deletion inside callbacks, timers, signals. */
#include "hived/core/loop.h"
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

struct pipe_ctx {
	int fds[2];
	int calls;
	char last;
	int del_self;
	int stop_after;
	int other_fd; /* deleted from inside the callback when >= 0 */
};

static void on_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct pipe_ctx *c = arg;
	char ch;
	if (read(fd, &ch, 1) == 1)
		c->last = ch;
	c->calls++;
	if (c->del_self)
		loop_del_fd(loop, fd);
	if (c->other_fd >= 0) {
		loop_del_fd(loop, c->other_fd);
		c->other_fd = -1;
	}
	if (c->stop_after && c->calls >= c->stop_after)
		loop_stop(loop);
}

static void stop_timer(struct loop *loop, void *arg)
{
	int *n = arg;
	(*n)++;
	loop_stop(loop);
}

TEST(fd_callback_runs)
{
	struct loop *loop = loop_new();
	CHECK(loop != NULL);
	struct pipe_ctx c = { .stop_after = 1, .other_fd = -1 };
	CHECK_EQ_INT(pipe(c.fds), 0);
	CHECK_EQ_INT(loop_add_fd(loop, c.fds[0], EPOLLIN, on_readable, &c), 0);
	CHECK_EQ_INT(loop_add_fd(loop, c.fds[0], EPOLLIN, on_readable, &c), -EEXIST);
	CHECK_EQ_INT(write(c.fds[1], "x", 1), 1);
	CHECK_EQ_INT(loop_run(loop), 0);
	CHECK_EQ_INT(c.calls, 1);
	CHECK_EQ_INT(c.last, 'x');
	CHECK_EQ_INT(loop_del_fd(loop, c.fds[0]), 0);
	CHECK_EQ_INT(loop_del_fd(loop, c.fds[0]), -ENOENT);
	CHECK_EQ_INT(loop_mod_fd(loop, c.fds[0], EPOLLIN), -ENOENT);
	close(c.fds[0]);
	close(c.fds[1]);
	loop_free(loop);
}

TEST(del_self_inside_callback)
{
	struct loop *loop = loop_new();
	struct pipe_ctx c = { .del_self = 1, .other_fd = -1 };
	CHECK_EQ_INT(pipe(c.fds), 0);
	CHECK_EQ_INT(loop_add_fd(loop, c.fds[0], EPOLLIN, on_readable, &c), 0);
	CHECK_EQ_INT(write(c.fds[1], "ab", 2), 2);
	int ticks = 0;
	CHECK(loop_add_timer(loop, 50, stop_timer, &ticks) > 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	/* Deleted after the first byte: the second byte never reaches it. */
	CHECK_EQ_INT(c.calls, 1);
	CHECK_EQ_INT(ticks, 1);
	close(c.fds[0]);
	close(c.fds[1]);
	loop_free(loop);
}

TEST(del_other_pending_in_same_batch)
{
	struct loop *loop = loop_new();
	struct pipe_ctx a = { .other_fd = -1 }, b = { .other_fd = -1 };
	CHECK_EQ_INT(pipe(a.fds), 0);
	CHECK_EQ_INT(pipe(b.fds), 0);
	/* Whichever runs first deletes the other; the other must not run
	 * although its event is already in the batch. */
	a.other_fd = b.fds[0];
	b.other_fd = a.fds[0];
	CHECK_EQ_INT(loop_add_fd(loop, a.fds[0], EPOLLIN, on_readable, &a), 0);
	CHECK_EQ_INT(loop_add_fd(loop, b.fds[0], EPOLLIN, on_readable, &b), 0);
	CHECK_EQ_INT(write(a.fds[1], "a", 1), 1);
	CHECK_EQ_INT(write(b.fds[1], "b", 1), 1);
	int ticks = 0;
	CHECK(loop_add_timer(loop, 30, stop_timer, &ticks) > 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	CHECK_EQ_INT(a.calls + b.calls, 1);
	loop_del_fd(loop, a.fds[0]);
	loop_del_fd(loop, b.fds[0]);
	close(a.fds[0]);
	close(a.fds[1]);
	close(b.fds[0]);
	close(b.fds[1]);
	loop_free(loop);
}

struct tick_ctx {
	int n;
	int stop_at;
	int del_id;
	uint64_t first_ms, last_ms;
};

static void tick(struct loop *loop, void *arg)
{
	struct tick_ctx *t = arg;
	if (!t->n)
		t->first_ms = loop_now_ms();
	t->last_ms = loop_now_ms();
	t->n++;
	if (t->del_id > 0) {
		loop_del_timer(loop, t->del_id);
		t->del_id = 0;
	}
	if (t->stop_at && t->n >= t->stop_at)
		loop_stop(loop);
}

TEST(timers_repeat_in_order)
{
	struct loop *loop = loop_new();
	struct tick_ctx fast = { .stop_at = 5 }, slow = { 0 };
	uint64_t t0 = loop_now_ms();
	CHECK(loop_add_timer(loop, 10, tick, &fast) > 0);
	CHECK(loop_add_timer(loop, 1000, tick, &slow) > 0);
	CHECK_EQ_INT(loop_add_timer(loop, 0, tick, &slow), -EINVAL);
	CHECK_EQ_INT(loop_run(loop), 0);
	CHECK_EQ_INT(fast.n, 5);
	CHECK_EQ_INT(slow.n, 0);
	/* Five periods of 10 ms took at least ~50 ms and not forever. */
	CHECK(fast.last_ms - t0 >= 45);
	CHECK(fast.last_ms - t0 < 1000);
	loop_free(loop);
}

TEST(timer_deleted_inside_callback)
{
	struct loop *loop = loop_new();
	struct tick_ctx self = { 0 }, stopper = { .stop_at = 3 };
	int id = loop_add_timer(loop, 5, tick, &self);
	CHECK(id > 0);
	self.del_id = id; /* deletes itself on the first tick */
	CHECK(loop_add_timer(loop, 20, tick, &stopper) > 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	CHECK_EQ_INT(self.n, 1);
	CHECK_EQ_INT(stopper.n, 3);
	loop_del_timer(loop, id); /* unknown id: harmless */
	loop_free(loop);
}

static int got_signo;
static void on_signal(struct loop *loop, int signo, void *arg)
{
	got_signo = signo;
	loop_stop(loop);
}

TEST(signal_through_signalfd)
{
	struct loop *loop = loop_new();
	CHECK_EQ_INT(loop_add_signal(loop, SIGUSR1, on_signal, NULL), 0);
	CHECK_EQ_INT(loop_add_signal(loop, 0, on_signal, NULL), -EINVAL);
	/* Blocked now, so raise() queues it for the signalfd. */
	raise(SIGUSR1);
	struct tick_ctx guard = { .stop_at = 1 };
	CHECK(loop_add_timer(loop, 2000, tick, &guard) > 0);
	CHECK_EQ_INT(loop_run(loop), 0);
	CHECK_EQ_INT(got_signo, SIGUSR1);
	CHECK_EQ_INT(guard.n, 0);
	loop_free(loop);
}

TEST(now_is_monotonic)
{
	uint64_t a = loop_now_ms();
	usleep(20000);
	uint64_t b = loop_now_ms();
	CHECK(b >= a + 15);
}

int main(void)
{
	RUN(fd_callback_runs);
	RUN(del_self_inside_callback);
	RUN(del_other_pending_in_same_batch);
	RUN(timers_repeat_in_order);
	RUN(timer_deleted_inside_callback);
	RUN(signal_through_signalfd);
	RUN(now_is_monotonic);
	return test_done();
}
