#!/usr/bin/env bash
# SQL parser: replays the fuzz seed corpus (tests/fuzz/corpus/sql/) through the fuzz target's
# checks (round trip, dialect inclusion, error messages) in the current build mode.
exec "$BUILD/fuzz_sql_replay" tests/fuzz/corpus/sql
