/*
 * tests/fuzz/fuzz_smsg.c — libFuzzer target for the client's ServerMessage decoder
 * (net_smsg_decode_next in net/ws_client.h) and its row-list accessors.
 *
 * The input is one v3 body: messages are decoded back to back until the bytes are used up or
 * one fails. For every decoded message, every row of every row list is fetched and must lie
 * inside the list's data; the ReducerResult fast peek must agree with the full decode. The
 * arena is capped at 1 MiB, so a hostile count cannot allocate more than that.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "net/ws_client.h"

const bool lc_fuzz_replay_mutate = true;

static void walk_rows(const net_smsg_rows *r)
{
    u32 n = net_smsg_rows_count(r);
    for (u32 i = 0; i < n; i++) {
        const u8 *row;
        size_t len;
        if (net_smsg_rows_get(r, i, &row, &len) == 0 &&
            (row < r->data || row + len > r->data + r->len))
            abort();
    }
}

static void walk(const net_smsg *m, const u8 *start, size_t len)
{
    for (u32 t = 0; t < m->ntables; t++) walk_rows(&m->tables[t].inserts);
    for (u32 s = 0; s < m->nsets; s++)
        for (u32 t = 0; t < m->sets[s].ntables; t++) {
            walk_rows(&m->sets[s].tables[t].inserts);
            walk_rows(&m->sets[s].tables[t].deletes);
        }
    u32 req;
    u8 oc;
    if (net_smsg_reducer_result_peek(start, len, &req, &oc) == 0 &&
        (m->tag != NET_SMSG_REDUCER_RESULT || req != m->request_id || oc != m->outcome))
        abort();
    net_pbytes e = net_smsg_err_text(m);
    if (e.n && !e.p) abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    lc_arena a;
    lc_arena_init(&a, 1 << 20);
    lc_rd r;
    lc_rd_init(&r, data, size);
    while (lc_rd_left(&r)) {
        const u8 *start = r.p;
        net_smsg m;
        if (net_smsg_decode_next(&r, &a, &m, NULL)) break;
        walk(&m, start, (size_t)(r.p - start));
    }
    lc_arena_deinit(&a);
    return 0;
}
