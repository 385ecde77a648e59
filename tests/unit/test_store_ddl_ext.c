/*
 * tests/unit/test_store_ddl_ext.c — store/store_ddl_ext.c: store_index_drop removes a unique
 * index together with its Unique constraint (duplicates are then accepted), is undone by an
 * abort, refuses unknown and system indexes.
 */
#include "harness.h"
#include "store/store.h"

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
