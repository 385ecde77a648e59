/*
 * host/migrate_apply.c — running a migration plan (host/migrate.h): the human-readable
 * description, the step executor over the store API, and "clear data" (a fresh store with
 * the new schema).
 *
 * The executor runs in the caller's write transaction and stops at the first failing step;
 * the caller then aborts, so a failed migration leaves the database as it was. Every step
 * of an accepted plan is executed (see migrate.h); the ones that rewrite a table's rows go
 * through store_table_rebuild (a new table id, as the reference's AddColumns does).
 */
#include "host/migrate.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "host/schema.h"

static const char *const KIND_NAMES[] = {
    [HOST_MIG_REMOVE_INDEX] = "remove index",
    [HOST_MIG_REMOVE_CONSTRAINT] = "remove unique constraint",
    [HOST_MIG_REMOVE_SEQUENCE] = "remove sequence",
    [HOST_MIG_REMOVE_TABLE] = "remove table",
    [HOST_MIG_CHANGE_ACCESS] = "change access",
    [HOST_MIG_CHANGE_PK] = "change primary key",
    [HOST_MIG_CHANGE_COLUMNS] = "change column types",
    [HOST_MIG_ADD_TABLE] = "add table",
    [HOST_MIG_ADD_COLUMNS] = "add columns",
    [HOST_MIG_ADD_INDEX] = "add index",
    [HOST_MIG_ADD_CONSTRAINT] = "add unique constraint",
    [HOST_MIG_ADD_SEQUENCE] = "add sequence",
    [HOST_MIG_CHANGE_RLS] = "replace row-level security rules",
    [HOST_MIG_DISCONNECT_ALL] = "disconnect all clients",
};

static const host_table_def *step_table(const host_migrate_step *s, const host_moddef *o,
                                        const host_moddef *n)
{
    if (s->new_table != HOST_MIG_NONE) return &n->tables[s->new_table];
    if (s->old_table != HOST_MIG_NONE) return &o->tables[s->old_table];
    return NULL;
}

/* The name of the step's item (index / constraint / sequence), or NULL. */
static const char *step_item(const host_migrate_step *s, const host_moddef *o, const host_moddef *n)
{
    if (s->item == HOST_MIG_NONE) return NULL;
    bool rm = s->kind <= HOST_MIG_REMOVE_TABLE;
    const host_table_def *t = rm ? &o->tables[s->old_table] : &n->tables[s->new_table];
    switch (s->kind) {
    case HOST_MIG_REMOVE_INDEX:
    case HOST_MIG_ADD_INDEX: return t->indexes[s->item].name;
    case HOST_MIG_REMOVE_CONSTRAINT:
    case HOST_MIG_ADD_CONSTRAINT: return t->constraints[s->item].name;
    case HOST_MIG_REMOVE_SEQUENCE:
    case HOST_MIG_ADD_SEQUENCE: return t->sequences[s->item].name;
    default: return NULL;
    }
}

static void describe_step(const host_migrate_step *s, const host_moddef *o, const host_moddef *n,
                          lc_buf *out)
{
    const char *k = KIND_NAMES[s->kind];
    const host_table_def *t = step_table(s, o, n);
    const char *item = step_item(s, o, n);
    char line[600];
    int len;
    if (item) len = snprintf(line, sizeof line, "%s %s on table %s\n", k, item, t->name);
    else if (t) len = snprintf(line, sizeof line, "%s %s\n", k, t->name);
    else len = snprintf(line, sizeof line, "%s\n", k);
    if (len > 0) lc_buf_put(out, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

void host_migrate_plan_describe(const host_migrate_plan *plan, const host_moddef *old_def,
                                const host_moddef *new_def, lc_buf *out)
{
    if (plan->reason_count) {
        for (u32 i = 0; i < plan->reason_count; i++) {
            lc_buf_put(out, "refused: ", 9);
            lc_buf_put(out, plan->reasons[i], strlen(plan->reasons[i]));
            lc_buf_put(out, "\n", 1);
        }
        return;
    }
    if (plan->step_count == 0) lc_buf_put(out, "no changes\n", 11);
    for (u32 i = 0; i < plan->step_count; i++)
        describe_step(&plan->steps[i], old_def, new_def, out);
}

static int table_id(store_txn *txn, const char *name, u32 *id, lc_errbuf *eb)
{
    int rc = store_table_id_from_name(txn, name, strlen(name), id);
    return rc ? lc_errf(eb, rc, "migration: table %s not found in the database", name) : 0;
}

static int apply_add_index(store_txn *txn, const host_table_def *t, const host_index_def *x,
                           lc_errbuf *eb)
{
    u32 id = 0;
    int rc = table_id(txn, t->name, &id, eb);
    if (rc) return rc;
    store_index_def d = {x->name, x->algo, x->is_unique, x->col_count, x->cols};
    return store_index_create(txn, id, &d, NULL, eb);
}

/* ADD_CONSTRAINT is carried by an ADD_INDEX of a unique index on the same columns in the same
 * plan (store_index_create writes the st_constraint row); otherwise it is not supported yet. */
static bool constraint_covered(const host_migrate_plan *p, const host_migrate_step *s,
                               const host_moddef *n)
{
    const host_table_def *t = &n->tables[s->new_table];
    const host_constraint_def *c = &t->constraints[s->item];
    for (u32 i = 0; i < p->step_count; i++) {
        const host_migrate_step *a = &p->steps[i];
        if (a->kind != HOST_MIG_ADD_INDEX || a->new_table != s->new_table) continue;
        const host_index_def *x = &t->indexes[a->item];
        if (x->is_unique && x->col_count == c->col_count &&
            memcmp(x->cols, c->cols, (size_t)c->col_count * sizeof *c->cols) == 0)
            return true;
    }
    return false;
}

static int apply_remove_index(store_txn *txn, const host_index_def *x, lc_errbuf *eb)
{
    u32 id = 0;
    int rc = store_index_id_from_name(txn, x->name, strlen(x->name), &id);
    if (rc) return lc_errf(eb, rc, "migration: index %s not found in the database", x->name);
    return store_index_drop(txn, id, eb);
}

/* REMOVE_CONSTRAINT is carried by a REMOVE_INDEX on the same columns in the same plan
 * (store_index_drop removes the Unique row with its index). */
static bool constraint_dropped(const host_migrate_plan *p, const host_migrate_step *s,
                               const host_moddef *o)
{
    const host_table_def *t = &o->tables[s->old_table];
    const host_constraint_def *c = &t->constraints[s->item];
    for (u32 i = 0; i < p->step_count; i++) {
        const host_migrate_step *a = &p->steps[i];
        if (a->kind != HOST_MIG_REMOVE_INDEX || a->old_table != s->old_table) continue;
        const host_index_def *x = &t->indexes[a->item];
        if (x->col_count == c->col_count &&
            memcmp(x->cols, c->cols, (size_t)c->col_count * sizeof *c->cols) == 0)
            return true;
    }
    return false;
}

static int apply_access_pk(store_txn *txn, const host_table_def *t, lc_errbuf *eb)
{
    u32 id = 0;
    int rc = table_id(txn, t->name, &id, eb);
    return rc ? rc : store_table_set_access_pk(txn, id, t->is_public, t->pk_col, eb);
}

static int apply_remove_table(store_txn *txn, const host_table_def *t, lc_errbuf *eb)
{
    u32 id = 0;
    u64 rows = 0;
    int rc = table_id(txn, t->name, &id, eb);
    if (rc == 0) rc = store_row_count(txn, id, &rows);
    if (rc) return rc;
    if (rows) return lc_errf(eb, LC_ESTATE, "migration: cannot remove table %s: table contains "
                             "data (%llu rows)", t->name, (unsigned long long)rows);
    return store_table_drop_empty(txn, id, eb);
}

/* ---- table rewrites (store/store_rebuild.c) ---- */

/* ADD_COLUMNS / CHANGE_COLUMNS: the table is rebuilt under a new id with the new columns; each
 * row gets the BSATN defaults of the added columns (in column order) appended. An event table
 * holds no rows: it is dropped and created again from the new definition. */
static int apply_rebuild(store_txn *txn, const host_table_def *ot, const host_table_def *nt,
                         lc_errbuf *eb)
{
    u32 id = 0;
    int rc = table_id(txn, nt->name, &id, eb);
    if (rc) return rc;
    if (nt->is_event) {
        rc = store_table_drop(txn, id, eb);
        return rc ? rc : host_schema_create_table(txn, nt, NULL, eb);
    }
    const lc_type *rt = nt->row_type;
    u32 old_n = ot->row_type->elem_count, n = rt->elem_count;
    store_column_def *cols = lc_calloc(n ? n : 1, sizeof *cols);
    lc_buf tail;
    lc_buf_init(&tail);
    if (!cols) return lc_errf(eb, LC_ENOMEM, "out of memory");
    for (u32 i = 0; i < n; i++) cols[i] = (store_column_def){rt->elems[i].name, rt->elems[i].type};
    for (u32 c = old_n; c < n; c++) {
        const host_default_def *d = NULL;
        for (u32 k = 0; k < nt->default_count && !d; k++)
            if (nt->defaults[k].col == c) d = &nt->defaults[k];
        if (!d) {
            rc = lc_errf(eb, LC_EINVALID, "table %s: column %s added without a default value",
                         nt->name, rt->elems[c].name);
            break;
        }
        lc_buf_put(&tail, d->value, d->len);
    }
    if (!rc) rc = tail.err;
    if (!rc) rc = store_table_rebuild(txn, id, n, cols, tail.data, tail.len, NULL, eb);
    lc_free(cols);
    lc_buf_deinit(&tail);
    return rc;
}

/* Little-endian integer of w bytes at p as i128 (w <= 16). */
static i128 int_load(const u8 *p, i32 w, bool is_signed)
{
    u8 le[16];
    bool neg = is_signed && (p[w - 1] & 0x80);
    memset(le, neg ? 0xff : 0, sizeof le);
    memcpy(le, p, (size_t)w);
    i128 v;
    memcpy(&v, le, sizeof v);
    return v;
}

/* The reference's CheckAddSequenceRangeValid: no existing value of the column may lie in the
 * sequence's [min, max], or generated values could collide with it. */
static int sequence_precheck(store_txn *txn, u32 id, const host_table_def *t,
                             const host_sequence_def *q, lc_errbuf *eb)
{
    const lc_type *rt = store_table_row_type(txn, id);
    if (!rt || q->col >= rt->elem_count) return lc_errf(eb, LC_ECORRUPT, "table %s", t->name);
    const lc_type *ct = rt->elems[q->col].type;
    if (!lc_type_is_int(ct) || ct->fixed_size <= 0 || ct->fixed_size > 16)
        return lc_errf(eb, LC_EINVALID, "table %s: sequence %s on a column that is not an "
                       "integer of at most 128 bits", t->name, q->name);
    store_iter it;
    int rc = store_scan(txn, id, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    bool hit = false;
    while (!hit && store_iter_next(&it, &row, &len)) {
        lc_rd rd;
        lc_rd_init(&rd, row, len);
        for (u16 c = 0; c < q->col; c++) lc_bsatn_skip(rt->elems[c].type, &rd);
        if (rd.err || lc_rd_left(&rd) < (size_t)ct->fixed_size) continue;
        i128 v = int_load(rd.p, ct->fixed_size, lc_type_is_signed(ct));
        if (!lc_type_is_signed(ct) && ct->fixed_size == 16 && v < 0) continue; /* > i128 max */
        hit = v >= q->min_value && v <= q->max_value;
    }
    store_iter_close(&it);
    if (hit)
        return lc_errf(eb, LC_ESTATE, "cannot add sequence %s to table %s: column %s already "
                       "has values in the sequence's range", q->name, t->name,
                       rt->elems[q->col].name ? rt->elems[q->col].name : "?");
    return 0;
}

static int apply_add_sequence(store_txn *txn, const host_table_def *t, const host_sequence_def *q,
                              lc_errbuf *eb)
{
    u32 id = 0;
    int rc = table_id(txn, t->name, &id, eb);
    if (!rc) rc = sequence_precheck(txn, id, t, q, eb);
    if (rc) return rc;
    store_sequence_def d = {q->col, q->increment, q->start, q->min_value, q->max_value};
    return store_sequence_create(txn, id, &d, eb);
}

static int apply_remove_sequence(store_txn *txn, const host_table_def *t,
                                 const host_sequence_def *q, lc_errbuf *eb)
{
    u32 id = 0;
    int rc = table_id(txn, t->name, &id, eb);
    return rc ? rc : store_sequence_drop(txn, id, q->col, eb);
}

/* A unique constraint added to / removed from columns whose index stays: the index is
 * rebuilt with the new uniqueness (duplicates refuse the migration). */
static int apply_constraint_index(store_txn *txn, const host_table_def *t, u16 n,
                                  const u16 *cols, bool is_unique, const char *cname,
                                  lc_errbuf *eb)
{
    const host_index_def *x = NULL;
    for (u32 i = 0; i < t->index_count && !x; i++)
        if (t->indexes[i].col_count == n &&
            memcmp(t->indexes[i].cols, cols, (size_t)n * sizeof *cols) == 0)
            x = &t->indexes[i];
    if (!x && !is_unique) return 0; /* nothing in the store carries it */
    if (!x)
        return lc_errf(eb, LC_ENOTSUP, "table %s: unique constraint %s has no index on its "
                       "columns", t->name, cname);
    u32 tid = 0, ixid = 0;
    int rc = table_id(txn, t->name, &tid, eb);
    if (rc) return rc;
    if (store_index_id_from_name(txn, x->name, strlen(x->name), &ixid) == 0) {
        rc = store_index_drop(txn, ixid, eb);
        if (rc) return rc;
    }
    store_index_def d = {x->name, x->algo, is_unique, x->col_count, x->cols};
    rc = store_index_create(txn, tid, &d, NULL, eb);
    if (rc == LC_EUNIQUE)
        return lc_errf(eb, rc, "cannot add unique constraint %s to table %s: the table holds "
                       "duplicate values", cname, t->name);
    return rc;
}

static int apply_step(store_txn *txn, const host_migrate_plan *p, const host_migrate_step *s,
                      const host_moddef *o, const host_moddef *n, lc_errbuf *eb)
{
    const host_table_def *ot = s->old_table != HOST_MIG_NONE ? &o->tables[s->old_table] : NULL;
    const host_table_def *nt = s->new_table != HOST_MIG_NONE ? &n->tables[s->new_table] : NULL;
    switch (s->kind) {
    case HOST_MIG_ADD_TABLE: return host_schema_create_table(txn, nt, NULL, eb);
    case HOST_MIG_ADD_INDEX: return apply_add_index(txn, nt, &nt->indexes[s->item], eb);
    case HOST_MIG_ADD_CONSTRAINT: {
        if (constraint_covered(p, s, n)) return 0;
        const host_constraint_def *c = &nt->constraints[s->item];
        return apply_constraint_index(txn, nt, c->col_count, c->cols, true, c->name, eb);
    }
    case HOST_MIG_ADD_SEQUENCE: return apply_add_sequence(txn, nt, &nt->sequences[s->item], eb);
    case HOST_MIG_ADD_COLUMNS:
    case HOST_MIG_CHANGE_COLUMNS: return apply_rebuild(txn, ot, nt, eb);
    case HOST_MIG_REMOVE_TABLE: return apply_remove_table(txn, ot, eb);
    case HOST_MIG_REMOVE_INDEX: return apply_remove_index(txn, &ot->indexes[s->item], eb);
    case HOST_MIG_REMOVE_CONSTRAINT: {
        if (constraint_dropped(p, s, o)) return 0;
        const host_constraint_def *c = &ot->constraints[s->item];
        return apply_constraint_index(txn, nt, c->col_count, c->cols, false, c->name, eb);
    }
    case HOST_MIG_REMOVE_SEQUENCE:
        return apply_remove_sequence(txn, ot, &ot->sequences[s->item], eb);
    case HOST_MIG_CHANGE_ACCESS:
    case HOST_MIG_CHANGE_PK: return apply_access_pk(txn, nt, eb);
    case HOST_MIG_CHANGE_RLS:    /* RLS filters live in the moddef the host swaps in */
    case HOST_MIG_DISCONNECT_ALL: /* the caller disconnects clients after commit */
        return 0;
    default: break;
    }
    return lc_errf(eb, LC_EINVAL, "migration step of unknown kind %u", s->kind);
}

int host_migrate_apply(store_txn *txn, const host_migrate_plan *plan, const host_moddef *old_def,
                       const host_moddef *new_def, lc_errbuf *eb)
{
    if (plan->reason_count)
        return lc_errf(eb, LC_EINVALID, "migration refused: %s", plan->reasons[0]);
    for (u32 i = 0; i < plan->step_count; i++) {
        int rc = apply_step(txn, plan, &plan->steps[i], old_def, new_def, eb);
        if (rc) return rc;
    }
    return 0;
}

int host_migrate_clear(const host_moddef *new_def, store **out_store, lc_errbuf *eb)
{
    *out_store = NULL;
    store *s = NULL;
    int rc = store_create(&s);
    if (rc) return lc_errf(eb, rc, "clear data: cannot create a store");
    store_txn txn;
    store_txn_begin(&txn, s);
    rc = host_schema_create(&txn, new_def, eb);
    if (rc == 0) {
        const store_txdata *td = NULL;
        rc = store_txn_commit(&txn, &td);
        if (rc) lc_errf(eb, rc, "clear data: commit failed");
    } else {
        store_txn_abort(&txn);
    }
    if (rc) {
        store_destroy(s);
        return rc;
    }
    *out_store = s;
    return 0;
}
