/*
 * net/b64.h — base64url without padding (RFC 4648 §5), as JWS compact form uses it, and
 * lowercase hex.
 *
 * The decoder is strict because its input is untrusted: only [A-Za-z0-9_-], no '=' padding,
 * no whitespace, a length of 1 mod 4 is impossible, and the unused low bits of the last
 * character must be zero (so each byte string has exactly one encoding; a token cannot be
 * altered without changing its signature input).
 */
#ifndef LC_NET_B64_H
#define LC_NET_B64_H

#include "base/types.h"

/* Encoded length of n bytes, without the NUL. */
static inline size_t net_b64url_len(size_t n) { return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0); }
/* Writes net_b64url_len(n) characters and a NUL to out. Returns the length. */
size_t net_b64url_encode(const void *data, size_t n, char *out);
/* Decodes `n` characters into out (room for n * 3 / 4 bytes). Returns 0 or LC_EDECODE. */
int net_b64url_decode(const char *in, size_t n, u8 *out, size_t *out_len) LC_MUST_USE;

/* Writes 2n lowercase hex digits and a NUL. */
void net_hex_encode(const void *data, size_t n, char *out);
/* Exactly 2n hex digits (either case) into n bytes. Returns 0 or LC_EDECODE. */
int net_hex_decode(const char *in, size_t in_len, u8 *out, size_t n) LC_MUST_USE;

#endif
