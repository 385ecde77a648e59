/*
 * net/identity.h — SpacetimeDB Identity and ConnectionId (spec-client-protocol.md §4.1, §4.4).
 *
 * Identity is a 256-bit number derived from a JWT's issuer and subject:
 *     h1 = BLAKE3(iss "|" sub); h2 = BLAKE3(c2 00 ++ h1[0..26])
 *     big-endian bytes = c2 00 ++ h2[0..4] ++ h1[0..26]
 * We store the BIG-endian bytes (that is what hex shows and what the derivation builds); the
 * BSATN/wire form is the reverse (little-endian), produced by net_identity_to_wire.
 *
 * ConnectionId is a u128: 16 random bytes read little-endian, never 0; its hex form is the
 * big-endian 32-digit rendering.
 */
#ifndef LC_NET_IDENTITY_H
#define LC_NET_IDENTITY_H

#include "base/types.h"

#define NET_IDENTITY_HEX_LEN 64
#define NET_CONNID_HEX_LEN 32

typedef struct net_identity {
    u8 be[32]; /* big-endian bytes */
} net_identity;

/* Identity::from_claims over the exact bytes of iss and sub (no normalisation). */
void net_identity_from_claims(const char *iss, size_t iss_len, const char *sub, size_t sub_len,
                              net_identity *out_id);
/* 64 lowercase hex digits + NUL into out (65 bytes). */
void net_identity_to_hex(const net_identity *id, char out[NET_IDENTITY_HEX_LEN + 1]);
/* Parses 64 hex digits (either case), optionally prefixed "0x". 0 or LC_EDECODE. */
int net_identity_from_hex(const char *s, size_t len, net_identity *out_id) LC_MUST_USE;
/* The 32 BSATN bytes (little-endian) and back. */
void net_identity_to_wire(const net_identity *id, u8 out[32]);
void net_identity_from_wire(const u8 in[32], net_identity *out_id);
static inline bool net_identity_eq(const net_identity *a, const net_identity *b)
{
    return memcmp(a->be, b->be, 32) == 0;
}

/* A fresh random, non-zero ConnectionId from the OS CSPRNG (OpenSSL RAND_bytes). Returns 0 or
 * LC_EIO if no randomness is available. */
int net_connid_generate(u128 *out_id) LC_MUST_USE;
/* 32 lowercase hex digits (big-endian) + NUL. */
void net_connid_to_hex(u128 id, char out[NET_CONNID_HEX_LEN + 1]);
/* Parses up to 32 hex digits, optional "0x" (the reference parses a hex u128). Rejects zero
 * with LC_EINVAL ("the all-zeros ConnectionId is reserved") and garbage with LC_EDECODE. */
int net_connid_from_hex(const char *s, size_t len, u128 *out_id) LC_MUST_USE;

#endif
