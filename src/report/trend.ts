/**
 * The trend of a report (docs/contract.md §5, "Trend"): every KPI over the last N periods of the
 * report's kind, the report's own period last, from the stored site-wide KPI results (§4). A
 * period whose stored result is not `complete` (computed before the period was closed: still
 * running, or not yet closed) is marked so, and its change from the period before is partial.
 */
import {
  KPI_DEFINITIONS,
  formatLocal,
  previousPeriod,
  type KpiId,
  type KpiResult,
  type Period,
  type PeriodKind,
} from '../kpi/index.ts';
import { changeOf } from './change.ts';

/** One period of a KPI's trend. */
export interface TrendPoint {
  /** The period's first local day. */
  date: string;
  /** Local start, RFC 3339 with offset. */
  start: string;
  /** null: no stored value (never computed, or no value with a reason). */
  value: number | null;
  target: number | null;
  met: boolean | null;
  /** The stored result says the period was closed (computed after its end); false when nothing is stored. */
  complete: boolean;
  /** value − the previous point's value; null unless both are numbers. */
  change: number | null;
  /** True when `change` involves a period not complete (its value may still move). */
  changePartial: boolean;
}

/** One KPI over the trend's periods. */
export interface TrendSeries {
  kpi: KpiId;
  unit: 'ratio' | 'count' | 'kg';
  direction: '>=' | '<=' | null;
  /** Oldest first; the report's period last. */
  points: TrendPoint[];
}

/** The trend section of a report. */
export interface ReportTrend {
  kind: PeriodKind;
  /** How many periods each series holds (`report.trendPeriods.<kind>`). */
  periods: number;
  series: TrendSeries[];
}

/** The `n` periods ending with `p`, oldest first. */
export function trendPeriods(p: Period, n: number): Period[] {
  const out: Period[] = [p];
  while (out.length < n) out.unshift(previousPeriod(out[0]!));
  return out;
}

/**
 * The trend of every KPI: `stored` are the site-wide results of the window (any order); a result in
 * `current` (the report's own values) replaces the stored one of its KPI and period.
 */
export function buildTrend(
  p: Period,
  n: number,
  stored: readonly KpiResult[],
  current: readonly KpiResult[],
): ReportTrend {
  const periods = trendPeriods(p, n);
  const byKey = new Map<string, KpiResult>();
  for (const r of stored) if (r.building === undefined) byKey.set(`${r.kpi} ${r.date}`, r);
  for (const r of current) byKey.set(`${r.kpi} ${r.date}`, r);
  const series = KPI_DEFINITIONS.map((def): TrendSeries => {
    const points: TrendPoint[] = [];
    for (const period of periods) {
      const r = byKey.get(`${def.id} ${period.date}`);
      const before = points.at(-1);
      const value = r?.value ?? null;
      const complete = r?.complete ?? false;
      points.push({
        date: period.date,
        start: formatLocal(period.startMs, p.timezone),
        value,
        target: r?.target ?? null,
        met: r?.met ?? null,
        complete,
        change: before ? changeOf(value, before.value) : null,
        changePartial: !complete || (before !== undefined && !before.complete),
      });
    }
    return { kpi: def.id, unit: def.unit, direction: def.direction, points };
  });
  return { kind: p.kind, periods: n, series };
}
