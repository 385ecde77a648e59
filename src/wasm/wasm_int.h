/*
 * wasm/wasm_int.h — private structures shared by decode.c, compile.c, exec.c and instance.c.
 *
 * Pipeline: decode.c reads the sections into lc_wasm_module (types, imports, functions, ...);
 * compile.c validates each function body and, in the same pass, emits its internal code;
 * instance.c builds instances; exec.c runs the internal code; jit.c translates the internal
 * code of a module into x86-64 machine code at load time (same frames, same semantics).
 *
 * Internal code ("lc_wasm_word" stream). A function is an array of 64-bit words: an opcode
 * word followed by its immediates. Opcodes reuse the wasm byte values where an instruction
 * maps one-to-one (numeric ops, loads/stores, local/global access); control flow becomes the
 * few OP_* below with branch targets resolved at compile time to word offsets relative to
 * the word holding the offset. Operand values live in u64 slots; because wasm stack heights
 * are static, every operand has a fixed frame-relative home slot and instructions address
 * slots directly (no run-time stack pointer); branches that must move values carry source
 * and destination slots, so the interpreter never consults a control stack.
 *
 * Frame layout (slots, fp = frame pointer):
 *   fp[0 .. param_count)         arguments (pushed by the caller; results are written back
 *                                to fp[0 .. result_count) on return)
 *   fp[param_count .. local_count) zero-initialised locals
 *   fp[local_count .. +max_height) operand stack
 */
#ifndef LC_WASM_WASM_INT_H
#define LC_WASM_WASM_INT_H

#include "base/assert.h"
#include "base/error.h"
#include "base/types.h"
#include "wasm/wasm.h"

#define LC_WASM_PAGE_SIZE 65536u
#define LC_WASM_PAGES_MAX 65536u
/* Anything above these is refused while decoding (bounds decode work on untrusted input). */
#define LC_WASM_DECODE_COUNT_MAX 1000000u
#define LC_WASM_LOCALS_MAX 50000u
#define LC_WASM_BLOCK_DEPTH_MAX 10000u
#define LC_WASM_FUNC_VALUES_MAX 1000u

typedef union lc_wasm_word {
    u64 u;
    i64 i;
    const void *p;
} lc_wasm_word;

/* Internal opcodes. An op word is  opcode | d << 16 | a << 32 | b << 48  where d is the
 * result slot and a, b operand slots (frame-relative, 16 bits each); further immediates
 * follow in their own words. Opcodes reuse the wasm byte where an instruction maps
 * one-to-one (numeric ops: d a b; loads: d a [offset]; stores: a=addr b=value [offset]).
 * Branch offsets are relative to the word holding them. */
enum {
    OP_UNREACHABLE = 0x00,
    OP_BR_MOVE = 0x01,     /* d=dst a=src b=n [offset] */
    OP_BR_IF_MOVE = 0x02,  /* d=dst a=src b=n [cond slot] [offset] */
    OP_BR_UNLESS = 0x03,   /* a=cond [offset] */
    OP_FUEL = 0x04,        /* loop header: charge one unit */
    OP_MOV = 0x05,         /* d a */
    OP_BR = 0x0c,          /* [offset] */
    OP_BR_IF = 0x0d,       /* a=cond [offset] */
    OP_BR_TABLE = 0x0e,    /* d=src a=index b=n [count] then count+1 x ([dst] [offset]) */
    OP_RETURN = 0x0f,      /* a=src b=n */
    OP_CALL = 0x10,        /* a=args base [func index] */
    OP_CALL_INDIRECT = 0x11, /* a=args base b=index slot [type index] [table index] */
    OP_SELECT = 0x1b,      /* d a b [cond slot] */
    OP_GLOBAL_GET = 0x23,  /* d [global index] */
    OP_GLOBAL_SET = 0x24,  /* a [global index] */
    OP_TABLE_GET = 0x25,   /* d a=index [table] */
    OP_TABLE_SET = 0x26,   /* a=index b=value [table] */
    OP_MEMORY_SIZE = 0x3f, /* d */
    OP_MEMORY_GROW = 0x40, /* d a */
    OP_CONST = 0x41,       /* d [value] */
    OP_REF_FUNC = 0xd2,    /* d [func index] */
    OP_FC_BASE = 0xe0,     /* 0xfc sub-op n becomes OP_FC_BASE + n (n <= 17); bulk ops take
                            * a = base of 3 consecutive operand slots */
    OP_IMM = 0x100,        /* OP_IMM + binop: d a, b is the [imm] word */
    /* Compare-and-branch: OP_BRC + k, a b [offset]; OP_BRCI + k, a [imm] [offset]. k is
     * i32 compare opcode - 0x45 (0 eqz .. 10 ge_u) or 11 for "nez". */
    OP_BRC = 0x1a0,
    OP_BRCI = 0x1c0,
    /* Loads whose address is an i32.add: OP_LDX + (load - 0x28): d a b [offset], address
     * (u32)(a + b); OP_LDI + (load - 0x28): d a [imm] [offset], address (u32)(a + imm). */
    OP_LDX = 0x1d0,
    OP_LDI = 0x1e0,
    /* i32.add-immediate then compare-and-branch on its result: OP_BRCA + k, d a b [add imm]
     * [offset] (fp[d] = a + imm; branch if cmp_k(fp[d], fp[b])); OP_BRCAI + k, d a [add imm]
     * [cmp imm] [offset]. */
    OP_BRCA = 0x200,
    OP_BRCAI = 0x210,
    /* Stores whose address is an i32.add: OP_STX + (store - 0x36): d=value a b [offset];
     * OP_STI + (store - 0x36): d=value a [imm] [offset]. */
    OP_STX = 0x220,
    OP_STI = 0x230,
    /* Multiply-add: a mul whose result is consumed at once by an add of the same type
     * becomes fp[d] = fp[a] * fp[b] + fp[c], d a b [c slot] (f64: two roundings, as wasm). */
    OP_MADD32 = 0x240,
    OP_MADD64 = 0x241,
    OP_MADDF64 = 0x242,
    /* Like OP_BRCA / OP_BRCAI for an i32.add of two slots: OP_BRCAS + k, d a b [add slot]
     * [offset]; OP_BRCASI + k, d a [add slot] [cmp imm] [offset]. */
    OP_BRCAS = 0x250,
    OP_BRCASI = 0x260,
    /* Store of a constant whose address is an i32.add of two slots: OP_STXK + (store -
     * 0x36), a b [offset] [value]. */
    OP_STXK = 0x270,
    OP_COUNT = 0x400,
};

typedef struct lc_wasm_type {
    u8 *params;   /* points into vals */
    u8 *results;
    u32 param_count;
    u32 result_count;
    u64 hash;     /* structural hash, for quick call_indirect checks */
} lc_wasm_type;

typedef struct lc_wasm_import {
    char *module;
    u32 module_len;
    char *name;
    u32 name_len;
    u8 kind;
    u32 type_index;           /* func */
    lc_wasm_tabletype table;
    lc_wasm_memtype memory;
    lc_wasm_globaltype global;
} lc_wasm_import;

typedef struct lc_wasm_export {
    char *name;
    u32 name_len;
    u8 kind;
    u32 index;
} lc_wasm_export;

/* A constant expression, already validated: one instruction. */
typedef struct lc_wasm_constexpr {
    u8 op;        /* 0x41 const (any numeric type), 0xd0 ref.null, 0xd2 ref.func, 0x23 global */
    u64 value;    /* const bits / func index / global index */
} lc_wasm_constexpr;

typedef struct lc_wasm_global_def {
    lc_wasm_globaltype type;
    lc_wasm_constexpr init;
} lc_wasm_global_def;

enum { LC_WASM_SEG_ACTIVE, LC_WASM_SEG_PASSIVE, LC_WASM_SEG_DECLARATIVE };

typedef struct lc_wasm_elem_seg {
    u8 mode;
    u8 elem_type;
    u32 table_index;
    lc_wasm_constexpr offset;
    u32 count;
    lc_wasm_constexpr *items;
} lc_wasm_elem_seg;

typedef struct lc_wasm_data_seg {
    u8 mode;
    u32 memory_index;
    lc_wasm_constexpr offset;
    const u8 *bytes;  /* into module->bytes */
    u32 len;
} lc_wasm_data_seg;

/* A function body as compiled. */
typedef struct lc_wasm_code {
    u32 type_index;
    u32 local_count;   /* params included */
    u32 max_height;    /* operand slots above the locals */
    u8 *local_types;   /* local_count entries */
    lc_wasm_word *code;
    u32 code_len;
    const u8 *body;    /* raw body bytes (locals + expr) in module->bytes */
    u32 body_len;
    char *name;        /* from the name section, or NULL */
} lc_wasm_code;

struct lc_wasm_module {
    u32 refs;
    u8 *bytes;
    size_t len;
    lc_wasm_limits limits;

    lc_wasm_type *types;
    u32 type_count;
    lc_wasm_import *imports;
    u32 import_count;
    u32 func_import_count, table_import_count, memory_import_count, global_import_count;

    u32 *func_types;       /* type index per function (imports first) */
    u32 func_count;
    lc_wasm_tabletype *tables;  /* imports first */
    u32 table_count;
    lc_wasm_memtype *memories;
    u32 memory_count;
    lc_wasm_globaltype *global_types;  /* imports first */
    u32 global_count;
    lc_wasm_global_def *globals;  /* defined globals only */

    lc_wasm_export *exports;
    u32 export_count;
    bool has_start;
    u32 start_index;
    lc_wasm_elem_seg *elems;
    u32 elem_count;
    lc_wasm_data_seg *datas;
    u32 data_count;
    bool has_data_count;
    u32 data_count_decl;
    u8 *declared_refs;   /* func_count flags: may appear in ref.func inside code */
    lc_wasm_code *codes; /* func_count - func_import_count */
    u32 code_count;
    struct wasm_jit *jit; /* native code for the defined functions (jit.c), or NULL */
};

struct lc_wasm_func {
    /* Hot fields for the interpreter's call path, copied from code/type at instantiation. */
    const lc_wasm_word *entry;  /* code->code, NULL for a host function */
    u32 param_count;
    u32 local_count;
    u32 frame_slots;            /* local_count + max_height */
    const lc_wasm_type *type;   /* borrowed from a module or from host_type */
    lc_wasm_instance *inst;     /* owner (for host funcs: the importer) */
    const lc_wasm_code *code;   /* NULL for a host function */
    lc_wasm_host_cb cb;
    void *user_data;
    const void *jit_body;       /* native code after the call checks (jit.c), or NULL */
    const void *jit_full;       /* native entry with fuel/depth/stack checks, or NULL */
    u32 index;
    lc_wasm_type host_type;     /* host functions own their type here */
};

struct lc_wasm_memory {
    u32 refs;
    u8 *data;
    u64 size;     /* bytes */
    u32 pages;
    u32 max_pages;  /* effective cap (declared max or limit) */
    lc_wasm_memtype type;
};

struct lc_wasm_table {
    u32 refs;
    u64 *elems;
    u32 size;
    u32 max;       /* effective cap */
    lc_wasm_tabletype type;
    /* Instances that failed to instantiate after writing their functions into this table
     * (spec 2.0 keeps such writes): kept alive until the table dies. */
    lc_wasm_instance **pins;
    u32 pin_count;
};

struct lc_wasm_global {
    u64 value;     /* first: exec reads *(u64 *)global */
    u32 refs;
    lc_wasm_globaltype type;
};

typedef struct lc_wasm_frame {
    const lc_wasm_word *ret_pc;
    u64 *fp;
    const lc_wasm_func *func;   /* the callee (for trap messages) */
    lc_wasm_instance *caller;   /* instance to resume in */
} lc_wasm_frame;

struct lc_wasm_instance {
    u32 refs;
    const lc_wasm_module *module;
    lc_wasm_limits limits;
    void *user_data;
    u64 fuel;

    lc_wasm_func **funcs;      /* func_count pointers (imported ones may point elsewhere) */
    lc_wasm_func *own_funcs;   /* storage for defined + host-imported funcs */
    lc_wasm_table **tables;
    lc_wasm_memory *memory;    /* memory 0 or NULL */
    lc_wasm_global **globals;
    u64 **elem_items;          /* per element segment, evaluated refs; NULL once dropped */
    u32 *elem_len;
    u8 *data_dropped;
    u8 *table_written;         /* per imported table: an active segment wrote into it */
    u8 *table_weak;            /* per table: reference given up because the table pins us */
    lc_wasm_instance **deps;   /* instances we import from (we hold a reference) */
    u32 dep_count;

    u64 *stack;                /* value stack, allocated on first call */
    u64 *stack_end;
    lc_wasm_frame *frames;
    u64 *stack_top;            /* first free slot while a host callback runs */
    u32 depth;                 /* frames in use across nested lc_wasm_call */
    char trap_msg[200];
};

/* Native code of a module (jit.c): one executable mapping; per defined function the offsets
 * of its checked entry and of its body (UINT32_MAX: left to the interpreter). */
typedef struct wasm_jit {
    u8 *code;
    size_t size;
    u32 *full_off;   /* code_count entries */
    u32 *body_off;
} wasm_jit;

/* The state native code runs with; r14 points at it. Field offsets are used by jit.c. */
typedef struct wasm_jit_ctx {
    u8 *mem;                    /* memory 0 of ci (r12 mirrors it) */
    u64 mem_size;               /* bytes (r13) */
    u64 fuel;                   /* r15 is stored here around helper calls and at exit */
    u64 *stack_end;             /* value stack end */
    uintptr_t rsp_limit;        /* a checked entry traps "stack" below this rsp */
    u64 levels;                 /* nested native frames allowed below the entered one */
    uintptr_t rsp_base;         /* rsp in the entered function: depth = (base - rsp) / 16 */
    uintptr_t rsp_floor;        /* lowest rsp the native stack budget allows */
    lc_wasm_global **globals;   /* ci->globals */
    lc_wasm_instance *inst;     /* instance whose stacks are used (wasm_exec's inst) */
    lc_wasm_instance *ci;       /* instance whose code runs */
    const lc_wasm_func *pending_func; /* call_indirect: callee for the slow path */
    lc_errbuf *eb;
    u32 depth0;                 /* depth index of the entered function */
    u32 trap_func;              /* function index a trap is reported in */
    i32 pending;                /* trap code set by a helper */
    u32 is_formatted;           /* the trap message is already in eb */
} wasm_jit_ctx;

/* A bounded reader over untrusted bytes. The first error sticks (err, msg); later reads
 * return zeros. */
typedef struct wasm_rd {
    const u8 *p;
    const u8 *end;
    int err;
    const char *msg;
} wasm_rd;

void wasm_rd_fail(wasm_rd *r, int err, const char *msg);
u8 wasm_rd_u8(wasm_rd *r);
u32 wasm_rd_u32(wasm_rd *r);
i32 wasm_rd_s32(wasm_rd *r);
i64 wasm_rd_s33(wasm_rd *r);
i64 wasm_rd_s64(wasm_rd *r);
u32 wasm_rd_f32(wasm_rd *r);
u64 wasm_rd_f64(wasm_rd *r);
const u8 *wasm_rd_bytes(wasm_rd *r, u32 n);
static inline bool wasm_rd_eof(const wasm_rd *r) { return r->p >= r->end; }
static inline bool wasm_is_valtype(u8 t)
{
    return t == 0x7f || t == 0x7e || t == 0x7d || t == 0x7c || t == 0x70 || t == 0x6f;
}
static inline bool wasm_is_reftype(u8 t) { return t == 0x70 || t == 0x6f; }

/* decode.c */
int wasm_decode(lc_wasm_module *m, lc_errbuf *eb);
/* compile.c: validates and compiles every function body. */
int wasm_compile_all(lc_wasm_module *m, lc_errbuf *eb);
bool wasm_type_equal(const lc_wasm_type *a, const lc_wasm_type *b);
void wasm_type_hash(lc_wasm_type *t);
/* exec.c */
int wasm_exec(lc_wasm_instance *inst, const lc_wasm_func *func, u64 *args, lc_errbuf *eb);
/* Runs the interpreter-side part of one rare instruction for native code (table, bulk memory,
 * ref.func, memory.grow): pc points at its op word. Returns 0 or a trap code. */
int wasm_exec_misc(wasm_jit_ctx *ctx, u64 *fp, const lc_wasm_word *pc);
/* Numeric instruction w (op word) on a, b for native code; a trap sets ctx->pending. */
u64 wasm_exec_numeric(wasm_jit_ctx *ctx, u64 w, u64 a, u64 b);
/* Calls ci->funcs[index] (UINT32_MAX: ctx->pending_func) through wasm_exec from native code
 * whose frame has stack pointer rsp. */
int wasm_exec_call_slow(wasm_jit_ctx *ctx, u64 *argp, u64 index, uintptr_t rsp);
/* call_indirect resolution: the callee's native entry, 1 (slow path: ctx->pending_func) or
 * 0 (trap: ctx->pending). */
u64 wasm_exec_indirect(wasm_jit_ctx *ctx, u64 elem, u64 type_table);
/* jit.c */
bool wasm_jit_enabled(void);
/* Compiles every defined function it can; failures leave m->jit NULL (the interpreter runs
 * everything). */
void wasm_jit_compile(lc_wasm_module *m);
void wasm_jit_free(wasm_jit *j);
/* Enters native code: fp = frame, target = a function's body entry. Returns 0 or a trap
 * code (details in ctx). */
int wasm_jit_enter(const wasm_jit *j, u64 *fp, wasm_jit_ctx *ctx, const void *target);
/* module.c */
void wasm_module_release(const lc_wasm_module *m);
/* instance.c */
int wasm_memory_grow(lc_wasm_memory *mem, u32 delta, u32 *out_old);
int wasm_table_grow(lc_wasm_table *t, u32 delta, u64 init, u32 *out_old);
const char *wasm_func_name(const lc_wasm_func *f);

#endif
