/**
 * Poison records among good ones, drained into the real InfluxDB: the drainer posts the spooled
 * line protocol as it is, and when InfluxDB refuses a request (a field type conflict: 400, partial
 * write) it splits the request in halves until each refused record is alone
 * (src/store/spool/chunk-writer.ts). Every good record must be stored, every bad one kept as a
 * `write_rejected` dead letter with its verbatim payload, and the requests must grow with
 * k·log(n), not n. InfluxDB itself is the ground truth of what is stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeadLetterStore } from '../../src/deadletters/store.ts';
import type { Point } from '../../src/point.ts';
import {
  connectInflux,
  ensureDatabase,
  InfluxPointWriter,
  query,
  type LineWriter,
  type WriterStats,
} from '../../src/store/index.ts';
import { Drainer, Quarantine, Spool, spoolRecord } from '../../src/store/spool/index.ts';
import { encodeJsonRecord } from '../../src/store/spool/record-json.ts';
import { encodeFrame, SEGMENT_MAGIC } from '../../src/store/spool/frame.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import { captureLogs } from './helpers.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const T0 = 1_795_737_600_000_000_000n;
const point = (i: number, fill: number | string): Point => ({
  measurement: 'bin_level',
  tags: { site: 's', device: `d${i % 7}` },
  fields: { fill_pct: fill },
  time: String(T0 + BigInt(i)),
});
const source = (i: number) => ({
  topic: `community/v1/s/g/d${i % 7}/telemetry`,
  site: 's',
  gateway: 'g',
  device: `d${i % 7}`,
  channel: 'telemetry',
  receivedAt: 1_795_737_600_000 + i,
  payload: Buffer.from(`{"fill":${i},"n":"\u00e9\u0000${i}"}`, 'latin1'),
});

/** Counts the requests a writer is asked for. */
class Counting implements LineWriter {
  requests = 0;
  readonly #inner: InfluxPointWriter;
  constructor(inner: InfluxPointWriter) {
    this.#inner = inner;
  }
  writeLines(body: Buffer, points: number): Promise<void> {
    this.requests++;
    return this.#inner.writeLines(body, points);
  }
  stats(): WriterStats {
    return this.#inner.stats();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

async function setUp(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), `hub-${prefix}-`));
  dirs.push(dir);
  const conn = connectInflux(sharedSettings({ database: uniqueName(prefix), maxRetries: 0 }));
  await ensureDatabase(conn);
  const logs = captureLogs();
  const spool = new Spool({
    dir: join(dir, 'spool'),
    maxBytes: 1 << 26,
    fsync: false,
    maxBufferedBytes: 1 << 26,
    backpressureTimeoutMs: 30_000,
    logger: logs.logger,
  });
  const deadLetters = new DeadLetterStore({ dir: join(dir, 'dead'), maxBytes: 1 << 30, maxAgeMs: 2 ** 50 });
  const writer = new Counting(new InfluxPointWriter(conn));
  return { dir, conn, logs, spool, deadLetters, writer };
}

async function drainAll(s: Awaited<ReturnType<typeof setUp>>, batchPoints: number) {
  const drainer = new Drainer({
    spool: s.spool,
    writer: s.writer,
    deadLetters: s.deadLetters,
    quarantine: new Quarantine({ dir: join(s.dir, 'quarantine'), fsync: false, deadLetters: s.deadLetters }),
    logger: s.logs.logger,
    chunkPoints: batchPoints * 4,
    batchPoints,
    retry: { minRetryDelayMs: 5, maxRetryDelayMs: 50 },
  });
  drainer.start();
  try {
    await drainer.drained();
  } finally {
    await drainer.stop();
    await s.writer.close();
  }
  return drainer;
}

async function count(conn: ReturnType<typeof connectInflux>): Promise<number> {
  const rows = await query<{ count: number }>(conn, 'SELECT count("fill_pct") FROM bin_level');
  return Number(rows[0]?.values.count ?? 0);
}

describe('poison records in the real InfluxDB', () => {
  it('a refused request is halved: good records stored, bad ones dead-lettered verbatim, O(k log n) requests', async () => {
    const s = await setUp('poison');
    // The field is a float in InfluxDB before the drain, so which record is bad does not depend on
    // which request lands first.
    await new InfluxPointWriter(s.conn).write([point(-1, 0)]);
    const n = 400;
    const bad = new Set([3, 4, 57, 130, 131, 222, 298, 399]);
    await s.spool.open();
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.spool.append(spoolRecord(1000 + i, [point(i, bad.has(i) ? `x${i}` : i)], source(i))),
      ),
    );
    const batchPoints = 100;
    const drainer = await drainAll(s, batchPoints);
    await s.spool.close();

    expect(await count(s.conn)).toBe(n - bad.size + 1);
    const letters = await s.deadLetters.list();
    expect(letters).toHaveLength(bad.size);
    const byTopicTime = letters.map((l) => ({
      receivedAt: l.receivedAt,
      payload: DeadLetterStore.payloadOf(l),
      reasons: l.rejects.map((r) => r.reason),
      detail: l.rejects[0]!.detail,
    }));
    expect(byTopicTime.map((l) => l.receivedAt).sort()).toEqual([...bad].map((i) => source(i).receivedAt).sort());
    for (const l of byTopicTime) {
      const i = l.receivedAt - 1_795_737_600_000;
      expect(l.payload.equals(source(i).payload)).toBe(true);
      expect(l.reasons).toEqual(['write_rejected']);
      expect(l.detail).toMatch(/HUB_ERR_INFLUX_WRITE_REJECTED.*field type conflict/);
    }
    expect(drainer.stats()).toMatchObject({ recordsWritten: n - bad.size, deadLettered: bad.size });
    // Halving: each bad record costs at most two requests per level of its batch's halving tree.
    const batches = n / batchPoints;
    const bound = batches + 2 * bad.size * Math.ceil(Math.log2(batchPoints));
    expect(s.writer.requests).toBeLessThanOrEqual(bound);
    expect(s.writer.requests).toBeLessThan(n / 3); // record by record would take n + batches
  });

  it('a spool left by an older hub (JSON records) is still drained into InfluxDB', async () => {
    const s = await setUp('legacy');
    const n = 30;
    const frames = Array.from({ length: n }, (_, i) =>
      encodeFrame(encodeJsonRecord({ at: 1000 + i, points: [point(i, i)], source: source(i) })),
    );
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(s.dir, 'spool'), { recursive: true });
    await writeFile(
      join(s.dir, 'spool', `seg-${'1'.padStart(16, '0')}.wal`),
      Buffer.concat([SEGMENT_MAGIC, ...frames]),
    );
    expect((await s.spool.open()).segments).toBe(1);
    await drainAll(s, 10);
    await s.spool.close();
    expect(await count(s.conn)).toBe(n);
    const rows = await query<{ fill_pct: number; device: string }>(
      s.conn,
      'SELECT fill_pct, device FROM bin_level WHERE time = 1795737600000000029',
    );
    expect(rows.map((r) => r.values)).toMatchObject([{ fill_pct: 29, device: 'd1' }]);
  });
});
