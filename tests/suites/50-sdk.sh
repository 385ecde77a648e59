#!/usr/bin/env bash
# C module SDK (sdk/c-module, examples/): runs each host-less module test binary
# ($BUILD/tests/sdk/test_sdk_<module>: the module's own sources compiled natively against
# tests/sdk/fake_host.c), then checks every build/wasm/<module>.wasm with wabt: wasm-validate
# passes, every import comes from a spacetime_10.<minor> module, and the exports are exactly
# memory, __describe_module__ and __call_reducer__; with node installed it also runs them
# (tests/sdk/wasm_run.mjs). Last line: "sdk: N passed, N failed".
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
pass=0
fail=0
for bin in "$BUILD"/tests/sdk/test_sdk_*; do
    [ -x "$bin" ] || continue
    out=$("$bin" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
    else
        p=0; f=0
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    [ "$f" -ne 0 ] && printf '%s\n' "$out"
    echo "$(basename "$bin"): $p passed, $f failed"
    pass=$((pass + p)); fail=$((fail + f))
done

check_wasm() { # $1 = file; prints a reason and returns 1 on failure
    local w=$1 dump imports exports
    wasm-validate "$w" || { echo "$w: wasm-validate failed"; return 1; }
    # -mcpu=mvp: the modules must not need any post-1.0 feature
    wasm-validate --disable-sign-extension --disable-mutable-globals --disable-multi-value \
        --disable-saturating-float-to-int --disable-bulk-memory --disable-reference-types \
        --disable-simd "$w" || { echo "$w: uses a post-MVP feature"; return 1; }
    dump=$(wasm-objdump -x "$w") || return 1
    # every import of any kind (function, memory, table, global) has " <- module.name"
    imports=$(printf '%s\n' "$dump" | awk '/^Import\[/{on=1;next} /^[A-Z][a-z]*\[/{on=0} on' \
              | grep ' <- ' | sed -E 's/.* <- //')
    if printf '%s\n' "$imports" | grep -vqE '^spacetime_10\.[0-5]\.[a-z_0-9]+$'; then
        echo "$w: imports outside spacetime_10.x:"; printf '%s\n' "$imports"; return 1
    fi
    [ -n "$imports" ] || { echo "$w: no spacetime_10.x import (host cannot tell its ABI)"; return 1; }
    exports=$(printf '%s\n' "$dump" | awk '/^Export\[/{on=1;next} /^[A-Z][a-z]*\[/{on=0} on' \
              | grep ' -> "' | sed -E 's/.* -> "(.*)"/\1/' | sort | tr '\n' ' ')
    # __call_procedure__ and __call_view[_anon]__ are always exported, as the Rust bindings do (rt.rs)
    if [ "$exports" != "__call_procedure__ __call_reducer__ __call_view__ __call_view_anon__ __describe_module__ memory " ]; then
        echo "$w: unexpected exports: $exports"; return 1
    fi
    return 0
}

if command -v wasm-validate >/dev/null && command -v wasm-objdump >/dev/null; then
    for w in build/wasm/*.wasm; do
        [ -f "$w" ] || continue
        if check_wasm "$w"; then pass=$((pass + 1)); echo "$w: ok"; else fail=$((fail + 1)); fi
    done
else
    echo "wabt (wasm-validate, wasm-objdump) not installed: .wasm checks skipped"
fi
# The real .wasm files under Node's WebAssembly engine (tests/sdk/wasm_run.mjs): the wasm
# description must equal the native build's, and each example's scenario must pass.
if command -v node >/dev/null; then
    tmp=$(mktemp -d)
    for w in build/wasm/*.wasm; do
        [ -f "$w" ] || continue
        m=$(basename "$w" .wasm)
        bin="$BUILD/tests/sdk/test_sdk_$m"
        [ -x "$bin" ] || continue
        SDK_DESCRIBE_OUT="$tmp/$m.desc" "$bin" >/dev/null 2>&1
        [ -f "$tmp/$m.desc" ] || continue # a module that must not describe itself (bad-*)
        if out=$(node tests/sdk/wasm_run.mjs "$w" "$tmp/$m.desc" 2>&1); then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
        fi
        printf '%s\n' "$out" | tail -n 20
    done
    rm -rf "$tmp"
else
    echo "node not installed: the .wasm modules were not executed"
fi
echo "sdk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
