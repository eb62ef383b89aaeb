/**
 * The spool: a write-ahead log on local disk that every accepted message's points go through
 * before the PUBACK (docs/contract.md §2, "Delivery"), and that the drainer (drainer.ts) empties
 * into InfluxDB in order.
 *
 * Layout: `<dir>/seg-<16-digit sequence>.wal`, one active segment being appended to, older ones
 * sealed. Appends are group-committed as in the dead-letter store: records offered while a write
 * and fsync are under way share the next write and fsync, so a burst (aedes hands over every
 * packet of one socket read at once, from every client) costs one fsync, not one each.
 *
 * Bounds (memory and disk stay bounded whatever the input rate; each enforced here):
 * - on disk: `maxBytes` over every segment file. A record that does not fit waits for room, in
 *   FIFO order, for at most `backpressureTimeoutMs`, then is refused (`HUB_ERR_SPOOL_FULL`). The
 *   broker holds the PUBACK meanwhile and reads nothing more from that client, so the publisher is
 *   slowed, never told a lie. An empty spool takes any one record, so no message is too big forever.
 * - in memory: `maxBufferedBytes` over the records waiting for room or for their group commit;
 *   beyond it `append` refuses at once (`HUB_ERR_SPOOL_FULL`), and the gateway resends later.
 *
 * Why wait for room before refusing: a refusal closes the connection and the gateway resends
 * everything unacknowledged after reconnecting, over and over while the spool stays full; a wait
 * keeps the data where it already is (the gateway's queue, then TCP) and slows the gateway to the
 * drainer's pace. But a waiting client's PINGREQ goes unread, so the wait is bounded: keep
 * `spool.backpressureTimeout` below the gateways' keepalive, and the refusal comes first.
 *
 * Removing a drained segment does not sync the folder: after a power cut it may come back, and
 * is replayed, which rewrites points onto themselves.
 */
import { unlink, type FileHandle } from 'node:fs/promises';
import { HubError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { FRAME_HEADER_BYTES, MAX_FRAME_BODY_BYTES, SEGMENT_MAGIC } from './frame.ts';
import { frameRecord, type NewSpoolRecord } from './record.ts';
import type { ChunkLimits, ReadChunk } from './reader.ts';
import { createSegment, listSegments, writevAll } from './segment-files.ts';
import { TailCache } from './tail.ts';

/** Bytes of the newest committed records kept in memory for the drainer (tail.ts). */
const TAIL_BYTES = 16 * 1024 * 1024;

/** Options of {@link Spool}. */
export interface SpoolOptions {
  dir: string;
  /** Bound of all segment files together (bytes). */
  maxBytes: number;
  /** fsync (fdatasync) each group commit and each new segment's directory entry. */
  fsync: boolean;
  /** Bound of records held in memory, waiting for room or for their commit (bytes). */
  maxBufferedBytes: number;
  /** Longest a record waits for room before it is refused (ms). */
  backpressureTimeoutMs: number;
  /** A segment is sealed once it holds this many bytes; default `maxBytes / 8` within [4 KiB, 16 MiB]. */
  segmentBytes?: number;
  logger: Logger;
}

/** A segment as the drainer sees it. */
export interface SegmentView {
  seq: number;
  path: string;
  /** Bytes committed (written, and synced when `fsync`): a reader never reads past this. */
  end: number;
  /** No more appends: once drained it may be removed. */
  sealed: boolean;
}

/** Spool gauges and counters. */
export interface SpoolStats {
  /** Bytes of all segment files. */
  bytes: number;
  maxBytes: number;
  segments: number;
  /** Bytes of records in memory, not yet on disk. */
  bufferedBytes: number;
  /** Messages whose acknowledgement waits for room right now. */
  waiting: number;
  /** True while messages wait for room: PUBACKs are being held back. */
  backpressure: boolean;
  /** Records committed since start. */
  records: number;
  /** Group commits (one write, and one fsync when enabled, each). */
  commits: number;
  /** Records refused: no room in time, too much in memory, or a disk error. */
  refused: number;
}

interface Segment {
  seq: number;
  path: string;
  bytes: number;
  sealed: boolean;
  handle?: FileHandle;
}

interface Item {
  frame: Buffer;
  resolve: () => void;
  reject: (e: HubError) => void;
  timer?: NodeJS.Timeout;
}

/** The write-ahead log; see the file comment. */
export class Spool {
  readonly #o: SpoolOptions;
  readonly #segmentBytes: number;
  #segments: Segment[] = [];
  #active: Segment | undefined;
  #committed = 0;
  #reserved = 0;
  #buffered = 0;
  #waiting: Item[] = [];
  #pending: Item[] = [];
  #io: Promise<void> | undefined;
  #rotate = false;
  #wakers: (() => void)[] = [];
  #version = 0;
  #nextSeq = 1;
  #state: 'new' | 'open' | 'closed' = 'new';
  readonly #counts = { records: 0, commits: 0, refused: 0 };
  readonly #tail = new TailCache(TAIL_BYTES);

  /** Assigns only; {@link open} reads the folder. */
  constructor(options: SpoolOptions) {
    this.#o = options;
    this.#segmentBytes =
      options.segmentBytes ?? Math.min(16 * 1024 * 1024, Math.max(4096, Math.floor(options.maxBytes / 8)));
  }

  /** Creates the folder and takes over the segments an earlier run left (all sealed, to replay). */
  async open(): Promise<{ segments: number; bytes: number }> {
    for (const file of await listSegments(this.#o.dir)) {
      this.#segments.push({ ...file, sealed: true });
      this.#committed += file.bytes;
    }
    this.#nextSeq = (this.#segments.at(-1)?.seq ?? 0) + 1;
    this.#state = 'open';
    return { segments: this.#segments.length, bytes: this.#committed };
  }

  /** Resolves once `record` is in the log (synced when `fsync`); see the bounds in the file comment. */
  append(record: NewSpoolRecord): Promise<void> {
    if (this.#state !== 'open')
      return Promise.reject(new HubError('HUB_ERR_WRITER_CLOSED', 'the spool is closed: the hub is shutting down'));
    const frame = frameRecord(record);
    if (frame.length - FRAME_HEADER_BYTES > MAX_FRAME_BODY_BYTES) {
      // The reader takes a longer length field for damage (frame.ts): written, the record would be
      // acknowledged and then read back as damage. Refused before anything is written instead.
      this.#counts.refused++;
      return Promise.reject(
        new HubError(
          'HUB_ERR_SPOOL_RECORD_TOO_LARGE',
          `spool: a record of ${frame.length} bytes is larger than a spool frame may be (${MAX_FRAME_BODY_BYTES} bytes of body)`,
        ),
      );
    }
    if (this.#buffered > 0 && this.#buffered + frame.length > this.#o.maxBufferedBytes) {
      this.#counts.refused++;
      return Promise.reject(
        new HubError(
          'HUB_ERR_SPOOL_FULL',
          `spool: ${this.#buffered} bytes already wait in memory (spool.maxBufferedBytes ${this.#o.maxBufferedBytes})`,
        ),
      );
    }
    this.#buffered += frame.length;
    return new Promise<void>((resolve, reject) => {
      const item: Item = { frame, resolve, reject };
      if (this.#waiting.length === 0 && this.#fits(frame.length)) return this.#admit(item);
      if (this.#waiting.length === 0)
        this.#o.logger.warn(
          { bytes: this.#committed, maxBytes: this.#o.maxBytes },
          'spool full: holding acknowledgements until the drainer frees room',
        );
      this.#waiting.push(item);
      item.timer = setTimeout(() => this.#expire(item), this.#o.backpressureTimeoutMs);
    });
  }

  /**
   * The committed records of segment `seq` from exactly `offset` on, up to `end` and within
   * `limits`, from memory (tail.ts); undefined when they are not there: read the file.
   */
  tail(seq: number, offset: number, end: number, limits: ChunkLimits): ReadChunk | undefined {
    return this.#tail.take(seq, offset, end, limits);
  }

  /** Segments, oldest first. */
  segments(): SegmentView[] {
    return this.#segments.map(({ seq, path, bytes, sealed }) => ({ seq, path, end: bytes, sealed }));
  }

  /** Counts commits, seals, removals and the close: read it before looking at {@link segments}. */
  get version(): number {
    return this.#version;
  }

  /**
   * Resolves at the next commit, seal, removal or close; at once when there was one since
   * `version` `since` (what the caller looked at may be out of date: no change is missed).
   */
  changed(since?: number): Promise<void> {
    if (since !== undefined && since !== this.#version) return Promise.resolve();
    return new Promise((resolve) => this.#wakers.push(resolve));
  }

  /** Seals the active segment (if it holds anything) so that, once drained, it can be removed. */
  rotate(): void {
    if (!this.#active || this.#state !== 'open') return;
    this.#rotate = true;
    this.#kick();
  }

  /** Removes a sealed segment whose every record is written; frees its room. */
  async remove(seq: number): Promise<void> {
    const i = this.#segments.findIndex((s) => s.seq === seq && s.sealed);
    const segment = this.#segments[i];
    if (!segment) return;
    await unlink(segment.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    this.#segments.splice(i, 1);
    this.#committed -= segment.bytes;
    this.#admitWaiting();
    this.#wake();
  }

  stats(): SpoolStats {
    const waiting = this.#waiting.length;
    return {
      bytes: this.#committed,
      maxBytes: this.#o.maxBytes,
      segments: this.#segments.length,
      bufferedBytes: this.#buffered,
      waiting,
      backpressure: waiting > 0,
      ...this.#counts,
    };
  }

  /**
   * Stops taking records: those waiting for room are refused (not acknowledged: the gateway
   * resends them to the next run), those admitted are committed; then the active segment is sealed.
   */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    const closing = new HubError('HUB_ERR_WRITER_CLOSED', 'the spool is closed: the hub is shutting down');
    for (const item of this.#waiting.splice(0)) this.#refuse(item, closing);
    while (this.#io) await this.#io;
    this.#tail.clear();
    await this.#seal();
    this.#wake();
  }

  #fits(bytes: number): boolean {
    const used = this.#committed + this.#reserved;
    // A new segment's header may come with this record's group: count it.
    return used === 0 || used + bytes + SEGMENT_MAGIC.length <= this.#o.maxBytes;
  }

  #admit(item: Item): void {
    this.#reserved += item.frame.length;
    this.#pending.push(item);
    this.#kick();
  }

  #admitWaiting(): void {
    const had = this.#waiting.length;
    while (this.#waiting[0] && this.#fits(this.#waiting[0].frame.length)) {
      const item = this.#waiting.shift()!;
      clearTimeout(item.timer);
      this.#admit(item);
    }
    if (had > 0 && this.#waiting.length === 0)
      this.#o.logger.info({ bytes: this.#committed }, 'spool has room again: acknowledging');
  }

  #expire(item: Item): void {
    const i = this.#waiting.indexOf(item);
    if (i < 0) return;
    this.#waiting.splice(i, 1);
    const ms = this.#o.backpressureTimeoutMs;
    this.#refuse(
      item,
      new HubError(
        'HUB_ERR_SPOOL_FULL',
        `spool full (spool.maxBytes ${this.#o.maxBytes}) for ${ms} ms: not acknowledged, send again later`,
      ),
    );
    this.#admitWaiting();
  }

  #refuse(item: Item, error: HubError): void {
    clearTimeout(item.timer);
    this.#buffered -= item.frame.length;
    this.#counts.refused++;
    item.reject(error);
  }

  #kick(): void {
    if (this.#io) return;
    this.#io = this.#run().finally(() => {
      this.#io = undefined;
      // Offered after the loop's last look but before this callback: start again.
      if (this.#pending.length > 0 || this.#rotate) this.#kick();
    });
  }

  /** The one writer of the log: group commits and rotations, one at a time. */
  async #run(): Promise<void> {
    while (this.#pending.length > 0 || this.#rotate) {
      if (this.#rotate || (this.#active && this.#active.bytes >= this.#segmentBytes)) {
        this.#rotate = false;
        await this.#seal();
      }
      // One group: as many records as wait, up to the segment's size (at least one record).
      let room = this.#segmentBytes - (this.#active?.bytes ?? SEGMENT_MAGIC.length);
      let take = 0;
      while (take < this.#pending.length && (take === 0 || this.#pending[take]!.frame.length <= room))
        room -= this.#pending[take++]!.frame.length;
      const group = this.#pending.splice(0, take);
      if (group.length === 0) continue;
      const bytes = group.reduce((n, item) => n + item.frame.length, 0);
      try {
        const segment = this.#active ?? (await this.#create());
        await writevAll(
          segment.handle!,
          group.map((item) => item.frame),
        );
        if (this.#o.fsync) await segment.handle!.datasync();
        for (let i = 0, at = segment.bytes; i < group.length; at += group[i]!.frame.length, i++)
          this.#tail.add(segment.seq, at, group[i]!.frame);
        segment.bytes += bytes;
        this.#committed += bytes;
        this.#counts.records += group.length;
        this.#counts.commits++;
        this.#reserved -= bytes;
        this.#buffered -= bytes;
        for (const item of group) item.resolve();
      } catch (e) {
        this.#reserved -= bytes;
        const error = new HubError(
          'HUB_ERR_SPOOL_IO',
          `spool: cannot write ${this.#active?.path ?? this.#o.dir}: ${(e as Error).message}`,
          { cause: e },
        );
        this.#o.logger.error(
          { err: error, records: group.length },
          'spool write failed: those messages are not acknowledged',
        );
        for (const item of group) this.#refuse(item, error);
        this.#tail.clear();
        // Cut what this group may have left half-written, and start the next group in a new file.
        await this.#active?.handle?.truncate(this.#active.bytes).catch(() => undefined);
        await this.#seal();
        this.#admitWaiting();
      }
      this.#wake();
    }
  }

  async #create(): Promise<Segment> {
    const seq = this.#nextSeq++;
    const { path, handle } = await createSegment(this.#o.dir, seq, this.#o.fsync);
    const segment: Segment = { seq, path, bytes: SEGMENT_MAGIC.length, sealed: false, handle };
    this.#committed += SEGMENT_MAGIC.length;
    this.#segments.push(segment);
    this.#active = segment;
    return segment;
  }

  async #seal(): Promise<void> {
    const segment = this.#active;
    if (!segment) return;
    this.#active = undefined;
    segment.sealed = true;
    const handle = segment.handle;
    segment.handle = undefined;
    // Its records were synced by their group commit; a failing close loses nothing.
    await handle?.close().catch(() => undefined);
    this.#wake();
  }

  #wake(): void {
    this.#version++;
    for (const wake of this.#wakers.splice(0)) wake();
  }
}
