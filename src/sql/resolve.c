/*
 * sql/resolve.c — typing SQL literals by context: a literal token (sql_lit) plus the type of
 * the column it is compared with or assigned to gives the BSATN bytes of the value.
 *
 * Design: integers are parsed as a sign and a 128-bit magnitude, then range-checked against the
 * target width (256-bit columns accept magnitudes up to 2^128-1, sign-extended; larger ones
 * are reported as unsupported). An integer column also accepts a float literal with an
 * integral value below 2^53 (SpacetimeDB accepts `1e3` for integers). Floats take integer or
 * float text. Identity / ConnectionId take hex (0x... literal or a string of hex digits, with
 * an optional 0x) holding the big-endian bytes, stored little-endian. Array<U8> takes hex.
 * Timestamp takes an RFC 3339 string (UTC 'Z' or a +hh:mm / -hh:mm offset, up to 9 fraction
 * digits, truncated to microseconds). Uuid, sums, products and other arrays have no literal
 * form here (LC_ENOTSUP).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sql_exec.h"
#include "base/hex.h"

static int lit_invalid(lc_errbuf *eb, const sql_lit *lit, const lc_type *t, int err)
{
    char ty[96];
    lc_type_format(t, ty, sizeof ty);
    int n = lit->len > 64 ? 64 : (int)lit->len;
    if (lit->kind == SQL_LIT_BOOL)
        return lc_errf(eb, err, "The literal expression `%s` cannot be parsed as type `%s`",
                       lit->is_true ? "true" : "false", ty);
    if (lit->kind == SQL_LIT_HEX) return lc_errf(eb, err, "The literal expression `0x...` cannot be parsed as type `%s`", ty);
    return lc_errf(eb, err, "The literal expression `%.*s` cannot be parsed as type `%s`", n,
                   lit->ptr, ty);
}

/* [-]digits -> sign + magnitude; false on overflow past 128 bits or bad text. */
static bool int_text_parse(const char *p, u32 n, bool *neg, u128 *mag)
{
    u32 i = 0;
    *neg = false;
    *mag = 0;
    if (i < n && p[i] == '-') { *neg = true; i++; }
    if (i == n) return false;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        u128 d = (u128)(p[i] - '0');
        if (*mag > (~(u128)0 - d) / 10) return false;
        *mag = *mag * 10 + d;
    }
    return true;
}

static int int_width(u8 kind)
{
    switch (kind) {
    case LC_T_I8: case LC_T_U8: return 1;
    case LC_T_I16: case LC_T_U16: return 2;
    case LC_T_I32: case LC_T_U32: return 4;
    case LC_T_I64: case LC_T_U64: return 8;
    case LC_T_I128: case LC_T_U128: return 16;
    default: return 32;
    }
}

static int int_encode(const lc_type *t, const sql_lit *lit, lc_buf *out, lc_errbuf *eb)
{
    bool neg;
    u128 mag;
    if (lit->kind == SQL_LIT_FLOAT) {
        double d = strtod(lit->ptr, NULL);
        if (!isfinite(d) || d != floor(d) || fabs(d) >= 9007199254740992.0)
            return lit_invalid(eb, lit, t, LC_ETYPE);
        neg = d < 0;
        mag = (u128)(u64)fabs(d);
    } else if (lit->kind != SQL_LIT_INT) {
        return lit_invalid(eb, lit, t, LC_ETYPE);
    } else if (!int_text_parse(lit->ptr, lit->len, &neg, &mag)) {
        return lit_invalid(eb, lit, t, int_width(t->kind) == 32 ? LC_ENOTSUP : LC_ERANGE);
    }
    if (mag == 0) neg = false;
    int w = int_width(t->kind);
    bool is_signed = lc_type_is_signed(t);
    int bits = w >= 16 ? 128 : w * 8;
    if (!is_signed) {
        if (neg) return lit_invalid(eb, lit, t, LC_ERANGE);
        if (bits < 128 && mag >> bits) return lit_invalid(eb, lit, t, LC_ERANGE);
    } else if (w < 32) {
        u128 lim = (u128)1 << (bits - 1); /* |min| */
        if (neg ? mag > lim : mag >= lim) return lit_invalid(eb, lit, t, LC_ERANGE);
    }
    u128 v = neg ? (u128)0 - mag : mag;
    u8 bytes[32];
    for (int i = 0; i < 16; i++) bytes[i] = (u8)(v >> (8 * i));
    for (int i = 16; i < 32; i++) bytes[i] = neg ? 0xff : 0;
    lc_buf_put(out, bytes, (size_t)w);
    return out->err;
}

static int float_encode(const lc_type *t, const sql_lit *lit, lc_buf *out, lc_errbuf *eb)
{
    if (lit->kind != SQL_LIT_INT && lit->kind != SQL_LIT_FLOAT)
        return lit_invalid(eb, lit, t, LC_ETYPE);
    double d = strtod(lit->ptr, NULL);
    if (t->kind == LC_T_F32) {
        float f = (float)d;
        u32 b;
        memcpy(&b, &f, 4);
        lc_buf_put_u32(out, b);
    } else {
        u64 b;
        memcpy(&b, &d, 8);
        lc_buf_put_u64(out, b);
    }
    return out->err;
}

/* The literal's bytes (hex literal, or a string of hex digits); false if not hex. */
static bool lit_hex_bytes(const sql_lit *lit, u8 *dst, u32 cap, u32 *out_n)
{
    if (lit->kind == SQL_LIT_HEX) {
        if (lit->len > cap) return false;
        memcpy(dst, lit->ptr, lit->len);
        *out_n = lit->len;
        return true;
    }
    if (lit->kind != SQL_LIT_STRING) return false;
    const char *p = lit->ptr;
    u32 n = lit->len;
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) { p += 2; n -= 2; }
    if (n % 2 || n / 2 > cap) return false;
    for (u32 i = 0; i < n / 2; i++) {
        int hi = lc_hex_digit(p[2 * i]), lo = lc_hex_digit(p[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        dst[i] = (u8)(hi * 16 + lo);
    }
    *out_n = n / 2;
    return true;
}

static int id_encode(const lc_type *t, u32 size, const sql_lit *lit, lc_buf *out, lc_errbuf *eb)
{
    u8 be[32];
    u32 n;
    if (!lit_hex_bytes(lit, be, sizeof be, &n) || n != size)
        return lit_invalid(eb, lit, t, LC_ETYPE);
    for (u32 i = 0; i < n; i++) lc_buf_put_u8(out, be[n - 1 - i]);
    return out->err;
}

static int bytes_encode(const lc_type *t, const sql_lit *lit, lc_buf *out, lc_errbuf *eb)
{
    if (lit->kind == SQL_LIT_HEX) {
        lc_buf_put_u32(out, lit->len);
        lc_buf_put(out, lit->ptr, lit->len);
        return out->err;
    }
    u8 tmp[256];
    u32 n;
    if (!lit_hex_bytes(lit, tmp, sizeof tmp, &n)) return lit_invalid(eb, lit, t, LC_ETYPE);
    lc_buf_put_u32(out, n);
    lc_buf_put(out, tmp, n);
    return out->err;
}

static i64 days_from_civil(i64 y, i64 m, i64 d)
{
    y -= m <= 2;
    i64 era = (y >= 0 ? y : y - 399) / 400;
    i64 yoe = y - era * 400;
    i64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    i64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *p, u32 n, u32 at, u32 k, i64 *out)
{
    if (at + k > n) return false;
    *out = 0;
    for (u32 i = 0; i < k; i++) {
        if (p[at + i] < '0' || p[at + i] > '9') return false;
        *out = *out * 10 + (p[at + i] - '0');
    }
    return true;
}

/* RFC 3339: YYYY-MM-DD(T|t| )HH:MM:SS[.f{1,9}](Z|z|(+|-)HH:MM) -> microseconds since epoch. */
static bool rfc3339_parse(const char *p, u32 n, i64 *out_us)
{
    i64 y, mo, d, h, mi, s, frac = 0, oh = 0, om = 0;
    if (!digits(p, n, 0, 4, &y) || n < 19 || p[4] != '-' || !digits(p, n, 5, 2, &mo) ||
        p[7] != '-' || !digits(p, n, 8, 2, &d) || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
        !digits(p, n, 11, 2, &h) || p[13] != ':' || !digits(p, n, 14, 2, &mi) || p[16] != ':' ||
        !digits(p, n, 17, 2, &s))
        return false;
    u32 i = 19;
    if (i < n && p[i] == '.') {
        u32 k = 0;
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, k++)
            if (k < 6) frac = frac * 10 + (p[i] - '0');
        if (k == 0 || k > 9) return false;
        for (; k < 6; k++) frac *= 10;
    }
    if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
        i++;
    } else if (i < n && (p[i] == '+' || p[i] == '-')) {
        if (!digits(p, n, i + 1, 2, &oh) || i + 3 >= n || p[i + 3] != ':' ||
            !digits(p, n, i + 4, 2, &om))
            return false;
        if (p[i] == '-') { oh = -oh; om = -om; }
        i += 6;
    } else {
        return false;
    }
    if (i != n || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
    i64 secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - oh * 3600 - om * 60;
    *out_us = secs * 1000000 + frac;
    return true;
}

static int special_encode(const lc_type *t, const sql_lit *lit, lc_buf *out, lc_errbuf *eb)
{
    switch (t->special) {
    case LC_TS_IDENTITY: return id_encode(t, 32, lit, out, eb);
    case LC_TS_CONNECTION_ID: return id_encode(t, 16, lit, out, eb);
    case LC_TS_TIMESTAMP: {
        i64 us;
        if (lit->kind != SQL_LIT_STRING || !rfc3339_parse(lit->ptr, lit->len, &us))
            return lit_invalid(eb, lit, t, LC_ETYPE);
        lc_buf_put_u64(out, (u64)us);
        return out->err;
    }
    default: return lit_invalid(eb, lit, t, LC_ENOTSUP);
    }
}

int sql_lit_encode(const lc_type *t, const sql_lit *lit, lc_buf *out, lc_errbuf *eb)
{
    if (lc_type_is_int(t)) return int_encode(t, lit, out, eb);
    switch (t->kind) {
    case LC_T_F32:
    case LC_T_F64: return float_encode(t, lit, out, eb);
    case LC_T_BOOL:
        if (lit->kind != SQL_LIT_BOOL) return lit_invalid(eb, lit, t, LC_ETYPE);
        lc_buf_put_u8(out, lit->is_true ? 1 : 0);
        return out->err;
    case LC_T_STRING:
        if (lit->kind != SQL_LIT_STRING) return lit_invalid(eb, lit, t, LC_ETYPE);
        lc_buf_put_u32(out, lit->len);
        lc_buf_put(out, lit->ptr, lit->len);
        return out->err;
    case LC_T_ARRAY:
        if (t->array_elem->kind == LC_T_U8) return bytes_encode(t, lit, out, eb);
        return lit_invalid(eb, lit, t, LC_ENOTSUP);
    case LC_T_PRODUCT: return special_encode(t, lit, out, eb);
    default: return lit_invalid(eb, lit, t, LC_ENOTSUP);
    }
}

bool sql_type_is_comparable(const lc_type *t)
{
    if (lc_type_is_int(t)) return true;
    switch (t->kind) {
    case LC_T_BOOL: case LC_T_STRING: case LC_T_F32: case LC_T_F64: return true;
    case LC_T_ARRAY: return t->array_elem->kind == LC_T_U8;
    case LC_T_PRODUCT:
        return t->special == LC_TS_IDENTITY || t->special == LC_TS_CONNECTION_ID ||
               t->special == LC_TS_TIMESTAMP || t->special == LC_TS_TIME_DURATION ||
               t->special == LC_TS_UUID;
    default: return false;
    }
}
