/**
 * A hub point as one line of InfluxDB line protocol, escaped by the official client's `Point`
 * (docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/).
 */
import { Point as LinePoint } from '@influxdata/influxdb-client';
import { HubError } from '../errors.ts';
import type { Point } from '../point.ts';

// Line protocol timestamps are signed 64-bit nanoseconds (line protocol reference, "Timestamp").
const NS = /^-?\d{1,19}$/;
const MIN_NS = -(2n ** 63n) + 2n; // InfluxDB reserves the two lowest values
const MAX_NS = 2n ** 63n - 1n;

function invalid(point: Point, why: string): HubError {
  return new HubError('HUB_ERR_INFLUX_WRITE_REJECTED', `invalid point for measurement "${point.measurement}": ${why}`);
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
  if (typeof point.time !== 'string' || !NS.test(point.time)) {
    throw invalid(point, `time "${String(point.time)}" is not a nanosecond decimal string`);
  }
  const ns = BigInt(point.time);
  if (ns < MIN_NS || ns > MAX_NS) throw invalid(point, `time ${point.time} is outside int64`);
  const p = new LinePoint(point.measurement).timestamp(point.time);
  for (const [key, value] of Object.entries(point.tags)) p.tag(key, value);
  for (const [key, value] of Object.entries(point.fields)) {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(point, `field "${key}" is ${value}`);
      p.floatField(key, value);
    } else if (typeof value === 'boolean') {
      p.booleanField(key, value);
    } else if (typeof value === 'string') {
      p.stringField(key, value);
    } else {
      throw invalid(point, `field "${key}" has a ${typeof value} value`);
    }
  }
  const line = p.toLineProtocol();
  if (line === undefined) throw invalid(point, 'no fields');
  return line;
}
