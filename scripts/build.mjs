// Bundles each function into one CommonJS file for FC's nodejs20 runtime: dist/<fn>/index.js, with a
// metafile beside it so bundle weight can be inspected (npx esbuild-analyze or bench/).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const functions = ['on-upload', 'api', 'on-task-done'];

for (const fn of functions) {
  const outdir = path.join(root, 'dist', fn);
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, 'functions', fn, 'index.ts')],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',

    // urllib (ali-oss) loads proxy-agent only when a proxy env var is set; it is not installed, nor needed on FC.
    external: ['proxy-agent'],
    alias: { 'iconv-lite': path.join(root, 'scripts', 'shims', 'iconv-lite.js') },
  });
  writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const size = statSync(path.join(outdir, 'index.js')).size;
  console.log(`dist/${fn}/index.js ${(size / 1024).toFixed(0)} KiB`);
}
