/*
 * store/txdata.c — TxData: building it at commit, encoding it as SpacetimeDB's Txdata record,
 * and replaying such records (recovery).
 *
 * Building (txn_build_txdata). Each row id touched by the transaction is judged once, at its
 * first undo record: its committed bytes before the transaction (INSERT: none; UPDATE: the
 * saved old bytes; DELETE: the slot, untouched since) against its bytes now (the slot if live,
 * else none). Different -> a net delete of the old and/or a net insert of the new. Then, per
 * table, a net insert byte-identical to a net delete cancels both (delete then re-insert of the
 * same row is no change). Tables are sorted by id; a table that ends empty after deletes is
 * flagged truncated. Rows are copied into one buffer (s->td_bytes) so the TxData stays valid
 * after the slots are freed.
 *
 * Encoding (spec-engine-semantics §2.3):
 *   u8 flags (0x80 inputs, 0x20 mutations)
 *   [inputs]    u32 len | u8 name_len | name | args          (len = 1 + name_len + args)
 *   [mutations] varint n | n x { u32 table_id | varint rows | rows }   inserts
 *               varint n | n x { u32 table_id | varint rows | rows }   deletes (not truncated)
 *               varint n | n x u32 table_id                           truncates
 *
 * Replay (store_txdata_apply), in one write transaction, rolled back on any error:
 *   1. insert groups of system tables (ids < 4096), a unique conflict replacing the old row
 *      (an st_sequence update is delete old + insert new, and inserts come first in the
 *      record); then catalog_reconcile builds any table/index/sequence they describe;
 *   2. the remaining insert groups are parsed (rows validated at their table's type);
 *   3. deletes (a missing system row is tolerated: step 1 replaced it), truncates;
 *   4. user-table inserts; reconcile again if st_* rows were deleted.
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/hash.h"
#include "base/limits.h"
#include "store/store_int.h"

/* ---- build ---- */

static int tmp_reserve(store *s, u64 n)
{
    if (n <= s->tmp_cap) return 0;
    if (n > UINT32_MAX / 2) return LC_ELIMIT;
    u64 *p = lc_realloc(s->tmp, n * sizeof *p);
    if (!p) return LC_ENOMEM;
    s->tmp = p;
    s->tmp_cap = (u32)n;
    return 0;
}

static void sort_touched(store *s)
{
    for (u32 i = 1; i < s->touched_count; i++) {
        store_table *t = s->touched[i];
        u32 j = i;
        while (j > 0 && s->touched[j - 1]->id > t->id) {
            s->touched[j] = s->touched[j - 1];
            j--;
        }
        s->touched[j] = t;
    }
    for (u32 i = 0; i < s->touched_count; i++) s->touched[i]->tx_mark = i + 1;
}

/* Row references in the net lists: a row id (bytes in its slot), or REF_OLD | undo index (the
 * old bytes saved by an UPDATE record). REF_GONE marks a cancelled entry. */
#define REF_GONE (1ull << 63)
#define REF_OLD (1ull << 62)

static const u8 *ref_bytes(const store *s, const store_table *t, u64 ref, u32 *out_len)
{
    if (!(ref & REF_OLD)) return table_row(t, (u32)ref, out_len);
    const store_undo *u = &s->undo[(u32)ref];
    if (t->row_fixed >= 0) {
        *out_len = (u32)t->row_fixed;
        return s->undo_bytes.data + u->aux;
    }
    const u8 *blk = (const u8 *)(uintptr_t)u->aux;
    *out_len = lc_load_u32(blk);
    return blk + 4;
}

/* Map (tx_mark, rid) -> index of the row's first undo record: keys in m[0..cap), values in
 * m[cap..2cap). */
static u32 first_get(const u64 *m, u32 cap, u64 key)
{
    for (u32 i = (u32)lc_hash_u64(key) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (m[i] == key) return (u32)m[cap + i];
}

static void first_put(u64 *m, u32 cap, u64 key, u32 idx)
{
    u32 i = (u32)lc_hash_u64(key) & (cap - 1);
    while (m[i] && m[i] != key) i = (i + 1) & (cap - 1);
    if (m[i]) return; /* keep the first */
    m[i] = key;
    m[cap + i] = idx;
}

static int offs_push(store *s, u32 off)
{
    if (s->td_offs_n == s->td_offs_cap) {
        u32 cap = s->td_offs_cap ? s->td_offs_cap * 2 : 64;
        u32 *o = lc_realloc(s->td_offs, cap * sizeof *o);
        if (!o) return LC_ENOMEM;
        s->td_offs = o;
        s->td_offs_cap = cap;
    }
    s->td_offs[s->td_offs_n++] = off;
    return 0;
}

static bool ref_equal(const store *s, const store_table *t, u64 a, u64 b)
{
    u32 la, lb;
    const u8 *ra = ref_bytes(s, t, a, &la), *rb = ref_bytes(s, t, b, &lb);
    return la == lb && memcmp(ra, rb, la) == 0;
}

/* Cancels byte-identical pairs between net inserts and net deletes (a row deleted and an
 * identical row inserted in the same transaction). Small lists: pairwise; large: hashed. */
static int net_identical(const store *s, const store_table *t, u64 *ins, u32 ni, u64 *del,
                         u32 nd)
{
    if ((u64)ni * nd <= 4096) {
        for (u32 a = 0; a < ni; a++)
            for (u32 b = 0; b < nd; b++)
                if (!(del[b] & REF_GONE) && ref_equal(s, t, ins[a], del[b])) {
                    ins[a] |= REF_GONE;
                    del[b] |= REF_GONE;
                    break;
                }
        return 0;
    }
    u32 cap = 16;
    while (cap < (u64)nd * 2) cap *= 2;
    u32 *h = lc_calloc(cap, sizeof *h);
    if (!h) return LC_ENOMEM;
    for (u32 b = 0; b < nd; b++) {
        u32 lb;
        const u8 *rb = ref_bytes(s, t, del[b], &lb);
        u32 i = (u32)lc_hash_bytes(rb, lb, 7) & (cap - 1);
        while (h[i]) i = (i + 1) & (cap - 1);
        h[i] = b + 1;
    }
    for (u32 a = 0; a < ni; a++) {
        u32 la;
        const u8 *ra = ref_bytes(s, t, ins[a], &la);
        for (u32 i = (u32)lc_hash_bytes(ra, la, 7) & (cap - 1); h[i]; i = (i + 1) & (cap - 1)) {
            u64 *d = &del[h[i] - 1];
            if (!(*d & REF_GONE) && ref_equal(s, t, ins[a], *d)) {
                ins[a] |= REF_GONE;
                *d |= REF_GONE;
                break;
            }
        }
    }
    lc_free(h);
    return 0;
}

static int emit_rows(store *s, const store_table *t, const u64 *refs, u32 n, u32 *out_count)
{
    u32 k = 0;
    for (u32 i = 0; i < n; i++) {
        if (refs[i] & REF_GONE) continue;
        u32 len;
        const u8 *r = ref_bytes(s, t, refs[i], &len);
        int rc = offs_push(s, (u32)s->td_bytes.len);
        if (rc) return rc;
        lc_buf_put(&s->td_bytes, r, len);
        k++;
    }
    *out_count = k;
    return offs_push(s, (u32)s->td_bytes.len);
}

static int emit_table(store *s, store_table *t, u64 *ins, u32 ni, u64 *del, u32 nd)
{
    if (ni && nd) {
        int rc = net_identical(s, t, ins, ni, del, nd);
        if (rc) return rc;
    }
    if (s->td.table_count == s->td_cap) {
        u32 cap = s->td_cap ? s->td_cap * 2 : 16;
        store_txdata_table *tt = lc_realloc(s->td_tables, cap * sizeof *tt);
        if (!tt) return LC_ENOMEM;
        s->td_tables = tt;
        s->td_cap = cap;
    }
    store_txdata_table *e = &s->td_tables[s->td.table_count];
    *e = (store_txdata_table){.table_id = t->id};
    /* offs hold indexes into td_offs until the end (td_offs may move) */
    e->inserts.offs = (const u32 *)(uintptr_t)s->td_offs_n;
    int rc = emit_rows(s, t, ins, ni, &e->inserts.count);
    if (rc) return rc;
    e->deletes.offs = (const u32 *)(uintptr_t)s->td_offs_n;
    rc = emit_rows(s, t, del, nd, &e->deletes.count);
    if (rc) return rc;
    if (!e->inserts.count && !e->deletes.count) return 0;
    e->is_truncated = e->deletes.count && t->row_count == 0;
    s->td.table_count++;
    return 0;
}

/* Net change of table t: each row id is judged once, at its first undo record: its committed
 * bytes before the txn (none after INSERT; the saved old bytes for UPDATE; the slot for DELETE,
 * whose bytes are untouched) against its bytes now (the slot if live, else none). */
static int table_net(store *s, store_table *t, const u64 *first, u32 cap, u64 *lst)
{
    u32 n = s->undo_count, ni = 0, nd = 0;
    for (u32 i = 0; i < n; i++) {
        const store_undo *u = &s->undo[i];
        if (u->t != t || first_get(first, cap, (u64)t->tx_mark << 32 | u->rid) != i) continue;
        bool is_live = table_is_live(t, u->rid);
        if (u->op == STORE_UNDO_INSERT) {
            if (is_live) lst[ni++] = u->rid;
            continue;
        }
        u64 before = u->op == STORE_UNDO_UPDATE ? REF_OLD | i : u->rid;
        if (is_live && ref_equal(s, t, before, u->rid)) continue;
        lst[n + nd++] = before;
        if (is_live) lst[ni++] = u->rid;
    }
    return emit_table(s, t, lst, ni, lst + n, nd);
}

int txn_build_txdata(store *s)
{
    s->td = (store_txdata){0};
    s->td_offs_n = 0;
    lc_buf_reset(&s->td_bytes);
    sort_touched(s);
    u32 n = s->undo_count, cap = 16;
    while (cap < n * 2 + 2) cap *= 2;
    int rc = tmp_reserve(s, (u64)cap * 2 + (u64)n * 2);
    if (rc) return rc;
    u64 *first = s->tmp, *lst = s->tmp + 2 * (u64)cap;
    memset(first, 0, cap * sizeof *first);
    for (u32 i = 0; i < n; i++)
        first_put(first, cap, (u64)s->undo[i].t->tx_mark << 32 | s->undo[i].rid, i);
    for (u32 ti = 0; ti < s->touched_count && !rc; ti++)
        rc = table_net(s, s->touched[ti], first, cap, lst);
    if (rc) return rc;
    if (s->td_bytes.err) return s->td_bytes.err;
    for (u32 i = 0; i < s->td.table_count; i++) {
        store_txdata_table *e = &s->td_tables[i];
        e->inserts.offs = s->td_offs + (uintptr_t)e->inserts.offs;
        e->deletes.offs = s->td_offs + (uintptr_t)e->deletes.offs;
        e->inserts.bytes = e->deletes.bytes = s->td_bytes.data;
    }
    s->td.tables = s->td_tables;
    s->td.has_offset = s->td.table_count > 0;
    return 0;
}

/* ---- encode ---- */

static void put_group(lc_buf *out, u32 table_id, const store_rows *r)
{
    lc_buf_put_u32(out, table_id);
    lc_buf_put_varint(out, r->count);
    if (r->count)
        lc_buf_put(out, r->bytes + r->offs[0], r->offs[r->count] - r->offs[0]);
}

void store_txdata_encode(const store_txdata *td, const store_inputs *inputs, lc_buf *out)
{
    u8 flags = (inputs ? 0x80 : 0) | (td->table_count ? 0x20 : 0);
    lc_buf_put_u8(out, flags);
    if (inputs) {
        u32 nl = inputs->name_len > 255 ? 255 : inputs->name_len;
        lc_buf_put_u32(out, 1 + nl + inputs->args_len);
        lc_buf_put_u8(out, (u8)nl);
        lc_buf_put(out, inputs->reducer_name, nl);
        lc_buf_put(out, inputs->args, inputs->args_len);
    }
    if (!td->table_count) return;
    u32 n = 0;
    for (u32 i = 0; i < td->table_count; i++) n += td->tables[i].inserts.count > 0;
    lc_buf_put_varint(out, n);
    for (u32 i = 0; i < td->table_count; i++)
        if (td->tables[i].inserts.count)
            put_group(out, td->tables[i].table_id, &td->tables[i].inserts);
    n = 0;
    for (u32 i = 0; i < td->table_count; i++)
        n += td->tables[i].deletes.count > 0 && !td->tables[i].is_truncated;
    lc_buf_put_varint(out, n);
    for (u32 i = 0; i < td->table_count; i++)
        if (td->tables[i].deletes.count && !td->tables[i].is_truncated)
            put_group(out, td->tables[i].table_id, &td->tables[i].deletes);
    n = 0;
    for (u32 i = 0; i < td->table_count; i++) n += td->tables[i].is_truncated;
    lc_buf_put_varint(out, n);
    for (u32 i = 0; i < td->table_count; i++)
        if (td->tables[i].is_truncated) lc_buf_put_u32(out, td->tables[i].table_id);
}

/* ---- replay ---- */

/* Validates `count` rows of t at r and returns a pointer to them (advancing r). */
static int rows_take(store_table *t, lc_rd *r, u64 count, const u8 **out_p, lc_errbuf *eb)
{
    *out_p = r->p;
    for (u64 i = 0; i < count; i++) {
        int rc = lc_bsatn_validate(t->row_type, r, eb);
        if (rc) return lc_errf(eb, LC_ECORRUPT, "bad row %llu of table %u", (unsigned long long)i,
                               t->id);
    }
    return 0;
}

/* Replay pairs a delete and an insert of the same key into one in-place update (no index
 * work) in tables whose only unique index is an integer one: their deletes are held as
 * pending (a set of table id << 32 | rid + 1) until the inserts ran; unpaired ones are then
 * applied. Other tables apply deletes at once. Valid logs never need more: the writer emits
 * each row's net change once. */
typedef struct pending {
    u64 *keys; /* 0 empty */
    u8 *used;
    u32 cap, n;
} pending;

typedef int (*apply_row_fn)(store *s, store_table *t, const u8 *row, u32 len, pending *pd);

/* Applies `count` validated rows at p with fn. */
static int rows_apply(store *s, store_table *t, const u8 *p, u64 count, apply_row_fn fn,
                      pending *pd)
{
    lc_rd r;
    lc_rd_init(&r, p, LC_CLOG_RECORD_MAX);
    for (u64 i = 0; i < count; i++) {
        const u8 *row = r.p;
        lc_bsatn_skip(t->row_type, &r);
        int rc = fn(s, t, row, (u32)(r.p - row), pd);
        if (rc) return rc;
    }
    return 0;
}

static store_index *pair_index(const store_table *t)
{
    if (t->is_system || t->unique_ix_count != 1) return NULL;
    for (u32 i = 0; i < t->ix_count; i++)
        if (t->ixs[i]->is_unique) return t->ixs[i]->is_int ? t->ixs[i] : NULL;
    return NULL;
}

static u32 pend_slot(const pending *pd, u64 key)
{
    u32 i = (u32)lc_hash_u64(key) & (pd->cap - 1);
    while (pd->keys[i] && pd->keys[i] != key) i = (i + 1) & (pd->cap - 1);
    return i;
}

static int pend_add(pending *pd, u64 key)
{
    if ((pd->n + 1) * 2 > pd->cap) {
        u32 cap = pd->cap ? pd->cap * 2 : 64;
        u64 *k = lc_calloc(cap, sizeof *k);
        u8 *u = lc_calloc(cap, 1);
        if (!k || !u) {
            lc_free(k);
            lc_free(u);
            return LC_ENOMEM;
        }
        pending np = {k, u, cap, 0};
        for (u32 i = 0; i < pd->cap; i++)
            if (pd->keys[i]) {
                u32 j = pend_slot(&np, pd->keys[i]);
                np.keys[j] = pd->keys[i];
                np.used[j] = pd->used[i];
                np.n++;
            }
        lc_free(pd->keys);
        lc_free(pd->used);
        *pd = np;
    }
    u32 i = pend_slot(pd, key);
    if (!pd->keys[i]) pd->n++;
    pd->keys[i] = key;
    return 0;
}

static int apply_insert(store *s, store_table *t, const u8 *row, u32 len, pending *pd)
{
    store_index *ix = pd->n ? pair_index(t) : NULL;
    if (ix) {
        u32 rid = index_int_find(ix, index_key_norm(ix, row + ix->int_off), false);
        u64 key = (u64)t->id << 32 | (rid + 1u);
        u32 i = rid == UINT32_MAX ? 0 : pend_slot(pd, key);
        if (rid != UINT32_MAX && pd->keys[i] == key && !pd->used[i]) {
            pd->used[i] = 1;
            return txn_update_rid(s, t, rid, row, len);
        }
    }
    return txn_insert_replay(s, t, row, len);
}

static int apply_delete(store *s, store_table *t, const u8 *row, u32 len, pending *pd)
{
    u32 rid = table_find_equal(t, row, len);
    if (rid == UINT32_MAX) return t->is_system ? 0 : LC_ECORRUPT;
    if (pair_index(t)) return pend_add(pd, (u64)t->id << 32 | (rid + 1u));
    return txn_delete_rid(s, t, rid);
}

/* Deletes the pending rows no insert paired with. */
static int pend_finish(store *s, pending *pd)
{
    for (u32 i = 0; i < pd->cap; i++) {
        if (!pd->keys[i] || pd->used[i]) continue;
        store_table *t = store_table_get(s, (u32)(pd->keys[i] >> 32));
        u32 rid = (u32)pd->keys[i] - 1;
        if (!t || !table_is_live(t, rid)) continue; /* truncated in the same record */
        int rc = txn_delete_rid(s, t, rid);
        if (rc) return rc;
    }
    return 0;
}

typedef struct group {
    store_table *t;
    u64 count;
    const u8 *rows;
} group;

static int group_read(store *s, lc_rd *r, group *g, lc_errbuf *eb)
{
    u32 id = lc_rd_u32(r);
    g->count = lc_rd_varint(r);
    if (r->err) return lc_errf(eb, LC_ECORRUPT, "txdata truncated");
    g->t = store_table_get(s, id);
    if (!g->t) return lc_errf(eb, LC_ECORRUPT, "txdata names unknown table %u", id);
    /* a row costs at least one byte, except in a table of zero-size rows, which by set
     * semantics holds at most one row */
    if (g->count > lc_rd_left(r) && (g->t->row_fixed != 0 || g->count > 1))
        return lc_errf(eb, LC_ECORRUPT, "txdata row count %llu too big",
                       (unsigned long long)g->count);
    return rows_take(g->t, r, g->count, &g->rows, eb);
}

static int skip_inputs(lc_rd *r, u8 flags, lc_errbuf *eb)
{
    if (flags & 0x80) {
        u32 len = lc_rd_u32(r);
        lc_rd_take(r, len);
    }
    if (flags & 0x40) lc_rd_take(r, lc_rd_u8(r));
    if (r->err) return lc_errf(eb, LC_ECORRUPT, "txdata inputs truncated");
    return 0;
}

/* Steps 1-2: inserts (system groups applied at once, user groups kept in *users). */
static int apply_inserts(store *s, lc_rd *r, group **users, u64 *user_n, lc_errbuf *eb)
{
    pending empty = {0};
    u64 n = lc_rd_varint(r);
    if (r->err || n > lc_rd_left(r)) return lc_errf(eb, LC_ECORRUPT, "bad insert group count");
    *users = n ? lc_calloc(n, sizeof **users) : NULL;
    if (n && !*users) return LC_ENOMEM;
    *user_n = 0;
    bool is_reconciled = false;
    for (u64 i = 0; i < n; i++) {
        u32 id = lc_rd_left(r) >= 4 ? lc_load_u32(r->p) : 0; /* peek at the table id */
        if (id >= STORE_USER_TABLE_ID_MIN && !is_reconciled) {
            s->keep_dead_tables = true; /* the deletes below may still name them */
            int rc = s->catalog_dirty ? catalog_reconcile(s, eb) : 0;
            s->keep_dead_tables = false;
            if (rc) return rc;
            is_reconciled = true;
        }
        group g = {0};
        int rc = group_read(s, r, &g, eb);
        if (rc) return rc;
        if (g.t->is_system) rc = rows_apply(s, g.t, g.rows, g.count, apply_insert, &empty);
        else (*users)[(*user_n)++] = g;
        if (rc) return lc_errf(eb, LC_ECORRUPT, "replay insert into %u: %s", g.t->id,
                               lc_err_name(rc));
    }
    if (is_reconciled || !s->catalog_dirty) return 0;
    s->keep_dead_tables = true;
    int rc = catalog_reconcile(s, eb);
    s->keep_dead_tables = false;
    return rc;
}

static int apply_deletes(store *s, lc_rd *r, pending *pd, lc_errbuf *eb)
{
    u64 n = lc_rd_varint(r);
    if (r->err || n > lc_rd_left(r)) return lc_errf(eb, LC_ECORRUPT, "bad delete group count");
    for (u64 i = 0; i < n; i++) {
        group g = {0};
        int rc = group_read(s, r, &g, eb);
        if (!rc) rc = rows_apply(s, g.t, g.rows, g.count, apply_delete, pd);
        if (rc) return lc_errf(eb, rc, "replay delete from %u failed", g.t ? g.t->id : 0);
    }
    n = lc_rd_varint(r);
    if (r->err || n > lc_rd_left(r)) return lc_errf(eb, LC_ECORRUPT, "bad truncate count");
    for (u64 i = 0; i < n; i++) {
        store_table *t = store_table_get(s, lc_rd_u32(r));
        if (r->err || !t) return lc_errf(eb, LC_ECORRUPT, "bad truncate");
        for (u32 rid = 0; rid < t->slot_hw; rid++) {
            if (!table_is_live(t, rid)) continue;
            int rc = txn_delete_rid(s, t, rid);
            if (rc) return rc;
        }
    }
    return 0;
}

static int apply_body(store *s, lc_rd *r, lc_errbuf *eb)
{
    u8 flags = lc_rd_u8(r);
    int rc = skip_inputs(r, flags, eb);
    if (rc || !(flags & 0x20)) return rc;
    group *users = NULL;
    u64 user_n = 0;
    pending pd = {0};
    rc = apply_inserts(s, r, &users, &user_n, eb);
    if (!rc) rc = apply_deletes(s, r, &pd, eb);
    if (!rc && lc_rd_left(r)) rc = lc_errf(eb, LC_ECORRUPT, "trailing bytes after txdata");
    for (u64 i = 0; !rc && i < user_n; i++) {
        rc = rows_apply(s, users[i].t, users[i].rows, users[i].count, apply_insert, &pd);
        if (rc) rc = lc_errf(eb, LC_ECORRUPT, "replay insert into %u: %s", users[i].t->id,
                             lc_err_name(rc));
    }
    if (!rc) rc = pend_finish(s, &pd);
    lc_free(pd.keys);
    lc_free(pd.used);
    lc_free(users);
    if (!rc && s->catalog_dirty) rc = catalog_reconcile(s, eb);
    return rc;
}

int store_txdata_apply(store *s, u64 tx_offset, const u8 *p, size_t n, lc_errbuf *eb)
{
    if (n > LC_CLOG_RECORD_MAX) return lc_errf(eb, LC_ELIMIT, "txdata of %zu bytes", n);
    store_txn txn;
    store_txn_begin(&txn, s);
    s->is_replaying = true;
    lc_rd r;
    lc_rd_init(&r, p, n);
    int rc = apply_body(s, &r, eb);
    s->is_replaying = false;
    if (rc) {
        store_txn_abort(&txn);
        return rc;
    }
    txn_commit_finish(s);
    s->next_tx_offset = tx_offset + 1;
    pthread_rwlock_unlock(&s->lock);
    return 0;
}
