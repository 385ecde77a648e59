/*
 * tests/e2e/ts/test/republish.test.ts — the owner republishes while SDK clients are connected
 * (issue 4: "Connected clients keep their connections across a compatible republish").
 * A compatible republish (the same chat module again: an empty migration) leaves every
 * connection and subscription in place: no onDisconnect, no subscription error, and the
 * next transaction's onInsert arrives as before. A republish with clear=true breaks clients:
 * the server closes their connections (the reference's DisconnectAllUsers) and a new
 * connection sees the new, empty database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbConnection as Chat } from '../gen/quickstart-chat/index.ts';
import {
  type Server, makeDataDir, publishAs, shutdown, startServer, wasmPath,
} from '../lib/server.ts';
import { connect, sleep, subscribe, waitFor, withTimeout } from '../lib/sdk.ts';

let srv: Server;
let owner: string;
before(async () => {
  srv = await startServer({ dataDir: makeDataDir('republish') });
  const r = await publishAs(srv.url, 'chat', wasmPath('quickstart-chat'));
  assert.equal(r.status, 200, r.body);
  assert.ok(r.token, 'the anonymous publish minted the owner token');
  owner = r.token!;
});
after(async () => { await shutdown(srv); });

test('a compatible republish keeps SDK connections and subscriptions', async () => {
  let disconnects = 0;
  const a = await connect(Chat.builder, srv.url, 'chat', { onDisconnect: () => { disconnects++; } });
  const b = await connect(Chat.builder, srv.url, 'chat', { onDisconnect: () => { disconnects++; } });
  try {
    const seen: string[] = [];
    let errors = 0;
    a.conn.db.message.onInsert((_ctx, m) => seen.push(m.text));
    await withTimeout(new Promise<void>((res, rej) => {
      a.conn.subscriptionBuilder()
        .onApplied(() => res())
        .onError(() => { errors++; rej(new Error('subscription error')); })
        .subscribe('SELECT * FROM message');
    }), 'subscribe');
    await withTimeout(b.conn.reducers.sendMessage({ text: 'before' }), 'send before');
    await waitFor(() => seen.includes('before'), 'the message sent before the republish');

    const r = await publishAs(srv.url, 'chat', wasmPath('quickstart-chat'), owner);
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /"op":"updated"/);
    await sleep(300);
    assert.equal(disconnects, 0, 'nobody was disconnected');
    assert.equal(errors, 0, 'no subscription error');

    await withTimeout(b.conn.reducers.sendMessage({ text: 'after' }), 'send after');
    await waitFor(() => seen.includes('after'), 'the message sent after the republish');
    assert.deepEqual(seen, ['before', 'after']);
    assert.equal(disconnects, 0);
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test('a republish with clear=true disconnects the clients; a new connection sees it empty', async () => {
  let gone = false;
  const a = await connect(Chat.builder, srv.url, 'chat', { onDisconnect: () => { gone = true; } });
  await subscribe(a.conn, 'SELECT * FROM message');
  assert.ok([...a.conn.db.message.iter()].length > 0, 'messages of the previous test');
  const r = await publishAs(srv.url, 'chat', wasmPath('quickstart-chat'), owner, '?clear=true');
  assert.equal(r.status, 200, r.body);
  await waitFor(() => gone, 'the server closed the connection');
  const c = await connect(Chat.builder, srv.url, 'chat');
  try {
    await subscribe(c.conn, 'SELECT * FROM message');
    assert.equal([...c.conn.db.message.iter()].length, 0, 'cleared');
  } finally {
    c.conn.disconnect();
  }
});
