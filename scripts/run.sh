#!/usr/bin/env bash
# scripts/run.sh BUILD — what `make run` does after building. Until the server issue lands
# there is no server to start: this prints the CLI's version and says so plainly.
set -euo pipefail
"$1/lightcone" version
echo "run: the server ('lightcone start') is not implemented yet; see docs/ARCHITECTURE.md"
