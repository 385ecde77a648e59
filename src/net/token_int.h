/*
 * net/token_int.h — private to net/token*.c: the layout of net_keys.
 */
#ifndef LC_NET_TOKEN_INT_H
#define LC_NET_TOKEN_INT_H

#include <openssl/evp.h>

#include "base/types.h"

struct net_keys {
    EVP_PKEY *priv;  /* NULL for verify-only keys */
    EVP_PKEY *pub;
    char *pub_pem;   /* SubjectPublicKeyInfo PEM, NUL-terminated */
    size_t pub_pem_len;
};

/* 1 if the 64-byte JOSE r||s ES256 signature verifies over msg with pub, else 0. */
int net_token_sig_verify(EVP_PKEY *pub, const void *msg, size_t n, const u8 sig64[64]);

#endif
