/*
 * net/ws_client_msg.c — ServerMessage (v2 schema, spec-client-protocol.md §2.5) decoder for
 * the client side: bytes from the server become a net_smsg tree (net/ws_client.h).
 *
 * The server is not trusted: every str/bytes length is checked against the bytes left before
 * it is taken, an array count is checked against the bytes left (each element needs at least
 * MIN bytes: a table entry at least 4+1+4+... ) before the array is taken from the arena, and
 * the arena's limit bounds the total. Views (names, row data, tokens) point into the input and
 * are valid while it is; arrays live until the arena is reset.
 *
 * Layouts decoded here (all little-endian, see proto.h for the encoder side):
 *   BsatnRowList     = u8 hint (0 FixedSize u16 | 1 RowOffsets arr<u64>), bytes rows_data
 *   SingleTableRows  = str table, BsatnRowList
 *   QuerySetUpdate   = u32 query_set_id, arr<TableUpdate>
 *   TableUpdate      = str table_name, arr<TableUpdateRows>
 *   TableUpdateRows  = u8 0 PersistentTable{inserts, deletes} | u8 1 EventTable{events}
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "net/ws_client.h"
#include "value/value.h"

/* Smallest encodings, used to bound array counts by the bytes left before allocating:
 * BsatnRowList = hint tag + u16 (FixedSize) or u32 count (RowOffsets) + u32 data length. */
enum {
    ROWLIST_MIN = 1 + 2 + 4,
    TABLE_ROWS_MIN = 4 + ROWLIST_MIN,     /* SingleTableRows */
    TABLE_UPDATE_MIN = 4 + 4,             /* TableUpdate with no entries */
    SET_UPDATE_MIN = 4 + 4,               /* QuerySetUpdate with no tables */
    TUR_MIN = 1 + ROWLIST_MIN,            /* TableUpdateRows: EventTable */
};

static int truncated(lc_errbuf *eb, const char *what)
{
    return lc_errf(eb, LC_ETRUNCATED, "server message truncated in %s", what);
}

static int rd_view(lc_rd *r, net_pbytes *out, bool utf8, const char *what, lc_errbuf *eb)
{
    u32 n = lc_rd_u32(r);
    if (r->err) return truncated(eb, what);
    if (n > lc_rd_left(r)) return lc_errf(eb, LC_ETRUNCATED, "%s: length %u past the end", what, n);
    out->p = lc_rd_take(r, n);
    out->n = n;
    if (utf8 && !lc_utf8_valid(out->p, n)) return lc_errf(eb, LC_EDECODE, "%s: bad UTF-8", what);
    return 0;
}

/* An array count, bounded by the bytes left at min_size bytes per element. */
static int rd_count(lc_rd *r, size_t min_size, u32 *out, const char *what, lc_errbuf *eb)
{
    *out = lc_rd_u32(r);
    if (r->err) return truncated(eb, what);
    if ((u64)*out * min_size > lc_rd_left(r))
        return lc_errf(eb, LC_ETRUNCATED, "%s: %u elements cannot fit", what, *out);
    return 0;
}

static void *arena_array(lc_arena *a, u32 n, size_t size)
{
    if (n == 0) return NULL;
    return lc_arena_alloc(a, (size_t)n * size);
}

static int rd_rows(lc_rd *r, net_smsg_rows *out, lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    u8 hint = lc_rd_u8(r);
    if (r->err) return truncated(eb, "row list");
    if (hint == 0) {
        out->fixed_size = lc_rd_u16(r);
        if (r->err) return truncated(eb, "row size hint");
        if (out->fixed_size == 0) return lc_errf(eb, LC_EDECODE, "FixedSize(0) row hint");
    } else if (hint == 1) {
        int rc = rd_count(r, 8, &out->noffsets, "row offsets", eb);
        if (rc) return rc;
        out->offsets = lc_rd_take(r, (size_t)out->noffsets * 8);
    } else {
        return lc_errf(eb, LC_EDECODE, "row size hint tag %u", hint);
    }
    net_pbytes d;
    int rc = rd_view(r, &d, false, "rows_data", eb);
    if (rc) return rc;
    out->data = d.p;
    out->len = d.n;
    if (out->fixed_size && d.n % out->fixed_size)
        return lc_errf(eb, LC_EDECODE, "rows_data of %u bytes is not a multiple of %u", d.n,
                       out->fixed_size);
    return 0;
}

/* QueryRows = arr<SingleTableRows>. */
static int rd_query_rows(lc_rd *r, lc_arena *a, net_smsg *m, lc_errbuf *eb)
{
    int rc = rd_count(r, TABLE_ROWS_MIN, &m->ntables, "QueryRows", eb);
    if (rc) return rc;
    m->tables = arena_array(a, m->ntables, sizeof *m->tables);
    if (m->ntables && !m->tables) return lc_errf(eb, LC_ENOMEM, "QueryRows: out of memory");
    for (u32 i = 0; i < m->ntables; i++) {
        net_smsg_table *t = &m->tables[i];
        memset(t, 0, sizeof *t);
        rc = rd_view(r, &t->name, true, "table name", eb);
        if (!rc) rc = rd_rows(r, &t->inserts, eb);
        if (rc) return rc;
    }
    m->has_rows = true;
    return 0;
}

/* One TableUpdate: its entries go to out[*n..] (out NULL: only counted). */
static int rd_table_update(lc_rd *r, net_smsg_table *out, u32 *n, lc_errbuf *eb)
{
    net_pbytes name;
    u32 nrows;
    int rc = rd_view(r, &name, true, "table name", eb);
    if (!rc) rc = rd_count(r, TUR_MIN, &nrows, "TableUpdate", eb);
    if (rc) return rc;
    for (u32 i = 0; i < nrows; i++) {
        net_smsg_table t = {.name = name};
        t.kind = lc_rd_u8(r);
        if (r->err) return truncated(eb, "TableUpdateRows");
        if (t.kind > NET_TUR_EVENT)
            return lc_errf(eb, LC_EDECODE, "TableUpdateRows tag %u", t.kind);
        rc = rd_rows(r, &t.inserts, eb);
        if (!rc && t.kind == NET_TUR_PERSISTENT) rc = rd_rows(r, &t.deletes, eb);
        if (rc) return rc;
        if (out) out[*n] = t;
        (*n)++;
    }
    return 0;
}

/* One QuerySetUpdate; two passes over the bytes: count the table entries, then fill them. */
static int rd_set(lc_rd *r, lc_arena *a, net_smsg_set *s, lc_errbuf *eb)
{
    s->query_set_id = lc_rd_u32(r);
    u32 ntu;
    int rc = rd_count(r, TABLE_UPDATE_MIN, &ntu, "QuerySetUpdate", eb);
    if (rc) return rc;
    lc_rd start = *r;
    u32 n = 0;
    for (u32 i = 0; i < ntu && !rc; i++) rc = rd_table_update(r, NULL, &n, eb);
    if (rc) return rc;
    s->tables = arena_array(a, n, sizeof *s->tables);
    if (n && !s->tables) return lc_errf(eb, LC_ENOMEM, "QuerySetUpdate: out of memory");
    s->ntables = 0;
    *r = start;
    for (u32 i = 0; i < ntu && !rc; i++) rc = rd_table_update(r, s->tables, &s->ntables, eb);
    LC_ASSERT(rc || s->ntables == n);
    return rc;
}

/* arr<QuerySetUpdate> (TransactionUpdate's body). */
static int rd_sets(lc_rd *r, lc_arena *a, net_smsg *m, lc_errbuf *eb)
{
    int rc = rd_count(r, SET_UPDATE_MIN, &m->nsets, "TransactionUpdate", eb);
    if (rc) return rc;
    m->sets = arena_array(a, m->nsets, sizeof *m->sets);
    if (m->nsets && !m->sets) return lc_errf(eb, LC_ENOMEM, "TransactionUpdate: out of memory");
    for (u32 i = 0; i < m->nsets && !rc; i++) rc = rd_set(r, a, &m->sets[i], eb);
    return rc;
}

static int rd_reducer_result(lc_rd *r, lc_arena *a, net_smsg *m, lc_errbuf *eb)
{
    m->request_id = lc_rd_u32(r);
    m->timestamp_us = (i64)lc_rd_u64(r);
    m->outcome = lc_rd_u8(r);
    if (r->err) return truncated(eb, "ReducerResult");
    switch (m->outcome) {
    case NET_REDUCER_OK: {
        int rc = rd_view(r, &m->ret_value, false, "ret_value", eb);
        return rc ? rc : rd_sets(r, a, m, eb);
    }
    case NET_REDUCER_OK_EMPTY:
        return 0;
    case NET_REDUCER_ERR:
        return rd_view(r, &m->err, false, "reducer error", eb);
    case NET_REDUCER_INTERNAL_ERROR:
        return rd_view(r, &m->err, true, "internal error", eb);
    default:
        return lc_errf(eb, LC_EDECODE, "ReducerOutcome tag %u", m->outcome);
    }
}

static int rd_procedure_result(lc_rd *r, net_smsg *m, lc_errbuf *eb)
{
    m->outcome = lc_rd_u8(r);
    if (r->err) return truncated(eb, "ProcedureResult");
    int rc;
    if (m->outcome == NET_PROC_RETURNED)
        rc = rd_view(r, &m->ret_value, false, "procedure value", eb);
    else if (m->outcome == NET_PROC_INTERNAL_ERROR)
        rc = rd_view(r, &m->err, true, "procedure error", eb);
    else
        return lc_errf(eb, LC_EDECODE, "ProcedureStatus tag %u", m->outcome);
    if (rc) return rc;
    m->timestamp_us = (i64)lc_rd_u64(r);
    m->duration_us = (i64)lc_rd_u64(r);
    m->request_id = lc_rd_u32(r);
    return r->err ? truncated(eb, "ProcedureResult") : 0;
}

/* Option/Result tag byte that must be 0 or 1. */
static int rd_bool_tag(lc_rd *r, u8 *out, const char *what, lc_errbuf *eb)
{
    *out = lc_rd_u8(r);
    if (r->err) return truncated(eb, what);
    if (*out > 1) return lc_errf(eb, LC_EDECODE, "%s: tag %u", what, *out);
    return 0;
}

static int rd_body(lc_rd *r, lc_arena *a, net_smsg *m, lc_errbuf *eb)
{
    u8 t;
    int rc;
    switch (m->tag) {
    case NET_SMSG_INITIAL_CONNECTION: {
        const u8 *id = lc_rd_take(r, 32), *cid = lc_rd_take(r, 16);
        if (!id || !cid) return truncated(eb, "InitialConnection");
        memcpy(m->identity, id, 32);
        memcpy(m->connection_id, cid, 16);
        m->has_request_id = false;
        return rd_view(r, &m->token, true, "token", eb);
    }
    case NET_SMSG_SUBSCRIBE_APPLIED:
        m->request_id = lc_rd_u32(r);
        m->query_set_id = lc_rd_u32(r);
        return r->err ? truncated(eb, "SubscribeApplied") : rd_query_rows(r, a, m, eb);
    case NET_SMSG_UNSUBSCRIBE_APPLIED:
        m->request_id = lc_rd_u32(r);
        m->query_set_id = lc_rd_u32(r);
        rc = rd_bool_tag(r, &t, "UnsubscribeApplied rows", eb);
        return rc ? rc : t == 0 ? rd_query_rows(r, a, m, eb) : 0;
    case NET_SMSG_SUBSCRIPTION_ERROR:
        rc = rd_bool_tag(r, &t, "SubscriptionError request_id", eb);
        if (rc) return rc;
        m->has_request_id = t == 0;
        if (t == 0) m->request_id = lc_rd_u32(r);
        m->query_set_id = lc_rd_u32(r);
        return r->err ? truncated(eb, "SubscriptionError") : rd_view(r, &m->err, true, "error", eb);
    case NET_SMSG_TRANSACTION_UPDATE:
        m->has_request_id = false;
        return rd_sets(r, a, m, eb);
    case NET_SMSG_ONE_OFF_QUERY_RESULT:
        m->request_id = lc_rd_u32(r);
        rc = rd_bool_tag(r, &t, "OneOffQueryResult", eb);
        if (rc) return rc;
        return t == 0 ? rd_query_rows(r, a, m, eb) : rd_view(r, &m->err, true, "error", eb);
    case NET_SMSG_REDUCER_RESULT:
        return rd_reducer_result(r, a, m, eb);
    case NET_SMSG_PROCEDURE_RESULT:
        return rd_procedure_result(r, m, eb);
    default:
        return lc_errf(eb, LC_EDECODE, "unknown ServerMessage tag %u", m->tag);
    }
}

int net_smsg_decode_next(lc_rd *r, lc_arena *a, net_smsg *out, lc_errbuf *eb)
{
    LC_ASSERT(r && a && out);
    memset(out, 0, sizeof *out);
    out->tag = lc_rd_u8(r);
    if (r->err) return truncated(eb, "ServerMessage tag");
    out->has_request_id = true;
    int rc = rd_body(r, a, out, eb);
    LC_ASSERT(rc || !r->err);
    return rc;
}

int net_smsg_decode(const void *p, size_t n, lc_arena *a, net_smsg *out, lc_errbuf *eb)
{
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = net_smsg_decode_next(&r, a, out, eb);
    if (rc == 0 && lc_rd_left(&r))
        return lc_errf(eb, LC_EDECODE, "%zu bytes after the ServerMessage", lc_rd_left(&r));
    return rc;
}

u32 net_smsg_rows_count(const net_smsg_rows *r)
{
    if (r->fixed_size) return r->len / r->fixed_size;
    return r->noffsets;
}

int net_smsg_rows_get(const net_smsg_rows *r, u32 i, const u8 **out_row, size_t *out_len)
{
    LC_ASSERT(i < net_smsg_rows_count(r));
    u64 start, end;
    if (r->fixed_size) {
        start = (u64)i * r->fixed_size;
        end = start + r->fixed_size;
    } else {
        start = lc_load_u64(r->offsets + (size_t)i * 8);
        end = i + 1 < r->noffsets ? lc_load_u64(r->offsets + (size_t)(i + 1) * 8) : r->len;
    }
    if (start > end || end > r->len) return LC_EDECODE;
    *out_row = r->data + start;
    *out_len = (size_t)(end - start);
    return 0;
}

net_pbytes net_smsg_err_text(const net_smsg *m)
{
    if (m->tag == NET_SMSG_REDUCER_RESULT && m->outcome == NET_REDUCER_ERR && m->err.n >= 4 &&
        lc_load_u32(m->err.p) == m->err.n - 4 && lc_utf8_valid(m->err.p + 4, m->err.n - 4))
        return (net_pbytes){m->err.p + 4, m->err.n - 4};
    return m->err;
}

int net_smsg_reducer_result_peek(const u8 *body, size_t len, u32 *out_request_id,
                                 u8 *out_outcome)
{
    /* tag(1) request_id(4) timestamp(8) outcome(1) */
    if (len < 14 || body[0] != NET_SMSG_REDUCER_RESULT || body[13] > NET_REDUCER_INTERNAL_ERROR)
        return LC_EDECODE;
    *out_request_id = lc_load_u32(body + 1);
    *out_outcome = body[13];
    return 0;
}
