/*
 * store/store_int.h — private structures of the storage engine (only src/store/ includes this).
 *
 * Rows. A table keeps each row as its canonical BSATN bytes in a numbered slot (the row id,
 * u32, never exposed). Slots live in pages of STORE_PAGE_ROWS slots:
 *   - fixed-size rows (every column has a fixed BSATN size): the slot IS the row, so a row of
 *     accounts(u32, i64) costs 12 bytes;
 *   - variable-size rows: the slot holds a pointer to an lc_alloc'd block [u32 len][bytes].
 * A bitmap says which slots are live. Freed slots go on a free list (reused LIFO).
 * Columns before the first variable-size column have constant offsets (store_col.fixed_off).
 *
 * Indexes (index.c). One ordered structure for every algorithm: a two-level sorted array
 * (a directory of chunks of up to STORE_IX_CHUNK entries, each chunk sorted, chunks in
 * order), i.e. a B-tree of height two. Entries are row ids ordered by (key, row id). Keys of a
 * single integer column of width <= 8 at a fixed offset are copied into the chunk as an
 * order-preserving u64 ("int mode", native compares); every other key is compared through the
 * row with lc_bsatn_cmp ("generic mode"). Hash and Direct indexes use the same structure;
 * only their API differs (a Hash index refuses range scans as SpacetimeDB does). A unique
 * int-mode index also keeps a hash side table (key -> row id) so point lookups, uniqueness
 * checks and update-by-key are one probe; the ordered part serves ranges.
 *
 * Set semantics: a table with a unique index detects identical rows through it; a table with
 * none keeps a row-hash set (open addressing over row ids, backward-shift deletion).
 *
 * Transactions (txn.c). The single writer mutates committed structures in place and appends
 * an undo record per row change: {INSERT, t, rid} or {DELETE, t, rid}. A deleted row's slot is
 * only marked dead (bytes kept) and not reused until commit, so rollback re-lives it under
 * the same row id and re-adds it to the indexes. Commit walks the undo log to build TxData
 * (netting rows inserted and deleted in the same transaction) and frees dead slots.
 * Catalog objects (tables, indexes, sequences) are derived from st_* rows by
 * catalog_reconcile(), run after DDL, after rollback of a transaction that touched st_* rows,
 * and during replay/snapshot load, so there is one code path for live DDL and recovery.
 */
#ifndef LC_STORE_STORE_INT_H
#define LC_STORE_STORE_INT_H

#include <pthread.h>

#include "base/buf.h"
#include "store/store.h"
#include "value/value.h"

#define STORE_PAGE_SHIFT 12
#define STORE_PAGE_ROWS (1u << STORE_PAGE_SHIFT)
#define STORE_IX_CHUNK 128

typedef struct store_col {
    char *name;
    const lc_type *type;
    i32 fixed_off;  /* constant offset in every row, or -1 */
    i32 fixed_size; /* BSATN size if constant, else -1 */
} store_col;

typedef struct store_ix_chunk {
    u32 n;
    u32 rids[STORE_IX_CHUNK];
    u64 keys[]; /* int mode only */
} store_ix_chunk;

typedef struct store_index {
    u32 id;
    struct store_table *t;
    char *name;
    u8 algo;
    bool is_unique;
    bool is_int;      /* int mode */
    bool int_signed;
    u8 int_width;     /* 1, 2, 4 or 8 */
    u32 int_off;
    u16 col_count;
    u16 *cols;
    store_ix_chunk **chunks;
    u64 *dir_last; /* int mode: last key of each chunk (a cache-friendly directory) */
    u32 chunk_count, chunk_cap;
    u64 count;
    /* unique int mode: the last keys looked up and their rows, checked before use (the row
     * must be live and carry the key; uniqueness makes it the only one) */
    u64 hint_key[2];
    u32 hint_rid[2];
    u32 hint_next;
    /* unique int mode: hash of key -> rid+1 (open addressing, linear probing, tombstones so
     * a delete reads no other row), so a point lookup is one probe instead of two binary
     * searches */
    u32 *hmap;
    u32 hcap, hn, htomb;
    bool is_alive; /* reconcile mark */
} store_index;

typedef struct store_seq {
    u32 id;
    struct store_table *t;
    u16 col_pos;
    i128 increment, start, min_value, max_value;
    i128 value;     /* next value to hand out */
    i128 allocated; /* persisted bound */
    bool is_alive;
} store_seq;

struct store_table {
    u32 id;
    char *name;
    bool is_public;
    bool is_system;
    i32 pk_col;
    lc_typespace ts;       /* owns row_type and column types */
    const lc_type *row_type;
    u32 col_count;
    store_col *cols;
    i32 row_fixed;         /* fixed row size or -1 */
    u32 slot_size;
    u8 **pages;
    u32 page_count;
    u64 **live_pages;      /* bitmap per page */
    u32 slot_hw;           /* slots ever used (high-water) */
    u32 *free_slots;
    u32 free_count, free_cap;
    u64 row_count;
    store_index **ixs;
    u32 ix_count;
    u32 unique_ix_count;
    u32 *rowset;           /* rid+1 per bucket; only when unique_ix_count == 0 */
    u32 rowset_cap, rowset_n;
    store_seq **seqs;      /* sequences on this table */
    u32 seq_count;
    /* per-transaction scratch */
    u32 tx_mark;           /* 1 + position in s->touched when touched this txn */
    bool is_alive;
};

typedef struct store_undo {
    store_table *t;
    u32 rid;
    u32 op;  /* STORE_UNDO_* */
    u64 aux; /* UPDATE: old bytes (offset in s->undo_bytes, or the old var-size block) */
} store_undo;

/* UPDATE: the row's bytes were replaced in place (same row id); indexes whose key changed
 * were re-keyed. Rollback restores the old bytes and re-keys back. */
enum { STORE_UNDO_INSERT = 1, STORE_UNDO_DELETE = 2, STORE_UNDO_UPDATE = 3 };

/* u32 -> pointer map (open addressing, linear probing); ids are never 0. */
typedef struct store_idmap {
    u32 *keys;
    void **vals;
    u32 cap, n;
} store_idmap;

struct store {
    pthread_rwlock_t lock;
    u64 next_tx_offset;
    store_idmap tables;  /* table id -> store_table* */
    store_idmap indexes; /* index id -> store_index* */
    store_idmap seqs;    /* sequence id -> store_seq* */
    store_undo *undo;
    u32 undo_count, undo_cap;
    lc_buf undo_bytes;   /* old bytes of fixed-size rows updated in place */
    bool catalog_dirty;  /* an st_* table changed in this txn */
    bool is_replaying;   /* reconcile sets sequence value = allocated */
    store_table **touched;
    u32 touched_count, touched_cap;
    /* user tables dropped in this transaction after row changes (catalog.c table_zombify):
     * kept for rollback, destroyed when the transaction ends */
    store_table **zombies;
    u32 zombie_count, zombie_cap;
    bool keep_dead_tables; /* replay between a record's inserts and deletes (see sweep) */
    /* TxData of the last commit */
    store_txdata td;
    store_txdata_table *td_tables;
    u32 td_cap;
    lc_buf td_bytes;     /* all row bytes */
    u32 *td_offs;
    u32 td_offs_n, td_offs_cap;
    lc_buf scratch;      /* key / row scratch */
    u64 *tmp;            /* commit scratch (reused) */
    u32 tmp_cap;
};

/* ---- idmap ---- */
void *store_idmap_get(const store_idmap *m, u32 key);
int store_idmap_put(store_idmap *m, u32 key, void *val) LC_MUST_USE;
void store_idmap_del(store_idmap *m, u32 key);
void store_idmap_deinit(store_idmap *m);

/* ---- table.c ---- */
/* Creates an empty table with no columns yet; the caller builds column types in t->ts and
 * then calls table_set_columns. */
int table_create(u32 id, const char *name, store_table **out_t) LC_MUST_USE;
int table_set_columns(store_table *t, u32 col_count, const char *const *names,
                      const lc_type *const *types) LC_MUST_USE;
void table_destroy(store_table *t);
static inline bool table_is_live(const store_table *t, u32 rid)
{
    return rid < t->slot_hw &&
           (t->live_pages[rid >> STORE_PAGE_SHIFT][(rid & (STORE_PAGE_ROWS - 1)) >> 6] >>
            (rid & 63)) & 1;
}
static inline const u8 *table_row(const store_table *t, u32 rid, u32 *out_len)
{
    u8 *slot = t->pages[rid >> STORE_PAGE_SHIFT] + (size_t)(rid & (STORE_PAGE_ROWS - 1)) *
                                                       t->slot_size;
    if (t->row_fixed >= 0) {
        *out_len = (u32)t->row_fixed;
        return slot;
    }
    u8 *blk;
    memcpy(&blk, slot, sizeof blk);
    *out_len = lc_load_u32(blk);
    return blk + 4;
}
/* Stores a copy of row in a fresh slot (not live, not indexed). */
int table_slot_alloc(store_table *t, const u8 *row, u32 len, u32 *out_rid) LC_MUST_USE;
void table_slot_set_live(store_table *t, u32 rid, bool is_live);
/* Slot address of rid. */
static inline u8 *table_slot(const store_table *t, u32 rid)
{
    return t->pages[rid >> STORE_PAGE_SHIFT] + (size_t)(rid & (STORE_PAGE_ROWS - 1)) *
                                                   t->slot_size;
}
/* Returns a dead slot to the free list (frees a var-size block). */
void table_slot_free(store_table *t, u32 rid);
/* Adds / removes a live row to / from every index and the row set. Add fails only on OOM. */
int table_link(store_table *t, u32 rid) LC_MUST_USE;
void table_unlink(store_table *t, u32 rid);
/* Finds a live row equal to row (via a unique index or the row set): rid or UINT32_MAX. */
u32 table_find_equal(store_table *t, const u8 *row, u32 len);
/* Pointer to column col of row (walks variable-size columns when needed). */
const u8 *table_col_ptr(const store_table *t, const u8 *row, u32 col);
int table_validate_row(const store_table *t, const u8 *row, size_t len, lc_errbuf *eb)
    LC_MUST_USE;
u64 table_mem_bytes(const store_table *t);
int table_rowset_rebuild(store_table *t) LC_MUST_USE;

/* ---- index.c ---- */
int index_create(store_table *t, u32 id, const char *name, u8 algo, bool is_unique,
                 u16 col_count, const u16 *cols, store_index **out_ix) LC_MUST_USE;
void index_destroy(store_index *ix);
int index_insert(store_index *ix, u32 rid) LC_MUST_USE;
void index_remove(store_index *ix, u32 rid);
/* Rids whose full key equals the key of `row` (another row of the same table). */
u32 index_find_row_key(store_index *ix, const u8 *row, u32 skip_rid);
/* A probe: the first prefix_elems key columns equal `prefix`, then optionally a bound value
 * on the next column. */
typedef struct store_probe {
    const u8 *prefix;
    u16 prefix_elems;
    const u8 *val; /* NULL: no value on the next column */
    bool has_int;
    u64 int_key;
} store_probe;
typedef struct store_ixpos {
    u32 ci, si; /* chunk, slot; ci == chunk_count is the end */
} store_ixpos;
/* Position of the first entry comparing > probe (strict) or >= probe. */
store_ixpos index_bound(const store_index *ix, const store_probe *p, bool is_strict);
/* Collects rids of entries [from, to) into a new lc_alloc'd array (NULL when empty). */
int index_collect(const store_index *ix, store_ixpos from, store_ixpos to, u32 **out_rids,
                  u32 *out_count) LC_MUST_USE;
/* Unique int-mode fast path: rid with key k or UINT32_MAX. may_hint: the caller is the
 * writer, so it may record the lookup in the index's hints (readers never write them). */
u32 index_int_find(store_index *ix, u64 k, bool may_hint);
bool index_check(const store_index *ix);
/* Do rows a and b (of ix's table) have equal keys in ix? */
bool index_same_key(const store_index *ix, const u8 *a, const u8 *b);
u64 index_mem_bytes(const store_index *ix);
/* Order-preserving u64 of an int-mode key column value at p. */
u64 index_key_norm(const store_index *ix, const u8 *p);

/* ---- txn.c (internal entry points used by catalog/replay) ---- */
int txn_insert_raw(store *s, store_table *t, const u8 *row, u32 len, bool *out_existed)
    LC_MUST_USE;
int txn_delete_rid(store *s, store_table *t, u32 rid) LC_MUST_USE;
/* Replaces live row rid by row in place (constraints already checked by the caller). */
int txn_update_rid(store *s, store_table *t, u32 rid, const u8 *row, u32 len) LC_MUST_USE;
void txn_rollback_to(store *s, u32 mark);
void txn_commit_finish(store *s);
/* Inserts a validated row; in replay mode a unique conflict in a system table replaces the
 * conflicting row (its delete follows later in the same record). */
int txn_insert_replay(store *s, store_table *t, const u8 *row, u32 len) LC_MUST_USE;
int txn_build_txdata(store *s) LC_MUST_USE;
store_table *store_table_get(const store *s, u32 id);

/* ---- store_ddl_ext.c ---- */
/* A failed DDL statement: rolled back to `mark`, or (out of memory) the txn marked failed. */
void ddl_undo(store_txn *txn, u32 mark, int rc);

/* ---- catalog.c ---- */
int catalog_bootstrap(store *s) LC_MUST_USE;
int catalog_reconcile(store *s, lc_errbuf *eb) LC_MUST_USE;
/* Sets q's next value and persisted bound (rewrites its st_sequence row): a rebuilt table's
 * sequence resumes where the old one stopped. */
int catalog_seq_restore(store *s, store_seq *q, i128 value, i128 allocated) LC_MUST_USE;
/* Destroys the zombie tables left at the end of a transaction (see catalog.c). */
void catalog_zombies_destroy(store *s);
/* Next value of sequence `seq` (reserving a block and rewriting st_sequence if needed). */
int catalog_seq_next(store *s, store_seq *seq, i128 *out_value) LC_MUST_USE;
void catalog_destroy_all(store *s);

#endif
