/*
 * clog/snapshot.c — whole-store snapshot files: format, atomic write, verified read, pruning.
 *
 * A snapshot is the store's own encoding of everything committed with offset < tx_end
 * (opaque here), zstd-compressed, in ONE file {tx_end:020}.lcsnap next to the log segments:
 *
 *   OFFSET  SIZE        DESCRIPTION
 *   0       8           magic "LCSNAP\r\n" (the CR/LF catch text-mode mangling)
 *   8       4           version = 1 (higher refused: LC_ENOTSUP)
 *   12      4           flags: bit 0 = payload is one zstd frame (always set by this writer)
 *   16      8           tx_end: transactions [0, tx_end) are in the snapshot
 *   24      8           raw_len: uncompressed bytes, <= LC_CLOG_SNAPSHOT_MAX
 *   32      8           stored_len: bytes after this header; must equal file size - 48
 *   40      4           CRC-32C of the raw (uncompressed) bytes
 *   44      4           CRC-32C of header bytes [0, 44)
 *   48      stored_len  payload
 *
 * Completion protocol (a crash at any point leaves either the old set or the new file whole):
 *   1. write {tx_end}.lcsnap.tmp, fdatasync it;
 *   2. rename to {tx_end}.lcsnap (atomic), fsync the directory;
 *   3. prune: keep the newest opt->snapshots_keep snapshots, unlink older ones.
 * Leftover *.tmp files are removed by recovery. A snapshot may be AHEAD of the durable log
 * (it is taken from committed state); recovery rejects such ones (clog/recover.c).
 *
 * Who calls this: clog_snapshot_request (clog.c) runs clog_snapshot_write on the snapshot
 * thread, so the database thread pays only for the store's encode; tests call it directly.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/crc32c.h"
#include "base/limits.h"
#include "base/log.h"
#include "clog/clog_int.h"

#define SNAP_HEADER_SIZE 48u
#define SNAP_VERSION 1u
#define SNAP_FLAG_ZSTD 1u
#define SNAP_SUFFIX ".lcsnap"
static const u8 snap_magic[8] = {'L', 'C', 'S', 'N', 'A', 'P', '\r', '\n'};

static void snap_path(char *out, size_t cap, const char *dir, u64 end, const char *ext)
{
    snprintf(out, cap, "%s/%020llu" SNAP_SUFFIX "%s", dir, (unsigned long long)end, ext);
}

void clog_snapshot_path(char *out, size_t cap, const char *dir, u64 tx_end)
{
    snap_path(out, cap, dir, tx_end, "");
}

static void header_encode(u8 *h, u64 tx_end, u64 raw_len, u64 stored_len, u32 raw_crc)
{
    memcpy(h, snap_magic, 8);
    lc_store_u32(h + 8, SNAP_VERSION);
    lc_store_u32(h + 12, SNAP_FLAG_ZSTD);
    lc_store_u64(h + 16, tx_end);
    lc_store_u64(h + 24, raw_len);
    lc_store_u64(h + 32, stored_len);
    lc_store_u32(h + 40, raw_crc);
    lc_store_u32(h + 44, lc_crc32c_update(0, h, 44));
}

static int write_file(const char *path, const clog_io *io, const u8 *p, size_t n, lc_errbuf *eb)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return lc_errf(eb, LC_EIO, "create %s: %s", path, strerror(errno));
    int rc = clog_io_write_all(io, fd, p, n, path, eb);
    if (!rc) rc = clog_io_sync(io, fd, path, eb);
    close(fd);
    return rc;
}

static void prune(const char *dir, u32 keep)
{
    u64 ends[64];
    int n = clog_snapshot_list(dir, ends, (int)LC_ARRAY_LEN(ends));
    if (n > (int)LC_ARRAY_LEN(ends)) n = (int)LC_ARRAY_LEN(ends); /* the rest next time */
    for (int i = (int)keep; i < n; i++) {
        char path[CLOG_PATH_MAX];
        snap_path(path, sizeof path, dir, ends[i], "");
        if (unlink(path) != 0) LC_LOG_W("clog", "unlink %s: %s", path, strerror(errno));
        else LC_LOG_D("clog", "pruned snapshot %s", path);
    }
}

int clog_snapshot_write(const char *dir, const clog_options *opt, u64 tx_end, const u8 *bytes,
                        size_t len, lc_errbuf *eb)
{
    if (len > LC_CLOG_SNAPSHOT_MAX) return lc_errf(eb, LC_ELIMIT, "snapshot of %zu bytes", len);
    clog_options o = {0};
    if (opt) o = *opt;
    size_t bound = ZSTD_compressBound(len);
    u8 *buf = lc_alloc(SNAP_HEADER_SIZE + bound);
    if (!buf) return lc_errf(eb, LC_ENOMEM, "out of memory compressing a snapshot");
    size_t c = ZSTD_compress(buf + SNAP_HEADER_SIZE, bound, bytes, len,
                             o.snapshot_level ? o.snapshot_level : 1);
    int rc = 0;
    if (ZSTD_isError(c)) {
        rc = lc_errf(eb, LC_ENOMEM, "zstd: %s", ZSTD_getErrorName(c));
        goto out;
    }
    header_encode(buf, tx_end, len, c, lc_crc32c_update(0, bytes, len));
    char tmp[CLOG_PATH_MAX], final[CLOG_PATH_MAX];
    snap_path(tmp, sizeof tmp, dir, tx_end, ".tmp");
    snap_path(final, sizeof final, dir, tx_end, "");
    rc = write_file(tmp, &o.io, buf, SNAP_HEADER_SIZE + c, eb);
    if (!rc && rename(tmp, final) != 0)
        rc = lc_errf(eb, LC_EIO, "rename %s: %s", tmp, strerror(errno));
    if (!rc) rc = clog_dir_sync(dir, eb);
    if (rc) {
        unlink(tmp);
        goto out;
    }
    LC_LOG_I("clog", "snapshot %s: %zu bytes, %zu compressed", final, len, c);
    prune(dir, o.snapshots_keep ? o.snapshots_keep : 2);
out:
    lc_free(buf);
    return rc;
}

/* Reads the whole file (size already bounded by the caller). */
static int read_all(int fd, u8 *p, size_t n, const char *path, lc_errbuf *eb)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            return lc_errf(eb, LC_EIO, "read %s: %s", path, r < 0 ? strerror(errno) : "short");
        got += (size_t)r;
    }
    return 0;
}

static int check_header(const u8 *h, size_t file_size, const char *path, lc_errbuf *eb)
{
    if (memcmp(h, snap_magic, 8) != 0) return lc_errf(eb, LC_ECORRUPT, "%s: bad magic", path);
    if (lc_load_u32(h + 44) != lc_crc32c_update(0, h, 44))
        return lc_errf(eb, LC_ECORRUPT, "%s: header CRC mismatch", path);
    if (lc_load_u32(h + 8) != SNAP_VERSION || lc_load_u32(h + 12) != SNAP_FLAG_ZSTD)
        return lc_errf(eb, LC_ENOTSUP, "%s: version %u flags %u not supported", path,
                       lc_load_u32(h + 8), lc_load_u32(h + 12));
    if (lc_load_u64(h + 24) > LC_CLOG_SNAPSHOT_MAX)
        return lc_errf(eb, LC_ECORRUPT, "%s: raw size over the limit", path);
    if (lc_load_u64(h + 32) != file_size - SNAP_HEADER_SIZE)
        return lc_errf(eb, LC_ECORRUPT, "%s: file is %zu bytes, header says %llu + 48", path,
                       file_size, (unsigned long long)lc_load_u64(h + 32));
    return 0;
}

static int decompress(const u8 *h, const u8 *z, size_t zn, u8 **out, const char *path,
                      lc_errbuf *eb)
{
    u64 raw_len = lc_load_u64(h + 24);
    unsigned long long fc = ZSTD_getFrameContentSize(z, zn);
    if (fc != raw_len)
        return lc_errf(eb, LC_ECORRUPT, "%s: zstd frame size %llu, header says %llu", path, fc,
                       (unsigned long long)raw_len);
    u8 *raw = lc_alloc((size_t)raw_len);
    if (!raw) return lc_errf(eb, LC_ENOMEM, "%s: out of memory (%llu bytes)", path, fc);
    size_t d = ZSTD_decompress(raw, (size_t)raw_len, z, zn);
    if (ZSTD_isError(d) || d != raw_len || lc_crc32c_update(0, raw, d) != lc_load_u32(h + 40)) {
        lc_free(raw);
        return lc_errf(eb, LC_ECORRUPT, "%s: %s", path,
                       ZSTD_isError(d) ? ZSTD_getErrorName(d) : "content CRC mismatch");
    }
    *out = raw;
    return 0;
}

int clog_snapshot_read(const char *path, u64 *out_end, u8 **out_bytes, size_t *out_len,
                       lc_errbuf *eb)
{
    *out_bytes = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lc_errf(eb, LC_EIO, "open %s: %s", path, strerror(errno));
    struct stat st;
    u8 *file = NULL;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = lc_errf(eb, LC_EIO, "stat %s: %s", path, strerror(errno));
        goto out;
    }
    size_t size = (size_t)st.st_size;
    if (size < SNAP_HEADER_SIZE || size - SNAP_HEADER_SIZE > ZSTD_compressBound(LC_CLOG_SNAPSHOT_MAX)) {
        rc = lc_errf(eb, LC_ECORRUPT, "%s: implausible size %zu", path, size);
        goto out;
    }
    file = lc_alloc(size);
    if (!file) {
        rc = lc_errf(eb, LC_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    rc = read_all(fd, file, size, path, eb);
    if (!rc) rc = check_header(file, size, path, eb);
    if (!rc) rc = decompress(file, file + SNAP_HEADER_SIZE, size - SNAP_HEADER_SIZE, out_bytes,
                             path, eb);
    if (!rc) {
        *out_end = lc_load_u64(file + 16);
        *out_len = (size_t)lc_load_u64(file + 24);
    }
out:
    lc_free(file);
    close(fd);
    return rc;
}

static int cmp_desc(const void *a, const void *b)
{
    u64 x = *(const u64 *)a, y = *(const u64 *)b;
    return x > y ? -1 : x < y;
}

int clog_snapshot_list(const char *dir, u64 *out, int cap)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : LC_EIO;
    int n = 0;
    struct dirent *e;
    u64 all[1024];
    while ((e = readdir(d)) != NULL) {
        u64 end;
        if (!clog_name_parse(e->d_name, SNAP_SUFFIX, &end)) continue;
        if (n < (int)LC_ARRAY_LEN(all)) all[n] = end;
        n++;
    }
    closedir(d);
    int kept = LC_MIN(n, (int)LC_ARRAY_LEN(all));
    qsort(all, (size_t)kept, sizeof all[0], cmp_desc);
    for (int i = 0; i < kept && i < cap; i++) out[i] = all[i];
    return n;
}

int clog_snapshot_invalidate(const char *dir, u64 tx_end)
{
    char from[CLOG_PATH_MAX], to[CLOG_PATH_MAX];
    snap_path(from, sizeof from, dir, tx_end, "");
    snap_path(to, sizeof to, dir, tx_end, ".invalid");
    if (rename(from, to) != 0) return LC_EIO;
    lc_errbuf eb;
    return clog_dir_sync(dir, &eb);
}

/* Removes *.lcsnap.tmp leftovers of a crash during a snapshot write. */
void clog_snapshot_clean_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0 && strstr(e->d_name, SNAP_SUFFIX)) {
            char path[CLOG_PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (unlink(path) == 0) LC_LOG_I("clog", "removed unfinished snapshot %s", path);
        }
    }
    closedir(d);
}
