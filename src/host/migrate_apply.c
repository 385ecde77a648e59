/*
 * host/migrate_apply.c — running a migration plan (host/migrate.h): the human-readable
 * description, the step executor over the store API, and "clear data" (a fresh store with
 * the new schema).
 *
 * The executor runs in the caller's write transaction and stops at the first failing step;
 * the caller then aborts, so a failed migration leaves the database as it was. Steps the
 * store cannot perform yet fail with LC_ENOTSUP and name themselves (see migrate.h).
 */
#include "host/migrate.h"

#include <stdio.h>
#include <string.h>

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

static int apply_step(store_txn *txn, const host_migrate_plan *p, const host_migrate_step *s,
                      const host_moddef *o, const host_moddef *n, lc_errbuf *eb)
{
    switch (s->kind) {
    case HOST_MIG_ADD_TABLE: {
        const host_table_def *t = &n->tables[s->new_table];
        if (t->schedule_function)
            return lc_errf(eb, LC_ENOTSUP, "migration: adding schedule table %s is not "
                           "supported yet", t->name);
        return host_schema_create_table(txn, t, NULL, eb);
    }
    case HOST_MIG_ADD_INDEX:
        return apply_add_index(txn, &n->tables[s->new_table],
                               &n->tables[s->new_table].indexes[s->item], eb);
    case HOST_MIG_ADD_CONSTRAINT:
        if (constraint_covered(p, s, n)) return 0;
        break;
    case HOST_MIG_REMOVE_TABLE: return apply_remove_table(txn, &o->tables[s->old_table], eb);
    case HOST_MIG_REMOVE_INDEX:
        return apply_remove_index(txn, &o->tables[s->old_table].indexes[s->item], eb);
    case HOST_MIG_REMOVE_CONSTRAINT:
        if (constraint_dropped(p, s, o)) return 0;
        break;
    case HOST_MIG_CHANGE_ACCESS:
    case HOST_MIG_CHANGE_PK: return apply_access_pk(txn, &n->tables[s->new_table], eb);
    case HOST_MIG_CHANGE_RLS:    /* RLS filters live in the moddef the host swaps in */
    case HOST_MIG_DISCONNECT_ALL: /* the caller disconnects clients after commit */
        return 0;
    default: break;
    }
    const host_table_def *t = step_table(s, o, n);
    const char *item = step_item(s, o, n);
    return lc_errf(eb, LC_ENOTSUP, "migration step \"%s%s%s%s%s\" is not supported by the "
                   "store yet", KIND_NAMES[s->kind], item ? " " : "", item ? item : "",
                   t ? " on table " : "", t ? t->name : "");
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
