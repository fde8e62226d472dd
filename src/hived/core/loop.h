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
 * Busy-polling before sleeping: after a turn that handled events, the next
 * wait first polls (epoll_wait with no timeout, yielding the CPU between
 * polls) for a while before it blocks. A peer doing request/reply sends its
 * next request some tens of microseconds after our reply; if the loop slept
 * in between, waking it is a cross-CPU wake-up, which on a virtual machine
 * whose idle vCPUs halt costs several times the handling of the request.
 * The budget adapts per idle gap, as the kernel's haltpoll does: it grows
 * (from LOOP_SPIN_US_START, doubling) while gaps end within the maximum and
 * halves whenever a gap outlasts the maximum, so a peer that is slower than
 * the maximum soon costs no spinning at all, and an idle daemon sleeps.
 */
/* Off by default: the design keeps the loop free of busy waiting, and a
 * daemon that burns a CPU per chatty client is a surprise. `hived
 * --busy-poll-us N` turns it on where latency is worth the CPU. */
#define LOOP_SPIN_US_DEFAULT 0u
/* First budget once gaps show spinning would have paid (us). */
#define LOOP_SPIN_US_START 10u
/* Upper bound for loop_set_spin: past this, sleeping is cheaper. */
#define LOOP_SPIN_US_MAX 1000u
/* Set the maximum busy-poll budget (us, at most LOOP_SPIN_US_MAX; 0 = never
 * spin). The default is LOOP_SPIN_US_DEFAULT. */
void loop_set_spin(struct loop *loop, uint32_t us);
/* The current adapted budget (us): 0 while spinning would not pay. */
uint32_t loop_spin_budget(const struct loop *loop);

/* Run until loop_stop(). Returns 0 or -errno on a fatal epoll error. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* Monotonic milliseconds, as the loop sees time. */
uint64_t loop_now_ms(void);

#endif
