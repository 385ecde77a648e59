/*
 * sql/plan.h — internal to sql/: the bound form of a statement (tables in FROM, compiled
 * predicates over (table slot, column) references) shared by plan.c (binding, row access,
 * scans with index choice) and exec.c (statement drivers).
 *
 * Design: a predicate is a small tree whose leaves compare a column with the BSATN bytes of a
 * typed literal or with another column, using lc_bsatn_cmp. Rows are borrowed BSATN; the
 * column offsets of the current row of each slot are computed lazily once per row.
 */
#ifndef LC_SQL_PLAN_H
#define LC_SQL_PLAN_H

#include <stdarg.h>

#include "sql/sql_exec.h"

#define PLAN_TABLES_MAX 8

typedef enum plan_pred_kind { PP_CMP_LIT, PP_CMP_COL, PP_AND, PP_OR, PP_NOT } plan_pred_kind;

typedef struct plan_pred plan_pred;
struct plan_pred {
    plan_pred_kind kind;
    sql_cmp_op op;
    u16 slot, col, slot_b, col_b;
    const lc_type *type;
    const u8 *lit;
    plan_pred **items; /* AND / OR / NOT (count 1) */
    u32 count;
};

typedef struct plan_table {
    u32 id;
    const lc_type *rt;
    sql_ident name, alias;
    const u8 *row;
    u32 *offs; /* elem_count + 1 offsets of the current row, valid when has_offs */
    bool has_offs;
    i32 ix_col;      /* index_find cache: column (-1: empty), kind, answer */
    bool ix_btree;
    u32 ix_id;
} plan_table;

typedef struct plan_ctx {
    store_txn *txn;
    lc_arena *arena;
    const char *sql;
    size_t sql_len;
    const sql_exec_opts *opts;
    lc_errbuf *eb;
    u32 ntab;
    plan_table tabs[PLAN_TABLES_MAX];
    plan_pred *where; /* ON conditions AND the WHERE clause, or NULL */
    bool uses_sender; /* a comparison with :sender was compiled (query or RLS rule) */
    bool has_rls;     /* plan_rls_apply restricted at least one slot */
    /* called for each combination of rows satisfying `where`; non-zero stops */
    int (*on_match)(struct plan_ctx *c, void *arg);
    void *arg;
} plan_ctx;

/* Stop code returned by on_match to end a scan early without error. */
#define PLAN_STOP 1

int plan_errf(plan_ctx *c, u32 off, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int plan_table_add(plan_ctx *c, const sql_ident *name, const sql_ident *alias, u32 off);
int plan_col_resolve(plan_ctx *c, const sql_col_ref *ref, u32 off, u16 *out_slot, u16 *out_col);
int plan_pred_compile(plan_ctx *c, const sql_expr *e, plan_pred **out);
int plan_pred_and(plan_ctx *c, plan_pred *a, plan_pred *b, plan_pred **out);
/* Pointer to column `col` of the current row of `slot` and its size. */
const u8 *plan_col(plan_ctx *c, u16 slot, u16 col, u32 *out_len);
const lc_type *plan_col_type(const plan_ctx *c, u16 slot, u16 col);
/* Evaluates p on the current rows of the slots (tabs[i].row, has_offs reset by the caller). */
bool plan_pred_eval(plan_ctx *c, const plan_pred *p);
/* Runs the nested-loop scan over every table, calling on_match; 0 or PLAN_STOP -> 0. */
int plan_run(plan_ctx *c);
/* False for a private table (or an unknown id): hidden from restricted callers. */
bool plan_table_is_public(store_txn *txn, u32 table_id);
/* A single-column index of `table_id` on `col` (btree when need_btree); 0 when none. */
u32 plan_index_lookup(store_txn *txn, u32 table_id, u16 col, bool need_btree);
/* Row-level security (rls.c): when c->opts is restricted and has rules, ANDs into c->where,
 * for every bound slot whose table has rules, the OR of those rules' WHERE clauses. */
int plan_rls_apply(plan_ctx *c);

#endif
