/*
 * tests/sdk/test_multi.c — a module of two .c files sharing tables through a header
 * (STDB_SHARED_TABLES / STDB_DEFINE_TABLES): one description, and both files' reducers
 * working on the same table.
 */
#include "sdk/sdk_test.h"

static fh_result add(i64 amount)
{
    u8 args[8], who[32];
    lc_store_u64(args, (u64)amount);
    ident(who, 6);
    return fh_call("add_entry", who, NO_CONN, 1, args, 8);
}

TEST(multi_one_description)
{
    CHECK(sdk_setup());
    CHECK_EQ(g_md.table_count, 1);
    const md_table *t = moddef_table(&g_md, "entry");
    CHECK(t);
    CHECK_EQ(t->index_count, 2);
    CHECK_EQ(t->sequence_count, 1);
    CHECK_EQ(g_md.reducer_count, 2);
    CHECK_STR(g_md.reducers[0].name, "add_entry");
    CHECK_STR(g_md.reducers[1].name, "report");
}

TEST(multi_files_share_the_table)
{
    CHECK(sdk_setup());
    CHECK_EQ(add(5).rc, 0);
    CHECK_EQ(add(50).rc, 0);
    CHECK_EQ(add(500).rc, 0);
    CHECK_STR(fh_log_get(fh_log_count() - 1)->message, "entry 3");
    u8 args[16], who[32];
    ident(who, 6);
    lc_store_u64(args, 10);
    lc_store_u64(args + 8, 2);
    CHECK_EQ(fh_call("report", who, NO_CONN, 2, args, 16).rc, 0);
    CHECK_STR(fh_log_get(fh_log_count() - 1)->message, "total 550 of 3, id 2 found");
}
