/**
 * Spool records of the first format (`HUBWAL01` segments written before the binary layout of
 * record.ts): a JSON body `{at, points, source}` with the payload in base64. A spool left by an
 * older hub is still drained: its records are read here and their points encoded to line protocol
 * once, as the ingest path now does (docs/operations.md, "Spool record layout").
 */
import type { Point } from '../../point.ts';
import { encodeLines } from '../line.ts';
import type { RecordSource, SpoolRecord } from './record.ts';

interface Stored {
  at: number;
  points: Point[];
  source: Omit<RecordSource, 'payload'> & { payload: string };
}

/** First byte of a JSON record body (`{`); binary bodies start with their version byte. */
export const JSON_RECORD_FIRST_BYTE = 0x7b;

/**
 * The record of a JSON body whose CRC matched.
 * @throws Error when the body is not a record (written by another version, or a bug).
 */
export function decodeJsonRecord(body: Buffer): SpoolRecord {
  const stored = JSON.parse(body.toString('utf8')) as Partial<Stored> | null;
  if (
    !stored ||
    typeof stored.at !== 'number' ||
    !Array.isArray(stored.points) ||
    typeof stored.source?.payload !== 'string' ||
    typeof stored.source.topic !== 'string' ||
    typeof stored.source.receivedAt !== 'number'
  ) {
    throw new Error('not a spool record');
  }
  // The drainer writes points as they are: a body whose CRC matches by chance, or that another
  // version wrote, must not reach InfluxDB as garbage (found by test/fuzz/spool-reader.test.ts).
  const bad = stored.points.findIndex((p) => !isPoint(p));
  if (bad >= 0) throw new Error(`not a spool record: point ${bad} is not a point`);
  return {
    at: stored.at,
    lines: encodeLines(stored.points),
    pointCount: stored.points.length,
    source: { ...stored.source, payload: Buffer.from(stored.source.payload, 'base64') },
  };
}

/** The JSON body of a record (tests of reading older spools only: the hub writes binary ones). */
export function encodeJsonRecord(record: { at: number; points: Point[]; source: RecordSource }): Buffer {
  const stored: Stored = { ...record, source: { ...record.source, payload: record.source.payload.toString('base64') } };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

function isPoint(p: unknown): p is Point {
  if (p === null || typeof p !== 'object') return false;
  const { measurement, tags, fields, time } = p as Partial<Record<keyof Point, unknown>>;
  if (typeof measurement !== 'string' || measurement === '') return false;
  if (typeof time !== 'string' || !/^-?\d{1,20}$/.test(time)) return false;
  if (!isPlainObject(tags) || !Object.values(tags).every((v) => typeof v === 'string')) return false;
  if (!isPlainObject(fields)) return false;
  const values = Object.values(fields);
  return (
    values.length > 0 &&
    values.every(
      (v) => typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)),
    )
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
