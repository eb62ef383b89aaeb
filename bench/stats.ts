/** Summaries of repeated measurements for the benches (docs/benchmarks.md): percentiles, spread. */

/** The `p`-th percentile (0–100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

/** Median and range of repetitions. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** The {@link Spread} of `values` (the median of an even count is the mean of the middle two). */
export function spread(values: readonly number[]): Spread {
  const s = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** `12,345`: rounded, with thousands separators (the figures' style in docs/benchmarks.md). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/** `12,345 (11,900–12,800)`: median and range, rounded to `digits` decimals. */
export function formatSpread(s: Spread, digits = 0): string {
  const f = (v: number): string =>
    Number.isFinite(v)
      ? v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
      : 'n/a';
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}
