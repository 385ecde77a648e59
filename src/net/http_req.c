/*
 * net/http_req.c — finishing a parsed request (path and query decoding, pointer fix-up), the
 * feed loop, and request accessors. See http.c for the text-buffer layout.
 */
#include <strings.h>

#include "base/assert.h"
#include "base/hex.h"
#include "net/http.h"
#include "net/http_int.h"

i64 net_http_percent_decode(const char *in, size_t n, char *out, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%') {
            if (n - i < 3) return -1;
            int hi = lc_hex_digit(in[i + 1]), lo = lc_hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = plus_is_space && c == '+' ? ' ' : c;
        }
    }
    return (i64)o;
}

/* Appends the decoded form of [s, s+n) plus a NUL to text; *out_off/len locate it. */
static int append_decoded(lc_buf *text, const char *s, size_t n, bool plus, u32 *out_off,
                          u32 *out_len)
{
    size_t off = text->len;
    char *d = (char *)lc_buf_reserve(text, n + 1);
    if (!d) return LC_ENOMEM;
    /* s may point into text itself; reserve may have moved it, so callers pass offsets
     * through decode_query/decode_path which re-derive s after reserving. */
    i64 dl = net_http_percent_decode(s, n, d, plus);
    if (dl < 0) return LC_EDECODE;
    d[dl] = 0;
    text->len += (size_t)dl + 1;
    *out_off = (u32)off;
    *out_len = (u32)dl;
    return 0;
}

/* Decodes the query string (text[q_off..q_off+q_len)) into params spans (name=value&...). */
static int decode_query(net_http_reader *r, u32 q_off, u32 q_len, net_http_span *ps,
                        size_t *out_count)
{
    size_t count = 0;
    u32 i = 0;
    while (i < q_len) {
        u32 start = i;
        while (i < q_len && r->text.data[q_off + i] != '&') i++;
        u32 end = i++;
        if (end == start) continue; /* "a=1&&b=2" */
        if (count == LC_HTTP_QUERY_PARAMS_MAX) return LC_ELIMIT;
        u32 eq = start;
        while (eq < end && r->text.data[q_off + eq] != '=') eq++;
        net_http_span *s = &ps[count++];
        /* Reserve first so the source pointer taken after it stays valid. */
        if (!lc_buf_reserve(&r->text, 2 * (end - start) + 2)) return LC_ENOMEM;
        const char *base = (const char *)r->text.data + q_off;
        int rc = append_decoded(&r->text, base + start, eq - start, true, &s->name_off,
                                &s->name_len);
        if (rc) return rc;
        base = (const char *)r->text.data + q_off;
        u32 vstart = eq < end ? eq + 1 : end;
        rc = append_decoded(&r->text, base + vstart, end - vstart, true, &s->value_off,
                            &s->value_len);
        if (rc) return rc;
    }
    *out_count = count;
    return 0;
}

static net_http_header span_to_header(const lc_buf *text, const net_http_span *s)
{
    net_http_header h = {(const char *)text->data + s->name_off, s->name_len,
                         (const char *)text->data + s->value_off, s->value_len};
    return h;
}

/* Decodes path and query, then points the request's fields into the text buffer. */
static int finish_request(net_http_reader *r)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    const char *url = (const char *)r->text.data;
    if (r->url_len == 0 || http_parser_parse_url(url, r->url_len, 0, &u) != 0)
        return LC_EDECODE;
    if (!(u.field_set & (1 << UF_PATH))) return LC_EDECODE;
    net_http_span path = {0}, query = {0};
    query.value_off = u.field_set & (1 << UF_QUERY) ? u.field_data[UF_QUERY].off : 0;
    query.value_len = u.field_set & (1 << UF_QUERY) ? u.field_data[UF_QUERY].len : 0;
    if (!lc_buf_reserve(&r->text, u.field_data[UF_PATH].len + 1)) return LC_ENOMEM;
    int rc = append_decoded(&r->text, (const char *)r->text.data + u.field_data[UF_PATH].off,
                            u.field_data[UF_PATH].len, false, &path.value_off, &path.value_len);
    if (rc) return rc;
    if (memchr(r->text.data + path.value_off, 0, path.value_len)) return LC_EDECODE;
    net_http_span ps[LC_HTTP_QUERY_PARAMS_MAX];
    size_t pc = 0;
    if ((rc = decode_query(r, query.value_off, query.value_len, ps, &pc))) return rc;
    net_http_request *q = &r->req;
    const char *t = (const char *)r->text.data;
    q->method = r->parser.method;
    q->method_name = http_method_str((enum http_method)r->parser.method);
    q->http_major = r->parser.http_major;
    q->http_minor = r->parser.http_minor;
    q->url = t;
    q->url_len = r->url_len;
    q->path = t + path.value_off;
    q->path_len = path.value_len;
    q->query = query.value_len ? t + query.value_off : "";
    q->query_len = query.value_len;
    for (size_t i = 0; i < r->span_count; i++)
        q->headers[i] = span_to_header(&r->text, &r->spans[i]);
    q->header_count = r->span_count;
    for (size_t i = 0; i < pc; i++) q->params[i] = span_to_header(&r->text, &ps[i]);
    q->param_count = pc;
    q->body = r->body.data;
    q->body_len = r->body.len;
    q->keep_alive = http_should_keep_alive(&r->parser);
    q->is_upgrade = r->parser.upgrade;
    return 0;
}

/* Lowercases names and strips trailing whitespace from values (http-parser strips only the
 * leading OWS; RFC 9110 §5.5 says neither belongs to the value). */
static void normalize_headers(net_http_reader *r)
{
    for (size_t i = 0; i < r->span_count; i++) {
        net_http_span *s = &r->spans[i];
        char *n = (char *)r->text.data + s->name_off, *v = (char *)r->text.data + s->value_off;
        for (u32 j = 0; j < s->name_len; j++)
            if (n[j] >= 'A' && n[j] <= 'Z') n[j] = (char)(n[j] + 32);
        while (s->value_len > 0 && (v[s->value_len - 1] == ' ' || v[s->value_len - 1] == '\t'))
            v[--s->value_len] = 0;
    }
}

static int reader_error(net_http_reader *r, int err, int status, const char *reason)
{
    r->err = err;
    r->status = status;
    r->reason = reason;
    return err;
}

int net_http_reader_feed(net_http_reader *r, const char *data, size_t len, size_t *out_consumed,
                         net_http_request **out_req)
{
    *out_consumed = 0;
    *out_req = NULL;
    if (r->err) return r->err;
    if (r->upgraded) return reader_error(r, LC_ESTATE, 400, "Bad Request");
    if (r->has_req) {
        r->has_req = false;
        r->complete = false;
        http_parser_pause(&r->parser, 0);
    }
    if (len == 0) return 0;
    size_t used = http_parser_execute(&r->parser, net_http_settings(), data, len);
    *out_consumed = used;
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (r->err) return r->err; /* a limit tripped inside a callback */
    if (e != HPE_OK && e != HPE_PAUSED) return reader_error(r, LC_EPROTOCOL, 400, "Bad Request");
    /* Completion is always signalled by on_message_complete, upgrades included: an upgrade
     * request with a body completes only after its body (the parser sets `upgrade` as soon as
     * the headers are in, so that flag alone must not end the request). */
    if (!r->complete) {
        LC_ASSERT(used == len);
        if (r->expect_continue) {
            r->expect_continue = false; /* answered once */
            return NET_HTTP_CONTINUE;
        }
        return 0;
    }
    if (r->parser.upgrade) r->upgraded = true;
    normalize_headers(r);
    int rc = finish_request(r);
    if (rc == LC_ENOMEM) return reader_error(r, rc, 503, "Service Unavailable");
    if (rc) return reader_error(r, rc, 400, "Bad Request");
    r->has_req = true;
    *out_req = &r->req;
    return 1;
}

const char *net_http_header_get(const net_http_request *req, const char *name, size_t *out_len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->header_count; i++) {
        const net_http_header *h = &req->headers[i];
        if (h->name_len == n && memcmp(h->name, name, n) == 0) {
            if (out_len) *out_len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

const char *net_http_query_get(const net_http_request *req, const char *name, size_t *out_len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->param_count; i++) {
        const net_http_header *h = &req->params[i];
        if (h->name_len == n && memcmp(h->name, name, n) == 0) {
            if (out_len) *out_len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

bool net_http_has_token(const char *v, size_t len, const char *token)
{
    size_t tn = strlen(token), i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        size_t s = i;
        while (i < len && v[i] != ',') i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e - s == tn && strncasecmp(v + s, token, tn) == 0) return true;
    }
    return false;
}

int net_http_bearer_token(const net_http_request *req, const char **out_token, size_t *out_len)
{
    size_t n;
    const char *v = net_http_header_get(req, "authorization", &n);
    if (v) {
        /* "Bearer" (scheme case-insensitive), one or more spaces, then a token of
         * visible characters. */
        if (n < 7 || strncasecmp(v, "bearer ", 7) != 0) return LC_EDECODE;
        size_t i = 7;
        while (i < n && v[i] == ' ') i++;
        if (i == n) return LC_EDECODE;
        for (size_t j = i; j < n; j++)
            if ((u8)v[j] <= 0x20 || (u8)v[j] >= 0x7f) return LC_EDECODE;
        *out_token = v + i;
        *out_len = n - i;
        return 0;
    }
    v = net_http_query_get(req, "token", &n);
    if (!v || n == 0) return LC_ENOTFOUND;
    *out_token = v;
    *out_len = n;
    return 0;
}
