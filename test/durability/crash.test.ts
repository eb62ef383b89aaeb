/**
 * The hub killed with SIGKILL in the middle of a stream, then restarted on the same data
 * directory. The hub runs as the operator runs it, a child process of
 * `bin/community-hub.js start`. InfluxDB is stopped for part of the stream, so at the kill some
 * acknowledged messages exist only in the spool: after the restart every message the publisher
 * saw acknowledged is in InfluxDB, and the unacknowledged ones it resent land on the same points,
 * never as duplicates (counted by event id).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startInflux, type InfluxServer } from '../helpers/influx.ts';
import { HubProcess, killAllHubs } from '../helpers/hub-process.ts';
import { eventIds, influxAt, storedEvents, writeHubFiles } from './helpers.ts';
import { Publisher } from './publisher.ts';

let influx: InfluxServer;
let pub: Publisher | undefined;
let dir: string | undefined;

beforeAll(async () => {
  influx = await startInflux();
});

afterAll(async () => {
  await pub?.end();
  await killAllHubs();
  await influx?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('SIGKILL mid-stream, restart on the same data directory: every acknowledged message is in InfluxDB, once', async () => {
  const files = await writeHubFiles({ influxUrl: influx.url, database: 'crash' });
  dir = files.dir;
  const conn = influxAt(influx.url, 'crash');
  const first = await HubProcess.start(files.configPath, { HUB_MQTT_PORT: '0' });
  pub = await Publisher.connect(first.port);
  pub.start();

  await pub.waitAcked(150, 30_000);
  await influx.stop();
  const atStop = pub.acked.size;
  await pub.waitAcked(atStop + 150, 30_000);
  first.kill('SIGKILL');
  expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
  const ackedAtKill = eventIds(pub.acked);

  await influx.start();
  // Some acknowledged messages were only in the spool when the hub died.
  const before = await storedEvents(conn);
  expect([...ackedAtKill].filter((id) => !before.ids.has(id)).length).toBeGreaterThan(0);

  // Same port: the gateway reconnects by itself and resends what was not acknowledged.
  const second = await HubProcess.start(files.configPath, { HUB_MQTT_PORT: String(first.port) });
  await second.waitForLine((l) => l.msg === 'spool: replaying what an earlier run left', 5_000, 'the replay');
  await pub.waitAcked(ackedAtKill.size + 150, 30_000);
  await pub.stop();
  const n = pub.published;
  await pub.waitAcked(n, 30_000);

  const all = eventIds(Array.from({ length: n }, (_, i) => i));
  let stored = before;
  // A child process has no drained(): poll InfluxDB, bounded; the assertions below say what is missing.
  await vi
    .waitFor(
      async () => {
        stored = await storedEvents(conn);
        if (stored.ids.size !== n) throw new Error(`${stored.ids.size} of ${n} events in InfluxDB`);
      },
      { timeout: 60_000, interval: 100 },
    )
    .catch(() => undefined);
  expect([...ackedAtKill].filter((id) => !stored.ids.has(id))).toEqual([]);
  expect(stored.ids).toEqual(all);
  expect(stored.rows).toBe(n); // replays landed on their own points
  second.kill('SIGTERM');
  expect(await second.exited).toMatchObject({ code: 0 });
}, 150_000);
