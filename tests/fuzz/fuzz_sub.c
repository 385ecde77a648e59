/*
 * tests/fuzz/fuzz_sub.c — libFuzzer target for subscription compilation and evaluation (sub/
 * over sql_filter): the SQL text comes from clients, so it is untrusted.
 *
 * Input: byte 0 chooses the caller (bit 0: client, else owner; bits 1-2: which row-level-
 * security rules apply; bits 3-5: the transaction), the rest is the subscription SQL. On a
 * fresh store with tables a(id pk, k btree, v, who), b(id pk, k hash, w) and private c, the
 * target acquires the query, and when it compiles:
 *   1. its initial rows equal, as a bag, sql_exec of the same text with the same options;
 *   2. after a small transaction, its delta (sub_registry_eval_commit) equals
 *      diff(sql_exec before, sql_exec after) as bags, with no row both inserted and deleted;
 *   3. releasing it empties the registry.
 * A refused query must come with a message and no query. Violations abort.
 *
 * Built with MODE=fuzz (`make fuzz-sub`); in every other mode it links with replay_main.c and
 * tests/suites/36-sub-fuzz-replay.sh replays tests/fuzz/corpus/sub under `make test`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sub/sub.h"

#define FUZZ_CHECK(c)                                                                \
    do {                                                                             \
        if (!(c)) {                                                                  \
            fprintf(stderr, "fuzz_sub: check failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

enum { ROWMAX = 48, BAGMAX = 1024 };

typedef struct brow {
    u32 len;
    u8 b[ROWMAX];
} brow;

typedef struct bag {
    u32 n;
    brow r[BAGMAX];
} bag;

static int bag_add(bag *b, const u8 *row, u32 len)
{
    FUZZ_CHECK(len <= ROWMAX);
    if (b->n == BAGMAX) return LC_ELIMIT;
    memcpy(b->r[b->n].b, row, len);
    b->r[b->n++].len = len;
    return 0;
}

static int brow_cmp(const void *a, const void *b)
{
    const brow *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(x->b, y->b, x->len);
}

/* after - before == ins - del as bags, and ins, del disjoint. */
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
            for (; at[k] < all[k]->n && brow_cmp(&all[k]->r[at[k]], &cur) == 0; at[k]++) n[k]++;
        if ((n[2] && n[3]) || n[1] - n[0] != n[2] - n[3]) return false;
    }
}

static void row4(u8 *r, u32 id, u32 k, i32 v, u8 who)
{
    lc_store_u32(r, id);
    lc_store_u32(r + 4, k);
    lc_store_u32(r + 8, (u32)v);
    memset(r + 12, who, 32);
}

static store *world_create(lc_typespace *ts, u32 tid[3])
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
    store_table_def defs[3] = {
        {.name = "a", .is_public = true, .pk_col = 0, .col_count = 4, .cols = ca,
         .index_count = 1, .indexes = ixa},
        {.name = "b", .is_public = true, .pk_col = 0, .col_count = 4, .cols = cb,
         .index_count = 1, .indexes = ixb},
        {.name = "c", .is_public = false, .pk_col = 0, .col_count = 4, .cols = ca,
         .index_count = 1, .indexes = ixa},
    };
    store_txn txn;
    store_txn_begin(&txn, s);
    lc_errbuf eb;
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) rc = store_table_create(&txn, &defs[i], &tid[i], &eb);
    u8 row[44];
    for (u32 i = 0; i < 8 && !rc; i++) {
        row4(row, i, i % 3, (i32)i - 3, (u8)(i % 2 + 1));
        for (int t = 0; t < 3 && !rc; t++) rc = store_insert(&txn, tid[t], row, 44, NULL, NULL);
    }
    if (rc || store_txn_commit(&txn, NULL)) {
        if (rc) store_txn_abort(&txn);
        store_destroy(s);
        return NULL;
    }
    return s;
}

static int full_row(void *ctx, const u8 *row, u32 len) { return bag_add(ctx, row, len); }

static int full_eval(store *s, const char *sql, const sql_exec_opts *o, bag *out)
{
    out->n = 0;
    sql_sink sink = {NULL, full_row, out};
    lc_errbuf eb = {{0}};
    return sql_exec(s, sql, strlen(sql), o, &sink, NULL, &eb);
}

static int sub_row(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return bag_add(ctx, row, len);
}

typedef struct delta {
    bag ins, del;
} delta;

static int on_del(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return bag_add(&((delta *)ctx)->del, row, len);
}

static int on_ins(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    (void)q;
    return bag_add(&((delta *)ctx)->ins, row, len);
}

/* A transaction chosen by sel: updates, deletes and inserts on a, b and c. */
static const store_txdata *world_txn(store *s, const u32 tid[3], u32 sel)
{
    store_txn txn;
    store_txn_begin(&txn, s);
    u8 row[44];
    int rc = 0;
    for (u32 i = 0; i < 3 && !rc; i++) {
        u32 t = (sel + i) % 3, id = (sel * 3 + i) % 8;
        row4(row, id, id % 3, (i32)id - 3, (u8)(id % 2 + 1));
        rc = store_delete_row(&txn, tid[t], row, 44, NULL);
        row4(row, id + (sel & 1) * 8, (sel + i) % 3, (i32)sel, (u8)(i % 2 + 1));
        if (!rc && (sel + i) % 4) rc = store_insert(&txn, tid[t], row, 44, NULL, NULL);
    }
    const store_txdata *td = NULL;
    if (rc) store_txn_abort(&txn);
    else if (store_txn_commit(&txn, &td)) td = NULL;
    return td;
}

static const char *const rules[] = {"SELECT * FROM b WHERE who = :sender",
                                    "SELECT * FROM a WHERE v > 0 OR k = 1"};

static void check_query(store *s, const u32 tid[3], sub_registry *r, sub_query *q,
                        const char *sql, const sql_exec_opts *o, u32 sel)
{
    static bag init, before, after;
    static delta d;
    init.n = 0;
    store_txn txn;
    store_read_begin(&txn, s);
    int rc = sub_query_eval_initial(q, &txn, sub_row, &init);
    store_read_end(&txn);
    if (rc == LC_ELIMIT) return; /* more rows than the bag holds */
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(full_eval(s, sql, o, &before) == 0);
    static bag none;
    none.n = 0;
    FUZZ_CHECK(bag_delta_ok(&init, &before, &none, &none));
    const store_txdata *td = world_txn(s, tid, sel);
    FUZZ_CHECK(td != NULL);
    d.ins.n = d.del.n = 0;
    sub_delta_sink sink = {on_del, on_ins, &d};
    store_read_begin(&txn, s);
    rc = sub_registry_eval_commit(r, &txn, td, &sink);
    store_read_end(&txn);
    if (rc == LC_ELIMIT) return;
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(full_eval(s, sql, o, &after) == 0);
    FUZZ_CHECK(bag_delta_ok(&before, &after, &d.ins, &d.del));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    char *sql = lc_alloc(size);
    if (!sql) return 0;
    memcpy(sql, data + 1, size - 1);
    sql[size - 1] = 0;
    lc_typespace ts;
    lc_typespace_init(&ts);
    u32 tid[3];
    store *s = world_create(&ts, tid);
    sub_registry *r = NULL;
    FUZZ_CHECK(s && sub_registry_create(&r) == 0);
    u8 id[32];
    memset(id, 1 + (data[0] >> 6 & 1), 32);
    bool client = data[0] & 1;
    u32 nrules = data[0] >> 1 & 3;
    sub_auth auth = {id, !client, rules + (nrules == 2), nrules ? 1 + (nrules == 3) : 0};
    sql_exec_opts o = {.caller_id = id, .restricted = client, .rls_sql = auth.rls_sql,
                       .rls_count = auth.rls_count};
    lc_errbuf eb = {{0}};
    sub_query *q = NULL;
    store_txn txn;
    store_read_begin(&txn, s);
    int rc = sub_query_acquire_as(r, &txn, sql, strlen(sql), &auth, &q, &eb);
    store_read_end(&txn);
    if (rc) {
        FUZZ_CHECK(q == NULL && eb.msg[0] != 0 && sub_registry_count(r) == 0);
    } else {
        check_query(s, tid, r, q, sql, &o, data[0] >> 3 & 7);
        sub_query_release(r, q);
        FUZZ_CHECK(sub_registry_count(r) == 0);
    }
    sub_registry_destroy(r);
    store_destroy(s);
    lc_typespace_deinit(&ts);
    lc_free(sql);
    return 0;
}
