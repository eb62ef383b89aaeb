/**
 * End to end, every dead-letter reason of src/normalise/reasons.ts that MQTT can produce (contract
 * sections 2 and 3): a real hub on loopback, Debian's mosquitto_pub -q 1 as the gateway, the real
 * InfluxDB. For each reason: a valid reading is published first, then the bad message; the
 * publisher gets its PUBACK (mosquitto_pub exits 0), the dead-letter store holds the payload
 * verbatim with its reason and topic, and InfluxDB holds exactly the readings accepted so far:
 * nothing accepted was lost and nothing of the bad message was written. (A PUBACK means "in the
 * hub's spool": reads wait, bounded, for the hub to drain it; `write_rejected` is decided then.)
 *
 * Not produced here, by design: `bad_topic` (the broker refuses such a PUBLISH itself, as
 * `publish_bad_topic`, and closes the connection: see refusals.test.ts) and `normaliser_error`
 * (only a broken device model produces it, and the hub loads only the models under devices/;
 * test/normalise/pipeline.test.ts covers it with broken models).
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_REASON_LIST, type RejectReason } from '../../src/normalise/reasons.ts';
import type { Point } from '../../src/point.ts';
import { connect } from '../broker/helpers.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  canonical,
  deadLetters,
  deviceTopic,
  drained,
  newDeadLetters,
  dropDatabase,
  EAST,
  FIXTURE,
  mosquittoPublish,
  ns,
  startHub,
  statusTopic,
  storedPoints,
  writeDirect,
  type E2eHub,
  type Message,
} from './helpers.ts';

const NOW = '2026-11-27T00:05:00Z';
const BIN = deviceTopic('gw-east', 'bin-01', 'telemetry');
const BIN_EVENTS = deviceTopic('gw-east', 'bin-01', 'event');
/** mqtt.maxPacketBytes here; the broker reads PUBLISH packets up to 4 × this (its ceiling). */
const MAX_PACKET = 4096;

/** Reasons this file cannot produce over MQTT, and why (see the file comment). */
const NOT_OVER_MQTT: Partial<Record<RejectReason, string>> = {
  bad_topic: 'refused by the broker (publish_bad_topic) before the pipeline',
  normaliser_error: 'needs a broken device model',
  spool_damaged: 'made by the drainer from damaged spool bytes (test/durability/damage.test.ts, quarantine.test.ts)',
};

/** A backlog of readings, as a JSON array just above maxPacketBytes and well below the ceiling. */
function oversizedPayload(): string {
  const readings: unknown[] = [];
  let text = '[]';
  for (let i = 0; text.length <= MAX_PACKET + 1024; i++) {
    readings.push({
      ts: new Date(Date.parse('2026-11-27T00:00:00Z') + i * 1000).toISOString(),
      battery: 80,
      temperature: 20.5,
    });
    text = JSON.stringify(readings);
  }
  return text;
}

interface Case {
  reason: RejectReason;
  what: string;
  topic: string;
  message: Message;
  /** The payload the dead letter must hold verbatim. */
  payload: string;
  detail: string;
}

const OVERSIZED = oversizedPayload();
const CASES: Case[] = [
  {
    reason: 'bad_json',
    what: 'truncated JSON',
    topic: BIN,
    message: { m: '{"ts":"2026-11-27T08:00:00+08:00","battery":87,' },
    payload: '{"ts":"2026-11-27T08:00:00+08:00","battery":87,',
    detail: 'not JSON',
  },
  {
    reason: 'bad_json',
    what: 'not UTF-8',
    topic: BIN,
    message: { f: 'latin1' },
    payload: '',
    detail: 'not valid UTF-8',
  },
  {
    reason: 'schema',
    what: 'battery as a string',
    topic: BIN,
    message: { m: '{"ts":"2026-11-27T08:00:00+08:00","battery":"full"}' },
    payload: '{"ts":"2026-11-27T08:00:00+08:00","battery":"full"}',
    detail: 'battery',
  },
  {
    reason: 'unknown_event_code',
    what: 'an unknown event type',
    topic: BIN_EVENTS,
    message: { m: '{"id":"e-9001","ts":"2026-11-27T08:01:00+08:00","type":"door_open"}' },
    payload: '{"id":"e-9001","ts":"2026-11-27T08:01:00+08:00","type":"door_open"}',
    detail: 'door_open',
  },
  {
    reason: 'clock_skew',
    what: '15 minutes ahead',
    topic: BIN,
    message: { m: '{"ts":"2026-11-27T08:20:00+08:00","battery":87}' },
    payload: '{"ts":"2026-11-27T08:20:00+08:00","battery":87}',
    detail: 'ahead of the hub',
  },
  {
    reason: 'too_old',
    what: '57 days old',
    topic: BIN,
    message: { m: '{"ts":"2026-10-01T00:00:00Z","battery":87}' },
    payload: '{"ts":"2026-10-01T00:00:00Z","battery":87}',
    detail: 'behind the hub',
  },
  {
    reason: 'oversized',
    what: `${OVERSIZED.length} bytes, between maxPacketBytes and the broker's ceiling`,
    topic: BIN,
    message: { m: OVERSIZED },
    payload: OVERSIZED,
    detail: `limit is ${MAX_PACKET}`,
  },
  {
    reason: 'empty_payload',
    what: 'a zero-length payload (mosquitto_pub -n)',
    topic: BIN,
    message: { n: true },
    payload: '',
    detail: 'empty',
  },
  {
    reason: 'empty_payload',
    what: 'an empty JSON array',
    topic: BIN,
    message: { m: '[]' },
    payload: '[]',
    detail: 'empty JSON array',
  },
  {
    reason: 'unknown_device',
    what: 'a device the inventory does not know',
    topic: deviceTopic('gw-east', 'ghost-99', 'telemetry'),
    message: { m: '{"battery":50}' },
    payload: '{"battery":50}',
    detail: 'ghost-99',
  },
  {
    reason: 'unknown_device',
    what: "another gateway's device, under its own subtree",
    topic: deviceTopic('gw-east', 'bin-02', 'telemetry'),
    message: { m: '{"battery":51}' },
    payload: '{"battery":51}',
    detail: 'bin-02',
  },
  {
    reason: 'bad_status',
    what: 'a status that is neither online nor offline',
    topic: statusTopic('gw-east'),
    message: { m: 'maybe' },
    payload: 'maybe',
    detail: 'online',
  },
];
/** Bytes of the non-UTF-8 case: "caf\xe9" in Latin-1. */
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);

const DATABASE = uniqueName('e2e_deadletters');
let h: E2eHub;
let gateway: MqttClient;
let latin1File: string;
/** Every reading the hub accepted so far, as it must be in InfluxDB. */
const accepted: Point[] = [];

function healthPoint(iso: string, battery?: number): Point {
  return {
    measurement: 'device_health',
    tags: { site: FIXTURE.site, gateway: 'gw-east', device: 'bin-01', building: 'b1', device_type: 'waste-bin' },
    fields: battery === undefined ? { heartbeat: true } : { battery_pct: battery, heartbeat: true },
    time: ns(iso),
  };
}

/** Publish a valid reading with mosquitto_pub and remember it as accepted. */
async function publishValid(iso: string, battery: number): Promise<void> {
  const r = await mosquittoPublish(h.port, EAST, BIN, { m: JSON.stringify({ ts: iso, battery }) });
  expect(r.code, r.stderr).toBe(0);
  accepted.push(healthPoint(iso, battery));
  await drained(h);
}

beforeAll(async () => {
  latin1File = join(tmpdir(), `${DATABASE}-latin1.bin`);
  await writeFile(latin1File, LATIN1);
  h = await startHub({
    database: DATABASE,
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    west: [{ id: 'bin-02', type: 'waste-bin', model: 'generic-v1' }],
    mqtt: { maxPacketBytes: MAX_PACKET },
  });
  h.clock.set(NOW);
  // A gateway session held open: mosquitto_pub's sessions ending then write no gateway_status.
  gateway = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'e2e-deadletters' });
});
afterAll(async () => {
  await gateway?.endAsync(true);
  await h?.stop();
  if (h) await dropDatabase(h.conn);
  await rm(latin1File, { force: true });
});

describe('every dead-letter reason reachable over MQTT ends in the dead-letter store', () => {
  it('the cases below and write_rejected cover every reason of REJECT_REASONS but those MQTT cannot produce', () => {
    const covered = new Set<string>([...CASES.map((c) => c.reason), 'write_rejected', ...Object.keys(NOT_OVER_MQTT)]);
    expect([...covered].sort()).toEqual([...REJECT_REASON_LIST].sort());
    expect(OVERSIZED.length).toBeGreaterThan(MAX_PACKET);
    expect(OVERSIZED.length).toBeLessThan(2 * MAX_PACKET); // far below the 4 × ceiling with the topic
  });

  it.each(CASES.map((c, i) => ({ ...c, i })))(
    '$reason: $what',
    async ({ reason, topic, message, payload, detail, i }) => {
      await publishValid(new Date(Date.parse('2026-11-27T00:00:00Z') + i * 1000).toISOString(), 50 + i);
      const before = await deadLetters(h);

      const r = await mosquittoPublish(h.port, EAST, topic, 'f' in message ? { f: latin1File } : message);
      expect(r.code, `mosquitto_pub got its PUBACK: ${r.stderr}`).toBe(0);
      await drained(h);

      const added = await newDeadLetters(h, before);
      expect(added).toHaveLength(1);
      const dl = added[0]!;
      expect(dl.topic).toBe(topic);
      expect(dl).toMatchObject({ site: FIXTURE.site, gateway: 'gw-east', receivedAt: Date.parse(NOW) });
      expect(dl.rejects).toHaveLength(1);
      expect(dl.rejects[0]).toMatchObject({ reason });
      expect(dl.rejects[0]!.detail).toContain(detail);
      if ('f' in message) {
        // Not UTF-8: kept as base64, byte for byte.
        expect(dl.encoding).toBe('base64');
        expect(Buffer.from(dl.payload, 'base64')).toEqual(LATIN1);
      } else {
        expect(dl.encoding).toBe('utf8');
        expect(dl.payload).toBe(payload);
      }
      expect(h.hub.stats().deadLetters).toHaveProperty(reason);

      // Nothing accepted was lost, nothing of the bad message was written.
      expect(canonical(await storedPoints(h.conn))).toEqual(canonical(accepted));
    },
  );

  it('write_rejected: InfluxDB refuses a field type conflict; the message is acknowledged and kept', async () => {
    // Field types are per shard (7-day shard groups for an infinite retention): this case uses a
    // week no other case writes, so the conflict touches nothing else.
    h.clock.set('2026-11-10T00:05:00Z');
    const conflicting: Point = {
      measurement: 'bin_level',
      tags: { site: FIXTURE.site, gateway: 'gw-east', device: 'bin-01', building: 'b1', category: 'kitchen' },
      fields: { fill_pct: 'full' },
      time: ns('2026-11-10T00:00:00Z'),
    };
    await writeDirect(h.conn, [conflicting]);
    await publishValid('2026-11-10T00:01:00Z', 66);
    const before = await deadLetters(h);

    const payload = '{"ts":"2026-11-10T00:02:00Z","compartments":[{"category":"kitchen","fill":62}]}';
    const r = await mosquittoPublish(h.port, EAST, BIN, { m: payload });
    expect(r.code, `mosquitto_pub got its PUBACK: ${r.stderr}`).toBe(0);
    await drained(h);

    const added = await newDeadLetters(h, before);
    expect(added).toHaveLength(1);
    const dl = added[0]!;
    expect(dl).toMatchObject({
      topic: BIN,
      site: FIXTURE.site,
      gateway: 'gw-east',
      device: 'bin-01',
      channel: 'telemetry',
      encoding: 'utf8',
      payload,
    });
    expect(dl.rejects).toEqual([{ reason: 'write_rejected', detail: expect.stringContaining('field type conflict') }]);

    // Accepted readings are intact and the string stays. InfluxDB 1.x writes the points of a
    // refused batch that do not conflict ("partial write"): the message's heartbeat is there,
    // its bin_level is not. A replay from the dead-letter store rewrites the same heartbeat point.
    expect(canonical(await storedPoints(h.conn))).toEqual(
      canonical([...accepted, conflicting, healthPoint('2026-11-10T00:02:00Z')]),
    );
  });
});
