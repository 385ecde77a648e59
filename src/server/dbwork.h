/*
 * server/dbwork.h — the database side of the server: a registry of databases by name and the
 * one worker thread that owns them (host_db is single-threaded, and database work must never
 * run on the libuv loop thread).
 *
 * The loop thread fills a dbjob and submits it (mutex-protected FIFO); the worker runs it,
 * writes the reply into job->out and pushes the job onto a done list, then wakes the loop
 * with a uv_async_t; the loop's callback takes every finished job and hands each to the
 * server's `done` function (on the loop thread). Jobs run strictly in submission order.
 * The registry maps a name to a host_db in <data_dir>/<name> (in memory when data_dir is
 * NULL); a database is created by its first publish and reopened on demand afterwards.
 */
#ifndef LC_SERVER_DBWORK_H
#define LC_SERVER_DBWORK_H

#include <uv.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"
#include "clog/clog.h"

typedef struct host_db host_db;

/* A database name: [A-Za-z0-9_-], 1..SERVER_DB_NAME_MAX bytes (it becomes a directory). */
#define SERVER_DB_NAME_MAX 64
/* Databases one server keeps open (each holds a module, a store and a log). */
#define SERVER_DB_MAX 256

typedef enum dbjob_kind {
    DBJOB_PUBLISH = 0, /* in = wasm; out = full HTTP response */
    DBJOB_CALL_JSON,   /* fn = reducer, in = JSON args; out = full HTTP response */
    DBJOB_CALL_BSATN,  /* fn = reducer, in = BSATN args; out = ReducerResult message */
    DBJOB_CONNECT,     /* ok = the connection is accepted */
    DBJOB_DISCONNECT,  /* also drops the connection's subscriptions (owner = the conn) */
    DBJOB_ADMIN,       /* HTTP routes of server/dbadmin.h: route, arg, flag; out = response */
    DBJOB_WS,          /* in = one Subscribe / Unsubscribe / OneOffQuery message (subs.h) */
    DBJOB_TICK,        /* made by the worker: messages of commits outside jobs (no owner) */
    DBJOB_CALL_PROC,   /* fn = procedure, in = BSATN args; out = ProcedureResult message */
} dbjob_kind;

typedef struct dbdurable dbdurable;
struct subs_fan;

typedef struct dbjob dbjob;
struct dbjob {
    dbjob *next;
    u8 kind;
    bool keep_alive;               /* HTTP: the response keeps the connection */
    bool ok;                       /* result: CONNECT accepted, CALL committed */
    char db[SERVER_DB_NAME_MAX + 1];
    char *fn;                      /* owned */
    u8 *in;                        /* owned */
    size_t in_len;
    u8 identity[32];               /* caller, wire (little-endian) bytes */
    u8 connection_id[16];
    u32 request_id;
    void *owner;                   /* the loop side's connection; NULL when it went away */
    lc_buf out;                    /* reply */
    u8 route;                      /* DBJOB_ADMIN: server_db_route_kind (server/routes.h) */
    bool flag;                     /* PUBLISH: clear=true; ADMIN logs: follow=true */
    bool breaks_clients;           /* PUBLISH result: the loop closes the database's WebSockets */
    u64 arg;                       /* ADMIN: schema version, num_lines, follow file offset */
    char *minted;                  /* owned: token minted for an anonymous caller; the loop
                                    * adds it to the response headers (spec §3.1) */
    u64 tx_end;                    /* confirmed reads: the reply waits for durable >= tx_end */
    struct subs_fan *fan;          /* owned: messages for connections, sent before the reply */
    dbdurable *durable;            /* CONNECT: the database's durable end (dbdurable_end) */
};

/* Called for each finished job, then with job NULL at the end of each drained batch (the
 * loop flushes coalesced output there). */
typedef void (*dbwork_done_fn)(dbjob *job, void *user);
/* Called on the loop when some database's log made more transactions durable. */
typedef void (*dbwork_durable_fn)(void *user);
typedef struct dbwork dbwork;

bool dbwork_name_valid(const char *s, size_t n);
/* Allocates a zeroed job (out initialised); NULL on OOM. */
dbjob *dbjob_new(u8 kind);
void dbjob_free(dbjob *j);

/* Initialises the async handle on `loop` (call before the loop runs); the worker starts with
 * dbwork_run, after the dbwork_set_* calls (it opens every database of the data dir first). */
int dbwork_start(const char *data_dir, uv_loop_t *loop, dbwork_done_fn done, void *user,
                 dbwork **out, lc_errbuf *eb) LC_MUST_USE;
/* Offsets below the returned value are durable; UINT64_MAX for NULL (in-memory database or
 * no database). Any thread (an atomic, updated by the log's durability thread). The cell
 * lives until dbwork_close. */
u64 dbdurable_end(const dbdurable *d);
/* Starts the worker thread. */
int dbwork_run(dbwork *w, lc_errbuf *eb) LC_MUST_USE;
/* Log options for databases opened from now on (copied; on_durable is replaced). */
void dbwork_set_clog(dbwork *w, const clog_options *o);
/* Whether databases opened from now on let procedures reach private addresses. */
void dbwork_set_http_private(dbwork *w, bool allow);
/* Sets the durable-progress callback (before the loop runs). */
void dbwork_on_durable(dbwork *w, dbwork_durable_fn fn);
/* Queues a job (any thread). Returns false (job not taken) after dbwork_stop_worker. */
bool dbwork_submit(dbwork *w, dbjob *j);
/* Stops and joins the worker and closes every database; jobs not run yet are moved to the
 * done list with ok = false and an empty reply. Any thread but the loop's. */
void dbwork_stop_worker(dbwork *w);
/* On the loop thread after dbwork_stop_worker: hands the done jobs to `done`, closes the
 * async handle and frees w. */
void dbwork_close(dbwork *w);

/* ---- for server/dbadmin.c, on the worker thread only ---- */
/* registry lookup: see registry_get in dbwork.c (*out NULL: no such database). */
int dbwork_db_get(dbwork *w, const char *name, bool create, host_db **out, lc_errbuf *eb)
    LC_MUST_USE;
/* Closes the database if open and forgets it (the caller removes its directory). */
void dbwork_db_forget(dbwork *w, const char *name);
/* NULL when in memory. */
const char *dbwork_data_dir(const dbwork *w);
/* Open databases, by index (0..count-1). */
u32 dbwork_db_count(const dbwork *w);
host_db *dbwork_db_at(const dbwork *w, u32 i, const char **out_name);
/* The database identity for a key (big-endian bytes): the key itself when it is 64 hex
 * characters, else BLAKE3("lightcone database|" + key). */
void dbwork_db_identity(const char *name, u8 out[32]);
/* Opens the database in <data_dir>/<key> by its key, whatever its names (*out NULL: none). */
int dbwork_db_open_key(dbwork *w, const char *key, host_db **out, lc_errbuf *eb) LC_MUST_USE;
/* An open database's key (its directory under the data dir) and, if idhex is not NULL, its
 * identity in hex; NULL if db is not registered. */
const char *dbwork_db_key(dbwork *w, const host_db *db, char idhex[65]);
/* The names map (server/dbnames.h); call dbwork_names_changed after changing it. */
struct dbnames *dbwork_names(dbwork *w);
void dbwork_names_changed(dbwork *w);

#endif
