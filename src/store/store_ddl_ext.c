/*
 * store/store_ddl_ext.c — DDL the module host's republish migration needs beyond creating
 * tables and indexes (host/migrate.c): dropping an index; changing a table's access
 * (public / private) and primary key (the reference's ChangeAccess / ChangePrimaryKey, which
 * only rewrite st_table); dropping a table (its rows, then its st_table, st_column, st_index,
 * st_constraint, st_sequence and st_scheduled rows). A table whose rows changed in the
 * transaction is kept as a zombie by the catalog until the transaction ends (catalog.c), so
 * a rollback can give the rows back.
 *
 * Design: like every DDL of the store, the change is made to the st_* rows through the normal
 * row API (so it is undone by a rollback and logged in the transaction's TxData like any
 * other row change) and the in-memory catalog is then re-derived by catalog_reconcile(), which
 * sweeps the objects whose rows are gone. A failure rolls the statement back to its mark.
 */
#include "store/store_int.h"

#include <string.h>

#include "base/alloc.h"
#include "base/limits.h"

typedef struct ddl_row {
    u8 *bytes; /* lc_alloc'd copy: rows are deleted after the scan ends */
    u32 len;
} ddl_row;

static bool rd_cols(lc_rd *r, u16 *n, u16 *cols)
{
    u32 c = lc_rd_u32(r);
    if (c > LC_INDEX_COLS_MAX) return false;
    for (u32 i = 0; i < c; i++) cols[i] = lc_rd_u16(r);
    *n = (u16)c;
    return !r->err;
}

static bool same_set(u16 n, const u16 *a, u16 m, const u16 *b)
{
    if (n != m) return false;
    for (u16 i = 0; i < n; i++) {
        bool found = false;
        for (u16 j = 0; j < m; j++) found |= a[i] == b[j];
        if (!found) return false;
    }
    return true;
}

/* Copies the st_index row of index_id; its table and column set go to the out parameters. */
static int find_index_row(store_txn *txn, u32 index_id, ddl_row *out, u32 *table_id, u16 *n,
                          u16 *cols)
{
    store_iter it;
    int rc = store_scan(txn, STORE_ST_INDEX, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    rc = LC_ENOTFOUND;
    while (rc == LC_ENOTFOUND && store_iter_next(&it, &row, &len)) {
        lc_rd r;
        lc_rd_init(&r, row, len);
        if (lc_rd_u32(&r) != index_id) continue;
        *table_id = lc_rd_u32(&r);
        (void)lc_rd_take(&r, lc_rd_u32(&r));
        u8 algo = lc_rd_u8(&r);
        bool ok = true;
        if (algo == STORE_INDEX_DIRECT) {
            *n = 1;
            cols[0] = lc_rd_u16(&r);
        } else {
            ok = rd_cols(&r, n, cols);
        }
        out->bytes = ok && !r.err ? lc_memdup(row, len) : NULL;
        out->len = len;
        rc = !ok || r.err ? LC_ECORRUPT : out->bytes ? 0 : LC_ENOMEM;
    }
    store_iter_close(&it);
    return rc;
}

/* Copies the Unique st_constraint row on exactly (table_id, cols), if any (out->bytes NULL). */
static int find_unique_row(store_txn *txn, u32 table_id, u16 n, const u16 *cols, ddl_row *out)
{
    store_iter it;
    int rc = store_scan(txn, STORE_ST_CONSTRAINT, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    while (rc == 0 && !out->bytes && store_iter_next(&it, &row, &len)) {
        lc_rd r;
        lc_rd_init(&r, row, len);
        lc_rd_u32(&r);
        (void)lc_rd_take(&r, lc_rd_u32(&r));
        if (lc_rd_u32(&r) != table_id || lc_rd_u8(&r) != 1) continue;
        u16 m = 0, cc[LC_INDEX_COLS_MAX];
        if (!rd_cols(&r, &m, cc) || !same_set(n, cols, m, cc)) continue;
        out->bytes = lc_memdup(row, len);
        out->len = len;
        if (!out->bytes) rc = LC_ENOMEM;
    }
    store_iter_close(&it);
    return rc;
}

int store_index_drop(store_txn *txn, u32 index_id, lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store *s = txn->s;
    ddl_row ix = {0}, uc = {0};
    u32 table_id = 0;
    u16 n = 0, cols[LC_INDEX_COLS_MAX];
    int rc = find_index_row(txn, index_id, &ix, &table_id, &n, cols);
    if (rc == LC_ENOTFOUND) return lc_errf(eb, rc, "index %u does not exist", index_id);
    if (!rc && table_id < STORE_USER_TABLE_ID_MIN)
        rc = lc_errf(eb, LC_EPERM, "index %u belongs to a system table", index_id);
    if (!rc) rc = find_unique_row(txn, table_id, n, cols, &uc);
    u32 mark = s->undo_count;
    bool deleted = false;
    if (!rc) rc = store_delete_row(txn, STORE_ST_INDEX, ix.bytes, ix.len, &deleted);
    if (!rc && uc.bytes) rc = store_delete_row(txn, STORE_ST_CONSTRAINT, uc.bytes, uc.len, NULL);
    if (!rc) rc = catalog_reconcile(s, eb);
    if (rc && s->undo_count != mark) {
        txn_rollback_to(s, mark);
        if (catalog_reconcile(s, NULL) || rc == LC_ENOMEM) txn->is_failed = true;
    }
    lc_free(ix.bytes);
    lc_free(uc.bytes);
    return rc;
}

/* Copies the st_table row of table_id and the offset just past its access byte. */
static int find_table_row(store_txn *txn, u32 table_id, ddl_row *out, size_t *access_end)
{
    store_iter it;
    int rc = store_scan(txn, STORE_ST_TABLE, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    rc = LC_ENOTFOUND;
    while (rc == LC_ENOTFOUND && store_iter_next(&it, &row, &len)) {
        lc_rd r;
        lc_rd_init(&r, row, len);
        if (lc_rd_u32(&r) != table_id) continue;
        (void)lc_rd_take(&r, lc_rd_u32(&r));
        (void)lc_rd_take(&r, 2); /* table_type, table_access */
        *access_end = (size_t)(r.p - row);
        out->bytes = r.err ? NULL : lc_memdup(row, len);
        out->len = len;
        rc = r.err ? LC_ECORRUPT : out->bytes ? 0 : LC_ENOMEM;
    }
    store_iter_close(&it);
    return rc;
}

/* The new st_table row: same id, name and type; the given access and primary key; whatever
 * followed the old primary key kept. */
static int table_row_rebuild(const ddl_row *old, size_t access_end, bool is_public, i32 pk_col,
                             lc_buf *b)
{
    lc_rd r;
    lc_rd_init(&r, old->bytes + access_end, old->len - access_end);
    if (lc_rd_u8(&r) == 0) {
        u16 n = 0, cols[LC_INDEX_COLS_MAX];
        if (!rd_cols(&r, &n, cols)) return LC_ECORRUPT;
    }
    if (r.err) return LC_ECORRUPT;
    lc_buf_put(b, old->bytes, access_end - 1);
    lc_buf_put_u8(b, is_public ? 0 : 1);
    if (pk_col >= 0) {
        lc_buf_put_u8(b, 0);
        lc_buf_put_u32(b, 1);
        lc_buf_put_u16(b, (u16)pk_col);
    } else {
        lc_buf_put_u8(b, 1);
    }
    lc_buf_put(b, r.p, lc_rd_left(&r));
    return b->err;
}

int store_table_set_access_pk(store_txn *txn, u32 table_id, bool is_public, i32 pk_col,
                              lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    if (!t || table_id < STORE_USER_TABLE_ID_MIN)
        return lc_errf(eb, t ? LC_EPERM : LC_ENOTFOUND, "table %u: not a user table", table_id);
    if (pk_col >= (i32)t->col_count) return lc_errf(eb, LC_EINVAL, "bad primary key column");
    ddl_row old = {0};
    size_t access_end = 0;
    lc_buf b;
    lc_buf_init(&b);
    int rc = find_table_row(txn, table_id, &old, &access_end);
    if (!rc) rc = table_row_rebuild(&old, access_end, is_public, pk_col, &b);
    u32 mark = s->undo_count;
    if (!rc) rc = store_delete_row(txn, STORE_ST_TABLE, old.bytes, old.len, NULL);
    if (!rc) rc = store_insert(txn, STORE_ST_TABLE, b.data, b.len, NULL, NULL);
    if (!rc) rc = catalog_reconcile(s, eb);
    if (rc && s->undo_count != mark) {
        txn_rollback_to(s, mark);
        if (catalog_reconcile(s, NULL) || rc == LC_ENOMEM) txn->is_failed = true;
    }
    lc_buf_deinit(&b);
    lc_free(old.bytes);
    return rc;
}

/* Where a system row keeps its table id: first; after a u32 id; after a u32 id and a name. */
enum { TID_FIRST, TID_AFTER_ID, TID_AFTER_ID_NAME };

/* Deletes every row of system table `sys` whose table id is table_id. */
static int delete_rows_of(store_txn *txn, u32 sys, int layout, u32 table_id)
{
    lc_buf rows; /* u32 len | bytes, back to back: copies, deleted after the scan */
    lc_buf_init(&rows);
    store_iter it;
    int rc = store_scan(txn, sys, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    while (store_iter_next(&it, &row, &len)) {
        lc_rd r;
        lc_rd_init(&r, row, len);
        if (layout != TID_FIRST) lc_rd_u32(&r);
        if (layout == TID_AFTER_ID_NAME) (void)lc_rd_take(&r, lc_rd_u32(&r));
        if (lc_rd_u32(&r) != table_id || r.err) continue;
        lc_buf_put_u32(&rows, len);
        lc_buf_put(&rows, row, len);
    }
    store_iter_close(&it);
    rc = rows.err;
    for (size_t at = 0; !rc && at < rows.len;) {
        u32 n = lc_load_u32(rows.data + at);
        rc = store_delete_row(txn, sys, rows.data + at + 4, n, NULL);
        at += 4 + (size_t)n;
    }
    lc_buf_deinit(&rows);
    return rc;
}

/* A failed statement: rolled back to its mark, unless memory ran out — rolling back the row
 * deletes re-adds index entries, which needs memory — in which case the transaction is marked
 * failed and its abort undoes everything. */
void ddl_undo(store_txn *txn, u32 mark, int rc)
{
    store *s = txn->s;
    if (rc == LC_ENOMEM || rc == LC_ETXFAILED || txn->is_failed) {
        txn->is_failed = true;
        return;
    }
    if (s->undo_count == mark) return;
    txn_rollback_to(s, mark);
    if (catalog_reconcile(s, NULL)) txn->is_failed = true;
}

/* Deletes the catalog rows of user table t (its rows are already gone or going) and
 * reconciles; rolled back to the statement's start on failure. */
static int table_rows_drop(store_txn *txn, store_table *t, u32 mark, lc_errbuf *eb)
{
    store *s = txn->s;
    u32 table_id = t->id;
    int rc = delete_rows_of(txn, STORE_ST_SEQUENCE, TID_AFTER_ID_NAME, table_id);
    if (!rc) rc = delete_rows_of(txn, STORE_ST_CONSTRAINT, TID_AFTER_ID_NAME, table_id);
    if (!rc) rc = delete_rows_of(txn, STORE_ST_INDEX, TID_AFTER_ID, table_id);
    if (!rc) rc = delete_rows_of(txn, STORE_ST_COLUMN, TID_FIRST, table_id);
    if (!rc) rc = delete_rows_of(txn, STORE_ST_SCHEDULED, TID_AFTER_ID, table_id);
    if (!rc) rc = delete_rows_of(txn, STORE_ST_TABLE, TID_FIRST, table_id);
    if (!rc) rc = catalog_reconcile(s, eb);
    if (rc) ddl_undo(txn, mark, rc);
    return rc;
}

int store_table_drop_empty(store_txn *txn, u32 table_id, lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    if (!t || table_id < STORE_USER_TABLE_ID_MIN)
        return lc_errf(eb, t ? LC_EPERM : LC_ENOTFOUND, "table %u: not a user table", table_id);
    u64 n = 0;
    int rc = store_row_count(txn, table_id, &n);
    if (rc) return rc;
    if (n || t->tx_mark)
        return lc_errf(eb, LC_ESTATE, "table %s contains data or was changed in this "
                       "transaction", t->name);
    return table_rows_drop(txn, t, s->undo_count, eb);
}

int store_table_drop(store_txn *txn, u32 table_id, lc_errbuf *eb)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    if (!t || table_id < STORE_USER_TABLE_ID_MIN)
        return lc_errf(eb, t ? LC_EPERM : LC_ENOTFOUND, "table %u: not a user table", table_id);
    u32 mark = s->undo_count;
    u64 n = 0;
    int rc = store_clear(txn, table_id, &n);
    if (rc) {
        ddl_undo(txn, mark, rc);
        return lc_errf(eb, rc, "dropping table %s: %s", t->name, lc_strerror(rc));
    }
    return table_rows_drop(txn, t, mark, eb);
}
