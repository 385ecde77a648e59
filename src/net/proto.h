/*
 * net/proto.h — the v2 WebSocket message schema (ClientMessage / ServerMessage), BSATN.
 *
 * Layout and tags follow docs spec-client-protocol.md §2.4-2.5 byte for byte. The codec is
 * split by direction, because the server only ever decodes client messages and encodes
 * server messages:
 *
 *   - ClientMessage decode (untrusted bytes): net_proto_client_decode_next reads ONE message
 *     from a bounded reader (v3 frames hold several back to back; v2 frames exactly one, see
 *     net_proto_client_decode). Strings and byte blobs are zero-copy views into the input
 *     (valid while the input is); only Subscribe's query list is allocated. Every length is
 *     checked against the bytes left and against the LC_PROTO_* limits before anything is
 *     allocated; strings must be UTF-8; reserved flag bytes must be 0 (as the reference).
 *   - ServerMessage encode: net_proto_put_* append one message body (no compression tag) to an
 *     lc_buf. Callers describe rows with plain structs that point at caller-owned bytes, so
 *     the database worker can build replies without copying rows twice. The envelope
 *     (compression tag + optional gzip/brotli) is net_ws_msg_encode in net/ws.h.
 *
 * A small ServerMessage *reader* (net_proto_server_peek) exists for tests and the e2e client:
 * it returns the tag and the leading request id fields, not a full tree.
 */
#ifndef LC_NET_PROTO_H
#define LC_NET_PROTO_H

#include "base/buf.h"
#include "base/error.h"
#include "base/types.h"

/* A view of bytes inside someone else's buffer (a BSATN str or bytes payload). */
typedef struct net_pbytes {
    const u8 *p;
    u32 n;
} net_pbytes;

enum {
    NET_CMSG_SUBSCRIBE = 0,
    NET_CMSG_UNSUBSCRIBE = 1,
    NET_CMSG_ONE_OFF_QUERY = 2,
    NET_CMSG_CALL_REDUCER = 3,
    NET_CMSG_CALL_PROCEDURE = 4,
};

enum { NET_UNSUB_DEFAULT = 0, NET_UNSUB_SEND_DROPPED_ROWS = 1 };

/* One decoded ClientMessage. Fields unused by a tag are zero. */
typedef struct net_cmsg {
    u8 tag;              /* NET_CMSG_* */
    u32 request_id;
    u32 query_set_id;    /* Subscribe, Unsubscribe */
    u8 unsub_flags;      /* Unsubscribe: NET_UNSUB_* */
    u32 nqueries;        /* Subscribe */
    net_pbytes *queries; /* Subscribe: owned array (lc_alloc), views into the input */
    net_pbytes name;     /* CallReducer / CallProcedure: the reducer or procedure name */
    net_pbytes args;     /* CallReducer / CallProcedure: BSATN of the parameter struct */
    net_pbytes query;    /* OneOffQuery */
} net_cmsg;

/* Decodes one ClientMessage at r's position; on success r is past it. On failure returns
 * LC_ETRUNCATED, LC_EDECODE or LC_ELIMIT (message in eb) and *out holds nothing to free. */
int net_proto_client_decode_next(lc_rd *r, net_cmsg *out, lc_errbuf *eb) LC_MUST_USE;
/* Exactly one message filling [p, p+n) (the v2 framing); trailing bytes are LC_EDECODE. */
int net_proto_client_decode(const void *p, size_t n, net_cmsg *out, lc_errbuf *eb) LC_MUST_USE;
/* Frees the query list of a decoded message (safe on a zeroed or failed one). */
void net_proto_cmsg_free(net_cmsg *m);

/* Client-side encoders (the e2e test client and benchmarks speak the protocol too). */
void net_proto_put_subscribe(lc_buf *b, u32 request_id, u32 query_set_id,
                             const net_pbytes *queries, u32 nqueries);
void net_proto_put_unsubscribe(lc_buf *b, u32 request_id, u32 query_set_id, u8 flags);
void net_proto_put_one_off_query(lc_buf *b, u32 request_id, const void *q, u32 qlen);
void net_proto_put_call(lc_buf *b, u8 tag, u32 request_id, const void *name, u32 name_len,
                        const void *args, u32 args_len);

/* ---- ServerMessage ---- */

enum {
    NET_SMSG_INITIAL_CONNECTION = 0,
    NET_SMSG_SUBSCRIBE_APPLIED = 1,
    NET_SMSG_UNSUBSCRIBE_APPLIED = 2,
    NET_SMSG_SUBSCRIPTION_ERROR = 3,
    NET_SMSG_TRANSACTION_UPDATE = 4,
    NET_SMSG_ONE_OFF_QUERY_RESULT = 5,
    NET_SMSG_REDUCER_RESULT = 6,
    NET_SMSG_PROCEDURE_RESULT = 7,
};

/* BsatnRowList: rows' BSATN concatenated in `data`. If fixed_size != 0 the hint is
 * FixedSize(fixed_size); otherwise RowOffsets(offsets[0..noffsets)) — the start of each row.
 * net_proto_row_list_fixed / net_proto_put_row_list help build them. */
typedef struct net_row_list {
    const u8 *data;
    size_t len;
    u16 fixed_size;
    const u64 *offsets;
    u32 noffsets;
} net_row_list;

/* SingleTableRows = { table: str, rows: BsatnRowList }; QueryRows = arr of them. */
typedef struct net_table_rows {
    const char *table;
    u32 table_len;
    net_row_list rows;
} net_table_rows;

typedef struct net_query_rows {
    const net_table_rows *tables;
    u32 ntables;
} net_query_rows;

enum { NET_TUR_PERSISTENT = 0, NET_TUR_EVENT = 1 };

/* TableUpdateRows: PersistentTable{inserts, deletes} or EventTable{events = inserts}. */
typedef struct net_table_update_rows {
    u8 kind; /* NET_TUR_* */
    net_row_list inserts;
    net_row_list deletes;
} net_table_update_rows;

typedef struct net_table_update {
    const char *table;
    u32 table_len;
    const net_table_update_rows *rows;
    u32 nrows;
} net_table_update;

typedef struct net_query_set_update {
    u32 query_set_id;
    const net_table_update *tables;
    u32 ntables;
} net_query_set_update;

enum {
    NET_REDUCER_OK = 0,
    NET_REDUCER_OK_EMPTY = 1,
    NET_REDUCER_ERR = 2,            /* bytes: BSATN of the error string */
    NET_REDUCER_INTERNAL_ERROR = 3, /* str */
};

typedef struct net_reducer_outcome {
    u8 kind;                          /* NET_REDUCER_* */
    net_pbytes ret_value;             /* Ok */
    const net_query_set_update *sets; /* Ok: the caller's transaction update */
    u32 nsets;
    net_pbytes err;                   /* Err (bytes) / InternalError (str) */
} net_reducer_outcome;

enum { NET_PROC_RETURNED = 0, NET_PROC_INTERNAL_ERROR = 1 };

void net_proto_put_initial_connection(lc_buf *b, const u8 identity[32],
                                      const u8 connection_id[16], const char *token,
                                      u32 token_len);
void net_proto_put_subscribe_applied(lc_buf *b, u32 request_id, u32 query_set_id,
                                     const net_query_rows *rows);
/* rows NULL -> None. */
void net_proto_put_unsubscribe_applied(lc_buf *b, u32 request_id, u32 query_set_id,
                                       const net_query_rows *rows);
/* request_id NULL -> None (a failure while evaluating a later transaction). */
void net_proto_put_subscription_error(lc_buf *b, const u32 *request_id, u32 query_set_id,
                                      const char *error, u32 error_len);
void net_proto_put_transaction_update(lc_buf *b, const net_query_set_update *sets, u32 nsets);
/* ok != NULL -> Ok(QueryRows); else Err(err). */
void net_proto_put_one_off_result(lc_buf *b, u32 request_id, const net_query_rows *ok,
                                  const char *err, u32 err_len);
void net_proto_put_reducer_result(lc_buf *b, u32 request_id, i64 timestamp_us,
                                  const net_reducer_outcome *o);
void net_proto_put_procedure_result(lc_buf *b, u8 status, const void *payload, u32 len,
                                    i64 timestamp_us, i64 duration_us, u32 request_id);

/* Pieces, exposed for callers that stream large replies. */
void net_proto_put_row_list(lc_buf *b, const net_row_list *l);
void net_proto_put_query_rows(lc_buf *b, const net_query_rows *q);
void net_proto_put_query_set_updates(lc_buf *b, const net_query_set_update *sets, u32 nsets);
/* A row list of fixed-size rows (len must be a multiple of size; size != 0). */
net_row_list net_proto_row_list_fixed(const void *data, size_t len, u16 size);

/* Reads a ServerMessage's tag and, where it has one, its request id (ProcedureResult's is at
 * the end; SubscriptionError's may be None -> *has_req false). Validates only what it reads. */
int net_proto_server_peek(const void *p, size_t n, u8 *out_tag, bool *has_req, u32 *req)
    LC_MUST_USE;

#endif
