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
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "net/proto.h"
#include "net/ws.h"
#include "server/dbadmin.h"
#include "server/dbwork.h"
#include "server/routes.h"
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

static void ws_feed(conn *c, const u8 *p, size_t n, lc_buf *out);
static bool conn_upgrade(conn *c, const net_http_request *req, lc_buf *out);

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
};

typedef struct wreq {
    uv_write_t req;
    u8 *data;
} wreq;

static void conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->open_handles || c->jobs) return;
    lc_buf_deinit(&c->stash);
    lc_buf_deinit(&c->held);
    net_http_reader_deinit(&c->rd);
    if (c->is_ws) net_ws_parser_deinit(&c->wsp);
    lc_free(c);
}

static void conn_close(conn *c)
{
    if (c->closing) return;
    c->closing = true;
    if (c->prev) c->prev->next = c->next; else c->srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    if (c->conn_state == 2) ws_disconnect(c);
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
    if (out->err || !out->len || c->closing) return;
    wreq *w = lc_alloc(sizeof *w);
    if (!w) { conn_close(c); return; }
    size_t n;
    w->data = lc_buf_take(out, &n);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done)) {
        lc_free(w->data);
        lc_free(w);
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
            conn_send(c, &out);
            lc_buf_deinit(&out);
            if (c->closing_ws && !c->closing) conn_finish(c);
        } else {
            conn_feed(c, b->base, (size_t)nread);
        }
    }
    lc_free(b->base);
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

void server_stop(server *s)
{
    dbwork_stop_worker(s->dbw); /* databases are closed on this thread after the join */
    uv_async_send(&s->stop);
    pthread_join(s->thread, NULL);
    uv_loop_close(&s->loop);
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

/* Remembers the client and queues client_connected (its refusal closes the socket). */
static void ws_connect(conn *c, const net_http_request *req, const u8 wire[32], const u8 cid[16])
{
    const char *name = req->path + strlen("/v1/database/");
    size_t nn = req->path_len - strlen("/v1/database/") - strlen("/subscribe");
    memcpy(c->identity, wire, 32);
    memcpy(c->connid, cid, 16);
    if (!dbwork_name_valid(name, nn)) return; /* no database: calls answer "no such database" */
    memcpy(c->db, name, nn);
    c->db[nn] = 0;
    dbjob *j = dbjob_new(DBJOB_CONNECT);
    if (!j) return;
    memcpy(j->db, c->db, sizeof j->db);
    memcpy(j->identity, wire, 32);
    memcpy(j->connection_id, cid, 16);
    if (conn_submit(c, j)) c->conn_state = 1;
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
    const char *tok;
    size_t tn;
    char *minted = NULL;
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
    ws_connect(c, req, wire, cid);
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

/* CallReducer to the worker; the ReducerResult comes back through job_done. */
static bool ws_call(conn *c, const net_cmsg *m)
{
    dbjob *j = dbjob_new(DBJOB_CALL_BSATN);
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

/* Replies to one client message. No database is attached yet: every request gets the
 * protocol's error reply for its kind (the integrator wires the database interface here). */
static void ws_handle(conn *c, const net_cmsg *m, lc_buf *out)
{
    static const char nodb[] = "no database is attached to this server yet";
    u32 nl = (u32)strlen(nodb);
    lc_buf body;
    lc_buf_init(&body);
    if (m->tag == NET_CMSG_CALL_REDUCER && c->db[0] && ws_call(c, m)) return;
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
    ws_send_msg(c, out, &body);
    lc_buf_deinit(&body);
}

static void ws_close_with(conn *c, lc_buf *out, u16 code, const char *reason)
{
    LC_LOG_I("server", "closing websocket: %u %s", code, reason);
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
        int rc = c->proto == NET_WS_PROTO_V3 ? net_proto_client_decode_next(&r, &m, &eb)
                                             : net_proto_client_decode(p, n, &m, &eb);
        if (rc) {
            ws_close_with(c, out, NET_WS_CLOSE_INTERNAL, eb.msg);
            return;
        }
        ws_handle(c, &m, out);
        net_proto_cmsg_free(&m);
        if (out->len >= 64 * 1024) conn_send(c, out); /* keeps the outq check per 64 KiB */
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

static void ws_disconnect(conn *c)
{
    dbjob *j = dbjob_new(DBJOB_DISCONNECT);
    if (!j) return;
    memcpy(j->db, c->db, sizeof j->db);
    memcpy(j->identity, c->identity, 32);
    memcpy(j->connection_id, c->connid, 16);
    if (!dbwork_submit(c->srv->dbw, j)) dbjob_free(j); /* owner stays NULL: nobody waits */
    c->conn_state = 0;
}

/* Caller identity for an HTTP database request: the token's, or all zero without one. */
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

/* An anonymous publish gets a brand-new identity (spec-client-protocol.md §3.1): it becomes
 * the owner, and the token goes back in the response headers (http_job_done). */
static void db_mint(conn *c, dbjob *j)
{
    static const u8 zero[32];
    if (j->kind != DBJOB_PUBLISH || memcmp(j->identity, zero, 32) != 0) return;
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
    if (j->kind == DBJOB_CALL_BSATN) {
        if (j->out.len) ws_send_msg(c, &out, &j->out);
    } else if (j->kind == DBJOB_CONNECT && j->ok) {
        c->conn_state = 2;
        c->waiting = false;
        conn_send(c, &c->held);
        size_t n = c->stash.len;
        u8 *rest = n ? lc_buf_take(&c->stash, &n) : NULL;
        if (n) ws_feed(c, rest, n, &out);
        lc_free(rest);
        if (!c->closing_ws && !c->closing)
            uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    } else if (j->kind == DBJOB_CONNECT) { /* refused: an HTTP error instead of the 101 */
        static const char msg[] = "client_connected refused the connection";
        c->conn_state = 3;
        net_http_write_response(&out, 403, "text/plain", msg, strlen(msg), false, NULL, 0);
        c->closing_ws = true;
    }
    conn_send(c, &out);
    lc_buf_deinit(&out);
    if (c->closing_ws && !c->closing) conn_finish(c);
}

static void job_done(dbjob *j, void *user)
{
    (void)user;
    conn *c = j->owner;
    if (c) {
        c->jobs--;
        if (c->closing) {
            if (j->kind == DBJOB_CONNECT && j->ok) { /* closed before it was connected */
                c->conn_state = 2;
                ws_disconnect(c);
            }
            if (!c->jobs && !c->open_handles) {
                lc_buf_deinit(&c->stash);
                lc_buf_deinit(&c->held);
                net_http_reader_deinit(&c->rd);
                if (c->is_ws) net_ws_parser_deinit(&c->wsp);
                lc_free(c);
            }
        } else if (j->kind == DBJOB_PUBLISH || j->kind == DBJOB_CALL_JSON ||
                   j->kind == DBJOB_ADMIN) {
            http_job_done(c, j);
        } else {
            ws_job_done(c, j);
        }
    }
    dbjob_free(j);
}
