/*
 * host/http_out.h — outbound HTTP for procedures (`procedure_http_request`,
 * spec-module-abi.md §1.7.4 and §3.4 HttpRequest / HttpResponse).
 *
 * Design: one blocking HTTP/1.1 exchange per call on a fresh connection (`Connection:
 * close`): resolve (getaddrinfo), refuse private, loopback and link-local addresses unless
 * allowed (the reference host blocks them too), connect with a deadline, TLS for https://
 * (OpenSSL, the system's CA store, host name verified, SNI), write the request with
 * Content-Length, read the status line and headers (bounded), then the body by
 * Content-Length, chunked encoding or until close, bounded by HOST_HTTP_BODY_MAX. Every wait
 * counts against one deadline (the request's timeout, at most HOST_HTTP_TIMEOUT_MAX_MS).
 * It runs on the database thread, which waits meanwhile: that is why the deadline is short
 * and bounded (a procedure thread would lift this; not built yet).
 * The BSATN side (decoding HttpRequest, encoding HttpResponse) is here too, so abi.c only
 * moves bytes.
 */
#ifndef LC_HOST_HTTP_OUT_H
#define LC_HOST_HTTP_OUT_H

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"

/* Longest single procedure_sleep_until (the database thread waits as well). */
#define HOST_SLEEP_MAX_MS 5000u
/* Default and largest timeout of one outbound request (the database thread waits). */
#define HOST_HTTP_TIMEOUT_DEFAULT_MS 10000u
#define HOST_HTTP_TIMEOUT_MAX_MS 10000u
/* Response head (status line + headers) and body bounds; header count bound. */
#define HOST_HTTP_HEAD_MAX (64u << 10)
#define HOST_HTTP_BODY_MAX (16u << 20)
#define HOST_HTTP_HEADERS_MAX 128u
/* Request URI length bound. */
#define HOST_HTTP_URI_MAX 8192u

typedef struct host_http_opts {
    bool allow_private; /* loopback / private / link-local targets allowed (tests, dev) */
} host_http_opts;

/* Performs the request whose BSATN HttpRequest is req[0, req_len) with body body[0, blen).
 * On a response (any status): 0, out_resp = BSATN HttpResponse, out_body = the raw body.
 * On a bad encoding: LC_EDECODE. On a transport failure (bad URI, blocked or unreachable
 * address, TLS, timeout, oversize or malformed response): LC_EIO with the reason in eb. */
int host_http_fetch(const host_http_opts *o, const u8 *req, size_t req_len, const u8 *body,
                    size_t blen, lc_buf *out_resp, lc_buf *out_body, lc_errbuf *eb) LC_MUST_USE;

/* The response part of host_http_fetch over bytes already received (the fuzz target and
 * tests): a request with `method` ("GET", "HEAD", ...) was sent; the bytes are the whole
 * answer up to the connection's close. Same results and errors. */
int host_http_parse_response(const u8 *bytes, size_t n, const char *method, lc_buf *out_resp,
                             lc_buf *out_body, lc_errbuf *eb) LC_MUST_USE;

#endif
