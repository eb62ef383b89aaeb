/**
 * Spool full: a small `spool.maxBytes` and InfluxDB stopped. The publisher is slowed,
 * not lied to: PUBACKs stop once the spool holds `maxBytes`, every acknowledged message is on disk
 * in the spool, the hub says it is not ready; once InfluxDB returns, the backlog drains, the
 * held messages are acknowledged, and InfluxDB holds every message exactly once.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { IngestStats } from '../../src/store/ingest.ts';
import { startInflux, type InfluxServer } from '../helpers/influx.ts';
import {
  drainedWithin,
  eventIds,
  influxAt,
  spooledEventIds,
  startLocalHub,
  storedEvents,
  writeHubFiles,
  type LocalHub,
} from './helpers.ts';
import { Publisher } from './publisher.ts';

const MAX_BYTES = 32 * 1024;
const WINDOW = 20;

let influx: InfluxServer;
let hub: LocalHub | undefined;
let pub: Publisher | undefined;
let dir: string | undefined;

beforeAll(async () => {
  influx = await startInflux();
});

afterAll(async () => {
  await pub?.end();
  await hub?.stop();
  await influx?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a full spool holds PUBACKs back (nothing acknowledged that is not on disk) and loses nothing', async () => {
  // A long backpressure timeout: the messages wait for room instead of being refused.
  const files = await writeHubFiles({
    influxUrl: influx.url,
    database: 'full',
    spool: { maxBytes: MAX_BYTES, backpressureTimeout: '5m' },
  });
  dir = files.dir;
  hub = await startLocalHub(files);
  await influx.stop();
  pub = await Publisher.connect(hub.port);
  pub.start(WINDOW);

  const stats = () => hub!.hub.stats().spool!;
  // Every wait is bounded and, should it time out, says where the spool, drainer and publisher are.
  const state = (): string => {
    const { drainer, ...spool } = stats();
    const p = { published: pub!.published, acked: pub!.acked.size, inflight: pub!.inflight };
    return JSON.stringify({ spool, drainer, ingest: hub!.hub.stats().ingest, publisher: p });
  };
  const until = (check: () => boolean, ms: number, what: string): Promise<void> =>
    vi.waitFor(
      () => {
        if (!check()) throw new Error(`timed out after ${ms} ms waiting for ${what}; state: ${state()}`);
      },
      { timeout: ms },
    );
  // The spool stays full a while: the drainer fails twice more meanwhile.
  const settle = async (): Promise<void> => {
    const retries = stats().drainer.retries;
    await until(() => stats().drainer.retries >= retries + 2, 15_000, 'two more failed attempts');
  };
  // Nothing on its way: every message the hub took is on disk and acknowledged, or waits for
  // room (none is admitted and not yet committed, no PUBACK is still travelling), and the
  // publisher's whole window is unacknowledged.
  const quiet = (): boolean => {
    const s = stats();
    const ingest = hub!.hub.stats().ingest as IngestStats;
    return (
      ingest.messages === s.records + s.waiting + ingest.failed &&
      pub!.acked.size === s.records &&
      pub!.inflight === WINDOW
    );
  };
  // Full: messages wait for room, and the publisher's whole window is unacknowledged.
  await until(() => stats().backpressure && pub!.inflight === WINDOW, 30_000, 'the spool to fill');
  await until(quiet, 15_000, 'the PUBACKs of every committed message, the other messages waiting for room');
  const acked = new Set(pub.acked);
  expect(acked.size).toBeGreaterThan(0);
  expect(stats().bytes).toBeLessThanOrEqual(MAX_BYTES);
  // Not lied to: every acknowledged message is in the spool on disk.
  const spooled = await spooledEventIds(files.spoolDir);
  expect([...eventIds(acked)].filter((id) => !spooled.has(id))).toEqual([]);
  const ready = await hub.hub.ready();
  expect(ready.ready).toBe(false);
  expect(ready.reasons).toContain('the spool is full: acknowledgements are held back');
  // Slowed: no PUBACK while the spool stays full; the whole window waits, nothing more is committed.
  await settle();
  expect(pub.acked.size).toBe(acked.size);
  expect(pub.published).toBe(acked.size + WINDOW);
  expect(stats()).toMatchObject({ backpressure: true, records: acked.size });

  await influx.start();
  await until(() => pub!.acked.size >= acked.size + 100, 30_000, `${acked.size + 100} PUBACKs once InfluxDB is back`);
  await pub.stop();
  const n = pub.published;
  await until(() => pub!.acked.size >= n, 30_000, `all ${n} PUBACKs`);
  await drainedWithin(hub.hub, 20_000);
  const stored = await storedEvents(influxAt(influx.url, 'full'));
  expect(stored.ids).toEqual(eventIds(Array.from({ length: n }, (_, i) => i)));
  expect(stored.rows).toBe(n);
  expect(stats().refused).toBe(0);
}, 150_000);
