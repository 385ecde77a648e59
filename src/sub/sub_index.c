/*
 * sub/sub_index.c — the pruning indexes of the subscription registry (see sub_int.h): which
 * queries must look at a committed TxData. By-table registrations are a sorted array (binary
 * search per changed table); search arguments are a chained hash keyed by
 * (table, column, value bytes), probed with each changed row's value in each column that some
 * search argument of that table uses. A value's BSATN bytes identify it (equal values have
 * equal bytes; float columns never become search arguments), so no decoding is needed.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "sub/sub_int.h"

static u64 sarg_hash(u32 table_id, u16 col, const u8 *v, u32 len)
{
    return lc_hash_bytes(v, len, ((u64)table_id << 16 | col) * 0x9e3779b97f4a7c15ull);
}

static int grow(void **p, u32 *cap, u32 need, size_t elem)
{
    if (need <= *cap) return 0;
    u32 ncap = *cap ? *cap * 2 : 8;
    while (ncap < need) ncap *= 2;
    void *np = lc_realloc(*p, elem * ncap);
    if (!np) return LC_ENOMEM;
    *p = np;
    *cap = ncap;
    return 0;
}

/* First position whose table id is >= table_id (arrays sorted by table id). */
static u32 tab_lower(const sub_registry *r, u32 table_id)
{
    u32 lo = 0, hi = r->ntab;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (r->tab[mid].table_id < table_id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static u32 col_lower(const sub_registry *r, u32 table_id)
{
    u32 lo = 0, hi = r->ncols;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (r->cols[mid].table_id < table_id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int tab_add(sub_registry *r, u32 table_id, sub_query *q)
{
    if (grow((void **)&r->tab, &r->captab, r->ntab + 1, sizeof *r->tab)) return LC_ENOMEM;
    u32 at = tab_lower(r, table_id);
    memmove(&r->tab[at + 1], &r->tab[at], sizeof *r->tab * (r->ntab - at));
    r->tab[at] = (sub_tab_ent){table_id, q};
    r->ntab++;
    return 0;
}

static void tab_remove(sub_registry *r, u32 table_id, sub_query *q)
{
    for (u32 i = tab_lower(r, table_id); i < r->ntab && r->tab[i].table_id == table_id; i++) {
        if (r->tab[i].q != q) continue;
        memmove(&r->tab[i], &r->tab[i + 1], sizeof *r->tab * (r->ntab - i - 1));
        r->ntab--;
        return;
    }
}

static int col_ref(sub_registry *r, u32 table_id, u16 col, const lc_type *rt)
{
    u32 at = col_lower(r, table_id);
    for (u32 i = at; i < r->ncols && r->cols[i].table_id == table_id; i++) {
        if (r->cols[i].col == col) {
            r->cols[i].refs++;
            return 0;
        }
    }
    if (grow((void **)&r->cols, &r->capcols, r->ncols + 1, sizeof *r->cols)) return LC_ENOMEM;
    memmove(&r->cols[at + 1], &r->cols[at], sizeof *r->cols * (r->ncols - at));
    r->cols[at] = (sub_sarg_col){table_id, col, 1, rt};
    r->ncols++;
    return 0;
}

static void col_unref(sub_registry *r, u32 table_id, u16 col)
{
    for (u32 i = col_lower(r, table_id); i < r->ncols && r->cols[i].table_id == table_id; i++) {
        if (r->cols[i].col != col) continue;
        if (--r->cols[i].refs == 0) {
            memmove(&r->cols[i], &r->cols[i + 1], sizeof *r->cols * (r->ncols - i - 1));
            r->ncols--;
        }
        return;
    }
}

static sub_sarg_node *sarg_find(const sub_registry *r, u64 h, u32 table_id, u16 col,
                                const u8 *v, u32 len)
{
    if (!r->nsarg) return NULL;
    for (sub_sarg_node *n = r->sarg[h & (r->nsarg - 1)]; n; n = n->next)
        if (n->h == h && n->table_id == table_id && n->col == col && n->len == len &&
            memcmp(n->value, v, len) == 0)
            return n;
    return NULL;
}

static int sarg_rehash(sub_registry *r)
{
    u32 nb = r->nsarg ? r->nsarg * 2 : 64;
    sub_sarg_node **b = lc_calloc(nb, sizeof *b);
    if (!b) return LC_ENOMEM;
    for (u32 i = 0; i < r->nsarg; i++) {
        for (sub_sarg_node *n = r->sarg[i], *next; n; n = next) {
            next = n->next;
            n->next = b[n->h & (nb - 1)];
            b[n->h & (nb - 1)] = n;
        }
    }
    lc_free(r->sarg);
    r->sarg = b;
    r->nsarg = nb;
    return 0;
}

static int sarg_add(sub_registry *r, const sub_slot *s, sub_query *q)
{
    u64 h = sarg_hash(s->table_id, s->sarg_col, s->sarg_value, s->sarg_len);
    sub_sarg_node *n = sarg_find(r, h, s->table_id, s->sarg_col, s->sarg_value, s->sarg_len);
    if (!n) {
        if (r->nsarg_nodes >= r->nsarg && sarg_rehash(r)) return LC_ENOMEM;
        n = lc_calloc(1, sizeof *n);
        u8 *v = n ? lc_memdup(s->sarg_value, s->sarg_len ? s->sarg_len : 1) : NULL;
        if (!v) {
            lc_free(n);
            return LC_ENOMEM;
        }
        *n = (sub_sarg_node){h, s->table_id, s->sarg_col, v, s->sarg_len, NULL, 0, 0,
                             r->sarg[h & (r->nsarg - 1)]};
        r->sarg[h & (r->nsarg - 1)] = n;
        r->nsarg_nodes++;
    }
    if (grow((void **)&n->qs, &n->capq, n->nq + 1, sizeof *n->qs)) return LC_ENOMEM;
    n->qs[n->nq++] = q;
    return 0;
}

static void sarg_remove(sub_registry *r, const sub_slot *s, sub_query *q)
{
    u64 h = sarg_hash(s->table_id, s->sarg_col, s->sarg_value, s->sarg_len);
    sub_sarg_node **pp = &r->sarg[h & (r->nsarg - 1)];
    for (; *pp; pp = &(*pp)->next) {
        sub_sarg_node *n = *pp;
        if (n->h != h || n->table_id != s->table_id || n->col != s->sarg_col ||
            n->len != s->sarg_len || memcmp(n->value, s->sarg_value, s->sarg_len) != 0)
            continue;
        for (u32 i = 0; i < n->nq; i++) {
            if (n->qs[i] != q) continue;
            n->qs[i] = n->qs[--n->nq];
            break;
        }
        if (n->nq == 0) {
            *pp = n->next;
            lc_free(n->qs);
            lc_free(n->value);
            lc_free(n);
            r->nsarg_nodes--;
        }
        return;
    }
}

/* ---- join edges ---- */

static u32 edge_lower(const sub_registry *r, u32 table_id)
{
    u32 lo = 0, hi = r->nedges;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (r->edges[mid].table_id < table_id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The edge from slot i of q (shared by shape), referenced once more; its uid in *out_uid. */
static int edge_ref(sub_registry *r, const sub_query *q, u32 i, u32 *out_uid)
{
    u32 o = 1 - i, tid = q->slot[i].table_id;
    sub_edge e = {0, tid, q->join_col[i], q->join_ix[o], q->slot[o].sarg_col,
                  sql_filter_row_type(q->filter, i), sql_filter_row_type(q->filter, o), 1};
    u32 at = edge_lower(r, tid);
    for (u32 k = at; k < r->nedges && r->edges[k].table_id == tid; k++) {
        sub_edge *x = &r->edges[k];
        if (x->col == e.col && x->other_ix == e.other_ix && x->other_col == e.other_col) {
            x->refs++;
            *out_uid = x->uid;
            return 0;
        }
    }
    if (grow((void **)&r->edges, &r->capedges, r->nedges + 1, sizeof *r->edges))
        return LC_ENOMEM;
    e.uid = r->edge_uid_next++ & ~SUB_EDGE_KEY;
    memmove(&r->edges[at + 1], &r->edges[at], sizeof *r->edges * (r->nedges - at));
    r->edges[at] = e;
    r->nedges++;
    *out_uid = e.uid;
    return 0;
}

static void edge_unref(sub_registry *r, u32 table_id, u32 uid)
{
    for (u32 k = edge_lower(r, table_id); k < r->nedges && r->edges[k].table_id == table_id;
         k++) {
        if (r->edges[k].uid != uid) continue;
        if (--r->edges[k].refs == 0) {
            memmove(&r->edges[k], &r->edges[k + 1], sizeof *r->edges * (r->nedges - k - 1));
            r->nedges--;
        }
        return;
    }
}

/* The hash key under which slot i of q is filed through its edge. */
static sub_slot edge_key(const sub_query *q, u32 i)
{
    const sub_slot *o = &q->slot[1 - i];
    sub_slot k = *o;
    k.table_id = SUB_EDGE_KEY | q->slot[i].edge_uid;
    return k;
}

static int slot_add(sub_registry *r, sub_query *q, u32 i)
{
    sub_slot *s = &q->slot[i];
    if (s->has_edge) {
        int rc = edge_ref(r, q, i, &s->edge_uid);
        if (rc) return rc;
        sub_slot k = edge_key(q, i);
        rc = sarg_add(r, &k, q);
        if (rc) edge_unref(r, s->table_id, s->edge_uid);
        return rc;
    }
    if (!s->has_sarg) return tab_add(r, s->table_id, q);
    int rc = col_ref(r, s->table_id, s->sarg_col, sql_filter_row_type(q->filter, i));
    if (rc) return rc;
    rc = sarg_add(r, s, q);
    if (rc) col_unref(r, s->table_id, s->sarg_col);
    return rc;
}

static void slot_remove(sub_registry *r, sub_query *q, u32 i)
{
    const sub_slot *s = &q->slot[i];
    if (s->has_edge) {
        sub_slot k = edge_key(q, i);
        sarg_remove(r, &k, q);
        edge_unref(r, s->table_id, s->edge_uid);
        return;
    }
    if (!s->has_sarg) {
        tab_remove(r, s->table_id, q);
        return;
    }
    sarg_remove(r, s, q);
    col_unref(r, s->table_id, s->sarg_col);
}

int sub_index_add(sub_registry *r, sub_query *q)
{
    for (u32 i = 0; i < q->ntab; i++) {
        int rc = slot_add(r, q, i);
        if (rc) {
            while (i--) slot_remove(r, q, i);
            return rc;
        }
    }
    return 0;
}

void sub_index_remove(sub_registry *r, sub_query *q)
{
    for (u32 i = 0; i < q->ntab; i++) slot_remove(r, q, i);
}

void sub_index_deinit(sub_registry *r)
{
    for (u32 i = 0; i < r->nsarg; i++) {
        for (sub_sarg_node *n = r->sarg[i], *next; n; n = next) {
            next = n->next;
            lc_free(n->qs);
            lc_free(n->value);
            lc_free(n);
        }
    }
    lc_free(r->sarg);
    lc_free(r->tab);
    lc_free(r->cols);
    lc_free(r->edges);
    lc_free(r->cand);
}

static int cand_push(sub_registry *r, sub_query *q)
{
    if (q->mark == r->epoch) return 0;
    if (grow((void **)&r->cand, &r->capcand, r->ncand + 1, sizeof *r->cand)) return LC_ENOMEM;
    q->mark = r->epoch;
    r->cand[r->ncand++] = q;
    return 0;
}

/* Column `col` of a committed row (trusted bytes from the store). */
static const u8 *row_col(const lc_type *rt, const u8 *row, u16 col, u32 *out_len)
{
    const u8 *p = row;
    for (u16 i = 0; i < col; i++) p += lc_bsatn_size(rt->elems[i].type, p);
    *out_len = (u32)lc_bsatn_size(rt->elems[col].type, p);
    return p;
}

static int rows_probe(sub_registry *r, const sub_sarg_col *c, const store_rows *rows)
{
    for (u32 i = 0; i < rows->count; i++) {
        u32 len;
        const u8 *v = row_col(c->rt, rows->bytes + rows->offs[i], c->col, &len);
        const sub_sarg_node *n =
            sarg_find(r, sarg_hash(c->table_id, c->col, v, len), c->table_id, c->col, v, len);
        for (u32 k = 0; n && k < n->nq; k++)
            if (cand_push(r, n->qs[k])) return LC_ENOMEM;
    }
    return 0;
}

/* The queries reached through edge e by the changed rows: each row's join value probes the
 * other side's index (post-commit rows), and each found row's search-argument value is looked
 * up under the edge's key. */
static int edge_probe(sub_registry *r, store_txn *txn, const sub_edge *e, const store_rows *rows)
{
    u32 key = SUB_EDGE_KEY | e->uid;
    for (u32 i = 0; i < rows->count; i++) {
        u32 klen, olen, vlen;
        const u8 *k = row_col(e->rt, rows->bytes + rows->offs[i], e->col, &klen), *orow;
        store_iter it;
        int rc = store_index_point(txn, e->other_ix, k, klen, &it);
        while (rc == 0 && store_iter_next(&it, &orow, &olen)) {
            const u8 *v = row_col(e->other_rt, orow, e->other_col, &vlen);
            const sub_sarg_node *n =
                sarg_find(r, sarg_hash(key, e->other_col, v, vlen), key, e->other_col, v, vlen);
            for (u32 q = 0; n && q < n->nq && !rc; q++) rc = cand_push(r, n->qs[q]);
        }
        store_iter_close(&it);
        if (rc) return rc;
    }
    return 0;
}

static int edges_visit(sub_registry *r, store_txn *txn, const store_txdata_table *tt)
{
    for (u32 i = edge_lower(r, tt->table_id);
         i < r->nedges && r->edges[i].table_id == tt->table_id; i++) {
        int rc = edge_probe(r, txn, &r->edges[i], &tt->deletes);
        if (!rc) rc = edge_probe(r, txn, &r->edges[i], &tt->inserts);
        if (rc) return rc;
    }
    return 0;
}

int sub_index_candidates(sub_registry *r, store_txn *txn, const store_txdata *td)
{
    r->epoch++;
    r->ncand = 0;
    for (u32 t = 0; t < td->table_count; t++) {
        const store_txdata_table *tt = &td->tables[t];
        for (u32 i = tab_lower(r, tt->table_id); i < r->ntab && r->tab[i].table_id == tt->table_id;
             i++)
            if (cand_push(r, r->tab[i].q)) return LC_ENOMEM;
        for (u32 i = col_lower(r, tt->table_id);
             i < r->ncols && r->cols[i].table_id == tt->table_id; i++) {
            int rc = rows_probe(r, &r->cols[i], &tt->deletes);
            if (!rc) rc = rows_probe(r, &r->cols[i], &tt->inserts);
            if (rc) return rc;
        }
        int rc = edges_visit(r, txn, tt);
        if (rc) return rc;
    }
    return 0;
}
