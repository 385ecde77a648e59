/*
 * tests/fuzz/fuzz_clog.c — libFuzzer target for the two on-disk parsers of clog: the segment
 * scanner (clog_seg_scan_run over arbitrary bytes as a segment) and the snapshot reader
 * (clog_snapshot_read of arbitrary bytes as a snapshot file, through a memfd). Neither may
 * crash, read out of bounds or allocate without a bound; a scan never claims more good bytes
 * than it was given.
 *
 *   make MODE=fuzz fuzz-clog   (runs for LC_FUZZ_SECONDS, default 60)
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/log.h"
#include "clog/clog_int.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
    lc_log_set_level(LC_LOG_ERROR);
    clog_seg_map m = {size ? data : NULL, size};
    clog_seg_scan sc;
    clog_seg_scan_run(&m, 0, 0, &sc);
    LC_ASSERT(sc.good_size <= size);
    LC_ASSERT(sc.is_bad || sc.good_size == size);
    int fd = memfd_create("snap", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        u64 end;
        u8 *bytes;
        size_t len;
        lc_errbuf eb;
        if (clog_snapshot_read(path, &end, &bytes, &len, &eb) == 0) lc_free(bytes);
    }
    close(fd);
    return 0;
}
