/* clock.h - monotonic milliseconds, the one time base of the event loop.
 *
 * Wall-clock time jumps (NTP, suspend); timers, rate limits and the send
 * queue must not.  Header-only: it is one call.
 */
#ifndef MISSIVE_CLOCK_H
#define MISSIVE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Microseconds, for measuring (the console's --timing). */
static inline uint64_t clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
