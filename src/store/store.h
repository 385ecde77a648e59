/*
 * store/store.h — the in-memory storage engine: tables, indexes, constraints, sequences, the
 * system catalog, transactions, TxData and snapshots.
 *
 * This is the contract between store/ and the layers above it (clog/, host/, sql/, sub/).
 * Spec: ../shared/docs/spec-engine-semantics.md §1 and §2.3; spec-module-abi.md §1.7.
 *
 * Model. A store is one database. Tables are sets of rows; a row is its canonical BSATN bytes
 * (the row type is a product of the table's columns). Every table, index, sequence and
 * constraint is described by rows of the system tables (st_table = 1, st_column = 2,
 * st_sequence = 3, st_index = 4, st_constraint = 5, ... with SpacetimeDB's ids and columns);
 * the in-memory structures are derived from those rows, so DDL is transactional, is logged in
 * TxData like any other change, and a log replayed from offset 0 rebuilds the schema.
 *
 * Concurrency. One writer at a time mutates the committed structures in place and records an
 * undo log; rollback replays it backwards (see store_int.h for the undo design). Readers
 * (store_read_begin) take a shared lock and see committed state only between write
 * transactions (SpacetimeDB's model: readers and the writer exclude each other). Never call
 * store_txn_begin / store_read_begin / store_snapshot_encode on a store whose lock this
 * thread already holds (the rwlock is not recursive).
 *
 * Differences from SpacetimeDB worth knowing: re-inserting a row deleted earlier in the same
 * transaction reports "inserted" (not "Existed"); TxData nets it away all the same. Index,
 * constraint and sequence ids of the system tables are numbered 1.. in store order, not
 * taken from SpacetimeDB's fixed maps. Not implemented: event and view tables.
 *
 * Ownership and lifetimes.
 *   - store_txn lives on the caller's stack; begin/commit/abort pair up exactly once.
 *   - Rows returned by reads are BORROWED: valid until the next mutation in the same
 *     transaction or the end of the transaction, whichever comes first.
 *   - Iterators are invalidated by any mutation of the store.
 *   - The TxData returned by commit is owned by the store and valid until the next
 *     store_txn_begin / store_read_begin on that store.
 *   - Row bytes passed in are copied; the caller keeps ownership.
 *
 * Errors (negative LC_E*):
 *   LC_ENOTFOUND   no such table / index / row (callers map to NO_SUCH_TABLE/INDEX/ROW by
 *                  checking ids first with store_table_exists / store_index_info)
 *   LC_EUNIQUE     unique constraint violation (per operation; the txn stays usable)
 *   LC_EDECODE     row, key or bound bytes do not decode at the expected type
 *   LC_ENOTSUP     range scan on a hash index (ABI WRONG_INDEX_ALGO)
 *   LC_EINVAL      update through an index that is not unique (ABI INDEX_NOT_UNIQUE), bad DDL
 *   LC_ETXFAILED   the transaction has failed (out of memory mid-operation, or
 *                  store_txn_fail); every later call fails and commit aborts
 *   LC_ESTATE      read-only transaction asked to write
 */
#ifndef LC_STORE_STORE_H
#define LC_STORE_STORE_H

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"
#include "value/value.h"

typedef struct store store;
typedef struct store_table store_table; /* private */

/* Fixed system table ids (spec-engine-semantics §1.6). User table ids start at 4096. */
enum {
    STORE_ST_TABLE = 1,
    STORE_ST_COLUMN = 2,
    STORE_ST_SEQUENCE = 3,
    STORE_ST_INDEX = 4,
    STORE_ST_CONSTRAINT = 5,
    STORE_ST_MODULE = 6,
    STORE_ST_CLIENT = 7,
    STORE_ST_VAR = 8,
    STORE_ST_SCHEDULED = 9,
    STORE_ST_ROW_LEVEL_SECURITY = 10,
    STORE_ST_CONNECTION_CREDENTIALS = 11,
    STORE_ST_VIEW = 12,
    STORE_ST_VIEW_PARAM = 13,
    STORE_ST_VIEW_COLUMN = 14,
    STORE_ST_VIEW_SUB = 15,
    STORE_ST_VIEW_ARG = 16,
    STORE_ST_EVENT_TABLE = 17,
    STORE_USER_TABLE_ID_MIN = 4096,
};

/* StIndexAlgorithm tags. */
typedef enum store_index_algo {
    STORE_INDEX_BTREE = 1,
    STORE_INDEX_DIRECT = 2,
    STORE_INDEX_HASH = 3,
} store_index_algo;

/* Sequence allocation step (SEQUENCE_ALLOCATION_STEP). */
#define STORE_SEQUENCE_STEP 4096

/* ---- DDL descriptions (borrowed for the duration of the call) ---- */

typedef struct store_column_def {
    const char *name;
    const lc_type *type; /* ref-free; encoded into st_column.col_type */
} store_column_def;

typedef struct store_index_def {
    const char *name; /* NULL: generated "{table}_{cols}_idx_{algo}" */
    u8 algo;          /* store_index_algo */
    bool is_unique;   /* also writes an st_constraint Unique row "{table}_{cols}_key" */
    u16 col_count;
    const u16 *cols;
} store_index_def;

typedef struct store_sequence_def {
    u16 col_pos; /* an integer column */
    /* 0/0/0/0 means SpacetimeDB's defaults: increment 1, start 1, min 1, max i128::MAX. */
    i128 increment, start, min_value, max_value;
} store_sequence_def;

typedef struct store_table_def {
    const char *name;
    bool is_public;
    i32 pk_col; /* -1: no primary key. A unique btree index on it is added if missing. */
    u32 col_count;
    const store_column_def *cols;
    u32 index_count;
    const store_index_def *indexes;
    u32 seq_count;
    const store_sequence_def *seqs;
} store_table_def;

/* ---- the store ---- */

/* Creates an empty store with the system tables bootstrapped (not logged). */
int store_create(store **out_store) LC_MUST_USE;
void store_destroy(store *s);

/* The offset the next non-empty transaction will get. */
u64 store_next_tx_offset(const store *s);

/* ---- transactions ---- */

typedef struct store_txn {
    store *s;
    bool is_write;
    bool is_failed;
    bool is_offset_forced; /* see store_txn_force_offset */
    u32 undo_mark;         /* private */
} store_txn;

/* Write transaction: waits for the writer lock (and for readers to leave). */
void store_txn_begin(store_txn *txn, store *s);
/* Read transaction: shared lock; sees the committed state. */
void store_read_begin(store_txn *txn, store *s);
void store_read_end(store_txn *txn);

typedef struct store_rows {
    u32 count;
    const u32 *offs; /* count + 1 offsets into bytes; row i is bytes[offs[i] .. offs[i+1]) */
    const u8 *bytes;
} store_rows;

typedef struct store_txdata_table {
    u32 table_id;
    bool is_truncated; /* table ended empty after deletes; deletes still listed */
    store_rows inserts;
    store_rows deletes;
} store_txdata_table;

typedef struct store_txdata {
    bool has_offset;   /* false: nothing changed, no offset consumed */
    u64 tx_offset;
    u32 table_count;   /* tables with net changes, sorted by table id */
    const store_txdata_table *tables;
} store_txdata;

/* Commits and releases the lock. *out_txdata (may be NULL) points into the store, valid until
 * the next begin. A failed transaction is aborted and LC_ETXFAILED returned. */
int store_txn_commit(store_txn *txn, const store_txdata **out_txdata) LC_MUST_USE;
/* Rolls back every change of the transaction (rows, indexes, DDL) and releases the lock.
 * Sequence values handed out are not given back. */
void store_txn_abort(store_txn *txn);
/* Marks the transaction failed (sticky): everything after returns LC_ETXFAILED. */
void store_txn_fail(store_txn *txn);
/* Makes commit assign a tx offset even if nothing changed (SpacetimeDB logs connect /
 * disconnect calls, `__identity_connected__` / `__identity_disconnected__`, always). */
void store_txn_force_offset(store_txn *txn);

/* ---- catalog lookups (any transaction) ---- */

/* By canonical name, or by an accessor alias recorded in st_table_accessor /
 * st_index_accessor (module ABI table_id_from_name / index_id_from_name). Linear in the
 * number of tables / indexes: callers cache ids. */

int store_table_id_from_name(store_txn *txn, const char *name, size_t len, u32 *out_id)
    LC_MUST_USE;
int store_index_id_from_name(store_txn *txn, const char *name, size_t len, u32 *out_id)
    LC_MUST_USE;
bool store_table_exists(store_txn *txn, u32 table_id);

typedef struct store_index_info {
    u32 table_id;
    u8 algo;
    bool is_unique;
    u16 col_count;
    const u16 *cols; /* borrowed */
} store_index_info;
int store_index_info_get(store_txn *txn, u32 index_id, store_index_info *out_info) LC_MUST_USE;
/* The row type (ref-free product), borrowed until the table is dropped. */
const lc_type *store_table_row_type(store_txn *txn, u32 table_id);

/* ---- DDL (write transaction) ---- */

int store_table_create(store_txn *txn, const store_table_def *def, u32 *out_table_id,
                       lc_errbuf *eb) LC_MUST_USE;
/* Adds an index to an existing table (built from its rows; LC_EUNIQUE on duplicates). */
int store_index_create(store_txn *txn, u32 table_id, const store_index_def *def,
                       u32 *out_index_id, lc_errbuf *eb) LC_MUST_USE;

/* ---- reads ---- */

typedef struct store_iter {
    /* private */
    const store_table *t;
    const u32 *rids;
    u32 pos, count;
    u32 *owned; /* lc_alloc'd when rids does not borrow */
    u32 one;
} store_iter;

/* Next row or false at the end. The row is borrowed (see above). */
bool store_iter_next(store_iter *it, const u8 **out_row, u32 *out_len);
/* Releases the iterator's memory; safe to call twice. */
void store_iter_close(store_iter *it);

int store_row_count(store_txn *txn, u32 table_id, u64 *out_count) LC_MUST_USE;
/* All rows (order unspecified). */
int store_scan(store_txn *txn, u32 table_id, store_iter *out_it) LC_MUST_USE;
/* Index point lookup: key = BSATN concatenation of all key columns. */
int store_index_point(store_txn *txn, u32 index_id, const u8 *key, size_t key_len,
                      store_iter *out_it) LC_MUST_USE;
/* Prefix + range scan in key order (module ABI datastore_index_scan_range_bsatn): prefix =
 * prefix_elems key columns, rstart/rend = BSATN Bound (0 Included v, 1 Excluded v,
 * 2 Unbounded) at key column prefix_elems. */
int store_index_range(store_txn *txn, u32 index_id, const u8 *prefix, size_t prefix_len,
                      u16 prefix_elems, const u8 *rstart, size_t rstart_len, const u8 *rend,
                      size_t rend_len, store_iter *out_it) LC_MUST_USE;

/* ---- writes (write transaction) ---- */

/* Inserts one row. Auto-inc columns holding zero get the next sequence value; the generated
 * values (concatenated, column order) are appended to out_generated when not NULL.
 * *out_existed (may be NULL) is true when an identical row was already present (a no-op). */
int store_insert(store_txn *txn, u32 table_id, const u8 *row, size_t len,
                 lc_buf *out_generated, bool *out_existed) LC_MUST_USE;
/* Replaces the row whose key in unique index `index_id` equals the new row's key. */
int store_update(store_txn *txn, u32 index_id, const u8 *row, size_t len,
                 lc_buf *out_generated) LC_MUST_USE;
/* Deletes the row equal to `row`; *out_deleted says whether one existed. */
int store_delete_row(store_txn *txn, u32 table_id, const u8 *row, size_t len,
                     bool *out_deleted) LC_MUST_USE;
/* Deletes exactly the rows store_index_range / store_index_point would return. */
int store_delete_range(store_txn *txn, u32 index_id, const u8 *prefix, size_t prefix_len,
                       u16 prefix_elems, const u8 *rstart, size_t rstart_len, const u8 *rend,
                       size_t rend_len, u32 *out_count) LC_MUST_USE;
int store_delete_point(store_txn *txn, u32 index_id, const u8 *key, size_t key_len,
                       u32 *out_count) LC_MUST_USE;
/* Deletes every row of the table (logged as a truncate). */
int store_clear(store_txn *txn, u32 table_id, u64 *out_count) LC_MUST_USE;

/* ---- TxData encode / replay, snapshots (for clog/) ---- */

/* Reducer inputs recorded in the Txdata (spec-engine-semantics §2.3); name truncated to 255. */
typedef struct store_inputs {
    const char *reducer_name;
    u32 name_len;
    const u8 *args; /* caller identity ++ connection id ++ timestamp ++ reducer args */
    u32 args_len;
} store_inputs;

/* Appends the SpacetimeDB Txdata encoding (flags, [inputs], mutations) to out. inputs may be
 * NULL. Truncated tables are written as truncates and their deletes omitted. Check out->err. */
void store_txdata_encode(const store_txdata *td, const store_inputs *inputs, lc_buf *out);

/* Replays one Txdata record (untrusted bytes) as transaction `tx_offset` into s: deletes,
 * truncates, then inserts (system tables first, rebuilding schema objects from st_* rows).
 * Sequences resume at their persisted `allocated`. Afterwards store_next_tx_offset(s) is
 * tx_offset + 1. On error nothing is applied. */
int store_txdata_apply(store *s, u64 tx_offset, const u8 *p, size_t n, lc_errbuf *eb)
    LC_MUST_USE;

/* Whole-store snapshot of the committed state (take no transaction; it locks as a reader).
 * Format: see snapshot.c. */
int store_snapshot_encode(store *s, lc_buf *out) LC_MUST_USE;
/* Loads a snapshot into a fresh store from store_create (untrusted bytes). Indexes are rebuilt,
 * sequences resume at `allocated`, next_tx_offset restored. */
int store_snapshot_decode(store *s, const u8 *p, size_t n, lc_errbuf *eb) LC_MUST_USE;

/* ---- checks (tests, debug) ---- */

/* Full invariant check of one table: row count, every live row in every index exactly once,
 * index order, uniqueness, set semantics. Returns true when consistent. */
bool store_table_check(store_txn *txn, u32 table_id);
/* Bytes allocated for the table's rows and indexes (for memory figures). */
u64 store_table_mem_bytes(store_txn *txn, u32 table_id);

/* ---- DDL extensions (store_ddl_ext.c; used by the host's republish migration) ---- */

/* Drops a user table's index, and the Unique constraint on exactly its columns if there is
 * one, in the write transaction (undone by abort, logged as st_* row deletes). LC_ENOTFOUND
 * for an unknown index, LC_EPERM for a system table's. */
int store_index_drop(store_txn *txn, u32 index_id, lc_errbuf *eb) LC_MUST_USE;
/* Rewrites a user table's st_table row with the given access and primary key column (-1:
 * none), in the write transaction. Rows and indexes are untouched. */
int store_table_set_access_pk(store_txn *txn, u32 table_id, bool is_public, i32 pk_col,
                              lc_errbuf *eb) LC_MUST_USE;
/* Drops an EMPTY user table not otherwise changed in this transaction, with its columns,
 * indexes, constraints and sequences (LC_ESTATE otherwise). Undone by abort. */
int store_table_drop_empty(store_txn *txn, u32 table_id, lc_errbuf *eb) LC_MUST_USE;
/* Drops a user table with its rows (logged as a truncate) and its st_column, st_index,
 * st_constraint, st_sequence and st_scheduled rows. Undone by abort. */
int store_table_drop(store_txn *txn, u32 table_id, lc_errbuf *eb) LC_MUST_USE;
/* Rebuilds a user table under a NEW table id (store_rebuild.c): same name, access, primary
 * key, indexes and sequences (resuming their values), columns `cols` (the old ones, possibly
 * with layout-compatible new types, then col_count - old count added ones); every row is
 * copied with `tail` (the BSATN of the added columns' values) appended. LC_EDECODE if a row
 * does not fit the new types. Undone by abort; *out_new_id may be NULL. */
int store_table_rebuild(store_txn *txn, u32 table_id, u32 col_count,
                        const store_column_def *cols, const u8 *tail, size_t tail_len,
                        u32 *out_new_id, lc_errbuf *eb) LC_MUST_USE;
/* Adds a sequence on integer column def->col_pos of an existing user table (the caller
 * checks the existing values first, as the reference's precheck does). */
int store_sequence_create(store_txn *txn, u32 table_id, const store_sequence_def *def,
                          lc_errbuf *eb) LC_MUST_USE;
/* Drops the sequence on column col_pos of a user table (LC_ENOTFOUND if none). */
int store_sequence_drop(store_txn *txn, u32 table_id, u16 col_pos, lc_errbuf *eb) LC_MUST_USE;

#endif
