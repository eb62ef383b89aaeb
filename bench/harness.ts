/** Small helpers for benchmarks: timing loops and a table with ratios to a same-run baseline. */
import { performance } from 'node:perf_hooks';
import type { BenchOptions } from './args.ts';

/** A benchmark file's default export. */
export interface Bench {
  title: string;
  /** Runs it; `options` are the command line's `--option [value]`s (bench/args.ts). */
  run(options: BenchOptions): Promise<void>;
}

/** Time `fn` over `iterations` after `warmup` runs; returns nanoseconds per iteration. */
export function nsPerOp(fn: () => void, iterations: number, warmup = Math.min(1000, iterations)): number {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - t0) * 1e6) / iterations;
}

/** Median of several measurements: steadier than one run on a shared two-core machine. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Print rows `[label, value, unit]` with each value's ratio to `baseline`. */
export function printTable(
  rows: { label: string; value: number; unit: string }[],
  baseline: number,
  baselineLabel: string,
): void {
  const width = Math.max(...rows.map((r) => r.label.length));
  for (const r of rows) {
    const ratio = baseline > 0 ? (r.value / baseline).toFixed(2) : 'n/a';
    process.stdout.write(
      `  ${r.label.padEnd(width)}  ${r.value.toFixed(1).padStart(10)} ${r.unit.padEnd(8)} ${ratio.padStart(7)}× ${baselineLabel}\n`,
    );
  }
}
