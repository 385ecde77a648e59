/*
 * sql/exec.c — statement drivers for SQL over the store (sql_exec, sql_exec_stmt).
 *
 * Supported:
 *   SELECT *, t.*, column lists with AS aliases, COUNT(*) AS n; FROM one table or any number
 *   of joined tables (INNER JOIN ... ON a.x = b.y, JOIN without ON, CROSS JOIN, comma joins)
 *   evaluated as nested loops with index point lookups for equalities (index nested-loop
 *   join) and index range scans for literal bounds (see plan.c); WHERE with = <> != < <= > >=
 *   between columns, literals and :sender, AND, OR, NOT; LIMIT; our extensions ORDER BY
 *   (ASC/DESC, several keys, any column of the FROM tables) and OFFSET; a per-query row limit
 *   (sql_exec_opts.row_limit: more result rows than that fails with LC_ELIMIT).
 *   INSERT (column list must have as many names as the table has columns; values are matched
 *   positionally in table order, as SpacetimeDB does), UPDATE (collect, delete all, re-insert
 *   all), DELETE, SET row_limit = n (a plain insert into st_var, so changing an existing value
 *   fails on st_var's unique name, as in SpacetimeDB) and SHOW row_limit (rewritten to
 *   SELECT value FROM st_var WHERE name = 'row_limit'). DML runs in one write transaction that
 *   is rolled back on any error (including an error from the sink).
 * Authorisation: zeroed options are the owner's view. opts.restricted (a client) hides
 *   private tables (the "no such table" error), refuses DML and SET with LC_EPERM, and
 *   applies the row-level-security rules opts.rls_sql (rls.c) to every table they name.
 * Not supported / differences: SELECT * with joins is rejected (as in SpacetimeDB); no
 *   views; the owner's exemption from row_limit is the caller's business (it sets it); the row limit is checked on the rows produced (not an
 *   estimate), so rows streamed before the limit is hit have already reached the sink;
 *   literals for Uuid, sums, products and non-byte arrays are rejected; integer literals for
 *   256-bit columns are limited to 128-bit magnitudes. With ORDER BY the rows are collected
 *   in memory first.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sql/plan.h"

#define EXEC_ARENA_MAX (64u << 20)

typedef struct proj_col {
    u16 slot, col;
} proj_col;

typedef struct sel_state {
    const sql_select *sel;
    const sql_sink *sink;
    proj_col *proj;
    u32 nproj;
    proj_col *order;
    u32 norder;
    u64 skip, emitted, count;
    lc_buf row;  /* scratch for one projected row */
    lc_buf keep; /* ORDER BY: records [u32 len][keys][row] */
    int err;
} sel_state;

static void proj_put(plan_ctx *c, const proj_col *pc, u32 n, lc_buf *out)
{
    for (u32 i = 0; i < n; i++) {
        u32 len;
        const u8 *p = plan_col(c, pc[i].slot, pc[i].col, &len);
        lc_buf_put(out, p, len);
    }
}

static int row_emit(plan_ctx *c, sel_state *st, const u8 *row, u32 len)
{
    const sql_select *sel = st->sel;
    if (st->skip) {
        st->skip--;
        return 0;
    }
    if (sel->has_limit && st->emitted >= sel->limit) return PLAN_STOP;
    u64 lim = c->opts ? c->opts->row_limit : 0;
    if (lim && st->emitted >= lim)
        return lc_errf(c->eb, LC_ELIMIT, "query rejected: more than %llu rows (row_limit)",
                       (unsigned long long)lim);
    st->emitted++;
    if (st->sink && st->sink->on_row) return st->sink->on_row(st->sink->ctx, row, len);
    return 0;
}

static int sel_match(plan_ctx *c, void *arg)
{
    sel_state *st = arg;
    if (st->sel->proj == SQL_PROJ_COUNT) {
        st->count++;
        return 0;
    }
    if (st->norder) {
        size_t at = st->keep.len;
        lc_buf_put_u32(&st->keep, 0);
        proj_put(c, st->order, st->norder, &st->keep);
        proj_put(c, st->proj, st->nproj, &st->keep);
        if (st->keep.err) return lc_errf(c->eb, st->keep.err, "out of memory");
        lc_store_u32(st->keep.data + at, (u32)(st->keep.len - at - 4));
        return 0;
    }
    lc_buf_reset(&st->row);
    proj_put(c, st->proj, st->nproj, &st->row);
    if (st->row.err) return lc_errf(c->eb, st->row.err, "out of memory");
    return row_emit(c, st, st->row.data, (u32)st->row.len);
}

typedef struct sort_ctx {
    const u8 *base;
    const lc_type **types;
    const bool *desc;
    u32 n;
} sort_ctx;

static int sort_cmp(const void *a, const void *b, void *arg)
{
    const sort_ctx *s = arg;
    const u8 *pa = s->base + *(const u32 *)a + 4, *pb = s->base + *(const u32 *)b + 4;
    for (u32 i = 0; i < s->n; i++) {
        int r = lc_bsatn_cmp(s->types[i], pa, pb);
        if (r) return s->desc[i] ? -r : r;
        pa += lc_bsatn_size(s->types[i], pa);
        pb += lc_bsatn_size(s->types[i], pb);
    }
    return *(const u32 *)a < *(const u32 *)b ? -1 : 1; /* stable */
}

/* ORDER BY: sorts the collected records and emits them through offset/limit. */
static int sel_flush_sorted(plan_ctx *c, sel_state *st)
{
    u32 n = 0;
    for (size_t at = 0; at < st->keep.len; at += 4 + lc_load_u32(st->keep.data + at)) n++;
    u32 *idx = n ? lc_alloc(sizeof(u32) * n) : NULL;
    const lc_type **types = lc_arena_alloc(c->arena, sizeof(lc_type *) * st->norder);
    bool *desc = lc_arena_alloc(c->arena, st->norder);
    if ((n && !idx) || !types || !desc) {
        lc_free(idx);
        return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    }
    n = 0;
    for (size_t at = 0; at < st->keep.len; at += 4 + lc_load_u32(st->keep.data + at))
        idx[n++] = (u32)at;
    for (u32 i = 0; i < st->norder; i++) {
        types[i] = plan_col_type(c, st->order[i].slot, st->order[i].col);
        desc[i] = st->sel->order[i].is_desc;
    }
    sort_ctx sc = {st->keep.data, types, desc, st->norder};
    if (n) qsort_r(idx, n, sizeof(u32), sort_cmp, &sc);
    int rc = 0;
    for (u32 i = 0; i < n && rc == 0; i++) {
        const u8 *rec = st->keep.data + idx[i];
        u32 len = lc_load_u32(rec), klen = 0;
        for (u32 k = 0; k < st->norder; k++)
            klen += (u32)lc_bsatn_size(types[k], rec + 4 + klen);
        rc = row_emit(c, st, rec + 4 + klen, len - klen);
    }
    lc_free(idx);
    return rc == PLAN_STOP ? 0 : rc;
}

static int col_list_add(plan_ctx *c, sel_state *st, u16 slot, sql_result_col *out)
{
    const lc_type *rt = c->tabs[slot].rt;
    for (u32 i = 0; i < rt->elem_count; i++) {
        st->proj[st->nproj] = (proj_col){slot, (u16)i};
        out[st->nproj++] = (sql_result_col){rt->elems[i].name ? rt->elems[i].name : "", rt->elems[i].type};
    }
    return 0;
}

static char *ident_dup(plan_ctx *c, const sql_ident *id)
{
    char *s = lc_arena_alloc(c->arena, id->len + 1u);
    if (s) {
        memcpy(s, id->ptr, id->len);
        s[id->len] = 0;
    }
    return s;
}

/* Binds the projection; fills cols (capacity nproj_cap). */
static int sel_bind_proj(plan_ctx *c, sel_state *st, sql_result_col *cols)
{
    const sql_select *sel = st->sel;
    if (sel->proj == SQL_PROJ_STAR) {
        if (c->ntab != 1)
            return plan_errf(c, sel->from[0].off, LC_ENOTSUP, "SELECT * is not supported for joins");
        return col_list_add(c, st, 0, cols);
    }
    if (sel->proj == SQL_PROJ_TABLE_STAR) {
        for (u16 slot = 0; slot < c->ntab; slot++) {
            const sql_ident *n = c->tabs[slot].alias.len ? &c->tabs[slot].alias : &c->tabs[slot].name;
            if (n->len == sel->star_table.len && !memcmp(n->ptr, sel->star_table.ptr, n->len))
                return col_list_add(c, st, slot, cols);
        }
        return plan_errf(c, sel->star_table.off, LC_ENOTFOUND, "`%.*s` is not in scope",
                         (int)sel->star_table.len, sel->star_table.ptr);
    }
    for (u32 i = 0; i < sel->col_count; i++) {
        const sql_proj_col *pc = &sel->cols[i];
        proj_col *p = &st->proj[st->nproj];
        int rc = plan_col_resolve(c, &pc->col, pc->off, &p->slot, &p->col);
        if (rc) return rc;
        char *name = ident_dup(c, pc->alias.len ? &pc->alias : &pc->col.col);
        if (!name) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
        cols[st->nproj++] = (sql_result_col){name, plan_col_type(c, p->slot, p->col)};
    }
    return 0;
}

/* Binds FROM (tables, ON conditions) and WHERE into c. */
static int bind_from_where(plan_ctx *c, const sql_select *sel)
{
    for (u32 i = 0; i < sel->from_count; i++) {
        const sql_from_item *f = &sel->from[i];
        int rc = plan_table_add(c, &f->table, &f->alias, f->off);
        if (rc) return rc;
    }
    plan_pred *all = NULL;
    for (u32 i = 0; i < sel->from_count; i++) {
        if (!sel->from[i].on) continue;
        plan_pred *p;
        int rc = plan_pred_compile(c, sel->from[i].on, &p);
        if (!rc) rc = plan_pred_and(c, all, p, &all);
        if (rc) return rc;
    }
    if (sel->where) {
        plan_pred *p;
        int rc = plan_pred_compile(c, sel->where, &p);
        if (!rc) rc = plan_pred_and(c, all, p, &all);
        if (rc) return rc;
    }
    c->where = all;
    return plan_rls_apply(c);
}

static int sel_bind(plan_ctx *c, sel_state *st, sql_result_col **out_cols)
{
    const sql_select *sel = st->sel;
    int rc = bind_from_where(c, sel);
    if (rc) return rc;
    u32 cap = sel->col_count;
    for (u32 i = 0; i < c->ntab; i++) cap += c->tabs[i].rt->elem_count;
    st->proj = lc_arena_alloc(c->arena, sizeof(proj_col) * (cap + 1));
    st->order = lc_arena_alloc(c->arena, sizeof(proj_col) * (sel->order_count + 1));
    *out_cols = lc_arena_alloc(c->arena, sizeof(sql_result_col) * (cap + 1));
    if (!st->proj || !st->order || !*out_cols) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    for (u32 i = 0; i < sel->order_count; i++) {
        const sql_order_item *o = &sel->order[i];
        proj_col *p = &st->order[st->norder++];
        rc = plan_col_resolve(c, &o->col, o->off, &p->slot, &p->col);
        if (rc) return rc;
    }
    if (sel->proj == SQL_PROJ_COUNT) {
        char *name = ident_dup(c, &sel->count_alias);
        if (!name) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
        (*out_cols)[0] = (sql_result_col){name, lc_type_prim(LC_T_U64)};
        st->nproj = 1;
        return 0;
    }
    return sel_bind_proj(c, st, *out_cols);
}

static int run_select(plan_ctx *c, const sql_select *sel, const sql_sink *sink)
{
    sel_state st;
    memset(&st, 0, sizeof st);
    st.sel = sel;
    st.sink = sink;
    st.skip = sel->has_offset ? sel->offset : 0;
    lc_buf_init(&st.row);
    lc_buf_init(&st.keep);
    sql_result_col *cols;
    int rc = sel_bind(c, &st, &cols);
    if (!rc && sink && sink->on_columns) rc = sink->on_columns(sink->ctx, cols, st.nproj);
    if (!rc) {
        c->on_match = sel_match;
        c->arg = &st;
        rc = (sel->has_limit && sel->limit == 0 && sel->proj != SQL_PROJ_COUNT) ? 0 : plan_run(c);
    }
    if (!rc && st.norder && sel->proj != SQL_PROJ_COUNT) rc = sel_flush_sorted(c, &st);
    if (!rc && sel->proj == SQL_PROJ_COUNT) {
        u8 b[8];
        lc_store_u64(b, st.count);
        /* COUNT gives one row; LIMIT 0 or an OFFSET past it removes it. */
        rc = row_emit(c, &st, b, 8);
        rc = rc == PLAN_STOP ? 0 : rc;
    }
    lc_buf_deinit(&st.row);
    lc_buf_deinit(&st.keep);
    return rc;
}

/* ---- DML ---- */

static int collect_match(plan_ctx *c, void *arg)
{
    lc_buf *b = arg;
    const u8 *row = plan_col(c, 0, 0, NULL); /* computes the offsets */
    u32 len = c->tabs[0].offs[c->tabs[0].rt->elem_count];
    lc_buf_put_u32(b, len);
    lc_buf_put(b, row, len);
    return b->err ? lc_errf(c->eb, b->err, "out of memory") : 0;
}

/* Binds one table and an optional WHERE, and collects the matching rows into rows. */
static int dml_collect(plan_ctx *c, const sql_ident *table, const sql_expr *where, lc_buf *rows)
{
    int rc = plan_table_add(c, table, NULL, table->off);
    if (!rc && where) rc = plan_pred_compile(c, where, &c->where);
    if (rc) return rc;
    if (c->tabs[0].rt->elem_count == 0) return 0;
    c->on_match = collect_match;
    c->arg = rows;
    return plan_run(c);
}

static int write_err(plan_ctx *c, int rc, const char *what)
{
    const sql_ident *t = &c->tabs[0].name;
    if (rc == LC_EUNIQUE)
        return lc_errf(c->eb, rc, "Unique constraint violation in table `%.*s`", (int)t->len, t->ptr);
    return lc_errf(c->eb, rc, "%s `%.*s` failed: %s", what, (int)t->len, t->ptr, lc_strerror(rc));
}

static int run_delete(plan_ctx *c, const sql_delete *d, sql_exec_stats *stats)
{
    lc_buf rows;
    lc_buf_init(&rows);
    int rc = dml_collect(c, &d->table, d->where, &rows);
    for (size_t at = 0; rc == 0 && at < rows.len;) {
        u32 len = lc_load_u32(rows.data + at);
        bool deleted = false;
        rc = store_delete_row(c->txn, c->tabs[0].id, rows.data + at + 4, len, &deleted);
        if (rc) rc = write_err(c, rc, "delete from");
        stats->rows_deleted += deleted;
        at += 4 + len;
    }
    lc_buf_deinit(&rows);
    return rc;
}

/* Encodes the SET list: vals[col] = BSATN bytes or NULL when unchanged. */
static int update_bind(plan_ctx *c, const sql_update *u, const u8 **vals)
{
    lc_buf b;
    lc_buf_init(&b);
    int rc = 0;
    for (u32 i = 0; i < u->set_count && rc == 0; i++) {
        sql_col_ref ref = {{0}, u->sets[i].col};
        u16 slot, col;
        rc = plan_col_resolve(c, &ref, u->sets[i].col.off, &slot, &col);
        if (rc) break;
        lc_buf_reset(&b);
        rc = sql_lit_encode(plan_col_type(c, 0, col), &u->sets[i].value, &b, c->eb);
        if (rc && rc != LC_ENOMEM)
            rc = plan_errf(c, u->sets[i].value.off, rc, "%s", c->eb ? c->eb->msg : "bad literal");
        if (!rc && !(vals[col] = lc_arena_memdup(c->arena, b.data, b.len)))
            rc = lc_errf(c->eb, LC_ENOMEM, "out of memory");
    }
    lc_buf_deinit(&b);
    return rc;
}

static int update_apply(plan_ctx *c, lc_buf *rows, const u8 **vals, sql_exec_stats *stats)
{
    const lc_type *rt = c->tabs[0].rt;
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < rows->len; at += 4 + lc_load_u32(rows->data + at)) {
        rc = store_delete_row(c->txn, c->tabs[0].id, rows->data + at + 4,
                              lc_load_u32(rows->data + at), NULL);
        if (rc) return write_err(c, rc, "update of");
    }
    lc_buf nr;
    lc_buf_init(&nr);
    for (size_t at = 0; rc == 0 && at < rows->len; at += 4 + lc_load_u32(rows->data + at)) {
        const u8 *p = rows->data + at + 4;
        lc_buf_reset(&nr);
        for (u32 i = 0; i < rt->elem_count; i++) {
            size_t n = lc_bsatn_size(rt->elems[i].type, p);
            if (vals[i]) lc_buf_put(&nr, vals[i], lc_bsatn_size(rt->elems[i].type, vals[i]));
            else lc_buf_put(&nr, p, n);
            p += n;
        }
        rc = nr.err ? lc_errf(c->eb, nr.err, "out of memory")
                    : store_insert(c->txn, c->tabs[0].id, nr.data, nr.len, NULL, NULL);
        if (rc) rc = write_err(c, rc, "update of");
        stats->rows_updated++;
    }
    lc_buf_deinit(&nr);
    return rc;
}

static int run_update(plan_ctx *c, const sql_update *u, sql_exec_stats *stats)
{
    lc_buf rows;
    lc_buf_init(&rows);
    int rc = plan_table_add(c, &u->table, NULL, u->table.off);
    const u8 **vals = NULL;
    if (!rc) {
        u32 n = c->tabs[0].rt->elem_count;
        vals = lc_arena_alloc(c->arena, sizeof(u8 *) * (n + 1));
        if (!vals) rc = lc_errf(c->eb, LC_ENOMEM, "out of memory");
        else memset(vals, 0, sizeof(u8 *) * (n + 1));
    }
    if (!rc) rc = update_bind(c, u, vals);
    c->ntab = 0;
    if (!rc) rc = dml_collect(c, &u->table, u->where, &rows);
    if (!rc) rc = update_apply(c, &rows, vals, stats);
    lc_buf_deinit(&rows);
    return rc;
}

static int run_insert(plan_ctx *c, const sql_insert *ins, sql_exec_stats *stats)
{
    int rc = plan_table_add(c, &ins->table, NULL, ins->table.off);
    if (rc) return rc;
    const lc_type *rt = c->tabs[0].rt;
    if (ins->col_count != rt->elem_count || ins->row_width != rt->elem_count)
        return plan_errf(c, ins->table.off, LC_EINVAL,
                         "INSERT must name all %u columns of `%.*s` and give a value for each",
                         rt->elem_count, (int)ins->table.len, ins->table.ptr);
    lc_buf row;
    lc_buf_init(&row);
    for (u32 r = 0; r < ins->row_count && rc == 0; r++) {
        lc_buf_reset(&row);
        for (u32 i = 0; i < rt->elem_count && rc == 0; i++) {
            const sql_lit *lit = &ins->values[(size_t)r * ins->row_width + i];
            rc = sql_lit_encode(rt->elems[i].type, lit, &row, c->eb);
            if (rc && rc != LC_ENOMEM)
                rc = plan_errf(c, lit->off, rc, "%s", c->eb ? c->eb->msg : "bad literal");
        }
        bool existed = false;
        if (!rc && row.err) rc = lc_errf(c->eb, row.err, "out of memory");
        if (!rc && (rc = store_insert(c->txn, c->tabs[0].id, row.data, row.len, NULL, &existed)))
            rc = write_err(c, rc, "insert into");
        if (!rc && !existed) stats->rows_inserted++;
    }
    lc_buf_deinit(&row);
    return rc;
}

/* ---- SET / SHOW row_limit ---- */

static int var_check(plan_ctx *c, const sql_ident *var)
{
    if (var->len == 9 && !memcmp(var->ptr, "row_limit", 9)) return 0;
    return plan_errf(c, var->off, LC_ENOTSUP, "Unsupported variable `%.*s`: only row_limit",
                     (int)var->len, var->ptr);
}

static int run_set(plan_ctx *c, const sql_stmt *st, sql_exec_stats *stats)
{
    int rc = var_check(c, &st->u.set.var);
    if (rc) return rc;
    lc_buf row;
    lc_buf_init(&row);
    lc_buf_put_u32(&row, 9);
    lc_buf_put(&row, "row_limit", 9);
    lc_buf_put_u8(&row, 8); /* StVarValue::U64 */
    rc = sql_lit_encode(lc_type_prim(LC_T_U64), &st->u.set.value, &row, c->eb);
    if (rc && rc != LC_ENOMEM)
        rc = plan_errf(c, st->u.set.value.off, rc, "%s", c->eb ? c->eb->msg : "bad literal");
    bool existed = false;
    if (!rc && row.err) rc = lc_errf(c->eb, row.err, "out of memory");
    if (!rc) rc = store_insert(c->txn, STORE_ST_VAR, row.data, row.len, NULL, &existed);
    if (rc == LC_EUNIQUE)
        rc = lc_errf(c->eb, rc, "Unique constraint violation in table `st_var`");
    else if (!rc && !existed)
        stats->rows_inserted++;
    lc_buf_deinit(&row);
    return rc;
}

static const char SHOW_SQL[] = "SELECT value FROM st_var WHERE name = 'row_limit'";

/* ---- entry points ---- */

static int exec_write(store *s, const sql_stmt *st, plan_ctx *c, sql_exec_stats *stats)
{
    store_txn txn;
    store_txn_begin(&txn, s);
    c->txn = &txn;
    int rc;
    switch (st->kind) {
    case SQL_STMT_INSERT: rc = run_insert(c, &st->u.insert, stats); break;
    case SQL_STMT_UPDATE: rc = run_update(c, &st->u.update, stats); break;
    case SQL_STMT_DELETE: rc = run_delete(c, &st->u.del, stats); break;
    default: rc = run_set(c, st, stats); break;
    }
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    if (c->opts && c->opts->commit) return c->opts->commit(c->opts->commit_user, &txn, c->eb);
    rc = store_txn_commit(&txn, NULL);
    return rc ? lc_errf(c->eb, rc, "commit failed: %s", lc_strerror(rc)) : 0;
}

/* SpacetimeDB: only the owner may write with SQL; the identity is shown as big-endian hex. */
static int dml_refuse(const sql_exec_opts *opts, lc_errbuf *eb)
{
    char hex[65] = "anonymous";
    if (opts->caller_id) {
        for (u32 i = 0; i < 32; i++) {
            static const char dig[] = "0123456789abcdef";
            hex[2 * i] = dig[opts->caller_id[31 - i] >> 4];
            hex[2 * i + 1] = dig[opts->caller_id[31 - i] & 15];
        }
        hex[64] = 0;
    }
    return lc_errf(eb, LC_EPERM, "Caller %s is not authorized to run SQL DML statements", hex);
}

int sql_exec_stmt(store *s, const sql_stmt *st, const char *sql, size_t len,
                  const sql_exec_opts *opts, const sql_sink *sink, sql_exec_stats *stats,
                  lc_errbuf *eb)
{
    sql_exec_stats dummy;
    if (!stats) stats = &dummy;
    memset(stats, 0, sizeof *stats);
    lc_arena arena;
    lc_arena_init(&arena, EXEC_ARENA_MAX);
    plan_ctx c;
    memset(&c, 0, sizeof c);
    c.arena = &arena;
    c.sql = sql;
    c.sql_len = len;
    c.opts = opts;
    c.eb = eb;
    int rc;
    if (st->kind == SQL_STMT_SELECT) {
        store_txn txn;
        store_read_begin(&txn, s);
        c.txn = &txn;
        rc = run_select(&c, &st->u.select, sink);
        store_read_end(&txn);
    } else if (opts && opts->restricted && st->kind != SQL_STMT_SHOW) {
        rc = dml_refuse(opts, eb);
    } else if (st->kind == SQL_STMT_SHOW) {
        rc = var_check(&c, &st->u.show);
        if (!rc) rc = sql_exec(s, SHOW_SQL, sizeof SHOW_SQL - 1, opts, sink, stats, eb);
    } else {
        rc = exec_write(s, st, &c, stats);
    }
    lc_arena_deinit(&arena);
    return rc;
}

int sql_exec(store *s, const char *sql, size_t len, const sql_exec_opts *opts,
             const sql_sink *sink, sql_exec_stats *stats, lc_errbuf *eb)
{
    lc_arena arena;
    lc_arena_init(&arena, EXEC_ARENA_MAX);
    sql_stmt *st;
    int rc = sql_parse(sql, len, &arena, &st, eb);
    if (!rc) rc = sql_exec_stmt(s, st, sql, len, opts, sink, stats, eb);
    lc_arena_deinit(&arena);
    return rc;
}
