/*
 * tests/sdk/test_fanout.c — examples/fanout against the fake host: description (entity with
 * a primary key and a region index, private cursor), seed, and move walking the ids
 * round-robin (wrapping) with x + 1 / y - 1 per step, plus its errors.
 */
#include "sdk/sdk_test.h"

static u8 caller[32];

static fh_result call2(const char *name, u32 a, const u32 *b)
{
    u8 args[8];
    lc_store_u32(args, a);
    if (b) lc_store_u32(args + 4, *b);
    return fh_call(name, caller, NO_CONN, 1, args, b ? 8 : 4);
}

/* Entity `id` as (x, y, region); false if absent. */
static bool entity_get(u32 id, i32 *x, i32 *y, u32 *region)
{
    for (u32 i = 0; i < fh_row_count("entity"); i++) {
        u32 len;
        const u8 *row = fh_row("entity", i, &len);
        if (len == 16 && lc_load_u32(row) == id) {
            *x = (i32)lc_load_u32(row + 4);
            *y = (i32)lc_load_u32(row + 8);
            *region = lc_load_u32(row + 12);
            return true;
        }
    }
    return false;
}

TEST(fanout_describe)
{
    CHECK(sdk_setup());
    CHECK_EQ(g_md.table_count, 2);
    const md_table *t = moddef_table(&g_md, "entity");
    CHECK(t);
    CHECK_EQ(t->pk.count, 1);
    CHECK_EQ(t->index_count, 2);
    CHECK(moddef_table(&g_md, "cursor") != NULL);
    CHECK_EQ(g_md.reducer_count, 2);
    bool has_seed = false, has_move = false;
    for (u32 i = 0; i < 2; i++) {
        has_seed |= strcmp(g_md.reducers[i].name, "seed") == 0;
        has_move |= strcmp(g_md.reducers[i].name, "move") == 0;
    }
    CHECK(has_seed && has_move);
}

TEST(fanout_seed_and_move)
{
    CHECK(sdk_setup());
    u32 regions = 4;
    CHECK_EQ(call2("move", 1, NULL).rc, 1); /* not seeded */
    CHECK_EQ(call2("seed", 10, &regions).rc, 0);
    CHECK_EQ(fh_row_count("entity"), 10);
    i32 x, y;
    u32 region;
    CHECK(entity_get(7, &x, &y, &region));
    CHECK(x == 0 && y == 0 && region == 3);
    CHECK_EQ(call2("move", 11, NULL).rc, 1); /* more than exist */
    CHECK_EQ(call2("move", 6, NULL).rc, 0);  /* 0..5 */
    CHECK_EQ(call2("move", 6, NULL).rc, 0);  /* 6..9, 0, 1 */
    CHECK(entity_get(0, &x, &y, &region));
    CHECK(x == 2 && y == -2);
    CHECK(entity_get(1, &x, &y, &region));
    CHECK(x == 2 && y == -2);
    CHECK(entity_get(2, &x, &y, &region));
    CHECK(x == 1 && y == -1);
    CHECK(entity_get(9, &x, &y, &region));
    CHECK(x == 1 && y == -1 && region == 1);
    u32 zero = 0;
    CHECK_EQ(call2("seed", 3, &zero).rc, 1);
    CHECK_EQ(call2("seed", 3, &regions).rc, 0);
    CHECK_EQ(fh_row_count("entity"), 3);
    CHECK(entity_get(0, &x, &y, &region));
    CHECK(x == 0 && y == 0);
    CHECK_EQ(fh_open_iters(), 0);
}
