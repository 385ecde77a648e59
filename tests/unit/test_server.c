/*
 * tests/unit/test_server.c — the libuv HTTP server end to end over loopback: a server on a
 * free port (bind 0, read back), plain POSIX sockets as the client. Checks ping + CORS, the
 * identity flow (create -> websocket-token -> verify), public key, pipelined keep-alive
 * requests, limits (431), unknown routes (404) and unwired database routes (501).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "harness.h"
#include "server/server.h"

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static net_keys *make_keys(void)
{
    char dir[] = "/tmp/lc-test-srv-XXXXXX";
    if (!mkdtemp(dir)) return NULL;
    char sub[64];
    snprintf(sub, sizeof sub, "%s/k", dir);
    net_keys *k = NULL;
    lc_errbuf eb;
    if (net_keys_open_dir(sub, &k, &eb)) k = NULL;
    rm_tree(sub);
    rm_tree(dir);
    return k;
}

/* Sends req on a new connection and reads until the server closes; returns bytes read. */
static size_t http_exchange(u16 port, const char *req, size_t req_len, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return 0;
    }
    size_t off = 0;
    while (off < req_len) {
        ssize_t w = write(fd, req + off, req_len - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, out + n, cap - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        if (n == cap - 1) break;
    }
    out[n] = 0;
    close(fd);
    return n;
}

static size_t http_do(u16 port, const char *req, char *out, size_t cap)
{
    return http_exchange(port, req, strlen(req), out, cap);
}

/* Copies the JSON string value of "key" into out. */
static bool json_str(const char *body, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(body, pat);
    if (!p) return false;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return true;
}

TEST(server_http_identity_flow)
{
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.port = 0, .keys = keys, .issuer = "localhost"};
    server *s;
    lc_errbuf eb;
    CHECK_OK(server_start(&cfg, &s, &eb));
    u16 port = server_port(s);
    CHECK(port != 0);
    static char out[65536];

    http_do(port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(out, "ccess-control-allow-origin") || strstr(out, "ccess-Control-Allow-Origin"));

    http_do(port, "POST /v1/identity HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    char ident[80], token[4096];
    CHECK(json_str(out, "identity", ident, sizeof ident));
    CHECK_EQ(strlen(ident), 64);
    CHECK(json_str(out, "token", token, sizeof token));

    static char req[8192];
    snprintf(req, sizeof req, "POST /v1/identity/websocket-token HTTP/1.1\r\nHost: x\r\n"
             "Authorization: Bearer %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", token);
    http_do(port, req, out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    char wstok[4096];
    CHECK(json_str(out, "token", wstok, sizeof wstok));

    /* verify: the websocket token carries the same identity */
    snprintf(req, sizeof req, "GET /v1/identity/%s/verify HTTP/1.1\r\nHost: x\r\n"
             "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", ident, wstok);
    http_do(port, req, out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 204", 12) == 0);
    snprintf(req, sizeof req, "GET /v1/identity/%064d/verify HTTP/1.1\r\nHost: x\r\n"
             "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", 1, token);
    http_do(port, req, out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0);
    http_do(port, "POST /v1/identity/websocket-token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 401", 12) == 0);
    http_do(port, "POST /v1/identity/websocket-token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Authorization: Bearer a.b.c\r\nConnection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 401", 12) == 0);

    http_do(port, "GET /v1/identity/public-key HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(out, "-----BEGIN PUBLIC KEY-----") != NULL);
    server_stop(s);
    net_keys_destroy(keys);
}

TEST(server_http_keepalive_limits_routes)
{
    net_keys *keys = make_keys();
    CHECK(keys != NULL);
    server_config cfg = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&cfg, &s, NULL));
    u16 port = server_port(s);
    static char out[65536];

    /* Three pipelined requests on one connection; the last one closes it. */
    http_do(port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n"
                  "OPTIONS /v1/identity HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    const char *p = strstr(out, "HTTP/1.1 200");
    CHECK(p == out);
    p = strstr(p + 1, "HTTP/1.1 200");
    CHECK(p != NULL);
    CHECK(strstr(p + 1, "HTTP/1.1 404") != NULL);

    http_do(port, "GET /v1/database/x/sql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 501", 12) == 0);

    /* A header block over LC_HTTP_HEADER_SIZE_MAX -> 431, and the connection closes. */
    size_t big = LC_HTTP_HEADER_SIZE_MAX + 100;
    char *req = lc_alloc(big + 128);
    int n = snprintf(req, 128, "GET /v1/ping HTTP/1.1\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 4);
    http_exchange(port, req, (size_t)n + big + 4, out, sizeof out);
    lc_free(req);
    CHECK(strncmp(out, "HTTP/1.1 431", 12) == 0);

    /* Garbage -> 400 and close; the server keeps serving others. */
    http_do(port, "\x01\x02 nonsense\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0);
    http_do(port, "GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof out);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    server_stop(s);
    net_keys_destroy(keys);
}
