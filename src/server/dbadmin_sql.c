/*
 * server/dbadmin_sql.c — POST /v1/database/:name/sql (spec-client-protocol.md §3.3).
 *
 * Body = one SQL statement. Response 200:
 *   [{"schema":{"elements":[...]},"rows":[[...],...],"total_duration_micros":N,
 *     "stats":{"rows_inserted":N,"rows_deleted":N,"rows_updated":N}}]
 * rows rendered untyped (lc_bsatn_to_json: products as arrays), schema as the bare
 * ProductType (lc_product_type_to_json) so a client can format the cells. SQL errors -> 400
 * with the message. Authorization: the owner may run anything; another caller may run only
 * SELECT over public module tables (a write, SET/SHOW, a private table or an st_* system
 * table -> 403), and sql_exec runs it restricted (row-level security rules applied).
 * A write statement commits through host_db_commit_external, so it is logged to the commit
 * log (durable, replayed on restart) like a reducer's transaction. Results over
 * SERVER_SQL_ROWS_MAX rows fail with 400 rather than build an unbounded response.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/clock.h"
#include "host/db.h"
#include "sql/sql_exec.h"
#include "server/dbadmin.h"

/* An HTTP SQL result is built in memory: bound it. */
#define SERVER_SQL_ROWS_MAX 1000000u

typedef struct sql_out {
    lc_typespace ts;
    const lc_type *row;
    lc_buf schema;
    lc_buf rows;
    u64 count;
} sql_out;

static int on_columns(void *ctx, const sql_result_col *cols, u32 count)
{
    sql_out *o = ctx;
    lc_type_elem *el = lc_calloc(count ? count : 1, sizeof *el);
    if (!el) return LC_ENOMEM;
    for (u32 i = 0; i < count; i++) el[i] = (lc_type_elem){cols[i].name, cols[i].type};
    o->row = lc_type_product(&o->ts, count, el);
    lc_free(el);
    if (!o->row) return LC_ENOMEM;
    lc_buf_reset(&o->schema);
    return lc_product_type_to_json(o->row, &o->schema);
}

static int on_row(void *ctx, const u8 *row, u32 len)
{
    sql_out *o = ctx;
    if (!o->row) return LC_ESTATE;
    if (o->count) lc_buf_put_u8(&o->rows, ',');
    o->count++;
    lc_rd r;
    lc_rd_init(&r, row, len);
    return lc_bsatn_to_json(o->row, &r, &o->rows);
}

/* Non-owner check: only SELECT over public tables of the module. */
static int sql_allowed(host_db *db, const sql_stmt *st, lc_errbuf *eb)
{
    if (st->kind != SQL_STMT_SELECT)
        return lc_errf(eb, LC_EPERM, "Only the database owner can run SQL other than SELECT");
    const host_moddef *def = host_module_def(host_db_module(db));
    for (u32 i = 0; i < st->u.select.from_count; i++) {
        const sql_ident *t = &st->u.select.from[i].table;
        const host_table_def *td = host_moddef_table(def, t->ptr, t->len);
        if (!td || !td->is_public)
            return lc_errf(eb, LC_EPERM, "Table `%.*s` is private or a system table; only the "
                           "database owner can read it", (int)t->len, t->ptr);
    }
    return 0;
}

static void sql_reply(dbjob *j, const sql_out *o, const sql_exec_stats *stats, i64 us)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put(&b, "[{\"schema\":", 11);
    if (o->schema.len) lc_buf_put(&b, o->schema.data, o->schema.len);
    else lc_buf_put(&b, "{\"elements\":[]}", 15);
    lc_buf_put(&b, ",\"rows\":[", 9);
    lc_buf_put(&b, o->rows.data, o->rows.len);
    char tail[256];
    int n = snprintf(tail, sizeof tail,
                     "],\"total_duration_micros\":%lld,\"stats\":{\"rows_inserted\":%llu,"
                     "\"rows_deleted\":%llu,\"rows_updated\":%llu}}]", (long long)us,
                     (unsigned long long)stats->rows_inserted,
                     (unsigned long long)stats->rows_deleted,
                     (unsigned long long)stats->rows_updated);
    lc_buf_put(&b, tail, (size_t)n);
    char dur[32];
    snprintf(dur, sizeof dur, "%lld", (long long)us);
    net_http_header h = {"spacetime-execution-duration-micros", 35, dur, strlen(dur)};
    if (b.err || o->rows.err || o->schema.err)
        net_http_write_response(&j->out, 500, "text/plain", "out of memory", 13, j->keep_alive,
                                NULL, 0);
    else
        net_http_write_response(&j->out, 200, "application/json", b.data, b.len, j->keep_alive,
                                &h, 1);
    lc_buf_deinit(&b);
}

/* `SELECT * FROM v` on a view v: the view run now for the caller (sender views see their
 * own rows). 1: not a view query (run it as SQL); 0 done; else an error in eb. */
static int view_sql(host_db *db, const dbjob *j, const sql_stmt *st, sql_out *o, lc_errbuf *eb)
{
    if (st->kind != SQL_STMT_SELECT) return 1;
    const sql_select *sel = &st->u.select;
    if (sel->proj != SQL_PROJ_STAR || sel->from_count != 1 || sel->where || sel->has_limit ||
        sel->order_count)
        return 1;
    i32 vid = host_db_view_id(db, sel->from[0].table.ptr, sel->from[0].table.len);
    if (vid < 0) return 1;
    const host_view_def *v = &host_module_def(host_db_module(db))->views[vid];
    host_view_result res;
    lc_buf_init(&res.rows);
    lc_buf_init(&res.sql);
    host_outcome out;
    int rc = host_db_call_view(db, (u32)vid, j->identity, &res, &out, eb);
    if (!rc && out.kind != HOST_OUTCOME_COMMITTED)
        rc = lc_errf(eb, LC_EINVAL, "view %s failed: %.*s", v->name, (int)out.message_len,
                     out.message);
    if (!rc && res.sql.len) { /* a query-builder view: its SQL, with the owner's rights */
        lc_arena arena;
        lc_arena_init(&arena, 0);
        sql_stmt *vst = NULL;
        sql_exec_opts opts = {.row_limit = SERVER_SQL_ROWS_MAX, .caller_id = j->identity};
        sql_sink sink = {on_columns, on_row, o};
        sql_exec_stats stats = {0};
        const char *txt = (const char *)res.sql.data;
        rc = sql_parse(txt, res.sql.len, &arena, &vst, eb);
        if (!rc && vst->kind != SQL_STMT_SELECT)
            rc = lc_errf(eb, LC_EPERM, "view %s: its SQL is not a SELECT", v->name);
        if (!rc) rc = sql_exec_stmt(host_db_store(db), vst, txt, res.sql.len, &opts, &sink,
                                    &stats, eb);
        lc_arena_deinit(&arena);
        lc_buf_deinit(&res.rows);
        lc_buf_deinit(&res.sql);
        return rc;
    }
    lc_buf_deinit(&res.sql);
    o->row = host_view_row_type(v);
    if (!rc && !o->row) rc = lc_errf(eb, LC_ENOTSUP, "view %s has no row type", v->name);
    if (!rc) rc = lc_product_type_to_json(o->row, &o->schema);
    lc_rd r;
    lc_rd_init(&r, res.rows.data, res.rows.len);
    u32 n = rc ? 0 : lc_rd_u32(&r);
    for (u32 i = 0; !rc && i < n && !r.err; i++) {
        if (o->count++) lc_buf_put_u8(&o->rows, ',');
        rc = lc_bsatn_to_json(o->row, &r, &o->rows);
    }
    lc_buf_deinit(&res.rows);
    return rc;
}

void dbadmin_sql(dbwork *w, dbjob *j, host_db *db, bool is_owner)
{
    (void)w;
    const char *sql = (const char *)j->in;
    size_t len = j->in_len;
    lc_errbuf eb;
    lc_arena arena;
    lc_arena_init(&arena, 0);
    sql_stmt *st = NULL;
    sql_out o;
    memset(&o, 0, sizeof o);
    lc_typespace_init(&o.ts);
    lc_buf_init(&o.schema);
    lc_buf_init(&o.rows);
    sql_exec_stats stats = {0};
    i64 t0 = lc_now_micros();
    int rc = sql_parse(sql, len, &arena, &st, &eb);
    int vrc = rc ? 1 : view_sql(db, j, st, &o, &eb);
    if (vrc != 1) rc = vrc; /* a view: answered (or failed) */
    if (!rc && vrc == 1 && !is_owner && sql_allowed(db, st, &eb)) rc = LC_EPERM;
    if (!rc && vrc == 1) {
        const host_moddef *def = host_module_def(host_db_module(db));
        sql_exec_opts opts = {.row_limit = SERVER_SQL_ROWS_MAX, .caller_id = j->identity,
                              .commit = host_db_commit_external, .commit_user = db,
                              .restricted = !is_owner, .rls_sql = def->rls_sql,
                              .rls_count = def->rls_count};
        sql_sink sink = {on_columns, on_row, &o};
        rc = sql_exec_stmt(host_db_store(db), st, sql, len, &opts, &sink, &stats, &eb);
    }
    if (rc == LC_EPERM && !is_owner) {
        net_http_write_response(&j->out, 403, "text/plain; charset=utf-8", eb.msg,
                                strlen(eb.msg), j->keep_alive, NULL, 0);
    } else if (rc) {
        net_http_write_response(&j->out, rc == LC_ENOMEM || rc == LC_EIO ? 500 : 400,
                                "text/plain; charset=utf-8", eb.msg, strlen(eb.msg),
                                j->keep_alive, NULL, 0);
    } else {
        sql_reply(j, &o, &stats, lc_now_micros() - t0);
        j->ok = true;
    }
    lc_buf_deinit(&o.rows);
    lc_buf_deinit(&o.schema);
    lc_typespace_deinit(&o.ts);
    lc_arena_deinit(&arena);
}
