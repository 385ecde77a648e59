/*
 * server/subs.c — live subscriptions of one database (see subs.h for the design).
 *
 * Data:
 *   subs_client  one per connection that subscribed: owner (the loop's conn pointer),
 *                identity (binds :sender), its query sets {id, distinct subs_q list}.
 *   subs_q       one per compiled sub_query: the table's wire name and event flag, the
 *                (client, set id) pairs subscribing, and per-transaction scratch (the rows
 *                deleted / inserted, and their TableUpdateRows encoding). Found from a
 *                sub_query by an open-addressing pointer map, with a one-entry cache (the
 *                registry reports a query's rows consecutively). A query set holds exactly
 *                one sub_query reference per distinct query; the subs_q dies with the last.
 *
 * Commit (subs_on_commit): eval once -> encode each hit query once -> (client, set, table,
 * query) tuples sorted -> one TransactionUpdate per client (the caller's sets go aside for its
 * ReducerResult). A client with one hit set gets a 9-byte head [tag, 1, set id] and a reference
 * to a subs_shared tail made once per run of clients with the same hit queries (fan_shape:
 * clients are visited in registration order, so a one-entry cache serves the common case of
 * many clients subscribing alike); the loop writes that tail to each of them from one copy. Scratch buffers are kept between transactions, so a warm commit allocates
 * only the job's fan.
 *
 * Wire shapes written here (spec-client-protocol.md §2.5): BsatnRowList (FixedSize when every
 * row has the same length, RowOffsets otherwise, RowOffsets([]) when empty), SingleTableRows,
 * QuerySetUpdate, TableUpdate, TableUpdateRows (PersistentTable / EventTable), ReducerResult.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/assert.h"
#include "base/limits.h"
#include "base/log.h"
#include "host/moddef.h"
#include "host/module.h"
#include "net/proto.h"
#include "server/subs.h"
#include "sql/sql.h"
#include "sql/sql_exec.h"
#include "sub/sub.h"

typedef struct subs_q subs_q;
typedef struct subs_client subs_client;

typedef struct subs_set {
    u32 id;
    u32 nq;
    subs_q **q; /* distinct queries, each holding one sub_query reference */
    lc_buf saved; /* detached for a republish (subs_detach): [u32 len][SQL] per query */
} subs_set;

struct subs_client {
    subs_client *next;
    const void *owner;
    u8 identity[32];
    u32 seq; /* registration order: the fan-out order */
    subs_set *sets;
    u32 nsets, cap;
};

typedef struct subs_ref {
    subs_client *c;
    u32 set_id;
} subs_ref;

/* Rows back to back plus the start offset of each. */
typedef struct subs_rows {
    lc_buf bytes;
    u32 *offs;
    u32 count, cap;
} subs_rows;

struct subs_q {
    sub_query *q; /* NULL for a view instance (is_view) */
    char *sql; /* the text it was first compiled from (recompiled after a republish) */
    u32 sql_len;
    u32 table_id;
    char *table;
    u32 table_len;
    bool is_event;
    subs_ref *refs;
    u32 nrefs, cap;
    u64 gen; /* the transaction the scratch below belongs to */
    subs_rows ins, del;
    lc_buf enc; /* TableUpdateRows of this transaction */
    subs_q *next_hit;
    /* a view instance (spec-module-abi §4.9): the view, whose subscriber (sender views),
     * its current rows (BSATN array), the tables it read and its references */
    bool is_view;
    u32 view_idx;
    const lc_type *vrow; /* the view's row type (the module's, valid while it runs) */
    u8 sender[32];
    lc_buf vrows;
    host_view_result reads; /* read set of the last run (its buffers unused) */
    sub_query *rawq;        /* a query-builder view's SQL, compiled (owner rights) */
    u32 vrefs;
    subs_q *vnext;
};

typedef struct subs_tuple {
    subs_client *c;
    u32 set_id;
    subs_q *q;
} subs_tuple;

struct subs {
    host_db *db;
    dbjob **cur;
    sub_registry *reg;
    subs_client *clients;
    u32 nclients, next_seq;
    subs_q **map;
    u32 map_cap, map_count;
    u64 gen;
    subs_q *hits, *last;
    subs_tuple *tup;
    u32 ntup, tup_cap;
    subs_q *views; /* view instances with at least one reference */
};

/* ---- rows and row lists ---- */

static void rows_reset(subs_rows *r)
{
    lc_buf_reset(&r->bytes);
    r->count = 0;
}

static void rows_deinit(subs_rows *r)
{
    lc_buf_deinit(&r->bytes);
    lc_free(r->offs);
}

static int rows_add(subs_rows *r, const u8 *row, u32 len)
{
    if (r->count == r->cap) {
        u32 ncap = r->cap ? r->cap * 2 : 16;
        u32 *n = lc_realloc(r->offs, sizeof *n * ncap);
        if (!n) return LC_ENOMEM;
        r->offs = n;
        r->cap = ncap;
    }
    if (r->bytes.len > UINT32_MAX - len) return LC_ELIMIT;
    r->offs[r->count++] = (u32)r->bytes.len;
    lc_buf_put(&r->bytes, row, len);
    return r->bytes.err;
}

static u32 rows_len_of(const subs_rows *r, u32 i)
{
    u32 end = i + 1 < r->count ? r->offs[i + 1] : (u32)r->bytes.len;
    return end - r->offs[i];
}

/* BsatnRowList: FixedSize(n) when all rows are n bytes, else RowOffsets (empty: []). */
static void put_row_list(lc_buf *b, const subs_rows *r)
{
    u32 fixed = r->count ? rows_len_of(r, 0) : 0;
    for (u32 i = 1; i < r->count && fixed; i++)
        if (rows_len_of(r, i) != fixed) fixed = 0;
    if (fixed && fixed <= UINT16_MAX) {
        lc_buf_put_u8(b, 0);
        lc_buf_put_u16(b, (u16)fixed);
    } else {
        lc_buf_put_u8(b, 1);
        lc_buf_put_u32(b, r->count);
        for (u32 i = 0; i < r->count; i++) lc_buf_put_u64(b, r->offs[i]);
    }
    lc_buf_put_u32(b, (u32)r->bytes.len);
    lc_buf_put(b, r->bytes.data, r->bytes.len);
}

/* Writes a u32 placeholder; returns its position for patch_u32. */
static size_t put_hole(lc_buf *b)
{
    size_t at = b->len;
    lc_buf_put_u32(b, 0);
    return at;
}

static void patch_u32(lc_buf *b, size_t at, u32 v)
{
    if (!b->err) lc_store_u32(b->data + at, v);
}

/* ---- sub_query -> subs_q map (open addressing, linear probing, backward-shift delete) ---- */

static u32 ptr_hash(const void *p)
{
    u64 x = (u64)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (u32)x;
}

static subs_q *map_get(const subs *s, const sub_query *q)
{
    if (!s->map_cap) return NULL;
    u32 mask = s->map_cap - 1;
    for (u32 i = ptr_hash(q) & mask;; i = (i + 1) & mask) {
        if (!s->map[i]) return NULL;
        if (s->map[i]->q == q) return s->map[i];
    }
}

static int map_grow(subs *s)
{
    u32 ncap = s->map_cap ? s->map_cap * 2 : 64;
    subs_q **n = lc_calloc(ncap, sizeof *n);
    if (!n) return LC_ENOMEM;
    for (u32 k = 0; k < s->map_cap; k++) {
        subs_q *v = s->map[k];
        if (!v) continue;
        u32 i = ptr_hash(v->q) & (ncap - 1);
        while (n[i]) i = (i + 1) & (ncap - 1);
        n[i] = v;
    }
    lc_free(s->map);
    s->map = n;
    s->map_cap = ncap;
    return 0;
}

static int map_put(subs *s, subs_q *v)
{
    if ((s->map_count + 1) * 2 > s->map_cap && map_grow(s)) return LC_ENOMEM;
    u32 mask = s->map_cap - 1, i = ptr_hash(v->q) & mask;
    while (s->map[i]) i = (i + 1) & mask;
    s->map[i] = v;
    s->map_count++;
    return 0;
}

static void map_del(subs *s, const subs_q *v)
{
    u32 mask = s->map_cap - 1, i = ptr_hash(v->q) & mask;
    while (s->map[i] != v) {
        LC_ASSERT(s->map[i] != NULL);
        i = (i + 1) & mask;
    }
    s->map[i] = NULL;
    s->map_count--;
    for (u32 j = (i + 1) & mask; s->map[j]; j = (j + 1) & mask) { /* backward shift */
        u32 home = ptr_hash(s->map[j]->q) & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            s->map[i] = s->map[j];
            s->map[j] = NULL;
            i = j;
        }
    }
}

/* ---- queries ---- */

static void q_free(subs_q *q)
{
    rows_deinit(&q->ins);
    rows_deinit(&q->del);
    lc_buf_deinit(&q->enc);
    lc_free(q->refs);
    lc_free(q->table);
    lc_free(q->sql);
    lc_buf_deinit(&q->vrows);
    lc_free(q);
}

static void view_release(subs *s, subs_q *q);

/* Drops one sub_query reference; the subs_q goes with the last one. */
static void q_release(subs *s, subs_q *q)
{
    if (q->is_view) {
        view_release(s, q);
        return;
    }
    if (sub_query_refcount(q->q) == 1) {
        map_del(s, q);
        if (s->last == q) s->last = NULL;
        sub_query_release(s->reg, q->q);
        q_free(q);
        return;
    }
    sub_query_release(s->reg, q->q);
}

/* The module's table with store id table_id (name and event flag). */
static const host_table_def *table_def_of(subs *s, store_txn *txn, u32 table_id)
{
    host_module *m = host_db_module(s->db);
    const host_moddef *def = m ? host_module_def(m) : NULL;
    for (u32 i = 0; def && i < def->table_count; i++) {
        u32 id;
        const char *n = def->tables[i].name;
        if (store_table_id_from_name(txn, n, strlen(n), &id) == 0 && id == table_id)
            return &def->tables[i];
    }
    return NULL;
}

static int q_new(subs *s, store_txn *txn, sub_query *sq, const char *sql, size_t len,
                 subs_q **out, lc_errbuf *eb)
{
    const host_table_def *td = table_def_of(s, txn, sub_query_table_id(sq));
    if (!td) return lc_errf(eb, LC_ENOTSUP, "only the module's tables can be subscribed to");
    subs_q *q = lc_calloc(1, sizeof *q);
    size_t n = strlen(td->name);
    if (q) q->table = lc_alloc(n + 1);
    if (q) q->sql = lc_alloc(len + 1);
    if (!q || !q->table || !q->sql) {
        if (q) lc_free(q->table);
        lc_free(q);
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    }
    memcpy(q->table, td->name, n + 1);
    memcpy(q->sql, sql, len);
    q->sql[len] = 0;
    q->sql_len = (u32)len;
    q->table_len = (u32)n;
    q->is_event = td->is_event;
    q->q = sq;
    q->table_id = sub_query_table_id(sq);
    lc_buf_init(&q->enc);
    lc_buf_init(&q->ins.bytes);
    lc_buf_init(&q->del.bytes);
    if (map_put(s, q)) {
        q_free(q);
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    }
    *out = q;
    return 0;
}

/* Who is asking: the caller's identity (:sender), whether it owns the database (private
 * tables, no row-level security) and the module's RLS rules. */
static sub_auth auth_for(subs *s, const u8 identity[32])
{
    sub_auth a = {.caller_id = identity};
    u8 owner[32];
    a.is_owner = host_db_owner(s->db, owner) == 0 && memcmp(owner, identity, 32) == 0;
    host_module *m = host_db_module(s->db);
    const host_moddef *def = m ? host_module_def(m) : NULL;
    if (def) {
        a.rls_sql = def->rls_sql;
        a.rls_count = def->rls_count;
    }
    return a;
}

static sub_auth auth_of(subs *s, const dbjob *j) { return auth_for(s, j->identity); }

static i32 view_of(subs *s, const char *sql, size_t len);
static int view_acquire(subs *s, u32 vid, const sub_auth *auth, const char *sql, size_t len,
                        subs_q **out, lc_errbuf *eb);

/* Compiles (or shares) one query and takes a reference for the caller. */
static int q_acquire(subs *s, store_txn *txn, const char *sql, size_t len, const sub_auth *auth,
                     subs_q **out, lc_errbuf *eb)
{
    i32 vid = view_of(s, sql, len);
    if (vid >= 0) return view_acquire(s, (u32)vid, auth, sql, len, out, eb);
    sub_query *sq;
    int rc = sub_query_acquire_as(s->reg, txn, sql, len, auth, &sq, eb);
    if (rc) return rc;
    subs_q *q = map_get(s, sq);
    if (!q && (rc = q_new(s, txn, sq, sql, len, &q, eb)) != 0) {
        sub_query_release(s->reg, sq);
        return rc;
    }
    *out = q;
    return 0;
}

static int q_ref_add(subs_q *q, subs_client *c, u32 set_id)
{
    if (q->nrefs == q->cap) {
        u32 ncap = q->cap ? q->cap * 2 : 4;
        subs_ref *n = lc_realloc(q->refs, sizeof *n * ncap);
        if (!n) return LC_ENOMEM;
        q->refs = n;
        q->cap = ncap;
    }
    q->refs[q->nrefs++] = (subs_ref){c, set_id};
    return 0;
}

static void q_ref_remove(subs_q *q, const subs_client *c, u32 set_id)
{
    for (u32 i = 0; i < q->nrefs; i++) {
        if (q->refs[i].c == c && q->refs[i].set_id == set_id) {
            q->refs[i] = q->refs[--q->nrefs];
            return;
        }
    }
    LC_ASSERT(!"subscriber missing from its query");
}

/* ---- lifetime ---- */

int subs_create(host_db *db, dbjob **cur, subs **out)
{
    subs *s = lc_calloc(1, sizeof *s);
    if (!s) return LC_ENOMEM;
    s->db = db;
    s->cur = cur;
    if (sub_registry_create(&s->reg)) {
        lc_free(s);
        return LC_ENOMEM;
    }
    *out = s;
    return 0;
}

static void set_release(subs *s, subs_client *c, subs_set *set)
{
    for (u32 i = 0; i < set->nq; i++) {
        q_ref_remove(set->q[i], c, set->id);
        q_release(s, set->q[i]);
    }
    lc_free(set->q);
    lc_buf_deinit(&set->saved);
}

static void client_free(subs *s, subs_client *c)
{
    for (u32 i = 0; i < c->nsets; i++) set_release(s, c, &c->sets[i]);
    lc_free(c->sets);
    lc_free(c);
}

void subs_destroy(subs *s)
{
    if (!s) return;
    for (subs_client *c = s->clients, *n; c; c = n) {
        n = c->next;
        client_free(s, c);
    }
    LC_ASSERT(s->map_count == 0);
    lc_free(s->map);
    lc_free(s->tup);
    sub_registry_destroy(s->reg);
    lc_free(s);
}

void subs_fan_free(subs_fan *f)
{
    if (!f) return;
    lc_buf_deinit(&f->data);
    lc_buf_deinit(&f->caller);
    for (u32 i = 0; i < f->count; i++) subs_shared_release(f->msgs[i].shared);
    lc_free(f->msgs);
    lc_free(f);
}

u32 subs_client_count(const subs *s) { return s->nclients; }
u32 subs_query_count(const subs *s) { return s->map_count; }

static subs_client *client_find(subs *s, const void *owner)
{
    for (subs_client *c = s->clients; c; c = c->next)
        if (c->owner == owner) return c;
    return NULL;
}

static subs_set *set_find(subs_client *c, u32 id)
{
    for (u32 i = 0; c && i < c->nsets; i++)
        if (c->sets[i].id == id) return &c->sets[i];
    return NULL;
}

void subs_client_drop(subs *s, const void *owner)
{
    if (!s || !owner) return;
    for (subs_client **pp = &s->clients; *pp; pp = &(*pp)->next) {
        if ((*pp)->owner == owner) {
            subs_client *c = *pp;
            *pp = c->next;
            s->nclients--;
            client_free(s, c);
            return;
        }
    }
}

/* ---- view instances (spec-module-abi §4.9, spec-engine-semantics §6.4) ----
 *
 * `SELECT * FROM v` on a view v is an instance of v: one per view for anonymous views, one per
 * (view, subscriber identity) for sender views, shared by every set that subscribes to it. Its
 * rows come from running the module's view (host_db_call_view, a read-only transaction);
 * after each commit that wrote a table the view read, the view runs again and the difference
 * between its old and new rows (as multisets) is that transaction's update. A query view
 * (the module answers ViewResultHeader::RawSql) is run by compiling its SQL once per instance,
 * with the owner's rights as the view's own code has, and evaluating it in full the same way.
 * Differences from
 * the reference: read sets are whole tables (not index keys), and the view runs after the
 * commit rather than inside the transaction, so a failing view keeps its previous rows and
 * is logged instead of failing the reducer. A one-off query `SELECT * FROM v` (WebSocket
 * here, HTTP SQL in dbadmin_sql.c) runs the view for its caller. */

/* The view `sql` names (`SELECT * FROM v`, nothing else), or -1. */
static i32 view_of(subs *s, const char *sql, size_t len)
{
    host_module *m = host_db_module(s->db);
    if (!m || host_module_def(m)->view_count == 0) return -1;
    lc_arena a;
    lc_arena_init(&a, 0);
    sql_select *sel = NULL;
    i32 vid = -1;
    if (sql_parse_subscription(sql, len, 0, &a, &sel, NULL) == 0 && sel->proj == SQL_PROJ_STAR &&
        sel->from_count == 1 && !sel->where && !sel->has_limit)
        vid = host_db_view_id(s->db, sel->from[0].table.ptr, sel->from[0].table.len);
    lc_arena_deinit(&a);
    return vid;
}

/* Each row of a BSATN array of q's rows (pointers into arr), for r or for a diff. */
typedef struct vrow {
    const u8 *p;
    u32 len;
} vrow;

static int view_split(const subs_q *q, const lc_buf *arr, vrow **out, u32 *out_n)
{
    lc_rd rd;
    lc_rd_init(&rd, arr->data, arr->len);
    u32 n = lc_rd_u32(&rd);
    *out = NULL;
    *out_n = 0;
    if (rd.err || n > arr->len) return LC_ECORRUPT;
    vrow *v = n ? lc_alloc(sizeof *v * n) : NULL;
    if (n && !v) return LC_ENOMEM;
    for (u32 i = 0; i < n; i++) {
        const u8 *start = rd.p;
        if (lc_bsatn_validate(q->vrow, &rd, NULL) != 0) {
            lc_free(v);
            return LC_ECORRUPT;
        }
        v[i] = (vrow){start, (u32)(rd.p - start)};
    }
    *out = v;
    *out_n = n;
    return 0;
}

/* q's current rows into r (SubscribeApplied, UnsubscribeApplied with rows). */
static int view_rows_of(const subs_q *q, subs_rows *r)
{
    vrow *v;
    u32 n;
    int rc = view_split(q, &q->vrows, &v, &n);
    for (u32 i = 0; !rc && i < n; i++) rc = rows_add(r, v[i].p, v[i].len);
    lc_free(v);
    return rc;
}

static int vrow_cmp(const void *a, const void *b)
{
    const vrow *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(x->p, y->p, x->len);
}

static int vrows_sink(void *ctx, const sub_query *sq, const u8 *row, u32 len)
{
    (void)sq;
    lc_buf *b = ctx;
    if (b->len + len > SUBS_RESULT_BYTES_MAX) return LC_ELIMIT;
    lc_store_u32(b->data, lc_load_u32(b->data) + 1);
    lc_buf_put(b, row, len);
    return b->err;
}

/* A query-builder view: its SQL (compiled once per instance, with the owner's rights as the
 * view's code has) evaluated in full now; the read set is the tables of the query. */
static int view_run_sql(subs *s, subs_q *q, host_view_result *res, lc_errbuf *eb)
{
    store_txn txn;
    store_read_begin(&txn, host_db_store(s->db));
    int rc = 0;
    if (!q->rawq) {
        sub_auth auth = auth_for(s, q->sender);
        auth.is_owner = true;
        rc = sub_query_acquire_as(s->reg, &txn, (const char *)res->sql.data, res->sql.len,
                                  &auth, &q->rawq, eb);
        const lc_type *rt = rc ? NULL
                                : store_table_row_type(&txn, sub_query_table_id(q->rawq));
        if (!rc && (!q->vrow || !rt || !lc_type_equal(rt, q->vrow)))
            rc = lc_errf(eb, LC_ETYPE, "view %s: its SQL returns other rows than it declares",
                         q->table);
        if (rc && q->rawq) sub_query_release(s->reg, q->rawq), q->rawq = NULL;
    }
    lc_buf_reset(&res->rows);
    lc_buf_put_u32(&res->rows, 0); /* the count, raised by vrows_sink */
    if (!rc && res->rows.err) rc = LC_ENOMEM;
    if (!rc) rc = sub_query_eval_initial(q->rawq, &txn, vrows_sink, &res->rows);
    store_read_end(&txn);
    if (rc) return rc == LC_ELIMIT ? lc_errf(eb, rc, "view %s: too many rows", q->table) : rc;
    u32 ids[2];
    u32 n = sub_query_table_ids(q->rawq, ids);
    res->read_all = false;
    res->nread = n;
    for (u32 i = 0; i < n; i++) res->read_tables[i] = ids[i];
    return 0;
}

/* Runs q's view; res->rows gets its rows (the caller owns them on success). */
static int view_run(subs *s, subs_q *q, host_view_result *res, lc_errbuf *eb)
{
    lc_buf_init(&res->rows);
    lc_buf_init(&res->sql);
    host_outcome o;
    int rc = 0;
    if (!q->rawq) { /* a query-builder view's SQL does not change: the module runs once */
        rc = host_db_call_view(s->db, q->view_idx, q->sender, res, &o, eb);
        if (!rc && o.kind != HOST_OUTCOME_COMMITTED)
            rc = lc_errf(eb, LC_EINVAL, "view %s failed: %.*s", q->table, (int)o.message_len,
                         o.message);
    }
    if (!rc && (q->rawq || res->sql.len)) rc = view_run_sql(s, q, res, eb);
    lc_buf_deinit(&res->sql);
    if (rc) lc_buf_deinit(&res->rows);
    return rc;
}

static int view_acquire(subs *s, u32 vid, const sub_auth *auth, const char *sql, size_t len,
                        subs_q **out, lc_errbuf *eb)
{
    const host_view_def *v = &host_module_def(host_db_module(s->db))->views[vid];
    static const u8 none[32];
    const u8 *who = v->is_anonymous || !auth->caller_id ? none : auth->caller_id;
    for (subs_q *q = s->views; q; q = q->vnext) {
        if (q->view_idx == vid && memcmp(q->sender, who, 32) == 0) {
            q->vrefs++;
            *out = q;
            return 0;
        }
    }
    subs_q *q = lc_calloc(1, sizeof *q);
    size_t n = strlen(v->name);
    if (q) q->table = lc_alloc(n + 1);
    if (q) q->sql = lc_alloc(len + 1);
    if (!q || !q->table || !q->sql) {
        if (q) lc_free(q->table), lc_free(q->sql);
        lc_free(q);
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    }
    memcpy(q->table, v->name, n + 1);
    q->table_len = (u32)n;
    memcpy(q->sql, sql, len);
    q->sql[len] = 0;
    q->sql_len = (u32)len;
    q->is_view = true;
    q->view_idx = vid;
    memcpy(q->sender, who, 32);
    q->vrow = host_view_row_type(v);
    q->table_id = UINT32_MAX - vid; /* after every table in a message */
    lc_buf_init(&q->enc);
    lc_buf_init(&q->ins.bytes);
    lc_buf_init(&q->del.bytes);
    host_view_result res;
    int rc = q->vrow ? view_run(s, q, &res, eb) : lc_errf(eb, LC_ENOTSUP, "view %s has no row "
                                                          "type", v->name);
    if (rc) {
        if (q->rawq) sub_query_release(s->reg, q->rawq);
        q_free(q);
        return rc;
    }
    q->vrows = res.rows;
    q->reads = res;
    lc_buf_init(&q->reads.rows);
    lc_buf_init(&q->reads.sql);
    q->vrefs = 1;
    q->vnext = s->views;
    s->views = q;
    *out = q;
    return 0;
}

static void view_release(subs *s, subs_q *q)
{
    if (--q->vrefs) return;
    if (q->rawq) sub_query_release(s->reg, q->rawq);
    for (subs_q **pp = &s->views; *pp; pp = &(*pp)->vnext) {
        if (*pp == q) {
            *pp = q->vnext;
            break;
        }
    }
    q_free(q);
}

/* The multiset difference old -> nw as q's deletes and inserts of this transaction. */
static int view_diff(subs_q *q, const lc_buf *old, const lc_buf *nw)
{
    vrow *a = NULL, *b = NULL;
    u32 na = 0, nb = 0;
    int rc = view_split(q, old, &a, &na);
    if (!rc) rc = view_split(q, nw, &b, &nb);
    if (!rc && na > 1) qsort(a, na, sizeof *a, vrow_cmp);
    if (!rc && nb > 1) qsort(b, nb, sizeof *b, vrow_cmp);
    for (u32 i = 0, j = 0; !rc && (i < na || j < nb);) {
        int c = i == na ? 1 : j == nb ? -1 : vrow_cmp(&a[i], &b[j]);
        if (c < 0) rc = rows_add(&q->del, a[i].p, a[i].len), i++;
        else if (c > 0) rc = rows_add(&q->ins, b[j].p, b[j].len), j++;
        else i++, j++;
    }
    lc_free(a);
    lc_free(b);
    return rc;
}

static bool view_reads_any(const subs_q *q, const store_txdata *td)
{
    if (q->reads.read_all) return true;
    for (u32 i = 0; i < td->table_count; i++)
        for (u32 k = 0; k < q->reads.nread; k++)
            if (td->tables[i].table_id == q->reads.read_tables[k]) return true;
    return false;
}

/* After a commit: every view instance that read a table td wrote runs again; its changes
 * join the transaction's hits. A failing run keeps the previous rows (logged). */
static void views_eval(subs *s, const store_txdata *td)
{
    for (subs_q *q = s->views; q; q = q->vnext) {
        if (!view_reads_any(q, td)) continue;
        host_view_result res;
        lc_errbuf eb;
        if (view_run(s, q, &res, &eb)) {
            LC_LOG_W("server", "%s (subscribers keep its previous rows)", eb.msg);
            continue;
        }
        rows_reset(&q->ins);
        rows_reset(&q->del);
        q->gen = s->gen;
        int rc = view_diff(q, &q->vrows, &res.rows);
        if (rc) {
            LC_LOG_E("server", "view %s: update lost: %s", q->table, lc_strerror(rc));
            lc_buf_deinit(&res.rows);
            continue;
        }
        if (q->ins.count || q->del.count) {
            q->next_hit = s->hits;
            s->hits = q;
        }
        lc_buf_deinit(&q->vrows);
        q->vrows = res.rows;
        q->reads.read_all = res.read_all;
        q->reads.nread = res.nread;
        memcpy(q->reads.read_tables, res.read_tables, sizeof res.read_tables);
    }
}

/* ---- incremental evaluation (the commit hook) ---- */

static int on_row(subs *s, const sub_query *sq, const u8 *row, u32 len, bool is_insert)
{
    subs_q *q = s->last && s->last->q == sq ? s->last : map_get(s, sq);
    if (!q) return 0;
    s->last = q;
    if (q->gen != s->gen) {
        q->gen = s->gen;
        rows_reset(&q->ins);
        rows_reset(&q->del);
        q->next_hit = s->hits;
        s->hits = q;
    }
    if (is_insert || q->is_event) return is_insert ? rows_add(&q->ins, row, len) : 0;
    return rows_add(&q->del, row, len);
}

static int on_delete(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    return on_row(ctx, q, row, len, false);
}

static int on_insert(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    return on_row(ctx, q, row, len, true);
}

/* TableUpdateRows: PersistentTable{inserts, deletes} or EventTable{events}. */
static void q_encode(subs_q *q)
{
    lc_buf_reset(&q->enc);
    lc_buf_put_u8(&q->enc, q->is_event ? NET_TUR_EVENT : NET_TUR_PERSISTENT);
    put_row_list(&q->enc, &q->ins);
    if (!q->is_event) put_row_list(&q->enc, &q->del);
}

static int tuple_cmp(const void *a, const void *b)
{
    const subs_tuple *x = a, *y = b;
    if (x->c->seq != y->c->seq) return x->c->seq < y->c->seq ? -1 : 1;
    if (x->set_id != y->set_id) return x->set_id < y->set_id ? -1 : 1;
    if (x->q->table_id != y->q->table_id) return x->q->table_id < y->q->table_id ? -1 : 1;
    return x->q < y->q ? -1 : x->q > y->q;
}

/* Every (client, set, query) touched by this transaction, sorted by client then set, table. */
static int tuples_build(subs *s)
{
    s->ntup = 0;
    for (subs_q *q = s->hits; q; q = q->next_hit) {
        if (q->ins.count == 0 && q->del.count == 0) continue; /* deletes of an event table */
        q_encode(q);
        if (q->enc.err) return q->enc.err;
        for (u32 i = 0; i < q->nrefs; i++) {
            if (s->ntup == s->tup_cap) {
                u32 ncap = s->tup_cap ? s->tup_cap * 2 : 64;
                subs_tuple *n = lc_realloc(s->tup, sizeof *n * ncap);
                if (!n) return LC_ENOMEM;
                s->tup = n;
                s->tup_cap = ncap;
            }
            s->tup[s->ntup++] = (subs_tuple){q->refs[i].c, q->refs[i].set_id, q};
        }
    }
    if (s->ntup > 1) qsort(s->tup, s->ntup, sizeof *s->tup, tuple_cmp);
    return 0;
}

/* Appends arr<QuerySetUpdate> elements for t[0..n) (one client) to b; returns the set count. */
static u32 put_sets(lc_buf *b, const subs_tuple *t, u32 n)
{
    u32 nsets = 0, ntables = 0, nrows = 0;
    size_t tables_at = 0, rows_at = 0;
    for (u32 i = 0; i < n; i++) {
        bool new_set = i == 0 || t[i].set_id != t[i - 1].set_id;
        if (new_set) {
            if (i) {
                patch_u32(b, rows_at, nrows);
                patch_u32(b, tables_at, ntables);
            }
            lc_buf_put_u32(b, t[i].set_id);
            tables_at = put_hole(b);
            nsets++;
            ntables = 0;
        }
        if (new_set || t[i].q->table_id != t[i - 1].q->table_id) {
            if (!new_set) patch_u32(b, rows_at, nrows);
            lc_buf_put_str(b, t[i].q->table, t[i].q->table_len);
            rows_at = put_hole(b);
            ntables++;
            nrows = 0;
        }
        lc_buf_put(b, t[i].q->enc.data, t[i].q->enc.len);
        nrows++;
    }
    if (n) {
        patch_u32(b, rows_at, nrows);
        patch_u32(b, tables_at, ntables);
    }
    return nsets;
}

static subs_fan *fan_of(dbjob *j)
{
    if (!j->fan && (j->fan = lc_calloc(1, sizeof *j->fan)) != NULL) {
        lc_buf_init(&j->fan->data);
        lc_buf_init(&j->fan->caller);
    }
    return j->fan;
}

static int fan_push(subs_fan *f, const void *owner, u64 tx_end, size_t off)
{
    if (f->count == f->cap) {
        u32 ncap = f->cap ? f->cap * 2 : 8;
        subs_fan_msg *n = lc_realloc(f->msgs, sizeof *n * ncap);
        if (!n) return LC_ENOMEM;
        f->msgs = n;
        f->cap = ncap;
    }
    f->msgs[f->count++] = (subs_fan_msg){(void *)owner, tx_end, off, f->data.len - off, NULL};
    return 0;
}

void subs_shared_retain(subs_shared *sh)
{
    atomic_fetch_add_explicit(&sh->refs, 1, memory_order_relaxed);
}

void subs_shared_release(subs_shared *sh)
{
    if (sh && atomic_fetch_sub_explicit(&sh->refs, 1, memory_order_acq_rel) == 1) {
        lc_free(sh->zframe);
        lc_free(sh);
    }
}

/* The shared tail in use: made for the tuples t[0..n) of one client (one query set). */
typedef struct fan_shape {
    subs_shared *sh;
    const subs_tuple *t;
    u32 n;
} fan_shape;

static bool shape_same(const fan_shape *fs, const subs_tuple *t, u32 n)
{
    if (!fs->sh || fs->n != n) return false;
    for (u32 i = 0; i < n; i++)
        if (fs->t[i].q != t[i].q) return false;
    return true;
}

/* The tail of a one-set TransactionUpdate ([table count][TableUpdate...]) of t[0..n), with one
 * reference for the caller; NULL when out of memory (the caller copies instead). */
static subs_shared *shared_make(lc_buf *tmp, const subs_tuple *t, u32 n)
{
    lc_buf_reset(tmp);
    (void)put_sets(tmp, t, n); /* [set id][table count][tables] */
    if (tmp->err || tmp->len < 4 || tmp->len - 4 > UINT32_MAX) return NULL;
    subs_shared *sh = lc_alloc(sizeof *sh + tmp->len - 4);
    if (!sh) return NULL;
    atomic_init(&sh->refs, 1);
    sh->zframe = NULL;
    sh->zframe_len = 0;
    sh->zhead_len = 0;
    sh->len = (u32)(tmp->len - 4);
    memcpy(sh->data, tmp->data + 4, sh->len);
    return sh;
}

/* The TransactionUpdate of one client, t[0..n): a 9-byte head plus the shared tail when it
 * holds one query set and the tail is big enough, else the whole body in f->data. */
static int fan_emit_one(subs_fan *f, fan_shape *fs, lc_buf *tmp, const subs_tuple *t, u32 n,
                        u64 tx_end)
{
    size_t tail = 0;
    for (u32 i = 0; i < n; i++) tail += t[i].q->enc.len + t[i].q->table_len + 8;
    subs_shared *sh = NULL;
    if (t[0].set_id == t[n - 1].set_id && tail >= SUBS_SHARED_MIN) { /* sorted: one set */
        if (!shape_same(fs, t, n)) {
            subs_shared_release(fs->sh);
            *fs = (fan_shape){shared_make(tmp, t, n), t, n};
        }
        sh = fs->sh;
    }
    size_t off = f->data.len;
    lc_buf_put_u8(&f->data, NET_SMSG_TRANSACTION_UPDATE);
    if (sh) {
        lc_buf_put_u32(&f->data, 1);
        lc_buf_put_u32(&f->data, t[0].set_id);
    } else {
        size_t at = put_hole(&f->data);
        patch_u32(&f->data, at, put_sets(&f->data, t, n));
    }
    if (f->data.err) return f->data.err;
    if (fan_push(f, t[0].c->owner, tx_end, off)) return LC_ENOMEM;
    if (sh) {
        subs_shared_retain(sh);
        f->msgs[f->count - 1].shared = sh;
    }
    return 0;
}

/* One TransactionUpdate per client (the caller's sets go to f->caller instead). Consecutive
 * clients whose one set had the same queries hit share one tail. */
static int fan_emit(subs *s, subs_fan *f, const void *caller, u64 tx_end)
{
    if (!lc_buf_reserve(&f->data, (size_t)s->ntup * 16)) return LC_ENOMEM;
    fan_shape fs = {0};
    lc_buf tmp;
    lc_buf_init(&tmp);
    int rc = 0;
    for (u32 i = 0, k; i < s->ntup && !rc; i = k) {
        for (k = i + 1; k < s->ntup && s->tup[k].c == s->tup[i].c;) k++;
        const subs_client *c = s->tup[i].c;
        if (caller && c->owner == caller) {
            f->caller_nsets += put_sets(&f->caller, &s->tup[i], k - i);
            continue;
        }
        rc = fan_emit_one(f, &fs, &tmp, &s->tup[i], k - i, tx_end);
    }
    subs_shared_release(fs.sh);
    lc_buf_deinit(&tmp);
    return rc ? rc : f->caller.err;
}

void subs_on_commit(void *ctx, const store_txdata *td)
{
    subs *s = ctx;
    if (!s->clients || td->table_count == 0) return;
    if (!*s->cur) *s->cur = dbjob_new(DBJOB_TICK); /* a commit outside any job */
    dbjob *j = *s->cur;
    if (!j) {
        LC_LOG_E("server", "out of memory: subscription updates of tx %llu lost",
                 (unsigned long long)td->tx_offset);
        return;
    }
    s->gen++;
    s->hits = NULL;
    s->last = NULL;
    sub_delta_sink sink = {on_delete, on_insert, s};
    int rc = sub_registry_eval_tx(s->reg, td, &sink);
    if (!rc) views_eval(s, td);
    if (!rc && !s->hits) return;
    subs_fan *f = rc ? NULL : fan_of(j);
    if (!rc && !f) rc = LC_ENOMEM;
    if (!rc) rc = tuples_build(s);
    const void *caller = j->kind == DBJOB_CALL_BSATN ? j->owner : NULL;
    if (!rc) rc = fan_emit(s, f, caller, store_next_tx_offset(host_db_store(s->db)));
    if (rc) /* subscribers miss this transaction; there is no way to tell them but closing */
        LC_LOG_E("server", "subscription updates of tx %llu lost: %s",
                 (unsigned long long)td->tx_offset, lc_strerror(rc));
}

void subs_reset(subs *s, const char *why)
{
    if (!s || !s->clients) return;
    if (!*s->cur) *s->cur = dbjob_new(DBJOB_TICK);
    subs_fan *f = *s->cur ? fan_of(*s->cur) : NULL;
    u64 tx_end = store_next_tx_offset(host_db_store(s->db));
    while (s->clients) {
        subs_client *c = s->clients;
        for (u32 i = 0; f && i < c->nsets; i++) {
            size_t off = f->data.len;
            net_proto_put_subscription_error(&f->data, NULL, c->sets[i].id, why,
                                             (u32)strlen(why));
            if (fan_push(f, c->owner, tx_end, off)) break;
        }
        s->clients = c->next;
        s->nclients--;
        client_free(s, c);
    }
    LC_ASSERT(s->map_count == 0);
}

void subs_put_reducer_ok(lc_buf *out, u32 request_id, i64 timestamp_us, const subs_fan *f)
{
    lc_buf_put_u8(out, NET_SMSG_REDUCER_RESULT);
    lc_buf_put_u32(out, request_id);
    lc_buf_put_u64(out, (u64)timestamp_us);
    lc_buf_put_u8(out, NET_REDUCER_OK);
    lc_buf_put_u32(out, 0); /* ret_value: empty bytes */
    lc_buf_put_u32(out, f ? f->caller_nsets : 0);
    if (f) lc_buf_put(out, f->caller.data, f->caller.len);
}

/* ---- Subscribe / Unsubscribe / OneOffQuery (DBJOB_WS) ---- */

/* Growable list of the distinct queries of a set being built. */
typedef struct q_list {
    subs_q **q;
    u32 n, cap;
} q_list;

static int q_list_add(subs *s, q_list *l, subs_q *q)
{
    for (u32 i = 0; i < l->n; i++) {
        if (l->q[i] == q) { /* the same query twice in a set counts once */
            q_release(s, q);
            return 0;
        }
    }
    if (l->n == l->cap) {
        u32 ncap = l->cap ? l->cap * 2 : 4;
        subs_q **n = lc_realloc(l->q, sizeof *n * ncap);
        if (!n) {
            q_release(s, q);
            return LC_ENOMEM;
        }
        l->q = n;
        l->cap = ncap;
    }
    l->q[l->n++] = q;
    return 0;
}

static void q_list_release(subs *s, q_list *l)
{
    for (u32 i = 0; i < l->n; i++) q_release(s, l->q[i]);
    lc_free(l->q);
    *l = (q_list){0};
}

/* `SELECT * FROM *`: one `SELECT * FROM "t"` per public table of the module. */
static int q_acquire_all(subs *s, store_txn *txn, const sub_auth *auth, q_list *l,
                         lc_errbuf *eb)
{
    host_module *m = host_db_module(s->db);
    const host_moddef *def = m ? host_module_def(m) : NULL;
    char sql[LC_MODDEF_NAME_MAX + 32];
    for (u32 i = 0; def && i < def->table_count; i++) {
        const host_table_def *t = &def->tables[i];
        if ((!t->is_public && !auth->is_owner) || strchr(t->name, '"')) continue;
        int n = snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", t->name);
        subs_q *q;
        int rc = n > 0 && (size_t)n < sizeof sql
                     ? q_acquire(s, txn, sql, (size_t)n, auth, &q, eb)
                     : lc_errf(eb, LC_ELIMIT, "table name too long");
        if (!rc) rc = q_list_add(s, l, q);
        if (rc) return rc;
    }
    return 0;
}

/* Compiles every query of a Subscribe; on error nothing stays acquired. */
static int set_compile(subs *s, store_txn *txn, const net_cmsg *m, const sub_auth *auth,
                       q_list *l, lc_errbuf *eb)
{
    int rc = 0;
    for (u32 i = 0; i < m->nqueries && !rc; i++) {
        const char *sql = (const char *)m->queries[i].p;
        size_t len = m->queries[i].n;
        subs_q *q;
        if (sql_is_subscribe_all(sql, len)) {
            rc = q_acquire_all(s, txn, auth, l, eb);
        } else {
            rc = q_acquire(s, txn, sql, len, auth, &q, eb);
            if (!rc && (rc = q_list_add(s, l, q)) != 0) lc_errf(eb, rc, "out of memory");
        }
    }
    if (rc) q_list_release(s, l);
    return rc;
}

static int rows_sink(void *ctx, const sub_query *q, const u8 *row, u32 len)
{
    subs_rows *r = ctx;
    if (r->bytes.len + len > SUBS_RESULT_BYTES_MAX) return LC_ELIMIT;
    return rows_add(r, row, len);
}

/* QueryRows of the current state of every query in l (one SingleTableRows per query). */
static int put_query_rows(store_txn *txn, subs_q *const *qs, u32 n, lc_buf *b, lc_errbuf *eb)
{
    subs_rows r = {0};
    lc_buf_init(&r.bytes);
    lc_buf_put_u32(b, n);
    int rc = 0;
    for (u32 i = 0; i < n && !rc; i++) {
        rows_reset(&r);
        rc = qs[i]->is_view ? view_rows_of(qs[i], &r)
                            : sub_query_eval_initial(qs[i]->q, txn, rows_sink, &r);
        lc_buf_put_str(b, qs[i]->table, qs[i]->table_len);
        put_row_list(b, &r);
        if (!rc && b->len > SUBS_RESULT_BYTES_MAX) rc = LC_ELIMIT;
    }
    rows_deinit(&r);
    if (!rc) rc = b->err;
    if (rc == LC_ELIMIT)
        return lc_errf(eb, rc, "the result is larger than %u bytes", SUBS_RESULT_BYTES_MAX);
    return rc ? lc_errf(eb, rc, "%s", lc_strerror(rc)) : 0;
}

static subs_client *client_get(subs *s, const dbjob *j)
{
    subs_client *c = client_find(s, j->owner);
    if (c) return c;
    c = lc_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->owner = j->owner;
    memcpy(c->identity, j->identity, 32);
    c->seq = s->next_seq++;
    c->next = s->clients;
    s->clients = c;
    s->nclients++;
    return c;
}

/* Registers the compiled set l (taking its references). */
static int set_register(subs *s, const dbjob *j, u32 set_id, q_list *l)
{
    subs_client *c = client_get(s, j);
    if (!c) return LC_ENOMEM;
    if (c->nsets == c->cap) {
        u32 ncap = c->cap ? c->cap * 2 : 4;
        subs_set *n = lc_realloc(c->sets, sizeof *n * ncap);
        if (!n) return LC_ENOMEM;
        c->sets = n;
        c->cap = ncap;
    }
    for (u32 i = 0; i < l->n; i++) {
        if (q_ref_add(l->q[i], c, set_id)) {
            while (i--) q_ref_remove(l->q[i], c, set_id);
            return LC_ENOMEM;
        }
    }
    c->sets[c->nsets++] = (subs_set){set_id, l->n, l->q, {0}};
    *l = (q_list){0};
    return 0;
}

static void reply_sub_error(dbjob *j, const net_cmsg *m, const char *msg)
{
    lc_buf_reset(&j->out);
    net_proto_put_subscription_error(&j->out, &m->request_id, m->query_set_id, msg,
                                     (u32)strlen(msg));
}

static void ws_subscribe(subs *s, dbjob *j, const net_cmsg *m)
{
    lc_errbuf eb;
    subs_client *c = client_find(s, j->owner);
    if (set_find(c, m->query_set_id)) { /* a protocol violation: the connection closes */
        j->ok = false;
        lc_buf_put(&j->out, "duplicate query set id", 22);
        return;
    }
    if (c && c->nsets >= SUBS_SETS_PER_CLIENT_MAX) {
        reply_sub_error(j, m, "too many query sets on this connection");
        return;
    }
    store_txn txn;
    store_read_begin(&txn, host_db_store(s->db));
    q_list l = {0};
    sub_auth auth = auth_of(s, j);
    int rc = set_compile(s, &txn, m, &auth, &l, &eb);
    if (!rc) {
        lc_buf_put_u8(&j->out, NET_SMSG_SUBSCRIBE_APPLIED);
        lc_buf_put_u32(&j->out, m->request_id);
        lc_buf_put_u32(&j->out, m->query_set_id);
        rc = put_query_rows(&txn, l.q, l.n, &j->out, &eb);
    }
    store_read_end(&txn);
    if (!rc && (rc = set_register(s, j, m->query_set_id, &l)) != 0)
        lc_errf(&eb, rc, "out of memory");
    if (rc) {
        q_list_release(s, &l);
        reply_sub_error(j, m, eb.msg);
    }
}

static void ws_unsubscribe(subs *s, dbjob *j, const net_cmsg *m)
{
    subs_client *c = client_find(s, j->owner);
    subs_set *set = set_find(c, m->query_set_id);
    if (!set) {
        reply_sub_error(j, m, "no such query set");
        return;
    }
    lc_buf_put_u8(&j->out, NET_SMSG_UNSUBSCRIBE_APPLIED);
    lc_buf_put_u32(&j->out, m->request_id);
    lc_buf_put_u32(&j->out, m->query_set_id);
    if (m->unsub_flags == NET_UNSUB_SEND_DROPPED_ROWS) {
        lc_errbuf eb;
        store_txn txn;
        store_read_begin(&txn, host_db_store(s->db));
        lc_buf_put_u8(&j->out, 0); /* Some */
        int rc = put_query_rows(&txn, set->q, set->nq, &j->out, &eb);
        store_read_end(&txn);
        if (rc) { /* the set stays: the client may retry with Default */
            reply_sub_error(j, m, eb.msg);
            return;
        }
    } else {
        lc_buf_put_u8(&j->out, 1); /* None */
    }
    set_release(s, c, set);
    *set = c->sets[--c->nsets];
    if (c->nsets == 0) subs_client_drop(s, c->owner);
}

typedef struct one_off {
    subs_rows rows;
    int err;
} one_off;

static int one_off_row(void *ctx, const u8 *row, u32 len)
{
    one_off *o = ctx;
    if (o->rows.bytes.len + len > SUBS_RESULT_BYTES_MAX) return o->err = LC_ELIMIT;
    return o->err = rows_add(&o->rows, row, len);
}

/* Runs a read-only statement; *out_table is the first FROM table's name. */
static int one_off_run(subs *s, const dbjob *j, const net_cmsg *m, lc_arena *arena, one_off *o,
                       sql_ident *out_table, lc_errbuf *eb)
{
    sql_stmt *st;
    const char *sql = (const char *)m->query.p;
    i32 vid = view_of(s, sql, m->query.n);
    if (vid >= 0) { /* `SELECT * FROM view`: the caller's instance, run now */
        sub_auth auth = auth_of(s, j);
        subs_q *q;
        int rc = view_acquire(s, (u32)vid, &auth, sql, m->query.n, &q, eb);
        if (rc) return rc;
        rc = view_rows_of(q, &o->rows);
        char *name = lc_arena_alloc(arena, q->table_len + 1);
        if (name) memcpy(name, q->table, q->table_len + 1);
        *out_table = (sql_ident){name, name ? q->table_len : 0, 0, false};
        q_release(s, q);
        if (!rc && !name) rc = LC_ENOMEM;
        return rc ? lc_errf(eb, rc, "%s", lc_strerror(rc)) : 0;
    }
    int rc = sql_parse(sql, m->query.n, arena, &st, eb);
    if (rc) return rc;
    if (st->kind != SQL_STMT_SELECT)
        return lc_errf(eb, LC_EPERM, "a one-off query can only read (SELECT)");
    *out_table = st->u.select.from[0].table;
    sub_auth auth = auth_of(s, j);
    sql_exec_opts opts = {.row_limit = SUBS_ONE_OFF_ROWS_MAX, .caller_id = j->identity,
                          .restricted = !auth.is_owner, .rls_sql = auth.rls_sql,
                          .rls_count = auth.rls_count};
    sql_sink sink = {.on_row = one_off_row, .ctx = o};
    rc = sql_exec_stmt(host_db_store(s->db), st, sql, m->query.n, &opts, &sink, NULL, eb);
    if (rc && o->err == LC_ELIMIT)
        lc_errf(eb, rc, "the result is larger than %u bytes", SUBS_RESULT_BYTES_MAX);
    return rc;
}

static void ws_one_off(subs *s, dbjob *j, const net_cmsg *m)
{
    lc_errbuf eb;
    lc_arena arena;
    lc_arena_init(&arena, 4 * (size_t)LC_SQL_TEXT_MAX);
    one_off o = {0};
    lc_buf_init(&o.rows.bytes);
    sql_ident table = {0};
    int rc = one_off_run(s, j, m, &arena, &o, &table, &eb);
    if (rc) {
        net_proto_put_one_off_result(&j->out, m->request_id, NULL, eb.msg, (u32)strlen(eb.msg));
    } else {
        lc_buf_put_u8(&j->out, NET_SMSG_ONE_OFF_QUERY_RESULT);
        lc_buf_put_u32(&j->out, m->request_id);
        lc_buf_put_u8(&j->out, 0); /* Ok(QueryRows) */
        lc_buf_put_u32(&j->out, 1);
        lc_buf_put_str(&j->out, table.ptr ? table.ptr : "", table.len);
        put_row_list(&j->out, &o.rows);
    }
    rows_deinit(&o.rows);
    lc_arena_deinit(&arena);
}

/* Requests to a connection without a database. */
static void ws_no_database(dbjob *j, const net_cmsg *m)
{
    static const char msg[] = "no such database";
    if (m->tag == NET_CMSG_ONE_OFF_QUERY)
        net_proto_put_one_off_result(&j->out, m->request_id, NULL, msg, sizeof msg - 1);
    else
        reply_sub_error(j, m, msg);
}

void subs_ws_job(subs *s, dbjob *j)
{
    net_cmsg m;
    lc_errbuf eb;
    j->ok = true;
    if (net_proto_client_decode(j->in, j->in_len, &m, &eb)) {
        j->ok = false;
        lc_buf_put(&j->out, eb.msg, strlen(eb.msg));
        return;
    }
    if (!s) ws_no_database(j, &m);
    else if (m.tag == NET_CMSG_SUBSCRIBE) ws_subscribe(s, j, &m);
    else if (m.tag == NET_CMSG_UNSUBSCRIBE) ws_unsubscribe(s, j, &m);
    else if (m.tag == NET_CMSG_ONE_OFF_QUERY) ws_one_off(s, j, &m);
    else {
        j->ok = false;
        lc_buf_put(&j->out, "not a subscription message", 26);
    }
    net_proto_cmsg_free(&m);
}

/* ---- republish ---- */

/* Keeps each set's query texts and releases every compiled query: a migration may replace the
 * row types and table ids they were bound to. Sets stay registered with no queries, so the
 * commit of the publish itself reaches nobody. */
void subs_detach(subs *s)
{
    if (!s) return;
    for (subs_client *c = s->clients; c; c = c->next) {
        for (u32 i = 0; i < c->nsets; i++) {
            subs_set *set = &c->sets[i];
            lc_buf_init(&set->saved);
            for (u32 k = 0; k < set->nq; k++) {
                lc_buf_put_u32(&set->saved, set->q[k]->sql_len);
                lc_buf_put(&set->saved, set->q[k]->sql, set->q[k]->sql_len);
                q_ref_remove(set->q[k], c, set->id);
                q_release(s, set->q[k]);
            }
            lc_free(set->q);
            set->q = NULL;
            set->nq = 0;
        }
    }
    LC_ASSERT(s->map_count == 0);
}

/* Compiles one saved set again (as its client) and takes its references. */
static int set_recompile(subs *s, store_txn *txn, subs_client *c, subs_set *set, lc_errbuf *eb)
{
    if (set->saved.err) return lc_errf(eb, set->saved.err, "out of memory");
    sub_auth auth = auth_for(s, c->identity);
    q_list l = {0};
    lc_rd r;
    lc_rd_init(&r, set->saved.data, set->saved.len);
    int rc = 0;
    while (!rc && lc_rd_left(&r)) {
        u32 n = lc_rd_u32(&r);
        const u8 *sql = lc_rd_take(&r, n);
        subs_q *q;
        if (!sql) rc = lc_errf(eb, LC_ECORRUPT, "saved query set damaged");
        else if ((rc = q_acquire(s, txn, (const char *)sql, n, &auth, &q, eb)) == 0 &&
                 (rc = q_list_add(s, &l, q)) != 0)
            lc_errf(eb, rc, "out of memory");
    }
    for (u32 i = 0; !rc && i < l.n; i++) {
        if ((rc = q_ref_add(l.q[i], c, set->id)) != 0) {
            while (i--) q_ref_remove(l.q[i], c, set->id);
            lc_errf(eb, rc, "out of memory");
        }
    }
    if (rc) {
        q_list_release(s, &l);
        return rc;
    }
    set->q = l.q;
    set->nq = l.n;
    lc_buf_deinit(&set->saved);
    return 0;
}

/* After subs_detach and the publish (done or refused): every set is compiled again against
 * the module now running, same texts and callers, without resending rows (a compatible
 * migration changes no row a client sees). A set that no longer compiles ends alone with
 * SubscriptionError{request_id: None}. */
void subs_reattach(subs *s)
{
    if (!s || !s->clients) return;
    store_txn txn;
    store_read_begin(&txn, host_db_store(s->db));
    subs_fan *f = NULL;
    u64 tx_end = store_next_tx_offset(host_db_store(s->db));
    for (subs_client *c = s->clients, *next; c; c = next) {
        next = c->next;
        for (u32 i = 0; i < c->nsets;) {
            lc_errbuf eb;
            if (set_recompile(s, &txn, c, &c->sets[i], &eb) == 0) {
                i++;
                continue;
            }
            LC_LOG_W("server", "query set %u ends after the republish: %s", c->sets[i].id,
                     eb.msg);
            if (!*s->cur) *s->cur = dbjob_new(DBJOB_TICK);
            if (!f && *s->cur) f = fan_of(*s->cur);
            size_t off = f ? f->data.len : 0;
            if (f) net_proto_put_subscription_error(&f->data, NULL, c->sets[i].id, eb.msg,
                                                    (u32)strlen(eb.msg));
            if (f && fan_push(f, c->owner, tx_end, off)) f = NULL;
            set_release(s, c, &c->sets[i]);
            c->sets[i] = c->sets[--c->nsets];
        }
        if (c->nsets == 0) subs_client_drop(s, c->owner);
    }
    store_read_end(&txn);
}
