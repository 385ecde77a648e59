/*
 * tests/fuzz/fuzz_token.c — libFuzzer target for net/token verification.
 *
 * Input byte 0 picks the mode:
 *   even  the rest is a whole token, verified against a fixed key (structure, base64url,
 *         header JSON, alg, signature paths);
 *   odd   the rest is a claims payload that we sign with a fixed private key and verify, so
 *         the claim rules (iss/sub/iat/exp/hex_identity) see arbitrary JSON behind a valid
 *         signature. Whatever verifies must have non-empty iss/sub within the limit and an
 *         identity equal to from_claims(iss, sub).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/alloc.h"
#include "net/token.h"

static net_keys *g_keys;

/* A fresh key pair, generated through the real first-start path in a temporary directory
 * that is removed at once (the keys live on in memory). */
static net_keys *keys(void)
{
    if (g_keys) return g_keys;
    char dir[] = "/tmp/lc-fuzz-token-XXXXXX", path[64];
    lc_errbuf eb;
    if (!mkdtemp(dir) || net_keys_open_dir(dir, &g_keys, &eb) != 0) abort();
    snprintf(path, sizeof path, "%s/id_ecdsa", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/id_ecdsa.pub", dir);
    unlink(path);
    rmdir(dir);
    return g_keys;
}

static void check_claims(const net_token_claims *c)
{
    size_t il = strlen(c->iss), sl = strlen(c->sub);
    if (il == 0 || sl == 0 || il > LC_TOKEN_CLAIM_MAX || sl > LC_TOKEN_CLAIM_MAX) abort();
    net_identity id;
    net_identity_from_claims(c->iss, il, c->sub, sl, &id);
    if (!net_identity_eq(&id, &c->identity)) abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    if (size < 1) return 0;
    net_keys *k = keys();
    net_token_claims c;
    lc_errbuf eb;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    if (data[0] & 1) {
        char *tok;
        if (n > LC_TOKEN_SIZE_MAX / 2 || net_token_sign(k, in, n, &tok, &eb) != 0) return 0;
        if (net_token_verify(k, tok, strlen(tok), 1700000000, &c, &eb) == 0) {
            check_claims(&c);
            char *ws;
            if (net_token_mint_ws(k, &c, 1700000000, 60, &ws, &eb) == 0) lc_free(ws);
            net_token_claims_deinit(&c);
        }
        lc_free(tok);
        return 0;
    }
    if (net_token_verify(k, in, n, 1700000000, &c, &eb) == 0) {
        check_claims(&c);
        net_token_claims_deinit(&c);
    }
    return 0;
}
