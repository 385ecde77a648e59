/*
 * host/migrate.c — automatic migration on republish: plan (compare two module descriptions
 * by canonical names, §5.4 rules), describe, apply through the store API, and clear data.
 * The design and the list of accepted / refused changes are in host/migrate.h.
 *
 * Planning collects steps in discovery order into a growable array, then orders them by kind
 * (a counting pass: host_migrate_kind numbers removes < changes < adds < RLS < disconnect),
 * which keeps discovery order inside each kind, so the result is deterministic.
 */
#include "host/migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "host/schema.h"

#define MIG_KIND_COUNT (HOST_MIG_DISCONNECT_ALL + 1)

typedef struct mig_ctx {
    host_migrate_plan *p;
    const host_moddef *o, *n;
    u32 step_cap, reason_cap;
    int err; /* sticky LC_ENOMEM */
} mig_ctx;

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static void step_add(mig_ctx *c, u8 kind, u32 ot, u32 nt, u32 item)
{
    host_migrate_plan *p = c->p;
    if (c->err) return;
    if (p->step_count == c->step_cap) {
        u32 cap = c->step_cap ? c->step_cap * 2 : 16;
        host_migrate_step *s = lc_realloc(p->steps, (size_t)cap * sizeof *s);
        if (!s) {
            c->err = LC_ENOMEM;
            return;
        }
        p->steps = s;
        c->step_cap = cap;
    }
    p->steps[p->step_count++] = (host_migrate_step){kind, ot, nt, item};
    if (kind == HOST_MIG_REMOVE_TABLE || kind == HOST_MIG_ADD_COLUMNS || kind == HOST_MIG_CHANGE_RLS)
        p->breaks_clients = true;
}

static void reason_add(mig_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason_add(mig_ctx *c, const char *fmt, ...)
{
    host_migrate_plan *p = c->p;
    if (c->err) return;
    if (p->reason_count == c->reason_cap) {
        u32 cap = c->reason_cap ? c->reason_cap * 2 : 8;
        const char **r = lc_realloc((void *)p->reasons, (size_t)cap * sizeof *r);
        if (!r) {
            c->err = LC_ENOMEM;
            return;
        }
        p->reasons = r;
        c->reason_cap = cap;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (len < 0) len = 0;
    if ((size_t)len >= sizeof msg) len = (int)sizeof msg - 1;
    char *s = lc_arena_alloc(&p->arena, (size_t)len + 1);
    if (!s) {
        c->err = LC_ENOMEM;
        return;
    }
    memcpy(s, msg, (size_t)len);
    s[len] = '\0';
    p->reasons[p->reason_count++] = s;
}

/* Layout-compatible type growth (§5.4): equal, or a sum gaining variants at the end, checked
 * recursively through products, sums and arrays; element / variant names must not change. */
static bool type_compatible(const lc_type *a, const lc_type *b)
{
    if (lc_type_equal(a, b)) return true;
    if (a->kind != b->kind || a->special != b->special) return false;
    switch (a->kind) {
    case LC_T_ARRAY: return type_compatible(a->array_elem, b->array_elem);
    case LC_T_PRODUCT:
    case LC_T_SUM:
        if (b->elem_count < a->elem_count) return false;
        if (a->kind == LC_T_PRODUCT && b->elem_count != a->elem_count) return false;
        for (u32 i = 0; i < a->elem_count; i++) {
            if (!str_eq(a->elems[i].name, b->elems[i].name)) return false;
            if (!type_compatible(a->elems[i].type, b->elems[i].type)) return false;
        }
        return true;
    default: return false;
    }
}

static bool cols_eq(u16 na, const u16 *a, u16 nb, const u16 *b)
{
    return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof *a) == 0);
}

static const host_default_def *default_for(const host_table_def *t, u16 col)
{
    for (u32 i = 0; i < t->default_count; i++)
        if (t->defaults[i].col == col) return &t->defaults[i];
    return NULL;
}

static i64 col_named(const lc_type *row, const char *name)
{
    for (u32 i = 0; i < row->elem_count; i++)
        if (str_eq(row->elems[i].name, name)) return i;
    return -1;
}

/* Columns are matched by name, as the reference does: an old column missing from the new row
 * is removed (a rename is a removal plus an addition), one at another position means the table
 * was reordered, a changed type must be layout-compatible; new columns need a default. Event
 * tables hold no data: any change is accepted (and rebuilds the table, breaking clients). */
static void diff_columns(mig_ctx *c, const host_table_def *ot, const host_table_def *nt, u32 oi,
                         u32 ni)
{
    const lc_type *a = ot->row_type, *b = nt->row_type;
    bool ev = ot->is_event, changed = false, bad = false, added = false, grown = false;
    for (u32 i = 0; i < a->elem_count; i++) {
        const char *name = a->elems[i].name ? a->elems[i].name : "?";
        i64 j = col_named(b, a->elems[i].name);
        if (j < 0) {
            changed = true;
            if (!ev) reason_add(c, "table %s: column %s removed or renamed", ot->name, name);
            bad = bad || !ev;
            continue;
        }
        if (j != (i64)i) {
            changed = true;
            if (!ev) reason_add(c, "table %s: column %s moved from position %u to %lld "
                                "(reordering columns is not supported)", ot->name, name, i,
                                (long long)j);
            bad = bad || !ev;
        }
        if (!lc_type_equal(a->elems[i].type, b->elems[j].type)) {
            changed = true;
            if (!ev && !type_compatible(a->elems[i].type, b->elems[j].type)) {
                reason_add(c, "table %s: column %s changed type", ot->name, name);
                bad = true;
            } else {
                grown = true;
            }
        }
    }
    for (u32 j = 0; j < b->elem_count; j++) {
        if (col_named(a, b->elems[j].name) >= 0) continue;
        added = changed = true;
        if (!ev && !default_for(nt, (u16)j)) {
            reason_add(c, "table %s: column %s added without a default value", ot->name,
                       b->elems[j].name ? b->elems[j].name : "?");
            bad = true;
        }
    }
    if (ev ? changed : (added && !bad)) step_add(c, HOST_MIG_ADD_COLUMNS, oi, ni, HOST_MIG_NONE);
    else if (!ev && grown && !bad) step_add(c, HOST_MIG_CHANGE_COLUMNS, oi, ni, HOST_MIG_NONE);
}

static const host_index_def *index_named(const host_table_def *t, const char *name, u32 *pos)
{
    for (u32 i = 0; i < t->index_count; i++)
        if (strcmp(t->indexes[i].name, name) == 0) {
            *pos = i;
            return &t->indexes[i];
        }
    return NULL;
}

static void diff_indexes(mig_ctx *c, const host_table_def *ot, const host_table_def *nt, u32 oi,
                         u32 ni)
{
    u32 pos = 0;
    for (u32 i = 0; i < ot->index_count; i++) {
        const host_index_def *x = &ot->indexes[i], *y = index_named(nt, x->name, &pos);
        if (!y) {
            step_add(c, HOST_MIG_REMOVE_INDEX, oi, ni, i);
            continue;
        }
        if (!str_eq(x->accessor, y->accessor))
            reason_add(c, "table %s: index %s changed its accessor name (%s -> %s)", ot->name,
                       x->name, x->accessor ? x->accessor : "none",
                       y->accessor ? y->accessor : "none");
        if (x->algo != y->algo || !cols_eq(x->col_count, x->cols, y->col_count, y->cols)) {
            step_add(c, HOST_MIG_REMOVE_INDEX, oi, ni, i);
            step_add(c, HOST_MIG_ADD_INDEX, oi, ni, pos);
        }
    }
    for (u32 i = 0; i < nt->index_count; i++)
        if (!index_named(ot, nt->indexes[i].name, &pos)) step_add(c, HOST_MIG_ADD_INDEX, oi, ni, i);
}

static const host_constraint_def *constraint_named(const host_table_def *t, const char *name)
{
    for (u32 i = 0; i < t->constraint_count; i++)
        if (strcmp(t->constraints[i].name, name) == 0) return &t->constraints[i];
    return NULL;
}

static const host_sequence_def *sequence_named(const host_table_def *t, const char *name)
{
    for (u32 i = 0; i < t->sequence_count; i++)
        if (strcmp(t->sequences[i].name, name) == 0) return &t->sequences[i];
    return NULL;
}

static bool seq_eq(const host_sequence_def *a, const host_sequence_def *b)
{
    return a->col == b->col && a->increment == b->increment && a->start == b->start &&
           a->min_value == b->min_value && a->max_value == b->max_value;
}

static void diff_keys(mig_ctx *c, const host_table_def *ot, const host_table_def *nt, u32 oi,
                      u32 ni)
{
    for (u32 i = 0; i < ot->constraint_count; i++) {
        const host_constraint_def *x = &ot->constraints[i], *y = constraint_named(nt, x->name);
        if (!y) step_add(c, HOST_MIG_REMOVE_CONSTRAINT, oi, ni, i);
        else if (!cols_eq(x->col_count, x->cols, y->col_count, y->cols))
            reason_add(c, "table %s: constraint %s changed", ot->name, x->name);
    }
    for (u32 i = 0; i < nt->constraint_count; i++)
        if (!constraint_named(ot, nt->constraints[i].name))
            step_add(c, HOST_MIG_ADD_CONSTRAINT, oi, ni, i);
    for (u32 i = 0; i < ot->sequence_count; i++) {
        const host_sequence_def *x = &ot->sequences[i], *y = sequence_named(nt, x->name);
        if (!y || !seq_eq(x, y)) step_add(c, HOST_MIG_REMOVE_SEQUENCE, oi, ni, i);
    }
    for (u32 i = 0; i < nt->sequence_count; i++) {
        const host_sequence_def *y = &nt->sequences[i], *x = sequence_named(ot, y->name);
        if (!x || !seq_eq(x, y)) step_add(c, HOST_MIG_ADD_SEQUENCE, oi, ni, i);
    }
}

static void diff_table(mig_ctx *c, const host_table_def *ot, const host_table_def *nt)
{
    u32 oi = (u32)(ot - c->o->tables), ni = (u32)(nt - c->n->tables);
    if (ot->is_event != nt->is_event)
        reason_add(c, "table %s: changed between event and non-event table", ot->name);
    if (!str_eq(ot->schedule_function, nt->schedule_function) ||
        (ot->schedule_function && (ot->schedule_at_col != nt->schedule_at_col ||
                                   !str_eq(ot->schedule_name, nt->schedule_name))))
        reason_add(c, "table %s: changing a table's schedule is not supported", ot->name);
    diff_columns(c, ot, nt, oi, ni);
    diff_indexes(c, ot, nt, oi, ni);
    diff_keys(c, ot, nt, oi, ni);
    if (ot->pk_col != nt->pk_col) step_add(c, HOST_MIG_CHANGE_PK, oi, ni, HOST_MIG_NONE);
    if (ot->is_public != nt->is_public) step_add(c, HOST_MIG_CHANGE_ACCESS, oi, ni, HOST_MIG_NONE);
}

/* The table of `def` whose canonical name is `name` (aliases do not match). */
static const host_table_def *table_canonical(const host_moddef *def, const char *name)
{
    const host_table_def *t = host_moddef_table(def, name, strlen(name));
    if (t && strcmp(t->name, name) == 0) return t;
    for (u32 i = 0; i < def->table_count; i++)
        if (strcmp(def->tables[i].name, name) == 0) return &def->tables[i];
    return NULL;
}

static bool rls_equal(const host_moddef *a, const host_moddef *b)
{
    if (a->rls_count != b->rls_count) return false;
    for (u32 i = 0; i < a->rls_count; i++) {
        bool found = false;
        for (u32 j = 0; j < b->rls_count && !found; j++) found = strcmp(a->rls_sql[i], b->rls_sql[j]) == 0;
        if (!found) return false;
    }
    return true;
}

/* Stable reorder of the steps by kind (see the top of this file). */
static int steps_order(host_migrate_plan *p)
{
    if (p->step_count < 2) return 0;
    host_migrate_step *tmp = lc_alloc((size_t)p->step_count * sizeof *tmp);
    if (!tmp) return LC_ENOMEM;
    u32 at = 0;
    for (u32 k = 0; k < MIG_KIND_COUNT; k++)
        for (u32 i = 0; i < p->step_count; i++)
            if (p->steps[i].kind == k) tmp[at++] = p->steps[i];
    LC_ASSERT(at == p->step_count);
    memcpy(p->steps, tmp, (size_t)at * sizeof *tmp);
    lc_free(tmp);
    return 0;
}

int host_migrate_plan_make(const host_moddef *old_def, const host_moddef *new_def,
                           host_migrate_plan *out, lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    lc_arena_init(&out->arena, 1u << 20);
    mig_ctx c = {.p = out, .o = old_def, .n = new_def};
    for (u32 i = 0; i < old_def->table_count; i++) {
        const host_table_def *ot = &old_def->tables[i];
        const host_table_def *nt = table_canonical(new_def, ot->name);
        if (nt) diff_table(&c, ot, nt);
        else step_add(&c, HOST_MIG_REMOVE_TABLE, i, HOST_MIG_NONE, HOST_MIG_NONE);
    }
    for (u32 i = 0; i < new_def->table_count; i++)
        if (!table_canonical(old_def, new_def->tables[i].name))
            step_add(&c, HOST_MIG_ADD_TABLE, HOST_MIG_NONE, i, HOST_MIG_NONE);
    if (!rls_equal(old_def, new_def))
        step_add(&c, HOST_MIG_CHANGE_RLS, HOST_MIG_NONE, HOST_MIG_NONE, HOST_MIG_NONE);
    if (out->breaks_clients)
        step_add(&c, HOST_MIG_DISCONNECT_ALL, HOST_MIG_NONE, HOST_MIG_NONE, HOST_MIG_NONE);
    if (c.err) return lc_errf(eb, c.err, "migration plan: out of memory");
    if (out->reason_count) {
        out->step_count = 0; /* a refused plan has no steps */
        out->breaks_clients = false;
        return lc_errf(eb, LC_EINVALID, "automatic migration refused (%u reason%s): %s",
                       out->reason_count, out->reason_count == 1 ? "" : "s", out->reasons[0]);
    }
    int rc = steps_order(out);
    return rc ? lc_errf(eb, rc, "migration plan: out of memory") : 0;
}

void host_migrate_plan_free(host_migrate_plan *plan)
{
    lc_free(plan->steps);
    lc_free((void *)plan->reasons);
    lc_arena_deinit(&plan->arena);
    memset(plan, 0, sizeof *plan);
}
