/*
 * tests/sdk/test_features.c — the test-only `features` module: every column kind through
 * describe, argument decoding and row encoding (the stored row must be byte-identical to the
 * arguments plus the generated id), unique/non-unique indexes, range filter order, range and
 * key deletes, host errno values surfacing in the module, identity/connection id/formatting,
 * and random argument bytes (never a crash, always 0 or a user error).
 */
#include "sdk/sdk_test.h"

static u8 who[32];

static fh_result call(const char *reducer, const lc_buf *b)
{
    u8 c[16];
    conn(c, 0);
    return fh_call(reducer, who, c, 1234, b ? b->data : NULL, b ? (u32)b->len : 0);
}

static fh_result call1(const char *reducer, const char *s)
{
    lc_buf b;
    lc_buf_init(&b);
    put_str(&b, s);
    fh_result r = call(reducer, &b);
    lc_buf_deinit(&b);
    return r;
}

static fh_result add_player(const char *name, i32 points)
{
    lc_buf b;
    lc_buf_init(&b);
    put_str(&b, name);
    lc_buf_put_u32(&b, (u32)points);
    fh_result r = call("add_player", &b);
    lc_buf_deinit(&b);
    return r;
}

static fh_result range(const char *reducer, i32 lo, i32 hi, bool has_lo, bool has_hi)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u32(&b, (u32)lo);
    lc_buf_put_u32(&b, (u32)hi);
    lc_buf_put_u8(&b, has_lo);
    lc_buf_put_u8(&b, has_hi);
    fh_result r = call(reducer, &b);
    lc_buf_deinit(&b);
    return r;
}

static const char *last_log(void)
{
    return fh_log_count() ? fh_log_get(fh_log_count() - 1)->message : "";
}

TEST(features_describe_kinds)
{
    CHECK(sdk_setup());
    static const u8 prim[] = {MD_U32, MD_BOOL, MD_U8, MD_I8, MD_U16, MD_I16, MD_I32, MD_U64,
                              MD_I64, MD_F32, MD_F64, MD_STRING};
    const md_table *k = moddef_table(&g_md, "kitchen");
    CHECK(k);
    CHECK_EQ(k->access, 1);
    const char *name = "";
    for (u32 i = 0; i < sizeof prim; i++) {
        const md_type *t = md_col(&g_md, k, i, &name);
        CHECK(t && t->tag == prim[i]);
    }
    const md_type *t = md_col(&g_md, k, 12, &name);
    CHECK(t && t->tag == MD_SUM && strcmp(name, "os") == 0);
    CHECK(md_is_wrapper(md_col(&g_md, k, 13, &name), "__identity__", MD_U256));
    CHECK(md_is_wrapper(md_col(&g_md, k, 14, &name), "__connection_id__", MD_U128));
    CHECK(md_is_wrapper(md_col(&g_md, k, 15, &name),
                        "__timestamp_micros_since_unix_epoch__", MD_I64));
    CHECK(md_is_wrapper(md_col(&g_md, k, 16, &name), "__time_duration_micros__", MD_I64));
    t = md_col(&g_md, k, 17, &name);
    CHECK(t && t->tag == MD_SUM && strcmp(name, "when") == 0);
    t = md_col(&g_md, k, 18, &name);
    CHECK(t && t->tag == MD_ARRAY && t->elems[0]->tag == MD_U8 && strcmp(name, "blob") == 0);

    const md_table *s = moddef_table(&g_md, "score");
    CHECK(s);
    CHECK_EQ(s->index_count, 4);
    static const char *ix[] = {"score_player_id_idx_btree", "score_name_idx_btree",
                               "score_points_idx_btree", "score_points_name_idx_btree"};
    static const char *acc[] = {"player_id", "name", "points", "by_points_name"};
    for (u32 i = 0; i < 4; i++) {
        CHECK_STR(s->indexes[i].source_name, ix[i]);
        CHECK_STR(s->indexes[i].accessor_name, acc[i]);
        CHECK_EQ(s->indexes[i].algorithm, 0);
        CHECK_EQ(s->indexes[i].cols.cols[0], i < 3 ? i : 2);
    }
    CHECK_EQ(s->indexes[3].cols.count, 2);
    CHECK_EQ(s->indexes[3].cols.cols[1], 1);
    CHECK_EQ(s->constraint_count, 2);
    CHECK_EQ(s->constraints[0].cols.cols[0], 0);
    CHECK_EQ(s->constraints[1].cols.cols[0], 1);
    CHECK_EQ(s->pk.cols[0], 0);
    static const char *order[] = {"add_player", "delete_range", "first_player", "list_prefix",
                                  "list_range", "many_finds", "put_all", "remove_player",
                                  "rename", "update_missing", "whoami"};
    CHECK_EQ(g_md.reducer_count, 11);
    for (u32 i = 0; i < 11; i++) CHECK_STR(g_md.reducers[i].name, order[i]);
    CHECK_EQ(g_md.reducers[6].params->count, 18);
}

static void put_all_args(lc_buf *b, u8 seed)
{
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, (u8)(200 + seed));
    lc_buf_put_u8(b, 0x80);
    lc_buf_put_u16(b, 65535);
    lc_buf_put_u16(b, (u16)-2);
    lc_buf_put_u32(b, (u32)-100000);
    lc_buf_put_u64(b, 0xFEDCBA9876543210ull);
    lc_buf_put_u64(b, (u64)INT64_MIN);
    float f = 1.5f;
    double d = -2.25;
    lc_buf_put(b, &f, 4);
    lc_buf_put(b, &d, 8);
    put_str(b, "héllo");
    lc_buf_put_u8(b, 0); /* Some */
    put_str(b, "opt");
    u8 id[32], c[16];
    ident(id, seed);
    conn(c, seed);
    lc_buf_put(b, id, 32);
    lc_buf_put(b, c, 16);
    lc_buf_put_u64(b, (u64)-5);
    lc_buf_put_u64(b, 1000000);
    lc_buf_put_u8(b, 1); /* ScheduleAt::Time */
    lc_buf_put_u64(b, 42);
    static const u8 blob[] = {0, 1, 2, 0xff, 0};
    lc_buf_put_u32(b, sizeof blob);
    lc_buf_put(b, blob, sizeof blob);
}

TEST(features_every_kind_round_trips)
{
    CHECK(sdk_setup());
    for (u8 k = 1; k <= 2; k++) {
        lc_buf b;
        lc_buf_init(&b);
        put_all_args(&b, k);
        fh_result r = call("put_all", &b);
        u32 len = 0;
        const u8 *row = fh_row("kitchen", k - 1, &len);
        bool same = row && len == b.len + 4 && lc_load_u32(row) == k &&
                    memcmp(row + 4, b.data, b.len) == 0;
        lc_buf_deinit(&b);
        CHECK_EQ(r.rc, 0);
        CHECK(same);
    }
    CHECK_STR(last_log(), "kitchen id=2");
    /* Option None and ScheduleAt::Interval also round-trip */
    lc_buf b;
    lc_buf_init(&b);
    put_all_args(&b, 3);
    size_t opt_at = 1 + 1 + 1 + 2 + 2 + 4 + 8 + 8 + 4 + 8 + 4 + strlen("héllo");
    lc_buf none;
    lc_buf_init(&none);
    lc_buf_put(&none, b.data, opt_at);
    lc_buf_put_u8(&none, 1);
    lc_buf_put(&none, b.data + opt_at + 1 + 4 + 3, 32 + 16 + 8 + 8);
    lc_buf_put_u8(&none, 0);
    lc_buf_put_u64(&none, 7);
    lc_buf_put_u32(&none, 0); /* empty blob */
    fh_result r = call("put_all", &none);
    u32 len = 0;
    const u8 *row = fh_row("kitchen", 2, &len);
    bool same = row && len == none.len + 4 && memcmp(row + 4, none.data, none.len) == 0;
    lc_buf_deinit(&b);
    lc_buf_deinit(&none);
    CHECK_EQ(r.rc, 0);
    CHECK(same);
}

TEST(features_unique_and_ranges)
{
    CHECK(sdk_setup());
    CHECK_EQ(add_player("alice", 10).rc, 0);
    CHECK_STR(last_log(), "player alice id=1");
    CHECK_EQ(add_player("bob", 20).rc, 0);
    CHECK_EQ(add_player("carol", 30).rc, 0);
    CHECK_EQ(add_player("dave", 20).rc, 0);
    CHECK_EQ(add_player("eve", -5).rc, 0);
    fh_result r = add_player("bob", 99);
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "duplicate bob");
    CHECK_EQ(fh_row_count("score"), 5);

    CHECK_EQ(range("list_range", 15, 30, true, true).rc, 0);
    CHECK_STR(last_log(), "range [bob:20 dave:20 carol:30 ] of 5");
    CHECK_EQ(range("list_range", 0, 20, false, true).rc, 0);
    CHECK_STR(last_log(), "range [eve:-5 alice:10 bob:20 dave:20 ] of 5");
    CHECK_EQ(range("list_range", 11, 0, true, false).rc, 0);
    CHECK_STR(last_log(), "range [bob:20 dave:20 carol:30 ] of 5");
    CHECK_EQ(range("list_range", 0, 0, false, false).rc, 0);
    CHECK_STR(last_log(), "range [eve:-5 alice:10 bob:20 dave:20 carol:30 ] of 5");

    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u32(&b, 20);
    put_str(&b, "");
    r = call("list_prefix", &b); /* points == 20, names in order */
    lc_buf_reset(&b);
    lc_buf_put_u32(&b, 20);
    put_str(&b, "c");
    fh_result r2 = call("list_prefix", &b); /* points == 20, name >= "c" */
    lc_buf_deinit(&b);
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(r2.rc, 0);
    CHECK_STR(fh_log_get(fh_log_count() - 2)->message, "prefix [bob dave ]");
    CHECK_STR(last_log(), "prefix [dave ]");

    CHECK_EQ(range("delete_range", 20, 20, true, true).rc, 0);
    CHECK_STR(last_log(), "deleted 2");
    CHECK_EQ(fh_row_count("score"), 3);
    CHECK_EQ(fh_open_iters(), 0);
}

TEST(features_update_and_delete_by_key)
{
    CHECK(sdk_setup());
    CHECK_EQ(add_player("alice", 10).rc, 0);
    CHECK_EQ(add_player("carol", 30).rc, 0);
    lc_buf b;
    lc_buf_init(&b);
    put_str(&b, "alice");
    put_str(&b, "zed");
    fh_result r = call("rename", &b);
    CHECK_EQ(r.rc, 0);
    lc_buf_reset(&b);
    put_str(&b, "zed");
    put_str(&b, "carol");
    r = call("rename", &b); /* the host reports the unique violation, the module relays it */
    lc_buf_reset(&b);
    put_str(&b, "nobody");
    put_str(&b, "x");
    fh_result r2 = call("rename", &b);
    lc_buf_deinit(&b);
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "update: errno 12");
    CHECK_STR(r2.error, "no player nobody");
    CHECK_EQ(call1("remove_player", "zed").rc, 0);
    CHECK_EQ(fh_row_count("score"), 1);
    r = call1("remove_player", "zed");
    CHECK_STR(r.error, "no player zed");
    r = call("update_missing", NULL);
    CHECK_STR(r.error, "update: errno 15");
}

TEST(features_context_and_format)
{
    CHECK(sdk_setup());
    ident(who, 5);
    CHECK_EQ(call("whoami", NULL).rc, 0);
    CHECK_STR(last_log(), "sender 9b conn 1:1 module d0 at 1234 Z% abc|str|-42|7");
    CHECK_EQ(fh_log_get(fh_log_count() - 1)->level, 3);
    u8 zero[16] = {0};
    CHECK_EQ(fh_call("whoami", who, zero, -7, NULL, 0).rc, 0);
    CHECK_STR(last_log(), "sender 9b conn 0:0 module d0 at -7 Z% abc|str|-42|7");
}

TEST(features_random_args_never_crash)
{
    CHECK(sdk_setup());
    u64 st = lc_test_seed() | 1;
    u8 buf[96];
    for (u32 k = 0; k < 4000; k++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        u32 len = (u32)(st % sizeof buf);
        for (u32 i = 0; i < len; i++) buf[i] = (u8)((st >> (i % 56)) ^ (i * 37));
        if (st & 0x100) buf[0] &= 1; /* more plausible Bool / Option tags */
        u32 id = (u32)((st >> 20) % g_md.reducer_count);
        fh_result r = fh_call_id(id, who, NO_CONN, 1, buf, len);
        CHECK(r.rc == 0 || r.rc == 1);
        if (r.rc == 1) CHECK(r.error[0] != 0);
    }
    CHECK_EQ(fh_open_iters(), 0);
}

TEST(features_early_break_closes_the_iterator)
{
    CHECK(sdk_setup());
    CHECK_EQ(call("first_player", NULL).rc, 0);
    CHECK_STR(last_log(), "first -");
    CHECK_EQ(add_player("ann", 1).rc, 0);
    CHECK_EQ(add_player("ben", 2).rc, 0);
    CHECK_EQ(add_player("cat", 3).rc, 0);
    fh_set_chunk_rows(1); /* the first advance leaves rows behind */
    CHECK_EQ(call("first_player", NULL).rc, 0);
    CHECK_STR(last_log(), "first ann");
    CHECK_EQ(fh_open_iters(), 0);
}

TEST(features_many_lookups_in_one_call)
{
    CHECK(sdk_setup());
    CHECK_EQ(add_player("ann", 1).rc, 0); /* id 1 */
    CHECK_EQ(add_player("ben", 2).rc, 0); /* id 2 */
    u8 args[4];
    lc_store_u32(args, 40000); /* 40,000 x 4 KiB would exceed the 16 MiB native arena */
    CHECK_EQ(fh_call("many_finds", who, NO_CONN, 1, args, 4).rc, 0);
    CHECK_STR(last_log(), "found 20000");
    CHECK_EQ(fh_open_iters(), 0);
}
