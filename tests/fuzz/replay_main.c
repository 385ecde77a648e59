/*
 * tests/fuzz/replay_main.c — the one corpus replayer for every fuzz target.
 *
 * In MODE=fuzz a target (tests/fuzz/fuzz_<input>.c) links with libFuzzer. In every other mode
 * the same target links with this main instead, which feeds each file named on the command
 * line, or each file inside a named directory (one level), to LLVMFuzzerTestOneInput, so
 * `make test` replays the seed corpora and kept reproducers under ASan. A crash, leak or
 * failed invariant kills the process, which the suite reports.
 *
 * Prints "<label>: N passed, N failed" (failed = unreadable files), where label is the
 * program's basename unless LC_REPLAY_LABEL is set. A target may define
 * lc_fuzz_replay_hook() to handle its own options first (fuzz_store writes seeds with it), and
 * lc_fuzz_replay_mutate = true to also replay cuts and bit flips of each file (cheap extra
 * coverage for targets whose seeds are few).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/types.h"

#define REPLAY_SIZE_MAX (4u << 20)

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
/* Returns -1 to continue with the replay, else the process exit code. */
__attribute__((weak)) int lc_fuzz_replay_hook(int argc, char **argv);
__attribute__((weak)) extern const bool lc_fuzz_replay_mutate;

/* Some truncations and single-byte flips of one input. */
static void replay_mutations(u8 *buf, size_t n)
{
    for (size_t cut = 1; cut < n; cut += 1 + n / 64) LLVMFuzzerTestOneInput(buf, cut);
    for (size_t i = 1; i < n; i += 1 + n / 32) {
        buf[i] ^= 0x41;
        LLVMFuzzerTestOneInput(buf, n);
        buf[i] ^= 0x41;
    }
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    u8 *buf = lc_alloc(REPLAY_SIZE_MAX);
    size_t n = buf ? fread(buf, 1, REPLAY_SIZE_MAX, f) : 0;
    fclose(f);
    if (!buf) return 1;
    LLVMFuzzerTestOneInput(buf, n);
    if (&lc_fuzz_replay_mutate && lc_fuzz_replay_mutate) replay_mutations(buf, n);
    lc_free(buf);
    return 0;
}

static void replay_dir(const char *dir, int *files, int *failed)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        *failed += replay_file(path);
        (*files)++;
    }
    if (d) closedir(d);
}

int main(int argc, char **argv)
{
    if (lc_fuzz_replay_hook) {
        int rc = lc_fuzz_replay_hook(argc, argv);
        if (rc >= 0) return rc;
    }
    int files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: cannot stat\n", argv[i]);
            failed++;
        } else if (S_ISDIR(st.st_mode)) {
            replay_dir(argv[i], &files, &failed);
        } else {
            failed += replay_file(argv[i]);
            files++;
        }
    }
    const char *label = getenv("LC_REPLAY_LABEL");
    if (!label) label = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    printf("%s: %d passed, %d failed\n", label, files - failed, failed);
    return failed ? 1 : 0;
}
