#!/usr/bin/env bash
# tests/suites/32-wasm-fuzz-replay.sh — replays the wasm fuzz seed corpus and every saved
# reproducer (tests/fuzz/crashes/wasm-*) through tests/fuzz/fuzz_wasm.c built as a plain
# program, so the engine meets them under ASan in every `make test`.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
if [ ! -x "$BUILD/fuzz_wasm" ] && ! ls src/wasm/*.c >/dev/null 2>&1; then
    echo "wasm-fuzz-replay: no engine sources in src/wasm/ yet: nothing to test"
    echo "wasm-fuzz-replay: 0 passed, 0 failed"
    exit 0
fi
shopt -s nullglob
exec "$BUILD/fuzz_wasm" tests/fuzz/corpus/wasm tests/fuzz/crashes/wasm-*
