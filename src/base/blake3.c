/*
 * base/blake3.c — portable BLAKE3 (see blake3.h for the API and why it lives in base/).
 *
 * Structure, following the BLAKE3 paper (§2, §5.1):
 *   compress()        one 64-byte block: 7 rounds of the ChaCha-like G function over a
 *                     16-word state (cv[0..8], IV[0..4], counter lo/hi, block_len, flags).
 *   chunk_*()         a 1024-byte chunk is hashed block by block into a chaining value (CV);
 *                     the first block carries CHUNK_START, the last CHUNK_END.
 *   lc_blake3_update  completed chunks' CVs go onto a stack; after chunk number n (1-based),
 *                     as many parents are merged as n has trailing zero bits. This keeps the
 *                     stack equal to the left edge of the binary tree, so the last chunk is
 *                     never merged before we know it is not the root.
 *   finalize          the current chunk's output is folded with the stack top-down; the final
 *                     node is compressed again with ROOT and an output block counter to
 *                     produce as many bytes as asked (XOF).
 * All words are little-endian.
 */
#include "base/blake3.h"

#include <string.h>

#include "base/assert.h"

enum {
    CHUNK_START = 1 << 0,
    CHUNK_END = 1 << 1,
    PARENT = 1 << 2,
    ROOT = 1 << 3,
    KEYED_HASH = 1 << 4,
    DERIVE_KEY_CONTEXT = 1 << 5,
    DERIVE_KEY_MATERIAL = 1 << 6,
};

static const u32 IV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                          0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

static inline u32 rotr32(u32 w, int c) { return (w >> c) | (w << (32 - c)); }

/* G on named state words. The state lives in 16 locals (not an array) so the compiler keeps
 * it in registers: ~3x faster than indexing an array through a pointer. */
#define G(a, b, c, d, x, y)                                                                 \
    do {                                                                                   \
        a = a + b + (x);                                                                   \
        d = rotr32(d ^ a, 16);                                                             \
        c = c + d;                                                                         \
        b = rotr32(b ^ c, 12);                                                             \
        a = a + b + (y);                                                                   \
        d = rotr32(d ^ a, 8);                                                              \
        c = c + d;                                                                         \
        b = rotr32(b ^ c, 7);                                                              \
    } while (0)

/* One round, with the message word order spelled out as constants so every m[] index is known
 * at compile time. Round r uses BLAKE3's message permutation
 * (2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8) applied r times; the seven rows are in compress().
 * The official test vectors pin all of this down. */
#define ROUND(a, b, c, d, e, f, g, h, i, j, k, l, n, o, q, r)                                \
    do {                                                                                   \
        G(s0, s4, s8, s12, m[a], m[b]);                                                    \
        G(s1, s5, s9, s13, m[c], m[d]);                                                    \
        G(s2, s6, s10, s14, m[e], m[f]);                                                   \
        G(s3, s7, s11, s15, m[g], m[h]);                                                   \
        G(s0, s5, s10, s15, m[i], m[j]);                                                   \
        G(s1, s6, s11, s12, m[k], m[l]);                                                   \
        G(s2, s7, s8, s13, m[n], m[o]);                                                    \
        G(s3, s4, s9, s14, m[q], m[r]);                                                    \
    } while (0)

/* Full 16-word output of the compression function. */
static void compress(const u32 cv[8], const u8 block[64], u64 counter, u32 block_len,
                     u32 flags, u32 out[16])
{
    u32 m[16];
    for (int i = 0; i < 16; i++) m[i] = lc_load_u32(block + 4 * i);
    u32 s0 = cv[0], s1 = cv[1], s2 = cv[2], s3 = cv[3], s4 = cv[4], s5 = cv[5], s6 = cv[6],
        s7 = cv[7], s8 = IV[0], s9 = IV[1], s10 = IV[2], s11 = IV[3], s12 = (u32)counter,
        s13 = (u32)(counter >> 32), s14 = block_len, s15 = flags;
    ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    ROUND(2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8);
    ROUND(3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1);
    ROUND(10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6);
    ROUND(12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4);
    ROUND(9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7);
    ROUND(11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13);
    out[0] = s0 ^ s8;
    out[1] = s1 ^ s9;
    out[2] = s2 ^ s10;
    out[3] = s3 ^ s11;
    out[4] = s4 ^ s12;
    out[5] = s5 ^ s13;
    out[6] = s6 ^ s14;
    out[7] = s7 ^ s15;
    out[8] = s8 ^ cv[0];
    out[9] = s9 ^ cv[1];
    out[10] = s10 ^ cv[2];
    out[11] = s11 ^ cv[3];
    out[12] = s12 ^ cv[4];
    out[13] = s13 ^ cv[5];
    out[14] = s14 ^ cv[6];
    out[15] = s15 ^ cv[7];
}

/* A node not yet compressed: enough to produce either its CV or root output bytes. */
typedef struct node {
    u32 cv[8];
    u8 block[64];
    u64 counter;
    u32 block_len;
    u32 flags;
} node;

static void node_cv(const node *n, u32 out_cv[8])
{
    u32 full[16];
    compress(n->cv, n->block, n->counter, n->block_len, n->flags, full);
    memcpy(out_cv, full, 32);
}

static void words_to_bytes(const u32 *w, size_t n_words, u8 *out)
{
    for (size_t i = 0; i < n_words; i++) lc_store_u32(out + 4 * i, w[i]);
}

static void chunk_init(lc_blake3_chunk *c, const u32 key[8], u64 counter, u8 flags)
{
    memcpy(c->cv, key, 32);
    c->chunk_counter = counter;
    memset(c->block, 0, sizeof c->block);
    c->block_len = 0;
    c->blocks_compressed = 0;
    c->flags = flags;
}

static size_t chunk_len(const lc_blake3_chunk *c)
{
    return (size_t)c->blocks_compressed * LC_BLAKE3_BLOCK_LEN + c->block_len;
}

static u32 chunk_start_flag(const lc_blake3_chunk *c)
{
    return c->blocks_compressed == 0 ? CHUNK_START : 0;
}

static void chunk_update(lc_blake3_chunk *c, const u8 *in, size_t n)
{
    while (n > 0) {
        /* Compress a full buffered block only when more input follows: the last block of a
         * chunk must be kept for CHUNK_END (and possibly ROOT). */
        if (c->block_len == LC_BLAKE3_BLOCK_LEN) {
            u32 full[16];
            compress(c->cv, c->block, c->chunk_counter, LC_BLAKE3_BLOCK_LEN,
                     c->flags | chunk_start_flag(c), full);
            memcpy(c->cv, full, 32);
            c->blocks_compressed++;
            c->block_len = 0;
            memset(c->block, 0, sizeof c->block);
        }
        size_t take = LC_MIN((size_t)(LC_BLAKE3_BLOCK_LEN - c->block_len), n);
        memcpy(c->block + c->block_len, in, take);
        c->block_len = (u8)(c->block_len + take);
        in += take;
        n -= take;
    }
    LC_DEBUG_ASSERT(chunk_len(c) <= LC_BLAKE3_CHUNK_LEN);
}

static void chunk_output(const lc_blake3_chunk *c, node *out)
{
    memcpy(out->cv, c->cv, 32);
    memcpy(out->block, c->block, 64);
    out->counter = c->chunk_counter;
    out->block_len = c->block_len;
    out->flags = (u32)c->flags | chunk_start_flag(c) | CHUNK_END;
}

static void parent_node(const u8 left_right[64], const u32 key[8], u32 flags, node *out)
{
    memcpy(out->cv, key, 32);
    memcpy(out->block, left_right, 64);
    out->counter = 0;
    out->block_len = LC_BLAKE3_BLOCK_LEN;
    out->flags = flags | PARENT;
}

static void hasher_init(lc_blake3 *h, const u32 key[8], u8 flags)
{
    memcpy(h->key, key, 32);
    chunk_init(&h->chunk, key, 0, flags);
    h->cv_stack_len = 0;
}

void lc_blake3_init(lc_blake3 *h) { hasher_init(h, IV, 0); }

void lc_blake3_init_keyed(lc_blake3 *h, const u8 key[LC_BLAKE3_KEY_LEN])
{
    u32 kw[8];
    for (int i = 0; i < 8; i++) kw[i] = lc_load_u32(key + 4 * i);
    hasher_init(h, kw, KEYED_HASH);
}

void lc_blake3_init_derive_key(lc_blake3 *h, const char *context)
{
    lc_blake3 ctx;
    hasher_init(&ctx, IV, DERIVE_KEY_CONTEXT);
    lc_blake3_update(&ctx, context, strlen(context));
    u8 ctx_key[32];
    lc_blake3_finalize(&ctx, ctx_key, 32);
    u32 kw[8];
    for (int i = 0; i < 8; i++) kw[i] = lc_load_u32(ctx_key + 4 * i);
    hasher_init(h, kw, DERIVE_KEY_MATERIAL);
}

/* Pushes a finished chunk's CV, first merging one parent per trailing zero bit of
 * total_chunks (the number of chunks hashed so far, this one included). */
static void push_chunk_cv(lc_blake3 *h, u32 cv[8], u64 total_chunks)
{
    u8 pair[64];
    while ((total_chunks & 1) == 0) {
        LC_ASSERT(h->cv_stack_len > 0);
        h->cv_stack_len--;
        memcpy(pair, h->cv_stack + 32 * h->cv_stack_len, 32);
        words_to_bytes(cv, 8, pair + 32);
        node p;
        parent_node(pair, h->key, h->chunk.flags, &p);
        node_cv(&p, cv);
        total_chunks >>= 1;
    }
    LC_ASSERT(h->cv_stack_len < LC_BLAKE3_MAX_DEPTH);
    words_to_bytes(cv, 8, h->cv_stack + 32 * h->cv_stack_len);
    h->cv_stack_len++;
}

void lc_blake3_update(lc_blake3 *h, const void *input, size_t input_len)
{
    const u8 *in = input;
    while (input_len > 0) {
        /* A full chunk is finished only once more input arrives (it might be the root). */
        if (chunk_len(&h->chunk) == LC_BLAKE3_CHUNK_LEN) {
            node n;
            u32 cv[8];
            chunk_output(&h->chunk, &n);
            node_cv(&n, cv);
            u64 total = h->chunk.chunk_counter + 1;
            push_chunk_cv(h, cv, total);
            chunk_init(&h->chunk, h->key, total, h->chunk.flags);
        }
        size_t take = LC_MIN(LC_BLAKE3_CHUNK_LEN - chunk_len(&h->chunk), input_len);
        chunk_update(&h->chunk, in, take);
        in += take;
        input_len -= take;
    }
}

void lc_blake3_finalize_seek(const lc_blake3 *h, u64 seek, u8 *out, size_t out_len)
{
    node n;
    chunk_output(&h->chunk, &n);
    for (size_t i = h->cv_stack_len; i > 0; i--) {
        u8 pair[64];
        u32 cv[8];
        node_cv(&n, cv);
        memcpy(pair, h->cv_stack + 32 * (i - 1), 32);
        words_to_bytes(cv, 8, pair + 32);
        parent_node(pair, h->key, h->chunk.flags, &n);
    }
    /* Root output: block counter t gives output bytes [64t, 64t+64). */
    u64 counter = seek / 64;
    size_t skip = (size_t)(seek % 64);
    while (out_len > 0) {
        u32 words[16];
        u8 bytes[64];
        compress(n.cv, n.block, counter, n.block_len, n.flags | ROOT, words);
        words_to_bytes(words, 16, bytes);
        size_t take = LC_MIN((size_t)64 - skip, out_len);
        memcpy(out, bytes + skip, take);
        out += take;
        out_len -= take;
        skip = 0;
        counter++;
    }
}

void lc_blake3_finalize(const lc_blake3 *h, u8 *out, size_t out_len)
{
    lc_blake3_finalize_seek(h, 0, out, out_len);
}

void lc_blake3_hash(const void *input, size_t input_len, u8 out[LC_BLAKE3_OUT_LEN])
{
    lc_blake3 h;
    lc_blake3_init(&h);
    lc_blake3_update(&h, input, input_len);
    lc_blake3_finalize(&h, out, LC_BLAKE3_OUT_LEN);
}
