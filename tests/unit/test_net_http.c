/*
 * tests/unit/test_net_http.c — net/http: the request reader (headers, path and query
 * decoding, bodies, keep-alive, pipelining, any split, upgrade hand-off, every limit with
 * its status), the response writer with CORS, and the WebSocket handshake check on the
 * upgrade request SDK 2.10.1 actually sends (spec-client-protocol.md §2.1).
 */
#include <string.h>

#include "base/alloc.h"
#include "harness.h"
#include "net/http.h"
#include "net/ws.h"

static const char SDK_UPGRADE[] =
    "GET /v1/database/probe-db/subscribe?token=short.lived.token&compression=None&light=true"
    "&confirmed=false HTTP/1.1\r\n"
    "host: 127.0.0.1:3000\r\n"
    "connection: upgrade\r\n"
    "upgrade: websocket\r\n"
    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "sec-websocket-version: 13\r\n"
    "sec-websocket-protocol: v3.bsatn.spacetimedb, v2.bsatn.spacetimedb\r\n"
    "sec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n"
    "accept: */*\r\n"
    "user-agent: node\r\n"
    "\r\n";

/* Feeds `in` in `step`-byte pieces until one request is ready. Returns 1, 0 or the error;
 * *out_used = bytes consumed in total. */
static int read_one(net_http_reader *r, const char *in, size_t n, size_t step,
                    net_http_request **out_req, size_t *out_used)
{
    size_t off = 0;
    *out_req = NULL;
    while (off < n) {
        size_t piece = step ? LC_MIN(step, n - off) : n - off, used;
        int rc = net_http_reader_feed(r, in + off, piece, &used, out_req);
        off += used;
        if (rc != 0) {
            *out_used = off;
            return rc;
        }
    }
    *out_used = off;
    return 0;
}

TEST(net_http_sdk_upgrade_any_split)
{
    static const size_t steps[] = {0, 1, 2, 7, 64};
    size_t n = strlen(SDK_UPGRADE);
    char buf[1024];
    memcpy(buf, SDK_UPGRADE, n);
    memcpy(buf + n, "\x82\x80WSWS", 6); /* the first WebSocket frame, right behind */
    for (size_t s = 0; s < LC_ARRAY_LEN(steps); s++) {
        net_http_reader r;
        net_http_reader_init(&r, 1024);
        net_http_request *q;
        size_t used;
        CHECK_EQ(read_one(&r, buf, n + 6, steps[s], &q, &used), 1);
        CHECK_EQ(used, n); /* stops right after the headers */
        CHECK(q->is_upgrade);
        CHECK_EQ(q->method, HTTP_GET);
        CHECK_STR(q->path, "/v1/database/probe-db/subscribe");
        CHECK_EQ(q->header_count, 9);
        size_t vl;
        CHECK_STR(net_http_query_get(q, "token", &vl), "short.lived.token");
        CHECK_STR(net_http_query_get(q, "compression", NULL), "None");
        CHECK_STR(net_http_query_get(q, "confirmed", NULL), "false");
        CHECK(net_http_query_get(q, "connection_id", NULL) == NULL);
        CHECK_STR(net_http_header_get(q, "host", NULL), "127.0.0.1:3000");
        char accept[NET_WS_ACCEPT_LEN + 1];
        net_ws_proto proto;
        int status;
        lc_errbuf eb;
        CHECK_OK(net_ws_handshake_check(q, accept, &proto, &status, &eb));
        CHECK_EQ(proto, NET_WS_PROTO_V3);
        CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        /* The reader takes nothing after an upgrade. */
        CHECK_ERR(net_http_reader_feed(&r, buf + n, 6, &used, &q), LC_ESTATE);
        net_http_reader_deinit(&r);
    }
}

/* Builds an upgrade request with some header lines replaced. */
static int check_handshake(const char *req_text, int *out_status, net_ws_proto *out_proto)
{
    net_http_reader r;
    net_http_reader_init(&r, 1024);
    net_http_request *q;
    size_t used;
    int rc = read_one(&r, req_text, strlen(req_text), 0, &q, &used);
    if (rc == 1) {
        char accept[NET_WS_ACCEPT_LEN + 1];
        lc_errbuf eb;
        rc = net_ws_handshake_check(q, accept, out_proto, out_status, &eb);
    } else {
        rc = 1000 + rc;
    }
    net_http_reader_deinit(&r);
    return rc;
}

TEST(net_http_ws_handshake_rejects)
{
    int status;
    net_ws_proto proto;
    const char *base = "GET /s HTTP/1.1\r\nupgrade: websocket\r\n"
                       "connection: keep-alive, Upgrade\r\n"
                       "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    char req[512];
    snprintf(req, sizeof req, "%ssec-websocket-version: 13\r\n"
                              "sec-websocket-protocol: v2.bsatn.spacetimedb\r\n\r\n", base);
    CHECK_OK(check_handshake(req, &status, &proto));
    CHECK_EQ(proto, NET_WS_PROTO_V2);
    /* Protocols split over two header lines: v3 still wins. */
    snprintf(req, sizeof req, "%ssec-websocket-version: 13\r\nsec-websocket-protocol: "
             "v2.bsatn.spacetimedb\r\nsec-websocket-protocol: v3.bsatn.spacetimedb\r\n\r\n", base);
    CHECK_OK(check_handshake(req, &status, &proto));
    CHECK_EQ(proto, NET_WS_PROTO_V3);
    snprintf(req, sizeof req, "%ssec-websocket-version: 13\r\n\r\n", base);
    CHECK_ERR(check_handshake(req, &status, &proto), LC_EPROTOCOL);
    CHECK_EQ(status, 400);
    snprintf(req, sizeof req, "%ssec-websocket-version: 8\r\n"
                              "sec-websocket-protocol: v2.bsatn.spacetimedb\r\n\r\n", base);
    CHECK_ERR(check_handshake(req, &status, &proto), LC_EPROTOCOL);
    CHECK_EQ(status, 426);
    snprintf(req, sizeof req, "GET /s HTTP/1.1\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
             "sec-websocket-key: short\r\nsec-websocket-version: 13\r\n"
             "sec-websocket-protocol: v2.bsatn.spacetimedb\r\n\r\n");
    CHECK_ERR(check_handshake(req, &status, &proto), LC_EPROTOCOL);
    CHECK_EQ(status, 400);
    snprintf(req, sizeof req, "GET /s HTTP/1.1\r\nsec-websocket-version: 13\r\n\r\n");
    CHECK_ERR(check_handshake(req, &status, &proto), LC_EPROTOCOL);
}

TEST(net_http_101_response)
{
    lc_buf b;
    lc_buf_init(&b);
    net_http_header extra[] = {{"spacetime-identity", 18, "c200ab", 6}};
    net_ws_write_101(&b, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", NET_WS_PROTO_V3, extra, 1);
    lc_buf_put_u8(&b, 0);
    const char *t = (const char *)b.data;
    CHECK(strncmp(t, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
    CHECK(strstr(t, "\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != NULL);
    CHECK(strstr(t, "\r\nsec-websocket-protocol: v3.bsatn.spacetimedb\r\n") != NULL);
    CHECK(strstr(t, "\r\nupgrade: websocket\r\n") != NULL);
    CHECK(strstr(t, "\r\nspacetime-identity: c200ab\r\n") != NULL);
    CHECK(strstr(t, "content-length") == NULL);
    CHECK(strstr(t, "deflate") == NULL);
    CHECK_EQ(strcmp(t + strlen(t) - 4, "\r\n\r\n"), 0);
    lc_buf_deinit(&b);
}

TEST(net_http_bodies_pipelining_keepalive)
{
    const char *in = "POST /v1/database/x/call/add?a=%41%2b+b&&flag HTTP/1.1\r\n"
                     "Content-Type: application/json \t\r\nX-Empty: \r\nContent-Length: 9\r\n\r\n"
                     "[\"Alice\"]"
                     "POST /v1/identity HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
                     "GET /v1/ping HTTP/1.0\r\n\r\n"
                     "GET /v1/ping HTTP/1.1\r\nConnection: close\r\n\r\n";
    static const size_t steps[] = {0, 1, 3, 10};
    for (size_t s = 0; s < LC_ARRAY_LEN(steps); s++) {
        net_http_reader r;
        net_http_reader_init(&r, 100);
        net_http_request *q;
        size_t used, off = 0, n = strlen(in);
        CHECK_EQ(read_one(&r, in, n, steps[s], &q, &used), 1);
        off += used;
        CHECK_EQ(q->method, HTTP_POST);
        CHECK_STR(q->method_name, "POST");
        CHECK_STR(q->path, "/v1/database/x/call/add");
        CHECK_STR(q->query, "a=%41%2b+b&&flag");
        CHECK_EQ(q->param_count, 2);
        CHECK_STR(net_http_query_get(q, "a", NULL), "A+ b");
        CHECK_STR(net_http_query_get(q, "flag", NULL), "");
        CHECK_STR(net_http_header_get(q, "content-type", NULL), "application/json");
        size_t el = 99;
        CHECK_STR(net_http_header_get(q, "x-empty", &el), "");
        CHECK_EQ(el, 0);
        CHECK_EQ(q->body_len, 9);
        CHECK_MEM(q->body, "[\"Alice\"]", 9);
        CHECK(q->keep_alive && !q->is_upgrade);
        CHECK_EQ(read_one(&r, in + off, n - off, steps[s], &q, &used), 1);
        off += used;
        CHECK_STR(q->path, "/v1/identity");
        CHECK_EQ(q->body_len, 7);
        CHECK_MEM(q->body, "abcdefg", 7);
        CHECK_EQ(q->param_count, 0);
        CHECK_STR(q->query, "");
        CHECK_EQ(read_one(&r, in + off, n - off, steps[s], &q, &used), 1);
        off += used;
        CHECK(!q->keep_alive); /* HTTP/1.0 without keep-alive */
        CHECK_EQ(q->http_minor, 0);
        CHECK_EQ(read_one(&r, in + off, n - off, steps[s], &q, &used), 1);
        off += used;
        CHECK(!q->keep_alive);
        CHECK_EQ(off, n);
        net_http_reader_deinit(&r);
    }
}

/* Runs one request text through a reader; returns the feed result and the status. */
static int status_of(const char *in, size_t n, size_t body_max, int *out_status)
{
    net_http_reader r;
    net_http_reader_init(&r, body_max);
    net_http_request *q;
    size_t used;
    int rc = read_one(&r, in, n, 0, &q, &used);
    *out_status = r.status;
    net_http_reader_deinit(&r);
    return rc;
}

TEST(net_http_limits)
{
    int st;
    size_t cap = 64 << 10;
    char *big = lc_alloc(cap);
    CHECK(big != NULL);
    /* URL of LC_HTTP_URL_MAX is fine, one more byte is 414. */
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = 0;
        n += (size_t)sprintf(big, "GET /");
        memset(big + n, 'u', LC_HTTP_URL_MAX - 1 + (size_t)extra);
        n += LC_HTTP_URL_MAX - 1 + (size_t)extra;
        n += (size_t)sprintf(big + n, " HTTP/1.1\r\n\r\n");
        int rc = status_of(big, n, 10, &st);
        if (extra) {
            CHECK_ERR(rc, LC_ELIMIT);
            CHECK_EQ(st, 414);
        } else {
            CHECK_EQ(rc, 1);
        }
    }
    /* LC_HTTP_HEADERS_MAX fields fine, one more is 431. */
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
        for (int i = 0; i < LC_HTTP_HEADERS_MAX + extra; i++)
            n += (size_t)sprintf(big + n, "h%d: v\r\n", i);
        n += (size_t)sprintf(big + n, "\r\n");
        int rc = status_of(big, n, 10, &st);
        if (extra) CHECK_EQ(st, 431);
        else CHECK_EQ(rc, 1);
    }
    /* One huge header value: 431. */
    size_t n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nx: ");
    memset(big + n, 'v', LC_HTTP_HEADER_SIZE_MAX);
    n += LC_HTTP_HEADER_SIZE_MAX;
    n += (size_t)sprintf(big + n, "\r\n\r\n");
    CHECK_ERR(status_of(big, n, 10, &st), LC_ELIMIT);
    CHECK_EQ(st, 431);
    lc_free(big);
    /* Declared body over the cap: 413 before the body arrives. */
    const char *cl = "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n";
    CHECK_ERR(status_of(cl, strlen(cl), 10, &st), LC_ELIMIT);
    CHECK_EQ(st, 413);
    const char *ch = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n"
                     "8\r\n12345678\r\n0\r\n\r\n";
    CHECK_ERR(status_of(ch, strlen(ch), 10, &st), LC_ELIMIT);
    CHECK_EQ(st, 413);
    CHECK_EQ(status_of(ch, strlen(ch), 16, &st), 1);
    /* Malformed input: 400. */
    static const char *bad[] = {"GARBAGE\r\n\r\n", "GET / HTTP/9\r\n\r\n",
                                "GET /%zz HTTP/1.1\r\n\r\n", "GET /?a=%4 HTTP/1.1\r\n\r\n",
                                "GET /a%00b HTTP/1.1\r\n\r\n",
                                "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                                "GET / HTTP/1.1\r\nbad header\r\n\r\n"};
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
        int rc = status_of(bad[i], strlen(bad[i]), 10, &st);
        if (rc >= 0 || st != 400) {
            lc_test_fail(__FILE__, __LINE__, "bad[%zu]: rc %d status %d", i, rc, st);
            return;
        }
    }
}

TEST(net_http_response_writer)
{
    lc_buf b;
    lc_buf_init(&b);
    net_http_header extra[] = {{"spacetime-identity-token", 24, "abc\r\nevil: 1", 12}};
    net_http_write_response(&b, 200, "application/json", "{}", 2, true, extra, 1);
    lc_buf_put_u8(&b, 0);
    CHECK_STR((const char *)b.data, "HTTP/1.1 200 OK\r\n"
                                    "access-control-allow-origin: *\r\n"
                                    "access-control-expose-headers: *\r\n"
                                    "content-type: application/json\r\n"
                                    "content-length: 2\r\n"
                                    "connection: keep-alive\r\n"
                                    "spacetime-identity-token: abc  evil: 1\r\n"
                                    "\r\n{}");
    lc_buf_reset(&b);
    net_http_write_preflight(&b, false);
    lc_buf_put_u8(&b, 0);
    const char *t = (const char *)b.data;
    CHECK(strstr(t, "access-control-allow-headers: authorization, accept, content-type\r\n"));
    CHECK(strstr(t, "access-control-allow-methods: GET, POST, PUT, DELETE, PATCH, OPTIONS\r\n"));
    CHECK(strstr(t, "connection: close\r\n"));
    lc_buf_reset(&b);
    net_http_write_response(&b, 204, NULL, NULL, 0, true, NULL, 0);
    lc_buf_put_u8(&b, 0);
    CHECK(strstr((const char *)b.data, "content-length") == NULL);
    /* A reader error becomes a plain-text answer that closes the connection. */
    net_http_reader r;
    net_http_reader_init(&r, 1);
    net_http_request *q;
    size_t used;
    const char *in = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
    CHECK_ERR(net_http_reader_feed(&r, in, strlen(in), &used, &q), LC_ELIMIT);
    lc_buf_reset(&b);
    net_http_write_reader_error(&b, &r);
    lc_buf_put_u8(&b, 0);
    CHECK(strncmp((const char *)b.data, "HTTP/1.1 413 Payload Too Large\r\n", 32) == 0);
    CHECK(strstr((const char *)b.data, "connection: close\r\n\r\nPayload Too Large"));
    net_http_reader_deinit(&r);
    lc_buf_deinit(&b);
    CHECK(net_http_has_token("keep-alive, Upgrade", 19, "upgrade"));
    CHECK(!net_http_has_token("upgrades", 8, "upgrade"));
}

TEST(net_http_upgrade_with_body_any_split)
{
    /* Regression (found by fuzz_http): the parser flags `upgrade` once the headers are in;
     * a request with a body must still complete only after the whole body. */
    const char *in = "GET /s HTTP/1.1\r\nconnection: upgrade\r\nupgrade: websocket\r\n"
                     "content-length: 3\r\n\r\nabcXYZ";
    static const size_t steps[] = {0, 1, 2, 60};
    for (size_t s = 0; s < LC_ARRAY_LEN(steps); s++) {
        net_http_reader r;
        net_http_reader_init(&r, 100);
        net_http_request *q;
        size_t used;
        CHECK_EQ(read_one(&r, in, strlen(in), steps[s], &q, &used), 1);
        CHECK_EQ(used, strlen(in) - 3);
        CHECK(q->is_upgrade);
        CHECK_EQ(q->body_len, 3);
        CHECK_MEM(q->body, "abc", 3);
        net_http_reader_deinit(&r);
    }
}

TEST(net_http_expect_continue)
{
    net_http_reader r;
    net_http_reader_init(&r, 100);
    net_http_request *q;
    size_t used;
    const char *head = "POST /v1/database HTTP/1.1\r\nExpect: 100-Continue\r\n"
                       "Content-Length: 4\r\n\r\n";
    CHECK_EQ(net_http_reader_feed(&r, head, strlen(head), &used, &q), NET_HTTP_CONTINUE);
    CHECK_EQ(used, strlen(head));
    CHECK(q == NULL);
    CHECK_EQ(net_http_reader_feed(&r, "wa", 2, &used, &q), 0); /* only once */
    CHECK_EQ(net_http_reader_feed(&r, "sm", 2, &used, &q), 1);
    CHECK_EQ(q->body_len, 4);
    CHECK_MEM(q->body, "wasm", 4);
    /* Whole request in one piece: no CONTINUE, just the request. */
    const char *all = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx";
    CHECK_EQ(net_http_reader_feed(&r, all, strlen(all), &used, &q), 1);
    /* No body, no CONTINUE. */
    const char *nobody = "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n";
    CHECK_EQ(net_http_reader_feed(&r, nobody, strlen(nobody), &used, &q), 1);
    net_http_reader_deinit(&r);
}

/* Parses `in` and runs net_http_bearer_token on it; the token is copied to out. */
static int bearer_of(const char *in, char *out, size_t cap)
{
    net_http_reader r;
    net_http_reader_init(&r, 100);
    net_http_request *q;
    size_t used, n = 0;
    const char *t = NULL;
    int rc = net_http_reader_feed(&r, in, strlen(in), &used, &q);
    if (rc == 1) rc = net_http_bearer_token(q, &t, &n);
    else rc = 1000;
    if (rc == 0) snprintf(out, cap, "%.*s", (int)n, t);
    net_http_reader_deinit(&r);
    return rc;
}

TEST(net_http_bearer_token)
{
    char tok[64];
    CHECK_OK(bearer_of("GET / HTTP/1.1\r\nAuthorization: Bearer a.b.c\r\n\r\n", tok, 64));
    CHECK_STR(tok, "a.b.c");
    CHECK_OK(bearer_of("GET / HTTP/1.1\r\nauthorization: bearer   x.y.z \r\n\r\n", tok, 64));
    CHECK_STR(tok, "x.y.z");
    /* The header wins over the query parameter. */
    CHECK_OK(bearer_of("GET /?token=q.q.q HTTP/1.1\r\nAuthorization: Bearer h.h.h\r\n\r\n", tok,
                       64));
    CHECK_STR(tok, "h.h.h");
    CHECK_OK(bearer_of("GET /s?compression=Gzip&token=q%2Eq.q HTTP/1.1\r\n\r\n", tok, 64));
    CHECK_STR(tok, "q.q.q");
    CHECK_ERR(bearer_of("GET / HTTP/1.1\r\n\r\n", tok, 64), LC_ENOTFOUND);
    CHECK_ERR(bearer_of("GET /?token= HTTP/1.1\r\n\r\n", tok, 64), LC_ENOTFOUND);
    CHECK_ERR(bearer_of("GET / HTTP/1.1\r\nAuthorization: Basic dXNlcg==\r\n\r\n", tok, 64),
              LC_EDECODE);
    CHECK_ERR(bearer_of("GET / HTTP/1.1\r\nAuthorization: Bearer\r\n\r\n", tok, 64), LC_EDECODE);
    CHECK_ERR(bearer_of("GET / HTTP/1.1\r\nAuthorization: Bearer a b\r\n\r\n", tok, 64),
              LC_EDECODE);
}
