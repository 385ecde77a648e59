/*
 * sql/filter.c — single-table row filters (sql_exec.h): the subscription layer's view of the
 * SQL binder. A filter is a plan_ctx with one bound table and its compiled WHERE predicate,
 * kept alive in its own arena so the same predicate evaluator that answers SELECT decides
 * whether a row belongs to a subscription (one semantics, one implementation).
 */
#include <string.h>

#include "base/alloc.h"
#include "sql/plan.h"

/* A subscription's WHERE is small (bounded by LC_SQL_SUB_TEXT_MAX); its bound form too. */
#define FILTER_ARENA_MAX (1u << 20)

struct sql_filter {
    lc_arena arena;
    plan_ctx c;
    sql_exec_opts opts;
    u8 caller_id[32];
};

static int filter_bind(sql_filter *f, const sql_select *sel)
{
    plan_ctx *c = &f->c;
    if (sel->from_count != 1)
        return plan_errf(c, sel->from[1].off, LC_ENOTSUP,
                         "subscription joins are not supported yet");
    if (sel->proj != SQL_PROJ_STAR && sel->proj != SQL_PROJ_TABLE_STAR)
        return plan_errf(c, 0, LC_ENOTSUP, "a subscription must select * or t.*");
    if (sel->has_limit || sel->order_count || sel->has_offset)
        return plan_errf(c, 0, LC_ENOTSUP, "LIMIT / ORDER BY / OFFSET in a subscription");
    const sql_from_item *fi = &sel->from[0];
    int rc = plan_table_add(c, &fi->table, &fi->alias, fi->off);
    if (rc) return rc;
    if (sel->proj == SQL_PROJ_TABLE_STAR) {
        const plan_table *t = &c->tabs[0];
        const sql_ident *vis = t->alias.len ? &t->alias : &t->name;
        if (vis->len != sel->star_table.len ||
            memcmp(vis->ptr, sel->star_table.ptr, vis->len) != 0)
            return plan_errf(c, sel->star_table.off, LC_ENOTFOUND, "`%.*s` is not in scope",
                             (int)sel->star_table.len, sel->star_table.ptr);
    }
    if (sel->where) return plan_pred_compile(c, sel->where, &c->where);
    return 0;
}

int sql_filter_compile(store_txn *txn, const sql_select *sel, const char *sql, size_t len,
                       const u8 *caller_id, sql_filter **out, lc_errbuf *eb)
{
    *out = NULL;
    sql_filter *f = lc_calloc(1, sizeof *f);
    if (!f) return lc_errf(eb, LC_ENOMEM, "out of memory");
    lc_arena_init(&f->arena, FILTER_ARENA_MAX);
    if (caller_id) {
        memcpy(f->caller_id, caller_id, 32);
        f->opts.caller_id = f->caller_id;
    }
    plan_ctx *c = &f->c;
    c->txn = txn;
    c->arena = &f->arena;
    c->sql = sql;
    c->sql_len = len;
    c->opts = &f->opts;
    c->eb = eb;
    int rc = filter_bind(f, sel);
    /* Nothing below may reach the transaction, the text or the error buffer again. */
    c->txn = NULL;
    c->sql = NULL;
    c->sql_len = 0;
    c->eb = NULL;
    if (rc) {
        sql_filter_destroy(f);
        return rc;
    }
    *out = f;
    return 0;
}

void sql_filter_destroy(sql_filter *f)
{
    if (!f) return;
    lc_arena_deinit(&f->arena);
    lc_free(f);
}

u32 sql_filter_table_id(const sql_filter *f)
{
    return f->c.tabs[0].id;
}

bool sql_filter_match(sql_filter *f, const u8 *row, u32 len)
{
    (void)len;
    if (!f->c.where) return true;
    f->c.tabs[0].row = row;
    f->c.tabs[0].has_offs = false;
    return plan_pred_eval(&f->c, f->c.where);
}
