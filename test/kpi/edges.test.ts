/**
 * Honest edge cases (docs/contract.md §5) and storage (section 4) against the real InfluxDB: null
 * with a reason for zero denominators, InfluxDB unreachable → retryable error and nothing written,
 * recomputing overwrites, a value that became null leaves no stale value, quoting end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPI_IDS, computeKpis, readKpiResults, recomputeKpis, type KpiResult } from '../../src/kpi/index.ts';
import { connectInflux, type InfluxConnection, type InfluxPointWriter } from '../../src/store/index.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedSettings } from '../helpers/influx-shared.ts';
import { deposit, freshDatabase, heartbeat, inventoryOf, kpiConfig, storedKpis } from './helpers.ts';

const NOW = Date.parse('2026-12-05T00:00:00Z');
const DAY = '2026-11-27';
const config = kpiConfig();
let conn: InfluxConnection;
let writer: InfluxPointWriter;
let database: string;

beforeAll(async () => {
  ({ conn, writer, database } = await freshDatabase('kpi_edges'));
});
afterAll(() => writer.close());

const byKpi = (results: KpiResult[]): Record<string, KpiResult> => Object.fromEntries(results.map((r) => [r.kpi, r]));

describe('zero denominators', () => {
  it('a site with zero deposits: accuracy is null with its reason; coverage is a measured 0, flagged', async () => {
    const inventory = inventoryOf({ id: 'quiet', households: 10, devices: [['bin-01', 'waste-bin']] });
    const r = byKpi(await computeKpis({ conn, inventory, config, now: () => NOW }, 'quiet', 'day', DAY));
    expect(r['sorting_accuracy']).toMatchObject({
      value: null,
      met: null,
      status: 'null',
      reason: 'no_judged_deposits',
      numerator: 0,
      denominator: 0,
    });
    expect(r['sorting_coverage']).toMatchObject({
      value: 0,
      met: false,
      status: 'warning',
      warnings: ['no_deposits', 'household_ids_unverified'],
      numerator: 0,
      denominator: 10,
    });
    expect(r['participation_rate']).toMatchObject({
      value: 0,
      met: false,
      warnings: ['no_deposits', 'household_ids_unverified'],
    });
    expect(r['device_availability']).toMatchObject({ value: 0, numerator: 0, denominator: 24, met: false });
    expect(r['bin_overflow_alarms']).toMatchObject({ value: 0, met: true });
    expect(r['gate_denied_rate']).toMatchObject({ value: null, reason: 'no_access_gates' });
    expect(r['gate_security_alarms']).toMatchObject({ value: null, reason: 'no_access_gates' });
  });

  it('no registered households, no devices: null with the reason, never 0 or 1', async () => {
    const inventory = inventoryOf(
      {
        id: 'empty',
        households: 0,
        devices: [
          ['bin-01', 'waste-bin'],
          ['gate-01', 'access-gate'],
        ],
      },
      { id: 'bare', households: 5, devices: [] },
    );
    await writer.write([deposit('empty', 'bin-01', 'h1', 'correct', '2026-11-27T09:00:00+08:00')]);
    const empty = byKpi(await computeKpis({ conn, inventory, config, now: () => NOW }, 'empty', 'day', DAY));
    expect(empty['sorting_coverage']).toMatchObject({
      value: null,
      status: 'null',
      reason: 'no_registered_households',
      numerator: 1,
      denominator: 0,
    });
    expect(empty['participation_rate']).toMatchObject({ value: null, reason: 'no_registered_households' });
    expect(empty['sorting_accuracy']).toMatchObject({ value: 1, met: true });
    expect(empty['gate_denied_rate']).toMatchObject({ value: null, reason: 'no_access_attempts' });
    expect(empty['gate_security_alarms']).toMatchObject({ value: 0, status: 'ok' });
    const bare = byKpi(await computeKpis({ conn, inventory, config, now: () => NOW }, 'bare', 'day', DAY));
    expect(bare['device_availability']).toMatchObject({ value: null, reason: 'no_registered_devices' });
    expect(bare['sorting_coverage']).toMatchObject({ value: null, reason: 'no_waste_bins' });
    expect(bare['bin_overflow_alarms']).toMatchObject({ value: null, reason: 'no_waste_bins', met: null });
  });

  it('an unknown site is refused', async () => {
    await expect(
      computeKpis({ conn, inventory: inventoryOf({ id: 'a', households: 1, devices: [] }), config }, 'b', 'day', DAY),
    ).rejects.toMatchObject({
      code: 'HUB_ERR_UNKNOWN_SITE',
    });
  });
});

describe('InfluxDB unreachable', () => {
  it('is a retryable error, and no point is written', async () => {
    const inventory = inventoryOf({ id: 'down', households: 10, devices: [['bin-01', 'waste-bin']] });
    const dead = connectInflux(sharedSettings({ url: await deadUrl(), database }));
    const attempt = recomputeKpis({ conn: dead, inventory, config, writer, now: () => NOW }, 'down', 'day', DAY);
    await expect(attempt).rejects.toMatchObject({
      code: 'HUB_ERR_INFLUX_UNREACHABLE',
      retryable: true,
      message: expect.stringContaining('down day 2026-11-27'),
    });
    expect(await storedKpis(conn, 'down', 'day')).toEqual([]);
  });
});

describe('storage', () => {
  const inventory = inventoryOf({ id: 'redo', households: 4, devices: [['bin-01', 'waste-bin']] });
  const deps = (): Parameters<typeof recomputeKpis>[0] => ({ conn, inventory, config, writer, now: () => NOW });

  it('recomputing a period overwrites its points: one per site, KPI and period, stamped at the start', async () => {
    await writer.write([deposit('redo', 'bin-01', 'h1', 'correct', '2026-11-27T09:00:00+08:00')]);
    await recomputeKpis(deps(), 'redo', 'day', DAY);
    await writer.write([deposit('redo', 'bin-01', 'h2', 'correct', '2026-11-27T10:00:00+08:00')]); // late data
    await recomputeKpis(deps(), 'redo', 'day', DAY);
    const stored = await storedKpis(conn, 'redo', 'day');
    expect(stored).toHaveLength(KPI_IDS.length);
    expect(new Set(stored.map((s) => s['kpi'])).size).toBe(KPI_IDS.length);
    expect(stored.every((s) => s['time'] === Date.parse('2026-11-26T16:00:00Z'))).toBe(true);
    const coverage = stored.find((s) => s['kpi'] === 'sorting_coverage')!;
    expect(coverage).toMatchObject({
      value: 0.5,
      numerator: 2,
      denominator: 4,
      met: false,
      target: 0.95,
      status: 'warning',
      reason: '',
      warnings: 'household_ids_unverified',
      complete: true,
      version: 2,
      roster_version: '',
    });
  });

  it('a value that becomes null leaves no stale value behind', async () => {
    const none = inventoryOf({ id: 'redo', households: 0, devices: [['bin-01', 'waste-bin']] });
    await recomputeKpis({ ...deps(), inventory: none }, 'redo', 'day', DAY);
    const coverage = (await storedKpis(conn, 'redo', 'day')).find((s) => s['kpi'] === 'sorting_coverage')!;
    expect(coverage).toMatchObject({
      status: 'null',
      reason: 'no_registered_households',
      numerator: 2,
      denominator: 0,
      value: null,
      met: null,
    });
    expect(await storedKpis(conn, 'redo', 'day')).toHaveLength(KPI_IDS.length);
  });

  it('results read back equal the results computed', async () => {
    const computed = await recomputeKpis(deps(), 'redo', 'day', DAY);
    const read = await readKpiResults(conn, inventory, {
      site: 'redo',
      period: 'day',
      fromMs: Date.parse('2026-11-01T00:00:00Z'),
      toMs: NOW,
    });
    expect(read).toEqual(computed);
  });
});

describe('quoting', () => {
  it('a site id with a quote and a backslash is matched exactly, not injected', async () => {
    const odd = `o'b\\x`;
    const inventory = inventoryOf({ id: odd, households: 2, devices: [['bin-01', 'waste-bin']] });
    await writer.write([
      deposit(odd, 'bin-01', 'h1', 'correct', '2026-11-27T09:00:00+08:00'),
      deposit(`o'b`, 'bin-01', 'h2', 'correct', '2026-11-27T09:00:00+08:00'),
      heartbeat(odd, 'bin-01', '2026-11-27T09:00:00+08:00'),
    ]);
    const r = byKpi(await recomputeKpis({ conn, inventory, config, writer, now: () => NOW }, odd, 'day', DAY));
    expect(r['sorting_coverage']).toMatchObject({ numerator: 1, denominator: 2, value: 0.5 });
    expect(r['device_availability']).toMatchObject({ numerator: 1, denominator: 24 });
    expect(await storedKpis(conn, odd, 'day')).toHaveLength(KPI_IDS.length);
  });
});
