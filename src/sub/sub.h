/*
 * sub/sub.h — the subscriptions core: compiled subscription queries shared between
 * subscribers, their initial evaluation and their incremental evaluation from a TxData.
 *
 * Design:
 *   - A query is parsed with sql_parse_subscription and bound with sql_filter_compile (the SQL
 *     layer's binder and predicate evaluator; there is no second one here). Only single-table
 *     queries are supported for now: joins are refused with LC_ENOTSUP.
 *   - Identity of a query is its canonical text (sql_select_print) plus, when it uses :sender,
 *     the caller's identity. Its hash is a stable hash of that key. The registry shares one
 *     compiled query per key with a reference count: acquire / release.
 *   - Incremental evaluation never rescans a table: for a committed TxData, each query whose
 *     table is in it (found by binary search of the sorted TxData tables; other queries are
 *     pruned) gets the TxData's deleted and inserted rows of that table that match its WHERE.
 *     Since a TxData is net (a row is never both inserted and deleted), this is exactly
 *     diff(result before, result after).
 *   - Not thread-safe: one registry is driven by one thread (the commit path).
 */
#ifndef LC_SUB_SUB_H
#define LC_SUB_SUB_H

#include "base/error.h"
#include "base/types.h"
#include "sql/sql_exec.h"
#include "store/store.h"

typedef struct sub_registry sub_registry;
typedef struct sub_query sub_query;

/* Called for a matching row; a non-zero return stops the evaluation and is returned. */
typedef int (*sub_row_fn)(void *ctx, const sub_query *q, const u8 *row, u32 len);

typedef struct sub_delta_sink {
    sub_row_fn on_delete; /* may be NULL */
    sub_row_fn on_insert; /* may be NULL */
    void *ctx;
} sub_delta_sink;

int sub_registry_create(sub_registry **out) LC_MUST_USE;
/* Frees every query still registered (references included). */
void sub_registry_destroy(sub_registry *r);
/* Number of distinct compiled queries. */
u32 sub_registry_count(const sub_registry *r);

/* Compiles (or finds and shares) the query `sql` inside txn (any transaction) and takes one
 * reference. caller_id (32 bytes or NULL) binds :sender. Errors: the parser's and the
 * binder's (LC_ESYNTAX, LC_ENOTSUP for joins, LC_ENOTFOUND, LC_ETYPE, ...), LC_ENOMEM. */
int sub_query_acquire(sub_registry *r, store_txn *txn, const char *sql, size_t len,
                      const u8 *caller_id, sub_query **out, lc_errbuf *eb) LC_MUST_USE;
/* Drops one reference; the query is freed with the last one. */
void sub_query_release(sub_registry *r, sub_query *q);

u64 sub_query_hash(const sub_query *q);
u32 sub_query_table_id(const sub_query *q);
u32 sub_query_refcount(const sub_query *q);
/* The canonical SQL text (NUL-terminated) the query is keyed by. */
const char *sub_query_text(const sub_query *q);

/* Initial evaluation: every row of the table matching now (full scan of that one table). */
int sub_query_eval_initial(sub_query *q, store_txn *txn, sub_row_fn fn, void *ctx) LC_MUST_USE;
/* Incremental evaluation of every registered query from one committed TxData. */
int sub_registry_eval_tx(sub_registry *r, const store_txdata *td, const sub_delta_sink *sink)
    LC_MUST_USE;
/* The same for a single query. */
int sub_query_eval_tx(sub_query *q, const store_txdata *td, const sub_delta_sink *sink)
    LC_MUST_USE;

#endif
