/*
 * tests/sdk/test_quickstart_chat.c — examples/quickstart-chat compiled natively against the
 * fake host: its RawModuleDef decoded independently, and its reducers called with BSATN args
 * exactly as the host calls __call_reducer__ (spec §1.8), checking rows, errors and logs.
 */
#include "sdk/sdk_test.h"

TEST(chat_describe_tables)
{
    CHECK(sdk_setup());
    CHECK_EQ(g_md.version, 2);
    CHECK_EQ(g_md.table_count, 2);
    CHECK_EQ(g_md.type_count, 2);
    /* tables are sorted by name: message = ref 0, user = ref 1 */
    CHECK(strcmp(g_md.typedefs[0].name, "Message") == 0);
    CHECK(strcmp(g_md.typedefs[1].name, "User") == 0);
    CHECK(g_md.typedefs[1].custom_ordering);
    CHECK_EQ(g_md.typedefs[1].scope_count, 0);

    const md_table *u = moddef_table(&g_md, "user");
    CHECK(u);
    CHECK_EQ(u->type_ref, 1);
    CHECK_EQ(u->access, 0); /* public */
    CHECK_EQ(u->table_type, 1);
    CHECK_EQ(u->pk.count, 1);
    CHECK_EQ(u->pk.cols[0], 0);
    CHECK_EQ(u->index_count, 1);
    CHECK(strcmp(u->indexes[0].source_name, "user_identity_idx_btree") == 0);
    CHECK(strcmp(u->indexes[0].accessor_name, "identity") == 0);
    CHECK_EQ(u->indexes[0].algorithm, 0);
    CHECK_EQ(u->indexes[0].cols.count, 1);
    CHECK_EQ(u->constraint_count, 1);
    CHECK(u->constraints[0].source_name == NULL);
    CHECK_EQ(u->constraints[0].cols.cols[0], 0);
    CHECK_EQ(u->sequence_count, 0);
    CHECK(!u->is_event);

    const char *name = "";
    const md_type *t = md_col(&g_md, u, 0, &name);
    CHECK(strcmp(name, "identity") == 0 && md_is_wrapper(t, "__identity__", MD_U256));
    t = md_col(&g_md, u, 1, &name);
    CHECK(strcmp(name, "name") == 0 && t->tag == MD_SUM && t->count == 2);
    CHECK(strcmp(t->names[0], "some") == 0 && t->elems[0]->tag == MD_STRING);
    CHECK(strcmp(t->names[1], "none") == 0 && md_is_unit(t->elems[1]));
    t = md_col(&g_md, u, 2, &name);
    CHECK(strcmp(name, "online") == 0 && t->tag == MD_BOOL);

    const md_table *m = moddef_table(&g_md, "message");
    CHECK(m);
    CHECK_EQ(m->pk.count, 0);
    CHECK_EQ(m->index_count, 0);
    t = md_col(&g_md, m, 1, &name);
    CHECK(strcmp(name, "sent") == 0 &&
          md_is_wrapper(t, "__timestamp_micros_since_unix_epoch__", MD_I64));
    t = md_col(&g_md, m, 2, &name);
    CHECK(strcmp(name, "text") == 0 && t->tag == MD_STRING);
}

TEST(chat_describe_reducers)
{
    CHECK(sdk_setup());
    static const char *order[] = {"identity_connected", "identity_disconnected", "init",
                                  "send_message", "set_name"};
    CHECK_EQ(g_md.reducer_count, 5);
    for (u32 i = 0; i < 5; i++) {
        const md_reducer *r = &g_md.reducers[i];
        CHECK(strcmp(r->name, order[i]) == 0);
        CHECK(md_is_unit(r->ok_type));
        CHECK_EQ(r->err_type->tag, MD_STRING);
        CHECK_EQ(r->visibility, i < 3 ? 0 : 1); /* lifecycle reducers are private */
        CHECK_EQ(r->params->count, i < 3 ? 0 : 1);
    }
    CHECK(strcmp(g_md.reducers[4].params->names[0], "name") == 0);
    CHECK_EQ(g_md.reducers[4].params->elems[0]->tag, MD_STRING);
    CHECK(strcmp(g_md.reducers[3].params->names[0], "text") == 0);
    CHECK_EQ(g_md.lifecycle_count, 3);
    CHECK_EQ(g_md.lifecycles[0].kind, 1);
    CHECK(strcmp(g_md.lifecycles[0].function_name, "identity_connected") == 0);
    CHECK_EQ(g_md.lifecycles[1].kind, 2);
    CHECK_EQ(g_md.lifecycles[2].kind, 0);
    CHECK(strcmp(g_md.lifecycles[2].function_name, "init") == 0);
    CHECK_EQ(g_md.schedule_count, 0);
    CHECK_EQ(g_md.section_count, 5);
    static const u8 sections[] = {0, 1, 2, 3, 7};
    CHECK_MEM(g_md.section_tags, sections, 5);
}

/* Decodes user row i: identity, name (NULL = None), online. */
static bool user_row(u32 i, u8 id[32], const char **name, bool *online)
{
    u32 len;
    const u8 *row = fh_row("user", i, &len);
    if (!row) return false;
    lc_rd r;
    lc_rd_init(&r, row, len);
    memcpy(id, lc_rd_take(&r, 32), 32);
    *name = lc_rd_u8(&r) == 0 ? rd_str(&r) : NULL;
    *online = lc_rd_u8(&r) == 1;
    return !r.err && lc_rd_left(&r) == 0;
}

static fh_result call_str(const char *reducer, const u8 who[32], const char *arg)
{
    lc_buf b;
    lc_buf_init(&b);
    put_str(&b, arg);
    u8 c[16];
    conn(c, who[0]);
    fh_result r = fh_call(reducer, who, c, 1700000000000000, b.data, (u32)b.len);
    lc_buf_deinit(&b);
    return r;
}

TEST(chat_connect_set_name_disconnect)
{
    CHECK(sdk_setup());
    u8 alice[32], c[16], id[32];
    ident(alice, 1);
    conn(c, 1);
    CHECK_EQ(fh_call("init", alice, NO_CONN, 1, NULL, 0).rc, 0);
    CHECK_EQ(fh_call("identity_connected", alice, c, 10, NULL, 0).rc, 0);
    CHECK_EQ(fh_row_count("user"), 1);
    const char *name = "";
    bool online;
    CHECK(user_row(0, id, &name, &online));
    CHECK_MEM(id, alice, 32);
    CHECK(name == NULL);
    CHECK(online);

    fh_result r = call_str("set_name", alice, "");
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "Names must not be empty");
    CHECK(user_row(0, id, &name, &online) && name == NULL);

    r = call_str("set_name", alice, "Alice");
    CHECK_EQ(r.rc, 0);
    CHECK_STR(r.error, "");
    CHECK(user_row(0, id, &name, &online));
    CHECK_STR(name, "Alice");
    CHECK(online);

    CHECK_EQ(fh_call("identity_disconnected", alice, c, 20, NULL, 0).rc, 0);
    CHECK(user_row(0, id, &name, &online));
    CHECK(!online);
    CHECK_STR(name, "Alice");
    CHECK_EQ(fh_call("identity_connected", alice, c, 30, NULL, 0).rc, 0);
    CHECK_EQ(fh_row_count("user"), 1);
    CHECK(user_row(0, id, &name, &online) && online);
    CHECK_STR(name, "Alice");
    CHECK_EQ(fh_open_iters(), 0);
}

TEST(chat_unknown_user_errors)
{
    CHECK(sdk_setup());
    u8 bob[32], c[16];
    ident(bob, 2);
    conn(c, 2);
    fh_result r = call_str("set_name", bob, "Bob");
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "Cannot set name for unknown user");
    CHECK_EQ(fh_row_count("user"), 0);
    /* a disconnect of an unknown user only warns */
    CHECK_EQ(fh_call("identity_disconnected", bob, c, 5, NULL, 0).rc, 0);
    const fh_log *l = find_log("Disconnect event for unknown user");
    CHECK(l);
    CHECK_EQ(l->level, 1);
    CHECK_STR(l->target, "identity_disconnected");
}

TEST(chat_send_message)
{
    CHECK(sdk_setup());
    u8 alice[32], c[16];
    ident(alice, 1);
    conn(c, 1);
    CHECK_EQ(fh_call("identity_connected", alice, c, 10, NULL, 0).rc, 0);
    fh_result r = call_str("send_message", alice, "");
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "Messages must not be empty");
    CHECK_EQ(fh_row_count("message"), 0);

    r = call_str("send_message", alice, "Hello, world");
    CHECK_EQ(r.rc, 0);
    CHECK_EQ(fh_row_count("message"), 1);
    u32 len;
    const u8 *row = fh_row("message", 0, &len);
    lc_rd rd;
    lc_rd_init(&rd, row, len);
    CHECK_MEM(lc_rd_take(&rd, 32), alice, 32);
    CHECK_EQ((i64)lc_rd_u64(&rd), 1700000000000000);
    CHECK_STR(rd_str(&rd), "Hello, world");
    CHECK_EQ(lc_rd_left(&rd), 0);
    const fh_log *l = find_log("Hello, world");
    CHECK(l);
    CHECK_EQ(l->level, 2);
    CHECK_STR(l->target, "send_message");
    CHECK(l->file && strstr(l->file, "chat.c"));
    CHECK(l->line > 0);
}

TEST(chat_long_message_and_bad_args)
{
    CHECK(sdk_setup());
    u8 alice[32];
    ident(alice, 1);
    char *big = lc_alloc(100001);
    memset(big, 'x', 100000);
    big[100000] = 0;
    fh_result r = call_str("send_message", alice, big);
    lc_free(big);
    CHECK_EQ(r.rc, 0);
    u32 len;
    CHECK(fh_row("message", 0, &len));
    CHECK_EQ(len, 32 + 8 + 4 + 100000);
    /* truncated argument bytes: rejected with a message, nothing written */
    u8 bad[] = {10, 0, 0, 0, 'a'};
    r = fh_call("send_message", alice, NO_CONN, 1, bad, sizeof bad);
    CHECK_EQ(r.rc, 1);
    CHECK_STR(r.error, "invalid arguments for reducer send_message");
    /* trailing bytes are rejected too */
    u8 extra[] = {1, 0, 0, 0, 'a', 0};
    r = fh_call("send_message", alice, NO_CONN, 1, extra, sizeof extra);
    CHECK_EQ(r.rc, 1);
    CHECK_EQ(fh_row_count("message"), 1);
    /* an unknown reducer id */
    r = fh_call_id(99, alice, NO_CONN, 1, NULL, 0);
    CHECK_EQ(r.rc, -1);
}
