/*
 * host/modlog.h — a database's module log (spec-module-abi §4.5): console_log records and
 * host-injected records (reducer errors), readable later by the CLI / HTTP `logs`.
 *
 * Design. Each record gets a sequence number (1, 2, ...). The newest LC_HOST_MODLOG_RING
 * records are kept in a ring in memory (read_last / follow cursor), and every record is
 * appended as one JSON line to <dir>/module.log when a directory is given; the file rotates
 * to module.log.1 (one old generation kept) when it passes its size bound, so the disk use
 * is bounded by twice that. Messages are stored lossily as UTF-8 (invalid bytes -> U+FFFD)
 * and truncated to HOST_MODLOG_MSG_MAX bytes.
 */
#ifndef LC_HOST_MODLOG_H
#define LC_HOST_MODLOG_H

#include <stdio.h>

#include "base/buf.h"
#include "base/error.h"
#include "host/abi.h"

#define HOST_MODLOG_RING 1024
#define HOST_MODLOG_MSG_MAX 4096
#define HOST_MODLOG_FILE_MAX_DEFAULT (16u << 20)

typedef struct host_modlog_entry {
    u64 seq;
    i64 ts_micros;
    u8 level;
    u32 line;          /* 0xFFFFFFFF: absent */
    char *target;      /* lc_alloc'd, NUL-terminated; NULL: absent */
    char *filename;
    char *function;
    char *message;
} host_modlog_entry;

typedef struct host_modlog {
    host_modlog_entry ring[HOST_MODLOG_RING];
    u64 next_seq;      /* seq of the next record */
    FILE *file;        /* NULL: memory only */
    char path[512];
    u64 file_bytes, file_max;
} host_modlog;

/* dir may be NULL (memory only). file_max 0 = default. */
int host_modlog_open(host_modlog *l, const char *dir, u64 file_max, lc_errbuf *eb) LC_MUST_USE;
void host_modlog_close(host_modlog *l);
/* Appends one record (the host_log_fn shape; user = host_modlog *). */
void host_modlog_append(void *user, const host_log_record *rec);
/* Records with seq > after_seq still in the ring, oldest first, at most max; returns how many
 * were written to out (borrowed until the next append). Follow cursor: pass the last seq
 * seen. read_last(n) = read_since(max(0, next_seq - 1 - n)). */
u32 host_modlog_read_since(const host_modlog *l, u64 after_seq, const host_modlog_entry **out,
                           u32 max);
u32 host_modlog_read_last(const host_modlog *l, u32 n, const host_modlog_entry **out);

#endif
