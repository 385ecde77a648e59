/*
 * net/token_verify.c — net_token_verify: the validation rules listed in token.h, applied to
 * untrusted bytes in this order (cheap and structural first, trust last):
 *
 *   1. bounds: 0 < len <= LC_TOKEN_SIZE_MAX; exactly two '.' separators
 *   2. header: strict base64url -> JSON object -> alg == "ES256"
 *   3. signature: strict base64url of exactly 64 bytes, ECDSA P-256 over "header.payload"
 *   4. payload: strict base64url -> JSON object -> iss/sub/iat/exp/hex_identity rules
 *
 * Every failure writes "Invalid token: <reason>" to the errbuf.
 */
#include <jansson.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "net/b64.h"
#include "net/token.h"
#include "net/token_int.h"

enum { EXP_LEEWAY_S = 60 };

#define BAD(eb, code, ...) lc_errf((eb), (code), "Invalid token: " __VA_ARGS__)

/* Decodes one base64url segment and parses it as a JSON object. The decoded text is kept in
 * *out_text (lc_alloc'ed, NUL-terminated) when out_text is not NULL. */
static int segment_json(const char *s, size_t n, json_t **out, char **out_text,
                        size_t *out_len, lc_errbuf *eb)
{
    *out = NULL;
    u8 *text = lc_alloc(n * 3 / 4 + 1);
    if (!text) return LC_ENOMEM;
    size_t tl = 0;
    if (net_b64url_decode(s, n, text, &tl) != 0) {
        lc_free(text);
        return BAD(eb, LC_EDECODE, "malformed base64url");
    }
    text[tl] = 0;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)text, tl, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        lc_free(text);
        return BAD(eb, LC_EDECODE, "segment is not a JSON object");
    }
    *out = j;
    if (out_text) {
        *out_text = (char *)text;
        *out_len = tl;
    } else {
        lc_free(text);
    }
    return 0;
}

static int check_header(const char *s, size_t n, lc_errbuf *eb)
{
    json_t *h;
    int rc = segment_json(s, n, &h, NULL, NULL, eb);
    if (rc) return rc;
    const char *alg = json_string_value(json_object_get(h, "alg"));
    if (!alg) rc = BAD(eb, LC_EDECODE, "header has no alg");
    else if (strcmp(alg, "ES256") != 0) rc = BAD(eb, LC_ENOTSUP, "unsupported algorithm");
    json_decref(h);
    return rc;
}

static int check_signature(const net_keys *keys, const char *tok, size_t signed_len,
                           const char *sig_s, size_t sig_n, lc_errbuf *eb)
{
    u8 sig[64];
    size_t sl = 0;
    if (sig_n != net_b64url_len(64) || net_b64url_decode(sig_s, sig_n, sig, &sl) != 0)
        return BAD(eb, LC_EDECODE, "malformed signature");
    LC_ASSERT(sl == 64);
    if (!keys || !keys->pub) return BAD(eb, LC_EPERM, "no key to verify with");
    if (!net_token_sig_verify(keys->pub, tok, signed_len, sig))
        return BAD(eb, LC_EPERM, "InvalidSignature");
    return 0;
}

/* A claim that must be a non-empty string of at most LC_TOKEN_CLAIM_MAX bytes. */
static int copy_claim(json_t *p, const char *name, char out[LC_TOKEN_CLAIM_MAX + 1],
                      lc_errbuf *eb)
{
    json_t *v = json_object_get(p, name);
    if (!json_is_string(v)) return BAD(eb, LC_EDECODE, "missing required claim `%s`", name);
    size_t n = json_string_length(v);
    if (n == 0 || n > LC_TOKEN_CLAIM_MAX)
        return BAD(eb, LC_EDECODE, "claim `%s` must be 1..%d bytes", name, LC_TOKEN_CLAIM_MAX);
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

static int check_claims(json_t *p, i64 now_s, net_token_claims *c, lc_errbuf *eb)
{
    int rc;
    if ((rc = copy_claim(p, "iss", c->iss, eb)) || (rc = copy_claim(p, "sub", c->sub, eb)))
        return rc;
    json_t *iat = json_object_get(p, "iat"), *exp = json_object_get(p, "exp");
    if (!json_is_integer(iat) || json_integer_value(iat) < 0)
        return BAD(eb, LC_EDECODE, "missing or malformed claim `iat`");
    c->iat = json_integer_value(iat);
    c->has_exp = exp && !json_is_null(exp);
    if (c->has_exp) {
        if (!json_is_integer(exp)) return BAD(eb, LC_EDECODE, "malformed claim `exp`");
        c->exp = json_integer_value(exp);
        if (c->exp < INT64_MAX - EXP_LEEWAY_S && now_s > c->exp + EXP_LEEWAY_S)
            return BAD(eb, LC_EPERM, "ExpiredSignature");
    }
    net_identity_from_claims(c->iss, strlen(c->iss), c->sub, strlen(c->sub), &c->identity);
    json_t *hex = json_object_get(p, "hex_identity");
    if (hex) {
        net_identity claimed;
        const char *h = json_string_value(hex);
        if (!h || net_identity_from_hex(h, json_string_length(hex), &claimed) != 0)
            return BAD(eb, LC_EDECODE, "malformed claim `hex_identity`");
        if (!net_identity_eq(&claimed, &c->identity))
            return BAD(eb, LC_EPERM, "hex_identity does not match the iss/sub claims");
    }
    return 0;
}

int net_token_verify(const net_keys *keys, const char *tok, size_t len, i64 now_s,
                     net_token_claims *out, lc_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    if (len == 0) return BAD(eb, LC_EDECODE, "empty");
    if (len > LC_TOKEN_SIZE_MAX)
        return BAD(eb, LC_ELIMIT, "longer than %d bytes", LC_TOKEN_SIZE_MAX);
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
        return BAD(eb, LC_EDECODE, "not a three-part JWS compact token");
    size_t hn = (size_t)(d1 - tok), pn = (size_t)(d2 - d1 - 1), sn = len - (size_t)(d2 + 1 - tok);
    int rc;
    if ((rc = check_header(tok, hn, eb)) ||
        (rc = check_signature(keys, tok, (size_t)(d2 - tok), d2 + 1, sn, eb)))
        return rc;
    json_t *p;
    if ((rc = segment_json(d1 + 1, pn, &p, &out->payload, &out->payload_len, eb))) return rc;
    rc = check_claims(p, now_s, out, eb);
    json_decref(p);
    if (rc) net_token_claims_deinit(out);
    return rc;
}
