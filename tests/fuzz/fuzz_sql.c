/*
 * tests/fuzz/fuzz_sql.c — libFuzzer target for the SQL lexer and parser (sql/sql.h).
 *
 * Each input is parsed in both dialects. Besides "no crash, no leak, no hang" (ASan/UBSan
 * catch the first two, libFuzzer's timeout the third), it checks the parser's contracts and
 * aborts on a violation:
 *   1. an error comes with a non-empty message and a NULL output;
 *   2. an accepted statement prints, the print reparses, the two trees are equal and hash
 *      alike, and printing again gives the same text (canonical round trip);
 *   3. whatever the subscription dialect accepts, the general dialect accepts with an equal
 *      tree.
 * The arena is capped (64 MiB) so a pathological input hits LC_ENOMEM, not the machine.
 *
 * Built with MODE=fuzz (`make fuzz-sql`). In every other mode the same file gets a main()
 * that replays files and directories given on the command line (the seed corpus in
 * tests/fuzz/corpus/sql/), which is how `make test` exercises it without clang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "sql/sql.h"

#define FUZZ_ARENA_LIMIT (64u << 20)

#define FUZZ_CHECK(c)                                                                \
    do {                                                                             \
        if (!(c)) {                                                                  \
            fprintf(stderr, "fuzz_sql: check failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

static void check_round_trip(const sql_stmt *s, lc_arena *a)
{
    lc_buf b1, b2;
    lc_buf_init(&b1);
    lc_buf_init(&b2);
    lc_errbuf eb;
    if (sql_stmt_print(s, &b1) == 0) {
        sql_stmt *s2 = NULL;
        int rc = sql_parse((const char *)b1.data, b1.len, a, &s2, &eb);
        if (rc == LC_ENOMEM) goto out; /* the arena cap, not a parser bug */
        if (rc) {
            fprintf(stderr, "reparse failed: %s\n  text: %.*s\n", eb.msg, (int)b1.len, b1.data);
            abort();
        }
        FUZZ_CHECK(sql_stmt_equal(s, s2));
        FUZZ_CHECK(sql_stmt_hash(s) == sql_stmt_hash(s2));
        FUZZ_CHECK(sql_stmt_print(s2, &b2) == 0);
        FUZZ_CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    }
out:
    lc_buf_deinit(&b1);
    lc_buf_deinit(&b2);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    lc_arena a;
    lc_arena_init(&a, FUZZ_ARENA_LIMIT);
    lc_errbuf eb = {{0}};
    sql_stmt *st = (sql_stmt *)1;
    int rc = sql_parse((const char *)data, size, &a, &st, &eb);
    if (rc) {
        FUZZ_CHECK(st == NULL && eb.msg[0] != '\0');
    } else {
        check_round_trip(st, &a);
    }
    for (u32 flags = 0; flags <= SQL_SUB_ALLOW_NOT; flags += SQL_SUB_ALLOW_NOT) {
        sql_select *sel = (sql_select *)1;
        eb.msg[0] = '\0';
        int rs = sql_parse_subscription((const char *)data, size, flags, &a, &sel, &eb);
        if (rs) {
            FUZZ_CHECK(sel == NULL && eb.msg[0] != '\0');
            continue;
        }
        /* Accepted as a subscription => accepted (equal) in general, unless the general parse
         * ran out of arena or the text is over the general bound (impossible: sub is tighter). */
        if (rc != LC_ENOMEM) {
            FUZZ_CHECK(rc == 0 && st->kind == SQL_STMT_SELECT);
            FUZZ_CHECK(sql_select_equal(sel, &st->u.select));
        }
    }
    lc_arena_deinit(&a);
    return 0;
}
