/*
 * tests/unit/test_clog.c — commit log: framing, CRC, append/replay, rotation, torn tails at
 * every byte, mid-log corruption, durable offsets, sync policies, back-pressure and injected
 * write/fsync failures.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/crc32c.h"
#include "base/limits.h"
#include "base/log.h"
#include "clog/clog.h"
#include "clog/clog_int.h"
#include "harness.h"
#include "unit/test_clog_util.h"

/* Appends [from, to) with the deterministic payloads. Returns 0 or the first error. */
static int append_range(clog *l, u64 from, u64 to)
{
    u8 p[64];
    for (u64 i = from; i < to; i++) {
        size_t n = tc_payload(i, p);
        int rc = clog_append(l, i, p, n, NULL);
        if (rc) return rc;
    }
    return 0;
}

static int write_log(const char *dir, const clog_options *o, u64 n)
{
    clog *l;
    int rc = clog_open(dir, o, &l, NULL);
    if (rc) return rc;
    rc = append_range(l, clog_next_offset(l), n);
    int rc2 = clog_close(l);
    return rc ? rc : rc2;
}

/* Opens, replays everything, checks payloads; returns the log end (or negative error). */
static long long reopen_check(const char *dir, const clog_options *o, lc_errbuf *eb)
{
    clog *l;
    int rc = clog_open(dir, o, &l, eb);
    if (rc) return rc;
    tc_replay r = {0};
    rc = clog_replay(l, 0, &r, tc_replay_cb, eb);
    long long end = (long long)clog_next_offset(l);
    if (clog_close(l) || rc || r.bad || r.count != (u64)end) return LC_ECORRUPT;
    return end;
}

TEST(clog_record_framing)
{
    lc_log_set_level(LC_LOG_ERROR);
    u8 rec[CLOG_REC_OVERHEAD + 5];
    clog_record_encode(rec, 42, 7, "hello", 5);
    CHECK_EQ(lc_load_u64(rec), 42);
    CHECK_EQ(lc_load_u64(rec + 8), 7);
    CHECK_EQ(lc_load_u16(rec + 16), 1);
    CHECK_EQ(lc_load_u32(rec + 18), 5);
    CHECK_MEM(rec + 22, "hello", 5);
    CHECK_EQ(lc_load_u32(rec + 27), lc_crc32c_update(0, rec, 27));
    char why[128];
    CHECK_EQ(clog_record_check(rec, sizeof rec, 42, 0, why, sizeof why), sizeof rec);
    CHECK_EQ(clog_record_check(rec, sizeof rec, 43, 0, why, sizeof why), 0);
    CHECK_EQ(clog_record_check(rec, sizeof rec, 42, 8, why, sizeof why), 0); /* epoch back */
    CHECK_EQ(clog_record_check(rec, sizeof rec - 1, 42, 0, why, sizeof why), 0);
    for (size_t i = 0; i < sizeof rec; i++) { /* any single flipped byte is caught */
        rec[i] ^= 0x10;
        CHECK_EQ(clog_record_check(rec, sizeof rec, 42, 0, why, sizeof why), 0);
        rec[i] ^= 0x10;
    }
    lc_store_u32(rec + 18, LC_CLOG_RECORD_MAX + 1); /* bounded before use */
    CHECK_EQ(clog_record_check(rec, sizeof rec, 42, 0, why, sizeof why), 0);
    u8 h[CLOG_SEG_HEADER_SIZE];
    clog_seg_header_encode(h);
    CHECK_MEM(h, "(ds)^2\x01\x00\x00\x00", 10);
}

TEST(clog_append_replay_reopen)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    clog *l;
    CHECK_OK(clog_open(dir, NULL, &l, NULL));
    CHECK_EQ(clog_next_offset(l), 0);
    CHECK_EQ(clog_durable_end(l), 0);
    CHECK_OK(append_range(l, 0, 1000));
    CHECK_ERR(clog_append(l, 5, "x", 1, NULL), LC_EINVAL); /* out of order */
    CHECK_ERR(clog_append(l, 1000, "x", (size_t)LC_CLOG_RECORD_MAX + 1, NULL), LC_ELIMIT);
    CHECK_OK(clog_wait_durable(l, 999, 10000));
    CHECK(clog_durable_end(l) == 1000);
    CHECK_OK(clog_close(l));
    CHECK_EQ(reopen_check(dir, NULL, NULL), 1000);
    CHECK_OK(write_log(dir, NULL, 1500)); /* continue after reopen */
    CHECK_EQ(reopen_check(dir, NULL, NULL), 1500);
    char seg[4200];
    tc_seg_path(seg, sizeof seg, dir, 0);
    CHECK(tc_file_size(seg) > 0);
    /* partial replay from the middle */
    CHECK_OK(clog_open(dir, NULL, &l, NULL));
    tc_replay r = {.next = 1200};
    CHECK_OK(clog_replay(l, 1200, &r, tc_replay_cb, NULL));
    CHECK(!r.bad);
    CHECK_EQ(r.count, 300);
    CHECK_OK(clog_close(l));
    tc_rmdir(dir);
}

TEST(clog_rotation)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    clog_options o = {.segment_size_max = 1000};
    CHECK_OK(write_log(dir, &o, 300));
    u64 *segs;
    int n = clog_seg_list(dir, &segs, NULL);
    CHECK(n > 5);
    CHECK_EQ(segs[0], 0);
    for (int i = 0; i < n; i++) { /* names are first offsets; sizes just past the max */
        char p[4200];
        tc_seg_path(p, sizeof p, dir, segs[i]);
        long sz = tc_file_size(p);
        if (i < n - 1) CHECK(sz >= 1000 && sz < 1000 + 100);
        if (i + 1 < n) CHECK(segs[i + 1] > segs[i]);
    }
    lc_free(segs);
    CHECK_EQ(reopen_check(dir, &o, NULL), 300);
    CHECK_OK(write_log(dir, &o, 400)); /* rotation continues after reopen */
    CHECK_EQ(reopen_check(dir, &o, NULL), 400);
    tc_rmdir(dir);
}

/* A torn write can end anywhere inside the last record: every cut is detected, cut off, and
 * the log continues from the last good record. Also garbage instead of a clean cut. */
TEST(clog_torn_tail_every_byte)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    CHECK_OK(write_log(dir, NULL, 20));
    char seg[4200];
    tc_seg_path(seg, sizeof seg, dir, 0);
    long full = tc_file_size(seg);
    u8 p[64];
    long last = (long)(CLOG_REC_OVERHEAD + tc_payload(19, p));
    long base = full - last;
    u8 *orig = lc_alloc((size_t)full);
    int fd = open(seg, O_RDONLY);
    CHECK(pread(fd, orig, (size_t)full, 0) == full);
    close(fd);
    for (long cut = 0; cut < last; cut++) {
        for (int garbage = 0; garbage < 2; garbage++) {
            fd = open(seg, O_WRONLY | O_TRUNC);
            CHECK(write(fd, orig, (size_t)(base + cut)) == base + cut);
            if (garbage) CHECK(write(fd, "\xff\x01\x02", 3) == 3);
            close(fd);
            CHECK_EQ(reopen_check(dir, NULL, NULL), 19);
            CHECK_EQ(tc_file_size(seg), base); /* the tail is gone */
        }
    }
    CHECK_OK(write_log(dir, NULL, 25)); /* the next write goes after the last good record */
    CHECK_EQ(reopen_check(dir, NULL, NULL), 25);
    lc_free(orig);
    tc_rmdir(dir);
}

static void flip_byte(const char *path, long at)
{
    int fd = open(path, O_RDWR);
    u8 b;
    if (pread(fd, &b, 1, at) != 1) abort();
    b ^= 0x40;
    if (pwrite(fd, &b, 1, at) != 1) abort();
    close(fd);
}

TEST(clog_corruption_before_tail_is_fatal)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    CHECK_OK(write_log(dir, NULL, 10));
    char seg[4200];
    tc_seg_path(seg, sizeof seg, dir, 0);
    long before = tc_file_size(seg);
    /* a payload byte of record 3 (offsets: header 10, then records) */
    u8 p[64];
    long at = CLOG_SEG_HEADER_SIZE;
    for (u64 i = 0; i < 3; i++) at += (long)(CLOG_REC_OVERHEAD + tc_payload(i, p));
    long rec3 = at;
    flip_byte(seg, at + CLOG_REC_HEADER_SIZE);
    lc_errbuf eb = {{0}};
    clog *l = NULL;
    CHECK_ERR(clog_open(dir, NULL, &l, &eb), LC_ECORRUPT);
    CHECK(l == NULL);
    CHECK(strstr(eb.msg, seg) != NULL);
    char want[64];
    snprintf(want, sizeof want, "byte %ld", rec3);
    CHECK(strstr(eb.msg, want) != NULL);
    CHECK_EQ(tc_file_size(seg), before); /* untouched */
    /* a corrupt length field too: still fatal (a later record exists) */
    flip_byte(seg, at + CLOG_REC_HEADER_SIZE);
    flip_byte(seg, at + 18);
    CHECK_ERR(clog_open(dir, NULL, &l, &eb), LC_ECORRUPT);
    flip_byte(seg, at + 18);
    CHECK_EQ(reopen_check(dir, NULL, NULL), 10);
    tc_rmdir(dir);
}

TEST(clog_corrupt_sealed_segment_is_fatal)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    clog_options o = {.segment_size_max = 500};
    CHECK_OK(write_log(dir, &o, 100));
    char seg[4200];
    tc_seg_path(seg, sizeof seg, dir, 0);
    long sz = tc_file_size(seg);
    flip_byte(seg, sz - 2); /* the CRC of the LAST record of the FIRST segment */
    lc_errbuf eb = {{0}};
    clog *l;
    CHECK_ERR(clog_open(dir, &o, &l, &eb), LC_ECORRUPT);
    CHECK(strstr(eb.msg, seg) != NULL);
    flip_byte(seg, sz - 2);
    /* a missing middle segment is a gap: fatal */
    u64 *segs;
    int n = clog_seg_list(dir, &segs, NULL);
    CHECK(n >= 3);
    tc_seg_path(seg, sizeof seg, dir, segs[1]);
    lc_free(segs);
    CHECK(unlink(seg) == 0);
    CHECK_ERR(clog_open(dir, &o, &l, &eb), LC_ECORRUPT);
    CHECK(strstr(eb.msg, "segment starts at offset") != NULL);
    tc_rmdir(dir);
}

TEST(clog_bad_segment_header)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    CHECK_OK(write_log(dir, NULL, 5));
    char seg[4200];
    tc_seg_path(seg, sizeof seg, dir, 0);
    flip_byte(seg, 6); /* version byte */
    clog *l;
    lc_errbuf eb;
    CHECK_ERR(clog_open(dir, NULL, &l, &eb), LC_ECORRUPT);
    flip_byte(seg, 6);
    /* a last segment torn inside its header is rewritten (crash during rotation) */
    CHECK(truncate(seg, 4) == 0);
    CHECK_EQ(reopen_check(dir, NULL, NULL), 0);
    CHECK_EQ(tc_file_size(seg), CLOG_SEG_HEADER_SIZE);
    CHECK_OK(write_log(dir, NULL, 3));
    CHECK_EQ(reopen_check(dir, NULL, NULL), 3);
    tc_rmdir(dir);
}

typedef struct cb_seen {
    _Atomic u64 last;
    _Atomic int calls;
    _Atomic int regress;
} cb_seen;

static void on_durable(void *ctx, u64 end)
{
    cb_seen *s = ctx;
    if (end < atomic_load(&s->last)) atomic_store(&s->regress, 1);
    atomic_store(&s->last, end);
    atomic_fetch_add(&s->calls, 1);
}

TEST(clog_policies_and_callback)
{
    lc_log_set_level(LC_LOG_ERROR);
    for (int pol = 0; pol < 3; pol++) {
        char dir[64];
        tc_tmpdir(dir);
        tc_faults f = {.writes_ok = -1, .syncs_ok = -1, .sync_sleep_us = 2000};
        cb_seen seen = {0};
        clog_options o = {.policy = (clog_sync_policy)pol, .interval_ms = 30, .io = tc_io(&f),
                          .on_durable = on_durable, .on_durable_ctx = &seen};
        clog *l;
        CHECK_OK(clog_open(dir, &o, &l, NULL));
        u64 t0 = lc_now_ns();
        CHECK_OK(append_range(l, 0, 200));
        CHECK_OK(clog_wait_durable(l, 199, 20000));
        u64 ms = (lc_now_ns() - t0) / 1000000;
        clog_stats st;
        clog_get_stats(l, &st);
        CHECK_OK(clog_close(l));
        CHECK_EQ(atomic_load(&seen.last), 200);
        CHECK(!atomic_load(&seen.regress));
        CHECK_EQ(st.records, 200);
        if (pol == CLOG_SYNC_EVERY) {
            CHECK(st.syncs >= 200); /* one per record (+ the segment header) */
            CHECK(atomic_load(&seen.calls) >= 200);
        } else {
            CHECK(st.syncs < 50); /* 200 appends in a burst: a few batches */
        }
        if (pol == CLOG_SYNC_INTERVAL) CHECK(st.syncs <= 2 + ms / 30 + 1);
        CHECK_EQ(reopen_check(dir, NULL, NULL), 200);
        tc_rmdir(dir);
    }
}

TEST(clog_back_pressure)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    tc_faults f = {.writes_ok = -1, .syncs_ok = -1, .sync_sleep_us = 1000};
    clog_options o = {.queue_bytes_max = 256, .io = tc_io(&f)};
    clog *l;
    CHECK_OK(clog_open(dir, &o, &l, NULL));
    CHECK_OK(append_range(l, 0, 300));
    clog_stats st;
    clog_get_stats(l, &st);
    CHECK(st.append_waits > 0);
    CHECK_OK(clog_close(l));
    CHECK_EQ(reopen_check(dir, NULL, NULL), 300);
    tc_rmdir(dir);
}

/* An fsync (or write) failure: the log refuses every later write, never reports the failed
 * batch durable, and a reopen recovers a clean prefix including everything acknowledged. */
static void fault_case(bool fail_sync)
{
    char dir[64];
    tc_tmpdir(dir);
    tc_faults f = {.writes_ok = -1, .syncs_ok = -1};
    clog_options o = {.io = tc_io(&f)};
    clog *l;
    CHECK_OK(clog_open(dir, &o, &l, NULL));
    CHECK_OK(append_range(l, 0, 50));
    CHECK_OK(clog_wait_durable(l, 49, 10000));
    if (fail_sync) atomic_store(&f.syncs_ok, atomic_load(&f.syncs));
    else atomic_store(&f.writes_ok, atomic_load(&f.writes));
    int rc = append_range(l, 50, 60); /* may already see the failure */
    CHECK(rc == 0 || rc == LC_EIO);
    CHECK_ERR(clog_wait_durable(l, 59, 10000), LC_EIO);
    CHECK_EQ(clog_durable_end(l), 50);
    lc_errbuf eb = {{0}};
    CHECK_ERR(clog_append(l, 60, "x", 1, &eb), LC_EIO);
    CHECK(strstr(eb.msg, fail_sync ? "fdatasync" : "write") != NULL);
    CHECK_ERR(clog_failed(l, NULL), LC_EIO);
    CHECK_ERR(clog_close(l), LC_EIO);
    long long end = reopen_check(dir, NULL, NULL);
    CHECK(end >= 50 && end <= 60);
    tc_rmdir(dir);
}

TEST(clog_fsync_failure_refuses_writes)
{
    lc_log_set_level(LC_LOG_ERROR);
    fault_case(true);
    fault_case(false);
}

TEST(clog_random_cuts_across_segments)
{
    lc_log_set_level(LC_LOG_ERROR);
    u64 seed = lc_test_seed();
    char dir[64];
    tc_tmpdir(dir);
    clog_options o = {.segment_size_max = 700};
    u64 end = 0;
    for (int round = 0; round < 30; round++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        CHECK_OK(write_log(dir, &o, end + 1 + (seed >> 33) % 40));
        u64 *segs;
        int n = clog_seg_list(dir, &segs, NULL);
        char seg[4200];
        tc_seg_path(seg, sizeof seg, dir, segs[n - 1]);
        u64 last_first = segs[n - 1];
        lc_free(segs);
        long sz = tc_file_size(seg);
        long cut = (long)((seed >> 17) % (u64)(sz + 1));
        CHECK(truncate(seg, cut) == 0);
        long long got = reopen_check(dir, &o, NULL);
        CHECK(got >= (long long)last_first); /* only the last segment lost anything */
        end = (u64)got;
    }
    tc_rmdir(dir);
}

/* ---- power-cut simulation: only what was fsynced survives ----
 * SIGKILL keeps the page cache, so it cannot catch a durable end published before its
 * fdatasync. Here the I/O layer records, for every successful sync, the file and its size,
 * and the durable callback records every published end, in one ordered history. For a cut
 * at a random published end D, every segment is truncated to its size at its last sync
 * before the cut (files never synced before it are deleted), and recovery must reach D. */

typedef struct pc_event {
    bool is_sync;
    u64 value; /* durable end, or synced size */
    char path[96];
} pc_event;

typedef struct pc_hist {
    pthread_mutex_t mu;
    pc_event ev[4096];
    int n;
} pc_hist;

static void pc_push(pc_hist *h, bool is_sync, u64 value, const char *path)
{
    pthread_mutex_lock(&h->mu);
    if (h->n < (int)LC_ARRAY_LEN(h->ev)) {
        pc_event *e = &h->ev[h->n++];
        e->is_sync = is_sync;
        e->value = value;
        snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    }
    pthread_mutex_unlock(&h->mu);
}

static int pc_sync(void *ctx, int fd)
{
    int r = fdatasync(fd);
    if (r == 0) {
        char link[64], path[96] = {0};
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        struct stat st;
        if (n > 0 && fstat(fd, &st) == 0) pc_push(ctx, true, (u64)st.st_size, path);
    }
    return r;
}

static void pc_durable(void *ctx, u64 end) { pc_push(ctx, false, end, NULL); }

/* Rebuilds in `cut` the state after event k, from the full files in `dir`. */
static void pc_apply_cut(const pc_hist *h, int k, const char *dir, const char *cut)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -f %s/* && cp %s/*.stdb.log %s/", cut, dir, cut);
    if (system(cmd) != 0) abort();
    u64 *segs;
    int n = clog_seg_list(cut, &segs, NULL);
    for (int i = 0; i < n; i++) {
        char src[4200], dst[4200];
        tc_seg_path(src, sizeof src, dir, segs[i]);
        tc_seg_path(dst, sizeof dst, cut, segs[i]);
        long size = -1;
        for (int j = 0; j <= k; j++)
            if (h->ev[j].is_sync && strcmp(h->ev[j].path, src) == 0) size = (long)h->ev[j].value;
        if (size < 0) unlink(dst);
        else if (truncate(dst, size) != 0) abort();
    }
    lc_free(segs);
}

TEST(clog_power_cut_simulation)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64], cut[64];
    tc_tmpdir(dir);
    tc_tmpdir(cut);
    pc_hist *h = lc_calloc(1, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    clog_options o = {.segment_size_max = 2000, .io = {NULL, pc_sync, h},
                      .on_durable = pc_durable, .on_durable_ctx = h};
    clog *l;
    CHECK_OK(clog_open(dir, &o, &l, NULL));
    u8 p[64];
    for (u64 i = 0; i < 3000; i++) {
        CHECK_OK(clog_append(l, i, p, tc_payload(i, p), NULL));
        if (i % 97 == 0) usleep(200); /* let batches of different sizes form */
    }
    CHECK_OK(clog_close(l));
    CHECK(h->n > 10 && h->n < (int)LC_ARRAY_LEN(h->ev));
    u64 seed = lc_test_seed();
    for (int t = 0; t < 25; t++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((seed >> 33) % (u64)h->n);
        while (k < h->n && h->ev[k].is_sync) k++; /* cut right after a publication */
        if (k == h->n) continue;
        pc_apply_cut(h, k, dir, cut);
        long long end = reopen_check(cut, NULL, NULL);
        CHECK(end >= (long long)h->ev[k].value);
    }
    pthread_mutex_destroy(&h->mu);
    lc_free(h);
    tc_rmdir(dir);
    tc_rmdir(cut);
}

TEST(clog_directory_lock)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    clog *a, *b;
    CHECK_OK(clog_open(dir, NULL, &a, NULL));
    lc_errbuf eb = {{0}};
    CHECK_ERR(clog_open(dir, NULL, &b, &eb), LC_EBUSY);
    CHECK(strstr(eb.msg, "in use") != NULL);
    CHECK_OK(clog_close(a));
    CHECK_OK(clog_open(dir, NULL, &b, NULL)); /* released on close */
    CHECK_OK(clog_close(b));
    tc_rmdir(dir);
}

/* The writer never waits for the disk; a confirmed-read waiter does, with a timeout. */
TEST(clog_wait_durable_timeout)
{
    lc_log_set_level(LC_LOG_ERROR);
    char dir[64];
    tc_tmpdir(dir);
    tc_faults f = {.writes_ok = -1, .syncs_ok = -1, .sync_sleep_us = 300000};
    clog_options o = {.io = tc_io(&f)};
    clog *l;
    CHECK_OK(clog_open(dir, &o, &l, NULL));
    u64 t0 = lc_now_ns();
    CHECK_OK(append_range(l, 0, 100));
    CHECK((lc_now_ns() - t0) / 1000000 < 250); /* appends did not wait for the 300 ms sync */
    CHECK(clog_durable_end(l) < 100);
    CHECK_ERR(clog_wait_durable(l, 99, 10), LC_EAGAIN);
    CHECK_OK(clog_wait_durable(l, 99, -1));
    CHECK_EQ(clog_durable_end(l), 100);
    CHECK_OK(clog_wait_durable(l, 42, 0)); /* already durable: immediate */
    CHECK_OK(clog_close(l));
    tc_rmdir(dir);
}
