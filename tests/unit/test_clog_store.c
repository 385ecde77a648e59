/*
 * tests/unit/test_clog_store.c — the store with its log (clog_store_*): recovery through a
 * snapshot plus the log suffix gives back every row, working indexes and sequences that never
 * repeat a value; automatic snapshots every N transactions.
 */
#include "base/alloc.h"
#include "base/log.h"
#include "clog/clog_store.h"
#include "harness.h"
#include "unit/test_clog_util.h"

#define ROWS 500

typedef struct tbl {
    u32 tid, pk;
} tbl;

static int find(store *s, const char *name, const char *pk, tbl *out)
{
    store_txn t;
    store_read_begin(&t, s);
    int rc = store_table_id_from_name(&t, name, strlen(name), &out->tid);
    if (!rc) rc = store_index_id_from_name(&t, pk, strlen(pk), &out->pk);
    store_read_end(&t);
    return rc;
}

static int commit(clog_store_db *db, store_txn *t)
{
    u64 off;
    bool logged;
    return clog_store_commit(db, t, NULL, &off, &logged, NULL);
}

/* accounts(id u32 pk, balance i64) and events(id u64 pk auto_inc, v u32). */
static int create_tables(clog_store_db *db)
{
    store_txn t;
    store_txn_begin(&t, db->s);
    u16 c0 = 0;
    store_column_def ac[] = {{"id", lc_type_prim(LC_T_U32)}, {"balance", lc_type_prim(LC_T_I64)}};
    store_index_def ai = {"accounts_pk", STORE_INDEX_BTREE, true, 1, &c0};
    store_table_def ad = {"accounts", true, 0, 2, ac, 1, &ai, 0, NULL};
    store_column_def ec[] = {{"id", lc_type_prim(LC_T_U64)}, {"v", lc_type_prim(LC_T_U32)}};
    store_index_def ei = {"events_pk", STORE_INDEX_BTREE, true, 1, &c0};
    store_sequence_def es = {0, 0, 0, 0, 0};
    store_table_def ed = {"events", true, 0, 2, ec, 1, &ei, 1, &es};
    u32 id;
    int rc = store_table_create(&t, &ad, &id, NULL);
    if (!rc) rc = store_table_create(&t, &ed, &id, NULL);
    if (rc) {
        store_txn_abort(&t);
        return rc;
    }
    return commit(db, &t);
}

/* One transaction: set balance[id] = v for a few ids, and add one auto_inc event. */
static int work(clog_store_db *db, i64 *model, u64 *max_event, u64 seed)
{
    tbl a, e;
    if (find(db->s, "accounts", "accounts_pk", &a) || find(db->s, "events", "events_pk", &e))
        return LC_ENOTFOUND;
    store_txn t;
    store_txn_begin(&t, db->s);
    int rc = 0;
    for (int k = 0; k < 3 && !rc; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        u32 id = (u32)(seed >> 33) % ROWS;
        u8 row[12];
        lc_store_u32(row, id);
        lc_store_u64(row + 4, (u64)(i64)(seed >> 40));
        rc = model[id] == INT64_MIN ? store_insert(&t, a.tid, row, 12, NULL, NULL)
                                    : store_update(&t, a.pk, row, 12, NULL);
        if (!rc) model[id] = (i64)(seed >> 40);
    }
    u8 ev[12] = {0};
    lc_store_u32(ev + 8, 7);
    lc_buf gen;
    lc_buf_init(&gen);
    if (!rc) rc = store_insert(&t, e.tid, ev, 12, &gen, NULL);
    if (!rc && gen.len == 8) {
        u64 g = lc_load_u64(gen.data);
        if (g <= *max_event) rc = LC_EEXISTS; /* a sequence value came back */
        *max_event = g;
    } else if (!rc) {
        rc = LC_ESTATE;
    }
    lc_buf_deinit(&gen);
    if (rc) {
        store_txn_abort(&t);
        return rc;
    }
    return commit(db, &t);
}

static bool matches(store *s, const i64 *model)
{
    tbl a;
    if (find(s, "accounts", "accounts_pk", &a)) return false;
    store_txn t;
    store_read_begin(&t, s);
    bool ok = store_table_check(&t, a.tid);
    u64 want = 0, count = 0;
    for (u32 id = 0; id < ROWS && ok; id++) {
        u8 key[4];
        lc_store_u32(key, id);
        store_iter it;
        const u8 *row;
        u32 len;
        if (store_index_point(&t, a.pk, key, 4, &it)) {
            ok = false;
            break;
        }
        bool has = store_iter_next(&it, &row, &len);
        if (model[id] == INT64_MIN) ok = !has;
        else ok = has && len == 12 && (i64)lc_load_u64(row + 4) == model[id];
        want += model[id] != INT64_MIN;
        store_iter_close(&it);
    }
    ok = ok && !store_row_count(&t, a.tid, &count) && count == want;
    store_read_end(&t);
    return ok;
}

TEST(clog_store_recover_snapshot_suffix_sequences)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    i64 *model = lc_alloc(ROWS * sizeof *model);
    for (int i = 0; i < ROWS; i++) model[i] = INT64_MIN;
    u64 max_event = 0, seed = lc_test_seed();
    clog_store_db db;
    clog_recover_stats st;
    CHECK_OK(clog_store_open(dir, NULL, &db, &st, NULL));
    CHECK_OK(create_tables(&db));
    for (int i = 0; i < 300; i++) CHECK_OK(work(&db, model, &max_event, seed + (u64)i));
    CHECK_OK(clog_store_snapshot(&db, NULL));
    CHECK_OK(clog_snapshot_wait(db.log, NULL));
    u64 snap_end = store_next_tx_offset(db.s);
    for (int i = 300; i < 500; i++) CHECK_OK(work(&db, model, &max_event, seed + (u64)i));
    u64 end = store_next_tx_offset(db.s);
    CHECK_OK(clog_store_close(&db));

    for (int round = 0; round < 2; round++) { /* snapshot + suffix; then log only */
        CHECK_OK(clog_store_open(dir, NULL, &db, &st, NULL));
        CHECK_EQ(store_next_tx_offset(db.s), end);
        CHECK_EQ(st.has_snapshot, round == 0);
        CHECK_EQ(st.replayed, round == 0 ? end - snap_end : end);
        CHECK(matches(db.s, model));
        for (int i = 0; i < 50; i++) /* sequences continue, never repeating */
            CHECK_OK(work(&db, model, &max_event, seed + 1000 + (u64)(round * 50 + i)));
        end = store_next_tx_offset(db.s);
        CHECK_OK(clog_store_close(&db));
        u64 ends[4];
        int n = clog_snapshot_list(dir, ends, 4);
        for (int i = 0; i < n && i < 4; i++) CHECK_OK(clog_snapshot_invalidate(dir, ends[i]));
    }
    CHECK_OK(clog_store_open(dir, NULL, &db, &st, NULL));
    CHECK(matches(db.s, model));
    CHECK_OK(clog_store_close(&db));
    lc_free(model);
    tc_rmdir(dir);
}

TEST(clog_store_snapshot_every)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    i64 *model = lc_alloc(ROWS * sizeof *model);
    for (int i = 0; i < ROWS; i++) model[i] = INT64_MIN;
    u64 max_event = 0;
    clog_store_db db;
    CHECK_OK(clog_store_open(dir, NULL, &db, NULL, NULL));
    db.snapshot_every = 100;
    CHECK_OK(create_tables(&db));
    for (int i = 0; i < 450; i++) {
        CHECK_OK(work(&db, model, &max_event, (u64)i * 977));
        if (i % 100 == 99) CHECK_OK(clog_snapshot_wait(db.log, NULL)); /* let each finish */
    }
    CHECK_OK(clog_snapshot_wait(db.log, NULL));
    clog_stats cs;
    clog_get_stats(db.log, &cs);
    CHECK(cs.snapshots >= 4);
    CHECK_OK(clog_store_close(&db));
    u64 ends[8];
    CHECK_EQ(clog_snapshot_list(dir, ends, 8), 2); /* pruned */
    clog_recover_stats st;
    CHECK_OK(clog_store_open(dir, NULL, &db, &st, NULL));
    CHECK(st.has_snapshot);
    CHECK_EQ(st.snapshot_tx_end, ends[0]);
    CHECK(st.replayed < 100);
    CHECK(matches(db.s, model));
    CHECK_OK(clog_store_close(&db));
    lc_free(model);
    tc_rmdir(dir);
}
