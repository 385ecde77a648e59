#!/usr/bin/env bash
# Server suite: replays the net/proto fuzz corpus (tests/fuzz/corpus/proto) through the fuzz
# target built as a plain program in the current MODE (ASan in CI).
set -u
pass=0
fail=0
files=(tests/fuzz/corpus/proto/*)
if [ -x "$BUILD/proto_replay" ] && "$BUILD/proto_replay" "${files[@]}"; then
    pass=$((pass + 1))
else
    echo "proto_replay: FAILED"; fail=$((fail + 1))
fi
echo "server: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
