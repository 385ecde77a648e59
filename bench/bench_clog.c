/*
 * bench/bench_clog.c — commit-log benchmarks: the machine's fdatasync rate (the baseline every
 * durable figure is relative to), raw group-commit throughput on opaque records, durable
 * transfers per second on accounts(id u32 pk, balance i64) with the real store, and recovery
 * of 1,000,000 rows + 1,000,000 logged transactions (snapshot load and replay separately).
 *
 *   make MODE=release bench && build/release/bench_clog [data-dir]
 *
 * Env: LC_BENCH_TRANSFERS (default 2,000,000), LC_BENCH_RECOVERY_ROWS (1,000,000),
 * LC_BENCH_RECOVERY_TXS (1,000,000). The data directory (default build/bench-clog-data) must
 * be on the real disk: on tmpfs fdatasync is free and the figures mean nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "clog/clog_store.h"

static u64 cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static u64 env_u64(const char *name, u64 dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static void fail(const char *what, const lc_errbuf *eb, int rc)
{
    fprintf(stderr, "bench_clog: %s: %s (%s)\n", what, eb ? eb->msg : "", lc_err_name(rc));
    exit(1);
}

static u64 rng_state = 88172645463325252ull;
static u32 rng32(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (u32)rng_state;
}

/* fdatasync after a small append, as a log does, for ~1 s. */
static double fdatasync_rate(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fsync-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail("open probe", NULL, LC_EIO);
    u8 buf[64] = {0};
    u64 n = 0, t0 = lc_now_ns();
    while (lc_now_ns() - t0 < 1000000000ull) {
        if (write(fd, buf, sizeof buf) != sizeof buf || fdatasync(fd) != 0)
            fail("probe write", NULL, LC_EIO);
        n++;
    }
    double s = (double)(lc_now_ns() - t0) / 1e9;
    close(fd);
    unlink(path);
    return (double)n / s;
}

/* Opaque 40-byte records (about a transfer's Txdata), appended as fast as possible. */
static void raw_log(const char *dir, u64 n, double fsync_rate)
{
    clog *l;
    lc_errbuf eb;
    int rc = clog_open(dir, NULL, &l, &eb);
    if (rc) fail("clog_open", &eb, rc);
    u8 p[40];
    memset(p, 7, sizeof p);
    u64 t0 = lc_now_ns();
    for (u64 i = 0; i < n; i++)
        if ((rc = clog_append(l, i, p, sizeof p, &eb))) fail("append", &eb, rc);
    u64 t1 = lc_now_ns();
    if ((rc = clog_wait_durable(l, n - 1, -1))) fail("wait", NULL, rc);
    u64 t2 = lc_now_ns();
    clog_stats st;
    clog_get_stats(l, &st);
    if ((rc = clog_close(l))) fail("close", NULL, rc);
    double s = (double)(t2 - t0) / 1e9;
    printf("raw log, 40-byte records:   %10.0f durable records/s  (appends alone %.0f/s; %llu "
           "syncs, %.0f records/sync; %.0fx the fdatasync rate)\n",
           (double)n / s, (double)n / ((double)(t1 - t0) / 1e9), (unsigned long long)st.syncs,
           (double)n / (double)(st.syncs ? st.syncs : 1), (double)n / s / fsync_rate);
}

typedef struct acc {
    u32 tid, pk;
} acc;

static int make_accounts(clog_store_db *db, u32 rows, acc *out, lc_errbuf *eb)
{
    store_txn t;
    store_txn_begin(&t, db->s);
    u16 c0 = 0;
    store_column_def cols[] = {{"id", lc_type_prim(LC_T_U32)},
                               {"balance", lc_type_prim(LC_T_I64)}};
    store_index_def ix = {"accounts_pk", STORE_INDEX_BTREE, true, 1, &c0};
    store_table_def def = {"accounts", true, 0, 2, cols, 1, &ix, 0, NULL};
    int rc = store_table_create(&t, &def, &out->tid, eb);
    if (!rc) rc = store_index_id_from_name(&t, "accounts_pk", 11, &out->pk);
    u64 off;
    bool logged;
    if (rc) {
        store_txn_abort(&t);
        return rc;
    }
    if ((rc = clog_store_commit(db, &t, NULL, &off, &logged, eb))) return rc;
    for (u32 base = 0; base < rows && !rc; base += 10000) { /* 10,000 rows per transaction */
        store_txn_begin(&t, db->s);
        for (u32 i = base; i < rows && i < base + 10000 && !rc; i++) {
            u8 row[12];
            lc_store_u32(row, i);
            lc_store_u64(row + 4, 1000000);
            rc = store_insert(&t, out->tid, row, 12, NULL, NULL);
        }
        if (rc) store_txn_abort(&t);
        else rc = clog_store_commit(db, &t, NULL, &off, &logged, eb);
    }
    return rc;
}

static int transfer(clog_store_db *db, const acc *a, u32 rows, bool log, lc_errbuf *eb)
{
    u32 from = rng32() % rows, to = rng32() % rows;
    if (to == from) to = (to + 1) % rows;
    store_txn t;
    store_txn_begin(&t, db->s);
    u32 ids[2] = {from, to};
    i64 bal[2] = {0, 0};
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        store_iter it;
        u8 key[4];
        const u8 *row;
        u32 len;
        lc_store_u32(key, ids[k]);
        rc = store_index_point(&t, a->pk, key, 4, &it);
        if (!rc && store_iter_next(&it, &row, &len)) bal[k] = (i64)lc_load_u64(row + 4);
        if (!rc) store_iter_close(&it);
    }
    for (int k = 0; k < 2 && !rc; k++) {
        u8 row[12];
        lc_store_u32(row, ids[k]);
        lc_store_u64(row + 4, (u64)(bal[k] + (k ? 1 : -1)));
        rc = store_update(&t, a->pk, row, 12, NULL);
    }
    if (rc) {
        store_txn_abort(&t);
        return rc;
    }
    if (!log) {
        const store_txdata *td;
        rc = store_txn_commit(&t, &td);
        lc_buf_reset(&db->enc); /* the same encode work, minus the log */
        if (!rc) store_txdata_encode(td, NULL, &db->enc);
        return rc;
    }
    u64 off;
    bool logged;
    return clog_store_commit(db, &t, NULL, &off, &logged, eb);
}

static void open_accounts(const char *dir, u32 rows, clog_store_db *db, acc *a)
{
    lc_errbuf eb = {{0}};
    int rc = clog_store_open(dir, NULL, db, NULL, &eb);
    if (!rc) rc = make_accounts(db, rows, a, &eb);
    if (rc) fail("setup", &eb, rc);
    if ((rc = clog_wait_durable(db->log, clog_next_offset(db->log) - 1, -1))) fail("wait", NULL, rc);
}

/* Baseline in the same run: the same transfers (commit + TxData encode), no log. A store of
 * its own, since these transactions take offsets the log never sees. */
static double base_cpu_ns;
static double baseline_transfers(const char *dir, u64 n, u32 rows)
{
    clog_store_db db;
    acc a;
    open_accounts(dir, rows, &db, &a);
    lc_errbuf eb;
    int rc;
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    for (u64 i = 0; i < n; i++)
        if ((rc = transfer(&db, &a, rows, false, &eb))) fail("baseline transfer", &eb, rc);
    double base = (double)n / ((double)(lc_now_ns() - t0) / 1e9);
    double base_cpu = base_cpu_ns = (double)(cpu_ns() - c0) / (double)n;
    db.log = (clog_close(db.log), NULL);
    store_destroy(db.s);
    lc_buf_deinit(&db.enc);
    printf("transfers, store only:      %10.0f /s  (commit + TxData encode, no log: baseline; "
           "%.0f ns writer CPU each)\n",
           base, base_cpu);
    return base;
}

static void durable_transfers(const char *root, u64 n, double fsync_rate)
{
    const u32 rows = 100000;
    char d[600];
    snprintf(d, sizeof d, "%s/baseline", root);
    double base = baseline_transfers(d, n, rows);
    snprintf(d, sizeof d, "%s/transfers", root);
    clog_store_db db;
    acc a;
    open_accounts(d, rows, &db, &a);
    lc_errbuf eb;
    int rc;
    clog_stats s0, s1;
    clog_get_stats(db.log, &s0);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_THREAD, &ru0);
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    for (u64 i = 0; i < n; i++)
        if ((rc = transfer(&db, &a, rows, true, &eb))) fail("transfer", &eb, rc);
    u64 t1 = lc_now_ns();
    getrusage(RUSAGE_THREAD, &ru1);
    double writer_cpu = (double)(cpu_ns() - c0) / (double)n;
    if ((rc = clog_wait_durable(db.log, clog_next_offset(db.log) - 1, -1))) fail("wait", NULL, rc);
    u64 t2 = lc_now_ns();
    clog_get_stats(db.log, &s1);
    double rate = (double)n / ((double)(t2 - t0) / 1e9);
    u64 syncs = s1.syncs - s0.syncs;
    printf("durable transfers:          %10.0f /s  (%.2fx baseline; writer alone %.0f/s; %llu "
           "fdatasyncs, %.0f tx/sync; %.0fx the fdatasync rate; %llu back-pressure waits)\n",
           rate, rate / base, (double)n / ((double)(t1 - t0) / 1e9), (unsigned long long)syncs,
           (double)n / (double)(syncs ? syncs : 1), rate / fsync_rate,
           (unsigned long long)(s1.append_waits - s0.append_waits));
    double dur_cpu = (double)(s1.durability_cpu_ns - s0.durability_cpu_ns) / (double)n;
    printf("durable transfers, CPU:     %.0f ns writer + %.0f ns durability thread per transfer "
           "(baseline writer %.0f ns) = %.0f durable transfers per writer-CPU-second\n",
           writer_cpu, dur_cpu, base_cpu_ns, 1e9 / writer_cpu);
    printf("writer context switches:    %ld voluntary (blocked), %ld involuntary (preempted)\n",
           ru1.ru_nvcsw - ru0.ru_nvcsw, ru1.ru_nivcsw - ru0.ru_nivcsw);
    if ((rc = clog_store_close(&db))) fail("close", NULL, rc);
}

static u64 dir_bytes(const char *dir, const char *suffix)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cat '%s'/*%s 2>/dev/null | wc -c", dir, suffix);
    FILE *f = popen(cmd, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1) v = 0;
        pclose(f);
    }
    return v;
}

static void recovery(const char *dir, u32 rows, u64 txs)
{
    clog_store_db db;
    lc_errbuf eb = {{0}};
    acc a;
    int rc = clog_store_open(dir, NULL, &db, NULL, &eb);
    if (!rc) rc = make_accounts(&db, rows, &a, &eb);
    u64 t_enc = lc_now_ns();
    if (!rc) rc = clog_store_snapshot(&db, &eb); /* encode on this (the writer's) thread */
    u64 t_bg = lc_now_ns();
    if (!rc) rc = clog_snapshot_wait(db.log, &eb); /* compress + write + fsync + rename */
    u64 t_done = lc_now_ns();
    if (!rc)
        printf("snapshot of %u rows:       writer blocked %.3f s (encode), background %.3f s "
               "(zstd + write + fsync + rename)\n",
               rows, (double)(t_bg - t_enc) / 1e9, (double)(t_done - t_bg) / 1e9);
    for (u64 i = 0; i < txs && !rc; i++) rc = transfer(&db, &a, rows, true, &eb);
    if (rc) fail("recovery setup", &eb, rc);
    u64 end = clog_next_offset(db.log);
    if ((rc = clog_store_close(&db))) fail("close", NULL, rc);

    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    clog_recover_stats st;
    if ((rc = clog_store_open(dir, NULL, &db, &st, &eb))) fail("recover", &eb, rc);
    double total = (double)(lc_now_ns() - t0) / 1e9;
    double cpu = (double)(cpu_ns() - c0) / 1e9;
    if (store_next_tx_offset(db.s) != end) fail("recovered end differs", NULL, LC_ECORRUPT);
    printf("recovery of %u rows + %llu txs: %.3f s total = log scan %.3f s + snapshot load %.3f s "
           "(snapshot at %llu) + replay %.3f s (%llu txs, %.0f tx/s); log %.1f MB, snapshot "
           "%.1f MB\n",
           rows, (unsigned long long)txs, total, (double)st.open_ns / 1e9,
           (double)st.snapshot_ns / 1e9, (unsigned long long)st.snapshot_tx_end,
           (double)st.replay_ns / 1e9, (unsigned long long)st.replayed,
           (double)st.replayed / ((double)st.replay_ns / 1e9 + 1e-9),
           (double)dir_bytes(dir, ".stdb.log") / 1e6, (double)dir_bytes(dir, ".lcsnap") / 1e6);
    printf("recovery CPU time:          %.3f s (wall %.3f s)\n", cpu, total);
    if ((rc = clog_store_close(&db))) fail("close", NULL, rc);
}

int main(int argc, char **argv)
{
    lc_log_set_level(LC_LOG_WARN);
    const char *root = argc > 1 ? argv[1] : "build/bench-clog-data";
    u64 transfers = env_u64("LC_BENCH_TRANSFERS", 2000000);
    u32 rec_rows = (u32)env_u64("LC_BENCH_RECOVERY_ROWS", 1000000);
    u64 rec_txs = env_u64("LC_BENCH_RECOVERY_TXS", 1000000);
    rm_rf(root);
    if (mkdir(root, 0755) != 0) fail("mkdir data dir", NULL, LC_EIO);
    struct statfs sf;
    if (statfs(root, &sf) == 0 && sf.f_type == 0x01021994)
        printf("WARNING: %s is on tmpfs: fdatasync is free, figures are not durable ones\n", root);
    char d[600];
    FILE *la = fopen("/proc/loadavg", "r");
    if (la && fgets(d, sizeof d, la)) printf("load average at start: %s", d);
    if (la) fclose(la);
    printf("cores online: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    double fr = fdatasync_rate(root);
    printf("fdatasync rate (64-byte append + fdatasync, this disk): %.0f /s\n", fr);
    snprintf(d, sizeof d, "%s/raw", root);
    raw_log(d, transfers, fr);
    durable_transfers(root, transfers, fr);
    snprintf(d, sizeof d, "%s/recovery", root);
    recovery(d, rec_rows, rec_txs);
    rm_rf(root);
    return 0;
}
