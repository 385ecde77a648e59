/*
 * base/crc32c.c — CRC-32C, hardware path plus a byte-table fallback (see crc32c.h).
 * The table is built on first use; the polynomial 0x82F63B78 is the reflected Castagnoli one.
 */
#include "base/crc32c.h"

#include <stdatomic.h>

static u32 table[256];
static atomic_int table_ready;

static void build_table(void)
{
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        table[i] = c;
    }
    atomic_store(&table_ready, 1);
}

static u32 crc_sw(u32 crc, const u8 *p, size_t n)
{
    if (!atomic_load(&table_ready)) build_table();
    while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static u32 crc_hw(u32 crc, const u8 *p, size_t n)
{
    u64 c = crc;
    for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, lc_load_u64(p));
    u32 c32 = (u32)c;
    for (; n; n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}
#endif

u32 lc_crc32c_update(u32 crc, const void *data, size_t len)
{
    crc = ~crc;
#if defined(__x86_64__)
    static int has_hw = -1;
    if (has_hw < 0) has_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    crc = has_hw ? crc_hw(crc, data, len) : crc_sw(crc, data, len);
#else
    crc = crc_sw(crc, data, len);
#endif
    return ~crc;
}
