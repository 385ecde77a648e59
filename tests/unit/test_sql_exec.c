/*
 * tests/unit/test_sql_exec.c — SQL resolution and execution over the store: positioned
 * resolution errors, result column names/types, the row limit, :sender, a sink error rolling
 * back nothing it should not, and a seeded differential test checking that index point/range
 * scans (btree, hash, unique) return exactly what a full scan with the same predicate returns.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "sql/sql_exec.h"

typedef struct cap {
    u32 ncols, nrows;
    char names[8][32];
    u64 last_u64;
    int stop_after; /* >0: return LC_EBUSY after that many rows */
} cap;

static int cap_cols(void *ctx, const sql_result_col *cols, u32 n)
{
    cap *c = ctx;
    c->ncols = n;
    for (u32 i = 0; i < n && i < 8; i++) snprintf(c->names[i], 32, "%s", cols[i].name);
    return 0;
}

static int cap_row(void *ctx, const u8 *row, u32 len)
{
    cap *c = ctx;
    c->nrows++;
    if (len >= 8) c->last_u64 = lc_load_u64(row);
    if (c->stop_after && (int)c->nrows >= c->stop_after) return LC_EBUSY;
    return 0;
}

/* t(id U32 pk, k I32 btree, h U32 hash, k2 I32, h2 U32, who Identity) */
static store *mk_store(void)
{
    store *s;
    if (store_create(&s)) return NULL;
    static lc_typespace ts;
    static bool init;
    if (!init) { lc_typespace_init(&ts); init = true; }
    store_column_def cols[] = {{"id", lc_type_prim(LC_T_U32)}, {"k", lc_type_prim(LC_T_I32)},
                               {"h", lc_type_prim(LC_T_U32)},  {"k2", lc_type_prim(LC_T_I32)},
                               {"h2", lc_type_prim(LC_T_U32)},
                               {"who", lc_type_special_get(&ts, LC_TS_IDENTITY)}};
    static const u16 c1 = 1, c2 = 2;
    store_index_def ix[] = {{NULL, STORE_INDEX_BTREE, false, 1, &c1},
                            {NULL, STORE_INDEX_HASH, false, 1, &c2}};
    store_table_def def = {.name = "t", .is_public = true, .pk_col = 0, .col_count = 6,
                           .cols = cols, .index_count = 2, .indexes = ix};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id;
    lc_errbuf eb;
    if (store_table_create(&txn, &def, &id, &eb) || store_txn_commit(&txn, NULL)) {
        store_destroy(s);
        return NULL;
    }
    return s;
}

static int run(store *s, const char *sql, cap *c, lc_errbuf *eb)
{
    sql_sink sink = {cap_cols, cap_row, c};
    return sql_exec(s, sql, strlen(sql), NULL, &sink, NULL, eb);
}

static u64 count_of(store *s, const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) AS n FROM t WHERE %s", where);
    cap c = {0};
    lc_errbuf eb = {{0}};
    if (run(s, sql, &c, &eb) != 0 || c.nrows != 1) {
        fprintf(stderr, "count_of(%s): %s\n", where, eb.msg);
        return ~(u64)0;
    }
    return c.last_u64;
}

TEST(sql_exec_resolution_errors)
{
    store *s = mk_store();
    CHECK(s);
    cap c = {0};
    lc_errbuf eb = {{0}};
    CHECK_ERR(run(s, "SELECT * FROM t WHERE\n  bogus = 1", &c, &eb), LC_ENOTFOUND);
    CHECK_STR(eb.msg, "`t` does not have a field `bogus` at 2:3");
    CHECK_ERR(run(s, "SELECT * FROM nope", &c, &eb), LC_ENOTFOUND);
    CHECK(strstr(eb.msg, "no such table: `nope`") && strstr(eb.msg, "at 1:15"));
    CHECK_ERR(run(s, "SELECT * FROM t WHERE k = 'x'", &c, &eb), LC_ETYPE);
    CHECK_STR(eb.msg, "The literal expression `x` cannot be parsed as type `I32` at 1:27");
    CHECK_ERR(run(s, "SELECT * FROM t WHERE k = 2147483648", &c, &eb), LC_ERANGE);
    CHECK_ERR(run(s, "SELECT * FROM t WHERE k = h", &c, &eb), LC_ETYPE);
    CHECK(strstr(eb.msg, "Unexpected type") != NULL);
    CHECK_ERR(run(s, "SELECT * FROM t WHERE 'a' = 'a'", &c, &eb), LC_ETYPE);
    CHECK_STR(eb.msg, "Cannot resolve type for literal expression at 1:23");
    CHECK_ERR(run(s, "SELECT x.k FROM t", &c, &eb), LC_ENOTFOUND);
    CHECK_STR(eb.msg, "`x` is not in scope at 1:8");
    CHECK(run(s, "SELECT a.k FROM t AS a JOIN t AS a", &c, &eb) != 0); /* parser: duplicate */
    CHECK_ERR(run(s, "SHOW nothing", &c, &eb), LC_ENOTSUP);
    CHECK_EQ(c.nrows, 0);
    store_destroy(s);
}

TEST(sql_exec_columns_sender_limit)
{
    store *s = mk_store();
    CHECK(s);
    lc_errbuf eb = {{0}};
    sql_exec_stats st;
    const char *ins = "INSERT INTO t (id, k, h, k2, h2, who) VALUES (1, 1, 1, 1, 1, 0x01), "
                      "(2, 2, 2, 2, 2, 0x0000000000000000000000000000000000000000000000000000000000000002), "
                      "(3, 3, 3, 3, 3, 0x0000000000000000000000000000000000000000000000000000000000000003)";
    CHECK_ERR(sql_exec(s, ins, strlen(ins), NULL, NULL, &st, &eb), LC_ETYPE); /* 0x01 too short */
    ins = "INSERT INTO t (id, k, h, k2, h2, who) VALUES "
          "(2, 2, 2, 2, 2, 0x0000000000000000000000000000000000000000000000000000000000000002), "
          "(3, 3, 3, 3, 3, 0x0000000000000000000000000000000000000000000000000000000000000003)";
    CHECK_OK(sql_exec(s, ins, strlen(ins), NULL, NULL, &st, &eb));
    CHECK_EQ(st.rows_inserted, 2);
    cap c = {0};
    CHECK_OK(run(s, "SELECT k AS kk, t.h FROM t", &c, &eb));
    CHECK_EQ(c.ncols, 2);
    CHECK_STR(c.names[0], "kk");
    CHECK_STR(c.names[1], "h");
    CHECK_EQ(c.nrows, 2);

    u8 me[32] = {3};
    sql_exec_opts o = {.row_limit = 0, .caller_id = me};
    memset(&c, 0, sizeof c);
    sql_sink sink = {cap_cols, cap_row, &c};
    const char *q = "SELECT COUNT(*) AS n FROM t WHERE who = :sender";
    CHECK_OK(sql_exec(s, q, strlen(q), &o, &sink, NULL, &eb));
    CHECK_EQ(c.last_u64, 1);

    o.row_limit = 1;
    memset(&c, 0, sizeof c);
    q = "SELECT * FROM t";
    CHECK_ERR(sql_exec(s, q, strlen(q), &o, &sink, NULL, &eb), LC_ELIMIT);
    o.row_limit = 2;
    memset(&c, 0, sizeof c);
    CHECK_OK(sql_exec(s, q, strlen(q), &o, &sink, NULL, &eb));
    CHECK_EQ(c.nrows, 2);

    /* A sink error stops the query and is returned as is. */
    memset(&c, 0, sizeof c);
    c.stop_after = 1;
    CHECK_ERR(run(s, "SELECT * FROM t", &c, &eb), LC_EBUSY);
    CHECK_EQ(c.nrows, 1);

    /* A failing UPDATE leaves nothing behind. */
    CHECK_ERR(run(s, "UPDATE t SET id = 7", &c, &eb), LC_EUNIQUE);
    CHECK_EQ(count_of(s, "id = 7"), 0);
    CHECK_EQ(count_of(s, "id >= 2"), 2);
    store_destroy(s);
}

/* Index scans vs full scans: k (btree) mirrors k2 (no index), h (hash) mirrors h2. */
TEST(sql_exec_index_scan_matches_full_scan)
{
    store *s = mk_store();
    CHECK(s);
    u64 seed = lc_test_seed();
    lc_errbuf eb = {{0}};
    char sql[256];
    for (u32 i = 0; i < 300; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((seed >> 33) % 41) - 20;
        unsigned h = (unsigned)((seed >> 20) % 17);
        snprintf(sql, sizeof sql,
                 "INSERT INTO t (id, k, h, k2, h2, who) VALUES (%u, %d, %u, %d, %u, 0x%064x)", i, k,
                 h, k, h, i);
        CHECK_OK(sql_exec(s, sql, strlen(sql), NULL, NULL, NULL, &eb));
    }
    static const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    for (int v = -22; v <= 22; v += 3) {
        for (int o = 0; o < 6; o++) {
            char a[64], b[64];
            snprintf(a, sizeof a, "k %s %d", ops[o], v);
            snprintf(b, sizeof b, "k2 %s %d", ops[o], v);
            CHECK_EQ(count_of(s, a), count_of(s, b));
            snprintf(a, sizeof a, "%d %s k AND k > -10", v, ops[o]);
            snprintf(b, sizeof b, "%d %s k2 AND k2 > -10", v, ops[o]);
            CHECK_EQ(count_of(s, a), count_of(s, b));
            snprintf(a, sizeof a, "k > %d AND k <= %d AND k %s 3", v, v + 7, ops[o]);
            snprintf(b, sizeof b, "k2 > %d AND k2 <= %d AND k2 %s 3", v, v + 7, ops[o]);
            CHECK_EQ(count_of(s, a), count_of(s, b));
            if (v >= 0) {
                snprintf(a, sizeof a, "h %s %d", ops[o], v / 2);
                snprintf(b, sizeof b, "h2 %s %d", ops[o], v / 2);
                CHECK_EQ(count_of(s, a), count_of(s, b));
                snprintf(a, sizeof a, "id %s %d", ops[o], v * 10);
                snprintf(b, sizeof b, "id %s %d AND k2 = k2", ops[o], v * 10);
                CHECK_EQ(count_of(s, a), count_of(s, b));
            }
        }
    }
    CHECK_EQ(count_of(s, "k = 100"), 0);
    /* Self join through the btree index (index nested loop) vs through the plain column. */
    cap c1 = {0}, c2 = {0};
    CHECK_OK(run(s, "SELECT COUNT(*) AS n FROM t AS a JOIN t AS b ON a.k = b.k", &c1, &eb));
    CHECK_OK(run(s, "SELECT COUNT(*) AS n FROM t AS a JOIN t AS b ON a.k2 = b.k2", &c2, &eb));
    CHECK_EQ(c1.last_u64, c2.last_u64);
    CHECK(c1.last_u64 >= 300);
    store_destroy(s);
}
