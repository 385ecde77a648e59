/*
 * base/alloc.h — the one door to the heap.
 *
 * All allocation goes through lc_alloc/lc_calloc/lc_realloc/lc_free so that we can
 *   - count live bytes (lc_alloc_stats) for limits and for memory figures in benchmarks,
 *   - enforce a process-wide cap (lc_alloc_set_cap): over the cap an allocation fails with
 *     NULL, which callers turn into LC_ENOMEM,
 *   - inject failures in tests (lc_alloc_fail_after) to exercise every error path.
 *
 * Each block carries a 16-byte header holding its size, so lc_free needs no size argument.
 * Hot paths (rows, index nodes) allocate in large slabs, so the header cost is negligible.
 * Counters are relaxed atomics: the allocator is safe to use from any thread.
 *
 * Direct calls to malloc/calloc/realloc/free elsewhere are rejected by tools/tidy.
 */
#ifndef LC_BASE_ALLOC_H
#define LC_BASE_ALLOC_H

#include "base/types.h"

/* Returns NULL on failure (no memory, over the cap, or an injected failure). size 0 returns a
 * valid unique pointer. The caller owns the block until lc_free. */
void *lc_alloc(size_t size) __attribute__((malloc));
void *lc_calloc(size_t count, size_t size) __attribute__((malloc));
/* Like realloc: on failure returns NULL and leaves ptr untouched. */
void *lc_realloc(void *ptr, size_t size);
void lc_free(void *ptr);
/* Copies a NUL-terminated string or n bytes (plus a terminating NUL). */
char *lc_strdup(const char *s);
char *lc_strndup(const char *s, size_t n);
void *lc_memdup(const void *p, size_t n);

typedef struct lc_alloc_stats {
    u64 live_bytes;  /* requested bytes currently allocated */
    u64 live_blocks;
    u64 peak_bytes;
    u64 total_allocs;
} lc_alloc_stats;

void lc_alloc_get_stats(lc_alloc_stats *out_stats);
/* 0 means no cap. */
void lc_alloc_set_cap(u64 cap_bytes);
/* After n more successful allocations, every allocation fails until reset with -1. Test only. */
void lc_alloc_fail_after(i64 n);

#endif
