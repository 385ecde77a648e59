/*
 * net/token_keys.c — the server's P-256 key pair: PEM loading, first-use generation and
 * persistence (token.h describes the files and their permissions).
 *
 * Persistence protocol for net_keys_open_dir:
 *   neither file exists  -> generate; write id_ecdsa.tmp and id_ecdsa.pub.tmp (O_EXCL, 0600),
 *                           fsync, rename the private key then the public key into place;
 *   both exist           -> load, check P-256 and that the public key matches the private one;
 *   exactly one exists   -> LC_ESTATE: refuse rather than mint under a new identity.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "net/token.h"
#include "net/token_int.h"

void net_keys_destroy(net_keys *keys)
{
    if (!keys) return;
    EVP_PKEY_free(keys->priv);
    EVP_PKEY_free(keys->pub);
    lc_free(keys->pub_pem);
    lc_free(keys);
}

const char *net_keys_public_pem(const net_keys *keys, size_t *out_len)
{
    *out_len = keys->pub_pem_len;
    return keys->pub_pem;
}

static bool key_is_p256(EVP_PKEY *k)
{
    char group[64];
    size_t glen = 0;
    if (!EVP_PKEY_is_a(k, "EC")) return false;
    if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &glen))
        return false;
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/* Renders the public key as SubjectPublicKeyInfo PEM into keys->pub_pem. */
static int keys_store_pub_pem(net_keys *keys)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return LC_ENOMEM;
    int rc = LC_ENOMEM;
    if (PEM_write_bio_PUBKEY(bio, keys->pub) == 1) {
        char *p;
        long n = BIO_get_mem_data(bio, &p);
        keys->pub_pem = lc_strndup(p, (size_t)n);
        keys->pub_pem_len = (size_t)n;
        if (keys->pub_pem) rc = 0;
    }
    BIO_free(bio);
    return rc;
}

int net_keys_from_pem(const char *priv_pem, size_t priv_len, const char *pub_pem,
                      size_t pub_len, net_keys **out_keys, lc_errbuf *eb)
{
    *out_keys = NULL;
    if (pub_len > 65536 || priv_len > 65536) return lc_errf(eb, LC_ELIMIT, "key PEM too large");
    net_keys *keys = lc_calloc(1, sizeof *keys);
    if (!keys) return LC_ENOMEM;
    int rc = LC_EDECODE;
    BIO *bio = BIO_new_mem_buf(pub_pem, (int)pub_len);
    if (bio) keys->pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!keys->pub || !key_is_p256(keys->pub)) {
        lc_errf(eb, rc, "public key is not a P-256 SubjectPublicKeyInfo PEM");
        goto fail;
    }
    if (priv_pem) {
        bio = BIO_new_mem_buf(priv_pem, (int)priv_len);
        if (bio) keys->priv = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!keys->priv || !key_is_p256(keys->priv)) {
            lc_errf(eb, rc, "private key is not a P-256 PKCS#8 PEM");
            goto fail;
        }
        if (EVP_PKEY_eq(keys->priv, keys->pub) != 1) {
            rc = lc_errf(eb, LC_EINVAL, "public key does not match the private key");
            goto fail;
        }
    }
    rc = keys_store_pub_pem(keys);
    if (rc) goto fail;
    *out_keys = keys;
    return 0;
fail:
    net_keys_destroy(keys);
    return rc;
}

/* Reads a whole (small) file. *out is lc_alloc'ed and NUL-terminated. */
static int read_small_file(const char *path, char **out, size_t *out_len, lc_errbuf *eb)
{
    FILE *f = fopen(path, "rb");
    if (!f) return lc_errf(eb, LC_EIO, "%s: %s", path, strerror(errno));
    enum { CAP = 16384 }; /* a PEM key is < 1 KiB */
    char *buf = lc_alloc(CAP + 1);
    if (!buf) {
        fclose(f);
        return LC_ENOMEM;
    }
    size_t n = fread(buf, 1, CAP + 1, f);
    fclose(f);
    if (n > CAP) {
        lc_free(buf);
        return lc_errf(eb, LC_ELIMIT, "%s: too large for a key file", path);
    }
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    return 0;
}

static int write_file_0600(const char *path, const char *data, size_t n, lc_errbuf *eb)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return lc_errf(eb, LC_EIO, "%s: %s", path, strerror(errno));
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    /* fchmod in case a umask or an odd filesystem widened the mode. */
    int ok = off == n && fchmod(fd, 0600) == 0 && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return lc_errf(eb, LC_EIO, "%s: write failed", path);
    }
    return 0;
}

/* PKCS#8 PEM of a private key into an lc_alloc'ed string. */
static int priv_pem_copy(EVP_PKEY *k, char **out, size_t *out_len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return LC_ENOMEM;
    int rc = LC_ENOMEM;
    if (PEM_write_bio_PKCS8PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) == 1) {
        char *p;
        long n = BIO_get_mem_data(bio, &p);
        *out = lc_strndup(p, (size_t)n);
        *out_len = (size_t)n;
        if (*out) rc = 0;
    }
    BIO_free(bio);
    return rc;
}

static int keys_generate_files(const char *priv_path, const char *pub_path, lc_errbuf *eb)
{
    char tmp_priv[4200], tmp_pub[4200];
    snprintf(tmp_priv, sizeof tmp_priv, "%s.tmp", priv_path);
    snprintf(tmp_pub, sizeof tmp_pub, "%s.tmp", pub_path);
    unlink(tmp_priv); /* leftovers of an interrupted first start */
    unlink(tmp_pub);
    net_keys keys = {0};
    char *priv_pem = NULL;
    size_t priv_len = 0;
    int rc = LC_ENOMEM;
    keys.priv = EVP_EC_gen("P-256");
    if (!keys.priv) goto fail;
    keys.pub = keys.priv;
    if ((rc = keys_store_pub_pem(&keys)) || (rc = priv_pem_copy(keys.priv, &priv_pem, &priv_len)))
        goto fail;
    if ((rc = write_file_0600(tmp_priv, priv_pem, priv_len, eb)) ||
        (rc = write_file_0600(tmp_pub, keys.pub_pem, keys.pub_pem_len, eb)))
        goto fail;
    if (rename(tmp_priv, priv_path) != 0 || rename(tmp_pub, pub_path) != 0) {
        rc = lc_errf(eb, LC_EIO, "%s: rename: %s", priv_path, strerror(errno));
        goto fail;
    }
    rc = 0;
fail:
    EVP_PKEY_free(keys.priv);
    lc_free(keys.pub_pem);
    if (priv_pem) OPENSSL_cleanse(priv_pem, priv_len);
    lc_free(priv_pem);
    return rc;
}

int net_keys_open_dir(const char *dir, net_keys **out_keys, lc_errbuf *eb)
{
    *out_keys = NULL;
    char priv_path[4096], pub_path[4096];
    if (snprintf(priv_path, sizeof priv_path, "%s/id_ecdsa", dir) >= (int)sizeof priv_path ||
        snprintf(pub_path, sizeof pub_path, "%s/id_ecdsa.pub", dir) >= (int)sizeof pub_path)
        return lc_errf(eb, LC_ELIMIT, "key directory path too long");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return lc_errf(eb, LC_EIO, "%s: %s", dir, strerror(errno));
    bool has_priv = access(priv_path, F_OK) == 0, has_pub = access(pub_path, F_OK) == 0;
    if (has_priv != has_pub)
        return lc_errf(eb, LC_ESTATE, "%s exists but %s does not; refusing to generate a new key",
                       has_priv ? priv_path : pub_path, has_priv ? pub_path : priv_path);
    int rc;
    if (!has_priv && (rc = keys_generate_files(priv_path, pub_path, eb))) return rc;
    char *priv = NULL, *pub = NULL;
    size_t priv_len = 0, pub_len = 0;
    if ((rc = read_small_file(priv_path, &priv, &priv_len, eb)) == 0 &&
        (rc = read_small_file(pub_path, &pub, &pub_len, eb)) == 0)
        rc = net_keys_from_pem(priv, priv_len, pub, pub_len, out_keys, eb);
    if (priv) OPENSSL_cleanse(priv, priv_len);
    lc_free(priv);
    lc_free(pub);
    return rc;
}
