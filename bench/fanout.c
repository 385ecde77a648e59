/*
 * bench/fanout.c — subscription fan-out over WebSocket (performance.md §4), with the
 * examples/fanout module.
 *
 *   - seed(E = 10,000 entities, R = 10 regions); C = 1,000 WebSocket clients each subscribe to
 *     `SELECT * FROM entity` (or with --where, `SELECT * FROM entity WHERE region = i % R`)
 *     and wait for their SubscribeApplied;
 *   - a driver connection calls move(n = 100) at a steady --rate (transactions per second);
 *     move j updates ids [j*n mod E, +n) and leaves x = floor(j*n / E) + 1 on them, so a
 *     client tells which transaction an update belongs to from its first row:
 *     j = (x - 1) * (E / n) + id / n (E must be a multiple of n);
 *   - commit time of j = the timestamp of the driver's ReducerResult for j (the reducer's
 *     transaction timestamp, wall-clock microseconds on this machine); delivery time = the
 *     wall clock when a client has decoded the update. Reported over the transactions issued
 *     in the timed window: row-updates delivered per second (inserted rows of the updates,
 *     summed over clients), and commit-to-LAST-client latency p50/p99 (the slowest of the
 *     clients that should get it), plus per-delivery p50/p99 and any missing deliveries.
 *
 * One thread and one epoll set hold every client and the driver, so the client side costs
 * one core at most; its CPU time is printed next to the results (on 2 cores the server and
 * the clients compete: the figures are a floor for the server).
 *
 * Usage: fanout [--server http://HOST:PORT | --inproc] [--db fanout] [--wasm FILE]
 *               [--clients 1000] [--entities 10000] [--regions 10] [--move 100]
 *               [--rate 50] [--warmup 2] [--seconds 10] [--where] [--confirmed 0|1]
 *               [--compression None|Gzip|Brotli]
 */
#include <errno.h>
#include <ftw.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>

#include "base/arena.h"
#include "load_common.h"
#include "net/token.h"
#include "net/ws_client.h"
#include "server/server.h"

enum { TX_MAX = 1 << 20 };

typedef struct fo_opts {
    char host[256];
    u16 port;
    const char *db, *wasm;
    u32 clients, entities, regions, move_n;
    double rate, warmup_s, seconds;
    bool where, inproc;
    int confirmed;
    const char *compression; /* the clients' ?compression= */
} fo_opts;

typedef struct fo_tx {
    i64 commit_us;  /* 0 until the driver's ReducerResult arrived */
    i64 last_us;    /* latest delivery */
    u32 deliveries;
} fo_tx;

typedef struct fo_client {
    net_wsc *c;
    bool applied;
    bool is_driver;
    bool pollout; /* EPOLLOUT registered */
} fo_client;

typedef struct fo_run {
    const fo_opts *o;
    fo_client *clients; /* clients[o->clients] is the driver */
    int ep;
    u32 applied;
    fo_tx *tx;
    u32 sent;            /* move calls issued */
    u32 win_first, win_end; /* transactions [win_first, win_end) are measured */
    u64 rows_in_window;  /* inserted rows delivered inside the time window */
    u64 t_begin_ns, t_end_ns;
    u64 errors, stray;
    u32 dropped;         /* subscribers whose connection the server closed (too slow) */
    lat_hist per_delivery;
    lc_arena arena;
    char first_err[160];
} fo_run;

/* One delivery: transaction j reached a client at wall-clock `us`. */
typedef struct fo_delivery {
    u32 j;
    i64 us;
} fo_delivery;

static lc_buf g_deliveries; /* fo_delivery records, for the per-delivery percentiles */

static void note_error(fo_run *r, const char *fmt, const void *p, size_t n)
{
    r->errors++;
    if (!r->first_err[0]) snprintf(r->first_err, sizeof r->first_err, fmt, (int)n, (const char *)p);
}

/* The transaction an update belongs to, from its first inserted entity row (see header). */
static int update_tx(const fo_run *r, const net_smsg *m, u32 *out_j, u64 *out_rows)
{
    *out_rows = 0;
    bool found = false;
    for (u32 s = 0; s < m->nsets; s++) {
        for (u32 t = 0; t < m->sets[s].ntables; t++) {
            const net_smsg_rows *ins = &m->sets[s].tables[t].inserts;
            u32 n = net_smsg_rows_count(ins);
            *out_rows += n;
            const u8 *row;
            size_t len;
            if (found || n == 0 || net_smsg_rows_get(ins, 0, &row, &len) || len != 16) continue;
            u32 id = lc_load_u32(row), x = lc_load_u32(row + 4);
            if (x == 0) continue;
            *out_j = (x - 1) * (r->o->entities / r->o->move_n) + id / r->o->move_n;
            found = true;
        }
    }
    return found ? 0 : LC_ENOTFOUND;
}

static void on_client_msg(fo_run *r, fo_client *k, const u8 *body, size_t len)
{
    if (!len) return;
    if (body[0] == NET_SMSG_SUBSCRIBE_APPLIED && !k->applied) {
        k->applied = true;
        r->applied++;
        return;
    }
    if (body[0] != NET_SMSG_TRANSACTION_UPDATE && body[0] != NET_SMSG_SUBSCRIPTION_ERROR) return;
    net_smsg m;
    lc_arena_reset(&r->arena);
    lc_errbuf eb;
    if (net_smsg_decode(body, len, &r->arena, &m, &eb)) {
        note_error(r, "decode: %.*s", eb.msg, strlen(eb.msg));
        return;
    }
    if (m.tag == NET_SMSG_SUBSCRIPTION_ERROR) {
        note_error(r, "subscription error: %.*s", m.err.p, m.err.n);
        return;
    }
    u32 j = 0;
    u64 rows;
    i64 now_us = lc_now_micros();
    u64 now_ns = lc_now_ns();
    if (update_tx(r, &m, &j, &rows) || j >= TX_MAX) {
        r->stray++;
        return;
    }
    if (now_ns >= r->t_begin_ns && now_ns < r->t_end_ns) r->rows_in_window += rows;
    fo_tx *t = &r->tx[j];
    t->deliveries++;
    if (now_us > t->last_us) t->last_us = now_us;
    fo_delivery d = {j, now_us};
    lc_buf_put(&g_deliveries, &d, sizeof d);
}

static void on_driver_msg(fo_run *r, const u8 *body, size_t len)
{
    u32 req;
    u8 oc;
    if (len && body[0] == NET_SMSG_INITIAL_CONNECTION) return;
    if (net_smsg_reducer_result_peek(body, len, &req, &oc) || req >= TX_MAX) {
        note_error(r, "driver: unexpected message%.*s", "", 0);
        return;
    }
    if (oc != NET_REDUCER_OK) {
        lc_arena_reset(&r->arena);
        net_smsg m;
        net_pbytes t = {(const u8 *)"?", 1};
        if (net_smsg_decode(body, len, &r->arena, &m, NULL) == 0) t = net_smsg_err_text(&m);
        note_error(r, "move failed: %.*s", t.p, t.n);
        return;
    }
    r->tx[req].commit_us = (i64)lc_load_u64(body + 5); /* tag, request_id, then timestamp */
}

static int on_readable(fo_run *r, fo_client *k)
{
    for (int reads = 0; reads < 8; reads++) {
        int rc = net_wsc_read(k->c);
        if (rc == LC_EAGAIN) return 0;
        if (rc < 0) return rc;
        const u8 *body;
        size_t len;
        lc_errbuf eb;
        while ((rc = net_wsc_next(k->c, &body, &len, &eb)) == 1) {
            if (k->is_driver) on_driver_msg(r, body, len);
            else on_client_msg(r, k, body, len);
        }
        if (rc < 0) {
            fprintf(stderr, "fanout: %s\n", eb.msg);
            return rc;
        }
    }
    return 0;
}

static int flush_conn(fo_run *r, fo_client *k)
{
    bool *pollout = &k->pollout;
    int rc = net_wsc_flush(k->c);
    if (rc && rc != LC_EAGAIN) return rc;
    bool want = rc == LC_EAGAIN;
    if (want != *pollout) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = k};
        if (epoll_ctl(r->ep, EPOLL_CTL_MOD, net_wsc_fd(k->c), &ev)) return LC_EIO;
        *pollout = want;
    }
    return 0;
}

/* One epoll round (timeout_ms); timer events (data.ptr == NULL) add to *out_ticks. */
static int poll_once(fo_run *r, int timeout_ms, int tfd, u64 *out_ticks)
{
    struct epoll_event evs[512];
    int n = epoll_wait(r->ep, evs, (int)LC_ARRAY_LEN(evs), timeout_ms);
    if (n < 0 && errno != EINTR) return LC_EIO;
    for (int i = 0; i < n; i++) {
        fo_client *k = evs[i].data.ptr;
        if (!k) {
            u64 ticks = 0;
            if (read(tfd, &ticks, sizeof ticks) == sizeof ticks) *out_ticks += ticks;
            continue;
        }
        int rc = 0;
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) rc = on_readable(r, k);
        if (!rc) rc = flush_conn(r, k);
        if (rc && !k->is_driver) {
            /* The server drops a subscriber that does not keep up (outq_max): count it. */
            if (!r->dropped)
                fprintf(stderr, "fanout: subscriber %ld lost (%s); counting drops\n",
                        (long)(k - r->clients), lc_strerror(rc));
            epoll_ctl(r->ep, EPOLL_CTL_DEL, net_wsc_fd(k->c), NULL);
            net_wsc_close(k->c);
            k->c = NULL;
            r->dropped++;
            continue;
        }
        if (rc) {
            fprintf(stderr, "fanout: driver connection lost: %s\n", lc_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static net_wsc_opts wsc_opts(const fo_opts *o)
{
    return (net_wsc_opts){.host = o->host, .port = o->port, .database = o->db,
                          .compression = o->compression, .confirmed = o->confirmed,
                          .timeout_ms = 30000};
}

static int open_clients(fo_run *r)
{
    const fo_opts *o = r->o;
    net_wsc_opts wo = wsc_opts(o);
    for (u32 i = 0; i <= o->clients; i++) {
        fo_client *k = &r->clients[i];
        k->is_driver = i == o->clients;
        lc_errbuf eb;
        if (net_wsc_connect(&wo, &k->c, NULL, &eb)) {
            fprintf(stderr, "fanout: client %u: %s\n", i, eb.msg);
            return LC_EIO;
        }
        int rc = 0;
        if (!k->is_driver) {
            char q[128];
            if (o->where) snprintf(q, sizeof q, "SELECT * FROM entity WHERE region = %u",
                                   i % o->regions);
            else snprintf(q, sizeof q, "SELECT * FROM entity");
            const char *qs[1] = {q};
            rc = net_wsc_subscribe(k->c, 0, 0, qs, 1);
        }
        if (!rc) rc = net_wsc_set_nonblocking(k->c, true);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = k};
        k->pollout = true;
        if (!rc && epoll_ctl(r->ep, EPOLL_CTL_ADD, net_wsc_fd(k->c), &ev)) rc = LC_EIO;
        if (rc) return rc;
    }
    return 0;
}

static int wait_applied(fo_run *r)
{
    u64 t0 = lc_now_ns(), ticks = 0;
    while (r->applied + r->dropped < r->o->clients) {
        if (lc_now_ns() - t0 > 120ull * 1000000000) {
            fprintf(stderr, "fanout: only %u of %u subscriptions applied after 120 s\n",
                    r->applied, r->o->clients);
            return LC_EAGAIN;
        }
        int rc = poll_once(r, 100, -1, &ticks);
        if (rc) return rc;
        if (r->errors) return LC_EINVAL;
    }
    fprintf(stderr, "fanout: %u subscriptions applied in %.2f s\n", r->applied,
            (lc_now_ns() - t0) / 1e9);
    return 0;
}

static int send_move(fo_run *r)
{
    u8 a[4];
    lc_store_u32(a, r->o->move_n);
    fo_client *d = &r->clients[r->o->clients];
    int rc = net_wsc_call_reducer(d->c, r->sent, "move", a, 4);
    r->sent++;
    return rc ? rc : flush_conn(r, d);
}

static bool window_complete(const fo_run *r)
{
    for (u32 j = r->win_first; j < r->win_end; j++)
        if (!r->tx[j].commit_us || r->tx[j].deliveries < r->o->clients - r->dropped)
            return false;
    return true;
}

/* Issues move calls at --rate from a timerfd through the window, then drains. */
static int drive(fo_run *r)
{
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    long period_ns = (long)(1e9 / r->o->rate);
    struct itimerspec its = {.it_interval = {period_ns / 1000000000, period_ns % 1000000000},
                             .it_value = {0, 1}};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) || epoll_ctl(r->ep, EPOLL_CTL_ADD, tfd, &ev))
        return LC_EIO;
    u64 t0 = lc_now_ns();
    r->t_begin_ns = t0 + (u64)(r->o->warmup_s * 1e9);
    r->t_end_ns = r->t_begin_ns + (u64)(r->o->seconds * 1e9);
    bool in_window = false;
    int rc = 0;
    while (!rc && lc_now_ns() < r->t_end_ns && r->sent < TX_MAX) {
        u64 ticks = 0;
        rc = poll_once(r, 5, tfd, &ticks);
        if (!in_window && lc_now_ns() >= r->t_begin_ns) {
            in_window = true;
            r->win_first = r->sent;
        }
        for (u64 t = 0; t < ticks && !rc && r->sent < TX_MAX; t++) rc = send_move(r);
    }
    r->win_end = r->sent;
    close(tfd);
    u64 drain_end = lc_now_ns() + 15ull * 1000000000;
    while (!rc && !window_complete(r) && lc_now_ns() < drain_end) {
        u64 ticks = 0;
        rc = poll_once(r, 5, -1, &ticks);
    }
    return rc;
}

/* ---- results ---- */

static void report(const fo_run *r, double cpu_s)
{
    const fo_opts *o = r->o;
    lat_hist last = {0}, each = {0};
    u32 incomplete = 0, measured = 0;
    for (u32 j = r->win_first; j < r->win_end; j++) {
        const fo_tx *t = &r->tx[j];
        if (!t->commit_us || t->deliveries < o->clients - r->dropped) {
            incomplete++;
            continue;
        }
        measured++;
        lat_hist_add(&last, (u64)LC_MAX(t->last_us - t->commit_us, 0) * 1000);
    }
    const fo_delivery *d = (const fo_delivery *)g_deliveries.data;
    for (size_t i = 0; i < g_deliveries.len / sizeof *d; i++) {
        const fo_tx *t = &r->tx[d[i].j];
        if (d[i].j >= r->win_first && d[i].j < r->win_end && t->commit_us)
            lat_hist_add(&each, (u64)LC_MAX(d[i].us - t->commit_us, 0) * 1000);
    }
    double rows_s = (double)r->rows_in_window / o->seconds;
    printf("fanout %s clients=%u entities=%u move=%u rate=%g/s confirmed=%d compression=%s: "
           "%.0f row-updates/s "
           "delivered; commit->last client p50 %.2f ms p99 %.2f ms; per delivery p50 %.2f ms "
           "p99 %.2f ms (%u transactions measured, %u incomplete, %u subscribers dropped, "
           "%llu errors%s%s; load generator CPU %.1f s)\n",
           o->where ? "WHERE region" : "whole table", o->clients, o->entities, o->move_n,
           o->rate, o->confirmed, o->compression, rows_s, lat_hist_quantile_us(&last, 0.5) / 1000,
           lat_hist_quantile_us(&last, 0.99) / 1000, lat_hist_quantile_us(&each, 0.5) / 1000,
           lat_hist_quantile_us(&each, 0.99) / 1000, measured, incomplete, r->dropped,
           (unsigned long long)r->errors, r->first_err[0] ? ", first: " : "", r->first_err,
           cpu_s);
    printf("RESULT bench=fanout variant=%s compression=%s clients=%u rate=%g rows_per_s=%.0f "
           "last_p50_us=%.0f "
           "last_p99_us=%.0f each_p50_us=%.0f each_p99_us=%.0f measured=%u incomplete=%u "
           "dropped=%u errors=%llu\n",
           o->where ? "where" : "all", o->compression, o->clients, o->rate, rows_s,
           lat_hist_quantile_us(&last, 0.5), lat_hist_quantile_us(&last, 0.99),
           lat_hist_quantile_us(&each, 0.5), lat_hist_quantile_us(&each, 0.99), measured,
           incomplete, r->dropped, (unsigned long long)r->errors);
    fflush(stdout);
}

static void usage(void)
{
    fprintf(stderr, "usage: fanout [--server http://HOST:PORT | --inproc] [--db NAME]\n"
                    "              [--wasm FILE] [--clients N] [--entities N] [--regions N]\n"
                    "              [--move N] [--rate TX_PER_S] [--warmup S] [--seconds S]\n"
                    "              [--where] [--confirmed 0|1] [--compression None|Gzip|Brotli]\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, fo_opts *o)
{
    *o = (fo_opts){.port = 3000, .db = "fanout", .clients = 1000, .entities = 10000,
                   .regions = 10, .move_n = 100, .rate = 50, .warmup_s = 2, .seconds = 10,
                   .confirmed = 1, .compression = "None"};
    snprintf(o->host, sizeof o->host, "127.0.0.1");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool used = true;
        if (!strcmp(a, "--inproc")) o->inproc = true, used = false;
        else if (!strcmp(a, "--where")) o->where = true, used = false;
        else if (!v) usage();
        else if (!strcmp(a, "--server")) {
            if (load_parse_server(v, o->host, sizeof o->host, &o->port)) usage();
        } else if (!strcmp(a, "--db")) o->db = v;
        else if (!strcmp(a, "--wasm")) o->wasm = v;
        else if (!strcmp(a, "--clients")) o->clients = (u32)atoi(v);
        else if (!strcmp(a, "--entities")) o->entities = (u32)atoi(v);
        else if (!strcmp(a, "--regions")) o->regions = (u32)atoi(v);
        else if (!strcmp(a, "--move")) o->move_n = (u32)atoi(v);
        else if (!strcmp(a, "--rate")) o->rate = atof(v);
        else if (!strcmp(a, "--warmup")) o->warmup_s = atof(v);
        else if (!strcmp(a, "--seconds")) o->seconds = atof(v);
        else if (!strcmp(a, "--confirmed")) o->confirmed = atoi(v) != 0;
        else if (!strcmp(a, "--compression")) o->compression = v;
        else usage();
        i += used;
    }
    if (!o->clients || o->clients > 60000 || !o->move_n || o->entities % o->move_n ||
        !o->regions || o->regions > o->move_n || o->rate <= 0 || o->seconds <= 0)
        usage();
}

static int seed(const fo_opts *o, net_wsc *c)
{
    u8 a[8];
    lc_store_u32(a, o->entities);
    lc_store_u32(a + 4, o->regions);
    int rc = net_wsc_call_reducer(c, 0xfffffff0u, "seed", a, 8);
    lc_arena ar;
    lc_arena_init(&ar, 1 << 20);
    while (!rc) {
        const u8 *body;
        size_t len;
        lc_errbuf eb;
        rc = net_wsc_recv(c, 120000, &body, &len, &eb);
        if (rc != 1) break;
        u32 req;
        u8 oc;
        rc = 0;
        if (net_smsg_reducer_result_peek(body, len, &req, &oc) || req != 0xfffffff0u) continue;
        rc = oc == NET_REDUCER_OK ? 0 : LC_EINVAL;
        break;
    }
    lc_arena_deinit(&ar);
    if (rc) fprintf(stderr, "fanout: seed failed (%s)\n", lc_strerror(rc));
    return rc;
}

static int run(fo_opts *o)
{
    static fo_run r;
    r = (fo_run){.o = o, .ep = epoll_create1(EPOLL_CLOEXEC)};
    r.clients = lc_calloc(o->clients + 1, sizeof *r.clients);
    r.tx = lc_calloc(TX_MAX, sizeof *r.tx);
    lc_arena_init(&r.arena, 64u << 20);
    lc_buf_init(&g_deliveries);
    net_wsc_opts wo = wsc_opts(o);
    net_wsc *ctl = NULL;
    lc_errbuf eb;
    int rc = !r.clients || !r.tx || r.ep < 0 ? LC_ENOMEM : 0;
    if (!rc && net_wsc_connect(&wo, &ctl, NULL, &eb)) {
        fprintf(stderr, "fanout: %s\n", eb.msg);
        rc = LC_EIO;
    }
    if (!rc) rc = seed(o, ctl);
    if (!rc) rc = open_clients(&r);
    if (!rc) rc = wait_applied(&r);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    if (!rc) rc = drive(&r);
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
                          ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec -
                          ru0.ru_stime.tv_usec) / 1e6;
    if (!rc) report(&r, cpu);
    for (u32 i = 0; r.clients && i <= o->clients; i++) net_wsc_close(r.clients[i].c);
    net_wsc_close(ctl);
    lc_free(r.clients);
    lc_free(r.tx);
    lc_arena_deinit(&r.arena);
    lc_buf_deinit(&g_deliveries);
    if (r.ep >= 0) close(r.ep);
    return rc ? rc : r.errors || r.dropped ? LC_EINVAL : 0;
}

int main(int argc, char **argv)
{
    fo_opts o;
    parse_opts(argc, argv, &o);
    static inproc ip;
    int rc = 0;
    if (o.inproc) {
        rc = inproc_start(&ip);
        if (!rc) {
            snprintf(o.host, sizeof o.host, "127.0.0.1");
            o.port = server_port(ip.srv);
        }
        if (!o.wasm) o.wasm = "build/wasm/fanout.wasm";
    }
    if (!rc && o.wasm) rc = load_publish(o.host, o.port, o.db, o.wasm);
    if (!rc) rc = run(&o);
    inproc_cleanup(&ip);
    return rc ? 1 : 0;
}
