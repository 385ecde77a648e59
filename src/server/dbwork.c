/*
 * server/dbwork.c — database registry + worker thread (server/dbwork.h).
 *
 * The queue and the done list are singly linked FIFOs under one mutex; the worker sleeps on
 * a condition variable. The registry is touched only by the worker, so it needs no lock.
 * Replies are built on the worker: HTTP jobs get a complete HTTP response (a pure encoder),
 * WebSocket calls get the ReducerResult message body (the loop adds the envelope/frame).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/blake3.h"
#include "base/clock.h"
#include "base/log.h"
#include "host/db.h"
#include "net/http.h"
#include "net/identity.h"
#include "net/proto.h"
#include "server/dbadmin.h"
#include "server/dbnames.h"
#include "server/dbwork.h"
#include "server/subs.h"

typedef struct dbentry {
    char name[SERVER_DB_NAME_MAX + 1];
    host_db *db;
    subs *subs;     /* its live subscriptions */
    dbdurable *dur; /* its durable end, read by the loop */
    char idhex[NET_IDENTITY_HEX_LEN + 1]; /* its database identity: the path may name it so */
    bool hidden;    /* its key is no name any more (renamed: server/dbnames.h) */
} dbentry;

/* One per database ever opened; freed only by dbwork_close, so the loop may keep pointers. */
struct dbdurable {
    dbdurable *next;
    dbwork *w;
    _Atomic u64 end;
};

struct dbwork {
    char *data_dir;
    uv_async_t async;
    dbwork_done_fn done;
    void *user;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    dbjob *q_head, *q_tail;
    dbjob *d_head, *d_tail;
    bool stopping, stopped;
    dbentry dbs[SERVER_DB_MAX];
    dbnames *names;           /* keys <-> names (server/dbnames.h) */
    bool http_private;        /* host_db_opts.http_allow_private */
    u32 ndbs;
    dbjob *cur;               /* the job being run (worker thread; read by subs' commit hook) */
    uv_async_t dur_async;     /* a log's durable end moved */
    dbwork_durable_fn durable_fn;
    dbdurable *durs;          /* every cell (worker adds under mu; freed by dbwork_close) */
    clog_options clog;        /* for databases opened from now on */
};

bool dbwork_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > SERVER_DB_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

dbjob *dbjob_new(u8 kind)
{
    dbjob *j = lc_calloc(1, sizeof *j);
    if (!j) return NULL;
    j->kind = kind;
    lc_buf_init(&j->out);
    return j;
}

void dbjob_free(dbjob *j)
{
    if (!j) return;
    lc_free(j->fn);
    lc_free(j->in);
    lc_free(j->minted);
    lc_buf_deinit(&j->out);
    subs_fan_free(j->fan);
    lc_free(j);
}

/* The database identity: the key itself when it is one (a database published without a
 * name), else BLAKE3("lightcone database|" + key) — stable per key. */
static void db_identity_of(const char *name, u8 out[32])
{
    net_identity nid;
    if (dbnames_is_hex_key(name) && net_identity_from_hex(name, 64, &nid) == 0) {
        memcpy(out, nid.be, 32);
        return;
    }
    lc_blake3 h;
    lc_blake3_init(&h);
    lc_blake3_update(&h, "lightcone database|", 19);
    lc_blake3_update(&h, name, strlen(name));
    lc_blake3_finalize(&h, out, 32);
}

/* The log's on_durable callback (durability thread): raise the cell, wake the loop. */
static void on_log_durable(void *ctx, u64 end)
{
    dbdurable *d = ctx;
    u64 cur = atomic_load(&d->end);
    while (cur < end && !atomic_compare_exchange_weak(&d->end, &cur, end)) {
    }
    uv_async_send(&d->w->dur_async);
}

static dbdurable *durable_new(dbwork *w)
{
    dbdurable *d = lc_calloc(1, sizeof *d);
    if (!d) return NULL;
    d->w = w;
    pthread_mutex_lock(&w->mu);
    d->next = w->durs;
    w->durs = d;
    pthread_mutex_unlock(&w->mu);
    return d;
}

u64 dbdurable_end(const dbdurable *d) { return d ? atomic_load(&d->end) : UINT64_MAX; }

void dbwork_on_durable(dbwork *w, dbwork_durable_fn fn) { w->durable_fn = fn; }

void dbwork_set_http_private(dbwork *w, bool allow) { w->http_private = allow; }

void dbwork_set_clog(dbwork *w, const clog_options *o)
{
    pthread_mutex_lock(&w->mu); /* the worker reads it when it opens a database */
    if (o) w->clog = *o;
    else memset(&w->clog, 0, sizeof w->clog);
    pthread_mutex_unlock(&w->mu);
}

static dbentry *registry_entry(dbwork *w, const host_db *db)
{
    for (u32 i = 0; i < w->ndbs; i++)
        if (w->dbs[i].db == db) return &w->dbs[i];
    return NULL;
}

/* Opens the database in <data_dir>/<key> (creating it when `create`). */
static int registry_open(dbwork *w, const char *name, bool create, host_db **out, lc_errbuf *eb)
{
    for (u32 i = 0; i < w->ndbs; i++)
        if (strcmp(w->dbs[i].name, name) == 0) { *out = w->dbs[i].db; return 0; }
    char path[4096];
    if (w->data_dir) {
        snprintf(path, sizeof path, "%s/%s", w->data_dir, name);
        struct stat st;
        if (!create && stat(path, &st) != 0) return 0;
    } else if (!create) {
        return 0;
    }
    if (w->ndbs == SERVER_DB_MAX) return lc_errf(eb, LC_ELIMIT, "too many databases");
    dbdurable *dur = durable_new(w);
    if (!dur) return lc_errf(eb, LC_ENOMEM, "out of memory");
    host_db_opts o;
    memset(&o, 0, sizeof o);
    db_identity_of(name, o.db_identity);
    o.clog = w->clog;
    o.http_allow_private = w->http_private;
    o.clog.on_durable = on_log_durable;
    o.clog.on_durable_ctx = dur;
    host_db *db = NULL;
    int rc = host_db_open(w->data_dir ? path : NULL, &o, &db, eb);
    if (rc) return rc;
    subs *sb = NULL;
    if (subs_create(db, &w->cur, &sb)) {
        (void)host_db_close(db);
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    }
    host_db_set_commit_hook(db, subs_on_commit, sb);
    on_log_durable(dur, host_db_durable_end(db));
    dbentry *e = &w->dbs[w->ndbs++];
    snprintf(e->name, sizeof e->name, "%s", name);
    net_identity nid;
    memcpy(nid.be, o.db_identity, 32);
    net_identity_to_hex(&nid, e->idhex);
    e->db = db;
    e->subs = sb;
    e->dur = dur;
    e->hidden = dbnames_hidden(w->names, name);
    *out = db;
    LC_LOG_I("server", "database %s opened", name);
    return 0;
}

/* A fresh database key: the hex of a new identity (as the reference allocates one). */
static int fresh_key(char out[NET_IDENTITY_HEX_LEN + 1], lc_errbuf *eb)
{
    u128 r;
    if (net_connid_generate(&r)) return lc_errf(eb, LC_EIO, "no randomness");
    char sub[NET_CONNID_HEX_LEN + 1];
    net_connid_to_hex(r, sub);
    net_identity id;
    net_identity_from_claims("lightcone", 9, sub, strlen(sub), &id);
    net_identity_to_hex(&id, out);
    return 0;
}

/* After the names changed: which keys stopped being names. */
static void registry_names_changed(dbwork *w)
{
    for (u32 i = 0; i < w->ndbs; i++) w->dbs[i].hidden = dbnames_hidden(w->names, w->dbs[i].name);
}

/* Finds the database `name` names: a database key (unless renamed away), a name given by
 * POST/PUT names (server/dbnames.h), or a database identity in hex (names win). Opens it when
 * its directory exists, or creates it when `create`: under `name` itself, or under a fresh
 * identity key carrying `name` when that directory belongs to a renamed database.
 * *out NULL: not found. */
static int registry_get(dbwork *w, const char *name, bool create, host_db **out, lc_errbuf *eb)
{
    *out = NULL;
    if (!name[0]) return 0;
    bool hex = strlen(name) == NET_IDENTITY_HEX_LEN;
    for (u32 i = 0; hex && i < w->ndbs; i++) { /* WebSocket jobs name the canonical identity */
        if (memcmp(w->dbs[i].idhex, name, NET_IDENTITY_HEX_LEN) == 0) {
            *out = w->dbs[i].db;
            return 0;
        }
    }
    for (u32 i = 0; i < w->ndbs; i++) {
        const dbentry *e = &w->dbs[i];
        if ((!e->hidden && strcmp(e->name, name) == 0) || (hex && strcasecmp(e->idhex, name) == 0)) {
            *out = e->db;
            return 0;
        }
    }
    const char *key = dbnames_lookup(w->names, name);
    if (key) return registry_open(w, key, false, out, eb);
    if (!dbnames_hidden(w->names, name)) return registry_open(w, name, create, out, eb);
    if (!create) return 0;
    char fresh[NET_IDENTITY_HEX_LEN + 1];
    int rc = fresh_key(fresh, eb);
    if (!rc) rc = registry_open(w, fresh, true, out, eb);
    if (!rc) rc = dbnames_add(w->names, fresh, name, eb);
    registry_names_changed(w);
    return rc;
}

static void http_text(dbjob *j, int status, const char *msg)
{
    net_http_write_response(&j->out, status, "text/plain; charset=utf-8", msg, strlen(msg),
                            j->keep_alive, NULL, 0);
}

static void job_publish(dbwork *w, dbjob *j)
{
    lc_errbuf eb;
    host_db *db = NULL;
    char asked[SERVER_DB_NAME_MAX + 1]; /* the name published under ("" for POST /v1/database) */
    snprintf(asked, sizeof asked, "%s", j->db);
    int rc = asked[0] ? 0 : fresh_key(j->db, &eb);
    if (!rc) rc = registry_get(w, j->db, false, &db, &eb);
    bool existed = db && host_db_module(db) != NULL;
    if (!rc && !db) rc = registry_get(w, j->db, true, &db, &eb);
    if (rc) { http_text(j, 500, eb.msg); return; }
    dbentry *e = registry_entry(w, db);
    LC_ASSERT(e != NULL);
    snprintf(j->db, sizeof j->db, "%s", e->idhex); /* the loop matches connections by it */
    /* Before the migration commits: compiled queries borrow row types it may free. */
    if (existed) subs_detach(e->subs);
    host_outcome o;
    memset(&o, 0, sizeof o);
    host_publish_opts po = {.clear = j->flag}; /* ?clear=true (server/dbadmin.c) */
    rc = host_db_publish_opts(db, j->in, j->in_len, j->identity, &po, &o, &eb);
    if (existed && rc == 0 && host_db_last_publish_breaks_clients(db)) {
        subs_reset(e->subs, "the module was updated incompatibly; reconnect");
        j->breaks_clients = true;
    } else if (existed) {
        subs_reattach(e->subs);
    }
    if (rc) {
        char msg[1200];
        snprintf(msg, sizeof msg, "Database update rejected: %s", rc == LC_EINVALID && o.message_len
                 ? o.message : eb.msg);
        if (!existed) { /* a refused first publish leaves no directory, no name, no slot */
            char key[SERVER_DB_NAME_MAX + 1];
            lc_errbuf eb2;
            snprintf(key, sizeof key, "%s", e->name);
            if (dbadmin_db_drop(w, key, &eb2))
                LC_LOG_W("server", "refused publish of %s: %s", key, eb2.msg);
        }
        http_text(j, rc == LC_ENOMEM || rc == LC_EIO ? 500 : rc == LC_EPERM ? 403 : 400, msg);
        return;
    }
    char domain[SERVER_DB_NAME_MAX + 3] = "null";
    if (asked[0]) snprintf(domain, sizeof domain, "\"%s\"", asked);
    char body[512];
    int n = snprintf(body, sizeof body,
                     "{\"Success\":{\"domain\":%s,\"database_identity\":\"%s\",\"op\":\"%s\"}}",
                     domain, e->idhex, existed ? "updated" : "created");
    net_http_write_response(&j->out, 200, "application/json", body, (size_t)n, j->keep_alive,
                            NULL, 0);
    j->ok = true;
}

static void caller_of(const dbjob *j, host_caller *c)
{
    memset(c, 0, sizeof *c); /* no JWT payload: get_jwt reads st_connection_credentials */
    memcpy(c->identity, j->identity, 32);
    memcpy(c->connection_id, j->connection_id, 16);
    c->timestamp_micros = lc_now_micros();
}

/* HTTP status of a refused call (host_db_call's error). LC_EPERM is a lifecycle reducer
 * called by name (400) or a private reducer called by someone else than the owner, which
 * the reference reports as "no such reducer" (404) so private reducers stay invisible; eb's
 * message is rewritten to say so. */
static int call_refusal(host_db *db, const char *name, int rc, lc_errbuf *eb)
{
    if (rc == LC_ENOTFOUND) return 404;
    if (rc == LC_ENOMEM || rc == LC_EIO) return 500;
    if (rc != LC_EPERM) return 400; /* bad args */
    const host_moddef *def = host_module_def(host_db_module(db));
    i32 id = host_moddef_reducer_id(def, name, strlen(name));
    if (id >= 0 && def->reducers[id].lifecycle != HOST_LIFECYCLE_NONE) return 400;
    lc_errf(eb, LC_ENOTFOUND, "no such reducer: %s", name);
    return 404;
}

/* The procedure called `name` (POST .../call/:name calls a reducer or a procedure), or NULL. */
static const host_procedure_def *procedure_of(host_db *db, const char *name)
{
    host_module *m = host_db_module(db);
    const host_moddef *def = m ? host_module_def(m) : NULL;
    for (u32 i = 0; def && i < def->procedure_count; i++)
        if (strcmp(def->procedures[i].name, name) == 0) return &def->procedures[i];
    return NULL;
}

/* 200 with the procedure's return value as SATS-JSON. */
static void reply_procedure_result(dbjob *j, const host_procedure_def *p, const lc_buf *res)
{
    lc_buf json;
    lc_buf_init(&json);
    lc_rd r;
    lc_rd_init(&r, res->data, res->len);
    if (lc_bsatn_to_json(p->return_type, &r, &json) || json.err || lc_rd_left(&r)) {
        http_text(j, 500, "the procedure returned a value that does not match its type");
    } else {
        net_http_write_response(&j->out, 200, "application/json", json.data, json.len,
                                j->keep_alive, NULL, 0);
        j->ok = true;
    }
    lc_buf_deinit(&json);
}

/* An HTTP call runs inside a connection of its own, as the reference does: client_connected
 * (a refusal answers 403 and runs nothing), the reducer, then client_disconnected whatever
 * the reducer did. The connection id is fresh per request. */
static void job_call_json(dbwork *w, dbjob *j)
{
    lc_errbuf eb;
    host_db *db = NULL;
    if (registry_get(w, j->db, false, &db, &eb) || !db) {
        http_text(j, 404, "no such database");
        return;
    }
    u128 cid = 0;
    if (net_connid_generate(&cid)) cid = 1;
    memcpy(j->connection_id, &cid, 16);
    host_outcome o;
    memset(&o, 0, sizeof o);
    int rc = host_db_connect(db, j->identity, j->connection_id, &o, &eb);
    if (rc || o.kind != HOST_OUTCOME_COMMITTED) {
        http_text(j, rc == LC_ENOTFOUND ? 404 : rc == LC_ENOMEM || rc == LC_EIO ? 500 : 403,
                  rc ? eb.msg : o.message); /* ENOTFOUND: nothing published yet */
        return;
    }
    host_caller c;
    caller_of(j, &c);
    memset(&o, 0, sizeof o);
    const host_procedure_def *proc = procedure_of(db, j->fn);
    lc_buf res;
    lc_buf_init(&res);
    rc = proc ? host_db_call_procedure_json(db, j->fn, (const char *)j->in, j->in_len, &c, &res,
                                            &o, &eb)
              : host_db_call_json(db, j->fn, (const char *)j->in, j->in_len, &c, &o, &eb);
    if (rc) http_text(j, call_refusal(db, j->fn, rc, &eb), eb.msg);
    else if (o.kind == HOST_OUTCOME_COMMITTED && proc) {
        reply_procedure_result(j, proc, &res);
    } else if (o.kind == HOST_OUTCOME_COMMITTED) {
        net_http_write_response(&j->out, 200, NULL, NULL, 0, j->keep_alive, NULL, 0);
        j->ok = true;
    } else if (o.kind == HOST_OUTCOME_OUT_OF_ENERGY) {
        http_text(j, 402, "Module energy budget exhausted.");
    } else {
        http_text(j, 530, o.message);
    }
    lc_buf_deinit(&res);
    host_outcome od;
    memset(&od, 0, sizeof od);
    if (host_db_disconnect(db, j->identity, j->connection_id, &od, &eb))
        LC_LOG_W("server", "HTTP call on %s: client_disconnected failed: %s", j->db, eb.msg);
}

/* Replies of a job on db wait (confirmed reads) for everything committed so far. */
static void job_mark(dbwork *w, dbjob *j, host_db *db)
{
    dbentry *e = registry_entry(w, db);
    j->tx_end = store_next_tx_offset(host_db_store(db));
    if (e) j->durable = e->dur;
}

static void job_call_bsatn(dbwork *w, dbjob *j)
{
    lc_errbuf eb;
    host_db *db = NULL;
    host_outcome o;
    memset(&o, 0, sizeof o);
    net_reducer_outcome r;
    memset(&r, 0, sizeof r);
    lc_buf err;
    lc_buf_init(&err);
    int rc = registry_get(w, j->db, false, &db, &eb);
    if (!rc && !db)
        rc = lc_errf(&eb, LC_ENOTFOUND, "no database named %s is attached to this server", j->db);
    host_caller c;
    caller_of(j, &c);
    if (!rc) {
        rc = host_db_call(db, j->fn, j->in, j->in_len, &c, &o, &eb);
        if (rc) (void)call_refusal(db, j->fn, rc, &eb); /* private reducers stay invisible */
    }
    if (db) job_mark(w, j, db);
    if (!rc && o.kind == HOST_OUTCOME_COMMITTED) { /* Ok, with the caller's own updates */
        subs_put_reducer_ok(&j->out, j->request_id, c.timestamp_micros, j->fan);
        j->ok = true;
        return;
    }
    if (rc) {
        r.kind = NET_REDUCER_INTERNAL_ERROR;
        r.err = (net_pbytes){(const u8 *)eb.msg, (u32)strlen(eb.msg)};
    } else if (o.kind == HOST_OUTCOME_USER_ERROR) {
        u32 n = (u32)strlen(o.message);
        lc_buf_put_str(&err, o.message, n); /* BSATN String: u32 length + bytes */
        r.kind = NET_REDUCER_ERR;
        r.err = (net_pbytes){err.data, (u32)err.len};
    } else {
        r.kind = NET_REDUCER_INTERNAL_ERROR;
        r.err = (net_pbytes){(const u8 *)o.message, (u32)strlen(o.message)};
    }
    net_proto_put_reducer_result(&j->out, j->request_id, lc_now_micros(), &r);
    lc_buf_deinit(&err);
}

/* A WebSocket CallProcedure (spec-client-protocol.md §2.5 ProcedureResult): Returned(the
 * BSATN of the return value) when the procedure ran to the end, else InternalError(message).
 * Its transactions reach every subscriber, the caller included, as TransactionUpdates (a
 * procedure has no ReducerResult to carry them). timestamp = when the call started,
 * total_host_execution_duration = the time it took on the worker. */
static void job_call_proc(dbwork *w, dbjob *j)
{
    lc_errbuf eb;
    host_db *db = NULL;
    host_outcome o;
    memset(&o, 0, sizeof o);
    lc_buf res;
    lc_buf_init(&res);
    int rc = registry_get(w, j->db, false, &db, &eb);
    if (!rc && !db)
        rc = lc_errf(&eb, LC_ENOTFOUND, "no database named %s is attached to this server", j->db);
    host_caller c;
    caller_of(j, &c);
    if (!rc) {
        rc = host_db_call_procedure(db, j->fn, j->in, j->in_len, &c, &res, &o, &eb);
        if (rc == LC_EPERM) lc_errf(&eb, LC_ENOTFOUND, "no such procedure: %s", j->fn);
    }
    if (db) job_mark(w, j, db);
    i64 dur = lc_now_micros() - c.timestamp_micros;
    if (!rc && o.kind == HOST_OUTCOME_COMMITTED && !res.err) {
        net_proto_put_procedure_result(&j->out, NET_PROC_RETURNED, res.data, (u32)res.len,
                                       c.timestamp_micros, dur, j->request_id);
        j->ok = true;
    } else {
        const char *msg = rc ? eb.msg : res.err ? "out of memory" : o.message;
        net_proto_put_procedure_result(&j->out, NET_PROC_INTERNAL_ERROR, msg,
                                       (u32)strlen(msg), c.timestamp_micros, dur,
                                       j->request_id);
    }
    lc_buf_deinit(&res);
}

static void job_lifecycle(dbwork *w, dbjob *j)
{
    lc_errbuf eb;
    host_db *db = NULL;
    if (registry_get(w, j->db, false, &db, &eb)) return; /* ok stays false */
    if (!db) { /* no such database: the upgrade is answered 404, as the reference */
        if (j->kind == DBJOB_CONNECT) {
            char msg[SERVER_DB_NAME_MAX + 16];
            int n = snprintf(msg, sizeof msg, "`%s` not found", j->db);
            net_http_write_response(&j->out, 404, "text/plain; charset=utf-8", msg, (size_t)n,
                                    false, NULL, 0);
        }
        return;
    }
    dbentry *e = registry_entry(w, db);
    if (e && j->kind == DBJOB_CONNECT) /* the loop keeps the canonical name (breaking publish) */
        snprintf(j->db, sizeof j->db, "%s", e->idhex);
    if (j->kind == DBJOB_DISCONNECT && e) subs_client_drop(e->subs, j->owner);
    if (e) j->durable = e->dur;
    host_outcome o;
    memset(&o, 0, sizeof o);
    int rc = j->kind == DBJOB_CONNECT
                 ? host_db_connect_jwt(db, j->identity, j->connection_id, j->in,
                                       (u32)j->in_len, &o, &eb)
                 : host_db_disconnect(db, j->identity, j->connection_id, &o, &eb);
    j->ok = rc == 0 && o.kind == HOST_OUTCOME_COMMITTED;
    if (!j->ok)
        LC_LOG_I("server", "%s on %s refused: %s", j->kind == DBJOB_CONNECT ? "connect"
                 : "disconnect", j->db, rc ? eb.msg : o.message);
}

/* Subscribe / Unsubscribe / OneOffQuery (server/subs.c). */
static void job_ws(dbwork *w, dbjob *j)
{
    lc_errbuf eb;
    host_db *db = NULL;
    if (registry_get(w, j->db, false, &db, &eb)) db = NULL;
    dbentry *e = db ? registry_entry(w, db) : NULL;
    subs_ws_job(e ? e->subs : NULL, j);
    if (db) job_mark(w, j, db);
}

static void job_run(dbwork *w, dbjob *j)
{
    LC_ASSERT(w->cur == NULL); /* a pending TICK was flushed */
    w->cur = j;
    switch (j->kind) {
    case DBJOB_PUBLISH: if (dbadmin_publish_check(w, j)) job_publish(w, j); break;
    case DBJOB_ADMIN: dbadmin_run(w, j); break;
    case DBJOB_CALL_JSON: job_call_json(w, j); break;
    case DBJOB_CALL_BSATN: job_call_bsatn(w, j); break;
    case DBJOB_CALL_PROC: job_call_proc(w, j); break;
    case DBJOB_WS: job_ws(w, j); break;
    default: job_lifecycle(w, j); break;
    }
    w->cur = NULL;
}

/* Hands the loop the messages of commits made outside any job (subs.c made a TICK job). */
static void tick_flush(dbwork *w)
{
    dbjob *t = w->cur;
    if (!t) return;
    w->cur = NULL;
    t->next = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->d_tail) w->d_tail->next = t; else w->d_head = t;
    w->d_tail = t;
    pthread_mutex_unlock(&w->mu);
    uv_async_send(&w->async);
}

static void *worker_main(void *arg)
{
    dbwork *w = arg;
    dbadmin_open_all(w); /* so their scheduled reducers run without waiting for a request */
    pthread_mutex_lock(&w->mu);
    for (;;) {
        pthread_mutex_unlock(&w->mu);
        i64 due = dbadmin_run_due(w); /* scheduled reducers; earliest next due (Unix µs) */
        tick_flush(w);                /* their subscription messages (a TICK job) */
        pthread_mutex_lock(&w->mu);
        while (!w->q_head && !w->stopping && due == INT64_MAX) pthread_cond_wait(&w->cv, &w->mu);
        if (!w->q_head && !w->stopping) { /* sleep until a job or the next due schedule */
            struct timespec ts = {(time_t)(due / 1000000), (long)(due % 1000000) * 1000};
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        if (w->stopping) break;
        if (!w->q_head) continue;
        dbjob *batch = w->q_head; /* the whole queue in one lock */
        w->q_head = w->q_tail = NULL;
        pthread_mutex_unlock(&w->mu);
        /* Finished jobs are published every DONE_BATCH so a long queue still answers early. */
        enum { DONE_BATCH = 64 };
        while (batch) {
            dbjob *head = batch, *tail = NULL;
            for (u32 n = 0; batch && n < DONE_BATCH; n++) {
                tail = batch;
                batch = batch->next;
                job_run(w, tail);
            }
            tail->next = NULL;
            pthread_mutex_lock(&w->mu);
            if (w->d_tail) w->d_tail->next = head; else w->d_head = head;
            w->d_tail = tail;
            pthread_mutex_unlock(&w->mu);
            uv_async_send(&w->async);
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void on_done(uv_async_t *a)
{
    dbwork *w = a->data;
    pthread_mutex_lock(&w->mu);
    dbjob *j = w->d_head;
    w->d_head = w->d_tail = NULL;
    pthread_mutex_unlock(&w->mu);
    while (j) {
        dbjob *next = j->next;
        j->next = NULL;
        w->done(j, w->user); /* takes ownership */
        j = next;
    }
    w->done(NULL, w->user); /* end of the batch */
}

static void on_durable_async(uv_async_t *a)
{
    dbwork *w = a->data;
    if (w->durable_fn) w->durable_fn(w->user);
}

int dbwork_start(const char *data_dir, uv_loop_t *loop, dbwork_done_fn done, void *user,
                 dbwork **out, lc_errbuf *eb)
{
    dbwork *w = lc_calloc(1, sizeof *w);
    if (!w) return lc_errf(eb, LC_ENOMEM, "out of memory");
    if (data_dir) {
        size_t n = strlen(data_dir);
        w->data_dir = lc_alloc(n + 1);
        if (!w->data_dir) { lc_free(w); return lc_errf(eb, LC_ENOMEM, "out of memory"); }
        memcpy(w->data_dir, data_dir, n + 1);
        if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
            lc_free(w->data_dir);
            lc_free(w);
            return lc_errf(eb, LC_EIO, "cannot create %s", data_dir);
        }
    }
    int rc = dbnames_load(data_dir, &w->names, eb);
    if (rc) {
        lc_free(w->data_dir);
        lc_free(w);
        return rc;
    }
    w->done = done;
    w->user = user;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    uv_async_init(loop, &w->async, on_done);
    w->async.data = w;
    uv_async_init(loop, &w->dur_async, on_durable_async);
    w->dur_async.data = w;
    w->stopped = true; /* until dbwork_run starts the thread */
    *out = w;
    return 0;
}

int dbwork_run(dbwork *w, lc_errbuf *eb)
{
    if (pthread_create(&w->thread, NULL, worker_main, w))
        return lc_errf(eb, LC_EIO, "cannot start the database thread");
    w->stopped = false;
    return 0;
}

bool dbwork_submit(dbwork *w, dbjob *j)
{
    j->next = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        return false;
    }
    if (w->q_tail) w->q_tail->next = j; else w->q_head = j;
    w->q_tail = j;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return true;
}

void dbwork_stop_worker(dbwork *w)
{
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (!w->stopped) pthread_join(w->thread, NULL);
    w->stopped = true;
    tick_flush(w);
    if (w->q_head) { /* unrun jobs go back to the loop (ok = false, no reply) */
        if (w->d_tail) w->d_tail->next = w->q_head; else w->d_head = w->q_head;
        w->d_tail = w->q_tail;
    }
    w->q_head = w->q_tail = NULL;
    for (u32 i = 0; i < w->ndbs; i++) {
        host_db_set_commit_hook(w->dbs[i].db, NULL, NULL);
        subs_destroy(w->dbs[i].subs); /* its queries borrow the store's row types */
        int rc = host_db_close(w->dbs[i].db);
        if (rc) LC_LOG_W("server", "closing database %s: error %d", w->dbs[i].name, rc);
    }
    w->ndbs = 0;
}

static void dur_async_closed(uv_handle_t *h)
{
    dbwork *w = h->data;
    for (dbdurable *d = w->durs, *n; d; d = n) { n = d->next; lc_free(d); }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    lc_free(w->data_dir);
    dbnames_free(w->names);
    lc_free(w);
}

static void async_closed(uv_handle_t *h)
{
    dbwork *w = h->data;
    for (dbjob *j = w->d_head, *n; j; j = n) { n = j->next; dbjob_free(j); }
    uv_close((uv_handle_t *)&w->dur_async, dur_async_closed);
}

void dbwork_close(dbwork *w)
{
    on_done(&w->async);
    uv_close((uv_handle_t *)&w->async, async_closed);
}

/* ---- accessors for server/dbadmin.c (worker thread) ---- */

int dbwork_db_get(dbwork *w, const char *name, bool create, host_db **out, lc_errbuf *eb)
{
    return registry_get(w, name, create, out, eb);
}

void dbwork_db_forget(dbwork *w, const char *name)
{
    for (u32 i = 0; i < w->ndbs; i++) {
        if (strcmp(w->dbs[i].name, name) != 0) continue;
        subs_reset(w->dbs[i].subs, "the database was deleted");
        subs_destroy(w->dbs[i].subs);
        host_db_set_commit_hook(w->dbs[i].db, NULL, NULL);
        int rc = host_db_close(w->dbs[i].db);
        if (rc) LC_LOG_W("server", "closing database %s: error %d", name, rc);
        w->dbs[i] = w->dbs[--w->ndbs];
        return;
    }
}

const char *dbwork_data_dir(const dbwork *w) { return w->data_dir; }

u32 dbwork_db_count(const dbwork *w) { return w->ndbs; }

host_db *dbwork_db_at(const dbwork *w, u32 i, const char **out_name)
{
    *out_name = w->dbs[i].name;
    return w->dbs[i].db;
}

void dbwork_db_identity(const char *name, u8 out[32]) { db_identity_of(name, out); }

int dbwork_db_open_key(dbwork *w, const char *key, host_db **out, lc_errbuf *eb)
{
    *out = NULL;
    return registry_open(w, key, false, out, eb);
}

const char *dbwork_db_key(dbwork *w, const host_db *db, char idhex[NET_IDENTITY_HEX_LEN + 1])
{
    const dbentry *e = registry_entry(w, db);
    if (!e) return NULL;
    if (idhex) memcpy(idhex, e->idhex, sizeof e->idhex);
    return e->name;
}

struct dbnames *dbwork_names(dbwork *w) { return w->names; }

void dbwork_names_changed(dbwork *w) { registry_names_changed(w); }
