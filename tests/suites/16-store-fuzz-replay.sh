#!/usr/bin/env bash
# Replays the store fuzz seed corpus (Txdata records and a snapshot, each also truncated and
# bit-flipped) through tests/fuzz/fuzz_store.c built as a plain program, under `make test`.
exec "$BUILD/fuzz_store" tests/fuzz/corpus/store
