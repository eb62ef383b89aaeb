/** Period maths in the site's timezone (docs/contract.md §5), with Intl only. */
import { describe, expect, it } from 'vitest';
import {
  addDays,
  formatLocal,
  hoursOf,
  localDate,
  parseDate,
  periodAt,
  periodLabel,
  periodOf,
  previousPeriod,
  startOfDay,
  type PeriodKind,
} from '../../src/kpi/index.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const span = (kind: PeriodKind, date: string, tz: string): [string, string, number] => {
  const p = periodOf(kind, date, tz);
  return [iso(p.startMs), iso(p.endMs), hoursOf(p)];
};

describe('periods in Asia/Shanghai (UTC+8, no DST)', () => {
  const tz = 'Asia/Shanghai';

  it('a day starts at local midnight: 16:00 UTC the day before', () => {
    expect(span('day', '2026-11-27', tz)).toEqual(['2026-11-26T16:00:00.000Z', '2026-11-27T16:00:00.000Z', 24]);
  });

  it('an event at 2026-11-26T16:30Z belongs to 2026-11-27 local; one a millisecond before 16:00Z to the 26th', () => {
    expect(periodAt('day', Date.parse('2026-11-26T16:30:00Z'), tz).date).toBe('2026-11-27');
    expect(periodAt('day', Date.parse('2026-11-26T16:00:00Z'), tz).date).toBe('2026-11-27');
    expect(periodAt('day', Date.parse('2026-11-26T15:59:59.999Z'), tz).date).toBe('2026-11-26');
  });

  it('a week runs Monday to Sunday', () => {
    // 2026-11-27 is a Friday; its week starts Monday 2026-11-23.
    expect(periodOf('week', '2026-11-27', tz).date).toBe('2026-11-23');
    expect(periodOf('week', '2026-11-23', tz).date).toBe('2026-11-23');
    expect(periodOf('week', '2026-11-29', tz).date).toBe('2026-11-23'); // Sunday
    expect(periodOf('week', '2026-11-30', tz).date).toBe('2026-11-30');
    expect(span('week', '2026-11-27', tz)).toEqual(['2026-11-22T16:00:00.000Z', '2026-11-29T16:00:00.000Z', 168]);
    // A week across a year end.
    expect(periodOf('week', '2027-01-01', tz).date).toBe('2026-12-28');
  });

  it('a month runs from the 1st to the 1st, across a year end too', () => {
    expect(span('month', '2026-11-27', tz)).toEqual(['2026-10-31T16:00:00.000Z', '2026-11-30T16:00:00.000Z', 720]);
    expect(span('month', '2026-12-31', tz)).toEqual(['2026-11-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z', 744]);
    expect(periodOf('month', '2028-02-10', tz).endMs - periodOf('month', '2028-02-10', tz).startMs).toBe(
      29 * 86_400_000,
    );
  });

  it('a quarter starts on 1 January, April, July or October; a year on 1 January', () => {
    // Q4 2026: 92 days.
    expect(span('quarter', '2026-11-27', tz)).toEqual(['2026-09-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z', 2208]);
    expect(periodOf('quarter', '2026-10-01', tz).date).toBe('2026-10-01');
    expect(periodOf('quarter', '2026-09-30', tz).date).toBe('2026-07-01');
    expect(periodOf('quarter', '2028-02-29', tz).date).toBe('2028-01-01');
    // Q1 of a leap year: 31 + 29 + 31 days.
    expect(hoursOf(periodOf('quarter', '2028-03-31', tz))).toBe(91 * 24);
    expect(span('year', '2026-11-27', tz)).toEqual(['2025-12-31T16:00:00.000Z', '2026-12-31T16:00:00.000Z', 8760]);
    expect(hoursOf(periodOf('year', '2028-07-01', tz))).toBe(366 * 24);
    // The instant a millisecond before local New Year is in the old year and quarter.
    expect(periodAt('year', Date.parse('2026-12-31T15:59:59.999Z'), tz).date).toBe('2026-01-01');
    expect(periodAt('quarter', Date.parse('2026-12-31T16:00:00.000Z'), tz).date).toBe('2027-01-01');
  });

  it('the previous period of each kind', () => {
    expect(previousPeriod(periodOf('quarter', '2027-02-01', tz)).date).toBe('2026-10-01');
    expect(previousPeriod(periodOf('quarter', '2026-05-01', tz)).date).toBe('2026-01-01');
    expect(previousPeriod(periodOf('year', '2027-02-01', tz)).date).toBe('2026-01-01');
    expect(previousPeriod(periodOf('day', '2026-11-01', tz)).date).toBe('2026-10-31');
    expect(previousPeriod(periodOf('week', '2026-11-27', tz)).date).toBe('2026-11-16');
    expect(previousPeriod(periodOf('month', '2026-01-15', tz)).date).toBe('2025-12-01');
  });

  it('formats instants as local time with the offset, and labels periods', () => {
    const p = periodOf('day', '2026-11-27', tz);
    expect(formatLocal(p.startMs, tz)).toBe('2026-11-27T00:00:00+08:00');
    expect(Date.parse(formatLocal(p.startMs, tz))).toBe(p.startMs);
    expect(periodLabel(periodOf('month', '2026-11-27', tz))).toBe('month 2026-11');
    expect(periodLabel(periodOf('quarter', '2026-11-27', tz))).toBe('quarter 2026-Q4');
    expect(periodLabel(periodOf('quarter', '2026-02-01', tz))).toBe('quarter 2026-Q1');
    expect(periodLabel(periodOf('year', '2026-11-27', tz))).toBe('year 2026');
  });
});

describe('periods in zones with DST', () => {
  it('Europe/Berlin: the spring-forward day has 23 hours, the fall-back day 25', () => {
    expect(span('day', '2026-03-29', 'Europe/Berlin')).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      23,
    ]);
    expect(span('day', '2026-10-25', 'Europe/Berlin')).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      25,
    ]);
    expect(span('day', '2026-03-30', 'Europe/Berlin')).toEqual([
      '2026-03-29T22:00:00.000Z',
      '2026-03-30T22:00:00.000Z',
      24,
    ]);
  });

  it('Europe/Berlin: weeks and months holding a DST change', () => {
    expect(span('week', '2026-03-29', 'Europe/Berlin')).toEqual([
      '2026-03-22T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      167,
    ]);
    expect(span('week', '2026-10-25', 'Europe/Berlin')[2]).toBe(169);
    expect(span('month', '2026-03-15', 'Europe/Berlin')).toEqual([
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
      743,
    ]);
    expect(span('month', '2026-10-15', 'Europe/Berlin')[2]).toBe(745);
  });

  it('Europe/Berlin: a quarter holding spring-forward has an hour less, one holding fall-back an hour more', () => {
    const tz = 'Europe/Berlin';
    // Q1 2026 (90 days): 1 Jan 00:00 CET to 1 Apr 00:00 CEST.
    expect(span('quarter', '2026-03-29', tz)).toEqual(['2025-12-31T23:00:00.000Z', '2026-03-31T22:00:00.000Z', 2159]);
    // Q4 2026 (92 days): 1 Oct 00:00 CEST to 1 Jan 00:00 CET.
    expect(span('quarter', '2026-10-25', tz)).toEqual(['2026-09-30T22:00:00.000Z', '2026-12-31T23:00:00.000Z', 2209]);
    // Both changes: the year is 365 × 24 hours again.
    expect(span('year', '2026-06-01', tz)).toEqual(['2025-12-31T23:00:00.000Z', '2026-12-31T23:00:00.000Z', 8760]);
  });

  it('America/Santiago: the quarter holding the skipped midnight of 2026-09-06', () => {
    // Q3 2026: 1 Jul 00:00 -04 to 1 Oct 00:00 -03 (92 days, one hour short).
    expect(span('quarter', '2026-09-06', 'America/Santiago')).toEqual([
      '2026-07-01T04:00:00.000Z',
      '2026-10-01T03:00:00.000Z',
      2207,
    ]);
  });

  it('Europe/Berlin: instants around the change fall on the right local day', () => {
    expect(localDate(Date.parse('2026-03-28T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-29'); // 00:30 CET
    expect(localDate(Date.parse('2026-03-29T21:59:59Z'), 'Europe/Berlin')).toBe('2026-03-29'); // 23:59:59 CEST
    expect(localDate(Date.parse('2026-03-29T22:00:00Z'), 'Europe/Berlin')).toBe('2026-03-30');
    expect(formatLocal(Date.parse('2026-03-29T22:00:00Z'), 'Europe/Berlin')).toBe('2026-03-30T00:00:00+02:00');
  });

  it('America/Santiago: where DST skips midnight itself, the day starts at the transition (01:00 local)', () => {
    expect(span('day', '2026-09-06', 'America/Santiago')).toEqual([
      '2026-09-06T04:00:00.000Z',
      '2026-09-07T03:00:00.000Z',
      23,
    ]);
    expect(formatLocal(startOfDay('2026-09-06', 'America/Santiago'), 'America/Santiago')).toBe(
      '2026-09-06T01:00:00-03:00',
    );
    // Fall back at midnight: Saturday gets the repeated hour (25 h); Sunday starts at its one midnight.
    expect(span('day', '2026-04-04', 'America/Santiago')[2]).toBe(25);
    expect(span('day', '2026-04-05', 'America/Santiago')).toEqual([
      '2026-04-05T04:00:00.000Z',
      '2026-04-06T04:00:00.000Z',
      24,
    ]);
  });

  it('half-hour and far-east/west offsets', () => {
    expect(span('day', '2026-11-27', 'Asia/Kolkata')).toEqual([
      '2026-11-26T18:30:00.000Z',
      '2026-11-27T18:30:00.000Z',
      24,
    ]);
    expect(span('day', '2026-11-27', 'Pacific/Kiritimati')[0]).toBe('2026-11-26T10:00:00.000Z');
    expect(span('day', '2026-11-27', 'Pacific/Pago_Pago')[0]).toBe('2026-11-27T11:00:00.000Z');
  });
});

describe('dates', () => {
  it('refuses what is not a calendar date, and unknown zones', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '26-11-27', '2026-11-27T00:00', '']) {
      expect(() => parseDate(bad)).toThrow(expect.objectContaining({ code: 'HUB_ERR_KPI_PERIOD' }));
    }
    expect(() => periodOf('day', '2026-11-27', 'Mars/Olympus')).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_KPI_PERIOD' }),
    );
  });

  it('adds days across month and leap-year ends', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
