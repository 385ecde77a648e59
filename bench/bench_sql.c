/*
 * bench/bench_sql.c — SQL front-end cost per statement: tokenizing only (the baseline, the
 * least any parser must do), full parse in both dialects, canonical print, structural hash.
 *
 *   make MODE=release build/release/bench_sql && build/release/bench_sql [iterations]
 *
 * Each query is run `iterations` times (default 200,000) with one arena reset per parse, as a
 * server would reuse a per-request arena. Prints ns/statement, MB/s of SQL text and the ratio
 * of each step to tokenizing the same text in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "sql/lex.h"
#include "sql/sql.h"

static volatile u64 sink;

static double run_lex(const char *q, size_t n, lc_arena *a, u32 iters)
{
    u64 t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) {
        sql_lexer lx;
        sql_tok t;
        lc_errbuf eb;
        sql_lex_init(&lx, q, (u32)n, a, &eb);
        do {
            if (sql_lex_next(&lx, &t)) abort();
            sink += t.kind;
        } while (t.kind != SQL_TOK_EOF);
        lc_arena_reset(a);
    }
    return (double)(lc_now_ns() - t0) / iters;
}

static double run_parse(const char *q, size_t n, lc_arena *a, u32 iters, bool is_sub)
{
    u64 t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) {
        lc_errbuf eb;
        sql_stmt *s;
        sql_select *sel;
        int rc =
            is_sub ? sql_parse_subscription(q, n, 0, a, &sel, &eb) : sql_parse(q, n, a, &s, &eb);
        if (rc) {
            fprintf(stderr, "parse failed: %s\n", eb.msg);
            abort();
        }
        lc_arena_reset(a);
    }
    return (double)(lc_now_ns() - t0) / iters;
}

static void run_print_hash(const char *q, size_t n, lc_arena *a, u32 iters, double *out_print,
                           double *out_hash)
{
    lc_errbuf eb;
    sql_stmt *s;
    if (sql_parse(q, n, a, &s, &eb)) abort();
    lc_buf b;
    lc_buf_init(&b);
    u64 t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) {
        lc_buf_reset(&b);
        if (sql_stmt_print(s, &b)) abort();
    }
    *out_print = (double)(lc_now_ns() - t0) / iters;
    t0 = lc_now_ns();
    for (u32 i = 0; i < iters; i++) sink += sql_stmt_hash(s);
    *out_hash = (double)(lc_now_ns() - t0) / iters;
    lc_buf_deinit(&b);
    lc_arena_reset(a);
}

int main(int argc, char **argv)
{
    u32 iters = argc > 1 ? (u32)strtoul(argv[1], NULL, 10) : 200000;
    static char insert[16384];
    strcpy(insert, "INSERT INTO person (id, name, owner) VALUES ");
    for (int i = 0; i < 100; i++) {
        char row[160];
        snprintf(row, sizeof row, "%s(%d, 'name %d', 0x%064x)", i ? ", " : "", i, i, i);
        strcat(insert, row);
    }
    const struct {
        const char *name, *sql;
        bool is_sub;
    } qs[] = {
        {"sub: SDK filter",
         "SELECT * FROM \"person\" WHERE (\"person\".\"name\" = 'O''Neil') AND "
         "(\"person\".\"ok\" = TRUE)",
         true},
        {"sub: semijoin",
         "SELECT \"person\".* FROM \"pet_table\" JOIN \"person\" ON "
         "\"pet_table\".\"ownerId\" = \"person\".\"id\" WHERE "
         "\"pet_table\".\"age\" > 3",
         true},
        {"sql: select",
         "SELECT p.name AS n, p.id FROM person AS p WHERE p.id >= 10 AND p.id < 20 "
         "ORDER BY p.id DESC LIMIT 10",
         false},
        {"sql: insert 100 rows", insert, false},
    };
    lc_arena a;
    lc_arena_init(&a, 0);
    printf("%-22s %6s %9s %9s %7s %9s %9s %9s\n", "query", "bytes", "lex ns", "parse ns", "p/lex",
           "parse MB/s", "print ns", "hash ns");
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        size_t n = strlen(qs[i].sql);
        u32 it = n > 1000 ? iters / 20 : iters;
        double lex = run_lex(qs[i].sql, n, &a, it);
        double parse = run_parse(qs[i].sql, n, &a, it, qs[i].is_sub);
        double pr, h;
        run_print_hash(qs[i].sql, n, &a, it, &pr, &h);
        printf("%-22s %6zu %9.0f %9.0f %7.2f %9.1f %9.0f %9.0f\n", qs[i].name, n, lex, parse,
               parse / lex, (double)n / parse * 1e3, pr, h);
    }
    lc_arena_deinit(&a);
    return 0;
}
