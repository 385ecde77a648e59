/*
 * server/dbadmin.h — the database administration routes of the HTTP API
 * (spec-client-protocol.md §3.3): describe, delete, schema, names, identity, sql, logs, list,
 * the publish ownership check / clear, and the scheduler pass. Everything but
 * dbadmin_job_new runs on the database worker thread (server/dbwork.h); each handler writes a
 * complete HTTP response into job->out.
 *
 * Authorization. The owner of a database is the identity that first published it (st_module
 * owner). Republish, delete, logs and SQL other than SELECT need the owner (403 otherwise);
 * a non-owner's SELECT may read public tables only (st_* system tables and private tables are
 * refused with 403). An anonymous publish gets a freshly minted identity (server.c).
 */
#ifndef LC_SERVER_DBADMIN_H
#define LC_SERVER_DBADMIN_H

#include "base/types.h"
#include "net/http.h"
#include "server/dbwork.h"
#include "server/routes.h"

/* Builds the job for a parsed database route (loop thread): PUBLISH, CALL_JSON or ADMIN,
 * with the body copied and the query options (clear, version, num_lines, follow) parsed.
 * NULL on OOM or for SUBSCRIBE / NONE. */
dbjob *dbadmin_job_new(const net_http_request *req, const server_db_route *rt);
/* Before a publish: refuses (403, false) a non-owner republish (host_db_publish_opts checks
 * it again and does the clear). */
bool dbadmin_publish_check(dbwork *w, dbjob *j);
/* Closes database `key` (its directory name), removes its directory and forgets its names
 * (DELETE, and a first publish that failed). */
int dbadmin_db_drop(dbwork *w, const char *key, lc_errbuf *eb) LC_MUST_USE;
/* Runs a DBJOB_ADMIN job. */
void dbadmin_run(dbwork *w, dbjob *j);
/* Runs the due scheduled reducers of every open database; returns the earliest next due
 * time (Unix µs) or INT64_MAX when nothing is scheduled. */
i64 dbadmin_run_due(dbwork *w);
/* Opens every database found in the data directory (worker start). */
void dbadmin_open_all(dbwork *w);

/* Follow mode of /logs: the loop asks for new lines every DBADMIN_FOLLOW_MS. */
#define DBADMIN_FOLLOW_MS 250

/* Inserts extra header lines right after the status line of a complete response in resp
 * (used for spacetime-identity / spacetime-identity-token on a minted identity). */
void dbadmin_add_headers(lc_buf *resp, const net_http_header *h, size_t n);

/* In dbadmin_sql.c / dbadmin_schema.c / dbadmin_logs.c. */
void dbadmin_sql(dbwork *w, dbjob *j, host_db *db, bool is_owner);
void dbadmin_schema(dbjob *j, host_db *db);
void dbadmin_logs(dbwork *w, dbjob *j, host_db *db);

#endif
