/*
 * tests/fuzz/fuzz_ws.c — libFuzzer target for net/ws: the frame parser and the message
 * decompressor, over untrusted bytes.
 *
 * Input byte 0 picks the mode:
 *   even  frame parser (server side, 64 KiB message cap): the rest is parsed once in one
 *         piece and once in pieces of (byte1 % 17 + 1) bytes; both runs must yield the same
 *         events (a running CRC of opcode, code and payload) and end in the same state
 *         (differential check of the incremental parser);
 *   odd   [tag][body] message decode with a 1 MiB output cap; gzip/brotli output that decodes
 *         is re-encoded and decoded again and must round-trip.
 * Crashes, sanitizer reports, leaks and failed invariants (abort) are findings.
 */
#include <stdlib.h>

#include "base/crc32c.h"
#include "net/ws.h"

typedef struct run_result {
    u32 crc;
    int events;
    int rc;
} run_result;

static run_result parse(const u8 *data, size_t n, size_t step)
{
    net_ws_parser p;
    net_ws_parser_init(&p, true, 64 << 10);
    run_result res = {0, 0, 0};
    size_t off = 0;
    while (off < n && res.rc >= 0) {
        size_t piece = LC_MIN(step, n - off), pos = 0;
        while (pos < piece) {
            size_t used;
            net_ws_event ev;
            int rc = net_ws_parser_feed(&p, data + off + pos, piece - pos, &used, &ev);
            pos += used;
            if (rc < 0) {
                res.rc = rc;
                break;
            }
            if (rc == 1) {
                u8 h[3] = {ev.opcode, (u8)(ev.close_code >> 8), (u8)ev.close_code};
                res.crc = lc_crc32c_update(res.crc, h, 3);
                res.crc = lc_crc32c_update(res.crc, ev.data, ev.len);
                res.events++;
            } else if (used == 0) {
                break;
            }
        }
        off += piece;
    }
    net_ws_parser_deinit(&p);
    return res;
}

static void decode(const u8 *data, size_t n)
{
    lc_buf out, enc, back;
    lc_buf_init(&out);
    lc_buf_init(&enc);
    lc_buf_init(&back);
    lc_errbuf eb;
    if (net_ws_msg_decode(data, n, 1 << 20, &out, &eb) == 0 && n > 0 && data[0] != 0) {
        if (net_ws_msg_encode(&enc, (net_ws_compression)data[0], out.data, out.len) != 0) abort();
        if (net_ws_msg_decode(enc.data, enc.len, 1 << 20, &back, &eb) != 0) abort();
        if (back.len != out.len || (out.len && memcmp(back.data, out.data, out.len) != 0)) abort();
    }
    lc_buf_deinit(&out);
    lc_buf_deinit(&enc);
    lc_buf_deinit(&back);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    if (size < 2) return 0;
    if (data[0] & 1) {
        decode(data + 1, size - 1);
        return 0;
    }
    run_result whole = parse(data + 2, size - 2, size);
    run_result split = parse(data + 2, size - 2, (size_t)(data[1] % 17) + 1);
    if (whole.crc != split.crc || whole.events != split.events || whole.rc != split.rc) abort();
    return 0;
}
