/*
 * host/migrate.h — republishing a module: compare the old module's description with the new
 * one, classify every difference as an automatic-migration step or a refusal, and apply an
 * accepted plan to the store inside the caller's write transaction.
 *
 * Spec: spec-engine-semantics §5.4 (the rules "as implemented" by the reference's
 * auto_migrate.rs). Tables, indexes, constraints and sequences are matched by canonical name.
 *   accepted: add table; remove table (only if empty when applied; breaks clients); add /
 *     remove index, or change its algorithm or columns (remove + add); add / remove unique
 *     constraint; add / remove / change sequence; change primary key; public <-> private;
 *     add columns at the end WITH defaults (breaks clients); any change of reducers,
 *     procedures and views; any change of the RLS set (breaks clients).
 *   refused (one reason per offending change; columns are matched by name, so a rename is a
 *     removal plus an addition): removed, renamed or reordered column; column
 *     type change other than a sum gaining variants at the end (recursively through products
 *     and arrays); added column without default; changed index accessor; changed constraint;
 *     changed event flag; any schedule change on a kept table (the reference's planner emits
 *     Add/RemoveSchedule and its executor bails out "not yet implemented"). Adding or
 *     removing a whole schedule table is accepted, as the reference does.
 * Plan order: every Remove step before every Add step (as the reference executes them), then
 * DisconnectAllUsers last when some step breaks clients.
 *
 * Applying. host_migrate_apply runs the steps through the store API in the caller's open write
 * transaction; the caller commits, or aborts on error so a failed apply changes nothing.
 *   ADD_TABLE (schedule tables with their st_scheduled row); REMOVE_TABLE when empty
 *   (store_table_drop_empty, "table contains data" otherwise; a schedule table's st_scheduled
 *   row goes with it); ADD_INDEX / REMOVE_INDEX; ADD_/REMOVE_CONSTRAINT carried by an added /
 *   removed index on the same columns, or else the index on those columns is rebuilt with the
 *   new uniqueness (duplicates refuse the migration, naming constraint and table);
 *   ADD_SEQUENCE after the reference's precheck (no existing value of the column in the
 *   sequence's [min, max]) / REMOVE_SEQUENCE (a changed sequence is both);
 *   ADD_COLUMNS and CHANGE_COLUMNS rebuild the table (store_table_rebuild: every row
 *   rewritten, with the new columns' defaults appended, under a new table id as the
 *   reference's add_columns_to_table does; sequences resume); an event table is dropped and
 *   created again; CHANGE_ACCESS and CHANGE_PK (store_table_set_access_pk); CHANGE_RLS and
 *   DISCONNECT_ALL (no store change: the caller acts).
 * All of it is ordinary row changes in one transaction, so the commit log records it and a
 * replay (or a reopen of the data directory) gives the same database. "Clear data"
 * (publish -c): host_migrate_clear builds a fresh store with the new schema, which the caller
 * swaps in (the reference also destroys the log).
 */
#ifndef LC_HOST_MIGRATE_H
#define LC_HOST_MIGRATE_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "host/moddef.h"
#include "store/store.h"

typedef enum host_migrate_kind {
    HOST_MIG_REMOVE_INDEX = 1,
    HOST_MIG_REMOVE_CONSTRAINT,
    HOST_MIG_REMOVE_SEQUENCE,
    HOST_MIG_REMOVE_TABLE,
    HOST_MIG_CHANGE_ACCESS,
    HOST_MIG_CHANGE_PK,
    HOST_MIG_CHANGE_COLUMNS, /* layout-compatible column type growth (st_column rewrite) */
    HOST_MIG_ADD_TABLE,
    HOST_MIG_ADD_COLUMNS,
    HOST_MIG_ADD_INDEX,
    HOST_MIG_ADD_CONSTRAINT,
    HOST_MIG_ADD_SEQUENCE,
    HOST_MIG_CHANGE_RLS,
    HOST_MIG_DISCONNECT_ALL,
} host_migrate_kind;

#define HOST_MIG_NONE 0xFFFFFFFFu

typedef struct host_migrate_step {
    u8 kind;          /* host_migrate_kind */
    u32 old_table;    /* position in old->tables, or HOST_MIG_NONE */
    u32 new_table;    /* position in new->tables, or HOST_MIG_NONE */
    u32 item;         /* index / constraint / sequence position: in the old table for
                         REMOVE_*, in the new table for ADD_*; else HOST_MIG_NONE */
} host_migrate_step;

typedef struct host_migrate_plan {
    lc_arena arena;
    u32 step_count;
    host_migrate_step *steps;
    u32 reason_count;      /* > 0: refused */
    const char **reasons;  /* one NUL-terminated sentence per offending change */
    bool breaks_clients;   /* the plan ends with DISCONNECT_ALL */
} host_migrate_plan;

/* Compares old and new. Returns 0 with an ordered plan, or LC_EINVALID when refused (the plan
 * then lists every reason and no steps, and eb holds the first); LC_ENOMEM / LC_ELIMIT on exhaustion. The
 * plan must be freed with host_migrate_plan_free in every case. */
int host_migrate_plan_make(const host_moddef *old_def, const host_moddef *new_def,
                           host_migrate_plan *out, lc_errbuf *eb) LC_MUST_USE;
void host_migrate_plan_free(host_migrate_plan *plan);

/* Human-readable plan (one line per step, or per reason when refused), for pre_publish. */
void host_migrate_plan_describe(const host_migrate_plan *plan, const host_moddef *old_def,
                                const host_moddef *new_def, lc_buf *out);

/* Applies an accepted plan in the caller's write transaction (see the top of this file). */
int host_migrate_apply(store_txn *txn, const host_migrate_plan *plan, const host_moddef *old_def,
                       const host_moddef *new_def, lc_errbuf *eb) LC_MUST_USE;

/* Clear data: a fresh store holding the new module's schema (committed). */
int host_migrate_clear(const host_moddef *new_def, store **out_store, lc_errbuf *eb) LC_MUST_USE;

#endif
