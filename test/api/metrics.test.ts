/**
 * `/metrics` (docs/contract.md §6) shows the write-latency histogram of the drainer's
 * InfluxDB writer and the KPI scheduler's run durations and counts, over the hub's listening HTTP
 * socket, after real ingest (MQTT → spool → InfluxDB) and scheduled KPI runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/influx-shared.ts';
import {
  deviceTopic,
  drained,
  dropDatabase,
  EAST,
  fixedClock,
  mosquittoPublish,
  startHub,
  type E2eHub,
} from '../e2e/helpers.ts';

const OPERATOR = 'operator-key-from-env-0123456789';
let h: E2eHub;

beforeAll(async () => {
  h = await startHub({
    database: uniqueName('api_metrics'),
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    clock: fixedClock('2026-11-27T04:00:00Z'),
    // Every second (node-cron's six-field form).
    kpi: { enabled: true, schedule: '* * * * * *', periods: ['day'] },
    extra: { operatorKey: OPERATOR },
  });
});
afterAll(async () => {
  await dropDatabase(h.conn);
  await h.stop();
});

/** The value of the sample line `sample` (name and labels) of the exposition `text`. */
function sampleValue(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('GET /metrics histograms', () => {
  it('has the InfluxDB write duration and KPI run duration histograms, and KPI run counters', async () => {
    const m = JSON.stringify({
      id: 'e-1',
      ts: '2026-11-27T11:30:00+08:00',
      type: 'deposit',
      household: 'H-1-101',
      category: 'kitchen',
      weight: 1.2,
      sorting: 'correct',
      auth: 'card',
    });
    expect((await mosquittoPublish(h.port, EAST, deviceTopic('gw-east', 'bin-01', 'event'), { m })).code).toBe(0);
    await drained(h);
    // Bounded wait for a scheduled KPI run to finish (start() runs one at once, then every second).
    await expect
      .poll(() => h.hub.stats().kpi?.runs ?? 0, { timeout: 15_000, message: 'finished KPI runs' })
      .toBeGreaterThanOrEqual(1);

    const r = await fetch(`${h.httpUrl}/metrics`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(r.status).toBe(200);
    const text = await r.text();
    for (const name of ['hub_influx_write_duration_seconds', 'hub_kpi_run_duration_seconds']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} histogram$`, 'm'));
      expect(text).toMatch(new RegExp(`^${name}_bucket\\{le="0.005"\\} \\d+$`, 'm'));
      expect(text).toMatch(new RegExp(`^${name}_bucket\\{le="10"\\} \\d+$`, 'm'));
      const count = sampleValue(text, `${name}_count`);
      expect(count, name).toBeGreaterThan(0);
      expect(sampleValue(text, `${name}_bucket{le="+Inf"}`)).toBe(count);
      expect(sampleValue(text, `${name}_sum`)).toBeGreaterThan(0);
    }
    expect(sampleValue(text, 'hub_kpi_runs_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'hub_kpi_run_failures_total')).toBe(0);
    expect(sampleValue(text, 'hub_kpi_last_run_duration_seconds')).toBeGreaterThan(0);
  });
});
