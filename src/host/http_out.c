/*
 * host/http_out.c — outbound HTTP/1.1 for procedures (see http_out.h for the design).
 *
 * Layout: BSATN HttpRequest decoding (req_decode), URI split (uri_split), address policy
 * (addr_private), connection with a deadline (dial), a byte stream over the socket or TLS
 * (stream_*), request writing, response head and body reading, HttpResponse encoding.
 * Everything from the remote side is untrusted: lengths are bounded before use, a malformed
 * head or chunk is an error, never a guess.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "host/http_out.h"

/* ---- the request ---- */

typedef struct http_hdr {
    const char *name;
    u32 name_len;
    const u8 *value;
    u32 value_len;
} http_hdr;

typedef struct http_req {
    char method[32];
    http_hdr hdrs[HOST_HTTP_HEADERS_MAX];
    u32 nhdrs;
    u64 timeout_ms;
    const char *uri;
    u32 uri_len;
} http_req;

static const char *const METHODS[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                                      "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static bool token_ok(const char *s, u32 n)
{
    for (u32 i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c)) return false;
    }
    return n > 0;
}

static int rd_string(lc_rd *r, const char **p, u32 *n)
{
    *n = lc_rd_u32(r);
    *p = (const char *)lc_rd_take(r, *n);
    return *p ? 0 : LC_EDECODE;
}

static int req_decode(const u8 *b, size_t len, http_req *q, lc_errbuf *eb)
{
    lc_rd r;
    lc_rd_init(&r, b, len);
    memset(q, 0, sizeof *q);
    u8 m = lc_rd_u8(&r);
    if (m < 9) {
        snprintf(q->method, sizeof q->method, "%s", METHODS[m]);
    } else if (m == 9) {
        const char *s;
        u32 n;
        if (rd_string(&r, &s, &n) || n >= sizeof q->method || !token_ok(s, n))
            return lc_errf(eb, LC_EDECODE, "bad extension method");
        memcpy(q->method, s, n);
    } else {
        return lc_errf(eb, LC_EDECODE, "bad HttpMethod tag %u", m);
    }
    q->nhdrs = lc_rd_u32(&r);
    if (q->nhdrs > HOST_HTTP_HEADERS_MAX)
        return lc_errf(eb, LC_EDECODE, "more than %u request headers", HOST_HTTP_HEADERS_MAX);
    for (u32 i = 0; i < q->nhdrs && !r.err; i++) {
        http_hdr *h = &q->hdrs[i];
        if (rd_string(&r, &h->name, &h->name_len)) break;
        h->value_len = lc_rd_u32(&r);
        h->value = lc_rd_take(&r, h->value_len);
    }
    u8 has_timeout = lc_rd_u8(&r); /* Option: 0 Some, 1 None */
    i64 micros = has_timeout == 0 ? (i64)lc_rd_u64(&r) : -1;
    if (rd_string(&r, &q->uri, &q->uri_len)) return lc_errf(eb, LC_EDECODE, "bad HttpRequest");
    u8 version = lc_rd_u8(&r);
    if (r.err || lc_rd_left(&r) || has_timeout > 1 || version > 4)
        return lc_errf(eb, LC_EDECODE, "bad HttpRequest encoding");
    q->timeout_ms = HOST_HTTP_TIMEOUT_DEFAULT_MS;
    if (micros >= 0 && (u64)micros / 1000 < q->timeout_ms) q->timeout_ms = (u64)micros / 1000;
    if (q->timeout_ms > HOST_HTTP_TIMEOUT_MAX_MS) q->timeout_ms = HOST_HTTP_TIMEOUT_MAX_MS;
    for (u32 i = 0; i < q->nhdrs; i++) {
        const http_hdr *h = &q->hdrs[i];
        if (!token_ok(h->name, h->name_len) || memchr(h->value, '\r', h->value_len) ||
            memchr(h->value, '\n', h->value_len))
            return lc_errf(eb, LC_EIO, "invalid request header");
    }
    return 0;
}

/* ---- URI and address policy ---- */

typedef struct http_uri {
    bool tls;
    char host[256];
    char port[8];
    const char *path; /* after the authority, up to the fragment (may be empty) */
    u32 path_len;
} http_uri;

static int uri_split(const char *s, u32 n, http_uri *u, lc_errbuf *eb)
{
    if (n > HOST_HTTP_URI_MAX) return lc_errf(eb, LC_EIO, "URI longer than %u", HOST_HTTP_URI_MAX);
    for (u32 i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127)
            return lc_errf(eb, LC_EIO, "invalid character in URI");
    u32 at;
    if (n > 7 && strncasecmp(s, "http://", 7) == 0) u->tls = false, at = 7;
    else if (n > 8 && strncasecmp(s, "https://", 8) == 0) u->tls = true, at = 8;
    else return lc_errf(eb, LC_EIO, "only http:// and https:// URIs are supported");
    u32 end = at;
    while (end < n && s[end] != '/' && s[end] != '?' && s[end] != '#') end++;
    const char *auth = s + at;
    u32 alen = end - at;
    if (memchr(auth, '@', alen)) return lc_errf(eb, LC_EIO, "credentials in the URI");
    const char *hs = auth, *colon = NULL;
    u32 hl = alen;
    if (alen && auth[0] == '[') { /* [v6]:port */
        const char *rb = memchr(auth, ']', alen);
        if (!rb) return lc_errf(eb, LC_EIO, "bad IPv6 literal");
        hs = auth + 1;
        hl = (u32)(rb - hs);
        if (rb + 1 < auth + alen) colon = rb[1] == ':' ? rb + 1 : NULL;
        if (rb + 1 < auth + alen && !colon) return lc_errf(eb, LC_EIO, "bad authority");
    } else {
        colon = memchr(auth, ':', alen);
        if (colon) hl = (u32)(colon - auth);
    }
    u32 pl = colon ? (u32)(auth + alen - colon - 1) : 0;
    if (hl == 0 || hl >= sizeof u->host || (colon && (pl == 0 || pl > 5)))
        return lc_errf(eb, LC_EIO, "bad host or port in URI");
    memcpy(u->host, hs, hl);
    u->host[hl] = 0;
    if (colon) {
        memcpy(u->port, colon + 1, pl);
        u->port[pl] = 0;
        for (u32 i = 0; i < pl; i++)
            if (!isdigit((unsigned char)u->port[i])) return lc_errf(eb, LC_EIO, "bad port");
    } else {
        snprintf(u->port, sizeof u->port, "%s", u->tls ? "443" : "80");
    }
    u32 pend = end;
    while (pend < n && s[pend] != '#') pend++;
    u->path = s + end; /* "/p?q", "?q" (send_request puts the '/' first) or empty */
    u->path_len = pend - end;
    return 0;
}

/* Loopback, private, link-local, unspecified, CGNAT and unique-local addresses. */
static bool addr_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        u32 a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 127 || (a >> 24) == 10 || (a >> 24) == 0 ||
               (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168) ||
               (a >> 16) == (169u << 8 | 254) || (a >> 22) == (100u << 2 | 1);
    }
    if (sa->sa_family == AF_INET6) {
        const u8 *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const u8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, 12) == 0) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, b + 12, 4);
            return addr_private((const struct sockaddr *)&v4);
        }
        static const u8 zero[15];
        bool low = memcmp(b, zero, 15) == 0; /* :: and ::1 */
        return low || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
    }
    return true;
}

/* ---- connection with a deadline ---- */

static i64 now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(i64 deadline)
{
    i64 l = deadline - now_ms();
    return l < 0 ? 0 : (int)l;
}

static int connect_one(const struct addrinfo *ai, i64 deadline)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) goto fail;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, left_ms(deadline)) != 1) goto fail;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) goto fail;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) goto fail;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
fail:
    close(fd);
    return -1;
}

static int dial(const http_uri *u, const host_http_opts *o, i64 deadline, int *out_fd,
                lc_errbuf *eb)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(u->host, u->port, &hints, &res);
    if (g) return lc_errf(eb, LC_EIO, "cannot resolve %s: %s", u->host, gai_strerror(g));
    int fd = -1;
    bool blocked = false;
    for (struct addrinfo *ai = res; ai && fd < 0 && left_ms(deadline) > 0; ai = ai->ai_next) {
        if (!o->allow_private && addr_private(ai->ai_addr)) {
            blocked = true;
            continue;
        }
        fd = connect_one(ai, deadline);
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        *out_fd = fd;
        return 0;
    }
    if (blocked) return lc_errf(eb, LC_EIO, "%s is a private or loopback address", u->host);
    return lc_errf(eb, LC_EIO, left_ms(deadline) ? "cannot connect to %s:%s"
                                                 : "timed out connecting to %s:%s",
                   u->host, u->port);
}

/* ---- a byte stream: plain socket or TLS, every call bounded by the deadline ---- */

typedef struct stream {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    const u8 *mem; /* host_http_parse_response: the bytes "received", instead of a socket */
    size_t mem_len, mem_pos;
    i64 deadline;
    u8 buf[16384];
    size_t pos, len;
} stream;

static void stream_timeouts(stream *s)
{
    int ms = left_ms(s->deadline);
    if (ms == 0) ms = 1;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int tls_start(stream *s, const char *host, lc_errbuf *eb)
{
    s->ctx = SSL_CTX_new(TLS_client_method());
    if (!s->ctx || SSL_CTX_set_default_verify_paths(s->ctx) != 1)
        return lc_errf(eb, LC_EIO, "TLS setup failed");
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
    s->ssl = SSL_new(s->ctx);
    if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1 ||
        SSL_set_tlsext_host_name(s->ssl, host) != 1 || SSL_set1_host(s->ssl, host) != 1)
        return lc_errf(eb, LC_EIO, "TLS setup failed");
    stream_timeouts(s);
    if (SSL_connect(s->ssl) != 1) {
        long v = SSL_get_verify_result(s->ssl);
        ERR_clear_error();
        return lc_errf(eb, LC_EIO, "TLS handshake with %s failed%s%s", host,
                       v != X509_V_OK ? ": " : "",
                       v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
    }
    return 0;
}

static void stream_close(stream *s)
{
    if (s->ssl) {
        SSL_free(s->ssl);
        ERR_clear_error();
    }
    if (s->ctx) SSL_CTX_free(s->ctx);
    if (s->fd >= 0) close(s->fd);
}

static int stream_write(stream *s, const void *p, size_t n, lc_errbuf *eb)
{
    const u8 *b = p;
    while (n) {
        if (!left_ms(s->deadline)) return lc_errf(eb, LC_EIO, "timed out sending the request");
        stream_timeouts(s);
        int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
        ssize_t w = s->ssl ? SSL_write(s->ssl, b, chunk) : send(s->fd, b, (size_t)chunk,
                                                                 MSG_NOSIGNAL);
        if (w <= 0) return lc_errf(eb, LC_EIO, "connection lost while sending the request");
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Refills the buffer: 1 bytes, 0 end of stream, negative error (eb set). */
static int stream_fill(stream *s, lc_errbuf *eb)
{
    if (s->mem) {
        size_t n = s->mem_len - s->mem_pos;
        if (n > sizeof s->buf) n = sizeof s->buf;
        memcpy(s->buf, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        s->pos = 0;
        s->len = n;
        return n ? 1 : 0;
    }
    if (!left_ms(s->deadline)) return lc_errf(eb, LC_EIO, "timed out waiting for the response");
    stream_timeouts(s);
    ssize_t r = s->ssl ? SSL_read(s->ssl, s->buf, (int)sizeof s->buf)
                       : recv(s->fd, s->buf, sizeof s->buf, 0);
    if (r > 0) {
        s->pos = 0;
        s->len = (size_t)r;
        return 1;
    }
    if (r == 0 || (s->ssl && SSL_get_error(s->ssl, (int)r) == SSL_ERROR_ZERO_RETURN)) return 0;
    ERR_clear_error();
    return lc_errf(eb, LC_EIO, errno == EAGAIN || errno == EWOULDBLOCK
                                   ? "timed out waiting for the response"
                                   : "connection lost while reading the response");
}

/* Appends up to `want` bytes (SIZE_MAX: until the end of stream) to out, bounded by max. */
static int stream_read_to(stream *s, lc_buf *out, size_t want, size_t max, lc_errbuf *eb)
{
    while (want) {
        if (s->pos == s->len) {
            int rc = stream_fill(s, eb);
            if (rc < 0) return rc;
            if (rc == 0) {
                if (want == SIZE_MAX) return 0;
                return lc_errf(eb, LC_EIO, "the response ended early");
            }
        }
        size_t n = s->len - s->pos;
        if (n > want) n = want;
        if (out->len + n > max)
            return lc_errf(eb, LC_EIO, "response body larger than %zu bytes", max);
        lc_buf_put(out, s->buf + s->pos, n);
        s->pos += n;
        if (want != SIZE_MAX) want -= n;
    }
    return out->err ? lc_errf(eb, LC_EIO, "out of memory") : 0;
}

/* One CRLF-terminated line (without it) into line[cap]; counts toward *budget. */
static int stream_line(stream *s, char *line, size_t cap, size_t *budget, lc_errbuf *eb)
{
    size_t n = 0;
    for (;;) {
        if (s->pos == s->len) {
            int rc = stream_fill(s, eb);
            if (rc < 0) return rc;
            if (rc == 0) return lc_errf(eb, LC_EIO, "the response ended in its head");
        }
        char c = (char)s->buf[s->pos++];
        if (!*budget || n + 1 >= cap)
            return lc_errf(eb, LC_EIO, "response head larger than %u bytes", HOST_HTTP_HEAD_MAX);
        (*budget)--;
        if (c == '\n') {
            if (n && line[n - 1] == '\r') n--;
            line[n] = 0;
            return 0;
        }
        line[n++] = c;
    }
}

/* ---- request, response ---- */

static int send_request(stream *s, const http_req *q, const http_uri *u, const u8 *body,
                        size_t blen, lc_errbuf *eb)
{
    lc_buf h;
    lc_buf_init(&h);
    char line[512];
    bool v6 = strchr(u->host, ':') != NULL;
    bool dflt = strcmp(u->port, u->tls ? "443" : "80") == 0;
    lc_buf_put(&h, q->method, strlen(q->method));
    lc_buf_put_u8(&h, ' ');
    if (!u->path_len || u->path[0] != '/') lc_buf_put_u8(&h, '/');
    lc_buf_put(&h, u->path, u->path_len);
    int n = snprintf(line, sizeof line, " HTTP/1.1\r\nHost: %s%s%s%s%s\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n", v6 ? "[" : "", u->host, v6 ? "]" : "",
                     dflt ? "" : ":", dflt ? "" : u->port, blen);
    lc_buf_put(&h, line, (size_t)n);
    for (u32 i = 0; i < q->nhdrs; i++) {
        const http_hdr *x = &q->hdrs[i];
        bool ours = (x->name_len == 4 && strncasecmp(x->name, "host", 4) == 0) ||
                    (x->name_len == 10 && strncasecmp(x->name, "connection", 10) == 0) ||
                    (x->name_len == 14 && strncasecmp(x->name, "content-length", 14) == 0) ||
                    (x->name_len == 17 && strncasecmp(x->name, "transfer-encoding", 17) == 0);
        if (ours) continue;
        lc_buf_put(&h, x->name, x->name_len);
        lc_buf_put(&h, ": ", 2);
        lc_buf_put(&h, x->value, x->value_len);
        lc_buf_put(&h, "\r\n", 2);
    }
    lc_buf_put(&h, "\r\n", 2);
    int rc = h.err ? lc_errf(eb, LC_EIO, "out of memory") : stream_write(s, h.data, h.len, eb);
    lc_buf_deinit(&h);
    return rc ? rc : stream_write(s, body, blen, eb);
}

typedef struct resp_head {
    u16 code;
    u8 version; /* HttpVersion tag */
    bool chunked;
    i64 content_length; /* -1 absent */
    u32 nhdrs;
} resp_head;

/* Status line and headers; the headers go to hdrs as BSATN HttpHeaderPairs (names in lower
 * case, as the reference's http crate gives them). */
static int read_head(stream *s, resp_head *rh, lc_buf *hdrs, lc_errbuf *eb)
{
    char line[8192];
    size_t budget = HOST_HTTP_HEAD_MAX;
    int rc = stream_line(s, line, sizeof line, &budget, eb);
    if (rc) return rc;
    int minor, code;
    if (sscanf(line, "HTTP/1.%d %3d", &minor, &code) != 2 || code < 100 || code > 999)
        return lc_errf(eb, LC_EIO, "malformed status line");
    rh->code = (u16)code;
    rh->version = minor == 0 ? 1 : 2;
    rh->content_length = -1;
    for (;;) {
        if ((rc = stream_line(s, line, sizeof line, &budget, eb)) != 0) return rc;
        if (!line[0]) return 0;
        char *colon = strchr(line, ':');
        if (!colon || colon == line) return lc_errf(eb, LC_EIO, "malformed response header");
        if (++rh->nhdrs > HOST_HTTP_HEADERS_MAX)
            return lc_errf(eb, LC_EIO, "more than %u response headers", HOST_HTTP_HEADERS_MAX);
        *colon = 0;
        for (char *p = line; *p; p++) *p = (char)tolower((unsigned char)*p);
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) v[--vl] = 0;
        if (!strcmp(line, "transfer-encoding") && strcasestr(v, "chunked")) rh->chunked = true;
        if (!strcmp(line, "content-length")) {
            char *end;
            long long cl = strtoll(v, &end, 10);
            if (*end || cl < 0) return lc_errf(eb, LC_EIO, "bad Content-Length");
            rh->content_length = cl;
        }
        lc_buf_put_str(hdrs, line, (u32)strlen(line));
        lc_buf_put_u32(hdrs, (u32)vl);
        lc_buf_put(hdrs, v, vl);
    }
}

static int read_chunked(stream *s, lc_buf *body, lc_errbuf *eb)
{
    char line[256];
    for (;;) {
        size_t budget = sizeof line;
        int rc = stream_line(s, line, sizeof line, &budget, eb);
        if (rc) return rc;
        char *end;
        unsigned long long n = strtoull(line, &end, 16);
        if (end == line || (*end && *end != ';')) return lc_errf(eb, LC_EIO, "bad chunk size");
        if (n > HOST_HTTP_BODY_MAX)
            return lc_errf(eb, LC_EIO, "response body larger than %u bytes", HOST_HTTP_BODY_MAX);
        if (n == 0) return 0; /* trailers are not read: the connection closes */
        if ((rc = stream_read_to(s, body, (size_t)n, HOST_HTTP_BODY_MAX, eb)) != 0) return rc;
        budget = sizeof line;
        if ((rc = stream_line(s, line, sizeof line, &budget, eb)) != 0) return rc;
        if (line[0]) return lc_errf(eb, LC_EIO, "bad chunk end");
    }
}

/* The response to a request with method `method`: head, then body, encoded. */
static int read_response(stream *s, const char *method, lc_buf *out_resp, lc_buf *out_body,
                         lc_errbuf *eb)
{
    resp_head rh = {0};
    lc_buf hdrs;
    lc_buf_init(&hdrs);
    int rc = read_head(s, &rh, &hdrs, eb);
    bool no_body = !strcmp(method, "HEAD") || rh.code == 204 || rh.code == 304 ||
                   rh.code < 200;
    if (!rc && !no_body) {
        if (rh.chunked) rc = read_chunked(s, out_body, eb);
        else if (rh.content_length > HOST_HTTP_BODY_MAX)
            rc = lc_errf(eb, LC_EIO, "response body larger than %u bytes", HOST_HTTP_BODY_MAX);
        else if (rh.content_length >= 0)
            rc = stream_read_to(s, out_body, (size_t)rh.content_length, HOST_HTTP_BODY_MAX, eb);
        else rc = stream_read_to(s, out_body, SIZE_MAX, HOST_HTTP_BODY_MAX, eb);
    }
    if (!rc) { /* HttpResponse { headers: HttpHeaders, version, code } */
        lc_buf_put_u32(out_resp, rh.nhdrs);
        lc_buf_put(out_resp, hdrs.data, hdrs.len);
        lc_buf_put_u8(out_resp, rh.version);
        lc_buf_put_u16(out_resp, rh.code);
        if (out_resp->err || hdrs.err || out_body->err) rc = lc_errf(eb, LC_EIO, "out of memory");
    }
    lc_buf_deinit(&hdrs);
    return rc;
}

static int exchange(stream *s, const http_req *q, const http_uri *u, const u8 *body, size_t blen,
                    lc_buf *out_resp, lc_buf *out_body, lc_errbuf *eb)
{
    int rc = send_request(s, q, u, body, blen, eb);
    return rc ? rc : read_response(s, q->method, out_resp, out_body, eb);
}

int host_http_parse_response(const u8 *bytes, size_t n, const char *method, lc_buf *out_resp,
                             lc_buf *out_body, lc_errbuf *eb)
{
    stream *s = lc_calloc(1, sizeof *s);
    if (!s) return lc_errf(eb, LC_EIO, "out of memory");
    s->fd = -1;
    s->mem = bytes;
    s->mem_len = n;
    int rc = read_response(s, method, out_resp, out_body, eb);
    lc_free(s);
    if (rc) {
        lc_buf_reset(out_resp);
        lc_buf_reset(out_body);
    }
    return rc;
}

int host_http_fetch(const host_http_opts *o, const u8 *req, size_t req_len, const u8 *body,
                    size_t blen, lc_buf *out_resp, lc_buf *out_body, lc_errbuf *eb)
{
    http_req *q = lc_alloc(sizeof *q);
    if (!q) return lc_errf(eb, LC_EIO, "out of memory");
    http_uri u;
    memset(&u, 0, sizeof u);
    int rc = req_decode(req, req_len, q, eb);
    if (!rc) rc = uri_split(q->uri, q->uri_len, &u, eb);
    stream *s = rc ? NULL : lc_calloc(1, sizeof *s);
    if (!rc && !s) rc = lc_errf(eb, LC_EIO, "out of memory");
    if (!rc) {
        s->fd = -1;
        s->deadline = now_ms() + (i64)q->timeout_ms;
        rc = dial(&u, o, s->deadline, &s->fd, eb);
        if (!rc && u.tls) rc = tls_start(s, u.host, eb);
        if (!rc) rc = exchange(s, q, &u, body, blen, out_resp, out_body, eb);
        stream_close(s);
    }
    lc_free(s);
    lc_free(q);
    if (rc) {
        lc_buf_reset(out_resp);
        lc_buf_reset(out_body);
    }
    return rc;
}
