/*
 * tests/fuzz/fuzz_http_out.c — libFuzzer target for the response side of procedures' outbound
 * HTTP (host/http_out.c): status line, headers, Content-Length / chunked / until-close bodies,
 * from untrusted bytes (whatever a remote server sends).
 *
 * Input: byte 0 picks the request method (even: GET, odd: HEAD); the rest is the answer.
 * Invariants (abort on violation): no crash, over-read or leak; on failure a negative LC_E*,
 * a message and empty outputs; on success the HttpResponse decodes exactly (header count
 * within HOST_HTTP_HEADERS_MAX, names and values inside the bytes, version tag 1 or 2, code
 * 100..999) and the body is within HOST_HTTP_BODY_MAX (empty for HEAD).
 * Built with MODE=fuzz (make fuzz-http-out); in other modes the same file builds a replay
 * program that tests/suites/46-http-out-fuzz-replay.sh runs over tests/fuzz/corpus/http_out
 * and saved reproducers (tests/fuzz/crashes/http_out-*) under ASan in `make MODE=asan test`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "host/http_out.h"

#define FUZZ_CHECK(c)                                                                       \
    do {                                                                                    \
        if (!(c)) {                                                                         \
            fprintf(stderr, "fuzz_http_out: invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *method = data[0] & 1 ? "HEAD" : "GET";
    lc_buf resp, body;
    lc_buf_init(&resp);
    lc_buf_init(&body);
    lc_errbuf eb = {{0}};
    int rc = host_http_parse_response(data + 1, size - 1, method, &resp, &body, &eb);
    if (rc) {
        FUZZ_CHECK(rc < 0 && eb.msg[0] && resp.len == 0 && body.len == 0);
    } else {
        lc_rd r;
        lc_rd_init(&r, resp.data, resp.len);
        u32 n = lc_rd_u32(&r);
        FUZZ_CHECK(n <= HOST_HTTP_HEADERS_MAX);
        for (u32 i = 0; i < n; i++) {
            FUZZ_CHECK(lc_rd_take(&r, lc_rd_u32(&r)) != NULL);
            FUZZ_CHECK(lc_rd_take(&r, lc_rd_u32(&r)) != NULL);
        }
        u8 version = lc_rd_u8(&r);
        u16 code = lc_rd_u16(&r);
        FUZZ_CHECK(!r.err && lc_rd_left(&r) == 0);
        FUZZ_CHECK(version == 1 || version == 2);
        FUZZ_CHECK(code >= 100 && code <= 999);
        FUZZ_CHECK(body.len <= HOST_HTTP_BODY_MAX);
        FUZZ_CHECK(!(data[0] & 1) || body.len == 0);
    }
    lc_buf_deinit(&resp);
    lc_buf_deinit(&body);
    return 0;
}
