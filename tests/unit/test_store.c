/*
 * tests/unit/test_store.c — store/: bootstrap catalog, DDL (transactional), every index kind
 * (int and generic keys, unique / non-unique, multi-column, hash refusing ranges), set
 * semantics, unique violations, update by unique index, range deletes, clear, rollback
 * restoring tables and indexes exactly, sticky failure, sequences (block allocation, no give
 * back on rollback, restart at `allocated` via snapshot and via txdata replay), TxData netting
 * and its encoding, replay and snapshot round trips, and OOM injection.
 */
#include "base/alloc.h"
#include "harness.h"
#include "store/store.h"

/* ---- helpers ---- */

static u32 g_tid, g_pk_ix;

static int mk_accounts(store *s, const char *name)
{
    store_column_def cols[2] = {{"id", lc_type_prim(LC_T_U32)},
                                {"balance", lc_type_prim(LC_T_I64)}};
    store_table_def d = {.name = name, .is_public = true, .pk_col = 0, .col_count = 2,
                         .cols = cols};
    store_txn txn;
    store_txn_begin(&txn, s);
    int rc = store_table_create(&txn, &d, &g_tid, NULL);
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    char ixname[128];
    snprintf(ixname, sizeof ixname, "%s_id_idx_btree", name);
    rc = store_index_id_from_name(&txn, ixname, strlen(ixname), &g_pk_ix);
    int rc2 = store_txn_commit(&txn, NULL);
    return rc ? rc : rc2;
}

static void acct(u8 *row, u32 id, i64 bal)
{
    lc_store_u32(row, id);
    lc_store_u64(row + 4, (u64)bal);
}

static int ins(store_txn *txn, u32 tid, u32 id, i64 bal)
{
    u8 row[12];
    acct(row, id, bal);
    return store_insert(txn, tid, row, 12, NULL, NULL);
}

/* Balance of account id or -1 when absent. */
static i64 bal_of(store_txn *txn, u32 ix, u32 id)
{
    u8 key[4];
    lc_store_u32(key, id);
    store_iter it;
    if (store_index_point(txn, ix, key, 4, &it)) return -2;
    const u8 *r;
    u32 len;
    i64 b = store_iter_next(&it, &r, &len) ? (i64)lc_load_u64(r + 4) : -1;
    store_iter_close(&it);
    return b;
}

static u64 count_of(store_txn *txn, u32 tid)
{
    u64 n = 0;
    if (store_row_count(txn, tid, &n)) return (u64)-1;
    return n;
}

/* A checksum over the multiset of rows (order independent). */
static u64 table_digest(store_txn *txn, u32 tid)
{
    store_iter it;
    if (store_scan(txn, tid, &it)) return 0;
    u64 h = 0;
    const u8 *r;
    u32 len;
    while (store_iter_next(&it, &r, &len)) {
        u64 x = 1469598103934665603ull;
        for (u32 i = 0; i < len; i++) x = (x ^ r[i]) * 1099511628211ull;
        h += x * 0x9e3779b97f4a7c15ull + len;
    }
    store_iter_close(&it);
    return h;
}

/* ---- tests ---- */

TEST(store_bootstrap_catalog)
{
    store *s;
    CHECK_OK(store_create(&s));
    store_txn txn;
    store_read_begin(&txn, s);
    u32 id;
    CHECK_OK(store_table_id_from_name(&txn, "st_table", 8, &id));
    CHECK_EQ(id, 1);
    CHECK_OK(store_table_id_from_name(&txn, "st_sequence", 11, &id));
    CHECK_EQ(id, 3);
    CHECK_OK(store_table_id_from_name(&txn, "st_event_table", 14, &id));
    CHECK_EQ(id, 17);
    CHECK_EQ(count_of(&txn, STORE_ST_TABLE), 20);
    CHECK_ERR(store_table_id_from_name(&txn, "nope", 4, &id), LC_ENOTFOUND);
    CHECK_OK(store_index_id_from_name(&txn, "st_table_table_id_idx_btree", 27, &id));
    CHECK_EQ(id, 1);
    for (u32 t = 1; t <= 20; t++) CHECK(store_table_check(&txn, t));
    store_read_end(&txn);
    store_destroy(s);
}

TEST(store_ddl_ids_and_rollback)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    CHECK_EQ(g_tid, 4096);
    store_txn txn;
    store_txn_begin(&txn, s);
    store_column_def cols[1] = {{"x", lc_type_prim(LC_T_U64)}};
    store_table_def d = {.name = "t2", .pk_col = -1, .col_count = 1, .cols = cols};
    u32 id;
    CHECK_OK(store_table_create(&txn, &d, &id, NULL));
    CHECK_EQ(id, 4097);
    CHECK_EQ(ins(&txn, 4096, 1, 5), 0);
    store_txn_abort(&txn);
    store_read_begin(&txn, s);
    CHECK(!store_table_exists(&txn, 4097));
    CHECK_ERR(store_table_id_from_name(&txn, "t2", 2, &id), LC_ENOTFOUND);
    CHECK_EQ(count_of(&txn, 4096), 0);
    CHECK_EQ(count_of(&txn, STORE_ST_TABLE), 21);
    for (u32 t = 1; t <= 5; t++) CHECK(store_table_check(&txn, t));
    store_read_end(&txn);
    /* The id handed out in the rolled-back transaction is not given back. */
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_create(&txn, &d, &id, NULL));
    CHECK_EQ(id, 4098);
    /* duplicate name */
    lc_errbuf eb;
    CHECK_ERR(store_table_create(&txn, &d, &id, &eb), LC_EUNIQUE);
    CHECK(store_table_exists(&txn, 4098));
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_destroy(s);
}

TEST(store_insert_existed_unique_delete)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    store_txn_begin(&txn, s);
    u8 row[12];
    acct(row, 7, 100);
    bool existed = true;
    CHECK_OK(store_insert(&txn, g_tid, row, 12, NULL, &existed));
    CHECK(!existed);
    CHECK_OK(store_insert(&txn, g_tid, row, 12, NULL, &existed));
    CHECK(existed);
    CHECK_EQ(count_of(&txn, g_tid), 1);
    CHECK_ERR(ins(&txn, g_tid, 7, 101), LC_EUNIQUE);
    CHECK(!txn.is_failed); /* per-operation error */
    CHECK_ERR(store_insert(&txn, g_tid, row, 11, NULL, NULL), LC_EDECODE);
    CHECK_ERR(store_insert(&txn, 9999, row, 12, NULL, NULL), LC_ENOTFOUND);
    CHECK_EQ(bal_of(&txn, g_pk_ix, 7), 100);
    bool deleted = false;
    CHECK_OK(store_delete_row(&txn, g_tid, row, 12, &deleted));
    CHECK(deleted);
    CHECK_OK(store_delete_row(&txn, g_tid, row, 12, &deleted));
    CHECK(!deleted);
    CHECK_EQ(bal_of(&txn, g_pk_ix, 7), -1);
    CHECK(store_table_check(&txn, g_tid));
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_destroy(s);
}

TEST(store_update_by_pk)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    store_txn_begin(&txn, s);
    for (u32 i = 1; i <= 10; i++) CHECK_OK(ins(&txn, g_tid, i, i * 10));
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_txn_begin(&txn, s);
    u8 row[12];
    acct(row, 3, 333);
    CHECK_OK(store_update(&txn, g_pk_ix, row, 12, NULL));
    CHECK_EQ(bal_of(&txn, g_pk_ix, 3), 333);
    acct(row, 99, 1);
    CHECK_ERR(store_update(&txn, g_pk_ix, row, 12, NULL), LC_ENOTFOUND);
    CHECK_EQ(count_of(&txn, g_tid), 10);
    CHECK(store_table_check(&txn, g_tid));
    const store_txdata *td;
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK(td->has_offset);
    CHECK_EQ(td->table_count, 1);
    CHECK_EQ(td->tables[0].inserts.count, 1);
    CHECK_EQ(td->tables[0].deletes.count, 1);
    const store_rows *d = &td->tables[0].deletes;
    CHECK_EQ(lc_load_u64(d->bytes + d->offs[0] + 4), 30);
    store_destroy(s);
}

TEST(store_rollback_restores_exactly)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    store_txn_begin(&txn, s);
    for (u32 i = 0; i < 1000; i++) CHECK_OK(ins(&txn, g_tid, i * 3, i));
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_read_begin(&txn, s);
    u64 before = table_digest(&txn, g_tid);
    store_read_end(&txn);
    store_txn_begin(&txn, s);
    for (u32 i = 0; i < 500; i++) {
        u8 row[12];
        acct(row, i * 3, i + 1);
        CHECK_OK(store_update(&txn, g_pk_ix, row, 12, NULL));
    }
    for (u32 i = 0; i < 300; i++) CHECK_OK(ins(&txn, g_tid, i * 3 + 1, 5));
    u8 lo[5] = {0}, hi[5] = {0};
    lc_store_u32(lo + 1, 100);
    lc_store_u32(hi + 1, 2000);
    u32 n;
    CHECK_OK(store_delete_range(&txn, g_pk_ix, NULL, 0, 0, lo, 5, hi, 5, &n));
    CHECK(n > 0);
    CHECK(store_table_check(&txn, g_tid));
    u64 cleared;
    CHECK_OK(store_clear(&txn, g_tid, &cleared));
    CHECK_EQ(count_of(&txn, g_tid), 0);
    store_txn_abort(&txn);
    store_read_begin(&txn, s);
    CHECK_EQ(count_of(&txn, g_tid), 1000);
    CHECK_EQ(table_digest(&txn, g_tid), before);
    CHECK(store_table_check(&txn, g_tid));
    CHECK_EQ(bal_of(&txn, g_pk_ix, 300), 100);
    store_read_end(&txn);
    store_destroy(s);
}

TEST(store_range_scans_int)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    store_txn_begin(&txn, s);
    for (u32 i = 0; i < 1000; i++) CHECK_OK(ins(&txn, g_tid, (i * 7919u) % 1000u, i));
    /* [10, 20) */
    u8 lo[5] = {0}, hi[5] = {1};
    lc_store_u32(lo + 1, 10);
    lc_store_u32(hi + 1, 20);
    store_iter it;
    CHECK_OK(store_index_range(&txn, g_pk_ix, NULL, 0, 0, lo, 5, hi, 5, &it));
    const u8 *r;
    u32 len, expect = 10;
    while (store_iter_next(&it, &r, &len)) CHECK_EQ(lc_load_u32(r), expect++);
    store_iter_close(&it);
    CHECK_EQ(expect, 20);
    /* (990, unbounded) */
    lo[0] = 1;
    lc_store_u32(lo + 1, 990);
    u8 unb = 2;
    CHECK_OK(store_index_range(&txn, g_pk_ix, NULL, 0, 0, lo, 5, &unb, 1, &it));
    expect = 991;
    while (store_iter_next(&it, &r, &len)) CHECK_EQ(lc_load_u32(r), expect++);
    store_iter_close(&it);
    CHECK_EQ(expect, 1000);
    /* empty (hi < lo) and bad bounds */
    lo[0] = 0;
    lc_store_u32(lo + 1, 50);
    hi[0] = 0;
    lc_store_u32(hi + 1, 40);
    CHECK_OK(store_index_range(&txn, g_pk_ix, NULL, 0, 0, lo, 5, hi, 5, &it));
    CHECK(!store_iter_next(&it, &r, &len));
    store_iter_close(&it);
    u8 bad = 3;
    CHECK_ERR(store_index_range(&txn, g_pk_ix, NULL, 0, 0, &bad, 1, &unb, 1, &it), LC_EDECODE);
    CHECK_ERR(store_index_range(&txn, g_pk_ix, NULL, 0, 0, lo, 4, &unb, 1, &it), LC_EDECODE);
    /* prefix = all columns */
    u8 key[4];
    lc_store_u32(key, 500);
    CHECK_OK(store_index_range(&txn, g_pk_ix, key, 4, 1, &unb, 1, &unb, 1, &it));
    CHECK(store_iter_next(&it, &r, &len));
    CHECK_EQ(lc_load_u32(r), 500);
    CHECK(!store_iter_next(&it, &r, &len));
    store_iter_close(&it);
    CHECK(store_table_check(&txn, g_tid));
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_destroy(s);
}

/* people(id u32 pk, age i16, name string unique, city string) with indexes:
 *   age (non-unique btree, int mode), (city, age) non-unique btree (generic), name unique,
 *   city hash. */
static u32 g_people, g_ix_age, g_ix_city_age, g_ix_name, g_ix_city_hash;

static int mk_people(store *s)
{
    store_column_def cols[4] = {{"id", lc_type_prim(LC_T_U32)},
                                {"age", lc_type_prim(LC_T_I16)},
                                {"name", lc_type_prim(LC_T_STRING)},
                                {"city", lc_type_prim(LC_T_STRING)}};
    u16 c_age = 1, c_name = 2, c_city_age[2] = {3, 1}, c_city = 3;
    store_index_def ixs[4] = {{"age_ix", STORE_INDEX_BTREE, false, 1, &c_age},
                              {"name_ix", STORE_INDEX_BTREE, true, 1, &c_name},
                              {"city_age_ix", STORE_INDEX_BTREE, false, 2, c_city_age},
                              {"city_hash", STORE_INDEX_HASH, false, 1, &c_city}};
    store_table_def d = {.name = "people", .pk_col = 0, .col_count = 4, .cols = cols,
                         .index_count = 4, .indexes = ixs};
    store_txn txn;
    store_txn_begin(&txn, s);
    int rc = store_table_create(&txn, &d, &g_people, NULL);
    if (!rc) rc = store_index_id_from_name(&txn, "age_ix", 6, &g_ix_age);
    if (!rc) rc = store_index_id_from_name(&txn, "name_ix", 7, &g_ix_name);
    if (!rc) rc = store_index_id_from_name(&txn, "city_age_ix", 11, &g_ix_city_age);
    if (!rc) rc = store_index_id_from_name(&txn, "city_hash", 9, &g_ix_city_hash);
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    return store_txn_commit(&txn, NULL);
}

static size_t person(u8 *row, u32 id, i16 age, const char *name, const char *city)
{
    size_t k = 0;
    lc_store_u32(row, id);
    lc_store_u16(row + 4, (u16)age);
    k = 6;
    lc_store_u32(row + k, (u32)strlen(name));
    memcpy(row + k + 4, name, strlen(name));
    k += 4 + strlen(name);
    lc_store_u32(row + k, (u32)strlen(city));
    memcpy(row + k + 4, city, strlen(city));
    return k + 4 + strlen(city);
}

static int ins_person(store_txn *txn, u32 id, i16 age, const char *name, const char *city)
{
    u8 row[256];
    size_t n = person(row, id, age, name, city);
    return store_insert(txn, g_people, row, n, NULL, NULL);
}

static u32 iter_count(store_iter *it)
{
    const u8 *r;
    u32 len, n = 0;
    while (store_iter_next(it, &r, &len)) n++;
    store_iter_close(it);
    return n;
}

static void check_people_hash_delete_update(store_txn *txn, const u8 *pre);

TEST(store_generic_and_multicol_indexes)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_people(s));
    store_txn txn;
    store_txn_begin(&txn, s);
    static const char *cities[3] = {"berlin", "oslo", "paris"};
    for (u32 i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%u", i);
        CHECK_OK(ins_person(&txn, i, (i16)((int)(i % 50) - 10), name, cities[i % 3]));
    }
    CHECK_ERR(ins_person(&txn, 1000, 1, "n5", "oslo"), LC_EUNIQUE); /* name unique */
    CHECK(store_table_check(&txn, g_people));
    /* name point lookup (generic, unique) */
    u8 key[64];
    lc_store_u32(key, 4);
    memcpy(key + 4, "n123", 4);
    store_iter it;
    CHECK_OK(store_index_point(&txn, g_ix_name, key, 8, &it));
    CHECK_EQ(iter_count(&it), 1);
    /* age = -10 (signed int mode, non-unique): i%50 == 0 -> 6 rows */
    u8 age[2];
    lc_store_u16(age, (u16)-10);
    CHECK_OK(store_index_point(&txn, g_ix_age, age, 2, &it));
    CHECK_EQ(iter_count(&it), 6);
    /* age in [-10, 0): 10 values x 6 */
    u8 lo[3] = {0}, hi[3] = {1};
    lc_store_u16(lo + 1, (u16)-10);
    lc_store_u16(hi + 1, 0);
    CHECK_OK(store_index_range(&txn, g_ix_age, NULL, 0, 0, lo, 3, hi, 3, &it));
    CHECK_EQ(iter_count(&it), 60);
    /* city = "oslo" and age in [0, 5]: prefix + range over the multi-column index */
    u8 pre[16];
    lc_store_u32(pre, 4);
    memcpy(pre + 4, "oslo", 4);
    lo[0] = 0;
    lc_store_u16(lo + 1, 0);
    hi[0] = 0;
    lc_store_u16(hi + 1, 5);
    CHECK_OK(store_index_range(&txn, g_ix_city_age, pre, 8, 1, lo, 3, hi, 3, &it));
    u32 want = 0;
    for (u32 i = 0; i < 300; i++) {
        int a = (int)(i % 50) - 10;
        want += i % 3 == 1 && a >= 0 && a <= 5;
    }
    CHECK_EQ(iter_count(&it), want);
    check_people_hash_delete_update(&txn, pre);
    store_txn_abort(&txn);
    store_read_begin(&txn, s);
    CHECK_EQ(count_of(&txn, g_people), 0);
    CHECK(store_table_check(&txn, g_people));
    store_read_end(&txn);
    store_destroy(s);
}

/* Hash index point/range, delete by a multi-column prefix, updates through a unique string
 * index (pk change rejected by the pk's uniqueness, non-unique index refused). */
static void check_people_hash_delete_update(store_txn *txn, const u8 *pre)
{
    store_iter it;
    /* hash index: point yes, range no */
    CHECK_OK(store_index_point(txn, g_ix_city_hash, pre, 8, &it));
    CHECK_EQ(iter_count(&it), 100);
    u8 unb = 2;
    CHECK_ERR(store_index_range(txn, g_ix_city_hash, NULL, 0, 0, &unb, 1, &unb, 1, &it),
              LC_ENOTSUP);
    /* delete by multi-column prefix */
    u32 n;
    CHECK_OK(store_delete_range(txn, g_ix_city_age, pre, 8, 1, &unb, 1, &unb, 1, &n));
    CHECK_EQ(n, 100);
    CHECK_EQ(count_of(txn, g_people), 200);
    CHECK(store_table_check(txn, g_people));
    /* update by the unique name index changing the pk: another row has that pk */
    u8 row[256];
    size_t rl = person(row, 0, 99, "n3", "rome");
    CHECK_ERR(store_update(txn, g_ix_name, row, rl, NULL), LC_EUNIQUE);
    rl = person(row, 5000, 99, "n3", "rome");
    CHECK_OK(store_update(txn, g_ix_name, row, rl, NULL));
    CHECK_ERR(store_update(txn, g_ix_age, row, rl, NULL), LC_EINVAL);
    CHECK(store_table_check(txn, g_people));
}

TEST(store_index_create_on_populated)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    store_txn_begin(&txn, s);
    for (u32 i = 0; i < 100; i++) CHECK_OK(ins(&txn, g_tid, i, i % 10));
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_txn_begin(&txn, s);
    u16 c = 1;
    store_index_def x = {NULL, STORE_INDEX_BTREE, true, 1, &c};
    u32 ix;
    CHECK_ERR(store_index_create(&txn, g_tid, &x, &ix, NULL), LC_EUNIQUE);
    x.is_unique = false;
    CHECK_OK(store_index_create(&txn, g_tid, &x, &ix, NULL));
    u8 key[8];
    lc_store_u64(key, 3);
    store_iter it;
    CHECK_OK(store_index_point(&txn, ix, key, 8, &it));
    CHECK_EQ(iter_count(&it), 10);
    CHECK(store_table_check(&txn, g_tid));
    store_txn_abort(&txn);
    store_read_begin(&txn, s);
    CHECK_ERR(store_index_point(&txn, ix, key, 8, &it), LC_ENOTFOUND);
    CHECK(store_table_check(&txn, g_tid));
    store_read_end(&txn);
    store_destroy(s);
}

TEST(store_sticky_failure)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_OK(ins(&txn, g_tid, 1, 1));
    store_txn_fail(&txn);
    CHECK_ERR(ins(&txn, g_tid, 2, 1), LC_ETXFAILED);
    CHECK_ERR(store_txn_commit(&txn, NULL), LC_ETXFAILED);
    store_read_begin(&txn, s);
    CHECK_EQ(count_of(&txn, g_tid), 0);
    CHECK_ERR(ins(&txn, g_tid, 2, 1), LC_ESTATE);
    store_read_end(&txn);
    store_destroy(s);
}

TEST(store_txdata_netting)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    const store_txdata *td;
    u64 off0 = store_next_tx_offset(s);
    store_txn_begin(&txn, s);
    CHECK_OK(ins(&txn, g_tid, 1, 10));
    CHECK_OK(ins(&txn, g_tid, 2, 20));
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK(td->has_offset);
    CHECK_EQ(td->tx_offset, off0);
    /* insert then delete: nothing; delete then re-insert identical: nothing */
    store_txn_begin(&txn, s);
    CHECK_OK(ins(&txn, g_tid, 3, 30));
    u8 row[12];
    acct(row, 3, 30);
    CHECK_OK(store_delete_row(&txn, g_tid, row, 12, NULL));
    acct(row, 1, 10);
    CHECK_OK(store_delete_row(&txn, g_tid, row, 12, NULL));
    CHECK_OK(store_insert(&txn, g_tid, row, 12, NULL, NULL));
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK(!td->has_offset);
    CHECK_EQ(td->table_count, 0);
    CHECK_EQ(store_next_tx_offset(s), off0 + 1);
    /* clear: truncate, deletes omitted from the encoding */
    store_txn_begin(&txn, s);
    CHECK_OK(store_clear(&txn, g_tid, NULL));
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK(td->has_offset);
    CHECK_EQ(td->tx_offset, off0 + 1);
    CHECK(td->tables[0].is_truncated);
    CHECK_EQ(td->tables[0].deletes.count, 2);
    lc_buf b;
    lc_buf_init(&b);
    store_txdata_encode(td, NULL, &b);
    u8 want[] = {0x20, 0, 0, 1, 0x00, 0x10, 0, 0};
    CHECK_EQ(b.len, sizeof want);
    CHECK_MEM(b.data, want, sizeof want);
    /* inputs */
    lc_buf_reset(&b);
    store_inputs in = {"hello", 5, (const u8 *)"AB", 2};
    store_txdata_encode(td, &in, &b);
    CHECK_EQ(b.data[0], 0xA0);
    CHECK_EQ(lc_load_u32(b.data + 1), 8);
    CHECK_EQ(b.data[5], 5);
    CHECK_MEM(b.data + 6, "helloAB", 7);
    lc_buf_deinit(&b);
    store_destroy(s);
}

/* Replays every recorded txdata of src into a fresh store and compares table digests. */
static void check_replay_equal(store *src, lc_buf *log, const u32 *lens, u32 n)
{
    store *dst;
    CHECK_OK(store_create(&dst));
    size_t off = 0;
    for (u32 i = 0; i < n; i++) {
        lc_errbuf eb = {{0}};
        int rc = store_txdata_apply(dst, i, log->data + off, lens[i], &eb);
        if (rc) lc_test_fail(__FILE__, __LINE__, "replay %u: %s", i, eb.msg);
        CHECK_OK(rc);
        off += lens[i];
    }
    CHECK_EQ(store_next_tx_offset(dst), store_next_tx_offset(src));
    store_txn a, b;
    store_read_begin(&a, src);
    store_read_begin(&b, dst);
    for (u32 t = 1; t <= 4100; t++) {
        if (t == 21) t = 4096;
        CHECK_EQ(store_table_exists(&a, t), store_table_exists(&b, t));
        if (!store_table_exists(&a, t)) continue;
        CHECK_EQ(table_digest(&a, t), table_digest(&b, t));
        CHECK(store_table_check(&b, t));
    }
    store_read_end(&a);
    store_read_end(&b);
    store_destroy(dst);
}

static int commit_log(store_txn *txn, lc_buf *log, u32 *lens, u32 *n)
{
    const store_txdata *td;
    int rc = store_txn_commit(txn, &td);
    if (rc || !td->has_offset) return rc;
    size_t before = log->len;
    store_txdata_encode(td, NULL, log);
    lens[(*n)++] = (u32)(log->len - before);
    return log->err;
}

static void check_snapshot_restart(store *s, u32 tid, store_table_def *d, const u8 *row);

TEST(store_sequences_and_replay)
{
    store *s;
    CHECK_OK(store_create(&s));
    lc_buf log;
    lc_buf_init(&log);
    u32 lens[64], n = 0;
    store_column_def cols[2] = {{"id", lc_type_prim(LC_T_U64)},
                                {"name", lc_type_prim(LC_T_STRING)}};
    store_sequence_def seq = {.col_pos = 0};
    store_table_def d = {.name = "things", .pk_col = 0, .col_count = 2, .cols = cols,
                         .seq_count = 1, .seqs = &seq};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 tid;
    CHECK_OK(store_table_create(&txn, &d, &tid, NULL));
    CHECK_OK(commit_log(&txn, &log, lens, &n));
    u8 row[32] = {0};
    lc_store_u32(row + 8, 1);
    row[12] = 'a';
    lc_buf gen;
    lc_buf_init(&gen);
    for (u64 want = 1; want <= 3; want++) {
        store_txn_begin(&txn, s);
        lc_buf_reset(&gen);
        CHECK_OK(store_insert(&txn, tid, row, 13, &gen, NULL));
        CHECK_EQ(gen.len, 8);
        CHECK_EQ(lc_load_u64(gen.data), want);
        CHECK_OK(commit_log(&txn, &log, lens, &n));
    }
    /* a rolled-back insert consumes value 4 */
    store_txn_begin(&txn, s);
    lc_buf_reset(&gen);
    CHECK_OK(store_insert(&txn, tid, row, 13, &gen, NULL));
    CHECK_EQ(lc_load_u64(gen.data), 4);
    store_txn_abort(&txn);
    store_txn_begin(&txn, s);
    lc_buf_reset(&gen);
    CHECK_OK(store_insert(&txn, tid, row, 13, &gen, NULL));
    CHECK_EQ(lc_load_u64(gen.data), 5);
    /* a non-zero value is kept */
    u8 row2[32] = {0};
    lc_store_u64(row2, 777);
    lc_store_u32(row2 + 8, 1);
    row2[12] = 'b';
    lc_buf_reset(&gen);
    CHECK_OK(store_insert(&txn, tid, row2, 13, &gen, NULL));
    CHECK_EQ(gen.len, 0);
    CHECK_OK(commit_log(&txn, &log, lens, &n));
    check_replay_equal(s, &log, lens, n);
    check_snapshot_restart(s, tid, &d, row);
    lc_buf_deinit(&gen);
    lc_buf_deinit(&log);
    store_destroy(s);
}

/* Restart via snapshot: the next sequence value is the persisted bound 4097, the next table
 * id the bound of st_table's sequence; corrupt snapshots are refused. */
static void check_snapshot_restart(store *s, u32 tid, store_table_def *d, const u8 *row)
{
    store_txn txn;
    lc_buf gen;
    lc_buf_init(&gen);
    lc_buf snap;
    lc_buf_init(&snap);
    CHECK_OK(store_snapshot_encode(s, &snap));
    store *s2;
    CHECK_OK(store_create(&s2));
    lc_errbuf eb = {{0}};
    int rc = store_snapshot_decode(s2, snap.data, snap.len, &eb);
    if (rc) lc_test_fail(__FILE__, __LINE__, "snapshot: %s", eb.msg);
    CHECK_OK(rc);
    CHECK_EQ(store_next_tx_offset(s2), store_next_tx_offset(s));
    store_txn_begin(&txn, s2);
    CHECK_EQ(count_of(&txn, tid), 5);
    CHECK(store_table_check(&txn, tid));
    lc_buf_reset(&gen);
    CHECK_OK(store_insert(&txn, tid, row, 13, &gen, NULL));
    CHECK_EQ(lc_load_u64(gen.data), 4097);
    CHECK_OK(store_txn_commit(&txn, NULL));
    /* a second user table in the restored store gets the next id after the persisted bound */
    store_txn_begin(&txn, s2);
    d->name = "more";
    u32 tid2;
    CHECK_OK(store_table_create(&txn, d, &tid2, NULL));
    CHECK_EQ(tid2, 8192);
    CHECK_OK(store_txn_commit(&txn, NULL));
    /* corrupt snapshots are refused */
    snap.data[0] ^= 1;
    store *s3;
    CHECK_OK(store_create(&s3));
    CHECK_ERR(store_snapshot_decode(s3, snap.data, snap.len, &eb), LC_ECORRUPT);
    snap.data[0] ^= 1;
    CHECK_ERR(store_snapshot_decode(s3, snap.data, snap.len - 3, &eb), LC_ECORRUPT);
    store_destroy(s3);
    store_destroy(s2);
    lc_buf_deinit(&snap);
    lc_buf_deinit(&gen);
}

TEST(store_replay_restart_sequence)
{
    store *s;
    CHECK_OK(store_create(&s));
    lc_buf log;
    lc_buf_init(&log);
    u32 lens[16], n = 0;
    store_column_def cols[1] = {{"id", lc_type_prim(LC_T_U32)}};
    store_sequence_def seq = {.col_pos = 0};
    store_table_def d = {.name = "t", .pk_col = 0, .col_count = 1, .cols = cols,
                         .seq_count = 1, .seqs = &seq};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 tid;
    CHECK_OK(store_table_create(&txn, &d, &tid, NULL));
    u8 zero[4] = {0};
    CHECK_OK(store_insert(&txn, tid, zero, 4, NULL, NULL));
    CHECK_OK(commit_log(&txn, &log, lens, &n));
    store *r;
    CHECK_OK(store_create(&r));
    CHECK_OK(store_txdata_apply(r, 0, log.data, lens[0], NULL));
    store_txn_begin(&txn, r);
    lc_buf gen;
    lc_buf_init(&gen);
    CHECK_OK(store_insert(&txn, tid, zero, 4, &gen, NULL));
    CHECK_EQ(lc_load_u32(gen.data), 4097);
    CHECK_OK(store_txn_commit(&txn, NULL));
    /* garbage records are refused and leave the store untouched */
    u8 junk[] = {0x20, 1, 0x00, 0x10, 0, 0, 5, 1, 2};
    CHECK_ERR(store_txdata_apply(r, 1, junk, sizeof junk, NULL), LC_ECORRUPT);
    for (size_t cut = 0; cut < lens[0]; cut += 3)
        CHECK(store_txdata_apply(r, 1, log.data, cut, NULL) != 0 || cut == 0);
    store_read_begin(&txn, r);
    CHECK_EQ(count_of(&txn, tid), 2);
    store_read_end(&txn);
    lc_buf_deinit(&gen);
    lc_buf_deinit(&log);
    store_destroy(r);
    store_destroy(s);
}

TEST(store_oom_injection)
{
    for (i64 k = 0; k < 400; k += 7) {
        store *s;
        CHECK_OK(store_create(&s));
        CHECK_OK(mk_people(s));
        store_txn txn;
        store_txn_begin(&txn, s);
        lc_alloc_fail_after(k);
        int rc = 0;
        for (u32 i = 0; i < 200 && !rc; i++) {
            char name[16];
            snprintf(name, sizeof name, "p%u", i);
            rc = ins_person(&txn, i, (i16)i, name, "x");
        }
        lc_alloc_fail_after(-1);
        if (rc) CHECK(rc == LC_ENOMEM || rc == LC_ETXFAILED);
        store_txn_abort(&txn);
        store_read_begin(&txn, s);
        CHECK_EQ(count_of(&txn, g_people), 0);
        CHECK(store_table_check(&txn, g_people));
        store_read_end(&txn);
        store_destroy(s);
    }
}

TEST(store_direct_index_and_forced_offset)
{
    store *s;
    CHECK_OK(store_create(&s));
    store_column_def cols[2] = {{"slot", lc_type_prim(LC_T_U16)},
                                {"v", lc_type_prim(LC_T_BOOL)}};
    u16 c0 = 0;
    store_index_def x = {"slot_direct", STORE_INDEX_DIRECT, true, 1, &c0};
    store_table_def d = {.name = "slots", .pk_col = -1, .col_count = 2, .cols = cols,
                         .index_count = 1, .indexes = &x};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 tid, ix;
    CHECK_OK(store_table_create(&txn, &d, &tid, NULL));
    CHECK_OK(store_index_id_from_name(&txn, "slot_direct", 11, &ix));
    store_index_info info;
    CHECK_OK(store_index_info_get(&txn, ix, &info));
    CHECK_EQ(info.algo, STORE_INDEX_DIRECT);
    CHECK(info.is_unique);
    for (u16 i = 0; i < 600; i += 3) {
        u8 row[3];
        lc_store_u16(row, i);
        row[2] = (u8)(i & 1);
        CHECK_OK(store_insert(&txn, tid, row, 3, NULL, NULL));
    }
    u8 bad[3] = {1, 0, 2}; /* bool 2 */
    CHECK_ERR(store_insert(&txn, tid, bad, 3, NULL, NULL), LC_EDECODE);
    u8 lo[3] = {0}, hi[3] = {0};
    lc_store_u16(lo + 1, 300);
    lc_store_u16(hi + 1, 330);
    store_iter it;
    CHECK_OK(store_index_range(&txn, ix, NULL, 0, 0, lo, 3, hi, 3, &it));
    CHECK_EQ(iter_count(&it), 11);
    u8 key[2];
    lc_store_u16(key, 303);
    u32 n;
    CHECK_OK(store_delete_point(&txn, ix, key, 2, &n));
    CHECK_EQ(n, 1);
    CHECK(store_table_check(&txn, tid));
    CHECK_OK(store_txn_commit(&txn, NULL));
    u64 off = store_next_tx_offset(s);
    const store_txdata *td;
    store_txn_begin(&txn, s);
    store_txn_force_offset(&txn);
    CHECK_OK(store_txn_commit(&txn, &td));
    CHECK(td->has_offset);
    CHECK_EQ(td->tx_offset, off);
    CHECK_EQ(td->table_count, 0);
    store_destroy(s);
}

TEST(store_oom_injection_updates_and_commit)
{
    for (i64 k = 0; k < 120; k += 3) {
        store *s;
        CHECK_OK(store_create(&s));
        CHECK_OK(mk_people(s));
        store_txn txn;
        store_txn_begin(&txn, s);
        for (u32 i = 0; i < 50; i++) {
            char name[16];
            snprintf(name, sizeof name, "p%u", i);
            CHECK_OK(ins_person(&txn, i, (i16)i, name, "x"));
        }
        CHECK_OK(store_txn_commit(&txn, NULL));
        store_read_begin(&txn, s);
        u64 before = table_digest(&txn, g_people);
        store_read_end(&txn);
        store_txn_begin(&txn, s);
        u32 pk;
        CHECK_OK(store_index_id_from_name(&txn, "people_id_idx_btree", 19, &pk));
        lc_alloc_fail_after(k);
        int rc = 0;
        for (u32 i = 0; i < 50 && !rc; i++) {
            u8 row[256];
            char name[16];
            snprintf(name, sizeof name, "q%u", i);
            size_t rl = person(row, i, (i16)(i * 7), name, "yy");
            rc = store_update(&txn, pk, row, rl, NULL);
        }
        const store_txdata *td;
        int crc = rc ? (store_txn_abort(&txn), rc) : store_txn_commit(&txn, &td);
        lc_alloc_fail_after(-1);
        CHECK(crc == 0 || crc == LC_ENOMEM || crc == LC_ETXFAILED);
        store_read_begin(&txn, s);
        CHECK(store_table_check(&txn, g_people));
        if (crc) CHECK_EQ(table_digest(&txn, g_people), before);
        else CHECK_EQ(count_of(&txn, g_people), 50);
        store_read_end(&txn);
        store_destroy(s);
    }
}

/* Random transfers, inserts, deletes and clears on accounts, logged and replayed: exercises
 * replay's pairing of a delete and an insert of the same key into an in-place update. */
TEST(store_replay_pairs_updates)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    u64 rs = lc_test_seed() | 1;
    lc_buf log;
    lc_buf_init(&log);
    u32 lens[1024], n = 0;
    lens[n++] = 0; /* the DDL transaction is replayed from a fresh log below */
    store *fresh;
    CHECK_OK(store_create(&fresh));
    CHECK_OK(mk_accounts(fresh, "accounts")); /* same ids, offsets */
    n = 0;
    for (u32 t = 0; t < 600; t++) {
        store_txn txn;
        store_txn_begin(&txn, s);
        for (u32 k = 0; k < 4; k++) {
            rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
            u32 id = (u32)(rs % 64), op = (u32)(rs >> 32) % 10;
            u8 row[12];
            acct(row, id, (i64)(rs >> 40));
            int rc;
            if (op < 4) rc = store_update(&txn, g_pk_ix, row, 12, NULL);
            else if (op < 8) rc = store_insert(&txn, g_tid, row, 12, NULL, NULL);
            else if (op < 9) rc = store_delete_point(&txn, g_pk_ix, row, 4, NULL);
            else rc = (rs & 0xf00) == 0 ? store_clear(&txn, g_tid, NULL) : 0;
            CHECK(rc == 0 || rc == LC_ENOTFOUND || rc == LC_EUNIQUE);
        }
        if (rs & 1) {
            store_txn_abort(&txn);
            continue;
        }
        CHECK_OK(commit_log(&txn, &log, lens, &n));
        CHECK(n < 1024);
    }
    size_t off = 0;
    u64 first = store_next_tx_offset(fresh);
    for (u32 i = 0; i < n; i++) {
        CHECK_OK(store_txdata_apply(fresh, first + i, log.data + off, lens[i], NULL));
        off += lens[i];
    }
    store_txn a, b;
    store_read_begin(&a, s);
    store_read_begin(&b, fresh);
    CHECK_EQ(table_digest(&a, g_tid), table_digest(&b, g_tid));
    CHECK_EQ(count_of(&a, g_tid), count_of(&b, g_tid));
    CHECK(store_table_check(&b, g_tid));
    store_read_end(&a);
    store_read_end(&b);
    lc_buf_deinit(&log);
    store_destroy(fresh);
    store_destroy(s);
}

TEST(store_name_aliases)
{
    store *s;
    CHECK_OK(store_create(&s));
    CHECK_OK(mk_accounts(s, "accounts"));
    store_txn txn;
    store_txn_begin(&txn, s);
    u8 row[64];
    size_t n = 0;
    lc_store_u32(row, 8);
    memcpy(row + 4, "accounts", 8);
    lc_store_u32(row + 12, 8);
    memcpy(row + 16, "Accounts", 8);
    n = 24;
    CHECK_OK(store_insert(&txn, 18, row, n, NULL, NULL));
    lc_store_u32(row, 21);
    memcpy(row + 4, "accounts_id_idx_btree", 21);
    lc_store_u32(row + 25, 4);
    memcpy(row + 29, "byId", 4);
    CHECK_OK(store_insert(&txn, 19, row, 33, NULL, NULL));
    u32 id;
    CHECK_OK(store_table_id_from_name(&txn, "Accounts", 8, &id));
    CHECK_EQ(id, g_tid);
    CHECK_OK(store_index_id_from_name(&txn, "byId", 4, &id));
    CHECK_EQ(id, g_pk_ix);
    CHECK_ERR(store_table_id_from_name(&txn, "nope", 4, &id), LC_ENOTFOUND);
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_destroy(s);
}

TEST(store_oom_injection_ddl)
{
    for (i64 k = 0; k < 300; k += 2) {
        store *s;
        CHECK_OK(store_create(&s));
        store_txn txn;
        store_txn_begin(&txn, s);
        store_column_def cols[3] = {{"id", lc_type_prim(LC_T_U32)},
                                    {"name", lc_type_prim(LC_T_STRING)},
                                    {"n", lc_type_prim(LC_T_U64)}};
        u16 c1 = 1;
        store_index_def x = {NULL, STORE_INDEX_BTREE, true, 1, &c1};
        store_sequence_def q = {.col_pos = 2};
        store_table_def d = {.name = "t", .pk_col = 0, .col_count = 3, .cols = cols,
                             .index_count = 1, .indexes = &x, .seq_count = 1, .seqs = &q};
        u32 tid;
        lc_alloc_fail_after(k);
        int rc = store_table_create(&txn, &d, &tid, NULL);
        lc_alloc_fail_after(-1);
        CHECK(rc == 0 || rc == LC_ENOMEM);
        if (rc == 0 || (k & 2)) store_txn_abort(&txn);
        else CHECK_ERR(store_txn_commit(&txn, NULL), txn.is_failed ? LC_ETXFAILED : 0);
        store_read_begin(&txn, s);
        CHECK(!store_table_exists(&txn, 4096) || rc == 0);
        for (u32 t = 1; t <= 20; t++) CHECK(store_table_check(&txn, t));
        store_read_end(&txn);
        store_destroy(s);
    }
}

TEST(store_rowset_after_unique_index_rollback)
{
    store *s;
    CHECK_OK(store_create(&s));
    store_column_def cols[1] = {{"x", lc_type_prim(LC_T_U64)}};
    store_table_def d = {.name = "bag", .pk_col = -1, .col_count = 1, .cols = cols};
    store_txn txn;
    u32 tid, ix;
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_create(&txn, &d, &tid, NULL));
    u8 row[8];
    for (u64 i = 0; i < 100; i++) {
        lc_store_u64(row, i);
        CHECK_OK(store_insert(&txn, tid, row, 8, NULL, NULL));
    }
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_txn_begin(&txn, s);
    u16 c = 0;
    store_index_def x = {NULL, STORE_INDEX_BTREE, true, 1, &c};
    CHECK_OK(store_index_create(&txn, tid, &x, &ix, NULL));
    lc_store_u64(row, 500);
    CHECK_OK(store_insert(&txn, tid, row, 8, NULL, NULL));
    store_txn_abort(&txn);
    store_txn_begin(&txn, s);
    CHECK(store_table_check(&txn, tid));
    bool existed = false;
    lc_store_u64(row, 7);
    CHECK_OK(store_insert(&txn, tid, row, 8, NULL, &existed));
    CHECK(existed);
    CHECK_EQ(count_of(&txn, tid), 100);
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_destroy(s);
}

/* Unique u64 keys (j << 32) | j all carry the same hash-slot tag (the tag folds the two
 * halves), so every lookup, insert and delete in the int hash must still confirm on the row:
 * present keys found, absent keys with the same tag not found, deletes leave tombstones that
 * later inserts reuse, and the index stays consistent throughout. */
TEST(store_int_hash_same_tag_keys)
{
    store *s;
    CHECK_OK(store_create(&s));
    store_column_def cols[2] = {{"id", lc_type_prim(LC_T_U64)}, {"v", lc_type_prim(LC_T_U32)}};
    store_table_def d = {.name = "tagged", .is_public = true, .pk_col = 0, .col_count = 2,
                         .cols = cols};
    store_txn txn;
    u32 tid, ix;
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_create(&txn, &d, &tid, NULL));
    CHECK_OK(store_index_id_from_name(&txn, "tagged_id_idx_btree", 19, &ix));
    u8 row[12], key[8];
    for (u64 j = 0; j < 600; j++) {
        lc_store_u64(row, (j << 32) | j);
        lc_store_u32(row + 8, (u32)j);
        CHECK_OK(store_insert(&txn, tid, row, 12, NULL, NULL));
    }
    for (u64 j = 0; j < 600; j += 2) {
        lc_store_u64(key, (j << 32) | j);
        u32 n = 0;
        CHECK_OK(store_delete_point(&txn, ix, key, 8, &n));
        CHECK_EQ(n, 1);
    }
    for (u64 j = 0; j < 700; j++) {
        lc_store_u64(key, (j << 32) | j);
        store_iter it;
        CHECK_OK(store_index_point(&txn, ix, key, 8, &it));
        const u8 *r;
        u32 len;
        bool hit = store_iter_next(&it, &r, &len);
        store_iter_close(&it);
        CHECK_EQ(hit, j < 600 && (j & 1));
        if (hit) CHECK_EQ(lc_load_u32(r + 8), (u32)j);
    }
    for (u64 j = 0; j < 600; j += 2) { /* re-insert into the tombstoned slots */
        lc_store_u64(row, (j << 32) | j);
        lc_store_u32(row + 8, (u32)j + 1);
        CHECK_OK(store_insert(&txn, tid, row, 12, NULL, NULL));
    }
    CHECK(store_table_check(&txn, tid));
    CHECK_OK(store_txn_commit(&txn, NULL));
    store_destroy(s);
}
