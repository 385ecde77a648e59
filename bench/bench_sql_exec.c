/*
 * bench/bench_sql_exec.c — SQL execution cost over the in-memory store.
 *
 *   make MODE=release build/release/bench_sql_exec && build/release/bench_sql_exec [rows]
 *
 * Table t(id U32 primary key, k U32 btree index, v U32 no index), `rows` rows (default
 * 100,000), v == k == id. Measures, in the same run: a point query through the primary key
 * index (parse + resolve + lookup + one row), the same predicate on the unindexed column
 * (full scan: the baseline), a range query through the btree index returning 100 rows, and a
 * full-table COUNT(*) (rows/s). Prints ns/query and the ratio of each to the full scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "sql/sql_exec.h"

static volatile u64 sink_rows;

static int on_row(void *ctx, const u8 *row, u32 len)
{
    (void)ctx;
    sink_rows += len;
    return 0;
}

static double per_query(store *s, const char *fmt, u32 rows, u32 iters)
{
    sql_sink sink = {NULL, on_row, NULL};
    char sql[160];
    u64 t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) {
        snprintf(sql, sizeof sql, fmt, (i * 7919u) % rows, (i * 7919u) % rows + 100);
        lc_errbuf eb;
        if (sql_exec(s, sql, strlen(sql), NULL, &sink, NULL, &eb)) {
            fprintf(stderr, "%s: %s\n", sql, eb.msg);
            exit(1);
        }
    }
    return (double)(lc_now_ns() - t0) / iters;
}

static void fill(store *s, u32 rows)
{
    store_column_def cols[] = {{"id", lc_type_prim(LC_T_U32)}, {"k", lc_type_prim(LC_T_U32)},
                               {"v", lc_type_prim(LC_T_U32)}};
    static const u16 c1 = 1;
    store_index_def ix = {NULL, STORE_INDEX_BTREE, false, 1, &c1};
    store_table_def def = {.name = "t", .is_public = true, .pk_col = 0, .col_count = 3,
                           .cols = cols, .index_count = 1, .indexes = &ix};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id;
    lc_errbuf eb;
    if (store_table_create(&txn, &def, &id, &eb)) exit(1);
    for (u32 i = 0; i < rows; i++) {
        u32 row[3] = {i, i, i};
        if (store_insert(&txn, id, (const u8 *)row, sizeof row, NULL, NULL)) exit(1);
    }
    if (store_txn_commit(&txn, NULL)) exit(1);
}

int main(int argc, char **argv)
{
    u32 rows = argc > 1 ? (u32)strtoul(argv[1], NULL, 10) : 100000;
    if (rows < 200) rows = 200;
    store *s;
    if (store_create(&s)) return 1;
    fill(s, rows);
    double scan = per_query(s, "SELECT * FROM t WHERE v = %u", rows, 50);
    double point = per_query(s, "SELECT * FROM t WHERE id = %u", rows, 200000);
    double range = per_query(s, "SELECT * FROM t WHERE k >= %u AND k < %u", rows, 20000);
    double count = per_query(s, "SELECT COUNT(*) AS n FROM t WHERE v >= %u OR v < %u", rows, 50);
    printf("rows=%u\n", rows);
    printf("full scan, v = x (baseline)     %12.0f ns/query  1.00x\n", scan);
    printf("pk point, id = x                %12.0f ns/query  %.5fx\n", point, point / scan);
    printf("btree range, 100 rows           %12.0f ns/query  %.5fx\n", range, range / scan);
    printf("COUNT(*) full scan, OR filter   %12.0f ns/query  %.2fx  (%.1f Mrows/s)\n", count,
           count / scan, rows / count * 1e3);
    store_destroy(s);
    return 0;
}
