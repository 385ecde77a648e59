/*
 * clog/segment.c — the on-disk format of log segments: framing, checking and scanning.
 *
 * A log is a directory of segments named {first_tx_offset:020}.stdb.log. This is
 * SpacetimeDB's commitlog format v1 (spec-engine-semantics §2.1-2.2), byte for byte.
 *
 * Segment header (10 bytes, once per file):
 *   OFFSET  SIZE  DESCRIPTION
 *   0       6     magic "(ds)^2" = 28 64 73 29 5e 32
 *   6       1     format version = 1 (a higher version is refused: LC_ENOTSUP)
 *   7       1     checksum algorithm = 0 (CRC-32C; anything else refused)
 *   8       2     reserved, zero
 *
 * Commit record (repeated until end of file), all integers little-endian:
 *   OFFSET  SIZE  DESCRIPTION
 *   0       8     min_tx_offset: offset of the transaction; previous record's + 1, across
 *                 segment boundaries too (gapless)
 *   8       8     epoch: replication term, never decreasing; 0 standalone
 *   16      2     n: transactions in the record; always 1 (we write one tx per record, as
 *                 SpacetimeDB does; other values are refused on read)
 *   18      4     len: payload bytes, <= LC_CLOG_RECORD_MAX (untrusted: bounded before use)
 *   22      len   payload: one transaction's Txdata (opaque to clog)
 *   22+len  4     CRC-32C of bytes [0, 22+len)
 *
 * Durability invariants:
 *   1. A record is acknowledged (durable end published) only after the fdatasync that covers
 *      its bytes has returned 0 (clog.c).
 *   2. Records are only ever appended; bytes before the durable end are never rewritten.
 *   3. A new segment's header and directory entry are fsynced before records go into it.
 *   4. The CRC is computed when the record is framed (clog_append) and checked again on
 *      every scan and replay (debug builds also re-check it before the write).
 *   5. On open, the only bytes ever removed are a TAIL after the last good record of the last
 *      segment: an incomplete write, never acknowledged (by 1). If a valid record follows the
 *      bad spot, the damage is not a torn write: open fails (LC_ECORRUPT, file + offset).
 *      Caveat: after a POWER loss a file system may persist later pages of an unsynced batch
 *      and not earlier ones; that also reads as mid-log corruption and needs an operator,
 *      which is the safe side (nothing acknowledged sits after such a hole).
 *
 * Segment states (writer side, clog.c):
 *
 *   (none) --seg_create--> OPEN(header synced) --write_batch--> WRITING --rotate--> SEALED
 *                                                  ^   |             (fdatasync + close)
 *                                                  +---+ (records; size < max)
 *   on open: last segment --clog_open(scan, truncate tail)--> WRITING
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/crc32c.h"
#include "base/limits.h"
#include "clog/clog_int.h"

const u8 clog_seg_magic[6] = {0x28, 0x64, 0x73, 0x29, 0x5e, 0x32};

_Static_assert(CLOG_REC_HEADER_SIZE == 8 + 8 + 2 + 4, "record header layout");

void clog_seg_header_encode(u8 out[CLOG_SEG_HEADER_SIZE])
{
    memcpy(out, clog_seg_magic, 6);
    out[6] = CLOG_SEG_VERSION;
    out[7] = CLOG_SEG_CHECKSUM_CRC32C;
    out[8] = 0;
    out[9] = 0;
}

void clog_record_encode(u8 *out, u64 tx_offset, u64 epoch, const void *payload, u32 len)
{
    LC_ASSERT(len <= LC_CLOG_RECORD_MAX);
    lc_store_u64(out, tx_offset);
    lc_store_u64(out + 8, epoch);
    lc_store_u16(out + 16, 1);
    lc_store_u32(out + 18, len);
    if (len) memcpy(out + CLOG_REC_HEADER_SIZE, payload, len);
    u32 crc = lc_crc32c_update(0, out, CLOG_REC_HEADER_SIZE + len);
    lc_store_u32(out + CLOG_REC_HEADER_SIZE + len, crc);
}

size_t clog_record_check(const u8 *p, size_t avail, u64 expect_offset, u64 min_epoch,
                         char *why, size_t why_size)
{
    if (avail < CLOG_REC_HEADER_SIZE) {
        snprintf(why, why_size, "partial record header (%zu bytes)", avail);
        return 0;
    }
    u64 off = lc_load_u64(p), epoch = lc_load_u64(p + 8);
    u16 n = lc_load_u16(p + 16);
    u32 len = lc_load_u32(p + 18);
    if (off != expect_offset) {
        snprintf(why, why_size, "record offset %llu, expected %llu", (unsigned long long)off,
                 (unsigned long long)expect_offset);
        return 0;
    }
    if (n != 1) {
        snprintf(why, why_size, "record holds %u transactions (only 1 is supported)", n);
        return 0;
    }
    if (epoch < min_epoch) {
        snprintf(why, why_size, "epoch went back to %llu", (unsigned long long)epoch);
        return 0;
    }
    if (len > LC_CLOG_RECORD_MAX) {
        snprintf(why, why_size, "record length %u over the limit", len);
        return 0;
    }
    size_t total = (size_t)CLOG_REC_OVERHEAD + len;
    if (avail < total) {
        snprintf(why, why_size, "partial record (%zu of %zu bytes)", avail, total);
        return 0;
    }
    u32 want = lc_load_u32(p + CLOG_REC_HEADER_SIZE + len);
    u32 got = lc_crc32c_update(0, p, CLOG_REC_HEADER_SIZE + len);
    if (want != got) {
        snprintf(why, why_size, "CRC mismatch (stored %08x, computed %08x)", want, got);
        return 0;
    }
    return total;
}

/* After a bad spot at `pos`, is there any valid record further on? A torn write leaves only
 * garbage or a prefix; a valid record after the damage means the damage is in the middle of
 * acknowledged data. Candidate offsets are bounded by what could fit in the remaining bytes,
 * so the byte-by-byte search only runs a CRC on plausible headers. */
static bool later_record_exists(const clog_seg_map *m, size_t pos, u64 expect, u64 epoch)
{
    char why[128];
    for (size_t q = pos + 1; q + CLOG_REC_OVERHEAD <= m->size; q++) {
        u64 off = lc_load_u64(m->p + q);
        u64 room = (m->size - q) / CLOG_REC_OVERHEAD + 1;
        if (off < expect || off > expect + room) continue;
        if (lc_load_u16(m->p + q + 16) != 1) continue;
        if (clog_record_check(m->p + q, m->size - q, off, epoch, why, sizeof why)) return true;
    }
    return false;
}

void clog_seg_scan_run(const clog_seg_map *m, u64 first, u64 epoch, clog_seg_scan *out)
{
    memset(out, 0, sizeof *out);
    out->end = first;
    out->epoch = epoch;
    if (m->size < CLOG_SEG_HEADER_SIZE) {
        out->is_bad = true;
        snprintf(out->why, sizeof out->why, "segment shorter than its header (%zu bytes)",
                 m->size);
        return;
    }
    if (memcmp(m->p, clog_seg_magic, 6) != 0 || m->p[6] == 0 || m->p[6] > CLOG_SEG_VERSION ||
        m->p[7] != CLOG_SEG_CHECKSUM_CRC32C) {
        out->is_bad = true;
        snprintf(out->why, sizeof out->why, "bad segment header (magic/version %u/checksum %u)",
                 m->p[6], m->p[7]);
        return;
    }
    size_t pos = CLOG_SEG_HEADER_SIZE;
    out->good_size = pos;
    while (pos < m->size) {
        size_t n = clog_record_check(m->p + pos, m->size - pos, out->end, out->epoch, out->why,
                                     sizeof out->why);
        if (!n) {
            out->is_bad = true;
            out->has_later_record = later_record_exists(m, pos, out->end, out->epoch);
            return;
        }
        out->epoch = lc_load_u64(m->p + pos + 8);
        out->end++;
        pos += n;
        out->good_size = pos;
    }
}

int clog_seg_map_open(const char *path, clog_seg_map *out, lc_errbuf *eb)
{
    out->p = NULL;
    out->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lc_errf(eb, LC_EIO, "open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return lc_errf(eb, LC_EIO, "stat %s: %s", path, strerror(e));
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return lc_errf(eb, LC_EIO, "mmap %s: %s", path, strerror(e));
        }
        madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
        out->p = p;
        out->size = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

void clog_seg_map_close(clog_seg_map *m)
{
    if (m->p) munmap((void *)m->p, m->size);
    m->p = NULL;
    m->size = 0;
}

void clog_seg_path(char *out, size_t cap, const char *dir, u64 first)
{
    snprintf(out, cap, "%s/%020llu" CLOG_SEG_SUFFIX, dir, (unsigned long long)first);
}

static int cmp_u64(const void *a, const void *b)
{
    u64 x = *(const u64 *)a, y = *(const u64 *)b;
    return x < y ? -1 : x > y;
}

/* Parses "{20 digits}{suffix}" exactly; other names are not ours and are ignored. */
bool clog_name_parse(const char *name, const char *suffix, u64 *out)
{
    size_t sl = strlen(suffix);
    if (strlen(name) != 20 + sl || strcmp(name + 20, suffix) != 0) return false;
    u64 v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        u64 d = (u64)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int clog_seg_list(const char *dir, u64 **out, lc_errbuf *eb)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) return lc_errf(eb, LC_EIO, "opendir %s: %s", dir, strerror(errno));
    u64 *v = NULL;
    int n = 0, cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        u64 first;
        if (!clog_name_parse(e->d_name, CLOG_SEG_SUFFIX, &first)) continue;
        if (n == cap) {
            int nc = cap ? cap * 2 : 16;
            u64 *nv = lc_realloc(v, (size_t)nc * sizeof *nv);
            if (!nv) {
                rc = LC_ENOMEM;
                goto fail;
            }
            v = nv;
            cap = nc;
        }
        v[n++] = first;
    }
    closedir(d);
    if (n) qsort(v, (size_t)n, sizeof *v, cmp_u64);
    *out = v;
    return n;
fail:
    closedir(d);
    lc_free(v);
    return lc_errf(eb, rc, "listing %s: out of memory", dir);
}

int clog_io_write_all(const clog_io *io, int fd, const void *p, size_t n, const char *what,
                      lc_errbuf *eb)
{
    const u8 *q = p;
    while (n) {
        ssize_t w = io->write_fn ? io->write_fn(io->ctx, fd, q, n) : write(fd, q, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            return lc_errf(eb, LC_EIO, "write to %s failed: %s", what,
                           w < 0 ? strerror(errno) : "wrote nothing");
        }
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

int clog_io_sync(const clog_io *io, int fd, const char *what, lc_errbuf *eb)
{
    int r;
    do {
        r = io->sync_fn ? io->sync_fn(io->ctx, fd) : fdatasync(fd);
    } while (r != 0 && errno == EINTR);
    if (r != 0) return lc_errf(eb, LC_EIO, "fdatasync of %s failed: %s", what, strerror(errno));
    return 0;
}

int clog_dir_sync(const char *dir, lc_errbuf *eb)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return lc_errf(eb, LC_EIO, "open directory %s: %s", dir, strerror(errno));
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0) return lc_errf(eb, LC_EIO, "fsync of directory %s failed: %s", dir, strerror(e));
    return 0;
}
