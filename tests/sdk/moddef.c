/*
 * tests/sdk/moddef.c — RawModuleDef V10 decoder for the SDK tests (see moddef.h).
 *
 * Structure: one small function per spec struct, all reading from a bounded lc_rd; any error
 * sets a sticky flag plus a message, so callers read a whole value and check once. Type
 * nesting is bounded by MD_DEPTH_MAX so hostile input cannot recurse without limit.
 */
#include "sdk/moddef.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"

#define MD_DEPTH_MAX 32
#define MD_VEC_MAX 100000

typedef struct dec {
    moddef *md;
    lc_rd r;
} dec;

static void fail(dec *d, const char *what)
{
    if (!d->r.err) {
        d->r.err = LC_EDECODE;
        snprintf(d->md->err, sizeof d->md->err, "%s at offset -%zu", what, lc_rd_left(&d->r));
    } else if (!d->md->err[0]) {
        snprintf(d->md->err, sizeof d->md->err, "truncated while reading %s", what);
    }
}

static void *alloc(dec *d, size_t n)
{
    void *p = lc_arena_alloc(&d->md->arena, n ? n : 1);
    if (!p) {
        fail(d, "out of memory");
        return NULL;
    }
    memset(p, 0, n ? n : 1);
    return p;
}

static u32 vec_len(dec *d, const char *what)
{
    u32 n = lc_rd_u32(&d->r);
    if (n > MD_VEC_MAX || n > lc_rd_left(&d->r)) {
        fail(d, what);
        return 0;
    }
    return d->r.err ? 0 : n;
}

static const char *str(dec *d)
{
    u32 n = lc_rd_u32(&d->r);
    const u8 *q = lc_rd_take(&d->r, n);
    if (!q) {
        fail(d, "string");
        return "";
    }
    char *s = alloc(d, n + 1);
    if (!s) return "";
    memcpy(s, q, n);
    return s;
}

static u8 tag(dec *d, u8 max, const char *what)
{
    u8 t = lc_rd_u8(&d->r);
    if (t > max) fail(d, what);
    return t;
}

static const char *opt_str(dec *d)
{
    return tag(d, 1, "Option tag") == 0 ? str(d) : NULL;
}

static bool boolean(dec *d) { return tag(d, 1, "bool") == 1; }

static void col_list(dec *d, md_cols *c)
{
    c->count = vec_len(d, "ColList");
    if (c->count > 16) {
        fail(d, "ColList too long for the test decoder");
        c->count = 0;
        return;
    }
    for (u32 i = 0; i < c->count; i++) c->cols[i] = lc_rd_u16(&d->r);
}

static md_type *type(dec *d, int depth);

/* Product / sum body: Vec<{name: Option<String>, algebraic_type}>. */
static void elements(dec *d, md_type *t, int depth)
{
    t->count = vec_len(d, "elements");
    t->names = alloc(d, t->count * sizeof(char *));
    t->elems = alloc(d, t->count * sizeof(md_type *));
    for (u32 i = 0; i < t->count && !d->r.err && t->names; i++) {
        t->names[i] = opt_str(d);
        t->elems[i] = type(d, depth + 1);
    }
}

static md_type *type(dec *d, int depth)
{
    md_type *t = alloc(d, sizeof *t);
    if (!t) return NULL;
    if (depth > MD_DEPTH_MAX) {
        fail(d, "type nesting too deep");
        return t;
    }
    t->tag = tag(d, MD_F64, "AlgebraicType tag");
    if (t->tag == MD_REF) {
        t->ref = lc_rd_u32(&d->r);
    } else if (t->tag == MD_SUM || t->tag == MD_PRODUCT) {
        elements(d, t, depth);
    } else if (t->tag == MD_ARRAY) {
        t->count = 1;
        t->elems = alloc(d, sizeof(md_type *));
        if (t->elems) t->elems[0] = type(d, depth + 1);
    }
    return t;
}

static void sec_typespace(dec *d)
{
    moddef *md = d->md;
    md->type_count = vec_len(d, "typespace");
    md->types = alloc(d, md->type_count * sizeof(md_type *));
    for (u32 i = 0; i < md->type_count && md->types && !d->r.err; i++) md->types[i] = type(d, 0);
}

static void sec_types(dec *d)
{
    moddef *md = d->md;
    md->typedef_count = vec_len(d, "types");
    md->typedefs = alloc(d, md->typedef_count * sizeof(md_typedef));
    for (u32 i = 0; i < md->typedef_count && md->typedefs && !d->r.err; i++) {
        md_typedef *td = &md->typedefs[i];
        td->scope_count = vec_len(d, "scope");
        for (u32 k = 0; k < td->scope_count && !d->r.err; k++) (void)str(d);
        td->name = str(d);
        td->ty = lc_rd_u32(&d->r);
        td->custom_ordering = boolean(d);
    }
}

static void index_def(dec *d, md_index *ix)
{
    ix->source_name = opt_str(d);
    ix->accessor_name = opt_str(d);
    ix->algorithm = tag(d, 2, "RawIndexAlgorithm");
    if (ix->algorithm == 2) {
        ix->cols.count = 1;
        ix->cols.cols[0] = lc_rd_u16(&d->r);
    } else {
        col_list(d, &ix->cols);
    }
}

static void sequence_def(dec *d, md_sequence *s)
{
    s->source_name = opt_str(d);
    s->column = lc_rd_u16(&d->r);
    bool *has[3] = {&s->has_start, &s->has_min, &s->has_max};
    for (int k = 0; k < 3; k++) {
        *has[k] = tag(d, 1, "Option<i128>") == 0;
        if (*has[k]) (void)lc_rd_take(&d->r, 16);
    }
    s->increment_lo = (i64)lc_rd_u64(&d->r);
    s->increment_hi = (i64)lc_rd_u64(&d->r);
}

static void table_def(dec *d, md_table *t)
{
    t->name = str(d);
    t->type_ref = lc_rd_u32(&d->r);
    col_list(d, &t->pk);
    t->index_count = vec_len(d, "indexes");
    t->indexes = alloc(d, t->index_count * sizeof(md_index));
    for (u32 i = 0; i < t->index_count && t->indexes && !d->r.err; i++)
        index_def(d, &t->indexes[i]);
    t->constraint_count = vec_len(d, "constraints");
    t->constraints = alloc(d, t->constraint_count * sizeof(md_constraint));
    for (u32 i = 0; i < t->constraint_count && t->constraints && !d->r.err; i++) {
        t->constraints[i].source_name = opt_str(d);
        (void)tag(d, 0, "RawConstraintDataV9");
        col_list(d, &t->constraints[i].cols);
    }
    t->sequence_count = vec_len(d, "sequences");
    t->sequences = alloc(d, t->sequence_count * sizeof(md_sequence));
    for (u32 i = 0; i < t->sequence_count && t->sequences && !d->r.err; i++)
        sequence_def(d, &t->sequences[i]);
    t->table_type = tag(d, 1, "TableType");
    t->access = tag(d, 1, "TableAccess");
    t->default_count = vec_len(d, "default_values");
    for (u32 i = 0; i < t->default_count && !d->r.err; i++) {
        (void)lc_rd_u16(&d->r);
        u32 n = vec_len(d, "default value");
        (void)lc_rd_take(&d->r, n);
    }
    t->is_event = boolean(d);
}

static void sec_tables(dec *d)
{
    moddef *md = d->md;
    md->table_count = vec_len(d, "tables");
    md->tables = alloc(d, md->table_count * sizeof(md_table));
    for (u32 i = 0; i < md->table_count && md->tables && !d->r.err; i++)
        table_def(d, &md->tables[i]);
}

static md_type *product_type(dec *d)
{
    md_type *t = alloc(d, sizeof *t);
    if (!t) return NULL;
    t->tag = MD_PRODUCT;
    elements(d, t, 1);
    return t;
}

static void sec_reducers(dec *d)
{
    moddef *md = d->md;
    md->reducer_count = vec_len(d, "reducers");
    md->reducers = alloc(d, md->reducer_count * sizeof(md_reducer));
    for (u32 i = 0; i < md->reducer_count && md->reducers && !d->r.err; i++) {
        md_reducer *r = &md->reducers[i];
        r->name = str(d);
        r->params = product_type(d);
        r->visibility = tag(d, 1, "FunctionVisibility");
        r->ok_type = type(d, 0);
        r->err_type = type(d, 0);
    }
}

static void sec_procedures(dec *d)
{
    moddef *md = d->md;
    md->procedure_count = vec_len(d, "procedures");
    md->procedures = alloc(d, md->procedure_count * sizeof(md_procedure));
    for (u32 i = 0; i < md->procedure_count && md->procedures && !d->r.err; i++) {
        md_procedure *p = &md->procedures[i];
        p->name = str(d);
        p->params = product_type(d);
        p->ret = type(d, 0);
        p->visibility = tag(d, 1, "FunctionVisibility");
    }
}

static void sec_schedules(dec *d)
{
    moddef *md = d->md;
    md->schedule_count = vec_len(d, "schedules");
    md->schedules = alloc(d, md->schedule_count * sizeof(md_schedule));
    for (u32 i = 0; i < md->schedule_count && md->schedules && !d->r.err; i++) {
        md_schedule *s = &md->schedules[i];
        s->source_name = opt_str(d);
        s->table_name = str(d);
        s->column = lc_rd_u16(&d->r);
        s->function_name = str(d);
    }
}

static void sec_lifecycles(dec *d)
{
    moddef *md = d->md;
    md->lifecycle_count = vec_len(d, "lifecycle reducers");
    md->lifecycles = alloc(d, md->lifecycle_count * sizeof(md_lifecycle));
    for (u32 i = 0; i < md->lifecycle_count && md->lifecycles && !d->r.err; i++) {
        md->lifecycles[i].kind = tag(d, 2, "Lifecycle");
        md->lifecycles[i].function_name = str(d);
    }
}

/* Sections the SDK does not emit are still decoded (and dropped) so foreign bytes parse. */
static void sec_other(dec *d, u8 t)
{
    u32 n;
    switch (t) {
    case 8: /* RowLevelSecurity: Vec<{sql}> */
        n = vec_len(d, "rls");
        for (u32 i = 0; i < n && !d->r.err; i++) (void)str(d);
        return;
    case 9: d->md->case_policy = tag(d, 1, "CaseConversionPolicy"); return;
    case 10: /* ExplicitNames */
        n = vec_len(d, "explicit names");
        for (u32 i = 0; i < n && !d->r.err; i++) {
            (void)tag(d, 2, "ExplicitNameEntry");
            (void)str(d);
            (void)str(d);
        }
        return;
    default: fail(d, "section kind not supported by the test decoder");
    }
}

int moddef_decode(moddef *md, const u8 *p, size_t n)
{
    memset(md, 0, sizeof *md);
    lc_arena_init(&md->arena, 64u << 20);
    md->case_policy = -1;
    dec d = {md, {0}};
    lc_rd_init(&d.r, p, n);
    md->version = lc_rd_u8(&d.r);
    if (md->version != 2) fail(&d, "not RawModuleDef::V10");
    md->section_count = vec_len(&d, "sections");
    for (u32 i = 0; i < md->section_count && !d.r.err; i++) {
        u8 t = tag(&d, 14, "section tag");
        if (i < sizeof md->section_tags) md->section_tags[i] = t;
        switch (t) {
        case 0: sec_typespace(&d); break;
        case 1: sec_types(&d); break;
        case 2: sec_tables(&d); break;
        case 3: sec_reducers(&d); break;
        case 4: sec_procedures(&d); break;
        case 6: sec_schedules(&d); break;
        case 7: sec_lifecycles(&d); break;
        default: sec_other(&d, t); break;
        }
    }
    if (!d.r.err && lc_rd_left(&d.r) != 0) fail(&d, "trailing bytes");
    if (d.r.err && !md->err[0]) snprintf(md->err, sizeof md->err, "truncated");
    return d.r.err ? LC_EDECODE : 0;
}

void moddef_deinit(moddef *md) { lc_arena_deinit(&md->arena); }

const md_table *moddef_table(const moddef *md, const char *name)
{
    for (u32 i = 0; i < md->table_count; i++) {
        if (strcmp(md->tables[i].name, name) == 0) return &md->tables[i];
    }
    return NULL;
}

const md_reducer *moddef_reducer(const moddef *md, const char *name, u32 *out_id)
{
    for (u32 i = 0; i < md->reducer_count; i++) {
        if (strcmp(md->reducers[i].name, name) == 0) {
            if (out_id) *out_id = i;
            return &md->reducers[i];
        }
    }
    return NULL;
}

const md_type *moddef_resolve(const moddef *md, const md_type *t)
{
    for (int hops = 0; t && t->tag == MD_REF; hops++) {
        if (hops > MD_DEPTH_MAX || t->ref >= md->type_count) return NULL;
        t = md->types[t->ref];
    }
    return t;
}
