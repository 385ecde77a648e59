/*
 * clog/recover.c — recovery = open the log + newest valid snapshot + replay of the suffix.
 *
 * Steps (spec-engine-semantics §2.10, adapted to one-file snapshots):
 *   1. clog_open: scan every segment, cut a torn tail, fail on corruption before the tail.
 *      The log end L found here is the durable end: everything acknowledged is below L.
 *   2. Remove *.lcsnap.tmp leftovers (a crash during a snapshot write).
 *   3. Snapshots newest first. One with tx_end > L holds committed-but-not-durable work (or
 *      a history the log no longer has): logged, renamed *.invalid. One that fails to read
 *      or verify (CRC, zstd, size) or to load: logged, renamed *.invalid, store reset, next.
 *      The first good one with tx_end <= L is loaded (ops->snapshot_load).
 *   4. Replay offsets [snapshot tx_end (or 0), L) through ops->apply, fail-fast: the store
 *      must rebuild its indexes and sequence state as it goes or at the end of load/apply.
 * Invariant: the returned log appends at L, so recovered state == log prefix [0, L).
 */
#include <stdio.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "clog/clog_int.h"

static void reject(const char *dir, u64 end, const char *why, clog_recover_stats *st)
{
    LC_LOG_W("clog", "snapshot %020llu in %s rejected: %s", (unsigned long long)end, dir, why);
    st->snapshots_rejected++;
    if (clog_snapshot_invalidate(dir, end) != 0)
        LC_LOG_W("clog", "could not rename snapshot %020llu to .invalid", (unsigned long long)end);
}

/* Tries one snapshot; returns true when it is loaded. */
static bool try_snapshot(const char *dir, u64 end, const clog_recover_ops *ops,
                         clog_recover_stats *st)
{
    char path[CLOG_PATH_MAX];
    clog_snapshot_path(path, sizeof path, dir, end);
    lc_errbuf eb = {{0}};
    u8 *bytes;
    size_t len;
    u64 stored_end;
    int rc = clog_snapshot_read(path, &stored_end, &bytes, &len, &eb);
    if (!rc && stored_end != end) {
        lc_free(bytes);
        rc = lc_errf(&eb, LC_ECORRUPT, "%s: header says tx_end %llu", path,
                     (unsigned long long)stored_end);
    }
    if (!rc) {
        rc = ops->snapshot_load(ops->ctx, end, bytes, len, &eb);
        lc_free(bytes);
        if (rc) ops->reset(ops->ctx);
    }
    if (rc) {
        reject(dir, end, eb.msg, st);
        return false;
    }
    st->has_snapshot = true;
    st->snapshot_tx_end = end;
    return true;
}

static void load_snapshot(const char *dir, const clog_recover_ops *ops, clog_recover_stats *st)
{
    u64 ends[64];
    int n = clog_snapshot_list(dir, ends, (int)LC_ARRAY_LEN(ends));
    if (n < 0) {
        LC_LOG_W("clog", "cannot list snapshots in %s; replaying the whole log", dir);
        return;
    }
    n = LC_MIN(n, (int)LC_ARRAY_LEN(ends));
    for (int i = 0; i < n; i++) {
        if (ends[i] > st->log_end) {
            char why[96];
            snprintf(why, sizeof why, "newer than the durable log end %llu",
                     (unsigned long long)st->log_end);
            reject(dir, ends[i], why, st);
            continue;
        }
        if (try_snapshot(dir, ends[i], ops, st)) return;
    }
}

int clog_recover(const char *dir, const clog_options *opt, const clog_recover_ops *ops,
                 clog **out_log, clog_recover_stats *out_stats, lc_errbuf *eb)
{
    LC_ASSERT(ops && ops->reset && ops->snapshot_load && ops->apply);
    clog_recover_stats st = {0};
    *out_log = NULL;
    u64 t0 = lc_now_ns();
    clog *log;
    int rc = clog_open(dir, opt, &log, eb);
    if (rc) return rc;
    st.log_end = clog_next_offset(log);
    u64 t1 = lc_now_ns();
    st.open_ns = t1 - t0;
    clog_snapshot_clean_tmp(dir);
    load_snapshot(dir, ops, &st);
    u64 t2 = lc_now_ns();
    st.snapshot_ns = t2 - t1;
    u64 from = st.has_snapshot ? st.snapshot_tx_end : 0;
    rc = clog_replay(log, from, ops->ctx, ops->apply, eb);
    st.replay_ns = lc_now_ns() - t2;
    if (rc) {
        (void)clog_close(log);
        return rc;
    }
    st.replayed = st.log_end - from;
    LC_LOG_I("clog", "recovered %s: snapshot %s%llu, replayed %llu transaction(s), next %llu",
             dir, st.has_snapshot ? "" : "none/", (unsigned long long)from,
             (unsigned long long)st.replayed, (unsigned long long)st.log_end);
    if (out_stats) *out_stats = st;
    *out_log = log;
    return 0;
}
