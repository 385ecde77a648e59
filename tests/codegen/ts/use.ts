// Type-level use of the generated quickstart-chat and ticker bindings, as an app would write
// it: if the bindings' shapes are wrong for the SDK, tsc rejects this file.
import { DbConnection, tables } from './gen/quickstart-chat/index';
import { DbConnection as TickerConnection } from './gen/ticker/index';
import type { SendMessageParams } from './gen/quickstart-chat/types/reducers';

export function use(): void {
  const conn = DbConnection.builder()
    .withUri('ws://127.0.0.1:3000')
    .withDatabaseName('quickstart-chat')
    .onConnect((c, identity, _token) => {
      const me = c.db.user.identity.find(identity);
      const online: boolean | undefined = me?.online;
      void online;
      c.db.message.onInsert((_ctx, row) => {
        const text: string = row.text;
        void text;
      });
      const p: SendMessageParams = { text: 'hi' };
      void c.reducers.sendMessage(p);
      void c.reducers.setName({ name: 'me' });
      c.subscriptionBuilder().subscribe(['SELECT * FROM message']);
    })
    .build();
  void conn;
  void tables.user;
  const t = TickerConnection.builder().onConnect(c => {
    for (const r of c.db.tickCount.iter()) {
      const n: bigint = r.ticks;
      void n;
    }
  });
  void t;
}
