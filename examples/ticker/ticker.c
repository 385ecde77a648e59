/*
 * examples/ticker/ticker.c — scheduled reducers: an interval timer and one-shot timers.
 *
 * tick_timer is a schedule table (scheduled_id u64 pk auto_inc, scheduled_at ScheduleAt,
 * label String): each row makes the host call `tick` with that row, every period for an
 * Interval row, once (then the host deletes the row) for a Time row. `tick` counts calls per
 * label in tick_count. init arms "every_second"; schedule_once(label, delay_micros) arms a
 * one-shot; cancel(label) deletes the timers with that label.
 */
#include "spacetimedb.h"

#define TICK_TIMER_COLS(X) X(scheduled_id, U64) X(scheduled_at, SCHEDULE_AT) X(label, STRING)
STDB_TABLE(tick_timer, TICK_TIMER_COLS, STDB_PRIVATE);
STDB_PRIMARY_KEY(tick_timer, scheduled_id);
STDB_AUTO_INC(tick_timer, scheduled_id);
STDB_SCHEDULE(tick_timer, scheduled_at, tick);

#define TICK_COUNT_COLS(X) X(label, STRING) X(ticks, U64) X(last_tick, TIMESTAMP)
STDB_TABLE(tick_count, TICK_COUNT_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(tick_count, label);

STDB_INIT(init)
{
    tick_timer t = {0, {STDB_SCHEDULE_INTERVAL, 1000000}, stdb_str_from("every_second")};
    return tick_timer_insert(&t) == 0 ? STDB_OK : stdb_fail(ctx, "cannot arm the timer");
}

STDB_SCHEDULED(tick, tick_timer)
{
    tick_count c;
    if (tick_count_find_by_label(args->label, &c)) {
        c.ticks++;
        c.last_tick = ctx->timestamp;
        return tick_count_update_by_label(&c) == 0 ? STDB_OK : stdb_fail(ctx, "update failed");
    }
    tick_count fresh = {args->label, 1, ctx->timestamp};
    return tick_count_insert(&fresh) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

#define SCHEDULE_ONCE_ARGS(X) X(label, STRING) X(delay_micros, I64)
STDB_REDUCER(schedule_once, SCHEDULE_ONCE_ARGS)
{
    if (args->delay_micros < 0) return stdb_fail(ctx, "delay must not be negative");
    tick_timer t = {0, {STDB_SCHEDULE_TIME, ctx->timestamp.micros + args->delay_micros},
                    args->label};
    if (tick_timer_insert(&t) != 0) return stdb_fail(ctx, "cannot arm the timer");
    STDB_LOG_I("timer %llu armed for %S", (unsigned long long)t.scheduled_id, args->label);
    return STDB_OK;
}

#define CANCEL_ARGS(X) X(label, STRING)
STDB_REDUCER(cancel, CANCEL_ARGS)
{
    stdb_iter it;
    tick_timer t;
    uint32_t removed = 0;
    tick_timer_iter(&it);
    while (tick_timer_next(&it, &t)) {
        if (stdb_str_eq(t.label, args->label)) removed += tick_timer_delete(&t);
    }
    if (removed == 0) return stdb_fail(ctx, "no timer labelled %S", args->label);
    return STDB_OK;
}
