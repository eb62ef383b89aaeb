/** The pure report builder (docs/contract.md §5) on hand-made inputs. */
import { describe, expect, it } from 'vitest';
import { buildReport, changeOf } from '../../src/report/index.ts';
import { input, kpis, PERIOD } from './fixtures.ts';

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

  it('silent devices: never heard first (by id), then longest silent first', () => {
    const r = buildReport(input());
    expect(r.silentDevices.map((d) => d.device)).toEqual(['bin-03', 'bin-09', 'gate-01', 'bin-02', 'bin-01']);
    expect(r.silentDevices[0]).toEqual({ device: 'bin-03', type: 'waste-bin', lastHeard: null, silentHours: null });
    expect(r.silentDevices[2]).toMatchObject({ lastHeard: '2026-11-27T06:00:00+08:00', silentHours: 18 });
    expect(r.silentDevices[4]).toMatchObject({ silentHours: 0 });
    expect(buildReport(input({ top: 2 })).silentDevices.map((d) => d.device)).toEqual(['bin-03', 'bin-09']);
  });

  it('silence of a running period is measured up to now', () => {
    const now = PERIOD.startMs + 10 * 3_600_000;
    const r = buildReport(
      input({ now, lastHeard: [{ device: 'bin-01', type: 'waste-bin', lastMs: PERIOD.startMs + 4 * 3_600_000 }] }),
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
