/**
 * Small InfluxQL builders for the KPI queries. Values that come from the inventory or config are
 * quoted, never pasted: string literals in single quotes and identifiers in double quotes, with
 * `\` and the quote escaped (InfluxQL spec, "Literals" / "Identifiers"). Times are integer
 * nanoseconds, which InfluxQL reads as epoch ns without any parsing of dates.
 */
import { quoteIdent } from '../store/index.ts';

export { quoteIdent };

/** An InfluxQL string literal: `o'b\x` → `'o\'b\\x'`. A newline becomes `\n` (a raw one is a parse error). */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** `"tag" = 'value'`. */
export function tagEquals(tag: string, value: string): string {
  return `${quoteIdent(tag)} = ${quoteString(value)}`;
}

/** `("tag" = 'a' OR "tag" = 'b')`. */
export function tagIn(tag: string, values: readonly string[]): string {
  return `(${values.map((v) => tagEquals(tag, v)).join(' OR ')})`;
}

/** `time >= <startNs> AND time < <endNs>`: the half-open interval [startMs, endMs). */
export function timeRange(startMs: number, endMs: number): string {
  const ns = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();
  return `time >= ${ns(startMs)} AND time < ${ns(endMs)}`;
}

/** An InfluxQL duration literal of `ms` milliseconds (`1800000ms`). */
export function durationLiteral(ms: number): string {
  return `${Math.trunc(ms)}ms`;
}
