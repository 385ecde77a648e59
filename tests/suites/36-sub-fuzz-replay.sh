#!/usr/bin/env bash
# Subscriptions: replays the fuzz seed corpus (tests/fuzz/corpus/sub/) through the fuzz target's
# checks (initial rows and deltas against sql_exec, refusals with a message) in this build mode.
exec "$BUILD/fuzz_sub" tests/fuzz/corpus/sub
