#!/usr/bin/env bash
# tests/suites/30-wasm-spec.sh — the official WebAssembly core spec tests.
#
# Converts each .wast of the test suite (WASM_TESTSUITE, else the first of
# ../shared/wasm-testsuite and /work/shared/wasm-testsuite that exists)
# with wabt's wast2json into $BUILD/wasm-spec/ (only files whose .wast changed), then runs
# $BUILD/wasm_spec_runner over the JSON, comparing failures with
# tests/wasm-spec/expected-failures.txt. Extra arguments go to the runner, e.g.
#   bash tests/suites/30-wasm-spec.sh --update-expected     refresh the known-failure list
#   bash tests/suites/30-wasm-spec.sh --only i32 -v         one file, every failure shown
# Before that it runs the runner's own self-test (tests/wasm-spec/selftest/) and the whole
# suite once with the interpreter alone (LC_WASM_JIT=0).
# Last line: "wasm-spec: N passed, N failed" (failed = failures not in the expected list).
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
suite="${WASM_TESTSUITE:-}"
if [ -z "$suite" ]; then
    for d in ../shared/wasm-testsuite /work/shared/wasm-testsuite; do
        if [ -d "$d" ]; then suite=$d; break; fi
    done
fi
out="$BUILD/wasm-spec"
expected=tests/wasm-spec/expected-failures.txt

if [ ! -x "$BUILD/wasm_spec_runner" ] && ! ls src/wasm/*.c >/dev/null 2>&1; then
    echo "wasm-spec: no engine sources in src/wasm/ yet: nothing to test"
    echo "wasm-spec: 0 passed, 0 failed"
    exit 0
fi
if ! command -v wast2json >/dev/null; then
    echo "wasm-spec: wast2json not found (apt-get install wabt, or make deps)"
    echo "wasm-spec: 0 passed, 1 failed"
    exit 1
fi
if [ -z "$suite" ] || [ ! -d "$suite" ] || ! ls "$suite"/*.wast >/dev/null 2>&1; then
    echo "wasm-spec: no .wast files in $suite (set WASM_TESTSUITE)"
    echo "wasm-spec: 0 passed, 1 failed"
    exit 1
fi
mkdir -p "$out"
convert_failed=0
for wast in "$suite"/*.wast; do
    name=$(basename "$wast" .wast)
    json="$out/$name.json"
    [ "$json" -nt "$wast" ] && continue
    rm -f "$out/$name".json "$out/$name".[0-9]*.wasm "$out/$name".[0-9]*.wat
    if ! wast2json "$wast" -o "$json" >/dev/null 2>"$out/$name.err"; then
        echo "wasm-spec: wast2json failed on $wast:"
        head -n 5 "$out/$name.err"
        rm -f "$json"
        convert_failed=$((convert_failed + 1))
    fi
done

# First the runner's self-test: selftest.wast has commands that must fail (listed in
# selftest-expected.txt; --fail-on-fixed makes a wrongly passing one an error) and hooks that
# crash and hang the child, which the runner must survive.
self="$out/selftest"
mkdir -p "$self"
selftest_failed=0
if ! wast2json --no-check tests/wasm-spec/selftest/selftest.wast -o "$self/selftest.json" \
        >/dev/null 2>"$self/err" ||
   ! WASM_SPEC_TEST_CRASH_LINE=72 WASM_SPEC_TEST_HANG_LINE=74 "$BUILD/wasm_spec_runner" \
        --timeout 2 --fail-on-fixed --expected tests/wasm-spec/selftest/selftest-expected.txt \
        "$self/selftest.json" >"$self/run.txt" 2>&1; then
    echo "wasm-spec: the runner's self-test FAILED:"
    cat "$self/err" "$self/run.txt"
    selftest_failed=1
else
    echo "wasm-spec: runner self-test ok ($(tail -n 1 "$self/run.txt"))"
fi

# The same commands with the interpreter alone (LC_WASM_JIT=0; the default run below uses
# native code from src/wasm/jit.c where the platform has it): both engines stay tested.
interp_failed=0
if ! LC_WASM_JIT=0 "$BUILD/wasm_spec_runner" --expected "$expected" "$@" "$out" \
        >"$out/interp-run.txt" 2>&1; then
    echo "wasm-spec: interpreter-only run (LC_WASM_JIT=0) FAILED:"
    tail -n 20 "$out/interp-run.txt"
    interp_failed=1
else
    echo "wasm-spec: interpreter-only run ok ($(tail -n 1 "$out/interp-run.txt"))"
fi

"$BUILD/wasm_spec_runner" --expected "$expected" "$@" "$out" | tee "$out/last-run.txt"
rc=${PIPESTATUS[0]}
convert_failed=$((convert_failed + selftest_failed + interp_failed))
if [ "$convert_failed" -ne 0 ]; then
    line=$(tail -n 1 "$out/last-run.txt")
    passed=$(echo "$line" | sed -nE 's/.* ([0-9]+) passed.*/\1/p')
    failed=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
    echo "wasm-spec: ${passed:-0} passed, $(( ${failed:-0} + convert_failed )) failed"
    exit 1
fi
exit "$rc"
