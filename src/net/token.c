/*
 * net/token.c — ES256 JWT signing, minting and verification (rules in token.h).
 *
 * ECDSA signatures: OpenSSL produces and consumes DER (SEQUENCE { r, s }); JOSE wants the fixed
 * 64-byte r||s, each big-endian and left-padded to 32 bytes. sig_der_to_jose / sig_jose_to_der
 * convert. Verification order: size, split, base64, header JSON + alg, signature, payload
 * claims — nothing in the payload is trusted before the signature checks out.
 *
 * JSON comes from jansson (loaded with JSON_REJECT_DUPLICATES so a claim has one meaning);
 * output is dumped through a callback into an lc_buf, keeping all our memory on lc_alloc.
 */
#include "net/token.h"

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/buf.h"
#include "net/b64.h"
#include "net/token_int.h"

/* b64url('{"typ":"JWT","alg":"ES256"}') */
static const char HEADER_B64[] = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9";
void net_token_claims_deinit(net_token_claims *c)
{
    lc_free(c->payload);
    c->payload = NULL;
}

/* ECDSA-SHA256 over msg with the private key, as 64 bytes r||s. */
static int sign_es256(EVP_PKEY *priv, const void *msg, size_t n, u8 out[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    u8 der[128];
    size_t der_len = sizeof der;
    int rc = LC_EIO;
    if (!ctx) return LC_ENOMEM;
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, priv) == 1 &&
        EVP_DigestSign(ctx, der, &der_len, msg, n) == 1) {
        const u8 *p = der;
        ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        if (sig) {
            const BIGNUM *r, *s;
            ECDSA_SIG_get0(sig, &r, &s);
            if (BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32) rc = 0;
            ECDSA_SIG_free(sig);
        }
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

int net_token_sig_verify(EVP_PKEY *pub, const void *msg, size_t n, const u8 sig64[64])
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig64, 32, NULL), *s = BN_bin2bn(sig64 + 32, 32, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    u8 *der = NULL;
    int ok = 0;
    if (!sig || !r || !s || !ctx) goto out;
    if (ECDSA_SIG_set0(sig, r, s) != 1) goto out;
    r = s = NULL; /* owned by sig now */
    int der_len = i2d_ECDSA_SIG(sig, &der);
    if (der_len <= 0) goto out;
    ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
         EVP_DigestVerify(ctx, der, (size_t)der_len, msg, n) == 1;
out:
    OPENSSL_free(der);
    EVP_MD_CTX_free(ctx);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return ok;
}

static int dump_cb(const char *p, size_t n, void *data)
{
    lc_buf_put(data, p, n);
    return 0;
}

/* json -> lc_alloc'ed compact text; keys keep their insertion order. */
static int json_to_text(const json_t *j, char **out, size_t *out_len)
{
    lc_buf b;
    lc_buf_init(&b);
    if (json_dump_callback(j, dump_cb, &b, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
        b.err = b.err ? b.err : LC_ENOMEM;
    lc_buf_put_u8(&b, 0);
    if (b.err) {
        int e = b.err;
        lc_buf_deinit(&b);
        return e;
    }
    *out = (char *)lc_buf_take(&b, out_len);
    (*out_len)--;
    return 0;
}

int net_token_sign(const net_keys *keys, const char *payload_json, size_t len, char **out_token,
                   lc_errbuf *eb)
{
    *out_token = NULL;
    if (!keys->priv) return lc_errf(eb, LC_ESTATE, "no private key to sign with");
    size_t hl = sizeof HEADER_B64 - 1, pl = net_b64url_len(len);
    size_t total = hl + 1 + pl + 1 + net_b64url_len(64);
    char *t = lc_alloc(total + 1);
    if (!t) return LC_ENOMEM;
    memcpy(t, HEADER_B64, hl);
    t[hl] = '.';
    net_b64url_encode(payload_json, len, t + hl + 1);
    t[hl + 1 + pl] = '.';
    u8 sig[64];
    int rc = sign_es256(keys->priv, t, hl + 1 + pl, sig);
    if (rc) {
        lc_free(t);
        return lc_errf(eb, rc, "ECDSA signing failed");
    }
    net_b64url_encode(sig, 64, t + hl + 1 + pl + 1);
    LC_ASSERT(strlen(t) == total);
    *out_token = t;
    return 0;
}

static int sign_json(const net_keys *keys, const json_t *claims, char **out_token,
                     lc_errbuf *eb)
{
    char *text;
    size_t n;
    int rc = json_to_text(claims, &text, &n);
    if (rc) return rc;
    rc = net_token_sign(keys, text, n, out_token, eb);
    lc_free(text);
    return rc;
}

/* A random UUIDv4 in its 36-character text form. */
static int uuid_v4(char out[37])
{
    u8 b[16];
    if (RAND_bytes(b, sizeof b) != 1) return LC_EIO;
    b[6] = (u8)((b[6] & 0x0f) | 0x40);
    b[8] = (u8)((b[8] & 0x3f) | 0x80);
    char hex[33];
    net_hex_encode(b, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return 0;
}

int net_token_mint_new(const net_keys *keys, const char *issuer, i64 now_s, char **out_token,
                       net_identity *out_id, lc_errbuf *eb)
{
    char sub[37], hex[NET_IDENTITY_HEX_LEN + 1];
    *out_token = NULL;
    if (uuid_v4(sub)) return lc_errf(eb, LC_EIO, "no randomness for a new identity");
    net_identity_from_claims(issuer, strlen(issuer), sub, strlen(sub), out_id);
    net_identity_to_hex(out_id, hex);
    json_t *c = json_object(), *aud = json_array();
    int rc = LC_ENOMEM;
    if (!c || !aud || json_array_append_new(aud, json_string("spacetimedb")) ||
        json_object_set_new(c, "hex_identity", json_string(hex)) ||
        json_object_set_new(c, "sub", json_string(sub)) ||
        json_object_set_new(c, "iss", json_string(issuer)) ||
        json_object_set(c, "aud", aud) ||
        json_object_set_new(c, "iat", json_integer(now_s)) ||
        json_object_set_new(c, "exp", json_null()))
        goto out;
    rc = sign_json(keys, c, out_token, eb);
out:
    json_decref(aud);
    json_decref(c);
    return rc;
}

int net_token_mint_ws(const net_keys *keys, const net_token_claims *claims, i64 now_s,
                      i64 ttl_s, char **out_token, lc_errbuf *eb)
{
    *out_token = NULL;
    json_t *c = json_loadb(claims->payload, claims->payload_len, 0, NULL);
    int rc = LC_EDECODE;
    if (!json_is_object(c)) goto out;
    rc = LC_ENOMEM;
    if (json_object_set_new(c, "iat", json_integer(now_s)) ||
        json_object_set_new(c, "exp", json_integer(now_s + ttl_s)))
        goto out;
    rc = sign_json(keys, c, out_token, eb);
out:
    json_decref(c);
    return rc;
}
