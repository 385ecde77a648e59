/*
 * value/json_out.c — SATS-JSON rendering of BSATN values and of types, byte-compatible with
 * what SpacetimeDB's server writes (serde_json, compact, over the sats serde bridge).
 *
 * Values (lc_bsatn_to_json) are rendered *untyped*, as the server does for HTTP /sql rows, v1
 * JSON subscription rows, reducer arguments in v1 events and procedure returns: it serialises
 * a ProductValue / AlgebraicValue without its type, so names never appear:
 *   product            [e0,e1,...]            (unit: [])
 *   sum                [tag,payload]          (Option: [0,v] / [1,[]]; Identity is a product)
 *   Array<U8>          "0a1b..."              lowercase hex, no 0x (serialize_bytes)
 *   other arrays       [x,...]
 *   bool, i8..u128     JSON literals / integers in full precision (u128 up to 39 digits)
 *   u256 / i256        "0x<minimal lowercase hex>", negative i256 as "-0x<magnitude>"
 *                      (ethnum's serde), so an Identity row cell is ["0x<hex>"]
 *   f32 / f64          shortest round-trip decimal in ryu's layout ("1.0", "0.001",
 *                      "1e-7", "1.5e300"); NaN and infinities as null (serde_json)
 *   string             JSON string; escapes \" \\ \b \f \n \r \t and \u00XX for other control
 *                      bytes; everything else, DEL and non-ASCII included, verbatim
 * lc_bsatn_to_json_typed renders as the server's ValueWithType serialisation (typed Rust
 * structs such as Timestamp in HTTP replies): products become objects keyed by element name
 * ({} for unit), sums {"name":payload} (Option: {"some":v} / {"none":{}}); everything else as
 * above. An unnamed product element fails there, and LC_EINVAL here.
 * Types (lc_type_to_json) are rendered *typed*, as the derived Serialize of AlgebraicType:
 *   {"Ref":3} {"Sum":{"variants":[...]}} {"Product":{"elements":[...]}} {"Array":<elem>}
 *   {"U32":[]} ...; an element is {"name":{"some":"id"}|{"none":[]},"algebraic_type":...}.
 *   lc_product_type_to_json writes the bare {"elements":[...]} used as /sql "schema".
 *
 * Bounds: recursion follows the type (depth <= LC_VALUE_DEPTH_MAX); reads go through lc_rd so
 * even invalid input cannot be over-read (it yields LC_ETRUNCATED); output is capped by the
 * buffer's limit, or LC_VALUE_JSON_MAX when it has none (zero-sized values expand).
 */
#include "base/assert.h"
#include "base/limits.h"
#include "value/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void put_lit(lc_buf *b, const char *s) { lc_buf_put(b, s, strlen(s)); }

static void put_u128(lc_buf *b, u128 v, bool is_neg)
{
    char tmp[48];
    int i = (int)sizeof tmp;
    while (v > UINT64_MAX) { /* 128-bit division is a libcall: only above 64 bits */
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    }
    u64 w = (u64)v;
    do {
        tmp[--i] = (char)('0' + (int)(w % 10));
        w /= 10;
    } while (w);
    if (is_neg) tmp[--i] = '-';
    lc_buf_put(b, tmp + i, sizeof tmp - (size_t)i);
}

static void put_i128(lc_buf *b, i128 v)
{
    put_u128(b, v < 0 ? (u128)0 - (u128)v : (u128)v, v < 0);
}

/* "0x" + minimal lowercase hex of a little-endian integer of n bytes; i256 negatives as
 * "-0x<magnitude>". */
static void put_hex_int(lc_buf *b, const u8 *le, int n, bool is_signed)
{
    u8 mag[32];
    memcpy(mag, le, (size_t)n);
    bool is_neg = is_signed && (mag[n - 1] & 0x80);
    if (is_neg) { /* two's complement negate */
        int carry = 1;
        for (int i = 0; i < n; i++) {
            int x = (u8)~mag[i] + carry;
            mag[i] = (u8)x;
            carry = x >> 8;
        }
        lc_buf_put_u8(b, '-');
    }
    put_lit(b, "0x");
    int top = n - 1;
    while (top > 0 && mag[top] == 0) top--;
    static const char hexd[] = "0123456789abcdef";
    if (mag[top] >= 0x10) lc_buf_put_u8(b, (u8)hexd[mag[top] >> 4]);
    lc_buf_put_u8(b, (u8)hexd[mag[top] & 15]);
    for (int i = top - 1; i >= 0; i--) {
        lc_buf_put_u8(b, (u8)hexd[mag[i] >> 4]);
        lc_buf_put_u8(b, (u8)hexd[mag[i] & 15]);
    }
}

/* Shortest decimal digits that read back as the same value: digits (no dot, no trailing
 * zeros) and kk such that 10^(kk-1) <= |v| < 10^kk. v finite and nonzero. */
static int float_digits(double v, bool is_f32, char *digits, int *out_kk)
{
    char buf[40];
    int maxp = is_f32 ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, fabs(v));
        bool same = is_f32 ? strtof(buf, NULL) == (float)fabs(v) : strtod(buf, NULL) == fabs(v);
        if (same || p == maxp) break;
    }
    int n = 0;
    const char *s = buf;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[n++] = *s;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = 0;
    *out_kk = atoi(s + 1) + 1;
    return n;
}

/* serde_json's float output: ryu's format_finite, or null for NaN and infinities. */
static void put_float(lc_buf *b, double v, bool is_f32)
{
    if (!isfinite(v)) {
        put_lit(b, "null");
        return;
    }
    if (signbit(v)) lc_buf_put_u8(b, '-');
    if (v == 0) {
        put_lit(b, "0.0");
        return;
    }
    char d[24];
    int kk, len = float_digits(v, is_f32, d, &kk);
    int k = kk - len;
    char tmp[64];
    if (k >= 0 && kk <= 21) {
        snprintf(tmp, sizeof tmp, "%s%.*s.0", d, k, "000000000000000000000");
    } else if (kk > 0 && kk <= 21) {
        snprintf(tmp, sizeof tmp, "%.*s.%s", kk, d, d + kk);
    } else if (kk > -6 && kk <= 0) {
        snprintf(tmp, sizeof tmp, "0.%.*s%s", -kk, "000000", d);
    } else if (len == 1) {
        snprintf(tmp, sizeof tmp, "%se%d", d, kk - 1);
    } else {
        snprintf(tmp, sizeof tmp, "%c.%se%d", d[0], d + 1, kk - 1);
    }
    put_lit(b, tmp);
}

static void put_json_str(lc_buf *b, const u8 *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    lc_buf_put_u8(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        u8 c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        lc_buf_put(b, s + run, i - run);
        run = i + 1;
        char esc[7] = { '\\', 0 };
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hexd[c >> 4];
            esc[5] = hexd[c & 15];
            lc_buf_put(b, esc, 6);
            continue;
        }
        lc_buf_put(b, esc, 2);
    }
    lc_buf_put(b, s + run, n - run);
    lc_buf_put_u8(b, '"');
}

void lc_json_put_string(lc_buf *b, const void *s, size_t n) { put_json_str(b, s, n); }

static void put_hex_bytes(lc_buf *b, const u8 *p, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    lc_buf_put_u8(b, '"');
    u8 *d = lc_buf_reserve(b, n * 2);
    if (d) {
        for (size_t i = 0; i < n; i++) {
            d[2 * i] = (u8)hexd[p[i] >> 4];
            d[2 * i + 1] = (u8)hexd[p[i] & 15];
        }
        b->len += n * 2;
    }
    lc_buf_put_u8(b, '"');
}

/* Renders one primitive (kind >= LC_T_BOOL) from q. */
static void render_prim(u8 kind, const u8 *q, lc_buf *b)
{
    switch (kind) {
    case LC_T_BOOL: put_lit(b, *q ? "true" : "false"); return;
    case LC_T_I8: put_i128(b, (i8)*q); return;
    case LC_T_U8: put_u128(b, *q, false); return;
    case LC_T_I16: put_i128(b, (i16)lc_load_u16(q)); return;
    case LC_T_U16: put_u128(b, lc_load_u16(q), false); return;
    case LC_T_I32: put_i128(b, (i32)lc_load_u32(q)); return;
    case LC_T_U32: put_u128(b, lc_load_u32(q), false); return;
    case LC_T_I64: put_i128(b, (i64)lc_load_u64(q)); return;
    case LC_T_U64: put_u128(b, lc_load_u64(q), false); return;
    case LC_T_I128:
    case LC_T_U128: {
        u128 v = ((u128)lc_load_u64(q + 8) << 64) | lc_load_u64(q);
        if (kind == LC_T_I128) put_i128(b, (i128)v);
        else put_u128(b, v, false);
        return;
    }
    case LC_T_I256:
    case LC_T_U256:
        lc_buf_put_u8(b, '"');
        put_hex_int(b, q, 32, kind == LC_T_I256);
        lc_buf_put_u8(b, '"');
        return;
    case LC_T_F32: {
        f32 f;
        memcpy(&f, q, 4);
        put_float(b, f, true);
        return;
    }
    case LC_T_F64: {
        f64 d;
        memcpy(&d, q, 8);
        put_float(b, d, false);
        return;
    }
    default: LC_UNREACHABLE();
    }
}

static int render(const lc_type *t, lc_rd *r, lc_buf *b, bool typed);

static int render_array(const lc_type *t, lc_rd *r, lc_buf *b, bool typed)
{
    u32 n = lc_rd_u32(r);
    if (r->err) return r->err;
    const lc_type *e = t->array_elem;
    if (e->kind == LC_T_U8) {
        const u8 *p = lc_rd_take(r, n);
        if (!p) return r->err;
        put_hex_bytes(b, p, n);
        return b->err;
    }
    if (e->fixed_size == 0 && n > LC_VALUE_ZST_ARRAY_MAX) return LC_ELIMIT;
    lc_buf_put_u8(b, '[');
    for (u32 i = 0; i < n; i++) {
        if (i) lc_buf_put_u8(b, ',');
        int rc = render(e, r, b, typed);
        if (rc) return rc;
    }
    lc_buf_put_u8(b, ']');
    return b->err;
}

/* Untyped: [e0,...]. Typed: {"name":e0,...} (serialize_named_product; an unnamed element is
 * an error there, LC_EINVAL here). */
static int render_product(const lc_type *t, lc_rd *r, lc_buf *b, bool typed)
{
    lc_buf_put_u8(b, typed ? '{' : '[');
    for (u32 i = 0; i < t->elem_count; i++) {
        if (i) lc_buf_put_u8(b, ',');
        if (typed) {
            const char *name = t->elems[i].name;
            if (!name) return LC_EINVAL;
            put_json_str(b, (const u8 *)name, strlen(name));
            lc_buf_put_u8(b, ':');
        }
        int rc = render(t->elems[i].type, r, b, typed);
        if (rc) return rc;
    }
    lc_buf_put_u8(b, typed ? '}' : ']');
    return b->err;
}

/* Untyped, or typed without a variant name: [tag,payload]. Typed: {"name":payload}. */
static int render_sum(const lc_type *t, lc_rd *r, lc_buf *b, bool typed)
{
    u8 tag = lc_rd_u8(r);
    if (r->err) return r->err;
    if (tag >= t->elem_count) return LC_EDECODE;
    const char *name = typed ? t->elems[tag].name : NULL;
    if (name) {
        lc_buf_put_u8(b, '{');
        put_json_str(b, (const u8 *)name, strlen(name));
        lc_buf_put_u8(b, ':');
    } else {
        lc_buf_put_u8(b, '[');
        put_u128(b, tag, false);
        lc_buf_put_u8(b, ',');
    }
    int rc = render(t->elems[tag].type, r, b, typed);
    if (rc) return rc;
    lc_buf_put_u8(b, name ? '}' : ']');
    return b->err;
}

static int render(const lc_type *t, lc_rd *r, lc_buf *b, bool typed)
{
    if (b->err) return b->err;
    u8 k = t->kind;
    if (k >= LC_T_BOOL) {
        const u8 *q = lc_rd_take(r, (size_t)t->fixed_size);
        if (!q) return r->err;
        render_prim(k, q, b);
        return b->err;
    }
    switch (k) {
    case LC_T_STRING: {
        u32 n = lc_rd_u32(r);
        const u8 *p = lc_rd_take(r, n);
        if (!p) return r->err;
        put_json_str(b, p, n);
        return b->err;
    }
    case LC_T_ARRAY: return render_array(t, r, b, typed);
    case LC_T_PRODUCT: return render_product(t, r, b, typed);
    case LC_T_SUM: return render_sum(t, r, b, typed);
    default: return LC_EINVAL; /* refs: the caller must resolve first */
    }
}

static int to_json(const lc_type *t, lc_rd *r, lc_buf *out, bool typed)
{
    if (r->err) return r->err;
    size_t saved_limit = out->limit, start = out->len;
    if (!out->limit) out->limit = out->len + LC_VALUE_JSON_MAX;
    int rc = render(t, r, out, typed);
    out->limit = saved_limit;
    if (rc == 0 && out->err) rc = out->err;
    if (rc) {
        if (!r->err) r->err = rc;
        if (out->err == LC_ELIMIT && !saved_limit) out->err = 0; /* our cap, not the caller's */
        out->len = start;
    }
    return rc;
}

int lc_bsatn_to_json(const lc_type *t, lc_rd *r, lc_buf *out) { return to_json(t, r, out, false); }

int lc_bsatn_to_json_typed(const lc_type *t, lc_rd *r, lc_buf *out)
{
    return to_json(t, r, out, true);
}

/* ---- types ---- */

static const char *const kind_names[LC_T_KIND_COUNT] = {
    [LC_T_STRING] = "String", [LC_T_BOOL] = "Bool", [LC_T_I8] = "I8", [LC_T_U8] = "U8",
    [LC_T_I16] = "I16", [LC_T_U16] = "U16", [LC_T_I32] = "I32", [LC_T_U32] = "U32",
    [LC_T_I64] = "I64", [LC_T_U64] = "U64", [LC_T_I128] = "I128", [LC_T_U128] = "U128",
    [LC_T_I256] = "I256", [LC_T_U256] = "U256", [LC_T_F32] = "F32", [LC_T_F64] = "F64",
};

static void type_json(const lc_type *t, lc_buf *b);

/* {"elements":[...]} or {"variants":[...]} */
static void elems_json(const lc_type *t, lc_buf *b)
{
    put_lit(b, t->kind == LC_T_SUM ? "{\"variants\":[" : "{\"elements\":[");
    for (u32 i = 0; i < t->elem_count && !b->err; i++) {
        if (i) lc_buf_put_u8(b, ',');
        put_lit(b, "{\"name\":");
        const char *name = t->elems[i].name;
        if (name) {
            put_lit(b, "{\"some\":");
            put_json_str(b, (const u8 *)name, strlen(name));
            lc_buf_put_u8(b, '}');
        } else {
            put_lit(b, "{\"none\":[]}");
        }
        put_lit(b, ",\"algebraic_type\":");
        type_json(t->elems[i].type, b);
        lc_buf_put_u8(b, '}');
    }
    put_lit(b, "]}");
}

static void type_json(const lc_type *t, lc_buf *b)
{
    if (b->err) return;
    switch (t->kind) {
    case LC_T_REF:
        put_lit(b, "{\"Ref\":");
        put_u128(b, t->ref, false);
        lc_buf_put_u8(b, '}');
        return;
    case LC_T_SUM:
    case LC_T_PRODUCT:
        put_lit(b, t->kind == LC_T_SUM ? "{\"Sum\":" : "{\"Product\":");
        elems_json(t, b);
        lc_buf_put_u8(b, '}');
        return;
    case LC_T_ARRAY:
        put_lit(b, "{\"Array\":");
        type_json(t->array_elem, b);
        lc_buf_put_u8(b, '}');
        return;
    default:
        put_lit(b, "{\"");
        put_lit(b, t->kind < LC_T_KIND_COUNT && kind_names[t->kind] ? kind_names[t->kind] : "?");
        put_lit(b, "\":[]}");
        return;
    }
}

/* Types may be DAGs whose tree form is huge: cap the output like values. */
static int capped(const lc_type *t, lc_buf *out, void (*fn)(const lc_type *, lc_buf *))
{
    size_t saved_limit = out->limit, start = out->len;
    if (!out->limit) out->limit = out->len + LC_VALUE_JSON_MAX;
    fn(t, out);
    out->limit = saved_limit;
    int rc = out->err;
    if (rc) {
        if (rc == LC_ELIMIT && !saved_limit) out->err = 0;
        out->len = start;
    }
    return rc;
}

int lc_type_to_json(const lc_type *t, lc_buf *out) { return capped(t, out, type_json); }

int lc_product_type_to_json(const lc_type *t, lc_buf *out)
{
    if (t->kind != LC_T_PRODUCT) return LC_EINVAL;
    return capped(t, out, elems_json);
}
