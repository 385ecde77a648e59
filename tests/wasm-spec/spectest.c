/*
 * tests/wasm-spec/spectest.c — the `spectest` host module (see spectest.h). The print
 * functions accept their arguments and do nothing: the spec tests only check that the calls
 * link and run.
 */
#include "wasm-spec/spectest.h"

#include <string.h>

static int spectest_print(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results)
{
    LC_UNUSED(ctx);
    LC_UNUSED(args);
    LC_UNUSED(results);
    return 0;
}

typedef struct print_def {
    const char *name;
    u8 params[2];
    u32 param_count;
} print_def;

static const print_def PRINTS[] = {
    {"print", {0}, 0},
    {"print_i32", {LC_WASM_I32}, 1},
    {"print_i64", {LC_WASM_I64}, 1},
    {"print_f32", {LC_WASM_F32}, 1},
    {"print_f64", {LC_WASM_F64}, 1},
    {"print_i32_f32", {LC_WASM_I32, LC_WASM_F32}, 2},
    {"print_f64_f64", {LC_WASM_F64, LC_WASM_F64}, 2},
};

static int spectest_define_globals(spectest *st, lc_wasm_linker *linker)
{
    f32 f32v = 666.6f;
    f64 f64v = 666.6;
    u32 f32bits;
    u64 f64bits;
    memcpy(&f32bits, &f32v, 4);
    memcpy(&f64bits, &f64v, 8);
    static const char *const names[4] = {"global_i32", "global_i64", "global_f32",
                                         "global_f64"};
    const u8 types[4] = {LC_WASM_I32, LC_WASM_I64, LC_WASM_F32, LC_WASM_F64};
    const u64 values[4] = {666, 666, f32bits, f64bits};
    for (int i = 0; i < 4; i++) {
        lc_wasm_globaltype gt = {.val_type = types[i], .is_mutable = false};
        int rc = lc_wasm_global_create(&gt, values[i], &st->globals[i]);
        if (rc == 0) rc = lc_wasm_linker_define_global(linker, "spectest", names[i],
                                                       st->globals[i]);
        if (rc != 0) return rc;
    }
    return 0;
}

int spectest_init(spectest *st, lc_wasm_linker *linker)
{
    int rc = 0;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < LC_ARRAY_LEN(PRINTS) && rc == 0; i++) {
        lc_wasm_functype ft = {.params = PRINTS[i].params, .param_count = PRINTS[i].param_count};
        rc = lc_wasm_linker_define_func(linker, "spectest", PRINTS[i].name, &ft, spectest_print,
                                        NULL);
    }
    if (rc == 0) rc = spectest_define_globals(st, linker);
    lc_wasm_tabletype tt = {.elem_type = LC_WASM_FUNCREF,
                            .limits = {.min = 10, .max = 20, .has_max = true}};
    if (rc == 0) rc = lc_wasm_table_create(&tt, &st->table);
    if (rc == 0) rc = lc_wasm_linker_define_table(linker, "spectest", "table", st->table);
    lc_wasm_memtype mt = {.limits = {.min = 1, .max = 2, .has_max = true}};
    if (rc == 0) rc = lc_wasm_memory_create(&mt, &st->memory);
    if (rc == 0) rc = lc_wasm_linker_define_memory(linker, "spectest", "memory", st->memory);
    if (rc != 0) spectest_deinit(st);
    return rc;
}

void spectest_deinit(spectest *st)
{
    for (int i = 0; i < 4; i++) {
        if (st->globals[i]) lc_wasm_global_destroy(st->globals[i]);
    }
    if (st->table) lc_wasm_table_destroy(st->table);
    if (st->memory) lc_wasm_memory_destroy(st->memory);
    memset(st, 0, sizeof *st);
}
