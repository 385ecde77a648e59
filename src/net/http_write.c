/*
 * net/http_write.c — HTTP/1.1 response heads and bodies, with the permissive CORS headers
 * SpacetimeDB's API wraps everything in (spec-client-protocol.md §3.1: any origin, any
 * method, request headers authorization/accept/content-type; browsers preflight the SDK's
 * websocket-token POST because it carries Authorization). We also expose our response headers
 * so browser code can read spacetime-identity / spacetime-identity-token.
 */
#include <stdio.h>

#include "base/assert.h"
#include "net/http.h"

const char *net_http_status_text(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 530: return "Reducer Failed"; /* SpacetimeDB's status for a failed reducer call */
    default: return "Unknown";
    }
}

static void put_str(lc_buf *out, const char *s) { lc_buf_put(out, s, strlen(s)); }

/* A header line; CR and LF in the value become spaces so no value can start a new header. */
static void put_header(lc_buf *out, const char *name, size_t name_len, const char *value,
                       size_t value_len)
{
    lc_buf_put(out, name, name_len);
    lc_buf_put(out, ": ", 2);
    u8 *d = lc_buf_reserve(out, value_len);
    if (!d) return;
    for (size_t i = 0; i < value_len; i++)
        d[i] = value[i] == '\r' || value[i] == '\n' ? ' ' : (u8)value[i];
    out->len += value_len;
    lc_buf_put(out, "\r\n", 2);
}

static const char CORS[] = "access-control-allow-origin: *\r\n"
                           "access-control-expose-headers: *\r\n";

void net_http_write_head(lc_buf *out, int status, const char *content_type, size_t content_len,
                         bool keep_alive, const net_http_header *extra, size_t n_extra)
{
    LC_ASSERT(status >= 100 && status <= 999);
    char line[96];
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, net_http_status_text(status));
    lc_buf_put(out, line, (size_t)n);
    put_str(out, CORS);
    if (content_type) put_header(out, "content-type", 12, content_type, strlen(content_type));
    /* 1xx and 204 responses carry no content-length (RFC 9110 §8.6). */
    if (status >= 200 && status != 204) {
        n = snprintf(line, sizeof line, "content-length: %zu\r\n", content_len);
        lc_buf_put(out, line, (size_t)n);
    }
    if (status != 101)
        put_str(out, keep_alive ? "connection: keep-alive\r\n" : "connection: close\r\n");
    for (size_t i = 0; i < n_extra; i++)
        put_header(out, extra[i].name, extra[i].name_len, extra[i].value, extra[i].value_len);
    lc_buf_put(out, "\r\n", 2);
}

void net_http_write_response(lc_buf *out, int status, const char *content_type,
                             const void *body, size_t len, bool keep_alive,
                             const net_http_header *extra, size_t n_extra)
{
    net_http_write_head(out, status, content_type, len, keep_alive, extra, n_extra);
    lc_buf_put(out, body, len);
}

void net_http_write_preflight(lc_buf *out, bool keep_alive)
{
    static const net_http_header h[] = {
        {"access-control-allow-methods", 28, "GET, POST, PUT, DELETE, PATCH, OPTIONS", 38},
        {"access-control-allow-headers", 28, "authorization, accept, content-type", 35},
        {"access-control-max-age", 22, "86400", 5},
    };
    net_http_write_head(out, 200, NULL, 0, keep_alive, h, LC_ARRAY_LEN(h));
}

void net_http_write_reader_error(lc_buf *out, const net_http_reader *r)
{
    int status = r->status ? r->status : 400;
    const char *reason = r->reason ? r->reason : net_http_status_text(status);
    net_http_write_response(out, status, "text/plain; charset=utf-8", reason, strlen(reason),
                            false, NULL, 0);
}
