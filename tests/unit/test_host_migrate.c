/*
 * tests/unit/test_host_migrate.c — host/migrate: republish plans (accepted steps in order,
 * refusals with one reason per offending change) and applying them to a real store: data
 * survives a compatible migration, a refused or failing one changes nothing, clear data
 * builds an empty database with the new schema.
 *
 * Descriptions are V10 bytes built from a small table spec (lowercase names, so the SnakeCase
 * policy leaves them as written); each table's row type is typespace entry = table position.
 */
#include "base/alloc.h"
#include "harness.h"
#include "host/migrate.h"
#include "host/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENUM_OF(n) (0xE0 + (n)) /* a column type: a sum of n unit variants */

typedef struct tspec {
    const char *name;
    u32 ncols;
    const char *cols[4];
    u8 types[4];
    bool key0;          /* primary key + unique + btree index on column 0 */
    bool seq0;          /* auto_inc on column 0 */
    bool index1;        /* btree index on column 1, accessor index1_acc (or "other") */
    bool other_acc;
    bool unique1;       /* unique constraint on column 1 (with index1: a unique index) */
    bool is_private;
    bool is_event;
    u32 default_from;   /* columns >= this get an i64 default (0 = none) */
} tspec;

static void w_str(lc_buf *b, const char *s) { lc_buf_put_str(b, s, (u32)strlen(s)); }
static void w_some_str(lc_buf *b, const char *s) { lc_buf_put_u8(b, 0); w_str(b, s); }
static void w_none(lc_buf *b) { lc_buf_put_u8(b, 1); }
static void w_col(lc_buf *b, u16 c) { lc_buf_put_u32(b, 1); lc_buf_put_u16(b, c); }

static void w_table(lc_buf *b, const tspec *t, u32 ref)
{
    w_str(b, t->name);
    lc_buf_put_u32(b, ref);
    if (t->key0) w_col(b, 0);
    else lc_buf_put_u32(b, 0);
    lc_buf_put_u32(b, (t->key0 ? 1u : 0u) + (t->index1 ? 1u : 0u)); /* indexes */
    if (t->key0) {
        w_none(b);
        w_some_str(b, "by_key");
        lc_buf_put_u8(b, 0);
        w_col(b, 0);
    }
    if (t->index1) {
        w_none(b);
        w_some_str(b, t->other_acc ? "other" : "index1_acc");
        lc_buf_put_u8(b, 0);
        w_col(b, 1);
    }
    lc_buf_put_u32(b, (t->key0 ? 1u : 0u) + (t->unique1 ? 1u : 0u)); /* constraints */
    if (t->key0) {
        w_none(b);
        lc_buf_put_u8(b, 0);
        w_col(b, 0);
    }
    if (t->unique1) {
        w_none(b);
        lc_buf_put_u8(b, 0);
        w_col(b, 1);
    }
    lc_buf_put_u32(b, t->seq0 ? 1 : 0);
    if (t->seq0) {
        w_none(b);
        lc_buf_put_u16(b, 0);
        w_none(b);
        w_none(b);
        w_none(b);
        i128 one = 1;
        lc_buf_put(b, &one, 16);
    }
    lc_buf_put_u8(b, 1);                     /* User */
    lc_buf_put_u8(b, t->is_private ? 1 : 0); /* access */
    u32 nd = t->default_from ? t->ncols - t->default_from : 0;
    lc_buf_put_u32(b, nd);
    for (u32 i = 0; i < nd; i++) {
        lc_buf_put_u16(b, (u16)(t->default_from + i));
        lc_buf_put_u32(b, 8);
        lc_buf_put_u64(b, 7);
    }
    lc_buf_put_u8(b, t->is_event ? 1 : 0);
}

/* A V10 module with the given tables and reducers (no parameters, client-callable). */
static host_moddef *build(const tspec *ts, u32 nt, const char *const *reducers, u32 nr)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u8(&b, 2);
    lc_buf_put_u32(&b, 3);
    lc_buf_put_u8(&b, 0); /* Typespace */
    lc_buf_put_u32(&b, nt);
    for (u32 i = 0; i < nt; i++) {
        lc_buf_put_u8(&b, LC_T_PRODUCT);
        lc_buf_put_u32(&b, ts[i].ncols);
        for (u32 c = 0; c < ts[i].ncols; c++) {
            w_some_str(&b, ts[i].cols[c]);
            u8 ty = ts[i].types[c];
            if (ty < ENUM_OF(0)) {
                lc_buf_put_u8(&b, ty);
                continue;
            }
            lc_buf_put_u8(&b, LC_T_SUM); /* an enum of ty - ENUM_OF(0) unit variants */
            lc_buf_put_u32(&b, ty - ENUM_OF(0));
            for (u32 v = 0; v < (u32)(ty - ENUM_OF(0)); v++) {
                char vn[16];
                snprintf(vn, sizeof vn, "v%u", v);
                w_some_str(&b, vn);
                lc_buf_put_u8(&b, LC_T_PRODUCT);
                lc_buf_put_u32(&b, 0);
            }
        }
    }
    lc_buf_put_u8(&b, 2); /* Tables */
    lc_buf_put_u32(&b, nt);
    for (u32 i = 0; i < nt; i++) w_table(&b, &ts[i], i);
    lc_buf_put_u8(&b, 3); /* Reducers */
    lc_buf_put_u32(&b, nr);
    for (u32 i = 0; i < nr; i++) {
        w_str(&b, reducers[i]);
        lc_buf_put_u32(&b, 0);
        lc_buf_put_u8(&b, 1);
        lc_buf_put_u8(&b, 2);
        lc_buf_put_u32(&b, 0);
        lc_buf_put_u8(&b, LC_T_STRING);
    }
    host_moddef *md = NULL;
    lc_errbuf eb;
    int rc = host_moddef_decode(b.data, b.len, &md, &eb);
    if (rc) fprintf(stderr, "build: %s\n", eb.msg);
    lc_buf_deinit(&b);
    return md;
}

static const tspec ACCOUNT = {"account", 2, {"id", "balance"}, {LC_T_U32, LC_T_I64}, .key0 = true,
                              .seq0 = true};
static const char *const R1[] = {"transfer"};
static const char *const R2[] = {"transfer", "audit"};

/* A store with `def`'s schema and two account rows (ids 1 and 2). */
static store *store_with(const host_moddef *def)
{
    store *s = NULL;
    if (store_create(&s)) return NULL;
    store_txn txn;
    store_txn_begin(&txn, s);
    lc_errbuf eb;
    u32 id = 0;
    int rc = host_schema_create(&txn, def, &eb);
    if (rc == 0) rc = store_table_id_from_name(&txn, "account", 7, &id);
    for (u32 k = 1; rc == 0 && k <= 2; k++) {
        u8 row[12];
        lc_store_u32(row, k);
        lc_store_u64(row + 4, 100 * k);
        rc = store_insert(&txn, id, row, sizeof row, NULL, NULL);
    }
    const store_txdata *td;
    if (rc == 0) rc = store_txn_commit(&txn, &td);
    else store_txn_abort(&txn);
    if (rc) fprintf(stderr, "store_with: %s\n", eb.msg);
    return s;
}

static u64 rows_of(store *s, const char *table)
{
    store_txn txn;
    store_read_begin(&txn, s);
    u32 id = 0;
    u64 n = 0;
    if (store_table_id_from_name(&txn, table, strlen(table), &id) != 0) n = ~0ull;
    else if (store_row_count(&txn, id, &n) != 0) n = ~0ull;
    store_read_end(&txn);
    return n;
}

TEST(migrate_identical_is_empty)
{
    host_moddef *a = build(&ACCOUNT, 1, R1, 1), *b = build(&ACCOUNT, 1, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.step_count, 0);
    CHECK(!p.breaks_clients);
    lc_buf out;
    lc_buf_init(&out);
    host_migrate_plan_describe(&p, a, b, &out);
    CHECK_MEM(out.data, "no changes\n", 11);
    lc_buf_deinit(&out);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* New table, new index on an existing table, new reducer: accepted, applied, data kept. */
TEST(migrate_add_table_and_index_keeps_data)
{
    tspec nt[2] = {ACCOUNT, {"audit_log", 2, {"id", "note"}, {LC_T_U64, LC_T_STRING}, .key0 = false}};
    nt[0].ncols = 2;
    host_moddef *a = build(&ACCOUNT, 1, R1, 1);
    tspec acc = ACCOUNT;
    acc.index1 = true;
    nt[0] = acc;
    host_moddef *b = build(nt, 2, R2, 2);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.step_count, 2);
    CHECK_EQ(p.steps[0].kind, HOST_MIG_ADD_TABLE);
    CHECK_EQ(p.steps[1].kind, HOST_MIG_ADD_INDEX);
    CHECK(!p.breaks_clients);
    lc_buf out;
    lc_buf_init(&out);
    host_migrate_plan_describe(&p, a, b, &out);
    lc_buf_put_u8(&out, 0);
    CHECK_STR((const char *)out.data,
              "add table audit_log\nadd index account_balance_idx_btree on table account\n");
    lc_buf_deinit(&out);

    store *s = store_with(a);
    CHECK(s != NULL);
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_OK(host_migrate_apply(&txn, &p, a, b, &eb));
    const store_txdata *td;
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK_EQ(rows_of(s, "account"), 2);
    CHECK_EQ(rows_of(s, "audit_log"), 0);
    store_read_begin(&txn, s);
    u32 ix = 0;
    CHECK_OK(store_index_id_from_name(&txn, "account_balance_idx_btree", 25, &ix));
    store_read_end(&txn);
    store_destroy(s);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Every offending change gets its own reason; nothing is planned or applied. */
TEST(migrate_refusals_listed)
{
    tspec o[4] = {ACCOUNT,
                  {"tb", 3, {"a", "b", "c"}, {LC_T_U32, LC_T_U32, LC_T_U32}, .index1 = true},
                  {"tc", 1, {"a"}, {LC_T_U8}, .key0 = false},
                  {"td", 2, {"p", "q"}, {LC_T_U8, LC_T_U8}, .key0 = false}};
    tspec n[4] = {ACCOUNT,
                  {"tb", 2, {"a", "b"}, {LC_T_U64, LC_T_U32}, .index1 = true, .other_acc = true},
                  {"tc", 2, {"a", "b"}, {LC_T_U8, LC_T_U8}, .is_event = true},
                  {"td", 2, {"p", "r"}, {LC_T_U8, LC_T_U8}, .key0 = false}};
    n[0].is_private = true; /* accepted on its own, but the plan as a whole is refused */
    host_moddef *a = build(o, 4, R1, 1), *b = build(n, 4, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_ERR(host_migrate_plan_make(a, b, &p, &eb), LC_EINVALID);
    /* tb: a changed type, c removed, index accessor changed; tc: event flag changed, b added
     * without a default; td: q renamed to r (q removed, r added without a default) */
    CHECK_EQ(p.reason_count, 7);
    CHECK_EQ(p.step_count, 0);
    CHECK(strstr(eb.msg, "7 reasons") != NULL);
    lc_buf out;
    lc_buf_init(&out);
    host_migrate_plan_describe(&p, a, b, &out);
    lc_buf_put_u8(&out, 0);
    const char *d = (const char *)out.data;
    CHECK(strstr(d, "refused: table tb: column a changed type\n") != NULL);
    CHECK(strstr(d, "refused: table tb: column c removed or renamed\n") != NULL);
    CHECK(strstr(d, "tb_b_idx_btree changed its accessor name (index1_acc -> other)") != NULL);
    CHECK(strstr(d, "table tc: changed between event and non-event table") != NULL);
    CHECK(strstr(d, "table tc: column b added without a default value") != NULL);
    CHECK(strstr(d, "table td: column q removed or renamed") != NULL);
    CHECK(strstr(d, "table td: column r added without a default value") != NULL);
    lc_buf_deinit(&out);
    store *s = store_with(a);
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_ERR(host_migrate_apply(&txn, &p, a, b, &eb), LC_EINVALID);
    store_txn_abort(&txn);
    CHECK_EQ(rows_of(s, "account"), 2);
    store_destroy(s);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Commits txn and replays its TxData into twin (the commit log's path: a reopen of the data
 * directory applies the same bytes). */
static int commit_to_twin(store_txn *txn, store *twin)
{
    const store_txdata *td = NULL;
    int rc = store_txn_commit(txn, &td);
    if (rc || !td->has_offset) return rc;
    lc_buf enc;
    lc_buf_init(&enc);
    store_txdata_encode(td, NULL, &enc);
    lc_errbuf eb = {{0}};
    rc = enc.err ? enc.err : store_txdata_apply(twin, td->tx_offset, enc.data, enc.len, &eb);
    if (rc) fprintf(stderr, "replay: %s\n", eb.msg);
    lc_buf_deinit(&enc);
    return rc;
}

/* The rows of `table` sorted and concatenated (u32 len ++ bytes each), for comparisons. */
static int cmp_rows(const void *a, const void *b)
{
    const lc_buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void rows_dump(store *s, const char *table, lc_buf *out, u32 *out_id)
{
    store_txn txn;
    store_read_begin(&txn, s);
    u32 id = 0;
    lc_buf rows[16];
    u32 n = 0;
    store_iter it;
    if (store_table_id_from_name(&txn, table, strlen(table), &id) == 0 &&
        store_scan(&txn, id, &it) == 0) {
        const u8 *row;
        u32 len;
        while (n < 16 && store_iter_next(&it, &row, &len)) {
            lc_buf_init(&rows[n]);
            lc_buf_put(&rows[n++], row, len);
        }
        store_iter_close(&it);
        CHECK(store_table_check(&txn, id));
    }
    store_read_end(&txn);
    qsort(rows, n, sizeof *rows, cmp_rows);
    for (u32 i = 0; i < n; i++) {
        lc_buf_put_u32(out, (u32)rows[i].len);
        lc_buf_put(out, rows[i].data, rows[i].len);
        lc_buf_deinit(&rows[i]);
    }
    if (out_id) *out_id = id;
}

/* Columns added at the end with defaults: accepted, breaks clients, DisconnectAllUsers last.
 * The table is rebuilt under a new id with the default appended to every row; an abort gives
 * the old table back; a commit replayed into a twin store gives the same rows; sequences
 * resume where they stopped. */
TEST(migrate_add_columns_with_defaults)
{
    tspec n = {"account", 3, {"id", "balance", "limit_"}, {LC_T_U32, LC_T_I64, LC_T_I64},
               .key0 = true, .seq0 = true, .default_from = 2};
    tspec extra = {"fresh", 1, {"a"}, {LC_T_U8}, .key0 = false};
    tspec nn[2] = {extra, n};
    host_moddef *a = build(&ACCOUNT, 1, R1, 1), *b = build(nn, 2, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK(p.breaks_clients);
    CHECK_EQ(p.step_count, 3);
    CHECK_EQ(p.steps[0].kind, HOST_MIG_ADD_TABLE);
    CHECK_EQ(p.steps[1].kind, HOST_MIG_ADD_COLUMNS);
    CHECK_EQ(p.steps[2].kind, HOST_MIG_DISCONNECT_ALL);
    store *s = NULL, *twin = NULL;
    CHECK_OK(store_create(&s));
    CHECK_OK(store_create(&twin));
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id = 0;
    CHECK_OK(host_schema_create(&txn, a, &eb));
    CHECK_OK(store_table_id_from_name(&txn, "account", 7, &id));
    for (u32 k = 1; k <= 2; k++) { /* id 0: the sequence gives 1 and 2 */
        u8 row[12] = {0};
        lc_store_u64(row + 4, 100 * k);
        CHECK_OK(store_insert(&txn, id, row, sizeof row, NULL, NULL));
    }
    CHECK_OK(commit_to_twin(&txn, twin));
    lc_buf before, after;
    lc_buf_init(&before);
    lc_buf_init(&after);
    rows_dump(s, "account", &before, NULL);

    /* abort: the old table, its id and rows come back */
    store_txn_begin(&txn, s);
    CHECK_OK(host_migrate_apply(&txn, &p, a, b, &eb));
    u32 nid = 0;
    CHECK_OK(store_table_id_from_name(&txn, "account", 7, &nid));
    CHECK(nid != id);
    store_txn_abort(&txn);
    rows_dump(s, "account", &after, &nid);
    CHECK_EQ(nid, id);
    CHECK_EQ(after.len, before.len);
    CHECK_MEM(after.data, before.data, before.len);
    CHECK_EQ(rows_of(s, "fresh"), ~0ull);

    /* commit, replayed into the twin */
    store_txn_begin(&txn, s);
    CHECK_OK(host_migrate_apply(&txn, &p, a, b, &eb));
    CHECK_OK(commit_to_twin(&txn, twin));
    lc_buf_reset(&after);
    rows_dump(s, "account", &after, &nid);
    CHECK(nid != id);
    CHECK_EQ(after.len, 2 * (4 + 20));
    CHECK_EQ(lc_load_u64(after.data + 4 + 12), 7); /* the default */
    lc_buf tw;
    lc_buf_init(&tw);
    rows_dump(twin, "account", &tw, NULL);
    CHECK_EQ(tw.len, after.len);
    CHECK_MEM(tw.data, after.data, after.len);
    CHECK_EQ(rows_of(twin, "fresh"), 0);

    /* the sequence resumes: the next generated id is 3 */
    store_txn_begin(&txn, s);
    u8 row[20] = {0};
    lc_buf gen;
    lc_buf_init(&gen);
    CHECK_OK(store_insert(&txn, nid, row, sizeof row, &gen, NULL));
    CHECK_EQ(gen.len, 4);
    CHECK_EQ(lc_load_u32(gen.data), 3);
    CHECK_OK(commit_to_twin(&txn, twin));
    CHECK_EQ(rows_of(twin, "account"), 3);
    lc_buf_deinit(&gen);
    lc_buf_deinit(&tw);
    lc_buf_deinit(&before);
    lc_buf_deinit(&after);
    store_destroy(s);
    store_destroy(twin);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Removing a table that holds data, changing access, primary key and sequences: planned with
 * removes first; the executor refuses the removal of a non-empty table. */
TEST(migrate_remove_and_change_steps)
{
    tspec o[2] = {ACCOUNT, {"gone", 1, {"a"}, {LC_T_U8}, .key0 = false}};
    tspec n = ACCOUNT;
    n.is_private = true;
    n.seq0 = false;
    host_moddef *a = build(o, 2, R1, 1), *b = build(&n, 1, R1, 1);
    host_moddef *c = build(&ACCOUNT, 1, R1, 1);
    CHECK(a && b && c);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.step_count, 4);
    CHECK_EQ(p.steps[0].kind, HOST_MIG_REMOVE_SEQUENCE);
    CHECK_EQ(p.steps[1].kind, HOST_MIG_REMOVE_TABLE);
    CHECK_EQ(p.steps[2].kind, HOST_MIG_CHANGE_ACCESS);
    CHECK_EQ(p.steps[3].kind, HOST_MIG_DISCONNECT_ALL);
    host_migrate_plan_free(&p);

    /* account -> (account, gone) and back: removing "account" with data is refused */
    tspec only_gone = {"gone", 1, {"a"}, {LC_T_U8}, .key0 = false};
    host_moddef *d = build(&only_gone, 1, R1, 1);
    CHECK(d != NULL);
    CHECK_OK(host_migrate_plan_make(c, d, &p, &eb));
    CHECK_EQ(p.steps[0].kind, HOST_MIG_REMOVE_TABLE);
    store *s = store_with(c);
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_ERR(host_migrate_apply(&txn, &p, c, d, &eb), LC_ESTATE);
    CHECK(strstr(eb.msg, "table contains data") != NULL);
    store_txn_abort(&txn);
    CHECK_EQ(rows_of(s, "account"), 2);
    store_destroy(s);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
    host_moddef_destroy(c);
    host_moddef_destroy(d);
}

/* Removing an index: dropped in the transaction; an abort brings it back, a commit keeps the
 * rows and the remaining indexes. */
TEST(migrate_remove_index)
{
    tspec o = ACCOUNT;
    o.index1 = true;
    host_moddef *a = build(&o, 1, R1, 1), *b = build(&ACCOUNT, 1, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.step_count, 1);
    CHECK_EQ(p.steps[0].kind, HOST_MIG_REMOVE_INDEX);
    CHECK(!p.breaks_clients);
    store *s = store_with(a);
    CHECK(s != NULL);
    for (int commit = 0; commit < 2; commit++) {
        store_txn txn;
        store_txn_begin(&txn, s);
        CHECK_OK(host_migrate_apply(&txn, &p, a, b, &eb));
        u32 ix = 0;
        CHECK_ERR(store_index_id_from_name(&txn, "account_balance_idx_btree", 25, &ix),
                  LC_ENOTFOUND);
        const store_txdata *td;
        if (commit) CHECK_OK(store_txn_commit(&txn, &td));
        else store_txn_abort(&txn);
        store_read_begin(&txn, s);
        int rc = store_index_id_from_name(&txn, "account_balance_idx_btree", 25, &ix);
        CHECK_EQ(rc, commit ? LC_ENOTFOUND : 0);
        CHECK_OK(store_index_id_from_name(&txn, "account_id_idx_btree", 20, &ix));
        store_read_end(&txn);
        CHECK_EQ(rows_of(s, "account"), 2);
    }
    store_destroy(s);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Public -> private: one CHANGE_ACCESS step, applied by rewriting st_table; rows kept. */
TEST(migrate_change_access_applied)
{
    tspec n = ACCOUNT;
    n.is_private = true;
    host_moddef *a = build(&ACCOUNT, 1, R1, 1), *b = build(&n, 1, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.step_count, 1);
    CHECK_EQ(p.steps[0].kind, HOST_MIG_CHANGE_ACCESS);
    store *s = store_with(a);
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_OK(host_migrate_apply(&txn, &p, a, b, &eb));
    const store_txdata *td;
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK_EQ(rows_of(s, "account"), 2);
    store_destroy(s);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Removing an empty table: dropped (breaks clients); abort restores it, commit keeps the
 * other table's rows. */
TEST(migrate_remove_empty_table)
{
    tspec o[2] = {ACCOUNT, {"gone", 1, {"a"}, {LC_T_U8}, .seq0 = false}};
    host_moddef *a = build(o, 2, R1, 1), *b = build(&ACCOUNT, 1, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.step_count, 2);
    CHECK_EQ(p.steps[0].kind, HOST_MIG_REMOVE_TABLE);
    CHECK_EQ(p.steps[1].kind, HOST_MIG_DISCONNECT_ALL);
    store *s = store_with(a);
    for (int commit = 0; commit < 2; commit++) {
        store_txn txn;
        store_txn_begin(&txn, s);
        CHECK_OK(host_migrate_apply(&txn, &p, a, b, &eb));
        const store_txdata *td;
        if (commit) CHECK_OK(store_txn_commit(&txn, &td));
        else store_txn_abort(&txn);
        CHECK_EQ(rows_of(s, "gone"), commit ? ~0ull : 0);
        CHECK_EQ(rows_of(s, "account"), 2);
    }
    store_destroy(s);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Columns are matched by name: swapping two columns is a reorder, refused. */
TEST(migrate_reorder_refused)
{
    tspec o = {"pair", 2, {"a", "b"}, {LC_T_U8, LC_T_U8}, .key0 = false};
    tspec n = {"pair", 2, {"b", "a"}, {LC_T_U8, LC_T_U8}, .key0 = false};
    host_moddef *a = build(&o, 1, R1, 1), *b = build(&n, 1, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_ERR(host_migrate_plan_make(a, b, &p, &eb), LC_EINVALID);
    CHECK_EQ(p.reason_count, 2);
    CHECK(strstr(p.reasons[0], "column a moved from position 0 to 1") != NULL);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Clear data: the new schema, no rows. */
TEST(migrate_clear_data_builds_fresh_store)
{
    tspec nt[2] = {ACCOUNT, {"other", 1, {"a"}, {LC_T_STRING}, .key0 = false}};
    host_moddef *b = build(nt, 2, R1, 1);
    CHECK(b != NULL);
    store *s = NULL;
    lc_errbuf eb;
    CHECK_OK(host_migrate_clear(b, &s, &eb));
    CHECK_EQ(rows_of(s, "account"), 0);
    CHECK_EQ(rows_of(s, "other"), 0);
    store_destroy(s);
    host_moddef_destroy(b);
}

/* The index of column 1 of account: exists? unique? */
static int balance_index(store *s)
{
    store_txn txn;
    store_read_begin(&txn, s);
    u32 ix = 0;
    store_index_info info;
    int r = -1;
    if (store_index_id_from_name(&txn, "account_balance_idx_btree", 25, &ix) == 0 &&
        store_index_info_get(&txn, ix, &info) == 0)
        r = info.is_unique;
    store_read_end(&txn);
    return r;
}

/* Applies plan a -> b to s and commits (into twin too); returns apply's code (aborts on error). */
static int apply_commit(store *s, store *twin, const host_moddef *a, const host_moddef *b,
                        lc_errbuf *eb)
{
    host_migrate_plan p;
    int rc = host_migrate_plan_make(a, b, &p, eb);
    store_txn txn;
    if (rc == 0) {
        store_txn_begin(&txn, s);
        rc = host_migrate_apply(&txn, &p, a, b, eb);
        if (rc) store_txn_abort(&txn);
        else rc = commit_to_twin(&txn, twin);
    }
    host_migrate_plan_free(&p);
    return rc;
}

/* A unique constraint added to an indexed column: the index becomes unique (and is refused
 * when the data holds duplicates); removed: it becomes plain again. Replayed into a twin. */
TEST(migrate_unique_constraint_on_existing_index)
{
    tspec o = ACCOUNT, u = ACCOUNT;
    o.index1 = true;
    u.index1 = u.unique1 = true;
    host_moddef *a = build(&o, 1, R1, 1), *b = build(&u, 1, R1, 1);
    CHECK(a && b);
    store *s = store_with(a), *twin = store_with(a);
    CHECK(s && twin);
    lc_errbuf eb;
    CHECK_EQ(balance_index(s), 0);
    CHECK_OK(apply_commit(s, twin, a, b, &eb));
    CHECK_EQ(balance_index(s), 1);
    CHECK_EQ(balance_index(twin), 1);
    CHECK_OK(apply_commit(s, twin, b, a, &eb));
    CHECK_EQ(balance_index(s), 0);
    CHECK_EQ(balance_index(twin), 0);
    /* duplicates: two rows with balance 5 */
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id = 0;
    CHECK_OK(store_table_id_from_name(&txn, "account", 7, &id));
    for (u32 k = 10; k <= 11; k++) {
        u8 row[12];
        lc_store_u32(row, k);
        lc_store_u64(row + 4, 5);
        CHECK_OK(store_insert(&txn, id, row, sizeof row, NULL, NULL));
    }
    CHECK_OK(commit_to_twin(&txn, twin));
    CHECK_ERR(apply_commit(s, twin, a, b, &eb), LC_EUNIQUE);
    CHECK(strstr(eb.msg, "account_balance_key") != NULL);
    CHECK(strstr(eb.msg, "duplicate") != NULL);
    CHECK_EQ(balance_index(s), 0);
    CHECK_EQ(rows_of(s, "account"), 4);
    store_destroy(s);
    store_destroy(twin);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Sequences on an existing table: removing one stops generation; adding one back is refused
 * while the column holds values in its range (the reference's precheck), accepted when not. */
TEST(migrate_sequence_add_remove)
{
    tspec noseq = ACCOUNT;
    noseq.seq0 = false;
    host_moddef *a = build(&ACCOUNT, 1, R1, 1), *b = build(&noseq, 1, R1, 1);
    CHECK(a && b);
    store *s = store_with(a), *twin = store_with(a);
    lc_errbuf eb;
    CHECK_OK(apply_commit(s, twin, a, b, &eb));
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id = 0;
    CHECK_OK(store_table_id_from_name(&txn, "account", 7, &id));
    u8 row[12] = {0};
    lc_buf gen;
    lc_buf_init(&gen);
    CHECK_OK(store_insert(&txn, id, row, sizeof row, &gen, NULL));
    CHECK_EQ(gen.len, 0); /* no sequence: the zero stays */
    CHECK_OK(commit_to_twin(&txn, twin));
    CHECK_ERR(apply_commit(s, twin, b, a, &eb), LC_ESTATE);
    CHECK(strstr(eb.msg, "account_id_seq") != NULL);
    CHECK(strstr(eb.msg, "already has values") != NULL);
    /* only the zero row left (outside [1, max]): accepted, and the zero... stays a zero */
    store_txn_begin(&txn, s);
    for (u32 k = 1; k <= 2; k++) {
        u8 key[4];
        lc_store_u32(key, k);
        u32 ix = 0, n = 0;
        CHECK_OK(store_index_id_from_name(&txn, "account_id_idx_btree", 20, &ix));
        CHECK_OK(store_delete_point(&txn, ix, key, 4, &n));
        CHECK_EQ(n, 1);
    }
    CHECK_OK(commit_to_twin(&txn, twin));
    CHECK_OK(apply_commit(s, twin, b, a, &eb));
    store_txn_begin(&txn, s);
    lc_store_u64(row + 4, 9);
    CHECK_OK(store_insert(&txn, id, row, sizeof row, &gen, NULL));
    CHECK_EQ(gen.len, 4);
    CHECK_EQ(lc_load_u32(gen.data), 1);
    CHECK_OK(commit_to_twin(&txn, twin));
    CHECK_EQ(rows_of(s, "account"), 2);
    CHECK_EQ(rows_of(twin, "account"), 2);
    lc_buf_deinit(&gen);
    store_destroy(s);
    store_destroy(twin);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* A plan whose later step fails after a table was rebuilt (columns added, then a sequence
 * whose precheck finds values in range): the abort restores the old table, id and rows. */
TEST(migrate_failing_step_after_rebuild_rolls_back)
{
    tspec o = ACCOUNT, n = {"account", 3, {"id", "balance", "limit_"},
                            {LC_T_U32, LC_T_I64, LC_T_I64}, .key0 = true, .seq0 = true,
                            .default_from = 2};
    o.seq0 = false;
    host_moddef *a = build(&o, 1, R1, 1), *b = build(&n, 1, R1, 1);
    CHECK(a && b);
    store *s = store_with(a);
    CHECK(s != NULL);
    lc_buf before, after;
    lc_buf_init(&before);
    lc_buf_init(&after);
    u32 id0 = 0, id1 = 0;
    rows_dump(s, "account", &before, &id0);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.steps[0].kind, HOST_MIG_ADD_COLUMNS);
    CHECK_EQ(p.steps[1].kind, HOST_MIG_ADD_SEQUENCE);
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_ERR(host_migrate_apply(&txn, &p, a, b, &eb), LC_ESTATE);
    CHECK(strstr(eb.msg, "already has values") != NULL);
    store_txn_abort(&txn);
    rows_dump(s, "account", &after, &id1);
    CHECK_EQ(id1, id0);
    CHECK_EQ(after.len, before.len);
    CHECK_MEM(after.data, before.data, before.len);
    /* the store is still writable and consistent */
    store_txn_begin(&txn, s);
    u8 row[12] = {9, 0, 0, 0, 1};
    CHECK_OK(store_insert(&txn, id0, row, sizeof row, NULL, NULL));
    const store_txdata *td;
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK_EQ(rows_of(s, "account"), 3);
    lc_buf_deinit(&before);
    lc_buf_deinit(&after);
    store_destroy(s);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* A column type that grows (an enum gains a variant at the end): ChangeColumns, no client
 * break; the table is rebuilt with the same rows, the new variant is then accepted; the twin
 * replays the same. */
TEST(migrate_change_columns_enum_grows)
{
    tspec o = {"color", 2, {"id", "c"}, {LC_T_U32, ENUM_OF(2)}, .key0 = true};
    tspec n = o;
    n.types[1] = ENUM_OF(3);
    host_moddef *a = build(&o, 1, R1, 1), *b = build(&n, 1, R1, 1);
    CHECK(a && b);
    store *s = NULL, *twin = NULL;
    CHECK_OK(store_create(&s));
    CHECK_OK(store_create(&twin));
    store_txn txn;
    lc_errbuf eb;
    store_txn_begin(&txn, s);
    CHECK_OK(host_schema_create(&txn, a, &eb));
    u32 id = 0;
    CHECK_OK(store_table_id_from_name(&txn, "color", 5, &id));
    u8 row[5] = {1, 0, 0, 0, 1};
    CHECK_OK(store_insert(&txn, id, row, sizeof row, NULL, NULL));
    row[0] = 2, row[4] = 2; /* variant 2 does not exist yet */
    CHECK_ERR(store_insert(&txn, id, row, sizeof row, NULL, NULL), LC_EDECODE);
    CHECK_OK(commit_to_twin(&txn, twin));
    host_migrate_plan p;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK_EQ(p.step_count, 1);
    CHECK_EQ(p.steps[0].kind, HOST_MIG_CHANGE_COLUMNS);
    CHECK(!p.breaks_clients);
    host_migrate_plan_free(&p);
    CHECK_OK(apply_commit(s, twin, a, b, &eb));
    store_txn_begin(&txn, s);
    u32 nid = 0;
    CHECK_OK(store_table_id_from_name(&txn, "color", 5, &nid));
    CHECK_OK(store_insert(&txn, nid, row, sizeof row, NULL, NULL));
    CHECK_OK(commit_to_twin(&txn, twin));
    lc_buf x, y;
    lc_buf_init(&x);
    lc_buf_init(&y);
    rows_dump(s, "color", &x, NULL);
    rows_dump(twin, "color", &y, NULL);
    CHECK_EQ(x.len, 2 * (4 + 5));
    CHECK_EQ(y.len, x.len);
    CHECK_MEM(x.data, y.data, x.len);
    lc_buf_deinit(&x);
    lc_buf_deinit(&y);
    store_destroy(s);
    store_destroy(twin);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Event tables hold no rows: any column change is accepted (breaking clients) and the table
 * is created again with the new columns. */
TEST(migrate_event_table_reschema)
{
    tspec o = {"ev", 2, {"a", "b"}, {LC_T_U8, LC_T_U8}, .is_event = true};
    tspec n = {"ev", 1, {"c"}, {LC_T_U32}, .is_event = true};
    host_moddef *a = build(&o, 1, R1, 1), *b = build(&n, 1, R1, 1);
    CHECK(a && b);
    store *s = NULL, *twin = NULL;
    CHECK_OK(store_create(&s));
    CHECK_OK(store_create(&twin));
    store_txn txn;
    lc_errbuf eb;
    store_txn_begin(&txn, s);
    CHECK_OK(host_schema_create(&txn, a, &eb));
    CHECK_OK(commit_to_twin(&txn, twin));
    host_migrate_plan p;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    CHECK(p.breaks_clients);
    host_migrate_plan_free(&p);
    CHECK_OK(apply_commit(s, twin, a, b, &eb));
    store *both[2] = {s, twin};
    for (int i = 0; i < 2; i++) {
        store_read_begin(&txn, both[i]);
        u32 id = 0;
        CHECK_OK(store_table_id_from_name(&txn, "ev", 2, &id));
        const lc_type *rt = store_table_row_type(&txn, id);
        CHECK(rt && rt->elem_count == 1 && rt->elems[0].type->kind == LC_T_U32);
        store_read_end(&txn);
    }
    store_destroy(s);
    store_destroy(twin);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}

/* Out of memory at every allocation of a rebuild (columns added): the migration fails or
 * succeeds, and an abort always gives back the old table, its id and rows, consistent. */
TEST(migrate_rebuild_out_of_memory)
{
    tspec n = {"account", 3, {"id", "balance", "limit_"}, {LC_T_U32, LC_T_I64, LC_T_I64},
               .key0 = true, .seq0 = true, .default_from = 2};
    host_moddef *a = build(&ACCOUNT, 1, R1, 1), *b = build(&n, 1, R1, 1);
    CHECK(a && b);
    host_migrate_plan p;
    lc_errbuf eb;
    CHECK_OK(host_migrate_plan_make(a, b, &p, &eb));
    u32 failures = 0;
    for (i64 k = 0; k < 400; k += 3) {
        store *s = store_with(a);
        CHECK(s != NULL);
        lc_buf before, after;
        lc_buf_init(&before);
        lc_buf_init(&after);
        u32 id0 = 0, id1 = 0;
        rows_dump(s, "account", &before, &id0);
        store_txn txn;
        store_txn_begin(&txn, s);
        lc_alloc_fail_after(k);
        int rc = host_migrate_apply(&txn, &p, a, b, &eb);
        lc_alloc_fail_after(-1);
        failures += rc != 0;
        store_txn_abort(&txn);
        rows_dump(s, "account", &after, &id1);
        CHECK_EQ(id1, id0);
        CHECK_EQ(after.len, before.len);
        if (after.len == before.len) CHECK_MEM(after.data, before.data, before.len);
        lc_buf_deinit(&before);
        lc_buf_deinit(&after);
        store_destroy(s);
    }
    CHECK(failures > 0);
    host_migrate_plan_free(&p);
    host_moddef_destroy(a);
    host_moddef_destroy(b);
}
