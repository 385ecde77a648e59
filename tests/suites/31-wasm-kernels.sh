#!/usr/bin/env bash
# tests/suites/31-wasm-kernels.sh — the benchmark kernels (bench/kernels/kernels.c) as an
# engine test: each runs once at a small size natively and as clang-compiled wasm in our
# interpreter, and the checksums must agree. Last line: "wasm-kernels: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
if [ ! -x "$BUILD/bench_wasm" ] && ! ls src/wasm/*.c >/dev/null 2>&1; then
    echo "wasm-kernels: no engine sources in src/wasm/ yet: nothing to test"
    echo "wasm-kernels: 0 passed, 0 failed"
    exit 0
fi
exec "$BUILD/bench_wasm" --check
