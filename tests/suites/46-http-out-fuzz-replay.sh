#!/usr/bin/env bash
# tests/suites/46-http-out-fuzz-replay.sh — replays the outbound-HTTP response fuzz seeds
# (tests/fuzz/corpus/http_out: valid, chunked, until-close, no-body, truncated and malformed
# answers) and every saved reproducer (tests/fuzz/crashes/http_out-*) through
# tests/fuzz/fuzz_http_out.c built as a plain program, under ASan in `make MODE=asan test`.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
shopt -s nullglob
exec "$BUILD/fuzz_http_out" tests/fuzz/corpus/http_out tests/fuzz/crashes/http_out-*
