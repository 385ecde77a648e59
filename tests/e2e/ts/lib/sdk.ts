/*
 * tests/e2e/ts/lib/sdk.ts — promise helpers around the official SDK's callback API.
 *
 * The SDK reports everything through callbacks (onConnect, onApplied, row events); tests want
 * "await this, or fail with a clear message after N ms". connect() and subscribe() wrap the
 * builder and the subscription builder; waitFor() polls a condition (row callbacks arrive in
 * their own message turn); wsTap records what the SDK's sockets did on the wire (URL and the
 * compression tag byte of every server message) by wrapping the global WebSocket the SDK uses.
 * Nothing here knows a module: the generated DbConnection class is passed in.
 */
import assert from 'node:assert/strict';
import { setGlobalLogLevel } from 'spacetimedb';

/* The SDK logs with console.log; under `node --test` a test file's stdout carries the runner's
 * own serialized protocol, which the SDK's styled lines can corrupt. Keep warnings and errors,
 * and send them to stderr. */
setGlobalLogLevel((process.env.E2E_SDK_LOG as any) ?? 'warn');
console.log = (...args: unknown[]) => console.error(...args);

export const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 10_000);

export function withTimeout<T>(p: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function waitFor(cond: () => boolean, what: string, ms = TIMEOUT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* The parts of a generated DbConnection builder these helpers use. */
interface Builder<C> {
  withUri(u: string): this;
  withDatabaseName(n: string): this;
  withToken(t?: string): this;
  withCompression(c: 'gzip' | 'brotli' | 'none'): this;
  withConfirmedReads(b: boolean): this;
  onConnect(cb: (conn: C, identity: any, token: string) => void): this;
  onConnectError(cb: (ctx: any, err: Error) => void): this;
  onDisconnect(cb: (ctx: any, err?: Error) => void): this;
  build(): C;
}

export interface ConnectOptions {
  token?: string;
  compression?: 'gzip' | 'none';
  confirmed?: boolean;
  onDisconnect?: (err?: Error) => void;
}

export interface Connected<C> {
  conn: C;
  identity: any;
  token: string;
}

export function connect<C>(
  builder: () => Builder<C>,
  url: string,
  db: string,
  opts: ConnectOptions = {}
): Promise<Connected<C>> {
  return withTimeout(
    new Promise<Connected<C>>((res, rej) => {
      let b = builder().withUri(url).withDatabaseName(db);
      if (opts.token) b = b.withToken(opts.token);
      if (opts.compression) b = b.withCompression(opts.compression);
      if (opts.confirmed !== undefined) b = b.withConfirmedReads(opts.confirmed);
      b.onConnect((conn, identity, token) => res({ conn, identity, token }))
        .onConnectError((_ctx, err) => rej(err ?? new Error('connect error')))
        .onDisconnect((_ctx, err) => opts.onDisconnect?.(err))
        .build();
    }),
    `connect to ${db} at ${url}`
  );
}

/* The parts of a subscription builder these helpers use. */
interface SubBuilder<H> {
  onApplied(cb: (ctx: any) => void): this;
  onError(cb: (ctx: any) => void): this;
  subscribe(q: any): H;
}

/** Subscribes and resolves with the handle once SubscribeApplied arrived. */
export function subscribe<H>(conn: { subscriptionBuilder(): SubBuilder<H> }, q: string | string[]): Promise<H> {
  return withTimeout(
    new Promise<H>((res, rej) => {
      let h: H;
      h = conn
        .subscriptionBuilder()
        .onApplied(() => res(h))
        .onError((ctx: any) => rej(ctx?.event ?? new Error(`subscription error for ${q}`)))
        .subscribe(q);
    }),
    `subscribe ${JSON.stringify(q)}`
  );
}

/** Rejects with what the promise rejected with; fails the test if it resolved. */
export async function rejection(p: Promise<unknown>, what: string): Promise<any> {
  try {
    await withTimeout(p, what);
  } catch (e) {
    return e;
  }
  assert.fail(`${what}: expected a rejection, it succeeded`);
}

export function hex(id: { toHexString(): string }): string {
  return id.toHexString();
}

/* ---- wire tap: what the SDK's sockets saw ---- */
export interface SocketRecord {
  url: string;
  protocol: string;
  /** first byte (compression tag) of each server message, in arrival order */
  tags: number[];
  sizes: number[];
}
export const sockets: SocketRecord[] = [];

/**
 * Replaces globalThis.WebSocket (what the SDK's openWebSocket uses) with a subclass that
 * records each socket's URL and every incoming message's leading byte. Idempotent.
 */
export function installWsTap(): void {
  const Base = globalThis.WebSocket as any;
  if (!Base) throw new Error('no global WebSocket: run node with --experimental-websocket');
  if (Base.__lcTap) return;
  class Tapped extends Base {
    static __lcTap = true;
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      const rec: SocketRecord = { url: String(url), protocol: '', tags: [], sizes: [] };
      sockets.push(rec);
      this.addEventListener('open', () => { rec.protocol = (this as any).protocol; });
      this.addEventListener('message', (ev: MessageEvent) => {
        const d = ev.data as ArrayBuffer;
        const u8 = new Uint8Array(d);
        rec.tags.push(u8[0]);
        rec.sizes.push(u8.length);
      });
    }
  }
  (globalThis as any).WebSocket = Tapped;
}

