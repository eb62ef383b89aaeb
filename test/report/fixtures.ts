/**
 * Hand-made report inputs for the pure builder and the renderers: KPI results built with the real
 * `evaluate` (so `met` is decided exactly as computeKpis decides it), a few devices and dead letters.
 */
import {
  addDays,
  evaluate,
  kpiDefinition,
  periodOf,
  previousPeriod,
  type KpiId,
  type KpiResult,
  type Measure,
  type Period,
} from '../../src/kpi/index.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { ReportInput } from '../../src/report/index.ts';

const TZ = 'Asia/Shanghai';
export const PERIOD: Period = periodOf('day', '2026-11-27', TZ);
export const PREVIOUS: Period = previousPeriod(PERIOD);
const AFTER = PERIOD.endMs + 3_600_000;

/** A result of `kpi` from a measure, with the default targets. */
export function result(
  kpi: KpiId,
  m: Measure,
  period: Period = PERIOD,
  target?: number | null,
  building?: string,
): KpiResult {
  const def = kpiDefinition(kpi)!;
  const defaults: Record<string, number | null> = {
    sorting_coverage: 0.95,
    participation_rate: 0.9,
    sorting_accuracy: 0.9,
    device_availability: 0.98,
    bin_overflow_alarms: 3,
  };
  return evaluate(def, m, {
    site: 'maple-court',
    period,
    target: target === undefined ? (defaults[kpi] ?? null) : target,
    now: AFTER,
    ...(building === undefined ? {} : { building }),
  });
}

/** The `report` config section with its defaults. */
export const REPORT_CONFIG = configSchema.parse({ pseudonymKey: 'report-test-pseudonym-key' }).report;

/**
 * Per-building results adding up to the site's 19/20: b1 10/10, b2 6/6 and b3 3/4 (below 0.95:
 * one more household needed), participation full everywhere.
 */
export function buildingResults(period: Period = PERIOD): KpiResult[] {
  const of = (b: string, sorting: number, hh: number): KpiResult[] => [
    result('sorting_coverage', { numerator: sorting, denominator: hh }, period, undefined, b),
    result('participation_rate', { numerator: hh, denominator: hh }, period, undefined, b),
  ];
  return [...of('b1', 10, 10), ...of('b2', 6, 6), ...of('b3', 3, 4)];
}

/** Stored site-wide coverage of 2026-11-20 … 11-24: 14/20 … 18/20; nothing is stored for 11-25. */
export function trendResults(): KpiResult[] {
  return [6, 5, 4, 3, 2]
    .map((back) => periodOf('day', addDays(PERIOD.date, -back - 1), TZ))
    .map((p, i) => result('sorting_coverage', { numerator: 14 + i, denominator: 20 }, p));
}

/** Seven results: coverage 19/20 (the 0.95 boundary), accuracy not met, denied rate null. */
export function kpis(coverage: [number, number] = [19, 20]): KpiResult[] {
  return [
    result('sorting_coverage', { numerator: coverage[0], denominator: coverage[1] }),
    result('participation_rate', { numerator: 20, denominator: 20 }),
    result('sorting_accuracy', { numerator: 17, denominator: 20 }),
    result('device_availability', { numerator: 70, denominator: 72, warnings: ['unregistered_devices_heard'] }),
    result('bin_overflow_alarms', { numerator: 2, denominator: null }),
    result('gate_denied_rate', { numerator: 0, denominator: 0, reason: 'no_access_attempts' }),
    result('gate_security_alarms', { numerator: 3, denominator: null }),
  ];
}

/** The previous day's results: coverage 18/20, accuracy null, no overflow result at all. */
export function previous(): KpiResult[] {
  return [
    result('sorting_coverage', { numerator: 18, denominator: 20 }, PREVIOUS),
    result('participation_rate', { numerator: 19, denominator: 20 }, PREVIOUS),
    result('sorting_accuracy', { numerator: 0, denominator: 0, reason: 'no_judged_deposits' }, PREVIOUS),
    result('device_availability', { numerator: 72, denominator: 72 }, PREVIOUS),
    result('gate_denied_rate', { numerator: 1, denominator: 4 }, PREVIOUS),
    result('gate_security_alarms', { numerator: 1, denominator: null }, PREVIOUS),
  ];
}

/** A complete input; `site` may be overridden (the escaping test). */
export function input(over: Partial<ReportInput> = {}): ReportInput {
  return {
    site: { id: 'maple-court', timezone: TZ, households: 20 },
    period: PERIOD,
    previousPeriod: PREVIOUS,
    kpis: kpis(),
    previous: previous(),
    lastHeard: [
      { device: 'bin-02', type: 'waste-bin', building: 'b2', lastMs: PERIOD.endMs - 2 * 3_600_000 },
      { device: 'gate-01', type: 'access-gate', building: 'none', lastMs: PERIOD.startMs + 6 * 3_600_000 },
      { device: 'bin-09', type: 'waste-bin', building: 'b1', lastMs: null },
      { device: 'bin-01', type: 'waste-bin', building: 'b1', lastMs: PERIOD.endMs - 1 },
      { device: 'bin-03', type: 'waste-bin', building: 'b3', lastMs: null },
    ],
    fullReadings: { 'bin-01': 4, 'bin-02': 1, 'bin-03': 0 },
    overflowAlarms: { 'bin-02': 2, 'bin-04': 1 },
    securityAlarms: { 'gate-01': { forced_open: 1, climbing: 2 }, 'gate-02': { tailgating: 1 }, 'gate-03': {} },
    deadLetters: [
      { reasons: ['schema'] },
      { reasons: ['schema', 'clock_skew'] },
      { reasons: ['bad_json'] },
      { reasons: ['schema'] },
    ],
    now: AFTER,
    buildings: buildingResults(),
    siteBuildings: [
      { id: 'b1', households: 10 },
      { id: 'b2', households: 6 },
      { id: 'b3', households: 4 },
    ],
    trend: [...trendResults(), ...previous()],
    trendPeriods: REPORT_CONFIG.trendPeriods.day,
    silentAfterMs: REPORT_CONFIG.silentAfter,
    ...over,
  };
}

/** The third quarter of 2026 at the fixtures' site. */
export const QUARTER: Period = periodOf('quarter', '2026-07-01', TZ);

/**
 * A quarter report's input with its evaluation facts, written out by hand: waves Q1 (5 of 10
 * satisfied, the baseline) and Q3 (7 of 10: +40 %), a payback clock from June whose cumulative net
 * starts below zero and reaches 45 % of a 20,000-yuan social-capital investment by September.
 */
export function quarterInput(now = QUARTER.endMs + 3_600_000): ReportInput {
  const q = QUARTER;
  const months = [
    { month: '2026-06', net: -1_000, cumulative: -1_000 },
    { month: '2026-07', net: 2_000, cumulative: 1_000 },
    { month: '2026-08', net: 3_000, cumulative: 4_000 },
    { month: '2026-09', net: 5_000, cumulative: 9_000 },
  ];
  const wave = (w: string, date: string, satisfied: number, gain: number | null) => ({
    wave: w,
    date,
    responses: 10,
    respondents: 10,
    satisfied,
    responseRate: null,
    satisfactionRate: satisfied / 10,
    gain,
    met: gain === null ? null : gain >= 0.3,
  });
  return input({
    period: q,
    previousPeriod: previousPeriod(q),
    now,
    kpis: [
      result('sorting_coverage', { numerator: 19, denominator: 20 }, q),
      result('diversion_rate', { numerator: 30, denominator: 100 }, q, 0.35),
      result('recyclables_kg', { numerator: 1234.5, denominator: null }, q),
      result('co2e_avoided_kg', { numerator: 2_000, denominator: null }, q),
    ],
    previous: [],
    buildings: [],
    trend: [],
    trendPeriods: REPORT_CONFIG.trendPeriods.quarter,
    evaluation: {
      lastDay: '2026-09-30',
      lastMonth: '2026-09',
      surveys: {
        site: 'maple-court',
        baseline: '2026-Q1',
        baselineFrom: 'earliest',
        target: 0.3,
        households: null,
        waves: [wave('2026-Q1', '2026-03-31', 5, null), wave('2026-Q3', '2026-09-30', 7, 0.4)],
      },
      payback: {
        currency: 'CNY',
        investment: { government: 30_000, socialCapital: 20_000, residents: 10_000, total: 60_000 },
        shares: { government: 0.5, socialCapital: 1 / 3, residents: 1 / 6 },
        months: months.map((m) => ({
          ...m,
          revenue: m.net + 500,
          otherIncome: 0,
          operatingCost: 500,
          recoveredShare: m.cumulative / 20_000,
          complete: true,
        })),
        recoveredIn: null,
        projectedRecovery: '2027-01', // 11,000 left at (2,000 + 3,000 + 5,000) ÷ 3 a month
        reason: null,
      },
    },
  });
}
