/**
 * The simulator's own calendar (simulators/time.ts) across DST changes: local midnights that do
 * not exist (America/Santiago starts DST at 00:00) or whose day has 23 or 25 hours
 * (Europe/Berlin), and weeks and months around them (docs/contract.md §5: periods between local
 * midnights). The hub has its own calendar (src/kpi/period.ts); the two are written independently,
 * and must agree on every day of the year in zones with every kind of change.
 */
import { describe, expect, it } from 'vitest';
import { periodOf as hubPeriodOf } from '../../src/kpi/period.ts';
import {
  isoLocal,
  localDate,
  localMidnight,
  periodOf,
  periodsBetween,
  zonedTime,
  type PeriodType,
} from '../../simulators/time.ts';

const HOUR = 3_600_000;
const SANTIAGO = 'America/Santiago';
const BERLIN = 'Europe/Berlin';
const utc = (text: string): number => Date.parse(text);
const hours = (p: { startMs: number; endMs: number }): number => (p.endMs - p.startMs) / HOUR;

describe('America/Santiago, 2026-09-06: DST starts at 00:00, so that midnight does not exist', () => {
  const day = periodOf('day', utc('2026-09-06T12:00:00Z'), SANTIAGO);

  it('the day starts at the change, 01:00 local = 04:00Z, not at 23:00 the day before', () => {
    expect(localMidnight('2026-09-06', SANTIAGO)).toBe(utc('2026-09-06T04:00:00Z'));
    expect(day).toEqual({
      type: 'day',
      key: '2026-09-06',
      startMs: utc('2026-09-06T04:00:00Z'),
      endMs: utc('2026-09-07T03:00:00Z'),
    });
    expect(hours(day)).toBe(23);
    expect(isoLocal(day.startMs, SANTIAGO)).toBe('2026-09-06T01:00:00-03:00');
    // The instant before is still Saturday, local 23:59:59 at -04:00.
    expect(localDate(day.startMs - 1000, SANTIAGO)).toBe('2026-09-05');
    expect(isoLocal(day.startMs - 1000, SANTIAGO)).toBe('2026-09-05T23:59:59-04:00');
  });

  it('the day before ends where it starts; the week (Monday 08-31) has 167 hours, the month 719', () => {
    const before = periodOf('day', utc('2026-09-05T12:00:00Z'), SANTIAGO);
    expect([before.key, before.endMs, hours(before)]).toEqual(['2026-09-05', day.startMs, 24]);
    const week = periodOf('week', day.startMs, SANTIAGO);
    expect([week.key, week.startMs, week.endMs, hours(week)]).toEqual([
      '2026-08-31',
      utc('2026-08-31T04:00:00Z'),
      day.endMs,
      167,
    ]);
    const month = periodOf('month', day.startMs, SANTIAGO);
    expect([month.key, hours(month)]).toEqual(['2026-09-01', 719]);
  });

  it('a local hour in the gap is pushed forward by it; every hour of the day is 60 minutes from its start', () => {
    expect(zonedTime(SANTIAGO, 2026, 9, 6, 0)).toBe(utc('2026-09-06T04:00:00Z'));
    expect(zonedTime(SANTIAGO, 2026, 9, 6, 1)).toBe(utc('2026-09-06T04:00:00Z'));
    expect(zonedTime(SANTIAGO, 2026, 9, 6, 2)).toBe(utc('2026-09-06T05:00:00Z'));
  });

  it('in April DST ends at 24:00: 2026-04-04 has 25 hours and 04-05 starts once, at 00:00 -04:00', () => {
    const sat = periodOf('day', utc('2026-04-04T12:00:00Z'), SANTIAGO);
    expect([sat.startMs, sat.endMs, hours(sat)]).toEqual([
      utc('2026-04-04T03:00:00Z'),
      utc('2026-04-05T04:00:00Z'),
      25,
    ]);
    expect(isoLocal(sat.endMs, SANTIAGO)).toBe('2026-04-05T00:00:00-04:00');
  });
});

describe('Europe/Berlin, 2026-10-25: clocks go back at 03:00, the day has 25 hours', () => {
  it('from 00:00 +02:00 to 00:00 +01:00; its week has 169 hours and October 745', () => {
    const day = periodOf('day', utc('2026-10-25T12:00:00Z'), BERLIN);
    expect(day).toEqual({
      type: 'day',
      key: '2026-10-25',
      startMs: utc('2026-10-24T22:00:00Z'),
      endMs: utc('2026-10-25T23:00:00Z'),
    });
    expect(hours(day)).toBe(25);
    expect(isoLocal(day.startMs, BERLIN)).toBe('2026-10-25T00:00:00+02:00');
    expect(isoLocal(day.endMs, BERLIN)).toBe('2026-10-26T00:00:00+01:00');
    const week = periodOf('week', day.startMs, BERLIN);
    expect([week.key, hours(week)]).toEqual(['2026-10-19', 169]);
    expect(hours(periodOf('month', day.startMs, BERLIN))).toBe(745);
  });

  it('02:00-03:00 happens twice: a local hour there is its first occurrence', () => {
    expect(zonedTime(BERLIN, 2026, 10, 25, 2)).toBe(utc('2026-10-25T00:00:00Z'));
    expect(zonedTime(BERLIN, 2026, 10, 25, 3)).toBe(utc('2026-10-25T02:00:00Z'));
  });

  it('2026-03-29 has 23 hours, and 02:00 (skipped) is pushed to 03:00 +02:00', () => {
    const day = periodOf('day', utc('2026-03-29T12:00:00Z'), BERLIN);
    expect([day.startMs, hours(day)]).toEqual([utc('2026-03-28T23:00:00Z'), 23]);
    expect(zonedTime(BERLIN, 2026, 3, 29, 2)).toBe(utc('2026-03-29T01:00:00Z'));
  });

  it('the days between two instants follow each other without gap or overlap across the change', () => {
    const days = periodsBetween('day', utc('2026-10-23T12:00:00Z'), utc('2026-10-27T12:00:00Z'), BERLIN);
    expect(days.map((p) => [p.key, hours(p)])).toEqual([
      ['2026-10-23', 24],
      ['2026-10-24', 24],
      ['2026-10-25', 25],
      ['2026-10-26', 24],
      ['2026-10-27', 24],
    ]);
    for (let i = 1; i < days.length; i++) expect(days[i]!.startMs).toBe(days[i - 1]!.endMs);
  });
});

describe('the simulator and the hub agree on every period of a year', () => {
  // Zones whose midnight is skipped (Santiago, Havana), repeated or shifted by half an hour
  // (Lord Howe), ordinary DST (Berlin, New York), none (Shanghai), and a half-hour offset (Kolkata).
  const ZONES = [
    SANTIAGO,
    'America/Havana',
    'Australia/Lord_Howe',
    BERLIN,
    'America/New_York',
    'Asia/Shanghai',
    'Asia/Kolkata',
  ];
  it.each(ZONES)('%s', (tz) => {
    let compared = 0;
    for (const type of ['day', 'week', 'month'] as PeriodType[]) {
      for (const p of periodsBetween(type, utc('2026-01-01T12:00:00Z'), utc('2027-01-01T12:00:00Z'), tz)) {
        const hub = hubPeriodOf(type, p.key, tz);
        expect([p.key, p.startMs, p.endMs], `${tz} ${type} ${p.key}`).toEqual([hub.date, hub.startMs, hub.endMs]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(365 + 52 + 12);
  });
});
