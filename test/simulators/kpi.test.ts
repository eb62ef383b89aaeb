/**
 * The ledger's KPI maths (docs/contract.md §5) on a tiny case computed by hand, and the calendar
 * it rests on: days, Monday weeks and months in the site's time zone.
 */
import { describe, expect, it } from 'vitest';
import { computeKpis, type SiteFacts } from '../../simulators/kpi.ts';
import { isoLocal, localMidnight, periodOf, periodsBetween } from '../../simulators/time.ts';

const TZ = 'Asia/Shanghai';
/** Local time in Shanghai (UTC+8) → epoch ms. */
const at = (local: string): number => Date.parse(`${local}+08:00`);
const quarter = (local: string): number => Math.floor(at(local) / 900_000);

/**
 * Site "tiny": 4 registered households, 2 registered devices; window Monday 2026-11-23 00:00 to
 * Wednesday 2026-11-25 00:00, Shanghai time.
 */
const tiny: SiteFacts = {
  id: 'tiny',
  timezone: TZ,
  households: 4,
  devices: 2,
  deposits: [
    // 2026-11-22T16:30Z: Monday in Shanghai
    { ms: at('2026-11-23T00:30:00'), household: 'H1', sorting: 'correct', category: 'recyclable', weightKg: 1.25 },
    { ms: at('2026-11-23T09:00:00'), household: 'H1', sorting: 'incorrect', category: 'kitchen', weightKg: 2 },
    { ms: at('2026-11-23T19:00:00'), household: 'H2', sorting: 'unchecked', category: 'kitchen', weightKg: 0.7 },
    // 15:30Z: still Monday
    { ms: at('2026-11-23T23:30:00'), household: 'H3', sorting: 'correct', category: 'residual', weightKg: 0.55 },
  ],
  accesses: [
    { ms: at('2026-11-23T07:00:00'), result: 'granted' },
    { ms: at('2026-11-23T07:05:00'), result: 'granted' },
    { ms: at('2026-11-23T18:00:00'), result: 'granted' },
    { ms: at('2026-11-23T22:00:00'), result: 'denied' },
  ],
  alarms: [
    { ms: at('2026-11-23T10:00:00'), alarm: 'overflow', deviceType: 'waste-bin' },
    { ms: at('2026-11-23T11:00:00'), alarm: 'overflow', deviceType: 'waste-bin' },
    { ms: at('2026-11-23T12:00:00'), alarm: 'jam', deviceType: 'waste-bin' },
    { ms: at('2026-11-23T13:00:00'), alarm: 'forced_open', deviceType: 'access-gate' },
    { ms: at('2026-11-23T14:00:00'), alarm: 'held_open', deviceType: 'access-gate' },
    { ms: at('2026-11-24T02:00:00'), alarm: 'climbing', deviceType: 'access-gate' },
  ],
  heard: new Map([
    // Device A: twice in Monday's 00:00 hour (counts once), once at 13:30; device B once on Monday.
    ['a', new Set([quarter('2026-11-23T00:10:00'), quarter('2026-11-23T00:50:00'), quarter('2026-11-23T13:30:00')])],
    ['b', new Set([quarter('2026-11-23T05:00:00')])],
  ]),
};
const WINDOW = { startMs: at('2026-11-23T00:00:00'), endMs: at('2026-11-25T00:00:00') };

describe('ledger KPIs on a hand-computed case', () => {
  const report = computeKpis([tiny], WINDOW).tiny!;

  it('Monday: each KPI of docs/contract.md §5', () => {
    const mon = report.day['2026-11-23']!;
    expect(mon).toMatchObject({
      start: '2026-11-22T16:00:00.000Z',
      end: '2026-11-23T16:00:00.000Z',
      partial: false,
      windowHours: 24,
    });
    const k = mon.kpis;
    expect(k.sorting_coverage).toEqual({ value: 0.5, numerator: 2, denominator: 4 }); // H1, H3 of 4
    expect(k.participation_rate).toEqual({ value: 0.75, numerator: 3, denominator: 4 }); // H1, H2, H3
    expect(k.sorting_accuracy).toEqual({ value: 2 / 3, numerator: 2, denominator: 3 }); // unchecked left out
    // A 2 hours + B 1 hour, of 24 × 2
    expect(k.device_availability).toEqual({ value: 3 / 48, numerator: 3, denominator: 48 });
    expect(k.bin_overflow_alarms).toEqual({ value: 2, numerator: 2, denominator: null });
    expect(k.gate_denied_rate).toEqual({ value: 0.25, numerator: 1, denominator: 4 });
    // forced_open; held_open is not one
    expect(k.gate_security_alarms).toEqual({ value: 1, numerator: 1, denominator: null });
    // By weight: recyclable 1.25 + unchecked kitchen 0.7 diverted; the incorrect kitchen 2 kg is not; of 4.5 kg.
    expect(k.diversion_rate).toEqual({ value: 1.95 / 4.5, numerator: 1.95, denominator: 4.5 });
    expect(k.recyclables_kg).toEqual({ value: 1.25, numerator: 1.25, denominator: null });
    expect(k.co2e_avoided_kg).toEqual({
      value: null,
      numerator: 0,
      denominator: null,
      reason: 'no CO2e factors configured',
    });
  });

  it('environmental benefit with CO2e factors: Σ kept weight × factor, in grams, incorrect deposits left out', () => {
    const factors = { recyclable: 1.2, kitchen: 0.3, hazardous: 0, residual: 0 };
    const k = computeKpis([{ ...tiny, co2eFactors: factors }], WINDOW).tiny!.day['2026-11-23']!.kpis;
    // 1.25 × 1.2 + 0.7 × 0.3 + 0.55 × 0 = 1.71
    expect(k.co2e_avoided_kg).toEqual({ value: 1.71, numerator: 1.71, denominator: null });
    const tue = computeKpis([{ ...tiny, co2eFactors: factors }], WINDOW).tiny!.day['2026-11-24']!.kpis;
    expect(tue.diversion_rate).toEqual({
      value: null,
      numerator: 0,
      denominator: 0,
      reason: 'no deposited weight in the period',
    });
    expect(tue.recyclables_kg).toEqual({ value: 0, numerator: 0, denominator: null });
    expect(tue.co2e_avoided_kg).toEqual({ value: 0, numerator: 0, denominator: null });
    const noBins = computeKpis([{ ...tiny, bins: 0, co2eFactors: factors }], WINDOW).tiny!.day['2026-11-23']!.kpis;
    for (const kpi of ['diversion_rate', 'recyclables_kg', 'co2e_avoided_kg'] as const)
      expect(noBins[kpi].reason, kpi).toBe('the site has no waste-sorting station');
  });

  it('Tuesday: zero denominators are null with a reason, never 0 or 1; a zero numerator is 0', () => {
    const k = report.day['2026-11-24']!.kpis;
    expect(k.sorting_coverage).toEqual({ value: 0, numerator: 0, denominator: 4 });
    expect(k.sorting_accuracy).toEqual({
      value: null,
      numerator: 0,
      denominator: 0,
      reason: 'no deposits judged correct or incorrect in the period',
    });
    expect(k.gate_denied_rate.value).toBeNull();
    expect(k.gate_denied_rate.reason).toBe('no access attempts in the period');
    expect(k.gate_security_alarms.value).toBe(1); // climbing
    expect(k.device_availability.value).toBe(0);
  });

  it('the week starts on Monday and the month on the 1st; both are partial here', () => {
    expect(Object.keys(report.day)).toEqual(['2026-11-23', '2026-11-24']);
    const week = report.week['2026-11-23']!;
    expect(week).toMatchObject({
      start: '2026-11-22T16:00:00.000Z',
      end: '2026-11-29T16:00:00.000Z',
      partial: true,
      windowHours: 48,
    });
    expect(week.kpis.sorting_coverage).toEqual({ value: 0.5, numerator: 2, denominator: 4 });
    expect(week.kpis.device_availability).toEqual({ value: 3 / (168 * 2), numerator: 3, denominator: 336 });
    expect(week.kpis.gate_security_alarms.value).toBe(2);
    expect(report.month['2026-11-01']).toMatchObject({
      start: '2026-10-31T16:00:00.000Z',
      end: '2026-11-30T16:00:00.000Z',
      partial: true,
    });
  });

  it('more distinct households than registered: kept and flagged, not clamped', () => {
    const k = computeKpis([{ ...tiny, households: 2 }], WINDOW).tiny!.day['2026-11-23']!.kpis;
    expect(k.participation_rate.value).toBe(1.5);
    expect(k.participation_rate.warning).toBe('data quality: numerator 3 is above the denominator 2');
    expect(
      computeKpis([{ ...tiny, households: 0 }], WINDOW).tiny!.day['2026-11-23']!.kpis.sorting_coverage.value,
    ).toBeNull();
    // A count of a kind of device the site lacks is null with a reason, not 0 (its count kept, as the hub keeps it).
    const noGates = computeKpis([{ ...tiny, gates: 0 }], WINDOW).tiny!.day['2026-11-23']!.kpis;
    expect(noGates.gate_security_alarms).toEqual({
      value: null,
      numerator: 1,
      denominator: null,
      reason: 'the site has no access gate',
    });
    // So is a ratio about such devices (as the hub's no_waste_bins / no_access_gates), its counts kept.
    expect(noGates.gate_denied_rate).toEqual({
      value: null,
      numerator: 1,
      denominator: 4,
      reason: 'the site has no access gate',
    });
    const noBins = computeKpis([{ ...tiny, bins: 0 }], WINDOW).tiny!.day['2026-11-23']!.kpis;
    expect(noBins.sorting_coverage).toMatchObject({
      value: null,
      denominator: 4,
      reason: 'the site has no waste-sorting station',
    });
    expect(noBins.participation_rate).toMatchObject({
      value: null,
      denominator: 4,
      reason: 'the site has no waste-sorting station',
    });
    expect(noBins.sorting_accuracy).toEqual({
      value: null,
      numerator: 2,
      denominator: 3,
      reason: 'the site has no waste-sorting station',
    });
    expect(noBins.bin_overflow_alarms).toEqual({
      value: null,
      numerator: 2,
      denominator: null,
      reason: 'the site has no waste-sorting station',
    });
  });
});

describe('site calendar', () => {
  it('formats times as a device in the zone writes them', () => {
    expect(isoLocal(Date.parse('2026-11-27T00:01:12.345Z'), TZ)).toBe('2026-11-27T08:01:12+08:00');
    expect(isoLocal(Date.parse('2026-07-01T12:00:00Z'), 'Europe/Berlin')).toBe('2026-07-01T14:00:00+02:00');
    expect(isoLocal(Date.parse('2026-07-01T12:00:00Z'), 'America/St_Johns')).toBe('2026-07-01T09:30:00-02:30');
    expect(localMidnight('2026-11-23', TZ)).toBe(Date.parse('2026-11-22T16:00:00Z'));
  });

  it('a DST day has 25 hours; weeks start on Monday across a month end', () => {
    const day = periodOf('day', Date.parse('2026-10-25T12:00:00Z'), 'Europe/Berlin');
    expect((day.endMs - day.startMs) / 3_600_000).toBe(25);
    const week = periodOf('week', Date.parse('2026-12-02T12:00:00Z'), TZ);
    expect(week.key).toBe('2026-11-30');
    expect(
      periodsBetween('month', Date.parse('2026-11-20T00:00:00Z'), Date.parse('2027-01-02T00:00:00Z'), TZ).map(
        (p) => p.key,
      ),
    ).toEqual(['2026-11-01', '2026-12-01', '2027-01-01']);
  });
});
