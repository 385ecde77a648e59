/*
 * net/ws.h — the WebSocket (RFC 6455) codec, transport-agnostic: bytes in, events out; frames
 * out into an lc_buf. No sockets, no timers (the connection layer owns those).
 *
 * Parser (net_ws_parser): incremental over any split of the input. Frame layout:
 *
 *   OFFSET  SIZE   DESCRIPTION
 *   0       1      FIN(0x80) RSV1-3(0x70, must be 0: no extension is negotiated) opcode(0x0f)
 *   1       1      MASK(0x80) len7
 *   2       0/2/8  extended length (len7 == 126: u16 BE; 127: u64 BE with the top bit clear)
 *   ..      0/4    masking key (present iff MASK)
 *   ..      len    payload (XORed with the key, cycling every 4 bytes)
 *
 * Rules enforced, each failing with the close code to send (p->close_code) and a reason:
 *   - client->server frames must be masked, server->client frames must not (1002);
 *   - unknown opcodes, RSV bits, a continuation without a message in progress, or a new data
 *     frame inside a fragmented message (1002);
 *   - control frames (close/ping/pong) at most 125 bytes and never fragmented (1002); they may
 *     arrive between the fragments of a data message;
 *   - a message (the sum of its fragments) larger than message_max (1009), refused from the
 *     frame header before any payload is buffered;
 *   - text messages and close reasons must be UTF-8 (1007); close payload of 1 byte or a close
 *     code that may not be sent on the wire (1002).
 * Errors are sticky: after one, feed keeps returning it. After a close frame, LC_ECLOSED.
 *
 * Events borrow the parser's buffers: ev->data is valid until the next feed or deinit.
 *
 * Handshake (ws_handshake.c) and the SpacetimeDB message compression tag (ws_msg.c) are
 * declared here too.
 */
#ifndef LC_NET_WS_H
#define LC_NET_WS_H

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"
#include "net/http.h"

enum {
    NET_WS_OP_CONT = 0x0,
    NET_WS_OP_TEXT = 0x1,
    NET_WS_OP_BINARY = 0x2,
    NET_WS_OP_CLOSE = 0x8,
    NET_WS_OP_PING = 0x9,
    NET_WS_OP_PONG = 0xA,
};

/* Close codes we send or report. */
enum {
    NET_WS_CLOSE_NORMAL = 1000,
    NET_WS_CLOSE_GOING_AWAY = 1001,
    NET_WS_CLOSE_PROTOCOL = 1002,
    NET_WS_CLOSE_UNSUPPORTED = 1003,
    NET_WS_CLOSE_NO_STATUS = 1005, /* reported for a close frame without a code; never sent */
    NET_WS_CLOSE_INVALID_DATA = 1007,
    NET_WS_CLOSE_POLICY = 1008,
    NET_WS_CLOSE_TOO_BIG = 1009,
    NET_WS_CLOSE_INTERNAL = 1011,
    NET_WS_CLOSE_TRY_AGAIN = 1013,
};

#define NET_WS_CONTROL_MAX 125

typedef struct net_ws_event {
    u8 opcode;      /* NET_WS_OP_TEXT/BINARY (a whole message), CLOSE, PING or PONG */
    u16 close_code; /* CLOSE only: the peer's code, or 1005 if it sent none */
    const u8 *data; /* payload (CLOSE: the reason text); borrowed, see above */
    size_t len;
} net_ws_event;

typedef struct net_ws_parser {
    bool expect_masked;   /* true on the server side */
    bool has_event;       /* the last feed returned an event whose buffers are still lent */
    bool closed;
    size_t message_max;
    /* current frame */
    u8 hdr[14];
    u8 hdr_len;
    u8 hdr_need;
    u8 opcode;
    bool fin;
    bool masked;
    u8 mask[4];
    u64 payload_len;
    u64 payload_done;
    /* message being assembled from data frames; msg_opcode 0 = none in progress */
    u8 msg_opcode;
    lc_buf msg;
    u8 ctl[NET_WS_CONTROL_MAX];
    /* failure */
    int err;
    u16 close_code;
    const char *reason; /* static text for the close frame / log */
} net_ws_parser;

/* expect_masked: true when parsing client frames (server side). message_max: the largest
 * message accepted (LC_WS_MESSAGE_MAX on the server). */
void net_ws_parser_init(net_ws_parser *p, bool expect_masked, size_t message_max);
void net_ws_parser_deinit(net_ws_parser *p);
/* Consumes input until one event is complete or the input is used up; *out_consumed says how
 * much. Returns 1 with *out_ev filled, 0 when more input is needed, or a negative LC_E* code
 * (LC_EPROTOCOL, LC_ELIMIT for 1009, LC_EUTF8 for 1007, LC_ENOMEM, LC_ECLOSED) with
 * p->close_code and p->reason set. Call again with the rest of the input after an event. */
int net_ws_parser_feed(net_ws_parser *p, const u8 *data, size_t len, size_t *out_consumed,
                       net_ws_event *out_ev) LC_MUST_USE;

/* Frame writing. Server frames are unmasked; net_ws_write_frame_masked is the client side
 * (tests, load generator). Control payloads must be <= 125 bytes (asserted). */
size_t net_ws_frame_header(u8 out[14], u8 opcode, bool fin, u64 len, const u8 *mask4);
void net_ws_write_frame(lc_buf *out, u8 opcode, const void *payload, size_t len);
void net_ws_write_frame_masked(lc_buf *out, u8 opcode, bool fin, const void *payload,
                               size_t len, const u8 mask[4]);
/* A close frame with code and reason; the reason is cut to 123 bytes on a UTF-8 boundary.
 * code 0 writes an empty close frame (no status). */
void net_ws_write_close(lc_buf *out, u16 code, const char *reason);


/* ---- Handshake (ws_handshake.c) ---- */

typedef enum net_ws_proto {
    NET_WS_PROTO_NONE = 0,
    NET_WS_PROTO_V2, /* "v2.bsatn.spacetimedb": one message per frame */
    NET_WS_PROTO_V3, /* "v3.bsatn.spacetimedb": several messages per frame */
} net_ws_proto;

#define NET_WS_ACCEPT_LEN 28

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key ++ RFC GUID)). The key must
 * be base64 of 16 bytes; returns 0 or LC_EDECODE. out gets 28 characters and a NUL. */
int net_ws_accept_key(const char *key, size_t key_len, char out[NET_WS_ACCEPT_LEN + 1])
    LC_MUST_USE;
/* Picks our preferred subprotocol (v3 > v2) from a Sec-WebSocket-Protocol value
 * (comma-separated tokens, any spacing). Repeated headers: call once per value and keep the
 * best. v1 protocols are not supported and count as none. */
net_ws_proto net_ws_select_protocol(const char *offered, size_t len);
const char *net_ws_proto_name(net_ws_proto proto);

/* Checks an upgrade request (RFC 6455 §4.2.1 + spec §2.2): GET, HTTP/1.1 or later,
 * "Upgrade: websocket", "Connection: upgrade", Sec-WebSocket-Version 13, a valid
 * Sec-WebSocket-Key, and one of our subprotocols. On success fills the accept value and the
 * chosen protocol and returns 0; otherwise returns LC_EPROTOCOL with *out_status (400, or 426
 * for a wrong version: answer with "sec-websocket-version: 13") and a reason in eb. */
int net_ws_handshake_check(const net_http_request *req, char out_accept[NET_WS_ACCEPT_LEN + 1],
                           net_ws_proto *out_proto, int *out_status, lc_errbuf *eb) LC_MUST_USE;
/* The 101 response: upgrade headers, Sec-WebSocket-Accept, the chosen protocol (no
 * permessage-deflate, as the reference), CORS, then the caller's extra headers (the
 * spacetime-identity pair). */
void net_ws_write_101(lc_buf *out, const char *accept, net_ws_proto proto,
                      const net_http_header *extra, size_t n_extra);

/* ---- SpacetimeDB message compression (ws_msg.c), spec-client-protocol.md §2.3 ---- */

/* Values are the tag bytes of server messages. */
typedef enum net_ws_compression {
    NET_WS_COMPRESS_NONE = 0,
    NET_WS_COMPRESS_BROTLI = 1,
    NET_WS_COMPRESS_GZIP = 2,
} net_ws_compression;

/* Bodies of at most this many bytes are sent uncompressed (tag 0), as the reference does. */
#define NET_WS_COMPRESS_MIN 1024

/* The `compression` query parameter: "None", "Brotli" or "Gzip" (case-sensitive). */
int net_ws_compression_parse(const char *s, size_t len, net_ws_compression *out) LC_MUST_USE;
/* Appends [tag][body] to out: compressed with `c` (brotli quality 1, gzip level 1) when the
 * body is larger than NET_WS_COMPRESS_MIN, else tag 0 and the body as is. Returns 0 or
 * LC_ENOMEM / LC_EIO (and out's sticky error). */
int net_ws_msg_encode(lc_buf *out, net_ws_compression c, const void *body, size_t len)
    LC_MUST_USE;
/* Appends the decompressed body of [tag][body] to out, refusing more than max_out bytes of
 * output (LC_ELIMIT, bomb protection). Unknown tag, corrupt or trailing data: LC_EDECODE;
 * truncated stream: LC_ETRUNCATED. */
int net_ws_msg_decode(const void *msg, size_t len, size_t max_out, lc_buf *out, lc_errbuf *eb)
    LC_MUST_USE;

#endif
