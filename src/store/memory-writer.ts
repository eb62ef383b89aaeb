/**
 * An in-memory {@link PointWriter} for unit tests of later stages. It keeps InfluxDB's rules that
 * callers can observe: one point per series and time (a rewrite overwrites), field types fixed per
 * measurement (a conflict is a rejected partial write), the queue bound, and the error codes.
 * test/store/point-writer.contract.ts runs the same suite against it and the real writer.
 */
import { HubError } from '../errors.ts';
import type { FieldValue, Point } from '../point.ts';
import { toLineProtocol } from './line.ts';
import { parseLines } from './line-parse.ts';
import { copyStats, emptyStats, type LineWriter, type PointWriter, type WriterStats } from './point-writer.ts';
import { DEFAULT_INFLUX_SETTINGS } from './settings.ts';

/** Options of {@link MemoryPointWriter}. */
export interface MemoryWriterOptions {
  /** As `InfluxSettings.maxQueuedPoints`; the queue only fills while paused. */
  maxQueuedPoints?: number;
}

interface Queued {
  readonly points: Point[];
  readonly resolve: () => void;
  readonly reject: (e: HubError) => void;
}

const typeOf = (v: FieldValue): string => (typeof v === 'number' ? 'float' : typeof v);

/** Stores points in memory; `pause`, `resume` and `failWith` stage slow or failing backends. */
export class MemoryPointWriter implements PointWriter, LineWriter {
  readonly #maxQueued: number;
  readonly #series = new Map<string, Point>();
  readonly #fieldTypes = new Map<string, string>();
  #queue: Queued[] = [];
  #queuedPoints = 0;
  #paused = false;
  #failure: HubError | undefined;
  #closed = false;
  #scheduled = false;
  readonly #stats: WriterStats = emptyStats();

  constructor(options: MemoryWriterOptions = {}) {
    this.#maxQueued = options.maxQueuedPoints ?? DEFAULT_INFLUX_SETTINGS.maxQueuedPoints;
  }

  /** Stored points (copies), by time, then in order of first write. */
  get points(): Point[] {
    return [...this.#series.values()]
      .map((p) => structuredClone(p))
      .sort((a, b) => (BigInt(a.time) < BigInt(b.time) ? -1 : BigInt(a.time) > BigInt(b.time) ? 1 : 0));
  }

  /** Holds writes in the queue (as a slow InfluxDB would) until {@link resume}. */
  pause(): void {
    this.#paused = true;
  }

  /** Lets held writes through. */
  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  /** Every write from now on fails with `error` (e.g. `HUB_ERR_INFLUX_UNREACHABLE`); none to heal. */
  failWith(error: HubError | undefined): void {
    this.#failure = error;
  }

  write(points: readonly Point[]): Promise<void> {
    if (this.#closed)
      return this.#refuse(points.length, new HubError('HUB_ERR_WRITER_CLOSED', 'the memory writer is closed'));
    if (points.length === 0) return Promise.resolve();
    try {
      points.forEach(toLineProtocol); // the same refusals as the real writer
    } catch (e) {
      return this.#refuse(points.length, e as HubError);
    }
    if (this.#queuedPoints + points.length > this.#maxQueued) {
      const full = new HubError('HUB_ERR_WRITER_QUEUE_FULL', `memory writer queue full (${this.#maxQueued} points)`, {
        retryable: points.length <= this.#maxQueued,
      });
      return this.#refuse(points.length, full);
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ points: points.map((p) => structuredClone(p)), resolve, reject });
      this.#queuedPoints += points.length;
      this.#schedule();
    });
  }

  /** Reads the lines back (line-parse.ts) and writes them as {@link write} does: one batch. */
  writeLines(body: Buffer, points: number): Promise<void> {
    let parsed: Point[];
    try {
      parsed = parseLines(body);
    } catch (e) {
      return this.#refuse(points, e as HubError);
    }
    return this.write(parsed);
  }

  stats(): WriterStats {
    return { ...copyStats(this.#stats), queuedPoints: this.#queuedPoints, batchesInFlight: 0 };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#flush(true);
    await Promise.resolve();
  }

  // Writes of one tick are stored together, as one batch would be.
  #schedule(): void {
    if (this.#scheduled || this.#paused) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush(false);
    });
  }

  #flush(closing: boolean): void {
    if (this.#paused && !closing) return;
    const queue = this.#queue;
    this.#queue = [];
    this.#queuedPoints = 0;
    for (const item of queue) {
      const error = this.#failure ?? this.#store(item.points);
      if (error) {
        this.#count(item.points.length, error);
        item.reject(error);
      } else {
        this.#stats.pointsWritten += item.points.length;
        this.#stats.batchesWritten++;
        item.resolve();
      }
    }
  }

  /** Stores what InfluxDB 1.x would; returns its "partial write" refusal for a type conflict. */
  #store(points: Point[]): HubError | undefined {
    const conflicts: string[] = [];
    for (const p of points) {
      const clash = Object.entries(p.fields).find(([k, v]) => {
        const known = this.#fieldTypes.get(`${p.measurement}\0${k}`);
        return known !== undefined && known !== typeOf(v);
      });
      if (clash) {
        const [k, v] = clash;
        const known = this.#fieldTypes.get(`${p.measurement}\0${k}`) ?? '';
        conflicts.push(
          `input field "${k}" on measurement "${p.measurement}" is type ${typeOf(v)}, already exists as type ${known}`,
        );
        continue;
      }
      for (const [k, v] of Object.entries(p.fields)) this.#fieldTypes.set(`${p.measurement}\0${k}`, typeOf(v));
      const tags = Object.entries(p.tags)
        .filter(([, v]) => v !== '')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const key = JSON.stringify([p.measurement, tags, p.time]);
      const old = this.#series.get(key);
      this.#series.set(key, { ...p, tags: Object.fromEntries(tags), fields: { ...old?.fields, ...p.fields } });
    }
    if (conflicts.length === 0) return undefined;
    const message = `partial write: field type conflict: ${conflicts[0]} dropped=${conflicts.length}`;
    return new HubError('HUB_ERR_INFLUX_WRITE_REJECTED', `write: InfluxDB refused it (400): ${message}`, {
      retryable: false,
    });
  }

  #refuse(points: number, error: HubError): Promise<void> {
    this.#count(points, error);
    return Promise.reject(error);
  }

  #count(points: number, error: HubError): void {
    this.#stats.pointsFailed += points;
    this.#stats.failures[error.code] = (this.#stats.failures[error.code] ?? 0) + 1;
  }
}
