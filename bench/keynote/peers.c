/*
 * bench/keynote/peers.c — the keynote transfer workload against the two peers of
 * performance.md §1, with the same pairs, connections, in-flight depth, warm-up and window as
 * bench/loadgen.c (pairs from bench/load_common.h), so bench/keynote/run.sh can print one
 * table.
 *
 *   peers pg    HOST PORT [opts]   PostgreSQL: `SELECT transfer($1,$2,$3)` prepared, one
 *               plpgsql function with the module's four errors (schema in run.sh). libpq
 *               pipeline mode: every call is followed by a Sync, so each call is its own
 *               transaction (its own commit, fsync'd with synchronous_commit = on) while K of
 *               them are in flight on the connection.
 *   peers redis HOST PORT [opts]   Redis: a Lua `transfer` script (SCRIPT LOAD, then EVALSHA)
 *               with the same errors, accounts as keys "a:<id>", raw RESP pipelining over a
 *               non-blocking socket; the server runs appendonly yes + appendfsync always, so a
 *               reply is sent only after the AOF write is fsync'd.
 *
 * Both: seed n accounts of 1,000,000,000 first, run, drain, then read every balance back and
 * check the sum. Output: a human line and a "RESULT system=..." line, as loadgen prints.
 *
 * Options: --conns 64 --inflight 40 --alpha 0 --accounts 100000 --pairs 10000000
 *          --warmup 3 --seconds 10
 * One thread, one epoll set; each reply issues the next call on its connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>

#include "base/buf.h"
#include "load_common.h"

#define INITIAL_BALANCE 1000000000ll

typedef struct pr_opts {
    const char *system, *host;
    u16 port;
    u32 conns, inflight, accounts, pairs;
    double alpha, warmup_s, seconds;
} pr_opts;

/* Per-connection state shared by both peers. Replies arrive in order on one connection, so
 * the send times are a FIFO ring. */
typedef struct pr_conn {
    u64 pos;
    u32 outstanding;
    u32 head; /* ring index of the oldest call */
    u64 *sent_ns;
    /* pg */
    PGconn *pg;
    int phase; /* 0: the call's result, 1: its NULL, 2: its PIPELINE_SYNC */
    bool call_ok;
    /* redis */
    int fd;
    lc_buf out;
    size_t out_off;
    lc_buf in;
    size_t in_off;
    bool pollout;
} pr_conn;

typedef struct pr_run {
    const pr_opts *o;
    const u32 *from, *to;
    pr_conn *conns;
    int ep;
    bool issuing;
    u64 t_begin, t_end;
    u64 ok_window, ok_total, errors;
    lat_hist hist;
    char first_err[200];
    char sha[41];
} pr_run;

static void note_error(pr_run *r, const char *msg, size_t n)
{
    r->errors++;
    if (!r->first_err[0]) snprintf(r->first_err, sizeof r->first_err, "%.*s", (int)n, msg);
}

/* A call finished (ok or not): latency, counters. Returns the pair slot to reuse. */
static void complete(pr_run *r, pr_conn *k, bool ok)
{
    u64 now = lc_now_ns();
    u64 sent = k->sent_ns[k->head];
    k->head = (k->head + 1) % r->o->inflight;
    k->outstanding--;
    if (!ok) return;
    r->ok_total++;
    if (now >= r->t_begin && now < r->t_end) {
        r->ok_window++;
        lat_hist_add(&r->hist, now - sent);
    }
}

static u64 next_pair(pr_run *r, pr_conn *k)
{
    u64 p = k->pos;
    k->pos = (k->pos + 1) % r->o->pairs;
    k->sent_ns[(k->head + k->outstanding) % r->o->inflight] = lc_now_ns();
    k->outstanding++;
    return p;
}

static u64 total_outstanding(const pr_run *r)
{
    u64 n = 0;
    for (u32 i = 0; i < r->o->conns; i++) n += r->conns[i].outstanding;
    return n;
}

/* ================= PostgreSQL ================= */

static PGconn *pg_connect(const pr_opts *o)
{
    char ci[256];
    snprintf(ci, sizeof ci, "host=%s port=%u dbname=postgres user=postgres", o->host, o->port);
    PGconn *c = PQconnectdb(ci);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "peers: pg connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int pg_exec(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : LC_EIO;
    if (rc) fprintf(stderr, "peers: pg: %s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    return rc;
}

static int pg_send(pr_run *r, pr_conn *k)
{
    u64 p = next_pair(r, k);
    char a[16], b[16];
    snprintf(a, sizeof a, "%u", r->from[p]);
    snprintf(b, sizeof b, "%u", r->to[p]);
    const char *vals[3] = {a, b, "1"};
    if (!PQsendQueryPrepared(k->pg, "t", 3, vals, NULL, NULL, 0)) return LC_EIO;
    return PQpipelineSync(k->pg) ? 0 : LC_EIO;
}

static int pg_flush(pr_run *r, pr_conn *k)
{
    int f = PQflush(k->pg);
    if (f < 0) return LC_EIO;
    bool want = f == 1;
    if (want != k->pollout) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = k};
        if (epoll_ctl(r->ep, EPOLL_CTL_MOD, PQsocket(k->pg), &ev)) return LC_EIO;
        k->pollout = want;
    }
    return 0;
}

/* One result step of the per-call sequence: result, NULL, PIPELINE_SYNC. */
static int pg_step(pr_run *r, pr_conn *k, PGresult *res)
{
    int rc = 0;
    if (k->phase == 0) {
        if (!res) return LC_EPROTOCOL;
        k->call_ok = PQresultStatus(res) == PGRES_TUPLES_OK;
        if (!k->call_ok) {
            const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            note_error(r, m ? m : "?", m ? strlen(m) : 1);
        }
        k->phase = 1;
    } else if (k->phase == 1) {
        if (res) rc = LC_EPROTOCOL;
        k->phase = 2;
    } else {
        if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) rc = LC_EPROTOCOL;
        k->phase = 0;
        complete(r, k, k->call_ok);
        if (!rc && r->issuing) rc = pg_send(r, k);
    }
    PQclear(res);
    return rc;
}

static int pg_readable(pr_run *r, pr_conn *k)
{
    if (!PQconsumeInput(k->pg)) {
        fprintf(stderr, "peers: pg: %s", PQerrorMessage(k->pg));
        return LC_EIO;
    }
    while (k->outstanding && !PQisBusy(k->pg)) {
        int rc = pg_step(r, k, PQgetResult(k->pg));
        if (rc) return rc;
    }
    return 0;
}

static const char PG_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS accounts(id integer PRIMARY KEY, balance bigint NOT NULL);"
    "CREATE OR REPLACE FUNCTION transfer(p_from integer, p_to integer, p_amount bigint)"
    " RETURNS void LANGUAGE plpgsql AS $$\n"
    "DECLARE fb bigint; n integer;\n"
    "BEGIN\n"
    "  IF p_from = p_to THEN RAISE EXCEPTION 'same_account'; END IF;\n"
    "  IF p_amount <= 0 THEN RAISE EXCEPTION 'non_positive_amount'; END IF;\n"
    /* Lock both rows in id order: concurrent A->B and B->A cannot deadlock. */
    "  PERFORM 1 FROM accounts WHERE id IN (p_from, p_to) ORDER BY id FOR UPDATE;\n"
    "  GET DIAGNOSTICS n = ROW_COUNT;\n"
    "  IF n <> 2 THEN RAISE EXCEPTION 'account_missing'; END IF;\n"
    "  SELECT balance INTO fb FROM accounts WHERE id = p_from;\n"
    "  IF fb < p_amount THEN RAISE EXCEPTION 'insufficient_funds'; END IF;\n"
    "  UPDATE accounts SET balance = balance - p_amount WHERE id = p_from;\n"
    "  UPDATE accounts SET balance = balance + p_amount WHERE id = p_to;\n"
    "END $$;";

static int pg_seed(const pr_opts *o)
{
    PGconn *c = pg_connect(o);
    if (!c) return LC_EIO;
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO accounts SELECT g, %lld FROM generate_series(0, %u) g",
             INITIAL_BALANCE, o->accounts - 1);
    int rc = pg_exec(c, PG_SCHEMA);
    if (!rc) rc = pg_exec(c, "TRUNCATE accounts");
    if (!rc) rc = pg_exec(c, sql);
    if (!rc) rc = pg_exec(c, "VACUUM ANALYZE accounts");
    PQfinish(c);
    return rc;
}

static int pg_sum(const pr_opts *o, u64 *count, i64 *sum)
{
    PGconn *c = pg_connect(o);
    if (!c) return LC_EIO;
    PGresult *res = PQexec(c, "SELECT count(*), sum(balance) FROM accounts");
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ? 0 : LC_EIO;
    if (!rc) {
        *count = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        *sum = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    PQfinish(c);
    return rc;
}

static int pg_open(pr_run *r, pr_conn *k)
{
    k->pg = pg_connect(r->o);
    if (!k->pg) return LC_EIO;
    PGresult *res = PQprepare(k->pg, "t", "SELECT transfer($1::integer, $2::integer, $3::bigint)",
                              3, NULL);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : LC_EIO;
    if (rc) fprintf(stderr, "peers: pg prepare: %s", PQresultErrorMessage(res));
    PQclear(res);
    if (!rc && (PQsetnonblocking(k->pg, 1) || !PQenterPipelineMode(k->pg))) rc = LC_EIO;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};
    if (!rc && epoll_ctl(r->ep, EPOLL_CTL_ADD, PQsocket(k->pg), &ev)) rc = LC_EIO;
    return rc;
}

/* ================= Redis ================= */

static const char REDIS_SCRIPT[] =
    "local from, to, amt = KEYS[1], KEYS[2], tonumber(ARGV[1])\n"
    "if from == to then return redis.error_reply('same_account') end\n"
    "if amt <= 0 then return redis.error_reply('non_positive_amount') end\n"
    "local fb = redis.call('GET', from)\n"
    "local tb = redis.call('GET', to)\n"
    "if not fb or not tb then return redis.error_reply('account_missing') end\n"
    "if tonumber(fb) < amt then return redis.error_reply('insufficient_funds') end\n"
    "redis.call('DECRBY', from, amt)\n"
    "redis.call('INCRBY', to, amt)\n"
    "return 1\n";

/* Sums every account in one script run (Lua numbers are doubles: exact below 2^53). */
static const char REDIS_SUM[] =
    "local s, n = 0, 0\n"
    "for i = 0, tonumber(ARGV[1]) - 1 do\n"
    "  local v = redis.call('GET', 'a:' .. i)\n"
    "  if v then s = s + tonumber(v); n = n + 1 end\n"
    "end\n"
    "return string.format('%d %d', n, s)\n";

static void resp_arg(lc_buf *b, const char *s, size_t n)
{
    char h[24];
    int hl = snprintf(h, sizeof h, "$%zu\r\n", n);
    lc_buf_put(b, h, (size_t)hl);
    lc_buf_put(b, s, n);
    lc_buf_put(b, "\r\n", 2);
}

static void resp_cmd(lc_buf *b, int argc, const char **argv)
{
    char h[24];
    int hl = snprintf(h, sizeof h, "*%d\r\n", argc);
    lc_buf_put(b, h, (size_t)hl);
    for (int i = 0; i < argc; i++) resp_arg(b, argv[i], strlen(argv[i]));
}

/* Parses one reply at p[0..n): returns its length, 0 if incomplete, -1 if malformed. The
 * reply's first line (type byte included) is *line / *line_len. Arrays are walked. */
static long resp_parse(const char *p, size_t n, const char **line, size_t *line_len)
{
    const char *e = n ? memchr(p, '\n', n) : NULL;
    if (!e) return 0;
    if (e == p || e[-1] != '\r') return -1;
    size_t hl = (size_t)(e + 1 - p);
    *line = p;
    *line_len = hl - 2;
    long v = strtol(p + 1, NULL, 10);
    switch (p[0]) {
    case '+': case '-': case ':':
        return (long)hl;
    case '$':
        if (v < 0) return (long)hl;
        return n >= hl + (size_t)v + 2 ? (long)(hl + (size_t)v + 2) : 0;
    case '*': {
        size_t off = hl;
        for (long i = 0; i < v; i++) {
            const char *l;
            size_t ll;
            long m = resp_parse(p + off, n - off, &l, &ll);
            if (m <= 0) return m;
            off += (size_t)m;
        }
        return (long)off;
    }
    default:
        return -1;
    }
}

static int tcp_connect(const char *host, u16 port)
{
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, ps, &hints, &res)) return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen)) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Blocking: sends b, reads `replies` replies; the last one's first line (and bulk payload)
 * goes to out. Returns 0, or LC_EIO; an error reply is LC_EINVAL with its text in out. */
static int redis_roundtrip(int fd, const lc_buf *b, u32 replies, char *out, size_t cap)
{
    for (size_t off = 0; off < b->len;) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w <= 0) return LC_EIO;
        off += (size_t)w;
    }
    lc_buf in;
    lc_buf_init(&in);
    size_t off = 0;
    int rc = 0;
    for (u32 got = 0; got < replies && !rc;) {
        const char *l;
        size_t ll;
        long m = resp_parse((const char *)in.data + off, in.len - off, &l, &ll);
        if (m < 0) rc = LC_EPROTOCOL;
        if (m > 0) {
            if (l[0] == '-') rc = LC_EINVAL;
            if (++got == replies || rc)
                snprintf(out, cap, "%.*s", (int)LC_MIN((size_t)m - 2, cap - 1), l);
            off += (size_t)m;
            continue;
        }
        if (m == 0) {
            u8 *d = lc_buf_reserve(&in, 65536);
            ssize_t r = d ? read(fd, d, 65536) : -1;
            if (r <= 0) rc = LC_EIO;
            else in.len += (size_t)r;
        }
    }
    lc_buf_deinit(&in);
    return rc;
}

static int redis_seed(const pr_opts *o, char sha[41])
{
    int fd = tcp_connect(o->host, o->port);
    if (fd < 0) return LC_EIO;
    lc_buf b;
    lc_buf_init(&b);
    char out[256];
    const char *flush[] = {"FLUSHALL"};
    resp_cmd(&b, 1, flush);
    int rc = redis_roundtrip(fd, &b, 1, out, sizeof out);
    u32 cmds = 0;
    lc_buf_reset(&b);
    for (u32 i = 0; !rc && i < o->accounts; i += 1000, cmds++) {
        u32 n = LC_MIN(1000u, o->accounts - i);
        char h[24], key[24];
        int hl = snprintf(h, sizeof h, "*%u\r\n", 1 + 2 * n);
        lc_buf_put(&b, h, (size_t)hl);
        resp_arg(&b, "MSET", 4);
        for (u32 k = i; k < i + n; k++) {
            resp_arg(&b, key, (size_t)snprintf(key, sizeof key, "a:%u", k));
            resp_arg(&b, "1000000000", 10);
        }
    }
    if (!rc) rc = redis_roundtrip(fd, &b, cmds, out, sizeof out);
    lc_buf_reset(&b);
    const char *load[] = {"SCRIPT", "LOAD", REDIS_SCRIPT};
    resp_cmd(&b, 3, load);
    if (!rc) rc = redis_roundtrip(fd, &b, 1, out, sizeof out);
    /* out: "$40\r\n<sha>" */
    const char *s = strstr(out, "\r\n");
    if (!rc && (!s || strlen(s + 2) < 40)) rc = LC_EPROTOCOL;
    if (!rc) snprintf(sha, 41, "%.40s", s + 2);
    if (rc) fprintf(stderr, "peers: redis seed: %s (%s)\n", lc_strerror(rc), out);
    lc_buf_deinit(&b);
    close(fd);
    return rc;
}

static int redis_sum(const pr_opts *o, u64 *count, i64 *sum)
{
    int fd = tcp_connect(o->host, o->port);
    if (fd < 0) return LC_EIO;
    lc_buf b;
    lc_buf_init(&b);
    char n[16], out[256];
    snprintf(n, sizeof n, "%u", o->accounts);
    const char *ev[] = {"EVAL", REDIS_SUM, "0", n};
    resp_cmd(&b, 4, ev);
    int rc = redis_roundtrip(fd, &b, 1, out, sizeof out);
    const char *s = strstr(out, "\r\n");
    unsigned long long c = 0;
    long long v = 0;
    if (!rc && (!s || sscanf(s + 2, "%llu %lld", &c, &v) != 2)) rc = LC_EPROTOCOL;
    *count = c;
    *sum = v;
    lc_buf_deinit(&b);
    close(fd);
    return rc;
}

static int redis_send(pr_run *r, pr_conn *k)
{
    u64 p = next_pair(r, k);
    char a[24], b[24];
    int al = snprintf(a, sizeof a, "a:%u", r->from[p]);
    int bl = snprintf(b, sizeof b, "a:%u", r->to[p]);
    lc_buf_put(&k->out, "*6\r\n", 4);
    resp_arg(&k->out, "EVALSHA", 7);
    resp_arg(&k->out, r->sha, 40);
    resp_arg(&k->out, "2", 1);
    resp_arg(&k->out, a, (size_t)al);
    resp_arg(&k->out, b, (size_t)bl);
    resp_arg(&k->out, "1", 1);
    return k->out.err ? LC_ENOMEM : 0;
}

static int redis_flush(pr_run *r, pr_conn *k)
{
    while (k->out_off < k->out.len) {
        ssize_t w = send(k->fd, k->out.data + k->out_off, k->out.len - k->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            k->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        return LC_EIO;
    }
    if (k->out_off == k->out.len) k->out.len = k->out_off = 0;
    bool want = k->out.len != 0;
    if (want != k->pollout) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = k};
        if (epoll_ctl(r->ep, EPOLL_CTL_MOD, k->fd, &ev)) return LC_EIO;
        k->pollout = want;
    }
    return 0;
}

static int redis_readable(pr_run *r, pr_conn *k)
{
    if (k->in_off == k->in.len) k->in.len = k->in_off = 0;
    u8 *d = lc_buf_reserve(&k->in, 65536);
    if (!d) return LC_ENOMEM;
    ssize_t n = recv(k->fd, d, 65536, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) return LC_EIO;
    k->in.len += (size_t)n;
    for (;;) {
        const char *l;
        size_t ll;
        long m = resp_parse((const char *)k->in.data + k->in_off, k->in.len - k->in_off, &l, &ll);
        if (m < 0) return LC_EPROTOCOL;
        if (m == 0) break;
        k->in_off += (size_t)m;
        bool ok = l[0] != '-';
        if (!ok) note_error(r, l + 1, ll - 1);
        complete(r, k, ok);
        if (r->issuing && redis_send(r, k)) return LC_ENOMEM;
    }
    if (k->in_off && k->in_off * 2 >= k->in.len) {
        memmove(k->in.data, k->in.data + k->in_off, k->in.len - k->in_off);
        k->in.len -= k->in_off;
        k->in_off = 0;
    }
    return 0;
}

static int redis_open(pr_run *r, pr_conn *k)
{
    k->fd = tcp_connect(r->o->host, r->o->port);
    if (k->fd < 0) return LC_EIO;
    lc_buf_init(&k->out);
    lc_buf_init(&k->in);
    if (fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) | O_NONBLOCK)) return LC_EIO;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};
    return epoll_ctl(r->ep, EPOLL_CTL_ADD, k->fd, &ev) ? LC_EIO : 0;
}

/* ================= driver ================= */

static bool is_pg(const pr_run *r) { return r->o->system[0] == 'p'; }

static int conn_send(pr_run *r, pr_conn *k) { return is_pg(r) ? pg_send(r, k) : redis_send(r, k); }
static int conn_flush(pr_run *r, pr_conn *k)
{
    return is_pg(r) ? pg_flush(r, k) : redis_flush(r, k);
}
static int conn_readable(pr_run *r, pr_conn *k)
{
    return is_pg(r) ? pg_readable(r, k) : redis_readable(r, k);
}

static int open_all(pr_run *r)
{
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    r->conns = lc_calloc(r->o->conns, sizeof *r->conns);
    if (r->ep < 0 || !r->conns) return LC_ENOMEM;
    for (u32 i = 0; i < r->o->conns; i++) {
        pr_conn *k = &r->conns[i];
        k->fd = -1;
        k->pos = (u64)i * (r->o->pairs / r->o->conns);
        k->sent_ns = lc_calloc(r->o->inflight, sizeof *k->sent_ns);
        if (!k->sent_ns) return LC_ENOMEM;
        int rc = is_pg(r) ? pg_open(r, k) : redis_open(r, k);
        if (rc) {
            fprintf(stderr, "peers: connection %u failed\n", i);
            return rc;
        }
    }
    return 0;
}

static void close_all(pr_run *r)
{
    for (u32 i = 0; r->conns && i < r->o->conns; i++) {
        pr_conn *k = &r->conns[i];
        if (k->pg) PQfinish(k->pg);
        if (k->fd >= 0) close(k->fd);
        lc_buf_deinit(&k->out);
        lc_buf_deinit(&k->in);
        lc_free(k->sent_ns);
    }
    lc_free(r->conns);
    if (r->ep >= 0) close(r->ep);
}

static int run_loop(pr_run *r)
{
    u64 drain_deadline = r->t_end + 30ull * 1000000000;
    struct epoll_event evs[256];
    for (;;) {
        u64 now = lc_now_ns();
        if (r->issuing && now >= r->t_end) r->issuing = false;
        if (!r->issuing && (total_outstanding(r) == 0 || now >= drain_deadline)) break;
        int n = epoll_wait(r->ep, evs, (int)LC_ARRAY_LEN(evs), 5);
        if (n < 0 && errno != EINTR) return LC_EIO;
        for (int i = 0; i < n; i++) {
            pr_conn *k = evs[i].data.ptr;
            int rc = 0;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) rc = conn_readable(r, k);
            if (!rc) rc = conn_flush(r, k);
            if (rc) {
                fprintf(stderr, "peers: connection %ld: %s\n", (long)(k - r->conns),
                        lc_strerror(rc));
                return rc;
            }
        }
    }
    return total_outstanding(r) ? LC_EAGAIN : 0;
}

static int measure(pr_run *r)
{
    int rc = open_all(r);
    if (rc) return rc;
    u64 t0 = lc_now_ns();
    r->t_begin = t0 + (u64)(r->o->warmup_s * 1e9);
    r->t_end = r->t_begin + (u64)(r->o->seconds * 1e9);
    r->issuing = true;
    for (u32 i = 0; i < r->o->conns && !rc; i++) {
        for (u32 s = 0; s < r->o->inflight && !rc; s++) rc = conn_send(r, &r->conns[i]);
        if (!rc) rc = conn_flush(r, &r->conns[i]);
    }
    return rc ? rc : run_loop(r);
}

static void usage(void)
{
    fprintf(stderr, "usage: peers pg|redis HOST PORT [--conns N] [--inflight K] [--alpha A]\n"
                    "             [--accounts N] [--pairs N] [--warmup S] [--seconds S]\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, pr_opts *o)
{
    if (argc < 4 || (strcmp(argv[1], "pg") && strcmp(argv[1], "redis"))) usage();
    *o = (pr_opts){.system = argv[1][0] == 'p' ? "postgres" : "redis", .host = argv[2],
                   .port = (u16)atoi(argv[3]), .conns = 64, .inflight = 40,
                   .accounts = 100000, .pairs = 10000000, .warmup_s = 3, .seconds = 10};
    for (int i = 4; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--conns")) o->conns = (u32)atoi(v);
        else if (!strcmp(a, "--inflight")) o->inflight = (u32)atoi(v);
        else if (!strcmp(a, "--alpha")) o->alpha = atof(v);
        else if (!strcmp(a, "--accounts")) o->accounts = (u32)atoi(v);
        else if (!strcmp(a, "--pairs")) o->pairs = (u32)atoi(v);
        else if (!strcmp(a, "--warmup")) o->warmup_s = atof(v);
        else if (!strcmp(a, "--seconds")) o->seconds = atof(v);
        else usage();
    }
    if (!o->conns || !o->inflight || o->accounts < 2 || !o->pairs || o->seconds <= 0) usage();
}

static void print_result(const pr_run *r, const char *sum)
{
    const pr_opts *o = r->o;
    double tps = (double)r->ok_window / o->seconds;
    double p50 = lat_hist_quantile_us(&r->hist, 0.5), p99 = lat_hist_quantile_us(&r->hist, 0.99);
    printf("%s transfer alpha=%g conns=%u inflight=%u: %.0f TPS, p50 %.2f ms, p99 %.2f ms "
           "(%llu ok in window, %llu ok total, %llu errors%s%s)\n",
           o->system, o->alpha, o->conns, o->inflight, tps, p50 / 1000, p99 / 1000,
           (unsigned long long)r->ok_window, (unsigned long long)r->ok_total,
           (unsigned long long)r->errors, r->first_err[0] ? ", first: " : "", r->first_err);
    printf("RESULT system=%s alpha=%g conns=%u inflight=%u confirmed=1 tps=%.0f p50_us=%.0f "
           "p99_us=%.0f ok=%llu errors=%llu sum=%s\n",
           o->system, o->alpha, o->conns, o->inflight, tps, p50, p99,
           (unsigned long long)r->ok_window, (unsigned long long)r->errors, sum);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    pr_opts o;
    parse_opts(argc, argv, &o);
    static pr_run r;
    r = (pr_run){.o = &o, .ep = -1};
    u32 *from = NULL, *to = NULL;
    if (make_pairs(o.accounts, o.pairs, o.alpha, &from, &to)) return 1;
    r.from = from;
    r.to = to;
    bool pg = o.system[0] == 'p';
    u64 t0 = lc_now_ns();
    int rc = pg ? pg_seed(&o) : redis_seed(&o, r.sha);
    if (!rc) fprintf(stderr, "peers: %s seeded %u accounts in %.2f s\n", o.system, o.accounts,
                     (lc_now_ns() - t0) / 1e9);
    if (!rc) rc = measure(&r);
    close_all(&r);
    u64 count = 0;
    i64 sum = 0;
    const char *sum_state = "skipped";
    if (!rc) {
        int crc = pg ? pg_sum(&o, &count, &sum) : redis_sum(&o, &count, &sum);
        bool ok = !crc && count == o.accounts && sum == (i64)o.accounts * INITIAL_BALANCE;
        printf("sum check (%s): %s: %llu rows, sum %lld\n", o.system, ok ? "OK" : "FAILED",
               (unsigned long long)count, (long long)sum);
        sum_state = ok ? "ok" : "FAILED";
    }
    print_result(&r, sum_state);
    lc_free(from);
    lc_free(to);
    return !rc && !strcmp(sum_state, "ok") && r.errors == 0 ? 0 : 1;
}
