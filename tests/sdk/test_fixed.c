/*
 * tests/sdk/test_fixed.c — tests/sdk/modules/fixed against the fake host: the fixed-size row
 * and argument codecs (insert, point lookup, update through the primary key, lookup through
 * an encoded IDENTITY key) and their argument checks (wrong length, a bool byte above 1),
 * with the rows compared byte for byte against the BSATN the codecs must produce.
 */
#include "sdk/sdk_test.h"

static u8 who[32];

static fh_result set_flag(u32 id, u8 on, i64 n, u32 len)
{
    u8 args[16] = {0};
    lc_store_u32(args, id);
    args[4] = on;
    lc_store_u64(args + 5, (u64)n);
    return fh_call("set_flag", who, NO_CONN, 1, args, len);
}

static fh_result get_flag(u32 id)
{
    u8 args[4];
    lc_store_u32(args, id);
    return fh_call("get_flag", who, NO_CONN, 1, args, 4);
}

static const char *last_log(void)
{
    return fh_log_count() ? fh_log_get(fh_log_count() - 1)->message : "";
}

TEST(fixed_insert_find_update)
{
    CHECK(sdk_setup());
    CHECK_EQ(set_flag(7, 1, -5, 13).rc, 0);
    CHECK_STR(last_log(), "inserted 7");
    CHECK_EQ(set_flag(9, 0, 1LL << 40, 13).rc, 0);
    CHECK_EQ(get_flag(7).rc, 0);
    CHECK_STR(last_log(), "flag 7 on -5 7/128");
    CHECK_EQ(set_flag(7, 0, 42, 13).rc, 0);
    CHECK_STR(last_log(), "updated 7");
    CHECK_EQ(get_flag(7).rc, 0);
    CHECK_STR(last_log(), "flag 7 off 42 7/128");
    CHECK_EQ(get_flag(9).rc, 0);
    CHECK_STR(last_log(), "flag 9 off 1099511627776 9/128");
    CHECK_EQ(get_flag(8).rc, 0);
    CHECK_STR(last_log(), "missing 8");
    CHECK_EQ(fh_row_count("flag"), 2);
    u32 len = 0;
    const u8 *row = fh_row("flag", 0, &len); /* id u32, on bool, n i64, who u256: 45 bytes */
    CHECK_EQ(len, 45);
    CHECK_EQ(lc_load_u32(row), 7);
    CHECK_EQ(row[4], 0);
    CHECK_EQ((i64)lc_load_u64(row + 5), 42);
    CHECK_EQ(row[13], 7);
    CHECK_EQ(row[44], 0x80);
    CHECK_EQ(fh_open_iters(), 0);
}

TEST(fixed_find_by_identity_key)
{
    CHECK(sdk_setup());
    CHECK_EQ(set_flag(3, 1, 33, 13).rc, 0);
    u8 args[32] = {3};
    args[31] = 0x80;
    CHECK_EQ(fh_call("get_by_who", who, NO_CONN, 1, args, 32).rc, 0);
    CHECK_STR(last_log(), "who -> 3 33");
    args[0] = 4;
    CHECK_EQ(fh_call("get_by_who", who, NO_CONN, 1, args, 32).rc, 0);
    CHECK_STR(last_log(), "nobody");
    CHECK_EQ(fh_call("get_by_who", who, NO_CONN, 1, args, 31).rc, 1);
    CHECK_EQ(fh_open_iters(), 0);
}

TEST(fixed_args_are_checked)
{
    CHECK(sdk_setup());
    fh_result r = set_flag(1, 1, 1, 12); /* one byte short */
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "invalid arguments for reducer set_flag");
    r = set_flag(1, 1, 1, 14); /* one byte too many */
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "invalid arguments for reducer set_flag");
    r = set_flag(1, 2, 1, 13); /* a bool must be 0 or 1 */
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "invalid arguments for reducer set_flag");
    r = fh_call("get_flag", who, NO_CONN, 1, NULL, 0); /* no arguments at all */
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "invalid arguments for reducer get_flag");
    CHECK_EQ(fh_row_count("flag"), 0);
    CHECK_EQ(set_flag(1, 1, 1, 13).rc, 0);
    CHECK_EQ(fh_row_count("flag"), 1);
}

TEST(fixed_random_rows_round_trip)
{
    CHECK(sdk_setup());
    u32 s = (u32)lc_test_seed();
    i64 model[16];
    u8 on[16];
    bool present[16] = {false};
    char want[128];
    for (int i = 0; i < 400; i++) {
        s = s * 1103515245u + 12345u;
        u32 id = (s >> 8) % 16;
        i64 n = (i64)((u64)s * 0x9E3779B97F4A7C15ull);
        u8 b = (u8)((s >> 20) & 1);
        CHECK_EQ(set_flag(id, b, n, 13).rc, 0);
        CHECK_STR(last_log(), present[id] ? (snprintf(want, sizeof want, "updated %u", id), want)
                                          : (snprintf(want, sizeof want, "inserted %u", id), want));
        present[id] = true;
        model[id] = n;
        on[id] = b;
        u32 q = (s >> 4) % 16;
        CHECK_EQ(get_flag(q).rc, 0);
        if (present[q])
            snprintf(want, sizeof want, "flag %u %s %lld %u/128", q, on[q] ? "on" : "off",
                     (long long)model[q], q);
        else
            snprintf(want, sizeof want, "missing %u", q);
        CHECK_STR(last_log(), want);
    }
    CHECK_EQ(fh_open_iters(), 0);
}
