#!/usr/bin/env bash
# scripts/run.sh BUILD — what `make run` does once everything is built (Makefile: deps, all,
# examples, chat-client): starts `lightcone start` in the foreground on 127.0.0.1:3000 with the
# quickstart chat page (examples/quickstart-chat/client/dist) as its web root, publishes
# examples/quickstart-chat with `lightcone publish`, prints the URL to open, and waits; Ctrl-C
# (SIGINT) or SIGTERM stops the server cleanly.
#
# What it keeps lives under build/run/: data/ (keys + databases, so a rerun finds the same chat
# and the browser's stored token stays valid) and config/ (the CLI's identity, owner of the
# database). Environment:
#   LIGHTCONE_LISTEN    HOST:PORT to listen on (default 127.0.0.1:3000)
#   LIGHTCONE_RUN_DIR   where data/ and config/ live (default build/run)
#   LIGHTCONE_DATA_DIR  keys and databases (default $LIGHTCONE_RUN_DIR/data)
#   LIGHTCONE_WEB_ROOT  static files for paths outside /v1/ (default the chat page)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/debug}
bin=$build/lightcone
listen=${LIGHTCONE_LISTEN:-127.0.0.1:3000}
url=http://$listen
run=${LIGHTCONE_RUN_DIR:-build/run}
mkdir -p "$run/config"
run=$(cd "$run" && pwd)
data=${LIGHTCONE_DATA_DIR:-$run/data}
web=${LIGHTCONE_WEB_ROOT:-examples/quickstart-chat/client/dist}
export XDG_CONFIG_HOME=$run/config # the CLI's token for this server, next to its keys
"$bin" version

args=(start --listen-addr "$listen" --data-dir "$data")
if [ -d "$web" ]; then
    args+=(--web-root "$web")
else
    echo "run: $web is not built (needs node and npm: make chat-client); serving the API only"
    web=""
fi
log=$run/server.log
: >"$log"
# tee ignores SIGINT so the server can still log its shutdown after Ctrl-C
"$bin" "${args[@]}" 2> >(trap "" INT; exec tee -a "$log" >&2) &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

for _ in $(seq 1 100); do # the readiness line, within 10 s
    grep -q "listening on" "$log" && break
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" || true
        echo "run: lightcone start failed (is $listen in use? set LIGHTCONE_LISTEN=HOST:PORT)"
        exit 1
    fi
    sleep 0.1
done
grep -q "listening on" "$log" || { stop; echo "run: the server did not become ready"; exit 1; }

if ! "$bin" publish quickstart-chat --bin-path build/wasm/quickstart-chat.wasm -s "$url"; then
    # e.g. $run/config was removed, so this CLI identity no longer owns the database
    if "$bin" describe quickstart-chat -s "$url" >/dev/null 2>&1; then
        echo "run: could not update quickstart-chat; serving the existing one (rm -rf $run resets)"
    else
        stop
        echo "run: publishing quickstart-chat failed (rm -rf $run starts over)"
        exit 1
    fi
fi
echo
if [ -n "$web" ]; then
    echo "run: open $url/ to chat (a second browser window or a private one is a second user)"
fi
echo "run: the CLI as the database owner, in another terminal:"
echo "       export XDG_CONFIG_HOME=$run/config"
echo "       $bin sql quickstart-chat 'SELECT * FROM message' -s $url"
echo "       $bin logs quickstart-chat -f -s $url"
echo "run: Ctrl-C stops the server"
wait "$pid"
