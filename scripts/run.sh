#!/usr/bin/env bash
# scripts/run.sh BUILD — what `make run` does after building everything and the example
# modules: runs the server in the foreground (`lightcone start`) until Ctrl-C.
#   LIGHTCONE_LISTEN    HOST:PORT to listen on (default 127.0.0.1:3000)
#   LIGHTCONE_DATA_DIR  keys and databases (default ~/.local/share/lightcone)
#   LIGHTCONE_WEB_ROOT  serve static files from this folder for paths outside /v1/
set -euo pipefail
bin="$1/lightcone"
"$bin" version
echo "run: example modules: $(ls build/wasm/*.wasm 2>/dev/null | tr '\n' ' ')"
echo "run: in another terminal, e.g.:"
echo "       $bin publish chat --bin-path build/wasm/quickstart-chat.wasm"
echo "       $bin call chat send_message hello && $bin sql chat 'SELECT * FROM message'"
args=(start --listen-addr "${LIGHTCONE_LISTEN:-127.0.0.1:3000}")
[ -n "${LIGHTCONE_DATA_DIR:-}" ] && args+=(--data-dir "$LIGHTCONE_DATA_DIR")
[ -n "${LIGHTCONE_WEB_ROOT:-}" ] && args+=(--web-root "$LIGHTCONE_WEB_ROOT")
exec "$bin" "${args[@]}"
