/*
 * clog/clog.c — opening a log (scan + tail repair), group commit, durable offsets, replay,
 * and the background snapshot worker. The record format is in segment.c.
 *
 * Group commit. The writer (database thread) frames each record straight into `pending`
 * under `mu` (a memcpy and a CRC, no I/O) and wakes the durability thread only if it is idle.
 * The durability thread swaps `pending` with its own `writing` buffer (double buffering, so
 * the writer keeps appending while the batch is written), writes the batch with as few
 * write(2)s as rotation allows, calls fdatasync ONCE, then publishes durable_end. So a burst
 * of N commits costs one fsync, and the batch size adapts to the fsync latency by itself.
 *
 *   writer:     append -> [pending] --swap--> [writing] -> write, fdatasync -> publish end
 *   policies:   BATCH    one sync per drained batch (default)
 *               EVERY    write + sync + publish per record
 *               INTERVAL wait until last_sync + interval_ms before draining, then as BATCH
 *
 * Back-pressure: an append waits (cv_space) while pending holds more than queue_bytes_max.
 * Failure: the first failed write/sync stores a sticky error; appends and waits return it;
 * the thread stops. Nothing after the last successful sync is reported durable.
 *
 * Lock order: mu only (the snapshot worker shares it for its small state). The segment fd and
 * seg_* fields belong to the durability thread once it runs (open/replay run before appends).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crc32c.h"
#include "base/limits.h"
#include "base/log.h"
#include "clog/clog_int.h"

struct clog {
    char *dir;
    int lock_fd; /* flock'ed {dir}/LOCK: one process per database directory */
    clog_options opt;
    /* durability-thread state */
    int seg_fd;
    u64 seg_first, seg_size, seg_records;
    char seg_path[CLOG_PATH_MAX];
    u64 last_sync_ns;
    clog_stats dstats; /* the thread's counters; copied into stats under mu after each batch */
    /* shared state, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_space, cv_durable, cv_snap;
    lc_buf pending, writing;
    u64 pending_end, next_offset, open_end;
    int failed;
    lc_errbuf failed_eb;
    bool closing, worker_idle, has_thread;
    pthread_t thread;
    clog_stats stats;
    _Atomic u64 durable_end;
    /* snapshot worker, under mu */
    bool snap_started, snap_busy, snap_has_job, snap_quit;
    pthread_t snap_thread;
    u64 snap_end;
    u8 *snap_bytes;
    size_t snap_len;
    int snap_result;
    lc_errbuf snap_eb;
};

static void log_fail(clog *l, int rc, const lc_errbuf *eb)
{
    pthread_mutex_lock(&l->mu);
    if (!l->failed) {
        l->failed = rc;
        l->failed_eb = *eb;
        LC_LOG_E("clog", "log failed, refusing further writes: %s", eb->msg);
    }
    pthread_cond_broadcast(&l->cv_space);
    pthread_cond_broadcast(&l->cv_durable);
    pthread_mutex_unlock(&l->mu);
}

/* Durability thread only: the new durable end, and its counters into the shared stats. */
static void publish(clog *l, u64 end)
{
    atomic_store_explicit(&l->durable_end, end, memory_order_release);
    pthread_mutex_lock(&l->mu);
    l->stats.batches = l->dstats.batches;
    l->stats.syncs = l->dstats.syncs;
    l->stats.records = l->dstats.records;
    l->stats.bytes = l->dstats.bytes;
    l->stats.segments = l->dstats.segments;
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        l->stats.durability_cpu_ns = (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
    pthread_cond_broadcast(&l->cv_durable);
    pthread_mutex_unlock(&l->mu);
    if (l->opt.on_durable) l->opt.on_durable(l->opt.on_durable_ctx, end);
}

static int seg_sync(clog *l, lc_errbuf *eb)
{
    int rc = clog_io_sync(&l->opt.io, l->seg_fd, l->seg_path, eb);
    l->last_sync_ns = lc_now_ns();
    if (!rc) l->dstats.syncs++;
    return rc;
}

/* SEALED <- WRITING (sync + close), then (none) -> OPEN for a segment starting at `first`. */
static int seg_rotate(clog *l, u64 first, lc_errbuf *eb)
{
    if (l->seg_fd >= 0) {
        int rc = seg_sync(l, eb);
        if (rc) return rc;
        close(l->seg_fd);
        l->seg_fd = -1;
    }
    clog_seg_path(l->seg_path, sizeof l->seg_path, l->dir, first);
    l->seg_fd = open(l->seg_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (l->seg_fd < 0) return lc_errf(eb, LC_EIO, "create %s: %s", l->seg_path, strerror(errno));
    u8 h[CLOG_SEG_HEADER_SIZE];
    clog_seg_header_encode(h);
    int rc = clog_io_write_all(&l->opt.io, l->seg_fd, h, sizeof h, l->seg_path, eb);
    if (!rc) rc = seg_sync(l, eb);
    if (!rc) rc = clog_dir_sync(l->dir, eb);
    if (rc) return rc;
    l->seg_first = first;
    l->seg_size = CLOG_SEG_HEADER_SIZE;
    l->seg_records = 0;
    l->dstats.segments++;
    LC_LOG_D("clog", "opened segment %s", l->seg_path);
    return 0;
}

static int seg_put(clog *l, const u8 *p, size_t n, lc_errbuf *eb)
{
    if (!n) return 0;
    return clog_io_write_all(&l->opt.io, l->seg_fd, p, n, l->seg_path, eb);
}

/* Writes one drained batch of framed records: rotation between records and (EVERY policy) a
 * sync and publication per record. */
static int write_batch(clog *l, const u8 *p, size_t n, lc_errbuf *eb)
{
    bool each = l->opt.policy == CLOG_SYNC_EVERY;
    size_t pos = 0, run = 0;
    int rc = 0;
    while (pos < n && !rc) {
        LC_ASSERT(n - pos >= CLOG_REC_OVERHEAD);
        u64 off = lc_load_u64(p + pos);
        u32 len = lc_load_u32(p + pos + 18);
        size_t rec = (size_t)CLOG_REC_OVERHEAD + len;
        LC_ASSERT(rec <= n - pos);
        /* The pair check is CRC at append + CRC at replay; this third one (memory corruption
         * between append and write) costs the durability thread's CPU, so debug builds only. */
        LC_DEBUG_ASSERT(lc_crc32c_update(0, p + pos, CLOG_REC_HEADER_SIZE + len) ==
                        lc_load_u32(p + pos + CLOG_REC_HEADER_SIZE + len));
        if (l->seg_fd < 0 || (l->seg_size >= l->opt.segment_size_max && l->seg_records)) {
            rc = seg_put(l, p + run, pos - run, eb);
            run = pos;
            if (!rc) rc = seg_rotate(l, off, eb);
            if (rc) break;
        }
        pos += rec;
        l->seg_size += rec;
        l->seg_records++;
        l->dstats.records++;
        l->dstats.bytes += rec;
        if (each) {
            rc = seg_put(l, p + run, pos - run, eb);
            run = pos;
            if (!rc) rc = seg_sync(l, eb);
            if (!rc) publish(l, off + 1);
        }
    }
    if (!rc) rc = seg_put(l, p + run, n - run, eb);
    return rc;
}

static void interval_wait(clog *l)
{
    u64 due = l->last_sync_ns + (u64)l->opt.interval_ms * 1000000ull;
    while (!l->closing) {
        u64 now = lc_now_ns();
        if (now >= due) break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        u64 t = (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec + (due - now);
        ts.tv_sec = (time_t)(t / 1000000000ull);
        ts.tv_nsec = (long)(t % 1000000000ull);
        pthread_cond_timedwait(&l->cv_work, &l->mu, &ts);
    }
}

static void *durability_main(void *arg)
{
    clog *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->pending.len && !l->closing) {
            l->worker_idle = true;
            pthread_cond_wait(&l->cv_work, &l->mu);
            l->worker_idle = false;
        }
        if (!l->pending.len) break; /* closing and drained */
        if (l->opt.policy == CLOG_SYNC_INTERVAL) interval_wait(l);
        lc_buf t = l->pending;
        l->pending = l->writing;
        l->writing = t;
        u64 end = l->pending_end;
        pthread_cond_broadcast(&l->cv_space);
        pthread_mutex_unlock(&l->mu);

        lc_errbuf eb = {{0}};
        int rc = write_batch(l, l->writing.data, l->writing.len, &eb);
        if (!rc && l->opt.policy != CLOG_SYNC_EVERY) rc = seg_sync(l, &eb);
        lc_buf_reset(&l->writing);
        if (rc) {
            log_fail(l, rc, &eb);
            pthread_mutex_lock(&l->mu);
            break;
        }
        l->dstats.batches++;
        if (l->opt.policy != CLOG_SYNC_EVERY) publish(l, end);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int clog_append(clog *l, u64 tx_offset, const void *payload, size_t len, lc_errbuf *eb)
{
    if (len > LC_CLOG_RECORD_MAX)
        return lc_errf(eb, LC_ELIMIT, "transaction %llu: %zu bytes is over the record limit",
                       (unsigned long long)tx_offset, len);
    size_t rec = CLOG_REC_OVERHEAD + len;
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    while (!l->failed && !l->closing && l->pending.len &&
           l->pending.len + rec > l->opt.queue_bytes_max) {
        l->stats.append_waits++;
        pthread_cond_wait(&l->cv_space, &l->mu);
    }
    if (l->failed) {
        rc = lc_errf(eb, l->failed, "commit log failed: %s", l->failed_eb.msg);
    } else if (l->closing) {
        rc = lc_errf(eb, LC_ECLOSED, "commit log is closing");
    } else if (tx_offset != l->next_offset) {
        rc = lc_errf(eb, LC_EINVAL, "append of offset %llu, expected %llu",
                     (unsigned long long)tx_offset, (unsigned long long)l->next_offset);
    } else {
        u8 *d = lc_buf_reserve(&l->pending, rec);
        if (!d) {
            l->pending.err = 0;
            pthread_mutex_unlock(&l->mu);
            lc_errbuf e2;
            lc_errf(&e2, LC_ENOMEM, "out of memory queueing transaction %llu",
                    (unsigned long long)tx_offset);
            log_fail(l, LC_ENOMEM, &e2);
            return lc_errf(eb, LC_ENOMEM, "%s", e2.msg);
        }
        clog_record_encode(d, tx_offset, l->opt.epoch, payload, (u32)len);
        l->pending.len += rec;
        l->pending_end = ++l->next_offset;
        if (l->worker_idle) pthread_cond_signal(&l->cv_work);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

u64 clog_next_offset(clog *l)
{
    pthread_mutex_lock(&l->mu);
    u64 v = l->next_offset;
    pthread_mutex_unlock(&l->mu);
    return v;
}

u64 clog_durable_end(const clog *l)
{
    return atomic_load_explicit(&l->durable_end, memory_order_acquire);
}

int clog_wait_durable(clog *l, u64 tx_offset, i64 timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    u64 t = (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec +
            (timeout_ms > 0 ? (u64)timeout_ms * 1000000ull : 0);
    ts.tv_sec = (time_t)(t / 1000000000ull);
    ts.tv_nsec = (long)(t % 1000000000ull);
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    while (clog_durable_end(l) <= tx_offset) {
        if (l->failed) {
            rc = l->failed;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&l->cv_durable, &l->mu);
        } else if (pthread_cond_timedwait(&l->cv_durable, &l->mu, &ts) == ETIMEDOUT) {
            rc = clog_durable_end(l) > tx_offset ? 0 : LC_EAGAIN;
            break;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int clog_failed(clog *l, lc_errbuf *eb)
{
    pthread_mutex_lock(&l->mu);
    int rc = l->failed;
    if (rc && eb) *eb = l->failed_eb;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void clog_get_stats(clog *l, clog_stats *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->stats;
    pthread_mutex_unlock(&l->mu);
}

const char *clog_dir(const clog *l) { return l->dir; }

/* ---- open ---- */

/* Cuts the torn tail of the last segment at sc->good_size (rewriting a torn header). */
static int repair_tail(clog *l, const char *path, size_t file_size, const clog_seg_scan *sc,
                       lc_errbuf *eb)
{
    LC_LOG_W("clog", "%s: torn or corrupt tail at byte %zu (%s): cutting %zu bytes", path,
             sc->good_size, sc->why, file_size - sc->good_size);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return lc_errf(eb, LC_EIO, "open %s: %s", path, strerror(errno));
    int rc = 0;
    size_t keep = sc->good_size < CLOG_SEG_HEADER_SIZE ? 0 : sc->good_size;
    if (ftruncate(fd, (off_t)keep) != 0)
        rc = lc_errf(eb, LC_EIO, "truncate %s: %s", path, strerror(errno));
    if (!rc && keep == 0) {
        u8 h[CLOG_SEG_HEADER_SIZE];
        clog_seg_header_encode(h);
        rc = clog_io_write_all(&l->opt.io, fd, h, sizeof h, path, eb);
    }
    if (!rc) rc = clog_io_sync(&l->opt.io, fd, path, eb);
    close(fd);
    return rc;
}

/* Scans one segment; returns 0 with expect and epoch advanced, or LC_ECORRUPT naming the file
 * and byte offset. Repairs the tail when `is_last`. */
static int open_segment(clog *l, u64 first, bool is_last, u64 *expect, u64 *epoch,
                        lc_errbuf *eb)
{
    char path[CLOG_PATH_MAX];
    clog_seg_path(path, sizeof path, l->dir, first);
    if (first != *expect)
        return lc_errf(eb, LC_ECORRUPT, "%s: segment starts at offset %llu, log before ends at %llu",
                       path, (unsigned long long)first, (unsigned long long)*expect);
    clog_seg_map m;
    int rc = clog_seg_map_open(path, &m, eb);
    if (rc) return rc;
    clog_seg_scan sc;
    clog_seg_scan_run(&m, first, *epoch, &sc);
    size_t size = m.size;
    clog_seg_map_close(&m);
    bool torn_header = size < CLOG_SEG_HEADER_SIZE;
    if (sc.is_bad && (!is_last || sc.has_later_record || (!sc.good_size && !torn_header)))
        return lc_errf(eb, LC_ECORRUPT, "%s: corrupt at byte %zu: %s%s", path, sc.good_size,
                       sc.why, sc.has_later_record ? " (valid records follow: not a torn write)"
                                                   : "");
    if (sc.is_bad) rc = repair_tail(l, path, size, &sc, eb);
    if (rc) return rc;
    *expect = sc.end;
    *epoch = sc.epoch;
    if (is_last) {
        l->seg_first = first;
        l->seg_size = torn_header ? CLOG_SEG_HEADER_SIZE : sc.good_size;
        l->seg_records = sc.end - first;
        memcpy(l->seg_path, path, sizeof path);
    }
    return 0;
}

static int open_scan(clog *l, lc_errbuf *eb)
{
    u64 *segs;
    int n = clog_seg_list(l->dir, &segs, eb);
    if (n < 0) return n;
    u64 expect = n ? segs[0] : 0, epoch = 0;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = open_segment(l, segs[i], i == n - 1, &expect, &epoch, eb);
    if (!rc && n) {
        l->seg_fd = open(l->seg_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (l->seg_fd < 0) rc = lc_errf(eb, LC_EIO, "open %s: %s", l->seg_path, strerror(errno));
    }
    lc_free(segs);
    if (rc) return rc;
    if (epoch > l->opt.epoch) l->opt.epoch = epoch;
    l->next_offset = l->pending_end = l->open_end = expect;
    atomic_store(&l->durable_end, expect);
    LC_LOG_I("clog", "opened log %s: %d segment(s), %llu transaction(s)", l->dir, n,
             (unsigned long long)expect);
    return 0;
}

/* Two processes appending to one log would interleave records: the second open fails. The
 * lock dies with the process, so a crashed owner never blocks recovery. */
static int lock_dir(clog *l, lc_errbuf *eb)
{
    char path[CLOG_PATH_MAX];
    snprintf(path, sizeof path, "%s/LOCK", l->dir);
    l->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (l->lock_fd < 0) return lc_errf(eb, LC_EIO, "open %s: %s", path, strerror(errno));
    if (flock(l->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return lc_errf(eb, errno == EWOULDBLOCK ? LC_EBUSY : LC_EIO,
                       "%s: the database directory is in use by another process (%s)", path,
                       strerror(errno));
    return 0;
}

static void apply_defaults(clog_options *o)
{
    if (!o->segment_size_max) o->segment_size_max = 1ull << 30;
    if (!o->interval_ms) o->interval_ms = 10;
    if (!o->queue_bytes_max) o->queue_bytes_max = 16u << 20;
    if (!o->snapshot_level) o->snapshot_level = 1;
    if (!o->snapshots_keep) o->snapshots_keep = 2;
}

static int sync_init(clog *l)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int r = pthread_mutex_init(&l->mu, NULL);
    r |= pthread_cond_init(&l->cv_work, &ca);
    r |= pthread_cond_init(&l->cv_space, &ca);
    r |= pthread_cond_init(&l->cv_durable, &ca);
    r |= pthread_cond_init(&l->cv_snap, &ca);
    pthread_condattr_destroy(&ca);
    return r ? LC_ENOMEM : 0;
}

static void clog_free(clog *l)
{
    if (l->seg_fd >= 0) close(l->seg_fd);
    if (l->lock_fd >= 0) close(l->lock_fd); /* releases the flock */
    lc_buf_deinit(&l->pending);
    lc_buf_deinit(&l->writing);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv_work);
    pthread_cond_destroy(&l->cv_space);
    pthread_cond_destroy(&l->cv_durable);
    pthread_cond_destroy(&l->cv_snap);
    lc_free(l->dir);
    lc_free(l);
}

int clog_open(const char *dir, const clog_options *opt, clog **out, lc_errbuf *eb)
{
    *out = NULL;
    if (strlen(dir) > CLOG_PATH_MAX - 64) return lc_errf(eb, LC_EINVAL, "path too long: %s", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return lc_errf(eb, LC_EIO, "mkdir %s: %s", dir, strerror(errno));
    clog *l = lc_calloc(1, sizeof *l);
    if (!l || sync_init(l)) {
        lc_free(l);
        return lc_errf(eb, LC_ENOMEM, "out of memory opening %s", dir);
    }
    l->seg_fd = l->lock_fd = -1;
    if (opt) l->opt = *opt;
    apply_defaults(&l->opt);
    lc_buf_init(&l->pending);
    lc_buf_init(&l->writing);
    l->dir = lc_strdup(dir);
    int rc = l->dir ? lock_dir(l, eb) : lc_errf(eb, LC_ENOMEM, "out of memory");
    if (!rc) rc = open_scan(l, eb);
    if (!rc && pthread_create(&l->thread, NULL, durability_main, l) != 0)
        rc = lc_errf(eb, LC_ENOMEM, "cannot start the durability thread");
    if (rc) {
        clog_free(l);
        return rc;
    }
    l->has_thread = true;
    *out = l;
    return 0;
}

static void snap_stop(clog *l);

int clog_close(clog *l)
{
    if (!l) return 0;
    snap_stop(l);
    pthread_mutex_lock(&l->mu);
    l->closing = true;
    pthread_cond_broadcast(&l->cv_work);
    pthread_cond_broadcast(&l->cv_space);
    pthread_mutex_unlock(&l->mu);
    if (l->has_thread) pthread_join(l->thread, NULL);
    int rc = l->failed;
    clog_free(l);
    return rc;
}

/* ---- replay ---- */

static int replay_segment(clog *l, u64 first, u64 from, void *ctx, clog_replay_cb cb,
                          lc_errbuf *eb)
{
    char path[CLOG_PATH_MAX];
    clog_seg_path(path, sizeof path, l->dir, first);
    clog_seg_map m;
    int rc = clog_seg_map_open(path, &m, eb);
    if (rc) return rc;
    size_t pos = CLOG_SEG_HEADER_SIZE;
    u64 off = first;
    char why[128];
    while (!rc && off < l->open_end && pos < m.size) {
        size_t n = clog_record_check(m.p + pos, m.size - pos, off, 0, why, sizeof why);
        if (!n) {
            rc = lc_errf(eb, LC_ECORRUPT, "%s: corrupt at byte %zu on replay: %s", path, pos, why);
            break;
        }
        if (off >= from)
            rc = cb(ctx, off, m.p + pos + CLOG_REC_HEADER_SIZE, lc_load_u32(m.p + pos + 18), eb);
        off++;
        pos += n;
    }
    clog_seg_map_close(&m);
    return rc;
}

int clog_replay(clog *l, u64 from, void *ctx, clog_replay_cb cb, lc_errbuf *eb)
{
    if (clog_next_offset(l) != l->open_end)
        return lc_errf(eb, LC_ESTATE, "replay after appends");
    if (from >= l->open_end) return 0;
    u64 *segs;
    int n = clog_seg_list(l->dir, &segs, eb);
    if (n < 0) return n;
    int start = 0;
    for (int i = 0; i < n; i++)
        if (segs[i] <= from) start = i;
    int rc = 0;
    if (!n || segs[start] > from)
        rc = lc_errf(eb, LC_ECORRUPT, "%s: the log does not reach back to offset %llu", l->dir,
                     (unsigned long long)from);
    for (int i = start; i < n && !rc && segs[i] < l->open_end; i++)
        rc = replay_segment(l, segs[i], from, ctx, cb, eb);
    lc_free(segs);
    return rc;
}

/* ---- background snapshots ---- */

static void *snap_main(void *arg)
{
    clog *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->snap_has_job && !l->snap_quit) pthread_cond_wait(&l->cv_snap, &l->mu);
        if (!l->snap_has_job) break;
        u64 end = l->snap_end;
        u8 *bytes = l->snap_bytes;
        size_t len = l->snap_len;
        l->snap_has_job = false;
        pthread_mutex_unlock(&l->mu);
        lc_errbuf eb = {{0}};
        int rc = clog_snapshot_write(l->dir, &l->opt, end, bytes, len, &eb);
        lc_free(bytes);
        if (rc) LC_LOG_E("clog", "snapshot %llu failed: %s", (unsigned long long)end, eb.msg);
        pthread_mutex_lock(&l->mu);
        l->snap_result = rc;
        l->snap_eb = eb;
        l->snap_busy = false;
        if (!rc) l->stats.snapshots++;
        pthread_cond_broadcast(&l->cv_snap);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int clog_snapshot_request(clog *l, u64 tx_end, u8 *bytes, size_t len)
{
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    if (l->snap_busy || l->closing) {
        rc = LC_EBUSY;
    } else if (!l->snap_started && pthread_create(&l->snap_thread, NULL, snap_main, l) != 0) {
        rc = LC_ENOMEM;
    } else {
        l->snap_started = true;
        l->snap_busy = l->snap_has_job = true;
        l->snap_end = tx_end;
        l->snap_bytes = bytes;
        l->snap_len = len;
        pthread_cond_broadcast(&l->cv_snap);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int clog_snapshot_wait(clog *l, lc_errbuf *eb)
{
    pthread_mutex_lock(&l->mu);
    while (l->snap_busy) pthread_cond_wait(&l->cv_snap, &l->mu);
    int rc = l->snap_result;
    if (rc && eb) *eb = l->snap_eb;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static void snap_stop(clog *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->snap_busy) pthread_cond_wait(&l->cv_snap, &l->mu);
    l->snap_quit = true;
    pthread_cond_broadcast(&l->cv_snap);
    bool started = l->snap_started;
    pthread_mutex_unlock(&l->mu);
    if (started) pthread_join(l->snap_thread, NULL);
}
