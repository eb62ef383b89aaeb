/**
 * End to end, every golden fixture of every model (devices/<type>/<model>/fixtures/<case>/): its
 * payload is published over real TCP to a real hub — with Debian's mosquitto_pub -q 1 for most
 * cases and mqtt.js for every third — and must end as exactly the fixture's expected points in the
 * real InfluxDB (measurement, tags, fields, nanosecond time), and its rejects as one dead letter
 * holding the payload verbatim with the reasons (devices/README.md, "Fixtures"; docs/contract.md
 * §2–§4). Adding a fixture or a model needs no change here.
 *
 * One hub per model, since the fixtures all name device dev-01 behind gw-east at maple-court,
 * building b1. The hub's clock is set to each case's `now` (default `receivedAt`), as
 * test/devices/fixtures.test.ts does. The database is emptied before each case, so what InfluxDB
 * holds afterwards is what that one message wrote. A PUBACK means "in the hub's spool": each case
 * waits (bounded) for the hub to drain it into InfluxDB before reading.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../broker/helpers.ts';
import { expectation, fixtureInput, modelFixtures } from '../helpers/fixtures.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import { connectInflux } from '../../src/store/index.ts';
import {
  canonical,
  deadLetters,
  drained,
  newDeadLetters,
  deviceTopic,
  dropDatabase,
  EAST,
  FIXTURE,
  mosquittoPublish,
  startHub,
  storedPoints,
  wipe,
  type E2eHub,
} from './helpers.ts';

interface Case {
  name: string;
  dir: string;
  via: 'mosquitto_pub' | 'mqtt.js';
}

const DATABASE = uniqueName('e2e_fixtures');

// Two in three cases go through mosquitto_pub (a third-party client), one in three through mqtt.js.
const models = modelFixtures().map(({ type, model, cases }) => ({
  type,
  model,
  cases: cases.map((c, i): Case => ({ ...c, via: i % 3 === 2 ? 'mqtt.js' : 'mosquitto_pub' })),
}));

afterAll(async () => {
  await dropDatabase(connectInflux(sharedSettings({ database: DATABASE })));
});

it('finds fixtures of every model', () => {
  expect(models.length).toBeGreaterThanOrEqual(4);
  for (const m of models) expect(m.cases.length, `${m.type}/${m.model}`).toBeGreaterThan(0);
  // Both kinds of client are used.
  expect(new Set(models.flatMap((m) => m.cases.map((c) => c.via)))).toEqual(new Set(['mosquitto_pub', 'mqtt.js']));
});

describe.each(models)('$type/$model fixtures through MQTT, the hub and InfluxDB', ({ type, model, cases }) => {
  let h: E2eHub;
  /** A gateway session held open throughout, which mqtt.js cases publish on. */
  let gateway: MqttClient;

  beforeAll(async () => {
    h = await startHub({ database: DATABASE, east: [{ id: FIXTURE.device, type, model, building: FIXTURE.building }] });
    // While this session is open, the short mosquitto_pub sessions ending do not make the gateway
    // offline (src/broker/presence.ts), so no gateway_status point lands between cases.
    gateway = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: `e2e-fixtures-${model}` });
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await h?.stop();
  });

  it.each(cases)('$name (via $via)', async ({ dir, via }) => {
    const input = fixtureInput(dir);
    const receivedAt = input.receivedAt ?? FIXTURE.receivedAt;
    const now = input.now ?? receivedAt;
    // The hub has one clock: a message arrives (receivedAt) when the time rules judge it (now).
    if (Date.parse(now) !== Date.parse(receivedAt)) {
      throw new Error(
        `${dir}: "now" differs from "receivedAt"; a hub stamps arrivals with its own clock, so this case cannot run end to end`,
      );
    }
    const text = input.raw ?? JSON.stringify(input.payload);
    const topic = deviceTopic(FIXTURE.gateway, FIXTURE.device, input.channel);
    const want = expectation(dir);

    h.clock.set(now);
    await wipe(h.conn);
    const before = await deadLetters(h);

    if (via === 'mosquitto_pub') {
      const r = await mosquittoPublish(h.port, EAST, topic, { m: text });
      expect(r.code, `mosquitto_pub: ${r.stderr}`).toBe(0); // exit 0 at QoS 1: the PUBACK came
    } else {
      const packet = await gateway.publishAsync(topic, text, { qos: 1 }); // resolves on the PUBACK
      expect(packet?.messageId).toBeTypeOf('number');
    }

    // The PUBACK means durable in the hub's spool (docs/contract.md §2); its drainer then writes
    // to InfluxDB. Compared point for point: two expected points sharing a series and time would
    // be one in InfluxDB and fail here (docs/contract.md §4: different events never overwrite).
    await drained(h);
    expect(canonical(await storedPoints(h.conn))).toEqual(canonical(want.points));

    const added = await newDeadLetters(h, before);
    if (want.rejects.length === 0) {
      expect(added).toEqual([]);
      return;
    }
    expect(added).toHaveLength(1);
    const dl = added[0]!;
    expect(dl).toMatchObject({
      topic,
      site: FIXTURE.site,
      gateway: FIXTURE.gateway,
      device: FIXTURE.device,
      channel: input.channel,
      receivedAt: Date.parse(receivedAt),
      encoding: 'utf8',
    });
    expect(dl.payload).toBe(text); // verbatim
    expect(dl.rejects.map((r) => ({ reason: r.reason, index: r.index }))).toEqual(
      want.rejects.map((r) => ({ reason: r.reason, index: r.index })),
    );
    want.rejects.forEach((w, i) => {
      if (w.detail !== undefined) expect(dl.rejects[i]!.detail).toContain(w.detail);
    });
  });
});
