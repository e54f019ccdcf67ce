/* timer.h - the event loop's timers: one-shot and repeating, by due time.
 *
 * Like the time events of Redis's ae.c: each timer has a callback and a due
 * time in monotonic milliseconds; the loop asks timer_wait_ms() how long it
 * may sleep and calls timer_run() when it wakes.  Kept in an array sorted by
 * due time (a bot has a handful of timers: insertion is O(n), the next one is
 * O(1)).  Pure: the caller passes the clock, so tests never sleep.
 *
 * A repeating timer is rescheduled one period after the time it ran, not
 * after its due time: a loop that stalled does not fire it in a burst.  A
 * callback may add, re-arm or cancel timers, itself included.
 */
#ifndef MISSIVE_TIMER_H
#define MISSIVE_TIMER_H

#include <stdint.h>

#include "error.h"

typedef struct Timers Timers;
typedef uint64_t TimerId; /* 0: no timer */

/* Called when a timer is due; now is the time passed to timer_run. */
typedef void (*timer_fn)(void *ud, TimerId id, uint64_t now_ms);

Timers *timer_new(void); /* NULL when out of memory */
void timer_free(Timers *t);

/* A timer due at due_ms, then every period_ms when period_ms > 0.  Returns
 * its id, or 0 when out of memory. */
TimerId timer_add(Timers *t, uint64_t due_ms, uint64_t period_ms, timer_fn fn,
                  void *ud);

/* Moves a timer to a new due time (its period stays).  STATUS_OK, or
 * STATUS_NOTFOUND when id is not armed (a one-shot that ran). */
Status timer_rearm(Timers *t, TimerId id, uint64_t due_ms);

/* Disarms a timer; STATUS_NOTFOUND when it is not armed. */
Status timer_cancel(Timers *t, TimerId id);

/* Runs every timer due at now_ms, earliest first; a timer added or re-armed
 * by a callback for a time <= now_ms runs on the next call, so a callback
 * cannot keep the loop here.  Returns how many ran. */
unsigned timer_run(Timers *t, uint64_t now_ms);

/* Milliseconds until the next timer is due (0: now), or -1 when none. */
long timer_wait_ms(const Timers *t, uint64_t now_ms);

/* How many timers are armed. */
unsigned timer_count(const Timers *t);

#endif
