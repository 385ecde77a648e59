/*
 * value/bsatn.c — BSATN over a run-time type: validate (untrusted input), skip and size
 * (trusted input), and the total order used by indexes (spec-module-abi §2.1-2.4).
 *
 * Design.
 *  - The type's derived fields (value.h) do most of the work: a plain type (fixed size, every
 *    byte pattern valid) validates by a length check and skips by a pointer bump; arrays of a
 *    plain element validate in one multiplication. Only bools, sums, strings and the composites
 *    holding them are walked.
 *  - Recursion follows the type, whose depth builders cap at LC_VALUE_DEPTH_MAX, so no value
 *    can nest deeper than that. Every non-plain type consumes at least one byte per value, so
 *    validation work is bounded by the input length (zero-sized types are plain, and arrays of
 *    them are capped by LC_VALUE_ZST_ARRAY_MAX).
 *  - Errors name the problem and the byte offset from where validation started.
 *
 * Order (lc_bsatn_cmp): integers numerically by signedness and width up to 256 bits; bool
 * false < true; floats by a total order: -inf < ... < -0 < +0 < ... < +inf < NaN, with every
 * NaN (any sign or payload) equal to every other; strings bytewise with a shorter prefix
 * first; products element by element; sums by tag, then payload; arrays element-wise with a
 * shorter prefix first. Equal values have equal bytes except NaN payloads.
 */
#include "base/assert.h"
#include "base/limits.h"
#include "value/value.h"

/* ---- UTF-8 ---- */

/* Returns the offset of the first invalid byte, or n if s[0..n) is valid UTF-8 (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
size_t lc_utf8_valid_prefix(const void *str, size_t n)
{
    const u8 *s = str;
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n && (lc_load_u64(s + i) & 0x8080808080808080ull) == 0) {
            i += 8;
            continue;
        }
        u8 c = s[i];
        if (c < 0x80) {
            i++;
            while (i < n && s[i] < 0x80 && (i & 7)) i++; /* ASCII up to the next 8-byte step */
            continue;
        }
        size_t len;
        u8 lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else {
            return i;
        }
        if (n - i < len) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return i;
        i += len;
    }
    return n;
}

bool lc_utf8_valid(const void *s, size_t n) { return lc_utf8_valid_prefix(s, n) == n; }

/* ---- validate ---- */

typedef struct vctx {
    const u8 *start;
    lc_errbuf *eb;
} vctx;

static size_t voff(const vctx *c, const u8 *p) { return (size_t)(p - c->start); }

LC_COLD static int vtrunc(vctx *c, lc_rd *r, size_t need, const char *what)
{
    r->err = LC_ETRUNCATED;
    return lc_errf(c->eb, LC_ETRUNCATED,
                   "%s truncated at byte offset %zu: need %zu bytes, %zu left", what,
                   voff(c, r->p), need, lc_rd_left(r));
}

static int validate_rec(const lc_type *t, lc_rd *r, vctx *c);

static int validate_array(const lc_type *t, lc_rd *r, vctx *c)
{
    if (lc_rd_left(r) < 4) return vtrunc(c, r, 4, "array length");
    u32 n = lc_rd_u32(r);
    const lc_type *e = t->array_elem;
    if (e->is_plain) {
        if (e->fixed_size == 0) {
            if (n > LC_VALUE_ZST_ARRAY_MAX)
                return lc_errf(c->eb, LC_ELIMIT,
                               "array of %u zero-sized elements at byte offset %zu exceeds %u",
                               n, voff(c, r->p) - 4, (unsigned)LC_VALUE_ZST_ARRAY_MAX);
            return 0;
        }
        u64 bytes = (u64)n * (u64)e->fixed_size;
        if (bytes > lc_rd_left(r)) return vtrunc(c, r, (size_t)bytes, "array");
        r->p += bytes;
        return 0;
    }
    /* Non-plain elements take at least one byte each: reject impossible counts up front. */
    if (n > lc_rd_left(r)) return vtrunc(c, r, n, "array");
    for (u32 i = 0; i < n; i++) {
        int rc = validate_rec(e, r, c);
        if (rc) return rc;
    }
    return 0;
}

static int validate_rec(const lc_type *t, lc_rd *r, vctx *c)
{
    if (t->is_plain) {
        if (lc_rd_left(r) < (size_t)t->fixed_size)
            return vtrunc(c, r, (size_t)t->fixed_size, "value");
        r->p += t->fixed_size;
        return 0;
    }
    switch (t->kind) {
    case LC_T_BOOL: {
        if (!lc_rd_left(r)) return vtrunc(c, r, 1, "bool");
        u8 v = *r->p;
        if (v > 1)
            return lc_errf(c->eb, LC_EDECODE, "invalid bool byte 0x%02x at byte offset %zu", v,
                           voff(c, r->p));
        r->p++;
        return 0;
    }
    case LC_T_STRING: {
        if (lc_rd_left(r) < 4) return vtrunc(c, r, 4, "string length");
        u32 n = lc_rd_u32(r);
        if (lc_rd_left(r) < n) return vtrunc(c, r, n, "string");
        size_t bad = lc_utf8_valid_prefix(r->p, n);
        if (bad != n)
            return lc_errf(c->eb, LC_EUTF8, "invalid UTF-8 in string at byte offset %zu",
                           voff(c, r->p + bad));
        r->p += n;
        return 0;
    }
    case LC_T_ARRAY: return validate_array(t, r, c);
    case LC_T_PRODUCT:
        for (u32 i = 0; i < t->elem_count; i++) {
            const lc_type *e = t->elems[i].type;
            if (e->is_plain && lc_rd_left(r) >= (size_t)e->fixed_size) { /* no call needed */
                r->p += e->fixed_size;
                continue;
            }
            int rc = validate_rec(e, r, c);
            if (rc) return rc;
        }
        return 0;
    case LC_T_SUM: {
        if (!lc_rd_left(r)) return vtrunc(c, r, 1, "sum tag");
        u8 tag = *r->p;
        if (tag >= t->elem_count)
            return lc_errf(c->eb, LC_EDECODE,
                           "sum tag %u out of range (%u variants) at byte offset %zu", tag,
                           t->elem_count, voff(c, r->p));
        r->p++;
        return validate_rec(t->elems[tag].type, r, c);
    }
    case LC_T_REF:
        return lc_errf(c->eb, LC_EINVAL, "unresolved type ref &%u at byte offset %zu", t->ref,
                       voff(c, r->p));
    default:
        return lc_errf(c->eb, LC_EINVAL, "bad type kind %u", t->kind);
    }
}

int lc_bsatn_validate(const lc_type *t, lc_rd *r, lc_errbuf *eb)
{
    if (r->err) return lc_errf(eb, r->err, "reader already failed");
    vctx c = { r->p, eb };
    int rc = validate_rec(t, r, &c);
    if (rc && !r->err) r->err = rc;
    return rc;
}

/* ---- size / skip ---- */

static const u8 *size_rec(const lc_type *t, const u8 *p)
{
    if (t->fixed_size >= 0) return p + t->fixed_size;
    switch (t->kind) {
    case LC_T_STRING: return p + 4 + lc_load_u32(p);
    case LC_T_ARRAY: {
        u32 n = lc_load_u32(p);
        p += 4;
        const lc_type *e = t->array_elem;
        if (e->fixed_size >= 0) return p + (size_t)n * (size_t)e->fixed_size;
        for (u32 i = 0; i < n; i++) p = size_rec(e, p);
        return p;
    }
    case LC_T_PRODUCT:
        for (u32 i = 0; i < t->elem_count; i++) p = size_rec(t->elems[i].type, p);
        return p;
    case LC_T_SUM: {
        u8 tag = *p;
        LC_DEBUG_ASSERT(tag < t->elem_count);
        return size_rec(t->elems[tag].type, p + 1);
    }
    default: LC_UNREACHABLE();
    }
}

size_t lc_bsatn_size(const lc_type *t, const u8 *p)
{
    if (t->fixed_size >= 0) return (size_t)t->fixed_size;
    return (size_t)(size_rec(t, p) - p);
}

void lc_bsatn_skip(const lc_type *t, lc_rd *r)
{
    if (r->err) return;
    if (t->fixed_size >= 0) {
        (void)lc_rd_take(r, (size_t)t->fixed_size);
        return;
    }
    /* Valid input by contract; the take still refuses to run past the end. */
    (void)lc_rd_take(r, lc_bsatn_size(t, r->p));
}

/* ---- order ---- */

static inline int cmp_u64(u64 a, u64 b) { return (a > b) - (a < b); }
static inline int cmp_i64(i64 a, i64 b) { return (a > b) - (a < b); }

/* Maps float bits to an unsigned key in the documented total order. */
static inline u32 f32_key(u32 bits)
{
    if ((bits & 0x7fffffffu) > 0x7f800000u) return 0xffffffffu; /* any NaN */
    return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

static inline u64 f64_key(u64 bits)
{
    if ((bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull) return ~0ull;
    return (bits & 0x8000000000000000ull) ? ~bits : bits | 0x8000000000000000ull;
}

/* Compares `words` little-endian u64 words, the top one signed when is_signed. */
static int cmp_wide(const u8 *a, const u8 *b, int words, bool is_signed)
{
    int top = words - 1;
    u64 ha = lc_load_u64(a + 8 * top), hb = lc_load_u64(b + 8 * top);
    if (ha != hb) return is_signed ? cmp_i64((i64)ha, (i64)hb) : cmp_u64(ha, hb);
    for (int w = top - 1; w >= 0; w--) {
        u64 x = lc_load_u64(a + 8 * w), y = lc_load_u64(b + 8 * w);
        if (x != y) return cmp_u64(x, y);
    }
    return 0;
}

/* Primitive comparison (fixed-size kinds only). */
static inline int cmp_prim(u8 kind, const u8 *a, const u8 *b)
{
    switch (kind) {
    case LC_T_BOOL:
    case LC_T_U8: return (int)*a - (int)*b;
    case LC_T_I8: return (int)(i8)*a - (int)(i8)*b;
    case LC_T_U16: return (int)lc_load_u16(a) - (int)lc_load_u16(b);
    case LC_T_I16: return (int)(i16)lc_load_u16(a) - (int)(i16)lc_load_u16(b);
    case LC_T_U32: return cmp_u64(lc_load_u32(a), lc_load_u32(b));
    case LC_T_I32: return cmp_i64((i32)lc_load_u32(a), (i32)lc_load_u32(b));
    case LC_T_U64: return cmp_u64(lc_load_u64(a), lc_load_u64(b));
    case LC_T_I64: return cmp_i64((i64)lc_load_u64(a), (i64)lc_load_u64(b));
    case LC_T_U128: return cmp_wide(a, b, 2, false);
    case LC_T_I128: return cmp_wide(a, b, 2, true);
    case LC_T_U256: return cmp_wide(a, b, 4, false);
    case LC_T_I256: return cmp_wide(a, b, 4, true);
    case LC_T_F32: return cmp_u64(f32_key(lc_load_u32(a)), f32_key(lc_load_u32(b)));
    case LC_T_F64: return cmp_u64(f64_key(lc_load_u64(a)), f64_key(lc_load_u64(b)));
    default: LC_UNREACHABLE();
    }
}

static int cmp_rec(const lc_type *t, const u8 **pa, const u8 **pb);

static int cmp_bytes(const u8 **pa, const u8 **pb)
{
    u32 na = lc_load_u32(*pa), nb = lc_load_u32(*pb);
    int c = memcmp(*pa + 4, *pb + 4, LC_MIN(na, nb));
    *pa += 4 + (size_t)na;
    *pb += 4 + (size_t)nb;
    if (c) return c;
    return cmp_u64(na, nb);
}

static int cmp_array(const lc_type *t, const u8 **pa, const u8 **pb)
{
    const lc_type *e = t->array_elem;
    if (e->kind == LC_T_U8) return cmp_bytes(pa, pb);
    u32 na = lc_load_u32(*pa), nb = lc_load_u32(*pb);
    *pa += 4;
    *pb += 4;
    u32 n = LC_MIN(na, nb);
    if (e->fixed_size != 0) {
        for (u32 i = 0; i < n; i++) {
            int c = cmp_rec(e, pa, pb);
            if (c) return c;
        }
    }
    if (na != nb) return na < nb ? -1 : 1;
    return 0;
}

/* Compares one value at *pa and *pb and advances both past it (only when equal: a caller
 * stops at the first difference, so the positions after a difference are not needed). */
static int cmp_rec(const lc_type *t, const u8 **pa, const u8 **pb)
{
    u8 k = t->kind;
    if (k >= LC_T_BOOL) {
        int c = cmp_prim(k, *pa, *pb);
        *pa += t->fixed_size;
        *pb += t->fixed_size;
        return c;
    }
    if (t->fixed_size == 0) return 0; /* zero-sized: no bytes, all equal (and no walk of a
                                         * possibly huge shared type) */
    switch (k) {
    case LC_T_STRING: return cmp_bytes(pa, pb);
    case LC_T_ARRAY: return cmp_array(t, pa, pb);
    case LC_T_PRODUCT:
        for (u32 i = 0; i < t->elem_count; i++) {
            int c = cmp_rec(t->elems[i].type, pa, pb);
            if (c) return c;
        }
        return 0;
    case LC_T_SUM: {
        u8 ta = **pa, tb = **pb;
        if (ta != tb) return ta < tb ? -1 : 1;
        (*pa)++;
        (*pb)++;
        return cmp_rec(t->elems[ta].type, pa, pb);
    }
    default: LC_UNREACHABLE();
    }
}

int lc_bsatn_cmp(const lc_type *t, const u8 *a, const u8 *b)
{
    u8 k = t->kind;
    if (LC_LIKELY(k >= LC_T_BOOL)) {
        int c = cmp_prim(k, a, b);
        return (c > 0) - (c < 0);
    }
    int c = cmp_rec(t, &a, &b);
    return (c > 0) - (c < 0);
}
