/**
 * Embedded cluster mode end to end (docs/operations.md, "Several hubs sharing Redis (embedded
 * cluster)"): two hubs in this process, each with its own data directory, share one real
 * redis-server and one InfluxDB database. A gateway publishes distinct deposit events at QoS 1
 * through both hubs at once: every acknowledged event is in InfluxDB exactly once (rows = distinct
 * ids = published), each hub took exactly what was published to it, and both hubs stop leaving no
 * connection open in Redis. As a process (`community-hub start`, `HUB_CLUSTER_REDIS_URL`), the hub
 * stops cleanly on SIGTERM, and refuses to start on a Redis it cannot reach. A hub killed with
 * SIGKILL leaves its gateways' Wills in Redis; a gateway that reconnects at another hub has them
 * dropped, so no surviving hub publishes an `offline` for it later.
 */
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  depositEvent,
  drainedWithin,
  eventIds,
  GATEWAY,
  influxAt,
  SECRET,
  startLocalHub,
  storedEvents,
  TOPIC,
  writeHubFiles,
  type HubFiles,
  type LocalHub,
} from '../durability/helpers.ts';
import { HubProcess, killAllHubs } from '../helpers/hub-process.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedInflux, uniqueName } from '../helpers/influx-shared.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

let redis: RedisServer;
const hubs: LocalHub[] = [];
const files: HubFiles[] = [];
const clients: MqttClient[] = [];
const PER_HUB = 150;

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  for (const h of hubs) await h.stop();
  await killAllHubs();
  for (const f of files) await f.remove();
  await redis?.stop();
});

/** Publishes events `from` … `from + count − 1` at QoS 1, 20 unacknowledged at most; resolves when all are acked. */
async function publishRange(client: MqttClient, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 20) {
    const batch = Array.from({ length: Math.min(20, from + count - i) }, (_, k) => i + k);
    await Promise.all(batch.map((n) => client.publishAsync(TOPIC, depositEvent(n), { qos: 1 })));
  }
}

it('gateways publishing through either hub: every message lands in InfluxDB once', async () => {
  const database = uniqueName('cluster');
  for (let i = 0; i < 2; i++) {
    const f = await writeHubFiles({
      influxUrl: sharedInflux().url,
      database,
      extra: { cluster: { redisUrl: redis.url } },
    });
    files.push(f);
    hubs.push(await startLocalHub(f));
  }
  const [a, b] = hubs as [LocalHub, LocalHub];
  // One gateway, two connections (distinct client ids), one to each hub: as after a move, or a
  // gateway whose connections a load balancer spreads.
  for (const [hub, id] of [
    [a, 'gw-east-a'],
    [b, 'gw-east-b'],
  ] as const) {
    const c = await mqtt.connectAsync(hub.url, {
      username: GATEWAY,
      password: SECRET,
      clientId: id,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    clients.push(c);
  }
  await Promise.all([publishRange(clients[0]!, 0, PER_HUB), publishRange(clients[1]!, PER_HUB, PER_HUB)]);

  // Each hub took (spooled, then wrote) what was published to it, and nothing routed to it from the other.
  expect(a.hub.stats().broker?.accepted).toBe(PER_HUB);
  expect(b.hub.stats().broker?.accepted).toBe(PER_HUB);
  await drainedWithin(a.hub, 60_000);
  await drainedWithin(b.hub, 60_000);
  const conn = influxAt(sharedInflux().url, database);
  let stored = { rows: 0, ids: new Set<string>() };
  await vi.waitFor(
    async () => {
      stored = await storedEvents(conn);
      expect(stored.ids.size).toBe(2 * PER_HUB);
    },
    { timeout: 30_000, interval: 200 },
  );
  expect(stored.ids).toEqual(eventIds(Array.from({ length: 2 * PER_HUB }, (_, i) => i)));
  expect(stored.rows).toBe(2 * PER_HUB);

  // Graceful stop: every connection the hubs had to Redis is closed.
  await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  for (const h of hubs.splice(0)) await h.stop();
  const probe = new Redis(redis.url);
  try {
    await vi.waitFor(
      async () => {
        const list = (await probe.call('CLIENT', 'LIST')) as string;
        expect(list.trim().split('\n')).toHaveLength(1); // the probe itself
      },
      { timeout: 10_000 },
    );
  } finally {
    probe.disconnect();
  }
}, 120_000);

/** Clients connected to the Redis server right now, as it lists them. */
async function redisClients(): Promise<number> {
  const probe = new Redis(redis.url);
  try {
    const list = (await probe.call('CLIENT', 'LIST')) as string;
    return list.trim().split('\n').length - 1; // not the probe itself
  } finally {
    probe.disconnect();
  }
}

/** A hub process's files: its InfluxDB unreachable (the spool takes what comes), none is needed here. */
async function processFiles(): Promise<HubFiles> {
  return writeHubFiles({ influxUrl: await deadUrl(), database: 'cluster' });
}

it('a hub process on Redis (HUB_CLUSTER_REDIS_URL) stops on SIGTERM with exit 0, its connections closed', async () => {
  const f = await processFiles();
  files.push(f);
  const env = { HUB_CLUSTER_REDIS_URL: redis.url };
  const hub = await HubProcess.start(f.configPath, env, 60_000);
  await vi.waitFor(async () => expect(await redisClients()).toBe(3), { timeout: 10_000 });
  hub.kill('SIGTERM');
  expect(await hub.exited).toEqual({ code: 0, signal: null });
  await vi.waitFor(async () => expect(await redisClients()).toBe(0), { timeout: 10_000 });
}, 90_000);

it('a hub process refuses to start when its Redis cannot be reached', async () => {
  const f = await processFiles();
  files.push(f);
  const env = { HUB_CLUSTER_REDIS_URL: (await deadUrl()).replace('http:', 'redis:') };
  const started = HubProcess.start(f.configPath, env, 90_000);
  await expect(started).rejects.toThrow(/the hub exited before the hub to listen[\s\S]*max retries per request/i);
}, 120_000);

it('a gateway back at another hub has the Will a killed hub left for it dropped', async () => {
  const willsKey = 'community/v1:will';
  const probe = new Redis(redis.url);
  try {
    const database = uniqueName('cluster_will');
    const pf = await writeHubFiles({ influxUrl: sharedInflux().url, database });
    const bf = await writeHubFiles({
      influxUrl: sharedInflux().url,
      database,
      extra: { cluster: { redisUrl: redis.url } },
    });
    files.push(pf, bf);
    const doomed = await HubProcess.start(pf.configPath, { HUB_CLUSTER_REDIS_URL: redis.url }, 60_000);
    const will = {
      topic: 'community/v1/maple-court/gw-east/status',
      payload: Buffer.from('offline'),
      qos: 1 as const,
      retain: true,
    };
    const gw = await mqtt.connectAsync(`mqtt://127.0.0.1:${doomed.port}`, {
      username: GATEWAY,
      password: SECRET,
      clientId: 'gw-east-will',
      reconnectPeriod: 0,
      will,
    });
    gw.on('error', () => {}); // its hub is about to die
    await vi.waitFor(async () => expect(await probe.lrange(willsKey, 0, -1)).toHaveLength(1), { timeout: 10_000 });
    doomed.kill('SIGKILL');
    await doomed.exited;
    await gw.endAsync(true);
    expect(await probe.lrange(willsKey, 0, -1)).toHaveLength(1); // nobody deleted it: its hub died

    const b = await startLocalHub(bf);
    hubs.push(b);
    const back = await mqtt.connectAsync(b.url, {
      username: GATEWAY,
      password: SECRET,
      clientId: 'gw-east-back',
      reconnectPeriod: 0,
    });
    clients.push(back);
    await vi.waitFor(async () => expect(await probe.lrange(willsKey, 0, -1)).toEqual([]), { timeout: 10_000 });
    expect(await probe.keys('community/v1:will:*')).toEqual([]);
    expect(b.logs.some((l) => l.msg === "dropped a dead hub's Wills of a gateway that is back")).toBe(true);
  } finally {
    probe.disconnect();
  }
}, 120_000);
