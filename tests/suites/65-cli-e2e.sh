#!/usr/bin/env bash
# tests/suites/65-cli-e2e.sh — end to end through the `lightcone` binary: `lightcone start` on
# a free port (port 0, the readiness line parsed) with a temporary data dir, then the client
# commands as two users (two HOMEs = two config files = two identities):
#   publish quickstart-chat and ticker, call reducers, read back with sql / describe / logs,
#   logs -f streaming, owner SQL DML, the scheduler (ticker's interval timer fires by itself),
#   authorization (the other identity cannot delete, republish, write with SQL, read logs or
#   read the private table), --web-root static files, usage errors (one line, exit 2),
#   a database published without a name (known by its identity) then renamed, SIGTERM
#   (exit 0) and a restart on the same data dir: data and names intact, DML durable, the
#   saved token still valid (same server key).
# Needs build/wasm/*.wasm (make examples); skipped without them. Last line:
# "cli-e2e: N passed, N failed".
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
L=$PWD/$BUILD/lightcone
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() { # description, command...: the command must succeed
    local d=$1; shift
    if "$@" >"$T/out" 2>"$T/errout"; then ok; else bad "$d (exit $?): $(head -c 300 "$T/errout")"; fi
}
refuse() { # description, command...: must fail with exactly one line on stderr
    local d=$1; shift
    if "$@" >"$T/out" 2>"$T/errout"; then bad "$d: succeeded"; return; fi
    if [ "$(wc -l <"$T/errout")" -eq 1 ] && grep -qE '^lightcone[ :]' "$T/errout"; then ok
    else bad "$d: stderr not one 'lightcone ...' line: $(cat "$T/errout")"; fi
}
has() { # description, pattern: the last command's stdout contains it
    if grep -qF -- "$2" "$T/out"; then ok; else bad "$1: no '$2' in: $(head -c 400 "$T/out")"; fi
}
hasnt() {
    if grep -qF -- "$2" "$T/out"; then bad "$1: unexpected '$2'"; else ok; fi
}

if [ ! -f build/wasm/quickstart-chat.wasm ] || [ ! -f build/wasm/ticker.wasm ]; then
    echo "skip: build/wasm/*.wasm missing (make examples)"
    echo "cli-e2e: 0 passed, 0 failed"
    exit 0
fi
if [ ! -x "$L" ]; then echo "FAIL: $L missing"; echo "cli-e2e: 0 passed, 1 failed"; exit 1; fi

T=$(mktemp -d)
SPID=
FPID=
cleanup() {
    [ -n "$FPID" ] && kill "$FPID" 2>/dev/null
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/web" "$T/a" "$T/b"
echo '<h1>lightcone web root</h1>' >"$T/web/index.html"
echo 'secret' >"$T/secret.txt"

# Starts the server on port $1 (default 0: a free one); sets SPID and URL.
start_server() {
    : >"$T/server.err"
    "$L" start --listen-addr "127.0.0.1:${1:-0}" --data-dir "$T/data" --web-root "$T/web" \
        2>"$T/server.err" &
    SPID=$!
    for _ in $(seq 1 100); do
        line=$(grep -m1 '^lightcone: listening on http://' "$T/server.err")
        [ -n "$line" ] && break
        sleep 0.05
    done
    URL=${line#lightcone: listening on }
    if [ -n "$line" ] && [ "$(grep -c '^lightcone: listening' "$T/server.err")" -eq 1 ]; then ok
    else bad "no readiness line: $(cat "$T/server.err")"; fi
}
stop_server() {
    kill -TERM "$SPID"
    local rc=0
    wait "$SPID" || rc=$?
    SPID=
    if [ "$rc" -eq 0 ]; then ok; else bad "server exit status $rc after SIGTERM"; fi
}
A() { HOME=$T/a XDG_CONFIG_HOME= timeout 20 "$L" "$@"; }
B() { HOME=$T/b XDG_CONFIG_HOME= timeout 20 "$L" "$@"; }

start_server
[ -f "$T/data/keys/id_ecdsa" ] && ok || bad "no key pair in the data dir"

# ---- setup, publish, calls, reads (user A owns everything) ----
expect "server add" A server add e2e "$URL" --default
expect "server ping" A server ping
expect "server list" A server list
has "server list" "$URL"
expect "publish chat" A publish chat --bin-path build/wasm/quickstart-chat.wasm
has "publish chat" "Created new database chat"
chat_id=$(grep -o '[0-9a-f]\{64\}' "$T/out" | head -1)
expect "identity" A identity
id_a=$(cat "$T/out")
[ ${#id_a} -eq 64 ] && ok || bad "identity is not 64 hex digits: $id_a"
expect "republish chat (owner)" A publish chat --bin-path build/wasm/quickstart-chat.wasm
has "republish" "Updated database chat"
expect "call send_message" A call chat send_message hello
expect "call send_message json" A call chat send_message '"second"'
expect "call send_message 3" A call chat send_message '"third"'
refuse "call unknown reducer" A call chat no_such_reducer
# an HTTP call runs inside its own connection (client_connected, reducer, client_disconnected)
expect "call set_name over HTTP" A call chat set_name alice
expect "sql user after HTTP call" A sql chat "SELECT name, online FROM user" --json
has "the HTTP caller's user row" '"alice"'
has "client_disconnected ran after the call" 'false'
refuse "call on a missing database" A call nodb send_message x
expect "sql select" A sql chat "SELECT * FROM message"
has "sql select" '"hello"'
has "sql select" '"second"'
has "sql header" ' sender '
has "sql rule" '-+-'
expect "sql json" A sql chat "SELECT text FROM message" --json
has "sql json" '"rows":[["hello"]'
refuse "sql syntax error" A sql chat "SELEC nonsense"
expect "sql by database identity" A sql "$chat_id" "SELECT * FROM message"
has "the identity path names the same database" '"hello"'
# ---- anonymous HTTP calls: a fresh identity + token in the response headers (item 3) ----
if command -v curl >/dev/null; then
    anon_call() { # name [token]: POST set_name anonymously (or with the token); headers -> $T/h
        local auth=()
        [ -n "${2:-}" ] && auth=(-H "Authorization: Bearer $2")
        curl -s -D "$T/h" -o "$T/out" -w '%{http_code}' "${auth[@]}" -X POST \
            -H 'Content-Type: application/json' --data "[\"$1\"]" "$URL/v1/database/chat/call/set_name"
    }
    code=$(anon_call anon1)
    [ "$code" = 200 ] && ok || bad "anonymous call got $code: $(cat "$T/out")"
    anon_id=$(tr -d '\r' <"$T/h" | sed -n 's/^spacetime-identity: //Ip')
    anon_tok=$(tr -d '\r' <"$T/h" | sed -n 's/^spacetime-identity-token: //Ip')
    [ ${#anon_id} -eq 64 ] && [ "$anon_id" != "$id_a" ] && ok || bad "anonymous identity header: '$anon_id'"
    [ -n "$anon_tok" ] && ok || bad "no spacetime-identity-token header"
    curl -s "$URL/v1/identity/$anon_id/verify" -H "Authorization: Bearer $anon_tok" \
        -o /dev/null -w '%{http_code}' >"$T/out"
    has "the minted token verifies as the minted identity" 204
    code=$(anon_call anon2 "$anon_tok") # the same caller renames its own user row
    [ "$code" = 200 ] && ok || bad "call with the minted token got $code"
    grep -qi '^spacetime-identity:' "$T/h" && bad "a call with a token got a minted identity" || ok
    code=$(anon_call anon3) # another anonymous caller: another identity, another row
    id3=$(tr -d '\r' <"$T/h" | sed -n 's/^spacetime-identity: //Ip')
    [ "$code" = 200 ] && [ ${#id3} -eq 64 ] && [ "$id3" != "$anon_id" ] && ok ||
        bad "second anonymous call: $code '$id3'"
    expect "sql users after anonymous calls" A sql chat "SELECT name FROM user" --json
    has "the minted identity's reducer row (ctx.sender)" '"anon2"'
    hasnt "the token's second call updated the same row" '"anon1"'
    has "the other anonymous caller's row" '"anon3"'
    code=$(curl -s -D "$T/h" -o "$T/out" -w '%{http_code}' "$URL/v1/database/chat/schema?version=9")
    [ "$code" = 200 ] && grep -qi '^spacetime-identity:' "$T/h" && ok ||
        bad "anonymous schema read: $code, no identity header"
    # a refused first publish (named or not) leaves no directory, name or open slot behind
    ndirs=$(ls "$T/data/db" | wc -l)
    for path in /v1/database /v1/database/badmod; do
        code=$(curl -s -o "$T/out" -w '%{http_code}' -X POST --data-binary 'not wasm' "$URL$path")
        [ "$code" = 400 ] && grep -q 'Database update rejected' "$T/out" && ok ||
            bad "garbage publish to $path got $code: $(cat "$T/out")"
    done
    [ "$(ls "$T/data/db" | wc -l)" = "$ndirs" ] && ok || bad "a refused publish left: $(ls "$T/data/db")"
    code=$(curl -s -o "$T/out" -w '%{http_code}' "$URL/v1/database/badmod")
    [ "$code" = 404 ] && ok || bad "a refused first publish is describable ($code)"
    code=$(curl -s -o "$T/out" -w '%{http_code}' -H 'Authorization: Bearer nonsense' -X POST \
        --data '[]' "$URL/v1/database/chat/call/set_name")
    [ "$code" = 400 ] || [ "$code" = 401 ] && ok || bad "a bad token got $code"
fi
expect "describe" A describe chat
has "describe" "send_message"
has "describe" "message (public)"
expect "describe json" A describe chat --json
has "describe json" '"reducers":['
expect "list" A list
has "list" "chat"
expect "logs" A logs chat
has "logs has the module's line" "hello"
has "logs has the host's line" "module published"
expect "logs -n 1" A logs chat -n 1 --json
[ "$(wc -l <"$T/out")" -eq 1 ] && ok || bad "logs -n 1 printed $(wc -l <"$T/out") lines"
expect "owner sql delete" A sql chat "DELETE FROM message WHERE text = 'third'"
has "owner sql delete" "deleted: 1"

# ---- publish -c clears the data ----
expect "publish chat2" A publish chat2 --bin-path build/wasm/quickstart-chat.wasm
expect "call chat2" A call chat2 send_message to-be-cleared
expect "publish -c chat2" A publish chat2 -c --bin-path build/wasm/quickstart-chat.wasm
expect "sql chat2 after clear" A sql chat2 "SELECT * FROM message"
hasnt "publish -c dropped the rows" "to-be-cleared"

# ---- a procedure's return value (keynote-bank total_balance) ----
expect "publish bank" A publish bank --bin-path build/wasm/keynote-bank.wasm
expect "seed bank" A call bank seed 3 40
expect "call a procedure" A call bank total_balance
has "the procedure's value is printed" "120"

# ---- building from a module folder (sdk/c-module/build-module.sh) ----
expect "build" A build --module-path examples/quickstart-chat -o "$T/chat.wasm"
[ -s "$T/chat.wasm" ] && ok || bad "build wrote no wasm"
expect "publish --module-path" A publish chat3 --module-path examples/quickstart-chat
has "publish --module-path" "Created new database chat3"
refuse "publish a missing folder" A publish chat4 --module-path "$T/nope"
refuse "publish a missing file" A publish chat4 --bin-path "$T/nope.wasm"

# ---- logs -f streams new lines ----
HOME=$T/a XDG_CONFIG_HOME= timeout 30 "$L" logs chat -f >"$T/follow.out" 2>&1 &
FPID=$!
sleep 0.5
expect "call while following" A call chat send_message followed-line
for _ in $(seq 1 40); do grep -q followed-line "$T/follow.out" && break; sleep 0.1; done
grep -q followed-line "$T/follow.out" && ok || bad "logs -f did not stream: $(cat "$T/follow.out")"
kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null; FPID=

# ---- scheduler + private table (ticker) ----
expect "publish ticker" A publish ticker --bin-path build/wasm/ticker.wasm
ticks=0
for _ in $(seq 1 40); do
    A sql ticker "SELECT * FROM tick_count" >"$T/out" 2>/dev/null
    grep -q every_second "$T/out" && { ticks=1; break; }
    sleep 0.1
done
[ "$ticks" -eq 1 ] && ok || bad "the interval timer never fired: $(cat "$T/out")"
expect "owner reads a private table" A sql ticker "SELECT * FROM tick_timer"
has "owner reads a private table" "every_second"

# ---- authorization: user B is another identity ----
expect "B server add" B server add e2e "$URL" --default
refuse "B cannot delete" B delete chat
refuse "B cannot republish" B publish chat --bin-path build/wasm/quickstart-chat.wasm
refuse "B cannot write with SQL" B sql chat "DELETE FROM message"
refuse "B cannot read logs" B logs chat
refuse "B cannot read a private table" B sql ticker "SELECT * FROM tick_timer"
refuse "B cannot read system tables" B sql chat "SELECT * FROM st_table"
refuse "B cannot call a private reducer" B call ticker tick 1
grep -q "no such reducer" "$T/errout" && ok || bad "private reducer visible to B: $(cat "$T/errout")"
refuse "A cannot call a lifecycle reducer by name" A call chat identity_connected
grep -q "HTTP 400" "$T/errout" && ok || bad "lifecycle by name: $(cat "$T/errout")"
expect "B can read a public table" B sql chat "SELECT * FROM message"
has "B reads public rows" '"hello"'
expect "B identity" B identity
[ "$(cat "$T/out")" != "$id_a" ] && ok || bad "B has A's identity"
expect "B list shows nothing of A's" B list
hasnt "B list" "chat"

# ---- static files, usage errors ----
if command -v curl >/dev/null; then
    curl -s "$URL/" >"$T/out" && has "web root index" "lightcone web root"
    code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/../secret.txt")
    [ "$code" = 404 ] && ok || bad "traversal got $code"
    curl -s "$URL/v1/identity/$id_a/databases" >"$T/out"
    has "identity databases" '{"identities":["'
    code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/health")
    [ "$code" = 200 ] && ok || bad "/v1/health got $code"
fi
refuse "publish with two names" A publish one two --bin-path build/wasm/quickstart-chat.wasm
# ---- a database without a name, then named (POST /v1/database, PUT .../names) ----
expect "publish without a name" A publish --bin-path build/wasm/quickstart-chat.wasm
has "publish without a name" "Created new database with identity: "
anon_id=$(grep -o '[0-9a-f]\{64\}' "$T/out" | head -1)
expect "call by identity" A call "$anon_id" send_message by-identity
expect "rename" A rename --to lobby "$anon_id"
has "rename" "is now named lobby"
expect "sql by the new name" A sql lobby "SELECT * FROM message"
has "the renamed database keeps its rows" "by-identity"
refuse "B cannot rename" B rename --to mine lobby
refuse "rename without --to" A rename lobby
refuse "unknown command" A frobnicate
refuse "sql without a query off a tty" A sql chat </dev/null
expect "help" A help
has "help" "publish"
expect "call --help" A call --help

# ---- restart on the same data dir ----
port=${URL##*:}
stop_server
start_server "$port" # the same URL, so the CLI finds its saved token
expect "sql after restart" A sql chat "SELECT * FROM message"
has "rows survive a restart" '"second"'
has "logs -f call survived" '"followed-line"'
hasnt "SQL delete survived the restart" '"third"'
expect "a renamed database after restart" A sql lobby "SELECT * FROM message"
has "its name and rows survive a restart" "by-identity"
expect "identity after restart" A identity
[ "$(cat "$T/out")" = "$id_a" ] && ok || bad "identity changed across the restart"
expect "saved token still works (owner logs)" A logs chat -n 5
expect "owner delete" A delete chat
refuse "describe a deleted database" A describe chat
[ ! -d "$T/data/db/chat" ] && ok || bad "chat's directory is still there"
stop_server

echo "cli-e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
