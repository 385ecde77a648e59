/*
 * net/token.h — ES256 JSON Web Tokens as SpacetimeDB mints and checks them
 * (spec-client-protocol.md §4.2-4.3), on OpenSSL 3 EVP APIs.
 *
 * Keys: one P-256 key pair per server, PEM files `id_ecdsa` (PKCS#8 private key) and
 * `id_ecdsa.pub` (SubjectPublicKeyInfo) in a key directory. net_keys_open_dir generates both on
 * first use (directory 0700, files 0600, written to temporaries and renamed into place) and
 * refuses to start when only one of them exists (a lost private key must not silently become
 * a new server identity). A net_keys is immutable after opening and may be shared between
 * threads.
 *
 * Token form: JWS compact `b64url(header).b64url(payload).b64url(r||s)`, header
 * {"typ":"JWT","alg":"ES256"}, no padding. Minted claims, in this order: hex_identity, sub
 * (random UUIDv4), iss, aud (["spacetimedb"]), iat, exp (null = never).
 *
 * Verification (net_token_verify), for any issuer, with the local public key only (OIDC is not
 * implemented):
 *   - size <= LC_TOKEN_SIZE_MAX, three strict base64url parts, JSON objects (no duplicate keys);
 *   - header alg must be "ES256" (anything else, "none" included, is refused);
 *   - the 64-byte r||s signature must verify over "header.payload";
 *   - iss and sub: non-empty strings of at most LC_TOKEN_CLAIM_MAX bytes; iat: a non-negative
 *     integer; exp: absent, null, or an integer with now <= exp + 60 s (the reference library's
 *     default leeway); aud is not checked;
 *   - hex_identity, if present, must equal net_identity_from_claims(iss, sub).
 * Failures return LC_EDECODE (malformed), LC_ELIMIT (too big), LC_ENOTSUP (algorithm) or
 * LC_EPERM (signature, expiry, identity mismatch), with "Invalid token: ..." in the errbuf —
 * the text the HTTP layer sends with its 401.
 */
#ifndef LC_NET_TOKEN_H
#define LC_NET_TOKEN_H

#include "base/error.h"
#include "base/limits.h"
#include "base/types.h"
#include "net/identity.h"

typedef struct net_keys net_keys;

/* Opens dir/id_ecdsa and dir/id_ecdsa.pub, generating both if neither exists. The caller owns
 * *out_keys (net_keys_destroy). */
int net_keys_open_dir(const char *dir, net_keys **out_keys, lc_errbuf *eb) LC_MUST_USE;
/* Loads from PEM text. priv_pem may be NULL (verify-only keys). The public key must be P-256
 * and, when both are given, match the private key. */
int net_keys_from_pem(const char *priv_pem, size_t priv_len, const char *pub_pem,
                      size_t pub_len, net_keys **out_keys, lc_errbuf *eb) LC_MUST_USE;
void net_keys_destroy(net_keys *keys);
/* The public key PEM (for GET /v1/identity/public-key); borrowed from keys, NUL-terminated. */
const char *net_keys_public_pem(const net_keys *keys, size_t *out_len);

typedef struct net_token_claims {
    char iss[LC_TOKEN_CLAIM_MAX + 1];
    char sub[LC_TOKEN_CLAIM_MAX + 1];
    net_identity identity; /* always from_claims(iss, sub) */
    i64 iat;
    bool has_exp;
    i64 exp;
    char *payload; /* owned: the decoded payload JSON, NUL-terminated (modules can read it) */
    size_t payload_len;
} net_token_claims;

void net_token_claims_deinit(net_token_claims *c);

/* Mints a token for a brand-new identity: sub = random UUIDv4, iss = issuer, exp = null.
 * *out_token is lc_alloc'ed and NUL-terminated; the caller lc_frees it. */
int net_token_mint_new(const net_keys *keys, const char *issuer, i64 now_s, char **out_token,
                       net_identity *out_id, lc_errbuf *eb) LC_MUST_USE;
/* The short-lived websocket token: the verified token's claims (iss, sub, aud, extra) with
 * iat = now and exp = now + ttl_s (the reference uses 60), re-signed with the local key. */
int net_token_mint_ws(const net_keys *keys, const net_token_claims *claims, i64 now_s,
                      i64 ttl_s, char **out_token, lc_errbuf *eb) LC_MUST_USE;
/* Signs an arbitrary claims object given as JSON text (it must be an object). */
int net_token_sign(const net_keys *keys, const char *payload_json, size_t len, char **out_token,
                   lc_errbuf *eb) LC_MUST_USE;
/* Verifies per the rules above; on success *out_claims is filled (deinit it). */
int net_token_verify(const net_keys *keys, const char *token, size_t len, i64 now_s,
                     net_token_claims *out_claims, lc_errbuf *eb) LC_MUST_USE;

#endif
