#!/usr/bin/env bash
# `lightcone generate --lang typescript` (src/codegen/): generates bindings for the three
# example modules (build/wasm/*.wasm) and checks the file layout and key contents of
# spec-client-protocol.md §5.2; checks that an unknown --lang and a missing module fail
# cleanly; with npm available and tests/codegen/ts/node_modules installed (`npm ci` there),
# type-checks the output (and tests/codegen/ts/use.ts, app code using it) against the real
# spacetimedb@2.10.1 package with tsc.
# Last line: "codegen: N passed, N failed".
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.."
: "${BUILD:=build/debug}"
bin=$BUILD/lightcone
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # file, grep -F pattern
    if grep -qF -- "$2" "$1" 2>/dev/null; then ok; else bad "$1 lacks: $2"; fi
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gen() { "$bin" generate --lang typescript --out-dir "$out/$1" --bin-path "build/wasm/$1.wasm" >/dev/null; }

if [ ! -f build/wasm/quickstart-chat.wasm ]; then
    echo "skip: build/wasm/*.wasm missing (make examples)"
    echo "codegen: 0 passed, 0 failed"
    exit 0
fi
if gen quickstart-chat; then ok; else bad "generate quickstart-chat"; fi
d=$out/quickstart-chat
for f in index.ts user_table.ts message_table.ts send_message_reducer.ts set_name_reducer.ts \
         types.ts types/reducers.ts types/procedures.ts; do
    if [ -f "$d/$f" ]; then ok; else bad "missing $f"; fi
done
check "$d/index.ts" "import SendMessageReducer from './send_message_reducer';"
check "$d/index.ts" "import UserRow from './user_table';"
check "$d/index.ts" "__reducerSchema('set_name', SetNameReducer)"
check "$d/index.ts" "name: 'user_identity_idx_btree',"
check "$d/index.ts" "constraint: 'unique',"
check "$d/index.ts" "cliVersion: '2.10.1' as const,"
check "$d/index.ts" "export class DbConnection extends __DbConnectionImpl<typeof REMOTE_MODULE>"
check "$d/user_table.ts" "identity: __t.identity().primaryKey(),"
check "$d/user_table.ts" "name: __t.option(__t.string()),"
check "$d/message_table.ts" "sent: __t.timestamp(),"
check "$d/send_message_reducer.ts" "text: __t.string(),"
check "$d/types/reducers.ts" "export type SetNameParams = __Infer<typeof SetNameReducer>;"
check "$d/types.ts" "export const User = __t.object('User', {"
# lifecycle reducers (init, client_connected, ...) are not client-callable
if grep -q "client_connected\|'init'" "$d/index.ts"; then bad "lifecycle reducer listed"; else ok; fi

if gen keynote-bank; then ok; else bad "generate keynote-bank"; fi
d=$out/keynote-bank
check "$d/index.ts" "__reducerSchema('transfer', TransferReducer)"
check "$d/accounts_table.ts" "__t.row({"
# a procedure (total_balance() -> i64): its file, its schema entry and its types
check "$d/total_balance_procedure.ts" "export const returnType = __t.i64();"
check "$d/index.ts" "import * as TotalBalanceProcedure from './total_balance_procedure';"
check "$d/index.ts" "__procedureSchema('total_balance', TotalBalanceProcedure.params, TotalBalanceProcedure.returnType)"
check "$d/types/procedures.ts" "export type TotalBalanceResult = __Infer<typeof TotalBalanceProcedure.returnType>;"
# views are tables to clients: a row file each, listed in tablesSchema without indexes
if gen viewtest; then ok; else bad "generate viewtest"; fi
check "$out/viewtest/my_players_table.ts" "owner: __t.identity(),"
check "$out/viewtest/index.ts" "  topPlayers: __table("
check "$out/viewtest/index.ts" "      name: 'my_players',"
if gen ticker; then ok; else bad "generate ticker"; fi
d=$out/ticker
check "$d/tick_count_table.ts" "lastTick: __t.timestamp().name('last_tick'),"
check "$d/index.ts" "__reducerSchema('schedule_once', ScheduleOnceReducer)"

# --include-private adds the private schedule table and its scheduled reducer
if "$bin" generate --lang ts --include-private --out-dir "$out/priv" \
    --bin-path build/wasm/ticker.wasm >/dev/null; then ok; else bad "--include-private"; fi
check "$out/priv/tick_timer_table.ts" "scheduledAt: __t.scheduleAt().name('scheduled_at'),"
check "$out/priv/index.ts" "__reducerSchema('tick', TickReducer)"
# --module-path builds the folder with sdk/c-module/build-module.sh first
if command -v "${WASM_CC:-clang}" >/dev/null 2>&1; then
    if "$bin" generate --lang ts --out-dir "$out/mp" --module-path examples/ticker >/dev/null
    then ok; else bad "--module-path"; fi
    if cmp -s "$out/mp/index.ts" "$out/ticker/index.ts"; then ok; else bad "--module-path output differs"; fi
fi

# errors: unknown language, missing file, garbage file
if "$bin" generate --lang cobol --out-dir "$out/x" --bin-path build/wasm/ticker.wasm 2>&1 \
    | grep -q "unknown --lang 'cobol'"; then ok; else bad "unknown --lang not reported"; fi
if "$bin" generate --lang ts --out-dir "$out/x" --bin-path "$out/nope.wasm" 2>/dev/null; then
    bad "missing module accepted"; else ok; fi
head -c 100 /dev/urandom >"$out/junk.wasm"
if "$bin" generate --lang ts --out-dir "$out/x" --bin-path "$out/junk.wasm" 2>/dev/null; then
    bad "junk module accepted"; else ok; fi

# type-check against the real SDK when it is installed
ts=tests/codegen/ts
if ! command -v npx >/dev/null 2>&1; then
    echo "skip tsc: npm/npx not available"
elif [ ! -d "$ts/node_modules/spacetimedb" ]; then
    echo "skip tsc: run 'npm ci' in $ts to type-check against spacetimedb"
else
    for m in quickstart-chat keynote-bank ticker; do
        rm -rf "$ts/gen/$m" && mkdir -p "$ts/gen" && cp -r "$out/$m" "$ts/gen/$m"
    done
    if (cd "$ts" && npx --no-install tsc --noEmit -p . >"$out/tsc.log" 2>&1); then ok
    else bad "tsc"; cat "$out/tsc.log"; fi
    rm -rf "$ts/gen"
fi
echo "codegen: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
