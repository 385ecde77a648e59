/*
 * bench/bench_sub.c — subscription fan-out through the real server (performance.md §4).
 *
 * In process: a server (in-memory database, examples/fanout module seeded with 10,000
 * entities), N WebSocket clients (v2, no compression, confirmed=false) subscribed to
 * `SELECT * FROM entity`, and one driver client calling move(rows): every transaction moves
 * `rows` entities, so every subscriber gets a TransactionUpdate of `rows` deletes + `rows`
 * inserts.
 * One thread reads every socket through epoll. A transaction is complete when all N
 * subscribers have its update; latency = driver send -> last subscriber's update (commit to
 * last delivery plus one call). `inflight` calls are kept outstanding.
 *
 * Reported: transactions/s, row updates delivered/s (2*rows per subscriber per tx), latency
 * p50/p99, first with 1 subscriber (the baseline of the same run), then with N, and the
 * per-subscriber cost ratio.
 *
 * Usage: bench_sub [clients=1000] [seconds=5] [rows=100] [inflight=4]
 *
 * Second mode, the keynote call path (performance.md §1, uniform pairs): a database in a
 * temporary directory (so confirmed reads wait for fsync), 100,000 accounts, `conns` clients
 * each keeping `inflight` transfer(from, to, 1) calls outstanding; counts Ok ReducerResults.
 * Run with confirmed=false (baseline) then confirmed=true in the same process.
 *
 * Usage: bench_sub keynote [conns=64] [seconds=5] [inflight=40]
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "net/proto.h"
#include "net/ws.h"
#include "net_test_util.h"
#include "server/server.h"

typedef struct bcl {
    int fd;
    net_ws_parser p;
    u8 *buf;
    size_t off, len, cap; /* unparsed bytes are buf[off, len) */
    u64 updates; /* TransactionUpdates received */
} bcl;

/* Next complete binary message body (without the compression tag); 1, 0 need more, -1. */
static int bcl_next(bcl *c, const u8 **body, size_t *n)
{
    size_t used = 0;
    net_ws_event ev;
    int rc = net_ws_parser_feed(&c->p, c->buf + c->off, c->len - c->off, &used, &ev);
    if (rc < 0) return -1;
    c->off += used; /* the parser copied what it keeps; ev.data is its own */
    if (c->off == c->len) c->off = c->len = 0;
    if (rc == 0) return 0;
    if (ev.opcode != NET_WS_OP_BINARY || ev.len < 2) return bcl_next(c, body, n);
    *body = ev.data + 1;
    *n = ev.len - 1;
    return 1;
}

static bool bcl_fill(bcl *c)
{
    if (c->off) { /* keep only the unparsed tail (a partial frame) */
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->cap - c->len < 4096) { /* grows only for a frame bigger than the buffer */
        c->cap = c->cap * 2 + 65536;
        c->buf = lc_realloc(c->buf, c->cap);
    }
    ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len - 1); /* 1 spare: a NUL */
    if (r <= 0) return false;
    c->len += (size_t)r;
    return true;
}

/* Blocking until one message arrives (setup phase). */
static int bcl_wait(bcl *c, const u8 **body, size_t *n)
{
    for (;;) {
        int rc = bcl_next(c, body, n);
        if (rc) return rc;
        if (!bcl_fill(c)) return -1;
    }
}

static const char *g_query = "?compression=None&confirmed=false";
static const char *g_db = "fanout";

static bool bcl_open(bcl *c, u16 port)
{
    memset(c, 0, sizeof *c);
    c->fd = net_test_connect(port);
    if (c->fd < 0) return false;
    char req[512];
    snprintf(req, sizeof req,
             "GET /v1/database/%s/subscribe%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v2.bsatn.spacetimedb\r\n\r\n",
             g_db, g_query);
    if (write(c->fd, req, strlen(req)) != (ssize_t)strlen(req)) return false;
    char *end = NULL;
    while (!end) {
        if (!bcl_fill(c)) return false;
        c->buf[c->len] = 0;
        end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    }
    size_t hl = (size_t)((u8 *)end + 4 - c->buf);
    memmove(c->buf, c->buf + hl, c->len - hl);
    c->len -= hl;
    net_ws_parser_init(&c->p, false, LC_WS_MESSAGE_MAX);
    const u8 *b;
    size_t n;
    return bcl_wait(c, &b, &n) == 1 && b[0] == NET_SMSG_INITIAL_CONNECTION;
}

static void bcl_send(bcl *c, const lc_buf *m)
{
    lc_buf f;
    lc_buf_init(&f);
    static const u8 mask[4] = {1, 2, 3, 4};
    net_ws_write_frame_masked(&f, NET_WS_OP_BINARY, true, m->data, m->len, mask);
    for (size_t off = 0; off < f.len;) {
        ssize_t w = write(c->fd, f.data + off, f.len - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    lc_buf_deinit(&f);
}

static int cmp_i64(const void *a, const void *b)
{
    i64 x = *(const i64 *)a, y = *(const i64 *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    double tps, rows_per_s;
    double p50_us, p99_us;
} result;

enum { WINDOW = 1024 };

/* Runs the closed loop for `secs` with clients cl[0..n) subscribed; drv calls seed. */
static result run(bcl *cl, u32 n, bcl *drv, double secs, u32 rows, u32 inflight, u64 *seq)
{
    int ep = epoll_create1(0);
    for (u32 i = 0; i < n; i++) {
        fcntl(cl[i].fd, F_SETFL, fcntl(cl[i].fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
        cl[i].updates = 0;
    }
    struct epoll_event dev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    fcntl(drv->fd, F_SETFL, fcntl(drv->fd, F_GETFL) | O_NONBLOCK);
    epoll_ctl(ep, EPOLL_CTL_ADD, drv->fd, &dev);
    static i64 sent_at[WINDOW];
    static u32 arrived[WINDOW];
    i64 *lat = lc_alloc(sizeof *lat * 4000000);
    u64 nlat = 0, next_tx = 0, done_tx = 0;
    lc_buf m;
    lc_buf_init(&m);
    i64 t0 = lc_now_micros(), tend = t0 + (i64)(secs * 1e6);
    while (lc_now_micros() < tend || done_tx < next_tx) {
        while (next_tx - done_tx < inflight && lc_now_micros() < tend) {
            u8 a[4];
            lc_store_u32(a, rows);
            ++*seq;
            lc_buf_reset(&m);
            net_proto_put_call(&m, NET_CMSG_CALL_REDUCER, (u32)next_tx, "move", 4, a, 4);
            sent_at[next_tx % WINDOW] = lc_now_micros();
            arrived[next_tx % WINDOW] = 0;
            next_tx++;
            bcl_send(drv, &m);
        }
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 1000);
        for (int e = 0; e < k; e++) {
            u32 i = evs[e].data.u32;
            bcl *c = i == UINT32_MAX ? drv : &cl[i];
            while (bcl_fill(c)) {
                const u8 *b;
                size_t bn;
                while (bcl_next(c, &b, &bn) == 1) {
                    if (c == drv || b[0] != NET_SMSG_TRANSACTION_UPDATE) continue;
                    u64 tx = c->updates++;
                    if (++arrived[tx % WINDOW] == n) {
                        lat[nlat++] = lc_now_micros() - sent_at[tx % WINDOW];
                        done_tx++;
                    }
                }
            }
        }
    }
    i64 t1 = lc_now_micros();
    close(ep);
    lc_buf_deinit(&m);
    qsort(lat, nlat, sizeof *lat, cmp_i64);
    result r = {0};
    double el = (double)(t1 - t0) / 1e6;
    r.tps = (double)done_tx / el;
    r.rows_per_s = r.tps * 2.0 * rows * n;
    r.p50_us = nlat ? (double)lat[nlat / 2] : 0;
    r.p99_us = nlat ? (double)lat[nlat * 99 / 100] : 0;
    lc_free(lat);
    for (u32 i = 0; i < n; i++) {
        fcntl(cl[i].fd, F_SETFL, fcntl(cl[i].fd, F_GETFL) & ~O_NONBLOCK);
    }
    fcntl(drv->fd, F_SETFL, fcntl(drv->fd, F_GETFL) & ~O_NONBLOCK);
    return r;
}

static bool subscribe(bcl *c)
{
    lc_buf m;
    lc_buf_init(&m);
    const char *q = "SELECT * FROM entity";
    net_pbytes qs = {(const u8 *)q, (u32)strlen(q)};
    net_proto_put_subscribe(&m, 1, 1, &qs, 1);
    bcl_send(c, &m);
    lc_buf_deinit(&m);
    const u8 *b;
    size_t n;
    return bcl_wait(c, &b, &n) == 1 && b[0] == NET_SMSG_SUBSCRIBE_APPLIED;
}

static u8 *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    u8 *p = lc_alloc((size_t)len);
    *n = fread(p, 1, (size_t)len, f);
    fclose(f);
    return p;
}

static u32 xorshift(u32 *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* v2: every message in m as its own frame, all in one write. */
static void send_each(bcl *c, const lc_buf *m)
{
    lc_buf f;
    lc_buf_init(&f);
    static const u8 mask[4] = {1, 2, 3, 4};
    lc_rd r;
    lc_rd_init(&r, m->data, m->len);
    while (lc_rd_left(&r)) {
        net_cmsg cm;
        const u8 *st = r.p;
        lc_errbuf eb;
        if (net_proto_client_decode_next(&r, &cm, &eb)) break;
        net_proto_cmsg_free(&cm);
        net_ws_write_frame_masked(&f, NET_WS_OP_BINARY, true, st, (size_t)(r.p - st), mask);
    }
    for (size_t off = 0; off < f.len;) {
        ssize_t w = write(c->fd, f.data + off, f.len - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    lc_buf_deinit(&f);
}

/* Keynote closed loop: conns clients x inflight transfers; returns Ok results per second and
 * latency percentiles in *out_p50 and *out_p99 (microseconds). */
static double keynote_run(u16 port, u32 conns, double secs, u32 inflight, double *out_p50,
                          double *out_p99)
{
    enum { ACCOUNTS = 100000 };
    bcl *cl = lc_calloc(conns, sizeof *cl);
    int ep = epoll_create1(0);
    i64 *sent = lc_calloc((size_t)conns * inflight, sizeof *sent);
    i64 *lat = lc_alloc(sizeof *lat * 8000000);
    u64 nlat = 0, ok = 0;
    u32 rng = 0x12345678;
    lc_buf m;
    lc_buf_init(&m);
    for (u32 i = 0; i < conns; i++) {
        if (!bcl_open(&cl[i], port)) return -1;
        fcntl(cl[i].fd, F_SETFL, fcntl(cl[i].fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
    }
    i64 t0 = lc_now_micros(), tend = t0 + (i64)(secs * 1e6);
    for (u32 i = 0; i < conns; i++) {
        lc_buf_reset(&m);
        for (u32 k = 0; k < inflight; k++) {
            u8 a[16];
            u32 from = xorshift(&rng) % ACCOUNTS, to = xorshift(&rng) % ACCOUNTS;
            lc_store_u32(a, from);
            lc_store_u32(a + 4, to == from ? (to + 1) % ACCOUNTS : to);
            lc_store_u64(a + 8, 1);
            net_proto_put_call(&m, NET_CMSG_CALL_REDUCER, i * inflight + k, "transfer", 8, a, 16);
            sent[i * inflight + k] = lc_now_micros();
        }
        send_each(&cl[i], &m);
    }
    while (lc_now_micros() < tend) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 100);
        for (int e = 0; e < k; e++) {
            bcl *c = &cl[evs[e].data.u32];
            const u8 *b;
            size_t bn;
            lc_buf_reset(&m);
            while (bcl_fill(c)) {
                while (bcl_next(c, &b, &bn) == 1) {
                    if (b[0] != NET_SMSG_REDUCER_RESULT || bn < 14) continue;
                    u32 req = lc_load_u32(b + 1);
                    if (b[13] == NET_REDUCER_OK) ok++;
                    i64 now = lc_now_micros();
                    if (nlat < 8000000) lat[nlat++] = now - sent[req];
                    u8 a[16];
                    u32 from = xorshift(&rng) % ACCOUNTS, to = xorshift(&rng) % ACCOUNTS;
                    lc_store_u32(a, from);
                    lc_store_u32(a + 4, to == from ? (to + 1) % ACCOUNTS : to);
                    lc_store_u64(a + 8, 1);
                    net_proto_put_call(&m, NET_CMSG_CALL_REDUCER, req, "transfer", 8, a, 16);
                    sent[req] = now;
                }
            }
            send_each(c, &m);
        }
    }
    double el = (double)(lc_now_micros() - t0) / 1e6;
    qsort(lat, nlat, sizeof *lat, cmp_i64);
    *out_p50 = nlat ? (double)lat[nlat / 2] : 0;
    *out_p99 = nlat ? (double)lat[nlat * 99 / 100] : 0;
    for (u32 i = 0; i < conns; i++) {
        close(cl[i].fd);
        net_ws_parser_deinit(&cl[i].p);
        lc_free(cl[i].buf);
    }
    close(ep);
    lc_buf_deinit(&m);
    lc_free(lat);
    lc_free(sent);
    lc_free(cl);
    return (double)ok / el;
}

static int keynote_main(int argc, char **argv, net_keys *keys, u8 *wasm, size_t wl)
{
    u32 conns = argc > 2 ? (u32)atoi(argv[2]) : 64;
    double secs = argc > 3 ? atof(argv[3]) : 5;
    u32 inflight = argc > 4 ? (u32)atoi(argv[4]) : 40;
    char dir[] = "/tmp/lc-bench-keynote-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    server_config cfg = {.keys = keys, .data_dir = dir};
    server *s;
    lc_errbuf eb;
    if (server_start(&cfg, &s, &eb)) return 1;
    u16 port = server_port(s);
    if (net_test_post(port, "/v1/database/bank", wasm, wl) != 200 ||
        net_test_post(port, "/v1/database/bank/call/seed", "[100000, 1000000000]", 20) != 200)
        return 1;
    printf("bench_sub keynote: %u connections x %u in flight, transfer(uniform, 1), %.1f s each, "
           "database on disk (%s)\n", conns, inflight, secs, dir);
    double p50, p99;
    g_db = "bank";
    g_query = "?compression=None&confirmed=false";
    double base = keynote_run(port, conns, secs, inflight, &p50, &p99);
    printf("  confirmed=false (baseline) %9.0f tx/s  p50 %7.0f us  p99 %7.0f us\n", base, p50, p99);
    g_query = "?compression=None&confirmed=true";
    double conf = keynote_run(port, conns, secs, inflight, &p50, &p99);
    printf("  confirmed=true             %9.0f tx/s  p50 %7.0f us  p99 %7.0f us  (x%.2f)\n", conf,
           p50, p99, conf / base);
    server_stop(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    bool keynote = argc > 1 && strcmp(argv[1], "keynote") == 0;
    u32 nclients = argc > 1 && !keynote ? (u32)atoi(argv[1]) : 1000;
    double secs = argc > 2 ? atof(argv[2]) : 5;
    u32 rows = argc > 3 ? (u32)atoi(argv[3]) : 100;
    u32 inflight = argc > 4 ? (u32)atoi(argv[4]) : 4;
    lc_log_set_level(LC_LOG_WARN);
    lc_errbuf eb;
    net_keys *keys = NULL;
    char kdir[] = "/tmp/lc-bench-sub-XXXXXX";
    if (!mkdtemp(kdir) || net_keys_open_dir(kdir, &keys, &eb)) {
        fprintf(stderr, "keys: %s\n", eb.msg);
        return 1;
    }
    if (keynote) {
        size_t kl;
        u8 *kw = read_file("build/wasm/keynote-bank.wasm", &kl);
        int rc = kw ? keynote_main(argc, argv, keys, kw, kl) : 1;
        lc_free(kw);
        net_keys_destroy(keys);
        return rc;
    }
    server_config cfg = {.keys = keys};
    server *s;
    if (server_start(&cfg, &s, &eb)) {
        fprintf(stderr, "server: %s\n", eb.msg);
        return 1;
    }
    u16 port = server_port(s);
    size_t wl;
    u8 *wasm = read_file("build/wasm/fanout.wasm", &wl);
    if (!wasm || net_test_post(port, "/v1/database/fanout", wasm, wl) != 200 ||
        net_test_post(port, "/v1/database/fanout/call/seed", "[10000, 10]", 11) != 200) {
        fprintf(stderr, "publish/seed failed (run `make examples` first)\n");
        return 1;
    }
    bcl *cl = lc_calloc(nclients + 1, sizeof *cl);
    bcl *drv = &cl[nclients];
    if (!bcl_open(drv, port)) return 1;
    /* Only client 0 subscribes for the baseline; the others join after it. */
    for (u32 i = 0; i < nclients; i++) {
        if (!bcl_open(&cl[i], port) || (i == 0 && !subscribe(&cl[i]))) {
            fprintf(stderr, "client %u failed\n", i);
            return 1;
        }
    }
    u64 seq = 0;
    printf("bench_sub: move(%u) of 10,000 entities per tx, %u calls in flight, %.1f s each\n",
           rows, inflight, secs);
    result base = run(cl, 1, drv, secs, rows, inflight, &seq);
    for (u32 i = 1; i < nclients; i++) {
        if (!subscribe(&cl[i])) {
            fprintf(stderr, "client %u failed to subscribe\n", i);
            return 1;
        }
    }
    printf("  1 subscriber (baseline)  %9.0f tx/s %12.0f row updates/s  p50 %7.0f us  p99 %7.0f us\n",
           base.tps, base.rows_per_s, base.p50_us, base.p99_us);
    result r = run(cl, nclients, drv, secs, rows, inflight, &seq);
    printf("  %u subscribers        %9.0f tx/s %12.0f row updates/s  p50 %7.0f us  p99 %7.0f us\n",
           nclients, r.tps, r.rows_per_s, r.p50_us, r.p99_us);
    printf("  ratio: row updates/s x%.1f for x%u subscribers; tx/s x%.3f\n",
           r.rows_per_s / base.rows_per_s, nclients, r.tps / base.tps);
    for (u32 i = 0; i <= nclients; i++) {
        close(cl[i].fd);
        net_ws_parser_deinit(&cl[i].p);
        lc_free(cl[i].buf);
    }
    lc_free(cl);
    lc_free(wasm);
    server_stop(s);
    net_keys_destroy(keys);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", kdir);
    return system(cmd) == 0 ? 0 : 1;
}
