/*
 * base/clock.h — time sources.
 * lc_now_ns: monotonic nanoseconds, for durations and benchmarks.
 * lc_now_micros: wall-clock microseconds since the Unix epoch (SATS Timestamp).
 */
#ifndef LC_BASE_CLOCK_H
#define LC_BASE_CLOCK_H

#include <time.h>

#include "base/types.h"

static inline u64 lc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static inline i64 lc_now_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (i64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
