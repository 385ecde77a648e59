/*
 * host/sched.h — the timer set behind scheduled reducers (spec-module-abi §4.7,
 * spec-engine-semantics §5.6).
 *
 * Design. The scheduler only keeps timers; host/db.c does the transactions. A timer is
 * (table id, primary-key bytes of the schedule row, due time, interval or 0 for one-shot).
 * Rows are armed from committed TxData inserts into schedule tables and, after a restart, from
 * a scan of every schedule table; a timer whose row has gone when it fires is dropped (the
 * reference host cancels it the same way). Interval timers re-arm on the grid
 * due + k·|d| to the first tick after "now" (missed ticks are skipped). Time is injected by
 * the caller (microseconds since the Unix epoch), so tests drive it.
 * Timers live in a flat array (linear next-due scan): databases have few schedule rows.
 */
#ifndef LC_HOST_SCHED_H
#define LC_HOST_SCHED_H

#include "base/error.h"
#include "base/types.h"

/* Delays of 2^36 - 1 ms or more are refused (SCHEDULE_AT_DELAY_TOO_LONG). */
#define HOST_SCHED_DELAY_MAX_MICROS ((((i64)1 << 36) - 1) * 1000)
#define HOST_SCHED_KEY_MAX 32

typedef struct host_timer_entry {
    u32 table_id;
    u8 key_len;
    u8 key[HOST_SCHED_KEY_MAX];
    i64 due;      /* micros since the epoch */
    i64 interval; /* micros; 0 = one-shot */
} host_timer_entry;

typedef struct host_sched {
    host_timer_entry *v;
    u32 count, cap;
} host_sched;

void host_sched_init(host_sched *s);
void host_sched_deinit(host_sched *s);

/* Decodes a BSATN ScheduleAt (tag 0 Interval(micros i64), 1 Time(micros i64)) at p. Returns
 * 0, LC_EDECODE, or LC_ERANGE when the delay from `now` is too long. */
int host_sched_at_decode(const u8 *p, size_t len, i64 now, i64 *out_due, i64 *out_interval)
    LC_MUST_USE;
/* Arms (or re-arms: same table and key replace) a timer. */
int host_sched_arm(host_sched *s, u32 table_id, const u8 *key, size_t key_len, i64 due,
                   i64 interval) LC_MUST_USE;
/* Removes the timer of (table, key) if any. */
void host_sched_cancel(host_sched *s, u32 table_id, const u8 *key, size_t key_len);
/* Earliest due time, or INT64_MAX when nothing is armed. */
i64 host_sched_next_due(const host_sched *s);
/* Copies out the earliest timer due at or before `now` and removes it; false if none. */
bool host_sched_pop_due(host_sched *s, i64 now, host_timer_entry *out);
/* The next tick of an interval timer strictly after `now` on its grid. */
i64 host_sched_next_tick(i64 due, i64 interval, i64 now);

#endif
