/**
 * What one spool record holds: the line-protocol bytes of one accepted message's points, encoded
 * once by the ingest path (line.ts), and the message itself, so that points InfluxDB refuses while
 * the spool drains can still become a `write_rejected` dead letter with the verbatim payload
 * (docs/contract.md §2: never silently dropped). That is the payload's only reason to be here; it
 * goes when the segment is removed, once every record in it is written.
 *
 * Points are stored as normalised, never re-normalised on replay: a message spooled during a long
 * outage must not become `too_old`, and time-less readings keep the arrival time they were stamped
 * with.
 *
 * Binary body, version 2 (docs/operations.md, "Spool record layout"); all integers big-endian:
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 1 | version: 2 (a JSON body of the first format starts with `{`: record-json.ts) |
 * | 1 | 1 | flags: bit 0 set when the source has a stamp |
 * | 2 | 2 | zero |
 * | 4 | 8 | `at`, epoch ms (float64) |
 * | 12 | 8 | `receivedAt`, epoch ms (float64) |
 * | 20 | 8 | stamp ms (float64; 0 without a stamp) |
 * | 28 | 4 | stamp offset (0 without a stamp) |
 * | 32 | 4 | number of points (lines) |
 * | 36 | 4 | bytes of line protocol |
 * | 40 | 4 | bytes of payload |
 * | 44 | 5 × 4 | bytes of topic, site, gateway, device, channel (UTF-8; 0xFFFFFFFF: absent) |
 * | 64 | … | those five strings, then the line protocol, then the payload |
 */
import type { DeadLetterInput } from '../../deadletters/store.ts';
import type { Point } from '../../point.ts';
import { linesText } from '../line.ts';
import { FRAME_HEADER_BYTES, sealFrame } from './frame.ts';
import { decodeJsonRecord, JSON_RECORD_FIRST_BYTE } from './record-json.ts';

/** The message a record's points came from (a dead letter without its reasons). */
export type RecordSource = Omit<DeadLetterInput, 'rejects'>;

/** One record of the spool. */
export interface SpoolRecord {
  /** When it was spooled, epoch ms (the spool's age metric). */
  at: number;
  /**
   * The points as line protocol, each line ending in `\n` (line.ts `encodeLines`); text on the way
   * in ({@link NewSpoolRecord}).
   */
  lines: Buffer;
  /** How many points (lines) `lines` holds. */
  pointCount: number;
  source: RecordSource;
}

/**
 * A record on its way into the spool: its line protocol still as text, which {@link frameRecord}
 * writes straight into the frame (the ingest path's one copy).
 */
export interface NewSpoolRecord extends Omit<SpoolRecord, 'lines'> {
  lines: string;
}

/** Version byte of the binary layout above. */
export const RECORD_VERSION = 2;
const HEADER_BYTES = 64;
const ABSENT = 0xffffffff;
const STRINGS = ['topic', 'site', 'gateway', 'device', 'channel'] as const;
const OPTIONAL = ['site', 'gateway', 'device', 'channel'] as const;

/** A record of `points` (encoded here, once). @throws HubError for a point InfluxDB would refuse (line.ts). */
export function spoolRecord(at: number, points: readonly Point[], source: RecordSource): NewSpoolRecord {
  return { at, lines: linesText(points), pointCount: points.length, source };
}

/** A record framed for the log, and the record as the log will hold it (views of the frame). */
export interface FramedRecord {
  frame: Buffer;
  /** What {@link decodeRecord} of the frame's body gives, without decoding it: the spool's tail. */
  stored: SpoolRecord;
}

/** Frames are carved from slabs this big: one allocation per slab, not per frame (or per 8 KiB pool). */
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/** `size` bytes for a frame: a slice of the current slab, or a buffer of its own when large. */
function frameBuffer(size: number): Buffer {
  if (size > SLAB_BYTES / 8) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7; // 8-byte aligned, as Node's own pool
  return b;
}

/**
 * The record as a whole frame (frame.ts), built in one buffer: the spool's append path. Strings
 * and line text are written straight into it: a buffer of their own each, then a copy, was the
 * bulk of this function's garbage (docs/benchmarks-profile.md).
 */
export function frameRecord(record: NewSpoolRecord): FramedRecord {
  const { source, lines } = record;
  const linesBytes = Buffer.byteLength(lines, 'utf8');
  let size = HEADER_BYTES + linesBytes + source.payload.length;
  for (let i = 0; i < STRINGS.length; i++) {
    const v = source[STRINGS[i]!];
    if (v !== undefined) size += Buffer.byteLength(v, 'utf8');
  }
  const frame = frameBuffer(FRAME_HEADER_BYTES + size);
  const b = frame.subarray(FRAME_HEADER_BYTES);
  b.writeUInt8(RECORD_VERSION, 0);
  b.writeUInt8(source.stamp ? 1 : 0, 1);
  b.writeUInt16BE(0, 2);
  b.writeDoubleBE(record.at, 4);
  b.writeDoubleBE(source.receivedAt, 12);
  b.writeDoubleBE(source.stamp?.ms ?? 0, 20);
  b.writeUInt32BE(source.stamp?.offset ?? 0, 28);
  b.writeUInt32BE(record.pointCount, 32);
  b.writeUInt32BE(linesBytes, 36);
  b.writeUInt32BE(source.payload.length, 40);
  let at = HEADER_BYTES;
  for (let i = 0; i < STRINGS.length; i++) {
    const v = source[STRINGS[i]!];
    const n = v === undefined ? 0 : b.write(v, at, 'utf8');
    b.writeUInt32BE(v === undefined ? ABSENT : n, 44 + 4 * i);
    at += n;
  }
  const linesAt = at;
  at += b.write(lines, at, 'utf8');
  source.payload.copy(b, at);
  // The stored record: the fields decodeRecord reads back, the bytes as views of the frame.
  const stored: RecordSource = { topic: source.topic, receivedAt: source.receivedAt, payload: b.subarray(at) };
  for (const k of OPTIONAL) if (source[k] !== undefined) stored[k] = source[k];
  if (source.stamp) stored.stamp = { ms: source.stamp.ms, offset: source.stamp.offset };
  return {
    frame: sealFrame(frame),
    stored: { at: record.at, lines: b.subarray(linesAt, at), pointCount: record.pointCount, source: stored },
  };
}

/** The record as a frame body (tests; the spool builds whole frames: {@link frameRecord}). */
export function encodeRecord(record: NewSpoolRecord): Buffer {
  return frameRecord(record).frame.subarray(FRAME_HEADER_BYTES);
}

/**
 * The record of a frame body whose CRC matched, of either format. Its `lines` and `payload` are
 * views of `body`, not copies.
 * @throws Error when the body is not a record (written by another version, or a bug).
 */
export function decodeRecord(body: Buffer): SpoolRecord {
  if (body[0] === JSON_RECORD_FIRST_BYTE) return decodeJsonRecord(body);
  if (body[0] !== RECORD_VERSION) throw new Error(`not a spool record: unknown version byte ${body[0]}`);
  if (body.length < HEADER_BYTES) throw new Error('not a spool record: shorter than its header');
  const flags = body.readUInt8(1);
  const at = body.readDoubleBE(4);
  const receivedAt = body.readDoubleBE(12);
  const pointCount = body.readUInt32BE(32);
  const linesBytes = body.readUInt32BE(36);
  const payloadBytes = body.readUInt32BE(40);
  if ((flags & ~1) !== 0 || body.readUInt16BE(2) !== 0) throw new Error('not a spool record: unknown flags');
  if (!Number.isFinite(at) || !Number.isFinite(receivedAt)) throw new Error('not a spool record: bad times');
  const strings: Partial<Record<(typeof STRINGS)[number], string>> = {};
  let pos = HEADER_BYTES;
  for (let i = 0; i < STRINGS.length; i++) {
    const n = body.readUInt32BE(44 + 4 * i);
    if (n === ABSENT) continue;
    if (pos + n > body.length) throw new Error('not a spool record: lengths run past the body');
    strings[STRINGS[i]!] = body.toString('utf8', pos, pos + n);
    pos += n;
  }
  const { topic, ...optional } = strings;
  if (topic === undefined) throw new Error('not a spool record: no topic');
  if (pos + linesBytes + payloadBytes !== body.length) throw new Error('not a spool record: lengths do not add up');
  const lines = body.subarray(pos, pos + linesBytes);
  // The drainer posts the bytes as they are: a body whose CRC matches by chance must not reach
  // InfluxDB as garbage. A `\n` ends each point (string values may hold more), the last byte
  // among them: cheap to check.
  if (countNewlines(lines) < pointCount || (linesBytes > 0 && lines[linesBytes - 1] !== 0x0a))
    throw new Error(`not a spool record: ${pointCount} points declared, lines do not match`);
  const source: RecordSource = { topic, ...optional, receivedAt, payload: body.subarray(pos + linesBytes) };
  if (flags & 1) source.stamp = { ms: body.readDoubleBE(20), offset: body.readUInt32BE(28) };
  return { at, lines, pointCount, source };
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}
