#!/usr/bin/env bash
# WebSocket client suite: replays the ServerMessage decoder's fuzz corpus
# (tests/fuzz/corpus/smsg, plus cuts and bit flips of each seed) through the fuzz target built
# as a plain program in the current MODE (ASan in CI). The client's unit tests
# (tests/unit/test_ws_client.c) run in the unit suite.
set -u
pass=0
fail=0
if [ -x "$BUILD/smsg_replay" ] && "$BUILD/smsg_replay" tests/fuzz/corpus/smsg; then
    pass=$((pass + 1))
else
    echo "smsg_replay: FAILED"; fail=$((fail + 1))
fi
echo "ws-client: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
