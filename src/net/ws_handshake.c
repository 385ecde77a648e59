/*
 * net/ws_handshake.c — the pieces of the WebSocket upgrade that do not need an HTTP request
 * object: Sec-WebSocket-Accept (RFC 6455 §4.2.2: base64(SHA-1(key ++ GUID)), via OpenSSL) and
 * the SpacetimeDB subprotocol choice (spec-client-protocol.md §2.2: v3 > v2; the v1 protocols
 * are not implemented, so offering only those is "no valid protocol selected").
 */
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base/assert.h"
#include "net/ws.h"

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int net_ws_accept_key(const char *key, size_t key_len, char out[NET_WS_ACCEPT_LEN + 1])
{
    /* The key must be base64 of exactly 16 bytes: 24 characters ending in "==". */
    u8 raw[18];
    if (key_len != 24 || key[22] != '=' || key[23] != '=') return LC_EDECODE;
    if (EVP_DecodeBlock(raw, (const u8 *)key, 24) != 18) return LC_EDECODE;
    u8 cat[24 + sizeof WS_GUID - 1], digest[SHA_DIGEST_LENGTH];
    memcpy(cat, key, 24);
    memcpy(cat + 24, WS_GUID, sizeof WS_GUID - 1);
    if (!EVP_Digest(cat, sizeof cat, digest, NULL, EVP_sha1(), NULL)) return LC_EIO;
    int n = EVP_EncodeBlock((u8 *)out, digest, SHA_DIGEST_LENGTH);
    LC_ASSERT(n == NET_WS_ACCEPT_LEN);
    return 0;
}

static bool token_is(const char *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

net_ws_proto net_ws_select_protocol(const char *offered, size_t len)
{
    net_ws_proto best = NET_WS_PROTO_NONE;
    size_t i = 0;
    while (i < len) {
        while (i < len && (offered[i] == ' ' || offered[i] == '\t' || offered[i] == ',')) i++;
        size_t start = i;
        while (i < len && offered[i] != ',') i++;
        size_t end = i;
        while (end > start && (offered[end - 1] == ' ' || offered[end - 1] == '\t')) end--;
        const char *t = offered + start;
        size_t tn = end - start;
        if (token_is(t, tn, "v3.bsatn.spacetimedb")) best = NET_WS_PROTO_V3;
        else if (token_is(t, tn, "v2.bsatn.spacetimedb") && best == NET_WS_PROTO_NONE)
            best = NET_WS_PROTO_V2;
    }
    return best;
}

const char *net_ws_proto_name(net_ws_proto proto)
{
    switch (proto) {
    case NET_WS_PROTO_V3: return "v3.bsatn.spacetimedb";
    case NET_WS_PROTO_V2: return "v2.bsatn.spacetimedb";
    default: return "";
    }
}
