/*
 * net/ws_client.h — the client side of the SpacetimeDB WebSocket protocol (spec §2), for the
 * CLI (`lightcone subscribe`), tests and the load generators.
 *
 * One net_wsc is one TCP connection that has completed the HTTP upgrade. net_wsc_connect is
 * blocking (with a timeout): it connects, sends
 *
 *   GET /v1/database/<db>/subscribe?[token=T&]compression=C[&light=true][&confirmed=B]
 *   Sec-WebSocket-Protocol: v2.bsatn.spacetimedb          (or "v3..., v2..." if offer_v3)
 *
 * and checks the 101 (Sec-WebSocket-Accept must match our key, the chosen subprotocol must be
 * one we offered). After that the connection is used in one of two styles:
 *
 *   blocking   net_wsc_send + net_wsc_recv(timeout): recv flushes queued output, then
 *              polls/reads until one ServerMessage body is complete.
 *   event loop net_wsc_set_nonblocking(c, true); register net_wsc_fd(c) with epoll; on
 *              EPOLLIN call net_wsc_read (one read() into the input buffer) and then
 *              net_wsc_next until it returns 0; queue with net_wsc_send and call
 *              net_wsc_flush (LC_EAGAIN = bytes left, wait for EPOLLOUT).
 *
 * Frames we send are masked binary frames (RFC 6455 §5.3), one ClientMessage per frame in v2.
 * Incoming frames are reassembled by net_ws_parser (server side must not mask), pings are
 * answered with pongs (queued; sent at the next flush), a close frame ends the stream with
 * LC_ECLOSED (the peer's code in net_wsc_close_code). A binary message body is
 * [compression tag][body]; net_wsc_next strips the tag and decompresses (gzip/brotli) into a
 * buffer it owns. With v3 one frame may hold several ServerMessages: net_wsc_next hands out
 * the whole body and net_smsg_decode_next walks it.
 *
 * The ServerMessage decoder (ws_client_msg.c) turns a body into net_smsg: a tree of views into
 * the body bytes plus arrays taken from a caller's arena. Everything from the server is
 * untrusted: every length is checked against the bytes left before it is used, array counts
 * are bounded by the bytes left before anything is allocated, and the arena's limit caps the
 * rest.
 *
 * Ownership: net_wsc_connect allocates; net_wsc_close closes the socket and frees everything.
 * Bodies returned by net_wsc_next/net_wsc_recv are borrowed until the next call on c.
 */
#ifndef LC_NET_WS_CLIENT_H
#define LC_NET_WS_CLIENT_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"
#include "net/proto.h"
#include "net/ws.h"

typedef struct net_wsc_opts {
    const char *host;        /* numeric address or host name; "127.0.0.1" if NULL */
    u16 port;
    const char *database;    /* name or hex identity (put in the path as given) */
    const char *token;       /* NULL: anonymous (the server mints an identity) */
    const char *compression; /* "None" (default), "Gzip" or "Brotli" */
    int confirmed;           /* -1: not sent (server default, true); 0 / 1 */
    bool light;              /* send light=true */
    bool offer_v3;           /* offer "v3.bsatn.spacetimedb, v2..." instead of v2 only */
    int timeout_ms;          /* connect + upgrade; 0 = 10000 */
} net_wsc_opts;

typedef struct net_wsc net_wsc;

/* Connects and upgrades. On success *out is a connection in blocking mode. On failure returns
 * LC_EIO (connect/socket), LC_ECLOSED (server hung up), LC_EAGAIN (timeout), LC_EPROTOCOL (a
 * non-101 answer: *out_status gets the HTTP status if out_status is not NULL, and eb the
 * first line of the body; or a bad 101), LC_ENOMEM. */
int net_wsc_connect(const net_wsc_opts *o, net_wsc **out, int *out_status, lc_errbuf *eb)
    LC_MUST_USE;
/* Closes the socket (no close handshake) and frees c. NULL is fine. */
void net_wsc_close(net_wsc *c);

int net_wsc_fd(const net_wsc *c);
net_ws_proto net_wsc_proto(const net_wsc *c);
/* The close code the server sent (0 if none arrived). */
u16 net_wsc_close_code(const net_wsc *c);
/* Switches the socket between blocking and non-blocking I/O. */
int net_wsc_set_nonblocking(net_wsc *c, bool on) LC_MUST_USE;

/* Queues one ClientMessage as a masked binary frame. LC_ENOMEM if the queue cannot grow. */
int net_wsc_send(net_wsc *c, const void *msg, size_t len) LC_MUST_USE;
/* Queues a close frame (code 0: no status). */
int net_wsc_send_close(net_wsc *c, u16 code) LC_MUST_USE;
/* Writes queued bytes. Returns 0 when the queue is empty, LC_EAGAIN when the socket would
 * block with bytes left (non-blocking mode), LC_EIO / LC_ECLOSED when the peer is gone. */
int net_wsc_flush(net_wsc *c) LC_MUST_USE;
/* Bytes queued and not yet written. */
size_t net_wsc_out_pending(const net_wsc *c);

/* One read() into the input buffer. Returns the byte count (> 0), LC_EAGAIN (non-blocking, no
 * data), LC_ECLOSED at end of stream, LC_EIO. */
int net_wsc_read(net_wsc *c) LC_MUST_USE;
/* Feeds bytes that arrived by other means (tests; an external reader). */
int net_wsc_feed(net_wsc *c, const void *data, size_t len) LC_MUST_USE;
/* Next ServerMessage body from the bytes already read: returns 1 with *out_body and *out_len (tag
 * stripped, decompressed; borrowed until the next call on c), 0 when more input is needed,
 * LC_ECLOSED after a close frame, or a negative code for a protocol error (message in eb). */
int net_wsc_next(net_wsc *c, const u8 **out_body, size_t *out_len, lc_errbuf *eb) LC_MUST_USE;
/* Blocking receive: flushes, then reads until net_wsc_next yields a body (1), or returns
 * LC_EAGAIN after timeout_ms (< 0: wait forever), LC_ECLOSED, or an error. */
int net_wsc_recv(net_wsc *c, int timeout_ms, const u8 **out_body, size_t *out_len,
                 lc_errbuf *eb) LC_MUST_USE;

/* Request bytes ClientMessages the client sends (convenience over net/proto.h). */
int net_wsc_call_reducer(net_wsc *c, u32 request_id, const char *reducer, const void *args,
                         u32 args_len) LC_MUST_USE;
int net_wsc_subscribe(net_wsc *c, u32 request_id, u32 query_set_id, const char *const *queries,
                      u32 nqueries) LC_MUST_USE;

/* ---- ServerMessage decoding (ws_client_msg.c) ---- */

/* A BsatnRowList: the rows' bytes and their size hint. offsets are the raw little-endian u64
 * start offsets of RowOffsets (unaligned, inside the body). */
typedef struct net_smsg_rows {
    const u8 *data;
    u32 len;
    u16 fixed_size; /* != 0: FixedSize hint */
    u32 noffsets;   /* RowOffsets hint */
    const u8 *offsets;
} net_smsg_rows;

/* One table's rows. For SubscribeApplied / UnsubscribeApplied / OneOffQueryResult only
 * `inserts` is used. For a TransactionUpdate each TableUpdateRows entry becomes one
 * net_smsg_table (kind NET_TUR_PERSISTENT: inserts+deletes; NET_TUR_EVENT: events in
 * inserts). */
typedef struct net_smsg_table {
    net_pbytes name;
    u8 kind;
    net_smsg_rows inserts;
    net_smsg_rows deletes;
} net_smsg_table;

typedef struct net_smsg_set {
    u32 query_set_id;
    net_smsg_table *tables;
    u32 ntables;
} net_smsg_set;

/* One decoded ServerMessage. Fields a tag does not use are zero. */
typedef struct net_smsg {
    u8 tag;              /* NET_SMSG_* */
    bool has_request_id; /* false only for SubscriptionError with request_id None */
    u32 request_id;
    u32 query_set_id;
    /* InitialConnection */
    u8 identity[32];      /* wire (LE) bytes */
    u8 connection_id[16]; /* wire (LE) bytes */
    net_pbytes token;
    /* SubscribeApplied, UnsubscribeApplied (has_rows), OneOffQueryResult Ok (has_rows) */
    bool has_rows;
    net_smsg_table *tables;
    u32 ntables;
    /* TransactionUpdate; ReducerResult Ok's transaction update */
    net_smsg_set *sets;
    u32 nsets;
    /* ReducerResult / ProcedureResult */
    i64 timestamp_us;
    u8 outcome;           /* ReducerResult: NET_REDUCER_*; ProcedureResult: NET_PROC_* */
    net_pbytes ret_value; /* ReducerOk.ret_value; ProcedureResult Returned */
    i64 duration_us;      /* ProcedureResult */
    /* Error text: ReducerResult Err (the raw bytes: BSATN of the error value), InternalError,
     * SubscriptionError, OneOffQueryResult Err, ProcedureResult InternalError (str) */
    net_pbytes err;
} net_smsg;

/* Decodes one ServerMessage at r's position (v3 bodies hold several). Arrays come from a
 * (its limit bounds the total); views point into r's bytes. LC_ETRUNCATED, LC_EDECODE,
 * LC_ENOMEM with a message in eb. */
int net_smsg_decode_next(lc_rd *r, lc_arena *a, net_smsg *out, lc_errbuf *eb) LC_MUST_USE;
/* Exactly one message filling [p, p+n) (v2); trailing bytes are LC_EDECODE. */
int net_smsg_decode(const void *p, size_t n, lc_arena *a, net_smsg *out, lc_errbuf *eb)
    LC_MUST_USE;

/* Rows in a row list (FixedSize: len / size; RowOffsets: the offset count). */
u32 net_smsg_rows_count(const net_smsg_rows *r);
/* Row i's bytes. LC_EDECODE if the hint is inconsistent with the data (offsets out of order
 * or past the end, len not a multiple of the fixed size). */
int net_smsg_rows_get(const net_smsg_rows *r, u32 i, const u8 **out_row, size_t *out_len)
    LC_MUST_USE;
/* The text of a ReducerResult Err payload when it is a BSATN string (the usual case), else
 * the raw bytes. */
net_pbytes net_smsg_err_text(const net_smsg *m);

/* Fast path for load generators: a ReducerResult's request id and outcome without building a
 * tree. Returns 0 with *out_outcome NET_REDUCER_*, or LC_EDECODE if body is not a
 * ReducerResult (or is truncated). */
int net_smsg_reducer_result_peek(const u8 *body, size_t len, u32 *out_request_id,
                                 u8 *out_outcome) LC_MUST_USE;

#endif
