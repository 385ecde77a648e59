/*
 * examples/fanout/fanout.c — the subscription fan-out benchmark module (performance.md §4).
 *
 * entity(id u32 primary key, x i32, y i32, region u32 indexed), public. seed(n, regions)
 * deletes every entity and inserts ids 0..n-1 at (0, 0) with region = id % regions.
 * move(n) moves the next n entities (a cursor walks the ids round-robin, kept in the private
 * singleton table cursor) one step: x + 1, y - 1. Each move is one transaction that updates
 * n entity rows, which every subscriber of `SELECT * FROM entity` receives as n deletes + n
 * inserts (and a subscriber of `... WHERE region = k` only the rows of its region).
 */
#include "spacetimedb.h"

#define ENTITY_COLS(X) X(id, U32) X(x, I32) X(y, I32) X(region, U32)
STDB_TABLE(entity, ENTITY_COLS, STDB_PUBLIC);
STDB_PRIMARY_KEY(entity, id);
STDB_INDEX(entity, region);

#define CURSOR_COLS(X) X(id, U32) X(next, U32) X(count, U32)
STDB_TABLE(cursor, CURSOR_COLS, STDB_PRIVATE);
STDB_PRIMARY_KEY(cursor, id);

#define SEED_ARGS(X) X(n, U32) X(regions, U32)
STDB_REDUCER(seed, SEED_ARGS)
{
    if (args->regions == 0) return stdb_fail(ctx, "regions must be positive");
    entity_clear();
    cursor_clear();
    for (uint32_t i = 0; i < args->n; i++) {
        entity e = {i, 0, 0, i % args->regions};
        if (entity_insert(&e) != 0) return stdb_fail(ctx, "insert of entity %u failed", i);
    }
    cursor c = {0, 0, args->n};
    return cursor_insert(&c) == 0 ? STDB_OK : stdb_fail(ctx, "cursor insert failed");
}

#define MOVE_ARGS(X) X(n, U32)
STDB_REDUCER(move, MOVE_ARGS)
{
    cursor c;
    if (!cursor_find_by_id(0, &c) || c.count == 0) return stdb_fail(ctx, "not seeded");
    if (args->n > c.count) return stdb_fail(ctx, "cannot move more entities than exist");
    for (uint32_t k = 0; k < args->n; k++) {
        entity e;
        uint32_t id = (c.next + k) % c.count;
        if (!entity_find_by_id(id, &e)) return stdb_fail(ctx, "entity %u missing", id);
        e.x += 1;
        e.y -= 1;
        if (entity_update_by_id(&e) != 0) return stdb_fail(ctx, "update of %u failed", id);
    }
    c.next = (c.next + args->n) % c.count;
    return cursor_update_by_id(&c) == 0 ? STDB_OK : stdb_fail(ctx, "cursor update failed");
}
