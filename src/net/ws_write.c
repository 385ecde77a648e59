/*
 * net/ws_write.c — WebSocket frame writer and the UTF-8 validator (declared in ws.h).
 *
 * Server frames are written unmasked with FIN set (we never fragment: a message is one frame,
 * whatever its size, as the reference server does). The masked writer exists for the client
 * side of tests and the load generator.
 */
#include "base/assert.h"
#include "net/ws.h"

size_t net_ws_frame_header(u8 out[14], u8 opcode, bool fin, u64 len, const u8 *mask4)
{
    size_t n = 0;
    out[n++] = (u8)((fin ? 0x80 : 0) | (opcode & 0x0f));
    u8 m = mask4 ? 0x80 : 0;
    if (len < 126) {
        out[n++] = (u8)(m | len);
    } else if (len <= 0xffff) {
        out[n++] = m | 126;
        out[n++] = (u8)(len >> 8);
        out[n++] = (u8)len;
    } else {
        out[n++] = m | 127;
        for (int i = 7; i >= 0; i--) out[n++] = (u8)(len >> (8 * i));
    }
    if (mask4) {
        memcpy(out + n, mask4, 4);
        n += 4;
    }
    LC_ASSERT(n <= 14);
    return n;
}

void net_ws_write_frame(lc_buf *out, u8 opcode, const void *payload, size_t len)
{
    LC_ASSERT(!(opcode & 0x8) || len <= NET_WS_CONTROL_MAX);
    u8 h[14];
    size_t hn = net_ws_frame_header(h, opcode, true, len, NULL);
    lc_buf_put(out, h, hn);
    lc_buf_put(out, payload, len);
}

void net_ws_write_frame_masked(lc_buf *out, u8 opcode, bool fin, const void *payload,
                               size_t len, const u8 mask[4])
{
    LC_ASSERT(!(opcode & 0x8) || (len <= NET_WS_CONTROL_MAX && fin));
    u8 h[14];
    size_t hn = net_ws_frame_header(h, opcode, fin, len, mask);
    lc_buf_put(out, h, hn);
    u8 *d = lc_buf_reserve(out, len);
    if (!d) return;
    const u8 *s = payload;
    for (size_t i = 0; i < len; i++) d[i] = s[i] ^ mask[i & 3];
    out->len += len;
}

void net_ws_write_close(lc_buf *out, u16 code, const char *reason)
{
    u8 p[NET_WS_CONTROL_MAX];
    size_t n = 0;
    if (code) {
        p[0] = (u8)(code >> 8);
        p[1] = (u8)code;
        n = 2;
        size_t rl = reason ? strlen(reason) : 0;
        if (rl > NET_WS_CONTROL_MAX - 2) {
            rl = NET_WS_CONTROL_MAX - 2;
            /* Back up to a character boundary: never cut a UTF-8 sequence. */
            while (rl > 0 && ((u8)reason[rl] & 0xc0) == 0x80) rl--;
        }
        memcpy(p + 2, reason, rl);
        n += rl;
    }
    net_ws_write_frame(out, NET_WS_OP_CLOSE, p, n);
}
