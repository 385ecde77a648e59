/*
 * net/ws_msg.c — the SpacetimeDB server-message envelope: [u8 compression tag][body]
 * (spec-client-protocol.md §2.3). Tag 0 = plain, 1 = brotli, 2 = gzip (RFC 1952 member, what
 * zlib's windowBits 31 writes and DecompressionStream('gzip') reads).
 *
 * Encoding follows the reference: compress only bodies > 1024 bytes, brotli quality 1, gzip
 * fastest level. Decoding (used by clients, tests and fuzzers; the server never decodes its own
 * output) treats the input as hostile: the output is capped at max_out, the stream must end
 * exactly at the end of the input, and a truncated stream is reported as such.
 */
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include "base/assert.h"
#include "net/ws.h"

/* Decompressed output grows in steps of this size, so output memory tracks real output. */
enum { OUT_STEP = 64 << 10 };

int net_ws_compression_parse(const char *s, size_t len, net_ws_compression *out)
{
    if (len == 4 && memcmp(s, "None", 4) == 0) *out = NET_WS_COMPRESS_NONE;
    else if (len == 6 && memcmp(s, "Brotli", 6) == 0) *out = NET_WS_COMPRESS_BROTLI;
    else if (len == 4 && memcmp(s, "Gzip", 4) == 0) *out = NET_WS_COMPRESS_GZIP;
    else return LC_EINVAL;
    return 0;
}

static int gzip_encode(lc_buf *out, const void *body, size_t len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (len > UINT32_MAX) return LC_ELIMIT; /* zlib counts in uInt */
    if (deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) return LC_ENOMEM;
    size_t bound = deflateBound(&zs, (uLong)len);
    u8 *d = lc_buf_reserve(out, bound);
    int rc = LC_ENOMEM;
    if (d) {
        zs.next_in = (Bytef *)(uintptr_t)body;
        zs.avail_in = (uInt)len;
        zs.next_out = d;
        zs.avail_out = (uInt)bound;
        rc = deflate(&zs, Z_FINISH) == Z_STREAM_END ? 0 : LC_EIO;
        if (rc == 0) out->len += bound - zs.avail_out;
    }
    deflateEnd(&zs);
    return rc;
}

static int brotli_encode(lc_buf *out, const void *body, size_t len)
{
    size_t bound = BrotliEncoderMaxCompressedSize(len);
    if (bound == 0) return LC_ELIMIT;
    u8 *d = lc_buf_reserve(out, bound);
    if (!d) return LC_ENOMEM;
    size_t n = bound;
    if (!BrotliEncoderCompress(1, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len, body, &n, d))
        return LC_EIO;
    out->len += n;
    return 0;
}

int net_ws_msg_encode(lc_buf *out, net_ws_compression c, const void *body, size_t len)
{
    if (len <= NET_WS_COMPRESS_MIN) c = NET_WS_COMPRESS_NONE;
    size_t start = out->len;
    lc_buf_put_u8(out, (u8)c);
    int rc = 0;
    if (c == NET_WS_COMPRESS_GZIP) rc = gzip_encode(out, body, len);
    else if (c == NET_WS_COMPRESS_BROTLI) rc = brotli_encode(out, body, len);
    else lc_buf_put(out, body, len);
    if (!rc && out->err) rc = out->err;
    if (rc && !out->err) out->len = start; /* leave no half-written message behind */
    return rc;
}

/* Makes at least one byte of room for decompressed output within the cap. */
static u8 *out_room(lc_buf *out, size_t base, size_t max_out, size_t *out_avail)
{
    size_t produced = out->len - base;
    if (produced >= max_out) return NULL;
    size_t want = LC_MIN((size_t)OUT_STEP, max_out - produced);
    u8 *d = lc_buf_reserve(out, want);
    *out_avail = want;
    return d;
}

/* out_room failed: either the buffer could not grow or the cap is reached. */
static int cap_error(const lc_buf *out, size_t max_out, lc_errbuf *eb)
{
    if (out->err) return out->err;
    return lc_errf(eb, LC_ELIMIT, "decompressed size over %zu", max_out);
}

static int gzip_decode(const u8 *in, size_t n, size_t max_out, lc_buf *out, lc_errbuf *eb)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (n > UINT32_MAX) return lc_errf(eb, LC_ELIMIT, "gzip body too large");
    if (inflateInit2(&zs, 31) != Z_OK) return LC_ENOMEM;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    size_t base = out->len;
    int rc = 0, z = Z_OK;
    while (z != Z_STREAM_END) {
        size_t avail;
        u8 *d = out_room(out, base, max_out, &avail);
        if (!d) {
            rc = cap_error(out, max_out, eb);
            break;
        }
        zs.next_out = d;
        zs.avail_out = (uInt)avail;
        z = inflate(&zs, Z_NO_FLUSH);
        out->len += avail - zs.avail_out;
        if (z == Z_BUF_ERROR && zs.avail_in == 0) {
            rc = lc_errf(eb, LC_ETRUNCATED, "gzip stream is truncated");
            break;
        }
        if (z != Z_OK && z != Z_STREAM_END && z != Z_BUF_ERROR) {
            rc = lc_errf(eb, LC_EDECODE, "corrupt gzip stream: %s", zs.msg ? zs.msg : "?");
            break;
        }
    }
    if (rc == 0 && zs.avail_in != 0) rc = lc_errf(eb, LC_EDECODE, "trailing bytes after gzip");
    inflateEnd(&zs);
    return rc;
}

static int brotli_decode(const u8 *in, size_t n, size_t max_out, lc_buf *out, lc_errbuf *eb)
{
    BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!st) return LC_ENOMEM;
    size_t base = out->len, avail_in = n;
    const u8 *next_in = in;
    int rc = 0;
    for (;;) {
        size_t avail;
        u8 *d = out_room(out, base, max_out, &avail);
        if (!d) {
            rc = cap_error(out, max_out, eb);
            break;
        }
        size_t before = avail;
        BrotliDecoderResult r =
            BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail, &d, NULL);
        out->len += before - avail;
        if (r == BROTLI_DECODER_RESULT_SUCCESS) {
            if (avail_in) rc = lc_errf(eb, LC_EDECODE, "trailing bytes after brotli");
            break;
        }
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
            rc = lc_errf(eb, LC_ETRUNCATED, "brotli stream is truncated");
            break;
        }
        if (r == BROTLI_DECODER_RESULT_ERROR) {
            rc = lc_errf(eb, LC_EDECODE, "corrupt brotli stream");
            break;
        }
    }
    BrotliDecoderDestroyInstance(st);
    return rc;
}

int net_ws_msg_decode(const void *msg, size_t len, size_t max_out, lc_buf *out, lc_errbuf *eb)
{
    if (len == 0) return lc_errf(eb, LC_ETRUNCATED, "empty message: no compression tag");
    const u8 *p = msg;
    size_t start = out->len;
    int rc;
    switch (p[0]) {
    case NET_WS_COMPRESS_NONE:
        if (len - 1 > max_out) return lc_errf(eb, LC_ELIMIT, "message over %zu bytes", max_out);
        lc_buf_put(out, p + 1, len - 1);
        rc = out->err;
        break;
    case NET_WS_COMPRESS_BROTLI: rc = brotli_decode(p + 1, len - 1, max_out, out, eb); break;
    case NET_WS_COMPRESS_GZIP: rc = gzip_decode(p + 1, len - 1, max_out, out, eb); break;
    default: return lc_errf(eb, LC_EDECODE, "unknown compression tag %u", p[0]);
    }
    if (rc && !out->err) out->len = start;
    LC_ASSERT(rc || out->len >= start);
    return rc;
}
