/*
 * tests/unit/test_sub_join.c — join subscriptions, pruning and authorization, case by case:
 * initial rows with multiplicity, incremental deltas when one or both sides change (bag
 * semantics and cancellation as SpacetimeDB), refused joins with SpacetimeDB's wording, the
 * search-argument pruning index, private tables and row-level security for clients in both
 * subscriptions and sql_exec. The randomized cross-check is test_sub_rand.c.
 */
#include <string.h>

#include "harness.h"
#include "sub/sub.h"

/* u(id U32 pk, team U32 btree, who Identity) public; m(id U32 pk, team U32 hash, n I32)
 * public; sec(id U32 pk) private; loose(x U32) public without index. */
typedef struct fix {
    store *s;
    lc_typespace ts;
    u32 u, m, sec, loose;
    sub_registry *reg;
} fix;

static bool fix_init(fix *f)
{
    memset(f, 0, sizeof *f);
    lc_typespace_init(&f->ts);
    if (store_create(&f->s)) return false;
    const lc_type *u32t = lc_type_prim(LC_T_U32), *i32t = lc_type_prim(LC_T_I32);
    store_column_def cu[] = {{"id", u32t}, {"team", u32t},
                             {"who", lc_type_special_get(&f->ts, LC_TS_IDENTITY)}};
    store_column_def cm[] = {{"id", u32t}, {"team", u32t}, {"n", i32t}};
    store_column_def cx[] = {{"x", u32t}};
    static const u16 c1 = 1;
    store_index_def ixb[] = {{NULL, STORE_INDEX_BTREE, false, 1, &c1}};
    store_index_def ixh[] = {{NULL, STORE_INDEX_HASH, false, 1, &c1}};
    store_table_def du = {.name = "u", .is_public = true, .pk_col = 0, .col_count = 3,
                          .cols = cu, .index_count = 1, .indexes = ixb};
    store_table_def dm = {.name = "m", .is_public = true, .pk_col = 0, .col_count = 3,
                          .cols = cm, .index_count = 1, .indexes = ixh};
    store_table_def ds = {.name = "sec", .is_public = false, .pk_col = 0, .col_count = 1,
                          .cols = cx};
    store_table_def dl = {.name = "loose", .is_public = true, .pk_col = -1, .col_count = 1,
                          .cols = cx};
    store_txn txn;
    store_txn_begin(&txn, f->s);
    lc_errbuf eb;
    if (store_table_create(&txn, &du, &f->u, &eb) || store_table_create(&txn, &dm, &f->m, &eb) ||
        store_table_create(&txn, &ds, &f->sec, &eb) ||
        store_table_create(&txn, &dl, &f->loose, &eb) || store_txn_commit(&txn, NULL))
        return false;
    return sub_registry_create(&f->reg) == 0;
}

static void fix_deinit(fix *f)
{
    sub_registry_destroy(f->reg);
    store_destroy(f->s);
    lc_typespace_deinit(&f->ts);
}

static void urow(u8 *r, u32 id, u32 team, u8 who)
{
    lc_store_u32(r, id);
    lc_store_u32(r + 4, team);
    memset(r + 8, who, 32);
}

static void mrow(u8 *r, u32 id, u32 team, i32 n)
{
    lc_store_u32(r, id);
    lc_store_u32(r + 4, team);
    lc_store_u32(r + 8, (u32)n);
}

/* A recorded delta: (sign, first u32 of the row) pairs. */
typedef struct rec {
    u32 n;
    int sign[64];
    u32 id[64];
    u32 len[64];
} rec;

static int rec_row(rec *r, int sign, const u8 *row, u32 len)
{
    if (r->n == 64) return LC_ELIMIT;
    r->sign[r->n] = sign;
    r->id[r->n] = lc_load_u32(row);
    r->len[r->n++] = len;
    return 0;
}

static int on_del(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return rec_row(ctx, -1, row, len);
}

static int on_ins(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return rec_row(ctx, +1, row, len);
}

static int on_init(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return rec_row(ctx, +1, row, len);
}

/* How many times id appears with sign in r. */
static u32 rec_count(const rec *r, int sign, u32 id)
{
    u32 n = 0;
    for (u32 i = 0; i < r->n; i++) n += r->sign[i] == sign && r->id[i] == id;
    return n;
}

static int acq(fix *f, const char *sql, const sub_auth *auth, sub_query **q, lc_errbuf *eb)
{
    store_txn txn;
    store_read_begin(&txn, f->s);
    sub_auth owner = {NULL, true, NULL, 0};
    int rc = sub_query_acquire_as(f->reg, &txn, sql, strlen(sql), auth ? auth : &owner, q, eb);
    store_read_end(&txn);
    return rc;
}

static int initial(fix *f, sub_query *q, rec *out)
{
    memset(out, 0, sizeof *out);
    store_txn txn;
    store_read_begin(&txn, f->s);
    int rc = sub_query_eval_initial(q, &txn, on_init, out);
    store_read_end(&txn);
    return rc;
}

/* ops: 'u'/'m' insert, 'U'/'M' delete, of the given rows. */
typedef struct op {
    char kind;
    u8 row[40];
} op;

static int commit_ops(fix *f, const op *ops, u32 n, rec *out, bool own_txn)
{
    memset(out, 0, sizeof *out);
    store_txn txn;
    store_txn_begin(&txn, f->s);
    int rc = 0;
    for (u32 i = 0; i < n && !rc; i++) {
        bool is_u = ops[i].kind == 'u' || ops[i].kind == 'U';
        u32 tid = is_u ? f->u : f->m, len = is_u ? 40 : 12;
        if (ops[i].kind == 'u' || ops[i].kind == 'm')
            rc = store_insert(&txn, tid, ops[i].row, len, NULL, NULL);
        else
            rc = store_delete_row(&txn, tid, ops[i].row, len, NULL);
    }
    const store_txdata *td;
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    if ((rc = store_txn_commit(&txn, &td))) return rc;
    sub_delta_sink sink = {on_del, on_ins, out};
    if (!own_txn) return sub_registry_eval_tx(f->reg, td, &sink);
    store_read_begin(&txn, f->s);
    rc = sub_registry_eval_commit(f->reg, &txn, td, &sink);
    store_read_end(&txn);
    return rc;
}

TEST(sub_join_initial_and_deltas)
{
    fix f;
    CHECK(fix_init(&f));
    op ops[4];
    rec r;
    ops[0].kind = 'u';
    urow(ops[0].row, 1, 10, 1);
    ops[1].kind = 'u';
    urow(ops[1].row, 2, 20, 1);
    ops[2].kind = 'm';
    mrow(ops[2].row, 100, 10, 5);
    ops[3].kind = 'm';
    mrow(ops[3].row, 101, 10, 6);
    CHECK_OK(commit_ops(&f, ops, 4, &r, true));
    lc_errbuf eb = {{0}};
    sub_query *q;
    CHECK_OK(acq(&f, "SELECT u.* FROM u JOIN m ON u.team = m.team", NULL, &q, &eb));
    CHECK(sub_query_is_join(q));
    CHECK_EQ(sub_query_table_id(q), f.u);
    u32 ids[2];
    CHECK_EQ(sub_query_table_ids(q, ids), 2);
    CHECK_EQ(ids[0], f.u);
    CHECK_EQ(ids[1], f.m);
    CHECK_OK(initial(&f, q, &r));
    CHECK_EQ(r.n, 2); /* u1 joined to two m rows: twice */
    CHECK_EQ(rec_count(&r, +1, 1), 2);
    CHECK_EQ(r.len[0], 40);
    /* a third m row on team 10: u1 once more */
    ops[0].kind = 'm';
    mrow(ops[0].row, 102, 10, 7);
    CHECK_OK(commit_ops(&f, ops, 1, &r, true));
    CHECK_EQ(r.n, 1);
    CHECK_EQ(rec_count(&r, +1, 1), 1);
    /* new u row on team 20 and an m row for it in the same transaction: u2 once (not
     * twice: ΔR⁺⋈S′ and R′⋈ΔS⁺ both see the pair, ΔR⁺⋈ΔS⁺ takes one back) */
    ops[0].kind = 'm';
    mrow(ops[0].row, 103, 20, 1);
    ops[1].kind = 'u';
    urow(ops[1].row, 3, 20, 2);
    CHECK_OK(commit_ops(&f, ops, 2, &r, false)); /* the txn-less entry point */
    CHECK_EQ(r.n, 2);
    CHECK_EQ(rec_count(&r, +1, 2), 1);
    CHECK_EQ(rec_count(&r, +1, 3), 1);
    /* replace one m row of team 10 by another: u1's count is unchanged, nothing is sent */
    ops[0].kind = 'M';
    mrow(ops[0].row, 100, 10, 5);
    ops[1].kind = 'm';
    mrow(ops[1].row, 104, 10, 0);
    CHECK_OK(commit_ops(&f, ops, 2, &r, true));
    CHECK_EQ(r.n, 0);
    /* move u1 to team 20 (delete + insert): deleted 3 times, inserted once */
    ops[0].kind = 'U';
    urow(ops[0].row, 1, 10, 1);
    ops[1].kind = 'u';
    urow(ops[1].row, 1, 20, 1);
    CHECK_OK(commit_ops(&f, ops, 2, &r, true));
    CHECK_EQ(rec_count(&r, -1, 1), 3);
    CHECK_EQ(rec_count(&r, +1, 1), 1);
    CHECK_EQ(r.n, 4);
    CHECK(r.sign[0] == -1 && r.sign[3] == +1); /* deletes first */
    sub_query_release(f.reg, q);
    CHECK_EQ(sub_registry_count(f.reg), 0);
    fix_deinit(&f);
}

TEST(sub_join_other_side_and_where)
{
    fix f;
    CHECK(fix_init(&f));
    lc_errbuf eb = {{0}};
    sub_query *q, *q2;
    /* returns m rows whose team has a user 0x02..; JOIN without ON, equality in WHERE */
    CHECK_OK(acq(&f, "SELECT m.* FROM u JOIN m WHERE u.team = m.team AND u.who = 0x"
                     "0202020202020202020202020202020202020202020202020202020202020202",
                 NULL, &q, &eb));
    CHECK_EQ(sub_query_table_id(q), f.m);
    CHECK_OK(acq(&f, "SELECT x.* FROM u x JOIN u y ON x.team = y.team WHERE y.id = 7", NULL,
                 &q2, &eb));
    op ops[3];
    rec r;
    ops[0].kind = 'm';
    mrow(ops[0].row, 100, 1, 5);
    ops[1].kind = 'u';
    urow(ops[1].row, 7, 1, 2);
    ops[2].kind = 'u';
    urow(ops[2].row, 8, 1, 1);
    CHECK_OK(commit_ops(&f, ops, 3, &r, true));
    /* q: m100 once (only u7 has who 0x02); q2: u7 and u8 (same team as u7) */
    CHECK_EQ(rec_count(&r, +1, 100), 1);
    CHECK_EQ(rec_count(&r, +1, 7), 1);
    CHECK_EQ(rec_count(&r, +1, 8), 1);
    CHECK_EQ(r.n, 3);
    ops[0].kind = 'U';
    urow(ops[0].row, 7, 1, 2);
    CHECK_OK(commit_ops(&f, ops, 1, &r, true));
    CHECK_EQ(rec_count(&r, -1, 100), 1);
    CHECK_EQ(rec_count(&r, -1, 7), 1);
    CHECK_EQ(rec_count(&r, -1, 8), 1);
    CHECK_EQ(r.n, 3);
    sub_query_release(f.reg, q);
    sub_query_release(f.reg, q2);
    fix_deinit(&f);
}

TEST(sub_join_refused)
{
    fix f;
    CHECK(fix_init(&f));
    lc_errbuf eb = {{0}};
    sub_query *q = NULL;
    CHECK_ERR(acq(&f, "SELECT u.* FROM u JOIN loose ON u.team = loose.x", NULL, &q, &eb),
              LC_ENOTSUP);
    CHECK(strstr(eb.msg, "Subscriptions require indexes on join columns"));
    /* u.id has an index (pk) but loose.x has none, whichever side is returned */
    CHECK_ERR(acq(&f, "SELECT loose.* FROM loose JOIN u ON loose.x = u.id", NULL, &q, &eb),
              LC_ENOTSUP);
    CHECK(strstr(eb.msg, "Subscriptions require indexes on join columns"));
    CHECK_ERR(acq(&f, "SELECT u.* FROM u JOIN m", NULL, &q, &eb), LC_ENOTSUP);
    CHECK_ERR(acq(&f, "SELECT u.* FROM u CROSS JOIN m WHERE u.team > m.team", NULL, &q, &eb),
              LC_ENOTSUP);
    CHECK_ERR(acq(&f, "SELECT * FROM u JOIN m ON u.team = m.team", NULL, &q, &eb), LC_ENOTSUP);
    CHECK(strstr(eb.msg, "SELECT * is not supported for joins"));
    CHECK(acq(&f, "SELECT u.* FROM u JOIN m ON u.team = m.team JOIN u v ON v.id = u.id", NULL,
              &q, &eb) != 0);
    CHECK(strstr(eb.msg, "Invalid number of tables"));
    CHECK_ERR(acq(&f, "SELECT z.* FROM u JOIN m ON u.team = m.team", NULL, &q, &eb),
              LC_ENOTFOUND);
    CHECK(q == NULL);
    CHECK_EQ(sub_registry_count(f.reg), 0);
    fix_deinit(&f);
}

static int commit_one(fix *f, char kind, const u8 *row, const store_txdata **td)
{
    op o = {.kind = kind};
    memcpy(o.row, row, 40);
    store_txn txn;
    store_txn_begin(&txn, f->s);
    u32 tid = kind == 'u' || kind == 'U' ? f->u : f->m, len = tid == f->u ? 40 : 12;
    int rc = kind == 'u' || kind == 'm' ? store_insert(&txn, tid, o.row, len, NULL, NULL)
                                        : store_delete_row(&txn, tid, o.row, len, NULL);
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    return store_txn_commit(&txn, td);
}

TEST(sub_prune_by_equality_constant)
{
    fix f;
    CHECK(fix_init(&f));
    lc_errbuf eb = {{0}};
    sub_query *q3, *q4, *qj, *qall;
    CHECK_OK(acq(&f, "SELECT * FROM u WHERE team = 3", NULL, &q3, &eb));
    CHECK_OK(acq(&f, "SELECT * FROM u WHERE id > 0 AND u.team = 4", NULL, &q4, &eb));
    /* join: search argument on m (team = 9); u is reached through the join edge: a changed u
     * row matters only if an m row of its team has team = 9 */
    CHECK_OK(acq(&f, "SELECT u.* FROM u JOIN m ON u.team = m.team WHERE m.team = 9", NULL, &qj,
                 &eb));
    u8 row[40];
    const store_txdata *td;
    urow(row, 1, 5, 1);
    CHECK_OK(commit_one(&f, 'u', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 0); /* no m row of team 5 */
    mrow(row, 50, 5, 0);
    CHECK_OK(commit_one(&f, 'm', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 0); /* m.team 5 != 9 */
    mrow(row, 51, 9, 0);
    CHECK_OK(commit_one(&f, 'm', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 1);
    urow(row, 2, 3, 1);
    CHECK_OK(commit_one(&f, 'u', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 1); /* q3 */
    /* the delete of a team-3 row reaches q3 too */
    CHECK_OK(commit_one(&f, 'U', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 1);
    urow(row, 5, 9, 1);
    CHECK_OK(commit_one(&f, 'u', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 1); /* qj through the edge (m51) */
    rec r;
    CHECK_OK(initial(&f, qj, &r));
    CHECK_EQ(r.n, 1);
    CHECK_OK(acq(&f, "SELECT * FROM u", NULL, &qall, &eb));
    urow(row, 3, 4, 1);
    CHECK_OK(commit_one(&f, 'u', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 2); /* q4, qall */
    sub_query_release(f.reg, q3);
    urow(row, 4, 3, 1);
    CHECK_OK(commit_one(&f, 'u', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 1); /* qall */
    sub_query_release(f.reg, q4);
    sub_query_release(f.reg, qj);
    sub_query_release(f.reg, qall);
    CHECK_OK(commit_one(&f, 'U', row, &td));
    CHECK_EQ(sub_registry_candidate_count(f.reg, td), 0);
    fix_deinit(&f);
}

static int count_row(void *ctx, const u8 *row, u32 len)
{
    (void)row;
    (void)len;
    ++*(u32 *)ctx;
    return 0;
}

static int sql_count(fix *f, const char *sql, const sql_exec_opts *o, u32 *n, lc_errbuf *eb)
{
    *n = 0;
    sql_sink sink = {NULL, count_row, n};
    return sql_exec(f->s, sql, strlen(sql), o, &sink, NULL, eb);
}

TEST(sub_private_tables_hidden_from_clients)
{
    fix f;
    CHECK(fix_init(&f));
    lc_errbuf eb = {{0}};
    u8 id[32];
    memset(id, 7, 32);
    sub_auth client = {id, false, NULL, 0};
    sub_query *q = NULL, *qo;
    CHECK_ERR(acq(&f, "SELECT * FROM sec", &client, &q, &eb), LC_ENOTFOUND);
    CHECK_STR(eb.msg, "no such table: `sec`. If the table exists, it may be marked private. "
                      "at 1:15");
    CHECK_ERR(acq(&f, "SELECT u.* FROM u JOIN sec ON u.id = sec.x", &client, &q, &eb),
              LC_ENOTFOUND);
    CHECK(q == NULL);
    CHECK_OK(acq(&f, "SELECT * FROM sec", NULL, &qo, &eb)); /* the owner sees it */
    /* the owner's query is not shared with a client (it is refused before any lookup) */
    CHECK_ERR(acq(&f, "SELECT * FROM sec", &client, &q, &eb), LC_ENOTFOUND);
    CHECK_EQ(sub_query_refcount(qo), 1);
    sub_query_release(f.reg, qo);
    sql_exec_opts ro = {.caller_id = id, .restricted = true};
    u32 n;
    CHECK_ERR(sql_count(&f, "SELECT * FROM sec", &ro, &n, &eb), LC_ENOTFOUND);
    CHECK(strstr(eb.msg, "may be marked private"));
    CHECK_OK(sql_count(&f, "SELECT * FROM sec", NULL, &n, &eb));
    CHECK_OK(sql_count(&f, "SELECT * FROM u", &ro, &n, &eb));
    CHECK_ERR(sql_count(&f, "INSERT INTO u (id, team, who) VALUES (1, 1, 0x01)", &ro, &n, &eb),
              LC_EPERM);
    CHECK(strstr(eb.msg, "is not authorized to run SQL DML statements"));
    CHECK(strstr(eb.msg, "0707070707"));
    CHECK_ERR(sql_count(&f, "DELETE FROM u", &ro, &n, &eb), LC_EPERM);
    CHECK_ERR(sql_count(&f, "SET row_limit = 5", &ro, &n, &eb), LC_EPERM);
    fix_deinit(&f);
}

TEST(sub_rls_filters_clients_only)
{
    fix f;
    CHECK(fix_init(&f));
    op ops[4];
    rec r;
    for (u32 i = 0; i < 4; i++) {
        ops[i].kind = 'u';
        urow(ops[i].row, i, i % 2, (u8)(i % 2 + 1)); /* u0,u2: who 0x01 team 0; u1,u3: 0x02 */
    }
    CHECK_OK(commit_ops(&f, ops, 4, &r, true));
    static const char *const rules[] = {"SELECT * FROM u WHERE u.who = :sender",
                                        "SELECT * FROM u WHERE id = 3"};
    u8 c1[32], c2[32];
    memset(c1, 1, 32);
    memset(c2, 2, 32);
    sub_auth a1 = {c1, false, rules, 2}, a2 = {c2, false, rules, 2}, own = {c1, true, rules, 2};
    lc_errbuf eb = {{0}};
    sub_query *q1, *q2, *qo, *q1b;
    CHECK_OK(acq(&f, "SELECT * FROM u", &a1, &q1, &eb));
    CHECK_OK(acq(&f, "SELECT * FROM u", &a2, &q2, &eb));
    CHECK_OK(acq(&f, "SELECT * FROM u", &own, &qo, &eb));
    CHECK_OK(acq(&f, "select * from u", &a1, &q1b, &eb));
    CHECK(q1 != q2 && q1 != qo && q2 != qo); /* RLS with :sender: per identity */
    CHECK(q1 == q1b);
    CHECK_OK(initial(&f, q1, &r));
    CHECK_EQ(r.n, 3); /* u0, u2 (own) and u3 (second rule) */
    CHECK_EQ(rec_count(&r, +1, 3), 1);
    CHECK_OK(initial(&f, q2, &r));
    CHECK_EQ(r.n, 2); /* u1, u3: u3 matches both rules and is visible once */
    CHECK_OK(initial(&f, qo, &r));
    CHECK_EQ(r.n, 4);
    /* one-off queries see the same */
    sql_exec_opts o1 = {.caller_id = c1, .restricted = true, .rls_sql = rules, .rls_count = 2};
    u32 n;
    CHECK_OK(sql_count(&f, "SELECT * FROM u", &o1, &n, &eb));
    CHECK_EQ(n, 3);
    CHECK_OK(sql_count(&f, "SELECT u.* FROM u JOIN m ON u.team = m.team", &o1, &n, &eb));
    CHECK_EQ(n, 0);
    CHECK_OK(sql_count(&f, "SELECT * FROM u WHERE team = 1", &o1, &n, &eb));
    CHECK_EQ(n, 1);
    o1.restricted = false;
    CHECK_OK(sql_count(&f, "SELECT * FROM u", &o1, &n, &eb));
    CHECK_EQ(n, 4);
    /* deltas: a new 0x02 row reaches client 2 and the owner, not client 1 */
    ops[0].kind = 'u';
    urow(ops[0].row, 9, 0, 2);
    CHECK_OK(commit_ops(&f, ops, 1, &r, true));
    CHECK_EQ(r.n, 2);
    sub_query_release(f.reg, q1);
    sub_query_release(f.reg, q1b);
    sub_query_release(f.reg, q2);
    sub_query_release(f.reg, qo);
    fix_deinit(&f);
}

TEST(sub_rls_sharing_and_refusals)
{
    fix f;
    CHECK(fix_init(&f));
    static const char *const rules[] = {"SELECT * FROM m WHERE n > 0"};
    static const char *const join_rule[] = {"SELECT m.* FROM m JOIN u ON m.team = u.team"};
    u8 c1[32], c2[32];
    memset(c1, 1, 32);
    memset(c2, 2, 32);
    sub_auth a1 = {c1, false, rules, 1}, a2 = {c2, false, rules, 1};
    lc_errbuf eb = {{0}};
    sub_query *q1, *q2, *qu1, *qu2, *qo;
    /* the rule does not use :sender: clients share */
    CHECK_OK(acq(&f, "SELECT * FROM m", &a1, &q1, &eb));
    CHECK_OK(acq(&f, "SELECT * FROM m", &a2, &q2, &eb));
    CHECK(q1 == q2);
    CHECK_OK(acq(&f, "SELECT * FROM m", NULL, &qo, &eb));
    CHECK(qo != q1);
    /* no rule on u: clients and the owner share */
    CHECK_OK(acq(&f, "SELECT * FROM u", &a1, &qu1, &eb));
    CHECK_OK(acq(&f, "SELECT * FROM u", NULL, &qu2, &eb));
    CHECK(qu1 == qu2);
    CHECK_EQ(sub_registry_count(f.reg), 3);
    sub_auth aj = {c1, false, join_rule, 1};
    sub_query *q = NULL;
    CHECK_ERR(acq(&f, "SELECT * FROM m", &aj, &q, &eb), LC_ENOTSUP);
    CHECK(strstr(eb.msg, "row-level security rules with joins"));
    static const char *const bad_rule[] = {"SELECT * FROM m WHERE nope = 1"};
    sub_auth ab = {c1, false, bad_rule, 1};
    CHECK_ERR(acq(&f, "SELECT * FROM m", &ab, &q, &eb), LC_ENOTFOUND);
    sub_query_release(f.reg, q1);
    sub_query_release(f.reg, q2);
    sub_query_release(f.reg, qo);
    sub_query_release(f.reg, qu1);
    sub_query_release(f.reg, qu2);
    CHECK_EQ(sub_registry_count(f.reg), 0);
    fix_deinit(&f);
}
