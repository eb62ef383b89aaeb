/**
 * gatherReport against the run's real InfluxDB, on the KPI tests' hand-built fortnight
 * (test/kpi/dataset.ts) plus bin levels, an inventory device never heard and dead letters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterStore } from '../../src/deadletters/store.ts';
import { KPI_IDS, recomputeKpis } from '../../src/kpi/index.ts';
import { nsFromMs, type Point } from '../../src/point.ts';
import { gatherReport, type ReportDeps } from '../../src/report/index.ts';
import type { InfluxPointWriter } from '../../src/store/index.ts';
import { EXPECTED, points, SITE } from '../kpi/dataset.ts';
import { REPORT_CONFIG } from './fixtures.ts';
import { freshDatabase, inventoryOf, kpiConfig } from '../kpi/helpers.ts';

const S = SITE.id;
const NOW = Date.parse('2026-12-05T00:00:00Z');
let deps: ReportDeps;
let writer: InfluxPointWriter;
let dir: string | undefined;

let n = 0;
function level(device: string, fill: number, iso: string): Point {
  return {
    measurement: 'bin_level',
    tags: { site: S, gateway: `gw-${S}`, device, building: 'none', category: 'kitchen' },
    fields: { fill_pct: fill },
    time: nsFromMs(Date.parse(iso), ++n),
  };
}

beforeAll(async () => {
  const db = await freshDatabase('report_gather');
  writer = db.writer;
  await writer.write([
    ...points(),
    // Day A (2026-11-27 local): bin-01 full 4 times (90 counts, 89.9 does not), bin-02 half full; one the next day.
    level('bin-01', 95, '2026-11-27T08:00:00+08:00'),
    level('bin-01', 97, '2026-11-27T09:00:00+08:00'),
    level('bin-01', 100, '2026-11-27T10:00:00+08:00'),
    level('bin-01', 90, '2026-11-27T11:00:00+08:00'),
    level('bin-01', 89.9, '2026-11-27T12:00:00+08:00'),
    level('bin-02', 50, '2026-11-27T12:00:00+08:00'),
    level('bin-02', 99, '2026-11-28T00:00:00+08:00'),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'hub-report-dl-'));
  const deadLetters = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: 2 ** 50 });
  await deadLetters.start();
  const dl = (site: string, iso: string, ...reasons: string[]) =>
    deadLetters.add({
      topic: `community/v1/${site}/gw/bin-01/event`,
      site,
      receivedAt: Date.parse(iso),
      payload: Buffer.from('{'),
      rejects: reasons.map((reason) => ({ reason, detail: '' })),
    });
  await Promise.all([
    dl(S, '2026-11-27T10:00:00+08:00', 'schema'),
    dl(S, '2026-11-27T23:59:59+08:00', 'schema', 'clock_skew'),
    dl(S, '2026-11-26T10:00:00+08:00', 'bad_json'), // the previous day
    dl('elm-park', '2026-11-27T10:00:00+08:00', 'bad_json'), // another site
  ]);
  const inventory = inventoryOf({ ...SITE, devices: [...SITE.devices, ['bin-09', 'waste-bin']] });
  deps = { conn: db.conn, inventory, config: kpiConfig(), report: REPORT_CONFIG, deadLetters, now: () => NOW };
});
afterAll(async () => {
  await writer.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gatherReport', () => {
  it('builds the day report from InfluxDB and the dead letters', async () => {
    const r = await gatherReport(deps, S, 'day', '2026-11-27');
    expect(r.period).toMatchObject({ kind: 'day', date: '2026-11-27', complete: true });
    const rows = Object.fromEntries(r.kpis.map((k) => [k.kpi, [k.numerator, k.denominator, k.met]]));
    for (const [kpi, [num, den, met]] of Object.entries(EXPECTED.dayA.kpis)) {
      if (kpi !== 'device_availability') expect(rows[kpi]).toEqual([num, den, met]);
    }
    expect(rows['device_availability']).toEqual([42, 96, false]); // bin-09 registered, never heard
    const coverage = r.kpis[0]!;
    expect(coverage).toMatchObject({ kpi: 'sorting_coverage', value: 0.95, met: true, previous: 0.55, change: 0.4 });
    expect(r.kpis.find((k) => k.kpi === 'gate_security_alarms')).toMatchObject({ value: 3, previous: 1, change: 2 });

    // bin-01, heard a second before the end, is under the 2 h of report.silentAfter.
    expect(r.silentDevices).toEqual([
      { device: 'bin-09', type: 'waste-bin', building: 'none', lastHeard: null, silentHours: null },
      {
        device: 'gate-01',
        type: 'access-gate',
        building: 'none',
        lastHeard: '2026-11-27T05:30:00+08:00',
        silentHours: 18.5,
      },
      {
        device: 'bin-02',
        type: 'waste-bin',
        building: 'none',
        lastHeard: '2026-11-27T11:40:00+08:00',
        silentHours: 12.3,
      },
    ]);
    // No roster: no per-building values.
    expect(r.buildings).toEqual([]);
    expect(r.fullBins).toEqual([
      { device: 'bin-01', fullReadings: 4, overflowAlarms: 1, total: 5 },
      { device: 'bin-02', fullReadings: 0, overflowAlarms: 1, total: 1 },
    ]);
    expect(r.alarmingGates).toEqual([{ device: 'gate-01', forced_open: 1, tailgating: 1, climbing: 1, total: 3 }]);
    expect(r.dataQuality.deadLetters).toBe(2);
    expect(r.dataQuality.deadLettersByReason).toEqual([
      { reason: 'schema', count: 2 },
      { reason: 'clock_skew', count: 1 },
    ]);
    // The inventory has no roster: the household KPIs say their ids are unverified.
    expect(r.dataQuality.kpiWarnings).toEqual([
      { kpi: 'sorting_coverage', warning: 'household_ids_unverified' },
      { kpi: 'participation_rate', warning: 'household_ids_unverified' },
      { kpi: 'device_availability', warning: 'unregistered_devices_heard' },
    ]);
  });

  it('a running period: silence and counts up to now', async () => {
    const now = Date.parse('2026-11-27T12:00:00+08:00');
    const report = { ...REPORT_CONFIG, silentAfter: 0 };
    const r = await gatherReport({ ...deps, report, now: () => now }, S, 'day', '2026-11-27');
    expect(r.period.complete).toBe(false);
    expect(r.silentDevices.find((d) => d.device === 'bin-01')).toMatchObject({
      lastHeard: '2026-11-27T11:00:00+08:00',
      silentHours: 1,
    });
    expect(r.fullBins[0]).toEqual({ device: 'bin-01', fullReadings: 4, overflowAlarms: 1, total: 5 });
    expect(r.dataQuality.deadLetters).toBe(1);
  });

  it('stored KPI results are used when asked, computed when a period has none stored', async () => {
    // Stored with a stricter coverage target: the stored row says "not met".
    await recomputeKpis({ ...deps, writer, config: kpiConfig({ sorting_coverage: 0.99 }) }, S, 'day', '2026-11-27');
    const r = await gatherReport({ ...deps, kpiSource: 'stored' }, S, 'day', '2026-11-27');
    expect(r.kpis[0]).toMatchObject({ kpi: 'sorting_coverage', target: 0.99, met: false, previous: 0.55 });
    expect(r.kpis).toHaveLength(KPI_IDS.length);
  });

  it('refuses an unknown site and a period that has not started', async () => {
    await expect(gatherReport(deps, 'nowhere', 'day', '2026-11-27')).rejects.toMatchObject({
      code: 'HUB_ERR_UNKNOWN_SITE',
    });
    await expect(gatherReport(deps, S, 'day', '2026-12-06')).rejects.toMatchObject({ code: 'HUB_ERR_KPI_PERIOD' });
  });
});
