/*
 * store/snapshot.c — whole-store snapshot: encode the committed state, decode into a fresh
 * store. clog/ compresses, checksums and files the bytes; nothing here knows about files.
 *
 * Format (little-endian):
 *   OFFSET  SIZE  DESCRIPTION
 *   0       4     magic "LCSN"
 *   4       4     version (1)
 *   8       8     next_tx_offset
 *   16      4     table_count
 *   20      ...   table_count x { u32 table_id | u64 row_count | rows as BSATN, concatenated }
 * Tables appear in id order, so the system tables (ids < 4096) come first: decoding replaces
 * their bootstrap rows, reconciles the catalog (creating every user table, index and sequence
 * from the st_* rows, sequences resuming at `allocated`), then loads user rows, which
 * rebuilds the indexes. Input is untrusted: every row is validated at its table's type.
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "store/store_int.h"

#define SNAP_MAGIC 0x4e53434cu /* "LCSN" */
#define SNAP_VERSION 1

static int ids_sorted(store *s, u32 **out_ids, u32 *out_n)
{
    u32 *ids = lc_alloc((s->tables.n + 1) * sizeof *ids);
    if (!ids) return LC_ENOMEM;
    u32 n = 0;
    for (u32 i = 0; i < s->tables.cap; i++)
        if (s->tables.keys[i]) ids[n++] = s->tables.keys[i];
    for (u32 i = 1; i < n; i++)
        for (u32 j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            u32 x = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = x;
        }
    *out_ids = ids;
    *out_n = n;
    return 0;
}

int store_snapshot_encode(store *s, lc_buf *out)
{
    store_txn txn;
    store_read_begin(&txn, s);
    u32 *ids, n;
    int rc = ids_sorted(s, &ids, &n);
    if (rc) {
        store_read_end(&txn);
        return rc;
    }
    lc_buf_put_u32(out, SNAP_MAGIC);
    lc_buf_put_u32(out, SNAP_VERSION);
    lc_buf_put_u64(out, s->next_tx_offset);
    lc_buf_put_u32(out, n);
    for (u32 i = 0; i < n; i++) {
        const store_table *t = store_table_get(s, ids[i]);
        lc_buf_put_u32(out, t->id);
        lc_buf_put_u64(out, t->row_count);
        for (u32 rid = 0; rid < t->slot_hw; rid++) {
            if (!table_is_live(t, rid)) continue;
            u32 len;
            const u8 *row = table_row(t, rid, &len);
            lc_buf_put(out, row, len);
        }
    }
    lc_free(ids);
    store_read_end(&txn);
    return out->err;
}

static int load_table(store *s, lc_rd *r, bool *is_reconciled, lc_errbuf *eb)
{
    u32 id = lc_rd_u32(r);
    u64 count = lc_rd_u64(r);
    if (r->err) return lc_errf(eb, LC_ECORRUPT, "snapshot truncated");
    if (id >= STORE_USER_TABLE_ID_MIN && !*is_reconciled) {
        int rc = catalog_reconcile(s, eb);
        if (rc) return rc;
        *is_reconciled = true;
    }
    store_table *t = store_table_get(s, id);
    if (!t) return lc_errf(eb, LC_ECORRUPT, "snapshot names unknown table %u", id);
    if (count > lc_rd_left(r) && (t->row_fixed != 0 || count > 1))
        return lc_errf(eb, LC_ECORRUPT, "snapshot: table %u row count %llu", id,
                       (unsigned long long)count);
    if (t->is_system) /* replace the bootstrap rows */
        for (u32 rid = 0; rid < t->slot_hw; rid++) {
            if (!table_is_live(t, rid)) continue;
            int rc = txn_delete_rid(s, t, rid);
            if (rc) return rc;
        }
    for (u64 i = 0; i < count; i++) {
        const u8 *row = r->p;
        int rc = lc_bsatn_validate(t->row_type, r, eb);
        if (rc) return lc_errf(eb, LC_ECORRUPT, "snapshot: bad row in table %u", id);
        rc = txn_insert_replay(s, t, row, (u32)(r->p - row));
        if (rc) return lc_errf(eb, LC_ECORRUPT, "snapshot: row of table %u: %s", id,
                               lc_err_name(rc));
    }
    return 0;
}

int store_snapshot_decode(store *s, const u8 *p, size_t n, lc_errbuf *eb)
{
    lc_rd r;
    lc_rd_init(&r, p, n);
    u32 magic = lc_rd_u32(&r), version = lc_rd_u32(&r);
    u64 next = lc_rd_u64(&r);
    u32 count = lc_rd_u32(&r);
    if (r.err || magic != SNAP_MAGIC || version != SNAP_VERSION)
        return lc_errf(eb, LC_ECORRUPT, "not a store snapshot (magic/version)");
    if (count > LC_TABLES_MAX) return lc_errf(eb, LC_ECORRUPT, "snapshot: %u tables", count);
    store_txn txn;
    store_txn_begin(&txn, s);
    s->is_replaying = true;
    bool is_reconciled = false;
    int rc = 0;
    for (u32 i = 0; !rc && i < count; i++) rc = load_table(s, &r, &is_reconciled, eb);
    if (!rc && lc_rd_left(&r)) rc = lc_errf(eb, LC_ECORRUPT, "snapshot: trailing bytes");
    if (!rc) rc = catalog_reconcile(s, eb);
    s->is_replaying = false;
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    txn_commit_finish(s);
    s->next_tx_offset = next;
    pthread_rwlock_unlock(&s->lock);
    return 0;
}
