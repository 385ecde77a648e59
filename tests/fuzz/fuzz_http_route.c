/*
 * tests/fuzz/fuzz_http_route.c — libFuzzer target for the server's request path after the
 * HTTP reader: every request parsed from the input goes through the /v1/database route parser
 * (server_db_route_parse), the job builder with its query options (dbadmin_job_new: body
 * copy, clear/version/num_lines/follow), the --web-root path sanitizer and the header
 * injector. Invariants checked (abort on violation):
 *   - a parsed route's name lies inside the decoded path and passes dbwork_name_valid; a
 *     CALL's reducer name has no '/';
 *   - a sanitized static path starts with the root + '/', and has no "/." segment (no "..",
 *     no dotfile) and no NUL before its end;
 *   - dbadmin_add_headers keeps the response's status line first and adds exactly one line.
 * The input is fed whole (the reader's split-invariance is fuzz_http's job). Seeds:
 * tests/fuzz/corpus/http_route/.
 */
#include <stdlib.h>
#include <string.h>

#include "net/http.h"
#include "server/dbadmin.h"
#include "server/dbwork.h"
#include "server/routes.h"

static void check_route(const net_http_request *req)
{
    server_db_route rt;
    if (server_db_route_parse(req, &rt)) {
        if (rt.kind != SERVER_DB_LIST) {
            if (rt.name < req->path || rt.name + rt.name_len > req->path + req->path_len) abort();
            if (!dbwork_name_valid(rt.name, rt.name_len)) abort();
        }
        if (rt.kind == SERVER_DB_CALL && (!rt.fn_len || memchr(rt.fn, '/', rt.fn_len))) abort();
    }
    dbjob *j = dbadmin_job_new(req, &rt);
    if (j) {
        if (j->in_len != req->body_len || j->in[j->in_len] != 0) abort();
        dbjob_free(j);
    }
}

static void check_static(const net_http_request *req)
{
    char out[512];
    if (server_static_path("/w", req->path, req->path_len, out, sizeof out) != 0) return;
    if (strncmp(out, "/w/", 3) != 0 || strstr(out, "/.") != NULL) abort();
    (void)server_static_content_type(out);
}

static void check_headers(const net_http_request *req)
{
    lc_buf b;
    lc_buf_init(&b);
    net_http_write_response(&b, 200, "text/plain", "x", 1, true, NULL, 0);
    size_t before = b.len;
    net_http_header h = {"x-path", 6, req->path, req->path_len};
    dbadmin_add_headers(&b, &h, 1);
    if (b.err) { lc_buf_deinit(&b); return; }
    if (b.len != before + 6 + 2 + req->path_len + 2) abort();
    if (memcmp(b.data, "HTTP/1.1 200 OK\r\nx-path: ", 25) != 0) abort();
    size_t crlf = 0; /* the injected value holds no line break */
    for (size_t i = 0; i + 1 < b.len; i++) crlf += b.data[i] == '\r' && b.data[i + 1] == '\n';
    lc_buf_deinit(&b);
    lc_buf c;
    lc_buf_init(&c);
    net_http_write_response(&c, 200, "text/plain", "x", 1, true, NULL, 0);
    size_t crlf0 = 0;
    for (size_t i = 0; i + 1 < c.len; i++) crlf0 += c.data[i] == '\r' && c.data[i + 1] == '\n';
    lc_buf_deinit(&c);
    if (crlf != crlf0 + 1) abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    net_http_reader r;
    net_http_reader_init(&r, 1u << 16);
    const char *p = (const char *)data;
    size_t n = size;
    for (int guard = 0; guard < 64; guard++) {
        size_t used = 0;
        net_http_request *req = NULL;
        int rc = net_http_reader_feed(&r, p, n, &used, &req);
        p += used;
        n -= used;
        if (rc == NET_HTTP_CONTINUE) continue;
        if (rc != 1) break;
        check_route(req);
        check_static(req);
        check_headers(req);
        if (req->is_upgrade) break;
    }
    net_http_reader_deinit(&r);
    return 0;
}
