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
 * Throws unless InfluxDB would take `point`: a measurement, at least one field, finite numbers,
 * field values of the three kinds, a time that is int64 nanoseconds.
 * @throws HubError `HUB_ERR_INFLUX_WRITE_REJECTED` (not retryable).
 */
export function checkPoint(point: Point): void {
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
  let fields = 0;
  for (const key in point.fields) {
    if (key === '') continue;
    const value = point.fields[key];
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(point, `field "${key}" is ${value}`);
    } else if (typeof value !== 'boolean' && typeof value !== 'string') {
      throw invalid(point, `field "${key}" has a ${typeof value} value`);
    }
    fields++;
  }
  if (fields === 0) throw invalid(point, 'no fields');
}

/** A field value as line protocol (checked by {@link checkPoint}). */
const fieldText = (value: unknown): string =>
  typeof value === 'number' ? String(value) : typeof value === 'boolean' ? (value ? 'T' : 'F') : quote(String(value));

/**
 * Serialises one point at nanosecond precision. Numbers are always floats (so a field never
 * changes type between writes: point.ts), booleans and strings are written as themselves.
 * Empty tag values are left out, as InfluxDB does not store them.
 * @throws HubError as {@link checkPoint}.
 */
export function toLineProtocol(point: Point): string {
  checkPoint(point);
  let fields = '';
  for (const key of sortedKeys(point.fields)) {
    if (key !== '') fields += `${fields === '' ? '' : ','}${escapeTag(key)}=${fieldText(point.fields[key])}`;
  }
  let tags = '';
  for (const key of sortedKeys(point.tags)) {
    const value = point.tags[key];
    if (key !== '' && value) tags += `,${escapeTag(key)}=${escapeTag(value)}`;
  }
  return `${escapeMeasurement(point.measurement)}${tags} ${fields} ${point.time}`;
}

/**
 * The points as line-protocol bytes, each line ending in `\n`: what a spool record holds and what
 * the drainer concatenates into request bodies (the ingest path writes the same bytes straight into
 * its frames: {@link encodeLinesInto}).
 * @throws HubError as {@link toLineProtocol}.
 */
export function encodeLines(points: readonly Point[]): Buffer {
  let text = '';
  for (const p of points) text += `${toLineProtocol(p)}\n`;
  return Buffer.from(text, 'utf8');
}

/** Thrown by {@link encodeLinesInto} when `end` may leave too little room (its caller sizes by {@link linesRoom}). */
export class NoRoom extends Error {}

// Character classes per piece of a line, by char code below 0x80: 1 where the piece's escaper
// would change the character (the escapers above), so those pieces take the string path.
const SPECIAL_MEASUREMENT = new Uint8Array(128);
const SPECIAL_TAG = new Uint8Array(128);
const SPECIAL_QUOTED = new Uint8Array(128);
for (const c of ', \n\r\t') SPECIAL_MEASUREMENT[c.charCodeAt(0)] = 1;
for (const c of ', =\n\r\t') SPECIAL_TAG[c.charCodeAt(0)] = 1;
for (const c of '"\\') SPECIAL_QUOTED[c.charCodeAt(0)] = 1;

/**
 * `s` at `pos` of `buf` as `escape` would write it, UTF-8; returns the position after it. An ASCII
 * piece with nothing to escape (nearly every one) is copied by char code; anything else goes
 * through the escaper and `Buffer.write`. Room for the worst case is checked first: an escaped
 * character is two, each at most 3 bytes of UTF-8 per UTF-16 unit.
 */
function put(
  buf: Buffer,
  s: string,
  pos: number,
  end: number,
  special: Uint8Array,
  escape: (s: string) => string,
): number {
  const n = s.length;
  if (pos + 6 * n > end) throw new NoRoom();
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || special[c] === 1) return pos + buf.write(escape(s), pos, 'utf8');
    buf[pos + i] = c;
  }
  return pos + n;
}

/** One ASCII byte at `pos`; returns the position after it. */
function byte(buf: Buffer, c: number, pos: number, end: number): number {
  if (pos >= end) throw new NoRoom();
  buf[pos] = c;
  return pos + 1;
}

const quoted = (s: string): string => quote(s).slice(1, -1);
const COMMA = 0x2c;
const SPACE = 0x20;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const NONE = new Uint8Array(128);
const same = (s: string): string => s;

/**
 * `s` at `pos` of `buf` as UTF-8, nothing escaped; returns the position after it. ASCII (nearly
 * every id and topic) is copied by char code: cheaper than a call into `Buffer.write` for a short
 * string (docs/benchmarks-profile.md, "Third round").
 * @throws NoRoom as {@link encodeLinesInto} (room for 6 bytes per UTF-16 unit is asked).
 */
export const writeUtf8 = (buf: Buffer, s: string, pos: number, end: number): number =>
  put(buf, s, pos, end, NONE, same);

/**
 * The points as line protocol written straight into `buf` from `pos`, each line ending in `\n`:
 * byte for byte what {@link encodeLines} gives (test/store/line.test.ts), without building a
 * string per piece, per line and for the whole, which was the largest share of the ingest path's
 * allocations (docs/benchmarks-profile.md, "Third round"). Returns the position after the last
 * line. The points must have passed {@link checkPoint}.
 * @throws NoRoom when the lines may not fit before `end`; what was written is then garbage.
 */
export function encodeLinesInto(points: readonly Point[], buf: Buffer, pos: number, end: number): number {
  for (const point of points) {
    pos = put(buf, point.measurement, pos, end, SPECIAL_MEASUREMENT, escapeMeasurement);
    for (const key of sortedKeys(point.tags)) {
      const value = point.tags[key];
      if (key === '' || !value) continue;
      pos = byte(buf, COMMA, pos, end);
      pos = put(buf, key, pos, end, SPECIAL_TAG, escapeTag);
      pos = byte(buf, EQUALS, pos, end);
      // String(): as toLineProtocol's template would write a value that is not one.
      pos = put(buf, typeof value === 'string' ? value : String(value), pos, end, SPECIAL_TAG, escapeTag);
    }
    let first = true;
    for (const key of sortedKeys(point.fields)) {
      if (key === '') continue;
      pos = byte(buf, first ? SPACE : COMMA, pos, end);
      first = false;
      pos = put(buf, key, pos, end, SPECIAL_TAG, escapeTag);
      pos = byte(buf, EQUALS, pos, end);
      const value = point.fields[key];
      if (typeof value === 'string') {
        pos = byte(buf, QUOTE, pos, end);
        pos = put(buf, value, pos, end, SPECIAL_QUOTED, quoted);
        pos = byte(buf, QUOTE, pos, end);
      } else pos = writeUtf8(buf, fieldText(value), pos, end);
    }
    pos = byte(buf, SPACE, pos, end);
    pos = writeUtf8(buf, point.time, pos, end);
    pos = byte(buf, NEWLINE, pos, end);
  }
  return pos;
}

/** Longest `String(n)` of a finite number, e.g. `-1.2345678901234567e-100`. */
const MAX_NUMBER_CHARS = 24;

/**
 * Bytes {@link encodeLinesInto} may take for `points` at most: the worst case its room checks allow for
 * (6 bytes per UTF-16 unit of every piece, one per separator), counted without building anything.
 */
export function linesRoom(points: readonly Point[]): number {
  let n = 0;
  for (const p of points) {
    n += 6 * (p.measurement.length + p.time.length) + 2;
    for (const k in p.tags) n += 6 * (k.length + String(p.tags[k]).length) + 2;
    for (const k in p.fields) {
      const v = p.fields[k];
      n += 6 * k.length + 2 + (typeof v === 'string' ? 6 * v.length + 2 : 6 * MAX_NUMBER_CHARS);
    }
  }
  return n;
}
