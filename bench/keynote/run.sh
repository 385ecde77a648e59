#!/usr/bin/env bash
# bench/keynote/run.sh — the keynote transfer benchmark (performance.md §1), Lightcone beside
# PostgreSQL and Redis on this machine, same pairs / connections / in-flight depth / window,
# equal durability (every reply waits for fsync), one table of results.
#
#   bash bench/keynote/run.sh            # alpha 0 and 1.5, 64 and 4 connections, 40 in flight
#   WINDOW=10 WARMUP=3 ALPHAS="0 1.5" CONNS="64 4" INFLIGHT=40 SYSTEMS="lightcone postgres redis"
#
# Each (system, alpha, conns) run starts from a fresh temp directory: seed 100,000 accounts,
# warm up, measure, drain, then check that the sum of balances is unchanged (Lightcone: after
# the server stopped, by opening its data directory (`loadgen --check-only offline`), i.e.
# from what recovery rebuilds from the commit log; PostgreSQL: SELECT sum(); Redis: a Lua
# sum). Peers: PostgreSQL (initdb in a temp dir, fsync=on, synchronous_commit=on, a plpgsql
# transfer function via libpq pipeline mode, one Sync per call) and Redis (appendonly yes,
# appendfsync always, a Lua transfer script via EVALSHA, pipelined raw RESP). Lightcone runs as
# `lightcone start` when the CLI has it, else in the load generator's process (--inproc).
# Installs what it needs through scripts/deps-bench (apt). Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
WINDOW=${WINDOW:-10}
WARMUP=${WARMUP:-3}
ALPHAS=${ALPHAS:-"0 1.5"}
CONNS=${CONNS:-"64 4"}
INFLIGHT=${INFLIGHT:-40}
SYSTEMS=${SYSTEMS:-"lightcone postgres redis"}
B=build/release

bash scripts/deps-bench
make -s MODE=release $B/lightcone $B/loadgen $B/keynote_peers build/wasm/keynote-bank.wasm

TMP=$(mktemp -d /tmp/lc-keynote-XXXXXX)
chmod 755 "$TMP"
RESULTS="$TMP/results"
: >"$RESULTS"
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    if [ -f "$TMP/pg/postmaster.pid" ]; then pg_stop || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
common() { echo --alpha "$1" --conns "$2" --inflight "$INFLIGHT" --warmup "$WARMUP" --seconds "$WINDOW"; }

# ---- Lightcone
lc_has_start() { $B/lightcone help 2>/dev/null | grep -qE '^\s+start\b'; }

run_lightcone() { # alpha conns
    local dir="$TMP/lc" log="$TMP/lc.log"
    rm -rf "$dir"
    if ! lc_has_start; then
        $B/loadgen --inproc $(common "$1" "$2") 2>>"$TMP/loadgen.err" | tee -a "$RESULTS"
        return
    fi
    $B/lightcone start --listen-addr 127.0.0.1:0 --data-dir "$dir" 2>"$log" &
    local pid=$!
    PIDS+=("$pid")
    local url=""
    for _ in $(seq 100); do
        url=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's/listening on //') || true
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "lightcone did not start:"; cat "$log"; exit 1; }
    $B/loadgen --server "$url" --wasm build/wasm/keynote-bank.wasm --check none \
        $(common "$1" "$2") 2>>"$TMP/loadgen.err" | grep -v '^sum' >"$TMP/lc.out" || true
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    if $B/loadgen --check-only offline --data-dir "$dir/db/bank" 2>>"$TMP/loadgen.err"; then
        sed -i 's/sum=skipped/sum=ok/' "$TMP/lc.out"
    else
        sed -i 's/sum=skipped/sum=FAILED/' "$TMP/lc.out"
    fi
    cat "$TMP/lc.out" | tee -a "$RESULTS"
}

# ---- PostgreSQL (runs as the postgres user when we are root)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_PORT=""
pg_start() {
    mkdir -p "$TMP/pg"
    [ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg"
    as_pg "$PGBIN/initdb" -D "$TMP/pg" -U postgres --auth=trust -E UTF8 >"$TMP/pg-init.log"
    PG_PORT=$(free_port)
    as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w start -o \
        "-p $PG_PORT -k $TMP/pg -c listen_addresses=127.0.0.1 -c fsync=on \
         -c synchronous_commit=on -c max_connections=200" >/dev/null
}
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null; }

# ---- Redis
REDIS_PORT=""
redis_start() {
    mkdir -p "$TMP/redis"
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --appendonly yes \
        --appendfsync always --save "" --daemonize no --logfile "$TMP/redis/log" &
    REDIS_PID=$!
    PIDS+=("$REDIS_PID")
    for _ in $(seq 50); do
        (exec 3<>/dev/tcp/127.0.0.1/"$REDIS_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "redis did not start"; exit 1
}
redis_stop() { kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; }

for sys in $SYSTEMS; do
    case $sys in
    postgres) pg_start ;;
    redis) redis_start ;;
    esac
    for alpha in $ALPHAS; do
        for conns in $CONNS; do
            echo "== $sys alpha=$alpha conns=$conns" >&2
            case $sys in
            lightcone) run_lightcone "$alpha" "$conns" ;;
            postgres) $B/keynote_peers pg 127.0.0.1 "$PG_PORT" $(common "$alpha" "$conns") \
                          2>>"$TMP/peers.err" | tee -a "$RESULTS" || true ;;
            redis) $B/keynote_peers redis 127.0.0.1 "$REDIS_PORT" $(common "$alpha" "$conns") \
                       2>>"$TMP/peers.err" | tee -a "$RESULTS" || true ;;
            esac
        done
    done
    case $sys in
    postgres) pg_stop ;;
    redis) redis_stop ;;
    esac
done

echo
echo "keynote transfer, $INFLIGHT in flight per connection, ${WARMUP}s warm-up, ${WINDOW}s window," \
     "confirmed/durable replies, $(nproc) cores, $(date -u +%Y-%m-%d)"
python3 - "$RESULTS" <<'PY'
import sys, re
rows = []
for line in open(sys.argv[1]):
    if line.startswith("RESULT "):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
lc = {(r["alpha"], r["conns"]): float(r["tps"]) for r in rows if r["system"] == "lightcone"}
print("| system | alpha | conns | TPS | p50 ms | p99 ms | sum | Lightcone/peer |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    key = (r["alpha"], r["conns"])
    tps = float(r["tps"])
    ratio = "-" if r["system"] == "lightcone" else (
        "%.1fx" % (lc[key] / tps) if key in lc and tps > 0 else "n/a")
    print("| %s | %s | %s | %.0f | %.2f | %.2f | %s | %s |" % (
        r["system"], r["alpha"], r["conns"], tps, float(r["p50_us"]) / 1000,
        float(r["p99_us"]) / 1000, r["sum"], ratio))
PY
