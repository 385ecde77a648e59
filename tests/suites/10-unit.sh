#!/usr/bin/env bash
# Unit tests: every TEST() in tests/unit/*.c, one binary.
exec "$BUILD/test_unit"
