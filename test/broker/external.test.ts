/**
 * The external broker component (src/broker/external.ts) against Debian's Mosquitto, in process:
 * a message whose `onPublish` fails is not acknowledged and the broker delivers it again; topics
 * of gateways the inventory does not place at that site are refused and never handed on; the
 * hub's own retained messages reach the broker; a broker that cannot be reached fails the start
 * with HUB_ERR_BROKER_UNREACHABLE.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createExternalBroker, sharedFilters, type HubBroker, type PublishContext } from '../../src/broker/index.ts';
import { AuthCache } from '../../src/broker/auth-cache.ts';
import { isHubError } from '../../src/errors.ts';
import { captureLogs } from '../helpers/hub.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { mosquittoPub, mosquittoSub, mqttConfig, ROOT, telemetry, testInventory } from './helpers.ts';

let mosquitto: Mosquitto;
const brokers: HubBroker[] = [];

beforeAll(async () => {
  mosquitto = await startMosquitto();
}, 30_000);

afterAll(async () => {
  for (const b of brokers) await b.stop();
  await mosquitto?.stop();
});

function external(onPublish: (ctx: PublishContext) => Promise<void>, overrides: Record<string, unknown> = {}) {
  const logs = captureLogs();
  const broker = createExternalBroker({
    config: mqttConfig({
      mode: 'external',
      brokerUrl: `mqtt://127.0.0.1:${mosquitto.port}`,
      clientId: `unit-${brokers.length}`,
      // A group of its own: a stopped member's kept session still gets its share (queued for it).
      shareGroup: `unit-${brokers.length}`,
      brokerConnections: 1,
      ...overrides,
    }),
    inventory: testInventory(),
    logger: logs.logger,
    authCache: new AuthCache({ ttlMs: 0 }),
    onPublish,
  });
  brokers.push(broker);
  return { broker, logs };
}

describe('external broker mode', () => {
  it('subscribes in the share group to the gateway topics and status', () => {
    expect(sharedFilters('community/v1/', 'g1')).toEqual([
      '$share/g1/community/v1/+/+/+/+',
      '$share/g1/community/v1/+/+/status',
    ]);
  });

  it('acknowledges only what onPublish kept: a failed message comes back until it is kept', async () => {
    const seen: string[] = [];
    const failedOnce = new Set<string>();
    const { broker } = external(async (ctx) => {
      const body = ctx.payload.toString();
      seen.push(body);
      if (!failedOnce.has(body)) {
        failedOnce.add(body);
        throw new Error('spool full (test)');
      }
    });
    await broker.start();
    for (const m of ['one', 'two', 'three'])
      expect(
        (await mosquittoPub(mosquitto.port, undefined, telemetry('maple-court', 'gw-east', 'bin-01'), m).done).code,
      ).toBe(0);
    await vi.waitFor(() => expect(broker.stats().accepted).toBe(3), { timeout: 30_000, interval: 50 });
    // Each was handed over, refused (not acknowledged), delivered again by Mosquitto and kept.
    for (const m of ['one', 'two', 'three']) expect(seen.filter((s) => s === m)).toHaveLength(2);
    expect(broker.stats().failed).toBe(3);
    await broker.stop();
  }, 60_000);

  it('refuses topics of gateways the inventory does not place at that site, and bad topics', async () => {
    const got: PublishContext[] = [];
    const { broker } = external(async (ctx) => void got.push(ctx));
    await broker.start();
    const send = async (topic: string) =>
      expect((await mosquittoPub(mosquitto.port, undefined, topic, '{}').done).code).toBe(0);
    await send(`${ROOT}/maple-court/gw-nobody/bin-01/telemetry`); // unknown gateway
    await send(`${ROOT}/maple-court/gw-oak/bin-01/telemetry`); // gw-oak is at oak-park
    await send(`${ROOT}/maple-court/gw-east/bin-01/other`); // not a channel
    await send(`${ROOT}/maple-court/gw-east/status`);
    await send(telemetry('oak-park', 'gw-oak', 'bin-01'));
    await vi.waitFor(() => expect(got).toHaveLength(2), { timeout: 15_000, interval: 50 });
    expect(got.map((c) => [c.site, c.gateway, c.device, c.channel])).toEqual([
      ['maple-court', 'gw-east', undefined, 'status'],
      ['oak-park', 'gw-oak', 'bin-01', 'telemetry'],
    ]);
    expect(broker.stats().refusals).toMatchObject({ publish_foreign: 2, publish_bad_topic: 1 });
    await broker.stop();
  }, 60_000);

  it("publishes the hub's retained messages to the broker", async () => {
    const { broker } = external(async () => undefined);
    await broker.start();
    await broker.publish(`${ROOT}/maple-court/kpi/sorting_coverage`, '{"value":0.9}', { retain: true, qos: 1 });
    const sub = mosquittoSub(mosquitto.port, ['any', 'any'], `${ROOT}/maple-court/kpi/#`, ['-C', '1', '-v'], 10_000);
    const r = await sub.done;
    expect(r.stdout.trim()).toBe(`${ROOT}/maple-court/kpi/sorting_coverage {"value":0.9}`);
    await broker.stop();
  }, 30_000);

  it('a broker that cannot be reached fails the start with HUB_ERR_BROKER_UNREACHABLE', async () => {
    const { broker } = external(async () => undefined, { brokerUrl: 'mqtt://127.0.0.1:1', connectTimeout: '1s' });
    const e = await broker.start().catch((err: unknown) => err);
    expect(isHubError(e) && e.code).toBe('HUB_ERR_BROKER_UNREACHABLE');
    expect(broker.ports()).toBeUndefined();
  }, 30_000);
});
