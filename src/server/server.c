/*
 * server/server.c — the libuv event loop: listener, connections, shutdown (server/server.h).
 *
 * One loop thread owns every handle. A connection is a uv_tcp_t + net_http_reader + idle
 * timer; bytes read are fed to the reader, each complete request is routed and its response
 * written with uv_write (the write request owns the response bytes). A reader error writes
 * the reader's status and closes; a request without keep-alive (or an upgrade, until the
 * WebSocket path exists) closes after its response. server_stop signals a uv_async_t that
 * closes the listener and every connection, then the loop runs out and the thread exits.
 */
#include <pthread.h>
#include <string.h>
#include <uv.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "server/server.h"

typedef struct conn conn;
struct conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    net_http_reader rd;
    server *srv;
    conn *prev, *next;
    bool closing;
    int open_handles;
};

struct server {
    server_config cfg;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t stop;
    pthread_t thread;
    u16 port;
    conn *conns;
};

typedef struct wreq {
    uv_write_t req;
    u8 *data;
} wreq;

static void conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->open_handles) return;
    net_http_reader_deinit(&c->rd);
    lc_free(c);
}

static void conn_close(conn *c)
{
    if (c->closing) return;
    c->closing = true;
    if (c->prev) c->prev->next = c->next; else c->srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    uv_timer_stop(&c->idle);
    uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void write_done(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    lc_free(w->data);
    lc_free(w);
}

/* Queues out's bytes on the socket (out is emptied). */
static void conn_send(conn *c, lc_buf *out)
{
    if (out->err || !out->len) return;
    wreq *w = lc_alloc(sizeof *w);
    if (!w) { conn_close(c); return; }
    size_t n;
    w->data = lc_buf_take(out, &n);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done)) {
        lc_free(w->data);
        lc_free(w);
        conn_close(c);
    }
}

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

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    enum { READ_CHUNK = 64 * 1024 };
    b->base = lc_alloc(READ_CHUNK);
    b->len = b->base ? READ_CHUNK : 0;
}

/* Feeds bytes; returns false when the connection is done (closing or finishing). */
static bool conn_feed(conn *c, const char *p, size_t n)
{
    lc_buf out;
    lc_buf_init(&out);
    bool keep = true;
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
        } else if (rc == 1) {
            keep = server_route(&c->srv->cfg, req, lc_now_micros() / 1000000, &out);
            if (req->is_upgrade) keep = false;
            LC_LOG_D("server", "%s %.*s", req->method_name, (int)req->path_len, req->path);
        } else {
            break;
        }
    }
    conn_send(c, &out);
    lc_buf_deinit(&out);
    if (!keep && !c->closing) conn_finish(c);
    return keep;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn *c = s->data;
    if (nread < 0) {
        conn_close(c);
    } else if (nread > 0 && !c->closing) {
        uv_timer_again(&c->idle);
        conn_feed(c, b->base, (size_t)nread);
    }
    lc_free(b->base);
}

static void on_idle(uv_timer_t *t)
{
    conn *c = t->data;
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
    uv_timer_start(&c->idle, on_idle, SERVER_IDLE_MS, SERVER_IDLE_MS);
}

static void on_stop(uv_async_t *a)
{
    server *srv = a->data;
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
    uv_loop_init(&srv->loop);
    uv_tcp_init(&srv->loop, &srv->listener);
    srv->listener.data = srv;
    uv_async_init(&srv->loop, &srv->stop, on_stop);
    srv->stop.data = srv;
    int rc = server_bind(srv, eb);
    if (!rc && pthread_create(&srv->thread, NULL, loop_main, srv))
        rc = lc_errf(eb, LC_EIO, "cannot start the loop thread");
    if (rc) {
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

void server_stop(server *s)
{
    uv_async_send(&s->stop);
    pthread_join(s->thread, NULL);
    uv_loop_close(&s->loop);
    lc_free(s);
}
