/*
 * tests/unit/test_server.c — the libuv HTTP server end to end over loopback: a server on a
 * free port (bind 0, read back), plain POSIX sockets as the client. Checks ping + CORS, the
 * identity flow (create -> websocket-token -> verify), public key, pipelined keep-alive
 * requests, limits (431), unknown routes (404) and unwired database routes (501); databases:
 * publish / republish / call over HTTP (status codes), CallReducer over WebSocket, pipelining
 * around a database call, restart on the same data dir, client_connected refusal (403 before any 101).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "harness.h"
#include "net_test_util.h"
#include "net/proto.h"
#include "net/ws.h"
#include "server/server.h"

/* Publishes quickstart-chat as `chat`: a WebSocket needs an existing database (an unknown
 * one is answered 404, as the reference). Defined at the end. */
static bool publish_chat(u16 port);

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static net_keys *make_keys(void)
{
    char dir[] = "/tmp/lc-test-srv-XXXXXX";
    if (!mkdtemp(dir)) return NULL;
    char sub[64];
    snprintf(sub, sizeof sub, "%s/k", dir);
    net_keys *k = NULL;
    lc_errbuf eb;
    if (net_keys_open_dir(sub, &k, &eb)) k = NULL;
    rm_tree(sub);
    rm_tree(dir);
    return k;
}

/* Sends req on a new connection and reads until the server closes; returns bytes read. */
static size_t http_exchange(u16 port, const char *req, size_t req_len, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return 0;
    }
    size_t off = 0;
    while (off < req_len) {
        ssize_t w = write(fd, req + off, req_len - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, out + n, cap - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        if (n == cap - 1) break;
    }
    out[n] = 0;
    close(fd);
    return n;
}

static size_t http_do(u16 port, const char *req, char *out, size_t cap)
{
    return http_exchange(port, req, strlen(req), out, cap);
}

/* Copies the JSON string value of "key" into out. */
static bool json_str(const char *body, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(body, pat);
    if (!p) return false;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return true;
}

TEST(server_http_identity_flow)
{
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.port = 0, .keys = keys, .issuer = "localhost"};
    server *s;
    lc_errbuf eb;
    CHECK_OK(server_start(&cfg, &s, &eb));
    u16 port = server_port(s);
    CHECK(port != 0);
    static char out[65536];

    http_do(port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(out, "ccess-control-allow-origin") || strstr(out, "ccess-Control-Allow-Origin"));

    http_do(port, "POST /v1/identity HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    char ident[80], token[4096];
    CHECK(json_str(out, "identity", ident, sizeof ident));
    CHECK_EQ(strlen(ident), 64);
    CHECK(json_str(out, "token", token, sizeof token));

    static char req[8192];
    snprintf(req, sizeof req, "POST /v1/identity/websocket-token HTTP/1.1\r\nHost: x\r\n"
             "Authorization: Bearer %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", token);
    http_do(port, req, out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    char wstok[4096];
    CHECK(json_str(out, "token", wstok, sizeof wstok));

    /* verify: the websocket token carries the same identity */
    snprintf(req, sizeof req, "GET /v1/identity/%s/verify HTTP/1.1\r\nHost: x\r\n"
             "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", ident, wstok);
    http_do(port, req, out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 204", 12) == 0);
    snprintf(req, sizeof req, "GET /v1/identity/%064d/verify HTTP/1.1\r\nHost: x\r\n"
             "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", 1, token);
    http_do(port, req, out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0);
    http_do(port, "POST /v1/identity/websocket-token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 401", 12) == 0);
    http_do(port, "POST /v1/identity/websocket-token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Authorization: Bearer a.b.c\r\nConnection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 401", 12) == 0);

    http_do(port, "GET /v1/identity/public-key HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(out, "-----BEGIN PUBLIC KEY-----") != NULL);
    server_stop(s);
    net_keys_destroy(keys);
}

TEST(server_http_keepalive_limits_routes)
{
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    static char out[65536];

    /* Three pipelined requests on one connection; the last one closes it. */
    http_do(port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n"
                  "OPTIONS /v1/identity HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    const char *p = strstr(out, "HTTP/1.1 200");
    CHECK(p == out);
    p = strstr(p + 1, "HTTP/1.1 200");
    CHECK(p != NULL);
    CHECK(strstr(p + 1, "HTTP/1.1 404") != NULL);

    http_do(port, "GET /v1/database/x/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 501", 12) == 0); /* /sql is POST only */

    /* A header block over LC_HTTP_HEADER_SIZE_MAX -> 431, and the connection closes. */
    size_t big = LC_HTTP_HEADER_SIZE_MAX + 100;
    char *req = lc_alloc(big + 128);
    int n = snprintf(req, 128, "GET /v1/ping HTTP/1.1\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 4);
    http_exchange(port, req, (size_t)n + big + 4, out, sizeof out);
    lc_free(req);
    CHECK(strncmp(out, "HTTP/1.1 431", 12) == 0);

    /* Garbage -> 400 and close; the server keeps serving others. */
    http_do(port, "\x01\x02 nonsense\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0);
    http_do(port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    server_stop(s);
    net_keys_destroy(keys);
}

/* ---- WebSocket: a tiny blocking client over net/ws.h ---- */

typedef struct wsc {
    int fd;
    net_ws_parser p;
    u8 pend[65536];
    size_t pend_len;
} wsc;

/* Upgrades; returns the HTTP status line code (101 on success). */
static int wsc_open_db(wsc *w, u16 port, const char *db, const char *query)
{
    memset(w, 0, sizeof *w);
    int status = net_test_ws_open(port, db, query, "v3.bsatn.spacetimedb, v2.bsatn.spacetimedb",
                                  &w->fd, w->pend, sizeof w->pend, &w->pend_len);
    if (status < 0) return -1;
    net_ws_parser_init(&w->p, false, LC_WS_MESSAGE_MAX);
    return status;
}

static int wsc_open(wsc *w, u16 port, const char *query)
{
    return wsc_open_db(w, port, "chat", query);
}

/* Next event; a binary message is decompressed into body. Returns the opcode or -1. */
static int wsc_next(wsc *w, lc_buf *body, u16 *close_code)
{
    for (;;) {
        size_t used = 0;
        net_ws_event ev;
        int rc = net_ws_parser_feed(&w->p, w->pend, w->pend_len, &used, &ev);
        memmove(w->pend, w->pend + used, w->pend_len - used);
        w->pend_len -= used;
        if (rc < 0) return -1;
        if (rc == 1) {
            if (ev.opcode == NET_WS_OP_CLOSE && close_code) *close_code = ev.close_code;
            if (ev.opcode == NET_WS_OP_BINARY) {
                lc_buf_reset(body);
                if (net_ws_msg_decode(ev.data, ev.len, LC_WS_DECOMPRESSED_MAX, body, NULL))
                    return -1;
            }
            return ev.opcode;
        }
        ssize_t r = read(w->fd, w->pend + w->pend_len, sizeof w->pend - w->pend_len);
        if (r <= 0) return -1;
        w->pend_len += (size_t)r;
    }
}

static void wsc_send(wsc *w, u8 opcode, const void *p, size_t n)
{
    lc_buf f;
    lc_buf_init(&f);
    static const u8 mask[4] = {1, 2, 3, 4};
    net_ws_write_frame_masked(&f, opcode, true, p, n, mask);
    if (write(w->fd, f.data, f.len) != (ssize_t)f.len) f.err = LC_EIO;
    lc_buf_deinit(&f);
}

static void wsc_close(wsc *w)
{
    close(w->fd);
    net_ws_parser_deinit(&w->p);
}

TEST(server_ws_initial_connection_calls_and_malformed)
{
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    static wsc a, b;
    lc_buf body;
    lc_buf_init(&body);

    /* An unknown database is refused before the upgrade. */
    CHECK_EQ(wsc_open_db(&a, port, "nodb", "?compression=Gzip"), 404);
    wsc_close(&a);
    CHECK(publish_chat(port));
    /* Anonymous: InitialConnection first, with a minted token that verifies. */
    CHECK_EQ(wsc_open(&a, port, "?compression=Gzip"), 101);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
    CHECK(body.len > 1 + 32 + 16 + 4);
    CHECK_EQ(body.data[0], NET_SMSG_INITIAL_CONNECTION);
    u32 tl = lc_load_u32(body.data + 49);
    CHECK_EQ(body.len, 53 + tl);
    net_token_claims cl;
    CHECK_OK(net_token_verify(keys, (const char *)body.data + 53, tl, lc_now_micros() / 1000000,
                              &cl, NULL));
    u8 wire[32];
    net_identity_to_wire(&cl.identity, wire);
    CHECK(memcmp(wire, body.data + 1, 32) == 0);
    net_token_claims_deinit(&cl);

    /* A reducer call gets a ReducerResult for its request id (no such reducer:
     * InternalError). */
    lc_buf m;
    lc_buf_init(&m);
    net_proto_put_call(&m, NET_CMSG_CALL_REDUCER, 41, "add", 3, "", 0);
    net_proto_put_call(&m, NET_CMSG_CALL_PROCEDURE, 42, "p", 1, "", 0); /* v3: batched */
    wsc_send(&a, NET_WS_OP_BINARY, m.data, m.len);
    /* Both calls go through the database thread; their replies come back in one v3 frame
     * or two (the loop coalesces what one drain produced), in request order. */
    u8 tag;
    bool has;
    u32 req;
    int seen = 0;
    for (int k = 0; k < 2 && seen != 3; k++) {
        CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
        size_t off = 0;
        while (off < body.len) {
            const u8 *p = body.data + off;
            CHECK_OK(net_proto_server_peek(p, body.len - off, &tag, &has, &req));
            if (tag == NET_SMSG_REDUCER_RESULT) { /* InternalError(str) */
                CHECK_EQ(req, 41);
                CHECK_EQ(p[13], NET_REDUCER_INTERNAL_ERROR);
                off += 14 + 4 + (size_t)lc_load_u32(p + 14);
                seen |= 1;
            } else {
                CHECK_EQ(tag, NET_SMSG_PROCEDURE_RESULT);
                CHECK_EQ(req, 42);
                CHECK_EQ(p[1], NET_PROC_INTERNAL_ERROR); /* no such procedure */
                off += 2 + 4 + (size_t)lc_load_u32(p + 2) + 8 + 8 + 4;
                seen |= 2;
            }
        }
        CHECK_EQ(off, body.len);
    }
    CHECK_EQ(seen, 3);

    /* Second client with a token; then a malformed frame closes only the first. */
    char q[4096];
    lc_buf_reset(&m);
    CHECK_EQ(wsc_open(&b, port, "?compression=None"), 101);
    CHECK_EQ(wsc_next(&b, &body, NULL), NET_WS_OP_BINARY);
    snprintf(q, sizeof q, "?token=%.*s", (int)lc_load_u32(body.data + 49), body.data + 53);
    wsc_close(&b);
    CHECK_EQ(wsc_open(&b, port, q), 101);
    CHECK_EQ(wsc_next(&b, &body, NULL), NET_WS_OP_BINARY);
    CHECK_EQ(body.data[0], NET_SMSG_INITIAL_CONNECTION);

    wsc_send(&a, NET_WS_OP_BINARY, "\x09\x00", 2);
    u16 code = 0;
    CHECK_EQ(wsc_next(&a, &body, &code), NET_WS_OP_CLOSE);
    CHECK_EQ(code, NET_WS_CLOSE_INTERNAL);

    net_proto_put_one_off_query(&m, 7, "SELECT 1", 8);
    wsc_send(&b, NET_WS_OP_BINARY, m.data, m.len);
    CHECK_EQ(wsc_next(&b, &body, NULL), NET_WS_OP_BINARY);
    CHECK_OK(net_proto_server_peek(body.data, body.len, &tag, &has, &req));
    CHECK_EQ(tag, NET_SMSG_ONE_OFF_QUERY_RESULT);
    CHECK_EQ(req, 7);

    /* A bad token is refused with 401 before the upgrade. */
    static wsc c;
    CHECK_EQ(wsc_open(&c, port, "?token=a.b.c"), 401);
    close(c.fd);
    wsc_close(&a);
    wsc_close(&b);
    lc_buf_deinit(&m);
    lc_buf_deinit(&body);
    server_stop(s);
    net_keys_destroy(keys);
}

/* A client that never reads is dropped once its unsent output passes outq_max, and other
 * clients are unaffected. */
TEST(server_ws_slow_client_dropped)
{
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys, .outq_max = 64 * 1024};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    static wsc a, b;
    lc_buf body;
    lc_buf_init(&body);
    CHECK(publish_chat(port));
    CHECK_EQ(wsc_open(&a, port, "?compression=None"), 101);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
    /* 200k calls in one v3 frame: ~16 MB of replies, far beyond socket buffers + 64 KiB. */
    enum { CALLS = 200000 };
    lc_buf m;
    lc_buf_init(&m);
    for (u32 i = 0; i < CALLS; i++) net_proto_put_call(&m, NET_CMSG_CALL_REDUCER, i, "r", 1, "", 0);
    wsc_send(&a, NET_WS_OP_BINARY, m.data, m.len);
    lc_buf_deinit(&m);
    /* Without reading, wait (up to 20 s, sanitizers are slow) for the server to drop us. */
    for (int i = 0; i < 200 && server_slow_drops(s) == 0; i++) usleep(100 * 1000);
    CHECK_EQ(server_slow_drops(s), 1);
    /* Now read everything: the stream must end well before all replies arrived. */
    size_t got = 0;
    u8 tmp[65536];
    for (;;) {
        ssize_t r = read(a.fd, tmp, sizeof tmp);
        if (r <= 0) break;
        got += (size_t)r;
    }
    CHECK(got < (size_t)CALLS * 60);
    CHECK_EQ(wsc_open(&b, port, ""), 101);
    CHECK_EQ(wsc_next(&b, &body, NULL), NET_WS_OP_BINARY);
    CHECK_EQ(body.data[0], NET_SMSG_INITIAL_CONNECTION);
    wsc_close(&a);
    wsc_close(&b);
    lc_buf_deinit(&body);
    server_stop(s);
    net_keys_destroy(keys);
}

/* ---- databases: publish / call over HTTP and WebSocket (server/dbwork.h) ---- */

#include <ftw.h>

#include "host/host_test_util.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

/* Bearer token sent by http_post when non-empty (the owner's, for a republish). */
static char http_auth[1024];

/* Copies the spacetime-identity-token header of a response into http_auth. */
static void http_auth_from(const char *resp)
{
    const char *p = strstr(resp, "spacetime-identity-token: ");
    http_auth[0] = 0;
    if (!p) return;
    p += strlen("spacetime-identity-token: ");
    size_t n = strcspn(p, "\r\n");
    if (n < sizeof http_auth) { memcpy(http_auth, p, n); http_auth[n] = 0; }
}

/* POST path with body; Connection: close. Returns the status code, body copied to out. */
static int http_post(u16 port, const char *method, const char *path, const void *body,
                     size_t n, char *out, size_t cap)
{
    char head[1536], auth[1100] = "";
    if (http_auth[0]) snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", http_auth);
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, auth, n);
    char *req = lc_alloc((size_t)hl + n);
    memcpy(req, head, (size_t)hl);
    if (n) memcpy(req + hl, body, n);
    size_t got = http_exchange(port, req, (size_t)hl + n, out, cap);
    lc_free(req);
    if (got < 12) return -1;
    return atoi(out + 9);
}

static int call_json(u16 port, const char *db, const char *fn, const char *args, char *out,
                     size_t cap)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/database/%s/call/%s", db, fn);
    return http_post(port, "POST", path, args, strlen(args), out, cap);
}

static void put_transfer(lc_buf *m, u32 req, u32 from, u32 to, i64 amount)
{
    u8 a[16];
    lc_store_u32(a, from);
    lc_store_u32(a + 4, to);
    lc_store_u64(a + 8, (u64)amount);
    net_proto_put_call(m, NET_CMSG_CALL_REDUCER, req, "transfer", 8, a, 16);
}

TEST(server_db_publish_call_http_ws_republish_restart)
{
    size_t wlen = 0;
    u8 *wasm = host_test_wasm("keynote-bank", &wlen);
    CHECK(wasm != NULL);
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    char dir[] = "/tmp/lc-test-srvdb-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    server_config cfg = {.keys = keys, .data_dir = data};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    static char out[65536];

    /* Publish (anonymous: a minted identity owns it; its token republishes), then calls:
     * success, the module's error as 530, unknown reducer / db 404. */
    http_auth[0] = 0;
    CHECK_EQ(http_post(port, "POST", "/v1/database/bank", wasm, wlen, out, sizeof out), 200);
    http_auth_from(out);
    CHECK(http_auth[0] != 0);
    CHECK(strstr(out, "{\"Success\":{\"domain\":\"bank\",\"database_identity\":\"") != NULL);
    CHECK(strstr(out, "\"op\":\"created\"}}") != NULL);
    CHECK_EQ(call_json(port, "bank", "seed", "[10, 100]", out, sizeof out), 200);
    CHECK_EQ(call_json(port, "bank", "transfer", "[0, 1, 30]", out, sizeof out), 200);
    CHECK_EQ(call_json(port, "bank", "transfer", "{\"from\":0,\"to\":1,\"amount\":1000}", out,
                       sizeof out), 530);
    CHECK(strstr(out, "insufficient_funds") != NULL);
    CHECK_EQ(call_json(port, "bank", "nope", "[]", out, sizeof out), 404);
    CHECK_EQ(call_json(port, "bank", "transfer", "[\"x\"]", out, sizeof out), 400);
    CHECK_EQ(call_json(port, "nobank", "transfer", "[0, 1, 1]", out, sizeof out), 404);
    CHECK_EQ(call_json(port, "bank", "transfer", "[0, 1, 1]", out, sizeof out), 200);
    CHECK_EQ(http_post(port, "POST", "/v1/database/bank", "junk", 4, out, sizeof out), 400);

    /* Pipelined: a database call then a ping on one connection answer in order. */
    const char *pipe2 = "POST /v1/database/bank/call/transfer HTTP/1.1\r\nHost: x\r\n"
                        "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n[1, 0, 1]"
                        "GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    CHECK(http_do(port, pipe2, out, sizeof out) > 0);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    char *second = strstr(out + 12, "HTTP/1.1 200");
    CHECK(second != NULL);

    /* WebSocket: client_connected, CallReducer -> ReducerResult Ok / Err. Balances now
     * 0: 70, 1: 130. */
    static wsc a;
    lc_buf body, m;
    lc_buf_init(&body);
    lc_buf_init(&m);
    CHECK_EQ(wsc_open_db(&a, port, "bank", "?compression=None"), 101);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
    CHECK_EQ(body.data[0], NET_SMSG_INITIAL_CONNECTION);
    put_transfer(&m, 5, 0, 1, 5);
    wsc_send(&a, NET_WS_OP_BINARY, m.data, m.len);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
    u8 tag;
    bool has;
    u32 req;
    CHECK_OK(net_proto_server_peek(body.data, body.len, &tag, &has, &req));
    CHECK_EQ(tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(req, 5);
    CHECK_EQ(body.data[13], NET_REDUCER_OK);
    lc_buf_reset(&m);
    put_transfer(&m, 6, 0, 1, 1000);
    wsc_send(&a, NET_WS_OP_BINARY, m.data, m.len);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
    CHECK_OK(net_proto_server_peek(body.data, body.len, &tag, &has, &req));
    CHECK_EQ(req, 6);
    CHECK_EQ(body.data[13], NET_REDUCER_ERR);
    CHECK(memmem(body.data, body.len, "insufficient_funds", 18) != NULL);
    wsc_close(&a);

    /* Republish keeps the rows: 1 holds 135, so 130 moves and then 10 does not. */
    CHECK_EQ(http_post(port, "PUT", "/v1/database/bank", wasm, wlen, out, sizeof out), 200);
    CHECK(strstr(out, "\"op\":\"updated\"") != NULL);
    CHECK_EQ(call_json(port, "bank", "transfer", "[1, 0, 130]", out, sizeof out), 200);
    CHECK_EQ(call_json(port, "bank", "transfer", "[1, 0, 10]", out, sizeof out), 530);
    server_stop(s);

    /* Restart on the same data dir: the database is reopened from disk on first use. */
    CHECK_OK(server_start(&cfg, &s, NULL));
    port = server_port(s);
    CHECK_EQ(call_json(port, "bank", "transfer", "[1, 0, 6]", out, sizeof out), 530);
    CHECK_EQ(call_json(port, "bank", "transfer", "[1, 0, 5]", out, sizeof out), 200);
    server_stop(s);
    http_auth[0] = 0;

    lc_buf_deinit(&m);
    lc_buf_deinit(&body);
    lc_free(wasm);
    net_keys_destroy(keys);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* client_connected refusing (hosttest refuses once an item named "refuse" exists) answers the
 * upgrade with 403 instead of 101; before that, connections are accepted and calls run. */
TEST(server_db_ws_connect_refused)
{
    size_t wlen = 0;
    u8 *wasm = host_test_wasm("hosttest", &wlen);
    CHECK(wasm != NULL);
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys}; /* databases in memory */
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    static char out[65536];
    CHECK_EQ(http_post(port, "POST", "/v1/database/ht", wasm, wlen, out, sizeof out), 200);
    static wsc a, b;
    lc_buf body, m;
    lc_buf_init(&body);
    lc_buf_init(&m);
    CHECK_EQ(wsc_open_db(&a, port, "ht", "?compression=None"), 101);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
    net_proto_put_call(&m, NET_CMSG_CALL_REDUCER, 9, "noop", 4, "", 0);
    wsc_send(&a, NET_WS_OP_BINARY, m.data, m.len);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
    CHECK_EQ(body.data[0], NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(body.data[13], NET_REDUCER_OK);
    wsc_close(&a);
    CHECK_EQ(call_json(port, "ht", "on_connect", "[]", out, sizeof out), 400); /* lifecycle */
    CHECK_EQ(call_json(port, "ht", "add", "[\"refuse\", 1]", out, sizeof out), 200);
    /* an HTTP call connects first: a refusing client_connected answers 403, runs nothing */
    CHECK_EQ(call_json(port, "ht", "add", "[\"x\", 1]", out, sizeof out), 403);
    CHECK_EQ(wsc_open_db(&b, port, "ht", "?compression=None"), 403); /* no 101 */
    wsc_close(&b);
    lc_buf_deinit(&m);
    lc_buf_deinit(&body);
    server_stop(s);
    lc_free(wasm);
    net_keys_destroy(keys);
}

static bool publish_chat(u16 port)
{
    size_t n = 0;
    u8 *wasm = host_test_wasm("quickstart-chat", &n);
    static char out[4096];
    bool ok = wasm && http_post(port, "POST", "/v1/database/chat", wasm, n, out, sizeof out) == 200;
    lc_free(wasm);
    return ok;
}

/* ---- WebSocket CallProcedure (tests/host/mini_wasm.h's module) ---- */

#include "host/mini_wasm.h"
#include "value/value.h"

/* A V10 description with no table and procedures answer / insert_tx / fails (ids = positions,
 * the module's __call_procedure__ switches on them), each public, no params, returning u32. */
static void proc_desc(lc_buf *b)
{
    lc_buf_put_u8(b, 2);
    lc_buf_put_u32(b, 2);
    lc_buf_put_u8(b, 0); /* Typespace: empty */
    lc_buf_put_u32(b, 0);
    lc_buf_put_u8(b, 4); /* Procedures */
    lc_buf_put_u32(b, 3);
    const char *procs[3] = {"answer", "insert_tx", "fails"};
    for (int i = 0; i < 3; i++) {
        lc_buf_put_str(b, procs[i], (u32)strlen(procs[i]));
        lc_buf_put_u32(b, 0);
        lc_buf_put_u8(b, LC_T_U32);
        lc_buf_put_u8(b, 1); /* Public */
    }
}

/* ProcedureResult fields (spec-client-protocol.md §2.5; request_id last). */
static bool proc_result_parse(const lc_buf *body, u8 *status, lc_buf *payload, i64 *ts,
                              i64 *dur, u32 *req)
{
    lc_rd r;
    lc_rd_init(&r, body->data, body->len);
    if (lc_rd_u8(&r) != NET_SMSG_PROCEDURE_RESULT) return false;
    *status = lc_rd_u8(&r);
    u32 n = lc_rd_u32(&r);
    const u8 *p = lc_rd_take(&r, n);
    lc_buf_reset(payload);
    if (p) lc_buf_put(payload, p, n);
    lc_buf_put_u8(payload, 0); /* NUL-terminated for strstr; len counts the payload only */
    payload->len--;
    *ts = (i64)lc_rd_u64(&r);
    *dur = (i64)lc_rd_u64(&r);
    *req = lc_rd_u32(&r);
    return !r.err && lc_rd_left(&r) == 0;
}

/* CallProcedure runs the procedure on the database worker: Returned(BSATN u32 42) with the
 * call's timestamp and duration; a failing or unknown procedure answers InternalError; each
 * answer carries its request id. */
TEST(server_ws_call_procedure)
{
    lc_buf d, w;
    lc_buf_init(&d);
    lc_buf_init(&w);
    proc_desc(&d);
    u8 result[4] = {42, 0, 0, 0}, row[12] = {0};
    mw_build(&w, d.data, d.len, result, sizeof result, row, sizeof row);
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    static char out[65536];
    http_auth[0] = 0;
    CHECK_EQ(http_post(port, "POST", "/v1/database/pr", w.data, w.len, out, sizeof out), 200);
    static wsc a;
    lc_buf body, m, pay;
    lc_buf_init(&body);
    lc_buf_init(&m);
    lc_buf_init(&pay);
    CHECK_EQ(wsc_open_db(&a, port, "pr", "?compression=None"), 101);
    CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY); /* InitialConnection */
    i64 before = lc_now_micros();
    static const struct { const char *fn; u32 req; u8 status; } calls[] = {
        {"answer", 5, NET_PROC_RETURNED},
        {"fails", 6, NET_PROC_INTERNAL_ERROR},
        {"nope", 7, NET_PROC_INTERNAL_ERROR},
    };
    for (u32 i = 0; i < 3; i++) {
        lc_buf_reset(&m);
        net_proto_put_call(&m, NET_CMSG_CALL_PROCEDURE, calls[i].req, calls[i].fn,
                           (u32)strlen(calls[i].fn), "", 0);
        wsc_send(&a, NET_WS_OP_BINARY, m.data, m.len);
        CHECK_EQ(wsc_next(&a, &body, NULL), NET_WS_OP_BINARY);
        u8 st = 9;
        i64 ts = 0, dur = -1;
        u32 req = 0;
        CHECK(proc_result_parse(&body, &st, &pay, &ts, &dur, &req));
        CHECK_EQ(st, calls[i].status);
        CHECK_EQ(req, calls[i].req);
        CHECK(ts >= before && ts <= lc_now_micros());
        CHECK(dur >= 0 && dur < 60 * 1000000);
        if (i == 0) {
            CHECK_EQ(pay.len, 4);
            CHECK_EQ(lc_load_u32(pay.data), 42);
        } else {
            CHECK(pay.len > 0); /* the error message */
        }
        if (i == 2) CHECK(strstr((const char *)pay.data, "nope") != NULL);
    }
    wsc_close(&a);
    lc_buf_deinit(&pay);
    lc_buf_deinit(&m);
    lc_buf_deinit(&body);
    lc_buf_deinit(&w);
    lc_buf_deinit(&d);
    server_stop(s);
    net_keys_destroy(keys);
}
