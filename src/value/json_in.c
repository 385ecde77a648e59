/*
 * value/json_in.c — SATS-JSON to BSATN for a given type: what HTTP /call needs for reducer and
 * procedure arguments (a JSON array by position, or an object by parameter name).
 *
 * Accepted forms follow SpacetimeDB's serde bridge (crates/sats/src/de/serde.rs and the typed
 * seeds in de/impls.rs), with a few documented leniencies (marked +):
 *   product   [e0, e1, ...] with exactly the element count, or {"name": v, ...} naming every
 *             element once (missing, unknown and duplicate names are errors); + null for unit;
 *             + for Identity / ConnectionId / Uuid a bare hex string ("0x" optional), and for
 *             Timestamp / TimeDuration a bare integer (the CLI's "normalised" forms)
 *   sum       {"variant": payload} (exactly one key; the key may be the decimal tag), or
 *             [tag_or_name, payload]; null for Option's none
 *   Array<U8> a hex string (even length, either case, no 0x) or an array of numbers
 *   arrays    [x, ...]
 *   integers  JSON integers in range; + decimal strings; u256/i256 as "[+-]0x<hex>" strings
 *             (ethnum) + or decimal strings / integers. JSON integers beyond 64 bits are
 *             supported: jansson cannot hold them, so the text entry point quotes integer
 *             literals of 19+ digits before parsing (they then arrive as decimal strings)
 *   floats    JSON numbers; + numeric strings
 *   bool, string  JSON true/false, JSON string
 * Errors name the JSON path ($[1].name) and what was expected. Recursion follows the type
 * (depth <= LC_VALUE_DEPTH_MAX); output is bounded by the buffer's limit, or
 * LC_VALUE_SIZE_MAX when it has none.
 */
#include "base/alloc.h"
#include "base/hex.h"
#include "base/assert.h"
#include "base/limits.h"
#include "value/value.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct jctx {
    lc_buf *out;
    lc_errbuf *eb;
    char path[192];
    size_t path_len;
} jctx;

static size_t path_push_idx(jctx *c, size_t i)
{
    size_t saved = c->path_len;
    int n = snprintf(c->path + saved, sizeof c->path - saved, "[%zu]", i);
    if (n > 0) c->path_len = LC_MIN(saved + (size_t)n, sizeof c->path - 1);
    return saved;
}

static size_t path_push_name(jctx *c, const char *name)
{
    size_t saved = c->path_len;
    int n = snprintf(c->path + saved, sizeof c->path - saved, ".%s", name);
    if (n > 0) c->path_len = LC_MIN(saved + (size_t)n, sizeof c->path - 1);
    return saved;
}

static void path_pop(jctx *c, size_t saved)
{
    c->path_len = saved;
    c->path[saved] = 0;
}

LC_COLD static int jerr(jctx *c, const char *what)
{
    return lc_errf(c->eb, LC_ETYPE, "at %s: %s", c->path, what);
}

/* ---- integers up to 256 bits ---- */

typedef struct wide {
    u64 w[4]; /* magnitude, little-endian words */
    bool is_neg;
} wide;

static bool wide_mul_add(wide *v, u32 base, u32 digit)
{
    u128 carry = digit;
    for (int i = 0; i < 4; i++) {
        u128 x = (u128)v->w[i] * base + carry;
        v->w[i] = (u64)x;
        carry = x >> 64;
    }
    return carry == 0;
}

/* "[+-][0x]digits": hex after 0x (or always when is_hex), else decimal. 0 or -1. */
static int wide_parse(const char *s, size_t n, bool is_hex, wide *v)
{
    memset(v, 0, sizeof *v);
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) v->is_neg = s[i++] == '-';
    if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        is_hex = true;
        i += 2;
    }
    if (i == n) return -1;
    for (; i < n; i++) {
        int d = is_hex ? lc_hex_digit(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
        if (d < 0 || !wide_mul_add(v, is_hex ? 16 : 10, (u32)d)) return -1;
    }
    return 0;
}


static int wide_bit_len(const wide *v)
{
    for (int i = 3; i >= 0; i--)
        if (v->w[i]) return i * 64 + 64 - __builtin_clzll(v->w[i]);
    return 0;
}

/* Does the value fit in `bits` (8..256), signed or not? */
static bool wide_fits(const wide *v, int bits, bool is_signed)
{
    int n = wide_bit_len(v);
    if (!is_signed) return n <= bits && (!v->is_neg || n == 0);
    if (n <= bits - 1) return true;
    /* -2^(bits-1): exactly the top bit set */
    if (!v->is_neg || n != bits) return false;
    wide m = *v;
    int top = bits - 1;
    m.w[top / 64] &= ~(1ull << (top % 64));
    return wide_bit_len(&m) == 0;
}

static void wide_put(lc_buf *b, const wide *v, int bytes)
{
    u64 w[4];
    memcpy(w, v->w, sizeof w);
    if (v->is_neg) { /* two's complement */
        u64 carry = 1;
        for (int i = 0; i < 4; i++) {
            w[i] = ~w[i] + carry;
            carry = carry && w[i] == 0;
        }
    }
    lc_buf_put(b, w, (size_t)bytes);
}

/* JSON value -> wide: integers, or strings (decimal, 0x-hex; bare hex when is_hex). */
static int json_wide(jctx *c, const json_t *j, bool is_hex, wide *v)
{
    if (json_is_integer(j)) {
        json_int_t x = json_integer_value(j);
        memset(v, 0, sizeof *v);
        v->is_neg = x < 0;
        v->w[0] = x < 0 ? (u64)0 - (u64)x : (u64)x;
        return 0;
    }
    if (json_is_string(j)) {
        if (wide_parse(json_string_value(j), json_string_length(j), is_hex, v) == 0) return 0;
        return jerr(c, is_hex ? "expected a hex integer string" : "expected an integer string");
    }
    return jerr(c, "expected an integer");
}

static int int_from_json(jctx *c, u8 kind, const json_t *j, bool is_hex)
{
    wide v;
    int rc = json_wide(c, j, is_hex, &v);
    if (rc) return rc;
    int bytes = lc_type_prim((lc_type_kind)kind)->fixed_size;
    bool is_signed = lc_type_is_signed(lc_type_prim((lc_type_kind)kind));
    if (!wide_fits(&v, bytes * 8, is_signed)) {
        char msg[64];
        snprintf(msg, sizeof msg, "integer out of range for %s%d", is_signed ? "I" : "U",
                 bytes * 8);
        return jerr(c, msg);
    }
    wide_put(c->out, &v, bytes);
    return 0;
}

static int float_from_json(jctx *c, u8 kind, const json_t *j)
{
    double d;
    if (json_is_number(j)) {
        d = json_number_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *end;
        errno = 0;
        d = strtod(s, &end);
        if (end == s || *end || (size_t)(end - s) != json_string_length(j))
            return jerr(c, "expected a number");
    } else {
        return jerr(c, "expected a number");
    }
    if (kind == LC_T_F32) {
        f32 f = (f32)d;
        lc_buf_put(c->out, &f, 4);
    } else {
        lc_buf_put(c->out, &d, 8);
    }
    return 0;
}

static int from_json(jctx *c, const lc_type *t, const json_t *j);

static int bytes_from_hex(jctx *c, const json_t *j)
{
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    if (n % 2) return jerr(c, "hex string of odd length");
    if (n / 2 > UINT32_MAX) return jerr(c, "byte array too long");
    lc_buf_put_u32(c->out, (u32)(n / 2));
    u8 *d = lc_buf_reserve(c->out, n / 2);
    if (!d) return c->out->err;
    for (size_t i = 0; i < n; i += 2) {
        int hi = lc_hex_digit(s[i]), lo = lc_hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0) return jerr(c, "invalid hex digit in byte string");
        d[i / 2] = (u8)(hi << 4 | lo);
    }
    c->out->len += n / 2;
    return 0;
}

static int array_from_json(jctx *c, const lc_type *t, const json_t *j)
{
    if (t->array_elem->kind == LC_T_U8 && json_is_string(j)) return bytes_from_hex(c, j);
    if (!json_is_array(j)) return jerr(c, "expected an array");
    size_t n = json_array_size(j);
    if (n > UINT32_MAX) return jerr(c, "array too long");
    lc_buf_put_u32(c->out, (u32)n);
    for (size_t i = 0; i < n; i++) {
        size_t saved = path_push_idx(c, i);
        int rc = from_json(c, t->array_elem, json_array_get(j, i));
        path_pop(c, saved);
        if (rc) return rc;
        if (c->out->err) return c->out->err;
    }
    return 0;
}

/* Identity & co. given bare: a hex string (or an integer for the time types). */
static int special_bare(jctx *c, const lc_type *t, const json_t *j, bool *out_done)
{
    *out_done = false;
    u8 s = t->special;
    bool is_id = s == LC_TS_IDENTITY || s == LC_TS_CONNECTION_ID || s == LC_TS_UUID;
    bool is_time = s == LC_TS_TIMESTAMP || s == LC_TS_TIME_DURATION;
    if ((is_id && json_is_string(j)) || (is_time && json_is_integer(j))) {
        *out_done = true;
        return int_from_json(c, t->elems[0].type->kind, j, is_id);
    }
    return 0;
}

static int product_from_object(jctx *c, const lc_type *t, const json_t *j)
{
    for (u32 i = 0; i < t->elem_count; i++) {
        const char *name = t->elems[i].name;
        if (!name) return jerr(c, "an object cannot give unnamed elements; use an array");
        const json_t *v = json_object_get(j, name);
        size_t saved = path_push_name(c, name);
        int rc = v ? from_json(c, t->elems[i].type, v) : jerr(c, "missing field");
        path_pop(c, saved);
        if (rc) return rc;
    }
    if (json_object_size(j) == t->elem_count) return 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        bool known = false;
        for (u32 i = 0; i < t->elem_count && !known; i++) known = !strcmp(key, t->elems[i].name);
        if (!known) {
            size_t saved = path_push_name(c, key);
            int rc = jerr(c, "unknown field");
            path_pop(c, saved);
            return rc;
        }
    }
    return jerr(c, "unexpected fields");
}

static int product_from_json(jctx *c, const lc_type *t, const json_t *j)
{
    bool done;
    int rc = special_bare(c, t, j, &done);
    if (done) return rc;
    if (json_is_object(j)) return product_from_object(c, t, j);
    if (json_is_null(j) && t->elem_count == 0) return 0;
    if (!json_is_array(j)) return jerr(c, "expected an array or object (product)");
    if (json_array_size(j) != t->elem_count) {
        char msg[80];
        snprintf(msg, sizeof msg, "expected %u elements, got %zu", t->elem_count,
                 json_array_size(j));
        return jerr(c, msg);
    }
    for (u32 i = 0; i < t->elem_count; i++) {
        size_t saved = path_push_idx(c, i);
        rc = from_json(c, t->elems[i].type, json_array_get(j, i));
        path_pop(c, saved);
        if (rc) return rc;
    }
    return 0;
}

/* Rust's u8::from_str: optional '+', then only decimal digits, value <= 255. */
bool lc_json_is_u8_text(const char *s, int *out_value)
{
    if (*s == '+') s++;
    if (!*s) return false;
    int v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (*s - '0');
        if (v > 255) return false;
    }
    *out_value = v;
    return true;
}

/* A variant key: the tag (an integer, or text that parses as u8, tried first as Rust does,
 * so a variant literally named "0" is reached only by its tag) or a variant name. -1 if
 * unknown. */
static int variant_index(const lc_type *t, const json_t *key_json, const char *key)
{
    if (key_json && json_is_integer(key_json)) {
        json_int_t v = json_integer_value(key_json);
        return v >= 0 && v < (json_int_t)t->elem_count ? (int)v : -1;
    }
    if (!key) return -1;
    int tag;
    if (lc_json_is_u8_text(key, &tag)) return tag < (int)t->elem_count ? tag : -1;
    for (u32 i = 0; i < t->elem_count; i++)
        if (t->elems[i].name && !strcmp(t->elems[i].name, key)) return (int)i;
    return -1;
}

static int sum_from_json(jctx *c, const lc_type *t, const json_t *j)
{
    int tag;
    const json_t *payload;
    const char *label;
    if (json_is_null(j) && t->special == LC_TS_OPTION) {
        lc_buf_put_u8(c->out, 1);
        return 0;
    }
    if (json_is_object(j)) {
        if (json_object_size(j) != 1) return jerr(c, "a sum object must have exactly one key");
        void *it = json_object_iter((json_t *)j);
        label = json_object_iter_key(it);
        payload = json_object_iter_value(it);
        tag = variant_index(t, NULL, label);
    } else if (json_is_array(j)) {
        if (json_array_size(j) != 2) return jerr(c, "a sum array must be [tag, value]");
        const json_t *k = json_array_get(j, 0);
        label = json_is_string(k) ? json_string_value(k) : "#";
        tag = variant_index(t, k, json_is_string(k) ? label : NULL);
        payload = json_array_get(j, 1);
    } else {
        return jerr(c, "expected {\"variant\": value} or [tag, value] (sum)");
    }
    if (tag < 0) return jerr(c, "unknown variant");
    lc_buf_put_u8(c->out, (u8)tag);
    const char *vname = t->elems[tag].name;
    size_t saved = vname ? path_push_name(c, vname) : path_push_idx(c, (size_t)tag);
    int rc = from_json(c, t->elems[tag].type, payload);
    path_pop(c, saved);
    return rc;
}

static int from_json(jctx *c, const lc_type *t, const json_t *j)
{
    if (c->out->err) return c->out->err;
    switch (t->kind) {
    case LC_T_BOOL:
        if (!json_is_boolean(j)) return jerr(c, "expected true or false");
        lc_buf_put_u8(c->out, json_is_true(j));
        return 0;
    case LC_T_STRING:
        if (!json_is_string(j)) return jerr(c, "expected a string");
        if (json_string_length(j) > UINT32_MAX) return jerr(c, "string too long");
        lc_buf_put_str(c->out, json_string_value(j), (u32)json_string_length(j));
        return 0;
    case LC_T_F32:
    case LC_T_F64: return float_from_json(c, t->kind, j);
    case LC_T_ARRAY: return array_from_json(c, t, j);
    case LC_T_PRODUCT: return product_from_json(c, t, j);
    case LC_T_SUM: return sum_from_json(c, t, j);
    case LC_T_REF: return jerr(c, "unresolved type ref");
    default: return int_from_json(c, t->kind, j, false);
    }
}

int lc_json_to_bsatn(const lc_type *t, const struct json_t *j, lc_buf *out, lc_errbuf *eb)
{
    jctx c = { .out = out, .eb = eb, .path = "$", .path_len = 1 };
    size_t saved_limit = out->limit, start = out->len;
    if (!out->limit) out->limit = out->len + LC_VALUE_SIZE_MAX;
    int rc = from_json(&c, t, j);
    out->limit = saved_limit;
    if (!rc && out->err) rc = lc_errf(eb, out->err, "value too large or out of memory");
    if (rc) {
        if (out->err == LC_ELIMIT && !saved_limit) out->err = 0;
        out->len = start;
    }
    return rc;
}

/* Copies text to b, quoting integer literals of 19+ digits (outside strings) so that jansson,
 * whose integers are 64-bit, hands them to us as decimal strings. */
static void quote_big_ints(const char *s, size_t n, lc_buf *b)
{
    bool in_str = false;
    size_t i = 0;
    while (i < n) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\' && i + 1 < n) lc_buf_put(b, s + i++, 1);
            else if (ch == '"') in_str = false;
            lc_buf_put(b, s + i++, 1);
            continue;
        }
        if (ch == '"') in_str = true;
        if (ch != '-' && (ch < '0' || ch > '9')) {
            lc_buf_put(b, s + i++, 1);
            continue;
        }
        size_t k = i + (ch == '-'), digits = 0;
        while (k < n && s[k] >= '0' && s[k] <= '9') k++, digits++;
        bool is_int = !(k < n && (s[k] == '.' || s[k] == 'e' || s[k] == 'E'));
        if (is_int && digits >= 19) {
            lc_buf_put_u8(b, '"');
            lc_buf_put(b, s + i, k - i);
            lc_buf_put_u8(b, '"');
        } else {
            while (k < n && (strchr("0123456789.eE+-", s[k]) && s[k])) k++; /* rest of token */
            lc_buf_put(b, s + i, k - i);
        }
        i = k;
    }
}

int lc_json_text_to_bsatn(const lc_type *t, const char *text, size_t len, lc_buf *out,
                          lc_errbuf *eb)
{
    if (len > LC_VALUE_SIZE_MAX) return lc_errf(eb, LC_ELIMIT, "JSON text over %u bytes",
                                                (unsigned)LC_VALUE_SIZE_MAX);
    lc_buf q;
    lc_buf_init(&q);
    quote_big_ints(text, len, &q);
    if (q.err) {
        lc_buf_deinit(&q);
        return lc_errf(eb, LC_ENOMEM, "out of memory");
    }
    json_error_t jerr_info;
    json_t *j = json_loadb((const char *)q.data, q.len,
                           JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr_info);
    lc_buf_deinit(&q);
    if (!j)
        return lc_errf(eb, LC_ESYNTAX, "invalid JSON at line %d column %d: %s", jerr_info.line,
                       jerr_info.column, jerr_info.text);
    int rc = lc_json_to_bsatn(t, j, out, eb);
    json_decref(j);
    return rc;
}
