/**
 * Reads records back from one segment file, in order, a bounded chunk at a time. A frame that is
 * cut short or fails its CRC ends what can be trusted in the segment: every whole record before it
 * is returned, and the rest is reported as damage (torn when it is the file's last frame, as a
 * crash mid-append leaves it) for the drainer to log and skip.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { FRAME_HEADER_BYTES, readFrame, SEGMENT_MAGIC } from './frame.ts';
import { decodeRecord, type SpoolRecord } from './record.ts';

/** Bytes read from disk per call, unless one record is bigger (bounds the drainer's memory). */
export const READ_BLOCK_BYTES = 1024 * 1024;

/** A record and the file offset just past it. */
export interface ReadRecord {
  record: SpoolRecord;
  end: number;
}

/** Bytes of a segment that hold no record that can be trusted. */
export interface Damage {
  offset: number;
  bytes: number;
  /** True when it is the file's last frame, cut short (a crash mid-append), not damage before it. */
  torn: boolean;
  detail: string;
}

/** What one {@link SegmentReader.read} found. */
export interface ReadChunk {
  records: ReadRecord[];
  /** Offset to read from next (past the damage, if any). */
  next: number;
  damage: Damage[];
}

/** Limits of one chunk; at least one record is returned whatever they say. */
export interface ChunkLimits {
  points: number;
  bytes: number;
}

/** An open segment file being read. */
export class SegmentReader {
  #handle: FileHandle | undefined;

  constructor(readonly path: string) {}

  /**
   * Opens the file and checks its magic. Returns the offset of the first frame, or a damage
   * covering `[0, end)` when the file is not a segment (its records cannot be found).
   */
  async open(end: number): Promise<{ start: number } | { damage: Damage }> {
    this.#handle = await open(this.path, 'r');
    const head = await this.#readAt(0, Math.min(end, SEGMENT_MAGIC.length));
    if (head.length === SEGMENT_MAGIC.length && head.equals(SEGMENT_MAGIC)) return { start: SEGMENT_MAGIC.length };
    const torn = SEGMENT_MAGIC.subarray(0, head.length).equals(head);
    return { damage: { offset: 0, bytes: end, torn, detail: torn ? 'file cut before its header was complete' : 'not a spool segment (bad magic)' } };
  }

  /** Records from `from` up to `end` (the segment's committed length), within `limits`. */
  async read(from: number, end: number, limits: ChunkLimits): Promise<ReadChunk> {
    const records: ReadRecord[] = [];
    const damage: Damage[] = [];
    let base = from;
    let buf = await this.#readAt(base, Math.min(end - base, READ_BLOCK_BYTES));
    let off = 0;
    let points = 0;
    let exact = -1; // offset last read exactly for one big record

    while (base + off < end && points < limits.points && base + off - from < limits.bytes) {
      const at = base + off;
      const found = readFrame(buf, off);
      if ('body' in found) {
        off = found.end;
        try {
          const record = decodeRecord(found.body);
          records.push({ record, end: base + off });
          points += record.points.length;
        } catch (e) {
          // The CRC matched, so the frame boundary is sound: skip this record alone.
          damage.push({ offset: at, bytes: base + off - at, torn: false, detail: `undecodable record: ${(e as Error).message}` });
        }
        continue;
      }
      // (Read exactly once: a file shorter than its known length would loop otherwise.)
      if (found.kind === 'short' && at + found.need <= end && exact !== at) {
        if (records.length > 0) break; // the next call starts with this frame
        base = exact = at; // one record larger than a block: read exactly it
        buf = await this.#readAt(base, found.need);
        off = 0;
        continue;
      }
      // Nothing past this point can be framed: a length field cannot be trusted once one is wrong.
      const torn = found.kind === 'short' || (found.detail.startsWith('CRC') && lastFrameEnds(buf, off, end - base));
      const detail = found.kind === 'short' ? `record cut short: ${end - at} of ${found.need} bytes present` : found.detail;
      damage.push({ offset: at, bytes: end - at, torn, detail });
      off = end - base;
    }
    return { records, next: base + off, damage };
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }

  async #readAt(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.max(0, length));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.#handle!.read(buf, got, buf.length - got, position + got);
      if (bytesRead === 0) break; // the file is shorter than its committed length said
      got += bytesRead;
    }
    return buf.subarray(0, got);
  }
}

/** True when the frame at `off` would end exactly at `end`: the last write, torn in place. */
function lastFrameEnds(buf: Buffer, off: number, end: number): boolean {
  return buf.length - off >= FRAME_HEADER_BYTES && off + FRAME_HEADER_BYTES + buf.readUInt32BE(off) === end;
}
