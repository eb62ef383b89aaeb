/**
 * Every KPI of docs/contract.md §5 computed with InfluxQL against the real InfluxDB for a day, a
 * week and a month of a hand-built data set, compared with hand-computed values: counts exactly,
 * ratios to 1e-9. Boundaries are local midnights in Asia/Shanghai.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpis, type ComputeDeps, type KpiResult } from '../../src/kpi/index.ts';
import type { InfluxPointWriter } from '../../src/store/index.ts';
import { EXPECTED, points, SITE } from './dataset.ts';
import { freshDatabase, inventoryOf, kpiConfig } from './helpers.ts';

const NOW = Date.parse('2026-12-05T00:00:00Z'); // every period below has ended
let deps: ComputeDeps;
let writer: InfluxPointWriter;

beforeAll(async () => {
  const db = await freshDatabase('kpi_compute');
  writer = db.writer;
  await writer.write(points());
  deps = { conn: db.conn, inventory: inventoryOf(SITE), config: kpiConfig(), now: () => NOW };
});
afterAll(() => writer.close());

const byKpi = (results: KpiResult[]): Map<string, KpiResult> => new Map(results.map((r) => [r.kpi, r]));

describe.each(Object.entries(EXPECTED))('%s', (_name, { kind, date, kpis }) => {
  it.each(Object.entries(kpis))('%s', async (kpi, [numerator, denominator, met, warnings]) => {
    const r = byKpi(await computeKpis(deps, SITE.id, kind, date)).get(kpi)!;
    expect(r.numerator).toBe(numerator);
    expect(r.denominator).toBe(denominator);
    const value = denominator === null ? numerator : numerator / denominator;
    expect(Math.abs(r.value! - value)).toBeLessThan(1e-9);
    expect(r.met).toBe(met);
    expect(r.warnings).toEqual(warnings ?? []);
    expect(r.status).toBe(warnings ? 'warning' : 'ok');
    expect(r).toMatchObject({
      site: SITE.id,
      period: kind,
      timezone: 'Asia/Shanghai',
      complete: true,
      reason: null,
      // The household KPIs are version 2 (roster households only; src/kpi/README.md, "Rosters").
      version: kpi === 'sorting_coverage' || kpi === 'participation_rate' ? 2 : 1,
      rosterVersion: '',
    });
  });
});

describe('co2e_avoided_kg', () => {
  it('is null not_configured without evaluation.co2eFactors, Σ kept kg × factor with them', async () => {
    const without = byKpi(await computeKpis(deps, SITE.id, 'day', EXPECTED.dayA.date)).get('co2e_avoided_kg')!;
    expect(without).toMatchObject({ value: null, numerator: 0, status: 'null', reason: 'not_configured', met: null });
    const evaluation = { co2eFactors: { recyclable: 1.2, kitchen: 0.35, hazardous: 0, residual: 0 } };
    const r = byKpi(await computeKpis({ ...deps, evaluation }, SITE.id, 'day', EXPECTED.dayA.date));
    // 20 kitchen deposits of 1.2 kg not sorted incorrect: 24 kg × 0.35 = 8.4 kg CO₂e.
    expect(r.get('co2e_avoided_kg')).toMatchObject({ value: 8.4, numerator: 8.4, denominator: null, status: 'ok' });
    expect(r.get('co2e_avoided_kg')).toMatchObject({ unit: 'kg', target: null, met: null, reason: null });
  });
});

describe('periods in the site’s timezone', () => {
  it('the day of 2026-11-27 local starts at 2026-11-26T16:00Z and holds the deposit at 16:30Z', async () => {
    const results = await computeKpis(deps, SITE.id, 'day', '2026-11-27');
    expect(results[0]).toMatchObject({
      date: '2026-11-27',
      start: '2026-11-27T00:00:00+08:00',
      end: '2026-11-28T00:00:00+08:00',
    });
    expect(results.map((r) => r.kpi)).toEqual([
      'sorting_coverage',
      'participation_rate',
      'sorting_accuracy',
      'device_availability',
      'bin_overflow_alarms',
      'gate_denied_rate',
      'gate_security_alarms',
      'diversion_rate',
      'recyclables_kg',
      'co2e_avoided_kg',
    ]);
  });

  it('a week is resolved from any of its days, and starts on Monday', async () => {
    const [r] = await computeKpis(deps, SITE.id, 'week', '2026-11-29');
    expect(r).toMatchObject({
      date: '2026-11-23',
      start: '2026-11-23T00:00:00+08:00',
      end: '2026-11-30T00:00:00+08:00',
      numerator: 20,
    });
  });
});

describe('targets', () => {
  it('coverage below 95% is not met, exactly 19/20 is met, 20/20 is met', async () => {
    const met = async (date: string): Promise<boolean | null> =>
      byKpi(await computeKpis(deps, SITE.id, 'day', date)).get('sorting_coverage')!.met;
    expect(await met('2026-11-26')).toBe(false); // 11/20
    expect(await met('2026-11-27')).toBe(true); // 19/20 = 0.95
    const strict = { ...deps, config: kpiConfig({ sorting_coverage: 0.96 }) };
    expect(byKpi(await computeKpis(strict, SITE.id, 'day', '2026-11-27')).get('sorting_coverage')!.met).toBe(false);
  });

  it('overflow alarms are met up to and including the configured number for the period kind', async () => {
    const overflow = async (day: number): Promise<KpiResult> =>
      byKpi(
        await computeKpis(
          { ...deps, config: kpiConfig({ bin_overflow_alarms: { day } }) },
          SITE.id,
          'day',
          '2026-11-27',
        ),
      ).get('bin_overflow_alarms')!;
    expect(await overflow(2)).toMatchObject({ value: 2, target: 2, met: true });
    expect(await overflow(1)).toMatchObject({ value: 2, target: 1, met: false });
  });
});

describe('a period still running', () => {
  const start = Date.parse('2026-11-26T16:00:00Z'); // 2026-11-27 00:00 local

  it('counts only the hours that have ended for availability', async () => {
    const running = { ...deps, now: () => start + 5.5 * 3_600_000 };
    const r = byKpi(await computeKpis(running, SITE.id, 'day', '2026-11-27'));
    // Hours 0–4 have ended; all three devices were heard in each of them.
    expect(r.get('device_availability')).toMatchObject({ numerator: 15, denominator: 15, value: 1, complete: false });
    expect(r.get('sorting_coverage')).toMatchObject({ numerator: 1, complete: false }); // h03 at 00:30 so far
  });

  it('is null for availability before its first hour has ended', async () => {
    const r = byKpi(await computeKpis({ ...deps, now: () => start + 20 * 60_000 }, SITE.id, 'day', '2026-11-27'));
    expect(r.get('device_availability')).toMatchObject({
      value: null,
      status: 'null',
      reason: 'no_complete_hours',
      met: null,
      denominator: 0,
    });
  });

  it('a period that has not started is refused', async () => {
    await expect(computeKpis({ ...deps, now: () => start - 1 }, SITE.id, 'day', '2026-11-27')).rejects.toMatchObject({
      code: 'HUB_ERR_KPI_PERIOD',
    });
  });
});
