/*
 * wasm/jit.c — baseline x86-64 template compiler over the internal code (wasm_int.h).
 *
 * Design:
 *   - Input is the interpreter's compiled code, not wasm bytes: validation, slot assignment
 *     and the fusions of compile.c are reused, and every internal op becomes a fixed
 *     machine-code template (`mov eax,[rbx+a*8]; add eax,[rbx+b*8]; mov [rbx+d*8],rax`).
 *     No register allocation: slots stay the frame's home of every value, exactly as the
 *     interpreter sees them, so native and interpreted frames are interchangeable.
 *   - Global registers in native code: rbx = frame (fp), r12 = memory base, r13 = memory
 *     size in bytes, r14 = wasm_jit_ctx, r15 = fuel. They are callee-owned by nobody: a
 *     native call keeps them; only rbx is saved (push/pop around each call). Helpers written
 *     in C preserve them (SysV callee-saved); after any helper that may grow memory or run
 *     other code, r12/r13 (and r15 after calls) are reloaded from the ctx.
 *   - Semantics match the interpreter op for op: the same bounds checks ((u32)addr + offset
 *     + size > memory size traps), the same fuel (one unit per call and per taken branch,
 *     none for the `if` fall-through op), the same traps. Call depth is not counted: every
 *     native call level uses exactly 16 bytes of native stack (pushed rbx + return address),
 *     so the depth is (rsp_base - rsp) / 16 and the limit check is one compare of rsp in
 *     the callee's checked entry. The native stack used by JIT code is capped by a budget
 *     (LC_WASM_JIT_STACK_BYTES, exec.c), which may trap earlier than call_depth_max.
 *   - Calls: to a defined function of the same module, a direct `call rel32` to its checked
 *     entry (fuel, depth, value-stack check), whose body entry is also where wasm_exec
 *     enters. Imports, functions this compiler refused, and call_indirect to anything but
 *     native code of the same instance go through wasm_exec_call_slow (the interpreter).
 *   - Traps: a trap sets eax to the negative LC_ETRAP code and records the function index
 *     in the ctx; every caller returns at once when a callee returns non-zero. Rare
 *     instructions (tables, bulk memory, ref.func, memory.grow, float min/max/rounding and
 *     conversions) call small C helpers in exec.c.
 *   - W^X: code is built in a heap buffer, copied into an anonymous mapping and made
 *     read+execute before any use; it is never writable and executable at once.
 *   - Switch: LC_WASM_JIT=0 in the environment turns it off (the interpreter runs all code).
 *     Anything but Linux x86-64 compiles the stubs at the end of this file.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "wasm/wasm_int.h"

#if defined(__x86_64__) && defined(__linux__) && !defined(LC_WASM_NO_JIT)
#include <sys/mman.h>

bool wasm_jit_enabled(void)
{
    const char *e = getenv("LC_WASM_JIT");
    return !(e && e[0] == '0');
}

/* ------------------------------------------------------------ byte buffer ----------------- */

/* The code buffer. It also tracks the one-value register cache: rax holds slot cache_slot
 * at op_start when is_cache (the previous op ended storing rax there and the op is no branch
 * target); a load of that slot as the first instruction of the op is then dropped. */
typedef struct jbuf {
    u8 *p;
    size_t len, cap;
    bool is_oom;
    bool is_cache;
    u32 cache_slot;
    size_t op_start;
    size_t st_end;   /* end of the last `mov [slot], rax` */
    u32 st_slot;
} jbuf;

static void jb_reserve(jbuf *b, size_t n)
{
    if (b->len + n <= b->cap || b->is_oom)
        return;
    size_t cap = b->cap ? b->cap * 2 : 65536;
    while (cap < b->len + n)
        cap *= 2;
    u8 *p = lc_realloc(b->p, cap);
    if (!p) {
        b->is_oom = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}
static void b1(jbuf *b, u32 v)
{
    jb_reserve(b, 1);
    if (!b->is_oom)
        b->p[b->len++] = (u8)v;
}
static void b4(jbuf *b, u32 v)
{
    for (int i = 0; i < 4; i++)
        b1(b, v >> (8 * i));
}
static void b8(jbuf *b, u64 v)
{
    b4(b, (u32)v);
    b4(b, (u32)(v >> 32));
}
static void patch4(jbuf *b, size_t at, u32 v)
{
    if (!b->is_oom)
        lc_store_u32(b->p + at, v);
}

/* ------------------------------------------------------------ x86-64 encoding ------------- */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
#define NOX (-1)
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7, CC_P = 0xa, CC_NP = 0xb,
       CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf };

static void opc(jbuf *b, u32 op)
{
    if (op > 0xffff)
        b1(b, op >> 16);
    if (op > 0xff)
        b1(b, op >> 8);
    b1(b, op);
}

/* prefix, REX (when needed), opcode, ModRM [+ SIB] [+ disp] for [base + index*2^sc + disp]. */
static void ins_m(jbuf *b, u32 pfx, int w, u32 op, int reg, int base, int index, int sc,
                  i32 disp)
{
    if (pfx)
        b1(b, pfx);
    int rex = (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | (index >= 0 ? ((index >> 3) & 1) << 1 : 0) |
              ((base >> 3) & 1);
    if (rex)
        b1(b, 0x40 | rex);
    opc(b, op);
    int mod = (disp == 0 && (base & 7) != RBP) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
    if (index < 0 && (base & 7) != RSP) {
        b1(b, (u32)(mod << 6 | (reg & 7) << 3 | (base & 7)));
    } else {
        b1(b, (u32)(mod << 6 | (reg & 7) << 3 | 4));
        b1(b, (u32)(sc << 6 | ((index < 0 ? RSP : index) & 7) << 3 | (base & 7)));
    }
    if (mod == 1)
        b1(b, (u32)disp);
    else if (mod == 2)
        b4(b, (u32)disp);
}
/* Register-direct form (ModRM mod = 11). */
static void ins_r(jbuf *b, u32 pfx, int w, u32 op, int reg, int rm)
{
    if (pfx)
        b1(b, pfx);
    int rex = (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1);
    if (rex)
        b1(b, 0x40 | rex);
    opc(b, op);
    b1(b, (u32)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

#define SL(s) ((i32)((s) * 8))
/* Slot access through rbx. A 64-bit store of rax is remembered for the register cache. */
static void ld(jbuf *b, int w, int r, u32 s)
{
    if (r == RAX && b->is_cache && b->len == b->op_start && s == b->cache_slot) {
        if (!w)
            ins_r(b, 0, 0, 0x89, RAX, RAX);  /* mov eax, eax: the low half, zero-extended */
        return;
    }
    ins_m(b, 0, w, 0x8b, r, RBX, NOX, 0, SL(s));
}
static void st(jbuf *b, int r, u32 s)
{
    ins_m(b, 0, 1, 0x89, r, RBX, NOX, 0, SL(s));
    if (r == RAX) {
        b->st_end = b->len;
        b->st_slot = s;
    }
}
/* ALU op (03 add, 0b or, 23 and, 2b sub, 33 xor, 3b cmp, 0x0faf imul) reg, [slot]. */
static void alu_s(jbuf *b, int w, u32 op, int r, u32 s) { ins_m(b, 0, w, op, r, RBX, NOX, 0, SL(s)); }
/* Group-1 op /ext reg, imm32 (ext: 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp). */
static void alu_i(jbuf *b, int w, int ext, int r, u32 imm)
{
    ins_r(b, 0, w, 0x81, ext, r);
    b4(b, imm);
}
static void mov_ri(jbuf *b, int r, u64 v)
{
    if (v <= 0xffffffffu) {  /* mov r32, imm32 zero-extends */
        if (r >= 8)
            b1(b, 0x41);
        b1(b, 0xb8 + (r & 7));
        b4(b, (u32)v);
    } else {
        b1(b, 0x48 | (r >= 8 ? 1 : 0));
        b1(b, 0xb8 + (r & 7));
        b8(b, v);
    }
}
static bool fits_i32(u64 v) { return (i64)v == (i64)(i32)(u32)v; }
/* ctx field access through r14. */
#define CTX(f) ((i32)offsetof(wasm_jit_ctx, f))
static void ldc(jbuf *b, int r, i32 off) { ins_m(b, 0, 1, 0x8b, r, R14, NOX, 0, off); }
static void stc(jbuf *b, int r, i32 off) { ins_m(b, 0, 1, 0x89, r, R14, NOX, 0, off); }

/* ------------------------------------------------------------ per-function state ---------- */

enum { TK_UNREACHABLE, TK_OOB, TK_DIV0, TK_OVF, TK_FUEL, TK_STACK, TK_PENDING, TK_EAX,
       TK_RET, TK_COUNT };
static const int tk_code[TK_COUNT] = {LC_ETRAP_UNREACHABLE, LC_ETRAP_MEM_OOB, LC_ETRAP_DIV_ZERO,
                                      LC_ETRAP_INT_OVERFLOW, LC_ETRAP_FUEL, LC_ETRAP_STACK,
                                      0, 0, 0};

typedef struct fixup {
    u32 at;      /* offset of a rel32 field */
    u32 target;  /* word index / trap kind / function index */
} fixup;

typedef struct fixups {
    fixup *v;
    u32 n, cap;
    bool is_oom;
} fixups;

static void fx_add(fixups *f, u32 at, u32 target)
{
    if (f->n == f->cap) {
        u32 cap = f->cap ? f->cap * 2 : 256;
        fixup *v = lc_realloc(f->v, cap * sizeof(*v));
        if (!v) {
            f->is_oom = true;
            return;
        }
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = (fixup){at, target};
}

typedef struct jc {
    jbuf b;
    const lc_wasm_module *m;
    const lc_wasm_code *fn;
    u32 func_index;
    u32 *at;          /* native offset per code word (UINT32_MAX: not an op start) */
    u8 *is_target;    /* per code word: a branch lands there (from the first pass), or NULL */
    fixups labels;    /* rel32 -> code word index (this function) */
    fixups traps;     /* rel32 -> trap kind (this function) */
    fixups calls;     /* rel32 -> function index (module-wide) */
    bool is_bad;      /* an op this compiler does not take */
} jc;

static void jcc_to(jc *c, int cc, fixups *f, u32 target)
{
    b1(&c->b, 0x0f);
    b1(&c->b, 0x80 + (u32)cc);
    fx_add(f, (u32)c->b.len, target);
    b4(&c->b, 0);
}
static void jmp_to(jc *c, fixups *f, u32 target)
{
    b1(&c->b, 0xe9);
    fx_add(f, (u32)c->b.len, target);
    b4(&c->b, 0);
}
static void trap_if(jc *c, int cc, u32 kind) { jcc_to(c, cc, &c->traps, kind); }

/* Charges one unit of fuel (sub r15, 1; jb fuel trap). */
static void charge(jc *c)
{
    ins_r(&c->b, 0, 1, 0x83, 5, R15);
    b1(&c->b, 1);
    trap_if(c, CC_B, TK_FUEL);
}
/* A taken branch to code word `target`: fuel, then jump. */
static void taken(jc *c, u32 target)
{
    charge(c);
    jmp_to(c, &c->labels, target);
}
/* Branch when cc holds: a short jump over the taken path (4 + 6 + 5 bytes). */
static void cond_branch(jc *c, int cc, u32 target)
{
    b1(&c->b, 0x70 + (u32)(cc ^ 1));
    b1(&c->b, 15);
    taken(c, target);
}

/* Calls a C function (rsp is 8 mod 16 in every native frame body). */
static void call_c(jc *c, const void *fn)
{
    ins_r(&c->b, 0, 1, 0x83, 5, RSP);
    b1(&c->b, 8);
    mov_ri(&c->b, RAX, (u64)(uintptr_t)fn);
    ins_r(&c->b, 0, 0, 0xff, 2, RAX);
    ins_r(&c->b, 0, 1, 0x83, 0, RSP);
    b1(&c->b, 8);
}
static void reload_mem(jc *c)
{
    ldc(&c->b, R12, CTX(mem));
    ldc(&c->b, R13, CTX(mem_size));
}
static void set_trap_func(jc *c)
{
    ins_m(&c->b, 0, 0, 0xc7, 0, R14, NOX, 0, CTX(trap_func));
    b4(&c->b, c->func_index);
}

/* Copies n slots src -> dst as memmove does. */
static void move_slots(jc *c, u32 dst, u32 src, u32 n)
{
    if (dst == src)
        return;
    for (u32 i = 0; i < n; i++) {
        u32 k = dst < src ? i : n - 1 - i;
        ld(&c->b, 1, RAX, src + k);
        st(&c->b, RAX, dst + k);
    }
}

/* ------------------------------------------------------------ templates ------------------- */

static const int cmp_cc[12] = {CC_E, CC_E, CC_NE, CC_L, CC_B, CC_G, CC_A, CC_LE, CC_BE, CC_GE,
                               CC_AE, CC_NE};

#define D_(w) ((u32)((w) >> 16) & 0xffffu)
#define A_(w) ((u32)((w) >> 32) & 0xffffu)
#define B_(w) ((u32)((w) >> 48))

/* Fused compare-and-branch family (OP_BRC .. OP_BRCASI). Returns words used, 0 if bad. */
static u32 emit_brc(jc *c, const lc_wasm_word *p, u32 pos)
{
    u64 w = p[0].u;
    u32 op = (u32)(w & (OP_COUNT - 1));
    jbuf *b = &c->b;
    u32 k, n;
    bool has_imm = false;
    if (op >= OP_BRCASI && op < OP_BRCASI + 12) {
        k = op - OP_BRCASI, n = 4, has_imm = true;
    } else if (op >= OP_BRCAS && op < OP_BRCAS + 12) {
        k = op - OP_BRCAS, n = 3;
    } else if (op >= OP_BRCAI && op < OP_BRCAI + 12) {
        k = op - OP_BRCAI, n = 4, has_imm = true;
    } else if (op >= OP_BRCA && op < OP_BRCA + 12) {
        k = op - OP_BRCA, n = 3;
    } else if (op >= OP_BRCI && op < OP_BRCI + 12) {
        k = op - OP_BRCI, n = 3, has_imm = true;
    } else {
        k = op - OP_BRC, n = 2;
    }
    if (k == 0 || k == 11) {
        LC_ASSERT(!has_imm);
        has_imm = true;  /* compare with zero */
    }
    bool is_add = op >= OP_BRCA && op < OP_BRCASI + 12;
    ld(b, 0, RAX, A_(w));
    if (is_add) {
        if (op >= OP_BRCAS)
            alu_s(b, 0, 0x03, RAX, (u32)p[1].u);
        else
            alu_i(b, 0, 0, RAX, (u32)p[1].u);
        st(b, RAX, D_(w));
    }
    if (k == 0 || k == 11)
        alu_i(b, 0, 7, RAX, 0);
    else if (has_imm)
        alu_i(b, 0, 7, RAX, (u32)p[n - 2].u);
    else
        alu_s(b, 0, 0x3b, RAX, B_(w));
    cond_branch(c, cmp_cc[k], pos + n - 1 + (u32)(i32)p[n - 1].i);
    return n;
}

static const u8 load_size[14] = {4, 8, 4, 8, 1, 1, 2, 2, 1, 1, 2, 2, 4, 4};
static const u8 store_size[9] = {4, 8, 4, 8, 1, 2, 1, 2, 4};

/* rax = (u32)address; bounds check for [rax + off, +size); false if off is too large. */
static bool mem_check(jc *c, u64 off, u32 size)
{
    if (off + size > 0x7fff0000u)
        return false;
    ins_m(&c->b, 0, 1, 0x8d, RCX, RAX, NOX, 0, (i32)(off + size));  /* lea rcx,[rax+off+n] */
    ins_r(&c->b, 0, 1, 0x3b, RCX, R13);                              /* cmp rcx, r13 */
    trap_if(c, CC_A, TK_OOB);
    return true;
}

static void load_op(jc *c, u32 k, int r, i32 off)
{
    static const u32 op[14] = {0x8b, 0x8b, 0x8b, 0x8b, 0x0fbe, 0x0fb6, 0x0fbf, 0x0fb7,
                               0x0fbe, 0x0fb6, 0x0fbf, 0x0fb7, 0x63, 0x8b};
    static const u8 w[14] = {0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0};
    ins_m(&c->b, 0, w[k], op[k], r, R12, RAX, 0, off);
}

/* Loads 0x28.., OP_LDX.., OP_LDI..: words used, 0 if refused. */
static u32 emit_load(jc *c, const lc_wasm_word *p)
{
    u64 w = p[0].u;
    u32 op = (u32)(w & (OP_COUNT - 1)), k, n;
    jbuf *b = &c->b;
    ld(b, 0, RAX, A_(w));
    if (op >= OP_LDI) {
        k = op - OP_LDI, n = 3;
        alu_i(b, 0, 0, RAX, (u32)p[1].u);
    } else if (op >= OP_LDX) {
        k = op - OP_LDX, n = 2;
        alu_s(b, 0, 0x03, RAX, B_(w));
    } else {
        k = op - 0x28, n = 2;
    }
    u64 off = p[n - 1].u;
    if (!mem_check(c, off, load_size[k]))
        return 0;
    load_op(c, k, RAX, (i32)off);
    st(b, RAX, D_(w));
    return n;
}

/* Stores 0x36.., OP_IMM+0x36.., OP_STX.., OP_STI.., OP_STXK..: words used, 0 if refused. */
static u32 emit_store(jc *c, const lc_wasm_word *p)
{
    u64 w = p[0].u;
    u32 op = (u32)(w & (OP_COUNT - 1)), k, n;
    u64 off;
    jbuf *b = &c->b;
    ld(b, 0, RAX, A_(w));
    if (op >= OP_STXK) {          /* a b [offset] [value] */
        k = op - OP_STXK, n = 3, off = p[1].u;
        alu_s(b, 0, 0x03, RAX, B_(w));
        mov_ri(b, RDX, p[2].u);
    } else if (op >= OP_STI) {    /* d=value a [imm] [offset] */
        k = op - OP_STI, n = 3, off = p[2].u;
        alu_i(b, 0, 0, RAX, (u32)p[1].u);
        ld(b, 1, RDX, D_(w));
    } else if (op >= OP_STX) {    /* d=value a b [offset] */
        k = op - OP_STX, n = 2, off = p[1].u;
        alu_s(b, 0, 0x03, RAX, B_(w));
        ld(b, 1, RDX, D_(w));
    } else if (op >= OP_IMM) {    /* a [offset] [value] */
        k = op - OP_IMM - 0x36, n = 3, off = p[1].u;
        mov_ri(b, RDX, p[2].u);
    } else {                      /* a b=value [offset] */
        k = op - 0x36, n = 2, off = p[1].u;
        ld(b, 1, RDX, B_(w));
    }
    u32 size = store_size[k];
    if (!mem_check(c, off, size))
        return 0;
    if (size == 1)
        ins_m(b, 0, 0, 0x88, RDX, R12, RAX, 0, (i32)off);
    else if (size == 2)
        ins_m(b, 0x66, 0, 0x89, RDX, R12, RAX, 0, (i32)off);
    else
        ins_m(b, 0, size == 8, 0x89, RDX, R12, RAX, 0, (i32)off);
    return n;
}

/* i32/i64 div_s div_u rem_s rem_u (base = the i32 opcode): rax = a, divisor from slot bs
 * (UINT32_MAX: already in rcx); the result is left in rax. */
static void emit_divrem(jc *c, u32 base, int W, u32 bs)
{
    jbuf *b = &c->b;
    bool is64 = W != 0;
    if (bs != UINT32_MAX)
        ld(b, W, RCX, bs);
    ins_r(b, 0, W, 0x85, RCX, RCX);  /* test rcx, rcx */
    trap_if(c, CC_E, TK_DIV0);
    bool is_signed = base == 0x6d || base == 0x6f;
    bool is_rem = base >= 0x6f;
    if (is_signed) {
        /* b == -1: div traps on INT_MIN, rem is 0; skip the idiv either way. */
        ins_r(b, 0, W, 0x83, 7, RCX);
        b1(b, 0xff);
        size_t jpos = b->len;
        b1(b, 0x75);  /* jne normal */
        b1(b, 0);
        if (is_rem) {
            ins_r(b, 0, 0, 0x31, RAX, RAX);  /* xor eax, eax */
        } else {
            mov_ri(b, RDX, is64 ? 0x8000000000000000ull : 0x80000000u);
            ins_r(b, 0, W, 0x3b, RAX, RDX);
            trap_if(c, CC_E, TK_OVF);
            ins_r(b, 0, W, 0xf7, 3, RAX);    /* neg: x / -1 */
        }
        b1(b, 0xeb);  /* jmp done */
        size_t jdone = b->len;
        b1(b, 0);
        if (!b->is_oom)
            b->p[jpos + 1] = (u8)(b->len - jpos - 2);
        if (W)
            b1(b, 0x48);
        b1(b, 0x99);                          /* cdq / cqo */
        ins_r(b, 0, W, 0xf7, 7, RCX);         /* idiv rcx */
        if (is_rem)
            ins_r(b, 0, W, 0x8b, RAX, RDX);
        if (!b->is_oom)
            b->p[jdone] = (u8)(b->len - jdone - 1);
    } else {
        ins_r(b, 0, 0, 0x31, RDX, RDX);
        ins_r(b, 0, W, 0xf7, 6, RCX);         /* div rcx */
        if (is_rem)
            ins_r(b, 0, W, 0x8b, RAX, RDX);
    }
}

/* Integer binary ops (slot or immediate right operand). Returns false if not one. */
static bool emit_int_bin(jc *c, u32 op, u64 w, const lc_wasm_word *imm)
{
    jbuf *b = &c->b;
    bool is64 = (op >= 0x51 && op <= 0x5a) || (op >= 0x7c && op <= 0x8a);
    int W = is64;
    u32 d = D_(w), a = A_(w), bs = B_(w);
    bool has_imm = imm != NULL;
    u64 iv = has_imm ? imm->u : 0;
    bool is_cmp = (op >= 0x46 && op <= 0x4f) || (op >= 0x51 && op <= 0x5a);
    u32 base = is64 ? op - 0x7c + 0x6a : op;  /* i64 arith -> the i32 opcode numbering */
    if (!is_cmp && (base < 0x6a || base > 0x78 || (base >= 0x6d && base <= 0x70 && has_imm)))
        return false;
    if (has_imm && is64 && !fits_i32(iv)) {  /* wide immediate: through rcx */
        mov_ri(b, RCX, iv);
        has_imm = false;
        bs = UINT32_MAX;
    }
#define RHS_RCX() (bs == UINT32_MAX ? (void)0 : ld(b, W, RCX, bs))
    ld(b, W, RAX, a);
    if (is_cmp) {
        u32 k = is64 ? op - 0x50 : op - 0x45;
        if (has_imm)
            alu_i(b, W, 7, RAX, (u32)iv);
        else if (bs == UINT32_MAX)
            ins_r(b, 0, W, 0x3b, RAX, RCX);
        else
            alu_s(b, W, 0x3b, RAX, bs);
        ins_r(b, 0, 0, 0x0f90 + (u32)cmp_cc[k], 0, RAX);  /* setcc al */
        ins_r(b, 0, 0, 0x0fb6, RAX, RAX);                 /* movzx eax, al */
        st(b, RAX, d);
        return true;
    }
    static const struct { u8 op; u8 ext; u16 rm; } alu[] = {
        {0x6a, 0, 0x03}, {0x6b, 5, 0x2b}, {0x71, 4, 0x23}, {0x72, 1, 0x0b}, {0x73, 6, 0x33}};
    for (u32 i = 0; i < sizeof(alu) / sizeof(alu[0]); i++) {
        if (alu[i].op != base)
            continue;
        if (has_imm)
            alu_i(b, W, alu[i].ext, RAX, (u32)iv);
        else if (bs == UINT32_MAX)
            ins_r(b, 0, W, alu[i].rm, RAX, RCX);
        else
            alu_s(b, W, alu[i].rm, RAX, bs);
        st(b, RAX, d);
        return true;
    }
    if (base == 0x6c) {  /* mul */
        if (has_imm) {
            ins_r(b, 0, W, 0x69, RAX, RAX);
            b4(b, (u32)iv);
        } else if (bs == UINT32_MAX) {
            ins_r(b, 0, W, 0x0faf, RAX, RCX);
        } else {
            alu_s(b, W, 0x0faf, RAX, bs);
        }
        st(b, RAX, d);
        return true;
    }
    if (base >= 0x74 && base <= 0x78) {  /* shl shr_s shr_u rotl rotr */
        static const int ext[5] = {4, 7, 5, 0, 1};
        if (has_imm) {
            ins_r(b, 0, W, 0xc1, ext[base - 0x74], RAX);
            b1(b, (u32)iv & (is64 ? 63 : 31));
        } else {
            RHS_RCX();
            ins_r(b, 0, W, 0xd3, ext[base - 0x74], RAX);
        }
        st(b, RAX, d);
        return true;
    }
    if (base >= 0x6d && base <= 0x70 && !has_imm) {  /* div_s div_u rem_s rem_u */
        emit_divrem(c, base, W, bs);
        st(b, RAX, d);
        return true;
    }
#undef RHS_RCX
    return false;
}

/* Integer unary ops, conversions that are moves or sign extensions, float bit ops. */
static bool emit_int_un(jc *c, u32 op, u64 w)
{
    jbuf *b = &c->b;
    u32 d = D_(w), a = A_(w);
    switch (op) {
    case 0x45: case 0x50:  /* eqz */
        ld(b, op == 0x50, RAX, a);
        ins_r(b, 0, op == 0x50, 0x85, RAX, RAX);
        ins_r(b, 0, 0, 0x0f94, 0, RAX);
        ins_r(b, 0, 0, 0x0fb6, RAX, RAX);
        break;
    case 0x67: case 0x79: {  /* clz */
        int W = op == 0x79;
        ld(b, W, RAX, a);
        mov_ri(b, RCX, W ? 127 : 63);
        ins_r(b, 0, W, 0x0fbd, RAX, RAX);   /* bsr */
        ins_r(b, 0, 0, 0x0f44, RAX, RCX);   /* cmovz eax, ecx */
        alu_i(b, 0, 6, RAX, W ? 63 : 31);   /* xor */
        break;
    }
    case 0x68: case 0x7a: {  /* ctz */
        int W = op == 0x7a;
        ld(b, W, RAX, a);
        mov_ri(b, RCX, W ? 64 : 32);
        ins_r(b, 0, W, 0x0fbc, RAX, RAX);   /* bsf */
        ins_r(b, 0, W, 0x0f44, RAX, RCX);
        break;
    }
    case 0x69: case 0x7b:  /* popcnt */
        if (!__builtin_cpu_supports("popcnt"))
            return false;
        ins_m(b, 0xf3, op == 0x7b, 0x0fb8, RAX, RBX, NOX, 0, SL(a));
        break;
    case 0xa7: case 0xad:  /* wrap, extend_u: the low 32 bits */
        ld(b, 0, RAX, a);
        break;
    case 0xbc: case 0xbd: case 0xbe: case 0xbf:  /* reinterprets copy the slot */
        ld(b, 1, RAX, a);
        break;
    case 0xac: case 0xc4:  /* extend_i32_s, i64.extend32_s */
        ins_m(b, 0, 1, 0x63, RAX, RBX, NOX, 0, SL(a));
        break;
    case 0xc0: case 0xc1: case 0xc2: case 0xc3:
        ins_m(b, 0, op >= 0xc2, (op & 1) ? 0x0fbf : 0x0fbe, RAX, RBX, NOX, 0, SL(a));
        break;
    case 0x8b: case 0x8c:  /* f32 abs, neg */
        ld(b, 0, RAX, a);
        alu_i(b, 0, op == 0x8b ? 4 : 6, RAX, op == 0x8b ? 0x7fffffffu : 0x80000000u);
        break;
    case 0x99: case 0x9a:  /* f64 abs, neg: btr / btc rax, 63 */
        ld(b, 1, RAX, a);
        ins_r(b, 0, 1, 0x0fba, op == 0x99 ? 6 : 7, RAX);
        b1(b, 63);
        break;
    default:
        return false;
    }
    st(b, RAX, d);
    return true;
}

/* Float ops done inline with SSE2; the rest go to wasm_exec_numeric. */
static bool emit_float(jc *c, u32 op, u64 w)
{
    jbuf *b = &c->b;
    u32 d = D_(w), a = A_(w), bs = B_(w);
    bool is64 = op >= 0x9b;
    u32 pfx = is64 ? 0xf2 : 0xf3;
    static const u32 arith[4] = {0x0f58, 0x0f5c, 0x0f59, 0x0f5e};  /* add sub mul div */
    u32 base = is64 ? op - 0xa0 : op - 0x92;
    if ((op >= 0x92 && op <= 0x95) || (op >= 0xa0 && op <= 0xa3) || op == 0x91 || op == 0x9f) {
        ins_m(b, pfx, 0, 0x0f10, 0, RBX, NOX, 0, SL(a));           /* movs[sd] xmm0, [a] */
        if (op == 0x91 || op == 0x9f)
            ins_r(b, pfx, 0, 0x0f51, 0, 0);                        /* sqrt xmm0, xmm0 */
        else
            ins_m(b, pfx, 0, arith[base], 0, RBX, NOX, 0, SL(bs));
        if (is64) {
            ins_m(b, pfx, 0, 0x0f11, 0, RBX, NOX, 0, SL(d));
        } else {
            ins_r(b, 0x66, 0, 0x0f7e, 0, RAX);                     /* movd eax, xmm0 */
            st(b, RAX, d);
        }
        return true;
    }
    if ((op >= 0x5b && op <= 0x60) || (op >= 0x61 && op <= 0x66)) {  /* compares */
        bool f64 = op >= 0x61;
        u32 k = f64 ? op - 0x61 : op - 0x5b;  /* eq ne lt gt le ge */
        u32 ld_op = 0x0f10, p2 = f64 ? 0xf2 : 0xf3, ucom = 0x0f2e;
        u32 pu = f64 ? 0x66 : 0;
        /* lt/le swap operands so that unordered gives false through CF (seta / setae). */
        bool swap = k == 2 || k == 4;
        ins_m(b, p2, 0, ld_op, 0, RBX, NOX, 0, SL(swap ? bs : a));
        ins_m(b, pu, 0, ucom, 0, RBX, NOX, 0, SL(swap ? a : bs));
        if (k == 0 || k == 1) {
            ins_r(b, 0, 0, 0x0f90 + (k ? CC_NE : CC_E), 0, RAX);
            ins_r(b, 0, 0, 0x0f90 + (k ? CC_P : CC_NP), 0, RCX);
            ins_r(b, 0, 0, k ? 0x08 : 0x20, RCX, RAX);             /* or/and al, cl */
        } else {
            ins_r(b, 0, 0, 0x0f90 + (k == 2 || k == 3 ? CC_A : CC_AE), 0, RAX);
        }
        ins_r(b, 0, 0, 0x0fb6, RAX, RAX);
        st(b, RAX, d);
        return true;
    }
    if (op == 0xb7 || op == 0xb8 || op == 0xb9 || op == 0xb2 || op == 0xb3 || op == 0xb4) {
        /* i32_s / u32 / i64_s -> f64 or f32 */
        bool to64 = op >= 0xb7;
        u32 sub = to64 ? op - 0xb7 : op - 0xb2;
        if (sub == 0)
            ins_m(b, 0, 1, 0x63, RAX, RBX, NOX, 0, SL(a));  /* movsxd */
        else
            ld(b, sub == 2, RAX, a);
        ins_r(b, 0, 0, 0x0f57, 0, 0);                          /* xorps xmm0, xmm0 */
        ins_r(b, to64 ? 0xf2 : 0xf3, 1, 0x0f2a, 0, RAX);       /* cvtsi2s[sd] xmm0, rax */
        if (to64) {
            ins_m(b, 0xf2, 0, 0x0f11, 0, RBX, NOX, 0, SL(d));
        } else {
            ins_r(b, 0x66, 0, 0x0f7e, 0, RAX);
            st(b, RAX, d);
        }
        return true;
    }
    if (op == 0xbb || op == 0xb6) {  /* promote / demote */
        ins_m(b, op == 0xbb ? 0xf3 : 0xf2, 0, 0x0f10, 0, RBX, NOX, 0, SL(a));
        ins_r(b, op == 0xbb ? 0xf3 : 0xf2, 0, 0x0f5a, 0, 0);
        if (op == 0xbb) {
            ins_m(b, 0xf2, 0, 0x0f11, 0, RBX, NOX, 0, SL(d));
        } else {
            ins_r(b, 0x66, 0, 0x0f7e, 0, RAX);
            st(b, RAX, d);
        }
        return true;
    }
    return false;
}

/* Any numeric op through the C helper (float min/max/rounding, truncations, ...). */
static void emit_numeric_call(jc *c, u64 w, bool is_binary, bool may_trap)
{
    jbuf *b = &c->b;
    ins_r(b, 0, 1, 0x8b, RDI, R14);
    mov_ri(b, RSI, w);
    ld(b, 1, RDX, A_(w));
    if (is_binary)
        ld(b, 1, RCX, B_(w));
    call_c(c, (const void *)wasm_exec_numeric);
    st(b, RAX, D_(w));
    if (may_trap) {
        ins_m(b, 0, 0, 0x83, 7, R14, NOX, 0, CTX(pending));
        b1(b, 0);
        trap_if(c, CC_NE, TK_PENDING);
    }
}

/* Numeric ops 0x45..0xc4, OP_IMM forms, MADD, saturating truncations. */
static bool emit_numeric(jc *c, const lc_wasm_word *p, u32 *n)
{
    u64 w = p[0].u;
    u32 op = (u32)(w & (OP_COUNT - 1));
    jbuf *b = &c->b;
    *n = 1;
    if (op >= OP_IMM && op < OP_IMM + 0x100) {
        *n = 2;
        return emit_int_bin(c, op - OP_IMM, w, &p[1]);
    }
    if (op == OP_MADD32 || op == OP_MADD64) {
        int W = op == OP_MADD64;
        ld(b, W, RAX, A_(w));
        alu_s(b, W, 0x0faf, RAX, B_(w));
        alu_s(b, W, 0x03, RAX, (u32)p[1].u);
        st(b, RAX, D_(w));
        *n = 2;
        return true;
    }
    if (op == OP_MADDF64) {
        ins_m(b, 0xf2, 0, 0x0f10, 0, RBX, NOX, 0, SL(A_(w)));
        ins_m(b, 0xf2, 0, 0x0f59, 0, RBX, NOX, 0, SL(B_(w)));
        ins_m(b, 0xf2, 0, 0x0f58, 0, RBX, NOX, 0, SL((u32)p[1].u));
        ins_m(b, 0xf2, 0, 0x0f11, 0, RBX, NOX, 0, SL(D_(w)));
        *n = 2;
        return true;
    }
    if (op >= OP_FC_BASE && op <= OP_FC_BASE + 7) {
        emit_numeric_call(c, w, false, false);
        return true;
    }
    if (op < 0x45 || op > 0xc4)
        return false;
    if (emit_int_bin(c, op, w, NULL) || emit_int_un(c, op, w) || emit_float(c, op, w))
        return true;
    bool is_binary = (op >= 0x5b && op <= 0x66) || (op >= 0x92 && op <= 0x98) ||
                     (op >= 0xa0 && op <= 0xa6);
    bool may_trap = (op >= 0xa8 && op <= 0xab) || (op >= 0xae && op <= 0xb1);
    emit_numeric_call(c, w, is_binary, may_trap);
    return true;
}

/* A call to ci->funcs[index] (UINT32_MAX: ctx->pending_func) through the interpreter. */
static void emit_call_slow(jc *c, u32 args, u32 index)
{
    jbuf *b = &c->b;
    set_trap_func(c);
    stc(b, R15, CTX(fuel));
    ins_r(b, 0, 1, 0x8b, RDI, R14);
    ins_m(b, 0, 1, 0x8d, RSI, RBX, NOX, 0, SL(args));
    mov_ri(b, RDX, index);
    ins_r(b, 0, 1, 0x8b, RCX, RSP);
    call_c(c, (const void *)wasm_exec_call_slow);
    ldc(b, R15, CTX(fuel));
    reload_mem(c);
    ins_r(b, 0, 0, 0x85, RAX, RAX);
    trap_if(c, CC_NE, TK_RET);
}

/* push rbx; lea rbx,[rbx+args*8]; call <target>; pop rbx; test eax,eax; jnz ret */
static void call_native_head(jc *c, u32 args)
{
    b1(&c->b, 0x53);
    ins_m(&c->b, 0, 1, 0x8d, RBX, RBX, NOX, 0, SL(args));
}
static void call_native_tail(jc *c)
{
    b1(&c->b, 0x5b);
    ins_r(&c->b, 0, 0, 0x85, RAX, RAX);
    trap_if(c, CC_NE, TK_RET);
}

static void emit_call_indirect(jc *c, u64 w, const lc_wasm_word *p)
{
    jbuf *b = &c->b;
    set_trap_func(c);
    ins_r(b, 0, 1, 0x8b, RDI, R14);
    ld(b, 0, RSI, B_(w));
    mov_ri(b, RDX, p[1].u | p[2].u << 32);
    call_c(c, (const void *)wasm_exec_indirect);
    ins_r(b, 0, 1, 0x83, 7, RAX);
    b1(b, 1);
    trap_if(c, CC_B, TK_PENDING);
    b1(b, 0x74);  /* je slow */
    size_t jslow = b->len;
    b1(b, 0);
    call_native_head(c, A_(w));
    ins_r(b, 0, 0, 0xff, 2, RAX);  /* call rax */
    call_native_tail(c);
    b1(b, 0xe9);  /* jmp done */
    size_t jdone = b->len;
    b4(b, 0);
    if (!b->is_oom)
        b->p[jslow] = (u8)(b->len - jslow - 1);
    emit_call_slow(c, A_(w), UINT32_MAX);
    patch4(b, jdone, (u32)(b->len - jdone - 4));
}

static void emit_br_table(jc *c, const lc_wasm_word *p, u32 pos)
{
    jbuf *b = &c->b;
    u64 w = p[0].u;
    u32 count = (u32)p[1].u;
    ld(b, 0, RAX, A_(w));
    mov_ri(b, RCX, count);
    ins_r(b, 0, 0, 0x3b, RAX, RCX);
    ins_r(b, 0, 0, 0x0f47, RAX, RCX);              /* cmova eax, ecx */
    b1(b, 0x48); b1(b, 0x8d); b1(b, 0x0d);         /* lea rcx, [rip + table] */
    b4(b, 0);                                      /* patched below */
    size_t lea_end = b->len;
    ins_m(b, 0, 1, 0x63, RAX, RCX, RAX, 2, 0);     /* movsxd rax, [rcx + rax*4] */
    ins_r(b, 0, 1, 0x03, RAX, RCX);                /* add rax, rcx */
    ins_r(b, 0, 0, 0xff, 4, RAX);                  /* jmp rax */
    size_t table = b->len;
    patch4(b, lea_end - 4, (u32)(table - lea_end));
    for (u32 i = 0; i <= count; i++)
        b4(b, 0);
    for (u32 i = 0; i <= count; i++) {
        patch4(b, table + 4 * i, (u32)(b->len - table));
        const lc_wasm_word *e = p + 2 + 2 * i;
        u32 dst = (u32)e[0].u;
        if (dst != D_(w))
            move_slots(c, dst, D_(w), B_(w));
        taken(c, pos + 3 + 2 * i + (u32)(i32)e[1].i);
    }
}

/* Control ops; returns words used or 0 if op is not a control op. */
static u32 emit_control(jc *c, const lc_wasm_word *p, u32 pos)
{
    jbuf *b = &c->b;
    u64 w = p[0].u;
    u32 op = (u32)(w & (OP_COUNT - 1));
    switch (op) {
    case OP_UNREACHABLE: jmp_to(c, &c->traps, TK_UNREACHABLE); return 1;
    case OP_FUEL: return 1;
    case OP_BR: taken(c, pos + 1 + (u32)(i32)p[1].i); return 2;
    case OP_BR_IF: case OP_BR_UNLESS:
        ins_m(b, 0, 0, 0x83, 7, RBX, NOX, 0, SL(A_(w)));
        b1(b, 0);
        if (op == OP_BR_IF)
            cond_branch(c, CC_NE, pos + 1 + (u32)(i32)p[1].i);
        else  /* the `if` op: no fuel */
            jcc_to(c, CC_E, &c->labels, pos + 1 + (u32)(i32)p[1].i);
        return 2;
    case OP_BR_MOVE:
        move_slots(c, D_(w), A_(w), B_(w));
        taken(c, pos + 1 + (u32)(i32)p[1].i);
        return 2;
    case OP_BR_IF_MOVE: {
        ins_m(b, 0, 0, 0x83, 7, RBX, NOX, 0, SL((u32)p[1].u));
        b1(b, 0);
        b1(b, 0x0f); b1(b, 0x84);  /* je skip (rel32) */
        size_t j = b->len;
        b4(b, 0);
        move_slots(c, D_(w), A_(w), B_(w));
        taken(c, pos + 2 + (u32)(i32)p[2].i);
        patch4(b, j, (u32)(b->len - j - 4));
        return 3;
    }
    case OP_BR_TABLE: emit_br_table(c, p, pos); return 4 + 2 * (u32)p[1].u;
    case OP_RETURN:
        move_slots(c, 0, A_(w), B_(w));
        ins_r(b, 0, 0, 0x31, RAX, RAX);
        b1(b, 0xc3);
        return 1;
    case OP_CALL: {
        u32 f = (u32)p[1].u;
        if (f < c->m->func_import_count) {
            emit_call_slow(c, A_(w), f);
        } else {
            call_native_head(c, A_(w));
            b1(b, 0xe8);
            fx_add(&c->calls, (u32)b->len, f);
            b4(b, 0);
            call_native_tail(c);
        }
        return 2;
    }
    case OP_CALL_INDIRECT: emit_call_indirect(c, w, p); return 3;
    default: return 0;
    }
}

/* Variables, constants, select, memory size and the rare ops through wasm_exec_misc. */
static u32 emit_misc(jc *c, const lc_wasm_word *p)
{
    jbuf *b = &c->b;
    u64 w = p[0].u;
    u32 op = (u32)(w & (OP_COUNT - 1));
    switch (op) {
    case OP_MOV:
        ld(b, 1, RAX, A_(w));
        st(b, RAX, D_(w));
        return 1;
    case OP_CONST:
        if (fits_i32(p[1].u)) {
            ins_m(b, 0, 1, 0xc7, 0, RBX, NOX, 0, SL(D_(w)));
            b4(b, (u32)p[1].u);
        } else {
            mov_ri(b, RAX, p[1].u);
            st(b, RAX, D_(w));
        }
        return 2;
    case OP_SELECT:
        ld(b, 1, RAX, A_(w));
        ins_m(b, 0, 0, 0x83, 7, RBX, NOX, 0, SL((u32)p[1].u));
        b1(b, 0);
        ins_m(b, 0, 1, 0x0f44, RAX, RBX, NOX, 0, SL(B_(w)));  /* cmove rax, [b] */
        st(b, RAX, D_(w));
        return 2;
    case OP_GLOBAL_GET: case OP_GLOBAL_SET:
        if (p[1].u > 0x0fffffffu)
            return 0;
        ldc(b, RCX, CTX(globals));
        ins_m(b, 0, 1, 0x8b, RCX, RCX, NOX, 0, (i32)(p[1].u * 8));
        if (op == OP_GLOBAL_GET) {
            ins_m(b, 0, 1, 0x8b, RAX, RCX, NOX, 0, 0);
            st(b, RAX, D_(w));
        } else {
            ld(b, 1, RAX, A_(w));
            ins_m(b, 0, 1, 0x89, RAX, RCX, NOX, 0, 0);
        }
        return 2;
    case OP_MEMORY_SIZE:
        ins_r(b, 0, 1, 0x8b, RAX, R13);
        ins_r(b, 0, 1, 0xc1, 5, RAX);
        b1(b, 16);
        st(b, RAX, D_(w));
        return 1;
    default: break;
    }
    u32 n;
    if (op == OP_TABLE_GET || op == OP_TABLE_SET || op == OP_MEMORY_GROW + 0 ||
        op == OP_REF_FUNC) {
        n = op == OP_MEMORY_GROW ? 1 : 2;
    } else if (op >= OP_FC_BASE + 8 && op <= OP_FC_BASE + 17) {
        static const u8 len[10] = {2, 2, 1, 1, 3, 2, 3, 2, 2, 2};
        n = len[op - OP_FC_BASE - 8];
    } else {
        return 0;
    }
    set_trap_func(c);
    ins_r(b, 0, 1, 0x8b, RDI, R14);
    ins_r(b, 0, 1, 0x8b, RSI, RBX);
    mov_ri(b, RDX, (u64)(uintptr_t)p);
    call_c(c, (const void *)wasm_exec_misc);
    reload_mem(c);
    ins_r(b, 0, 0, 0x85, RAX, RAX);
    trap_if(c, CC_NE, TK_EAX);
    return n;
}

/* One op at code[pos]; returns words used, 0 if refused. */
static u32 emit_one(jc *c, const lc_wasm_word *code, u32 pos)
{
    const lc_wasm_word *p = code + pos;
    u32 op = (u32)(p->u & (OP_COUNT - 1)), n;
    if ((n = emit_control(c, p, pos)))
        return n;
    if (op >= OP_BRC && op < OP_BRCI + 12)
        return emit_brc(c, p, pos);
    if ((op >= OP_BRCA && op < OP_BRCAI + 12) || (op >= OP_BRCAS && op < OP_BRCASI + 12))
        return emit_brc(c, p, pos);
    if ((op >= 0x28 && op <= 0x35) || (op >= OP_LDX && op < OP_LDI + 14))
        return emit_load(c, p);
    if ((op >= 0x36 && op <= 0x3e) || (op >= OP_IMM + 0x36 && op <= OP_IMM + 0x3e) ||
        (op >= OP_STX && op < OP_STI + 9) || (op >= OP_STXK && op < OP_STXK + 9))
        return emit_store(c, p);
    if ((n = emit_misc(c, p)))
        return n;
    if (emit_numeric(c, p, &n))
        return n;
    return 0;
}

/* ------------------------------------------------------------ functions ------------------- */

/* Trap stubs and the return stub at the end of the function; resolves this function's
 * label and trap fixups. */
static void finish_function(jc *c, u32 code_len)
{
    jbuf *b = &c->b;
    u32 stub[TK_COUNT];
    stub[TK_RET] = (u32)b->len;
    b1(b, 0xc3);
    size_t common = 0;
    for (u32 k = 0; k < TK_COUNT; k++) {
        if (k == TK_RET)
            continue;
        stub[k] = (u32)b->len;
        if (k == TK_FUEL)
            ins_r(b, 0, 0, 0x31, R15, R15);  /* fuel stays 0, as in the interpreter */
        if (k == TK_PENDING)
            ins_m(b, 0, 0, 0x8b, RAX, R14, NOX, 0, CTX(pending));
        else if (k != TK_EAX)
            mov_ri(b, RAX, (u32)tk_code[k]);
        if (k == 0) {
            common = b->len;
            set_trap_func(c);
            b1(b, 0xc3);
        } else {
            b1(b, 0xe9);
            b4(b, (u32)(common - (b->len + 4)));
        }
    }
    for (u32 i = 0; i < c->traps.n; i++)
        patch4(b, c->traps.v[i].at, stub[c->traps.v[i].target] - (c->traps.v[i].at + 4));
    for (u32 i = 0; i < c->labels.n; i++) {
        u32 t = c->labels.v[i].target;
        LC_ASSERT(t <= code_len && c->at[t] != UINT32_MAX);
        patch4(b, c->labels.v[i].at, c->at[t] - (c->labels.v[i].at + 4));
    }
    c->traps.n = 0;
    c->labels.n = 0;
}

/* Checked entry (fuel, depth, value stack) then the body entry (zeroes the locals). */
static void emit_prologue(jc *c, const lc_wasm_code *fn, u32 *out_body)
{
    jbuf *b = &c->b;
    charge(c);
    ins_m(b, 0, 1, 0x3b, RSP, R14, NOX, 0, CTX(rsp_limit));   /* cmp rsp, [limit] */
    trap_if(c, CC_B, TK_STACK);
    u64 frame = (u64)fn->local_count + fn->max_height;
    ins_m(b, 0, 1, 0x8d, RAX, RBX, NOX, 0, (i32)(frame * 8));
    ins_m(b, 0, 1, 0x3b, RAX, R14, NOX, 0, CTX(stack_end));
    trap_if(c, CC_A, TK_STACK);
    *out_body = (u32)b->len;
    const lc_wasm_type *ty = &c->m->types[fn->type_index];
    u32 first = ty->param_count, n = fn->local_count - first;
    if (n == 0)
        return;
    ins_r(b, 0, 0, 0x31, RAX, RAX);
    if (n <= 8) {
        for (u32 k = 0; k < n; k++)
            st(b, RAX, first + k);
        return;
    }
    ins_m(b, 0, 1, 0x8d, RDI, RBX, NOX, 0, SL(first));
    mov_ri(b, RCX, n);
    b1(b, 0xf3); b1(b, 0x48); b1(b, 0xab);  /* rep stosq */
}

/* Prologue and every op of fn; use_cache enables the register cache (needs is_target). */
static void emit_body(jc *c, const lc_wasm_code *fn, u32 *out_body, bool use_cache)
{
    jbuf *b = &c->b;
    emit_prologue(c, fn, out_body);
    for (u32 pos = 0; pos < fn->code_len && !c->is_bad;) {
        c->at[pos] = (u32)b->len;
        b->is_cache = use_cache && !c->is_target[pos] && b->st_end == b->len;
        b->cache_slot = b->st_slot;
        b->op_start = b->len;
        u32 n = emit_one(c, fn->code, pos);
        b->is_cache = false;
        if (n == 0)
            c->is_bad = true;
        pos += n;
    }
    c->at[fn->code_len] = (u32)b->len;
}

/* Compiles one function; on refusal the buffer is rolled back and a thunk that calls the
 * interpreter takes its place (full entry only). */
static void compile_function(jc *c, u32 ci_index, wasm_jit *j)
{
    const lc_wasm_code *fn = &c->m->codes[ci_index];
    jbuf *b = &c->b;
    size_t start = b->len;
    u32 calls_start = c->calls.n;
    c->fn = fn;
    c->func_index = ci_index + c->m->func_import_count;
    c->is_bad = (u64)fn->local_count + fn->max_height > 0x0fffffffu / 8;
    u32 body = 0;
    if (!c->is_bad) {
        c->at = lc_alloc(((size_t)fn->code_len + 1) * sizeof(u32));
        c->is_target = lc_calloc((size_t)fn->code_len + 1, 1);
        c->is_bad = !c->at || !c->is_target;
    }
    /* Pass 1 finds the branch targets, pass 2 emits with the register cache. */
    for (int pass = 1; pass <= 2 && !c->is_bad; pass++) {
        b->len = start;
        c->calls.n = calls_start;
        c->labels.n = c->traps.n = 0;
        memset(c->at, 0xff, ((size_t)fn->code_len + 1) * sizeof(u32));
        emit_body(c, fn, &body, pass == 2);
        if (pass == 1 && !c->is_bad) {
            for (u32 i = 0; i < c->labels.n; i++)
                c->is_target[c->labels.v[i].target] = 1;
        }
    }
    if (!c->is_bad)
        finish_function(c, fn->code_len);
    lc_free(c->at);
    lc_free(c->is_target);
    c->at = NULL;
    c->is_target = NULL;
    c->labels.n = c->traps.n = 0;
    if (c->is_bad) {
        b->len = start;
        c->calls.n = calls_start;
        j->full_off[ci_index] = (u32)b->len;
        j->body_off[ci_index] = UINT32_MAX;
        /* thunk: the caller's frame rsp is ours + 16 (pushed rbx, return address) */
        set_trap_func(c);
        stc(b, R15, CTX(fuel));
        ins_r(b, 0, 1, 0x8b, RDI, R14);
        ins_r(b, 0, 1, 0x8b, RSI, RBX);
        mov_ri(b, RDX, c->func_index);
        ins_m(b, 0, 1, 0x8d, RCX, RSP, NOX, 0, 16);
        call_c(c, (const void *)wasm_exec_call_slow);
        ldc(b, R15, CTX(fuel));
        reload_mem(c);
        b1(b, 0xc3);
        return;
    }
    j->full_off[ci_index] = (u32)start;
    j->body_off[ci_index] = body;
}

/* The entry trampoline at offset 0: int enter(u64 *fp, wasm_jit_ctx *ctx, void *target). */
static void emit_trampoline(jbuf *b)
{
    static const u8 pro[] = {0x55, 0x53, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
    for (size_t i = 0; i < sizeof(pro); i++)
        b1(b, pro[i]);
    ins_r(b, 0, 1, 0x83, 5, RSP);  /* sub rsp, 8 */
    b1(b, 8);
    ins_r(b, 0, 1, 0x8b, RBX, RDI);
    ins_r(b, 0, 1, 0x8b, R14, RSI);
    ldc(b, R12, CTX(mem));
    ldc(b, R13, CTX(mem_size));
    ldc(b, R15, CTX(fuel));
    ins_m(b, 0, 1, 0x8d, RAX, RSP, NOX, 0, -8);  /* rsp in the entered function */
    stc(b, RAX, CTX(rsp_base));
    ldc(b, RCX, CTX(levels));
    ins_r(b, 0, 1, 0xc1, 4, RCX);                 /* shl rcx, 4 */
    b1(b, 4);
    ins_r(b, 0, 1, 0x2b, RAX, RCX);               /* sub rax, rcx */
    ins_m(b, 0, 1, 0x3b, RAX, R14, NOX, 0, CTX(rsp_floor));
    ins_m(b, 0, 1, 0x0f42, RAX, R14, NOX, 0, CTX(rsp_floor));  /* cmovb */
    stc(b, RAX, CTX(rsp_limit));
    ins_r(b, 0, 0, 0xff, 2, RDX);                 /* call rdx */
    stc(b, R15, CTX(fuel));
    ins_r(b, 0, 1, 0x83, 0, RSP);
    b1(b, 8);
    static const u8 epi[] = {0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5b, 0x5d, 0xc3};
    for (size_t i = 0; i < sizeof(epi); i++)
        b1(b, epi[i]);
    while (b->len % 16)
        b1(b, 0xcc);
}

static void jc_free(jc *c)
{
    lc_free(c->b.p);
    lc_free(c->labels.v);
    lc_free(c->traps.v);
    lc_free(c->calls.v);
}

void wasm_jit_free(wasm_jit *j)
{
    if (!j)
        return;
    if (j->code)
        munmap(j->code, j->size);
    lc_free(j->full_off);
    lc_free(j->body_off);
    lc_free(j);
}

/* Copies the code into a fresh mapping and makes it read+execute. */
static bool jit_map(wasm_jit *j, const jbuf *b)
{
    size_t size = (b->len + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    memcpy(p, b->p, b->len);
    if (mprotect(p, size, PROT_READ | PROT_EXEC) != 0) {
        munmap(p, size);
        return false;
    }
    j->code = p;
    j->size = size;
    return true;
}

void wasm_jit_compile(lc_wasm_module *m)
{
    if (!m->code_count || !wasm_jit_enabled())
        return;
    wasm_jit *j = lc_calloc(1, sizeof(*j));
    jc c = {.m = m};
    if (!j)
        return;
    j->full_off = lc_alloc(m->code_count * sizeof(u32));
    j->body_off = lc_alloc(m->code_count * sizeof(u32));
    if (!j->full_off || !j->body_off)
        goto fail;
    emit_trampoline(&c.b);
    for (u32 i = 0; i < m->code_count && !c.b.is_oom; i++)
        compile_function(&c, i, j);
    for (u32 i = 0; i < c.calls.n; i++) {
        u32 f = c.calls.v[i].target - m->func_import_count;
        patch4(&c.b, c.calls.v[i].at, j->full_off[f] - (c.calls.v[i].at + 4));
    }
    if (c.b.is_oom || c.labels.is_oom || c.traps.is_oom || c.calls.is_oom || c.b.len > 1u << 30)
        goto fail;
    if (!jit_map(j, &c.b))
        goto fail;
    jc_free(&c);
    m->jit = j;
    return;
fail:
    jc_free(&c);
    wasm_jit_free(j);
}

int wasm_jit_enter(const wasm_jit *j, u64 *fp, wasm_jit_ctx *ctx, const void *target)
{
    int (*fn)(u64 *, wasm_jit_ctx *, const void *);
    void *entry = j->code;
    memcpy(&fn, &entry, sizeof(fn));
    return fn(fp, ctx, target);
}

#else /* no native code generator for this platform */

bool wasm_jit_enabled(void) { return false; }
void wasm_jit_compile(lc_wasm_module *m) { (void)m; }
void wasm_jit_free(wasm_jit *j) { LC_ASSERT(j == NULL); }
int wasm_jit_enter(const wasm_jit *j, u64 *fp, wasm_jit_ctx *ctx, const void *target)
{
    (void)j, (void)fp, (void)ctx, (void)target;
    LC_ASSERT(!"no JIT on this platform");
    return LC_ETRAP_UNREACHABLE;
}

#endif
