/**
 * Calendar maths in a site's time zone, with the platform's Intl data only (no dependency):
 * local dates and hours for the daily rhythms, ISO times with the site's offset for the payloads,
 * and the KPI periods of docs/contract.md §5 (`day`, `week` starting Monday, `month`, in the site's
 * time zone).
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Local calendar fields of an instant in `tz`. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Local fields of `ms` in `tz`, from the platform's Intl data (slow: a few µs a call). */
function intlLocalTime(ms: number, tz: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/**
 * Offsets by zone and quarter hour: zones change offset only on a quarter hour, so one Intl call per
 * zone and quarter.
 */
const offsets = new Map<string, Map<number, number>>();

/** Offset of `tz` from UTC at `ms`, in ms (Asia/Shanghai: +8 h). */
export function offsetMs(ms: number, tz: string): number {
  const quarter = Math.floor(ms / 900_000);
  let byQuarter = offsets.get(tz);
  if (!byQuarter) offsets.set(tz, (byQuarter = new Map()));
  let off = byQuarter.get(quarter);
  if (off === undefined) {
    const at = quarter * 900_000;
    const t = intlLocalTime(at, tz);
    off = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - at;
    if (byQuarter.size > 200_000) byQuarter.clear();
    byQuarter.set(quarter, off);
  }
  return off;
}

/** The local date and time of `ms` in `tz`. */
export function localTime(ms: number, tz: string): LocalTime {
  const d = new Date(ms + offsetMs(ms, tz));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * The instant of local `year-month-day hour:00` in `tz` (months 1-12; overflowing days roll over).
 *
 * Around a DST change a local time can occur twice or not at all. Twice (clocks go back): the
 * first of the two. Not at all (clocks go forward over it): the same time after the change, one gap
 * later, which for a skipped midnight is the change itself, the day's first instant: Santiago's
 * 2026-09-06 00:00 does not exist (clocks go from 00:00 -04 to 01:00 -03), so the day starts at
 * 01:00 -03 = 04:00Z. Offsets are taken a day before and after, so at most one change lies between.
 */
export function zonedTime(tz: string, year: number, month: number, day: number, hour = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour); // the local time read as if it were UTC
  const before = offsetMs(wall - DAY, tz);
  const after = offsetMs(wall + DAY, tz);
  // An instant t shows `wall` when wall - t is the offset in force at t.
  const fits = [wall - before, wall - after].filter((t) => offsetMs(t, tz) === wall - t);
  if (fits.length > 0) return Math.min(...fits);
  return wall - before; // in the gap: pushed forward by it
}

/** Local midnight starting the local date `date` (`YYYY-MM-DD`) in `tz`. */
export function localMidnight(date: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`"${date}" is not a YYYY-MM-DD date`);
  return zonedTime(tz, Number(m[1]), Number(m[2]), Number(m[3]));
}

/** `YYYY-MM-DD` of `ms` in `tz`. */
export function localDate(ms: number, tz: string): string {
  const t = localTime(ms, tz);
  return `${t.year}-${pad(t.month)}-${pad(t.day)}`;
}

/** ISO 8601 with the zone's offset and whole seconds, as a device in `tz` writes it: `2026-11-27T08:01:12+08:00`. */
export function isoLocal(ms: number, tz: string): string {
  const off = offsetMs(ms, tz);
  const t = new Date(Math.floor(ms / 1000) * 1000 + off);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / 60_000;
  return `${t.toISOString().slice(0, 19)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A KPI period type (docs/contract.md §5). */
export type PeriodType = 'day' | 'week' | 'month';
/** Every period type, in report order. */
export const PERIOD_TYPES: readonly PeriodType[] = ['day', 'week', 'month'];

/** One period in a site's time zone. */
export interface Period {
  type: PeriodType;
  /** Local date of its first day (`YYYY-MM-DD`; a week starts on Monday, a month on the 1st). */
  key: string;
  startMs: number;
  endMs: number;
}

/** The period of `type` that contains `ms`, in `tz` (docs/contract.md §5: weeks start on Monday). */
export function periodOf(type: PeriodType, ms: number, tz: string): Period {
  const t = localTime(ms, tz);
  let y = t.year;
  let m = t.month;
  let d = t.day;
  if (type === 'month') d = 1;
  if (type === 'week') {
    const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
    const monday = new Date(Date.UTC(y, m - 1, d - weekday));
    [y, m, d] = [monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate()];
  }
  const startMs = zonedTime(tz, y, m, d);
  const next = type === 'day' ? [y, m, d + 1] : type === 'week' ? [y, m, d + 7] : [y, m + 1, 1];
  const endMs = zonedTime(tz, next[0]!, next[1]!, next[2]!);
  return { type, key: `${y}-${pad(m)}-${pad(d)}`, startMs, endMs };
}

/** Every period of `type` that overlaps [fromMs, toMs), in order. */
export function periodsBetween(type: PeriodType, fromMs: number, toMs: number, tz: string): Period[] {
  const out: Period[] = [];
  let p = periodOf(type, fromMs, tz);
  while (p.startMs < toMs) {
    out.push(p);
    p = periodOf(type, p.endMs, tz);
  }
  return out;
}

/** Local hour of day (0-23) and fraction, for rhythms. */
export function localHour(ms: number, tz: string): number {
  const t = localTime(ms, tz);
  return t.hour + t.minute / 60;
}

/** `ms` as an ISO string in UTC. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Milliseconds in an hour and a day. */
export const MS = { second: 1000, minute: 60_000, hour: HOUR, day: DAY } as const;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
