/**
 * End to end, no acknowledged message is overwritten (docs/contract.md §2 "Delivery" and §4 point
 * keys; src/normalise/stamp.ts): a burst of readings without a time, sent by Debian's
 * `mosquitto_pub -l` at QoS 1 (each acknowledged), must be as many points in the real InfluxDB,
 * although many arrive in the same millisecond; the same for a burst of gateway status messages.
 * Before arrival slots, readings of one device in one millisecond shared a key and overwrote each
 * other (200 sent, 43 stored).
 */
import { spawn } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Run } from '../broker/helpers.ts';
import { sharedSettings, uniqueName } from '../helpers/influx-shared.ts';
import { connectInflux, query } from '../../src/store/index.ts';
import {
  deviceTopic,
  drained,
  dropDatabase,
  EAST,
  FIXTURE,
  fixedClock,
  startHub,
  statusTopic,
  type E2eHub,
} from './helpers.ts';

const DATABASE = uniqueName('e2e_stamps');
const BURST = 1_000;

/** `mosquitto_pub -l` at QoS 1: one message per line of `lines`, written to its stdin. */
function publishLines(port: number, topic: string, lines: string[]): Promise<Run> {
  const child = spawn(
    '/usr/bin/mosquitto_pub',
    ['-h', '127.0.0.1', '-p', String(port), '-u', EAST[0], '-P', EAST[1], '-q', '1', '-t', topic, '-l'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  child.stdin.end(lines.join('\n') + '\n');
  return done;
}

/** Rows of an InfluxQL query, once there are `want` of them or after a bounded wait (drained first). */
async function rowsOnce(h: E2eHub, q: string, want: number): Promise<Record<string, unknown>[]> {
  await drained(h);
  let rows = (await query(h.conn, q)).map((r) => r.values);
  for (const end = Date.now() + 10_000; rows.length < want && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 100));
    rows = (await query(h.conn, q)).map((r) => r.values);
  }
  return rows;
}

afterAll(async () => {
  await dropDatabase(connectInflux(sharedSettings({ database: DATABASE })));
});

describe('bursts without a time: every acknowledged message is its own point', () => {
  let h: E2eHub;
  /** A gateway session held open, so mosquitto_pub's sessions ending add no offline point. */
  let gateway: MqttClient;

  beforeAll(async () => {
    h = await startHub({
      database: DATABASE,
      east: [{ id: FIXTURE.device, type: 'access-gate', model: 'generic-v1', building: FIXTURE.building }],
      // The hub's real clock, as in the burst that was seen (not a test's fixed one).
      clock: { now: Date.now, set: () => undefined },
    });
    gateway = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'e2e-stamps' });
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await h?.stop();
  });

  it(`stores ${BURST} readings without a time from one mosquitto_pub -l burst as ${BURST} points`, async () => {
    // Distinct contents (battery 0…100, door, tamper) so the values stored can be checked too.
    const lines = Array.from({ length: BURST }, (_, i) =>
      JSON.stringify({ battery: i % 101, door: i % 2 ? 'open' : 'closed', tamper: i % 7 === 0 }),
    );
    const r = await publishLines(h.port, deviceTopic(FIXTURE.gateway, FIXTURE.device, 'telemetry'), lines);
    expect(r.code, `mosquitto_pub: ${r.stderr}`).toBe(0);

    const rows = await rowsOnce(h, 'SELECT battery_pct, door_open, tamper FROM device_health', BURST);
    expect(rows).toHaveLength(BURST);
    const key = (b: unknown, d: unknown, t: unknown) => `${String(b)}/${String(d)}/${String(t)}`;
    const got = rows.map((v) => key(v.battery_pct, v.door_open, v.tamper)).sort();
    const sent = Array.from({ length: BURST }, (_, i) => key(i % 101, i % 2 === 1, i % 7 === 0)).sort();
    expect(got).toEqual(sent);
    // Offset 0 of a millisecond is left to readings with their own time.
    expect(rows.filter((v) => BigInt(v.time as string) % 1_000_000n === 0n)).toEqual([]);
  });
});

describe('a burst of gateway status messages in one millisecond', () => {
  let h: E2eHub;
  let gateway: MqttClient;

  beforeAll(async () => {
    // A fixed clock: every status message of the burst arrives in the same millisecond.
    h = await startHub({ database: DATABASE, east: [], clock: fixedClock('2026-11-27T00:05:00Z') });
    gateway = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'e2e-stamps-status' });
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await h?.stop();
  });

  it(`stores ${BURST} status messages as ${BURST} gateway_status points`, async () => {
    const lines = Array.from({ length: BURST }, (_, i) => (i % 3 === 0 ? 'offline' : 'online'));
    const r = await publishLines(h.port, statusTopic('gw-east'), lines);
    expect(r.code, `mosquitto_pub: ${r.stderr}`).toBe(0);

    const rows = await rowsOnce(h, `SELECT online FROM gateway_status WHERE gateway = 'gw-east'`, BURST);
    expect(rows).toHaveLength(BURST);
    expect(rows.filter((v) => v.online === false)).toHaveLength(Math.ceil(BURST / 3));
    const ms = BigInt(Date.parse('2026-11-27T00:05:00Z'));
    expect(new Set(rows.map((v) => BigInt(v.time as string) / 1_000_000n))).toEqual(new Set([ms]));
  });
});
