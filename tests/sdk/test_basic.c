/*
 * tests/sdk/test_basic.c — the C SDK's description of the basic-cpp twin module compared with
 * the 299 bytes the official C++ bindings produce (spec-module-abi.md §3.5, verified there
 * against a real C++ build), then its reducers run against the fake host.
 */
#include "sdk/sdk_test.h"

/* The annotated bytes of §3.5, rebuilt field by field. */
static void expected_basic(lc_buf *b)
{
    static const char *lifecycle[3] = {"identity_connected", "identity_disconnected", "init"};
    lc_buf_put_u8(b, 2);  /* V10 */
    lc_buf_put_u32(b, 5); /* sections */
    lc_buf_put_u8(b, 0);  /* Typespace: [Product { name: String }] */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 2);
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 0);
    put_str(b, "name");
    lc_buf_put_u8(b, 4);
    lc_buf_put_u8(b, 1); /* Types */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u32(b, 0);
    put_str(b, "Person");
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, 2); /* Tables */
    lc_buf_put_u32(b, 1);
    put_str(b, "person");
    for (int i = 0; i < 5; i++) lc_buf_put_u32(b, 0); /* ref, pk, indexes, constraints, seqs */
    lc_buf_put_u8(b, 1);                                /* User */
    lc_buf_put_u8(b, 0);                                /* Public */
    lc_buf_put_u32(b, 0);                               /* default_values */
    lc_buf_put_u8(b, 0);                                /* is_event */
    lc_buf_put_u8(b, 3);                                /* Reducers */
    lc_buf_put_u32(b, 5);
    static const u8 tail[] = {2, 0, 0, 0, 0, 4}; /* ok () , err String */
    for (int i = 0; i < 3; i++) {
        put_str(b, lifecycle[i]);
        lc_buf_put_u32(b, 0);
        lc_buf_put_u8(b, 0);
        lc_buf_put(b, tail, sizeof tail);
    }
    put_str(b, "add");
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 0);
    put_str(b, "name");
    lc_buf_put_u8(b, 4);
    lc_buf_put_u8(b, 1);
    lc_buf_put(b, tail, sizeof tail);
    put_str(b, "say_hello");
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 1);
    lc_buf_put(b, tail, sizeof tail);
    lc_buf_put_u8(b, 7); /* LifeCycleReducers */
    lc_buf_put_u32(b, 3);
    static const u8 kinds[3] = {1, 2, 0};
    for (int i = 0; i < 3; i++) {
        lc_buf_put_u8(b, kinds[i]);
        put_str(b, lifecycle[i]);
    }
}

TEST(basic_description_equals_cpp_bytes)
{
    CHECK(sdk_setup());
    lc_buf want;
    lc_buf_init(&want);
    expected_basic(&want);
    u32 want_len = (u32)want.len;
    bool same = want.len == g_desc_len && memcmp(want.data, g_desc, g_desc_len) == 0;
    lc_buf_deinit(&want);
    CHECK_EQ(want_len, 299);
    CHECK_EQ(g_desc_len, 299);
    CHECK(same);
}

TEST(basic_add_and_say_hello)
{
    CHECK(sdk_setup());
    u8 who[32];
    ident(who, 4);
    const char *names[] = {"Alice", "Bob"};
    for (int i = 0; i < 2; i++) {
        lc_buf b;
        lc_buf_init(&b);
        put_str(&b, names[i]);
        fh_result r = fh_call("add", who, NO_CONN, 1, b.data, (u32)b.len);
        lc_buf_deinit(&b);
        CHECK_EQ(r.rc, 0);
    }
    CHECK_EQ(fh_row_count("person"), 2);
    CHECK_EQ(fh_call("say_hello", who, NO_CONN, 2, NULL, 0).rc, 0);
    CHECK_EQ(fh_log_count(), 3);
    CHECK_STR(fh_log_get(0)->message, "Hello, Alice!");
    CHECK_STR(fh_log_get(1)->message, "Hello, Bob!");
    CHECK_STR(fh_log_get(2)->message, "Hello, World!");
    CHECK_STR(fh_log_get(2)->target, "say_hello");
    CHECK_EQ(fh_open_iters(), 0);
}
