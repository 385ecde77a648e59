/*
 * bench/loadgen.c — the keynote transfer load generator (performance.md §1), over the v2
 * BSATN WebSocket protocol with net/ws_client.h.
 *
 * Workload, exactly as performance.md §1:
 *   - accounts(id u32 pk, balance i64): `seed(n, 1_000_000_000)` first (n = 100,000);
 *   - 10,000,000 precomputed (from, to) pairs: ranks drawn from a Zipf law over 0..n-1,
 *     P(i) ∝ 1/(i+1)^alpha, by inverse CDF (binary search for the first rank whose cumulative
 *     weight is >= u) with u = mulberry32() / 2^32, PRNG seeded 0x12345678, drawing `from`
 *     then `to`, `to` redrawn up to 32 times while equal to `from`; alpha 0 = uniform,
 *     alpha 1.5 puts ~63% of transfers on account 0;
 *   - connection i (of W) walks the pairs from offset i * floor(10M / W), wrapping;
 *   - each connection keeps up to K calls (default 40) of transfer(from, to, 1) in flight;
 *   - a transaction counts when its Ok ReducerResult arrives inside the timed window that
 *     follows the warm-up; TPS = count / window; latency = send-to-reply of those calls.
 *
 * One thread, one epoll set over all connections: on each wake-up every readable connection
 * is drained, each reply immediately queues the next call on that connection, and each
 * connection's queued frames go out in one send (so replies that arrive together are
 * answered together, as a real pipelined client would).
 *
 * After the window no new calls are issued and the outstanding ones are drained; then the sum
 * of balances is checked without any reducer: `--check subscribe` reads every row through a
 * subscription (SELECT * FROM accounts; needs server subscriptions), `--check offline` opens
 * the database directory with host/db.h after the server has stopped (reads what recovery
 * rebuilt from the commit log: durability is checked too). `--inproc` runs the server in this
 * process with a temporary data directory and uses the offline check by default.
 *
 * Output: a human line, then one machine line starting "RESULT " (bench/keynote/run.sh reads
 * it). Exit status 0 only when there were no errors and the sum check passed.
 *
 * Usage: loadgen [--server http://127.0.0.1:3000 | --inproc] [--db bank] [--wasm FILE]
 *                [--conns 64] [--inflight 40] [--alpha 0] [--accounts 100000]
 *                [--pairs 10000000] [--warmup 3] [--seconds 10] [--confirmed 1]
 *                [--no-seed] [--check subscribe|offline|none] [--data-dir DIR]
 *        loadgen --check-only offline --data-dir DIR [--accounts N]
 * (DIR: one database's directory, e.g. <lightcone start --data-dir>/db/bank)
 */
#include <errno.h>
#include <math.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "host/db.h"
#include "load_common.h"
#include "net/token.h"
#include "net/ws_client.h"
#include "server/server.h"

#define INITIAL_BALANCE 1000000000ll

typedef struct lg_opts {
    char host[256];
    u16 port;
    const char *db;
    const char *wasm;
    u32 conns, inflight, accounts, pairs;
    double alpha, warmup_s, seconds;
    int confirmed;
    bool no_seed, inproc;
    const char *check;    /* "subscribe", "offline", "none" */
    const char *data_dir; /* offline check: the server's data dir (the db is <dir>/<db>) */
    const char *check_only;
} lg_opts;

typedef struct lg_conn {
    net_wsc *c;
    u64 pos;         /* next pair index */
    u32 next_gen;    /* request ids: next_gen * inflight + slot */
    u32 outstanding;
    bool pollout;
    u32 *slot_req;   /* request id in flight per slot, UINT32_MAX = free */
    u64 *slot_ns;    /* send time per slot */
} lg_conn;

typedef struct lg_run {
    const lg_opts *o;
    const u32 *from, *to;
    lg_conn *conns;
    int ep;
    bool issuing;
    u64 t_begin, t_end; /* the timed window, monotonic ns */
    u64 ok_in_window, ok_total, err_total, err_window, proto_errors;
    double client_core_share; /* CPU of the load generator thread / wall time, over the run */
    lat_hist hist;
    char first_err[160];
} lg_run;

/* ---- the run ---- */

static int issue(lg_run *r, lg_conn *k, u32 slot)
{
    u64 p = k->pos;
    k->pos = (k->pos + 1) % r->o->pairs;
    u8 a[16];
    lc_store_u32(a, r->from[p]);
    lc_store_u32(a + 4, r->to[p]);
    lc_store_u64(a + 8, 1);
    /* req % inflight == slot, so a reply finds its slot without a search */
    u32 req = k->next_gen * r->o->inflight + slot;
    k->next_gen = k->next_gen + 1 < UINT32_MAX / r->o->inflight ? k->next_gen + 1 : 0;
    k->slot_req[slot] = req;
    k->slot_ns[slot] = lc_now_ns();
    k->outstanding++;
    return net_wsc_call_reducer(k->c, req, "transfer", a, 16);
}

static void on_result(lg_run *r, lg_conn *k, const u8 *body, size_t len, u64 now)
{
    u32 req;
    u8 oc;
    if (len && body[0] == NET_SMSG_INITIAL_CONNECTION) return;
    if (net_smsg_reducer_result_peek(body, len, &req, &oc) ||
        k->slot_req[req % r->o->inflight] != req) {
        r->proto_errors++;
        return;
    }
    u32 slot = req % r->o->inflight;
    bool in_window = now >= r->t_begin && now < r->t_end;
    k->slot_req[slot] = UINT32_MAX;
    k->outstanding--;
    if (oc == NET_REDUCER_OK) {
        r->ok_total++;
        if (in_window) {
            r->ok_in_window++;
            lat_hist_add(&r->hist, now - k->slot_ns[slot]);
        }
    } else {
        r->err_total++;
        r->err_window += in_window;
        if (!r->first_err[0]) {
            lc_arena a;
            lc_arena_init(&a, 1 << 16);
            net_smsg m;
            net_pbytes t = {0};
            if (net_smsg_decode(body, len, &a, &m, NULL) == 0) t = net_smsg_err_text(&m);
            snprintf(r->first_err, sizeof r->first_err, "outcome %u: %.*s", oc, (int)t.n,
                     (const char *)t.p);
            lc_arena_deinit(&a);
        }
    }
    if (r->issuing && issue(r, k, slot)) r->proto_errors++;
}

/* Drains one readable connection; returns 0 or a negative code (connection lost). */
static int on_readable(lg_run *r, lg_conn *k)
{
    for (int reads = 0; reads < 16; reads++) {
        int rc = net_wsc_read(k->c);
        if (rc == LC_EAGAIN) break;
        if (rc < 0) return rc;
        u64 now = lc_now_ns();
        const u8 *body;
        size_t len;
        lc_errbuf eb;
        while ((rc = net_wsc_next(k->c, &body, &len, &eb)) == 1) on_result(r, k, body, len, now);
        if (rc < 0) {
            fprintf(stderr, "loadgen: %s\n", eb.msg);
            return rc;
        }
    }
    return 0;
}

static int flush_conn(lg_run *r, lg_conn *k)
{
    int rc = net_wsc_flush(k->c);
    if (rc && rc != LC_EAGAIN) return rc;
    bool want = rc == LC_EAGAIN;
    if (want != k->pollout) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                                 .data.ptr = k};
        if (epoll_ctl(r->ep, EPOLL_CTL_MOD, net_wsc_fd(k->c), &ev)) return LC_EIO;
        k->pollout = want;
    }
    return 0;
}

static u64 total_outstanding(const lg_run *r)
{
    u64 n = 0;
    for (u32 i = 0; i < r->o->conns; i++) n += r->conns[i].outstanding;
    return n;
}

/* The epoll loop until `until_ns` (issuing) and then until everything is answered. */
static int run_loop(lg_run *r, u64 drain_deadline_ns)
{
    struct epoll_event evs[256];
    for (;;) {
        u64 now = lc_now_ns();
        if (r->issuing && now >= r->t_end) r->issuing = false;
        if (!r->issuing && (total_outstanding(r) == 0 || now >= drain_deadline_ns)) break;
        int n = epoll_wait(r->ep, evs, (int)LC_ARRAY_LEN(evs), 5);
        if (n < 0 && errno != EINTR) return LC_EIO;
        for (int i = 0; i < n; i++) {
            lg_conn *k = evs[i].data.ptr;
            int rc = 0;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) rc = on_readable(r, k);
            if (!rc) rc = flush_conn(r, k);
            if (rc) {
                fprintf(stderr, "loadgen: connection %ld lost: %s\n", (long)(k - r->conns),
                        lc_strerror(rc));
                return rc;
            }
        }
    }
    return total_outstanding(r) ? LC_EAGAIN : 0;
}

static net_wsc_opts wsc_opts(const lg_opts *o)
{
    return (net_wsc_opts){.host = o->host, .port = o->port, .database = o->db,
                          .compression = "None", .confirmed = o->confirmed,
                          .timeout_ms = 30000};
}

static int open_conns(lg_run *r)
{
    const lg_opts *o = r->o;
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    if (r->ep < 0) return LC_EIO;
    r->conns = lc_calloc(o->conns, sizeof *r->conns);
    if (!r->conns) return LC_ENOMEM;
    net_wsc_opts wo = wsc_opts(o);
    for (u32 i = 0; i < o->conns; i++) {
        lg_conn *k = &r->conns[i];
        lc_errbuf eb;
        int rc = net_wsc_connect(&wo, &k->c, NULL, &eb);
        if (rc) {
            fprintf(stderr, "loadgen: connection %u: %s\n", i, eb.msg);
            return rc;
        }
        k->pos = (u64)i * (o->pairs / o->conns);
        k->slot_req = lc_alloc(sizeof *k->slot_req * o->inflight);
        k->slot_ns = lc_calloc(o->inflight, sizeof *k->slot_ns);
        if (!k->slot_req || !k->slot_ns) return LC_ENOMEM;
        for (u32 s = 0; s < o->inflight; s++) k->slot_req[s] = UINT32_MAX;
        if (net_wsc_set_nonblocking(k->c, true)) return LC_EIO;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, net_wsc_fd(k->c), &ev)) return LC_EIO;
    }
    return 0;
}

static void close_conns(lg_run *r)
{
    for (u32 i = 0; r->conns && i < r->o->conns; i++) {
        net_wsc_close(r->conns[i].c);
        lc_free(r->conns[i].slot_req);
        lc_free(r->conns[i].slot_ns);
    }
    lc_free(r->conns);
    if (r->ep >= 0) close(r->ep);
}

/* Blocking: the next ReducerResult for req (skipping InitialConnection). */
static int wait_result(net_wsc *c, u32 req, int timeout_ms, char *err, size_t cap)
{
    lc_arena a;
    lc_arena_init(&a, 1 << 20);
    int rc;
    for (;;) {
        const u8 *body;
        size_t len;
        lc_errbuf eb;
        rc = net_wsc_recv(c, timeout_ms, &body, &len, &eb);
        if (rc != 1) {
            snprintf(err, cap, "%s", rc == LC_EAGAIN ? "timed out" : eb.msg);
            rc = rc ? rc : LC_EIO;
            break;
        }
        net_smsg m;
        lc_arena_reset(&a);
        rc = net_smsg_decode(body, len, &a, &m, &eb);
        if (rc) {
            snprintf(err, cap, "%s", eb.msg);
            break;
        }
        if (m.tag != NET_SMSG_REDUCER_RESULT || m.request_id != req) continue;
        net_pbytes t = net_smsg_err_text(&m);
        snprintf(err, cap, "%.*s", (int)t.n, (const char *)t.p);
        rc = m.outcome == NET_REDUCER_OK || m.outcome == NET_REDUCER_OK_EMPTY ? 0 : LC_EINVAL;
        break;
    }
    lc_arena_deinit(&a);
    return rc;
}

static int seed_accounts(net_wsc *c, u32 n)
{
    u8 a[12];
    lc_store_u32(a, n);
    lc_store_u64(a + 4, (u64)INITIAL_BALANCE);
    char err[256] = "";
    u64 t0 = lc_now_ns();
    int rc = net_wsc_call_reducer(c, 0xfffffff0u, "seed", a, sizeof a);
    if (!rc) rc = wait_result(c, 0xfffffff0u, 600000, err, sizeof err);
    if (rc) fprintf(stderr, "loadgen: seed(%u) failed: %s\n", n, err);
    else fprintf(stderr, "loadgen: seeded %u accounts in %.2f s\n", n, (lc_now_ns() - t0) / 1e9);
    return rc;
}

/* ---- sum checks (no reducer involved) ---- */

/* Sums accounts rows (u32 id, i64 balance: 12 bytes each) of a row list. */
static int sum_rows(const net_smsg_rows *rows, u64 *count, i64 *sum)
{
    u32 n = net_smsg_rows_count(rows);
    for (u32 i = 0; i < n; i++) {
        const u8 *row;
        size_t len;
        if (net_smsg_rows_get(rows, i, &row, &len) || len != 12) return LC_EDECODE;
        *sum += (i64)lc_load_u64(row + 4);
        (*count)++;
    }
    return 0;
}

static int check_subscribe(net_wsc *c, u64 *count, i64 *sum)
{
    const char *q = "SELECT * FROM accounts";
    int rc = net_wsc_subscribe(c, 0xfffffff1u, 1, &q, 1);
    lc_arena a;
    lc_arena_init(&a, 0);
    while (rc == 0) {
        const u8 *body;
        size_t len;
        lc_errbuf eb;
        rc = net_wsc_recv(c, 120000, &body, &len, &eb);
        if (rc != 1) {
            fprintf(stderr, "loadgen: subscribe check: %s\n", rc == LC_EAGAIN ? "timeout" : eb.msg);
            rc = rc ? rc : LC_EIO;
            break;
        }
        net_smsg m;
        lc_arena_reset(&a);
        rc = net_smsg_decode(body, len, &a, &m, &eb);
        if (rc || m.tag == NET_SMSG_SUBSCRIPTION_ERROR) {
            fprintf(stderr, "loadgen: subscribe check: %.*s\n", rc ? 200 : (int)m.err.n,
                    rc ? eb.msg : (const char *)m.err.p);
            rc = rc ? rc : LC_ENOTSUP;
            break;
        }
        if (m.tag != NET_SMSG_SUBSCRIBE_APPLIED) continue;
        for (u32 t = 0; t < m.ntables && !rc; t++) rc = sum_rows(&m.tables[t].inserts, count, sum);
        break;
    }
    lc_arena_deinit(&a);
    return rc;
}

static int check_offline(const char *dir, u64 *count, i64 *sum)
{
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) { /* host_db_open would create it */
        fprintf(stderr, "loadgen: %s is not a database directory\n", dir);
        return LC_ENOTFOUND;
    }
    host_db_opts o = {0};
    host_db *db = NULL;
    lc_errbuf eb;
    int rc = host_db_open(dir, &o, &db, &eb);
    if (rc) {
        fprintf(stderr, "loadgen: cannot open %s: %s\n", dir, eb.msg);
        return rc;
    }
    store_txn tx;
    store_read_begin(&tx, host_db_store(db));
    u32 tid;
    store_iter it;
    rc = store_table_id_from_name(&tx, "accounts", 8, &tid);
    if (!rc) rc = store_scan(&tx, tid, &it);
    if (!rc) {
        const u8 *row;
        u32 len;
        while (store_iter_next(&it, &row, &len)) {
            if (len != 12) rc = LC_EDECODE;
            *sum += (i64)lc_load_u64(row + 4);
            (*count)++;
        }
        store_iter_close(&it);
    }
    store_read_end(&tx);
    int crc = host_db_close(db);
    return rc ? rc : crc;
}

static bool report_sum(const char *how, int rc, u64 count, i64 sum, u32 accounts)
{
    i64 want = (i64)accounts * INITIAL_BALANCE;
    bool ok = rc == 0 && count == accounts && sum == want;
    printf("sum check (%s): %s: %llu rows, sum %lld (expected %u rows, %lld)\n", how,
           ok ? "OK" : "FAILED", (unsigned long long)count, (long long)sum, accounts,
           (long long)want);
    return ok;
}

/* ---- driver ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen [--server http://HOST:PORT | --inproc] [--db NAME] [--wasm FILE]\n"
            "               [--conns N] [--inflight K] [--alpha A] [--accounts N] [--pairs N]\n"
            "               [--warmup S] [--seconds S] [--confirmed 0|1] [--no-seed]\n"
            "               [--check subscribe|offline|none] [--data-dir DIR]\n"
            "       loadgen --check-only offline --data-dir DIR [--accounts N]\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, lg_opts *o)
{
    *o = (lg_opts){.db = "bank", .conns = 64, .inflight = 40, .accounts = 100000,
                   .pairs = 10000000, .warmup_s = 3, .seconds = 10, .confirmed = 1,
                   .port = 3000};
    snprintf(o->host, sizeof o->host, "127.0.0.1");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool used = true;
        if (!strcmp(a, "--inproc")) o->inproc = true, used = false;
        else if (!strcmp(a, "--no-seed")) o->no_seed = true, used = false;
        else if (!v) usage();
        else if (!strcmp(a, "--server")) {
            if (load_parse_server(v, o->host, sizeof o->host, &o->port)) usage();
        } else if (!strcmp(a, "--db")) o->db = v;
        else if (!strcmp(a, "--wasm")) o->wasm = v;
        else if (!strcmp(a, "--conns")) o->conns = (u32)atoi(v);
        else if (!strcmp(a, "--inflight")) o->inflight = (u32)atoi(v);
        else if (!strcmp(a, "--alpha")) o->alpha = atof(v);
        else if (!strcmp(a, "--accounts")) o->accounts = (u32)atoi(v);
        else if (!strcmp(a, "--pairs")) o->pairs = (u32)atoi(v);
        else if (!strcmp(a, "--warmup")) o->warmup_s = atof(v);
        else if (!strcmp(a, "--seconds")) o->seconds = atof(v);
        else if (!strcmp(a, "--confirmed")) o->confirmed = atoi(v) != 0;
        else if (!strcmp(a, "--check")) o->check = v;
        else if (!strcmp(a, "--check-only")) o->check_only = v;
        else if (!strcmp(a, "--data-dir")) o->data_dir = v;
        else usage();
        i += used;
    }
    if (!o->conns || !o->inflight || o->accounts < 2 || !o->pairs || o->seconds <= 0) usage();
    if (!o->check) o->check = o->inproc || o->data_dir ? "offline" : "subscribe";
}

static int measure(lg_run *r)
{
    const lg_opts *o = r->o;
    int rc = open_conns(r);
    if (rc) return rc;
    u64 t0 = lc_now_ns();
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    r->t_begin = t0 + (u64)(o->warmup_s * 1e9);
    r->t_end = r->t_begin + (u64)(o->seconds * 1e9);
    r->issuing = true;
    for (u32 i = 0; i < o->conns && !rc; i++) {
        for (u32 s = 0; s < o->inflight && !rc; s++) rc = issue(r, &r->conns[i], s);
        if (!rc) rc = flush_conn(r, &r->conns[i]);
    }
    if (!rc) rc = run_loop(r, r->t_end + 30ull * 1000000000);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    r->client_core_share = cpu / ((double)(lc_now_ns() - t0) / 1e9);
    if (rc == LC_EAGAIN)
        fprintf(stderr, "loadgen: %llu calls still unanswered 30 s after the window\n",
                (unsigned long long)total_outstanding(r));
    return rc;
}

static void print_result(const lg_run *r, const char *sum_state)
{
    const lg_opts *o = r->o;
    double tps = (double)r->ok_in_window / o->seconds;
    double p50 = lat_hist_quantile_us(&r->hist, 0.50), p99 = lat_hist_quantile_us(&r->hist, 0.99);
    u64 errors = r->err_total + r->proto_errors;
    printf("lightcone transfer alpha=%g conns=%u inflight=%u confirmed=%d: %.0f TPS, "
           "p50 %.2f ms, p99 %.2f ms (%llu ok in %.1f s window, %llu ok total, %llu errors%s%s; "
           "load generator thread %.0f%% of a core)\n",
           o->alpha, o->conns, o->inflight, o->confirmed, tps, p50 / 1000, p99 / 1000,
           (unsigned long long)r->ok_in_window, o->seconds, (unsigned long long)r->ok_total,
           (unsigned long long)errors, r->first_err[0] ? ", first: " : "", r->first_err,
           r->client_core_share * 100);
    printf("RESULT system=lightcone alpha=%g conns=%u inflight=%u confirmed=%d tps=%.0f "
           "p50_us=%.0f p99_us=%.0f ok=%llu errors=%llu sum=%s\n",
           o->alpha, o->conns, o->inflight, o->confirmed, tps, p50, p99,
           (unsigned long long)r->ok_in_window, (unsigned long long)errors, sum_state);
    fflush(stdout);
}

/* Runs the workload against o->host:o->port; *out_sum says how the sum check went. */
static int run_workload(lg_opts *o, inproc *ip, const char **out_sum)
{
    u32 *from = NULL, *to = NULL;
    u64 t0 = lc_now_ns();
    if (make_pairs(o->accounts, o->pairs, o->alpha, &from, &to)) return LC_ENOMEM;
    fprintf(stderr, "loadgen: %u pairs (alpha %g) in %.2f s\n", o->pairs, o->alpha,
            (lc_now_ns() - t0) / 1e9);
    net_wsc_opts wo = wsc_opts(o);
    net_wsc *ctl = NULL;
    lc_errbuf eb;
    int rc = net_wsc_connect(&wo, &ctl, NULL, &eb);
    if (rc) fprintf(stderr, "loadgen: control connection: %s\n", eb.msg);
    if (!rc && !o->no_seed) rc = seed_accounts(ctl, o->accounts);
    static lg_run r;
    r = (lg_run){.o = o, .from = from, .to = to, .ep = -1};
    if (!rc) rc = measure(&r);
    close_conns(&r);
    lc_free(from);
    lc_free(to);
    u64 count = 0;
    i64 sum = 0;
    *out_sum = "skipped";
    if (!rc && !strcmp(o->check, "subscribe")) {
        int crc = check_subscribe(ctl, &count, &sum);
        *out_sum = report_sum("subscription", crc, count, sum, o->accounts) ? "ok" : "FAILED";
    }
    net_wsc_close(ctl);
    if (!rc && !strcmp(o->check, "offline") && ip->srv) {
        inproc_stop(ip);
        char dir[300];
        snprintf(dir, sizeof dir, "%s/%s", o->data_dir, o->db);
        int crc = check_offline(dir, &count, &sum);
        *out_sum = report_sum("offline, recovered from disk", crc, count, sum, o->accounts)
                       ? "ok" : "FAILED";
    }
    print_result(&r, *out_sum);
    if (!rc && r.err_total + r.proto_errors) rc = LC_EINVAL;
    return rc;
}

int main(int argc, char **argv)
{
    lg_opts o;
    parse_opts(argc, argv, &o);
    if (o.check_only) {
        if (!o.data_dir) usage();
        u64 count = 0;
        i64 sum = 0;
        int rc = check_offline(o.data_dir, &count, &sum);
        return report_sum("offline, recovered from disk", rc, count, sum, o.accounts) ? 0 : 1;
    }
    static inproc ip;
    int rc = 0;
    if (o.inproc) {
        rc = inproc_start(&ip);
        if (!rc) {
            snprintf(o.host, sizeof o.host, "127.0.0.1");
            o.port = server_port(ip.srv);
            o.data_dir = ip.data;
        }
        if (!o.wasm) o.wasm = "build/wasm/keynote-bank.wasm";
    }
    if (!rc && o.wasm) rc = load_publish(o.host, o.port, o.db, o.wasm);
    const char *sum = "skipped";
    if (!rc) rc = run_workload(&o, &ip, &sum);
    inproc_cleanup(&ip);
    return rc == 0 && strcmp(sum, "FAILED") != 0 ? 0 : 1;
}
