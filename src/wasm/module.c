/*
 * wasm/module.c — module life cycle (load = decode + validate + compile) and inspection.
 *
 * A module is immutable after lc_wasm_module_load returns. It is reference counted: the
 * loader's reference plus one per live instance, so instances may outlive the caller's handle.
 * It keeps its own copy of the input bytes because data segments, names and function bodies
 * point into them.
 */
#include <string.h>

#include "base/alloc.h"
#include "wasm/wasm_int.h"

void lc_wasm_limits_default(lc_wasm_limits *out_limits)
{
    out_limits->call_depth_max = 10000;
    out_limits->value_stack_slots_max = 1u << 20;
    out_limits->memory_pages_max = LC_WASM_PAGES_MAX;
    out_limits->table_elems_max = 10u << 20;
    out_limits->fuel_default = UINT64_MAX;
}

static void module_free(lc_wasm_module *m)
{
    for (u32 i = 0; i < m->type_count; i++)
        lc_free(m->types[i].params);
    lc_free(m->types);
    for (u32 i = 0; i < m->import_count; i++) {
        lc_free(m->imports[i].module);
        lc_free(m->imports[i].name);
    }
    lc_free(m->imports);
    lc_free(m->func_types);
    lc_free(m->tables);
    lc_free(m->memories);
    lc_free(m->global_types);
    lc_free(m->globals);
    for (u32 i = 0; i < m->export_count; i++)
        lc_free(m->exports[i].name);
    lc_free(m->exports);
    for (u32 i = 0; i < m->elem_count; i++)
        lc_free(m->elems[i].items);
    lc_free(m->elems);
    lc_free(m->datas);
    lc_free(m->declared_refs);
    for (u32 i = 0; i < m->code_count; i++) {
        lc_free(m->codes[i].local_types);
        lc_free(m->codes[i].code);
        lc_free(m->codes[i].name);
    }
    lc_free(m->codes);
    wasm_jit_free(m->jit);
    lc_free(m->bytes);
    lc_free(m);
}

void wasm_module_release(const lc_wasm_module *cm)
{
    lc_wasm_module *m = (lc_wasm_module *)cm;
    LC_ASSERT(m->refs > 0);
    if (--m->refs == 0)
        module_free(m);
}

void lc_wasm_module_destroy(lc_wasm_module *module)
{
    if (module)
        wasm_module_release(module);
}

int lc_wasm_module_load(const u8 *bytes, size_t len, const lc_wasm_limits *limits,
                        lc_wasm_module **out_module, lc_errbuf *eb)
{
    *out_module = NULL;
    if (len > 0xffffffffu)
        return lc_errf(eb, LC_EMALFORMED, "module too large");
    lc_wasm_module *m = lc_calloc(1, sizeof(*m));
    if (!m)
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    m->refs = 1;
    lc_wasm_limits_default(&m->limits);
    if (limits)
        m->limits = *limits;
    m->bytes = lc_memdup(bytes, len);
    m->len = len;
    int err = m->bytes ? 0 : lc_errf(eb, LC_ENOMEM, "out of memory");
    if (!err)
        err = wasm_decode(m, eb);
    if (!err)
        err = wasm_compile_all(m, eb);
    if (err) {
        module_free(m);
        return err;
    }
    wasm_jit_compile(m);  /* best effort: without it the interpreter runs every function */
    *out_module = m;
    return 0;
}

u32 lc_wasm_module_import_count(const lc_wasm_module *module) { return module->import_count; }
u32 lc_wasm_module_export_count(const lc_wasm_module *module) { return module->export_count; }

static void fill_type(const lc_wasm_module *m, u8 kind, u32 index, lc_wasm_extern_desc *d)
{
    d->kind = (lc_wasm_extern_kind)kind;
    d->index = index;
    switch (kind) {
    case LC_WASM_EXTERN_FUNC: {
        const lc_wasm_type *t = &m->types[m->func_types[index]];
        d->type.func = (lc_wasm_functype){t->params, t->results, t->param_count,
                                          t->result_count};
        break;
    }
    case LC_WASM_EXTERN_TABLE: d->type.table = m->tables[index]; break;
    case LC_WASM_EXTERN_MEMORY: d->type.memory = m->memories[index]; break;
    default: d->type.global = m->global_types[index]; break;
    }
}

void lc_wasm_module_import_get(const lc_wasm_module *module, u32 index,
                               lc_wasm_extern_desc *out_desc)
{
    LC_ASSERT(index < module->import_count);
    const lc_wasm_import *im = &module->imports[index];
    u32 counts[4] = {0, 0, 0, 0};
    for (u32 i = 0; i < index; i++)
        counts[module->imports[i].kind]++;
    memset(out_desc, 0, sizeof(*out_desc));
    fill_type(module, im->kind, counts[im->kind], out_desc);
    out_desc->module = im->module;
    out_desc->module_len = im->module_len;
    out_desc->name = im->name;
    out_desc->name_len = im->name_len;
}

void lc_wasm_module_export_get(const lc_wasm_module *module, u32 index,
                               lc_wasm_extern_desc *out_desc)
{
    LC_ASSERT(index < module->export_count);
    const lc_wasm_export *e = &module->exports[index];
    memset(out_desc, 0, sizeof(*out_desc));
    fill_type(module, e->kind, e->index, out_desc);
    out_desc->name = e->name;
    out_desc->name_len = e->name_len;
}

int lc_wasm_module_export_find(const lc_wasm_module *module, const char *name,
                               lc_wasm_extern_desc *out_desc)
{
    size_t n = strlen(name);
    for (u32 i = 0; i < module->export_count; i++) {
        const lc_wasm_export *e = &module->exports[i];
        if (e->name_len == n && memcmp(e->name, name, n) == 0) {
            lc_wasm_module_export_get(module, i, out_desc);
            return 0;
        }
    }
    return LC_ENOTFOUND;
}
