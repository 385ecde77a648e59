/*
 * tests/e2e/ts/test/scheduled.test.ts — transactions no client called (scheduled reducers of
 * examples/ticker) reach SDK subscribers as TransactionUpdates: the interval timer armed by
 * `init` (every second), a one-shot armed by a client, and cancel stopping the interval.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbConnection as Ticker } from '../gen/ticker/index.ts';
import { type Server, shutdown, startWithModules } from '../lib/server.ts';
import {
  connect, rejection, subscribe, waitFor, withTimeout,
} from '../lib/sdk.ts';

let srv: Server;
before(async () => { srv = await startWithModules('ticker', ['ticker']); });
after(async () => { await shutdown(srv); });

test('scheduled reducers update subscribers; one-shots fire once; cancel stops a timer', async () => {
  const a = await connect(Ticker.builder, srv.url, 'ticker');
  try {
    const events: string[] = [];
    a.conn.db.tickCount.onInsert((ctx, r) => events.push(`${ctx.event.tag}:insert:${r.label}`));
    a.conn.db.tickCount.onUpdate((ctx, _o, r) => events.push(`${ctx.event.tag}:update:${r.label}`));
    await subscribe(a.conn, 'SELECT * FROM tick_count');
    const ticks = (label: string) => a.conn.db.tickCount.label.find(label)?.ticks ?? 0n;

    // the interval timer armed by init: twice within a few seconds, as Transaction events
    await waitFor(() => ticks('every_second') >= 2n, 'two ticks of every_second', 5_000);
    assert.ok(events.includes('Transaction:update:every_second'), events.join(' '));

    const armed = Date.now();
    await withTimeout(a.conn.reducers.scheduleOnce({ label: 'once', delayMicros: 300_000n }), 'arm');
    await waitFor(() => ticks('once') === 1n, 'the one-shot fired');
    const row = a.conn.db.tickCount.label.find('once')!;
    assert.ok(row.lastTick.toDate().getTime() >= armed + 250, 'not before its time');
    assert.ok(events.includes('Transaction:insert:once'));

    const e = await rejection(a.conn.reducers.cancel({ label: 'nope' }), 'cancel unknown');
    assert.equal(e.message, 'no timer labelled nope');
    const neg = await rejection(a.conn.reducers.scheduleOnce({ label: 'x', delayMicros: -1n }), 'neg');
    assert.equal(neg.message, 'delay must not be negative');

    await withTimeout(a.conn.reducers.cancel({ label: 'every_second' }), 'cancel');
    const stopped = ticks('every_second');
    // a marker one-shot 1.5 s later: by then the interval would have ticked again
    await withTimeout(a.conn.reducers.scheduleOnce({ label: 'marker', delayMicros: 1_500_000n }), 'marker');
    await waitFor(() => ticks('marker') === 1n, 'the marker fired');
    assert.equal(ticks('every_second'), stopped, 'no tick after cancel');
    assert.equal(ticks('once'), 1n, 'a one-shot fires once');
  } finally {
    a.conn.disconnect();
  }
});
