/*
 * server/routes.c — the HTTP routing table (spec-client-protocol.md §3): /v1/ping and
 * /v1/identity (create, websocket-token, public-key, :identity/verify). Publish and call
 * (/v1/database/:name, .../call/:reducer) never reach here: server.c hands them to the
 * database worker (server/dbwork.h); every other database route answers 501 with a JSON
 * error until it is wired. Every handler writes a
 * complete response (net_http_write_response adds the CORS headers) and never blocks.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "server/routes.h"
#include "server/server.h"

static bool path_is(const net_http_request *req, const char *p)
{
    return req->path_len == strlen(p) && memcmp(req->path, p, req->path_len) == 0;
}

static bool path_has_prefix(const net_http_request *req, const char *p)
{
    size_t n = strlen(p);
    return req->path_len >= n && memcmp(req->path, p, n) == 0;
}

static void write_json(lc_buf *out, int status, const char *json, bool ka)
{
    net_http_write_response(out, status, "application/json", json, strlen(json), ka, NULL, 0);
}

static void write_text(lc_buf *out, int status, const char *text, bool ka)
{
    net_http_write_response(out, status, "text/plain; charset=utf-8", text, strlen(text), ka,
                            NULL, 0);
}

static void identity_create(const server_config *cfg, i64 now_s, lc_buf *out, bool ka)
{
    char *tok = NULL;
    net_identity id;
    lc_errbuf eb;
    if (net_token_mint_new(cfg->keys, cfg->issuer, now_s, &tok, &id, &eb)) {
        write_text(out, 500, eb.msg, ka);
        return;
    }
    char hex[NET_IDENTITY_HEX_LEN + 1];
    net_identity_to_hex(&id, hex);
    lc_buf j;
    lc_buf_init(&j);
    lc_buf_put(&j, "{\"identity\":\"", 13);
    lc_buf_put(&j, hex, strlen(hex));
    lc_buf_put(&j, "\",\"token\":\"", 11);
    lc_buf_put(&j, tok, strlen(tok));
    lc_buf_put(&j, "\"}", 2);
    if (j.err)
        write_text(out, 500, "out of memory", ka);
    else
        net_http_write_response(out, 200, "application/json", j.data, j.len, ka, NULL, 0);
    lc_buf_deinit(&j);
    lc_free(tok);
}

/* Verifies the request's credential; on failure writes the 400/401 and returns false. */
static bool auth_required(const server_config *cfg, const net_http_request *req, i64 now_s,
                          net_token_claims *claims, lc_buf *out, bool ka)
{
    const char *tok;
    size_t n;
    int rc = net_http_bearer_token(req, &tok, &n);
    if (rc == LC_EDECODE) {
        write_text(out, 400, "Authorization is invalid: malformed token", ka);
        return false;
    }
    if (rc) {
        write_text(out, 401, "Authorization required", ka);
        return false;
    }
    lc_errbuf eb;
    if (net_token_verify(cfg->keys, tok, n, now_s, claims, &eb)) {
        write_text(out, 401, eb.msg, ka);
        return false;
    }
    return true;
}

static void identity_ws_token(const server_config *cfg, const net_http_request *req, i64 now_s,
                              lc_buf *out, bool ka)
{
    net_token_claims c;
    if (!auth_required(cfg, req, now_s, &c, out, ka)) return;
    char *tok = NULL;
    lc_errbuf eb;
    if (net_token_mint_ws(cfg->keys, &c, now_s, 60, &tok, &eb)) {
        write_text(out, 500, eb.msg, ka);
    } else {
        lc_buf j;
        lc_buf_init(&j);
        lc_buf_put(&j, "{\"token\":\"", 10);
        lc_buf_put(&j, tok, strlen(tok));
        lc_buf_put(&j, "\"}", 2);
        net_http_write_response(out, j.err ? 500 : 200, "application/json", j.data, j.len, ka,
                                NULL, 0);
        lc_buf_deinit(&j);
    }
    lc_free(tok);
    net_token_claims_deinit(&c);
}

/* GET /v1/identity/:identity/verify */
static void identity_verify(const server_config *cfg, const net_http_request *req, i64 now_s,
                            lc_buf *out, bool ka)
{
    const char *hex = req->path + strlen("/v1/identity/");
    size_t hn = req->path_len - strlen("/v1/identity/") - strlen("/verify");
    net_identity want;
    if (net_identity_from_hex(hex, hn, &want)) {
        write_text(out, 400, "invalid identity", ka);
        return;
    }
    net_token_claims c;
    if (!auth_required(cfg, req, now_s, &c, out, ka)) return;
    if (net_identity_eq(&c.identity, &want))
        net_http_write_response(out, 204, NULL, NULL, 0, ka, NULL, 0);
    else
        write_text(out, 400, "identity does not match the token", ka);
    net_token_claims_deinit(&c);
}

static bool route_identity(const server_config *cfg, const net_http_request *req, i64 now_s,
                           lc_buf *out, bool ka)
{
    if (path_is(req, "/v1/identity") && req->method == HTTP_POST) {
        identity_create(cfg, now_s, out, ka);
    } else if (path_is(req, "/v1/identity/websocket-token") && req->method == HTTP_POST) {
        identity_ws_token(cfg, req, now_s, out, ka);
    } else if (path_is(req, "/v1/identity/public-key") && req->method == HTTP_GET) {
        size_t n;
        const char *pem = net_keys_public_pem(cfg->keys, &n);
        net_http_write_response(out, 200, "application/pem-certificate-chain", pem, n, ka, NULL,
                                0);
    } else if (req->method == HTTP_GET && req->path_len > strlen("/v1/identity//verify") &&
               memcmp(req->path + req->path_len - 7, "/verify", 7) == 0) {
        identity_verify(cfg, req, now_s, out, ka);
    } else {
        return false;
    }
    return true;
}

bool server_route(const server_config *cfg, const net_http_request *req, i64 now_s, lc_buf *out)
{
    bool ka = req->keep_alive;
    if (req->method == HTTP_OPTIONS) {
        net_http_write_preflight(out, ka);
    } else if (path_is(req, "/v1/ping") && (req->method == HTTP_GET || req->method == HTTP_HEAD)) {
        net_http_write_response(out, 200, NULL, NULL, 0, ka, NULL, 0);
    } else if (path_has_prefix(req, "/v1/identity") && route_identity(cfg, req, now_s, out, ka)) {
        /* answered */
    } else if (path_has_prefix(req, "/v1/database")) {
        write_json(out, 501, "{\"error\":\"this database route is not implemented\"}", ka);
    } else if (path_is(req, "/v1/health") && req->method == HTTP_GET) {
        static const char health[] = "{\"package_name\":\"lightcone\",\"version\":\""
                                     LIGHTCONE_SERVER_VERSION "\",\"nodes\":[],"
                                     "\"schedulable\":true}";
        write_json(out, 200, health, ka);
    } else if (cfg->web_root && !path_has_prefix(req, "/v1/") &&
               (req->method == HTTP_GET || req->method == HTTP_HEAD)) {
        server_static_serve(cfg->web_root, req, out);
    } else {
        write_text(out, 404, "Not Found", ka);
    }
    return ka;
}
