/*
 * tests/wasm-spec/spec.h — the WebAssembly spec-test runner's internal interface.
 *
 * The runner has two halves that talk through one file descriptor:
 *
 *   runner.c    (parent) finds the wast2json outputs, forks one child per .json file (up to
 *               -j at a time), reads what each child wrote, restarts a child that crashed or
 *               hung past the crashing command, and compares the failures with the committed
 *               expectations file.
 *   spec_exec.c (child)  parses one .json with jansson and runs its commands against the
 *               engine in src/wasm/, with the spectest host module from spectest.c.
 *
 * The child reports with write(2), one line per event, so nothing is lost if it then dies:
 *
 *   B <idx>                                  command idx is about to run
 *   R <idx> <P|F|S> <line> <kind>\t<message> its result: passed, failed or skipped (a pass
 *                                            may carry a "note:" message, counted apart)
 *   E                                        every command ran; the child exits normally
 *
 * A run that ends with a B line crashed (or was killed by its alarm) in that command; the
 * parent records it as failed and forks a fresh child that replays the earlier commands
 * silently (same module state) and skips the crashing ones.
 */
#ifndef LC_TESTS_WASM_SPEC_SPEC_H
#define LC_TESTS_WASM_SPEC_SPEC_H

#include "base/types.h"

/* Child options: which commands to skip (they crashed before) and from which index on to
 * report results (earlier ones were reported by a previous child). */
typedef struct spec_child_opts {
    const u32 *skip_idx;     /* sorted ascending; borrowed */
    u32 skip_count;
    u32 report_from_idx;     /* emit R lines only for idx >= this */
    u32 timeout_s;           /* SIGALRM per command; 0 = none */
    bool is_trace;           /* print each command to stderr as it runs */
    bool is_strict;          /* assert_invalid needs LC_EINVALID, assert_malformed LC_EMALFORMED */
} spec_child_opts;

/* Runs every command of one wast2json output file; writes the protocol above to out_fd.
 * Returns the process exit status to use (0 unless the file could not be read at all). */
int spec_file_run(const char *json_path, int out_fd, const spec_child_opts *opts);

#endif
