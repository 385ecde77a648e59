/*
 * tests/sdk/modules/fixed/fixed.c — a test-only module for the SDK's fixed-size fast paths:
 * a table whose columns are all fixed-width (so rows are encoded and decoded by the generated
 * straight-line codecs, and point lookups read into a stack buffer) with a BOOL column (the
 * only fixed kind with invalid byte values) and an IDENTITY unique key (a key that is encoded
 * rather than passed as it is), and reducers with all-fixed arguments (one length check).
 */
#include "spacetimedb.h"

#define FLAG_COLS(X) X(id, U32) X(on, BOOL) X(n, I64) X(who, IDENTITY)
STDB_TABLE(flag, FLAG_COLS, STDB_PRIVATE);
STDB_PRIMARY_KEY(flag, id);
STDB_UNIQUE(flag, who);

/* Inserts the row, or updates it through the primary key when it exists. */
#define SET_ARGS(X) X(id, U32) X(on, BOOL) X(n, I64)
STDB_REDUCER(set_flag, SET_ARGS)
{
    flag f;
    bool existed = flag_find_by_id(args->id, &f);
    if (!existed) {
        f = (flag){0};
        f.id = args->id;
        f.who.bytes[0] = (uint8_t)args->id;
        f.who.bytes[31] = 0x80;
    }
    f.on = args->on;
    f.n = args->n;
    int rc = existed ? flag_update_by_id(&f) : flag_insert(&f);
    if (rc != 0) return stdb_fail(ctx, "write: errno %d", rc);
    STDB_LOG_I("%s %u", existed ? "updated" : "inserted", f.id);
    return STDB_OK;
}

#define GET_ARGS(X) X(id, U32)
STDB_REDUCER(get_flag, GET_ARGS)
{
    flag f;
    if (!flag_find_by_id(args->id, &f)) {
        STDB_LOG_I("missing %u", args->id);
        return STDB_OK;
    }
    STDB_LOG_I("flag %u %s %lld %u/%u", f.id, f.on ? "on" : "off", (long long)f.n,
               f.who.bytes[0], f.who.bytes[31]);
    return STDB_OK;
}

#define WHO_ARGS(X) X(who, IDENTITY)
STDB_REDUCER(get_by_who, WHO_ARGS)
{
    flag f;
    if (!flag_find_by_who(args->who, &f)) {
        STDB_LOG_I("nobody");
        return STDB_OK;
    }
    STDB_LOG_I("who -> %u %lld", f.id, (long long)f.n);
    return STDB_OK;
}
