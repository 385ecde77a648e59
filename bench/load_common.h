/*
 * bench/load_common.h — helpers shared by the network load benchmarks (loadgen.c, fanout.c):
 * a latency histogram, a one-shot HTTP POST over a raw socket (publish a module, call a
 * reducer with JSON), reading a file, an in-process server with a temporary data directory
 * (for runs without `lightcone start`), publishing a module, and the keynote (from, to) pairs
 * generator, shared with the PostgreSQL and Redis peers (bench/keynote/peers.c) so all
 * systems replay the same pairs.
 *
 * Histogram: 1 us buckets up to 10 ms, 100 us buckets up to 1 s, 1 ms buckets up to 10 s,
 * then one overflow bucket; percentiles are the upper edge of the bucket that crosses the
 * rank, so a reported p99 is never below the true one by more than one bucket.
 */
#ifndef LC_BENCH_LOAD_COMMON_H
#define LC_BENCH_LOAD_COMMON_H

#include <arpa/inet.h>
#include <ftw.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/types.h"
#include "net/token.h"
#include "server/server.h"

enum {
    HIST_FINE = 10000,   /* 1 us buckets: [0, 10 ms) */
    HIST_MID = 9900,     /* 100 us buckets: [10 ms, 1 s) */
    HIST_COARSE = 9000,  /* 1 ms buckets: [1 s, 10 s) */
    HIST_N = HIST_FINE + HIST_MID + HIST_COARSE + 1,
};

typedef struct lat_hist {
    u64 n[HIST_N];
    u64 count;
} lat_hist;

static inline void lat_hist_add(lat_hist *h, u64 ns)
{
    u64 us = ns / 1000;
    size_t b = us < HIST_FINE   ? (size_t)us
               : us < 1000000   ? HIST_FINE + (size_t)((us - HIST_FINE) / 100)
               : us < 10000000  ? HIST_FINE + HIST_MID + (size_t)((us - 1000000) / 1000)
                                : HIST_N - 1;
    h->n[b]++;
    h->count++;
}

static inline void lat_hist_merge(lat_hist *into, const lat_hist *h)
{
    for (size_t i = 0; i < HIST_N; i++) into->n[i] += h->n[i];
    into->count += h->count;
}

/* Upper edge, in microseconds, of the bucket holding the q-quantile (0 < q <= 1). */
static inline double lat_hist_quantile_us(const lat_hist *h, double q)
{
    if (!h->count) return 0;
    u64 rank = (u64)(q * (double)h->count);
    if (rank >= h->count) rank = h->count - 1;
    u64 acc = 0;
    for (size_t i = 0; i < HIST_N; i++) {
        acc += h->n[i];
        if (acc > rank) {
            if (i < HIST_FINE) return (double)(i + 1);
            if (i < HIST_FINE + HIST_MID) return (double)(HIST_FINE + (i - HIST_FINE + 1) * 100);
            if (i < HIST_N - 1) return (double)(1000000 + (i - HIST_FINE - HIST_MID + 1) * 1000);
            return 1e7;
        }
    }
    return 1e7;
}

/* Reads a whole file (lc_alloc'd); NULL on failure. */
static inline u8 *load_read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    u8 *p = n > 0 ? lc_alloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        lc_free(p);
        p = NULL;
    }
    fclose(f);
    *out_len = p ? (size_t)n : 0;
    return p;
}

/* One HTTP request on a fresh connection (Connection: close). Returns the status (or -1);
 * the response body (NUL-terminated, cut to cap - 1) goes to out if out is not NULL. */
static inline int load_http(const char *host, u16 port, const char *method, const char *path,
                            const void *body, size_t n, char *out, size_t cap)
{
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, ps, &hints, &res)) return -1;
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    int ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
    freeaddrinfo(res);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s:%u\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, host, port, n);
    ok = ok && write(fd, head, (size_t)hl) == hl;
    for (size_t off = 0; ok && off < n;) {
        ssize_t w = write(fd, (const u8 *)body + off, n - off);
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    char buf[65536];
    size_t got = 0;
    ssize_t r;
    while (ok && got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = 0;
    if (fd >= 0) close(fd);
    if (!ok || got < 12) return -1;
    if (out && cap) {
        const char *b = strstr(buf, "\r\n\r\n");
        snprintf(out, cap, "%s", b ? b + 4 : "");
    }
    return atoi(buf + 9);
}

/* "http://host:port" or "host:port" -> host (into hbuf) and port. Returns 0 or -1. */
static inline int load_parse_server(const char *s, char *hbuf, size_t hcap, u16 *out_port)
{
    if (strncmp(s, "http://", 7) == 0) s += 7;
    if (strncmp(s, "ws://", 5) == 0) s += 5;
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= hcap) return -1;
    memcpy(hbuf, s, (size_t)(colon - s));
    hbuf[colon - s] = 0;
    long p = strtol(colon + 1, NULL, 10);
    if (p <= 0 || p > 65535) return -1;
    *out_port = (u16)p;
    return 0;
}

/* ---- an in-process server (runs without `lightcone start`) ---- */

typedef struct inproc {
    server *srv;
    net_keys *keys;
    char dir[64];
    char data[96]; /* the server's data dir: databases live in <data>/<name> */
} inproc;

static inline int inproc_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

/* Starts a server on 127.0.0.1 (any port: server_port) with a temporary data directory. */
static inline int inproc_start(inproc *ip)
{
    snprintf(ip->dir, sizeof ip->dir, "/tmp/lc-bench-XXXXXX");
    if (!mkdtemp(ip->dir)) return LC_EIO;
    char kd[96];
    snprintf(kd, sizeof kd, "%s/keys", ip->dir);
    snprintf(ip->data, sizeof ip->data, "%s/data", ip->dir);
    lc_errbuf eb;
    int rc = net_keys_open_dir(kd, &ip->keys, &eb);
    server_config cfg = {.keys = ip->keys, .issuer = "localhost", .data_dir = ip->data};
    if (!rc) rc = server_start(&cfg, &ip->srv, &eb);
    if (rc) fprintf(stderr, "in-process server: %s\n", eb.msg);
    return rc;
}

static inline void inproc_stop(inproc *ip)
{
    if (ip->srv) server_stop(ip->srv);
    ip->srv = NULL;
}

static inline void inproc_cleanup(inproc *ip)
{
    inproc_stop(ip);
    if (ip->keys) net_keys_destroy(ip->keys);
    if (ip->dir[0]) nftw(ip->dir, inproc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* POSTs the module file to /v1/database/<db> (publish or update). 0 or LC_EIO (printed). */
static inline int load_publish(const char *host, u16 port, const char *db, const char *wasm)
{
    size_t n = 0;
    u8 *w = load_read_file(wasm, &n);
    if (!w) {
        fprintf(stderr, "cannot read %s\n", wasm);
        return LC_EIO;
    }
    char path[300], out[512];
    snprintf(path, sizeof path, "/v1/database/%s", db);
    int st = load_http(host, port, "POST", path, w, n, out, sizeof out);
    lc_free(w);
    if (st != 200) fprintf(stderr, "publish %s: HTTP %d %s\n", db, st, out);
    return st == 200 ? 0 : LC_EIO;
}

/* ---- keynote pairs (performance.md §1; the exact procedure is in bench/loadgen.c's header) */

static inline u32 mulberry32(u32 *s)
{
    u32 t = (*s += 0x6D2B79F5u);
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return t ^ (t >> 14);
}

static inline u32 zipf_draw(const double *cdf, u32 n, u32 *s)
{
    double u = (double)mulberry32(s) / 4294967296.0;
    u32 lo = 0, hi = n - 1;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static inline int make_pairs(u32 n, u32 count, double alpha, u32 **out_from, u32 **out_to)
{
    double *cdf = lc_alloc(sizeof *cdf * n);
    u32 *from = lc_alloc(sizeof *from * count), *to = lc_alloc(sizeof *to * count);
    if (!cdf || !from || !to) {
        lc_free(cdf), lc_free(from), lc_free(to);
        return LC_ENOMEM;
    }
    double sum = 0;
    for (u32 i = 0; i < n; i++) cdf[i] = sum += pow((double)i + 1, -alpha);
    for (u32 i = 0; i < n; i++) cdf[i] /= sum;
    u32 s = 0x12345678u;
    for (u32 i = 0; i < count; i++) {
        from[i] = zipf_draw(cdf, n, &s);
        to[i] = zipf_draw(cdf, n, &s);
        for (int k = 0; k < 32 && to[i] == from[i]; k++) to[i] = zipf_draw(cdf, n, &s);
    }
    lc_free(cdf);
    *out_from = from;
    *out_to = to;
    return 0;
}

#endif
