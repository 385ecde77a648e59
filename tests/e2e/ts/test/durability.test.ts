/*
 * tests/e2e/ts/test/durability.test.ts — the server going away under connected SDK clients:
 *  - a clean restart (SIGTERM, start again on the same data dir and port): clients see
 *    onDisconnect, reconnect with their token, keep their identity and find their data;
 *  - confirmed reads: with withConfirmedReads(true) a reducer's promise resolves only once
 *    the transaction is durable, so a kill -9 right after it loses nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbConnection as Chat } from '../gen/quickstart-chat/index.ts';
import {
  type Server, makeDataDir, publish, removeDir, startServer, wasmPath,
} from '../lib/server.ts';
import {
  connect, hex, installWsTap, sockets, subscribe, waitFor, withTimeout,
} from '../lib/sdk.ts';

installWsTap();
const dirs: string[] = [];
const live: Server[] = [];
after(async () => {
  for (const s of live) await s.stop();
  for (const d of dirs) removeDir(d);
});

async function start(dataDir: string, port = 0): Promise<Server> {
  const s = await startServer({ dataDir, port });
  live.push(s);
  return s;
}

test('clients survive a server restart by reconnecting with their token', async () => {
  const dir = makeDataDir('restart');
  dirs.push(dir);
  let s = await start(dir);
  const url = s.url;
  await publish(url, 'quickstart-chat', wasmPath('quickstart-chat'));
  let disconnected = false;
  const a = await connect(Chat.builder, url, 'quickstart-chat', {
    onDisconnect: () => { disconnected = true; },
  });
  await withTimeout(a.conn.reducers.setName({ name: 'persistent' }), 'set_name');
  for (const text of ['one', 'two', 'three'])
    await withTimeout(a.conn.reducers.sendMessage({ text }), `send ${text}`);

  assert.equal(await s.stop(), 0, `clean exit on SIGTERM; log:\n${s.log()}`);
  await waitFor(() => disconnected, 'onDisconnect after the server stopped');
  assert.equal(a.conn.isActive, false);

  s = await start(dir, s.port);
  assert.equal(s.url, url, 'same address after the restart');
  const again = await connect(Chat.builder, url, 'quickstart-chat', { token: a.token });
  try {
    assert.equal(hex(again.identity), hex(a.identity), 'same identity with the same token');
    await subscribe(again.conn, ['SELECT * FROM message', 'SELECT * FROM user']);
    const mine = [...again.conn.db.message.iter()]
      .filter((m) => hex(m.sender) === hex(a.identity)).map((m) => m.text);
    assert.deepEqual(mine, ['one', 'two', 'three']);
    const me = again.conn.db.user.identity.find(a.identity);
    assert.equal(me?.name, 'persistent');
    assert.equal(me?.online, true, 'client_connected ran again');
    // and the restarted server takes new writes
    await withTimeout(again.conn.reducers.sendMessage({ text: 'four' }), 'send four');
    assert.equal(Number(again.conn.db.message.count()), 4);
  } finally {
    again.conn.disconnect();
    assert.equal(await s.stop(), 0, `clean exit; log:\n${s.log()}`);
  }
});

test('confirmed reads: a resolved reducer call survives kill -9', async () => {
  const dir = makeDataDir('confirmed');
  dirs.push(dir);
  let s = await start(dir);
  await publish(s.url, 'quickstart-chat', wasmPath('quickstart-chat'));
  const a = await connect(Chat.builder, s.url, 'quickstart-chat', { confirmed: true });
  const rec = sockets[sockets.length - 1];
  assert.match(rec.url, /[?&]confirmed=true(&|$)/, 'the SDK asked for confirmed reads');
  await subscribe(a.conn, 'SELECT * FROM message');
  const texts = Array.from({ length: 20 }, (_, i) => `durable ${i}`);
  await withTimeout(Promise.all(texts.map((text) => a.conn.reducers.sendMessage({ text }))),
    'send 20');
  // the caller's rows were applied before each promise resolved
  assert.equal(Number(a.conn.db.message.count()), 20);
  await s.kill9();
  a.conn.disconnect();

  s = await start(dir, s.port);
  const b = await connect(Chat.builder, s.url, 'quickstart-chat', { confirmed: true });
  try {
    await subscribe(b.conn, 'SELECT * FROM message');
    const got = [...b.conn.db.message.iter()].map((m) => m.text).sort();
    assert.deepEqual(got, [...texts].sort(), 'every acknowledged message is on disk');
  } finally {
    b.conn.disconnect();
    assert.equal(await s.stop(), 0, `clean exit; log:\n${s.log()}`);
  }
});

test('unconfirmed reads still deliver the same updates', async () => {
  const dir = makeDataDir('unconfirmed');
  dirs.push(dir);
  const s = await start(dir);
  try {
    await publish(s.url, 'quickstart-chat', wasmPath('quickstart-chat'));
    const a = await connect(Chat.builder, s.url, 'quickstart-chat', { confirmed: false });
    const b = await connect(Chat.builder, s.url, 'quickstart-chat', { confirmed: false });
    assert.match(sockets[sockets.length - 1].url, /[?&]confirmed=false(&|$)/);
    await subscribe(b.conn, 'SELECT * FROM message');
    await withTimeout(a.conn.reducers.sendMessage({ text: 'fast' }), 'send');
    await waitFor(() => Number(b.conn.db.message.count()) === 1, 'B sees the message');
    a.conn.disconnect();
    b.conn.disconnect();
  } finally {
    assert.equal(await s.stop(), 0, `clean exit; log:\n${s.log()}`);
  }
});
