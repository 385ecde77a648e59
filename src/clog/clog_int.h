/*
 * clog/clog_int.h — private to src/clog/: the segment format constants (documented in full in
 * segment.c), the segment scanner used by open and replay, and small file helpers shared by
 * the log writer and the snapshot writer.
 */
#ifndef LC_CLOG_CLOG_INT_H
#define LC_CLOG_CLOG_INT_H

#include "base/error.h"
#include "base/types.h"
#include "clog/clog.h"

#define CLOG_SEG_HEADER_SIZE 10u
#define CLOG_SEG_VERSION 1u
#define CLOG_SEG_CHECKSUM_CRC32C 0u
#define CLOG_REC_HEADER_SIZE 22u /* u64 min_tx_offset, u64 epoch, u16 n, u32 len */
#define CLOG_REC_OVERHEAD (CLOG_REC_HEADER_SIZE + 4u)
#define CLOG_SEG_SUFFIX ".stdb.log"
#define CLOG_PATH_MAX 4096

extern const u8 clog_seg_magic[6];

/* Writes the 10-byte segment header into out. */
void clog_seg_header_encode(u8 out[CLOG_SEG_HEADER_SIZE]);
/* Frames one record into out (CLOG_REC_OVERHEAD + len bytes). */
void clog_record_encode(u8 *out, u64 tx_offset, u64 epoch, const void *payload, u32 len);

/* A segment mapped read-only for scanning or replay. */
typedef struct clog_seg_map {
    const u8 *p; /* NULL for an empty file */
    size_t size;
} clog_seg_map;
int clog_seg_map_open(const char *path, clog_seg_map *out, lc_errbuf *eb) LC_MUST_USE;
void clog_seg_map_close(clog_seg_map *m);

/* Result of scanning one segment from its header on. */
typedef struct clog_seg_scan {
    u64 end;          /* offset after the last good record */
    u64 epoch;        /* epoch of the last good record (or the incoming one) */
    size_t good_size; /* bytes up to and including the last good record */
    bool is_bad;      /* something after good_size is not a good record */
    bool has_later_record; /* a valid record follows the bad spot: corruption, not a tear */
    char why[128];    /* what was wrong at good_size */
} clog_seg_scan;
/* Scans a mapped segment whose first record must carry offset `first`. A bad segment header
 * sets is_bad with good_size 0. Never reads outside the map. */
void clog_seg_scan_run(const clog_seg_map *m, u64 first, u64 epoch, clog_seg_scan *out);
/* Checks the record at p (avail bytes); returns its total size, or 0 with why filled. */
size_t clog_record_check(const u8 *p, size_t avail, u64 expect_offset, u64 min_epoch,
                         char *why, size_t why_size);

/* Segment file name helpers. clog_name_parse accepts exactly "{20 digits}{suffix}". */
bool clog_name_parse(const char *name, const char *suffix, u64 *out);
void clog_seg_path(char *out, size_t cap, const char *dir, u64 first);
/* Lists segment first-offsets in dir ascending into *out (lc_alloc'd). Returns count or err. */
int clog_seg_list(const char *dir, u64 **out, lc_errbuf *eb) LC_MUST_USE;

/* File helpers over the I/O layer: full write (retrying short writes and EINTR), data sync,
 * and directory fsync. Return 0 or LC_EIO with a message naming `what`. */
int clog_io_write_all(const clog_io *io, int fd, const void *p, size_t n, const char *what,
                      lc_errbuf *eb) LC_MUST_USE;
int clog_io_sync(const clog_io *io, int fd, const char *what, lc_errbuf *eb) LC_MUST_USE;
int clog_dir_sync(const char *dir, lc_errbuf *eb) LC_MUST_USE;

/* Snapshot file helpers (snapshot.c). */
void clog_snapshot_path(char *out, size_t cap, const char *dir, u64 tx_end);
void clog_snapshot_clean_tmp(const char *dir);

#endif
