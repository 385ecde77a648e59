/*
 * tests/e2e/ts/probe.ts — asks a fresh `lightcone start` whether it serves subscriptions yet.
 * Prints nothing if it does, else the server's own refusal. The suite passes that text to the
 * tests as E2E_NO_SUBSCRIPTIONS, and the tests that need subscriptions report themselves as
 * TODO with it instead of failing, while the server is being built (remove once it is).
 */
import { DbConnection } from './gen/quickstart-chat/index.ts';
import { shutdown, startWithModules } from './lib/server.ts';
import { connect, subscribe } from './lib/sdk.ts';

const srv = await startWithModules('probe', ['quickstart-chat']);
let reason = '';
try {
  const { conn } = await connect(DbConnection.builder, srv.url, 'quickstart-chat');
  try {
    await subscribe(conn, 'SELECT * FROM user');
  } catch (e: any) {
    reason = String(e?.message ?? e);
  }
  conn.disconnect();
} finally {
  await shutdown(srv);
}
process.stdout.write(/attached to this server yet|not implemented|501/.test(reason) ? reason : '');
process.exit(0);
