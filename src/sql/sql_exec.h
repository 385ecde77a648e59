/*
 * sql/sql_exec.h — SQL name/type resolution and execution over the in-memory store: the
 * contract between sql/ and the layers that answer HTTP /sql and one-off queries.
 *
 * Design:
 *   - sql_exec() parses one statement of the general dialect (sql_parse), resolves it against
 *     the store inside the right transaction (a read transaction for SELECT / SHOW, one write
 *     transaction for INSERT / UPDATE / DELETE / SET that is rolled back on any error) and
 *     streams the result to a caller sink: first the result columns (names and types), then
 *     each row as the BSATN encoding of the product of those columns. Rendering (SATS-JSON,
 *     psql text) is the caller's job (value.h has the renderers).
 *   - Literals are typed by context (sql_lit_encode, resolve.c); every resolution error says
 *     where it happened ("... at 1:15"), using SpacetimeDB's wording where it has one.
 *   - What is and is not supported is listed at the top of exec.c.
 */
#ifndef LC_SQL_SQL_EXEC_H
#define LC_SQL_SQL_EXEC_H

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"
#include "sql/sql.h"
#include "store/store.h"
#include "value/value.h"

typedef struct sql_result_col {
    const char *name; /* NUL-terminated; valid during the sink callbacks only */
    const lc_type *type;
} sql_result_col;

/* Callbacks; a non-zero return stops execution and is returned by sql_exec (a write statement
 * is then rolled back). Rows are borrowed for the duration of the call. */
typedef struct sql_sink {
    int (*on_columns)(void *ctx, const sql_result_col *cols, u32 count);
    int (*on_row)(void *ctx, const u8 *row, u32 len);
    void *ctx;
} sql_sink;

/* Zeroed options are the database owner's view (every table readable, no RLS, DML allowed). */
typedef struct sql_exec_opts {
    u64 row_limit;        /* 0: none; a SELECT producing more rows fails with LC_ELIMIT */
    const u8 *caller_id;  /* 32 bytes (Identity, little-endian u256) for :sender, or NULL */
    /* Commits a write statement's transaction instead of store_txn_commit (the host logs it
     * to the commit log and runs its commit hooks); NULL = store_txn_commit. On failure the
     * callee has already committed or aborted; the error is returned by sql_exec. */
    int (*commit)(void *user, store_txn *txn, lc_errbuf *eb);
    void *commit_user;
    /* The caller is NOT the database owner (a client): private tables do not exist for it
     * ("no such table: `t`. If the table exists, it may be marked private."), DML and SET
     * are refused (LC_EPERM), and the row-level-security rules below filter every table
     * they name. */
    bool restricted;
    /* The module's client visibility filters (host moddef rls_sql): `SELECT * FROM t WHERE
     * ...` over one table each, :sender = caller_id. A row of t is visible to a restricted
     * caller iff it satisfies at least one rule of t; tables without rules are unfiltered.
     * Ignored unless restricted. Rules with joins are refused (LC_ENOTSUP). */
    const char *const *rls_sql;
    u32 rls_count;
} sql_exec_opts;

typedef struct sql_exec_stats {
    u64 rows_inserted, rows_deleted, rows_updated;
} sql_exec_stats;

/* Parses and runs one statement. opts, sink, stats may be NULL (sink NULL: rows dropped).
 * Errors: the parser's, LC_ENOTFOUND (unknown table/column), LC_ETYPE (literal or operand
 * type), LC_ENOTSUP, LC_ERANGE (integer literal out of range), LC_ELIMIT (row limit),
 * LC_EUNIQUE, LC_ENOMEM; message in eb. */
int sql_exec(store *s, const char *sql, size_t len, const sql_exec_opts *opts,
             const sql_sink *sink, sql_exec_stats *stats, lc_errbuf *eb) LC_MUST_USE;

/* Runs an already parsed statement (the text is only used for error positions). */
int sql_exec_stmt(store *s, const sql_stmt *st, const char *sql, size_t len,
                  const sql_exec_opts *opts, const sql_sink *sink, sql_exec_stats *stats,
                  lc_errbuf *eb) LC_MUST_USE;

/* Appends the BSATN of literal `lit` typed as `t` to out (resolve.c). Errors LC_ETYPE /
 * LC_ERANGE / LC_ENOTSUP with SpacetimeDB's wording (no position; callers add it). */
int sql_lit_encode(const lc_type *t, const sql_lit *lit, lc_buf *out, lc_errbuf *eb)
    LC_MUST_USE;

/* False for a private table (or an unknown id): what a restricted caller may not see. The
 * server uses it to expand `SELECT * FROM *` for clients into the public tables only. */
bool sql_table_is_public(store_txn *txn, u32 table_id);

/* True when comparisons are allowed on values of t (bool, integers, floats, strings, bytes,
 * Identity, ConnectionId, Timestamp, TimeDuration, Uuid). */
bool sql_type_is_comparable(const lc_type *t);

/* ---- compiled subscription queries (for the subscription layer) ----
 * A compiled `SELECT * | t.* FROM t [WHERE ...]`, or (sql_filter_compile_opts with allow_join)
 * `SELECT t.* FROM a JOIN b ON a.x = b.y [WHERE ...]`, resolved with the same binder and
 * predicate evaluator as sql_exec (filter.c), row-level security included for restricted
 * callers. It owns its memory (the caller's AST, text and rules may be freed after compiling)
 * and a copy of the caller identity for :sender. It borrows the tables' row types from the
 * store: destroy it before a table is dropped. Not thread-safe (evaluation caches column
 * offsets and the current rows in the filter). Slots are the FROM positions (0, 1). */
typedef struct sql_filter sql_filter;

/* Binds sel inside txn (any transaction). sql/len are used for error positions only. Joins
 * and any projection other than * / t.* are refused with LC_ENOTSUP. Errors as sql_exec. */
int sql_filter_compile(store_txn *txn, const sql_select *sel, const char *sql, size_t len,
                       const u8 *caller_id, sql_filter **out, lc_errbuf *eb) LC_MUST_USE;
/* The same with the caller's options (caller_id, restricted, rls_sql; row_limit ignored) and,
 * when allow_join, two-table inner joins whose join columns are both indexed (else LC_ENOTSUP
 * "Subscriptions require indexes on join columns"). */
int sql_filter_compile_opts(store_txn *txn, const sql_select *sel, const char *sql, size_t len,
                            const sql_exec_opts *opts, bool allow_join, sql_filter **out,
                            lc_errbuf *eb) LC_MUST_USE;
void sql_filter_destroy(sql_filter *f);
/* The returned table (the one whose rows the query selects). */
u32 sql_filter_table_id(const sql_filter *f);
u32 sql_filter_table_count(const sql_filter *f); /* 1 or 2 */
u32 sql_filter_table_id_at(const sql_filter *f, u32 slot);
u32 sql_filter_return_slot(const sql_filter *f);
const lc_type *sql_filter_row_type(const sql_filter *f, u32 slot);
/* True when the result depends on the caller: :sender in the query or in an applied rule. */
bool sql_filter_uses_sender(const sql_filter *f);
/* True when at least one row-level-security rule applied to a table of the query. */
bool sql_filter_has_rls(const sql_filter *f);
/* Joins: the join column of each slot and the single-column index on it. */
void sql_filter_join(const sql_filter *f, u16 out_cols[2], u32 out_index[2]);
/* Single table: true when the BSATN row satisfies the WHERE clause (and RLS). */
bool sql_filter_match(sql_filter *f, const u8 *row, u32 len);
/* Join: true when the pair (row of slot 0, row of slot 1) satisfies ON, WHERE and RLS. */
bool sql_filter_match_pair(sql_filter *f, const u8 *row0, const u8 *row1);
/* Column `col` of `row` (a row of slot's table): pointer into row and its size. */
const u8 *sql_filter_col(sql_filter *f, u32 slot, const u8 *row, u16 col, u32 *out_len);

/* A search argument: a top-level conjunct `col = constant` (literal or :sender) on a slot. */
typedef struct sql_filter_eq {
    u16 col;
    const u8 *value; /* BSATN, owned by the filter */
    u32 len;
} sql_filter_eq;
/* Writes up to cap search arguments of slot (float columns excluded: their bytes are not
 * canonical) and returns how many there are. */
u32 sql_filter_eq_args(const sql_filter *f, u32 slot, sql_filter_eq *out, u32 cap);

/* Full evaluation inside txn (single table: the planner's index scans; join: the outer side is
 * a slot with an indexed `col = constant`, else the smaller table, and the other side is
 * probed through its join index): fn gets
 * the returned table's row once per match, so a row joined to k rows comes k times. A
 * non-zero return stops and is returned. */
typedef int (*sql_filter_row_fn)(void *ctx, const u8 *row, u32 len);
int sql_filter_eval(sql_filter *f, store_txn *txn, sql_filter_row_fn fn, void *ctx) LC_MUST_USE;

#endif
