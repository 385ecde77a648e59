/*
 * tests/fuzz/fuzz_wasm.c — libFuzzer target for the WebAssembly engine.
 *
 * Arbitrary bytes -> lc_wasm_module_load (decode + validate + compile) -> if that succeeds,
 * instantiate with a stub for every import (host functions that touch the caller's memory
 * through lc_wasm_host_mem, may trap, and return zeros; fresh memories/tables/globals of the
 * declared type) -> call every exported function with zero
 * arguments and a small fuel budget. The engine must never crash, leak or hang, whatever the
 * bytes; a trap or a load error is a normal outcome. An input that does not start with the
 * wasm magic is instead wrapped as the body of the one function of a fixed module (wrap_body),
 * so mutations also explore instruction sequences, not just section framing.
 *
 * Tight limits keep each input cheap (fuel 20,000 per call, 16 pages of memory, call depth
 * 256), so libFuzzer explores more inputs per second and a runaway loop is an out-of-fuel
 * trap, not a timeout. Each module is instantiated and run twice from scratch, and the two
 * runs must agree exactly (codes, results, fuel left): the engine is deterministic. A third
 * run loads the module again with LC_WASM_JIT=0 (interpreter only) and must agree too, so
 * the native code of src/wasm/jit.c is checked against the interpreter, fuel included.
 *
 *   make fuzz-wasm [FUZZ_SECONDS=60]   libFuzzer (MODE=fuzz, clang), corpus build/fuzz/corpus-wasm
 * In every other MODE this file also builds a replayer (main below) that runs the seed corpus
 * tests/fuzz/corpus/wasm/ and saved reproducers tests/fuzz/crashes/wasm-* under ASan in
 * `make test` (tests/suites/32-wasm-fuzz-replay.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "wasm/wasm.h"

#define FUZZ_FUEL 20000
#define FUZZ_PAGES_MAX 16
#define FUZZ_TABLE_MAX 4096
#define FUZZ_RESULTS_MAX 64
#define FUZZ_EXPORT_CALLS_MAX 64
#define FUZZ_BODY_MAX (1u << 16)

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
static int fuzz_module(const u8 *data, size_t size);

static void fuzz_limits(lc_wasm_limits *l)
{
    lc_wasm_limits_default(l);
    l->call_depth_max = 256;
    l->value_stack_slots_max = 1u << 16;
    l->memory_pages_max = FUZZ_PAGES_MAX;
    l->table_elems_max = FUZZ_TABLE_MAX;
    l->fuel_default = FUZZ_FUEL;
}

/* Every stub host function. It exercises what real host functions do, driven by the
 * (fuzzed) arguments, then returns zeros:
 *   - with two or more integer parameters it treats the first two as (offset, length) into
 *     the caller's memory, asks lc_wasm_host_mem for that range and writes all of it (ASan
 *     checks the bounds check);
 *   - if the first argument's low byte is 0x7f it traps through lc_wasm_host_trap.
 * Arguments are read before results are written (they may alias). */
static int stub_func(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results)
{
    lc_wasm_functype ft;
    lc_wasm_func_type(ctx->func, &ft);
    bool is_int2 = ft.param_count >= 2 &&
                   (ft.params[0] == LC_WASM_I32 || ft.params[0] == LC_WASM_I64) &&
                   (ft.params[1] == LC_WASM_I32 || ft.params[1] == LC_WASM_I64);
    u64 first = ft.param_count ? args[0] : 0;
    if (is_int2) {
        u64 offset = args[0], len = args[1];
        u8 *p = lc_wasm_host_mem(ctx, offset, len);
        if (p) memset(p, 0xab, (size_t)len);
    }
    if (ft.param_count && (first & 0xff) == 0x7f) return lc_wasm_host_trap(ctx, "stub trap");
    for (u32 i = 0; i < ft.result_count; i++) results[i] = 0;
    return 0;
}

/* Defines one stub for import d. Objects created here are handed to the linker, which keeps
 * its own reference; ours is released at once. Imports we cannot or will not satisfy (a name
 * with a NUL byte, a memory over the fuzz cap) stay undefined: instantiation then fails as
 * unlinkable, which is a fine outcome too. */
static void stub_define(lc_wasm_linker *linker, const lc_wasm_extern_desc *d)
{
    if ((d->module_len && memchr(d->module, 0, d->module_len)) ||
        (d->name_len && memchr(d->name, 0, d->name_len))) {
        return;
    }
    char *mod = lc_strndup(d->module_len ? d->module : "", d->module_len);
    char *name = lc_strndup(d->name_len ? d->name : "", d->name_len);
    if (!mod || !name) goto done;
    int rc = 0;
    if (d->kind == LC_WASM_EXTERN_FUNC) {
        rc = lc_wasm_linker_define_func(linker, mod, name, &d->type.func, stub_func, NULL);
    } else if (d->kind == LC_WASM_EXTERN_MEMORY && d->type.memory.limits.min <= FUZZ_PAGES_MAX) {
        lc_wasm_memory *m = NULL;
        if (lc_wasm_memory_create(&d->type.memory, &m) == 0) {
            rc = lc_wasm_linker_define_memory(linker, mod, name, m);
            lc_wasm_memory_destroy(m);
        }
    } else if (d->kind == LC_WASM_EXTERN_TABLE && d->type.table.limits.min <= FUZZ_TABLE_MAX) {
        lc_wasm_table *t = NULL;
        if (lc_wasm_table_create(&d->type.table, &t) == 0) {
            rc = lc_wasm_linker_define_table(linker, mod, name, t);
            lc_wasm_table_destroy(t);
        }
    } else if (d->kind == LC_WASM_EXTERN_GLOBAL) {
        lc_wasm_global *g = NULL;
        if (lc_wasm_global_create(&d->type.global, 0, &g) == 0) {
            rc = lc_wasm_linker_define_global(linker, mod, name, g);
            lc_wasm_global_destroy(g);
        }
    }
    LC_UNUSED(rc);  /* a failed definition is just an unresolved import */
done:
    lc_free(mod);
    lc_free(name);
}

static u64 digest_mix(u64 h, u64 v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ull;  /* FNV-1a */
    }
    return h;
}

/* Calls every exported function with zero arguments, fresh fuel each. Returns a digest of
 * every outcome (code, results, fuel left) for the determinism check. */
static u64 call_exports(const lc_wasm_module *m, lc_wasm_instance *inst, u64 h)
{
    u32 n = lc_wasm_module_export_count(m);
    u64 args[FUZZ_RESULTS_MAX] = {0}, results[FUZZ_RESULTS_MAX];
    u32 calls = 0;
    for (u32 i = 0; i < n && calls < FUZZ_EXPORT_CALLS_MAX; i++) {
        lc_wasm_extern_desc d;
        lc_wasm_module_export_get(m, i, &d);
        if (d.kind != LC_WASM_EXTERN_FUNC) continue;
        const lc_wasm_func *f = lc_wasm_instance_func_at(inst, d.index);
        if (!f) continue;
        lc_wasm_functype ft;
        lc_wasm_func_type(f, &ft);
        if (ft.param_count > FUZZ_RESULTS_MAX || ft.result_count > FUZZ_RESULTS_MAX) continue;
        lc_wasm_instance_set_fuel(inst, FUZZ_FUEL);
        lc_errbuf eb;
        int rc = lc_wasm_call(inst, f, args, ft.param_count, results, ft.result_count, &eb);
        h = digest_mix(h, (u64)(i64)rc);  /* traps are expected outcomes */
        for (u32 k = 0; rc == 0 && k < ft.result_count; k++) {
            /* A reference is an address, which differs between instances: only its nullness
             * is an outcome. */
            bool is_ref = ft.results[k] == LC_WASM_FUNCREF || ft.results[k] == LC_WASM_EXTERNREF;
            h = digest_mix(h, is_ref ? results[k] != 0 : results[k]);
        }
        h = digest_mix(h, lc_wasm_instance_fuel(inst));
        calls++;
    }
    return h;
}

/* One fresh linker (stub imports) + instance of m, every export called once, all released.
 * Returns the digest of what happened. */
static u64 run_fresh_instance(const lc_wasm_module *m, const lc_wasm_limits *limits)
{
    lc_wasm_linker *linker = NULL;
    lc_wasm_instance *inst = NULL;
    lc_errbuf eb;
    u64 h = 0xcbf29ce484222325ull;
    if (lc_wasm_linker_create(&linker) != 0) return h;
    u32 imports = lc_wasm_module_import_count(m);
    for (u32 i = 0; i < imports; i++) {
        lc_wasm_extern_desc d;
        lc_wasm_module_import_get(m, i, &d);
        stub_define(linker, &d);
    }
    int rc = lc_wasm_instantiate(m, linker, limits, &inst, &eb);
    h = digest_mix(h, (u64)(i64)rc);
    if (rc == 0) h = call_exports(m, inst, h);
    if (inst) lc_wasm_instance_destroy(inst);
    lc_wasm_linker_destroy(linker);
    return h;
}

/* Appends the LEB128 encoding of v. */
static size_t leb_put(u8 *out, u32 v)
{
    size_t n = 0;
    do {
        u8 b = v & 0x7f;
        v >>= 7;
        out[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return n;
}

/* Builds a module whose only function body (locals + code + end) is `body`: type () -> (),
 * one funcref table of 4, one memory of 1 page (max 1), one mutable i32 global, the function
 * exported as "f". Returns the module's size in out (capacity size + 64). */
static size_t wrap_body(const u8 *body, size_t size, u8 *out)
{
    static const u8 head[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  /* magic, version */
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,              /* type: () -> () */
        0x03, 0x02, 0x01, 0x00,                          /* func 0: type 0 */
        0x04, 0x04, 0x01, 0x70, 0x00, 0x04,              /* table funcref min 4 */
        0x05, 0x04, 0x01, 0x01, 0x01, 0x01,              /* memory min 1 max 1 */
        0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b,  /* global mut i32 = 0 */
        0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,        /* export "f" func 0 */
    };
    size_t n = sizeof head;
    memcpy(out, head, n);
    u8 body_len[5], sec_len[5];
    size_t bl = leb_put(body_len, (u32)size);
    size_t sl = leb_put(sec_len, (u32)(1 + bl + size));
    out[n++] = 0x0a;  /* code section */
    memcpy(out + n, sec_len, sl);
    n += sl;
    out[n++] = 0x01;  /* one body */
    memcpy(out + n, body_len, bl);
    n += bl;
    memcpy(out + n, body, size);
    return n + size;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    /* Inputs that are not a module are used as a function body in a fixed module, so random
     * bytes also reach the validator, compiler and interpreter. */
    if (size < 4 || memcmp(data, "\0asm", 4) != 0) {
        if (size > FUZZ_BODY_MAX) return 0;
        u8 *module = lc_alloc(size + 64);
        if (!module) return 0;
        size_t n = wrap_body(data, size, module);
        int rc = fuzz_module(module, n);
        lc_free(module);
        return rc;
    }
    return fuzz_module(data, size);
}

/* The target proper: load, then twice (fresh linker and instance each time) stub the
 * imports, instantiate and call the exports. The engine is deterministic, so both runs must
 * produce the same outcomes: a difference means state leaked between instances or something
 * read uninitialised memory. */
static int fuzz_module(const u8 *data, size_t size)
{
    lc_wasm_limits limits;
    fuzz_limits(&limits);
    lc_wasm_module *m = NULL;
    lc_errbuf eb;
    if (lc_wasm_module_load(data, size, &limits, &m, &eb) != 0) return 0;
    u64 first = run_fresh_instance(m, &limits);
    u64 second = run_fresh_instance(m, &limits);
    lc_wasm_module_destroy(m);
    if (first != second) {
        fprintf(stderr, "fuzz_wasm: two fresh instances of one module behaved differently\n");
        abort();
    }
    /* The interpreter alone must do exactly what the default engine did. */
    const char *old = getenv("LC_WASM_JIT");
    if (old && old[0] == '0') return 0;  /* the default engine is the interpreter already */
    setenv("LC_WASM_JIT", "0", 1);
    int rc = lc_wasm_module_load(data, size, &limits, &m, &eb);
    unsetenv("LC_WASM_JIT");
    if (rc != 0) {
        fprintf(stderr, "fuzz_wasm: the module loads only with native code\n");
        abort();
    }
    u64 interp = run_fresh_instance(m, &limits);
    lc_wasm_module_destroy(m);
    if (interp != first) {
        fprintf(stderr, "fuzz_wasm: native code and the interpreter behaved differently\n");
        abort();
    }
    return 0;
}
