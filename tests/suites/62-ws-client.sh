#!/usr/bin/env bash
# WebSocket client suite: replays the ServerMessage decoder's fuzz corpus
# (tests/fuzz/corpus/smsg, plus cuts and bit flips of each seed) through the fuzz target built
# as a plain program in the current MODE (ASan in CI), then a small keynote load through
# bench/loadgen.c and a small fan-out through bench/fanout.c. The client's unit tests
# (tests/unit/test_ws_client.c, test_cmd_subscribe.c) run in the unit suite.
set -u
pass=0
fail=0
if [ -x "$BUILD/smsg_replay" ] && "$BUILD/smsg_replay" tests/fuzz/corpus/smsg; then
    pass=$((pass + 1))
else
    echo "smsg_replay: FAILED"; fail=$((fail + 1))
fi
# A small keynote run through the event-loop side of the client: every call must succeed and
# the balances recovered from the data directory must still sum to the seeded total.
if [ ! -f build/wasm/keynote-bank.wasm ]; then
    echo "loadgen smoke: skipped (no build/wasm/keynote-bank.wasm)"
elif "$BUILD/loadgen" --inproc --accounts 1000 --pairs 20000 --conns 4 --inflight 4 \
        --alpha 1.5 --warmup 0.2 --seconds 1 2>/dev/null | tee /dev/stderr | grep -q 'sum=ok'; then
    pass=$((pass + 1))
else
    echo "loadgen smoke: FAILED"; fail=$((fail + 1))
fi
# A small fan-out: 20 subscribers of the whole table, move(100) at 20/s for 1 s; every
# transaction of the window must reach every subscriber (incomplete=0 dropped=0 errors=0).
if [ ! -f build/wasm/fanout.wasm ]; then
    echo "fanout smoke: skipped (no build/wasm/fanout.wasm)"
elif "$BUILD/fanout" --inproc --clients 20 --entities 1000 --rate 20 --warmup 0.2 --seconds 1 \
        2>/dev/null | tee /dev/stderr | grep -q 'incomplete=0 dropped=0 errors=0'; then
    pass=$((pass + 1))
else
    echo "fanout smoke: FAILED"; fail=$((fail + 1))
fi
echo "ws-client: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
