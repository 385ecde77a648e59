#!/usr/bin/env bash
# Replays the request-path fuzz corpus (tests/fuzz/corpus/http_route) through
# tests/fuzz/fuzz_http_route.c built as a plain program in the current MODE (ASan in CI).
set -u
bin="$BUILD/http_route_replay"
if [ -x "$bin" ] && "$bin" tests/fuzz/corpus/http_route/*; then
    echo "http-route-replay: 1 passed, 0 failed"
else
    echo "http-route-replay: 0 passed, 1 failed"
    exit 1
fi
