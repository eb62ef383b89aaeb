/**
 * A small cumulative histogram of durations, kept by the stages in their `stats()` (the store's
 * InfluxDB writer, the KPI scheduler) and exposed by `/metrics` as a Prometheus histogram. A plain
 * value in the stats keeps the data flow one way: the stages never see the API's prom-client
 * registry; the API reads this snapshot when scraped (src/api/metrics.ts).
 */

/** Upper bounds (seconds) of the buckets, as Prometheus' defaults: from 5 ms to 10 s. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Durations observed so far; every number only ever grows. */
export interface DurationHistogram {
  /** Upper bounds (seconds), ascending; `+Inf` is implied and counted by `count`. */
  readonly buckets: readonly number[];
  /** Cumulative: `counts[i]` is the number of observations ≤ `buckets[i]`. */
  counts: number[];
  /** Observations. */
  count: number;
  /** Their sum, seconds. */
  sum: number;
}

/** An empty histogram over `buckets` (default {@link DURATION_BUCKETS}). */
export function emptyHistogram(buckets: readonly number[] = DURATION_BUCKETS): DurationHistogram {
  return { buckets, counts: buckets.map(() => 0), count: 0, sum: 0 };
}

/** Records one duration (seconds; a negative or non-finite one counts as 0). */
export function observeDuration(h: DurationHistogram, seconds: number): void {
  const s = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  h.count++;
  h.sum += s;
  h.buckets.forEach((bound, i) => {
    if (s <= bound) h.counts[i] = (h.counts[i] ?? 0) + 1;
  });
}

/** A copy that later observations do not change. */
export function copyHistogram(h: DurationHistogram): DurationHistogram {
  return { buckets: h.buckets, counts: [...h.counts], count: h.count, sum: h.sum };
}

/** Seconds since `start` (a `process.hrtime.bigint()` reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
