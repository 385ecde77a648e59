/*
 * tests/e2e/ts/test/browser.test.ts — the quickstart chat page (examples/quickstart-chat/
 * client/dist) in headless Chromium, served by `lightcone start --web-root` and talking to the
 * same server. Two browser contexts (two users with separate localStorage), two names, a
 * message each way; each page must show both messages under both names and both users online;
 * closing one page shows that user going offline on the other. Screenshots go to
 * $BUILD/e2e/chat-*.png. Skipped (with the reason) when chromium or the built page is missing.
 * playwright-core drives Debian's chromium (CHROMIUM overrides /usr/bin/chromium).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  OUT_DIR, REPO, type Server, makeDataDir, publish, shutdown, startServer, wasmPath,
} from '../lib/server.ts';
import { TIMEOUT_MS } from '../lib/sdk.ts';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DIST = join(REPO, 'examples/quickstart-chat/client/dist');
const missing = !existsSync(CHROMIUM) ? `no chromium at ${CHROMIUM} (scripts/deps installs it)`
  : !existsSync(join(DIST, 'index.html')) ? `${DIST} not built (make chat-client)` : '';

let srv: Server | undefined;
let browser: Browser | undefined;
before(async () => {
  if (missing) return;
  srv = await startServer({ dataDir: makeDataDir('browser'), webRoot: DIST });
  await publish(srv.url, 'quickstart-chat', wasmPath('quickstart-chat'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});
after(async () => {
  await browser?.close();
  await shutdown(srv);
});

async function openChat(name: string, errors: string[], url = srv!.url + '/'): Promise<Page> {
  const ctx = await browser!.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('#status[data-state="connected"]');
  await page.waitForSelector('#message-input:enabled');
  await page.fill('#name-input', name);
  await page.click('#name-button');
  await page.waitForFunction((n) => document.getElementById('status')?.textContent === `connected as ${n}`, name);
  return page;
}

/* The chat lines of a page as "sender: text". */
const lines = (page: Page) => page.$$eval('#messages li.message', (lis) =>
  lis.map((li) => `${li.querySelector('.sender')?.textContent}: ${li.querySelector('.text')?.textContent}`));

test('two browsers chat through lightcone: names, messages both ways, presence', { skip: missing || false }, async () => {
  const errors: string[] = [];
  const alice = await openChat('Alice', errors);
  const bob = await openChat('Bob', errors);
  await alice.fill('#message-input', 'Hi Bob, this is Alice');
  await alice.press('#message-input', 'Enter');
  await bob.waitForSelector('#messages li.message >> text=Hi Bob, this is Alice');
  await bob.fill('#message-input', 'Hello Alice!');
  await bob.click('#send-button');
  const want = ['Alice: Hi Bob, this is Alice', 'Bob: Hello Alice!'];
  for (const page of [alice, bob]) {
    await page.waitForFunction((n) => document.querySelectorAll('#messages li.message').length >= n, 2);
    assert.deepEqual(await lines(page), want);
    const users = await page.$$eval('#users li.online', (lis) => lis.map((l) => l.textContent).sort());
    assert.deepEqual(users, ['Alice', 'Bob']);
  }
  // an empty message is refused by the module and the page says so
  await bob.fill('#message-input', '');
  await bob.click('#send-button');
  await bob.waitForFunction(() => /Messages must not be empty/.test(document.getElementById('error')?.textContent ?? ''));

  mkdirSync(OUT_DIR, { recursive: true });
  await alice.screenshot({ path: join(OUT_DIR, 'chat-alice.png') });
  await bob.screenshot({ path: join(OUT_DIR, 'chat-bob.png') });

  // a reload is the same user: the stored token goes through POST /v1/identity/websocket-token
  await alice.reload();
  await alice.waitForFunction(() => document.getElementById('status')?.textContent === 'connected as Alice');
  await alice.waitForFunction((n) => document.querySelectorAll('#messages li.message').length >= n, 2);
  assert.deepEqual(await lines(alice), want);

  await bob.context().close();
  await alice.waitForSelector('#messages li.notice >> text=Bob disconnected');
  const online = await alice.$$eval('#users li.online', (lis) => lis.map((l) => l.textContent));
  assert.deepEqual(online, ['Alice']);
  await alice.screenshot({ path: join(OUT_DIR, 'chat-alice-after-bob-left.png') });
  assert.deepEqual(errors, [], 'no uncaught errors in the pages');
  await alice.context().close();
});

test('the page from another origin reaches the server through CORS (token preflight)', { skip: missing || false }, async () => {
  // a second server only serves the page; the chat database is on the first one
  const pageSrv = await startServer({ dataDir: makeDataDir('browser-origin'), webRoot: DIST });
  try {
    const errors: string[] = [];
    const url = `${pageSrv.url}/?server=${encodeURIComponent(srv!.url)}`;
    const carol = await openChat('Carol', errors, url);
    await carol.fill('#message-input', 'cross-origin hello');
    await carol.press('#message-input', 'Enter');
    await carol.waitForSelector('#messages li.message >> text=cross-origin hello');
    // with a stored token the SDK first POSTs /v1/identity/websocket-token with an
    // Authorization header: a cross-origin request the browser preflights
    await carol.reload();
    await carol.waitForFunction(() => document.getElementById('status')?.textContent === 'connected as Carol');
    assert.deepEqual(errors, []);
    await carol.context().close();
  } finally {
    await shutdown(pageSrv);
  }
});
