/*
 * tests/e2e/ts/lib/server.ts — runs a real `lightcone start` for the end-to-end tests.
 *
 * startServer() spawns `$BUILD/lightcone start --listen-addr 127.0.0.1:PORT --data-dir DIR`
 * (PORT 0 = a free port), waits for the readiness line `lightcone: listening on http://H:P`
 * on stderr and returns the address. stop() sends SIGTERM (clean shutdown) and falls back to
 * SIGKILL after a grace period; kill9() is the crash used by the durability tests. A server
 * can be started again on the same data dir and port (restart tests). The server's stderr is
 * kept and printed when a test fails to start it, so a crash shows its own message.
 *
 * Paths: the repository root is four folders up from here; BUILD (set by the suite) picks the
 * binary (default build/debug); LIGHTCONE_BIN overrides it outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const BUILD = process.env.BUILD ?? 'build/debug';
export const BIN = process.env.LIGHTCONE_BIN ?? resolve(REPO, BUILD, 'lightcone');
/* Where tests leave artefacts worth looking at (screenshots). */
export const OUT_DIR = resolve(REPO, BUILD, 'e2e');
/* Ready within this long or the start counts as failed; ASan builds start slower. */
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 8_000;

export interface Server {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  /** everything the server wrote to stderr so far */
  log(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves with the exit code (null if killed) */
  stop(): Promise<number | null>;
  /** SIGKILL at once (a crash) */
  kill9(): Promise<void>;
}

export function makeDataDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `lc-e2e-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface StartOptions {
  dataDir: string;
  port?: number;
  webRoot?: string;
}

function exitOf(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((res) => proc.once('exit', (code) => res(code)));
}

/* Servers still running when this test process ends (a failed test, a runner timeout) are
 * killed so none outlives the suite. */
const running = new Set<ChildProcess>();
function killRunning(): void {
  for (const p of running) p.kill('SIGKILL');
}
process.on('exit', killRunning);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killRunning();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  });
}

export async function startServer(opts: StartOptions): Promise<Server> {
  mkdirSync(opts.dataDir, { recursive: true });
  const args = ['start', '--listen-addr', `127.0.0.1:${opts.port ?? 0}`, '--data-dir', opts.dataDir];
  if (opts.webRoot) args.push('--web-root', opts.webRoot);
  const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let stderr = '';
  const ready = new Promise<{ url: string; port: number }>((res, rej) => {
    const timer = setTimeout(() => {
      rej(new Error(`lightcone start: no readiness line in ${START_TIMEOUT_MS} ms\n${stderr}`));
    }, START_TIMEOUT_MS);
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /listening on (http:\/\/[^\s:]+:(\d+))/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        res({ url: m[1], port: Number(m[2]) });
      }
    });
    proc.once('error', (e) => { clearTimeout(timer); rej(e); });
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`lightcone start exited (${code ?? sig}) before it was ready:\n${stderr}`));
    });
  });
  let addr: { url: string; port: number };
  try {
    addr = await ready;
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  const server: Server = {
    ...addr,
    dataDir: opts.dataDir,
    proc,
    log: () => stderr,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      const code = await exitOf(proc);
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exitOf(proc);
    },
  };
  return server;
}

/** POST /v1/database/:name with the module bytes; returns the parsed JSON answer. */
export async function publish(url: string, name: string, wasmPath: string): Promise<any> {
  const body = readFileSync(wasmPath);
  const r = await fetch(`${url}/v1/database/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/wasm' },
    body,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`publish ${name}: HTTP ${r.status}: ${text}`);
  return JSON.parse(text);
}

/** The same with a bearer token (undefined: anonymous); also returns the token the answer
 * minted for an anonymous publisher (the new owner), from `spacetime-identity-token`. */
export async function publishAs(
  url: string, name: string, wasmPath: string, token?: string, query = ''
): Promise<{ status: number; body: string; token: string | null }> {
  const headers: Record<string, string> = { 'content-type': 'application/wasm' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${url}/v1/database/${name}${query}`, {
    method: 'POST', headers, body: readFileSync(wasmPath),
  });
  return { status: r.status, body: await r.text(), token: r.headers.get('spacetime-identity-token') };
}

export function wasmPath(module: string): string {
  return join(REPO, 'build/wasm', `${module}.wasm`);
}

/** A server with the given example modules published under their own names. */
export async function startWithModules(tag: string, modules: string[]): Promise<Server> {
  const dataDir = makeDataDir(tag);
  const s = await startServer({ dataDir });
  for (const m of modules) await publish(s.url, m, wasmPath(m));
  return s;
}

/**
 * Stops the server and removes its data dir. An unclean exit (a crash, or a sanitizer report
 * such as a leak under MODE=asan) throws with the server's log, so the test file fails.
 */
export async function shutdown(s: Server | undefined): Promise<void> {
  if (!s) return;
  const code = await s.stop();
  removeDir(s.dataDir);
  if (code !== 0) throw new Error(`lightcone exited with ${code}; its log:\n${s.log()}`);
}
