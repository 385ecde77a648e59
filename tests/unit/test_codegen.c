/*
 * tests/unit/test_codegen.c — codegen name forms (the SDK's toCamelCase, PascalCase) and the
 * emitter table; whole-module output is checked by tests/suites/60-codegen.sh.
 */
#include <string.h>

#include "codegen/codegen.h"
#include "harness.h"

TEST(codegen_camel_matches_sdk)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    CHECK_STR(codegen_camel(&a, "add_person"), "addPerson");
    CHECK_STR(codegen_camel(&a, "player2_pos"), "player2Pos");
    CHECK_STR(codegen_camel(&a, "set-name"), "setName");
    CHECK_STR(codegen_camel(&a, "HTTPServer"), "hTTPServer");
    CHECK_STR(codegen_camel(&a, "a__b"), "aB");
    CHECK_STR(codegen_camel(&a, "last_tick"), "lastTick");
    CHECK_STR(codegen_camel(&a, "x_"), "x_");
    lc_arena_deinit(&a);
}

TEST(codegen_pascal)
{
    lc_arena a;
    lc_arena_init(&a, 0);
    CHECK_STR(codegen_pascal(&a, "send_message"), "SendMessage");
    CHECK_STR(codegen_pascal(&a, "user"), "User");
    CHECK_STR(codegen_pascal(&a, "tick-count"), "TickCount");
    lc_arena_deinit(&a);
}

TEST(codegen_emitter_lookup)
{
    CHECK(codegen_emitter_find("typescript") != NULL);
    CHECK(codegen_emitter_find("ts") != NULL);
    CHECK(codegen_emitter_find("cobol") == NULL);
}

/* ---- a V10 description written byte by byte (spec-module-abi.md §3): typespace entry 0 =
 * { player_name: String } declared as type "Person", table "person" (source name) with it,
 * reducers init (lifecycle, private), add(name: String) public, tidy() private. ---- */
static void w_str(lc_buf *b, const char *s) { lc_buf_put_str(b, s, (u32)strlen(s)); }
static void w_reducer(lc_buf *b, const char *name, const char *param, u8 vis)
{
    w_str(b, name);
    lc_buf_put_u32(b, param ? 1 : 0);
    if (param) {
        lc_buf_put_u8(b, 0);
        w_str(b, param);
        lc_buf_put_u8(b, LC_T_STRING);
    }
    lc_buf_put_u8(b, vis); /* 0 private, 1 client callable */
    lc_buf_put_u8(b, 2);   /* ok: unit */
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, LC_T_STRING); /* err: String */
}

static void build_person(lc_buf *b)
{
    lc_buf_put_u8(b, 2);  /* V10 */
    lc_buf_put_u32(b, 5); /* sections */
    lc_buf_put_u8(b, 0);  /* Typespace */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, LC_T_PRODUCT);
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 0);
    w_str(b, "player_name");
    lc_buf_put_u8(b, LC_T_STRING);
    lc_buf_put_u8(b, 1);  /* Types: { scope [], name "Person" }, ref 0, custom_ordering */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u32(b, 0);
    w_str(b, "Person");
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 1);
    lc_buf_put_u8(b, 2);  /* Tables */
    lc_buf_put_u32(b, 1);
    w_str(b, "person");
    lc_buf_put_u32(b, 0);
    for (int i = 0; i < 4; i++) lc_buf_put_u32(b, 0); /* pk, indexes, constraints, seqs */
    lc_buf_put_u8(b, 1);  /* User */
    lc_buf_put_u8(b, 0);  /* Public */
    lc_buf_put_u32(b, 0); /* default values */
    lc_buf_put_u8(b, 0);  /* is_event */
    lc_buf_put_u8(b, 3);  /* Reducers */
    lc_buf_put_u32(b, 3);
    w_reducer(b, "init", NULL, 0);
    w_reducer(b, "add", "name", 1);
    w_reducer(b, "tidy", NULL, 0);
    lc_buf_put_u8(b, 7);  /* LifeCycleReducers: Init -> init */
    lc_buf_put_u32(b, 1);
    lc_buf_put_u8(b, 0);
    w_str(b, "init");
}

TEST(codegen_schema_from_description)
{
    lc_buf b;
    lc_buf_init(&b);
    build_person(&b);
    host_moddef *md = NULL;
    lc_errbuf eb;
    CHECK_OK(host_moddef_decode(b.data, b.len, &md, &eb));
    CHECK_EQ(md->type_name_count, 1);
    CHECK_STR(md->type_names[0].name, "Person");
    codegen_schema *s = NULL;
    CHECK_OK(codegen_schema_build(md, false, &s, &eb));
    CHECK_EQ(s->table_count, 1);
    CHECK_STR(s->tables[0].camel, "person");
    CHECK_STR(s->tables[0].type_name, "Person");
    CHECK_EQ(s->tables[0].field_count, 1);
    CHECK_STR(s->tables[0].fields[0].camel, "playerName");
    CHECK_STR(s->tables[0].fields[0].wire, "player_name");
    CHECK_EQ(s->reducer_count, 1); /* init is lifecycle, tidy private */
    CHECK_STR(s->reducers[0].wire, "add");
    codegen_schema_free(s);
    CHECK_OK(codegen_schema_build(md, true, &s, &eb));
    CHECK_EQ(s->reducer_count, 2); /* private tidy now, lifecycle init never */
    CHECK_STR(s->reducers[1].pascal, "Tidy");
    codegen_schema_free(s);
    host_moddef_destroy(md);
    lc_buf_deinit(&b);
}

/* A declared type name that is not an identifier must not reach generated source text. */
TEST(codegen_rejects_unsafe_type_name)
{
    lc_buf b;
    lc_buf_init(&b);
    build_person(&b);
    u8 *p = memmem(b.data, b.len, "Person", 6);
    CHECK(p != NULL);
    p[1] = '\''; /* "P'rson" */
    host_moddef *md = NULL;
    lc_errbuf eb;
    CHECK_OK(host_moddef_decode(b.data, b.len, &md, &eb));
    codegen_schema *s = NULL;
    CHECK_ERR(codegen_schema_build(md, false, &s, &eb), LC_EINVALID);
    CHECK(s == NULL);
    host_moddef_destroy(md);
    lc_buf_deinit(&b);
}
