/*
 * net/identity.c — Identity::from_claims, hex forms, ConnectionId generation (identity.h).
 */
#include "net/identity.h"

#include <openssl/rand.h>

#include "base/assert.h"
#include "base/blake3.h"
#include "base/error.h"
#include "net/b64.h"

void net_identity_from_claims(const char *iss, size_t iss_len, const char *sub, size_t sub_len,
                              net_identity *out_id)
{
    u8 h1[32], h2[32], ck_in[28];
    lc_blake3 h;
    lc_blake3_init(&h);
    lc_blake3_update(&h, iss, iss_len);
    lc_blake3_update(&h, "|", 1);
    lc_blake3_update(&h, sub, sub_len);
    lc_blake3_finalize(&h, h1, 32);
    ck_in[0] = 0xc2;
    ck_in[1] = 0x00;
    memcpy(ck_in + 2, h1, 26);
    lc_blake3_hash(ck_in, sizeof ck_in, h2);
    out_id->be[0] = 0xc2;
    out_id->be[1] = 0x00;
    memcpy(out_id->be + 2, h2, 4);
    memcpy(out_id->be + 6, h1, 26);
}

void net_identity_to_hex(const net_identity *id, char out[NET_IDENTITY_HEX_LEN + 1])
{
    net_hex_encode(id->be, 32, out);
}

int net_identity_from_hex(const char *s, size_t len, net_identity *out_id)
{
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    return net_hex_decode(s, len, out_id->be, 32);
}

void net_identity_to_wire(const net_identity *id, u8 out[32])
{
    for (int i = 0; i < 32; i++) out[i] = id->be[31 - i];
}

void net_identity_from_wire(const u8 in[32], net_identity *out_id)
{
    for (int i = 0; i < 32; i++) out_id->be[i] = in[31 - i];
}

int net_connid_generate(u128 *out_id)
{
    u8 bytes[16];
    u128 v = 0;
    /* Zero is reserved; the chance of drawing it is 2^-128, but loop rather than assume. */
    for (int tries = 0; v == 0; tries++) {
        if (tries == 8 || RAND_bytes(bytes, sizeof bytes) != 1) return LC_EIO;
        v = 0;
        for (int i = 15; i >= 0; i--) v = v << 8 | bytes[i];
    }
    *out_id = v;
    return 0;
}

void net_connid_to_hex(u128 id, char out[NET_CONNID_HEX_LEN + 1])
{
    u8 be[16];
    for (int i = 15; i >= 0; i--) {
        be[i] = (u8)id;
        id >>= 8;
    }
    net_hex_encode(be, 16, out);
}

int net_connid_from_hex(const char *s, size_t len, u128 *out_id)
{
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    if (len == 0 || len > 32) return LC_EDECODE;
    u128 v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return LC_EDECODE;
        v = v << 4 | (u128)d;
    }
    if (v == 0) return LC_EINVAL;
    *out_id = v;
    return 0;
}
