/*
 * net/ws.c — WebSocket frame parser and writer (RFC 6455 §5); the rules are in ws.h.
 *
 * Parser states (one frame at a time):
 *
 *   HEADER   collect 2 bytes, validate, learn the full header size (2..14), collect the rest,
 *            validate the length against message_max     -> frame_begin()
 *   PAYLOAD  unmask incoming bytes into the control buffer or the message buffer; the
 *            message buffer grows with the data actually received, never with the declared
 *            length, so a peer cannot make us allocate by lying about a length
 *   DONE     frame_end(): a control frame becomes an event at once; a data frame with FIN
 *            completes the message event; otherwise back to HEADER for the next fragment
 *
 * hdr_need == 0 means "in PAYLOAD". The event's buffers are released lazily at the start of
 * the next feed (has_event), which is what lets events borrow instead of copy.
 */
#include "net/ws.h"

#include "base/assert.h"
#include "value/value.h"

/* Message buffer capacity kept between messages. */
enum { RETAIN_MAX = 1 << 20 };

static int fail(net_ws_parser *p, int err, u16 code, const char *reason)
{
    p->err = err;
    p->close_code = code;
    p->reason = reason;
    return err;
}

void net_ws_parser_init(net_ws_parser *p, bool expect_masked, size_t message_max)
{
    memset(p, 0, sizeof *p);
    p->expect_masked = expect_masked;
    p->message_max = message_max;
    p->hdr_need = 2;
    lc_buf_init(&p->msg);
}

void net_ws_parser_deinit(net_ws_parser *p) { lc_buf_deinit(&p->msg); }

static bool is_control(u8 op) { return op & 0x8; }

/* Validates the first two header bytes; sets hdr_need to the full header size. */
static int header_first(net_ws_parser *p)
{
    u8 b0 = p->hdr[0], b1 = p->hdr[1];
    p->fin = b0 & 0x80;
    p->opcode = b0 & 0x0f;
    p->masked = b1 & 0x80;
    u8 len7 = b1 & 0x7f;
    if (b0 & 0x70) return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "reserved bits set");
    switch (p->opcode) {
    case NET_WS_OP_CONT:
        if (!p->msg_opcode)
            return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "continuation without a message");
        break;
    case NET_WS_OP_TEXT:
    case NET_WS_OP_BINARY:
        if (p->msg_opcode)
            return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "expected a continuation frame");
        break;
    case NET_WS_OP_CLOSE:
    case NET_WS_OP_PING:
    case NET_WS_OP_PONG:
        if (!p->fin || len7 > NET_WS_CONTROL_MAX)
            return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "fragmented or long control frame");
        break;
    default:
        return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "unknown opcode");
    }
    if (p->masked != p->expect_masked)
        return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL,
                    p->expect_masked ? "unmasked client frame" : "masked server frame");
    p->hdr_need = (u8)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (p->masked ? 4 : 0));
    return 0;
}

/* The whole header is in hdr[]: decode length and mask, check the message size. */
static int header_complete(net_ws_parser *p)
{
    u8 len7 = p->hdr[1] & 0x7f;
    size_t at = 2;
    u64 len = len7;
    if (len7 == 126) {
        len = (u64)p->hdr[2] << 8 | p->hdr[3];
        at = 4;
    } else if (len7 == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | p->hdr[2 + i];
        at = 10;
        if (len >> 63) return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "length top bit set");
    }
    if (p->masked) memcpy(p->mask, p->hdr + at, 4);
    p->payload_len = len;
    p->payload_done = 0;
    if (!is_control(p->opcode)) {
        if (len > p->message_max || p->msg.len > p->message_max - len)
            return fail(p, LC_ELIMIT, NET_WS_CLOSE_TOO_BIG, "message too big");
        if (p->opcode != NET_WS_OP_CONT) p->msg_opcode = p->opcode;
    }
    p->hdr_need = 0;
    return 0;
}

/* XORs the mask, 8 bytes at a time: m[] is the key rotated to `offset` and repeated twice,
 * and since 8 is a multiple of 4, m[i & 7] is the key byte for position offset + i. */
static void unmask(u8 *dst, size_t n, const u8 mask[4], u64 offset)
{
    u8 m[8];
    for (int j = 0; j < 8; j++) m[j] = mask[(offset + (u64)j) & 3];
    u64 mw = lc_load_u64(m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) lc_store_u64(dst + i, lc_load_u64(dst + i) ^ mw);
    for (; i < n; i++) dst[i] ^= m[i & 7];
}

static bool close_code_ok(u16 c)
{
    if (c >= 3000 && c <= 4999) return true;
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014);
}

/* The frame's payload is complete. Returns 1 with an event, 0 to continue, or an error. */
static int frame_end(net_ws_parser *p, net_ws_event *ev)
{
    p->hdr_len = 0;
    p->hdr_need = 2;
    if (is_control(p->opcode)) {
        size_t n = (size_t)p->payload_len;
        ev->opcode = p->opcode;
        ev->data = p->ctl;
        ev->len = n;
        ev->close_code = 0;
        if (p->opcode == NET_WS_OP_CLOSE) {
            if (n == 1) return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "1-byte close frame");
            ev->close_code = NET_WS_CLOSE_NO_STATUS;
            if (n >= 2) {
                ev->close_code = (u16)(p->ctl[0] << 8 | p->ctl[1]);
                if (!close_code_ok(ev->close_code))
                    return fail(p, LC_EPROTOCOL, NET_WS_CLOSE_PROTOCOL, "invalid close code");
                ev->data = p->ctl + 2;
                ev->len = n - 2;
                if (!lc_utf8_valid(ev->data, ev->len))
                    return fail(p, LC_EUTF8, NET_WS_CLOSE_INVALID_DATA, "close reason not UTF-8");
            }
            p->closed = true;
        }
        return 1;
    }
    if (!p->fin) return 0;
    if (p->msg_opcode == NET_WS_OP_TEXT && !lc_utf8_valid(p->msg.data, p->msg.len))
        return fail(p, LC_EUTF8, NET_WS_CLOSE_INVALID_DATA, "text message not UTF-8");
    ev->opcode = p->msg_opcode;
    ev->close_code = 0;
    ev->data = p->msg.data;
    ev->len = p->msg.len;
    p->msg_opcode = 0;
    p->has_event = true;
    return 1;
}

/* Moves up to n payload bytes into place. Returns bytes used or an error. */
static i64 payload_take(net_ws_parser *p, const u8 *data, size_t n)
{
    size_t take = (size_t)LC_MIN((u64)n, p->payload_len - p->payload_done);
    u8 *dst;
    if (is_control(p->opcode)) {
        dst = p->ctl + p->payload_done;
        memcpy(dst, data, take);
    } else {
        size_t before = p->msg.len;
        lc_buf_put(&p->msg, data, take);
        if (p->msg.err) return fail(p, LC_ENOMEM, NET_WS_CLOSE_INTERNAL, "out of memory");
        dst = p->msg.data + before;
    }
    if (p->masked) unmask(dst, take, p->mask, p->payload_done);
    p->payload_done += take;
    return (i64)take;
}

int net_ws_parser_feed(net_ws_parser *p, const u8 *data, size_t len, size_t *out_consumed,
                       net_ws_event *out_ev)
{
    size_t used = 0;
    int rc = 0;
    *out_consumed = 0;
    if (p->err) return p->err;
    if (p->closed) return LC_ECLOSED;
    if (p->has_event) {
        /* Keep a small buffer for the next message; give a big one back (a connection that
         * once sent 32 MiB must not hold 32 MiB forever). */
        if (p->msg.cap > RETAIN_MAX) {
            lc_buf_deinit(&p->msg);
            lc_buf_init(&p->msg);
        }
        lc_buf_reset(&p->msg);
        p->has_event = false;
    }
    while (rc == 0 && !p->closed) {
        if (p->hdr_need) {
            if (used == len) break;
            size_t take = LC_MIN((size_t)(p->hdr_need - p->hdr_len), len - used);
            memcpy(p->hdr + p->hdr_len, data + used, take);
            p->hdr_len = (u8)(p->hdr_len + take);
            used += take;
            if (p->hdr_len < p->hdr_need) break;
            rc = p->hdr_len == 2 ? header_first(p) : 0;
            if (rc == 0 && p->hdr_len == p->hdr_need) rc = header_complete(p);
            continue;
        }
        if (p->payload_done < p->payload_len) {
            if (used == len) break;
            i64 t = payload_take(p, data + used, len - used);
            if (t < 0) return (int)t;
            used += (size_t)t;
            continue;
        }
        rc = frame_end(p, out_ev);
    }
    *out_consumed = used;
    LC_ASSERT(used <= len);
    return rc;
}
