/**
 * Period maths in a site's timezone (docs/contract.md §5: "per site and per period (`day`, `week`
 * starting Monday, `month`, and opt-in `quarter` and `year`), in the site's timezone"), with `Intl` only.
 *
 * A period is the half-open UTC interval [start, end) between two local midnights. Calendar
 * arithmetic is done on civil dates (`Date.UTC` on year, month, day: no zone involved); only the
 * step from a local midnight to its UTC instant asks the zone, so DST days have 23 or 25 hours and
 * a week holding a DST change 167 or 169. Where a zone skips midnight itself (DST starting at
 * 00:00, e.g. America/Santiago), the day starts at the transition, its first instant.
 */
import { HubError } from '../errors.ts';
import type { KPI_PERIODS } from '../config/schema.ts';

/** `day`, `week` (Monday to Sunday), `month`, `quarter` (from January, April, July, October) or `year`. */
export type PeriodKind = (typeof KPI_PERIODS)[number];

/** One period of a site. */
export interface Period {
  readonly kind: PeriodKind;
  /** IANA zone the period's boundaries are local midnights of. */
  readonly timezone: string;
  /** Its first local day, `YYYY-MM-DD` (a Monday for a week, the 1st for a month, 1 Jan/Apr/Jul/Oct for a quarter). */
  readonly date: string;
  /** First instant, epoch ms (UTC). */
  readonly startMs: number;
  /** First instant after it, epoch ms (UTC). */
  readonly endMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const formats = new Map<string, Intl.DateTimeFormat>();

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    try {
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
    } catch (e) {
      throw new HubError('HUB_ERR_KPI_PERIOD', `unknown time zone "${tz}"`, { cause: e });
    }
    formats.set(tz, f);
  }
  return f;
}

/** Local wall-clock time of `ms` in `tz`. */
function wall(ms: number, tz: string): Wall {
  const out: Record<string, number> = {};
  for (const p of format(tz).formatToParts(ms)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { y: out['year']!, mo: out['month']!, d: out['day']!, h: out['hour']!, mi: out['minute']!, s: out['second']! };
}

/** UTC offset of `tz` at `ms`, in ms (east positive): +8 h for Asia/Shanghai. */
export function offsetMs(ms: number, tz: string): number {
  const w = wall(ms, tz);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const civil = (y: number, mo: number, d: number): string => `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;

/** Parse `YYYY-MM-DD`, refusing dates the calendar does not have (2026-02-30). */
export function parseDate(text: string): { y: number; mo: number; d: number } {
  const m = DATE.exec(text);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (!m || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) {
    throw new HubError('HUB_ERR_KPI_PERIOD', `"${text}" is not a calendar date (YYYY-MM-DD)`);
  }
  return { y, mo, d };
}

/** `date` moved by `days` days (civil arithmetic). */
export function addDays(date: string, days: number): string {
  const { y, mo, d } = parseDate(date);
  const t = new Date(Date.UTC(y, mo - 1, d) + days * DAY_MS);
  return civil(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** The local calendar date of the instant `ms` in `tz`. */
export function localDate(ms: number, tz: string): string {
  const w = wall(ms, tz);
  return civil(w.y, w.mo, w.d);
}

/** The first instant (epoch ms) of the local day `date` in `tz`. */
export function startOfDay(date: string, tz: string): number {
  const { y, mo, d } = parseDate(date);
  const asUtc = Date.UTC(y, mo - 1, d);
  // Every offset in force near that midnight gives a candidate; keep those whose local time is
  // exactly `date` 00:00:00, and the earliest of them (a repeated midnight starts at its first).
  let best: number | undefined;
  for (const near of [asUtc - DAY_MS, asUtc, asUtc + DAY_MS]) {
    const t = asUtc - offsetMs(near, tz);
    const w = wall(t, tz);
    if (w.h === 0 && w.mi === 0 && w.s === 0 && civil(w.y, w.mo, w.d) === date && (best === undefined || t < best))
      best = t;
  }
  if (best !== undefined) return best;
  // Local midnight does not exist (DST starts at 00:00): the day begins at the transition, the
  // first instant whose local date is `date`. Offsets lie within −12 h … +14 h; search by minute.
  let lo = Math.floor((asUtc - 15 * HOUR_MS) / 60_000);
  let hi = Math.floor((asUtc + 13 * HOUR_MS) / 60_000);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid * 60_000, tz) >= date) hi = mid;
    else lo = mid + 1;
  }
  return lo * 60_000;
}

/** First local day of the period of `kind` that holds the local day `date`. */
export function firstDay(kind: PeriodKind, date: string): string {
  const { y, mo, d } = parseDate(date);
  if (kind === 'day') return date;
  if (kind === 'month') return civil(y, mo, 1);
  if (kind === 'quarter') return civil(y, mo - ((mo - 1) % 3), 1);
  if (kind === 'year') return civil(y, 1, 1);
  const weekday = new Date(Date.UTC(y, mo - 1, d)).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7)); // weeks start on Monday (docs/contract.md §5)
}

/** First local day of the period after the one starting on `first`. */
function nextFirstDay(kind: PeriodKind, first: string): string {
  if (kind === 'day') return addDays(first, 1);
  if (kind === 'week') return addDays(first, 7);
  const { y, mo } = parseDate(first);
  if (kind === 'year') return civil(y + 1, 1, 1);
  const months = kind === 'quarter' ? 3 : 1;
  return mo + months > 12 ? civil(y + 1, mo + months - 12, 1) : civil(y, mo + months, 1);
}

/** The period of `kind` in `tz` that holds the local day `date`. */
export function periodOf(kind: PeriodKind, date: string, tz: string): Period {
  const first = firstDay(kind, date);
  return Object.freeze({
    kind,
    timezone: tz,
    date: first,
    startMs: startOfDay(first, tz),
    endMs: startOfDay(nextFirstDay(kind, first), tz),
  });
}

/** The period of `kind` in `tz` that holds the instant `ms`. */
export function periodAt(kind: PeriodKind, ms: number, tz: string): Period {
  return periodOf(kind, localDate(ms, tz), tz);
}

/** The period just before `p`. */
export function previousPeriod(p: Period): Period {
  return periodOf(p.kind, addDays(p.date, -1), p.timezone);
}

/** Length of `p` in hours, rounded up (a zone with a 30-minute DST shift gives a short last hour). */
export function hoursOf(p: Period): number {
  return Math.ceil((p.endMs - p.startMs) / HOUR_MS);
}

/**
 * The instant `ms` as local time with its offset, e.g. `2026-11-27T00:00:00+08:00` (RFC 3339):
 * the day a person means, and still one exact instant.
 */
export function formatLocal(ms: number, tz: string): string {
  const w = wall(ms, tz);
  const off = Math.round(offsetMs(ms, tz) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${civil(w.y, w.mo, w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * A short name of `p` for logs and tables: `day 2026-11-27`, `week 2026-11-23`, `month 2026-11`,
 * `quarter 2026-Q4`, `year 2026`.
 */
export function periodLabel(p: Period): string {
  if (p.kind === 'quarter') return `quarter ${p.date.slice(0, 4)}-Q${(Number(p.date.slice(5, 7)) + 2) / 3}`;
  if (p.kind === 'year') return `year ${p.date.slice(0, 4)}`;
  return `${p.kind} ${p.kind === 'month' ? p.date.slice(0, 7) : p.date}`;
}
