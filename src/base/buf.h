/*
 * base/buf.h — a growable byte buffer (writer) and a bounded cursor (reader).
 *
 * lc_buf is the encoder's output: append little-endian integers and bytes; growth doubles.
 * An allocation failure or a size over `limit` makes the buffer *sticky-failed* (buf->err set,
 * later appends are no-ops), so an encoder can append freely and check once at the end.
 *
 * lc_rd is the decoder's input over untrusted bytes: every read checks the remaining length
 * first; a short read sets rd->err = LC_ETRUNCATED and returns zeros, so decoders can read a
 * whole structure and check once. It never reads outside [p, end).
 */
#ifndef LC_BASE_BUF_H
#define LC_BASE_BUF_H

#include "base/error.h"
#include "base/types.h"

typedef struct lc_buf {
    u8 *data;     /* owned; lc_free'd by lc_buf_deinit */
    size_t len;
    size_t cap;
    size_t limit; /* 0 = no limit beyond memory */
    int err;      /* 0, LC_ENOMEM or LC_ELIMIT; sticky */
} lc_buf;

void lc_buf_init(lc_buf *b);
void lc_buf_deinit(lc_buf *b);
static inline void lc_buf_reset(lc_buf *b) { b->len = 0; b->err = 0; }
/* Makes room for n more bytes; returns a pointer to write them or NULL (sticky error). */
u8 *lc_buf_reserve(lc_buf *b, size_t n);
/* Takes ownership of the bytes away from the buffer; *out_len gets the length. */
u8 *lc_buf_take(lc_buf *b, size_t *out_len);

static inline void lc_buf_put(lc_buf *b, const void *p, size_t n)
{
    if (LC_LIKELY(b->cap - b->len >= n && !b->err && (!b->limit || b->len + n <= b->limit))) {
        if (n) memcpy(b->data + b->len, p, n);
        b->len += n;
        return;
    }
    u8 *d = lc_buf_reserve(b, n);
    if (d) {
        if (n) memcpy(d, p, n);
        b->len += n;
    }
}
static inline void lc_buf_put_u8(lc_buf *b, u8 v) { lc_buf_put(b, &v, 1); }
static inline void lc_buf_put_u16(lc_buf *b, u16 v) { lc_buf_put(b, &v, 2); }
static inline void lc_buf_put_u32(lc_buf *b, u32 v) { lc_buf_put(b, &v, 4); }
static inline void lc_buf_put_u64(lc_buf *b, u64 v) { lc_buf_put(b, &v, 8); }
/* BSATN string: u32 length then bytes. */
static inline void lc_buf_put_str(lc_buf *b, const char *s, u32 n)
{
    lc_buf_put_u32(b, n);
    lc_buf_put(b, s, n);
}
/* Unsigned LEB128 (protobuf varint). */
void lc_buf_put_varint(lc_buf *b, u64 v);

typedef struct lc_rd {
    const u8 *p;
    const u8 *end;
    int err; /* 0 or LC_ETRUNCATED / a decoder's own code; sticky */
} lc_rd;

static inline void lc_rd_init(lc_rd *r, const void *p, size_t n)
{
    r->p = p;
    r->end = (const u8 *)p + n;
    r->err = 0;
}
static inline size_t lc_rd_left(const lc_rd *r) { return (size_t)(r->end - r->p); }
/* Returns a pointer to n bytes and advances, or NULL with err set. */
static inline const u8 *lc_rd_take(lc_rd *r, size_t n)
{
    if (LC_UNLIKELY(r->err || lc_rd_left(r) < n)) {
        if (!r->err) r->err = LC_ETRUNCATED;
        return NULL;
    }
    const u8 *q = r->p;
    r->p += n;
    return q;
}
static inline u8 lc_rd_u8(lc_rd *r) { const u8 *q = lc_rd_take(r, 1); return q ? *q : 0; }
static inline u16 lc_rd_u16(lc_rd *r) { const u8 *q = lc_rd_take(r, 2); return q ? lc_load_u16(q) : 0; }
static inline u32 lc_rd_u32(lc_rd *r) { const u8 *q = lc_rd_take(r, 4); return q ? lc_load_u32(q) : 0; }
static inline u64 lc_rd_u64(lc_rd *r) { const u8 *q = lc_rd_take(r, 8); return q ? lc_load_u64(q) : 0; }
/* Unsigned LEB128 of at most 10 bytes; overlong or overflowing input sets LC_EDECODE. */
u64 lc_rd_varint(lc_rd *r);

#endif
