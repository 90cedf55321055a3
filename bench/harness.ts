// A tiny benchmark harness: warm up, run several timed rounds, report the median. Results are merged into
// bench/results.json by name, so that benchmarks added later by others keep their own entries.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Benchmark {
  name: string;
  /** What one operation is, for the table: `evaluations`. */
  unit: string;
  /** Runs `n` operations. Return something derived from the results, so that nothing is optimised away. */
  run(n: number): number;
  /** Operations per second this benchmark should reach, if it has a target. */
  target?: number;
  /** Anything worth recording next to the figure (policy size, request mix…). */
  details?: Record<string, unknown>;
}

export interface Measurement {
  name: string;
  unit: string;
  /** Median of the rounds, operations per second. */
  opsPerSecond: number;
  rounds: number[];
  target?: number;
  meetsTarget?: boolean;
  details?: Record<string, unknown>;
  node: string;
  measuredAt: string;
}

export interface MeasureOptions {
  warmupMs: number;
  rounds: number;
  roundMs: number;
}

export const DEFAULT_OPTIONS: MeasureOptions = { warmupMs: 1000, rounds: 9, roundMs: 400 };

/** Operations per second of each round, after a warm-up long enough for the JIT to settle. */
export function measure(benchmark: Benchmark, options: MeasureOptions = DEFAULT_OPTIONS): Measurement {
  let sink = 0;
  // Calibrate a batch size of about 10 ms, warming up meanwhile.
  let batch = 100;
  const warmupEnd = performance.now() + options.warmupMs;
  while (performance.now() < warmupEnd) {
    const start = performance.now();
    sink += benchmark.run(batch);
    const elapsed = performance.now() - start;
    if (elapsed < 5) batch *= 2;
  }
  const rounds: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    let operations = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < options.roundMs) {
      sink += benchmark.run(batch);
      operations += batch;
      elapsed = performance.now() - start;
    }
    rounds.push(Math.round((operations / elapsed) * 1000));
  }
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink);
  const opsPerSecond = median(rounds);
  return {
    name: benchmark.name,
    unit: benchmark.unit,
    opsPerSecond,
    rounds,
    ...(benchmark.target !== undefined && { target: benchmark.target, meetsTarget: opsPerSecond >= benchmark.target }),
    ...(benchmark.details && { details: benchmark.details }),
    node: process.version,
    measuredAt: new Date().toISOString(),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

export function table(measurements: readonly Measurement[]): string {
  const rows = [
    ['benchmark', 'median/s', 'min/s', 'max/s', 'target/s', ''],
    ...measurements.map((m) => [
      m.name,
      m.opsPerSecond.toLocaleString('en-US'),
      Math.min(...m.rounds).toLocaleString('en-US'),
      Math.max(...m.rounds).toLocaleString('en-US'),
      m.target === undefined ? '' : m.target.toLocaleString('en-US'),
      m.meetsTarget === undefined ? '' : m.meetsTarget ? 'ok' : 'BELOW TARGET',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** Writes the measurements into `file` by name, keeping every other key it already holds. */
export function mergeResults(file: string, measurements: readonly Measurement[]): void {
  let existing: Record<string, unknown> = {};
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      // Never overwrite other benchmarks' figures because of one bad edit.
      throw new Error(`\`${file}\` is not valid json, fix or remove it: ${(error as Error).message}`);
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) existing = parsed as Record<string, unknown>;
  }
  for (const m of measurements) existing[m.name] = m;
  writeFileSync(file, `${JSON.stringify(existing, null, 2)}\n`);
}
