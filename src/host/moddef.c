/*
 * host/moddef.c — validation and normalisation of a decoded module description (raw form from
 * moddef_decode.c) into host_moddef, plus the public entry points of moddef.h.
 *
 * Rules applied (spec-module-abi.md §3.6), in this order, each failure an LC_EINVALID whose
 * message names the entity:
 *   1. names: identifiers, st_ prefix reserved, canonical names (snake_case / explicit /
 *      verbatim), one global namespace for tables (canonical names AND source names when they
 *      differ, as the reference does), indexes, constraints, sequences, schedules and
 *      functions;
 *   2. tables: row type is a product of named elements; column lists in range without
 *      duplicates; primary key of at most one column covered by a unique constraint; every
 *      unique constraint backed by an index over the same column set; direct indexes only on
 *      u8..u64 and unique; at most one integer-typed sequence per column, min <= start <= max,
 *      increment != 0; default values decode at their column type;
 *   3. functions: V10 reducers return Result<(), String>; one reducer per lifecycle role,
 *      without parameters, forced private;
 *   4. schedules: the table has a u64 primary key and a ScheduleAt column at the given
 *      position; the function exists and takes exactly the table's row type; forced private.
 * Canonical names are built in a scratch buffer of LC_MODDEF_NAME_MAX * 2 bytes and copied
 * into the arena.
 */
#include "host/moddef.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "host/moddef_int.h"

#define NAME_BUF (LC_MODDEF_NAME_MAX * 2 + 64)

typedef struct check_ctx {
    host_moddef *md;
    const raw_moddef *raw;
    lc_errbuf *eb;
    const char **names; /* every canonical name, for the global-namespace check */
    u32 name_count, name_cap;
} check_ctx;

/* ------------------------------------------------------------ names ----------------------- */

enum { CH_SEP, CH_UPPER, CH_LOWER, CH_DIGIT, CH_OTHER };

static int char_class(u8 c)
{
    if (c == '_' || c == '-' || c == ' ') return CH_SEP;
    if (c >= 'A' && c <= 'Z') return CH_UPPER;
    if (c >= 'a' && c <= 'z') return CH_LOWER;
    if (c >= '0' && c <= '9') return CH_DIGIT;
    return CH_OTHER;
}

/* A word boundary before s[i] (convert_case's default boundaries, ASCII). */
static bool boundary_before(const char *s, size_t len, size_t i)
{
    int a = char_class((u8)s[i - 1]), b = char_class((u8)s[i]);
    if ((a == CH_LOWER && b == CH_UPPER) || (a == CH_UPPER && b == CH_DIGIT) ||
        (a == CH_DIGIT && (b == CH_UPPER || b == CH_LOWER)) || (a == CH_LOWER && b == CH_DIGIT))
        return true;
    /* Acronym: "HTTPServer" splits before the 'S' of "Se". */
    return a == CH_UPPER && b == CH_UPPER && i + 1 < len && char_class((u8)s[i + 1]) == CH_LOWER;
}

/* Splits s into convert_case words and joins them: snake ("red_apple") or camel ("redApple":
 * the first word lowercase, each later word with its first letter upper-cased). */
static int case_join(const char *s, size_t len, char *out, size_t cap, bool camel)
{
    size_t n = 0;
    bool in_word = false, first_word = true;
    for (size_t i = 0; i < len; i++) {
        int c = char_class((u8)s[i]);
        if (c == CH_SEP) {
            in_word = false;
            continue;
        }
        bool starts = !in_word || boundary_before(s, len, i);
        if (starts && n > 0 && !camel) {
            if (n + 1 >= cap) return -1;
            out[n++] = '_';
        }
        if (starts && n > 0) first_word = false;
        if (n + 1 >= cap) return -1;
        char ch = c == CH_UPPER ? (char)(s[i] - 'A' + 'a') : s[i];
        if (camel && starts && !first_word && ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        out[n++] = ch;
        in_word = true;
    }
    if (n >= cap) return -1;
    out[n] = 0;
    return (int)n;
}

int host_snake_case(const char *s, size_t len, char *out, size_t cap)
{
    return case_join(s, len, out, cap, false);
}

int host_camel_case(const char *s, size_t len, char *out, size_t cap)
{
    return case_join(s, len, out, cap, true);
}

/* Identifier rule: non-empty; first '_' or a letter; the rest letters, digits or '_'. Bytes
 * >= 0x80 (non-ASCII, already valid UTF-8) count as letters: an approximation of
 * XID_Start/XID_Continue that accepts every real identifier and rejects ASCII punctuation. */
static bool is_identifier(const char *s)
{
    if (!s[0] || (s[0] >= '0' && s[0] <= '9')) return false;
    for (const u8 *p = (const u8 *)s; *p; p++) {
        int c = char_class(*p);
        if (!(c == CH_UPPER || c == CH_LOWER || c == CH_DIGIT || *p == '_' || *p >= 0x80))
            return false;
    }
    return true;
}

static const char *arena_str(check_ctx *c, const char *s)
{
    size_t n = strlen(s);
    char *d = lc_arena_alloc(&c->md->arena, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static int add_name(check_ctx *c, const char *name)
{
    if (c->name_count == c->name_cap) {
        u32 cap = c->name_cap ? c->name_cap * 2 : 64;
        const char **n = lc_realloc(c->names, cap * sizeof *n);
        if (!n) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
        c->names = n;
        c->name_cap = cap;
    }
    c->names[c->name_count++] = name;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_unique_names(check_ctx *c)
{
    qsort(c->names, c->name_count, sizeof *c->names, cmp_str);
    for (u32 i = 1; i < c->name_count; i++)
        if (strcmp(c->names[i - 1], c->names[i]) == 0)
            return lc_errf(c->eb, LC_EINVALID, "module description: duplicate name '%s'",
                           c->names[i]);
    return 0;
}

/* The canonical name of a table (kind 0), function (1) or index (2) given its source name. */
static const char *canonical(check_ctx *c, u8 kind, const char *source)
{
    for (u32 i = 0; i < c->raw->mapping_count; i++)
        if (c->raw->mappings[i].kind == kind && strcmp(c->raw->mappings[i].source, source) == 0)
            return c->raw->mappings[i].canonical;
    if (!c->raw->is_snake_case || c->raw->version != 10) return source;
    char buf[NAME_BUF];
    if (host_snake_case(source, strlen(source), buf, sizeof buf) < 0) return NULL;
    return arena_str(c, buf);
}

static int named(check_ctx *c, const char *what, const char *name)
{
    if (!name) return lc_errf(c->eb, LC_ENOMEM, "out of memory naming a %s", what);
    if (!is_identifier(name))
        return lc_errf(c->eb, LC_EINVALID, "module description: %s name '%s' is not a valid "
                       "identifier", what, name);
    return add_name(c, name);
}

/* ------------------------------------------------------------ tables ---------------------- */

static const char *col_name(const host_table_def *t, u16 col)
{
    return t->row_type->elems[col].name;
}

/* "{table}_{colA}_{colB}" + suffix, into the arena. */
static const char *gen_name(check_ctx *c, const host_table_def *t, const u16 *cols, u16 n,
                            const char *suffix)
{
    char buf[NAME_BUF];
    size_t len = (size_t)snprintf(buf, sizeof buf, "%s", t->name);
    for (u16 i = 0; i < n && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "_%s", col_name(t, cols[i]));
    if (len < sizeof buf) len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", suffix);
    return len < sizeof buf ? arena_str(c, buf) : NULL;
}

static int check_cols(check_ctx *c, const host_table_def *t, raw_cols cols, const char *what)
{
    if (cols.count == 0 || cols.count > LC_INDEX_COLS_MAX)
        return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': %s has %u columns",
                       t->name, what, cols.count);
    for (u16 i = 0; i < cols.count; i++) {
        if (cols.cols[i] >= t->row_type->elem_count)
            return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': %s names "
                           "column %u, which does not exist", t->name, what, cols.cols[i]);
        for (u16 k = 0; k < i; k++)
            if (cols.cols[k] == cols.cols[i])
                return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': %s lists "
                               "column %u twice", t->name, what, cols.cols[i]);
    }
    return 0;
}

static bool same_col_set(raw_cols a, raw_cols b)
{
    if (a.count != b.count) return false;
    for (u16 i = 0; i < a.count; i++) {
        bool found = false;
        for (u16 k = 0; k < b.count; k++) found |= a.cols[i] == b.cols[k];
        if (!found) return false;
    }
    return true;
}

/* Resolves the row type and renames its columns canonically. */
static int table_row_type(check_ctx *c, const raw_table *rt, host_table_def *t)
{
    const lc_typespace *ts = &c->md->typespace;
    if (rt->type_ref >= ts->count || ts->types[rt->type_ref]->kind != LC_T_PRODUCT)
        return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': product_type_ref "
                       "%u is not a product in the typespace", rt->name, rt->type_ref);
    const lc_type *resolved = NULL;
    lc_errbuf eb;
    if (lc_type_resolve(&c->md->resolved, ts, ts->types[rt->type_ref], &resolved, &eb))
        return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': %s", rt->name,
                       eb.msg);
    u32 n = resolved->elem_count;
    if (n > LC_TABLE_COLS_MAX)
        return lc_errf(c->eb, LC_EINVALID, "module description: table '%s' has %u columns",
                       rt->name, n);
    lc_type_elem *elems = lc_arena_alloc(&c->md->arena, (n + 1) * sizeof *elems);
    if (!elems) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    for (u32 i = 0; i < n; i++) {
        const char *src = resolved->elems[i].name;
        if (!src)
            return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': column %u "
                           "has no name", rt->name, i);
        elems[i].name = canonical(c, 3, src);
        elems[i].type = resolved->elems[i].type;
        if (!elems[i].name || !is_identifier(elems[i].name))
            return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': column name "
                           "'%s' is not a valid identifier", rt->name, src);
    }
    t->row_type = lc_type_product(&c->md->resolved, n, elems);
    return t->row_type ? 0 : lc_errf(c->eb, LC_ENOMEM, "out of memory");
}

static int table_indexes(check_ctx *c, const raw_table *rt, host_table_def *t)
{
    host_index_def *ix = lc_arena_alloc(&c->md->arena, (rt->index_count + 1) * sizeof *ix);
    if (!ix) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    static const char *const algo_names[] = {"", "_idx_btree", "_idx_direct", "_idx_hash"};
    for (u32 i = 0; i < rt->index_count; i++) {
        const raw_index *ri = &rt->indexes[i];
        int rc = check_cols(c, t, ri->cols, "an index");
        if (rc) return rc;
        const char *explicit_name = NULL;
        for (u32 k = 0; ri->name && k < c->raw->mapping_count; k++)
            if (c->raw->mappings[k].kind == 2 && !strcmp(c->raw->mappings[k].source, ri->name))
                explicit_name = c->raw->mappings[k].canonical;
        bool keep_given = c->raw->version != 10 && ri->name;
        ix[i] = (host_index_def){
            .name = explicit_name ? explicit_name
                    : keep_given  ? ri->name
                                  : gen_name(c, t, ri->cols.cols, ri->cols.count,
                                             algo_names[ri->algo]),
            .alias = ri->name, .accessor = ri->accessor, .algo = ri->algo,
            .col_count = ri->cols.count, .cols = ri->cols.cols};
        if ((rc = named(c, "index", ix[i].name))) return rc;
        if (ri->algo == HOST_INDEX_DIRECT) {
            u8 k = t->row_type->elems[ri->cols.cols[0]].type->kind;
            if (k != LC_T_U8 && k != LC_T_U16 && k != LC_T_U32 && k != LC_T_U64)
                return lc_errf(c->eb, LC_EINVALID, "module description: index '%s': direct "
                               "indexes need a u8, u16, u32 or u64 column", ix[i].name);
        }
    }
    t->indexes = ix;
    t->index_count = rt->index_count;
    return 0;
}

/* Unique constraints (each backed by an index over the same columns) and the primary key. */
static int table_constraints(check_ctx *c, const raw_table *rt, host_table_def *t)
{
    host_constraint_def *cs =
        lc_arena_alloc(&c->md->arena, (rt->constraint_count + 1) * sizeof *cs);
    if (!cs) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    host_index_def *ix = (host_index_def *)t->indexes;
    bool pk_covered = rt->pk.count == 0;
    for (u32 i = 0; i < rt->constraint_count; i++) {
        raw_cols cols = rt->constraints[i].cols;
        int rc = check_cols(c, t, cols, "a unique constraint");
        if (rc) return rc;
        cs[i] = (host_constraint_def){
            .name = c->raw->version != 10 && rt->constraints[i].name
                        ? rt->constraints[i].name
                        : gen_name(c, t, cols.cols, cols.count, "_key"),
            .col_count = cols.count, .cols = cols.cols};
        if ((rc = named(c, "constraint", cs[i].name))) return rc;
        bool backed = false;
        for (u32 k = 0; k < t->index_count; k++)
            if (same_col_set(cols, (raw_cols){ix[k].col_count, ix[k].cols}))
                backed = ix[k].is_unique = true;
        if (!backed)
            return lc_errf(c->eb, LC_EINVALID, "module description: unique constraint '%s' "
                           "has no index over the same columns", cs[i].name);
        pk_covered |= cols.count == 1 && rt->pk.count == 1 && cols.cols[0] == rt->pk.cols[0];
    }
    for (u32 k = 0; k < t->index_count; k++)
        if (ix[k].algo == HOST_INDEX_DIRECT && !ix[k].is_unique)
            return lc_errf(c->eb, LC_EINVALID, "module description: direct index '%s' is not "
                           "unique", ix[k].name);
    if (rt->pk.count > 1)
        return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': a primary key has "
                       "at most one column", t->name);
    if (rt->pk.count == 1 && rt->pk.cols[0] >= t->row_type->elem_count)
        return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': primary key "
                       "column %u does not exist", t->name, rt->pk.cols[0]);
    if (!pk_covered)
        return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': the primary key "
                       "has no unique constraint", t->name);
    t->pk_col = rt->pk.count ? rt->pk.cols[0] : -1;
    t->constraints = cs;
    t->constraint_count = rt->constraint_count;
    return 0;
}

#define I128_MAX ((i128)(((u128)1 << 127) - 1))

static int table_sequences(check_ctx *c, const raw_table *rt, host_table_def *t)
{
    host_sequence_def *sq =
        lc_arena_alloc(&c->md->arena, (rt->sequence_count + 1) * sizeof *sq);
    if (!sq) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    for (u32 i = 0; i < rt->sequence_count; i++) {
        const raw_sequence *rs = &rt->sequences[i];
        if (rs->col >= t->row_type->elem_count ||
            !lc_type_is_int(t->row_type->elems[rs->col].type))
            return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': a sequence "
                           "needs an existing integer column (column %u)", t->name, rs->col);
        for (u32 k = 0; k < i; k++)
            if (sq[k].col == rs->col)
                return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': column "
                               "%u has two sequences", t->name, rs->col);
        sq[i] = (host_sequence_def){
            .name = c->raw->version != 10 && rs->name ? rs->name
                    : gen_name(c, t, &rs->col, 1, "_seq"),
            .col = rs->col, .increment = rs->increment,
            .start = rs->has_start ? rs->start : 1,
            .min_value = rs->has_min ? rs->min_value : 1,
            .max_value = rs->has_max ? rs->max_value : I128_MAX};
        int rc = named(c, "sequence", sq[i].name);
        if (rc) return rc;
        if (sq[i].increment == 0 || sq[i].min_value > sq[i].start ||
            sq[i].start > sq[i].max_value)
            return lc_errf(c->eb, LC_EINVALID, "module description: sequence '%s' needs a "
                           "non-zero increment and min <= start <= max", sq[i].name);
    }
    t->sequences = sq;
    t->sequence_count = rt->sequence_count;
    return 0;
}

static int table_defaults(check_ctx *c, const raw_table *rt, host_table_def *t)
{
    for (u32 i = 0; i < rt->default_count; i++) {
        const host_default_def *d = &rt->defaults[i];
        if (d->col >= t->row_type->elem_count)
            return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': default for "
                           "column %u, which does not exist", t->name, d->col);
        for (u32 k = 0; k < i; k++)
            if (rt->defaults[k].col == d->col)
                return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': two "
                               "defaults for column %u", t->name, d->col);
        lc_rd r;
        lc_errbuf eb;
        lc_rd_init(&r, d->value, d->len);
        if (!d->value || lc_bsatn_validate(t->row_type->elems[d->col].type, &r, &eb) ||
            lc_rd_left(&r) != 0)
            return lc_errf(c->eb, LC_EINVALID, "module description: table '%s': the default "
                           "of column '%s' does not decode at its type", t->name,
                           col_name(t, d->col));
    }
    t->defaults = rt->defaults;
    t->default_count = rt->default_count;
    return 0;
}

static int check_table(check_ctx *c, const raw_table *rt, host_table_def *t)
{
    t->alias = rt->name;
    t->name = canonical(c, 0, rt->name);
    t->type_ref = rt->type_ref;
    t->is_public = rt->is_public;
    t->is_event = rt->is_event;
    /* The source name is an alias clients may use: like the reference it joins the global
     * namespace too when it differs from the canonical name. */
    int rc = strcmp(t->alias, t->name) != 0 ? named(c, "table source", t->alias) : 0;
    if (!rc) rc = named(c, "table", t->name);
    if (!rc && !rt->is_system && strncmp(t->name, "st_", 3) == 0)
        rc = lc_errf(c->eb, LC_EINVALID, "module description: table name '%s' is reserved "
                     "(st_ is for system tables)", t->name);
    if (!rc) rc = table_row_type(c, rt, t);
    if (!rc) rc = table_indexes(c, rt, t);
    if (!rc) rc = table_constraints(c, rt, t);
    if (!rc) rc = table_sequences(c, rt, t);
    if (!rc) rc = table_defaults(c, rt, t);
    return rc;
}

/* ------------------------------------------------------------ functions ------------------- */

static int resolve_type(check_ctx *c, const lc_type *t, const char *what, const char *name,
                        const lc_type **out)
{
    lc_errbuf eb;
    if (!t) return lc_errf(c->eb, LC_EINVALID, "module description: %s '%s' has no type",
                           what, name);
    if (lc_type_resolve(&c->md->resolved, &c->md->typespace, t, out, &eb))
        return lc_errf(c->eb, LC_EINVALID, "module description: %s '%s': %s", what, name,
                       eb.msg);
    return 0;
}

static int check_reducer(check_ctx *c, const raw_function *rf, host_reducer_def *r)
{
    r->alias = rf->name;
    r->name = canonical(c, 1, rf->name);
    r->is_public = rf->is_public && rf->lifecycle == HOST_LIFECYCLE_NONE;
    r->lifecycle = rf->lifecycle;
    int rc = named(c, "reducer", r->name);
    if (!rc) rc = resolve_type(c, rf->params, "reducer", r->name, &r->params);
    if (rc) return rc;
    if (rf->ok_type && !(rf->ok_type->kind == LC_T_PRODUCT && rf->ok_type->elem_count == 0))
        return lc_errf(c->eb, LC_EINVALID, "module description: reducer '%s' must return "
                       "() on success", r->name);
    if (rf->err_type && rf->err_type->kind != LC_T_STRING)
        return lc_errf(c->eb, LC_EINVALID, "module description: reducer '%s' must return a "
                       "String error", r->name);
    if (r->lifecycle && c->md->lifecycle_reducer[r->lifecycle] >= 0)
        return lc_errf(c->eb, LC_EINVALID, "module description: two reducers for the same "
                       "lifecycle role ('%s')", r->name);
    if (r->lifecycle && r->params->elem_count != 0)
        return lc_errf(c->eb, LC_EINVALID, "module description: lifecycle reducer '%s' "
                       "cannot take parameters", r->name);
    return 0;
}

static int check_other_function(check_ctx *c, const raw_function *rf, const char *what,
                                host_procedure_def *p, host_view_def *v)
{
    const char *name = canonical(c, 1, rf->name);
    int rc = named(c, what, name);
    const lc_type *params = NULL, *ret = NULL;
    if (!rc) rc = resolve_type(c, rf->params, what, name, &params);
    if (!rc) rc = resolve_type(c, rf->return_type, what, name, &ret);
    if (rc) return rc;
    if (p) *p = (host_procedure_def){name, rf->name, params, ret, rf->is_public};
    if (v)
        *v = (host_view_def){name, rf->name, rf->view_index, rf->is_public, rf->is_anonymous,
                             params, ret};
    return 0;
}

/* A schedule: the table's pk is u64, the at column is ScheduleAt, and the function takes
 * exactly one parameter, the table's row type (a Ref to product_type_ref). */
static int check_schedule(check_ctx *c, host_table_def *t, const char *fn_source, u16 at_col,
                          const char *given_name)
{
    if (at_col == UINT16_MAX) /* V8: the column named scheduled_at */
        for (u32 i = 0; i < t->row_type->elem_count; i++)
            if (strcmp(col_name(t, (u16)i), "scheduled_at") == 0) at_col = (u16)i;
    if (at_col >= t->row_type->elem_count ||
        t->row_type->elems[at_col].type->special != LC_TS_SCHEDULE_AT)
        return lc_errf(c->eb, LC_EINVALID, "module description: schedule table '%s' needs a "
                       "ScheduleAt column", t->name);
    if (t->pk_col < 0 || t->row_type->elems[t->pk_col].type->kind != LC_T_U64)
        return lc_errf(c->eb, LC_EINVALID, "module description: schedule table '%s' needs a "
                       "u64 primary key", t->name);
    const raw_moddef *raw = c->raw;
    for (u32 i = 0; i < raw->reducer_count; i++) {
        const raw_function *f = &raw->reducers[i];
        if (strcmp(f->name, fn_source) != 0) continue;
        if (f->params->elem_count != 1 || f->params->elems[0].type->kind != LC_T_REF ||
            f->params->elems[0].type->ref != t->type_ref)
            return lc_errf(c->eb, LC_EINVALID, "module description: scheduled reducer '%s' "
                           "must take exactly one argument of the row type of '%s'",
                           f->name, t->name);
        host_reducer_def *r = (host_reducer_def *)&c->md->reducers[i];
        r->is_public = false;
        t->schedule_function = r->name;
        t->schedule_at_col = at_col;
        t->schedule_name = given_name && raw->version != 10 ? given_name
                           : gen_name(c, t, NULL, 0, "_sched");
        return named(c, "schedule", t->schedule_name);
    }
    for (u32 i = 0; i < raw->procedure_count; i++)
        if (strcmp(raw->procedures[i].name, fn_source) == 0) {
            ((host_procedure_def *)&c->md->procedures[i])->is_public = false; /* §6.5 */
            t->schedule_function = c->md->procedures[i].name;
            t->schedule_at_col = at_col;
            t->schedule_name = gen_name(c, t, NULL, 0, "_sched");
            return named(c, "schedule", t->schedule_name);
        }
    return lc_errf(c->eb, LC_EINVALID, "module description: schedule of table '%s' names "
                   "'%s', which is not a reducer or procedure", t->name, fn_source);
}

static int check_functions(check_ctx *c)
{
    const raw_moddef *raw = c->raw;
    host_moddef *md = c->md;
    host_reducer_def *rs = lc_arena_alloc(&md->arena, (raw->reducer_count + 1) * sizeof *rs);
    host_procedure_def *ps =
        lc_arena_alloc(&md->arena, (raw->procedure_count + 1) * sizeof *ps);
    host_view_def *vs = lc_arena_alloc(&md->arena, (raw->view_count + 1) * sizeof *vs);
    if (!rs || !ps || !vs) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    md->reducers = rs;
    md->procedures = ps;
    md->views = vs;
    for (u32 i = 0; i < raw->reducer_count; i++) {
        int rc = check_reducer(c, &raw->reducers[i], &rs[i]);
        if (rc) return rc;
        if (rs[i].lifecycle) md->lifecycle_reducer[rs[i].lifecycle] = (i32)i;
        md->reducer_count = i + 1;
    }
    for (u32 i = 0; i < raw->procedure_count; i++) {
        int rc = check_other_function(c, &raw->procedures[i], "procedure", &ps[i], NULL);
        if (rc) return rc;
        md->procedure_count = i + 1;
    }
    for (u32 i = 0; i < raw->view_count; i++) {
        int rc = check_other_function(c, &raw->views[i], "view", NULL, &vs[i]);
        if (rc) return rc;
        md->view_count = i + 1;
    }
    return 0;
}

static int check_schedules(check_ctx *c, host_table_def *ts)
{
    const raw_moddef *raw = c->raw;
    for (u32 i = 0; i < raw->table_count; i++) {
        const raw_table *rt = &raw->tables[i];
        if (!rt->schedule_function) continue;
        int rc = check_schedule(c, &ts[i], rt->schedule_function, rt->schedule_at_col,
                                rt->schedule_name);
        if (rc) return rc;
    }
    for (u32 s = 0; s < raw->schedule_count; s++) {
        const raw_schedule *sc = &raw->schedules[s];
        u32 i = 0;
        while (i < raw->table_count && strcmp(raw->tables[i].name, sc->table) != 0) i++;
        if (i == raw->table_count)
            return lc_errf(c->eb, LC_EINVALID, "module description: schedule for unknown "
                           "table '%s'", sc->table);
        if (ts[i].schedule_function)
            return lc_errf(c->eb, LC_EINVALID, "module description: table '%s' has two "
                           "schedules", ts[i].name);
        int rc = check_schedule(c, &ts[i], sc->function, sc->at_col, sc->name);
        if (rc) return rc;
    }
    return 0;
}

/* V10 + SnakeCase converts the whole declared typespace before anything reads it, as the
 * reference does: product element names to snake_case, sum variant names to camelCase, at
 * every depth of each entry (refs are not followed: each entry is converted once), special
 * types (Identity, Option, ScheduleAt ...) untouched. The nodes belong to md->typespace's
 * arena, written once here before any other use, hence the casts. */
static int convert_type_names(check_ctx *c, const lc_type *t)
{
    if (t->special) return 0;
    if (t->kind == LC_T_ARRAY) return convert_type_names(c, t->array_elem);
    if (t->kind != LC_T_PRODUCT && t->kind != LC_T_SUM) return 0;
    lc_type_elem *elems = (lc_type_elem *)t->elems;
    for (u32 i = 0; i < t->elem_count; i++) {
        if (elems[i].name) {
            char buf[NAME_BUF];
            const char *src = elems[i].name;
            int n = t->kind == LC_T_SUM ? host_camel_case(src, strlen(src), buf, sizeof buf)
                                        : host_snake_case(src, strlen(src), buf, sizeof buf);
            const char *name = n < 0 ? NULL : arena_str(c, buf);
            if (!name) return lc_errf(c->eb, LC_ENOMEM, "out of memory converting '%s'", src);
            elems[i].name = name;
        }
        int rc = convert_type_names(c, elems[i].type);
        if (rc) return rc;
    }
    return 0;
}

static int typespace_case_convert(check_ctx *c)
{
    if (!c->raw->is_snake_case || c->raw->version != 10) return 0;
    for (u32 i = 0; i < c->md->typespace.count; i++) {
        int rc = convert_type_names(c, c->md->typespace.types[i]);
        if (rc) return rc;
    }
    return 0;
}

int moddef_check(host_moddef *md, const raw_moddef *raw, lc_errbuf *eb)
{
    check_ctx c = {.md = md, .raw = raw, .eb = eb};
    md->version = raw->version;
    for (int i = 0; i < 4; i++) md->lifecycle_reducer[i] = -1;
    host_table_def *ts = lc_arena_alloc(&md->arena, (raw->table_count + 1) * sizeof *ts);
    int rc = ts ? 0 : lc_errf(eb, LC_ENOMEM, "out of memory");
    if (!rc) rc = typespace_case_convert(&c);
    for (u32 i = 0; !rc && i < raw->table_count; i++) {
        memset(&ts[i], 0, sizeof ts[i]);
        rc = check_table(&c, &raw->tables[i], &ts[i]);
    }
    if (!rc) {
        md->tables = ts;
        md->table_count = raw->table_count;
        rc = check_functions(&c);
    }
    if (!rc) rc = check_schedules(&c, ts);
    if (!rc) rc = check_unique_names(&c);
    md->rls_count = raw->rls_count;
    md->rls_sql = raw->rls;
    lc_free(c.names);
    return rc;
}

/* ------------------------------------------------------------ public API ------------------ */

int host_moddef_decode(const u8 *bytes, size_t len, host_moddef **out_def, lc_errbuf *eb)
{
    *out_def = NULL;
    if (eb) eb->msg[0] = 0;
    host_moddef *md = lc_calloc(1, sizeof *md);
    if (!md) return lc_errf(eb, LC_ENOMEM, "out of memory");
    /* The arena bound keeps a hostile description's memory proportional to its size. */
    lc_arena_init(&md->arena, 64 * len + (1u << 20));
    lc_typespace_init(&md->typespace);
    lc_typespace_init(&md->resolved);
    raw_moddef raw = {0};
    md_reader mr = {.md = md, .eb = eb};
    lc_rd_init(&mr.r, bytes, len);
    int rc = moddef_decode_raw(&mr, &raw);
    if (!rc) rc = moddef_check(md, &raw, eb);
    if (rc) {
        host_moddef_destroy(md);
        return rc;
    }
    *out_def = md;
    return 0;
}

void host_moddef_destroy(host_moddef *md)
{
    if (!md) return;
    lc_typespace_deinit(&md->resolved);
    lc_typespace_deinit(&md->typespace);
    lc_arena_deinit(&md->arena);
    lc_free(md);
}

static bool name_is(const char *a, const char *name, size_t len)
{
    return a && strlen(a) == len && memcmp(a, name, len) == 0;
}

const host_table_def *host_moddef_table(const host_moddef *md, const char *name, size_t len)
{
    for (u32 i = 0; i < md->table_count; i++)
        if (name_is(md->tables[i].name, name, len) || name_is(md->tables[i].alias, name, len))
            return &md->tables[i];
    return NULL;
}

i32 host_moddef_reducer_id(const host_moddef *md, const char *name, size_t len)
{
    for (u32 i = 0; i < md->reducer_count; i++)
        if (name_is(md->reducers[i].name, name, len)) return (i32)i;
    for (u32 i = 0; i < md->reducer_count; i++)
        if (name_is(md->reducers[i].alias, name, len)) return (i32)i;
    return -1;
}
