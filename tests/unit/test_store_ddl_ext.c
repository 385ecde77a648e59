/*
 * tests/unit/test_store_ddl_ext.c — store/store_ddl_ext.c: store_index_drop removes a unique
 * index together with its Unique constraint (duplicates are then accepted), is undone by an
 * abort, refuses unknown and system indexes; store_table_set_access_pk rewrites st_table and
 * the reconciled table follows (and reverts on abort).
 */
#include "harness.h"
#include "store/store.h"
#include "store/store_int.h" /* store_table_get: the reconciled catalog object */

static int make_table(store *s, u32 *out_ix)
{
    store_column_def cols[2] = {{"id", lc_type_prim(LC_T_U32)}, {"v", lc_type_prim(LC_T_U32)}};
    u16 c0 = 0;
    store_index_def ix = {"t_id_idx_btree", STORE_INDEX_BTREE, true, 1, &c0};
    store_table_def td = {"t", true, -1, 2, cols, 1, &ix, 0, NULL};
    store_txn txn;
    store_txn_begin(&txn, s);
    u32 id = 0;
    lc_errbuf eb;
    int rc = store_table_create(&txn, &td, &id, &eb);
    u8 row[8] = {1, 0, 0, 0, 5, 0, 0, 0};
    if (!rc) rc = store_insert(&txn, id, row, 8, NULL, NULL);
    if (!rc) rc = store_index_id_from_name(&txn, "t_id_idx_btree", 14, out_ix);
    const store_txdata *txd;
    if (!rc) rc = store_txn_commit(&txn, &txd);
    else store_txn_abort(&txn);
    return rc;
}

TEST(store_index_drop_unique)
{
    store *s = NULL;
    CHECK_OK(store_create(&s));
    u32 ix = 0, tid = 0;
    CHECK_OK(make_table(s, &ix));
    u8 dup[8] = {1, 0, 0, 0, 6, 0, 0, 0};
    lc_errbuf eb;
    for (int commit = 0; commit < 2; commit++) {
        store_txn txn;
        store_txn_begin(&txn, s);
        CHECK_OK(store_table_id_from_name(&txn, "t", 1, &tid));
        CHECK_ERR(store_insert(&txn, tid, dup, 8, NULL, NULL), LC_EUNIQUE);
        CHECK_OK(store_index_drop(&txn, ix, &eb));
        u32 x = 0;
        CHECK_ERR(store_index_id_from_name(&txn, "t_id_idx_btree", 14, &x), LC_ENOTFOUND);
        CHECK_OK(store_insert(&txn, tid, dup, 8, NULL, NULL)); /* no longer unique */
        const store_txdata *txd;
        if (commit) CHECK_OK(store_txn_commit(&txn, &txd));
        else store_txn_abort(&txn);
        u64 n = 0;
        store_read_begin(&txn, s);
        CHECK_OK(store_row_count(&txn, tid, &n));
        CHECK_EQ(n, commit ? 2 : 1);
        CHECK_EQ(store_index_id_from_name(&txn, "t_id_idx_btree", 14, &x) == 0, !commit);
        store_read_end(&txn);
    }
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_ERR(store_index_drop(&txn, ix, &eb), LC_ENOTFOUND);
    u32 sys = 0;
    CHECK_OK(store_index_id_from_name(&txn, "st_table_table_id_idx_btree", 27, &sys));
    CHECK_ERR(store_index_drop(&txn, sys, &eb), LC_EPERM);
    store_txn_abort(&txn);
    store_destroy(s);
}

TEST(store_table_set_access_pk)
{
    store *s = NULL;
    CHECK_OK(store_create(&s));
    u32 ix = 0, tid = 0;
    CHECK_OK(make_table(s, &ix));
    lc_errbuf eb;
    for (int commit = 0; commit < 2; commit++) {
        store_txn txn;
        store_txn_begin(&txn, s);
        CHECK_OK(store_table_id_from_name(&txn, "t", 1, &tid));
        CHECK_OK(store_table_set_access_pk(&txn, tid, false, 0, &eb));
        CHECK(!store_table_get(s, tid)->is_public);
        CHECK_EQ(store_table_get(s, tid)->pk_col, 0);
        const store_txdata *txd;
        if (commit) CHECK_OK(store_txn_commit(&txn, &txd));
        else store_txn_abort(&txn);
        CHECK_EQ(store_table_get(s, tid)->is_public, !commit);
        CHECK_EQ(store_table_get(s, tid)->pk_col, commit ? 0 : -1);
        u64 n = 0;
        store_read_begin(&txn, s);
        CHECK_OK(store_row_count(&txn, tid, &n));
        CHECK_EQ(n, 1);
        store_read_end(&txn);
    }
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_set_access_pk(&txn, tid, true, -1, &eb));
    CHECK(store_table_get(s, tid)->is_public);
    CHECK_EQ(store_table_get(s, tid)->pk_col, -1);
    CHECK_ERR(store_table_set_access_pk(&txn, tid, true, 7, &eb), LC_EINVAL);
    CHECK_ERR(store_table_set_access_pk(&txn, STORE_ST_TABLE, true, -1, &eb), LC_EPERM);
    CHECK_ERR(store_table_set_access_pk(&txn, 999999, true, -1, &eb), LC_ENOTFOUND);
    store_txn_abort(&txn);
    store_destroy(s);
}

/* Commits txn and replays its TxData into the replica (what recovery from the log does). */
static int commit_replay(store_txn *txn, store *replica)
{
    const store_txdata *td = NULL;
    int rc = store_txn_commit(txn, &td);
    if (rc || !td->has_offset) return rc;
    lc_buf b;
    lc_buf_init(&b);
    store_txdata_encode(td, NULL, &b);
    lc_errbuf eb;
    rc = b.err ? b.err : store_txdata_apply(replica, td->tx_offset, b.data, b.len, &eb);
    if (rc) fprintf(stderr, "replay: %s\n", eb.msg);
    lc_buf_deinit(&b);
    return rc;
}

/* Both DDL extensions survive log replay: the replica ends with the same catalog. */
TEST(store_ddl_ext_replays)
{
    store *s = NULL, *r = NULL;
    CHECK_OK(store_create(&s));
    CHECK_OK(store_create(&r));
    store_column_def cols[2] = {{"id", lc_type_prim(LC_T_U32)}, {"v", lc_type_prim(LC_T_U32)}};
    u16 c0 = 0;
    store_index_def ix = {"t_id_idx_btree", STORE_INDEX_BTREE, true, 1, &c0};
    store_table_def tdef = {"t", true, -1, 2, cols, 1, &ix, 0, NULL};
    store_txn txn;
    lc_errbuf eb;
    u32 tid = 0, iid = 0;
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_create(&txn, &tdef, &tid, &eb));
    u8 row[8] = {1, 0, 0, 0, 5, 0, 0, 0};
    CHECK_OK(store_insert(&txn, tid, row, 8, NULL, NULL));
    CHECK_OK(commit_replay(&txn, r));
    store_txn_begin(&txn, s);
    CHECK_OK(store_index_id_from_name(&txn, "t_id_idx_btree", 14, &iid));
    CHECK_OK(store_index_drop(&txn, iid, &eb));
    CHECK_OK(store_table_set_access_pk(&txn, tid, false, 1, &eb));
    CHECK_OK(commit_replay(&txn, r));
    store_table *rt = store_table_get(r, tid);
    CHECK(rt != NULL);
    if (rt) {
        CHECK(!rt->is_public);
        CHECK_EQ(rt->pk_col, 1);
    }
    u32 x = 0;
    u64 n = 0;
    store_read_begin(&txn, r);
    CHECK_ERR(store_index_id_from_name(&txn, "t_id_idx_btree", 14, &x), LC_ENOTFOUND);
    CHECK_OK(store_row_count(&txn, tid, &n));
    CHECK_EQ(n, 1);
    store_read_end(&txn);
    store_txn_begin(&txn, s);
    CHECK_OK(store_clear(&txn, tid, &n));
    CHECK_OK(commit_replay(&txn, r));
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_drop_empty(&txn, tid, &eb));
    CHECK_OK(commit_replay(&txn, r));
    CHECK(store_table_get(r, tid) == NULL);
    store_destroy(s);
    store_destroy(r);
}

/* store_table_drop_empty: refused while rows exist; drops the table and its index otherwise;
 * abort restores it. */
TEST(store_table_drop_empty)
{
    store *s = NULL;
    CHECK_OK(store_create(&s));
    u32 ix = 0, tid = 0, x = 0;
    CHECK_OK(make_table(s, &ix));
    lc_errbuf eb;
    store_txn txn;
    store_txn_begin(&txn, s);
    CHECK_OK(store_table_id_from_name(&txn, "t", 1, &tid));
    CHECK_ERR(store_table_drop_empty(&txn, tid, &eb), LC_ESTATE);
    store_txn_abort(&txn);
    store_txn_begin(&txn, s); /* empty it in its own committed transaction */
    u64 n = 0;
    CHECK_OK(store_clear(&txn, tid, &n));
    const store_txdata *txd;
    CHECK_OK(store_txn_commit(&txn, &txd));
    for (int commit = 0; commit < 2; commit++) {
        store_txn_begin(&txn, s);
        CHECK_OK(store_table_drop_empty(&txn, tid, &eb));
        CHECK(!store_table_exists(&txn, tid));
        if (commit) CHECK_OK(store_txn_commit(&txn, &txd));
        else store_txn_abort(&txn);
        store_read_begin(&txn, s);
        CHECK_EQ(store_table_exists(&txn, tid), !commit);
        CHECK_EQ(store_index_id_from_name(&txn, "t_id_idx_btree", 14, &x) == 0, !commit);
        store_read_end(&txn);
    }
    store_txn_begin(&txn, s);
    CHECK_ERR(store_table_drop_empty(&txn, STORE_ST_TABLE, &eb), LC_EPERM);
    CHECK_ERR(store_table_drop_empty(&txn, tid, &eb), LC_ENOTFOUND);
    store_txn_abort(&txn);
    store_destroy(s);
}
