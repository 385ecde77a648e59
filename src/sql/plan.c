/*
 * sql/plan.c — binding FROM / column references / WHERE against a store transaction, and the
 * scan that drives execution (see plan.h).
 *
 * Design: FROM tables are bound to slots in order. Column references resolve by alias (or the
 * table name when it has no alias); unqualified references are allowed only with one table.
 * WHERE and every ON condition are compiled into one predicate (AND of all). Execution is a
 * nested loop over the slots; for each slot the scan picks, in order:
 *   1. a single-column index whose column is compared with = to a literal (point lookup),
 *      or, for slot > 0, to a column of an earlier slot (index nested-loop join);
 *   2. a single-column btree index whose column has a <, <=, >, >= literal bound (range scan);
 *   3. a full scan.
 * The complete predicate is always re-evaluated on each candidate, so index use is purely an
 * optimisation. Indexes are found by reading st_index (index_id, table_id, ...).
 * For a restricted caller (sql_exec_opts.restricted) plan_table_add treats a private table as
 * missing (read from its st_table row), with SpacetimeDB's "no such table" wording; the
 * row-level-security rules are ANDed in afterwards by plan_rls_apply (rls.c). AND predicates
 * are kept flat so every conjunct is visible to index selection.
 */
#include <stdio.h>
#include <string.h>

#include "sql/plan.h"

int plan_errf(plan_ctx *c, u32 off, int err, const char *fmt, ...)
{
    if (!c->eb) return err;
    va_list ap;
    va_start(ap, fmt);
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    u32 line = 1, col = 1;
    if (c->sql) sql_pos_from_offset(c->sql, c->sql_len, off, &line, &col);
    return lc_errf(c->eb, err, "%s at %u:%u", msg, line, col);
}

static bool ident_eq(const sql_ident *a, const char *s, size_t n)
{
    return a->len == n && memcmp(a->ptr, s, n) == 0;
}

int plan_table_add(plan_ctx *c, const sql_ident *name, const sql_ident *alias, u32 off)
{
    if (c->ntab == PLAN_TABLES_MAX)
        return plan_errf(c, off, LC_ELIMIT, "more than %d tables in FROM", PLAN_TABLES_MAX);
    u32 id;
    if (store_table_id_from_name(c->txn, name->ptr, name->len, &id) != 0 ||
        (c->opts && c->opts->restricted && !plan_table_is_public(c->txn, id)))
        return plan_errf(c, off, LC_ENOTFOUND,
                         "no such table: `%.*s`. If the table exists, it may be marked private.",
                         (int)name->len, name->ptr);
    plan_table *t = &c->tabs[c->ntab];
    memset(t, 0, sizeof *t);
    t->id = id;
    t->rt = store_table_row_type(c->txn, id);
    t->name = *name;
    t->ix_col = -1;
    if (alias) t->alias = *alias;
    const sql_ident *vis = t->alias.len ? &t->alias : &t->name;
    for (u32 i = 0; i < c->ntab; i++) {
        const sql_ident *o = c->tabs[i].alias.len ? &c->tabs[i].alias : &c->tabs[i].name;
        if (ident_eq(o, vis->ptr, vis->len))
            return plan_errf(c, off, LC_EINVAL, "Duplicate name `%.*s`", (int)vis->len, vis->ptr);
    }
    t->offs = lc_arena_alloc(c->arena, sizeof(u32) * (t->rt->elem_count + 1));
    if (!t->offs) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    c->ntab++;
    return 0;
}

static int col_find(plan_ctx *c, u16 slot, const sql_ident *col, u32 off, u16 *out_col)
{
    const lc_type *rt = c->tabs[slot].rt;
    for (u32 i = 0; i < rt->elem_count; i++) {
        const char *n = rt->elems[i].name;
        if (n && ident_eq(col, n, strlen(n))) {
            *out_col = (u16)i;
            return 0;
        }
    }
    const sql_ident *tn = c->tabs[slot].alias.len ? &c->tabs[slot].alias : &c->tabs[slot].name;
    return plan_errf(c, off, LC_ENOTFOUND, "`%.*s` does not have a field `%.*s`", (int)tn->len,
                     tn->ptr, (int)col->len, col->ptr);
}

int plan_col_resolve(plan_ctx *c, const sql_col_ref *ref, u32 off, u16 *out_slot, u16 *out_col)
{
    if (!ref->table.len) {
        if (c->ntab != 1)
            return plan_errf(c, off, LC_EINVAL, "column `%.*s` must be qualified in a join",
                             (int)ref->col.len, ref->col.ptr);
        *out_slot = 0;
        return col_find(c, 0, &ref->col, off, out_col);
    }
    for (u32 i = 0; i < c->ntab; i++) {
        const sql_ident *n = c->tabs[i].alias.len ? &c->tabs[i].alias : &c->tabs[i].name;
        if (ident_eq(n, ref->table.ptr, ref->table.len)) {
            *out_slot = (u16)i;
            return col_find(c, (u16)i, &ref->col, off, out_col);
        }
    }
    return plan_errf(c, off, LC_ENOTFOUND, "`%.*s` is not in scope", (int)ref->table.len,
                     ref->table.ptr);
}

const lc_type *plan_col_type(const plan_ctx *c, u16 slot, u16 col)
{
    return c->tabs[slot].rt->elems[col].type;
}

const u8 *plan_col(plan_ctx *c, u16 slot, u16 col, u32 *out_len)
{
    plan_table *t = &c->tabs[slot];
    if (!t->has_offs) {
        u32 o = 0;
        for (u32 i = 0; i < t->rt->elem_count; i++) {
            t->offs[i] = o;
            o += (u32)lc_bsatn_size(t->rt->elems[i].type, t->row + o);
        }
        t->offs[t->rt->elem_count] = o;
        t->has_offs = true;
    }
    if (out_len) *out_len = t->offs[col + 1] - t->offs[col];
    return t->row + t->offs[col];
}

static plan_pred *pred_new(plan_ctx *c, plan_pred_kind k, u32 count)
{
    plan_pred *p = lc_arena_alloc(c->arena, sizeof *p);
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->kind = k;
    p->count = count;
    if (count) {
        p->items = lc_arena_alloc(c->arena, sizeof(plan_pred *) * count);
        if (!p->items) return NULL;
    }
    return p;
}

/* The result stays flat (an AND never holds an AND), so every conjunct is a top-level item
 * for index selection (scan_open) and for the subscription layer's search arguments. */
int plan_pred_and(plan_ctx *c, plan_pred *a, plan_pred *b, plan_pred **out)
{
    if (!a || !b) {
        *out = a ? a : b;
        return 0;
    }
    u32 na = a->kind == PP_AND ? a->count : 1, nb = b->kind == PP_AND ? b->count : 1;
    plan_pred *p = pred_new(c, PP_AND, na + nb);
    if (!p) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    for (u32 i = 0; i < na; i++) p->items[i] = a->kind == PP_AND ? a->items[i] : a;
    for (u32 i = 0; i < nb; i++) p->items[na + i] = b->kind == PP_AND ? b->items[i] : b;
    *out = p;
    return 0;
}

static sql_cmp_op op_flip(sql_cmp_op op)
{
    switch (op) {
    case SQL_CMP_LT: return SQL_CMP_GT;
    case SQL_CMP_LE: return SQL_CMP_GE;
    case SQL_CMP_GT: return SQL_CMP_LT;
    case SQL_CMP_GE: return SQL_CMP_LE;
    default: return op;
    }
}

static int type_mismatch(plan_ctx *c, u32 off, const lc_type *want, const lc_type *got)
{
    char a[96], b[96];
    lc_type_format(want, a, sizeof a);
    lc_type_format(got, b, sizeof b);
    return plan_errf(c, off, LC_ETYPE, "Unexpected type: (expected) %s != %s (inferred)", a, b);
}

/* Compiles col `op` other, where other is a literal, a parameter or a column. */
static int cmp_compile(plan_ctx *c, const sql_expr *col, sql_cmp_op op, const sql_expr *other,
                       u32 off, plan_pred *p)
{
    int rc = plan_col_resolve(c, &col->u.col, col->off, &p->slot, &p->col);
    if (rc) return rc;
    p->op = op;
    p->type = plan_col_type(c, p->slot, p->col);
    if (!sql_type_is_comparable(p->type)) {
        char ty[96];
        lc_type_format(p->type, ty, sizeof ty);
        return plan_errf(c, off, LC_ETYPE, "Comparison is not supported for type `%s`", ty);
    }
    if (other->kind == SQL_EXPR_COL) {
        p->kind = PP_CMP_COL;
        rc = plan_col_resolve(c, &other->u.col, other->off, &p->slot_b, &p->col_b);
        if (rc) return rc;
        const lc_type *tb = plan_col_type(c, p->slot_b, p->col_b);
        return lc_type_equal(p->type, tb) ? 0 : type_mismatch(c, other->off, p->type, tb);
    }
    p->kind = PP_CMP_LIT;
    if (other->kind == SQL_EXPR_PARAM) {
        if (!ident_eq(&other->u.param, "sender", 6) || !c->opts || !c->opts->caller_id)
            return plan_errf(c, other->off, LC_ENOTSUP, "unknown parameter `:%.*s`",
                             (int)other->u.param.len, other->u.param.ptr);
        if (p->type->special != LC_TS_IDENTITY)
            return plan_errf(c, other->off, LC_ETYPE, ":sender is an Identity");
        p->lit = c->opts->caller_id;
        c->uses_sender = true;
        return 0;
    }
    lc_buf b;
    lc_buf_init(&b);
    rc = sql_lit_encode(p->type, &other->u.lit, &b, c->eb);
    if (rc == 0) {
        p->lit = lc_arena_memdup(c->arena, b.data, b.len);
        if (!p->lit) rc = lc_errf(c->eb, LC_ENOMEM, "out of memory");
    } else if (rc != LC_ENOMEM) {
        rc = plan_errf(c, other->off, rc, "%s", c->eb ? c->eb->msg : "bad literal");
    }
    lc_buf_deinit(&b);
    return rc;
}

int plan_pred_compile(plan_ctx *c, const sql_expr *e, plan_pred **out)
{
    switch (e->kind) {
    case SQL_EXPR_CMP: {
        const sql_expr *l = e->u.cmp.lhs, *r = e->u.cmp.rhs;
        plan_pred *p = pred_new(c, PP_CMP_LIT, 0);
        if (!p) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
        *out = p;
        if (l->kind == SQL_EXPR_COL) return cmp_compile(c, l, e->u.cmp.op, r, e->off, p);
        if (r->kind == SQL_EXPR_COL) return cmp_compile(c, r, op_flip(e->u.cmp.op), l, e->off, p);
        return plan_errf(c, e->off, LC_ETYPE, "Cannot resolve type for literal expression");
    }
    case SQL_EXPR_AND:
    case SQL_EXPR_OR:
    case SQL_EXPR_NOT: {
        u32 n = e->kind == SQL_EXPR_NOT ? 1 : e->u.list.count;
        plan_pred *p = pred_new(c, e->kind == SQL_EXPR_AND ? PP_AND
                                       : e->kind == SQL_EXPR_OR ? PP_OR : PP_NOT, n);
        if (!p) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
        for (u32 i = 0; i < n; i++) {
            const sql_expr *sub = e->kind == SQL_EXPR_NOT ? e->u.operand : e->u.list.items[i];
            int rc = plan_pred_compile(c, sub, &p->items[i]);
            if (rc) return rc;
        }
        *out = p;
        return 0;
    }
    case SQL_EXPR_COL: {
        plan_pred *p = pred_new(c, PP_CMP_LIT, 0);
        if (!p) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
        int rc = plan_col_resolve(c, &e->u.col, e->off, &p->slot, &p->col);
        if (rc) return rc;
        p->type = plan_col_type(c, p->slot, p->col);
        if (p->type->kind != LC_T_BOOL) return type_mismatch(c, e->off, lc_type_prim(LC_T_BOOL), p->type);
        static const u8 one = 1;
        p->op = SQL_CMP_EQ;
        p->lit = &one;
        *out = p;
        return 0;
    }
    default:
        return plan_errf(c, e->off, LC_ETYPE, "Cannot resolve type for literal expression");
    }
}

static bool cmp_holds(sql_cmp_op op, int r)
{
    switch (op) {
    case SQL_CMP_EQ: return r == 0;
    case SQL_CMP_NE: return r != 0;
    case SQL_CMP_LT: return r < 0;
    case SQL_CMP_LE: return r <= 0;
    case SQL_CMP_GT: return r > 0;
    default: return r >= 0;
    }
}

static bool pred_eval(plan_ctx *c, const plan_pred *p)
{
    switch (p->kind) {
    case PP_CMP_LIT:
        return cmp_holds(p->op, lc_bsatn_cmp(p->type, plan_col(c, p->slot, p->col, NULL), p->lit));
    case PP_CMP_COL:
        return cmp_holds(p->op, lc_bsatn_cmp(p->type, plan_col(c, p->slot, p->col, NULL),
                                             plan_col(c, p->slot_b, p->col_b, NULL)));
    case PP_AND:
        for (u32 i = 0; i < p->count; i++)
            if (!pred_eval(c, p->items[i])) return false;
        return true;
    case PP_OR:
        for (u32 i = 0; i < p->count; i++)
            if (pred_eval(c, p->items[i])) return true;
        return false;
    default: return !pred_eval(c, p->items[0]);
    }
}

bool plan_pred_eval(plan_ctx *c, const plan_pred *p)
{
    return pred_eval(c, p);
}

/* st_table rows start: table_id u32, table_name string, table_type u8, table_access u8
 * (StAccess: 0 public, 1 private). Read from the catalog rows so sql/ needs nothing new
 * from store/; called once per table reference of a restricted caller. */
bool plan_table_is_public(store_txn *txn, u32 table_id)
{
    store_iter it;
    if (store_scan(txn, STORE_ST_TABLE, &it) != 0) return false;
    const u8 *row;
    u32 len;
    bool found = false, is_public = false;
    while (!found && store_iter_next(&it, &row, &len)) {
        lc_rd r;
        lc_rd_init(&r, row, len);
        if (lc_rd_u32(&r) != table_id) continue;
        (void)lc_rd_take(&r, lc_rd_u32(&r));
        lc_rd_u8(&r);
        u8 access = lc_rd_u8(&r);
        found = true;
        is_public = !r.err && access == 0;
    }
    store_iter_close(&it);
    return is_public;
}

bool sql_table_is_public(store_txn *txn, u32 table_id)
{
    return plan_table_is_public(txn, table_id);
}

u32 plan_index_lookup(store_txn *txn, u32 table_id, u16 col, bool need_btree)
{
    store_iter it;
    if (store_scan(txn, STORE_ST_INDEX, &it) != 0) return 0;
    const u8 *row;
    u32 len, found = 0;
    while (!found && store_iter_next(&it, &row, &len)) {
        if (len < 8 || lc_load_u32(row + 4) != table_id) continue;
        store_index_info info;
        u32 id = lc_load_u32(row);
        if (store_index_info_get(txn, id, &info) != 0) continue;
        if (info.col_count == 1 && info.cols[0] == col &&
            (!need_btree || info.algo == STORE_INDEX_BTREE))
            found = id;
    }
    store_iter_close(&it);
    return found;
}

/* index_find_uncached, remembered per slot (the inner side of a join asks once per outer row). */
static u32 index_find(plan_ctx *c, u16 slot, u16 col, bool need_btree)
{
    plan_table *t = &c->tabs[slot];
    if (t->ix_col != (i32)col || t->ix_btree != need_btree) {
        t->ix_id = plan_index_lookup(c->txn, t->id, col, need_btree);
        t->ix_col = col;
        t->ix_btree = need_btree;
    }
    return t->ix_id;
}

/* Index candidates among the top-level conjuncts for slot `slot`. */
static bool pred_is_eq_for(const plan_pred *p, u16 slot)
{
    if (p->op != SQL_CMP_EQ) return false;
    if (p->kind == PP_CMP_LIT) return p->slot == slot;
    return p->kind == PP_CMP_COL && ((p->slot == slot && p->slot_b < slot) ||
                                     (p->slot_b == slot && p->slot < slot));
}

static int scan_eq(plan_ctx *c, u16 slot, const plan_pred *p, store_iter *it, bool *done)
{
    u16 col = p->kind == PP_CMP_LIT || p->slot == slot ? p->col : p->col_b;
    u32 ix = index_find(c, slot, col, false);
    if (!ix) return 0;
    const u8 *key = p->lit;
    u32 klen;
    if (p->kind == PP_CMP_COL) {
        key = p->slot == slot ? plan_col(c, p->slot_b, p->col_b, &klen)
                              : plan_col(c, p->slot, p->col, &klen);
    } else {
        klen = (u32)lc_bsatn_size(p->type, p->lit);
    }
    *done = true;
    return store_index_point(c->txn, ix, key, klen, it);
}

static bool is_bound_for(const plan_pred *p, u16 slot, bool lower)
{
    if (p->kind != PP_CMP_LIT || p->slot != slot) return false;
    return lower ? (p->op == SQL_CMP_GT || p->op == SQL_CMP_GE)
                 : (p->op == SQL_CMP_LT || p->op == SQL_CMP_LE);
}

/* Appends a BSATN Bound for p (NULL: Unbounded). */
static void bound_put(lc_buf *b, const plan_pred *p)
{
    if (!p) {
        lc_buf_put_u8(b, 2);
        return;
    }
    lc_buf_put_u8(b, p->op == SQL_CMP_LE || p->op == SQL_CMP_GE ? 0 : 1);
    lc_buf_put(b, p->lit, lc_bsatn_size(p->type, p->lit));
}

/* Range scan for bound `p`, narrowed by an opposite bound on the same column among the
 * conjuncts items[0..n) when there is one. */
static int scan_range(plan_ctx *c, u16 slot, const plan_pred *p, plan_pred *const *items,
                      u32 n, store_iter *it, bool *done)
{
    bool lower = is_bound_for(p, slot, true);
    if (!lower && !is_bound_for(p, slot, false)) return 0;
    u32 ix = index_find(c, slot, p->col, true);
    if (!ix) return 0;
    const plan_pred *other = NULL;
    for (u32 i = 0; i < n && !other; i++)
        if (is_bound_for(items[i], slot, !lower) && items[i]->col == p->col) other = items[i];
    lc_buf lo, hi;
    lc_buf_init(&lo);
    lc_buf_init(&hi);
    bound_put(&lo, lower ? p : other);
    bound_put(&hi, lower ? other : p);
    int rc = lo.err ? lo.err : hi.err;
    if (!rc) rc = store_index_range(c->txn, ix, NULL, 0, 0, lo.data, lo.len, hi.data, hi.len, it);
    lc_buf_deinit(&lo);
    lc_buf_deinit(&hi);
    *done = rc == 0;
    return rc;
}

/* Opens the best iterator for `slot` given the rows already bound in earlier slots. */
static int scan_open(plan_ctx *c, u16 slot, store_iter *it)
{
    const plan_pred *w = c->where;
    u32 n = w ? (w->kind == PP_AND ? w->count : 1) : 0;
    bool done = false;
    for (int pass = 0; pass < 2; pass++) {
        for (u32 i = 0; i < n && !done; i++) {
            const plan_pred *p = w->kind == PP_AND ? w->items[i] : w;
            if (p->kind != PP_CMP_LIT && p->kind != PP_CMP_COL) continue;
            plan_pred *const *items = w->kind == PP_AND ? w->items : &c->where;
            int rc = pass == 0 ? (pred_is_eq_for(p, slot) ? scan_eq(c, slot, p, it, &done) : 0)
                               : scan_range(c, slot, p, items, n, it, &done);
            if (rc) return lc_errf(c->eb, rc, "index scan failed: %s", lc_strerror(rc));
        }
    }
    if (done) return 0;
    int rc = store_scan(c->txn, c->tabs[slot].id, it);
    return rc ? lc_errf(c->eb, rc, "scan failed: %s", lc_strerror(rc)) : 0;
}

static int run_slot(plan_ctx *c, u16 slot)
{
    if (slot == c->ntab) {
        if (c->where && !pred_eval(c, c->where)) return 0;
        return c->on_match(c, c->arg);
    }
    store_iter it;
    int rc = scan_open(c, slot, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    while (rc == 0 && store_iter_next(&it, &row, &len)) {
        c->tabs[slot].row = row;
        c->tabs[slot].has_offs = false;
        rc = run_slot(c, (u16)(slot + 1));
    }
    store_iter_close(&it);
    return rc;
}

int plan_run(plan_ctx *c)
{
    int rc = run_slot(c, 0);
    return rc == PLAN_STOP ? 0 : rc;
}
