#!/usr/bin/env bash
# scripts/run.sh BUILD — what `make run` does after building everything and the example
# modules. The server (`lightcone start`) is not wired yet: this says so plainly and shows
# what was built.
set -euo pipefail
"$1/lightcone" version
echo "run: example modules built: $(ls build/wasm/*.wasm 2>/dev/null | tr '\n' ' ')"
echo "run: the server ('lightcone start') is not implemented yet; see README.md (State)"
