/**
 * Numbers, dates and KPI cells as a reader sees them, in the report's language (docs/contract.md
 * §5, "Languages"): `Intl` formats every number and every date, dates in the site's time zone.
 * Shared by the Markdown and the HTML renderers.
 */
import type { ReportKpi } from './build.ts';
import { DEFAULT_REPORT_LANGUAGE } from '../config/schema.ts';
import { labelsOf, type ReportLanguage } from './i18n.ts';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) cache.set(key, (f = make()));
  return f;
}

/** A ratio as a percentage with one decimal: `95.0%`. */
export function percent(v: number, lang: ReportLanguage): string {
  return cached(`p${lang}`, () =>
    Intl.NumberFormat(lang, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }),
  ).format(v);
}

/** A count or other plain number: `1,234`. */
export function count(v: number, lang: ReportLanguage): string {
  return cached(`n${lang}`, () => Intl.NumberFormat(lang, { maximumFractionDigits: 1 })).format(v);
}

/** A value as shown: a percentage for ratios, the number for counts, `—` for none. */
export function showValue(unit: ReportKpi['unit'], v: number | null, lang: ReportLanguage): string {
  if (v === null) return '—';
  return unit === 'ratio' ? percent(v, lang) : count(v, lang);
}

/** The target as shown: `≥ 95%`, `≤ 3`, or "informative". */
export function showTarget(k: Pick<ReportKpi, 'target' | 'direction' | 'unit'>, lang: ReportLanguage): string {
  if (k.target === null || k.direction === null) return labelsOf(lang).informative;
  const v =
    k.unit === 'ratio'
      ? cached(`t${lang}`, () => Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 2 })).format(
          k.target,
        )
      : count(k.target, lang);
  return `${k.direction === '<=' ? '≤' : '≥'} ${v}`;
}

/** Met, not met or `—` (no value or no target). */
export function showMet(k: Pick<ReportKpi, 'met'>, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  return k.met === null ? '—' : k.met ? l.met : l.notMet;
}

/**
 * The change from the previous period: `+5.0 pp` for ratios, `+2` for counts, `—` when unknown,
 * followed by "(partial)" while the period runs (docs/contract.md §5: a running period's change is partial).
 */
export function showChange(k: Pick<ReportKpi, 'change' | 'unit' | 'changePartial'>, lang: ReportLanguage): string {
  if (k.change === null) return '—';
  const l = labelsOf(lang);
  const sign = k.change > 0 ? '+' : k.change < 0 ? '−' : '±';
  const size = Math.abs(k.change);
  const text =
    k.unit === 'ratio'
      ? `${sign}${cached(`c${lang}`, () => Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 })).format(size * 100)} ${l.pp}`
      : `${sign}${count(size, lang)}`;
  return k.changePartial ? `${text}${l.partialMark}` : text;
}

/** The status cell: ok, `warning: …` or `no value: <reason>` (reasons and warnings stay codes). */
export function showStatus(k: Pick<ReportKpi, 'status' | 'reason' | 'warnings'>, lang: ReportLanguage): string {
  const l = labelsOf(lang);
  if (k.status === 'null') return `${l.noValue}${l.colon}${k.reason ?? ''}`;
  return k.warnings.length > 0 ? `${l.warning}${l.colon}${k.warnings.join(', ')}` : l.ok;
}

/** A local date-time (RFC 3339 with offset) as a reader reads it, in `tz`. */
export function dateTime(iso: string, tz: string, lang: ReportLanguage): string {
  return cached(`dt${lang}${tz}`, () =>
    Intl.DateTimeFormat(lang, { timeZone: tz, dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' }),
  ).format(Date.parse(iso));
}

/** A period `[start, end)` (RFC 3339 with offset) as its first to last local day, in `tz`. */
export function dateRange(start: string, end: string, tz: string, lang: ReportLanguage): string {
  const f = cached(`dr${lang}${tz}`, () => Intl.DateTimeFormat(lang, { timeZone: tz, dateStyle: 'medium' }));
  return f.formatRange(Date.parse(start), Date.parse(end) - 1);
}

/** A short day label for chart axes (`11/27`, `Nov 27`), in `tz`. */
export function shortDate(iso: string, tz: string, lang: ReportLanguage, kind: string): string {
  const opts: Intl.DateTimeFormatOptions =
    kind === 'month'
      ? { timeZone: tz, year: '2-digit', month: 'short' }
      : { timeZone: tz, month: 'numeric', day: 'numeric' };
  return cached(`sd${lang}${tz}${kind}`, () => Intl.DateTimeFormat(lang, opts)).format(Date.parse(iso));
}

/** How a report is rendered: `renderReport(report, format, { lang })`. */
export interface RenderOptions {
  /** Language of the Markdown and HTML; default `DEFAULT_REPORT_LANGUAGE` (src/config/schema.ts). */
  lang?: ReportLanguage;
}

/** The language of `o`, or the default. */
export function langOf(o: RenderOptions | undefined): ReportLanguage {
  return o?.lang ?? DEFAULT_REPORT_LANGUAGE;
}

/** An amount of yuan: `¥1,234.50` (zh-CN), `CN¥1,234.50` (en). */
export function money(v: number, lang: ReportLanguage): string {
  return cached(`m${lang}`, () => Intl.NumberFormat(lang, { style: 'currency', currency: 'CNY' })).format(v);
}

/** A signed percentage with one decimal: `+35.0%`, `−5.0%`. */
export function signedPercent(v: number, lang: ReportLanguage): string {
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${percent(Math.abs(v), lang)}`;
}
