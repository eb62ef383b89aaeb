/**
 * What one spool record holds: the points of one accepted message, and the message itself so that
 * points InfluxDB refuses while the spool drains can still become a `write_rejected` dead letter
 * with the verbatim payload (docs/contract.md §2: never silently dropped).
 *
 * The body is JSON (point.ts: points are plain JSON so they can be spooled); the payload travels as
 * base64 because it may be any bytes. Points are stored as normalised, never re-normalised on
 * replay: a message spooled during a long outage must not become `too_old`, and time-less readings
 * keep the arrival time they were stamped with.
 */
import type { DeadLetterInput } from '../../deadletters/store.ts';
import type { Point } from '../../point.ts';

/** The message a record's points came from (a dead letter without its reasons). */
export type RecordSource = Omit<DeadLetterInput, 'rejects'>;

/** One record of the spool. */
export interface SpoolRecord {
  /** When it was spooled, epoch ms (the spool's age metric). */
  at: number;
  points: Point[];
  source: RecordSource;
}

interface Stored {
  at: number;
  points: Point[];
  source: Omit<RecordSource, 'payload'> & { payload: string };
}

/** The record as a frame body. */
export function encodeRecord(record: SpoolRecord): Buffer {
  const stored: Stored = { ...record, source: { ...record.source, payload: record.source.payload.toString('base64') } };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

/**
 * The record of a frame body whose CRC matched.
 * @throws Error when the body is not a record (written by another version, or a bug).
 */
export function decodeRecord(body: Buffer): SpoolRecord {
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
    points: stored.points,
    source: { ...stored.source, payload: Buffer.from(stored.source.payload, 'base64') },
  };
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
