/*
 * tests/unit/test_host_moddef.c — host/moddef: decoding RawModuleDef V10/V9/V8, the §3.6
 * validation rules, canonical and generated names, and hostile input (every truncation of a
 * real description, trailing bytes, unknown tags).
 *
 * Descriptions are built byte by byte with the small writer below, following the field lists
 * of spec-module-abi.md §3, so the tests check the decoder against the spec, not against
 * another encoder of ours. The first test is the spec's annotated 299-byte C++ module (§3.5).
 */
#include "harness.h"
#include "host/moddef.h"

#include <stdio.h>
#include <stdlib.h>

/* host_moddef_decode, and with LC_MODDEF_SEED_DIR set, each accepted description is also
 * written there (seed-<n>.bin): how tests/fuzz/corpus/moddef got its V9 / V8 seeds. */
static int decode_seed(const u8 *p, size_t n, host_moddef **md, lc_errbuf *eb)
{
    static int seq;
    const char *dir = getenv("LC_MODDEF_SEED_DIR");
    if (dir) {
        char path[512];
        snprintf(path, sizeof path, "%s/seed-%d.bin", dir, seq++);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(p, 1, n, f);
            fclose(f);
        }
    }
    return host_moddef_decode(p, n, md, eb);
}

/* ---- a tiny BSATN writer ---- */

static void w_str(lc_buf *b, const char *s) { lc_buf_put_str(b, s, (u32)strlen(s)); }
static void w_some_str(lc_buf *b, const char *s) { lc_buf_put_u8(b, 0); w_str(b, s); }
static void w_none(lc_buf *b) { lc_buf_put_u8(b, 1); }
static void w_cols(lc_buf *b, u32 n, const u16 *cols)
{
    lc_buf_put_u32(b, n);
    for (u32 i = 0; i < n; i++) lc_buf_put_u16(b, cols[i]);
}
static void w_i128(lc_buf *b, i64 v)
{
    i128 x = v;
    lc_buf_put(b, &x, 16);
}
/* Product element { Some(name), type-tag } for primitive types. */
static void w_elem(lc_buf *b, const char *name, u8 type_tag)
{
    w_some_str(b, name);
    lc_buf_put_u8(b, type_tag);
}
/* Reducer V10 { name, params: (one optional param), visibility, ok: unit, err: String }. */
static void w_reducer_v10(lc_buf *b, const char *name, const char *param, u8 ptype, u8 vis)
{
    w_str(b, name);
    lc_buf_put_u32(b, param ? 1 : 0);
    if (param) w_elem(b, param, ptype);
    lc_buf_put_u8(b, vis);
    lc_buf_put_u8(b, 2);
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, LC_T_STRING);
}

/* The spec's §3.5 example: table person { name: String }, five reducers, three lifecycles. */
static void build_basic_cpp(lc_buf *b)
{
    lc_buf_put_u8(b, 2);      /* V10 */
    lc_buf_put_u32(b, 5);     /* sections */
    lc_buf_put_u8(b, 0);      /* Typespace */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, LC_T_PRODUCT);
    lc_buf_put_u32(b, 1);
    w_elem(b, "name", LC_T_STRING);
    lc_buf_put_u8(b, 1);      /* Types */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u32(b, 0);
    w_str(b, "Person");
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, 2);      /* Tables */
    lc_buf_put_u32(b, 1);
    w_str(b, "person");
    lc_buf_put_u32(b, 0);     /* type ref */
    for (int i = 0; i < 4; i++) lc_buf_put_u32(b, 0); /* pk, indexes, constraints, seqs */
    lc_buf_put_u8(b, 1);      /* User */
    lc_buf_put_u8(b, 0);      /* Public */
    lc_buf_put_u32(b, 0);     /* default values */
    lc_buf_put_u8(b, 0);      /* is_event */
    lc_buf_put_u8(b, 3);      /* Reducers */
    lc_buf_put_u32(b, 5);
    w_reducer_v10(b, "identity_connected", NULL, 0, 0);
    w_reducer_v10(b, "identity_disconnected", NULL, 0, 0);
    w_reducer_v10(b, "init", NULL, 0, 0);
    w_reducer_v10(b, "add", "name", LC_T_STRING, 1);
    w_reducer_v10(b, "say_hello", NULL, 0, 1);
    lc_buf_put_u8(b, 7);      /* LifeCycleReducers */
    lc_buf_put_u32(b, 3);
    lc_buf_put_u8(b, 1);
    w_str(b, "identity_connected");
    lc_buf_put_u8(b, 2);
    w_str(b, "identity_disconnected");
    lc_buf_put_u8(b, 0);
    w_str(b, "init");
}

TEST(moddef_basic_cpp_example)
{
    lc_buf b;
    lc_buf_init(&b);
    build_basic_cpp(&b);
    CHECK_EQ(b.len, 299); /* the spec's byte count: the writer follows the annotation */
    host_moddef *md = NULL;
    lc_errbuf eb;
    CHECK_OK(decode_seed(b.data, b.len, &md, &eb));
    CHECK_EQ(md->version, 10);
    CHECK_EQ(md->table_count, 1);
    const host_table_def *t = host_moddef_table(md, "person", 6);
    CHECK(t != NULL);
    CHECK(t->is_public);
    CHECK_EQ(t->pk_col, -1);
    CHECK_EQ(t->row_type->elem_count, 1);
    CHECK_STR(t->row_type->elems[0].name, "name");
    CHECK_EQ(t->row_type->elems[0].type->kind, LC_T_STRING);
    CHECK_EQ(md->reducer_count, 5);
    CHECK_STR(md->reducers[3].name, "add");
    CHECK_EQ(md->reducers[3].params->elem_count, 1);
    CHECK(md->reducers[3].is_public);
    CHECK(!md->reducers[0].is_public); /* lifecycle: private */
    CHECK_EQ(md->lifecycle_reducer[HOST_LIFECYCLE_CONNECT], 0);
    CHECK_EQ(md->lifecycle_reducer[HOST_LIFECYCLE_DISCONNECT], 1);
    CHECK_EQ(md->lifecycle_reducer[HOST_LIFECYCLE_INIT], 2);
    CHECK_EQ(host_moddef_reducer_id(md, "say_hello", 9), 4);
    CHECK_EQ(host_moddef_reducer_id(md, "nope", 4), -1);
    host_moddef_destroy(md);
    lc_buf_deinit(&b);
}

TEST(moddef_every_truncation_fails_cleanly)
{
    lc_buf b;
    lc_buf_init(&b);
    build_basic_cpp(&b);
    for (size_t n = 0; n < b.len; n++) {
        host_moddef *md = (host_moddef *)1;
        lc_errbuf eb;
        int rc = host_moddef_decode(b.data, n, &md, &eb);
        if (rc == 0 || md != NULL || eb.msg[0] == 0) {
            lc_test_fail(__FILE__, __LINE__, "prefix %zu: rc %d", n, rc);
            break;
        }
    }
    lc_buf_put_u8(&b, 0); /* one trailing byte */
    host_moddef *md = NULL;
    lc_errbuf eb;
    CHECK_ERR(host_moddef_decode(b.data, b.len, &md, &eb), LC_EDECODE);
    CHECK(strstr(eb.msg, "trailing") != NULL);
    b.data[0] = 3; /* unknown RawModuleDef tag */
    CHECK_ERR(host_moddef_decode(b.data, b.len - 1, &md, &eb), LC_EDECODE);
    lc_buf_deinit(&b);
}

TEST(moddef_snake_case)
{
    static const char *const cases[][2] = {
        {"SayHello", "say_hello"},   {"HTTPServer", "http_server"}, {"vec3", "vec_3"},
        {"player_2", "player_2"},    {"_private", "private"},       {"ABC", "abc"},
        {"already_snake", "already_snake"}, {"camelCase", "camel_case"},
        {"Item2Name", "item_2_name"}, {"a-b c", "a_b_c"},
    };
    char out[64];
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        CHECK(host_snake_case(cases[i][0], strlen(cases[i][0]), out, sizeof out) >= 0);
        CHECK_STR(out, cases[i][1]);
    }
    CHECK_EQ(host_snake_case("LongName", 8, out, 4), -1);
}

TEST(moddef_camel_case)
{
    static const char *const cases[][2] = {
        {"RedApple", "redApple"}, {"HTTPServer", "httpServer"}, {"vec3", "vec3"},
        {"player_2", "player2"},  {"ABC", "abc"},               {"already_snake", "alreadySnake"},
        {"Item2Name", "item2Name"}, {"camelCase", "camelCase"}, {"a-b c", "aBC"},
    };
    char out[64];
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        CHECK(host_camel_case(cases[i][0], strlen(cases[i][0]), out, sizeof out) >= 0);
        CHECK_STR(out, cases[i][1]);
    }
    CHECK_EQ(host_camel_case("LongName", 8, out, 4), -1);
}

/* V10 + SnakeCase converts the whole typespace: nested product fields to snake_case, sum
 * variants to camelCase; special types (Option here) keep their variant names. */
static void build_fruit(lc_buf *b, bool policy_none)
{
    lc_buf_put_u8(b, 2);
    lc_buf_put_u32(b, policy_none ? 3 : 2);
    lc_buf_put_u8(b, 0); /* Typespace */
    lc_buf_put_u32(b, 3);
    lc_buf_put_u8(b, LC_T_SUM); /* [0] enum FruitColor { RedApple, GreenApple } */
    lc_buf_put_u32(b, 2);
    const char *variants[2] = {"RedApple", "GreenApple"};
    for (int i = 0; i < 2; i++) {
        w_some_str(b, variants[i]);
        lc_buf_put_u8(b, LC_T_PRODUCT);
        lc_buf_put_u32(b, 0);
    }
    lc_buf_put_u8(b, LC_T_PRODUCT); /* [1] row { Color: &0, FruitName: String, Meta: {..} } */
    lc_buf_put_u32(b, 3);
    w_some_str(b, "Color");
    lc_buf_put_u8(b, LC_T_REF);
    lc_buf_put_u32(b, 0);
    w_elem(b, "FruitName", LC_T_STRING);
    w_some_str(b, "Meta");
    lc_buf_put_u8(b, LC_T_PRODUCT); /* inline { InnerCount: u8, Maybe: Option<u8> } */
    lc_buf_put_u32(b, 2);
    w_elem(b, "InnerCount", LC_T_U8);
    w_some_str(b, "Maybe");
    lc_buf_put_u8(b, LC_T_SUM);
    lc_buf_put_u32(b, 2);
    w_elem(b, "some", LC_T_U8);
    w_some_str(b, "none");
    lc_buf_put_u8(b, LC_T_PRODUCT);
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, LC_T_PRODUCT); /* [2] unused */
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 2); /* Tables */
    lc_buf_put_u32(b, 1);
    w_str(b, "FruitBasket");
    lc_buf_put_u32(b, 1);
    for (int i = 0; i < 4; i++) lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, 0);
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 0);
    if (policy_none) {
        lc_buf_put_u8(b, 9); /* CaseConversionPolicy::None */
        lc_buf_put_u8(b, 0);
    }
}

TEST(moddef_v10_typespace_case_conversion)
{
    for (int none = 0; none < 2; none++) {
        lc_buf b;
        lc_buf_init(&b);
        build_fruit(&b, none);
        host_moddef *md = NULL;
        lc_errbuf eb;
        CHECK_OK(decode_seed(b.data, b.len, &md, &eb));
        const host_table_def *t = &md->tables[0];
        CHECK_STR(t->name, none ? "FruitBasket" : "fruit_basket");
        const lc_type *row = t->row_type;
        CHECK_EQ(row->elem_count, 3);
        CHECK_STR(row->elems[0].name, none ? "Color" : "color");
        CHECK_STR(row->elems[1].name, none ? "FruitName" : "fruit_name");
        const lc_type *color = row->elems[0].type;
        CHECK_EQ(color->kind, LC_T_SUM);
        CHECK_STR(color->elems[0].name, none ? "RedApple" : "redApple");
        CHECK_STR(color->elems[1].name, none ? "GreenApple" : "greenApple");
        const lc_type *meta = row->elems[2].type;
        CHECK_STR(meta->elems[0].name, none ? "InnerCount" : "inner_count");
        CHECK_STR(meta->elems[1].name, none ? "Maybe" : "maybe");
        CHECK_STR(meta->elems[1].type->elems[0].name, "some"); /* special: untouched */
        CHECK_STR(meta->elems[1].type->elems[1].name, "none");
        host_moddef_destroy(md);
        lc_buf_deinit(&b);
    }
}

/* Table source names (aliases) share the global namespace: table "Other" explicitly named
 * "FooBar" collides with the source name of table "FooBar" (canonical "foo_bar"). */
static void build_alias_clash(lc_buf *b, bool clash)
{
    lc_buf_put_u8(b, 2);
    lc_buf_put_u32(b, 3);
    lc_buf_put_u8(b, 0);
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, LC_T_PRODUCT);
    lc_buf_put_u32(b, 1);
    w_elem(b, "x", LC_T_U8);
    lc_buf_put_u8(b, 2);
    lc_buf_put_u32(b, 2);
    const char *names[2] = {"FooBar", "Other"};
    for (int i = 0; i < 2; i++) {
        w_str(b, names[i]);
        lc_buf_put_u32(b, 0);
        for (int k = 0; k < 4; k++) lc_buf_put_u32(b, 0);
        lc_buf_put_u8(b, 1);
        lc_buf_put_u8(b, 0);
        lc_buf_put_u32(b, 0);
        lc_buf_put_u8(b, 0);
    }
    lc_buf_put_u8(b, 10); /* ExplicitNames */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 0); /* Table */
    w_str(b, "Other");
    w_str(b, clash ? "FooBar" : "other_table");
}

TEST(moddef_table_alias_in_global_namespace)
{
    for (int clash = 0; clash < 2; clash++) {
        lc_buf b;
        lc_buf_init(&b);
        build_alias_clash(&b, clash);
        host_moddef *md = NULL;
        lc_errbuf eb;
        if (clash) {
            CHECK_ERR(host_moddef_decode(b.data, b.len, &md, &eb), LC_EINVALID);
            CHECK(strstr(eb.msg, "duplicate name 'FooBar'") != NULL);
        } else {
            CHECK_OK(decode_seed(b.data, b.len, &md, &eb));
            CHECK_STR(md->tables[0].name, "foo_bar");
            CHECK_STR(md->tables[1].name, "other_table");
            host_moddef_destroy(md);
        }
        lc_buf_deinit(&b);
    }
}

/* V10 module: table Accounts { Id: u32 pk auto_inc, Balance: i64 } (+ optional breakage). */
enum { BREAK_NONE, BREAK_NO_UNIQUE, BREAK_NO_INDEX, BREAK_ST_NAME, BREAK_SEQ_ON_STRING,
       BREAK_TWO_INITS, BREAK_LIFECYCLE_PARAMS };

static void build_accounts(lc_buf *b, int brk)
{
    u16 col0 = 0;
    lc_buf_put_u8(b, 2);
    bool has_lifecycles = brk == BREAK_TWO_INITS || brk == BREAK_LIFECYCLE_PARAMS;
    lc_buf_put_u32(b, has_lifecycles ? 4 : 3);
    lc_buf_put_u8(b, 0); /* Typespace */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, LC_T_PRODUCT);
    lc_buf_put_u32(b, 2);
    w_elem(b, "Id", brk == BREAK_SEQ_ON_STRING ? LC_T_STRING : LC_T_U32);
    w_elem(b, "Balance", LC_T_I64);
    lc_buf_put_u8(b, 2); /* Tables */
    lc_buf_put_u32(b, 1);
    w_str(b, brk == BREAK_ST_NAME ? "st_accounts" : "Accounts");
    lc_buf_put_u32(b, 0);
    w_cols(b, 1, &col0); /* pk */
    lc_buf_put_u32(b, brk == BREAK_NO_INDEX ? 0 : 1);
    if (brk != BREAK_NO_INDEX) {
        w_some_str(b, "AccountsIdIndex");
        w_some_str(b, "id");
        lc_buf_put_u8(b, 0); /* BTree */
        w_cols(b, 1, &col0);
    }
    lc_buf_put_u32(b, brk == BREAK_NO_UNIQUE ? 0 : 1);
    if (brk != BREAK_NO_UNIQUE) {
        w_none(b);
        lc_buf_put_u8(b, 0); /* Unique */
        w_cols(b, 1, &col0);
    }
    lc_buf_put_u32(b, 1); /* sequence on Id */
    w_none(b);
    lc_buf_put_u16(b, 0);
    w_none(b);
    w_none(b);
    w_none(b);
    w_i128(b, 1);
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, 1); /* Private */
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 0);
    lc_buf_put_u8(b, 3); /* Reducers */
    lc_buf_put_u32(b, 2);
    w_reducer_v10(b, "DoTransfer", "Amount", LC_T_I64, 1);
    w_reducer_v10(b, "Init", brk == BREAK_LIFECYCLE_PARAMS ? "x" : NULL, LC_T_U8, 0);
    if (has_lifecycles) {
        lc_buf_put_u8(b, 7);
        lc_buf_put_u32(b, brk == BREAK_TWO_INITS ? 2 : 1);
        lc_buf_put_u8(b, 0);
        w_str(b, "Init");
        if (brk == BREAK_TWO_INITS) {
            lc_buf_put_u8(b, 0);
            w_str(b, "DoTransfer");
        }
    }
}

TEST(moddef_v10_canonical_and_generated_names)
{
    lc_buf b;
    lc_buf_init(&b);
    build_accounts(&b, BREAK_NONE);
    host_moddef *md = NULL;
    lc_errbuf eb;
    CHECK_OK(decode_seed(b.data, b.len, &md, &eb));
    const host_table_def *t = &md->tables[0];
    CHECK_STR(t->name, "accounts");
    CHECK_STR(t->alias, "Accounts");
    CHECK(host_moddef_table(md, "Accounts", 8) == t);
    CHECK(!t->is_public);
    CHECK_EQ(t->pk_col, 0);
    CHECK_STR(t->row_type->elems[0].name, "id");
    CHECK_STR(t->row_type->elems[1].name, "balance");
    CHECK_EQ(t->index_count, 1);
    CHECK_STR(t->indexes[0].name, "accounts_id_idx_btree");
    CHECK_STR(t->indexes[0].alias, "AccountsIdIndex");
    CHECK(t->indexes[0].is_unique);
    CHECK_STR(t->constraints[0].name, "accounts_id_key");
    CHECK_STR(t->sequences[0].name, "accounts_id_seq");
    CHECK(t->sequences[0].start == 1 && t->sequences[0].min_value == 1);
    CHECK(t->sequences[0].max_value > ((i128)1 << 100));
    CHECK_STR(md->reducers[0].name, "do_transfer");
    CHECK_EQ(host_moddef_reducer_id(md, "DoTransfer", 10), 0);
    CHECK_STR(md->reducers[0].params->elems[0].name, "Amount"); /* params keep their names */
    host_moddef_destroy(md);
    lc_buf_deinit(&b);
}

TEST(moddef_rules_refused)
{
    static const struct {
        int brk;
        const char *needle;
    } cases[] = {
        {BREAK_NO_UNIQUE, "primary key has no unique"},
        {BREAK_NO_INDEX, "no index over the same columns"},
        {BREAK_ST_NAME, "reserved"},
        {BREAK_SEQ_ON_STRING, "integer column"},
        {BREAK_TWO_INITS, "same lifecycle"},
        {BREAK_LIFECYCLE_PARAMS, "cannot take parameters"},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        lc_buf b;
        lc_buf_init(&b);
        build_accounts(&b, cases[i].brk);
        host_moddef *md = NULL;
        lc_errbuf eb;
        int rc = host_moddef_decode(b.data, b.len, &md, &eb);
        lc_buf_deinit(&b);
        if (rc != LC_EINVALID || md || !strstr(eb.msg, cases[i].needle)) {
            lc_test_fail(__FILE__, __LINE__, "case %zu: rc %s, msg '%s'", i, lc_err_name(rc),
                         eb.msg);
            return;
        }
    }
}

/* V9: typespace, tables (with an inline schedule), reducers (lifecycle inline), types, misc
 * (a column default), row-level security. Names are verbatim. */
TEST(moddef_v9_decodes_with_schedule_and_defaults)
{
    lc_buf b;
    lc_buf_init(&b);
    u16 col0 = 0;
    lc_buf_put_u8(&b, 1);
    lc_buf_put_u32(&b, 1); /* typespace: Tick { scheduled_id: u64, scheduled_at: ScheduleAt } */
    lc_buf_put_u8(&b, LC_T_PRODUCT);
    lc_buf_put_u32(&b, 3);
    w_elem(&b, "scheduled_id", LC_T_U64);
    w_some_str(&b, "scheduled_at"); /* ScheduleAt = sum { Interval: TimeDuration, Time: Ts } */
    lc_buf_put_u8(&b, LC_T_SUM);
    lc_buf_put_u32(&b, 2);
    w_some_str(&b, "Interval");
    lc_buf_put_u8(&b, LC_T_PRODUCT);
    lc_buf_put_u32(&b, 1);
    w_elem(&b, "__time_duration_micros__", LC_T_I64);
    w_some_str(&b, "Time");
    lc_buf_put_u8(&b, LC_T_PRODUCT);
    lc_buf_put_u32(&b, 1);
    w_elem(&b, "__timestamp_micros_since_unix_epoch__", LC_T_I64);
    w_elem(&b, "Count", LC_T_U32);
    lc_buf_put_u32(&b, 1); /* tables */
    w_str(&b, "Tick");
    lc_buf_put_u32(&b, 0);
    w_cols(&b, 1, &col0);
    lc_buf_put_u32(&b, 1);
    w_none(&b);
    w_none(&b);
    lc_buf_put_u8(&b, 0);
    w_cols(&b, 1, &col0);
    lc_buf_put_u32(&b, 1);
    w_none(&b);
    lc_buf_put_u8(&b, 0);
    w_cols(&b, 1, &col0);
    lc_buf_put_u32(&b, 0);  /* sequences */
    lc_buf_put_u8(&b, 0);   /* schedule: Some */
    w_none(&b);
    w_str(&b, "tick");
    lc_buf_put_u16(&b, 1);
    lc_buf_put_u8(&b, 1);
    lc_buf_put_u8(&b, 0);
    lc_buf_put_u32(&b, 2); /* reducers */
    w_str(&b, "tick");
    lc_buf_put_u32(&b, 1);
    w_some_str(&b, "arg");
    lc_buf_put_u8(&b, LC_T_REF);
    lc_buf_put_u32(&b, 0);
    w_none(&b);
    w_str(&b, "on_connect");
    lc_buf_put_u32(&b, 0);
    lc_buf_put_u8(&b, 0);
    lc_buf_put_u8(&b, 1); /* OnConnect */
    lc_buf_put_u32(&b, 0); /* types */
    lc_buf_put_u32(&b, 1); /* misc: ColumnDefaultValue Tick.Count = 7 */
    lc_buf_put_u8(&b, 0);
    w_str(&b, "Tick");
    lc_buf_put_u16(&b, 2);
    lc_buf_put_u32(&b, 4);
    lc_buf_put_u32(&b, 7);
    lc_buf_put_u32(&b, 1); /* rls */
    w_str(&b, "SELECT * FROM Tick WHERE Count = 1");
    host_moddef *md = NULL;
    lc_errbuf eb;
    CHECK_OK(decode_seed(b.data, b.len, &md, &eb));
    lc_buf_deinit(&b);
    CHECK_EQ(md->version, 9);
    const host_table_def *t = &md->tables[0];
    CHECK_STR(t->name, "Tick"); /* V9: verbatim */
    CHECK_STR(t->schedule_function, "tick");
    CHECK_STR(t->schedule_name, "Tick_sched");
    CHECK_EQ(t->schedule_at_col, 1);
    CHECK_EQ(t->default_count, 1);
    CHECK(!md->reducers[0].is_public); /* scheduled: private */
    CHECK_EQ(md->lifecycle_reducer[HOST_LIFECYCLE_CONNECT], 1);
    CHECK_EQ(md->rls_count, 1);
    host_moddef_destroy(md);
}

/* V8: columns listed explicitly, flags-based constraints, string enums, __init__. */
TEST(moddef_v8_flags_become_keys)
{
    lc_buf b;
    lc_buf_init(&b);
    u16 col0 = 0;
    lc_buf_put_u8(&b, 0);
    lc_buf_put_u32(&b, 1);
    lc_buf_put_u8(&b, LC_T_PRODUCT);
    lc_buf_put_u32(&b, 2);
    w_elem(&b, "id", LC_T_U64);
    w_elem(&b, "name", LC_T_STRING);
    lc_buf_put_u32(&b, 1); /* tables */
    w_str(&b, "Person");
    lc_buf_put_u32(&b, 2);
    w_str(&b, "id");
    lc_buf_put_u8(&b, LC_T_U64);
    w_str(&b, "name");
    lc_buf_put_u8(&b, LC_T_STRING);
    lc_buf_put_u32(&b, 0); /* indexes */
    lc_buf_put_u32(&b, 1); /* constraints: PRIMARY_KEY_AUTO on id */
    w_str(&b, "pk");
    lc_buf_put_u8(&b, 0x0F);
    w_cols(&b, 1, &col0);
    lc_buf_put_u32(&b, 0); /* sequences */
    w_str(&b, "user");
    w_str(&b, "public");
    w_none(&b);
    lc_buf_put_u32(&b, 0); /* data: type ref */
    lc_buf_put_u32(&b, 1); /* reducers */
    w_str(&b, "__init__");
    lc_buf_put_u32(&b, 0);
    lc_buf_put_u32(&b, 0); /* misc */
    host_moddef *md = NULL;
    lc_errbuf eb;
    CHECK_OK(decode_seed(b.data, b.len, &md, &eb));
    const host_table_def *t = &md->tables[0];
    CHECK_STR(t->name, "Person");
    CHECK_EQ(t->pk_col, 0);
    CHECK_EQ(t->index_count, 1);
    CHECK(t->indexes[0].is_unique);
    CHECK_EQ(t->sequence_count, 1);
    CHECK_EQ(md->lifecycle_reducer[HOST_LIFECYCLE_INIT], 0);
    host_moddef_destroy(md);
    /* An unknown access string is a decode error. */
    u8 *p = memmem(b.data, b.len, "public", 6);
    CHECK(p != NULL);
    memcpy(p, "pablic", 6);
    CHECK_ERR(host_moddef_decode(b.data, b.len, &md, &eb), LC_EDECODE);
    lc_buf_deinit(&b);
}

/* ---- the REAL descriptions of the example modules: build/wasm/<name>.wasm loaded by the
 * wasm engine through host/module (spacetime_10.x imports linked, __describe_module__ called,
 * the sink's bytes decoded by host_moddef_decode). ---- */

#include "host/module.h"
#include "host/host_test_util.h"

static host_module *load_example(const char *name)
{
    size_t len = 0;
    u8 *wasm = host_test_wasm(name, &len);
    if (!wasm) return NULL;
    host_module *m = NULL;
    lc_errbuf eb;
    if (host_module_load(wasm, len, NULL, &m, &eb) != 0) fprintf(stderr, "%s: %s\n", name, eb.msg);
    lc_free(wasm);
    return m;
}

static const char *col_name(const host_table_def *t, u32 i)
{
    return i < t->row_type->elem_count ? t->row_type->elems[i].name : "";
}

TEST(moddef_example_quickstart_chat)
{
    host_module *m = load_example("quickstart-chat");
    CHECK(m != NULL);
    const host_moddef *d = host_module_def(m);
    CHECK_EQ(d->version, 10);
    CHECK_EQ(d->table_count, 2);
    const host_table_def *u = host_moddef_table(d, "user", 4);
    CHECK(u != NULL && u->is_public && !u->is_event);
    CHECK_EQ(u->row_type->elem_count, 3);
    CHECK_STR(col_name(u, 0), "identity");
    CHECK_STR(col_name(u, 1), "name");
    CHECK_STR(col_name(u, 2), "online");
    CHECK_EQ(u->pk_col, 0);
    CHECK_EQ(u->index_count, 1);
    CHECK_STR(u->indexes[0].name, "user_identity_idx_btree");
    CHECK(u->indexes[0].is_unique);
    CHECK_EQ(u->constraint_count, 1);
    CHECK_STR(u->constraints[0].name, "user_identity_key");
    CHECK(u->schedule_function == NULL);
    const host_table_def *msg = host_moddef_table(d, "message", 7);
    CHECK(msg != NULL && msg->is_public);
    CHECK_EQ(msg->pk_col, -1);
    CHECK_EQ(msg->row_type->elem_count, 3);
    CHECK_STR(col_name(msg, 2), "text");
    i32 sn = host_moddef_reducer_id(d, "set_name", 8);
    CHECK(sn >= 0 && d->reducers[sn].is_public);
    CHECK_EQ(d->reducers[sn].params->elem_count, 1);
    CHECK_STR(d->reducers[sn].params->elems[0].name, "name");
    CHECK(host_moddef_reducer_id(d, "send_message", 12) >= 0);
    i32 init = d->lifecycle_reducer[HOST_LIFECYCLE_INIT];
    i32 conn = d->lifecycle_reducer[HOST_LIFECYCLE_CONNECT];
    i32 disc = d->lifecycle_reducer[HOST_LIFECYCLE_DISCONNECT];
    CHECK(init >= 0 && conn >= 0 && disc >= 0);
    CHECK_STR(d->reducers[init].name, "init");
    CHECK_STR(d->reducers[conn].name, "identity_connected");
    CHECK_STR(d->reducers[disc].name, "identity_disconnected");
    CHECK(!d->reducers[conn].is_public);
    host_module_destroy(m);
}

TEST(moddef_example_ticker_schedule)
{
    host_module *m = load_example("ticker");
    CHECK(m != NULL);
    const host_moddef *d = host_module_def(m);
    const host_table_def *t = host_moddef_table(d, "tick_timer", 10);
    CHECK(t != NULL && !t->is_public);
    CHECK_EQ(t->pk_col, 0);
    CHECK_EQ(t->sequence_count, 1);
    CHECK_STR(t->sequences[0].name, "tick_timer_scheduled_id_seq");
    CHECK_EQ(t->sequences[0].col, 0);
    CHECK(t->schedule_function != NULL);
    CHECK_STR(t->schedule_function, "tick");
    CHECK_STR(t->schedule_name, "tick_timer_sched");
    CHECK_EQ(t->schedule_at_col, 1);
    CHECK_STR(col_name(t, 1), "scheduled_at");
    const host_table_def *c = host_moddef_table(d, "tick_count", 10);
    CHECK(c != NULL && c->is_public);
    CHECK_EQ(c->pk_col, 0);
    CHECK(c->schedule_function == NULL);
    i32 tick = host_moddef_reducer_id(d, "tick", 4);
    CHECK(tick >= 0 && !d->reducers[tick].is_public);
    CHECK(d->lifecycle_reducer[HOST_LIFECYCLE_INIT] >= 0);
    CHECK(d->lifecycle_reducer[HOST_LIFECYCLE_CONNECT] == -1);
    i32 once = host_moddef_reducer_id(d, "schedule_once", 13);
    CHECK(once >= 0 && d->reducers[once].is_public);
    CHECK_EQ(d->reducers[once].params->elem_count, 2);
    host_module_destroy(m);
}

TEST(moddef_example_keynote_bank)
{
    host_module *m = load_example("keynote-bank");
    CHECK(m != NULL);
    const host_moddef *d = host_module_def(m);
    CHECK_EQ(d->table_count, 1);
    const host_table_def *a = host_moddef_table(d, "accounts", 8);
    CHECK(a != NULL && a->is_public);
    CHECK_EQ(a->pk_col, 0);
    CHECK_STR(col_name(a, 0), "id");
    CHECK_STR(col_name(a, 1), "balance");
    CHECK_EQ(a->row_type->elems[0].type->kind, LC_T_U32);
    CHECK_EQ(a->row_type->elems[1].type->kind, LC_T_I64);
    i32 tr = host_moddef_reducer_id(d, "transfer", 8);
    CHECK(tr >= 0 && d->reducers[tr].is_public && d->reducers[tr].lifecycle == HOST_LIFECYCLE_NONE);
    CHECK_EQ(d->reducers[tr].params->elem_count, 3);
    CHECK_STR(d->reducers[tr].params->elems[2].name, "amount");
    CHECK(host_moddef_reducer_id(d, "seed", 4) >= 0);
    host_module_destroy(m);
}
