/*
 * server/server.c — the libuv event loop: listener, connections, shutdown (server/server.h).
 *
 * One loop thread owns every handle. A connection is a uv_tcp_t + net_http_reader + idle
 * timer; bytes read are fed to the reader, each complete request is routed and its response
 * written with uv_write (the write request owns the response bytes). A reader error writes
 * the reader's status and closes; a request without keep-alive closes after its response.
 * server_stop signals a uv_async_t that closes the listener and every connection, then the
 * loop runs out and the thread exits.
 *
 * WebSocket output path (spec-client-protocol.md §2.3, §2.8; engine semantics §2.5):
 *
 *   worker job done ──> job_done: fan messages (subs_fan, commit order) then the job's reply
 *        │                 └─> ws_deliver(conn, body, tx_end)
 *        │                        ├─ confirmed && (held non-empty || tx_end > durable end)
 *        │                        │     -> c->hq  (released in order by on_durable)
 *        │                        └─ else ws_out: v3 -> c->acc (one frame per drain, up to
 *        │                              SERVER_V3_BATCH_MAX); v2 -> a frame in c->wout
 *        │    a fan message with a shared tail (subs_shared) to an uncompressed, not-held
 *        │    client -> its own frame: [header, head] into c->wout, the tail referenced in
 *        │    c->segs at that offset; the flush writes wout and the tails interleaved in ONE
 *        │    uv_write of several uv_buf_t (writev), which holds the references until done
 *        └─ end of the drained batch (job NULL) -> ws_flush every dirty connection: one
 *           uv_write per connection per drain.
 *
 * A held message with a shared tail keeps a reference to the tail (hq record), not a copy, and
 * goes out through the same shared-tail path when released. A write request carries its
 * tail references and small payload in one allocation.
 *
 * Compression once per identical message: a shared tail keeps its first compressed frame
 * (subs_shared.zframe, for one head and compression), which serves every client with the
 * same query set id however many transactions are released together. Otherwise a
 * compressing client's frame body is looked up in a small cache of recently compressed
 * bodies (zcache: hash, then a full compare) before it is compressed, so byte-identical
 * messages (the same query set ids, as SDK clients that subscribed alike have) are
 * compressed once and the compressed frame copied to each.
 *
 * A connection is freed only after its DISCONNECT job returns (it counts in c->jobs), and the
 * worker drops its subscriptions in that job, so no message can target a freed connection.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "net/proto.h"
#include "net/ws.h"
#include "server/dbadmin.h"
#include "server/dbwork.h"
#include "server/routes.h"
#include "server/server.h"
#include "server/subs.h"

/* A shared tail (subs.h) to write after wout's bytes [.., end). */
typedef struct wseg {
    size_t end;
    subs_shared *sh;
} wseg;

/* Shared tails one connection collects before its pending output is written. */
#define SERVER_SEGS_MAX 64u

typedef struct conn conn;
struct conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    net_http_reader rd;
    server *srv;
    conn *prev, *next;
    bool closing;
    int open_handles;
    bool is_ws;
    bool closing_ws; /* a close frame is queued: flush, then close */
    net_ws_parser wsp;
    net_ws_proto proto;
    net_ws_compression comp;
    /* database side */
    int jobs;          /* submitted, not yet returned: the conn is freed only at 0 */
    bool waiting;      /* an HTTP request is at the database: reads paused */
    lc_buf stash;      /* bytes received after that request, fed once it is answered */
    lc_buf held;       /* WebSocket: 101 + InitialConnection, held until client_connected */
    char db[SERVER_DB_NAME_MAX + 1]; /* WebSocket: the database */
    u8 identity[32], connid[16];     /* WebSocket: the client (wire bytes) */
    u8 conn_state;     /* WebSocket: 0 none, 1 connect pending, 2 connected, 3 refused */
    /* WebSocket output (ws_deliver): messages of one drain are coalesced and written at its
     * end; confirmed reads park messages in hq until their transaction is durable. */
    bool confirmed;    /* ?confirmed= (default true for v2/v3, as the reference) */
    dbdurable *dur;    /* the database's durable end (NULL: everything is durable) */
    lc_buf acc;        /* v3: ServerMessages waiting to be framed together */
    lc_buf wout;       /* frames waiting for the end of the drain */
    wseg *segs;        /* shared tails interleaved with wout (one reference each); the array
                        * (SERVER_SEGS_MAX) lives as long as c once made */
    u32 nsegs;
    lc_buf hq;         /* held: records [u64 tx_end][u32 len][u64 shared][body] from hq_pos
                        * on; shared: 0, or a subs_shared * (one reference) whose bytes
                        * follow body in the message */
    size_t hq_pos;
    size_t hq_shared;  /* bytes of the shared tails referenced from hq (the outq bound) */
    conn *dirty_prev, *dirty_next; /* on srv->dirty: has acc/wout to flush */
    conn *hq_prev, *hq_next;       /* on srv->held: has held messages */
    bool is_dirty, is_held;
    bool following;    /* HTTP logs?follow=true: streaming chunks (server/dbadmin_logs.c) */
    u64 follow_off;    /* follow: module.log offset reached */
};

static void ws_disconnect(conn *c);
static bool conn_submit(conn *c, dbjob *j);
static void ws_close_with(conn *c, lc_buf *out, u16 code, const char *reason);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);
static void ws_send_msg(conn *c, lc_buf *out, const lc_buf *body);
static int db_route(conn *c, const net_http_request *req, const char *rest, size_t rn,
                    lc_buf *out);
static void job_done(dbjob *j, void *user);
static void ws_flush(conn *c);
static void hq_put(conn *c, const u8 *body, size_t len, subs_shared *sh, u64 tx_end);
static void on_durable(void *user);

static void ws_feed(conn *c, const u8 *p, size_t n, lc_buf *out);
static bool conn_upgrade(conn *c, const net_http_request *req, lc_buf *out);

/* One recently compressed frame body: the uncompressed bytes (the key) and the finished
 * frame. Slots are reused round robin; bodies over ZCACHE_BODY_MAX are not kept. */
typedef struct zentry {
    u64 hash;
    u8 comp;
    lc_buf key, frame;
} zentry;

#define ZCACHE_SLOTS 8u
#define ZCACHE_BODY_MAX (1u << 20)

struct server {
    server_config cfg;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t stop;
    pthread_t thread;
    u16 port;
    conn *conns;
    _Atomic u64 slow_drops;
    dbwork *dbw;
    conn *dirty; /* connections with output to flush at the end of this drain */
    conn *held;  /* connections holding messages for durability */
    zentry zc[ZCACHE_SLOTS]; /* compression once per identical frame body */
    u32 zc_next;
    _Atomic u64 zc_hits, zc_misses;
    u8 rbuf[64 * 1024]; /* the loop's read buffer (on_alloc) */
};

/* A write request; small payloads live inline after it (one allocation, and the caller's
 * buffer keeps its capacity for the next message), big ones are taken from the lc_buf. */
typedef struct wreq {
    uv_write_t req;
    u8 *data;   /* == inline bytes, or a taken buffer */
    wseg *segs; /* shared tails interleaved with data (in this allocation, after the
                 * struct; data follows them when inline); a reference each until done */
    u32 nsegs;
} wreq;

#define WREQ_INLINE_MAX (64u << 10)

/* Held records: [u64 tx_end][u32 len][u64 shared pointer or 0][len bytes of body]. */
#define HQ_REC_HEAD 20u

static subs_shared *hq_shared_at(const u8 *rec)
{
    return (subs_shared *)(uintptr_t)lc_load_u64(rec + 12);
}

/* Releases the shared tails of the held records not yet sent. */
static void hq_drop(conn *c)
{
    while (c->hq_pos < c->hq.len) {
        const u8 *p = c->hq.data + c->hq_pos;
        subs_shared *sh = hq_shared_at(p);
        c->hq_pos += HQ_REC_HEAD + (size_t)lc_load_u32(p + 8);
        if (sh) subs_shared_release(sh);
    }
    c->hq_shared = 0;
}

static void conn_free(conn *c)
{
    lc_buf_deinit(&c->stash);
    lc_buf_deinit(&c->held);
    lc_buf_deinit(&c->acc);
    lc_buf_deinit(&c->wout);
    for (u32 i = 0; i < c->nsegs; i++) subs_shared_release(c->segs[i].sh);
    lc_free(c->segs);
    hq_drop(c);
    lc_buf_deinit(&c->hq);
    net_http_reader_deinit(&c->rd);
    if (c->is_ws) net_ws_parser_deinit(&c->wsp);
    lc_free(c);
}

static void conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->open_handles || c->jobs) return;
    conn_free(c);
}

static void dirty_unlink(conn *c)
{
    if (!c->is_dirty) return;
    if (c->dirty_prev) c->dirty_prev->dirty_next = c->dirty_next; else c->srv->dirty = c->dirty_next;
    if (c->dirty_next) c->dirty_next->dirty_prev = c->dirty_prev;
    c->dirty_prev = c->dirty_next = NULL;
    c->is_dirty = false;
}

static void held_unlink(conn *c)
{
    if (!c->is_held) return;
    if (c->hq_prev) c->hq_prev->hq_next = c->hq_next; else c->srv->held = c->hq_next;
    if (c->hq_next) c->hq_next->hq_prev = c->hq_prev;
    c->hq_prev = c->hq_next = NULL;
    c->is_held = false;
}

static void conn_close(conn *c)
{
    if (c->closing) return;
    c->closing = true;
    if (c->prev) c->prev->next = c->next; else c->srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    dirty_unlink(c);
    held_unlink(c);
    if (c->conn_state == 2) ws_disconnect(c);
    uv_timer_stop(&c->idle);
    uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void write_done(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    if (w->data != (u8 *)(w->segs + w->nsegs)) lc_free(w->data);
    for (u32 i = 0; i < w->nsegs; i++) subs_shared_release(w->segs[i].sh);
    lc_free(w);
}

/* uv_buf_t of w into b[2 * SERVER_SEGS_MAX + 1]: data cut at each segment's end, the
 * segment's tail after each cut. */
static u32 wreq_bufs(const wreq *w, size_t n, uv_buf_t *b)
{
    LC_ASSERT(w->nsegs <= SERVER_SEGS_MAX);
    u32 nb = 0;
    size_t at = 0;
    for (u32 i = 0; i < w->nsegs; i++) {
        if (w->segs[i].end > at)
            b[nb++] = uv_buf_init((char *)w->data + at, (unsigned)(w->segs[i].end - at));
        b[nb++] = uv_buf_init((char *)w->segs[i].sh->data, w->segs[i].sh->len);
        at = w->segs[i].end;
    }
    if (n > at || nb == 0) b[nb++] = uv_buf_init((char *)w->data + at, (unsigned)(n - at));
    return nb;
}

/* Queues out's bytes on the socket with the shared tails segs[0..nsegs) interleaved in one
 * write; out is emptied. The references in segs are taken, the array is borrowed: the write
 * request carries a copy of it and small payloads in its one allocation, so a fan-out write
 * costs one small allocation (per-write arrays made the heap grow and shrink every
 * transaction: page faults on the loop). The outq check counts the shared bytes too:
 * libuv's write queue size counts every buffer queued on the stream. */
static void conn_send_ex(conn *c, lc_buf *out, const wseg *segs, u32 nsegs)
{
    if (out->err || !out->len || c->closing) {
        for (u32 i = 0; i < nsegs; i++) subs_shared_release(segs[i].sh);
        if (out->err && !c->closing) conn_close(c);
        return;
    }
    size_t n = out->len;
    bool is_inline = n <= WREQ_INLINE_MAX;
    wreq *w = lc_alloc(sizeof *w + sizeof(wseg) * nsegs + (is_inline ? n : 0));
    if (w) {
        w->segs = (wseg *)(w + 1);
        w->nsegs = nsegs;
        if (nsegs) memcpy(w->segs, segs, sizeof(wseg) * nsegs);
    } else {
        for (u32 i = 0; i < nsegs; i++) subs_shared_release(segs[i].sh);
        conn_close(c);
        return;
    }
    if (is_inline) {
        w->data = (u8 *)(w->segs + nsegs);
        memcpy(w->data, out->data, n);
        lc_buf_reset(out);
    } else {
        w->data = lc_buf_take(out, &n);
    }
    uv_buf_t b[2 * SERVER_SEGS_MAX + 1]; /* libuv copies the array */
    u32 nb = wreq_bufs(w, n, b);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, b, nb, write_done)) {
        write_done(&w->req, 0);
        conn_close(c);
        return;
    }
    size_t q = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
    if (q > c->srv->cfg.outq_max) {
        LC_LOG_W("server", "dropping a slow client: %zu bytes unsent (limit %zu)", q,
                 c->srv->cfg.outq_max);
        c->srv->slow_drops++;
        conn_close(c);
    }
}

/* Queues out's bytes on the socket (out is emptied). */
static void conn_send(conn *c, lc_buf *out) { conn_send_ex(c, out, NULL, 0); }

static void shutdown_done(uv_shutdown_t *req, int status)
{
    conn *c = req->data;
    lc_free(req);
    conn_close(c);
}

/* Closes after the queued responses are flushed. */
static void conn_finish(conn *c)
{
    uv_shutdown_t *req = lc_alloc(sizeof *req);
    if (!req) { conn_close(c); return; }
    req->data = c;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, shutdown_done)) {
        lc_free(req);
        conn_close(c);
    }
}

/* One read buffer for the whole loop: libuv calls on_alloc then on_read synchronously, and
 * on_read copies whatever it keeps (parsers, stash), so no allocation per read. */
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    conn *c = h->data;
    b->base = (char *)c->srv->rbuf;
    b->len = sizeof c->srv->rbuf;
}

/* Feeds bytes; returns false when the connection is done (closing or finishing). */
static bool conn_feed(conn *c, const char *p, size_t n)
{
    lc_buf out;
    lc_buf_init(&out);
    bool keep = true;
    int dr;
    while (keep && !c->closing) {
        size_t used = 0;
        net_http_request *req = NULL;
        int rc = net_http_reader_feed(&c->rd, p, n, &used, &req);
        p += used;
        n -= used;
        if (rc < 0) {
            net_http_write_reader_error(&out, &c->rd);
            keep = false;
        } else if (rc == NET_HTTP_CONTINUE) {
            lc_buf_put(&out, NET_HTTP_100_CONTINUE, strlen(NET_HTTP_100_CONTINUE));
        } else if (rc == 1 && req->is_upgrade) {
            keep = conn_upgrade(c, req, &out);
            if (keep && c->conn_state == 1) { /* wait for client_connected */
                c->waiting = true;
                lc_buf_reset(&c->stash);
                lc_buf_put(&c->stash, p, n);
                uv_read_stop((uv_stream_t *)&c->tcp);
            } else if (keep) {
                ws_feed(c, (const u8 *)p, n, &out);
            }
            break;
        } else if (rc == 1 && (dr = db_route(c, req, p, n, &out)) != 0) {
            if (dr == 1) break; /* answered by job_done; the rest of the bytes is stashed */
            keep = req->keep_alive;
        } else if (rc == 1) {
            keep = server_route(&c->srv->cfg, req, lc_now_micros() / 1000000, &out);
            LC_LOG_D("server", "%s %.*s", req->method_name, (int)req->path_len, req->path);
        } else {
            break;
        }
    }
    conn_send(c, &out);
    lc_buf_deinit(&out);
    if ((!keep || c->closing_ws) && !c->closing) conn_finish(c);
    return keep;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn *c = s->data;
    if (nread < 0) {
        conn_close(c);
    } else if (nread > 0 && !c->closing) {
        uv_timer_again(&c->idle);
        if (c->is_ws) {
            lc_buf out;
            lc_buf_init(&out);
            ws_feed(c, (const u8 *)b->base, (size_t)nread, &out);
            if (c->is_dirty) ws_flush(c);
            conn_send(c, &out);
            lc_buf_deinit(&out);
            if (c->closing_ws && !c->closing) conn_finish(c);
        } else {
            conn_feed(c, b->base, (size_t)nread);
        }
    }
}

static void on_idle(uv_timer_t *t)
{
    conn *c = t->data;
    if (c->following) { /* the idle timer doubles as the logs follow poll */
        dbjob *j = c->jobs ? NULL : dbjob_new(DBJOB_ADMIN);
        if (!j) return;
        memcpy(j->db, c->db, sizeof j->db);
        j->route = SERVER_DB_LOGS;
        j->request_id = 1;
        j->arg = c->follow_off;
        memcpy(j->identity, c->identity, 32); /* the owner check runs on every poll */
        j->keep_alive = true;
        if (!conn_submit(c, j)) conn_close(c);
        return;
    }
    LC_LOG_D("server", "closing an idle connection");
    conn_close(c);
}

static void on_connection(uv_stream_t *l, int status)
{
    server *srv = l->data;
    if (status < 0) return;
    conn *c = lc_calloc(1, sizeof *c);
    if (!c) return;
    c->srv = srv;
    net_http_reader_init(&c->rd, LC_HTTP_BODY_MAX);
    uv_tcp_init(&srv->loop, &c->tcp);
    uv_timer_init(&srv->loop, &c->idle);
    c->tcp.data = c->idle.data = c;
    c->open_handles = 2;
    c->next = srv->conns;
    if (c->next) c->next->prev = c;
    srv->conns = c;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1); /* replies are coalesced per drain already: no Nagle wait */
    uv_timer_start(&c->idle, on_idle, SERVER_IDLE_MS, SERVER_IDLE_MS);
}

static void on_stop(uv_async_t *a)
{
    server *srv = a->data;
    dbwork_close(srv->dbw); /* returns the unrun jobs through job_done first */
    while (srv->conns) conn_close(srv->conns);
    uv_close((uv_handle_t *)&srv->listener, NULL);
    uv_close((uv_handle_t *)&srv->stop, NULL);
}

static void *loop_main(void *arg)
{
    server *srv = arg;
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    return NULL;
}

static int server_bind(server *srv, lc_errbuf *eb)
{
    struct sockaddr_in addr;
    const char *host = srv->cfg.host ? srv->cfg.host : "127.0.0.1";
    int rc = uv_ip4_addr(host, srv->cfg.port, &addr);
    if (!rc) rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0);
    if (!rc) rc = uv_listen((uv_stream_t *)&srv->listener, 128, on_connection);
    if (rc) return lc_errf(eb, LC_EIO, "listen on %s:%u: %s", host, srv->cfg.port, uv_strerror(rc));
    struct sockaddr_in got;
    int len = sizeof got;
    uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&got, &len);
    srv->port = ntohs(got.sin_port);
    return 0;
}

int server_start(const server_config *cfg, server **out, lc_errbuf *eb)
{
    server *srv = lc_calloc(1, sizeof *srv);
    if (!srv) return lc_errf(eb, LC_ENOMEM, "out of memory");
    srv->cfg = *cfg;
    if (!srv->cfg.issuer) srv->cfg.issuer = "localhost";
    if (!srv->cfg.outq_max) srv->cfg.outq_max = SERVER_OUTQ_MAX;
    uv_loop_init(&srv->loop);
    uv_tcp_init(&srv->loop, &srv->listener);
    srv->listener.data = srv;
    uv_async_init(&srv->loop, &srv->stop, on_stop);
    srv->stop.data = srv;
    int rc = server_bind(srv, eb);
    if (!rc) rc = dbwork_start(cfg->data_dir, &srv->loop, job_done, srv, &srv->dbw, eb);
    if (!rc) dbwork_on_durable(srv->dbw, on_durable);
    if (!rc) dbwork_set_clog(srv->dbw, cfg->clog);
    if (!rc) dbwork_set_http_private(srv->dbw, cfg->http_allow_private);
    if (!rc) rc = dbwork_run(srv->dbw, eb);
    if (!rc && pthread_create(&srv->thread, NULL, loop_main, srv))
        rc = lc_errf(eb, LC_EIO, "cannot start the loop thread");
    if (rc) {
        if (srv->dbw) {
            dbwork_stop_worker(srv->dbw);
            dbwork_close(srv->dbw);
        }
        uv_close((uv_handle_t *)&srv->listener, NULL);
        uv_close((uv_handle_t *)&srv->stop, NULL);
        uv_run(&srv->loop, UV_RUN_DEFAULT);
        uv_loop_close(&srv->loop);
        lc_free(srv);
        return rc;
    }
    LC_LOG_I("server", "listening on %s:%u", srv->cfg.host ? srv->cfg.host : "127.0.0.1",
             srv->port);
    *out = srv;
    return 0;
}

u16 server_port(const server *s) { return s->port; }

u64 server_slow_drops(const server *s) { return s->slow_drops; }

void server_compress_stats(const server *s, u64 *hits, u64 *misses)
{
    *hits = s->zc_hits;
    *misses = s->zc_misses;
}

void server_stop(server *s)
{
    dbwork_stop_worker(s->dbw); /* databases are closed on this thread after the join */
    uv_async_send(&s->stop);
    pthread_join(s->thread, NULL);
    uv_loop_close(&s->loop);
    for (u32 i = 0; i < ZCACHE_SLOTS; i++) {
        lc_buf_deinit(&s->zc[i].key);
        lc_buf_deinit(&s->zc[i].frame);
    }
    lc_free(s);
}

/* ---- WebSocket connections (spec-client-protocol.md §2) ---- */

static bool is_subscribe_path(const net_http_request *req)
{
    const char *pre = "/v1/database/", *suf = "/subscribe";
    size_t np = strlen(pre), ns = strlen(suf);
    return req->path_len > np + ns && memcmp(req->path, pre, np) == 0 &&
           memcmp(req->path + req->path_len - ns, suf, ns) == 0;
}

static void ws_send_msg(conn *c, lc_buf *out, const lc_buf *body)
{
    lc_buf env;
    lc_buf_init(&env);
    if (!body->err && net_ws_msg_encode(&env, c->comp, body->data, body->len) == 0)
        net_ws_write_frame(out, NET_WS_OP_BINARY, env.data, env.len);
    lc_buf_deinit(&env);
}

/* v3 frames coalesce ServerMessages up to about this many bytes (the reference's figure); a
 * single bigger message still goes alone. */
#define SERVER_V3_BATCH_MAX (512u << 10)

/* Appends one binary frame [compression tag][body] to out. Bodies that stay uncompressed
 * (small, or compression=None) are framed in place, without a temporary envelope. */
static void ws_frame_body(conn *c, lc_buf *out, const u8 *body, size_t len)
{
    if (c->comp == NET_WS_COMPRESS_NONE || len <= NET_WS_COMPRESS_MIN) {
        u8 h[14];
        size_t hn = net_ws_frame_header(h, NET_WS_OP_BINARY, true, (u64)len + 1, NULL);
        lc_buf_put(out, h, hn);
        lc_buf_put_u8(out, NET_WS_COMPRESS_NONE);
        lc_buf_put(out, body, len);
        return;
    }
    server *srv = c->srv;
    u64 h = lc_hash_bytes(body, len, c->comp);
    for (u32 i = 0; i < ZCACHE_SLOTS; i++) {
        const zentry *z = &srv->zc[i];
        if (z->frame.len && z->hash == h && z->comp == c->comp && z->key.len == len &&
            memcmp(z->key.data, body, len) == 0) {
            srv->zc_hits++;
            lc_buf_put(out, z->frame.data, z->frame.len);
            return;
        }
    }
    srv->zc_misses++;
    lc_buf env;
    lc_buf_init(&env);
    size_t at = out->len;
    if (net_ws_msg_encode(&env, c->comp, body, len) == 0)
        net_ws_write_frame(out, NET_WS_OP_BINARY, env.data, env.len);
    lc_buf_deinit(&env);
    if (out->err || len > ZCACHE_BODY_MAX) return;
    zentry *z = &srv->zc[srv->zc_next++ % ZCACHE_SLOTS];
    lc_buf_reset(&z->key);
    lc_buf_reset(&z->frame);
    lc_buf_put(&z->key, body, len);
    lc_buf_put(&z->frame, out->data + at, out->len - at);
    z->hash = h;
    z->comp = (u8)c->comp;
    if (z->key.err || z->frame.err) lc_buf_reset(&z->frame); /* not usable */
}

/* Frames the coalesced v3 messages into wout. */
static void ws_acc_frame(conn *c)
{
    if (!c->acc.len) return;
    if (!c->acc.err) ws_frame_body(c, &c->wout, c->acc.data, c->acc.len);
    lc_buf_reset(&c->acc);
}

/* Writes everything pending for c now. */
static void ws_flush(conn *c)
{
    dirty_unlink(c);
    ws_acc_frame(c);
    u32 nsegs = c->nsegs;
    c->nsegs = 0; /* the references go to the write; the array stays for the next drain */
    conn_send_ex(c, &c->wout, c->segs, nsegs);
}

/* c has output for the end of the drain (srv->dirty). */
static void conn_mark_dirty(conn *c)
{
    if (c->is_dirty) return;
    c->is_dirty = true;
    c->dirty_prev = NULL;
    c->dirty_next = c->srv->dirty;
    if (c->dirty_next) c->dirty_next->dirty_prev = c;
    c->srv->dirty = c;
}

/* Queues one ServerMessage body for the end of the drain (v3: into the shared frame). */
static void ws_out(conn *c, const u8 *body, size_t len)
{
    if (c->proto == NET_WS_PROTO_V3) {
        if (c->acc.len && c->acc.len + len > SERVER_V3_BATCH_MAX) ws_acc_frame(c);
        lc_buf_put(&c->acc, body, len);
    } else {
        ws_frame_body(c, &c->wout, body, len);
    }
    conn_mark_dirty(c);
    if (c->wout.len >= SERVER_V3_BATCH_MAX) ws_flush(c); /* keeps the outq check timely */
}

/* Sends a ServerMessage produced by transaction state tx_end: a confirmed-reads client gets
 * it once dbdurable_end >= tx_end, and never ahead of an earlier held message. */
static void ws_deliver(conn *c, const u8 *body, size_t len, u64 tx_end)
{
    if (c->closing || c->closing_ws || !c->is_ws || !len) return;
    if (!c->confirmed || (c->hq_pos == c->hq.len && tx_end <= dbdurable_end(c->dur))) {
        ws_out(c, body, len);
        return;
    }
    hq_put(c, body, len, NULL, tx_end);
}

/* Holds a message until tx_end is durable: body, then sh's bytes when sh is not NULL (the
 * record takes a reference, so a held fan-out message costs its head, not a copy). */
static void hq_put(conn *c, const u8 *body, size_t len, subs_shared *sh, u64 tx_end)
{
    size_t at = c->hq.len;
    lc_buf_put_u64(&c->hq, tx_end);
    lc_buf_put_u32(&c->hq, (u32)len);
    lc_buf_put_u64(&c->hq, (u64)(uintptr_t)sh);
    lc_buf_put(&c->hq, body, len);
    if (c->hq.err) {
        c->hq.len = at; /* no partial record: hq_drop must not see its pointer */
    } else if (sh) {
        subs_shared_retain(sh);
        c->hq_shared += sh->len;
    }
    size_t held = c->hq.len - c->hq_pos + c->hq_shared;
    if (c->hq.err || held > c->srv->cfg.outq_max) {
        /* cannot hold it (or holds too much): the client would miss a message */
        LC_LOG_W("server", "dropping a confirmed-reads client: %zu bytes held", held);
        c->srv->slow_drops++;
        conn_close(c);
        return;
    }
    if (!c->is_held) {
        c->is_held = true;
        c->hq_prev = NULL;
        c->hq_next = c->srv->held;
        if (c->hq_next) c->hq_next->hq_prev = c;
        c->srv->held = c;
    }
}

/* Queues sh after wout's current bytes; flushed with them at the end of the drain. */
static void ws_seg_add(conn *c, subs_shared *sh)
{
    if (!c->segs && !(c->segs = lc_alloc(sizeof *c->segs * SERVER_SEGS_MAX))) {
        conn_close(c); /* it would miss a message */
        return;
    }
    subs_shared_retain(sh);
    c->segs[c->nsegs++] = (wseg){c->wout.len, sh};
    if (!c->is_dirty) {
        c->is_dirty = true;
        c->dirty_prev = NULL;
        c->dirty_next = c->srv->dirty;
        if (c->dirty_next) c->dirty_next->dirty_prev = c;
        c->srv->dirty = c;
    }
    if (c->nsegs == SERVER_SEGS_MAX || c->wout.len >= SERVER_V3_BATCH_MAX) ws_flush(c);
}

/* Keeps the first compressed frame of a shared tail on it (the compress-once cache's copy
 * per tail: it does not age out when many transactions are queued at once). */
static void ws_shared_zkeep(subs_shared *sh, const conn *c, const u8 *head, size_t hlen,
                            const u8 *frame, size_t n)
{
    if (sh->zframe || hlen > sizeof sh->zhead || !n || n > UINT32_MAX) return;
    if (!(sh->zframe = lc_alloc(n))) return;
    memcpy(sh->zframe, frame, n);
    sh->zframe_len = (u32)n;
    sh->zcomp = (u8)c->comp;
    sh->zhead_len = (u8)hlen;
    memcpy(sh->zhead, head, hlen);
}

/* Queues a message whose tail is shared with other connections (subs.h) for the end of the
 * drain: an uncompressed frame of its own, [frame header, compression byte, head] then the
 * tail, written from the shared memory (writev) with whatever else c has pending. A
 * compressing client gets a compressed frame of its own: the one kept on the tail when its
 * head (set id) and compression match, else compressed now (and kept if it is the first). */
static void ws_out_shared(conn *c, const u8 *head, size_t hlen, subs_shared *sh)
{
    size_t len = hlen + sh->len;
    if (c->comp == NET_WS_COMPRESS_NONE || len <= NET_WS_COMPRESS_MIN) {
        ws_acc_frame(c); /* earlier v3 messages first */
        u8 h[14];
        size_t hn = net_ws_frame_header(h, NET_WS_OP_BINARY, true, (u64)len + 1, NULL);
        lc_buf_put(&c->wout, h, hn);
        lc_buf_put_u8(&c->wout, NET_WS_COMPRESS_NONE);
        lc_buf_put(&c->wout, head, hlen);
        ws_seg_add(c, sh);
        return;
    }
    ws_acc_frame(c); /* a frame of its own: earlier v3 messages first */
    if (sh->zframe && sh->zcomp == (u8)c->comp && sh->zhead_len == hlen &&
        memcmp(sh->zhead, head, hlen) == 0) {
        c->srv->zc_hits++;
        lc_buf_put(&c->wout, sh->zframe, sh->zframe_len);
    } else {
        size_t at = c->wout.len;
        lc_buf b;
        lc_buf_init(&b);
        lc_buf_put(&b, head, hlen);
        lc_buf_put(&b, sh->data, sh->len);
        if (!b.err) ws_frame_body(c, &c->wout, b.data, b.len);
        lc_buf_deinit(&b);
        if (b.err) {
            conn_close(c);
            return;
        }
        ws_shared_zkeep(sh, c, head, hlen, c->wout.data + at, c->wout.len - at);
    }
    conn_mark_dirty(c);
    if (c->wout.len >= SERVER_V3_BATCH_MAX) ws_flush(c);
}

/* ws_deliver for a message with a shared tail: sent now, or held with a reference to the
 * tail (confirmed reads), never copied per client. */
static void ws_deliver_shared(conn *c, const u8 *head, size_t hlen, subs_shared *sh, u64 tx_end)
{
    if (c->closing || c->closing_ws || !c->is_ws) return;
    if (!c->confirmed || (c->hq_pos == c->hq.len && tx_end <= dbdurable_end(c->dur)))
        ws_out_shared(c, head, hlen, sh);
    else
        hq_put(c, head, hlen, sh, tx_end);
}

/* Releases c's held messages whose transactions are durable now. */
static void ws_release(conn *c)
{
    u64 end = dbdurable_end(c->dur);
    while (c->hq_pos < c->hq.len) {
        const u8 *p = c->hq.data + c->hq_pos;
        u64 tx_end = lc_load_u64(p);
        u32 len = lc_load_u32(p + 8);
        subs_shared *sh = hq_shared_at(p);
        if (tx_end > end) return;
        c->hq_pos += HQ_REC_HEAD + (size_t)len;
        if (sh) {
            c->hq_shared -= sh->len;
            if (!c->closing) ws_out_shared(c, p + HQ_REC_HEAD, len, sh);
            subs_shared_release(sh); /* the hold's reference; the write took its own */
        } else if (!c->closing) {
            ws_out(c, p + HQ_REC_HEAD, len);
        }
        if (c->closing) return;
    }
    lc_buf_reset(&c->hq);
    c->hq_pos = 0;
    c->hq_shared = 0;
    held_unlink(c);
}

/* The loop side of dbwork_on_durable: some log advanced. */
static void on_durable(void *user)
{
    server *srv = user;
    for (conn *c = srv->held, *n; c; c = n) {
        n = c->hq_next;
        ws_release(c);
    }
    while (srv->dirty) ws_flush(srv->dirty);
}

/* Remembers the client and queues client_connected (its refusal, or an unknown database,
 * answers the upgrade with an HTTP error instead). False: not a database name (404). */
static bool ws_connect(conn *c, const net_http_request *req, const u8 wire[32],
                       const u8 cid[16], const char *jwt, size_t jwt_len)
{
    const char *name = req->path + strlen("/v1/database/");
    size_t nn = req->path_len - strlen("/v1/database/") - strlen("/subscribe");
    memcpy(c->identity, wire, 32);
    memcpy(c->connid, cid, 16);
    if (!dbwork_name_valid(name, nn)) return false;
    memcpy(c->db, name, nn);
    c->db[nn] = 0;
    dbjob *j = dbjob_new(DBJOB_CONNECT);
    if (!j) return false; /* out of memory: refused like an unknown database */
    memcpy(j->db, c->db, sizeof j->db);
    memcpy(j->identity, wire, 32);
    memcpy(j->connection_id, cid, 16);
    if (jwt && jwt_len) { /* the token's claims, for the module's get_jwt */
        j->in = lc_alloc(jwt_len);
        if (!j->in) { dbjob_free(j); return false; }
        memcpy(j->in, jwt, jwt_len);
        j->in_len = jwt_len;
    }
    if (conn_submit(c, j)) c->conn_state = 1;
    return true;
}

/* Credential check or anonymous mint; writes 101 + InitialConnection, or an error reply. */
static bool conn_upgrade(conn *c, const net_http_request *req, lc_buf *out)
{
    const server_config *cfg = &c->srv->cfg;
    char accept[NET_WS_ACCEPT_LEN + 1];
    int status = 404;
    lc_errbuf eb;
    snprintf(eb.msg, sizeof eb.msg, "Not Found");
    if (!is_subscribe_path(req) || net_ws_handshake_check(req, accept, &c->proto, &status, &eb)) {
        net_http_write_response(out, status, "text/plain", eb.msg, strlen(eb.msg), false, NULL, 0);
        return false;
    }
    c->comp = NET_WS_COMPRESS_GZIP;
    size_t cl;
    const char *cs = net_http_query_get(req, "compression", &cl);
    if (cs && net_ws_compression_parse(cs, cl, &c->comp)) {
        net_http_write_response(out, 400, "text/plain", "bad compression", 15, false, NULL, 0);
        return false;
    }
    c->confirmed = true; /* the reference's default for v2/v3 */
    cs = net_http_query_get(req, "confirmed", &cl);
    if (cs && (cl == 4 && memcmp(cs, "true", 4) == 0)) c->confirmed = true;
    else if (cs && (cl == 5 && memcmp(cs, "false", 5) == 0)) c->confirmed = false;
    else if (cs) {
        net_http_write_response(out, 400, "text/plain", "bad confirmed", 13, false, NULL, 0);
        return false;
    }
    const char *tok;
    size_t tn;
    char *minted = NULL, *jwt = NULL;
    size_t jwt_len = 0;
    net_identity id;
    i64 now_s = lc_now_micros() / 1000000;
    int rc = net_http_bearer_token(req, &tok, &tn);
    if (rc == 0) {
        net_token_claims cl2;
        if (net_token_verify(cfg->keys, tok, tn, now_s, &cl2, &eb)) {
            net_http_write_response(out, 401, "text/plain", eb.msg, strlen(eb.msg), false, NULL,
                                    0);
            return false;
        }
        id = cl2.identity;
        jwt = cl2.payload;
        jwt_len = cl2.payload_len;
        cl2.payload = NULL; /* now ours: freed below */
        net_token_claims_deinit(&cl2);
    } else if (rc == LC_ENOTFOUND &&
               net_token_mint_new(cfg->keys, cfg->issuer, now_s, &minted, &id, &eb) == 0) {
        tok = minted;
        tn = strlen(minted);
    } else {
        net_http_write_response(out, 400, "text/plain", "bad credential", 14, false, NULL, 0);
        return false;
    }
    char hex[NET_IDENTITY_HEX_LEN + 1];
    net_identity_to_hex(&id, hex);
    net_http_header extra = {"spacetime-identity", 18, hex, strlen(hex)};
    u8 wire[32], cid[16];
    u128 connid = 0;
    if (net_connid_generate(&connid)) connid = 1;
    memcpy(cid, &connid, 16); /* little-endian on the wire */
    net_identity_to_wire(&id, wire);
    bool found = ws_connect(c, req, wire, cid, jwt, jwt_len);
    lc_free(jwt);
    if (!found) {
        lc_free(minted);
        net_http_write_response(out, 404, "text/plain", "database not found", 18, false, NULL, 0);
        return false;
    }
    if (c->conn_state == 1) out = &c->held; /* sent once client_connected accepts */
    net_ws_write_101(out, accept, c->proto, &extra, 1);
    lc_buf body;
    lc_buf_init(&body);
    net_proto_put_initial_connection(&body, wire, cid, tok, (u32)tn);
    ws_send_msg(c, out, &body);
    lc_buf_deinit(&body);
    lc_free(minted);
    net_ws_parser_init(&c->wsp, true, LC_WS_MESSAGE_MAX);
    c->is_ws = true;
    LC_LOG_I("server", "websocket %s for %s", net_ws_proto_name(c->proto), hex);
    return true;
}

/* CallReducer / CallProcedure to the worker; the ReducerResult / ProcedureResult comes back
 * through job_done. */
static bool ws_call(conn *c, const net_cmsg *m)
{
    bool proc = m->tag == NET_CMSG_CALL_PROCEDURE;
    dbjob *j = dbjob_new(proc ? DBJOB_CALL_PROC : DBJOB_CALL_BSATN);
    if (!j) return false;
    memcpy(j->db, c->db, sizeof j->db);
    memcpy(j->identity, c->identity, 32);
    memcpy(j->connection_id, c->connid, 16);
    j->request_id = m->request_id;
    j->fn = lc_alloc((size_t)m->name.n + 1);
    j->in = lc_alloc((size_t)m->args.n + 1);
    if (!j->fn || !j->in) { dbjob_free(j); return false; }
    if (m->name.n) memcpy(j->fn, m->name.p, m->name.n);
    j->fn[m->name.n] = 0;
    if (m->args.n) memcpy(j->in, m->args.p, m->args.n);
    j->in_len = m->args.n;
    return conn_submit(c, j);
}

/* Subscribe / Unsubscribe / OneOffQuery to the worker (server/subs.c), as the raw message. */
static bool ws_sub(conn *c, const u8 *raw, size_t n)
{
    dbjob *j = dbjob_new(DBJOB_WS);
    if (!j) return false;
    memcpy(j->db, c->db, sizeof j->db);
    memcpy(j->identity, c->identity, 32);
    memcpy(j->connection_id, c->connid, 16);
    j->in = lc_alloc(n);
    if (!j->in) { dbjob_free(j); return false; }
    memcpy(j->in, raw, n);
    j->in_len = n;
    return conn_submit(c, j);
}

/* Replies to one client message (raw = its bytes). Requests without a database get the
 * protocol's error reply for their kind at once. */
static void ws_handle(conn *c, const net_cmsg *m, const u8 *raw, size_t rn)
{
    static const char nodb[] = "no database is attached to this connection";
    u32 nl = (u32)strlen(nodb);
    lc_buf body;
    lc_buf_init(&body);
    if ((m->tag == NET_CMSG_CALL_REDUCER || m->tag == NET_CMSG_CALL_PROCEDURE) && c->db[0] &&
        ws_call(c, m))
        return;
    if ((m->tag == NET_CMSG_SUBSCRIBE || m->tag == NET_CMSG_UNSUBSCRIBE ||
         m->tag == NET_CMSG_ONE_OFF_QUERY) && c->db[0] && ws_sub(c, raw, rn))
        return;
    switch (m->tag) {
    case NET_CMSG_CALL_REDUCER: {
        net_reducer_outcome o = {.kind = NET_REDUCER_INTERNAL_ERROR,
                                 .err = {(const u8 *)nodb, nl}};
        net_proto_put_reducer_result(&body, m->request_id, lc_now_micros(), &o);
        break;
    }
    case NET_CMSG_CALL_PROCEDURE:
        net_proto_put_procedure_result(&body, NET_PROC_INTERNAL_ERROR, nodb, nl, 0, 0,
                                       m->request_id);
        break;
    case NET_CMSG_ONE_OFF_QUERY:
        net_proto_put_one_off_result(&body, m->request_id, NULL, nodb, nl);
        break;
    default:
        net_proto_put_subscription_error(&body, &m->request_id, m->query_set_id, nodb, nl);
        break;
    }
    ws_deliver(c, body.data, body.len, 0);
    lc_buf_deinit(&body);
}

static void ws_close_with(conn *c, lc_buf *out, u16 code, const char *reason)
{
    LC_LOG_I("server", "closing websocket: %u %s", code, reason);
    if (c->nsegs) ws_flush(c); /* shared tails go out in their place */
    dirty_unlink(c); /* what was already answered goes out before the close frame */
    ws_acc_frame(c);
    lc_buf_put(out, c->wout.data, c->wout.len);
    lc_buf_reset(&c->wout);
    net_ws_write_close(out, code, reason);
    c->closing_ws = true;
}

static void ws_message(conn *c, const u8 *p, size_t n, lc_buf *out)
{
    lc_rd r;
    lc_rd_init(&r, p, n);
    lc_errbuf eb;
    if (n == 0) {
        ws_close_with(c, out, NET_WS_CLOSE_INTERNAL, "empty message");
        return;
    }
    while (lc_rd_left(&r)) {
        net_cmsg m;
        const u8 *start = r.p;
        int rc = c->proto == NET_WS_PROTO_V3 ? net_proto_client_decode_next(&r, &m, &eb)
                                             : net_proto_client_decode(p, n, &m, &eb);
        if (rc) {
            ws_close_with(c, out, NET_WS_CLOSE_INTERNAL, eb.msg);
            return;
        }
        ws_handle(c, &m, start, c->proto == NET_WS_PROTO_V3 ? (size_t)(r.p - start) : n);
        net_proto_cmsg_free(&m);
        if (c->closing) return;
        if (c->proto != NET_WS_PROTO_V3) break;
    }
}

static void ws_feed(conn *c, const u8 *p, size_t n, lc_buf *out)
{
    while (!c->closing_ws && !c->closing) {
        size_t used = 0;
        net_ws_event ev;
        int rc = net_ws_parser_feed(&c->wsp, p, n, &used, &ev);
        p += used;
        n -= used;
        if (rc < 0) {
            if (rc != LC_ECLOSED) ws_close_with(c, out, c->wsp.close_code, c->wsp.reason);
            else c->closing_ws = true;
        } else if (rc == 0) {
            break;
        } else if (ev.opcode == NET_WS_OP_BINARY) {
            ws_message(c, ev.data, ev.len, out);
        } else if (ev.opcode == NET_WS_OP_TEXT) {
            ws_close_with(c, out, NET_WS_CLOSE_INTERNAL,
                          "v2/v3 websocket does not support text messages");
        } else if (ev.opcode == NET_WS_OP_PING) {
            net_ws_write_frame(out, NET_WS_OP_PONG, ev.data, ev.len);
        } else if (ev.opcode == NET_WS_OP_CLOSE) {
            net_ws_write_close(out, ev.close_code == NET_WS_CLOSE_NO_STATUS ? 0 : ev.close_code,
                               "");
            c->closing_ws = true;
        }
    }
}

/* ---- the database worker's side (server/dbwork.h) ---- */

static bool conn_submit(conn *c, dbjob *j)
{
    j->owner = c;
    if (!dbwork_submit(c->srv->dbw, j)) {
        dbjob_free(j);
        return false;
    }
    c->jobs++;
    return true;
}

/* client_disconnected, and the worker forgets c's subscriptions; c stays allocated until
 * this job returns, so no subscription message can reach a freed connection. */
static void ws_disconnect(conn *c)
{
    c->conn_state = 0;
    dbjob *j = dbjob_new(DBJOB_DISCONNECT);
    if (!j) {
        LC_LOG_E("server", "out of memory: a disconnect is lost");
        return;
    }
    memcpy(j->db, c->db, sizeof j->db);
    memcpy(j->identity, c->identity, 32);
    memcpy(j->connection_id, c->connid, 16);
    (void)conn_submit(c, j);
}

/* Caller identity for an HTTP database request: the token's, or all zero without one (db_mint
 * then gives the request a fresh identity). */
static bool http_caller(conn *c, const net_http_request *req, u8 out[32], lc_buf *resp)
{
    const char *tok;
    size_t tn;
    memset(out, 0, 32);
    int rc = net_http_bearer_token(req, &tok, &tn);
    if (rc == LC_ENOTFOUND) return true;
    net_token_claims cl;
    lc_errbuf eb;
    snprintf(eb.msg, sizeof eb.msg, "Authorization is invalid: malformed token");
    if (rc || net_token_verify(c->srv->cfg.keys, tok, tn, lc_now_micros() / 1000000, &cl, &eb)) {
        net_http_write_response(resp, rc ? 400 : 401, "text/plain", eb.msg, strlen(eb.msg),
                                req->keep_alive, NULL, 0);
        return false;
    }
    net_identity_to_wire(&cl.identity, out);
    net_token_claims_deinit(&cl);
    return true;
}

/* Parses the /v1/database routes (server/routes.h); returns the job to run (NULL: not a
 * database job, or WebSocket). */
static dbjob *db_job_of(const net_http_request *req)
{
    server_db_route rt;
    if (!server_db_route_parse(req, &rt)) return NULL;
    return dbadmin_job_new(req, &rt);
}

/* An anonymous database request gets a brand-new identity, as the reference's
 * anon_auth_middleware does for every /v1/database route but /subscribe (spec-client-protocol.md
 * §3.1): a publisher becomes the owner, a reducer call runs as that caller, and the token goes
 * back in the spacetime-identity / spacetime-identity-token response headers (http_job_done). */
static void db_mint(conn *c, dbjob *j)
{
    static const u8 zero[32];
    if (memcmp(j->identity, zero, 32) != 0) return;
    net_identity id;
    lc_errbuf eb;
    if (net_token_mint_new(c->srv->cfg.keys, c->srv->cfg.issuer, lc_now_micros() / 1000000,
                           &j->minted, &id, &eb) == 0)
        net_identity_to_wire(&id, j->identity);
}

/* A database request goes to the worker (1): reads pause and the unparsed rest is stashed.
 * 2: answered at once into out (bad credential, shutting down); 0: not a database request. */
static int db_route(conn *c, const net_http_request *req, const char *rest, size_t rn,
                    lc_buf *out)
{
    dbjob *j = db_job_of(req);
    if (!j) return 0;
    if (!http_caller(c, req, j->identity, out)) {
        dbjob_free(j);
        return 2;
    }
    db_mint(c, j);
    if (!conn_submit(c, j)) {
        net_http_write_response(out, 503, "text/plain", "shutting down", 13, req->keep_alive,
                                NULL, 0);
        return 2;
    }
    c->waiting = true;
    lc_buf_reset(&c->stash);
    lc_buf_put(&c->stash, rest, rn);
    uv_read_stop((uv_stream_t *)&c->tcp);
    return 1;
}

/* Logs follow (server/dbadmin_logs.c): the first reply starts the chunked stream, each poll
 * reply is one more chunk; the idle timer polls every DBADMIN_FOLLOW_MS. */
static bool follow_job_done(conn *c, dbjob *j)
{
    bool is_logs = j->kind == DBJOB_ADMIN && j->route == SERVER_DB_LOGS;
    bool is_poll = is_logs && j->request_id == 1;
    if (!is_poll && !(is_logs && j->flag)) return false;
    c->waiting = false;
    c->follow_off = j->arg;
    if (!is_poll && j->ok) {
        c->following = true;
        memcpy(c->db, j->db, sizeof c->db);
        memcpy(c->identity, j->identity, 32);
        uv_timer_start(&c->idle, on_idle, DBADMIN_FOLLOW_MS, DBADMIN_FOLLOW_MS);
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read); /* to see the client go */
    } else if (!is_poll) { /* cannot follow (in memory, or refused): end the response */
        lc_buf_put(&j->out, "0\r\n\r\n", 5);
        conn_send(c, &j->out);
        if (!c->closing) conn_finish(c);
        return true;
    }
    conn_send(c, &j->out);
    return true;
}

static void http_job_done(conn *c, dbjob *j)
{
    if (follow_job_done(c, j)) return;
    c->waiting = false;
    if (j->minted) {
        char hex[NET_IDENTITY_HEX_LEN + 1];
        net_identity id;
        net_identity_from_wire(j->identity, &id);
        net_identity_to_hex(&id, hex);
        net_http_header h[2] = {{"spacetime-identity", 18, hex, strlen(hex)},
                                {"spacetime-identity-token", 24, j->minted, strlen(j->minted)}};
        dbadmin_add_headers(&j->out, h, 2);
    }
    conn_send(c, &j->out);
    if (!j->keep_alive) {
        if (!c->closing) conn_finish(c);
        return;
    }
    size_t n = c->stash.len;
    u8 *rest = n ? lc_buf_take(&c->stash, &n) : NULL;
    bool keep = true;
    if (n) keep = conn_feed(c, (const char *)rest, n);
    lc_free(rest);
    if (keep && !c->waiting && !c->closing && !c->is_ws)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void ws_job_done(conn *c, dbjob *j)
{
    lc_buf out;
    lc_buf_init(&out);
    if (!c->dur) c->dur = j->durable;
    if (j->kind == DBJOB_CALL_BSATN || j->kind == DBJOB_CALL_PROC ||
        (j->kind == DBJOB_WS && j->ok)) {
        ws_deliver(c, j->out.data, j->out.len, j->tx_end);
    } else if (j->kind == DBJOB_WS) { /* a protocol violation (duplicate query set id) */
        char reason[124];
        snprintf(reason, sizeof reason, "%.*s", (int)j->out.len, (const char *)j->out.data);
        ws_close_with(c, &out, NET_WS_CLOSE_INTERNAL, reason);
    } else if (j->kind == DBJOB_CONNECT && j->ok) {
        memcpy(c->db, j->db, sizeof c->db); /* canonical: a breaking publish finds it */
        c->conn_state = 2;
        c->waiting = false;
        conn_send(c, &c->held);
        size_t n = c->stash.len;
        u8 *rest = n ? lc_buf_take(&c->stash, &n) : NULL;
        if (n) ws_feed(c, rest, n, &out);
        lc_free(rest);
        if (c->is_dirty) ws_flush(c);
        if (!c->closing_ws && !c->closing)
            uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    } else if (j->kind == DBJOB_CONNECT) { /* refused: an HTTP error instead of the 101 */
        static const char msg[] = "client_connected refused the connection";
        c->conn_state = 3;
        if (j->out.len) conn_send(c, &j->out); /* the worker's answer (404: no database) */
        else net_http_write_response(&out, 403, "text/plain", msg, strlen(msg), false, NULL, 0);
        c->closing_ws = true;
    }
    conn_send(c, &out);
    lc_buf_deinit(&out);
    if (c->closing_ws && !c->closing) conn_finish(c);
}

/* Messages the job's commits produced for subscribers, in commit order. A target connection
 * is alive: it is freed only after its DISCONNECT job, which follows every message to it. */
static void fan_deliver(const subs_fan *f)
{
    for (u32 i = 0; i < f->count; i++) {
        const subs_fan_msg *m = &f->msgs[i];
        if (m->shared)
            ws_deliver_shared(m->owner, f->data.data + m->off, m->len, m->shared, m->tx_end);
        else
            ws_deliver(m->owner, f->data.data + m->off, m->len, m->tx_end);
    }
}

/* A republish that breaks clients (spec-engine-semantics §5.4 DisconnectAllUsers): every
 * WebSocket of that database closes; clients reconnect with the new schema. */
static void ws_close_database(server *srv, const char *db)
{
    for (conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (!c->is_ws || c->closing || c->closing_ws || c->conn_state != 2 ||
            strcmp(c->db, db) != 0)
            continue;
        lc_buf out;
        lc_buf_init(&out);
        ws_close_with(c, &out, NET_WS_CLOSE_TRY_AGAIN, "the module was updated; reconnect");
        conn_send(c, &out);
        lc_buf_deinit(&out);
        if (!c->closing) conn_finish(c);
    }
}

static void job_done(dbjob *j, void *user)
{
    server *srv = user;
    if (!j) { /* end of a drained batch: write what it produced */
        while (srv->dirty) ws_flush(srv->dirty);
        return;
    }
    if (j->fan) fan_deliver(j->fan);
    if (j->kind == DBJOB_PUBLISH && j->breaks_clients) ws_close_database(srv, j->db);
    conn *c = j->owner;
    if (c) {
        c->jobs--;
        if (c->closing) {
            if (j->kind == DBJOB_CONNECT && j->ok) { /* closed before it was connected */
                c->conn_state = 2;
                ws_disconnect(c);
            }
            if (!c->jobs && !c->open_handles) conn_free(c);
        } else if (j->kind == DBJOB_PUBLISH || j->kind == DBJOB_CALL_JSON ||
                   j->kind == DBJOB_ADMIN) {
            http_job_done(c, j);
        } else {
            ws_job_done(c, j);
        }
    }
    dbjob_free(j);
}
