/*
 * base/arena.h — bump allocator for request-, statement- and call-scoped memory.
 *
 * Allocation is a pointer bump inside the current chunk; a new chunk (doubling, at least the
 * request) is taken from lc_alloc when it runs out. lc_arena_reset frees every chunk but the
 * first, so a reused arena settles at its working size. `limit` caps the total bytes: past it
 * lc_arena_alloc returns NULL, which is how a query or a decoder of untrusted input is bounded.
 * Pointers from an arena are valid until the next reset or deinit.
 */
#ifndef LC_BASE_ARENA_H
#define LC_BASE_ARENA_H

#include "base/types.h"

typedef struct lc_arena_chunk lc_arena_chunk;

typedef struct lc_arena {
    lc_arena_chunk *head; /* newest chunk first */
    u8 *cur;
    u8 *end;
    size_t used;  /* bytes handed out since the last reset */
    size_t limit; /* 0 = unlimited */
} lc_arena;

void lc_arena_init(lc_arena *a, size_t limit);
void lc_arena_deinit(lc_arena *a);
void lc_arena_reset(lc_arena *a);
/* 16-byte aligned; NULL when out of memory or over the limit. */
void *lc_arena_alloc(lc_arena *a, size_t size);
void *lc_arena_memdup(lc_arena *a, const void *p, size_t size);

#endif
