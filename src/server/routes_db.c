/*
 * server/routes_db.c — parse of the /v1/database routes (server/routes.h,
 * spec-client-protocol.md §3.3). A pure function of method + decoded path; unit-tested and
 * fuzzed. Routes not listed here (pre_publish, reset, lock, route/..., ...) stay NONE and are
 * answered 501 by routes.c.
 */
#include <string.h>

#include "base/limits.h"
#include "server/dbwork.h"
#include "server/routes.h"

static bool seg_is(const char *p, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

static u8 route_sub(int m, const char *sub, size_t sn)
{
    if (seg_is(sub, sn, "schema") && m == HTTP_GET) return SERVER_DB_SCHEMA;
    if (seg_is(sub, sn, "names") && m == HTTP_GET) return SERVER_DB_NAMES;
    if (seg_is(sub, sn, "names") && m == HTTP_POST) return SERVER_DB_NAMES_ADD;
    if (seg_is(sub, sn, "names") && m == HTTP_PUT) return SERVER_DB_NAMES_SET;
    if (seg_is(sub, sn, "identity") && m == HTTP_GET) return SERVER_DB_IDENTITY;
    if (seg_is(sub, sn, "sql") && m == HTTP_POST) return SERVER_DB_SQL;
    if (seg_is(sub, sn, "logs") && m == HTTP_GET) return SERVER_DB_LOGS;
    if (seg_is(sub, sn, "subscribe") && m == HTTP_GET) return SERVER_DB_SUBSCRIBE;
    return SERVER_DB_NONE;
}

/* GET /v1/identity/:identity/databases: the databases an identity owns (LIST with fn). */
static bool route_identity_dbs(const net_http_request *req, server_db_route *out)
{
    static const char pre[] = "/v1/identity/", suf[] = "/databases";
    const size_t np = sizeof pre - 1, ns = sizeof suf - 1;
    if (req->method != HTTP_GET || req->path_len <= np + ns ||
        memcmp(req->path, pre, np) != 0 ||
        memcmp(req->path + req->path_len - ns, suf, ns) != 0)
        return false;
    out->fn = req->path + np;
    out->fn_len = req->path_len - np - ns;
    if (out->fn_len > 66 || memchr(out->fn, '/', out->fn_len)) return false;
    out->kind = SERVER_DB_LIST;
    return true;
}

bool server_db_route_parse(const net_http_request *req, server_db_route *out)
{
    static const char pre[] = "/v1/database";
    const size_t np = sizeof pre - 1;
    memset(out, 0, sizeof *out);
    const char *p = req->path, *end = req->path + req->path_len;
    int m = req->method;
    if (route_identity_dbs(req, out)) return true;
    if (req->path_len < np || memcmp(p, pre, np) != 0) return false;
    p += np;
    if (p == end || (p + 1 == end && *p == '/')) {
        out->kind = m == HTTP_GET ? SERVER_DB_LIST : m == HTTP_POST ? SERVER_DB_PUBLISH
                                                                     : SERVER_DB_NONE;
        return out->kind != SERVER_DB_NONE;
    }
    if (*p != '/') return false;
    p++;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    size_t nn = (size_t)((slash ? slash : end) - p);
    if (!dbwork_name_valid(p, nn)) return false;
    out->name = p;
    out->name_len = nn;
    if (!slash) {
        if (m == HTTP_POST || m == HTTP_PUT) out->kind = SERVER_DB_PUBLISH;
        else if (m == HTTP_GET) out->kind = SERVER_DB_DESCRIBE;
        else if (m == HTTP_DELETE) out->kind = SERVER_DB_DELETE;
        return out->kind != SERVER_DB_NONE;
    }
    const char *sub = slash + 1;
    const char *s2 = memchr(sub, '/', (size_t)(end - sub));
    if (!s2) {
        out->kind = route_sub(m, sub, (size_t)(end - sub));
        return out->kind != SERVER_DB_NONE;
    }
    if (!seg_is(sub, (size_t)(s2 - sub), "call") || m != HTTP_POST) return false;
    const char *fn = s2 + 1;
    size_t fl = (size_t)(end - fn);
    if (fl == 0 || fl > LC_PROTO_NAME_MAX || memchr(fn, '/', fl)) return false;
    out->kind = SERVER_DB_CALL;
    out->fn = fn;
    out->fn_len = fl;
    return true;
}
