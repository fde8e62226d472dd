/*
 * loop.c — the event loop: epoll for fds, a sorted list for timers and a
 * signalfd for signals.
 *
 * Redis's ae.c in spirit: a few hundred lines behind loop.h, everything
 * else is a callback. Level-triggered epoll, so a callback may do bounded
 * work per wake-up and come back later. Fd entries are found through an
 * array indexed by fd; a deleted entry is only marked dead and freed after
 * the current batch of events, so loop_del_fd is safe from any callback
 * (even for an fd whose event is still pending in the same batch).
 * Timers are few (a handful of sweeps), so a sorted list is enough; the
 * epoll_wait timeout comes from the nearest one.
 *
 * Whether to poll before sleeping is policy, not the loop's: two hooks
 * around the wait (loop.h) let a policy such as spin.c's adaptive
 * busy-poll ask for a poll deadline and see what each wait brought. The
 * loop only does the polling, yielding the CPU between polls.
 */
#include "loop.h"

#include "lib/limits.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* Highest signal number a handler can be set for (standard signals). */

struct loop_fd {
	int fd;
	int dead;
	uint32_t events;
	loop_fd_fn fn;
	void *arg;
	struct loop_fd *next_dead;
};

struct loop_timer {
	int id;
	uint32_t period_ms;
	uint64_t due_ms;
	loop_timer_fn fn;
	void *arg;
	struct loop_timer *next;
};

struct loop_sig {
	loop_signal_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	int stop;
	struct loop_fd **fds; /* indexed by fd */
	int fds_cap;
	struct loop_fd *dead; /* entries deleted during this turn */
	struct loop_timer *timers; /* sorted by due_ms */
	int ntimers;
	int next_timer_id;
	int sigfd;
	sigset_t sigmask;
	loop_before_wait_fn before_wait; /* the wait hooks (loop_set_wait_hooks) */
	loop_after_wait_fn after_wait;
	void *wait_arg;
	struct loop_sig sigs[HIVE_LOOP_SIGNALS_MAX + 1];
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof *loop);
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->sigfd = -1;
	loop->next_timer_id = 1;
	sigemptyset(&loop->sigmask);
	return loop;
}

static void loop_reap(struct loop *loop)
{
	while (loop->dead) {
		struct loop_fd *e = loop->dead;
		loop->dead = e->next_dead;
		free(e);
	}
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	for (int i = 0; i < loop->fds_cap; i++)
		free(loop->fds[i]);
	free(loop->fds);
	loop_reap(loop);
	while (loop->timers) {
		struct loop_timer *t = loop->timers;
		loop->timers = t->next;
		free(t);
	}
	if (loop->sigfd >= 0) {
		close(loop->sigfd);
		/* Give the signals back to their default delivery. */
		sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
	}
	close(loop->epfd);
	free(loop);
}

static int loop_grow(struct loop *loop, int fd)
{
	if (fd < loop->fds_cap)
		return 0;
	int cap = loop->fds_cap ? loop->fds_cap : 64;
	while (cap <= fd)
		cap *= 2;
	struct loop_fd **v = realloc(loop->fds, (size_t)cap * sizeof *v);
	if (!v)
		return -ENOMEM;
	memset(v + loop->fds_cap, 0, (size_t)(cap - loop->fds_cap) * sizeof *v);
	loop->fds = v;
	loop->fds_cap = cap;
	return 0;
}

int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	int rc = loop_grow(loop, fd);
	if (rc < 0)
		return rc;
	if (loop->fds[fd])
		return -EEXIST;
	struct loop_fd *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->fd = fd;
	e->events = events;
	e->fn = fn;
	e->arg = arg;
	struct epoll_event ev = { .events = events, .data.ptr = e };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		free(e);
		return rc;
	}
	loop->fds[fd] = e;
	return 0;
}

int loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	if (fd < 0 || fd >= loop->fds_cap || !loop->fds[fd])
		return -ENOENT;
	struct loop_fd *e = loop->fds[fd];
	if (e->events == events)
		return 0;
	struct epoll_event ev = { .events = events, .data.ptr = e };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	e->events = events;
	return 0;
}

int loop_del_fd(struct loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->fds_cap || !loop->fds[fd])
		return -ENOENT;
	struct loop_fd *e = loop->fds[fd];
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->fds[fd] = NULL;
	/* An event for e may still sit in this turn's batch: free it later. */
	e->dead = 1;
	e->next_dead = loop->dead;
	loop->dead = e;
	return 0;
}

static void loop_timer_insert(struct loop *loop, struct loop_timer *t)
{
	struct loop_timer **pp = &loop->timers;
	while (*pp && (*pp)->due_ms <= t->due_ms)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

int loop_add_timer(struct loop *loop, uint32_t period_ms, loop_timer_fn fn, void *arg)
{
	if (period_ms == 0 || !fn)
		return -EINVAL;
	if (loop->ntimers >= (int)HIVE_LOOP_TIMERS_MAX)
		return -ENOSPC;
	struct loop_timer *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	if (loop->next_timer_id <= 0)
		loop->next_timer_id = 1;
	t->id = loop->next_timer_id++;
	t->period_ms = period_ms;
	t->due_ms = loop_now_ms() + period_ms;
	t->fn = fn;
	t->arg = arg;
	loop_timer_insert(loop, t);
	loop->ntimers++;
	return t->id;
}

void loop_del_timer(struct loop *loop, int id)
{
	for (struct loop_timer **pp = &loop->timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct loop_timer *t = *pp;
			*pp = t->next;
			free(t);
			loop->ntimers--;
			return;
		}
	}
}

static void loop_sig_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);
	if (n != (ssize_t)sizeof si)
		return;
	int signo = (int)si.ssi_signo;
	if (signo > 0 && signo <= HIVE_LOOP_SIGNALS_MAX && loop->sigs[signo].fn)
		loop->sigs[signo].fn(loop, signo, loop->sigs[signo].arg);
}

int loop_add_signal(struct loop *loop, int signo, loop_signal_fn fn, void *arg)
{
	if (signo <= 0 || signo > HIVE_LOOP_SIGNALS_MAX || !fn)
		return -EINVAL;
	sigset_t mask = loop->sigmask;
	sigaddset(&mask, signo);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	int fd = signalfd(loop->sigfd, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (loop->sigfd < 0) {
		int rc = loop_add_fd(loop, fd, EPOLLIN, loop_sig_ready, NULL);
		if (rc < 0) {
			close(fd);
			return rc;
		}
		loop->sigfd = fd;
	}
	loop->sigmask = mask;
	loop->sigs[signo].fn = fn;
	loop->sigs[signo].arg = arg;
	return 0;
}

/* Run the timers that are due; return the ms until the next one (-1: none). */
static int loop_run_timers(struct loop *loop)
{
	uint64_t now = loop_now_ms();
	/* Each timer fires at most once per turn: a callback slower than its
	 * period must not starve the fds. */
	int budget = loop->ntimers;
	while (loop->timers && loop->timers->due_ms <= now && budget-- > 0) {
		struct loop_timer *t = loop->timers;
		loop->timers = t->next;
		t->due_ms = now + t->period_ms;
		loop_timer_insert(loop, t);
		/* t may be deleted inside fn; nothing touches it afterwards. */
		t->fn(loop, t->arg);
		if (loop->stop)
			break;
		now = loop_now_ms();
	}
	if (!loop->timers)
		return -1;
	now = loop_now_ms();
	if (loop->timers->due_ms <= now)
		return 0;
	uint64_t wait = loop->timers->due_ms - now;
	return wait > 60000 ? 60000 : (int)wait;
}

void loop_set_wait_hooks(struct loop *loop, loop_before_wait_fn before, loop_after_wait_fn after, void *arg)
{
	loop->before_wait = before;
	loop->after_wait = after;
	loop->wait_arg = arg;
}

uint64_t loop_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Poll without sleeping until the deadline. Returns what epoll_wait does,
 * 0 if nothing came in time. */
static int loop_poll_until(struct loop *loop, struct epoll_event *evs, uint64_t until_ns)
{
	for (;;) {
		int n = epoll_wait(loop->epfd, evs, (int)HIVE_LOOP_EVENTS_MAX, 0);
		if (n != 0 || loop_now_ns() >= until_ns)
			return n;
		/* Let anything runnable here (perhaps the very peer we wait
		 * for) have the CPU: we only want it not to go idle. */
		sched_yield();
	}
}

int loop_run(struct loop *loop)
{
	struct epoll_event evs[HIVE_LOOP_EVENTS_MAX];
	loop->stop = 0;
	while (!loop->stop) {
		int timeout = loop_run_timers(loop);
		if (loop->stop)
			break;
		uint64_t until = loop->before_wait ? loop->before_wait(loop, timeout, loop->wait_arg) : 0;
		int n = until ? loop_poll_until(loop, evs, until)
		              : epoll_wait(loop->epfd, evs, (int)HIVE_LOOP_EVENTS_MAX, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (loop->after_wait)
			loop->after_wait(loop, n, loop->wait_arg);
		if (until && n == 0)
			continue; /* a quiet poll: recompute the timers, then wait */
		for (int i = 0; i < n && !loop->stop; i++) {
			struct loop_fd *e = evs[i].data.ptr;
			if (e->dead)
				continue;
			e->fn(loop, e->fd, evs[i].events, e->arg);
		}
		loop_reap(loop);
	}
	loop_reap(loop);
	return 0;
}

void loop_stop(struct loop *loop)
{
	loop->stop = 1;
}
