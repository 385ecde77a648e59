// tests/e2e/ts/gen.mjs — writes the TypeScript bindings the tests import: runs
// `lightcone generate --lang typescript` for each example module into gen/<module>/
// (git-ignored). BUILD picks the binary (default build/debug), as in lib/server.ts.
import { execFileSync } from 'node:child_process';
import { rmSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const bin = process.env.LIGHTCONE_GEN_BIN ?? resolve(repo, process.env.BUILD ?? 'build/debug', 'lightcone');
for (const m of ['quickstart-chat', 'keynote-bank', 'ticker', 'viewtest']) {
  const wasm = join(repo, 'build/wasm', `${m}.wasm`);
  if (!existsSync(wasm)) throw new Error(`${wasm} missing: run 'make examples'`);
  const out = join(here, 'gen', m);
  rmSync(out, { recursive: true, force: true });
  execFileSync(bin, ['generate', '--lang', 'typescript', '--out-dir', out, '--bin-path', wasm],
    { stdio: ['ignore', 'ignore', 'inherit'] });
}
