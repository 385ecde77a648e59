/*
 * tests/wasm-spec/spectest.h — the `spectest` host module that the official spec tests
 * import: print functions that do nothing, four immutable globals (i32/i64 666, f32/f64
 * 666.6), a funcref table of 10..20 elements and a memory of 1..2 pages.
 *
 * spectest_init creates the objects and defines them in a linker; the linker holds its own
 * references, spectest_deinit releases the spectest's. One spectest per .wast file, so the
 * shared table and memory start fresh for each file.
 */
#ifndef LC_TESTS_WASM_SPEC_SPECTEST_H
#define LC_TESTS_WASM_SPEC_SPECTEST_H

#include "wasm/wasm.h"

typedef struct spectest {
    lc_wasm_memory *memory;
    lc_wasm_table *table;
    lc_wasm_global *globals[4];
} spectest;

/* Returns 0 or the engine's error code; on failure everything created is released. */
LC_MUST_USE int spectest_init(spectest *st, lc_wasm_linker *linker);
void spectest_deinit(spectest *st);

#endif
