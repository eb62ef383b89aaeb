/**
 * The one value that crosses from normalise to store (architecture.md): a plain InfluxDB point.
 * Plain JSON so it can be spooled, kept in fixtures and compared in tests.
 */

/** A field value. Numbers are written as floats, so a field never changes type between writes. */
export type FieldValue = number | boolean | string;

/** One InfluxDB point. */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /**
   * Nanoseconds since the Unix epoch, as a decimal string (JSON has no 64-bit integers).
   * Nanosecond precision lets two events in the same millisecond keep distinct keys
   * (docs/contract.md §4).
   */
  time: string;
}

/** Nanosecond timestamp string from epoch milliseconds plus an offset below one millisecond. */
export function nsFromMs(ms: number, subMsNs = 0): string {
  if (!Number.isInteger(ms)) ms = Math.floor(ms);
  if (!Number.isInteger(subMsNs) || subMsNs < 0 || subMsNs >= 1_000_000) {
    throw new RangeError(`subMsNs must be an integer in [0, 1e6), got ${subMsNs}`);
  }
  // Every accepted point asks this: digits by string for the usual case (after 1970, a safe
  // integer), BigInt only for the rest.
  if (ms > 0 && ms <= Number.MAX_SAFE_INTEGER) return `${ms}${String(subMsNs).padStart(6, '0')}`;
  return (BigInt(ms) * 1_000_000n + BigInt(subMsNs)).toString();
}

/** Epoch milliseconds of a nanosecond timestamp string (floored). */
export function msFromNs(ns: string): number {
  // Fast path for times after 1970-01-01T00:00:01Z with up to 15 digits of ms (exact in a double);
  // the ingest path asks this for every accepted point (the KPI late-data hook).
  if (ns.length >= 7 && ns.length <= 21 && ns.charCodeAt(0) !== 45 /* - */) return Number(ns.slice(0, -6));
  return Number(BigInt(ns) / 1_000_000n);
}
