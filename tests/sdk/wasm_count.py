#!/usr/bin/env python3
# tests/sdk/wasm_count.py — makes an instruction-counting copy of a module for measurements.
#
#   python3 tests/sdk/wasm_count.py in.wasm out.wasm [--per-function]
#
# Disassembles with wasm2wat (one instruction per line inside function bodies), inserts
# "count += 1" (four instructions on a new mutable i64 global) before every instruction
# except the structural else/end, and exports the global as "__count". Running the copy then
# tells how many wasm instructions the guest executed (tests/sdk/wasm_run.mjs --count), which
# is what an interpreter's per-call cost is made of. The module's behaviour is unchanged.
# --per-function also counts into one global per function, exported as "__count_<name>".
import re
import subprocess
import sys

src, dst = sys.argv[1], sys.argv[2]
per_function = "--per-function" in sys.argv[3:]
wat = subprocess.run(["wasm2wat", src], check=True, capture_output=True, text=True).stdout
INC = "    global.get $__count\n    i64.const 1\n    i64.add\n    global.set $__count\n"
out = []
in_func = False
func_names = []
inc = INC
for line in wat.splitlines(keepends=True):
    if line.startswith("  (func "):
        in_func = True
        m = re.match(r"  \(func \$([^ ()]+)", line)
        fname = re.sub(r"[^A-Za-z0-9_]", "_", m.group(1)) if m else "f%d" % len(func_names)
        func_names.append(fname)
        inc = INC
        if per_function:
            inc += INC.replace("$__count", "$__count_" + fname)
        out.append(line)
        continue
    if in_func and line.startswith("  (") and not line.startswith("  (func "):
        in_func = False
    body = line.strip()
    if in_func and line.startswith("    ") and not body.startswith("(") and \
            not re.match(r"^(else|end)\b", body):
        out.append(inc)
    out.append(line)
text = "".join(out)
# the counter global and its export go right before the module's closing parenthesis
text = text.rstrip()
assert text.endswith(")")
extra = '\n  (global $__count (mut i64) (i64.const 0))\n  (export "__count" (global $__count))'
if per_function:
    for f in func_names:
        extra += '\n  (global $__count_%s (mut i64) (i64.const 0))' % f
        extra += '\n  (export "__count_%s" (global $__count_%s))' % (f, f)
text = text[:-1] + extra + ")\n"
subprocess.run(["wat2wasm", "-", "-o", dst], input=text, check=True, text=True)
