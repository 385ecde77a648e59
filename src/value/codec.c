/*
 * value/codec.c — the AlgebraicType meta-encoding (spec-module-abi §2.5): decode a type or a
 * typespace from untrusted bytes, encode one back, and resolve refs into a ref-free type.
 *
 *   AlgebraicType  = u8 tag, payload:
 *     0 Ref       u32 index into the typespace
 *     1 Sum       u32 n, n x { name: Option<String>, type: AlgebraicType }
 *     2 Product   u32 n, n x { name: Option<String>, type: AlgebraicType }
 *     3 Array     AlgebraicType (the element)
 *     4..19       String, Bool, I8, U8, I16, U16, I32, U32, I64, U64, I128, U128, I256, U256,
 *                 F32, F64 (no payload)
 *   Option<String> = 00 + u32 len + UTF-8 (Some) | 01 (None)
 *   Typespace      = u32 n, n x AlgebraicType
 *
 * Bounds. Nesting is capped at LC_VALUE_DEPTH_MAX (checked before recursing, so the C stack is
 * safe), element counts at LC_PRODUCT_ELEMS_MAX / LC_SUM_VARIANTS_MAX and by the bytes left
 * (an element takes at least two bytes), type counts at LC_TYPESPACE_TYPES_MAX, and all node
 * memory by the typespace arena's limit. Names must be valid UTF-8 without NUL (we keep them
 * NUL-terminated). Errors name the byte offset from where decoding started.
 *
 * Resolution memoises each ref target, so a typespace whose types share refs resolves to a
 * DAG linear in the typespace's size; a ref reached again while it is being resolved is a
 * recursive type and is rejected (the store cannot lay out such rows).
 */
#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "value/value.h"

typedef struct dctx {
    lc_typespace *ts;
    const u8 *start;
    lc_errbuf *eb;
} dctx;

static size_t doff(const dctx *c, const lc_rd *r) { return (size_t)(r->p - c->start); }

LC_COLD static int dtrunc(dctx *c, lc_rd *r, const char *what)
{
    int rc = lc_errf(c->eb, LC_ETRUNCATED, "type encoding truncated in %s at byte offset %zu",
                     what, doff(c, r));
    r->err = LC_ETRUNCATED;
    return rc;
}

static int decode_rec(dctx *c, lc_rd *r, int depth, const lc_type **out);

/* Option<String> element name; *out NULL for None. */
static int decode_name(dctx *c, lc_rd *r, const char **out)
{
    *out = NULL;
    if (lc_rd_left(r) < 1) return dtrunc(c, r, "element name");
    size_t at = doff(c, r);
    u8 tag = lc_rd_u8(r);
    if (tag == 1) return 0;
    if (tag != 0)
        return lc_errf(c->eb, LC_EDECODE, "bad Option tag %u for element name at byte offset %zu",
                       tag, at);
    if (lc_rd_left(r) < 4) return dtrunc(c, r, "element name");
    u32 n = lc_rd_u32(r);
    const u8 *s = lc_rd_take(r, n);
    if (!s) return dtrunc(c, r, "element name");
    if (!lc_utf8_valid(s, n) || memchr(s, 0, n))
        return lc_errf(c->eb, LC_EUTF8, "element name at byte offset %zu is not valid UTF-8 "
                       "without NUL", at + 5);
    char *name = lc_arena_alloc(&c->ts->arena, (size_t)n + 1);
    if (!name) return lc_errf(c->eb, LC_ENOMEM, "out of type memory");
    memcpy(name, s, n);
    name[n] = 0;
    *out = name;
    return 0;
}

static int decode_elems(dctx *c, lc_rd *r, int depth, u8 kind, const lc_type **out)
{
    if (lc_rd_left(r) < 4) return dtrunc(c, r, "element count");
    size_t at = doff(c, r);
    u32 n = lc_rd_u32(r);
    u32 max = kind == LC_T_SUM ? LC_SUM_VARIANTS_MAX : LC_PRODUCT_ELEMS_MAX;
    if (n > max)
        return lc_errf(c->eb, LC_ELIMIT, "%s with %u elements at byte offset %zu (max %u)",
                       kind == LC_T_SUM ? "sum" : "product", n, at, max);
    if ((u64)n * 2 > lc_rd_left(r)) return dtrunc(c, r, "elements");
    lc_type_elem *e = lc_alloc((size_t)n * sizeof *e + 1);
    if (!e) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    int rc = 0;
    for (u32 i = 0; i < n && !rc; i++) {
        rc = decode_name(c, r, &e[i].name);
        if (!rc) rc = decode_rec(c, r, depth + 1, &e[i].type);
    }
    if (!rc) {
        *out = kind == LC_T_SUM ? lc_type_sum(c->ts, n, e) : lc_type_product(c->ts, n, e);
        if (!*out) rc = lc_errf(c->eb, LC_ENOMEM, "out of type memory");
    }
    lc_free(e);
    return rc;
}

static int decode_rec(dctx *c, lc_rd *r, int depth, const lc_type **out)
{
    if (depth > LC_VALUE_DEPTH_MAX)
        return lc_errf(c->eb, LC_ELIMIT, "type nested deeper than %d at byte offset %zu",
                       LC_VALUE_DEPTH_MAX, doff(c, r));
    if (lc_rd_left(r) < 1) return dtrunc(c, r, "type tag");
    size_t at = doff(c, r);
    u8 tag = lc_rd_u8(r);
    switch (tag) {
    case LC_T_REF: {
        if (lc_rd_left(r) < 4) return dtrunc(c, r, "type ref");
        *out = lc_type_ref(c->ts, lc_rd_u32(r));
        break;
    }
    case LC_T_SUM:
    case LC_T_PRODUCT: return decode_elems(c, r, depth, tag, out);
    case LC_T_ARRAY: {
        const lc_type *e;
        int rc = decode_rec(c, r, depth + 1, &e);
        if (rc) return rc;
        *out = lc_type_array(c->ts, e);
        break;
    }
    default:
        if (tag >= LC_T_KIND_COUNT)
            return lc_errf(c->eb, LC_EDECODE, "bad AlgebraicType tag %u at byte offset %zu",
                           tag, at);
        *out = lc_type_prim((lc_type_kind)tag);
        return 0;
    }
    return *out ? 0 : lc_errf(c->eb, LC_ENOMEM, "out of type memory");
}

int lc_type_decode(lc_typespace *ts, lc_rd *r, const lc_type **out_type, lc_errbuf *eb)
{
    *out_type = NULL;
    if (r->err) return lc_errf(eb, r->err, "reader already failed");
    dctx c = { ts, r->p, eb };
    int rc = decode_rec(&c, r, 1, out_type);
    if (rc) {
        *out_type = NULL;
        if (!r->err) r->err = rc;
    }
    return rc;
}

int lc_typespace_decode(lc_typespace *ts, lc_rd *r, lc_errbuf *eb)
{
    lc_typespace_deinit(ts);
    lc_typespace_init(ts);
    if (r->err) return lc_errf(eb, r->err, "reader already failed");
    dctx c = { ts, r->p, eb };
    if (lc_rd_left(r) < 4) return dtrunc(&c, r, "typespace count");
    u32 n = lc_rd_u32(r);
    if (n > LC_TYPESPACE_TYPES_MAX)
        return lc_errf(eb, LC_ELIMIT, "typespace with %u types (max %u)", n,
                       (unsigned)LC_TYPESPACE_TYPES_MAX);
    if (n > lc_rd_left(r)) return dtrunc(&c, r, "typespace");
    const lc_type **types = lc_arena_alloc(&ts->arena, (size_t)n * sizeof *types + 1);
    if (!types) return lc_errf(eb, LC_ENOMEM, "out of type memory");
    for (u32 i = 0; i < n; i++) {
        int rc = decode_rec(&c, r, 1, &types[i]);
        if (rc) {
            if (!r->err) r->err = rc;
            return rc;
        }
    }
    ts->types = types;
    ts->count = n;
    return 0;
}

void lc_type_encode(lc_buf *b, const lc_type *t)
{
    lc_buf_put_u8(b, t->kind);
    switch (t->kind) {
    case LC_T_REF: lc_buf_put_u32(b, t->ref); return;
    case LC_T_ARRAY: lc_type_encode(b, t->array_elem); return;
    case LC_T_SUM:
    case LC_T_PRODUCT:
        lc_buf_put_u32(b, t->elem_count);
        for (u32 i = 0; i < t->elem_count && !b->err; i++) {
            const char *name = t->elems[i].name;
            if (name) {
                lc_buf_put_u8(b, 0);
                lc_buf_put_str(b, name, (u32)strlen(name));
            } else {
                lc_buf_put_u8(b, 1);
            }
            lc_type_encode(b, t->elems[i].type);
        }
        return;
    default: return;
    }
}

/* ---- ref resolution ---- */

enum { RES_TODO = 0, RES_BUSY, RES_DONE };

typedef struct rctx {
    lc_typespace *into;
    const lc_typespace *from;
    const lc_type **memo; /* from->count entries */
    u8 *state;
    lc_errbuf *eb;
    int frames; /* live recursion frames: ref-to-ref chains add frames but no type depth */
} rctx;

/* Recursion budget of resolution: every level of a maximal-depth type may go through a ref,
 * and a few ref-to-ref aliases are allowed on top; a longer alias chain is rejected rather than
 * allowed to exhaust the C stack. */
#define RES_FRAMES_MAX (4 * LC_VALUE_DEPTH_MAX)

static int resolve_rec(rctx *c, const lc_type *t, const lc_type **out);

static int resolve_ref(rctx *c, u32 ref, const lc_type **out)
{
    if (ref >= c->from->count)
        return lc_errf(c->eb, LC_EINVAL, "type ref &%u out of range (typespace has %u types)",
                       ref, c->from->count);
    if (c->state[ref] == RES_DONE) {
        *out = c->memo[ref];
        return 0;
    }
    if (c->state[ref] == RES_BUSY)
        return lc_errf(c->eb, LC_EINVAL, "recursive type: &%u refers to itself", ref);
    c->state[ref] = RES_BUSY;
    int rc = resolve_rec(c, c->from->types[ref], &c->memo[ref]);
    if (rc) return rc;
    c->state[ref] = RES_DONE;
    *out = c->memo[ref];
    return 0;
}

LC_COLD static int too_deep(rctx *c)
{
    return lc_errf(c->eb, LC_ELIMIT, "resolved type nested deeper than %d",
                   LC_VALUE_DEPTH_MAX);
}

static int resolve_elems(rctx *c, const lc_type *t, const lc_type **out)
{
    lc_type_elem *e = lc_alloc((size_t)t->elem_count * sizeof *e + 1);
    if (!e) return lc_errf(c->eb, LC_ENOMEM, "out of memory");
    int rc = 0;
    for (u32 i = 0; i < t->elem_count && !rc; i++) {
        e[i].name = t->elems[i].name;
        rc = resolve_rec(c, t->elems[i].type, &e[i].type);
        if (!rc && e[i].type->depth >= LC_VALUE_DEPTH_MAX) rc = too_deep(c);
    }
    if (!rc) {
        *out = t->kind == LC_T_SUM ? lc_type_sum(c->into, t->elem_count, e)
                                   : lc_type_product(c->into, t->elem_count, e);
        if (!*out) rc = lc_errf(c->eb, LC_ENOMEM, "out of type memory");
    }
    lc_free(e);
    return rc;
}

static int resolve_kind(rctx *c, const lc_type *t, const lc_type **out);

static int resolve_rec(rctx *c, const lc_type *t, const lc_type **out)
{
    if (c->frames >= RES_FRAMES_MAX)
        return lc_errf(c->eb, LC_ELIMIT, "type refs nested deeper than %d", RES_FRAMES_MAX);
    c->frames++;
    int rc = resolve_kind(c, t, out);
    c->frames--;
    return rc;
}

static int resolve_kind(rctx *c, const lc_type *t, const lc_type **out)
{
    switch (t->kind) {
    case LC_T_REF: return resolve_ref(c, t->ref, out);
    case LC_T_ARRAY: {
        const lc_type *e;
        int rc = resolve_rec(c, t->array_elem, &e);
        if (rc) return rc;
        if (e->depth >= LC_VALUE_DEPTH_MAX) return too_deep(c);
        *out = lc_type_array(c->into, e);
        return *out ? 0 : lc_errf(c->eb, LC_ENOMEM, "out of type memory");
    }
    case LC_T_SUM:
    case LC_T_PRODUCT: return resolve_elems(c, t, out);
    default: *out = t; return 0; /* primitives are static singletons */
    }
}

int lc_type_resolve(lc_typespace *into, const lc_typespace *from, const lc_type *t,
                    const lc_type **out_type, lc_errbuf *eb)
{
    *out_type = NULL;
    rctx c = { into, from, NULL, NULL, eb, 0 };
    size_t n = from ? from->count : 0;
    lc_typespace empty = { 0 };
    if (!from) c.from = &empty;
    c.memo = lc_calloc(n + 1, sizeof *c.memo);
    c.state = lc_calloc(n + 1, 1);
    int rc = LC_ENOMEM;
    if (c.memo && c.state) rc = resolve_rec(&c, t, out_type);
    else lc_errf(eb, rc, "out of memory");
    if (rc) *out_type = NULL;
    lc_free(c.memo);
    lc_free(c.state);
    return rc;
}
