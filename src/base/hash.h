/*
 * base/hash.h — non-cryptographic hashing for in-memory hash tables.
 *
 * lc_hash_u64: a bijective finalizer (splitmix64's), for integer keys.
 * lc_hash_bytes: 8 bytes per step, each step a 64x64->128 multiply folded to 64 bits (the
 * "mum" construction), then a final mix. Fast on short keys (rows are usually < 64 bytes).
 * Not for anything an attacker can exploit beyond denial of service: tables keyed by untrusted
 * data pass a per-process random seed.
 */
#ifndef LC_BASE_HASH_H
#define LC_BASE_HASH_H

#include "base/types.h"

static inline u64 lc_hash_u64(u64 x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static inline u64 lc_hash_mum(u64 a, u64 b)
{
    u128 r = (u128)a * b;
    return (u64)r ^ (u64)(r >> 64);
}

static inline u64 lc_hash_bytes(const void *data, size_t n, u64 seed)
{
    const u8 *p = data;
    u64 h = seed ^ 0x9e3779b97f4a7c15ull ^ (n * 0xa0761d6478bd642full);
    for (; n >= 8; n -= 8, p += 8) h = lc_hash_mum(h ^ lc_load_u64(p), 0xe7037ed1a0b428dbull);
    if (n) {
        u64 t = 0;
        memcpy(&t, p, n);
        h = lc_hash_mum(h ^ t, 0x8ebc6af09c88c6e3ull);
    }
    return lc_hash_u64(h);
}

#endif
