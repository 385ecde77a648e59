/*
 * host/moddef_decode.c — BSATN decoders of RawModuleDef V10, V9 and V8 into the raw form of
 * moddef_int.h (spec-module-abi.md §3.1-3.3; field order there is normative).
 *
 * Design. One md_reader walks the untrusted bytes with a bounded lc_rd; every list count is
 * checked against LC_MODDEF_ITEMS_MAX and every string against LC_MODDEF_NAME_MAX (or
 * LC_MODDEF_SQL_MAX for row-level-security SQL) and for UTF-8 before anything is allocated,
 * and all allocation comes from the moddef's arena, so a hostile description costs at most a
 * bounded multiple of its own size. Readers set mr->where to the field they are reading; the
 * first failure is reported as "<what> at byte <offset> (<where>)" and sticks (later reads
 * return zeros), so each decoder reads a whole structure and checks once.
 *
 * Only encoding is checked here. Semantic rules (names, keys, lifecycles) are in
 * moddef_check.c, shared by all three versions.
 */
#include "host/moddef_int.h"

#include <stdio.h>

#include "base/limits.h"

/* ------------------------------------------------------------ primitives ------------------ */

static bool md_failed(md_reader *mr) { return mr->r.err != 0; }

/* Marks the reader failed with err (first failure wins) and records the message. */
static void md_fail(md_reader *mr, int err, const char *what)
{
    if (mr->r.err) return;
    mr->r.err = err;
    lc_errf(mr->eb, err, "module description: %s (%s)", what, mr->where ? mr->where : "?");
}

static void *md_alloc(md_reader *mr, size_t size)
{
    void *p = lc_arena_alloc(&mr->md->arena, size ? size : 1);
    if (!p) md_fail(mr, LC_ENOMEM, "out of memory");
    if (p) memset(p, 0, size ? size : 1);
    return p;
}

static u8 md_u8(md_reader *mr)
{
    u8 v = lc_rd_u8(&mr->r);
    if (md_failed(mr)) md_fail(mr, LC_EDECODE, "truncated");
    return v;
}

static u16 md_u16(md_reader *mr) { return lc_rd_u16(&mr->r); }
static u32 md_u32(md_reader *mr) { return lc_rd_u32(&mr->r); }

static bool md_bool(md_reader *mr)
{
    u8 b = lc_rd_u8(&mr->r);
    if (!md_failed(mr) && b > 1) md_fail(mr, LC_EDECODE, "bool is neither 0 nor 1");
    return b == 1;
}

/* A sum tag in [0, count). */
static u8 md_tag(md_reader *mr, u8 count)
{
    u8 t = lc_rd_u8(&mr->r);
    if (!md_failed(mr) && t >= count) md_fail(mr, LC_EDECODE, "unknown sum tag");
    return md_failed(mr) ? 0 : t;
}

/* A Vec length, bounded. */
static u32 md_count(md_reader *mr)
{
    u32 n = lc_rd_u32(&mr->r);
    if (!md_failed(mr) && n > LC_MODDEF_ITEMS_MAX) md_fail(mr, LC_ELIMIT, "list too long");
    return md_failed(mr) ? 0 : n;
}

static const char *md_string_max(md_reader *mr, u32 max)
{
    u32 n = lc_rd_u32(&mr->r);
    if (!md_failed(mr) && n > max) md_fail(mr, LC_ELIMIT, "string too long");
    const u8 *p = md_failed(mr) ? NULL : lc_rd_take(&mr->r, n);
    if (!p) {
        md_fail(mr, LC_EDECODE, "truncated string");
        return "";
    }
    if (!lc_utf8_valid(p, n)) {
        md_fail(mr, LC_EDECODE, "string is not valid UTF-8");
        return "";
    }
    char *s = md_alloc(mr, (size_t)n + 1);
    if (!s) return "";
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static const char *md_string(md_reader *mr) { return md_string_max(mr, LC_MODDEF_NAME_MAX); }

/* Option<String>: Some is tag 0. */
static const char *md_opt_string(md_reader *mr)
{
    return md_tag(mr, 2) == 0 && !md_failed(mr) ? md_string(mr) : NULL;
}

static i128 md_i128(md_reader *mr)
{
    const u8 *p = lc_rd_take(&mr->r, 16);
    i128 v = 0;
    if (p) memcpy(&v, p, 16);
    return v;
}

static bool md_opt_i128(md_reader *mr, i128 *out)
{
    if (md_tag(mr, 2) != 0 || md_failed(mr)) return false;
    *out = md_i128(mr);
    return true;
}

/* ColList = Array<u16>. */
static raw_cols md_cols(md_reader *mr)
{
    raw_cols c = {0, NULL};
    u32 n = md_count(mr);
    if (n > LC_TABLE_COLS_MAX) md_fail(mr, LC_ELIMIT, "column list too long");
    if (md_failed(mr)) return c;
    u16 *cols = md_alloc(mr, n * sizeof *cols);
    for (u32 i = 0; cols && i < n; i++) cols[i] = md_u16(mr);
    c.count = (u16)n;
    c.cols = cols;
    return c;
}

static const lc_type *md_type(md_reader *mr)
{
    const lc_type *t = NULL;
    if (md_failed(mr)) return NULL;
    lc_errbuf eb;
    int rc = lc_type_decode(&mr->md->resolved, &mr->r, &t, &eb);
    if (rc) {
        mr->r.err = 0;
        md_fail(mr, rc, eb.msg);
    }
    return t;
}

/* ProductType = Array<{ name: Option<String>, algebraic_type }> (no tag). */
static const lc_type *md_product(md_reader *mr)
{
    u32 n = md_count(mr);
    if (n > LC_PRODUCT_ELEMS_MAX) md_fail(mr, LC_ELIMIT, "product too large");
    if (md_failed(mr)) return NULL;
    lc_type_elem *elems = md_alloc(mr, n * sizeof *elems);
    for (u32 i = 0; elems && i < n && !md_failed(mr); i++) {
        elems[i].name = md_opt_string(mr);
        elems[i].type = md_type(mr);
    }
    if (md_failed(mr) || !elems) return NULL;
    const lc_type *t = lc_type_product(&mr->md->resolved, n, elems);
    if (!t) md_fail(mr, LC_ELIMIT, "product type too deep or out of memory");
    return t;
}

/* Typespace: replaces the moddef's typespace contents. (Parameter and return types decoded
 * elsewhere live in md->resolved, because decoding a typespace resets its arena.) */
static void md_typespace(md_reader *mr)
{
    if (md_failed(mr)) return;
    lc_errbuf eb;
    int rc = lc_typespace_decode(&mr->md->typespace, &mr->r, &eb);
    if (rc) {
        mr->r.err = 0;
        md_fail(mr, rc, eb.msg);
    }
}

/* Allocates n elements of size sz for a decoded list. */
/* n bytes of the input copied into the arena (the input is not kept after decoding). */
static const u8 *md_bytes(md_reader *mr, u32 n)
{
    const u8 *p = lc_rd_take(&mr->r, n);
    u8 *c = p ? md_alloc(mr, n) : NULL;
    if (c && n) memcpy(c, p, n);
    return c;
}

#define MD_LIST(mr, n, ptr) ((ptr) = md_alloc((mr), (size_t)(n) * sizeof *(ptr)))

/* ------------------------------------------------------------ shared pieces ---------------- */

/* RawIndexAlgorithm: 0 BTree{columns}, 1 Hash{columns}, 2 Direct{column}. */
static void md_index_algo(md_reader *mr, raw_index *ix)
{
    mr->where = "index algorithm";
    u8 tag = md_tag(mr, 3);
    if (tag == 2) {
        u16 *col = md_alloc(mr, sizeof *col);
        if (col) *col = md_u16(mr);
        ix->algo = HOST_INDEX_DIRECT;
        ix->cols = (raw_cols){1, col};
    } else {
        ix->algo = tag == 1 ? HOST_INDEX_HASH : HOST_INDEX_BTREE;
        ix->cols = md_cols(mr);
    }
}

/* RawConstraintDataV9: 0 Unique{columns}. */
static void md_constraint(md_reader *mr, raw_constraint *c)
{
    mr->where = "constraint";
    c->name = md_opt_string(mr);
    md_tag(mr, 1);
    c->cols = md_cols(mr);
}

/* RawSequenceDefV9/V10 share a layout: name, column, start, min, max, increment. */
static void md_sequence(md_reader *mr, raw_sequence *s)
{
    mr->where = "sequence";
    s->name = md_opt_string(mr);
    s->col = md_u16(mr);
    s->has_start = md_opt_i128(mr, &s->start);
    s->has_min = md_opt_i128(mr, &s->min_value);
    s->has_max = md_opt_i128(mr, &s->max_value);
    s->increment = md_i128(mr);
}

static void md_indexes_v9(md_reader *mr, raw_table *t)
{
    t->index_count = md_count(mr);
    MD_LIST(mr, t->index_count, t->indexes);
    for (u32 i = 0; t->indexes && i < t->index_count && !md_failed(mr); i++) {
        mr->where = "index";
        t->indexes[i].name = md_opt_string(mr);
        t->indexes[i].accessor = md_opt_string(mr);
        md_index_algo(mr, &t->indexes[i]);
    }
}

static void md_constraints_and_sequences(md_reader *mr, raw_table *t)
{
    t->constraint_count = md_count(mr);
    MD_LIST(mr, t->constraint_count, t->constraints);
    for (u32 i = 0; t->constraints && i < t->constraint_count && !md_failed(mr); i++)
        md_constraint(mr, &t->constraints[i]);
    t->sequence_count = md_count(mr);
    MD_LIST(mr, t->sequence_count, t->sequences);
    for (u32 i = 0; t->sequences && i < t->sequence_count && !md_failed(mr); i++)
        md_sequence(mr, &t->sequences[i]);
}

/* TableType (0 System, 1 User) and TableAccess (0 Public, 1 Private). */
static void md_table_type_access(md_reader *mr, raw_table *t)
{
    mr->where = "table type";
    t->is_system = md_tag(mr, 2) == 0;
    mr->where = "table access";
    t->is_public = md_tag(mr, 2) == 0;
}

/* RawTypeDefV9/V10: { { scope: Vec<String>, name }, ty: u32, custom_ordering: bool }. The
 * host only checks it decodes; the names and refs are kept in md->type_names for codegen. */
static void md_skip_typedefs(md_reader *mr)
{
    u32 n = md_count(mr);
    host_type_name *names = n ? md_alloc(mr, sizeof *names * n) : NULL;
    u32 kept = 0;
    for (u32 i = 0; i < n && !md_failed(mr); i++) {
        mr->where = "type definition";
        u32 scope = md_count(mr);
        for (u32 k = 0; k < scope && !md_failed(mr); k++) md_string(mr);
        const char *name = md_string(mr);
        u32 ref = md_u32(mr);
        md_bool(mr);
        if (names && !md_failed(mr)) names[kept++] = (host_type_name){name, ref};
    }
    mr->md->type_names = names;
    mr->md->type_name_count = names ? kept : 0;
}

/* ------------------------------------------------------------ V10 -------------------------- */

static void v10_tables(md_reader *mr, raw_moddef *raw)
{
    raw->table_count = md_count(mr);
    MD_LIST(mr, raw->table_count, raw->tables);
    for (u32 i = 0; raw->tables && i < raw->table_count && !md_failed(mr); i++) {
        raw_table *t = &raw->tables[i];
        mr->where = "table";
        t->name = md_string(mr);
        t->type_ref = md_u32(mr);
        mr->where = "primary key";
        t->pk = md_cols(mr);
        md_indexes_v9(mr, t); /* V10 index = { source_name, accessor_name, algorithm } */
        md_constraints_and_sequences(mr, t);
        md_table_type_access(mr, t);
        mr->where = "default values";
        t->default_count = md_count(mr);
        MD_LIST(mr, t->default_count, t->defaults);
        for (u32 k = 0; t->defaults && k < t->default_count && !md_failed(mr); k++) {
            t->defaults[k].col = md_u16(mr);
            t->defaults[k].len = md_count(mr);
            t->defaults[k].value = md_bytes(mr, t->defaults[k].len);
        }
        mr->where = "is_event";
        t->is_event = md_bool(mr);
    }
}

/* FunctionVisibility: 0 Private, 1 ClientCallable. */
static bool md_visibility(md_reader *mr)
{
    mr->where = "visibility";
    return md_tag(mr, 2) == 1;
}

static void v10_reducers(md_reader *mr, raw_moddef *raw)
{
    raw->reducer_count = md_count(mr);
    MD_LIST(mr, raw->reducer_count, raw->reducers);
    for (u32 i = 0; raw->reducers && i < raw->reducer_count && !md_failed(mr); i++) {
        raw_function *f = &raw->reducers[i];
        mr->where = "reducer";
        f->name = md_string(mr);
        f->params = md_product(mr);
        f->is_public = md_visibility(mr);
        mr->where = "reducer return types";
        f->ok_type = md_type(mr);
        f->err_type = md_type(mr);
    }
}

static void v10_procedures(md_reader *mr, raw_moddef *raw)
{
    raw->procedure_count = md_count(mr);
    MD_LIST(mr, raw->procedure_count, raw->procedures);
    for (u32 i = 0; raw->procedures && i < raw->procedure_count && !md_failed(mr); i++) {
        raw_function *f = &raw->procedures[i];
        mr->where = "procedure";
        f->name = md_string(mr);
        f->params = md_product(mr);
        f->return_type = md_type(mr);
        f->is_public = md_visibility(mr);
    }
}

static void md_view(md_reader *mr, raw_function *f)
{
    mr->where = "view";
    f->name = md_string(mr);
    f->view_index = md_u32(mr);
    f->is_public = md_bool(mr);
    f->is_anonymous = md_bool(mr);
    f->params = md_product(mr);
    f->return_type = md_type(mr);
}

static void v10_views(md_reader *mr, raw_moddef *raw)
{
    raw->view_count = md_count(mr);
    MD_LIST(mr, raw->view_count, raw->views);
    for (u32 i = 0; raw->views && i < raw->view_count && !md_failed(mr); i++)
        md_view(mr, &raw->views[i]);
}

static void v10_schedules(md_reader *mr, raw_moddef *raw)
{
    raw->schedule_count = md_count(mr);
    MD_LIST(mr, raw->schedule_count, raw->schedules);
    for (u32 i = 0; raw->schedules && i < raw->schedule_count && !md_failed(mr); i++) {
        raw_schedule *s = &raw->schedules[i];
        mr->where = "schedule";
        s->name = md_opt_string(mr);
        s->table = md_string(mr);
        s->at_col = md_u16(mr);
        s->function = md_string(mr);
    }
}

/* Lifecycle reducers: { Lifecycle (0 Init, 1 OnConnect, 2 OnDisconnect), function_name }.
 * Recorded as schedules-like pairs and attached by the validator. */
static void v10_lifecycles(md_reader *mr, raw_moddef *raw, raw_schedule **out, u32 *out_count)
{
    *out_count = md_count(mr);
    MD_LIST(mr, *out_count, *out);
    for (u32 i = 0; *out && i < *out_count && !md_failed(mr); i++) {
        mr->where = "lifecycle reducer";
        (*out)[i].at_col = (u16)(md_tag(mr, 3) + HOST_LIFECYCLE_INIT);
        (*out)[i].function = md_string(mr);
    }
    (void)raw;
}

static void md_rls(md_reader *mr, raw_moddef *raw)
{
    raw->rls_count = md_count(mr);
    MD_LIST(mr, raw->rls_count, raw->rls);
    for (u32 i = 0; raw->rls && i < raw->rls_count && !md_failed(mr); i++) {
        mr->where = "row-level security";
        raw->rls[i] = md_string_max(mr, LC_MODDEF_SQL_MAX);
    }
}

static void v10_explicit_names(md_reader *mr, raw_moddef *raw)
{
    raw->mapping_count = md_count(mr);
    MD_LIST(mr, raw->mapping_count, raw->mappings);
    for (u32 i = 0; raw->mappings && i < raw->mapping_count && !md_failed(mr); i++) {
        mr->where = "explicit name";
        raw->mappings[i].kind = md_tag(mr, 3);
        raw->mappings[i].source = md_string(mr);
        raw->mappings[i].canonical = md_string(mr);
    }
}

/* Sections the host does not act on yet, decoded to check their encoding. */
static void v10_skip_http_and_view_keys(md_reader *mr, u8 tag)
{
    u32 n = md_count(mr);
    for (u32 i = 0; i < n && !md_failed(mr); i++) {
        mr->where = tag == 11 ? "http handler" : tag == 12 ? "http route" : "view primary key";
        md_string(mr);
        if (tag == 12) {
            if (md_tag(mr, 2) == 1 && md_tag(mr, 10) == 9) md_string(mr);
            md_string(mr);
        } else if (tag == 13) {
            u32 cols = md_count(mr);
            for (u32 k = 0; k < cols && !md_failed(mr); k++) md_string(mr);
        }
    }
}

static bool lifecycle_taken(const raw_moddef *raw, u8 role)
{
    for (u32 k = 0; k < raw->reducer_count; k++)
        if (raw->reducers[k].lifecycle == role) return true;
    return false;
}

static int decode_v10(md_reader *mr, raw_moddef *raw)
{
    raw_schedule *lifecycles = NULL;
    u32 lifecycle_count = 0, seen = 0;
    raw->is_snake_case = true;
    mr->where = "sections";
    u32 n = md_count(mr);
    for (u32 i = 0; i < n && !md_failed(mr); i++) {
        mr->where = "section tag";
        u8 tag = md_tag(mr, 15);
        if (!md_failed(mr) && tag < 32 && (seen & (1u << tag)))
            md_fail(mr, LC_EDECODE, "section appears twice");
        seen |= 1u << tag;
        switch (tag) {
        case 0: mr->where = "typespace"; md_typespace(mr); break;
        case 1: md_skip_typedefs(mr); break;
        case 2: v10_tables(mr, raw); break;
        case 3: v10_reducers(mr, raw); break;
        case 4: v10_procedures(mr, raw); break;
        case 5: v10_views(mr, raw); break;
        case 6: v10_schedules(mr, raw); break;
        case 7: v10_lifecycles(mr, raw, &lifecycles, &lifecycle_count); break;
        case 8: md_rls(mr, raw); break;
        case 9: mr->where = "case conversion"; raw->is_snake_case = md_tag(mr, 2) == 1; break;
        case 10: v10_explicit_names(mr, raw); break;
        case 11: case 12: case 13: v10_skip_http_and_view_keys(mr, tag); break;
        default:
            mr->where = "submodules";
            md_fail(mr, LC_ENOTSUP, "submodules (TypeScript modules) are not supported");
        }
    }
    /* Attach lifecycle roles by reducer source name. */
    for (u32 i = 0; i < lifecycle_count && !md_failed(mr); i++) {
        u32 k = 0;
        while (k < raw->reducer_count && strcmp(raw->reducers[k].name, lifecycles[i].function))
            k++;
        if (k == raw->reducer_count) {
            mr->where = lifecycles[i].function;
            md_fail(mr, LC_EINVALID, "lifecycle names a reducer that does not exist");
        } else if (lifecycle_taken(raw, (u8)lifecycles[i].at_col)) {
            mr->where = lifecycles[i].function;
            md_fail(mr, LC_EINVALID, "two reducers for the same lifecycle role");
        } else if (raw->reducers[k].lifecycle) {
            mr->where = lifecycles[i].function;
            md_fail(mr, LC_EINVALID, "reducer has two lifecycle roles");
        } else {
            raw->reducers[k].lifecycle = (u8)lifecycles[i].at_col;
        }
    }
    return mr->r.err;
}

/* ------------------------------------------------------------ V9 --------------------------- */

static void v9_tables(md_reader *mr, raw_moddef *raw)
{
    raw->table_count = md_count(mr);
    MD_LIST(mr, raw->table_count, raw->tables);
    for (u32 i = 0; raw->tables && i < raw->table_count && !md_failed(mr); i++) {
        raw_table *t = &raw->tables[i];
        mr->where = "table";
        t->name = md_string(mr);
        t->type_ref = md_u32(mr);
        mr->where = "primary key";
        t->pk = md_cols(mr);
        md_indexes_v9(mr, t);
        md_constraints_and_sequences(mr, t);
        mr->where = "schedule";
        if (md_tag(mr, 2) == 0 && !md_failed(mr)) {
            t->schedule_name = md_opt_string(mr);
            t->schedule_function = md_string(mr);
            t->schedule_at_col = md_u16(mr);
        }
        md_table_type_access(mr, t);
    }
}

static void v9_reducers(md_reader *mr, raw_moddef *raw)
{
    raw->reducer_count = md_count(mr);
    MD_LIST(mr, raw->reducer_count, raw->reducers);
    for (u32 i = 0; raw->reducers && i < raw->reducer_count && !md_failed(mr); i++) {
        raw_function *f = &raw->reducers[i];
        mr->where = "reducer";
        f->name = md_string(mr);
        f->params = md_product(mr);
        f->is_public = true; /* V9 has no visibility: lifecycle ones become private later */
        mr->where = "reducer lifecycle";
        if (md_tag(mr, 2) == 0) f->lifecycle = (u8)(md_tag(mr, 3) + HOST_LIFECYCLE_INIT);
    }
}

/* misc_exports: 0 ColumnDefaultValue{table, col_id, value}, 1 Procedure, 2 View. Defaults are
 * attached to their table by name here (V9 names are verbatim). */
static void v9_misc(md_reader *mr, raw_moddef *raw)
{
    u32 n = md_count(mr);
    MD_LIST(mr, n, raw->procedures);
    MD_LIST(mr, n, raw->views);
    for (u32 i = 0; raw->procedures && raw->views && i < n && !md_failed(mr); i++) {
        mr->where = "misc export";
        u8 tag = md_tag(mr, 3);
        if (tag == 0) {
            const char *table = md_string(mr);
            host_default_def d = {.col = md_u16(mr)};
            d.len = md_count(mr);
            d.value = md_bytes(mr, d.len);
            raw_table *t = NULL;
            for (u32 k = 0; k < raw->table_count; k++)
                if (strcmp(raw->tables[k].name, table) == 0) t = &raw->tables[k];
            if (!t && !md_failed(mr)) md_fail(mr, LC_EINVALID, "default for an unknown table");
            if (t && !md_failed(mr)) {
                host_default_def *nd = md_alloc(mr, (t->default_count + 1) * sizeof *nd);
                if (nd && t->default_count) memcpy(nd, t->defaults, t->default_count * sizeof *nd);
                if (nd) nd[t->default_count++] = d;
                t->defaults = nd;
            }
        } else if (tag == 1) {
            raw_function *f = &raw->procedures[raw->procedure_count++];
            mr->where = "procedure";
            f->name = md_string(mr);
            f->params = md_product(mr);
            f->return_type = md_type(mr);
            f->is_public = true;
        } else {
            md_view(mr, &raw->views[raw->view_count++]);
        }
    }
}

static int decode_v9(md_reader *mr, raw_moddef *raw)
{
    mr->where = "typespace";
    md_typespace(mr);
    v9_tables(mr, raw);
    v9_reducers(mr, raw);
    md_skip_typedefs(mr);
    v9_misc(mr, raw);
    md_rls(mr, raw);
    return mr->r.err;
}

/* ------------------------------------------------------------ V8 --------------------------- */

/* V8 encodes StTableType/StAccess as strings. */
static bool v8_enum_string(md_reader *mr, const char *a, const char *b)
{
    const char *s = md_string(mr);
    if (!md_failed(mr) && strcmp(s, a) != 0 && strcmp(s, b) != 0)
        md_fail(mr, LC_EDECODE, "unknown table type or access string");
    return strcmp(s, a) == 0;
}

/* V8 constraint flags: INDEXED 0x01, AUTO_INC 0x02, UNIQUE 0x04 (with INDEXED), PRIMARY_KEY
 * 0x08 (with UNIQUE). Becomes a unique constraint, a primary key and a sequence. */
static void v8_constraint(md_reader *mr, raw_table *t, u8 flags, raw_cols cols)
{
    if ((flags & 0x04) && t->constraints) {
        t->constraints[t->constraint_count++] = (raw_constraint){NULL, cols};
        bool has_index = false;
        for (u32 k = 0; k < t->index_count; k++)
            if (t->indexes[k].cols.count == cols.count &&
                memcmp(t->indexes[k].cols.cols, cols.cols, cols.count * 2u) == 0)
                has_index = true;
        if (!has_index && t->indexes)
            t->indexes[t->index_count++] = (raw_index){NULL, NULL, HOST_INDEX_BTREE, cols};
    }
    if ((flags & 0x08) && cols.count == 1) t->pk = cols;
    if ((flags & 0x02) && cols.count == 1 && t->sequences) {
        for (u32 k = 0; k < t->sequence_count; k++)
            if (t->sequences[k].col == cols.cols[0]) return;
        t->sequences[t->sequence_count++] =
            (raw_sequence){.col = cols.cols[0], .increment = 1};
    }
}

static void v8_table(md_reader *mr, raw_table *t)
{
    mr->where = "table";
    t->name = md_string(mr);
    u32 ncols = md_count(mr);
    for (u32 k = 0; k < ncols && !md_failed(mr); k++) {
        mr->where = "column";
        md_string(mr);
        md_type(mr);
    }
    u32 nidx = md_count(mr);
    mr->where = "index";
    u32 ncons = 0;
    raw_index *idx = md_alloc(mr, (nidx + 64) * sizeof *idx); /* + indexes V8 UNIQUE implies */
    t->indexes = idx;
    for (u32 k = 0; idx && k < nidx && !md_failed(mr); k++) {
        raw_index *ix = &t->indexes[t->index_count++];
        ix->name = md_string(mr);
        bool is_unique = md_bool(mr);
        ix->algo = md_tag(mr, 2) == 1 ? HOST_INDEX_HASH : HOST_INDEX_BTREE;
        ix->cols = md_cols(mr);
        (void)is_unique; /* uniqueness comes from the constraints below */
    }
    mr->where = "constraint";
    ncons = md_count(mr);
    if (ncons > 64) md_fail(mr, LC_ELIMIT, "too many V8 constraints");
    t->constraints = md_alloc(mr, (ncons + 1) * sizeof *t->constraints);
    t->sequences = md_alloc(mr, (ncons + 64 + 1) * sizeof *t->sequences);
    for (u32 k = 0; k < ncons && !md_failed(mr); k++) {
        md_string(mr);
        u8 flags = md_u8(mr);
        v8_constraint(mr, t, flags, md_cols(mr));
    }
    u32 nseq = md_count(mr);
    if (nseq > 64) md_fail(mr, LC_ELIMIT, "too many V8 sequences");
    for (u32 k = 0; k < nseq && !md_failed(mr); k++) {
        mr->where = "sequence";
        raw_sequence s = {.name = md_string(mr), .col = md_u16(mr)};
        s.increment = md_i128(mr);
        s.has_start = md_opt_i128(mr, &s.start);
        s.has_min = md_opt_i128(mr, &s.min_value);
        s.has_max = md_opt_i128(mr, &s.max_value);
        md_i128(mr); /* allocated: runtime state, not schema */
        u32 j = 0;
        while (j < t->sequence_count && t->sequences[j].col != s.col) j++;
        if (t->sequences) t->sequences[j] = s;
        if (j == t->sequence_count) t->sequence_count++;
    }
    mr->where = "table type";
    t->is_system = v8_enum_string(mr, "system", "user");
    mr->where = "table access";
    t->is_public = v8_enum_string(mr, "public", "private");
    mr->where = "scheduled";
    if (md_tag(mr, 2) == 0) {
        t->schedule_function = md_string(mr);
        t->schedule_at_col = UINT16_MAX; /* the column named scheduled_at; found by the check */
    }
}

static int decode_v8(md_reader *mr, raw_moddef *raw)
{
    raw->version = 8;
    mr->where = "typespace";
    md_typespace(mr);
    raw->table_count = md_count(mr);
    MD_LIST(mr, raw->table_count, raw->tables);
    for (u32 i = 0; raw->tables && i < raw->table_count && !md_failed(mr); i++) {
        v8_table(mr, &raw->tables[i]);
        raw->tables[i].type_ref = md_u32(mr);
    }
    raw->reducer_count = md_count(mr);
    MD_LIST(mr, raw->reducer_count, raw->reducers);
    for (u32 i = 0; raw->reducers && i < raw->reducer_count && !md_failed(mr); i++) {
        raw_function *f = &raw->reducers[i];
        mr->where = "reducer";
        f->name = md_string(mr);
        f->params = md_product(mr); /* Vec<ProductTypeElement> is a ProductType */
        f->is_public = true;
        if (strcmp(f->name, "__init__") == 0) f->lifecycle = HOST_LIFECYCLE_INIT;
        if (strcmp(f->name, "__identity_connected__") == 0) f->lifecycle = HOST_LIFECYCLE_CONNECT;
        if (strcmp(f->name, "__identity_disconnected__") == 0)
            f->lifecycle = HOST_LIFECYCLE_DISCONNECT;
    }
    u32 misc = md_count(mr);
    for (u32 i = 0; i < misc && !md_failed(mr); i++) {
        mr->where = "type alias";
        md_tag(mr, 1);
        md_string(mr);
        md_u32(mr);
    }
    return mr->r.err;
}

int moddef_decode_raw(md_reader *mr, raw_moddef *raw)
{
    mr->where = "RawModuleDef tag";
    u8 tag = md_tag(mr, 3);
    int rc = mr->r.err;
    if (!rc) {
        raw->version = tag == 0 ? 8 : tag == 1 ? 9 : 10;
        rc = tag == 0 ? decode_v8(mr, raw) : tag == 1 ? decode_v9(mr, raw)
                                                   : decode_v10(mr, raw);
    }
    if (rc == LC_ETRUNCATED || rc == LC_EDECODE) {
        /* A short read inside an lc_rd primitive sets the error without a message. */
        if (mr->eb && !mr->eb->msg[0])
            lc_errf(mr->eb, LC_EDECODE, "module description: truncated (%s)", mr->where);
        return LC_EDECODE;
    }
    if (!rc && lc_rd_left(&mr->r) != 0)
        return lc_errf(mr->eb, LC_EDECODE, "module description: %zu trailing bytes",
                       lc_rd_left(&mr->r));
    return rc;
}
