/*
 * tests/unit/test_wasm.c — the embedder-facing behaviour of src/wasm/: host imports with
 * memory access and traps, trap codes and messages (with function names), fuel, call-depth
 * and memory limits, NaN payloads and externref through calls, multi-value results, reuse of
 * an instance after a trap, clean failure on malformed, invalid and truncated input, and
 * regression cases for the compiler's operand deferral and instruction fusion.
 * Wasm semantics at large are covered by the official spec suite (tests/suites/30-wasm-spec).
 *
 * The test module's source (compiled with `wat2wasm --debug-names`) is kept below the bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "wasm/wasm.h"

/* clang-format off */
static const u8 test_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x35, 0x0a, 0x60,
  0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x00,
  0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7d, 0x01, 0x7d, 0x60,
  0x01, 0x7c, 0x01, 0x7c, 0x60, 0x01, 0x6f, 0x01, 0x7f, 0x60, 0x01, 0x6f,
  0x01, 0x6f, 0x60, 0x01, 0x7f, 0x02, 0x7f, 0x7e, 0x60, 0x03, 0x7f, 0x7f,
  0x7f, 0x01, 0x7f, 0x02, 0x21, 0x03, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x61,
  0x64, 0x64, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x70, 0x6f, 0x6b,
  0x65, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x66, 0x61, 0x69, 0x6c,
  0x00, 0x02, 0x03, 0x15, 0x14, 0x00, 0x02, 0x03, 0x00, 0x01, 0x03, 0x02,
  0x04, 0x05, 0x06, 0x07, 0x08, 0x03, 0x03, 0x09, 0x00, 0x03, 0x03, 0x03,
  0x03, 0x04, 0x04, 0x01, 0x70, 0x00, 0x02, 0x05, 0x04, 0x01, 0x01, 0x01,
  0x02, 0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x07, 0x0b, 0x07, 0xa3, 0x01,
  0x17, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00, 0x03,
  0x74, 0x61, 0x62, 0x01, 0x00, 0x03, 0x64, 0x69, 0x76, 0x00, 0x03, 0x04,
  0x73, 0x70, 0x69, 0x6e, 0x00, 0x04, 0x03, 0x72, 0x65, 0x63, 0x00, 0x05,
  0x08, 0x63, 0x61, 0x6c, 0x6c, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x06, 0x04,
  0x70, 0x6f, 0x6b, 0x65, 0x00, 0x07, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00,
  0x08, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x09, 0x03, 0x66, 0x69, 0x64,
  0x00, 0x0a, 0x04, 0x66, 0x6e, 0x65, 0x67, 0x00, 0x0b, 0x03, 0x65, 0x78,
  0x74, 0x00, 0x0c, 0x05, 0x65, 0x78, 0x74, 0x69, 0x64, 0x00, 0x0d, 0x05,
  0x6d, 0x75, 0x6c, 0x74, 0x69, 0x00, 0x0e, 0x03, 0x73, 0x75, 0x6d, 0x00,
  0x0f, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x10, 0x08, 0x69, 0x6e, 0x64,
  0x69, 0x72, 0x65, 0x63, 0x74, 0x00, 0x11, 0x07, 0x73, 0x6b, 0x69, 0x70,
  0x69, 0x6e, 0x63, 0x00, 0x12, 0x06, 0x68, 0x61, 0x7a, 0x61, 0x72, 0x64,
  0x00, 0x13, 0x03, 0x74, 0x65, 0x65, 0x00, 0x14, 0x03, 0x73, 0x65, 0x6c,
  0x00, 0x15, 0x02, 0x62, 0x74, 0x00, 0x16, 0x09, 0x07, 0x01, 0x00, 0x41,
  0x00, 0x0b, 0x01, 0x03, 0x0a, 0xe5, 0x01, 0x14, 0x07, 0x00, 0x20, 0x00,
  0x20, 0x01, 0x6d, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
  0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x05, 0x0b, 0x08, 0x00,
  0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20,
  0x01, 0x10, 0x01, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b,
  0x04, 0x00, 0x10, 0x02, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x05, 0x00,
  0x20, 0x00, 0x9a, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xd1, 0x0b, 0x04, 0x00,
  0x20, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0xad, 0x0b, 0x21,
  0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01,
  0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b,
  0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b, 0x06, 0x00, 0x20,
  0x00, 0x40, 0x00, 0x0b, 0x0b, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x00,
  0x11, 0x00, 0x00, 0x0b, 0x1f, 0x00, 0x02, 0x40, 0x03, 0x40, 0x02, 0x40,
  0x20, 0x01, 0x0d, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x0b,
  0x20, 0x00, 0x41, 0x0a, 0x49, 0x0d, 0x00, 0x0b, 0x0b, 0x20, 0x00, 0x0b,
  0x0b, 0x00, 0x20, 0x00, 0x41, 0x05, 0x21, 0x00, 0x20, 0x00, 0x6a, 0x0b,
  0x0c, 0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x22, 0x00, 0x6a,
  0x0b, 0x09, 0x00, 0x41, 0x01, 0x41, 0x02, 0x20, 0x00, 0x1b, 0x0b, 0x14,
  0x00, 0x02, 0x7f, 0x02, 0x7f, 0x41, 0x0a, 0x20, 0x00, 0x0e, 0x02, 0x01,
  0x00, 0x01, 0x0b, 0x41, 0x01, 0x6a, 0x0b, 0x0b, 0x00, 0x63, 0x04, 0x6e,
  0x61, 0x6d, 0x65, 0x01, 0x1d, 0x05, 0x00, 0x04, 0x68, 0x61, 0x64, 0x64,
  0x01, 0x04, 0x70, 0x6f, 0x6b, 0x65, 0x02, 0x04, 0x66, 0x61, 0x69, 0x6c,
  0x03, 0x03, 0x64, 0x69, 0x76, 0x05, 0x03, 0x72, 0x65, 0x63, 0x02, 0x2f,
  0x17, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05,
  0x00, 0x06, 0x00, 0x07, 0x00, 0x08, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x0b,
  0x00, 0x0c, 0x00, 0x0d, 0x00, 0x0e, 0x00, 0x0f, 0x00, 0x10, 0x00, 0x11,
  0x00, 0x12, 0x00, 0x13, 0x00, 0x14, 0x00, 0x15, 0x00, 0x16, 0x00, 0x04,
  0x06, 0x01, 0x00, 0x03, 0x62, 0x69, 0x6e, 0x07, 0x04, 0x01, 0x00, 0x01,
  0x67
};
/* clang-format on */
/* Source:
 * (module
 *   (import "env" "add" (func $hadd (param i32 i32) (result i32)))
 *   (import "env" "poke" (func $poke (param i32 i32)))
 *   (import "env" "fail" (func $fail))
 *   (memory (export "mem") 1 2)
 *   (global $g (export "g") (mut i64) (i64.const 7))
 *   (table (export "tab") 2 funcref)
 *   (elem (i32.const 0) $div)
 *   (type $bin (func (param i32 i32) (result i32)))
 *   (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func (export "spin") (loop $l (br $l)))
 *   (func $rec (export "rec") (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))
 *   (func (export "callhost") (param i32 i32) (result i32) (call $hadd (local.get 0) (local.get 1)))
 *   (func (export "poke") (param i32 i32) (call $poke (local.get 0) (local.get 1)))
 *   (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
 *   (func (export "fail") (call $fail))
 *   (func (export "fid") (param f32) (result f32) (local.get 0))
 *   (func (export "fneg") (param f64) (result f64) (f64.neg (local.get 0)))
 *   (func (export "ext") (param externref) (result i32) (ref.is_null (local.get 0)))
 *   (func (export "extid") (param externref) (result externref) (local.get 0))
 *   (func (export "multi") (param i32) (result i32 i64) (local.get 0) (i64.extend_i32_u (local.get 0)))
 *   (func (export "sum") (param i32) (result i32) (local i32)
 *      (block (loop (br_if 1 (i32.eqz (local.get 0)))
 *         (local.set 1 (i32.add (local.get 1) (local.get 0)))
 *         (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
 *      (local.get 1))
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "indirect") (param i32 i32 i32) (result i32)
 *      (call_indirect (type $bin) (local.get 1) (local.get 2) (local.get 0)))
 *   (func (export "skipinc") (param i32 i32) (result i32)
 *      (block $done
 *        (loop $l
 *          (block $b
 *            (br_if $b (local.get 1))
 *            (local.set 0 (i32.add (local.get 0) (i32.const 1))))
 *          (br_if $l (i32.lt_u (local.get 0) (i32.const 10)))))
 *      (local.get 0))
 *   (func (export "hazard") (param i32) (result i32)
 *      (local.get 0) (local.set 0 (i32.const 5)) (local.get 0) (i32.add))
 *   (func (export "tee") (param i32) (result i32)
 *      (local.get 0) (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.add))
 *   (func (export "sel") (param i32) (result i32)
 *      (select (i32.const 1) (i32.const 2) (local.get 0)))
 *   (func (export "bt") (param i32) (result i32)
 *      (block $a (result i32)
 *        (block $b (result i32) (i32.const 10) (local.get 0) (br_table $a $b $a))
 *        (i32.const 1) (i32.add)))
 * )
 */

static int host_add(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results)
{
    u32 a = (u32)args[0], b = (u32)args[1];
    int *calls = ctx->user_data;
    (*calls)++;
    results[0] = (u32)(a + b);
    return 0;
}

/* Writes the u32 value at offset through the bounds-checked helper, or traps. */
static int host_poke(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results)
{
    LC_UNUSED(results);
    u8 *p = lc_wasm_host_mem(ctx, (u32)args[0], 4);
    if (!p)
        return lc_wasm_host_trap(ctx, "poke out of bounds at %u", (u32)args[0]);
    lc_store_u32(p, (u32)args[1]);
    return 0;
}

static int host_fail(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results)
{
    LC_UNUSED(args);
    LC_UNUSED(results);
    return lc_wasm_host_trap(ctx, "host says no");
}

typedef struct fixture {
    lc_wasm_module *module;
    lc_wasm_linker *linker;
    lc_wasm_instance *inst;
    int add_calls;
} fixture;

static int fixture_init(fixture *f, const lc_wasm_limits *limits)
{
    static const u8 ii[] = {LC_WASM_I32, LC_WASM_I32};
    lc_wasm_functype t_add = {ii, ii, 2, 1}, t_poke = {ii, NULL, 2, 0}, t_fail = {0};
    lc_errbuf eb;
    memset(f, 0, sizeof(*f));
    int err = lc_wasm_module_load(test_wasm, sizeof(test_wasm), limits, &f->module, &eb);
    if (!err)
        err = lc_wasm_linker_create(&f->linker);
    if (!err)
        err = lc_wasm_linker_define_func(f->linker, "env", "add", &t_add, host_add,
                                         &f->add_calls);
    if (!err)
        err = lc_wasm_linker_define_func(f->linker, "env", "poke", &t_poke, host_poke, NULL);
    if (!err)
        err = lc_wasm_linker_define_func(f->linker, "env", "fail", &t_fail, host_fail, NULL);
    if (!err)
        err = lc_wasm_instantiate(f->module, f->linker, limits, &f->inst, &eb);
    return err;
}

static void fixture_deinit(fixture *f)
{
    lc_wasm_instance_destroy(f->inst);
    lc_wasm_linker_destroy(f->linker);
    lc_wasm_module_destroy(f->module);
}

static int call(fixture *f, const char *name, const u64 *args, u32 nargs, u64 *res, u32 nres,
                lc_errbuf *eb)
{
    lc_wasm_func *fn = lc_wasm_instance_func(f->inst, name);
    if (!fn)
        return LC_ENOTFOUND;
    return lc_wasm_call(f->inst, fn, args, nargs, res, nres, eb);
}

TEST(wasm_inspect_and_unlinkable)
{
    lc_wasm_module *m;
    lc_errbuf eb;
    CHECK_OK(lc_wasm_module_load(test_wasm, sizeof(test_wasm), NULL, &m, &eb));
    CHECK_EQ(lc_wasm_module_import_count(m), 3);
    lc_wasm_extern_desc d;
    lc_wasm_module_import_get(m, 0, &d);
    CHECK_EQ(d.kind, LC_WASM_EXTERN_FUNC);
    CHECK_EQ(d.module_len, 3);
    CHECK(memcmp(d.name, "add", 3) == 0);
    CHECK_EQ(d.type.func.param_count, 2);
    CHECK_EQ(d.type.func.results[0], LC_WASM_I32);
    CHECK_OK(lc_wasm_module_export_find(m, "mem", &d));
    CHECK_EQ(d.kind, LC_WASM_EXTERN_MEMORY);
    CHECK_EQ(d.type.memory.limits.max, 2);
    CHECK_OK(lc_wasm_module_export_find(m, "multi", &d));
    CHECK_EQ(d.type.func.result_count, 2);
    CHECK_ERR(lc_wasm_module_export_find(m, "nope", &d), LC_ENOTFOUND);
    lc_wasm_instance *inst;
    CHECK_ERR(lc_wasm_instantiate(m, NULL, NULL, &inst, &eb), LC_EUNLINKABLE);
    CHECK(strstr(eb.msg, "env.add") != NULL);
    CHECK(inst == NULL);
    lc_wasm_module_destroy(m);
}

TEST(wasm_calls_host_and_results)
{
    fixture f;
    lc_errbuf eb;
    CHECK_OK(fixture_init(&f, NULL));
    u64 args[3] = {2, 40}, res[2];
    CHECK_OK(call(&f, "callhost", args, 2, res, 1, &eb));
    CHECK_EQ(res[0], 42);
    CHECK_EQ(f.add_calls, 1);
    args[0] = 100;
    CHECK_OK(call(&f, "sum", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 5050);
    args[0] = 0xfffffffe;
    CHECK_OK(call(&f, "multi", args, 1, res, 2, &eb));
    CHECK_EQ(res[0], 0xfffffffe);
    CHECK_EQ(res[1], 0xfffffffe);
    /* Wrong arity is refused, not executed. */
    CHECK_ERR(call(&f, "multi", args, 1, res, 1, &eb), LC_EINVAL);
    /* call_indirect through the table: slot 0 holds div. */
    u64 ind[3] = {0, 9, 3};
    CHECK_OK(call(&f, "indirect", ind, 3, res, 1, &eb));
    CHECK_EQ(res[0], 3);
    ind[0] = 1;
    CHECK_ERR(call(&f, "indirect", ind, 3, res, 1, &eb), LC_ETRAP_INDIRECT_NULL);
    ind[0] = 2;
    CHECK_ERR(call(&f, "indirect", ind, 3, res, 1, &eb), LC_ETRAP_UNDEFINED_ELEM);
    fixture_deinit(&f);
}

TEST(wasm_memory_through_host)
{
    fixture f;
    lc_errbuf eb;
    CHECK_OK(fixture_init(&f, NULL));
    u64 args[2] = {100, 0xdeadbeef}, res[1];
    CHECK_OK(call(&f, "poke", args, 2, NULL, 0, &eb));
    CHECK_OK(call(&f, "load", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 0xdeadbeef);
    lc_wasm_memory *mem = lc_wasm_instance_memory(f.inst);
    CHECK(mem != NULL);
    CHECK_EQ(lc_load_u32(lc_wasm_memory_data(mem) + 100), 0xdeadbeef);
    CHECK_EQ(lc_wasm_memory_size(mem), 65536);
    args[0] = 65533;  /* 4 bytes at 65533 cross the end */
    CHECK_ERR(call(&f, "poke", args, 2, NULL, 0, &eb), LC_ETRAP_HOST);
    CHECK(strstr(eb.msg, "poke out of bounds at 65533") != NULL);
    CHECK_ERR(call(&f, "load", args, 1, res, 1, &eb), LC_ETRAP_MEM_OOB);
    CHECK_ERR(call(&f, "fail", NULL, 0, NULL, 0, &eb), LC_ETRAP_HOST);
    CHECK(strstr(eb.msg, "host says no") != NULL);
    /* memory.grow respects the declared max of 2 pages. */
    args[0] = 1;
    CHECK_OK(call(&f, "grow", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 1);
    CHECK_OK(call(&f, "grow", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 0xffffffffu);
    CHECK_EQ(lc_wasm_memory_pages(mem), 2);
    fixture_deinit(&f);
}

TEST(wasm_trap_message_and_reuse)
{
    fixture f;
    lc_errbuf eb;
    CHECK_OK(fixture_init(&f, NULL));
    u64 args[2] = {1, 0}, res[1];
    CHECK_ERR(call(&f, "div", args, 2, res, 1, &eb), LC_ETRAP_DIV_ZERO);
    CHECK(strstr(eb.msg, "integer divide by zero") != NULL);
    CHECK(strstr(eb.msg, "func 3") != NULL);
    CHECK(strstr(eb.msg, "div") != NULL);
    args[0] = 0x80000000u;
    args[1] = 0xffffffffu;
    CHECK_ERR(call(&f, "div", args, 2, res, 1, &eb), LC_ETRAP_INT_OVERFLOW);
    /* The instance is still usable after traps. */
    args[0] = 84;
    args[1] = 2;
    CHECK_OK(call(&f, "div", args, 2, res, 1, &eb));
    CHECK_EQ(res[0], 42);
    /* Globals through the export. */
    lc_wasm_extern ext;
    CHECK_OK(lc_wasm_instance_export(f.inst, "g", 1, &ext));
    CHECK_EQ(ext.kind, LC_WASM_EXTERN_GLOBAL);
    CHECK_EQ(lc_wasm_global_get(ext.as.global), 7);
    lc_wasm_global_set(ext.as.global, 9);
    CHECK_EQ(lc_wasm_global_get(ext.as.global), 9);
    /* A second instance of the same module is independent. */
    lc_wasm_instance *inst2;
    CHECK_OK(lc_wasm_instantiate(f.module, f.linker, NULL, &inst2, &eb));
    CHECK_OK(lc_wasm_instance_export(inst2, "g", 1, &ext));
    CHECK_EQ(lc_wasm_global_get(ext.as.global), 7);
    lc_wasm_instance_destroy(inst2);
    fixture_deinit(&f);
}

TEST(wasm_fuel_and_depth)
{
    fixture f;
    lc_errbuf eb;
    lc_wasm_limits lim;
    lc_wasm_limits_default(&lim);
    lim.call_depth_max = 100;
    lim.fuel_default = 1000;
    CHECK_OK(fixture_init(&f, &lim));
    CHECK_EQ(lc_wasm_instance_fuel(f.inst), 1000);
    CHECK_ERR(call(&f, "spin", NULL, 0, NULL, 0, &eb), LC_ETRAP_FUEL);
    CHECK(strstr(eb.msg, "out of energy") != NULL);
    CHECK_EQ(lc_wasm_instance_fuel(f.inst), 0);
    lc_wasm_instance_set_fuel(f.inst, 50);
    u64 args[1] = {10}, res[1];
    CHECK_OK(call(&f, "sum", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 55);
    CHECK(lc_wasm_instance_fuel(f.inst) < 50);
    lc_wasm_instance_set_fuel(f.inst, UINT64_MAX);
    CHECK_ERR(call(&f, "rec", args, 1, res, 1, &eb), LC_ETRAP_STACK);
    CHECK(strstr(eb.msg, "call stack exhausted") != NULL);
    /* Depth is restored after the trap: normal calls still work. */
    CHECK_OK(call(&f, "sum", args, 1, res, 1, &eb));
    fixture_deinit(&f);
    /* The value-stack limit traps the same way. */
    lc_wasm_limits_default(&lim);
    lim.value_stack_slots_max = 64;
    CHECK_OK(fixture_init(&f, &lim));
    CHECK_ERR(call(&f, "rec", args, 1, res, 1, &eb), LC_ETRAP_STACK);
    fixture_deinit(&f);
    /* A memory minimum above the page limit refuses to instantiate. */
    lc_wasm_limits_default(&lim);
    lim.memory_pages_max = 1;
    CHECK_OK(fixture_init(&f, &lim));
    args[0] = 1;
    CHECK_OK(call(&f, "grow", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 0xffffffffu);
    fixture_deinit(&f);
}

/* Unbounded recursion under a call-depth limit far above what any native stack holds: the
 * native code's stack budget (or the value stack) stops it with a clean "stack" trap, with
 * native code and with the interpreter alone (LC_WASM_JIT=0), and the instance still works. */
TEST(wasm_deep_recursion_traps_cleanly)
{
    for (int is_interp = 0; is_interp < 2; is_interp++) {
        fixture f;
        lc_errbuf eb;
        lc_wasm_limits lim;
        lc_wasm_limits_default(&lim);
        lim.call_depth_max = 1u << 19;  /* 16 bytes of native stack each: 8 MiB */
        lim.value_stack_slots_max = 1u << 22;
        if (is_interp)
            setenv("LC_WASM_JIT", "0", 1);
        CHECK_OK(fixture_init(&f, &lim));
        unsetenv("LC_WASM_JIT");
        u64 args[1] = {0}, res[1];
        CHECK_ERR(call(&f, "rec", args, 1, res, 1, &eb), LC_ETRAP_STACK);
        CHECK(strstr(eb.msg, "call stack exhausted") != NULL);
        args[0] = 10;
        CHECK_OK(call(&f, "sum", args, 1, res, 1, &eb));
        CHECK_EQ(res[0], 55);
        fixture_deinit(&f);
    }
}

/* A function the native-code compiler refuses (a load offset above its 2 GiB immediate
 * range) called from native code: the call goes through a thunk into the interpreter, which
 * calls back into native code, alternately, 100 levels deep; the result, the fuel used and
 * the depth-limit trap must match the interpreter alone. Source (wat2wasm --debug-names):
 * (module
 *   (memory 1)
 *   (func $big (param i32) (result i32)
 *     (i32.load offset=0x7ffffff0 (local.get 0)))
 *   (func (export "callbig") (param i32) (result i32)
 *     (i32.add (call $big (local.get 0)) (i32.const 1)))
 *   (func $rec (export "deep") (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0))
 *       (then (i32.const 7))
 *       (else (i32.add (call $bigrec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
 *   (func $bigrec (param i32) (result i32)
 *     (if (i32.eq (local.get 0) (i32.const -5))
 *       (then (drop (i32.load offset=0x7ffffff0 (i32.const 0)))))
 *     (call $rec (local.get 0))))
 */
/* clang-format off */
static const u8 mixed_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
  0x01, 0x7f, 0x01, 0x7f, 0x03, 0x05, 0x04, 0x00, 0x00, 0x00, 0x00, 0x05,
  0x03, 0x01, 0x00, 0x01, 0x07, 0x12, 0x02, 0x07, 0x63, 0x61, 0x6c, 0x6c,
  0x62, 0x69, 0x67, 0x00, 0x01, 0x04, 0x64, 0x65, 0x65, 0x70, 0x00, 0x02,
  0x0a, 0x46, 0x04, 0x0b, 0x00, 0x20, 0x00, 0x28, 0x02, 0xf0, 0xff, 0xff,
  0xff, 0x07, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x10, 0x00, 0x41, 0x01, 0x6a,
  0x0b, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0x07, 0x05, 0x20,
  0x00, 0x41, 0x01, 0x6b, 0x10, 0x03, 0x41, 0x01, 0x6a, 0x0b, 0x0b, 0x18,
  0x00, 0x20, 0x00, 0x41, 0x7b, 0x46, 0x04, 0x40, 0x41, 0x00, 0x28, 0x02,
  0xf0, 0xff, 0xff, 0xff, 0x07, 0x1a, 0x0b, 0x20, 0x00, 0x10, 0x02, 0x0b,
  0x00, 0x25, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x13, 0x03, 0x00, 0x03,
  0x62, 0x69, 0x67, 0x02, 0x03, 0x72, 0x65, 0x63, 0x03, 0x06, 0x62, 0x69,
  0x67, 0x72, 0x65, 0x63, 0x02, 0x09, 0x04, 0x00, 0x00, 0x01, 0x00, 0x02,
  0x00, 0x03, 0x00
};
/* clang-format on */

static int mixed_call(lc_wasm_instance *inst, const char *name, u64 arg, u64 *out_result,
                      lc_errbuf *eb)
{
    const lc_wasm_func *f = lc_wasm_instance_func(inst, name);
    if (!f)
        return LC_ENOTFOUND;
    return lc_wasm_call(inst, f, &arg, 1, out_result, 1, eb);
}

TEST(wasm_native_code_calls_refused_function)
{
    u64 fuel_used[2];
    for (int is_interp = 0; is_interp < 2; is_interp++) {
        lc_wasm_module *m;
        lc_wasm_instance *inst;
        lc_errbuf eb;
        if (is_interp)
            setenv("LC_WASM_JIT", "0", 1);
        CHECK_OK(lc_wasm_module_load(mixed_wasm, sizeof(mixed_wasm), NULL, &m, &eb));
        unsetenv("LC_WASM_JIT");
        CHECK_OK(lc_wasm_instantiate(m, NULL, NULL, &inst, &eb));
        u64 res = 0;
        lc_wasm_instance_set_fuel(inst, 1000000);
        CHECK_OK(mixed_call(inst, "deep", 100, &res, &eb));
        CHECK_EQ(res, 107);
        fuel_used[is_interp] = 1000000 - lc_wasm_instance_fuel(inst);
        CHECK_ERR(mixed_call(inst, "callbig", 0, &res, &eb), LC_ETRAP_MEM_OOB);
        CHECK(strstr(eb.msg, "big") != NULL);
        CHECK_ERR(mixed_call(inst, "deep", 100000, &res, &eb), LC_ETRAP_STACK);
        CHECK_OK(mixed_call(inst, "deep", 3, &res, &eb));
        CHECK_EQ(res, 10);
        lc_wasm_instance_destroy(inst);
        lc_wasm_module_destroy(m);
    }
    CHECK_EQ(fuel_used[0], fuel_used[1]);
}

TEST(wasm_values_bit_exact)
{
    fixture f;
    lc_errbuf eb;
    CHECK_OK(fixture_init(&f, NULL));
    u64 args[1] = {0x7fa00001u}, res[1];
    CHECK_OK(call(&f, "fid", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 0x7fa00001u);
    args[0] = 0x7ff4000000000abcull;
    CHECK_OK(call(&f, "fneg", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 0xfff4000000000abcull);
    args[0] = LC_WASM_REF_NULL;
    CHECK_OK(call(&f, "ext", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 1);
    args[0] = 1;  /* the embedder's "extern 0", encoded as n + 1 */
    CHECK_OK(call(&f, "ext", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 0);
    args[0] = 0x123456789abcull;
    CHECK_OK(call(&f, "extid", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 0x123456789abcull);
    fixture_deinit(&f);
}

TEST(wasm_bad_input)
{
    lc_wasm_module *m;
    lc_errbuf eb;
    static const u8 junk[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
    CHECK_ERR(lc_wasm_module_load(junk, sizeof(junk), NULL, &m, &eb), LC_EMALFORMED);
    /* () -> i32 with an empty body: a validation error. */
    static const u8 bad_type[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f,
                                  3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b};
    CHECK_ERR(lc_wasm_module_load(bad_type, sizeof(bad_type), NULL, &m, &eb), LC_EINVALID);
    CHECK(strstr(eb.msg, "type mismatch") != NULL);
    /* Every truncation of the test module fails cleanly (never crashes). */
    for (size_t n = 0; n < sizeof(test_wasm); n++) {
        int err = lc_wasm_module_load(test_wasm, n, NULL, &m, &eb);
        if (err == 0) {
            lc_wasm_module_destroy(m);  /* a prefix ending at a section boundary is valid */
            continue;
        }
        CHECK(err == LC_EMALFORMED || err == LC_EINVALID);
    }
    /* Random single-byte corruptions: any outcome but a crash or leak. */
    u64 seed = lc_test_seed();
    u8 copy[sizeof(test_wasm)];
    for (int i = 0; i < 2000; i++) {
        memcpy(copy, test_wasm, sizeof(copy));
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        copy[8 + (seed >> 33) % (sizeof(copy) - 8)] ^= (u8)(1u << ((seed >> 20) & 7));
        if (lc_wasm_module_load(copy, sizeof(copy), NULL, &m, &eb) == 0)
            lc_wasm_module_destroy(m);
    }
}

/* Fusion and deferral edge cases: a branch target between an increment and its compare,
 * reading a local's old value after it is overwritten, tee, constant select, br_table
 * carrying a value. */
TEST(wasm_compiler_edge_cases)
{
    fixture f;
    lc_errbuf eb;
    CHECK_OK(fixture_init(&f, NULL));
    u64 args[2] = {0, 0}, res[1];
    CHECK_OK(call(&f, "skipinc", args, 2, res, 1, &eb));
    CHECK_EQ(res[0], 10);
    args[0] = 12;
    args[1] = 1;
    CHECK_OK(call(&f, "skipinc", args, 2, res, 1, &eb));
    CHECK_EQ(res[0], 12);
    args[0] = 3;
    CHECK_OK(call(&f, "hazard", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 8);
    CHECK_OK(call(&f, "tee", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 7);
    CHECK_OK(call(&f, "sel", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 1);
    args[0] = 0;
    CHECK_OK(call(&f, "sel", args, 1, res, 1, &eb));
    CHECK_EQ(res[0], 2);
    u64 want[3] = {10, 11, 10};
    for (u32 i = 0; i < 3; i++) {
        args[0] = i == 2 ? 5 : i;
        CHECK_OK(call(&f, "bt", args, 1, res, 1, &eb));
        CHECK_EQ(res[0], want[i]);
    }
    fixture_deinit(&f);
}

/* Re-entrancy: a host callback that calls back into the same instance (nested frames share
 * its value stack and depth counter). Source:
 * (module
 *   (import "env" "reenter" (func $re (param i32) (result i32)))
 *   (func (export "f") (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0))
 *       (then (i32.const 100))
 *       (else (i32.add (call $re (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))
 */
/* clang-format off */
static const u8 reenter_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
  0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x07,
  0x72, 0x65, 0x65, 0x6e, 0x74, 0x65, 0x72, 0x00, 0x00, 0x03, 0x02, 0x01,
  0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01, 0x0a, 0x18, 0x01, 0x16,
  0x00, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0xe4, 0x00, 0x05, 0x20, 0x00,
  0x41, 0x01, 0x6b, 0x10, 0x00, 0x41, 0x01, 0x6a, 0x0b, 0x0b
};
/* clang-format on */

static int host_reenter(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results)
{
    lc_wasm_func *f = lc_wasm_instance_func(ctx->instance, "f");
    u64 arg = args[0];
    lc_errbuf eb;
    int err = lc_wasm_call(ctx->instance, f, &arg, 1, results, 1, &eb);
    if (err)
        return lc_err_is_trap(err) ? err : lc_wasm_host_trap(ctx, "%s", eb.msg);
    return 0;
}

TEST(wasm_host_reentry)
{
    static const u8 i32[] = {LC_WASM_I32};
    lc_wasm_functype t = {i32, i32, 1, 1};
    lc_wasm_module *m;
    lc_wasm_linker *lk;
    lc_wasm_instance *inst;
    lc_errbuf eb;
    lc_wasm_limits lim;
    lc_wasm_limits_default(&lim);
    lim.call_depth_max = 200;
    CHECK_OK(lc_wasm_module_load(reenter_wasm, sizeof(reenter_wasm), NULL, &m, &eb));
    CHECK_OK(lc_wasm_linker_create(&lk));
    CHECK_OK(lc_wasm_linker_define_func(lk, "env", "reenter", &t, host_reenter, NULL));
    CHECK_OK(lc_wasm_instantiate(m, lk, &lim, &inst, &eb));
    lc_wasm_func *f = lc_wasm_instance_func(inst, "f");
    u64 arg = 50, res = 0;
    CHECK_OK(lc_wasm_call(inst, f, &arg, 1, &res, 1, &eb));
    CHECK_EQ(res, 150);
    /* Too deep: the depth limit counts host frames too and the trap unwinds every level. */
    arg = 1000;
    CHECK_ERR(lc_wasm_call(inst, f, &arg, 1, &res, 1, &eb), LC_ETRAP_STACK);
    /* The instance is intact afterwards. */
    arg = 7;
    CHECK_OK(lc_wasm_call(inst, f, &arg, 1, &res, 1, &eb));
    CHECK_EQ(res, 107);
    lc_wasm_instance_destroy(inst);
    lc_wasm_linker_destroy(lk);
    lc_wasm_module_destroy(m);
}

/* Multiply-add fusion (OP_MADD*): mul result on either side of the add, i32/i64 wrap-around,
 * f64 rounded twice (never an fma), and a tee between mul and add that must not fuse. Source:
 * (module
 *   (func (export "madd32") (param i32 i32 i32) (result i32)
 *     (i32.add (i32.mul (local.get 0) (local.get 1)) (local.get 2)))
 *   (func (export "madd32r") (param i32 i32 i32) (result i32)
 *     (i32.add (local.get 2) (i32.mul (local.get 0) (local.get 1))))
 *   (func (export "madd64") (param i64 i64 i64) (result i64)
 *     (i64.add (i64.mul (local.get 0) (local.get 1)) (local.get 2)))
 *   (func (export "maddf64") (param f64 f64 f64) (result f64)
 *     (f64.add (local.get 2) (f64.mul (local.get 0) (local.get 1))))
 *   (func (export "maddtee") (param i32 i32) (result i32)
 *     (i32.add (i32.mul (local.get 0) (local.get 1)) (local.tee 0 (i32.const 7)))))
 */
/* clang-format off */
static const u8 madd_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1c, 0x04, 0x60,
  0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7e, 0x7e, 0x7e, 0x01,
  0x7e, 0x60, 0x03, 0x7c, 0x7c, 0x7c, 0x01, 0x7c, 0x60, 0x02, 0x7f, 0x7f,
  0x01, 0x7f, 0x03, 0x06, 0x05, 0x00, 0x00, 0x01, 0x02, 0x03, 0x07, 0x31,
  0x05, 0x06, 0x6d, 0x61, 0x64, 0x64, 0x33, 0x32, 0x00, 0x00, 0x07, 0x6d,
  0x61, 0x64, 0x64, 0x33, 0x32, 0x72, 0x00, 0x01, 0x06, 0x6d, 0x61, 0x64,
  0x64, 0x36, 0x34, 0x00, 0x02, 0x07, 0x6d, 0x61, 0x64, 0x64, 0x66, 0x36,
  0x34, 0x00, 0x03, 0x07, 0x6d, 0x61, 0x64, 0x64, 0x74, 0x65, 0x65, 0x00,
  0x04, 0x0a, 0x3a, 0x05, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6c, 0x20,
  0x02, 0x6a, 0x0b, 0x0a, 0x00, 0x20, 0x02, 0x20, 0x00, 0x20, 0x01, 0x6c,
  0x6a, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x7e, 0x20, 0x02, 0x7c,
  0x0b, 0x0a, 0x00, 0x20, 0x02, 0x20, 0x00, 0x20, 0x01, 0xa2, 0xa0, 0x0b,
  0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6c, 0x41, 0x07, 0x22, 0x00, 0x6a,
  0x0b
};
/* clang-format on */

TEST(wasm_multiply_add_fusion)
{
    lc_wasm_module *m;
    lc_wasm_instance *inst;
    lc_errbuf eb;
    CHECK_OK(lc_wasm_module_load(madd_wasm, sizeof(madd_wasm), NULL, &m, &eb));
    CHECK_OK(lc_wasm_instantiate(m, NULL, NULL, &inst, &eb));
    u64 a[3] = {0x10001, 0x10000, 5}, r = 0;
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "madd32"), a, 3, &r, 1, &eb));
    CHECK_EQ(r, 0x10005);  /* 0x100010000 wraps to 0x10000, plus 5 */
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "madd32r"), a, 3, &r, 1, &eb));
    CHECK_EQ(r, 0x10005);
    u64 b[3] = {0x100000001ull, 0x100000000ull, 3};
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "madd64"), b, 3, &r, 1, &eb));
    CHECK_EQ(r, 0x100000003ull);
    /* (1 + 2^-52)^2 rounds to 1 + 2^-51, so adding -(1 + 2^-51) gives exactly 0 (an fma
     * would give 2^-104). */
    u64 c[3] = {0x3ff0000000000001ull, 0x3ff0000000000001ull, 0xbff0000000000002ull};
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "maddf64"), c, 3, &r, 1, &eb));
    CHECK_EQ(r, 0);
    u64 d[2] = {3, 4};
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "maddtee"), d, 2, &r, 1, &eb));
    CHECK_EQ(r, 19);
    lc_wasm_instance_destroy(inst);
    lc_wasm_module_destroy(m);
}

/* Add+compare-branch fusion (OP_BRCA / OP_BRCAS: the compare's right operand may be the
 * add's own destination, read after the write) and constant stores at a fused a + b
 * address (OP_STXK: wrap-around of the i32.add, bounds trap). Source:
 * (module (memory 1)
 *   (func (export "addcmp") (param i32 i32) (result i32)
 *     (block (loop
 *       (br_if 1 (i32.ge_u (local.tee 0 (i32.add (local.get 0) (local.get 1))) (i32.const 100)))
 *       (br 0)))
 *     (local.get 0))
 *   (func (export "selfcmp") (param i32 i32) (result i32)
 *     (block (br_if 0 (i32.lt_u (local.tee 0 (i32.add (local.get 0) (local.get 1)))
 *                               (local.get 0)))
 *       (return (i32.const 1)))
 *     (i32.const 2))
 *   (func (export "selfcmpi") (param i32) (result i32)   ;; the same with (i32.const 2)
 *   (func (export "stk") (param i32 i32) (result i32)
 *     (i32.store8 offset=1 (i32.add (local.get 0) (local.get 1)) (i32.const 0xab))
 *     (i32.load8_u offset=1 (i32.add (local.get 0) (local.get 1)))))
 */
/* clang-format off */
static const u8 addcmp_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60,
  0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x05,
  0x04, 0x00, 0x00, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x25,
  0x04, 0x06, 0x61, 0x64, 0x64, 0x63, 0x6d, 0x70, 0x00, 0x00, 0x07, 0x73,
  0x65, 0x6c, 0x66, 0x63, 0x6d, 0x70, 0x00, 0x01, 0x08, 0x73, 0x65, 0x6c,
  0x66, 0x63, 0x6d, 0x70, 0x69, 0x00, 0x02, 0x03, 0x73, 0x74, 0x6b, 0x00,
  0x03, 0x0a, 0x5f, 0x04, 0x19, 0x00, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00,
  0x20, 0x01, 0x6a, 0x22, 0x00, 0x41, 0xe4, 0x00, 0x4f, 0x0d, 0x01, 0x0c,
  0x00, 0x0b, 0x0b, 0x20, 0x00, 0x0b, 0x16, 0x00, 0x02, 0x40, 0x20, 0x00,
  0x20, 0x01, 0x6a, 0x22, 0x00, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x41, 0x01,
  0x0f, 0x0b, 0x41, 0x02, 0x0b, 0x16, 0x00, 0x02, 0x40, 0x20, 0x00, 0x41,
  0x02, 0x6a, 0x22, 0x00, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x41, 0x01, 0x0f,
  0x0b, 0x41, 0x02, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x41,
  0xab, 0x01, 0x3a, 0x00, 0x01, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x2d, 0x00,
  0x01, 0x0b
};
/* clang-format on */

TEST(wasm_add_compare_and_store_fusion)
{
    lc_wasm_module *m;
    lc_wasm_instance *inst;
    lc_errbuf eb;
    CHECK_OK(lc_wasm_module_load(addcmp_wasm, sizeof(addcmp_wasm), NULL, &m, &eb));
    CHECK_OK(lc_wasm_instantiate(m, NULL, NULL, &inst, &eb));
    u64 a[2] = {1, 7}, r = 0;
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "addcmp"), a, 2, &r, 1, &eb));
    CHECK_EQ(r, 106);
    u64 b[2] = {0xffffffffu, 2};  /* x wraps to 1: lt_u(x, x) is false */
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "selfcmp"), b, 2, &r, 1, &eb));
    CHECK_EQ(r, 1);
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "selfcmpi"), b, 1, &r, 1, &eb));
    CHECK_EQ(r, 1);
    u64 c[2] = {0xffffffffu, 5};  /* address wraps to 4 (+ offset 1) */
    CHECK_OK(lc_wasm_call(inst, lc_wasm_instance_func(inst, "stk"), c, 2, &r, 1, &eb));
    CHECK_EQ(r, 0xab);
    u64 d[2] = {65534, 1};  /* 65535 + 1 is out of bounds */
    CHECK_ERR(lc_wasm_call(inst, lc_wasm_instance_func(inst, "stk"), d, 2, &r, 1, &eb),
              LC_ETRAP_MEM_OOB);
    lc_wasm_instance_destroy(inst);
    lc_wasm_module_destroy(m);
}

/* A compare whose right operand is the add just before it is mirrored so the add fuses
 * (cmp(y, x) -> cmp'(x, y)). Source:
 * (module
 *   (func (export "mirror") (param i32 i32) (result i32)
 *     (block (br_if 0 (i32.lt_u (local.get 1)
 *                               (local.tee 0 (i32.add (local.get 0) (i32.const 1)))))
 *       (return (i32.const 1)))
 *     (i32.const 2))
 *   (func (export "mirrors") (param i32 i32 i32) (result i32)   ;; i32.le_s, add of 2 slots
 *     ...))
 */
/* clang-format off */
static const u8 mirror_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x02, 0x60,
  0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
  0x03, 0x03, 0x02, 0x00, 0x01, 0x07, 0x14, 0x02, 0x06, 0x6d, 0x69, 0x72,
  0x72, 0x6f, 0x72, 0x00, 0x00, 0x07, 0x6d, 0x69, 0x72, 0x72, 0x6f, 0x72,
  0x73, 0x00, 0x01, 0x0a, 0x2f, 0x02, 0x16, 0x00, 0x02, 0x40, 0x20, 0x01,
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x22, 0x00, 0x49, 0x0d, 0x00, 0x41, 0x01,
  0x0f, 0x0b, 0x41, 0x02, 0x0b, 0x16, 0x00, 0x02, 0x40, 0x20, 0x01, 0x20,
  0x00, 0x20, 0x02, 0x6a, 0x22, 0x00, 0x4c, 0x0d, 0x00, 0x41, 0x01, 0x0f,
  0x0b, 0x41, 0x02, 0x0b
};
/* clang-format on */

TEST(wasm_mirrored_compare_fusion)
{
    lc_wasm_module *m;
    lc_wasm_instance *inst;
    lc_errbuf eb;
    CHECK_OK(lc_wasm_module_load(mirror_wasm, sizeof(mirror_wasm), NULL, &m, &eb));
    CHECK_OK(lc_wasm_instantiate(m, NULL, NULL, &inst, &eb));
    lc_wasm_func *f = lc_wasm_instance_func(inst, "mirror");
    lc_wasm_func *g = lc_wasm_instance_func(inst, "mirrors");
    static const u32 ys[4] = {3, 6, 9, 0xffffffffu};
    static const u64 want_u[4] = {2, 1, 1, 1};  /* taken iff y < 5 + 1 (unsigned) */
    static const u64 want_s[4] = {2, 2, 1, 2};  /* taken iff y <= 5 + 1 (signed) */
    for (u32 i = 0; i < 4; i++) {
        u64 a[3] = {5, ys[i], 1}, r = 0;
        CHECK_OK(lc_wasm_call(inst, f, a, 2, &r, 1, &eb));
        CHECK_EQ(r, want_u[i]);
        CHECK_OK(lc_wasm_call(inst, g, a, 3, &r, 1, &eb));
        CHECK_EQ(r, want_s[i]);
    }
    lc_wasm_instance_destroy(inst);
    lc_wasm_module_destroy(m);
}
