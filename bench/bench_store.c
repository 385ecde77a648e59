/*
 * bench/bench_store.c — the in-process transfer benchmark on accounts(id u32 pk, balance i64).
 *
 * Loads N accounts (default 100,000), prints memory per row (lc_alloc live bytes of the
 * table, its pk index and everything the store allocated for it), then runs transfers:
 *   begin; point-read a and b through the pk index; update a and b through the pk index;
 *   commit (TxData built); encode the Txdata into a log buffer.
 * A baseline in the same run performs the same reads, writes and log appends on a plain
 * array indexed by id (no store), to show the store's overhead.
 *
 * Then recovery: a snapshot taken after loading, plus the Txdata of `replay` more transfers
 * (default 1,000,000), loaded into a fresh store (snapshot decode + store_txdata_apply).
 *
 *   build/release/bench_store [transfers] [accounts] [replay]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "store/store.h"

/* CPU time of this thread: the machine is shared, so wall time alone overstates cost. */
static u64 cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

static double g_cpu_ns;

static u64 rng_state = 0x9e3779b97f4a7c15ull;
static u64 rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, lc_err_name(rc));
    exit(1);
}

static u32 setup(store *s, u32 accounts, u32 *out_pk)
{
    store_column_def cols[2] = {{"id", lc_type_prim(LC_T_U32)},
                                {"balance", lc_type_prim(LC_T_I64)}};
    store_table_def d = {.name = "accounts", .is_public = true, .pk_col = 0, .col_count = 2,
                         .cols = cols};
    store_txn txn;
    u32 tid;
    store_txn_begin(&txn, s);
    int rc = store_table_create(&txn, &d, &tid, NULL);
    if (!rc) rc = store_index_id_from_name(&txn, "accounts_id_idx_btree", 21, out_pk);
    if (!rc) rc = store_txn_commit(&txn, NULL);
    if (rc) die("create", rc);
    return tid;
}

static void load(store *s, u32 tid, u32 accounts)
{
    for (u32 base = 0; base < accounts; base += 1000) {
        store_txn txn;
        store_txn_begin(&txn, s);
        for (u32 i = base; i < base + 1000 && i < accounts; i++) {
            u8 row[12];
            lc_store_u32(row, i);
            lc_store_u64(row + 4, 1000000);
            int rc = store_insert(&txn, tid, row, 12, NULL, NULL);
            if (rc) die("insert", rc);
        }
        int rc = store_txn_commit(&txn, NULL);
        if (rc) die("commit", rc);
    }
}

static i64 read_bal(store_txn *txn, u32 pk, u32 id)
{
    u8 key[4];
    lc_store_u32(key, id);
    store_iter it;
    const u8 *r;
    u32 len;
    if (store_index_point(txn, pk, key, 4, &it) || !store_iter_next(&it, &r, &len)) return -1;
    return (i64)lc_load_u64(r + 4);
}

static void write_bal(store_txn *txn, u32 pk, u32 id, i64 bal)
{
    u8 row[12];
    lc_store_u32(row, id);
    lc_store_u64(row + 4, (u64)bal);
    int rc = store_update(txn, pk, row, 12, NULL);
    if (rc) die("update", rc);
}

static double run_store(store *s, u32 pk, u32 accounts, u64 n, lc_buf *log)
{
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    for (u64 i = 0; i < n; i++) {
        u32 a = (u32)(rng() % accounts), b = (u32)(rng() % accounts);
        if (a == b) b = (b + 1) % accounts;
        store_txn txn;
        store_txn_begin(&txn, s);
        i64 ba = read_bal(&txn, pk, a), bb = read_bal(&txn, pk, b);
        write_bal(&txn, pk, a, ba - 1);
        write_bal(&txn, pk, b, bb + 1);
        const store_txdata *td;
        int rc = store_txn_commit(&txn, &td);
        if (rc) die("commit", rc);
        if (log->len > (64u << 20)) lc_buf_reset(log);
        store_txdata_encode(td, NULL, log);
    }
    g_cpu_ns = (double)(cpu_ns() - c0) / (double)n;
    return (double)(lc_now_ns() - t0) / (double)n;
}

/* Runs n transfers recording each Txdata (length-prefixed) into rec. */
static void record_transfers(store *s, u32 pk, u32 accounts, u64 n, lc_buf *rec)
{
    for (u64 i = 0; i < n; i++) {
        u32 a = (u32)(rng() % accounts), b = (u32)(rng() % accounts);
        if (a == b) b = (b + 1) % accounts;
        store_txn txn;
        store_txn_begin(&txn, s);
        i64 ba = read_bal(&txn, pk, a), bb = read_bal(&txn, pk, b);
        write_bal(&txn, pk, a, ba - 1);
        write_bal(&txn, pk, b, bb + 1);
        const store_txdata *td;
        int rc = store_txn_commit(&txn, &td);
        if (rc) die("commit", rc);
        size_t at = rec->len;
        lc_buf_put_u32(rec, 0);
        store_txdata_encode(td, NULL, rec);
        if (rec->err) die("record", rec->err);
        lc_store_u32(rec->data + at, (u32)(rec->len - at - 4));
    }
}

static void run_recovery(store *s, u32 pk, u32 accounts, u64 n)
{
    lc_buf snap, rec;
    lc_buf_init(&snap);
    lc_buf_init(&rec);
    u64 first = store_next_tx_offset(s);
    if (store_snapshot_encode(s, &snap)) die("snapshot", snap.err);
    record_transfers(s, pk, accounts, n, &rec);
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    store *r;
    int rc = store_create(&r);
    if (!rc) rc = store_snapshot_decode(r, snap.data, snap.len, NULL);
    if (rc) die("snapshot decode", rc);
    u64 t1 = lc_now_ns();
    size_t off = 0;
    for (u64 i = 0; i < n; i++) {
        u32 len = lc_load_u32(rec.data + off);
        rc = store_txdata_apply(r, first + i, rec.data + off + 4, len, NULL);
        if (rc) die("replay", rc);
        off += 4 + (size_t)len;
    }
    u64 t2 = lc_now_ns(), c2 = cpu_ns();
    printf("recovery: snapshot of %u rows (%zu bytes) loaded in %.3f s; %llu transfers "
           "replayed in %.3f s (%.0f tx/s); total %.3f s wall, %.3f s CPU\n",
           accounts, snap.len, (double)(t1 - t0) / 1e9, (unsigned long long)n,
           (double)(t2 - t1) / 1e9, (double)n * 1e9 / (double)(t2 - t1),
           (double)(t2 - t0) / 1e9, (double)(c2 - c0) / 1e9);
    store_destroy(r);
    lc_buf_deinit(&snap);
    lc_buf_deinit(&rec);
}

typedef struct plain_acct {
    u32 id;
    i64 bal;
} plain_acct;

static void put_row(lc_buf *log, u32 id, i64 bal)
{
    lc_buf_put_u32(log, id);
    lc_buf_put_u64(log, (u64)bal);
}

static double run_plain(plain_acct *v, u32 accounts, u64 n, lc_buf *log)
{
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    for (u64 i = 0; i < n; i++) {
        u32 a = (u32)(rng() % accounts), b = (u32)(rng() % accounts);
        if (a == b) b = (b + 1) % accounts;
        i64 ba = v[a].bal, bb = v[b].bal;
        if (log->len > (64u << 20)) lc_buf_reset(log);
        lc_buf_put_u8(log, 0x20);
        put_row(log, a, ba);
        put_row(log, b, bb);
        v[a].bal = ba - 1;
        v[b].bal = bb + 1;
        put_row(log, a, ba - 1);
        put_row(log, b, bb + 1);
    }
    g_cpu_ns = (double)(cpu_ns() - c0) / (double)n;
    return (double)(lc_now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
    u64 n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    u32 accounts = argc > 2 ? (u32)strtoul(argv[2], NULL, 10) : 100000;
    u64 replay = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
    if (accounts < 2) accounts = 2;
    store *s;
    int rc = store_create(&s);
    if (rc) die("store_create", rc);
    u32 pk, tid = setup(s, accounts, &pk);
    lc_alloc_stats st0, st1;
    lc_alloc_get_stats(&st0);
    load(s, tid, accounts);
    lc_alloc_get_stats(&st1);
    double bpr = (double)(st1.live_bytes - st0.live_bytes) / accounts;
    lc_buf log;
    lc_buf_init(&log);
    run_store(s, pk, accounts, n / 10 + 1, &log); /* warm up */
    double ns = run_store(s, pk, accounts, n, &log), ns_cpu = g_cpu_ns;
    plain_acct *v = lc_calloc(accounts, sizeof *v);
    for (u32 i = 0; i < accounts; i++) v[i] = (plain_acct){i, 1000000};
    double base = run_plain(v, accounts, n, &log), base_cpu = g_cpu_ns;
    printf("accounts: %u rows, %llu transfers\n", accounts, (unsigned long long)n);
    printf("memory: %.1f bytes/row (lc_alloc live bytes: rows + pk index + table overhead; "
           "target <= 40, PostgreSQL ~67)\n", bpr);
    printf("store transfer: %.1f ns/transfer wall, %.0f transfers/s wall; "
           "%.1f ns CPU, %.0f transfers/s per CPU (target >= 2,000,000/s)\n",
           ns, 1e9 / ns, ns_cpu, 1e9 / ns_cpu);
    printf("baseline (plain array + same log bytes): %.1f ns wall, %.1f ns CPU per transfer\n",
           base, base_cpu);
    printf("overhead: store is %.1fx the baseline (CPU time)\n", ns_cpu / base_cpu);
    lc_free(v);
    lc_buf_deinit(&log);
    if (replay) run_recovery(s, pk, accounts, replay);
    store_destroy(s);
    return 0;
}
