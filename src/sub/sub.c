/*
 * sub/sub.c — the subscription query registry: acquire (compile or share), release, keys,
 * initial evaluation, and the per-commit entry points (see sub.h).
 *
 * Design: queries are shared by key through a chained hash. An owner's key is known from the
 * parse alone (text + whether :sender is used), so a shared owner query costs a parse and a
 * lookup. A restricted caller's query is compiled first (that is where private tables and
 * row-level security are resolved), then keyed by text + whether RLS applied + the identity
 * when the result depends on it, and shared if the key exists (the new compile is dropped).
 * Registration in the pruning indexes is in sub_index.c; evaluation in sub_eval.c.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/assert.h"
#include "base/hash.h"
#include "sub/sub_int.h"

/* Parse arena bound: subscription texts are at most LC_SQL_SUB_TEXT_MAX bytes. */
#define SUB_PARSE_ARENA_MAX (1u << 20)

/* Key mode byte: the query as the owner (or a client RLS does not touch) sees it, or with
 * row-level security applied. */
enum { KEY_PLAIN = 0, KEY_RLS = 1 };

int sub_registry_create(sub_registry **out)
{
    *out = lc_calloc(1, sizeof **out);
    if (!*out) return LC_ENOMEM;
    sub_acc_init(&(*out)->acc);
    return 0;
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
    for (u32 i = 0; i < r->nkeys; i++) {
        for (sub_query *q = r->keys[i], *next; q; q = next) {
            next = q->key_next;
            query_free(q);
        }
    }
    lc_free(r->keys);
    sub_index_deinit(r);
    sub_acc_deinit(&r->acc);
    lc_free(r);
}

u32 sub_registry_count(const sub_registry *r) { return r->count; }
u64 sub_query_hash(const sub_query *q) { return q->hash; }
u32 sub_query_table_id(const sub_query *q) { return q->table_id; }
u32 sub_query_refcount(const sub_query *q) { return q->refs; }
const char *sub_query_text(const sub_query *q) { return (const char *)q->key; }
bool sub_query_is_join(const sub_query *q) { return q->ntab == 2; }

u32 sub_query_table_ids(const sub_query *q, u32 out_ids[2])
{
    for (u32 i = 0; i < q->ntab; i++) out_ids[i] = q->slot[i].table_id;
    return q->ntab;
}

/* Builds the key into b: canonical text, NUL, mode, identity when caller-dependent. */
static int key_build(const sql_select *sel, u8 mode, const u8 *ident, lc_buf *b, lc_errbuf *eb)
{
    int rc = sql_select_print(sel, b);
    lc_buf_put_u8(b, 0);
    lc_buf_put_u8(b, mode);
    if (ident) lc_buf_put(b, ident, 32);
    if (!rc) rc = b->err;
    return rc ? lc_errf(eb, rc, "subscription query too large") : 0;
}

static sub_query *registry_find(sub_registry *r, u64 h, const u8 *key, size_t n)
{
    if (!r->nkeys) return NULL;
    for (sub_query *q = r->keys[h & (r->nkeys - 1)]; q; q = q->key_next)
        if (q->hash == h && q->key_len == n && memcmp(q->key, key, n) == 0) return q;
    return NULL;
}

static int keys_grow(sub_registry *r)
{
    u32 nb = r->nkeys ? r->nkeys * 2 : 64;
    sub_query **b = lc_calloc(nb, sizeof *b);
    if (!b) return LC_ENOMEM;
    for (u32 i = 0; i < r->nkeys; i++) {
        for (sub_query *q = r->keys[i], *next; q; q = next) {
            next = q->key_next;
            q->key_next = b[q->hash & (nb - 1)];
            b[q->hash & (nb - 1)] = q;
        }
    }
    lc_free(r->keys);
    r->keys = b;
    r->nkeys = nb;
    return 0;
}

static void keys_unlink(sub_registry *r, sub_query *q)
{
    sub_query **pp = &r->keys[q->hash & (r->nkeys - 1)];
    while (*pp != q) pp = &(*pp)->key_next;
    *pp = q->key_next;
}

/* Fills the query's shape from its filter: tables, join edge, search arguments. */
static void query_shape(sub_query *q)
{
    sql_filter *f = q->filter;
    q->table_id = sql_filter_table_id(f);
    q->ntab = sql_filter_table_count(f);
    q->ret_slot = sql_filter_return_slot(f);
    if (q->ntab == 2) sql_filter_join(f, q->join_col, q->join_ix);
    for (u32 i = 0; i < q->ntab; i++) {
        sub_slot *s = &q->slot[i];
        s->table_id = sql_filter_table_id_at(f, i);
        sql_filter_eq eq;
        s->has_sarg = sql_filter_eq_args(f, i, &eq, 1) > 0;
        if (s->has_sarg) {
            s->sarg_col = eq.col;
            s->sarg_value = eq.value;
            s->sarg_len = eq.len;
        }
    }
    /* a join side without a search argument is reached through the other side's (edge) */
    for (u32 i = 0; i < q->ntab && q->ntab == 2; i++)
        q->slot[i].has_edge = !q->slot[i].has_sarg && q->slot[1 - i].has_sarg;
}

/* Takes ownership of f (freed on failure). */
static int query_new(sub_registry *r, store *s, sql_filter *f, const lc_buf *key, u64 h,
                     sub_query **out, lc_errbuf *eb)
{
    sub_query *q = lc_calloc(1, sizeof *q);
    if (q) q->key = lc_alloc(key->len);
    if (!q || !q->key) {
        if (q) lc_free(q);
        sql_filter_destroy(f);
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    }
    memcpy(q->key, key->data, key->len);
    q->key_len = key->len;
    q->hash = h;
    q->refs = 1;
    q->filter = f;
    q->s = s;
    query_shape(q);
    int rc = (r->count + 1) * 2 > r->nkeys * 3 ? keys_grow(r) : 0;
    if (!rc) rc = sub_index_add(r, q);
    if (rc) {
        query_free(q);
        return lc_errf(eb, rc, "out of memory");
    }
    q->key_next = r->keys[h & (r->nkeys - 1)];
    r->keys[h & (r->nkeys - 1)] = q;
    r->count++;
    if (!r->s) r->s = s;
    *out = q;
    return 0;
}

/* Shares the query keyed `key` if registered (f is then destroyed), else registers f. */
static int share_or_add(sub_registry *r, store_txn *txn, sql_filter *f, const lc_buf *key,
                        sub_query **out, lc_errbuf *eb)
{
    u64 h = lc_hash_bytes(key->data, key->len, 0x5ab5c41be5ull);
    sub_query *q = registry_find(r, h, key->data, key->len);
    if (q) {
        sql_filter_destroy(f);
        q->refs++;
        *out = q;
        return 0;
    }
    return query_new(r, txn->s, f, key, h, out, eb);
}

static int acquire_owner(sub_registry *r, store_txn *txn, const sql_select *sel,
                         const char *sql, size_t len, const sql_exec_opts *o, lc_buf *key,
                         sub_query **out, lc_errbuf *eb)
{
    bool dep = o->caller_id && sql_expr_has_param(sel->where, "sender");
    int rc = key_build(sel, KEY_PLAIN, dep ? o->caller_id : NULL, key, eb);
    if (rc) return rc;
    u64 h = lc_hash_bytes(key->data, key->len, 0x5ab5c41be5ull);
    sub_query *q = registry_find(r, h, key->data, key->len);
    if (q) {
        q->refs++;
        *out = q;
        return 0;
    }
    sql_filter *f;
    rc = sql_filter_compile_opts(txn, sel, sql, len, o, true, &f, eb);
    return rc ? rc : share_or_add(r, txn, f, key, out, eb);
}

static int acquire_client(sub_registry *r, store_txn *txn, const sql_select *sel,
                          const char *sql, size_t len, const sql_exec_opts *o, lc_buf *key,
                          sub_query **out, lc_errbuf *eb)
{
    sql_filter *f;
    int rc = sql_filter_compile_opts(txn, sel, sql, len, o, true, &f, eb);
    if (rc) return rc;
    u8 mode = sql_filter_has_rls(f) ? KEY_RLS : KEY_PLAIN;
    rc = key_build(sel, mode, sql_filter_uses_sender(f) ? o->caller_id : NULL, key, eb);
    if (rc) {
        sql_filter_destroy(f);
        return rc;
    }
    return share_or_add(r, txn, f, key, out, eb);
}

int sub_query_acquire_as(sub_registry *r, store_txn *txn, const char *sql, size_t len,
                         const sub_auth *auth, sub_query **out, lc_errbuf *eb)
{
    *out = NULL;
    lc_arena arena;
    lc_arena_init(&arena, SUB_PARSE_ARENA_MAX);
    lc_buf key;
    lc_buf_init(&key);
    sql_exec_opts o = {.caller_id = auth->caller_id, .restricted = !auth->is_owner,
                       .rls_sql = auth->rls_sql, .rls_count = auth->rls_count};
    sql_select *sel;
    int rc = sql_parse_subscription(sql, len, SQL_SUB_ALLOW_NOT, &arena, &sel, eb);
    if (!rc && auth->is_owner)
        rc = acquire_owner(r, txn, sel, sql, len, &o, &key, out, eb);
    else if (!rc)
        rc = acquire_client(r, txn, sel, sql, len, &o, &key, out, eb);
    lc_buf_deinit(&key);
    lc_arena_deinit(&arena);
    return rc;
}

int sub_query_acquire(sub_registry *r, store_txn *txn, const char *sql, size_t len,
                      const u8 *caller_id, sub_query **out, lc_errbuf *eb)
{
    sub_auth auth = {.caller_id = caller_id, .is_owner = true};
    return sub_query_acquire_as(r, txn, sql, len, &auth, out, eb);
}

void sub_query_release(sub_registry *r, sub_query *q)
{
    LC_ASSERT(q->refs > 0);
    if (--q->refs) return;
    sub_index_remove(r, q);
    keys_unlink(r, q);
    r->count--;
    query_free(q);
}

typedef struct initial_ctx {
    sub_query *q;
    sub_row_fn fn;
    void *ctx;
} initial_ctx;

static int initial_row(void *ctx, const u8 *row, u32 len)
{
    initial_ctx *ic = ctx;
    return ic->fn(ic->ctx, ic->q, row, len);
}

int sub_query_eval_initial(sub_query *q, store_txn *txn, sub_row_fn fn, void *ctx)
{
    initial_ctx ic = {q, fn, ctx};
    return sql_filter_eval(q->filter, txn, initial_row, &ic);
}

int sub_registry_eval_commit(sub_registry *r, store_txn *txn, const store_txdata *td,
                             const sub_delta_sink *sink)
{
    store_txn own;
    bool is_own = false;
    if (!txn && r->nedges) { /* join-edge probes read the post-commit state */
        store_read_begin(&own, r->s);
        txn = &own;
        is_own = true;
    }
    int rc = sub_index_candidates(r, txn, td);
    for (u32 i = 0; i < r->ncand && !rc; i++) {
        sub_query *q = r->cand[i];
        if (q->ntab == 2 && !txn) {
            store_read_begin(&own, q->s);
            txn = &own;
            is_own = true;
        }
        rc = sub_eval_query(q, txn, td, sink, &r->acc);
    }
    if (is_own) store_read_end(&own);
    return rc;
}

int sub_registry_eval_tx(sub_registry *r, const store_txdata *td, const sub_delta_sink *sink)
{
    return sub_registry_eval_commit(r, NULL, td, sink);
}

int sub_query_eval_commit(sub_query *q, store_txn *txn, const store_txdata *td,
                          const sub_delta_sink *sink)
{
    sub_delta_acc acc;
    sub_acc_init(&acc);
    int rc = sub_eval_query(q, txn, td, sink, &acc);
    sub_acc_deinit(&acc);
    return rc;
}

int sub_query_eval_tx(sub_query *q, const store_txdata *td, const sub_delta_sink *sink)
{
    return sub_query_eval_commit(q, NULL, td, sink);
}

u32 sub_registry_candidate_count(sub_registry *r, const store_txdata *td)
{
    store_txn txn;
    if (r->nedges) store_read_begin(&txn, r->s);
    int rc = sub_index_candidates(r, r->nedges ? &txn : NULL, td);
    if (r->nedges) store_read_end(&txn);
    return rc ? 0 : r->ncand;
}
