/*
 * tests/unit/test_sub_rand.c — the randomized subscription test (issue 6): random subscribers
 * (owner or client, three identities) on random queries — single-table filters, two-table
 * joins returning either side, self-joins, joins written without ON, :sender, private tables
 * for the owner — under a random row-level-security rule set, and random transactions over
 * three tables (inserts, deletes, updates, truncates). After every commit each subscriber's
 * incremental delta (sub_registry_eval_commit, bag semantics) must equal
 * diff(full evaluation before, full evaluation after) as bags, with no row both inserted and
 * deleted, where the full evaluation is sql_exec with the subscriber's own options
 * (restricted, caller, rules) — not sub/. Each subscriber's initial rows
 * (sub_query_eval_initial) must be that same bag too. The pruning indexes are exercised throughout: a
 * query they wrongly skip shows up as a missing delta.
 * LC_SUB_RAND_TXNS sets the number of transactions (default 10000); the seed is printed on
 * failure (LC_TEST_SEED repeats a run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sub/sub.h"

enum { NT = 3, NID = 20, NK = 5, NSUB = 28, ROWMAX = 48, BAGMAX = 512 };

/* a(id U32 pk, k U32 btree, v I32, who Identity); b(id U32 pk, k U32 hash, w I32, who
 * Identity); c(id U32 pk, k U32 btree, v I32) is private. Rows: 44, 44, 12 bytes. */
static const char *const tname[NT] = {"a", "b", "c"};
static const u32 rowlen[NT] = {44, 44, 12};

typedef struct model {
    bool has[NT][NID];
    u8 row[NT][NID][ROWMAX];
} model;

typedef struct brow {
    u32 len;
    u8 b[ROWMAX];
} brow;

typedef struct bag {
    u32 n;
    brow r[BAGMAX];
} bag;

static u64 rs;
static u32 rnd(u32 n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (u32)(rs % n);
}

static store *mk_store(lc_typespace *ts, u32 tid[NT])
{
    store *s;
    if (store_create(&s)) return NULL;
    const lc_type *u32t = lc_type_prim(LC_T_U32), *i32t = lc_type_prim(LC_T_I32);
    const lc_type *idt = lc_type_special_get(ts, LC_TS_IDENTITY);
    store_column_def ca[] = {{"id", u32t}, {"k", u32t}, {"v", i32t}, {"who", idt}};
    store_column_def cb[] = {{"id", u32t}, {"k", u32t}, {"w", i32t}, {"who", idt}};
    static const u16 c1 = 1;
    store_index_def ixa[] = {{NULL, STORE_INDEX_BTREE, false, 1, &c1}};
    store_index_def ixb[] = {{NULL, STORE_INDEX_HASH, false, 1, &c1}};
    store_table_def defs[NT] = {
        {.name = "a", .is_public = true, .pk_col = 0, .col_count = 4, .cols = ca,
         .index_count = 1, .indexes = ixa},
        {.name = "b", .is_public = true, .pk_col = 0, .col_count = 4, .cols = cb,
         .index_count = 1, .indexes = ixb},
        {.name = "c", .is_public = false, .pk_col = 0, .col_count = 3, .cols = ca,
         .index_count = 1, .indexes = ixa},
    };
    store_txn txn;
    store_txn_begin(&txn, s);
    lc_errbuf eb;
    for (int i = 0; i < NT; i++) {
        if (store_table_create(&txn, &defs[i], &tid[i], &eb)) {
            store_txn_abort(&txn);
            store_destroy(s);
            return NULL;
        }
    }
    if (store_txn_commit(&txn, NULL)) {
        store_destroy(s);
        return NULL;
    }
    return s;
}

static void row_make(int t, u8 *row, u32 id)
{
    lc_store_u32(row, id);
    lc_store_u32(row + 4, rnd(NK));
    lc_store_u32(row + 8, (u32)((i32)rnd(7) - 3));
    if (t < 2) memset(row + 12, (int)rnd(3) + 1, 32); /* identities 0x01.., 0x02.., 0x03.. */
}

/* ---- query generation ---- */

static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};

/* An atom over alias al of table t (0 a, 1 b, 2 c). */
static void gen_atom(char *out, size_t cap, const char *al, int t, bool sender_ok)
{
    const char *vcol = t == 1 ? "w" : "v";
    switch (rnd(sender_ok && t < 2 ? 6 : 5)) {
    case 0:
    case 1: snprintf(out, cap, "%s.k = %u", al, rnd(NK)); break;
    case 2: snprintf(out, cap, "%s.%s %s %d", al, vcol, ops[rnd(6)], (int)rnd(7) - 3); break;
    case 3: snprintf(out, cap, "%s.id %s %u", al, ops[rnd(6)], rnd(NID)); break;
    case 4: snprintf(out, cap, "%s.id %s %s.k", al, ops[rnd(6)], al); break;
    default: snprintf(out, cap, "%s.who = :sender", al); break;
    }
}

typedef struct alias {
    const char *al;
    int t;
} alias;

static void gen_expr(char *out, size_t cap, const alias *as, int nas, int depth, bool snd)
{
    u32 k = depth > 0 ? rnd(7) : 0;
    if (k <= 3) {
        const alias *a = &as[rnd((u32)nas)];
        gen_atom(out, cap, a->al, a->t, snd);
        return;
    }
    char l[512], r[512];
    gen_expr(l, sizeof l, as, nas, depth - 1, snd);
    gen_expr(r, sizeof r, as, nas, depth - 1, snd);
    if (k <= 5) snprintf(out, cap, "(%s) %s (%s)", l, k == 4 ? "AND" : "OR", r);
    else snprintf(out, cap, "NOT (%s)", l);
}

/* A random subscription query; owners may use the private table c. */
static void gen_query(char *out, size_t cap, bool owner, bool snd)
{
    char w[1200];
    u32 kind = rnd(owner ? 8 : 7);
    if (kind <= 1) {
        int t = (int)rnd(2);
        alias as[1] = {{tname[t], t}};
        gen_expr(w, sizeof w, as, 1, 2, snd);
        if (rnd(5)) snprintf(out, cap, "SELECT * FROM %s WHERE %s", tname[t], w);
        else snprintf(out, cap, "SELECT * FROM %s", tname[t]);
        return;
    }
    if (kind == 2) { /* self-join on the indexed k */
        alias as[2] = {{"x", 0}, {"y", 0}};
        gen_expr(w, sizeof w, as, 2, 1, snd);
        snprintf(out, cap, "SELECT %s.* FROM a x JOIN a y ON x.k = y.k WHERE %s",
                 rnd(2) ? "x" : "y", w);
        return;
    }
    if (kind == 3) { /* primary key of a against the hash index of b */
        alias as[2] = {{"a", 0}, {"b", 1}};
        gen_expr(w, sizeof w, as, 2, 1, snd);
        snprintf(out, cap, "SELECT %s.* FROM b JOIN a ON a.id = b.k WHERE %s",
                 rnd(2) ? "a" : "b", w);
        return;
    }
    if (kind == 7) { /* private table, owner only */
        alias as[2] = {{"c", 2}, {"a", 0}};
        gen_expr(w, sizeof w, as, 2, 1, snd);
        snprintf(out, cap, "SELECT %s.* FROM c JOIN a ON c.k = a.k WHERE %s",
                 rnd(2) ? "a" : "c", w);
        return;
    }
    alias as[2] = {{"a", 0}, {"b", 1}};
    gen_expr(w, sizeof w, as, 2, 2, snd);
    const char *ret = rnd(2) ? "a" : "b";
    if (kind == 4) snprintf(out, cap, "SELECT %s.* FROM a JOIN b WHERE a.k = b.k AND (%s)", ret, w);
    else if (kind == 5) snprintf(out, cap, "SELECT %s.* FROM a JOIN b ON a.k = b.k", ret);
    else snprintf(out, cap, "SELECT %s.* FROM a JOIN b ON a.k = b.k WHERE %s", ret, w);
}

/* ---- subscribers and bags ---- */

typedef struct subscriber {
    char sql[1400];
    u8 id[32];
    bool owner;
    sub_query *q;
    bag before;
} subscriber;

typedef struct world {
    store *s;
    u32 tid[NT];
    sub_registry *reg;
    subscriber sub[NSUB];
    const char *rls[5];
    u32 nrls;
    sub_query *dq[NSUB]; /* distinct queries */
    u32 ndq;
    bag ins[NSUB], del[NSUB];
    int bad;
} world;

static int bag_add(bag *b, const u8 *row, u32 len)
{
    if (b->n == BAGMAX || len > ROWMAX) return LC_ELIMIT;
    memcpy(b->r[b->n].b, row, len);
    b->r[b->n++].len = len;
    return 0;
}

static void bag_copy(bag *dst, const bag *src)
{
    dst->n = src->n;
    memcpy(dst->r, src->r, sizeof src->r[0] * src->n);
}

static int full_row(void *ctx, const u8 *row, u32 len) { return bag_add(ctx, row, len); }

static sql_exec_opts sub_opts(const world *w, const subscriber *s)
{
    return (sql_exec_opts){.caller_id = s->id, .restricted = !s->owner,
                           .rls_sql = w->rls, .rls_count = w->nrls};
}

static int full_eval(const world *w, const subscriber *s, bag *out)
{
    out->n = 0;
    sql_sink sink = {NULL, full_row, out};
    sql_exec_opts o = sub_opts(w, s);
    lc_errbuf eb = {{0}};
    int rc = sql_exec(w->s, s->sql, strlen(s->sql), &o, &sink, NULL, &eb);
    if (rc) fprintf(stderr, "full_eval(%s): %s\n", s->sql, eb.msg);
    return rc;
}

static u32 dq_index(world *w, const sub_query *q)
{
    for (u32 i = 0; i < w->ndq; i++)
        if (w->dq[i] == q) return i;
    return NSUB;
}

static int on_del(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    world *w = ctx;
    u32 i = dq_index(w, q);
    if (i == NSUB) return LC_EINVAL; /* a query nobody holds */
    return bag_add(&w->del[i], row, len);
}

static int on_ins(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    world *w = ctx;
    u32 i = dq_index(w, q);
    if (i == NSUB) return LC_EINVAL;
    return bag_add(&w->ins[i], row, len);
}

/* Multiset check: after - before == ins - del, and no row in both ins and del. */
static int brow_cmp(const void *a, const void *b)
{
    const brow *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(x->b, y->b, x->len);
}

static bool bag_delta_ok(bag *before, bag *after, bag *ins, bag *del)
{
    bag *all[4] = {before, after, ins, del};
    u32 at[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++) qsort(all[k]->r, all[k]->n, sizeof(brow), brow_cmp);
    for (;;) {
        const brow *min = NULL;
        for (int k = 0; k < 4; k++)
            if (at[k] < all[k]->n && (!min || brow_cmp(&all[k]->r[at[k]], min) < 0))
                min = &all[k]->r[at[k]];
        if (!min) return true;
        brow cur = *min;
        i32 n[4] = {0, 0, 0, 0};
        for (int k = 0; k < 4; k++)
            while (at[k] < all[k]->n && brow_cmp(&all[k]->r[at[k]], &cur) == 0) {
                n[k]++;
                at[k]++;
            }
        if ((n[2] && n[3]) || n[1] - n[0] != n[2] - n[3]) return false;
    }
}

/* ---- transactions ---- */

static int txn_op(store_txn *txn, world *w, model *m)
{
    int t = (int)rnd(NT);
    u32 id = rnd(NID), tid = w->tid[t];
    int rc = 0;
    if (m->has[t][id]) {
        bool del;
        rc = store_delete_row(txn, tid, m->row[t][id], rowlen[t], &del);
        if (!rc && !del) rc = LC_EINVAL;
        m->has[t][id] = false;
        if (rc || rnd(3) == 0) return rc; /* a delete, else an update */
    }
    u8 row[ROWMAX];
    row_make(t, row, id);
    rc = store_insert(txn, tid, row, rowlen[t], NULL, NULL);
    if (!rc) {
        m->has[t][id] = true;
        memcpy(m->row[t][id], row, rowlen[t]);
    }
    return rc;
}

static int random_txn(world *w, model *m, const store_txdata **td)
{
    store_txn txn;
    store_txn_begin(&txn, w->s);
    int rc = 0;
    if (rnd(100) == 0) {
        int t = (int)rnd(NT);
        u64 n;
        rc = store_clear(&txn, w->tid[t], &n);
        memset(m->has[t], 0, sizeof m->has[t]);
    }
    u32 nops = 1 + rnd(rnd(8) == 0 ? 12 : 4);
    for (u32 i = 0; i < nops && !rc; i++) rc = txn_op(&txn, w, m);
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    return store_txn_commit(&txn, td);
}

static const char *const rule_pool[] = {
    "SELECT * FROM b WHERE who = :sender",
    "SELECT * FROM b WHERE w > 1",
    "SELECT a.* FROM a WHERE a.v <> 0",
    "SELECT * FROM a WHERE who = :sender OR k = 2",
    "SELECT * FROM b WHERE b.k = 1", /* alone, a search argument for b */
};

static void world_rules(world *w)
{
    w->nrls = 0;
    for (u32 i = 0; i < 5; i++)
        if (rnd(2)) w->rls[w->nrls++] = rule_pool[i];
}

static int init_row(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return bag_add(ctx, row, len);
}

/* The subscriber's initial rows (sub/) must be the bag sql_exec gives. */
static bool initial_ok(world *w, subscriber *s)
{
    static bag init, none;
    init.n = 0;
    none.n = 0;
    store_txn txn;
    store_read_begin(&txn, w->s);
    int rc = sub_query_eval_initial(s->q, &txn, init_row, &init);
    store_read_end(&txn);
    if (rc || full_eval(w, s, &s->before)) return false;
    /* before == init as bags: the delta from init to before is empty */
    bool ok = bag_delta_ok(&init, &s->before, &none, &none);
    if (!ok) fprintf(stderr, "initial rows of %s differ from sql_exec\n", s->sql);
    return ok;
}

static int world_subscribe(world *w, lc_errbuf *eb)
{
    store_txn txn;
    store_read_begin(&txn, w->s);
    int rc = 0;
    for (int i = 0; i < NSUB && !rc; i++) {
        subscriber *s = &w->sub[i];
        s->owner = rnd(5) == 0;
        memset(s->id, (int)rnd(3) + 1, 32);
        if (i >= 4 && rnd(4) == 0) { /* the same text as an earlier subscriber */
            strcpy(s->sql, w->sub[rnd((u32)i)].sql);
            if (!s->owner && strstr(s->sql, " c ")) s->owner = true;
        } else {
            gen_query(s->sql, sizeof s->sql, s->owner, true);
        }
        sub_auth auth = {s->id, s->owner, w->rls, w->nrls};
        rc = sub_query_acquire_as(w->reg, &txn, s->sql, strlen(s->sql), &auth, &s->q, eb);
        if (rc) fprintf(stderr, "acquire(%s): %s\n", s->sql, eb->msg);
        if (!rc && dq_index(w, s->q) == NSUB) w->dq[w->ndq++] = s->q;
    }
    store_read_end(&txn);
    return rc;
}

/* One commit: evaluate, then compare each subscriber with its full re-evaluation. */
static bool world_step(world *w, model *m, u32 t)
{
    const store_txdata *td;
    if (random_txn(w, m, &td)) return false;
    for (u32 i = 0; i < w->ndq; i++) w->ins[i].n = w->del[i].n = 0;
    store_txn rt;
    store_read_begin(&rt, w->s);
    sub_delta_sink sink = {on_del, on_ins, w};
    int rc = sub_registry_eval_commit(w->reg, &rt, td, &sink);
    store_read_end(&rt);
    if (rc) {
        fprintf(stderr, "txn %u: eval_commit %d\n", t, rc);
        return false;
    }
    static bag after;
    for (int i = 0; i < NSUB; i++) {
        subscriber *s = &w->sub[i];
        u32 qi = dq_index(w, s->q);
        if (full_eval(w, s, &after)) return false;
        if (!bag_delta_ok(&s->before, &after, &w->ins[qi], &w->del[qi])) {
            fprintf(stderr, "txn %u subscriber %d (%s, %s, rules %u): delta != diff\n", t, i,
                    s->sql, s->owner ? "owner" : "client", w->nrls);
            return false;
        }
        bag_copy(&s->before, &after);
    }
    return true;
}

TEST(sub_rand_joins_rls_incremental_vs_full)
{
    rs = lc_test_seed() | 1;
    const char *env = getenv("LC_SUB_RAND_TXNS");
    u32 ntx = env ? (u32)strtoul(env, NULL, 10) : 10000;
    static world w;
    static model m;
    memset(&w, 0, sizeof w);
    memset(&m, 0, sizeof m);
    lc_typespace ts;
    lc_typespace_init(&ts);
    w.s = mk_store(&ts, w.tid);
    CHECK(w.s);
    CHECK_OK(sub_registry_create(&w.reg));
    lc_errbuf eb = {{0}};
    world_rules(&w);
    u32 rounds = ntx >= 2000 ? ntx / 1000 : 1, per = ntx / rounds, done = 0;
    for (u32 round = 0; round < rounds; round++) {
        /* new subscribers each round: subscribing to a populated database too */
        CHECK_OK(world_subscribe(&w, &eb));
        for (int i = 0; i < NSUB; i++) CHECK(initial_ok(&w, &w.sub[i]));
        for (u32 t = 0; t < per; t++, done++) CHECK(world_step(&w, &m, done));
        for (int i = 0; i < NSUB; i++) sub_query_release(w.reg, w.sub[i].q);
        CHECK_EQ(sub_registry_count(w.reg), 0);
        w.ndq = 0;
    }
    sub_registry_destroy(w.reg);
    store_destroy(w.s);
    lc_typespace_deinit(&ts);
}
