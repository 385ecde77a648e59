/*
 * tests/e2e/ts/test/connect.test.ts — connecting with the official SDK: anonymous identity and
 * token, reconnecting with the token, distinct identities, and the two ways a connect fails
 * (unknown database, invalid token) reaching onConnectError.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbConnection } from '../gen/quickstart-chat/index.ts';
import { type Server, shutdown, startWithModules } from '../lib/server.ts';
import { connect, hex } from '../lib/sdk.ts';

let srv: Server;
before(async () => { srv = await startWithModules('connect', ['quickstart-chat']); });
after(async () => { await shutdown(srv); });

const chat = (opts = {}) => connect(DbConnection.builder, srv.url, 'quickstart-chat', opts);

function jwtPayload(token: string): any {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `token is a JWT: ${token}`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

test('anonymous connect gets an identity, a connection id and a token', async () => {
  const { conn, identity, token } = await chat();
  try {
    assert.match(hex(identity), /^[0-9a-f]{64}$/);
    assert.notEqual(hex(identity), '0'.repeat(64));
    assert.equal(hex(conn.identity!), hex(identity));
    assert.equal(conn.token, token);
    assert.notEqual(conn.connectionId.toHexString(), '0'.repeat(32));
    const claims = jwtPayload(token);
    assert.equal(typeof claims.sub, 'string');
    assert.equal(typeof claims.iss, 'string');
    assert.equal(conn.isActive, true);
  } finally {
    conn.disconnect();
  }
});

test('reconnecting with the token gives the same identity', async () => {
  const first = await chat();
  first.conn.disconnect();
  const again = await chat({ token: first.token });
  try {
    assert.equal(hex(again.identity), hex(first.identity));
    // the SDK keeps the caller's long-lived token rather than the websocket one
    assert.equal(again.token, first.token);
    assert.notEqual(again.conn.connectionId.toHexString(),
      first.conn.connectionId.toHexString());
  } finally {
    again.conn.disconnect();
  }
});

test('two anonymous connections get different identities', async () => {
  const a = await chat();
  const b = await chat();
  try {
    assert.notEqual(hex(a.identity), hex(b.identity));
    assert.notEqual(a.token, b.token);
  } finally {
    a.conn.disconnect();
    b.conn.disconnect();
  }
});

test('an unknown database reaches onConnectError', async () => {
  // the upgrade is answered 404 `no-such-db` not found, as the reference does
  const r = connect(DbConnection.builder, srv.url, 'no-such-db');
  r.then((c) => c.conn.disconnect(), () => {});
  await assert.rejects(r);
});

test('an invalid token reaches onConnectError', async () => {
  const { token } = await chat().then((c) => { c.conn.disconnect(); return c; });
  const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await assert.rejects(chat({ token: forged }), /Failed to verify token/);
});
