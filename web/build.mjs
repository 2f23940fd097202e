// Bundles the UI with esbuild into OUTDIR and writes OUTDIR/manifest.txt,
// the list tools/embed.c turns into the server's embedded assets.
// Usage: node build.mjs OUTDIR
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

await esbuild.build({
  // The projector's layouts run in a Web Worker loaded from its own script.
  entryPoints: {
    app: join(here, 'src/main.tsx'),
    projector_worker: join(here, 'src/dashboards/projector_worker.ts'),
    // the Profile Trace view reads its trace in a Web Worker too
    trace_worker: join(here, 'src/dashboards/trace_worker.ts'),
  },
  bundle: true,
  // TB_NO_MINIFY=1 keeps names readable in browser profiles.
  minify: !process.env.TB_NO_MINIFY,
  sourcemap: false,
  target: 'es2020',
  format: 'iife',
  outdir: out,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  loader: { '.css': 'css' },
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));

const files = [
  ['/index.html', 'index.html'],
  ['/app.js', 'app.js'],
  ['/app.css', 'app.css'],
  ['/projector_worker.js', 'projector_worker.js'],
  ['/trace_worker.js', 'trace_worker.js'],
];
writeFileSync(join(out, 'manifest.txt'), files.map(([u, f]) => `${u}\t${f}\n`).join(''));
