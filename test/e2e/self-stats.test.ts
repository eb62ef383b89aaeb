/**
 * End to end, the hub's own series (what the hub-health dashboard reads): a real hub samples `hub.stats()` into
 * its spool every `selfStats.interval`, and the drainer writes the samples to the real InfluxDB.
 * Good readings, a malformed one (a `bad_json` dead letter) and a refused login over real MQTT
 * must show up as `hub_stats` counters and `hub_rejects` counts, read back with InfluxQL.
 *
 * The hub's clock is fixed (helpers.ts), so every sample lands on the same InfluxDB point and the
 * newest one wins: the test polls, with a deadline, until that point holds the expected counters.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type QueryValue } from '../../src/store/index.ts';
import { connect } from '../broker/helpers.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { deviceTopic, dropDatabase, EAST, mosquittoPublish, SECRETS, startHub, type E2eHub } from './helpers.ts';

const DATABASE = uniqueName('e2e_selfstats');
const BIN = deviceTopic('gw-east', 'bin-01', 'telemetry');
const INSTANCE = 'e2e-hub';
let h: E2eHub;
let gateway: MqttClient;

/** The newest values of `measurement` for `where`, or undefined while there is none. */
async function latest(measurement: string, where: string): Promise<Record<string, QueryValue> | undefined> {
  const rows = await query(
    h.conn,
    `SELECT * FROM "${measurement}" WHERE "instance" = '${INSTANCE}' ${where} ORDER BY time DESC LIMIT 1`,
  );
  return rows[0]?.values;
}

beforeAll(async () => {
  h = await startHub({
    database: DATABASE,
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    selfStats: { enabled: true, interval: '200ms', instance: INSTANCE },
  });
  // A gateway session held open: it is what `gateways_connected` counts, and mosquitto_pub's
  // sessions ending then write no gateway_status point (no message of their own).
  gateway = await connect(h.url, { username: EAST[0], password: EAST[1], clientId: 'e2e-selfstats' });
});
afterAll(async () => {
  await gateway?.endAsync(true);
  await h?.stop();
  if (h) await dropDatabase(h.conn);
});

describe('the hub writes its own series to InfluxDB', () => {
  it('hub_stats counts the messages, points and dead letters; hub_rejects counts them by stage and reason', async () => {
    for (const [i, battery] of [80, 81, 82].entries()) {
      const r = await mosquittoPublish(h.port, EAST, BIN, {
        m: JSON.stringify({ ts: `2026-11-27T00:0${i}:00Z`, battery }),
      });
      expect(r.code, r.stderr).toBe(0);
    }
    const bad = await mosquittoPublish(h.port, EAST, BIN, { m: '{"ts":"2026-11-27T00:04:00Z","battery":' });
    expect(bad.code, bad.stderr).toBe(0);
    // A wrong secret: refused at CONNECT (bad_secret), so mosquitto_pub fails.
    const refused = await mosquittoPublish(h.port, ['gw-east', SECRETS['gw-west']], BIN, { m: '{"battery":1}' });
    expect(refused.code).not.toBe(0);

    let stats: Record<string, QueryValue> | undefined;
    await expect
      .poll(
        async () => {
          stats = await latest('hub_stats', '');
          return stats?.messages === 4 && stats.mqtt_refusals === 1;
        },
        { timeout: 20_000, message: 'a hub_stats sample with 4 messages and 1 refusal in InfluxDB' },
      )
      .toBe(true);
    expect(stats).toMatchObject({
      instance: INSTANCE,
      messages: 4,
      points_spooled: 3,
      dead_lettered: 1,
      failed: 0,
      mqtt_refusals: 1,
      gateways_connected: 1,
      spool_refused: 0,
    });
    // The drainer's count includes the samples it wrote before this one, so at least the readings.
    expect(stats?.points_written).toBeGreaterThanOrEqual(3);
    for (const field of [
      'mqtt_connections',
      'spool_bytes',
      'spool_lag_bytes',
      'spool_segments',
      'spool_oldest_age_s',
      'batches_in_flight',
      'write_requests',
      'drain_retries',
    ]) {
      expect(typeof stats?.[field], field).toBe('number');
    }

    await expect
      .poll(async () => (await latest('hub_rejects', `AND "stage" = 'dead_letter' AND "reason" = 'bad_json'`))?.count, {
        timeout: 20_000,
        message: 'hub_rejects bad_json',
      })
      .toBe(1);
    await expect
      .poll(async () => (await latest('hub_rejects', `AND "stage" = 'mqtt' AND "reason" = 'bad_secret'`))?.count, {
        timeout: 20_000,
        message: 'hub_rejects bad_secret',
      })
      .toBe(1);
    expect((await latest('hub_rejects', `AND "stage" = 'dead_letter' AND "reason" = 'schema'`))?.count).toBe(0);

    const counts = h.hub.stats().selfStats;
    expect(counts?.samples).toBeGreaterThan(0);
    expect(counts?.failures).toBe(0);
  });
});
