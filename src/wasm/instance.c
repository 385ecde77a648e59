/*
 * wasm/instance.c — memories, tables, globals, the linker, instantiation and calls.
 *
 * Sharing model: memories, tables, globals and instances are reference counted. An instance
 * holds a reference to everything it imports (and to the instances it imports functions
 * from), a linker holds a reference to everything it defines or registers, and each
 * create/instantiate returns one reference to the caller. Functions are not counted: they
 * live inside their instance (host functions are copied into each importing instance, typed
 * by the importer's module), so a funcref is valid while its instance lives.
 *
 * Instantiation order (spec 2.0): resolve imports -> tables, memory, globals (constant
 * expressions) -> evaluate all element segments -> apply active element segments in order ->
 * apply active data segments in order -> start function. A trap while applying segments
 * leaves earlier writes to imported objects in place and fails the instantiation.
 *
 * The value stack and frame array are allocated on the first call, so instances that are
 * never called (common in the spec suite) cost only their memories and tables.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "wasm/wasm_int.h"

/* ------------------------------------------------------------ memories -------------------- */

static u32 cap_of(const lc_wasm_limits_range *l, u32 hard)
{
    return l->has_max && l->max < hard ? l->max : hard;
}

static int memory_new(const lc_wasm_memtype *type, u32 pages_max, lc_wasm_memory **out)
{
    *out = NULL;
    if (type->limits.min > pages_max)
        return LC_ELIMIT;
    lc_wasm_memory *m = lc_calloc(1, sizeof(*m));
    if (!m)
        return LC_ENOMEM;
    m->refs = 1;
    m->type = *type;
    m->pages = type->limits.min;
    m->size = (u64)m->pages * LC_WASM_PAGE_SIZE;
    m->max_pages = cap_of(&type->limits, pages_max);
    m->data = lc_calloc(1, m->size ? m->size : 1);
    if (!m->data) {
        lc_free(m);
        return LC_ENOMEM;
    }
    *out = m;
    return 0;
}

int lc_wasm_memory_create(const lc_wasm_memtype *type, lc_wasm_memory **out_memory)
{
    return memory_new(type, LC_WASM_PAGES_MAX, out_memory);
}

void lc_wasm_memory_destroy(lc_wasm_memory *memory)
{
    if (memory && --memory->refs == 0) {
        lc_free(memory->data);
        lc_free(memory);
    }
}

int wasm_memory_grow(lc_wasm_memory *mem, u32 delta, u32 *out_old)
{
    *out_old = mem->pages;
    if ((u64)mem->pages + delta > mem->max_pages)
        return LC_ELIMIT;
    if (delta == 0)
        return 0;
    u64 new_size = (u64)(mem->pages + delta) * LC_WASM_PAGE_SIZE;
    u8 *p = lc_realloc(mem->data, new_size);
    if (!p)
        return LC_ENOMEM;
    memset(p + mem->size, 0, new_size - mem->size);
    mem->data = p;
    mem->size = new_size;
    mem->pages += delta;
    return 0;
}

u8 *lc_wasm_memory_data(const lc_wasm_memory *memory) { return memory->data; }
u64 lc_wasm_memory_size(const lc_wasm_memory *memory) { return memory->size; }
u32 lc_wasm_memory_pages(const lc_wasm_memory *memory) { return memory->pages; }
int lc_wasm_memory_grow(lc_wasm_memory *memory, u32 delta_pages, u32 *out_old_pages)
{
    return wasm_memory_grow(memory, delta_pages, out_old_pages);
}
void lc_wasm_memory_type(const lc_wasm_memory *memory, lc_wasm_memtype *out_type)
{
    *out_type = memory->type;
    out_type->limits.min = memory->pages;
}

/* ------------------------------------------------------------ tables ---------------------- */

static int table_new(const lc_wasm_tabletype *type, u32 elems_max, lc_wasm_table **out)
{
    *out = NULL;
    if (type->limits.min > elems_max)
        return LC_ELIMIT;
    lc_wasm_table *t = lc_calloc(1, sizeof(*t));
    if (!t)
        return LC_ENOMEM;
    t->refs = 1;
    t->type = *type;
    t->size = type->limits.min;
    t->max = cap_of(&type->limits, elems_max);
    t->elems = lc_calloc(t->size ? t->size : 1, sizeof(u64));
    if (!t->elems) {
        lc_free(t);
        return LC_ENOMEM;
    }
    *out = t;
    return 0;
}

int lc_wasm_table_create(const lc_wasm_tabletype *type, lc_wasm_table **out_table)
{
    return table_new(type, UINT32_MAX, out_table);
}

void lc_wasm_table_destroy(lc_wasm_table *table)
{
    if (table && --table->refs == 0) {
        for (u32 i = 0; i < table->pin_count; i++)
            lc_wasm_instance_destroy(table->pins[i]);
        lc_free(table->pins);
        lc_free(table->elems);
        lc_free(table);
    }
}

int wasm_table_grow(lc_wasm_table *t, u32 delta, u64 init, u32 *out_old)
{
    *out_old = t->size;
    if ((u64)t->size + delta > t->max)
        return LC_ELIMIT;
    if (delta == 0)
        return 0;
    u64 *p = lc_realloc(t->elems, ((size_t)t->size + delta) * sizeof(u64));
    if (!p)
        return LC_ENOMEM;
    for (u32 i = 0; i < delta; i++)
        p[t->size + i] = init;
    t->elems = p;
    t->size += delta;
    return 0;
}

u32 lc_wasm_table_size(const lc_wasm_table *table) { return table->size; }
int lc_wasm_table_get(const lc_wasm_table *table, u32 index, u64 *out_ref)
{
    if (index >= table->size)
        return LC_ETRAP_TABLE_OOB;
    *out_ref = table->elems[index];
    return 0;
}
int lc_wasm_table_set(lc_wasm_table *table, u32 index, u64 ref)
{
    if (index >= table->size)
        return LC_ETRAP_TABLE_OOB;
    table->elems[index] = ref;
    return 0;
}
int lc_wasm_table_grow(lc_wasm_table *table, u32 delta, u64 init_ref, u32 *out_old_size)
{
    return wasm_table_grow(table, delta, init_ref, out_old_size);
}
void lc_wasm_table_type(const lc_wasm_table *table, lc_wasm_tabletype *out_type)
{
    *out_type = table->type;
    out_type->limits.min = table->size;
}

/* ------------------------------------------------------------ globals --------------------- */

int lc_wasm_global_create(const lc_wasm_globaltype *type, u64 value, lc_wasm_global **out_global)
{
    lc_wasm_global *g = lc_calloc(1, sizeof(*g));
    *out_global = g;
    if (!g)
        return LC_ENOMEM;
    g->refs = 1;
    g->type = *type;
    g->value = value;
    return 0;
}
void lc_wasm_global_destroy(lc_wasm_global *global)
{
    if (global && --global->refs == 0)
        lc_free(global);
}
u64 lc_wasm_global_get(const lc_wasm_global *global) { return global->value; }
void lc_wasm_global_set(lc_wasm_global *global, u64 value) { global->value = value; }
void lc_wasm_global_type(const lc_wasm_global *global, lc_wasm_globaltype *out_type)
{
    *out_type = global->type;
}

/* ------------------------------------------------------------ linker ---------------------- */

enum { DEF_FUNC, DEF_TABLE, DEF_MEMORY, DEF_GLOBAL, DEF_INSTANCE };

typedef struct linker_def {
    char *module;
    char *name;       /* NULL for DEF_INSTANCE */
    u8 kind;
    lc_wasm_type type;  /* DEF_FUNC */
    lc_wasm_host_cb cb;
    void *user_data;
    void *obj;        /* table / memory / global / instance */
} linker_def;

struct lc_wasm_linker {
    linker_def *defs;
    u32 count, cap;
};

int lc_wasm_linker_create(lc_wasm_linker **out_linker)
{
    *out_linker = lc_calloc(1, sizeof(lc_wasm_linker));
    return *out_linker ? 0 : LC_ENOMEM;
}

static void def_release(linker_def *d)
{
    lc_free(d->module);
    lc_free(d->name);
    lc_free(d->type.params);
    switch (d->kind) {
    case DEF_TABLE: lc_wasm_table_destroy(d->obj); break;
    case DEF_MEMORY: lc_wasm_memory_destroy(d->obj); break;
    case DEF_GLOBAL: lc_wasm_global_destroy(d->obj); break;
    case DEF_INSTANCE: lc_wasm_instance_destroy(d->obj); break;
    }
}

void lc_wasm_linker_destroy(lc_wasm_linker *linker)
{
    if (!linker)
        return;
    for (u32 i = 0; i < linker->count; i++)
        def_release(&linker->defs[i]);
    lc_free(linker->defs);
    lc_free(linker);
}

static linker_def *def_add(lc_wasm_linker *lk, const char *module, const char *name, u8 kind)
{
    if (lk->count == lk->cap) {
        u32 cap = lk->cap ? lk->cap * 2 : 16;
        linker_def *n = lc_realloc(lk->defs, cap * sizeof(*n));
        if (!n)
            return NULL;
        lk->defs = n;
        lk->cap = cap;
    }
    linker_def *d = &lk->defs[lk->count];
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->module = lc_strdup(module);
    d->name = name ? lc_strdup(name) : NULL;
    if (!d->module || (name && !d->name)) {
        lc_free(d->module);
        lc_free(d->name);
        return NULL;
    }
    lk->count++;
    return d;
}

int lc_wasm_linker_define_func(lc_wasm_linker *linker, const char *module, const char *name,
                               const lc_wasm_functype *type, lc_wasm_host_cb cb,
                               void *user_data)
{
    u8 *vals = lc_alloc((size_t)type->param_count + type->result_count + 1);
    if (!vals)
        return LC_ENOMEM;
    linker_def *d = def_add(linker, module, name, DEF_FUNC);
    if (!d) {
        lc_free(vals);
        return LC_ENOMEM;
    }
    if (type->param_count)
        memcpy(vals, type->params, type->param_count);
    if (type->result_count)
        memcpy(vals + type->param_count, type->results, type->result_count);
    d->type = (lc_wasm_type){vals, vals + type->param_count, type->param_count,
                             type->result_count, 0};
    wasm_type_hash(&d->type);
    d->cb = cb;
    d->user_data = user_data;
    return 0;
}

static int define_obj(lc_wasm_linker *lk, const char *module, const char *name, u8 kind,
                      void *obj, u32 *refs)
{
    linker_def *d = def_add(lk, module, name, kind);
    if (!d)
        return LC_ENOMEM;
    d->obj = obj;
    (*refs)++;
    return 0;
}

int lc_wasm_linker_define_memory(lc_wasm_linker *linker, const char *module, const char *name,
                                 lc_wasm_memory *memory)
{
    return define_obj(linker, module, name, DEF_MEMORY, memory, &memory->refs);
}
int lc_wasm_linker_define_table(lc_wasm_linker *linker, const char *module, const char *name,
                                lc_wasm_table *table)
{
    return define_obj(linker, module, name, DEF_TABLE, table, &table->refs);
}
int lc_wasm_linker_define_global(lc_wasm_linker *linker, const char *module, const char *name,
                                 lc_wasm_global *global)
{
    return define_obj(linker, module, name, DEF_GLOBAL, global, &global->refs);
}
int lc_wasm_linker_define_instance(lc_wasm_linker *linker, const char *module,
                                   lc_wasm_instance *instance)
{
    return define_obj(linker, module, NULL, DEF_INSTANCE, instance, &instance->refs);
}

static bool name_eq(const char *a, const char *b, u32 b_len)
{
    return strlen(a) == b_len && memcmp(a, b, b_len) == 0;
}

/* Finds the newest definition of (module, name). For a registered instance, fills *out_ext
 * from its exports and returns the def. */
static const linker_def *linker_find(const lc_wasm_linker *lk, const lc_wasm_import *im,
                                     lc_wasm_extern *out_ext)
{
    for (u32 i = lk ? lk->count : 0; i-- > 0;) {
        const linker_def *d = &lk->defs[i];
        if (!name_eq(d->module, im->module, im->module_len))
            continue;
        if (d->kind == DEF_INSTANCE) {
            if (lc_wasm_instance_export(d->obj, im->name, im->name_len, out_ext) == 0)
                return d;
            continue;
        }
        if (name_eq(d->name, im->name, im->name_len))
            return d;
    }
    return NULL;
}

/* ------------------------------------------------------------ instantiation --------------- */

static bool limits_match(u32 have_min, bool have_has_max, u32 have_max,
                         const lc_wasm_limits_range *want)
{
    if (have_min < want->min)
        return false;
    if (want->has_max && (!have_has_max || have_max > want->max))
        return false;
    return true;
}

static int add_dep(lc_wasm_instance *inst, lc_wasm_instance *dep)
{
    if (dep == inst)
        return 0;
    lc_wasm_instance **n = lc_realloc(inst->deps, (inst->dep_count + 1) * sizeof(*n));
    if (!n)
        return LC_ENOMEM;
    inst->deps = n;
    inst->deps[inst->dep_count++] = dep;
    dep->refs++;
    return 0;
}

static int import_func(lc_wasm_instance *inst, const lc_wasm_import *im, u32 fi,
                       const linker_def *d, const lc_wasm_extern *ext, lc_errbuf *eb)
{
    const lc_wasm_type *want = &inst->module->types[im->type_index];
    if (d->kind == DEF_FUNC) {
        if (!wasm_type_equal(&d->type, want))
            return lc_errf(eb, LC_EUNLINKABLE, "incompatible import type");
        lc_wasm_func *f = &inst->own_funcs[fi];
        f->type = want;
        f->param_count = want->param_count;
        f->inst = inst;
        f->cb = d->cb;
        f->user_data = d->user_data;
        f->index = fi;
        inst->funcs[fi] = f;
        return 0;
    }
    if (ext->kind != LC_WASM_EXTERN_FUNC || !wasm_type_equal(ext->as.func->type, want))
        return lc_errf(eb, LC_EUNLINKABLE, "incompatible import type");
    inst->funcs[fi] = ext->as.func;
    return add_dep(inst, ext->as.func->inst);
}

static int import_other(lc_wasm_instance *inst, const lc_wasm_import *im, u32 idx,
                        const linker_def *d, lc_wasm_extern *ext, lc_errbuf *eb)
{
    if (d->kind != DEF_INSTANCE) {
        ext->kind = (lc_wasm_extern_kind)d->kind;
        ext->as.table = d->obj;
        if (d->kind == DEF_MEMORY)
            ext->as.memory = d->obj;
        if (d->kind == DEF_GLOBAL)
            ext->as.global = d->obj;
    }
    if (ext->kind != im->kind)
        return lc_errf(eb, LC_EUNLINKABLE, "incompatible import type");
    if (im->kind == 1) {
        lc_wasm_table *t = ext->as.table;
        if (t->type.elem_type != im->table.elem_type ||
            !limits_match(t->size, t->type.limits.has_max, t->type.limits.max,
                          &im->table.limits))
            return lc_errf(eb, LC_EUNLINKABLE, "incompatible import type");
        inst->tables[idx] = t;
        t->refs++;
    } else if (im->kind == 2) {
        lc_wasm_memory *m = ext->as.memory;
        if (!limits_match(m->pages, m->type.limits.has_max, m->type.limits.max,
                          &im->memory.limits))
            return lc_errf(eb, LC_EUNLINKABLE, "incompatible import type");
        inst->memory = m;
        m->refs++;
    } else {
        lc_wasm_global *g = ext->as.global;
        if (g->type.val_type != im->global.val_type ||
            g->type.is_mutable != im->global.is_mutable)
            return lc_errf(eb, LC_EUNLINKABLE, "incompatible import type");
        inst->globals[idx] = g;
        g->refs++;
    }
    return 0;
}

static int resolve_imports(lc_wasm_instance *inst, lc_wasm_linker *lk, lc_errbuf *eb)
{
    const lc_wasm_module *m = inst->module;
    u32 counts[4] = {0, 0, 0, 0};
    for (u32 i = 0; i < m->import_count; i++) {
        const lc_wasm_import *im = &m->imports[i];
        lc_wasm_extern ext;
        memset(&ext, 0, sizeof(ext));
        const linker_def *d = linker_find(lk, im, &ext);
        if (!d)
            return lc_errf(eb, LC_EUNLINKABLE, "unknown import %.*s.%.*s",
                           (int)im->module_len, im->module, (int)im->name_len, im->name);
        u32 idx = counts[im->kind]++;
        int err;
        bool is_func = d->kind == DEF_FUNC ||
                       (d->kind == DEF_INSTANCE && ext.kind == LC_WASM_EXTERN_FUNC);
        if (im->kind == 0 && is_func)
            err = import_func(inst, im, idx, d, &ext, eb);
        else if (im->kind == 0)
            err = lc_errf(eb, LC_EUNLINKABLE, "incompatible import type");
        else
            err = is_func ? lc_errf(eb, LC_EUNLINKABLE, "incompatible import type")
                                      : import_other(inst, im, idx, d, &ext, eb);
        if (err)
            return err;
    }
    return 0;
}

static u64 const_eval(const lc_wasm_instance *inst, const lc_wasm_constexpr *e)
{
    switch (e->op) {
    case 0xd0: return 0;
    case 0xd2: return (u64)(uintptr_t)inst->funcs[e->value];
    case 0x23: return inst->globals[e->value]->value;
    default: return e->value;
    }
}

static int create_defined(lc_wasm_instance *inst, lc_errbuf *eb)
{
    const lc_wasm_module *m = inst->module;
    for (u32 i = m->func_import_count; i < m->func_count; i++) {
        lc_wasm_func *f = &inst->own_funcs[i];
        f->code = &m->codes[i - m->func_import_count];
        f->type = &m->types[f->code->type_index];
        f->inst = inst;
        f->index = i;
        f->entry = f->code->code;
        f->param_count = f->type->param_count;
        f->local_count = f->code->local_count;
        f->frame_slots = f->code->local_count + f->code->max_height;
        const wasm_jit *j = m->jit;
        u32 ci = i - m->func_import_count;
        if (j && j->body_off[ci] != UINT32_MAX) {
            f->jit_body = j->code + j->body_off[ci];
            f->jit_full = j->code + j->full_off[ci];
        }
        inst->funcs[i] = f;
    }
    for (u32 i = m->table_import_count; i < m->table_count; i++) {
        int err = table_new(&m->tables[i], inst->limits.table_elems_max, &inst->tables[i]);
        if (err)
            return lc_errf(eb, err, "table %u: %s", i, lc_strerror(err));
    }
    if (m->memory_count > m->memory_import_count) {
        int err = memory_new(&m->memories[0], inst->limits.memory_pages_max, &inst->memory);
        if (err)
            return lc_errf(eb, err, "memory: %s", lc_strerror(err));
    }
    for (u32 i = m->global_import_count; i < m->global_count; i++) {
        const lc_wasm_global_def *gd = &m->globals[i - m->global_import_count];
        int err = lc_wasm_global_create(&gd->type, const_eval(inst, &gd->init),
                                        &inst->globals[i]);
        if (err)
            return lc_errf(eb, err, "out of memory");
    }
    return 0;
}

static int apply_segments(lc_wasm_instance *inst, lc_errbuf *eb)
{
    const lc_wasm_module *m = inst->module;
    for (u32 i = 0; i < m->elem_count; i++) {
        const lc_wasm_elem_seg *s = &m->elems[i];
        inst->elem_items[i] = lc_calloc(s->count ? s->count : 1, sizeof(u64));
        if (!inst->elem_items[i])
            return lc_errf(eb, LC_ENOMEM, "out of memory");
        for (u32 k = 0; k < s->count; k++)
            inst->elem_items[i][k] = const_eval(inst, &s->items[k]);
        inst->elem_len[i] = s->mode == LC_WASM_SEG_PASSIVE ? s->count : 0;
    }
    for (u32 i = 0; i < m->elem_count; i++) {
        const lc_wasm_elem_seg *s = &m->elems[i];
        if (s->mode != LC_WASM_SEG_ACTIVE)
            continue;
        u64 off = (u32)const_eval(inst, &s->offset);
        lc_wasm_table *t = inst->tables[s->table_index];
        if (off + s->count > t->size)
            return lc_errf(eb, LC_ETRAP_TABLE_OOB, "out of bounds table access");
        memcpy(t->elems + off, inst->elem_items[i], (size_t)s->count * 8);
        if (s->count && s->table_index < m->table_import_count)
            inst->table_written[s->table_index] = 1;
    }
    for (u32 i = 0; i < m->data_count; i++) {
        const lc_wasm_data_seg *s = &m->datas[i];
        if (s->mode != LC_WASM_SEG_ACTIVE)
            continue;
        inst->data_dropped[i] = 1;
        u64 off = (u32)const_eval(inst, &s->offset);
        if (off + s->len > inst->memory->size)
            return lc_errf(eb, LC_ETRAP_MEM_OOB, "out of bounds memory access");
        if (s->len)
            memcpy(inst->memory->data + off, s->bytes, s->len);
    }
    return 0;
}

static int instance_alloc(const lc_wasm_module *m, const lc_wasm_limits *limits,
                          lc_wasm_instance **out)
{
    lc_wasm_instance *inst = lc_calloc(1, sizeof(*inst));
    *out = inst;
    if (!inst)
        return LC_ENOMEM;
    inst->refs = 1;
    inst->module = m;
    ((lc_wasm_module *)m)->refs++;
    lc_wasm_limits_default(&inst->limits);
    if (limits) {
        if (limits->call_depth_max)
            inst->limits.call_depth_max = limits->call_depth_max;
        if (limits->value_stack_slots_max)
            inst->limits.value_stack_slots_max = limits->value_stack_slots_max;
        if (limits->memory_pages_max)
            inst->limits.memory_pages_max = limits->memory_pages_max;
        if (limits->table_elems_max)
            inst->limits.table_elems_max = limits->table_elems_max;
        if (limits->fuel_default)
            inst->limits.fuel_default = limits->fuel_default;
    }
    inst->fuel = inst->limits.fuel_default;
    inst->funcs = lc_calloc(m->func_count + 1, sizeof(*inst->funcs));
    inst->own_funcs = lc_calloc(m->func_count + 1, sizeof(*inst->own_funcs));
    inst->tables = lc_calloc(m->table_count + 1, sizeof(*inst->tables));
    inst->globals = lc_calloc(m->global_count + 1, sizeof(*inst->globals));
    inst->elem_items = lc_calloc(m->elem_count + 1, sizeof(*inst->elem_items));
    inst->elem_len = lc_calloc(m->elem_count + 1, sizeof(*inst->elem_len));
    inst->data_dropped = lc_calloc(m->data_count + 1, 1);
    inst->table_written = lc_calloc(m->table_count + 1, 1);
    inst->table_weak = lc_calloc(m->table_count + 1, 1);
    if (!inst->table_written || !inst->table_weak || !inst->funcs || !inst->own_funcs || !inst->tables || !inst->globals ||
        !inst->elem_items || !inst->elem_len || !inst->data_dropped)
        return LC_ENOMEM;
    return 0;
}

/* A failed instantiation may have stored its functions into imported tables (spec 2.0 keeps
 * those writes), so such a table keeps the instance alive. The instance gives up its own
 * reference to the table to avoid a cycle: it cannot outlive a table that pins it. */
static void pin_failed(lc_wasm_instance *inst)
{
    for (u32 i = 0; i < inst->module->table_import_count; i++) {
        lc_wasm_table *t = inst->tables[i];
        if (!inst->table_written[i] || !t || t->refs < 2)
            continue;
        lc_wasm_instance **n = lc_realloc(t->pins, (t->pin_count + 1) * sizeof(*n));
        if (!n)
            continue;  /* cannot pin: the stale entries stay (documented hazard) */
        t->pins = n;
        t->pins[t->pin_count++] = inst;
        inst->refs++;
        inst->table_weak[i] = 1;
        t->refs--;
    }
}

int lc_wasm_instantiate(const lc_wasm_module *module, lc_wasm_linker *linker,
                        const lc_wasm_limits *limits, lc_wasm_instance **out_instance,
                        lc_errbuf *eb)
{
    lc_wasm_instance *inst = NULL;
    *out_instance = NULL;
    int err = instance_alloc(module, limits, &inst);
    if (err) {
        lc_errf(eb, err, "out of memory");
        goto fail;
    }
    err = resolve_imports(inst, linker, eb);
    if (!err)
        err = create_defined(inst, eb);
    if (!err)
        err = apply_segments(inst, eb);
    if (!err && module->has_start) {
        err = lc_wasm_call(inst, inst->funcs[module->start_index], NULL, 0, NULL, 0, eb);
    }
    if (err)
        goto fail;
    *out_instance = inst;
    return 0;
fail:
    if (inst && inst->table_written)
        pin_failed(inst);
    lc_wasm_instance_destroy(inst);
    return err;
}

void lc_wasm_instance_destroy(lc_wasm_instance *inst)
{
    if (!inst || --inst->refs > 0)
        return;
    const lc_wasm_module *m = inst->module;
    for (u32 i = 0; inst->tables && i < m->table_count; i++)
        if (!inst->table_weak || !inst->table_weak[i])
            lc_wasm_table_destroy(inst->tables[i]);
    for (u32 i = 0; inst->globals && i < m->global_count; i++)
        lc_wasm_global_destroy(inst->globals[i]);
    for (u32 i = 0; inst->elem_items && i < m->elem_count; i++)
        lc_free(inst->elem_items[i]);
    lc_wasm_memory_destroy(inst->memory);
    for (u32 i = 0; i < inst->dep_count; i++)
        lc_wasm_instance_destroy(inst->deps[i]);
    lc_free(inst->deps);
    lc_free(inst->funcs);
    lc_free(inst->own_funcs);
    lc_free(inst->tables);
    lc_free(inst->globals);
    lc_free(inst->elem_items);
    lc_free(inst->elem_len);
    lc_free(inst->data_dropped);
    lc_free(inst->table_written);
    lc_free(inst->table_weak);
    lc_free(inst->stack);
    lc_free(inst->frames);
    wasm_module_release(m);
    lc_free(inst);
}

/* ------------------------------------------------------------ accessors ------------------- */

const lc_wasm_module *lc_wasm_instance_module(const lc_wasm_instance *instance)
{
    return instance->module;
}
void lc_wasm_instance_set_user_data(lc_wasm_instance *instance, void *user_data)
{
    instance->user_data = user_data;
}
void *lc_wasm_instance_user_data(const lc_wasm_instance *instance)
{
    return instance->user_data;
}

int lc_wasm_instance_export(lc_wasm_instance *instance, const char *name, size_t name_len,
                            lc_wasm_extern *out_extern)
{
    const lc_wasm_module *m = instance->module;
    for (u32 i = 0; i < m->export_count; i++) {
        const lc_wasm_export *e = &m->exports[i];
        if (e->name_len != name_len || memcmp(e->name, name, name_len) != 0)
            continue;
        out_extern->kind = (lc_wasm_extern_kind)e->kind;
        switch (e->kind) {
        case 0: out_extern->as.func = instance->funcs[e->index]; break;
        case 1: out_extern->as.table = instance->tables[e->index]; break;
        case 2: out_extern->as.memory = instance->memory; break;
        default: out_extern->as.global = instance->globals[e->index]; break;
        }
        return 0;
    }
    return LC_ENOTFOUND;
}

lc_wasm_func *lc_wasm_instance_func(lc_wasm_instance *instance, const char *name)
{
    lc_wasm_extern e;
    if (lc_wasm_instance_export(instance, name, strlen(name), &e) != 0 ||
        e.kind != LC_WASM_EXTERN_FUNC)
        return NULL;
    return e.as.func;
}

lc_wasm_func *lc_wasm_instance_func_at(lc_wasm_instance *instance, u32 index)
{
    return index < instance->module->func_count ? instance->funcs[index] : NULL;
}

lc_wasm_memory *lc_wasm_instance_memory(lc_wasm_instance *instance) { return instance->memory; }

void lc_wasm_func_type(const lc_wasm_func *func, lc_wasm_functype *out_type)
{
    const lc_wasm_type *t = func->type;
    *out_type = (lc_wasm_functype){t->params, t->results, t->param_count, t->result_count};
}

const char *wasm_func_name(const lc_wasm_func *f) { return f->code ? f->code->name : NULL; }

void lc_wasm_instance_set_fuel(lc_wasm_instance *instance, u64 fuel) { instance->fuel = fuel; }
u64 lc_wasm_instance_fuel(const lc_wasm_instance *instance) { return instance->fuel; }

/* ------------------------------------------------------------ host helpers ---------------- */

void *lc_wasm_host_mem(lc_wasm_host_ctx *ctx, u64 offset, u64 len)
{
    lc_wasm_memory *m = ctx->memory;
    if (!m || offset > m->size || len > m->size - offset)
        return NULL;
    return m->data + offset;
}

int lc_wasm_host_trap(lc_wasm_host_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->trap_msg, sizeof(((lc_wasm_instance *)0)->trap_msg), fmt, ap);
    va_end(ap);
    return LC_ETRAP_HOST;
}

/* ------------------------------------------------------------ calls ----------------------- */

static int stack_ensure(lc_wasm_instance *inst)
{
    if (inst->stack)
        return 0;
    size_t slots = inst->limits.value_stack_slots_max;
    inst->stack = lc_alloc(slots * sizeof(u64));
    inst->frames = lc_alloc((size_t)inst->limits.call_depth_max * sizeof(lc_wasm_frame));
    if (!inst->stack || !inst->frames) {
        lc_free(inst->stack);
        lc_free(inst->frames);
        inst->stack = NULL;
        inst->frames = NULL;
        return LC_ENOMEM;
    }
    inst->stack_end = inst->stack + slots;
    return 0;
}

int lc_wasm_call(lc_wasm_instance *instance, const lc_wasm_func *func, const u64 *args,
                 u32 nargs, u64 *results, u32 nresults, lc_errbuf *eb)
{
    const lc_wasm_type *t = func->type;
    if (nargs != t->param_count || nresults != t->result_count)
        return lc_errf(eb, LC_EINVAL, "call: expected %u args and %u results, got %u and %u",
                       t->param_count, t->result_count, nargs, nresults);
    if (stack_ensure(instance))
        return lc_errf(eb, LC_ENOMEM, "out of memory for the value stack");
    u64 *base = instance->depth ? instance->stack_top : instance->stack;
    u32 need = LC_MAX(nargs, nresults);
    if (base + need > instance->stack_end)
        return lc_errf(eb, LC_ETRAP_STACK, "%s", lc_strerror(LC_ETRAP_STACK));
    if (nargs)
        memcpy(base, args, nargs * sizeof(u64));
    int err = wasm_exec(instance, func, base, eb);
    if (!err && nresults)
        memcpy(results, base, nresults * sizeof(u64));
    return err;
}
