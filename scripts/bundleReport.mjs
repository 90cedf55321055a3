// Prints what each function bundle is made of, by package, from the esbuild metafile (npm run build first).
import { readFileSync } from 'node:fs';
for (const fn of process.argv.slice(2).length ? process.argv.slice(2) : ['on-upload', 'api']) {
  const meta = JSON.parse(readFileSync(`dist/.meta/${fn}.json`, 'utf8'));
  const [, output] = Object.entries(meta.outputs).find(([name]) => name.endsWith('.js'));
  const byPackage = {};
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const rest = file.split('node_modules/').pop();
    const pkg = file.includes('node_modules/') ? rest.split('/').slice(0, rest.startsWith('@') ? 2 : 1).join('/') : '(ours)';
    byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput;
  }
  console.log(`${fn}: ${(output.bytes / 1024).toFixed(0)} KiB`);
  for (const [pkg, bytes] of Object.entries(byPackage).sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${(bytes / 1024).toFixed(0).padStart(5)} KiB  ${pkg}`);
}
