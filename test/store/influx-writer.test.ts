import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FieldValue, Point } from '../../src/point.ts';
import {
  connectInflux,
  ensureDatabase,
  InfluxPointWriter,
  query,
  quoteIdent,
  type InfluxConnection,
  type InfluxSettings,
} from '../../src/store/index.ts';
import { deadUrl, startInflux, type InfluxServer } from '../helpers/influx.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import { binLevel, describeWriterContract } from './point-writer.contract.ts';

/** Every point of `measurement`, rebuilt from `SELECT * … GROUP BY *` (tags apart from fields). */
async function readBack(conn: InfluxConnection, measurement: string): Promise<Point[]> {
  const rows = await query(conn, `SELECT * FROM ${quoteIdent(measurement)} GROUP BY *`);
  const points = rows.map(({ measurement: name, tags, values }) => {
    const { time, ...columns } = values;
    const fields = Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== null)) as Record<
      string,
      FieldValue
    >;
    // GROUP BY * reports a tag a series lacks as ''.
    const present = Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== ''));
    return { measurement: name, tags: present, fields, time: String(time) };
  });
  return points.sort((a, b) => {
    const d = BigInt(a.time) - BigInt(b.time);
    return d < 0n ? -1 : d > 0n ? 1 : JSON.stringify(a.tags) < JSON.stringify(b.tags) ? -1 : 1;
  });
}

const database = uniqueName('writer');
let conn: InfluxConnection;
const connect = (overrides: Partial<InfluxSettings> = {}): InfluxConnection =>
  connectInflux(sharedSettings({ database, ...overrides }));

beforeAll(async () => {
  conn = connect();
  await ensureDatabase(conn);
});

describeWriterContract('InfluxPointWriter', {
  create: (tuning) => new InfluxPointWriter(connect(tuning)),
  // Connection refused: nothing listens there. Few, short retries so close() is quick.
  createStalled: async (tuning) =>
    new InfluxPointWriter(
      connectInflux({
        url: await deadUrl(),
        database,
        maxRetries: 2,
        minRetryDelayMs: 20,
        maxRetryDelayMs: 40,
        ...tuning,
      }),
    ),
  readBack: (measurement) => readBack(conn, measurement),
});

describe('InfluxPointWriter on a real InfluxDB', () => {
  it('gives up a retryable failure after maxRetries with HUB_ERR_INFLUX_UNREACHABLE and InfluxDB’s message', async () => {
    // 1.x answers 404 "database not found", which the client's HttpError.canRetry() accepts.
    const writer = new InfluxPointWriter(
      connect({ database: uniqueName('absent'), maxRetries: 2, minRetryDelayMs: 5, maxRetryDelayMs: 10 }),
    );
    const e = await writer.write([binLevel('m', 0)]).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'HUB_ERR_INFLUX_UNREACHABLE', retryable: true });
    expect((e as Error).message).toMatch(/404.*database not found/);
    expect(writer.stats()).toMatchObject({ retries: 2, pointsFailed: 1, failures: { HUB_ERR_INFLUX_UNREACHABLE: 1 } });
    await writer.close();
  });

  it('reports connection refused as HUB_ERR_INFLUX_UNREACHABLE (retryable)', async () => {
    const writer = new InfluxPointWriter(connectInflux({ url: await deadUrl(), database, maxRetries: 0 }));
    await expect(writer.write([binLevel('m', 0)])).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_UNREACHABLE',
      retryable: true,
      message: expect.stringMatching(/ECONNREFUSED/),
    });
    await writer.close();
  });

  it('records the duration of every write request, acknowledged or failed, in a cumulative histogram', async () => {
    const writer = new InfluxPointWriter(connect({ batchSize: 5, flushIntervalMs: 1 }));
    expect(writer.stats().writeDuration).toMatchObject({ count: 0, sum: 0 });
    await writer.write(Array.from({ length: 12 }, (_, i) => binLevel('timed', i))); // 3 requests
    const ok = writer.stats().writeDuration;
    expect(ok.count).toBe(3);
    expect(ok.sum).toBeGreaterThan(0);
    expect(ok.buckets).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    expect(ok.counts).toHaveLength(ok.buckets.length);
    expect(ok.counts).toEqual([...ok.counts].sort((a, b) => a - b));
    expect(ok.counts.at(-1)).toBeLessThanOrEqual(3);
    await writer.close();

    // Failed requests count too: connection refused, tried once and retried twice.
    const failing = new InfluxPointWriter(
      connectInflux({ url: await deadUrl(), database, maxRetries: 2, minRetryDelayMs: 5, maxRetryDelayMs: 10 }),
    );
    await expect(failing.write([binLevel('timed', 0)])).rejects.toMatchObject({ code: 'HUB_ERR_INFLUX_UNREACHABLE' });
    expect(failing.stats().writeDuration.count).toBe(3);
    // stats() is a snapshot: it does not change afterwards.
    const before = failing.stats().writeDuration;
    await failing.write([binLevel('timed', 1)]).catch(() => undefined);
    expect(before.count).toBe(3);
    expect(failing.stats().writeDuration.count).toBe(6);
    await failing.close();
  });

  it('writes into a named retention policy', async () => {
    const db = uniqueName('rp');
    const c = connect({ database: db, retentionPolicy: 'hub_rp', retention: '520w' });
    await ensureDatabase(c);
    const writer = new InfluxPointWriter(c);
    await writer.write([binLevel('m', 1)]);
    await writer.close();
    const rows = await query(c, 'SELECT count(seq) FROM "hub_rp"."m"', { retentionPolicy: '' });
    expect(rows[0]?.values['count']).toBe(1);
  });
});

describe('InfluxPointWriter across an InfluxDB outage (private server)', () => {
  let server: InfluxServer;
  beforeAll(async () => {
    server = await startInflux();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('retries a write made while InfluxDB is stopped and resolves once it is back', async () => {
    const c = connectInflux({
      url: server.url,
      database: 'outage',
      maxRetries: 1000, // a budget far beyond the restart below
      minRetryDelayMs: 20,
      maxRetryDelayMs: 200,
      requestTimeoutMs: 2000,
    });
    await ensureDatabase(c);
    await server.stop();

    const writer = new InfluxPointWriter(c);
    const points = Array.from({ length: 10 }, (_, i) => binLevel('outage', i));
    let resolved = false;
    const pending = writer.write(points).then(() => (resolved = true));
    await vi.waitFor(() => expect(writer.stats().retries).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 20 });
    expect(resolved).toBe(false);

    await server.start(); // same directory (data) and port
    await pending;
    const rows = await query(c, 'SELECT count(seq) FROM "outage"');
    expect(rows[0]?.values['count']).toBe(10);
    expect(writer.stats()).toMatchObject({ pointsWritten: 10, pointsFailed: 0, queuedPoints: 0, batchesInFlight: 0 });
    await writer.close();
  });

  it('times out a request to a hung InfluxDB and retries it until it answers', async () => {
    const c = connectInflux({
      url: server.url,
      database: 'hung',
      requestTimeoutMs: 200,
      maxRetries: 1000,
      minRetryDelayMs: 20,
      maxRetryDelayMs: 100,
    });
    await ensureDatabase(c);
    const writer = new InfluxPointWriter(c);
    // A frozen process: the kernel still accepts connections, nothing answers them.
    process.kill(server.pid, 'SIGSTOP');
    let pending: Promise<void>;
    try {
      pending = writer.write([binLevel('hung', 1)]);
      await vi.waitFor(() => expect(writer.stats().retries).toBeGreaterThanOrEqual(1), {
        timeout: 20_000,
        interval: 20,
      });
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    await pending;
    expect((await query(c, 'SELECT count(seq) FROM hung'))[0]?.values['count']).toBe(1);
    await writer.close();

    // With no retries left the deadline is reported as such.
    const once = new InfluxPointWriter(connectInflux({ ...c.settings, maxRetries: 0 }));
    process.kill(server.pid, 'SIGSTOP');
    try {
      await expect(once.write([binLevel('hung', 2)])).rejects.toMatchObject({
        code: 'HUB_ERR_INFLUX_UNREACHABLE',
        retryable: true,
        message: expect.stringMatching(/timed out after 200 ms/),
      });
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    await once.close();
  });
});
