/*
 * tests/net_test_util.h — loopback socket helpers shared by the server tests and the
 * in-process benchmarks: a TCP connection to 127.0.0.1:port and a one-shot HTTP POST.
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

#endif
