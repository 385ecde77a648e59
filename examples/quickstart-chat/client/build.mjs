// examples/quickstart-chat/client/build.mjs — builds the browser chat into dist/:
//   1. `lightcone generate --lang typescript` writes src/module_bindings/ from the module
//      (build/wasm/quickstart-chat.wasm; LIGHTCONE or BUILD picks the binary, default
//      build/debug/lightcone; --no-gen keeps existing bindings);
//   2. esbuild bundles src/main.ts with the SDK into dist/app.js (browser build of spacetimedb);
//   3. index.html and style.css are copied next to it.
// The page connects to the server it was loaded from (see src/main.ts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const bin = process.env.LIGHTCONE ?? resolve(repo, process.env.BUILD ?? 'build/debug', 'lightcone');
const wasm = join(repo, 'build/wasm/quickstart-chat.wasm');
const bindings = join(here, 'src/module_bindings');
const dist = join(here, 'dist');

if (!process.argv.includes('--no-gen')) {
  if (!existsSync(wasm)) throw new Error(`${wasm} missing: run 'make examples'`);
  rmSync(bindings, { recursive: true, force: true });
  execFileSync(bin, ['generate', '--lang', 'typescript', '--out-dir', bindings, '--bin-path', wasm],
    { stdio: ['ignore', 'ignore', 'inherit'] });
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: join(dist, 'app.js'),
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(join(here, 'src', f), join(dist, f));
console.log(`quickstart-chat client: built ${dist}`);
