/**
 * External broker mode (docs/operations.md, "Behind an external broker"): Debian's Mosquitto with
 * tuned queue limits is the broker, two hub processes (`community-hub start`, `mqtt.mode:
 * external`) share one subscription group and one InfluxDB database, each with its own data
 * directory. A gateway publishes a stream of distinct deposit events at QoS 1 through Mosquitto;
 * one hub is killed with SIGKILL mid-stream and started again with the same client ids. Every
 * published event lands in InfluxDB exactly once (rows = distinct ids = published), and both hubs
 * took part.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { eventIds, influxAt, storedEvents, writeHubFiles } from '../durability/helpers.ts';
import { Publisher } from '../durability/publisher.ts';
import { hashSecret } from '../../src/secret.ts';
import { HubProcess, killAllHubs } from '../helpers/hub-process.ts';
import { startInflux, type InfluxServer } from '../helpers/influx.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';

let influx: InfluxServer;
let mosquitto: Mosquitto | undefined;
let pub: Publisher | undefined;
const dirs: string[] = [];
const OPERATOR = 'external-operator-key-0123456789';

beforeAll(async () => {
  influx = await startInflux();
  // Queue limits as an operator tunes them for a hub that may be away for a while; anonymous
  // access keeps the test on what it is about (the ACL export has its own test).
  mosquitto = await startMosquitto(['max_queued_messages 1000000']);
}, 60_000);

afterAll(async () => {
  await pub?.end();
  await killAllHubs();
  await mosquitto?.stop();
  await influx?.destroy();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Starts a hub in external mode with client ids `{id}-0…` on its own data directory. */
function startExternal(configPath: string, id: string): Promise<HubProcess> {
  return HubProcess.start(configPath, {
    HUB_MQTT_MODE: 'external',
    HUB_MQTT_BROKER_URL: `mqtt://127.0.0.1:${mosquitto!.port}`,
    HUB_MQTT_CLIENT_ID: id,
    HUB_MQTT_BROKER_CONNECTIONS: '2',
    HUB_HTTP_PORT: '0',
  });
}

it('two hubs share the stream; one killed with SIGKILL and restarted: every message lands once', async () => {
  const extra = { http: { operatorKeys: [hashSecret(OPERATOR, 'fast')] } };
  const a = await writeHubFiles({ influxUrl: influx.url, database: 'external', extra });
  const b = await writeHubFiles({ influxUrl: influx.url, database: 'external', extra });
  dirs.push(a.dir, b.dir);
  const conn = influxAt(influx.url, 'external');
  const hubA = await startExternal(a.configPath, 'hub-a');
  let hubB = await startExternal(b.configPath, 'hub-b');
  expect(hubA.lines.some((l) => l.msg === 'subscribed to the external broker')).toBe(true);

  pub = await Publisher.connect(mosquitto!.port, 'external-gw');
  pub.start();
  await pub.waitAcked(300, 60_000);
  hubB.kill('SIGKILL');
  expect(await hubB.exited).toMatchObject({ signal: 'SIGKILL' });
  // Published while hub B is away: Mosquitto queues B's share in its session.
  await pub.waitAcked(pub.acked.size + 300, 60_000);
  hubB = await startExternal(b.configPath, 'hub-b');
  await pub.waitAcked(pub.acked.size + 200, 60_000);
  await pub.stop();
  const n = pub.published;
  await pub.waitAcked(n, 60_000);

  let stored = { rows: 0, ids: new Set<string>() };
  await vi
    .waitFor(
      async () => {
        stored = await storedEvents(conn);
        if (stored.ids.size !== n) throw new Error(`${stored.ids.size} of ${n} events in InfluxDB`);
      },
      { timeout: 90_000, interval: 200 },
    )
    .catch(() => undefined);
  const all = eventIds(Array.from({ length: n }, (_, i) => i));
  const logs = (h: HubProcess): string => h.lines.map((l) => JSON.stringify(l)).join('\n');
  expect([...all].filter((id) => !stored.ids.has(id)).length, `${logs(hubA)}\n${mosquitto!.log()}`).toBe(0);
  expect(stored.ids).toEqual(all);
  expect(stored.rows).toBe(n); // a message delivered twice lands on its own point again
  // Both hubs took a share (a stream split, not one hub doing all the work).
  for (const h of [hubA, hubB]) {
    const accepted = await acceptedOf(h);
    expect(accepted).toBeGreaterThan(0);
  }
  hubA.kill('SIGTERM');
  hubB.kill('SIGTERM');
  expect(await hubA.exited).toMatchObject({ code: 0 });
  expect(await hubB.exited).toMatchObject({ code: 0 });
}, 300_000);

/** The messages a hub accepted, from its /metrics (`…hub_messages_accepted_total`). */
async function acceptedOf(h: HubProcess): Promise<number> {
  const line = [...h.lines].reverse().find((l) => l.msg === 'hub started: listening')!;
  const http = (line as { http: number }).http;
  const r = await fetch(`http://127.0.0.1:${http}/metrics`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  const m = /^\S*hub_messages_accepted_total(?:\{[^}]*\})? (\d+)/m.exec(await r.text());
  return m ? Number(m[1]) : NaN;
}
