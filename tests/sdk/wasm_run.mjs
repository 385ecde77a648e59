// tests/sdk/wasm_run.mjs — runs the REAL example .wasm files (not the native twins) under
// Node's WebAssembly engine with a small JavaScript host, so the wasm32 side of the SDK is
// exercised: __wasm_call_ctors from the first export, the bump arena growing linear memory,
// i32 pointers crossing the import boundary, i64 export parameters.
//
// Usage: node wasm_run.mjs <module.wasm> <native-description.bin> [--count]
//   1. __describe_module__ must write exactly the bytes the native build wrote (the suite
//      dumps them from the native test binary with SDK_DESCRIBE_OUT);
//   2. a scenario per known module calls reducers through __call_reducer__ with BSATN args;
//   3. --count: the module is an instruction-counting copy (tests/sdk/wasm_count.py); print
//      how many wasm instructions the guest executes per call (keynote transfer, empty reducer).
// The host here is deliberately small: tables of BSATN rows, keys compared as bytes (enough
// for point lookups and updates), sequences, unique checks, row iterators, sinks, sources,
// logs. Prints "wasm-run <name>: N passed, N failed" last.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [wasmPath, descPath, mode] = process.argv.slice(2);
const name = basename(wasmPath, '.wasm');
let passed = 0, failed = 0;
function check(cond, what) {
    if (cond) passed++; else { failed++; console.log(`FAIL ${name}: ${what}`); }
}

// ---- BSATN reader over the description (only what the host needs)
class Rd {
    constructor(b) { this.b = b; this.p = 0; this.v = new DataView(b.buffer, b.byteOffset, b.byteLength); }
    u8() { return this.b[this.p++]; }
    u16() { const x = this.v.getUint16(this.p, true); this.p += 2; return x; }
    u32() { const x = this.v.getUint32(this.p, true); this.p += 4; return x; }
    str() { const n = this.u32(); const s = Buffer.from(this.b.subarray(this.p, this.p + n)).toString(); this.p += n; return s; }
    opt(f) { return this.u8() === 0 ? f() : null; }
    vec(f) { const n = this.u32(); const a = []; for (let i = 0; i < n; i++) a.push(f()); return a; }
    skip(n) { this.p += n; }
}
function readType(r) {
    const tag = r.u8();
    if (tag === 0) return { tag, ref: r.u32() };
    if (tag === 1 || tag === 2) return { tag, elems: r.vec(() => ({ name: r.opt(() => r.str()), ty: readType(r) })) };
    if (tag === 3) return { tag, elem: readType(r) };
    return { tag };
}
function decodeDef(bytes) {
    const r = new Rd(bytes);
    if (r.u8() !== 2) throw new Error('not V10');
    const def = { types: [], tables: [], reducers: [] };
    const nsec = r.u32();
    for (let s = 0; s < nsec; s++) {
        const tag = r.u8();
        if (tag === 0) def.types = r.vec(() => readType(r));
        else if (tag === 1) r.vec(() => { r.vec(() => r.str()); r.str(); r.u32(); r.u8(); });
        else if (tag === 2) def.tables = r.vec(() => {
            const t = { name: r.str(), ref: r.u32(), pk: r.vec(() => r.u16()) };
            t.indexes = r.vec(() => ({ source: r.opt(() => r.str()), accessor: r.opt(() => r.str()),
                                       algo: r.u8(), cols: r.vec(() => r.u16()) }));
            t.uniques = r.vec(() => { r.opt(() => r.str()); r.u8(); return r.vec(() => r.u16()); });
            t.seqs = r.vec(() => { r.opt(() => r.str()); const col = r.u16();
                                   for (let k = 0; k < 3; k++) r.opt(() => r.skip(16)); r.skip(16); return col; });
            r.u8(); r.u8(); r.vec(() => { r.u16(); r.vec(() => r.u8()); }); r.u8();
            return t;
        });
        else if (tag === 3) def.reducers = r.vec(() => {
            const n = r.str();
            r.vec(() => ({ name: r.opt(() => r.str()), ty: readType(r) }));
            r.u8(); readType(r); readType(r);
            return n;
        });
        else if (tag === 4) r.vec(() => { /* procedures: name, params, return type, visibility */
            const n = r.str();
            r.vec(() => ({ name: r.opt(() => r.str()), ty: readType(r) }));
            readType(r); r.u8();
            return n;
        });
        else if (tag === 6) r.vec(() => { r.opt(() => r.str()); r.str(); r.u16(); r.str(); });
        else if (tag === 7) r.vec(() => { r.u8(); r.str(); });
        else throw new Error('section ' + tag);
    }
    return def;
}

const WIDTH = { 5: 1, 6: 1, 7: 1, 8: 2, 9: 2, 10: 4, 11: 4, 12: 8, 13: 8, 14: 16, 15: 16, 16: 32, 17: 32, 18: 4, 19: 8 };
function skipVal(def, ty, b, p) {
    while (ty.tag === 0) ty = def.types[ty.ref];
    if (WIDTH[ty.tag]) return p + WIDTH[ty.tag];
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (ty.tag === 4) return p + 4 + dv.getUint32(p, true);
    if (ty.tag === 2) { for (const e of ty.elems) p = skipVal(def, e.ty, b, p); return p; }
    if (ty.tag === 1) { const t = b[p]; return skipVal(def, ty.elems[t].ty, b, p + 1); }
    if (ty.tag === 3) { const n = dv.getUint32(p, true); p += 4; for (let i = 0; i < n; i++) p = skipVal(def, ty.elem, b, p); return p; }
    throw new Error('type ' + ty.tag);
}

// ---- the host
const desc = new Uint8Array(readFileSync(descPath));
const def = decodeDef(desc);
const TABLE_BASE = 4096, INDEX_BASE = 8192;
const tables = def.tables.map((t) => ({ def: t, row: def.types[t.ref], rows: [], seq: t.seqs.map(() => 1n) }));
const indexes = [];
tables.forEach((t, ti) => t.def.indexes.forEach((ix) => indexes.push({ table: ti, ...ix })));
const eqBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
function spans(t, row) {
    const off = [0];
    let p = 0;
    for (const e of t.row.elems) { p = skipVal(def, e.ty, row, p); off.push(p); }
    return off;
}
function project(t, row, cols) {
    const off = spans(t, row);
    return Buffer.concat(cols.map((c) => Buffer.from(row.subarray(off[c], off[c + 1]))));
}

let inst, mem, sink = [], source = null, iters = new Map(), nextIter = 1, logs = [], inTx = false;
const u8 = () => new Uint8Array(mem.buffer);
const dv = () => new DataView(mem.buffer);
const bytesAt = (p, n) => { if (p === 0) throw new Error('NULL pointer'); return u8().slice(p, p + n); };
const strAt = (p, n) => Buffer.from(bytesAt(p, n)).toString();
function newIter(rows) { const id = nextIter++; iters.set(id, { rows, pos: 0 }); return id; }
const tableOf = (id) => tables[id - TABLE_BASE];
const indexOf = (id) => indexes[id - INDEX_BASE];

function insert(t, row) {
    const gen = [];
    const off = spans(t, row);
    t.def.seqs.forEach((col, s) => {
        const w = off[col + 1] - off[col];
        if (row.subarray(off[col], off[col + 1]).every((x) => x === 0)) {
            let v = t.seq[s]++;
            for (let i = 0; i < w; i++) { row[off[col] + i] = Number(v & 0xffn); v >>= 8n; }
            gen.push(...row.subarray(off[col], off[col + 1]));
        }
    });
    if (t.rows.some((r) => eqBytes(r, row))) return [0, []];
    for (const u of t.def.uniques) {
        const k = project(t, row, u);
        if (t.rows.some((r) => project(t, r, u).equals(k))) return [12, []];
    }
    t.rows.push(row);
    return [0, gen];
}

const imports = {
    'spacetime_10.0': {
        table_id_from_name(p, n, out) {
            if (!inTx) return 2;
            const i = tables.findIndex((t) => t.def.name === strAt(p, n));
            if (i < 0) return 4;
            dv().setUint32(out, TABLE_BASE + i, true); return 0;
        },
        index_id_from_name(p, n, out) {
            if (!inTx) return 2;
            const s = strAt(p, n);
            const i = indexes.findIndex((ix) => ix.source === s || ix.accessor === s);
            if (i < 0) return 5;
            dv().setUint32(out, INDEX_BASE + i, true); return 0;
        },
        datastore_table_row_count(id, out) { dv().setBigUint64(out, BigInt(tableOf(id).rows.length), true); return 0; },
        datastore_table_scan_bsatn(id, out) { dv().setUint32(out, newIter([...tableOf(id).rows]), true); return 0; },
        row_iter_bsatn_advance(it, buf, lenp) {
            const st = iters.get(it);
            if (!st) return 6;
            const cap = dv().getUint32(lenp, true);
            let used = 0;
            while (st.pos < st.rows.length && used + st.rows[st.pos].length <= cap) {
                u8().set(st.rows[st.pos], buf + used); used += st.rows[st.pos].length; st.pos++;
            }
            if (used === 0 && st.pos < st.rows.length) { dv().setUint32(lenp, st.rows[st.pos].length, true); return 11; }
            dv().setUint32(lenp, used, true);
            if (st.pos === st.rows.length) { iters.delete(it); return -1; }
            return 0;
        },
        row_iter_bsatn_close(it) { return iters.delete(it) ? 0 : 6; },
        datastore_insert_bsatn(id, p, lenp) {
            const t = tableOf(id);
            const [rc, gen] = insert(t, bytesAt(p, dv().getUint32(lenp, true)));
            if (rc === 0) { u8().set(gen, p); dv().setUint32(lenp, gen.length, true); }
            return rc;
        },
        datastore_update_bsatn(id, ixid, p, lenp) {
            const t = tableOf(id), ix = indexOf(ixid);
            const row = bytesAt(p, dv().getUint32(lenp, true));
            const k = project(t, row, ix.cols);
            const at = t.rows.findIndex((r) => project(t, r, ix.cols).equals(k));
            if (at < 0) return 15;
            t.rows[at] = row; dv().setUint32(lenp, 0, true); return 0;
        },
        datastore_delete_all_by_eq_bsatn(id, p, n, out) {
            const t = tableOf(id), b = bytesAt(p, n);
            const count = new DataView(b.buffer).getUint32(0, true);
            let q = 4, deleted = 0;
            for (let i = 0; i < count; i++) {
                const end = skipVal(def, t.row, b, q), row = b.subarray(q, end);
                const at = t.rows.findIndex((r) => eqBytes(r, row));
                if (at >= 0) { t.rows.splice(at, 1); deleted++; }
                q = end;
            }
            dv().setUint32(out, deleted, true); return 0;
        },
        bytes_sink_write(s, p, lenp) { sink.push(...bytesAt(p, dv().getUint32(lenp, true))); return 0; },
        bytes_source_read(s, p, lenp) {
            if (s !== 1 || !source) return 8;
            const n = Math.min(dv().getUint32(lenp, true), source.length - source.pos);
            u8().set(source.bytes.subarray(source.pos, source.pos + n), p);
            source.pos += n; dv().setUint32(lenp, n, true);
            if (source.pos === source.length) { source = null; return -1; }
            return 0;
        },
        console_log(level, tp, tn, fp, fn, line, mp, mn) {
            logs.push({ level, target: tp ? strAt(tp, tn) : null, message: strAt(mp, mn) });
        },
        identity(out) { for (let i = 0; i < 32; i++) u8()[out + i] = 0xd0 + i; },
    },
    'spacetime_10.1': {
        bytes_source_remaining_length(s, out) {
            if (s !== 1 || !source) return 8;
            dv().setUint32(out, source.length - source.pos, true); return 0;
        },
    },
    'spacetime_10.3': {},
    'spacetime_10.4': {
        datastore_index_scan_point_bsatn(ixid, p, n, out) {
            const ix = indexOf(ixid), t = tables[ix.table], k = Buffer.from(bytesAt(p, n));
            dv().setUint32(out, newIter(t.rows.filter((r) => project(t, r, ix.cols).equals(k))), true);
            return 0;
        },
    },
    'spacetime_10.5': {
        datastore_clear(id, out) { const t = tableOf(id); dv().setBigUint64(out, BigInt(t.rows.length), true); t.rows = []; return 0; },
    },
};

// Imports the scenarios do not need (range scans, point deletes) exist so that every module
// links; calling one fails the run.
const notHere = (f) => () => { throw new Error(`${f} is not implemented by the JS host`); };
for (const f of ['datastore_index_scan_range_bsatn', 'datastore_delete_by_index_scan_range_bsatn'])
    imports['spacetime_10.0'][f] = notHere(f);
imports['spacetime_10.4'].datastore_delete_by_index_scan_point_bsatn =
    notHere('datastore_delete_by_index_scan_point_bsatn');
for (const f of ['procedure_start_mut_tx', 'procedure_commit_mut_tx', 'procedure_abort_mut_tx',
                 'procedure_sleep_until', 'procedure_http_request'])
    imports['spacetime_10.3'][f] = notHere(f);

// Every import counts its calls (reported by --count).
let hostCalls = 0;
for (const mod of Object.values(imports))
    for (const [k, f] of Object.entries(mod)) mod[k] = (...a) => { hostCalls++; return f(...a); };

// ---- calls
function describe() {
    sink = [];
    inst.exports.__describe_module__(1);
    return Uint8Array.from(sink);
}
const le64 = (b, o) => new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);
function call(reducer, args = new Uint8Array(0), sender = new Uint8Array(32), conn = new Uint8Array(16), ts = 1000n) {
    const id = def.reducers.indexOf(reducer);
    const snapshot = tables.map((t) => [...t.rows]);
    sink = [];
    source = args.length ? { bytes: args, pos: 0, length: args.length } : null;
    inTx = true;
    const rc = inst.exports.__call_reducer__(id, le64(sender, 0), le64(sender, 8), le64(sender, 16),
        le64(sender, 24), le64(conn, 0), le64(conn, 8), ts, args.length ? 1 : 0, 1);
    inTx = false;
    if (rc !== 0) tables.forEach((t, i) => { t.rows = snapshot[i]; });
    return { rc, error: Buffer.from(Uint8Array.from(sink)).toString() };
}
function bsatn(...parts) {
    const out = [];
    for (const [kind, v] of parts) {
        const b = Buffer.alloc(kind === 'str' ? 4 + Buffer.byteLength(v) : { u32: 4, i64: 8, u8: 1 }[kind]);
        if (kind === 'str') { b.writeUInt32LE(Buffer.byteLength(v)); b.write(v, 4); }
        else if (kind === 'u32') b.writeUInt32LE(v);
        else if (kind === 'i64') b.writeBigInt64LE(BigInt(v));
        else b.writeUInt8(v);
        out.push(b);
    }
    return new Uint8Array(Buffer.concat(out));
}

// ---- scenarios (the same behaviour the native tests check, now on the real wasm)
const alice = new Uint8Array(32).fill(0xa1), conn1 = new Uint8Array(16).fill(7);
const balanceOf = (id) => {
    const r = tables[0].rows.find((row) => new DataView(row.buffer, row.byteOffset).getUint32(0, true) === id);
    return r ? Number(new DataView(r.buffer, r.byteOffset).getBigInt64(4, true)) : null;
};
const scenarios = {
    'keynote-bank'() {
        check(call('seed', bsatn(['u32', 1000], ['i64', 1000000000])).rc === 0, 'seed');
        check(tables[0].rows.length === 1000 && balanceOf(999) === 1e9, 'seeded rows');
        const t = (f, to, a) => call('transfer', bsatn(['u32', f], ['u32', to], ['i64', a]));
        check(t(1, 1, 5).error === 'same_account', 'same_account');
        check(t(1, 2, 0).error === 'non_positive_amount', 'non_positive_amount');
        check(t(1, 5000, 5).error === 'account_missing', 'account_missing');
        check(t(1, 2, 2e9).error === 'insufficient_funds', 'insufficient_funds');
        check(t(1, 2, 7).rc === 0 && balanceOf(1) === 1e9 - 7 && balanceOf(2) === 1e9 + 7, 'transfer');
        check(call('seed', bsatn(['u32', 10], ['i64', 5])).rc === 0 && tables[0].rows.length === 10, 'reseed');
    },
    'quickstart-chat'() {
        check(call('identity_connected', undefined, alice, conn1).rc === 0, 'connect');
        check(tables[1].rows.length === 1 && tables[1].rows[0][33] === 1 && tables[1].rows[0][32] === 1, 'user online, no name');
        check(call('set_name', bsatn(['str', '']), alice).error === 'Names must not be empty', 'empty name');
        check(call('set_name', bsatn(['str', 'Alice']), alice).rc === 0, 'set_name');
        check(Buffer.from(tables[1].rows[0].subarray(37, 42)).toString() === 'Alice', 'name stored');
        check(call('set_name', bsatn(['str', 'Bob']), new Uint8Array(32).fill(2)).error === 'Cannot set name for unknown user', 'unknown user');
        check(call('send_message', bsatn(['str', '']), alice).error === 'Messages must not be empty', 'empty message');
        const pages = mem.buffer.byteLength / 65536;
        const big = 'x'.repeat(300000);
        check(call('send_message', bsatn(['str', big]), alice, conn1, 1700000000000000n).rc === 0, 'big message');
        check(mem.buffer.byteLength / 65536 > pages, `linear memory grew (${pages} pages before)`);
        const m = tables[0].rows[0];
        check(m.length === 32 + 8 + 4 + 300000 && le64(m, 32) === 1700000000000000n, 'message row');
        check(logs.some((l) => l.level === 2 && l.target === 'send_message' && l.message === big), 'message logged');
        check(call('identity_disconnected', undefined, alice, conn1).rc === 0 && tables[1].rows[0].at(-1) === 0, 'offline');
    },
    ticker() {
        check(call('init').rc === 0, 'init');
        const timers = tables[1];
        check(timers.rows.length === 1 && le64(timers.rows[0], 0) === 1n && timers.rows[0][8] === 0, 'interval row, id 1');
        for (let k = 0; k < 3; k++) check(call('tick', timers.rows[0]).rc === 0, 'tick');
        check(tables[0].rows.length === 1 && le64(tables[0].rows[0], 4 + 'every_second'.length) === 3n, 'three ticks');
        check(call('schedule_once', bsatn(['str', 'boom'], ['i64', 500]), alice, conn1, 2000n).rc === 0, 'schedule_once');
        check(logs.some((l) => l.message === 'timer 2 armed for boom'), 'generated id written back');
        check(call('cancel', bsatn(['str', 'boom'])).rc === 0 && timers.rows.length === 1, 'cancel');
        check(call('cancel', bsatn(['str', 'nope'])).error === 'no timer labelled nope', 'cancel unknown');
        check(iters.size === 0, 'no iterator left open');
    },
    features() {
        // every column kind through wasm32 struct layouts: the stored row must be the id
        // followed by exactly the argument bytes
        const id = new Uint8Array(32).map((_, i) => i * 3), conn = new Uint8Array(16).fill(9);
        const f32 = Buffer.alloc(4); f32.writeFloatLE(1.5);
        const f64 = Buffer.alloc(8); f64.writeDoubleLE(-2.25);
        const args = new Uint8Array(Buffer.concat([
            Buffer.from([1, 201, 0x80]), Buffer.from([0xff, 0xff, 0xfe, 0xff]),
            Buffer.from(bsatn(['u32', 4294867296])), Buffer.from(bsatn(['i64', -2])),
            Buffer.from(bsatn(['i64', -9007199254740991])), f32, f64,
            Buffer.from(bsatn(['str', 'héllo'])), Buffer.from([0]), Buffer.from(bsatn(['str', 'opt'])),
            Buffer.from(id), Buffer.from(conn), Buffer.from(bsatn(['i64', -5])),
            Buffer.from(bsatn(['i64', 1000000])), Buffer.from([1]), Buffer.from(bsatn(['i64', 42])),
            Buffer.from(bsatn(['u32', 3])), Buffer.from([0, 255, 7]),
        ]));
        check(call('put_all', args).rc === 0, 'put_all');
        const kitchen = tables.find((t) => t.def.name === 'kitchen');
        const row = kitchen.rows[0];
        check(row && row.length === args.length + 4 && new DataView(row.buffer, row.byteOffset).getUint32(0, true) === 1 &&
              eqBytes(row.subarray(4), args), 'kitchen row = id + argument bytes');
        check(logs.some((l) => l.message === 'kitchen id=1'), 'generated id');
    },
    basic() {
        check(call('add', bsatn(['str', 'Alice'])).rc === 0 && call('add', bsatn(['str', 'Bob'])).rc === 0, 'add');
        check(call('say_hello').rc === 0, 'say_hello');
        check(logs.map((l) => l.message).join('|') === 'Hello, Alice!|Hello, Bob!|Hello, World!', 'greetings');
    },
};

function countInstructions() {
    const per = (f, n) => {
        const before = inst.exports.__count.value;
        for (let i = 0; i < n; i++) f(i);
        return Number(inst.exports.__count.value - before) / n;
    };
    if (name === 'keynote-bank') {
        call('seed', bsatn(['u32', 1000], ['i64', 1000000000]));
        const args = [];
        for (let i = 0; i < 1000; i++) args.push(bsatn(['u32', i], ['u32', (i * 7 + 1) % 1000], ['i64', 1]));
        const calls0 = hostCalls;
        const ok = per((i) => call('transfer', args[i]), 1000);
        const hostPer = (hostCalls - calls0) / 1000;
        const err = per(() => call('transfer', bsatn(['u32', 1], ['u32', 1], ['i64', 1])), 100);
        console.log(`count ${name}: transfer ${ok} wasm instructions/call and ${hostPer} host ` +
                    `calls (ok path), ${err} instructions (same_account error path)`);
        const fns = Object.keys(inst.exports).filter((k) => k.startsWith('__count_'));
        if (fns.length) {
            const before = Object.fromEntries(fns.map((k) => [k, inst.exports[k].value]));
            per((i) => call('transfer', args[i]), 1000);
            const rows = fns.map((k) => [k.slice(8), Number(inst.exports[k].value - before[k]) / 1000])
                .filter((r) => r[1] > 0).sort((a, b) => b[1] - a[1]);
            for (const [f, n] of rows) console.log(`  ${n.toFixed(1).padStart(8)}  ${f}`);
        }
    }
    if (name === 'basic') {
        console.log(`count ${name}: empty reducer (init) ${per(() => call('init'), 100)} wasm instructions/call, ` +
                    `describe ${per(() => describe(), 10)}`);
    }
}

try {
    const mod = await WebAssembly.compile(readFileSync(wasmPath));
    inst = await WebAssembly.instantiate(mod, imports);
    mem = inst.exports.memory;
    const got = describe();
    check(eqBytes(got, desc), `wasm description equals the native one (${got.length} vs ${desc.length} bytes)`);
    check(eqBytes(describe(), desc), 'second describe identical');
    if (scenarios[name]) scenarios[name]();
    if (mode === '--count') countInstructions();
    check(call('no-such-reducer').rc === -1, 'unknown reducer id returns -1');
} catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack}`);
}
console.log(`wasm-run ${name}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
