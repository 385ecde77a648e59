/*
 * net/proto.c — BSATN codec of the v2 WebSocket messages (see net/proto.h for the design).
 *
 * Decoding reads through lc_rd, whose sticky error lets a field sequence be read and checked
 * once; each variable-length field (str, bytes, arr) is length-checked against the bytes left
 * BEFORE it is taken, so a hostile length never allocates or reads out of bounds. Encoding
 * appends to lc_buf whose errors are sticky too; the caller checks b->err once.
 */
#include "net/proto.h"

#include "base/alloc.h"
#include "base/limits.h"
#include "net/ws.h"
#include "value/value.h"

/* ---- decode helpers ---- */

static int rd_fail(lc_rd *r, lc_errbuf *eb, const char *what)
{
    if (r->err == LC_ETRUNCATED || !r->err)
        return lc_errf(eb, LC_ETRUNCATED, "client message truncated in %s", what);
    return r->err;
}

/* A BSATN str (u32 length + UTF-8) of at most max bytes, as a view. */
static int rd_str(lc_rd *r, net_pbytes *out, u32 max, const char *what, lc_errbuf *eb)
{
    u32 n = lc_rd_u32(r);
    if (r->err) return rd_fail(r, eb, what);
    if (n > lc_rd_left(r)) return lc_errf(eb, LC_ETRUNCATED, "%s: length %u past the end", what, n);
    if (n > max) return lc_errf(eb, LC_ELIMIT, "%s: %u bytes exceeds the limit %u", what, n, max);
    const u8 *p = lc_rd_take(r, n);
    if (!lc_utf8_valid(p, n)) return lc_errf(eb, LC_EDECODE, "%s: invalid UTF-8", what);
    out->p = p;
    out->n = n;
    return 0;
}

static int rd_bytes(lc_rd *r, net_pbytes *out, const char *what, lc_errbuf *eb)
{
    u32 n = lc_rd_u32(r);
    if (r->err) return rd_fail(r, eb, what);
    if (n > lc_rd_left(r)) return lc_errf(eb, LC_ETRUNCATED, "%s: length %u past the end", what, n);
    out->p = lc_rd_take(r, n);
    out->n = n;
    return 0;
}

static int decode_subscribe(lc_rd *r, net_cmsg *m, lc_errbuf *eb)
{
    m->request_id = lc_rd_u32(r);
    m->query_set_id = lc_rd_u32(r);
    u32 n = lc_rd_u32(r);
    if (r->err) return rd_fail(r, eb, "Subscribe");
    if (n > LC_PROTO_QUERIES_MAX)
        return lc_errf(eb, LC_ELIMIT, "Subscribe: %u queries exceeds the limit %u", n,
                       LC_PROTO_QUERIES_MAX);
    /* Each query is at least its 4-byte length: reject before allocating. */
    if ((u64)n * 4 > lc_rd_left(r))
        return lc_errf(eb, LC_ETRUNCATED, "Subscribe: %u queries cannot fit", n);
    if (n == 0) return 0;
    m->queries = lc_calloc(n, sizeof *m->queries);
    if (!m->queries) return lc_errf(eb, LC_ENOMEM, "Subscribe: out of memory");
    for (u32 i = 0; i < n; i++) {
        int rc = rd_str(r, &m->queries[i], LC_SQL_SUB_TEXT_MAX, "Subscribe query", eb);
        if (rc) {
            lc_free(m->queries);
            m->queries = NULL;
            return rc;
        }
    }
    m->nqueries = n;
    return 0;
}

static int decode_unsubscribe(lc_rd *r, net_cmsg *m, lc_errbuf *eb)
{
    m->request_id = lc_rd_u32(r);
    m->query_set_id = lc_rd_u32(r);
    m->unsub_flags = lc_rd_u8(r);
    if (r->err) return rd_fail(r, eb, "Unsubscribe");
    if (m->unsub_flags > NET_UNSUB_SEND_DROPPED_ROWS)
        return lc_errf(eb, LC_EDECODE, "Unsubscribe: unknown flags tag %u", m->unsub_flags);
    return 0;
}

static int decode_call(lc_rd *r, net_cmsg *m, lc_errbuf *eb)
{
    const char *what = m->tag == NET_CMSG_CALL_REDUCER ? "CallReducer" : "CallProcedure";
    m->request_id = lc_rd_u32(r);
    u8 flags = lc_rd_u8(r);
    if (r->err) return rd_fail(r, eb, what);
    if (flags != 0) return lc_errf(eb, LC_EDECODE, "%s: flags must be 0, got %u", what, flags);
    int rc = rd_str(r, &m->name, LC_PROTO_NAME_MAX, what, eb);
    if (rc) return rc;
    return rd_bytes(r, &m->args, what, eb);
}

int net_proto_client_decode_next(lc_rd *r, net_cmsg *out, lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    if (lc_rd_left(r) == 0) return lc_errf(eb, LC_ETRUNCATED, "empty client message");
    out->tag = lc_rd_u8(r);
    int rc;
    switch (out->tag) {
    case NET_CMSG_SUBSCRIBE: rc = decode_subscribe(r, out, eb); break;
    case NET_CMSG_UNSUBSCRIBE: rc = decode_unsubscribe(r, out, eb); break;
    case NET_CMSG_ONE_OFF_QUERY:
        out->request_id = lc_rd_u32(r);
        rc = r->err ? rd_fail(r, eb, "OneOffQuery")
                    : rd_str(r, &out->query, LC_SQL_TEXT_MAX, "OneOffQuery", eb);
        break;
    case NET_CMSG_CALL_REDUCER:
    case NET_CMSG_CALL_PROCEDURE: rc = decode_call(r, out, eb); break;
    default: rc = lc_errf(eb, LC_EDECODE, "unknown ClientMessage tag %u", out->tag); break;
    }
    if (rc) {
        net_proto_cmsg_free(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

int net_proto_client_decode(const void *p, size_t n, net_cmsg *out, lc_errbuf *eb)
{
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = net_proto_client_decode_next(&r, out, eb);
    if (rc) return rc;
    if (lc_rd_left(&r)) {
        size_t left = lc_rd_left(&r);
        net_proto_cmsg_free(out);
        memset(out, 0, sizeof *out);
        return lc_errf(eb, LC_EDECODE, "%zu trailing bytes after the client message", left);
    }
    return 0;
}

void net_proto_cmsg_free(net_cmsg *m)
{
    lc_free(m->queries);
    m->queries = NULL;
    m->nqueries = 0;
}

/* ---- client-side encoders ---- */

void net_proto_put_subscribe(lc_buf *b, u32 request_id, u32 query_set_id,
                             const net_pbytes *queries, u32 nqueries)
{
    lc_buf_put_u8(b, NET_CMSG_SUBSCRIBE);
    lc_buf_put_u32(b, request_id);
    lc_buf_put_u32(b, query_set_id);
    lc_buf_put_u32(b, nqueries);
    for (u32 i = 0; i < nqueries; i++) lc_buf_put_str(b, (const char *)queries[i].p, queries[i].n);
}

void net_proto_put_unsubscribe(lc_buf *b, u32 request_id, u32 query_set_id, u8 flags)
{
    lc_buf_put_u8(b, NET_CMSG_UNSUBSCRIBE);
    lc_buf_put_u32(b, request_id);
    lc_buf_put_u32(b, query_set_id);
    lc_buf_put_u8(b, flags);
}

void net_proto_put_one_off_query(lc_buf *b, u32 request_id, const void *q, u32 qlen)
{
    lc_buf_put_u8(b, NET_CMSG_ONE_OFF_QUERY);
    lc_buf_put_u32(b, request_id);
    lc_buf_put_str(b, q, qlen);
}

void net_proto_put_call(lc_buf *b, u8 tag, u32 request_id, const void *name, u32 name_len,
                        const void *args, u32 args_len)
{
    lc_buf_put_u8(b, tag);
    lc_buf_put_u32(b, request_id);
    lc_buf_put_u8(b, 0);
    lc_buf_put_str(b, name, name_len);
    lc_buf_put_str(b, args, args_len);
}

/* ---- server-side encoders ---- */

static void put_i64(lc_buf *b, i64 v) { lc_buf_put_u64(b, (u64)v); }

/* BSATN length prefixes are u32: a part over 4 GiB cannot be encoded. */
static bool len_fits(lc_buf *b, size_t n)
{
    if (n > UINT32_MAX) {
        if (!b->err) b->err = LC_ELIMIT;
        return false;
    }
    return true;
}

net_row_list net_proto_row_list_fixed(const void *data, size_t len, u16 size)
{
    net_row_list l = {.data = data, .len = len, .fixed_size = size};
    return l;
}

void net_proto_put_row_list(lc_buf *b, const net_row_list *l)
{
    if (l->fixed_size) {
        lc_buf_put_u8(b, 0);
        lc_buf_put_u16(b, l->fixed_size);
    } else {
        lc_buf_put_u8(b, 1);
        lc_buf_put_u32(b, l->noffsets);
        for (u32 i = 0; i < l->noffsets; i++) lc_buf_put_u64(b, l->offsets[i]);
    }
    if (!len_fits(b, l->len)) return;
    lc_buf_put_u32(b, (u32)l->len);
    lc_buf_put(b, l->data, l->len);
}

void net_proto_put_query_rows(lc_buf *b, const net_query_rows *q)
{
    lc_buf_put_u32(b, q->ntables);
    for (u32 i = 0; i < q->ntables; i++) {
        const net_table_rows *t = &q->tables[i];
        lc_buf_put_str(b, t->table, t->table_len);
        net_proto_put_row_list(b, &t->rows);
    }
}

static void put_table_update(lc_buf *b, const net_table_update *t)
{
    lc_buf_put_str(b, t->table, t->table_len);
    lc_buf_put_u32(b, t->nrows);
    for (u32 k = 0; k < t->nrows; k++) {
        const net_table_update_rows *u = &t->rows[k];
        lc_buf_put_u8(b, u->kind);
        net_proto_put_row_list(b, &u->inserts);
        if (u->kind == NET_TUR_PERSISTENT) net_proto_put_row_list(b, &u->deletes);
    }
}

void net_proto_put_query_set_updates(lc_buf *b, const net_query_set_update *sets, u32 nsets)
{
    lc_buf_put_u32(b, nsets);
    for (u32 i = 0; i < nsets; i++) {
        lc_buf_put_u32(b, sets[i].query_set_id);
        lc_buf_put_u32(b, sets[i].ntables);
        for (u32 j = 0; j < sets[i].ntables; j++) put_table_update(b, &sets[i].tables[j]);
    }
}

void net_proto_put_initial_connection(lc_buf *b, const u8 identity[32],
                                      const u8 connection_id[16], const char *token,
                                      u32 token_len)
{
    lc_buf_put_u8(b, NET_SMSG_INITIAL_CONNECTION);
    lc_buf_put(b, identity, 32);
    lc_buf_put(b, connection_id, 16);
    lc_buf_put_str(b, token, token_len);
}

void net_proto_put_subscribe_applied(lc_buf *b, u32 request_id, u32 query_set_id,
                                     const net_query_rows *rows)
{
    lc_buf_put_u8(b, NET_SMSG_SUBSCRIBE_APPLIED);
    lc_buf_put_u32(b, request_id);
    lc_buf_put_u32(b, query_set_id);
    net_proto_put_query_rows(b, rows);
}

void net_proto_put_unsubscribe_applied(lc_buf *b, u32 request_id, u32 query_set_id,
                                       const net_query_rows *rows)
{
    lc_buf_put_u8(b, NET_SMSG_UNSUBSCRIBE_APPLIED);
    lc_buf_put_u32(b, request_id);
    lc_buf_put_u32(b, query_set_id);
    lc_buf_put_u8(b, rows ? 0 : 1); /* Option: 0 = some, 1 = none */
    if (rows) net_proto_put_query_rows(b, rows);
}

void net_proto_put_subscription_error(lc_buf *b, const u32 *request_id, u32 query_set_id,
                                      const char *error, u32 error_len)
{
    lc_buf_put_u8(b, NET_SMSG_SUBSCRIPTION_ERROR);
    lc_buf_put_u8(b, request_id ? 0 : 1);
    if (request_id) lc_buf_put_u32(b, *request_id);
    lc_buf_put_u32(b, query_set_id);
    lc_buf_put_str(b, error, error_len);
}

void net_proto_put_transaction_update(lc_buf *b, const net_query_set_update *sets, u32 nsets)
{
    lc_buf_put_u8(b, NET_SMSG_TRANSACTION_UPDATE);
    net_proto_put_query_set_updates(b, sets, nsets);
}

void net_proto_put_one_off_result(lc_buf *b, u32 request_id, const net_query_rows *ok,
                                  const char *err, u32 err_len)
{
    lc_buf_put_u8(b, NET_SMSG_ONE_OFF_QUERY_RESULT);
    lc_buf_put_u32(b, request_id);
    lc_buf_put_u8(b, ok ? 0 : 1); /* Result: 0 = ok, 1 = err */
    if (ok)
        net_proto_put_query_rows(b, ok);
    else
        lc_buf_put_str(b, err, err_len);
}

void net_proto_put_reducer_result(lc_buf *b, u32 request_id, i64 timestamp_us,
                                  const net_reducer_outcome *o)
{
    lc_buf_put_u8(b, NET_SMSG_REDUCER_RESULT);
    lc_buf_put_u32(b, request_id);
    put_i64(b, timestamp_us);
    lc_buf_put_u8(b, o->kind);
    switch (o->kind) {
    case NET_REDUCER_OK:
        lc_buf_put_str(b, (const char *)o->ret_value.p, o->ret_value.n);
        net_proto_put_query_set_updates(b, o->sets, o->nsets);
        break;
    case NET_REDUCER_OK_EMPTY: break;
    default: lc_buf_put_str(b, (const char *)o->err.p, o->err.n); break;
    }
}

void net_proto_put_procedure_result(lc_buf *b, u8 status, const void *payload, u32 len,
                                    i64 timestamp_us, i64 duration_us, u32 request_id)
{
    lc_buf_put_u8(b, NET_SMSG_PROCEDURE_RESULT);
    lc_buf_put_u8(b, status);
    lc_buf_put_str(b, payload, len);
    put_i64(b, timestamp_us);
    put_i64(b, duration_us);
    lc_buf_put_u32(b, request_id);
}

int net_proto_server_peek(const void *p, size_t n, u8 *out_tag, bool *has_req, u32 *req)
{
    lc_rd r;
    lc_rd_init(&r, p, n);
    u8 tag = lc_rd_u8(&r);
    *has_req = false;
    *req = 0;
    if (r.err) return LC_ETRUNCATED;
    *out_tag = tag;
    switch (tag) {
    case NET_SMSG_INITIAL_CONNECTION:
    case NET_SMSG_TRANSACTION_UPDATE: return 0;
    case NET_SMSG_SUBSCRIPTION_ERROR:
        if (lc_rd_u8(&r) == 0) {
            *req = lc_rd_u32(&r);
            *has_req = true;
        }
        return r.err;
    case NET_SMSG_PROCEDURE_RESULT: {
        if (n < 1 + 4 + 1) return LC_ETRUNCATED;
        *req = lc_load_u32((const u8 *)p + n - 4);
        *has_req = true;
        return 0;
    }
    case NET_SMSG_SUBSCRIBE_APPLIED:
    case NET_SMSG_UNSUBSCRIBE_APPLIED:
    case NET_SMSG_ONE_OFF_QUERY_RESULT:
    case NET_SMSG_REDUCER_RESULT:
        *req = lc_rd_u32(&r);
        *has_req = !r.err;
        return r.err;
    default: return LC_EDECODE;
    }
}
