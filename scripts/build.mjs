// Bundles each function into one CommonJS file for FC's nodejs20 runtime: dist/<fn>/index.js, the only file in
// the folder s.yaml's `code` names (fc3 zips that folder as it is). Metafiles go to dist/.meta/<fn>.json, outside
// what is deployed, so bundle weight can be inspected (scripts/bundleReport.mjs). No source maps ship: with
// NODE_OPTIONS=--enable-source-maps they cost ×1.75 of a bare node start at cold start (issue 10, item 6).
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--outdir DIR` builds elsewhere than dist/ (the bundle test builds into a temporary directory).
const outdirArg = process.argv.indexOf('--outdir');
const outRoot = outdirArg > 0 ? path.resolve(process.argv[outdirArg + 1]) : path.join(root, 'dist');
// Every folder of functions/ with an index.ts is a function; s.yaml decides which ones deploy.
const functions = readdirSync(path.join(root, 'functions')).filter((fn) => existsSync(path.join(root, 'functions', fn, 'index.ts')));

// Modules of @darabonba/typescript that a function never runs but that drag in heavy dependencies; each is
// replaced by a shim that throws if it is ever used (see scripts/shims/).
const darabonbaShims = {
  name: 'darabonba-shims',
  setup(b) {
    const shims = { './websocket': 'darabonba-websocket.js', './date': 'darabonba-date.js' };
    b.onResolve({ filter: /^\.\/(websocket|date)$/ }, (args) => {
      if (!/[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(root, 'scripts', 'shims', shims[args.path]) };
    });
  },
};

// Packages loaded apart: left out of a function's bundle, each is bundled on its own beside it
// (dist/<fn>/node_modules/<pkg>, where node's resolution finds it) and parsed only when first imported.
// - The api needs ali-oss (and fast-xml-parser, for XML pushes) only on POST /notifications/imm.
// - on-upload, on-task-done and the reconciler import ali-oss on their first OSS call, not at module load: an
//   invocation that fails its configuration check, or finds nothing to do, never pays for it. It is ~430 KiB,
//   about 30 ms to parse; `npm run bench` reports the module load and the first OSS call's load separately.
const loadedApart = { api: ['ali-oss', 'fast-xml-parser'], 'on-upload': ['ali-oss'], 'on-task-done': ['ali-oss'], reconcile: ['ali-oss'] };

for (const fn of functions) {
  const finalDir = path.join(outRoot, fn);
  // Built into a fresh folder, then swapped in: no stale file from an earlier build (an old source map) is zipped
  // with the bundle, and a local stack starting meanwhile (another `npm start`, a test) never reads half a build.
  const outdir = path.join(outRoot, `.building-${fn}-${process.pid}`);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, 'functions', fn, 'index.ts')],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',

    // urllib (ali-oss) loads proxy-agent only when a proxy env var is set; it is not installed, nor needed on FC.
    external: ['proxy-agent', ...(loadedApart[fn] ?? [])],
    // import() of a package loaded apart becomes require(): it is CommonJS, and a loader that runs the bundle as
    // CommonJS (jest, in the bundle test) may not support import().
    supported: { 'dynamic-import': false },
    alias: { 'iconv-lite': path.join(root, 'scripts', 'shims', 'iconv-lite.js') },
    plugins: [darabonbaShims],
  });
  mkdirSync(path.join(outRoot, '.meta'), { recursive: true });
  writeFileSync(path.join(outRoot, '.meta', `${fn}.json`), JSON.stringify(result.metafile));
  // ---- packages loaded apart ----
  for (const pkg of loadedApart[fn] ?? []) {
    const pkgDir = path.join(outdir, 'node_modules', pkg);
    mkdirSync(pkgDir, { recursive: true });
    await build({ entryPoints: [pkg], outfile: path.join(pkgDir, 'index.js'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning', external: ['proxy-agent'], alias: { 'iconv-lite': path.join(root, 'scripts', 'shims', 'iconv-lite.js') }, plugins: [darabonbaShims] });
    writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: pkg, private: true, main: 'index.js' }));
    console.log(`${path.relative(root, path.join(finalDir, 'node_modules', pkg))}/index.js ${(statSync(path.join(pkgDir, 'index.js')).size / 1024).toFixed(0)} KiB, loaded apart`);
  }
  // ---- end packages loaded apart ----
  const size = statSync(path.join(outdir, 'index.js')).size;
  const previous = `${finalDir}.old-${process.pid}`;
  if (existsSync(finalDir)) renameSync(finalDir, previous);
  renameSync(outdir, finalDir);
  rmSync(previous, { recursive: true, force: true });
  console.log(`${path.relative(root, finalDir) || finalDir}/index.js ${(size / 1024).toFixed(0)} KiB (${size} bytes)`);
}
