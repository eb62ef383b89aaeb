/**
 * Reads records back from one segment file, in order, a bounded chunk at a time. A frame that is
 * cut short or fails its checks (impossible length, CRC mismatch) is damage: the reader then
 * resynchronises, scanning forward for the next offset at which a whole frame validates (length
 * sane and within the data, CRC matching), reports the bytes in between as damage for the drainer
 * to log and skip, and goes on from there, so one bad stretch (bit rot, a bad sector, a partial
 * overwrite) costs only the records it touches. When no whole frame follows, the rest of the file
 * is the damage: torn when it is the file's last frame, as a crash mid-append leaves it.
 *
 * A false resynchronisation needs 4 damaged bytes that read as a plausible length followed by 4
 * that equal the CRC-32 of the bytes after them: 1 in 2^32 for each offset that gets as far as
 * the CRC. Offsets inside a record's body may get that far now that bodies are binary (record.ts;
 * JSON bodies of the first format never did: any 4 text bytes spell a length above the 64 MiB
 * limit), so the odds are per offset tested, still 1 in 2^32 each. A frame the scan accepts
 * wrongly would still have to decode as a record (layout, lengths, lines) to be written.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { FRAME_HEADER_BYTES, MAX_FRAME_BODY_BYTES, readFrame, SEGMENT_MAGIC } from './frame.ts';
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
  /** File offset of the first byte that could not be read as a record. */
  offset: number;
  /** Bytes skipped: up to the next whole frame, or to the end of the data when none follows. */
  bytes: number;
  /** True when it is the file's last frame, cut short (a crash mid-append), not damage before it. */
  torn: boolean;
  /** Why: what was wrong with the frame at `offset`, and where reading went on, if it did. */
  detail: string;
}

/** A leading length byte above this spells a length above {@link MAX_FRAME_BODY_BYTES}. */
const MAX_LEAD_BYTE = MAX_FRAME_BODY_BYTES >>> 24;

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

  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens the file and checks its magic. Returns the offset of the first frame; with a damaged
   * magic, the first whole frame after it (the file has a segment's name, so its records are worth
   * finding) and the damage before it; or a damage covering `[0, end)` when none can be found.
   */
  async open(end: number): Promise<{ start: number; damage?: Damage } | { damage: Damage }> {
    this.#handle = await open(this.path, 'r');
    const head = await this.#readAt(0, Math.min(end, SEGMENT_MAGIC.length));
    if (head.length === SEGMENT_MAGIC.length && head.equals(SEGMENT_MAGIC)) return { start: SEGMENT_MAGIC.length };
    const torn = SEGMENT_MAGIC.subarray(0, head.length).equals(head);
    const first = torn ? undefined : await this.#resync(0, end);
    if (first !== undefined) {
      return {
        start: first,
        damage: {
          offset: 0,
          bytes: first,
          torn: false,
          detail: `bad segment header; ${first} bytes skipped, reading from the whole record at ${first}`,
        },
      };
    }
    return {
      damage: {
        offset: 0,
        bytes: end,
        torn,
        detail: torn
          ? 'file cut before its header was complete'
          : 'not a spool segment (bad magic, no whole record found)',
      },
    };
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
          points += record.pointCount;
        } catch (e) {
          // The CRC matched, so the frame boundary is sound: skip this record alone.
          damage.push({
            offset: at,
            bytes: base + off - at,
            torn: false,
            detail: `undecodable record: ${(e as Error).message}`,
          });
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
      // A length field cannot be trusted once the frame fails: look for the next whole frame.
      const torn = found.kind === 'short' || (found.detail.startsWith('CRC') && lastFrameEnds(buf, off, end - base));
      const resync = await this.#resync(at + 1, end);
      if (resync === undefined) {
        // Nothing whole after it: the rest of the file is lost (torn, if it is the last write).
        const detail =
          found.kind === 'short' ? `record cut short: ${end - at} of ${found.need} bytes present` : found.detail;
        damage.push({ offset: at, bytes: end - at, torn, detail });
        off = end - base;
        continue;
      }
      const why =
        found.kind === 'short'
          ? `record length ${found.need - FRAME_HEADER_BYTES} runs past the data (${end - at} bytes left)`
          : found.detail;
      damage.push({
        offset: at,
        bytes: resync - at,
        torn: false,
        detail: `${why}; ${resync - at} bytes skipped, reading again from the whole record at ${resync}`,
      });
      base = resync;
      buf = await this.#readAt(base, Math.min(end - base, READ_BLOCK_BYTES));
      off = 0;
    }
    return { records, next: base + off, damage };
  }

  /**
   * The offset of the first whole frame at or after `from` and before `end` (length within bounds
   * and within `end`, CRC matching), or undefined when there is none. Runs only after damage:
   * reads a block at a time, each offset tested first by its leading length byte, then by length,
   * and only then by CRC (reading exactly the candidate frame when it runs past the block).
   */
  async #resync(from: number, end: number): Promise<number | undefined> {
    for (let pos = from; end - pos > FRAME_HEADER_BYTES;) {
      const block = await this.#readAt(pos, Math.min(end - pos, READ_BLOCK_BYTES));
      const last = block.length - FRAME_HEADER_BYTES; // offsets from here on are tested with the next block
      if (last <= 0) return undefined; // the file is shorter than its committed length said
      for (let i = 0; i < last; i++) {
        if (block[i]! > MAX_LEAD_BYTE) continue;
        const length = block.readUInt32BE(i);
        const frameBytes = FRAME_HEADER_BYTES + length;
        if (length === 0 || length > MAX_FRAME_BODY_BYTES || pos + i + frameBytes > end) continue;
        const frame =
          i + frameBytes <= block.length ? block.subarray(i, i + frameBytes) : await this.#readAt(pos + i, frameBytes);
        if ('body' in readFrame(frame, 0)) return pos + i;
      }
      pos += last;
    }
    return undefined;
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
