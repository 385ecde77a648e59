/*
 * store/table.c — row slots, the row-hash set, and the id -> object maps.
 *
 * Layout (see store_int.h): a table's rows live in pages of STORE_PAGE_ROWS slots of
 * slot_size bytes. Fixed-size rows are stored inline (slot_size = row size); variable-size
 * rows store a pointer to an lc_alloc'd [u32 len][bytes] block. A per-page bitmap marks live
 * slots. Slots are only freed by commit (or by rollback of an insert), which is what lets the
 * undo log re-live a deleted row under its old row id.
 *
 * The row set (tables without a unique index) is open addressing over rid+1 (0 = empty),
 * power-of-two capacity, load <= 1/2, linear probing, backward-shift deletion; the hash of a
 * row is recomputed from its bytes when needed (rows are short).
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/hash.h"
#include "base/limits.h"
#include "store/store_int.h"

#define ROWSET_SEED 0x5eedf00du

/* ---- idmap ---- */

void *store_idmap_get(const store_idmap *m, u32 key)
{
    if (!m->cap) return NULL;
    u32 mask = m->cap - 1;
    for (u32 i = (u32)lc_hash_u64(key) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == key) return m->vals[i];
        if (m->keys[i] == 0) return NULL;
    }
}

static int idmap_grow(store_idmap *m)
{
    u32 cap = m->cap ? m->cap * 2 : 16;
    u32 *keys = lc_calloc(cap, sizeof *keys);
    void **vals = lc_calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        lc_free(keys);
        lc_free(vals);
        return LC_ENOMEM;
    }
    for (u32 j = 0; j < m->cap; j++) {
        if (!m->keys[j]) continue;
        u32 i = (u32)lc_hash_u64(m->keys[j]) & (cap - 1);
        while (keys[i]) i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    lc_free(m->keys);
    lc_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

int store_idmap_put(store_idmap *m, u32 key, void *val)
{
    LC_ASSERT(key != 0);
    if ((m->n + 1) * 2 > m->cap) {
        int rc = idmap_grow(m);
        if (rc) return rc;
    }
    u32 mask = m->cap - 1;
    u32 i = (u32)lc_hash_u64(key) & mask;
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & mask;
    if (!m->keys[i]) m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

void store_idmap_del(store_idmap *m, u32 key)
{
    if (!m->cap) return;
    u32 mask = m->cap - 1;
    u32 i = (u32)lc_hash_u64(key) & mask;
    while (m->keys[i] != key) {
        if (!m->keys[i]) return;
        i = (i + 1) & mask;
    }
    m->keys[i] = 0;
    m->n--;
    /* Backward shift: re-place the rest of the cluster. */
    for (u32 j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        u32 k = m->keys[j];
        void *v = m->vals[j];
        m->keys[j] = 0;
        u32 h = (u32)lc_hash_u64(k) & mask;
        while (m->keys[h]) h = (h + 1) & mask;
        m->keys[h] = k;
        m->vals[h] = v;
    }
}

void store_idmap_deinit(store_idmap *m)
{
    lc_free(m->keys);
    lc_free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- tables ---- */

int table_create(u32 id, const char *name, store_table **out_t)
{
    store_table *t = lc_calloc(1, sizeof *t);
    if (!t) return LC_ENOMEM;
    t->id = id;
    t->name = lc_strdup(name);
    t->pk_col = -1;
    t->is_alive = true;
    lc_typespace_init(&t->ts);
    if (!t->name) {
        lc_typespace_deinit(&t->ts);
        lc_free(t);
        return LC_ENOMEM;
    }
    *out_t = t;
    return 0;
}

int table_set_columns(store_table *t, u32 col_count, const char *const *names,
                      const lc_type *const *types)
{
    LC_ASSERT(!t->cols && col_count <= LC_TABLE_COLS_MAX);
    lc_type_elem *el = lc_calloc(col_count ? col_count : 1, sizeof *el);
    t->cols = lc_calloc(col_count ? col_count : 1, sizeof *t->cols);
    if (!el || !t->cols) goto fail;
    i32 off = 0;
    for (u32 i = 0; i < col_count; i++) {
        el[i].name = names[i];
        el[i].type = types[i];
        t->cols[i].type = types[i];
        t->cols[i].name = lc_strdup(names[i]);
        if (!t->cols[i].name) goto fail;
        t->cols[i].fixed_size = types[i]->fixed_size;
        t->cols[i].fixed_off = off;
        if (off >= 0 && types[i]->fixed_size >= 0) off += types[i]->fixed_size;
        else off = -1;
    }
    t->col_count = col_count;
    t->row_type = lc_type_product(&t->ts, col_count, el);
    if (!t->row_type) goto fail;
    t->row_fixed = off;
    t->slot_size = off >= 0 ? (off ? (u32)off : 1) : (u32)sizeof(u8 *);
    lc_free(el);
    return table_rowset_rebuild(t);
fail:
    lc_free(el);
    t->col_count = col_count; /* so table_destroy frees names */
    return LC_ENOMEM;
}

void table_destroy(store_table *t)
{
    if (!t) return;
    for (u32 i = 0; i < t->ix_count; i++) index_destroy(t->ixs[i]);
    lc_free(t->ixs);
    if (t->row_fixed < 0) {
        for (u32 rid = 0; rid < t->slot_hw; rid++) {
            /* slots on the free list had their block freed and set to NULL */
            u8 *blk;
            memcpy(&blk, t->pages[rid >> STORE_PAGE_SHIFT] +
                             (size_t)(rid & (STORE_PAGE_ROWS - 1)) * t->slot_size,
                   sizeof blk);
            lc_free(blk);
        }
    }
    for (u32 p = 0; p < t->page_count; p++) {
        lc_free(t->pages[p]);
        lc_free(t->live_pages[p]);
    }
    lc_free(t->pages);
    lc_free(t->live_pages);
    lc_free(t->free_slots);
    lc_free(t->rowset);
    lc_free(t->seqs);
    if (t->cols)
        for (u32 i = 0; i < t->col_count; i++) lc_free(t->cols[i].name);
    lc_free(t->cols);
    lc_typespace_deinit(&t->ts);
    lc_free(t->name);
    lc_free(t);
}

static int table_add_page(store_table *t)
{
    if (t->page_count >= (UINT32_MAX >> STORE_PAGE_SHIFT)) return LC_ELIMIT;
    u8 **pages = lc_realloc(t->pages, (t->page_count + 1) * sizeof *pages);
    if (!pages) return LC_ENOMEM;
    t->pages = pages;
    u64 **live = lc_realloc(t->live_pages, (t->page_count + 1) * sizeof *live);
    if (!live) return LC_ENOMEM;
    t->live_pages = live;
    u8 *pg = lc_calloc(STORE_PAGE_ROWS, t->slot_size);
    u64 *bits = lc_calloc(STORE_PAGE_ROWS / 64, sizeof(u64));
    if (!pg || !bits) {
        lc_free(pg);
        lc_free(bits);
        return LC_ENOMEM;
    }
    t->pages[t->page_count] = pg;
    t->live_pages[t->page_count] = bits;
    t->page_count++;
    return 0;
}

int table_slot_alloc(store_table *t, const u8 *row, u32 len, u32 *out_rid)
{
    u8 *blk = NULL;
    if (t->row_fixed < 0) {
        blk = lc_alloc((size_t)len + 4);
        if (!blk) return LC_ENOMEM;
        lc_store_u32(blk, len);
        memcpy(blk + 4, row, len);
    } else {
        LC_ASSERT(len == (u32)t->row_fixed);
    }
    u32 rid;
    if (t->free_count) {
        rid = t->free_slots[--t->free_count];
    } else {
        if (t->slot_hw >= LC_TABLE_ROWS_MAX) goto fail_limit;
        if ((t->slot_hw >> STORE_PAGE_SHIFT) >= t->page_count) {
            int rc = table_add_page(t);
            if (rc) {
                lc_free(blk);
                return rc;
            }
        }
        rid = t->slot_hw++;
    }
    u8 *slot = t->pages[rid >> STORE_PAGE_SHIFT] + (size_t)(rid & (STORE_PAGE_ROWS - 1)) *
                                                      t->slot_size;
    if (blk) memcpy(slot, &blk, sizeof blk);
    else memcpy(slot, row, len);
    *out_rid = rid;
    return 0;
fail_limit:
    lc_free(blk);
    return LC_ELIMIT;
}

void table_slot_set_live(store_table *t, u32 rid, bool is_live)
{
    u64 *w = &t->live_pages[rid >> STORE_PAGE_SHIFT][(rid & (STORE_PAGE_ROWS - 1)) >> 6];
    u64 bit = 1ull << (rid & 63);
    LC_DEBUG_ASSERT(!!(*w & bit) != is_live);
    if (is_live) {
        *w |= bit;
        t->row_count++;
    } else {
        *w &= ~bit;
        t->row_count--;
    }
}

void table_slot_free(store_table *t, u32 rid)
{
    LC_ASSERT(!table_is_live(t, rid));
    if (t->row_fixed < 0) {
        u8 *slot = t->pages[rid >> STORE_PAGE_SHIFT] +
                   (size_t)(rid & (STORE_PAGE_ROWS - 1)) * t->slot_size;
        u8 *blk;
        memcpy(&blk, slot, sizeof blk);
        lc_free(blk);
        blk = NULL;
        memcpy(slot, &blk, sizeof blk);
    }
    if (t->free_count == t->free_cap) {
        u32 cap = t->free_cap ? t->free_cap * 2 : 64;
        u32 *f = lc_realloc(t->free_slots, cap * sizeof *f);
        if (!f) return; /* the slot leaks until the table is destroyed; never reused */
        t->free_slots = f;
        t->free_cap = cap;
    }
    t->free_slots[t->free_count++] = rid;
}

/* ---- row set ---- */

static u64 row_hash(const store_table *t, u32 rid)
{
    u32 len;
    const u8 *r = table_row(t, rid, &len);
    return lc_hash_bytes(r, len, ROWSET_SEED);
}

static void rowset_place(store_table *t, u32 rid)
{
    u32 mask = t->rowset_cap - 1;
    u32 i = (u32)row_hash(t, rid) & mask;
    while (t->rowset[i]) i = (i + 1) & mask;
    t->rowset[i] = rid + 1;
}

int table_rowset_rebuild(store_table *t)
{
    t->rowset_n = 0;
    if (t->unique_ix_count) return 0; /* not maintained; memory kept for a later rebuild */
    u32 cap = 16;
    while (cap < t->row_count * 2 + 2) cap *= 2;
    if (t->rowset && t->rowset_cap >= cap) {
        cap = t->rowset_cap;
        memset(t->rowset, 0, cap * sizeof(u32));
    } else {
        u32 *m = lc_calloc(cap, sizeof(u32));
        if (!m) return LC_ENOMEM;
        lc_free(t->rowset);
        t->rowset = m;
    }
    t->rowset_cap = cap;
    for (u32 rid = 0; rid < t->slot_hw; rid++) {
        if (!table_is_live(t, rid)) continue;
        rowset_place(t, rid);
        t->rowset_n++;
    }
    return 0;
}

static int rowset_add(store_table *t, u32 rid)
{
    if ((t->rowset_n + 1) * 2 > t->rowset_cap) {
        u32 cap = t->rowset_cap * 2;
        u32 *old = t->rowset, old_cap = t->rowset_cap;
        t->rowset = lc_calloc(cap, sizeof(u32));
        if (!t->rowset) {
            t->rowset = old;
            return LC_ENOMEM;
        }
        t->rowset_cap = cap;
        for (u32 i = 0; i < old_cap; i++)
            if (old[i]) rowset_place(t, old[i] - 1);
        lc_free(old);
    }
    rowset_place(t, rid);
    t->rowset_n++;
    return 0;
}

static void rowset_del(store_table *t, u32 rid)
{
    u32 mask = t->rowset_cap - 1;
    u32 i = (u32)row_hash(t, rid) & mask;
    while (t->rowset[i] != rid + 1) {
        LC_ASSERT(t->rowset[i] != 0);
        i = (i + 1) & mask;
    }
    t->rowset[i] = 0;
    t->rowset_n--;
    for (u32 j = (i + 1) & mask; t->rowset[j]; j = (j + 1) & mask) {
        u32 r = t->rowset[j] - 1;
        t->rowset[j] = 0;
        rowset_place(t, r);
    }
}

static u32 rowset_find(const store_table *t, const u8 *row, u32 len)
{
    u32 mask = t->rowset_cap - 1;
    for (u32 i = (u32)lc_hash_bytes(row, len, ROWSET_SEED) & mask; t->rowset[i];
         i = (i + 1) & mask) {
        u32 l2;
        const u8 *r2 = table_row(t, t->rowset[i] - 1, &l2);
        if (l2 == len && memcmp(r2, row, len) == 0) return t->rowset[i] - 1;
    }
    return UINT32_MAX;
}

/* ---- linking rows into indexes ---- */

int table_link(store_table *t, u32 rid)
{
    u32 i = 0;
    int rc = 0;
    for (; i < t->ix_count; i++) {
        rc = index_insert(t->ixs[i], rid);
        if (rc) goto fail;
    }
    if (!t->unique_ix_count) {
        rc = rowset_add(t, rid);
        if (rc) goto fail;
    }
    return 0;
fail:
    while (i-- > 0) index_remove(t->ixs[i], rid);
    return rc;
}

void table_unlink(store_table *t, u32 rid)
{
    for (u32 i = 0; i < t->ix_count; i++) index_remove(t->ixs[i], rid);
    if (!t->unique_ix_count) rowset_del(t, rid);
}

u32 table_find_equal(store_table *t, const u8 *row, u32 len)
{
    if (!t->unique_ix_count) return rowset_find(t, row, len);
    for (u32 i = 0; i < t->ix_count; i++) {
        store_index *ix = t->ixs[i];
        if (!ix->is_unique) continue;
        u32 rid = index_find_row_key(ix, row, UINT32_MAX);
        if (rid == UINT32_MAX) return UINT32_MAX;
        u32 l2;
        const u8 *r2 = table_row(t, rid, &l2);
        return (l2 == len && memcmp(r2, row, len) == 0) ? rid : UINT32_MAX;
    }
    LC_UNREACHABLE();
}

const u8 *table_col_ptr(const store_table *t, const u8 *row, u32 col)
{
    LC_DEBUG_ASSERT(col < t->col_count);
    if (t->cols[col].fixed_off >= 0) return row + t->cols[col].fixed_off;
    /* Start at the last column with a known offset and skip forward. */
    u32 c = col;
    while (c > 0 && t->cols[c].fixed_off < 0) c--;
    lc_rd r;
    lc_rd_init(&r, row + t->cols[c].fixed_off, LC_VALUE_SIZE_MAX);
    for (; c < col; c++) lc_bsatn_skip(t->cols[c].type, &r);
    return r.p;
}

int table_validate_row(const store_table *t, const u8 *row, size_t len, lc_errbuf *eb)
{
    if (len > LC_VALUE_SIZE_MAX) return lc_errf(eb, LC_EDECODE, "row of %zu bytes too big", len);
    if (t->row_fixed >= 0 && len != (size_t)t->row_fixed)
        return lc_errf(eb, LC_EDECODE, "row for table %s has %zu bytes, want %d", t->name, len,
                       t->row_fixed);
    lc_rd r;
    lc_rd_init(&r, row, len);
    int rc = lc_bsatn_validate(t->row_type, &r, eb);
    if (rc) return LC_EDECODE;
    if (lc_rd_left(&r))
        return lc_errf(eb, LC_EDECODE, "%zu trailing bytes after row", lc_rd_left(&r));
    return 0;
}

u64 table_mem_bytes(const store_table *t)
{
    u64 b = (u64)t->page_count * (STORE_PAGE_ROWS * t->slot_size + STORE_PAGE_ROWS / 8);
    b += (u64)t->free_cap * 4 + (u64)t->rowset_cap * 4;
    if (t->row_fixed < 0) {
        for (u32 rid = 0; rid < t->slot_hw; rid++) {
            if (!table_is_live(t, rid)) continue;
            u32 len;
            table_row(t, rid, &len);
            b += len + 4;
        }
    }
    for (u32 i = 0; i < t->ix_count; i++) b += index_mem_bytes(t->ixs[i]);
    return b;
}
