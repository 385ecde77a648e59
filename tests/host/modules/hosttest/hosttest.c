/*
 * tests/host/modules/hosttest/hosttest.c — a module for the host tests: traps, a runaway loop
 * (fuel), user errors after writes (rollback), a unique column, a sequence, a module global
 * (to observe instance replacement) and lifecycle reducers that can be told to fail.
 */
#include "spacetimedb.h"

#define ITEM_COLS(X) X(id, U64) X(name, STRING) X(qty, U32)
STDB_TABLE(item, ITEM_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(item, id);
STDB_AUTO_INC(item, id);
STDB_UNIQUE(item, name);

#define EVENT_COLS(X) X(kind, STRING) X(n, U32)
STDB_TABLE(event, EVENT_COLS, STDB_PUBLIC);

static uint32_t g_calls; /* module global: reset when the instance is replaced */

#define ADD_ARGS(X) X(name, STRING) X(qty, U32)
STDB_REDUCER(add, ADD_ARGS)
{
    item it = {0, args->name, args->qty};
    int e = item_insert(&it);
    if (e == STDB_ERRNO_UNIQUE_ALREADY_EXISTS) return stdb_fail(ctx, "duplicate name");
    if (e != 0) return stdb_fail(ctx, "insert failed: %d", e);
    g_calls++;
    STDB_LOG_I("added item %llu", (unsigned long long)it.id);
    return STDB_OK;
}

#define ADD_THEN_FAIL_ARGS(X) X(name, STRING)
STDB_REDUCER(add_then_fail, ADD_THEN_FAIL_ARGS)
{
    item it = {0, args->name, 1};
    item_insert(&it);
    return stdb_fail(ctx, "failing on purpose after inserting %S", args->name);
}

STDB_REDUCER(add_then_trap, ADD_THEN_FAIL_ARGS)
{
    item it = {0, args->name, 1};
    item_insert(&it);
    __builtin_trap();
}

STDB_REDUCER(spin, STDB__NO_ARGS)
{
    volatile uint32_t x = 0;
    for (;;) x++;
    return STDB_OK;
}

/* Records the module global in `event` (kind "calls") so a test can see instance resets. */
STDB_REDUCER(count_calls, STDB__NO_ARGS)
{
    g_calls++;
    event e = {stdb_str_from("calls"), g_calls};
    return event_insert(&e) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

STDB_CLIENT_CONNECTED(on_connect)
{
    event e = {stdb_str_from("connect"), 0};
    item x;
    if (item_find_by_name(stdb_str_from("refuse"), &x)) return stdb_fail(ctx, "connections refused");
    return event_insert(&e) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

STDB_CLIENT_DISCONNECTED(on_disconnect)
{
    event e = {stdb_str_from("disconnect"), 0};
    return event_insert(&e) == 0 ? STDB_OK : stdb_fail(ctx, "insert failed");
}

/* Does nothing: the benchmark's empty reducer call. */
STDB_REDUCER(noop, STDB__NO_ARGS) { return STDB_OK; }

/* Probes the imports directly (errno codes and the BUFFER_TOO_SMALL protocol); fails with the
 * number of the first check that did not hold. */
#define PROBE(n, cond) do { if (!(cond)) return stdb_fail(ctx, "probe %d failed", n); } while (0)
STDB_REDUCER(abi_probe, STDB__NO_ARGS)
{
    uint32_t tid = 0, iter = 0, len = 1, idx = 0;
    uint64_t count = 0;
    static uint8_t buf[4096];
    PROBE(1, table_id_from_name((const uint8_t *)"item", 4, &tid) == 0);
    PROBE(2, table_id_from_name((const uint8_t *)"nope", 4, &tid) == STDB_ERRNO_NO_SUCH_TABLE);
    PROBE(3, datastore_table_row_count(tid, &count) == 0 && count >= 2);
    PROBE(4, datastore_table_row_count(999999, &count) == STDB_ERRNO_NO_SUCH_TABLE);
    PROBE(5, datastore_table_scan_bsatn(tid, &iter) == 0 && iter != 0);
    PROBE(6, row_iter_bsatn_advance(iter, buf, &len) == STDB_ERRNO_BUFFER_TOO_SMALL && len > 1);
    len = sizeof buf;
    PROBE(7, row_iter_bsatn_advance(iter, buf, &len) == STDB_EXHAUSTED && len > 8);
    PROBE(8, row_iter_bsatn_close(iter) == STDB_ERRNO_NO_SUCH_ITER);
    PROBE(9, bytes_source_read(777, buf, &len) == STDB_ERRNO_NO_SUCH_BYTES);
    PROBE(10, index_id_from_name((const uint8_t *)"item_name_idx_btree", 19, &idx) == 0);
    PROBE(11, index_id_from_name((const uint8_t *)"zzz", 3, &idx) == STDB_ERRNO_NO_SUCH_INDEX);
    uint8_t bad[3] = {1, 2, 3};
    len = 3;
    PROBE(12, datastore_insert_bsatn(tid, bad, &len) == STDB_ERRNO_BSATN_DECODE_ERROR);
    PROBE(13, row_iter_bsatn_close(4242) == STDB_ERRNO_NO_SUCH_ITER);
    return STDB_OK;
}

/* A NULL name pointer traps (spec-module-abi §1.3), even with length 0. */
STDB_REDUCER(null_name, STDB__NO_ARGS)
{
    uint32_t tid;
    volatile uintptr_t zero = 0;
    table_id_from_name((const uint8_t *)zero, 0, &tid);
    return STDB_OK;
}

/* volatile_nonatomic_schedule_immediate (unstable; not wrapped by the SDK): queues
 * add("later", 7) to run after this call, in its own transaction. */
void STDB_IMPORT("spacetime_10.0", volatile_nonatomic_schedule_immediate)(
    const uint8_t *name, uint32_t name_len, const uint8_t *args, uint32_t args_len);
STDB_REDUCER(schedule_later, STDB__NO_ARGS)
{
    static const uint8_t later[] = {5, 0, 0, 0, 'l', 'a', 't', 'e', 'r', 7, 0, 0, 0};
    volatile_nonatomic_schedule_immediate((const uint8_t *)"add", 3, later, sizeof later);
    return STDB_OK;
}
