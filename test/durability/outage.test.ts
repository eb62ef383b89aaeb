/**
 * InfluxDB stopped in the middle of a stream of QoS 1 messages, then started again:
 * the hub keeps acknowledging (the spool takes the messages), and afterwards every acknowledged
 * message is in InfluxDB exactly once, counted by event id. Real broker over TCP (mqtt.js), real
 * InfluxDB (a private server, since this test stops it), the hub built in this process.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startInflux, type InfluxServer } from '../helpers/influx.ts';
import {
  drainedWithin,
  eventIds,
  influxAt,
  startLocalHub,
  storedEvents,
  writeHubFiles,
  type LocalHub,
} from './helpers.ts';
import { Publisher } from './publisher.ts';

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

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

it('InfluxDB stopped mid-stream: acknowledgements go on, and every acknowledged message lands exactly once', async () => {
  const files = await writeHubFiles({ influxUrl: influx.url, database: 'outage' });
  dir = files.dir;
  hub = await startLocalHub(files);
  pub = await Publisher.connect(hub.port);
  pub.start();

  await pub.waitAcked(200, 30_000);
  await influx.stop();
  const atStop = pub.acked.size;
  // InfluxDB is away: the drainer fails and retries, and the hub still acknowledges.
  await expect
    .poll(() => (hub!.hub.stats().spool?.drainer.retries ?? 0) > 0, {
      timeout: 20_000,
      message: 'a failed write to be retried',
    })
    .toBeTruthy();
  await pub.waitAcked(atStop + 300, 30_000);
  const ready = await hub.hub.ready();
  expect(ready).toMatchObject({ ready: true, broker: { listening: true }, influx: { reachable: false } });
  expect(ready.spool?.bytes).toBeGreaterThan(0);
  expect(ready.spool?.oldestRecordAgeMs).toBeGreaterThanOrEqual(0);

  await influx.start();
  const atStart = pub.acked.size;
  await pub.waitAcked(atStart + 200, 30_000);
  await pub.stop();
  const n = pub.published;
  await pub.waitAcked(n, 30_000);
  await drainedWithin(hub.hub, 30_000);

  const stored = await storedEvents(influxAt(influx.url, 'outage'));
  expect(stored.ids).toEqual(eventIds(range(n)));
  expect(stored.rows).toBe(n); // exactly once: no event twice
  expect(hub.hub.stats().spool).toMatchObject({ draining: false, oldestRecordAgeMs: null, backpressure: false });
}, 120_000);
