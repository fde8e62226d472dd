/*
 * spin.h — the adaptive busy-poll policy of the event loop, hooked in
 * through loop_set_wait_hooks (hived --busy-poll-us N).
 *
 * After a turn that handled events, the next wait first polls (without
 * sleeping, yielding the CPU between polls) for a while before it blocks.
 * A peer doing request/reply sends its next request some tens of
 * microseconds after our reply; if the loop slept in between, waking it is
 * a cross-CPU wake-up, which on a virtual machine whose idle vCPUs halt
 * costs several times the handling of the request. The budget adapts per
 * idle gap, as the kernel's haltpoll does: it grows (from SPIN_US_START,
 * doubling) while gaps end within the maximum and halves whenever a gap
 * outlasts the maximum, so a peer slower than the maximum soon costs no
 * spinning at all, and an idle daemon sleeps.
 */
#ifndef HIVE_SPIN_H
#define HIVE_SPIN_H

#include <stdint.h>

#include "lib/limits.h"

struct loop;
struct spin;

/* Off by default: the design keeps the loop free of busy waiting, and a
 * daemon that burns a CPU per chatty client is a surprise. `hived
 * --busy-poll-us N` turns it on where latency is worth the CPU. */
#define SPIN_US_DEFAULT 0u
/* First budget once gaps show spinning would have paid (us). */
#define SPIN_US_START 10u

/* Install the policy on loop with a maximum budget of max_us (clamped to
 * HIVE_BUSY_POLL_US_MAX; 0 = never spin). NULL when out of memory. The loop must
 * outlive it; one policy per loop. */
struct spin *spin_attach(struct loop *loop, uint32_t max_us);
/* Remove the hooks from the loop and free the policy (NULL is fine). */
void spin_detach(struct spin *spin);
/* The current adapted budget (us): 0 while spinning would not pay. */
uint32_t spin_budget(const struct spin *spin);

#endif
