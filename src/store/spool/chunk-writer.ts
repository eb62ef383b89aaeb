/**
 * One attempt at writing a chunk of spool records to InfluxDB, record by record, sorting each
 * into written, refused (kept as a dead letter) or to retry. The drainer (drainer.ts) decides
 * when to attempt again.
 *
 * The writer batches the points of many `write` calls into one request and refuses a request as a
 * whole; InfluxDB 1.x even stores the request's other points ("partial write"). So a record whose
 * request was refused (`HUB_ERR_INFLUX_WRITE_REJECTED`, e.g. a field type conflict) is written
 * again alone: only a record refused alone is at fault, and it becomes a `write_rejected` dead
 * letter with InfluxDB's message (docs/contract.md §2: never silently dropped), so it neither
 * blocks the spool nor is lost. Writing a point again is harmless: it lands on itself.
 */
import type { DeadLetterStore } from '../../deadletters/store.ts';
import { isHubError, type HubError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { PointWriter } from '../point-writer.ts';
import type { SpoolRecord } from './record.ts';

/** What one attempt left: the records to try again and the last retryable failure. */
export interface Attempt {
  retry: SpoolRecord[];
  failure?: unknown;
}

/** Options of {@link ChunkWriter}. */
export interface ChunkWriterOptions {
  writer: PointWriter;
  /** Most points in one `write` call (the writer's batch size). */
  batchPoints: number;
  deadLetters: Pick<DeadLetterStore, 'add'>;
  logger: Logger;
}

/** Writes chunks of records; counts what it wrote and what it dead-lettered. */
export class ChunkWriter {
  readonly counts = { recordsWritten: 0, pointsWritten: 0, deadLettered: 0 };

  readonly #o: ChunkWriterOptions;

  constructor(o: ChunkWriterOptions) {
    this.#o = o;
  }

  /**
   * Writes every record of `todo` once. Returns undefined as soon as `cancelled` settles or
   * `stopping()` says so (writes in flight go on; their records stay in the spool).
   */
  async attempt(
    todo: SpoolRecord[],
    cancelled: Promise<unknown>,
    stopping: () => boolean,
  ): Promise<Attempt | undefined> {
    const settled = await Promise.race([
      Promise.allSettled(todo.map((r) => this.#write(r))),
      cancelled.then(() => undefined),
    ]);
    if (settled === undefined) return undefined;
    const retry: SpoolRecord[] = [];
    let failure: unknown;
    const refused: SpoolRecord[] = [];
    settled.forEach((s, i) => {
      const record = todo[i]!;
      if (s.status === 'fulfilled') this.#written(record);
      else if (isRefusal(s.reason)) refused.push(record);
      else {
        retry.push(record);
        failure = s.reason;
      }
    });
    for (const record of refused) {
      if (stopping()) return undefined;
      // Alone in its attempt, it was alone in its request; else write it alone to know.
      const alone = todo.length === 1 ? settled[0]! : (await Promise.allSettled([this.#write(record)]))[0]!;
      if (alone.status === 'fulfilled') this.#written(record);
      else if (isRefusal(alone.reason) && (await this.#deadLetter(record, alone.reason))) this.counts.deadLettered++;
      else {
        retry.push(record);
        failure = alone.reason;
      }
    }
    return { retry, failure };
  }

  /** One record's points, in writes of at most `batchPoints`. */
  async #write(record: SpoolRecord): Promise<void> {
    const { points } = record;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < points.length; i += this.#o.batchPoints)
      writes.push(this.#o.writer.write(points.slice(i, i + this.#o.batchPoints)));
    await Promise.all(writes);
  }

  #written(record: SpoolRecord): void {
    this.counts.recordsWritten++;
    this.counts.pointsWritten += record.points.length;
  }

  /** Keeps a refused record as a dead letter; false when that fails (the record is retried). */
  async #deadLetter(record: SpoolRecord, error: HubError): Promise<boolean> {
    const detail = `${error.code}: ${error.message}`;
    try {
      await this.#o.deadLetters.add({ ...record.source, rejects: [{ reason: 'write_rejected', detail }] });
    } catch (e) {
      this.#o.logger.error({ err: e }, 'spool drainer: cannot keep a refused record as a dead letter; retrying');
      return false;
    }
    this.#o.logger.warn(
      { topic: record.source.topic, gateway: record.source.gateway, points: record.points.length, detail },
      'spool drainer: InfluxDB refused a record; kept as a write_rejected dead letter',
    );
    return true;
  }
}

/** InfluxDB refused the points themselves: no retry can help (classify.ts). */
function isRefusal(e: unknown): e is HubError {
  return isHubError(e, 'HUB_ERR_INFLUX_WRITE_REJECTED');
}
