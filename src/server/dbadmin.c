/*
 * server/dbadmin.c — database administration routes (server/dbadmin.h): job building on the
 * loop thread; publish ownership / clear, describe, delete, names, identity, list and the
 * scheduler pass on the worker thread. SQL, schema and logs live in dbadmin_sql.c,
 * dbadmin_schema.c and dbadmin_logs.c.
 *
 * Delete = close the database (dbwork_db_forget) and remove <data_dir>/<name> recursively
 * (nftw, depth first, never following symlinks); a refused first publish is dropped the
 * same way (dbadmin_db_drop) so garbage uploads cannot pile up directories or open slots. publish?clear=true on an existing database
 * is host_db_publish_opts' clear (every table dropped, the new module started, in one logged
 * transaction), owner only.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <jansson.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/blake3.h"
#include "base/clock.h"
#include "base/log.h"
#include "host/db.h"
#include "host/schema.h"
#include "net/identity.h"
#include "server/dbadmin.h"
#include "server/dbnames.h"

static void reply_text(dbjob *j, int status, const char *msg)
{
    net_http_write_response(&j->out, status, "text/plain; charset=utf-8", msg, strlen(msg),
                            j->keep_alive, NULL, 0);
}

static void reply_json(dbjob *j, const lc_buf *b)
{
    if (b->err) reply_text(j, 500, "out of memory");
    else net_http_write_response(&j->out, 200, "application/json", b->data, b->len,
                                 j->keep_alive, NULL, 0);
}

static bool query_true(const net_http_request *req, const char *name)
{
    size_t n;
    const char *v = net_http_query_get(req, name, &n);
    return v && ((n == 4 && memcmp(v, "true", 4) == 0) || (n == 1 && v[0] == '1'));
}

static u64 query_u64(const net_http_request *req, const char *name, u64 dflt)
{
    size_t n;
    const char *v = net_http_query_get(req, name, &n);
    if (!v || n == 0 || n > 19) return dflt;
    u64 x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return dflt;
        x = x * 10 + (u64)(v[i] - '0');
    }
    return x;
}

dbjob *dbadmin_job_new(const net_http_request *req, const server_db_route *rt)
{
    u8 kind = rt->kind == SERVER_DB_PUBLISH ? DBJOB_PUBLISH
              : rt->kind == SERVER_DB_CALL  ? DBJOB_CALL_JSON
                                            : DBJOB_ADMIN;
    if (rt->kind == SERVER_DB_NONE || rt->kind == SERVER_DB_SUBSCRIBE) return NULL;
    LC_ASSERT(rt->name_len <= SERVER_DB_NAME_MAX);
    dbjob *j = dbjob_new(kind);
    if (!j) return NULL;
    if (rt->name_len) memcpy(j->db, rt->name, rt->name_len);
    j->route = rt->kind;
    j->keep_alive = req->keep_alive;
    j->in = lc_alloc(req->body_len + 1);
    if (!j->in) goto fail;
    if (req->body_len) memcpy(j->in, req->body, req->body_len);
    j->in[req->body_len] = 0; /* SQL text is used as a C string */
    j->in_len = req->body_len;
    if (rt->kind == SERVER_DB_CALL || (rt->kind == SERVER_DB_LIST && rt->fn)) {
        if (!(j->fn = lc_alloc(rt->fn_len + 1))) goto fail;
        memcpy(j->fn, rt->fn, rt->fn_len);
        j->fn[rt->fn_len] = 0;
    }
    if (rt->kind == SERVER_DB_PUBLISH) j->flag = query_true(req, "clear");
    if (rt->kind == SERVER_DB_SCHEMA) j->arg = query_u64(req, "version", 0);
    if (rt->kind == SERVER_DB_LOGS) {
        j->flag = query_true(req, "follow");
        j->arg = query_u64(req, "num_lines", j->flag ? 10 : 1000000);
    }
    return j;
fail:
    dbjob_free(j);
    return NULL;
}

/* Reads st_module: owner and database identity (wire bytes) and the program hash. */
static int db_module_info(host_db *db, u8 owner[32], u8 dbid[32], u8 hash[32])
{
    store_txn t;
    store_read_begin(&t, host_db_store(db));
    const u8 *w;
    u32 n;
    int rc = host_schema_get_module(&t, &w, &n, dbid, owner);
    if (!rc && hash) lc_blake3_hash(w, n, hash);
    store_read_end(&t);
    return rc;
}

static void wire_hex(const u8 wire[32], char out[NET_IDENTITY_HEX_LEN + 1])
{
    net_identity id;
    net_identity_from_wire(wire, &id);
    net_identity_to_hex(&id, out);
}

/* The database identity bytes are used as big-endian, as the publish reply shows them
 * (server/dbwork.c job_publish). */
static void dbid_hex(const u8 be[32], char out[NET_IDENTITY_HEX_LEN + 1])
{
    net_identity id;
    memcpy(id.be, be, 32);
    net_identity_to_hex(&id, out);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

/* Closes the database and removes its directory. */
static int db_drop(dbwork *w, const char *name)
{
    dbwork_db_forget(w, name);
    const char *dd = dbwork_data_dir(w);
    if (!dd) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dd, name);
    struct stat st;
    if (lstat(path, &st) != 0) return 0;
    int rc = nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    LC_LOG_I("server", "database %s deleted%s", name, rc ? " (some files remain)" : "");
    return rc ? LC_EIO : 0;
}

int dbadmin_db_drop(dbwork *w, const char *key, lc_errbuf *eb)
{
    if (db_drop(w, key)) return lc_errf(eb, LC_EIO, "cannot remove the database files");
    return dbnames_forget(dbwork_names(w), key, eb);
}

bool dbadmin_publish_check(dbwork *w, dbjob *j)
{
    lc_errbuf eb;
    host_db *db = NULL;
    if (dbwork_db_get(w, j->db, false, &db, &eb)) {
        reply_text(j, 500, eb.msg);
        return false;
    }
    if (!db || !host_db_module(db)) return true;
    u8 owner[32], dbid[32];
    if (db_module_info(db, owner, dbid, NULL)) {
        reply_text(j, 500, "st_module unreadable");
        return false;
    }
    if (memcmp(owner, j->identity, 32) != 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "Identity does not own database `%s`: cannot update it",
                 j->db);
        reply_text(j, 403, msg);
        return false;
    }
    return true; /* clear=true is host_db_publish_opts' clear: one logged transaction */
}

/* The database's names as a JSON array (names are [A-Za-z0-9_-]: no escaping needed). */
static void put_names(dbwork *w, host_db *db, lc_buf *b)
{
    const char *names[DBNAMES_PER_DB_MAX];
    const char *key = dbwork_db_key(w, db, NULL);
    u32 n = key ? dbnames_of(dbwork_names(w), key, names, DBNAMES_PER_DB_MAX) : 0;
    lc_buf_put_u8(b, '[');
    for (u32 i = 0; i < n; i++) {
        if (i) lc_buf_put_u8(b, ',');
        lc_buf_put_u8(b, '"');
        lc_buf_put(b, names[i], strlen(names[i]));
        lc_buf_put_u8(b, '"');
    }
    lc_buf_put_u8(b, ']');
}

static void admin_describe(dbwork *w, dbjob *j, host_db *db)
{
    u8 owner[32], dbid[32], hash[32];
    if (db_module_info(db, owner, dbid, hash)) {
        reply_text(j, 500, "st_module unreadable");
        return;
    }
    char oh[NET_IDENTITY_HEX_LEN + 1], dh[NET_IDENTITY_HEX_LEN + 1], hh[65];
    wire_hex(owner, oh);
    dbid_hex(dbid, dh);
    for (int i = 0; i < 32; i++) snprintf(hh + 2 * i, 3, "%02x", hash[i]);
    char body[512];
    int n = snprintf(body, sizeof body,
                     "{\"database_identity\":{\"__identity__\":\"0x%s\"},"
                     "\"owner_identity\":{\"__identity__\":\"0x%s\"},"
                     "\"host_type\":{\"Wasm\":[]},\"initial_program\":\"%s\",\"names\":",
                     dh, oh, hh);
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put(&b, body, (size_t)n);
    put_names(w, db, &b);
    lc_buf_put_u8(&b, '}');
    reply_json(j, &b);
    lc_buf_deinit(&b);
}

/* One database into the list; owner_filter (identity hex) keeps only that owner's, printed
 * as the bare database identity ({"identities":[...]}). */
static void list_one(dbwork *w, const char *name, lc_buf *b, bool *first,
                     const char *owner_filter)
{
    lc_errbuf eb;
    host_db *db = NULL;
    u8 owner[32], dbid[32];
    if (dbwork_db_open_key(w, name, &db, &eb) || !db || !host_db_module(db) ||
        db_module_info(db, owner, dbid, NULL))
        return;
    const char *names[1];
    if (dbnames_of(dbwork_names(w), name, names, 1) == 1) name = names[0];
    char oh[NET_IDENTITY_HEX_LEN + 1], dh[NET_IDENTITY_HEX_LEN + 1];
    wire_hex(owner, oh);
    dbid_hex(dbid, dh);
    char row[320];
    if (owner_filter) {
        if (strcmp(oh, owner_filter) != 0) return;
        int n = snprintf(row, sizeof row, "%s\"%s\"", *first ? "" : ",", dh);
        lc_buf_put(b, row, (size_t)n);
        *first = false;
        return;
    }
    int n = snprintf(row, sizeof row,
                     "%s{\"name\":\"%s\",\"database_identity\":\"%s\",\"owner_identity\":\"%s\"}",
                     *first ? "" : ",", name, dh, oh);
    lc_buf_put(b, row, (size_t)n);
    *first = false;
}

/* GET /v1/database: every database with a module (a lightcone extension for `list`). */
static void admin_list(dbwork *w, dbjob *j)
{
    char want[NET_IDENTITY_HEX_LEN + 1];
    const char *filter = NULL;
    if (j->fn) { /* /v1/identity/:identity/databases */
        net_identity id;
        if (net_identity_from_hex(j->fn, strlen(j->fn), &id)) {
            reply_text(j, 400, "invalid identity");
            return;
        }
        net_identity_to_hex(&id, want);
        filter = want;
    }
    lc_buf b;
    lc_buf_init(&b);
    if (filter) lc_buf_put(&b, "{\"identities\":[", 15);
    else lc_buf_put(&b, "{\"databases\":[", 14);
    bool first = true;
    const char *dd = dbwork_data_dir(w);
    DIR *d = dd ? opendir(dd) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (dbwork_name_valid(e->d_name, strlen(e->d_name)))
            list_one(w, e->d_name, &b, &first, filter);
    if (d) closedir(d);
    for (u32 i = 0; !dd && i < dbwork_db_count(w); i++) {
        const char *name;
        (void)dbwork_db_at(w, i, &name);
        list_one(w, name, &b, &first, filter);
    }
    lc_buf_put(&b, "]}", 2);
    reply_json(j, &b);
    lc_buf_deinit(&b);
}

static void reply_json_text(dbjob *j, int status, const char *json)
{
    net_http_write_response(&j->out, status, "application/json", json, strlen(json),
                            j->keep_alive, NULL, 0);
}

/* A name a database may be given: valid as a database name, and not an identity's hex (the
 * routes read 64 hex characters as an identity). NULL or why not. */
static const char *name_problem(const char *s, size_t n)
{
    if (!dbwork_name_valid(s, n))
        return "a database name is 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'";
    char tmp[SERVER_DB_NAME_MAX + 1];
    snprintf(tmp, sizeof tmp, "%.*s", (int)n, s);
    return dbnames_is_hex_key(tmp) ? "a database name may not look like an identity" : NULL;
}

/* Whether `name` already names a database other than db. */
static bool name_taken(dbwork *w, const char *name, const host_db *db)
{
    host_db *o = NULL;
    lc_errbuf eb;
    if (dbwork_db_get(w, name, false, &o, &eb)) return true; /* cannot tell: refuse */
    return o && o != db;
}

/* POST /v1/database/:name/names, body = the new name (spec-client-protocol.md §3): owner
 * only; {"Success":{domain, database_identity}} or 401 {"PermissionDenied":{domain}} when
 * the caller does not own the database or the name is another database's. */
static void admin_names_add(dbwork *w, dbjob *j, host_db *db, bool is_owner, const char *idhex)
{
    size_t n = j->in_len;
    while (n && (j->in[n - 1] == '\n' || j->in[n - 1] == '\r' || j->in[n - 1] == ' ')) n--;
    const char *name = (const char *)j->in, *why = name_problem(name, n);
    char msg[400];
    if (why) {
        snprintf(msg, sizeof msg, "Error parsing `%.*s`: %s", (int)(n < 80 ? n : 80), name, why);
        reply_text(j, 400, msg);
        return;
    }
    j->in[n] = 0;
    if (!is_owner || name_taken(w, name, db)) {
        snprintf(msg, sizeof msg, "{\"PermissionDenied\":{\"domain\":\"%s\"}}", name);
        reply_json_text(j, 401, msg);
        return;
    }
    lc_errbuf eb;
    const char *key = dbwork_db_key(w, db, NULL);
    int rc = key ? dbnames_add(dbwork_names(w), key, name, &eb) : LC_ENOTFOUND;
    dbwork_names_changed(w);
    if (rc) {
        reply_text(j, rc == LC_ELIMIT ? 400 : 500, key ? eb.msg : "no such database");
        return;
    }
    snprintf(msg, sizeof msg, "{\"Success\":{\"domain\":\"%s\",\"database_identity\":\"%s\"}}",
             name, idhex);
    reply_json_text(j, 200, msg);
    j->ok = true;
}

/* Parses PUT names' body: a JSON array of at most DBNAMES_PER_DB_MAX valid names. */
static int names_parse(dbjob *j, char names[][SERVER_DB_NAME_MAX + 1], u32 *count)
{
    json_error_t err;
    json_t *a = json_loadb((const char *)j->in, j->in_len, 0, &err);
    char msg[400];
    int rc = 0;
    if (!a || !json_is_array(a) || json_array_size(a) > DBNAMES_PER_DB_MAX) {
        snprintf(msg, sizeof msg, "expected a JSON array of at most %u names", DBNAMES_PER_DB_MAX);
        rc = LC_EINVAL;
    }
    *count = 0;
    for (size_t i = 0; !rc && i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        size_t n = json_is_string(v) ? json_string_length(v) : 0;
        const char *why = json_is_string(v) ? name_problem(s, n) : "not a string";
        if (why) {
            snprintf(msg, sizeof msg, "Error parsing `%.*s`: %s", (int)(n < 80 ? n : 80), s, why);
            rc = LC_EINVAL;
        } else {
            snprintf(names[(*count)++], SERVER_DB_NAME_MAX + 1, "%s", s);
        }
    }
    json_decref(a);
    if (rc) reply_text(j, 400, msg);
    return rc;
}

/* PUT /v1/database/:name/names, body = JSON array: replaces every name. 200 "Success";
 * 401 {"NotYourDatabase":{database}}; 400 {"OtherError": "... already is in use."}. */
static void admin_names_set(dbwork *w, dbjob *j, host_db *db, bool is_owner, const char *idhex)
{
    char names[DBNAMES_PER_DB_MAX][SERVER_DB_NAME_MAX + 1];
    const char *list[DBNAMES_PER_DB_MAX];
    u32 count = 0;
    if (names_parse(j, names, &count)) return;
    char msg[400];
    if (!is_owner) {
        snprintf(msg, sizeof msg, "{\"NotYourDatabase\":{\"database\":\"%s\"}}", idhex);
        reply_json_text(j, 401, msg);
        return;
    }
    for (u32 i = 0; i < count; i++) {
        if (name_taken(w, names[i], db)) {
            snprintf(msg, sizeof msg, "{\"OtherError\":\"Cannot rename to %.64s because it "
                     "already is in use.\"}", names[i]);
            reply_json_text(j, 400, msg);
            return;
        }
        list[i] = names[i];
    }
    lc_errbuf eb;
    const char *key = dbwork_db_key(w, db, NULL);
    int rc = key ? dbnames_set(dbwork_names(w), key, list, count, &eb) : LC_ENOTFOUND;
    dbwork_names_changed(w);
    if (rc) {
        reply_text(j, 500, key ? eb.msg : "no such database");
        return;
    }
    reply_json_text(j, 200, "\"Success\"");
    j->ok = true;
}

static void admin_db_route(dbwork *w, dbjob *j, host_db *db, bool is_owner)
{
    char idhex[NET_IDENTITY_HEX_LEN + 1] = "";
    (void)dbwork_db_key(w, db, idhex);
    switch (j->route) {
    case SERVER_DB_DESCRIBE: admin_describe(w, j, db); break;
    case SERVER_DB_SCHEMA: dbadmin_schema(j, db); break;
    case SERVER_DB_SQL: dbadmin_sql(w, j, db, is_owner); break;
    case SERVER_DB_NAMES: {
        lc_buf b;
        lc_buf_init(&b);
        lc_buf_put(&b, "{\"names\":", 9);
        put_names(w, db, &b);
        lc_buf_put_u8(&b, '}');
        reply_json(j, &b);
        lc_buf_deinit(&b);
        break;
    }
    case SERVER_DB_NAMES_ADD: admin_names_add(w, j, db, is_owner, idhex); break;
    case SERVER_DB_NAMES_SET: admin_names_set(w, j, db, is_owner, idhex); break;
    case SERVER_DB_IDENTITY: reply_text(j, 200, idhex); break;
    case SERVER_DB_LOGS:
        if (is_owner) dbadmin_logs(w, j, db);
        else reply_text(j, 403, "Only the database owner can read its logs");
        break;
    default: reply_text(j, 501, "not implemented"); break;
    }
}

void dbadmin_run(dbwork *w, dbjob *j)
{
    if (j->route == SERVER_DB_LIST) { admin_list(w, j); return; }
    lc_errbuf eb;
    host_db *db = NULL;
    if (dbwork_db_get(w, j->db, false, &db, &eb)) { reply_text(j, 500, eb.msg); return; }
    u8 owner[32], dbid[32];
    bool has = db && host_db_module(db) && db_module_info(db, owner, dbid, NULL) == 0;
    bool is_owner = has && memcmp(owner, j->identity, 32) == 0;
    if (j->route == SERVER_DB_DELETE) {
        char key[SERVER_DB_NAME_MAX + 1] = "";
        if (db) snprintf(key, sizeof key, "%s", dbwork_db_key(w, db, NULL));
        if (has && !is_owner) {
            reply_text(j, 403, "Only the database owner can delete it");
        } else if (!db) {
            char msg[128];
            snprintf(msg, sizeof msg, "`%s` not found", j->db);
            reply_text(j, 404, msg);
        } else if (dbadmin_db_drop(w, key, &eb)) {
            reply_text(j, 500, "cannot remove the database files");
        } else {
            net_http_write_response(&j->out, 200, NULL, NULL, 0, j->keep_alive, NULL, 0);
            j->ok = true;
        }
        return;
    }
    if (!has) {
        char msg[128];
        snprintf(msg, sizeof msg, "`%s` not found", j->db);
        reply_text(j, 404, msg);
        return;
    }
    admin_db_route(w, j, db, is_owner);
}

void dbadmin_open_all(dbwork *w)
{
    const char *dd = dbwork_data_dir(w);
    DIR *d = dd ? opendir(dd) : NULL;
    if (!d) return;
    struct dirent *e;
    lc_errbuf eb;
    while ((e = readdir(d)) != NULL) {
        host_db *db;
        if (!dbwork_name_valid(e->d_name, strlen(e->d_name))) continue;
        if (dbwork_db_open_key(w, e->d_name, &db, &eb))
            LC_LOG_W("server", "database %s does not open: %s", e->d_name, eb.msg);
    }
    closedir(d);
}

i64 dbadmin_run_due(dbwork *w)
{
    i64 next = INT64_MAX;
    for (u32 i = 0; i < dbwork_db_count(w); i++) {
        const char *name;
        host_db *db = dbwork_db_at(w, i, &name);
        i64 due = host_db_next_due(db);
        i64 now = lc_now_micros();
        if (due <= now) {
            u32 ran = 0;
            lc_errbuf eb;
            if (host_db_run_due(db, &ran, &eb))
                LC_LOG_W("server", "scheduled reducers of %s: %s", name, eb.msg);
            due = host_db_next_due(db);
            if (due <= now) due = now + 1000; /* something keeps failing: retry in 1 ms */
        }
        if (due < next) next = due;
    }
    return next;
}

void dbadmin_add_headers(lc_buf *resp, const net_http_header *h, size_t n)
{
    u8 *eol = resp->len ? memchr(resp->data, '\n', resp->len) : NULL;
    if (!eol || resp->err) return;
    size_t at = (size_t)(eol - resp->data) + 1;
    lc_buf nb;
    lc_buf_init(&nb);
    lc_buf_put(&nb, resp->data, at);
    for (size_t i = 0; i < n; i++) {
        lc_buf_put(&nb, h[i].name, h[i].name_len);
        lc_buf_put(&nb, ": ", 2);
        for (size_t k = 0; k < h[i].value_len; k++) { /* no header injection */
            char ch = h[i].value[k];
            lc_buf_put_u8(&nb, (u8)(ch == '\r' || ch == '\n' ? ' ' : ch));
        }
        lc_buf_put(&nb, "\r\n", 2);
    }
    lc_buf_put(&nb, resp->data + at, resp->len - at);
    if (nb.err) { lc_buf_deinit(&nb); return; }
    lc_buf_deinit(resp);
    *resp = nb;
}
