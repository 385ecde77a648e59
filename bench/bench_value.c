/*
 * bench/bench_value.c — throughput of the value/ hot paths, each against a baseline measured
 * in the same run:
 *   cmp u32         lc_bsatn_cmp on U32 keys        vs an inlined native u32 compare
 *   cmp (u32,str)   lc_bsatn_cmp on a product key   vs memcmp of the same bytes
 *   validate rows   lc_bsatn_validate of a row type vs memcpy of the same bytes
 *   skip to column  lc_bsatn_skip over 3 columns    vs reading a fixed offset
 *   to_json rows    lc_bsatn_to_json                (rows/s; baseline: validate)
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so preemption by other
 * processes on a shared machine does not count; ratios compare against baselines measured in
 * the same run. Usage: build/release/bench_value [N]   (N comparisons/rows, default 4,000,000)
 */
#include "base/alloc.h"
#include "value/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static u64 rng(u64 *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 17;
}

static volatile long sink;

static void report(const char *what, double t, double base, size_t n, const char *base_name)
{
    printf("%-16s %8.1f M/s  (%5.2f ns)   %-14s %8.1f M/s   ratio %.2fx\n", what,
           (double)n / t / 1e6, t / (double)n * 1e9, base_name, (double)n / base / 1e6,
           t / base);
}

LC_NOINLINE static int native_u32(const u8 *a, const u8 *b)
{
    u32 x = lc_load_u32(a), y = lc_load_u32(b);
    return (x > y) - (x < y);
}

static void bench_cmp_u32(size_t n)
{
    enum { K = 4096 };
    static u8 keys[K * 4];
    u64 s = 1;
    for (int i = 0; i < K * 4; i++) keys[i] = (u8)rng(&s);
    const lc_type *t = lc_type_prim(LC_T_U32);
    long acc = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++)
        acc += lc_bsatn_cmp(t, keys + (i % K) * 4, keys + ((i * 7 + 1) % K) * 4);
    double t1 = now_s();
    for (size_t i = 0; i < n; i++)
        acc += native_u32(keys + (i % K) * 4, keys + ((i * 7 + 1) % K) * 4);
    double t2 = now_s();
    sink = acc;
    report("cmp u32", t1 - t0, t2 - t1, n, "native cmp");
}

static void bench_cmp_product(lc_typespace *ts, size_t n)
{
    lc_type_elem e[2] = { { "id", lc_type_prim(LC_T_U32) },
                          { "name", lc_type_prim(LC_T_STRING) } };
    const lc_type *t = lc_type_product(ts, 2, e);
    enum { K = 1024, SZ = 24 };
    static u8 keys[K * SZ];
    u64 s = 2;
    for (int i = 0; i < K; i++) {
        u8 *k = keys + i * SZ;
        lc_store_u32(k, (u32)(rng(&s) % 4)); /* many equal ids: the string decides */
        lc_store_u32(k + 4, 16);
        for (int c = 0; c < 16; c++) k[8 + c] = (u8)('a' + rng(&s) % 3);
    }
    long acc = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++)
        acc += lc_bsatn_cmp(t, keys + (i % K) * SZ, keys + ((i * 7 + 1) % K) * SZ);
    double t1 = now_s();
    for (size_t i = 0; i < n; i++)
        acc += memcmp(keys + (i % K) * SZ, keys + ((i * 7 + 1) % K) * SZ, SZ) > 0;
    double t2 = now_s();
    sink = acc;
    report("cmp (u32,str)", t1 - t0, t2 - t1, n, "memcmp");
}

/* Rows (id u32, balance i64, name String, nick Option<String>, ok Bool). */
static const lc_type *row_type(lc_typespace *ts)
{
    lc_type_elem e[5] = { { "id", lc_type_prim(LC_T_U32) },
                          { "balance", lc_type_prim(LC_T_I64) },
                          { "name", lc_type_prim(LC_T_STRING) },
                          { "nick", lc_type_option(ts, lc_type_prim(LC_T_STRING)) },
                          { "ok", lc_type_prim(LC_T_BOOL) } };
    return lc_type_product(ts, 5, e);
}

static void make_rows(lc_buf *b, size_t rows)
{
    u64 s = 3;
    for (size_t i = 0; i < rows; i++) {
        lc_buf_put_u32(b, (u32)i);
        lc_buf_put_u64(b, rng(&s));
        lc_buf_put_str(b, "account holder", 14);
        if (i & 1) lc_buf_put_u8(b, 1);
        else {
            lc_buf_put_u8(b, 0);
            lc_buf_put_str(b, "nick", 4);
        }
        lc_buf_put_u8(b, (u8)(i & 1));
    }
}

static void bench_rows(lc_typespace *ts, size_t n)
{
    const lc_type *t = row_type(ts);
    size_t rows = 100000;
    lc_buf b;
    lc_buf_init(&b);
    make_rows(&b, rows);
    u8 *copy = lc_alloc(b.len);
    size_t reps = n / rows ? n / rows : 1, total = reps * rows;
    double t0 = now_s();
    for (size_t k = 0; k < reps; k++) {
        lc_rd r;
        lc_rd_init(&r, b.data, b.len);
        for (size_t i = 0; i < rows; i++)
            if (lc_bsatn_validate(t, &r, NULL)) abort();
    }
    double t1 = now_s();
    for (size_t k = 0; k < reps; k++) {
        memcpy(copy, b.data, b.len);
        sink += copy[k % b.len];
    }
    double t2 = now_s();
    report("validate rows", t1 - t0, t2 - t1, total, "memcpy");
    printf("                 (%.0f MB/s of BSATN; rows are %zu bytes on average)\n",
           (double)b.len * (double)reps / (t1 - t0) / 1e6, b.len / rows);
    /* skip to column 3 (nick) of each row vs reading column 1 at a fixed offset */
    long acc = 0;
    double t3 = now_s();
    for (size_t k = 0; k < reps; k++) {
        lc_rd r;
        lc_rd_init(&r, b.data, b.len);
        for (size_t i = 0; i < rows; i++) {
            for (u32 c = 0; c < 3; c++) lc_bsatn_skip(t->elems[c].type, &r);
            acc += *r.p;
            for (u32 c = 3; c < 5; c++) lc_bsatn_skip(t->elems[c].type, &r);
        }
    }
    double t4 = now_s();
    for (size_t k = 0; k < reps; k++)
        for (size_t i = 0; i < rows; i++) acc += b.data[(i * 37) % b.len];
    double t5 = now_s();
    sink = acc;
    report("skip 3 columns", t4 - t3, t5 - t4, total, "fixed offset");
    lc_buf j;
    lc_buf_init(&j);
    double t6 = now_s();
    lc_rd r;
    lc_rd_init(&r, b.data, b.len);
    for (size_t i = 0; i < rows; i++) {
        lc_buf_reset(&j);
        if (lc_bsatn_to_json(t, &r, &j)) abort();
    }
    double t7 = now_s();
    report("to_json rows", t7 - t6, (t1 - t0) / (double)reps, rows, "validate");
    lc_buf_deinit(&j);
    lc_buf_deinit(&b);
    lc_free(copy);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 4000000;
    lc_typespace ts;
    lc_typespace_init(&ts);
    printf("bench_value: N=%zu (lower ratio is better; ratio = our time / baseline time)\n", n);
    bench_cmp_u32(n);
    bench_cmp_product(&ts, n);
    bench_rows(&ts, n);
    lc_typespace_deinit(&ts);
    return 0;
}
