/**
 * Embedded cluster mode (docs/operations.md, "Several hubs sharing Redis (embedded cluster)"): two
 * brokers in this process on one real redis-server (Debian's), clients nobody here wrote
 * (mosquitto_pub / mosquitto_sub) and mqtt.js. Retained messages, routing and persistent sessions
 * cross hubs; a publish is handed to `onPublish` of the receiving hub only; presence is per hub;
 * a stop leaves no connection and no Will behind in Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  connect,
  mosquittoPub,
  mosquittoSub,
  ROOT,
  SECRETS,
  startBroker,
  telemetry,
  type TestBroker,
} from './helpers.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import type { MqttClient } from 'mqtt';

let redis: RedisServer;
let probe: Redis;
let a: TestBroker;
let b: TestBroker;
const clients: MqttClient[] = [];
const WATCHER: [string, string] = ['watcher', SECRETS.watcher];
const EAST: [string, string] = ['gw-east', SECRETS['gw-east']];

beforeAll(async () => {
  redis = await startRedis();
  probe = new Redis(redis.url);
  a = await startBroker({}, { redisUrl: redis.url });
  b = await startBroker({}, { redisUrl: redis.url });
}, 60_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  probe?.disconnect();
  await redis?.stop();
});

describe('two hubs on one Redis', () => {
  it('a retained message the hub publishes at A reaches an observer subscribing at B (from Redis, prefixed keys)', async () => {
    const topic = `${ROOT}/maple-court/kpi/sorting_coverage`;
    await a.broker.publish(topic, '{"value":0.97}', { retain: true, qos: 1 });
    const sub = mosquittoSub(b.port, WATCHER, `${ROOT}/maple-court/kpi/#`, ['-v', '-C', '1']);
    const r = await sub.done;
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`${topic} {"value":0.97}`);
    // Kept in Redis under the topic root's prefix, nothing outside it.
    const keys = await probe.keys('*');
    expect(keys).toContain(`${ROOT}:retained`);
    expect(keys.filter((k) => !k.startsWith(`${ROOT}:`))).toEqual([]);
  });

  it('a publish by a gateway at A reaches a subscriber at B and is taken by A alone', async () => {
    const topic = telemetry('maple-court', 'gw-east', 'bin-01');
    const watcher = await connect(`mqtt://127.0.0.1:${b.port}`, {
      username: WATCHER[0],
      password: WATCHER[1],
      clientId: 'cluster-watcher',
    });
    clients.push(watcher);
    const got: { topic: string; payload: string }[] = [];
    watcher.on('message', (t, p) => got.push({ topic: t, payload: p.toString() }));
    // SUBACK comes once B's Redis subscription is confirmed (mqemitter-redis calls back then).
    await watcher.subscribeAsync(`${ROOT}/maple-court/+/+/telemetry`, { qos: 1 });
    const before = { a: a.published.length, b: b.published.length };

    const r = await mosquittoPub(a.port, EAST, topic, '{"fill":42}').done;
    expect(r.code).toBe(0);
    await vi.waitFor(() => expect(got).toEqual([{ topic, payload: '{"fill":42}' }]), { timeout: 15_000 });
    // The hub the gateway is connected to records it; the other only routes it.
    expect(a.published.slice(before.a).map((p) => p.topic)).toEqual([topic]);
    expect(b.published.length).toBe(before.b);
  });

  it('presence is per hub: a gateway counts as connected at the hub it is connected to', async () => {
    const gw = await connect(`mqtt://127.0.0.1:${a.port}`, {
      username: EAST[0],
      password: EAST[1],
      clientId: 'cluster-presence',
    });
    clients.push(gw);
    await vi.waitFor(() => expect(a.broker.stats().gateways).toEqual(['gw-east']), { timeout: 10_000 });
    expect(b.broker.stats().gateways).toEqual([]);
  });

  it("a gateway's persistent session with a QoS 1 subscription moves from A to B with what was queued", async () => {
    const filter = `${ROOT}/maple-court/kpi/#`;
    const opts = { username: EAST[0], password: EAST[1], clientId: 'gw-east-session', clean: false };
    const first = await connect(`mqtt://127.0.0.1:${a.port}`, opts);
    await first.subscribeAsync(filter, { qos: 1 });
    await first.endAsync(); // DISCONNECT: the session stays [MQTT-3.1.2-4]
    // B learns of the subscription through Redis; the message below must find it there.
    await vi.waitFor(
      async () => {
        // aedes' types leave out its persistence; the hub never reads it, this test only waits on it.
        const { persistence } = b.broker.aedes as unknown as {
          persistence: { subscriptionsByTopic(topic: string): Promise<{ clientId: string }[]> };
        };
        const subs = await persistence.subscriptionsByTopic(`${ROOT}/maple-court/kpi/x`);
        // The hub scopes client ids by account (src/broker/auth.ts).
        expect(subs.map((s) => s.clientId)).toContain('gw-east/gw-east-session');
      },
      { timeout: 10_000 },
    );
    const topic = `${ROOT}/maple-court/kpi/participation_rate`;
    await b.broker.publish(topic, 'queued-while-away', { retain: false, qos: 1 });

    const second = await connect(`mqtt://127.0.0.1:${b.port}`, opts);
    clients.push(second);
    const got: string[] = [];
    second.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
    await vi.waitFor(() => expect(got).toEqual([`${topic} queued-while-away`]), { timeout: 15_000 });
    // Longer than its own waits (10 s + 15 s, plus three connections): on a loaded CI machine the
    // default 30 s cut in before either wait could say which step was slow.
  }, 60_000);
});

describe('stop', () => {
  it('leaves no Redis connection and no Will of a gateway behind', async () => {
    const c = await startBroker({}, { redisUrl: redis.url });
    const will = { topic: `${ROOT}/maple-court/gw-west/status`, payload: Buffer.from('offline'), qos: 1 as const };
    const gw = await connect(`mqtt://127.0.0.1:${c.port}`, {
      username: 'gw-west',
      password: SECRETS['gw-west'],
      clientId: 'gw-west-will',
      will: { ...will, retain: true },
    });
    await vi.waitFor(async () => expect(await probe.lrange(`${ROOT}:will`, 0, -1)).toHaveLength(1), {
      timeout: 10_000,
    });
    const before = await clientCount();
    await c.stop();
    await gw.endAsync(true);
    // The three connections of c are gone, and its gateway's Will was deleted, not left for
    // another hub to publish as if c had died.
    // Redis sees a closed socket a moment after the hub closed it.
    await vi.waitFor(async () => expect(await clientCount()).toBe(before - 3), { timeout: 10_000 });
    expect(await probe.lrange(`${ROOT}:will`, 0, -1)).toEqual([]);
    expect(await probe.keys(`${ROOT}:will:*`)).toEqual([]);
  });
});

describe('Redis lost', () => {
  it('the broker logs it, keeps listening, and still stops', async () => {
    const own = await startRedis();
    let c: TestBroker | undefined;
    try {
      c = await startBroker({}, { redisUrl: own.url });
      await own.stop();
      await vi.waitFor(() => expect(c!.logs.some((l) => l.msg === 'redis connection error; reconnecting')).toBe(true), {
        timeout: 15_000,
      });
      expect(c.broker.stats().listening).toBe(true);
    } finally {
      await c?.stop();
      await own.stop();
    }
    expect(c.broker.stats().listening).toBe(false);
    // Stopped by cutting the connections, not by waiting for a Redis that is gone.
    expect(c.logs.map((l) => l.msg)).toContain('redis did not answer while the broker closed; connections cut');
  }, 60_000);
});

/** Clients connected to the Redis server right now. */
async function clientCount(): Promise<number> {
  const list = (await probe.call('CLIENT', 'LIST')) as string;
  return list.trim().split('\n').length;
}
