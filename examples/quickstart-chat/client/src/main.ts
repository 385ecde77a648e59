/*
 * examples/quickstart-chat/client/src/main.ts — the browser chat: the official spacetimedb SDK
 * and the bindings `lightcone generate` wrote into ./module_bindings (build.mjs).
 *
 * Connection: to the server that served this page (location.origin), database
 * `quickstart-chat`; `?server=URL&db=NAME` override both. The token the server mints on the
 * first visit is kept in localStorage (one per server+database), so a reload is the same user;
 * a token the server no longer accepts (new data dir, new keys) is dropped and the page
 * connects anonymously. Separate browser profiles are separate users.
 *
 * State lives in the SDK's client cache (subscriptions to `user` and `message`); every row
 * event schedules one re-render on the next animation frame. Join/leave/rename notices are
 * kept locally from row events that happen after the initial rows. User text only ever goes
 * into textContent.
 */
import { DbConnection, type ErrorContext, type EventContext } from './module_bindings';
import type { Message, User } from './module_bindings/types';
import type { Identity } from 'spacetimedb';

const params = new URLSearchParams(location.search);
const SERVER = params.get('server') ?? location.origin;
const DB = params.get('db') ?? 'quickstart-chat';
const TOKEN_KEY = `lightcone-chat:${SERVER}:${DB}:token`;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  status: $('status'),
  nameForm: $<HTMLFormElement>('name-form'),
  nameInput: $<HTMLInputElement>('name-input'),
  nameButton: $<HTMLButtonElement>('name-button'),
  messageForm: $<HTMLFormElement>('message-form'),
  messageInput: $<HTMLInputElement>('message-input'),
  sendButton: $<HTMLButtonElement>('send-button'),
  messages: $<HTMLUListElement>('messages'),
  users: $<HTMLUListElement>('users'),
  error: $('error'),
};

interface Notice { atMicros: bigint; text: string }
let conn: DbConnection | undefined;
let me: Identity | undefined;
const notices: Notice[] = [];
let renderQueued = false;

function setStatus(state: 'connecting' | 'connected' | 'disconnected' | 'error', text: string) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function setEnabled(on: boolean) {
  for (const el of [ui.nameInput, ui.nameButton, ui.messageInput, ui.sendButton]) el.disabled = !on;
}

function showError(text: string) {
  ui.error.textContent = text;
}

const shortId = (id: Identity) => id.toHexString().slice(0, 8);

function userName(id: Identity): string {
  const u = conn?.db.user.identity.find(id);
  return u?.name ?? shortId(id);
}

const nowMicros = () => BigInt(Date.now()) * 1000n;

function notice(text: string) {
  notices.push({ atMicros: nowMicros(), text });
  queueRender();
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function messageItem(m: Message): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'message';
  if (me && m.sender.isEqual(me)) li.classList.add('mine');
  const sender = document.createElement('span');
  sender.className = 'sender';
  sender.textContent = userName(m.sender);
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = m.text;
  const time = document.createElement('time');
  const date = m.sent.toDate();
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString();
  li.append(sender, text, time);
  return li;
}

function noticeItem(n: Notice): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'notice';
  li.textContent = n.text;
  return li;
}

function render() {
  if (!conn) return;
  const stick = ui.messages.parentElement!;
  const atBottom = stick.scrollTop + stick.clientHeight >= stick.scrollHeight - 4;
  const timeline: Array<{ at: bigint; el: () => HTMLLIElement }> = [];
  for (const m of conn.db.message.iter())
    timeline.push({ at: m.sent.microsSinceUnixEpoch, el: () => messageItem(m) });
  for (const n of notices) timeline.push({ at: n.atMicros, el: () => noticeItem(n) });
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  ui.messages.replaceChildren(...timeline.map((t) => t.el()));
  if (atBottom) stick.scrollTop = stick.scrollHeight;

  const users = [...conn.db.user.iter()].sort(
    (a, b) => Number(b.online) - Number(a.online) || userLabel(a).localeCompare(userLabel(b)));
  ui.users.replaceChildren(...users.map((u) => {
    const li = document.createElement('li');
    li.textContent = userLabel(u);
    li.classList.toggle('online', u.online);
    if (me && u.identity.isEqual(me)) li.classList.add('me');
    return li;
  }));
  const self = me && conn.db.user.identity.find(me);
  if (self) setStatus('connected', `connected as ${userLabel(self)}`);
}

const userLabel = (u: User) => u.name ?? shortId(u.identity);

function watchRows(c: DbConnection) {
  const live = (ctx: EventContext) => ctx.event.tag !== 'SubscribeApplied';
  c.db.message.onInsert(queueRender);
  c.db.message.onDelete(queueRender);
  c.db.user.onInsert((ctx, u) => {
    if (live(ctx) && u.online) notice(`${userLabel(u)} connected`);
    queueRender();
  });
  c.db.user.onUpdate((ctx, old, u) => {
    if (live(ctx)) {
      if (!old.online && u.online) notice(`${userLabel(u)} connected`);
      else if (old.online && !u.online) notice(`${userLabel(u)} disconnected`);
      if (old.name !== u.name && u.name !== undefined)
        notice(`${old.name ?? shortId(u.identity)} is now ${u.name}`);
    }
    queueRender();
  });
  c.db.user.onDelete(queueRender);
}

async function call(what: string, p: Promise<void>) {
  try {
    await p;
    showError('');
  } catch (e) {
    showError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

ui.nameForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!conn) return;
  const name = ui.nameInput.value.trim();
  void call('set name', conn.reducers.setName({ name })).then(() => {
    if (!ui.error.textContent) ui.nameInput.value = '';
  });
});

ui.messageForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!conn) return;
  const text = ui.messageInput.value;
  ui.messageInput.value = '';
  void call('send', conn.reducers.sendMessage({ text }));
  ui.messageInput.focus();
});

function connect(token: string | undefined) {
  setStatus('connecting', 'connecting…');
  DbConnection.builder()
    .withUri(SERVER)
    .withDatabaseName(DB)
    .withToken(token)
    .onConnect((c, identity, tok) => {
      conn = c;
      me = identity;
      localStorage.setItem(TOKEN_KEY, tok);
      setStatus('connected', `connected as ${shortId(identity)}`);
      watchRows(c);
      c.subscriptionBuilder()
        .onApplied(() => {
          setEnabled(true);
          queueRender();
        })
        .onError((ctx: ErrorContext) => showError(`subscription failed: ${ctx.event?.message ?? ''}`))
        .subscribe(['SELECT * FROM user', 'SELECT * FROM message']);
    })
    .onConnectError((_ctx, err) => {
      if (token) { // a token from an earlier server: start over as a new user
        localStorage.removeItem(TOKEN_KEY);
        connect(undefined);
        return;
      }
      setStatus('error', 'cannot connect');
      showError(`${err?.message ?? err}`);
    })
    .onDisconnect((_ctx, err) => {
      setEnabled(false);
      setStatus('disconnected', 'disconnected (reload to reconnect)');
      if (err) showError(err.message);
    })
    .build();
}

connect(localStorage.getItem(TOKEN_KEY) ?? undefined);
