#!/bin/sh
# sdk/c-module/build-module.sh — compile one C module folder to a .wasm (the `make examples`
# rule and the future `lightcone build` both run exactly this).
#
#   sdk/c-module/build-module.sh <module-folder> <out.wasm>
#
# All .c files of the folder plus the SDK runtime, for wasm32 (-mcpu=mvp: plain WebAssembly
# 1.0, whatever the clang version), without libc or WASI. WASM_CC
# picks the compiler (default clang; Debian's clang 14 is enough). Extra flags: WASM_EXTRA.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 <module-folder> <out.wasm>" >&2; exit 2; }
sdk=$(dirname "$0")
dir=$1
out=$2
set -- "$dir"/*.c
[ -f "$1" ] || { echo "$0: no .c files in $dir" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086
exec "${WASM_CC:-clang}" --target=wasm32 -mcpu=mvp -O2 -std=c17 -ffreestanding -nostdlib \
    -Wall -Wextra -Werror -I"$sdk" ${WASM_EXTRA:-} -Wl,--no-entry -o "$out" "$@" "$sdk/spacetimedb.c"
