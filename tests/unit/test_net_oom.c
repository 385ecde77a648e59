/*
 * tests/unit/test_net_oom.c — net/ under allocation failure: for every k, the k-th lc_alloc of
 * a parse fails (lc_alloc_fail_after); the reader/parser/decoder must return LC_ENOMEM (or
 * succeed if it needed fewer allocations), never crash, and leak nothing (ASan's leak check
 * and the live-byte counter agree).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "harness.h"
#include "net/http.h"
#include "net/token.h"
#include "net/ws.h"

static const char REQ[] = "POST /v1/database/x/call/f?a=1&b=%41 HTTP/1.1\r\nHost: h\r\n"
                          "Content-Type: application/json\r\nContent-Length: 5\r\n\r\n[1,2]";

static int http_once(void)
{
    net_http_reader r;
    net_http_reader_init(&r, 1000);
    net_http_request *q;
    size_t used;
    int rc = net_http_reader_feed(&r, REQ, sizeof REQ - 1, &used, &q);
    if (rc == 1 && (q->body_len != 5 || strcmp(q->path, "/v1/database/x/call/f") != 0)) rc = -999;
    if (rc < 0 && rc != -999 && r.status != 503 && rc != LC_ENOMEM) rc = -998;
    net_http_reader_deinit(&r);
    return rc;
}

static int ws_once(const lc_buf *frames)
{
    net_ws_parser p;
    net_ws_parser_init(&p, true, 1 << 20);
    size_t used;
    net_ws_event ev;
    int rc = net_ws_parser_feed(&p, frames->data, frames->len, &used, &ev);
    if (rc == 1 && ev.len != 3000) rc = -999;
    net_ws_parser_deinit(&p);
    return rc;
}

static int decode_once(const lc_buf *msg)
{
    lc_buf out;
    lc_buf_init(&out);
    lc_errbuf eb;
    int rc = net_ws_msg_decode(msg->data, msg->len, 1 << 20, &out, &eb);
    if (rc == 0 && out.len != 3000) rc = -999;
    lc_buf_deinit(&out);
    return rc;
}

TEST(net_oom_every_allocation)
{
    lc_buf frames, msg;
    lc_buf_init(&frames);
    lc_buf_init(&msg);
    u8 body[3000];
    memset(body, 'z', sizeof body);
    u8 mask[4] = {1, 2, 3, 4};
    net_ws_write_frame_masked(&frames, NET_WS_OP_BINARY, true, body, sizeof body, mask);
    CHECK_OK(net_ws_msg_encode(&msg, NET_WS_COMPRESS_GZIP, body, sizeof body));
    lc_alloc_stats before, after;
    lc_alloc_get_stats(&before);
    int ok_http = 0, ok_ws = 0, ok_dec = 0;
    for (int k = 0; k < 40; k++) {
        lc_alloc_fail_after(k);
        int a = http_once(), b = ws_once(&frames), c = decode_once(&msg);
        lc_alloc_fail_after(-1);
        CHECK(a == 1 || a == LC_ENOMEM);
        CHECK(b == 1 || b == LC_ENOMEM);
        CHECK(c == 0 || c == LC_ENOMEM);
        ok_http += a == 1;
        ok_ws += b == 1;
        ok_dec += c == 0;
    }
    lc_alloc_get_stats(&after);
    CHECK_EQ(after.live_bytes, before.live_bytes);
    /* With enough allocations allowed, each one succeeds; with none, each one fails. */
    CHECK(ok_http > 0 && ok_http < 40);
    CHECK(ok_ws > 0 && ok_ws < 40);
    CHECK(ok_dec > 0 && ok_dec < 40);
    lc_buf_deinit(&frames);
    lc_buf_deinit(&msg);
}

TEST(net_oom_tokens)
{
    char dir[] = "/tmp/lc-test-oom-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    net_keys *k;
    lc_errbuf eb;
    CHECK_OK(net_keys_open_dir(dir, &k, &eb));
    snprintf(path, sizeof path, "%s/id_ecdsa", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/id_ecdsa.pub", dir);
    unlink(path);
    rmdir(dir);
    char *tok;
    net_identity id;
    CHECK_OK(net_token_mint_new(k, "localhost", 5, &tok, &id, &eb));
    lc_alloc_stats before, after;
    lc_alloc_get_stats(&before);
    int ok = 0;
    for (int n = 0; n < 12; n++) {
        net_token_claims c;
        char *t2 = NULL;
        lc_alloc_fail_after(n);
        int a = net_token_verify(k, tok, strlen(tok), 5, &c, &eb);
        int b = a == 0 ? net_token_mint_ws(k, &c, 5, 60, &t2, &eb) : LC_ENOMEM;
        lc_alloc_fail_after(-1);
        CHECK(a == 0 || a == LC_ENOMEM);
        CHECK(b == 0 || b == LC_ENOMEM);
        if (a == 0) net_token_claims_deinit(&c);
        lc_free(t2);
        ok += a == 0 && b == 0;
    }
    lc_alloc_get_stats(&after);
    CHECK_EQ(after.live_bytes, before.live_bytes);
    CHECK(ok > 0 && ok < 12);
    lc_free(tok);
    net_keys_destroy(k);
}
