/**
 * Empties the spool into InfluxDB: oldest segment first, a bounded chunk of records at a time,
 * through a `LineWriter` (point-writer.ts, posting the line protocol the ingest path encoded); a
 * segment is removed only once every record in it is written (or kept as a dead letter:
 * chunk-writer.ts).
 * Chunks go in order; within one chunk up to `maxBatchesInFlight` requests run at once (InfluxDB
 * keys points by series and time, so only two different values for one key could notice, and the
 * hub's point keys make those distinct).
 *
 * A retryable failure (InfluxDB down, slow, 5xx, refusing credentials) keeps the chunk and tries
 * it again after a backoff, forever: nothing acknowledged is ever given up. `stop()` ends the loop
 * at once, even mid-write: the records stay in the spool for the next start.
 */
import { HubError } from '../../errors.ts';
import { retryDelayMs } from '../retry.ts';
import { ChunkWriter, type Attempt } from './chunk-writer.ts';
import { SEGMENT_MAGIC } from './frame.ts';
import { SegmentReader, type Damage } from './reader.ts';
import type { SpoolRecord } from './record.ts';
import type { SegmentView } from './spool.ts';
import { STOPPED, StopSignal } from './stop-signal.ts';
import type { DrainerOptions } from './drainer-options.ts';

export { drainerSizing, type DrainerOptions } from './drainer-options.ts';

/** Drainer gauges and counters. */
export interface DrainerStats {
  state: 'idle' | 'draining' | 'retrying' | 'stopped';
  recordsWritten: number;
  pointsWritten: number;
  /** Records InfluxDB refused, kept as `write_rejected` dead letters. */
  deadLettered: number;
  /** Attempts repeated after a retryable failure. */
  retries: number;
  /** Torn or damaged stretches of the log that were skipped (each logged and quarantined). */
  damaged: number;
  /** Stretches copied to the quarantine folder since start (quarantine.ts), and their bytes. */
  quarantined: number;
  quarantinedBytes: number;
  /** Age of the oldest record not yet written (ms), null when none is known to wait. */
  oldestRecordAgeMs: number | null;
  /** Bytes of the spool not yet written (approximate: includes segment headers). */
  lagBytes: number;
  lastError?: string;
}

/**
 * A place in the spool: the end of what was committed when it was taken. Positions only grow
 * (segment sequences are never reused), so a later position is never behind an earlier one.
 */
export interface SpoolPosition {
  readonly seq: number;
  readonly end: number;
}

/** Seal a fully written active segment once it holds this much, so a restart replays little. */
const ROTATE_IDLE_BYTES = 1024 * 1024;
/** Seal a fully written active segment once the drainer has been in it this long (ms). */
const SEAL_AFTER_MS = 2_000;
/** Most bytes of records read at once. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/** Where the drainer reads: a segment and the offset of its next unwritten record. */
interface Cursor {
  seq: number;
  offset: number;
  reader: SegmentReader;
  /** When the drainer entered the segment (`performance.now()`: a clock that never jumps). */
  enteredAt: number;
}

/** See the file comment. Constructing does nothing; `start()` runs it, `stop()` ends it. */
export class Drainer {
  readonly #o: DrainerOptions;
  readonly #now: () => number;
  #cursor: Cursor | undefined;
  #loop: Promise<void> | undefined;
  /** Raced by every wait of the loop (stop-signal.ts: a promise raced over and over kept what each race held). */
  readonly #stop = new StopSignal();
  #prepared = false;
  #oldestAt: number | undefined;
  #drainWaiters: { seq: number; end: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #stats: Pick<DrainerStats, 'state' | 'retries' | 'damaged' | 'lastError'> = { state: 'idle', retries: 0, damaged: 0 };
  readonly #chunks: ChunkWriter;

  constructor(options: DrainerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#chunks = new ChunkWriter({
      ...options,
      batchesInFlight: options.batchesInFlight ?? Math.ceil(options.chunkPoints / options.batchPoints),
    });
  }

  start(): void {
    this.#loop ??= this.#run().catch((e: unknown) => {
      // A bug, not an outage (those are retried): say so loudly; the spool keeps the records.
      this.#o.logger.fatal(
        { err: e },
        'spool drainer stopped by an unexpected error; records stay in the spool until restart',
      );
      this.#stats.state = 'stopped';
    });
  }

  /**
   * Resolves once every record committed to the spool before this call is written to InfluxDB (or
   * kept as a dead letter). A PUBACK means "in the spool"; tests and tools that read InfluxDB right
   * after publishing wait for this. Never resolves while InfluxDB is away: bound the wait.
   * Rejects when the drainer stops first.
   */
  drained(): Promise<void> {
    const last = this.#o.spool.segments().at(-1);
    if (!last) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push({ seq: last.seq, end: last.end, resolve, reject });
      this.#settleDrained();
    });
  }

  /**
   * Where the spool's committed records end now: every record committed before this call lies
   * before it. Pair with {@link written} to wait for one record without waiting for an idle drainer
   * (which, under steady load, never comes). Null when the spool holds nothing.
   */
  position(): SpoolPosition | null {
    const last = this.#o.spool.segments().at(-1);
    return last ? { seq: last.seq, end: last.end } : null;
  }

  /** True once every record before `p` is written to InfluxDB (or kept as a dead letter). */
  written(p: SpoolPosition | null): boolean {
    if (!p) return true;
    const oldest = this.#o.spool.segments()[0];
    const cursor = this.#cursor;
    // The drainer leaves a segment only by removing it, so a removed one is behind the cursor.
    return !oldest || oldest.seq > p.seq || (cursor?.seq === p.seq && cursor.offset >= p.end);
  }

  /** Ends the loop at once, without waiting for writes in flight (their records stay spooled). */
  async stop(): Promise<void> {
    this.#stop.stop();
    for (const w of this.#drainWaiters.splice(0))
      w.reject(new HubError('HUB_ERR_WRITER_CLOSED', 'the spool drainer stopped before it got there'));
    await this.#loop;
    await this.#cursor?.reader.close();
    this.#cursor = undefined;
    this.#stats.state = 'stopped';
  }

  stats(): DrainerStats {
    const at = this.#oldestAt;
    return {
      ...this.#stats,
      ...this.#chunks.counts,
      ...this.#o.quarantine.counts,
      oldestRecordAgeMs: at === undefined ? null : Math.max(0, this.#now() - at),
      lagBytes: Math.max(0, this.#o.spool.stats().bytes - (this.#cursor?.offset ?? 0)),
    };
  }

  async #run(): Promise<void> {
    for (let failures = 0; !this.#stop.stopped;) {
      try {
        if ((await this.#step()) === STOPPED) return;
        failures = 0;
      } catch (e) {
        // The disk, not InfluxDB (a segment that cannot be read or removed): log, wait, and read
        // the segment again from its start; rewriting points is harmless.
        failures++;
        this.#o.logger.error({ err: e, attempt: failures }, 'spool drainer: cannot read or remove a segment; retrying');
        await this.#cursor?.reader.close().catch(() => undefined);
        this.#cursor = undefined;
        if ((await this.#sleep(retryDelayMs(this.#o.retry, failures))) === STOPPED) return;
      }
    }
  }

  /** One move: wait for records, write a chunk of them, or remove a segment that is done. */
  async #step(): Promise<typeof STOPPED | void> {
    const { spool } = this.#o;
    // `segment` is what the spool held at `seen`; it may be out of date after an await (entering
    // a segment takes file I/O, during which its first group may commit): idling waits only for
    // changes after `seen`, so one made meanwhile sends the drainer round again instead of being
    // missed, which would leave acknowledged records unwritten until the next message arrives.
    const seen = spool.version;
    const segment = spool.segments()[0];
    if (!segment) return this.#idle(seen);
    const cursor = this.#cursor?.seq === segment.seq ? this.#cursor : await this.#enter(segment);
    if (cursor.offset >= segment.end) {
      if (!segment.sealed) {
        // Caught up with the segment being appended to: everything is written.
        const held = segment.end - SEGMENT_MAGIC.length;
        if (held === 0) return this.#idle(seen);
        // Sealed once big, under backpressure, or a while after the drainer entered it: then it
        // is removed, with the raw payloads its records keep for a write rejection
        // (docs/contract.md §3, personal data), so they stay on disk seconds, not until 1 MiB.
        const left = (this.#o.sealAfterMs ?? SEAL_AFTER_MS) - (performance.now() - cursor.enteredAt);
        const seal =
          held >= ROTATE_IDLE_BYTES || spool.stats().backpressure || left <= 0 || (await this.#quietFor(seen, left));
        if (!seal) return; // something changed meanwhile: look again
        spool.rotate();
        return this.#idle(seen);
      }
      // Removed before the cursor is let go: written() reads a segment still listed as behind a
      // cursor in it, so the records of a drained segment never look unwritten while it goes.
      await spool.remove(segment.seq);
      await cursor.reader.close();
      this.#cursor = undefined;
      this.#settleDrained();
      return;
    }
    const limits = { points: this.#o.chunkPoints, bytes: CHUNK_BYTES };
    // From memory while the drainer keeps up with the appends (tail.ts), else from the file.
    const chunk =
      spool.tail(segment.seq, cursor.offset, segment.end, limits) ??
      (await cursor.reader.read(cursor.offset, segment.end, limits));
    // Kept before anything after them is written, so before the segment can be removed.
    for (const d of chunk.damage) await this.#damaged(segment, d);
    if (chunk.records.length > 0) {
      this.#oldestAt = chunk.records[0]!.record.at;
      this.#stats.state = 'draining';
      if (!(await this.#write(chunk.records.map((r) => r.record)))) return STOPPED;
    }
    cursor.offset = chunk.next;
    this.#settleDrained();
  }

  /** Resolves after `ms`, or at once with STOPPED when the drainer stops. */
  async #sleep(ms: number): Promise<typeof STOPPED | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const slept = await this.#stop.race(
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    );
    clearTimeout(timer);
    return slept;
  }

  /** Prepares if needed (after a failure), then one attempt at `todo`; undefined when stopped. */
  async #attempt(todo: SpoolRecord[]): Promise<Attempt | undefined> {
    if (!this.#prepared && this.#o.prepare) {
      // Raced with stop: a hung InfluxDB must not hold up a shutdown here either.
      const prepared = this.#o.prepare().then(
        () => ({ ok: true as const }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      const outcome = await this.#stop.race(prepared);
      if (outcome === STOPPED) return undefined;
      if (!outcome.ok) return { retry: todo, failure: outcome.e };
    }
    this.#prepared = true;
    return this.#chunks.attempt(todo, this.#stop);
  }

  /** Resolves the {@link drained} calls whose records are all behind the cursor now. */
  #settleDrained(): void {
    this.#drainWaiters = this.#drainWaiters.filter((w) => {
      const passed = this.written(w);
      if (passed) w.resolve();
      return !passed;
    });
  }

  async #enter(segment: SegmentView): Promise<Cursor> {
    await this.#cursor?.reader.close();
    const reader = new SegmentReader(segment.path);
    const opened = await reader.open(segment.end);
    if (opened.damage)
      await this.#damaged(segment, opened.damage).catch(async (e: unknown) => {
        await reader.close();
        throw e;
      });
    this.#cursor = {
      seq: segment.seq,
      offset: 'start' in opened ? opened.start : segment.end,
      reader,
      enteredAt: performance.now(),
    };
    return this.#cursor;
  }

  /** Waits for a change of the spool after its version `seen` (at once if there was one). */
  async #idle(seen: number): Promise<void> {
    this.#stats.state = 'idle';
    this.#oldestAt = undefined;
    await this.#stop.race(this.#o.spool.changed(seen));
  }

  /** Idles until a change after `seen` or the stop; true when `ms` pass without either. */
  async #quietFor(seen: number, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    });
    try {
      return (await Promise.race([this.#idle(seen).then(() => false), quiet])) === true;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Quarantines a damaged stretch, then logs it. A failure throws: the run loop retries from the
   * segment's start and the segment stays until its damage is kept (quarantine.ts).
   */
  async #damaged(segment: SegmentView, d: Damage): Promise<void> {
    const kept = await this.#o.quarantine.keep(segment.path, d);
    this.#stats.damaged++;
    const fields = { file: segment.path, offset: d.offset, bytes: d.bytes, detail: d.detail, quarantine: kept?.file };
    if (d.torn)
      this.#o.logger.warn(
        fields,
        'spool: torn record at the end of a segment (a crash mid-write) skipped and quarantined; every whole record before it is replayed',
      );
    else
      this.#o.logger.error(
        fields,
        'spool: damaged stretch of a segment skipped and quarantined; the whole records before and after it are replayed',
      );
  }

  /** Writes `records` until each is written or dead-lettered; false when stopped first. */
  async #write(records: SpoolRecord[]): Promise<boolean> {
    let todo = records;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(todo);
      if (outcome === undefined) return false;
      if (outcome.retry.length === 0) {
        if (attempt > 1) this.#o.logger.info({ attempts: attempt }, 'spool drainer: InfluxDB takes writes again');
        delete this.#stats.lastError;
        return true;
      }
      todo = outcome.retry;
      const failure = outcome.failure;
      this.#stats.retries++;
      this.#stats.state = 'retrying';
      this.#stats.lastError = failure instanceof Error ? failure.message : String(failure);
      this.#prepared = false; // e.g. the database was dropped, or InfluxDB came back empty
      if (attempt === 1 || attempt % 10 === 0) {
        this.#o.logger.warn(
          { err: failure, attempt, records: todo.length },
          'spool drainer: InfluxDB write failed; the points stay in the spool and are retried',
        );
      }
      if ((await this.#sleep(retryDelayMs(this.#o.retry, attempt, failure))) === STOPPED) return false;
    }
  }
}
