/**
 * Graceful shutdown with InfluxDB down: SIGTERM in the middle of a stream while
 * InfluxDB hangs (its process stopped with SIGSTOP: connections open, nothing answers, requests
 * outlive the shutdown budget). The hub exits 0 within `shutdown.timeout` (start.ts exits 1 when
 * the stop does not finish in time), every acknowledged message is in the spool on disk, and all
 * of it lands in InfluxDB after a restart, exactly once.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startInflux, type InfluxServer } from '../helpers/influx.ts';
import { HubProcess, killAllHubs } from '../helpers/hub-process.ts';
import { eventIds, influxAt, spooledEventIds, storedEvents, writeHubFiles } from './helpers.ts';
import { Publisher } from './publisher.ts';

let influx: InfluxServer;
let pub: Publisher | undefined;
let dir: string | undefined;
let frozen = false;

beforeAll(async () => {
  influx = await startInflux();
});

afterAll(async () => {
  if (frozen) process.kill(influx.pid, 'SIGCONT');
  await pub?.end();
  await killAllHubs();
  await influx?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('SIGTERM mid-stream with InfluxDB hung: exit 0 within the timeout, everything acknowledged is spooled and lands after restart', async () => {
  // InfluxDB requests may take 30 s; the shutdown must not wait for them.
  const files = await writeHubFiles({
    influxUrl: influx.url,
    database: 'shutdown',
    shutdownTimeout: '5s',
    influx: { requestTimeoutMs: 30_000 },
  });
  dir = files.dir;
  const conn = influxAt(influx.url, 'shutdown');
  const first = await HubProcess.start(files.configPath, { HUB_MQTT_PORT: '0' });
  pub = await Publisher.connect(first.port);
  pub.start();

  await pub.waitAcked(150, 30_000);
  process.kill(influx.pid, 'SIGSTOP');
  frozen = true;
  const atFreeze = pub.acked.size;
  await pub.waitAcked(atFreeze + 150, 30_000);

  first.kill('SIGTERM');
  const exit = await first.exited;
  const ackedAtExit = eventIds(pub.acked);
  expect(exit).toMatchObject({ code: 0 });
  expect(first.lines.some((l) => l.msg === 'stopped')).toBe(true);
  expect(first.lines.some((l) => /did not finish in time/.test(String(l.msg)))).toBe(false);

  process.kill(influx.pid, 'SIGCONT');
  frozen = false;
  // Everything acknowledged is in InfluxDB already or in the spool on disk.
  const spooled = await spooledEventIds(files.spoolDir);
  const before = await storedEvents(conn);
  expect([...ackedAtExit].filter((id) => !spooled.has(id) && !before.ids.has(id))).toEqual([]);
  expect(spooled.size).toBeGreaterThan(0);

  const second = await HubProcess.start(files.configPath, { HUB_MQTT_PORT: String(first.port) });
  await pub.waitAcked(ackedAtExit.size + 100, 30_000);
  await pub.stop();
  const n = pub.published;
  await pub.waitAcked(n, 30_000);
  let stored = before;
  await vi
    .waitFor(
      async () => {
        stored = await storedEvents(conn);
        if (stored.ids.size !== n) throw new Error(`${stored.ids.size} of ${n} events in InfluxDB`);
      },
      { timeout: 60_000, interval: 100 },
    )
    .catch(() => undefined);
  expect([...ackedAtExit].filter((id) => !stored.ids.has(id))).toEqual([]);
  expect(stored.ids).toEqual(eventIds(Array.from({ length: n }, (_, i) => i)));
  expect(stored.rows).toBe(n);
  second.kill('SIGTERM');
  expect(await second.exited).toMatchObject({ code: 0 });
}, 150_000);
