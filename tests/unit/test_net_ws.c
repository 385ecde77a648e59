/*
 * tests/unit/test_net_ws.c — net/ws: RFC 6455 examples (§1.3 accept key, §5.7 frames), every
 * parser rule with its close code, any-split incremental feeding, writer round trips, the
 * subprotocol choice, and the [tag][body] compression envelope (gzip, brotli, bombs).
 */
#include <string.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "harness.h"
#include "net/ws.h"
#include "value/value.h"

/* Feeds everything in pieces of `step` bytes (0 = all at once) and records events into
 * evs[]; returns the number of events, or the error code. Data of message events is copied
 * into store (events only borrow). */
typedef struct rec {
    u8 opcode;
    u16 code;
    size_t len;
    u8 data[256];
} rec;

static int feed_all(net_ws_parser *p, const u8 *in, size_t n, size_t step, rec *evs, int max)
{
    int count = 0;
    size_t off = 0;
    while (off < n) {
        size_t piece = step ? LC_MIN(step, n - off) : n - off;
        size_t pos = 0;
        while (pos < piece) {
            size_t used;
            net_ws_event ev;
            int rc = net_ws_parser_feed(p, in + off + pos, piece - pos, &used, &ev);
            pos += used;
            if (rc < 0) return rc;
            if (rc == 1 && count < max) {
                evs[count].opcode = ev.opcode;
                evs[count].code = ev.close_code;
                evs[count].len = ev.len;
                memcpy(evs[count].data, ev.data, LC_MIN(ev.len, sizeof evs[0].data));
                count++;
            }
            if (rc == 0 && used == 0) break;
        }
        off += piece;
    }
    return count;
}

TEST(net_ws_accept_key_rfc)
{
    char out[NET_WS_ACCEPT_LEN + 1];
    CHECK_OK(net_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out));
    CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK_ERR(net_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ", 22, out), LC_EDECODE);
    CHECK_ERR(net_ws_accept_key("dGhlIHNhbXBsZSBub25j!Q==", 24, out), LC_EDECODE);
    CHECK_ERR(net_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=x", 24, out), LC_EDECODE);
}

TEST(net_ws_select_protocol)
{
    const char *sdk = "v3.bsatn.spacetimedb, v2.bsatn.spacetimedb";
    CHECK_EQ(net_ws_select_protocol(sdk, strlen(sdk)), NET_WS_PROTO_V3);
    const char *rev = "v2.bsatn.spacetimedb,v3.bsatn.spacetimedb";
    CHECK_EQ(net_ws_select_protocol(rev, strlen(rev)), NET_WS_PROTO_V3);
    const char *v2 = "  v2.bsatn.spacetimedb  ";
    CHECK_EQ(net_ws_select_protocol(v2, strlen(v2)), NET_WS_PROTO_V2);
    const char *v1 = "v1.bsatn.spacetimedb, v1.json.spacetimedb";
    CHECK_EQ(net_ws_select_protocol(v1, strlen(v1)), NET_WS_PROTO_NONE);
    const char *near = "v3.bsatn.spacetimedbx, V2.bsatn.spacetimedb";
    CHECK_EQ(net_ws_select_protocol(near, strlen(near)), NET_WS_PROTO_NONE);
    CHECK_EQ(net_ws_select_protocol("", 0), NET_WS_PROTO_NONE);
    CHECK_STR(net_ws_proto_name(NET_WS_PROTO_V3), "v3.bsatn.spacetimedb");
    CHECK_STR(net_ws_proto_name(NET_WS_PROTO_V2), "v2.bsatn.spacetimedb");
}

TEST(net_ws_rfc_examples_any_split)
{
    /* §5.7: masked "Hello" (client), then unmasked ones for the client-side parser. */
    static const u8 masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f,
                                0x9f, 0x4d, 0x51, 0x58};
    static const u8 unmasked[] = {0x01, 0x03, 'H', 'e', 'l', 0x89, 0x05, 'H', 'e', 'l', 'l',
                                  'o', 0x80, 0x02, 'l', 'o', 0x8a, 0x00};
    static const size_t steps[] = {0, 1, 2, 3, 5, 7};
    for (size_t s = 0; s < LC_ARRAY_LEN(steps); s++) {
        net_ws_parser p;
        rec ev[4];
        net_ws_parser_init(&p, true, 1 << 20);
        CHECK_EQ(feed_all(&p, masked, sizeof masked, steps[s], ev, 4), 1);
        CHECK_EQ(ev[0].opcode, NET_WS_OP_TEXT);
        CHECK_EQ(ev[0].len, 5);
        CHECK_MEM(ev[0].data, "Hello", 5);
        net_ws_parser_deinit(&p);
        /* Fragmented "Hel"+"lo" with a ping in between, then an empty pong. */
        net_ws_parser_init(&p, false, 1 << 20);
        CHECK_EQ(feed_all(&p, unmasked, sizeof unmasked, steps[s], ev, 4), 3);
        CHECK_EQ(ev[0].opcode, NET_WS_OP_PING);
        CHECK_MEM(ev[0].data, "Hello", 5);
        CHECK_EQ(ev[1].opcode, NET_WS_OP_TEXT);
        CHECK_EQ(ev[1].len, 5);
        CHECK_MEM(ev[1].data, "Hello", 5);
        CHECK_EQ(ev[2].opcode, NET_WS_OP_PONG);
        CHECK_EQ(ev[2].len, 0);
        net_ws_parser_deinit(&p);
    }
}

/* Parses one frame (server side) and returns the result code; *out_close gets close_code. */
static int parse_one(const u8 *in, size_t n, size_t max, u16 *out_close)
{
    net_ws_parser p;
    rec ev[2];
    net_ws_parser_init(&p, true, max);
    int rc = feed_all(&p, in, n, 0, ev, 2);
    *out_close = p.close_code;
    net_ws_parser_deinit(&p);
    return rc;
}

TEST(net_ws_parser_rejects)
{
    u16 cc;
    static const u8 unmasked[] = {0x82, 0x01, 0x00};
    CHECK_ERR(parse_one(unmasked, sizeof unmasked, 100, &cc), LC_EPROTOCOL);
    CHECK_EQ(cc, NET_WS_CLOSE_PROTOCOL);
    static const u8 rsv[] = {0xc2, 0x80, 0, 0, 0, 0};
    CHECK_ERR(parse_one(rsv, sizeof rsv, 100, &cc), LC_EPROTOCOL);
    static const u8 opcode3[] = {0x83, 0x80, 0, 0, 0, 0};
    CHECK_ERR(parse_one(opcode3, sizeof opcode3, 100, &cc), LC_EPROTOCOL);
    static const u8 lone_cont[] = {0x80, 0x80, 0, 0, 0, 0};
    CHECK_ERR(parse_one(lone_cont, sizeof lone_cont, 100, &cc), LC_EPROTOCOL);
    static const u8 two_starts[] = {0x02, 0x80, 0, 0, 0, 0, 0x02, 0x80, 0, 0, 0, 0};
    CHECK_ERR(parse_one(two_starts, sizeof two_starts, 100, &cc), LC_EPROTOCOL);
    static const u8 frag_ping[] = {0x09, 0x80, 0, 0, 0, 0};
    CHECK_ERR(parse_one(frag_ping, sizeof frag_ping, 100, &cc), LC_EPROTOCOL);
    static const u8 long_ping[] = {0x89, 0xfe, 0x00, 0x7e};
    CHECK_ERR(parse_one(long_ping, sizeof long_ping, 1000, &cc), LC_EPROTOCOL);
    static const u8 huge_len[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    CHECK_ERR(parse_one(huge_len, sizeof huge_len, 100, &cc), LC_EPROTOCOL);
    /* 101 bytes declared against a 100-byte cap: 1009 before any payload arrives. */
    static const u8 big[] = {0x82, 0xe5, 0, 0, 0, 0};
    CHECK_ERR(parse_one(big, sizeof big, 100, &cc), LC_ELIMIT);
    CHECK_EQ(cc, NET_WS_CLOSE_TOO_BIG);
    /* Fragments adding up past the cap. */
    static const u8 frags[] = {0x02, 0x80 | 60, 0, 0, 0, 0};
    net_ws_parser p;
    rec ev[2];
    net_ws_parser_init(&p, true, 100);
    u8 buf[200] = {0};
    memcpy(buf, frags, sizeof frags);
    buf[66] = 0x80;
    buf[67] = 0x80 | 41;
    CHECK_ERR(feed_all(&p, buf, 66 + 6 + 41, 0, ev, 2), LC_ELIMIT);
    /* Sticky: feeding more returns the same error. */
    size_t used;
    net_ws_event e;
    CHECK_ERR(net_ws_parser_feed(&p, buf, 1, &used, &e), LC_ELIMIT);
    net_ws_parser_deinit(&p);
    /* Invalid UTF-8 in a text message: 1007. */
    static const u8 bad_text[] = {0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28};
    CHECK_ERR(parse_one(bad_text, sizeof bad_text, 100, &cc), LC_EUTF8);
    CHECK_EQ(cc, NET_WS_CLOSE_INVALID_DATA);
    /* Binary messages are not checked for UTF-8. */
    static const u8 bin[] = {0x82, 0x82, 0, 0, 0, 0, 0xc3, 0x28};
    CHECK_EQ(parse_one(bin, sizeof bin, 100, &cc), 1);
}

TEST(net_ws_close_frames)
{
    u16 cc;
    net_ws_parser p;
    rec ev[2];
    static const u8 empty_close[] = {0x88, 0x80, 1, 2, 3, 4};
    net_ws_parser_init(&p, true, 100);
    CHECK_EQ(feed_all(&p, empty_close, sizeof empty_close, 0, ev, 2), 1);
    CHECK_EQ(ev[0].opcode, NET_WS_OP_CLOSE);
    CHECK_EQ(ev[0].code, NET_WS_CLOSE_NO_STATUS);
    size_t used;
    net_ws_event e;
    CHECK_ERR(net_ws_parser_feed(&p, empty_close, 2, &used, &e), LC_ECLOSED);
    net_ws_parser_deinit(&p);
    /* Written by our writer with a mask, parsed back. */
    lc_buf b;
    lc_buf_init(&b);
    u8 payload[4] = {0x03, 0xe8, 'o', 'k'};
    u8 mask[4] = {9, 8, 7, 6};
    net_ws_write_frame_masked(&b, NET_WS_OP_CLOSE, true, payload, 4, mask);
    net_ws_parser_init(&p, true, 100);
    CHECK_EQ(feed_all(&p, b.data, b.len, 1, ev, 2), 1);
    CHECK_EQ(ev[0].code, 1000);
    CHECK_EQ(ev[0].len, 2);
    CHECK_MEM(ev[0].data, "ok", 2);
    net_ws_parser_deinit(&p);
    static const u16 bad_codes[] = {999, 1004, 1005, 1006, 1015, 2999, 5000};
    for (size_t i = 0; i < LC_ARRAY_LEN(bad_codes); i++) {
        lc_buf_reset(&b);
        payload[0] = (u8)(bad_codes[i] >> 8);
        payload[1] = (u8)bad_codes[i];
        net_ws_write_frame_masked(&b, NET_WS_OP_CLOSE, true, payload, 2, mask);
        CHECK_ERR(parse_one(b.data, b.len, 100, &cc), LC_EPROTOCOL);
    }
    lc_buf_reset(&b);
    net_ws_write_frame_masked(&b, NET_WS_OP_CLOSE, true, payload, 1, mask);
    CHECK_ERR(parse_one(b.data, b.len, 100, &cc), LC_EPROTOCOL);
    lc_buf_deinit(&b);
}

TEST(net_ws_writer_roundtrip)
{
    lc_buf b;
    lc_buf_init(&b);
    /* Sizes on both sides of the 7/16/64-bit length encodings. */
    static const size_t sizes[] = {0, 125, 126, 65535, 65536, 70000};
    u8 *payload = lc_alloc(70000);
    CHECK(payload != NULL);
    for (size_t i = 0; i < 70000; i++) payload[i] = (u8)(i * 31);
    for (size_t s = 0; s < LC_ARRAY_LEN(sizes); s++) {
        lc_buf_reset(&b);
        net_ws_write_frame(&b, NET_WS_OP_BINARY, payload, sizes[s]);
        size_t hdr = sizes[s] < 126 ? 2 : sizes[s] <= 65535 ? 4 : 10;
        CHECK_EQ(b.len, hdr + sizes[s]);
        CHECK_EQ(b.data[0], 0x82);
        net_ws_parser p;
        net_ws_parser_init(&p, false, 1 << 20);
        size_t used;
        net_ws_event ev;
        CHECK_EQ(net_ws_parser_feed(&p, b.data, b.len, &used, &ev), 1);
        CHECK_EQ(used, b.len);
        CHECK_EQ(ev.opcode, NET_WS_OP_BINARY);
        CHECK_EQ(ev.len, sizes[s]);
        CHECK(sizes[s] == 0 || memcmp(ev.data, payload, sizes[s]) == 0);
        net_ws_parser_deinit(&p);
    }
    lc_free(payload);
    /* Close reason cut to 123 bytes without splitting a 2-byte character. */
    char reason[200];
    memset(reason, 'a', 122);
    strcpy(reason + 122, "\xc3\xa9tail");
    lc_buf_reset(&b);
    net_ws_write_close(&b, 1011, reason);
    CHECK_EQ(b.data[1], 2 + 122);
    CHECK_EQ(b.data[2], 0x03);
    CHECK_EQ(b.data[3], 0xf3);
    lc_buf_reset(&b);
    net_ws_write_close(&b, 0, NULL);
    CHECK_EQ(b.len, 2);
    CHECK_EQ(b.data[1], 0);
    lc_buf_deinit(&b);
}

TEST(net_ws_random_splits_match)
{
    /* A stream of masked frames of random sizes and kinds, fed in random pieces, yields the
     * same messages as fed at once. */
    u64 seed = lc_test_seed();
    lc_buf b;
    lc_buf_init(&b);
    u8 data[300];
    int want_msgs = 0;
    for (int i = 0; i < 40; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (size_t)(seed >> 33) % 300;
        for (size_t j = 0; j < n; j++) data[j] = (u8)(seed >> (j % 56));
        u8 mask[4] = {(u8)seed, (u8)(seed >> 8), (u8)(seed >> 16), (u8)(seed >> 24)};
        size_t half = n / 2;
        net_ws_write_frame_masked(&b, NET_WS_OP_BINARY, false, data, half, mask);
        net_ws_write_frame_masked(&b, NET_WS_OP_PING, true, data, LC_MIN(n, 125), mask);
        net_ws_write_frame_masked(&b, NET_WS_OP_CONT, true, data + half, n - half, mask);
        want_msgs += 2;
    }
    rec *all = lc_alloc(sizeof(rec) * 80), *split = lc_alloc(sizeof(rec) * 80);
    CHECK(all && split);
    net_ws_parser p;
    net_ws_parser_init(&p, true, 1 << 20);
    CHECK_EQ(feed_all(&p, b.data, b.len, 0, all, 80), want_msgs);
    net_ws_parser_deinit(&p);
    net_ws_parser_init(&p, true, 1 << 20);
    CHECK_EQ(feed_all(&p, b.data, b.len, 1 + (size_t)(seed % 13), split, 80), want_msgs);
    net_ws_parser_deinit(&p);
    for (int i = 0; i < want_msgs; i++) {
        CHECK_EQ(all[i].opcode, split[i].opcode);
        CHECK_EQ(all[i].len, split[i].len);
        CHECK_MEM(all[i].data, split[i].data, LC_MIN(all[i].len, 256));
    }
    lc_free(all);
    lc_free(split);
    lc_buf_deinit(&b);
}

TEST(net_ws_utf8)
{
    CHECK(lc_utf8_valid((const u8 *)"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15));
    CHECK(!lc_utf8_valid((const u8 *)"\xc0\xaf", 2));         /* overlong */
    CHECK(!lc_utf8_valid((const u8 *)"\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!lc_utf8_valid((const u8 *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!lc_utf8_valid((const u8 *)"\xe2\x82", 2));         /* truncated */
    CHECK(!lc_utf8_valid((const u8 *)"\x80", 1));
}

TEST(net_ws_compression_envelope)
{
    net_ws_compression c;
    CHECK_OK(net_ws_compression_parse("Gzip", 4, &c));
    CHECK_EQ(c, NET_WS_COMPRESS_GZIP);
    CHECK_OK(net_ws_compression_parse("Brotli", 6, &c));
    CHECK_EQ(c, NET_WS_COMPRESS_BROTLI);
    CHECK_OK(net_ws_compression_parse("None", 4, &c));
    CHECK_EQ(c, NET_WS_COMPRESS_NONE);
    CHECK_ERR(net_ws_compression_parse("gzip", 4, &c), LC_EINVAL);
    u8 body[5000];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (u8)("abcabcabd"[i % 9] + i / 1000);
    lc_buf enc, dec;
    lc_buf_init(&enc);
    lc_buf_init(&dec);
    lc_errbuf eb;
    static const net_ws_compression kinds[] = {NET_WS_COMPRESS_NONE, NET_WS_COMPRESS_BROTLI,
                                               NET_WS_COMPRESS_GZIP};
    for (size_t k = 0; k < 3; k++) {
        /* Small bodies always go plain; large ones get the asked-for tag. */
        lc_buf_reset(&enc);
        CHECK_OK(net_ws_msg_encode(&enc, kinds[k], body, 1024));
        CHECK_EQ(enc.data[0], 0);
        CHECK_EQ(enc.len, 1025);
        lc_buf_reset(&enc);
        CHECK_OK(net_ws_msg_encode(&enc, kinds[k], body, sizeof body));
        CHECK_EQ(enc.data[0], kinds[k]);
        if (kinds[k] != NET_WS_COMPRESS_NONE) CHECK(enc.len < sizeof body / 4);
        if (kinds[k] == NET_WS_COMPRESS_GZIP) CHECK(enc.data[1] == 0x1f && enc.data[2] == 0x8b);
        lc_buf_reset(&dec);
        CHECK_OK(net_ws_msg_decode(enc.data, enc.len, 1 << 20, &dec, &eb));
        CHECK_EQ(dec.len, sizeof body);
        CHECK_MEM(dec.data, body, sizeof body);
        /* Output cap, truncation, trailing garbage. */
        lc_buf_reset(&dec);
        CHECK_ERR(net_ws_msg_decode(enc.data, enc.len, 4999, &dec, &eb), LC_ELIMIT);
        CHECK_EQ(dec.len, 0);
        if (kinds[k] == NET_WS_COMPRESS_NONE) continue;
        CHECK_ERR(net_ws_msg_decode(enc.data, enc.len - 3, 1 << 20, &dec, &eb), LC_ETRUNCATED);
        lc_buf_put_u8(&enc, 0);
        CHECK_ERR(net_ws_msg_decode(enc.data, enc.len, 1 << 20, &dec, &eb), LC_EDECODE);
        CHECK_EQ(dec.len, 0);
    }
    static const u8 bad_tag[] = {3, 1, 2};
    CHECK_ERR(net_ws_msg_decode(bad_tag, 3, 100, &dec, &eb), LC_EDECODE);
    CHECK_STR(eb.msg, "unknown compression tag 3");
    CHECK_ERR(net_ws_msg_decode(bad_tag, 0, 100, &dec, &eb), LC_ETRUNCATED);
    static const u8 bad_gzip[] = {2, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff};
    CHECK(net_ws_msg_decode(bad_gzip, sizeof bad_gzip, 100, &dec, &eb) < 0);
    lc_buf_deinit(&enc);
    lc_buf_deinit(&dec);
}

TEST(net_ws_decompression_bomb_is_capped)
{
    /* 8 MiB of zeros compresses to a few KiB; decoding with a 1 MiB cap must stop early. */
    size_t n = 8u << 20;
    u8 *zeros = lc_calloc(1, n);
    CHECK(zeros != NULL);
    lc_buf enc, dec;
    lc_buf_init(&enc);
    lc_buf_init(&dec);
    lc_errbuf eb;
    CHECK_OK(net_ws_msg_encode(&enc, NET_WS_COMPRESS_GZIP, zeros, n));
    CHECK(enc.len < 64 << 10);
    CHECK_ERR(net_ws_msg_decode(enc.data, enc.len, 1 << 20, &dec, &eb), LC_ELIMIT);
    CHECK(dec.cap <= (2u << 20));
    lc_buf_reset(&enc);
    CHECK_OK(net_ws_msg_encode(&enc, NET_WS_COMPRESS_BROTLI, zeros, n));
    CHECK_ERR(net_ws_msg_decode(enc.data, enc.len, 1 << 20, &dec, &eb), LC_ELIMIT);
    lc_free(zeros);
    lc_buf_deinit(&enc);
    lc_buf_deinit(&dec);
}

TEST(net_ws_big_message_buffer_is_released)
{
    size_t n = 2u << 20;
    u8 *big = lc_calloc(1, n);
    CHECK(big != NULL);
    lc_buf b;
    lc_buf_init(&b);
    u8 mask[4] = {1, 2, 3, 4};
    net_ws_write_frame_masked(&b, NET_WS_OP_BINARY, true, big, n, mask);
    net_ws_write_frame_masked(&b, NET_WS_OP_BINARY, true, "x", 1, mask);
    lc_free(big);
    net_ws_parser p;
    net_ws_parser_init(&p, true, LC_WS_MESSAGE_MAX);
    size_t used, off = 0;
    net_ws_event ev;
    CHECK_EQ(net_ws_parser_feed(&p, b.data, b.len, &used, &ev), 1);
    CHECK_EQ(ev.len, n);
    CHECK(p.msg.cap >= n);
    off += used;
    CHECK_EQ(net_ws_parser_feed(&p, b.data + off, b.len - off, &used, &ev), 1);
    CHECK_EQ(ev.len, 1);
    CHECK(p.msg.cap <= (1u << 20));
    net_ws_parser_deinit(&p);
    lc_buf_deinit(&b);
}

TEST(net_ws_upgrade_then_frames_end_to_end)
{
    /* The whole byte path of a connection, without sockets: the client's upgrade request and
     * its first frame arrive in one read; the server answers 101, reads the frame, replies
     * with a gzip envelope; then the client sends garbage and gets a close frame. */
    lc_buf wire, out;
    lc_buf_init(&wire);
    lc_buf_init(&out);
    const char *req = "GET /v1/database/chat/subscribe?compression=Gzip HTTP/1.1\r\n"
                      "Host: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: v3.bsatn.spacetimedb, v2.bsatn.spacetimedb\r\n\r\n";
    lc_buf_put(&wire, req, strlen(req));
    u8 mask[4] = {0xa1, 0xb2, 0xc3, 0xd4};
    net_ws_write_frame_masked(&wire, NET_WS_OP_BINARY, true, "\x03hello", 6, mask);
    net_http_reader r;
    net_http_reader_init(&r, 0);
    net_http_request *q;
    size_t used;
    CHECK_EQ(net_http_reader_feed(&r, (const char *)wire.data, wire.len, &used, &q), 1);
    char accept[NET_WS_ACCEPT_LEN + 1];
    net_ws_proto proto;
    int status;
    lc_errbuf eb;
    CHECK_OK(net_ws_handshake_check(q, accept, &proto, &status, &eb));
    net_ws_compression comp;
    size_t cl;
    const char *cv = net_http_query_get(q, "compression", &cl);
    CHECK_OK(net_ws_compression_parse(cv, cl, &comp));
    CHECK_EQ(comp, NET_WS_COMPRESS_GZIP);
    net_ws_write_101(&out, accept, proto, NULL, 0);
    /* The rest of the read belongs to the WebSocket. */
    net_ws_parser p;
    net_ws_parser_init(&p, true, LC_WS_MESSAGE_MAX);
    net_ws_event ev;
    size_t ws_used;
    CHECK_EQ(net_ws_parser_feed(&p, wire.data + used, wire.len - used, &ws_used, &ev), 1);
    CHECK_EQ(used + ws_used, wire.len);
    CHECK_EQ(ev.len, 6);
    CHECK_MEM(ev.data, "\x03hello", 6);
    /* Server reply: a 2000-byte body goes out gzip-compressed; the client decodes it. */
    u8 body[2000];
    memset(body, 'r', sizeof body);
    lc_buf env, dec;
    lc_buf_init(&env);
    lc_buf_init(&dec);
    CHECK_OK(net_ws_msg_encode(&env, comp, body, sizeof body));
    size_t at = out.len;
    net_ws_write_frame(&out, NET_WS_OP_BINARY, env.data, env.len);
    net_ws_parser cp;
    net_ws_parser_init(&cp, false, LC_WS_MESSAGE_MAX);
    CHECK_EQ(net_ws_parser_feed(&cp, out.data + at, out.len - at, &ws_used, &ev), 1);
    CHECK_EQ(ev.data[0], NET_WS_COMPRESS_GZIP);
    CHECK_OK(net_ws_msg_decode(ev.data, ev.len, 1 << 20, &dec, &eb));
    CHECK_EQ(dec.len, sizeof body);
    /* Garbage from the client: the parser fails, the server sends the close frame it names. */
    static const u8 junk[] = {0x82, 0x05, 'n', 'o', 'm', 'a', 's'};
    CHECK_ERR(net_ws_parser_feed(&p, junk, sizeof junk, &ws_used, &ev), LC_EPROTOCOL);
    at = out.len;
    net_ws_write_close(&out, p.close_code, p.reason);
    CHECK_EQ(net_ws_parser_feed(&cp, out.data + at, out.len - at, &ws_used, &ev), 1);
    CHECK_EQ(ev.opcode, NET_WS_OP_CLOSE);
    CHECK_EQ(ev.close_code, NET_WS_CLOSE_PROTOCOL);
    CHECK(ev.len == strlen("unmasked client frame") &&
          memcmp(ev.data, "unmasked client frame", ev.len) == 0);
    net_ws_parser_deinit(&cp);
    net_ws_parser_deinit(&p);
    net_http_reader_deinit(&r);
    lc_buf_deinit(&env);
    lc_buf_deinit(&dec);
    lc_buf_deinit(&wire);
    lc_buf_deinit(&out);
}
