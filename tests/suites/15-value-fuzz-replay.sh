#!/usr/bin/env bash
# Replays the BSATN fuzz seed corpus (and any saved crash inputs) through tests/fuzz/fuzz_bsatn.c
# built as a plain program, so the invariants it checks run under ASan in every `make test`.
exec "$BUILD/fuzz_bsatn" tests/fuzz/corpus/bsatn
