/*
 * tests/e2e/ts/test/rows.test.ts — subscriptions and reducers through the official SDK, with
 * two or more real clients: initial rows, onInsert/onUpdate/onDelete caused by ANOTHER
 * client's reducer, the caller's own ReducerResult updates, reducer errors reaching the caller
 * (and nobody else), a procedure's return value, unsubscribe, several query sets at once (a
 * row in two sets is counted once), a bad query reaching onError.
 *
 * To know that a message was NOT delivered, a test makes the other client commit a second,
 * visible transaction and waits for that: the server sends messages in commit order, so
 * anything from the first transaction would have arrived before it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbConnection as Chat } from '../gen/quickstart-chat/index.ts';
import { DbConnection as Bank } from '../gen/keynote-bank/index.ts';
import { type Server, shutdown, startWithModules } from '../lib/server.ts';
import {
  connect, hex, rejection, subscribe, waitFor, withTimeout,
} from '../lib/sdk.ts';

let srv: Server;
before(async () => { srv = await startWithModules('rows', ['quickstart-chat', 'keynote-bank']); });
after(async () => { await shutdown(srv); });

const chat = () => connect(Chat.builder, srv.url, 'quickstart-chat');
const bank = () => connect(Bank.builder, srv.url, 'keynote-bank');
const texts = (c: Chat) => [...c.db.message.iter()].map((m) => m.text).sort();

test('subscribe delivers the initial rows', async () => {
  const a = await chat();
  await withTimeout(a.conn.reducers.setName({ name: 'alice' }), 'set_name');
  await withTimeout(a.conn.reducers.sendMessage({ text: 'initial one' }), 'send 1');
  await withTimeout(a.conn.reducers.sendMessage({ text: 'initial two' }), 'send 2');
  const b = await chat();
  try {
    let appliedBeforeInsert = true;
    let inserted = 0;
    b.conn.db.message.onInsert((ctx) => {
      inserted++;
      if (ctx.event.tag !== 'SubscribeApplied') appliedBeforeInsert = false;
    });
    await subscribe(b.conn, ['SELECT * FROM message', 'SELECT * FROM user']);
    const mine = [...b.conn.db.message.iter()].filter((m) => hex(m.sender) === hex(a.identity));
    assert.deepEqual(mine.map((m) => m.text).sort(), ['initial one', 'initial two']);
    assert.ok(mine.every((m) => m.sent.toDate().getTime() > Date.now() - 60_000));
    const ua = b.conn.db.user.identity.find(a.identity);
    assert.ok(ua, "A's user row is there");
    assert.equal(ua.name, 'alice');
    assert.equal(ua.online, true);
    const ub = b.conn.db.user.identity.find(b.identity);
    assert.equal(ub?.online, true, "B's own user row (client_connected) is there");
    await waitFor(() => inserted >= 2, 'onInsert for the initial rows');
    assert.ok(appliedBeforeInsert, 'initial rows come with the SubscribeApplied event');
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test("another client's reducer fires onInsert and onUpdate; the caller gets its own", async () => {
  const a = await chat();
  const b = await chat();
  try {
    await subscribe(a.conn, ['SELECT * FROM message', 'SELECT * FROM user']);
    await subscribe(b.conn, ['SELECT * FROM message', 'SELECT * FROM user']);
    const seenB: string[] = [];
    const seenA: string[] = [];
    b.conn.db.message.onInsert((ctx, m) => seenB.push(`${ctx.event.tag}:${m.text}`));
    a.conn.db.message.onInsert((ctx, m) => seenA.push(`${ctx.event.tag}:${m.text}`));
    await withTimeout(a.conn.reducers.sendMessage({ text: 'hello from a' }), 'send');
    // the caller's row callback ran before its promise resolved (ReducerResult carries it)
    assert.deepEqual(seenA, ['Reducer:hello from a']);
    await waitFor(() => seenB.length === 1, 'B sees the insert');
    assert.deepEqual(seenB, ['Transaction:hello from a']);

    const updates: Array<[string | undefined, string | undefined]> = [];
    b.conn.db.user.onUpdate((_ctx, old, nu) => {
      if (hex(nu.identity) === hex(a.identity)) updates.push([old.name, nu.name]);
    });
    await withTimeout(a.conn.reducers.setName({ name: 'first' }), 'set_name 1');
    await withTimeout(a.conn.reducers.setName({ name: 'second' }), 'set_name 2');
    await waitFor(() => updates.length === 2, 'B sees two updates of A');
    assert.deepEqual(updates, [[undefined, 'first'], ['first', 'second']]);
    assert.equal(b.conn.db.user.identity.find(a.identity)?.name, 'second');

    // A leaving is an update of its row (online -> false) made by client_disconnected
    let offline = false;
    b.conn.db.user.onUpdate((_ctx, old, nu) => {
      if (hex(nu.identity) === hex(a.identity) && old.online && !nu.online) offline = true;
    });
    a.conn.disconnect();
    await waitFor(() => offline, 'B sees A go offline');
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test("onDelete and onUpdate from another client's reducer (keynote-bank seed)", async () => {
  const a = await bank();
  const b = await bank();
  try {
    await withTimeout(a.conn.reducers.seed({ n: 3, initialBalance: 100n }), 'seed 3');
    await subscribe(b.conn, 'SELECT * FROM accounts');
    assert.equal(Number(b.conn.db.accounts.count()), 3);
    const deleted: number[] = [];
    const updated: Array<[number, bigint, bigint]> = [];
    const inserted: number[] = [];
    b.conn.db.accounts.onDelete((_c, r) => deleted.push(r.id));
    b.conn.db.accounts.onInsert((_c, r) => inserted.push(r.id));
    b.conn.db.accounts.onUpdate((_c, o, n) => updated.push([n.id, o.balance, n.balance]));
    // seed deletes every row and inserts 0..n-1: id 0 is an update, ids 1 and 2 deletes
    await withTimeout(a.conn.reducers.seed({ n: 1, initialBalance: 50n }), 'seed 1');
    await waitFor(() => deleted.length === 2 && updated.length === 1, 'B sees deletes+update');
    assert.deepEqual(deleted.sort(), [1, 2]);
    assert.deepEqual(updated, [[0, 100n, 50n]]);
    assert.deepEqual(inserted, []);
    assert.equal(Number(b.conn.db.accounts.count()), 1);

    await withTimeout(a.conn.reducers.seed({ n: 2, initialBalance: 10n }), 'seed 2');
    await withTimeout(a.conn.reducers.transfer({ from: 0, to: 1, amount: 3n }), 'transfer');
    await waitFor(() => updated.length === 4, 'B sees the transfer');
    assert.deepEqual(inserted, [1]);
    assert.equal(b.conn.db.accounts.id.find(0)?.balance, 7n);
    assert.equal(b.conn.db.accounts.id.find(1)?.balance, 13n);
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test('a procedure returns its value to the caller (keynote-bank total_balance)', async () => {
  const a = await bank();
  try {
    await withTimeout(a.conn.reducers.seed({ n: 4, initialBalance: 25n }), 'seed 4');
    await withTimeout(a.conn.reducers.transfer({ from: 0, to: 3, amount: 7n }), 'transfer');
    const total: bigint = await withTimeout(a.conn.procedures.totalBalance({}), 'total_balance');
    assert.equal(total, 100n, 'transfers keep the sum');
    await withTimeout(a.conn.reducers.seed({ n: 2, initialBalance: 3n }), 'seed 2');
    assert.equal(await withTimeout(a.conn.procedures.totalBalance({}), 'again'), 6n);
  } finally {
    a.conn.disconnect();
  }
});

test('a failing reducer rejects the caller and changes nothing for anyone', async () => {
  const a = await bank();
  const b = await bank();
  try {
    await withTimeout(a.conn.reducers.seed({ n: 2, initialBalance: 5n }), 'seed');
    await subscribe(a.conn, 'SELECT * FROM accounts');
    await subscribe(b.conn, 'SELECT * FROM accounts');
    let eventsB = 0;
    b.conn.db.accounts.onUpdate(() => eventsB++);
    b.conn.db.accounts.onInsert(() => eventsB++);
    b.conn.db.accounts.onDelete(() => eventsB++);

    const e1 = await rejection(a.conn.reducers.transfer({ from: 0, to: 0, amount: 1n }), 'same');
    assert.equal(e1.name, 'SenderError');
    assert.match(e1.message, /same_account/);
    const e2 = await rejection(a.conn.reducers.transfer({ from: 0, to: 1, amount: 6n }), 'funds');
    assert.equal(e2.name, 'SenderError');
    assert.match(e2.message, /insufficient_funds/);
    assert.equal(a.conn.db.accounts.id.find(0)?.balance, 5n, 'rolled back');

    // a reducer that does not exist is an InternalError, not a SenderError
    const e3 = await rejection(a.conn.callReducer('no_such_reducer', new Uint8Array()), 'unknown');
    assert.equal(e3.name, 'InternalError');

    // the connection still works, and B saw only the successful transfer
    await withTimeout(a.conn.reducers.transfer({ from: 0, to: 1, amount: 5n }), 'transfer ok');
    await waitFor(() => b.conn.db.accounts.id.find(1)?.balance === 10n, 'B sees the transfer');
    assert.equal(eventsB, 2, 'two updates, nothing from the failed calls');
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test('quickstart-chat reducer errors carry the module message', async () => {
  const a = await chat();
  try {
    const e = await rejection(a.conn.reducers.setName({ name: '' }), 'empty name');
    assert.equal(e.name, 'SenderError');
    assert.equal(e.message, 'Names must not be empty');
    const e2 = await rejection(a.conn.reducers.sendMessage({ text: '' }), 'empty message');
    assert.equal(e2.message, 'Messages must not be empty');
  } finally {
    a.conn.disconnect();
  }
});

test('unsubscribe drops the rows from the cache and stops the updates', async () => {
  const a = await chat();
  const b = await chat();
  try {
    await withTimeout(a.conn.reducers.sendMessage({ text: 'before unsubscribe' }), 'send');
    const msgs = await subscribe(b.conn, 'SELECT * FROM message');
    await subscribe(b.conn, 'SELECT * FROM user');
    const n = Number(b.conn.db.message.count());
    assert.ok(n >= 1);
    let deletes = 0;
    b.conn.db.message.onDelete(() => deletes++);
    await withTimeout(new Promise<void>((res) => msgs.unsubscribeThen(() => res())), 'unsub');
    assert.equal(msgs.isEnded(), true);
    assert.equal(Number(b.conn.db.message.count()), 0, 'dropped rows were removed');
    assert.equal(deletes, n, 'one onDelete per dropped row');

    let inserts = 0;
    b.conn.db.message.onInsert(() => inserts++);
    await withTimeout(a.conn.reducers.sendMessage({ text: 'after unsubscribe' }), 'send 2');
    await withTimeout(a.conn.reducers.setName({ name: 'marker' }), 'marker');
    await waitFor(() => b.conn.db.user.identity.find(a.identity)?.name === 'marker', 'marker');
    assert.equal(inserts, 0, 'no message after unsubscribe');
    assert.equal(Number(b.conn.db.message.count()), 0);
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test('several subscriptions at once; a row in two of them is counted once', async () => {
  const a = await chat();
  const b = await chat();
  try {
    await withTimeout(a.conn.reducers.sendMessage({ text: 'dup' }), 'send dup');
    await withTimeout(a.conn.reducers.sendMessage({ text: 'solo' }), 'send solo');
    const [all, users, dups] = await Promise.all([
      subscribe(b.conn, 'SELECT * FROM message'),
      subscribe(b.conn, 'SELECT * FROM user'),
      subscribe(b.conn, "SELECT * FROM message WHERE text = 'dup'"),
    ]);
    assert.ok(users);
    const before = texts(b.conn);
    assert.ok(before.includes('dup') && before.includes('solo'));
    assert.equal(before.filter((t) => t === 'dup').length, 1, 'one cached row for two sets');
    assert.ok(b.conn.db.user.identity.find(a.identity));

    let dupInserts = 0;
    b.conn.db.message.onInsert((_c, m) => { if (m.text === 'dup') dupInserts++; });
    await withTimeout(a.conn.reducers.sendMessage({ text: 'dup' }), 'send dup 2');
    await waitFor(() => dupInserts > 0, 'B sees the second dup');
    assert.equal(texts(b.conn).filter((t) => t === 'dup').length, 2);

    // dropping the wide set keeps what the narrow one still holds
    await withTimeout(new Promise<void>((res) => all.unsubscribeThen(() => res())), 'unsub all');
    assert.deepEqual(texts(b.conn), ['dup', 'dup']);
    await withTimeout(new Promise<void>((res) => dups.unsubscribeThen(() => res())), 'unsub dup');
    assert.equal(Number(b.conn.db.message.count()), 0);
    assert.equal(users.isActive(), true);
    assert.ok(Number(b.conn.db.user.count()) >= 2, 'the user set is untouched');
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test('a query the server rejects reaches onError and the connection stays usable', async () => {
  const b = await chat();
  try {
    await assert.rejects(subscribe(b.conn, 'SELECT * FROM no_such_table'));
    await subscribe(b.conn, 'SELECT * FROM user');
    assert.ok(b.conn.db.user.identity.find(b.identity));
  } finally {
    b.conn.disconnect();
  }
});
