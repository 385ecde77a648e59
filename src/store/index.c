/*
 * store/index.c — ordered indexes: a two-level sorted array (a B-tree of height two).
 *
 *   ix->chunks[0 .. chunk_count)   directory, in key order
 *   chunk: n entries, rids[n] (and keys[n] in int mode), sorted by (key, rid)
 *
 * Why this shape: lookups are two binary searches (directory by each chunk's last entry,
 * then inside the chunk); an insert moves at most STORE_IX_CHUNK entries plus, on a split,
 * one directory slot per chunk (8 bytes per 128 rows). It has none of the rebalancing code
 * of a textbook B-tree, so it is easy to keep exactly right, and memory is ~4 bytes (generic)
 * or ~12 bytes (int mode) per entry at full chunks. Appending the largest key (ids from a
 * sequence) fills chunks completely instead of splitting them in half. Deleting never merges
 * chunks; an emptied chunk is freed.
 *
 * Ordering: int mode compares an order-preserving u64 (signed values get their sign bit
 * flipped); generic mode compares key columns through the row with lc_bsatn_cmp (spec §2.4
 * order). Ties are broken by row id so every entry is distinct, which makes removal exact.
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/hash.h"
#include "store/store_int.h"

enum { TG_ROW, TG_PROBE };

typedef struct ix_target {
    int kind;
    u64 key;          /* TG_ROW, int mode */
    const u8 *row;    /* TG_ROW, generic mode */
    u32 rid;
    bool use_rid;
    const store_probe *p;
} ix_target;

u64 index_key_norm(const store_index *ix, const u8 *p)
{
    switch (ix->int_width) {
    case 1: return ix->int_signed ? (u64)(i64)(i8)p[0] ^ (1ull << 63) : p[0];
    case 2: return ix->int_signed ? (u64)(i64)(i16)lc_load_u16(p) ^ (1ull << 63)
                                  : lc_load_u16(p);
    case 4: return ix->int_signed ? (u64)(i64)(i32)lc_load_u32(p) ^ (1ull << 63)
                                  : lc_load_u32(p);
    default: return ix->int_signed ? lc_load_u64(p) ^ (1ull << 63) : lc_load_u64(p);
    }
}

static size_t chunk_bytes(const store_index *ix)
{
    return sizeof(store_ix_chunk) + (ix->is_int ? STORE_IX_CHUNK * sizeof(u64) : 0);
}

int index_create(store_table *t, u32 id, const char *name, u8 algo, bool is_unique,
                 u16 col_count, const u16 *cols, store_index **out_ix)
{
    LC_ASSERT(col_count >= 1);
    store_index *ix = lc_calloc(1, sizeof *ix);
    if (!ix) return LC_ENOMEM;
    ix->id = id;
    ix->t = t;
    ix->algo = algo;
    ix->is_unique = is_unique;
    ix->is_alive = true;
    ix->col_count = col_count;
    ix->name = lc_strdup(name);
    ix->cols = lc_memdup(cols, col_count * sizeof *cols);
    if (!ix->name || !ix->cols) {
        index_destroy(ix);
        return LC_ENOMEM;
    }
    for (u16 i = 0; i < col_count; i++) LC_ASSERT(cols[i] < t->col_count);
    const store_col *c = &t->cols[cols[0]];
    u8 k = c->type->kind;
    if (col_count == 1 && c->fixed_off >= 0 &&
        ((k >= LC_T_BOOL && k <= LC_T_U64) || (k == LC_T_SUM && c->fixed_size == 1))) {
        ix->is_int = true;
        ix->int_off = (u32)c->fixed_off;
        ix->int_width = (u8)c->fixed_size;
        ix->int_signed = k == LC_T_I8 || k == LC_T_I16 || k == LC_T_I32 || k == LC_T_I64;
    }
    *out_ix = ix;
    return 0;
}

void index_destroy(store_index *ix)
{
    if (!ix) return;
    for (u32 i = 0; i < ix->chunk_count; i++) lc_free(ix->chunks[i]);
    lc_free(ix->chunks);
    lc_free(ix->dir_last);
    lc_free(ix->hmap);
    lc_free(ix->name);
    lc_free(ix->cols);
    lc_free(ix);
}

/* Compares the key columns of two rows of ix's table. */
static int cmp_rows(const store_index *ix, const u8 *a, const u8 *b)
{
    const store_table *t = ix->t;
    for (u16 i = 0; i < ix->col_count; i++) {
        u16 c = ix->cols[i];
        int r = lc_bsatn_cmp(t->cols[c].type, table_col_ptr(t, a, c), table_col_ptr(t, b, c));
        if (r) return r;
    }
    return 0;
}

static int cmp_probe(const store_index *ix, const u8 *row, const store_probe *p)
{
    const store_table *t = ix->t;
    const u8 *q = p->prefix;
    for (u16 i = 0; i < p->prefix_elems; i++) {
        const lc_type *ty = t->cols[ix->cols[i]].type;
        int r = lc_bsatn_cmp(ty, table_col_ptr(t, row, ix->cols[i]), q);
        if (r) return r;
        q += lc_bsatn_size(ty, q);
    }
    if (p->val) {
        u16 c = ix->cols[p->prefix_elems];
        return lc_bsatn_cmp(t->cols[c].type, table_col_ptr(t, row, c), p->val);
    }
    return 0;
}

/* Sign of (entry si of chunk ch) - target. */
static int cmp_entry(const store_index *ix, const store_ix_chunk *ch, u32 si,
                     const ix_target *tg)
{
    int r;
    if (ix->is_int) {
        if (tg->kind == TG_PROBE) {
            if (!tg->p->has_int) return 0;
            u64 k = ch->keys[si];
            return k < tg->p->int_key ? -1 : k > tg->p->int_key;
        }
        u64 k = ch->keys[si];
        r = k < tg->key ? -1 : k > tg->key;
    } else {
        u32 len;
        const u8 *row = table_row(ix->t, ch->rids[si], &len);
        r = tg->kind == TG_PROBE ? cmp_probe(ix, row, tg->p) : cmp_rows(ix, row, tg->row);
    }
    if (r || tg->kind == TG_PROBE || !tg->use_rid) return r;
    return ch->rids[si] < tg->rid ? -1 : ch->rids[si] > tg->rid;
}

/* First i in a[0..n) with a[i] >= k (n when none); branch-free so the CPU does not stall on
 * mispredicted comparisons of random keys. */
static inline u32 lower_bound_u64(const u64 *a, u32 n, u64 k)
{
    if (n == 0) return 0;
    u32 lo = 0;
    while (n > 1) {
        u32 half = n >> 1;
        lo = a[lo + half - 1] < k ? lo + half : lo;
        n -= half;
    }
    return lo + (a[lo] < k);
}

/* First position whose entry compares > target (strict) or >= target. */
static store_ixpos search(const store_index *ix, const ix_target *tg, bool is_strict)
{
    if (ix->is_int && ix->is_unique && tg->kind == TG_ROW && !is_strict) {
        /* one entry per key: ordering by (key, rid) is ordering by key */
        u32 ci = lower_bound_u64(ix->dir_last, ix->chunk_count, tg->key);
        store_ixpos pos = {ci, 0};
        if (ci < ix->chunk_count)
            pos.si = lower_bound_u64(ix->chunks[ci]->keys, ix->chunks[ci]->n, tg->key);
        return pos;
    }
    u32 lo = 0, hi = ix->chunk_count;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        int r = 0;
        if (ix->is_int && (tg->kind == TG_ROW || tg->p->has_int)) {
            u64 k = ix->dir_last[mid], tk = tg->kind == TG_ROW ? tg->key : tg->p->int_key;
            r = k < tk ? -1 : k > tk; /* decided without touching the chunk unless equal */
        }
        if (r == 0) r = cmp_entry(ix, ix->chunks[mid], ix->chunks[mid]->n - 1, tg);
        if (is_strict ? r > 0 : r >= 0) hi = mid;
        else lo = mid + 1;
    }
    store_ixpos pos = {lo, 0};
    if (lo == ix->chunk_count) return pos;
    const store_ix_chunk *ch = ix->chunks[lo];
    u32 a = 0, b = ch->n - 1; /* the last entry is known to satisfy */
    while (a < b) {
        u32 mid = a + (b - a) / 2;
        int r = cmp_entry(ix, ch, mid, tg);
        if (is_strict ? r > 0 : r >= 0) b = mid;
        else a = mid + 1;
    }
    pos.si = a;
    return pos;
}

static ix_target target_of(const store_index *ix, u32 rid, bool use_rid)
{
    u32 len;
    const u8 *row = table_row(ix->t, rid, &len);
    ix_target tg = {.kind = TG_ROW, .row = row, .rid = rid, .use_rid = use_rid};
    if (ix->is_int) tg.key = index_key_norm(ix, row + ix->int_off);
    return tg;
}

/* ---- the unique int-mode hash (see store_index.hmap) ---- */

static u64 rid_key(const store_index *ix, u32 rid)
{
    u32 len;
    return index_key_norm(ix, table_row(ix->t, rid, &len) + ix->int_off);
}

#define HM_TOMB UINT32_MAX /* a deleted entry; rid + 1 never reaches it */

/* Fibonacci hashing: consecutive keys (ids from a sequence) land in distinct, spread-out
 * slots, so probes rarely need to look at a second row. */
static inline u32 hm_home(u64 key, u32 cap)
{
    return (u32)((key * 0x9e3779b97f4a7c15ull) >> (64 - __builtin_ctz(cap)));
}

static void hmap_place(u32 *m, u32 cap, u64 key, u32 rid)
{
    u32 i = hm_home(key, cap);
    while (m[i] && m[i] != HM_TOMB) i = (i + 1) & (cap - 1);
    m[i] = rid + 1;
}

/* Rebuilds at the capacity that keeps live entries at most half full, dropping tombstones. */
static int hmap_rebuild(store_index *ix, u32 want_n)
{
    u32 cap = 64;
    while (cap / 2 < want_n) cap *= 2;
    u32 *m = lc_calloc(cap, sizeof *m);
    if (!m) return LC_ENOMEM;
    for (u32 i = 0; i < ix->hcap; i++) {
        u32 v = ix->hmap[i];
        if (v && v != HM_TOMB) hmap_place(m, cap, rid_key(ix, v - 1), v - 1);
    }
    lc_free(ix->hmap);
    ix->hmap = m;
    ix->hcap = cap;
    ix->htomb = 0;
    return 0;
}

static int hmap_add(store_index *ix, u32 rid)
{
    if ((ix->hn + ix->htomb + 1) * 4 > ix->hcap * 3) {
        int rc = hmap_rebuild(ix, ix->hn + 1);
        if (rc) return rc;
    }
    u64 key = rid_key(ix, rid);
    u32 i = hm_home(key, ix->hcap);
    while (ix->hmap[i] && ix->hmap[i] != HM_TOMB) i = (i + 1) & (ix->hcap - 1);
    if (ix->hmap[i] == HM_TOMB) ix->htomb--;
    ix->hmap[i] = rid + 1;
    ix->hn++;
    return 0;
}

static void hmap_del(store_index *ix, u32 rid)
{
    u32 mask = ix->hcap - 1;
    u32 i = hm_home(rid_key(ix, rid), ix->hcap);
    while (ix->hmap[i] != rid + 1) {
        LC_ASSERT(ix->hmap[i] != 0);
        i = (i + 1) & mask;
    }
    ix->hmap[i] = HM_TOMB;
    ix->hn--;
    ix->htomb++;
}

static u32 hmap_find(const store_index *ix, u64 k)
{
    if (!ix->hcap) return UINT32_MAX;
    u32 mask = ix->hcap - 1;
    for (u32 i = hm_home(k, ix->hcap); ix->hmap[i]; i = (i + 1) & mask) {
        u32 v = ix->hmap[i];
        if (v != HM_TOMB && rid_key(ix, v - 1) == k) return v - 1;
    }
    return UINT32_MAX;
}

static int dir_insert(store_index *ix, u32 at, store_ix_chunk *ch)
{
    if (ix->chunk_count == ix->chunk_cap) {
        u32 cap = ix->chunk_cap ? ix->chunk_cap * 2 : 4;
        store_ix_chunk **d = lc_realloc(ix->chunks, cap * sizeof *d);
        if (!d) return LC_ENOMEM;
        ix->chunks = d;
        if (ix->is_int) {
            u64 *dl = lc_realloc(ix->dir_last, cap * sizeof *dl);
            if (!dl) return LC_ENOMEM;
            ix->dir_last = dl;
        }
        ix->chunk_cap = cap;
    }
    memmove(ix->chunks + at + 1, ix->chunks + at, (ix->chunk_count - at) * sizeof *ix->chunks);
    if (ix->is_int)
        memmove(ix->dir_last + at + 1, ix->dir_last + at,
                (ix->chunk_count - at) * sizeof *ix->dir_last);
    ix->chunks[at] = ch;
    ix->chunk_count++;
    return 0;
}

static void chunk_put(const store_index *ix, store_ix_chunk *ch, u32 si, u32 rid, u64 key)
{
    LC_DEBUG_ASSERT(ch->n < STORE_IX_CHUNK && si <= ch->n);
    memmove(ch->rids + si + 1, ch->rids + si, (ch->n - si) * sizeof(u32));
    ch->rids[si] = rid;
    if (ix->is_int) {
        memmove(ch->keys + si + 1, ch->keys + si, (ch->n - si) * sizeof(u64));
        ch->keys[si] = key;
    }
    ch->n++;
}

static void dir_sync(store_index *ix, u32 ci)
{
    const store_ix_chunk *ch = ix->chunks[ci];
    if (ix->is_int && ch->n) ix->dir_last[ci] = ch->keys[ch->n - 1];
}

/* Splits full chunk ci; moves entries [keep, n) into a new chunk after it. */
static int chunk_split(store_index *ix, u32 ci, u32 keep)
{
    store_ix_chunk *ch = ix->chunks[ci];
    store_ix_chunk *nc = lc_alloc(chunk_bytes(ix));
    if (!nc) return LC_ENOMEM;
    nc->n = ch->n - keep;
    memcpy(nc->rids, ch->rids + keep, nc->n * sizeof(u32));
    if (ix->is_int) memcpy(nc->keys, ch->keys + keep, nc->n * sizeof(u64));
    int rc = dir_insert(ix, ci + 1, nc);
    if (rc) {
        lc_free(nc);
        return rc;
    }
    ch->n = keep;
    dir_sync(ix, ci);
    dir_sync(ix, ci + 1);
    return 0;
}

static int ordered_insert(store_index *ix, u32 rid)
{
    ix_target tg = target_of(ix, rid, true);
    if (ix->chunk_count == 0) {
        store_ix_chunk *ch = lc_alloc(chunk_bytes(ix));
        if (!ch) return LC_ENOMEM;
        ch->n = 0;
        int rc = dir_insert(ix, 0, ch);
        if (rc) {
            lc_free(ch);
            return rc;
        }
        chunk_put(ix, ch, 0, rid, tg.key);
        dir_sync(ix, 0);
        ix->count++;
        return 0;
    }
    store_ixpos pos = search(ix, &tg, false);
    if (pos.ci == ix->chunk_count) {
        pos.ci = ix->chunk_count - 1;
        pos.si = ix->chunks[pos.ci]->n;
    }
    if (ix->chunks[pos.ci]->n == STORE_IX_CHUNK) {
        bool is_append = pos.ci == ix->chunk_count - 1 && pos.si == STORE_IX_CHUNK;
        u32 keep = is_append ? STORE_IX_CHUNK : STORE_IX_CHUNK / 2;
        if (is_append) {
            store_ix_chunk *nc = lc_alloc(chunk_bytes(ix));
            if (!nc) return LC_ENOMEM;
            nc->n = 0;
            int rc = dir_insert(ix, pos.ci + 1, nc);
            if (rc) {
                lc_free(nc);
                return rc;
            }
        } else {
            int rc = chunk_split(ix, pos.ci, keep);
            if (rc) return rc;
        }
        if (pos.si >= keep) {
            pos.ci++;
            pos.si -= keep;
        }
    }
    chunk_put(ix, ix->chunks[pos.ci], pos.si, rid, tg.key);
    dir_sync(ix, pos.ci);
    ix->count++;
    return 0;
}

static void ordered_remove(store_index *ix, u32 rid);

int index_insert(store_index *ix, u32 rid)
{
    int rc = ordered_insert(ix, rid);
    if (rc || !(ix->is_int && ix->is_unique)) return rc;
    rc = hmap_add(ix, rid);
    if (rc) ordered_remove(ix, rid);
    return rc;
}

void index_remove(store_index *ix, u32 rid)
{
    if (ix->is_int && ix->is_unique) hmap_del(ix, rid);
    ordered_remove(ix, rid);
}

static void ordered_remove(store_index *ix, u32 rid)
{
    ix_target tg = target_of(ix, rid, true);
    store_ixpos pos = search(ix, &tg, false);
    LC_ASSERT(pos.ci < ix->chunk_count);
    store_ix_chunk *ch = ix->chunks[pos.ci];
    LC_ASSERT(ch->rids[pos.si] == rid);
    u32 tail = ch->n - pos.si - 1;
    memmove(ch->rids + pos.si, ch->rids + pos.si + 1, tail * sizeof(u32));
    if (ix->is_int) memmove(ch->keys + pos.si, ch->keys + pos.si + 1, tail * sizeof(u64));
    ch->n--;
    ix->count--;
    if (ch->n == 0) {
        lc_free(ch);
        memmove(ix->chunks + pos.ci, ix->chunks + pos.ci + 1,
                (ix->chunk_count - pos.ci - 1) * sizeof *ix->chunks);
        if (ix->is_int)
            memmove(ix->dir_last + pos.ci, ix->dir_last + pos.ci + 1,
                    (ix->chunk_count - pos.ci - 1) * sizeof *ix->dir_last);
        ix->chunk_count--;
    } else {
        dir_sync(ix, pos.ci);
    }
}

static store_ixpos pos_next(const store_index *ix, store_ixpos p)
{
    if (++p.si >= ix->chunks[p.ci]->n) {
        p.ci++;
        p.si = 0;
    }
    return p;
}

u32 index_find_row_key(store_index *ix, const u8 *row, u32 skip_rid)
{
    if (ix->is_int && ix->is_unique) { /* one hash probe */
        u32 rid = index_int_find(ix, index_key_norm(ix, row + ix->int_off), false);
        return rid == skip_rid ? UINT32_MAX : rid;
    }
    ix_target tg = {.kind = TG_ROW, .row = row, .use_rid = false};
    if (ix->is_int) tg.key = index_key_norm(ix, row + ix->int_off);
    store_ixpos p = search(ix, &tg, false);
    while (p.ci < ix->chunk_count) {
        const store_ix_chunk *ch = ix->chunks[p.ci];
        if (cmp_entry(ix, ch, p.si, &tg) != 0) return UINT32_MAX;
        if (ch->rids[p.si] != skip_rid) return ch->rids[p.si];
        p = pos_next(ix, p);
    }
    return UINT32_MAX;
}

static bool hint_ok(const store_index *ix, u32 rid, u64 k)
{
    if (!table_is_live(ix->t, rid)) return false;
    u32 len;
    const u8 *row = table_row(ix->t, rid, &len);
    return index_key_norm(ix, row + ix->int_off) == k;
}

static u32 int_find_slow(const store_index *ix, u64 k);

u32 index_int_find(store_index *ix, u64 k, bool may_hint)
{
    LC_DEBUG_ASSERT(ix->is_int);
    if (ix->is_unique) {
        for (int i = 0; i < 2; i++)
            if (ix->hint_key[i] == k && hint_ok(ix, ix->hint_rid[i], k)) return ix->hint_rid[i];
    }
    u32 rid = ix->hcap ? hmap_find(ix, k) : int_find_slow(ix, k);
    if (rid != UINT32_MAX && ix->is_unique && may_hint) {
        ix->hint_key[ix->hint_next] = k;
        ix->hint_rid[ix->hint_next] = rid;
        ix->hint_next ^= 1;
    }
    return rid;
}

static u32 int_find_slow(const store_index *ix, u64 k)
{
    u32 ci = lower_bound_u64(ix->dir_last, ix->chunk_count, k);
    if (ci == ix->chunk_count) return UINT32_MAX;
    const store_ix_chunk *ch = ix->chunks[ci];
    u32 j = lower_bound_u64(ch->keys, ch->n, k);
    return j < ch->n && ch->keys[j] == k ? ch->rids[j] : UINT32_MAX;
}

store_ixpos index_bound(const store_index *ix, const store_probe *p, bool is_strict)
{
    ix_target tg = {.kind = TG_PROBE, .p = p};
    return search(ix, &tg, is_strict);
}

int index_collect(const store_index *ix, store_ixpos from, store_ixpos to, u32 **out_rids,
                  u32 *out_count)
{
    *out_rids = NULL;
    *out_count = 0;
    u64 n = 0;
    for (store_ixpos p = from; p.ci < to.ci || (p.ci == to.ci && p.si < to.si);) {
        u32 end = p.ci < to.ci ? ix->chunks[p.ci]->n : to.si;
        n += end - p.si;
        p.ci++;
        p.si = 0;
    }
    if (!n) return 0;
    u32 *rids = lc_alloc(n * sizeof *rids);
    if (!rids) return LC_ENOMEM;
    u64 k = 0;
    for (store_ixpos p = from; p.ci < to.ci || (p.ci == to.ci && p.si < to.si);) {
        u32 end = p.ci < to.ci ? ix->chunks[p.ci]->n : to.si;
        memcpy(rids + k, ix->chunks[p.ci]->rids + p.si, (end - p.si) * sizeof(u32));
        k += end - p.si;
        p.ci++;
        p.si = 0;
    }
    *out_rids = rids;
    *out_count = (u32)n;
    return 0;
}

bool index_check(const store_index *ix)
{
    u64 n = 0;
    const store_ix_chunk *prev = NULL;
    u32 prev_si = 0;
    for (u32 ci = 0; ci < ix->chunk_count; ci++) {
        const store_ix_chunk *ch = ix->chunks[ci];
        if (ch->n == 0 || ch->n > STORE_IX_CHUNK) return false;
        if (ix->is_int && ix->dir_last[ci] != ch->keys[ch->n - 1]) return false;
        for (u32 si = 0; si < ch->n; si++) {
            u32 rid = ch->rids[si];
            if (!table_is_live(ix->t, rid)) return false;
            ix_target tg = target_of(ix, rid, true);
            if (ix->is_int && ch->keys[si] != tg.key) return false;
            if (prev) {
                if (cmp_entry(ix, prev, prev_si, &tg) >= 0) return false;
                tg.use_rid = false;
                if (ix->is_unique && cmp_entry(ix, prev, prev_si, &tg) == 0) return false;
            }
            prev = ch;
            prev_si = si;
            n++;
        }
    }
    if (ix->is_int && ix->is_unique) {
        if (ix->hn != n) return false;
        for (u32 i = 0; i < ix->hcap; i++) {
            u32 v = ix->hmap[i];
            if (v && v != HM_TOMB && hmap_find(ix, rid_key(ix, v - 1)) != v - 1) return false;
        }
    }
    return n == ix->count && n == ix->t->row_count;
}

bool index_same_key(const store_index *ix, const u8 *a, const u8 *b)
{
    if (ix->is_int)
        return index_key_norm(ix, a + ix->int_off) == index_key_norm(ix, b + ix->int_off);
    return cmp_rows(ix, a, b) == 0;
}

u64 index_mem_bytes(const store_index *ix)
{
    return (u64)ix->chunk_count * chunk_bytes(ix) +
           (u64)ix->chunk_cap * (sizeof(void *) + (ix->is_int ? 8 : 0)) + (u64)ix->hcap * 4 +
           sizeof *ix;
}
