/*
 * sql/rls.c — row-level security ("client visibility filters", spec-engine-semantics §6.3)
 * for restricted (non-owner) callers of sql_exec and of the subscription filters.
 *
 * Design: SpacetimeDB replaces every reference to a table in a client's query by the union
 * of that table's rules. Our rules are single-table `SELECT * | t.* FROM t [WHERE p]`, so that
 * union is the table filtered by (p1 OR p2 OR ...): each rule's WHERE is compiled in a
 * one-table scratch context over the same table, its column references are re-pointed at
 * the slot the table occupies in the query, and the OR is ANDed into the query's predicate.
 * A rule without WHERE makes its table fully visible. A row satisfying several rules is
 * visible once (set semantics, not SpacetimeDB's per-rule fragments). Rules are parsed again
 * for each compiled query: there are few, and the query's arena owns the result.
 */
#include <string.h>

#include "sql/plan.h"

/* Points every column reference of p (compiled over slot 0) at `slot`. */
static void pred_reslot(plan_pred *p, u16 slot)
{
    if (p->kind == PP_CMP_LIT || p->kind == PP_CMP_COL) {
        p->slot = slot;
        p->slot_b = slot;
        return;
    }
    for (u32 i = 0; i < p->count; i++) pred_reslot(p->items[i], slot);
}

/* Parses rule `i` and resolves its table; *out_sel NULL when it is over no known table. */
static int rule_parse(plan_ctx *c, u32 i, sql_select **out_sel, u32 *out_table)
{
    const char *txt = c->opts->rls_sql[i];
    int rc = sql_parse_subscription(txt, strlen(txt), 0, c->arena, out_sel, c->eb);
    if (rc) return rc == LC_ENOMEM ? rc : lc_errf(c->eb, rc, "row-level security rule: %s",
                                                  c->eb ? c->eb->msg : "invalid");
    const sql_select *sel = *out_sel;
    if (sel->from_count != 1)
        return lc_errf(c->eb, LC_ENOTSUP,
                       "row-level security rules with joins are not supported: %s", txt);
    if (store_table_id_from_name(c->txn, sel->from[0].table.ptr, sel->from[0].table.len,
                                 out_table) != 0)
        *out_sel = NULL;
    return 0;
}

/* Compiles rule `sel` (text txt) for query slot `slot`; *out NULL means "always true". */
static int rule_compile(plan_ctx *c, const sql_select *sel, const char *txt, u16 slot,
                        plan_pred **out)
{
    *out = NULL;
    sql_exec_opts ropts = *c->opts;
    ropts.restricted = false; /* the rule's own table was checked at publish */
    plan_ctx rc_;
    memset(&rc_, 0, sizeof rc_);
    rc_.txn = c->txn;
    rc_.arena = c->arena;
    rc_.sql = txt;
    rc_.sql_len = strlen(txt);
    rc_.opts = &ropts;
    rc_.eb = c->eb;
    const sql_from_item *fi = &sel->from[0];
    int rc = plan_table_add(&rc_, &fi->table, &fi->alias, fi->off);
    if (!rc && sel->where) rc = plan_pred_compile(&rc_, sel->where, out);
    if (rc) return rc;
    if (rc_.uses_sender) c->uses_sender = true;
    if (*out) pred_reslot(*out, slot);
    return 0;
}

/* The OR of the rules of slot's table (NULL: unrestricted); *out_any: some rule names it. */
static int slot_rules(plan_ctx *c, u16 slot, plan_pred **out, bool *out_any)
{
    u32 table_id = c->tabs[slot].id;
    *out = NULL;
    *out_any = false;
    plan_pred **items = lc_arena_alloc(c->arena, sizeof *items * c->opts->rls_count);
    if (!items) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    u32 n = 0;
    bool always = false;
    for (u32 i = 0; i < c->opts->rls_count; i++) {
        sql_select *sel;
        u32 tid;
        int rc = rule_parse(c, i, &sel, &tid);
        if (rc) return rc;
        if (!sel || tid != table_id) continue;
        *out_any = true;
        plan_pred *p;
        rc = rule_compile(c, sel, c->opts->rls_sql[i], slot, &p);
        if (rc) return rc;
        if (!p) always = true;
        else items[n++] = p;
    }
    if (always || n == 0) return 0;
    if (n == 1) {
        *out = items[0];
        return 0;
    }
    plan_pred *p = lc_arena_alloc(c->arena, sizeof *p);
    if (!p) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    memset(p, 0, sizeof *p);
    p->kind = PP_OR;
    p->items = items;
    p->count = n;
    *out = p;
    return 0;
}

int plan_rls_apply(plan_ctx *c)
{
    if (!c->opts || !c->opts->restricted || !c->opts->rls_count) return 0;
    for (u16 slot = 0; slot < c->ntab; slot++) {
        plan_pred *p;
        bool any;
        int rc = slot_rules(c, slot, &p, &any);
        if (!rc && p) rc = plan_pred_and(c, c->where, p, &c->where);
        if (rc) return rc;
        if (any) c->has_rls = true;
    }
    return 0;
}
