/*
 * net/http.c — the incremental HTTP/1.1 request reader (contract in http.h).
 *
 * http-parser delivers the URL and each header name/value in pieces that may straddle feeds.
 * We append every piece to one text buffer and remember (offset, length) spans; pointers are
 * made only when the request is complete (the buffer may move while it grows). Layout of the
 * text buffer for one request:
 *
 *     url NUL  name1 NUL value1 NUL  name2 NUL value2 NUL ...  path NUL  p1 NUL v1 NUL ...
 *
 * Flow of one feed: release the previous request (reset buffers, unpause) -> execute ->
 *   on_message_complete pauses the parser, so execute returns right after the request's last
 *   byte -> finish_request() decodes path and query and fixes up pointers -> return 1.
 * Limit violations happen inside callbacks: they record status/reason and return 1, which
 * makes http-parser stop with an HPE_CB_* error.
 */
#include "net/http.h"

#include <strings.h>

#include "base/assert.h"
#include "net/http_int.h"

static net_http_reader *reader_of(http_parser *p) { return p->data; }

static int limit_fail(net_http_reader *r, int err, int status, const char *reason)
{
    r->err = err;
    r->status = status;
    r->reason = reason;
    return 1;
}

/* Buffer capacity kept between requests on one connection; bigger ones are given back. */
enum { RETAIN_MAX = 1 << 20 };

static void buf_recycle(lc_buf *b)
{
    if (b->cap > RETAIN_MAX) {
        lc_buf_deinit(b);
        lc_buf_init(b);
    }
    lc_buf_reset(b);
}

static int on_message_begin(http_parser *p)
{
    net_http_reader *r = reader_of(p);
    buf_recycle(&r->text);
    buf_recycle(&r->body);
    r->span_count = 0;
    r->url_len = 0;
    r->hstate = 0;
    r->complete = false;
    r->expect_continue = false;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    net_http_reader *r = reader_of(p);
    if (r->url_len + n > LC_HTTP_URL_MAX) return limit_fail(r, LC_ELIMIT, 414, "URI Too Long");
    lc_buf_put(&r->text, at, n);
    r->url_len += (u32)n;
    return r->text.err ? limit_fail(r, LC_ENOMEM, 503, "out of memory") : 0;
}

/* Appends a header piece; `is_value` says which part of the field it is. */
static int header_piece(net_http_reader *r, const char *at, size_t n, bool is_value)
{
    if (r->hstate == 0) lc_buf_put_u8(&r->text, 0); /* ends the URL */
    if (!is_value && r->hstate != 1) {
        if (r->hstate == 2) lc_buf_put_u8(&r->text, 0);
        if (r->span_count == LC_HTTP_HEADERS_MAX)
            return limit_fail(r, LC_ELIMIT, 431, "Too many header fields");
        net_http_span *s = &r->spans[r->span_count++];
        memset(s, 0, sizeof *s);
        s->name_off = (u32)r->text.len;
        r->hstate = 1;
    } else if (is_value && r->hstate != 2) {
        lc_buf_put_u8(&r->text, 0);
        r->spans[r->span_count - 1].value_off = (u32)r->text.len;
        r->hstate = 2;
    }
    net_http_span *s = &r->spans[r->span_count - 1];
    if (is_value) s->value_len += (u32)n;
    else s->name_len += (u32)n;
    if (r->text.len - r->url_len + n > LC_HTTP_HEADER_SIZE_MAX)
        return limit_fail(r, LC_ELIMIT, 431, "Request Header Fields Too Large");
    lc_buf_put(&r->text, at, n);
    return r->text.err ? limit_fail(r, LC_ENOMEM, 503, "out of memory") : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    return header_piece(reader_of(p), at, n, false);
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    net_http_reader *r = reader_of(p);
    if (r->span_count == 0) return limit_fail(r, LC_EPROTOCOL, 400, "Bad Request");
    return header_piece(r, at, n, true);
}

static int on_headers_complete(http_parser *p)
{
    net_http_reader *r = reader_of(p);
    /* Terminates the URL, the last value, or a last name that had no value (its value is
     * then the empty string at that NUL). */
    lc_buf_put_u8(&r->text, 0);
    if (r->hstate == 1) r->spans[r->span_count - 1].value_off = (u32)r->text.len - 1;
    r->hstate = 0;
    /* Expect: 100-continue matters only if a body is still to come (HTTP/1.1 and later). */
    if ((p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length > 0)) {
        for (size_t i = 0; i < r->span_count && p->http_minor >= 1; i++) {
            const net_http_span *s = &r->spans[i];
            const char *t = (const char *)r->text.data;
            if (s->name_len == 6 && strncasecmp(t + s->name_off, "expect", 6) == 0 &&
                s->value_len == 12 && strncasecmp(t + s->value_off, "100-continue", 12) == 0)
                r->expect_continue = true;
        }
    }
    /* Refuse a declared body that is too large before reading any of it. */
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > r->body_max)
        return limit_fail(r, LC_ELIMIT, 413, "Payload Too Large");
    return r->text.err ? limit_fail(r, LC_ENOMEM, 503, "out of memory") : 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    net_http_reader *r = reader_of(p);
    if (r->body.len + n > r->body_max) return limit_fail(r, LC_ELIMIT, 413, "Payload Too Large");
    lc_buf_put(&r->body, at, n);
    return r->body.err ? limit_fail(r, LC_ENOMEM, 503, "out of memory") : 0;
}

static int on_message_complete(http_parser *p)
{
    net_http_reader *r = reader_of(p);
    r->complete = true;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings SETTINGS = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void net_http_reader_init(net_http_reader *r, size_t body_max)
{
    memset(r, 0, sizeof *r);
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
    r->body_max = body_max;
    lc_buf_init(&r->text);
    lc_buf_init(&r->body);
}

void net_http_reader_deinit(net_http_reader *r)
{
    lc_buf_deinit(&r->text);
    lc_buf_deinit(&r->body);
}

const http_parser_settings *net_http_settings(void) { return &SETTINGS; }
