/*
 * tests/unit/test_store_model.c — randomized model test of store/.
 *
 * The same random operations run on the store and on a trivially correct model (a plain
 * array of rows): inserts (including identical rows and unique violations on the pk and on a
 * unique string column), deletes by value, updates through the pk and through the unique
 * string index, range deletes and point/range reads on a non-unique signed index, clears,
 * then commit or rollback. After every transaction the table's rows must equal the model's,
 * store_table_check must hold, and a committed transaction's TxData must equal the model's
 * net diff. At the end the whole log of encoded TxData is replayed into a fresh store and a
 * snapshot is round-tripped; both must equal the model.
 *
 * LC_STORE_MODEL_TXNS sets the number of transactions (default 3000; nightly: 200000).
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "harness.h"
#include "store/store.h"

#define MAXROWS 256
#define RB 24 /* fixed-size comparable image of a row */

typedef struct mrow {
    u32 id;
    i16 k;
    u8 s; /* the string is "s<u8>" */
} mrow;

typedef struct model {
    mrow rows[MAXROWS];
    u32 n;
} model;

static u64 rs;
static u32 rnd(u32 n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (u32)(rs % n);
}

static size_t enc(const mrow *r, u8 *out)
{
    char s[8];
    int sl = snprintf(s, sizeof s, "s%u", r->s);
    lc_store_u32(out, r->id);
    lc_store_u16(out + 4, (u16)r->k);
    lc_store_u32(out + 6, (u32)sl);
    memcpy(out + 10, s, (size_t)sl);
    return 10 + (size_t)sl;
}

static void image(const u8 *row, u32 len, u8 *out)
{
    memset(out, 0, RB);
    memcpy(out, row, len < RB ? len : RB);
}

static int cmp_img(const void *a, const void *b) { return memcmp(a, b, RB); }

static int find(const model *m, mrow r, int mode) /* 0 identical, 1 id, 2 s */
{
    for (u32 i = 0; i < m->n; i++) {
        const mrow *x = &m->rows[i];
        if (mode == 0 && x->id == r.id && x->k == r.k && x->s == r.s) return (int)i;
        if (mode == 1 && x->id == r.id) return (int)i;
        if (mode == 2 && x->s == r.s) return (int)i;
    }
    return -1;
}

static void del_at(model *m, u32 i) { m->rows[i] = m->rows[--m->n]; }

static mrow rand_row(void)
{
    return (mrow){rnd(48), (i16)((int)rnd(17) - 8), (u8)rnd(48)};
}

typedef struct ctx {
    store *s;
    u32 tid, ix_pk, ix_k, ix_s;
    model committed, cur;
    lc_buf log;
    u32 *lens;
    u32 nlog, caplog;
} ctx;

/* Returns the expected error code, applying the op to the model. */
static int model_insert(model *m, mrow r)
{
    if (find(m, r, 0) >= 0) return 0;
    if (find(m, r, 1) >= 0 || find(m, r, 2) >= 0) return LC_EUNIQUE;
    if (m->n == MAXROWS) return -999;
    m->rows[m->n++] = r;
    return 0;
}

static int model_update(model *m, mrow r, int key_mode)
{
    int old = find(m, r, key_mode);
    if (old < 0) return LC_ENOTFOUND;
    int other = find(m, r, key_mode == 1 ? 2 : 1);
    if (other >= 0 && other != old) return LC_EUNIQUE;
    m->rows[old] = r;
    return 0;
}

static void op_insert(ctx *c, store_txn *txn)
{
    mrow r = c->cur.n && rnd(4) == 0 ? c->cur.rows[rnd(c->cur.n)] : rand_row();
    int want = model_insert(&c->cur, r);
    if (want == -999) return;
    u8 b[32];
    size_t n = enc(&r, b);
    CHECK_ERR(store_insert(txn, c->tid, b, n, NULL, NULL), want);
}

static void op_delete(ctx *c, store_txn *txn)
{
    mrow r = c->cur.n && rnd(3) ? c->cur.rows[rnd(c->cur.n)] : rand_row();
    int at = find(&c->cur, r, 0);
    if (at >= 0) del_at(&c->cur, (u32)at);
    u8 b[32];
    size_t n = enc(&r, b);
    bool deleted;
    CHECK_OK(store_delete_row(txn, c->tid, b, n, &deleted));
    CHECK_EQ(deleted, at >= 0);
}

static void op_update(ctx *c, store_txn *txn, int key_mode)
{
    mrow r = rand_row();
    if (c->cur.n && rnd(3)) {
        const mrow *o = &c->cur.rows[rnd(c->cur.n)];
        if (key_mode == 1) r.id = o->id;
        else r.s = o->s;
    }
    int want = model_update(&c->cur, r, key_mode);
    u8 b[32];
    size_t n = enc(&r, b);
    CHECK_ERR(store_update(txn, key_mode == 1 ? c->ix_pk : c->ix_s, b, n, NULL), want);
}

/* Bound on k: tag (0 incl, 1 excl, 2 unbounded) + i16. */
static size_t bound(u8 *b, u8 tag, i16 v)
{
    b[0] = tag;
    if (tag == 2) return 1;
    lc_store_u16(b + 1, (u16)v);
    return 3;
}

static bool in_range(i16 k, u8 lt, i16 lv, u8 ht, i16 hv)
{
    if (lt == 0 && k < lv) return false;
    if (lt == 1 && k <= lv) return false;
    if (ht == 0 && k > hv) return false;
    if (ht == 1 && k >= hv) return false;
    return true;
}

static void op_range(ctx *c, store_txn *txn, bool is_delete)
{
    u8 lt = (u8)rnd(3), ht = (u8)rnd(3);
    i16 lv = (i16)((int)rnd(19) - 9), hv = (i16)((int)rnd(19) - 9);
    u8 lb[3], hb[3];
    size_t ll = bound(lb, lt, lv), hl = bound(hb, ht, hv);
    u32 want = 0;
    for (u32 i = 0; i < c->cur.n; i++) want += in_range(c->cur.rows[i].k, lt, lv, ht, hv);
    if (is_delete) {
        u32 got;
        CHECK_OK(store_delete_range(txn, c->ix_k, NULL, 0, 0, lb, ll, hb, hl, &got));
        CHECK_EQ(got, want);
        for (u32 i = c->cur.n; i-- > 0;)
            if (in_range(c->cur.rows[i].k, lt, lv, ht, hv)) del_at(&c->cur, i);
        return;
    }
    store_iter it;
    CHECK_OK(store_index_range(txn, c->ix_k, NULL, 0, 0, lb, ll, hb, hl, &it));
    const u8 *r;
    u32 len, got = 0;
    i16 prev = INT16_MIN;
    while (store_iter_next(&it, &r, &len)) {
        i16 k = (i16)lc_load_u16(r + 4);
        CHECK(k >= prev && in_range(k, lt, lv, ht, hv));
        prev = k;
        got++;
    }
    store_iter_close(&it);
    CHECK_EQ(got, want);
}

/* Sorted images of the model's rows. */
static u32 model_images(const model *m, u8 *out)
{
    for (u32 i = 0; i < m->n; i++) {
        u8 b[32];
        size_t n = enc(&m->rows[i], b);
        image(b, (u32)n, out + i * RB);
    }
    qsort(out, m->n, RB, cmp_img);
    return m->n;
}

static void check_table(store *s, u32 tid, const model *m)
{
    static u8 want[MAXROWS * RB], got[MAXROWS * RB * 2];
    store_txn txn;
    store_read_begin(&txn, s);
    u32 nw = model_images(m, want), ng = 0;
    store_iter it;
    CHECK_OK(store_scan(&txn, tid, &it));
    const u8 *r;
    u32 len;
    while (ng < MAXROWS * 2 && store_iter_next(&it, &r, &len)) image(r, len, got + RB * ng++);
    store_iter_close(&it);
    qsort(got, ng, RB, cmp_img);
    bool is_ok = store_table_check(&txn, tid);
    store_read_end(&txn);
    CHECK(is_ok);
    CHECK_EQ(ng, nw);
    CHECK_MEM(got, want, (size_t)nw * RB);
}

/* The TxData of a commit must be the net diff between the committed models. */
static void check_txdata(const store_txdata *td, u32 tid, const model *before,
                         const model *after)
{
    static u8 ins[MAXROWS * RB], del[MAXROWS * RB], got[MAXROWS * RB];
    u32 ni = 0, nd = 0;
    for (u32 i = 0; i < after->n; i++)
        if (find(before, after->rows[i], 0) < 0) {
            u8 b[32];
            image(b, (u32)enc(&after->rows[i], b), ins + RB * ni++);
        }
    for (u32 i = 0; i < before->n; i++)
        if (find(after, before->rows[i], 0) < 0) {
            u8 b[32];
            image(b, (u32)enc(&before->rows[i], b), del + RB * nd++);
        }
    CHECK_EQ(td->has_offset, ni + nd > 0);
    const store_txdata_table *e = NULL;
    for (u32 i = 0; i < td->table_count; i++)
        if (td->tables[i].table_id == tid) e = &td->tables[i];
    CHECK_EQ(td->table_count, e ? 1 : 0);
    CHECK_EQ(e ? e->inserts.count : 0, ni);
    CHECK_EQ(e ? e->deletes.count : 0, nd);
    if (!e) return;
    CHECK_EQ(e->is_truncated, after->n == 0 && nd > 0);
    const store_rows *lists[2] = {&e->inserts, &e->deletes};
    u8 *wants[2] = {ins, del};
    for (int l = 0; l < 2; l++) {
        const store_rows *rr = lists[l];
        for (u32 i = 0; i < rr->count; i++)
            image(rr->bytes + rr->offs[i], rr->offs[i + 1] - rr->offs[i], got + RB * i);
        qsort(got, rr->count, RB, cmp_img);
        qsort(wants[l], rr->count, RB, cmp_img);
        CHECK_MEM(got, wants[l], (size_t)rr->count * RB);
    }
}

static int mk_table(ctx *c, store *s)
{
    store_column_def cols[3] = {{"id", lc_type_prim(LC_T_U32)},
                                {"k", lc_type_prim(LC_T_I16)},
                                {"s", lc_type_prim(LC_T_STRING)}};
    u16 ck = 1, cs = 2;
    store_index_def ixs[2] = {{"m_k", STORE_INDEX_BTREE, false, 1, &ck},
                              {"m_s", STORE_INDEX_BTREE, true, 1, &cs}};
    store_table_def d = {.name = "m", .pk_col = 0, .col_count = 3, .cols = cols,
                         .index_count = 2, .indexes = ixs};
    store_txn txn;
    store_txn_begin(&txn, s);
    int rc = store_table_create(&txn, &d, &c->tid, NULL);
    if (!rc) rc = store_index_id_from_name(&txn, "m_id_idx_btree", 14, &c->ix_pk);
    if (!rc) rc = store_index_id_from_name(&txn, "m_k", 3, &c->ix_k);
    if (!rc) rc = store_index_id_from_name(&txn, "m_s", 3, &c->ix_s);
    const store_txdata *td;
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    rc = store_txn_commit(&txn, &td);
    if (!rc) {
        lc_buf_reset(&c->log);
        store_txdata_encode(td, NULL, &c->log);
        c->lens[c->nlog++] = (u32)c->log.len;
    }
    return rc;
}

static void one_txn(ctx *c)
{
    store_txn txn;
    store_txn_begin(&txn, c->s);
    c->cur = c->committed;
    u32 ops = 1 + rnd(8);
    for (u32 i = 0; i < ops && !lc_test_failed(); i++) {
        u32 w = rnd(100);
        if (w < 35) op_insert(c, &txn);
        else if (w < 50) op_delete(c, &txn);
        else if (w < 65) op_update(c, &txn, 1);
        else if (w < 75) op_update(c, &txn, 2);
        else if (w < 82) op_range(c, &txn, true);
        else if (w < 97) op_range(c, &txn, false);
        else {
            CHECK_OK(store_clear(&txn, c->tid, NULL));
            c->cur.n = 0;
        }
    }
    if (lc_test_failed() || rnd(10) < 3) {
        store_txn_abort(&txn);
        return;
    }
    const store_txdata *td;
    CHECK_OK(store_txn_commit(&txn, &td));
    check_txdata(td, c->tid, &c->committed, &c->cur);
    if (td->has_offset) {
        if (c->nlog == c->caplog) {
            c->caplog *= 2;
            c->lens = lc_realloc(c->lens, c->caplog * sizeof *c->lens);
        }
        size_t before = c->log.len;
        store_txdata_encode(td, NULL, &c->log);
        c->lens[c->nlog++] = (u32)(c->log.len - before);
    }
    c->committed = c->cur;
}

static void replay_and_snapshot(ctx *c)
{
    store *r;
    CHECK_OK(store_create(&r));
    size_t off = 0;
    for (u32 i = 0; i < c->nlog; i++) {
        lc_errbuf eb = {{0}};
        int rc = store_txdata_apply(r, i, c->log.data + off, c->lens[i], &eb);
        if (rc) lc_test_fail(__FILE__, __LINE__, "replay %u: %s", i, eb.msg);
        off += c->lens[i];
    }
    check_table(r, c->tid, &c->committed);
    lc_buf snap;
    lc_buf_init(&snap);
    CHECK_OK(store_snapshot_encode(c->s, &snap));
    store *r2;
    CHECK_OK(store_create(&r2));
    CHECK_OK(store_snapshot_decode(r2, snap.data, snap.len, NULL));
    check_table(r2, c->tid, &c->committed);
    lc_buf_deinit(&snap);
    store_destroy(r2);
    store_destroy(r);
}

TEST(store_model_random)
{
    rs = lc_test_seed() | 1;
    const char *env = getenv("LC_STORE_MODEL_TXNS");
    u32 txns = env ? (u32)strtoul(env, NULL, 10) : 3000;
    static ctx c;
    memset(&c, 0, sizeof c);
    CHECK_OK(store_create(&c.s));
    lc_buf_init(&c.log);
    c.caplog = 1024;
    c.lens = lc_alloc(c.caplog * sizeof *c.lens);
    CHECK_OK(mk_table(&c, c.s));
    for (u32 t = 0; t < txns && !lc_test_failed(); t++) {
        one_txn(&c);
        if (!lc_test_failed()) check_table(c.s, c.tid, &c.committed);
    }
    if (!lc_test_failed()) replay_and_snapshot(&c);
    lc_free(c.lens);
    lc_buf_deinit(&c.log);
    store_destroy(c.s);
}
