#!/usr/bin/env bash
# scripts/run.sh BUILD — what `make run` does once everything is built (Makefile: deps, all,
# examples, chat-client): starts `lightcone start` in the foreground on 127.0.0.1:3000 with the
# quickstart chat page as its web root, publishes examples/quickstart-chat with
# `lightcone publish`, prints the URL to open, and waits; Ctrl-C (SIGINT) or SIGTERM stops the
# server cleanly.
#
# Everything it keeps lives under build/run/: data/ (keys + databases, so a rerun finds the
# same chat and the browser's stored token stays valid) and config/ (the CLI's identity, the
# owner of the database). Environment: LIGHTCONE_PORT (3000), LIGHTCONE_HOST (127.0.0.1),
# LIGHTCONE_RUN_DIR (build/run).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/debug}
bin=$build/lightcone
host=${LIGHTCONE_HOST:-127.0.0.1}
port=${LIGHTCONE_PORT:-3000}
run=${LIGHTCONE_RUN_DIR:-build/run}
web=examples/quickstart-chat/client/dist
url=http://$host:$port
mkdir -p "$run/data" "$run/config"
run=$(cd "$run" && pwd)
export XDG_CONFIG_HOME=$run/config # the CLI's token for this server, next to its keys

args=(start --listen-addr "$host:$port" --data-dir "$run/data")
if [ -f "$web/index.html" ]; then
    args+=(--web-root "$web")
else
    echo "run: $web is not built (needs node and npm: make chat-client); serving the API only"
    web=""
fi
log=$run/server.log
: >"$log"
"$bin" "${args[@]}" 2> >(trap "" INT; exec tee -a "$log" >&2) &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

for _ in $(seq 1 100); do # the readiness line, within 10 s
    grep -q "listening on" "$log" && break
    kill -0 "$pid" 2>/dev/null || { wait "$pid" || true; echo "run: lightcone start failed (is $host:$port in use? LIGHTCONE_PORT=...)"; exit 1; }
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
else
    echo "run: the server is up at $url (no web page: build it with 'make chat-client')"
fi
echo "run: module logs: XDG_CONFIG_HOME=$run/config $bin logs quickstart-chat -s $url -f"
echo "run: Ctrl-C stops the server"
wait "$pid"
