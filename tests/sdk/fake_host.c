/*
 * tests/sdk/fake_host.c — in-memory implementation of the module-host imports for SDK tests.
 *
 * See fake_host.h for the contract. Layout:
 *   values    skip/compare BSATN by md_type (spec §2.1-2.4), column spans of a row
 *   store     tables of BSATN rows in insertion order; ids: table = 4096 + position,
 *             index = 8192 + global position (deliberately not small, so the SDK cannot
 *             confuse ids with positions)
 *   imports   one function per spacetime_10.x import the SDK uses, errno per spec §1.5
 *   calls     fh_call: snapshot rows, open "transaction", call the export, roll back on != 0
 * Linear scans everywhere: the tests use at most a few thousand rows.
 */
#include "sdk/fake_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/buf.h"
#include "spacetimedb_abi.h"

#define FH_TABLE_ID_BASE 4096u
#define FH_INDEX_ID_BASE 8192u
#define FH_ITERS_MAX 64
#define FH_DEPTH_MAX 32
#define FH_MAX_DELAY_MICROS ((((i64)1 << 36) - 1) * 1000)

typedef struct fh_rowv { u8 *p; u32 len; } fh_rowv;

typedef struct fh_table {
    const md_table *def;
    const md_type *row; /* resolved product */
    fh_rowv *rows;
    u32 n, cap;
    u64 seq_next[16];
    int sched_col; /* -1 unless a schedule names this table */
} fh_table;

typedef struct fh_index {
    u32 table;
    const md_index *def;
    bool is_unique;
    char generated[128];
} fh_index;

typedef struct fh_iter {
    bool live;
    u8 *data;
    u32 *ends; /* end offset of each row */
    u32 nrows, next;
} fh_iter;

static struct {
    const moddef *md;
    fh_table *tables;
    u32 ntables;
    fh_index *indexes;
    u32 nindexes;
    bool in_tx;
    i64 now;
    fh_iter iters[FH_ITERS_MAX];
    u32 chunk_rows, too_small;
    const u8 *src;
    u32 src_len, src_pos;
    bool src_live;
    lc_buf sink;
    fh_log *logs;
    u32 nlogs, logcap;
    int log_fd; /* 0 = none, else fd + 1 */
} H;

static void need_ptr(const void *p, const char *fn)
{
    if (!p) {
        fprintf(stderr, "fake host: NULL pointer passed to %s (the real host traps)\n", fn);
        abort();
    }
}

/* ---------------------------------------------------------------- values */

static u32 prim_width(u8 tag)
{
    static const u8 w[] = {[MD_BOOL] = 1, [MD_I8] = 1, [MD_U8] = 1, [MD_I16] = 2,
                           [MD_U16] = 2, [MD_I32] = 4, [MD_U32] = 4, [MD_I64] = 8,
                           [MD_U64] = 8, [MD_I128] = 16, [MD_U128] = 16, [MD_I256] = 32,
                           [MD_U256] = 32, [MD_F32] = 4, [MD_F64] = 8};
    return tag < sizeof w ? w[tag] : 0;
}

static bool skip(const md_type *t, lc_rd *r, int depth)
{
    t = moddef_resolve(H.md, t);
    if (!t || depth > FH_DEPTH_MAX) return false;
    u32 w = prim_width(t->tag);
    if (w) {
        const u8 *q = lc_rd_take(r, w);
        return q && (t->tag != MD_BOOL || *q <= 1);
    }
    switch (t->tag) {
    case MD_STRING: return lc_rd_take(r, lc_rd_u32(r)) != NULL;
    case MD_ARRAY: {
        u32 n = lc_rd_u32(r);
        for (u32 i = 0; i < n && !r->err; i++) {
            if (!skip(t->elems[0], r, depth + 1)) return false;
        }
        return !r->err;
    }
    case MD_PRODUCT:
        for (u32 i = 0; i < t->count; i++) {
            if (!skip(t->elems[i], r, depth + 1)) return false;
        }
        return true;
    case MD_SUM: {
        u8 tag = lc_rd_u8(r);
        return !r->err && tag < t->count && skip(t->elems[tag], r, depth + 1);
    }
    default: return false;
    }
}

static int cmp_int(const u8 *a, const u8 *b, u32 w, bool is_signed)
{
    for (u32 i = w; i-- > 0;) {
        u8 x = a[i], y = b[i];
        if (is_signed && i == w - 1) x ^= 0x80, y ^= 0x80;
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

/* Orders two values of type t (spec §2.4; floats compared by bit pattern, good enough here). */
static int cmp(const md_type *t, lc_rd *a, lc_rd *b, int depth)
{
    t = moddef_resolve(H.md, t);
    if (!t || depth > FH_DEPTH_MAX) return 0;
    u32 w = prim_width(t->tag);
    if (w) {
        const u8 *x = lc_rd_take(a, w), *y = lc_rd_take(b, w);
        bool sgn = t->tag == MD_I8 || t->tag == MD_I16 || t->tag == MD_I32 || t->tag == MD_I64 ||
                   t->tag == MD_I128 || t->tag == MD_I256 || t->tag >= MD_F32;
        return x && y ? cmp_int(x, y, w, sgn) : 0;
    }
    if (t->tag == MD_STRING) {
        u32 na = lc_rd_u32(a), nb = lc_rd_u32(b);
        const u8 *x = lc_rd_take(a, na), *y = lc_rd_take(b, nb);
        if (!x || !y) return 0;
        int c = memcmp(x, y, na < nb ? na : nb);
        return c ? (c < 0 ? -1 : 1) : (na < nb ? -1 : na > nb);
    }
    if (t->tag == MD_PRODUCT) {
        for (u32 i = 0; i < t->count; i++) {
            int c = cmp(t->elems[i], a, b, depth + 1);
            if (c) return c;
        }
        return 0;
    }
    if (t->tag == MD_SUM) {
        u8 ta = lc_rd_u8(a), tb = lc_rd_u8(b);
        if (ta != tb) return ta < tb ? -1 : 1;
        return ta < t->count ? cmp(t->elems[ta], a, b, depth + 1) : 0;
    }
    /* arrays: element-wise, shorter first */
    u32 na = lc_rd_u32(a), nb = lc_rd_u32(b);
    for (u32 i = 0; i < na && i < nb; i++) {
        int c = cmp(t->elems[0], a, b, depth + 1);
        if (c) return c;
    }
    return na < nb ? -1 : na > nb;
}

/* Offsets of each column of a valid row: off[c] .. off[c+1]. */
static void spans(const fh_table *t, const u8 *row, u32 len, u32 *off)
{
    lc_rd r;
    lc_rd_init(&r, row, len);
    for (u32 c = 0; c < t->row->count; c++) {
        off[c] = (u32)(r.p - row);
        (void)skip(t->row->elems[c], &r, 0);
    }
    off[t->row->count] = (u32)(r.p - row);
}

static bool row_valid(const fh_table *t, const u8 *row, u32 len)
{
    lc_rd r;
    lc_rd_init(&r, row, len);
    return skip(t->row, &r, 0) && lc_rd_left(&r) == 0;
}

/* Appends the BSATN of columns `cols` of `row` to out. */
static void project(const fh_table *t, const u8 *row, u32 len, const md_cols *cols, lc_buf *out)
{
    u32 off[65];
    spans(t, row, len, off);
    for (u32 i = 0; i < cols->count; i++) {
        u16 c = cols->cols[i];
        lc_buf_put(out, row + off[c], off[c + 1] - off[c]);
    }
}

static bool same_key(const fh_table *t, const md_cols *cols, const fh_rowv *a, const u8 *b,
                     u32 blen)
{
    u32 oa[65], ob[65];
    spans(t, a->p, a->len, oa);
    spans(t, b, blen, ob);
    for (u32 i = 0; i < cols->count; i++) {
        u16 c = cols->cols[i];
        u32 na = oa[c + 1] - oa[c], nb = ob[c + 1] - ob[c];
        if (na != nb || memcmp(a->p + oa[c], b + ob[c], na) != 0) return false;
    }
    return true;
}

/* ---------------------------------------------------------------- store */

static fh_table *table_by_id(u32 id)
{
    return id >= FH_TABLE_ID_BASE && id - FH_TABLE_ID_BASE < H.ntables
               ? &H.tables[id - FH_TABLE_ID_BASE] : NULL;
}

static fh_index *index_by_id(u32 id)
{
    return id >= FH_INDEX_ID_BASE && id - FH_INDEX_ID_BASE < H.nindexes
               ? &H.indexes[id - FH_INDEX_ID_BASE] : NULL;
}

static fh_table *table_by_name(const char *name, u32 len)
{
    for (u32 i = 0; i < H.ntables; i++) {
        const char *n = H.tables[i].def->name;
        if (strlen(n) == len && memcmp(n, name, len) == 0) return &H.tables[i];
    }
    return NULL;
}

static void rows_free(fh_rowv *rows, u32 n)
{
    for (u32 i = 0; i < n; i++) lc_free(rows[i].p);
    lc_free(rows);
}

static void table_append(fh_table *t, u8 *p, u32 len)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->rows = lc_realloc(t->rows, t->cap * sizeof(fh_rowv));
        LC_ASSERT(t->rows);
    }
    t->rows[t->n++] = (fh_rowv){p, len};
}

static void table_remove(fh_table *t, u32 i)
{
    lc_free(t->rows[i].p);
    memmove(&t->rows[i], &t->rows[i + 1], (t->n - i - 1) * sizeof(fh_rowv));
    t->n--;
}

static bool is_unique_cols(const fh_table *t, const md_cols *cols)
{
    for (u32 k = 0; k < t->def->constraint_count; k++) {
        const md_cols *u = &t->def->constraints[k].cols;
        if (u->count == cols->count && memcmp(u->cols, cols->cols, cols->count * 2) == 0)
            return true;
    }
    return false;
}

static int init_table(fh_table *t, const md_table *def)
{
    t->def = def;
    if (def->type_ref >= H.md->type_count) return LC_EINVAL;
    t->row = moddef_resolve(H.md, H.md->types[def->type_ref]);
    if (!t->row || t->row->tag != MD_PRODUCT || t->row->count > 64) return LC_EINVAL;
    t->sched_col = -1;
    for (u32 s = 0; s < H.md->schedule_count; s++) {
        if (strcmp(H.md->schedules[s].table_name, def->name) == 0)
            t->sched_col = H.md->schedules[s].column;
    }
    for (u32 s = 0; s < 16; s++) t->seq_next[s] = 1;
    return 0;
}

int fh_init(const moddef *md)
{
    memset(&H, 0, sizeof H);
    H.md = md;
    lc_buf_init(&H.sink);
    H.ntables = md->table_count;
    H.tables = lc_calloc(md->table_count + 1, sizeof(fh_table));
    for (u32 i = 0; i < md->table_count; i++) {
        int rc = init_table(&H.tables[i], &md->tables[i]);
        if (rc) return rc;
        H.nindexes += md->tables[i].index_count;
    }
    H.indexes = lc_calloc(H.nindexes + 1, sizeof(fh_index));
    u32 k = 0;
    for (u32 i = 0; i < md->table_count; i++) {
        for (u32 j = 0; j < md->tables[i].index_count; j++, k++) {
            fh_index *ix = &H.indexes[k];
            ix->table = i;
            ix->def = &md->tables[i].indexes[j];
            ix->is_unique = is_unique_cols(&H.tables[i], &ix->def->cols);
            int n = snprintf(ix->generated, sizeof ix->generated, "%s", md->tables[i].name);
            for (u32 c = 0; c < ix->def->cols.count; c++)
                n += snprintf(ix->generated + n, sizeof ix->generated - (size_t)n, "_%s",
                              H.tables[i].row->names[ix->def->cols.cols[c]]);
            snprintf(ix->generated + n, sizeof ix->generated - (size_t)n, "_idx_btree");
        }
    }
    return 0;
}

static void iters_free(void)
{
    for (u32 i = 0; i < FH_ITERS_MAX; i++) {
        lc_free(H.iters[i].data);
        lc_free(H.iters[i].ends);
        memset(&H.iters[i], 0, sizeof H.iters[i]);
    }
}

static void logs_free(void)
{
    for (u32 i = 0; i < H.nlogs; i++) {
        lc_free(H.logs[i].target);
        lc_free(H.logs[i].file);
        lc_free(H.logs[i].message);
    }
    H.nlogs = 0;
}

void fh_reset(void)
{
    for (u32 i = 0; i < H.ntables; i++) {
        fh_table *t = &H.tables[i];
        rows_free(t->rows, t->n);
        t->rows = NULL;
        t->n = t->cap = 0;
        for (u32 s = 0; s < 16; s++) t->seq_next[s] = 1;
    }
    iters_free();
    logs_free();
    H.too_small = 0;
    H.chunk_rows = 0;
}

void fh_deinit(void)
{
    fh_reset();
    lc_free(H.logs);
    lc_free(H.tables);
    lc_free(H.indexes);
    lc_buf_deinit(&H.sink);
    memset(&H, 0, sizeof H);
}

/* ---------------------------------------------------------------- iterators */

static u32 iter_new(const fh_table *t, const u32 *sel, u32 n)
{
    for (u32 i = 0; i < FH_ITERS_MAX; i++) {
        fh_iter *it = &H.iters[i];
        if (it->live) continue;
        lc_free(it->data);
        lc_free(it->ends);
        size_t total = 0;
        for (u32 k = 0; k < n; k++) total += t->rows[sel[k]].len;
        it->data = lc_alloc(total + 1);
        it->ends = lc_alloc((n + 1) * sizeof(u32));
        LC_ASSERT(it->data && it->ends);
        u32 off = 0;
        for (u32 k = 0; k < n; k++) {
            memcpy(it->data + off, t->rows[sel[k]].p, t->rows[sel[k]].len);
            off += t->rows[sel[k]].len;
            it->ends[k] = off;
        }
        it->nrows = n;
        it->next = 0;
        it->live = true;
        return i + 1;
    }
    fprintf(stderr, "fake host: more than %d open iterators (guest leak)\n", FH_ITERS_MAX);
    abort();
}

int32_t row_iter_bsatn_advance(uint32_t iter, uint8_t *buf, uint32_t *buf_len)
{
    need_ptr(buf_len, "row_iter_bsatn_advance");
    if (iter == 0 || iter > FH_ITERS_MAX || !H.iters[iter - 1].live) return STDB_ERRNO_NO_SUCH_ITER;
    fh_iter *it = &H.iters[iter - 1];
    need_ptr(buf, "row_iter_bsatn_advance");
    u32 cap = *buf_len, start = it->next ? it->ends[it->next - 1] : 0, used = 0, rows = 0;
    while (it->next < it->nrows && (H.chunk_rows == 0 || rows < H.chunk_rows)) {
        u32 end = it->ends[it->next];
        if (end - start > cap) break;
        used = end - start;
        it->next++;
        rows++;
    }
    if (rows == 0 && it->next < it->nrows) {
        *buf_len = it->ends[it->next] - start;
        H.too_small++;
        return STDB_ERRNO_BUFFER_TOO_SMALL;
    }
    memcpy(buf, it->data + start, used);
    *buf_len = used;
    if (it->next == it->nrows) {
        it->live = false;
        return STDB_EXHAUSTED;
    }
    return 0;
}

int32_t row_iter_bsatn_close(uint32_t iter)
{
    if (iter == 0 || iter > FH_ITERS_MAX || !H.iters[iter - 1].live) return STDB_ERRNO_NO_SUCH_ITER;
    H.iters[iter - 1].live = false;
    return 0;
}

u32 fh_open_iters(void)
{
    u32 n = 0;
    for (u32 i = 0; i < FH_ITERS_MAX; i++) n += H.iters[i].live;
    return n;
}

u32 fh_buffer_too_small_count(void) { return H.too_small; }
void fh_set_chunk_rows(u32 n) { H.chunk_rows = n; }

/* ---------------------------------------------------------------- names, counts, scans */

int32_t table_id_from_name(const uint8_t *name, uint32_t name_len, uint32_t *out_id)
{
    need_ptr(name, "table_id_from_name");
    need_ptr(out_id, "table_id_from_name");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_table *t = table_by_name((const char *)name, name_len);
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    *out_id = FH_TABLE_ID_BASE + (u32)(t - H.tables);
    return 0;
}

static bool name_is(const char *n, const uint8_t *name, uint32_t len)
{
    return n && strlen(n) == len && memcmp(n, name, len) == 0;
}

int32_t index_id_from_name(const uint8_t *name, uint32_t name_len, uint32_t *out_id)
{
    need_ptr(name, "index_id_from_name");
    need_ptr(out_id, "index_id_from_name");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    for (u32 i = 0; i < H.nindexes; i++) {
        const fh_index *ix = &H.indexes[i];
        const char *canonical = ix->def->source_name ? ix->def->source_name : ix->generated;
        if (name_is(canonical, name, name_len) || name_is(ix->def->accessor_name, name, name_len)) {
            *out_id = FH_INDEX_ID_BASE + i;
            return 0;
        }
    }
    return STDB_ERRNO_NO_SUCH_INDEX;
}

int32_t datastore_table_row_count(uint32_t table_id, uint64_t *out_count)
{
    need_ptr(out_count, "datastore_table_row_count");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_table *t = table_by_id(table_id);
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    *out_count = t->n;
    return 0;
}

int32_t datastore_table_scan_bsatn(uint32_t table_id, uint32_t *out_iter)
{
    need_ptr(out_iter, "datastore_table_scan_bsatn");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_table *t = table_by_id(table_id);
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    u32 *sel = lc_alloc((t->n + 1) * sizeof(u32));
    for (u32 i = 0; i < t->n; i++) sel[i] = i;
    *out_iter = iter_new(t, sel, t->n);
    lc_free(sel);
    return 0;
}

/* Selection of an index scan: rows (positions) matching prefix + bounds, sorted by key. */
typedef struct scan {
    const fh_table *t;
    const fh_index *ix;
    u32 *sel;
    u32 n;
} scan;

static const scan *sort_ctx;

static int key_cmp_rows(const void *pa, const void *pb)
{
    const scan *s = sort_ctx;
    lc_buf ka, kb;
    lc_buf_init(&ka);
    lc_buf_init(&kb);
    const fh_rowv *a = &s->t->rows[*(const u32 *)pa], *b = &s->t->rows[*(const u32 *)pb];
    project(s->t, a->p, a->len, &s->ix->def->cols, &ka);
    project(s->t, b->p, b->len, &s->ix->def->cols, &kb);
    lc_rd ra, rb;
    lc_rd_init(&ra, ka.data, ka.len);
    lc_rd_init(&rb, kb.data, kb.len);
    int c = 0;
    for (u32 i = 0; i < s->ix->def->cols.count && !c; i++)
        c = cmp(s->t->row->elems[s->ix->def->cols.cols[i]], &ra, &rb, 0);
    lc_buf_deinit(&ka);
    lc_buf_deinit(&kb);
    if (!c) c = *(const u32 *)pa < *(const u32 *)pb ? -1 : 1; /* stable */
    return c;
}

/* Compares column `c` of row `row` with the value at r (which is consumed). */
static int col_cmp(const fh_table *t, const fh_rowv *row, u16 c, lc_rd *r)
{
    u32 off[65];
    spans(t, row->p, row->len, off);
    lc_rd rr;
    lc_rd_init(&rr, row->p + off[c], off[c + 1] - off[c]);
    return cmp(t->row->elems[c], &rr, r, 0);
}

typedef struct bound { u8 tag; const u8 *v; u32 vlen; } bound;

/* Decodes a Bound<T> occupying exactly [p, p+n). */
static bool bound_decode(const md_type *ty, const uint8_t *p, uint32_t n, bound *out)
{
    lc_rd r;
    lc_rd_init(&r, p, n);
    out->tag = lc_rd_u8(&r);
    out->v = r.p;
    if (r.err || out->tag > 2) return false;
    if (out->tag < 2 && !skip(ty, &r, 0)) return false;
    out->vlen = (u32)(r.p - out->v);
    return lc_rd_left(&r) == 0;
}

static bool bound_ok(const fh_table *t, const fh_rowv *row, u16 c, const bound *b, bool lower)
{
    if (b->tag == 2) return true;
    lc_rd r;
    lc_rd_init(&r, b->v, b->vlen);
    int x = col_cmp(t, row, c, &r);
    if (lower) return b->tag == 0 ? x >= 0 : x > 0;
    return b->tag == 0 ? x <= 0 : x < 0;
}

static int select_range(uint32_t index_id, const uint8_t *prefix, uint32_t prefix_len,
                        uint32_t prefix_elems, const uint8_t *rs, uint32_t rs_len,
                        const uint8_t *re, uint32_t re_len, scan *out)
{
    memset(out, 0, sizeof *out);
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_index *ix = index_by_id(index_id);
    if (!ix) return STDB_ERRNO_NO_SUCH_INDEX;
    const fh_table *t = &H.tables[ix->table];
    const md_cols *cols = &ix->def->cols;
    if (prefix_elems >= cols->count) return STDB_ERRNO_BSATN_DECODE_ERROR;
    lc_rd pr;
    lc_rd_init(&pr, prefix, prefix_elems ? prefix_len : 0);
    for (u32 i = 0; i < prefix_elems; i++) {
        if (!skip(t->row->elems[cols->cols[i]], &pr, 0)) return STDB_ERRNO_BSATN_DECODE_ERROR;
    }
    if (lc_rd_left(&pr) != 0) return STDB_ERRNO_BSATN_DECODE_ERROR;
    u16 bc = cols->cols[prefix_elems];
    bound lo, hi;
    if (!bound_decode(t->row->elems[bc], rs, rs_len, &lo) ||
        !bound_decode(t->row->elems[bc], re, re_len, &hi))
        return STDB_ERRNO_BSATN_DECODE_ERROR;
    out->t = t;
    out->ix = ix;
    out->sel = lc_alloc((t->n + 1) * sizeof(u32));
    for (u32 i = 0; i < t->n; i++) {
        const fh_rowv *row = &t->rows[i];
        lc_rd p2;
        lc_rd_init(&p2, prefix, prefix_elems ? prefix_len : 0);
        bool match = true;
        for (u32 k = 0; k < prefix_elems && match; k++)
            match = col_cmp(t, row, cols->cols[k], &p2) == 0;
        if (match && bound_ok(t, row, bc, &lo, true) && bound_ok(t, row, bc, &hi, false))
            out->sel[out->n++] = i;
    }
    sort_ctx = out;
    qsort(out->sel, out->n, sizeof(u32), key_cmp_rows);
    return 0;
}

static int select_point(uint32_t index_id, const uint8_t *point, uint32_t point_len, scan *out)
{
    memset(out, 0, sizeof *out);
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_index *ix = index_by_id(index_id);
    if (!ix) return STDB_ERRNO_NO_SUCH_INDEX;
    const fh_table *t = &H.tables[ix->table];
    lc_rd r;
    lc_rd_init(&r, point, point_len);
    for (u32 i = 0; i < ix->def->cols.count; i++) {
        if (!skip(t->row->elems[ix->def->cols.cols[i]], &r, 0))
            return STDB_ERRNO_BSATN_DECODE_ERROR;
    }
    if (lc_rd_left(&r) != 0) return STDB_ERRNO_BSATN_DECODE_ERROR;
    out->t = t;
    out->ix = ix;
    out->sel = lc_alloc((t->n + 1) * sizeof(u32));
    lc_buf key;
    lc_buf_init(&key);
    for (u32 i = 0; i < t->n; i++) {
        lc_buf_reset(&key);
        project(t, t->rows[i].p, t->rows[i].len, &ix->def->cols, &key);
        if (key.len == point_len && memcmp(key.data, point, point_len) == 0) out->sel[out->n++] = i;
    }
    lc_buf_deinit(&key);
    return 0;
}

/* Deletes the selected rows (positions are ascending after sorting them). */
static u32 delete_selected(scan *s)
{
    fh_table *t = &H.tables[s->ix->table];
    sort_ctx = NULL;
    for (u32 i = 0; i + 1 < s->n; i++) { /* insertion sort descending: few rows */
        for (u32 j = i + 1; j < s->n; j++) {
            if (s->sel[j] > s->sel[i]) {
                u32 tmp = s->sel[i];
                s->sel[i] = s->sel[j];
                s->sel[j] = tmp;
            }
        }
    }
    for (u32 i = 0; i < s->n; i++) table_remove(t, s->sel[i]);
    return s->n;
}

int32_t datastore_index_scan_range_bsatn(uint32_t index_id, const uint8_t *prefix,
                                         uint32_t prefix_len, uint32_t prefix_elems,
                                         const uint8_t *rstart, uint32_t rstart_len,
                                         const uint8_t *rend, uint32_t rend_len,
                                         uint32_t *out_iter)
{
    need_ptr(rstart, "index_scan_range");
    need_ptr(rend, "index_scan_range");
    need_ptr(out_iter, "index_scan_range");
    if (prefix_elems) need_ptr(prefix, "index_scan_range");
    scan s;
    int rc = select_range(index_id, prefix, prefix_len, prefix_elems, rstart, rstart_len, rend,
                          rend_len, &s);
    if (rc == 0) *out_iter = iter_new(s.t, s.sel, s.n);
    lc_free(s.sel);
    return rc;
}

int32_t datastore_delete_by_index_scan_range_bsatn(uint32_t index_id, const uint8_t *prefix,
                                                   uint32_t prefix_len, uint32_t prefix_elems,
                                                   const uint8_t *rstart, uint32_t rstart_len,
                                                   const uint8_t *rend, uint32_t rend_len,
                                                   uint32_t *out_count)
{
    need_ptr(rstart, "delete_by_index_scan_range");
    need_ptr(rend, "delete_by_index_scan_range");
    need_ptr(out_count, "delete_by_index_scan_range");
    if (prefix_elems) need_ptr(prefix, "delete_by_index_scan_range");
    scan s;
    int rc = select_range(index_id, prefix, prefix_len, prefix_elems, rstart, rstart_len, rend,
                          rend_len, &s);
    if (rc == 0) *out_count = delete_selected(&s);
    lc_free(s.sel);
    return rc;
}

int32_t datastore_index_scan_point_bsatn(uint32_t index_id, const uint8_t *point,
                                         uint32_t point_len, uint32_t *out_iter)
{
    need_ptr(point, "index_scan_point");
    need_ptr(out_iter, "index_scan_point");
    scan s;
    int rc = select_point(index_id, point, point_len, &s);
    if (rc == 0) *out_iter = iter_new(s.t, s.sel, s.n);
    lc_free(s.sel);
    return rc;
}

int32_t datastore_delete_by_index_scan_point_bsatn(uint32_t index_id, const uint8_t *point,
                                                   uint32_t point_len, uint32_t *out_count)
{
    need_ptr(point, "delete_by_index_scan_point");
    need_ptr(out_count, "delete_by_index_scan_point");
    scan s;
    int rc = select_point(index_id, point, point_len, &s);
    if (rc == 0) *out_count = delete_selected(&s);
    lc_free(s.sel);
    return rc;
}

/* ---------------------------------------------------------------- writes */

static int find_equal(const fh_table *t, const u8 *row, u32 len)
{
    for (u32 i = 0; i < t->n; i++) {
        if (t->rows[i].len == len && memcmp(t->rows[i].p, row, len) == 0) return (int)i;
    }
    return -1;
}

/* UNIQUE_ALREADY_EXISTS if another row (not `except`) has the same value in a unique set. */
static int check_unique(const fh_table *t, const u8 *row, u32 len, int except)
{
    for (u32 k = 0; k < t->def->constraint_count; k++) {
        for (u32 i = 0; i < t->n; i++) {
            const md_cols *cols = &t->def->constraints[k].cols;
            if ((int)i != except && same_key(t, cols, &t->rows[i], row, len))
                return STDB_ERRNO_UNIQUE_ALREADY_EXISTS;
        }
    }
    return 0;
}

static int check_schedule(const fh_table *t, const u8 *row, u32 len)
{
    if (t->sched_col < 0) return 0;
    u32 off[65];
    spans(t, row, len, off);
    const u8 *p = row + off[t->sched_col];
    i64 v = (i64)lc_load_u64(p + 1);
    i64 delay = p[0] == 0 ? (v < 0 ? -v : v) : v - H.now;
    return delay >= FH_MAX_DELAY_MICROS ? STDB_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG : 0;
}

/* Zero-triggered sequences: fills generated values into `row`, appends them to `gen`. */
static void apply_sequences(fh_table *t, u8 *row, u32 len, lc_buf *gen)
{
    u32 off[65];
    spans(t, row, len, off);
    for (u32 c = 0; c < t->row->count; c++) {
        for (u32 s = 0; s < t->def->sequence_count && s < 16; s++) {
            if (t->def->sequences[s].column != c) continue;
            u32 w = off[c + 1] - off[c];
            bool zero = true;
            for (u32 b = 0; b < w; b++) zero = zero && row[off[c] + b] == 0;
            if (!zero || w > 8) continue;
            u64 v = t->seq_next[s]++;
            for (u32 b = 0; b < w; b++) row[off[c] + b] = (u8)(v >> (8 * b));
            lc_buf_put(gen, row + off[c], w);
        }
    }
}

static int insert_row(fh_table *t, uint8_t *guest, uint32_t *len)
{
    if (!row_valid(t, guest, *len)) return STDB_ERRNO_BSATN_DECODE_ERROR;
    u8 *row = lc_memdup(guest, *len);
    lc_buf gen;
    lc_buf_init(&gen);
    apply_sequences(t, row, *len, &gen);
    int rc = 0;
    if (find_equal(t, row, *len) >= 0) { /* set semantics: a no-op */
        *len = 0;
        goto done;
    }
    rc = check_unique(t, row, *len, -1);
    if (!rc) rc = check_schedule(t, row, *len);
    if (rc) goto done;
    table_append(t, row, *len);
    row = NULL;
    if (gen.len) memcpy(guest, gen.data, gen.len);
    *len = (u32)gen.len;
done:
    lc_free(row);
    lc_buf_deinit(&gen);
    return rc;
}

int32_t datastore_insert_bsatn(uint32_t table_id, uint8_t *row, uint32_t *row_len)
{
    need_ptr(row, "datastore_insert_bsatn");
    need_ptr(row_len, "datastore_insert_bsatn");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_table *t = table_by_id(table_id);
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    return insert_row(t, row, row_len);
}

int fh_insert_raw(const char *table, const u8 *row, u32 len)
{
    fh_table *t = table_by_name(table, (u32)strlen(table));
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    u8 *copy = lc_alloc(len + 32);
    memcpy(copy, row, len);
    int rc = insert_row(t, copy, &len);
    lc_free(copy);
    return rc;
}

int32_t datastore_update_bsatn(uint32_t table_id, uint32_t index_id, uint8_t *row,
                               uint32_t *row_len)
{
    need_ptr(row, "datastore_update_bsatn");
    need_ptr(row_len, "datastore_update_bsatn");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_table *t = table_by_id(table_id);
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    fh_index *ix = index_by_id(index_id);
    if (!ix || &H.tables[ix->table] != t) return STDB_ERRNO_NO_SUCH_INDEX;
    if (!ix->is_unique) return STDB_ERRNO_INDEX_NOT_UNIQUE;
    if (!row_valid(t, row, *row_len)) return STDB_ERRNO_BSATN_DECODE_ERROR;
    int old = -1;
    for (u32 i = 0; i < t->n && old < 0; i++) {
        if (same_key(t, &ix->def->cols, &t->rows[i], row, *row_len)) old = (int)i;
    }
    if (old < 0) return STDB_ERRNO_NO_SUCH_ROW;
    int rc = check_unique(t, row, *row_len, old);
    if (!rc) rc = check_schedule(t, row, *row_len);
    if (rc) return rc;
    lc_free(t->rows[old].p);
    t->rows[old] = (fh_rowv){lc_memdup(row, *row_len), *row_len};
    *row_len = 0;
    return 0;
}

int32_t datastore_delete_all_by_eq_bsatn(uint32_t table_id, const uint8_t *rel, uint32_t rel_len,
                                         uint32_t *out_count)
{
    need_ptr(rel, "datastore_delete_all_by_eq_bsatn");
    need_ptr(out_count, "datastore_delete_all_by_eq_bsatn");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_table *t = table_by_id(table_id);
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    lc_rd r;
    lc_rd_init(&r, rel, rel_len);
    u32 n = lc_rd_u32(&r), deleted = 0;
    const u8 *starts[64];
    u32 lens[64];
    if (r.err || n > 64) return STDB_ERRNO_BSATN_DECODE_ERROR;
    for (u32 i = 0; i < n; i++) {
        starts[i] = r.p;
        if (!skip(t->row, &r, 0)) return STDB_ERRNO_BSATN_DECODE_ERROR;
        lens[i] = (u32)(r.p - starts[i]);
    }
    if (lc_rd_left(&r) != 0) return STDB_ERRNO_BSATN_DECODE_ERROR;
    for (u32 i = 0; i < n; i++) {
        int at = find_equal(t, starts[i], lens[i]);
        if (at >= 0) table_remove(t, (u32)at), deleted++;
    }
    *out_count = deleted;
    return 0;
}

int32_t datastore_clear(uint32_t table_id, uint64_t *out_count)
{
    need_ptr(out_count, "datastore_clear");
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    fh_table *t = table_by_id(table_id);
    if (!t) return STDB_ERRNO_NO_SUCH_TABLE;
    *out_count = t->n;
    while (t->n) table_remove(t, t->n - 1);
    return 0;
}

/* ---------------------------------------------------------------- bytes, logs, identity */

int32_t bytes_source_remaining_length(uint32_t source, uint32_t *out_len)
{
    need_ptr(out_len, "bytes_source_remaining_length");
    if (source != 1 || !H.src_live) return STDB_ERRNO_NO_SUCH_BYTES;
    *out_len = H.src_len - H.src_pos;
    return 0;
}

int32_t bytes_source_read(uint32_t source, uint8_t *buf, uint32_t *buf_len)
{
    need_ptr(buf, "bytes_source_read");
    need_ptr(buf_len, "bytes_source_read");
    if (source != 1 || !H.src_live) return STDB_ERRNO_NO_SUCH_BYTES;
    u32 n = H.src_len - H.src_pos;
    if (n > *buf_len) n = *buf_len;
    memcpy(buf, H.src + H.src_pos, n);
    H.src_pos += n;
    *buf_len = n;
    if (H.src_pos == H.src_len) {
        H.src_live = false;
        return STDB_EXHAUSTED;
    }
    return 0;
}

int32_t bytes_sink_write(uint32_t sink, const uint8_t *buf, uint32_t *buf_len)
{
    need_ptr(buf, "bytes_sink_write");
    need_ptr(buf_len, "bytes_sink_write");
    if (sink != 1) return STDB_ERRNO_NO_SUCH_BYTES;
    lc_buf_put(&H.sink, buf, *buf_len);
    return 0;
}

static char *dup_opt(const uint8_t *p, uint32_t n)
{
    return p ? lc_strndup((const char *)p, n) : NULL;
}

void console_log(uint32_t level, const uint8_t *target, uint32_t target_len,
                 const uint8_t *filename, uint32_t filename_len, uint32_t line_number,
                 const uint8_t *message, uint32_t message_len)
{
    need_ptr(message, "console_log");
    if (H.nlogs == H.logcap) {
        H.logcap = H.logcap ? H.logcap * 2 : 16;
        H.logs = lc_realloc(H.logs, H.logcap * sizeof(fh_log));
        LC_ASSERT(H.logs);
    }
    if (H.log_fd > 0) {
        ssize_t w = write(H.log_fd - 1, message, message_len);
        w += write(H.log_fd - 1, "\n", 1);
        (void)w;
    }
    H.logs[H.nlogs++] = (fh_log){level, dup_opt(target, target_len),
                                 dup_opt(filename, filename_len),
                                 lc_strndup((const char *)message, message_len), line_number};
}

u32 fh_log_count(void) { return H.nlogs; }
void fh_set_log_fd(int fd) { H.log_fd = fd + 1; }
const fh_log *fh_log_get(u32 i) { return i < H.nlogs ? &H.logs[i] : NULL; }

void identity(uint8_t *out)
{
    need_ptr(out, "identity");
    for (int i = 0; i < 32; i++) out[i] = (u8)(0xD0 + i);
}

/* ---------------------------------------------------------------- calls */

u8 *fh_describe(u32 *out_len)
{
    lc_buf_reset(&H.sink);
    __describe_module__(1);
    u8 *out = lc_memdup(H.sink.data ? H.sink.data : (const u8 *)"", H.sink.len);
    *out_len = (u32)H.sink.len;
    lc_buf_deinit(&H.sink); /* fh_init may follow and starts from a zeroed state */
    return out;
}

typedef struct snapshot {
    fh_rowv **rows;
    u32 *n;
} snapshot;

static void snapshot_take(snapshot *s)
{
    s->rows = lc_calloc(H.ntables + 1, sizeof(fh_rowv *));
    s->n = lc_calloc(H.ntables + 1, sizeof(u32));
    for (u32 i = 0; i < H.ntables; i++) {
        const fh_table *t = &H.tables[i];
        s->n[i] = t->n;
        s->rows[i] = lc_alloc((t->n + 1) * sizeof(fh_rowv));
        for (u32 k = 0; k < t->n; k++)
            s->rows[i][k] = (fh_rowv){lc_memdup(t->rows[k].p, t->rows[k].len), t->rows[k].len};
    }
}

/* Rolls back to the snapshot (restore) or drops it (commit). */
static void snapshot_end(snapshot *s, bool restore)
{
    for (u32 i = 0; i < H.ntables; i++) {
        fh_table *t = &H.tables[i];
        if (restore) {
            rows_free(t->rows, t->n);
            t->rows = s->rows[i];
            t->n = t->cap = s->n[i];
        } else {
            rows_free(s->rows[i], s->n[i]);
        }
    }
    lc_free(s->rows);
    lc_free(s->n);
}

fh_result fh_call_id(u32 id, const u8 sender[32], const u8 conn_id[16], i64 timestamp,
                     const u8 *args, u32 args_len)
{
    fh_result res;
    memset(&res, 0, sizeof res);
    u64 s[4], c[2];
    for (int i = 0; i < 4; i++) s[i] = lc_load_u64(sender + 8 * i);
    for (int i = 0; i < 2; i++) c[i] = lc_load_u64(conn_id + 8 * i);
    snapshot snap;
    snapshot_take(&snap);
    H.src = args;
    H.src_len = args_len;
    H.src_pos = 0;
    H.src_live = args_len > 0;
    H.now = timestamp;
    lc_buf_reset(&H.sink);
    H.in_tx = true;
    res.rc = __call_reducer__(id, s[0], s[1], s[2], s[3], c[0], c[1], (u64)timestamp,
                              args_len ? 1 : 0, 1);
    H.in_tx = false;
    H.src_live = false;
    snapshot_end(&snap, res.rc != 0);
    size_t n = H.sink.len < sizeof res.error - 1 ? H.sink.len : sizeof res.error - 1;
    if (n) memcpy(res.error, H.sink.data, n);
    res.error[n] = 0;
    lc_buf_reset(&H.sink);
    return res;
}

fh_result fh_call(const char *name, const u8 sender[32], const u8 conn_id[16], i64 timestamp,
                  const u8 *args, u32 args_len)
{
    u32 id = 0;
    if (!moddef_reducer(H.md, name, &id)) {
        fh_result r = {-1000, "no such reducer in the description"};
        return r;
    }
    return fh_call_id(id, sender, conn_id, timestamp, args, args_len);
}

u32 fh_row_count(const char *table)
{
    fh_table *t = table_by_name(table, (u32)strlen(table));
    return t ? t->n : 0;
}

const u8 *fh_row(const char *table, u32 i, u32 *out_len)
{
    fh_table *t = table_by_name(table, (u32)strlen(table));
    if (!t || i >= t->n) return NULL;
    *out_len = t->rows[i].len;
    return t->rows[i].p;
}

/* Procedures (spacetime_10.3): the fake host's transaction is its in_tx flag; it keeps no
 * undo log, so abort only ends the transaction (no SDK test rolls a procedure back). */
int32_t procedure_start_mut_tx(int64_t *out_timestamp)
{
    need_ptr(out_timestamp, "procedure_start_mut_tx");
    if (H.in_tx) return STDB_ERRNO_HOST_CALL_FAILURE;
    H.in_tx = true;
    *out_timestamp = 0;
    return 0;
}

int32_t procedure_commit_mut_tx(void)
{
    if (!H.in_tx) return STDB_ERRNO_NOT_IN_TRANSACTION;
    H.in_tx = false;
    return 0;
}

int32_t procedure_abort_mut_tx(void) { return procedure_commit_mut_tx(); }

/* Outbound calls are not modelled: no SDK test makes one (tests/unit/test_host_http.c does,
 * against the real host). */
int64_t procedure_sleep_until(int64_t wake_at_micros) { return wake_at_micros; }

int32_t procedure_http_request(const uint8_t *request, uint32_t request_len,
                               const uint8_t *body, uint32_t body_len, uint32_t *out_sources)
{
    (void)request, (void)request_len, (void)body, (void)body_len, (void)out_sources;
    fprintf(stderr, "fake host: procedure_http_request is not modelled\n");
    abort();
}
