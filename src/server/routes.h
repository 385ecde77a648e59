/*
 * server/routes.h — pieces of HTTP routing that are pure functions of the request, shared by
 * server.c / routes.c and unit-tested without sockets.
 *
 *   server_static_*   `--web-root` static files (routes_static.c): path sanitizer, content
 *                     types, and the GET/HEAD handler
 *   server_db_route   parse of /v1/database/:name[/...] into a route kind (routes_db.c); the
 *                     database worker runs the matching job (server/dbadmin.c)
 */
#ifndef LC_SERVER_ROUTES_H
#define LC_SERVER_ROUTES_H

#include "base/buf.h"
#include "base/types.h"
#include "net/http.h"

/* Maps a decoded request path to a file name under root ("/" and "dir/" -> index.html).
 * Refuses (-1) a path not starting with '/', containing NUL or '\\', a segment starting with
 * '.' ("..", ".", dotfiles), or a result that does not fit in cap. 0 on success. */
int server_static_path(const char *root, const char *path, size_t n, char *out, size_t cap);
/* Content type by extension (html, js, css, svg, png, json, wasm, map, ...). */
const char *server_static_content_type(const char *path);
/* Answers a GET/HEAD with the file under root, or 404. Blocking file I/O (small files). */
void server_static_serve(const char *root, const net_http_request *req, lc_buf *out);

typedef enum server_db_route_kind {
    SERVER_DB_NONE = 0,     /* not a database route (or not one we know) */
    SERVER_DB_PUBLISH,      /* POST|PUT /v1/database/:name, POST /v1/database (no name) */
    SERVER_DB_CALL,         /* POST /v1/database/:name/call/:fn */
    SERVER_DB_DESCRIBE,     /* GET /v1/database/:name */
    SERVER_DB_DELETE,       /* DELETE /v1/database/:name */
    SERVER_DB_SCHEMA,       /* GET /v1/database/:name/schema */
    SERVER_DB_NAMES,        /* GET /v1/database/:name/names */
    SERVER_DB_NAMES_ADD,    /* POST /v1/database/:name/names (body: the new name) */
    SERVER_DB_NAMES_SET,    /* PUT /v1/database/:name/names (body: JSON array of names) */
    SERVER_DB_IDENTITY,     /* GET /v1/database/:name/identity */
    SERVER_DB_SQL,          /* POST /v1/database/:name/sql */
    SERVER_DB_LOGS,         /* GET /v1/database/:name/logs */
    SERVER_DB_LIST,         /* GET /v1/database (lightcone extension: every database);
                             * GET /v1/identity/:identity/databases (fn = the identity) */
    SERVER_DB_SUBSCRIBE,    /* GET /v1/database/:name/subscribe (WebSocket; server.c) */
} server_db_route_kind;

typedef struct server_db_route {
    u8 kind;             /* server_db_route_kind */
    const char *name;    /* borrowed from the request path; not NUL-terminated */
    size_t name_len;
    const char *fn;      /* CALL: the reducer name; LIST: the owner identity text; borrowed */
    size_t fn_len;
} server_db_route;

/* Parses the request's method and path. Returns false (kind NONE) for anything else,
 * including an invalid database name (dbwork_name_valid) or a reducer name with '/'. */
bool server_db_route_parse(const net_http_request *req, server_db_route *out);

#endif
