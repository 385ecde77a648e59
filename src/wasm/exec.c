/*
 * wasm/exec.c — the interpreter: one dispatch function over compiled words (wasm_int.h).
 *
 * Design:
 *   - Threaded dispatch with computed goto: every handler ends in NEXT(), which loads the
 *     next opcode word and jumps through a 256-entry label table. No central switch.
 *   - Slot-addressed code: each op word carries its result and operand slots (fp-relative),
 *     so handlers are `fp[d] = fp[a] OP fp[b]` with no stack pointer traffic.
 *   - Registers: pc (code word), w (current op word), fp (frame base), mem/mem_size (memory
 *     0 of the current instance), fuel. They are reloaded only when the current instance
 *     may have changed (call, return) or memory may have moved (memory.grow, host calls).
 *   - Wasm-to-wasm calls do not recurse in C: a frame record (return pc, caller fp, callee)
 *     goes on the instance's frame array, bounded by call_depth_max; the value stack is
 *     bounded by value_stack_slots_max, checked once per call against the callee's
 *     precomputed max height. Host calls recurse only through the embedder.
 *   - Fuel is charged on every call and at every loop head (OP_FUEL, which all back-edges
 *     target). Trap paths leave through `goto trap` into a cold tail that formats the message.
 *   - Bulk memory/table instructions are rare and long-running, so they live in helper
 *     functions outside the loop.
 *   - Native code (jit.c): a callee with jit_body runs there instead (jit_run), after this
 *     loop's own fuel, depth and value-stack checks; native code calls back into this file
 *     for imports, refused functions, rare instructions and call_indirect resolution (the
 *     wasm_exec_* helpers below), so both engines share one set of call and trap semantics.
 *
 * The dispatch function is the single function allowed to exceed the 70-line rule (style.md).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "wasm/wasm_int.h"

static inline f32 as_f32(u64 v) { f32 f; u32 u = (u32)v; memcpy(&f, &u, 4); return f; }
static inline f64 as_f64(u64 v) { f64 f; memcpy(&f, &v, 8); return f; }
static inline u64 from_f32(f32 f) { u32 u; memcpy(&u, &f, 4); return u; }
static inline u64 from_f64(f64 f) { u64 u; memcpy(&u, &f, 8); return u; }

static f32 f32_min(f32 a, f32 b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return as_f32(from_f32(a) | from_f32(b));
    return a < b ? a : b;
}
static f32 f32_max(f32 a, f32 b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return as_f32(from_f32(a) & from_f32(b));
    return a > b ? a : b;
}
static f64 f64_min(f64 a, f64 b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return as_f64(from_f64(a) | from_f64(b));
    return a < b ? a : b;
}
static f64 f64_max(f64 a, f64 b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return as_f64(from_f64(a) & from_f64(b));
    return a > b ? a : b;
}

/* Saturating truncations (0xfc 0..7). */
static u64 trunc_sat(u32 sub, u64 v)
{
    f64 x = (sub & 2) ? as_f64(v) : (f64)as_f32(v);
    if (x != x)
        return 0;
    switch (sub) {
    case 0: case 2:
        return x < -2147483648.0 ? (u32)INT32_MIN
               : x >= 2147483648.0 ? (u32)INT32_MAX : (u32)(i32)x;
    case 1: case 3:
        return x <= -1.0 ? 0 : x >= 4294967296.0 ? UINT32_MAX : (u32)x;
    case 4: case 6:
        return x < -9223372036854775808.0 ? (u64)INT64_MIN
               : x >= 9223372036854775808.0 ? (u64)INT64_MAX : (u64)(i64)x;
    default:
        return x <= -1.0 ? 0 : x >= 18446744073709551616.0 ? UINT64_MAX : (u64)x;
    }
}

/* ------------------------------------------------------------ bulk helpers ---------------- */

static int bulk_memory(lc_wasm_instance *ci, u32 sub, u32 imm, u64 *sp)
{
    lc_wasm_memory *m = ci->memory;
    u64 d = (u32)sp[-3], s = (u32)sp[-2], n = (u32)sp[-1];
    if (sub == 8) {  /* memory.init seg: dst, src, n */
        const lc_wasm_data_seg *seg = &ci->module->datas[imm];
        u64 len = ci->data_dropped[imm] ? 0 : seg->len;
        if (s + n > len || d + n > m->size)
            return LC_ETRAP_MEM_OOB;
        if (n)
            memcpy(m->data + d, seg->bytes + s, n);
    } else if (sub == 10) {  /* memory.copy */
        if (s + n > m->size || d + n > m->size)
            return LC_ETRAP_MEM_OOB;
        if (n)
            memmove(m->data + d, m->data + s, n);
    } else {  /* memory.fill: dst, val, n */
        if (d + n > m->size)
            return LC_ETRAP_MEM_OOB;
        if (n)
            memset(m->data + d, (int)(u8)s, n);
    }
    return 0;
}

static int bulk_table(lc_wasm_instance *ci, u32 sub, u32 a, u32 b, u64 *sp)
{
    u64 d = (u32)sp[-3], s = (u32)sp[-2], n = (u32)sp[-1];
    if (sub == 12) {  /* table.init elem a, table b */
        lc_wasm_table *t = ci->tables[b];
        u64 len = ci->elem_len[a];
        if (s + n > len || d + n > t->size)
            return LC_ETRAP_TABLE_OOB;
        if (n)
            memcpy(t->elems + d, ci->elem_items[a] + s, n * 8);
    } else if (sub == 14) {  /* table.copy dst a, src b */
        lc_wasm_table *td = ci->tables[a], *ts = ci->tables[b];
        if (s + n > ts->size || d + n > td->size)
            return LC_ETRAP_TABLE_OOB;
        if (n)
            memmove(td->elems + d, ts->elems + s, n * 8);
    } else {  /* table.fill a: i, ref, n */
        lc_wasm_table *t = ci->tables[a];
        if (d + n > t->size)
            return LC_ETRAP_TABLE_OOB;
        for (u64 i = 0; i < n; i++)
            t->elems[d + i] = sp[-2];
    }
    return 0;
}

static LC_COLD int trap_format(lc_wasm_instance *inst, const lc_wasm_func *f, int code,
                               bool is_from_host, lc_errbuf *eb)
{
    const char *base = is_from_host && inst->trap_msg[0] ? inst->trap_msg : lc_strerror(code);
    if (!f)
        return lc_errf(eb, code, "%s", base);
    const char *name = wasm_func_name(f);
    if (name)
        return lc_errf(eb, code, "%s in func %u <%s>", base, f->index, name);
    return lc_errf(eb, code, "%s in func %u", base, f->index);
}

static int host_call(lc_wasm_instance *inst, lc_wasm_instance *ci, const lc_wasm_func *g,
                     u64 *args)
{
    lc_wasm_host_ctx ctx = {ci, g->user_data, ci->memory, g, inst->trap_msg};
    return g->cb(&ctx, args, args);
}


/* ------------------------------------------------------------ native-code helpers -------- */

/* Bytes of native stack that JIT frames and interpreter re-entries from JIT code may use
 * below the outermost native entry of a thread (16 bytes per JIT call level: 65536 levels,
 * well above the default call_depth_max of 10000). */
#define LC_WASM_JIT_STACK_BYTES (1u << 20)
/* Head-room left for C frames (helpers, host functions) below the budget. */
#define LC_WASM_JIT_STACK_SLACK (64u << 10)

static _Thread_local uintptr_t jit_floor;    /* lowest rsp for native code; 0: not inside */
static _Thread_local uintptr_t jit_stack_lo; /* this thread's stack bottom; 1: unknown */

/* The lowest address of the calling thread's stack (cached per thread), or 1. */
static uintptr_t thread_stack_lo(void)
{
    if (!jit_stack_lo) {
        pthread_attr_t attr;
        void *addr = NULL;
        size_t size = 0;
        jit_stack_lo = 1;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr)
                jit_stack_lo = (uintptr_t)addr;
            pthread_attr_destroy(&attr);
        }
    }
    return jit_stack_lo;
}

/* Trapping float -> int truncation for native code (same tests as the interpreter). */
static u64 numeric_trunc(wasm_jit_ctx *ctx, u32 op, u64 v)
{
    bool is_f64 = op == 0xaa || op == 0xab || op == 0xb0 || op == 0xb1;
    f64 x = is_f64 ? as_f64(v) : (f64)as_f32(v);
    bool ok;
    switch (op) {
    case 0xa8: ok = as_f32(v) >= -2147483648.0f && as_f32(v) < 2147483648.0f; break;
    case 0xa9: ok = as_f32(v) > -1.0f && as_f32(v) < 4294967296.0f; break;
    case 0xaa: ok = x > -2147483649.0 && x < 2147483648.0; break;
    case 0xab: ok = x > -1.0 && x < 4294967296.0; break;
    case 0xae: ok = as_f32(v) >= -9223372036854775808.0f && as_f32(v) < 9223372036854775808.0f; break;
    case 0xaf: ok = as_f32(v) > -1.0f && as_f32(v) < 18446744073709551616.0f; break;
    case 0xb0: ok = x >= -9223372036854775808.0 && x < 9223372036854775808.0; break;
    default: ok = x > -1.0 && x < 18446744073709551616.0; break;
    }
    if (x != x) {
        ctx->pending = LC_ETRAP_INVALID_CONV;
        return 0;
    }
    if (!ok) {
        ctx->pending = LC_ETRAP_INT_OVERFLOW;
        return 0;
    }
    switch (op) {
    case 0xa8: case 0xaa: return (u64)(i32)x & 0xffffffffull;
    case 0xa9: case 0xab: return (u32)x;
    case 0xae: case 0xb0: return (u64)(i64)x;
    default: return (u64)x;
    }
}

u64 wasm_exec_numeric(wasm_jit_ctx *ctx, u64 w, u64 a, u64 b)
{
    u32 op = (u32)(w & (OP_COUNT - 1));
    f32 fa = as_f32(a), fb = as_f32(b);
    f64 da = as_f64(a), db = as_f64(b);
    switch (op) {
    case 0x69: return (u64)__builtin_popcount((u32)a);  /* CPUs without POPCNT */
    case 0x7b: return (u64)__builtin_popcountll(a);
    case 0x5b: return fa == fb;
    case 0x5c: return fa != fb;
    case 0x5d: return fa < fb;
    case 0x5e: return fa > fb;
    case 0x5f: return fa <= fb;
    case 0x60: return fa >= fb;
    case 0x61: return da == db;
    case 0x62: return da != db;
    case 0x63: return da < db;
    case 0x64: return da > db;
    case 0x65: return da <= db;
    case 0x66: return da >= db;
    case 0x8d: return from_f32(fa != fa ? fa + fa : ceilf(fa));
    case 0x8e: return from_f32(fa != fa ? fa + fa : floorf(fa));
    case 0x8f: return from_f32(fa != fa ? fa + fa : truncf(fa));
    case 0x90: return from_f32(fa != fa ? fa + fa : nearbyintf(fa));
    case 0x91: return from_f32(sqrtf(fa));
    case 0x92: return from_f32(fa + fb);
    case 0x93: return from_f32(fa - fb);
    case 0x94: return from_f32(fa * fb);
    case 0x95: return from_f32(fa / fb);
    case 0x96: return from_f32(f32_min(fa, fb));
    case 0x97: return from_f32(f32_max(fa, fb));
    case 0x98: return ((u32)a & 0x7fffffffu) | ((u32)b & 0x80000000u);
    case 0x9b: return from_f64(da != da ? da + da : ceil(da));
    case 0x9c: return from_f64(da != da ? da + da : floor(da));
    case 0x9d: return from_f64(da != da ? da + da : trunc(da));
    case 0x9e: return from_f64(da != da ? da + da : nearbyint(da));
    case 0x9f: return from_f64(sqrt(da));
    case 0xa0: return from_f64(da + db);
    case 0xa1: return from_f64(da - db);
    case 0xa2: return from_f64(da * db);
    case 0xa3: return from_f64(da / db);
    case 0xa4: return from_f64(f64_min(da, db));
    case 0xa5: return from_f64(f64_max(da, db));
    case 0xa6: return (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull);
    case 0xa8: case 0xa9: case 0xaa: case 0xab: case 0xae: case 0xaf: case 0xb0: case 0xb1:
        return numeric_trunc(ctx, op, a);
    case 0xb2: return from_f32((f32)(i32)(u32)a);
    case 0xb3: return from_f32((f32)(u32)a);
    case 0xb4: return from_f32((f32)(i64)a);
    case 0xb5: return from_f32((f32)a);
    case 0xb6: return from_f32((f32)da);
    case 0xb7: return from_f64((f64)(i32)(u32)a);
    case 0xb8: return from_f64((f64)(u32)a);
    case 0xb9: return from_f64((f64)(i64)a);
    case 0xba: return from_f64((f64)a);
    case 0xbb: return from_f64((f64)fa);
    default:
        LC_ASSERT(op >= OP_FC_BASE && op <= OP_FC_BASE + 7);
        return trunc_sat(op - OP_FC_BASE, a);
    }
}

static void jit_ctx_mem(wasm_jit_ctx *ctx)
{
    lc_wasm_memory *m = ctx->ci->memory;
    ctx->mem = m ? m->data : NULL;
    ctx->mem_size = m ? m->size : 0;
}

#define D_ ((u32)(w >> 16) & 0xffffu)
#define A_ ((u32)(w >> 32) & 0xffffu)
#define B_ ((u32)(w >> 48))
int wasm_exec_misc(wasm_jit_ctx *ctx, u64 *fp, const lc_wasm_word *pc)
{
    lc_wasm_instance *ci = ctx->ci;
    u64 w = pc[0].u;
    u32 op = (u32)(w & (OP_COUNT - 1)), imm = (u32)pc[1].u;
    int rc = 0;
    switch (op) {
    case OP_TABLE_GET: case OP_TABLE_SET: {
        lc_wasm_table *t = ci->tables[imm];
        u32 i = (u32)fp[A_];
        if (i >= t->size)
            return LC_ETRAP_TABLE_OOB;
        if (op == OP_TABLE_GET)
            fp[D_] = t->elems[i];
        else
            t->elems[i] = fp[B_];
        return 0;
    }
    case OP_MEMORY_GROW: {
        u32 old;
        fp[D_] = wasm_memory_grow(ci->memory, (u32)fp[A_], &old) == 0 ? old : UINT32_MAX;
        jit_ctx_mem(ctx);
        return 0;
    }
    case OP_REF_FUNC: fp[D_] = (u64)(uintptr_t)ci->funcs[imm]; return 0;
    case OP_FC_BASE + 8: rc = bulk_memory(ci, 8, imm, fp + A_ + 3); break;
    case OP_FC_BASE + 9: ci->data_dropped[imm] = 1; break;
    case OP_FC_BASE + 10: case OP_FC_BASE + 11:
        rc = bulk_memory(ci, op - OP_FC_BASE, 0, fp + A_ + 3);
        break;
    case OP_FC_BASE + 13: ci->elem_len[imm] = 0; break;
    case OP_FC_BASE + 15: {
        u32 old;
        lc_wasm_table *t = ci->tables[imm];
        fp[D_] = wasm_table_grow(t, (u32)fp[B_], fp[A_], &old) == 0 ? old : UINT32_MAX;
        break;
    }
    case OP_FC_BASE + 16: fp[D_] = ci->tables[imm]->size; break;
    default: {  /* 12 table.init, 14 table.copy, 17 table.fill */
        u32 sub = op - OP_FC_BASE;
        LC_ASSERT(sub == 12 || sub == 14 || sub == 17);
        rc = bulk_table(ci, sub, imm, sub == 17 ? 0 : (u32)pc[2].u, fp + A_ + 3);
        break;
    }
    }
    return rc;
}

/* A host function called from native code: what wasm_exec's call path does for one. */
static int jit_call_host(wasm_jit_ctx *ctx, const lc_wasm_func *g, u64 *argp, u32 depth)
{
    lc_wasm_instance *inst = ctx->inst;
    const lc_wasm_func *caller = ctx->ci->funcs[ctx->trap_func];  /* named in messages */
    int rc = 0;
    if (ctx->fuel == 0)
        rc = LC_ETRAP_FUEL;
    else if (depth >= inst->limits.call_depth_max)
        rc = (ctx->fuel--, LC_ETRAP_STACK);
    if (rc) {
        ctx->is_formatted = 1;
        return trap_format(inst, caller, rc, false, ctx->eb);
    }
    ctx->fuel--;
    inst->fuel = ctx->fuel;
    inst->depth = depth + 1;
    inst->stack_top = argp + LC_MAX(g->type->param_count, g->type->result_count);
    inst->trap_msg[0] = 0;
    rc = host_call(inst, ctx->ci, g, argp);
    inst->depth = depth;
    ctx->fuel = inst->fuel;
    jit_ctx_mem(ctx);
    if (rc) {
        ctx->is_formatted = 1;
        return trap_format(inst, caller, lc_err_is_trap(rc) ? rc : LC_ETRAP_HOST, true,
                           ctx->eb);
    }
    return 0;
}

int wasm_exec_call_slow(wasm_jit_ctx *ctx, u64 *argp, u64 index, uintptr_t rsp)
{
    lc_wasm_instance *inst = ctx->inst;
    const lc_wasm_func *g = index == UINT32_MAX ? ctx->pending_func : ctx->ci->funcs[index];
    LC_ASSERT(rsp <= ctx->rsp_base && (ctx->rsp_base - rsp) % 16 == 0);
    u32 depth = ctx->depth0 + (u32)((ctx->rsp_base - rsp) / 16) + 1;
    if (!g->entry)
        return jit_call_host(ctx, g, argp, depth);
    inst->depth = depth;
    inst->fuel = ctx->fuel;
    int rc = wasm_exec(inst, g, argp, ctx->eb);
    ctx->fuel = inst->fuel;
    jit_ctx_mem(ctx);
    if (rc)
        ctx->is_formatted = 1;
    return rc;
}

u64 wasm_exec_indirect(wasm_jit_ctx *ctx, u64 elem, u64 type_table)
{
    lc_wasm_instance *ci = ctx->ci;
    const lc_wasm_type *want = &ci->module->types[(u32)type_table];
    lc_wasm_table *t = ci->tables[type_table >> 32];
    u32 i = (u32)elem;
    if (i >= t->size) {
        ctx->pending = LC_ETRAP_UNDEFINED_ELEM;
        return 0;
    }
    const lc_wasm_func *g = (const lc_wasm_func *)(uintptr_t)t->elems[i];
    if (!g) {
        ctx->pending = LC_ETRAP_INDIRECT_NULL;
        return 0;
    }
    if (g->type != want && !wasm_type_equal(g->type, want)) {
        ctx->pending = LC_ETRAP_INDIRECT_TYPE;
        return 0;
    }
    if (g->jit_full && g->inst == ci)
        return (u64)(uintptr_t)g->jit_full;
    ctx->pending_func = g;
    return 1;
}

/* Runs g (already charged and depth-checked by the caller, frame at fp, depth index depth)
 * in native code. Returns 0 or a trap code with the message in eb. */
static int jit_run(lc_wasm_instance *inst, const lc_wasm_func *g, u64 *fp, u32 depth,
                   u64 *fuel, lc_errbuf *eb)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    bool is_outer = jit_floor == 0;
    if (is_outer)
        jit_floor = LC_MAX(here - LC_WASM_JIT_STACK_BYTES,
                           thread_stack_lo() + 2 * LC_WASM_JIT_STACK_SLACK);
    if (here < jit_floor + LC_WASM_JIT_STACK_SLACK) {
        if (is_outer)
            jit_floor = 0;
        return trap_format(inst, g, LC_ETRAP_STACK, false, eb);
    }
    lc_wasm_instance *ci = g->inst;
    wasm_jit_ctx ctx = {0};
    ctx.ci = ci;
    ctx.inst = inst;
    jit_ctx_mem(&ctx);
    ctx.fuel = *fuel;
    ctx.stack_end = inst->stack_end;
    ctx.levels = LC_MIN((u64)inst->limits.call_depth_max - depth - 1,
                        (u64)LC_WASM_JIT_STACK_BYTES / 16);
    ctx.rsp_floor = jit_floor + LC_WASM_JIT_STACK_SLACK / 2;
    ctx.globals = ci->globals;
    ctx.eb = eb;
    ctx.depth0 = depth;
    ctx.trap_func = g->index;
    int rc = wasm_jit_enter(ci->module->jit, fp, &ctx, g->jit_body);
    if (is_outer)
        jit_floor = 0;
    *fuel = ctx.fuel;
    if (rc && !ctx.is_formatted)
        rc = trap_format(inst, ci->funcs[ctx.trap_func], rc, false, eb);
    return rc;
}

/* ------------------------------------------------------------ the loop -------------------- */

#ifdef LC_WASM_OPSTATS
/* Developer aid (-DLC_WASM_OPSTATS): counts executed op pairs, printed at exit. */
#include <stdlib.h>
static u64 opstats[OP_COUNT][OP_COUNT];
static u32 opstats_prev;
static void opstats_dump(void)
{
    for (int n = 0; n < 60; n++) {
        u64 best = 0; u32 bi = 0, bj = 0;
        for (u32 i = 0; i < OP_COUNT; i++)
            for (u32 j = 0; j < OP_COUNT; j++)
                if (opstats[i][j] > best) { best = opstats[i][j]; bi = i; bj = j; }
        if (!best) break;
        fprintf(stderr, "%12llu %03x -> %03x\n", (unsigned long long)best, bi, bj);
        opstats[bi][bj] = 0;
    }
}
#define OPSTAT(op)                                                                  \
    do {                                                                            \
        static int reg_;                                                            \
        if (!reg_) { reg_ = 1; atexit(opstats_dump); }                              \
        opstats[opstats_prev][op]++;                                                \
        opstats_prev = (u32)(op);                                                   \
    } while (0)
#else
#define OPSTAT(op) ((void)0)
#endif
#define NEXT()                                                                      \
    do {                                                                            \
        w = pc->u;                                                                  \
        pc++;                                                                       \
        OPSTAT(w & (OP_COUNT - 1));                                                 \
        goto *labels[w & (OP_COUNT - 1)];                                           \
    } while (0)
/* Fuel is charged on every taken branch (so on every loop back-edge) and on every call. */
#define CHARGE()                                                                    \
    do {                                                                            \
        if (LC_UNLIKELY(fuel == 0))                                                 \
            TRAP(LC_ETRAP_FUEL);                                                    \
        fuel--;                                                                     \
    } while (0)
#define JUMP()                                                                      \
    do {                                                                            \
        CHARGE();                                                                   \
        pc += pc->i;                                                                \
    } while (0)
#define TRAP(code)                                                                  \
    do {                                                                            \
        trap_code = (code);                                                         \
        goto trap;                                                                  \
    } while (0)

#define RELOAD()                                                                    \
    do {                                                                            \
        funcs = ci->funcs;                                                          \
        if (ci->memory) {                                                           \
            mem = ci->memory->data;                                                 \
            mem_size = ci->memory->size;                                            \
        } else {                                                                    \
            mem = NULL;                                                             \
            mem_size = 0;                                                           \
        }                                                                           \
    } while (0)

#define LOAD(T, N, CONV)                                                            \
    {                                                                               \
        u64 ea = (u64)(u32)fp[A_] + (pc++)->u;                                      \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v;                                                                        \
        memcpy(&v, mem + ea, N);                                                    \
        fp[D_] = CONV;                                                              \
        NEXT();                                                                     \
    }

#define STORE(T, N)                                                                 \
    {                                                                               \
        u64 ea = (u64)(u32)fp[A_] + (pc++)->u;                                      \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v = (T)fp[B_];                                                            \
        memcpy(mem + ea, &v, N);                                                    \
        NEXT();                                                                     \
    }

#define STOREI(T, N)                                                                \
    {                                                                               \
        u64 ea = (u64)(u32)fp[A_] + pc[0].u;                                        \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v = (T)pc[1].u;                                                           \
        pc += 2;                                                                    \
        memcpy(mem + ea, &v, N);                                                    \
        NEXT();                                                                     \
    }

/* Loads with a fused i32.add address (see OP_LDX / OP_LDI). */
#define LOADX(k, T, N, CONV)                                                        \
    X##k : {                                                                        \
        u64 ea = (u64)(u32)(fp[A_] + fp[B_]) + pc->u;                               \
        pc++;                                                                       \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v;                                                                        \
        memcpy(&v, mem + ea, N);                                                    \
        fp[D_] = CONV;                                                              \
        NEXT();                                                                     \
    }                                                                               \
    Y##k : {                                                                        \
        u64 ea = (u64)(u32)(fp[A_] + pc[0].u) + pc[1].u;                            \
        pc += 2;                                                                    \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v;                                                                        \
        memcpy(&v, mem + ea, N);                                                    \
        fp[D_] = CONV;                                                              \
        NEXT();                                                                     \
    }

/* Stores with a fused i32.add address (see OP_STX / OP_STI); the value is slot D. */
#define STOREX(k, T, N)                                                             \
    SX##k : {                                                                       \
        u64 ea = (u64)(u32)(fp[A_] + fp[B_]) + pc->u;                               \
        pc++;                                                                       \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v = (T)fp[D_];                                                            \
        memcpy(mem + ea, &v, N);                                                    \
        NEXT();                                                                     \
    }                                                                               \
    SY##k : {                                                                       \
        u64 ea = (u64)(u32)(fp[A_] + pc[0].u) + pc[1].u;                            \
        pc += 2;                                                                    \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v = (T)fp[D_];                                                            \
        memcpy(mem + ea, &v, N);                                                    \
        NEXT();                                                                     \
    }

/* Binary integer ops with an immediate form: L<op> reads b from slot B, I<op> from the
 * next code word. */
#define BIN32(op, expr)                                                             \
    L##op : { u32 a = (u32)fp[A_], b = (u32)fp[B_]; fp[D_] = (u32)(expr); NEXT(); } \
    I##op : { u32 a = (u32)fp[A_], b = (u32)(pc++)->u; fp[D_] = (u32)(expr); NEXT(); }
#define BIN64(op, expr)                                                             \
    L##op : { u64 a = fp[A_], b = fp[B_]; fp[D_] = (u64)(expr); NEXT(); }           \
    I##op : { u64 a = fp[A_], b = (pc++)->u; fp[D_] = (u64)(expr); NEXT(); }
/* Fused i32 compare-and-branch (slot or immediate right operand). */
#define BRC(k, expr)                                                                \
    C##k : {                                                                        \
        u32 a = (u32)fp[A_], b = (u32)fp[B_];                                       \
        if (expr)                                                                   \
            JUMP();                                                                 \
        else                                                                        \
            pc++;                                                                   \
        NEXT();                                                                     \
    }                                                                               \
    CI##k : {                                                                       \
        u32 a = (u32)fp[A_], b = (u32)pc->u;                                        \
        pc++;                                                                       \
        if (expr)                                                                   \
            JUMP();                                                                 \
        else                                                                        \
            pc++;                                                                   \
        NEXT();                                                                     \
    }
/* i32.add-immediate into slot d, then compare-and-branch on it (OP_BRCA / OP_BRCAI). */
#define BRCA(k, expr)                                                               \
    A##k : {                                                                        \
        u32 a = (u32)(fp[A_] + pc->u);                                              \
        fp[D_] = a;                                                                 \
        u32 b = (u32)fp[B_]; /* after the write: b may be slot d */                 \
        pc++;                                                                       \
        if (expr)                                                                   \
            JUMP();                                                                 \
        else                                                                        \
            pc++;                                                                   \
        NEXT();                                                                     \
    }                                                                               \
    AI##k : {                                                                       \
        u32 a = (u32)(fp[A_] + pc[0].u), b = (u32)pc[1].u;                          \
        fp[D_] = a;                                                                 \
        pc += 2;                                                                    \
        if (expr)                                                                   \
            JUMP();                                                                 \
        else                                                                        \
            pc++;                                                                   \
        NEXT();                                                                     \
    }
/* i32.add of two slots into slot d, then compare-and-branch (OP_BRCAS / OP_BRCASI). */
#define BRCAS(k, expr)                                                              \
    AS##k : {                                                                       \
        u32 a = (u32)(fp[A_] + fp[pc->u]);                                          \
        fp[D_] = a;                                                                 \
        u32 b = (u32)fp[B_];                                                        \
        pc++;                                                                       \
        if (expr)                                                                   \
            JUMP();                                                                 \
        else                                                                        \
            pc++;                                                                   \
        NEXT();                                                                     \
    }                                                                               \
    ASI##k : {                                                                      \
        u32 a = (u32)(fp[A_] + fp[pc[0].u]), b = (u32)pc[1].u;                      \
        fp[D_] = a;                                                                 \
        pc += 2;                                                                    \
        if (expr)                                                                   \
            JUMP();                                                                 \
        else                                                                        \
            pc++;                                                                   \
        NEXT();                                                                     \
    }
/* Store of a constant at a + b (slots) + offset (OP_STXK). */
#define STOREXK(k, T, N)                                                            \
    SK##k : {                                                                       \
        u64 ea = (u64)(u32)(fp[A_] + fp[B_]) + pc[0].u;                             \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v = (T)pc[1].u;                                                           \
        pc += 2;                                                                    \
        memcpy(mem + ea, &v, N);                                                    \
        NEXT();                                                                     \
    }
#define UN32(expr) { u32 a = (u32)fp[A_]; fp[D_] = (u32)(expr); NEXT(); }
#define UN64(expr) { u64 a = fp[A_]; fp[D_] = (u64)(expr); NEXT(); }
#define CMPF32(op) { f32 a = as_f32(fp[A_]), b = as_f32(fp[B_]); fp[D_] = a op b; NEXT(); }
#define CMPF64(op) { f64 a = as_f64(fp[A_]), b = as_f64(fp[B_]); fp[D_] = a op b; NEXT(); }
#define BINF32(expr) { f32 a = as_f32(fp[A_]), b = as_f32(fp[B_]); fp[D_] = from_f32(expr); NEXT(); }
#define BINF64(expr) { f64 a = as_f64(fp[A_]), b = as_f64(fp[B_]); fp[D_] = from_f64(expr); NEXT(); }
#define UNF32(expr) { f32 a = as_f32(fp[A_]); fp[D_] = from_f32(expr); NEXT(); }
#define UNF64(expr) { f64 a = as_f64(fp[A_]); fp[D_] = from_f64(expr); NEXT(); }
/* Trapping float->int: `ok` is the in-range test on x (NaN fails every comparison). */
#define TRUNC(FT, from, ok, RT, mask)                                               \
    {                                                                               \
        FT x = from(fp[A_]);                                                        \
        if (LC_UNLIKELY(x != x))                                                    \
            TRAP(LC_ETRAP_INVALID_CONV);                                            \
        if (LC_UNLIKELY(!(ok)))                                                     \
            TRAP(LC_ETRAP_INT_OVERFLOW);                                            \
        fp[D_] = (u64)(RT)x & (mask);                                               \
        NEXT();                                                                     \
    }
#define DIVCHECK(b)                                                                 \
    if (LC_UNLIKELY((b) == 0))                                                      \
        TRAP(LC_ETRAP_DIV_ZERO);

#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* GCC turns the locals-zeroing loop of the call path into a memset() call, which costs more
 * than the one or two stores a typical call needs. */
#if defined(__GNUC__) && !defined(__clang__)
#define LC_NO_MEMSET_IDIOM __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define LC_NO_MEMSET_IDIOM
#endif

/* Runs func with its arguments at args (which must be inst's stack top); results are left
 * at args[0..result_count). */
LC_NO_MEMSET_IDIOM int wasm_exec(lc_wasm_instance *inst, const lc_wasm_func *func, u64 *args, lc_errbuf *eb)
{
#define IMM(op) [OP_IMM + 0x##op] = &&I##op
    static const void *labels[OP_COUNT] = {
        [0 ... OP_COUNT - 1] = &&op_bad,
        [0x00] = &&L00, [0x01] = &&L01, [0x02] = &&L02, [0x03] = &&L03, [0x04] = &&L04,
        [0x05] = &&L05, [0x0c] = &&L0c, [0x0d] = &&L0d, [0x0e] = &&L0e, [0x0f] = &&L0f,
        [0x10] = &&L10, [0x11] = &&L11, [0x1b] = &&L1b, [0x23] = &&L23, [0x24] = &&L24,
        [0x25] = &&L25, [0x26] = &&L26,
        [0x28] = &&L28, [0x29] = &&L29, [0x2a] = &&L2a, [0x2b] = &&L2b, [0x2c] = &&L2c,
        [0x2d] = &&L2d, [0x2e] = &&L2e, [0x2f] = &&L2f, [0x30] = &&L30, [0x31] = &&L31,
        [0x32] = &&L32, [0x33] = &&L33, [0x34] = &&L34, [0x35] = &&L35, [0x36] = &&L36,
        [0x37] = &&L37, [0x38] = &&L38, [0x39] = &&L39, [0x3a] = &&L3a, [0x3b] = &&L3b,
        [0x3c] = &&L3c, [0x3d] = &&L3d, [0x3e] = &&L3e, [0x3f] = &&L3f, [0x40] = &&L40,
        [0x41] = &&L41, [0x45] = &&L45, [0x46] = &&L46, [0x47] = &&L47, [0x48] = &&L48,
        [0x49] = &&L49, [0x4a] = &&L4a, [0x4b] = &&L4b, [0x4c] = &&L4c, [0x4d] = &&L4d,
        [0x4e] = &&L4e, [0x4f] = &&L4f, [0x50] = &&L50, [0x51] = &&L51, [0x52] = &&L52,
        [0x53] = &&L53, [0x54] = &&L54, [0x55] = &&L55, [0x56] = &&L56, [0x57] = &&L57,
        [0x58] = &&L58, [0x59] = &&L59, [0x5a] = &&L5a, [0x5b] = &&L5b, [0x5c] = &&L5c,
        [0x5d] = &&L5d, [0x5e] = &&L5e, [0x5f] = &&L5f, [0x60] = &&L60, [0x61] = &&L61,
        [0x62] = &&L62, [0x63] = &&L63, [0x64] = &&L64, [0x65] = &&L65, [0x66] = &&L66,
        [0x67] = &&L67, [0x68] = &&L68, [0x69] = &&L69, [0x6a] = &&L6a, [0x6b] = &&L6b,
        [0x6c] = &&L6c, [0x6d] = &&L6d, [0x6e] = &&L6e, [0x6f] = &&L6f, [0x70] = &&L70,
        [0x71] = &&L71, [0x72] = &&L72, [0x73] = &&L73, [0x74] = &&L74, [0x75] = &&L75,
        [0x76] = &&L76, [0x77] = &&L77, [0x78] = &&L78, [0x79] = &&L79, [0x7a] = &&L7a,
        [0x7b] = &&L7b, [0x7c] = &&L7c, [0x7d] = &&L7d, [0x7e] = &&L7e, [0x7f] = &&L7f,
        [0x80] = &&L80, [0x81] = &&L81, [0x82] = &&L82, [0x83] = &&L83, [0x84] = &&L84,
        [0x85] = &&L85, [0x86] = &&L86, [0x87] = &&L87, [0x88] = &&L88, [0x89] = &&L89,
        [0x8a] = &&L8a, [0x8b] = &&L8b, [0x8c] = &&L8c, [0x8d] = &&L8d, [0x8e] = &&L8e,
        [0x8f] = &&L8f, [0x90] = &&L90, [0x91] = &&L91, [0x92] = &&L92, [0x93] = &&L93,
        [0x94] = &&L94, [0x95] = &&L95, [0x96] = &&L96, [0x97] = &&L97, [0x98] = &&L98,
        [0x99] = &&L99, [0x9a] = &&L9a, [0x9b] = &&L9b, [0x9c] = &&L9c, [0x9d] = &&L9d,
        [0x9e] = &&L9e, [0x9f] = &&L9f, [0xa0] = &&La0, [0xa1] = &&La1, [0xa2] = &&La2,
        [0xa3] = &&La3, [0xa4] = &&La4, [0xa5] = &&La5, [0xa6] = &&La6, [0xa7] = &&La7,
        [0xa8] = &&La8, [0xa9] = &&La9, [0xaa] = &&Laa, [0xab] = &&Lab, [0xac] = &&Lac,
        [0xad] = &&Lad, [0xae] = &&Lae, [0xaf] = &&Laf, [0xb0] = &&Lb0, [0xb1] = &&Lb1,
        [0xb2] = &&Lb2, [0xb3] = &&Lb3, [0xb4] = &&Lb4, [0xb5] = &&Lb5, [0xb6] = &&Lb6,
        [0xb7] = &&Lb7, [0xb8] = &&Lb8, [0xb9] = &&Lb9, [0xba] = &&Lba, [0xbb] = &&Lbb,
        [0xbc] = &&Lbc, [0xbd] = &&Lbd, [0xbe] = &&Lbe, [0xbf] = &&Lbf, [0xc0] = &&Lc0,
        [0xc1] = &&Lc1, [0xc2] = &&Lc2, [0xc3] = &&Lc3, [0xc4] = &&Lc4, [0xd2] = &&Ld2,
        [0xe0] = &&Lsat, [0xe1] = &&Lsat, [0xe2] = &&Lsat, [0xe3] = &&Lsat, [0xe4] = &&Lsat,
        [0xe5] = &&Lsat, [0xe6] = &&Lsat, [0xe7] = &&Lsat, [0xe8] = &&Le8, [0xe9] = &&Le9,
        [0xea] = &&Lbulkmem, [0xeb] = &&Lbulkmem, [0xec] = &&Lbulktab, [0xed] = &&Led,
        [0xee] = &&Lbulktab, [0xef] = &&Lef, [0xf0] = &&Lf0, [0xf1] = &&Lbulktab,
        IMM(46), IMM(47), IMM(48), IMM(49), IMM(4a), IMM(4b), IMM(4c), IMM(4d), IMM(4e),
        IMM(4f), IMM(51), IMM(52), IMM(53), IMM(54), IMM(55), IMM(56), IMM(57), IMM(58),
        IMM(59), IMM(5a), IMM(6a), IMM(6b), IMM(6c), IMM(71), IMM(72), IMM(73), IMM(74),
        IMM(75), IMM(76), IMM(7c), IMM(7d), IMM(7e), IMM(83), IMM(84), IMM(85), IMM(86),
        IMM(87), IMM(88), IMM(36), IMM(37), IMM(38), IMM(39), IMM(3a), IMM(3b), IMM(3c),
        IMM(3d), IMM(3e),
        [OP_LDX + 0] = &&X0, [OP_LDI + 0] = &&Y0,
        [OP_LDX + 1] = &&X1, [OP_LDI + 1] = &&Y1,
        [OP_LDX + 2] = &&X2, [OP_LDI + 2] = &&Y2,
        [OP_LDX + 3] = &&X3, [OP_LDI + 3] = &&Y3,
        [OP_LDX + 4] = &&X4, [OP_LDI + 4] = &&Y4,
        [OP_LDX + 5] = &&X5, [OP_LDI + 5] = &&Y5,
        [OP_LDX + 6] = &&X6, [OP_LDI + 6] = &&Y6,
        [OP_LDX + 7] = &&X7, [OP_LDI + 7] = &&Y7,
        [OP_LDX + 8] = &&X8, [OP_LDI + 8] = &&Y8,
        [OP_LDX + 9] = &&X9, [OP_LDI + 9] = &&Y9,
        [OP_LDX + 10] = &&X10, [OP_LDI + 10] = &&Y10,
        [OP_LDX + 11] = &&X11, [OP_LDI + 11] = &&Y11,
        [OP_LDX + 12] = &&X12, [OP_LDI + 12] = &&Y12,
        [OP_LDX + 13] = &&X13, [OP_LDI + 13] = &&Y13,
        [OP_BRC + 0] = &&C0, [OP_BRC + 1] = &&C1, [OP_BRC + 2] = &&C2, [OP_BRC + 3] = &&C3,
        [OP_BRC + 4] = &&C4, [OP_BRC + 5] = &&C5, [OP_BRC + 6] = &&C6, [OP_BRC + 7] = &&C7,
        [OP_BRC + 8] = &&C8, [OP_BRC + 9] = &&C9, [OP_BRC + 10] = &&C10,
        [OP_BRC + 11] = &&C11, [OP_BRCI + 1] = &&CI1, [OP_BRCI + 2] = &&CI2,
        [OP_BRCI + 3] = &&CI3, [OP_BRCI + 4] = &&CI4, [OP_BRCI + 5] = &&CI5,
        [OP_BRCI + 6] = &&CI6, [OP_BRCI + 7] = &&CI7, [OP_BRCI + 8] = &&CI8,
        [OP_BRCI + 9] = &&CI9, [OP_BRCI + 10] = &&CI10,
        [OP_BRCA + 1] = &&A1, [OP_BRCAI + 1] = &&AI1,
        [OP_BRCA + 2] = &&A2, [OP_BRCAI + 2] = &&AI2,
        [OP_BRCA + 3] = &&A3, [OP_BRCAI + 3] = &&AI3,
        [OP_BRCA + 4] = &&A4, [OP_BRCAI + 4] = &&AI4,
        [OP_BRCA + 5] = &&A5, [OP_BRCAI + 5] = &&AI5,
        [OP_BRCA + 6] = &&A6, [OP_BRCAI + 6] = &&AI6,
        [OP_BRCA + 7] = &&A7, [OP_BRCAI + 7] = &&AI7,
        [OP_BRCA + 8] = &&A8, [OP_BRCAI + 8] = &&AI8,
        [OP_BRCA + 9] = &&A9, [OP_BRCAI + 9] = &&AI9,
        [OP_BRCA + 10] = &&A10, [OP_BRCAI + 10] = &&AI10,
        [OP_BRCA + 0] = &&A0, [OP_BRCA + 11] = &&A11,
        [OP_STX + 0] = &&SX0, [OP_STI + 0] = &&SY0,
        [OP_STX + 1] = &&SX1, [OP_STI + 1] = &&SY1,
        [OP_STX + 2] = &&SX2, [OP_STI + 2] = &&SY2,
        [OP_STX + 3] = &&SX3, [OP_STI + 3] = &&SY3,
        [OP_STX + 4] = &&SX4, [OP_STI + 4] = &&SY4,
        [OP_STX + 5] = &&SX5, [OP_STI + 5] = &&SY5,
        [OP_STX + 6] = &&SX6, [OP_STI + 6] = &&SY6,
        [OP_STX + 7] = &&SX7, [OP_STI + 7] = &&SY7,
        [OP_STX + 8] = &&SX8, [OP_STI + 8] = &&SY8,
        [OP_BRCAS + 0] = &&AS0, [OP_BRCAS + 1] = &&AS1, [OP_BRCASI + 1] = &&ASI1,
        [OP_BRCAS + 2] = &&AS2, [OP_BRCASI + 2] = &&ASI2, [OP_BRCAS + 3] = &&AS3,
        [OP_BRCASI + 3] = &&ASI3, [OP_BRCAS + 4] = &&AS4, [OP_BRCASI + 4] = &&ASI4,
        [OP_BRCAS + 5] = &&AS5, [OP_BRCASI + 5] = &&ASI5, [OP_BRCAS + 6] = &&AS6,
        [OP_BRCASI + 6] = &&ASI6, [OP_BRCAS + 7] = &&AS7, [OP_BRCASI + 7] = &&ASI7,
        [OP_BRCAS + 8] = &&AS8, [OP_BRCASI + 8] = &&ASI8, [OP_BRCAS + 9] = &&AS9,
        [OP_BRCASI + 9] = &&ASI9, [OP_BRCAS + 10] = &&AS10, [OP_BRCASI + 10] = &&ASI10,
        [OP_BRCAS + 11] = &&AS11, [OP_STXK + 0] = &&SK0, [OP_STXK + 1] = &&SK1,
        [OP_STXK + 2] = &&SK2, [OP_STXK + 3] = &&SK3, [OP_STXK + 4] = &&SK4,
        [OP_STXK + 5] = &&SK5, [OP_STXK + 6] = &&SK6, [OP_STXK + 7] = &&SK7,
        [OP_STXK + 8] = &&SK8,
        [OP_MADD32] = &&Lmadd32, [OP_MADD64] = &&Lmadd64, [OP_MADDF64] = &&Lmaddf64,
    };
#undef IMM

    lc_wasm_instance *ci = func->inst;
    lc_wasm_func **funcs;
    u8 *mem;
    u64 mem_size;
    const lc_wasm_word *pc = NULL;
    u64 *fp = NULL;
    u64 *argp = args;
    u64 w = 0;
    const u32 base_depth = inst->depth;
    u32 depth = base_depth;
    const u32 depth_max = inst->limits.call_depth_max;
    lc_wasm_frame *frames = inst->frames;
    u64 *const stack_end = inst->stack_end;
    const lc_wasm_func *g = func;
    u64 fuel = inst->fuel;
    int trap_code = 0;
    bool is_host_trap = false;

    RELOAD();
    goto do_call;

op_bad:
    LC_ASSERT(!"bad internal opcode");
    TRAP(LC_ETRAP_UNREACHABLE);

L00: TRAP(LC_ETRAP_UNREACHABLE);
L01: /* br_move d=dst a=src b=n */
    memmove(fp + D_, fp + A_, (size_t)B_ * 8);
    JUMP();
    NEXT();
L02: /* br_if_move */
    if ((u32)fp[pc->u]) {
        memmove(fp + D_, fp + A_, (size_t)B_ * 8);
        pc++;
        JUMP();
    } else {
        pc += 2;
    }
    NEXT();
L03: /* br_unless a=cond */
    if (!(u32)fp[A_])
        pc += pc->i;
    else
        pc++;
    NEXT();
L04: /* loop head (unused: fuel is charged on branches) */
    NEXT();
L05: fp[D_] = fp[A_]; NEXT();
L0c: JUMP(); NEXT();
L0d:
    if ((u32)fp[A_])
        JUMP();
    else
        pc++;
    NEXT();
L0e: { /* br_table d=src a=index b=n [count] ([dst] [offset])* */
    u64 count = pc->u;
    u64 i = (u32)fp[A_];
    if (i > count)
        i = count;
    const lc_wasm_word *e = pc + 1 + 2 * i;
    u32 dst = (u32)e[0].u;
    if (dst != D_)
        memmove(fp + dst, fp + D_, (size_t)B_ * 8);
    pc = e + 1;
    JUMP();
    NEXT();
}
L0f: { /* return a=src b=n */
    u32 n = B_;
    const u64 *src = fp + A_;
    for (u32 k = 0; k < n; k++)  /* src >= fp: a forward copy is safe */
        fp[k] = src[k];
    lc_wasm_frame *fr = &frames[--depth];
    if (LC_UNLIKELY(depth == base_depth))
        goto done;
    pc = fr->ret_pc;
    fp = fr->fp;
    if (fr->caller != ci) {
        ci = fr->caller;
        RELOAD();
    }
    NEXT();
}
L10: /* call a=args [func] */
    g = funcs[(pc++)->u];
    argp = fp + A_;
    goto do_call;
L11: { /* call_indirect a=args b=index [type] [table] */
    const lc_wasm_type *want = &ci->module->types[pc[0].u];
    lc_wasm_table *t = ci->tables[pc[1].u];
    pc += 2;
    u32 i = (u32)fp[B_];
    if (LC_UNLIKELY(i >= t->size))
        TRAP(LC_ETRAP_UNDEFINED_ELEM);
    g = (const lc_wasm_func *)(uintptr_t)t->elems[i];
    if (LC_UNLIKELY(!g))
        TRAP(LC_ETRAP_INDIRECT_NULL);
    if (LC_UNLIKELY(g->type != want && !wasm_type_equal(g->type, want)))
        TRAP(LC_ETRAP_INDIRECT_TYPE);
    argp = fp + A_;
    goto do_call;
}
do_call: {
    if (LC_UNLIKELY(fuel == 0))
        TRAP(LC_ETRAP_FUEL);
    fuel--;
    if (LC_UNLIKELY(depth >= depth_max))
        TRAP(LC_ETRAP_STACK);
    if (LC_UNLIKELY(!g->entry)) {
        inst->fuel = fuel;
        inst->depth = depth + 1;
        inst->stack_top = argp + LC_MAX(g->type->param_count, g->type->result_count);
        inst->trap_msg[0] = 0;
        int rc = host_call(inst, ci, g, argp);
        inst->depth = depth;
        fuel = inst->fuel;
        if (rc) {
            is_host_trap = true;
            TRAP(lc_err_is_trap(rc) ? rc : LC_ETRAP_HOST);
        }
        RELOAD();
        if (depth == base_depth)
            goto done;
        NEXT();
    }
    u64 *nfp = argp;
    if (LC_UNLIKELY(nfp + g->frame_slots > stack_end))
        TRAP(LC_ETRAP_STACK);
    if (g->jit_body) {
        int rc = jit_run(inst, g, nfp, depth, &fuel, eb);
        if (rc) {
            inst->fuel = fuel;
            inst->depth = base_depth;
            return rc;
        }
        RELOAD();
        if (depth == base_depth)
            goto done;
        NEXT();
    }
    lc_wasm_frame *fr = &frames[depth++];
    fr->ret_pc = pc;
    fr->fp = fp;
    fr->func = g;
    fr->caller = ci;
    fp = nfp;
    for (u32 k = g->param_count, e = g->local_count; k < e; k++)
        fp[k] = 0;
    pc = g->entry;
    if (g->inst != ci) {
        ci = g->inst;
        RELOAD();
    }
    NEXT();
}
Lmadd32: { /* d a b [c]: fp[d] = fp[a] * fp[b] + fp[c] */
    u32 r = (u32)fp[A_] * (u32)fp[B_];
    fp[D_] = (u32)(r + (u32)fp[(pc++)->u]);
    NEXT();
}
Lmadd64: {
    u64 r = fp[A_] * fp[B_];
    fp[D_] = r + fp[(pc++)->u];
    NEXT();
}
Lmaddf64: {
    f64 r = as_f64(fp[A_]) * as_f64(fp[B_]);  /* own statement: never contracted to fma */
    f64 s = r + as_f64(fp[(pc++)->u]);
    fp[D_] = from_f64(s);
    NEXT();
}
L1b: { /* select d a b [cond] */
    u32 c = (u32)fp[(pc++)->u];
    fp[D_] = c ? fp[A_] : fp[B_];
    NEXT();
}
L23: fp[D_] = ci->globals[(pc++)->u]->value; NEXT();
L24: ci->globals[(pc++)->u]->value = fp[A_]; NEXT();
L25: {
    lc_wasm_table *t = ci->tables[(pc++)->u];
    u32 i = (u32)fp[A_];
    if (LC_UNLIKELY(i >= t->size))
        TRAP(LC_ETRAP_TABLE_OOB);
    fp[D_] = t->elems[i];
    NEXT();
}
L26: {
    lc_wasm_table *t = ci->tables[(pc++)->u];
    u32 i = (u32)fp[A_];
    if (LC_UNLIKELY(i >= t->size))
        TRAP(LC_ETRAP_TABLE_OOB);
    t->elems[i] = fp[B_];
    NEXT();
}
L28: LOAD(u32, 4, v)
L29: LOAD(u64, 8, v)
L2a: LOAD(u32, 4, v)
L2b: LOAD(u64, 8, v)
L2c: LOAD(i8, 1, (u32)(i32)v)
L2d: LOAD(u8, 1, v)
L2e: LOAD(i16, 2, (u32)(i32)v)
L2f: LOAD(u16, 2, v)
L30: LOAD(i8, 1, (u64)(i64)v)
L31: LOAD(u8, 1, v)
L32: LOAD(i16, 2, (u64)(i64)v)
L33: LOAD(u16, 2, v)
L34: LOAD(i32, 4, (u64)(i64)v)
L35: LOAD(u32, 4, v)
L36: STORE(u32, 4)
L37: STORE(u64, 8)
L38: STORE(u32, 4)
L39: STORE(u64, 8)
L3a: STORE(u8, 1)
L3b: STORE(u16, 2)
L3c: STORE(u8, 1)
L3d: STORE(u16, 2)
L3e: STORE(u32, 4)
I36: STOREI(u32, 4)
I37: STOREI(u64, 8)
I38: STOREI(u32, 4)
I39: STOREI(u64, 8)
I3a: STOREI(u8, 1)
I3b: STOREI(u16, 2)
I3c: STOREI(u8, 1)
I3d: STOREI(u16, 2)
I3e: STOREI(u32, 4)
LOADX(0, u32, 4, v)
LOADX(1, u64, 8, v)
LOADX(2, u32, 4, v)
LOADX(3, u64, 8, v)
LOADX(4, i8, 1, (u32)(i32)v)
LOADX(5, u8, 1, v)
LOADX(6, i16, 2, (u32)(i32)v)
LOADX(7, u16, 2, v)
LOADX(8, i8, 1, (u64)(i64)v)
LOADX(9, u8, 1, v)
LOADX(10, i16, 2, (u64)(i64)v)
LOADX(11, u16, 2, v)
LOADX(12, i32, 4, (u64)(i64)v)
LOADX(13, u32, 4, v)
STOREX(0, u32, 4)
STOREX(1, u64, 8)
STOREX(2, u32, 4)
STOREX(3, u64, 8)
STOREX(4, u8, 1)
STOREX(5, u16, 2)
STOREX(6, u8, 1)
STOREX(7, u16, 2)
STOREX(8, u32, 4)
L3f: fp[D_] = ci->memory->pages; NEXT();
L40: {
    u32 old;
    if (wasm_memory_grow(ci->memory, (u32)fp[A_], &old) == 0)
        fp[D_] = old;
    else
        fp[D_] = UINT32_MAX;
    RELOAD();
    NEXT();
}
L41: fp[D_] = (pc++)->u; NEXT();
C0: if (!(u32)fp[A_]) JUMP(); else pc++; NEXT();
C11: if ((u32)fp[A_]) JUMP(); else pc++; NEXT();
A0: {
    u32 a = (u32)(fp[A_] + pc->u);
    fp[D_] = a;
    pc++;
    if (!a)
        JUMP();
    else
        pc++;
    NEXT();
}
A11: {
    u32 a = (u32)(fp[A_] + pc->u);
    fp[D_] = a;
    pc++;
    if (a)
        JUMP();
    else
        pc++;
    NEXT();
}
AS0: {
    u32 a = (u32)(fp[A_] + fp[pc->u]);
    fp[D_] = a;
    pc++;
    if (!a)
        JUMP();
    else
        pc++;
    NEXT();
}
AS11: {
    u32 a = (u32)(fp[A_] + fp[pc->u]);
    fp[D_] = a;
    pc++;
    if (a)
        JUMP();
    else
        pc++;
    NEXT();
}
BRCAS(1, a == b)
BRCAS(2, a != b)
BRCAS(3, (i32)a < (i32)b)
BRCAS(4, a < b)
BRCAS(5, (i32)a > (i32)b)
BRCAS(6, a > b)
BRCAS(7, (i32)a <= (i32)b)
BRCAS(8, a <= b)
BRCAS(9, (i32)a >= (i32)b)
BRCAS(10, a >= b)
STOREXK(0, u32, 4)
STOREXK(1, u64, 8)
STOREXK(2, u32, 4)
STOREXK(3, u64, 8)
STOREXK(4, u8, 1)
STOREXK(5, u16, 2)
STOREXK(6, u8, 1)
STOREXK(7, u16, 2)
STOREXK(8, u32, 4)
BRCA(1, a == b)
BRCA(2, a != b)
BRCA(3, (i32)a < (i32)b)
BRCA(4, a < b)
BRCA(5, (i32)a > (i32)b)
BRCA(6, a > b)
BRCA(7, (i32)a <= (i32)b)
BRCA(8, a <= b)
BRCA(9, (i32)a >= (i32)b)
BRCA(10, a >= b)
BRC(1, a == b)
BRC(2, a != b)
BRC(3, (i32)a < (i32)b)
BRC(4, a < b)
BRC(5, (i32)a > (i32)b)
BRC(6, a > b)
BRC(7, (i32)a <= (i32)b)
BRC(8, a <= b)
BRC(9, (i32)a >= (i32)b)
BRC(10, a >= b)
L45: UN32(a == 0)
BIN32(46, a == b)
BIN32(47, a != b)
BIN32(48, (i32)a < (i32)b)
BIN32(49, a < b)
BIN32(4a, (i32)a > (i32)b)
BIN32(4b, a > b)
BIN32(4c, (i32)a <= (i32)b)
BIN32(4d, a <= b)
BIN32(4e, (i32)a >= (i32)b)
BIN32(4f, a >= b)
L50: UN64(a == 0)
BIN64(51, a == b)
BIN64(52, a != b)
BIN64(53, (i64)a < (i64)b)
BIN64(54, a < b)
BIN64(55, (i64)a > (i64)b)
BIN64(56, a > b)
BIN64(57, (i64)a <= (i64)b)
BIN64(58, a <= b)
BIN64(59, (i64)a >= (i64)b)
BIN64(5a, a >= b)
L5b: CMPF32(==)
L5c: CMPF32(!=)
L5d: CMPF32(<)
L5e: CMPF32(>)
L5f: CMPF32(<=)
L60: CMPF32(>=)
L61: CMPF64(==)
L62: CMPF64(!=)
L63: CMPF64(<)
L64: CMPF64(>)
L65: CMPF64(<=)
L66: CMPF64(>=)
L67: UN32(a ? (u32)__builtin_clz(a) : 32)
L68: UN32(a ? (u32)__builtin_ctz(a) : 32)
L69: UN32(__builtin_popcount(a))
BIN32(6a, a + b)
BIN32(6b, a - b)
BIN32(6c, a * b)
L6d: {
    u32 a = (u32)fp[A_], b = (u32)fp[B_];
    DIVCHECK(b)
    if (LC_UNLIKELY(a == 0x80000000u && b == UINT32_MAX))
        TRAP(LC_ETRAP_INT_OVERFLOW);
    fp[D_] = (u32)((i32)a / (i32)b);
    NEXT();
}
L6e: {
    u32 a = (u32)fp[A_], b = (u32)fp[B_];
    DIVCHECK(b)
    fp[D_] = a / b;
    NEXT();
}
L6f: {
    u32 a = (u32)fp[A_], b = (u32)fp[B_];
    DIVCHECK(b)
    fp[D_] = b == UINT32_MAX ? 0 : (u32)((i32)a % (i32)b);
    NEXT();
}
L70: {
    u32 a = (u32)fp[A_], b = (u32)fp[B_];
    DIVCHECK(b)
    fp[D_] = a % b;
    NEXT();
}
BIN32(71, a & b)
BIN32(72, a | b)
BIN32(73, a ^ b)
BIN32(74, a << (b & 31))
BIN32(75, (i32)a >> (b & 31))
BIN32(76, a >> (b & 31))
L77: { u32 a = (u32)fp[A_], b = (u32)fp[B_] & 31;
       fp[D_] = (u32)((a << b) | (a >> ((32 - b) & 31))); NEXT(); }
L78: { u32 a = (u32)fp[A_], b = (u32)fp[B_] & 31;
       fp[D_] = (u32)((a >> b) | (a << ((32 - b) & 31))); NEXT(); }
L79: UN64(a ? (u64)__builtin_clzll(a) : 64)
L7a: UN64(a ? (u64)__builtin_ctzll(a) : 64)
L7b: UN64(__builtin_popcountll(a))
BIN64(7c, a + b)
BIN64(7d, a - b)
BIN64(7e, a * b)
L7f: {
    u64 a = fp[A_], b = fp[B_];
    DIVCHECK(b)
    if (LC_UNLIKELY(a == 0x8000000000000000ull && b == UINT64_MAX))
        TRAP(LC_ETRAP_INT_OVERFLOW);
    fp[D_] = (u64)((i64)a / (i64)b);
    NEXT();
}
L80: {
    u64 a = fp[A_], b = fp[B_];
    DIVCHECK(b)
    fp[D_] = a / b;
    NEXT();
}
L81: {
    u64 a = fp[A_], b = fp[B_];
    DIVCHECK(b)
    fp[D_] = b == UINT64_MAX ? 0 : (u64)((i64)a % (i64)b);
    NEXT();
}
L82: {
    u64 a = fp[A_], b = fp[B_];
    DIVCHECK(b)
    fp[D_] = a % b;
    NEXT();
}
BIN64(83, a & b)
BIN64(84, a | b)
BIN64(85, a ^ b)
BIN64(86, a << (b & 63))
BIN64(87, (i64)a >> (b & 63))
BIN64(88, a >> (b & 63))
L89: { u64 a = fp[A_], b = fp[B_] & 63;
       fp[D_] = (a << b) | (a >> ((64 - b) & 63)); NEXT(); }
L8a: { u64 a = fp[A_], b = fp[B_] & 63;
       fp[D_] = (a >> b) | (a << ((64 - b) & 63)); NEXT(); }
L8b: fp[D_] = (u32)fp[A_] & 0x7fffffffu; NEXT();
L8c: fp[D_] = (u32)fp[A_] ^ 0x80000000u; NEXT();
L8d: UNF32(a != a ? a + a : ceilf(a))
L8e: UNF32(a != a ? a + a : floorf(a))
L8f: UNF32(a != a ? a + a : truncf(a))
L90: UNF32(a != a ? a + a : nearbyintf(a))
L91: UNF32(sqrtf(a))
L92: BINF32(a + b)
L93: BINF32(a - b)
L94: BINF32(a * b)
L95: BINF32(a / b)
L96: BINF32(f32_min(a, b))
L97: BINF32(f32_max(a, b))
L98: fp[D_] = ((u32)fp[A_] & 0x7fffffffu) | ((u32)fp[B_] & 0x80000000u); NEXT();
L99: fp[D_] = fp[A_] & 0x7fffffffffffffffull; NEXT();
L9a: fp[D_] = fp[A_] ^ 0x8000000000000000ull; NEXT();
L9b: UNF64(a != a ? a + a : ceil(a))
L9c: UNF64(a != a ? a + a : floor(a))
L9d: UNF64(a != a ? a + a : trunc(a))
L9e: UNF64(a != a ? a + a : nearbyint(a))
L9f: UNF64(sqrt(a))
La0: BINF64(a + b)
La1: BINF64(a - b)
La2: BINF64(a * b)
La3: BINF64(a / b)
La4: BINF64(f64_min(a, b))
La5: BINF64(f64_max(a, b))
La6:
    fp[D_] = (fp[A_] & 0x7fffffffffffffffull) | (fp[B_] & 0x8000000000000000ull);
    NEXT();
La7: fp[D_] = (u32)fp[A_]; NEXT();
La8: TRUNC(f32, as_f32, x >= -2147483648.0f && x < 2147483648.0f, i32, 0xffffffffull)
La9: TRUNC(f32, as_f32, x > -1.0f && x < 4294967296.0f, u32, 0xffffffffull)
Laa: TRUNC(f64, as_f64, x > -2147483649.0 && x < 2147483648.0, i32, 0xffffffffull)
Lab: TRUNC(f64, as_f64, x > -1.0 && x < 4294967296.0, u32, 0xffffffffull)
Lac: fp[D_] = (u64)(i64)(i32)(u32)fp[A_]; NEXT();
Lad: fp[D_] = (u32)fp[A_]; NEXT();
Lae: TRUNC(f32, as_f32, x >= -9223372036854775808.0f && x < 9223372036854775808.0f, i64,
           UINT64_MAX)
Laf: TRUNC(f32, as_f32, x > -1.0f && x < 18446744073709551616.0f, u64, UINT64_MAX)
Lb0: TRUNC(f64, as_f64, x >= -9223372036854775808.0 && x < 9223372036854775808.0, i64,
           UINT64_MAX)
Lb1: TRUNC(f64, as_f64, x > -1.0 && x < 18446744073709551616.0, u64, UINT64_MAX)
Lb2: fp[D_] = from_f32((f32)(i32)(u32)fp[A_]); NEXT();
Lb3: fp[D_] = from_f32((f32)(u32)fp[A_]); NEXT();
Lb4: fp[D_] = from_f32((f32)(i64)fp[A_]); NEXT();
Lb5: fp[D_] = from_f32((f32)fp[A_]); NEXT();
Lb6: fp[D_] = from_f32((f32)as_f64(fp[A_])); NEXT();
Lb7: fp[D_] = from_f64((f64)(i32)(u32)fp[A_]); NEXT();
Lb8: fp[D_] = from_f64((f64)(u32)fp[A_]); NEXT();
Lb9: fp[D_] = from_f64((f64)(i64)fp[A_]); NEXT();
Lba: fp[D_] = from_f64((f64)fp[A_]); NEXT();
Lbb: fp[D_] = from_f64((f64)as_f32(fp[A_])); NEXT();
Lbc: /* reinterprets: slots already hold the bits (f32 bits are zero-extended) */
Lbd:
Lbe:
Lbf: fp[D_] = fp[A_]; NEXT();
Lc0: UN32((u32)(i32)(i8)a)
Lc1: UN32((u32)(i32)(i16)a)
Lc2: UN64((u64)(i64)(i8)a)
Lc3: UN64((u64)(i64)(i16)a)
Lc4: UN64((u64)(i64)(i32)a)
Ld2: fp[D_] = (u64)(uintptr_t)funcs[(pc++)->u]; NEXT();
Lsat: fp[D_] = trunc_sat((u32)(w & 0xff) - OP_FC_BASE, fp[A_]); NEXT();
Le8: { /* memory.init a=base [seg] */
    int rc = bulk_memory(ci, 8, (u32)(pc++)->u, fp + A_ + 3);
    if (rc)
        TRAP(rc);
    NEXT();
}
Le9: ci->data_dropped[(pc++)->u] = 1; NEXT();
Lbulkmem: {
    int rc = bulk_memory(ci, (u32)(w & 0xff) - OP_FC_BASE, 0, fp + A_ + 3);
    if (rc)
        TRAP(rc);
    NEXT();
}
Lbulktab: {
    u32 sub = (u32)(w & 0xff) - OP_FC_BASE;
    u32 a = (u32)pc[0].u, b = 0;
    pc++;
    if (sub != 17)
        b = (u32)(pc++)->u;
    int rc = bulk_table(ci, sub, a, b, fp + A_ + 3);
    if (rc)
        TRAP(rc);
    NEXT();
}
Led: ci->elem_len[(pc++)->u] = 0; NEXT();
Lef: { /* table.grow d a=ref b=n [table] */
    lc_wasm_table *t = ci->tables[(pc++)->u];
    u32 old;
    if (wasm_table_grow(t, (u32)fp[B_], fp[A_], &old) == 0)
        fp[D_] = old;
    else
        fp[D_] = UINT32_MAX;
    NEXT();
}
Lf0: fp[D_] = ci->tables[(pc++)->u]->size; NEXT();

trap: {
    inst->fuel = fuel;
    const lc_wasm_func *f = depth > base_depth ? frames[depth - 1].func : g;
    inst->depth = base_depth;
    return trap_format(inst, f, trap_code, is_host_trap, eb);
}
done:
    inst->fuel = fuel;
    inst->depth = base_depth;
    return 0;
}
