#!/usr/bin/env bash
# tests/run_all.sh — runs every suite in tests/suites/*.sh (in name order) and sums their
# results. Each suite prints its own "N passed, N failed" line last; a suite that exits
# non-zero or prints no such line counts as one failure. Ends with the grand total line that
# CI reads. Environment: BUILD (build directory), MODE.
set -u
cd "$(dirname "$0")/.."
: "${BUILD:=build/debug}"
export BUILD MODE
total_pass=0
total_fail=0
summary=()
for suite in tests/suites/*.sh; do
    name=$(basename "$suite" .sh)
    echo "=== suite $name"
    log=$(mktemp)
    start=$(date +%s)
    bash "$suite" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    secs=$(( $(date +%s) - start ))
    line=$(grep -E '([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    rm -f "$log"
    if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[1]}
        f=${BASH_REMATCH[2]}
    else
        p=0
        f=0
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    summary+=("$(printf '%-24s %6d passed %4d failed %5ds (exit %d)' "$name" "$p" "$f" "$secs" "$rc")")
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
