/*
 * codegen/codegen.c — the schema walk shared by every emitter, name forms, the emitter table
 * and file writing. See codegen.h for the design.
 */
#include "codegen/codegen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "host/module.h"

const char *codegen_camel(lc_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *o = lc_arena_alloc(a, n + 1);
    if (!o) return NULL;
    size_t k = 0;
    bool pending = false; /* saw a run of '_' / '-' */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_' || c == '-') {
            pending = true;
            continue;
        }
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (pending && !alnum) o[k++] = '_';
        if (pending && alnum && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        pending = false;
        o[k++] = c;
    }
    if (pending) o[k++] = '_';
    o[k] = 0;
    if (o[0] >= 'A' && o[0] <= 'Z') o[0] = (char)(o[0] - 'A' + 'a');
    return o;
}

const char *codegen_pascal(lc_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *o = lc_arena_alloc(a, n + 1);
    if (!o) return NULL;
    size_t k = 0;
    bool start = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_' || c == '-') {
            start = true;
            continue;
        }
        if (start && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        start = false;
        o[k++] = c;
    }
    o[k] = 0;
    return o;
}

static const char *snake(lc_arena *a, const char *s)
{
    size_t cap = strlen(s) * 2 + 8;
    char *o = lc_arena_alloc(a, cap);
    if (!o) return NULL;
    if (host_snake_case(s, strlen(s), o, cap) < 0) return NULL;
    return o;
}

static int fields_build(lc_arena *a, const lc_type *prod, u32 *out_count,
                        const codegen_field **out)
{
    u32 n = prod ? prod->elem_count : 0;
    codegen_field *f = lc_arena_alloc(a, sizeof *f * (n ? n : 1));
    if (!f) return LC_ENOMEM;
    for (u32 i = 0; i < n; i++) {
        char tmp[24];
        const char *nm = prod->elems[i].name;
        if (!nm) {
            snprintf(tmp, sizeof tmp, "arg%u", i);
            nm = tmp;
        }
        f[i].wire = lc_arena_memdup(a, nm, strlen(nm) + 1);
        f[i].camel = codegen_camel(a, nm);
        f[i].type = prod->elems[i].type;
        if (!f[i].wire || !f[i].camel) return LC_ENOMEM;
    }
    *out_count = n;
    *out = f;
    return 0;
}

static const char *type_name_of(const host_moddef *md, u32 ref)
{
    for (u32 i = 0; i < md->type_name_count; i++)
        if (md->type_names[i].ref == ref && md->type_names[i].name[0])
            return md->type_names[i].name;
    return NULL;
}

static int table_build(lc_arena *a, const host_moddef *md, const host_table_def *d,
                       codegen_table *t)
{
    const char *acc = d->alias ? d->alias : d->name;
    t->def = d;
    t->wire = d->name;
    t->camel = codegen_camel(a, acc);
    t->pascal = codegen_pascal(a, acc);
    t->snake = snake(a, acc);
    if (!t->camel || !t->pascal || !t->snake) return LC_ENOMEM;
    t->type_name = type_name_of(md, d->type_ref);
    if (!t->type_name) t->type_name = t->pascal;
    return fields_build(a, d->row_type, &t->field_count, &t->fields);
}

/* A view is a table to clients (the reference generator lists it with the tables): its rows
 * are the view's row type, without keys, indexes or constraints. */
static int view_build(lc_arena *a, const host_moddef *md, const host_view_def *v,
                      codegen_table *t)
{
    host_table_def *d = lc_arena_alloc(a, sizeof *d);
    const lc_type *row = host_view_row_type(v);
    if (!d) return LC_ENOMEM;
    if (!row || row->kind != LC_T_PRODUCT) return LC_EINVALID;
    memset(d, 0, sizeof *d);
    d->name = v->name;
    d->alias = v->alias;
    d->type_ref = UINT32_MAX;
    d->row_type = row;
    d->pk_col = -1;
    d->is_public = true;
    return table_build(a, md, d, t);
}

static int reducer_build(lc_arena *a, const host_reducer_def *d, codegen_reducer *r)
{
    r->def = d;
    r->wire = d->name;
    r->camel = codegen_camel(a, d->name);
    r->pascal = codegen_pascal(a, d->name);
    r->snake = snake(a, d->name);
    if (!r->camel || !r->pascal || !r->snake) return LC_ENOMEM;
    return fields_build(a, d->params, &r->field_count, &r->fields);
}

static int procedure_build(lc_arena *a, const host_procedure_def *d, codegen_procedure *p)
{
    p->def = d;
    p->wire = d->name;
    p->camel = codegen_camel(a, d->name);
    p->pascal = codegen_pascal(a, d->name);
    p->snake = snake(a, d->name);
    p->ret = d->return_type;
    if (!p->camel || !p->pascal || !p->snake) return LC_ENOMEM;
    return fields_build(a, d->params, &p->field_count, &p->fields);
}

/* Every name an emitter writes into source text (as an identifier, a key or inside a quoted
 * literal) comes from the untrusted module: accept only identifier bytes (ASCII letters,
 * digits but not first, '_', and any byte >= 0x80 as moddef's identifier rule does), so no
 * name can close a string or inject code, and every key is a valid TypeScript identifier. */
static bool name_safe(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
    for (const u8 *p = (const u8 *)s; *p; p++) {
        u8 c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c >= 0x80;
        if (!ok) return false;
    }
    return true;
}

/* Element and variant names at any depth (bounded by LC_VALUE_DEPTH_MAX). */
static const char *type_unsafe_name(const lc_type *t)
{
    if (t->kind == LC_T_ARRAY) return type_unsafe_name(t->array_elem);
    if (t->kind != LC_T_PRODUCT && t->kind != LC_T_SUM) return NULL;
    for (u32 i = 0; i < t->elem_count; i++) {
        if (t->elems[i].name && !name_safe(t->elems[i].name)) return t->elems[i].name;
        const char *bad = type_unsafe_name(t->elems[i].type);
        if (bad) return bad;
    }
    return NULL;
}

static const char *table_unsafe_name(const codegen_table *t)
{
    const host_table_def *d = t->def;
    if (!name_safe(t->wire)) return t->wire;
    if (!name_safe(t->camel)) return t->camel;
    if (!name_safe(t->type_name)) return t->type_name;
    for (u32 i = 0; i < d->index_count; i++) {
        const host_index_def *x = &d->indexes[i];
        if (!name_safe(x->name)) return x->name;
        if (x->accessor && !name_safe(x->accessor)) return x->accessor;
        if (x->alias && !name_safe(x->alias)) return x->alias;
    }
    for (u32 i = 0; i < d->constraint_count; i++)
        if (!name_safe(d->constraints[i].name)) return d->constraints[i].name;
    return d->row_type ? type_unsafe_name(d->row_type) : NULL;
}

static const char *schema_unsafe_name(const codegen_schema *s)
{
    for (u32 i = 0; i < s->table_count; i++) {
        const char *bad = table_unsafe_name(&s->tables[i]);
        if (bad) return bad;
    }
    for (u32 i = 0; i < s->reducer_count; i++) {
        const codegen_reducer *r = &s->reducers[i];
        if (!name_safe(r->wire)) return r->wire;
        const char *bad = r->def->params ? type_unsafe_name(r->def->params) : NULL;
        if (bad) return bad;
    }
    for (u32 i = 0; i < s->procedure_count; i++) {
        const codegen_procedure *p = &s->procedures[i];
        if (!name_safe(p->wire)) return p->wire;
        const char *bad = p->def->params ? type_unsafe_name(p->def->params) : NULL;
        if (!bad && p->ret) bad = type_unsafe_name(p->ret);
        if (bad) return bad;
    }
    return NULL;
}

static int table_cmp(const void *a, const void *b)
{
    return strcmp(((const codegen_table *)a)->wire, ((const codegen_table *)b)->wire);
}

int codegen_schema_build(const host_moddef *md, bool include_private, codegen_schema **out,
                         lc_errbuf *eb)
{
    *out = NULL;
    codegen_schema *s = lc_calloc(1, sizeof *s);
    if (!s) return lc_errf(eb, LC_ENOMEM, "codegen: out of memory");
    lc_arena_init(&s->arena, 0);
    s->md = md;
    codegen_table *ts = lc_arena_alloc(&s->arena,
                                       sizeof *ts * (md->table_count + md->view_count + 1));
    codegen_reducer *rs = lc_arena_alloc(&s->arena, sizeof *rs * (md->reducer_count + 1));
    codegen_procedure *ps = lc_arena_alloc(&s->arena, sizeof *ps * (md->procedure_count + 1));
    int rc = (ts && rs && ps) ? 0 : LC_ENOMEM;
    for (u32 i = 0; rc == 0 && i < md->table_count; i++) {
        const host_table_def *d = &md->tables[i];
        if (!d->is_public && !include_private) continue;
        rc = table_build(&s->arena, md, d, &ts[s->table_count++]);
    }
    for (u32 i = 0; rc == 0 && i < md->view_count; i++)
        if (md->views[i].is_public) rc = view_build(&s->arena, md, &md->views[i],
                                                    &ts[s->table_count++]);
    for (u32 i = 0; rc == 0 && i < md->reducer_count; i++) {
        const host_reducer_def *d = &md->reducers[i];
        if (d->lifecycle != HOST_LIFECYCLE_NONE) continue;
        if (!d->is_public && !include_private) continue;
        rc = reducer_build(&s->arena, d, &rs[s->reducer_count++]);
    }
    for (u32 i = 0; rc == 0 && i < md->procedure_count; i++) {
        const host_procedure_def *d = &md->procedures[i];
        if (!d->is_public && !include_private) continue;
        rc = procedure_build(&s->arena, d, &ps[s->procedure_count++]);
    }
    if (rc != 0) {
        codegen_schema_free(s);
        return lc_errf(eb, rc, "codegen: cannot build the schema: %s", lc_strerror(rc));
    }
    /* The reference generator lists tables by name; reducers keep module order. */
    qsort(ts, s->table_count, sizeof *ts, table_cmp);
    s->tables = ts;
    s->reducers = rs;
    s->procedures = ps;
    const char *bad = schema_unsafe_name(s);
    if (bad) {
        rc = lc_errf(eb, LC_EINVALID, "codegen: name '%.64s' is not an identifier", bad);
        codegen_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void codegen_schema_free(codegen_schema *s)
{
    if (!s) return;
    lc_arena_deinit(&s->arena);
    lc_free(s);
}

static const codegen_emitter emitters[] = {
    {"typescript", codegen_ts_emit},
    {"ts", codegen_ts_emit},
};

const codegen_emitter *codegen_emitter_find(const char *lang)
{
    for (size_t i = 0; i < sizeof emitters / sizeof emitters[0]; i++)
        if (strcmp(lang, emitters[i].lang) == 0) return &emitters[i];
    return NULL;
}

const char *codegen_langs(void) { return "typescript (ts)"; }

static int mkdir_p(const char *path, lc_errbuf *eb)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) return lc_errf(eb, LC_EINVAL, "codegen: bad directory path");
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != 0) continue;
        char c = tmp[i];
        tmp[i] = 0;
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return lc_errf(eb, LC_EIO, "codegen: cannot create %s: %s", tmp, strerror(errno));
        tmp[i] = c;
    }
    return 0;
}

int codegen_write_file(const char *dir, const char *name, const void *p, size_t n,
                       lc_errbuf *eb)
{
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= sizeof path)
        return lc_errf(eb, LC_EINVAL, "codegen: output path too long");
    char *slash = strrchr(path, '/');
    *slash = 0;
    int rc = mkdir_p(path, eb);
    *slash = '/';
    if (rc != 0) return rc;
    FILE *f = fopen(path, "wb");
    if (!f) return lc_errf(eb, LC_EIO, "codegen: cannot write %s: %s", path, strerror(errno));
    bool ok = fwrite(p, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok) return lc_errf(eb, LC_EIO, "codegen: write to %s failed", path);
    return 0;
}
