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

static int reject(int status, int *out_status, lc_errbuf *eb, const char *msg)
{
    *out_status = status;
    return lc_errf(eb, LC_EPROTOCOL, "%s", msg);
}

int net_ws_handshake_check(const net_http_request *req, char out_accept[NET_WS_ACCEPT_LEN + 1],
                           net_ws_proto *out_proto, int *out_status, lc_errbuf *eb)
{
    size_t n;
    const char *v;
    *out_proto = NET_WS_PROTO_NONE;
    if (req->method != HTTP_GET)
        return reject(405, out_status, eb, "WebSocket upgrade must be GET");
    if (req->http_major < 1 || (req->http_major == 1 && req->http_minor < 1))
        return reject(400, out_status, eb, "WebSocket upgrade needs HTTP/1.1");
    v = net_http_header_get(req, "upgrade", &n);
    if (!v || !net_http_has_token(v, n, "websocket"))
        return reject(400, out_status, eb, "missing \"Upgrade: websocket\"");
    v = net_http_header_get(req, "connection", &n);
    if (!v || !net_http_has_token(v, n, "upgrade"))
        return reject(400, out_status, eb, "missing \"Connection: upgrade\"");
    v = net_http_header_get(req, "sec-websocket-version", &n);
    if (!v || n != 2 || memcmp(v, "13", 2) != 0)
        return reject(426, out_status, eb, "unsupported Sec-WebSocket-Version (need 13)");
    v = net_http_header_get(req, "sec-websocket-key", &n);
    if (!v || net_ws_accept_key(v, n, out_accept) != 0)
        return reject(400, out_status, eb, "missing or malformed Sec-WebSocket-Key");
    net_ws_proto best = NET_WS_PROTO_NONE;
    for (size_t i = 0; i < req->header_count; i++) {
        const net_http_header *h = &req->headers[i];
        if (h->name_len != 22 || memcmp(h->name, "sec-websocket-protocol", 22) != 0) continue;
        net_ws_proto p = net_ws_select_protocol(h->value, h->value_len);
        if (p > best) best = p;
    }
    if (best == NET_WS_PROTO_NONE) return reject(400, out_status, eb, "no valid protocol selected");
    *out_proto = best;
    *out_status = 101;
    return 0;
}

void net_ws_write_101(lc_buf *out, const char *accept, net_ws_proto proto,
                      const net_http_header *extra, size_t n_extra)
{
    LC_ASSERT(proto != NET_WS_PROTO_NONE && strlen(accept) == NET_WS_ACCEPT_LEN);
    net_http_header h[4 + 8];
    LC_ASSERT(n_extra <= 8);
    const char *pn = net_ws_proto_name(proto);
    h[0] = (net_http_header){"upgrade", 7, "websocket", 9};
    h[1] = (net_http_header){"connection", 10, "Upgrade", 7};
    h[2] = (net_http_header){"sec-websocket-accept", 20, accept, NET_WS_ACCEPT_LEN};
    h[3] = (net_http_header){"sec-websocket-protocol", 22, pn, strlen(pn)};
    for (size_t i = 0; i < n_extra; i++) h[4 + i] = extra[i];
    net_http_write_head(out, 101, NULL, 0, true, h, 4 + n_extra);
}
