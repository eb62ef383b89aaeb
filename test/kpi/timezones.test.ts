/**
 * KPIs in zones other than the default (docs/contract.md §5: "in the site's timezone"): hours of a
 * DST day in Europe/Berlin (23 and 25), local days around the change, and hours on the half hour
 * in Asia/Kolkata — all against the real InfluxDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpis, type ComputeDeps, type KpiResult } from '../../src/kpi/index.ts';
import type { InfluxPointWriter } from '../../src/store/index.ts';
import { deposit, freshDatabase, heartbeat, inventoryOf, kpiConfig, plus } from './helpers.ts';

let deps: ComputeDeps;
let writer: InfluxPointWriter;
const kpi = async (site: string, kind: 'day' | 'week' | 'month', date: string, id: string): Promise<KpiResult> =>
  (await computeKpis(deps, site, kind, date)).find((r) => r.kpi === id)!;

beforeAll(async () => {
  const db = await freshDatabase('kpi_tz');
  writer = db.writer;
  const points = [
    // Berlin, 2026-03-29 (23 h, starts 2026-03-28T23:00Z): one heartbeat in every hour.
    ...Array.from({ length: 23 }, (_, k) => heartbeat('spree', 'bin-01', plus('2026-03-28T23:00:00Z', 60 * k + 59))),
    // Berlin, 2026-10-25 (25 h, starts 2026-10-24T22:00Z): heartbeats in the first 20 hours only.
    ...Array.from({ length: 20 }, (_, k) => heartbeat('spree', 'bin-01', plus('2026-10-24T22:00:00Z', 60 * k + 5))),
    // Deposits around the spring change: 00:30 CET on the 29th is in; 00:30 CEST on the 30th is out.
    deposit('spree', 'bin-01', 'h1', 'correct', '2026-03-28T23:30:00Z'),
    deposit('spree', 'bin-01', 'h2', 'correct', '2026-03-29T22:30:00Z'),
    deposit('spree', 'bin-01', 'h3', 'correct', '2026-03-28T22:59:59.999Z'), // 23:59:59.999 on the 28th
    // Kolkata (UTC+5:30), 2026-11-27 starts 2026-11-26T18:30Z: 18:35Z and 19:05Z are local hour 0,
    // 20:45Z is hour 2: two hours. Buckets on the UTC hour would count three (18, 19, 20).
    heartbeat('ganga', 'bin-01', '2026-11-26T18:35:00Z'),
    heartbeat('ganga', 'bin-01', '2026-11-26T19:05:00Z'),
    heartbeat('ganga', 'bin-01', '2026-11-26T20:45:00Z'),
    heartbeat('ganga', 'bin-01', '2026-11-26T18:29:59Z'), // the day before
  ];
  await writer.write(points);
  deps = {
    conn: db.conn,
    inventory: inventoryOf(
      { id: 'spree', timezone: 'Europe/Berlin', households: 4, devices: [['bin-01', 'waste-bin']] },
      { id: 'ganga', timezone: 'Asia/Kolkata', households: 4, devices: [['bin-01', 'waste-bin']] },
    ),
    config: kpiConfig(),
    now: () => Date.parse('2026-12-31T00:00:00Z'),
  };
});
afterAll(() => writer.close());

describe('Europe/Berlin around DST', () => {
  it('the spring-forward day has 23 hours: a device heard in each is 23/23 available', async () => {
    expect(await kpi('spree', 'day', '2026-03-29', 'device_availability')).toMatchObject({
      numerator: 23,
      denominator: 23,
      value: 1,
      met: true,
    });
  });

  it('the fall-back day has 25 hours: heard in 20 of them is 20/25', async () => {
    const r = await kpi('spree', 'day', '2026-10-25', 'device_availability');
    expect(r).toMatchObject({
      numerator: 20,
      denominator: 25,
      start: '2026-10-25T00:00:00+02:00',
      end: '2026-10-26T00:00:00+01:00',
    });
    expect(Math.abs(r.value! - 0.8)).toBeLessThan(1e-9);
  });

  it('the week and month holding a change have 167 and 743 hours', async () => {
    expect(await kpi('spree', 'week', '2026-03-29', 'device_availability')).toMatchObject({
      numerator: 23,
      denominator: 167,
    });
    expect(await kpi('spree', 'month', '2026-03-29', 'device_availability')).toMatchObject({
      numerator: 23,
      denominator: 743,
    });
  });

  it('deposits land on the local day of their instant', async () => {
    expect(await kpi('spree', 'day', '2026-03-29', 'participation_rate')).toMatchObject({
      numerator: 1,
      denominator: 4,
    });
    expect(await kpi('spree', 'day', '2026-03-30', 'participation_rate')).toMatchObject({ numerator: 1 });
    expect(await kpi('spree', 'day', '2026-03-28', 'participation_rate')).toMatchObject({ numerator: 1 });
  });
});

describe('Asia/Kolkata (half-hour offset)', () => {
  it('hours start on the half hour of UTC', async () => {
    const r = await kpi('ganga', 'day', '2026-11-27', 'device_availability');
    expect(r).toMatchObject({ numerator: 2, denominator: 24, start: '2026-11-27T00:00:00+05:30' });
  });
});
