/*
 * tests/fuzz/net_replay.c — runs the net/ fuzz targets' LLVMFuzzerTestOneInput over corpus
 * files without libFuzzer, so `make test` (any MODE, ASan included) replays the seed corpora
 * and every crash reproducer we keep. Usage: net_replay_<target> FILE...
 * Prints "<target>: N files" and exits non-zero if a file cannot be read (a crash or failed
 * invariant aborts, which the suite reports as a failure).
 */
#include <stdio.h>

#include "base/alloc.h"
#include "base/types.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int main(int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            return 1;
        }
        enum { CAP = 1 << 20 };
        u8 *buf = lc_alloc(CAP);
        if (!buf) {
            fclose(f);
            return 1;
        }
        size_t n = fread(buf, 1, CAP, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        lc_free(buf);
        files++;
    }
    printf("%s: %d files\n", argc > 0 ? argv[0] : "replay", files);
    return 0;
}
