#!/usr/bin/env bash
# SQL execution: runs every sqllogictest file in tests/slt/ through the runner on a fresh store
# per file (the runner prints "slt: N passed, N failed" last).
exec "$BUILD/slt_runner" tests/slt/*.slt
