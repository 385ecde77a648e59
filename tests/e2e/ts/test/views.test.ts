/*
 * tests/e2e/ts/test/views.test.ts — module views through the official SDK
 * (tests/host/modules/viewtest, bindings from `lightcone generate`): a sender view shows each
 * client its own rows, an anonymous view the same rows to all, and both follow later
 * transactions in the client cache (onInsert / onDelete), whoever caused them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbConnection as Vt } from '../gen/viewtest/index.ts';
import { type Server, shutdown, startWithModules } from '../lib/server.ts';
import { connect, subscribe, waitFor, withTimeout } from '../lib/sdk.ts';

let srv: Server;
before(async () => { srv = await startWithModules('views', ['viewtest']); });
after(async () => { await shutdown(srv); });

const names = (rows: Iterable<{ name: string }>) => [...rows].map((r) => r.name).sort();

test('sender and anonymous views follow the tables they read', async () => {
  const a = await connect(Vt.builder, srv.url, 'viewtest');
  const b = await connect(Vt.builder, srv.url, 'viewtest');
  try {
    const q = ['SELECT * FROM my_players', 'SELECT * FROM top_players'];
    await subscribe(a.conn, q);
    await subscribe(b.conn, q);
    await withTimeout(a.conn.reducers.addPlayer({ id: 1, name: 'a1', score: 150 }), 'a1');
    await withTimeout(b.conn.reducers.addPlayer({ id: 2, name: 'b1', score: 50 }), 'b1');
    await waitFor(() => b.conn.db.myPlayers.count() === 1n, "B's own player");
    assert.deepEqual(names(a.conn.db.myPlayers.iter()), ['a1']);
    assert.deepEqual(names(b.conn.db.myPlayers.iter()), ['b1']);
    await waitFor(() => b.conn.db.topPlayers.count() === 1n, 'the shared view reached B');
    assert.deepEqual(names(a.conn.db.topPlayers.iter()), ['a1']);

    let bInserted = 0;
    b.conn.db.topPlayers.onInsert(() => { bInserted++; });
    // A raises B's player over the bar: both see it in top_players, only B in my_players
    await withTimeout(a.conn.reducers.setScore({ id: 2, score: 120 }), 'set_score');
    await waitFor(() => b.conn.db.topPlayers.count() === 2n, 'B sees b1 in top_players');
    await waitFor(() => a.conn.db.topPlayers.count() === 2n, 'A sees b1 in top_players');
    assert.equal(bInserted, 1);
    assert.equal([...b.conn.db.myPlayers.iter()][0].score, 120);
    assert.deepEqual(names(a.conn.db.myPlayers.iter()), ['a1']);
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});
