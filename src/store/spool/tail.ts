/**
 * The spool's newest committed records, kept in memory for the drainer (docs/operations.md,
 * "The spool"): while the drainer keeps up, it takes the records it would read back from the
 * segment file from here instead — no read, no CRC over bytes this process wrote and synced a
 * moment ago, no block buffer: the record is read where the spool framed it (record.ts
 * `viewRecord`). Frames are kept, not records: their bytes lie outside the JavaScript heap, where
 * the garbage collector neither copies nor promotes them. Whatever is not here (after a restart, a
 * cut, or once the drainer falls more than `maxBytes` behind) is read from the file as before; the
 * file stays the truth, this is only a copy of its tail.
 */
import type { ChunkLimits, ReadChunk, ReadRecord } from './reader.ts';
import { viewRecord } from './record.ts';

/** One committed record: where its frame is in its segment, and the frame. */
interface Entry {
  seq: number;
  offset: number;
  frame: Buffer;
}

/** See the file comment. */
export class TailCache {
  readonly #maxBytes: number;
  /** In commit order: by segment, then by offset. */
  #entries: Entry[] = [];
  #head = 0;
  #bytes = 0;

  /** @param maxBytes most frame bytes kept; beyond, the oldest go (read from the file instead). */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * A record committed (written, and synced when the spool syncs) as `frame` (record.ts
   * `frameRecord`) at `offset` of segment `seq`.
   */
  add(seq: number, offset: number, frame: Buffer): void {
    if (frame.length > this.#maxBytes) return this.clear();
    this.#entries.push({ seq, offset, frame });
    this.#bytes += frame.length;
    while (this.#bytes > this.#maxBytes) this.#drop();
  }

  /** Forgets everything: after a failed write (the file may be cut) or at close. */
  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /**
   * The records of segment `seq` from exactly `offset` on, up to `end` and within `limits` (at
   * least one), as the segment reader would return them; undefined when the record at `offset` is
   * not here. Entries before `offset` are dropped: the drainer only moves forward.
   */
  take(seq: number, offset: number, end: number, limits: ChunkLimits): ReadChunk | undefined {
    while (this.#head < this.#entries.length) {
      const e = this.#entries[this.#head]!;
      if (e.seq > seq || (e.seq === seq && e.offset >= offset)) break;
      this.#drop();
    }
    const first = this.#entries[this.#head];
    if (!first || first.seq !== seq || first.offset !== offset) return undefined;
    const records: ReadRecord[] = [];
    let next = offset;
    let points = 0;
    for (let i = this.#head; i < this.#entries.length; i++) {
      const e = this.#entries[i]!;
      const stop = points >= limits.points || next - offset >= limits.bytes;
      if (e.seq !== seq || e.offset !== next || e.offset + e.frame.length > end || stop) break;
      next = e.offset + e.frame.length;
      const record = viewRecord(e.frame);
      records.push({ record, end: next });
      points += record.pointCount;
    }
    return records.length > 0 ? { records, next, damage: [] } : undefined;
  }

  /** Bytes of the frames of the records kept. */
  get bytes(): number {
    return this.#bytes;
  }

  #drop(): void {
    const e = this.#entries[this.#head++]!;
    this.#bytes -= e.frame.length;
    // Compact now and then rather than shift() per entry.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
