/*
 * cli/http_client.c — a small blocking HTTP/1.1 client for the CLI (cli/cli.h).
 *
 * One request per connection ("connection: close"): connect (getaddrinfo, TCP; send and
 * receive time out after CLI_HTTP_TIMEOUT_S, except a streamed body), write the request with content-length, read the status line and
 * headers (bounded by CLI_HTTP_HEAD_MAX), then the body by content-length, chunked transfer
 * encoding, or until EOF. A body sink callback, when given, receives the body as it arrives
 * (logs --follow streams a chunked response for as long as the server sends it); otherwise
 * the body is collected in resp->body, bounded by CLI_HTTP_BODY_MAX. Every failure is a
 * one-line message in eb. URLs: http://HOST[:PORT] only (no TLS).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli.h"

#define CLI_HTTP_HEAD_MAX (64u << 10)
#define CLI_HTTP_BODY_MAX (256u << 20)
/* Longest wait for the server's next bytes (a publish with a slow `init` stays well under). */
#define CLI_HTTP_TIMEOUT_S 300

typedef struct conn_rd {
    int fd;
    u8 buf[16384];
    size_t pos, len;
} conn_rd;

int cli_url_split(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *p = url;
    if (strncmp(p, "http://", 7) == 0) p += 7;
    else if (strstr(p, "://")) return -1;
    size_t n = strcspn(p, "/");
    const char *colon = memchr(p, ':', n);
    size_t hl = colon ? (size_t)(colon - p) : n;
    size_t pl = colon ? n - hl - 1 : 2;
    if (hl == 0 || hl >= hcap || pl == 0 || pl >= pcap) return -1;
    memcpy(host, p, hl);
    host[hl] = 0;
    if (colon) {
        memcpy(port, colon + 1, pl);
        port[pl] = 0;
    } else {
        snprintf(port, pcap, "80");
    }
    return 0;
}

static int dial(const char *url, lc_errbuf *eb)
{
    char host[256], port[16];
    if (cli_url_split(url, host, sizeof host, port, sizeof port))
        return lc_errf(eb, LC_EINVAL, "bad server URL '%s' (want http://HOST:PORT)", url);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g) return lc_errf(eb, LC_EIO, "cannot resolve %s: %s", host, gai_strerror(g));
    int fd = -1, err = 0;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return lc_errf(eb, LC_EIO, "cannot connect to %s: %s", url, strerror(err ? err : EIO));
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const u8 *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Next byte; -1 at EOF or error. */
static int rd_byte(conn_rd *r)
{
    if (r->pos == r->len) {
        ssize_t n;
        do n = recv(r->fd, r->buf, sizeof r->buf, 0); while (n < 0 && errno == EINTR);
        if (n <= 0) return -1;
        r->pos = 0;
        r->len = (size_t)n;
    }
    return r->buf[r->pos++];
}

/* Reads one CRLF/LF-terminated line (without the terminator) into out; -1 on EOF/too long. */
static int rd_line(conn_rd *r, char *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        int c = rd_byte(r);
        if (c < 0) return -1;
        if (c == '\n') break;
        if (n + 1 >= cap) return -1;
        out[n++] = (char)c;
    }
    if (n && out[n - 1] == '\r') n--;
    out[n] = 0;
    return 0;
}

static int body_put(cli_http_resp *resp, cli_body_fn sink, void *user, const u8 *p, size_t n)
{
    if (sink) return sink(user, p, n);
    if (resp->body.len + n > CLI_HTTP_BODY_MAX) return -1;
    lc_buf_put(&resp->body, p, n);
    return resp->body.err ? -1 : 0;
}

/* Body of known length (len == SIZE_MAX: until EOF). */
static int read_plain(conn_rd *r, size_t len, cli_http_resp *resp, cli_body_fn sink, void *u)
{
    while (len) {
        int c = rd_byte(r);
        if (c < 0) return len == SIZE_MAX ? 0 : -1;
        r->pos--; /* hand over the whole buffered run */
        size_t run = r->len - r->pos;
        if (len != SIZE_MAX && run > len) run = len;
        if (body_put(resp, sink, u, r->buf + r->pos, run)) return -1;
        r->pos += run;
        if (len != SIZE_MAX) len -= run;
    }
    return 0;
}

static int read_chunked(conn_rd *r, cli_http_resp *resp, cli_body_fn sink, void *u)
{
    char line[128];
    for (;;) {
        if (rd_line(r, line, sizeof line)) return -1;
        char *end;
        unsigned long long n = strtoull(line, &end, 16);
        if (end == line) return -1;
        if (n == 0) return 0;
        if (n > CLI_HTTP_BODY_MAX || read_plain(r, (size_t)n, resp, sink, u)) return -1;
        if (rd_line(r, line, sizeof line)) return -1;
    }
}

static int read_head(conn_rd *r, cli_http_resp *resp, size_t *out_len, bool *out_chunked)
{
    char line[8192];
    size_t total = 0;
    if (rd_line(r, line, sizeof line) || strncmp(line, "HTTP/1.", 7) != 0) return -1;
    resp->status = atoi(line + 9);
    *out_len = SIZE_MAX;
    *out_chunked = false;
    for (;;) {
        if (rd_line(r, line, sizeof line)) return -1;
        total += strlen(line) + 2;
        if (total > CLI_HTTP_HEAD_MAX) return -1;
        if (!line[0]) return 0;
        if (!strncasecmp(line, "content-length:", 15)) *out_len = strtoull(line + 15, NULL, 10);
        if (!strncasecmp(line, "transfer-encoding:", 18) && strstr(line + 18, "chunked"))
            *out_chunked = true;
        if (!strncasecmp(line, "spacetime-identity-token:", 25)) {
            const char *v = line + 25 + strspn(line + 25, " ");
            size_t n = strlen(v);
            if (n < sizeof resp->minted_token) memcpy(resp->minted_token, v, n + 1);
        }
    }
}

int cli_http(const char *url, const char *method, const char *path, const char *token,
             const char *ctype, const void *body, size_t body_len, cli_body_fn sink, void *user,
             cli_http_resp *resp, lc_errbuf *eb)
{
    memset(resp, 0, sizeof *resp);
    lc_buf_init(&resp->body);
    int fd = dial(url, eb);
    if (fd < 0) return fd;
    /* A server that stops answering must not hang the CLI; a follow stream (sink) may be
     * quiet for as long as the module logs nothing, so it waits forever. */
    struct timeval tv = {sink ? 0 : CLI_HTTP_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    tv.tv_sec = CLI_HTTP_TIMEOUT_S;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char host[256], port[16];
    (void)cli_url_split(url, host, sizeof host, port, sizeof port);
    lc_buf req;
    lc_buf_init(&req);
    char line[2048];
    int n = snprintf(line, sizeof line, "%s %s HTTP/1.1\r\nhost: %s:%s\r\nconnection: close\r\n"
                     "content-length: %zu\r\n", method, path, host, port, body_len);
    lc_buf_put(&req, line, (size_t)n);
    if (ctype) {
        n = snprintf(line, sizeof line, "content-type: %s\r\n", ctype);
        lc_buf_put(&req, line, (size_t)n);
    }
    if (token && *token) {
        lc_buf_put(&req, "authorization: Bearer ", 22);
        lc_buf_put(&req, token, strlen(token));
        lc_buf_put(&req, "\r\n", 2);
    }
    lc_buf_put(&req, "\r\n", 2);
    if (body_len) lc_buf_put(&req, body, body_len);
    int rc = 0;
    if (req.err || send_all(fd, req.data, req.len))
        rc = lc_errf(eb, LC_EIO, "cannot send the request to %s", url);
    lc_buf_deinit(&req);
    static conn_rd r; /* 16 KiB: kept off the stack; the CLI is single-threaded */
    r.fd = fd;
    r.pos = r.len = 0;
    size_t len = SIZE_MAX;
    bool chunked = false;
    if (!rc && read_head(&r, resp, &len, &chunked))
        rc = lc_errf(eb, LC_EIO, "no valid HTTP response from %s", url);
    if (!rc && resp->status / 100 != 2) sink = NULL; /* an error body is collected */
    if (!rc && strcmp(method, "HEAD") != 0 &&
        (chunked ? read_chunked(&r, resp, sink, user) : read_plain(&r, len, resp, sink, user)))
        rc = lc_errf(eb, LC_EIO, "the response from %s was cut short", url);
    close(fd);
    lc_buf_put_u8(&resp->body, 0); /* NUL-terminated for printing; not counted */
    if (!resp->body.err) resp->body.len--;
    return rc;
}

void cli_http_resp_deinit(cli_http_resp *resp) { lc_buf_deinit(&resp->body); }
