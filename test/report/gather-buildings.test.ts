/**
 * Per-building values and the trend of a report (docs/contract.md §5), against the run's real
 * InfluxDB: a site with a household roster gets its KPIs computed and stored by the KPI stage
 * (recomputeKpis), and the report's per-building values must equal the stored per-building `kpi`
 * points read back (readKpiResults), its trend the stored site-wide ones; the households still
 * needed are checked against figures worked out by hand from the deposits below.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inventory, type InventoryData } from '../../src/config/inventory.ts';
import type { Roster } from '../../src/config/roster.ts';
import { DeadLetterStore } from '../../src/deadletters/store.ts';
import {
  ALL_BUILDINGS,
  KPI_IDS,
  readKpiResults,
  recomputeKpis,
  periodOf,
  type KpiResult,
} from '../../src/kpi/index.ts';
import { gatherReport, type ReportDeps } from '../../src/report/index.ts';
import type { InfluxPointWriter } from '../../src/store/index.ts';
import { deposit, freshDatabase, heartbeat, kpiConfig } from '../kpi/helpers.ts';
import { REPORT_CONFIG } from './fixtures.ts';

const S = 'birch-yard';
const TZ = 'Asia/Shanghai';
// Roster: b1 h1…h5, b2 h6…h8, b3 h9 h10 (pseudonyms as the deposit helper writes them: px_<id>).
const ROSTER: Array<[string, string]> = [
  ...[1, 2, 3, 4, 5].map((i): [string, string] => [`px_h${i}`, 'b1']),
  ...[6, 7, 8].map((i): [string, string] => [`px_h${i}`, 'b2']),
  ...[9, 10].map((i): [string, string] => [`px_h${i}`, 'b3']),
];
const NOW = Date.parse('2026-11-28T12:00:00+08:00');
let deps: ReportDeps;
let writer: InfluxPointWriter;
let dir: string | undefined;

function correct(h: string, day: string): ReturnType<typeof deposit> {
  return deposit(S, 'bin-01', h, 'correct', `${day}T09:00:00+08:00`);
}

beforeAll(async () => {
  const db = await freshDatabase('report_buildings');
  writer = db.writer;
  // 11-27: b1 5/5 correct; b2 h6 correct, h7 only incorrect (takes part, does not sort); b3 h9
  // correct; hx is not on the roster. 11-26: everyone in b1 and b2 correct. 11-25: h1 only.
  // 11-28 (running at NOW): h1 and h2.
  await writer.write([
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h9', 'hx'].map((h) => correct(h, '2026-11-27')),
    deposit(S, 'bin-01', 'h7', 'incorrect', '2026-11-27T10:00:00+08:00'),
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8'].map((h) => correct(h, '2026-11-26')),
    correct('h1', '2026-11-25'),
    correct('h1', '2026-11-28'),
    correct('h2', '2026-11-28'),
    heartbeat(S, 'bin-01', '2026-11-28T11:30:00+08:00'),
  ]);
  const data: InventoryData = {
    sites: [
      {
        id: S,
        timezone: TZ,
        roster: 'roster.csv',
        gateways: [
          {
            id: `gw-${S}`,
            secret: 'scrypt$test',
            devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
          },
        ],
      },
    ],
  };
  const roster: Roster = {
    file: 'roster.csv',
    version: 'abcdef012345',
    households: new Map(ROSTER),
    buildings: new Map([
      ['b1', 5],
      ['b2', 3],
      ['b3', 2],
    ]),
  };
  const inventory = new Inventory(data, new Map([[S, roster]]));
  dir = await mkdtemp(join(tmpdir(), 'hub-report-b-dl-'));
  const deadLetters = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: 2 ** 50 });
  await deadLetters.start();
  deps = { conn: db.conn, inventory, config: kpiConfig(), report: REPORT_CONFIG, deadLetters, now: () => NOW };
  // The KPI stage stores each day, site-wide and per building.
  for (const day of ['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28'])
    await recomputeKpis({ ...deps, writer }, S, 'day', day);
}, 60_000);
afterAll(async () => {
  await writer.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pick = (r: KpiResult) => ({
  value: r.value,
  target: r.target,
  met: r.met,
  numerator: r.numerator,
  denominator: r.denominator,
  status: r.status,
});

describe('report per building', () => {
  it.each(['stored', 'compute'] as const)('equals the stored per-building KPIs (%s), worst first', async (source) => {
    const r = await gatherReport({ ...deps, kpiSource: source }, S, 'day', '2026-11-27');
    const p = periodOf('day', '2026-11-27', TZ);
    const stored = await readKpiResults(deps.conn, deps.inventory, {
      site: S,
      period: 'day',
      fromMs: p.startMs,
      toMs: p.endMs,
      building: ALL_BUILDINGS,
    });
    expect(stored).toHaveLength(6);
    for (const s of stored) {
      const row = r.buildings.find((b) => b.building === s.building)!;
      const kpi = s.kpi === 'sorting_coverage' ? row.sorting_coverage : row.participation_rate;
      expect({ building: s.building, kpi: s.kpi, ...pick(s) }).toEqual({
        building: row.building,
        kpi: s.kpi,
        value: kpi!.value,
        target: kpi!.target,
        met: kpi!.met,
        numerator: kpi!.numerator,
        denominator: kpi!.denominator,
        status: kpi!.status,
      });
    }
    // By hand: coverage b2 1/3, b3 1/2, b1 5/5; needed ceil(0.95 × n) − sorting: 2, 1, 0.
    expect(
      r.buildings.map((b) => [b.building, b.households, b.sorting_coverage?.numerator, b.sorting_coverage?.needed]),
    ).toEqual([
      ['b2', 3, 1, 2],
      ['b3', 2, 1, 1],
      ['b1', 5, 5, 0],
    ]);
    // Participation: b2 2/3 (h7 took part) — ceil(0.9 × 3) − 2 = 1.
    expect(r.buildings[0]!.participation_rate).toMatchObject({ numerator: 2, denominator: 3, needed: 1 });
    // The site: 7 of 10 sort correctly (hx is not on the roster): ceil(9.5) − 7 = 3 more.
    expect(r.kpis[0]).toMatchObject({ kpi: 'sorting_coverage', numerator: 7, denominator: 10 });
    expect(r.householdsNeeded).toEqual({ sorting_coverage: 3, participation_rate: 1 });
  });

  it('the trend equals the stored site-wide KPIs; a running period is marked with a partial change', async () => {
    const r = await gatherReport({ ...deps, kpiSource: 'stored' }, S, 'day', '2026-11-28');
    const first = periodOf('day', '2026-11-15', TZ);
    const stored = await readKpiResults(deps.conn, deps.inventory, {
      site: S,
      period: 'day',
      fromMs: first.startMs,
      toMs: NOW,
    });
    const cov = r.trend.series.find((s) => s.kpi === 'sorting_coverage')!;
    expect(cov.points).toHaveLength(14);
    expect(cov.points[0]!.date).toBe('2026-11-15');
    for (const point of cov.points) {
      const s = stored.find((x) => x.kpi === 'sorting_coverage' && x.date === point.date);
      expect([point.date, point.value, point.complete]).toEqual([point.date, s?.value ?? null, s?.complete ?? false]);
    }
    expect(cov.points.slice(-4).map((p) => p.value)).toEqual([0.1, 0.8, 0.7, 0.2]);
    expect(cov.points.at(-2)).toMatchObject({ complete: true, changePartial: false, change: -0.1 });
    expect(cov.points.at(-1)).toMatchObject({ complete: false, changePartial: true, change: -0.5 });
    expect(r.kpis[0]).toMatchObject({ changePartial: true, change: -0.5 });
    expect(r.trend.series).toHaveLength(KPI_IDS.length);
  });
});
