/*
 * base/arena.c — see arena.h.
 */
#include "base/arena.h"

#include "base/alloc.h"

struct lc_arena_chunk {
    lc_arena_chunk *next;
    size_t size;
    u8 data[];
};

void lc_arena_init(lc_arena *a, size_t limit)
{
    memset(a, 0, sizeof *a);
    a->limit = limit;
}

void lc_arena_deinit(lc_arena *a)
{
    for (lc_arena_chunk *c = a->head, *n; c; c = n) {
        n = c->next;
        lc_free(c);
    }
    size_t limit = a->limit;
    lc_arena_init(a, limit);
}

void lc_arena_reset(lc_arena *a)
{
    lc_arena_chunk *c = a->head;
    if (!c) return;
    while (c->next) {
        lc_arena_chunk *n = c->next;
        c->next = n->next;
        lc_free(n);
    }
    a->cur = c->data;
    a->end = c->data + c->size;
    a->used = 0;
}

void *lc_arena_alloc(lc_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (a->limit && (size > a->limit || a->used > a->limit - size)) return NULL;
    if ((size_t)(a->end - a->cur) < size) {
        size_t want = a->head ? a->head->size * 2 : 4096;
        if (want < size) want = size;
        if (want > ((size_t)1 << 30) && size <= ((size_t)1 << 30)) want = (size_t)1 << 30;
        lc_arena_chunk *c = lc_alloc(sizeof *c + want + 16);
        if (!c) return NULL;
        c->size = want;
        c->next = a->head;
        a->head = c;
        a->cur = (u8 *)(((uintptr_t)c->data + 15) & ~(uintptr_t)15);
        a->end = c->data + want;
    }
    void *p = a->cur;
    a->cur += size;
    a->used += size;
    return p;
}

void *lc_arena_memdup(lc_arena *a, const void *p, size_t size)
{
    void *d = lc_arena_alloc(a, size);
    if (d && size) memcpy(d, p, size);
    return d;
}
