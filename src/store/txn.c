/*
 * store/txn.c — the store object, transactions, row writes and the undo log.
 *
 * One writer at a time (pthread rwlock held for write from begin to commit/abort); readers
 * hold it shared and see committed state. The writer mutates the committed structures in
 * place; every row change appends an undo record:
 *
 *   op       effect                                   rollback
 *   INSERT   slot allocated, live, indexed            unlink, mark dead, free slot
 *   DELETE   unlinked, marked dead, bytes kept        mark live, relink (same row id)
 *   UPDATE   bytes replaced in place, indexes whose   restore the old bytes (kept in
 *            key changed re-keyed                     s->undo_bytes, or the old var block)
 *
 * Dead slots are not reused before commit, so a row id names one row for the whole
 * transaction (at most one INSERT and one DELETE record, any number of UPDATEs). Commit turns
 * the log into TxData (txn_build_txdata), then frees the dead slots. A failure in the middle
 * of an operation (out of memory) marks the transaction failed (sticky); it can then only
 * abort. Rollback itself never allocates except to re-add index entries whose chunks were
 * freed; that allocation failing aborts the process (LC_ASSERT), since a half-rolled-back
 * store must never be used.
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "store/store_int.h"

store_table *store_table_get(const store *s, u32 id)
{
    return id ? store_idmap_get(&s->tables, id) : NULL;
}

int store_create(store **out_store)
{
    store *s = lc_calloc(1, sizeof *s);
    if (!s) return LC_ENOMEM;
    pthread_rwlock_init(&s->lock, NULL);
    lc_buf_init(&s->td_bytes);
    lc_buf_init(&s->scratch);
    lc_buf_init(&s->undo_bytes);
    int rc = catalog_bootstrap(s);
    if (rc) {
        store_destroy(s);
        return rc;
    }
    *out_store = s;
    return 0;
}

void store_destroy(store *s)
{
    if (!s) return;
    catalog_destroy_all(s);
    store_idmap_deinit(&s->tables);
    store_idmap_deinit(&s->indexes);
    store_idmap_deinit(&s->seqs);
    lc_free(s->undo);
    lc_free(s->touched);
    lc_free(s->zombies);
    lc_free(s->td_tables);
    lc_free(s->td_offs);
    lc_free(s->tmp);
    lc_buf_deinit(&s->td_bytes);
    lc_buf_deinit(&s->scratch);
    lc_buf_deinit(&s->undo_bytes);
    pthread_rwlock_destroy(&s->lock);
    lc_free(s);
}

u64 store_next_tx_offset(const store *s) { return s->next_tx_offset; }

/* ---- begin / end ---- */

void store_txn_begin(store_txn *txn, store *s)
{
    pthread_rwlock_wrlock(&s->lock);
    txn->s = s;
    txn->is_write = true;
    txn->is_failed = false;
    txn->is_offset_forced = false;
    txn->undo_mark = 0;
    LC_ASSERT(s->undo_count == 0 && s->touched_count == 0);
    s->catalog_dirty = false;
}

void store_read_begin(store_txn *txn, store *s)
{
    pthread_rwlock_rdlock(&s->lock);
    txn->s = s;
    txn->is_write = false;
    txn->is_failed = false;
    txn->is_offset_forced = false;
    txn->undo_mark = 0;
}

void store_read_end(store_txn *txn)
{
    LC_ASSERT(!txn->is_write);
    pthread_rwlock_unlock(&txn->s->lock);
    txn->s = NULL;
}

void store_txn_fail(store_txn *txn) { txn->is_failed = true; }

void store_txn_force_offset(store_txn *txn) { txn->is_offset_forced = true; }

static void touched_clear(store *s)
{
    for (u32 i = 0; i < s->touched_count; i++) s->touched[i]->tx_mark = 0;
    s->touched_count = 0;
}

/* Old bytes saved by an UPDATE record. */
static const u8 *update_old(const store *s, const store_undo *u)
{
    if (u->t->row_fixed >= 0) return s->undo_bytes.data + u->aux;
    return (const u8 *)(uintptr_t)u->aux + 4;
}

/* Re-keys the indexes in which rid's key differs between its current bytes and `next`, making
 * `next_slot` the slot content. If an index entry cannot be added (out of memory) the slot is
 * restored from `prev_slot` with its old entries and LC_ENOMEM returned; with prev_slot NULL
 * (rollback) that is fatal. */
static int rekey(store_table *t, u32 rid, const u8 *next, const void *next_slot,
                 const void *prev_slot)
{
    u32 len;
    const u8 *cur = table_row(t, rid, &len);
    u64 changed = 0;
    for (u32 i = 0; i < t->ix_count; i++) {
        if (i < 64 && index_same_key(t->ixs[i], cur, next)) continue;
        if (i < 64) changed |= 1ull << i;
        index_remove(t->ixs[i], rid);
    }
    u8 *slot = table_slot(t, rid);
    size_t n = t->row_fixed >= 0 ? (size_t)t->row_fixed : sizeof(u8 *);
    memmove(slot, next_slot, n);
    for (u32 i = 0; i < t->ix_count; i++) {
        if (i < 64 && !(changed >> i & 1)) continue;
        int rc = index_insert(t->ixs[i], rid);
        if (!rc) continue;
        LC_ASSERT(prev_slot != NULL);
        while (i-- > 0)
            if (i >= 64 || changed >> i & 1) index_remove(t->ixs[i], rid);
        memmove(slot, prev_slot, n);
        for (u32 j = 0; j < t->ix_count; j++)
            if (j >= 64 || changed >> j & 1) LC_ASSERT(index_insert(t->ixs[j], rid) == 0);
        return rc;
    }
    return 0;
}

static void update_undo(store *s, store_undo *u)
{
    store_table *t = u->t;
    const u8 *old = update_old(s, u);
    if (t->row_fixed >= 0) {
        int rc = rekey(t, u->rid, old, old, NULL);
        LC_ASSERT(rc == 0);
        return;
    }
    u8 *cur_blk;
    memcpy(&cur_blk, table_slot(t, u->rid), sizeof cur_blk);
    u8 *old_blk = (u8 *)(uintptr_t)u->aux;
    int rc = rekey(t, u->rid, old, &old_blk, NULL);
    LC_ASSERT(rc == 0);
    lc_free(cur_blk);
}

void txn_rollback_to(store *s, u32 mark)
{
    while (s->undo_count > mark) {
        store_undo *u = &s->undo[--s->undo_count];
        if (u->op == STORE_UNDO_INSERT) {
            table_unlink(u->t, u->rid);
            table_slot_set_live(u->t, u->rid, false);
            table_slot_free(u->t, u->rid);
        } else if (u->op == STORE_UNDO_DELETE) {
            table_slot_set_live(u->t, u->rid, true);
            int rc = table_link(u->t, u->rid);
            LC_ASSERT(rc == 0); /* see the file comment */
        } else {
            update_undo(s, u);
        }
    }
}

void store_txn_abort(store_txn *txn)
{
    store *s = txn->s;
    LC_ASSERT(txn->is_write);
    txn_rollback_to(s, 0);
    lc_buf_reset(&s->undo_bytes);
    touched_clear(s);
    if (s->catalog_dirty) {
        int rc = catalog_reconcile(s, NULL);
        LC_ASSERT(rc == 0); /* removing objects and restoring counters does not allocate */
    }
    s->catalog_dirty = false;
    catalog_zombies_destroy(s);
    pthread_rwlock_unlock(&s->lock);
    txn->s = NULL;
}

void txn_commit_finish(store *s)
{
    for (u32 i = 0; i < s->undo_count; i++) {
        store_undo *u = &s->undo[i];
        if (u->op == STORE_UNDO_DELETE) table_slot_free(u->t, u->rid);
        else if (u->op == STORE_UNDO_UPDATE && u->t->row_fixed < 0) lc_free((void *)u->aux);
    }
    s->undo_count = 0;
    lc_buf_reset(&s->undo_bytes);
    touched_clear(s);
    s->catalog_dirty = false;
    catalog_zombies_destroy(s);
}

int store_txn_commit(store_txn *txn, const store_txdata **out_txdata)
{
    store *s = txn->s;
    LC_ASSERT(txn->is_write);
    if (txn->is_failed) {
        store_txn_abort(txn);
        return LC_ETXFAILED;
    }
    int rc = txn_build_txdata(s);
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    txn_commit_finish(s);
    s->td.has_offset |= txn->is_offset_forced;
    if (s->td.has_offset) s->td.tx_offset = s->next_tx_offset++;
    if (out_txdata) *out_txdata = &s->td;
    pthread_rwlock_unlock(&s->lock);
    txn->s = NULL;
    return 0;
}

/* ---- raw row operations ---- */

/* Makes room for one undo record (and the table's entry in the touched list), so that the
 * push after a successful link cannot fail. */
static int undo_reserve(store *s, store_table *t)
{
    if (s->undo_count == s->undo_cap) {
        u32 cap = s->undo_cap ? s->undo_cap * 2 : 256;
        store_undo *u = lc_realloc(s->undo, cap * sizeof *u);
        if (!u) return LC_ENOMEM;
        s->undo = u;
        s->undo_cap = cap;
    }
    if (!t->tx_mark && s->touched_count == s->touched_cap) {
        u32 cap = s->touched_cap ? s->touched_cap * 2 : 16;
        store_table **tt = lc_realloc(s->touched, cap * sizeof *tt);
        if (!tt) return LC_ENOMEM;
        s->touched = tt;
        s->touched_cap = cap;
    }
    return 0;
}

static void undo_push_aux(store *s, store_table *t, u32 rid, u32 op, u64 aux)
{
    LC_ASSERT(s->undo_count < s->undo_cap);
    if (!t->tx_mark) {
        LC_ASSERT(s->touched_count < s->touched_cap);
        s->touched[s->touched_count++] = t;
        t->tx_mark = s->touched_count;
    }
    if (t->is_system) s->catalog_dirty = true;
    s->undo[s->undo_count++] = (store_undo){.t = t, .rid = rid, .op = op, .aux = aux};
}

static void undo_push(store *s, store_table *t, u32 rid, u32 op)
{
    undo_push_aux(s, t, rid, op, 0);
}

/* Replaces live row rid by `row` in place (constraints already checked). */
static int update_in_place(store *s, store_table *t, u32 rid, const u8 *row, u32 len)
{
    int rc = undo_reserve(s, t);
    if (rc) return rc;
    u32 old_len;
    const u8 *old = table_row(t, rid, &old_len);
    if (t->row_fixed >= 0) {
        size_t at = s->undo_bytes.len;
        lc_buf_put(&s->undo_bytes, old, old_len);
        if (s->undo_bytes.err) {
            s->undo_bytes.err = 0;
            s->undo_bytes.len = at;
            return LC_ENOMEM;
        }
        rc = rekey(t, rid, row, row, s->undo_bytes.data + at);
        if (rc) {
            s->undo_bytes.len = at;
            return rc;
        }
        undo_push_aux(s, t, rid, STORE_UNDO_UPDATE, at);
        return 0;
    }
    u8 *blk = lc_alloc((size_t)len + 4);
    if (!blk) return LC_ENOMEM;
    lc_store_u32(blk, len);
    memcpy(blk + 4, row, len);
    u8 *old_blk;
    memcpy(&old_blk, table_slot(t, rid), sizeof old_blk);
    rc = rekey(t, rid, row, &blk, &old_blk);
    if (rc) {
        lc_free(blk);
        return rc;
    }
    undo_push_aux(s, t, rid, STORE_UNDO_UPDATE, (u64)(uintptr_t)old_blk);
    return 0;
}

/* Stores, links and logs a new row (constraints already checked). */
static int insert_new(store *s, store_table *t, const u8 *row, u32 len)
{
    int rc = undo_reserve(s, t);
    if (rc) return rc;
    u32 rid;
    rc = table_slot_alloc(t, row, len, &rid);
    if (rc) return rc;
    table_slot_set_live(t, rid, true);
    rc = table_link(t, rid);
    if (rc) {
        table_slot_set_live(t, rid, false);
        table_slot_free(t, rid);
        return rc;
    }
    undo_push(s, t, rid, STORE_UNDO_INSERT);
    return 0;
}

/* Inserts a validated row with no generated columns. LC_EUNIQUE leaves no trace. */
int txn_insert_raw(store *s, store_table *t, const u8 *row, u32 len, bool *out_existed)
{
    if (out_existed) *out_existed = false;
    /* One lookup per unique index: a row with the same key is either this very row (the
     * insert is a no-op, "Existed") or a violation. Without a unique index, the row set. */
    if (!t->unique_ix_count && table_find_equal(t, row, len) != UINT32_MAX) {
        if (out_existed) *out_existed = true;
        return 0;
    }
    for (u32 i = 0; i < t->ix_count; i++) {
        store_index *ix = t->ixs[i];
        if (!ix->is_unique) continue;
        u32 rid = index_find_row_key(ix, row, UINT32_MAX);
        if (rid == UINT32_MAX) continue;
        u32 l2;
        const u8 *r2 = table_row(t, rid, &l2);
        if (l2 != len || memcmp(r2, row, len) != 0) return LC_EUNIQUE;
        if (out_existed) *out_existed = true;
        return 0;
    }
    return insert_new(s, t, row, len);
}

int txn_update_rid(store *s, store_table *t, u32 rid, const u8 *row, u32 len)
{
    LC_ASSERT(table_is_live(t, rid));
    return update_in_place(s, t, rid, row, len);
}

int txn_delete_rid(store *s, store_table *t, u32 rid)
{
    LC_ASSERT(table_is_live(t, rid));
    int rc = undo_reserve(s, t);
    if (rc) return rc;
    undo_push(s, t, rid, STORE_UNDO_DELETE);
    table_unlink(t, rid);
    table_slot_set_live(t, rid, false);
    return 0;
}

/* ---- checks shared by the public calls ---- */

static int txn_check_write(store_txn *txn)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    return 0;
}

/* Marks the txn failed for errors that may leave an operation half done. */
static int txn_result(store_txn *txn, int rc)
{
    if (rc == LC_ENOMEM || rc == LC_ELIMIT) txn->is_failed = true;
    return rc;
}

/* Copies row into s->scratch and fills zero auto-inc columns from their sequences, appending
 * generated values to out_gen. *out_row points at the row to insert. */
static int apply_sequences(store *s, store_table *t, const u8 *row, u32 len, lc_buf *out_gen,
                           const u8 **out_row)
{
    *out_row = row;
    if (!t->seq_count) return 0;
    lc_buf_reset(&s->scratch);
    lc_buf_put(&s->scratch, row, len);
    if (s->scratch.err) return LC_ENOMEM;
    u8 *copy = s->scratch.data;
    for (u32 i = 0; i < t->seq_count; i++) {
        store_seq *q = t->seqs[i];
        u8 *p = (u8 *)table_col_ptr(t, copy, q->col_pos);
        i32 w = t->cols[q->col_pos].fixed_size;
        LC_ASSERT(w > 0 && w <= 32);
        bool is_zero = true;
        for (i32 b = 0; b < w; b++) is_zero &= p[b] == 0;
        if (!is_zero) continue;
        i128 v;
        int rc = catalog_seq_next(s, q, &v);
        if (rc) return rc;
        copy = s->scratch.data; /* catalog_seq_next does not touch scratch; keep it safe */
        p = (u8 *)table_col_ptr(t, copy, q->col_pos);
        u8 le[32];
        memset(le, v < 0 ? 0xff : 0, sizeof le);
        memcpy(le, &v, w < 16 ? (size_t)w : 16);
        memcpy(p, le, (size_t)w);
        if (out_gen) lc_buf_put(out_gen, le, (size_t)w);
    }
    *out_row = copy;
    return 0;
}

int store_insert(store_txn *txn, u32 table_id, const u8 *row, size_t len,
                 lc_buf *out_generated, bool *out_existed)
{
    int rc = txn_check_write(txn);
    if (rc) return rc;
    store *s = txn->s;
    store_table *t = store_table_get(s, table_id);
    if (!t) return LC_ENOTFOUND;
    rc = table_validate_row(t, row, len, NULL);
    if (rc) return rc;
    const u8 *r;
    rc = apply_sequences(s, t, row, (u32)len, out_generated, &r);
    if (!rc) rc = txn_insert_raw(s, t, r, (u32)len, out_existed);
    return txn_result(txn, rc);
}

int store_delete_row(store_txn *txn, u32 table_id, const u8 *row, size_t len,
                     bool *out_deleted)
{
    int rc = txn_check_write(txn);
    if (rc) return rc;
    store_table *t = store_table_get(txn->s, table_id);
    if (!t) return LC_ENOTFOUND;
    if (out_deleted) *out_deleted = false;
    rc = table_validate_row(t, row, len, NULL);
    if (rc) return rc;
    u32 rid = table_find_equal(t, row, (u32)len);
    if (rid == UINT32_MAX) return 0;
    rc = txn_delete_rid(txn->s, t, rid);
    if (!rc && out_deleted) *out_deleted = true;
    return txn_result(txn, rc);
}

int store_update(store_txn *txn, u32 index_id, const u8 *row, size_t len,
                 lc_buf *out_generated)
{
    int rc = txn_check_write(txn);
    if (rc) return rc;
    store *s = txn->s;
    store_index *ix = store_idmap_get(&s->indexes, index_id);
    if (!ix) return LC_ENOTFOUND;
    if (!ix->is_unique) return LC_EINVAL;
    store_table *t = ix->t;
    rc = table_validate_row(t, row, len, NULL);
    if (rc) return rc;
    const u8 *r;
    rc = apply_sequences(s, t, row, (u32)len, out_generated, &r);
    if (rc) return txn_result(txn, rc);
    u32 old = ix->is_int ? index_int_find(ix, index_key_norm(ix, r + ix->int_off), true)
                         : index_find_row_key(ix, r, UINT32_MAX);
    if (old == UINT32_MAX) return LC_ENOTFOUND;
    u32 old_len;
    const u8 *old_row = table_row(t, old, &old_len);
    if (old_len == len && memcmp(old_row, r, len) == 0) return 0;
    for (u32 i = 0; i < t->ix_count; i++) {
        store_index *o = t->ixs[i];
        if (o != ix && o->is_unique && index_find_row_key(o, r, old) != UINT32_MAX)
            return LC_EUNIQUE;
    }
    rc = update_in_place(s, t, old, r, (u32)len);
    return txn_result(txn, rc);
}

int store_clear(store_txn *txn, u32 table_id, u64 *out_count)
{
    int rc = txn_check_write(txn);
    if (rc) return rc;
    store_table *t = store_table_get(txn->s, table_id);
    if (!t) return LC_ENOTFOUND;
    u64 n = 0;
    for (u32 rid = 0; rid < t->slot_hw && t->row_count; rid++) {
        if (!table_is_live(t, rid)) continue;
        rc = txn_delete_rid(txn->s, t, rid);
        if (rc) return txn_result(txn, rc);
        n++;
    }
    if (out_count) *out_count = n;
    return 0;
}

int txn_insert_replay(store *s, store_table *t, const u8 *row, u32 len)
{
    for (int tries = 0; tries < 8; tries++) {
        int rc = txn_insert_raw(s, t, row, len, NULL);
        if (rc != LC_EUNIQUE || !t->is_system) return rc;
        for (u32 i = 0; i < t->ix_count; i++) {
            store_index *ix = t->ixs[i];
            if (!ix->is_unique) continue;
            u32 rid = index_find_row_key(ix, row, UINT32_MAX);
            if (rid == UINT32_MAX) continue;
            rc = txn_delete_rid(s, t, rid);
            if (rc) return rc;
            break;
        }
    }
    return LC_EUNIQUE;
}
