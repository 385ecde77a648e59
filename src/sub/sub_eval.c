/*
 * sub/sub_eval.c — incremental evaluation of one subscription query from a committed TxData.
 *
 * Single table V = σ(R): deletes σ(ΔR⁻), inserts σ(ΔR⁺). A TxData is net (no row is both
 * inserted and deleted), so that is exactly diff(V before, V after), without duplicates.
 *
 * Join V = R ⋈ S (slot 0 = R, slot 1 = S), with only the post-commit state R′, S′ readable:
 *     V′ − V = ΔR⋈S′ + R′⋈ΔS − ΔR⋈ΔS,   ΔR = ΔR⁺ − ΔR⁻ (signed bags)
 * which expands into SpacetimeDB's eight fragments:
 *     +  ΔR⁺⋈S′   R′⋈ΔS⁺   ΔR⁺⋈ΔS⁻   ΔR⁻⋈ΔS⁺
 *     −  ΔR⁻⋈S′   R′⋈ΔS⁻   ΔR⁺⋈ΔS⁺   ΔR⁻⋈ΔS⁻
 * A delta row against the other side's post state is an index point lookup on the other
 * side's join column (both are indexed, sql_filter guarantees it); delta against delta is a
 * sort-merge of the two small lists on the join key. Every candidate pair is then checked by
 * the full predicate (ON, WHERE, row-level security). The returned side's row of each pair is
 * counted with its sign in a hash keyed by the row bytes, and the result is emitted with bag
 * semantics as SpacetimeDB does (subscription/delta.rs): a row with net count −k is deleted k
 * times, +k inserted k times, 0 not sent. So a row joined to several rows carries its
 * multiplicity, and a row both produced and retracted within one commit cancels out.
 * Self-joins (R and S the same table) follow from the same algebra.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "sub/sub_int.h"

void sub_acc_init(sub_delta_acc *a)
{
    memset(a, 0, sizeof *a);
    lc_buf_init(&a->bytes);
    lc_buf_init(&a->scratch);
}

void sub_acc_deinit(sub_delta_acc *a)
{
    lc_buf_deinit(&a->bytes);
    lc_buf_deinit(&a->scratch);
    lc_free(a->ents);
    lc_free(a->slots);
    memset(a, 0, sizeof *a);
}

static void acc_reset(sub_delta_acc *a)
{
    lc_buf_reset(&a->bytes);
    a->nents = 0;
    if (a->slots) memset(a->slots, 0, sizeof *a->slots * a->nslots);
}

static int acc_rehash(sub_delta_acc *a)
{
    u32 ns = a->nslots ? a->nslots * 2 : 64;
    u32 *s = lc_calloc(ns, sizeof *s);
    if (!s) return LC_ENOMEM;
    for (u32 i = 0; i < a->nents; i++) {
        u32 at = (u32)a->ents[i].h & (ns - 1);
        while (s[at]) at = (at + 1) & (ns - 1);
        s[at] = i + 1;
    }
    lc_free(a->slots);
    a->slots = s;
    a->nslots = ns;
    return 0;
}

/* Adds sign to the count of row. */
static int acc_add(sub_delta_acc *a, const u8 *row, u32 len, i64 sign)
{
    if ((a->nents + 1) * 2 > a->nslots && acc_rehash(a)) return LC_ENOMEM;
    u64 h = lc_hash_bytes(row, len, 0x51ab);
    u32 at = (u32)h & (a->nslots - 1);
    for (; a->slots[at]; at = (at + 1) & (a->nslots - 1)) {
        struct sub_cnt *e = &a->ents[a->slots[at] - 1];
        if (e->h == h && e->len == len && memcmp(a->bytes.data + e->off, row, len) == 0) {
            e->n += sign;
            return 0;
        }
    }
    if (a->nents == a->cap) {
        u32 nc = a->cap ? a->cap * 2 : 64;
        struct sub_cnt *ne = lc_realloc(a->ents, sizeof *ne * nc);
        if (!ne) return LC_ENOMEM;
        a->ents = ne;
        a->cap = nc;
    }
    size_t off = a->bytes.len;
    lc_buf_put(&a->bytes, row, len);
    if (a->bytes.err) return a->bytes.err;
    a->ents[a->nents] = (struct sub_cnt){h, (u32)off, len, sign};
    a->slots[at] = ++a->nents;
    return 0;
}

/* Emits every net delete, then every net insert, each |count| times. */
static int acc_emit(sub_delta_acc *a, const sub_query *q, const sub_delta_sink *sink)
{
    for (int pass = 0; pass < 2; pass++) {
        sub_row_fn fn = pass == 0 ? sink->on_delete : sink->on_insert;
        if (!fn) continue;
        for (u32 i = 0; i < a->nents; i++) {
            const struct sub_cnt *e = &a->ents[i];
            i64 n = pass == 0 ? -e->n : e->n;
            for (; n > 0; n--) {
                int rc = fn(sink->ctx, q, a->bytes.data + e->off, e->len);
                if (rc) return rc;
            }
        }
    }
    return 0;
}

static inline const u8 *rows_at(const store_rows *rows, u32 i, u32 *out_len)
{
    *out_len = rows->offs[i + 1] - rows->offs[i];
    return rows->bytes + rows->offs[i];
}

static int pair_take(sub_query *q, sub_delta_acc *acc, const u8 *r0, u32 l0, const u8 *r1,
                     u32 l1, i64 sign)
{
    if (!sql_filter_match_pair(q->filter, r0, r1)) return 0;
    return q->ret_slot == 0 ? acc_add(acc, r0, l0, sign) : acc_add(acc, r1, l1, sign);
}

/* Delta rows of slot d against the other slot's post-commit rows (index point lookups). */
static int frag_probe(sub_query *q, store_txn *txn, u32 d, const store_rows *rows, i64 sign,
                      sub_delta_acc *acc)
{
    u32 o = 1 - d;
    for (u32 i = 0; i < rows->count; i++) {
        u32 len, klen, olen;
        const u8 *row = rows_at(rows, i, &len), *orow;
        const u8 *key = sql_filter_col(q->filter, d, row, q->join_col[d], &klen);
        store_iter it;
        int rc = store_index_point(txn, q->join_ix[o], key, klen, &it);
        while (rc == 0 && store_iter_next(&it, &orow, &olen))
            rc = d == 0 ? pair_take(q, acc, row, len, orow, olen, sign)
                        : pair_take(q, acc, orow, olen, row, len, sign);
        store_iter_close(&it);
        if (rc) return rc;
    }
    return 0;
}

/* Sort records for delta x delta: [key ptr][row ptr][key len][row len]. */
typedef struct dd_rec {
    const u8 *key, *row;
    u32 klen, len;
} dd_rec;

static int dd_cmp(const void *a, const void *b, void *ty)
{
    return lc_bsatn_cmp(ty, ((const dd_rec *)a)->key, ((const dd_rec *)b)->key);
}

/* ΔR(rows0) ⋈ ΔS(rows1): sort-merge on the join key. */
static int frag_dd(sub_query *q, const store_rows *rows0, const store_rows *rows1, i64 sign,
                   sub_delta_acc *acc)
{
    if (!rows0->count || !rows1->count) return 0;
    const lc_type *kt = sql_filter_row_type(q->filter, 1)->elems[q->join_col[1]].type;
    lc_buf_reset(&acc->scratch);
    dd_rec *v = (dd_rec *)lc_buf_reserve(&acc->scratch, sizeof *v * rows1->count);
    if (!v) return LC_ENOMEM;
    for (u32 i = 0; i < rows1->count; i++) {
        v[i].row = rows_at(rows1, i, &v[i].len);
        v[i].key = sql_filter_col(q->filter, 1, v[i].row, q->join_col[1], &v[i].klen);
    }
    qsort_r(v, rows1->count, sizeof *v, dd_cmp, (void *)kt);
    for (u32 i = 0; i < rows0->count; i++) {
        u32 len, klen;
        const u8 *row = rows_at(rows0, i, &len);
        const u8 *key = sql_filter_col(q->filter, 0, row, q->join_col[0], &klen);
        u32 lo = 0, hi = rows1->count;
        while (lo < hi) {
            u32 mid = lo + (hi - lo) / 2;
            if (lc_bsatn_cmp(kt, v[mid].key, key) < 0) lo = mid + 1;
            else hi = mid;
        }
        for (u32 k = lo; k < rows1->count && lc_bsatn_cmp(kt, v[k].key, key) == 0; k++) {
            int rc = pair_take(q, acc, row, len, v[k].row, v[k].len, sign);
            if (rc) return rc;
        }
    }
    return 0;
}

static int eval_join(sub_query *q, store_txn *txn, const store_txdata *td,
                     const sub_delta_sink *sink, sub_delta_acc *acc)
{
    static const store_rows none = {0, NULL, NULL};
    const store_txdata_table *t0 = sub_txdata_find(td, q->slot[0].table_id);
    const store_txdata_table *t1 = sub_txdata_find(td, q->slot[1].table_id);
    if (!t0 && !t1) return 0;
    const store_rows *i0 = t0 ? &t0->inserts : &none, *d0 = t0 ? &t0->deletes : &none;
    const store_rows *i1 = t1 ? &t1->inserts : &none, *d1 = t1 ? &t1->deletes : &none;
    acc_reset(acc);
    int rc = frag_probe(q, txn, 0, i0, +1, acc);
    if (!rc) rc = frag_probe(q, txn, 0, d0, -1, acc);
    if (!rc) rc = frag_probe(q, txn, 1, i1, +1, acc);
    if (!rc) rc = frag_probe(q, txn, 1, d1, -1, acc);
    if (!rc) rc = frag_dd(q, i0, i1, -1, acc);
    if (!rc) rc = frag_dd(q, i0, d1, +1, acc);
    if (!rc) rc = frag_dd(q, d0, i1, +1, acc);
    if (!rc) rc = frag_dd(q, d0, d1, -1, acc);
    if (!rc) rc = acc_emit(acc, q, sink);
    return rc;
}

static int rows_eval(sub_query *q, const store_rows *rows, sub_row_fn fn, void *ctx)
{
    if (!fn) return 0;
    for (u32 i = 0; i < rows->count; i++) {
        u32 len;
        const u8 *row = rows_at(rows, i, &len);
        if (sql_filter_match(q->filter, row, len)) {
            int rc = fn(ctx, q, row, len);
            if (rc) return rc;
        }
    }
    return 0;
}

const store_txdata_table *sub_txdata_find(const store_txdata *td, u32 table_id)
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

int sub_eval_query(sub_query *q, store_txn *txn, const store_txdata *td,
                   const sub_delta_sink *sink, sub_delta_acc *acc)
{
    if (q->ntab == 2) {
        if (txn) return eval_join(q, txn, td, sink, acc);
        store_txn own;
        store_read_begin(&own, q->s);
        int rc = eval_join(q, &own, td, sink, acc);
        store_read_end(&own);
        return rc;
    }
    const store_txdata_table *t = sub_txdata_find(td, q->table_id);
    if (!t) return 0;
    int rc = rows_eval(q, &t->deletes, sink->on_delete, sink->ctx);
    if (!rc) rc = rows_eval(q, &t->inserts, sink->on_insert, sink->ctx);
    return rc;
}
