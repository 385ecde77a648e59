/*
 * tests/unit/test_net_token.c — net/token: key files, minting, the websocket token, and every
 * validation rule, including an independent known-answer check (RFC 7515 A.3's ES256 token)
 * so the JOSE r||s conversion is not only tested against itself.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "harness.h"
#include "net/b64.h"
#include "net/token.h"

static const char RFC7515_A3_PUB[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n"
    "6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n"
    "-----END PUBLIC KEY-----\n";
static const char RFC7515_A3_TOKEN[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* A fresh key pair in a fresh temporary directory (static so tests share one per run). */
static net_keys *test_keys(void)
{
    static net_keys *keys;
    if (keys) return keys;
    char dir[] = "/tmp/lc-test-keys-XXXXXX";
    if (!mkdtemp(dir)) return NULL;
    lc_errbuf eb;
    char sub[64];
    snprintf(sub, sizeof sub, "%s/k", dir);
    if (net_keys_open_dir(sub, &keys, &eb) != 0) keys = NULL;
    rm_dir(sub);
    rm_dir(dir);
    return keys;
}

TEST(net_token_rfc7515_known_answer)
{
    net_keys *k;
    lc_errbuf eb;
    CHECK_OK(net_keys_from_pem(NULL, 0, RFC7515_A3_PUB, strlen(RFC7515_A3_PUB), &k, &eb));
    net_token_claims c;
    /* The signature is valid; the payload then fails our claim rules (no sub), which proves
     * the signature check passed. */
    size_t tl = strlen(RFC7515_A3_TOKEN);
    CHECK_ERR(net_token_verify(k, RFC7515_A3_TOKEN, tl, 1300819300, &c, &eb), LC_EDECODE);
    CHECK_STR(eb.msg, "Invalid token: missing required claim `sub`");
    /* One bit flipped in the signature: now it is the signature that fails. */
    char bad[sizeof RFC7515_A3_TOKEN];
    memcpy(bad, RFC7515_A3_TOKEN, sizeof bad);
    bad[sizeof bad - 3] = bad[sizeof bad - 3] == 'U' ? 'V' : 'U';
    CHECK_ERR(net_token_verify(k, bad, strlen(bad), 1300819300, &c, &eb), LC_EPERM);
    CHECK_STR(eb.msg, "Invalid token: InvalidSignature");
    /* Signing needs a private key. */
    char *t;
    CHECK_ERR(net_token_sign(k, "{}", 2, &t, &eb), LC_ESTATE);
    net_keys_destroy(k);
}

TEST(net_token_key_files)
{
    char dir[] = "/tmp/lc-test-keydir-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char kd[128], priv[160], pub[160];
    snprintf(kd, sizeof kd, "%s/keys", dir);
    snprintf(priv, sizeof priv, "%s/id_ecdsa", kd);
    snprintf(pub, sizeof pub, "%s/id_ecdsa.pub", kd);
    net_keys *k1 = NULL, *k2 = NULL;
    lc_errbuf eb;
    CHECK_OK(net_keys_open_dir(kd, &k1, &eb));
    struct stat st;
    CHECK(stat(kd, &st) == 0 && (st.st_mode & 0777) == 0700);
    CHECK(stat(priv, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(pub, &st) == 0 && (st.st_mode & 0777) == 0600);
    size_t n1, n2;
    const char *pem1 = net_keys_public_pem(k1, &n1);
    CHECK(strncmp(pem1, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
    FILE *f = fopen(priv, "r");
    char line[64] = {0};
    CHECK(f && fgets(line, sizeof line, f));
    fclose(f);
    CHECK_STR(line, "-----BEGIN PRIVATE KEY-----\n");
    /* Reopening loads the same key: a token from k1 verifies with k2. */
    CHECK_OK(net_keys_open_dir(kd, &k2, &eb));
    const char *pem2 = net_keys_public_pem(k2, &n2);
    CHECK(n1 == n2 && memcmp(pem1, pem2, n1) == 0);
    char *tok;
    net_identity id;
    net_token_claims c;
    CHECK_OK(net_token_mint_new(k1, "localhost", 1000, &tok, &id, &eb));
    CHECK_OK(net_token_verify(k2, tok, strlen(tok), 1000, &c, &eb));
    net_token_claims_deinit(&c);
    lc_free(tok);
    net_keys_destroy(k2);
    /* Only one file present: refuse. */
    unlink(pub);
    CHECK_ERR(net_keys_open_dir(kd, &k2, &eb), LC_ESTATE);
    CHECK(strstr(eb.msg, "refusing") != NULL);
    net_keys_destroy(k1);
    rm_dir(kd);
    rm_dir(dir);
}

TEST(net_token_mint_and_verify)
{
    net_keys *k = test_keys();
    CHECK(k != NULL);
    char *tok;
    net_identity id;
    lc_errbuf eb;
    CHECK_OK(net_token_mint_new(k, "localhost", 1700000000, &tok, &id, &eb));
    CHECK(strncmp(tok, "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.", 37) == 0);
    net_token_claims c;
    CHECK_OK(net_token_verify(k, tok, strlen(tok), 1700000000, &c, &eb));
    CHECK_STR(c.iss, "localhost");
    CHECK_EQ(strlen(c.sub), 36); /* UUIDv4 text */
    CHECK_EQ(c.sub[14], '4');
    CHECK(net_identity_eq(&c.identity, &id));
    CHECK_EQ(c.iat, 1700000000);
    CHECK(!c.has_exp);
    /* Claims in the reference order, exp null, aud an array. */
    char hex[65];
    net_identity_to_hex(&id, hex);
    char want[512];
    snprintf(want, sizeof want,
             "{\"hex_identity\":\"%s\",\"sub\":\"%s\",\"iss\":\"localhost\","
             "\"aud\":[\"spacetimedb\"],\"iat\":1700000000,\"exp\":null}",
             hex, c.sub);
    CHECK_STR(c.payload, want);
    /* Never-expiring tokens verify far in the future. */
    net_token_claims c2;
    CHECK_OK(net_token_verify(k, tok, strlen(tok), 4000000000, &c2, &eb));
    net_token_claims_deinit(&c2);
    /* Short-lived websocket token: same iss/sub, exp = now + 60, 60 s leeway. */
    char *ws;
    CHECK_OK(net_token_mint_ws(k, &c, 1700000100, 60, &ws, &eb));
    CHECK_OK(net_token_verify(k, ws, strlen(ws), 1700000100 + 120, &c2, &eb));
    CHECK_STR(c2.sub, c.sub);
    CHECK(net_identity_eq(&c2.identity, &id));
    CHECK(c2.has_exp && c2.exp == 1700000160 && c2.iat == 1700000100);
    CHECK(strstr(c2.payload, "\"aud\":[\"spacetimedb\"]") != NULL);
    net_token_claims_deinit(&c2);
    CHECK_ERR(net_token_verify(k, ws, strlen(ws), 1700000100 + 121, &c2, &eb), LC_EPERM);
    CHECK_STR(eb.msg, "Invalid token: ExpiredSignature");
    net_token_claims_deinit(&c);
    lc_free(ws);
    lc_free(tok);
}

/* Signs `payload` with the test key and verifies it at `now`. */
static int sign_verify(const char *payload, i64 now, net_token_claims *c, lc_errbuf *eb)
{
    char *tok;
    int rc = net_token_sign(test_keys(), payload, strlen(payload), &tok, eb);
    if (rc) return 1000;
    rc = net_token_verify(test_keys(), tok, strlen(tok), now, c, eb);
    lc_free(tok);
    if (rc == 0) net_token_claims_deinit(c);
    return rc;
}

TEST(net_token_claim_rules)
{
    CHECK(test_keys() != NULL);
    net_token_claims c;
    lc_errbuf eb;
    CHECK_OK(sign_verify("{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1}", 5, &c, &eb));
    CHECK_OK(sign_verify("{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1,\"aud\":\"x\",\"x\":[1]}", 5, &c,
                         &eb));
    CHECK_ERR(sign_verify("{\"iss\":\"a\",\"sub\":\"b\"}", 5, &c, &eb), LC_EDECODE);
    CHECK_ERR(sign_verify("{\"iss\":\"a\",\"sub\":\"b\",\"iat\":-1}", 5, &c, &eb), LC_EDECODE);
    CHECK_ERR(sign_verify("{\"iss\":\"\",\"sub\":\"b\",\"iat\":1}", 5, &c, &eb), LC_EDECODE);
    CHECK_ERR(sign_verify("{\"iss\":\"a\",\"sub\":7,\"iat\":1}", 5, &c, &eb), LC_EDECODE);
    CHECK_ERR(sign_verify("{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1,\"exp\":\"x\"}", 5, &c, &eb),
              LC_EDECODE);
    CHECK_ERR(sign_verify("{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1,\"iss\":\"c\"}", 5, &c, &eb),
              LC_EDECODE); /* duplicate claim */
    CHECK_ERR(sign_verify("[1,2]", 5, &c, &eb), LC_EDECODE);
    /* 128-byte iss passes, 129 fails. */
    char p[400], s128[130];
    memset(s128, 'i', 129);
    s128[128] = 0;
    snprintf(p, sizeof p, "{\"iss\":\"%s\",\"sub\":\"b\",\"iat\":1}", s128);
    CHECK_OK(sign_verify(p, 5, &c, &eb));
    s128[128] = 'i';
    s128[129] = 0;
    snprintf(p, sizeof p, "{\"iss\":\"%s\",\"sub\":\"b\",\"iat\":1}", s128);
    CHECK_ERR(sign_verify(p, 5, &c, &eb), LC_EDECODE);
    /* hex_identity must match iss/sub. */
    const char *bob = "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0d4";
    const char *fmt = "{\"hex_identity\":\"%s\",\"iss\":\"localhost\",\"sub\":\"%s\",\"iat\":1}";
    snprintf(p, sizeof p, fmt, bob, "bob");
    CHECK_OK(sign_verify(p, 5, &c, &eb));
    snprintf(p, sizeof p, fmt, bob, "eve");
    CHECK_ERR(sign_verify(p, 5, &c, &eb), LC_EPERM);
    CHECK_ERR(sign_verify("{\"hex_identity\":1,\"iss\":\"a\",\"sub\":\"b\",\"iat\":1}", 5, &c,
                          &eb),
              LC_EDECODE);
}

/* header.payload.signature from raw JSON header/payload and a signature string. */
static void make_token(const char *hdr, const char *payload, const char *sig, char *out)
{
    size_t n = net_b64url_encode(hdr, strlen(hdr), out);
    out[n++] = '.';
    n += net_b64url_encode(payload, strlen(payload), out + n);
    out[n++] = '.';
    strcpy(out + n, sig);
}

TEST(net_token_rejects_forgeries_and_garbage)
{
    net_keys *k = test_keys();
    CHECK(k != NULL);
    net_token_claims c;
    lc_errbuf eb;
    char t[1024];
    const char *pl = "{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1}";
    make_token("{\"alg\":\"none\"}", pl, "", t);
    CHECK_ERR(net_token_verify(k, t, strlen(t), 5, &c, &eb), LC_ENOTSUP);
    make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", pl, "AAAA", t);
    CHECK_ERR(net_token_verify(k, t, strlen(t), 5, &c, &eb), LC_ENOTSUP);
    make_token("{\"typ\":\"JWT\"}", pl, "AAAA", t);
    CHECK_ERR(net_token_verify(k, t, strlen(t), 5, &c, &eb), LC_EDECODE);
    make_token("{\"alg\":\"ES256\"}", pl, "AAAA", t); /* short signature */
    CHECK_ERR(net_token_verify(k, t, strlen(t), 5, &c, &eb), LC_EDECODE);
    /* A token signed by another key. */
    net_keys *other;
    CHECK_OK(net_keys_from_pem(NULL, 0, RFC7515_A3_PUB, strlen(RFC7515_A3_PUB), &other, &eb));
    char *tok;
    net_identity id;
    CHECK_OK(net_token_mint_new(k, "localhost", 1, &tok, &id, &eb));
    CHECK_ERR(net_token_verify(other, tok, strlen(tok), 1, &c, &eb), LC_EPERM);
    net_keys_destroy(other);
    /* Payload swapped under a valid signature. */
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    size_t hl = (size_t)(dot1 - tok);
    memcpy(t, tok, hl + 1);
    size_t n = hl + 1 + net_b64url_encode(pl, strlen(pl), t + hl + 1);
    strcpy(t + n, dot2);
    CHECK_ERR(net_token_verify(k, t, strlen(t), 1, &c, &eb), LC_EPERM);
    lc_free(tok);
    static const char *garbage[] = {"", "a", "a.b", "a.b.c.d", "..", "eyJ.eyJ.", "!!.!!.!!"};
    for (size_t i = 0; i < LC_ARRAY_LEN(garbage); i++)
        CHECK(net_token_verify(k, garbage[i], strlen(garbage[i]), 1, &c, &eb) < 0);
    char *big = lc_alloc(LC_TOKEN_SIZE_MAX + 2);
    CHECK(big != NULL);
    memset(big, 'A', LC_TOKEN_SIZE_MAX + 1);
    CHECK_ERR(net_token_verify(k, big, LC_TOKEN_SIZE_MAX + 1, 1, &c, &eb), LC_ELIMIT);
    lc_free(big);
}

/* Reads a whole small file into buf (NUL-terminated); returns its length or 0. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return n;
}

TEST(net_token_key_errors)
{
    net_keys *k = NULL;
    lc_errbuf eb;
    /* A key directory that cannot be created. */
    CHECK_ERR(net_keys_open_dir("/proc/lc-no-such-dir/keys", &k, &eb), LC_EIO);
    CHECK(k == NULL);
    /* Garbage PEM, and a private key that does not match the public one. */
    CHECK_ERR(net_keys_from_pem(NULL, 0, "not a pem", 9, &k, &eb), LC_EDECODE);
    char d1[] = "/tmp/lc-test-k1-XXXXXX", d2[] = "/tmp/lc-test-k2-XXXXXX";
    CHECK(mkdtemp(d1) && mkdtemp(d2));
    net_keys *k1, *k2;
    CHECK_OK(net_keys_open_dir(d1, &k1, &eb));
    CHECK_OK(net_keys_open_dir(d2, &k2, &eb));
    char path[128], priv1[4096];
    snprintf(path, sizeof path, "%s/id_ecdsa", d1);
    size_t pl = slurp(path, priv1, sizeof priv1);
    CHECK(pl > 0);
    size_t publ;
    const char *pub2 = net_keys_public_pem(k2, &publ);
    CHECK_ERR(net_keys_from_pem(priv1, pl, pub2, publ, &k, &eb), LC_EINVAL);
    CHECK_STR(eb.msg, "public key does not match the private key");
    /* The matching pair loads, and a P-256 public key alone verifies k1's tokens. */
    const char *pub1 = net_keys_public_pem(k1, &publ);
    CHECK_OK(net_keys_from_pem(priv1, pl, pub1, publ, &k, &eb));
    net_keys *vk;
    CHECK_OK(net_keys_from_pem(NULL, 0, pub1, publ, &vk, &eb));
    char *tok;
    net_identity id;
    net_token_claims c;
    CHECK_OK(net_token_mint_new(k, "localhost", 1, &tok, &id, &eb));
    CHECK_OK(net_token_verify(vk, tok, strlen(tok), 1, &c, &eb));
    net_token_claims_deinit(&c);
    CHECK_ERR(net_token_verify(k2, tok, strlen(tok), 1, &c, &eb), LC_EPERM);
    lc_free(tok);
    net_keys_destroy(vk);
    net_keys_destroy(k);
    net_keys_destroy(k1);
    net_keys_destroy(k2);
    rm_dir(d1);
    rm_dir(d2);
}
