/*
 * net/ws_client.c — a SpacetimeDB WebSocket client connection (design in net/ws_client.h).
 *
 * Buffers (all lc_buf, owned by the connection):
 *   in    bytes read from the socket, consumed from in_off by the frame parser; compacted
 *         when the consumed prefix is at least half the buffer, so the steady state of a
 *         busy connection is one memmove of a partial frame per read
 *   out   queued frames, written from out_off; reset when fully written
 *   body  the last decompressed message body (compressed messages only; an uncompressed one
 *         is lent straight from the parser's message buffer)
 *
 * The upgrade is done in blocking style before anything else: write the request, then read
 * until the end of the response head (bounded by LC_HTTP_HEADER_SIZE_MAX). Bytes after the
 * head are the first frames and stay in `in`. A non-101 answer is reported with its status
 * and the start of its body, which is where the server says why (401 bad token, 404 no such
 * database, 403 client_connected refused).
 *
 * Masks: RFC 6455 wants unpredictable masks to protect intermediaries from cache poisoning
 * by browser scripts; this client is not a browser, so a per-connection xorshift seeded from
 * getrandom() is enough and costs nothing per frame.
 */
#include "net/ws_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/limits.h"
#include "net/b64.h"

/* Bytes asked of each read(): large enough that 64 x 40 small replies drain in a few calls. */
enum { READ_CHUNK = 64 * 1024 };

struct net_wsc {
    int fd;
    net_ws_proto proto;
    bool nonblocking;
    bool closed; /* a close frame arrived */
    u16 close_code;
    u32 mask_state;
    net_ws_parser parser;
    lc_buf in;
    size_t in_off;
    lc_buf out;
    size_t out_off;
    lc_buf body;
    lc_buf scratch; /* message encoding for the convenience senders */
};

/* ---- connect ---- */

static int wait_fd(int fd, short events, i64 deadline_ns)
{
    for (;;) {
        int ms = -1;
        if (deadline_ns >= 0) {
            i64 left = deadline_ns - (i64)lc_now_ns();
            if (left <= 0) return LC_EAGAIN;
            ms = (int)((left + 999999) / 1000000);
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms);
        if (n > 0) return 0;
        if (n < 0 && errno != EINTR) return LC_EIO;
    }
}

static int tcp_open(const char *host, u16 port, i64 deadline_ns, int *out_fd, lc_errbuf *eb)
{
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g) return lc_errf(eb, LC_EIO, "cannot resolve %s: %s", host, gai_strerror(g));
    int rc = LC_EIO, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            r = wait_fd(fd, POLLOUT, deadline_ns);
            socklen_t sl = sizeof err;
            if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err == 0)
                r = 0;
            else if (r == 0)
                r = -1;
        } else if (r < 0) {
            err = errno;
        }
        if (r == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            *out_fd = fd;
            rc = 0;
            break;
        }
        close(fd);
        if (r == LC_EAGAIN) rc = LC_EAGAIN;
    }
    freeaddrinfo(res);
    if (rc == LC_EAGAIN) return lc_errf(eb, rc, "connect to %s:%u timed out", host, port);
    if (rc) return lc_errf(eb, rc, "connect to %s:%u: %s", host, port, strerror(err));
    return 0;
}

/* Appends s percent-encoded (everything but RFC 3986 unreserved characters). */
static void put_escaped(lc_buf *b, const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            lc_buf_put_u8(b, ch);
        } else {
            u8 e[3] = {'%', (u8)hx[ch >> 4], (u8)hx[ch & 15]};
            lc_buf_put(b, e, 3);
        }
    }
}

static void put_cstr(lc_buf *b, const char *s) { lc_buf_put(b, s, strlen(s)); }

static void build_request(lc_buf *b, const net_wsc_opts *o, const char *host, const char *key)
{
    put_cstr(b, "GET /v1/database/");
    put_escaped(b, o->database);
    put_cstr(b, "/subscribe?");
    if (o->token) {
        put_cstr(b, "token=");
        put_escaped(b, o->token);
        put_cstr(b, "&");
    }
    put_cstr(b, "compression=");
    put_escaped(b, o->compression ? o->compression : "None");
    if (o->light) put_cstr(b, "&light=true");
    if (o->confirmed >= 0) put_cstr(b, o->confirmed ? "&confirmed=true" : "&confirmed=false");
    char tail[256];
    snprintf(tail, sizeof tail, " HTTP/1.1\r\nHost: %.128s:%u\r\n", host, o->port);
    put_cstr(b, tail);
    put_cstr(b, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
    put_cstr(b, "Sec-WebSocket-Key: ");
    put_cstr(b, key);
    put_cstr(b, "\r\nSec-WebSocket-Protocol: ");
    put_cstr(b, o->offer_v3 ? "v3.bsatn.spacetimedb, v2.bsatn.spacetimedb\r\n\r\n"
                            : "v2.bsatn.spacetimedb\r\n\r\n");
}

static int write_all(int fd, const u8 *p, size_t n, i64 deadline_ns)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(fd, POLLOUT, deadline_ns);
            if (rc) return rc;
            continue;
        }
        return w < 0 && errno == EPIPE ? LC_ECLOSED : LC_EIO;
    }
    return 0;
}

/* Reads into c->in until it holds "\r\n\r\n"; returns the head length (incl. the blank line). */
static int read_head(net_wsc *c, i64 deadline_ns, size_t *out_head, lc_errbuf *eb)
{
    for (;;) {
        u8 *end = c->in.len >= 4 ? memmem(c->in.data, c->in.len, "\r\n\r\n", 4) : NULL;
        if (end) {
            *out_head = (size_t)(end + 4 - c->in.data);
            return 0;
        }
        if (c->in.len > LC_HTTP_HEADER_SIZE_MAX)
            return lc_errf(eb, LC_EPROTOCOL, "upgrade response head over %u bytes",
                           LC_HTTP_HEADER_SIZE_MAX);
        int rc = wait_fd(c->fd, POLLIN, deadline_ns);
        if (rc == 0) rc = net_wsc_read(c);
        if (rc == LC_EAGAIN) {
            if ((i64)lc_now_ns() < deadline_ns) continue;
            return lc_errf(eb, LC_EAGAIN, "no upgrade response in time");
        }
        if (rc == LC_ECLOSED) return lc_errf(eb, rc, "server closed during the upgrade");
        if (rc < 0) return lc_errf(eb, rc, "reading the upgrade response failed");
    }
}

/* Value of header `name` in the head [p, p+n) (case-insensitive name), or NULL. */
static const char *head_value(const char *p, size_t n, const char *name, size_t *out_len)
{
    size_t nl = strlen(name);
    const char *end = p + n;
    const char *line = memchr(p, '\n', n);
    while (line && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) break;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            *out_len = (size_t)(ve - v);
            return v;
        }
        line = eol;
    }
    return NULL;
}

/* A non-101 answer: reads up to 1 KiB of body (Content-Length) for the error message. */
static int refused(net_wsc *c, int status, size_t head, i64 deadline_ns, lc_errbuf *eb)
{
    size_t vl = 0;
    const char *v = head_value((const char *)c->in.data, head, "content-length", &vl);
    size_t want = v ? (size_t)strtoul(v, NULL, 10) : 0;
    want = LC_MIN(want, (size_t)1024);
    while (c->in.len - head < want && wait_fd(c->fd, POLLIN, deadline_ns) == 0 &&
           net_wsc_read(c) > 0) {
    }
    size_t n = LC_MIN(want, c->in.len - head);
    const char *body = (const char *)c->in.data + head;
    const char *nl = memchr(body, '\n', n);
    if (nl) n = (size_t)(nl - body);
    return lc_errf(eb, LC_EPROTOCOL, "upgrade refused: HTTP %d%s%.*s", status, n ? ": " : "",
                   (int)n, body);
}

static int check_response(net_wsc *c, const char *key, size_t head, int *out_status,
                          i64 deadline_ns, lc_errbuf *eb)
{
    const char *h = (const char *)c->in.data;
    if (head < 12 || strncmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ')
        return lc_errf(eb, LC_EPROTOCOL, "upgrade response is not HTTP/1.x");
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (h[i] < '0' || h[i] > '9') return lc_errf(eb, LC_EPROTOCOL, "bad HTTP status line");
        status = status * 10 + (h[i] - '0');
    }
    if (out_status) *out_status = status;
    if (status != 101) return refused(c, status, head, deadline_ns, eb);
    char want[NET_WS_ACCEPT_LEN + 1];
    if (net_ws_accept_key(key, strlen(key), want)) return lc_errf(eb, LC_EINVAL, "bad key");
    size_t n = 0;
    const char *v = head_value(h, head, "sec-websocket-accept", &n);
    if (!v || n != NET_WS_ACCEPT_LEN || memcmp(v, want, n) != 0)
        return lc_errf(eb, LC_EPROTOCOL, "101 without a matching Sec-WebSocket-Accept");
    v = head_value(h, head, "sec-websocket-protocol", &n);
    /* spec §2.2: the SDK reads an empty protocol as v2. */
    c->proto = v ? net_ws_select_protocol(v, n) : NET_WS_PROTO_V2;
    if (!v || n == 0) c->proto = NET_WS_PROTO_V2;
    if (c->proto == NET_WS_PROTO_NONE || (v && n && strlen(net_ws_proto_name(c->proto)) != n))
        return lc_errf(eb, LC_EPROTOCOL, "server chose subprotocol '%.*s'", (int)n, v);
    return 0;
}

/* Standard base64 (with padding) of 16 random bytes: the Sec-WebSocket-Key. */
static void make_key(char out[25], u32 *out_seed)
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    u8 r[18] = {0};
    if (getrandom(r, 16, 0) != 16) {
        u64 t = lc_now_ns();
        for (int i = 0; i < 16; i++) r[i] = (u8)(t >> (i % 8 * 8)) ^ (u8)(i * 37);
    }
    for (int i = 0; i < 6; i++) {
        u32 v = (u32)r[3 * i] << 16 | (u32)r[3 * i + 1] << 8 | r[3 * i + 2];
        for (int k = 0; k < 4; k++) out[4 * i + k] = al[(v >> (18 - 6 * k)) & 63];
    }
    out[22] = out[23] = '=';
    out[24] = 0;
    *out_seed = lc_load_u32(r) | 1u;
}

int net_wsc_connect(const net_wsc_opts *o, net_wsc **out, int *out_status, lc_errbuf *eb)
{
    LC_ASSERT(o && o->database && out);
    *out = NULL;
    if (out_status) *out_status = 0;
    const char *host = o->host ? o->host : "127.0.0.1";
    i64 deadline = (i64)lc_now_ns() + (i64)(o->timeout_ms > 0 ? o->timeout_ms : 10000) * 1000000;
    net_wsc *c = lc_calloc(1, sizeof *c);
    if (!c) return lc_errf(eb, LC_ENOMEM, "out of memory");
    c->fd = -1;
    lc_buf_init(&c->in);
    lc_buf_init(&c->out);
    lc_buf_init(&c->body);
    lc_buf_init(&c->scratch);
    net_ws_parser_init(&c->parser, false, LC_WS_MESSAGE_MAX);
    int rc = tcp_open(host, o->port, deadline, &c->fd, eb);
    if (rc) goto fail;
    char key[25];
    make_key(key, &c->mask_state);
    lc_buf req;
    lc_buf_init(&req);
    build_request(&req, o, host, key);
    rc = req.err ? LC_ENOMEM : write_all(c->fd, req.data, req.len, deadline);
    lc_buf_deinit(&req);
    if (rc) {
        rc = lc_errf(eb, rc, "sending the upgrade request failed");
        goto fail;
    }
    size_t head = 0;
    rc = read_head(c, deadline, &head, eb);
    if (rc == 0) rc = check_response(c, key, head, out_status, deadline, eb);
    if (rc) goto fail;
    c->in_off = head;
    rc = net_wsc_set_nonblocking(c, false);
    if (rc) goto fail;
    *out = c;
    return 0;
fail:
    net_wsc_close(c);
    return rc;
}

void net_wsc_close(net_wsc *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    net_ws_parser_deinit(&c->parser);
    lc_buf_deinit(&c->in);
    lc_buf_deinit(&c->out);
    lc_buf_deinit(&c->body);
    lc_buf_deinit(&c->scratch);
    lc_free(c);
}

int net_wsc_fd(const net_wsc *c) { return c->fd; }
net_ws_proto net_wsc_proto(const net_wsc *c) { return c->proto; }
u16 net_wsc_close_code(const net_wsc *c) { return c->close_code; }

int net_wsc_set_nonblocking(net_wsc *c, bool on)
{
    int fl = fcntl(c->fd, F_GETFL);
    if (fl < 0) return LC_EIO;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    if (fcntl(c->fd, F_SETFL, fl) < 0) return LC_EIO;
    c->nonblocking = on;
    return 0;
}

/* ---- output ---- */

static void next_mask(net_wsc *c, u8 mask[4])
{
    u32 x = c->mask_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->mask_state = x;
    lc_store_u32(mask, x);
}

static int queue_frame(net_wsc *c, u8 opcode, const void *p, size_t n)
{
    u8 mask[4];
    next_mask(c, mask);
    net_ws_write_frame_masked(&c->out, opcode, true, p, n, mask);
    return c->out.err ? LC_ENOMEM : 0;
}

int net_wsc_send(net_wsc *c, const void *msg, size_t len)
{
    return queue_frame(c, NET_WS_OP_BINARY, msg, len);
}

int net_wsc_send_close(net_wsc *c, u16 code)
{
    u8 p[2] = {(u8)(code >> 8), (u8)code}; /* network byte order */
    return queue_frame(c, NET_WS_OP_CLOSE, p, code ? 2 : 0);
}

int net_wsc_flush(net_wsc *c)
{
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return LC_EAGAIN;
        return w < 0 && errno != EPIPE && errno != ECONNRESET ? LC_EIO : LC_ECLOSED;
    }
    lc_buf_reset(&c->out);
    c->out_off = 0;
    return 0;
}

size_t net_wsc_out_pending(const net_wsc *c) { return c->out.len - c->out_off; }

int net_wsc_call_reducer(net_wsc *c, u32 request_id, const char *reducer, const void *args,
                         u32 args_len)
{
    lc_buf_reset(&c->scratch);
    net_proto_put_call(&c->scratch, NET_CMSG_CALL_REDUCER, request_id, reducer,
                       (u32)strlen(reducer), args, args_len);
    return c->scratch.err ? LC_ENOMEM : net_wsc_send(c, c->scratch.data, c->scratch.len);
}

int net_wsc_subscribe(net_wsc *c, u32 request_id, u32 query_set_id, const char *const *queries,
                      u32 nqueries)
{
    net_pbytes qs[64];
    if (nqueries > LC_ARRAY_LEN(qs)) return LC_ELIMIT;
    for (u32 i = 0; i < nqueries; i++) qs[i] = (net_pbytes){(const u8 *)queries[i],
                                                            (u32)strlen(queries[i])};
    lc_buf_reset(&c->scratch);
    net_proto_put_subscribe(&c->scratch, request_id, query_set_id, qs, nqueries);
    return c->scratch.err ? LC_ENOMEM : net_wsc_send(c, c->scratch.data, c->scratch.len);
}

/* ---- input ---- */

/* Drops the consumed prefix of `in` once it is at least half the buffer. */
static void in_compact(net_wsc *c)
{
    if (c->in_off == c->in.len) {
        c->in.len = c->in_off = 0;
    } else if (c->in_off && c->in_off * 2 >= c->in.len) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
}

int net_wsc_read(net_wsc *c)
{
    in_compact(c);
    u8 *d = lc_buf_reserve(&c->in, READ_CHUNK);
    if (!d) return LC_ENOMEM;
    for (;;) {
        ssize_t r = recv(c->fd, d, READ_CHUNK, 0);
        if (r > 0) {
            c->in.len += (size_t)r;
            return (int)r;
        }
        if (r == 0) return LC_ECLOSED;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return LC_EAGAIN;
        return errno == ECONNRESET ? LC_ECLOSED : LC_EIO;
    }
}

int net_wsc_feed(net_wsc *c, const void *data, size_t len)
{
    in_compact(c);
    lc_buf_put(&c->in, data, len);
    return c->in.err ? LC_ENOMEM : 0;
}

/* A complete binary message: strip the tag, decompress if needed. */
static int take_body(net_wsc *c, const net_ws_event *ev, const u8 **out_body, size_t *out_len,
                     lc_errbuf *eb)
{
    if (ev->len == 0) return lc_errf(eb, LC_EPROTOCOL, "empty server message (no tag byte)");
    if (ev->data[0] == NET_WS_COMPRESS_NONE) {
        *out_body = ev->data + 1;
        *out_len = ev->len - 1;
        return 1;
    }
    lc_buf_reset(&c->body);
    int rc = net_ws_msg_decode(ev->data, ev->len, LC_WS_DECOMPRESSED_MAX, &c->body, eb);
    if (rc) return rc;
    *out_body = c->body.data;
    *out_len = c->body.len;
    return 1;
}

int net_wsc_next(net_wsc *c, const u8 **out_body, size_t *out_len, lc_errbuf *eb)
{
    if (c->closed) return LC_ECLOSED;
    for (;;) {
        size_t used = 0;
        net_ws_event ev;
        int rc = net_ws_parser_feed(&c->parser, c->in.data + c->in_off, c->in.len - c->in_off,
                                    &used, &ev);
        c->in_off += used;
        if (rc == 0) return 0;
        if (rc < 0) return lc_errf(eb, rc, "bad frame from server: %s", c->parser.reason);
        switch (ev.opcode) {
        case NET_WS_OP_BINARY:
            return take_body(c, &ev, out_body, out_len, eb);
        case NET_WS_OP_TEXT:
            return lc_errf(eb, LC_EPROTOCOL, "server sent a text message");
        case NET_WS_OP_PING:
            rc = queue_frame(c, NET_WS_OP_PONG, ev.data, ev.len);
            if (rc) return rc;
            break;
        case NET_WS_OP_CLOSE:
            c->closed = true;
            c->close_code = ev.close_code;
            return LC_ECLOSED;
        default: /* PONG */
            break;
        }
    }
}

int net_wsc_recv(net_wsc *c, int timeout_ms, const u8 **out_body, size_t *out_len,
                 lc_errbuf *eb)
{
    i64 deadline = timeout_ms < 0 ? -1 : (i64)lc_now_ns() + (i64)timeout_ms * 1000000;
    for (;;) {
        int rc = net_wsc_next(c, out_body, out_len, eb);
        if (rc != 0) return rc;
        /* Pongs and queued calls go out before we wait. */
        while ((rc = net_wsc_flush(c)) == LC_EAGAIN) {
            rc = wait_fd(c->fd, POLLOUT, deadline);
            if (rc) return lc_errf(eb, rc, "timed out sending");
        }
        if (rc) return lc_errf(eb, rc, "send failed: %s", lc_strerror(rc));
        rc = wait_fd(c->fd, POLLIN, deadline);
        if (rc) return rc == LC_EAGAIN ? rc : lc_errf(eb, rc, "poll failed");
        rc = net_wsc_read(c);
        if (rc == LC_EAGAIN) continue;
        if (rc < 0) return lc_errf(eb, rc, "connection %s", rc == LC_ECLOSED ? "closed" : "failed");
    }
}
