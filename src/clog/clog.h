/*
 * clog/clog.h — the commit log: segments, group commit, durable offsets, snapshots, recovery.
 *
 * This is clog's contract with the layers above (host/, server/). Payloads (one transaction's
 * Txdata bytes) and snapshot bytes are OPAQUE here; clog frames, checksums, batches, syncs,
 * compresses and stores them. The store-aware glue is clog/clog_store.h.
 *
 * Directory layout (one directory per database):
 *   {first_tx_offset:020}.stdb.log   log segments (format: clog/segment.c)
 *   {tx_end:020}.lcsnap              snapshots holding every tx with offset < tx_end
 *                                    (format: clog/snapshot.c)
 *   *.lcsnap.invalid                 snapshots rejected by recovery (kept for forensics)
 *   LOCK                             flock'ed while a clog is open (one owner per directory)
 *
 * Offsets. Transaction offsets are gapless from 0. Everywhere below an "end" is the offset
 * one past the last transaction included: clog_durable_end(log) == 5 means offsets 0..4 are
 * on disk and fsynced. A server holding a confirmed-read reply for offset X releases it when
 * clog_durable_end(log) > X (or on the on_durable callback).
 *
 * Threads. One writer thread (the database thread) calls clog_append; it never waits for I/O,
 * only (back-pressure) for queue space when the durability thread falls behind by more than
 * opt.queue_bytes_max. A durability thread owned by the log drains everything pending, writes
 * it, fdatasyncs once per drained batch (policy CLOG_SYNC_BATCH), then publishes the new
 * durable end (an atomic, a condition variable for clog_wait_durable, and the on_durable
 * callback, which runs ON THE DURABILITY THREAD and must only hand off, e.g. uv_async_send).
 * A snapshot thread, started on first use, compresses and writes snapshots so the writer only
 * pays for encoding the store.
 *
 * Failure. A failed write or fsync makes the log refuse every later append (LC_EIO with the
 * file and the OS error): durability is never pretended. Reopen (recover) to continue.
 *
 * Ownership. clog_open/clog_recover give a clog the caller must clog_close. Payload bytes
 * passed to clog_append are copied. Snapshot bytes passed to clog_snapshot_request are taken
 * (lc_free'd by the log) only when it returns 0.
 */
#ifndef LC_CLOG_CLOG_H
#define LC_CLOG_CLOG_H

#include <sys/types.h>

#include "base/error.h"
#include "base/types.h"

typedef struct clog clog;

typedef enum clog_sync_policy {
    CLOG_SYNC_BATCH = 0,    /* default: one fdatasync per drained batch, as fast as possible */
    CLOG_SYNC_EVERY = 1,    /* one fdatasync per transaction (slow; for comparison/paranoia) */
    CLOG_SYNC_INTERVAL = 2, /* fdatasync at most every interval_ms; batches grow meanwhile */
} clog_sync_policy;

/* The I/O layer, replaceable for fault injection in tests. NULL members mean the real calls.
 * write_fn has write(2) semantics (returns bytes written or -1 with errno); sync_fn has
 * fdatasync(2) semantics (0 or -1 with errno). Used for log segments and snapshot files. */
typedef struct clog_io {
    ssize_t (*write_fn)(void *ctx, int fd, const void *p, size_t n);
    int (*sync_fn)(void *ctx, int fd);
    void *ctx;
} clog_io;

typedef void (*clog_durable_cb)(void *ctx, u64 durable_end);

typedef struct clog_options {
    u64 segment_size_max;     /* rotate after a record pushes a segment past this; 0 = 1 GiB */
    clog_sync_policy policy;  /* CLOG_SYNC_BATCH by default (zeroed options) */
    u32 interval_ms;          /* CLOG_SYNC_INTERVAL only; 0 = 10 ms */
    size_t queue_bytes_max;   /* back-pressure bound on pending bytes; 0 = 16 MiB */
    int snapshot_level;       /* zstd level; 0 = 1 (fast) */
    u32 snapshots_keep;       /* snapshots kept after a new one; 0 = 2 */
    u64 epoch;                /* written into records; 0 for a standalone database */
    clog_io io;               /* zeroed = real I/O */
    clog_durable_cb on_durable; /* optional; runs on the durability thread */
    void *on_durable_ctx;
} clog_options;

typedef struct clog_stats {
    u64 batches;       /* drained batches written */
    u64 syncs;         /* fdatasync calls on segments */
    u64 records;       /* records written */
    u64 bytes;         /* record bytes written */
    u64 segments;      /* segments created by this process */
    u64 append_waits;  /* times the writer waited for queue space (back-pressure) */
    u64 snapshots;     /* snapshots written by this process */
    u64 durability_cpu_ns; /* CPU time of the durability thread (at its last publication) */
} clog_stats;

/* Opens (creating if needed) the log in `dir`: scans every segment (header, offset continuity,
 * length bounds, CRC), cuts a torn or corrupt TAIL off the last segment with a warning, and
 * fails with LC_ECORRUPT naming the file and byte offset for corruption before the tail.
 * LC_EBUSY if another clog (this or another process) has the directory open.
 * Starts the durability thread. opt may be NULL (defaults). */
int clog_open(const char *dir, const clog_options *opt, clog **out_log, lc_errbuf *eb)
    LC_MUST_USE;
/* Drains and syncs what is pending, stops the threads, frees. Returns 0, or the sticky error
 * if the log had failed (then pending records were NOT made durable). NULL is a no-op. */
int clog_close(clog *log);

/* Queues one transaction. tx_offset must equal clog_next_offset(log). Never waits for I/O;
 * waits only for queue space (back-pressure). LC_EIO if the log has failed, LC_ELIMIT if
 * len > LC_CLOG_RECORD_MAX, LC_EINVAL for an out-of-order offset. */
int clog_append(clog *log, u64 tx_offset, const void *payload, size_t len, lc_errbuf *eb)
    LC_MUST_USE;
/* Offset the next append must carry (= log end found on open + appends since). */
u64 clog_next_offset(clog *log);
/* Offsets < the returned value are durable. Lock-free (acquire load). */
u64 clog_durable_end(const clog *log);
/* Waits until offset `tx_offset` is durable. 0; LC_EAGAIN on timeout (timeout_ms < 0 waits
 * forever); LC_EIO if the log failed first. */
int clog_wait_durable(clog *log, u64 tx_offset, i64 timeout_ms) LC_MUST_USE;
/* 0 or the sticky failure code (with its message copied into eb). */
int clog_failed(clog *log, lc_errbuf *eb);
void clog_get_stats(clog *log, clog_stats *out_stats);
const char *clog_dir(const clog *log);

/* Replays durable-on-disk records with offsets in [from, clog_next_offset at open) in order,
 * re-checking each CRC (pair check with append). Stops at the first error of cb. Must be
 * called before any append. */
typedef int (*clog_replay_cb)(void *ctx, u64 tx_offset, const u8 *payload, size_t len,
                              lc_errbuf *eb);
int clog_replay(clog *log, u64 from, void *ctx, clog_replay_cb cb, lc_errbuf *eb) LC_MUST_USE;

/* ---- snapshots (clog/snapshot.c) ---- */

/* Writes a snapshot synchronously: zstd-compress, temp file, fsync, rename to
 * {tx_end:020}.lcsnap, fsync the directory, prune to opt->snapshots_keep. */
int clog_snapshot_write(const char *dir, const clog_options *opt, u64 tx_end, const u8 *bytes,
                        size_t len, lc_errbuf *eb) LC_MUST_USE;
/* Reads and verifies a snapshot file (header CRC, sizes, zstd frame, content CRC). On success
 * *out_bytes is lc_alloc'd (caller lc_frees). LC_ECORRUPT/LC_EIO/LC_ENOTSUP with a message. */
int clog_snapshot_read(const char *path, u64 *out_tx_end, u8 **out_bytes, size_t *out_len,
                       lc_errbuf *eb) LC_MUST_USE;
/* Lists the snapshot ends in dir, newest first, into out (capacity cap). Returns the count
 * (possibly > cap) or a negative LC_E*. */
int clog_snapshot_list(const char *dir, u64 *out_ends, int cap) LC_MUST_USE;
/* Renames {tx_end}.lcsnap to .lcsnap.invalid (recovery does this for rejected snapshots). */
int clog_snapshot_invalidate(const char *dir, u64 tx_end) LC_MUST_USE;
/* Background snapshot: takes ownership of `bytes` (lc_alloc'd) and writes it on the snapshot
 * thread. LC_EBUSY (ownership NOT taken) if a snapshot is still being written. */
int clog_snapshot_request(clog *log, u64 tx_end, u8 *bytes, size_t len) LC_MUST_USE;
/* Waits for the background snapshot (if any) to finish; returns its result. */
int clog_snapshot_wait(clog *log, lc_errbuf *eb) LC_MUST_USE;

/* ---- recovery (clog/recover.c) ---- */

/* How recovery talks to a store, without clog knowing the store's types. */
typedef struct clog_recover_ops {
    void *ctx;
    /* Empty the store again (after a snapshot that failed half way through loading). */
    void (*reset)(void *ctx);
    /* Load a whole-store snapshot (verified bytes) into the empty store. */
    int (*snapshot_load)(void *ctx, u64 tx_end, const u8 *p, size_t n, lc_errbuf *eb);
    /* Apply one logged transaction. */
    clog_replay_cb apply;
} clog_recover_ops;

typedef struct clog_recover_stats {
    bool has_snapshot;
    u64 snapshot_tx_end;    /* valid when has_snapshot */
    u32 snapshots_rejected; /* newer than the log, unreadable, corrupt or failing to load */
    u64 log_end;            /* clog_next_offset after open */
    u64 replayed;           /* transactions replayed */
    u64 open_ns, snapshot_ns, replay_ns;
} clog_recover_stats;

/* Recovery = open the log (repairing its tail) + newest valid snapshot with tx_end <= log end
 * (rejected ones are logged and renamed *.invalid) + replay of the log suffix. On success the
 * log is open for appends at clog_next_offset. out_stats may be NULL. */
int clog_recover(const char *dir, const clog_options *opt, const clog_recover_ops *ops,
                 clog **out_log, clog_recover_stats *out_stats, lc_errbuf *eb) LC_MUST_USE;

#endif
