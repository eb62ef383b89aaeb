/**
 * A hand-built fortnight of one site (maple-court, Asia/Shanghai, 20 households, two stations and
 * a gate) and the KPI values worked out by hand from it (docs/contract.md §5). Times are written in
 * local time (+08:00); several sit exactly on, or a millisecond off, a period boundary.
 */
import type { Point } from '../../src/point.ts';
import { access, alarm, deposit, heartbeat, plus, type SiteSpec } from './helpers.ts';

export const SITE: SiteSpec = {
  id: 'maple-court',
  timezone: 'Asia/Shanghai',
  households: 20,
  devices: [
    ['bin-01', 'waste-bin'],
    ['bin-02', 'waste-bin'],
    ['gate-01', 'access-gate'],
  ],
};
const S = SITE.id;
const h = (i: number): string => `h${String(i).padStart(2, '0')}`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Start of local hour `k` of 2026-11-27 (day A) or 2026-11-26 (day B), as UTC ISO. */
const hourA = (k: number): string => plus('2026-11-26T16:00:00.000Z', 60 * k);
const hourB = (k: number): string => plus('2026-11-25T16:00:00.000Z', 60 * k);

/** Every point of the data set. */
export function points(): Point[] {
  const p: Point[] = [];
  // Day A, 2026-11-27: h01..h19 correct (h03 at 00:30 local = 2026-11-26T16:30Z); h20 and h01
  // incorrect; h02 unchecked.
  for (const i of range(1, 19)) {
    p.push(
      deposit(
        S,
        'bin-01',
        h(i),
        'correct',
        i === 3 ? '2026-11-26T16:30:00Z' : `2026-11-27T09:${String(i).padStart(2, '0')}:00+08:00`,
      ),
    );
  }
  p.push(deposit(S, 'bin-02', h(20), 'incorrect', '2026-11-27T10:00:00+08:00'));
  p.push(deposit(S, 'bin-02', h(1), 'incorrect', '2026-11-27T11:00:00+08:00'));
  p.push(deposit(S, 'bin-02', h(2), 'unchecked', '2026-11-27T12:00:00+08:00'));
  // Day B, 2026-11-26: h01..h10 correct, h11 correct at 23:59:59 local; h12 incorrect.
  for (const i of range(1, 10))
    p.push(deposit(S, 'bin-01', h(i), 'correct', `2026-11-26T09:${String(i).padStart(2, '0')}:00+08:00`));
  p.push(deposit(S, 'bin-01', h(11), 'correct', '2026-11-26T23:59:59+08:00'));
  p.push(deposit(S, 'bin-02', h(12), 'incorrect', '2026-11-26T10:00:00+08:00'));
  // Week edges (week of Monday 2026-11-23): in at its first instant, out a millisecond before.
  p.push(deposit(S, 'bin-01', h(20), 'correct', '2026-11-23T00:00:00+08:00'));
  p.push(deposit(S, 'bin-01', h(20), 'correct', '2026-11-22T23:59:59.999+08:00'));
  // Month edges: h21 (not registered: 21 distinct > 20) on Nov 1 at 00:00; h22 on Dec 1, h23 on Oct 31.
  p.push(deposit(S, 'bin-01', h(21), 'correct', '2026-11-01T00:00:00+08:00'));
  p.push(deposit(S, 'bin-01', h(22), 'correct', '2026-12-01T00:00:00+08:00'));
  p.push(deposit(S, 'bin-01', h(23), 'correct', '2026-10-31T23:59:59.999+08:00'));

  // Alarms: overflow A 2, B 1, Nov 10 2, Dec 1 1; fire and held_open are never counted.
  p.push(
    alarm(S, 'bin-01', 'overflow', '2026-11-27T03:00:00+08:00'),
    alarm(S, 'bin-02', 'overflow', '2026-11-27T04:00:00+08:00'),
  );
  p.push(
    alarm(S, 'bin-01', 'fire', '2026-11-27T05:00:00+08:00'),
    alarm(S, 'bin-01', 'overflow', '2026-11-26T20:00:00+08:00'),
  );
  p.push(
    alarm(S, 'bin-01', 'overflow', '2026-11-10T08:00:00+08:00'),
    alarm(S, 'bin-02', 'overflow', '2026-11-10T09:00:00+08:00'),
  );
  p.push(alarm(S, 'bin-01', 'overflow', '2026-12-01T00:00:00+08:00'));
  for (const [kind, t] of [
    ['forced_open', '2026-11-27T01:00:00+08:00'],
    ['tailgating', '2026-11-27T02:00:00+08:00'],
    ['climbing', '2026-11-27T03:00:00+08:00'],
    ['held_open', '2026-11-27T04:00:00+08:00'],
    ['tailgating', '2026-11-26T02:00:00+08:00'],
    ['climbing', '2026-11-05T02:00:00+08:00'],
  ] as const) {
    p.push(alarm(S, 'gate-01', kind, t, 'access-gate'));
  }
  // Access: A 6 granted + 2 denied; B 3 + 1; Nov 3 one denied.
  for (const i of range(1, 6)) p.push(access(S, 'gate-01', 'granted', `2026-11-27T07:0${i}:00+08:00`));
  p.push(
    access(S, 'gate-01', 'denied', '2026-11-27T08:00:00+08:00'),
    access(S, 'gate-01', 'denied', '2026-11-27T08:01:00+08:00'),
  );
  for (const i of range(1, 3)) p.push(access(S, 'gate-01', 'granted', `2026-11-26T07:0${i}:00+08:00`));
  p.push(
    access(S, 'gate-01', 'denied', '2026-11-26T08:00:00+08:00'),
    access(S, 'gate-01', 'denied', '2026-11-03T08:00:00+08:00'),
  );

  // Heartbeats, day A: bin-01 every hour (at the hour's first instant) and once at the day's last
  // millisecond; bin-02 hours 0–11 twice each; gate-01 hours 0–5, and at the next day's first
  // instant; ghost-9 (not in the inventory) hour 3. Day B: bin-01 every hour.
  for (const k of range(0, 23)) p.push(heartbeat(S, 'bin-01', hourA(k)), heartbeat(S, 'bin-01', plus(hourB(k), 20)));
  p.push(heartbeat(S, 'bin-01', '2026-11-27T15:59:59.999Z'));
  for (const k of range(0, 11))
    p.push(heartbeat(S, 'bin-02', plus(hourA(k), 10)), heartbeat(S, 'bin-02', plus(hourA(k), 40)));
  for (const k of range(0, 5)) p.push(heartbeat(S, 'gate-01', plus(hourA(k), 30), 'access-gate'));
  p.push(heartbeat(S, 'gate-01', '2026-11-27T16:00:00Z', 'access-gate'), heartbeat(S, 'ghost-9', plus(hourA(3), 5)));
  return p;
}

/** [numerator, denominator, met] per KPI (denominator null for counts, met null when informative). */
export type Expected = Record<string, [number, number | null, boolean | null, string[]?]>;

/** The inventory of these tests has no roster: the household KPIs say their ids are unverified. */
const U = ['household_ids_unverified'];

/** Hand-computed values with the default targets. */
export const EXPECTED: Record<
  'dayA' | 'dayB' | 'week' | 'month',
  { date: string; kind: 'day' | 'week' | 'month'; kpis: Expected }
> = {
  dayA: {
    kind: 'day',
    date: '2026-11-27',
    kpis: {
      sorting_coverage: [19, 20, true, U], // exactly at the 0.95 boundary: met
      participation_rate: [20, 20, true, U],
      sorting_accuracy: [19, 21, true],
      device_availability: [24 + 12 + 6, 3 * 24, false, ['unregistered_devices_heard']],
      bin_overflow_alarms: [2, null, true],
      gate_denied_rate: [2, 8, null],
      gate_security_alarms: [3, null, null],
      // Every deposit is 1.2 kg of kitchen waste: 22 deposits, 2 of them incorrect.
      diversion_rate: [20 * 1.2, 26.4, true],
      recyclables_kg: [0, null, null],
    },
  },
  dayB: {
    kind: 'day',
    date: '2026-11-26',
    kpis: {
      sorting_coverage: [11, 20, false, U],
      participation_rate: [12, 20, false, U],
      sorting_accuracy: [11, 12, true],
      device_availability: [24, 3 * 24, false],
      bin_overflow_alarms: [1, null, true],
      gate_denied_rate: [1, 4, null],
      gate_security_alarms: [1, null, null],
      diversion_rate: [13.2, 14.4, true], // 12 deposits, 1 incorrect
      recyclables_kg: [0, null, null],
    },
  },
  week: {
    kind: 'week',
    date: '2026-11-25',
    kpis: {
      sorting_coverage: [20, 20, true, U],
      participation_rate: [20, 20, true, U],
      sorting_accuracy: [31, 34, true],
      device_availability: [42 + 24 + 1, 3 * 168, false, ['unregistered_devices_heard']],
      bin_overflow_alarms: [3, null, true],
      gate_denied_rate: [3, 12, null],
      gate_security_alarms: [4, null, null],
      diversion_rate: [38.4, 42, true], // 35 deposits, 3 incorrect
      recyclables_kg: [0, null, null],
    },
  },
  month: {
    kind: 'month',
    date: '2026-11-13',
    kpis: {
      sorting_coverage: [21, 20, true, ['numerator_exceeds_denominator', ...U]],
      participation_rate: [21, 20, true, ['numerator_exceeds_denominator', ...U]],
      sorting_accuracy: [33, 36, true],
      device_availability: [67, 3 * 720, false, ['unregistered_devices_heard']],
      bin_overflow_alarms: [5, null, true],
      gate_denied_rate: [4, 13, null],
      gate_security_alarms: [5, null, null],
      diversion_rate: [40.8, 44.4, true], // 37 deposits, 3 incorrect
      recyclables_kg: [0, null, null],
    },
  },
};
