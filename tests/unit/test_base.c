/*
 * tests/unit/test_base.c — base/: errors, allocator accounting and failure injection, buffers
 * and bounded readers, varints, CRC-32C test vectors, arena limits.
 */
#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/crc32c.h"
#include "base/error.h"
#include "base/hash.h"
#include "harness.h"

TEST(error_names)
{
    CHECK_EQ(LC_EOK, 0);
    CHECK_STR(lc_err_name(LC_ENOMEM), "LC_ENOMEM");
    CHECK_STR(lc_strerror(LC_ETRAP_DIV_ZERO), "integer divide by zero");
    CHECK(lc_err_is_trap(LC_ETRAP_FUEL));
    CHECK(!lc_err_is_trap(LC_EIO));
    CHECK_STR(lc_err_name(12345), "LC_E?");
    lc_errbuf eb;
    CHECK_EQ(lc_errf(&eb, LC_EDECODE, "bad tag %u", 7u), LC_EDECODE);
    CHECK_STR(eb.msg, "bad tag 7");
}

TEST(crc32c_vectors)
{
    /* RFC 3720 B.4 and the common check value. */
    CHECK_EQ(lc_crc32c_update(0, "123456789", 9), 0xE3069283u);
    u8 zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof ones);
    CHECK_EQ(lc_crc32c_update(0, zeros, 32), 0x8A9136AAu);
    CHECK_EQ(lc_crc32c_update(0, ones, 32), 0x62A8AB43u);
    u8 inc[32];
    for (int i = 0; i < 32; i++) inc[i] = (u8)i;
    CHECK_EQ(lc_crc32c_update(0, inc, 32), 0x46DD794Eu);
    /* Chaining equals one pass. */
    u32 c = lc_crc32c_update(0, "12345", 5);
    CHECK_EQ(lc_crc32c_update(c, "6789", 4), 0xE3069283u);
}

TEST(alloc_counts_and_injects)
{
    lc_alloc_stats a, b;
    lc_alloc_get_stats(&a);
    void *p = lc_alloc(100);
    CHECK(p != NULL);
    lc_alloc_get_stats(&b);
    CHECK_EQ(b.live_bytes - a.live_bytes, 100);
    p = lc_realloc(p, 300);
    CHECK(p != NULL);
    lc_alloc_get_stats(&b);
    CHECK_EQ(b.live_bytes - a.live_bytes, 300);
    lc_free(p);
    lc_alloc_get_stats(&b);
    CHECK_EQ(b.live_bytes, a.live_bytes);
    lc_alloc_fail_after(1);
    void *q = lc_alloc(8);
    void *r = lc_alloc(8);
    lc_alloc_fail_after(-1);
    CHECK(q != NULL);
    CHECK(r == NULL);
    lc_free(q);
    lc_alloc_set_cap(b.live_bytes + 1000);
    CHECK(lc_alloc(5000) == NULL);
    lc_alloc_set_cap(0);
}

TEST(buf_and_reader)
{
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_put_u8(&b, 1);
    lc_buf_put_u32(&b, 0xdeadbeef);
    lc_buf_put_str(&b, "hi", 2);
    lc_buf_put_varint(&b, 300);
    lc_buf_put_varint(&b, UINT64_MAX);
    CHECK_EQ(b.err, 0);
    lc_rd r;
    lc_rd_init(&r, b.data, b.len);
    CHECK_EQ(lc_rd_u8(&r), 1);
    CHECK_EQ(lc_rd_u32(&r), 0xdeadbeef);
    CHECK_EQ(lc_rd_u32(&r), 2);
    CHECK(lc_rd_take(&r, 2) != NULL);
    CHECK_EQ(lc_rd_varint(&r), 300);
    CHECK(lc_rd_varint(&r) == UINT64_MAX);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(lc_rd_left(&r), 0);
    CHECK_EQ(lc_rd_u64(&r), 0);
    CHECK_EQ(r.err, LC_ETRUNCATED);
    /* Overlong varint: 11 continuation bytes. */
    u8 bad[11];
    memset(bad, 0x80, sizeof bad);
    lc_rd_init(&r, bad, sizeof bad);
    lc_rd_varint(&r);
    CHECK_EQ(r.err, LC_EDECODE);
    /* Limit makes the buffer sticky-failed. */
    lc_buf_reset(&b);
    b.limit = 16;
    for (int i = 0; i < 10; i++) lc_buf_put_u32(&b, (u32)i);
    CHECK_EQ(b.err, LC_ELIMIT);
    lc_buf_deinit(&b);
}

TEST(arena_limit_and_reset)
{
    lc_arena a;
    lc_arena_init(&a, 10000);
    void *p = lc_arena_alloc(&a, 5000);
    CHECK(p != NULL);
    CHECK(((uintptr_t)p & 15) == 0);
    CHECK(lc_arena_alloc(&a, 6000) == NULL);
    lc_arena_reset(&a);
    CHECK(lc_arena_alloc(&a, 6000) != NULL);
    lc_arena_deinit(&a);
}

TEST(hash_spreads)
{
    CHECK(lc_hash_u64(1) != lc_hash_u64(2));
    CHECK(lc_hash_bytes("abc", 3, 0) != lc_hash_bytes("abd", 3, 0));
    CHECK(lc_hash_bytes("abc", 3, 0) == lc_hash_bytes("abc", 3, 0));
    CHECK(lc_hash_bytes("abc", 3, 1) != lc_hash_bytes("abc", 3, 0));
}
