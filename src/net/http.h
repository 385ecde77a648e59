/*
 * net/http.h — HTTP/1.1 request reader over Debian's http-parser, and the response writer.
 * No sockets: feed bytes in, get requests out; responses are appended to an lc_buf.
 *
 * Reader: one request at a time, in order (keep-alive and pipelining). net_http_reader_feed
 * pauses the parser at the end of each request and returns it; the caller answers it and
 * feeds the rest of its input. Limits (base/limits.h), each with its status code:
 *     URL > LC_HTTP_URL_MAX                                  -> 414
 *     > LC_HTTP_HEADERS_MAX fields or > LC_HTTP_HEADER_SIZE_MAX header bytes -> 431
 *     body (declared Content-Length or received chunks) > body_max            -> 413
 *     anything http-parser rejects, bad percent-encoding, too many params   -> 400
 * Errors are sticky; the connection answers with r->status and closes.
 *
 * "Expect: 100-continue" (curl sends it before bodies over 1 KiB): when the headers of such a
 * request are in and its body is not, feed returns NET_HTTP_CONTINUE once; the caller writes
 * NET_HTTP_100_CONTINUE (or refuses the request) and keeps feeding.
 *
 * A request with Upgrade (WebSocket) is returned with is_upgrade set and consumption stops
 * right after its headers: the bytes that follow belong to the new protocol, and the reader
 * accepts nothing more (LC_ESTATE).
 *
 * A returned request borrows the reader's memory until the next feed or deinit. Header names
 * are lowercased; the path and query parameters are percent-decoded ('+' is a space in the
 * query, as in application/x-www-form-urlencoded) and NUL-terminated.
 */
#ifndef LC_NET_HTTP_H
#define LC_NET_HTTP_H

#include <http_parser.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/limits.h"
#include "base/types.h"

/* net_http_reader_feed result: the client waits for "100 Continue" before sending its body. */
#define NET_HTTP_CONTINUE 2
#define NET_HTTP_100_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

typedef struct net_http_header {
    const char *name; /* lowercase in requests */
    size_t name_len;
    const char *value;
    size_t value_len;
} net_http_header;

typedef struct net_http_request {
    int method;           /* enum http_method: HTTP_GET, HTTP_POST, ... */
    const char *method_name;
    u16 http_major, http_minor;
    const char *url;      /* raw request target */
    size_t url_len;
    const char *path;     /* decoded path, e.g. "/v1/database/x/subscribe" */
    size_t path_len;
    const char *query;    /* raw query string (after '?', before '#'), "" if none */
    size_t query_len;
    net_http_header headers[LC_HTTP_HEADERS_MAX];
    size_t header_count;
    net_http_header params[LC_HTTP_QUERY_PARAMS_MAX]; /* decoded query parameters */
    size_t param_count;
    const u8 *body;
    size_t body_len;
    bool keep_alive;      /* HTTP/1.1 without "Connection: close", or 1.0 with keep-alive */
    bool is_upgrade;
} net_http_request;

/* Per-field parse bookkeeping: offsets into the reader's text buffer. */
typedef struct net_http_span {
    u32 name_off, name_len, value_off, value_len;
} net_http_span;

typedef struct net_http_reader {
    http_parser parser;
    size_t body_max;
    lc_buf text;     /* url, then header names/values, then decoded path/params */
    lc_buf body;
    net_http_span spans[LC_HTTP_HEADERS_MAX];
    size_t span_count;
    u32 url_len;
    u8 hstate;       /* 0 = before headers, 1 = in a field name, 2 = in a value */
    bool complete;   /* message_complete seen for the current request */
    bool has_req;    /* req was returned and is still lent out */
    bool upgraded;
    bool expect_continue; /* the current request asked for 100-continue, not yet answered */
    int err;
    int status;      /* HTTP status to answer with after an error */
    const char *reason;
    net_http_request req;
} net_http_reader;

/* body_max: the largest request body accepted (LC_HTTP_BODY_MAX unless the route knows
 * better). */
void net_http_reader_init(net_http_reader *r, size_t body_max);
void net_http_reader_deinit(net_http_reader *r);
/* Returns 1 with *out_req (a complete request), 0 when all input was consumed and more is
 * needed, NET_HTTP_CONTINUE (see above; *out_req is NULL), or a negative LC_E* with
 * r->status / r->reason set. *out_consumed bytes were used. */
int net_http_reader_feed(net_http_reader *r, const char *data, size_t len, size_t *out_consumed,
                         net_http_request **out_req) LC_MUST_USE;

/* First header / query parameter with that (lowercase) name, or NULL. */
const char *net_http_header_get(const net_http_request *req, const char *name, size_t *out_len);
const char *net_http_query_get(const net_http_request *req, const char *name, size_t *out_len);
/* The request's credential (spec-client-protocol.md §3.1): "Authorization: Bearer <jwt>" if
 * that header is present, else the `token` query parameter. Returns 0 with the token
 * (borrowed from req), LC_ENOTFOUND when there is no credential, or LC_EDECODE when the
 * Authorization header is not a well-formed Bearer header (the caller answers 400
 * "Authorization is invalid: malformed token"). */
int net_http_bearer_token(const net_http_request *req, const char **out_token, size_t *out_len)
    LC_MUST_USE;
/* True if a comma-separated header value contains `token` (case-insensitive). */
bool net_http_has_token(const char *value, size_t len, const char *token);
/* Decodes %XX escapes (and '+' -> ' ' when plus_is_space) from in into out (room for n).
 * Returns the decoded length or -1 on a malformed escape. in and out may be equal. */
i64 net_http_percent_decode(const char *in, size_t n, char *out, bool plus_is_space);

/* ---- Responses (http_write.c) ---- */

/* "OK", "Not Found", ... ("Unknown" for others). */
const char *net_http_status_text(int status);
/* Status line and headers, then the blank line. Every response carries the permissive CORS
 * headers of spec-client-protocol.md §3.1. content_type NULL = none. CR/LF in extra header
 * values are replaced by spaces (no header injection). */
void net_http_write_head(lc_buf *out, int status, const char *content_type, size_t content_len,
                         bool keep_alive, const net_http_header *extra, size_t n_extra);
/* Head plus body. */
void net_http_write_response(lc_buf *out, int status, const char *content_type,
                             const void *body, size_t len, bool keep_alive,
                             const net_http_header *extra, size_t n_extra);
/* The answer to a CORS preflight (OPTIONS): 200, no body, allowed methods and headers. */
void net_http_write_preflight(lc_buf *out, bool keep_alive);
/* The reader's error as a plain-text response with "connection: close". */
void net_http_write_reader_error(lc_buf *out, const net_http_reader *r);

#endif
