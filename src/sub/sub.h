/*
 * sub/sub.h — the subscriptions core: compiled subscription queries shared between
 * subscribers, their initial evaluation and their incremental evaluation from a TxData.
 *
 * Queries (spec-client-protocol.md §7): `SELECT * | t.* FROM t [WHERE ...]` and the two-table
 * inner join `SELECT t.* FROM a JOIN b ON a.x = b.y [WHERE ...]` returning one side, with both
 * join columns indexed (else LC_ENOTSUP "Subscriptions require indexes on join columns", as
 * SpacetimeDB). A query is parsed with sql_parse_subscription and bound with
 * sql_filter_compile_opts (the SQL layer's binder and predicate evaluator; there is no second
 * one here).
 *
 * Sharing: identity of a query is its canonical text (sql_select_print), whether row-level
 * security applied, and the caller's identity when the result depends on it (:sender in the
 * query or in an applied rule). The registry shares one compiled query per key with a
 * reference count: acquire / release.
 *
 * Authorization (sub_query_acquire_as): an owner sees every table and no RLS. A client
 * (is_owner false) does not see private tables ("no such table: `t`. If the table exists, it
 * may be marked private.", LC_ENOTFOUND) and sees a row of a table with RLS rules only when it
 * satisfies at least one of them (:sender = the caller). One registry serves one database
 * and one rule set: when the module's rules change, release every client query first
 * (SpacetimeDB disconnects every client then).
 *
 * Incremental evaluation never rescans a table. A commit selects candidate queries through
 * pruning indexes (sub_int.h): queries on a changed table, queries whose `col = constant`
 * filter matches a changed row's value, and join queries reached through a join edge (the
 * changed row's partner on the other side matches that side's `col = constant`). Single-table queries then match the TxData's
 * deleted and inserted rows of their table; since a TxData is net this is exactly
 * diff(result before, result after). Join queries apply the eight delta fragments over both
 * sides with index lookups into the post-commit state (sub_eval.c) and report rows with bag
 * semantics, as SpacetimeDB: a returned row joined to k rows of the other side is inserted
 * (deleted) k times, and a row both added and retracted in one commit is not reported.
 *
 * What the server calls:
 *   subscribe:    inside a read transaction: sub_query_acquire_as (per query string), then
 *                 sub_query_eval_initial for the initial rows, before any other commit.
 *   per commit:   right after store_txn_commit returned td, before the next write transaction
 *                 begins: sub_registry_eval_commit(r, txn, td, sink) with txn a read
 *                 transaction opened after the commit (store_read_begin does not disturb the
 *                 TxData), or sub_registry_eval_tx(r, td, sink) which opens one itself when a
 *                 join query needs it (then the caller must not hold the store's lock). The
 *                 sink gets every changed row once per query (shared queries once for all
 *                 their subscribers): fan out by query.
 *   unsubscribe:  sub_query_release once per acquire.
 * Not thread-safe: one registry is driven by one thread (the database thread).
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

/* Who subscribes. */
typedef struct sub_auth {
    const u8 *caller_id; /* 32 bytes (Identity) or NULL: binds :sender */
    bool is_owner;       /* the database owner: private tables visible, no RLS */
    const char *const *rls_sql; /* the module's client visibility filters (moddef rls_sql) */
    u32 rls_count;
} sub_auth;

int sub_registry_create(sub_registry **out) LC_MUST_USE;
/* Frees every query still registered (references included). */
void sub_registry_destroy(sub_registry *r);
/* Number of distinct compiled queries. */
u32 sub_registry_count(const sub_registry *r);

/* Compiles (or finds and shares) the query `sql` inside txn (any transaction) and takes one
 * reference, as the owner. caller_id (32 bytes or NULL) binds :sender. Errors: the parser's
 * and the binder's (LC_ESYNTAX, LC_ENOTSUP for unindexed joins, LC_ENOTFOUND, LC_ETYPE, ...),
 * LC_ENOMEM. */
int sub_query_acquire(sub_registry *r, store_txn *txn, const char *sql, size_t len,
                      const u8 *caller_id, sub_query **out, lc_errbuf *eb) LC_MUST_USE;
/* The same for any caller (see Authorization above). */
int sub_query_acquire_as(sub_registry *r, store_txn *txn, const char *sql, size_t len,
                         const sub_auth *auth, sub_query **out, lc_errbuf *eb) LC_MUST_USE;
/* Drops one reference; the query is freed with the last one. */
void sub_query_release(sub_registry *r, sub_query *q);

u64 sub_query_hash(const sub_query *q);
/* The RETURNED table (the one whose rows the query reports). */
u32 sub_query_table_id(const sub_query *q);
/* Every table the query reads (1 or 2, FROM order; a self-join lists its table twice). */
u32 sub_query_table_ids(const sub_query *q, u32 out_ids[2]);
bool sub_query_is_join(const sub_query *q);
u32 sub_query_refcount(const sub_query *q);
/* The canonical SQL text (NUL-terminated) the query is keyed by. */
const char *sub_query_text(const sub_query *q);

/* Initial evaluation: every matching row now (index scans and index nested-loop join; a row
 * joined to k rows comes k times). */
int sub_query_eval_initial(sub_query *q, store_txn *txn, sub_row_fn fn, void *ctx) LC_MUST_USE;

/* Incremental evaluation of every query td may affect. txn: a read transaction on the
 * post-commit state (see "per commit" above). */
int sub_registry_eval_commit(sub_registry *r, store_txn *txn, const store_txdata *td,
                             const sub_delta_sink *sink) LC_MUST_USE;
/* The same, opening a read transaction itself if a join query needs one. */
int sub_registry_eval_tx(sub_registry *r, const store_txdata *td, const sub_delta_sink *sink)
    LC_MUST_USE;
/* The same for a single query (txn may be NULL as for sub_registry_eval_tx). */
int sub_query_eval_commit(sub_query *q, store_txn *txn, const store_txdata *td,
                          const sub_delta_sink *sink) LC_MUST_USE;
int sub_query_eval_tx(sub_query *q, const store_txdata *td, const sub_delta_sink *sink)
    LC_MUST_USE;
/* How many queries the pruning indexes select for td (tests, metrics). */
u32 sub_registry_candidate_count(sub_registry *r, const store_txdata *td);

#endif
