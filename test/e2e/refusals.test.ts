/**
 * End to end, the broker's refusals through the full hub (docs/contract.md §2, access rules). The
 * broker's own tests (test/broker/) cover them in depth against a stub; here each is tried once
 * against a real hub with Debian's mosquitto_pub (and mqtt.js where mosquitto_pub will not send),
 * every refused message being a valid reading that would land in InfluxDB if it got through.
 * Afterwards InfluxDB and the dead-letter store hold nothing of them; a valid message then lands.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefusalReason } from '../../src/broker/index.ts';
import { query } from '../../src/store/index.ts';
import { connect } from '../broker/helpers.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  canonical,
  deadLetters,
  deviceTopic,
  drained,
  dropDatabase,
  EAST,
  FIXTURE,
  mosquittoPublish,
  ns,
  ROOT,
  SECRETS,
  startHub,
  storedPoints,
  type E2eHub,
} from './helpers.ts';

const DATABASE = uniqueName('e2e_refusals');
const NOW = '2026-11-27T00:05:00Z';
const BIN = deviceTopic('gw-east', 'bin-01', 'telemetry');
let h: E2eHub;
let gateway: MqttClient;

beforeAll(async () => {
  h = await startHub({
    database: DATABASE,
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    west: [{ id: 'bin-02', type: 'waste-bin', model: 'generic-v1' }],
  });
  h.clock.set(NOW);
  // gw-east's own session, held open: a refused publish closing another of its connections does
  // not make it offline, so no gateway_status point is written either.
  gateway = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'e2e-refusals' });
});
afterAll(async () => {
  await gateway?.endAsync(true);
  await h?.stop();
  if (h) await dropDatabase(h.conn);
});

function refusals(): Record<RefusalReason, number> {
  return (h.hub.stats().broker as { refusals: Record<RefusalReason, number> }).refusals;
}

describe('refusals through the full hub: nothing of a refused client reaches InfluxDB', () => {
  it.each([
    {
      what: 'a wrong secret',
      auth: ['gw-east', SECRETS['gw-west']],
      topic: BIN,
      reason: 'bad_secret',
      code: 4,
      stderr: 'Connection Refused: bad user name or password.',
    },
    {
      what: 'an unknown gateway',
      auth: ['gw-nowhere', SECRETS['gw-east']],
      topic: BIN,
      reason: 'unknown_user',
      code: 4,
      stderr: 'Connection Refused: bad user name or password.',
    },
    {
      what: 'an anonymous client',
      auth: undefined,
      topic: BIN,
      reason: 'anonymous',
      code: 5,
      stderr: 'Connection Refused: not authorised.',
    },
    {
      what: 'a username with +',
      auth: ['gw+east', SECRETS['gw-east']],
      topic: BIN,
      reason: 'bad_username',
      code: 4,
      stderr: 'Connection Refused: bad user name or password.',
    },
    {
      what: 'a username with #',
      auth: ['#', SECRETS['gw-east']],
      topic: BIN,
      reason: 'bad_username',
      code: 4,
      stderr: 'Connection Refused: bad user name or password.',
    },
    {
      what: "a publish under another gateway's subtree",
      auth: EAST,
      topic: deviceTopic('gw-west', 'bin-02', 'telemetry'),
      reason: 'publish_foreign',
      code: 'non-zero',
      stderr: 'The connection was lost',
    },
    {
      what: 'a publish under another site',
      auth: EAST,
      topic: `${ROOT}/oak-park/gw-east/bin-01/telemetry`,
      reason: 'publish_foreign',
      code: 'non-zero',
      stderr: 'The connection was lost',
    },
    {
      what: 'a publish to an unknown channel of its own device',
      auth: EAST,
      topic: `${ROOT}/${FIXTURE.site}/gw-east/bin-01/config`,
      reason: 'publish_bad_topic',
      code: 'non-zero',
      stderr: 'The connection was lost',
    },
  ] as const)('mosquitto_pub: $what is refused ($reason)', async ({ auth, topic, reason, code, stderr }) => {
    const before = refusals()[reason];
    const r = await mosquittoPublish(h.port, auth ? [auth[0], auth[1]] : undefined, topic, { m: '{"battery":11}' });
    if (code === 'non-zero') expect(r.code).not.toBe(0);
    else expect(r.code).toBe(code); // mosquitto_pub exits with the CONNACK return code
    expect(r.stderr).toContain(stderr);
    await expect
      .poll(() => refusals()[reason] === before + 1, { timeout: 5_000, message: `the ${reason} refusal to be counted` })
      .toBeTruthy();
    const log = h.logs.filter((l) => l.reason === reason).at(-1);
    expect(log?.msg).toContain(`mqtt refused (${reason})`);
    if (auth) expect(log?.username).toBe(auth[0]);
  });

  it('a wildcard publish: mosquitto_pub will not send it; sent with mqtt.js, the hub closes the connection unacknowledged', async () => {
    const topic = `${ROOT}/${FIXTURE.site}/gw-east/+/telemetry`;
    const local = await mosquittoPublish(h.port, EAST, topic, { m: '{"battery":12}' });
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('Invalid publish topic');

    const before = refusals().publish_wildcard;
    const c = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'e2e-wildcard' });
    let acked = false;
    let closed = false;
    c.on('packetreceive', (p) => {
      if (p.cmd === 'puback') acked = true;
    });
    c.on('close', () => (closed = true));
    c.publishAsync(topic, '{"battery":12}', { qos: 1 }).catch(() => {});
    await expect.poll(() => closed, { timeout: 5_000, message: 'the hub to close the connection' }).toBeTruthy();
    await c.endAsync(true);
    expect(acked).toBe(false);
    await expect
      .poll(() => refusals().publish_wildcard === before + 1, {
        timeout: 5_000,
        message: 'the publish_wildcard refusal to be counted',
      })
      .toBeTruthy();
  });

  it('InfluxDB and the dead-letter store hold nothing of the refused messages; a valid one then lands', async () => {
    await drained(h);
    expect(await query(h.conn, 'SHOW MEASUREMENTS')).toEqual([]);
    expect(await deadLetters(h)).toEqual([]);

    const r = await mosquittoPublish(h.port, EAST, BIN, { m: '{"ts":"2026-11-27T00:04:00Z","battery":13}' });
    expect(r.code, r.stderr).toBe(0);
    await drained(h);
    expect(canonical(await storedPoints(h.conn))).toEqual(
      canonical([
        {
          measurement: 'device_health',
          tags: { site: FIXTURE.site, gateway: 'gw-east', device: 'bin-01', building: 'b1', device_type: 'waste-bin' },
          fields: { battery_pct: 13, heartbeat: true },
          time: ns('2026-11-27T00:04:00Z'),
        },
      ]),
    );
  });
});
