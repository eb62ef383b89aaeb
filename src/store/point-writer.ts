/**
 * The writer as later stages see it (architecture.md example 8: an interface file, its
 * implementations, one contract suite for all: test/store/point-writer.contract.ts).
 */
import type { ErrorCode } from '../errors.ts';
import { copyHistogram, emptyHistogram, type DurationHistogram } from '../histogram.ts';
import type { Point } from '../point.ts';

/** Counters for metrics (docs/contract.md §6, `/metrics`). All only ever grow, except the gauges. */
export interface WriterStats {
  /** Points InfluxDB acknowledged. */
  pointsWritten: number;
  /** Write requests InfluxDB acknowledged. */
  batchesWritten: number;
  /** Attempts repeated after a retryable failure. */
  retries: number;
  /** Points of rejected `write` calls. */
  pointsFailed: number;
  /** Rejected `write` calls, by error code. */
  failures: Partial<Record<ErrorCode, number>>;
  /** Gauge: points accepted and not yet sent. */
  queuedPoints: number;
  /** Gauge: write requests outstanding (retries included). */
  batchesInFlight: number;
  /**
   * Durations (seconds) of the write requests sent, acknowledged or failed, each attempt one
   * observation (`/metrics`: `hub_influx_write_duration_seconds`). A writer that sends
   * no requests (MemoryPointWriter) keeps it empty.
   */
  writeDuration: DurationHistogram;
}

/** Stores points durably. */
export interface PointWriter {
  /**
   * Resolves once every one of `points` is stored (for InfluxDB: acknowledged with 204), which is
   * what lets the broker send a PUBACK (docs/contract.md §2). Points of many callers share batches.
   * Rejects with a HubError, and then none of the points should be taken as stored (some may be:
   * writing them again is harmless, a point with the same series and time is overwritten):
   * - `HUB_ERR_INFLUX_UNREACHABLE` (retryable) after the retries are spent;
   * - `HUB_ERR_WRITER_QUEUE_FULL` (retryable), at once, when the queue bound would be exceeded;
   * - `HUB_ERR_WRITER_CLOSED` (retryable) once `close` was called;
   * - `HUB_ERR_INFLUX_WRITE_REJECTED` (not retryable) for points InfluxDB refuses, with its message;
   * - `HUB_ERR_INFLUX_AUTH` (not retryable) when InfluxDB refuses the credentials.
   */
  write(points: readonly Point[]): Promise<void>;
  /** A snapshot of the counters. */
  stats(): WriterStats;
  /** Stops taking writes, sends what is queued and waits for every outstanding write. Idempotent. */
  close(): Promise<void>;
}

/**
 * Writes ready line protocol (line.ts): the spool drainer's writer, which hands over the bytes the
 * ingest path encoded, never points (docs/operations.md, "Spool record layout").
 */
export interface LineWriter {
  /**
   * One request of `body`, `points` lines each ending in `\n`; resolves once stored. Rejects with a
   * HubError as {@link PointWriter.write} does; a refusal of the body as a whole
   * (`HUB_ERR_INFLUX_WRITE_REJECTED`) says nothing of which lines were at fault.
   */
  writeLines(body: Buffer, points: number): Promise<void>;
  /** A snapshot of the counters. */
  stats(): WriterStats;
  /** Stops taking writes and waits for every outstanding one. Idempotent. */
  close(): Promise<void>;
}

/** Counters at zero. */
export function emptyStats(): WriterStats {
  return {
    pointsWritten: 0,
    batchesWritten: 0,
    retries: 0,
    pointsFailed: 0,
    failures: {},
    queuedPoints: 0,
    batchesInFlight: 0,
    writeDuration: emptyHistogram(),
  };
}

/** A snapshot of `s` that later counting does not change (its records and histogram copied). */
export function copyStats(s: WriterStats): WriterStats {
  return { ...s, failures: { ...s.failures }, writeDuration: copyHistogram(s.writeDuration) };
}
