/**
 * Delivery (docs/contract.md §2): a QoS 1 PUBACK only once onPublish has resolved (the message is
 * durable); no PUBACK when it rejects. Gateway status: status messages, Last Will, disconnects.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ROOT,
  connect,
  deferred,
  mosquittoPub,
  mosquittoSub,
  startBroker,
  telemetry,
  type TestBroker,
} from './helpers.ts';

const EAST = { username: 'gw-east', password: 'east-secret' };
const WEST = { username: 'gw-west', password: 'west-secret' };
const EAST_TOPIC = telemetry('maple-court', 'gw-east', 'bin-01');
const WEST_TOPIC = telemetry('maple-court', 'gw-west', 'bin-02');
const EAST_STATUS = `${ROOT}/maple-court/gw-east/status`;

let t: TestBroker;
let url: string;
const clients: MqttClient[] = [];

async function client(opts: Parameters<typeof connect>[1]): Promise<MqttClient> {
  const c = await connect(url, opts);
  clients.push(c);
  return c;
}

/** PUBACK message ids as mqtt.js receives them. */
function pubacks(c: MqttClient): number[] {
  const ids: number[] = [];
  c.on('packetreceive', (p) => {
    if (p.cmd === 'puback') ids.push(p.messageId!);
  });
  return ids;
}

beforeAll(async () => {
  t = await startBroker();
  url = `mqtt://127.0.0.1:${t.port}`;
});
beforeEach(() => {
  t.onPublish = async () => {};
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});
afterAll(async () => {
  await t.stop();
});

describe('PUBACK waits for durability', () => {
  it('mqtt.js: no PUBACK while onPublish is pending; PUBACK after it resolves', async () => {
    const hold = deferred();
    const events: string[] = [];
    t.onPublish = async (ctx) => {
      if (ctx.gateway !== 'gw-east') return;
      events.push('onPublish');
      await hold.promise;
      events.push('durable');
    };
    const east = await client({ ...EAST, clientId: 'east-ack' });
    east.on('packetreceive', (p) => p.cmd === 'puback' && events.push('puback'));
    const acked = east.publishAsync(EAST_TOPIC, '{"battery":80}', { qos: 1 });
    await expect.poll(() => events.includes('onPublish'), { timeout: 5_000, message: 'onPublish' }).toBeTruthy();

    // A whole publish/PUBACK round trip of another gateway through the broker meanwhile.
    const west = await client(WEST);
    await west.publishAsync(WEST_TOPIC, '{}', { qos: 1 });
    expect(events).toEqual(['onPublish']);

    hold.resolve();
    await acked;
    expect(events).toEqual(['onPublish', 'durable', 'puback']);
    expect(t.broker.stats().accepted).toBeGreaterThanOrEqual(2);
  });

  it('mosquitto_pub -q 1 does not finish until onPublish resolves', async () => {
    const hold = deferred();
    t.onPublish = (ctx) => (ctx.gateway === 'gw-east' ? hold.promise : Promise.resolve());
    const before = t.published.length;
    const pub = mosquittoPub(t.port, ['gw-east', 'east-secret'], EAST_TOPIC, '{"battery":81}');
    await expect.poll(() => t.published.length > before, { timeout: 5_000, message: 'onPublish' }).toBeTruthy();
    const west = await client(WEST);
    await west.publishAsync(WEST_TOPIC, '{}', { qos: 1 });
    expect(pub.exited()).toBe(false);
    hold.resolve();
    expect((await pub.done).code).toBe(0);
  });

  it('sends PUBACKs in the order the PUBLISH packets arrived, even if onPublish settles out of order [MQTT-4.6.0-2]', async () => {
    const first = deferred();
    let calls = 0;
    t.onPublish = async (ctx) => {
      if (ctx.gateway === 'gw-east' && calls++ === 0) await first.promise;
    };
    const east = await client({ ...EAST, clientId: 'east-order' });
    const ids = pubacks(east);
    // Cork so both PUBLISH packets reach the broker in one read: it handles them concurrently.
    east.stream.cork();
    const a = east.publishAsync(EAST_TOPIC, '{"n":1}', { qos: 1 });
    const b = east.publishAsync(EAST_TOPIC, '{"n":2}', { qos: 1 });
    process.nextTick(() => east.stream.uncork());
    await expect.poll(() => calls === 2, { timeout: 5_000, message: 'both onPublish calls' }).toBeTruthy();
    const west = await client(WEST);
    await west.publishAsync(WEST_TOPIC, '{}', { qos: 1 });
    expect(ids).toEqual([]); // the second is durable, but waits for the first
    first.resolve();
    const [pa, pb] = await Promise.all([a, b]);
    expect(ids).toEqual([pa!.messageId, pb!.messageId]);
  });

  it('does not acknowledge when onPublish rejects: closes the connection, and the resent message is accepted', async () => {
    let attempts = 0;
    t.onPublish = async (ctx) => {
      if (ctx.gateway === 'gw-east' && attempts++ === 0) throw new Error('storage unavailable and spool full');
    };
    const failedBefore = t.broker.stats().failed;
    // mqtt.js keeps the unacknowledged QoS 1 PUBLISH and resends it after reconnecting [MQTT-4.4.0-1].
    const east = await client({ ...EAST, clientId: 'east-retry', clean: false, reconnectPeriod: 100 });
    const ids = pubacks(east);
    let closed = 0;
    east.on('close', () => closed++);
    await east.publishAsync(EAST_TOPIC, '{"battery":82}', { qos: 1 });
    expect(attempts).toBe(2);
    expect(closed).toBeGreaterThanOrEqual(1);
    expect(ids).toHaveLength(1); // only the second attempt was acknowledged
    expect(t.broker.stats().failed).toBe(failedBefore + 1);
    const log = t.logs.find((l) => String(l.msg).startsWith('mqtt publish not recorded'));
    expect(log).toMatchObject({ username: 'gw-east', topic: EAST_TOPIC });
  });

  it('mqtt.js without reconnecting: the PUBLISH is never acknowledged', async () => {
    t.onPublish = async (ctx) => {
      if (ctx.gateway === 'gw-east') throw new Error('storage unavailable');
    };
    const east = await client({ ...EAST, clientId: 'east-noack' });
    const ids = pubacks(east);
    let closed = false;
    east.on('close', () => (closed = true));
    east.publishAsync(EAST_TOPIC, '{}', { qos: 1 }).catch(() => {});
    await expect.poll(() => closed, { timeout: 5_000, message: 'the broker to close the connection' }).toBeTruthy();
    expect(ids).toEqual([]);
  });
});

describe('gateway status', () => {
  it('a retained status message reaches onPublish and onGatewayStatus; the gateway is listed while connected', async () => {
    const east = await client({ ...EAST, clientId: 'east-status' });
    await east.publishAsync(EAST_STATUS, 'online', { qos: 1, retain: true });
    expect(t.published.at(-1)).toMatchObject({ channel: 'status', gateway: 'gw-east', retain: true });
    expect(t.published.at(-1)!.device).toBeUndefined();
    expect(t.statuses.at(-1)).toEqual({ site: 'maple-court', gateway: 'gw-east', online: true, cause: 'status' });
    expect(t.broker.stats().gateways).toContain('gw-east');
  });

  it('publishes the Last Will when the socket is destroyed without DISCONNECT', async () => {
    const east = await client({
      ...EAST,
      clientId: 'east-will',
      will: { topic: EAST_STATUS, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    const before = t.statuses.length;
    east.stream.destroy();
    await expect.poll(() => t.statuses.length > before, { timeout: 5_000, message: 'onGatewayStatus' }).toBeTruthy();
    expect(t.statuses.slice(before)).toEqual([
      { site: 'maple-court', gateway: 'gw-east', online: false, cause: 'will' },
    ]);
    const will = t.published.at(-1)!;
    expect(will).toMatchObject({ channel: 'status', topic: EAST_STATUS, retain: true, qos: 1 });
    expect(will.payload.toString()).toBe('offline');
    await expect
      .poll(() => !t.broker.stats().gateways.includes('gw-east'), {
        timeout: 5_000,
        message: 'the gateway to leave the stats',
      })
      .toBeTruthy();
    // An observer subscribing later gets the retained Will.
    const sub = await mosquittoSub(t.port, ['watcher', 'watch-secret'], EAST_STATUS, ['-C', '1', '-W', '10']).done;
    expect(sub.stdout.trim()).toBe('offline');
  });

  it('mosquitto_sub killed with SIGKILL: its Will marks the gateway offline', async () => {
    const before = t.statuses.length;
    const sub = mosquittoSub(t.port, ['gw-west', 'west-secret'], `${ROOT}/maple-court/gw-west/#`, [
      '--will-topic',
      `${ROOT}/maple-court/gw-west/status`,
      '--will-payload',
      'offline',
      '--will-qos',
      '1',
      '--will-retain',
    ]);
    await expect
      .poll(() => t.logs.some((l) => l.msg === 'mqtt subscribed' && l.username === 'gw-west'), {
        timeout: 5_000,
        message: 'mosquitto_sub to subscribe',
      })
      .toBeTruthy();
    sub.kill();
    await sub.done;
    await expect.poll(() => t.statuses.length > before, { timeout: 5_000, message: 'onGatewayStatus' }).toBeTruthy();
    expect(t.statuses.slice(before)).toEqual([
      { site: 'maple-court', gateway: 'gw-west', online: false, cause: 'will' },
    ]);
  });

  it('a clean DISCONNECT does not publish the Will; the gateway is reported offline by the disconnect', async () => {
    const east = await connect(url, {
      ...EAST,
      clientId: 'east-clean',
      will: { topic: EAST_STATUS, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await expect
      .poll(() => t.broker.stats().gateways.includes('gw-east'), { timeout: 5_000, message: 'the gateway to connect' })
      .toBeTruthy();
    const published = t.published.length;
    const before = t.statuses.length;
    await east.endAsync();
    await expect.poll(() => t.statuses.length > before, { timeout: 5_000, message: 'onGatewayStatus' }).toBeTruthy();
    expect(t.statuses.slice(before)).toEqual([
      { site: 'maple-court', gateway: 'gw-east', online: false, cause: 'disconnect' },
    ]);
    expect(t.published.length).toBe(published);
  });

  it('reports offline only once when the gateway said offline before disconnecting', async () => {
    const east = await connect(url, { ...EAST, clientId: 'east-bye' });
    await east.publishAsync(EAST_STATUS, 'offline', { qos: 1, retain: true });
    await east.endAsync();
    await expect
      .poll(() => !t.broker.stats().gateways.includes('gw-east'), { timeout: 5_000, message: 'the gateway to leave' })
      .toBeTruthy();
    expect(t.statuses.at(-1)).toEqual({ site: 'maple-court', gateway: 'gw-east', online: false, cause: 'status' });
  });

  it('a reconnect that takes over the session: the old Will is recorded before the new online', async () => {
    const will = { topic: EAST_STATUS, payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const hold = deferred();
    // The old connection's Will is slow to record; the new connection's `online` must still come after it.
    t.onPublish = (ctx) =>
      ctx.channel === 'status' && ctx.payload.toString() === 'offline' ? hold.promise : Promise.resolve();
    const first = await client({ ...EAST, clientId: 'east-takeover', will });
    first.on('error', () => {});
    const before = t.published.length;
    const second = await client({ ...EAST, clientId: 'east-takeover', will }); // [MQTT-3.1.4-2] closes the first
    const online = second.publishAsync(EAST_STATUS, 'online', { qos: 1, retain: true });
    await expect
      .poll(() => t.published.length >= before + 2, { timeout: 5_000, message: 'both status messages' })
      .toBeTruthy();
    hold.resolve();
    await online;
    expect(t.published.slice(before).map((p) => p.payload.toString())).toEqual(['offline', 'online']);
    expect(t.statuses.slice(-2).map((s) => [s.online, s.cause])).toEqual([
      [false, 'will'],
      [true, 'status'],
    ]);
    expect(t.broker.stats().gateways).toContain('gw-east');
  });

  it('a Last Will on a topic the gateway may not publish is refused; the disconnect reports it offline', async () => {
    const foreign = `${ROOT}/maple-court/gw-west/status`;
    const east = await connect(url, {
      ...EAST,
      clientId: 'east-bad-will',
      will: { topic: foreign, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await expect
      .poll(() => t.broker.stats().gateways.includes('gw-east'), { timeout: 5_000, message: 'the gateway to connect' })
      .toBeTruthy();
    const published = t.published.length;
    const before = t.statuses.length;
    east.stream.destroy();
    await expect.poll(() => t.statuses.length > before, { timeout: 5_000, message: 'onGatewayStatus' }).toBeTruthy();
    expect(t.statuses.slice(before)).toEqual([
      { site: 'maple-court', gateway: 'gw-east', online: false, cause: 'disconnect' },
    ]);
    expect(t.published.length).toBe(published);
    expect(t.logs.filter((l) => l.reason === 'publish_foreign').at(-1)).toMatchObject({
      topic: foreign,
      detail: expect.stringMatching(/^Last Will/),
    });
    await east.endAsync(true);
  });
});
