/*
 * tests/unit/test_server_sub.c — live subscriptions end to end over loopback sockets
 * (server/subs.h): a real server, databases published over HTTP, and a tiny blocking
 * WebSocket client (below) with a decoder of every ServerMessage it can get, v3 frames split
 * into their messages. Covers: SubscribeApplied initial rows, deltas from another client's
 * reducer, an HTTP call and connect/disconnect (insert, update = delete+insert in one
 * message, delete), the caller's own updates inside ReducerResult and no separate
 * TransactionUpdate, clients with unaffected sets getting nothing, several query sets,
 * :sender, Unsubscribe with and without dropped rows, bad SQL -> SubscriptionError, a
 * duplicate query set id -> close 1011, one-off queries, confirmed reads held until the log
 * is durable (an fsync gate), and malformed frames closing only their connection.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "harness.h"
#include "net_test_util.h"
#include "host/host_test_util.h"
#include "net/proto.h"
#include "net/ws.h"
#include "server/server.h"

/* ---- plumbing: keys, HTTP ---- */

static net_keys *sk_keys(void)
{
    char dir[] = "/tmp/lc-test-sub-XXXXXX";
    if (!mkdtemp(dir)) return NULL;
    char sub[64];
    snprintf(sub, sizeof sub, "%s/k", dir);
    net_keys *k = NULL;
    lc_errbuf eb;
    if (net_keys_open_dir(sub, &k, &eb)) k = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) k = k; /* best effort */
    return k;
}

/* The bearer token sk_post sends when set, and the token a response minted (an anonymous
 * publish makes a new owner identity: republishing needs its token). */
static char g_auth[4096], g_minted[4096], g_minted_id[80];

/* POST with Connection: close; returns the status code. */
static int sk_post(u16 port, const char *path, const void *body, size_t n)
{
    int fd = net_test_connect(port);
    if (fd < 0) return -1;
    char head[5000];
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%s"
                      "Content-Length: %zu\r\n\r\n", path, g_auth[0] ? "Authorization: Bearer "
                      : "", g_auth, g_auth[0] ? "\r\n" : "", n);
    bool ok = write(fd, head, (size_t)hl) == hl;
    for (size_t off = 0; ok && off < n;) {
        ssize_t w = write(fd, (const u8 *)body + off, n - off);
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    char out[4096];
    size_t got = 0;
    for (ssize_t r; ok && (r = read(fd, out + got, sizeof out - 1 - got)) > 0;) got += (size_t)r;
    close(fd);
    out[got] = 0;
    const char *mt = strstr(out, "spacetime-identity-token: ");
    if (mt) {
        mt += strlen("spacetime-identity-token: ");
        size_t k = strcspn(mt, "\r\n");
        snprintf(g_minted, sizeof g_minted, "%.*s", (int)k, mt);
    }
    const char *mi = strstr(out, "spacetime-identity: ");
    if (mi) {
        mi += strlen("spacetime-identity: ");
        snprintf(g_minted_id, sizeof g_minted_id, "%.*s", (int)strcspn(mi, "\r\n"), mi);
    }
    return got > 12 ? atoi(out + 9) : -1;
}

static int sk_publish(u16 port, const char *db, const char *module)
{
    size_t n = 0;
    u8 *wasm = host_test_wasm(module, &n);
    if (!wasm) return -1;
    char path[128];
    snprintf(path, sizeof path, "/v1/database/%s", db);
    int st = sk_post(port, path, wasm, n);
    lc_free(wasm);
    return st;
}

static int sk_call_json(u16 port, const char *db, const char *fn, const char *args)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/database/%s/call/%s", db, fn);
    return sk_post(port, path, args, strlen(args));
}

/* ---- a blocking WebSocket client; v3 frames are split into messages ---- */

typedef struct wsk {
    int fd;
    bool v3;
    net_ws_parser p;
    u8 pend[1 << 16];
    size_t pend_len;
    lc_buf body;     /* the current frame's messages */
    size_t body_pos; /* next unread message in body */
    u8 identity[32];
    u16 close_code;
    u8 last_tag; /* compression tag of the last binary frame */
} wsk;

static int wsk_open(wsk *w, u16 port, const char *db, const char *query, bool v3)
{
    memset(w, 0, sizeof *w);
    lc_buf_init(&w->body);
    w->v3 = v3;
    int status = net_test_ws_open(port, db, query,
                                  v3 ? "v3.bsatn.spacetimedb" : "v2.bsatn.spacetimedb", &w->fd,
                                  w->pend, sizeof w->pend, &w->pend_len);
    if (status < 0) return -1;
    net_ws_parser_init(&w->p, false, LC_WS_MESSAGE_MAX);
    return status;
}

static void wsk_close(wsk *w)
{
    close(w->fd);
    net_ws_parser_deinit(&w->p);
    lc_buf_deinit(&w->body);
}

static void wsk_send(wsk *w, const lc_buf *m)
{
    lc_buf f;
    lc_buf_init(&f);
    static const u8 mask[4] = {9, 8, 7, 6};
    net_ws_write_frame_masked(&f, NET_WS_OP_BINARY, true, m->data, m->len, mask);
    if (write(w->fd, f.data, f.len) != (ssize_t)f.len) f.err = LC_EIO;
    lc_buf_deinit(&f);
}

/* Reads the next binary frame into w->body (decompressed). timeout_ms < 0: wait for ever.
 * Returns 1, 0 on timeout, -1 on close/error (close code in w->close_code). */
static int wsk_frame(wsk *w, int timeout_ms)
{
    for (;;) {
        size_t used = 0;
        net_ws_event ev;
        int rc = net_ws_parser_feed(&w->p, w->pend, w->pend_len, &used, &ev);
        memmove(w->pend, w->pend + used, w->pend_len - used);
        w->pend_len -= used;
        if (rc < 0) return -1;
        if (rc == 1 && ev.opcode == NET_WS_OP_CLOSE) {
            w->close_code = ev.close_code;
            return -1;
        }
        if (rc == 1 && ev.opcode == NET_WS_OP_BINARY) {
            lc_buf_reset(&w->body);
            w->body_pos = 0;
            w->last_tag = ev.len ? ev.data[0] : 0xff;
            return net_ws_msg_decode(ev.data, ev.len, LC_WS_DECOMPRESSED_MAX, &w->body, NULL)
                       ? -1 : 1;
        }
        if (rc == 1) continue;
        struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms) == 0) return 0;
        ssize_t r = read(w->fd, w->pend + w->pend_len, sizeof w->pend - w->pend_len);
        if (r <= 0) return -1;
        w->pend_len += (size_t)r;
    }
}

/* ---- ServerMessage decoding ---- */

typedef struct trow {
    u32 set;
    char table[32];
    char kind; /* 'r' rows (initial / dropped / one-off), 'i' insert, 'd' delete */
    u32 len;
    u8 data[256];
} trow;

#define TMSG_ROWS_MAX 512 /* rows one decoded test message may hold */

typedef struct tmsg {
    u8 tag;
    bool has_req;
    u32 req;
    u32 set;
    u8 outcome;     /* ReducerResult kind; OneOffQueryResult/UnsubscribeApplied 0 Ok/Some */
    u32 nsets;      /* TransactionUpdate / ReducerResult Ok: query sets */
    char text[512]; /* error text */
    u32 nrows;
    trow rows[TMSG_ROWS_MAX];
} tmsg;

static bool rd_str(lc_rd *r, char *out, size_t cap)
{
    u32 n = lc_rd_u32(r);
    const u8 *p = lc_rd_take(r, n);
    if (!p) return false;
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(out, p, k);
    out[k] = 0;
    return true;
}

/* BsatnRowList -> rows appended to m with (set, table, kind). */
static bool rd_rows(lc_rd *r, tmsg *m, u32 set, const char *table, char kind)
{
    u8 hint = lc_rd_u8(r);
    u32 fixed = 0, noff = 0;
    const u8 *offs = NULL;
    if (hint == 0) fixed = lc_rd_u16(r);
    else if (hint == 1 && (noff = lc_rd_u32(r)) < (1u << 20)) offs = lc_rd_take(r, (size_t)noff * 8);
    else return false;
    u32 n = lc_rd_u32(r);
    const u8 *data = lc_rd_take(r, n);
    if (r->err || !data || (hint == 0 && (!fixed || n % fixed))) return false;
    u32 count = hint == 0 ? n / fixed : noff;
    for (u32 i = 0; i < count; i++) {
        u64 a = hint == 0 ? (u64)i * fixed : lc_load_u64(offs + 8 * i);
        u64 b = hint == 0 ? a + fixed : i + 1 < count ? lc_load_u64(offs + 8 * (i + 1)) : n;
        if (a > b || b > n || m->nrows == TMSG_ROWS_MAX || b - a > 256) return false;
        trow *t = &m->rows[m->nrows++];
        t->set = set;
        snprintf(t->table, sizeof t->table, "%s", table);
        t->kind = kind;
        t->len = (u32)(b - a);
        memcpy(t->data, data + a, t->len);
    }
    return true;
}

static bool rd_query_rows(lc_rd *r, tmsg *m, u32 set)
{
    u32 n = lc_rd_u32(r);
    for (u32 i = 0; i < n && !r->err; i++) {
        char table[64];
        if (!rd_str(r, table, sizeof table) || !rd_rows(r, m, set, table, 'r')) return false;
    }
    return !r->err;
}

static bool rd_sets(lc_rd *r, tmsg *m)
{
    m->nsets = lc_rd_u32(r);
    for (u32 s = 0; s < m->nsets && !r->err; s++) {
        u32 set = lc_rd_u32(r), nt = lc_rd_u32(r);
        for (u32 t = 0; t < nt && !r->err; t++) {
            char table[64];
            if (!rd_str(r, table, sizeof table)) return false;
            u32 nr = lc_rd_u32(r);
            for (u32 k = 0; k < nr && !r->err; k++) {
                u8 kind = lc_rd_u8(r);
                if (!rd_rows(r, m, set, table, 'i')) return false;
                if (kind == NET_TUR_PERSISTENT && !rd_rows(r, m, set, table, 'd')) return false;
            }
        }
    }
    return !r->err;
}

static bool rd_msg(lc_rd *r, tmsg *m)
{
    memset(m, 0, sizeof *m);
    m->tag = lc_rd_u8(r);
    switch (m->tag) {
    case NET_SMSG_INITIAL_CONNECTION: return lc_rd_take(r, 48) && rd_str(r, m->text, sizeof m->text);
    case NET_SMSG_SUBSCRIBE_APPLIED:
        m->has_req = true, m->req = lc_rd_u32(r), m->set = lc_rd_u32(r);
        return rd_query_rows(r, m, m->set);
    case NET_SMSG_UNSUBSCRIBE_APPLIED:
        m->has_req = true, m->req = lc_rd_u32(r), m->set = lc_rd_u32(r);
        m->outcome = lc_rd_u8(r);
        return m->outcome == 1 || rd_query_rows(r, m, m->set);
    case NET_SMSG_SUBSCRIPTION_ERROR:
        m->has_req = lc_rd_u8(r) == 0;
        if (m->has_req) m->req = lc_rd_u32(r);
        m->set = lc_rd_u32(r);
        return rd_str(r, m->text, sizeof m->text);
    case NET_SMSG_TRANSACTION_UPDATE: return rd_sets(r, m);
    case NET_SMSG_ONE_OFF_QUERY_RESULT:
        m->has_req = true, m->req = lc_rd_u32(r), m->outcome = lc_rd_u8(r);
        return m->outcome ? rd_str(r, m->text, sizeof m->text) : rd_query_rows(r, m, 0);
    case NET_SMSG_REDUCER_RESULT:
        m->has_req = true, m->req = lc_rd_u32(r);
        (void)lc_rd_u64(r);
        m->outcome = lc_rd_u8(r);
        if (m->outcome == NET_REDUCER_OK) {
            char ret[8];
            return rd_str(r, ret, sizeof ret) && rd_sets(r, m);
        }
        if (m->outcome == NET_REDUCER_ERR) (void)lc_rd_u32(r); /* bytes holding a BSATN str */
        return m->outcome == NET_REDUCER_OK_EMPTY || rd_str(r, m->text, sizeof m->text);
    default: return false;
    }
}

/* Next ServerMessage (from the current v3 frame, or a new frame). 1, 0 timeout, -1 closed. */
static int wsk_msg(wsk *w, tmsg *m, int timeout_ms)
{
    if (w->body_pos >= w->body.len) {
        int rc = wsk_frame(w, timeout_ms);
        if (rc <= 0) return rc;
    }
    lc_rd r;
    lc_rd_init(&r, w->body.data + w->body_pos, w->body.len - w->body_pos);
    if (!rd_msg(&r, m) || r.err) return -1;
    w->body_pos = w->body.len - lc_rd_left(&r);
    if (!w->v3 && w->body_pos != w->body.len) return -1; /* v2: one message per frame */
    return 1;
}

/* Opens, reads InitialConnection (identity kept). */
static bool wsk_join(wsk *w, u16 port, const char *db, const char *query, bool v3)
{
    if (wsk_open(w, port, db, query, v3) != 101) return false;
    tmsg *m = lc_alloc(sizeof *m);
    bool ok = wsk_msg(w, m, 5000) == 1 && m->tag == NET_SMSG_INITIAL_CONNECTION;
    if (ok) memcpy(w->identity, w->body.data + 1, 32);
    lc_free(m);
    return ok;
}

static void put_sub(lc_buf *b, u32 req, u32 set, const char *q1, const char *q2)
{
    net_pbytes q[2] = {{(const u8 *)q1, (u32)strlen(q1)}, {(const u8 *)q2, q2 ? (u32)strlen(q2) : 0}};
    net_proto_put_subscribe(b, req, set, q, q2 ? 2 : 1);
}

static void send_sub(wsk *w, u32 req, u32 set, const char *q1, const char *q2)
{
    lc_buf b;
    lc_buf_init(&b);
    put_sub(&b, req, set, q1, q2);
    wsk_send(w, &b);
    lc_buf_deinit(&b);
}

static void send_call_str(wsk *w, u32 req, const char *fn, const char *arg)
{
    lc_buf a, b;
    lc_buf_init(&a);
    lc_buf_init(&b);
    if (arg) lc_buf_put_str(&a, arg, (u32)strlen(arg));
    net_proto_put_call(&b, NET_CMSG_CALL_REDUCER, req, fn, (u32)strlen(fn), a.data, (u32)a.len);
    wsk_send(w, &b);
    lc_buf_deinit(&a);
    lc_buf_deinit(&b);
}

static u32 count_rows(const tmsg *m, const char *table, char kind)
{
    u32 n = 0;
    for (u32 i = 0; i < m->nrows; i++)
        if (strcmp(m->rows[i].table, table) == 0 && m->rows[i].kind == kind) n++;
    return n;
}

static const trow *find_row(const tmsg *m, const char *table, char kind)
{
    for (u32 i = 0; i < m->nrows; i++)
        if (strcmp(m->rows[i].table, table) == 0 && m->rows[i].kind == kind) return &m->rows[i];
    return NULL;
}

/* chat `user` row: identity(32), name Option<String> (0 Some + str | 1 None), online bool. */
static bool user_row_is(const trow *t, const u8 id[32], const char *name, bool online)
{
    if (!t || t->len < 34 || memcmp(t->data, id, 32) != 0) return false;
    size_t nl = name ? strlen(name) : 0;
    if (name && (t->data[32] != 0 || t->len != 32 + 1 + 4 + nl + 1 ||
                 lc_load_u32(t->data + 33) != nl || memcmp(t->data + 37, name, nl) != 0))
        return false;
    if (!name && (t->data[32] != 1 || t->len != 34)) return false;
    return t->data[t->len - 1] == (online ? 1 : 0);
}

/* ---- chat: initial rows, deltas, the caller's own updates, sets, unsubscribe ---- */

TEST(server_sub_chat_deltas)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "chat", "quickstart-chat"), 200);
    static wsk a, b;
    tmsg *m = lc_alloc(sizeof *m);

    /* A connects (its user row is inserted by client_connected) and subscribes to both tables
     * in one set: SubscribeApplied holds A's row and no message. */
    CHECK(wsk_join(&a, port, "chat", "?compression=None", false));
    send_sub(&a, 1, 10, "SELECT * FROM user", "SELECT * FROM \"message\"");
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->req, 1);
    CHECK_EQ(m->set, 10);
    CHECK_EQ(count_rows(m, "user", 'r'), 1);
    CHECK_EQ(count_rows(m, "message", 'r'), 0);
    CHECK(user_row_is(find_row(m, "user", 'r'), a.identity, NULL, true));

    /* B connects: A sees B's user row inserted (a transaction of B's client_connected). */
    CHECK(wsk_join(&b, port, "chat", "?compression=Gzip", false));
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(m->nsets, 1);
    CHECK_EQ(m->nrows, 1);
    CHECK_EQ(m->rows[0].set, 10);
    CHECK(user_row_is(find_row(m, "user", 'i'), b.identity, NULL, true));

    /* B subscribes to its own messages (:sender) in set 3, and online users in set 4. */
    send_sub(&b, 2, 3, "SELECT * FROM message WHERE sender = :sender", NULL);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 0);
    send_sub(&b, 3, 4, "SELECT * FROM user WHERE online = true", NULL);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->set, 4);
    CHECK_EQ(count_rows(m, "user", 'r'), 2);

    /* B sends a message: B's ReducerResult carries its set 3 insert (and nothing else), A
     * gets a TransactionUpdate with the insert in set 10. */
    send_call_str(&b, 4, "send_message", "hello");
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(m->req, 4);
    CHECK_EQ(m->outcome, NET_REDUCER_OK);
    CHECK_EQ(m->nsets, 1);
    CHECK_EQ(m->nrows, 1);
    CHECK_EQ(m->rows[0].set, 3);
    CHECK_EQ(m->rows[0].kind, 'i');
    CHECK(memmem(m->rows[0].data, m->rows[0].len, "hello", 5) != NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(count_rows(m, "message", 'i'), 1);

    /* A renames itself: an update = delete(old) + insert(new) of the same PK in ONE message.
     * A gets it in its ReducerResult, B in set 4 (A is online). */
    send_call_str(&a, 5, "set_name", "alice");
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(m->outcome, NET_REDUCER_OK);
    CHECK_EQ(m->nrows, 2);
    CHECK(user_row_is(find_row(m, "user", 'd'), a.identity, NULL, true));
    CHECK(user_row_is(find_row(m, "user", 'i'), a.identity, "alice", true));
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(m->rows[0].set, 4);
    CHECK(user_row_is(find_row(m, "user", 'd'), a.identity, NULL, true));
    CHECK(user_row_is(find_row(m, "user", 'i'), a.identity, "alice", true));

    /* A failing reducer answers only its caller; nobody else hears of it. */
    send_call_str(&a, 6, "send_message", "");
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->outcome, NET_REDUCER_ERR);
    CHECK(strstr(m->text, "Messages must not be empty") != NULL);

    /* An HTTP call runs inside a connection of its own (as the reference): three commits,
     * client_connected (the anonymous caller's user row, online), the reducer, then
     * client_disconnected (that row offline). A sees all three in commit order; B's set 4
     * (online users) sees the caller come and go; its :sender set does not match the
     * anonymous caller and nothing else reaches B, which the next exchange proves. */
    CHECK_EQ(sk_call_json(port, "chat", "send_message", "[\"from http\"]"), 200);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(count_rows(m, "user", 'i'), 1);
    CHECK_EQ(count_rows(m, "message", 'i'), 0);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(count_rows(m, "message", 'i'), 1);
    CHECK(memmem(m->rows[0].data, m->rows[0].len, "from http", 9) != NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(count_rows(m, "user", 'd'), 1);
    CHECK_EQ(count_rows(m, "user", 'i'), 1);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(m->nrows, 1);
    CHECK_EQ(count_rows(m, "user", 'i'), 1);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(m->nrows, 1);
    CHECK_EQ(count_rows(m, "user", 'd'), 1);
    lc_buf q;
    lc_buf_init(&q);
    net_proto_put_one_off_query(&q, 7, "SELECT * FROM message", 21);
    wsk_send(&b, &q);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_ONE_OFF_QUERY_RESULT);
    CHECK_EQ(m->req, 7);
    CHECK_EQ(m->outcome, 0);
    CHECK_EQ(count_rows(m, "message", 'r'), 2);

    /* A unsubscribes with SendDroppedRows: the set's current rows come back. */
    lc_buf_reset(&q);
    net_proto_put_unsubscribe(&q, 8, 10, NET_UNSUB_SEND_DROPPED_ROWS);
    wsk_send(&a, &q);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_UNSUBSCRIBE_APPLIED);
    CHECK_EQ(m->req, 8);
    CHECK_EQ(m->set, 10);
    CHECK_EQ(m->outcome, 0);
    CHECK_EQ(count_rows(m, "user", 'r'), 3); /* A, B and the HTTP caller */
    CHECK_EQ(count_rows(m, "message", 'r'), 2);
    /* Unknown set now -> SubscriptionError with the request id. */
    wsk_send(&a, &q);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIPTION_ERROR);
    CHECK(m->has_req);
    CHECK_EQ(m->set, 10);

    /* A disconnects: its client_disconnected sets online = false, which leaves B's set 4 as a
     * delete only (the new row does not match). */
    wsk_close(&a);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(m->nrows, 1);
    CHECK(user_row_is(find_row(m, "user", 'd'), a.identity, "alice", true));

    /* Unsubscribe Default -> rows None. */
    lc_buf_reset(&q);
    net_proto_put_unsubscribe(&q, 9, 4, NET_UNSUB_DEFAULT);
    wsk_send(&b, &q);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_UNSUBSCRIBE_APPLIED);
    CHECK_EQ(m->outcome, 1);
    lc_buf_deinit(&q);
    wsk_close(&b);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* ---- bank over v3: deletes, errors, batching, protocol violations ---- */

static void put_seed(lc_buf *b, u32 req, u32 n, i64 initial)
{
    u8 a[12];
    lc_store_u32(a, n);
    lc_store_u64(a + 4, (u64)initial);
    net_proto_put_call(b, NET_CMSG_CALL_REDUCER, req, "seed", 4, a, 12);
}

static void put_transfer(lc_buf *b, u32 req, u32 from, u32 to, i64 amount)
{
    u8 a[16];
    lc_store_u32(a, from);
    lc_store_u32(a + 4, to);
    lc_store_u64(a + 8, (u64)amount);
    net_proto_put_call(b, NET_CMSG_CALL_REDUCER, req, "transfer", 8, a, 16);
}

/* accounts row: id u32, balance i64 (12 bytes, so FixedSize(12)). */
static bool has_account(const tmsg *m, char kind, u32 id, i64 balance)
{
    for (u32 i = 0; i < m->nrows; i++) {
        const trow *t = &m->rows[i];
        if (t->kind == kind && t->len == 12 && lc_load_u32(t->data) == id &&
            (i64)lc_load_u64(t->data + 4) == balance)
            return true;
    }
    return false;
}

TEST(server_sub_bank_v3_errors)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    CHECK_EQ(sk_call_json(port, "bank", "seed", "[3, 100]"), 200);
    static wsk a, b;
    tmsg *m = lc_alloc(sizeof *m);
    lc_buf q;
    lc_buf_init(&q);
    CHECK(wsk_join(&a, port, "bank", "?compression=None", true));
    CHECK(wsk_join(&b, port, "bank", "?compression=Gzip&confirmed=false", true));

    /* One v3 frame: a bad query, a good set, a call. Replies in request order. */
    put_sub(&q, 1, 1, "SELECT * FROM nope", NULL);
    put_sub(&q, 2, 2, "SELECT * FROM accounts WHERE id >= 1", NULL);
    put_transfer(&q, 3, 0, 1, 5);
    wsk_send(&a, &q);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIPTION_ERROR);
    CHECK(m->has_req);
    CHECK_EQ(m->req, 1);
    CHECK_EQ(m->set, 1);
    CHECK(strstr(m->text, "nope") != NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 2);
    CHECK(has_account(m, 'r', 1, 100) && has_account(m, 'r', 2, 100));
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(m->req, 3);
    CHECK_EQ(m->nrows, 2); /* account 1 updated; account 0 is outside the set */
    CHECK(has_account(m, 'd', 1, 100) && has_account(m, 'i', 1, 105));

    /* B: the same query shared with A, plus a whole-table set. */
    lc_buf_reset(&q);
    put_sub(&q, 1, 5, "select * from accounts where id >= 1", NULL);
    put_sub(&q, 2, 6, "SELECT * FROM *", NULL);
    wsk_send(&b, &q);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 2);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->set, 6);
    CHECK_EQ(count_rows(m, "accounts", 'r'), 3);

    /* seed(2, 7) deletes all three rows and inserts two: deletes reach both clients. */
    lc_buf_reset(&q);
    put_seed(&q, 4, 2, 7);
    wsk_send(&a, &q);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(m->outcome, NET_REDUCER_OK);
    CHECK(has_account(m, 'd', 1, 105) && has_account(m, 'd', 2, 100));
    CHECK(has_account(m, 'i', 1, 7));
    CHECK_EQ(m->nrows, 3);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(m->nsets, 2); /* one message, both sets */
    CHECK_EQ(count_rows(m, "accounts", 'd'), 2 + 3);
    CHECK_EQ(count_rows(m, "accounts", 'i'), 1 + 2);

    /* One-off errors: a write, bad SQL. */
    lc_buf_reset(&q);
    net_proto_put_one_off_query(&q, 9, "DELETE FROM accounts", 20);
    net_proto_put_one_off_query(&q, 10, "SELEC x", 7);
    net_proto_put_one_off_query(&q, 11, "SELECT balance FROM accounts WHERE id = 1", 41);
    wsk_send(&b, &q);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_ONE_OFF_QUERY_RESULT);
    CHECK_EQ(m->req, 9);
    CHECK_EQ(m->outcome, 1);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->req, 10);
    CHECK_EQ(m->outcome, 1);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->req, 11);
    CHECK_EQ(m->outcome, 0);
    CHECK_EQ(m->nrows, 1);
    CHECK_EQ(m->rows[0].len, 8);
    CHECK_EQ((i64)lc_load_u64(m->rows[0].data), 7);

    /* Malformed bytes close only B (1011); A still gets updates. */
    lc_buf_reset(&q);
    lc_buf_put(&q, "\x00\x01", 2);
    wsk_send(&b, &q);
    CHECK_EQ(wsk_msg(&b, m, 5000), -1);
    CHECK_EQ(b.close_code, NET_WS_CLOSE_INTERNAL);
    CHECK_EQ(sk_call_json(port, "bank", "transfer", "[0, 1, 2]"), 200);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK(has_account(m, 'i', 1, 9));

    /* A duplicate query set id is a protocol violation: close 1011. */
    lc_buf_reset(&q);
    put_sub(&q, 12, 2, "SELECT * FROM accounts", NULL);
    wsk_send(&a, &q);
    CHECK_EQ(wsk_msg(&a, m, 5000), -1);
    CHECK_EQ(a.close_code, NET_WS_CLOSE_INTERNAL);
    wsk_close(&a);
    wsk_close(&b);
    lc_buf_deinit(&q);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* ---- confirmed reads: nothing reaches a confirmed client before its tx is durable ---- */

static atomic_bool gate_closed;
static atomic_int gate_waiting;

/* fdatasync behind a gate the test opens and closes. */
static int gate_sync(void *ctx, int fd)
{
    (void)ctx;
    if (atomic_load(&gate_closed)) {
        atomic_fetch_add(&gate_waiting, 1);
        while (atomic_load(&gate_closed)) usleep(1000);
        atomic_fetch_sub(&gate_waiting, 1);
    }
    return fdatasync(fd);
}

TEST(server_sub_confirmed_hold)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    char dir[] = "/tmp/lc-test-subdur-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    clog_options co = {.io = {.sync_fn = gate_sync}};
    server_config cfg = {.keys = keys, .data_dir = data, .clog = &co};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    CHECK_EQ(sk_call_json(port, "bank", "seed", "[2, 50]"), 200);
    static wsk c, u;
    tmsg *m = lc_alloc(sizeof *m);
    lc_buf q;
    lc_buf_init(&q);
    CHECK(wsk_join(&c, port, "bank", "?compression=None", false)); /* confirmed by default */
    CHECK(wsk_join(&u, port, "bank", "?compression=None&confirmed=false", false));
    send_sub(&c, 1, 1, "SELECT * FROM accounts", NULL);
    send_sub(&u, 1, 1, "SELECT * FROM accounts", NULL);
    CHECK_EQ(wsk_msg(&c, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(wsk_msg(&u, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);

    /* Gate closed: C's call commits, U sees the update at once, C hears nothing — neither
     * its ReducerResult nor the one-off reply queued behind it — until the fsync passes. */
    atomic_store(&gate_closed, true);
    put_transfer(&q, 2, 0, 1, 10);
    wsk_send(&c, &q);
    lc_buf_reset(&q);
    net_proto_put_one_off_query(&q, 3, "SELECT * FROM accounts", 22);
    wsk_send(&c, &q);
    CHECK_EQ(wsk_msg(&u, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK(has_account(m, 'i', 1, 60));
    for (int i = 0; i < 500 && atomic_load(&gate_waiting) == 0; i++) usleep(10000);
    CHECK(atomic_load(&gate_waiting) > 0); /* the log is stuck in fsync */
    CHECK_EQ(wsk_msg(&c, m, 300), 0);      /* ... and C got nothing */
    atomic_store(&gate_closed, false);
    CHECK_EQ(wsk_msg(&c, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(m->req, 2);
    CHECK(has_account(m, 'i', 1, 60));
    CHECK_EQ(wsk_msg(&c, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_ONE_OFF_QUERY_RESULT);
    CHECK_EQ(m->req, 3);
    CHECK(has_account(m, 'r', 0, 40));

    /* Updates caused by others wait too: U's call, gate closed. */
    atomic_store(&gate_closed, true);
    lc_buf_reset(&q);
    put_transfer(&q, 4, 1, 0, 1);
    wsk_send(&u, &q);
    CHECK_EQ(wsk_msg(&u, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    for (int i = 0; i < 500 && atomic_load(&gate_waiting) == 0; i++) usleep(10000);
    CHECK_EQ(wsk_msg(&c, m, 300), 0);
    atomic_store(&gate_closed, false);
    CHECK_EQ(wsk_msg(&c, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK(has_account(m, 'i', 0, 41));

    wsk_close(&c);
    wsk_close(&u);
    lc_buf_deinit(&q);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
}

/* add_player(id, name, score) / set_score(id, score) of viewtest over the WebSocket. */
static void send_viewtest(wsk *w, u32 req, const char *fn, u32 id, const char *name, u32 score)
{
    lc_buf a, b;
    lc_buf_init(&a);
    lc_buf_init(&b);
    lc_buf_put_u32(&a, id);
    if (name) lc_buf_put_str(&a, name, (u32)strlen(name));
    lc_buf_put_u32(&a, score);
    net_proto_put_call(&b, NET_CMSG_CALL_REDUCER, req, fn, (u32)strlen(fn), a.data, (u32)a.len);
    wsk_send(w, &b);
    lc_buf_deinit(&a);
    lc_buf_deinit(&b);
}

/* Views over the WebSocket (tests/host/modules/viewtest): a sender view per subscriber and an
 * anonymous view shared by all, initial rows, then each transaction's changes to what each
 * subscriber's view returns (nothing when its rows did not change), in the caller's
 * ReducerResult or the others' TransactionUpdate, an update as delete + insert; a one-off
 * query of a view. */
TEST(server_sub_views)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "vt", "viewtest"), 200);
    static wsk a, b;
    tmsg *m = lc_alloc(sizeof *m);
    CHECK(wsk_join(&a, port, "vt", "?compression=None", false));
    CHECK(wsk_join(&b, port, "vt", "?compression=None", true));
    send_sub(&a, 1, 1, "SELECT * FROM my_players", "SELECT * FROM top_players");
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 0);
    send_viewtest(&a, 2, "add_player", 1, "a1", 150);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1); /* the caller's own updates */
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(m->outcome, NET_REDUCER_OK);
    CHECK_EQ(count_rows(m, "my_players", 'i'), 1);
    CHECK_EQ(count_rows(m, "top_players", 'i'), 1);
    send_sub(&b, 1, 1, "SELECT * FROM my_players", "SELECT * FROM top_players");
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(count_rows(m, "top_players", 'r'), 1); /* a1: the anonymous view is shared */
    CHECK_EQ(count_rows(m, "my_players", 'r'), 0);  /* B owns nothing */
    send_viewtest(&b, 2, "add_player", 2, "b1", 50);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(count_rows(m, "my_players", 'i'), 1);
    CHECK_EQ(count_rows(m, "top_players", 'i'), 0);
    CHECK_EQ(wsk_msg(&a, m, 300), 0); /* nothing A sees changed */
    send_viewtest(&a, 3, "set_score", 2, NULL, 120); /* A raises B's player */
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(count_rows(m, "top_players", 'i'), 1);
    CHECK_EQ(count_rows(m, "my_players", 'i') + count_rows(m, "my_players", 'd'), 0);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(count_rows(m, "my_players", 'd'), 1); /* an update: delete + insert */
    CHECK_EQ(count_rows(m, "my_players", 'i'), 1);
    CHECK_EQ(count_rows(m, "top_players", 'i'), 1);
    CHECK_EQ(sk_call_json(port, "vt", "add_other", "[7]"), 200); /* read by no view */
    CHECK_EQ(wsk_msg(&a, m, 300), 0);
    CHECK_EQ(wsk_msg(&b, m, 300), 0);
    /* a one-off query of a sender view runs it for the caller */
    lc_buf q;
    lc_buf_init(&q);
    net_proto_put_one_off_query(&q, 9, "SELECT * FROM my_players", 24);
    wsk_send(&b, &q);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_ONE_OFF_QUERY_RESULT);
    CHECK_EQ(m->outcome, 0);
    CHECK_EQ(count_rows(m, "my_players", 'r'), 1);
    lc_buf_deinit(&q);
    /* and over HTTP SQL: the anonymous view's rows as JSON */
    static char out[8192];
    CHECK_EQ(net_test_request(port, "POST", "/v1/database/vt/sql", NULL, "SELECT * FROM top_players",
                              25, out, sizeof out), 200);
    CHECK(strstr(out, "\"a1\"") != NULL && strstr(out, "\"b1\"") != NULL);
    /* a query view: the server subscribes to the SQL the module gives */
    send_sub(&a, 4, 2, "SELECT * FROM rich_players", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 0);
    send_viewtest(&a, 5, "set_score", 1, NULL, 250);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK_EQ(count_rows(m, "rich_players", 'i'), 1);
    CHECK_EQ(count_rows(m, "top_players", 'd'), 1);
    CHECK_EQ(count_rows(m, "top_players", 'i'), 1);
    CHECK_EQ(net_test_request(port, "POST", "/v1/database/vt/sql", NULL,
                              "SELECT * FROM rich_players", 26, out, sizeof out), 200);
    CHECK(strstr(out, "\"a1\"") != NULL && strstr(out, "\"b1\"") == NULL);
    wsk_close(&a);
    wsk_close(&b);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* Compression once per identical message: three gzip clients (v2 and v3) subscribed alike
 * get a byte-identical TransactionUpdate; it is compressed once and every client decodes the
 * same rows. A brotli client gets its own compression. */
TEST(server_sub_compress_once)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    static wsk c[4];
    tmsg *m = lc_alloc(sizeof *m);
    const char *q[4] = {"?compression=Gzip", "?compression=Gzip", "?compression=Gzip",
                        "?compression=Brotli"};
    for (int i = 0; i < 4; i++) {
        CHECK(wsk_join(&c[i], port, "bank", q[i], i == 1));
        send_sub(&c[i], 1, 7, "SELECT * FROM accounts", NULL);
        CHECK_EQ(wsk_msg(&c[i], m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    }
    u64 h0, m0, h1, m1;
    server_compress_stats(s, &h0, &m0);
    CHECK_EQ(sk_call_json(port, "bank", "seed", "[120, 9]"), 200); /* 120 rows: > 1 KiB */
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(wsk_msg(&c[i], m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
        CHECK(c[i].last_tag == (i == 3 ? NET_WS_COMPRESS_BROTLI : NET_WS_COMPRESS_GZIP));
        CHECK(has_account(m, 'i', 0, 9) && has_account(m, 'i', 119, 9));
    }
    server_compress_stats(s, &h1, &m1);
    CHECK_EQ(m1 - m0, 2); /* one gzip, one brotli */
    CHECK_EQ(h1 - h0, 2); /* the other two gzip clients */
    for (int i = 0; i < 4; i++) wsk_close(&c[i]);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* An anonymous HTTP request runs as a fresh identity, returned in the spacetime-identity /
 * spacetime-identity-token headers (the reference's anon_auth_middleware): two anonymous
 * calls are two different callers, each the ctx.sender of its reducer. */
TEST(server_sub_anonymous_http_caller_gets_identity)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    g_auth[0] = 0;
    CHECK_EQ(sk_publish(port, "chat", "quickstart-chat"), 200);
    u8 id[2][32];
    char tok0[4096];
    for (int i = 0; i < 2; i++) {
        g_minted_id[0] = 0;
        CHECK_EQ(sk_call_json(port, "chat", "send_message", i ? "[\"two\"]" : "[\"one\"]"), 200);
        net_identity nid;
        CHECK_OK(net_identity_from_hex(g_minted_id, strlen(g_minted_id), &nid));
        net_identity_to_wire(&nid, id[i]);
        if (i == 0) snprintf(tok0, sizeof tok0, "%s", g_minted);
    }
    CHECK(memcmp(id[0], id[1], 32) != 0);
    CHECK(strcmp(tok0, g_minted) != 0);
    static const u8 zero[32];
    CHECK(memcmp(id[0], zero, 32) != 0);
    static wsk a;
    tmsg *m = lc_alloc(sizeof *m);
    CHECK(wsk_join(&a, port, "chat", "?compression=None", false));
    send_sub(&a, 1, 1, "SELECT * FROM message", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 2);
    int found = 0;
    for (u32 i = 0; i < m->nrows; i++) /* message(sender, sent, text) */
        for (int k = 0; k < 2; k++)
            if (m->rows[i].len > 32 && memcmp(m->rows[i].data, id[k], 32) == 0) found |= 1 << k;
    CHECK_EQ(found, 3);
    /* the token it got is a real one: reusing it is the same caller again */
    snprintf(g_auth, sizeof g_auth, "%s", tok0);
    g_minted_id[0] = 0;
    CHECK_EQ(sk_call_json(port, "chat", "send_message", "[\"three\"]"), 200);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK(m->nrows >= 1 && memcmp(m->rows[0].data, id[0], 32) == 0);
    g_auth[0] = 0;
    wsk_close(&a);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* A compatible republish (hosttest -> hosttest_v2 adds a table and a reducer, and the same
 * module again) keeps the connection and its query sets: nothing is sent for the publish,
 * and later transactions reach the set as before. A refused republish changes nothing. */
TEST(server_sub_republish_keeps_subscriptions)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "ht", "hosttest"), 200);
    snprintf(g_auth, sizeof g_auth, "%s", g_minted); /* the owner from now on */
    static wsk a;
    tmsg *m = lc_alloc(sizeof *m);
    CHECK(wsk_join(&a, port, "ht", "?compression=None", false));
    send_sub(&a, 1, 42, "SELECT * FROM item WHERE qty > 5", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(sk_publish(port, "ht", "hosttest_v2"), 200);
    CHECK_EQ(sk_publish(port, "ht", "hosttest_v2"), 200);
    CHECK_EQ(sk_post(port, "/v1/database/ht", "\0asm\1\0\0\0\xff", 9), 400); /* refused */
    CHECK_EQ(wsk_msg(&a, m, 300), 0); /* no SubscriptionError, no close */
    CHECK_EQ(sk_call_json(port, "ht", "add", "[\"small\", 1]"), 200);
    CHECK_EQ(sk_call_json(port, "ht", "add_note", "[1, \"new reducer\"]"), 200);
    CHECK_EQ(sk_call_json(port, "ht", "add", "[\"big\", 9]"), 200);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(m->nrows, 1);
    CHECK_EQ(m->rows[0].set, 42);
    CHECK_EQ(m->rows[0].kind, 'i');
    /* the new table can be subscribed to on the same connection */
    send_sub(&a, 2, 43, "SELECT * FROM note", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 1);
    wsk_close(&a);
    g_auth[0] = 0;
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* A republish that breaks clients (here clear=true) ends every set and closes every
 * WebSocket of that database (1013, try again), subscribed or not; another database's
 * connections stay. The clients reconnect and subscribe against the new module. */
TEST(server_sub_breaking_republish_disconnects)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    snprintf(g_auth, sizeof g_auth, "%s", g_minted);
    CHECK_EQ(sk_publish(port, "other", "keynote-bank"), 200);
    static wsk a, b, o;
    tmsg *m = lc_alloc(sizeof *m);
    CHECK(wsk_join(&a, port, "bank", "?compression=None", false));
    CHECK(wsk_join(&b, port, "bank", "?compression=None", false)); /* not subscribed */
    CHECK(wsk_join(&o, port, "other", "?compression=None", false));
    send_sub(&a, 1, 42, "SELECT * FROM accounts", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    size_t n = 0;
    u8 *wasm = host_test_wasm("keynote-bank", &n);
    CHECK(wasm != NULL);
    CHECK_EQ(sk_post(port, "/v1/database/bank?clear=true", wasm, n), 200);
    lc_free(wasm);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIPTION_ERROR);
    CHECK(!m->has_req);
    CHECK_EQ(wsk_msg(&a, m, 5000), -1);
    CHECK_EQ(a.close_code, NET_WS_CLOSE_TRY_AGAIN);
    CHECK_EQ(wsk_msg(&b, m, 5000), -1);
    CHECK_EQ(b.close_code, NET_WS_CLOSE_TRY_AGAIN);
    CHECK_EQ(wsk_msg(&o, m, 300), 0); /* the other database's client is untouched */
    wsk_close(&a);
    wsk_close(&b);
    CHECK(wsk_join(&a, port, "bank", "?compression=None", false));
    CHECK_EQ(sk_call_json(port, "bank", "seed", "[1, 5]"), 200);
    send_sub(&a, 2, 43, "SELECT * FROM accounts", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK(has_account(m, 'r', 0, 5));
    wsk_close(&a);
    wsk_close(&o);
    g_auth[0] = 0;
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* Scheduled reducers run on the worker outside any request: their commits still reach
 * subscribers (ticker's init arms a one-second interval that bumps tick_count). A private
 * table is invisible to clients. */
TEST(server_sub_scheduled_reducer_updates)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "tick", "ticker"), 200);
    static wsk a;
    tmsg *m = lc_alloc(sizeof *m);
    CHECK(wsk_join(&a, port, "tick", "?compression=None", true));
    send_sub(&a, 1, 1, "SELECT * FROM tick_count", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1); /* within about a second */
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK_EQ(count_rows(m, "tick_count", 'i'), 1);
    CHECK(memmem(m->rows[0].data, m->rows[0].len, "every_second", 12) != NULL);
    /* tick_timer is private: a client (not the owner) cannot subscribe to it, and
     * SELECT * FROM * covers the public tables only. */
    send_sub(&a, 2, 2, "SELECT * FROM tick_timer", NULL);
    for (int k = 0; k < 5; k++) { /* skip tick updates that come meanwhile */
        CHECK_EQ(wsk_msg(&a, m, 5000), 1);
        if (m->tag != NET_SMSG_TRANSACTION_UPDATE) break;
    }
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIPTION_ERROR);
    CHECK_EQ(m->set, 2);
    CHECK(strstr(m->text, "private") != NULL);
    send_sub(&a, 3, 3, "SELECT * FROM *", NULL);
    for (int k = 0; k < 5; k++) {
        CHECK_EQ(wsk_msg(&a, m, 5000), 1);
        if (m->tag != NET_SMSG_TRANSACTION_UPDATE) break;
    }
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(count_rows(m, "tick_count", 'r'), 1);
    CHECK_EQ(count_rows(m, "tick_timer", 'r'), 0);
    wsk_close(&a);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* Bodies over 1 KiB go gzip-compressed to a client that asked for Gzip (small ones stay
 * tag 0), on v2 and on v3 where several messages share one compressed frame. */
TEST(server_sub_gzip_large_messages)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    CHECK_EQ(sk_call_json(port, "bank", "seed", "[120, 3]"), 200); /* 120 x 12 B of rows */
    static wsk a, b;
    tmsg *m = lc_alloc(sizeof *m);
    CHECK(wsk_join(&a, port, "bank", "?compression=Gzip", false));
    send_sub(&a, 1, 1, "SELECT * FROM accounts WHERE id < 3", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(a.last_tag, NET_WS_COMPRESS_NONE); /* 3 rows: small */
    send_sub(&a, 2, 2, "SELECT * FROM accounts WHERE id >= 20", NULL);
    CHECK_EQ(wsk_msg(&a, m, 5000), 1);
    CHECK_EQ(a.last_tag, NET_WS_COMPRESS_GZIP);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(m->nrows, 100);
    CHECK(has_account(m, 'r', 119, 3));
    /* v3: a Subscribe and a call in one frame; both replies, gzip when large. */
    CHECK(wsk_join(&b, port, "bank", "?compression=Gzip", true));
    lc_buf q;
    lc_buf_init(&q);
    put_sub(&q, 1, 1, "SELECT * FROM accounts WHERE id >= 20", NULL);
    put_transfer(&q, 2, 30, 31, 1);
    wsk_send(&b, &q);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK_EQ(b.last_tag, NET_WS_COMPRESS_GZIP);
    CHECK_EQ(wsk_msg(&b, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    CHECK(has_account(m, 'i', 31, 4));
    CHECK_EQ(wsk_msg(&a, m, 5000), 1); /* A's set 2 sees the transfer too */
    CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
    CHECK(has_account(m, 'd', 30, 3) && has_account(m, 'i', 30, 2));
    lc_buf_deinit(&q);
    wsk_close(&a);
    wsk_close(&b);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* ---- shared fan-out tails (subs.h: one copy of a one-set update for many clients) ---- */

/* Reads the next message of w: a TransactionUpdate whose every row is in query set `set`, with
 * `ins` inserts; returns its set count (0 on a mismatch). */
static u32 tx_update_of(wsk *w, tmsg *m, u32 set, u32 ins)
{
    if (wsk_msg(w, m, 5000) != 1 || m->tag != NET_SMSG_TRANSACTION_UPDATE) return 0;
    for (u32 i = 0; i < m->nrows; i++)
        if (m->rows[i].set != set && m->nsets == 1) return 0;
    return count_rows(m, "accounts", 'i') == ins ? m->nsets : 0;
}

/* Clients subscribing alike get the same tables bytes under their own query set ids, over v2
 * and v3, uncompressed (the shared tail) or gzip (copied); a client with two hit sets gets
 * both; small updates (copied) and shared ones arrive in commit order. */
TEST(server_sub_shared_tail_fanout)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    CHECK_EQ(sk_call_json(port, "bank", "seed", "[3, 100]"), 200);
    static wsk a, b, c, d, e;
    tmsg *m = lc_alloc(sizeof *m);
    lc_buf q;
    lc_buf_init(&q);
    CHECK(wsk_join(&a, port, "bank", "?compression=None", false));
    CHECK(wsk_join(&b, port, "bank", "?compression=None", true));
    CHECK(wsk_join(&c, port, "bank", "?compression=Gzip", true));
    CHECK(wsk_join(&d, port, "bank", "?compression=None", true));
    CHECK(wsk_join(&e, port, "bank", "?compression=None", true));
    static const char all[] = "SELECT * FROM accounts";
    send_sub(&a, 1, 5, all, NULL);
    send_sub(&b, 1, 9, all, NULL);
    send_sub(&c, 1, 5, all, NULL);
    send_sub(&d, 1, 1, all, NULL);
    send_sub(&d, 2, 2, "SELECT * FROM accounts WHERE id >= 0", NULL);
    wsk *subs4[4] = {&a, &b, &c, &d};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(wsk_msg(subs4[i], m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    }
    CHECK_EQ(wsk_msg(&d, m, 5000), 1);
    CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    /* seed(60): 3 deletes + 60 inserts (> SUBS_SHARED_MIN bytes), then a small transfer. */
    put_seed(&q, 1, 60, 7);
    put_transfer(&q, 2, 0, 1, 5);
    wsk_send(&e, &q);
    static const u32 set_of[3] = {5, 9, 5};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(tx_update_of(subs4[i], m, set_of[i], 60), 1);
        CHECK_EQ(count_rows(m, "accounts", 'd'), 3);
        CHECK(has_account(m, 'i', 59, 7));
        CHECK_EQ(tx_update_of(subs4[i], m, set_of[i], 2), 1);
        CHECK(has_account(m, 'd', 1, 7) && has_account(m, 'i', 1, 12));
        CHECK(has_account(m, 'd', 0, 7) && has_account(m, 'i', 0, 2));
    }
    CHECK_EQ(tx_update_of(&d, m, 0, 120), 2); /* both sets, each with every row */
    CHECK_EQ(tx_update_of(&d, m, 0, 4), 2);
    for (int k = 0; k < 2; k++) { /* the caller's own results */
        CHECK_EQ(wsk_msg(&e, m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
        CHECK_EQ(m->outcome, NET_REDUCER_OK);
    }
    wsk_close(&a);
    wsk_close(&b);
    wsk_close(&c);
    wsk_close(&d);
    wsk_close(&e);
    lc_buf_deinit(&q);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
}

/* Confirmed reads with shared tails: held fan-out messages keep a reference to the shared
 * tail instead of a copy per client (server.c hq). While the log's fsync is stuck no
 * confirmed subscriber hears anything; once it passes each gets both transactions in commit
 * order with the right rows, over v2 and v3, uncompressed and gzip. A client that goes away
 * while messages are held for it releases them (ASan/LeakSanitizer would see a lost tail). */
TEST(server_sub_confirmed_shared_tails)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    char dir[] = "/tmp/lc-test-subshr-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    clog_options co = {.io = {.sync_fn = gate_sync}};
    server_config cfg = {.keys = keys, .data_dir = data, .clog = &co};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    CHECK_EQ(sk_call_json(port, "bank", "seed", "[3, 100]"), 200);
    static wsk a, b, c, d, e;
    tmsg *m = lc_alloc(sizeof *m);
    lc_buf q;
    lc_buf_init(&q);
    CHECK(wsk_join(&a, port, "bank", "?compression=None", false));
    CHECK(wsk_join(&b, port, "bank", "?compression=None", true));
    CHECK(wsk_join(&c, port, "bank", "?compression=Gzip", true));
    CHECK(wsk_join(&d, port, "bank", "?compression=None", false));
    CHECK(wsk_join(&e, port, "bank", "?compression=None&confirmed=false", true));
    static const char all[] = "SELECT * FROM accounts";
    wsk *subs4[4] = {&a, &b, &c, &d};
    for (int i = 0; i < 4; i++) {
        send_sub(subs4[i], 1, 7, all, NULL);
        CHECK_EQ(wsk_msg(subs4[i], m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    }
    atomic_store(&gate_closed, true);
    put_seed(&q, 1, 60, 7);
    put_transfer(&q, 2, 0, 1, 5);
    wsk_send(&e, &q);
    for (int k = 0; k < 2; k++) { /* the caller is not confirmed: its results come at once */
        CHECK_EQ(wsk_msg(&e, m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    }
    for (int i = 0; i < 500 && atomic_load(&gate_waiting) == 0; i++) usleep(10000);
    CHECK(atomic_load(&gate_waiting) > 0);
    for (int i = 0; i < 3; i++) CHECK_EQ(wsk_msg(subs4[i], m, 100), 0);
    wsk_close(&d); /* goes away with two messages held for it */
    usleep(50000);
    atomic_store(&gate_closed, false);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(tx_update_of(subs4[i], m, 7, 60), 1);
        CHECK_EQ(count_rows(m, "accounts", 'd'), 3);
        CHECK(has_account(m, 'i', 59, 7));
        CHECK_EQ(tx_update_of(subs4[i], m, 7, 2), 1);
        CHECK(has_account(m, 'd', 1, 7) && has_account(m, 'i', 1, 12));
        CHECK(has_account(m, 'd', 0, 7) && has_account(m, 'i', 0, 2));
    }
    wsk_close(&a);
    wsk_close(&b);
    wsk_close(&c);
    wsk_close(&e);
    lc_buf_deinit(&q);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
}

/* Compress once with many transactions held at once (confirmed reads, fsync stuck): each
 * transaction is compressed once for three gzip clients although twelve are released
 * together, more than the loop's recent-bodies cache holds (the frame is kept on the shared
 * tail), and every client decodes all twelve in commit order. */
TEST(server_sub_compress_once_held)
{
    net_keys *keys = sk_keys();
    CHECK(keys != NULL);
    char dir[] = "/tmp/lc-test-subzh-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char data[128];
    snprintf(data, sizeof data, "%s/data", dir);
    clog_options co = {.io = {.sync_fn = gate_sync}};
    server_config cfg = {.keys = keys, .data_dir = data, .clog = &co};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(sk_publish(port, "bank", "keynote-bank"), 200);
    static wsk c[3], e;
    tmsg *m = lc_alloc(sizeof *m);
    lc_buf q;
    lc_buf_init(&q);
    for (int i = 0; i < 3; i++) {
        CHECK(wsk_join(&c[i], port, "bank", "?compression=Gzip", i == 1));
        send_sub(&c[i], 1, 7, "SELECT * FROM accounts", NULL);
        CHECK_EQ(wsk_msg(&c[i], m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
    }
    CHECK(wsk_join(&e, port, "bank", "?compression=None&confirmed=false", true));
    u64 h0, m0, h1, m1;
    server_compress_stats(s, &h0, &m0);
    atomic_store(&gate_closed, true);
    for (u32 k = 0; k < 12; k++) put_seed(&q, k, 120, 100 + k); /* 120 rows: > 1 KiB */
    wsk_send(&e, &q);
    for (int k = 0; k < 12; k++) {
        CHECK_EQ(wsk_msg(&e, m, 5000), 1);
        CHECK_EQ(m->tag, NET_SMSG_REDUCER_RESULT);
    }
    atomic_store(&gate_closed, false);
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 12; k++) {
            int got = wsk_msg(&c[i], m, 5000);
            if (got != 1) fprintf(stderr, "client %d tx %d: %d\n", i, k, got);
            CHECK_EQ(got, 1);
            CHECK_EQ(m->tag, NET_SMSG_TRANSACTION_UPDATE);
            CHECK(c[i].last_tag == NET_WS_COMPRESS_GZIP);
            CHECK(has_account(m, 'i', 0, 100 + k) && has_account(m, 'i', 119, 100 + k));
        }
    }
    server_compress_stats(s, &h1, &m1);
    CHECK_EQ(m1 - m0, 12);
    CHECK_EQ(h1 - h0, 24);
    for (int i = 0; i < 3; i++) wsk_close(&c[i]);
    wsk_close(&e);
    lc_buf_deinit(&q);
    lc_free(m);
    server_stop(s);
    net_keys_destroy(keys);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
}
