/*
 * bench/bench_sub_eval.c — per-commit cost of subscription evaluation in process (sub/).
 *
 *   make MODE=release build/release/bench_sub_eval && build/release/bench_sub_eval [subs]
 *
 * 1. Pruning: `subs` distinct queries `SELECT * FROM t WHERE id = <i>` (default 10,000) on
 *    t(id U32 pk, k U32 btree, v I32) with 100,000 rows; each commit updates one row. Time per
 *    commit of sub_registry_eval_commit (the search-argument index picks the one query whose
 *    constant matches) against the baseline measured in the same run: every query of the
 *    table matched against the TxData (sub_query_eval_commit over all of them), which is what
 *    by-table pruning alone does.
 * 2. Join: `SELECT t.* FROM t JOIN u ON t.k = u.k WHERE u.g = 1` with u(id U32 pk, k U32
 *    btree, g U32) 10,000 rows; each commit updates one t row and one u row. Time per commit
 *    of the incremental join delta against the baseline of re-evaluating the query fully (index
 *    nested-loop join) after the commit, as a server without join deltas would.
 * 3. Join edges: `subs` queries `SELECT t.* FROM t JOIN u ON t.k = u.k WHERE u.id = <i>`; each
 *    commit updates one t row. sub_registry_eval_tx (the edge probes u's index once per changed
 *    row and finds the one query whose u row joins it) against evaluating every join query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "sub/sub.h"

#define T_ROWS 100000u
#define U_ROWS 10000u

static volatile u64 sink_bytes;

static int on_row(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)ctx;
    (void)q;
    (void)row;
    sink_bytes += len;
    return 0;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "%s: %s\n", what, lc_strerror(rc));
    exit(1);
}

static void mk_tables(store *s, u32 *t, u32 *u)
{
    const lc_type *u32t = lc_type_prim(LC_T_U32);
    store_column_def ct[] = {{"id", u32t}, {"k", u32t}, {"v", lc_type_prim(LC_T_I32)}};
    store_column_def cu[] = {{"id", u32t}, {"k", u32t}, {"g", u32t}};
    static const u16 c1 = 1;
    store_index_def ix[] = {{NULL, STORE_INDEX_BTREE, false, 1, &c1}};
    store_table_def dt = {.name = "t", .is_public = true, .pk_col = 0, .col_count = 3,
                          .cols = ct, .index_count = 1, .indexes = ix};
    store_table_def du = {.name = "u", .is_public = true, .pk_col = 0, .col_count = 3,
                          .cols = cu, .index_count = 1, .indexes = ix};
    store_txn txn;
    store_txn_begin(&txn, s);
    lc_errbuf eb;
    int rc = store_table_create(&txn, &dt, t, &eb);
    if (!rc) rc = store_table_create(&txn, &du, u, &eb);
    u8 row[12];
    for (u32 i = 0; i < T_ROWS && !rc; i++) {
        lc_store_u32(row, i);
        lc_store_u32(row + 4, i % U_ROWS);
        lc_store_u32(row + 8, 0);
        rc = store_insert(&txn, *t, row, 12, NULL, NULL);
    }
    for (u32 i = 0; i < U_ROWS && !rc; i++) {
        lc_store_u32(row, i);
        lc_store_u32(row + 4, i);
        lc_store_u32(row + 8, i % 100);
        rc = store_insert(&txn, *u, row, 12, NULL, NULL);
    }
    if (rc) die("load", rc);
    if ((rc = store_txn_commit(&txn, NULL))) die("commit", rc);
}

static u32 tv[T_ROWS], ug[U_ROWS];

static void row3(u8 *row, u32 a, u32 b, u32 c)
{
    lc_store_u32(row, a);
    lc_store_u32(row + 4, b);
    lc_store_u32(row + 8, c);
}

/* One transaction: t row `ti` gets a new v; when ui < U_ROWS, u row `ui` toggles g 1 <-> 2. */
static const store_txdata *commit_update(store *s, u32 t, u32 u, u32 ti, u32 ui)
{
    store_txn txn;
    store_txn_begin(&txn, s);
    u8 row[12];
    row3(row, ti, ti % U_ROWS, tv[ti]);
    int rc = store_delete_row(&txn, t, row, 12, NULL);
    row3(row, ti, ti % U_ROWS, ++tv[ti]);
    if (!rc) rc = store_insert(&txn, t, row, 12, NULL, NULL);
    if (!rc && ui < U_ROWS) {
        row3(row, ui, ui, ug[ui]);
        rc = store_delete_row(&txn, u, row, 12, NULL);
        ug[ui] = ug[ui] == 1 ? 2 : 1;
        row3(row, ui, ui, ug[ui]);
        if (!rc) rc = store_insert(&txn, u, row, 12, NULL, NULL);
    }
    const store_txdata *td;
    if (rc) die("update", rc);
    if ((rc = store_txn_commit(&txn, &td))) die("commit", rc);
    return td;
}

static sub_query *acquire(sub_registry *r, store *s, const char *sql)
{
    store_txn txn;
    store_read_begin(&txn, s);
    sub_query *q;
    lc_errbuf eb;
    int rc = sub_query_acquire(r, &txn, sql, strlen(sql), NULL, &q, &eb);
    store_read_end(&txn);
    if (rc) {
        fprintf(stderr, "%s: %s\n", sql, eb.msg);
        exit(1);
    }
    return q;
}

static void bench_pruning(store *s, u32 t, u32 u, u32 nsubs)
{
    sub_registry *r;
    if (sub_registry_create(&r)) die("registry", LC_ENOMEM);
    sub_query **qs = calloc(nsubs, sizeof *qs);
    char sql[80];
    for (u32 i = 0; i < nsubs; i++) {
        snprintf(sql, sizeof sql, "SELECT * FROM t WHERE id = %u", (i * 7u) % T_ROWS);
        qs[i] = acquire(r, s, sql);
    }
    sub_delta_sink sink = {on_row, on_row, NULL};
    u32 iters = 2000, base_iters = 200;
    u64 t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) {
        const store_txdata *td = commit_update(s, t, u, (i * 7u) % T_ROWS, U_ROWS);
        if (sub_registry_eval_tx(r, td, &sink)) die("eval", LC_EINVAL);
    }
    double pruned = (double)(lc_now_ns() - t0) / iters;
    t0 = lc_now_ns();
    for (u32 i = 0; i < base_iters; i++) {
        const store_txdata *td = commit_update(s, t, u, (i * 7u) % T_ROWS, U_ROWS);
        for (u32 k = 0; k < nsubs; k++)
            if (sub_query_eval_tx(qs[k], td, &sink)) die("eval", LC_EINVAL);
    }
    double base = (double)(lc_now_ns() - t0) / base_iters;
    printf("pruning, %u subscribers `id = c`, 1-row commit (commit included)\n", nsubs);
    printf("  every query of the table (baseline) %10.0f ns/commit  1.00x\n", base);
    printf("  search-argument index               %10.0f ns/commit  %.4fx\n", pruned,
           pruned / base);
    for (u32 i = 0; i < nsubs; i++) sub_query_release(r, qs[i]);
    free(qs);
    sub_registry_destroy(r);
}

typedef struct full_ctx {
    u64 n;
} full_ctx;

static int count_row(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    (void)row;
    (void)len;
    ((full_ctx *)ctx)->n++;
    return 0;
}

static void bench_join(store *s, u32 t, u32 u)
{
    sub_registry *r;
    if (sub_registry_create(&r)) die("registry", LC_ENOMEM);
    sub_query *q = acquire(r, s, "SELECT t.* FROM t JOIN u ON t.k = u.k WHERE u.g = 1");
    sub_delta_sink sink = {on_row, on_row, NULL};
    u32 iters = 2000, base_iters = 50;
    u64 t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) {
        const store_txdata *td = commit_update(s, t, u, (i * 7919u) % T_ROWS, (i * 13u) % U_ROWS);
        if (sub_registry_eval_tx(r, td, &sink)) die("eval", LC_EINVAL);
    }
    double inc = (double)(lc_now_ns() - t0) / iters;
    full_ctx fc = {0};
    t0 = lc_now_ns();
    for (u32 i = 0; i < base_iters; i++) {
        commit_update(s, t, u, (i * 7919u) % T_ROWS, (i * 13u) % U_ROWS);
        store_txn txn;
        store_read_begin(&txn, s);
        if (sub_query_eval_initial(q, &txn, count_row, &fc)) die("initial", LC_EINVAL);
        store_read_end(&txn);
    }
    double full = (double)(lc_now_ns() - t0) / base_iters;
    printf("join t(100k) x u(10k) on indexed k, WHERE u.g = 1 (%llu rows), 2-row commit\n",
           (unsigned long long)(fc.n / base_iters));
    printf("  full re-evaluation (baseline)       %10.0f ns/commit  1.00x\n", full);
    printf("  incremental delta (8 fragments)     %10.0f ns/commit  %.5fx\n", inc, inc / full);
    sub_query_release(r, q);
    sub_registry_destroy(r);
}

/* 3. Join edges: `subs` queries `SELECT t.* FROM t JOIN u ON t.k = u.k WHERE u.id = <i>` (one
 * per client, say); a commit updating one t row reaches only the query whose u row joins it. */
static void bench_edges(store *s, u32 t, u32 u, u32 nsubs)
{
    sub_registry *r;
    if (sub_registry_create(&r)) die("registry", LC_ENOMEM);
    sub_query **qs = calloc(nsubs, sizeof *qs);
    char sql[96];
    for (u32 i = 0; i < nsubs; i++) {
        snprintf(sql, sizeof sql, "SELECT t.* FROM t JOIN u ON t.k = u.k WHERE u.id = %u",
                 i % U_ROWS);
        qs[i] = acquire(r, s, sql);
    }
    sub_delta_sink sink = {on_row, on_row, NULL};
    u32 iters = 2000, base_iters = 100;
    u64 t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) {
        const store_txdata *td = commit_update(s, t, u, (i * 7919u) % T_ROWS, U_ROWS);
        if (sub_registry_eval_tx(r, td, &sink)) die("eval", LC_EINVAL);
    }
    double pruned = (double)(lc_now_ns() - t0) / iters;
    t0 = lc_now_ns();
    for (u32 i = 0; i < base_iters; i++) {
        const store_txdata *td = commit_update(s, t, u, (i * 7919u) % T_ROWS, U_ROWS);
        store_txn txn;
        store_read_begin(&txn, s);
        for (u32 k = 0; k < nsubs; k++)
            if (sub_query_eval_commit(qs[k], &txn, td, &sink)) die("eval", LC_EINVAL);
        store_read_end(&txn);
    }
    double base = (double)(lc_now_ns() - t0) / base_iters;
    printf("join edges, %u subscribers `... JOIN u ... WHERE u.id = c`, 1-row commit of t\n",
           nsubs);
    printf("  every join query of t (baseline)    %10.0f ns/commit  1.00x\n", base);
    printf("  join-edge index                     %10.0f ns/commit  %.4fx\n", pruned,
           pruned / base);
    for (u32 i = 0; i < nsubs; i++) sub_query_release(r, qs[i]);
    free(qs);
    sub_registry_destroy(r);
}

int main(int argc, char **argv)
{
    u32 nsubs = argc > 1 ? (u32)strtoul(argv[1], NULL, 10) : 10000;
    store *s;
    if (store_create(&s)) die("store", LC_ENOMEM);
    u32 t, u;
    mk_tables(s, &t, &u);
    for (u32 i = 0; i < U_ROWS; i++) ug[i] = i % 100;
    bench_pruning(s, t, u, nsubs);
    bench_join(s, t, u);
    bench_edges(s, t, u, nsubs);
    store_destroy(s);
    return 0;
}
