/*
 * host/abi.c — the 30 spacetime_10.x imports (spec-module-abi.md §1.7) over store/.
 *
 * Every callback reads all its argument slots first (results may alias args), validates guest
 * pointers (NULL and out-of-bounds trap, §1.3), checks the transaction slot, and maps store
 * errors to the §1.5 errno table; errors with no mapping trap (§1.5 policy). The handle tables
 * are described in abi.h. No allocation happens on the hot path once the reusable buffers
 * (row iterators, generated-column buffer) have grown.
 */
#include "host/abi.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/limits.h"
#include "host/http_out.h"

#define ARG32(i) ((u32)args[i])
#define RET(v) do { results[0] = (u64)(u32)(v); return 0; } while (0)

static host_abi *abi_of(lc_wasm_host_ctx *c) { return (host_abi *)c->user_data; }

/* Guest memory [ptr, ptr+len): NULL pointer and out-of-bounds both yield NULL (caller traps). */
static u8 *abi_mem(lc_wasm_host_ctx *c, u32 ptr, u32 len)
{
    if (ptr == 0) return NULL;
    return (u8 *)lc_wasm_host_mem(c, ptr, len);
}

static int abi_fault(lc_wasm_host_ctx *c, const char *what, u32 ptr, u32 len)
{
    return lc_wasm_host_trap(c, "%s: %s pointer %u (len %u)", c->func ? "host call" : "?",
                             ptr == 0 ? "null" : "out-of-bounds", ptr, len);
    (void)what;
}

#define MEM_OR_TRAP(var, ptr, len)                                                           \
    u8 *var = abi_mem(c, (ptr), (len));                                                      \
    if (!var) return abi_fault(c, #var, (ptr), (len))

/* Maps a store error (after id checks) to an errno, or traps. */
static int abi_store_err(lc_wasm_host_ctx *c, int e, u64 *results, int notfound_errno)
{
    switch (e) {
    case LC_EUNIQUE: RET(HOST_ERRNO_UNIQUE_ALREADY_EXISTS);
    case LC_EDECODE: case LC_ETRUNCATED: case LC_ETYPE: RET(HOST_ERRNO_BSATN_DECODE_ERROR);
    case LC_ENOTSUP: RET(HOST_ERRNO_WRONG_INDEX_ALGO);
    case LC_EINVAL: RET(HOST_ERRNO_INDEX_NOT_UNIQUE);
    case LC_ENOTFOUND: RET(notfound_errno);
    default:
        return lc_wasm_host_trap(c, "runtime error: store: %s", lc_strerror(e));
    }
}

/* ---------------------------------------------------------------- names ------------------ */

static int abi_name(lc_wasm_host_ctx *c, u32 ptr, u32 len, const char **out)
{
    u8 *p = abi_mem(c, ptr, len);
    if (!p) return abi_fault(c, "name", ptr, len);
    if (!lc_utf8_valid(p, len)) return lc_wasm_host_trap(c, "name is not valid UTF-8");
    *out = (const char *)p;
    return 0;
}

static int h_table_id_from_name(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 nptr = ARG32(0), nlen = ARG32(1), out = ARG32(2);
    const char *name;
    int rc = abi_name(c, nptr, nlen, &name);
    if (rc) return rc;
    MEM_OR_TRAP(o, out, 4);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    u32 id;
    if (store_table_id_from_name(a->txn, name, nlen, &id) != 0) {
        const host_table_def *t = a->def ? host_moddef_table(a->def, name, nlen) : NULL;
        if (!t || store_table_id_from_name(a->txn, t->name, strlen(t->name), &id) != 0)
            RET(HOST_ERRNO_NO_SUCH_TABLE);
    }
    lc_store_u32(o, id);
    RET(0);
}

/* Index alias: the module's source/accessor name of one of its indexes. */
static const char *abi_index_alias(const host_moddef *def, const char *name, u32 len)
{
    if (!def) return NULL;
    for (u32 t = 0; t < def->table_count; t++) {
        const host_table_def *td = &def->tables[t];
        for (u32 i = 0; i < td->index_count; i++) {
            const host_index_def *x = &td->indexes[i];
            const char *al[2] = {x->alias, x->accessor};
            for (int k = 0; k < 2; k++)
                if (al[k] && strlen(al[k]) == len && memcmp(al[k], name, len) == 0)
                    return x->name;
        }
    }
    return NULL;
}

static int h_index_id_from_name(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 nptr = ARG32(0), nlen = ARG32(1), out = ARG32(2);
    const char *name;
    int rc = abi_name(c, nptr, nlen, &name);
    if (rc) return rc;
    MEM_OR_TRAP(o, out, 4);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    u32 id;
    if (store_index_id_from_name(a->txn, name, nlen, &id) != 0) {
        const char *canon = abi_index_alias(a->def, name, nlen);
        if (!canon || store_index_id_from_name(a->txn, canon, strlen(canon), &id) != 0)
            RET(HOST_ERRNO_NO_SUCH_INDEX);
    }
    lc_store_u32(o, id);
    RET(0);
}

/* ---------------------------------------------------------------- row iterators ---------- */

static int abi_iter_new(host_abi *a, u32 *out_handle)
{
    for (u32 i = 0; i < HOST_ITERS_MAX; i++) {
        host_row_iter *it = &a->iters[i];
        if (it->live) continue;
        it->live = true;
        lc_buf_reset(&it->data);
        it->chunk_count = 0;
        it->next_chunk = 0;
        *out_handle = i + 1;
        return 0;
    }
    return LC_ELIMIT;
}

static int abi_iter_cut(host_row_iter *it)
{
    if (it->chunk_count == it->chunk_cap) {
        u32 cap = it->chunk_cap ? it->chunk_cap * 2 : 8;
        u32 *n = lc_realloc(it->chunk_end, (size_t)cap * sizeof *n);
        if (!n) return LC_ENOMEM;
        it->chunk_end = n;
        it->chunk_cap = cap;
    }
    it->chunk_end[it->chunk_count++] = (u32)it->data.len;
    return 0;
}

/* Drains a store iterator into the row-iter slot `h`, cutting chunks after a row that makes
 * the current chunk exceed HOST_ROW_ITER_CHUNK. */
static int abi_iter_fill(host_abi *a, u32 h, store_iter *si)
{
    host_row_iter *it = &a->iters[h - 1];
    const u8 *row;
    u32 len;
    size_t chunk_start = 0;
    int rc = 0;
    while (store_iter_next(si, &row, &len)) {
        lc_buf_put(&it->data, row, len);
        if (it->data.len - chunk_start > HOST_ROW_ITER_CHUNK) {
            if ((rc = abi_iter_cut(it)) != 0) break;
            chunk_start = it->data.len;
        }
    }
    store_iter_close(si);
    if (rc == 0 && it->data.len > chunk_start) rc = abi_iter_cut(it);
    if (rc == 0 && it->data.err) rc = it->data.err;
    if (rc == 0 && it->data.len > UINT32_MAX / 2) rc = LC_ELIMIT;
    if (rc) it->live = false;
    return rc;
}

/* Common tail of the scan imports: store iterator -> new RowIter written to `out`. */
static int abi_iter_finish(lc_wasm_host_ctx *c, u8 *out, store_iter *si, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 h;
    if (abi_iter_new(a, &h) != 0) {
        store_iter_close(si);
        return lc_wasm_host_trap(c, "too many open row iterators (%u)", HOST_ITERS_MAX);
    }
    int rc = abi_iter_fill(a, h, si);
    if (rc) return lc_wasm_host_trap(c, "runtime error: row iterator: %s", lc_strerror(rc));
    lc_store_u32(out, h);
    RET(0);
}

/* A view's read set (abi.h): the tables it read, for deciding when to run it again. */
static void abi_read_note(host_abi *a, u32 tid)
{
    if (!a->read_only || a->read_all) return;
    for (u32 i = 0; i < a->read_count; i++)
        if (a->read_tables[i] == tid) return;
    if (a->read_count == HOST_VIEW_READS_MAX) a->read_all = true;
    else a->read_tables[a->read_count++] = tid;
}

static void abi_read_note_index(host_abi *a, u32 index_id)
{
    store_index_info info;
    if (a->read_only && store_index_info_get(a->txn, index_id, &info) == 0)
        abi_read_note(a, info.table_id);
}

#define WRITE_OR_TRAP()                                                                      \
    do {                                                                                     \
        if (abi_of(c)->read_only)                                                            \
            return lc_wasm_host_trap(c, "a view may not write to the database");             \
    } while (0)

static int h_table_row_count(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 tid = ARG32(0), out = ARG32(1);
    MEM_OR_TRAP(o, out, 8);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!store_table_exists(a->txn, tid)) RET(HOST_ERRNO_NO_SUCH_TABLE);
    abi_read_note(a, tid);
    u64 n;
    int rc = store_row_count(a->txn, tid, &n);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_TABLE);
    lc_store_u64(o, n);
    RET(0);
}

static int h_table_scan(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 tid = ARG32(0), out = ARG32(1);
    MEM_OR_TRAP(o, out, 4);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!store_table_exists(a->txn, tid)) RET(HOST_ERRNO_NO_SUCH_TABLE);
    abi_read_note(a, tid);
    store_iter si;
    int rc = store_scan(a->txn, tid, &si);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_TABLE);
    return abi_iter_finish(c, o, &si, results);
}

/* Decoded arguments of the 9-argument range imports. */
typedef struct abi_range {
    u32 index_id;
    const u8 *prefix; u32 prefix_len; u16 prefix_elems;
    const u8 *rstart; u32 rstart_len;
    const u8 *rend; u32 rend_len;
    u8 *out;
} abi_range;

static int abi_range_args(lc_wasm_host_ctx *c, const u64 *args, abi_range *r, u32 out_size)
{
    u32 elems = ARG32(3);
    r->index_id = ARG32(0);
    r->prefix_len = ARG32(2);
    r->rstart_len = ARG32(5);
    r->rend_len = ARG32(7);
    if (elems > 0xFFFF) return lc_wasm_host_trap(c, "prefix_elems %u does not fit u16", elems);
    r->prefix_elems = (u16)elems;
    r->prefix = NULL;
    if (elems > 0) {
        r->prefix = abi_mem(c, ARG32(1), r->prefix_len);
        if (!r->prefix) return abi_fault(c, "prefix", ARG32(1), r->prefix_len);
    } else {
        r->prefix_len = 0;
    }
    r->rstart = abi_mem(c, ARG32(4), r->rstart_len);
    if (!r->rstart) return abi_fault(c, "rstart", ARG32(4), r->rstart_len);
    r->rend = abi_mem(c, ARG32(6), r->rend_len);
    if (!r->rend) return abi_fault(c, "rend", ARG32(6), r->rend_len);
    r->out = abi_mem(c, ARG32(8), out_size);
    if (!r->out) return abi_fault(c, "out", ARG32(8), out_size);
    return 0;
}

static bool abi_index_ok(host_abi *a, u32 index_id)
{
    store_index_info info;
    return store_index_info_get(a->txn, index_id, &info) == 0;
}

static int h_index_scan_range(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    abi_range r;
    int rc = abi_range_args(c, args, &r, 4);
    if (rc) return rc;
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!abi_index_ok(a, r.index_id)) RET(HOST_ERRNO_NO_SUCH_INDEX);
    abi_read_note_index(a, r.index_id);
    store_iter si;
    rc = store_index_range(a->txn, r.index_id, r.prefix, r.prefix_len, r.prefix_elems, r.rstart,
                           r.rstart_len, r.rend, r.rend_len, &si);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_INDEX);
    return abi_iter_finish(c, r.out, &si, results);
}

static int h_delete_by_index_scan_range(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    WRITE_OR_TRAP();
    host_abi *a = abi_of(c);
    abi_range r;
    int rc = abi_range_args(c, args, &r, 4);
    if (rc) return rc;
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!abi_index_ok(a, r.index_id)) RET(HOST_ERRNO_NO_SUCH_INDEX);
    u32 n = 0;
    rc = store_delete_range(a->txn, r.index_id, r.prefix, r.prefix_len, r.prefix_elems,
                            r.rstart, r.rstart_len, r.rend, r.rend_len, &n);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_INDEX);
    lc_store_u32(r.out, n);
    RET(0);
}

static int h_index_scan_point(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 iid = ARG32(0), pptr = ARG32(1), plen = ARG32(2), out = ARG32(3);
    MEM_OR_TRAP(p, pptr, plen);
    MEM_OR_TRAP(o, out, 4);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!abi_index_ok(a, iid)) RET(HOST_ERRNO_NO_SUCH_INDEX);
    abi_read_note_index(a, iid);
    store_iter si;
    int rc = store_index_point(a->txn, iid, p, plen, &si);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_INDEX);
    return abi_iter_finish(c, o, &si, results);
}

static int h_delete_by_index_scan_point(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    WRITE_OR_TRAP();
    host_abi *a = abi_of(c);
    u32 iid = ARG32(0), pptr = ARG32(1), plen = ARG32(2), out = ARG32(3);
    MEM_OR_TRAP(p, pptr, plen);
    MEM_OR_TRAP(o, out, 4);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!abi_index_ok(a, iid)) RET(HOST_ERRNO_NO_SUCH_INDEX);
    u32 n = 0;
    int rc = store_delete_point(a->txn, iid, p, plen, &n);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_INDEX);
    lc_store_u32(o, n);
    RET(0);
}

static int h_delete_all_by_eq(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    WRITE_OR_TRAP();
    host_abi *a = abi_of(c);
    u32 tid = ARG32(0), rptr = ARG32(1), rlen = ARG32(2), out = ARG32(3);
    MEM_OR_TRAP(rel, rptr, rlen);
    MEM_OR_TRAP(o, out, 4);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!store_table_exists(a->txn, tid)) RET(HOST_ERRNO_NO_SUCH_TABLE);
    const lc_type *rt = store_table_row_type(a->txn, tid);
    lc_rd rd;
    lc_rd_init(&rd, rel, rlen);
    u32 count = lc_rd_u32(&rd), deleted = 0;
    if (rd.err) RET(HOST_ERRNO_BSATN_DECODE_ERROR);
    for (u32 i = 0; i < count; i++) {
        const u8 *start = rd.p;
        if (lc_bsatn_validate(rt, &rd, NULL) != 0) RET(HOST_ERRNO_BSATN_DECODE_ERROR);
        bool del = false;
        int rc = store_delete_row(a->txn, tid, start, (size_t)(rd.p - start), &del);
        if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_TABLE);
        deleted += del;
    }
    if (lc_rd_left(&rd) != 0) RET(HOST_ERRNO_BSATN_DECODE_ERROR);
    lc_store_u32(o, deleted);
    RET(0);
}

static int h_row_iter_advance(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 h = ARG32(0), bptr = ARG32(1), lptr = ARG32(2);
    MEM_OR_TRAP(lp, lptr, 4);
    u32 cap = lc_load_u32(lp);
    MEM_OR_TRAP(buf, bptr, cap);
    if (h == 0 || h > HOST_ITERS_MAX || !a->iters[h - 1].live) RET(HOST_ERRNO_NO_SUCH_ITER);
    host_row_iter *it = &a->iters[h - 1];
    u32 start = it->next_chunk ? it->chunk_end[it->next_chunk - 1] : 0, end = start;
    u32 k = it->next_chunk;
    while (k < it->chunk_count && it->chunk_end[k] - start <= cap) end = it->chunk_end[k++];
    if (k == it->next_chunk && k < it->chunk_count) {
        lc_store_u32(lp, it->chunk_end[k] - start);
        RET(HOST_ERRNO_BUFFER_TOO_SMALL);
    }
    if (end > start) memcpy(buf, it->data.data + start, end - start);
    lc_store_u32(lp, end - start);
    it->next_chunk = k;
    if (k == it->chunk_count) {
        it->live = false;
        RET(-1);
    }
    RET(0);
}

static int h_row_iter_close(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 h = ARG32(0);
    if (h == 0 || h > HOST_ITERS_MAX || !a->iters[h - 1].live) RET(HOST_ERRNO_NO_SUCH_ITER);
    a->iters[h - 1].live = false;
    RET(0);
}

/* ---------------------------------------------------------------- insert / update -------- */

/* Writes the generated column values back over the start of the guest buffer. */
static int abi_write_back(host_abi *a, u8 *row, u8 *lp, u32 cap)
{
    if (a->gen.err) return a->gen.err;
    if (a->gen.len > cap) return LC_ERANGE;
    if (a->gen.len) memcpy(row, a->gen.data, a->gen.len);
    lc_store_u32(lp, (u32)a->gen.len);
    return 0;
}

static int h_insert(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    WRITE_OR_TRAP();
    host_abi *a = abi_of(c);
    u32 tid = ARG32(0), rptr = ARG32(1), lptr = ARG32(2);
    MEM_OR_TRAP(lp, lptr, 4);
    u32 len = lc_load_u32(lp);
    MEM_OR_TRAP(row, rptr, len);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!store_table_exists(a->txn, tid)) RET(HOST_ERRNO_NO_SUCH_TABLE);
    if (a->sched_fn) {
        int e = a->sched_fn(a->sched_user, tid, row, len);
        if (e) RET(e);
    }
    lc_buf_reset(&a->gen);
    int rc = store_insert(a->txn, tid, row, len, &a->gen, NULL);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_TABLE);
    rc = abi_write_back(a, row, lp, len);
    if (rc) return lc_wasm_host_trap(c, "runtime error: insert write-back: %s", lc_strerror(rc));
    RET(0);
}

static int h_update(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    WRITE_OR_TRAP();
    host_abi *a = abi_of(c);
    u32 tid = ARG32(0), iid = ARG32(1), rptr = ARG32(2), lptr = ARG32(3);
    MEM_OR_TRAP(lp, lptr, 4);
    u32 len = lc_load_u32(lp);
    MEM_OR_TRAP(row, rptr, len);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!store_table_exists(a->txn, tid)) RET(HOST_ERRNO_NO_SUCH_TABLE);
    store_index_info info;
    if (store_index_info_get(a->txn, iid, &info) != 0 || info.table_id != tid)
        RET(HOST_ERRNO_NO_SUCH_INDEX);
    if (!info.is_unique) RET(HOST_ERRNO_INDEX_NOT_UNIQUE);
    if (a->sched_fn) {
        int e = a->sched_fn(a->sched_user, tid, row, len);
        if (e) RET(e);
    }
    lc_buf_reset(&a->gen);
    int rc = store_update(a->txn, iid, row, len, &a->gen);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_ROW);
    rc = abi_write_back(a, row, lp, len);
    if (rc) return lc_wasm_host_trap(c, "runtime error: update write-back: %s", lc_strerror(rc));
    RET(0);
}

static int h_clear(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    WRITE_OR_TRAP();
    host_abi *a = abi_of(c);
    u32 tid = ARG32(0), out = ARG32(1);
    MEM_OR_TRAP(o, out, 8);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    if (!store_table_exists(a->txn, tid)) RET(HOST_ERRNO_NO_SUCH_TABLE);
    u64 n = 0;
    int rc = store_clear(a->txn, tid, &n);
    if (rc) return abi_store_err(c, rc, results, HOST_ERRNO_NO_SUCH_TABLE);
    lc_store_u64(o, n);
    RET(0);
}

/* ---------------------------------------------------------------- bytes ------------------ */

static int h_schedule_immediate(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    WRITE_OR_TRAP();
    (void)results;
    host_abi *a = abi_of(c);
    u32 nptr = ARG32(0), nlen = ARG32(1), aptr = ARG32(2), alen = ARG32(3);
    const char *name;
    int rc = abi_name(c, nptr, nlen, &name);
    if (rc) return rc;
    MEM_OR_TRAP(ab, aptr, alen);
    /* Queued as (u32 name_len, name, u32 args_len, args); db drains it after the call. */
    lc_buf_put_u32(&a->immediate, nlen);
    lc_buf_put(&a->immediate, name, nlen);
    lc_buf_put_u32(&a->immediate, alen);
    lc_buf_put(&a->immediate, ab, alen);
    return 0;
}

static int h_bytes_sink_write(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 s = ARG32(0), bptr = ARG32(1), lptr = ARG32(2);
    MEM_OR_TRAP(lp, lptr, 4);
    u32 len = lc_load_u32(lp);
    MEM_OR_TRAP(b, bptr, len);
    if (s == 0 || s > a->sink_count) RET(HOST_ERRNO_NO_SUCH_BYTES);
    lc_buf *sink = &a->sinks[s - 1];
    lc_buf_put(sink, b, len);
    if (sink->err) return lc_wasm_host_trap(c, "bytes sink: %s", lc_strerror(sink->err));
    RET(0);
}

static host_source *abi_source(host_abi *a, u32 h)
{
    if (h == 0 || h > a->source_count || !a->sources[h - 1].live) return NULL;
    return &a->sources[h - 1];
}

static int h_bytes_source_read(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 h = ARG32(0), bptr = ARG32(1), lptr = ARG32(2);
    MEM_OR_TRAP(lp, lptr, 4);
    u32 cap = lc_load_u32(lp);
    MEM_OR_TRAP(b, bptr, cap);
    host_source *s = abi_source(a, h);
    if (!s) RET(HOST_ERRNO_NO_SUCH_BYTES);
    u32 n = s->len - s->pos < cap ? s->len - s->pos : cap;
    memcpy(b, s->p + s->pos, n);
    s->pos += n;
    lc_store_u32(lp, n);
    if (s->pos == s->len) {
        s->live = false;
        RET(-1);
    }
    RET(0);
}

static int h_bytes_source_remaining_length(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 h = ARG32(0), out = ARG32(1);
    MEM_OR_TRAP(o, out, 4);
    host_source *s = abi_source(a, h);
    if (!s) RET(HOST_ERRNO_NO_SUCH_BYTES);
    lc_store_u32(o, s->len - s->pos);
    RET(0);
}

/* ---------------------------------------------------------------- logging, identity ------ */

static void abi_log(host_abi *a, u8 level, const char *target, u32 tlen, const char *file,
                    u32 flen, u32 line, const char *msg, u32 mlen)
{
    if (!a->log_fn) return;
    host_log_record r = {
        .ts_micros = lc_now_micros(), .level = level, .target = target, .target_len = tlen,
        .filename = file, .filename_len = flen, .line = line,
        .function = a->func_name ? a->func_name : "__spacetimedb__",
        .message = msg, .message_len = mlen,
    };
    a->log_fn(a->log_user, &r);
}

static int h_console_log(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    (void)results;
    host_abi *a = abi_of(c);
    u32 level = ARG32(0), tptr = ARG32(1), tlen = ARG32(2), fptr = ARG32(3), flen = ARG32(4);
    u32 line = ARG32(5), mptr = ARG32(6), mlen = ARG32(7);
    const u8 *t = tptr ? lc_wasm_host_mem(c, tptr, tlen) : NULL;
    const u8 *f = fptr ? lc_wasm_host_mem(c, fptr, flen) : NULL;
    const u8 *m = abi_mem(c, mptr, mlen);
    /* A memory fault in the arguments drops the record (reference behaviour). */
    if (!m || (tptr && !t) || (fptr && !f)) return 0;
    u8 lv = level <= 4 || level == HOST_LOG_PANIC ? (u8)level : HOST_LOG_DEBUG;
    abi_log(a, lv, (const char *)t, t ? tlen : 0, (const char *)f, f ? flen : 0, line,
            (const char *)m, mlen);
    return 0;
}

static int h_console_timer_start(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 nptr = ARG32(0), nlen = ARG32(1);
    MEM_OR_TRAP(n, nptr, nlen);
    for (u32 i = 0; i < HOST_TIMERS_MAX; i++) {
        host_timer *t = &a->timers[i];
        if (t->live) continue;
        t->live = true;
        t->start_ns = lc_now_ns();
        u32 k = nlen < sizeof t->name - 1 ? nlen : (u32)sizeof t->name - 1;
        memcpy(t->name, n, k);
        t->name[k] = 0;
        RET(i + 1);
    }
    return lc_wasm_host_trap(c, "too many console timers (%u)", HOST_TIMERS_MAX);
}

static int h_console_timer_end(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 h = ARG32(0);
    if (h == 0 || h > HOST_TIMERS_MAX || !a->timers[h - 1].live)
        RET(HOST_ERRNO_NO_SUCH_CONSOLE_TIMER);
    host_timer *t = &a->timers[h - 1];
    t->live = false;
    char msg[128];
    int n = snprintf(msg, sizeof msg, "Timing span \"%s\": %.3fms", t->name,
                     (double)(lc_now_ns() - t->start_ns) / 1e6);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof msg) n = (int)sizeof msg - 1;
    abi_log(a, HOST_LOG_INFO, NULL, 0, NULL, 0, 0xFFFFFFFFu, msg, (u32)n);
    RET(0);
}

static int h_identity(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    (void)results;
    host_abi *a = abi_of(c);
    MEM_OR_TRAP(o, ARG32(0), 32);
    memcpy(o, a->db_identity, 32);
    return 0;
}

/* A source over a copy of n bytes (kept in the slot's own buffer until the call ends). */
static u32 source_copy(host_abi *a, const u8 *p, size_t n)
{
    if (n == 0 || a->source_count == HOST_SOURCES_MAX) return 0;
    lc_buf *own = &a->sources[a->source_count].own;
    lc_buf_reset(own);
    lc_buf_put(own, p, n);
    return own->err ? 0 : host_abi_source_new(a, own->data, own->len);
}

/* §1.7.3: the JWT payload stored for a connection id in st_connection_credentials (written
 * at connect), else the caller's own payload when the id is the caller's connection (calls
 * that did not go through connect, e.g. HTTP), else source 0. */
static int h_get_jwt(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 cptr = ARG32(0), out = ARG32(1);
    MEM_OR_TRAP(cid, cptr, 16);
    MEM_OR_TRAP(o, out, 4);
    if (!a->txn) RET(HOST_ERRNO_NOT_IN_TRANSACTION);
    u32 src = 0;
    store_iter it;
    if (store_scan(a->txn, STORE_ST_CONNECTION_CREDENTIALS, &it) == 0) {
        const u8 *row;
        u32 len;
        while (src == 0 && store_iter_next(&it, &row, &len)) {
            if (len < 20 || memcmp(row, cid, 16) != 0) continue;
            u32 n = lc_load_u32(row + 16);
            if (n <= len - 20) src = source_copy(a, row + 20, n);
        }
        store_iter_close(&it);
    }
    if (src == 0 && a->caller_jwt_len && memcmp(cid, a->caller_conn, 16) == 0)
        src = source_copy(a, a->caller_jwt, a->caller_jwt_len);
    lc_store_u32(o, src);
    RET(0);
}

/* ---------------------------------------------------------------- procedures (10.3) ------ */

/* Sleeps on the database thread (procedures are not suspended: see host/http_out.h), at most
 * HOST_SLEEP_MAX_MS per call; a later wake time sleeps that long and returns the time it
 * woke, which the guest sees as an early wake-up. */
static int h_procedure_sleep_until(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    i64 wake = (i64)args[0], now = lc_now_micros();
    if (!a->in_procedure || a->txn)
        return lc_wasm_host_trap(c, "procedure_sleep_until called outside a procedure or with "
                                 "a transaction open");
    if (wake > now) {
        i64 us = wake - now;
        if (us > (i64)HOST_SLEEP_MAX_MS * 1000) us = (i64)HOST_SLEEP_MAX_MS * 1000;
        struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
        now = lc_now_micros();
    }
    results[0] = (u64)now;
    return 0;
}

static int h_procedure_start_mut_tx(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    MEM_OR_TRAP(o, ARG32(0), 8);
    if (a->txn) RET(HOST_ERRNO_WOULD_BLOCK_TRANSACTION);
    if (!a->in_procedure || !a->proc_tx_fn)
        return lc_wasm_host_trap(c, "procedure_start_mut_tx called outside a procedure");
    store_txn *t = NULL;
    i64 ts = 0;
    if (a->proc_tx_fn(a->proc_tx_user, HOST_PROC_TX_BEGIN, &t, &ts) != 0 || !t)
        RET(HOST_ERRNO_HOST_CALL_FAILURE);
    a->txn = t;
    a->proc_tx_open = true;
    lc_store_u64(o, (u64)ts);
    RET(0);
}

/* commit (is_commit) or abort the transaction procedure_start_mut_tx opened */
static int proc_tx_end(lc_wasm_host_ctx *c, u64 *results, bool is_commit)
{
    host_abi *a = abi_of(c);
    if (!a->in_procedure || !a->proc_tx_open) RET(HOST_ERRNO_TRANSACTION_NOT_ANONYMOUS);
    store_txn *t = a->txn;
    int rc = a->proc_tx_fn(a->proc_tx_user, is_commit ? HOST_PROC_TX_COMMIT : HOST_PROC_TX_ABORT,
                           &t, NULL);
    a->txn = NULL;
    a->proc_tx_open = false;
    RET(rc ? HOST_ERRNO_HOST_CALL_FAILURE : 0);
}

static int h_procedure_commit_mut_tx(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    (void)args;
    return proc_tx_end(c, results, true);
}

static int h_procedure_abort_mut_tx(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    (void)args;
    return proc_tx_end(c, results, false);
}

/* Outbound HTTP (host/http_out.c). out[0] = HttpResponse, out[1] = body; on a transport
 * failure out[0] = the BSATN String of the reason and HTTP_ERROR. */
static int h_procedure_http_request(lc_wasm_host_ctx *c, const u64 *args, u64 *results)
{
    host_abi *a = abi_of(c);
    u32 rptr = ARG32(0), rlen = ARG32(1), bptr = ARG32(2), blen = ARG32(3), out = ARG32(4);
    MEM_OR_TRAP(rq, rptr, rlen);
    MEM_OR_TRAP(bd, bptr, blen);
    MEM_OR_TRAP(o, out, 8);
    if (!a->in_procedure)
        return lc_wasm_host_trap(c, "procedure_http_request called outside a procedure");
    if (a->txn) RET(HOST_ERRNO_WOULD_BLOCK_TRANSACTION);
    host_http_opts ho = {.allow_private = a->http_allow_private};
    lc_buf resp, body;
    lc_buf_init(&resp);
    lc_buf_init(&body);
    lc_errbuf eb;
    int rc = host_http_fetch(&ho, rq, rlen, bd, blen, &resp, &body, &eb);
    int ret = 0;
    if (rc == LC_EDECODE) {
        ret = HOST_ERRNO_BSATN_DECODE_ERROR;
    } else if (rc) {
        lc_buf_reset(&resp);
        lc_buf_put_str(&resp, eb.msg, (u32)strlen(eb.msg));
        lc_store_u32(o, source_copy(a, resp.data, resp.len));
        ret = HOST_ERRNO_HTTP_ERROR;
    } else { /* an empty body is source 0 (nothing to read) */
        lc_store_u32(o, source_copy(a, resp.data, resp.len));
        lc_store_u32(o + 4, source_copy(a, body.data, body.len));
    }
    lc_buf_deinit(&resp);
    lc_buf_deinit(&body);
    RET(ret);
}

/* ---------------------------------------------------------------- registry --------------- */

typedef struct abi_import {
    u8 minor;
    const char *name;
    const char *sig; /* params, '>' , results: i = i32, I = i64 */
    lc_wasm_host_cb cb;
} abi_import;

#define R9 "iiiiiiiii>i"
static const abi_import abi_imports[] = {
    {0, "table_id_from_name", "iii>i", h_table_id_from_name},
    {0, "index_id_from_name", "iii>i", h_index_id_from_name},
    {0, "datastore_table_row_count", "ii>i", h_table_row_count},
    {0, "datastore_table_scan_bsatn", "ii>i", h_table_scan},
    {0, "datastore_index_scan_range_bsatn", R9, h_index_scan_range},
    {0, "datastore_btree_scan_bsatn", R9, h_index_scan_range},
    {0, "datastore_delete_by_index_scan_range_bsatn", R9, h_delete_by_index_scan_range},
    {0, "datastore_delete_by_btree_scan_bsatn", R9, h_delete_by_index_scan_range},
    {0, "datastore_delete_all_by_eq_bsatn", "iiii>i", h_delete_all_by_eq},
    {0, "row_iter_bsatn_advance", "iii>i", h_row_iter_advance},
    {0, "row_iter_bsatn_close", "i>i", h_row_iter_close},
    {0, "datastore_insert_bsatn", "iii>i", h_insert},
    {0, "datastore_update_bsatn", "iiii>i", h_update},
    {0, "volatile_nonatomic_schedule_immediate", "iiii>", h_schedule_immediate},
    {0, "bytes_sink_write", "iii>i", h_bytes_sink_write},
    {0, "bytes_source_read", "iii>i", h_bytes_source_read},
    {0, "console_log", "iiiiiiii>", h_console_log},
    {0, "console_timer_start", "ii>i", h_console_timer_start},
    {0, "console_timer_end", "i>i", h_console_timer_end},
    {0, "identity", "i>", h_identity},
    {1, "bytes_source_remaining_length", "ii>i", h_bytes_source_remaining_length},
    {2, "get_jwt", "ii>i", h_get_jwt},
    {3, "procedure_sleep_until", "I>I", h_procedure_sleep_until},
    {3, "procedure_start_mut_tx", "i>i", h_procedure_start_mut_tx},
    {3, "procedure_commit_mut_tx", ">i", h_procedure_commit_mut_tx},
    {3, "procedure_abort_mut_tx", ">i", h_procedure_abort_mut_tx},
    {3, "procedure_http_request", "iiiii>i", h_procedure_http_request},
    {4, "datastore_index_scan_point_bsatn", "iiii>i", h_index_scan_point},
    {4, "datastore_delete_by_index_scan_point_bsatn", "iiii>i", h_delete_by_index_scan_point},
    {5, "datastore_clear", "ii>i", h_clear},
};
#define ABI_IMPORT_COUNT (sizeof abi_imports / sizeof abi_imports[0])
_Static_assert(ABI_IMPORT_COUNT == 30, "the ABI has 30 imports");

/* Parses a signature string into valtype arrays (at most 9 params, 1 result). */
static void abi_sig(const char *sig, u8 *params, u8 *res, lc_wasm_functype *ft)
{
    u32 np = 0, nr = 0;
    bool after = false;
    for (const char *p = sig; *p; p++) {
        if (*p == '>') { after = true; continue; }
        u8 t = *p == 'I' ? LC_WASM_I64 : LC_WASM_I32;
        if (after) res[nr++] = t; else params[np++] = t;
    }
    ft->params = params;
    ft->param_count = np;
    ft->results = res;
    ft->result_count = nr;
}

int host_abi_link(host_abi *abi, lc_wasm_linker *linker)
{
    for (size_t i = 0; i < ABI_IMPORT_COUNT; i++) {
        const abi_import *im = &abi_imports[i];
        u8 params[9], res[1];
        lc_wasm_functype ft;
        abi_sig(im->sig, params, res, &ft);
        char mod[24];
        snprintf(mod, sizeof mod, "spacetime_10.%u", im->minor);
        int rc = lc_wasm_linker_define_func(linker, mod, im->name, &ft, im->cb, abi);
        if (rc) return rc;
    }
    return 0;
}

static bool abi_functype_eq(const lc_wasm_functype *a, const lc_wasm_functype *b)
{
    return a->param_count == b->param_count && a->result_count == b->result_count &&
           memcmp(a->params, b->params, a->param_count) == 0 &&
           memcmp(a->results, b->results, a->result_count) == 0;
}

/* One import: "spacetime_MAJOR.MINOR" module name parsed; known function checked. */
static int abi_check_one(const lc_wasm_extern_desc *d, u32 *max_minor, lc_errbuf *eb)
{
    static const char pfx[] = "spacetime_";
    if (d->module_len < sizeof pfx - 1 || memcmp(d->module, pfx, sizeof pfx - 1) != 0)
        return lc_errf(eb, LC_EINVALID, "module imports %.*s.%.*s: only spacetime_10.x "
                       "functions can be imported", (int)d->module_len, d->module,
                       (int)d->name_len, d->name);
    u32 major = 0, minor = 0, i = sizeof pfx - 1;
    bool dot = false, digits = false;
    for (; i < d->module_len; i++) {
        char ch = d->module[i];
        if (ch == '.' && !dot && digits) { dot = true; digits = false; continue; }
        if (ch < '0' || ch > '9') break;
        u32 *v = dot ? &minor : &major;
        *v = *v * 10 + (u32)(ch - '0');
        digits = true;
        if (*v > 0xFFFF) break;
    }
    if (i != d->module_len || !dot || !digits)
        return lc_errf(eb, LC_EINVALID, "unable to parse ABI version from import module %.*s",
                       (int)d->module_len, d->module);
    if (major != 10 || minor > 5)
        return lc_errf(eb, LC_EINVALID, "module requires ABI %u.%u; host implements 10.5",
                       major, minor);
    if (d->kind != LC_WASM_EXTERN_FUNC)
        return lc_errf(eb, LC_EINVALID, "import %.*s is not a function", (int)d->name_len,
                       d->name);
    for (size_t k = 0; k < ABI_IMPORT_COUNT; k++) {
        const abi_import *im = &abi_imports[k];
        if (im->minor != minor || strlen(im->name) != d->name_len ||
            memcmp(im->name, d->name, d->name_len) != 0)
            continue;
        u8 params[9], res[1];
        lc_wasm_functype ft;
        abi_sig(im->sig, params, res, &ft);
        if (!abi_functype_eq(&ft, &d->type.func))
            return lc_errf(eb, LC_EINVALID, "import spacetime_10.%u.%s has the wrong type",
                           minor, im->name);
        if (minor > *max_minor) *max_minor = minor;
        return 0;
    }
    return lc_errf(eb, LC_EINVALID, "unknown import %.*s.%.*s", (int)d->module_len, d->module,
                   (int)d->name_len, d->name);
}

int host_abi_check_imports(const lc_wasm_module *m, u32 *out_minor, lc_errbuf *eb)
{
    u32 n = lc_wasm_module_import_count(m), max_minor = 0;
    if (n == 0) return lc_errf(eb, LC_EINVALID, "unable to determine ABI: no spacetime_ import");
    for (u32 i = 0; i < n; i++) {
        lc_wasm_extern_desc d;
        lc_wasm_module_import_get(m, i, &d);
        int rc = abi_check_one(&d, &max_minor, eb);
        if (rc) return rc;
    }
    *out_minor = max_minor;
    return 0;
}

/* ---------------------------------------------------------------- lifetime --------------- */

void host_abi_init(host_abi *abi)
{
    memset(abi, 0, sizeof *abi);
    lc_buf_init(&abi->gen);
    lc_buf_init(&abi->immediate);
    for (u32 i = 0; i < HOST_SINKS_MAX; i++) lc_buf_init(&abi->sinks[i]);
    for (u32 i = 0; i < HOST_SOURCES_MAX; i++) lc_buf_init(&abi->sources[i].own);
    for (u32 i = 0; i < HOST_ITERS_MAX; i++) lc_buf_init(&abi->iters[i].data);
}

void host_abi_deinit(host_abi *abi)
{
    lc_buf_deinit(&abi->gen);
    lc_buf_deinit(&abi->immediate);
    for (u32 i = 0; i < HOST_SINKS_MAX; i++) lc_buf_deinit(&abi->sinks[i]);
    for (u32 i = 0; i < HOST_SOURCES_MAX; i++) lc_buf_deinit(&abi->sources[i].own);
    for (u32 i = 0; i < HOST_ITERS_MAX; i++) {
        lc_buf_deinit(&abi->iters[i].data);
        lc_free(abi->iters[i].chunk_end);
    }
}

u32 host_abi_source_new(host_abi *abi, const u8 *p, size_t len)
{
    if (len == 0 || len > UINT32_MAX || abi->source_count == HOST_SOURCES_MAX) return 0;
    host_source *s = &abi->sources[abi->source_count++];
    s->p = p;
    s->len = (u32)len;
    s->pos = 0;
    s->live = true;
    return abi->source_count;
}

u32 host_abi_sink_new(host_abi *abi)
{
    if (abi->sink_count == HOST_SINKS_MAX) return 0;
    lc_buf *b = &abi->sinks[abi->sink_count++];
    lc_buf_reset(b);
    b->limit = LC_HOST_SINK_MAX;
    return abi->sink_count;
}

const lc_buf *host_abi_sink(const host_abi *abi, u32 sink)
{
    if (sink == 0 || sink > abi->sink_count) return NULL;
    return &abi->sinks[sink - 1];
}

void host_abi_call_end(host_abi *abi)
{
    for (u32 i = 0; i < abi->source_count; i++) abi->sources[i].live = false;
    abi->source_count = 0;
    abi->sink_count = 0;
}

/* Drops every row iterator (an instance replaced after a trap starts with none). */
void host_abi_iters_reset(host_abi *abi)
{
    for (u32 i = 0; i < HOST_ITERS_MAX; i++) abi->iters[i].live = false;
    for (u32 i = 0; i < HOST_TIMERS_MAX; i++) abi->timers[i].live = false;
}
