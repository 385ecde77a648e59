/*
 * tests/unit/test_clog_snap.c — snapshots (round trip, pruning, corruption detection, failed
 * writes, background writes) and recovery (snapshot + log suffix) against a toy store.
 */
#include <fcntl.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "clog/clog.h"
#include "clog/clog_int.h"
#include "harness.h"
#include "unit/test_clog_util.h"

static u8 *random_bytes(size_t n, u64 seed)
{
    u8 *p = lc_alloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (u8)((seed >> 60) + (i % 7 == 0 ? seed >> 40 : 0)); /* compressible-ish */
    }
    return p;
}

TEST(clog_snapshot_round_trip_and_prune)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    size_t n = 100000;
    u8 *data = random_bytes(n, lc_test_seed());
    for (u64 end = 10; end <= 40; end += 10) CHECK_OK(clog_snapshot_write(dir, NULL, end, data, n, NULL));
    u64 ends[8];
    CHECK_EQ(clog_snapshot_list(dir, ends, 8), 2); /* pruned to the newest two */
    CHECK_EQ(ends[0], 40);
    CHECK_EQ(ends[1], 30);
    char path[4200];
    clog_snapshot_path(path, sizeof path, dir, 40);
    u64 end;
    u8 *back;
    size_t back_n;
    CHECK_OK(clog_snapshot_read(path, &end, &back, &back_n, NULL));
    CHECK_EQ(end, 40);
    CHECK_EQ(back_n, n);
    CHECK_MEM(back, data, n);
    lc_free(back);
    CHECK_OK(clog_snapshot_write(dir, NULL, 50, NULL, 0, NULL)); /* empty is fine */
    clog_snapshot_path(path, sizeof path, dir, 50);
    CHECK_OK(clog_snapshot_read(path, &end, &back, &back_n, NULL));
    CHECK_EQ(back_n, 0);
    lc_free(back);
    lc_free(data);
    tc_rmdir(dir);
}

TEST(clog_snapshot_corruption_detected)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    size_t n = 5000;
    u8 *data = random_bytes(n, 7);
    CHECK_OK(clog_snapshot_write(dir, NULL, 9, data, n, NULL));
    char path[4200];
    clog_snapshot_path(path, sizeof path, dir, 9);
    long size = tc_file_size(path);
    CHECK(size > 48 && size < 100000);
    u8 *orig = lc_alloc((size_t)size);
    int fd = open(path, O_RDONLY);
    CHECK(pread(fd, orig, (size_t)size, 0) == size);
    close(fd);
    /* every single flipped byte and every truncation is an error, never a crash */
    for (long at = 0; at < size; at += (at < 64 ? 1 : 37)) {
        fd = open(path, O_WRONLY | O_TRUNC);
        orig[at] ^= 0x01;
        CHECK(write(fd, orig, (size_t)size) == size);
        orig[at] ^= 0x01;
        close(fd);
        u64 end;
        u8 *b;
        size_t bn;
        lc_errbuf eb = {{0}};
        int rc = clog_snapshot_read(path, &end, &b, &bn, &eb);
        CHECK(rc == LC_ECORRUPT || rc == LC_ENOTSUP);
        CHECK(strstr(eb.msg, path) != NULL);
        CHECK(b == NULL);
    }
    for (long cut = 0; cut < size; cut += 211) {
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(write(fd, orig, (size_t)cut) == cut);
        close(fd);
        u64 end;
        u8 *b;
        size_t bn;
        CHECK_ERR(clog_snapshot_read(path, &end, &b, &bn, NULL), LC_ECORRUPT);
    }
    lc_free(orig);
    lc_free(data);
    tc_rmdir(dir);
}

TEST(clog_snapshot_failed_write_leaves_nothing)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    for (int which = 0; which < 2; which++) {
        tc_faults f = {.writes_ok = which ? 0 : -1, .syncs_ok = which ? -1 : 0};
        clog_options o = {.io = tc_io(&f)};
        lc_errbuf eb = {{0}};
        CHECK_ERR(clog_snapshot_write(dir, &o, 5, (const u8 *)"abc", 3, &eb), LC_EIO);
        u64 ends[2];
        CHECK_EQ(clog_snapshot_list(dir, ends, 2), 0);
    }
    DIR *d = opendir(dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));) files += e->d_name[0] != '.';
    closedir(d);
    CHECK_EQ(files, 0); /* no temp file left behind */
    tc_rmdir(dir);
}

/* ---- a toy store: a running sum and count of payload bytes ---- */

typedef struct toy {
    u64 count, sum;
    int fail_load; /* make snapshot_load fail (a snapshot the store cannot decode) */
    int resets;
} toy;

static void toy_reset(void *ctx)
{
    toy *t = ctx;
    t->count = t->sum = 0;
    t->resets++;
}

static int toy_load(void *ctx, u64 end, const u8 *p, size_t n, lc_errbuf *eb)
{
    toy *t = ctx;
    if (n != 16 || t->fail_load) {
        t->count = 12345; /* half loaded */
        return lc_errf(eb, LC_EDECODE, "toy snapshot: bad");
    }
    t->count = lc_load_u64(p);
    t->sum = lc_load_u64(p + 8);
    return t->count == end ? 0 : lc_errf(eb, LC_ECORRUPT, "toy snapshot: count != end");
}

static int toy_apply(void *ctx, u64 off, const u8 *p, size_t n, lc_errbuf *eb)
{
    toy *t = ctx;
    if (off != t->count) return lc_errf(eb, LC_ECORRUPT, "toy: gap");
    for (size_t i = 0; i < n; i++) t->sum += p[i];
    t->count++;
    return 0;
}

static void toy_snapshot(const char *dir, const toy *t)
{
    u8 b[16];
    lc_store_u64(b, t->count);
    lc_store_u64(b + 8, t->sum);
    clog_options o = {.snapshots_keep = 3};
    if (clog_snapshot_write(dir, &o, t->count, b, 16, NULL)) abort();
}

/* Appends n transactions to the log and the toy. */
static int toy_run(clog *l, toy *t, u64 n)
{
    u8 p[64];
    for (u64 i = 0; i < n; i++) {
        u64 off = clog_next_offset(l);
        size_t len = tc_payload(off, p);
        int rc = clog_append(l, off, p, len, NULL);
        if (rc) return rc;
        (void)toy_apply(t, off, p, len, NULL);
    }
    return 0;
}

static int toy_recover(const char *dir, toy *t, clog_recover_stats *st, clog **out)
{
    memset(t, 0, sizeof *t);
    clog_recover_ops ops = {t, toy_reset, toy_load, toy_apply};
    return clog_recover(dir, NULL, &ops, out, st, NULL);
}

TEST(clog_recover_snapshot_plus_suffix)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    toy live = {0}, back;
    clog *l;
    clog_recover_stats st;
    CHECK_OK(toy_recover(dir, &back, &st, &l));
    CHECK(!st.has_snapshot);
    CHECK_OK(toy_run(l, &live, 60));
    CHECK_OK(clog_wait_durable(l, 59, 10000));
    toy_snapshot(dir, &live); /* 60 */
    CHECK_OK(toy_run(l, &live, 20));
    CHECK_OK(clog_wait_durable(l, 79, 10000));
    toy_snapshot(dir, &live); /* 80 */
    CHECK_OK(toy_run(l, &live, 20));
    CHECK_OK(clog_close(l));
    toy ahead = live; /* a snapshot ahead of the log: committed but never durable */
    ahead.count = 150;
    toy_snapshot(dir, &ahead);

    CHECK_OK(toy_recover(dir, &back, &st, &l));
    CHECK(st.has_snapshot);
    CHECK_EQ(st.snapshot_tx_end, 80);
    CHECK_EQ(st.snapshots_rejected, 1); /* the one at 150 */
    CHECK_EQ(st.replayed, 20);
    CHECK_EQ(back.count, live.count);
    CHECK_EQ(back.sum, live.sum);
    CHECK_OK(clog_close(l));
    char path[4200];
    snprintf(path, sizeof path, "%s/%020d.lcsnap.invalid", dir, 150);
    CHECK(tc_file_size(path) > 0);

    /* the newest valid one corrupt: skipped, the older one used, replay from there */
    clog_snapshot_path(path, sizeof path, dir, 80);
    CHECK(truncate(path, tc_file_size(path) - 1) == 0);
    CHECK_OK(toy_recover(dir, &back, &st, &l));
    CHECK_EQ(st.snapshot_tx_end, 60);
    CHECK_EQ(st.replayed, 40);
    CHECK_EQ(back.sum, live.sum);
    CHECK_OK(clog_close(l));

    /* a snapshot that fails to load: store reset, whole log replayed */
    memset(&back, 0, sizeof back);
    back.fail_load = 1;
    clog_recover_ops ops = {&back, toy_reset, toy_load, toy_apply};
    CHECK_OK(clog_recover(dir, NULL, &ops, &l, &st, NULL));
    CHECK(!st.has_snapshot);
    CHECK_EQ(back.resets, 1);
    CHECK_EQ(back.sum, live.sum);
    CHECK_EQ(back.count, 100);
    CHECK_OK(clog_close(l));
    tc_rmdir(dir);
}

TEST(clog_recover_leftover_tmp_removed)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/%020d.lcsnap.tmp", dir, 3);
    FILE *f = fopen(path, "w");
    fputs("half", f);
    fclose(f);
    toy t;
    clog *l;
    CHECK_OK(toy_recover(dir, &t, NULL, &l));
    CHECK_OK(clog_close(l));
    CHECK_EQ(tc_file_size(path), -1);
    tc_rmdir(dir);
}

TEST(clog_snapshot_background)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    tc_faults f = {.writes_ok = -1, .syncs_ok = -1, .sync_sleep_us = 100000};
    clog_options o = {.io = tc_io(&f)};
    clog *l;
    CHECK_OK(clog_open(dir, &o, &l, NULL));
    u8 *a = lc_memdup("0123456789abcdef", 16), *b = lc_memdup("x", 1);
    CHECK_OK(clog_snapshot_request(l, 0, a, 16));
    CHECK_ERR(clog_snapshot_request(l, 0, b, 1), LC_EBUSY); /* still writing the first */
    lc_free(b);
    CHECK_OK(clog_snapshot_wait(l, NULL));
    clog_stats st;
    clog_get_stats(l, &st);
    CHECK_EQ(st.snapshots, 1);
    atomic_store(&f.syncs_ok, 0);
    f.sync_sleep_us = 0;
    CHECK_OK(clog_snapshot_request(l, 0, lc_memdup("y", 1), 1));
    lc_errbuf eb = {{0}};
    CHECK_ERR(clog_snapshot_wait(l, &eb), LC_EIO);
    CHECK(strstr(eb.msg, "fdatasync") != NULL);
    CHECK_OK(clog_close(l));
    u64 ends[4];
    CHECK_EQ(clog_snapshot_list(dir, ends, 4), 1);
    tc_rmdir(dir);
}

/* Out of memory at every allocation of open / append / snapshot write / snapshot read /
 * recovery: a clean error, never a crash or a leak (ASan checks the leaks). */
TEST(clog_out_of_memory_everywhere)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    u8 *big = random_bytes(5000, 3);
    int failures = 0, successes = 0;
    for (i64 k = 0; k < 40; k++) {
        lc_alloc_fail_after(k);
        clog *l = NULL;
        int rc = clog_open(dir, NULL, &l, NULL);
        if (!rc) {
            u64 off = clog_next_offset(l);
            for (int i = 0; i < 3 && !rc; i++) rc = clog_append(l, off + (u64)i, big, 5000, NULL);
            if (!rc) rc = clog_snapshot_write(dir, NULL, off, big, 5000, NULL);
            rc |= clog_close(l);
        }
        char path[4200];
        u64 ends[2];
        if (clog_snapshot_list(dir, ends, 2) > 0) {
            clog_snapshot_path(path, sizeof path, dir, ends[0]);
            u64 end;
            u8 *b;
            size_t n;
            if (clog_snapshot_read(path, &end, &b, &n, NULL) == 0) lc_free(b);
        }
        toy t;
        clog *l2;
        if (toy_recover(dir, &t, NULL, &l2) == 0) (void)clog_close(l2);
        lc_alloc_fail_after(-1);
        if (rc) failures++;
        else successes++;
    }
    CHECK(failures > 0);
    CHECK(successes > 0);
    /* whatever happened, the directory still opens and replays */
    toy t;
    clog *l;
    clog_recover_stats st;
    CHECK_OK(toy_recover(dir, &t, &st, &l));
    CHECK_OK(clog_close(l));
    lc_free(big);
    tc_rmdir(dir);
}
