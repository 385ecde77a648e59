/*
 * tests/unit/test_sub.c — the subscriptions core (sub/sub.h): sharing of identical queries
 * with reference counts, refused queries (unindexed joins, unknown columns, bad types), initial
 * evaluation, and a seeded randomized test: random single-table queries (comparisons with
 * literals and between columns, AND / OR / NOT), random transactions, and after each commit
 * the incremental delta of every query must equal diff(full re-evaluation before, after),
 * where the full evaluation is done by the SQL executor (sql_exec), not by sub/.
 * LC_SUB_TXNS sets the number of transactions (default 2000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sub/sub.h"

#define NID 40
#define ROW 16
#define NQ 12

/* r(id U32 pk, a I32 btree, b U32, c I32); other(x U32) */
static store *mk_store(u32 *out_id)
{
    store *s;
    if (store_create(&s)) return NULL;
    store_column_def cols[] = {{"id", lc_type_prim(LC_T_U32)}, {"a", lc_type_prim(LC_T_I32)},
                               {"b", lc_type_prim(LC_T_U32)}, {"c", lc_type_prim(LC_T_I32)}};
    static const u16 c1 = 1;
    store_index_def ix[] = {{NULL, STORE_INDEX_BTREE, false, 1, &c1}};
    store_table_def def = {.name = "r", .is_public = true, .pk_col = 0, .col_count = 4,
                           .cols = cols, .index_count = 1, .indexes = ix};
    store_column_def cols2[] = {{"x", lc_type_prim(LC_T_U32)}};
    store_table_def def2 = {.name = "other", .is_public = true, .pk_col = -1, .col_count = 1,
                            .cols = cols2};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id2;
    lc_errbuf eb;
    if (store_table_create(&txn, &def2, &id2, &eb) || store_table_create(&txn, &def, out_id, &eb) ||
        store_txn_commit(&txn, NULL)) {
        store_destroy(s);
        return NULL;
    }
    return s;
}

static void row_make(u8 *row, u32 id, i32 a, u32 b, i32 c)
{
    lc_store_u32(row, id);
    lc_store_u32(row + 4, (u32)a);
    lc_store_u32(row + 8, b);
    lc_store_u32(row + 12, (u32)c);
}

/* A result set keyed by id (the primary key makes rows unique per id). */
typedef struct rset {
    bool has[NID];
    u8 row[NID][ROW];
} rset;

static int rset_add(rset *s, const u8 *row, u32 len)
{
    if (len != ROW) return LC_EINVAL;
    u32 id = lc_load_u32(row);
    if (id >= NID || s->has[id]) return LC_EINVAL;
    s->has[id] = true;
    memcpy(s->row[id], row, ROW);
    return 0;
}

static int full_row(void *ctx, const u8 *row, u32 len) { return rset_add(ctx, row, len); }

static int full_eval(store *s, const char *where, rset *out)
{
    memset(out, 0, sizeof *out);
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT * FROM r WHERE %s", where);
    sql_sink sink = {NULL, full_row, out};
    lc_errbuf eb = {{0}};
    int rc = sql_exec(s, sql, strlen(sql), NULL, &sink, NULL, &eb);
    if (rc) fprintf(stderr, "full_eval(%s): %s\n", sql, eb.msg);
    return rc;
}

static u64 rs;
static u32 rnd(u32 n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (u32)(rs % n);
}

static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">=", "!="};

static void gen_expr(char *out, size_t cap, int depth)
{
    u32 k = depth > 0 ? rnd(6) : 0;
    if (k <= 2) {
        const char *op = ops[rnd(7)];
        switch (rnd(4)) {
        case 0: snprintf(out, cap, "a %s %d", op, (int)rnd(10) - 5); break;
        case 1: snprintf(out, cap, "b %s %u", op, rnd(8)); break;
        case 2: snprintf(out, cap, "c %s %d", op, (int)rnd(10) - 5); break;
        default: snprintf(out, cap, "a %s c", op); break;
        }
        return;
    }
    char l[400], r[400];
    gen_expr(l, sizeof l, depth - 1);
    gen_expr(r, sizeof r, depth - 1);
    if (k == 3) snprintf(out, cap, "(%s) AND (%s)", l, r);
    else if (k == 4) snprintf(out, cap, "(%s) OR (%s)", l, r);
    else snprintf(out, cap, "NOT (%s)", l);
}

typedef struct delta {
    sub_query *const *qs;
    rset del[NQ], ins[NQ];
    int bad;
} delta;

static int q_index(delta *d, const sub_query *q)
{
    for (int i = 0; i < NQ; i++)
        if (d->qs[i] == q) return i;
    return -1;
}

static int on_del(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    delta *d = ctx;
    /* shared queries are reported once; record for every subscriber slot holding q */
    for (int i = 0; i < NQ; i++)
        if (d->qs[i] == q && rset_add(&d->del[i], row, len)) d->bad++;
    return q_index(d, q) < 0 ? LC_EINVAL : 0;
}

static int on_ins(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    delta *d = ctx;
    for (int i = 0; i < NQ; i++)
        if (d->qs[i] == q && rset_add(&d->ins[i], row, len)) d->bad++;
    return q_index(d, q) < 0 ? LC_EINVAL : 0;
}

/* One random transaction against the model rows. */
static int random_txn(store *s, u32 tid, rset *model, const store_txdata **td)
{
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 nops = 1 + rnd(5);
    int rc = 0;
    if (rnd(64) == 0) { /* a truncate, then maybe some inserts */
        u64 n;
        rc = store_clear(&txn, tid, &n);
        memset(model, 0, sizeof *model);
    }
    for (u32 i = 0; i < nops && !rc; i++) {
        u32 id = rnd(NID);
        bool del;
        if (model->has[id]) {
            rc = store_delete_row(&txn, tid, model->row[id], ROW, &del);
            if (!rc && !del) rc = LC_EINVAL;
            model->has[id] = false;
            if (rc || rnd(3) == 0) continue;
        }
        if (rnd(8) == 0 && i > 0) continue;
        u8 row[ROW];
        row_make(row, id, (i32)rnd(10) - 5, rnd(8), (i32)rnd(10) - 5);
        rc = store_insert(&txn, tid, row, ROW, NULL, NULL);
        if (!rc) rset_add(model, row, ROW);
    }
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    return store_txn_commit(&txn, td);
}

static bool delta_check(const rset *before, const rset *after, const rset *del, const rset *ins)
{
    for (u32 id = 0; id < NID; id++) {
        bool same = before->has[id] && after->has[id] &&
                    memcmp(before->row[id], after->row[id], ROW) == 0;
        bool want_del = before->has[id] && !same, want_ins = after->has[id] && !same;
        if (want_del != del->has[id] || want_ins != ins->has[id]) return false;
        if (want_del && memcmp(del->row[id], before->row[id], ROW)) return false;
        if (want_ins && memcmp(ins->row[id], after->row[id], ROW)) return false;
    }
    return true;
}

static int acquire(sub_registry *r, store *s, const char *sql, sub_query **q, lc_errbuf *eb)
{
    store_txn txn;
    store_read_begin(&txn, s);
    int rc = sub_query_acquire(r, &txn, sql, strlen(sql), NULL, q, eb);
    store_read_end(&txn);
    return rc;
}

TEST(sub_random_incremental_vs_full)
{
    rs = lc_test_seed() | 1;
    const char *env = getenv("LC_SUB_TXNS");
    u32 ntx = env ? (u32)strtoul(env, NULL, 10) : 2000;
    u32 tid;
    store *s = mk_store(&tid);
    CHECK(s);
    sub_registry *reg;
    CHECK_OK(sub_registry_create(&reg));
    char where[NQ][1024];
    sub_query *qs[NQ];
    lc_errbuf eb = {{0}};
    for (int i = 0; i < NQ; i++) {
        if (i >= 2 && rnd(4) == 0) strcpy(where[i], where[rnd((u32)i)]); /* shared */
        else gen_expr(where[i], sizeof where[i], 3);
        char sql[1100];
        snprintf(sql, sizeof sql, "SELECT * FROM r WHERE %.1000s", where[i]);
        int rc = acquire(reg, s, sql, &qs[i], &eb);
        if (rc) fprintf(stderr, "%s: %s\n", sql, eb.msg);
        CHECK_OK(rc);
        CHECK_EQ(sub_query_table_id(qs[i]), tid);
    }
    /* queries on a table no transaction touches: pruned, never reported (the sink fails on
     * a query it does not know) */
    sub_query *oq1, *oq2;
    CHECK_OK(acquire(reg, s, "SELECT * FROM other", &oq1, &eb));
    CHECK_OK(acquire(reg, s, "SELECT * FROM other WHERE x > 3", &oq2, &eb));
    static rset before[NQ], after[NQ];
    static delta d;
    rset model;
    memset(&model, 0, sizeof model);
    for (int i = 0; i < NQ; i++) CHECK_OK(full_eval(s, where[i], &before[i]));
    for (u32 t = 0; t < ntx; t++) {
        const store_txdata *td;
        CHECK_OK(random_txn(s, tid, &model, &td));
        memset(&d, 0, sizeof d);
        d.qs = qs;
        sub_delta_sink sink = {on_del, on_ins, &d};
        CHECK_OK(sub_registry_eval_tx(reg, td, &sink));
        CHECK_EQ(d.bad, 0);
        for (int i = 0; i < NQ; i++) {
            CHECK_OK(full_eval(s, where[i], &after[i]));
            if (!delta_check(&before[i], &after[i], &d.del[i], &d.ins[i])) {
                fprintf(stderr, "txn %u query %d (%s): delta != diff(full before, after)\n", t,
                        i, where[i]);
                CHECK(0);
            }
            before[i] = after[i];
        }
    }
    for (int i = 0; i < NQ; i++) sub_query_release(reg, qs[i]);
    CHECK_EQ(sub_registry_count(reg), 2);
    sub_query_release(reg, oq1);
    sub_query_release(reg, oq2);
    CHECK_EQ(sub_registry_count(reg), 0);
    sub_registry_destroy(reg);
    store_destroy(s);
}

static int count_row(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    (void)row;
    if (len != ROW) return LC_EINVAL;
    ++*(u32 *)ctx;
    return 0;
}

TEST(sub_share_and_initial)
{
    u32 tid;
    store *s = mk_store(&tid);
    CHECK(s);
    store_txn txn;
    store_txn_begin(&txn, s);
    for (u32 i = 0; i < 10; i++) {
        u8 row[ROW];
        row_make(row, i, (i32)i - 5, i % 3, 0);
        CHECK_OK(store_insert(&txn, tid, row, ROW, NULL, NULL));
    }
    CHECK_OK(store_txn_commit(&txn, NULL));
    sub_registry *reg;
    CHECK_OK(sub_registry_create(&reg));
    lc_errbuf eb = {{0}};
    sub_query *q1, *q2, *q3, *q4;
    CHECK_OK(acquire(reg, s, "SELECT * FROM r WHERE a > 0 AND b = 1", &q1, &eb));
    /* same query, other spelling: shared */
    CHECK_OK(acquire(reg, s, "select * from r where (a>0) and \"b\" = 1", &q2, &eb));
    CHECK(q1 == q2);
    CHECK_EQ(sub_query_refcount(q1), 2);
    CHECK_EQ(sub_query_hash(q1), sub_query_hash(q2));
    CHECK_OK(acquire(reg, s, "SELECT * FROM r WHERE a > 1 AND b = 1", &q3, &eb));
    CHECK(q3 != q1);
    CHECK(sub_query_hash(q3) != sub_query_hash(q1));
    CHECK_EQ(sub_registry_count(reg), 2);
    CHECK_OK(acquire(reg, s, "SELECT * FROM r", &q4, &eb));
    store_read_begin(&txn, s);
    u32 n1 = 0, n4 = 0;
    CHECK_OK(sub_query_eval_initial(q1, &txn, count_row, &n1));
    CHECK_OK(sub_query_eval_initial(q4, &txn, count_row, &n4));
    store_read_end(&txn);
    CHECK_EQ(n1, 1); /* a = i - 5 > 0 and i % 3 == 1: i = 7 only */
    CHECK_EQ(n4, 10);
    sub_query_release(reg, q2);
    CHECK_EQ(sub_registry_count(reg), 3);
    sub_query_release(reg, q1);
    CHECK_EQ(sub_registry_count(reg), 2);
    sub_query_release(reg, q3);
    sub_query_release(reg, q4);
    CHECK_EQ(sub_registry_count(reg), 0);
    sub_registry_destroy(reg);
    store_destroy(s);
}

TEST(sub_refused_queries)
{
    u32 tid;
    store *s = mk_store(&tid);
    CHECK(s);
    sub_registry *reg;
    CHECK_OK(sub_registry_create(&reg));
    lc_errbuf eb = {{0}};
    sub_query *q = NULL;
    /* r.b and other.x have no index: refused as SpacetimeDB does */
    CHECK_ERR(acquire(reg, s, "SELECT r.* FROM r JOIN other ON r.b = other.x", &q, &eb),
              LC_ENOTSUP);
    CHECK(strstr(eb.msg, "Subscriptions require indexes on join columns"));
    CHECK(q == NULL);
    CHECK_ERR(acquire(reg, s, "SELECT * FROM nope", &q, &eb), LC_ENOTFOUND);
    CHECK_ERR(acquire(reg, s, "SELECT * FROM r WHERE zz = 1", &q, &eb), LC_ENOTFOUND);
    CHECK_ERR(acquire(reg, s, "SELECT * FROM r WHERE a = 'x'", &q, &eb), LC_ETYPE);
    CHECK(acquire(reg, s, "SELECT a FROM r", &q, &eb) != 0);
    CHECK(acquire(reg, s, "DELETE FROM r", &q, &eb) != 0);
    CHECK(acquire(reg, s, "SELECT * FROM r WHERE", &q, &eb) != 0);
    CHECK_ERR(acquire(reg, s, "SELECT * FROM r WHERE id = :sender", &q, &eb), LC_ENOTSUP);
    CHECK_EQ(sub_registry_count(reg), 0);
    sub_registry_destroy(reg);
    store_destroy(s);
}

static int count_q(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    (void)row;
    (void)len;
    ++*(u32 *)ctx;
    return 0;
}

TEST(sub_prune_other_table)
{
    u32 tid;
    store *s = mk_store(&tid);
    CHECK(s);
    sub_registry *reg;
    CHECK_OK(sub_registry_create(&reg));
    lc_errbuf eb = {{0}};
    sub_query *q;
    CHECK_OK(acquire(reg, s, "SELECT * FROM r", &q, &eb));
    u32 oid;
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_id_from_name(&txn, "other", 5, &oid));
    u8 x[4] = {1, 0, 0, 0};
    CHECK_OK(store_insert(&txn, oid, x, 4, NULL, NULL));
    const store_txdata *td;
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK_EQ(td->table_count, 1);
    u32 n = 0;
    sub_delta_sink sink = {count_q, count_q, &n};
    CHECK_OK(sub_registry_eval_tx(reg, td, &sink));
    CHECK_EQ(n, 0);
    /* a change to r reaches it; a sink error stops evaluation and is returned */
    store_txn_begin(&txn, s);
    u8 row[ROW];
    row_make(row, 1, 2, 3, 4);
    CHECK_OK(store_insert(&txn, tid, row, ROW, NULL, NULL));
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK_OK(sub_registry_eval_tx(reg, td, &sink));
    CHECK_EQ(n, 1);
    sub_query_release(reg, q);
    sub_registry_destroy(reg);
    store_destroy(s);
}

TEST(sub_sender_is_per_caller)
{
    store *s;
    CHECK_OK(store_create(&s));
    lc_typespace ts;
    lc_typespace_init(&ts);
    store_column_def cols[] = {{"n", lc_type_prim(LC_T_U32)},
                               {"who", lc_type_special_get(&ts, LC_TS_IDENTITY)}};
    store_table_def def = {.name = "p", .is_public = true, .pk_col = -1, .col_count = 2,
                           .cols = cols};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 tid;
    lc_errbuf eb = {{0}};
    CHECK_OK(store_table_create(&txn, &def, &tid, &eb));
    u8 row[36] = {0};
    for (u32 i = 0; i < 3; i++) {
        lc_store_u32(row, i);
        memset(row + 4, (int)(i % 2) + 1, 32); /* callers 0x01.. and 0x02.. */
        CHECK_OK(store_insert(&txn, tid, row, sizeof row, NULL, NULL));
    }
    CHECK_OK(store_txn_commit(&txn, NULL));
    sub_registry *reg;
    CHECK_OK(sub_registry_create(&reg));
    u8 c1[32], c2[32];
    memset(c1, 1, 32);
    memset(c2, 2, 32);
    const char *sql = "SELECT * FROM p WHERE who = :sender";
    sub_query *q1, *q2, *q1b;
    store_read_begin(&txn, s);
    CHECK_OK(sub_query_acquire(reg, &txn, sql, strlen(sql), c1, &q1, &eb));
    CHECK_OK(sub_query_acquire(reg, &txn, sql, strlen(sql), c2, &q2, &eb));
    CHECK_OK(sub_query_acquire(reg, &txn, sql, strlen(sql), c1, &q1b, &eb));
    CHECK(q1 != q2);
    CHECK(q1 == q1b);
    u32 n1 = 0, n2 = 0;
    CHECK_OK(sub_query_eval_initial(q1, &txn, count_q, &n1));
    CHECK_OK(sub_query_eval_initial(q2, &txn, count_q, &n2));
    store_read_end(&txn);
    CHECK_EQ(n1, 2); /* i = 0, 2 */
    CHECK_EQ(n2, 1); /* i = 1 */
    sub_query_release(reg, q1);
    sub_query_release(reg, q1b);
    sub_query_release(reg, q2);
    CHECK_EQ(sub_registry_count(reg), 0);
    sub_registry_destroy(reg);
    store_destroy(s);
    lc_typespace_deinit(&ts);
}
