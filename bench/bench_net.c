/*
 * bench/bench_net.c — throughput of the net/ building blocks, each against a baseline measured
 * in the same run so the ratio means something on any machine:
 *
 *   blake3 1 MiB             vs OpenSSL SHA-256 over the same bytes
 *   identity_from_claims     (two short BLAKE3 calls) per second
 *   ES256 mint / verify      tokens per second (verify = the per-connect cost)
 *   ws parse 4 KiB frames    vs memcpy of the same bytes (the parser unmasks and copies)
 *   http reader              typical 6-header requests per second
 *   gzip / brotli encode     64 KiB of BSATN-like rows, MB/s and ratio
 *
 * Usage: bench_net [seconds_per_case=1]
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/blake3.h"
#include "base/clock.h"
#include "net/http.h"
#include "net/identity.h"
#include "net/token.h"
#include "net/ws.h"

static double g_secs = 1.0;
static volatile u8 g_sink;

/* Runs fn(arg) repeatedly for g_secs; returns calls per second. */
static double rate(void (*fn)(void *), void *arg)
{
    u64 start = lc_now_ns(), n = 0, limit = (u64)(g_secs * 1e9);
    while (lc_now_ns() - start < limit) {
        for (int i = 0; i < 16; i++) fn(arg);
        n += 16;
    }
    return (double)n * 1e9 / (double)(lc_now_ns() - start);
}

static u8 g_data[1 << 20];

static void do_blake3(void *a)
{
    u8 out[32];
    lc_blake3_hash(g_data, sizeof g_data, out);
    g_sink ^= out[0];
}

static void do_sha256(void *a)
{
    u8 out[32];
    unsigned n;
    EVP_Digest(g_data, sizeof g_data, out, &n, EVP_sha256(), NULL);
    g_sink ^= out[0];
}

static void do_identity(void *a)
{
    net_identity id;
    net_identity_from_claims("localhost", 9, "0b9a2f8e-3c1d-4e5f-9a7b-1c2d3e4f5a6b", 36, &id);
    g_sink ^= id.be[5];
}

typedef struct tok_arg {
    net_keys *keys;
    char *token;
} tok_arg;

static void do_mint(void *a)
{
    tok_arg *t = a;
    char *tok;
    net_identity id;
    if (net_token_mint_new(t->keys, "localhost", 1700000000, &tok, &id, NULL) == 0) lc_free(tok);
}

static void do_verify(void *a)
{
    tok_arg *t = a;
    net_token_claims c;
    if (net_token_verify(t->keys, t->token, strlen(t->token), 1700000000, &c, NULL) == 0)
        net_token_claims_deinit(&c);
}

typedef struct ws_arg {
    lc_buf frames; /* 256 masked 4 KiB binary frames */
    net_ws_parser p;
} ws_arg;

static void do_ws_parse(void *a)
{
    ws_arg *w = a;
    size_t off = 0;
    while (off < w->frames.len) {
        size_t used;
        net_ws_event ev;
        if (net_ws_parser_feed(&w->p, w->frames.data + off, w->frames.len - off, &used, &ev) < 0)
            abort();
        off += used;
    }
}

static void do_memcpy(void *a)
{
    ws_arg *w = a;
    memcpy(g_data, w->frames.data, LC_MIN(w->frames.len, sizeof g_data));
    g_sink ^= g_data[100];
}

static const char HTTP_REQ[] =
    "POST /v1/database/bank/call/transfer HTTP/1.1\r\nhost: 127.0.0.1:3000\r\n"
    "authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.e30.sig\r\n"
    "content-type: application/json\r\naccept: */*\r\nuser-agent: bench\r\n"
    "content-length: 12\r\n\r\n[1, 2, 1000]";

static void do_http(void *a)
{
    net_http_reader *r = a;
    size_t used;
    net_http_request *q;
    if (net_http_reader_feed(r, HTTP_REQ, sizeof HTTP_REQ - 1, &used, &q) != 1) abort();
}

typedef struct enc_arg {
    net_ws_compression c;
    lc_buf out;
    size_t last;
} enc_arg;

static void do_encode(void *a)
{
    enc_arg *e = a;
    lc_buf_reset(&e->out);
    if (net_ws_msg_encode(&e->out, e->c, g_data, 64 << 10) != 0) abort();
    e->last = e->out.len;
}

static void bench_hashes(void)
{
    for (size_t i = 0; i < sizeof g_data; i++) g_data[i] = (u8)(i * 7 + (i >> 9));
    double b3 = rate(do_blake3, NULL), sha = rate(do_sha256, NULL);
    printf("blake3 1MiB            %8.0f MB/s   sha256 (OpenSSL) %8.0f MB/s   ratio %.2f\n",
           b3, sha, b3 / sha);
    printf("identity_from_claims   %8.0f /s\n", rate(do_identity, NULL));
}

static void bench_tokens(void)
{
    char dir[] = "/tmp/lc-bench-keys-XXXXXX", path[64];
    tok_arg t = {0};
    net_identity id;
    if (!mkdtemp(dir) || net_keys_open_dir(dir, &t.keys, NULL) != 0) abort();
    snprintf(path, sizeof path, "%s/id_ecdsa", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/id_ecdsa.pub", dir);
    unlink(path);
    rmdir(dir);
    if (net_token_mint_new(t.keys, "localhost", 1700000000, &t.token, &id, NULL)) abort();
    double mint = rate(do_mint, &t), verify = rate(do_verify, &t);
    printf("ES256 mint             %8.0f /s     verify %8.0f /s\n", mint, verify);
    lc_free(t.token);
    net_keys_destroy(t.keys);
}

static void bench_ws_http(void)
{
    ws_arg w;
    lc_buf_init(&w.frames);
    u8 mask[4] = {1, 2, 3, 4};
    for (int i = 0; i < 256; i++)
        net_ws_write_frame_masked(&w.frames, NET_WS_OP_BINARY, true, g_data, 4096, mask);
    net_ws_parser_init(&w.p, true, LC_WS_MESSAGE_MAX);
    double mb = (double)w.frames.len / 1e6;
    double ws = rate(do_ws_parse, &w) * mb, cp = rate(do_memcpy, &w) * mb;
    printf("ws parse 4KiB frames   %8.0f MB/s   memcpy %8.0f MB/s   ratio %.2f\n", ws, cp,
           ws / cp);
    net_ws_parser_deinit(&w.p);
    lc_buf_deinit(&w.frames);
    net_http_reader r;
    net_http_reader_init(&r, LC_HTTP_BODY_MAX);
    printf("http reader            %8.0f requests/s\n", rate(do_http, &r));
    net_http_reader_deinit(&r);
}

static void bench_compress(void)
{
    /* Rows of a bank table: u64 id, 32-byte identity, i64 balance, short name. */
    for (size_t i = 0; i + 64 <= sizeof g_data; i += 64) {
        u64 id = i / 64;
        memcpy(g_data + i, &id, 8);
        memset(g_data + i + 8, 0xc2, 32);
        memcpy(g_data + i + 40, &id, 8);
        snprintf((char *)g_data + i + 48, 16, "acct-%06llu", (unsigned long long)id);
    }
    static const net_ws_compression cs[] = {NET_WS_COMPRESS_GZIP, NET_WS_COMPRESS_BROTLI};
    static const char *names[] = {"gzip", "brotli"};
    for (int k = 0; k < 2; k++) {
        enc_arg e = {cs[k], {0}, 0};
        lc_buf_init(&e.out);
        double r = rate(do_encode, &e) * (65536 / 1e6);
        printf("%-6s encode 64KiB     %8.0f MB/s   size ratio %.3f\n", names[k], r,
               (double)e.last / 65536);
        lc_buf_deinit(&e.out);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) g_secs = atof(argv[1]);
    bench_hashes();
    bench_tokens();
    bench_ws_http();
    bench_compress();
    return 0;
}
