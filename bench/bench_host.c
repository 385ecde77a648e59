/*
 * bench/bench_host.c — in-process module host throughput (no network): an empty reducer call
 * and keynote-bank `transfer` through the module (host_db_call: transaction, argument check,
 * wasm call, imports, commit), next to the same transfer written directly against the store
 * in the same run (the baseline). In memory (no commit log) so the figure is the host's cost.
 *
 *   make MODE=release bench-host          (BENCH_HOST_N=calls, default 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "host/db.h"

#define ACCOUNTS 1000

/* CPU time of the process (the machine may be shared: wall time alone misleads). */
static u64 cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}
static double g_cpu; /* CPU ns per call of the last measured loop */

static u8 *read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    u8 *p = n > 0 ? lc_alloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) { lc_free(p); p = NULL; }
    fclose(f);
    *out_len = (size_t)n;
    return p;
}

static host_db *open_with(const char *module)
{
    size_t len;
    char path[128];
    snprintf(path, sizeof path, "build/wasm/%s.wasm", module);
    u8 *w = read_file(path, &len);
    if (!w) { fprintf(stderr, "missing %s (make examples)\n", path); exit(1); }
    host_db *db;
    lc_errbuf eb = {{0}};
    u8 owner[32] = {1};
    if (host_db_open(NULL, NULL, &db, &eb) != 0 || host_db_publish(db, w, len, owner, NULL, &eb)) {
        fprintf(stderr, "%s: %s\n", module, eb.msg);
        exit(1);
    }
    lc_free(w);
    return db;
}

static void must(int rc, const host_outcome *o, const lc_errbuf *eb)
{
    if (rc || o->kind != HOST_OUTCOME_COMMITTED) {
        fprintf(stderr, "call failed: %d %s %s\n", rc, eb->msg, o->message);
        exit(1);
    }
}

static double bench_module_transfer(host_db *db, u64 n)
{
    host_caller c;
    memset(&c, 0, sizeof c);
    host_outcome o;
    lc_errbuf eb;
    u8 args[16];
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    for (u64 i = 0; i < n; i++) {
        lc_store_u32(args, (u32)(i % ACCOUNTS));
        lc_store_u32(args + 4, (u32)((i + 1) % ACCOUNTS));
        lc_store_u64(args + 8, 1);
        must(host_db_call(db, "transfer", args, 16, &c, &o, &eb), &o, &eb);
    }
    g_cpu = (double)(cpu_ns() - c0) / (double)n;
    return (double)(lc_now_ns() - t0) / (double)n;
}

static double bench_module_noop(host_db *db, u64 n)
{
    host_caller c;
    memset(&c, 0, sizeof c);
    host_outcome o;
    lc_errbuf eb;
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    for (u64 i = 0; i < n; i++) must(host_db_call(db, "noop", NULL, 0, &c, &o, &eb), &o, &eb);
    g_cpu = (double)(cpu_ns() - c0) / (double)n;
    return (double)(lc_now_ns() - t0) / (double)n;
}

/* The same transfer on the store: two point lookups, two updates, one commit. */
static int direct_transfer(store *s, u32 ix, u32 from, u32 to, i64 amount)
{
    store_txn t;
    store_txn_begin(&t, s);
    u8 rows[2][12];
    u32 keys[2] = {from, to};
    for (int k = 0; k < 2; k++) {
        store_iter it;
        const u8 *row;
        u32 len;
        if (store_index_point(&t, ix, (const u8 *)&keys[k], 4, &it) != 0 ||
            !store_iter_next(&it, &row, &len) || len != 12) {
            store_iter_close(&it);
            store_txn_abort(&t);
            return -1;
        }
        memcpy(rows[k], row, 12);
        store_iter_close(&it);
    }
    i64 fb = (i64)lc_load_u64(rows[0] + 4), tb = (i64)lc_load_u64(rows[1] + 4);
    if (fb < amount) { store_txn_abort(&t); return -1; }
    lc_store_u64(rows[0] + 4, (u64)(fb - amount));
    lc_store_u64(rows[1] + 4, (u64)(tb + amount));
    if (store_update(&t, ix, rows[0], 12, NULL) != 0 || store_update(&t, ix, rows[1], 12, NULL)) {
        store_txn_abort(&t);
        return -1;
    }
    return store_txn_commit(&t, NULL);
}

static double bench_direct_transfer(store *s, u64 n)
{
    store_txn t;
    store_read_begin(&t, s);
    u32 ix;
    if (store_index_id_from_name(&t, "accounts_id_idx_btree", 21, &ix) != 0) exit(1);
    store_read_end(&t);
    u64 t0 = lc_now_ns(), c0 = cpu_ns();
    for (u64 i = 0; i < n; i++)
        if (direct_transfer(s, ix, (u32)(i % ACCOUNTS), (u32)((i + 1) % ACCOUNTS), 1) != 0) exit(1);
    g_cpu = (double)(cpu_ns() - c0) / (double)n;
    return (double)(lc_now_ns() - t0) / (double)n;
}

int main(void)
{
    const char *env = getenv("BENCH_HOST_N");
    u64 n = env ? strtoull(env, NULL, 10) : 200000;
    host_db *bank = open_with("keynote-bank");
    host_db *bank2 = open_with("keynote-bank");
    host_db *test = open_with("hosttest");
    u8 seed[12];
    lc_store_u32(seed, ACCOUNTS);
    lc_store_u64(seed + 4, 1000000000);
    host_caller c;
    memset(&c, 0, sizeof c);
    host_outcome o;
    lc_errbuf eb;
    must(host_db_call(bank, "seed", seed, 12, &c, &o, &eb), &o, &eb);
    must(host_db_call(bank2, "seed", seed, 12, &c, &o, &eb), &o, &eb);
    bench_module_transfer(bank, n / 10); /* warm-up */
    bench_direct_transfer(host_db_store(bank2), n / 10);
    double direct = bench_direct_transfer(host_db_store(bank2), n), direct_cpu = g_cpu;
    double mod = bench_module_transfer(bank, n), mod_cpu = g_cpu;
    double noop = bench_module_noop(test, n), noop_cpu = g_cpu;
    printf("bench_host: %llu calls each, in memory, one thread (wall ns | CPU ns per call)\n",
           (unsigned long long)n);
    printf("  store transfer (baseline)  %7.0f | %7.0f ns  %9.0f /CPU-s\n", direct, direct_cpu,
           1e9 / direct_cpu);
    printf("  module transfer            %7.0f | %7.0f ns  %9.0f /CPU-s  (%.2fx baseline CPU)\n",
           mod, mod_cpu, 1e9 / mod_cpu, mod_cpu / direct_cpu);
    printf("  module empty reducer       %7.0f | %7.0f ns  %9.0f /CPU-s  (%.2fx baseline CPU)\n",
           noop, noop_cpu, 1e9 / noop_cpu, noop_cpu / direct_cpu);
    (void)host_db_close(bank);
    (void)host_db_close(bank2);
    (void)host_db_close(test);
    return 0;
}
