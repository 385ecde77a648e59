/*
 * wasm/wasm.h — the WebAssembly engine's contract with the layers above (host/, tests, bench).
 *
 * Scope: WebAssembly 2.0 without SIMD (MVP, sign-extension, non-trapping float-to-int,
 * multi-value, mutable-global import/export, bulk memory, reference types).
 *
 * Life cycle
 *   lc_wasm_module_load      bytes -> decoded, validated and compiled module (immutable; may be
 *                            shared by any number of instances, even across threads as long as
 *                            each instance is used by one thread at a time).
 *   lc_wasm_linker_*         a namespace of (module, name) -> host function / memory / table /
 *                            global / a registered instance's exports.
 *   lc_wasm_instantiate      module + linker -> instance (memory, tables, globals allocated,
 *                            segments applied, start function run).
 *   lc_wasm_call             call an exported (or any) function with typed u64 slots.
 *
 * Execution. On Linux x86-64, lc_wasm_module_load also translates the module into machine
 * code (wasm/jit.c), which then runs its functions with the interpreter's exact semantics
 * (results, traps, fuel, limits); LC_WASM_JIT=0 in the environment at load time keeps a
 * module on the interpreter. Native code uses at most ~1 MiB of the calling thread's stack;
 * a recursion deeper than that (about 65,000 wasm calls) traps "call stack exhausted" even
 * when call_depth_max is higher.
 *
 * Values. Every value crosses this API as a raw 64-bit slot (u64):
 *   i32   zero-extended (the low 32 bits are the value)
 *   i64   the value
 *   f32   its IEEE bit pattern in the low 32 bits (NaN payloads are preserved bit-exactly)
 *   f64   its IEEE bit pattern
 *   funcref   (u64)(uintptr_t)(const lc_wasm_func *), 0 = null
 *   externref an opaque non-zero value chosen by the embedder, 0 = null (LC_WASM_REF_NULL).
 *             The engine never interprets it. An embedder whose values may be 0 must encode
 *             them (e.g. store n + 1); the spec runner does that for `ref.extern n`.
 *
 * Ownership
 *   - lc_wasm_module: owned by the caller of lc_wasm_module_load until lc_wasm_module_destroy.
 *     Instances keep their own reference, so the module may be destroyed before them.
 *   - lc_wasm_memory / lc_wasm_table / lc_wasm_global / lc_wasm_instance are reference
 *     counted. *_create / lc_wasm_instantiate return one reference owned by the caller and
 *     released by the matching *_destroy. A linker that defines or registers them and an
 *     instance that imports them each hold their own reference, so destroying in any order
 *     is safe. (Exception: a funcref stored into a table of ANOTHER instance by running code
 *     does not keep its instance alive; keep the owning instance until tables holding its
 *     functions are gone. An instantiation that fails after its element segments wrote into
 *     an imported table is kept alive by that table, as the spec keeps those writes.)
 *   - Do not destroy an instance from inside a host callback it is running.
 *   - lc_wasm_func pointers are borrowed from their instance (or from the instance that
 *     imported a host function) and valid while that instance lives.
 *   - Names and types returned by inspection functions are borrowed from the module and valid
 *     until the module is destroyed.
 *   - The linker copies names; it holds references to what it defines (see above).
 *
 * Errors. Functions return 0 or a negative LC_E* code (base/error.h) and write details to the
 * lc_errbuf (NULL allowed):
 *   LC_EMALFORMED   binary format error (the spec's assert_malformed)
 *   LC_EINVALID     validation error (assert_invalid)
 *   LC_EUNLINKABLE  missing import or import type mismatch (assert_unlinkable)
 *   LC_ETRAP_*      a trap while running (assert_trap, assert_exhaustion: LC_ETRAP_STACK,
 *                   out of fuel: LC_ETRAP_FUEL "out of energy"); the message names the
 *                   function index and, when the name section has it, its name.
 *   LC_ENOMEM, LC_ELIMIT (a configured limit exceeded at instantiation), LC_EINVAL.
 * After a trap the instance remains usable and safe to destroy; its memory/tables/globals
 * keep whatever the code wrote before the trap (as the spec says).
 *
 * Threading: no global mutable state; an instance (and everything it imports) must be used
 * by one thread at a time.
 *
 * Implementation limits (beyond lc_wasm_limits): a function may declare at most 50000 locals
 * (more is LC_EMALFORMED "too many locals") and its locals plus operand-stack depth must fit
 * in 65535 value slots (else lc_wasm_module_load fails with LC_ELIMIT); vector counts in the
 * binary are bounded by the input size. lc_wasm_limits' memory/table caps apply to memories
 * and tables an instance defines; host-created ones are capped only by their declared max
 * (65536 pages / 2^32-1 elements).
 *
 * Fuel accounting: one unit per call (wasm or host) and per taken branch (so per loop
 * back-edge); the check happens before the charge, so a budget of n allows n charges.
 */
#ifndef LC_WASM_WASM_H
#define LC_WASM_WASM_H

#include "base/error.h"
#include "base/types.h"

/* ---------------------------------------------------------------- types ------------------ */

typedef enum lc_wasm_valtype {
    LC_WASM_I32 = 0x7f,
    LC_WASM_I64 = 0x7e,
    LC_WASM_F32 = 0x7d,
    LC_WASM_F64 = 0x7c,
    LC_WASM_FUNCREF = 0x70,
    LC_WASM_EXTERNREF = 0x6f,
} lc_wasm_valtype;

#define LC_WASM_REF_NULL ((u64)0)

typedef enum lc_wasm_extern_kind {
    LC_WASM_EXTERN_FUNC = 0,
    LC_WASM_EXTERN_TABLE = 1,
    LC_WASM_EXTERN_MEMORY = 2,
    LC_WASM_EXTERN_GLOBAL = 3,
} lc_wasm_extern_kind;

/* A function type. params/results are arrays of lc_wasm_valtype bytes. When returned by the
 * engine they are borrowed (see Ownership); when passed in they are copied. */
typedef struct lc_wasm_functype {
    const u8 *params;
    const u8 *results;
    u32 param_count;
    u32 result_count;
} lc_wasm_functype;

/* Limits of a memory (in 64 KiB pages) or a table (in elements). */
typedef struct lc_wasm_limits_range {
    u32 min;
    u32 max;       /* meaningful only if has_max */
    bool has_max;
} lc_wasm_limits_range;

typedef struct lc_wasm_tabletype {
    u8 elem_type;  /* LC_WASM_FUNCREF or LC_WASM_EXTERNREF */
    lc_wasm_limits_range limits;
} lc_wasm_tabletype;

typedef struct lc_wasm_memtype {
    lc_wasm_limits_range limits;  /* pages */
} lc_wasm_memtype;

typedef struct lc_wasm_globaltype {
    u8 val_type;
    bool is_mutable;
} lc_wasm_globaltype;

typedef struct lc_wasm_module lc_wasm_module;
typedef struct lc_wasm_instance lc_wasm_instance;
typedef struct lc_wasm_linker lc_wasm_linker;
typedef struct lc_wasm_func lc_wasm_func;
typedef struct lc_wasm_memory lc_wasm_memory;
typedef struct lc_wasm_table lc_wasm_table;
typedef struct lc_wasm_global lc_wasm_global;

/* An import or export of a module, as declared (names are NOT NUL-terminated: wasm names may
 * contain any UTF-8, use the lengths). For imports, module/module_len is the import module;
 * for exports they are NULL/0. */
typedef struct lc_wasm_extern_desc {
    const char *module;
    u32 module_len;
    const char *name;
    u32 name_len;
    lc_wasm_extern_kind kind;
    u32 index;  /* index in the module's func/table/memory/global index space */
    union {
        lc_wasm_functype func;
        lc_wasm_tabletype table;
        lc_wasm_memtype memory;
        lc_wasm_globaltype global;
    } type;
} lc_wasm_extern_desc;

/* A resolved external value (an instance's export). */
typedef struct lc_wasm_extern {
    lc_wasm_extern_kind kind;
    union {
        lc_wasm_func *func;
        lc_wasm_table *table;
        lc_wasm_memory *memory;
        lc_wasm_global *global;
    } as;
} lc_wasm_extern;

/* Resource limits. Each is enforced; 0 in a field given to the engine means "use the
 * default" (lc_wasm_limits_default). */
typedef struct lc_wasm_limits {
    u32 call_depth_max;         /* nested wasm+host calls; over it: LC_ETRAP_STACK */
    u32 value_stack_slots_max;  /* u64 slots for locals+operands of all frames: LC_ETRAP_STACK */
    u32 memory_pages_max;       /* cap on any memory's size (64 KiB pages); memory.grow beyond
                                 * returns -1; a module whose minimum exceeds it: LC_ELIMIT */
    u32 table_elems_max;        /* cap on any table's size, same rules */
    u64 fuel_default;           /* fuel a fresh instance starts with; UINT64_MAX = unmetered */
} lc_wasm_limits;

/* Defaults: call depth 10000, 1 Mi value slots (8 MiB), 65536 pages (4 GiB), 10 Mi table
 * elements, unmetered fuel. */
void lc_wasm_limits_default(lc_wasm_limits *out_limits);

/* ---------------------------------------------------------------- modules ---------------- */

/* Decodes, validates and compiles `len` bytes (copied; the caller may free them). limits may be
 * NULL (defaults); they bound decode work. On success *out_module is the caller's. */
LC_MUST_USE int lc_wasm_module_load(const u8 *bytes, size_t len, const lc_wasm_limits *limits,
                                    lc_wasm_module **out_module, lc_errbuf *eb);
void lc_wasm_module_destroy(lc_wasm_module *module);

u32 lc_wasm_module_import_count(const lc_wasm_module *module);
u32 lc_wasm_module_export_count(const lc_wasm_module *module);
/* index < count; fills *out_desc with borrowed pointers. */
void lc_wasm_module_import_get(const lc_wasm_module *module, u32 index,
                               lc_wasm_extern_desc *out_desc);
void lc_wasm_module_export_get(const lc_wasm_module *module, u32 index,
                               lc_wasm_extern_desc *out_desc);
/* Finds an export by name (NUL-terminated). Returns 0 or LC_ENOTFOUND. */
LC_MUST_USE int lc_wasm_module_export_find(const lc_wasm_module *module, const char *name,
                                           lc_wasm_extern_desc *out_desc);

/* ---------------------------------------------------------------- host functions --------- */

/* What a host callback sees. Valid only during the callback. */
typedef struct lc_wasm_host_ctx {
    lc_wasm_instance *instance;  /* the calling instance (the importer) */
    void *user_data;             /* as given to lc_wasm_linker_define_func */
    lc_wasm_memory *memory;      /* the calling instance's memory 0, or NULL */
    const lc_wasm_func *func;    /* the host function being called */
    char *trap_msg;              /* buffer for lc_wasm_host_trap */
} lc_wasm_host_ctx;

/* A host function. args[0..param_count) hold the arguments as slots; the callback writes
 * results[0..result_count). results may ALIAS args: read every argument before writing a
 * result. Return 0, or a trap: LC_ETRAP_HOST (or any LC_ETRAP_*) — use lc_wasm_host_trap to
 * attach a message. No allocation happens per call. */
typedef int (*lc_wasm_host_cb)(lc_wasm_host_ctx *ctx, const u64 *args, u64 *results);

/* Bounds-checked view of the calling instance's memory 0: a pointer to [offset, offset+len)
 * or NULL if out of bounds or there is no memory. Valid until the memory grows or the callback
 * returns. */
void *lc_wasm_host_mem(lc_wasm_host_ctx *ctx, u64 offset, u64 len);
/* Records a trap message; returns LC_ETRAP_HOST so a callback can `return lc_wasm_host_trap(..)`. */
int lc_wasm_host_trap(lc_wasm_host_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- memories, tables, globals */

/* Host-created objects (spectest's memory/table/globals, or memory an embedder wants to
 * share). Each returns one reference to the caller. */
LC_MUST_USE int lc_wasm_memory_create(const lc_wasm_memtype *type, lc_wasm_memory **out_memory);
void lc_wasm_memory_destroy(lc_wasm_memory *memory);
/* Base pointer (may change when the memory grows) and size in bytes / pages. */
u8 *lc_wasm_memory_data(const lc_wasm_memory *memory);
u64 lc_wasm_memory_size(const lc_wasm_memory *memory);
u32 lc_wasm_memory_pages(const lc_wasm_memory *memory);
/* Grows by delta pages; *out_old_pages gets the previous size. LC_ELIMIT beyond its max. */
LC_MUST_USE int lc_wasm_memory_grow(lc_wasm_memory *memory, u32 delta_pages, u32 *out_old_pages);
void lc_wasm_memory_type(const lc_wasm_memory *memory, lc_wasm_memtype *out_type);

/* Elements start as null (init = 0) */
LC_MUST_USE int lc_wasm_table_create(const lc_wasm_tabletype *type, lc_wasm_table **out_table);
void lc_wasm_table_destroy(lc_wasm_table *table);
u32 lc_wasm_table_size(const lc_wasm_table *table);
/* Returns 0 or LC_ETRAP_TABLE_OOB. Values are ref slots (see Values). */
LC_MUST_USE int lc_wasm_table_get(const lc_wasm_table *table, u32 index, u64 *out_ref);
LC_MUST_USE int lc_wasm_table_set(lc_wasm_table *table, u32 index, u64 ref);
LC_MUST_USE int lc_wasm_table_grow(lc_wasm_table *table, u32 delta, u64 init_ref,
                                   u32 *out_old_size);
void lc_wasm_table_type(const lc_wasm_table *table, lc_wasm_tabletype *out_type);

LC_MUST_USE int lc_wasm_global_create(const lc_wasm_globaltype *type, u64 value,
                                      lc_wasm_global **out_global);
void lc_wasm_global_destroy(lc_wasm_global *global);
u64 lc_wasm_global_get(const lc_wasm_global *global);
/* Sets the value regardless of mutability (the embedder is trusted). */
void lc_wasm_global_set(lc_wasm_global *global, u64 value);
void lc_wasm_global_type(const lc_wasm_global *global, lc_wasm_globaltype *out_type);

/* ---------------------------------------------------------------- linker ----------------- */

LC_MUST_USE int lc_wasm_linker_create(lc_wasm_linker **out_linker);
/* Releases the linker's references. Instances created with it stay valid. */
void lc_wasm_linker_destroy(lc_wasm_linker *linker);

/* Each define_* replaces an earlier definition of the same (module, name). Names are
 * NUL-terminated and copied. */
LC_MUST_USE int lc_wasm_linker_define_func(lc_wasm_linker *linker, const char *module,
                                           const char *name, const lc_wasm_functype *type,
                                           lc_wasm_host_cb cb, void *user_data);
LC_MUST_USE int lc_wasm_linker_define_memory(lc_wasm_linker *linker, const char *module,
                                             const char *name, lc_wasm_memory *memory);
LC_MUST_USE int lc_wasm_linker_define_table(lc_wasm_linker *linker, const char *module,
                                            const char *name, lc_wasm_table *table);
LC_MUST_USE int lc_wasm_linker_define_global(lc_wasm_linker *linker, const char *module,
                                             const char *name, lc_wasm_global *global);
/* Registers every export of `instance` under module name `module` (the spec's `register`);
 * later registrations of the same module name shadow earlier ones. */
LC_MUST_USE int lc_wasm_linker_define_instance(lc_wasm_linker *linker, const char *module,
                                               lc_wasm_instance *instance);

/* ---------------------------------------------------------------- instances -------------- */

/* Resolves imports through linker (may be NULL if the module has none), allocates memories,
 * tables and globals, evaluates constant expressions, applies active element then data
 * segments in order, then runs the start function. limits NULL = defaults.
 * Returns 0; LC_EUNLINKABLE; LC_ELIMIT / LC_ENOMEM; or an LC_ETRAP_* code when a segment or
 * the start function traps (the spec's assert_uninstantiable; no instance is returned, but
 * writes already made to imported memories/tables remain). */
LC_MUST_USE int lc_wasm_instantiate(const lc_wasm_module *module, lc_wasm_linker *linker,
                                    const lc_wasm_limits *limits,
                                    lc_wasm_instance **out_instance, lc_errbuf *eb);
/* Releases the caller's reference (the instance lives on while importers hold theirs). */
void lc_wasm_instance_destroy(lc_wasm_instance *instance);

const lc_wasm_module *lc_wasm_instance_module(const lc_wasm_instance *instance);
void lc_wasm_instance_set_user_data(lc_wasm_instance *instance, void *user_data);
void *lc_wasm_instance_user_data(const lc_wasm_instance *instance);

/* Export lookup by name (name_len bytes, need not be NUL-terminated). 0 or LC_ENOTFOUND. */
LC_MUST_USE int lc_wasm_instance_export(lc_wasm_instance *instance, const char *name,
                                        size_t name_len, lc_wasm_extern *out_extern);
/* Convenience: the exported function `name` (NUL-terminated) or NULL. */
lc_wasm_func *lc_wasm_instance_func(lc_wasm_instance *instance, const char *name);
/* The function at `index` in the instance's function index space, or NULL. */
lc_wasm_func *lc_wasm_instance_func_at(lc_wasm_instance *instance, u32 index);
/* Memory 0 of the instance (defined or imported), or NULL. */
lc_wasm_memory *lc_wasm_instance_memory(lc_wasm_instance *instance);

/* The function's type, borrowed. */
void lc_wasm_func_type(const lc_wasm_func *func, lc_wasm_functype *out_type);

/* Fuel: remaining budget; every call and every taken branch (so every loop back-edge) costs
 * 1. Exhaustion traps with LC_ETRAP_FUEL ("out of energy"); the instance stays usable after
 * set_fuel. UINT64_MAX is effectively unmetered (it still counts down). */
void lc_wasm_instance_set_fuel(lc_wasm_instance *instance, u64 fuel);
u64 lc_wasm_instance_fuel(const lc_wasm_instance *instance);

/* Calls func (of this instance, or any function reachable from it, e.g. a funcref) with
 * nargs argument slots; writes nresults result slots. nargs/nresults must equal the function
 * type's counts (else LC_EINVAL). Uses `instance`'s stack, fuel and limits. Returns 0 or an
 * LC_ETRAP_* code with a message in eb ("integer divide by zero in func 3 <name>"). */
LC_MUST_USE int lc_wasm_call(lc_wasm_instance *instance, const lc_wasm_func *func,
                             const u64 *args, u32 nargs, u64 *results, u32 nresults,
                             lc_errbuf *eb);

#endif
