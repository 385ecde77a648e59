/*
 * tests/fuzz/fuzz_proto.c — libFuzzer target for the ClientMessage decoder (net/proto.h).
 *
 * The input is treated as one v3 frame: messages are decoded back to back until the bytes
 * are used up or one fails. Every message that decodes is re-encoded with the client-side
 * encoders and must reproduce exactly the bytes it was decoded from (the codec is a
 * bijection on valid input), and the v2 single-message entry point must agree. The input is
 * also fed to net_proto_server_peek, which must not read out of bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "net/proto.h"

static void reencode(lc_buf *b, const net_cmsg *m)
{
    switch (m->tag) {
    case NET_CMSG_SUBSCRIBE:
        net_proto_put_subscribe(b, m->request_id, m->query_set_id, m->queries, m->nqueries);
        break;
    case NET_CMSG_UNSUBSCRIBE:
        net_proto_put_unsubscribe(b, m->request_id, m->query_set_id, m->unsub_flags);
        break;
    case NET_CMSG_ONE_OFF_QUERY:
        net_proto_put_one_off_query(b, m->request_id, m->query.p, m->query.n);
        break;
    default:
        net_proto_put_call(b, m->tag, m->request_id, m->name.p, m->name.n, m->args.p, m->args.n);
        break;
    }
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    lc_rd r;
    lc_rd_init(&r, data, size);
    lc_buf b;
    lc_buf_init(&b);
    while (lc_rd_left(&r)) {
        const u8 *start = r.p;
        net_cmsg m;
        lc_errbuf eb;
        if (net_proto_client_decode_next(&r, &m, &eb)) break;
        size_t used = (size_t)(r.p - start);
        lc_buf_reset(&b);
        reencode(&b, &m);
        if (b.err || b.len != used || memcmp(b.data, start, used) != 0) abort();
        net_cmsg m2;
        if (net_proto_client_decode(start, used, &m2, NULL)) abort();
        if (m2.tag != m.tag || m2.request_id != m.request_id) abort();
        net_proto_cmsg_free(&m2);
        net_proto_cmsg_free(&m);
    }
    lc_buf_deinit(&b);
    u8 tag;
    bool has;
    u32 req;
    if (net_proto_server_peek(data, size, &tag, &has, &req) == 0 && tag > 7) abort();
    return 0;
}
