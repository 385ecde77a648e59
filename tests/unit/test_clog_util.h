/*
 * tests/unit/test_clog_util.h — helpers shared by the commit-log unit tests: temporary
 * directories, deterministic payloads, a replay checker and a fault-injecting I/O layer.
 */
#ifndef LC_TESTS_TEST_CLOG_UTIL_H
#define LC_TESTS_TEST_CLOG_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/types.h"
#include "clog/clog.h"

static inline void tc_tmpdir(char out[64])
{
    snprintf(out, 64, "/tmp/lc_clog_test_XXXXXX");
    if (!mkdtemp(out)) abort();
}

static inline void tc_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Payload of transaction i: 1..64 bytes, content derived from i. */
static inline size_t tc_payload(u64 i, u8 out[64])
{
    size_t n = (size_t)((i * 7) % 64) + 1;
    for (size_t j = 0; j < n; j++) out[j] = (u8)(i * 31 + j);
    return n;
}

typedef struct tc_replay {
    u64 next;   /* expected next offset */
    u64 count;
    bool bad;
} tc_replay;

static inline int tc_replay_cb(void *ctx, u64 off, const u8 *p, size_t n, lc_errbuf *eb)
{
    tc_replay *r = ctx;
    u8 want[64];
    size_t wn = tc_payload(off, want);
    if (off != r->next || n != wn || memcmp(p, want, n) != 0) r->bad = true;
    r->next = off + 1;
    r->count++;
    return 0;
}

static inline long tc_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static inline void tc_seg_path(char *out, size_t cap, const char *dir, u64 first)
{
    snprintf(out, cap, "%s/%020llu.stdb.log", dir, (unsigned long long)first);
}

/* Fault-injecting I/O: after `writes_ok` writes (or `syncs_ok` syncs) every later one fails
 * with EIO; -1 = never fail. sync_sleep_us slows every sync down (batching tests). */
typedef struct tc_faults {
    _Atomic long writes_ok, syncs_ok;
    _Atomic long writes, syncs;
    unsigned sync_sleep_us;
} tc_faults;

static inline ssize_t tc_write(void *ctx, int fd, const void *p, size_t n)
{
    tc_faults *f = ctx;
    long k = atomic_fetch_add(&f->writes, 1);
    long ok = atomic_load(&f->writes_ok);
    if (ok >= 0 && k >= ok) {
        errno = ENOSPC;
        return -1;
    }
    return write(fd, p, n);
}

static inline int tc_sync(void *ctx, int fd)
{
    tc_faults *f = ctx;
    if (f->sync_sleep_us) usleep(f->sync_sleep_us);
    long k = atomic_fetch_add(&f->syncs, 1);
    long ok = atomic_load(&f->syncs_ok);
    if (ok >= 0 && k >= ok) {
        errno = EIO;
        return -1;
    }
    return fdatasync(fd);
}

static inline clog_io tc_io(tc_faults *f)
{
    clog_io io = {tc_write, tc_sync, f};
    return io;
}

#endif
