/*
 * host/db.h — a database: store + commit log + module + scheduler + module log. This is the
 * API the server uses; it is single-threaded (call everything from the database thread).
 *
 *   host_db_open        open/create a directory (recovery through clog/), or in memory (NULL);
 *                       a stored module (st_module) is loaded again, schedules re-armed and
 *                       clients left in st_client disconnected (their disconnect reducer run)
 *   host_db_publish     first publish: schema + st_module + `init` in ONE transaction;
 *                       (host_db_publish_opts: clear = publish -c; owner check on republish)
 *                       republish: host/migrate plans the change; an accepted plan is
 *                       applied with the new st_module row in one transaction and the new
 *                       module replaces the old; a refused one leaves everything as it was
 *   host_db_call        a reducer by name with BSATN (or JSON: host_db_call_json) args, in its
 *                       own transaction; committed transactions are logged with their inputs
 *   host_db_call_procedure  a procedure: its own transactions, its return value
 *   host_db_connect / host_db_disconnect   client lifecycle with st_client bookkeeping
 *                       (host_db_connect_jwt also stores the JWT payload for get_jwt)
 *   host_db_next_due / host_db_run_due     scheduled reducers for the server's event loop
 *   host_db_modlog      the module log (read_last / follow cursor, see modlog.h)
 *   host_db_close
 * Time comes from the clock in the options (tests inject one), in Unix microseconds.
 */
#ifndef LC_HOST_DB_H
#define LC_HOST_DB_H

#include "base/error.h"
#include "clog/clog.h"
#include "host/modlog.h"
#include "host/module.h"
#include "store/store.h"

typedef i64 (*host_clock_fn)(void *user);

typedef struct host_db_opts {
    u64 fuel_budget;         /* per reducer call; 0 = HOST_FUEL_DEFAULT */
    host_clock_fn clock;     /* NULL = wall clock */
    void *clock_user;
    u64 modlog_file_max;     /* 0 = default */
    clog_options clog;       /* zeroed = defaults */
    u8 db_identity[32];      /* used when the database has no st_module row yet */
    bool http_allow_private; /* procedures' outbound HTTP may reach loopback / private
                              * addresses (tests, development); the reference refuses them */
} host_db_opts;

typedef struct host_db host_db;

int host_db_open(const char *dir, const host_db_opts *opts, host_db **out, lc_errbuf *eb)
    LC_MUST_USE;
/* Flushes the log and frees everything. Returns the log's sticky error (0 in memory). */
int host_db_close(host_db *db);

/* Publishes a module. On a reducer failure of `init` returns LC_EINVALID with *out filled
 * and nothing changed. out may be NULL. */
int host_db_publish(host_db *db, const u8 *wasm, size_t len, const u8 owner[32],
                    host_outcome *out, lc_errbuf *eb) LC_MUST_USE;

/* Publish options (spec-engine-semantics §5.4). */
typedef struct host_publish_opts {
    bool clear; /* publish -c / --delete-data: drop every table of the running module with its
                   rows and start from the new module (schema + st_module + `init`), in one
                   logged transaction; no migration plan is made */
} host_publish_opts;

/* host_db_publish with options (opts may be NULL). Republishing (with or without clear) by an
 * identity other than st_module's owner is refused with LC_EPERM and changes nothing. */
int host_db_publish_opts(host_db *db, const u8 *wasm, size_t len, const u8 owner[32],
                         const host_publish_opts *opts, host_outcome *out, lc_errbuf *eb)
    LC_MUST_USE;
/* After a successful publish: true when the server must disconnect every client (the plan
 * had DisconnectAllUsers: a table removed or rebuilt with added columns, RLS changed; or
 * publish -c). Table ids of rebuilt tables change on any rebuild (also for ChangeColumns,
 * which does not break clients): callers caching table ids re-resolve them by name when
 * host_db_publish_count changes. */
bool host_db_last_publish_breaks_clients(const host_db *db);
u64 host_db_publish_count(const host_db *db);
/* The owner identity of the published module (st_module.owner_identity); LC_ENOTFOUND before
 * the first publish. */
int host_db_owner(const host_db *db, u8 out[32]) LC_MUST_USE;

/* Calls reducer `name` (canonical name or alias). Returns 0 when the module ran (see
 * out->kind), LC_ENOTFOUND (no module / no reducer), LC_EDECODE (bad args), LC_EPERM (a
 * lifecycle reducer called by name, or a private reducer — FunctionVisibility::Private, which
 * includes scheduled reducers — called by anyone but the owner: "reducer X is private"; the
 * reference answers NoSuchReducer there, so the server may map it to 404), or a log error. */
int host_db_call(host_db *db, const char *name, const u8 *args, size_t len,
                 const host_caller *caller, host_outcome *out, lc_errbuf *eb) LC_MUST_USE;
/* Same with SATS-JSON arguments (an array or object of the parameters). */
int host_db_call_json(host_db *db, const char *name, const char *json, size_t len,
                      const host_caller *caller, host_outcome *out, lc_errbuf *eb) LC_MUST_USE;

/* Calls procedure `name` (spec-module-abi §4.8): it runs with no transaction and commits its
 * own (procedure_start_mut_tx ... commit), each logged like a reducer's. On out->kind ==
 * COMMITTED the BSATN of its return value is appended to out_result (may be NULL). A private
 * procedure is callable by the owner only (LC_EPERM). A failure, or a transaction left open
 * (aborted), is written to the module log. LC_ENOTFOUND / LC_EDECODE as host_db_call.
 * procedure_sleep_until and procedure_http_request block the database thread, each bounded
 * (HOST_SLEEP_MAX_MS, host/http_out.h). */
int host_db_call_procedure(host_db *db, const char *name, const u8 *args, size_t len,
                           const host_caller *caller, lc_buf *out_result, host_outcome *out,
                           lc_errbuf *eb) LC_MUST_USE;

/* Same with SATS-JSON arguments. The result stays BSATN: its type is
 * host_module_def(host_db_module(db))->procedures[i].return_type (lc_bsatn_to_json for HTTP). */
int host_db_call_procedure_json(host_db *db, const char *name, const char *json, size_t len,
                                const host_caller *caller, lc_buf *out_result,
                                host_outcome *out, lc_errbuf *eb) LC_MUST_USE;

/* Views (spec-module-abi §4.9). The index of the view called `name` (canonical name), or -1. */
i32 host_db_view_id(host_db *db, const char *name, size_t len);
/* What one run of a view produced: its rows (a BSATN array of host_view_row_type rows) and
 * the tables it read (read_all: more than HOST_VIEW_READS_MAX). */
typedef struct host_view_result {
    lc_buf rows;
    lc_buf sql;  /* a query-builder view's SQL (then rows is empty and the caller runs it) */
    bool read_all;
    u32 nread;
    u32 read_tables[16];
} host_view_result;
/* Runs view `view_idx` in a read transaction of its own, as `sender` (ignored for anonymous
 * views). out->kind COMMITTED or a failure (user error, trap, bad value) with its message;
 * returns LC_E* only when it could not run. res->rows and res->sql are appended to (init
 * them first). */
int host_db_call_view(host_db *db, u32 view_idx, const u8 sender[32], host_view_result *res,
                      host_outcome *out, lc_errbuf *eb) LC_MUST_USE;

/* client_connected: st_client insert + OnConnect in one transaction. out->kind != COMMITTED
 * means the connection must be rejected. */
int host_db_connect(host_db *db, const u8 identity[32], const u8 connection_id[16],
                    host_outcome *out, lc_errbuf *eb) LC_MUST_USE;
/* Same with the connection's JWT payload (decoded claims, JSON; jwt may be NULL): stored in
 * st_connection_credentials(connection_id, jwt_payload) in the connect transaction (removed
 * on disconnect), where the get_jwt import finds it. */
int host_db_connect_jwt(host_db *db, const u8 identity[32], const u8 connection_id[16],
                        const u8 *jwt, u32 jwt_len, host_outcome *out, lc_errbuf *eb)
    LC_MUST_USE;
int host_db_disconnect(host_db *db, const u8 identity[32], const u8 connection_id[16],
                       host_outcome *out, lc_errbuf *eb) LC_MUST_USE;

/* Earliest scheduled call (Unix micros), INT64_MAX when none. */
i64 host_db_next_due(const host_db *db);
/* Runs every scheduled call due at the clock's now; *out_ran (may be NULL) counts them. */
int host_db_run_due(host_db *db, u32 *out_ran, lc_errbuf *eb) LC_MUST_USE;

store *host_db_store(host_db *db);
/* Commits a write transaction begun on host_db_store(db) outside a reducer (HTTP SQL DML):
 * timers re-armed, logged without reducer inputs, like any other commit. Matches the
 * sql_exec_opts.commit signature (user = the host_db). */
int host_db_commit_external(void *db, store_txn *txn, lc_errbuf *eb) LC_MUST_USE;

/* Called after every committed transaction (reducers, lifecycle, scheduled, publish), once it
 * is logged, with its TxData (valid during the call only). The subscription layer evaluates
 * its queries here. One hook per database; NULL clears it. */
typedef void (*host_commit_fn)(void *ctx, const store_txdata *td);
void host_db_set_commit_hook(host_db *db, host_commit_fn fn, void *ctx);
/* Transactions with offsets below this are durable (fsynced); UINT64_MAX in memory. */
u64 host_db_durable_end(const host_db *db);
host_module *host_db_module(host_db *db); /* NULL before the first publish */
host_modlog *host_db_modlog(host_db *db);

#endif
