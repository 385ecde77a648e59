/*
 * store/read.c — reads: iterators, table scans, index point and prefix/range scans (with the
 * module ABI's BSATN prefix + Bound encoding), deletes by index range, catalog lookups, and
 * the invariant checker store_table_check.
 *
 * An iterator is an array of row ids fixed when it is created (like the reference host, which
 * materialises a scan when it starts), so it stays well defined if the caller deletes the
 * rows it returned; row bytes are fetched at store_iter_next time. A point lookup on a unique
 * integer index needs no allocation (the one id lives inside the iterator).
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "store/store_int.h"

bool store_iter_next(store_iter *it, const u8 **out_row, u32 *out_len)
{
    while (it->pos < it->count) {
        u32 rid = it->rids[it->pos++];
        if (!table_is_live(it->t, rid)) continue; /* deleted since the scan began */
        *out_row = table_row(it->t, rid, out_len);
        return true;
    }
    return false;
}

void store_iter_close(store_iter *it)
{
    lc_free(it->owned);
    it->owned = NULL;
    it->rids = NULL;
    it->count = it->pos = 0;
}

static void iter_init(store_iter *it, const store_table *t, u32 *owned, u32 count)
{
    it->t = t;
    it->owned = owned;
    it->rids = owned;
    it->count = count;
    it->pos = 0;
}

int store_row_count(store_txn *txn, u32 table_id, u64 *out_count)
{
    store_table *t = store_table_get(txn->s, table_id);
    if (!t) return LC_ENOTFOUND;
    *out_count = t->row_count;
    return 0;
}

int store_scan(store_txn *txn, u32 table_id, store_iter *out_it)
{
    iter_init(out_it, NULL, NULL, 0);
    store_table *t = store_table_get(txn->s, table_id);
    if (!t) return LC_ENOTFOUND;
    u32 *rids = NULL;
    if (t->row_count) {
        rids = lc_alloc(t->row_count * sizeof *rids);
        if (!rids) return LC_ENOMEM;
    }
    u32 n = 0;
    for (u32 rid = 0; rid < t->slot_hw; rid++)
        if (table_is_live(t, rid)) rids[n++] = rid;
    LC_ASSERT(n == t->row_count);
    iter_init(out_it, t, rids, n);
    return 0;
}

/* Validates n key values starting at key column `first`; returns bytes used or <0. */
static int key_validate(const store_index *ix, u16 first, u16 n, lc_rd *r)
{
    for (u16 i = first; i < first + n; i++) {
        int rc = lc_bsatn_validate(ix->t->cols[ix->cols[i]].type, r, NULL);
        if (rc) return LC_EDECODE;
    }
    return 0;
}

typedef struct range_spec {
    store_probe lo, hi;
    bool lo_strict, hi_strict;
} range_spec;

/* Parses one Bound<V> (tag 0 Included, 1 Excluded, 2 Unbounded) at key column `col_i`. */
static int bound_parse(const store_index *ix, u16 col_i, const u8 *p, size_t n,
                       const u8 **out_val, bool *out_excl)
{
    lc_rd r;
    lc_rd_init(&r, p, n);
    u8 tag = lc_rd_u8(&r);
    if (r.err || tag > 2) return LC_EDECODE;
    *out_excl = tag == 1;
    *out_val = NULL;
    if (tag < 2) {
        if (col_i >= ix->col_count) return LC_EDECODE;
        *out_val = r.p;
        if (key_validate(ix, col_i, 1, &r)) return LC_EDECODE;
    }
    return lc_rd_left(&r) ? LC_EDECODE : 0;
}

static void probe_int(const store_index *ix, store_probe *p)
{
    if (!ix->is_int) return;
    const u8 *v = p->prefix_elems ? p->prefix : p->val;
    p->has_int = v != NULL;
    if (v) p->int_key = index_key_norm(ix, v);
}

static int range_parse(const store_index *ix, const u8 *prefix, size_t prefix_len, u16 elems,
                       const u8 *rs, size_t rs_len, const u8 *re, size_t re_len, range_spec *sp)
{
    if (elems > ix->col_count) return LC_EDECODE;
    lc_rd r;
    lc_rd_init(&r, prefix, elems ? prefix_len : 0);
    if (key_validate(ix, 0, elems, &r) || lc_rd_left(&r)) return LC_EDECODE;
    bool lo_excl, hi_excl;
    const u8 *lo_v, *hi_v;
    int rc = bound_parse(ix, elems, rs, rs_len, &lo_v, &lo_excl);
    if (!rc) rc = bound_parse(ix, elems, re, re_len, &hi_v, &hi_excl);
    if (rc) return rc;
    sp->lo = (store_probe){.prefix = prefix, .prefix_elems = elems, .val = lo_v};
    sp->hi = (store_probe){.prefix = prefix, .prefix_elems = elems, .val = hi_v};
    sp->lo_strict = lo_v && lo_excl;   /* first entry > v, else >= */
    sp->hi_strict = !(hi_v && hi_excl); /* end: first entry > v (Included/Unbounded) */
    probe_int(ix, &sp->lo);
    probe_int(ix, &sp->hi);
    return 0;
}

static int range_rids(const store_index *ix, const range_spec *sp, u32 **out_rids, u32 *out_n)
{
    store_ixpos a = index_bound(ix, &sp->lo, sp->lo_strict);
    store_ixpos b = index_bound(ix, &sp->hi, sp->hi_strict);
    if (b.ci < a.ci || (b.ci == a.ci && b.si <= a.si)) {
        *out_rids = NULL;
        *out_n = 0;
        return 0;
    }
    return index_collect(ix, a, b, out_rids, out_n);
}

int store_index_range(store_txn *txn, u32 index_id, const u8 *prefix, size_t prefix_len,
                      u16 prefix_elems, const u8 *rstart, size_t rstart_len, const u8 *rend,
                      size_t rend_len, store_iter *out_it)
{
    iter_init(out_it, NULL, NULL, 0);
    store_index *ix = store_idmap_get(&txn->s->indexes, index_id);
    if (!ix) return LC_ENOTFOUND;
    if (ix->algo == STORE_INDEX_HASH) return LC_ENOTSUP;
    range_spec sp;
    int rc = range_parse(ix, prefix, prefix_len, prefix_elems, rstart, rstart_len, rend,
                         rend_len, &sp);
    if (rc) return rc;
    u32 *rids, n;
    rc = range_rids(ix, &sp, &rids, &n);
    if (rc) return rc;
    iter_init(out_it, ix->t, rids, n);
    return 0;
}

int store_index_point(store_txn *txn, u32 index_id, const u8 *key, size_t key_len,
                      store_iter *out_it)
{
    iter_init(out_it, NULL, NULL, 0);
    store_index *ix = store_idmap_get(&txn->s->indexes, index_id);
    if (!ix) return LC_ENOTFOUND;
    out_it->t = ix->t;
    if (ix->is_int && ix->is_unique) {
        if (key_len != ix->int_width) return LC_EDECODE;
        if (ix->int_width == 1 && ix->t->cols[ix->cols[0]].type->kind != LC_T_U8 &&
            ix->t->cols[ix->cols[0]].type->kind != LC_T_I8) {
            lc_rd r;
            lc_rd_init(&r, key, key_len);
            if (key_validate(ix, 0, 1, &r)) return LC_EDECODE;
        }
        u32 rid = index_int_find(ix, index_key_norm(ix, key), txn->is_write);
        out_it->one = rid;
        out_it->rids = &out_it->one;
        out_it->count = rid != UINT32_MAX;
        return 0;
    }
    lc_rd r;
    lc_rd_init(&r, key, key_len);
    if (key_validate(ix, 0, ix->col_count, &r) || lc_rd_left(&r)) return LC_EDECODE;
    range_spec sp;
    sp.lo = (store_probe){.prefix = key, .prefix_elems = ix->col_count};
    sp.hi = sp.lo;
    sp.lo_strict = false;
    sp.hi_strict = true;
    probe_int(ix, &sp.lo);
    probe_int(ix, &sp.hi);
    u32 *rids, n;
    int rc = range_rids(ix, &sp, &rids, &n);
    if (rc) return rc;
    iter_init(out_it, ix->t, rids, n);
    return 0;
}

static int delete_iter(store_txn *txn, store_iter *it, u32 *out_count)
{
    u32 n = 0;
    int rc = 0;
    for (u32 i = 0; i < it->count; i++) {
        if (!table_is_live(it->t, it->rids[i])) continue;
        rc = txn_delete_rid(txn->s, (store_table *)it->t, it->rids[i]);
        if (rc) {
            txn->is_failed = true;
            break;
        }
        n++;
    }
    store_iter_close(it);
    if (out_count) *out_count = n;
    return rc;
}

int store_delete_range(store_txn *txn, u32 index_id, const u8 *prefix, size_t prefix_len,
                       u16 prefix_elems, const u8 *rstart, size_t rstart_len, const u8 *rend,
                       size_t rend_len, u32 *out_count)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store_iter it;
    int rc = store_index_range(txn, index_id, prefix, prefix_len, prefix_elems, rstart,
                               rstart_len, rend, rend_len, &it);
    if (rc) return rc;
    return delete_iter(txn, &it, out_count);
}

int store_delete_point(store_txn *txn, u32 index_id, const u8 *key, size_t key_len,
                       u32 *out_count)
{
    if (txn->is_failed) return LC_ETXFAILED;
    if (!txn->is_write) return LC_ESTATE;
    store_iter it;
    int rc = store_index_point(txn, index_id, key, key_len, &it);
    if (rc) return rc;
    return delete_iter(txn, &it, out_count);
}

/* ---- catalog lookups ---- */

/* Resolves an accessor alias through st_table_accessor / st_index_accessor (rows of two
 * strings: canonical name, accessor name). Returns false when `name` is no alias. */
static bool alias_lookup(store *s, u32 acc_table_id, const char *name, size_t len,
                         const char **out_p, u32 *out_n)
{
    const store_table *t = store_table_get(s, acc_table_id);
    for (u32 rid = 0; t && rid < t->slot_hw; rid++) {
        if (!table_is_live(t, rid)) continue;
        u32 rl;
        lc_rd r;
        const u8 *row = table_row(t, rid, &rl);
        lc_rd_init(&r, row, rl);
        u32 cn = lc_rd_u32(&r);
        const u8 *cp = lc_rd_take(&r, cn);
        u32 an = lc_rd_u32(&r);
        const u8 *ap = lc_rd_take(&r, an);
        if (r.err || an != len || memcmp(ap, name, len) != 0) continue;
        *out_p = (const char *)cp;
        *out_n = cn;
        return true;
    }
    return false;
}

static int table_by_name(store *s, const char *name, size_t len, u32 *out_id)
{
    const store_idmap *m = &s->tables;
    for (u32 i = 0; i < m->cap; i++) {
        const store_table *t = m->keys[i] ? m->vals[i] : NULL;
        if (t && strlen(t->name) == len && memcmp(t->name, name, len) == 0) {
            *out_id = t->id;
            return 0;
        }
    }
    return LC_ENOTFOUND;
}

static int index_by_name(store *s, const char *name, size_t len, u32 *out_id)
{
    const store_idmap *m = &s->indexes;
    for (u32 i = 0; i < m->cap; i++) {
        const store_index *ix = m->keys[i] ? m->vals[i] : NULL;
        if (ix && strlen(ix->name) == len && memcmp(ix->name, name, len) == 0) {
            *out_id = ix->id;
            return 0;
        }
    }
    return LC_ENOTFOUND;
}

int store_table_id_from_name(store_txn *txn, const char *name, size_t len, u32 *out_id)
{
    if (table_by_name(txn->s, name, len, out_id) == 0) return 0;
    const char *cp;
    u32 cn;
    if (!alias_lookup(txn->s, 18 /* st_table_accessor */, name, len, &cp, &cn))
        return LC_ENOTFOUND;
    return table_by_name(txn->s, cp, cn, out_id);
}

int store_index_id_from_name(store_txn *txn, const char *name, size_t len, u32 *out_id)
{
    if (index_by_name(txn->s, name, len, out_id) == 0) return 0;
    const char *cp;
    u32 cn;
    if (!alias_lookup(txn->s, 19 /* st_index_accessor */, name, len, &cp, &cn))
        return LC_ENOTFOUND;
    return index_by_name(txn->s, cp, cn, out_id);
}

bool store_table_exists(store_txn *txn, u32 table_id)
{
    return store_table_get(txn->s, table_id) != NULL;
}

int store_index_info_get(store_txn *txn, u32 index_id, store_index_info *out_info)
{
    const store_index *ix = store_idmap_get(&txn->s->indexes, index_id);
    if (!ix) return LC_ENOTFOUND;
    *out_info = (store_index_info){.table_id = ix->t->id, .algo = ix->algo,
                                   .is_unique = ix->is_unique, .col_count = ix->col_count,
                                   .cols = ix->cols};
    return 0;
}

const lc_type *store_table_row_type(store_txn *txn, u32 table_id)
{
    const store_table *t = store_table_get(txn->s, table_id);
    return t ? t->row_type : NULL;
}

/* ---- checks ---- */

bool store_table_check(store_txn *txn, u32 table_id)
{
    store_table *t = store_table_get(txn->s, table_id);
    if (!t) return false;
    u64 live = 0;
    for (u32 rid = 0; rid < t->slot_hw; rid++) {
        if (!table_is_live(t, rid)) continue;
        live++;
        u32 len;
        const u8 *row = table_row(t, rid, &len);
        if (table_find_equal(t, row, len) != rid) return false;
    }
    if (live != t->row_count) return false;
    if (!t->unique_ix_count && t->rowset_n != t->row_count) return false;
    for (u32 i = 0; i < t->ix_count; i++)
        if (!index_check(t->ixs[i])) return false;
    return true;
}

u64 store_table_mem_bytes(store_txn *txn, u32 table_id)
{
    const store_table *t = store_table_get(txn->s, table_id);
    return t ? table_mem_bytes(t) : 0;
}
