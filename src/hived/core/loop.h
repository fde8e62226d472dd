/*
 * loop.h — the event loop: fds, timers and signals over epoll.
 *
 * Everything in hived is a callback registered here; nothing blocks the
 * loop. New fd kinds (pidfds, seccomp notify fds, timerfds) are just fds:
 * register them with loop_add_fd and the events you want.
 */
#ifndef HIVE_LOOP_H
#define HIVE_LOOP_H

#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(struct loop *loop, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop *loop, void *arg);
typedef void (*loop_signal_fn)(struct loop *loop, int signo, void *arg);

struct loop *loop_new(void);
/* Free the loop; registered fds are not closed (their owners close them). */
void loop_free(struct loop *loop);

/* events: EPOLLIN / EPOLLOUT / ... Returns 0 or -errno. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
/* Safe to call from inside any callback, including the fd's own. */
int loop_del_fd(struct loop *loop, int fd);

/* A repeating timer every `period_ms` (> 0). Returns an id > 0 or -errno. */
int loop_add_timer(struct loop *loop, uint32_t period_ms, loop_timer_fn fn, void *arg);
void loop_del_timer(struct loop *loop, int id);

/* Deliver signo through the loop (blocks it, uses signalfd). */
int loop_add_signal(struct loop *loop, int signo, loop_signal_fn fn, void *arg);

/*
 * Hooks around the wait for events, as Redis keeps policy out of ae.c with
 * beforeSleep/afterSleep: the loop only offers the mechanism, a policy
 * (spin.h's adaptive busy-poll) decides.
 *
 * before runs ahead of every wait with the timeout the loop would block
 * for (ms; -1 = none, 0 = a timer is due). It returns a deadline on the
 * loop_now_ns() clock until which the loop polls without sleeping
 * (epoll_wait with no timeout, yielding the CPU between polls), or 0 to
 * wait as usual. A poll that reaches its deadline with nothing is a quiet
 * wait: the loop runs its timers again and then waits as usual. after
 * runs once the wait (or the poll) returned, with its count of events
 * (0 when nothing came), before they are handled.
 */
typedef uint64_t (*loop_before_wait_fn)(struct loop *loop, int timeout_ms, void *arg);
typedef void (*loop_after_wait_fn)(struct loop *loop, int nevents, void *arg);
/* Install the hooks (either may be NULL; both NULL removes them). */
void loop_set_wait_hooks(struct loop *loop, loop_before_wait_fn before, loop_after_wait_fn after, void *arg);

/* Run until loop_stop(). Returns 0 or -errno on a fatal epoll error. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* Monotonic milliseconds, as the loop sees time. */
uint64_t loop_now_ms(void);
/* The same clock in nanoseconds (the wait hooks' deadlines). */
uint64_t loop_now_ns(void);

#endif
