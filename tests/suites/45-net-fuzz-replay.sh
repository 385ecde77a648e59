#!/usr/bin/env bash
# Replays the net/ fuzz corpora (tests/fuzz/corpus/{ws,http,token}) through the fuzz targets'
# code built as plain programs in the current MODE (ASan in CI). One pass/fail per input kind.
set -u
pass=0
fail=0
for t in ws http token; do
    bin="$BUILD/net_replay_$t"
    files=(tests/fuzz/corpus/$t/*)
    if [ -x "$bin" ] && "$bin" "${files[@]}"; then pass=$((pass + 1)); else
        echo "net_replay_$t: FAILED"; fail=$((fail + 1)); fi
done
echo "net-fuzz-replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
