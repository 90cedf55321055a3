// `npm run bench [-- <name filter>]`: runs the benchmarks, prints a table and merges the figures into
// bench/results.json (keyed by benchmark name; other keys are kept). Add a benchmark by adding its module's list here.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mergeResults, measure, table, type Benchmark } from './harness';
import { policyBenchmarks } from './policy';
import { runRuntimeBench } from './runtime';

const RESULTS = path.join(__dirname, 'results.json');

async function main(filter: string | undefined): Promise<void> {
  const benchmarks: Benchmark[] = [...policyBenchmarks()].filter((b) => !filter || b.name.includes(filter));
  const runtime = !filter || 'runtime'.includes(filter);
  if (benchmarks.length === 0 && !runtime) {
    console.error(`no benchmark matches \`${filter}\``);
    process.exitCode = 2;
    return;
  }
  if (benchmarks.length > 0) {
    const measurements = benchmarks.map((b) => {
      process.stderr.write(`running ${b.name}…\n`);
      return measure(b);
    });
    console.log(table(measurements));
    mergeResults(RESULTS, measurements);
  }
  if (runtime) {
    // The runtime figures (DESIGN §4) come from one run on the local stack, side by side with a naive baseline.
    process.stderr.write('running runtime benchmarks on the local stack…\n');
    const results = await runRuntimeBench((line) => console.log(line));
    const existing = JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>;
    existing.runtime = { ...results, measuredAt: new Date().toISOString() };
    writeFileSync(RESULTS, `${JSON.stringify(existing, null, 2)}\n`);
  }
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS)}`);
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error)?.message ?? error}`);
  process.exitCode = 1;
});
