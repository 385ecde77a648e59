/*
 * tests/fuzz/fuzz_http.c — libFuzzer target for net/http's request reader (and the WebSocket
 * handshake check on whatever requests come out).
 *
 * The credential (net_http_bearer_token) is part of the digest.
 *
 * Input byte 0 picks a split size (byte % 23 + 1). The rest is read once whole and once in
 * pieces of that size; both runs must produce the same requests (a CRC over method, decoded
 * path, headers, decoded query parameters, body, flags) and both must fail or neither: the
 * reader must not depend on how TCP happens to cut the stream. (Which status a bad request
 * gets may depend on the cut: a size limit can trip on a partial header field before
 * http-parser sees an invalid byte later in it, giving 431 instead of 400. Both refuse it.)
 * The body cap is 4 KiB so the 413 paths are reachable.
 */
#include <stdlib.h>

#include "base/crc32c.h"
#include "net/http.h"
#include "net/ws.h"

typedef struct run_result {
    u32 crc;
    int requests;
    int rc;
    int status;
} run_result;

static u32 crc_str(u32 crc, const char *s, size_t n)
{
    crc = lc_crc32c_update(crc, s, n);
    return lc_crc32c_update(crc, "\0", 1);
}

static u32 digest(u32 crc, const net_http_request *q)
{
    u8 flags[4] = {(u8)q->method, (u8)q->keep_alive, (u8)q->is_upgrade, (u8)q->http_minor};
    crc = lc_crc32c_update(crc, flags, 4);
    crc = crc_str(crc, q->url, q->url_len);
    crc = crc_str(crc, q->path, q->path_len);
    for (size_t i = 0; i < q->header_count; i++) {
        crc = crc_str(crc, q->headers[i].name, q->headers[i].name_len);
        crc = crc_str(crc, q->headers[i].value, q->headers[i].value_len);
    }
    for (size_t i = 0; i < q->param_count; i++) {
        crc = crc_str(crc, q->params[i].name, q->params[i].name_len);
        crc = crc_str(crc, q->params[i].value, q->params[i].value_len);
    }
    crc = crc_str(crc, (const char *)q->body, q->body_len);
    const char *tok;
    size_t tok_len;
    if (net_http_bearer_token(q, &tok, &tok_len) == 0) crc = crc_str(crc, tok, tok_len);
    char accept[NET_WS_ACCEPT_LEN + 1];
    net_ws_proto proto;
    int status;
    lc_errbuf eb;
    if (net_ws_handshake_check(q, accept, &proto, &status, &eb) == 0) {
        lc_buf b;
        lc_buf_init(&b);
        net_ws_write_101(&b, accept, proto, NULL, 0);
        lc_buf_deinit(&b);
    }
    return lc_crc32c_update(crc, &status, sizeof status);
}

static run_result read_all(const char *data, size_t n, size_t step)
{
    net_http_reader r;
    net_http_reader_init(&r, 4096);
    run_result res = {0, 0, 0, 0};
    size_t off = 0;
    while (off < n && res.rc >= 0) {
        size_t piece = LC_MIN(step, n - off), pos = 0;
        while (pos < piece) {
            size_t used;
            net_http_request *q;
            int rc = net_http_reader_feed(&r, data + off + pos, piece - pos, &used, &q);
            pos += used;
            if (rc < 0) {
                res.rc = rc;
                res.status = r.status;
                break;
            }
            if (rc == 1) {
                res.crc = digest(res.crc, q);
                res.requests++;
            } else if (used == 0) {
                break;
            }
        }
        off += piece;
    }
    if (res.rc < 0) {
        lc_buf b;
        lc_buf_init(&b);
        net_http_write_reader_error(&b, &r);
        lc_buf_deinit(&b);
    }
    net_http_reader_deinit(&r);
    return res;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    if (size < 1) return 0;
    const char *in = (const char *)data + 1;
    run_result whole = read_all(in, size - 1, size);
    run_result split = read_all(in, size - 1, (size_t)(data[0] % 23) + 1);
    if (whole.crc != split.crc || whole.requests != split.requests ||
        (whole.rc < 0) != (split.rc < 0))
        abort();
    return 0;
}
