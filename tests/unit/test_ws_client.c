/*
 * tests/unit/test_ws_client.c — the WebSocket client (net/ws_client.h).
 *
 *   - ServerMessage decoder: every tag round-trips from the server-side encoders
 *     (net_proto_put_*); the spec's reference byte strings decode to the documented fields;
 *     every truncation of a valid message and seeded random mutations fail cleanly.
 *   - Against a scripted fake server on a thread (raw socket): the upgrade request carries the
 *     subprotocol and query parameters; a ping gets a pong; fragmented and gzip-compressed
 *     messages are reassembled; a close frame ends the stream with its code; a wrong
 *     Sec-WebSocket-Accept and a non-101 answer are refused with the status.
 *   - Against the real in-process server with keynote-bank: 404 for an unknown database,
 *     blocking calls (seed, transfer Ok, insufficient_funds Err with its text), and 200 pipelined
 *     calls through the non-blocking API (read/next/flush on a poll loop).
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/limits.h"
#include "harness.h"
#include "net_test_util.h"
#include "host/host_test_util.h"
#include "net/proto.h"
#include "net/ws.h"
#include "net/ws_client.h"
#include "server/server.h"

/* ---- decoder ---- */

static const u8 ROWS2[] = {1, 0, 0, 0, 2, 0, 0, 0}; /* two u32 rows: 1, 2 */

static void build_all(lc_buf *b, size_t *ends, int *n)
{
    u8 id[32], cid[16];
    for (int i = 0; i < 32; i++) id[i] = (u8)i;
    for (int i = 0; i < 16; i++) cid[i] = (u8)(100 + i);
    *n = 0;
    net_proto_put_initial_connection(b, id, cid, "tok.en", 6);
    ends[(*n)++] = b->len;
    net_table_rows tr = {"t", 1, net_proto_row_list_fixed(ROWS2, 8, 4)};
    net_query_rows qr = {&tr, 1};
    net_proto_put_subscribe_applied(b, 7, 3, &qr);
    ends[(*n)++] = b->len;
    net_proto_put_unsubscribe_applied(b, 8, 3, NULL);
    ends[(*n)++] = b->len;
    u32 req = 9;
    net_proto_put_subscription_error(b, &req, 4, "no such table", 13);
    ends[(*n)++] = b->len;
    static const u64 offs[2] = {0, 4};
    net_table_update_rows ur[2] = {
        {.kind = NET_TUR_PERSISTENT, .inserts = {ROWS2, 8, 0, offs, 2},
         .deletes = net_proto_row_list_fixed(ROWS2, 4, 4)},
        {.kind = NET_TUR_EVENT, .inserts = net_proto_row_list_fixed(ROWS2 + 4, 4, 4)},
    };
    net_table_update tu[2] = {{"a", 1, ur, 2}, {"bb", 2, ur, 1}};
    net_query_set_update qs[2] = {{5, tu, 2}, {6, NULL, 0}};
    net_proto_put_transaction_update(b, qs, 2);
    ends[(*n)++] = b->len;
    net_proto_put_one_off_result(b, 10, NULL, "bad sql", 7);
    ends[(*n)++] = b->len;
    net_reducer_outcome ok = {.kind = NET_REDUCER_OK, .ret_value = {(const u8 *)"rv", 2},
                              .sets = qs, .nsets = 1};
    net_proto_put_reducer_result(b, 11, 1700000000000000, &ok);
    ends[(*n)++] = b->len;
    static const u8 errb[] = {4, 0, 0, 0, 'b', 'o', 'o', 'm'};
    net_reducer_outcome er = {.kind = NET_REDUCER_ERR, .err = {errb, 8}};
    net_proto_put_reducer_result(b, 12, 5, &er);
    ends[(*n)++] = b->len;
    net_proto_put_procedure_result(b, NET_PROC_RETURNED, "x", 1, 6, 1234, 13);
    ends[(*n)++] = b->len;
}

static void check_decoded(const net_smsg *m, int i)
{
    const u8 *row;
    size_t rl;
    switch (i) {
    case 0:
        CHECK_EQ(m->tag, NET_SMSG_INITIAL_CONNECTION);
        CHECK_EQ(m->identity[31], 31);
        CHECK_EQ(m->connection_id[0], 100);
        CHECK(m->token.n == 6 && memcmp(m->token.p, "tok.en", 6) == 0);
        break;
    case 1:
        CHECK_EQ(m->tag, NET_SMSG_SUBSCRIBE_APPLIED);
        CHECK(m->request_id == 7 && m->query_set_id == 3 && m->ntables == 1 && m->has_rows);
        CHECK_EQ(net_smsg_rows_count(&m->tables[0].inserts), 2);
        CHECK_OK(net_smsg_rows_get(&m->tables[0].inserts, 1, &row, &rl));
        CHECK(rl == 4 && lc_load_u32(row) == 2);
        break;
    case 2:
        CHECK(m->tag == NET_SMSG_UNSUBSCRIBE_APPLIED && m->request_id == 8 && !m->has_rows);
        break;
    case 3:
        CHECK(m->tag == NET_SMSG_SUBSCRIPTION_ERROR && m->has_request_id && m->request_id == 9);
        CHECK(m->query_set_id == 4 && m->err.n == 13);
        break;
    case 4:
        CHECK(m->tag == NET_SMSG_TRANSACTION_UPDATE && m->nsets == 2 && !m->has_request_id);
        CHECK(m->sets[0].query_set_id == 5 && m->sets[0].ntables == 3);
        CHECK(m->sets[0].tables[2].name.n == 2 && m->sets[0].tables[2].kind == NET_TUR_PERSISTENT);
        CHECK_EQ(m->sets[0].tables[1].kind, NET_TUR_EVENT);
        CHECK_EQ(net_smsg_rows_count(&m->sets[0].tables[0].inserts), 2);
        CHECK_OK(net_smsg_rows_get(&m->sets[0].tables[0].inserts, 1, &row, &rl));
        CHECK(rl == 4 && lc_load_u32(row) == 2);
        CHECK_EQ(net_smsg_rows_count(&m->sets[0].tables[0].deletes), 1);
        CHECK_EQ(m->sets[1].ntables, 0);
        break;
    case 5:
        CHECK(m->tag == NET_SMSG_ONE_OFF_QUERY_RESULT && m->request_id == 10 && !m->has_rows);
        CHECK(m->err.n == 7);
        break;
    case 6:
        CHECK(m->tag == NET_SMSG_REDUCER_RESULT && m->request_id == 11);
        CHECK(m->outcome == NET_REDUCER_OK && m->ret_value.n == 2 && m->nsets == 1);
        CHECK_EQ(m->timestamp_us, 1700000000000000);
        break;
    case 7: {
        CHECK(m->outcome == NET_REDUCER_ERR && m->request_id == 12);
        net_pbytes t = net_smsg_err_text(m);
        CHECK(t.n == 4 && memcmp(t.p, "boom", 4) == 0);
        break;
    }
    default:
        CHECK(m->tag == NET_SMSG_PROCEDURE_RESULT && m->request_id == 13);
        CHECK(m->outcome == NET_PROC_RETURNED && m->duration_us == 1234 && m->ret_value.n == 1);
    }
}

TEST(ws_client_smsg_roundtrip_truncation)
{
    lc_buf b;
    lc_buf_init(&b);
    size_t ends[16];
    int n;
    build_all(&b, ends, &n);
    CHECK(!b.err);
    lc_arena a;
    lc_arena_init(&a, 1 << 20);
    /* As one v3 body: decode_next walks the messages back to back. */
    lc_rd r;
    lc_rd_init(&r, b.data, b.len);
    for (int i = 0; i < n; i++) {
        net_smsg m;
        CHECK_OK(net_smsg_decode_next(&r, &a, &m, NULL));
        CHECK_EQ(b.len - lc_rd_left(&r), ends[i]);
        check_decoded(&m, i);
        if (lc_test_failed()) return;
    }
    /* Each message alone (v2), and every proper prefix of it fails without crashing. */
    for (int i = 0; i < n; i++) {
        size_t s = i ? ends[i - 1] : 0, len = ends[i] - s;
        net_smsg m;
        lc_arena_reset(&a);
        CHECK_OK(net_smsg_decode(b.data + s, len, &a, &m, NULL));
        for (size_t k = 0; k < len; k++)
            CHECK(net_smsg_decode(b.data + s, k, &a, &m, NULL) < 0);
        u8 *longer = lc_alloc(len + 1);
        memcpy(longer, b.data + s, len);
        longer[len] = 0;
        CHECK_ERR(net_smsg_decode(longer, len + 1, &a, &m, NULL), LC_EDECODE);
        lc_free(longer);
    }
    /* Seeded random byte flips: any result, no crash, and success means a sane tree. */
    u64 x = lc_test_seed() | 1;
    u8 *cp = lc_alloc(b.len);
    for (int it = 0; it < 20000; it++) {
        memcpy(cp, b.data, b.len);
        for (int f = 0; f < 3; f++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            cp[x % b.len] = (u8)(x >> 32);
        }
        lc_arena_reset(&a);
        lc_rd_init(&r, cp, b.len);
        net_smsg m;
        while (lc_rd_left(&r) && net_smsg_decode_next(&r, &a, &m, NULL) == 0) {
            for (u32 s = 0; s < m.nsets; s++)
                for (u32 t = 0; t < m.sets[s].ntables; t++) {
                    const net_smsg_rows *rows = &m.sets[s].tables[t].inserts;
                    u32 cnt = net_smsg_rows_count(rows);
                    for (u32 k = 0; k < cnt; k++) {
                        const u8 *row;
                        size_t rl;
                        if (net_smsg_rows_get(rows, k, &row, &rl) == 0)
                            CHECK(row >= rows->data && row + rl <= rows->data + rows->len);
                    }
                }
        }
    }
    lc_free(cp);
    lc_arena_deinit(&a);
    lc_buf_deinit(&b);
}

/* The spec's reference bytes (§2.5) decode to the documented values. */
TEST(ws_client_smsg_spec_bytes)
{
    static const u8 rr[] = {0x06, 1, 0, 0, 0, 0x00, 0x40, 0x1e, 0x18, 0x24, 0x0a, 0x06, 0x00,
                            0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    static const u8 se[] = {0x03, 0x00, 5, 0, 0, 0, 2, 0, 0, 0, 13, 0, 0, 0, 'n', 'o', ' ', 's',
                            'u', 'c', 'h', ' ', 't', 'a', 'b', 'l', 'e'};
    lc_arena a;
    lc_arena_init(&a, 0);
    net_smsg m;
    CHECK_OK(net_smsg_decode(rr, sizeof rr, &a, &m, NULL));
    CHECK(m.tag == NET_SMSG_REDUCER_RESULT && m.request_id == 1 && m.outcome == NET_REDUCER_OK);
    CHECK_EQ(m.timestamp_us, 1700000000000000);
    u32 req;
    u8 oc;
    CHECK_OK(net_smsg_reducer_result_peek(rr, sizeof rr, &req, &oc));
    CHECK(req == 1 && oc == NET_REDUCER_OK);
    CHECK_ERR(net_smsg_reducer_result_peek(se, sizeof se, &req, &oc), LC_EDECODE);
    CHECK_OK(net_smsg_decode(se, sizeof se, &a, &m, NULL));
    CHECK(m.has_request_id && m.request_id == 5 && m.query_set_id == 2 && m.err.n == 13);
    lc_arena_deinit(&a);
}

/* ---- a scripted fake server ---- */

typedef struct fake {
    int lfd;
    u16 port;
    int scenario; /* 0: good session, 1: wrong accept, 2: 404 */
    char request[4096];
    bool got_pong;
} fake;

static int fake_listen(fake *f)
{
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof a;
    if (bind(f->lfd, (struct sockaddr *)&a, sizeof a) || listen(f->lfd, 4) ||
        getsockname(f->lfd, (struct sockaddr *)&a, &sl))
        return -1;
    f->port = ntohs(a.sin_port);
    return 0;
}

static void fake_write(int fd, const lc_buf *b)
{
    if (write(fd, b->data, b->len) != (ssize_t)b->len) perror("fake write");
}

/* The frames of scenario 0: ping, a message in two fragments, a gzip message, close 1001. */
static void fake_session(int fd)
{
    lc_buf o, body;
    lc_buf_init(&o);
    lc_buf_init(&body);
    net_ws_write_frame(&o, NET_WS_OP_PING, "hi", 2);
    u8 h[14];
    size_t hn = net_ws_frame_header(h, NET_WS_OP_BINARY, false, 3, NULL);
    lc_buf_put(&o, h, hn);
    lc_buf_put(&o, "\0ab", 3);
    hn = net_ws_frame_header(h, NET_WS_OP_CONT, true, 2, NULL);
    lc_buf_put(&o, h, hn);
    lc_buf_put(&o, "cd", 2);
    char big[3000];
    memset(big, 'z', sizeof big);
    if (net_ws_msg_encode(&body, NET_WS_COMPRESS_GZIP, big, sizeof big) == 0)
        net_ws_write_frame(&o, NET_WS_OP_BINARY, body.data, body.len);
    fake_write(fd, &o);
    lc_buf_deinit(&o);
    lc_buf_deinit(&body);
}

static void *fake_main(void *arg)
{
    fake *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    size_t n = 0;
    while (n < sizeof f->request - 1 && !strstr(f->request, "\r\n\r\n")) {
        ssize_t r = read(fd, f->request + n, sizeof f->request - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        f->request[n] = 0;
    }
    const char *k = strstr(f->request, "Sec-WebSocket-Key: ");
    char acc[NET_WS_ACCEPT_LEN + 1] = "";
    if (k && net_ws_accept_key(k + 19, 24, acc)) acc[0] = 0;
    if (f->scenario == 1) acc[3] ^= 1;
    char resp[512];
    int rl = f->scenario == 2
                 ? snprintf(resp, sizeof resp, "HTTP/1.1 404 Not Found\r\nContent-Length: 15\r\n"
                                               "\r\n`x` not found\r\n")
                 : snprintf(resp, sizeof resp,
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                            "Sec-WebSocket-Protocol: v2.bsatn.spacetimedb\r\n\r\n", acc);
    if (write(fd, resp, (size_t)rl) != rl) perror("fake write");
    if (f->scenario == 0) {
        fake_session(fd);
        /* The client's pong: a masked frame 0x8A, length 0x82, 4 mask bytes, "hi" masked. */
        u8 in[8];
        size_t got = 0;
        while (got < 8) {
            ssize_t r = read(fd, in + got, 8 - got);
            if (r <= 0) break;
            got += (size_t)r;
        }
        f->got_pong = got == 8 && in[0] == 0x8A && in[1] == 0x82 && (in[6] ^ in[2]) == 'h' &&
                      (in[7] ^ in[3]) == 'i';
        lc_buf c;
        lc_buf_init(&c);
        net_ws_write_close(&c, NET_WS_CLOSE_GOING_AWAY, "module exited");
        fake_write(fd, &c);
        lc_buf_deinit(&c);
    }
    close(fd);
    return NULL;
}

TEST(ws_client_fake_server_frames_and_refusals)
{
    for (int sc = 0; sc < 3; sc++) {
        static fake f;
        memset(&f, 0, sizeof f);
        f.scenario = sc;
        CHECK_OK(fake_listen(&f));
        pthread_t th;
        CHECK_OK(pthread_create(&th, NULL, fake_main, &f));
        net_wsc_opts o = {.port = f.port, .database = "my db", .token = "ab.cd",
                          .compression = "Gzip", .confirmed = 1, .light = true};
        net_wsc *c = NULL;
        int status = 0;
        lc_errbuf eb;
        int rc = net_wsc_connect(&o, &c, &status, &eb);
        if (sc == 0) {
            CHECK_OK(rc);
            CHECK_EQ(net_wsc_proto(c), NET_WS_PROTO_V2);
            const u8 *body;
            size_t len;
            CHECK_EQ(net_wsc_recv(c, 5000, &body, &len, &eb), 1);
            CHECK(len == 4 && memcmp(body, "abcd", 4) == 0);
            CHECK_EQ(net_wsc_recv(c, 5000, &body, &len, &eb), 1);
            CHECK(len == 3000 && body[0] == 'z' && body[2999] == 'z');
            /* The pong goes out on this recv's flush; then the close arrives. */
            CHECK_ERR(net_wsc_recv(c, 5000, &body, &len, &eb), LC_ECLOSED);
            CHECK_EQ(net_wsc_close_code(c), NET_WS_CLOSE_GOING_AWAY);
        } else {
            CHECK_ERR(rc, LC_EPROTOCOL);
            CHECK(c == NULL);
            if (sc == 2) {
                CHECK_EQ(status, 404);
                CHECK(strstr(eb.msg, "`x` not found") != NULL);
            }
        }
        net_wsc_close(c);
        pthread_join(th, NULL);
        close(f.lfd);
        CHECK(strncmp(f.request, "GET /v1/database/my%20db/subscribe?token=ab.cd&compression=Gzip"
                                 "&light=true&confirmed=true HTTP/1.1\r\n", 98) == 0);
        CHECK(strstr(f.request, "Sec-WebSocket-Protocol: v2.bsatn.spacetimedb\r\n") != NULL);
        if (sc == 0) CHECK(f.got_pong);
    }
}

/* ---- against the in-process server ---- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static void transfer_args(u8 a[16], u32 from, u32 to, i64 amount)
{
    lc_store_u32(a, from);
    lc_store_u32(a + 4, to);
    lc_store_u64(a + 8, (u64)amount);
}

/* Next body must be a ReducerResult for req; returns its outcome (or 255). */
static u8 expect_result(net_wsc *c, u32 req, lc_arena *a, net_smsg *m)
{
    const u8 *body;
    size_t len;
    lc_errbuf eb;
    if (net_wsc_recv(c, 10000, &body, &len, &eb) != 1) return 255;
    lc_arena_reset(a);
    if (net_smsg_decode(body, len, a, m, &eb) || m->tag != NET_SMSG_REDUCER_RESULT ||
        m->request_id != req)
        return 255;
    return m->outcome;
}

/* 200 transfers pipelined on a non-blocking connection, driven by poll. */
static void pipelined_calls(net_wsc *c)
{
    enum { CALLS = 200 };
    CHECK_OK(net_wsc_set_nonblocking(c, true));
    u8 args[16];
    for (u32 i = 0; i < CALLS; i++) {
        transfer_args(args, i % 10, (i + 1) % 10, 1);
        CHECK_OK(net_wsc_call_reducer(c, 1000 + i, "transfer", args, 16));
    }
    static bool seen[CALLS];
    memset(seen, 0, sizeof seen);
    u32 got = 0;
    for (int spins = 0; got < CALLS && spins < 10000; spins++) {
        int rc = net_wsc_flush(c);
        CHECK(rc == 0 || rc == LC_EAGAIN);
        struct pollfd p = {.fd = net_wsc_fd(c), .events = POLLIN | (rc ? POLLOUT : 0)};
        CHECK(poll(&p, 1, 10000) > 0);
        if (!(p.revents & POLLIN)) continue;
        rc = net_wsc_read(c);
        CHECK(rc > 0 || rc == LC_EAGAIN);
        const u8 *body;
        size_t len;
        while ((rc = net_wsc_next(c, &body, &len, NULL)) == 1) {
            u32 req;
            u8 oc;
            CHECK_OK(net_smsg_reducer_result_peek(body, len, &req, &oc));
            CHECK(req >= 1000 && req < 1000 + CALLS && !seen[req - 1000]);
            CHECK_EQ(oc, NET_REDUCER_OK);
            seen[req - 1000] = true;
            got++;
        }
        CHECK_EQ(rc, 0);
    }
    CHECK_EQ(got, CALLS);
    CHECK_OK(net_wsc_set_nonblocking(c, false));
}

TEST(ws_client_server_keynote_bank)
{
    size_t wlen = 0;
    u8 *wasm = host_test_wasm("keynote-bank", &wlen);
    CHECK(wasm != NULL);
    char dir[] = "/tmp/lc-test-wsc-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char kd[128];
    snprintf(kd, sizeof kd, "%s/keys", dir);
    net_keys *keys = NULL;
    CHECK_OK(net_keys_open_dir(kd, &keys, NULL));
    server_config cfg = {.keys = keys}; /* databases in memory */
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    CHECK_EQ(net_test_post(port, "/v1/database/bank", wasm, wlen), 200);

    /* An unknown database is refused before the upgrade, with the server's reason. */
    net_wsc_opts o = {.port = port, .database = "nobank", .confirmed = -1};
    net_wsc *c = NULL;
    int status = 0;
    lc_errbuf eb;
    CHECK_ERR(net_wsc_connect(&o, &c, &status, &eb), LC_EPROTOCOL);
    CHECK_EQ(status, 404);
    CHECK(c == NULL && strstr(eb.msg, "nobank") != NULL);
    o.database = "bank";
    CHECK_OK(net_wsc_connect(&o, &c, &status, &eb));
    CHECK_EQ(status, 101);
    lc_arena a;
    lc_arena_init(&a, 1 << 20);
    net_smsg m;
    const u8 *body;
    size_t len;
    CHECK_EQ(net_wsc_recv(c, 10000, &body, &len, &eb), 1);
    CHECK_OK(net_smsg_decode(body, len, &a, &m, &eb));
    CHECK_EQ(m.tag, NET_SMSG_INITIAL_CONNECTION);
    CHECK(m.token.n > 20);

    u8 args[16];
    lc_store_u32(args, 10);
    lc_store_u64(args + 4, 100);
    CHECK_OK(net_wsc_call_reducer(c, 1, "seed", args, 12));
    CHECK_EQ(expect_result(c, 1, &a, &m), NET_REDUCER_OK);
    transfer_args(args, 0, 1, 30);
    CHECK_OK(net_wsc_call_reducer(c, 2, "transfer", args, 16));
    CHECK_EQ(expect_result(c, 2, &a, &m), NET_REDUCER_OK);
    transfer_args(args, 0, 1, 71);
    CHECK_OK(net_wsc_call_reducer(c, 3, "transfer", args, 16));
    CHECK_EQ(expect_result(c, 3, &a, &m), NET_REDUCER_ERR);
    net_pbytes t = net_smsg_err_text(&m);
    CHECK(t.n == 18 && memcmp(t.p, "insufficient_funds", 18) == 0);
    pipelined_calls(c);
    /* Balances are unchanged by the ring of 200 transfers: 0 still holds 70. */
    transfer_args(args, 0, 1, 71);
    CHECK_OK(net_wsc_call_reducer(c, 4, "transfer", args, 16));
    CHECK_EQ(expect_result(c, 4, &a, &m), NET_REDUCER_ERR);
    transfer_args(args, 0, 1, 70);
    CHECK_OK(net_wsc_call_reducer(c, 5, "transfer", args, 16));
    CHECK_EQ(expect_result(c, 5, &a, &m), NET_REDUCER_OK);
    CHECK_OK(net_wsc_send_close(c, NET_WS_CLOSE_NORMAL));
    CHECK_OK(net_wsc_flush(c));
    net_wsc_close(c);
    lc_arena_deinit(&a);
    server_stop(s);
    net_keys_destroy(keys);
    lc_free(wasm);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
