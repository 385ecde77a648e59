/*
 * bench/bench_migrate.c — the cost of a republish that rebuilds a table (a column added with a
 * default: store_table_rebuild, the step host/migrate_apply.c runs for ADD_COLUMNS) next to
 * the baseline measured in the same run: inserting the same rows into a fresh table in one
 * transaction. Both include the commit and the TxData encoding the commit log would write, so
 * the ratio says how much a rebuild costs over writing the table once.
 *
 *   make MODE=release bench-migrate        (BENCH_MIGRATE_ROWS=rows, default 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "store/store.h"

static u64 cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static void must(int rc, const char *what)
{
    if (rc == 0) return;
    fprintf(stderr, "bench_migrate: %s failed: %s\n", what, lc_err_name(rc));
    exit(1);
}

/* account(id u32 primary key auto_inc, balance i64, owner string) with n rows; CPU ns of the
 * insert transaction (commit and TxData encoding included) in *out_ns. */
static store *fill(u32 n, u64 *out_ns, lc_buf *enc)
{
    store *s;
    must(store_create(&s), "store_create");
    store_column_def c[3] = {{"id", lc_type_prim(LC_T_U32)}, {"balance", lc_type_prim(LC_T_I64)},
                             {"owner", lc_type_prim(LC_T_STRING)}};
    store_sequence_def q = {.col_pos = 0};
    store_table_def d = {"account", true, 0, 3, c, 0, NULL, 1, &q};
    store_txn txn;
    u32 id = 0;
    store_txn_begin(&txn, s);
    must(store_table_create(&txn, &d, &id, NULL), "table_create");
    const store_txdata *td;
    must(store_txn_commit(&txn, &td), "commit");
    u64 t0 = cpu_ns();
    store_txn_begin(&txn, s);
    u8 row[4 + 8 + 4 + 6] = {0};
    lc_store_u32(row + 12, 6);
    for (u32 i = 0; i < n; i++) {
        lc_store_u64(row + 4, i);
        memcpy(row + 16, "user-", 5);
        row[21] = (u8)('a' + i % 26);
        must(store_insert(&txn, id, row, sizeof row, NULL, NULL), "insert");
    }
    must(store_txn_commit(&txn, &td), "commit");
    lc_buf_reset(enc);
    store_txdata_encode(td, NULL, enc);
    *out_ns = cpu_ns() - t0;
    return s;
}

int main(void)
{
    const char *env = getenv("BENCH_MIGRATE_ROWS");
    u32 n = env ? (u32)strtoul(env, NULL, 10) : 200000;
    if (n == 0) n = 1;
    lc_buf enc;
    lc_buf_init(&enc);
    u64 base_ns = 0;
    store *s = fill(n, &base_ns, &enc);
    size_t base_bytes = enc.len;
    store_column_def c[4] = {{"id", lc_type_prim(LC_T_U32)}, {"balance", lc_type_prim(LC_T_I64)},
                             {"owner", lc_type_prim(LC_T_STRING)},
                             {"limit_", lc_type_prim(LC_T_I64)}};
    u8 tail[8] = {7};
    store_txn txn;
    u32 id = 0;
    store_txn_begin(&txn, s);
    must(store_table_id_from_name(&txn, "account", 7, &id), "lookup");
    u64 t0 = cpu_ns();
    must(store_table_rebuild(&txn, id, 4, c, tail, sizeof tail, NULL, NULL), "rebuild");
    const store_txdata *td;
    must(store_txn_commit(&txn, &td), "commit");
    lc_buf_reset(&enc);
    store_txdata_encode(td, NULL, &enc);
    u64 rebuild_ns = cpu_ns() - t0;
    printf("rows %u\n", n);
    printf("baseline: insert + commit + encode   %8.1f ms  %6.1f ns/row  %zu log bytes\n",
           base_ns / 1e6, (double)base_ns / n, base_bytes);
    printf("rebuild (add column with default)    %8.1f ms  %6.1f ns/row  %zu log bytes\n",
           rebuild_ns / 1e6, (double)rebuild_ns / n, enc.len);
    printf("rebuild / baseline: %.2fx\n", (double)rebuild_ns / (double)base_ns);
    lc_buf_deinit(&enc);
    store_destroy(s);
    return 0;
}
