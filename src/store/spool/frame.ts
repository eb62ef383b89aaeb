/**
 * How the spool's write-ahead log lays out bytes. A segment file starts with an 8-byte magic,
 * then holds frames: `[u32 BE body length][u32 BE CRC-32 of the body][body]`. The length lets a
 * reader find where the next frame starts; the CRC lets it tell a whole frame from one cut short
 * by a crash mid-write (a "torn" record, as in the write-ahead logs of InfluxDB's TSM engine and
 * of LevelDB, which frame records the same way) or damaged on disk.
 */
import * as zlib from 'node:zlib';

/** First bytes of every segment file: format name and version. */
export const SEGMENT_MAGIC = Buffer.from('HUBWAL01', 'latin1');
/** Bytes of a frame header: length, then CRC. */
export const FRAME_HEADER_BYTES = 8;
/**
 * Largest body a frame may declare. A message is at most `4 × mqtt.maxPacketBytes` (1 MiB by
 * default) before normalisation; anything far above is a damaged length field, not a record.
 */
export const MAX_FRAME_BODY_BYTES = 64 * 1024 * 1024;

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zlib and gzip) by table, for Node.js before 20.15 (no `zlib.crc32`). */
export function crc32ByTable(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 of `data`: node:zlib's native one where it exists (Node.js ≥ 20.15), else a table. */
export function crc32(data: Uint8Array): number {
  return native ? native(data) >>> 0 : crc32ByTable(data);
}

/** `body` framed for the log. */
export function encodeFrame(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  body.copy(frame, FRAME_HEADER_BYTES);
  return sealFrame(frame);
}

/**
 * Writes the header of a frame whose body is already in place after it (so a record can be built
 * straight into its frame, record.ts, without a second copy); returns `frame`.
 */
export function sealFrame(frame: Buffer): Buffer {
  const body = frame.subarray(FRAME_HEADER_BYTES);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt32BE(crc32(body), 4);
  return frame;
}

/** One frame found in a buffer. */
export interface FoundFrame {
  body: Buffer;
  /** Offset just past the frame, relative to the buffer. */
  end: number;
}

/** Why a buffer holds no whole frame at `offset`. */
export type FrameProblem =
  /** The header or body goes past the data given: read more, or, at the end of the file, torn. */
  | { kind: 'short'; need: number }
  /** The length field is impossible, or the CRC does not match: not a record. */
  | { kind: 'bad'; detail: string };

/**
 * The frame at `offset` of `buf`, or why there is none. The reader (reader.ts) judges a problem by
 * where it is: at the end of a file's data it is a torn last write, before it damage.
 */
export function readFrame(buf: Buffer, offset: number): FoundFrame | FrameProblem {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { kind: 'short', need: FRAME_HEADER_BYTES };
  const length = buf.readUInt32BE(offset);
  if (length === 0 || length > MAX_FRAME_BODY_BYTES)
    return { kind: 'bad', detail: `impossible record length ${length}` };
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > buf.length) return { kind: 'short', need: FRAME_HEADER_BYTES + length };
  const body = buf.subarray(offset + FRAME_HEADER_BYTES, end);
  const expected = buf.readUInt32BE(offset + 4);
  const actual = crc32(body);
  if (actual !== expected)
    return { kind: 'bad', detail: `CRC mismatch (stored ${expected.toString(16)}, computed ${actual.toString(16)})` };
  return { body, end };
}
