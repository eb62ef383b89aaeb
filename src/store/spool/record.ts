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
import { checkPoint, encodeLinesInto, linesRoom, NoRoom, writeUtf8 } from '../line.ts';
import { FRAME_HEADER_BYTES, sealFrame } from './frame.ts';
import { decodeJsonRecord, JSON_RECORD_FIRST_BYTE } from './record-json.ts';

/** The message a record's points came from (a dead letter without its reasons). */
export type RecordSource = Omit<DeadLetterInput, 'rejects'>;

/** One record of the spool. */
export interface SpoolRecord {
  /** When it was spooled, epoch ms (the spool's age metric). */
  at: number;
  /**
   * The points as line protocol, each line ending in `\n` (line.ts `encodeLines`); points on the way
   * in ({@link NewSpoolRecord}).
   */
  lines: Buffer;
  /** How many points (lines) `lines` holds. */
  pointCount: number;
  source: RecordSource;
}

/**
 * A record on its way into the spool: its points, checked, whose line protocol {@link frameRecord}
 * writes straight into the frame (the ingest path's one encoding, line.ts `encodeLinesInto`).
 */
export interface NewSpoolRecord extends Omit<SpoolRecord, 'lines'> {
  points: readonly Point[];
}

/** Version byte of the binary layout above. */
export const RECORD_VERSION = 2;
const HEADER_BYTES = 64;
const ABSENT = 0xffffffff;
const STRINGS = ['topic', 'site', 'gateway', 'device', 'channel'] as const;

/**
 * A record of `points`, each checked here (encoded once, by {@link frameRecord}).
 * @throws HubError for a point InfluxDB would refuse (line.ts `checkPoint`).
 */
export function spoolRecord(at: number, points: readonly Point[], source: RecordSource): NewSpoolRecord {
  for (const p of points) checkPoint(p);
  return { at, points, pointCount: points.length, source };
}

/** Frames are carved from slabs this big: one allocation per slab, not per frame (or per 8 KiB pool). */
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/** A record's string (or its absence) at `at`, its length at `lengthAt`; returns the bytes written. */
function writeField(b: Buffer, v: string | undefined, at: number, end: number, lengthAt: number): number {
  const n = v === undefined ? 0 : writeUtf8(b, v, at, end) - at;
  b.writeUInt32BE(v === undefined ? ABSENT : n, lengthAt);
  return n;
}

/**
 * The record as a whole frame (frame.ts), built in one buffer: the spool's append path. Strings
 * and the points' line protocol are written straight into it: a buffer of their own each, then a
 * copy, was the bulk of this function's garbage (docs/benchmarks-profile.md). The frame is carved
 * from the current slab after writing. It is first written into what is left of the slab: the
 * writers check their room as they go (line.ts `NoRoom`), so the worst case need not be counted
 * beforehand, which took a third as long as writing the lines (docs/benchmarks-profile.md, "Fifth
 * round"). When that room runs out, a fresh slab; only a record that does not fit a fresh one (or
 * whose payload alone is big) is sized by its worst case and gets a buffer of its own.
 */
export function frameRecord(record: NewSpoolRecord): Buffer {
  const { payload } = record.source;
  if (payload.length <= BIG_PAYLOAD) {
    let at = writeFrame(record, slab, slabUsed, slab.length);
    if (at < 0 && (slabUsed > 0 || slab.length === 0)) {
      // Too little left of this slab (or none yet): once more in a fresh one.
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      slabUsed = 0;
      at = writeFrame(record, slab, 0, slab.length);
    }
    if (at >= 0) {
      const frame = slab.subarray(slabUsed, at);
      slabUsed += (at - slabUsed + 7) & ~7; // 8-byte aligned, as Node's own pool
      return sealFrame(frame);
    }
  }
  const { source, points } = record;
  const { topic, site, gateway, device, channel } = source;
  const units =
    topic.length + (site?.length ?? 0) + (gateway?.length ?? 0) + (device?.length ?? 0) + (channel?.length ?? 0);
  const room = FRAME_HEADER_BYTES + HEADER_BYTES + 6 * units + linesRoom(points) + payload.length;
  const buf = Buffer.allocUnsafeSlow(room);
  const at = writeFrame(record, buf, 0, room);
  if (at < 0) throw new Error('spool record larger than its worst case'); // linesRoom is an upper bound
  if (at === room) return sealFrame(buf);
  // The worst-case room can be several times what the record took; only that is kept.
  const exact = Buffer.allocUnsafeSlow(at);
  buf.copy(exact, 0, 0, at);
  return sealFrame(exact);
}

/** A payload this big gets a buffer of its own: a slab would rarely have room left for it. */
const BIG_PAYLOAD = SLAB_BYTES / 16;

/**
 * Writes the frame of `record` (its CRC not yet sealed) into `buf` from `start`, ending before `end`;
 * returns where it ends, or -1 when it may not fit (`buf` from `start` is then garbage).
 */
function writeFrame(record: NewSpoolRecord, buf: Buffer, start: number, end: number): number {
  const { source, points } = record;
  const { payload, topic, site, gateway, device, channel } = source;
  const h = start + FRAME_HEADER_BYTES; // the body's header
  let at = h + HEADER_BYTES;
  const stop = end - payload.length;
  if (at > stop) return -1;
  try {
    // The five strings in the order of STRINGS, each with its length in the header.
    at += writeField(buf, topic, at, stop, h + 44);
    at += writeField(buf, site, at, stop, h + 48);
    at += writeField(buf, gateway, at, stop, h + 52);
    at += writeField(buf, device, at, stop, h + 56);
    at += writeField(buf, channel, at, stop, h + 60);
    const linesAt = at;
    at = encodeLinesInto(points, buf, at, stop);
    buf.writeUInt32BE(at - linesAt, h + 36);
  } catch (e) {
    if (e instanceof NoRoom) return -1;
    throw e;
  }
  at += payload.copy(buf, at);
  buf.writeUInt8(RECORD_VERSION, h);
  buf.writeUInt8(source.stamp ? 1 : 0, h + 1);
  buf.writeUInt16BE(0, h + 2);
  buf.writeDoubleBE(record.at, h + 4);
  buf.writeDoubleBE(source.receivedAt, h + 12);
  buf.writeDoubleBE(source.stamp?.ms ?? 0, h + 20);
  buf.writeUInt32BE(source.stamp?.offset ?? 0, h + 28);
  buf.writeUInt32BE(record.pointCount, h + 32);
  buf.writeUInt32BE(payload.length, h + 40);
  return at;
}

/** The record as a frame body (tests; the spool builds whole frames: {@link frameRecord}). */
export function encodeRecord(record: NewSpoolRecord): Buffer {
  return frameRecord(record).subarray(FRAME_HEADER_BYTES);
}

/**
 * The record of a frame {@link frameRecord} built, read where it lies: `at`, `pointCount` and
 * `lines` (a view) from the header at once, `source` decoded on first use (only a point InfluxDB
 * refuses needs it). The spool's tail keeps frames, not records: a record's objects (its source,
 * two views, its strings), kept for the drainer, outlived the young generation by the tens of
 * thousands under load, and each scavenge copied them (docs/benchmarks-profile.md, "Fourth round").
 */
export function viewRecord(frame: Buffer): SpoolRecord {
  return new RecordView(frame);
}

class RecordView implements SpoolRecord {
  readonly at: number;
  readonly pointCount: number;
  readonly lines: Buffer;
  readonly #frame: Buffer;
  #source: RecordSource | undefined;

  constructor(frame: Buffer) {
    this.#frame = frame;
    const h = FRAME_HEADER_BYTES;
    this.at = frame.readDoubleBE(h + 4);
    this.pointCount = frame.readUInt32BE(h + 32);
    let pos = h + HEADER_BYTES;
    for (let i = 0; i < STRINGS.length; i++) {
      const n = frame.readUInt32BE(h + 44 + 4 * i);
      if (n !== ABSENT) pos += n;
    }
    this.lines = frame.subarray(pos, pos + frame.readUInt32BE(h + 36));
  }

  get source(): RecordSource {
    return (this.#source ??= decodeRecord(this.#frame.subarray(FRAME_HEADER_BYTES)).source);
  }
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
