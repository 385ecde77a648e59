#!/usr/bin/env bash
# tests/suites/34-moddef-fuzz-replay.sh — replays the module-description fuzz seed corpus (the
# real descriptions of the example and SDK test modules) and every saved reproducer
# (tests/fuzz/crashes/moddef-*) through tests/fuzz/fuzz_moddef.c built as a plain program, so
# the decoder meets them under ASan in every `make test`.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
shopt -s nullglob
exec "$BUILD/fuzz_moddef" tests/fuzz/corpus/moddef tests/fuzz/crashes/moddef-*
