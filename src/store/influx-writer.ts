/**
 * The real {@link PointWriter}: batches the points of many callers, bounds memory and requests in
 * flight, retries what may succeed later, and tells each caller when its points are in InfluxDB.
 */
import { HubError } from '../errors.ts';
import { observeDuration, secondsSince } from '../histogram.ts';
import type { Point } from '../point.ts';
import { classifyWriteError } from './classify.ts';
import type { InfluxConnection } from './connection.ts';
import { toLineProtocol } from './line.ts';
import { copyStats, emptyStats, type LineWriter, type PointWriter, type WriterStats } from './point-writer.ts';
import { createLinePoster, type LinePoster } from './post.ts';
import { retryDelayMs, sleep } from './retry.ts';

/** One `write` call: settled once all its lines are acknowledged, or at its first failure. */
interface Ticket {
  remaining: number;
  readonly size: number;
  settled: boolean;
  readonly resolve: () => void;
  readonly reject: (e: HubError) => void;
}

interface Entry {
  readonly line: string;
  readonly ticket: Ticket;
}

/**
 * Does its own batching and retrying, and posts each batch as one body of line protocol
 * (post.ts). Why not the official client's long-lived `WriteApi`: its buffer cannot say which
 * caller's points a flush carried, its retry buffer silently drops the oldest lines when full, and
 * it has no bound on requests in flight. {@link writeLines} is the spool drainer's way in: bytes
 * encoded at ingest, posted as they are, one request per call.
 */
export class InfluxPointWriter implements PointWriter, LineWriter {
  readonly #conn: InfluxConnection;
  #poster: LinePoster | undefined;
  #pending: Entry[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  /** The oldest pending point waited `flushIntervalMs`: send partial batches. */
  #flushDue = false;
  #closed = false;
  #drained: Promise<void> | undefined;
  readonly #stats: WriterStats = emptyStats();

  /** Assigns only; the first `write` starts the work (architecture.md example 9). */
  constructor(conn: InfluxConnection) {
    this.#conn = conn;
  }

  write(points: readonly Point[]): Promise<void> {
    const s = this.#conn.settings;
    if (this.#closed)
      return this.#refuse(points.length, new HubError('HUB_ERR_WRITER_CLOSED', 'the InfluxDB writer is closed'));
    if (points.length === 0) return Promise.resolve();
    let lines: string[];
    try {
      lines = points.map(toLineProtocol);
    } catch (e) {
      return this.#refuse(points.length, e instanceof HubError ? e : classifyWriteError(e));
    }
    if (this.#pending.length + lines.length > s.maxQueuedPoints) {
      // A bounded queue: refuse now instead of growing memory; the caller (the spool) keeps them.
      const never = lines.length > s.maxQueuedPoints;
      const why = never
        ? `${lines.length} points are more than the queue holds`
        : `${this.#pending.length} points are already queued`;
      const full = new HubError(
        'HUB_ERR_WRITER_QUEUE_FULL',
        `InfluxDB writer queue full (${s.maxQueuedPoints} points): ${why}`,
        {
          retryable: !never,
        },
      );
      return this.#refuse(points.length, full);
    }
    return new Promise<void>((resolve, reject) => {
      const ticket: Ticket = { remaining: lines.length, size: lines.length, settled: false, resolve, reject };
      for (const line of lines) this.#pending.push({ line, ticket });
      this.#pump();
    });
  }

  /**
   * Posts `body` (ready line protocol holding `points` lines) as one request, now: the caller
   * bounds how many are in flight (the drainer: chunk-writer.ts). Retries as {@link write} does.
   */
  writeLines(body: Buffer, points: number): Promise<void> {
    if (this.#closed)
      return this.#refuse(points, new HubError('HUB_ERR_WRITER_CLOSED', 'the InfluxDB writer is closed'));
    const done = this.#deliver(body).then(
      () => {
        this.#stats.pointsWritten += points;
        this.#stats.batchesWritten++;
      },
      (e: HubError) => this.#refuse(points, e),
    );
    const tracked: Promise<void> = done
      .catch(() => undefined)
      .finally(() => {
        this.#inFlight.delete(tracked);
      });
    this.#inFlight.add(tracked);
    return done;
  }

  stats(): WriterStats {
    return {
      ...copyStats(this.#stats),
      queuedPoints: this.#pending.length,
      batchesInFlight: this.#inFlight.size,
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#drained ??= this.#drain();
    return this.#drained;
  }

  async #drain(): Promise<void> {
    this.#clearTimer();
    // #closed makes #pump send partial batches; wait until nothing is queued or in flight.
    for (;;) {
      this.#pump();
      if (this.#inFlight.size === 0) {
        this.#poster?.destroy();
        return;
      }
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Starts as many batches as are ready and allowed in flight; arms the flush timer. */
  #pump(): void {
    const s = this.#conn.settings;
    while (this.#inFlight.size < s.maxBatchesInFlight && this.#pending.length > 0) {
      if (this.#pending.length < s.batchSize && !this.#flushDue && !this.#closed) break;
      const batch = this.#pending.splice(0, s.batchSize).filter((e) => !e.ticket.settled);
      if (batch.length === 0) continue;
      const sending: Promise<void> = this.#send(batch)
        .catch((e: unknown) =>
          this.#failed(batch, new HubError('HUB_ERR_INTERNAL', `writer: ${String(e)}`, { cause: e })),
        )
        .finally(() => {
          this.#inFlight.delete(sending);
          this.#pump();
        });
      this.#inFlight.add(sending);
    }
    if (this.#pending.length === 0) {
      this.#flushDue = false;
      this.#clearTimer();
    } else if (this.#timer === undefined && !this.#flushDue && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushDue = true;
        this.#pump();
      }, s.flushIntervalMs);
    }
  }

  /** Sends one batch, retrying retryable failures with backoff; never rejects. */
  async #send(batch: Entry[]): Promise<void> {
    let text = '';
    for (const e of batch) text += `${e.line}\n`;
    try {
      await this.#deliver(Buffer.from(text, 'utf8'));
      this.#acknowledged(batch);
    } catch (e) {
      this.#failed(batch, e as HubError);
    }
  }

  /** Posts one body, retrying retryable failures with backoff; rejects with a HubError. */
  async #deliver(body: Buffer): Promise<void> {
    const s = this.#conn.settings;
    for (let attempt = 1; ; attempt++) {
      let error: HubError;
      try {
        await this.#post(body);
        return;
      } catch (e) {
        error = classifyWriteError(e);
      }
      // A 1.x "partial write" 400 (e.g. a field type conflict) stored the batch's other points;
      // sending it again cannot help, so it is rejected as a whole with InfluxDB's message.
      if (!error.retryable || attempt > s.maxRetries) throw error;
      this.#stats.retries++;
      await sleep(retryDelayMs(s, attempt, error));
    }
  }

  /** One HTTP write request; its duration, acknowledged or failed, goes to `writeDuration`. */
  async #post(body: Buffer): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      this.#poster ??= createLinePoster(this.#conn);
      await this.#poster.post(body);
    } finally {
      observeDuration(this.#stats.writeDuration, secondsSince(started));
    }
  }

  #acknowledged(batch: Entry[]): void {
    this.#stats.pointsWritten += batch.length;
    this.#stats.batchesWritten++;
    for (const { ticket } of batch) {
      ticket.remaining--;
      if (ticket.remaining === 0 && !ticket.settled) {
        ticket.settled = true;
        ticket.resolve();
      }
    }
  }

  #failed(batch: Entry[], error: HubError): void {
    for (const { ticket } of batch) {
      if (ticket.settled) continue;
      ticket.settled = true;
      this.#count(ticket.size, error);
      ticket.reject(error);
    }
  }

  #refuse(points: number, error: HubError): Promise<void> {
    this.#count(points, error);
    return Promise.reject(error);
  }

  #count(points: number, error: HubError): void {
    this.#stats.pointsFailed += points;
    this.#stats.failures[error.code] = (this.#stats.failures[error.code] ?? 0) + 1;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
