/*
 * tests/net_test_util.h — loopback socket helpers shared by the server tests and the
 * in-process benchmarks: a TCP connection to 127.0.0.1:port, a one-shot HTTP POST and a
 * WebSocket upgrade to a database's subscribe route.
 * Header-only (static inline) so each test program takes what it uses; no error messages,
 * the callers assert on the results.
 */
#ifndef LC_TESTS_NET_TEST_UTIL_H
#define LC_TESTS_NET_TEST_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/types.h"

/* A connected socket to 127.0.0.1:port with TCP_NODELAY, or -1. */
static inline int net_test_connect(u16 port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* POST body to path on a fresh connection (Connection: close); returns the HTTP status or
 * -1 when the exchange failed. */
static inline int net_test_post(u16 port, const char *path, const void *body, size_t n)
{
    int fd = net_test_connect(port);
    if (fd < 0) return -1;
    char head[512];
    int hl = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", path, n);
    bool ok = write(fd, head, (size_t)hl) == hl;
    for (size_t off = 0; ok && off < n;) {
        ssize_t w = write(fd, (const u8 *)body + off, n - off);
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    char out[2048] = "";
    size_t got = 0;
    ssize_t r;
    while (ok && got < sizeof out - 1 && (r = read(fd, out + got, sizeof out - 1 - got)) > 0)
        got += (size_t)r;
    close(fd);
    return got >= 12 ? atoi(out + 9) : -1;
}

/* Any request on a fresh connection (Connection: close): method, path, bearer token (NULL:
 * none), body. The whole response (head and body, NUL-terminated, truncated to cap - 1) goes
 * to out. Returns the HTTP status or -1. */
static inline int net_test_request(u16 port, const char *method, const char *path,
                                   const char *token, const void *body, size_t n, char *out,
                                   size_t cap)
{
    int fd = net_test_connect(port);
    if (fd < 0) return -1;
    char head[5000];
    int hl = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "%s%s%sContent-Length: %zu\r\n\r\n", method, path,
                      token ? "Authorization: Bearer " : "", token ? token : "",
                      token ? "\r\n" : "", n);
    bool ok = hl > 0 && (size_t)hl < sizeof head && write(fd, head, (size_t)hl) == hl;
    for (size_t off = 0; ok && off < n;) {
        ssize_t w = write(fd, (const u8 *)body + off, n - off);
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    size_t got = 0;
    ssize_t r;
    while (ok && got < cap - 1 && (r = read(fd, out + got, cap - 1 - got)) > 0) got += (size_t)r;
    close(fd);
    out[got] = 0;
    return got >= 12 ? atoi(out + 9) : -1;
}

/* Connects and upgrades to /v1/database/<db>/subscribe<query> offering `protocols`; reads the
 * response head. Returns its status (101 on success) or -1; *fd is the socket (-1 when it
 * could not connect). Bytes received after the head (the first frames) are left in
 * pend[0, *pend_len); pend holds cap bytes. */
static inline int net_test_ws_open(u16 port, const char *db, const char *query,
                                   const char *protocols, int *fd, u8 *pend, size_t cap,
                                   size_t *pend_len)
{
    *pend_len = 0;
    *fd = net_test_connect(port);
    if (*fd < 0) return -1;
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET /v1/database/%s/subscribe%s HTTP/1.1\r\nHost: x\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
                     db, query, protocols);
    if (write(*fd, req, (size_t)n) != n) return -1;
    char *end = NULL;
    while (!end) {
        ssize_t r = read(*fd, pend + *pend_len, cap - 1 - *pend_len);
        if (r <= 0) return -1;
        *pend_len += (size_t)r;
        pend[*pend_len] = 0;
        end = strstr((char *)pend, "\r\n\r\n");
    }
    int status = atoi((char *)pend + 9);
    size_t hl = (size_t)(end + 4 - (char *)pend);
    memmove(pend, pend + hl, *pend_len - hl);
    *pend_len -= hl;
    return status;
}

#endif
