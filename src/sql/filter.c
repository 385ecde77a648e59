/*
 * sql/filter.c — compiled subscription queries (sql_exec.h): the subscription layer's view of
 * the SQL binder. A filter is a plan_ctx with its one or two bound tables and the compiled
 * predicate (ON AND WHERE AND row-level security), kept alive in its own arena so the same
 * predicate evaluator that answers SELECT decides whether rows belong to a subscription (one
 * semantics, one implementation).
 *
 * Joins: `SELECT t.* FROM a JOIN b ON a.x = b.y [WHERE ...]`. The join edge is the first
 * top-level conjunct `a.col = b.col` (from ON, or from WHERE after a JOIN without ON) whose
 * two columns both have a single-column index: incremental evaluation probes each side with
 * the other side's changed rows, so both must be indexed, which is also what SpacetimeDB
 * demands (its compiler refuses any plan with a non-index join, checking the index on the
 * scanned side as well). Otherwise: "Subscriptions require indexes on join columns".
 */
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "sql/plan.h"

/* A subscription's WHERE is small (bounded by LC_SQL_SUB_TEXT_MAX); its bound form too. */
#define FILTER_ARENA_MAX (1u << 20)

struct sql_filter {
    lc_arena arena;
    plan_ctx c;
    sql_exec_opts opts;
    u8 caller_id[32];
    u16 ret_slot;
    u16 join_col[2];
    u32 join_ix[2];
    sql_filter_row_fn fn; /* sql_filter_eval's callback */
    void *fn_ctx;
};

static bool is_join_edge(const plan_pred *p)
{
    return p->kind == PP_CMP_COL && p->op == SQL_CMP_EQ && p->slot != p->slot_b;
}

/* Picks the join edge (see the file comment) and its two indexes. */
static int join_edge_find(sql_filter *f)
{
    plan_ctx *c = &f->c;
    const plan_pred *w = c->where;
    u32 n = w ? (w->kind == PP_AND ? w->count : 1) : 0;
    for (u32 i = 0; i < n; i++) {
        const plan_pred *p = w->kind == PP_AND ? w->items[i] : w;
        if (!is_join_edge(p)) continue;
        u16 c0 = p->slot == 0 ? p->col : p->col_b, c1 = p->slot == 0 ? p->col_b : p->col;
        u32 ix0 = plan_index_lookup(c->txn, c->tabs[0].id, c0, false);
        u32 ix1 = plan_index_lookup(c->txn, c->tabs[1].id, c1, false);
        if (!ix0 || !ix1) continue;
        f->join_col[0] = c0;
        f->join_col[1] = c1;
        f->join_ix[0] = ix0;
        f->join_ix[1] = ix1;
        return 0;
    }
    return plan_errf(c, c->tabs[1].name.off, LC_ENOTSUP,
                     "Subscriptions require indexes on join columns");
}

static int ret_slot_bind(sql_filter *f, const sql_select *sel)
{
    plan_ctx *c = &f->c;
    if (sel->proj == SQL_PROJ_STAR) return 0; /* one table (the parser refuses * on joins) */
    for (u16 i = 0; i < c->ntab; i++) {
        const sql_ident *vis = c->tabs[i].alias.len ? &c->tabs[i].alias : &c->tabs[i].name;
        if (vis->len == sel->star_table.len &&
            memcmp(vis->ptr, sel->star_table.ptr, vis->len) == 0) {
            f->ret_slot = i;
            return 0;
        }
    }
    return plan_errf(c, sel->star_table.off, LC_ENOTFOUND, "`%.*s` is not in scope",
                     (int)sel->star_table.len, sel->star_table.ptr);
}

static int filter_bind(sql_filter *f, const sql_select *sel, bool allow_join)
{
    plan_ctx *c = &f->c;
    if (sel->from_count > (allow_join ? 2u : 1u))
        return plan_errf(c, sel->from[1].off, LC_ENOTSUP,
                         allow_join ? "Invalid number of tables in subscription"
                                    : "subscription joins are not supported yet");
    if (sel->proj != SQL_PROJ_STAR && sel->proj != SQL_PROJ_TABLE_STAR)
        return plan_errf(c, 0, LC_ENOTSUP, "a subscription must select * or t.*");
    if (sel->has_limit || sel->order_count || sel->has_offset)
        return plan_errf(c, 0, LC_ENOTSUP, "LIMIT / ORDER BY / OFFSET in a subscription");
    for (u32 i = 0; i < sel->from_count; i++) {
        const sql_from_item *fi = &sel->from[i];
        int rc = plan_table_add(c, &fi->table, &fi->alias, fi->off);
        if (rc) return rc;
    }
    int rc = ret_slot_bind(f, sel);
    for (u32 i = 1; i < sel->from_count && !rc; i++) {
        plan_pred *p;
        if (!sel->from[i].on) continue;
        rc = plan_pred_compile(c, sel->from[i].on, &p);
        if (!rc) rc = plan_pred_and(c, c->where, p, &c->where);
    }
    if (!rc && sel->where) {
        plan_pred *p;
        rc = plan_pred_compile(c, sel->where, &p);
        if (!rc) rc = plan_pred_and(c, c->where, p, &c->where);
    }
    if (!rc) rc = plan_rls_apply(c);
    if (!rc && c->ntab == 2) rc = join_edge_find(f);
    return rc;
}

int sql_filter_compile_opts(store_txn *txn, const sql_select *sel, const char *sql, size_t len,
                            const sql_exec_opts *opts, bool allow_join, sql_filter **out,
                            lc_errbuf *eb)
{
    *out = NULL;
    sql_filter *f = lc_calloc(1, sizeof *f);
    if (!f) return lc_errf(eb, LC_ENOMEM, "out of memory");
    lc_arena_init(&f->arena, FILTER_ARENA_MAX);
    if (opts) f->opts = *opts;
    f->opts.row_limit = 0;
    if (opts && opts->caller_id) {
        memcpy(f->caller_id, opts->caller_id, 32);
        f->opts.caller_id = f->caller_id;
    }
    plan_ctx *c = &f->c;
    c->txn = txn;
    c->arena = &f->arena;
    c->sql = sql;
    c->sql_len = len;
    c->opts = &f->opts;
    c->eb = eb;
    int rc = filter_bind(f, sel, allow_join);
    /* Nothing below may reach the transaction, the text, the rules or the error buffer. */
    c->txn = NULL;
    c->sql = NULL;
    c->sql_len = 0;
    c->eb = NULL;
    f->opts.rls_sql = NULL;
    f->opts.rls_count = 0;
    if (rc) {
        sql_filter_destroy(f);
        return rc;
    }
    *out = f;
    return 0;
}

int sql_filter_compile(store_txn *txn, const sql_select *sel, const char *sql, size_t len,
                       const u8 *caller_id, sql_filter **out, lc_errbuf *eb)
{
    sql_exec_opts opts = {.caller_id = caller_id};
    return sql_filter_compile_opts(txn, sel, sql, len, &opts, false, out, eb);
}

void sql_filter_destroy(sql_filter *f)
{
    if (!f) return;
    lc_arena_deinit(&f->arena);
    lc_free(f);
}

u32 sql_filter_table_id(const sql_filter *f) { return f->c.tabs[f->ret_slot].id; }
u32 sql_filter_table_count(const sql_filter *f) { return f->c.ntab; }
u32 sql_filter_table_id_at(const sql_filter *f, u32 slot) { return f->c.tabs[slot].id; }
u32 sql_filter_return_slot(const sql_filter *f) { return f->ret_slot; }
bool sql_filter_uses_sender(const sql_filter *f) { return f->c.uses_sender; }
bool sql_filter_has_rls(const sql_filter *f) { return f->c.has_rls; }

const lc_type *sql_filter_row_type(const sql_filter *f, u32 slot)
{
    return f->c.tabs[slot].rt;
}

void sql_filter_join(const sql_filter *f, u16 out_cols[2], u32 out_index[2])
{
    for (int i = 0; i < 2; i++) {
        out_cols[i] = f->join_col[i];
        out_index[i] = f->join_ix[i];
    }
}

bool sql_filter_match(sql_filter *f, const u8 *row, u32 len)
{
    (void)len;
    LC_ASSERT(f->c.ntab == 1);
    if (!f->c.where) return true;
    f->c.tabs[0].row = row;
    f->c.tabs[0].has_offs = false;
    return plan_pred_eval(&f->c, f->c.where);
}

bool sql_filter_match_pair(sql_filter *f, const u8 *row0, const u8 *row1)
{
    LC_ASSERT(f->c.ntab == 2);
    f->c.tabs[0].row = row0;
    f->c.tabs[0].has_offs = false;
    f->c.tabs[1].row = row1;
    f->c.tabs[1].has_offs = false;
    return !f->c.where || plan_pred_eval(&f->c, f->c.where);
}

const u8 *sql_filter_col(sql_filter *f, u32 slot, const u8 *row, u16 col, u32 *out_len)
{
    f->c.tabs[slot].row = row;
    f->c.tabs[slot].has_offs = false;
    return plan_col(&f->c, (u16)slot, col, out_len);
}

u32 sql_filter_eq_args(const sql_filter *f, u32 slot, sql_filter_eq *out, u32 cap)
{
    const plan_pred *w = f->c.where;
    u32 n = w ? (w->kind == PP_AND ? w->count : 1) : 0, k = 0;
    for (u32 i = 0; i < n; i++) {
        const plan_pred *p = w->kind == PP_AND ? w->items[i] : w;
        if (p->kind != PP_CMP_LIT || p->op != SQL_CMP_EQ || p->slot != slot) continue;
        /* float bytes are not canonical for equality (NaN payloads): no search argument */
        if (p->type->kind == LC_T_F32 || p->type->kind == LC_T_F64) continue;
        if (k < cap) out[k] = (sql_filter_eq){p->col, p->lit, (u32)lc_bsatn_size(p->type, p->lit)};
        k++;
    }
    return k;
}

static int filter_emit(plan_ctx *c, void *arg)
{
    sql_filter *f = arg;
    plan_table *t = &c->tabs[f->ret_slot];
    plan_col(c, f->ret_slot, 0, NULL); /* computes the offsets */
    return f->fn(f->fn_ctx, t->row, t->offs[t->rt->elem_count]);
}

/* Opens the outer side of a join's full evaluation: a point lookup on a slot with an indexed
 * `col = constant` conjunct, else a scan of the smaller table. */
static int join_outer_open(sql_filter *f, store_txn *txn, u16 *out_slot, store_iter *it)
{
    plan_ctx *c = &f->c;
    const plan_pred *w = c->where;
    u32 n = w ? (w->kind == PP_AND ? w->count : 1) : 0;
    for (u32 i = 0; i < n; i++) {
        const plan_pred *p = w->kind == PP_AND ? w->items[i] : w;
        if (p->kind != PP_CMP_LIT || p->op != SQL_CMP_EQ) continue;
        u32 ix = plan_index_lookup(txn, c->tabs[p->slot].id, p->col, false);
        if (!ix) continue;
        *out_slot = p->slot;
        return store_index_point(txn, ix, p->lit, lc_bsatn_size(p->type, p->lit), it);
    }
    u64 n0 = 0, n1 = 0;
    int rc = store_row_count(txn, c->tabs[0].id, &n0);
    if (!rc) rc = store_row_count(txn, c->tabs[1].id, &n1);
    *out_slot = n1 < n0 ? 1 : 0;
    return rc ? rc : store_scan(txn, c->tabs[*out_slot].id, it);
}

/* Index nested-loop join from the chosen outer side; every pair checked by the predicate. */
static int join_eval(sql_filter *f, store_txn *txn)
{
    u16 outer;
    store_iter it;
    int rc = join_outer_open(f, txn, &outer, &it);
    if (rc) return rc;
    u16 inner = (u16)(1 - outer);
    const u8 *row, *irow;
    u32 len, ilen, klen;
    while (rc == 0 && store_iter_next(&it, &row, &len)) {
        const u8 *key = sql_filter_col(f, outer, row, f->join_col[outer], &klen);
        store_iter in;
        rc = store_index_point(txn, f->join_ix[inner], key, klen, &in);
        while (rc == 0 && store_iter_next(&in, &irow, &ilen)) {
            bool ok = outer == 0 ? sql_filter_match_pair(f, row, irow)
                                 : sql_filter_match_pair(f, irow, row);
            if (ok) rc = f->ret_slot == outer ? f->fn(f->fn_ctx, row, len)
                                              : f->fn(f->fn_ctx, irow, ilen);
        }
        store_iter_close(&in);
    }
    store_iter_close(&it);
    return rc;
}

int sql_filter_eval(sql_filter *f, store_txn *txn, sql_filter_row_fn fn, void *ctx)
{
    plan_ctx *c = &f->c;
    if (c->ntab == 2) {
        f->fn = fn;
        f->fn_ctx = ctx;
        return join_eval(f, txn);
    }
    c->txn = txn;
    for (u32 i = 0; i < c->ntab; i++) c->tabs[i].ix_col = -1; /* indexes may have changed */
    c->on_match = filter_emit;
    c->arg = f;
    f->fn = fn;
    f->fn_ctx = ctx;
    int rc = plan_run(c);
    c->txn = NULL;
    return rc;
}
