/**
 * The one contract every PointWriter keeps, run against the real writer (on a real InfluxDB) and
 * the in-memory fake (MQTT.js's abstract_client style; architecture.md example 8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HubError, isHubError } from '../../src/errors.ts';
import type { Point } from '../../src/point.ts';
import type { InfluxSettings, PointWriter } from '../../src/store/index.ts';

/** Writer tuning a contract case may ask for. */
export type Tuning = Partial<
  Pick<InfluxSettings, 'batchSize' | 'flushIntervalMs' | 'maxBatchesInFlight' | 'maxQueuedPoints'>
>;

/** How the suite reaches one implementation. */
export interface WriterHarness {
  /** A writer on a healthy backend. */
  create(tuning?: Tuning): PointWriter | Promise<PointWriter>;
  /** A writer whose backend takes no writes for now (a stalled or unreachable InfluxDB). */
  createStalled(tuning: Tuning): PointWriter | Promise<PointWriter>;
  /** The points stored in `measurement` by writers from `create`, sorted by time then tags. */
  readBack(measurement: string): Promise<Point[]>;
}

const BASE_NS = 1_764_201_600_000_000_000n; // 2025-11-27T00:00:00Z

/** A point of the contract's shape (docs/contract.md §4: bin_level). */
export function binLevel(measurement: string, i: number, extra: Partial<Point> = {}): Point {
  return {
    measurement,
    tags: { site: 'maple-court', gateway: 'gw-east', device: `bin-${i % 3}`, building: 'none', category: 'kitchen' },
    fields: { fill_pct: i + 0.5, weight_kg: 12.3 * i, seq: i },
    time: (BASE_NS + BigInt(i) * 1_000_000_000n).toString(),
    ...extra,
  };
}

function byTime(points: Point[]): Point[] {
  return [...points].sort((a, b) => {
    const d = BigInt(a.time) - BigInt(b.time);
    return d < 0n ? -1 : d > 0n ? 1 : JSON.stringify(a.tags) < JSON.stringify(b.tags) ? -1 : 1;
  });
}

async function rejection(p: Promise<unknown>): Promise<HubError> {
  const outcome = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!isHubError(outcome)) throw outcome;
  return outcome;
}

let seq = 0;
const fresh = (what: string): string => `c_${what}_${++seq}`;

/** Registers the contract cases for `name`. */
export function describeWriterContract(name: string, harness: WriterHarness): void {
  describe(`PointWriter contract: ${name}`, () => {
    const open: PointWriter[] = [];
    const make = async (tuning?: Tuning): Promise<PointWriter> => {
      const w = await harness.create(tuning);
      open.push(w);
      return w;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((w) => w.close()));
    });

    it('stores N points that read back as N points with the values sent', async () => {
      const m = fresh('values');
      const points = Array.from({ length: 25 }, (_, i) => binLevel(m, i));
      points.push({
        measurement: m,
        tags: { site: 'maple-court', name: '枫林苑 east, "b1"=x' },
        fields: { door_open: true, tamper: false, reason: 'say "hi" \\ back', fill_pct: -1.25, seq: 99 },
        time: (BASE_NS - 1n).toString(),
      });
      const writer = await make();
      await writer.write(points);
      expect(await harness.readBack(m)).toEqual(byTime(points));
      expect(writer.stats().pointsWritten).toBe(points.length);
    });

    it('keeps two points 1 ns apart and overwrites a point written again (same series and time)', async () => {
      const m = fresh('keys');
      const a = binLevel(m, 1);
      const b = { ...binLevel(m, 1), time: (BigInt(a.time) + 1n).toString() };
      const writer = await make();
      await writer.write([a, b]);
      await writer.write([{ ...a, fields: { ...a.fields, fill_pct: 80 } }]);
      expect(await harness.readBack(m)).toEqual([{ ...a, fields: { ...a.fields, fill_pct: 80 } }, b]);
    });

    it('resolves every caller once its points are stored, across shared batches', async () => {
      const m = fresh('callers');
      const writer = await make({ batchSize: 7, maxBatchesInFlight: 2, flushIntervalMs: 5 });
      const calls = Array.from({ length: 20 }, (_, c) =>
        writer.write(Array.from({ length: 5 }, (_, i) => binLevel(m, c * 5 + i))),
      );
      await Promise.all(calls);
      const stored = await harness.readBack(m);
      expect(stored.map((p) => p.fields['seq'])).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(writer.stats()).toMatchObject({ pointsWritten: 100, queuedPoints: 0, batchesInFlight: 0 });
    });

    it('resolves an empty write at once', async () => {
      const writer = await make();
      await expect(writer.write([])).resolves.toBeUndefined();
    });

    it('rejects a point InfluxDB would refuse, not retryable, and keeps working', async () => {
      const m = fresh('invalid');
      const writer = await make();
      for (const bad of [
        { ...binLevel(m, 0), fields: {} },
        { ...binLevel(m, 0), fields: { x: Number.NaN } },
        { ...binLevel(m, 0), time: '1.5' },
      ]) {
        const e = await rejection(writer.write([bad]));
        expect(e.code).toBe('HUB_ERR_INFLUX_WRITE_REJECTED');
        expect(e.retryable).toBe(false);
      }
      await writer.write([binLevel(m, 1)]);
      expect(await harness.readBack(m)).toHaveLength(1);
      expect(writer.stats().failures.HUB_ERR_INFLUX_WRITE_REJECTED).toBe(3);
    });

    it('rejects a field type conflict without retrying, with InfluxDB’s message', async () => {
      const m = fresh('conflict');
      const writer = await make();
      await writer.write([binLevel(m, 0)]);
      const clash = { ...binLevel(m, 1), fields: { fill_pct: 'full' } };
      const e = await rejection(writer.write([clash, binLevel(m, 2)]));
      expect(e.code).toBe('HUB_ERR_INFLUX_WRITE_REJECTED');
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(
        /partial write: field type conflict: input field "fill_pct" on measurement "c_conflict_\d+" is type string, already exists as type float/,
      );
      expect(writer.stats()).toMatchObject({ retries: 0, failures: { HUB_ERR_INFLUX_WRITE_REJECTED: 1 } });
    });

    it('rejects at once, retryable, a write that would overfill the queue', async () => {
      const writer = await harness.createStalled({
        maxQueuedPoints: 3,
        batchSize: 1,
        maxBatchesInFlight: 1,
        flushIntervalMs: 0,
      });
      const m = fresh('queue');
      // Accepted; their outcome depends on the backend (a stalled InfluxDB fails them on close).
      const accepted = Promise.allSettled([
        writer.write([binLevel(m, 0)]),
        writer.write([binLevel(m, 1), binLevel(m, 2)]),
      ]);
      const over = writer.write([binLevel(m, 3), binLevel(m, 4)]);
      const early = await Promise.race([
        over.then(
          () => 'resolved',
          (e: unknown) => e,
        ),
        new Promise((r) => setImmediate(() => r('pending'))),
      ]);
      expect(early).toBeInstanceOf(HubError);
      expect(early).toMatchObject({ code: 'HUB_ERR_WRITER_QUEUE_FULL', retryable: true });
      // More than the whole queue can ever hold is not worth retrying.
      const huge = await rejection(writer.write([0, 1, 2, 3].map((i) => binLevel(m, i))));
      expect(huge).toMatchObject({ code: 'HUB_ERR_WRITER_QUEUE_FULL', retryable: false });
      expect(writer.stats().failures.HUB_ERR_WRITER_QUEUE_FULL).toBe(2);
      await writer.close();
      await accepted;
    });

    it('close() sends what is queued, waits for it, then refuses writes', async () => {
      const m = fresh('close');
      const writer = await make({ flushIntervalMs: 60_000, batchSize: 1000 });
      const pending = writer.write([binLevel(m, 0), binLevel(m, 1), binLevel(m, 2)]);
      await writer.close();
      await expect(pending).resolves.toBeUndefined();
      expect(await harness.readBack(m)).toHaveLength(3);
      const e = await rejection(writer.write([binLevel(m, 3)]));
      expect(e).toMatchObject({ code: 'HUB_ERR_WRITER_CLOSED', retryable: true });
      await writer.close(); // idempotent
    });
  });
}
