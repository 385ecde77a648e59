/*
 * base/alloc.c — counting allocator over the C library's malloc (see alloc.h).
 *
 * Block layout:   [ u64 size | u64 magic ][ user bytes ... ]
 *                 ^ raw pointer           ^ returned pointer (16-byte aligned)
 * The magic catches a free of a pointer we did not allocate and double frees (it is cleared
 * on free).
 */
#include "base/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

#define HDR 16
#define MAGIC 0x6c63616c6c6f6321ull /* "lcalloc!" */

static _Atomic u64 live_bytes, live_blocks, peak_bytes, total_allocs;
static _Atomic u64 cap_bytes;
static _Atomic i64 fail_after = -1;

static bool should_fail(size_t size)
{
    i64 n = atomic_load_explicit(&fail_after, memory_order_relaxed);
    if (n >= 0) {
        if (n == 0) return true;
        atomic_fetch_sub_explicit(&fail_after, 1, memory_order_relaxed);
    }
    u64 cap = atomic_load_explicit(&cap_bytes, memory_order_relaxed);
    return cap && atomic_load_explicit(&live_bytes, memory_order_relaxed) + size > cap;
}

static void *account(u8 *raw, size_t size)
{
    lc_store_u64(raw, size);
    lc_store_u64(raw + 8, MAGIC);
    u64 now = atomic_fetch_add_explicit(&live_bytes, size, memory_order_relaxed) + size;
    atomic_fetch_add_explicit(&live_blocks, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&total_allocs, 1, memory_order_relaxed);
    u64 peak = atomic_load_explicit(&peak_bytes, memory_order_relaxed);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&peak_bytes, &peak, now, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
    return raw + HDR;
}

void *lc_alloc(size_t size)
{
    if (size > SIZE_MAX - HDR || should_fail(size)) return NULL;
    u8 *raw = malloc(size + HDR);
    return raw ? account(raw, size) : NULL;
}

void *lc_calloc(size_t count, size_t size)
{
    if (size && count > (SIZE_MAX - HDR) / size) return NULL;
    size_t n = count * size;
    if (should_fail(n)) return NULL;
    u8 *raw = calloc(1, n + HDR);
    return raw ? account(raw, n) : NULL;
}

static u8 *header_of(void *ptr)
{
    u8 *raw = (u8 *)ptr - HDR;
    LC_ASSERT(lc_load_u64(raw + 8) == MAGIC);
    return raw;
}

void lc_free(void *ptr)
{
    if (!ptr) return;
    u8 *raw = header_of(ptr);
    u64 size = lc_load_u64(raw);
    lc_store_u64(raw + 8, 0);
    atomic_fetch_sub_explicit(&live_bytes, size, memory_order_relaxed);
    atomic_fetch_sub_explicit(&live_blocks, 1, memory_order_relaxed);
    free(raw);
}

void *lc_realloc(void *ptr, size_t size)
{
    if (!ptr) return lc_alloc(size);
    if (size > SIZE_MAX - HDR) return NULL;
    u8 *raw = header_of(ptr);
    u64 old = lc_load_u64(raw);
    if (size > old && should_fail(size - old)) return NULL;
    u8 *nraw = realloc(raw, size + HDR);
    if (!nraw) return NULL;
    lc_store_u64(nraw, size);
    if (size >= old)
        atomic_fetch_add_explicit(&live_bytes, size - old, memory_order_relaxed);
    else
        atomic_fetch_sub_explicit(&live_bytes, old - size, memory_order_relaxed);
    return nraw + HDR;
}

char *lc_strndup(const char *s, size_t n)
{
    char *d = lc_alloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *lc_strdup(const char *s) { return lc_strndup(s, strlen(s)); }

void *lc_memdup(const void *p, size_t n)
{
    void *d = lc_alloc(n);
    if (d && n) memcpy(d, p, n);
    return d;
}

void lc_alloc_get_stats(lc_alloc_stats *out_stats)
{
    out_stats->live_bytes = atomic_load(&live_bytes);
    out_stats->live_blocks = atomic_load(&live_blocks);
    out_stats->peak_bytes = atomic_load(&peak_bytes);
    out_stats->total_allocs = atomic_load(&total_allocs);
}

void lc_alloc_set_cap(u64 cap) { atomic_store(&cap_bytes, cap); }
void lc_alloc_fail_after(i64 n) { atomic_store(&fail_after, n); }
