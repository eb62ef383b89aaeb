/**
 * The evaluation scorecard of a quarter or year report (docs/contract.md §5, "Evaluation
 * scorecard"): how the programme stands against what it is judged by at the period's end —
 * sorting coverage and diversion against their KPI targets, CO₂e avoided and recyclables, the
 * satisfaction gain of the latest survey wave up to the period's last day, the PPP funding split
 * and the social capital's payback position at the end of the period's last month.
 *
 * {@link gatherEvaluation} reads the survey summary and the payback picture (the same readers as
 * the API: src/kpi/surveys/store.ts, src/kpi/payback-read.ts); {@link buildEvaluation} is pure and
 * takes the KPI rows from the report itself, so the scorecard and the KPI table always agree.
 */
import type { Inventory } from '../config/inventory.ts';
import { configSchema, type HubConfig } from '../config/schema.ts';
import {
  addMonths,
  kpiDefinition,
  localDate,
  readPayback,
  readSurveySummary,
  type KpiId,
  type PaybackPicture,
  type Period,
  type SurveySummary,
} from '../kpi/index.ts';
import type { InfluxConnection } from '../store/index.ts';
import type { ReportKpi } from './build.ts';
import { EVALUATION_TITLES, KPI_TITLES, type ReportLanguage } from './i18n.ts';

/** Period kinds whose report carries a scorecard: the programme is judged quarterly and yearly. */
export const EVALUATED_KINDS: readonly string[] = ['quarter', 'year'];

/** Months in which the social capital must be recovered ("within three years"), its first month included. */
export const PAYBACK_MONTHS = 36;

/** The KPIs of the scorecard, in its order. */
export const SCORECARD_KPIS = ['sorting_coverage', 'diversion_rate', 'co2e_avoided_kg', 'recyclables_kg'] as const;

/** The ids of the scorecard's rows. */
export type EvaluationItem = (typeof SCORECARD_KPIS)[number] | 'satisfaction_gain' | 'payback';

/** What {@link buildEvaluation} is given: read by {@link gatherEvaluation}. */
export interface EvaluationFacts {
  /** The period's last local day (`YYYY-MM-DD`) and month (`YYYY-MM`). */
  lastDay: string;
  lastMonth: string;
  /** Every wave of the site (readSurveySummary). */
  surveys: SurveySummary;
  /** The payback picture as it stood at the end of `lastMonth` (readPayback `asOf`). */
  payback: PaybackPicture;
}

/** A KPI row of the scorecard: the report's row of that KPI. */
export interface ScorecardKpi {
  kpi: (typeof SCORECARD_KPIS)[number];
  unit: ReportKpi['unit'];
  value: number | null;
  target: number | null;
  direction: '>=' | '<=' | null;
  met: boolean | null;
  reason: string | null;
}

/** One wave of the satisfaction trend. */
export interface ScorecardWave {
  wave: string;
  date: string;
  responses: number;
  satisfactionRate: number | null;
  gain: number | null;
  met: boolean | null;
}

/** The scorecard of a quarter or year report. */
export interface EvaluationScorecard {
  /** The period's last local day and month: what "at the period's end" means. */
  asOf: { day: string; month: string };
  /** sorting_coverage, diversion_rate, co2e_avoided_kg, recyclables_kg. */
  kpis: ScorecardKpi[];
  satisfaction: {
    /** The gain target (`evaluation.targets.satisfactionGain`). */
    target: number;
    baseline: string | null;
    baselineRate: number | null;
    /** baselineRate × (1 + target): the rate a wave must reach. */
    targetRate: number | null;
    /** The latest wave dated on or before `asOf.day`. */
    wave: string | null;
    date: string | null;
    rate: number | null;
    gain: number | null;
    met: boolean | null;
    reason: 'no_waves' | 'no_gain' | null;
    /** Every wave dated on or before `asOf.day`, oldest first. */
    waves: ScorecardWave[];
  };
  funding: { currency: 'CNY'; investment: PaybackPicture['investment']; shares: PaybackPicture['shares'] };
  payback: {
    /** First month of the payback clock, and the last of its three years; null without months. */
    start: string | null;
    deadline: string | null;
    /** At the end of `asOf.month`; null without months. */
    cumulative: number | null;
    recoveredShare: number | null;
    recoveredIn: string | null;
    projectedRecovery: string | null;
    reason: PaybackPicture['reason'];
    /** Recovered by `deadline`: true; false once the deadline month ended without; null while open or unknown. */
    withinThreeYears: boolean | null;
    /** The clock's months up to `asOf.month`: the payback trend. */
    months: Array<{ month: string; net: number; cumulative: number; recoveredShare: number | null }>;
  };
  /** The title of each row in every language. */
  titles: Record<EvaluationItem, Readonly<Record<ReportLanguage, string>>>;
}

/** What {@link gatherEvaluation} reads. */
export interface EvaluationDeps {
  conn: InfluxConnection;
  inventory: Inventory;
  /** The hub's `evaluation` section (prices, the gain target); its defaults when absent. */
  evaluation?: HubConfig['evaluation'] | undefined;
  now: number;
}

/** Reads the facts of the scorecard of `period` at site `site`. */
export async function gatherEvaluation(
  deps: EvaluationDeps,
  site: { id: string; timezone: string },
  period: Period,
): Promise<EvaluationFacts> {
  const ev = deps.evaluation ?? configSchema.shape.evaluation.parse(undefined);
  // `end` is exclusive: its millisecond before is the period's last local day.
  const lastDay = localDate(period.endMs - 1, site.timezone);
  const lastMonth = lastDay.slice(0, 7);
  const [surveys, payback] = await Promise.all([
    readSurveySummary(deps.conn, deps.inventory, site.id, ev.targets.satisfactionGain),
    readPayback({ conn: deps.conn, inventory: deps.inventory, config: ev, now: () => deps.now }, site.id, {
      to: lastMonth,
      asOf: lastMonth,
    }),
  ]);
  return { lastDay, lastMonth, surveys, payback };
}

function scoreKpi(kpis: readonly ReportKpi[], kpi: ScorecardKpi['kpi']): ScorecardKpi {
  const k = kpis.find((r) => r.kpi === kpi);
  // Only a report of stored results from before a KPI existed lacks it.
  if (!k) {
    const unit = kpiDefinition(kpi)?.unit ?? 'kg';
    return { kpi, unit, value: null, target: null, direction: null, met: null, reason: 'not_computed' };
  }
  return { kpi, unit: k.unit, value: k.value, target: k.target, direction: k.direction, met: k.met, reason: k.reason };
}

function satisfaction(f: EvaluationFacts): EvaluationScorecard['satisfaction'] {
  const s = f.surveys;
  const waves = s.waves.filter((w) => w.date <= f.lastDay);
  const base = waves.find((w) => w.wave === s.baseline);
  const baselineRate = base?.satisfactionRate ?? null;
  const latest = waves.at(-1);
  // A baseline dated after the period does not count yet: no gain can be judged at its end.
  const gain = base ? (latest?.gain ?? null) : null;
  return {
    target: s.target,
    baseline: s.baseline,
    baselineRate,
    targetRate: baselineRate === null ? null : baselineRate * (1 + s.target),
    wave: latest?.wave ?? null,
    date: latest?.date ?? null,
    rate: latest?.satisfactionRate ?? null,
    gain,
    met: gain === null ? null : (latest?.met ?? null),
    reason: latest === undefined ? 'no_waves' : gain === null ? 'no_gain' : null,
    waves: waves.map((w) => ({
      wave: w.wave,
      date: w.date,
      responses: w.responses,
      satisfactionRate: w.satisfactionRate,
      gain: w.gain,
      met: w.met,
    })),
  };
}

function payback(f: EvaluationFacts): EvaluationScorecard['payback'] {
  const p = f.payback;
  const months = p.months; // read with `to: lastMonth` (gatherEvaluation)
  const last = months.at(-1);
  const start = months[0]?.month ?? null;
  const deadline = start === null ? null : addMonths(start, PAYBACK_MONTHS - 1);
  let within: boolean | null = null;
  if (deadline !== null && p.investment !== null) {
    if (p.recoveredIn !== null) within = p.recoveredIn <= deadline;
    // Not recovered: too late only once the deadline month has ended (a running one is still open).
    else if (months.some((m) => m.month === deadline && m.complete)) within = false;
  }
  return {
    start,
    deadline,
    cumulative: last?.cumulative ?? null,
    recoveredShare: last?.recoveredShare ?? null,
    recoveredIn: p.recoveredIn,
    projectedRecovery: p.projectedRecovery,
    reason: p.reason,
    withinThreeYears: within,
    months: months.map((m) => ({
      month: m.month,
      net: m.net,
      cumulative: m.cumulative,
      recoveredShare: m.recoveredShare,
    })),
  };
}

/** The scorecard from its facts and the report's KPI rows. Pure. */
export function buildEvaluation(f: EvaluationFacts, kpis: readonly ReportKpi[]): EvaluationScorecard {
  const titles = {
    ...Object.fromEntries(SCORECARD_KPIS.map((k) => [k, KPI_TITLES[k as KpiId]])),
    ...EVALUATION_TITLES,
  } as EvaluationScorecard['titles'];
  return {
    asOf: { day: f.lastDay, month: f.lastMonth },
    kpis: SCORECARD_KPIS.map((k) => scoreKpi(kpis, k)),
    satisfaction: satisfaction(f),
    funding: { currency: 'CNY', investment: f.payback.investment, shares: f.payback.shares },
    payback: payback(f),
    titles,
  };
}
