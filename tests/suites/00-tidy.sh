#!/usr/bin/env bash
# House-style checks (tools/tidy): banned allocation calls, file headers, include layering.
if bash tools/tidy; then echo "tidy: 1 passed, 0 failed"; else echo "tidy: 0 passed, 1 failed"; exit 1; fi
