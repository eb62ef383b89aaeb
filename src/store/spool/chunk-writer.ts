/**
 * One attempt at writing a chunk of spool records to InfluxDB, sorting each record into written,
 * refused (kept as a dead letter) or to retry. The drainer (drainer.ts) decides when to attempt
 * again.
 *
 * Records are grouped into requests of at most `batchPoints` points (whole records, at least one)
 * and each request body is the records' line-protocol bytes laid end to end, as the ingest path
 * encoded them (record.ts): nothing is parsed or encoded again here. Up to `batchesInFlight`
 * requests go at once (the writer's `maxBatchesInFlight`: drainer.ts `drainerSizing`).
 *
 * InfluxDB refuses a request as a whole (`HUB_ERR_INFLUX_WRITE_REJECTED`, e.g. a field type
 * conflict) and says nothing usable of which lines were at fault; 1.x even stores the request's
 * other points ("partial write"). So a refused request is split in halves and each half written
 * again, recursively: k bad records among n cost about 2·k·log2(n) requests, not n. A record
 * refused alone is at fault: it becomes a `write_rejected` dead letter with InfluxDB's message and
 * its verbatim payload (docs/contract.md §2: never silently dropped), so it neither blocks the
 * spool nor is lost. Writing a point again is harmless: it lands on itself.
 */
import type { DeadLetterStore } from '../../deadletters/store.ts';
import { isHubError, type HubError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { LineWriter } from '../point-writer.ts';
import type { SpoolRecord } from './record.ts';
import { STOPPED, type StopSignal } from './stop-signal.ts';

/** What one attempt left: the records to try again and the last retryable failure. */
export interface Attempt {
  retry: SpoolRecord[];
  failure?: unknown;
}

/** Options of {@link ChunkWriter}. */
export interface ChunkWriterOptions {
  writer: LineWriter;
  /** Most points in one request (whole records; a bigger record goes alone). */
  batchPoints: number;
  /** Most requests in flight at once (halving included: the halves of a request go one by one). */
  batchesInFlight: number;
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
   * Writes every record of `todo` once (a refused request by halves, see the file comment).
   * Returns undefined as soon as `stop` stops (writes in flight go on; their records stay in the
   * spool).
   */
  async attempt(todo: SpoolRecord[], stop: StopSignal): Promise<Attempt | undefined> {
    const retry = new Set<SpoolRecord>();
    const out: { failure?: unknown } = {};
    const batches = this.#batches(todo);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) await this.#settle(batches[next++]!, retry, out, stop);
    };
    const work = Promise.all(Array.from({ length: Math.max(1, this.#o.batchesInFlight) }, worker));
    if ((await stop.race(work)) === STOPPED || stop.stopped) return undefined;
    return { retry: todo.filter((r) => retry.has(r)), failure: out.failure };
  }

  /** Groups `todo`, in order, into requests of at most `batchPoints` points (whole records). */
  #batches(todo: SpoolRecord[]): SpoolRecord[][] {
    const batches: SpoolRecord[][] = [];
    let batch: SpoolRecord[] = [];
    let points = 0;
    for (const r of todo) {
      if (batch.length > 0 && points + r.pointCount > this.#o.batchPoints) {
        batches.push(batch);
        batch = [];
        points = 0;
      }
      batch.push(r);
      points += r.pointCount;
    }
    if (batch.length > 0) batches.push(batch);
    return batches;
  }

  /** Writes `records` as one request; when refused, each half alone, down to single records. */
  async #settle(
    records: SpoolRecord[],
    retry: Set<SpoolRecord>,
    out: { failure?: unknown },
    stop: StopSignal,
  ): Promise<void> {
    if (stop.stopped) return;
    let points = 0;
    for (const r of records) points += r.pointCount;
    const body = records.length === 1 ? records[0]!.lines : Buffer.concat(records.map((r) => r.lines));
    try {
      await this.#o.writer.writeLines(body, points);
      for (const r of records) this.#written(r);
      return;
    } catch (e) {
      if (!isRefusal(e)) {
        for (const r of records) retry.add(r);
        out.failure = e;
        return;
      }
      if (records.length === 1) {
        if (await this.#deadLetter(records[0]!, e)) this.counts.deadLettered++;
        else retry.add(records[0]!);
        return;
      }
    }
    // One after the other: halving must not multiply the requests in flight.
    const mid = records.length >>> 1;
    await this.#settle(records.slice(0, mid), retry, out, stop);
    await this.#settle(records.slice(mid), retry, out, stop);
  }

  #written(record: SpoolRecord): void {
    this.counts.recordsWritten++;
    this.counts.pointsWritten += record.pointCount;
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
      { topic: record.source.topic, gateway: record.source.gateway, points: record.pointCount, detail },
      'spool drainer: InfluxDB refused a record; kept as a write_rejected dead letter',
    );
    return true;
  }
}

/** InfluxDB refused the points themselves: no retry can help (classify.ts). */
function isRefusal(e: unknown): e is HubError {
  return isHubError(e, 'HUB_ERR_INFLUX_WRITE_REJECTED');
}
