/*
 * tests/sdk/modules/features/features.c — a test-only module that uses every column kind and
 * every typed helper of the C SDK the examples leave out: unique and non-unique indexes,
 * range filters and range deletes, delete by key, count, update errors, auto_inc on a
 * non-primary column type, a two-column index with prefix scans, module identity, connection
 * id, and the formatter.
 */
#include "spacetimedb.h"

#define KITCHEN_COLS(X)                                                                      \
    X(id, U32) X(b, BOOL) X(u8v, U8) X(i8v, I8) X(u16v, U16) X(i16v, I16) X(i32v, I32)         \
    X(u64v, U64) X(i64v, I64) X(f32v, F32) X(f64v, F64) X(s, STRING) X(os, OPT_STRING)         \
    X(who, IDENTITY) X(conn, CONNECTION_ID) X(at, TIMESTAMP) X(dur, DURATION)                  \
    X(when, SCHEDULE_AT) X(blob, BYTES)
STDB_TABLE(kitchen, KITCHEN_COLS, STDB_PRIVATE);
STDB_PRIMARY_KEY(kitchen, id);
STDB_AUTO_INC(kitchen, id);

/* Every argument kind, stored as one kitchen row (id generated). */
#define PUT_ALL_ARGS(X)                                                                      \
    X(b, BOOL) X(u8v, U8) X(i8v, I8) X(u16v, U16) X(i16v, I16) X(i32v, I32) X(u64v, U64)       \
    X(i64v, I64) X(f32v, F32) X(f64v, F64) X(s, STRING) X(os, OPT_STRING) X(who, IDENTITY)     \
    X(conn, CONNECTION_ID) X(at, TIMESTAMP) X(dur, DURATION) X(when, SCHEDULE_AT)             \
    X(blob, BYTES)
STDB_REDUCER(put_all, PUT_ALL_ARGS)
{
    kitchen k = {0,        args->b,    args->u8v,  args->i8v,  args->u16v, args->i16v,
                 args->i32v, args->u64v, args->i64v, args->f32v, args->f64v, args->s,
                 args->os,  args->who,  args->conn, args->at,   args->dur,  args->when,
                 args->blob};
    int rc = kitchen_insert(&k);
    if (rc != 0) return stdb_fail(ctx, "insert: errno %d", rc);
    STDB_LOG_I("kitchen id=%u", k.id);
    return STDB_OK;
}

#define SCORE_COLS(X) X(player_id, U64) X(name, STRING) X(points, I32)
STDB_TABLE(score, SCORE_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(score, player_id);
STDB_AUTO_INC(score, player_id);
STDB_UNIQUE(score, name);
STDB_INDEX(score, points);
STDB_INDEX2(score, by_points_name, points, name);

#define ADD_PLAYER_ARGS(X) X(name, STRING) X(points, I32)
STDB_REDUCER(add_player, ADD_PLAYER_ARGS)
{
    score s = {0, args->name, args->points};
    int rc = score_insert(&s);
    if (rc == STDB_ERRNO_UNIQUE_ALREADY_EXISTS) return stdb_fail(ctx, "duplicate %S", args->name);
    if (rc != 0) return stdb_fail(ctx, "insert: errno %d", rc);
    STDB_LOG_I("player %S id=%llu", s.name, (unsigned long long)s.player_id);
    return STDB_OK;
}

#define RANGE_ARGS(X) X(lo, I32) X(hi, I32) X(has_lo, BOOL) X(has_hi, BOOL)
STDB_REDUCER(list_range, RANGE_ARGS)
{
    stdb_iter it;
    score s;
    score_filter_by_points(&it, args->has_lo ? &args->lo : 0, args->has_hi ? &args->hi : 0);
    stdb_str out = stdb_format("");
    while (score_next(&it, &s)) out = stdb_format("%S%S:%d ", out, s.name, s.points);
    STDB_LOG_I("range [%S] of %llu", out, (unsigned long long)score_count());
    return STDB_OK;
}

STDB_REDUCER(delete_range, RANGE_ARGS)
{
    uint32_t n = score_delete_by_points_range(args->has_lo ? &args->lo : 0,
                                              args->has_hi ? &args->hi : 0);
    STDB_LOG_I("deleted %u", n);
    return STDB_OK;
}

#define RENAME_ARGS(X) X(from, STRING) X(to, STRING)
STDB_REDUCER(rename, RENAME_ARGS)
{
    score s;
    if (!score_find_by_name(args->from, &s)) return stdb_fail(ctx, "no player %S", args->from);
    s.name = args->to;
    int rc = score_update_by_player_id(&s);
    return rc == 0 ? STDB_OK : stdb_fail(ctx, "update: errno %d", rc);
}

#define NAME_ARGS(X) X(name, STRING)
STDB_REDUCER(remove_player, NAME_ARGS)
{
    return score_delete_by_name(args->name) ? STDB_OK : stdb_fail(ctx, "no player %S", args->name);
}

STDB_REDUCER0(update_missing)
{
    score s = {999, stdb_str_from("ghost"), 0};
    return stdb_fail(ctx, "update: errno %d", score_update_by_player_id(&s));
}

STDB_REDUCER0(whoami)
{
    stdb_identity me = stdb_module_identity();
    STDB_LOG_D("sender %x conn %d:%x module %x at %lld %c%% %.*s|%s|%i|%lu", ctx->sender.bytes[0],
               ctx->has_connection_id, ctx->connection_id.bytes[0], me.bytes[0],
               (long long)ctx->timestamp.micros, 'Z', 3, "abcdef", "str", -42, 7ul);
    return STDB_OK;
}

#define PREFIX_ARGS(X) X(points, I32) X(from, STRING)
STDB_REDUCER(list_prefix, PREFIX_ARGS)
{
    stdb_iter it;
    score s;
    score_filter_by_by_points_name(&it, args->points, args->from.len ? &args->from : 0, 0);
    stdb_str out = stdb_format("");
    while (score_next(&it, &s)) out = stdb_format("%S%S ", out, s.name);
    STDB_LOG_I("prefix [%S]", out);
    return STDB_OK;
}

/* Stops a scan early: the iterator must be closed, or the host keeps it. */
STDB_REDUCER0(first_player)
{
    stdb_iter it;
    score s;
    score_iter(&it);
    bool found = score_next(&it, &s);
    stdb_iter_close(&it);
    STDB_LOG_I("first %S", found ? s.name : stdb_str_from("-"));
    return STDB_OK;
}

/* Many point lookups in one call must not exhaust the per-call arena. */
#define MANY_ARGS(X) X(n, U32)
STDB_REDUCER(many_finds, MANY_ARGS)
{
    uint32_t found = 0;
    score s;
    if (args->n > 100000) return stdb_fail(ctx, "n too large"); /* random-args test */
    for (uint32_t i = 0; i < args->n; i++) found += score_find_by_player_id(i % 4, &s);
    STDB_LOG_I("found %u", found);
    return STDB_OK;
}
