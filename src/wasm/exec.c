/*
 * wasm/exec.c — the interpreter: one dispatch function over compiled words (wasm_int.h).
 *
 * Design:
 *   - Threaded dispatch with computed goto: every handler ends in NEXT(), which loads the
 *     next opcode word and jumps through a 256-entry label table. No central switch.
 *   - Registers: pc (code word), sp (next free slot), fp (frame base), mem/mem_size (memory 0
 *     of the current instance), fuel. They are reloaded only when the current instance may
 *     have changed (call, return) or memory may have moved (memory.grow, host calls).
 *   - Wasm-to-wasm calls do not recurse in C: a frame record (return pc, caller fp, callee)
 *     goes on the instance's frame array, bounded by call_depth_max; the value stack is
 *     bounded by value_stack_slots_max, checked once per call against the callee's
 *     precomputed max height. Host calls recurse only through the embedder.
 *   - Fuel is charged on every call and at every loop head (OP_FUEL, which all back-edges
 *     target). Trap paths leave through `goto trap` into a cold tail that formats the message.
 *   - Bulk memory/table instructions are rare and long-running, so they live in helper
 *     functions outside the loop.
 *
 * The dispatch function is the single function allowed to exceed the 70-line rule (style.md).
 */
#include <math.h>
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
                               lc_errbuf *eb)
{
    const char *base = inst->trap_msg[0] ? inst->trap_msg : lc_strerror(code);
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

/* ------------------------------------------------------------ the loop -------------------- */

#define NEXT() goto *labels[(pc++)->u]
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
        u64 ea = (u64)(u32)sp[-1] + (pc++)->u;                                      \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v;                                                                        \
        memcpy(&v, mem + ea, N);                                                    \
        sp[-1] = CONV;                                                              \
        NEXT();                                                                     \
    }

#define STORE(T, N)                                                                 \
    {                                                                               \
        u64 ea = (u64)(u32)sp[-2] + (pc++)->u;                                      \
        if (LC_UNLIKELY(ea + N > mem_size))                                         \
            TRAP(LC_ETRAP_MEM_OOB);                                                 \
        T v = (T)sp[-1];                                                            \
        memcpy(mem + ea, &v, N);                                                    \
        sp -= 2;                                                                    \
        NEXT();                                                                     \
    }

#define BIN32(expr) { u32 b = (u32)sp[-1], a = (u32)sp[-2]; sp--; sp[-1] = (u32)(expr); NEXT(); }
#define BIN64(expr) { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = (u64)(expr); NEXT(); }
#define UN32(expr) { u32 a = (u32)sp[-1]; sp[-1] = (u32)(expr); NEXT(); }
#define UN64(expr) { u64 a = sp[-1]; sp[-1] = (u64)(expr); NEXT(); }
#define CMPF32(op) { f32 b = as_f32(sp[-1]), a = as_f32(sp[-2]); sp--; sp[-1] = a op b; NEXT(); }
#define CMPF64(op) { f64 b = as_f64(sp[-1]), a = as_f64(sp[-2]); sp--; sp[-1] = a op b; NEXT(); }
#define BINF32(expr) { f32 b = as_f32(sp[-1]), a = as_f32(sp[-2]); sp--; sp[-1] = from_f32(expr); NEXT(); }
#define BINF64(expr) { f64 b = as_f64(sp[-1]), a = as_f64(sp[-2]); sp--; sp[-1] = from_f64(expr); NEXT(); }
#define UNF32(expr) { f32 a = as_f32(sp[-1]); sp[-1] = from_f32(expr); NEXT(); }
#define UNF64(expr) { f64 a = as_f64(sp[-1]); sp[-1] = from_f64(expr); NEXT(); }
/* Trapping float->int: `ok` is the in-range test on x (NaN fails every comparison). */
#define TRUNC(FT, from, ok, RT, mask)                                               \
    {                                                                               \
        FT x = from(sp[-1]);                                                        \
        if (LC_UNLIKELY(x != x))                                                    \
            TRAP(LC_ETRAP_INVALID_CONV);                                            \
        if (LC_UNLIKELY(!(ok)))                                                     \
            TRAP(LC_ETRAP_INT_OVERFLOW);                                            \
        sp[-1] = (u64)(RT)x & (mask);                                               \
        NEXT();                                                                     \
    }

#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* Runs func with its arguments at args (which must be inst's stack top); results are left
 * at args[0..result_count). */
int wasm_exec(lc_wasm_instance *inst, const lc_wasm_func *func, u64 *args, lc_errbuf *eb)
{
    static const void *labels[256] = {
        [0 ... 255] = &&op_bad,
        [0x00] = &&L00, [0x01] = &&L01, [0x02] = &&L02, [0x03] = &&L03, [0x04] = &&L04,
        [0x0c] = &&L0c, [0x0d] = &&L0d, [0x0e] = &&L0e, [0x0f] = &&L0f, [0x10] = &&L10,
        [0x11] = &&L11, [0x1a] = &&L1a, [0x1b] = &&L1b, [0x20] = &&L20, [0x21] = &&L21,
        [0x22] = &&L22, [0x23] = &&L23, [0x24] = &&L24, [0x25] = &&L25, [0x26] = &&L26,
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
    };

    lc_wasm_instance *ci = func->inst;
    lc_wasm_func **funcs;
    u8 *mem;
    u64 mem_size;
    const lc_wasm_word *pc;
    u64 *sp, *fp;
    const u32 base_depth = inst->depth;
    u32 depth = base_depth;
    const u32 depth_max = inst->limits.call_depth_max;
    lc_wasm_frame *frames = inst->frames;
    const lc_wasm_func *g;
    u64 fuel = inst->fuel;
    int trap_code = 0;

    inst->trap_msg[0] = 0;
    RELOAD();
    sp = args + func->type->param_count;
    fp = NULL;
    pc = NULL;
    g = func;
    goto do_call;

op_bad:
    LC_ASSERT(!"bad internal opcode");
    TRAP(LC_ETRAP_UNREACHABLE);

L00: TRAP(LC_ETRAP_UNREACHABLE);
L01: { /* br_move arity height offset */
    u64 n = pc[0].u;
    u64 *dst = fp + pc[1].u;
    memmove(dst, sp - n, n * 8);
    sp = dst + n;
    pc += 2;
    pc += pc->i;
    NEXT();
}
L02: { /* br_if_move */
    if ((u32)*--sp) {
        u64 n = pc[0].u;
        u64 *dst = fp + pc[1].u;
        memmove(dst, sp - n, n * 8);
        sp = dst + n;
        pc += 2;
        pc += pc->i;
    } else {
        pc += 3;
    }
    NEXT();
}
L03: /* br_unless */
    if (!(u32)*--sp)
        pc += pc->i;
    else
        pc++;
    NEXT();
L04: /* loop head: fuel */
    if (LC_UNLIKELY(fuel == 0))
        TRAP(LC_ETRAP_FUEL);
    fuel--;
    NEXT();
L0c: pc += pc->i; NEXT();
L0d:
    if ((u32)*--sp)
        pc += pc->i;
    else
        pc++;
    NEXT();
L0e: { /* br_table count arity (height offset)* */
    u64 count = pc[0].u, n = pc[1].u;
    u64 i = (u32)*--sp;
    if (i > count)
        i = count;
    const lc_wasm_word *e = pc + 2 + 2 * i;
    u64 *dst = fp + e[0].u;
    if (dst + n != sp) {
        memmove(dst, sp - n, n * 8);
        sp = dst + n;
    }
    pc = e + 1;
    pc += pc->i;
    NEXT();
}
L0f: { /* return n */
    u64 n = pc->u;
    memmove(fp, sp - n, n * 8);
    sp = fp + n;
    lc_wasm_frame *fr = &frames[--depth];
    if (depth == base_depth)
        goto done;
    pc = fr->ret_pc;
    fp = fr->fp;
    ci = frames[depth - 1].func->inst;
    RELOAD();
    NEXT();
}
L10: /* call */
    g = funcs[(pc++)->u];
    goto do_call;
L11: { /* call_indirect type table */
    const lc_wasm_type *want = &ci->module->types[pc[0].u];
    lc_wasm_table *t = ci->tables[pc[1].u];
    pc += 2;
    u32 i = (u32)*--sp;
    if (LC_UNLIKELY(i >= t->size))
        TRAP(LC_ETRAP_UNDEFINED_ELEM);
    g = (const lc_wasm_func *)(uintptr_t)t->elems[i];
    if (LC_UNLIKELY(!g))
        TRAP(LC_ETRAP_INDIRECT_NULL);
    if (LC_UNLIKELY(g->type != want && !wasm_type_equal(g->type, want)))
        TRAP(LC_ETRAP_INDIRECT_TYPE);
    goto do_call;
}
do_call: {
    if (LC_UNLIKELY(fuel == 0))
        TRAP(LC_ETRAP_FUEL);
    fuel--;
    if (LC_UNLIKELY(depth >= depth_max))
        TRAP(LC_ETRAP_STACK);
    u32 np = g->type->param_count;
    if (!g->code) {
        u64 *a = sp - np;
        inst->fuel = fuel;
        inst->depth = depth + 1;
        inst->stack_top = sp;
        int rc = host_call(inst, ci, g, a);
        inst->depth = depth;
        fuel = inst->fuel;
        if (rc)
            TRAP(rc);
        sp = a + g->type->result_count;
        RELOAD();
        if (depth == base_depth)
            goto done;
        NEXT();
    }
    const lc_wasm_code *code = g->code;
    u64 *nfp = sp - np;
    if (LC_UNLIKELY(nfp + code->local_count + code->max_height > inst->stack_end))
        TRAP(LC_ETRAP_STACK);
    lc_wasm_frame *fr = &frames[depth++];
    fr->ret_pc = pc;
    fr->fp = fp;
    fr->func = g;
    fp = nfp;
    for (u64 *p = sp, *e = fp + code->local_count; p < e; p++)
        *p = 0;
    sp = fp + code->local_count;
    pc = code->code;
    if (g->inst != ci) {
        ci = g->inst;
        RELOAD();
    }
    NEXT();
}
L1a: sp--; NEXT();
L1b: { /* select */
    u32 c = (u32)sp[-1];
    sp -= 2;
    if (!c)
        sp[-1] = sp[0];
    NEXT();
}
L20: *sp++ = fp[(pc++)->u]; NEXT();
L21: fp[(pc++)->u] = *--sp; NEXT();
L22: fp[(pc++)->u] = sp[-1]; NEXT();
L23: *sp++ = ci->globals[(pc++)->u]->value; NEXT();
L24: ci->globals[(pc++)->u]->value = *--sp; NEXT();
L25: {
    lc_wasm_table *t = ci->tables[(pc++)->u];
    u32 i = (u32)sp[-1];
    if (LC_UNLIKELY(i >= t->size))
        TRAP(LC_ETRAP_TABLE_OOB);
    sp[-1] = t->elems[i];
    NEXT();
}
L26: {
    lc_wasm_table *t = ci->tables[(pc++)->u];
    u32 i = (u32)sp[-2];
    if (LC_UNLIKELY(i >= t->size))
        TRAP(LC_ETRAP_TABLE_OOB);
    t->elems[i] = sp[-1];
    sp -= 2;
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
L3f: *sp++ = ci->memory->pages; NEXT();
L40: {
    u32 old;
    if (wasm_memory_grow(ci->memory, (u32)sp[-1], &old) == 0)
        sp[-1] = old;
    else
        sp[-1] = UINT32_MAX;
    RELOAD();
    NEXT();
}
L41: *sp++ = (pc++)->u; NEXT();
L45: UN32(a == 0)
L46: BIN32(a == b)
L47: BIN32(a != b)
L48: BIN32((i32)a < (i32)b)
L49: BIN32(a < b)
L4a: BIN32((i32)a > (i32)b)
L4b: BIN32(a > b)
L4c: BIN32((i32)a <= (i32)b)
L4d: BIN32(a <= b)
L4e: BIN32((i32)a >= (i32)b)
L4f: BIN32(a >= b)
L50: { sp[-1] = sp[-1] == 0; NEXT(); }
L51: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = a == b; NEXT(); }
L52: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = a != b; NEXT(); }
L53: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = (i64)a < (i64)b; NEXT(); }
L54: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = a < b; NEXT(); }
L55: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = (i64)a > (i64)b; NEXT(); }
L56: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = a > b; NEXT(); }
L57: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = (i64)a <= (i64)b; NEXT(); }
L58: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = a <= b; NEXT(); }
L59: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = (i64)a >= (i64)b; NEXT(); }
L5a: { u64 b = sp[-1], a = sp[-2]; sp--; sp[-1] = a >= b; NEXT(); }
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
L6a: BIN32(a + b)
L6b: BIN32(a - b)
L6c: BIN32(a * b)
L6d: {
    u32 b = (u32)sp[-1], a = (u32)sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    if (LC_UNLIKELY(a == 0x80000000u && b == UINT32_MAX))
        TRAP(LC_ETRAP_INT_OVERFLOW);
    sp--;
    sp[-1] = (u32)((i32)a / (i32)b);
    NEXT();
}
L6e: {
    u32 b = (u32)sp[-1], a = (u32)sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    sp--;
    sp[-1] = a / b;
    NEXT();
}
L6f: {
    u32 b = (u32)sp[-1], a = (u32)sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    sp--;
    sp[-1] = b == UINT32_MAX ? 0 : (u32)((i32)a % (i32)b);
    NEXT();
}
L70: {
    u32 b = (u32)sp[-1], a = (u32)sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    sp--;
    sp[-1] = a % b;
    NEXT();
}
L71: BIN32(a & b)
L72: BIN32(a | b)
L73: BIN32(a ^ b)
L74: BIN32(a << (b & 31))
L75: BIN32((i32)a >> (b & 31))
L76: BIN32(a >> (b & 31))
L77: BIN32((a << (b & 31)) | (a >> ((32 - (b & 31)) & 31)))
L78: BIN32((a >> (b & 31)) | (a << ((32 - (b & 31)) & 31)))
L79: UN64(a ? (u64)__builtin_clzll(a) : 64)
L7a: UN64(a ? (u64)__builtin_ctzll(a) : 64)
L7b: UN64(__builtin_popcountll(a))
L7c: BIN64(a + b)
L7d: BIN64(a - b)
L7e: BIN64(a * b)
L7f: {
    u64 b = sp[-1], a = sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    if (LC_UNLIKELY(a == 0x8000000000000000ull && b == UINT64_MAX))
        TRAP(LC_ETRAP_INT_OVERFLOW);
    sp--;
    sp[-1] = (u64)((i64)a / (i64)b);
    NEXT();
}
L80: {
    u64 b = sp[-1], a = sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    sp--;
    sp[-1] = a / b;
    NEXT();
}
L81: {
    u64 b = sp[-1], a = sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    sp--;
    sp[-1] = b == UINT64_MAX ? 0 : (u64)((i64)a % (i64)b);
    NEXT();
}
L82: {
    u64 b = sp[-1], a = sp[-2];
    if (LC_UNLIKELY(b == 0))
        TRAP(LC_ETRAP_DIV_ZERO);
    sp--;
    sp[-1] = a % b;
    NEXT();
}
L83: BIN64(a & b)
L84: BIN64(a | b)
L85: BIN64(a ^ b)
L86: BIN64(a << (b & 63))
L87: BIN64((i64)a >> (b & 63))
L88: BIN64(a >> (b & 63))
L89: BIN64((a << (b & 63)) | (a >> ((64 - (b & 63)) & 63)))
L8a: BIN64((a >> (b & 63)) | (a << ((64 - (b & 63)) & 63)))
L8b: { sp[-1] = (u32)sp[-1] & 0x7fffffffu; NEXT(); }
L8c: { sp[-1] = (u32)sp[-1] ^ 0x80000000u; NEXT(); }
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
L98: {
    u32 b = (u32)sp[-1], a = (u32)sp[-2];
    sp--;
    sp[-1] = (a & 0x7fffffffu) | (b & 0x80000000u);
    NEXT();
}
L99: { sp[-1] &= 0x7fffffffffffffffull; NEXT(); }
L9a: { sp[-1] ^= 0x8000000000000000ull; NEXT(); }
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
La6: {
    u64 b = sp[-1], a = sp[-2];
    sp--;
    sp[-1] = (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull);
    NEXT();
}
La7: { sp[-1] = (u32)sp[-1]; NEXT(); }
La8: TRUNC(f32, as_f32, x >= -2147483648.0f && x < 2147483648.0f, i32, 0xffffffffull)
La9: TRUNC(f32, as_f32, x > -1.0f && x < 4294967296.0f, u32, 0xffffffffull)
Laa: TRUNC(f64, as_f64, x > -2147483649.0 && x < 2147483648.0, i32, 0xffffffffull)
Lab: TRUNC(f64, as_f64, x > -1.0 && x < 4294967296.0, u32, 0xffffffffull)
Lac: { sp[-1] = (u64)(i64)(i32)(u32)sp[-1]; NEXT(); }
Lad: { sp[-1] = (u32)sp[-1]; NEXT(); }
Lae: TRUNC(f32, as_f32, x >= -9223372036854775808.0f && x < 9223372036854775808.0f, i64,
           UINT64_MAX)
Laf: TRUNC(f32, as_f32, x > -1.0f && x < 18446744073709551616.0f, u64, UINT64_MAX)
Lb0: TRUNC(f64, as_f64, x >= -9223372036854775808.0 && x < 9223372036854775808.0, i64,
           UINT64_MAX)
Lb1: TRUNC(f64, as_f64, x > -1.0 && x < 18446744073709551616.0, u64, UINT64_MAX)
Lb2: { sp[-1] = from_f32((f32)(i32)(u32)sp[-1]); NEXT(); }
Lb3: { sp[-1] = from_f32((f32)(u32)sp[-1]); NEXT(); }
Lb4: { sp[-1] = from_f32((f32)(i64)sp[-1]); NEXT(); }
Lb5: { sp[-1] = from_f32((f32)sp[-1]); NEXT(); }
Lb6: { sp[-1] = from_f32((f32)as_f64(sp[-1])); NEXT(); }
Lb7: { sp[-1] = from_f64((f64)(i32)(u32)sp[-1]); NEXT(); }
Lb8: { sp[-1] = from_f64((f64)(u32)sp[-1]); NEXT(); }
Lb9: { sp[-1] = from_f64((f64)(i64)sp[-1]); NEXT(); }
Lba: { sp[-1] = from_f64((f64)sp[-1]); NEXT(); }
Lbb: { sp[-1] = from_f64((f64)as_f32(sp[-1])); NEXT(); }
Lbc: NEXT();  /* reinterprets: slots already hold the bits */
Lbd: NEXT();
Lbe: NEXT();
Lbf: NEXT();
Lc0: UN32((u32)(i32)(i8)a)
Lc1: UN32((u32)(i32)(i16)a)
Lc2: UN64((u64)(i64)(i8)a)
Lc3: UN64((u64)(i64)(i16)a)
Lc4: UN64((u64)(i64)(i32)a)
Ld2: *sp++ = (u64)(uintptr_t)funcs[(pc++)->u]; NEXT();
Lsat: sp[-1] = trunc_sat((u32)pc[-1].u - OP_FC_BASE, sp[-1]); NEXT();
Le8: { /* memory.init */
    int rc = bulk_memory(ci, 8, (u32)(pc++)->u, sp);
    if (rc)
        TRAP(rc);
    sp -= 3;
    NEXT();
}
Le9: ci->data_dropped[(pc++)->u] = 1; NEXT();
Lbulkmem: {
    int rc = bulk_memory(ci, (u32)pc[-1].u - OP_FC_BASE, 0, sp);
    if (rc)
        TRAP(rc);
    sp -= 3;
    NEXT();
}
Lbulktab: {
    u32 sub = (u32)pc[-1].u - OP_FC_BASE;
    u32 a = (u32)pc[0].u, b = 0;
    pc++;
    if (sub != 17)
        b = (u32)(pc++)->u;
    int rc = bulk_table(ci, sub, a, b, sp);
    if (rc)
        TRAP(rc);
    sp -= 3;
    NEXT();
}
Led: { /* elem.drop */
    u32 e = (u32)(pc++)->u;
    ci->elem_len[e] = 0;
    NEXT();
}
Lef: { /* table.grow t: ref, n -> old | -1 */
    lc_wasm_table *t = ci->tables[(pc++)->u];
    u32 old;
    sp--;
    if (wasm_table_grow(t, (u32)sp[0], sp[-1], &old) == 0)
        sp[-1] = old;
    else
        sp[-1] = UINT32_MAX;
    NEXT();
}
Lf0: *sp++ = ci->tables[(pc++)->u]->size; NEXT();

trap: {
    inst->fuel = fuel;
    const lc_wasm_func *f = depth > base_depth ? frames[depth - 1].func : g;
    inst->depth = base_depth;
    return trap_format(inst, f, trap_code, eb);
}
done:
    inst->fuel = fuel;
    inst->depth = base_depth;
    return 0;
}
