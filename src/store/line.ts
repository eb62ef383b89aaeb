/**
 * A hub point as one line of InfluxDB line protocol
 * (docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/). The ingest path
 * encodes each accepted point once, here, and the spool keeps the bytes (docs/operations.md,
 * "Spool record layout"): nothing downstream parses points again.
 *
 * The output is byte for byte what the official client's `Point.toLineProtocol()` writes (keys of
 * tags and fields sorted, empty tag values left out, the client's escapes), checked against the
 * client in test/store/line.test.ts; written by hand because building a client `Point` per point
 * cost allocations the hot path does not need.
 */
import { HubError } from '../errors.ts';
import type { Point } from '../point.ts';

// Line protocol timestamps are signed 64-bit nanoseconds (line protocol reference, "Timestamp").
const NS = /^-?\d{1,19}$/;
const MIN_NS = -(2n ** 63n) + 2n; // InfluxDB reserves the two lowest values
const MAX_NS = 2n ** 63n - 1n;

function invalid(point: Point, why: string): HubError {
  return new HubError('HUB_ERR_INFLUX_WRITE_REJECTED', `invalid point for measurement "${point.measurement}": ${why}`);
}

// The client's escapers (influxdb-client-js src/util/escape.ts): measurement, and tag keys,
// tag values and field keys.
const MEASUREMENT_SPECIAL = /[, \n\r\t]/;
const TAG_SPECIAL = /[, =\n\r\t]/;
const REPLACE: Readonly<Record<string, string>> = {
  ',': '\\,',
  ' ': '\\ ',
  '=': '\\=',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '"': '\\"',
  '\\': '\\\\',
};
const escapeMeasurement = (s: string): string =>
  MEASUREMENT_SPECIAL.test(s) ? s.replace(/[, \n\r\t]/g, (c) => REPLACE[c]!) : s;
const escapeTag = (s: string): string => (TAG_SPECIAL.test(s) ? s.replace(/[, =\n\r\t]/g, (c) => REPLACE[c]!) : s);
const quote = (s: string): string => `"${/["\\]/.test(s) ? s.replace(/["\\]/g, (c) => REPLACE[c]!) : s}"`;

/**
 * Keys in the client's order (`Array.prototype.sort` without a comparator: UTF-16 code units). By
 * insertion: a point has a handful of keys, often already in order, and the default sort's string
 * conversions showed in the profile (docs/benchmarks-profile.md).
 */
function sortedKeys(o: Record<string, unknown>): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    if (keys[j]! <= k) continue;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/**
 * Serialises one point at nanosecond precision. Numbers are always floats (so a field never
 * changes type between writes: point.ts), booleans and strings are written as themselves.
 * Empty tag values are left out, as InfluxDB does not store them.
 * @throws HubError `HUB_ERR_INFLUX_WRITE_REJECTED` (not retryable) for a point InfluxDB would
 *   refuse: no measurement, no fields, a non-finite number, a time that is not int64 ns.
 */
export function toLineProtocol(point: Point): string {
  if (typeof point.measurement !== 'string' || point.measurement === '') throw invalid(point, 'empty measurement');
  const time = point.time;
  if (typeof time !== 'string' || !NS.test(time)) {
    throw invalid(point, `time "${String(time)}" is not a nanosecond decimal string`);
  }
  // Up to 18 digits always fits int64; only 19-digit times need the exact check.
  if (time.length >= 19) {
    const ns = BigInt(time);
    if (ns < MIN_NS || ns > MAX_NS) throw invalid(point, `time ${time} is outside int64`);
  }
  let fields = '';
  for (const key of sortedKeys(point.fields)) {
    if (key === '') continue;
    const value = point.fields[key];
    let text: string;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(point, `field "${key}" is ${value}`);
      text = String(value);
    } else if (typeof value === 'boolean') {
      text = value ? 'T' : 'F';
    } else if (typeof value === 'string') {
      text = quote(value);
    } else {
      throw invalid(point, `field "${key}" has a ${typeof value} value`);
    }
    fields += `${fields === '' ? '' : ','}${escapeTag(key)}=${text}`;
  }
  if (fields === '') throw invalid(point, 'no fields');
  let tags = '';
  for (const key of sortedKeys(point.tags)) {
    const value = point.tags[key];
    if (key !== '' && value) tags += `,${escapeTag(key)}=${escapeTag(value)}`;
  }
  return `${escapeMeasurement(point.measurement)}${tags} ${fields} ${time}`;
}

/**
 * The points as line-protocol bytes, each line ending in `\n`: what a spool record holds and what
 * the drainer concatenates into request bodies.
 * @throws HubError as {@link toLineProtocol}.
 */
export function encodeLines(points: readonly Point[]): Buffer {
  return Buffer.from(linesText(points), 'utf8');
}

/**
 * The points as line-protocol text, each line ending in `\n`: what the ingest path hands the
 * spool, which writes it straight into the record's frame (no bytes of its own in between).
 * @throws HubError as {@link toLineProtocol}.
 */
export function linesText(points: readonly Point[]): string {
  let text = '';
  for (const p of points) text += `${toLineProtocol(p)}\n`;
  return text;
}
