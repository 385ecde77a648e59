/*
 * net/b64.c — strict base64url (no padding) and hex; see b64.h for the rules.
 */
#include "net/b64.h"
#include "base/hex.h"

#include "base/assert.h"
#include "base/error.h"

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t net_b64url_encode(const void *data, size_t n, char *out)
{
    const u8 *p = data;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        u32 v = (u32)p[i] << 16 | (u32)p[i + 1] << 8 | p[i + 2];
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = ALPHABET[(v >> 6) & 63];
        out[o++] = ALPHABET[v & 63];
    }
    if (n - i == 1) {
        u32 v = (u32)p[i] << 16;
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
    } else if (n - i == 2) {
        u32 v = (u32)p[i] << 16 | (u32)p[i + 1] << 8;
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = ALPHABET[(v >> 6) & 63];
    }
    out[o] = 0;
    LC_ASSERT(o == net_b64url_len(n));
    return o;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

int net_b64url_decode(const char *in, size_t n, u8 *out, size_t *out_len)
{
    if (n % 4 == 1) return LC_EDECODE;
    size_t o = 0;
    u32 acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0) return LC_EDECODE;
        acc = (acc << 6) | (u32)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (u8)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Leftover bits (2 or 4) must be zero: one canonical encoding per byte string. */
    if (acc != 0) return LC_EDECODE;
    LC_ASSERT(o == n * 3 / 4);
    *out_len = o;
    return 0;
}

void net_hex_encode(const void *data, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const u8 *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

int net_hex_decode(const char *in, size_t in_len, u8 *out, size_t n)
{
    if (in_len != 2 * n) return LC_EDECODE;
    for (size_t i = 0; i < n; i++) {
        int hi = lc_hex_digit(in[2 * i]), lo = lc_hex_digit(in[2 * i + 1]);
        if (hi < 0 || lo < 0) return LC_EDECODE;
        out[i] = (u8)(hi << 4 | lo);
    }
    return 0;
}
