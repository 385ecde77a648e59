/*
 * tests/unit/test_codegen.c — codegen name forms (the SDK's toCamelCase, PascalCase) and the
 * emitter table; whole-module output is checked by tests/suites/60-codegen.sh.
 */
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
