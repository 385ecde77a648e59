/*
 * tests/e2e/ts/test/wire.test.ts — what goes over the socket:
 *  - gzip compression (the SDK default): the URL asks for Gzip, a large SubscribeApplied comes
 *    gzip-tagged (tag byte 2) and decodes to the right rows; with 'none' every message is
 *    tagged 0;
 *  - one-off queries: SDK 2.10.1 has no API for them, so the test speaks the v2 protocol on a
 *    plain WebSocket and encodes/decodes with the SDK's own BinaryWriter/BinaryReader and the
 *    generated row type.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AlgebraicType, BinaryReader, BinaryWriter } from 'spacetimedb';
import { DbConnection as Bank } from '../gen/keynote-bank/index.ts';
import { DbConnection as Chat } from '../gen/quickstart-chat/index.ts';
import MessageRow from '../gen/quickstart-chat/message_table.ts';
import { type Server, shutdown, startWithModules } from '../lib/server.ts';
import {
  TIMEOUT_MS, connect, hex, installWsTap, sockets, subscribe, waitFor,
  withTimeout,
} from '../lib/sdk.ts';

installWsTap();
let srv: Server;
const N = 5000;
before(async () => {
  srv = await startWithModules('wire', ['keynote-bank', 'quickstart-chat']);
  const a = await connect(Bank.builder, srv.url, 'keynote-bank');
  await withTimeout(a.conn.reducers.seed({ n: N, initialBalance: 1000n }), 'seed');
  a.conn.disconnect();
});
after(async () => { await shutdown(srv); });

test('gzip: large messages arrive compressed and decode to the right rows', async () => {
  const b = await connect(Bank.builder, srv.url, 'keynote-bank', { compression: 'gzip' });
  const rec = sockets[sockets.length - 1];
  try {
    assert.match(rec.url, /[?&]compression=Gzip(&|$)/);
    await subscribe(b.conn, 'SELECT * FROM accounts');
    assert.equal(Number(b.conn.db.accounts.count()), N);
    let sum = 0n;
    for (const r of b.conn.db.accounts.iter()) sum += r.balance;
    assert.equal(sum, BigInt(N) * 1000n);
    assert.equal(b.conn.db.accounts.id.find(N - 1)?.balance, 1000n);
    assert.ok(rec.tags.every((t) => t === 0 || t === 2), `tags: ${rec.tags}`);
    assert.ok(rec.tags.includes(2), `a gzip-tagged message (tags ${rec.tags}, sizes ${rec.sizes})`);
    // N rows of 12 bytes would be > 60 KB raw; compressed it must be much smaller
    assert.ok(Math.max(...rec.sizes) < N * 12, `largest frame ${Math.max(...rec.sizes)} bytes`);
    // updates still flow on a gzip connection
    await withTimeout(b.conn.reducers.transfer({ from: 1, to: 2, amount: 10n }), 'transfer');
    assert.equal(b.conn.db.accounts.id.find(2)?.balance, 1010n);
  } finally {
    b.conn.disconnect();
  }
});

test("compression 'none': every message is tagged 0", async () => {
  const b = await connect(Bank.builder, srv.url, 'keynote-bank', { compression: 'none' });
  const rec = sockets[sockets.length - 1];
  try {
    assert.match(rec.url, /[?&]compression=None(&|$)/);
    await subscribe(b.conn, 'SELECT * FROM accounts');
    assert.equal(Number(b.conn.db.accounts.count()), N);
    assert.ok(rec.tags.length >= 2);
    assert.ok(rec.tags.every((t) => t === 0), `tags: ${rec.tags}`);
    assert.ok(Math.max(...rec.sizes) > N * 12, 'the initial rows came uncompressed');
  } finally {
    b.conn.disconnect();
  }
});

/* ---- one-off query over a plain WebSocket ---- */
function oneOffQuery(requestId: number, sql: string): Uint8Array {
  const w = new BinaryWriter(64);
  w.writeU8(2); // ClientMessage::OneOffQuery
  w.writeU32(requestId);
  w.writeString(sql);
  return w.getBuffer();
}

interface OneOffResult { requestId: number; error?: string; tables: Map<string, Uint8Array[]> }

function readRows(r: BinaryReader, rowDe: (r: BinaryReader) => any): any[] {
  const hint = r.readU8();
  if (hint === 0) r.readU16();
  else for (let n = r.readU32(); n > 0; n--) r.readU64();
  const data = r.readUInt8Array();
  const rr = new BinaryReader(data);
  const rows = [];
  while (rr.remaining > 0) rows.push(rowDe(rr));
  return rows;
}

function parseOneOff(msg: Uint8Array, rowDe: (r: BinaryReader) => any): OneOffResult & { rows: any[] } {
  const r = new BinaryReader(msg);
  assert.equal(r.readU8(), 5, 'ServerMessage::OneOffQueryResult');
  const requestId = r.readU32();
  const tables = new Map();
  const rows: any[] = [];
  if (r.readU8() === 1) return { requestId, error: r.readString(), tables, rows };
  for (let n = r.readU32(); n > 0; n--) {
    const name = r.readString();
    tables.set(name, true);
    rows.push(...readRows(r, rowDe));
  }
  assert.equal(r.remaining, 0, 'nothing after the result');
  return { requestId, tables, rows };
}

async function rawSocket(db: string): Promise<{ ws: WebSocket; next: () => Promise<Uint8Array> }> {
  const url = `${srv.url.replace('http', 'ws')}/v1/database/${db}/subscribe?compression=None`;
  const ws = new WebSocket(url, ['v2.bsatn.spacetimedb']);
  ws.binaryType = 'arraybuffer';
  const queue: Uint8Array[] = [];
  const waiters: Array<(m: Uint8Array) => void> = [];
  ws.addEventListener('message', (ev) => {
    const u8 = new Uint8Array(ev.data as ArrayBuffer);
    assert.equal(u8[0], 0, 'compression tag 0');
    const m = u8.subarray(1);
    const w = waiters.shift();
    if (w) w(m); else queue.push(m);
  });
  const next = () => withTimeout(new Promise<Uint8Array>((res) => {
    const m = queue.shift();
    if (m) res(m); else waiters.push(res);
  }), 'next server message', TIMEOUT_MS);
  await withTimeout(new Promise((res, rej) => {
    ws.addEventListener('open', res);
    ws.addEventListener('error', rej);
  }), 'raw socket open');
  return { ws, next };
}

test('one-off query over the v2 protocol returns the rows, errors come back as Err', async () => {
  const a = await connect(Chat.builder, srv.url, 'quickstart-chat');
  await withTimeout(a.conn.reducers.sendMessage({ text: 'one-off a' }), 'send');
  await withTimeout(a.conn.reducers.sendMessage({ text: 'one-off b' }), 'send');
  a.conn.disconnect();
  const { ws, next } = await rawSocket('quickstart-chat');
  try {
    const first = await next();
    assert.equal(first[0], 0, 'InitialConnection first');
    const rowDe = AlgebraicType.makeDeserializer(MessageRow.algebraicType as any);
    ws.send(oneOffQuery(7, "SELECT * FROM message WHERE text = 'one-off b'"));
    const res = parseOneOff(await next(), rowDe);
    assert.equal(res.requestId, 7);
    assert.equal(res.error, undefined, `no error: ${res.error}`);
    assert.deepEqual([...res.tables.keys()], ['message']);
    assert.equal(res.rows.length, 1);
    assert.equal(res.rows[0].text, 'one-off b');
    assert.equal(hex(res.rows[0].sender), hex(a.identity));

    ws.send(oneOffQuery(8, 'SELECT * FROM message'));
    const all = parseOneOff(await next(), rowDe);
    assert.equal(all.requestId, 8);
    assert.deepEqual(all.rows.map((m) => m.text).sort(), ['one-off a', 'one-off b']);

    ws.send(oneOffQuery(9, 'SELECT * FROM no_such_table'));
    const bad = parseOneOff(await next(), rowDe);
    assert.equal(bad.requestId, 9);
    assert.ok(bad.error && bad.error.length > 0, 'an error text');
  } finally {
    ws.close();
  }
  await waitFor(() => ws.readyState === WebSocket.CLOSED, 'raw socket closed');
});
