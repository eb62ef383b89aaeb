/**
 * End to end, gateway status (docs/contract.md §2 and §4): `online` published retained on
 * `{root}/{site}/{gateway}/status` becomes a `gateway_status` point with online=true; the gateway's
 * Last Will (`offline`), published by the hub when the connection dies without DISCONNECT, becomes
 * online=false; and a connection lost without a Will is recorded as offline too. The hub's clock is
 * moved between steps so each step has its own point time.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Point } from '../../src/point.ts';
import { connect, mosquittoSub } from '../broker/helpers.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  canonical,
  deadLetters,
  drained,
  dropDatabase,
  EAST,
  FIXTURE,
  ns,
  WATCHER,
  startHub,
  statusTopic,
  storedPoints,
  type E2eHub,
} from './helpers.ts';

const DATABASE = uniqueName('e2e_status');
const STATUS = statusTopic('gw-east');
const T1 = '2026-11-27T00:05:00Z';
const T2 = '2026-11-27T00:06:00Z';
const T3 = '2026-11-27T00:07:00Z';
let h: E2eHub;
const clients: MqttClient[] = [];

function statusPoint(iso: string, online: boolean): Point {
  return {
    measurement: 'gateway_status',
    tags: { site: FIXTURE.site, gateway: 'gw-east' },
    fields: { online },
    time: ns(iso),
  };
}

async function statusRows(): Promise<Point[]> {
  return canonical(await storedPoints(h.conn));
}

/**
 * The stored points once they equal `want`, or as they are after a bounded wait (10 s): the Will
 * and a lost connection are recorded after the socket closes, with no acknowledgement to await.
 */
async function rowsOnceSettled(want: Point[]): Promise<Point[]> {
  const target = JSON.stringify(canonical(want));
  let rows: Point[] = [];
  await vi
    .waitFor(
      async () => {
        rows = await statusRows();
        if (JSON.stringify(rows) !== target) throw new Error('not settled yet');
      },
      { timeout: 10_000, interval: 50 },
    )
    .catch(() => undefined);
  return rows;
}

/**
 * The retained status as a subscriber sees it: mosquitto_sub as a read-only observer (not the
 * gateway, whose own short session would count for its presence), one message, bounded.
 */
async function retainedStatus(): Promise<string> {
  const r = await mosquittoSub(h.port, WATCHER, STATUS, ['-C', '1', '-W', '10']).done;
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  h = await startHub({
    database: DATABASE,
    observer: true,
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await h?.stop();
  if (h) await dropDatabase(h.conn);
});

describe('gateway status through the hub into InfluxDB', () => {
  it('online, retained, then the Last Will on an abrupt disconnect', async () => {
    h.clock.set(T1);
    const gw = await connect(h.url, {
      username: EAST[0],
      password: EAST[1],
      clientId: 'e2e-status-will',
      will: { topic: STATUS, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    clients.push(gw);
    await gw.publishAsync(STATUS, 'online', { qos: 1, retain: true }); // resolves on the PUBACK
    await drained(h);
    expect(await statusRows()).toEqual([statusPoint(T1, true)]);
    expect(await retainedStatus()).toBe('online');

    // Abrupt end: the socket dies without DISCONNECT, so the hub publishes the Will [MQTT-3.1.2-8].
    h.clock.set(T2);
    gw.stream.destroy();
    expect(await rowsOnceSettled([statusPoint(T1, true), statusPoint(T2, false)])).toEqual(
      canonical([statusPoint(T1, true), statusPoint(T2, false)]),
    );
    // Recorded from the Will itself, not from the fallback for connections lost without one.
    // (The hub logs the status once the Will is recorded: wait for that line, bounded.)
    await expect
      .poll(() => h.logs.some((l) => l.gateway === 'gw-east' && l.cause === 'will'), {
        timeout: 5_000,
        message: 'the Will to be reported',
      })
      .toBeTruthy();
    expect(h.logs.filter((l) => l.gateway === 'gw-east' && l.online === false).map((l) => l.cause)).toEqual(['will']);
    expect(await retainedStatus()).toBe('offline'); // the Will was retained
  });

  it('a connection lost without a Will is recorded as offline as well', async () => {
    h.clock.set(T3);
    const gw = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'e2e-status-nowill' });
    clients.push(gw);
    gw.stream.destroy();
    const want = [statusPoint(T1, true), statusPoint(T2, false), statusPoint(T3, false)];
    expect(await rowsOnceSettled(want)).toEqual(canonical(want));
    expect(h.logs.filter((l) => l.gateway === 'gw-east' && l.online === false).map((l) => l.cause)).toEqual([
      'will',
      'disconnect',
    ]);
    expect(await deadLetters(h)).toEqual([]);
  });
});
