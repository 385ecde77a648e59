/*
 * base/buf.c — growth and varints for lc_buf / lc_rd (see buf.h).
 */
#include "base/buf.h"

#include "base/alloc.h"

void lc_buf_init(lc_buf *b) { memset(b, 0, sizeof *b); }

void lc_buf_deinit(lc_buf *b)
{
    lc_free(b->data);
    memset(b, 0, sizeof *b);
}

u8 *lc_buf_reserve(lc_buf *b, size_t n)
{
    if (b->err) return NULL;
    if (n > SIZE_MAX / 2 - b->len || (b->limit && b->len + n > b->limit)) {
        b->err = LC_ELIMIT;
        return NULL;
    }
    if (b->cap - b->len >= n) return b->data + b->len;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n) cap *= 2;
    if (b->limit && cap > b->limit) cap = b->limit;
    u8 *d = lc_realloc(b->data, cap);
    if (!d) {
        b->err = LC_ENOMEM;
        return NULL;
    }
    b->data = d;
    b->cap = cap;
    return b->data + b->len;
}

u8 *lc_buf_take(lc_buf *b, size_t *out_len)
{
    u8 *d = b->data;
    *out_len = b->len;
    memset(b, 0, sizeof *b);
    return d;
}

void lc_buf_put_varint(lc_buf *b, u64 v)
{
    u8 tmp[10];
    int n = 0;
    do {
        u8 byte = v & 0x7f;
        v >>= 7;
        tmp[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    lc_buf_put(b, tmp, (size_t)n);
}

u64 lc_rd_varint(lc_rd *r)
{
    u64 v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        u8 byte = lc_rd_u8(r);
        if (r->err) return 0;
        if (shift == 63 && byte > 1) break;
        v |= (u64)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
    r->err = LC_EDECODE;
    return 0;
}
