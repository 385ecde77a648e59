/*
 * sub/sub.c — subscription query registry and evaluation (see sub.h).
 *
 * Design: the registry is an array of query pointers sorted by table id, so a commit visits
 * only the queries of the tables in its TxData (binary search per changed table; the rest are
 * pruned without being touched), then matches only the changed rows. Lookup by key is linear
 * (hash first, then the key bytes): subscribing is rare next to commits; a hash map can come
 * when subscriber counts call for it.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/assert.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/limits.h"
#include "sub/sub.h"

/* Parse arena bound: subscription texts are at most LC_SQL_SUB_TEXT_MAX bytes. */
#define SUB_PARSE_ARENA_MAX (1u << 20)

struct sub_query {
    u64 hash;
    u32 refs;
    u32 table_id;
    sql_filter *filter;
    u8 *key; /* canonical text, NUL, then 32-byte identity when caller-dependent */
    size_t key_len;
};

struct sub_registry {
    sub_query **q;
    u32 count, cap;
};

int sub_registry_create(sub_registry **out)
{
    *out = lc_calloc(1, sizeof **out);
    return *out ? 0 : LC_ENOMEM;
}

static void query_free(sub_query *q)
{
    sql_filter_destroy(q->filter);
    lc_free(q->key);
    lc_free(q);
}

void sub_registry_destroy(sub_registry *r)
{
    if (!r) return;
    for (u32 i = 0; i < r->count; i++) query_free(r->q[i]);
    lc_free(r->q);
    lc_free(r);
}

u32 sub_registry_count(const sub_registry *r) { return r->count; }
u64 sub_query_hash(const sub_query *q) { return q->hash; }
u32 sub_query_table_id(const sub_query *q) { return q->table_id; }
u32 sub_query_refcount(const sub_query *q) { return q->refs; }
const char *sub_query_text(const sub_query *q) { return (const char *)q->key; }

/* Builds the key of sel into b: canonical text, NUL, identity when :sender is used. */
static int key_build(const sql_select *sel, const u8 *caller_id, lc_buf *b, lc_errbuf *eb)
{
    int rc = sql_select_print(sel, b);
    lc_buf_put_u8(b, 0);
    if (sql_expr_has_param(sel->where, "sender") && caller_id) lc_buf_put(b, caller_id, 32);
    if (!rc) rc = b->err;
    return rc ? lc_errf(eb, rc, "subscription query too large") : 0;
}

static sub_query *registry_find(sub_registry *r, u64 h, const u8 *key, size_t n)
{
    for (u32 i = 0; i < r->count; i++) {
        sub_query *q = r->q[i];
        if (q->hash == h && q->key_len == n && memcmp(q->key, key, n) == 0) return q;
    }
    return NULL;
}

/* First position whose query's table id is >= table_id (the array is sorted by table id). */
static u32 registry_lower(const sub_registry *r, u32 table_id)
{
    u32 lo = 0, hi = r->count;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (r->q[mid]->table_id < table_id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int registry_add(sub_registry *r, sub_query *q)
{
    if (r->count == r->cap) {
        u32 ncap = r->cap ? r->cap * 2 : 8;
        sub_query **nq = lc_realloc(r->q, sizeof *nq * ncap);
        if (!nq) return LC_ENOMEM;
        r->q = nq;
        r->cap = ncap;
    }
    u32 at = registry_lower(r, q->table_id);
    memmove(&r->q[at + 1], &r->q[at], sizeof *r->q * (r->count - at));
    r->q[at] = q;
    r->count++;
    return 0;
}

static int query_new(sub_registry *r, store_txn *txn, const sql_select *sel, const char *sql,
                     size_t len, const u8 *caller_id, const lc_buf *key, u64 h, sub_query **out,
                     lc_errbuf *eb)
{
    sub_query *q = lc_calloc(1, sizeof *q);
    if (q) q->key = lc_alloc(key->len);
    if (!q || !q->key) {
        if (q) lc_free(q);
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    }
    memcpy(q->key, key->data, key->len);
    q->key_len = key->len;
    q->hash = h;
    q->refs = 1;
    int rc = sql_filter_compile(txn, sel, sql, len, caller_id, &q->filter, eb);
    if (!rc) {
        q->table_id = sql_filter_table_id(q->filter);
        rc = registry_add(r, q);
        if (rc) lc_errf(eb, rc, "out of memory");
    }
    if (rc) {
        query_free(q);
        return rc;
    }
    *out = q;
    return 0;
}

int sub_query_acquire(sub_registry *r, store_txn *txn, const char *sql, size_t len,
                      const u8 *caller_id, sub_query **out, lc_errbuf *eb)
{
    *out = NULL;
    lc_arena arena;
    lc_arena_init(&arena, SUB_PARSE_ARENA_MAX);
    lc_buf key;
    lc_buf_init(&key);
    sql_select *sel;
    int rc = sql_parse_subscription(sql, len, SQL_SUB_ALLOW_NOT, &arena, &sel, eb);
    if (!rc) rc = key_build(sel, caller_id, &key, eb);
    if (!rc) {
        u64 h = lc_hash_bytes(key.data, key.len, 0x5ab5c41be5ull);
        sub_query *q = registry_find(r, h, key.data, key.len);
        if (q) {
            q->refs++;
            *out = q;
        } else {
            rc = query_new(r, txn, sel, sql, len, caller_id, &key, h, out, eb);
        }
    }
    lc_buf_deinit(&key);
    lc_arena_deinit(&arena);
    return rc;
}

void sub_query_release(sub_registry *r, sub_query *q)
{
    LC_ASSERT(q->refs > 0);
    if (--q->refs) return;
    for (u32 i = registry_lower(r, q->table_id); i < r->count; i++) {
        if (r->q[i] == q) {
            memmove(&r->q[i], &r->q[i + 1], sizeof *r->q * (r->count - i - 1));
            r->count--;
            break;
        }
    }
    query_free(q);
}

int sub_query_eval_initial(sub_query *q, store_txn *txn, sub_row_fn fn, void *ctx)
{
    store_iter it;
    int rc = store_scan(txn, q->table_id, &it);
    if (rc) return rc;
    const u8 *row;
    u32 len;
    while (rc == 0 && store_iter_next(&it, &row, &len))
        if (sql_filter_match(q->filter, row, len)) rc = fn(ctx, q, row, len);
    store_iter_close(&it);
    return rc;
}

static const store_txdata_table *txdata_find(const store_txdata *td, u32 table_id)
{
    u32 lo = 0, hi = td->table_count;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        u32 id = td->tables[mid].table_id;
        if (id == table_id) return &td->tables[mid];
        if (id < table_id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static int rows_eval(sub_query *q, const store_rows *rows, sub_row_fn fn, void *ctx)
{
    if (!fn) return 0;
    for (u32 i = 0; i < rows->count; i++) {
        const u8 *row = rows->bytes + rows->offs[i];
        u32 len = rows->offs[i + 1] - rows->offs[i];
        if (sql_filter_match(q->filter, row, len)) {
            int rc = fn(ctx, q, row, len);
            if (rc) return rc;
        }
    }
    return 0;
}

int sub_query_eval_tx(sub_query *q, const store_txdata *td, const sub_delta_sink *sink)
{
    const store_txdata_table *t = txdata_find(td, q->table_id);
    if (!t) return 0;
    int rc = rows_eval(q, &t->deletes, sink->on_delete, sink->ctx);
    if (!rc) rc = rows_eval(q, &t->inserts, sink->on_insert, sink->ctx);
    return rc;
}

int sub_registry_eval_tx(sub_registry *r, const store_txdata *td, const sub_delta_sink *sink)
{
    for (u32 t = 0; t < td->table_count; t++) {
        const store_txdata_table *tt = &td->tables[t];
        for (u32 i = registry_lower(r, tt->table_id);
             i < r->count && r->q[i]->table_id == tt->table_id; i++) {
            int rc = rows_eval(r->q[i], &tt->deletes, sink->on_delete, sink->ctx);
            if (!rc) rc = rows_eval(r->q[i], &tt->inserts, sink->on_insert, sink->ctx);
            if (rc) return rc;
        }
    }
    return 0;
}
