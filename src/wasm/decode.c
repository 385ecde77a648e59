/*
 * wasm/decode.c — binary decoding of a module's sections (everything but function bodies,
 * which compile.c validates and compiles).
 *
 * Design: one sticky-error reader (wasm_rd) over the module bytes; each section is parsed with
 * a sub-reader bounded to the section's declared size, and must consume it exactly. Errors in
 * the binary format are LC_EMALFORMED; errors of meaning (unknown index, bad limits, type
 * mismatch in a constant expression) are LC_EINVALID, matching the spec's assert_malformed /
 * assert_invalid split. Every count is bounded by the bytes left, so hostile counts cannot
 * make us allocate much more than the input size.
 *
 * Section order (ids): type 1, import 2, function 3, table 4, memory 5, global 6, export 7,
 * start 8, element 9, datacount 12, code 10, data 11; custom (0) anywhere.
 */
#include <string.h>

#include "base/alloc.h"
#include "wasm/wasm_int.h"

/* ------------------------------------------------------------ reader ---------------------- */

void wasm_rd_fail(wasm_rd *r, int err, const char *msg)
{
    if (!r->err) {
        r->err = err;
        r->msg = msg;
    }
    r->p = r->end;
}

u8 wasm_rd_u8(wasm_rd *r)
{
    if (r->p >= r->end) {
        wasm_rd_fail(r, LC_EMALFORMED, "unexpected end");
        return 0;
    }
    return *r->p++;
}

/* Generic LEB128: `bits` value bits, signed or not. Checks length and unused bits. */
static u64 rd_leb(wasm_rd *r, u32 bits, bool is_signed)
{
    u64 result = 0;
    u32 shift = 0;
    u32 max_bytes = (bits + 6) / 7;
    for (u32 i = 0;; i++) {
        if (r->p >= r->end) {
            wasm_rd_fail(r, LC_EMALFORMED, i == 0 ? "unexpected end" : "unexpected end of LEB");
            return 0;
        }
        u8 b = *r->p++;
        if (i == max_bytes - 1) {
            if (b & 0x80) {
                wasm_rd_fail(r, LC_EMALFORMED, "integer representation too long");
                return 0;
            }
            u32 used = bits - shift;  /* value bits in this byte */
            u8 rest = (u8)(b & 0x7f) >> used;
            u8 all = (u8)(0x7f >> used);
            bool ok = is_signed ? (rest == 0 && !(b & (1u << (used - 1)))) ||
                                      (rest == all && (b & (1u << (used - 1))))
                                : rest == 0;
            if (used >= 7)
                ok = true;
            if (!ok) {
                wasm_rd_fail(r, LC_EMALFORMED, "integer too large");
                return 0;
            }
        }
        result |= (u64)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (is_signed && shift < 64 && (b & 0x40))
                result |= ~(u64)0 << shift;
            return result;
        }
    }
}

u32 wasm_rd_u32(wasm_rd *r) { return (u32)rd_leb(r, 32, false); }
i32 wasm_rd_s32(wasm_rd *r) { return (i32)rd_leb(r, 32, true); }
i64 wasm_rd_s33(wasm_rd *r) { return (i64)rd_leb(r, 33, true); }
i64 wasm_rd_s64(wasm_rd *r) { return (i64)rd_leb(r, 64, true); }

const u8 *wasm_rd_bytes(wasm_rd *r, u32 n)
{
    if ((size_t)(r->end - r->p) < n) {
        wasm_rd_fail(r, LC_EMALFORMED, "unexpected end");
        return NULL;
    }
    const u8 *q = r->p;
    r->p += n;
    return q;
}

u32 wasm_rd_f32(wasm_rd *r)
{
    const u8 *q = wasm_rd_bytes(r, 4);
    return q ? lc_load_u32(q) : 0;
}

u64 wasm_rd_f64(wasm_rd *r)
{
    const u8 *q = wasm_rd_bytes(r, 8);
    return q ? lc_load_u64(q) : 0;
}

/* A vector count, bounded by the bytes left (each element takes at least min_size bytes). */
static u32 rd_count(wasm_rd *r, u32 min_size)
{
    u32 n = wasm_rd_u32(r);
    if (!r->err && (u64)n * min_size > (u64)(r->end - r->p))
        wasm_rd_fail(r, LC_EMALFORMED, "length out of bounds");
    return r->err ? 0 : n;
}

static bool utf8_valid(const u8 *s, u32 n)
{
    u32 i = 0;
    while (i < n) {
        u8 c = s[i];
        u32 len;
        u32 cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (u32 k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
            return false;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* A name: copied out (NUL-terminated for convenience) from the module's own bytes. */
static char *rd_name(wasm_rd *r, u32 *out_len)
{
    u32 n = wasm_rd_u32(r);
    const u8 *s = wasm_rd_bytes(r, n);
    if (!s)
        return NULL;
    if (!utf8_valid(s, n)) {
        wasm_rd_fail(r, LC_EMALFORMED, "malformed UTF-8 encoding");
        return NULL;
    }
    char *c = lc_strndup((const char *)s, n);
    if (!c)
        wasm_rd_fail(r, LC_ENOMEM, "out of memory");
    *out_len = n;
    return c;
}

static u8 rd_valtype(wasm_rd *r)
{
    u8 t = wasm_rd_u8(r);
    if (!r->err && !wasm_is_valtype(t))
        wasm_rd_fail(r, LC_EMALFORMED, "malformed value type");
    return t;
}

static u8 rd_reftype(wasm_rd *r)
{
    u8 t = wasm_rd_u8(r);
    if (!r->err && !wasm_is_reftype(t))
        wasm_rd_fail(r, LC_EMALFORMED, "malformed reference type");
    return t;
}

static void rd_limits(wasm_rd *r, lc_wasm_limits_range *out)
{
    u8 flag = wasm_rd_u8(r);
    if (!r->err && flag > 1) {
        wasm_rd_fail(r, LC_EMALFORMED, "integer too large");
        return;
    }
    out->min = wasm_rd_u32(r);
    out->has_max = flag == 1;
    out->max = out->has_max ? wasm_rd_u32(r) : 0;
}

static void check_mem_limits(wasm_rd *r, const lc_wasm_limits_range *l)
{
    if (l->min > LC_WASM_PAGES_MAX || (l->has_max && l->max > LC_WASM_PAGES_MAX))
        wasm_rd_fail(r, LC_EINVALID, "memory size must be at most 65536 pages (4GiB)");
    else if (l->has_max && l->min > l->max)
        wasm_rd_fail(r, LC_EINVALID, "size minimum must not be greater than maximum");
}

static void rd_tabletype(wasm_rd *r, lc_wasm_tabletype *t)
{
    t->elem_type = rd_reftype(r);
    rd_limits(r, &t->limits);
    if (!r->err && t->limits.has_max && t->limits.min > t->limits.max)
        wasm_rd_fail(r, LC_EINVALID, "size minimum must not be greater than maximum");
}

static void rd_globaltype(wasm_rd *r, lc_wasm_globaltype *g)
{
    g->val_type = rd_valtype(r);
    u8 mut = wasm_rd_u8(r);
    if (!r->err && mut > 1)
        wasm_rd_fail(r, LC_EMALFORMED, "malformed mutability");
    g->is_mutable = mut == 1;
}

/* ------------------------------------------------------------ constant expressions -------- */

/* Reads one constant expression of type `want`. Only imported, immutable globals may be read
 * (WebAssembly 2.0). ref.func marks the function as declared. */
static void rd_constexpr(wasm_rd *r, lc_wasm_module *m, u8 want, lc_wasm_constexpr *out)
{
    u8 op = wasm_rd_u8(r);
    u8 type = 0;
    out->op = 0x41;
    out->value = 0;
    switch (op) {
    case 0x41: out->value = (u32)wasm_rd_s32(r); type = 0x7f; break;
    case 0x42: out->value = (u64)wasm_rd_s64(r); type = 0x7e; break;
    case 0x43: out->value = wasm_rd_f32(r); type = 0x7d; break;
    case 0x44: out->value = wasm_rd_f64(r); type = 0x7c; break;
    case 0xd0:
        type = rd_reftype(r);
        out->op = 0xd0;
        break;
    case 0xd2: {
        u32 f = wasm_rd_u32(r);
        if (!r->err && f >= m->func_count)
            return wasm_rd_fail(r, LC_EINVALID, "unknown function");
        if (!r->err)
            m->declared_refs[f] = 1;
        out->op = 0xd2;
        out->value = f;
        type = 0x70;
        break;
    }
    case 0x23: {
        u32 g = wasm_rd_u32(r);
        if (!r->err && g >= m->global_import_count)
            return wasm_rd_fail(r, LC_EINVALID, "unknown global");
        if (!r->err && m->global_types[g].is_mutable)
            return wasm_rd_fail(r, LC_EINVALID, "constant expression required");
        out->op = 0x23;
        out->value = g;
        type = r->err ? 0 : m->global_types[g].val_type;
        break;
    }
    case 0x0b:
        return wasm_rd_fail(r, LC_EINVALID, "type mismatch");
    default:
        if (r->err)
            return;
        /* An opcode the binary format lacks is malformed; a real non-constant one invalid. */
        if ((op >= 0x06 && op <= 0x0a) || (op >= 0x12 && op <= 0x19) ||
            (op >= 0x1d && op <= 0x1f) || op == 0x27 || (op >= 0xc5 && op <= 0xcf) ||
            (op >= 0xd3 && op <= 0xfb) || op >= 0xfd)
            return wasm_rd_fail(r, LC_EMALFORMED, "illegal opcode");
        return wasm_rd_fail(r, LC_EINVALID, "constant expression required");
    }
    u8 end = wasm_rd_u8(r);
    if (r->err)
        return;
    if (end != 0x0b) {
        if (end == 0x41 || end == 0x42 || end == 0x43 || end == 0x44 || end == 0xd0 ||
            end == 0xd2 || end == 0x23)
            return wasm_rd_fail(r, LC_EINVALID, "type mismatch");
        return wasm_rd_fail(r, LC_EINVALID, "constant expression required");
    }
    if (type != want)
        wasm_rd_fail(r, LC_EINVALID, "type mismatch");
}

/* ------------------------------------------------------------ sections -------------------- */

#define ALLOC_N(r, ptr, n)                                                         \
    do {                                                                           \
        (ptr) = lc_calloc((n) ? (n) : 1, sizeof(*(ptr)));                          \
        if (!(ptr))                                                                \
            wasm_rd_fail((r), LC_ENOMEM, "out of memory");                         \
    } while (0)

static void sec_type(wasm_rd *r, lc_wasm_module *m)
{
    u32 n = rd_count(r, 3);
    ALLOC_N(r, m->types, n);
    if (r->err)
        return;
    for (u32 i = 0; i < n && !r->err; i++) {
        if (wasm_rd_u8(r) != 0x60 && !r->err)
            return wasm_rd_fail(r, LC_EMALFORMED, "integer representation too long");
        u32 np = rd_count(r, 1);
        const u8 *p = r->p;
        for (u32 k = 0; k < np; k++)
            rd_valtype(r);
        u32 nr = rd_count(r, 1);
        const u8 *q = r->p;
        for (u32 k = 0; k < nr; k++)
            rd_valtype(r);
        if (r->err)
            return;
        lc_wasm_type *t = &m->types[i];
        t->params = lc_alloc(np + nr + 1);
        if (!t->params)
            return wasm_rd_fail(r, LC_ENOMEM, "out of memory");
        memcpy(t->params, p, np);
        t->results = t->params + np;
        memcpy(t->results, q, nr);
        t->param_count = np;
        t->result_count = nr;
        wasm_type_hash(t);
        m->type_count = i + 1;
    }
}

static void sec_import(wasm_rd *r, lc_wasm_module *m)
{
    u32 n = rd_count(r, 4);
    ALLOC_N(r, m->imports, n);
    for (u32 i = 0; i < n && !r->err; i++) {
        lc_wasm_import *im = &m->imports[i];
        m->import_count = i + 1;
        im->module = rd_name(r, &im->module_len);
        im->name = rd_name(r, &im->name_len);
        im->kind = wasm_rd_u8(r);
        if (r->err)
            return;
        switch (im->kind) {
        case 0:
            im->type_index = wasm_rd_u32(r);
            if (!r->err && im->type_index >= m->type_count)
                return wasm_rd_fail(r, LC_EINVALID, "unknown type");
            m->func_import_count++;
            break;
        case 1:
            rd_tabletype(r, &im->table);
            m->table_import_count++;
            break;
        case 2:
            rd_limits(r, &im->memory.limits);
            if (!r->err)
                check_mem_limits(r, &im->memory.limits);
            m->memory_import_count++;
            break;
        case 3:
            rd_globaltype(r, &im->global);
            m->global_import_count++;
            break;
        default:
            return wasm_rd_fail(r, LC_EMALFORMED, "malformed import kind");
        }
    }
}

/* Builds the index spaces' import parts once the import section is known. */
static void index_spaces_init(wasm_rd *r, lc_wasm_module *m, u32 nfunc, u32 ntable, u32 nmem,
                              u32 nglobal)
{
    m->func_count = m->func_import_count + nfunc;
    m->table_count = m->table_import_count + ntable;
    m->memory_count = m->memory_import_count + nmem;
    m->global_count = m->global_import_count + nglobal;
    ALLOC_N(r, m->func_types, m->func_count);
    ALLOC_N(r, m->declared_refs, m->func_count);
    ALLOC_N(r, m->tables, m->table_count);
    ALLOC_N(r, m->memories, m->memory_count);
    ALLOC_N(r, m->global_types, m->global_count);
    if (r->err)
        return;
    u32 fi = 0, ti = 0, mi = 0, gi = 0;
    for (u32 i = 0; i < m->import_count; i++) {
        const lc_wasm_import *im = &m->imports[i];
        if (im->kind == 0)
            m->func_types[fi++] = im->type_index;
        else if (im->kind == 1)
            m->tables[ti++] = im->table;
        else if (im->kind == 2)
            m->memories[mi++] = im->memory;
        else
            m->global_types[gi++] = im->global;
    }
}

/* The per-module-index-space sections are decoded into scratch arrays first because their
 * sizes are only known section by section; decode() stitches them together. */
typedef struct decode_state {
    u32 *func_decl;
    u32 func_decl_count;
    bool has_func_sec;
    lc_wasm_tabletype *table_decl;
    u32 table_decl_count;
    lc_wasm_memtype *mem_decl;
    u32 mem_decl_count;
    bool spaces_ready;
    bool has_code_sec;
} decode_state;

static void ensure_spaces(wasm_rd *r, lc_wasm_module *m, decode_state *st, u32 nglobal)
{
    if (st->spaces_ready)
        return;
    st->spaces_ready = true;
    index_spaces_init(r, m, st->func_decl_count, st->table_decl_count, st->mem_decl_count,
                      nglobal);
    if (r->err)
        return;
    for (u32 i = 0; i < st->func_decl_count; i++)
        m->func_types[m->func_import_count + i] = st->func_decl[i];
    for (u32 i = 0; i < st->table_decl_count; i++)
        m->tables[m->table_import_count + i] = st->table_decl[i];
    for (u32 i = 0; i < st->mem_decl_count; i++)
        m->memories[m->memory_import_count + i] = st->mem_decl[i];
}

static void sec_function(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    u32 n = rd_count(r, 1);
    ALLOC_N(r, st->func_decl, n);
    for (u32 i = 0; i < n && !r->err; i++) {
        st->func_decl[i] = wasm_rd_u32(r);
        if (!r->err && st->func_decl[i] >= m->type_count)
            return wasm_rd_fail(r, LC_EINVALID, "unknown type");
    }
    st->func_decl_count = n;
    st->has_func_sec = true;
}

static void sec_table(wasm_rd *r, decode_state *st)
{
    u32 n = rd_count(r, 3);
    ALLOC_N(r, st->table_decl, n);
    for (u32 i = 0; i < n && !r->err; i++)
        rd_tabletype(r, &st->table_decl[i]);
    st->table_decl_count = n;
}

static void sec_memory(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    u32 n = rd_count(r, 2);
    ALLOC_N(r, st->mem_decl, n);
    for (u32 i = 0; i < n && !r->err; i++) {
        rd_limits(r, &st->mem_decl[i].limits);
        if (!r->err)
            check_mem_limits(r, &st->mem_decl[i].limits);
    }
    st->mem_decl_count = n;
    if (!r->err && m->memory_import_count + n > 1)
        wasm_rd_fail(r, LC_EINVALID, "multiple memories");
}

static void sec_global(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    u32 n = rd_count(r, 3);
    ensure_spaces(r, m, st, n);
    ALLOC_N(r, m->globals, n);
    for (u32 i = 0; i < n && !r->err; i++) {
        lc_wasm_global_def *g = &m->globals[i];
        rd_globaltype(r, &g->type);
        rd_constexpr(r, m, g->type.val_type, &g->init);
        m->global_types[m->global_import_count + i] = g->type;
    }
}

static u32 index_space_size(const lc_wasm_module *m, u8 kind)
{
    switch (kind) {
    case 0: return m->func_count;
    case 1: return m->table_count;
    case 2: return m->memory_count;
    default: return m->global_count;
    }
}

static void sec_export(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    ensure_spaces(r, m, st, 0);
    u32 n = rd_count(r, 3);
    ALLOC_N(r, m->exports, n);
    static const char *unknown[] = {"unknown function", "unknown table", "unknown memory",
                                    "unknown global"};
    for (u32 i = 0; i < n && !r->err; i++) {
        lc_wasm_export *e = &m->exports[i];
        e->name = rd_name(r, &e->name_len);
        m->export_count = i + 1;
        e->kind = wasm_rd_u8(r);
        e->index = wasm_rd_u32(r);
        if (r->err)
            return;
        if (e->kind > 3)
            return wasm_rd_fail(r, LC_EMALFORMED, "malformed export kind");
        if (e->index >= index_space_size(m, e->kind))
            return wasm_rd_fail(r, LC_EINVALID, unknown[e->kind]);
        if (e->kind == 0)
            m->declared_refs[e->index] = 1;
        for (u32 k = 0; k < i; k++) {
            if (m->exports[k].name_len == e->name_len &&
                memcmp(m->exports[k].name, e->name, e->name_len) == 0)
                return wasm_rd_fail(r, LC_EINVALID, "duplicate export name");
        }
    }
}

static void sec_start(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    ensure_spaces(r, m, st, 0);
    m->start_index = wasm_rd_u32(r);
    if (r->err)
        return;
    m->has_start = true;
    if (m->start_index >= m->func_count)
        return wasm_rd_fail(r, LC_EINVALID, "unknown function");
    const lc_wasm_type *t = &m->types[m->func_types[m->start_index]];
    if (t->param_count || t->result_count)
        wasm_rd_fail(r, LC_EINVALID, "start function");
}

static void elem_items(wasm_rd *r, lc_wasm_module *m, lc_wasm_elem_seg *s, bool exprs)
{
    u32 n = rd_count(r, 1);
    ALLOC_N(r, s->items, n);
    if (r->err)
        return;
    s->count = n;
    for (u32 i = 0; i < n && !r->err; i++) {
        if (exprs) {
            rd_constexpr(r, m, s->elem_type, &s->items[i]);
        } else {
            u32 f = wasm_rd_u32(r);
            if (!r->err && f >= m->func_count)
                return wasm_rd_fail(r, LC_EINVALID, "unknown function");
            s->items[i].op = 0xd2;
            s->items[i].value = f;
            if (!r->err)
                m->declared_refs[f] = 1;
        }
    }
}

static void elem_one(wasm_rd *r, lc_wasm_module *m, lc_wasm_elem_seg *s)
{
    u32 flags = wasm_rd_u32(r);
    if (r->err)
        return;
    if (flags > 7)
        return wasm_rd_fail(r, LC_EMALFORMED, "malformed elements segment kind");
    bool exprs = flags & 4;
    s->mode = (flags & 1) ? ((flags & 2) ? LC_WASM_SEG_DECLARATIVE : LC_WASM_SEG_PASSIVE)
                          : LC_WASM_SEG_ACTIVE;
    s->elem_type = 0x70;
    if (s->mode == LC_WASM_SEG_ACTIVE) {
        s->table_index = (flags & 2) ? wasm_rd_u32(r) : 0;
        if (!r->err && s->table_index >= m->table_count)
            return wasm_rd_fail(r, LC_EINVALID, "unknown table");
        rd_constexpr(r, m, 0x7f, &s->offset);
    }
    if (flags & 3) {  /* explicit elemkind / reftype */
        if (exprs) {
            s->elem_type = rd_reftype(r);
        } else if (wasm_rd_u8(r) != 0x00 && !r->err) {
            return wasm_rd_fail(r, LC_EMALFORMED, "malformed element kind");
        }
    }
    elem_items(r, m, s, exprs);
    if (!r->err && s->mode == LC_WASM_SEG_ACTIVE &&
        m->tables[s->table_index].elem_type != s->elem_type)
        wasm_rd_fail(r, LC_EINVALID, "type mismatch");
}

static void sec_element(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    ensure_spaces(r, m, st, 0);
    u32 n = rd_count(r, 1);
    ALLOC_N(r, m->elems, n);
    for (u32 i = 0; i < n && !r->err; i++) {
        m->elem_count = i + 1;
        elem_one(r, m, &m->elems[i]);
    }
}

static void sec_code(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    ensure_spaces(r, m, st, 0);
    u32 n = rd_count(r, 1);
    if (r->err)
        return;
    st->has_code_sec = true;
    if (n != st->func_decl_count)
        return wasm_rd_fail(r, LC_EMALFORMED,
                            "function and code section have inconsistent lengths");
    ALLOC_N(r, m->codes, n);
    for (u32 i = 0; i < n && !r->err; i++) {
        u32 size = wasm_rd_u32(r);
        const u8 *body = wasm_rd_bytes(r, size);
        if (!body)
            return;
        m->codes[i].body = body;
        m->codes[i].body_len = size;
        m->codes[i].type_index = m->func_types[m->func_import_count + i];
        m->code_count = i + 1;
    }
}

static void sec_data(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    ensure_spaces(r, m, st, 0);
    u32 n = rd_count(r, 1);
    if (r->err)
        return;
    if (m->has_data_count && n != m->data_count_decl)
        return wasm_rd_fail(r, LC_EMALFORMED,
                            "data count and data section have inconsistent lengths");
    ALLOC_N(r, m->datas, n);
    for (u32 i = 0; i < n && !r->err; i++) {
        lc_wasm_data_seg *d = &m->datas[i];
        u32 flags = wasm_rd_u32(r);
        if (r->err)
            return;
        if (flags > 2)
            return wasm_rd_fail(r, LC_EMALFORMED, "malformed data segment kind");
        d->mode = flags == 1 ? LC_WASM_SEG_PASSIVE : LC_WASM_SEG_ACTIVE;
        if (flags != 1) {
            d->memory_index = flags == 2 ? wasm_rd_u32(r) : 0;
            if (!r->err && d->memory_index >= m->memory_count)
                return wasm_rd_fail(r, LC_EINVALID, "unknown memory");
            rd_constexpr(r, m, 0x7f, &d->offset);
        }
        d->len = wasm_rd_u32(r);
        d->bytes = wasm_rd_bytes(r, d->len);
        m->data_count = i + 1;
    }
}

/* The name section's function-name map, leniently (errors in it are ignored, per spec). */
static void sec_names(wasm_rd *r, lc_wasm_module *m)
{
    while (!r->err && !wasm_rd_eof(r)) {
        u8 id = wasm_rd_u8(r);
        u32 size = wasm_rd_u32(r);
        const u8 *p = wasm_rd_bytes(r, size);
        if (!p || id != 1)
            continue;
        wasm_rd sub = {p, p + size, 0, NULL};
        u32 n = wasm_rd_u32(&sub);
        for (u32 i = 0; i < n && !sub.err; i++) {
            u32 idx = wasm_rd_u32(&sub);
            u32 len = 0;
            char *name = rd_name(&sub, &len);
            if (!name)
                break;
            if (idx >= m->func_import_count && idx < m->func_count &&
                idx - m->func_import_count < m->code_count &&
                !m->codes[idx - m->func_import_count].name)
                m->codes[idx - m->func_import_count].name = name;
            else
                lc_free(name);
        }
    }
}

static void sec_custom(wasm_rd *r, lc_wasm_module *m)
{
    u32 len = 0;
    char *name = rd_name(r, &len);
    if (!name)
        return;
    if (len == 4 && memcmp(name, "name", 4) == 0 && m->codes) {
        wasm_rd sub = {r->p, r->end, 0, NULL};
        sec_names(&sub, m);
    }
    lc_free(name);
    r->p = r->end;
}

static int section_rank(u8 id)
{
    static const int rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return id <= 12 ? rank[id] : -1;
}

static void section_one(wasm_rd *s, lc_wasm_module *m, decode_state *st, u8 id)
{
    switch (id) {
    case 0: sec_custom(s, m); break;
    case 1: sec_type(s, m); break;
    case 2: sec_import(s, m); break;
    case 3: sec_function(s, m, st); break;
    case 4: sec_table(s, st); break;
    case 5: sec_memory(s, m, st); break;
    case 6: sec_global(s, m, st); break;
    case 7: sec_export(s, m, st); break;
    case 8: sec_start(s, m, st); break;
    case 9: sec_element(s, m, st); break;
    case 10: sec_code(s, m, st); break;
    case 11: sec_data(s, m, st); break;
    case 12:
        m->data_count_decl = wasm_rd_u32(s);
        m->has_data_count = !s->err;
        break;
    }
}

static void decode_sections(wasm_rd *r, lc_wasm_module *m, decode_state *st)
{
    int last_rank = 0;
    while (!r->err && !wasm_rd_eof(r)) {
        u8 id = wasm_rd_u8(r);
        u32 size = wasm_rd_u32(r);
        if (r->err)
            return;
        int rank = section_rank(id);
        if (rank < 0)
            return wasm_rd_fail(r, LC_EMALFORMED, "malformed section id");
        if (size > (size_t)(r->end - r->p))
            return wasm_rd_fail(r, LC_EMALFORMED, "length out of bounds");
        if (id != 0) {
            if (rank <= last_rank)
                return wasm_rd_fail(r, LC_EMALFORMED, "unexpected content after last section");
            last_rank = rank;
        }
        wasm_rd s = {r->p, r->p + size, 0, NULL};
        section_one(&s, m, st, id);
        if (s.err) {
            wasm_rd_fail(r, s.err, s.msg);
            return;
        }
        if (s.p != s.end)
            return wasm_rd_fail(r, LC_EMALFORMED, "section size mismatch");
        r->p += size;
    }
}

int wasm_decode(lc_wasm_module *m, lc_errbuf *eb)
{
    wasm_rd r = {m->bytes, m->bytes + m->len, 0, NULL};
    const u8 *magic = wasm_rd_bytes(&r, 4);
    if (!magic || memcmp(magic, "\0asm", 4) != 0)
        return lc_errf(eb, LC_EMALFORMED, "magic header not detected");
    const u8 *ver = wasm_rd_bytes(&r, 4);
    if (!ver || lc_load_u32(ver) != 1)
        return lc_errf(eb, LC_EMALFORMED, "unknown binary version");
    decode_state st = {0};
    decode_sections(&r, m, &st);
    if (!r.err)
        ensure_spaces(&r, m, &st, 0);
    if (!r.err && m->memory_count > 1)
        wasm_rd_fail(&r, LC_EINVALID, "multiple memories");
    if (!r.err && st.func_decl_count && !st.has_code_sec)
        wasm_rd_fail(&r, LC_EMALFORMED, "function and code section have inconsistent lengths");
    if (!r.err && m->has_data_count && m->data_count_decl != m->data_count && !m->datas)
        wasm_rd_fail(&r, LC_EMALFORMED,
                     "data count and data section have inconsistent lengths");
    lc_free(st.func_decl);
    lc_free(st.table_decl);
    lc_free(st.mem_decl);
    if (r.err)
        return lc_errf(eb, r.err, "%s", r.msg);
    return 0;
}
