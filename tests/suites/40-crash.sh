#!/usr/bin/env bash
# Crash test (tests/crash/crash_test.c): a child runs transfers against a store with its
# commit log and is SIGKILLed at random moments (every 4th round right after a snapshot
# request); the parent recovers and checks that everything reported durable survived and
# nothing half-applied did. LC_CRASH_ROUNDS (default 50) sets the size; nightly: 1000.
set -u
exec "$BUILD/crash_test"
