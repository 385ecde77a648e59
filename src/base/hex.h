/*
 * base/hex.h — hexadecimal digits, shared by every parser that reads hex (SQL literals,
 * JSON identities, percent-decoding, tokens).
 */
#ifndef LC_BASE_HEX_H
#define LC_BASE_HEX_H

/* The value 0..15 of a hex digit (either case), or -1 if c is not one. */
static inline int lc_hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

#endif
