/** The pure report builder (docs/contract.md §5) on hand-made inputs. */
import { describe, expect, it } from 'vitest';
import { evaluate, KPI_IDS, kpiDefinition, periodOf } from '../../src/kpi/index.ts';
import { buildReport, changeOf, householdsNeeded, KPI_TITLES, trendPeriods } from '../../src/report/index.ts';
import { input, kpis, PERIOD, PREVIOUS, result } from './fixtures.ts';

const kpi = (r: ReturnType<typeof buildReport>, id: string) => r.kpis.find((k) => k.kpi === id)!;

describe('buildReport', () => {
  it('keeps every KPI in order with value, target and met as computed', () => {
    const r = buildReport(input());
    expect(r.kpis.map((k) => k.kpi)).toEqual([
      'sorting_coverage',
      'participation_rate',
      'sorting_accuracy',
      'device_availability',
      'bin_overflow_alarms',
      'gate_denied_rate',
      'gate_security_alarms',
    ]);
    expect(kpi(r, 'sorting_accuracy')).toMatchObject({ value: 0.85, target: 0.9, met: false });
    expect(kpi(r, 'bin_overflow_alarms')).toMatchObject({ value: 2, target: 3, direction: '<=', met: true });
    expect(kpi(r, 'gate_security_alarms')).toMatchObject({ value: 3, target: null, met: null });
    expect(kpi(r, 'gate_denied_rate')).toMatchObject({
      value: null,
      met: null,
      status: 'null',
      reason: 'no_access_attempts',
    });
    expect(r.summary).toEqual({ met: 3, notMet: 2, informative: 1, noValue: 1 });
    expect(r.period).toEqual({
      kind: 'day',
      date: '2026-11-27',
      start: '2026-11-27T00:00:00+08:00',
      end: '2026-11-28T00:00:00+08:00',
      complete: true,
    });
    expect(r.previousPeriod).toEqual({
      date: '2026-11-26',
      start: '2026-11-26T00:00:00+08:00',
      end: '2026-11-27T00:00:00+08:00',
    });
  });

  it.each([
    [[19, 20], true], // exactly 0.95: met
    [[18, 20], false], // below: not met
    [[20, 20], true], // above: met
    [[189, 199], false], // 0.9497…
    [[190, 200], true],
  ] as const)('coverage %j against 0.95 is met: %s', (coverage, met) => {
    const r = buildReport(input({ kpis: kpis([...coverage]) }));
    expect(kpi(r, 'sorting_coverage').met).toBe(met);
    expect(kpi(r, 'sorting_coverage').target).toBe(0.95);
  });

  it('the change from the previous period is value − previous, null when either is missing', () => {
    const r = buildReport(input());
    expect(kpi(r, 'sorting_coverage')).toMatchObject({ previous: 0.9, change: 0.05 });
    expect(kpi(r, 'device_availability')).toMatchObject({ previous: 1, change: Number((70 / 72 - 1).toPrecision(12)) });
    expect(kpi(r, 'sorting_accuracy')).toMatchObject({ previous: null, change: null }); // previous value null
    expect(kpi(r, 'gate_denied_rate')).toMatchObject({ previous: 0.25, change: null }); // this value null
    expect(kpi(r, 'bin_overflow_alarms')).toMatchObject({ previous: null, change: null }); // no previous result
    expect(kpi(r, 'gate_security_alarms')).toMatchObject({ previous: 1, change: 2 });
    expect(buildReport(input({ previous: [] })).kpis.every((k) => k.change === null)).toBe(true);
    expect(changeOf(0.95, 0.9)).toBe(0.05);
    expect(changeOf(null, 1)).toBeNull();
  });

  it('silent devices: only those silent at least silentAfter (2 h), never heard first, with their building', () => {
    const r = buildReport(input());
    // bin-01 was heard 1 ms before the end: not silent; bin-02 exactly 2 h before: listed.
    expect(r.silentAfterHours).toBe(2);
    expect(r.silentDevices.map((d) => d.device)).toEqual(['bin-03', 'bin-09', 'gate-01', 'bin-02']);
    expect(r.silentDevices[0]).toEqual({
      device: 'bin-03',
      type: 'waste-bin',
      building: 'b3',
      lastHeard: null,
      silentHours: null,
    });
    expect(r.silentDevices[2]).toMatchObject({ lastHeard: '2026-11-27T06:00:00+08:00', silentHours: 18 });
    expect(r.silentDevices[3]).toMatchObject({ device: 'bin-02', building: 'b2', silentHours: 2 });
    expect(buildReport(input({ top: 2 })).silentDevices.map((d) => d.device)).toEqual(['bin-03', 'bin-09']);
    const strict = buildReport(input({ silentAfterMs: 2 * 3_600_000 + 1 }));
    expect(strict.silentDevices.map((d) => d.device)).toEqual(['bin-03', 'bin-09', 'gate-01']);
    const all = buildReport(input({ silentAfterMs: 0 }));
    expect(all.silentDevices.map((d) => d.device)).toEqual(['bin-03', 'bin-09', 'gate-01', 'bin-02', 'bin-01']);
  });

  it('silence of a running period is measured up to now', () => {
    const now = PERIOD.startMs + 10 * 3_600_000;
    const r = buildReport(
      input({
        now,
        lastHeard: [{ device: 'bin-01', type: 'waste-bin', building: 'b1', lastMs: PERIOD.startMs + 4 * 3_600_000 }],
      }),
    );
    expect(r.period.complete).toBe(false);
    expect(r.silentDevices[0]!.silentHours).toBe(6);
  });

  it('bins most often full: full readings plus overflow alarms, zero left out', () => {
    const r = buildReport(input());
    expect(r.fullBins).toEqual([
      { device: 'bin-01', fullReadings: 4, overflowAlarms: 0, total: 4 },
      { device: 'bin-02', fullReadings: 1, overflowAlarms: 2, total: 3 },
      { device: 'bin-04', fullReadings: 0, overflowAlarms: 1, total: 1 },
    ]);
  });

  it('gates with most security alarms', () => {
    const r = buildReport(input());
    expect(r.alarmingGates).toEqual([
      { device: 'gate-01', forced_open: 1, tailgating: 0, climbing: 2, total: 3 },
      { device: 'gate-02', forced_open: 0, tailgating: 1, climbing: 0, total: 1 },
    ]);
  });

  it('data quality: dead letters by reason (most first) and the KPI warnings', () => {
    const r = buildReport(input());
    expect(r.dataQuality).toEqual({
      deadLetters: 4,
      deadLettersByReason: [
        { reason: 'schema', count: 3 },
        { reason: 'bad_json', count: 1 },
        { reason: 'clock_skew', count: 1 },
      ],
      kpiWarnings: [{ kpi: 'device_availability', warning: 'unregistered_devices_heard' }],
    });
    expect(buildReport(input({ deadLetters: [] })).dataQuality.deadLettersByReason).toEqual([]);
  });

  it('is pure: the same input gives the same report', () => {
    expect(buildReport(input())).toEqual(buildReport(input()));
    expect(JSON.parse(JSON.stringify(buildReport(input())))).toEqual(buildReport(input()));
  });
});

describe('households needed', () => {
  it('is ceil(target × households) − sorting households, at least 0, decided exactly', () => {
    expect(householdsNeeded(0.95, 20, 18)).toBe(1);
    expect(householdsNeeded(0.95, 20, 19)).toBe(0);
    expect(householdsNeeded(0.95, 20, 20)).toBe(0);
    expect(householdsNeeded(0.95, 4, 3)).toBe(1); // ceil(3.8) = 4
    expect(householdsNeeded(0.9, 7, 0)).toBe(7); // ceil(6.3)
    expect(householdsNeeded(0.07, 100, 7)).toBe(0); // 0.07 × 100 is 7.000000000000001 in floating point
    expect(householdsNeeded(0.95, 0, 0)).toBe(0);
    expect(householdsNeeded(null, 20, 3)).toBeNull();
  });

  it('is 0 exactly when the KPI is met (every n of d ≤ 40, targets 0.9, 0.95, 0.07, 0.333)', () => {
    const def = kpiDefinition('sorting_coverage')!;
    for (const target of [0.9, 0.95, 0.07, 0.333])
      for (let d = 1; d <= 40; d++)
        for (let n = 0; n <= d; n++) {
          const r = evaluate(def, { numerator: n, denominator: d }, { site: 's', period: PERIOD, target, now: 0 });
          expect(householdsNeeded(target, d, n) === 0).toBe(r.met);
        }
  });
});

describe('buildings', () => {
  it('lists each building worst coverage first with what it lacks; the site total too', () => {
    const r = buildReport(input());
    expect(r.buildings.map((b) => b.building)).toEqual(['b3', 'b1', 'b2']);
    expect(r.buildings[0]).toEqual({
      building: 'b3',
      households: 4,
      sorting_coverage: {
        value: 0.75,
        target: 0.95,
        met: false,
        numerator: 3,
        denominator: 4,
        status: 'ok',
        reason: null,
        needed: 1,
      },
      participation_rate: {
        value: 1,
        target: 0.9,
        met: true,
        numerator: 4,
        denominator: 4,
        status: 'ok',
        reason: null,
        needed: 0,
      },
    });
    expect(r.buildings[1]!.sorting_coverage).toMatchObject({ value: 1, met: true, needed: 0 });
    expect(r.householdsNeeded).toEqual({ sorting_coverage: 0, participation_rate: 0 });
    const low = buildReport(input({ kpis: kpis([15, 20]) }));
    expect(low.householdsNeeded.sorting_coverage).toBe(4);
  });

  it('a site without a roster has no buildings', () => {
    expect(buildReport(input({ buildings: [], siteBuildings: [{ id: 'b1', households: 20 }] })).buildings).toEqual([]);
  });
});

describe('trend', () => {
  it('holds every KPI over the last N periods, the report period last, gaps as null', () => {
    const r = buildReport(input());
    expect(r.trend.kind).toBe('day');
    expect(r.trend.periods).toBe(14);
    // Every KPI the hub defines, in definition order, those without stored values as gaps.
    expect(r.trend.series.map((s) => s.kpi)).toEqual([...KPI_IDS]);
    const cov = r.trend.series[0]!;
    expect(cov.points.map((p) => p.date)).toEqual(
      Array.from(
        { length: 14 },
        (_, i) => periodOf('day', '2026-11-14', 'Asia/Shanghai').date.slice(0, 8) + String(14 + i),
      ),
    );
    expect(cov.points.map((p) => p.value)).toEqual([
      ...Array<null>(6).fill(null),
      0.7,
      0.75,
      0.8,
      0.85,
      0.9,
      null, // nothing stored for 11-25
      0.9,
      0.95,
    ]);
    expect(cov.points.at(-1)).toMatchObject({ date: '2026-11-27', complete: true, change: 0.05, changePartial: false });
    expect(cov.points[7]).toMatchObject({ change: 0.05, target: 0.95, met: false });
    expect(cov.points[11]).toMatchObject({ value: null, complete: false, change: null });
    expect(buildReport(input({ trendPeriods: 3 })).trend.series[0]!.points.map((p) => p.date)).toEqual([
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
    ]);
  });

  it('a running period is marked: not complete, its change partial, in the trend and the KPI row', () => {
    const now = PERIOD.startMs + 10 * 3_600_000;
    const running = kpis().map((k) => ({ ...k, complete: false }));
    const r = buildReport(input({ now, kpis: running }));
    const last = r.trend.series[0]!.points.at(-1)!;
    expect(last).toMatchObject({ complete: false, change: 0.05, changePartial: true });
    expect(r.kpis[0]).toMatchObject({ change: 0.05, changePartial: true });
    expect(buildReport(input()).kpis[0]!.changePartial).toBe(false);
  });

  it("the report's two periods in the trend are the report's values, not older stored ones", () => {
    const stale = result('sorting_coverage', { numerator: 1, denominator: 20 });
    const staleBefore = result('sorting_coverage', { numerator: 2, denominator: 20 }, PREVIOUS);
    const r = buildReport(input({ trend: [stale, staleBefore] }));
    expect(r.trend.series[0]!.points.slice(-2).map((p) => p.value)).toEqual([0.9, 0.95]);
  });

  it('weeks and months: the N periods ending with the report period', () => {
    const week = periodOf('week', '2026-11-27', 'Asia/Shanghai');
    expect(trendPeriods(week, 12).map((p) => p.date)[0]).toBe('2026-09-07');
    expect(trendPeriods(week, 12).at(-1)!.date).toBe('2026-11-23');
    const month = periodOf('month', '2026-11-27', 'Asia/Shanghai');
    expect(trendPeriods(month, 12).map((p) => p.date.slice(0, 7))).toEqual([
      '2025-12',
      ...Array.from({ length: 11 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`),
    ]);
  });
});

describe('titles', () => {
  it("the JSON carries both languages' title of every KPI it holds", () => {
    const r = buildReport(input());
    expect(Object.keys(r.titles.kpis)).toEqual(r.kpis.map((k) => k.kpi));
    expect(r.titles.kpis.sorting_coverage).toEqual({ 'zh-CN': '垃圾分类覆盖率', en: 'Sorting coverage' });
    expect(r.titles.kpis.participation_rate).toBe(KPI_TITLES.participation_rate);
  });
});
