/*
 * base/blake3.h — BLAKE3 (portable C): hash, keyed hash, derive_key, incremental update and
 * extendable output of any length, from any offset.
 *
 * Why here: Identity::from_claims (spec-client-protocol.md §4.1) is defined with BLAKE3-256 and
 * Debian ships no BLAKE3 library. This is the reference algorithm, one chunk at a time and one
 * compression at a time (no SIMD, no multithreading): identities hash a few dozen bytes, so
 * clarity wins over throughput. It is tested against the official test vectors
 * (tests/unit/test_blake3.c).
 *
 * Usage:
 *     lc_blake3 h;
 *     lc_blake3_init(&h);                  or _init_keyed(&h, key32) / _init_derive_key(&h, ctx)
 *     lc_blake3_update(&h, p, n);          any number of times, any split
 *     lc_blake3_finalize(&h, out, out_len) any length; the hasher stays usable (finalize does
 *                                          not modify it, so more input may follow)
 *
 * The state is a plain value on the caller's stack (~1.9 KiB); nothing allocates.
 */
#ifndef LC_BASE_BLAKE3_H
#define LC_BASE_BLAKE3_H

#include "base/types.h"

#define LC_BLAKE3_KEY_LEN 32
#define LC_BLAKE3_OUT_LEN 32
#define LC_BLAKE3_BLOCK_LEN 64
#define LC_BLAKE3_CHUNK_LEN 1024
/* 2^54 chunks * 1 KiB = 2^64 bytes: the stack never holds more than 54 chaining values. */
#define LC_BLAKE3_MAX_DEPTH 54

typedef struct lc_blake3_chunk {
    u32 cv[8];
    u64 chunk_counter;
    u8 block[LC_BLAKE3_BLOCK_LEN];
    u8 block_len;
    u8 blocks_compressed;
    u8 flags;
} lc_blake3_chunk;

typedef struct lc_blake3 {
    u32 key[8];
    lc_blake3_chunk chunk;
    u8 cv_stack_len;
    u8 cv_stack[LC_BLAKE3_MAX_DEPTH * 32];
} lc_blake3;

void lc_blake3_init(lc_blake3 *h);
void lc_blake3_init_keyed(lc_blake3 *h, const u8 key[LC_BLAKE3_KEY_LEN]);
/* context: a NUL-terminated, hard-coded, globally unique string (BLAKE3's KDF rule). */
void lc_blake3_init_derive_key(lc_blake3 *h, const char *context);
void lc_blake3_update(lc_blake3 *h, const void *input, size_t input_len);
/* Writes out_len bytes of output (the first 32 are the ordinary hash). */
void lc_blake3_finalize(const lc_blake3 *h, u8 *out, size_t out_len);
/* Same output stream, starting at byte `seek` (XOF random access). */
void lc_blake3_finalize_seek(const lc_blake3 *h, u64 seek, u8 *out, size_t out_len);

/* One-shot convenience: out = BLAKE3-256(input). */
void lc_blake3_hash(const void *input, size_t input_len, u8 out[LC_BLAKE3_OUT_LEN]);

#endif
