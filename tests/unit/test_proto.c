/*
 * tests/unit/test_proto.c — the v2 message codec against the byte strings of
 * spec-client-protocol.md §2.4-2.5 (captured from / accepted by the real SDK 2.10.1), plus
 * malformed client messages (truncated at every length, bad tags, bad flags, oversize
 * counts, invalid UTF-8, trailing bytes) that must fail cleanly.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "net/proto.h"
#include "net/ws.h"
#include "harness.h"

/* Hex with spaces and "quoted ASCII" segments, as the spec writes bytes. */
static size_t unhex(const char *s, u8 *out)
{
    size_t n = 0;
    while (*s) {
        if (*s == '"') {
            for (s++; *s && *s != '"'; s++) out[n++] = (u8)*s;
            if (*s) s++;
        } else if (*s == ' ' || *s == '\n' || *s == '|') {
            s++;
        } else {
            char h[3] = {s[0], s[1], 0};
            out[n++] = (u8)strtoul(h, NULL, 16);
            s += 2;
        }
    }
    return n;
}

#define CHECK_HEX(buf, hex)                                                   \
    do {                                                                      \
        static u8 _want[4096];                                                \
        size_t _n = unhex(hex, _want);                                        \
        CHECK_EQ((buf)->err, 0);                                              \
        CHECK_EQ((buf)->len, _n);                                             \
        CHECK(memcmp((buf)->data, _want, _n) == 0);                           \
    } while (0)

static bool view_is(net_pbytes v, const char *s)
{
    return v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

TEST(proto_decode_subscribe_spec)
{
    u8 in[256];
    size_t n = unhex("00 | 00000000 | 00000000 | 02000000 | 14000000 \"SELECT * FROM person\" | "
                     "21000000 \"SELECT * FROM person WHERE id > 5\"", in);
    CHECK_EQ(n, 74);
    net_cmsg m;
    CHECK_OK(net_proto_client_decode(in, n, &m, NULL));
    CHECK_EQ(m.tag, NET_CMSG_SUBSCRIBE);
    CHECK_EQ(m.request_id, 0);
    CHECK_EQ(m.query_set_id, 0);
    CHECK_EQ(m.nqueries, 2);
    CHECK(view_is(m.queries[0], "SELECT * FROM person"));
    CHECK(view_is(m.queries[1], "SELECT * FROM person WHERE id > 5"));
    /* Re-encoding gives the same bytes. */
    lc_buf b;
    lc_buf_init(&b);
    net_proto_put_subscribe(&b, 0, 0, m.queries, m.nqueries);
    CHECK_EQ(b.len, n);
    CHECK(memcmp(b.data, in, n) == 0);
    lc_buf_deinit(&b);
    net_proto_cmsg_free(&m);
}

TEST(proto_decode_call_reducer_spec)
{
    u8 in[128];
    size_t n = unhex("03 | 01000000 | 00 | 0a000000 \"add_person\" | 0d000000 | 02000000 05000000 "
                     "\"Alice\"", in);
    CHECK_EQ(n, 37);
    net_cmsg m;
    CHECK_OK(net_proto_client_decode(in, n, &m, NULL));
    CHECK_EQ(m.tag, NET_CMSG_CALL_REDUCER);
    CHECK_EQ(m.request_id, 1);
    CHECK(view_is(m.name, "add_person"));
    CHECK_EQ(m.args.n, 13);
    CHECK_EQ(m.args.p[0], 2);
    lc_buf b;
    lc_buf_init(&b);
    net_proto_put_call(&b, NET_CMSG_CALL_REDUCER, 1, "add_person", 10, m.args.p, m.args.n);
    CHECK_EQ(b.len, n);
    CHECK(memcmp(b.data, in, n) == 0);
    lc_buf_deinit(&b);
}

TEST(proto_decode_call_procedure_unsubscribe_oneoff)
{
    u8 in[128];
    size_t n = unhex("04 | 02000000 | 00 | 09000000 \"echo_name\" | 05000000 | 01000000 \"x\"", in);
    CHECK_EQ(n, 28);
    net_cmsg m;
    CHECK_OK(net_proto_client_decode(in, n, &m, NULL));
    CHECK_EQ(m.tag, NET_CMSG_CALL_PROCEDURE);
    CHECK_EQ(m.request_id, 2);
    CHECK(view_is(m.name, "echo_name"));
    CHECK_EQ(m.args.n, 5);

    n = unhex("01 | 04000000 | 00000000 | 01", in);
    CHECK_EQ(n, 10);
    CHECK_OK(net_proto_client_decode(in, n, &m, NULL));
    CHECK_EQ(m.tag, NET_CMSG_UNSUBSCRIBE);
    CHECK_EQ(m.request_id, 4);
    CHECK_EQ(m.unsub_flags, NET_UNSUB_SEND_DROPPED_ROWS);

    lc_buf b;
    lc_buf_init(&b);
    net_proto_put_one_off_query(&b, 9, "SELECT 1", 8);
    CHECK_OK(net_proto_client_decode(b.data, b.len, &m, NULL));
    CHECK_EQ(m.tag, NET_CMSG_ONE_OFF_QUERY);
    CHECK_EQ(m.request_id, 9);
    CHECK(view_is(m.query, "SELECT 1"));
    lc_buf_deinit(&b);
}

/* v3: several messages back to back in one frame. */
TEST(proto_decode_v3_batch)
{
    lc_buf b;
    lc_buf_init(&b);
    net_proto_put_call(&b, NET_CMSG_CALL_REDUCER, 7, "a", 1, "", 0);
    net_proto_put_unsubscribe(&b, 8, 3, 0);
    net_pbytes q = {(const u8 *)"SELECT * FROM t", 15};
    net_proto_put_subscribe(&b, 9, 4, &q, 1);
    lc_rd r;
    lc_rd_init(&r, b.data, b.len);
    u32 want[] = {7, 8, 9};
    for (int i = 0; i < 3; i++) {
        net_cmsg m;
        CHECK_OK(net_proto_client_decode_next(&r, &m, NULL));
        CHECK_EQ(m.request_id, want[i]);
        net_proto_cmsg_free(&m);
    }
    CHECK_EQ(lc_rd_left(&r), 0);
    /* v2 framing refuses the batch: trailing bytes. */
    net_cmsg m;
    CHECK_ERR(net_proto_client_decode(b.data, b.len, &m, NULL), LC_EDECODE);
    lc_buf_deinit(&b);
}

/* Every strict prefix of every valid message is an error, never a crash or a success. */
TEST(proto_decode_truncated_everywhere)
{
    const char *msgs[] = {
        "00 00000000 00000000 02000000 14000000 \"SELECT * FROM person\" 01000000 \"x\"",
        "03 01000000 00 0a000000 \"add_person\" 0d000000 02000000 05000000 \"Alice\"",
        "04 02000000 00 09000000 \"echo_name\" 05000000 01000000 \"x\"",
        "01 04000000 00000000 01",
        "02 05000000 08000000 \"SELECT 1\"",
    };
    for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++) {
        u8 in[256];
        size_t n = unhex(msgs[i], in);
        net_cmsg m;
        CHECK_OK(net_proto_client_decode(in, n, &m, NULL));
        net_proto_cmsg_free(&m);
        for (size_t k = 0; k < n; k++) {
            u8 *copy = lc_alloc(k ? k : 1); /* exact-size copy so ASan sees overreads */
            memcpy(copy, in, k);
            lc_errbuf eb;
            int rc = net_proto_client_decode(copy, k, &m, &eb);
            lc_free(copy);
            CHECK_EQ(rc, LC_ETRUNCATED);
            CHECK(m.queries == NULL);
        }
    }
}

TEST(proto_decode_malformed)
{
    u8 in[256];
    net_cmsg m;
    lc_errbuf eb;
    size_t n = unhex("05 00000000", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, &eb), LC_EDECODE);
    CHECK(strstr(eb.msg, "tag") != NULL);
    n = unhex("ff", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_EDECODE);
    /* flags != 0 on calls */
    n = unhex("03 01000000 01 01000000 \"a\" 00000000", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, &eb), LC_EDECODE);
    n = unhex("04 01000000 80 01000000 \"a\" 00000000", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_EDECODE);
    /* unsubscribe flags tag 2 */
    n = unhex("01 04000000 00000000 02", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_EDECODE);
    /* invalid UTF-8 in a reducer name and in a query */
    n = unhex("03 01000000 00 02000000 c328 00000000", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_EDECODE);
    n = unhex("00 00000000 00000000 01000000 01000000 ff", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_EDECODE);
    CHECK(m.queries == NULL);
    /* a huge string length */
    n = unhex("02 05000000 ffffffff \"SELECT\"", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_ETRUNCATED);
    /* a huge query count: rejected before any allocation */
    n = unhex("00 00000000 00000000 ffffffff 00000000", in);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_ELIMIT);
    n = unhex("00 00000000 00000000 00100000 00000000", in); /* 4096: within limit, no room */
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_ETRUNCATED);
    /* empty input */
    CHECK_ERR(net_proto_client_decode(in, 0, &m, NULL), LC_ETRUNCATED);
    /* empty query list is fine at the codec level */
    n = unhex("00 01000000 02000000 00000000", in);
    CHECK_OK(net_proto_client_decode(in, n, &m, NULL));
    CHECK_EQ(m.nqueries, 0);
}

TEST(proto_decode_oversize_name_and_query)
{
    u32 big = LC_PROTO_NAME_MAX + 1;
    size_t n = 1 + 4 + 1 + 4 + big + 4;
    u8 *in = lc_calloc(1, n);
    in[0] = NET_CMSG_CALL_REDUCER;
    lc_store_u32(in + 6, big);
    memset(in + 10, 'a', big);
    net_cmsg m;
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_ELIMIT);
    lc_free(in);

    u32 qbig = LC_SQL_SUB_TEXT_MAX + 1;
    n = 1 + 4 + 4 + 4 + 4 + qbig;
    in = lc_calloc(1, n);
    lc_store_u32(in + 9, 1);
    lc_store_u32(in + 13, qbig);
    memset(in + 17, 'a', qbig);
    CHECK_ERR(net_proto_client_decode(in, n, &m, NULL), LC_ELIMIT);
    CHECK(m.queries == NULL);
    lc_free(in);
}

/* ---- server messages: the spec's reference byte strings ---- */

TEST(proto_encode_initial_connection_spec)
{
    static const char *id_le =
        "c6c5b1d7a7fd2ccaac15d30d201905089cbdd9182498b93ce774cd45fde200c2";
    u8 id[32], cid[16];
    unhex(id_le, id);
    unhex("ffeeddccbbaa99887766554433221100", cid);
    lc_buf b;
    lc_buf_init(&b);
    net_proto_put_initial_connection(&b, id, cid, "minted.jwt.token", 16);
    CHECK_HEX(&b, "00 c6c5b1d7a7fd2ccaac15d30d201905089cbdd9182498b93ce774cd45fde200c2 "
                  "ffeeddccbbaa99887766554433221100 10000000 6d696e7465642e6a77742e746f6b656e");
    /* with the compression envelope (tag 0, small body) */
    lc_buf f;
    lc_buf_init(&f);
    CHECK_OK(net_ws_msg_encode(&f, NET_WS_COMPRESS_NONE, b.data, b.len));
    CHECK_EQ(f.len, b.len + 1);
    CHECK_EQ(f.data[0], 0);
    CHECK(memcmp(f.data + 1, b.data, b.len) == 0);
    lc_buf_deinit(&f);
    lc_buf_deinit(&b);
}

static const u64 off0 = 0;

TEST(proto_encode_subscribe_applied_spec)
{
    u8 row[32];
    size_t rn = unhex("01000000 03000000\"Bob\"", row);
    net_table_rows t = {"person", 6, {row, rn, 0, &off0, 1}};
    net_query_rows q = {&t, 1};
    lc_buf b;
    lc_buf_init(&b);
    net_proto_put_subscribe_applied(&b, 0, 0, &q);
    CHECK_HEX(&b, "01 00000000 00000000 01000000 06000000\"person\" 01 01000000 0000000000000000 "
                  "0b000000 01000000 03000000\"Bob\"");
    u8 tag;
    bool has;
    u32 req;
    CHECK_OK(net_proto_server_peek(b.data, b.len, &tag, &has, &req));
    CHECK_EQ(tag, NET_SMSG_SUBSCRIBE_APPLIED);
    CHECK(has);
    CHECK_EQ(req, 0);
    lc_buf_deinit(&b);
}

TEST(proto_encode_transaction_update_spec)
{
    u8 ins[32], del[32];
    size_t in_n = unhex("01000000 06000000\"Robert\"", ins);
    size_t del_n = unhex("01000000 03000000\"Bob\"", del);
    net_table_update_rows r = {NET_TUR_PERSISTENT, {ins, in_n, 0, &off0, 1},
                               {del, del_n, 0, &off0, 1}};
    net_table_update t = {"person", 6, &r, 1};
    net_query_set_update s = {0, &t, 1};
    lc_buf b;
    lc_buf_init(&b);
    net_proto_put_transaction_update(&b, &s, 1);
    CHECK_HEX(&b, "04 01000000 00000000 01000000 06000000\"person\" 01000000 00 "
                  "01 01000000 0000000000000000 0e000000 01000000 06000000\"Robert\" "
                  "01 01000000 0000000000000000 0b000000 01000000 03000000\"Bob\"");
    /* An event table writes only the events list. */
    lc_buf_reset(&b);
    r.kind = NET_TUR_EVENT;
    net_proto_put_transaction_update(&b, &s, 1);
    CHECK_HEX(&b, "04 01000000 00000000 01000000 06000000\"person\" 01000000 01 "
                  "01 01000000 0000000000000000 0e000000 01000000 06000000\"Robert\"");
    lc_buf_deinit(&b);
}

TEST(proto_encode_reducer_results_spec)
{
    lc_buf b;
    lc_buf_init(&b);
    net_reducer_outcome ok = {.kind = NET_REDUCER_OK};
    net_proto_put_reducer_result(&b, 1, 1700000000000000LL, &ok);
    CHECK_HEX(&b, "06 01000000 00401e18240a0600 00 00000000 00000000");
    lc_buf_reset(&b);
    u8 err[8];
    size_t en = unhex("04000000\"boom\"", err);
    net_reducer_outcome e = {.kind = NET_REDUCER_ERR, .err = {err, (u32)en}};
    net_proto_put_reducer_result(&b, 3, 1700000000000000LL, &e);
    CHECK_HEX(&b, "06 03000000 00401e18240a0600 02 08000000 04000000\"boom\"");
    lc_buf_reset(&b);
    net_reducer_outcome ie = {.kind = NET_REDUCER_INTERNAL_ERROR, .err = {(const u8 *)"no", 2}};
    net_proto_put_reducer_result(&b, 3, 0, &ie);
    CHECK_HEX(&b, "06 03000000 0000000000000000 03 02000000\"no\"");
    lc_buf_reset(&b);
    net_reducer_outcome oe = {.kind = NET_REDUCER_OK_EMPTY};
    net_proto_put_reducer_result(&b, 3, 0, &oe);
    CHECK_HEX(&b, "06 03000000 0000000000000000 01");
    lc_buf_deinit(&b);
}

TEST(proto_encode_errors_procedure_unsubscribe_spec)
{
    lc_buf b;
    lc_buf_init(&b);
    u32 req = 5;
    net_proto_put_subscription_error(&b, &req, 2, "no such table", 13);
    CHECK_HEX(&b, "03 00 05000000 02000000 0d000000\"no such table\"");
    u8 tag;
    bool has;
    u32 r;
    CHECK_OK(net_proto_server_peek(b.data, b.len, &tag, &has, &r));
    CHECK(has);
    CHECK_EQ(r, 5);
    lc_buf_reset(&b);
    net_proto_put_subscription_error(&b, NULL, 2, "x", 1);
    CHECK_HEX(&b, "03 01 02000000 01000000\"x\"");
    CHECK_OK(net_proto_server_peek(b.data, b.len, &tag, &has, &r));
    CHECK(!has);

    lc_buf_reset(&b);
    u8 hi[8];
    size_t hn = unhex("02000000\"hi\"", hi);
    net_proto_put_procedure_result(&b, NET_PROC_RETURNED, hi, (u32)hn, 1700000000000000LL, 1234,
                                   2);
    CHECK_HEX(&b, "07 00 06000000 02000000\"hi\" 00401e18240a0600 d204000000000000 02000000");
    CHECK_OK(net_proto_server_peek(b.data, b.len, &tag, &has, &r));
    CHECK_EQ(tag, NET_SMSG_PROCEDURE_RESULT);
    CHECK_EQ(r, 2);

    lc_buf_reset(&b);
    net_proto_put_unsubscribe_applied(&b, 4, 0, NULL);
    CHECK_HEX(&b, "02 04000000 00000000 01");
    lc_buf_reset(&b);
    net_query_rows empty = {NULL, 0};
    net_proto_put_unsubscribe_applied(&b, 4, 0, &empty);
    CHECK_HEX(&b, "02 04000000 00000000 00 00000000");
    lc_buf_deinit(&b);
}

TEST(proto_encode_one_off_and_fixed_rows)
{
    lc_buf b;
    lc_buf_init(&b);
    u8 rows[8] = {1, 0, 0, 0, 2, 0, 0, 0};
    net_table_rows t = {"n", 1, net_proto_row_list_fixed(rows, 8, 4)};
    net_query_rows q = {&t, 1};
    net_proto_put_one_off_result(&b, 7, &q, NULL, 0);
    CHECK_HEX(&b, "05 07000000 00 01000000 01000000\"n\" 00 0400 08000000 01000000 02000000");
    lc_buf_reset(&b);
    net_proto_put_one_off_result(&b, 7, NULL, "bad sql", 7);
    CHECK_HEX(&b, "05 07000000 01 07000000\"bad sql\"");
    lc_buf_reset(&b);
    /* Empty list as the reference sends it: RowOffsets([]), no data. */
    net_table_rows e = {"n", 1, {NULL, 0, 0, NULL, 0}};
    net_query_rows qe = {&e, 1};
    net_proto_put_query_rows(&b, &qe);
    CHECK_HEX(&b, "01000000 01000000\"n\" 01 00000000 00000000");
    lc_buf_deinit(&b);
}

TEST(proto_server_peek_malformed)
{
    u8 tag;
    bool has;
    u32 r;
    CHECK_ERR(net_proto_server_peek("", 0, &tag, &has, &r), LC_ETRUNCATED);
    CHECK_ERR(net_proto_server_peek("\x09", 1, &tag, &has, &r), LC_EDECODE);
    CHECK_ERR(net_proto_server_peek("\x06\x01", 2, &tag, &has, &r), LC_ETRUNCATED);
    CHECK_ERR(net_proto_server_peek("\x07\x00", 2, &tag, &has, &r), LC_ETRUNCATED);
}

/* A large TransactionUpdate goes out gzip'd (tag 2) and decodes back to the same body. */
TEST(proto_large_message_compressed)
{
    size_t rn = 64 * 1024;
    u8 *rows = lc_calloc(1, rn);
    for (size_t i = 0; i < rn; i++) rows[i] = (u8)(i % 7);
    net_table_update_rows r = {NET_TUR_PERSISTENT, net_proto_row_list_fixed(rows, rn, 8),
                               net_proto_row_list_fixed(NULL, 0, 8)};
    net_table_update t = {"big", 3, &r, 1};
    net_query_set_update s = {1, &t, 1};
    lc_buf body, frame, back;
    lc_buf_init(&body);
    lc_buf_init(&frame);
    lc_buf_init(&back);
    net_proto_put_transaction_update(&body, &s, 1);
    CHECK_EQ(body.err, 0);
    CHECK_OK(net_ws_msg_encode(&frame, NET_WS_COMPRESS_GZIP, body.data, body.len));
    CHECK_EQ(frame.data[0], NET_WS_COMPRESS_GZIP);
    CHECK(frame.len < body.len / 4);
    CHECK_OK(net_ws_msg_decode(frame.data, frame.len, LC_WS_DECOMPRESSED_MAX, &back, NULL));
    CHECK_EQ(back.len, body.len);
    CHECK(memcmp(back.data, body.data, body.len) == 0);
    lc_buf_deinit(&body);
    lc_buf_deinit(&frame);
    lc_buf_deinit(&back);
    lc_free(rows);
}
