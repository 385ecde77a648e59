/*
 * cli/cmd_login.c — identities of the CLI, one per server (cli/config.c):
 *   login [--token JWT] [-s SERVER]   save JWT as the identity for the server, or (without
 *                                     --token) ask the server for a new identity
 *                                     (POST /v1/identity) and save it
 *   logout [-s SERVER]                forget the server's token
 *   identity [-s SERVER] [--token]    print the identity (hex) and server, or the token
 * The identity of a saved token is read from its hex_identity claim (or derived from iss and
 * sub, net/identity.h); the signature is not checked here (the server checks it).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "cli/cli.h"
#include "net/b64.h"
#include "net/identity.h"

/* Identity hex of a JWT from its claims; 0 or -1. */
static int token_identity(const char *tok, char out[NET_IDENTITY_HEX_LEN + 1])
{
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2 || (size_t)(d2 - d1 - 1) > 8192) return -1;
    u8 buf[8192];
    size_t n;
    if (net_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf, &n)) return -1;
    json_error_t je;
    json_t *c = json_loadb((const char *)buf, n, 0, &je);
    const char *hex = json_string_value(json_object_get(c, "hex_identity"));
    const char *iss = json_string_value(json_object_get(c, "iss"));
    const char *sub = json_string_value(json_object_get(c, "sub"));
    int rc = -1;
    if (hex && strlen(hex) == NET_IDENTITY_HEX_LEN) {
        memcpy(out, hex, NET_IDENTITY_HEX_LEN + 1);
        rc = 0;
    } else if (iss && sub) {
        net_identity id;
        net_identity_from_claims(iss, strlen(iss), sub, strlen(sub), &id);
        net_identity_to_hex(&id, out);
        rc = 0;
    }
    json_decref(c);
    return rc;
}

static int parse_server(int argc, char **argv, const char *cmd, const char **server,
                        const char **token, bool *flag)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            printf("usage: lightcone login [--token JWT] [-s SERVER]\n"
                   "       lightcone logout [-s SERVER]\n"
                   "       lightcone identity [--token] [-s SERVER]\n");
            return -1;
        }
        if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && i + 1 < argc) *server = argv[++i];
        else if (token && !strcmp(a, "--token") && i + 1 < argc) *token = argv[++i];
        else if (flag && !strcmp(a, "--token")) *flag = true;
        else { cli_fail(cmd, "unexpected argument '%s' (see --help)", a); return 2; }
    }
    return 0;
}

int cmd_login(int argc, char **argv)
{
    const char *server = NULL, *token = NULL;
    int prc = parse_server(argc, argv, "login", &server, &token, NULL);
    if (prc) return prc < 0 ? 0 : prc;
    cli_ctx x;
    if (cli_ctx_open(&x, "login", server, false)) return 1;
    int rc = 0;
    lc_errbuf eb;
    char hex[NET_IDENTITY_HEX_LEN + 1];
    if (token) {
        if (token_identity(token, hex)) rc = (cli_fail("login", "--token is not a JWT"), 2);
        else cli_token_set(x.cfg, x.url, token, hex);
        if (!rc && cli_config_save(x.cfg, &eb)) rc = (cli_fail("login", "%s", eb.msg), 1);
    } else {
        json_object_del(json_object_get(x.cfg, "tokens"), x.url);
        (void)cli_token_ensure(x.cfg, x.url, true, &eb, &rc);
        if (rc) rc = (cli_fail("login", "%s", eb.msg), 1);
    }
    const char *id = NULL;
    if (!rc) (void)cli_token_get(x.cfg, x.url, &id);
    if (!rc) printf("Logged in to %s as %s\n", x.url, id ? id : "?");
    cli_ctx_close(&x);
    return rc;
}

int cmd_logout(int argc, char **argv)
{
    const char *server = NULL;
    int prc = parse_server(argc, argv, "logout", &server, NULL, NULL);
    if (prc) return prc < 0 ? 0 : prc;
    cli_ctx x;
    if (cli_ctx_open(&x, "logout", server, false)) return 1;
    json_object_del(json_object_get(x.cfg, "tokens"), x.url);
    lc_errbuf eb;
    int rc = cli_config_save(x.cfg, &eb) ? (cli_fail("logout", "%s", eb.msg), 1) : 0;
    if (!rc) printf("Logged out of %s\n", x.url);
    cli_ctx_close(&x);
    return rc;
}

int cmd_identity(int argc, char **argv)
{
    const char *server = NULL;
    bool show_token = false;
    int prc = parse_server(argc, argv, "identity", &server, NULL, &show_token);
    if (prc) return prc < 0 ? 0 : prc;
    cli_ctx x;
    if (cli_ctx_open(&x, "identity", server, false)) return 1;
    const char *id = NULL;
    const char *tok = cli_token_get(x.cfg, x.url, &id);
    int rc = 0;
    if (!tok)
        rc = (cli_fail("identity", "no identity for %s yet (run 'lightcone login')", x.url), 1);
    else if (show_token) printf("%s\n", tok);
    else printf("%s\n", id ? id : "?");
    cli_ctx_close(&x);
    return rc;
}
